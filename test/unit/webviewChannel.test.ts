/**
 * The webview handshake (src/extension/webview/channel.ts) with a fake webview: nothing is posted
 * before the page says ready; the state is sent to every page that says ready (the first, a reloaded
 * one, one shown again after it was hidden); one-off messages wait in a queue; a message VS Code did
 * not deliver makes the channel wait for the next ready; requests run typed handlers whose errors are
 * logged and shown in the page.
 */
import * as assert from 'assert';
import { WebviewChannel, type ChannelLog, type WebviewLike } from '../../src/extension/webview/channel';

type Host = { type: 'loading'; title: string } | { type: 'model'; n: number } | { type: 'selected'; id: string } | { type: 'toast'; text: string };
type Page = { type: 'ready' } | { type: 'refresh' } | { type: 'copy'; text: string } | { type: 'boom' };

class FakeWebview implements WebviewLike {
  html = '';
  htmlSets = 0;
  readonly posted: unknown[] = [];
  /** what postMessage resolves with (false: VS Code dropped it) */
  accept = true;
  private listener: ((m: unknown) => unknown) | undefined;
  private readonly pendingResults: (() => void)[] = [];
  /** hold postMessage's answers until release() (to order a late answer after a new ready) */
  hold = false;

  postMessage(message: unknown): Thenable<boolean> {
    const ok = this.accept;
    if (ok) this.posted.push(message);
    if (!this.hold) return Promise.resolve(ok);
    return new Promise((resolve) => this.pendingResults.push(() => resolve(ok)));
  }

  release(): void {
    for (const r of this.pendingResults.splice(0)) r();
  }

  onDidReceiveMessage(listener: (m: unknown) => unknown) {
    this.listener = listener;
    return { dispose: () => (this.listener = undefined) };
  }

  /** the page sends a message; resolves when the channel has handled it */
  async fromPage(m: unknown): Promise<void> {
    await this.listener?.(m);
    await flush();
  }

  get listening(): boolean {
    return !!this.listener;
  }

  types(): string[] {
    return this.posted.map((m) => (m as { type: string }).type);
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(opts: { handlers?: Partial<Record<'refresh' | 'copy' | 'boom', (m: never) => unknown>>; frameLoadMs?: number; replaceFrame?: () => 'replaced' | 'deferred' | false } = {}) {
  const lines: string[] = [];
  const log: ChannelLog = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
  let pages = 0;
  const calls: string[] = [];
  const channel = new WebviewChannel<Host, Page>({
    name: 'test panel',
    html: () => `<html>page ${++pages}</html>`,
    handlers: () => ({
      refresh: () => {
        calls.push('refresh');
      },
      copy: (m) => {
        calls.push(`copy ${m.text}`);
        return { type: 'toast', text: `copied ${m.text}` };
      },
      boom: async () => {
        throw new Error('the disk is full');
      },
      ...(opts.handlers as object),
    }),
    log,
    ...(opts.frameLoadMs !== undefined ? { frameLoadMs: opts.frameLoadMs } : {}),
    ...(opts.replaceFrame ? { replaceFrame: opts.replaceFrame } : {}),
  });
  const webview = new FakeWebview();
  channel.attach(webview);
  return { channel, webview, lines, calls };
}

describe('webview channel: ready handshake, state, requests', () => {
  it('sets the HTML and listens when attached; posts nothing before the page says ready', async () => {
    const { channel, webview } = setup();
    assert.strictEqual(webview.html, '<html>page 1</html>');
    assert.ok(webview.listening);
    channel.post({ type: 'loading', title: 'T' });
    channel.send({ type: 'toast', text: 'hi' });
    await flush();
    assert.deepStrictEqual(webview.posted, [], 'nothing may reach a page that is not listening yet');
    assert.strictEqual(channel.isReady, false);
  });

  it('a view model computed before ready is sent on ready (the last state only, then the queued one-offs)', async () => {
    const { channel, webview } = setup();
    channel.post({ type: 'loading', title: 'T' });
    channel.post({ type: 'model', n: 1 }); // computed before the page said ready
    channel.send({ type: 'toast', text: 'queued' });
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 1 }, { type: 'toast', text: 'queued' }]);
    channel.post({ type: 'model', n: 2 });
    await flush();
    assert.deepStrictEqual(webview.posted.at(-1), { type: 'model', n: 2 }, 'after ready, messages go at once');
  });

