/**
 * The Model Versions tree in the Source Control view: one node per model file in the workspace.
 * (Versions under each model come from the repository layer.)
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { log } from '../log';

export const VIEW_ID = 'modelVersions.models';
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/.venv/**,**/__pycache__/**}';

export class ModelNode {
  constructor(
    readonly uri: vscode.Uri,
    readonly folder: vscode.WorkspaceFolder | undefined,
  ) {}
  get label(): string {
    return path.basename(this.uri.fsPath);
  }
  get relativePath(): string {
    return this.folder ? path.relative(this.folder.uri.fsPath, this.uri.fsPath) : this.uri.fsPath;
  }
}

export class FolderNode {
  constructor(
    readonly folder: vscode.WorkspaceFolder,
    readonly models: ModelNode[],
  ) {}
  get label(): string {
    return this.folder.name;
  }
}

export type ModelsTreeNode = FolderNode | ModelNode;

export function modelPatterns(): string[] {
  const cfg = vscode.workspace.getConfiguration('modelVersions');
  const p = cfg.get<string[]>('modelPatterns');
  return Array.isArray(p) && p.length ? p : ['**/*.onnx', '**/*.h5', '**/*.keras'];
}

export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private scan: Promise<ModelNode[]> | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/*.{${extensionsOf(modelPatterns()).join(',')}}`);
    const soon = () => this.refreshSoon();
    this.disposables.push(
      watcher,
      watcher.onDidCreate(soon),
      watcher.onDidDelete(soon),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('modelVersions.modelPatterns')) this.refresh();
      }),
    );
  }

  refresh(): void {
    this.scan = undefined;
    this.changed.fire(undefined);
  }

  /** Debounced refresh for bursts of file events. */
  private refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  private models(): Promise<ModelNode[]> {
    this.scan ??= findModels().then(
      async (nodes) => {
        await vscode.commands.executeCommand('setContext', 'modelVersions.hasModels', nodes.length > 0);
        await vscode.commands.executeCommand('setContext', 'modelVersions.scanned', true);
        log().info(`found ${nodes.length} model file(s)`);
        return nodes;
      },
      (e) => {
        log().error('model scan failed', e);
        return [];
      },
    );
    return this.scan;
  }

  async getChildren(element?: ModelsTreeNode): Promise<ModelsTreeNode[]> {
    if (element instanceof FolderNode) return element.models;
    if (element) return [];
    const models = await this.models();
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length <= 1) return models;
    return folders
      .map((f) => new FolderNode(f, models.filter((m) => m.folder === f)))
      .filter((f) => f.models.length > 0);
  }

  getTreeItem(element: ModelsTreeNode): vscode.TreeItem {
    if (element instanceof FolderNode) {
      const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = vscode.ThemeIcon.Folder;
      item.resourceUri = element.folder.uri;
      item.contextValue = 'folder';
      return item;
    }
    const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
    item.resourceUri = element.uri;
    item.id = element.uri.toString();
    const dir = path.dirname(element.relativePath);
    item.description = dir === '.' ? '' : dir;
    item.tooltip = new vscode.MarkdownString(`**${escapeMd(element.label)}**\n\n${escapeMd(element.relativePath)}`);
    item.iconPath = new vscode.ThemeIcon('symbol-structure');
    item.contextValue = 'model';
    item.command = { command: 'modelVersions.inspectModel', title: 'Inspect Model', arguments: [element.uri] };
    return item;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** `**\/*.onnx` → `onnx` */
function extensionsOf(patterns: string[]): string[] {
  const exts = new Set<string>();
  for (const p of patterns) {
    const m = /\*\.([A-Za-z0-9_]+)$/.exec(p);
    if (m) exts.add(m[1]);
  }
  return exts.size ? [...exts] : ['onnx', 'h5', 'keras'];
}

async function findModels(): Promise<ModelNode[]> {
  const seen = new Map<string, ModelNode>();
  for (const pattern of modelPatterns()) {
    const uris = await vscode.workspace.findFiles(pattern, EXCLUDE, 10000);
    for (const uri of uris) {
      if (!seen.has(uri.toString())) seen.set(uri.toString(), new ModelNode(uri, vscode.workspace.getWorkspaceFolder(uri)));
    }
  }
  return [...seen.values()].sort((a, b) => a.relativePath.localeCompare(b.relativePath));
}

/** Markdown-escape text taken from a file name or a model. */
export function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => '\\' + c);
}
