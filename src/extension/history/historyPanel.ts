/**
 * The metric History panel (one per model, reused): each metric over the model's versions, from the
 * Model-Metrics commit trailers and the evaluations recorded in the notes (src/core/lineage/metricHistory.ts).
 * It is computed from the repository snapshot the tree already holds (no extra git work) and sent
 * again whenever the repository changes. A click on a point or a table row reveals that version in
 * the Model Versions tree, which shows it in Version Details.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { buildMetricHistory, metricHistory } from '../../core/lineage/metricHistory';
import { RepoError, type ModelRepository } from '../../core/repo';
import type { HistoryHostMessage, HistoryViewModel, HistoryWebviewMessage } from '../../shared/historyProtocol';
import { DETAILS_VIEW_ID } from '../details/detailsView';
import { COMMAND } from '../commands/ids';
import type { CommandRegistrar } from '../commands/register';
import { log } from '../log';
import { ModelNode, RepoNode, VersionNode, type ModelsTreeNode, type ModelsTreeProvider } from '../models/modelsTree';
import { requireTrust, type RepoManager } from '../repos/repoManager';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost } from '../webview/panel';
import { historyCsv, toHistoryViewModel } from './viewModel';

export const HISTORY_VIEW_TYPE = 'modelVersions.metricHistory';

/** How the panel reaches the tree. */
export interface HistoryNavigation {
  /** the tree node of a version (undefined when the tree does not show it) */
  versionNode(repo: ModelRepository, model: string, commit: string): Promise<VersionNode | undefined>;
  /** selects the node in the tree (Version Details follows the selection) */
  reveal(node: VersionNode): Promise<void>;
}

export class HistoryPanel extends WebviewPanelHost<HistoryHostMessage, HistoryWebviewMessage> {
  /** one panel per model; the page keeps the chart's hidden series and the metric picked while hidden */
  private static readonly registry = new PanelRegistry<HistoryPanel>({
    viewType: HISTORY_VIEW_TYPE,
    script: 'history.js',
    styles: ['diff.css', 'history.css'],
    retainContextWhenHidden: true,
  });
  private running: Promise<HistoryViewModel | undefined> | undefined;
  private again = false;
  model: HistoryViewModel | undefined;

  /** Shows the panel of `model` (its current path), creating or revealing it; resolves with what it shows. */
  static async show(extensionUri: vscode.Uri, repos: RepoManager, nav: HistoryNavigation, repo: ModelRepository, model: string): Promise<HistoryViewModel | undefined> {
    const title = `History: ${path.posix.basename(model)}`;
    const { host } = HistoryPanel.registry.open(`${repo.root}\u0000${model}`, extensionUri, { title }, (panel) => new HistoryPanel(panel, extensionUri, repos, nav, repo, model, title));
    return host.update();
  }

  /** The panels open now (tests). */
  static panels(): HistoryPanel[] {
    return HistoryPanel.registry.all();
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly repos: RepoManager,
    private readonly nav: HistoryNavigation,
    private readonly repo: ModelRepository,
    private modelPath: string,
    private readonly title: string,
  ) {
    super(panel, extensionUri, HistoryPanel.registry.kind);
    // commits, tags, aliases, notes (a recorded evaluation): the snapshot is rebuilt, then this fires
    this.own(repos.onDidChange(() => void this.update()));
  }

  protected handlers(): RequestHandlers<HistoryWebviewMessage, HistoryHostMessage> {
    return {
      refresh: async () => {
        await this.update();
      },
      openVersion: async (m) => {
        await this.openVersion(m.commit);
      },
      copyCsv: async () => {
        if (!this.model) return;
        await vscode.env.clipboard.writeText(historyCsv(this.model));
        void vscode.window.showInformationMessage(`Model Versions: the metric history of ${this.model.modelName} is on the clipboard as CSV.`);
      },
      evaluate: async () => {
        const latest = this.model?.versions[this.model.versions.length - 1];
        const node = latest && (await this.nav.versionNode(this.repo, this.modelPath, latest.commit));
        if (node) await vscode.commands.executeCommand(COMMAND.evaluateVersion, node);
      },
    };
  }

  /** Reveals the version in the tree (Version Details shows it); returns whether it was found. */
  async openVersion(commit: string): Promise<boolean> {
    const node = await this.nav.versionNode(this.repo, this.modelPath, commit);
    if (!node) {
      void vscode.window.showWarningMessage(`Model Versions: ${commit.slice(0, 7)} is no longer a version of ${this.modelPath} on this branch; refresh the History panel.`);
      return false;
    }
    await this.nav.reveal(node);
    // state of its own slot: a page that loads again highlights it too
    this.post({ type: 'selected', commit }, 'selected');
    return true;
  }

