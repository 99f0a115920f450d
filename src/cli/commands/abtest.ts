/**
 * `modelver abtest --log FILE [--outcomes FILE] [--model PATH] [--metric NAME] [--split v2=50,v3=50]
 * [--json | --md]`: an A/B test of model versions on a prediction log (docs/production.md).
 */
import * as path from 'path';
import { formatDiff, formatP, type AbTestReport } from '../../core/production/abtest';
import { runAbTest, type ResolvedVersion, type VersionResolver } from '../../core/production/collect';
import { EventLogError, parseMapping } from '../../core/production/events';
import { ModelRepository, RepoError } from '../../core/repo';
import { CliError, UsageError } from '../errors';
import type { CliIO } from '../main';
import { LOG_OPTIONS, LOG_OPTIONS_HELP, parseLogOptions } from './logOptions';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, baseDir, parse } from './repoCommon';

const usage = `usage: modelver abtest --log FILE [--outcomes FILE] [--model PATH] [--metric NAME]
                       [--split v2=50,v3=50] [--control VERSION] [--json | --md] [-C DIR]

An A/B test of model versions on what users did: per version the exposures and the outcome
rate (or mean), the lift over the control with 95 % intervals, the two-sided p-value (pooled
two-proportion z-test for 0/1 outcomes, Welch's t-test for numbers such as revenue), an
always-valid p-value (mSPRT) that stays valid however often you look, a sample-ratio-mismatch
check against the declared split, and the exposures still needed. The log is read as a stream.
Schema and statistics: docs/production.md.

  --log FILE           the prediction log: JSON Lines (.jsonl), CSV with a header row, Parquet, or
                       KServe / Seldon CloudEvents as JSON Lines; one record per served prediction
                       (timestamp, model, version, request_id, outcome, …)
  --outcomes FILE      outcomes that arrived later, joined on request_id (request_id, outcome)
  --missing zero|skip  an exposure with no outcome counts as 0 (default with --outcomes) or is left
                       out (default without)
  --model PATH         the model to test (needed when the log holds several)
  --metric NAME        the named outcome to test (when outcomes are objects or outcome.NAME columns)
  --split V=W,…        the declared traffic split (default equal); checked for sample ratio mismatch
  --control VERSION    the baseline (default the oldest version in the log)
  --alpha A            significance level (default 0.05)
  --tau T              the mSPRT mixing standard deviation, in the metric's unit (default 10 % of
                       the control's mean); fix it before the test starts for a strictly sequential test
  --map F=FIELD,…      the log's own field or column names for the schema's (e.g. req=request_id)
                       (a CloudEvents log: an attribute, e.g. endpoint=version)
${LOG_OPTIONS_HELP}
  --json               the report as JSON (counts, rates, p-values as numbers)
  --md                 the report as Markdown (for a pull request or a notebook)
${REPO_OPTIONS_HELP}

Version specs in the log (v3, a tag, an alias, a commit, an LFS sha256) are resolved in the
repository; outside a repository each spec is taken as it is.
Exit codes: 0 the report was written, 1 the log or the repository could not be read, 2 usage.`;

function parseSplit(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const w = Number(part.slice(eq + 1));
    if (eq <= 0 || !Number.isFinite(w) || w <= 0) throw new UsageError(`--split '${part}': write VERSION=WEIGHT with a positive weight, e.g. --split v2=50,v3=50`);
    out[part.slice(0, eq)] = w;
  }
  if (Object.keys(out).length < 2) throw new UsageError(`--split ${text}: give the share of every version in the test, at least two`);
  return out;
}

function positiveNumber(name: string, v: string | undefined, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n >= max) throw new UsageError(`--${name} ${v}: give a number above 0${max < Infinity ? ` and below ${max}` : ''}`);
  return n;
}

const SHA256 = /^(?:sha256:)?([0-9a-f]{64})$/i;

