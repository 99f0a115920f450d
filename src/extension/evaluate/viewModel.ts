/** The comparison panel's view model and the CSV / JSON / Markdown exports of a comparison. */
import * as path from 'path';
import { LOWER_IS_BETTER, evaluationJson, runtimeLabel, type ComparisonReport, type ModelEvaluation } from '../../core/eval/evaluate';
import { labelFitWarningsOf } from '../../core/eval/labelFit';
import { fmtMetric, multipleLines, pairDetailLines, renderComparisonMarkdown, tooSmallLine } from '../../core/eval/report';
import { rocSeries, type RocSeries } from '../../core/eval/roc';
import { toCsv, type CsvValue } from '../../core/util/csv';
import type { CompareMetricChart, CompareRocView, CompareViewModel, ExportFormat } from '../../shared/compareProtocol';

/** What modelVersions.compareModels returns: the core report plus each model's evaluation (no per-row predictions). */
export interface CompareResult extends ComparisonReport {
  evaluations: Omit<ModelEvaluation, 'predictions'>[];
  dataset: { file: string; rows: number; label: string; task: string };
  host: string;
  /** the dataset's warnings (rows dropped, …) */
  warnings: string[];
  /** the label column does not fit the models' output (src/core/eval/labelFit.ts) */
  labelWarnings: string[];
  /** classification: each model's ROC curves (at most 200 points each), in model order */
  roc: { model: string; curves: RocSeries[] }[];
}

export function compareResult(report: ComparisonReport, evals: ModelEvaluation[], host: string, warnings: string[]): CompareResult {
  const a = evals[0];
  return {
    ...report,
    evaluations: evals.map(evaluationJson),
    dataset: { file: a.dataset.file, rows: a.rows, label: a.dataset.label, task: a.task },
    host,
    warnings,
    labelWarnings: labelFitWarningsOf(evals),
    roc: evals.map((e) => ({
      model: e.label,
      curves: e.task !== 'regression' && e.predictions.probabilities && e.classNames ? rocSeries(e.predictions.yTrue, e.predictions.probabilities, e.classNames) : [],
    })),
  };
}

/** Metrics on one scale, charted side by side. */
const CHART_METRICS = { classification: ['accuracy', 'precisionMacro', 'recallMacro', 'f1Macro', 'rocAuc'], regression: ['rmse', 'mae'] };

function metricChart(r: CompareResult): CompareMetricChart | undefined {
  const regression = r.task === 'regression';
  const metrics = CHART_METRICS[regression ? 'regression' : 'classification'].filter((m) => r.evaluations.some((e) => Number.isFinite(e.metrics[m])));
  if (!metrics.length) return undefined;
  const num = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
  return {
    metrics,
    series: r.evaluations.map((e) => ({
      model: e.label,
      values: metrics.map((m) => num(e.metrics[m])),
      lo: metrics.map((m) => num(e.cv[m]?.ci95[0])),
      hi: metrics.map((m) => num(e.cv[m]?.ci95[1])),
    })),
    best: metrics.map((m) => bestOf(m, r.evaluations.map((e) => e.metrics[m]))),
    lowerIsBetter: metrics.map((m) => LOWER_IS_BETTER.has(m)),
    fraction: !regression,
  };
}

function rocView(r: CompareResult): CompareRocView | undefined {
  const names = r.evaluations[0]?.classNames;
  const curves = (r.roc ?? []).flatMap((m) => m.curves.map((c) => ({ model: m.model, classIndex: c.classIndex, auc: c.auc, fpr: c.fpr, tpr: c.tpr })));
  if (!names || !curves.length) return undefined;
  return { binary: names.length === 2, classNames: names, classes: [...new Set(curves.map((c) => c.classIndex))].sort((a, b) => a - b), curves };
}

/** What the panel says about the cache (which models' outputs were reused). */
function cacheNotes(r: CompareResult): string[] {
  const reused = r.evaluations.filter((e) => e.cache?.hit);
  if (!reused.length) return [];
  return [
    `Reused cached outputs of ${reused.map((e) => e.label).join(', ')} (same model bytes, data and settings): the evaluation host did not run ${reused.length === 1 ? 'it' : 'them'} again.`,
  ];
}

