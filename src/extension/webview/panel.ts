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
  /** the page starts Web Workers from Blob URLs (html.ts WebviewHtmlOptions.blobWorkers) */
  blobWorkers?: boolean;
  /** keep the page while its tab is hidden (a table's sort, a graph's zoom); default false */
  retainContextWhenHidden?: boolean;
}

/** Makes a new VS Code panel of a kind in a column (a registry's; see WebviewPanelHost.replaceFrame). */
export type PanelFactory = (viewColumn: vscode.ViewColumn | undefined, preserveFocus: boolean) => vscode.WebviewPanel;

export abstract class WebviewPanelHost<H extends Message, W extends Message> implements vscode.Disposable, RegistryHost {
  protected readonly channel: WebviewChannel<H, W>;
  private readonly owned: vscode.Disposable[] = [];
  /** the subscriptions to the current VS Code panel's events (a replaced panel's are dropped) */
  private panelEvents: vscode.Disposable[] = [];
  private readonly disposeListeners: (() => void)[] = [];
  private closed = false;
  private current: vscode.WebviewPanel;
  /** set by the registry that made the panel: how to make another (custom editors' panels have none) */
  private factory: PanelFactory | undefined;
  private loadWhenShown = false;

  /**
   * @param panel a panel the registry created, or one VS Code gives (a custom editor's)
   */
  protected constructor(
    panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    readonly kind: PanelKind,
  ) {
    this.current = panel;
    this.channel = new WebviewChannel<H, W>({
      name: () => `${kind.viewType} '${this.closed ? '(closed)' : this.current.title}'`,
      html: () => webviewHtml(this.current.webview, extensionUri, kind.script, this.current.title, { styles: kind.styles, blobWorkers: kind.blobWorkers }),
      handlers: () => this.handlers(),
      log: log(),
      replaceFrame: () => this.replaceFrame(),
    });
    this.adopt(panel);
    this.channel.attach(panel.webview);
  }

  /** The VS Code panel showing this host now (a new one after replaceFrame). */
  get panel(): vscode.WebviewPanel {
    return this.current;
  }

  /** Called by the registry that created the panel. */
  setPanelFactory(factory: PanelFactory): void {
    this.factory = factory;
  }

  private adopt(panel: vscode.WebviewPanel): void {
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'model.svg');
    for (const d of this.panelEvents.splice(0)) d.dispose();
    this.panelEvents = [
      panel.onDidChangeViewState(() => {
        // a hidden page without retained context is discarded; it loads again (and says ready) when shown
        if (!panel.visible && !this.kind.retainContextWhenHidden) this.channel.pageGone();
        if (panel.visible && this.loadWhenShown) {
          // it was hidden before its frame ran (see replaceFrame). A panel that keeps its frame while
          // hidden (retainContextWhenHidden) shows that same stuck frame again, and a new HTML would
          // queue behind its wait: a new panel now. Otherwise VS Code makes a new frame for the shown
          // panel: a fresh page there, watched again.
          this.loadWhenShown = false;
          if (this.kind.retainContextWhenHidden && this.replacePanel()) log().info(`${this.kind.viewType} '${this.current.title}': shown again before its page ever ran; replaced the panel with a new one`);
          else this.channel.reload();
        }
      }),
      panel.onDidDispose(() => this.onClosed()),
    ];
  }

  /**
   * The panel's frame never ran our page (code-server serves every webview from one origin; each new
   * webview host frame registers its own service worker and waits for it to take control, and a frame
   * that misses that hand-over never creates its content frame — setting the HTML again only queues
   * behind the same wait). A new panel in the same column, with the same title, gets a new frame; the
   * channel sends it the page's state when it says ready. The old panel is closed without closing this
   * host. A panel hidden before its frame ran (another tab took its place) is not replaced now — a new
   * panel would cover the tab shown — but when it is shown again ('deferred'; see adopt).
   * Returns false for a panel VS Code made (a custom editor's).
   */
  private replaceFrame(): 'replaced' | 'deferred' | false {
    if (this.closed) return false;
    if (!this.current.visible) {
      this.loadWhenShown = true;
      return 'deferred';
    }
    return this.replacePanel() ? 'replaced' : false;
  }

  /** A new panel in the current one's column, with its title, in its place; false without a factory. */
  private replacePanel(): boolean {
    if (this.closed || !this.factory) return false;
    const old = this.current;
    const next = this.factory(old.viewColumn, !old.active);
    next.title = old.title;
    this.current = next;
    this.adopt(next); // drops the old panel's subscriptions: its disposal below does not close this host
    this.channel.attach(next.webview);
    old.dispose();
    return true;
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
    for (const d of this.panelEvents.splice(0)) d.dispose();
    for (const d of this.owned.splice(0)) d.dispose();
  }

  /** Closes the panel. */
  dispose(): void {
    this.current.dispose();
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
    const factory: PanelFactory = (viewColumn, preserveFocus) =>
      vscode.window.createWebviewPanel(
        this.kind.viewType,
        opts.title,
        { viewColumn: viewColumn ?? vscode.ViewColumn.Active, preserveFocus },
        { ...webviewOptions(extensionUri), retainContextWhenHidden: this.kind.retainContextWhenHidden ?? false },
      );
    const make = () => {
      const host = create(factory(opts.viewColumn as vscode.ViewColumn | undefined, opts.preserveFocus ?? false));
      host.setPanelFactory(factory);
      return host;
    };
    return this.registry.open(key, opts, make, retarget);
  }
}
