/**
 * The metric History panel in a real VS Code: Model Versions tree → right-click the model → Show
 * Metric History. Three versions committed with the core API before the workbench starts, with
 * metrics at commit (Model-Metrics trailers) and an evaluation on a dataset recorded in the notes of
 * v2 and v3; v2 tagged, v3 `production`. The accuracy chart has one point per version (read from the
 * page: the figure's data attributes and the table); a click on v2's point selects v2 in the tree.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import type { Locator } from 'playwright-core';
import { gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
/** The window size of the walkthrough (code-server in Chromium). */
const WINDOW = { width: 1600, height: 1000 };
/** The cross-validation intervals recorded on v2 and v3: wider than the values' range (0.81 – 0.9), below and above it. */
const CI_V2: [number, number] = [0.74, 0.94];
const CI_V3: [number, number] = [0.86, 0.97];

interface Whisker {
  x: number;
  lo: number;
  hi: number;
  cap: number;
}

/**
 * Every whisker of a chart lies inside its plot area, and the y axis covers every interval bound
 * (read from the figure: the whiskers' geometry as drawn, Chart.js's chart area and y scale).
 */
async function assertWhiskersInside(figure: Locator, bounds: [number, number][]): Promise<void> {
  const read = async (k: string) => JSON.parse((await figure.getAttribute(`data-${k}`)) ?? 'null') as unknown;
  const area = (await read('area')) as { left: number; top: number; right: number; bottom: number } | null;
  const y = (await read('y')) as { min: number; max: number } | null;
  const ws = ((await read('whiskers')) ?? []) as Whisker[];
  assert.ok(area && y, 'the figure says its chart area and y range');
  assert.strictEqual(ws.length, bounds.length, `one whisker per interval: ${JSON.stringify(ws)}`);
  const lows = bounds.map((b) => b[0]);
  const highs = bounds.map((b) => b[1]);
  assert.ok(y.min <= Math.min(...lows) && y.max >= Math.max(...highs), `the y axis ${y.min} – ${y.max} covers the intervals ${JSON.stringify(bounds)}`);
  for (const w of ws) {
    const inside = w.x - w.cap >= area.left - 0.5 && w.x + w.cap <= area.right + 0.5 && Math.min(w.lo, w.hi) >= area.top - 0.5 && Math.max(w.lo, w.hi) <= area.bottom + 0.5;
    assert.ok(inside, `whisker ${JSON.stringify(w)} inside the chart area ${JSON.stringify(area)}`);
  }
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An evaluation on test.csv as the notes record it (core/eval/evaluate.ts evaluationNote). */
function evaluationNote(accuracy: number, ci: [number, number], date: string): Record<string, unknown> {
  return {
    evaluations: {
      [`k-${date}`]: {
        dataset: { file: 'test.csv', sha256: 'a'.repeat(64), rows: 400, label: 'bought' },
        task: 'binary',
        metrics: { accuracy },
        cv: { accuracy: { mean: (ci[0] + ci[1]) / 2, std: 0.01, ci95: ci } },
        cvFolds: 5,
        provider: 'cpu',
        date,
      },
    },
    metrics: { accuracy },
  };
}

describe('UI: metric History panel', function () {
  const suite = workbenchSuite('metricHistory', async () => {
    const workspace = gitModelWorkspace('ui-history');
    const file = path.join(workspace, HELLO_MODEL);
    const repo = await ModelRepository.open(workspace);
    const commit = async (fx: string, msg: string, metrics: string) => {
      fs.copyFileSync(fixture('onnx', fx), file);
      await repo.commitModel(file, msg, { trailers: { 'Model-Metrics': metrics } });
    };
    await commit('hello_deepa_old.onnx', 'Baseline: the 24-step model', 'accuracy=0.81, loss=0.52');
    await commit('hello_deepa.onnx', 'Input widened to 25 steps', 'accuracy=0.86, loss=0.41');
    await commit('namaste_deepa.onnx', 'Retrained on November data', 'accuracy=0.9, loss=0.33');
    await repo.tag(HELLO_MODEL, { version: 2, name: 'hello_deepa/v2' });
    await repo.setAlias(HELLO_MODEL, 'production', 3);
    await repo.addMetadata(HELLO_MODEL, 2, evaluationNote(0.84, CI_V2, '2026-01-02T10:00:00.000Z'));
    await repo.addMetadata(HELLO_MODEL, 3, evaluationNote(0.88, CI_V3, '2026-01-03T10:00:00.000Z'));
    // a second model without any metric (the empty state)
    fs.mkdirSync(path.join(workspace, 'vad'));
    fs.copyFileSync(fixture('onnx', 'silero_vad_v5.onnx'), path.join(workspace, 'vad', 'silero.onnx'));
    await repo.commitModel(path.join(workspace, 'vad', 'silero.onnx'), 'Voice activity detector');
    return workspace;
  }, 150000);

  it('opens from the tree: one chart per metric, one point per version, tags and aliases, the table', async () => {
    await suite.wb.page.setViewportSize(WINDOW);
    await suite.wb.openSourceControlView();
    await suite.wb.focusModelVersionsView();
    await suite.wb.widenSideBar(120);
    await suite.wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /\b3 versions\b/ });
    await suite.wb.pickTreeContextMenuItem(VIEW, HELLO_MODEL, 'Show Metric History');

    const frame = await suite.wb.frameWith('figure.history-chart[data-metric="accuracy"][data-hit]');
    const acc = frame.locator('figure.history-chart[data-metric="accuracy"]');
    assert.strictEqual(await acc.getAttribute('data-versions'), '1,2,3', 'accuracy: a point on every version');
    assert.strictEqual(await acc.getAttribute('data-series'), '2', 'commit trailer + evaluation on test.csv');
    assert.strictEqual(await acc.getAttribute('data-points'), '5');
    const hits = JSON.parse((await acc.getAttribute('data-hit')) ?? '[]') as { v: number; s: number; x: number; y: number }[];
    assert.deepStrictEqual(hits.filter((p) => p.s === 0).map((p) => p.v), [1, 2, 3], 'drawn points of the commit-trailer line');
    assert.deepStrictEqual(hits.filter((p) => p.s === 1).map((p) => p.v), [2, 3], 'drawn points of the evaluation line');
    // higher accuracy is drawn higher (smaller y)
    const ys = hits.filter((p) => p.s === 0).map((p) => p.y);
    assert.ok(ys[0] > ys[1] && ys[1] > ys[2], `y of v1..v3: ${ys.join(', ')}`);
    assert.strictEqual(await frame.locator('figure.history-chart[data-metric="loss"]').getAttribute('data-versions'), '1,2,3');
    // the intervals' whiskers inside the plot (the y axis covers their bounds), not over the axis labels or the legend
    await assertWhiskersInside(acc, [CI_V2, CI_V3]);

    const rows = frame.locator('table.history-table tbody tr');
    assert.strictEqual(await rows.count(), 3);
    assert.deepStrictEqual(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.version)), ['3', '2', '1']);
    const v3 = (await rows.nth(0).innerText()).replace(/\s+/g, ' ');
    // metric values: one rule everywhere (4 decimals), as in the Lineage panel
    assert.match(v3, /v3 [0-9a-f]{7} production .*0\.9000 .*0\.8800 \[0\.8600, 0\.9700\] .*Retrained on November data/, v3);
    const v2 = (await rows.nth(1).innerText()).replace(/\s+/g, ' ');
    assert.match(v2, /v2 [0-9a-f]{7} hello_deepa\/v2 .*0\.8600 .*0\.8400 \[0\.7400, 0\.9400\]/, v2);
    const head = (await frame.locator('table.history-table thead').innerText()).replace(/\s+/g, ' ');
    assert.match(head, /accuracy commit trailer accuracy evaluation on test\.csv loss/, head);
    assert.match(await frame.locator('.subtitle').innerText(), /3 versions · 2 metrics · from commit trailer, evaluation on test\.csv/);
  });

  it('a click on a point selects that version in the Model Versions tree', async () => {
    const frame = await suite.wb.frameWith('figure.history-chart[data-metric="accuracy"][data-hit]');
    const acc = frame.locator('figure.history-chart[data-metric="accuracy"]');
    const hits = JSON.parse((await acc.getAttribute('data-hit')) ?? '[]') as { v: number; s: number; x: number; y: number }[];
    const p2 = hits.find((p) => p.v === 2 && p.s === 0);
    assert.ok(p2, `no point for v2: ${JSON.stringify(hits)}`);
    await acc.locator('canvas').click({ position: { x: p2.x, y: p2.y } });

    const row = suite.wb.treeRow(VIEW, 'v2');
    const deadline = Date.now() + 20000;
    while ((await row.getAttribute('aria-selected').catch(() => null)) !== 'true') {
      if (Date.now() > deadline) throw new Error(`v2 was not selected in the tree; rows: ${(await suite.wb.readTree(VIEW, { timeoutMs: 1 })).join(' | ')}`);
      await sleep(200);
    }
    assert.match(await suite.wb.treeRowDescription(VIEW, 'v2'), /#hello_deepa\/v2 · Input widened to 25 steps/);
    // Version Details (opened below the tree) shows it
    const deadline2 = Date.now() + 20000;
    let shown = '';
    while ((shown = (await suite.wb.readWebviewText('.record .head .version', 1000).catch(() => '')).trim()) !== 'v2') {
      if (Date.now() > deadline2) throw new Error(`Version Details shows '${shown}', not v2`);
      await sleep(250);
    }
    // the panel marks the version in its table
    await frame.locator('table.history-table tr.selected[data-version="2"]').waitFor({ timeout: 10000 });
    // the History panel back in front for the screenshot, with the tooltip of v3's point showing
    await acc.scrollIntoViewIfNeeded();
    const p3 = hits.find((p) => p.v === 3 && p.s === 0)!;
    await acc.locator('canvas').hover({ position: { x: p3.x, y: p3.y } });
    await sleep(400);
    await suite.wb.screenshot('history');
    await frame.locator('table.history-table').scrollIntoViewIfNeeded();
    await sleep(200);
    await suite.wb.screenshot('history-table');
  });

  it('follows the repository: an evaluation recorded on v1 shows without reopening the panel', async () => {
    const repo = await ModelRepository.open(suite.workspace);
    await repo.addMetadata(HELLO_MODEL, 1, evaluationNote(0.79, [0.77, 0.81], '2026-01-04T10:00:00.000Z'));
    const frame = await suite.wb.frameWith('figure.history-chart[data-metric="accuracy"]');
    const acc = frame.locator('figure.history-chart[data-metric="accuracy"]');
    const deadline = Date.now() + 20000;
    while ((await acc.getAttribute('data-points')) !== '6') {
      if (Date.now() > deadline) throw new Error(`the chart still has ${await acc.getAttribute('data-points')} points, not 6`);
      await sleep(250);
    }
    const v1 = (await frame.locator('table.history-table tbody tr[data-version="1"]').innerText()).replace(/\s+/g, ' ');
    assert.match(v1, /0\.8100 0\.7900 \[0\.7700, 0\.8100\] 0\.5200/, v1);
    await assertWhiskersInside(acc, [[0.77, 0.81], CI_V2, CI_V3]);
  });

  it('from the palette, with a model pick: a model without metrics says how to record them', async () => {
    // the palette (runPaletteCommand would wait for the quick input to close; the model pick reuses it)
    const page = suite.wb.page;
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('>Model Versions: Show Metric History');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show Metric History' }).first().waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    await suite.wb.fillInputBox('silero.onnx', { title: 'Show Metric History' });
    const text = await suite.wb.readWebviewText('.empty', 30000);
    assert.match(text, /No metrics recorded for silero\.onnx yet/);
    assert.match(text, /modelver commit vad\/silero\.onnx -m "what changed" --metric accuracy=0\.93 --metric f1=0\.9/);
    assert.match(text, /Evaluate Version…/);
    const frame = await suite.wb.frameWith('.empty');
    assert.strictEqual(await frame.locator('table.history-table tbody tr').count(), 1, 'the one version is still listed');
    assert.strictEqual(await frame.locator('figure.history-chart').count(), 0);
    await suite.wb.screenshot('history-empty');
  });
});
