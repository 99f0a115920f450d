/**
 * Version Details (the webview view below the Model Versions tree) follows the tree's selection:
 * v2 shows its change record and its diff against v1 (a breaking input shape change); v1 shows
 * that it is the first version. The two versions are committed with the core API before the
 * workbench starts: v1 = hello_deepa_old.onnx (input [1,24,96]), v2 = hello_deepa.onnx ([1,25,96]).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
const DETAILS = 'Version Details';
const V1_SUBJECT = 'First version: the 24-step model';
const V2_SUBJECT = 'Second version: input widened to 25 steps';
const V2_BODY = 'Retrained on the longer window; the first Flatten input grows by one step.';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('UI: Version Details follows the Model Versions selection', function () {
  const suite = workbenchSuite('versionDetails', async () => {
    const workspace = gitModelWorkspace('ui-details');
    const file = path.join(workspace, HELLO_MODEL);
    const repo = await ModelRepository.open(workspace);
    fs.copyFileSync(fixture('onnx', 'hello_deepa_old.onnx'), file);
    await repo.commitModel(file, V1_SUBJECT);
    fs.copyFileSync(fixture('onnx', 'hello_deepa.onnx'), file);
    await repo.commitModel(file, `${V2_SUBJECT}\n\n${V2_BODY}`);
    await repo.setAlias(HELLO_MODEL, 'staging', 2);
    await repo.addMetadata(HELLO_MODEL, 2, { metrics: { accuracy: 0.9412, loss: 0.183 } });
    return workspace;
  }, 150000);

  /** Polls the details webview until `selector`'s text satisfies `ok`; returns that text. */
  async function waitForDetails(selector: string, ok: (text: string) => boolean, what: string, timeoutMs = 30000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await suite.wb.readWebviewText(selector, 2000).catch(() => last);
      if (ok(last)) return last;
      if (Date.now() > deadline) throw new Error(`Version Details never showed ${what} (${selector}: '${last}')`);
      await sleep(250);
    }
  }

  /** Clicks the first element matching `selector` in a webview (the details view's buttons). */
  async function clickInDetails(selector: string, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of suite.wb.page.frames()) {
        if (frame === suite.wb.page.mainFrame()) continue;
        const el = frame.locator(selector).first();
        if ((await el.count().catch(() => 0)) === 0) continue;
        await el.click({ timeout: 5000 });
        return;
      }
      if (Date.now() > deadline) throw new Error(`no webview element matches ${selector} after ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /** Expands a collapsed side-bar pane by clicking its header. */
  async function expandPane(name: string): Promise<void> {
    const header = suite.wb.viewPane(name).locator('.pane-header').first();
    await header.waitFor({ state: 'visible' });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    await suite.wb.page.waitForFunction((el) => el?.getAttribute('aria-expanded') === 'true', await header.elementHandle(), { timeout: 5000 });
  }

  /** Selects a row of the Model Versions tree (a click also opens the version read-only, as usual). */
  async function selectVersion(label: string): Promise<void> {
    const row = suite.wb.treeRow(VIEW, label);
    await row.waitFor({ state: 'visible' });
    await row.locator('.label-name').click();
  }

  it('expands Version Details below the tree; it first shows a hint', async () => {
    await suite.wb.openSourceControlView();
    await suite.wb.focusModelVersionsView();
    await suite.wb.widenSideBar(200);
    for (const pane of ['Changes', 'Graph']) await suite.wb.collapseViewPane(pane).catch(() => undefined);
    await suite.wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /\b2 versions\b/ });
    await expandPane(DETAILS);
    await suite.wb.growPaneUp(DETAILS, 470);
    const hint = await waitForDetails('.record .hint', (t) => /Select a version/.test(t), 'the hint');
    assert.match(hint, /Model Versions tree/);
  });

  it('v2: the change record and the diff against v1 (breaking input shape change)', async () => {
    await suite.wb.expandTreeRow(VIEW, HELLO_MODEL);
    await selectVersion('v2');
    const version = await waitForDetails('.record .head .version', (t) => t.trim() === 'v2', "'v2'");
    assert.strictEqual(version.trim(), 'v2');
    assert.strictEqual((await suite.wb.readWebviewText('.record .subject')).trim(), V2_SUBJECT);
    assert.strictEqual((await suite.wb.readWebviewText('.record .body')).trim(), V2_BODY);
    const chips = await suite.wb.readWebviewText('.record .chips');
    assert.match(chips, /latest/);
    assert.match(chips, /staging/);
    const facts = await suite.wb.readWebviewText('.record .facts');
    for (const want of [/Author\s+Model Versions Tests/, /LFS oid\s+sha256:[0-9a-f]{12}/, /Inputs/, /accuracy\s+0\.9412/]) {
      assert.match(facts, want, `facts: ${facts}`);
    }
    const verdicts = await waitForDetails('.changes .verdicts', (t) => /input/.test(t), 'the verdicts');
    assert.match(verdicts, /breaking: input onnx::Flatten_0 \[1,24,96\] → \[1,25,96\]/, `verdicts: ${verdicts}`);
    const changes = await suite.wb.readWebviewText('.changes');
    assert.match(changes, /Changes since v1/);
    assert.match(changes, /Parameters\s+74,977 → 78,049 \(\+3,072\)/, `changes: ${changes}`);
    assert.match(changes, /Most changed weights/);
    // the click opened v2 read-only: headed by the model's name, not by its temporary copy's hash.
    // (A webview editor opened by a tree click has now and then stayed blank in code-server; then it is
    // reopened once through the version's context menu, and the log says so.)
    let heading = await suite.wb.readWebviewText('header.title h1', 20000).catch(() => undefined);
    if (heading === undefined) {
      console.log('    (the read-only editor stayed blank for 20 s: reopened through Open (read-only))');
      await suite.wb.runPaletteCommand('View: Close All Editors').catch(() => undefined);
      await suite.wb.pickTreeContextMenuItem(VIEW, 'v2', 'Open (read-only)');
      heading = await suite.wb.readWebviewText('header.title h1');
    }
    assert.strictEqual(heading.trim(), path.basename(HELLO_MODEL), `the read-only editor's heading: ${heading}`);
    // that editor is not what this screenshot is about
    await suite.wb.runPaletteCommand('View: Close All Editors').catch(() => undefined);
    await sleep(300);
    await suite.wb.screenshot('version-details');
    // and the lower part: the most-changed weights
    for (const frame of suite.wb.page.frames()) {
      const top = frame.locator('.changes .top');
      if ((await top.count().catch(() => 0)) > 0) await top.scrollIntoViewIfNeeded().catch(() => undefined);
    }
    await sleep(200);
    await suite.wb.screenshot('version-details-changes');
  });

  it('v1: the first version, nothing to compare with; Open Full Diff is disabled', async () => {
    await selectVersion('v1');
    await waitForDetails('.record .head .version', (t) => t.trim() === 'v1', "'v1'");
    assert.strictEqual((await suite.wb.readWebviewText('.record .subject')).trim(), V1_SUBJECT);
    const first = await waitForDetails('.changes', (t) => /first version/.test(t), "'first version'");
    assert.match(first, /no previous version/);
    const disabled = await waitForDetails(
      '.actions [data-action="openDiff"][disabled]',
      (t) => /Open Full Diff/.test(t),
      'a disabled Open Full Diff button',
      5000,
    );
    assert.match(disabled, /Open Full Diff/);
    await suite.wb.screenshot('version-details-v1');
  });

  it('back to v2: the cached diff shows again', async () => {
    await selectVersion('v2');
    await waitForDetails('.record .head .version', (t) => t.trim() === 'v2', "'v2' again");
    const verdicts = await waitForDetails('.changes .verdicts', (t) => /breaking/.test(t), 'the verdicts again', 5000);
    assert.match(verdicts, /\[1,24,96\] → \[1,25,96\]/);
  });

  it("Tag… in Version Details tags v2; the details show the new tag", async () => {
    await clickInDetails('.actions [data-action="tag"]');
    const name = await suite.wb.fillInputBox(undefined, { title: /^Tag hello_deepa\.onnx v2\b/ });
    assert.strictEqual(name.proposed, 'hello_deepa/v2');
    await suite.wb.fillInputBox(undefined, { title: 'Tag hello_deepa/v2' });
    const chips = await waitForDetails('.record .chips', (t) => t.includes('hello_deepa/v2'), 'the new tag');
    assert.match(chips, /staging/);
    assert.strictEqual((await suite.wb.readWebviewText('.record .head .version')).trim(), 'v2', 'still v2 after the refresh');
    const tags = await (await ModelRepository.open(suite.workspace)).listTags();
    assert.deepStrictEqual(tags.map((t) => t.name), ['hello_deepa/v2']);
  });
});
