/** The comparison panel's view model and the CSV / JSON / Markdown exports of a comparison. */
import * as path from 'path';
import { LOWER_IS_BETTER, evaluationJson, runtimeLabel, type ComparisonReport, type ModelEvaluation } from '../../core/eval/evaluate';
import { labelFitWarningsOf } from '../../core/eval/labelFit';
import { fmtMetric, multipleLines, pairDetailLines, renderComparisonMarkdown, tooSmallLine } from '../../core/eval/report';
import { rocSeries, type RocSeries } from '../../core/eval/roc';
import { compareSlices, type SliceComparison } from '../../core/eval/slices';
import type { Dataset } from '../../core/eval/dataset';
import { toCsv, type CsvValue } from '../../core/util/csv';
import type { CompareDisagreementView, CompareMetricChart, CompareRocView, CompareSliceView, CompareViewModel, ExportFormat } from '../../shared/compareProtocol';

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
  /** classification: the comparison per true class (src/core/eval/slices.ts) */
  byClass?: SliceComparison;
  /** classification with the dataset's features: the rows where the models do not all agree on right/wrong */
  disagreements?: Disagreements;
}

/** Rows some models get right and others wrong: their features, label and each model's prediction. */
export interface Disagreements {
  features: string[];
  /** all such rows (only the first MAX_DISAGREEMENTS are kept) */
  total: number;
  /** row: 1-based among the evaluated rows (rows dropped for missing values are not counted) */
  rows: { row: number; label: string; features: number[]; predictions: string[]; right: boolean[] }[];
}

/** Rows kept in a comparison (and its exports); the panel shows the first DISAGREEMENTS_SHOWN. */
export const MAX_DISAGREEMENTS = 5000;
export const DISAGREEMENTS_SHOWN = 200;

/** The rows the models disagree on (right vs wrong), with their features from the dataset. */
export function disagreementsOf(evals: ModelEvaluation[], ds?: Pick<Dataset, 'features' | 'featureCount' | 'featureNames' | 'rowCount'>): Disagreements | undefined {
  const a = evals[0];
  if (!a || a.task === 'regression' || !ds || ds.rowCount !== a.rows) return undefined;
  const names = a.classNames ?? [];
  const name = (c: number) => names[c] ?? String(c);
  const yTrue = a.predictions.yTrue;
  const rows: Disagreements['rows'] = [];
  let total = 0;
  for (let i = 0; i < a.rows; i++) {
    const right = evals.map((e) => e.predictions.yPred[i] === yTrue[i]);
    if (right.every((r) => r) || right.every((r) => !r)) continue;
    total++;
    if (rows.length >= MAX_DISAGREEMENTS) continue;
    rows.push({
      row: i + 1,
      label: name(yTrue[i]),
      features: Array.from(ds.features.subarray(i * ds.featureCount, (i + 1) * ds.featureCount)),
      predictions: evals.map((e) => name(e.predictions.yPred[i])),
      right,
    });
  }
  return { features: ds.featureNames, total, rows };
}

/** CSV of the disagreements: row, label, the features, then each model's prediction and whether it is right. */
export function renderDisagreementsCsv(r: CompareResult): string {
  const d = r.disagreements;
  const models = r.evaluations.map((e) => e.label);
  const head = ['row', r.dataset.label, ...(d?.features ?? []), ...models.flatMap((m) => [`${m} prediction`, `${m} right`])];
  return toCsv([head, ...(d?.rows ?? []).map((x) => [x.row, x.label, ...x.features, ...x.predictions.flatMap((p, i) => [p, x.right[i] ? 'yes' : 'no'])])]);
}

export function compareResult(report: ComparisonReport, evals: ModelEvaluation[], host: string, warnings: string[], ds?: Pick<Dataset, 'features' | 'featureCount' | 'featureNames' | 'rowCount'>): CompareResult {
  const a = evals[0];
  const cls = a.task !== 'regression';
  const disagreements = disagreementsOf(evals, ds);
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
    ...(cls && (a.classNames?.length ?? 0) > 1 ? { byClass: compareSlices(evals, { alpha: report.alpha }) } : {}),
    ...(disagreements ? { disagreements } : {}),
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
    ...(r.byClass ? { byClass: sliceView(r.byClass, labels) } : {}),
    ...(r.disagreements ? { disagreements: disagreementView(r.disagreements, labels, r.dataset.label) } : {}),
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

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '—');
const fp = (x: number) => (!Number.isFinite(x) ? '—' : x < 0.001 ? '< 0.001' : x.toFixed(3));

/** The per-class table: a row per true class, each model's accuracy on it, each candidate's Holm-adjusted p and verdict. */
function sliceView(s: SliceComparison, models: string[]): CompareSliceView {
  return {
    title: `By true class: each model's accuracy on the rows of each class; each candidate against the baseline by McNemar's test per class, Holm-adjusted over the ${s.slices.reduce((n, x) => n + x.pairs.filter((p) => Number.isFinite(p.pValue)).length, 0)} tests of this table`,
    head: ['true class', 'rows', ...models, ...models.slice(1).map((m) => `p (Holm) ${m}`)],
    rows: s.slices.map((x) => [x.value, x.rows.toLocaleString('en-US'), ...x.metric.map(f4), ...x.pairs.map((p) => `${fp(p.pHolm)}${p.verdict === 'B better' ? ' · better' : p.verdict === 'B worse' ? ' · worse' : ''}`)]),
    verdicts: s.slices.map((x) => x.pairs.map((p) => p.verdict)),
    omitted: s.omitted,
  };
}

/** The first DISAGREEMENTS_SHOWN disagreements as strings; at most 8 feature columns (the export has all). */
function disagreementView(d: Disagreements, models: string[], label: string): CompareDisagreementView {
  const feats = d.features.slice(0, 8);
  const num = (v: number) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(5)).toString());
  return {
    total: d.total,
    shown: Math.min(d.rows.length, DISAGREEMENTS_SHOWN),
    moreFeatures: d.features.length - feats.length,
    head: ['row', label, ...feats, ...models],
    rows: d.rows.slice(0, DISAGREEMENTS_SHOWN).map((x) => [String(x.row), x.label, ...x.features.slice(0, feats.length).map(num), ...x.predictions]),
    right: d.rows.slice(0, DISAGREEMENTS_SHOWN).map((x) => x.right),
  };
}

