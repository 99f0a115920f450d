/**
 * The model diff panel (one webview panel per pair of models, reused) and the commands that open it:
 * Compare with Previous Version, Compare with…, Compare Selected (two versions in the tree) and
 * Compare Two Model Files… (Explorer). The diff runs here in the extension host (src/core/diff); the
 * webview gets a small view model (./viewModel.ts). Every command returns the ModelDiff (tests use it),
 * or undefined when it was cancelled, refused or failed (the reason shows to the user).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { diffModels, renderMarkdown, type DiffInput, type ModelDiff } from '../../core/diff';
import { ModelFormatError, READABLE_EXTENSIONS, isReadableModelPath, readableDialogExtensions, readModelSummary } from '../../core/formats';
import { RepoError, type ModelRepository, type ModelVersion } from '../../core/repo';
import type { DiffHostMessage, DiffWebviewMessage } from '../../shared/diffProtocol';
import { COMMAND } from '../commands/ids';
import type { CommandRegistrar } from '../commands/register';
import { log } from '../log';
import { ModelNode, VersionNode, type ModelsTreeNode } from '../models/modelsTree';
import { modelPatterns, type RepoManager } from '../repos/repoManager';
import { versionFile, versionName } from '../versions';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost } from '../webview/panel';
import { toDiffViewModel } from './viewModel';

export const DIFF_VIEW_TYPE = 'modelVersions.diff';

/** Keep every weight row (identical ones too) when the two models have at most this many tensors together. */
const ALL_ROWS_MAX_TENSORS = 20000;

/** One side of a comparison, before its bytes are read. */
export interface DiffEnd {
  /** identifies the content (the panel for a pair is reused) */
  key: string;
  /** the file's base name */
  name: string;
  /** 'v2', or '' for a file */
  version: string;
  /** for the ModelDiff: 'hello_deepa.onnx@v2' or the workspace-relative path */
  label: string;
  /** the panel's subtitle for this side */
  origin: string;
  /** a working-tree file can change: the diff is run again when its panel is shown again */
  mutable: boolean;
  input(): Promise<DiffInput>;
}

export function versionEnd(context: vscode.ExtensionContext, repo: ModelRepository, v: ModelVersion): DiffEnd {
  const name = path.posix.basename(v.model);
  return {
    key: `${repo.root}:${v.model}@${v.commit}`,
    name,
    version: versionName(v),
    label: `${v.model}@${versionName(v)}`,
    origin: `${v.model} @ ${versionName(v)} (${v.shortCommit}) · ${v.subject}`,
    mutable: false,
    input: async () => ({
      file: await versionFile(context, repo, v.model, v),
      label: `${v.model}@v${v.version}`,
      displayPath: repo.abs(v.path),
      version: { model: v.model, version: v.version, commit: v.commit, spec: `v${v.version}` },
    }),
  };
}

export function fileEnd(uri: vscode.Uri): DiffEnd {
  const rel = vscode.workspace.asRelativePath(uri, false);
  return {
    key: uri.fsPath,
    name: path.basename(uri.fsPath),
    version: '',
    label: rel,
    origin: `${rel} (file)`,
    mutable: true,
    input: async () => ({ file: uri.fsPath, label: rel }),
  };
}

/** 'hello_deepa.onnx v1 ↔ v2', 'hello_deepa.onnx v3 ↔ working file', 'a.onnx ↔ b.onnx' */
export function diffTitle(a: DiffEnd, b: DiffEnd): string {
  if (a.name === b.name && (a.version || b.version)) return `${a.name} ${a.version || 'working file'} ↔ ${b.version || 'working file'}`;
  const one = (e: DiffEnd) => (e.version ? `${e.name} ${e.version}` : e.name);
  if (a.name === b.name) return `${a.label} ↔ ${b.label}`;
  return `${one(a)} ↔ ${one(b)}`;
}

/** What to do about an error, in one sentence. */
function hintFor(e: unknown): string {
  if (e instanceof ModelFormatError) {
    return `The file is damaged, or not of a model format this extension reads (${READABLE_EXTENSIONS.join(' ')}). Open it with "Inspect Model" to see what fails, or compare other versions.`;
  }
  const err = e as Error & { code?: string };
  if (err instanceof RepoError) {
    if (err.code === 'LFS_FETCH_FAILED' || err.code === 'NOT_FOUND') {
      return 'The version\'s bytes are not available here: run "Model Versions: Fetch" (git lfs fetch) and try again.';
    }
    if (err.code === 'LFS_MISSING') return 'Install Git LFS, then try again.';
    return 'Check the repository (Output › Model Versions has the details), then try again.';
  }
  if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return 'The file was moved or deleted: pick the models to compare again.';
  return 'Try again; Output › Model Versions has the details.';
}

