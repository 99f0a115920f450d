/**
 * What the production panels conclude from the CLI's reports (no vscode import: unit-tested in
 * test/unit/productionAlerts.test.ts): the A/B test's winner, and the Monitor's alerts of the present.
 */
import type { AbTestReportJson } from '../../shared/abtestProtocol';
import type { MonitorReportJson } from '../../shared/monitorProtocol';

/**
 * The version the test favours: of the comparisons significant at the report's alpha with a positive
 * difference (the metric raised: purchases, revenue), the one with the largest; undefined: keep.
 */
export function winnerOf(r: AbTestReportJson): string | undefined {
  const wins = r.comparisons.filter((c) => c.significant && (c.diff ?? 0) > 0).sort((a, b) => (b.diff ?? 0) - (a.diff ?? 0));
  return wins[0]?.treatment;
}

/** An alert of the present state: keyed by version, what and where (not by window start: a drift that goes on alerts once). */
export interface CurrentAlert {
  key: string;
  text: string;
}

/**
 * The alerts of the present state: the drift of the latest window and of the whole log, and accuracy
 * below `minAccuracy` (0: off). Earlier windows' drift stays in the report (and the panel's count) but
 * raises no notification.
 */
export function currentAlerts(r: MonitorReportJson, minAccuracy: number): CurrentAlert[] {
  const out: CurrentAlert[] = [];
  const latest = r.windows[r.windows.length - 1];
  for (const v of latest?.versions ?? []) {
    if (v.drifted.length) out.push({ key: `${v.version} window ${v.drifted.join(',')}`, text: `${v.version}: drift in ${v.drifted.join(', ')} in the latest window (from ${latest.start.slice(0, 16).replace('T', ' ')} UTC)` });
  }
  for (const v of r.versions) {
    if (v.drifted.length) out.push({ key: `${v.version} log ${v.drifted.join(',')}`, text: `${v.version}: drift in ${v.drifted.join(', ')} over the whole log` });
    const a = v.outcomes?.accuracy;
    if (minAccuracy > 0 && a !== undefined && a < minAccuracy) out.push({ key: `${v.version} accuracy`, text: `${v.version}: accuracy ${a.toFixed(3)} is below ${minAccuracy} (degraded)` });
  }
  return out;
}

