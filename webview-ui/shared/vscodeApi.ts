/**
 * The webview side of the typed message contract (src/shared/webviewProtocol.ts). `connect` listens
 * for the host's messages; the page says `{ type: 'ready' }` through the returned post function once
 * it listens, and the host answers with the page's state (again after every reload). A render that
 * throws is shown in the page (the shell's alert, see src/extension/webview/html.ts) and reported to
 * the host, which logs it; a `hostError` from the host is shown the same way.
 */
import type { HostEnvelopeMessage, WebviewEnvelopeMessage } from '../../src/shared/webviewProtocol';

interface VsCodeApi<Out> {
  postMessage(message: Out): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi<Out>(): VsCodeApi<Out>;

/** What the shell's boot script leaves for the page (absent in a page without that shell). */
interface Boot {
  api: VsCodeApi<unknown>;
  ready(): void;
  fail(phase: 'render' | 'script', message: string): void;
  showHostError(message: string): void;
}
declare global {
  var __mvBoot: Boot | undefined;
}

export function connect<In, Out>(onMessage: (m: In) => void): (m: Out) => void {
  const boot = globalThis.__mvBoot;
  const api = (boot?.api ?? acquireVsCodeApi<Out>()) as VsCodeApi<Out | WebviewEnvelopeMessage>;
  window.addEventListener('message', (e: MessageEvent<In | HostEnvelopeMessage>) => {
    const m = e.data;
    if ((m as HostEnvelopeMessage)?.type === 'hostError') {
      boot?.showHostError((m as HostEnvelopeMessage).message);
      return;
    }
    try {
      onMessage(m as In);
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(err);
      if (boot) boot.fail('render', `This panel could not show '${(m as { type?: string })?.type}': ${text}`);
      else api.postMessage({ type: 'webviewError', phase: 'render', message: text });
    }
  });
  return (m: Out) => {
    api.postMessage(m);
    if ((m as { type?: string })?.type === 'ready') boot?.ready();
  };
}

/** Create an element; children that are strings become text nodes (never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> | null,
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs: Record<string, string> | null, ...children: (Node | string | null | undefined | false)[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string> | null, ...children: (Node | string | null | undefined | false)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}
