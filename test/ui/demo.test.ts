/**
 * The README's screenshots, taken on the demo repository (`node dist/demo.js DIR`, src/demo/generate.ts:
 * data/train.csv + data/test.csv, models/model_version_1.h5, models/purchase_model.onnx v1..v3 with
 * tags purchase_model/v1..v3, v3 ⟨production⟩ ⟨staging⟩, lineage and evaluations on data/test.csv in the
 * notes). One workbench walks through the tree and Version Details, the diff of v2 ↔ v3, the metric
 * History, the Lineage and Compare Models on v2 and v3; each step checks what the page shows, then
 * saves demo-tree / demo-diff / demo-history / demo-lineage / demo-compare.png
 * (scripts/update-screenshots.sh copies them into docs/images/). The screenshots show what a user sees:
 * a 1600×1000 window in VS Code's default layout (the side bar at its default width, no pane collapsed
 * or resized); the Model Versions view is opened by a click on its activity-bar icon.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Frame } from 'playwright-core';
import { git } from '../support/workspace';
import { makeDemoRepository } from './demoRepo';
import { workbenchSuite } from './helpers';
import { readLineageGraph } from './lineagePage';

const VIEW = 'Model Versions';
const DETAILS = 'Version Details';
const MODEL = 'models/purchase_model.onnx';
const KERAS = 'models/model_version_1.h5';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** The README's screenshots' window. */
const WINDOW = { width: 1600, height: 1000 };

/** What the generator wrote in .git/model-versions-demo.json (src/demo/generate.ts Marker). */
interface DemoMarker {
  versions: { version: number; commit: string; test: Record<string, number> }[];
}

/** Polls `frame` until `selector`'s text satisfies `ok`; returns that text. */
async function waitForText(frame: Frame, selector: string, ok: (t: string) => boolean, what: string, timeoutMs = 60000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await frame.locator(selector).first().innerText({ timeout: 1000 }).catch(() => last);
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`the page never showed ${what} (${selector}: '${last}')`);
    await sleep(250);
  }
}

