/**
 * Moving an alias from the production panels: through the tree's Set Alias command (the same code
 * path as its context menu), on the version's tree node; a version the tree does not show (another
 * branch's, a model outside the workspace folders) is moved by the repository directly.
 */
import * as vscode from 'vscode';
import type { ModelRepository } from '../../core/repo';
import { COMMAND } from '../commands/ids';
import { findVersionNode } from '../history/historyPanel';
import type { ModelsTreeProvider } from '../models/modelsTree';
import type { RepoManager } from '../repos/repoManager';

/** Where `alias` points now and where it pointed before (the alias log, newest move first). */
export async function aliasState(repo: ModelRepository, model: string, alias: string): Promise<{ current?: number; previous?: number }> {
  const entry = (await repo.listAliases(model)).find((a) => a.alias === alias);
  const moves = (await repo.aliasLog(model, alias)).filter((e) => e.action === 'set');
  const from = moves[0]?.from?.commit;
  const previous = from ? (await repo.resolveVersion(model, from).catch(() => undefined))?.version : undefined;
  return { ...(entry?.version !== undefined ? { current: entry.version } : {}), ...(previous !== undefined ? { previous } : {}) };
}

/** Asks, then moves `alias` of `model` to version `version`; resolves with what was done, or undefined. */
export async function moveAlias(repos: RepoManager, models: ModelsTreeProvider, repo: ModelRepository, model: string, alias: string, version: number, why: string): Promise<string | undefined> {
  const v = await repo.resolveVersion(model, version);
  const yes = `Set ${alias} → v${version}`;
  const answer = await vscode.window.showWarningMessage(`${why}\n\nMove the alias '${alias}' of ${model} to v${version}?`, { modal: true }, yes);
  if (answer !== yes) return undefined;
  const node = await findVersionNode(models, repo, v.model, v.commit).catch(() => undefined);
  if (node) await vscode.commands.executeCommand(COMMAND.setAlias, node, { alias });
  else {
    await repo.setAlias(model, alias, version);
    repos.refresh();
  }
  return `${alias} → ${model} v${version}`;
}
