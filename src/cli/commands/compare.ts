import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareModels, evaluateModel, evaluationJson, gate, parseGateRule, type GateRule, type ModelEvaluation } from '../../core/eval/evaluate';
import { labelFitWarningsOf } from '../../core/eval/labelFit';
import { assertRunnable } from '../../core/eval/runnable';
import { renderComparisonMarkdown, renderComparisonText } from '../../core/eval/report';
import { CliError, UsageError } from '../errors';
import type { CliIO } from '../main';
import { DATA_OPTIONS_HELP, EVAL_OPTIONS, HostOpener, asCliError, cacheLine, evalSettings, loadEvalDataset, openEvalCache, recordedClassNames, resolveModel } from './evaluate';
import { progressBarFor } from '../progress';
import { compareSlices, renderSlices, type SliceComparison } from '../../core/eval/slices';
import { columnValues, readRawTable } from '../../core/eval/crossValidate';
import { parse } from './repoCommon';

const usage = `usage: modelver compare <A> <B> [<C>…] --data FILE --label COL [--metric M] [--alpha 0.05]
                       [--gate [RULE | --min-delta X]] [--json | --md]

Evaluate several models on the same rows and test each candidate against the baseline: McNemar's
test on per-row correctness (classification) and a paired bootstrap interval of the difference in
the main metric (and log-loss / R²), with a verdict: better than the baseline, worse than the
baseline, or no significant difference (in --json: "B better", "B worse", "no significant
difference", B being the candidate). A warning says when the label's values do not fit the models'
output (a continuous label for a classifier, class labels that are not 0 … K−1).

  <A> <B> …           model files or <model-file>@<version> (e.g. models/m.onnx@v1 models/m.onnx@v2):
                      the first is the baseline, the others are candidates. Put the older version
                      first (as the extension's Compare Models does: the older version is the baseline)
${DATA_OPTIONS_HELP}
  --metric M          the main metric (default accuracy; regression rmse): accuracy, f1Macro, f1Weighted,
                      logLoss, rocAuc | mse, rmse, mae, r2
  --alpha A           significance level (default 0.05)
  --rounds N          bootstrap resamples (default 1000)
  --gate              exit 1 when the last model (the candidate) is significantly worse than the first
                      (the baseline) on the main metric, or worse by more than --min-delta
  --min-delta X       with --gate: the largest tolerated loss on the main metric (metric units)
  --gate RULE         instead: a rule on the candidate, e.g. "f1 >= baseline - 0.01", "accuracy > 0.9",
                      "logLoss <= baseline + 0.02" (f1/precision/recall are macro averages; auc, loss)
  --by-class          also compare per true class: each model's accuracy on the rows of each class,
                      McNemar per class, Holm-adjusted over the table
  --slice COL         also compare per value of the data's column COL (e.g. device): each model's
                      main metric on each slice and a paired test per slice, Holm-adjusted (repeatable)
  --json              print JSON
  --md                print Markdown (for a pull-request comment or $GITHUB_STEP_SUMMARY)

exit status: 0 compared (and the gate passed), 1 the gate failed, 2 error`;

