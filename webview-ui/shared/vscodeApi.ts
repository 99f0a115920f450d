/** The webview side of the typed message contract (src/shared/webviewProtocol.ts). */
interface VsCodeApi<Out> {
  postMessage(message: Out): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi<Out>(): VsCodeApi<Out>;

export function connect<In, Out>(onMessage: (m: In) => void): (m: Out) => void {
  const api = acquireVsCodeApi<Out>();
  window.addEventListener('message', (e: MessageEvent<In>) => onMessage(e.data));
  return (m: Out) => api.postMessage(m);
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
