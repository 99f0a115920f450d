/**
 * Graph comparison: op-type histogram, nodes (ONNX) or layers (Keras) added, removed, renamed,
 * changed, and parameter counts.
 *
 * Nodes are paired graph by graph, starting at the main graph; the subgraphs of paired nodes (If
 * branches, Loop bodies) are paired in turn. Within a graph, nodes are matched by name when the
 * names are stable (unique, and at least half of them found on the other side; Keras layer names
 * always), and the rest by aligning their (domain, op type) sequences (longest common subsequence).
 */
import type { AttrValue, KerasLayer, ModelSummary, NodeInfo } from '../formats/types';
import { alignSequences } from './align';
import type { AttrChange, GraphDiff, NodeChange, OpCountDelta } from './types';

export interface GraphResult {
  graph: GraphDiff;
  /** Keras: layer name in A → layer name in B, for layers paired under another name */
  layerRenames: Map<string, string>;
}

interface Indexed {
  node: NodeInfo;
  index: number;
}

function groupByGraph(s: ModelSummary): Map<string, Indexed[]> {
  const m = new Map<string, Indexed[]>();
  for (const g of s.graphs) m.set(g.path, []);
  for (const n of s.nodes) {
    let l = m.get(n.graphPath);
    if (!l) m.set(n.graphPath, (l = []));
    l.push({ node: n, index: l.length });
  }
  return m;
}

/** Layer-like nodes (Keras layers, TorchScript modules): matched by name, compared by layer config. ONNX and TFLite nodes carry their attributes. */
function isKeras(s: ModelSummary): boolean {
  return s.format !== 'onnx' && s.format !== 'tflite';
}

const opKey = (n: NodeInfo) => (n.domain && n.domain !== 'ai.onnx' && n.domain !== 'keras' ? `${n.domain}:${n.opType}` : n.opType);

// ---------------------------------------------------------------- value comparison

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : x,
  );
}

/** Attributes of an ONNX node that matter: subgraph references are compared as subgraphs, not by path. */
function comparableAttr(v: AttrValue): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if ('graph' in v || 'graphs' in v) return undefined;
    if ('tensor' in v) return { tensor: { dtype: v.tensor.dtype, shape: v.tensor.shape } };
  }
  return v;
}

function diffAttributes(a: Record<string, AttrValue>, b: Record<string, AttrValue>): AttrChange[] {
  const out: AttrChange[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = k in a ? comparableAttr(a[k]) : undefined;
    const y = k in b ? comparableAttr(b[k]) : undefined;
    if ((k in a && x === undefined) || (k in b && y === undefined)) continue; // subgraphs
    if (canonical(x) !== canonical(y)) out.push({ key: k, a: x ?? null, b: y ?? null });
  }
  return out;
}

/** Differences between two Keras layer configs (the name aside), as dotted keys. */
export function diffConfig(a: unknown, b: unknown, prefix = '', out: AttrChange[] = [], depth = 0): AttrChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b) && depth < 8) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (depth === 0 && k === 'name') continue;
      const key = prefix ? `${prefix}.${k}` : k;
      if (!(k in a)) out.push({ key, a: null, b: b[k] });
      else if (!(k in b)) out.push({ key, a: a[k], b: null });
      else diffConfig(a[k], b[k], key, out, depth + 1);
    }
    return out;
  }
  if (canonical(a) !== canonical(b)) out.push({ key: prefix || '(config)', a: a ?? null, b: b ?? null });
  return out;
}

// ---------------------------------------------------------------- matching within one graph