export class DiffPanel extends WebviewPanelHost<DiffHostMessage, DiffWebviewMessage> {
  /** one panel per pair of models; the page keeps the table's sort, filter and open sections while hidden */
  private static readonly registry = new PanelRegistry<DiffPanel>({ viewType: DIFF_VIEW_TYPE, script: 'diff.js', styles: ['diff.css'], retainContextWhenHidden: true });
  private diff: ModelDiff | undefined;
  private running: Promise<ModelDiff | undefined> | undefined;
  private static createdCount = 0;

  /** Shows the panel for (a, b), creating it or revealing it, and returns the diff once computed. */
  static async show(extensionUri: vscode.Uri, a: DiffEnd, b: DiffEnd): Promise<ModelDiff | undefined> {
    const title = diffTitle(a, b);
    const { host, created } = DiffPanel.registry.open(`${a.key}\u0000${b.key}`, extensionUri, { title }, (panel) => new DiffPanel(panel, extensionUri, a, b, title));
    if (created) DiffPanel.createdCount++;
    if (!created) {
      if (host.running) return host.running;
      if (host.diff && !host.a.mutable && !host.b.mutable) return host.diff;
    }
    return host.run();
  }

  /** How many panels were created so far (tests: api.diff.panelsOpened()). */
  static panelsCreated(): number {
    return DiffPanel.createdCount;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly a: DiffEnd,
    private readonly b: DiffEnd,
    private readonly title: string,
  ) {
    super(panel, extensionUri, DiffPanel.registry.kind);
  }

  protected handlers(): RequestHandlers<DiffWebviewMessage, DiffHostMessage> {
    return {
      refresh: async () => {
        await this.run();
      },
      copyMarkdown: async () => {
        if (!this.diff) return;
        await vscode.env.clipboard.writeText(renderMarkdown(this.diff, { rows: 100 }));
        void vscode.window.showInformationMessage('Model Versions: the diff is on the clipboard as Markdown.');
      },
    };
  }

  run(): Promise<ModelDiff | undefined> {
    this.running ??= this.compute().finally(() => (this.running = undefined));
    return this.running;
  }