export const compareCommand = {
  summary: 'evaluate models on the same data and test the differences (CI gate)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    // `--gate "f1 >= baseline - 0.01"`: a rule right after --gate (parseArgs knows --gate only as a switch)
    const gi = args.indexOf('--gate');
    let ruleText: string | undefined;
    if (gi >= 0 && gi + 1 < args.length && /[<>]/.test(args[gi + 1])) {
      ruleText = args[gi + 1];
      args = [...args.slice(0, gi + 1), ...args.slice(gi + 2)];
    }
    const { values, positionals } = parse(args, {
      ...EVAL_OPTIONS,
      metric: { type: 'string' },
      alpha: { type: 'string' },
      rounds: { type: 'string' },
      gate: { type: 'boolean' },
      'min-delta': { type: 'string' },
      md: { type: 'boolean' },
      'by-class': { type: 'boolean' },
      slice: { type: 'string', multiple: true },
    });
    if (positionals.length < 2) throw new UsageError(positionals.length ? 'missing the second model' : 'missing the models to compare');
    if (values.json && values.md) throw new UsageError('--json and --md cannot be used together');
    const { spec, opts, seed } = evalSettings(values);
    const alpha = values.alpha === undefined ? 0.05 : Number(values.alpha);
    if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha must be in (0, 1), not '${values.alpha}'`);
    const rounds = values.rounds === undefined ? 1000 : Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 10) throw new UsageError(`--rounds must be a whole number ≥ 10, not '${values.rounds}'`);
    const minDelta = values['min-delta'] === undefined ? undefined : Number(values['min-delta']);
    if (minDelta !== undefined && !(minDelta >= 0)) throw new UsageError(`--min-delta must be a number ≥ 0, not '${values['min-delta']}'`);
    if (minDelta !== undefined && !values.gate) throw new UsageError('--min-delta needs --gate');
    let rule: GateRule | undefined;
    if (ruleText !== undefined) {
      try {
        rule = parseGateRule(ruleText);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (minDelta !== undefined) throw new UsageError('give either a gate rule or --min-delta, not both');
    }
    const base = path.resolve(values.C ?? '.');
    let tmpDir: string | undefined;
    const tmp = () => (tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-compare-')));
    let opener: HostOpener | undefined;
    try {
      const models = [];
      for (const [i, arg] of positionals.entries()) models.push(await resolveModel(arg, base, tmp, i));
      for (const m of models) await assertRunnable(m.file, m.label); // before the host starts
      const cache = await openEvalCache(values, base, models);
      opener = new HostOpener(values, base, !cache);
      const host = opener.get;
      const ds = await loadEvalDataset(spec, base);
      const results: ModelEvaluation[] = [];
      const bar = progressBarFor(io.errStream, { json: values.json });
      for (const [i, m] of models.entries()) {
        bar?.restart(`${m.label} (${i + 1}/${models.length})`);
        let ev: ModelEvaluation;
        try {
          ev = await evaluateModel({ file: m.file, label: m.label }, ds, host, { ...opts, task: ds.task, cache, knownClassNames: await recordedClassNames(m), onProgress: bar && ((p) => bar.update(p)) });
        } finally {
          bar?.done();
        }
        const reused = cacheLine(ev);
        if (reused) io.err(reused);
        results.push(ev);
      }
      const rep = compareModels(results, { alpha, bootstrapRounds: rounds, seed, metric: values.metric });
      const slices: SliceComparison[] = [];
      if (values['by-class']) slices.push(compareSlices(results, { alpha, seed }));
      const sliceCols = (values.slice as string[] | undefined) ?? [];
      if (sliceCols.length) {
        // the slice column's values per row, from the file as written (rows dropped for missing values would misalign them)
        const table = readRawTable(ds.file);
        if (table.rows.length !== ds.rowCount) {
          throw new CliError(`--slice needs every row of ${path.basename(ds.file)}: ${table.rows.length - ds.rowCount} rows with missing values were dropped from the evaluation. Remove or fill them in the file first.`);
        }
        for (const col of sliceCols) slices.push(compareSlices(results, { by: col, values: columnValues(table, col, 'slice column'), alpha, seed }));
      }
      const g = values.gate ? gate(rep, { minDelta, rule }) : undefined;
      const fit = labelFitWarningsOf(results);
      if (values.json) {
        io.out(JSON.stringify({ ...rep, ...(slices.length ? { slices } : {}), gate: g ?? null, warnings: [...ds.warnings, ...fit], evaluations: results.map((r) => ({ ...evaluationJson(r), file: undefined })) }, null, 2));
      } else {
        for (const w of [...ds.warnings, ...fit]) io.err(`warning: ${w}`);
        const labels = rep.models.map((m) => m.label);
        const sliceText = slices.flatMap((s) => ['', ...renderSlices(s, labels, !!values.md)]);
        io.out((values.md ? renderComparisonMarkdown(rep, g, fit) : renderComparisonText(rep, g)) + (sliceText.length ? '\n' + sliceText.join('\n') : ''));
      }
      return g && !g.pass ? 1 : 0;
    } catch (e) {
      const c = asCliError(e, 2);
      if (c instanceof UsageError || c instanceof CliError) throw c;
      const err = c as Error;
      throw new CliError(`unexpected error: ${err?.stack ?? String(c)}`, 2);
    } finally {
      opener?.dispose();
      if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  },
};
