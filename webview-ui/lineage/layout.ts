/**
 * The lineage layout (no DOM): cytoscape + dagre, left to right. Shared by the panel and by
 * bench/lineage.ts, which times it on a headless cytoscape.
 */
import type cytoscape from 'cytoscape';

export const LAYOUT_OPTIONS = { name: 'dagre', rankDir: 'LR', nodeSep: 14, rankSep: 50, edgeSep: 6, fit: true, padding: 30, animate: false } as const;

/**
 * What dagre lays out: the visible nodes, the version chains (parent, derived-from, evaluated) and, for
 * each dataset or code commit, only its edge to the earliest thing it fed. The other input edges are
 * drawn but not laid out: a dataset used by 1,000 versions along a chain would otherwise be thousands
 * of long edges, each split by dagre into a dummy node per rank it spans.
 * @param timeOf a node's time (ms) by id, to find the earliest target
 */
export function layoutElements(c: cytoscape.Core, timeOf: (id: string) => number): cytoscape.Collection {
  const first = new Map<string, cytoscape.EdgeSingular>();
  const eles = c.collection();
  eles.merge(c.nodes().filter((n) => n.visible()));
  c.edges().forEach((e) => {
    if (!e.visible()) return;
    const k = e.data('kind') as string;
    if (k === 'parent' || k === 'derived-from' || k === 'evaluated') {
      eles.merge(e);
      return;
    }
    const s = e.data('source') as string;
    const cur = first.get(s);
    if (!cur || timeOf(e.data('target')) < timeOf(cur.data('target'))) first.set(s, e);
  });
  for (const e of first.values()) eles.merge(e);
  return eles;
}