  private async compute(): Promise<ModelDiff | undefined> {
    const { a, b, title } = this;
    this.post({ type: 'loading', title, a: a.origin, b: b.origin });
    try {
      const d = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Comparing ${title}` },
        async (progress) => {
          const ia = await a.input();
          const ib = await b.input();
          progress.report({ message: 'reading the models…' });
          const [sa, sb] = await Promise.all([readModelSummary(ia.file), readModelSummary(ib.file)]);
          const all = sa.tensors.length + sb.tensors.length <= ALL_ROWS_MAX_TENSORS;
          let lastPhase = '';
          let lastPct = 0;
          return diffModels({ ...ia, summary: sa }, { ...ib, summary: sb }, {
            allWeightRows: all,
            maxWeightRows: all ? ALL_ROWS_MAX_TENSORS : undefined,
            onProgress: (p) => {
              const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
              if (p.phase === lastPhase && pct - lastPct < 5 && p.done !== p.total) return;
              lastPhase = p.phase;
              lastPct = pct;
              progress.report({ message: `${p.phase === 'hash' ? 'hashing' : 'comparing'} tensors ${p.done}/${p.total}` });
            },
          });
        },
      );
      this.diff = d;
      this.post({ type: 'diff', model: toDiffViewModel(d, { title, originA: a.origin, originB: b.origin }) });
      log().info(`diff ${a.label} ↔ ${b.label}: ${d.verdicts.join(' | ')} (${d.elapsedMs} ms)`);
      return d;
    } catch (e) {
      const err = e as Error & { details?: string };
      log().error(`diff ${a.label} ↔ ${b.label}: ${err?.message ?? String(e)}${err?.details ? `\n${err.details}` : ''}`);
      this.diff = undefined;
      this.post({ type: 'error', title, message: err?.message ?? String(e), hint: hintFor(e) });
      return undefined;
    }
  }
}

// ---------------------------------------------------------------- commands

const MODEL_FILE_FILTERS = { 'Model files': readableDialogExtensions(), 'All files': ['*'] };

/** What the integration tests look at (through the extension's API). */
export interface DiffTestHook {
  /** how many diff panels were created so far (counted before the command that creates one returns) */
  panelsOpened(): number;
}

/**
 * The compare commands. An error before the panel opens (resolving a version, a missing file) is a
 * notification (../commands/register.ts); once the panel is open, the panel shows its own.
 */
export function diffCommands(command: CommandRegistrar, context: vscode.ExtensionContext, repos: RepoManager, view: vscode.TreeView<ModelsTreeNode>): DiffTestHook {
  const show = (a: DiffEnd, b: DiffEnd) => DiffPanel.show(context.extensionUri, a, b);

  /** The version before `v` of its model (undefined for v1). */
  const previousOf = async (repo: ModelRepository, v: ModelVersion) => (await repo.versions(v.model)).find((x) => x.version === v.version - 1);

  command(COMMAND.compareWithPrevious, async (arg?: VersionNode | ModelNode | vscode.Uri) => {
    if (arg instanceof VersionNode) {
      // another branch's version: the one before it on that branch (numbered there)
      const b = arg.branch;
      const i = b ? b.versions.versions.findIndex((x) => x.commit === arg.version.commit) : -1;
      const prev = !b
        ? await previousOf(arg.repo, arg.version)
        : i > 0
          ? b.versions.versions[i - 1]
          : await arg.repo.resolveVersion(arg.version.model, `${b.group.ref}~${b.versions.versions.length}`).catch(() => undefined);
      if (!prev) {
        void vscode.window.showInformationMessage(
          `${arg.version.model} v${arg.version.version} is its first version: there is no previous version to compare with. Use "Compare with…" to pick another version or a model file.`,
        );
        return undefined;
      }
      return show(versionEnd(context, arg.repo, prev), versionEnd(context, arg.repo, arg.version));
    }
    // a model file: its latest version ↔ the working file
    const uri = arg instanceof ModelNode ? arg.uri : arg instanceof vscode.Uri ? arg : activeFileUri();
    if (!uri) {
      void vscode.window.showInformationMessage('Model Versions: right-click a version in the Model Versions view to compare it with the previous one.');
      return undefined;
    }
    const repo = await repos.repoFor(uri.fsPath);
    const latest = await repo.resolveVersion(repo.rel(uri.fsPath), 'latest');
    return show(versionEnd(context, repo, latest), fileEnd(uri));
  });

  command(COMMAND.compareWith, async (arg?: VersionNode, other?: VersionNode | vscode.Uri | number | string) => {
    if (!(arg instanceof VersionNode)) {
      void vscode.window.showInformationMessage('Model Versions: right-click a version in the Model Versions view, then "Compare with…".');
      return undefined;
    }
    const { repo, version: v } = arg;
    let target: VersionNode | ModelVersion | vscode.Uri | undefined;
    if (other instanceof VersionNode || other instanceof vscode.Uri) target = other;
    else if (typeof other === 'number' || typeof other === 'string') target = await repo.resolveVersion(v.model, other);
    else target = await pickCompareTarget(repo, v);
    if (!target) return undefined;
    if (target instanceof vscode.Uri) return show(versionEnd(context, repo, v), fileEnd(target));
    const [tr, tv] = target instanceof VersionNode ? [target.repo, target.version] : [repo, target];
    const here = versionEnd(context, repo, v);
    const there = versionEnd(context, tr, tv);
    // the older version on the left when both are versions of the same model
    return tr === repo && tv.model === v.model && tv.version > v.version ? show(here, there) : show(there, here);
  });

  command(COMMAND.compareSelected, async (clicked?: ModelsTreeNode, selected?: readonly ModelsTreeNode[]) => {
    const nodes = selected?.length ? [...selected] : view.selection.length ? [...view.selection] : clicked ? [clicked] : [];
    if (clicked && !nodes.includes(clicked)) nodes.unshift(clicked);
    const versions = nodes.filter((n): n is VersionNode => n instanceof VersionNode);
    if (versions.length !== 2 || nodes.length !== 2) {
      void vscode.window.showWarningMessage(
        `Model Versions: select exactly two versions in the Model Versions view (Ctrl/Cmd+click the second one) to compare them; ${versions.length === nodes.length ? `${versions.length} ${versions.length === 1 ? 'is' : 'are'}` : `${nodes.length} items are`} selected.`,
      );
      return undefined;
    }
    let [x, y] = versions;
    if (x.repo === y.repo && x.version.model === y.version.model && x.version.version > y.version.version) [x, y] = [y, x];
    return show(versionEnd(context, x.repo, x.version), versionEnd(context, y.repo, y.version));
  });

  // Source Control changes list: a model file's last committed version ↔ its working copy
  command(COMMAND.openModelChanges, async (arg?: vscode.Uri | { resourceUri?: vscode.Uri }) => {
    const uri = arg instanceof vscode.Uri ? arg : arg?.resourceUri ?? activeFileUri();
    if (!uri || !isReadableModelPath(uri.fsPath)) {
      void vscode.window.showInformationMessage('Model Versions: "Open Model Changes" compares ONNX and Keras model files; pick one in the Source Control changes list.');
      return undefined;
    }
    const repo = await repos.repoFor(uri.fsPath);
    const latest = await repo.resolveVersion(repo.rel(uri.fsPath), 'latest');
    return show(versionEnd(context, repo, latest), fileEnd(uri));
  });

  // Timeline (git history of a file): that commit's version ↔ the version before it
  command(COMMAND.openTimelineChanges, async (item?: { id?: string }, uri?: vscode.Uri) => {
    const file = uri ?? activeFileUri();
    if (!item?.id || !file) return undefined;
    const repo = await repos.repoFor(file.fsPath);
    const v = await repo.resolveVersion(repo.rel(file.fsPath), item.id);
    const all = await repo.versions(v.model);
    const prev = all.find((x) => x.version === v.version - 1);
    if (!prev) {
      void vscode.window.showInformationMessage(`Model Versions: v${v.version} is the first version of ${v.model}; there is nothing before it to compare with.`);
      return undefined;
    }
    return show(versionEnd(context, repo, prev), versionEnd(context, repo, v));
  });

  command(COMMAND.compareFiles, async (arg?: vscode.Uri, second?: vscode.Uri | readonly vscode.Uri[]) => {
    // the Explorer passes (clicked, all selected): with two model files selected, compare them
    if (Array.isArray(second) && second.length === 2) return show(fileEnd(second[0]), fileEnd(second[1]));
    const first = arg instanceof vscode.Uri ? arg : activeFileUri() ?? (await pickModelFile(undefined, 'Compare Two Model Files: pick the first (A)'));
    if (!first) return undefined;
    const other = second instanceof vscode.Uri ? second : await pickModelFile(first, `Compare ${path.basename(first.fsPath)} with…`);
    if (!other) return undefined;
    return show(fileEnd(first), fileEnd(other));
  });

  return { panelsOpened: () => DiffPanel.panelsCreated() };
}

function activeFileUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
  const uri = vscode.window.activeTextEditor?.document.uri ?? input?.uri;
  return uri?.scheme === 'file' && isReadableModelPath(uri.fsPath) ? uri : undefined;
}

type Pick = vscode.QuickPickItem & { version?: ModelVersion; uri?: vscode.Uri; browse?: boolean };

/** Another version of the same model, the working file, or any model file. */
async function pickCompareTarget(repo: ModelRepository, v: ModelVersion): Promise<ModelVersion | vscode.Uri | undefined> {
  const versions = (await repo.versions(v.model)).filter((x) => x.version !== v.version).reverse();
  const working = repo.abs(v.model);
  const items: Pick[] = [
    ...versions.map((x) => ({
      label: `v${x.version}`,
      description: [...x.aliases.map((a) => `⟨${a}⟩`), ...x.tags.map((t) => `#${t.name}`), x.subject, x.shortCommit].filter(Boolean).join(' · '),
      version: x,
    })),
  ];
  if (fs.existsSync(working)) items.push({ label: '$(file) Working file', description: `${v.model} as it is on disk`, uri: vscode.Uri.file(working) });
  items.push({ label: '$(folder-opened) Another model file…', browse: true });
  const pick = await vscode.window.showQuickPick(items, { title: `Compare ${v.model} v${v.version} with…`, placeHolder: 'a version of this model, or a model file', matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.version) return pick.version;
  if (pick.uri) return pick.uri;
  return browseModelFile(`Compare ${v.model} v${v.version} with`);
}

/** A model file of the workspace (quick pick), or any file (open dialog). */
async function pickModelFile(exclude: vscode.Uri | undefined, title: string): Promise<vscode.Uri | undefined> {
  const pattern = `{${modelPatterns().join(',')}}`;
  const found = (await vscode.workspace.findFiles(pattern, '**/node_modules/**', 500)).filter((u) => u.fsPath !== exclude?.fsPath);
  found.sort((x, y) => x.fsPath.localeCompare(y.fsPath));
  const items: Pick[] = found.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath), false), uri: u }));
  items.push({ label: '$(folder-opened) Browse…', browse: true });
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'a model file of the workspace, or Browse…', matchOnDescription: true });
  if (!pick) return undefined;
  return pick.uri ?? browseModelFile(title);
}

async function browseModelFile(title: string): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, canSelectFolders: false, filters: MODEL_FILE_FILTERS, openLabel: 'Compare' });
  return picked?.[0];
}