describe('UI: the demo repository (README screenshots)', function () {
  let marker: DemoMarker;
  let kerasCommit = '';
  const suite = workbenchSuite('demo', () => {
    const ws = makeDemoRepository('ui-demo');
    marker = JSON.parse(fs.readFileSync(path.join(ws, '.git', 'model-versions-demo.json'), 'utf8')) as DemoMarker;
    kerasCommit = git(ws, 'log', '-1', '--format=%H', '--', KERAS).trim();
    return ws;
  }, 180000, { viewport: WINDOW });
  const commitOf = (v: number) => marker.versions.find((x) => x.version === v)!.commit;

  /** No stray toasts, nothing else in the editor area but the panel of the step. */
  async function tidy(): Promise<void> {
    await suite.wb.runPaletteCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await suite.wb.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 8000 }).catch(() => undefined);
    await suite.wb.page.mouse.move(1150, 17); // no hover tooltip (an empty spot of the title bar)
    await sleep(300);
  }

  async function closeEditors(): Promise<void> {
    await suite.wb.runPaletteCommand('View: Close All Editors').catch(() => undefined);
    await sleep(300);
  }

  it('the tree: purchase_model.onnx with 3 versions, tags and aliases, model_version_1.h5; v3 in Version Details', async function () {
    this.timeout(150000);
    const wb = suite.wb;
    const page = wb.page;
    await wb.openModelVersionsContainer();
    const onnx = await wb.waitForTreeRow(VIEW, 'purchase_model.onnx', { description: /\b3 versions\b/, timeoutMs: 60000 });
    assert.match(onnx, /^models · 3 versions$/, onnx);
    const h5 = await wb.waitForTreeRow(VIEW, 'model_version_1.h5', { description: /\b1 version\b/ });
    assert.match(h5, /^models · 1 version$/, h5);
    await wb.expandTreeRow(VIEW, 'purchase_model.onnx');
    const v3 = await wb.waitForTreeRow(VIEW, 'v3', { description: '⟨production⟩' });
    assert.match(v3, /⟨production⟩/, v3);
    assert.match(v3, /⟨staging⟩/, v3);
    assert.match(v3, /#purchase_model\/v3 · Fine-tune v2 for 12 more epochs at lr 3e-4 · [0-9a-f]{7}$/, v3);
    const v2 = await wb.waitForTreeRow(VIEW, 'v2', { description: '#purchase_model/v2' });
    assert.doesNotMatch(v2, /⟨/, `v2 carries no alias: ${v2}`);
    assert.match(v2, /Retrain with Adam/, v2);
    const v1 = await wb.waitForTreeRow(VIEW, 'v1', { description: '#purchase_model/v1' });
    assert.match(v1, /Baseline purchase model/, v1);
    // the versions sit under purchase_model.onnx, newest first, and the .h5 stays collapsed
    const rows = await wb.readTree(VIEW);
    const at = rows.indexOf('purchase_model.onnx');
    assert.deepStrictEqual(rows.slice(at, at + 4), ['purchase_model.onnx', 'v3', 'v2', 'v1'], rows.join(' | '));
    assert.ok(rows.includes('model_version_1.h5'), rows.join(' | '));

    // Version Details, expanded below the tree, follows the selection
    const header = wb.viewPane(DETAILS).locator('.pane-header').first();
    await header.waitFor({ state: 'visible' });
    assert.strictEqual(await header.getAttribute('aria-expanded'), 'true', 'Version Details is expanded');
    await wb.treeRow(VIEW, 'v3').locator('.label-name').click();
    const frame = await suite.wb.frameWith('.record');
    await waitForText(frame, '.record .head .version', (t) => t.trim() === 'v3', "'v3' in Version Details");
    assert.strictEqual((await frame.locator('.record .subject').innerText()).trim(), 'Fine-tune v2 for 12 more epochs at lr 3e-4');
    const chips = await frame.locator('.record .chips').innerText();
    for (const want of ['production', 'staging', 'purchase_model/v3']) assert.ok(chips.includes(want), `chips: ${chips}`);
    const changes = await waitForText(frame, '.changes', (t) => /Changes since v2/.test(t) && /retrained/.test(t), 'the changes since v2');
    assert.match(changes, /retrained: \d+\/\d+ weight tensors changed/, changes);
    // the click opened v3 read-only: its model summary beside the side bar
    await page.locator('.tabs-container .tab', { hasText: 'purchase_model.onnx @ v3' }).waitFor({ state: 'visible', timeout: 30000 });
    const summary = await suite.wb.frameWith('header.title h1 .codicon-symbol-structure');
    assert.strictEqual((await summary.locator('header.title h1').innerText()).trim(), 'purchase_model.onnx');
    assert.match(await summary.locator('dl.facts').innerText(), /1,537/, 'the summary lists the parameter count');
    // the focus to the editor: tidy()'s Escape in the tree would clear its selection (VS Code's list.clear)
    await page.locator('.tabs-container .tab', { hasText: 'purchase_model.onnx @ v3' }).click();
    await tidy();
    assert.strictEqual(await wb.treeRow(VIEW, 'v3').getAttribute('aria-selected'), 'true', 'v3 still selected');
    assert.strictEqual((await frame.locator('.record .head .version').innerText()).trim(), 'v3', 'Version Details still shows v3');
    await wb.screenshot('demo-tree');
  });

  it('Compare with Previous Version on v3: the diff panel says retrained, weights changed', async function () {
    this.timeout(150000);
    const wb = suite.wb;
    await closeEditors();
    await wb.pickTreeContextMenuItem(VIEW, 'v3', 'Compare with Previous Version');
    await wb.page.locator('.tabs-container .tab', { hasText: 'v2 ↔ v3' }).waitFor({ state: 'visible', timeout: 60000 });
    const frame = await suite.wb.frameWith('#weights-table tbody tr');
    const heading = await frame.locator('header.title h1').innerText();
    assert.match(heading, /purchase_model\.onnx v2 ↔ v3/, heading);
    const verdicts = await frame.locator('ul.verdicts').innerText();
    assert.match(verdicts, /retrained: (\d+)\/\1 weight tensors changed/, `every weight tensor changed: ${verdicts}`);
    assert.doesNotMatch(verdicts, /breaking/, verdicts);
    const table = await frame.locator('#weights-table').innerText();
    assert.match(table, /changed/, table);
    await tidy();
    await wb.screenshot('demo-diff');
  });

  it('Show Metric History on purchase_model.onnx: one point per version for accuracy and f1', async function () {
    this.timeout(150000);
    const wb = suite.wb;
    await closeEditors();
    await wb.pickTreeContextMenuItem(VIEW, 'purchase_model.onnx', 'Show Metric History');
    const frame = await suite.wb.frameWith('figure.history-chart[data-metric="accuracy"][data-hit]');
    for (const metric of ['accuracy', 'f1Macro']) {
      const fig = frame.locator(`figure.history-chart[data-metric="${metric}"]`);
      assert.strictEqual(await fig.getAttribute('data-versions'), '1,2,3', `${metric}: a point on every version`);
      const hits = JSON.parse((await fig.getAttribute('data-hit')) ?? '[]') as { v: number; s: number; x: number; y: number }[];
      assert.deepStrictEqual(hits.map((p) => p.v), [1, 2, 3], `${metric}: one point per version (${JSON.stringify(hits)})`);
      // the test metrics grow from v1 to v3, so the points climb (smaller y)
      const want = marker.versions.map((v) => v.test[metric]);
      assert.ok(want[0] < want[1] && want[1] < want[2], `the demo's ${metric}: ${want.join(', ')}`);
      assert.ok(hits[0].y > hits[1].y && hits[1].y > hits[2].y, `${metric} y of v1..v3: ${hits.map((p) => p.y).join(', ')}`);
    }
    const rows = frame.locator('table.history-table tbody tr');
    assert.deepStrictEqual(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.version)), ['3', '2', '1']);
    const v3 = (await rows.nth(0).innerText()).replace(/\s+/g, ' ');
    assert.match(v3, /v3 [0-9a-f]{7} .*production/, v3);
    assert.ok(v3.includes(String(marker.versions[2].test.accuracy)), `v3's test accuracy ${marker.versions[2].test.accuracy}: ${v3}`);
    const acc = frame.locator('figure.history-chart[data-metric="accuracy"]');
    await acc.scrollIntoViewIfNeeded();
    await tidy();
    const hits = JSON.parse((await acc.getAttribute('data-hit')) ?? '[]') as { v: number; x: number; y: number }[];
    const p3 = hits.find((p) => p.v === 3)!;
    await acc.locator('canvas').hover({ position: { x: p3.x, y: p3.y } });
    await sleep(400);
    await wb.screenshot('demo-history');
  });

  it('Show Lineage: the three ONNX versions, the .h5, the datasets; v3 derived from v2', async function () {
    this.timeout(180000);
    const wb = suite.wb;
    await closeEditors();
    await wb.pickTreeContextMenuItem(VIEW, 'purchase_model.onnx', 'Show Lineage');
    const frame = await suite.wb.frameWith('#lineage-nodes li', 120000);
    await frame.waitForFunction(() => document.getElementById('graph')?.dataset.layoutMs !== undefined, undefined, { timeout: 120000 });
    const g = await readLineageGraph(frame);
    const id = (m: string, commit: string) => `version:${m}@${commit}`;
    const versions = g.nodes.filter((n) => n.kind === 'version');
    const ids = versions.map((n) => n.id).sort();
    assert.deepStrictEqual(ids, [id(KERAS, kerasCommit), ...[1, 2, 3].map((v) => id(MODEL, commitOf(v)))].sort(), versions.map((n) => n.text).join(' | '));
    const text = (v: number) => versions.find((n) => n.id === id(MODEL, commitOf(v)))!.text;
    assert.match(text(3), /^Model version: purchase_model\.onnx v3 .*⟨production⟩/, text(3));
    assert.match(versions.find((n) => n.id === id(KERAS, kerasCommit))!.text, /model_version_1\.h5 v1/);
    const datasets = g.nodes.filter((n) => n.kind === 'dataset').map((n) => n.text.replace(/ [0-9a-f]{8}$/, '')).sort();
    assert.deepStrictEqual(datasets, ['Dataset: test.csv', 'Dataset: train.csv']);
    const has = (kind: string, s: string, t: string) => g.edges.some((e) => e.kind === kind && e.source === s && e.target === t);
    assert.ok(has('derived-from', id(MODEL, commitOf(2)), id(MODEL, commitOf(3))), 'v3 derived from v2');
    assert.ok(has('derived-from', id(KERAS, kerasCommit), id(MODEL, commitOf(1))), 'v1 derived from the .h5');
    assert.ok(has('parent', id(MODEL, commitOf(1)), id(MODEL, commitOf(2))), 'v1 → v2');

    // the screenshot without the code commit (every node's input); a click on v3 in the canvas shows its details
    const before = g.nodes.length;
    const codeNodes = g.nodes.filter((n) => n.kind === 'code').length;
    assert.ok(codeNodes >= 1, 'the project commit the versions were built from');
    await frame.locator('#show-code').click();
    await frame.waitForFunction((n) => document.getElementById('graph')?.dataset.nodes === String(n), before - codeNodes, { timeout: 60000 });
    await sleep(500);
    const v3 = await frame.locator(`#lineage-nodes li[data-id="${id(MODEL, commitOf(3))}"]`).evaluate((li) => ({ x: Number(li.getAttribute('data-x')), y: Number(li.getAttribute('data-y')) }));
    const box = (await frame.locator('#graph').boundingBox())!;
    await wb.page.mouse.click(box.x + v3.x, box.y + v3.y);
    await frame.locator(`#details[data-id="${id(MODEL, commitOf(3))}"]`).waitFor({ timeout: 15000 });
    assert.match(await frame.locator('#details').innerText(), /Fine-tune v2 for 12 more epochs/);
    // the whole graph readable: the side bar hidden for this screenshot, then Fit
    await wb.runPaletteCommand('View: Toggle Primary Side Bar Visibility');
    await wb.page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: 10000 });
    await sleep(500);
    await frame.locator('vscode-button', { hasText: /^\s*Fit\s*$/ }).click();
    await tidy();
    await wb.screenshot('demo-lineage');
    await wb.runPaletteCommand('View: Toggle Primary Side Bar Visibility');
    await wb.page.locator('.part.sidebar').waitFor({ state: 'visible', timeout: 10000 });
  });

  it('Compare Models on v2 and v3 with data/test.csv, label purchased: the verdict', async function () {
    this.timeout(240000);
    const wb = suite.wb;
    const page = wb.page;
    await closeEditors();
    const v3 = wb.treeRow(VIEW, 'v3');
    const v2 = wb.treeRow(VIEW, 'v2');
    await v2.locator('.label-name').click();
    await v3.locator('.label-name').click({ modifiers: ['Control'] });
    await page.waitForFunction(
      ([a, b]) => a?.getAttribute('aria-selected') === 'true' && b?.getAttribute('aria-selected') === 'true',
      [await v2.elementHandle(), await v3.elementHandle()],
      { timeout: 10000 },
    );
    // the click on v2 opens it read-only; that editor takes the focus when it opens, which closes a
    // context menu opened meanwhile: wait for its tab, and right-click again when the menu went away
    await page.locator('.tabs-container .tab', { hasText: 'purchase_model.onnx @ v2' }).waitFor({ state: 'visible', timeout: 30000 });
    await sleep(1500);
    const menu = page.locator('.context-view .monaco-menu').last();
    const entry = menu.locator('.action-item a.action-menu-item', { hasText: /^\s*Compare Models…\s*$/ }).first();
    const datasetPick = page.locator('.quick-input-widget .quick-input-title', { hasText: /^Evaluation data/ });
    for (let attempt = 1; ; attempt++) {
      const labels = await wb.rightClickTreeRow(VIEW, 'v3', { waitForItem: 'Compare Models…' });
      assert.ok(labels.includes('Compare Models…'), `the context menu of v3 (v2 and v3 selected): ${labels.join(' | ')}`);
      const picked = await entry
        .click({ timeout: 5000 })
        .then(() => datasetPick.waitFor({ state: 'visible', timeout: 5000 }))
        .then(() => true, () => false);
      if (picked) break;
      if (attempt >= 3) throw new Error(`'Compare Models…' on v3 did not ask for the evaluation data (${attempt} tries)`);
      await wb.closeMenu();
      await sleep(1000);
    }
    await wb.pickQuickPick(/^Evaluation data/, 'test.csv', 'test.csv');
    await wb.pickQuickPick(/^The label column of test\.csv/, 'purchased', 'purchased');
    await page.locator('.tabs-container .tab', { hasText: 'Compare 2 models' }).waitFor({ state: 'visible', timeout: 60000 });
    const frame = await suite.wb.frameWith('#verdicts', 120000);
    const verdicts = await waitForText(frame, '#verdicts', (t) => /better|worse|no significant/i.test(t), 'the verdict', 180000);
    assert.match(verdicts, /models\/purchase_model\.onnx@v3: .*(better|worse|no significant)/i, verdicts);
    const heading = await frame.locator('h3').first().innerText();
    assert.match(heading, /baseline \(models\/purchase_model\.onnx@v2\)/, heading);
    // the clicks on v2 and v3 opened v2 read-only: only the comparison in the screenshot
    await wb.runPaletteCommand('View: Close Other Editors in Group').catch(() => undefined);
    const subtitle = await frame.locator('.subtitle').innerText();
    assert.match(subtitle, /binary · 2,000 rows · label 'purchased' · (data\/)?test\.csv/, subtitle);
    const table = await frame.locator('#metrics').innerText();
    const accuracyRow = table.split('\n').find((l) => /^accuracy\b/.test(l.trim()));
    assert.ok(accuracyRow, `no accuracy row: ${table}`);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    for (const v of [2, 3]) {
      const acc = marker.versions[v - 1].test.accuracy;
      assert.ok(accuracyRow.includes(pct(acc)) || accuracyRow.includes(acc.toFixed(3)), `v${v}'s accuracy ${acc} in: ${accuracyRow}`);
    }
    // the rows they disagree on: the predictions right after the label, not past ten feature columns
    // (where a 1440 px window no longer showed them)
    const heads = await frame.locator('#disagreements thead th').allInnerTexts();
    assert.deepStrictEqual(heads.slice(0, 4).map((x) => x.trim()), ['row', 'purchased', 'models/purchase_model.onnx@v2', 'models/purchase_model.onnx@v3'], heads.join(' | '));
    await tidy();
    await wb.screenshot('demo-compare');
  });
});
