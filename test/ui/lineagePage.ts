/**
 * Reads the Lineage panel's graph from its page: the accessible lists #lineage-nodes / #lineage-edges
 * (one item per node and edge, with data attributes; x/y are the node's on-screen centre in the canvas).
 */
import type { Frame } from 'playwright-core';

export interface PageGraph {
  nodes: { id: string; kind: string; text: string; x: number; y: number }[];
  edges: { kind: string; source: string; target: string }[];
}

export async function readLineageGraph(frame: Frame): Promise<PageGraph> {
  return frame.evaluate(() => ({
    nodes: [...document.querySelectorAll('#lineage-nodes li')].map((li) => ({
      id: li.getAttribute('data-id')!,
      kind: li.getAttribute('data-kind')!,
      text: li.textContent ?? '',
      x: Number(li.getAttribute('data-x')),
      y: Number(li.getAttribute('data-y')),
    })),
    edges: [...document.querySelectorAll('#lineage-edges li')].map((li) => ({
      kind: li.getAttribute('data-kind')!,
      source: li.getAttribute('data-source')!,
      target: li.getAttribute('data-target')!,
    })),
  }));
}


/** A box in the canvas's on-screen pixels (origin: the top-left of #graph). */
export interface PageBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** What cytoscape itself has drawn: sizes on screen, read from the instance on #graph (not from the panel's own lists). */
export interface DrawnGraph {
  /** the canvas's size */
  width: number;
  height: number;
  zoom: number;
  nodes: { id: string; kind: string; label: string; fontPx: number; box: PageBox; labelBox: PageBox }[];
  /** labelBox: where the edge's words are drawn (absent when it shows none) */
  edges: {
    id: string;
    kind: string;
    source: string;
    target: string;
    label: string;
    fontPx: number;
    labelBox?: PageBox;
    /** the drawn line from its source's end to its target's, when it is drawn straight */
    line?: { x1: number; y1: number; x2: number; y2: number };
  }[];
}

/**
 * Reads the drawn graph from the cytoscape instance that owns #graph (cytoscape keeps it on its
 * container as `_cyreg.cy`): every visible node's rendered font size (zoom × font-size), its box
 * without the label and its label's box, and every visible edge's label as drawn.
 */
export async function readDrawnGraph(frame: Frame): Promise<DrawnGraph> {
  return frame.evaluate(() => {
    type Bb = { x1: number; y1: number; x2: number; y2: number };
    interface El {
      id(): string;
      visible(): boolean;
      data(k: string): string;
      pstyle(k: string): { pfValue: number; strValue: string };
      renderedBoundingBox(o: Record<string, boolean>): Bb;
      renderedSourceEndpoint?(): { x: number; y: number };
      renderedTargetEndpoint?(): { x: number; y: number };
    }
    interface Cy {
      zoom(): number;
      width(): number;
      height(): number;
      nodes(): { toArray(): El[] };
      edges(): { toArray(): El[] };
    }
    const g = document.getElementById('graph') as (HTMLElement & { _cyreg?: { cy?: Cy } }) | null;
    const cy = g?._cyreg?.cy;
    if (!cy) throw new Error('#graph has no cytoscape instance');
    const z = cy.zoom();
    const box = (b: Bb) => ({ x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 });
    return {
      width: cy.width(),
      height: cy.height(),
      zoom: z,
      nodes: cy.nodes().toArray().filter((n) => n.visible()).map((n) => ({
        id: n.id(),
        kind: n.data('kind'),
        label: n.pstyle('label').strValue,
        fontPx: n.pstyle('font-size').pfValue * z,
        box: box(n.renderedBoundingBox({ includeLabels: false, includeOverlays: false, includeUnderlays: false })),
        labelBox: box(n.renderedBoundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false, includeUnderlays: false })),
      })),
      edges: cy.edges().toArray().filter((e) => e.visible()).map((e) => {
        // its words: on the line, or near the node it comes from
        const label = e.pstyle('label').strValue || e.pstyle('source-label').strValue;
        return {
          id: e.id(),
          kind: e.data('kind'),
          source: e.data('source'),
          target: e.data('target'),
          label,
          fontPx: e.pstyle('font-size').pfValue * z,
          ...(label ? { labelBox: box(e.renderedBoundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false, includeUnderlays: false })) } : {}),
          ...(e.pstyle('curve-style').strValue === 'straight' && e.renderedSourceEndpoint && e.renderedTargetEndpoint
            ? (() => {
                const a = e.renderedSourceEndpoint!();
                const b = e.renderedTargetEndpoint!();
                return { line: { x1: a.x, y1: a.y, x2: b.x, y2: b.y } };
              })()
            : {}),
        };
      }),
    };
  });
}

