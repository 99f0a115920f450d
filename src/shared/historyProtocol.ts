/**
 * The typed message contract between the extension host and the metric History panel
 * (modelVersions.metricHistory, one panel per model).
 *
 * Handshake as for every webview: the webview posts `{ type: 'ready' }`, then the host sends the
 * current state (`loading`, `history` or `error`); it sends `history` again whenever the repository
 * changes. The view model is small: per metric, per series, the points (version index + numbers).
 * Every string in it comes from the repository (messages, names, tags) and is shown as text.
 */

/** One version of the model: the x axis, in version order (v1 first). */
export interface HistoryVersionView {
  version: number;
  commit: string;
  shortCommit: string;
  subject: string;
  author: string;
  /** ISO 8601 author date, and the same for people */
  date: string;
  dateText: string;
  tags: string[];
  aliases: string[];
  latest: boolean;
}

export interface HistoryPointView {
  /** index into HistoryViewModel.versions */
  x: number;
  value: number;
  /** 95% interval of the mean over resampled subsets of the test set */
  ci95?: [number, number];
  std?: number;
  cvFolds?: number;
  /** when the evaluation was recorded, for people */
  evaluatedText?: string;
  rows?: number;
}

export interface HistorySeriesView {
  id: string;
  /** 'commit trailer', 'evaluation on test.csv', 'notes' */
  sourceLabel: string;
  sourceKind: 'commit' | 'evaluation' | 'notes';
  points: HistoryPointView[];
}

export interface HistoryMetricView {
  name: string;
  lowerIsBetter: boolean;
  series: HistorySeriesView[];
}

export interface HistoryViewModel {
  title: string;
  /** repository path of the model */
  model: string;
  modelName: string;
  versions: HistoryVersionView[];
  /** empty when nothing is recorded yet (the panel says how to record metrics) */
  metrics: HistoryMetricView[];
  /** the CLI command line that records metrics at commit, for the empty state */
  commitExample: string;
}

export type HistoryHostMessage =
  | { type: 'loading'; title: string }
  | { type: 'history'; model: HistoryViewModel }
  | { type: 'error'; title: string; message: string; hint: string }
  /** the version shown in Version Details after a click (highlighted in the table) */
  | { type: 'selected'; commit: string };

export type HistoryWebviewMessage =
  | { type: 'ready' }
  /** a point or a table row was clicked: reveal that version in the tree and show its details */
  | { type: 'openVersion'; commit: string }
  | { type: 'refresh' }
  /** copy the table as CSV */
  | { type: 'copyCsv' }
  /** run "Evaluate Version…" on the latest version (empty state) */
  | { type: 'evaluate' };

/**
 * The range a metric's chart must show: its values and the bounds of every interval (a whisker is
 * never cut off by the axis); undefined when the metric has no finite value.
 */
export function metricExtent(m: HistoryMetricView): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const s of m.series) {
    for (const p of s.points) {
      for (const v of [p.value, ...(p.ci95 ?? [])]) {
        if (!Number.isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  return min <= max ? { min, max } : undefined;
}
