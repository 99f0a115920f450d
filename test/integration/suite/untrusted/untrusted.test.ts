/**
 * The untrusted pass of ../../runTest.ts: VS Code opened, with workspace trust on, on a folder that is
 * not trusted (Restricted Mode) and not a git repository. package.json's
 * `capabilities.untrustedWorkspaces` promises that Model Versions then runs no git command (git hooks
 * and config could run code) and starts no evaluation host: the commands that would refuse, and model
 * files can still be inspected.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { git } from '../../../support/workspace';
import { linearModel } from '../../../support/onnxModels';
import { activeApi, MODEL, waitFor, workspaceRoot } from '../helpers';

const exec = <T>(command: string, ...args: unknown[]): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));

describe('Model Versions: an untrusted workspace (Restricted Mode)', function () {
  this.timeout(60000);

  it('is untrusted and not inside any git repository (test precondition)', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false, 'the workspace should open untrusted (runTest.ts: trust on, startup prompt off)');
    const root = workspaceRoot();
    assert.ok(!fs.existsSync(path.join(root, '.git')));
    assert.throws(() => git(root, 'rev-parse', '--show-toplevel'), /not a git repository/i);
  });

  it("activates, ready() resolves 'untrusted', and the tree is empty", async () => {
    const api = await activeApi();
    assert.strictEqual(await api.ready(), 'untrusted');
    assert.deepStrictEqual(await api.modelsView.getChildren(), []);
  });

  it("'Initialize Repository with Git LFS' refuses: no git init, no .git", async () => {
    const root = workspaceRoot();
    const r = await exec<unknown>('modelVersions.initRepository');
    assert.strictEqual(r, undefined);
    assert.ok(!fs.existsSync(path.join(root, '.git')), 'git init ran in an untrusted workspace');
    const api = await activeApi();
    await api.refresh();
    assert.strictEqual(await api.ready(), 'untrusted');
  });

  it('committing a model refuses (no git), naming the missing trust', async () => {
    const root = workspaceRoot();
    const api = await activeApi();
    const before = api.commands.errors().length;
    // a command never rejects: its failure is reported (a notification; the test API lists it)
    const r = await exec<unknown>('modelVersions.commitModel', vscode.Uri.file(path.join(root, MODEL)), { message: 'x' });
    assert.strictEqual(r, undefined);
    const reported = api.commands.errors().slice(before);
    assert.ok(reported.some((e) => e.command === 'modelVersions.commitModel' && /not trusted/.test(e.message)), JSON.stringify(reported));
    assert.ok(!fs.existsSync(path.join(root, '.git')));
  });

  it('Compare Models… refuses: no evaluation host starts', async () => {
    const root = workspaceRoot();
    const api = await activeApi();
    const dir = path.join(root, 'eval');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'a.onnx'), linearModel([1, -1], 0));
    fs.writeFileSync(path.join(dir, 'b.onnx'), linearModel([10, 10], -10));
    const rows = ['x0,x1,y'];
    for (let i = 0; i < 40; i++) {
      const x0 = (i % 7) / 7;
      const x1 = (i % 5) / 5;
      rows.push(`${x0},${x1},${x0 + x1 > 1 ? 1 : 0}`);
    }
    fs.writeFileSync(path.join(dir, 'data.csv'), rows.join('\n') + '\n');
    const errorsBefore = api.evaluate.errors().length;
    // in a trusted workspace these arguments compare the two files in a local evaluation host
    const r = await exec<unknown>('modelVersions.compareModels', {
      models: [path.join(dir, 'a.onnx'), path.join(dir, 'b.onnx')],
      dataset: { file: path.join(dir, 'data.csv'), labelColumn: 'y' },
      host: 'local',
      noCache: true,
    });
    assert.strictEqual(r, undefined, 'the comparison ran in an untrusted workspace');
    assert.deepStrictEqual(api.evaluate.hostPids(), []);
    assert.deepStrictEqual(api.evaluate.errors().slice(errorsBefore), [], 'refused before anything ran (nothing failed)');
  });

  it('model files can still be inspected (reading them runs nothing)', async () => {
    const uri = vscode.Uri.file(path.join(workspaceRoot(), MODEL));
    await exec('vscode.open', uri);
    const tab = await waitFor('the Model Summary of the .onnx file', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputCustom ? t : undefined;
    }, 10000);
    assert.strictEqual((tab.input as vscode.TabInputCustom).viewType, 'modelVersions.modelViewer');
    await exec('workbench.action.closeAllEditors');
  });
});
