/**
 * The Model Versions tree, in its own side bar: [repository →] model → versions (newest first), then
 * per other branch (the `modelVersions.branches.*` settings) a group of that branch's versions the
 * current branch does not have, with ahead/behind counts (issue #17).
 * Tags and aliases show on their versions; the tooltip is the version's change record.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { BranchGroup, BranchModel, ModelEntry, ModelHistory, ModelRepository, ModelVersion } from '../../core/repo';
import { isEvaluableModelPath } from '../../core/formats/readable';
import { COMMAND } from '../commands/ids';
import type { RepoManager, RepoSnapshot } from '../repos/repoManager';
import { modelTooltipMarkdown, versionTooltipMarkdown } from './tooltip';

export const VIEW_ID = 'modelVersions.models';

export class RepoNode {
  readonly kind = 'repo';
  constructor(readonly snap: RepoSnapshot) {}
  get label(): string {
    return path.basename(this.snap.repo.root);
  }
}

export class ModelNode {
  readonly kind = 'model';
  constructor(
    readonly repo: ModelRepository,
    readonly entry: ModelEntry,
    readonly history: ModelHistory | undefined,
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
}

export type ModelsTreeNode = RepoNode | ModelNode | BranchNode | VersionNode;

export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly repos: RepoManager) {
    this.sub = repos.onDidChange(() => this.changed.fire(undefined));
  }

  async getChildren(element?: ModelsTreeNode): Promise<ModelsTreeNode[]> {
    if (!element) {
      const snaps = (await this.repos.snapshot()).filter((s) => s.models.length);
      if (snaps.length === 1) return modelsOf(snaps[0]);
      return snaps.map((s) => new RepoNode(s));
    }
    if (element instanceof RepoNode) return modelsOf(element.snap);
    if (element instanceof ModelNode) {
      const vs = element.history?.versions ?? [];
      return [
        ...[...vs].reverse().map((v, i) => new VersionNode(element.repo, element, v, i === 0)),
        ...element.branches.map((b) => new BranchNode(element.repo, element, b.group, b.model)),
      ];
    }
    if (element instanceof BranchNode) {
      return [...element.versions.versions].reverse().map((v, i) => new VersionNode(element.repo, element.model, v, i === 0, element));
    }
    return [];
  }

  getParent(element: ModelsTreeNode): ModelsTreeNode | undefined {
    if (element instanceof VersionNode) return element.branch ?? element.model;
    if (element instanceof BranchNode) return element.model;
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
    if (element instanceof ModelNode) return modelItem(element);
    if (element instanceof BranchNode) return branchItem(element);
    return element.branch ? branchVersionItem(element) : versionItem(element);
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

function modelsOf(s: RepoSnapshot): ModelNode[] {
  const current = s.branch ?? 'detached HEAD';
  return s.models.map((m) => {
    const branches = (s.branches ?? []).flatMap((group) => group.models.filter((x) => x.model === m.path).map((model) => ({ group, model })));
    return new ModelNode(s.repo, m, s.histories.get(m.path), branches, current);
  });
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
  const item = new vscode.TreeItem(n.label, count || n.branches.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = `model:${n.repo.root}:${e.path}`;
  item.resourceUri = n.uri;
  const dir = path.posix.dirname(e.path);
  const state = e.untracked ? 'untracked' : !e.exists ? 'deleted' : e.staged && !e.committed ? 'staged' : '';
  const parts = [dir === '.' ? '' : dir, count ? `${count} version${count === 1 ? '' : 's'}` : 'no versions yet', state].filter(Boolean);
  item.description = parts.join(' · ');
  item.tooltip = untrustedMarkdown(modelTooltipMarkdown(e, count));
  item.iconPath = new vscode.ThemeIcon(e.untracked ? 'circle-outline' : e.folder ? 'file-directory' : 'symbol-structure');
  item.contextValue = ['model', count ? 'versioned' : 'unversioned', e.exists ? 'exists' : 'deleted'].join('.');
  return item;
}

function versionItem(n: VersionNode): vscode.TreeItem {
  const v = n.version;
  const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
  item.id = `version:${n.repo.root}:${v.model}:${v.commit}`;
  const marks = [...v.aliases.map((a) => `⟨${a}⟩`), ...v.tags.map((t) => `#${t.name}`)];
  item.description = [...marks, v.subject, v.shortCommit].filter(Boolean).join(' · ');
  item.iconPath = v.aliases.length
    ? new vscode.ThemeIcon('rocket', new vscode.ThemeColor('charts.green'))
    : v.tags.length
      ? new vscode.ThemeIcon('tag', new vscode.ThemeColor('charts.blue'))
      : new vscode.ThemeIcon('git-commit');
  item.tooltip = versionTooltip(v);
  // `.evaluable`: ONNX and Keras, which the evaluation host runs (Evaluate Version… and Compare Models… show for those only)
  item.contextValue = ['version', v.aliases.length ? 'aliased' : '', v.tags.length ? 'tagged' : '', v.lfs ? 'lfs' : '', isEvaluableModelPath(v.model) ? 'evaluable' : ''].filter(Boolean).join('.');
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
