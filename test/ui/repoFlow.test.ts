/**
 * Model versions through the workbench UI, as a user does it, in a git + Git LFS workspace:
 * Explorer context menu → Commit Model Version… (v1, then v2 after the file changes), the version's
 * context menu in the Model Versions view → Tag Model Version… and Restore to Working Tree….
 * Results are checked in the tree and on disk (the working file's sha256, the core library).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { git, gitModelWorkspace, HELLO_MODEL, sha256 } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
const COMMIT = 'Commit Model Version…'; // contributes.commands titles
const TAG = 'Tag Model Version…';
const RESTORE = 'Restore to Working Tree…';
const V1_BYTES = fixture('onnx', 'hello_deepa.onnx');
const V2_BYTES = fixture('onnx', 'hello_deepa_old.onnx');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('UI: model versions from the Explorer and the Model Versions tree', function () {
  let modelFile: string;
  const suite = workbenchSuite('repoFlow', async () => {
    const workspace = gitModelWorkspace('ui-repo');
    modelFile = path.join(workspace, HELLO_MODEL);
    return workspace;
  });

  /** Explorer › right-click the model › Commit Model Version… › type the message › Enter. */
  async function commitFromExplorer(message: string): Promise<void> {
    await suite.wb.openExplorerView();
    await suite.wb.pickContextMenuItem(HELLO_MODEL, COMMIT);
    const box = await suite.wb.fillInputBox(message, { title: `Commit Model Version: ${HELLO_MODEL}` });
    assert.strictEqual(box.proposed, '', 'the message box starts empty');
  }

  async function showModelVersions(): Promise<void> {
    await suite.wb.openSourceControlView();
    await suite.wb.focusModelVersionsView();
  }

  it('shows the untracked model in the Model Versions view', async () => {
    await showModelVersions();
    await suite.wb.widenSideBar(250); // whole descriptions in the screenshots
    const desc = await suite.wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /no versions yet/ });
    assert.match(desc, /untracked/);
  });

  it(`commits ${HELLO_MODEL} as v1 from the Explorer context menu ('${COMMIT}')`, async () => {
    await commitFromExplorer('First version, from the UI');
    await suite.wb.waitForNotification(`Committed ${HELLO_MODEL} as v1`);
    await showModelVersions();
    await suite.wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /\b1 version\b/ });
    await suite.wb.expandTreeRow(VIEW, HELLO_MODEL);
    const v1 = await suite.wb.waitForTreeRow(VIEW, 'v1', { description: 'First version, from the UI' });
    assert.match(v1, /[0-9a-f]{7}/, `v1 description shows the short commit: ${v1}`);
    assert.deepStrictEqual(git(suite.workspace, 'log', '--format=%s').trim().split('\n'), ['First version, from the UI', 'Initial commit']);
  });

  it('commits the replaced file as v2, listed above v1', async () => {
    fs.copyFileSync(V2_BYTES, modelFile);
    await commitFromExplorer('Second version: the old weights');
    await suite.wb.waitForNotification(`Committed ${HELLO_MODEL} as v2`);
    await showModelVersions();
    await suite.wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /\b2 versions\b/ });
    await suite.wb.expandTreeRow(VIEW, HELLO_MODEL);
    await suite.wb.waitForTreeRow(VIEW, 'v2', { description: 'Second version' });
    const rows = await suite.wb.readTree(VIEW, { waitFor: 'v1' });
    await suite.wb.screenshot('repo-flow-versions');
    assert.deepStrictEqual(rows, [HELLO_MODEL, 'v2', 'v1'], `tree rows: ${rows.join(' | ')}`);
  });

  it(`tags v2 from its context menu ('${TAG}', default name); the tag shows on the row`, async () => {
    const labels = await suite.wb.rightClickTreeRow(VIEW, 'v2', { waitForItem: TAG });
    await suite.wb.screenshot('repo-flow-version-context-menu');
    for (const l of [TAG, RESTORE, 'Revert to This Version…', 'Set Alias…', 'Open (read-only)', 'Copy Commit Id', 'Copy LFS Oid']) {
      assert.ok(labels.includes(l), `version context menu lacks '${l}': ${labels.join(' | ')}`);
    }
    assert.ok(!labels.includes('Remove Alias…'), 'v2 has no alias to remove');
    await suite.wb.clickContextMenuItem(TAG);
    const name = await suite.wb.fillInputBox(undefined, { title: /^Tag hello_deepa\.onnx v2\b/ });
    assert.strictEqual(name.proposed, 'hello_deepa/v2', 'the proposed tag name');
    await suite.wb.fillInputBox(undefined, { title: 'Tag hello_deepa/v2' }); // the message: keep the default
    const desc = await suite.wb.waitForTreeRow(VIEW, 'v2', { description: '#hello_deepa/v2' });
    await suite.wb.waitForNotification(`Tagged ${HELLO_MODEL} v2 as hello_deepa/v2`);
    await suite.wb.screenshot('repo-flow-tagged');
    assert.match(desc, /Second version/);
    assert.doesNotMatch(await suite.wb.treeRowDescription(VIEW, 'v1'), /#/, 'v1 has no tag');
    const tags = await (await ModelRepository.open(suite.workspace)).listTags();
    assert.deepStrictEqual(tags.map((t) => t.name), ['hello_deepa/v2']);
    assert.strictEqual(tags[0].commit, git(suite.workspace, 'rev-parse', 'HEAD').trim());
  });

  it("Set Alias… on v2: a name typed in the list is offered as a new alias; one git refuses says why and is not taken", async () => {
    const page = suite.wb.page;
    await suite.wb.pickTreeContextMenuItem(VIEW, 'v2', 'Set Alias…');
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: /^Set an alias on hello_deepa\.onnx v2$/ }).waitFor({ state: 'visible', timeout: 15000 });
    const input = widget.locator('input');
    const rows = widget.locator('.monaco-list-row');
    const rowLabels = async () => (await rows.evaluateAll((e) => e.map((x) => x.getAttribute('aria-label') ?? ''))).join(' | ');
    // typing filtered the list down to nothing, and Enter did nothing (the npm start walkthrough)
    await input.fill('my alias');
    await rows.filter({ hasText: /not a valid alias/ }).first().waitFor({ state: 'visible', timeout: 15000 });
    assert.match(await rowLabels(), /'my alias' is not a valid alias name: it contains whitespace/, await rowLabels());
    await page.keyboard.press('Enter');
    await sleep(1000);
    assert.ok(await widget.isVisible(), 'a refused name leaves the list open');
    // a listed name the typing starts stays the row Enter takes
    await input.fill('prod');
    await rows.filter({ hasText: /a new alias/ }).first().waitFor({ state: 'visible', timeout: 15000 });
    assert.match((await widget.locator('.monaco-list-row.focused').getAttribute('aria-label')) ?? '', /^production\b/);
    await input.fill('canary');
    await rows.filter({ hasText: /canary.*a new alias/ }).first().waitFor({ state: 'visible', timeout: 15000 });
    await page.keyboard.press('Enter');
    await suite.wb.waitForNotification(`canary → ${HELLO_MODEL} v2.`);
    const desc = await suite.wb.waitForTreeRow(VIEW, 'v2', { description: /⟨canary⟩/ });
    assert.match(desc, /#hello_deepa\/v2/);
    const aliases = await (await ModelRepository.open(suite.workspace)).listAliases(HELLO_MODEL);
    assert.deepStrictEqual(aliases.map((a) => [a.alias, a.commit]), [['canary', git(suite.workspace, 'rev-parse', 'HEAD').trim()]]);
  });

  it(`restores v1 from its context menu ('${RESTORE}' → modal → Restore): the file has v1's bytes`, async () => {
    assert.strictEqual(sha256(modelFile), sha256(V2_BYTES), 'precondition: the working file holds v2');
    await suite.wb.pickTreeContextMenuItem(VIEW, 'v1', RESTORE);
    const text = await suite.wb.dialogText();
    assert.match(text, /Restore hello_deepa\.onnx to v1/, `dialog: ${text}`);
    await suite.wb.clickDialogButton('Restore');
    const deadline = Date.now() + 15000;
    while (sha256(modelFile) !== sha256(V1_BYTES)) {
      if (Date.now() > deadline) assert.fail("the working file did not get v1's bytes within 15 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    await suite.wb.waitForNotification(`Restored ${HELLO_MODEL} to v1.`);
    await suite.wb.screenshot('repo-flow-restored');
    const versions = await (await ModelRepository.open(suite.workspace)).versions(HELLO_MODEL);
    assert.strictEqual(sha256(modelFile), versions[0].oid, "v1's LFS oid");
    assert.strictEqual(versions.length, 2, 'restore makes no commit');
    assert.deepStrictEqual(git(suite.workspace, 'diff', '--name-only').trim(), HELLO_MODEL, 'the model now differs from HEAD (v2)');
    assert.ok(!fs.readdirSync(suite.workspace).some((f) => f.includes('modelver-restore')), 'no temporary file left in the work tree');
  });
});
