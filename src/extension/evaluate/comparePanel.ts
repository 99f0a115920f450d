/**
 * The model comparison panel (one, reused: a new comparison replaces the previous one): metrics per
 * model with the best highlighted, the cross-validation spread, verdicts of the candidates against
 * the baseline (Swap exchanges the roles, recomputed from the outputs already computed), a metric
 * chart and ROC curves (Chart.js, bundled into dist/webview/compare.js), confusion matrices as
 * heatmaps, and exports.
 */
import * as vscode from 'vscode';
import type { CompareHostMessage, CompareWebviewMessage, ExportFormat } from '../../shared/compareProtocol';
import { webviewHtml, webviewOptions, webviewRoot } from '../webview/html';
import { renderExport, toCompareViewModel, type CompareResult } from './viewModel';

export const COMPARE_VIEW_TYPE = 'modelVersions.compareModels';

export class ComparePanel {
  static current: ComparePanel | undefined;
  private ready = false;
  private pending: CompareHostMessage | undefined;
  result: CompareResult | undefined;
  /** aborts the run in progress (panel closed) */
  abort: AbortController | undefined;
  onRerun: (() => void) | undefined;
  /** makes the model at this position the baseline (Swap); set while a result shows, cleared when a new run starts */
  onBaseline: ((index: number) => void) | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, title: string): ComparePanel {
    const cur = ComparePanel.current;
    if (cur) {
      cur.panel.title = title;
      cur.panel.reveal();
      return cur;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, title, vscode.ViewColumn.Active, { ...webviewOptions(extensionUri), retainContextWhenHidden: true });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'model.svg');
    const p = new ComparePanel(panel, extensionUri, title);
    ComparePanel.current = p;
    panel.onDidDispose(() => {
      if (ComparePanel.current === p) ComparePanel.current = undefined;
      p.abort?.abort();
      for (const d of p.disposables) d.dispose();
    });
    return p;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    title: string,
  ) {
    const webview = panel.webview;
    const css = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(extensionUri), f)).toString();
    const links = ['diff.css', 'compare.css'].map((f) => `<link rel="stylesheet" href="${css(f)}">`).join('\n');
    webview.html = webviewHtml(webview, extensionUri, 'compare.js', title).replace('</head>', `${links}\n</head>`);
    this.disposables.push(webview.onDidReceiveMessage((m: CompareWebviewMessage) => this.onMessage(m)));
  }

  private onMessage(m: CompareWebviewMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.pending) void this.panel.webview.postMessage(this.pending);
        break;
      case 'export':
        void exportComparison(this.result, m.format, m.to);
        break;
      case 'rerun':
        this.onRerun?.();
        break;
      case 'baseline':
        if (Number.isInteger(m.model)) this.onBaseline?.(m.model);
        break;
    }
  }

  post(m: CompareHostMessage): void {
    this.pending = m;
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  showLoading(title: string, message: string): void {
    this.result = undefined;
    this.onBaseline = undefined;
    this.panel.title = title;
    this.post({ type: 'loading', title, message });
  }

  showResult(r: CompareResult, title: string): void {
    this.result = r;
    this.post({ type: 'report', model: toCompareViewModel(r, title) });
  }

  showError(title: string, message: string, hint: string): void {
    this.onBaseline = undefined;
    this.post({ type: 'error', title, message, hint });
  }
}

const FILTERS: Record<ExportFormat, Record<string, string[]>> = { csv: { CSV: ['csv'] }, json: { JSON: ['json'] }, md: { Markdown: ['md'] } };

/**
 * Exports a comparison: to a file (save dialog, or `target`), or to the clipboard. Returns the text
 * written, or undefined when there is nothing to export or the dialog was cancelled.
 */
export async function exportComparison(r: CompareResult | undefined, format: ExportFormat, to: 'file' | 'clipboard', target?: vscode.Uri): Promise<string | undefined> {
  if (!r) {
    void vscode.window.showInformationMessage('Model Versions: there is no comparison to export yet.');
    return undefined;
  }
  const text = renderExport(r, format);
  if (to === 'clipboard') {
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage(`Model Versions: the comparison is on the clipboard as ${format === 'md' ? 'Markdown' : format.toUpperCase()}.`);
    return text;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri =
    target ??
    (await vscode.window.showSaveDialog({
      title: 'Export the model comparison',
      filters: FILTERS[format],
      defaultUri: folder ? vscode.Uri.joinPath(folder, `model-comparison.${format}`) : undefined,
    }));
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  return text;
}
