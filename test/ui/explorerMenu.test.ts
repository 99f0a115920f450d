/** The Explorer context menu offers the extension's entries (Inspect, Commit, Tag) on model files only. */
import * as assert from 'assert';
import { gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite } from './helpers';

const INSPECT = 'Inspect Model'; // contributes.commands[modelVersions.inspectModel].title
const COMMIT = 'Commit Model Version…';
const TAG = 'Tag Model Version…';

describe('UI: Explorer context menu', function () {
  const suite = workbenchSuite('explorerMenu', async () => {
    const workspace = gitModelWorkspace('ui-explorer');
    return workspace;
  });

  it(`offers '${INSPECT}', '${COMMIT}' and '${TAG}' on an .onnx file`, async () => {
    const labels = await suite.wb.rightClickExplorerItem(HELLO_MODEL, { waitForItem: COMMIT });
    await suite.wb.screenshot('explorer-context-menu-onnx');
    await suite.wb.closeMenu();
    for (const l of [INSPECT, COMMIT, TAG]) {
      assert.ok(labels.includes(l), `context menu of ${HELLO_MODEL} lacks '${l}': ${labels.join(' | ')}`);
    }
  });

  it(`does not offer the extension's entries on README.md`, async () => {
    // First make sure the extension's menu entries are loaded at all, so that the absence below means something.
    const onnx = await suite.wb.rightClickExplorerItem(HELLO_MODEL, { waitForItem: COMMIT });
    await suite.wb.closeMenu();
    assert.ok(onnx.includes(INSPECT) && onnx.includes(COMMIT), `the extension's menu entries never showed: ${onnx.join(' | ')}`);

    const labels = await suite.wb.rightClickExplorerItem('README.md');
    await suite.wb.screenshot('explorer-context-menu-readme');
    await suite.wb.closeMenu();
    assert.ok(labels.length > 0, 'the README.md context menu has entries');
    for (const l of [INSPECT, COMMIT, TAG]) {
      assert.ok(!labels.includes(l), `context menu of README.md has '${l}': ${labels.join(' | ')}`);
    }
  });

  it(`'${INSPECT}' opens the Inspect panel for the model`, async () => {
    await suite.wb.pickContextMenuItem(HELLO_MODEL, INSPECT);
    await suite.wb.page.locator('.tabs-container .tab', { hasText: `Inspect ${HELLO_MODEL}` }).waitFor({ state: 'visible' });
    // The panel shows the summary (header.title) or, if the model cannot be read, an error (.error).
    const heading = await suite.wb.readWebviewText('header.title h1, .error');
    await suite.wb.screenshot('inspect-panel');
    assert.ok(heading.includes(HELLO_MODEL), `Inspect panel heading: ${heading}`);
    const subtitle = await suite.wb.readWebviewText('header.title .subtitle');
    assert.match(subtitle, /ONNX/, `Inspect panel subtitle: ${subtitle}`);
  });
});