function matchGraph(na: Indexed[], nb: Indexed[], forceNames: boolean): { pairs: Array<[number, number]>; byName: boolean; bySequence: boolean } {
  const named = (l: Indexed[]) => {
    const m = new Map<string, number>();
    const dup = new Set<string>();
    l.forEach((x, i) => {
      if (!x.node.name) return;
      if (m.has(x.node.name)) dup.add(x.node.name);
      else m.set(x.node.name, i);
    });
    for (const d of dup) m.delete(d);
    return m;
  };
  const ma = named(na);
  const mb = named(nb);
  let overlap = 0;
  for (const k of ma.keys()) if (mb.has(k)) overlap++;
  const stable = forceNames || (Math.min(ma.size, mb.size) > 0 && overlap >= 0.5 * Math.min(ma.size, mb.size));
  const pairs: Array<[number, number]> = [];
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  if (stable) {
    for (const [k, i] of ma) {
      const j = mb.get(k);
      if (j === undefined) continue;
      pairs.push([i, j]);
      usedA.add(i);
      usedB.add(j);
    }
  }
  const restA = na.map((_, i) => i).filter((i) => !usedA.has(i));
  const restB = nb.map((_, j) => j).filter((j) => !usedB.has(j));
  let bySequence = false;
  if (restA.length && restB.length) {
    const al = alignSequences(
      restA.map((i) => opKey(na[i].node)),
      restB.map((j) => opKey(nb[j].node)),
    );
    for (const [x, y] of al) pairs.push([restA[x], restB[y]]);
    bySequence = al.length > 0;
  }
  pairs.sort((p, q) => p[0] - q[0]);
  return { pairs, byName: stable && usedA.size > 0, bySequence };
}

// ---------------------------------------------------------------- the graph diff

