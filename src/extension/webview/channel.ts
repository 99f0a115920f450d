/**
 * The host side of one webview page's messages: the ready handshake, the page's state, typed
 * request handlers, errors. No `vscode` import at run time (unit tests drive it with a fake webview).
 *
 * The contract (src/shared/webviewProtocol.ts, webview-ui/shared/vscodeApi.ts):
 * - a page can take messages only once its script runs and listens; it then says `ready`. Until then
 *   nothing is posted to it: VS Code drops a message that reaches a page before its listener, or a
 *   hidden page without retained context (postMessage resolves false);
 * - every message posted with `post(m, slot)` is the page's *state* in that slot (the last one wins);
 *   on every `ready` — the first page, a page reloaded, a page shown again after it was hidden — the
 *   whole state is sent, slot by slot in the order the slots were first used, then the queue of
 *   one-off messages (`send`). So a view model computed before the page was ready is never lost, and a
 *   page that loads again shows what the last one showed;
 * - a message the page sends is a request: the handler for its type runs; what the handler returns
 *   (a host message) is sent back as the reply. A handler that throws is logged and its error shown in
 *   the page (a `hostError` banner) — never swallowed;
 * - `webviewError` (the page's script threw, or did not start) is logged; `reload`
 *   (the user asked for a fresh page after such an error) sets the HTML again.
 */
import type { HostEnvelopeMessage, WebviewEnvelopeMessage } from '../../shared/webviewProtocol';

export interface DisposableLike {
  dispose(): unknown;
}

/** The part of vscode.Webview the channel uses. */
export interface WebviewLike {
  html: string;
  postMessage(message: unknown): Thenable<boolean>;
  onDidReceiveMessage(listener: (message: unknown) => unknown): DisposableLike;
}

/** Where the channel logs (the extension's output channel; an array in tests). */
export interface ChannelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type Message = { type: string };

type EnvelopeType = WebviewEnvelopeMessage['type'];

/**
 * One handler per message type the page sends (besides the envelope's ready/webviewError/reload),
 * checked by the compiler. A handler may return a host message: the reply, sent back to the page.
 */
export type RequestHandlers<W extends Message, H extends Message> = {
  [K in Exclude<W['type'], EnvelopeType>]: (message: Extract<W, { type: K }>) => H | void | Promise<H | void>;
};

export interface ChannelOptions<H extends Message, W extends Message> {
  /** names the page in the log ("modelVersions.diff 'hello.onnx v1 ↔ v2'"); read when a line is logged */
  name: string | (() => string);
  /** the page's HTML (called for every page: a fresh nonce each time) */
  html: () => string;
  /** read when a request comes in (so a class can build them from its fields) */
  handlers: () => RequestHandlers<W, H>;
  log: ChannelLog;
  /**
   * A page whose frame runs no script at all within this time (not even the boot script's `booting`)
   * never loaded: its HTML is set again, at most FRAME_RELOADS times, each logged, the wait doubling
   * each time (5, 10, 20 s, then it gives up after 40 s more: Chromium can refuse a scope's service worker
   * registrations for tens of seconds after one failed). Default FRAME_LOAD_MS. (code-server serves every webview from one origin with one service worker, which
   * each new webview registers again; a frame created during that hand-over gets no content.)
   */
  frameLoadMs?: number;
  /**
   * Called instead of setting the HTML again when a frame ran no script within frameLoadMs: the
   * owner replaces the webview with a new one (a new frame) and attaches it ('replaced'), or, when the
   * webview is hidden (no frame runs for it now), reloads the page when it is shown again ('deferred');
   * returns false when it cannot (a view, a custom editor's panel), and the HTML is set again. A frame
   * whose webview host never finished its service worker hand-over waits for good: setting its HTML
   * again only queues the page behind that wait, while a new frame registers afresh.
   */
  replaceFrame?: () => 'replaced' | 'deferred' | false;
}

export const FRAME_LOAD_MS = 5000;
export const FRAME_RELOADS = 3;

