/**
 * The lineage layout and what makes it readable (no DOM): node labels as lines and node sizes from
 * their measured text, the dagre options, and the view the panel opens on. Shared by the panel and by
 * bench/lineage.ts, which times the layout on a headless cytoscape; unit-tested in test/unit/lineageLayout.test.ts.
 */
import type cytoscape from 'cytoscape';
import type { LineageViewKind, LineageViewNode } from '../../src/shared/lineageProtocol';

/** Node labels are drawn at this size (px at zoom 1) … */
export const LABEL_FONT_PX = 12;
/** … with this line height (× the font size) … */
export const LABEL_LINE_HEIGHT = 1.25;
/** … and must not be drawn smaller than this on screen. */
export const MIN_LABEL_PX = 10;
/** The least zoom at which node labels are readable (MIN_LABEL_PX on screen, with a margin for rounding). */
export const READABLE_ZOOM = (MIN_LABEL_PX + 0.05) / LABEL_FONT_PX;
/** The most the panel zooms in when it opens (a small graph is not blown up). */
export const OPEN_MAX_ZOOM = 1.25;
/** Room kept around the graph when it is fitted (px). */
export const FIT_PADDING = 30;
/** Longest label line, in characters, before it wraps at a space. */
const MAX_LINE_CHARS = 30;

export type RankDir = 'LR' | 'TB';

export function layoutOptions(rankDir: RankDir) {
  return { name: 'dagre', rankDir, nodeSep: 18, rankSep: rankDir === 'LR' ? 60 : 48, edgeSep: 8, fit: false, padding: FIT_PADDING, animate: false } as const;
}

/** The options bench/lineage.ts times (left to right, the direction of a graph too big to try both). */
export const LAYOUT_OPTIONS = { ...layoutOptions('LR'), fit: true } as const;

/**
 * What dagre lays out: the visible nodes, the version chains (parent, derived-from, evaluated) and, for
 * each dataset or code commit, only its edge to the earliest thing it fed. The other input edges are
 * drawn but not laid out: a dataset used by 1,000 versions along a chain would otherwise be thousands
 * of long edges, each split by dagre into a dummy node per rank it spans. In order: the nodes, then the
 * chain edges and then the first input edges (by their source's first edge), as dagre takes them.
 * @param shown whether a node is shown (an edge is when both its ends are)
 * @param timeOf a node's time (ms) by id, to find the earliest target
 */
export function layoutSelection<N extends { id: string }, E extends { kind: string; source: string; target: string }>(
  nodes: readonly N[],
  edges: readonly E[],
  shown: (id: string) => boolean,
  timeOf: (id: string) => number,
): { nodes: N[]; edges: E[] } {
  const first = new Map<string, E>();
  const chains: E[] = [];
  for (const e of edges) {
    if (!shown(e.source) || !shown(e.target)) continue;
    if (e.kind === 'parent' || e.kind === 'derived-from' || e.kind === 'evaluated') {
      chains.push(e);
      continue;
    }
    const cur = first.get(e.source);
    if (!cur || timeOf(e.target) < timeOf(cur.target)) first.set(e.source, e);
  }
  return { nodes: nodes.filter((n) => shown(n.id)), edges: [...chains, ...first.values()] };
}

/** The class that hides a node the filters leave out (the panel's style: `node.filtered { display: none }`). */
export const FILTERED = 'filtered';

/**
 * Whether an element on the canvas is shown: a node unless the filters hide it (FILTERED), an edge when
 * both its nodes are. Read from the classes, not cytoscape's visible(): that keeps its answer per element
 * until the element's style is next computed, which after a class change happens only at the next frame
 * drawn, so right after nodes are shown again it can still say they are hidden (the panel then counted
 * and listed a step's nodes too few when a filter was cleared on a large graph).
 */
export function isShown(el: cytoscape.CollectionReturnValue | cytoscape.NodeSingular | cytoscape.EdgeSingular): boolean {
  if (el.empty()) return false; // not on the canvas
  if (el.isNode()) return !el.hasClass(FILTERED);
  const e = el as cytoscape.EdgeSingular;
  return !e.source().hasClass(FILTERED) && !e.target().hasClass(FILTERED);
}

/** layoutSelection on a cytoscape graph (bench/lineage.ts, the tests): the shown nodes and what dagre lays out of the edges. */
export function layoutElements(c: cytoscape.Core, timeOf: (id: string) => number): cytoscape.Collection {
  const visible = new Set(c.nodes().filter((n) => isShown(n)).map((n) => n.id()));
  const edges = c.edges().map((e) => ({ e, kind: e.data('kind') as string, source: e.data('source') as string, target: e.data('target') as string }));
  const pick = layoutSelection(c.nodes().map((n) => ({ id: n.id(), n })), edges, (id) => visible.has(id), timeOf);
  const eles = c.collection();
  for (const x of pick.nodes) eles.merge(x.n);
  for (const x of pick.edges) eles.merge(x.e);
  return eles;
}

