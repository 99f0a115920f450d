/**
 * Versions on other branches in the Model Versions view (issue #17): under the model, after the
 * current branch's versions, a group for the branch `experiment/lr-sweep` with the versions main does
 * not have and its ahead/behind counts; its versions offer Promote to Current Branch… (which the unit
 * tests run: test/unit/repoBranches.test.ts).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { fixture } from '../support/paths';
import { git, gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
const BRANCH = 'experiment/lr-sweep';
const PROMOTE = 'Promote to Current Branch…'; // contributes.commands[modelVersions.promoteVersion].title
const COMPARE_PREVIOUS = 'Compare with Previous Version';
const REVERT = 'Revert to This Version…';

describe('UI: branch groups in the Model Versions view', function () {
  // main: v1, v2; experiment/lr-sweep from v2: two versions (v3, v4 there); main: v3 (the three small ONNX files)
  const bytes = ['hello_deepa_old.onnx', 'namaste_deepa.onnx', HELLO_MODEL, 'hello_deepa_old.onnx', HELLO_MODEL].map((f) => fixture('onnx', f));
  const suite = workbenchSuite(
    'branchGroups',
    () => {
      const ws = gitModelWorkspace('ui-branches');
      fs.writeFileSync(path.join(ws, '.gitattributes'), '*.onnx filter=lfs diff=lfs merge=lfs -text\n');
      git(ws, 'add', '.gitattributes');
      const commit = (f: string, msg: string) => {
        fs.copyFileSync(f, path.join(ws, HELLO_MODEL));
        git(ws, 'add', HELLO_MODEL);
        git(ws, 'commit', '-q', '-m', msg);
      };
      commit(bytes[0], 'v1');
      commit(bytes[1], 'v2');
      git(ws, 'switch', '-q', '-c', BRANCH);
      commit(bytes[2], 'lr 0.01');
      commit(bytes[3], 'lr 0.001');
      git(ws, 'switch', '-q', 'main');
      commit(bytes[4], 'v3 on main');
      return ws;
    },
    120000,
    { viewport: { width: 1600, height: 1000 } },
  );

  it(`shows ${BRANCH} under the model with the versions main lacks and ahead/behind; its versions offer Promote`, async () => {
    const wb = suite.wb;
    await wb.openModelVersionsContainer();
    await wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /3 versions/ });
    await wb.expandTreeRow(VIEW, HELLO_MODEL);
    const [behind, ahead] = git(suite.workspace, 'rev-list', '--left-right', '--count', `main...${BRANCH}`).trim().split(/\s+/);
    const desc = await wb.waitForTreeRow(VIEW, BRANCH, { description: `2 not on main · ${ahead}↑ ${behind}↓` });
    assert.strictEqual(desc, '2 not on main · 2↑ 1↓');
    await wb.expandTreeRow(VIEW, BRANCH);
    await wb.waitForTreeRow(VIEW, 'v4');
    const rows = await wb.readTree(VIEW);
    // the current branch's versions first (newest first), then the group and its versions
    assert.deepStrictEqual(rows, [HELLO_MODEL, 'v3', 'v2', 'v1', BRANCH, 'v4', 'v3'], rows.join(' | '));
    // a branch version offers Promote and what reads it by its commit; not Revert (Promote is that for another branch)
    const menu = await wb.rightClickTreeRow(VIEW, 'v4', { waitForItem: PROMOTE });
    await wb.screenshot('branch-groups');
    await wb.closeMenu();
    for (const item of [PROMOTE, 'Open (read-only)', COMPARE_PREVIOUS, 'Restore to Working Tree…', 'Tag Model Version…']) assert.ok(menu.includes(item), `no '${item}': ${menu.join(' | ')}`);
    assert.ok(!menu.includes(REVERT), menu.join(' | '));
  });
});