/** The slot of a message that stands for the whole view (loading, the view model, an error). */
export const VIEW_SLOT = 'view';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class WebviewChannel<H extends Message, W extends Message> implements DisposableLike {
  private webview: WebviewLike | undefined;
  private subscription: DisposableLike | undefined;
  private ready = false;
  /** counts the pages that said ready (a late answer about an older page is ignored) */
  private page = 0;
  private readonly state = new Map<string, H>();
  private queue: (H | HostEnvelopeMessage)[] = [];
  private readyWaiters: (() => void)[] = [];
  private frameTimer: ReturnType<typeof setTimeout> | undefined;
  private frameReloads = 0;

  constructor(private readonly options: ChannelOptions<H, W>) {}

  /** Sets the page's HTML and watches that its frame starts (see ChannelOptions.frameLoadMs). */
  private load(webview: WebviewLike): void {
    this.ready = false;
    webview.html = this.options.html();
    this.watchFrame();
  }

  private watchFrame(): void {
    this.stopFrameWatch();
    // the wait doubles with each new frame or page (a wedge that outlasts one wait often ends in the next)
    const ms = (this.options.frameLoadMs ?? FRAME_LOAD_MS) * 2 ** this.frameReloads;
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      const webview = this.webview;
      if (!webview) return;
      if (this.frameReloads >= FRAME_RELOADS) {
        this.options.log.error(`${this.name}: the page's frame ran no script within ${ms / 1000} s, the ${FRAME_RELOADS + 1}th time; giving up (close and reopen the panel)`);
        return;
      }
      const reloads = this.frameReloads + 1;
      const name = this.name; // the old panel's (a replacement is given its title)
      const replaced = this.options.replaceFrame?.();
      if (replaced === 'deferred') {
        this.options.log.info(`${name}: the page's frame ran no script within ${ms / 1000} s while its panel is hidden; it loads when the panel is shown again`);
        return;
      }
      this.frameReloads = reloads; // (after a replacement too: attach() of the new webview started the count again)
      if (replaced === 'replaced') {
        this.options.log.warn(`${name}: the page's frame ran no script within ${ms / 1000} s (the webview never loaded it); replaced the panel with a new one (${reloads} of ${FRAME_RELOADS})`);
        this.watchFrame(); // the new frame's watch, with the longer wait (attach() started it with the first)
        return;
      }
      this.options.log.warn(`${this.name}: the page's frame ran no script within ${ms / 1000} s (the webview never loaded it); setting its HTML again (${reloads} of ${FRAME_RELOADS})`);
      this.load(webview);
    }, ms);
    (this.frameTimer as { unref?: () => void }).unref?.();
  }

  private stopFrameWatch(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private get name(): string {
    const n = this.options.name;
    return typeof n === 'function' ? n() : n;
  }

  /** Loads a new page into `webview` (a panel's, or a view's each time VS Code resolves it). */
  attach(webview: WebviewLike): void {
    this.subscription?.dispose();
    this.webview = webview;
    this.ready = false;
    this.subscription = webview.onDidReceiveMessage((m) => this.receive(m));
    this.frameReloads = 0;
    this.load(webview);
  }

  /** The webview is gone (disposed): nothing is posted until a new one is attached. */
  detach(): void {
    this.stopFrameWatch();
    this.subscription?.dispose();
    this.subscription = undefined;
    this.webview = undefined;
    this.ready = false;
  }

  /**
   * The page was discarded (a view or panel hidden without retained context): messages wait for
   * the next page, which gets the state when it says ready.
   */
  pageGone(): void {
    this.ready = false;
  }

  /** Whether a page has said ready and can take messages now. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Resolves when a page says ready (now, if one has). */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Makes `m` the page's state in `slot` and sends it now if the page is ready (else on ready). */
  post(m: H, slot = VIEW_SLOT): void {
    this.state.set(slot, m);
    if (this.ready) this.deliver(m, false);
  }

  /** Forgets the state of `slot` (a later page will not get it). */
  clear(slot: string): void {
    this.state.delete(slot);
  }

  /** The page's state, in the order it is sent to a new page. */
  snapshot(): H[] {
    return [...this.state.values()];
  }

  /** A one-off message (not state): sent now if the page is ready, else queued until it is. */
  send(m: H): void {
    this.sendAny(m);
  }

  private sendAny(m: H | HostEnvelopeMessage): void {
    if (this.ready) this.deliver(m, true);
    else this.queue.push(m);
  }

  /** Sets the HTML again: a fresh page, which gets the state when it says ready. */
  reload(): void {
    if (!this.webview) return;
    this.frameReloads = 0;
    this.load(this.webview);
  }

  private deliver(m: H | HostEnvelopeMessage, oneOff: boolean): void {
    const webview = this.webview;
    if (!webview) return;
    const page = this.page;
    const lost = (why: string) => {
      if (page !== this.page) return; // a newer page has said ready since: it got the state
      if (this.ready) this.options.log.info(`${this.name}: the page did not take '${m.type}' (${why}); it gets the state when it says ready again`);
      this.ready = false;
      if (oneOff) this.queue.push(m);
    };
    let result: Thenable<boolean>;
    try {
      result = webview.postMessage(m);
    } catch (e) {
      this.options.log.error(`${this.name}: cannot post '${m.type}': ${errorText(e)}`);
      lost(errorText(e));
      return;
    }
    result.then(
      (ok) => {
        if (!ok) lost('the page is not there');
      },
      (e: unknown) => {
        this.options.log.error(`${this.name}: cannot post '${m.type}': ${errorText(e)}`);
        lost(errorText(e));
      },
    );
  }

  private async receive(raw: unknown): Promise<void> {
    const { name } = this;
    const { log } = this.options;
    if (!raw || typeof raw !== 'object' || typeof (raw as Message).type !== 'string') {
      log.warn(`${name}: ignored a message without a type from the page`);
      return;
    }
    const m = raw as W | WebviewEnvelopeMessage;
    this.stopFrameWatch(); // the frame runs: any message says so
    switch (m.type) {
      case 'booting':
        return;
      case 'ready': {
        this.page++;
        this.ready = true;
        for (const s of this.state.values()) this.deliver(s, false);
        const queued = this.queue;
        this.queue = [];
        for (const q of queued) this.deliver(q, true);
        for (const r of this.readyWaiters.splice(0)) r();
        return;
      }
      case 'webviewError': {
        const e = m as Extract<WebviewEnvelopeMessage, { type: 'webviewError' }>;
        const line = `${name}: the page reports (${e.phase}): ${e.message}`;
        if (e.phase === 'slow') log.warn(line);
        else log.error(line);
        return;
      }
      case 'reload':
        log.info(`${name}: reloading the page (asked by the page)`);
        this.reload();
        return;
    }
    const handler = (this.options.handlers() as unknown as Record<string, ((x: W) => H | void | Promise<H | void>) | undefined>)[m.type];
    if (!handler) {
      log.warn(`${name}: no handler for '${m.type}' from the page`);
      return;
    }
    try {
      const reply = await handler(m as W);
      if (reply) this.sendAny(reply);
    } catch (e) {
      log.error(`${name}: '${m.type}' failed: ${e instanceof Error && e.stack ? e.stack : errorText(e)}`);
      this.sendAny({ type: 'hostError', message: errorText(e) });
    }
  }

  dispose(): void {
    this.detach();
    this.readyWaiters = [];
  }
}