  it('every page that says ready again (reloaded, shown again) gets the whole state, slot by slot; one-offs are not resent', async () => {
    const { channel, webview } = setup();
    channel.post({ type: 'loading', title: 'T' });
    await webview.fromPage({ type: 'ready' });
    channel.post({ type: 'model', n: 3 });
    channel.post({ type: 'selected', id: 'abc' }, 'selected');
    channel.send({ type: 'toast', text: 'once' });
    await flush();
    webview.posted.length = 0;
    await webview.fromPage({ type: 'ready' }); // the page loaded again: it is empty
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 3 }, { type: 'selected', id: 'abc' }]);
    assert.deepStrictEqual(channel.snapshot(), [{ type: 'model', n: 3 }, { type: 'selected', id: 'abc' }]);
    channel.clear('selected');
    webview.posted.length = 0;
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 3 }]);
  });

  it('a message VS Code did not deliver (postMessage → false) makes it wait for the next ready; a one-off is queued again', async () => {
    const { channel, webview, lines } = setup();
    await webview.fromPage({ type: 'ready' });
    webview.accept = false; // the page is gone (hidden without retained context)
    channel.post({ type: 'model', n: 4 });
    channel.send({ type: 'toast', text: 'lost?' });
    await flush();
    assert.strictEqual(channel.isReady, false);
    assert.ok(lines.some((l) => /did not take 'model'/.test(l)), lines.join('\n'));
    webview.accept = true;
    channel.post({ type: 'model', n: 5 }); // not sent: waits for the page
    await flush();
    assert.deepStrictEqual(webview.posted, []);
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 5 }, { type: 'toast', text: 'lost?' }]);
  });

  it('a late "not delivered" about an older page does not stop a newer page that has said ready', async () => {
    const { channel, webview } = setup();
    await webview.fromPage({ type: 'ready' });
    webview.hold = true;
    webview.accept = false;
    channel.post({ type: 'model', n: 6 }); // its answer comes after the next ready
    webview.accept = true;
    await webview.fromPage({ type: 'ready' }); // a new page
    webview.release();
    await flush();
    assert.strictEqual(channel.isReady, true, 'the new page is ready; the old answer is ignored');
  });

  it('pageGone (hidden without retained context): messages wait for the page to load again', async () => {
    const { channel, webview } = setup();
    await webview.fromPage({ type: 'ready' });
    channel.pageGone();
    channel.post({ type: 'model', n: 7 });
    await flush();
    assert.deepStrictEqual(webview.posted, []);
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 7 }]);
  });

  it('requests run their typed handler; a returned host message is the reply', async () => {
    const { webview, calls } = setup();
    await webview.fromPage({ type: 'ready' });
    await webview.fromPage({ type: 'refresh' });
    await webview.fromPage({ type: 'copy', text: 'x' });
    assert.deepStrictEqual(calls, ['refresh', 'copy x']);
    assert.deepStrictEqual(webview.posted, [{ type: 'toast', text: 'copied x' }]);
  });

  it('a handler that throws is logged and shown in the page (hostError), never swallowed', async () => {
    const { webview, lines } = setup();
    await webview.fromPage({ type: 'boom' }); // before ready: the error waits for the page
    assert.ok(lines.some((l) => l.startsWith("error test panel: 'boom' failed") && l.includes('the disk is full')), lines.join('\n'));
    assert.deepStrictEqual(webview.posted, []);
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'hostError', message: 'the disk is full' }]);
  });

  it('logs what the page reports, warns about unknown or untyped messages, and reloads on request', async () => {
    const { channel, webview, lines } = setup();
    await webview.fromPage({ type: 'ready' });
    await webview.fromPage({ type: 'webviewError', phase: 'script', message: 'This panel failed: TypeError: x is undefined' });
    await webview.fromPage({ type: 'webviewError', phase: 'slow', message: 'x.js has not said ready after 10 s' });
    await webview.fromPage({ type: 'nonsense' });
    await webview.fromPage('not an object');
    assert.ok(lines.includes('error test panel: the page reports (script): This panel failed: TypeError: x is undefined'), lines.join('\n'));
    assert.ok(lines.includes('warn test panel: the page reports (slow): x.js has not said ready after 10 s'), lines.join('\n'));
    assert.ok(lines.includes("warn test panel: no handler for 'nonsense' from the page"), lines.join('\n'));
    assert.ok(lines.includes('warn test panel: ignored a message without a type from the page'), lines.join('\n'));
    channel.post({ type: 'model', n: 8 });
    await flush();
    webview.posted.length = 0;
    await webview.fromPage({ type: 'reload' });
    assert.strictEqual(webview.html, '<html>page 2</html>', 'a fresh page (a new nonce)');
    assert.strictEqual(channel.isReady, false);
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 8 }]);
  });

  it('whenReady resolves on ready; detach stops posting; attach to a new webview loads a new page', async () => {
    const { channel, webview } = setup();
    let ready = false;
    void channel.whenReady().then(() => (ready = true));
    await flush();
    assert.strictEqual(ready, false);
    await webview.fromPage({ type: 'ready' });
    assert.strictEqual(ready, true);
    channel.detach();
    assert.ok(!webview.listening);
    channel.post({ type: 'model', n: 9 });
    await flush();
    assert.deepStrictEqual(webview.posted, []);
    const next = new FakeWebview();
    channel.attach(next);
    assert.strictEqual(next.html, '<html>page 2</html>');
    await next.fromPage({ type: 'ready' });
    assert.deepStrictEqual(next.posted, [{ type: 'model', n: 9 }]);
  });

  it('a page whose frame runs no script (no booting, no ready) gets its HTML again, at most three times, each logged, each wait twice the last', async () => {
    const { channel, webview, lines } = setup({ frameLoadMs: 40 });
    channel.post({ type: 'model', n: 1 });
    await new Promise((r) => setTimeout(r, 900));
    assert.strictEqual(webview.html, '<html>page 4</html>', 'the first page and three more');
    assert.deepStrictEqual(lines.map((l) => l.replace(/ \(the webview.*|, the 4th.*/, '')), [
      "warn test panel: the page's frame ran no script within 0.04 s",
      "warn test panel: the page's frame ran no script within 0.08 s",
      "warn test panel: the page's frame ran no script within 0.16 s",
      "error test panel: the page's frame ran no script within 0.32 s",
    ]);
    // the third page loads: it gets the state
    await webview.fromPage({ type: 'booting' });
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 1 }]);
    channel.dispose();
  });

  it('a frame that runs no script is replaced by a new webview when the owner can (a panel); the new page gets the state', async () => {
    const frames: FakeWebview[] = [];
    const ref: { channel?: WebviewChannel<Host, Page> } = {};
    const { channel, webview, lines } = setup({
      frameLoadMs: 40,
      replaceFrame: () => {
        const next = new FakeWebview();
        frames.push(next);
        ref.channel!.attach(next);
        return 'replaced' as const;
      },
    });
    ref.channel = channel;
    channel.post({ type: 'model', n: 1 });
    await new Promise((r) => setTimeout(r, 900));
    assert.strictEqual(frames.length, 3, 'three new frames, then it gives up');
    assert.strictEqual(webview.html, '<html>page 1</html>', 'the stuck frame is not given its HTML again');
    assert.deepStrictEqual(lines.map((l) => l.replace(/ within [^;]*;/, ';')), [
      "warn test panel: the page's frame ran no script; replaced the panel with a new one (1 of 3)",
      "warn test panel: the page's frame ran no script; replaced the panel with a new one (2 of 3)",
      "warn test panel: the page's frame ran no script; replaced the panel with a new one (3 of 3)",
      "error test panel: the page's frame ran no script; giving up (close and reopen the panel)",
    ]);
    // the waits doubled: 40, 80, 160 ms, then 320 before giving up
    assert.deepStrictEqual(lines.map((l) => / within ([\d.]+) s/.exec(l)?.[1]), ['0.04', '0.08', '0.16', '0.32']);
    // the last frame loads: it gets the state; the stuck ones get nothing
    await frames[2].fromPage({ type: 'booting' });
    await frames[2].fromPage({ type: 'ready' });
    assert.deepStrictEqual(frames[2].posted, [{ type: 'model', n: 1 }]);
    assert.deepStrictEqual(webview.posted, []);
    assert.deepStrictEqual(frames[0].posted, []);
    assert.deepStrictEqual(frames[1].posted, []);
    channel.dispose();
  });

  it('when the owner cannot replace the webview (a view, a custom editor), the HTML is set again', async () => {
    let asked = 0;
    const { channel, webview } = setup({ frameLoadMs: 40, replaceFrame: () => (asked++, false as const) });
    await new Promise((r) => setTimeout(r, 900));
    assert.strictEqual(asked, 3);
    assert.strictEqual(webview.html, '<html>page 4</html>');
    channel.dispose();
  });

  it('a hidden panel whose frame ran no script is left alone (deferred, logged as such) until it is shown and reloaded', async () => {
    let asked = 0;
    const { channel, webview, lines } = setup({ frameLoadMs: 40, replaceFrame: () => (asked++, 'deferred' as const) });
    channel.post({ type: 'model', n: 1 });
    await new Promise((r) => setTimeout(r, 200));
    assert.strictEqual(asked, 1, 'asked once; no watch after a deferral');
    assert.strictEqual(webview.html, '<html>page 1</html>', 'the HTML is not set again');
    assert.deepStrictEqual(lines.map((l) => l.replace(/ within [\d.]+ s/, '')), [
      "info test panel: the page's frame ran no script while its panel is hidden; it loads when the panel is shown again",
    ]);
    // shown again: the owner reloads; the new page gets the state
    channel.reload();
    assert.strictEqual(webview.html, '<html>page 2</html>');
    await webview.fromPage({ type: 'booting' });
    await webview.fromPage({ type: 'ready' });
    assert.deepStrictEqual(webview.posted, [{ type: 'model', n: 1 }]);
    channel.dispose();
  });

  it("a page whose boot script says 'booting' is left to load, however long its script takes to say ready", async () => {
    const { channel, webview, lines } = setup({ frameLoadMs: 40 });
    await webview.fromPage({ type: 'booting' });
    await new Promise((r) => setTimeout(r, 150));
    assert.strictEqual(webview.html, '<html>page 1</html>');
    assert.deepStrictEqual(lines, []);
    channel.dispose();
  });
});
