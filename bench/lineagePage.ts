/**
 * The Lineage panel's page alone in Chromium (playwright-core, as the UI tests drive it), for timing
 * what the user waits for without VS Code around it: the page's real HTML (src/extension/webview/html.ts:
 * the CSP, the boot script, the inline bundle and style sheets of dist/webview), served from 127.0.0.1,
 * with a stand-in for the webview API (acquireVsCodeApi) that records what the page posts. The host's
 * side is played here: when the page says ready it is sent the graph.
 *
 * One open: the time from sending the graph to the first drawn frame (the page's data-first-paint-ms,
 * plus the message's way to it), to the end of the layout, and the longest main-thread task meanwhile
 * (PerformanceObserver 'longtask', from before the page's script ran).
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type * as CodeServerLib from '../scripts/lib/codeServer';
import type { LineageViewModel } from '../src/shared/lineageProtocol';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cs: typeof CodeServerLib = require(path.join(ROOT, 'scripts', 'lib', 'codeServer.js'));

interface FakeUri {
  fsPath: string;
  toString(): string;
}

/**
 * The panel's HTML from html.ts, which imports `vscode` for Uri.joinPath and the Webview type only:
 * loaded here with a `vscode` module that has just that (in this bench process, nowhere else).
 */
function lineageHtml(origin: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as { _resolveFilename(r: string, ...rest: unknown[]): string };
  const resolve = Module._resolveFilename;
  const uri = (p: string): FakeUri => ({ fsPath: p, toString: () => `${origin}/${path.relative(ROOT, p).split(path.sep).join('/')}` });
  Module._resolveFilename = function (r: string, ...rest: unknown[]) {
    return r === 'vscode' ? 'vscode' : resolve.call(this, r, ...rest);
  };
  require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: { Uri: { joinPath: (base: FakeUri, ...parts: string[]) => uri(path.join(base.fsPath, ...parts)) } } } as unknown as NodeJS.Module;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { webviewHtml } = require('../src/extension/webview/html') as typeof import('../src/extension/webview/html');
    const webview = { cspSource: origin, asWebviewUri: (u: FakeUri) => u };
    return webviewHtml(webview as never, uri(ROOT) as never, 'lineage.js', 'Lineage · bench', { styles: ['lineage.css'], blobWorkers: true });
  } finally {
    Module._resolveFilename = resolve;
    delete require.cache.vscode;
  }
}

export interface PageRun {
  /** from sending the graph to the first frame that shows it (ms) */
  firstPaintMs: number;
  /** the same from the graph's arrival in the page (the message's way left out: the page's data-first-paint-ms) */
  firstPaintInPageMs: number;
  /** from sending the graph to the end of the layout (the page's data-laid-out-after-ms, plus the message's way) */
  laidOutMs: number;
  /** the longest main-thread task from sending the graph to the end of the layout (0 when none reached 50 ms) */
  longestTaskMs: number;
  /** where dagre ran */
  where: string;
  nodes: number;
}

export interface LineagePage {
  /** Opens the page afresh and sends it `model`; `worker: false` takes Worker away first (the main-thread layout). */
  open(model: LineageViewModel, worker: boolean): Promise<PageRun>;
  close(): Promise<void>;
}

export async function lineagePage(): Promise<LineagePage> {
  const dist = path.join(ROOT, 'dist', 'webview');
  if (!fs.existsSync(path.join(dist, 'lineage.js'))) throw new Error(`${dist}/lineage.js does not exist: run \`npm run build\` first.`);
  let html = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/' || url.pathname === '/lineage.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const file = path.join(ROOT, decodeURIComponent(url.pathname));
    if (!file.startsWith(dist + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : file.endsWith('.ttf') ? 'font/ttf' : 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  html = lineageHtml(origin);
  const browser = await cs.launchChromium({ viewport: { width: 1600, height: 1000 } });

  return {
    async open(model, worker) {
      const page = await browser.context.newPage(); // a fresh page: init scripts stay with their page
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        return await run(page, errors, model, worker);
      } finally {
        await page.close();
      }
    },
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };

  async function run(page: import('playwright-core').Page, errors: string[], model: LineageViewModel, worker: boolean): Promise<PageRun> {
    await page.addInitScript((withWorker: boolean) => {
      const w = window as unknown as Record<string, unknown>;
      w.__posted = [] as unknown[];
      w.__tasks = [] as { start: number; duration: number }[];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) (w.__tasks as { start: number; duration: number }[]).push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      window.addEventListener('message', (e) => {
        if ((e.data as { type?: string })?.type === 'graph') w.__graphArrived = performance.now();
      }, true);
      w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => (w.__posted as unknown[]).push(m), getState: () => undefined, setState: () => undefined });
      if (!withWorker) delete w.Worker;
    }, worker);
    await page.goto(`${origin}/lineage.html`);
    await page.waitForFunction(() => ((window as unknown as { __posted: { type: string }[] }).__posted ?? []).some((m) => m.type === 'ready'), undefined, { timeout: 60000 });
    await page.evaluate((m) => {
      (window as unknown as { __sent: number }).__sent = performance.now();
      window.postMessage({ type: 'graph', model: m }, '*');
    }, model);
    await page.waitForFunction(() => document.getElementById('graph')?.dataset.layoutMs !== undefined, undefined, { timeout: 180000, polling: 100 });
    await page.waitForFunction(() => document.getElementById('graph')?.dataset.firstPaintMs !== undefined, undefined, { timeout: 30000, polling: 100 });
    if (errors.length) throw new Error(`the page failed: ${errors.join('\n')}`);
    return page.evaluate(() => {
      const w = window as unknown as { __sent: number; __graphArrived: number; __tasks: { start: number; duration: number }[] };
      const g = document.getElementById('graph')!;
      const way = w.__graphArrived - w.__sent;
      const laidOutMs = way + Number(g.dataset.laidOutAfterMs);
      const end = w.__sent + laidOutMs;
      const tasks = w.__tasks.filter((t) => t.start + t.duration >= w.__sent && t.start <= end);
      return {
        firstPaintMs: way + Number(g.dataset.firstPaintMs),
        firstPaintInPageMs: Number(g.dataset.firstPaintMs),
        laidOutMs,
        longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)),
        where: g.dataset.layoutWhere ?? '',
        nodes: Number(g.dataset.nodes),
      };
    });
  }
}