export function diffGraph(a: ModelSummary, b: ModelSummary, opts: { maxNodeRows?: number } = {}): GraphResult {
  const keras = isKeras(a) && isKeras(b);
  const ga = groupByGraph(a);
  const gb = groupByGraph(b);
  const layersA = new Map<string, KerasLayer>((a.keras?.layers ?? []).map((l) => [l.name, l]));
  const layersB = new Map<string, KerasLayer>((b.keras?.layers ?? []).map((l) => [l.name, l]));

  const rows: NodeChange[] = [];
  const counts = { unchanged: 0, changed: 0, renamed: 0, added: 0, removed: 0 };
  let anyName = false;
  let anySequence = false;
  const layerRenames = new Map<string, string>();
  const pairedA = new Set<string>();
  const pairedB = new Set<string>();
  const queue: Array<[string, string]> = [];
  if (ga.has('') || gb.has('')) queue.push(['', '']);
  const kerasPairs: Array<[NodeInfo, NodeInfo, NodeChange | undefined]> = [];

  while (queue.length) {
    const [pa, pb] = queue.shift()!;
    if (pairedA.has(pa) || pairedB.has(pb)) continue;
    pairedA.add(pa);
    pairedB.add(pb);
    const na = ga.get(pa) ?? [];
    const nb = gb.get(pb) ?? [];
    const { pairs, byName, bySequence } = matchGraph(na, nb, keras);
    anyName ||= byName;
    anySequence ||= bySequence;
    const namesMeaningful = byName;
    const usedA = new Set<number>();
    const usedB = new Set<number>();
    for (const [i, j] of pairs) {
      usedA.add(i);
      usedB.add(j);
      const x = na[i].node;
      const y = nb[j].node;
      const changes: AttrChange[] = [];
      if (x.domain !== y.domain) changes.push({ key: 'domain', a: x.domain, b: y.domain });
      if (keras) {
        const la = layersA.get(x.name);
        const lb = layersB.get(y.name);
        if (la?.config || lb?.config) changes.push(...diffConfig(la?.config ?? null, lb?.config ?? null));
        else if (la && lb && la.weights.length !== lb.weights.length) changes.push({ key: 'weights', a: la.weights.length, b: lb.weights.length });
      } else {
        changes.push(...diffAttributes(x.attributes, y.attributes));
        if (x.inputs.length !== y.inputs.length) changes.push({ key: '#inputs', a: x.inputs.length, b: y.inputs.length });
        if (x.outputs.length !== y.outputs.length) changes.push({ key: '#outputs', a: x.outputs.length, b: y.outputs.length });
      }
      const renamed = namesMeaningful && !!x.name && !!y.name && x.name !== y.name;
      if (keras && x.name !== y.name) layerRenames.set(x.name, y.name);
      let row: NodeChange | undefined;
      if (changes.length || x.opType !== y.opType) {
        row = { status: 'changed', graphPath: pa, name: x.name, index: i, opType: x.opType, changes };
        if (x.opType !== y.opType) row.newOpType = y.opType;
        if (renamed) row.newName = y.name;
        counts.changed++;
      } else if (renamed) {
        row = { status: 'renamed', graphPath: pa, name: x.name, index: i, opType: x.opType, newName: y.name };
        counts.renamed++;
      } else counts.unchanged++;
      if (row) rows.push(row);
      if (keras) kerasPairs.push([x, y, row]);
      // subgraphs of paired nodes are paired in turn
      for (const [k, v] of Object.entries(x.attributes)) {
        const w = y.attributes[k];
        if (!v || !w || typeof v !== 'object' || typeof w !== 'object' || Array.isArray(v) || Array.isArray(w)) continue;
        if ('graph' in v && 'graph' in w) queue.push([v.graph, w.graph]);
        else if ('graphs' in v && 'graphs' in w) v.graphs.forEach((p, q) => w.graphs[q] !== undefined && queue.push([p, w.graphs[q]]));
      }
    }
    na.forEach((x, i) => {
      if (usedA.has(i)) return;
      rows.push({ status: 'removed', graphPath: pa, name: x.node.name, index: i, opType: x.node.opType });
      counts.removed++;
    });
    nb.forEach((y, j) => {
      if (usedB.has(j)) return;
      rows.push({ status: 'added', graphPath: pb, name: y.node.name, index: j, opType: y.node.opType });
      counts.added++;
    });
  }

  // Keras: inbound layers, compared through the pairing (a renamed input layer is not a rewiring)
  if (keras) {
    for (const [x, y, row] of kerasPairs) {
      const ia = (layersA.get(x.name)?.inbound ?? []).map((n) => layerRenames.get(n) ?? n);
      const ib = layersB.get(y.name)?.inbound ?? [];
      if (canonical(ia) === canonical(ib)) continue;
      const change: AttrChange = { key: 'inbound', a: layersA.get(x.name)?.inbound ?? [], b: ib };
      if (row) {
        (row.changes ??= []).push(change);
        if (row.status === 'renamed') {
          row.status = 'changed';
          counts.renamed--;
          counts.changed++;
        }
      } else {
        rows.push({ status: 'changed', graphPath: '', name: x.name, index: a.nodes.indexOf(x), opType: x.opType, changes: [change] });
        counts.changed++;
        counts.unchanged--;
      }
    }
  }

  // graphs not reached from a paired node: all their nodes are removed / added
  const graphsRemoved = [...ga.keys()].filter((p) => !pairedA.has(p));
  const graphsAdded = [...gb.keys()].filter((p) => !pairedB.has(p));
  for (const p of graphsRemoved) {
    for (const x of ga.get(p)!) {
      rows.push({ status: 'removed', graphPath: p, name: x.node.name, index: x.index, opType: x.node.opType });
      counts.removed++;
    }
  }
  for (const p of graphsAdded) {
    for (const y of gb.get(p)!) {
      rows.push({ status: 'added', graphPath: p, name: y.node.name, index: y.index, opType: y.node.opType });
      counts.added++;
    }
  }

  const opHistogram: OpCountDelta[] = [];
  for (const op of [...new Set([...Object.keys(a.opHistogram), ...Object.keys(b.opHistogram)])].sort()) {
    const x = a.opHistogram[op] ?? 0;
    const y = b.opHistogram[op] ?? 0;
    if (x !== y) opHistogram.push({ op, a: x, b: y, delta: y - x });
  }
  const max = opts.maxNodeRows ?? 2000;
  const kept = rows.slice(0, max);
  const graph: GraphDiff = {
    unit: keras ? 'layers' : 'nodes',
    matchedBy: anyName && anySequence ? 'mixed' : anyName ? 'name' : anySequence ? 'sequence' : 'none',
    nodeCount: { a: a.nodes.length, b: b.nodes.length },
    counts,
    opHistogram,
    parameters: { a: a.parameterCount, b: b.parameterCount, delta: b.parameterCount - a.parameterCount },
    graphsAdded,
    graphsRemoved,
    rows: kept,
    rowsOmitted: rows.length - kept.length,
    same: counts.changed + counts.renamed + counts.added + counts.removed === 0 && opHistogram.length === 0 && a.parameterCount === b.parameterCount,
  };
  return { graph, layerRenames };
}
