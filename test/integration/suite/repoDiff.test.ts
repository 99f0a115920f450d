/**
 * The diff panel's commands through the real vscode API: Compare with Previous Version, Compare
 * Selected, Compare with… and Compare Two Model Files…, each returning the ModelDiff it shows.
 *
 * Runs after repo.test.ts (files run in alphabetical order: 'repo.test.js' < 'repoDiff.test.js') and
 * uses the versions it leaves: v1 = hello_deepa.onnx, v2 = hello_deepa_old.onnx (input
 * [1,25,96] → [1,24,96]), v3 = v1's content again (a revert), v4 = namaste_deepa.onnx. The
 * preconditions are checked first with the core library.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelDiff } from '../../../src/core/diff';
import { ModelRepository } from '../../../src/core/repo';
import { fixture } from '../../support/paths';
import { sha256 } from '../../support/workspace';
import { activeApi, MODEL, showTree, waitFor, workspaceRoot, type ModelVersionsApi, type TreeNodeInfo } from './helpers';

const DIFF_VIEW_TYPE = 'modelVersions.diff';
const V1_BYTES = fixture('onnx', 'hello_deepa.onnx');
const V2_BYTES = fixture('onnx', 'hello_deepa_old.onnx');
const OTHER_BYTES = fixture('onnx', 'namaste_deepa.onnx');

const exec = <T>(command: string, ...args: unknown[]): Promise<T> =>
  Promise.resolve(vscode.commands.executeCommand<T>(`modelVersions.${command}`, ...args));

/** The open diff panels' tab labels. */
function diffTabs(): string[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes(DIFF_VIEW_TYPE))
    .map((t) => t.label);
}

