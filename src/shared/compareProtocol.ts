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
  /** one 'mean ± std [lo, hi]' per model ('' without cross-validation) */
  cv: string[];
}

export interface ComparePairView {
  baseline: string;
  candidate: string;
  verdict: string;
  text: string;
  /** McNemar line ('' for regression) */
  mcnemar: string;
  /** one line per bootstrapped metric */
  metrics: string[];
}

export interface CompareConfusionView {
  model: string;
  classNames: string[];
  /** confusion[true][predicted] */
  matrix: number[][];
}

export interface CompareViewModel {
  title: string;
  /** 'binary · 200 rows · label y · data.csv · host Local' */
  subtitle: string;
  models: string[];
  metrics: CompareMetricRow[];
  cvFolds: number;
  pairs: ComparePairView[];
  confusions: CompareConfusionView[];
  warnings: string[];
}

export type ExportFormat = 'csv' | 'json' | 'md';

export type CompareHostMessage =
  | { type: 'loading'; title: string; message: string }
  | { type: 'error'; title: string; message: string; hint: string }
  | { type: 'report'; model: CompareViewModel };

export type CompareWebviewMessage =
  | { type: 'ready' }
  | { type: 'export'; format: ExportFormat; to: 'file' | 'clipboard' }
  | { type: 'rerun' };
