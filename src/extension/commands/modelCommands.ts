/** Commands on models and versions: commit, tag, alias, open, restore, revert, copy, push, fetch. */
import * as path from 'path';
import * as vscode from 'vscode';
import { LFS_INSTALL_HINT, RepoError, type ModelRepository, type ModelVersion, type TransferProgress } from '../../core/repo';
import { initRepository } from '../../core/repo/init';
import type { LineageInput } from '../../core/lineage';
import { askCommitMessage } from '../lineage/commitLineage';
import { commitMetricTrailers } from '../history/commitMetrics';
import { InspectPanel } from '../inspect/inspectPanel';
import { log } from '../log';
import { ModelNode, VersionNode } from '../models/modelsTree';
import { trustedTo, type RepoManager } from '../repos/repoManager';
import { progressReporter, specOf, versionFile, versionName } from '../versions';
import { COMMAND } from './ids';
import type { CommandRegistrar } from './register';

/** Options that callers (tests, other extensions) can pass instead of answering the prompts. */
export interface PromptAnswers {
  message?: string;
  /** commit: metrics recorded as the Model-Metrics trailer ({accuracy: 0.93} or 'accuracy=0.93, f1=0.9') */
  metrics?: Record<string, number> | string;
  name?: string;
  alias?: string;
  /** lineage to record with a commit (skips the lineage steps) */
  lineage?: LineageInput;
  /** skip the confirmation of restore / revert */
  confirm?: boolean;
  /** commit: the answer to "does not parse — Commit Anyway?" (true: commit, false: cancel) */
  force?: boolean;
  /** commit: the answer to "stale index.lock — Remove stale lock?" (true: remove it, false: cancel) */
  clearStaleLock?: boolean;
}

const ALIAS_SUGGESTIONS = ['production', 'staging', 'champion', 'challenger'];

/** Why `name` cannot be an alias (the repository's rules: a git ref name, no version number, …), or undefined. */
async function aliasProblem(repo: ModelRepository, name: string): Promise<string | undefined> {
  try {
    await repo.validateRefName(name, 'alias');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

type AliasItem = vscode.QuickPickItem & { name?: string; problem?: string; other?: true };

/**
 * Set Alias…'s question: the model's aliases and the usual ones, and whatever name is typed, offered
 * as a new alias (typing used to filter the list down to nothing, and Enter did nothing). A typed name
 * the repository would refuse says why on its row and is not taken.
 */
function pickAliasName(repo: ModelRepository, title: string, existing: string[]): Promise<string | undefined> {
  const names = [...new Set([...existing, ...ALIAS_SUGGESTIONS])];
  const listed: AliasItem[] = names.map((n) => ({ label: n, description: existing.includes(n) ? 'move it here' : '', name: n }));
  const other: AliasItem = { label: '$(add) Other alias…', description: 'type its name', other: true, alwaysShow: true };
  const qp = vscode.window.createQuickPick<AliasItem>();
  qp.title = title;
  qp.placeholder = 'production, staging, champion, … or type a new alias name';
  qp.matchOnDescription = false;
  qp.items = [...listed, other];
  let checking = 0;
  const typedItem = (name: string, problem?: string): AliasItem => ({
    label: `$(${problem ? 'error' : 'add'}) ${name}`,
    description: problem ? 'not a valid alias' : 'a new alias',
    detail: problem,
    name,
    problem,
    alwaysShow: true,
  });
  const refresh = async (value: string) => {
    const name = value.trim();
    const n = ++checking;
    if (!name || names.includes(name)) {
      qp.items = [...listed, other];
      return;
    }
    // a listed name that starts with what was typed stays the active row: 'prod' + Enter takes production
    const show = (items: AliasItem[]) => {
      qp.items = items;
      const prefix = listed.find((it) => it.name!.toLowerCase().startsWith(name.toLowerCase()));
      if (prefix) qp.activeItems = [prefix];
    };
    show([...listed, typedItem(name)]);
    const problem = await aliasProblem(repo, name);
    if (n === checking && problem) show([...listed, typedItem(name, problem)]);
  };
  qp.onDidChangeValue((value) => void refresh(value));
  return new Promise<string | undefined>((resolve) => {
    // 'other': the "Other alias…" row was taken (its input box follows the pick's closing)
    let outcome: { name: string } | 'other' | undefined;
    const accept = async () => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!item || item.problem) return; // the row says why; the pick stays open
      if (item.other) {
        outcome = 'other';
        qp.hide();
        return;
      }
      const name = item.name!;
      // a name accepted before its check came back is checked now
      const problem = names.includes(name) ? undefined : await aliasProblem(repo, name);
      if (problem) {
        qp.items = [...listed, typedItem(name, problem)];
        return;
      }
      outcome = { name };
      qp.hide();
    };
    qp.onDidAccept(() => void accept());
    qp.onDidHide(() => {
      qp.dispose();
      if (outcome !== 'other') {
        resolve(outcome?.name);
        return;
      }
      resolve(vscode.window.showInputBox({
        title: 'Alias name',
        prompt: 'A git ref name: no spaces, no "..", not a version number (v2) or "latest"',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? aliasProblem(repo, v.trim()) : undefined),
      }));
    });
    qp.show();
  });
}

