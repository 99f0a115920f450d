/**
 * Version Details: a webview view below the Model Versions tree that follows the tree's selection.
 * A version shows its change record and what changed since the previous version (core/diff, computed
 * lazily and cached per commit pair); a model shows its summary line. While the next selection is
 * prepared the previous content stays (with a thin progress bar), and results of a selection that
 * has since changed are dropped (request ids, here and in the webview).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelVersion } from '../../core/repo';
import type { DetailsAction, DetailsContent, DetailsHostMessage, DetailsWebviewMessage, DiffState } from '../../shared/detailsProtocol';
import { COMMAND } from '../commands/ids';
import { log } from '../log';
import { AliasHistoryNode, AliasMoveNode, BranchNode, ModelNode, RepoErrorNode, RepoNode, VersionNode, type ModelsTreeNode } from '../models/modelsTree';
import type { RepoManager } from '../repos/repoManager';
import { versionFile } from '../versions';
import { WebviewChannel } from '../webview/channel';
import { webviewHtml, webviewOptions } from '../webview/html';
import { diffSummary, versionRecord } from './viewModel';

export const DETAILS_VIEW_ID = 'modelVersions.details';

/** How long the previous content stays while a diff is computed, before the record shows alone. */
const DIFF_WAIT_MS = 1500;
/** Diffs kept in memory (by model and commit pair). */
const CACHE_SIZE = 64;

const HINT = 'Select a version in the Model Versions tree to see its change record and what changed since the version before.';

const COMMANDS: Record<DetailsAction, string> = {
  openDiff: COMMAND.compareWithPrevious,
  restore: COMMAND.restoreVersion,
  tag: COMMAND.tagModel,
  alias: COMMAND.setAlias,
  open: COMMAND.openVersion,
};

/** What tests (through the extension's test API, if the lead wires it) can read of the view. */
export interface DetailsTestHook {
  /** the last state the host sent (content as the webview shows it), or undefined before any */
  current(): DetailsHostMessage | undefined;
  /** resolves when no selection is being prepared */
  settled(): Promise<void>;
}

