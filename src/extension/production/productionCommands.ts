/**
 * A/B Test… and Monitor Deployed Versions… (issue #13): on a model of the Model Versions tree or from
 * the Command Palette; the prediction log (and an optional outcomes log, a reference) are picked in
 * open dialogs. Like the other commands that run git or a child process, nothing runs in an untrusted
 * workspace.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelRepository } from '../../core/repo';
import { COMMAND } from '../commands/ids';
import type { CommandRegistrar } from '../commands/register';
import { ModelNode, VersionNode, type ModelsTreeProvider } from '../models/modelsTree';
import { requireTrust, type RepoManager } from '../repos/repoManager';
import { AbTestPanel } from './abtestPanel';
import { MonitorPanel } from './monitorPanel';

/** Files given instead of the dialogs (tests, other commands). */
export interface ProductionAnswers {
  log?: string;
  /** '' for none */
  outcomes?: string;
  /** monitor: '' for each version's lineage */
  reference?: string;
  split?: string;
  /** the model (repository root and path) instead of the tree node or the pick */
  target?: { root: string; model: string };
}

const LOGS = { 'Prediction logs': ['jsonl', 'ndjson', 'json', 'csv', 'parquet'], 'All files': ['*'] };

async function pickFile(title: string, near: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, defaultUri: vscode.Uri.file(near), filters: LOGS, openLabel: 'Choose' });
  return picked?.[0]?.fsPath;
}

/** An optional second file: none, or one chosen in a dialog; undefined when the pick was dismissed. */
async function pickOptional(title: string, none: string, choose: string, near: string): Promise<string | undefined> {
  const p = await vscode.window.showQuickPick([{ label: none, id: '' }, { label: `$(folder-opened) ${choose}`, id: 'file' }], { title });
  if (!p) return undefined;
  if (!p.id) return '';
  return (await pickFile(choose, near)) ?? undefined;
}

async function targetOf(repos: RepoManager, arg: unknown, title: string, given?: { root: string; model: string }): Promise<{ repo: ModelRepository; model: string } | undefined> {
  if (given) return { repo: await repos.repoFor(path.join(given.root, given.model)), model: given.model };
  if (arg instanceof ModelNode) return { repo: arg.repo, model: arg.history?.path ?? arg.entry.path };
  if (arg instanceof VersionNode) return { repo: arg.repo, model: arg.version.model };
  const snaps = await repos.snapshot();
  const items = snaps.flatMap((s) =>
    [...s.histories.values()]
      .filter((h) => h.versions.length && !h.deleted)
      .map((h) => ({ label: path.posix.basename(h.path), description: `${h.path} · ${path.basename(s.repo.root)}`, repo: s.repo, model: h.path })),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage('Model Versions: no model has committed versions yet. Commit the deployed versions first, then test or monitor them.');
    return undefined;
  }
  return items.length === 1 ? items[0] : vscode.window.showQuickPick(items, { title, placeHolder: 'the model whose deployed versions the log is about' });
}

export function productionCommands(command: CommandRegistrar, context: vscode.ExtensionContext, repos: RepoManager, models: ModelsTreeProvider): void {
  // the followers are child processes: none outlives the extension (deactivation closes the panels)
  context.subscriptions.push({ dispose: () => MonitorPanel.panels().forEach((p) => p.dispose()) });
  command(COMMAND.abTest, async (arg?: unknown, answers?: ProductionAnswers) => {
    if (!requireTrust('A/B tests of its models')) return undefined;
    const t = await targetOf(repos, arg, 'A/B Test', answers?.target);
    if (!t) return undefined;
    const log = answers?.log ?? (await pickFile(`A/B Test of ${t.model}: the prediction log (JSON Lines, CSV, Parquet or KServe / Seldon CloudEvents)`, t.repo.root));
    if (!log) return undefined;
    const outcomes = answers?.outcomes ?? (await pickOptional('Outcomes', 'The log holds the outcomes', 'Choose an outcomes log (joined on request_id)…', path.dirname(log)));
    if (outcomes === undefined) return undefined;
    return AbTestPanel.show(context, repos, models, { ...t, log, ...(outcomes ? { outcomes } : {}), ...(answers?.split ? { split: answers.split } : {}) });
  });

  command(COMMAND.monitorVersions, async (arg?: unknown, answers?: ProductionAnswers) => {
    if (!requireTrust('the monitoring of its models')) return undefined;
    const t = await targetOf(repos, arg, 'Monitor Deployed Versions', answers?.target);
    if (!t) return undefined;
    const log = answers?.log ?? (await pickFile(`Monitor ${t.model}: the prediction log (JSON Lines, CSV, Parquet or KServe / Seldon CloudEvents)`, t.repo.root));
    if (!log) return undefined;
    const outcomes = answers?.outcomes ?? (await pickOptional('Outcomes', 'No outcomes log (or the log holds them)', 'Choose an outcomes log (joined on request_id)…', path.dirname(log)));
    if (outcomes === undefined) return undefined;
    const reference = answers?.reference ?? (await pickOptional('Drift reference', "Each version's training data (its lineage)", 'Choose a reference file (CSV, JSON Lines or Parquet of features)…', t.repo.root));
    if (reference === undefined) return undefined;
    const panel = MonitorPanel.show(context, repos, models, { ...t, log, ...(outcomes ? { outcomes } : {}), ...(reference ? { reference } : {}) });
    return { pid: panel.pid };
  });
}
