/**
 * The lineage layout without cytoscape (no DOM): dagre, as cytoscape-dagre runs it, on plain node
 * sizes and edges, so that it can run in a Web Worker (./layoutWorker.ts) while the page stays
 * responsive (issue #12). cytoscape-dagre ships dagre inside its bundle; its layout class is taken from
 * its registration function and run on a minimal stand-in for the cytoscape elements it reads (ids,
 * layout sizes, edge ends) — the same dagre graph, the same options, in the same order, so the positions
 * are those of `eles.layout(layoutOptions(dir)).run()` on the panel's cytoscape, to the bit
 * (test/unit/lineageWorkerLayout.test.ts compares them).
 */
import type cytoscape from 'cytoscape';
import registerDagre from 'cytoscape-dagre';
import { layoutOptions, type RankDir } from './layout';

/** What is laid out: the shown nodes with their layout sizes (cytoscape's `layoutDimensions`) and the layout edges, in cytoscape's order. */
export interface LayoutGraph {
  nodes: { id: string; w: number; h: number }[];
  edges: { id: string; source: string; target: string }[];
}

/** What cytoscape-dagre would lay out of `eles` (layout.ts layoutElements): its nodes with their layout sizes, its edges, in its order. */
export function layoutGraphOf(eles: cytoscape.Collection): LayoutGraph {
  return {
    nodes: eles.nodes().map((n) => {
      const d = n.layoutDimensions({ nodeDimensionsIncludeLabels: false });
      return { id: n.id(), w: d.w, h: d.h };
    }),
    edges: eles.edges().map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id() })),
  };
}

/** The worker's request: lay `graph` out in each of `dirs`. `seq` tells answers apart. */
export interface LayoutRequest {
  seq: number;
  graph: LayoutGraph;
  dirs: RankDir[];
}

/** The worker's answer: per direction, x and y of node i at [2i] and [2i + 1] (the request's node order); or what failed. */
export type LayoutReply = { seq: number; ok: true; positions: Partial<Record<RankDir, Float64Array>>; ms: number } | { seq: number; ok: false; message: string };

type Scratch = Record<string, unknown>;
interface Ele {
  id(): string;
  scratch(): Scratch;
  isParent(): boolean;
  isChild(): boolean;
  layoutDimensions(): { w: number; h: number };
  source(): Ele;
  target(): Ele;
}
type DagreLayoutClass = new (options: Record<string, unknown>) => { run(): void };

let dagreLayout: DagreLayoutClass | undefined;

/** cytoscape-dagre's layout class, from what it registers (`cytoscape('layout', 'dagre', DagreLayout)`). */
function layoutClass(): DagreLayoutClass {
  if (!dagreLayout) {
    const capture = (kind: string, name: string, impl: DagreLayoutClass) => {
      if (kind === 'layout' && name === 'dagre') dagreLayout = impl;
    };
    (registerDagre as unknown as (cy: typeof capture) => void)(capture);
    if (!dagreLayout) throw new Error('cytoscape-dagre did not register its layout');
  }
  return dagreLayout;
}

/** The positions dagre gives `graph` laid out in direction `dir`: x, y of node i at [2i], [2i + 1]. */
export function dagrePositions(graph: LayoutGraph, dir: RankDir): Float64Array {
  const byId = new Map<string, Ele>();
  const nodes: Ele[] = graph.nodes.map((n) => {
    const scratch: Scratch = {};
    const e = {
      id: () => n.id,
      scratch: () => scratch,
      isParent: () => false,
      isChild: () => false,
      layoutDimensions: () => ({ w: n.w, h: n.h }),
    } as Ele;
    byId.set(n.id, e);
    return e;
  });
  const end = (id: string): Ele => {
    const e = byId.get(id);
    if (!e) throw new Error(`a layout edge ends at ${id}, which is not laid out`);
    return e;
  };
  const edges: Ele[] = graph.edges.map((x) => ({ id: () => x.id, source: () => end(x.source), target: () => end(x.target) }) as Ele);
  const out = new Float64Array(2 * nodes.length);
  const nodeList = Object.assign(nodes.slice(), {
    layoutPositions(_layout: unknown, _options: unknown, at: (this: Ele, e: Ele, i: number) => { x: number; y: number }) {
      nodes.forEach((e, i) => {
        const p = at.call(e, e, i);
        out[2 * i] = p.x;
        out[2 * i + 1] = p.y;
      });
    },
  });
  const cy = { width: () => 0, height: () => 0, getElementById: (id: string) => byId.get(id) };
  const eles = { nodes: () => nodeList, edges: () => edges };
  const Layout = layoutClass();
  new Layout({ ...layoutOptions(dir), cy, eles }).run();
  return out;
}