  /** Computes the history again (coalesced: one run at a time, one more queued). */
  update(): Promise<HistoryViewModel | undefined> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.compute().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.update();
      }
    });
    return this.running;
  }

  private async compute(): Promise<HistoryViewModel | undefined> {
    if (!this.model) this.post({ type: 'loading', title: this.title });
    try {
      const snaps = await this.repos.snapshot();
      const snap = snaps.find((s) => s.repo.root === this.repo.root);
      const h = snap && ([...snap.histories.values()].find((x) => x.path === this.modelPath) ?? [...snap.histories.values()].find((x) => x.paths.includes(this.modelPath)));
      // not in the snapshot (a repository outside the workspace folders): read it directly
      const mh = h ? buildMetricHistory(h) : await metricHistory(this.repo, this.modelPath);
      this.modelPath = mh.model; // follows a rename
      const vm = toHistoryViewModel(mh);
      this.model = vm;
      this.post({ type: 'history', model: vm });
      log().info(`history ${mh.model}: ${mh.versions.length} versions, ${mh.series.length} series`);
      return vm;
    } catch (e) {
      const err = e as Error;
      log().error(`history ${this.modelPath}: ${err?.message ?? String(e)}`);
      this.model = undefined;
      const hint = e instanceof RepoError && e.code === 'NO_SUCH_MODEL'
        ? 'Commit the model first (right-click it → Commit Model Version…), then open its history again.'
        : 'Try again; Output › Model Versions has the details.';
      this.post({ type: 'error', title: this.title, message: err?.message ?? String(e), hint });
      return undefined;
    }
  }
}

// ---------------------------------------------------------------- command and tree navigation

/** The version node of (repo, model, commit) in the tree, found by walking it as the view does. */
export async function findVersionNode(models: ModelsTreeProvider, repo: ModelRepository, model: string, commit: string): Promise<VersionNode | undefined> {
  const walk = async (nodes: ModelsTreeNode[]): Promise<VersionNode | undefined> => {
    for (const n of nodes) {
      if (n instanceof RepoNode && n.snap.repo.root === repo.root) return walk(await models.getChildren(n));
      if (n instanceof ModelNode && n.repo.root === repo.root && (n.entry.path === model || n.history?.paths.includes(model))) {
        return (await models.getChildren(n)).find((v): v is VersionNode => v instanceof VersionNode && v.version.commit === commit);
      }
    }
    return undefined;
  };
  return walk(await models.getChildren());
}

type ModelPick = vscode.QuickPickItem & { repo: ModelRepository; model: string };

export function historyCommands(
  command: CommandRegistrar,
  context: vscode.ExtensionContext,
  repos: RepoManager,
  view: vscode.TreeView<ModelsTreeNode>,
  models: ModelsTreeProvider,
): void {
  const nav: HistoryNavigation = {
    versionNode: (repo, model, commit) => findVersionNode(models, repo, model, commit),
    reveal: async (node) => {
      await view.reveal(node, { select: true, focus: true, expand: true });
      // Version Details (below the tree) follows the selection: make sure it is open
      await vscode.commands.executeCommand(`${DETAILS_VIEW_ID}.focus`).then(undefined, () => undefined);
    },
  };
  command(COMMAND.showMetricHistory, async (arg?: ModelNode | VersionNode | vscode.Uri | string) => {
    if (!requireTrust('the metric history of its models')) return undefined;
    let target: { repo: ModelRepository; model: string } | undefined;
    if (arg instanceof ModelNode) target = { repo: arg.repo, model: arg.history?.path ?? arg.entry.path };
    else if (arg instanceof VersionNode) target = { repo: arg.repo, model: arg.version.model };
    else if (arg instanceof vscode.Uri || typeof arg === 'string') {
      const file = arg instanceof vscode.Uri ? arg.fsPath : path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.', arg);
      const repo = await repos.repoFor(file);
      target = { repo, model: (await repo.history(repo.rel(file))).path };
    } else target = await pickModel(repos);
    if (!target) return undefined;
    return await HistoryPanel.show(context.extensionUri, repos, nav, target.repo, target.model);
  });
}

/** A model with versions, from every repository of the workspace. */
async function pickModel(repos: RepoManager): Promise<{ repo: ModelRepository; model: string } | undefined> {
  const snaps = await repos.snapshot();
  const items: ModelPick[] = snaps.flatMap((s) =>
    [...s.histories.values()]
      .filter((h) => h.versions.length && !h.deleted)
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((h) => ({
        label: path.posix.basename(h.path),
        description: `${h.versions.length} version${h.versions.length === 1 ? '' : 's'} · ${path.posix.dirname(h.path) === '.' ? '' : path.posix.dirname(h.path) + ' · '}${path.basename(s.repo.root)}`,
        repo: s.repo,
        model: h.path,
      })),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage('Model Versions: no model has committed versions yet. Commit one (right-click it → Commit Model Version…), then show its metric history.');
    return undefined;
  }
  if (items.length === 1) return items[0];
  return vscode.window.showQuickPick(items, { title: 'Show Metric History', placeHolder: 'the model whose metrics to follow over its versions', matchOnDescription: true });
}
