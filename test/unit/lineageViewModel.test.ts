/**
 * What the Lineage panel is sent (src/extension/lineage/viewModel.ts, src/shared/lineageProtocol.ts):
 * the graph small — edges name their nodes by index, no edge ids, no empty lists — and still every edge
 * and every fact of every node, checked against the core graph it came from.
 */
import * as assert from 'assert';
import type { LineageEdge, LineageGraph, LineageNode } from '../../src/core/lineage';
import { toLineageViewModel } from '../../src/extension/lineage/viewModel';

/** A graph as src/core/lineage builds it: `models` chains of `per` versions, two datasets, a code commit, an evaluation every 5th version. */
function graph(models: number, per: number): LineageGraph {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const nodes: LineageNode[] = [];
  const edges: LineageEdge[] = [];
  const edge = (kind: LineageEdge['kind'], source: string, target: string, label?: string) =>
    edges.push({ id: `${kind}:${source}->${target}${label ? `:${label}` : ''}`, kind, source, target, ...(label ? { label } : {}) });
  const data = [0, 1].map((d) => ({ id: `dataset:${hex(d, 64)}:data/d${d}.csv`, kind: 'dataset' as const, label: `d${d}.csv ${hex(d, 8)}`, path: `data/d${d}.csv`, oid: hex(d, 64) }));
  const code = { id: `code:${'c'.repeat(40)}`, kind: 'code' as const, label: 'ccccccc', commit: 'c'.repeat(40), shortCommit: 'ccccccc' };
  nodes.push(...data, code);
  for (let m = 0; m < models; m++) {
    let prev: string | undefined;
    for (let v = 1; v <= per; v++) {
      const commit = hex(m * 1000 + v, 40);
      const id = `version:models/m${m}.onnx@${commit}`;
      nodes.push({
        id, kind: 'version', label: `m${m}.onnx v${v}`, model: `models/m${m}.onnx`, version: v, commit, shortCommit: commit.slice(0, 7), subject: `run ${v}`,
        date: new Date(1_700_000_000_000 + v * 60_000).toISOString(), author: 'a', aliases: v === per ? ['prod'] : [], tags: v === 1 ? ['first', 'base'] : [],
        contentId: `sha256:${commit}`, params: { lr: 0.001, epochs: v },
      });
      if (prev) edge('parent', prev, id);
      prev = id;
      edge('trained-on', data[v % 2].id, id, v % 3 ? 'train' : undefined);
      edge('built-from', code.id, id);
      if (v % 5 === 0) {
        const e = `evaluation:${commit}:models/m${m}.onnx:k${v}`;
        nodes.push({ id: e, kind: 'evaluation', label: 'eval accuracy 0.9000 on d1.csv', model: `models/m${m}.onnx`, version: v, commit, shortCommit: commit.slice(0, 7), metrics: { accuracy: 0.9 }, rows: 10, path: 'data/d1.csv' });
        edge('evaluated', id, e);
        edge('evaluated-on', data[1].id, e);
      }
    }
  }
  return { schema: 1, models: Array.from({ length: models }, (_, m) => ({ path: `models/m${m}.onnx`, versions: per })), nodes, edges };
}

describe('lineage view model (what the panel is sent)', () => {
  const g = graph(3, 12);
  const m = toLineageViewModel(g, 'repo', 'models/m1.onnx');

  it('has every edge of the graph, in order, by the indices of its nodes and without an id', () => {
    assert.ok(g.edges.some((e) => e.label !== undefined), 'the graph has labelled edges (trained-on roles)');
    assert.strictEqual(m.edges.length, g.edges.length);
    m.edges.forEach((e, i) => {
      const want = g.edges[i];
      assert.deepStrictEqual(Object.keys(e).sort(), ['kind', 'source', 'target', ...(want.label !== undefined ? ['label'] : [])].sort());
      assert.strictEqual(m.nodes[e.source].id, want.source);
      assert.strictEqual(m.nodes[e.target].id, want.target);
      assert.strictEqual(e.kind, want.kind);
      assert.strictEqual(e.label, want.label);
    });
  });

  it('keeps every node and its facts, leaves empty alias and tag lists out, keeps full ones', () => {
    assert.deepStrictEqual(m.nodes.map((n) => n.id), g.nodes.map((n) => n.id));
    for (const [i, n] of g.nodes.entries()) {
      const v = m.nodes[i];
      for (const k of ['kind', 'label', 'model', 'version', 'commit', 'shortCommit', 'subject', 'date', 'author', 'contentId', 'external', 'path', 'oid', 'rows'] as const) {
        assert.strictEqual(v[k], n[k], `${n.id} ${k}`);
      }
      assert.strictEqual('aliases' in v, !!n.aliases?.length, `${n.id} aliases`);
      assert.strictEqual('tags' in v, !!n.tags?.length, `${n.id} tags`);
    }
    const versions = m.nodes.filter((n) => n.kind === 'version' && n.model === 'models/m0.onnx');
    assert.deepStrictEqual(versions.map((n) => [n.aliases, n.tags]).filter(([a, t]) => a || t), [[undefined, ['first', 'base']], [['prod'], undefined]]);
    assert.deepStrictEqual(m.nodes.find((n) => n.kind === 'version')!.params, [{ key: 'epochs', value: '1' }, { key: 'lr', value: '0.001' }]);
    assert.deepStrictEqual(m.nodes.find((n) => n.kind === 'evaluation')!.metrics, [{ name: 'accuracy', value: '0.9000' }]);
    assert.strictEqual(m.focusModel, 'models/m1.onnx');
    assert.deepStrictEqual(m.models, g.models);
  });

  it('refuses an edge that ends at a node the graph does not have', () => {
    const broken = { ...g, edges: [...g.edges, { id: 'x', kind: 'parent' as const, source: g.nodes[0].id, target: 'version:nowhere@0' }] };
    assert.throws(() => toLineageViewModel(broken, 'repo'), /the lineage edge x ends at a node the graph does not have/);
  });

  it('is less than half the JSON of the graph with ids on every edge', () => {
    const withIds = { ...m, edges: g.edges };
    assert.ok(JSON.stringify(m).length < JSON.stringify(withIds).length / 2, `${JSON.stringify(m).length} vs ${JSON.stringify(withIds).length}`);
  });
});
