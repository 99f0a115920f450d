/**
 * Model Versions — VS Code wiring. Thin: all domain logic lives in src/core.
 * Activation stays cheap (issue #12): the commands' code (./features.ts) and the heavy modules (the
 * model readers, diff, evaluation, h5wasm, onnxruntime-node) load only when first needed, and git runs
 * only in a trusted workspace.
 */
import * as vscode from 'vscode';
import { COMMAND } from './commands/ids';
import { commandsTestHook, registerCommand, type CommandsTestHook } from './commands/register';
import { registerDetails, type DetailsTestHook } from './details/detailsView';
import type { DiffTestHook } from './diff/diffPanel';
import type { EvaluateTestHook } from './evaluate/evaluateCommands';
import { registerFeatures } from './features';
import { InspectPanel, MODEL_EDITOR_VIEW_TYPE, ModelEditorProvider } from './inspect/inspectPanel';
import { registerKerasEditorAssociation } from './inspect/kerasEditorAssociation';
import { log } from './log';
import { ModelNode, ModelsTreeProvider, VersionNode, VIEW_ID, type ModelsTreeNode } from './models/modelsTree';
import { RepoManager } from './repos/repoManager';
import { materializeUri } from './repos/materialize';

/** A node of the Model Versions tree as the test API shows it. */
export interface TreeNodeInfo {
  label: string;
  description?: string;
  contextValue?: string;
  resourceUri?: vscode.Uri;
  children?: TreeNodeInfo[];
  /** the tooltip, when it is plain text (not Markdown) */
  tooltip?: string;
  /** the command a click runs */
  command?: string;
  /**
   * The tree node itself (not enumerable, so JSON and deep-equal comparisons leave it out): pass it
   * to a command as the tree's context menus do, e.g. executeCommand('modelVersions.restoreVersion', info.node).
   */
  readonly node?: unknown;
}

/** What activate() returns: used by our integration tests (and by other extensions, read-only). */
export interface ModelVersionsApi {
  modelsView: {
    /** the tree's top-level nodes, with their children read recursively */
    getChildren(): Promise<TreeNodeInfo[]>;
    /** the view's description (the active Find Versions filter) */
    description(): string | undefined;
  };
  /** resolves when the repositories have been discovered */
  ready(): Promise<string>;
  /** refresh now and wait for it */
  refresh(): Promise<void>;
  /** select a tree node (from modelsView.getChildren().node), as a click does */
  select(node: unknown): Promise<void>;
  /** what the Version Details view shows */
  details: DetailsTestHook;
  /** the evaluation commands' host processes and reported errors */
  evaluate: EvaluateTestHook;
  /** the commands registered and the errors they reported (./commands/register.ts) */
  commands: CommandsTestHook;
  /** how many diff panels were created */
  diff: DiffTestHook;
}

export function activate(context: vscode.ExtensionContext): ModelVersionsApi {
  const started = Date.now();
  const repos = new RepoManager();
  const models = new ModelsTreeProvider(repos);
  const view = vscode.window.createTreeView<ModelsTreeNode>(VIEW_ID, { treeDataProvider: models, showCollapseAll: true, canSelectMany: true });
  context.subscriptions.push(
    log(),
    repos,
    models,
    view,
  );
  registerCommand(context, COMMAND.refresh, () => repos.discover());
  registerCommand(context, COMMAND.inspectModel, (arg?: vscode.Uri | ModelNode) => {
    const uri = arg instanceof ModelNode ? arg.uri : arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri) {
      void vscode.window.showWarningMessage('Model Versions: right-click a model file (.onnx, .h5, .keras) in the Explorer to inspect it.');
      return;
    }
    InspectPanel.show(context.extensionUri, uri);
  });
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(MODEL_EDITOR_VIEW_TYPE, new ModelEditorProvider(context.extensionUri, (uri) => materializeUri(context, repos, uri)), {
      supportsMultipleEditorsPerDocument: true,
    }),
  );
  registerKerasEditorAssociation(context, new ModelEditorProvider(context.extensionUri, (uri) => materializeUri(context, repos, uri)));
  // the other commands: their code loads when one of them first runs (./features.ts)
  const { diff, evaluate } = registerFeatures(context, repos, view, models);
  const details = registerDetails(context, repos, view);
  void repos.discover();
  log().info(`activated in ${Date.now() - started} ms (VS Code ${vscode.version})`);

  const describe = async (n: ModelsTreeNode): Promise<TreeNodeInfo> => {
    const item = models.getTreeItem(n);
    const kids = n instanceof VersionNode ? [] : await models.getChildren(n);
    const info: TreeNodeInfo = {
      label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
      description: typeof item.description === 'string' ? item.description : undefined,
      contextValue: item.contextValue,
      resourceUri: item.resourceUri,
      children: kids.length ? await Promise.all(kids.map(describe)) : undefined,
      ...(typeof item.tooltip === 'string' ? { tooltip: item.tooltip } : {}),
      ...(item.command ? { command: item.command.command } : {}),
    };
    return Object.defineProperty(info, 'node', { value: n, enumerable: false });
  };
  return {
    modelsView: { getChildren: async () => Promise.all((await models.getChildren()).map(describe)), description: () => view.description },
    ready: async () => {
      await repos.ready();
      return repos.state;
    },
    refresh: async () => {
      await repos.discover();
    },
    select: async (node: unknown) => {
      await view.reveal(node as ModelsTreeNode, { select: true, focus: true, expand: true });
    },
    details: { current: () => details.current(), settled: () => details.settled() },
    evaluate,
    commands: commandsTestHook,
    diff,
  };
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
