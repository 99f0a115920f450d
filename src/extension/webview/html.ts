/**
 * HTML shell for our webviews: strict CSP with a nonce, local resources only.
 *
 * The page's bundle and style sheets are written into the HTML (./assets.ts says why: a page must not
 * depend on the webview's resource loading, which can fail for a page created while another webview
 * is; only the codicon font is loaded, and without it only the icons are missing). A small boot script
 * (same nonce) runs first so that a page is never silently blank: until the page's script says `ready`
 * a "Loading…" line shows; when the script throws, or has not said `ready` after BOOT_SLOW_MS, the page
 * says so in an alert with a Reload button and reports it to the host (`webviewError`, logged there).
 * The boot script acquires the VS Code API once and leaves it to webview-ui/shared/vscodeApi.ts
 * (acquireVsCodeApi may be called only once per page).
 */
import { nodeCrypto } from '../../core/util/lazyNode';
import * as vscode from 'vscode';
import { readAsset, withSourceMap } from './assets';

/** How long a page may take to say ready before it says that it is still loading (and the log says so). */
export const BOOT_SLOW_MS = 10000;

export function nonce(): string {
  return nodeCrypto().randomBytes(18).toString('base64url');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The folder our webview bundles and assets are built into. */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)], retainContextWhenHidden: false };
}

export interface WebviewHtmlOptions {
  /** style sheets of dist/webview after webview.css (e.g. ['diff.css']), written into the page */
  styles?: readonly string[];
  /** the page starts Web Workers from Blob URLs of its own script's text (CSP `worker-src blob:`; the lineage layout) */
  blobWorkers?: boolean;
}

/** Styles of the shell's own elements (the loading line, the alert). */
const BOOT_CSS = `
#mv-status { margin: 20px 0; color: var(--vscode-descriptionForeground); }
#mv-alert { margin: 12px 0; padding: 8px 12px; border: 1px solid var(--vscode-inputValidation-errorBorder, #be1100);
  background: var(--vscode-inputValidation-errorBackground, rgba(190,17,0,.15)); color: var(--vscode-foreground); white-space: pre-wrap; }
#mv-alert[hidden] { display: none; }
#mv-alert button { margin-left: 8px; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 2px 10px; cursor: pointer; }
`;

/**
 * The boot script (runs before the page's module script, which is deferred). `__mvBoot` is what
 * webview-ui/shared/vscodeApi.ts calls: ready() when the module said ready, fail() for an error.
 */
function bootScript(script: string): string {
  return `(() => {
  const api = acquireVsCodeApi();
  api.postMessage({ type: 'booting' });
  const status = document.getElementById('mv-status');
  const alert = document.getElementById('mv-alert');
  let ready = false;
  const report = (phase, message) => { try { api.postMessage({ type: 'webviewError', phase, message }); } catch (e) { /* the host is gone */ } };
  const show = (text, withReload) => {
    alert.replaceChildren(document.createTextNode(text));
    if (withReload) {
      const b = document.createElement('button');
      b.textContent = 'Reload';
      b.addEventListener('click', () => api.postMessage({ type: 'reload' }));
      alert.append(b);
    }
    alert.hidden = false;
  };
  const fail = (phase, message) => {
    if (status) status.remove();
    show(message + ' Output › Model Versions has the details.', true);
    report(phase, message);
  };
  window.addEventListener('error', (e) => {
    if (/^ResizeObserver loop/.test(e.message || '')) return; // a benign browser notice, not an error of the page
    fail('script', 'This panel failed: ' + (e.error && e.error.stack ? e.error.stack : e.message));
  });
  window.addEventListener('unhandledrejection', (e) => fail('script', 'This panel failed: ' + (e.reason && e.reason.stack ? e.reason.stack : String(e.reason))));
  const slow = setTimeout(() => {
    if (ready) return;
    if (status) status.textContent = 'Still loading… (this panel\\'s script has not started after ${BOOT_SLOW_MS / 1000} s)';
    report('slow', ${JSON.stringify(`${script} has not said ready after ${BOOT_SLOW_MS / 1000} s`)});
  }, ${BOOT_SLOW_MS});
  globalThis.__mvBoot = {
    api,
    ready() { ready = true; clearTimeout(slow); if (status) status.remove(); },
    fail,
    showHostError(message) { show(message, false); },
  };
})();`;
}

/**
 * @param script bundle name in dist/webview (e.g. 'inspect.js')
 * @param title page title (escaped here)
 * @param options.styles extra style sheets of dist/webview
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, title: string, options: WebviewHtmlOptions = {}): string {
  const n = nonce();
  const root = webviewRoot(extensionUri);
  const src = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
  const csp = [
    `default-src 'none'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    `style-src ${webview.cspSource} 'nonce-${n}'`,
    `script-src 'nonce-${n}'`,
    ...(options.blobWorkers ? ['worker-src blob:'] : []),
  ].join('; ');
  const dir = root.fsPath;
  const styles = ['webview.css', ...(options.styles ?? [])].map((f) => `/* ${f} */\n${readAsset(dir, f, 'style')}`);
  const code = withSourceMap(readAsset(dir, script, 'script'), src(`${script}.map`));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(src('codicon.css'))}" id="vscode-codicon-stylesheet">
<style nonce="${n}">${BOOT_CSS}
${styles.join('\n')}</style>
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="mv-alert" role="alert" hidden></div>
<div id="mv-status" role="status">Loading…</div>
<main id="app" aria-live="polite"></main>
<script nonce="${n}">${bootScript(script)}</script>
<script type="module" nonce="${n}" id="mv-main" data-bundle="${escapeHtml(script)}">${code}</script>
</body>
</html>`;
}
