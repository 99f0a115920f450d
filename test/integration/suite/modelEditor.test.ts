import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { activeApi, MODEL, waitFor, workspaceRoot } from './helpers';

describe('Model Versions: opening a model file', function () {
  this.timeout(30000);

  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('opens .onnx in the read-only Model Summary editor instead of binary', async () => {
    await activeApi();
    const uri = vscode.Uri.file(path.join(workspaceRoot(), MODEL));
    await vscode.commands.executeCommand('vscode.open', uri);
    const tab = await waitFor('the model summary editor to be the active tab', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputCustom ? t : undefined;
    }, 10000, () => `active tab: ${vscode.window.tabGroups.activeTabGroup.activeTab?.label}`);
    const input = tab.input as vscode.TabInputCustom;
    assert.strictEqual(input.viewType, 'modelVersions.modelViewer');
    assert.strictEqual(input.uri.fsPath, uri.fsPath);
    assert.strictEqual(tab.label, MODEL);
  });

  it('leaves other files to their usual editors', async () => {
    const uri = vscode.Uri.file(path.join(workspaceRoot(), 'README.md'));
    await vscode.commands.executeCommand('vscode.open', uri);
    const tab = await waitFor('README.md to open', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.label === 'README.md' ? t : undefined;
    }, 10000);
    assert.ok(tab.input instanceof vscode.TabInputText, 'README.md opens as text');
  });
});
