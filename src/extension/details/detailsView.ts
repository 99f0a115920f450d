// placeholder replaced by the Version Details work (issue #4)
import type * as vscode from 'vscode';
import type { ModelsTreeNode } from '../models/modelsTree';
import type { RepoManager } from '../repos/repoManager';

export function registerDetails(_context: vscode.ExtensionContext, _repos: RepoManager, _view: vscode.TreeView<ModelsTreeNode>): void {}
