/**
 * The Model Versions view has its own container in the activity bar (package.json
 * contributes.viewsContainers.activitybar): one click on its icon shows the tree with room to read it,
 * in the default layout (side bar not widened, no pane collapsed), also when the repository has
 * uncommitted changes (which, when the view lived in Source Control, pushed it to the bottom).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { git, gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
const DETAILS = 'Version Details';
/** The window of the walkthrough in issue #11 (and of the README's screenshots). */
const WINDOW = { width: 1600, height: 1000 };
const MIN_TREE_HEIGHT = 300;

describe('UI: Model Versions view', function () {
  const suite = workbenchSuite(
    'modelsView',
    () => {
      const workspace = gitModelWorkspace('ui-view');
      // uncommitted changes: a modified README.md and a dozen new files, beside the untracked model
      fs.appendFileSync(path.join(workspace, 'README.md'), '\nEdited, not committed.\n');
      for (let i = 1; i <= 12; i++) fs.writeFileSync(path.join(workspace, `notes-${i}.txt`), `note ${i}\n`);
      return workspace;
    },
    120000,
    { viewport: WINDOW },
  );

  it(`its activity-bar icon shows it in the default layout, at least ${MIN_TREE_HEIGHT} px tall, with the models, beside uncommitted changes`, async () => {
    const wb = suite.wb;
    const status = git(suite.workspace, 'status', '--porcelain').split('\n').filter(Boolean);
    assert.ok(status.includes(' M README.md') && status.length >= 14, `precondition: uncommitted changes (${status.join(' | ')})`);
    const pane = await wb.openModelVersionsContainer();
    await wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /no versions yet/ });
    await wb.screenshot('model-versions-container');

    const paneBox = await pane.boundingBox();
    assert.ok(paneBox, 'the Model Versions pane has a box');
    assert.ok(paneBox.height >= MIN_TREE_HEIGHT, `the Model Versions pane is ${paneBox.height} px tall, want ≥ ${MIN_TREE_HEIGHT}`);
    const header = pane.locator('.pane-header').first();
    assert.strictEqual(await header.getAttribute('aria-expanded'), 'true', 'the Model Versions pane is expanded');
    const rowBox = await wb.treeRow(VIEW, HELLO_MODEL).boundingBox();
    assert.ok(rowBox, `the ${HELLO_MODEL} row has a box`);
    assert.ok(
      rowBox.y >= paneBox.y && rowBox.y + rowBox.height <= paneBox.y + paneBox.height,
      `the ${HELLO_MODEL} row (y ${rowBox.y}..${rowBox.y + rowBox.height}) lies inside the pane (y ${paneBox.y}..${paneBox.y + paneBox.height})`,
    );
    // the side bar is the only one showing, at its default width (nothing widened)
    const sidebar = await wb.page.locator('.part.sidebar').boundingBox();
    assert.ok(sidebar && rowBox.x >= sidebar.x && rowBox.x < sidebar.x + sidebar.width, 'the row is in the side bar');

    // Version Details sits below the tree in the same container, expanded, with room of its own
    const details = wb.viewPane(DETAILS);
    await details.waitFor({ state: 'visible' });
    assert.strictEqual(await details.locator('.pane-header').first().getAttribute('aria-expanded'), 'true', 'Version Details is expanded');
    const detailsBox = await details.boundingBox();
    assert.ok(detailsBox && detailsBox.y >= paneBox.y + paneBox.height - 1, 'Version Details is below the tree');
    assert.ok(detailsBox.height >= 200, `Version Details is ${detailsBox.height} px tall`);
    // the git extension's panes stay in Source Control
    assert.strictEqual(await wb.viewPane('Changes').isVisible(), false, 'no Changes pane beside Model Versions');
  });

  it(`lists ${HELLO_MODEL} as untracked, README.md not at all`, async () => {
    await suite.wb.focusModelVersionsView();
    const labels = await suite.wb.readTree(VIEW, { waitFor: HELLO_MODEL });
    await suite.wb.screenshot('model-versions-view');
    assert.ok(labels.includes(HELLO_MODEL), `Model Versions tree rows: ${labels.join(' | ') || '(none)'}`);
    assert.ok(!labels.includes('README.md'), 'README.md is not a model');
    const desc = await suite.wb.treeRowDescription(VIEW, HELLO_MODEL);
    assert.match(desc, /no versions yet/, `description: ${desc}`);
    assert.match(desc, /untracked/, `description: ${desc}`);
  });
});
