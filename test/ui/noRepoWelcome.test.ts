/** In a folder that is not a git repository, the Model Versions view is empty and its welcome says why. */
import * as assert from 'assert';
import { HELLO_MODEL, modelWorkspace } from '../support/workspace';
import { workbenchSuite } from './helpers';

describe('UI: Model Versions view outside a git repository', function () {
  const suite = workbenchSuite('noRepoWelcome', async () => {
    const workspace = modelWorkspace('ui-norepo');
    return workspace;
  });

  it("shows the 'not a git repository' welcome and no tree rows", async () => {
    const pane = await suite.wb.openModelVersionsContainer(); // its activity-bar icon
    const text = await suite.wb.viewWelcomeText('Model Versions');
    await suite.wb.screenshot('model-versions-no-repo');
    assert.match(text, /not a git repository/, `welcome: ${text}`);
    const button = pane.locator('.welcome-view-content .monaco-button', { hasText: 'Initialize Repository' });
    assert.strictEqual(await button.count(), 1, 'an Initialize Repository button');
    const rows = await pane.locator('.pane-body .monaco-list-row').count();
    assert.strictEqual(rows, 0, `the tree should be empty (${HELLO_MODEL} is not listed)`);
  });
});
