/**
 * Model Versions — VS Code wiring. Thin: all domain logic lives in src/core.
 * Activation stays cheap: heavy modules (h5wasm, onnxruntime-node) load only when a command needs them.
 */
import * as vscode from 'vscode';
import { InspectPanel } from './inspect/inspectPanel';
import { log } from './log';
import { ModelNode, ModelsTreeProvider, VIEW_ID, type ModelsTreeNode } from './models/modelsTree';

/** What activate() returns: used by our integration tests (and by other extensions, read-only). */
export interface ModelVersionsApi {
  modelsView: { getChildren(): Promise<{ label: string; resourceUri?: vscode.Uri }[]> };
}

export function activate(context: vscode.ExtensionContext): ModelVersionsApi {
  const started = Date.now();
  const models = new ModelsTreeProvider();
  const view = vscode.window.createTreeView<ModelsTreeNode>(VIEW_ID, { treeDataProvider: models, showCollapseAll: true });
  context.subscriptions.push(
    log(),
    models,
    view,
    vscode.commands.registerCommand('modelVersions.refresh', () => models.refresh()),
    vscode.commands.registerCommand('modelVersions.inspectModel', (arg?: vscode.Uri | ModelNode) => {
      const uri = arg instanceof ModelNode ? arg.uri : arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (!uri) {
        void vscode.window.showWarningMessage('Model Versions: right-click a model file (.onnx, .h5, .keras) in the Explorer to inspect it.');
        return;
      }
      InspectPanel.show(context.extensionUri, uri);
    }),
  );
  log().info(`activated in ${Date.now() - started} ms (VS Code ${vscode.version})`);
  return {
    modelsView: {
      async getChildren() {
        const nodes = await models.getChildren();
        return nodes.map((n) => ({ label: n.label, resourceUri: n instanceof ModelNode ? n.uri : n.folder.uri }));
      },
    },
  };
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
