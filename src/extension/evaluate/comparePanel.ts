/**
 * The model comparison panel (one, reused: a new comparison replaces the previous one): metrics per
 * model with the best highlighted, the test-set resampling spread, verdicts of the candidates against
 * the baseline (Swap exchanges the roles, recomputed from the outputs already computed), a metric
 * chart and ROC curves (Chart.js, bundled into dist/webview/compare.js), confusion matrices as
 * heatmaps, and exports. The page's plumbing is the panels' base class (../webview/panel.ts): its
 * state (loading, the report, an error) goes again to every page that says ready (a reload), and a
 * request that fails (an export that cannot write) shows in the page's banner and the log.
 */
import * as vscode from 'vscode';
import type { CompareHostMessage, CompareWebviewMessage, ExportFormat } from '../../shared/compareProtocol';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost } from '../webview/panel';
import { renderDisagreementsCsv, renderExport, toCompareViewModel, type CompareResult } from './viewModel';

export const COMPARE_VIEW_TYPE = 'modelVersions.compareModels';

/** The registry key of the one comparison panel. */
const KEY = 'compare';

export class ComparePanel extends WebviewPanelHost<CompareHostMessage, CompareWebviewMessage> {
  /** one panel, reused; the page keeps the ROC class and the charts while hidden */
  private static readonly registry = new PanelRegistry<ComparePanel>({
    viewType: COMPARE_VIEW_TYPE,
    script: 'compare.js',
    styles: ['diff.css', 'compare.css'],
    retainContextWhenHidden: true,
  });

  result: CompareResult | undefined;
  /** aborts the run in progress (panel closed) */
  abort: AbortController | undefined;
  onRerun: (() => void) | undefined;
  /** Choose the Data Again…: the same comparison on data picked again */
  onPickData: (() => void | Promise<void>) | undefined;
  /** makes the model at this position the baseline (Swap); set while a result shows, cleared when a new run starts */
  onBaseline: ((index: number) => void) | undefined;

  /** The open comparison panel. */
  static get current(): ComparePanel | undefined {
    return ComparePanel.registry.get(KEY);
  }

  /** The comparison panel titled `title`: the open one (revealed; the new comparison replaces what it shows), or a new one. */
  static show(extensionUri: vscode.Uri, title: string): ComparePanel {
    const { host, created } = ComparePanel.registry.open(KEY, extensionUri, { title }, (panel) => new ComparePanel(panel, extensionUri));
    if (!created) host.setTitle(title);
    return host;
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri) {
    super(panel, extensionUri, ComparePanel.registry.kind);
    this.onDidClose(() => this.abort?.abort());
  }

  protected handlers(): RequestHandlers<CompareWebviewMessage, CompareHostMessage> {
    return {
      export: async (m) => {
        await exportComparison(this.result, m.format, m.to);
      },
      rerun: () => this.onRerun?.(),
      pickData: () => this.onPickData?.(),
      exportDisagreements: async () => {
        await exportDisagreements(this.result);
      },
      baseline: (m) => {
        if (Number.isInteger(m.model)) this.onBaseline?.(m.model);
      },
    };
  }

  showLoading(title: string, message: string): void {
    this.result = undefined;
    this.onBaseline = undefined;
    this.setTitle(title);
    this.post({ type: 'loading', title, message });
  }

  showResult(r: CompareResult, title: string): void {
    this.result = r;
    this.post({ type: 'report', model: toCompareViewModel(r, title) });
  }

  showError(title: string, message: string, hint: string, pickData = false): void {
    this.onBaseline = undefined;
    this.post({ type: 'error', title, message, hint, ...(pickData ? { pickData } : {}) });
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

/** Saves the rows the models disagree on as CSV (save dialog, or `target`); returns the text, or undefined. */
export async function exportDisagreements(r: CompareResult | undefined, target?: vscode.Uri): Promise<string | undefined> {
  if (!r?.disagreements) {
    void vscode.window.showInformationMessage('Model Versions: this comparison has no disagreements to export.');
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = target ?? (await vscode.window.showSaveDialog({ title: 'Export the rows the models disagree on', filters: FILTERS.csv, defaultUri: folder ? vscode.Uri.joinPath(folder, 'model-disagreements.csv') : undefined }));
  if (!uri) return undefined;
  const text = renderDisagreementsCsv(r);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  return text;
}

