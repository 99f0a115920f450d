/**
 * The Model Versions tree, in its own side bar: [repository →] model → versions (newest first), then
 * the model's "Alias history" (the recorded alias moves, newest first; hover one: who, when, from, to),
 * and per other branch (the `modelVersions.branches.*` settings) a group of that branch's versions the
 * current branch does not have, with ahead/behind counts (issue #17).
 * Tags and aliases show on their versions; the tooltip is the version's change record.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { AliasEvent, BranchGroup, BranchModel, ModelEntry, ModelHistory, ModelRepository, ModelVersion } from '../../core/repo';
import { isEvaluableModelPath } from '../../core/formats/readable';
import { COMMAND } from '../commands/ids';
import type { RepoManager, RepoSnapshot } from '../repos/repoManager';
import { aliasMoveLabel, aliasMoveTooltipMarkdown, modelTooltipMarkdown, versionTooltipMarkdown } from './tooltip';

export const VIEW_ID = 'modelVersions.models';

export class RepoNode {
  readonly kind = 'repo';
  constructor(readonly snap: RepoSnapshot) {}
  get label(): string {
    return path.basename(this.snap.repo.root);
  }
}

/**
 * A repository whose reading failed (RepoSnapshot.error): shown in place of its models, so that it does
 * not look empty; a click refreshes (tries again).
 */
export class RepoErrorNode {
  readonly kind = 'repoError';
  constructor(readonly snap: RepoSnapshot & { error: Error }) {}
}

const hasError = (s: RepoSnapshot): s is RepoSnapshot & { error: Error } => s.error !== undefined;

/** The rows of one repository: its models, or why it could not be read. */
function rowsOf(s: RepoSnapshot, filter: TreeFilter | undefined): ModelsTreeNode[] {
  return hasError(s) ? [new RepoErrorNode(s)] : modelsOf(s, filter);
}

export class ModelNode {
  readonly kind = 'model';
  constructor(
    readonly repo: ModelRepository,
    readonly entry: ModelEntry,
    readonly history: ModelHistory | undefined,
    /** a merge, rebase or cherry-pick stopped on this model (unmerged in the index) */
    readonly conflicted = false,
    /** while a filter is active: the keys (filterKey) of the versions it matches in this repository */
    readonly matched?: ReadonlySet<string>,
    readonly filter?: TreeFilter,
    /** the repository's alias log (read once per refresh, when a model is first expanded) */
    readonly aliasLog: () => Promise<AliasEvent[]> = async () => [],
    /** other branches with versions of this model that the current branch lacks */
    readonly branches: readonly { group: BranchGroup; model: BranchModel }[] = [],
    /** the current branch's name ('detached HEAD' when none) */
    readonly current = 'HEAD',
  ) {}
  get label(): string {
    return path.posix.basename(this.entry.path);
  }
  get uri(): vscode.Uri {
    return vscode.Uri.file(this.entry.absPath);
  }
}

/** Another branch's versions of one model that the current branch does not have. */
export class BranchNode {
  readonly kind = 'branch';
  constructor(
    readonly repo: ModelRepository,
    readonly model: ModelNode,
    readonly group: BranchGroup,
    readonly versions: BranchModel,
  ) {}
  get label(): string {
    return this.group.name;
  }
}

export class VersionNode {
  readonly kind = 'version';
  constructor(
    readonly repo: ModelRepository,
    readonly model: ModelNode,
    readonly version: ModelVersion,
    readonly latest: boolean,
    /** the branch group it is listed under (another branch's version) */
    readonly branch?: BranchNode,
  ) {}
  get label(): string {
    return `v${this.version.version}`;
  }
  /** a filter is active and matches this version (true), does not (false), or no filter (undefined) */
  get matches(): boolean | undefined {
    return this.model.matched ? this.model.matched.has(filterKey(this.version)) : undefined;
  }
}

/**
 * The Find Versions filter of the tree (src/extension/find/findCommands.ts makes it): which versions of
 * a repository snapshot match. While one is active, a model's versions that do not match are hidden
 * (or dimmed: `modelVersions.filter.nonMatching`), its matching ones highlighted, and a model without
 * any says "no matching versions".
 */
export interface TreeFilter {
  /** the filter's text, as the view's description shows it */
  readonly text: string;
  /** keys (filterKey) of the versions matching in this snapshot; empty when none (or the query names what this repository lacks) */
  matches(snap: RepoSnapshot): ReadonlySet<string>;
  /** show the versions that do not match, dimmed, instead of hiding them */
  readonly dim: boolean;
}

/** A version's key in TreeFilter.matches. */
export const filterKey = (v: Pick<ModelVersion, 'model' | 'commit'>): string => `${v.model}\u0000${v.commit}`;