/** Resolves the log's version specs in the repository around `dir`, if there is one. */
async function repoResolver(dir: string): Promise<VersionResolver | undefined> {
  let repo: ModelRepository;
  try {
    repo = await ModelRepository.open(dir);
  } catch (e) {
    if (e instanceof RepoError && e.code === 'NOT_A_REPO') return undefined;
    throw e;
  }
  return async (model: string, spec: string): Promise<ResolvedVersion> => {
    const file = path.resolve(repo.root, model);
    const sha = SHA256.exec(spec);
    if (sha) {
      const v = (await repo.versions(file)).find((x) => x.oid === sha[1].toLowerCase());
      if (!v) throw new Error(`no version of ${model} has the content sha256 ${sha[1].slice(0, 12)}…`);
      return { label: `v${v.version}`, commit: v.commit, order: v.version };
    }
    const v = await repo.resolveVersion(file, spec);
    return { label: `v${v.version}`, commit: v.commit, order: v.version };
  };
}

const num = (x: number, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)).toString() : '—');

export function renderAbTestText(r: AbTestReport): string {
  const kind = r.metric.kind;
  const lines: string[] = [];
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  if (r.warnings.length) lines.push('');
  lines.push(r.decision, '');
  lines.push(`${r.model} · ${r.metric.name} (${kind === 'binary' ? 'rate' : 'mean'}) · ${r.records.toLocaleString('en-US')} exposures, ${r.from.slice(0, 16)}Z … ${r.to.slice(0, 16)}Z`);
  lines.push('');
  const head = ['version', 'exposures', 'with outcome', kind === 'binary' ? 'conversions' : 'sum', kind === 'binary' ? 'rate' : 'mean'];
  const rows = r.variants.map((v) => [v.label, String(v.exposures), String(v.withOutcome), kind === 'binary' ? String(v.total) : num(v.total, 2), kind === 'binary' ? `${(100 * v.mean).toFixed(2)} %` : num(v.mean)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  lines.push(head.map((h, i) => h.padEnd(widths[i])).join('  '));
  for (const row of rows) lines.push(row.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  '));
  lines.push('');
  for (const c of r.comparisons) {
    lines.push(`${c.treatment} vs ${c.control}: ${formatDiff(c.diff, kind)} [${formatDiff(c.diffCI[0], kind)}, ${formatDiff(c.diffCI[1], kind)}]` + (c.relative !== undefined ? `, relative ${(100 * c.relative).toFixed(1)} % [${(100 * c.relativeCI![0]).toFixed(1)}, ${(100 * c.relativeCI![1]).toFixed(1)}]` : ''));
    lines.push(`  ${c.test}: ${kind === 'binary' ? 'z' : 't'} = ${c.statistic.toFixed(3)}${c.df !== undefined ? `, df = ${c.df.toFixed(1)}` : ''}, ${formatP(c.p)}${c.pHolm !== undefined ? ` (Holm ${formatP(c.pHolm)})` : ''}`);
    lines.push(`  always valid (mSPRT, τ = ${num(c.tau)}): ${formatP(c.alwaysValidP)}; confidence sequence [${formatDiff(c.sequentialCI[0], kind)}, ${formatDiff(c.sequentialCI[1], kind)}]`);
    lines.push(
      Number.isFinite(c.neededPerVariant)
        ? `  power ${r.power}: ${Math.ceil(c.neededPerVariant).toLocaleString('en-US')} exposures per version detect ${formatDiff(c.diff, kind, false)}${c.moreExposures > 0 ? ` (${c.moreExposures.toLocaleString('en-US')} more in all)` : ' (reached)'}`
        : '  power: no difference observed, so no sample size detects it',
    );
  }
  lines.push(`sample ratio: ${r.srm.text}; chi-square ${r.srm.chi2.toFixed(2)}, df ${r.srm.df}, ${formatP(r.srm.p)}${r.srm.mismatch ? ' — MISMATCH' : ' — as declared'}`);
  return lines.join('\n');
}

export function renderAbTestMarkdown(r: AbTestReport): string {
  const kind = r.metric.kind;
  const esc = (s: string) => s.replace(/[\\|*_`<>[\]]/g, (c) => `\\${c}`);
  const out: string[] = [`### A/B test: ${esc(r.model)} · ${esc(r.metric.name)}`, ''];
  for (const w of r.warnings) out.push(`> **Warning:** ${esc(w)}`, '');
  out.push(`**${esc(r.decision)}**`, '');
  out.push(`| version | exposures | with outcome | ${kind === 'binary' ? 'rate' : 'mean'} |`, '|---|---:|---:|---:|');
  for (const v of r.variants) out.push(`| ${esc(v.label)} | ${v.exposures} | ${v.withOutcome} | ${kind === 'binary' ? `${(100 * v.mean).toFixed(2)} %` : num(v.mean)} |`);
  out.push('', '| comparison | difference [95 % CI] | p | always-valid p | more exposures needed |', '|---|---|---:|---:|---:|');
  for (const c of r.comparisons) {
    out.push(`| ${esc(c.treatment)} vs ${esc(c.control)} | ${formatDiff(c.diff, kind)} [${formatDiff(c.diffCI[0], kind)}, ${formatDiff(c.diffCI[1], kind)}] | ${num(c.p)} | ${num(c.alwaysValidP)} | ${Number.isFinite(c.moreExposures) ? c.moreExposures : '—'} |`);
  }
  out.push('', `Sample ratio: ${esc(r.srm.text)}, ${formatP(r.srm.p)}${r.srm.mismatch ? ' (**mismatch**)' : ''}.`);
  return out.join('\n');
}

export const abtestCommand = {
  summary: 'A/B test of versions on a prediction log (lift, p-values, SRM, power)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...REPO_OPTIONS,
      log: { type: 'string' },
      outcomes: { type: 'string' },
      missing: { type: 'string' },
      model: { type: 'string' },
      metric: { type: 'string' },
      split: { type: 'string' },
      control: { type: 'string' },
      alpha: { type: 'string' },
      tau: { type: 'string' },
      map: { type: 'string' },
      ...LOG_OPTIONS,
      md: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}': the log is given with --log FILE`);
    if (!values.log) throw new UsageError('give the prediction log: --log FILE (JSON Lines, CSV, Parquet or CloudEvents)');
    if (values.json && values.md) throw new UsageError('--json and --md: choose one');
    if (values.missing !== undefined && values.missing !== 'zero' && values.missing !== 'skip') throw new UsageError(`--missing ${values.missing}: give zero or skip`);
    const logOptions = parseLogOptions(values);
    let mapping;
    try {
      mapping = values.map ? parseMapping(values.map) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const dir = baseDir(values);
    const at = (f: string) => path.resolve(dir, f);
    try {
      const report = await runAbTest({
        log: at(values.log),
        ...(values.outcomes ? { outcomes: at(values.outcomes) } : {}),
        ...logOptions,
        ...(mapping ? { mapping } : {}),
        ...(values.model ? { model: values.model } : {}),
        ...(values.metric ? { metric: values.metric } : {}),
        ...(values.split ? { split: parseSplit(values.split) } : {}),
        ...(values.control ? { control: values.control } : {}),
        ...(values.missing ? { missingOutcome: values.missing as 'zero' | 'skip' } : {}),
        ...(values.alpha !== undefined ? { alpha: positiveNumber('alpha', values.alpha, 0.5) } : {}),
        ...(values.tau !== undefined ? { tau: positiveNumber('tau', values.tau) } : {}),
        resolve: await repoResolver(dir),
      });
      io.out(values.json ? JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) : values.md ? renderAbTestMarkdown(report) : renderAbTestText(report));
      return 0;
    } catch (e) {
      if (e instanceof EventLogError || e instanceof RepoError) throw new CliError(e.message, 1);
      if (e instanceof UsageError) throw e;
      if (e instanceof Error && !(e as NodeJS.ErrnoException).code) throw new CliError(e.message, 1);
      throw e;
    }
  },
};
