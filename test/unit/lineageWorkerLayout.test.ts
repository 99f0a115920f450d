/**
 * The lineage layout off the main thread (issue #12): the worker's dagre (webview-ui/lineage/dagreRun.ts,
 * cytoscape-dagre's own layout run on plain sizes and edges) gives the positions that cytoscape-dagre
 * gives on the panel's cytoscape — the same numbers, both directions — and the draft painted meanwhile
 * (layout.ts layeredPositions) is a layered layout: every layout edge goes forward, no two nodes overlap.
 */
import * as assert from 'assert';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { syntheticHistories } from '../../bench/lineage';
import { buildLineageGraph, type LineageGraph } from '../../src/core/lineage';
import { dagrePositions, layoutGraphOf } from '../../webview-ui/lineage/dagreRun';
import { layeredPositions, layoutElements, layoutOptions, type RankDir } from '../../webview-ui/lineage/layout';

cytoscape.use(dagre);

/** A headless cytoscape of `g` with node sizes of their own and the panel's borders (layoutDimensions counts them). */
function core(g: LineageGraph): cytoscape.Core {
  return cytoscape({
    headless: true,
    styleEnabled: true,
    style: [
      { selector: 'node', style: { width: 'data(w)', height: 'data(h)', 'border-width': 2 } },
      { selector: 'node.aliased', style: { 'border-width': 5 } },
    ],
    elements: [
      ...g.nodes.map((n, i) => ({ group: 'nodes' as const, data: { id: n.id, kind: n.kind, w: 60 + ((i * 37) % 90), h: 24 + ((i * 11) % 30) }, classes: i % 7 === 0 ? 'aliased' : '' })),
      ...g.edges.map((e) => ({ group: 'edges' as const, data: { id: e.id, source: e.source, target: e.target, kind: e.kind } })),
    ],
  });
}

function timeOf(g: LineageGraph): (id: string) => number {
  const t = new Map(g.nodes.map((n) => [n.id, Date.parse(n.date ?? '') || 0]));
  return (id) => t.get(id) ?? 0;
}

describe('lineage layout in a worker: dagre without cytoscape, and the draft', () => {
  for (const [models, perModel] of [
    [1, 6],
    [3, 12],
    [4, 25],
  ] as const) {
    for (const dir of ['LR', 'TB'] as RankDir[]) {
      it(`${models} model(s) × ${perModel} versions, ${dir}: the same positions as cytoscape-dagre on the panel's elements`, () => {
        const g = buildLineageGraph(syntheticHistories(models, perModel));
        const c = core(g);
        // a filter hides part of the graph, as the panel's do
        c.nodes('[kind = "evaluation"]').style('display', 'none');
        const shown = layoutElements(c, timeOf(g));
        const input = layoutGraphOf(shown);
        assert.ok(input.nodes.length > 0 && input.edges.length > 0);
        assert.ok(input.nodes.some((n) => n.w !== input.nodes[0].w), 'nodes of different sizes');
        const ours = dagrePositions(input, dir);
        shown.layout(layoutOptions(dir) as unknown as cytoscape.LayoutOptions).run();
        const theirs = shown.nodes().map((n) => n.position());
        assert.strictEqual(ours.length, 2 * theirs.length);
        theirs.forEach((p, i) => {
          assert.strictEqual(ours[2 * i], p.x, `x of ${input.nodes[i].id}`);
          assert.strictEqual(ours[2 * i + 1], p.y, `y of ${input.nodes[i].id}`);
        });
        c.destroy();
      });
    }
  }

  it('refuses an edge to a node that is not laid out', () => {
    assert.throws(() => dagrePositions({ nodes: [{ id: 'a', w: 10, h: 10 }], edges: [{ id: 'e', source: 'a', target: 'b' }] }, 'LR'), /ends at b, which is not laid out/);
  });

  for (const dir of ['LR', 'TB'] as RankDir[]) {
    it(`the draft (${dir}): layout edges go forward by a rank, nodes do not overlap, every node placed`, () => {
      const g = buildLineageGraph(syntheticHistories(10, 105));
      const c = core(g);
      const input = layoutGraphOf(layoutElements(c, timeOf(g)));
      const pos = layeredPositions(input, dir);
      const { rankSep, nodeSep } = layoutOptions(dir);
      const index = new Map(input.nodes.map((n, i) => [n.id, i]));
      const box = (i: number) => ({ x1: pos[2 * i] - input.nodes[i].w / 2, x2: pos[2 * i] + input.nodes[i].w / 2, y1: pos[2 * i + 1] - input.nodes[i].h / 2, y2: pos[2 * i + 1] + input.nodes[i].h / 2 });
      assert.ok([...pos].every(Number.isFinite));
      for (const e of input.edges) {
        const s = box(index.get(e.source)!);
        const t = box(index.get(e.target)!);
        if (dir === 'LR') assert.ok(t.x1 >= s.x2 + rankSep - 1e-9, `${e.source} → ${e.target} goes right`);
        else assert.ok(t.y1 >= s.y2 + rankSep - 1e-9, `${e.source} → ${e.target} goes down`);
      }
      // no overlaps: sweep along x
      const order = input.nodes.map((_, i) => i).sort((a, b) => box(a).x1 - box(b).x1);
      for (let a = 0; a < order.length; a++) {
        const A = box(order[a]);
        for (let b = a + 1; b < order.length && box(order[b]).x1 < A.x2; b++) {
          const B = box(order[b]);
          assert.ok(B.y1 >= A.y2 + nodeSep - 1e-9 || A.y1 >= B.y2 + nodeSep - 1e-9, `${input.nodes[order[a]].id} and ${input.nodes[order[b]].id} overlap`);
        }
      }
      // chains run straight: each version after the first of its model sits in line with its parent
      const parents = g.edges.filter((e) => e.kind === 'parent');
      const straight = parents.filter((e) => {
        const [s, t] = [index.get(e.source)!, index.get(e.target)!];
        return dir === 'LR' ? pos[2 * s + 1] === pos[2 * t + 1] : pos[2 * s] === pos[2 * t];
      });
      assert.ok(straight.length >= 0.9 * parents.length, `${straight.length} of ${parents.length} next-version edges straight`);
      c.destroy();
    });
  }

  it('the draft of a cycle still places every node (rank 0 for the nodes on it)', () => {
    const pos = layeredPositions({ nodes: [{ id: 'a', w: 10, h: 10 }, { id: 'b', w: 10, h: 10 }, { id: 'c', w: 10, h: 10 }], edges: [{ source: 'a', target: 'b' }, { source: 'b', target: 'a' }, { source: 'c', target: 'a' }] }, 'LR');
    assert.ok([...pos].every(Number.isFinite));
  });
});
