/**
 * The one base class of our webview panels (diff, inspect / read-only model editor, history,
 * lineage, Compare Models) and the per-kind registry that opens them.
 *
 * A panel class:
 *   class MyPanel extends WebviewPanelHost<MyHostMessage, MyWebviewMessage> {
 *     static readonly registry = new PanelRegistry<MyPanel>({ viewType: 'modelVersions.my', script: 'my.js', styles: ['my.css'] });
 *     static show(extensionUri: vscode.Uri, key: string) {
 *       const { host, created } = MyPanel.registry.open(key, extensionUri, { title: 'My' }, (panel) => new MyPanel(panel, extensionUri));
 *       if (created) host.load(); // else it was revealed
 *       return host;
 *     }
 *     private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri) {
 *       super(panel, extensionUri, MyPanel.registry.kind);
 *     }
 *     protected handlers() { return { refresh: () => this.load() }; } // one per message type of the page
 *     load() { this.post({ type: 'loading' }); … this.post({ type: 'model', model }); }
 *   }
 *
 * What the base class does (src/extension/webview/channel.ts has the details): sets the HTML (the
 * shell of ./html.ts with the kind's script and style sheets); sends nothing before the page says
 * `ready`; keeps what `post` sends as the page's state and sends it again to every new page (a reload,
 * a page shown again after it was hidden without retained context); runs the page's requests through
 * `handlers()` and shows a handler's error in the page and the log; disposes what was registered
 * with `own()` when the panel closes.
 *
 * Preview panels (like the editor's preview tabs): `open(…, { preview: true })` (a single click in a
 * tree) shows the content in the kind's preview panel, which the next preview open replaces; opening
 * the same content again right away (the second half of a double-click) or explicitly (preview not
 * set: a context menu, a button, the palette) pins it — then it stays, and the next preview open
 * gets a new panel.
 */
import * as vscode from 'vscode';
import { log } from '../log';
import { VIEW_SLOT, WebviewChannel, type Message, type RequestHandlers } from './channel';
import { webviewHtml, webviewOptions } from './html';
import { Registry, type OpenOptions, type Opened, type RegistryHost } from './registry';

export type { OpenOptions } from './registry';

/** What every panel of one kind shares. */
export interface PanelKind {
  viewType: string;
  /** the page's bundle in dist/webview ('diff.js') */
  script: string;
  /** style sheets of dist/webview after webview.css ('diff.css') */
  styles?: readonly string[];
  /** keep the page while its tab is hidden (a table's sort, a graph's zoom); default false */
  retainContextWhenHidden?: boolean;
}

export abstract class WebviewPanelHost<H extends Message, W extends Message> implements vscode.Disposable, RegistryHost {
  protected readonly channel: WebviewChannel<H, W>;
  private readonly owned: vscode.Disposable[] = [];
  private readonly disposeListeners: (() => void)[] = [];
  private closed = false;

  /**
   * @param panel a panel the registry created, or one VS Code gives (a custom editor's)
   */
  protected constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    readonly kind: PanelKind,
  ) {
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'model.svg');
    this.channel = new WebviewChannel<H, W>({
      name: () => `${kind.viewType} '${this.closed ? '(closed)' : panel.title}'`,
      html: () => webviewHtml(webview, extensionUri, kind.script, panel.title, { styles: kind.styles }),
      handlers: () => this.handlers(),
      log: log(),
    });
    this.own(
      panel.onDidChangeViewState(() => {
        // a hidden page without retained context is discarded; it loads again (and says ready) when shown
        if (!panel.visible && !kind.retainContextWhenHidden) this.channel.pageGone();
      }),
      panel.onDidDispose(() => this.onClosed()),
    );
    this.channel.attach(webview);
  }

  /** One handler per message type the page sends; a returned host message is the reply. */
  protected abstract handlers(): RequestHandlers<W, H>;

  /** Sends `m` as the page's state in `slot` (see WebviewChannel.post). */
  protected post(m: H, slot = VIEW_SLOT): void {
    this.channel.post(m, slot);
  }

  /** Sends a one-off message (not sent again to a new page). */
  protected send(m: H): void {
    this.channel.send(m);
  }

  /** Disposed with the panel. */
  protected own(...d: vscode.Disposable[]): void {
    this.owned.push(...d);
  }

  /** Runs when the panel closes (the registry forgets it). */
  onDidClose(listener: () => void): void {
    this.disposeListeners.push(listener);
  }

  reveal(preserveFocus?: boolean): void {
    this.panel.reveal(undefined, preserveFocus);
  }

  setTitle(title: string): void {
    this.panel.title = title;
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.disposeListeners.splice(0)) l();
    this.channel.dispose();
    for (const d of this.owned.splice(0)) d.dispose();
  }

  /** Closes the panel. */
  dispose(): void {
    this.panel.dispose();
  }
}

/** The open panels of one kind and its preview panel (./registry.ts), creating VS Code panels. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class PanelRegistry<P extends WebviewPanelHost<any, any>> {
  private readonly registry = new Registry<P>();

  constructor(readonly kind: PanelKind) {}

  get(key: string): P | undefined {
    return this.registry.get(key);
  }

  all(): P[] {
    return this.registry.all();
  }

  isPreview(host: P): boolean {
    return this.registry.isPreview(host);
  }

  /**
   * The panel for `key` (see Registry.open): `create` gets a new VS Code panel of this kind, in
   * `opts.viewColumn` (default: the active column); `retarget` lets the preview panel show `key`.
   */
  open(key: string, extensionUri: vscode.Uri, opts: OpenOptions, create: (panel: vscode.WebviewPanel) => P, retarget?: (host: P) => void): Opened<P> {
    const make = () =>
      create(
        vscode.window.createWebviewPanel(
          this.kind.viewType,
          opts.title,
          { viewColumn: opts.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus },
          { ...webviewOptions(extensionUri), retainContextWhenHidden: this.kind.retainContextWhenHidden ?? false },
        ),
      );
    return this.registry.open(key, opts, make, retarget);
  }
}