// ------------------------------------------------------------------------------------------ the draft

/**
 * A quick layered layout, painted while dagre runs in its worker on a large graph (O(nodes + edges)
 * and the ranks' sorts): each node's rank is the longest path to it along the layout edges (a node on
 * a cycle gets rank 0); ranks side by side in `dir` at dagre's rank separation; across, nodes sit on
 * tracks a node's size and dagre's node separation apart, each on its first predecessor's track when
 * that is free in its rank, else on the nearest free one — so version chains run straight. Same node
 * sizes as dagre's input.
 * @returns x, y of node i at [2i], [2i + 1]
 */
export function layeredPositions(graph: { nodes: { id: string; w: number; h: number }[]; edges: { source: string; target: string }[] }, dir: RankDir): Float64Array {
  const n = graph.nodes.length;
  const index = new Map(graph.nodes.map((x, i) => [x.id, i]));
  const out: number[][] = graph.nodes.map(() => []);
  const firstPred = new Int32Array(n).fill(-1);
  const indegree = new Int32Array(n);
  for (const e of graph.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    out[s].push(t);
    if (firstPred[t] < 0) firstPred[t] = s;
    indegree[t]++;
  }
  const rank = new Int32Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q];
    for (const t of out[s]) {
      rank[t] = Math.max(rank[t], rank[s] + 1);
      if (--indegree[t] === 0) queue.push(t);
    }
  }
  for (let i = 0; i < n; i++) if (indegree[i] > 0) rank[i] = 0; // on a cycle: dagre's job
  const ranks: number[][] = [];
  for (let i = 0; i < n; i++) (ranks[rank[i]] ??= []).push(i);
  const { nodeSep, rankSep } = layoutOptions(dir);
  const along = (i: number) => (dir === 'LR' ? graph.nodes[i].w : graph.nodes[i].h);
  const across = (i: number) => (dir === 'LR' ? graph.nodes[i].h : graph.nodes[i].w);
  let pitch = 0;
  for (let i = 0; i < n; i++) pitch = Math.max(pitch, across(i));
  pitch += nodeSep;
  const track = new Int32Array(n);
  const pos = new Float64Array(2 * n);
  let at = 0;
  for (const members of ranks) {
    if (!members) continue;
    const taken = new Set<number>();
    let next = 0;
    const wanted = (i: number) => (firstPred[i] >= 0 && rank[firstPred[i]] < rank[i] ? track[firstPred[i]] : -1);
    // nodes that follow a predecessor first (by its track), then the others in their order
    const order = members.map((i) => [i, wanted(i)] as const).sort((a, b) => (a[1] < 0 ? 1 : 0) - (b[1] < 0 ? 1 : 0) || a[1] - b[1] || a[0] - b[0]);
    for (const [i, want] of order) {
      let t = want;
      if (t < 0) {
        while (taken.has(next)) next++;
        t = next;
      } else {
        for (let d = 1; taken.has(t); d++) t = !taken.has(want + d) ? want + d : want - d >= 0 && !taken.has(want - d) ? want - d : t;
      }
      taken.add(t);
      track[i] = t;
    }
    const depth = Math.max(...members.map(along));
    for (const i of members) {
      const main = at + depth / 2;
      const cross = track[i] * pitch;
      pos[2 * i] = dir === 'LR' ? main : cross;
      pos[2 * i + 1] = dir === 'LR' ? cross : main;
    }
    at += depth + rankSep;
  }
  return pos;
}

// ------------------------------------------------------------------------------------------ labels

/** Splits `s` at spaces into lines of at most `max` characters (a longer word stays whole). */
export function wrapWords(s: string, max = MAX_LINE_CHARS): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of s.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + w.length > max) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.length ? lines : [''];
}

/** At most `n` lines; the last one kept to `max` characters with an ellipsis when text was cut. */
function atMost(lines: string[], n: number, max = MAX_LINE_CHARS): string[] {
  if (lines.length <= n) return lines;
  const last = lines.slice(n - 1).join(' ');
  return [...lines.slice(0, n - 1), last.length > max ? `${last.slice(0, max - 1)}…` : last];
}

const basename = (p: string) => p.split('/').pop() ?? p;

/**
 * A node's label on the canvas, as lines: the name first, then what distinguishes it —
 * a version's aliases and tags, a dataset's sha256 prefix, a code commit's subject, the dataset an
 * evaluation ran on.
 */
