/**
 * The Model Merge panel (issue #17): a merge, rebase, cherry-pick or revert stopped on a conflicted
 * model file. Base, ours and theirs side by side (version, commit, author, recorded metrics), the
 * structural and weight diff of ours and of theirs against the base (src/core/diff, the diff panel's
 * view model), and Take Ours / Take Theirs / Take Another Version…, which write the chosen bytes,
 * stage them and record the choice (src/core/repo/conflicts.ts). Never a textual merge of pointers.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { diffModels, type ModelDiff } from '../../core/diff';
import { formatBytes } from '../../core/formats/describe';
import { trailerMetrics } from '../../core/lineage/metricHistory';
import {
  conflictState,
  RepoError,
  resolveModelConflict,
  sideName,
  stageVersion,
  writeBlobContent,
  type ConflictedFile,
  type ConflictState,
  type ModelRepository,
  type ModelVersion,
  type ResolveChoice,
  type ResolveResult,
} from '../../core/repo';
import type { MergeDiffView, MergeHostMessage, MergeSideName, MergeSideView, MergeViewModel, MergeWebviewMessage } from '../../shared/mergeProtocol';
import { COMMAND } from '../commands/ids';
import type { CommandRegistrar } from '../commands/register';
import { DiffPanel, type DiffEnd } from '../diff/diffPanel';
import { toDiffViewModel } from '../diff/viewModel';
import { log } from '../log';
import { ModelNode } from '../models/modelsTree';
import { requireTrust, type RepoManager } from '../repos/repoManager';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost } from '../webview/panel';

export const MERGE_VIEW_TYPE = 'modelVersions.modelMerge';

const SIDES: MergeSideName[] = ['base', 'ours', 'theirs'];
const NEXT_STEP: Record<string, string> = {
  merge: 'git commit',
  rebase: 'git rebase --continue',
  'cherry-pick': 'git cherry-pick --continue',
  revert: 'git revert --continue',
};

/** One side as read: its view, and its bytes in a file (when available). */
interface SideData {
  view: MergeSideView;
  file?: string;
  version?: ModelVersion;
}

export class MergePanel extends WebviewPanelHost<MergeHostMessage, MergeWebviewMessage> {
  private static readonly registry = new PanelRegistry<MergePanel>({
    viewType: MERGE_VIEW_TYPE,
    script: 'merge.js',
    styles: ['diff.css', 'merge.css'],
    retainContextWhenHidden: true,
  });
  model: MergeViewModel | undefined;
  private sides: Partial<Record<MergeSideName, SideData>> = {};
  private running: Promise<MergeViewModel | undefined> | undefined;
  private busy = false;

  /** Shows the panel of a conflicted model, creating or revealing it; resolves with what it shows. */
  static async show(context: vscode.ExtensionContext, repos: RepoManager, repo: ModelRepository, rel: string): Promise<MergeViewModel | undefined> {
    const title = `Merge: ${path.posix.basename(rel)}`;
    const { host, created } = MergePanel.registry.open(`${repo.root}\u0000${rel}`, context.extensionUri, { title }, (panel) => new MergePanel(panel, context, repos, repo, rel, title));
    if (!created && host.running) return host.running;
    return host.load();
  }

  /** The panels open now (tests). */
  static panels(): MergePanel[] {
    return MergePanel.registry.all();
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly repos: RepoManager,
    private readonly repo: ModelRepository,
    private readonly rel: string,
    private readonly title: string,
  ) {
    super(panel, context.extensionUri, MergePanel.registry.kind);
  }

  protected handlers(): RequestHandlers<MergeWebviewMessage, MergeHostMessage> {
    return {
      refresh: async () => {
        await this.load();
      },
      take: async (m) => {
        await this.take({ side: m.side });
      },
      takeVersion: async () => {
        const spec = await this.pickVersion();
        if (spec) await this.take({ version: spec });
      },
      openDiff: async (m) => {
        await this.openDiff(m.side);
      },
    };
  }

  load(): Promise<MergeViewModel | undefined> {
    this.running ??= this.compute().finally(() => (this.running = undefined));
    return this.running;
  }

