// placeholder replaced by the diff panel work (issue #4)
import type * as vscode from 'vscode';
import type { ModelsTreeNode } from '../models/modelsTree';
import type { RepoManager } from '../repos/repoManager';

export function registerDiff(_context: vscode.ExtensionContext, _repos: RepoManager, _view: vscode.TreeView<ModelsTreeNode>): void {}
