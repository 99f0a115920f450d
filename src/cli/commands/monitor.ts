/**
 * `modelver monitor --log FILE [--reference FILE | lineage] [--window 1h] [--outcomes FILE] [--json]`:
 * traffic, latency, predictions, feature drift and accuracy of deployed versions (docs/production.md).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseLineage } from '../../core/lineage/record';
import { followMonitor } from '../../core/production/follow';
import { EventLogError, parseMapping } from '../../core/production/events';
import { parseWindow, readReference, runMonitor, type MonitorReport, type MonitorStats, type Reference } from '../../core/production/monitor';
import { ModelRepository, RepoError } from '../../core/repo';
import { CliError, UsageError } from '../errors';
import type { CliIO } from '../main';
import { LOG_OPTIONS, LOG_OPTIONS_HELP, parseLogOptions } from './logOptions';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, baseDir, parse } from './repoCommon';

const usage = `usage: modelver monitor --log FILE [--reference FILE | --reference lineage] [--window 1h]
                        [--outcomes FILE] [--model PATH] [--json] [--follow] [-C DIR]

What deployed versions see and do, from their prediction log (JSON Lines, CSV, Parquet or KServe /
Seldon CloudEvents, read as a stream; schema in docs/production.md): per version, and per window
with --window, the traffic, latency p50/p95, the prediction distribution, accuracy and log-loss
once outcomes arrive, and feature drift against a reference: the two-sample Kolmogorov–Smirnov
statistic and p-value per numeric feature, the population stability index (PSI, the reference's
deciles), category shares for text features.

  --log FILE           the prediction log
  --reference FILE     the reference data (CSV, JSON Lines or Parquet of features), e.g. the
                       training set; default 'lineage': each version's training data recorded in
                       its lineage
  --window LEN         also per window of LEN: 30m, 1h, 1d
  --outcomes FILE      outcomes that arrived later, joined on request_id
  --model PATH         the model (needed when the log holds several)
  --psi X              drift when PSI ≥ X (default 0.2)
  --ks-d D, --ks-p P   drift when the KS statistic ≥ D and its p < P (default 0.1 and 0.01)
  --map F=FIELD,…      the log's own names for the schema's fields
                       (a CloudEvents log: an attribute, e.g. endpoint=version)
${LOG_OPTIONS_HELP}
  --json               the report as JSON (KS statistic per feature per version and window)
  --follow             keep following the log as it grows (looked at every 500 ms; only appended
                       bytes are read; a rotated log is followed to the new file): one report each
                       time new records were read, as JSON Lines with --json; stop it with Ctrl+C
${REPO_OPTIONS_HELP}

Exit codes: 0 the report was written (drift or not), 1 the log, the reference or the repository
could not be read, 2 usage.`;

const sha256File = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function num(x: number | undefined, d = 3): string {
  return x === undefined || !Number.isFinite(x) ? '—' : Number(x.toFixed(d)).toString();
}

function statsLines(s: MonitorStats, indent: string): string[] {
  const out: string[] = [];
  const parts = [`${s.exposures.toLocaleString('en-US')} predictions`];
  if (s.latencyMs) parts.push(`latency p50 ${num(s.latencyMs.p50, 1)} ms, p95 ${num(s.latencyMs.p95, 1)} ms`);
  if (s.prediction?.mean !== undefined) parts.push(`mean prediction ${num(s.prediction.mean)}`);
  if (s.prediction?.classes) parts.push(`classes ${s.prediction.classes.slice(0, 4).map((c) => `${c.name} ${(100 * c.share).toFixed(1)} %`).join(', ')}`);
  if (s.outcomes) parts.push(`${s.outcomes.n} outcomes: accuracy ${num(s.outcomes.accuracy)}, log-loss ${num(s.outcomes.logLoss)}`);
  out.push(`${indent}${s.version}: ${parts.join('; ')}`);
  for (const f of s.features) {
    const what = f.ks ? `KS D ${num(f.ks.d)} (p ${f.ks.p < 0.001 ? '< 0.001' : num(f.ks.p)}), PSI ${num(f.psi)}` : f.shares ? `PSI ${num(f.psi)}; ${f.shares.slice(0, 3).map((c) => `${c.category} ${(100 * c.share).toFixed(1)} % (ref ${(100 * c.reference).toFixed(1)} %)`).join(', ')}` : 'no reference';
    out.push(`${indent}  ${f.drift ? 'DRIFT ' : ''}${f.feature}: ${what}`);
  }
  return out;
}

export function renderMonitorText(r: MonitorReport): string {
  const lines: string[] = [];
  for (const a of r.alerts) lines.push(`ALERT: ${a}`);
  if (r.alerts.length) lines.push('');
  lines.push(`${r.model} · ${r.records.toLocaleString('en-US')} predictions, ${r.from.slice(0, 16)}Z … ${r.to.slice(0, 16)}Z`);
  for (const ref of r.references) lines.push(`reference of ${ref.version}: ${ref.source} (${ref.rows.toLocaleString('en-US')} rows)`);
  for (const n of r.notes) lines.push(n);
  lines.push('');
  for (const v of r.versions) lines.push(...statsLines(v, ''));
  for (const w of r.windows) {
    lines.push('', `window from ${w.start.slice(0, 16).replace('T', ' ')} UTC`);
    for (const v of w.versions) {
      const drift = v.drifted.length ? ` — DRIFT in ${v.drifted.join(', ')}` : '';
      lines.push(`  ${v.version}: ${v.exposures} predictions${v.latencyMs ? `, p95 ${num(v.latencyMs.p95, 1)} ms` : ''}${v.outcomes ? `, accuracy ${num(v.outcomes.accuracy)}` : ''}${drift}`);
    }
  }
  return lines.join('\n');
}

export const monitorCommand = {
  summary: 'traffic, latency, drift and accuracy of deployed versions from a prediction log',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...REPO_OPTIONS,
      log: { type: 'string' },
      reference: { type: 'string' },
      window: { type: 'string' },
      outcomes: { type: 'string' },
      model: { type: 'string' },
      psi: { type: 'string' },
      'ks-d': { type: 'string' },
      'ks-p': { type: 'string' },
      map: { type: 'string' },
      ...LOG_OPTIONS,
      follow: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}': the log is given with --log FILE`);
    if (!values.log) throw new UsageError('give the prediction log: --log FILE (JSON Lines, CSV, Parquet or CloudEvents)');
    const logOptions = parseLogOptions(values);
    const threshold = (name: string, v: string | undefined, max: number) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > max) throw new UsageError(`--${name} ${v}: give a number above 0 and at most ${max}`);
      return n;
    };
    let windowMs: number | undefined;
    let mapping;
    try {
      windowMs = values.window ? parseWindow(values.window) : undefined;
      mapping = values.map ? parseMapping(values.map) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const thresholds = { psi: threshold('psi', values.psi, 100), ksD: threshold('ks-d', values['ks-d'], 1), ksP: threshold('ks-p', values['ks-p'], 1) };
    const dir = baseDir(values);
    const at = (f: string) => path.resolve(dir, f);
    const notes: string[] = [];
    try {
      let repo: ModelRepository | undefined;
      try {
        repo = await ModelRepository.open(dir);
      } catch (e) {
        if (!(e instanceof RepoError && e.code === 'NOT_A_REPO')) throw e;
      }
      const refName = values.reference ?? 'lineage';
      let fixed: Reference | undefined;
      if (refName !== 'lineage') fixed = await readReference(at(refName));
      const cache = new Map<string, Reference>();
      const label = async (model: string, spec: string) => {
        if (!repo) return spec;
        const v = await repo.resolveVersion(path.resolve(repo.root, model), spec).catch(() => undefined);
        return v ? `v${v.version}` : spec;
      };
      const referenceFor = async (model: string, spec: string): Promise<Reference | undefined> => {
        if (fixed) return fixed;
        if (!repo) {
          notes.push(`${spec}: no reference (not in a repository, so no recorded lineage): give --reference FILE for drift`);
          return undefined;
        }
        const v = await repo.resolveVersion(path.resolve(repo.root, model), spec).catch((e: Error) => {
          throw new EventLogError(`version '${spec}' of ${model}: ${e.message}`, at(values.log!));
        });
        const lin = parseLineage(v.message);
        const train = lin.datasets.filter((d) => d.role === 'train');
        const d = train[0] ?? lin.datasets[0];
        if (!d) {
          notes.push(`v${v.version}: no training data is recorded in its lineage, so no drift is measured: give --reference FILE, or record it at commit (--dataset data/train.csv:train)`);
          return undefined;
        }
        const file = path.join(repo.root, d.path);
        if (!fs.existsSync(file) || sha256File(file) !== d.sha256) {
          notes.push(`v${v.version}: its training data ${d.path} (sha256 ${d.sha256.slice(0, 12)}…) is not in the working tree as recorded, so no drift is measured: check out that file or give --reference FILE`);
          return undefined;
        }
        let r = cache.get(file);
        if (!r) cache.set(file, (r = { ...(await readReference(file)), source: `${d.path} (training data recorded in the lineage)` }));
        return r;
      };
      const monitorOptions = {
        log: at(values.log),
        ...logOptions,
        ...(mapping ? { mapping } : {}),
        ...(values.model ? { model: values.model } : {}),
        ...(values.outcomes ? { outcomes: at(values.outcomes) } : {}),
        ...(windowMs ? { windowMs } : {}),
        thresholds: Object.fromEntries(Object.entries(thresholds).filter(([, v]) => v !== undefined)),
        label,
        referenceFor,
      };
      if (values.follow) {
        // until SIGINT / SIGTERM (the extension's Monitor panel kills it when it closes)
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await followMonitor({ ...monitorOptions, signal: stop.signal }, (report) => {
            report.notes.push(...notes);
            io.out(values.json ? JSON.stringify(report) : `${renderMonitorText(report)}\n`);
          });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        return 0;
      }
      const report = await runMonitor(monitorOptions);
      report.notes.push(...notes);
      io.out(values.json ? JSON.stringify(report, null, 2) : renderMonitorText(report));
      return 0;
    } catch (e) {
      if (e instanceof EventLogError || e instanceof RepoError) throw new CliError(e.message, 1);
      throw e;
    }
  },
};