export function modelCommands(command: CommandRegistrar, context: vscode.ExtensionContext, repos: RepoManager): void {
  command(COMMAND.commitModel, async (arg?: vscode.Uri | ModelNode, answers?: PromptAnswers) => {
    const file = fileOf(arg);
    const repo = await repos.repoFor(file);
    // first, before any prompt: is there anything to commit?
    const status = await repo.modelStatus(file);
    if (status.state === 'unchanged') return nothingToCommit(status.model, status.version);
    // the model committed: the file, or the folder model it belongs to (a sharded model's index or shard)
    const rel = status.model;
    // the message box's button opens the optional lineage steps (src/extension/lineage/commitLineage.ts)
    const asked = answers?.message === undefined ? await askCommitMessage(repo, rel) : undefined;
    const message = answers?.message ?? asked?.message;
    const lineage = answers?.lineage ?? asked?.lineage;
    if (!message?.trim()) return;
    const trailers = await commitMetricTrailers(repo, rel, answers?.metrics, answers?.message === undefined);
    if (!trailers) return;
    const commit = (force: boolean, clearStaleLock: boolean) =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Committing ${rel}…` }, () =>
        repo.commitModel(file, message.trim(), { trailers, ...(lineage ? { lineage } : {}), force, clearStaleLock }),
      );
    let r;
    try {
      r = await commitAsking(repo, commit, answers);
    } catch (e) {
      // the file was put back to HEAD's bytes while the prompts were open
      if (e instanceof RepoError && e.code === 'UNCHANGED') {
        const now = await repo.modelStatus(file).catch(() => undefined);
        if (now?.state === 'unchanged') return nothingToCommit(now.model, now.version);
      }
      throw e;
    }
    if (!r) return;
    log().info(`committed ${r.model} v${r.version} as ${r.shortCommit} (sha256:${r.oid})`);
    repos.refresh();
    void vscode.window.showInformationMessage(`Committed ${r.model} as v${r.version} (${r.shortCommit}).`);
    for (const w of [...r.warnings, ...(r.lineage?.warnings ?? [])]) void vscode.window.showWarningMessage(`Model Versions: ${w}`);
    return r;
  });

  command(COMMAND.tagModel, async (arg?: vscode.Uri | ModelNode | VersionNode, answers?: PromptAnswers) => {
    const { repo, model, version } = await versionOf(repos, arg);
    const defaultName = `${modelNameOf(model)}/${version.outsideHistory && version.branch ? `${version.branch}/` : ''}v${version.version}`;
    // read once for the name box (not a git process per keystroke); repo.tag still refuses a tag made meanwhile
    const existing = answers?.name ? new Set<string>() : new Set((await repo.listTags()).map((t) => t.name));
    const name = answers?.name ?? (await vscode.window.showInputBox({
      title: `Tag ${model} ${versionName(version)} (${version.shortCommit})`,
      prompt: 'Tag name (a git ref name: no spaces, no "..", no leading "-")',
      value: defaultName,
      ignoreFocusOut: true,
      validateInput: async (s) => {
        try {
          await repo.validateRefName(s.trim(), 'tag');
          // said here, before the message is asked for (then the tag would fail and the message be lost)
          if (existing.has(s.trim())) return `Tag '${s.trim()}' already exists: choose another name, or delete that tag first.`;
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    }));
    if (!name) return;
    const message = answers?.message ?? (await vscode.window.showInputBox({
      title: `Tag ${name}`,
      prompt: 'Tag message (release notes, metrics, …)',
      value: `${model} ${versionName(version)}`,
      ignoreFocusOut: true,
    }));
    if (message === undefined) return;
    const t = await repo.tag(model, { version: specOf(version), name: name.trim(), message });
    repos.refresh();
    void vscode.window.showInformationMessage(`Tagged ${model} ${versionName(version)} as ${t.name}.`);
    return t;
  });

  command(COMMAND.setAlias, async (arg?: VersionNode, answers?: PromptAnswers) => {
    const { repo, model, version } = await versionOf(repos, arg);
    let alias = answers?.alias;
    if (!alias) {
      const existing = (await repo.listAliases(model)).map((a) => a.alias);
      alias = await pickAliasName(repo, `Set an alias on ${model} ${versionName(version)}`, existing);
    }
    if (!alias) return;
    const ev = await repo.setAlias(model, alias.trim(), specOf(version));
    repos.refresh();
    // where it was, as the version the user knows (the commit when it is no version of this model)
    const was = ev.from ? await repo.resolveVersion(model, ev.from.commit).catch(() => undefined) : undefined;
    const from = ev.from ? ` (was ${was ? `v${was.version}` : ev.from.commit.slice(0, 7)})` : '';
    void vscode.window.showInformationMessage(`${alias} → ${model} ${versionName(version)}${from}.`);
    return ev;
  });

  command(COMMAND.removeAlias, async (arg?: VersionNode, answers?: PromptAnswers) => {
    const { repo, model, version } = await versionOf(repos, arg);
    const alias = answers?.alias ?? (version.aliases.length === 1
      ? version.aliases[0]
      : await vscode.window.showQuickPick(version.aliases, { title: `Remove an alias from ${model} ${versionName(version)}` }));
    if (!alias) return;
    const ev = await repo.removeAlias(model, alias);
    repos.refresh();
    return ev;
  });

  // the tree's click passes { preview: true }; a context menu passes the selection (an array): pinned
  command(COMMAND.openVersion, async (arg?: VersionNode, how?: { preview?: boolean } | readonly unknown[]) => {
    const { repo, model, version } = await versionOf(repos, arg);
    const file = await versionFile(context, repo, model, version);
    InspectPanel.show(context.extensionUri, vscode.Uri.file(file), {
      title: `${path.posix.basename(model)} @ ${versionName(version)}`,
      name: path.posix.basename(model),
      displayPath: `${model} @ ${versionName(version)} (${version.shortCommit}, read-only)`,
      key: `version:${repo.root}:${model}@${version.commit}`, // not the copy's path: v4 may have v2's bytes
      preview: !Array.isArray(how) && (how as { preview?: boolean } | undefined)?.preview === true,
    });
    return file;
  });

  command(COMMAND.restoreVersion, async (arg?: VersionNode, answers?: PromptAnswers) => {
    const { repo, model, version } = await versionOf(repos, arg);
    if (answers?.confirm !== false) {
      const ok = await vscode.window.showWarningMessage(
        `Restore ${model} to ${versionName(version)} (${version.shortCommit})?`,
        { modal: true, detail: 'The working file is replaced by that version. If it has uncommitted changes, a backup is kept first and its location is shown.' },
        'Restore',
      );
      if (ok !== 'Restore') return;
    }
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Restoring ${model} ${versionName(version)}…` },
      (p) => repo.restore(model, specOf(version), { onProgress: progressReporter(p) }),
    );
    repos.refresh();
    if (r.backup) {
      log().info(`restore ${model} v${r.version}: previous working copy saved to ${r.backup}`);
      void vscode.window.showInformationMessage(`Restored ${model} to v${r.version}. Your uncommitted copy was saved to ${r.backup}.`, 'Reveal Backup').then((a) => {
        if (a) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(r.backup!));
      });
    } else {
      void vscode.window.showInformationMessage(r.unchanged ? `${model} already has the content of v${r.version}.` : `Restored ${model} to v${r.version}.`);
    }
    return r;
  });

  command(COMMAND.revertToVersion, async (arg?: VersionNode, answers?: PromptAnswers) => {
    const { repo, model, version } = await versionOf(repos, arg);
    if (answers?.confirm !== false) {
      const ok = await vscode.window.showWarningMessage(
        `Revert ${model} to ${versionName(version)}?`,
        { modal: true, detail: 'A new commit is made whose model content equals that version. History is kept; uncommitted changes to the model are backed up first.' },
        'Revert',
      );
      if (ok !== 'Revert') return;
    }
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Reverting ${model} to ${versionName(version)}…` },
      (p) => repo.revertTo(model, specOf(version), { onProgress: progressReporter(p) }),
    );
    repos.refresh();
    void vscode.window.showInformationMessage(`${model} is now v${r.version} (${r.shortCommit}), with the content of ${versionName(version)}.`);
    for (const w of r.warnings) void vscode.window.showWarningMessage(`Model Versions: ${w}`);
    return r;
  });

  // Promote to <current branch>: another branch's version, committed here derived from it (issue #17)
  command(COMMAND.promoteVersion, async (arg?: VersionNode, answers?: PromptAnswers) => {
    const { repo, model, version } = await versionOf(repos, arg);
    const branch = await repo.currentBranch();
    if (!branch) {
      void vscode.window.showErrorMessage('Model Versions: HEAD is detached (no branch is checked out). Check out the branch to promote onto first (git switch <branch>).');
      return;
    }
    if (answers?.confirm !== false) {
      const ok = await vscode.window.showWarningMessage(
        `Promote ${model} ${versionName(version)} to ${branch}?`,
        {
          modal: true,
          detail: `A new version of ${model} is committed on ${branch} with the bytes of ${versionName(version)} (${version.shortCommit}), its lineage derived from it. Only the model is taken, none of the branch's other changes.`,
        },
        'Promote',
      );
      if (ok !== 'Promote') return;
    }
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Promoting ${model} ${versionName(version)} to ${branch}…` },
      (p) => repo.promote(model, specOf(version), { ...(answers?.message ? { message: answers.message } : {}), onProgress: progressReporter(p) }),
    );
    repos.refresh();
    void vscode.window.showInformationMessage(`${model} is now v${r.version} on ${branch} (${r.shortCommit}), promoted from ${versionName(version)}.`);
    for (const w of r.warnings) void vscode.window.showWarningMessage(`Model Versions: ${w}`);
    return r;
  });

  command(COMMAND.copyCommitId, async (arg?: VersionNode) => {
    const { version } = await versionOf(repos, arg);
    await vscode.env.clipboard.writeText(version.commit);
  });

  command(COMMAND.copyOid, async (arg?: VersionNode) => {
    const { version } = await versionOf(repos, arg);
    await vscode.env.clipboard.writeText(version.oid ? `sha256:${version.oid}` : version.contentId);
  });

  const transfer = (op: 'push' | 'fetch') => async () => {
    await repos.ready();
    const results = [];
    for (const repo of repos.repositories) {
      const r = await vscode.window.withProgress<{ remote: string }>(
        { location: vscode.ProgressLocation.Notification, title: `${op === 'push' ? 'Pushing' : 'Fetching'} model versions (${path.basename(repo.root)})…`, cancellable: false },
        (p) => {
          const onOutput = (s: string) => log().info(s.trimEnd());
          // git's stages: "Uploading LFS objects 45% (9/20)", "Writing objects 100% (12/12)"
          const onProgress = (t: TransferProgress) => p.report({ message: `${t.remote ? 'remote: ' : ''}${t.label} ${t.percent}% (${t.processed}/${t.total})` });
          return op === 'push' ? repo.push(undefined, { onOutput, onProgress }) : repo.fetch(undefined, { onOutput, onProgress });
        },
      );
      results.push(r);
    }
    repos.refresh();
    void vscode.window.showInformationMessage(`Model Versions: ${op} done (${results.map((r) => r.remote).join(', ')}).`);
    return results;
  };
  command(COMMAND.push, transfer('push'));
  command(COMMAND.fetch, transfer('fetch'));

  command(COMMAND.initRepository, async () => {
    if (!trustedTo('initialize a repository')) return; // git init would run git in it
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    await initRepository(folder.uri.fsPath);
    await repos.discover();
  });

  command(COMMAND.showLfsHelp, async () => {
    void vscode.window.showInformationMessage(`Git LFS is needed to version model files. ${LFS_INSTALL_HINT}`, { modal: true });
  });
}

/** What the commit command returns when the file has the bytes of a version already (nothing was asked or committed). */
export interface NothingToCommit {
  unchanged: true;
  model: string;
  version: number;
  shortCommit: string;
  /** the information message shown */
  message: string;
}

/** "The file matches vN": an information message (not an error), nothing to do. */
function nothingToCommit(model: string, v: ModelVersion): NothingToCommit {
  const message = `${model} matches v${v.version} (${v.shortCommit}): nothing to commit. Change the file, then commit it as a new version.`;
  log().info(`commit ${model}: unchanged since v${v.version} (${v.shortCommit})`);
  void vscode.window.showInformationMessage(message);
  return { unchanged: true, model, version: v.version, shortCommit: v.shortCommit, message };
}

/**
 * Commit; when the file does not parse, ask "Commit Anyway"; when a killed git process left a stale
 * index.lock, ask "Remove stale lock" (a lock a live git process holds is only reported). Each
 * question is asked once; undefined: the user said no.
 */
async function commitAsking<T>(
  repo: ModelRepository,
  commit: (force: boolean, clearStaleLock: boolean) => Thenable<T>,
  answers: PromptAnswers | undefined,
): Promise<T | undefined> {
  let force = false;
  let clearStaleLock = false;
  for (;;) {
    try {
      return await commit(force, clearStaleLock);
    } catch (e) {
      if (!(e instanceof RepoError)) throw e;
      if (e.code === 'UNREADABLE_MODEL' && !force) {
        const ok = answers?.force ?? (await vscode.window.showWarningMessage(
          'This file does not parse as a model.',
          { modal: true, detail: `${e.message.replace(/ (Nothing was committed\. )?If these bytes are what you mean.*$/s, '')}\n\nCommit it as a new version anyway?` },
          'Commit Anyway',
        )) === 'Commit Anyway';
        if (!ok) return undefined;
        force = true;
        continue;
      }
      if (e.code === 'INDEX_LOCKED' && !clearStaleLock) {
        const lock = await repo.indexLock();
        if (lock?.stale) {
          const ok = answers?.clearStaleLock ?? (await vscode.window.showWarningMessage(
            'A stale git lock blocks the commit.',
            { modal: true, detail: `${lock.path}: ${lock.reason}.\n\nRemove it and commit?` },
            'Remove stale lock',
          )) === 'Remove stale lock';
          if (!ok) return undefined;
          clearStaleLock = true;
          continue;
        }
      }
      throw e;
    }
  }
}

function fileOf(arg: unknown): string {
  if (arg instanceof ModelNode) return arg.entry.absPath;
  if (arg instanceof VersionNode) return arg.model.entry.absPath;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const active = vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
  if (active?.scheme === 'file') return active.fsPath;
  throw new RepoError('NOT_FOUND', 'Pick a model file: right-click it in the Explorer or in the Model Versions view.');
}

function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
  return input?.uri;
}

async function versionOf(repos: RepoManager, arg: unknown): Promise<{ repo: ModelRepository; model: string; version: ModelVersion }> {
  if (arg instanceof VersionNode) return { repo: arg.repo, model: arg.version.model, version: arg.version };
  const file = fileOf(arg);
  const repo = await repos.repoFor(file);
  const model = repo.rel(file);
  const version = await repo.resolveVersion(model, 'latest');
  return { repo, model: version.model, version };
}

function modelNameOf(model: string): string {
  return path.posix.basename(model).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '-');
}
