/**
 * The typed message contract between the extension host and the model comparison panel
 * (webview-ui/compare/main.ts). Same handshake as the other panels: the webview posts
 * `{ type: 'ready' }` once its script runs; only then does the host send. The host sends a small view
 * model (strings ready to show), never per-row predictions.
 */

export interface CompareMetricRow {
  metric: string;
  /** one formatted value per model, in model order */
  values: string[];
  /** indices of the best model(s) on this metric (empty when not comparable) */
  best: number[];
  /** one 'mean ± std [lo, hi]' per model ('' without test-set resampling) */
  cv: string[];
}

export interface ComparePairView {
  baseline: string;
  candidate: string;
  /** the machine verdict ('B better' | 'B worse' | 'no significant difference'; B = the candidate): for styling only */
  verdict: string;
  /** the verdict in words, said once: 'better than the baseline at α = 0.05' (shown after the candidate's name) */
  text: string;
  /** McNemar line ('' for regression) */
  mcnemar: string;
  /** one line per bootstrapped metric */
  metrics: string[];
  /** not significant: how many rows would detect a difference of this size ('' otherwise) */
  tooSmall: string;
}

/** The comparison per true class: strings ready to show. */
export interface CompareSliceView {
  title: string;
  head: string[];
  rows: string[][];
  /** per row, per candidate: 'B better' | 'B worse' | 'no significant difference' (styling) */
  verdicts: string[][];
  omitted: number;
}

/** Rows where some models are right and others wrong (the first few; the export has them all). */
export interface CompareDisagreementView {
  total: number;
  shown: number;
  /** feature columns left out of the table (the export has them) */
  moreFeatures: number;
  /** row, label, features…, one prediction per model */
  head: string[];
  rows: string[][];
  /** per row, per model: right or wrong */
  right: boolean[][];
}

/** Three or more classifiers: Cochran's Q over all of them, then every pair (McNemar, Holm-adjusted). */
export interface CompareMultipleView {
  summary: string;
  pairs: string[];
}

export interface CompareConfusionView {
  model: string;
  classNames: string[];
  /** confusion[true][predicted] */
  matrix: number[][];
}

/** One bar series of the metric chart: a model's value per charted metric and its 95% resampling interval of the test set. */
export interface CompareChartSeries {
  model: string;
  /** null where the model has no finite value */
  values: (number | null)[];
  /** 95% resampling interval of the test set (null without resampling) */
  lo: (number | null)[];
  hi: (number | null)[];
}

export interface CompareMetricChart {
  /** the charted metrics (same scale: fractions for classification, label units for regression) */
  metrics: string[];
  series: CompareChartSeries[];
  /** per metric, the indices of the best model(s) (highlighted) */
  best: number[][];
  /** per metric, whether lower is better */
  lowerIsBetter: boolean[];
  /** y axis 0…1 (fractions) or from the data */
  fraction: boolean;
}

export interface CompareRocCurve {
  model: string;
  /** the positive class (binary: class 1; multiclass: one-vs-rest) */
  classIndex: number;
  auc: number;
  /** at most 200 points, (0,0) … (1,1) */
  fpr: number[];
  tpr: number[];
}

export interface CompareRocView {
  binary: boolean;
  classNames: string[];
  /** the classes that have curves (multiclass: the class selector's options) */
  classes: number[];
  curves: CompareRocCurve[];
}

export interface CompareViewModel {
  title: string;
  /** 'binary · 200 rows · label y · data.csv · host Local' */
  subtitle: string;
  /** the baseline first, then the candidates */
  models: string[];
  /** per model: 'baseline' (the first) or 'candidate' */
  roles: ('baseline' | 'candidate')[];
  metrics: CompareMetricRow[];
  cvFolds: number;
  pairs: ComparePairView[];
  multiple?: CompareMultipleView;
  byClass?: CompareSliceView;
  disagreements?: CompareDisagreementView;
  confusions: CompareConfusionView[];
  warnings: string[];
  /** the label column does not fit the models' output (src/core/eval/labelFit.ts): a warning banner */
  labelWarnings: string[];
  /** e.g. which models' outputs were reused from the cache */
  notes: string[];
  chart?: CompareMetricChart;
  roc?: CompareRocView;
}

export type ExportFormat = 'csv' | 'json' | 'md';

export type CompareHostMessage =
  | { type: 'loading'; title: string; message: string }
  /** pickData: the data (or a choice about it) is what failed: the page offers to choose it again */
  | { type: 'error'; title: string; message: string; hint: string; pickData?: boolean }
  | { type: 'report'; model: CompareViewModel };

export type CompareWebviewMessage =
  | { type: 'ready' }
  | { type: 'export'; format: ExportFormat; to: 'file' | 'clipboard' }
  | { type: 'rerun' }
  /** the same models on data chosen again (its file, label, columns or arrays, row shape) */
  | { type: 'pickData' }
  /** save every disagreement (not only those shown) as CSV */
  | { type: 'exportDisagreements' }
  /** make models[model] the baseline (Swap with two models): the comparison is recomputed from the outputs it has, nothing runs again */
  | { type: 'baseline'; model: number };
