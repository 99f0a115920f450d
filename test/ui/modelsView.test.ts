/** The Model Versions view in Source Control lists the models of the workspace's git repository. */
import * as assert from 'assert';
import { gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite } from './helpers';

describe('UI: Model Versions view', function () {
  const suite = workbenchSuite('modelsView', async () => {
    const workspace = gitModelWorkspace('ui-view');
    return workspace;
  });

  it(`shows ${HELLO_MODEL} in Source Control › Model Versions`, async () => {
    await suite.wb.openSourceControlView();
    await suite.wb.focusModelVersionsView();
    const labels = await suite.wb.readTree('Model Versions', { waitFor: HELLO_MODEL });
    await suite.wb.screenshot('model-versions-view');
    assert.ok(labels.includes(HELLO_MODEL), `Model Versions tree rows: ${labels.join(' | ') || '(none)'}`);
    assert.ok(!labels.includes('README.md'), 'README.md is not a model');
    const desc = await suite.wb.treeRowDescription('Model Versions', HELLO_MODEL);
    assert.match(desc, /no versions yet/, `description: ${desc}`);
    assert.match(desc, /untracked/, `description: ${desc}`);
  });
});
