/**
 * A model file's summary in a webview: the Inspect panel (one per file, reused; a committed version
 * opened by a click in the tree shows in the kind's preview panel) and the read-only custom editor
 * for .onnx/.h5/.keras files are the same panel class.
 */
import * as vscode from 'vscode';
import { toInspectViewModel } from '../../core/formats/viewModel';
import type { InspectHostMessage, InspectWebviewMessage } from '../../shared/webviewProtocol';
import { log } from '../log';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost, type PanelKind } from '../webview/panel';

export const INSPECT_VIEW_TYPE = 'modelVersions.inspect';
export const MODEL_EDITOR_VIEW_TYPE = 'modelVersions.modelViewer';

const INSPECT_KIND: PanelKind = { viewType: INSPECT_VIEW_TYPE, script: 'inspect.js' };
const EDITOR_KIND: PanelKind = { viewType: MODEL_EDITOR_VIEW_TYPE, script: 'inspect.js' };

/** What one panel shows: a local model file, found when it is loaded. */
interface InspectTarget {
  /** the heading (a committed version's copy is named by its hash: the model's name instead) */
  fileName: string;
  /** the file to read and the path to show (a `git:` URI is first written to a local file) */
  resolve(): Promise<{ file: string; displayPath: string }>;
}

export interface InspectOptions {
  /** the tab title (default 'Inspect <file name>') */
  title?: string;
  /** the path shown under the heading (default: the workspace-relative path) */
  displayPath?: string;
  /** the heading (default: the file's name) */
  name?: string;
  /** a single click in the tree: show it in the preview panel (see src/extension/webview/panel.ts) */
  preview?: boolean;
  /**
   * what the panel shows, when the file alone does not say it (default: the file's URI): two versions
   * with the same bytes share one content-addressed copy but are two things to show
   */
  key?: string;
}

const baseName = (uri: vscode.Uri) => uri.path.split('/').pop() ?? '';

function fileTarget(uri: vscode.Uri, opts: { displayPath?: string; name?: string } = {}): InspectTarget {
  return {
    fileName: opts.name ?? baseName(uri),
    resolve: async () => ({ file: uri.fsPath, displayPath: opts.displayPath ?? vscode.workspace.asRelativePath(uri) }),
  };
}

export class InspectPanel extends WebviewPanelHost<InspectHostMessage, InspectWebviewMessage> {
  private static readonly registry = new PanelRegistry<InspectPanel>(INSPECT_KIND);
  /** the newest load; a load for an older target (the preview panel showed another file) is dropped */
  private loads = 0;

  /** Shows `uri` in its panel (revealed and read again when open), or in the preview panel. */
  static show(extensionUri: vscode.Uri, uri: vscode.Uri, opts: InspectOptions = {}): InspectPanel {
    const title = opts.title ?? `Inspect ${baseName(uri)}`;
    const target = fileTarget(uri, opts);
    const { host, created, retargeted } = InspectPanel.registry.open(
      opts.key ?? uri.toString(),
      extensionUri,
      { title, preview: opts.preview, preserveFocus: opts.preview },
      (panel) => new InspectPanel(panel, extensionUri, INSPECT_KIND, target),
      (p) => p.retarget(target),
    );
    if (!created && !retargeted) void host.load();
    return host;
  }

  /**
   * The read-only model editor in `panel` (VS Code made it). A non-`file:` URI (the `git:` side of an
   * SCM or timeline diff) is written to a local file by `materialize` while the page says it is reading.
   */
  static forEditor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    uri: vscode.Uri,
    materialize: (uri: vscode.Uri) => Promise<{ file: string; label: string }>,
  ): InspectPanel {
    const target: InspectTarget =
      uri.scheme === 'file'
        ? fileTarget(uri)
        : {
            fileName: baseName(uri),
            resolve: async () => {
              const { file, label } = await materialize(uri);
              return { file, displayPath: label };
            },
          };
    return new InspectPanel(panel, extensionUri, EDITOR_KIND, target);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    kind: PanelKind,
    private target: InspectTarget,
  ) {
    super(panel, extensionUri, kind);
    void this.load();
  }

  protected handlers(): RequestHandlers<InspectWebviewMessage, InspectHostMessage> {
    return {
      refresh: () => this.load(),
      copy: async (m) => {
        await vscode.env.clipboard.writeText(m.text);
      },
    };
  }

  private retarget(target: InspectTarget): void {
    this.target = target;
    void this.load();
  }

  /** Reads the file again and shows it (errors show in the page). */
  async load(): Promise<void> {
    const id = ++this.loads;
    const { fileName } = this.target;
    this.post({ type: 'loading', fileName });
    let where = fileName;
    try {
      const { file, displayPath } = await this.target.resolve();
      where = file;
      const { readModelSummary } = await import('../../core/formats/index.js'); // the readers load with the first model shown (issue #12)
      const summary = await readModelSummary(file);
      if (id !== this.loads) return;
      this.post({ type: 'summary', model: { ...toInspectViewModel(summary, displayPath), fileName } });
    } catch (e) {
      if (id !== this.loads) return;
      const message = (e as Error).message ?? String(e);
      log().warn(`cannot read ${where}: ${message}`);
      this.post({ type: 'error', fileName, message });
    }
  }
}

/**
 * Opening a model file shows its summary instead of binary bytes (read-only: we never write models
 * from an editor). Refreshes when the file changes on disk (a restore, a checkout).
 */
export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider {
  /**
   * @param materialize turns a non-`file:` URI (the `git:` side of a diff from the Source Control view
   * or the timeline) into a local file holding those bytes, LFS content resolved.
   */
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly materialize: (uri: vscode.Uri) => Promise<{ file: string; label: string }>,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    // the page is set up at once (it says it is reading); the file is resolved and read after
    const p = InspectPanel.forEditor(panel, this.extensionUri, document.uri, this.materialize);
    if (document.uri.scheme !== 'file') return;
    const dir = vscode.Uri.joinPath(document.uri, '..');
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, baseName(document.uri)), true, false, true);
    let timer: NodeJS.Timeout | undefined;
    const sub = w.onDidChange(() => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void p.load(), 300);
    });
    p.onDidClose(() => {
      if (timer) clearTimeout(timer);
      sub.dispose();
      w.dispose();
    });
  }
}