export class DetailsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable, DetailsTestHook {
  private webviewView: vscode.WebviewView | undefined;
  /** the page's handshake and state (the view's page is discarded when hidden; a new page gets the state) */
  private readonly channel: WebviewChannel<DetailsHostMessage, DetailsWebviewMessage>;
  private readonly disposables: vscode.Disposable[] = [];
  /** the id of the newest selection; older work is dropped */
  private seq = 0;
  /** the last message with content, and whether work for a newer request is in flight */
  private shown: DetailsHostMessage | undefined;
  private loadingId = 0;
  /** the node whose content is shown (for the buttons) */
  private shownNode: ModelsTreeNode | undefined;
  /** the node last selected (to follow repository refreshes) */
  private selected: ModelsTreeNode | undefined;
  private readonly results = new Map<string, DiffState>();
  private readonly inflight = new Map<string, Promise<DiffState>>();
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly repos: RepoManager,
  ) {
    const uri = context.extensionUri;
    this.channel = new WebviewChannel<DetailsHostMessage, DetailsWebviewMessage>({
      name: 'Version Details',
      html: () => (this.webviewView ? webviewHtml(this.webviewView.webview, uri, 'details.js', 'Version Details') : ''),
      handlers: () => ({ action: (m) => this.runAction(m.action, m.requestId) }),
      log: log(),
    });
    // what a page shows before any selection
    this.channel.post({ type: 'state', requestId: 0, loading: false, content: { kind: 'hint', text: HINT } });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.webviewView = view;
    view.webview.options = webviewOptions(this.context.extensionUri);
    const subs = [
      // a hidden view loses its page; shown again, the page reloads, says 'ready' and gets the state
      view.onDidChangeVisibility(() => {
        if (!view.visible) this.channel.pageGone();
      }),
      view.onDidDispose(() => {
        if (this.webviewView === view) {
          this.webviewView = undefined;
          this.channel.detach();
        }
        for (const s of subs) s.dispose();
      }),
    ];
    this.channel.attach(view.webview);
  }

  /**
   * The page's state: the content shown and whether work is in progress (a message without content
   * only toggles the progress bar, so the state is always the whole message).
   */
  private publish(): void {
    const shown = this.current();
    if (shown) this.channel.post(shown);
  }

  private show(id: number, content: DetailsContent, node: ModelsTreeNode | undefined, loading = false): void {
    if (id !== this.seq) return;
    if (!loading) log().debug(`Version Details #${id}: shows ${content.kind === 'version' ? `${content.version.model} v${content.version.version}` : content.kind}`);
    this.shown = { type: 'state', requestId: id, loading, content };
    this.shownNode = node;
    this.loadingId = loading ? id : 0;
    this.publish();
  }

  private setLoading(id: number): void {
    if (id !== this.seq) return;
    this.loadingId = id;
    if (this.shown) this.publish();
    else this.channel.post({ type: 'state', requestId: id, loading: true, content: { kind: 'hint', text: HINT } });
  }

  current(): DetailsHostMessage | undefined {
    return this.shown && { ...this.shown, loading: this.loadingId === this.seq && this.loadingId > 0 };
  }

  async settled(): Promise<void> {
    for (;;) {
      const w = this.work;
      await w;
      if (w === this.work) return;
    }
  }

  /** The tree's selection changed. */
  select(selection: readonly ModelsTreeNode[]): void {
    const id = ++this.seq;
    log().debug(`Version Details #${id}: selection ${selection.length ? selection.map(nodeName).join(', ') : '(none)'}`);
    this.selected = selection.length === 1 ? selection[0] : undefined;
    const job = this.render(id, selection).catch((e) => {
      log().error('Version Details', e);
      this.show(id, { kind: 'hint', text: `Cannot show the details: ${(e as Error).message ?? e}` }, undefined);
    });
    this.work = this.work.then(() => job);
  }

  /** The repositories were refreshed (a commit, tag, alias…): show the selected node's fresh data. */
  async reselect(): Promise<void> {
    const node = this.selected;
    if (!(node instanceof ModelNode || node instanceof VersionNode)) return;
    let fresh: ModelsTreeNode | undefined;
    try {
      fresh = await this.freshNode(node);
    } catch (e) {
      log().warn(`Version Details: ${(e as Error).message ?? e}`);
      return;
    }
    if (this.selected !== node) return; // the selection changed meanwhile
    this.selected = fresh;
    if (fresh) {
      this.select([fresh]);
    } else {
      const id = ++this.seq;
      this.show(id, { kind: 'hint', text: 'This version is no longer in the history of the current branch.' }, undefined);
    }
  }

  private async freshNode(node: ModelNode | VersionNode): Promise<ModelsTreeNode | undefined> {
    const model = node instanceof VersionNode ? node.model : node;
    const snap = (await this.repos.snapshot()).find((s) => s.repo.root === node.repo.root);
    const entry = snap?.models.find((m) => m.path === model.entry.path);
    if (!snap || !entry) return undefined;
    const branches = (snap.branches ?? []).flatMap((group) => group.models.filter((x) => x.model === entry.path).map((m) => ({ group, model: m })));
    const fresh = new ModelNode(snap.repo, entry, snap.histories.get(entry.path), !!snap.conflicts?.has(entry.path), undefined, undefined, undefined, branches, snap.branch ?? 'detached HEAD');
    if (node instanceof ModelNode) return fresh;
    if (node.branch) {
      // another branch's version: still under that branch's group?
      const b = branches.find((x) => x.group.ref === node.branch!.group.ref);
      const bv = b?.model.versions ?? [];
      const v = bv.find((x) => x.commit === node.version.commit);
      return b && v ? new VersionNode(snap.repo, fresh, v, v === bv[bv.length - 1], new BranchNode(snap.repo, fresh, b.group, b.model)) : undefined;
    }
    const versions = fresh.history?.versions ?? [];
    const v = versions.find((x) => x.commit === node.version.commit);
    return v ? new VersionNode(snap.repo, fresh, v, v === versions[versions.length - 1]) : undefined;
  }

  private async render(id: number, selection: readonly ModelsTreeNode[]): Promise<void> {
    if (selection.length !== 1) {
      const text = selection.length > 1 ? `${selection.length} items selected. Select one version to see its details.` : HINT;
      this.show(id, { kind: 'hint', text }, undefined);
      return;
    }
    const node = selection[0];
    if (node instanceof RepoNode) {
      this.show(id, { kind: 'hint', text: `${node.label}: ${HINT}` }, undefined);
      return;
    }
    if (node instanceof RepoErrorNode) {
      this.show(id, { kind: 'hint', text: `Reading the repository ${node.snap.repo.root} failed: ${node.snap.error.message} Refresh to try again.` }, undefined);
      return;
    }
    if (node instanceof ModelNode) {
      this.show(id, modelContent(node), node);
      return;
    }
    if (node instanceof AliasHistoryNode || node instanceof AliasMoveNode) {
      const text =
        node instanceof AliasMoveNode
          ? `${node.move.alias} of ${node.move.model}: ${node.move.action === 'remove' ? 'removed' : 'moved'} on ${node.move.committedAt ?? node.move.date} by ${node.move.who.name}. Select a version to see its change record.`
          : `The alias moves of ${node.model.entry.path}, newest first. Hover a move for who, when, from and to.`;
      this.show(id, { kind: 'hint', text }, undefined);
      return;
    }
    if (node instanceof BranchNode) {
      const g = node.group;
      const text = `${g.name}: ${node.versions.versions.length} version(s) of ${node.model.entry.path} not on ${node.model.current}; ${g.ahead} ahead, ${g.behind} behind. Select a version to see its details.`;
      this.show(id, { kind: 'hint', text }, undefined);
      return;
    }
    // another branch's version: the previous one is the one before it on that branch, when that branch alone has it
    const versions = node.branch ? node.branch.versions.versions : (node.model.history?.versions ?? []);
    const i = versions.findIndex((v) => v.commit === node.version.commit);
    const previous = i > 0 ? versions[i - 1] : undefined;
    const record = versionRecord(node.version, { latest: node.latest, previous });
    const content = (diff: DiffState): DetailsContent => ({ kind: 'version', version: record, diff });
    if (!previous) {
      this.show(id, content({ state: 'none' }), node);
      return;
    }
    const key = cacheKey(node, previous);
    const cached = this.results.get(key);
    if (cached) {
      this.show(id, content(cached), node);
      return;
    }
    // Keep the previous content (with the loading bar) until the diff is ready, or for at most
    // DIFF_WAIT_MS; then show the record with the diff still loading.
    this.setLoading(id);
    const pending = this.diff(key, node, previous);
    let cancel = () => undefined as void;
    const wait = new Promise<undefined>((r) => {
      const t = setTimeout(() => r(undefined), DIFF_WAIT_MS);
      cancel = () => clearTimeout(t);
    });
    const first = await Promise.race([pending, wait]);
    cancel();
    if (id !== this.seq) return;
    if (!first) {
      const from = { version: previous.version, shortCommit: previous.shortCommit };
      this.show(id, content({ state: 'loading', from }), node, true);
    }
    const result = first ?? (await pending);
    this.show(id, content(result), node);
  }

  /** The diff previous → version, computed once per commit pair (errors are not cached). */
  private diff(key: string, node: VersionNode, previous: ModelVersion): Promise<DiffState> {
    const running = this.inflight.get(key);
    if (running) return running;
    const p = (async (): Promise<DiffState> => {
      const { repo, version } = node;
      const model = version.model;
      try {
        const fileA = await versionFile(this.context, repo, model, previous, { quiet: true });
        const fileB = await versionFile(this.context, repo, model, version, { quiet: true });
        const name = path.posix.basename(model);
        const { diffModels } = await import('../../core/diff/index.js'); // loaded with the first comparison shown (issue #12)
        const d = await diffModels(
          { file: fileA, displayPath: repo.abs(previous.path), version: { model, version: previous.version, commit: previous.commit, spec: `v${previous.version}` } },
          { file: fileB, displayPath: repo.abs(version.path), version: { model, version: version.version, commit: version.commit, spec: `v${version.version}` } },
          { labelA: `${name}@v${previous.version}`, labelB: `${name}@v${version.version}`, maxNodeRows: 200 },
        );
        const state: DiffState = { state: 'ready', diff: diffSummary(d, previous, version) };
        this.remember(key, state);
        return state;
      } catch (e) {
        const message = (e as Error).message ?? String(e);
        log().warn(`Version Details: cannot compare ${model} v${previous.version} → v${version.version}: ${message}`);
        return { state: 'error', from: { version: previous.version, shortCommit: previous.shortCommit }, message };
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, p);
    return p;
  }

  private remember(key: string, state: DiffState): void {
    this.results.delete(key);
    this.results.set(key, state);
    while (this.results.size > CACHE_SIZE) this.results.delete(this.results.keys().next().value!);
  }

  private async runAction(action: DetailsAction, requestId: number): Promise<void> {
    const node = this.shownNode;
    if (!(node instanceof VersionNode) || this.shown?.requestId !== requestId) return;
    try {
      await vscode.commands.executeCommand(COMMANDS[action], node);
    } catch (e) {
      // the commands report their own errors; this catches a command that is not registered
      log().warn(`Version Details: ${COMMANDS[action]} failed: ${(e as Error).message ?? e}`);
    }
  }

  dispose(): void {
    this.channel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function cacheKey(node: VersionNode, previous: ModelVersion): string {
  return `${node.repo.root}\0${node.version.model}\0${previous.commit}..${node.version.commit}`;
}

function modelContent(n: ModelNode): DetailsContent {
  const versions = n.history?.versions ?? [];
  const last = versions[versions.length - 1];
  const e = n.entry;
  const status = e.untracked
    ? 'Untracked: commit it (right-click → Commit Model Version…) to start its history.'
    : !e.exists
      ? 'Deleted from the working tree.'
      : e.staged && !e.committed
        ? 'Staged, not committed yet.'
        : versions.length
          ? 'Select one of its versions to see its change record.'
          : 'No versions yet.';
  return {
    kind: 'model',
    model: e.path,
    modelName: n.label,
    versions: versions.length,
    latest: last && { version: last.version, shortCommit: last.shortCommit, subject: last.subject, dateText: new Date(last.date).toLocaleString() },
    aliases: versions.flatMap((v) => v.aliases.map((alias) => ({ alias, version: v.version }))),
    status,
  };
}

/** A tree node as the log names it. */
function nodeName(n: ModelsTreeNode): string {
  if (n instanceof VersionNode) return `${n.version.model} v${n.version.version}`;
  if (n instanceof ModelNode) return n.entry.path;
  return n.constructor.name;
}

/**
 * Registers the Version Details view and makes it follow the Model Versions tree's selection.
 * Returns the provider; its DetailsTestHook methods can be put on the test API.
 */
export function registerDetails(context: vscode.ExtensionContext, repos: RepoManager, view: vscode.TreeView<ModelsTreeNode>): DetailsViewProvider {
  const provider = new DetailsViewProvider(context, repos);
  context.subscriptions.push(
    provider,
    vscode.window.registerWebviewViewProvider(DETAILS_VIEW_ID, provider),
    view.onDidChangeSelection((e) => provider.select(e.selection)),
    repos.onDidChange(() => void provider.reselect()),
  );
  if (view.selection.length) provider.select(view.selection);
  return provider;
}
