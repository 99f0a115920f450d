/**
 * "Open Model Changes" where a user meets a changed model without the Model Versions view: the
 * built-in git extension's Changes list (scm/resourceState/context) and the Timeline view
 * (timeline/item/context). hello_deepa.onnx is committed as v1 with the core library before the
 * workbench starts, then its working copy gets hello_deepa_old.onnx's bytes (modified, uncommitted)
 * and README.md is modified too.
 *
 * What VS Code 1.100 gives these menus' when clauses (found with probe entries in this workbench):
 * scm/resourceState/context is evaluated once per provider, resource group and resource contextValue
 * (scmProvider, scmProviderRootUri, scmResourceGroup, scmResourceState — which git leaves unset),
 * over the global context keys; there are no per-file keys, and `resource`/`resourceFilename`/
 * `resourceExtname` there are those of the workspace folder, not of the right-clicked file. The same
 * holds for timeline/item/context (view, timelineItem = the item's contextValue, e.g. git:file:commit).
 * So the Changes list offers the entry on every changed file and the command answers a non-model file
 * with a notice; the Timeline entry is tied to the Model Summary editor being the active editor (the
 * Timeline follows the active editor).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { git, gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite } from './helpers';

const CHANGES = 'Changes'; // the git extension's pane in Source Control
const TIMELINE = 'Timeline';
const OPEN_MODEL_CHANGES = 'Open Model Changes'; // contributes.commands title (both commands)
const PANEL_TITLE = `${HELLO_MODEL} v1 ↔ working file`;
const WORKING_BYTES = fixture('onnx', 'hello_deepa_old.onnx');

describe('UI: Open Model Changes from the Source Control changes list and the Timeline', function () {
  const suite = workbenchSuite('scmChanges', async () => {
    const workspace = gitModelWorkspace('ui-scm');
    const repo = await ModelRepository.open(workspace);
    const modelFile = path.join(workspace, HELLO_MODEL);
    await repo.commitModel(modelFile, 'First version');
    fs.copyFileSync(WORKING_BYTES, modelFile);
    fs.appendFileSync(path.join(workspace, 'README.md'), '\nThe working copy of the model holds other weights.\n');
    const status = git(workspace, 'status', '--porcelain').split('\n').filter(Boolean).sort();
    assert.deepStrictEqual(status, [' M README.md', ` M ${HELLO_MODEL}`], 'precondition: both files modified, nothing else');
    return workspace;
  });

  const panelTabs = () => suite.wb.page.locator('.tabs-container .tab', { hasText: PANEL_TITLE });

  it(`the git Changes list offers '${OPEN_MODEL_CHANGES}' on the modified model; it opens the structural diff`, async () => {
    await suite.wb.openSourceControlView();
    await suite.wb.readTree(CHANGES, { waitFor: HELLO_MODEL });
    await suite.wb.readTree(CHANGES, { waitFor: 'README.md' });
    // whole file names in the screenshots (cosmetic)
    await suite.wb.widenSideBar(150);

    const labels = await suite.wb.rightClickTreeRow(CHANGES, HELLO_MODEL, { waitForItem: OPEN_MODEL_CHANGES });
    await suite.wb.screenshot('scm-context-menu');
    assert.ok(labels.includes(OPEN_MODEL_CHANGES), `context menu of ${HELLO_MODEL} in ${CHANGES}: ${labels.join(' | ')}`);
    assert.ok(labels.includes('Open Changes') && labels.includes('Discard Changes'), `the git extension's own menu: ${labels.join(' | ')}`);

    await suite.wb.clickContextMenuItem(OPEN_MODEL_CHANGES);
    await panelTabs().first().waitFor({ state: 'visible' });
    const verdicts = await suite.wb.readWebviewText('ul.verdicts');
    assert.match(verdicts, /breaking: input onnx::Flatten_0 \[1,25,96\] → \[1,24,96\]/, `verdicts: ${verdicts}`);
    const heading = await suite.wb.readWebviewText('header.title h1');
    assert.ok(heading.includes(PANEL_TITLE), `panel heading: ${heading}`);
    // let the progress toasts ("Reading …", "Comparing …") go before the screenshot (cosmetic)
    await suite.wb.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 8000 }).catch(() => undefined);
    await suite.wb.screenshot('scm-open-model-changes');
  });

  it(`on README.md the entry shows too (no per-file when keys there) and answers with a notice, no panel`, async () => {
    await suite.wb.openSourceControlView();
    const labels = await suite.wb.rightClickTreeRow(CHANGES, 'README.md', { waitForItem: OPEN_MODEL_CHANGES });
    assert.ok(labels.includes(OPEN_MODEL_CHANGES), `context menu of README.md: ${labels.join(' | ')}`);
    await suite.wb.clickContextMenuItem(OPEN_MODEL_CHANGES);
    const text = await suite.wb.waitForNotification(/compares ONNX and Keras model files/);
    assert.match(text, /Open Model Changes/, text);
    assert.strictEqual(await panelTabs().count(), 1, 'no second diff panel');
    assert.strictEqual(await suite.wb.page.locator('.tabs-container .tab', { hasText: 'README.md ↔' }).count(), 0);
  });

  /** Focuses the Timeline (it follows the active editor) and returns the label of its row that starts with `prefix`. */
  async function timelineRow(prefix: string): Promise<string> {
    await suite.wb.runPaletteCommand('Explorer: Focus on Timeline View');
    const deadline = Date.now() + 30000;
    for (;;) {
      const rows = await suite.wb.readTree(TIMELINE, { timeoutMs: 5000 }).catch(() => [] as string[]);
      const row = rows.find((r) => r.startsWith(prefix));
      if (row) return row;
      if (Date.now() > deadline) throw new Error(`no Timeline row starting with '${prefix}': ${rows.join(' | ') || '(none)'}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  it(`the Timeline of ${HELLO_MODEL} (Model Summary editor active) offers '${OPEN_MODEL_CHANGES}' on its commit; README.md's does not`, async () => {
    await suite.wb.openExplorerView();
    await suite.wb.explorerItem(HELLO_MODEL).click(); // opens the Model Summary editor (the default editor of .onnx)
    await suite.wb.page.locator('.tabs-container .tab.active', { hasText: HELLO_MODEL }).waitFor({ state: 'visible' });
    const v1 = await timelineRow('First version');
    const labels = await suite.wb.rightClickTreeRow(TIMELINE, v1, { waitForItem: OPEN_MODEL_CHANGES });
    await suite.wb.screenshot('timeline-context-menu');
    assert.ok(labels.includes(OPEN_MODEL_CHANGES), `Timeline context menu of '${v1}': ${labels.join(' | ')}`);
    assert.ok(labels.includes('Open Changes'), `the git extension's own Timeline entries: ${labels.join(' | ')}`);
    await suite.wb.clickContextMenuItem(OPEN_MODEL_CHANGES);
    const text = await suite.wb.waitForNotification(/first version of hello_deepa\.onnx/);
    assert.match(text, /v1 is the first version of hello_deepa\.onnx; there is nothing before it to compare with/, text);

    // README.md (a text editor) active: its Timeline's commit has git's entries but not this one
    await suite.wb.openExplorerView();
    await suite.wb.explorerItem('README.md').click();
    await suite.wb.page.locator('.tabs-container .tab.active', { hasText: 'README.md' }).waitFor({ state: 'visible' });
    const initial = await timelineRow('Initial commit');
    const readme = await suite.wb.rightClickTreeRow(TIMELINE, initial, { waitForItem: 'Open Changes' });
    await suite.wb.closeMenu();
    assert.ok(readme.includes('Open Changes'), `README.md's Timeline menu: ${readme.join(' | ')}`);
    assert.ok(!readme.includes(OPEN_MODEL_CHANGES), `README.md's Timeline menu has '${OPEN_MODEL_CHANGES}': ${readme.join(' | ')}`);
  });
});
