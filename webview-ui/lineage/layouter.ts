/**
 * Runs the lineage layout (./dagreRun.ts) in a Web Worker, off the page's main thread (issue #12):
 * the worker's script is bundled on its own and shipped inside this page's script as text (esbuild.js);
 * it starts from a Blob URL, which the page's CSP allows (`worker-src blob:`, src/extension/webview/html.ts).
 * One layout at a time: a new one cancels the one running (its worker is terminated, its promise
 * rejects with Superseded). Where no worker can be started, layouts run on the main thread, as before,
 * and the result says so (the host logs it).
 */
import { dagrePositions, type LayoutGraph, type LayoutReply, type LayoutRequest } from './dagreRun';
import type { RankDir } from './layout';
import layoutWorkerSource from './layoutWorker?worker-source';

/** A layout that a newer one replaced (or that was cancelled): nothing to show. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer layout');
  }
}

export interface Laid {
  /** per direction asked: x, y of node i at [2i], [2i + 1] */
  positions: Partial<Record<RankDir, Float64Array>>;
  /** dagre's time, where it ran */
  ms: number;
  where: 'worker' | 'main thread';
  /** why it ran on the main thread */
  problem?: string;
}

interface Pending {
  seq: number;
  graph: LayoutGraph;
  dirs: RankDir[];
  resolve(l: Laid): void;
  reject(e: Error): void;
}

export class Layouter {
  private url: string | undefined;
  private worker: Worker | undefined;
  private seq = 0;
  private pending: Pending | undefined;
  /** why workers cannot be used here (then every layout runs on the main thread) */
  private problem: string | undefined;

  /** Lays `graph` out in each of `dirs`, in the worker; cancels the layout still running. */
  run(graph: LayoutGraph, dirs: RankDir[]): Promise<Laid> {
    this.cancel();
    const seq = ++this.seq;
    return new Promise<Laid>((resolve, reject) => {
      const worker = this.start();
      if (!worker) {
        resolve(this.here(graph, dirs));
        return;
      }
      this.pending = { seq, graph, dirs, resolve, reject };
      const request: LayoutRequest = { seq, graph, dirs };
      worker.postMessage(request);
    });
  }

  /** Stops the layout that is running, if any (its promise rejects with Superseded). */
  cancel(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.worker?.terminate(); // dagre cannot be interrupted: the next layout gets a new worker
    this.worker = undefined;
    p.reject(new Superseded());
  }

  private here(graph: LayoutGraph, dirs: RankDir[]): Laid {
    const started = performance.now();
    const positions: Partial<Record<RankDir, Float64Array>> = {};
    for (const d of dirs) positions[d] = dagrePositions(graph, d);
    return { positions, ms: performance.now() - started, where: 'main thread', problem: this.problem };
  }

  private start(): Worker | undefined {
    if (this.worker || this.problem) return this.worker;
    try {
      this.url ??= URL.createObjectURL(new Blob([layoutWorkerSource], { type: 'text/javascript' }));
      const w = new Worker(this.url, { name: 'lineage layout' });
      w.onmessage = (e: MessageEvent<LayoutReply>) => this.answer(e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.failed(`the layout worker failed: ${e.message || 'it could not start'}`);
      };
      this.worker = w;
      return w;
    } catch (e) {
      this.problem = `no layout worker could be started: ${e instanceof Error ? e.message : String(e)}`;
      return undefined;
    }
  }

  private answer(r: LayoutReply): void {
    const p = this.pending;
    if (!p || p.seq !== r.seq) return; // an answer to a cancelled request
    this.pending = undefined;
    if (r.ok) p.resolve({ positions: r.positions, ms: r.ms, where: 'worker' });
    else p.reject(new Error(`The lineage layout failed: ${r.message}`));
  }

  /** The worker itself failed (it could not load, or threw outside a request): this layout and the next ones run here. */
  private failed(why: string): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.problem = why;
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    try {
      p.resolve(this.here(p.graph, p.dirs));
    } catch (e) {
      p.reject(e as Error);
    }
  }
}
