/**
 * Runs inside the extension host of a real VS Code 1.100 (code-server) opened on a workspace with
 * hello_deepa.onnx and README.md (see ../runTest.ts).
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'model-versions.model-versions';
const VIEW_ID = 'modelVersions.models';
const MODEL = 'hello_deepa.onnx';

/** What activate() returns for tests (see src/extension/extension.ts). */
interface TestApi {
  modelsView: { getChildren(): Promise<{ label: string | vscode.TreeItemLabel; resourceUri?: vscode.Uri }[]> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value; fails with `what` after timeoutMs. */
async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await sleep(100);
  }
}

function extension(): vscode.Extension<TestApi> {
  const ext = vscode.extensions.getExtension<TestApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in the test instance`);
  return ext;
}

const labelText = (l: string | vscode.TreeItemLabel) => (typeof l === 'string' ? l : l.label);

describe('Model Versions: activation in a real VS Code', () => {
  it('runs against the real vscode API of VS Code 1.100', () => {
    assert.match(vscode.version, /^1\.100\./, `vscode.version is ${vscode.version}`);
  });

  it('opened the test workspace, which holds an .onnx model', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.strictEqual(folders.length, 1, 'one workspace folder');
    const found = await vscode.workspace.findFiles('**/*.onnx');
    assert.deepStrictEqual(
      found.map((u) => path.basename(u.fsPath)),
      [MODEL],
    );
  });

  it('activates by itself (workspaceContains:**/*.onnx), without activate() being called', async function () {
    this.timeout(40000);
    const ext = extension();
    await waitFor(`${EXTENSION_ID} to become active`, () => ext.isActive, 30000);
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
    for (const c of ['modelVersions.inspectModel', 'modelVersions.refresh', `${VIEW_ID}.focus`]) {
      assert.ok(commands.has(c), `command ${c} is not registered`);
    }
  });

  it('can focus the Model Versions view', async () => {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  });

  it('lists the workspace model in the Model Versions tree (test API modelsView)', async () => {
    const ext = extension();
    await waitFor('activation', () => ext.isActive, 30000);
    const api = ext.exports;
    assert.ok(api?.modelsView, 'activate() should return { modelsView } for tests');
    const items = await waitFor(
      `${MODEL} in modelsView.getChildren()`,
      async () => {
        const children = await api.modelsView.getChildren();
        return children.some((c) => labelText(c.label) === MODEL) ? children : undefined;
      },
      20000,
    );
    const item = items.find((c) => labelText(c.label) === MODEL)!;
    if (item.resourceUri) {
      const folder = vscode.workspace.workspaceFolders![0].uri;
      assert.strictEqual(item.resourceUri.toString(), vscode.Uri.joinPath(folder, MODEL).toString());
    }
    assert.ok(
      !items.some((c) => labelText(c.label) === 'README.md'),
      'README.md is not a model and must not be listed',
    );
  });
});
