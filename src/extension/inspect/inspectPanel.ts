/** The Inspect panel: a model file's summary in a webview (one panel per file, reused). */
import * as vscode from 'vscode';
import { readModelSummary } from '../../core/formats';
import { toInspectViewModel } from '../../core/formats/viewModel';
import type { InspectHostMessage, InspectWebviewMessage } from '../../shared/webviewProtocol';
import { log } from '../log';
import { webviewHtml, webviewOptions } from '../webview/html';

export const INSPECT_VIEW_TYPE = 'modelVersions.inspect';

export class InspectPanel {
  private static readonly open = new Map<string, InspectPanel>();
  private ready = false;
  private pending: InspectHostMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, uri: vscode.Uri, opts: { title?: string; displayPath?: string } = {}): InspectPanel {
    const key = uri.toString();
    const existing = InspectPanel.open.get(key);
    if (existing) {
      existing.panel.reveal();
      void existing.load();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      INSPECT_VIEW_TYPE,
      opts.title ?? `Inspect ${uri.path.split('/').pop()}`,
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    const p = new InspectPanel(panel, extensionUri, uri, opts.displayPath);
    InspectPanel.open.set(key, p);
    return p;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    readonly uri: vscode.Uri,
    private readonly displayPath?: string,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'model.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'inspect.js', panel.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: InspectWebviewMessage) => this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
    );
    void this.load();
  }

  private onMessage(m: InspectWebviewMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.pending) void this.panel.webview.postMessage(this.pending);
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
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  async load(): Promise<void> {
    const fileName = this.uri.path.split('/').pop() ?? '';
    this.post({ type: 'loading', fileName });
    try {
      const summary = await readModelSummary(this.uri.fsPath);
      this.post({ type: 'summary', model: toInspectViewModel(summary, this.displayPath ?? vscode.workspace.asRelativePath(this.uri)) });
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      log().warn(`cannot read ${this.uri.fsPath}: ${message}`);
      this.post({ type: 'error', fileName, message });
    }
  }

  dispose(): void {
    InspectPanel.open.delete(this.uri.toString());
    for (const d of this.disposables) d.dispose();
  }
}
