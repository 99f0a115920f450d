/**
 * The Lineage panel: one webview panel per repository showing the graph of every version of every
 * model (src/core/lineage), with datasets, code commits and evaluations. Node actions come back as
 * typed intents (src/shared/lineageProtocol.ts) and run the existing commands on a tree node.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { lineageGraph, type LineageGraph } from '../../core/lineage';
import { RepoError, type ModelRepository } from '../../core/repo';
import type { LineageHostMessage, LineageIntent, LineageWebviewMessage } from '../../shared/lineageProtocol';
import { COMMAND } from '../commands/ids';
import type { CommandRegistrar } from '../commands/register';
import { log } from '../log';
import { ModelNode, VersionNode, type ModelsTreeNode } from '../models/modelsTree';
import { requireTrust, type RepoManager } from '../repos/repoManager';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost } from '../webview/panel';
import { toLineageViewModel } from './viewModel';

export { toLineageViewModel, toViewNode } from './viewModel';

export const LINEAGE_VIEW_TYPE = 'modelVersions.lineage';

export class LineagePanel extends WebviewPanelHost<LineageHostMessage, LineageWebviewMessage> {
  /** one panel per repository; the page keeps the layout, zoom, filter and selection while hidden */
  private static readonly registry = new PanelRegistry<LineagePanel>({ viewType: LINEAGE_VIEW_TYPE, script: 'lineage.js', styles: ['lineage.css'], blobWorkers: true, retainContextWhenHidden: true });
  private graph: LineageGraph | undefined;
  private rendered: ((r: { ms: number; nodes: number; edges: number }) => void)[] = [];
  /** the last layout the webview reported (tests and the log) */
  lastRender: { ms: number; nodes: number; edges: number } | undefined;

  static async show(
    context: vscode.ExtensionContext,
    repos: RepoManager,
    view: vscode.TreeView<ModelsTreeNode>,
    repo: ModelRepository,
    focusModel = '',
  ): Promise<LineagePanel> {
    const title = `Lineage · ${path.basename(repo.root)}`;
    const { host, created } = LineagePanel.registry.open(repo.root, context.extensionUri, { title }, (panel) => new LineagePanel(panel, context, repos, view, repo, focusModel));
    if (!created) host.focusModel = focusModel;
    await host.load();
    return host;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly repos: RepoManager,
    private readonly view: vscode.TreeView<ModelsTreeNode>,
    private readonly repo: ModelRepository,
    private focusModel: string,
  ) {
    super(panel, context.extensionUri, LineagePanel.registry.kind);
    this.own(
      repos.onDidChange(() => {
        if (this.panel.visible) void this.load();
      }),
    );
  }

  /** Resolves when the webview has laid out the graph it was last sent. */
  whenRendered(): Promise<{ ms: number; nodes: number; edges: number }> {
    return new Promise((resolve) => this.rendered.push(resolve));
  }

  protected handlers(): RequestHandlers<LineageWebviewMessage, LineageHostMessage> {
    return {
      refresh: async () => {
        await this.load();
      },
      rendered: (m) => {
        this.lastRender = { ms: m.ms, nodes: m.nodes, edges: m.edges };
        const first = m.firstPaintMs !== undefined ? `, first drawn after ${m.firstPaintMs} ms` : '';
        log().info(`lineage: laid out ${m.nodes} nodes and ${m.edges} edges in ${m.ms} ms${m.where ? ` (dagre in ${m.where === 'worker' ? 'a worker' : 'the main thread'})` : ''}${first}`);
        if (m.problem) log().warn(`lineage: the layout ran on the panel's main thread, which it blocks meanwhile: ${m.problem}`);
        for (const r of this.rendered.splice(0)) r(this.lastRender);
      },
      action: async (m) => {
        try {
          await this.act(m.action, m.id);
        } catch (e) {
          // the user's action failed: say so where they clicked (the log has it too)
          const err = e as Error;
          log().error(`lineage ${m.action}: ${err?.message ?? String(e)}`);
          void vscode.window.showErrorMessage(`Model Versions: ${err?.message ?? String(e)}`);
        }
      },
    };
  }

  async load(): Promise<LineageGraph | undefined> {
    const title = this.panel.title;
    this.post({ type: 'loading', title });
    try {
      const started = Date.now();
      const g = await lineageGraph(this.repo);
      this.graph = g;
      this.post({ type: 'graph', model: toLineageViewModel(g, path.basename(this.repo.root), this.focusModel) });
      log().info(`lineage: ${g.nodes.length} nodes, ${g.edges.length} edges in ${Date.now() - started} ms`);
      return g;
    } catch (e) {
      const err = e as Error;
      log().error(`lineage: ${err?.message ?? String(e)}`);
      this.post({
        type: 'error',
        title,
        message: err?.message ?? String(e),
        hint: err instanceof RepoError ? 'Check the repository (Output › Model Versions has the details), then refresh.' : 'Refresh to try again; Output › Model Versions has the details.',
      });
      return undefined;
    }
  }

  /** The tree node of a version (for the commands that take one). */
  private async versionNode(model: string, commit: string): Promise<VersionNode> {
    const snaps = await this.repos.snapshot();
    const snap = snaps.find((s) => s.repo.root === this.repo.root);
    const entry = snap?.models.find((m) => m.path === model);
    const history = snap?.histories.get(model);
    const v = history?.versions.find((x) => x.commit === commit);
    if (!snap || !entry || !history || !v) {
      throw new RepoError('NO_SUCH_VERSION', `${model} @ ${commit.slice(0, 7)} is not a version on this branch (any more): refresh the lineage.`);
    }
    const latest = v.version === history.versions.length;
    return new VersionNode(snap.repo, new ModelNode(snap.repo, entry, history), v, latest);
  }

  private async act(action: LineageIntent, id: string): Promise<unknown> {
    const n = this.graph?.nodes.find((x) => x.id === id);
    if (!n) throw new RepoError('NOT_FOUND', 'That node is no longer in the graph: refresh the lineage.');
    if (action === 'copyId') {
      const text = n.kind === 'dataset' ? `sha256:${n.oid}` : (n.commit ?? n.id);
      await vscode.env.clipboard.writeText(text);
      void vscode.window.setStatusBarMessage(`Copied ${text.slice(0, 19)}…`, 3000);
      return text;
    }
    if (action === 'openFile') {
      const file = n.path ? this.repo.abs(n.path) : undefined;
      if (!file || !fs.existsSync(file)) {
        void vscode.window.showInformationMessage(`Model Versions: ${n.path ?? 'that dataset'} is not in the working tree (its sha256 is ${n.oid}).`);
        return undefined;
      }
      return vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
    }
    if (n.kind !== 'version' && n.kind !== 'evaluation') throw new RepoError('NOT_FOUND', `A ${n.kind} node has no ${action} action.`);
    if (n.external) {
      throw new RepoError('NO_SUCH_VERSION', `${n.model} @ ${n.shortCommit} is not in this branch's history: check out or fetch the branch that has it.`);
    }
    const node = await this.versionNode(n.model!, n.commit!);
    switch (action) {
      case 'openDiff':
        return vscode.commands.executeCommand(COMMAND.compareWithPrevious, node);
      case 'compare':
        return vscode.commands.executeCommand(COMMAND.compareWith, node);
      case 'restore':
        return vscode.commands.executeCommand(COMMAND.restoreVersion, node);
      case 'reveal':
        await vscode.commands.executeCommand('workbench.view.extension.modelVersions'); // the Model Versions side bar
        await this.view.reveal(node, { select: true, focus: true, expand: true });
        return node;
    }
    return undefined;
  }

}