/** The URI scheme of dimmed versions' rows (a FileDecorationProvider greys their labels: findCommands.ts). */
export const DIMMED_SCHEME = 'modelversions-dimmed';

/** The alias moves of one model, under it after its versions. */
export class AliasHistoryNode {
  readonly kind = 'aliasHistory';
  constructor(
    readonly model: ModelNode,
    /** newest first */
    readonly moves: AliasEvent[],
  ) {}
}

/** One recorded alias move (set, moved or removed). */
export class AliasMoveNode {
  readonly kind = 'aliasMove';
  constructor(
    readonly group: AliasHistoryNode,
    readonly move: AliasEvent,
  ) {}
}

export type ModelsTreeNode = RepoNode | RepoErrorNode | ModelNode | BranchNode | VersionNode | AliasHistoryNode | AliasMoveNode;

export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;
  private current: TreeFilter | undefined;

  constructor(private readonly repos: RepoManager) {
    this.sub = repos.onDidChange(() => this.changed.fire(undefined));
  }

  /** The active Find Versions filter (undefined: none). */
  get filter(): TreeFilter | undefined {
    return this.current;
  }

  /** Sets (or clears, with undefined) the filter and redraws the tree. */
  setFilter(filter: TreeFilter | undefined): void {
    this.current = filter;
    this.changed.fire(undefined);
  }

  async getChildren(element?: ModelsTreeNode): Promise<ModelsTreeNode[]> {
    if (!element) {
      const snaps = (await this.repos.snapshot()).filter((s) => s.models.length || s.error);
      if (snaps.length === 1) return rowsOf(snaps[0], this.current);
      return snaps.map((s) => new RepoNode(s));
    }
    if (element instanceof RepoNode) return rowsOf(element.snap, this.current);
    if (element instanceof ModelNode) {
      const vs = element.history?.versions ?? [];
      const all = [...vs].reverse().map((v, i) => new VersionNode(element.repo, element, v, i === 0));
      const nodes: ModelsTreeNode[] = element.matched && !element.filter?.dim ? all.filter((n) => n.matches) : all;
      nodes.push(...element.branches.map((b) => new BranchNode(element.repo, element, b.group, b.model)));
      const paths = element.history?.paths ?? [element.entry.path];
      const moves = vs.length ? (await element.aliasLog().catch(() => [])).filter((e) => paths.includes(e.model)) : [];
      if (moves.length) nodes.push(new AliasHistoryNode(element, moves));
      return nodes;
    }
    if (element instanceof BranchNode) {
      return [...element.versions.versions].reverse().map((v, i) => new VersionNode(element.repo, element.model, v, i === 0, element));
    }
    if (element instanceof AliasHistoryNode) return element.moves.map((m) => new AliasMoveNode(element, m));
    return [];
  }

  getParent(element: ModelsTreeNode): ModelsTreeNode | undefined {
    if (element instanceof VersionNode) return element.branch ?? element.model;
    if (element instanceof BranchNode) return element.model;
    if (element instanceof AliasHistoryNode) return element.model;
    if (element instanceof AliasMoveNode) return element.group;
    return undefined;
  }

  getTreeItem(element: ModelsTreeNode): vscode.TreeItem {
    if (element instanceof RepoNode) {
      const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = new vscode.ThemeIcon('repo');
      item.description = element.snap.branch;
      item.tooltip = element.snap.repo.root;
      item.contextValue = 'repo';
      return item;
    }
    if (element instanceof RepoErrorNode) return repoErrorItem(element);
    if (element instanceof ModelNode) return modelItem(element);
    if (element instanceof AliasHistoryNode) return aliasHistoryItem(element);
    if (element instanceof AliasMoveNode) return aliasMoveItem(element);
    if (element instanceof BranchNode) return branchItem(element);
    return element.branch ? branchVersionItem(element) : versionItem(element);
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

/** The alias log of each snapshot, read once (one `git log` of the alias ref) when a model is first expanded. */
const aliasLogs = new WeakMap<RepoSnapshot, Promise<AliasEvent[]>>();

function modelsOf(s: RepoSnapshot, filter: TreeFilter | undefined): ModelNode[] {
  const matched = filter?.matches(s);
  const aliasLog = () => {
    let p = aliasLogs.get(s);
    if (!p) aliasLogs.set(s, (p = s.repo.aliasLog()));
    return p;
  };
  const current = s.branch ?? 'detached HEAD';
  return s.models.map((m) => {
    const branches = (s.branches ?? []).flatMap((group) => group.models.filter((x) => x.model === m.path).map((model) => ({ group, model })));
    return new ModelNode(s.repo, m, s.histories.get(m.path), !!s.conflicts?.has(m.path), matched, filter, aliasLog, branches, current);
  });
}

/**
 * "Could not read <repository>" · the error's first line; the tooltip holds the whole error (and git's
 * output); a click runs Refresh. Plain text (no Markdown): the message may hold any path or git output.
 */
export function repoErrorItem(n: RepoErrorNode): vscode.TreeItem {
  const { repo, error } = n.snap;
  const item = new vscode.TreeItem(`Could not read ${path.basename(repo.root)}`, vscode.TreeItemCollapsibleState.None);
  item.id = `repoError:${repo.root}`;
  const first = (error.message.split('\n').find((l) => l.trim()) ?? error.name).trim();
  item.description = first.length > 200 ? `${first.slice(0, 199)}…` : first;
  const details = (error as { details?: unknown }).details;
  item.tooltip = [
    `Reading the repository ${repo.root} failed:`,
    error.message,
    typeof details === 'string' && details.trim() && !error.message.includes(details.trim()) ? details.trim() : '',
    'Click to refresh (try again). The error is also in the Model Versions log (View → Output).',
  ]
    .filter(Boolean)
    .join('\n\n');
  item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  item.contextValue = 'repoError';
  item.command = { command: COMMAND.refresh, title: 'Refresh' };
  return item;
}

function aliasHistoryItem(n: AliasHistoryNode): vscode.TreeItem {
  const item = new vscode.TreeItem('Alias history', vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `aliasHistory:${n.model.repo.root}:${n.model.entry.path}`;
  item.description = `${n.moves.length} move${n.moves.length === 1 ? '' : 's'}`;
  item.iconPath = new vscode.ThemeIcon('history');
  item.tooltip = 'Every recorded move of this model\'s aliases, newest first (refs/model-versions/aliases). In a terminal, modelver alias ls --at DATE tells what they pointed at on a date.';
  item.contextValue = 'aliasHistory';
  return item;
}

function aliasMoveItem(n: AliasMoveNode): vscode.TreeItem {
  const e = n.move;
  const versions = n.group.model.history?.versions ?? [];
  const label = (c: string | undefined) => {
    if (!c) return undefined;
    const v = versions.find((x) => x.commit === c);
    return v ? `v${v.version}` : c.slice(0, 7);
  };
  const item = new vscode.TreeItem(aliasMoveLabel(e, label), vscode.TreeItemCollapsibleState.None);
  item.id = `aliasMove:${n.group.model.repo.root}:${e.logCommit}:${e.model}:${e.alias}`;
  const when = e.committedAt ?? e.date;
  item.description = `${when.slice(0, 16).replace('T', ' ')} · ${e.who.name}`;
  item.iconPath = new vscode.ThemeIcon(e.action === 'remove' ? 'circle-slash' : 'rocket');
  item.tooltip = untrustedMarkdown(aliasMoveTooltipMarkdown(e, label));
  item.contextValue = `aliasMove.${e.action}`;
  return item;
}

/** "experiment/lr-sweep  2 not on main · 3↑ 1↓" (versions main lacks; commits ahead, behind: the tooltip says it in words) */
function branchItem(n: BranchNode): vscode.TreeItem {
  const g = n.group;
  const k = n.versions.versions.length;
  const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `branch:${n.repo.root}:${n.model.entry.path}:${g.ref}`;
  item.description = `${k} not on ${n.model.current} · ${g.ahead}↑ ${g.behind}↓`;
  item.tooltip = `${g.remote ? 'Remote-tracking branch' : 'Branch'} ${g.name} (${g.tip.slice(0, 7)}): ${k} version${k === 1 ? '' : 's'} of ${n.model.entry.path} that ${n.model.current} does not have (${n.versions.total} on ${g.name} in all). ${g.ahead} commit${g.ahead === 1 ? '' : 's'} ahead of ${n.model.current}, ${g.behind} behind.`;
  item.iconPath = new vscode.ThemeIcon(g.remote ? 'cloud' : 'git-branch');
  item.contextValue = g.remote ? 'branch.remote' : 'branch.local';
  return item;
}

/** A version of another branch: what can be done with it differs (promote; no compare with previous). */
function branchVersionItem(n: VersionNode): vscode.TreeItem {
  const item = versionItem(n);
  const v = n.version;
  item.id = `branchVersion:${n.repo.root}:${n.branch!.group.ref}:${v.model}:${v.commit}`;
  item.contextValue = (item.contextValue as string).replace(/^version/, 'branchVersion');
  item.iconPath = v.aliases.length || v.tags.length ? item.iconPath : new vscode.ThemeIcon('git-commit', new vscode.ThemeColor('charts.purple'));
  return item;
}

function modelItem(n: ModelNode): vscode.TreeItem {
  const e = n.entry;
  const count = n.history?.versions.length ?? 0;
  // while a filter is active: how many versions match (a model with none cannot be expanded)
  const hits = n.matched ? (n.history?.versions ?? []).filter((v) => n.matched!.has(filterKey(v))).length : undefined;
  const open = hits === undefined ? count > 0 || n.branches.length > 0 : hits > 0 || (!!n.filter?.dim && count > 0);
  const item = new vscode.TreeItem(n.label, open ? (hits ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None);
  // another id while filtered: the filtered tree opens the models with matches, and clearing it restores the user's
  item.id = `model:${n.repo.root}:${e.path}${n.matched && n.filter ? `:find:${n.filter.text}` : ''}`;
  item.resourceUri = n.uri;
  const dir = path.posix.dirname(e.path);
  const state = e.untracked ? 'untracked' : !e.exists ? 'deleted' : e.staged && !e.committed ? 'staged' : '';
  const versions = hits === undefined ? (count ? `${count} version${count === 1 ? '' : 's'}` : 'no versions yet') : hits ? `${hits} of ${count} version${count === 1 ? '' : 's'} match${hits === 1 ? 'es' : ''}` : 'no matching versions';
  const parts = [dir === '.' ? '' : dir, versions, state].filter(Boolean);
  item.description = parts.join(' · ');
  item.tooltip = untrustedMarkdown(modelTooltipMarkdown(e, count));
  item.iconPath = new vscode.ThemeIcon(e.untracked ? 'circle-outline' : e.folder ? 'file-directory' : 'symbol-structure');
  item.contextValue = ['model', count ? 'versioned' : 'unversioned', e.exists ? 'exists' : 'deleted'].join('.');
  if (n.conflicted) {
    // git left a textual merge of two LFS pointers here: say so, and open the model merge view on a click
    item.description = [dir === '.' ? '' : dir, 'merge conflict — resolve'].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon('git-merge', new vscode.ThemeColor('gitDecoration.conflictingResourceForeground'));
    item.contextValue += '.conflicted';
    // no arguments: VS Code keeps a tree item's command arguments in a cache that a refresh of the tree
    // empties, so a click on a row drawn just before a refresh failed with "Actual command not found"
    // (seen in CI while the merge refreshed the tree); the command takes the clicked (selected) row
    item.command = { command: COMMAND.openModelMerge, title: 'Open Model Merge' };
  }
  return item;
}

function versionItem(n: VersionNode): vscode.TreeItem {
  const v = n.version;
  const hit = n.matches;
  // a version the filter matches: its label highlighted; one it does not (shown when dimming): greyed by DIMMED_SCHEME's decoration
  const item = new vscode.TreeItem(hit ? { label: n.label, highlights: [[0, n.label.length]] } : n.label, vscode.TreeItemCollapsibleState.None);
  item.id = `version:${n.repo.root}:${v.model}:${v.commit}`;
  if (hit === false) item.resourceUri = vscode.Uri.from({ scheme: DIMMED_SCHEME, path: `/${v.model}`, query: v.commit });
  const marks = [...v.aliases.map((a) => `⟨${a}⟩`), ...v.tags.map((t) => `#${t.name}`)];
  item.description = [...marks, v.subject, v.shortCommit].filter(Boolean).join(' · ');
  item.iconPath = v.aliases.length
    ? new vscode.ThemeIcon('rocket', new vscode.ThemeColor('charts.green'))
    : v.tags.length
      ? new vscode.ThemeIcon('tag', new vscode.ThemeColor('charts.blue'))
      : new vscode.ThemeIcon('git-commit');
  item.tooltip = versionTooltip(v);
  // `.evaluable`: ONNX and Keras, which the evaluation host runs (Evaluate Version… and Compare Models… show for those only);
  // `.hasPrevious`: not the model's first version (Compare with Previous Version shows for those only)
  item.contextValue = ['version', v.aliases.length ? 'aliased' : '', v.tags.length ? 'tagged' : '', v.lfs ? 'lfs' : '', isEvaluableModelPath(v.model) ? 'evaluable' : '', v.version > 1 ? 'hasPrevious' : '']
    .filter(Boolean)
    .join('.');
  // a click shows the version in the preview panel (replaced by the next click; a double-click pins it)
  item.command = { command: COMMAND.openVersion, title: 'Open (read-only)', arguments: [n, { preview: true }] };
  return item;
}

/**
 * A tooltip's Markdown (src/extension/models/tooltip.ts: model strings escaped there): theme icons on,
 * never trusted (no command links), no HTML.
 */
function untrustedMarkdown(value: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(value, true);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}

export function versionTooltip(v: ModelVersion): vscode.MarkdownString {
  return untrustedMarkdown(versionTooltipMarkdown(v));
}
