/**
 * Runs inside the extension host of a real VS Code 1.100 (code-server) opened on a git + Git LFS
 * repository with an untracked hello_deepa.onnx and a committed README.md (see ../runTest.ts).
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { activeApi, extension, MODEL, showTree, VIEW_ID, waitFor, workspaceRoot } from './helpers';

describe('Model Versions: activation in a real VS Code', () => {
  it('runs against the real vscode API of VS Code 1.100', () => {
    assert.match(vscode.version, /^1\.100\./, `vscode.version is ${vscode.version}`);
  });

  it('opened the test workspace, a git repository which holds an .onnx model', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.strictEqual(folders.length, 1, 'one workspace folder');
    if (process.env.MV_TEST_WORKSPACE) assert.strictEqual(workspaceRoot(), path.resolve(process.env.MV_TEST_WORKSPACE));
    const found = await vscode.workspace.findFiles('**/*.onnx');
    assert.deepStrictEqual(
      found.map((u) => path.basename(u.fsPath)),
      [MODEL],
    );
    const gitDir = await vscode.workspace.fs.stat(vscode.Uri.joinPath(folders[0].uri, '.git'));
    assert.strictEqual(gitDir.type & vscode.FileType.Directory, vscode.FileType.Directory, '.git is a folder');
  });

  it('activates by itself (workspaceContains:**/*.onnx), without activate() being called', async function () {
    this.timeout(40000);
    const ext = extension();
    await waitFor(`${ext.id} to become active`, () => ext.isActive, 30000);
  });

  it('contributes the Model Versions view to the Source Control container', () => {
    const views = extension().packageJSON?.contributes?.views ?? {};
    const scm: { id: string; name: string }[] = views.scm ?? [];
    const view = scm.find((v) => v.id === VIEW_ID);
    assert.ok(view, `contributes.views.scm has no ${VIEW_ID}: ${JSON.stringify(views)}`);
    assert.strictEqual(view.name, 'Model Versions');
  });

  it('registers its commands', async () => {
    const commands = new Set(await vscode.commands.getCommands(true));
    const ids = [
      'inspectModel', 'refresh', 'commitModel', 'tagModel', 'setAlias', 'removeAlias', 'openVersion', 'restoreVersion',
      'revertToVersion', 'copyCommitId', 'copyOid', 'push', 'fetch', 'initRepository',
    ].map((c) => `modelVersions.${c}`);
    for (const c of [...ids, `${VIEW_ID}.focus`]) {
      assert.ok(commands.has(c), `command ${c} is not registered`);
    }
  });

  it('can focus the Model Versions view', async () => {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  });

  it("finds the repository: ready() resolves 'ready'", async () => {
    const api = await activeApi();
    assert.strictEqual(await api.ready(), 'ready');
  });

  it('lists the untracked model (no versions yet) in the Model Versions tree, and no README.md', async () => {
    const api = await activeApi();
    let last: unknown;
    const items = await waitFor(
      `${MODEL} in modelsView.getChildren()`,
      async () => {
        const children = await api.modelsView.getChildren();
        last = children;
        return children.some((c) => c.label === MODEL) ? children : undefined;
      },
      20000,
      () => showTree(last as never),
    );
    const item = items.find((c) => c.label === MODEL)!;
    const folder = vscode.workspace.workspaceFolders![0].uri;
    assert.strictEqual(item.resourceUri?.toString(), vscode.Uri.joinPath(folder, MODEL).toString());
    assert.match(item.description ?? '', /no versions yet/, `description: ${item.description}`);
    assert.match(item.description ?? '', /untracked/, `description: ${item.description}`);
    assert.strictEqual(item.contextValue, 'model.unversioned.exists');
    assert.strictEqual(item.children, undefined, `an unversioned model has no version nodes: ${showTree([item])}`);
    assert.ok(!items.some((c) => c.label === 'README.md'), `README.md is not a model: ${showTree(items)}`);
  });
});