  private async compute(): Promise<MergeViewModel | undefined> {
    if (!this.model) this.post({ type: 'loading', title: this.title });
    try {
      const state = await conflictState(this.repo);
      const f = state.files.find((x) => x.path === this.rel);
      if (!f) {
        // resolved meanwhile (here, by the CLI or by git): keep what the panel showed, say so
        if (this.model) {
          this.model = { ...this.model, resolved: this.model.resolved ?? { text: `${this.rel} is no longer unmerged.`, trailer: '', next: nextStep(state, []) } };
          this.post({ type: 'merge', model: this.model });
          return this.model;
        }
        throw new RepoError('NOT_CONFLICTED', `${this.rel} has no merge conflict now (no merge, rebase or cherry-pick stopped on it).`);
      }
      if (!f.model) throw new RepoError('NOT_A_MODEL', `${this.rel} is not a model file: resolve its conflict with git.`);
      for (const side of SIDES) this.sides[side] = await this.readSide(state, f, side);
      const diffs = await Promise.all((['ours', 'theirs'] as const).map((s) => this.sideDiff(s)));
      const vm: MergeViewModel = {
        title: this.title,
        path: this.rel,
        operation: state.operation ?? '',
        summary: summaryOf(state, this.rel),
        sidesNote:
          state.operation === 'rebase'
            ? 'During a rebase git calls the branch being rebased onto (with the commits replayed so far) “ours”, and the commit being replayed “theirs”.'
            : '',
        base: this.sides.base!.view,
        ours: this.sides.ours!.view,
        theirs: this.sides.theirs!.view,
        diffs,
      };
      this.model = vm;
      this.post({ type: 'merge', model: vm });
      log().info(`model merge ${this.rel}: ${state.operation ?? 'no operation'}, ${diffs.map((d) => `${d.side}: ${d.diff ? d.diff.verdicts.map((v) => v.text).join('; ') : d.unavailable}`).join(' | ')}`);
      return vm;
    } catch (e) {
      const err = e as Error;
      log().error(`model merge ${this.rel}: ${err?.message ?? String(e)}`);
      this.model = undefined;
      this.post({ type: 'error', title: this.title, message: err?.message ?? String(e), hint: 'Check `git status`; Output › Model Versions has the details.' });
      return undefined;
    }
  }