/** Whether `inner` lies inside `outer` (within `slack` pixels). */
export function inside(inner: PageBox, outer: PageBox, slack = 0.5): boolean {
  return inner.x1 >= outer.x1 - slack && inner.y1 >= outer.y1 - slack && inner.x2 <= outer.x2 + slack && inner.y2 <= outer.y2 + slack;
}

const overlap = (a: PageBox, b: PageBox, slack = 1) => Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) > slack && Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) > slack;

/**
 * What a user must be able to read without touching the zoom: each node drawn on screen has a label of
 * at least `minFontPx` that fits inside its node, and the words on edges cover no node and no other
 * edge's words. Returns the problems, one line each ([] = readable).
 * Nodes off screen are left to the caller (a big graph opens on part of itself).
 */
export function readabilityProblems(g: DrawnGraph, minFontPx = 10): string[] {
  const screen = { x1: 0, y1: 0, x2: g.width, y2: g.height };
  const out: string[] = [];
  const r = (b: PageBox) => `[${Math.round(b.x1)},${Math.round(b.y1)} – ${Math.round(b.x2)},${Math.round(b.y2)}]`;
  for (const n of g.nodes) {
    if (!inside(n.box, screen, 0)) continue;
    const name = `${n.kind} '${n.label.replace(/\n/g, ' / ')}'`;
    if (n.fontPx < minFontPx) out.push(`${name}: label drawn at ${n.fontPx.toFixed(1)} px (< ${minFontPx})`);
    if (!inside(n.labelBox, n.box, 1)) out.push(`${name}: label ${r(n.labelBox)} overflows its node ${r(n.box)}`);
  }
  const words = g.edges.filter((e) => e.labelBox && overlap(e.labelBox, screen, 0));
  words.forEach((e, i) => {
    const name = `the words '${e.label}' of ${e.source} → ${e.target} ${r(e.labelBox!)}`;
    for (const n of g.nodes) if (overlap(e.labelBox!, n.box)) out.push(`${name} cover the node '${n.label.replace(/\n/g, ' / ')}'`);
    for (const o of words.slice(i + 1)) if (overlap(e.labelBox!, o.labelBox!)) out.push(`${name} overlap '${o.label}' of ${o.source} → ${o.target}`);
    // the words touch the line they name (a straight one: its drawn segment)
    const away = e.line ? segmentBoxDistance(e.line, e.labelBox!) : 0;
    if (away > 2) out.push(`${name} float ${Math.round(away)} px away from their line`);
  });
  return out;
}

/** The distance (px) between the segment and the box: 0 when the segment crosses or touches it. */
export function segmentBoxDistance(s: { x1: number; y1: number; x2: number; y2: number }, b: PageBox): number {
  const inBox = (x: number, y: number) => x >= b.x1 && x <= b.x2 && y >= b.y1 && y <= b.y2;
  if (inBox(s.x1, s.y1) || inBox(s.x2, s.y2)) return 0;
  const sides: [number, number, number, number][] = [
    [b.x1, b.y1, b.x2, b.y1],
    [b.x2, b.y1, b.x2, b.y2],
    [b.x2, b.y2, b.x1, b.y2],
    [b.x1, b.y2, b.x1, b.y1],
  ];
  const cross = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) => (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  const crosses = (p: [number, number, number, number], q: [number, number, number, number]) =>
    cross(p[0], p[1], p[2], p[3], q[0], q[1]) * cross(p[0], p[1], p[2], p[3], q[2], q[3]) <= 0 && cross(q[0], q[1], q[2], q[3], p[0], p[1]) * cross(q[0], q[1], q[2], q[3], p[2], p[3]) <= 0;
  const seg: [number, number, number, number] = [s.x1, s.y1, s.x2, s.y2];
  if (sides.some((side) => crosses(seg, side))) return 0;
  // apart: the nearest of the segment's ends to the box, and of the box's corners to the segment
  const toSeg = (px: number, py: number, q: [number, number, number, number]) => {
    const dx = q[2] - q[0];
    const dy = q[3] - q[1];
    const len2 = dx * dx + dy * dy;
    const t = len2 ? Math.max(0, Math.min(1, ((px - q[0]) * dx + (py - q[1]) * dy) / len2)) : 0;
    return Math.hypot(px - (q[0] + t * dx), py - (q[1] + t * dy));
  };
  const corners: [number, number][] = [[b.x1, b.y1], [b.x2, b.y1], [b.x2, b.y2], [b.x1, b.y2]];
  return Math.min(...corners.map(([x, y]) => toSeg(x, y, seg)), ...sides.flatMap((side) => [toSeg(s.x1, s.y1, side), toSeg(s.x2, s.y2, side)]));
}
