/**
 * What the Lineage panel's page is sent (src/shared/lineageProtocol.ts), from the core graph. No
 * `vscode` import: bench/lineage.ts builds the page's model with it.
 */
import type { LineageGraph, LineageNode } from '../../core/lineage';
import type { LineageViewModel, LineageViewNode } from '../../shared/lineageProtocol';
import { formatMetric, paramRows } from '../../shared/lineageText';

/** The webview's shape of a core node (small: no messages, no empty lists; params as table rows, metric values formatted). */
export function toViewNode(n: LineageNode): LineageViewNode {
  const { params, metrics, aliases, tags, ...rest } = n;
  return {
    ...rest,
    ...(aliases?.length ? { aliases } : {}),
    ...(tags?.length ? { tags } : {}),
    ...(params ? { params: paramRows(params) } : {}),
    ...(metrics ? { metrics: Object.entries(metrics).map(([name, v]) => ({ name, value: formatMetric(v) })) } : {}),
  };
}

export function toLineageViewModel(g: LineageGraph, repoName: string, focusModel = ''): LineageViewModel {
  const index = new Map(g.nodes.map((n, i) => [n.id, i]));
  return {
    title: `Lineage · ${repoName}`,
    repo: repoName,
    models: g.models,
    nodes: g.nodes.map(toViewNode),
    edges: g.edges.map((e) => {
      const source = index.get(e.source);
      const target = index.get(e.target);
      if (source === undefined || target === undefined) throw new Error(`the lineage edge ${e.id} ends at a node the graph does not have`);
      return e.label !== undefined ? { kind: e.kind, source, target, label: e.label } : { kind: e.kind, source, target };
    }),
    focusModel,
  };
}