  private async readSide(state: ConflictState, f: ConflictedFile, side: MergeSideName): Promise<SideData> {
    const stage = f[side];
    const commit = state.commits[side];
    const gitLabel = side === 'base' ? 'merge base' : state.labels[side];
    const v = await stageVersion(this.repo, this.rel, commit, stage);
    const metrics = v ? versionMetrics(v) : [];
    const log1 = commit ? await commitInfo(this.repo, commit) : undefined;
    const view: MergeSideView = {
      side,
      gitLabel,
      present: !!stage,
      version: v ? `v${v.version}` : '',
      commit: commit ?? '',
      shortCommit: commit ? commit.slice(0, 7) : '',
      subject: v?.subject ?? log1?.subject ?? '',
      author: v ? v.author.name : log1?.author ?? '',
      date: (v?.date ?? log1?.date ?? '').replace('T', ' ').slice(0, 16),
      content: stage ? (stage.oid ? `sha256:${stage.oid.slice(0, 12)}…` : `git:${stage.blob.slice(0, 12)}`) : '',
      size: stage ? formatBytes(stage.size) : '',
      metrics,
    };
    if (!stage) return { view, version: v };
    const id = stage.oid ?? stage.blob;
    const dir = path.join(this.context.globalStorageUri.fsPath, 'versions', id.slice(0, 2));
    const file = path.join(dir, `${id}${path.posix.extname(this.rel)}`);
    if (fs.existsSync(file)) return { view, file, version: v };
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.part-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      await writeBlobContent(this.repo, this.rel, stage.blob, sideName(side, state.operation), commit, tmp);
      fs.chmodSync(tmp, 0o444);
      fs.renameSync(tmp, file);
      return { view, file, version: v };
    } catch (e) {
      view.problem = (e as Error).message;
      return { view, version: v };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  private async sideDiff(side: 'ours' | 'theirs'): Promise<MergeDiffView> {
    const base = this.sides.base;
    const s = this.sides[side];
    if (!base?.view.present) return { side, unavailable: 'There is no base: both sides added the file.' };
    if (!s?.view.present) return { side, unavailable: `${side === 'ours' ? 'Ours' : 'Theirs'} deleted the file.` };
    if (!base.file || !s.file) return { side, unavailable: (base.file ? s : base).view.problem ?? 'The bytes are not available here.' };
    try {
      const d: ModelDiff = await diffModels(
        { file: base.file, label: `base ${base.view.version || base.view.shortCommit}` },
        { file: s.file, label: `${side} ${s.view.version || s.view.shortCommit}` },
      );
      return {
        side,
        diff: toDiffViewModel(d, { title: `${side} vs base`, originA: originOf(base.view), originB: originOf(s.view) }),
      };
    } catch (e) {
      return { side, unavailable: `The models could not be compared: ${(e as Error).message}` };
    }
  }

  /** Take a side or a version; the page then shows what was staged. */
  async take(choice: ResolveChoice): Promise<ResolveResult | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Resolving ${this.rel}…` },
        () => resolveModelConflict(this.repo, this.rel, choice),
      );
      const what = r.choice === 'version' ? `v${r.version}` : `${r.choice}${r.version !== undefined ? ` (v${r.version}, ${r.commit.slice(0, 7)})` : ` (${r.commit.slice(0, 7)})`}`;
      const text = r.deleted
        ? `Took ${what}, which has no such file: removed ${r.path} (git rm).`
        : `Staged ${what} of ${r.path}: sha256 ${r.sha256.slice(0, 12)}…, ${r.size.toLocaleString('en-US')} bytes, a valid LFS pointer in the index.`;
      const trailer = r.messageFile ? `Recorded “${r.trailer}” in ${path.basename(r.messageFile)}, the message of the commit that finishes the ${r.operation ?? 'operation'}.` : `Add “${r.trailer}” to the commit message yourself: git keeps no message file for this.`;
      const state = await conflictState(this.repo);
      if (this.model) {
        this.model = { ...this.model, resolved: { text, trailer, next: nextStep(state, r.remaining) } };
        this.post({ type: 'merge', model: this.model });
      }
      log().info(`model merge ${this.rel}: ${text} ${r.trailer}`);
      this.repos.refresh();
      return r;
    } finally {
      this.busy = false;
    }
  }

  private async pickVersion(): Promise<string | undefined> {
    const h = await this.repo.history(this.rel);
    const items = [...h.versions].reverse().map((v) => ({
      label: `v${v.version}`,
      description: [v.shortCommit, v.subject].join(' · '),
      detail: [...v.tags.map((t) => `#${t.name}`), ...v.aliases.map((a) => `⟨${a}⟩`), `${v.author.name}, ${v.date.slice(0, 10)}`].join('  '),
      spec: v.commit,
    }));
    const pick = await vscode.window.showQuickPick(items, { title: `Take which version of ${this.rel}?`, matchOnDescription: true, matchOnDetail: true });
    return pick?.spec;
  }

  private async openDiff(side: 'ours' | 'theirs'): Promise<void> {
    const base = this.sides.base;
    const s = this.sides[side];
    if (!base?.file || !s?.file) return;
    const end = (d: SideData, name: string): DiffEnd => ({
      key: `${this.repo.root}:${this.rel}:${name}:${d.view.content}`,
      name: path.posix.basename(this.rel),
      version: `${name}${d.view.version ? ` ${d.view.version}` : ''}`,
      label: `${this.rel}@${name}`,
      origin: originOf(d.view),
      mutable: false,
      input: async () => ({ file: d.file!, label: `${this.rel}@${name}` }),
    });
    await DiffPanel.show(this.context.extensionUri, end(base, 'base'), end(s, side));
  }
}

function originOf(v: MergeSideView): string {
  return `${v.side}${v.version ? ` ${v.version}` : ''}${v.shortCommit ? ` (${v.shortCommit})` : ''}${v.subject ? ` · ${v.subject}` : ''}`;
}

