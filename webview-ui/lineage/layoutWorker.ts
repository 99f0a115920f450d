/**
 * The lineage layout's Web Worker (bundled on its own by esbuild.js and shipped inside the page's
 * script as text; ./layouter.ts starts it from a Blob): runs dagre (./dagreRun.ts) off the page's main
 * thread, so that the panel paints and answers zoom, pan and filters while a large graph is laid out.
 * One request at a time; the page terminates the worker to cancel a layout it no longer wants.
 */
import { dagrePositions, type LayoutReply, type LayoutRequest } from './dagreRun';

/** The worker's global scope, as much of it as is used (the page's tsconfig has the DOM types, not the worker's). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(m: LayoutReply, transfer: Transferable[]): void;
};

scope.onmessage = (e) => {
  const { seq, graph, dirs } = e.data;
  const started = performance.now();
  try {
    const positions: Partial<Record<string, Float64Array>> = {};
    for (const dir of dirs) positions[dir] = dagrePositions(graph, dir);
    const reply: LayoutReply = { seq, ok: true, positions, ms: performance.now() - started };
    scope.postMessage(reply, Object.values(positions).map((p) => p!.buffer));
  } catch (err) {
    scope.postMessage({ seq, ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) }, []);
  }
};