/** `modelVersions.showLineage` (command palette; tree title and context menus). */
export function lineageCommands(command: CommandRegistrar, context: vscode.ExtensionContext, repos: RepoManager, view: vscode.TreeView<ModelsTreeNode>): void {
  command(COMMAND.showLineage, async (arg?: unknown) => {
    if (!requireTrust('the lineage of its models')) return undefined;
    await repos.ready();
    let repo: ModelRepository | undefined;
    let focus = '';
    if (arg instanceof VersionNode) [repo, focus] = [arg.repo, arg.version.model];
    else if (arg instanceof ModelNode) [repo, focus] = [arg.repo, arg.entry.path];
    else if (arg instanceof vscode.Uri) {
      repo = await repos.repoFor(arg.fsPath);
      focus = repo.rel(arg.fsPath);
    } else {
      const all = repos.repositories;
      if (!all.length) {
        void vscode.window.showInformationMessage('Model Versions: open a folder with a git repository to see the lineage of its models.');
        return undefined;
      }
      repo =
        all.length === 1
          ? all[0]
          : (await vscode.window.showQuickPick(all.map((r) => ({ label: path.basename(r.root), description: r.root, r })), { title: 'Show Lineage of…' }))?.r;
    }
    if (!repo) return undefined;
    const p = await LineagePanel.show(context, repos, view, repo, focus);
    return { panel: p.panel.title };
  });
}