function summaryOf(state: ConflictState, rel: string): string {
  switch (state.operation) {
    case 'merge':
      return `Merging ${state.labels.theirs} into ${state.labels.ours}: both changed ${rel}.`;
    case 'rebase':
      return `Rebasing: replaying ${state.labels.theirs} onto ${state.labels.ours}, which also changed ${rel}.`;
    case 'cherry-pick':
      return `Cherry-picking ${state.labels.theirs} onto ${state.labels.ours}: both changed ${rel}.`;
    case 'revert':
      return `Reverting on ${state.labels.ours}: ${rel} changed since.`;
    default:
      return `${rel} is unmerged in the index.`;
  }
}

function nextStep(state: ConflictState, remaining: string[]): string {
  if (remaining.length) return `Still unmerged: ${remaining.join(', ')}.`;
  return `No unmerged paths left: finish with \`${state.operation ? NEXT_STEP[state.operation] : 'git commit'}\`.`;
}

/** Metrics recorded for a version: commit trailers (Model-Metrics) and the notes' `metrics`. */
function versionMetrics(v: ModelVersion): MergeSideView['metrics'] {
  const out: MergeSideView['metrics'] = [];
  for (const [name, value] of Object.entries(trailerMetrics(v.message, v.trailers))) out.push({ name, value: fmt(value), source: 'commit' });
  const md = v.metadata?.metrics;
  if (md && typeof md === 'object' && !Array.isArray(md)) {
    for (const [name, value] of Object.entries(md as Record<string, unknown>)) {
      if (typeof value === 'number' && Number.isFinite(value)) out.push({ name, value: fmt(value), source: 'notes' });
    }
  }
  return out;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));

async function commitInfo(repo: ModelRepository, commit: string): Promise<{ subject: string; author: string; date: string } | undefined> {
  const r = await repo.git.run(['log', '-1', '--format=%s%x00%an%x00%aI', commit], { allowFail: true });
  if (r.code !== 0) return undefined;
  const [subject, author, date] = r.stdout.toString('utf8').trim().split('\0');
  return { subject, author, date };
}

// ---------------------------------------------------------------- command

export function mergeCommands(command: CommandRegistrar, context: vscode.ExtensionContext, repos: RepoManager, view?: vscode.TreeView<unknown>): void {
  command(COMMAND.openModelMerge, async (arg?: ModelNode | vscode.Uri | string | { resourceUri?: vscode.Uri }) => {
    if (!requireTrust('the merge of a conflicted model')) return undefined;
    let target: { repo: ModelRepository; rel: string } | undefined;
    if (arg instanceof ModelNode) target = { repo: arg.repo, rel: arg.entry.path };
    else if (arg instanceof vscode.Uri || typeof arg === 'string' || (arg && typeof arg === 'object' && 'resourceUri' in arg && arg.resourceUri)) {
      const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? undefined : (arg as { resourceUri: vscode.Uri }).resourceUri;
      const file = uri ? uri.fsPath : path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.', arg as string);
      const repo = await repos.repoFor(file);
      target = { repo, rel: repo.rel(file) };
    } else {
      // a click on a conflicted model's row (its command has no arguments: modelsTree.ts): the selected row
      const selected = view?.selection.find((n): n is ModelNode => n instanceof ModelNode && n.conflicted);
      target = selected ? { repo: selected.repo, rel: selected.entry.path } : await pickConflicted(repos);
    }
    if (!target) return undefined;
    return await MergePanel.show(context, repos, target.repo, target.rel);
  });
}

/** A conflicted model, from every repository of the workspace (none: say so). */
async function pickConflicted(repos: RepoManager): Promise<{ repo: ModelRepository; rel: string } | undefined> {
  const snaps = await repos.snapshot();
  const items = snaps.flatMap((s) => [...(s.conflicts ?? [])].map((rel) => ({ label: rel, description: path.basename(s.repo.root), repo: s.repo, rel })));
  if (!items.length) {
    void vscode.window.showInformationMessage('Model Versions: no model has a merge conflict (no merge, rebase or cherry-pick stopped on a model file).');
    return undefined;
  }
  if (items.length === 1) return items[0];
  return vscode.window.showQuickPick(items, { title: 'Open the merge of which model?' });
}