export function labelLines(n: Pick<LineageViewNode, 'kind' | 'label' | 'aliases' | 'tags' | 'path' | 'oid' | 'shortCommit' | 'subject' | 'external'>): string[] {
  switch (n.kind) {
    case 'version': {
      const aliases = (n.aliases ?? []).map((a) => `⟨${a}⟩`).join(' ');
      const tags = (n.tags ?? []).map((t) => `#${t}`).join(' ');
      const marks = [aliases, tags].filter(Boolean);
      const joined = marks.join(' ');
      const lines = wrapWords(n.label);
      if (n.external) lines.push('not in this branch');
      if (!joined) return lines;
      return [...lines, ...(joined.length <= MAX_LINE_CHARS ? [joined] : marks.flatMap((m) => atMost(wrapWords(m), 2)))];
    }
    case 'dataset':
      return n.path && n.oid ? [...wrapWords(basename(n.path)), n.oid.slice(0, 8)] : wrapWords(n.label);
    case 'code':
      return n.shortCommit ? [n.shortCommit, ...(n.subject ? atMost(wrapWords(n.subject), 2) : [])] : wrapWords(n.label);
    case 'evaluation': {
      const at = n.label.lastIndexOf(' on ');
      return at > 0 ? [...wrapWords(n.label.slice(0, at)), ...wrapWords(n.label.slice(at + 1))] : wrapWords(n.label);
    }
  }
}

// ------------------------------------------------------------------------------------------ sizes

/** A node's size on the canvas (px at zoom 1) and, for the code hexagon, its polygon. */
export interface NodeBox {
  width: number;
  height: number;
  /** the corner radius (evaluations: a stadium, round ends) */
  radius?: number;
  /** `shape-polygon-points` of the code hexagon (its points stick out a fixed share of the height) */
  points?: string;
}

const PAD_X = 10;
const PAD_Y = 6;

/**
 * The size that holds `lines` inside the node's shape with room around them: the text measured with
 * `measure` (px of one line at LABEL_FONT_PX, as cytoscape measures it), plus what the shape takes at
 * its sides — a barrel's curve, a hexagon's points, a stadium's round ends.
 */
export function nodeBox(kind: LineageViewKind, lines: string[], measure: (line: string) => number): NodeBox {
  const textW = Math.max(0, ...lines.map((l) => Math.ceil(measure(l))));
  const n = Math.max(1, lines.length);
  const textH = LABEL_FONT_PX * (n + (n - 1) * (LABEL_LINE_HEIGHT - 1));
  const height = Math.ceil(textH + 2 * PAD_Y);
  switch (kind) {
    case 'version':
      return { width: textW + 2 * PAD_X, height };
    case 'dataset':
      // cytoscape's barrel bulges by about a tenth of the width at each side
      return { width: Math.ceil((textW + 2 * PAD_X) / 0.85), height };
    case 'code': {
      const point = Math.round(height * 0.35);
      const width = textW + 2 * PAD_X + 2 * point;
      const xi = 1 - (2 * point) / width;
      const f = (x: number) => Number(x.toFixed(4));
      return { width, height, points: [-1, 0, -f(xi), -1, f(xi), -1, 1, 0, f(xi), 1, -f(xi), 1].join(' ') };
    }
    case 'evaluation': {
      const r = height / 2;
      const inset = r - Math.sqrt(r * r - (textH / 2) ** 2);
      return { width: Math.ceil(textW + 2 * (PAD_X + inset)), height, radius: r };
    }
  }
}

// ------------------------------------------------------------------------------------------ the opening view

/** A node's box in model coordinates (cytoscape's, at zoom 1). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface View {
  zoom: number;
  pan: { x: number; y: number };
  /** the nodes the view was fitted to (all of them, or the neighbourhood it opened on) */
  fitted: string[];
}

const union = (a: Box | undefined, b: Box): Box => (a ? { x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1), x2: Math.max(a.x2, b.x2), y2: Math.max(a.y2, b.y2) } : { ...b });

/** The zoom that shows `b` whole in a viewport of `w` × `h` with `padding` around. */
export function fitZoom(b: Box, w: number, h: number, padding = FIT_PADDING): number {
  const bw = Math.max(1, b.x2 - b.x1);
  const bh = Math.max(1, b.y2 - b.y1);
  return Math.min((w - 2 * padding) / bw, (h - 2 * padding) / bh);
}

function centred(b: Box, zoom: number, w: number, h: number): { x: number; y: number } {
  return { x: w / 2 - ((b.x1 + b.x2) / 2) * zoom, y: h / 2 - ((b.y1 + b.y2) / 2) * zoom };
}

