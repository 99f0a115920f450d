/**
 * The A/B Test panel's messages (src/extension/production/abtestPanel.ts ↔ webview-ui/abtest/main.ts).
 * The report is `modelver abtest --json`'s (src/core/production/abtest.ts AbTestReport), as JSON: the
 * part the page reads is typed here (no core import: the page has no Node types). Numbers that are not
 * finite come as null.
 */

export interface AbVariantJson {
  label: string;
  specs: string[];
  commit?: string;
  exposures: number;
  withOutcome: number;
  mean: number | null;
  sd: number | null;
  expectedShare: number;
}

export interface AbComparisonJson {
  control: string;
  treatment: string;
  diff: number | null;
  diffCI: [number | null, number | null];
  relative?: number | null;
  p: number | null;
  alwaysValidP: number | null;
  moreExposures: number | null;
  significant: boolean;
  test: string;
}

export interface AbTimelinePointJson {
  /** epoch ms of the end of the hour */
  end: number;
  exposures: number[];
  means: (number | null)[];
  /** per comparison, in the order of `comparisons` */
  lifts: { diff: number | null; lo: number | null; hi: number | null; alwaysValidP: number | null }[];
}

export interface AbTestReportJson {
  schema: 1;
  model: string;
  metric: { name: string; kind: 'binary' | 'numeric' };
  records: number;
  from: string;
  to: string;
  alpha: number;
  srm: { chi2?: number | null; df: number; p: number | null; mismatch: boolean; text: string };
  variants: AbVariantJson[];
  comparisons: AbComparisonJson[];
  timeline: AbTimelinePointJson[];
  decision: string;
  warnings: string[];
}

/** What the panel offers after the test: move the alias to the winner, or keep it. */
export interface AbAction {
  /** the alias the buttons move ('production') */
  alias: string;
  /** the version the alias points at now (v2), if any */
  current?: string;
  /** the version the decision favours (v3), if a treatment won; absent: keep */
  winner?: string;
}

export interface AbTestView {
  title: string;
  /** the log (and outcomes) file names, for the header */
  source: string;
  report: AbTestReportJson;
  action: AbAction;
  /** the version whose notes `Record in notes` writes to (the winner, else the first treatment) */
  recordTo?: string;
}

export type AbTestHostMessage =
  | { type: 'loading'; title: string; source: string }
  | { type: 'report'; view: AbTestView }
  | { type: 'error'; title: string; message: string; hint: string }
  /** the outcome of a button (alias moved, notes recorded) */
  | { type: 'done'; message: string };

export type AbTestWebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh' }
  /** move the alias to `version` (the host asks for confirmation) */
  | { type: 'setAlias'; version: string }
  | { type: 'recordNotes' };
