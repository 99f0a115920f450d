/**
 * Runs inside the extension host of a real VS Code 1.100 (code-server) opened on a git + Git LFS
 * repository with an untracked hello_deepa.onnx and a committed README.md (see ../runTest.ts).
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../../../src/extension/commands/ids';
import { activeApi, extension, MODEL, showTree, VIEW_ID, waitFor, workspaceRoot } from './helpers';

/** package.json contributes.viewsContainers.activitybar[0].id */
const CONTAINER_ID = 'modelVersions';

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

  it('contributes its own activity-bar container with the Model Versions tree and Version Details (expanded)', async () => {
    const contributes = extension().packageJSON?.contributes ?? {};
    const containers: { id: string; title: string; icon: string }[] = contributes.viewsContainers?.activitybar ?? [];
    const container = containers.find((c) => c.id === CONTAINER_ID);
    assert.ok(container, `contributes.viewsContainers.activitybar has no ${CONTAINER_ID}: ${JSON.stringify(containers)}`);
    assert.strictEqual(container.title, 'Model Versions');
    const icon = vscode.Uri.joinPath(extension().extensionUri, container.icon);
    assert.match(new TextDecoder().decode(await vscode.workspace.fs.readFile(icon)), /<svg[^>]*currentColor/, `${container.icon}: a monochrome SVG`);
    const views = contributes.views ?? {};
    const ours: { id: string; name: string; visibility?: string; initialSize?: number }[] = views[CONTAINER_ID] ?? [];
    assert.deepStrictEqual(ours.map((v) => [v.id, v.name]), [[VIEW_ID, 'Model Versions'], ['modelVersions.details', 'Version Details']]);
    for (const v of ours) {
      assert.ok(v.visibility === undefined || v.visibility === 'visible', `${v.id} starts expanded (visibility ${v.visibility})`);
      assert.ok(typeof v.initialSize === 'number' && v.initialSize > 0, `${v.id} has an initialSize`);
    }
    assert.ok(!JSON.stringify(views.scm ?? []).includes('modelVersions.'), `nothing left in Source Control: ${JSON.stringify(views.scm)}`);
    const welcomes: { view: string }[] = contributes.viewsWelcome ?? [];
    assert.ok(welcomes.length > 0 && welcomes.every((w) => w.view === VIEW_ID), 'the welcome views belong to the tree');
    // the workbench registered the container: its "View: Show Model Versions" command opens it
    const commands = new Set(await vscode.commands.getCommands(true));
    assert.ok(commands.has(`workbench.view.extension.${CONTAINER_ID}`), `no command workbench.view.extension.${CONTAINER_ID}`);
    await vscode.commands.executeCommand(`workbench.view.extension.${CONTAINER_ID}`);
  });

  it('registers every command of ids.ts (each one contributed: test/unit/commandIds.test.ts), through the one wrapper', async () => {
    const commands = new Set(await vscode.commands.getCommands(true));
    for (const c of [...COMMAND_IDS, `${VIEW_ID}.focus`]) {
      assert.ok(commands.has(c), `command ${c} is not registered`);
    }
    const api = await activeApi();
    assert.deepStrictEqual([...api.commands.registered()].sort(), [...COMMAND_IDS].sort(), 'registered through registerCommand (src/extension/commands/register.ts)');
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
