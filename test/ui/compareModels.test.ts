/**
 * Compare Models… through the workbench UI: Source Control › Model Versions › tiny.onnx, select v2,
 * Ctrl+click v1, right-click › Compare Models…, answer the quick picks (dataset data.csv, label
 * column 'label'; no host pick: no remote hosts are configured), and read the comparison panel:
 * v2 (a good logistic model) is better than the baseline v1 (a poor one), with accuracies in the
 * metrics table, the ROC legend with each model's AUC, and the charts (Chart.js canvases that really
 * drew under the panel's CSP). The versions are committed with the core API before the workbench
 * starts, like test/integration/suite/repoEvaluate.test.ts.
 */
import * as assert from 'assert';
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
    for (const pane of ['Changes', 'Graph']) await suite.wb.collapseViewPane(pane).catch(() => undefined);
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

    await suite.wb.pickTreeContextMenuItem(VIEW, 'v1', COMPARE_MODELS);
    await suite.wb.pickQuickPick(/^Evaluation data/, 'data.csv', 'data.csv');
    await suite.wb.pickQuickPick(/^The label column of data\.csv/, 'label', 'label');
    // no remote hosts in modelVersions.evalHosts: no host pick, the local evaluation host runs

    await suite.wb.page.locator('.tabs-container .tab', { hasText: PANEL_TITLE }).waitFor({ state: 'visible', timeout: 30000 });
    const verdicts = await waitForPanel('#verdicts', (t) => /better|worse|no significant|not/i.test(t), 'the verdicts');
    assert.match(verdicts, /eval\/tiny\.onnx@v2: B better/, `verdicts: ${verdicts}`);
    const heading = await suite.wb.readWebviewText('h3');
    assert.match(heading, /baseline \(eval\/tiny\.onnx@v1\)/, heading);
    const subtitle = await suite.wb.readWebviewText('.subtitle');
    assert.match(subtitle, /binary · 200 rows · label 'label' · data\.csv · host Local \(onnxruntime on CPU\)/, subtitle);

    const table = await suite.wb.readWebviewText('#metrics');
    assert.match(table, /eval\/tiny\.onnx@v1 \(baseline\)/, table);
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
});
