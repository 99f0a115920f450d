/** In a folder that is not a git repository, the Model Versions view is empty and its welcome says why. */
import * as assert from 'assert';
import { HELLO_MODEL, modelWorkspace, removeWorkspace } from '../support/workspace';
import { Workbench } from './helpers';

describe('UI: Model Versions view outside a git repository', function () {
  let wb: Workbench;
  let workspace: string;

  before(async function () {
    this.timeout(120000);
    workspace = modelWorkspace('ui-norepo');
    wb = new Workbench({ name: 'noRepoWelcome' });
    await wb.start(workspace);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshotOnFailure(this.currentTest.fullTitle());
  });

  after(async function () {
    this.timeout(30000);
    await wb?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  it("shows the 'not a git repository' welcome and no tree rows", async () => {
    await wb.openSourceControlView();
    const pane = await wb.focusModelVersionsView();
    const text = await wb.viewWelcomeText('Model Versions');
    await wb.screenshot('model-versions-no-repo');
    assert.match(text, /not a git repository/, `welcome: ${text}`);
    const button = pane.locator('.welcome-view-content .monaco-button', { hasText: 'Initialize Repository' });
    assert.strictEqual(await button.count(), 1, 'an Initialize Repository button');
    const rows = await pane.locator('.pane-body .monaco-list-row').count();
    assert.strictEqual(rows, 0, `the tree should be empty (${HELLO_MODEL} is not listed)`);
  });
});
