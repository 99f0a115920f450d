/**
 * Lineage: (1) building the graph of 1,050 versions (10 models × 105, 5 datasets, one code commit, a
 * derived-from link per model, 100 evaluations) vs parsing those commit messages' trailers once;
 * (2) the panel's dagre layout (webview-ui/lineage/layout.ts) on a headless cytoscape vs laying out the
 * version chains alone, and vs a naive layout of every edge (on a fifth of the graph: it grows fast).
 */
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { buildLineageGraph, type LineageGraph } from '../src/core/lineage';
import { parseTrailers, type ModelHistory, type ModelVersion } from '../src/core/repo';
import { LAYOUT_OPTIONS, layoutElements } from '../webview-ui/lineage/layout';

cytoscape.use(dagre);

export function syntheticHistories(models: number, perModel: number): ModelHistory[] {
  const out: ModelHistory[] = [];
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  for (let m = 0; m < models; m++) {
    const model = `models/m${m}.onnx`;
    const versions: ModelVersion[] = [];
    for (let v = 1; v <= perModel; v++) {
      const i = (v - 1) * models + m;
      const commit = hex(i + 1, 40);
      const t = [`Model-Path: ${model}`, `Model-Dataset: train data/d${i % 5}.csv sha256:${hex(i % 5, 64)}`, `Model-Code: ${'c'.repeat(40)}`, `Model-Train-Params: {"lr":0.001,"epochs":${v}}`];
      if (m > 0 && v === 1) t.push(`Model-Derived-From: models/m${m - 1}.onnx@${hex(50 * models + m, 40)}`);
      const evaluations = v % 10 === 0 ? { [`k${i}`]: { dataset: { file: 'test.csv', sha256: hex(99, 64), rows: 100 }, metrics: { accuracy: 0.5 + v / 1000 }, date: '2026-01-01T00:00:00Z' } } : undefined;
      versions.push({
        model, path: model, version: v, commit, shortCommit: commit.slice(0, 7), parents: [], author: { name: 'a', email: 'a@b' },
        date: new Date(1_700_000_000_000 + i * 60_000).toISOString(), committerDate: '', message: `run ${v}\n\n${t.join('\n')}\n`, subject: `run ${v}`,
        contentId: `sha256:${commit}`, size: 1, lfs: true, blob: commit, change: 'modified', tags: [], aliases: [], trailers: {},
        ...(evaluations ? { metadata: { evaluations } } : {}),
      });
    }
    out.push({ path: model, paths: [model], deleted: false, versions });
  }
  return out;
}

function best(n: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function core(g: LineageGraph): cytoscape.Core {
  return cytoscape({
    headless: true,
    styleEnabled: true,
    style: [{ selector: 'node', style: { width: 80, height: 20 } }],
    elements: [
      ...g.nodes.map((n) => ({ group: 'nodes' as const, data: { id: n.id, kind: n.kind } })),
      ...g.edges.map((e) => ({ group: 'edges' as const, data: { id: e.id, source: e.source, target: e.target, kind: e.kind } })),
    ],
  });
}

function layoutMs(g: LineageGraph, pick: (c: cytoscape.Core) => cytoscape.Collection): number {
  return best(2, () => {
    const c = core(g);
    pick(c).layout(LAYOUT_OPTIONS as unknown as cytoscape.LayoutOptions).run();
    c.destroy();
  });
}

export async function benchLineage(): Promise<Record<string, number | string>> {
  const hs = syntheticHistories(10, 105);
  const messages = hs.flatMap((h) => h.versions.map((v) => v.message));
  const parseMs = best(5, () => messages.forEach((m) => parseTrailers(m)));
  let g!: LineageGraph;
  const graphMs = best(5, () => (g = buildLineageGraph(hs)));
  const time = new Map(g.nodes.map((n) => [n.id, Date.parse(n.date ?? '') || 0]));
  const timeOf = (id: string) => time.get(id) ?? 0;
  const ours = layoutMs(g, (c) => layoutElements(c, timeOf));
  const chains = layoutMs(g, (c) => c.nodes('[kind = "version"]').union(c.edges('[kind = "parent"], [kind = "derived-from"]')));
  const small = buildLineageGraph(syntheticHistories(2, 105));
  const smallTime = new Map(small.nodes.map((n) => [n.id, Date.parse(n.date ?? '') || 0]));
  const smallOurs = layoutMs(small, (c) => layoutElements(c, (id) => smallTime.get(id) ?? 0));
  const smallNaive = layoutMs(small, (c) => c.elements());
  return {
    versions: messages.length,
    nodes: g.nodes.length,
    edges: g.edges.length,
    graphMs: Math.round(graphMs * 10) / 10,
    parseTrailersMs: Math.round(parseMs * 10) / 10,
    graphVsParse: Math.round((graphMs / parseMs) * 10) / 10,
    layoutMs: Math.round(ours),
    chainsOnlyLayoutMs: Math.round(chains),
    layoutVsChains: Math.round((ours / chains) * 10) / 10,
    smallNodes: small.nodes.length,
    smallLayoutMs: Math.round(smallOurs),
    smallNaiveLayoutMs: Math.round(smallNaive),
    naiveVsOurs: Math.round((smallNaive / smallOurs) * 10) / 10,
  };
}
