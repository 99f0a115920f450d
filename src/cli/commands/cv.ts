/**
 * `modelver cv`: real k-fold cross-validation through the user's training command
 * (src/core/eval/crossValidate.ts), and the 5×2cv paired F-test of two training recipes.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CliIO } from '../main';
import { UsageError, CliError } from '../errors';
import { parse } from './repoCommon';
import { EVAL_OPTIONS, HostOpener, asCliError, evalSettings, loadEvalDataset, resolveModel } from './evaluate';
import { assignFolds, checkTemplate, columnValues, complement, fillCommand, fiveByTwoF, readRawTable, runCommand, summarizeFolds, writeRows } from '../../core/eval/crossValidate';
import { evaluateModel } from '../../core/eval/evaluate';
import type { Dataset, DatasetTask } from '../../core/eval/dataset';
import { readModelSummary } from '../../core/formats';
import { EvaluationError } from '../../core/eval/errors';

const isClassification = (t: DatasetTask): boolean => t !== 'regression';

const usage = `usage: modelver cv --train "CMD {train} {valid} {out}" --data FILE --label COL [-k 5] [--repeats N]
                  [--stratify] [--group COL] [--seed N] [--timeout S] [--out-name model.onnx]
                  [--train "CMD2 …"] [--metric M] [--record <model>@<version>] [--json | --md]

Real k-fold cross-validation: the data is split into k folds; for each fold the other folds' rows are
written as a training file and the fold's rows as a validation file (in the input's format: CSV, TSV,
JSON or JSON Lines), your training command runs with {train}, {valid}, {out} and {fold} replaced, and the
model it writes to {out} is evaluated on the validation rows through the evaluation host. Each fold
trains a model: this estimates how well the recipe generalises, unlike \`modelver evaluate\`'s
resampling interval of one test set.

  --train CMD        the training command (no shell runs it: words are split as a shell would, quotes
                     and backslashes honoured; pipes, globs and variables are not). Its output is shown
                     as it runs; a command that fails, runs past --timeout or writes no model stops the run
  --train CMD2       a second time: compare two recipes with Alpaydin's 5×2cv paired F-test (5
                     repetitions of 2-fold CV on the same splits; -k and --repeats are then 2 and 5)
  -k K               folds (default 5)
  --repeats N        repeat with seeds seed, seed+1, … (default 1)
  --stratify         each fold keeps the label's class proportions
  --group COL        rows with the same value of COL stay in one fold (e.g. a user id)
  --seed N           seed of the fold assignment (default 1)
  --timeout S        stop a training command after S seconds (default 3600)
  --out-name NAME    the file name {out} stands for, which sets the model format (default model.onnx)
  --metric M         the metric the recipe comparison uses (default accuracy; regression rmse)
  --record M@V       store the run (commands, data sha256, folds, seed, per-fold results) in the
                     repository notes of that version
  --label, --task, --features, --output, --batch, --classes, --host, --token-file, --provider: as in
                     \`modelver evaluate\`
  --json | --md      the report as JSON (per-fold metrics as numbers) or Markdown

exit status: 0 done, 1 a command or an evaluation failed, 2 usage error`;

interface FoldResult {
  repeat: number;
  fold: number;
  trainRows: number;
  validRows: number;
  trainMs: number;
  metrics: Record<string, number>;
}

interface RecipeResult {
  command: string;
  folds: FoldResult[];
  summary: Record<string, { mean: number; std: number; ci95: [number, number]; n: number }>;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '—');

export const cvCommand = {
  summary: 'k-fold cross-validation through your training command; 5×2cv F-test of two recipes',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...EVAL_OPTIONS,
      train: { type: 'string', multiple: true },
      k: { type: 'string', short: 'k' },
      repeats: { type: 'string' },
      stratify: { type: 'boolean' },
      group: { type: 'string' },
      timeout: { type: 'string' },
      'out-name': { type: 'string' },
      metric: { type: 'string' },
      record: { type: 'string' },
      md: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const trains = (values.train as string[] | undefined) ?? [];
    if (!trains.length) throw new UsageError('missing --train "CMD {train} {valid} {out}"');
    if (trains.length > 2) throw new UsageError('give --train once (cross-validate a recipe) or twice (compare two recipes)');
    const words = trains.map((t) => {
      try {
        return checkTemplate(t);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    });
    const num = (v: unknown, name: string, min: number, dflt: number): number => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, not '${String(v)}'`);
      return n;
    };
    const comparing = trains.length === 2;
    if (comparing && ((values.k !== undefined && values.k !== '2') || (values.repeats !== undefined && values.repeats !== '5'))) {
      throw new UsageError('comparing two recipes runs the 5×2cv test: 5 repetitions of 2 folds (leave out -k and --repeats)');
    }
    const k = comparing ? 2 : num(values.k, '-k', 2, 5);
    const repeats = comparing ? 5 : num(values.repeats, '--repeats', 1, 1);
    const seed = num(values.seed, '--seed', 0, 1);
    const timeoutMs = num(values.timeout, '--timeout', 1, 3600) * 1000;
    const outName = (values['out-name'] as string | undefined) ?? 'model.onnx';
    if (outName !== path.basename(outName) || outName.startsWith('.')) throw new UsageError(`--out-name must be a plain file name such as model.onnx, not '${outName}'`);
    if (values.stratify && values.group) throw new UsageError('--stratify and --group cannot be combined: groups decide the folds');
    const { spec, opts } = evalSettings({ ...values, folds: '0' } as never);
    const base = path.resolve((values.C as string | undefined) ?? '.');
    const dataFile = path.resolve(base, spec.file);
    let host: HostOpener | undefined;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-cv-'));
    try {
      if (!fs.existsSync(dataFile)) throw new CliError(`${spec.file} does not exist.`);
      const record = values.record ? await resolveModel(values.record as string, base, () => work, 0) : undefined;
      if (record && !record.version) throw new UsageError('--record needs a committed version: <model>@<version> (e.g. models/m.onnx@v3)');
      // the whole data once: the task and the class list every fold is read with (a fold may lack a class)
      const full: Dataset = await loadEvalDataset(spec, base);
      const table = readRawTable(dataFile);
      const labelCol = spec.labelColumn === undefined ? -1 : spec.labelColumn;
      const strata = values.stratify ? columnValues(table, labelCol, 'label') : undefined;
      if (strata && !isClassification(full.task)) throw new UsageError('--stratify needs class labels; this label is a regression target');
      const groups = values.group ? columnValues(table, values.group as string, 'group column') : undefined;
      const n = table.rows.length;
      const dataSha = crypto.createHash('sha256').update(fs.readFileSync(dataFile)).digest('hex');
      const metric = (values.metric as string | undefined) ?? (isClassification(full.task) ? 'accuracy' : 'rmse');
      host = new HostOpener(values as never, base, true);
      const results: RecipeResult[] = trains.map((command) => ({ command, folds: [], summary: {} }));
      for (let r = 0; r < repeats; r++) {
        const folds = assignFolds(n, { k, seed: seed + r, strata, groups });
        for (let f = 0; f < k; f++) {
          const dir = path.join(work, `r${r + 1}-f${f + 1}`);
          fs.mkdirSync(dir);
          const ext = path.extname(dataFile);
          const train = path.join(dir, `train${ext}`);
          const valid = path.join(dir, `valid${ext}`);
          const trainRows = complement(n, folds[f]);
          writeRows(table, trainRows, train);
          writeRows(table, folds[f], valid);
          const validSet = await loadEvalDataset({ ...spec, file: valid, task: full.task, ...(full.classNames && !spec.classNames ? { classNames: full.classNames } : {}) }, base);
          for (const [ri, w] of words.entries()) {
            const out = path.join(dir, trains.length > 1 ? `recipe${ri + 1}-${outName}` : outName);
            const argv = fillCommand(w, { train, valid, out, fold: String(f + 1) });
            const where = `${repeats > 1 ? `repeat ${r + 1}, ` : ''}fold ${f + 1}/${k}${trains.length > 1 ? `, recipe ${ri + 1}` : ''}`;
            io.err(`── ${where}: ${argv.map((a) => (/[\s'"\\]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
            const run = await runCommand(argv, { cwd: base, timeoutMs, onOutput: (b) => io.err(b.toString('utf8').replace(/\n$/, '')) });
            const tail = run.tail.trim() ? `\n--- its last output ---\n${run.tail.trim().split('\n').slice(-20).join('\n')}` : ' (it printed nothing)';
            if (run.timedOut) throw new CliError(`the training command of ${where} ran past ${timeoutMs / 1000} s (--timeout) and was stopped; nothing after it ran.${tail}`);
            if (run.code !== 0) throw new CliError(`the training command of ${where} failed (${run.signal ? `killed by ${run.signal}` : `exit status ${run.code}`}); nothing after it ran.${tail}`);
            if (!fs.existsSync(out) || fs.statSync(out).size === 0) {
              throw new CliError(`the training command of ${where} finished but wrote no model to {out} (${out}): write the trained model to the path given in place of {out}.${tail}`);
            }
            try {
              await readModelSummary(out);
            } catch (e) {
              throw new CliError(`the training command of ${where} wrote ${path.basename(out)}, which is not a model it can evaluate: ${(e as Error).message}`);
            }
            const ev = await evaluateModel({ file: out, label: where }, validSet, host.get, { ...opts, task: full.task, folds: 0 });
            results[ri].folds.push({ repeat: r + 1, fold: f + 1, trainRows: trainRows.length, validRows: validSet.rowCount, trainMs: run.ms, metrics: ev.metrics });
          }
        }
      }
      for (const res of results) {
        const names = Object.keys(res.folds[0]?.metrics ?? {});
        for (const m of names) res.summary[m] = summarizeFolds(res.folds.map((f) => f.metrics[m]));
      }
      let comparison: { metric: string; differences: number[][]; f: number; df: [number, number]; pValue: number; better?: 1 | 2 } | undefined;
      if (comparing) {
        if (!(metric in results[0].summary)) throw new UsageError(`--metric ${metric} is not reported for this task; choose one of ${Object.keys(results[0].summary).join(', ')}`);
        const differences = Array.from({ length: 5 }, (_, r) => [0, 1].map((f) => results[0].folds[r * 2 + f].metrics[metric] - results[1].folds[r * 2 + f].metrics[metric]));
        const t = fiveByTwoF(differences);
        const lowerBetter = /^(logLoss|mse|rmse|mae)$/.test(metric);
        const d = results[0].summary[metric].mean - results[1].summary[metric].mean;
        comparison = { metric, differences, ...t, ...(t.pValue < 0.05 && d !== 0 ? { better: (d > 0) !== lowerBetter ? 1 : 2 } : {}) };
      }
      const report = {
        data: { file: path.relative(base, dataFile).startsWith('..') ? dataFile : path.relative(base, dataFile), sha256: dataSha, rows: n, label: full.labelName, task: full.task },
        k,
        repeats,
        seed,
        stratify: !!values.stratify,
        group: (values.group as string | undefined) ?? null,
        recipes: results,
        ...(comparison ? { comparison } : {}),
      };
      if (record?.version) {
        const key = crypto.createHash('sha256').update(JSON.stringify({ trains, dataSha, k, repeats, seed, stratify: !!values.stratify, group: values.group ?? null })).digest('hex');
        await record.version.repo.addMetadata(record.version.model, record.version.version, { crossValidations: { [key]: { ...report, date: new Date().toISOString() } } });
        io.err(`recorded in the notes of ${path.relative(base, record.version.model) || record.version.model} v${record.version.version} (key ${key.slice(0, 12)})`);
      }
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else io.out(renderCv(report, !!values.md));
      return 0;
    } catch (e) {
      if (e instanceof EvaluationError) throw new CliError(e.message);
      throw asCliError(e, 1);
    } finally {
      host?.dispose();
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
};

function renderCv(
  rep: { data: { file: string; rows: number; label: string; task: string }; k: number; repeats: number; seed: number; stratify: boolean; group: string | null; recipes: RecipeResult[]; comparison?: { metric: string; f: number; pValue: number; better?: 1 | 2 } },
  md: boolean,
): string {
  const lines: string[] = [];
  const how = `${rep.k}-fold cross-validation${rep.repeats > 1 ? ` × ${rep.repeats} repeats` : ''}${rep.stratify ? ', stratified' : ''}${rep.group ? `, grouped by ${rep.group}` : ''}, seed ${rep.seed}`;
  lines.push(md ? `### Cross-validation of ${rep.data.file}` : `${how} of ${rep.data.file} (${rep.data.rows} rows, label '${rep.data.label}', ${rep.data.task}); each fold trains a model`);
  if (md) lines.push('', `${how}; ${rep.data.rows} rows, label \`${rep.data.label}\`, ${rep.data.task}; each fold trains a model.`);
  for (const [i, r] of rep.recipes.entries()) {
    const names = Object.keys(r.summary);
    lines.push('', md ? `**Recipe${rep.recipes.length > 1 ? ` ${i + 1}` : ''}:** \`${r.command}\`` : `recipe${rep.recipes.length > 1 ? ` ${i + 1}` : ''}: ${r.command}`, '');
    // a row per metric: its value on each fold, then the mean ± std and the 95% interval of the mean
    const head = ['metric', ...r.folds.map((f) => `${rep.repeats > 1 ? `${f.repeat}.` : 'fold '}${f.fold}`), 'mean ± std', '95% interval'];
    const rows = names.map((m) => [m, ...r.folds.map((f) => fmt(f.metrics[m])), `${fmt(r.summary[m].mean)} ± ${fmt(r.summary[m].std)}`, `[${fmt(r.summary[m].ci95[0])}, ${fmt(r.summary[m].ci95[1])}]`]);
    if (md) {
      lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, j) => (j ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`));
    } else {
      const w = head.map((h, j) => Math.max(h.length, ...rows.map((x) => x[j].length)));
      lines.push(head.map((h, j) => (j ? h.padStart(w[j]) : h.padEnd(w[j]))).join('  '), ...rows.map((x) => x.map((c, j) => (j ? c.padStart(w[j]) : c.padEnd(w[j]))).join('  ')));
    }
  }
  if (rep.comparison) {
    const c = rep.comparison;
    const p = c.pValue < 0.001 ? 'p < 0.001' : `p = ${c.pValue.toFixed(3)}`;
    lines.push('', `5×2cv paired F-test on ${c.metric}: F = ${fmt(c.f)} (df 10, 5), ${p} → ${c.better ? `recipe ${c.better} is better at α = 0.05` : 'no significant difference between the recipes at α = 0.05'}`);
  }
  if (rep.repeats > 1 && !rep.comparison) lines.push('', 'note: the folds of repeated runs share rows, so the interval over all of them is narrower than it should be (Dietterich, 1998).');
  return lines.join('\n');
}
