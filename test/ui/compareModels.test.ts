/**
 * Compare Models… through the workbench UI: Source Control › Model Versions › tiny.onnx, select v2,
 * Ctrl+click v1, right-click › Compare Models…, answer the quick picks (dataset data.csv, label
 * column 'label'; no host pick: no remote hosts are configured), and read the comparison panel:
 * v2 (a good logistic model) is better than the baseline v1 (a poor one), said once in role words,
 * with accuracies in the metrics table, the ROC legend with each model's AUC, and the charts
 * (Chart.js canvases that really drew under the panel's CSP). Then Swap makes v2 the baseline
 * (recomputed from the outputs already computed: data.csv is gone meanwhile), and the same comparison
 * from the command palette's quick pick (listed newest first) gets the same baseline as the tree,
 * reuses the "last used" label without asking, and replaces the panel instead of opening another.
 * A reloaded page (Developer: Reload Webviews, or the Reload button of the page's alert) shows the
 * comparison again, styled: the host sends the panel's state to every page that says ready.
 * The versions are committed with the core API before the workbench starts, like
 * test/integration/suite/repoEvaluate.test.ts. The tests run in order (each starts from the last).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { linearModel, rng } from '../support/onnxModels';
import { gitModelWorkspace } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
const MODEL = 'eval/tiny.onnx';
const COMPARE_MODELS = 'Compare Models…'; // contributes.commands title
const PANEL_TITLE = 'Compare 2 models';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** 200 seeded rows x0,x1,label with label = x0 + x1 > 1 (rows within 0.01 of the boundary skipped). */
function dataCsv(): string {
  const r = rng(7);
  const rows = ['x0,x1,label'];
  while (rows.length < 201) {
    const x0 = r();
    const x1 = r();
    if (Math.abs(x0 + x1 - 1) < 0.01) continue;
    rows.push(`${x0.toFixed(5)},${x1.toFixed(5)},${x0 + x1 > 1 ? 1 : 0}`);
  }
  return rows.join('\n') + '\n';
}

/** The same features with a continuous column 'minutes' (the wrong label for these classifiers). */
function minutesCsv(): string {
  const r = rng(8);
  const rows = ['x0,x1,minutes'];
  while (rows.length < 101) rows.push(`${r().toFixed(5)},${r().toFixed(5)},${(r() * 90 + 0.5).toFixed(2)}`);
  return rows.join('\n') + '\n';
}

/** data.csv's rows with a session id of text in front (the column a model does not take). */
function withIdCsv(): string {
  const lines = dataCsv().trim().split('\n');
  return ['session_id,' + lines[0], ...lines.slice(1).map((l, i) => `s-${String(i + 1).padStart(4, '0')},${l}`)].join('\n') + '\n';
}