/** Metrics in the order of the first evaluation, then any others. */
function metricNames(r: CompareResult): string[] {
  const names: string[] = [];
  for (const e of r.evaluations) for (const k of Object.keys(e.metrics)) if (!names.includes(k)) names.push(k);
  return names;
}

function bestOf(metric: string, values: (number | undefined)[]): number[] {
  const finite = values.map((v, i) => [v, i] as const).filter(([v]) => v !== undefined && Number.isFinite(v)) as [number, number][];
  if (finite.length < 2) return [];
  const lower = LOWER_IS_BETTER.has(metric);
  const best = finite.reduce((m, [v]) => (lower ? Math.min(m, v) : Math.max(m, v)), lower ? Infinity : -Infinity);
  if (finite.every(([v]) => v === best)) return [];
  return finite.filter(([v]) => v === best).map(([, i]) => i);
}

export function toCompareViewModel(r: CompareResult, title: string): CompareViewModel {
  const labels = r.evaluations.map((e) => e.label);
  const folds = r.evaluations[0]?.cvFolds ?? 0;
  return {
    title,
    subtitle: `${r.task} · ${r.dataset.rows.toLocaleString('en-US')} rows · label '${r.dataset.label}' · ${path.basename(r.dataset.file)} · host ${r.host} (${[...new Set(r.evaluations.map(runtimeLabel))].join(', ')}) · α = ${r.alpha}`,
    models: labels,
    roles: labels.map((_, i) => (i === 0 ? 'baseline' : 'candidate')),
    cvFolds: folds,
    metrics: metricNames(r).map((m) => {
      const vals = r.evaluations.map((e) => e.metrics[m]);
      return {
        metric: m,
        values: vals.map((v) => fmtMetric(v)),
        best: bestOf(m, vals),
        cv: r.evaluations.map((e) => {
          const c = e.cv[m];
          return c ? `${fmtMetric(c.mean)} ± ${fmtMetric(c.std)} [${fmtMetric(c.ci95[0])}, ${fmtMetric(c.ci95[1])}]` : '';
        }),
      };
    }),
    pairs: r.pairs.map((p) => ({
      baseline: p.baseline,
      candidate: p.candidate,
      verdict: p.verdict,
      text: p.text,
      // the same detail lines as the CLI: McNemar counts and p; each metric's Δ, interval and p
      ...(() => {
        const lines = pairDetailLines(r, p, false);
        return { mcnemar: p.mcnemar ? lines[0] : '', metrics: p.mcnemar ? lines.slice(1) : lines, tooSmall: tooSmallLine(r, p) ?? '' };
      })(),
    })),
    ...(() => {
      const m = multipleLines(r);
      return m ? { multiple: m } : {};
    })(),
    confusions: r.evaluations
      .filter((e) => e.confusion && e.classNames)
      .map((e) => ({ model: e.label, classNames: e.classNames!, matrix: e.confusion! })),
    warnings: r.warnings,
    labelWarnings: r.labelWarnings ?? [],
    notes: cacheNotes(r),
    chart: metricChart(r),
    roc: rocView(r),
  };
}

/** CSV: one row per model and metric, with the test-set resampling spread and the verdict against the baseline. */
export function renderComparisonCsv(r: CompareResult): string {
  const rows: CsvValue[][] = [['model', 'metric', 'value', 'resampled_mean', 'resampled_std', 'resampled_ci95_low', 'resampled_ci95_high', 'verdict_vs_baseline']];
  for (const [i, e] of r.evaluations.entries()) {
    const verdict = i === 0 ? 'baseline' : (r.pairs[i - 1]?.verdict ?? '');
    for (const [m, v] of Object.entries(e.metrics)) {
      const c = e.cv[m];
      rows.push([e.label, m, v, c?.mean, c?.std, c?.ci95[0], c?.ci95[1], verdict]);
    }
  }
  return toCsv(rows);
}

export function renderExport(r: CompareResult, format: ExportFormat): string {
  switch (format) {
    case 'csv':
      return renderComparisonCsv(r);
    case 'json':
      return JSON.stringify(r, null, 2) + '\n';
    case 'md':
      return renderComparisonMarkdown(r, undefined, r.labelWarnings ?? []);
  }
}