/**
 * The view the panel opens on: the whole graph when it fits at a readable zoom (at most OPEN_MAX_ZOOM);
 * otherwise the neighbourhood of `start` (the selected node or the newest version) that does fit — its
 * nodes taken nearest first along the edges, each kept only when the box of all kept nodes still fits
 * at READABLE_ZOOM — at the largest zoom that shows it (never below READABLE_ZOOM).
 * @param boxes every visible node's box, by id
 * @param neighbours the nodes one edge away (either direction)
 */
export function openingView(boxes: Map<string, Box>, neighbours: (id: string) => Iterable<string>, start: string | undefined, width: number, height: number): View {
  let all: Box | undefined;
  for (const b of boxes.values()) all = union(all, b);
  if (!all) return { zoom: 1, pan: { x: 0, y: 0 }, fitted: [] };
  const z = fitZoom(all, width, height);
  if (z >= READABLE_ZOOM || !start || !boxes.has(start)) {
    const zoom = Math.max(Math.min(z, OPEN_MAX_ZOOM), Math.min(z, READABLE_ZOOM));
    return { zoom, pan: centred(all, zoom, width, height), fitted: [...boxes.keys()] };
  }
  const fits = (b: Box) => fitZoom(b, width, height) >= READABLE_ZOOM;
  let kept: Box | undefined;
  const fitted: string[] = [];
  const seen = new Set([start]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    const next = union(kept, boxes.get(id)!);
    if (kept && !fits(next)) continue; // the first node is kept whatever its size
    kept = next;
    fitted.push(id);
    for (const o of neighbours(id)) {
      if (!seen.has(o) && boxes.has(o)) {
        seen.add(o);
        queue.push(o);
      }
    }
  }
  const zoom = Math.max(READABLE_ZOOM, Math.min(fitZoom(kept!, width, height), OPEN_MAX_ZOOM));
  return { zoom, pan: centred(kept!, zoom, width, height), fitted };
}

/** How many of `boxes` are not wholly inside the viewport `extent` (model coordinates), `slack` allowed at each side. */
export function countOffScreen(boxes: Iterable<Box>, extent: Box, slack = 0): number {
  let n = 0;
  for (const b of boxes) if (b.x1 < extent.x1 - slack || b.y1 < extent.y1 - slack || b.x2 > extent.x2 + slack || b.y2 > extent.y2 + slack) n++;
  return n;
}

// ------------------------------------------------------------------------------------------ edge words

/**
 * The edges that carry their words on the canvas: of the edges from one node with the same words
 * (train.csv "trained on" v1, v2, v3 …) only the one to the earliest target — the others are drawn
 * in the same colour and dash, and show their words when one of their ends is selected. Edges without
 * words (next version, evaluation) carry none.
 * @param timeOf a node's time (ms) by id
 */
export function labelledEdges(edges: { id: string; source: string; target: string; words: string }[], timeOf: (id: string) => number): Set<string> {
  const first = new Map<string, { id: string; t: number }>();
  for (const e of edges) {
    if (!e.words) continue;
    const key = `${e.source}\0${e.words}`;
    const t = timeOf(e.target);
    const cur = first.get(key);
    if (!cur || t < cur.t) first.set(key, { id: e.id, t });
  }
  return new Set([...first.values()].map((x) => x.id));
}

/** The style class of an edge's use, from its words: what the colour and dash of the line say. */
export function edgeUse(words: string): 'use-train' | 'use-test' | 'use-validation' | 'use-code' | 'use-other' | '' {
  if (words === 'trained on') return 'use-train';
  if (words === 'evaluated on') return 'use-test';
  if (words === 'validated on') return 'use-validation';
  if (words === 'built from code') return 'use-code';
  return words === 'used' || words.startsWith('used for ') ? 'use-other' : '';
}

// ------------------------------------------------------------------------------------------ edge labels

/** The area two boxes share (0 when apart). */
export function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Where an edge's words go: the first of `candidates` (places along and beside the edge, as the
 * caller defines them) at which the words' box, `boxAt(candidate)`, overlaps none of `taken` (nodes,
 * words already placed); when every candidate overlaps something, the one that overlaps least.
 */
export function placeLabel<T>(candidates: T[], boxAt: (candidate: T) => Box, taken: Box[]): { at: T; box: Box } {
  let best: { at: T; box: Box; overlap: number } | undefined;
  for (const at of candidates) {
    const box = boxAt(at);
    let overlap = 0;
    for (const t of taken) overlap += overlapArea(box, t);
    if (overlap === 0) return { at, box };
    if (!best || overlap < best.overlap) best = { at, box, overlap };
  }
  return { at: best!.at, box: best!.box };
}