describe('UI: Compare Models… from the Model Versions view', function () {
  const suite = workbenchSuite('compareModels', async () => {
    const workspace = gitModelWorkspace('ui-compare');
    const repo = await ModelRepository.open(workspace);
    const file = path.join(workspace, MODEL);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, linearModel([1, -1], 0));
    await repo.commitModel(file, 'tiny: a poor model');
    fs.writeFileSync(file, linearModel([10, 10], -10));
    await repo.commitModel(file, 'tiny: a good model');
    fs.writeFileSync(path.join(workspace, 'data.csv'), dataCsv());
    fs.writeFileSync(path.join(workspace, 'minutes.csv'), minutesCsv());
    fs.writeFileSync(path.join(workspace, 'with-id.csv'), withIdCsv());
    // data.csv's rows as numpy users save a test split: arrays X_test and y_test (numpy writes the file)
    execFileSync('/usr/bin/python3', ['-c', `import numpy as np, sys
rows = np.loadtxt(sys.stdin, delimiter=',', skiprows=1, dtype='<f4')
np.savez(sys.argv[1], X_test=rows[:, :2], y_test=rows[:, 2].astype('<i8'))`, path.join(workspace, 'split.npz')], { input: dataCsv() });
    return workspace;
  }, 150000);

  /** How many non-transparent pixels the webview canvas `selector` has (undefined: no such canvas). */
  async function paintedPixels(selector: string): Promise<number | undefined> {
    for (const frame of suite.wb.page.frames()) {
      if (frame === suite.wb.page.mainFrame()) continue;
      const n = await frame
        .evaluate((sel) => {
          const c = document.querySelector(sel) as HTMLCanvasElement | null;
          if (!c || !c.width || !c.height) return undefined;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
          return painted;
        }, selector)
        .catch(() => undefined);
      if (n !== undefined) return n;
    }
    return undefined;
  }

  /** Polls the webviews until `selector`'s text satisfies `ok`; returns that text. */
  async function waitForPanel(selector: string, ok: (text: string) => boolean, what: string, timeoutMs = 60000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await suite.wb.readWebviewText(selector, 1000).catch(() => last);
      if (ok(last)) return last;
      const error = await suite.wb.readWebviewText('.error', 250).catch(() => '');
      if (error) throw new Error(`the comparison failed: ${error}`);
      if (Date.now() > deadline) throw new Error(`the panel never showed ${what} (${selector}: '${last}')`);
      await sleep(250);
    }
  }

  it(`v2 + Ctrl+click v1 › '${COMPARE_MODELS}' › data.csv, label: v2 is better than the baseline v1`, async function () {
    this.timeout(150000);
    await suite.wb.openSourceControlView();
    await suite.wb.focusModelVersionsView();
    await suite.wb.widenSideBar(150);
    await suite.wb.waitForTreeRow(VIEW, 'tiny.onnx', { description: /\b2 versions\b/ });
    await suite.wb.expandTreeRow(VIEW, 'tiny.onnx');
    await suite.wb.waitForTreeRow(VIEW, 'v2');

    // select v2, then Ctrl+click v1: both selected
    const v2 = suite.wb.treeRow(VIEW, 'v2');
    const v1 = suite.wb.treeRow(VIEW, 'v1');
    await v2.locator('.label-name').click();
    await v1.locator('.label-name').click({ modifiers: ['Control'] });
    await suite.wb.page.waitForFunction(
      ([a, b]) => a?.getAttribute('aria-selected') === 'true' && b?.getAttribute('aria-selected') === 'true',
      [await v1.elementHandle(), await v2.elementHandle()],
      { timeout: 10000 },
    );

    // the click on v2 opens it read-only; that editor takes the focus when it opens, which closes a
    // context menu opened meanwhile: wait for its tab, and right-click again when the menu went away
    const page = suite.wb.page;
    await page.locator('.tabs-container .tab', { hasText: 'tiny.onnx @ v2' }).waitFor({ state: 'visible', timeout: 30000 });
    const entry = page.locator('.context-view .monaco-menu').last().locator('.action-item a.action-menu-item', { hasText: /^\s*Compare Models…\s*$/ }).first();
    const datasetPick = page.locator('.quick-input-widget .quick-input-title', { hasText: /^Evaluation data/ });
    for (let attempt = 1; ; attempt++) {
      const labels = await suite.wb.rightClickTreeRow(VIEW, 'v1', { waitForItem: COMPARE_MODELS });
      assert.ok(labels.includes(COMPARE_MODELS), `the context menu of v1 (v1 and v2 selected): ${labels.join(' | ')}`);
      const asked = await entry
        .click({ timeout: 5000 })
        .then(() => datasetPick.waitFor({ state: 'visible', timeout: 5000 }))
        .then(() => true, () => false);
      if (asked) break;
      if (attempt >= 3) throw new Error(`'${COMPARE_MODELS}' on v1 did not ask for the evaluation data (${attempt} tries)`);
      await suite.wb.closeMenu();
    }
    await suite.wb.pickQuickPick(/^Evaluation data/, 'data.csv', 'data.csv');
    await suite.wb.pickQuickPick(/^The label column of data\.csv/, 'label', 'label');
    // no remote hosts in modelVersions.evalHosts: no host pick, the local evaluation host runs

    await suite.wb.page.locator('.tabs-container .tab', { hasText: PANEL_TITLE }).waitFor({ state: 'visible', timeout: 30000 });
    const verdicts = await waitForPanel('#verdicts', (t) => /better|worse|no significant|not/i.test(t), 'the verdicts');
    // the verdict once, in role words (not "B better — B better at α = 0.05")
    const verdictLine = verdicts.split('\n')[0];
    assert.strictEqual(verdictLine.trim(), 'eval/tiny.onnx@v2: better than the baseline on accuracy (McNemar) at α = 0.05', `verdicts: ${verdicts}`);
    assert.doesNotMatch(verdicts, /\bB (better|worse)\b/, verdicts);
    const heading = await suite.wb.readWebviewText('h3');
    assert.match(heading, /baseline \(eval\/tiny\.onnx@v1\)/, heading);
    const subtitle = await suite.wb.readWebviewText('.subtitle');
    assert.match(subtitle, /binary · 200 rows · label 'label' · data\.csv · host Local \(onnxruntime on CPU\)/, subtitle);
    // the right label column: no warning banner
    assert.strictEqual(await suite.wb.readWebviewText('#label-warnings', 500).catch(() => ''), '', 'no label warning');

    const table = await suite.wb.readWebviewText('#metrics');
    assert.match(table, /eval\/tiny\.onnx@v1 \(baseline\)/, table);
    assert.match(table, /eval\/tiny\.onnx@v2 \(candidate\)/, table);
    const accuracyRow = table.split('\n').find((l) => /^accuracy\b/.test(l.trim()));
    assert.ok(accuracyRow, `no accuracy row: ${table}`);
    const values = [...accuracyRow.matchAll(/\d+(?:\.\d+)?%?/g)].map((m) => m[0]);
    assert.strictEqual(values.length, 2, `accuracy row: ${accuracyRow}`);
    const num = (s: string) => (s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s));
    assert.ok(num(values[1]) > num(values[0]), `v2's accuracy beats v1's: ${accuracyRow}`);
    assert.ok(num(values[1]) >= 0.95, `v2 is nearly perfect: ${accuracyRow}`);
    assert.match(accuracyRow, /★\s*\S+\s*$/, `the best (v2) is starred: ${accuracyRow}`);

    // the ROC legend: one curve per model with its AUC; the good model's is ≈ 1 and beats the baseline's
    const legend = await waitForPanel('#roc-legend', (t) => /@v2: AUC/.test(t), 'the ROC legend');
    const auc = (v: string) => {
      const m = new RegExp(`eval/tiny\\.onnx@${v}: AUC (\\d\\.\\d+)`).exec(legend);
      assert.ok(m, `no AUC for ${v} in the ROC legend: ${legend}`);
      return Number(m[1]);
    };
    assert.ok(auc('v2') >= 0.99, `v2's AUC: ${legend}`);
    assert.ok(auc('v1') < auc('v2'), `v1's AUC is lower: ${legend}`);
    const rocHead = await suite.wb.readWebviewText('figure.chart:has(#roc-chart) h3');
    assert.match(rocHead, /ROC curves \(positive class 1\)/, rocHead);
    // both charts drew on their canvases (Chart.js runs under the strict CSP)
    for (const id of ['#metric-chart', '#roc-chart']) {
      const painted = await paintedPixels(id);
      assert.ok(painted !== undefined && painted > 1000, `${id} drew ${painted} pixels`);
    }
    const confusion = await suite.wb.readWebviewText('#confusions');
    assert.match(confusion, /true \\ predicted/, confusion);

    await suite.wb.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 8000 }).catch(() => undefined);
    await suite.wb.screenshot('compare-models');
  });

  it('Swap Baseline and Candidate: v2 becomes the baseline, v1 the candidate, recomputed without evaluating again', async function () {
    this.timeout(60000);
    // without the data file an evaluation could not run: the swap must reuse the outputs it has
    const data = path.join(suite.workspace, 'data.csv');
    const kept = fs.readFileSync(data);
    fs.rmSync(data);
    try {
      const frame = await suite.wb.frameWith('#swap-roles', 20000);
      await frame.locator('#swap-roles').click();
      const heading = await waitForPanel('h3#roles', (t) => /@v2\)/.test(t), 'the swapped baseline', 20000);
      assert.match(heading, /^Against the baseline \(eval\/tiny\.onnx@v2\)$/, heading);
      const verdicts = await waitForPanel('#verdicts', (t) => /@v1:/.test(t), 'the swapped verdict', 20000);
      assert.strictEqual(verdicts.split('\n')[0].trim(), 'eval/tiny.onnx@v1: worse than the baseline on accuracy (McNemar) at α = 0.05', verdicts);
      const table = await suite.wb.readWebviewText('#metrics');
      assert.match(table, /eval\/tiny\.onnx@v2 \(baseline\)/, table);
      assert.match(table, /eval\/tiny\.onnx@v1 \(candidate\)/, table);
    } finally {
      fs.writeFileSync(data, kept);
    }
  });

  it('from the command palette (the quick pick lists newest first): the same baseline v1 as the tree, the last label reused, the panel reused', async function () {
    this.timeout(150000);
    const page = suite.wb.page;
    // mark what the panel shows now: the new comparison's page will not have the mark
    const panel = await suite.wb.frameWith('#verdicts', 20000);
    await panel.evaluate(() => document.getElementById('verdicts')?.setAttribute('data-previous', ''));
    const pickTitle = await compareFromPalette();

    // the dataset: "last used · label label" must not ask for the label column again
    await suite.wb.pickQuickPick(/^Evaluation data/, 'last used', 'data.csv');
    const title = page.locator('.quick-input-widget .quick-input-title');
    const deadline = Date.now() + 60000;
    for (;;) {
      const now = (await title.isVisible()) ? ((await title.textContent()) ?? '').trim() : '';
      assert.doesNotMatch(now, /label column/i, 'the last used label was asked for again');
      if ((await panel.locator('#verdicts:not([data-previous])').count().catch(() => 0)) > 0) break;
      if (Date.now() > deadline) throw new Error(`the palette comparison never showed its result (quick pick: '${now}')`);
      await sleep(250);
    }
    const heading = await panel.locator('h3').first().innerText();
    assert.match(heading, /^Against the baseline \(eval\/tiny\.onnx@v1\)$/, `the quick pick's baseline is the tree's: ${heading}`);
    const verdicts = await waitForPanel('#verdicts', (t) => /@v2:/.test(t), 'the verdict');
    assert.strictEqual(verdicts.split('\n')[0].trim(), 'eval/tiny.onnx@v2: better than the baseline on accuracy (McNemar) at α = 0.05', verdicts);
    const subtitle = await suite.wb.readWebviewText('.subtitle');
    assert.match(subtitle, /label 'label' · data\.csv/, subtitle);
    // one comparison panel: the new comparison replaced the previous one
    assert.strictEqual(await page.locator('.tabs-container .tab', { hasText: /Compare \d+ models/ }).count(), 1, 'one Compare panel');
    // the pick said the rule
    assert.match(pickTitle, /the oldest version is the baseline/, pickTitle);
  });

  it('a label column that does not fit the models (continuous, for classifiers): a warning banner in the panel', async function () {
    this.timeout(150000);
    const panel = await suite.wb.frameWith('#verdicts', 20000);
    await panel.evaluate(() => document.getElementById('verdicts')?.setAttribute('data-previous', ''));
    await compareFromPalette();
    await suite.wb.pickQuickPick(/^Evaluation data/, 'minutes.csv', 'minutes.csv');
    await suite.wb.pickQuickPick(/^The label column of minutes\.csv/, 'minutes', 'minutes');
    await waitForPanel('#verdicts:not([data-previous])', (t) => /@v2:/.test(t), 'the comparison on minutes.csv', 90000);
    const banner = await suite.wb.readWebviewText('#label-warnings', 5000);
    assert.match(banner, /The label column may not be what these models predict/, banner);
    assert.match(banner, /The label column 'minutes' is continuous \(values [\d.]+ … [\d.]+\), but every output of eval\/tiny\.onnx@v1 and eval\/tiny\.onnx@v2 is in \[0, 1\]/, banner);
    await suite.wb.screenshot('compare-models-label-warning');
  });

  it('Developer: Reload Webviews: the Compare panel loads again and shows the comparison it showed, styled (the host sends its state again)', async function () {
    this.timeout(60000);
    await suite.wb.readWebviewText('#label-warnings', 5000);
    await suite.wb.markWebviewPages();
    const reloaded = Date.now();
    await suite.wb.runPaletteCommand('Developer: Reload Webviews');
    const banner = await suite.wb.textInNewWebviewPage('#label-warnings', reloaded, RELOAD_RENDER_MS);
    assert.match(banner, /The label column 'minutes' is continuous/, `the reloaded page's label-fit banner: ${banner}`);
    const verdicts = await suite.wb.textInNewWebviewPage('#verdicts', reloaded, RELOAD_RENDER_MS);
    assert.match(verdicts, /^eval\/tiny\.onnx@v2: /, `the reloaded page's verdicts: ${verdicts}`);
    await assertStyledNewPage();
  });

  it("a page that failed: the alert's Reload button loads a fresh page that shows the comparison again", async function () {
    this.timeout(60000);
    const frame = await suite.wb.frameWith('#label-warnings', 20000);
    await suite.wb.markWebviewPages();
    // what the shell's boot script does when the page's script throws: the alert with a Reload button
    await frame.evaluate(() => window.dispatchEvent(new ErrorEvent('error', { message: 'a failure the test raised', error: new Error('a failure the test raised') })));
    const alert = frame.locator('#mv-alert');
    await alert.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await alert.innerText(), /This panel failed: .*a failure the test raised/, 'the alert says what failed');
    const reloaded = Date.now();
    await alert.locator('button', { hasText: 'Reload' }).click();
    const verdicts = await suite.wb.textInNewWebviewPage('#verdicts', reloaded, RELOAD_RENDER_MS);
    assert.match(verdicts, /^eval\/tiny\.onnx@v2: /, `the fresh page's verdicts: ${verdicts}`);
    const banner = await suite.wb.textInNewWebviewPage('#label-warnings', reloaded, RELOAD_RENDER_MS);
    assert.match(banner, /The label column 'minutes' is continuous/, banner);
    await assertStyledNewPage();
    const fresh = await suite.wb.frameWith('body:not([data-test-old-page]) #label-warnings', 5000);
    assert.ok(await fresh.locator('#mv-alert').isHidden(), `no alert in the fresh page: ${await fresh.locator('#mv-alert').innerText().catch(() => '')}`);
  });

  it("the panel's Run Again: the same comparison runs again in the same panel", async function () {
    this.timeout(150000);
    const panel = await suite.wb.frameWith('#verdicts', 20000);
    await panel.evaluate(() => document.getElementById('verdicts')?.setAttribute('data-previous', ''));
    await panel.locator('vscode-button', { hasText: 'Run Again' }).first().click();
    await waitForPanel('#verdicts:not([data-previous])', (t) => /@v2:/.test(t), 'the comparison run again', 90000);
    const banner = await suite.wb.readWebviewText('#label-warnings', 5000);
    assert.match(banner, /The label column 'minutes' is continuous/, `run again on minutes.csv: ${banner}`);
    assert.strictEqual(await suite.wb.page.locator('.tabs-container .tab', { hasText: /Compare \d+ models/ }).count(), 1, 'one Compare panel');
  });

  it('data with an id column of text: the feature columns are asked for, the id unchecked; OK compares on x0, x1', async function () {
    this.timeout(150000);
    const page = suite.wb.page;
    const panel = await suite.wb.frameWith('#verdicts', 20000);
    await panel.evaluate(() => document.getElementById('verdicts')?.setAttribute('data-previous', ''));
    await compareFromPalette();
    await suite.wb.pickQuickPick(/^Evaluation data/, 'with-id.csv', 'with-id.csv');
    await suite.wb.pickQuickPick(/^The label column of with-id\.csv/, 'label', 'label');
    // the feature question: a multi-select, session_id unchecked with an example, x0 and x1 checked
    await page.waitForFunction(() => document.querySelector('.quick-input-widget .quick-input-title')?.textContent?.trim() === 'The feature columns of with-id.csv', null, { timeout: 30000 });
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const offered = await rows.evaluateAll((els) =>
      els.map((el) => [el.querySelector('.label-name')?.textContent?.trim() ?? '', el.getAttribute('aria-checked'), el.querySelector('.label-description')?.textContent?.trim() ?? '']),
    );
    assert.deepStrictEqual(offered, [
      ['session_id', 'false', 'text ("s-0001"): not a feature'],
      ['x0', 'true', ''],
      ['x1', 'true', ''],
    ]);
    await suite.wb.screenshot('compare-models-feature-columns');
    await page.keyboard.press('Enter');
    await waitForPanel('#verdicts:not([data-previous])', (t) => /@v2:/.test(t), 'the comparison on with-id.csv', 90000);
    const subtitle = await suite.wb.readWebviewText('.subtitle');
    assert.match(subtitle, /binary · 200 rows · label 'label' · with-id\.csv/, subtitle);
    const verdicts = await suite.wb.readWebviewText('#verdicts');
    assert.strictEqual(verdicts.split('\n')[0].trim(), 'eval/tiny.onnx@v2: better than the baseline on accuracy (McNemar) at α = 0.05', verdicts);
  });

  it("an NPZ of X_test and y_test: its feature array and label array are asked for, listed with their shapes; a wrong choice offers Choose the Data Again…", async function () {
    this.timeout(150000);
    const page = suite.wb.page;
    const panel = await suite.wb.frameWith('#verdicts', 20000);
    await panel.evaluate(() => document.getElementById('verdicts')?.setAttribute('data-previous', ''));
    await compareFromPalette();
    await suite.wb.pickQuickPick(/^Evaluation data/, 'split.npz', 'split.npz');
    await page.waitForFunction(() => document.querySelector('.quick-input-widget .quick-input-title')?.textContent?.trim() === 'The feature array of split.npz', null, { timeout: 30000 });
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const offered = await rows.evaluateAll((els) => els.map((el) => [el.querySelector('.label-name')?.textContent?.trim() ?? '', el.querySelector('.label-description')?.textContent?.trim() ?? '']));
    assert.deepStrictEqual(offered, [
      ['X_test', '(200, 2)'],
      ['y_test', '(200,)'],
    ]);
    await suite.wb.screenshot('compare-models-npz-arrays');
    // the labels taken for the features: the error names the array, and offers to choose the data again
    await suite.wb.pickQuickPick(/^The feature array of split\.npz/, '', 'y_test');
    await suite.wb.pickQuickPick(/^The label array of split\.npz/, '', 'X_test');
    const error = await suite.wb.readWebviewText('.error', 60000);
    assert.match(error, /each row of the feature array 'y_test' of split\.npz has 1 feature/, error);
    assert.match(error, /you are then asked which arrays hold the features and the labels/, error);
    const failed = await suite.wb.frameWith('#pick-data', 20000);
    await suite.wb.screenshot('compare-models-npz-wrong-arrays');
    await failed.evaluate(() => document.querySelector('.error')?.setAttribute('data-previous', ''));
    await failed.locator('#pick-data').click();
    await suite.wb.pickQuickPick(/^Evaluation data/, 'split.npz', 'split.npz');
    await suite.wb.pickQuickPick(/^The feature array of split\.npz/, '', 'X_test');
    await suite.wb.pickQuickPick(/^The label array of split\.npz/, '', 'y_test');
    await failed.waitForFunction(() => !document.querySelector('.error[data-previous]'), undefined, { timeout: 30000 });
    await waitForPanel('.subtitle', (t) => /split\.npz/.test(t), 'the comparison on split.npz', 90000);
    const subtitle = await suite.wb.readWebviewText('.subtitle');
    assert.match(subtitle, /binary · 200 rows · label 'y_test' · split\.npz/, subtitle);
    const verdicts = await suite.wb.readWebviewText('#verdicts');
    assert.strictEqual(verdicts.split('\n')[0].trim(), 'eval/tiny.onnx@v2: better than the baseline on accuracy (McNemar) at α = 0.05', verdicts);
  });

  /** A page must show its content within this time of a reload. */
  const RELOAD_RENDER_MS = 20000;


  /** The reloaded page has compare.css's rules (the label-fit banner is a flex row). */
  async function assertStyledNewPage(): Promise<void> {
    for (const f of suite.wb.page.frames()) {
      if (f === suite.wb.page.mainFrame()) continue;
      const display = await f
        .evaluate(() => {
          const el = document.getElementById('label-warnings');
          return el && !document.body.hasAttribute('data-test-old-page') ? getComputedStyle(el).display : undefined;
        })
        .catch(() => undefined);
      if (display !== undefined) {
        assert.strictEqual(display, 'flex', "the reloaded page's label-fit banner is styled by compare.css");
        return;
      }
    }
    assert.fail('no reloaded page has the label-fit banner');
  }

  /** Compare Models… from the command palette, nothing selected in the tree: picks v1 and v2 (listed newest first); returns the pick's title. */
  async function compareFromPalette(): Promise<string> {
    const page = suite.wb.page;
    // one row selected (the model, not a version): the palette command asks which models
    await suite.wb.treeRow(VIEW, 'tiny.onnx').locator('.label-name').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill('>Model Versions: Compare Models');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Model Versions: Compare Models…' }).first().click();

    // the models pick (several): v2 is listed above v1; check both, then OK
    const title = page.locator('.quick-input-widget .quick-input-title');
    await page.waitForFunction(() => /^Compare Models: pick/.test(document.querySelector('.quick-input-widget .quick-input-title')?.textContent?.trim() ?? ''), null, { timeout: 30000 });
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const labels = await rows.evaluateAll((els) => els.map((el) => el.querySelector('.label-name')?.textContent?.trim() ?? ''));
    assert.ok(labels.indexOf('eval/tiny.onnx v2') >= 0 && labels.indexOf('eval/tiny.onnx v2') < labels.indexOf('eval/tiny.onnx v1'), `newest first: ${labels.join(' | ')}`);
    for (const v of ['v2', 'v1']) {
      const row = rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^eval/tiny\\.onnx ${v}$`) }) }).first();
      await row.click();
      await page.waitForFunction((el) => el?.getAttribute('aria-checked') === 'true', await row.elementHandle(), { timeout: 5000 });
    }
    const pickTitle = ((await title.textContent()) ?? '').trim();
    await page.keyboard.press('Enter');
    return pickTitle;
  }
});
