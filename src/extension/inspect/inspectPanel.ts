/**
 * A model file's summary in a webview: the Inspect panel (one per file, reused) and the read-only
 * custom editor for .onnx/.h5/.keras files share one controller.
 */
import * as vscode from 'vscode';
import { readModelSummary } from '../../core/formats';
import { toInspectViewModel } from '../../core/formats/viewModel';
import type { InspectHostMessage, InspectWebviewMessage } from '../../shared/webviewProtocol';
import { log } from '../log';
import { webviewHtml, webviewOptions } from '../webview/html';

export const INSPECT_VIEW_TYPE = 'modelVersions.inspect';
export const MODEL_EDITOR_VIEW_TYPE = 'modelVersions.modelViewer';

/** Drives one webview that shows one model file: ready handshake, loading, errors, refresh. */
export class InspectController implements vscode.Disposable {
  private ready = false;
  private pending: InspectHostMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    extensionUri: vscode.Uri,
    readonly uri: vscode.Uri,
    title: string,
    private readonly displayPath?: string,
    /** the heading (default: the file's name; a committed version's copy is named by its hash) */
    private readonly name?: string,
  ) {
    webview.options = webviewOptions(extensionUri);
    webview.html = webviewHtml(webview, extensionUri, 'inspect.js', title);
    this.disposables.push(webview.onDidReceiveMessage((m: InspectWebviewMessage) => this.onMessage(m)));
    void this.load();
  }

  private onMessage(m: InspectWebviewMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.pending) void this.webview.postMessage(this.pending);
        break;
      case 'refresh':
        void this.load();
        break;
      case 'copy':
        void vscode.env.clipboard.writeText(m.text);
        break;
    }
  }

  private post(m: InspectHostMessage): void {
    this.pending = m;
    if (this.ready) void this.webview.postMessage(m);
  }

  async load(): Promise<void> {
    const fileName = this.name ?? this.uri.path.split('/').pop() ?? '';
    this.post({ type: 'loading', fileName });
    try {
      const summary = await readModelSummary(this.uri.fsPath);
      this.post({ type: 'summary', model: { ...toInspectViewModel(summary, this.displayPath ?? vscode.workspace.asRelativePath(this.uri)), fileName } });
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      log().warn(`cannot read ${this.uri.fsPath}: ${message}`);
      this.post({ type: 'error', fileName, message });
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export class InspectPanel {
  private static readonly open = new Map<string, InspectPanel>();
  private readonly controller: InspectController;

  static show(extensionUri: vscode.Uri, uri: vscode.Uri, opts: { title?: string; displayPath?: string; name?: string } = {}): InspectPanel {
    const key = uri.toString();
    const existing = InspectPanel.open.get(key);
    if (existing) {
      existing.panel.reveal();
      void existing.controller.load();
      return existing;
    }
    const title = opts.title ?? `Inspect ${uri.path.split('/').pop()}`;
    const panel = vscode.window.createWebviewPanel(INSPECT_VIEW_TYPE, title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'model.svg');
    const p = new InspectPanel(panel, new InspectController(panel.webview, extensionUri, uri, title, opts.displayPath, opts.name));
    InspectPanel.open.set(key, p);
    panel.onDidDispose(() => {
      InspectPanel.open.delete(key);
      p.controller.dispose();
    });
    return p;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    controller: InspectController,
  ) {
    this.controller = controller;
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

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    if (document.uri.scheme !== 'file') {
      try {
        const { file, label } = await this.materialize(document.uri);
        const c = new InspectController(panel.webview, this.extensionUri, vscode.Uri.file(file), panel.title, label, document.uri.path.split('/').pop());
        panel.onDidDispose(() => c.dispose());
      } catch (e) {
        panel.webview.options = webviewOptions(this.extensionUri);
        panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'inspect.js', panel.title);
        const message = (e as Error).message ?? String(e);
        log().warn(`cannot open ${document.uri.toString()}: ${message}`);
        const fileName = document.uri.path.split('/').pop() ?? '';
        const sub = panel.webview.onDidReceiveMessage((m: InspectWebviewMessage) => {
          if (m.type === 'ready') void panel.webview.postMessage({ type: 'error', fileName, message } satisfies InspectHostMessage);
        });
        panel.onDidDispose(() => sub.dispose());
      }
      return;
    }
    const c = new InspectController(panel.webview, this.extensionUri, document.uri, panel.title);
    const dir = vscode.Uri.joinPath(document.uri, '..');
    const name = document.uri.path.split('/').pop() ?? '';
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, name), true, false, true);
    let timer: NodeJS.Timeout | undefined;
    const sub = w.onDidChange(() => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void c.load(), 300);
    });
    panel.onDidDispose(() => {
      if (timer) clearTimeout(timer);
      sub.dispose();
      w.dispose();
      c.dispose();
    });
  }
}
