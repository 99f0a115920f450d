/**
 * What the production panels conclude from the CLI's JSON (src/extension/production/alerts.ts): the A/B
 * test's winner (significant and raised; the largest such lift; none otherwise) and the Monitor's alerts
 * of the present (the latest window and the whole log, not earlier windows; keyed without the window's
 * start so that a drift that goes on alerts once; degraded accuracy only when the setting is on).
 */
import * as assert from 'assert';
import { currentAlerts, winnerOf } from '../../src/extension/production/alerts';
import type { AbComparisonJson, AbTestReportJson } from '../../src/shared/abtestProtocol';
import type { MonitorReportJson, MonitorStatsJson } from '../../src/shared/monitorProtocol';

const cmp = (treatment: string, diff: number, significant: boolean): AbComparisonJson => ({ control: 'v2', treatment, diff, diffCI: [diff - 0.01, diff + 0.01], p: significant ? 0.01 : 0.4, alwaysValidP: 0.05, moreExposures: 0, significant, test: 'two-proportion z-test (pooled)' });
const ab = (comparisons: AbComparisonJson[]) => ({ comparisons }) as unknown as AbTestReportJson;

const stats = (version: string, drifted: string[], accuracy?: number): MonitorStatsJson => ({ version, exposures: 100, features: [], drifted, ...(accuracy !== undefined ? { outcomes: { n: 100, accuracy } } : {}) });
const mon = (windows: { start: string; versions: MonitorStatsJson[] }[], versions: MonitorStatsJson[]) => ({ windows, versions, alerts: [] }) as unknown as MonitorReportJson;

describe('production panels: winner and alerts', () => {
  it('the winner is the significant treatment with the largest positive lift; none when nothing won', () => {
    assert.strictEqual(winnerOf(ab([cmp('v3', 0.015, true), cmp('v4', 0.02, true), cmp('v5', 0.05, false)])), 'v4');
    assert.strictEqual(winnerOf(ab([cmp('v3', -0.02, true)])), undefined, 'a significant drop wins nothing');
    assert.strictEqual(winnerOf(ab([cmp('v3', 0.03, false)])), undefined);
    assert.strictEqual(winnerOf(ab([])), undefined);
  });

  it('alerts of the latest window and the whole log only, with keys that do not change with the window', () => {
    const r1 = mon([{ start: '2026-03-01T00:00:00.000Z', versions: [stats('v2', ['x'])] }, { start: '2026-03-01T01:00:00.000Z', versions: [stats('v2', ['y']), stats('v3', [])] }], [stats('v2', []), stats('v3', [])]);
    const a1 = currentAlerts(r1, 0);
    assert.deepStrictEqual(a1.map((a) => a.text), ['v2: drift in y in the latest window (from 2026-03-01 01:00 UTC)'], 'the earlier window (x) is not an alert of the present');
    const r2 = mon([{ start: '2026-03-01T02:00:00.000Z', versions: [stats('v2', ['y'])] }], [stats('v2', ['y'], 0.7), stats('v3', [], 0.9)]);
    const a2 = currentAlerts(r2, 0.8);
    assert.strictEqual(a2[0].key, a1[0].key, 'the same drift in the next window: the same alert');
    assert.deepStrictEqual(a2.slice(1).map((a) => a.text), ['v2: drift in y over the whole log', 'v2: accuracy 0.700 is below 0.8 (degraded)']);
    assert.strictEqual(currentAlerts(r2, 0).length, 2, 'no accuracy alert when the setting is off');
    assert.deepStrictEqual(currentAlerts(mon([], [stats('v2', [])]), 0), []);
  });
});
