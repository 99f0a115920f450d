/**
 * `modelver cv`: real k-fold cross-validation through the user's training command
 * (src/core/eval/crossValidate.ts), and the 5×2cv paired F-test of two training recipes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CliIO } from '../main';
import { UsageError, CliError } from '../errors';
import { parse } from './repoCommon';
import { EVAL_OPTIONS, HostOpener, asCliError, evalSettings, loadEvalDataset, resolveModel } from './evaluate';
import { checkTemplate, recordCrossValidation, renderCrossValidation, runCrossValidation } from '../../core/eval/crossValidate';
import { EvaluationError } from '../../core/eval/errors';

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
  --train-of M@V     the training command recorded (by --record / Cross-Validate…) in that version's
                     notes, in place of a --train: \`--train-of m.onnx@v2 --train-of m.onnx@v3\`
                     compares the recipes of two versions
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
  --label, --task, --features, --input-shape, --output, --batch, --classes, --host,
  --token-file, --provider: as in \`modelver evaluate\`
  --json | --md      the report as JSON (per-fold metrics as numbers) or Markdown

exit status: 0 done, 1 a command or an evaluation failed, 2 usage error`;


export const cvCommand = {
  summary: 'k-fold cross-validation through your training command; 5×2cv F-test of two recipes',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...EVAL_OPTIONS,
      train: { type: 'string', multiple: true },
      'train-of': { type: 'string', multiple: true },
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
    // the recipes in the order given: --train CMD and --train-of M@V (a recorded command) mixed
    const trains: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const m = /^--(train|train-of)(?:=(.*))?$/s.exec(args[i]);
      if (!m) continue;
      const v = m[2] ?? args[++i];
      trains.push(m[1] === 'train' ? v : await recordedCommand(v, path.resolve((values.C as string | undefined) ?? '.')));
    }
    if (!trains.length) throw new UsageError('missing --train "CMD {train} {valid} {out}"');
    if (trains.length > 2) throw new UsageError('give --train once (cross-validate a recipe) or twice (compare two recipes)');
    for (const t of trains) {
      try {
        checkTemplate(t);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
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
    let host: HostOpener | undefined;
    let tmpDir: string | undefined;
    try {
      const record = values.record ? await resolveModel(values.record as string, base, () => (tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-cv-'))), 0) : undefined;
      if (record && !record.version) throw new UsageError('--record needs a committed version: <model>@<version> (e.g. models/m.onnx@v3)');
      host = new HostOpener(values as never, base, true);
      const report = await runCrossValidation({
        trains,
        spec,
        baseDir: base,
        k,
        repeats,
        seed,
        stratify: !!values.stratify,
        group: values.group as string | undefined,
        timeoutMs,
        outName,
        metric: values.metric as string | undefined,
        evalOptions: opts,
        host: host.get,
        loadDataset: (s) => loadEvalDataset(s, base),
        onLog: (line) => io.err(line),
        onOutput: (chunk) => io.err(chunk.replace(/\n$/, '')),
      });
      if (record?.version) {
        const key = await recordCrossValidation(record.version.repo, record.version.model, record.version.ref, report);
        io.err(`recorded in the notes of ${path.relative(base, record.version.model) || record.version.model} v${record.version.version} (key ${key.slice(0, 12)})`);
      }
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else io.out(renderCrossValidation(report, !!values.md));
      return 0;
    } catch (e) {
      if (e instanceof EvaluationError) throw new CliError(e.message);
      throw asCliError(e, 1);
    } finally {
      host?.dispose();
      if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  },
};

/** The training command of the latest cross-validation recorded in a version's notes (`--train-of`). */
async function recordedCommand(spec: string, base: string): Promise<string> {
  let tmp: string | undefined;
  try {
    const m = await resolveModel(spec, base, () => (tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-cv-'))), 0);
    if (!m.version) throw new UsageError(`--train-of needs a committed version: <model>@<version>, not '${spec}'`);
    const md = (await m.version.repo.getMetadata(m.version.model, m.version.ref)) as { crossValidations?: Record<string, { date?: string; recipes?: { command?: string }[] }> } | undefined;
    const runs = Object.values(md?.crossValidations ?? {}).filter((r) => r.recipes?.length === 1 && typeof r.recipes[0].command === 'string');
    if (!runs.length) {
      throw new CliError(`${spec} has no recorded cross-validation to take its training command from: run \`modelver cv --train "…" --record ${spec}\` (or Cross-Validate… on it) first.`);
    }
    runs.sort((a, b) => (a.date ?? '').localeCompare(b.date ?? ''));
    return runs[runs.length - 1].recipes![0].command!;
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

