/**
 * The Monitor panel's messages (src/extension/production/monitorPanel.ts ↔ webview-ui/monitor/main.ts).
 * Each report is one line of `modelver monitor --follow --json` (src/core/production/monitor.ts
 * MonitorReport), as JSON; the part the page reads is typed here (no core import).
 */

export interface FeatureDriftJson {
  feature: string;
  kind: 'numeric' | 'text';
  n: number;
  ks?: { d: number; p: number; sampled: boolean };
  psi: number;
  /** present when n is below it: too few values for PSI to flag drift (core/production/monitor.ts psiMinN) */
  psiMinN?: number;
  shares?: { category: string; share: number; reference: number }[];
  drift: boolean;
}

export interface MonitorStatsJson {
  version: string;
  exposures: number;
  latencyMs?: { p50: number; p95: number };
  prediction?: { mean?: number; quantiles?: number[]; classes?: { name: string; share: number }[] };
  outcomes?: { n: number; accuracy?: number; logLoss?: number };
  features: FeatureDriftJson[];
  drifted: string[];
}

export interface MonitorReportJson {
  schema: 1;
  model: string;
  records: number;
  from: string;
  to: string;
  references: { version: string; source: string; rows: number }[];
  thresholds: { psi: number; ksP: number; ksD: number };
  windowMs?: number;
  versions: MonitorStatsJson[];
  windows: { start: string; versions: MonitorStatsJson[] }[];
  alerts: string[];
  notes: string[];
}

export interface MonitorView {
  title: string;
  source: string;
  report: MonitorReportJson;
  /** the alerts of the present state: drift in the latest window or the whole log, degraded accuracy */
  alerts: string[];
  /** accuracy below this is marked as degraded (modelVersions.monitor.minAccuracy; 0 = off) */
  minAccuracy: number;
  /**
   * the alias being watched and where it would go back to; `label`: the action, "Roll back production →
   * v2" (to an older version), "Move production back → v3" (the last move went to an older one)
   */
  rollback?: { alias: string; current: string; previous: string; label: string };
  /** when the host received the report (ISO), and how many it has received */
  receivedAt: string;
  updates: number;
}

export type MonitorHostMessage =
  | { type: 'waiting'; title: string; source: string; message: string }
  | { type: 'report'; view: MonitorView }
  | { type: 'error'; title: string; message: string; hint: string }
  | { type: 'done'; message: string };

export type MonitorWebviewMessage =
  | { type: 'ready' }
  | { type: 'restart' }
  | { type: 'rollback' };