describe('Model Versions: comparing versions and model files (diff panel)', function () {
  this.timeout(60000);
  let api: ModelVersionsApi;
  let root: string;
  let model: TreeNodeInfo;

  const version = (label: string): TreeNodeInfo => {
    const v = model.children?.find((c) => c.label === label);
    assert.ok(v?.node, `no ${label} under ${MODEL}: ${showTree([model])}`);
    return v;
  };

  before(async function () {
    this.timeout(40000);
    api = await activeApi();
    assert.strictEqual(await api.ready(), 'ready');
    root = workspaceRoot();
    const vs = await (await ModelRepository.open(root)).versions(MODEL);
    assert.deepStrictEqual(
      vs.slice(0, 3).map((v) => v.oid),
      [sha256(V1_BYTES), sha256(V2_BYTES), sha256(V1_BYTES)],
      'repo.test.ts leaves v1 = hello_deepa, v2 = hello_deepa_old, v3 = v1 again',
    );
    let last: TreeNodeInfo | undefined;
    model = await waitFor(
      `${MODEL} with versions v1..v3 in the tree`,
      async () => {
        last = (await api.modelsView.getChildren()).find((n) => n.label === MODEL);
        const labels = (last?.children ?? []).map((c) => c.label);
        return ['v1', 'v2', 'v3'].every((l) => labels.includes(l)) ? last : undefined;
      },
      15000,
      () => showTree(last && [last]),
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('compares v2 with its previous version: the breaking input shape change comes first; the panel is open', async () => {
    const opened = api.diff.panelsOpened();
    const d = await exec<ModelDiff>('compareWithPrevious', version('v2').node);
    assert.ok(d, 'compareWithPrevious returns the ModelDiff');
    assert.strictEqual(api.diff.panelsOpened(), opened + 1, 'one panel created, counted before the command returned');
    assert.strictEqual(d.schema, 1);
    assert.strictEqual(d.a.version?.version, 1, 'A is the previous version');
    assert.strictEqual(d.b.version?.version, 2);
    assert.strictEqual(d.a.label, `${MODEL}@v1`);
    assert.strictEqual(d.breaking, true);
    assert.strictEqual(d.same, false);
    assert.match(d.verdicts[0], /^breaking: input .*\[1,25,96\] → \[1,24,96\]/, `verdicts: ${d.verdicts.join(' | ')}`);
    const shape = d.weights.rows.find((r) => r.status === 'shape-changed');
    assert.strictEqual(shape?.a?.name, 'layer1.weight');
    assert.ok(d.weights.rows.some((r) => r.status === 'identical'), 'small models keep their identical tensors for the table');

    const tabs = await waitFor('the diff panel tab', () => (diffTabs().length ? diffTabs() : undefined), 10000);
    assert.deepStrictEqual(tabs, [`${MODEL} v1 ↔ v2`]);
  });

  it('reuses the panel of a pair: comparing v2 with its previous again opens no second panel', async () => {
    const opened = api.diff.panelsOpened();
    const d = await exec<ModelDiff>('compareWithPrevious', version('v2').node);
    assert.strictEqual(d?.b.version?.version, 2);
    // counted when a panel is created, before the command returns: no waiting for the tabs API
    assert.strictEqual(api.diff.panelsOpened(), opened, 'no second panel was created');
    assert.deepStrictEqual(diffTabs(), [`${MODEL} v1 ↔ v2`]);
  });

  it('Compare Selected with v3 and v1 (same content): identical models, older version on the left', async () => {
    const v1 = version('v1').node;
    const v3 = version('v3').node;
    const d = await exec<ModelDiff>('compareSelected', v3, [v3, v1]);
    assert.ok(d, 'compareSelected returns the ModelDiff');
    assert.strictEqual(d.same, true, `verdicts: ${d.verdicts.join(' | ')}`);
    assert.deepStrictEqual(d.verdicts, ['identical models']);
    assert.strictEqual(d.a.version?.version, 1);
    assert.strictEqual(d.b.version?.version, 3);
    await waitFor('the v1 ↔ v3 panel', () => diffTabs().includes(`${MODEL} v1 ↔ v3`), 10000, () => diffTabs().join(', '));
  });

  it('two versions with the same bytes (v1, v3) are two read-only editors: the preview panel shows v3 after v1, pinned ones stay apart', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const inspectTabs = () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('modelVersions.inspect'))
        .map((t) => t.label);
    await exec('openVersion', version('v1').node, { preview: true });
    await waitFor('the v1 preview tab', () => (inspectTabs().join() === `${MODEL} @ v1` ? true : undefined), 10000, () => inspectTabs().join(', '));
    await new Promise((r) => setTimeout(r, 1000)); // past a double-click (DOUBLE_OPEN_MS): the next open is a single click
    await exec('openVersion', version('v3').node, { preview: true });
    await waitFor('the preview tab now titled v3', () => (inspectTabs().join() === `${MODEL} @ v3` ? true : undefined), 10000, () => inspectTabs().join(', '));
    // pinned (a context menu passes the selection): one editor each
    await exec('openVersion', version('v1').node, [version('v1').node]);
    await waitFor('v1 and v3 each in a tab', () => (inspectTabs().sort().join() === `${MODEL} @ v1,${MODEL} @ v3` ? true : undefined), 10000, () => inspectTabs().join(', '));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Compare Selected refuses anything but exactly two versions', async () => {
    const opened = api.diff.panelsOpened();
    assert.strictEqual(await exec('compareSelected', version('v1').node, [version('v1').node]), undefined);
    assert.strictEqual(await exec('compareSelected', version('v1').node, [version('v1').node, version('v2').node, version('v3').node]), undefined);
    assert.strictEqual(await exec('compareSelected', version('v1').node, [version('v1').node, model.node]), undefined, 'a model is not a version');
    assert.strictEqual(api.diff.panelsOpened(), opened, 'no panel opened');
  });

  it('refuses to compare v1 with a previous version (there is none)', async () => {
    const opened = api.diff.panelsOpened();
    const d = await exec<ModelDiff | undefined>('compareWithPrevious', version('v1').node);
    assert.strictEqual(d, undefined);
    assert.strictEqual(api.diff.panelsOpened(), opened, 'no panel opened');
  });

  it('Compare with… a version given by number puts the older one on the left', async () => {
    const d = await exec<ModelDiff>('compareWith', version('v1').node, 2);
    assert.strictEqual(d?.a.version?.version, 1);
    assert.strictEqual(d.b.version?.version, 2);
    assert.strictEqual(d.breaking, true);
    const e = await exec<ModelDiff>('compareWith', version('v3').node, 'v2');
    assert.deepStrictEqual([e?.a.version?.version, e?.b.version?.version], [2, 3]);
    assert.match(e.verdicts[0], /^breaking: input .*\[1,24,96\] → \[1,25,96\]/, `verdicts: ${e.verdicts.join(' | ')}`);
    await waitFor('the v2 ↔ v3 panel', () => diffTabs().includes(`${MODEL} v2 ↔ v3`), 10000, () => diffTabs().join(', '));
  });

  it('Compare Two Model Files… compares two files given as arguments (the Explorer selection)', async () => {
    const a = vscode.Uri.file(V1_BYTES);
    const b = vscode.Uri.file(OTHER_BYTES);
    const d = await exec<ModelDiff>('compareFiles', a, [a, b]);
    assert.ok(d, 'compareFiles returns the ModelDiff');
    assert.strictEqual(d.a.version, undefined);
    assert.strictEqual(d.b.path, OTHER_BYTES);
    assert.strictEqual(d.breaking, true);
    await waitFor('the files panel', () => diffTabs().includes('hello_deepa.onnx ↔ namaste_deepa.onnx'), 10000, () => diffTabs().join(', '));
  });

  it('shows an error in the panel (and returns undefined) when a side is not a model', async () => {
    const readme = vscode.Uri.file(path.join(root, 'README.md'));
    const errors = api.commands.errors().length;
    const d = await exec<ModelDiff | undefined>('compareFiles', vscode.Uri.file(V1_BYTES), readme);
    assert.strictEqual(d, undefined);
    assert.deepStrictEqual(api.commands.errors().slice(errors), [], 'the panel says it: no error notification too');
    await waitFor('the panel of the failed comparison', () => diffTabs().includes('hello_deepa.onnx ↔ README.md'), 10000, () => diffTabs().join(', '));
  });
});
