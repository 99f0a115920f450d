/** The Model Versions view in Source Control lists the models of the workspace's git repository. */
import * as assert from 'assert';
import { gitModelWorkspace, HELLO_MODEL, removeWorkspace } from '../support/workspace';
import { Workbench } from './helpers';

describe('UI: Model Versions view', function () {
  let wb: Workbench;
  let workspace: string;

  before(async function () {
    this.timeout(120000);
    workspace = gitModelWorkspace('ui-view');
    wb = new Workbench({ name: 'modelsView' });
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

  it(`shows ${HELLO_MODEL} in Source Control › Model Versions`, async () => {
    await wb.openSourceControlView();
    await wb.focusModelVersionsView();
    const labels = await wb.readTree('Model Versions', { waitFor: HELLO_MODEL });
    await wb.screenshot('model-versions-view');
    assert.ok(labels.includes(HELLO_MODEL), `Model Versions tree rows: ${labels.join(' | ') || '(none)'}`);
    assert.ok(!labels.includes('README.md'), 'README.md is not a model');
    const desc = await wb.treeRowDescription('Model Versions', HELLO_MODEL);
    assert.match(desc, /no versions yet/, `description: ${desc}`);
    assert.match(desc, /untracked/, `description: ${desc}`);
  });
});
