/**
 * What the Lineage panel's page is sent (src/shared/lineageProtocol.ts), from the core graph. No
 * `vscode` import: bench/lineage.ts builds the page's model with it.
 */
import type { LineageGraph, LineageNode } from '../../core/lineage';
import type { LineageViewModel, LineageViewNode } from '../../shared/lineageProtocol';
import { formatMetric, paramRows } from '../../shared/lineageText';

/** The webview's shape of a core node (small: no messages; params as table rows, metric values formatted). */
export function toViewNode(n: LineageNode): LineageViewNode {
  const { params, metrics, ...rest } = n;
  return {
    ...rest,
    ...(params ? { params: paramRows(params) } : {}),
    ...(metrics ? { metrics: Object.entries(metrics).map(([name, v]) => ({ name, value: formatMetric(v) })) } : {}),
  };
}

export function toLineageViewModel(g: LineageGraph, repoName: string, focusModel = ''): LineageViewModel {
  return {
    title: `Lineage · ${repoName}`,
    repo: repoName,
    models: g.models,
    nodes: g.nodes.map(toViewNode),
    edges: g.edges.map((e) => ({ ...e })),
    focusModel,
  };
}
