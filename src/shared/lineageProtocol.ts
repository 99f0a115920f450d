/**
 * The typed message contract between the extension host and the Lineage panel
 * (webview-ui/lineage/main.ts). The webview posts `{ type: 'ready' }` once its script runs; only then
 * does the host send the graph. User actions go back as intents on a node id; the host runs the
 * existing commands (diff, compare, restore, reveal in the tree).
 *
 * The graph is sent small (issue #12: a graph of a thousand versions is megabytes of message otherwise,
 * which the panel waits for): edges name their nodes by index in `nodes` and carry no id, and empty
 * lists (aliases, tags) are left out.
 */

import type { ParamRow } from './lineageText';

export type LineageViewKind = 'version' | 'dataset' | 'code' | 'evaluation';
export type LineageViewEdgeKind = 'parent' | 'derived-from' | 'trained-on' | 'built-from' | 'evaluated' | 'evaluated-on';

export interface LineageViewNode {
  id: string;
  kind: LineageViewKind;
  label: string;
  model?: string;
  version?: number;
  commit?: string;
  shortCommit?: string;
  subject?: string;
  date?: string;
  author?: string;
  /** left out when there are none */
  aliases?: string[];
  /** left out when there are none */
  tags?: string[];
  contentId?: string;
  /** training parameters as table rows (nested keys dotted; lineageText.ts paramRows) */
  params?: ParamRow[];
  external?: boolean;
  path?: string;
  oid?: string;
  /** evaluation: its metrics, values formatted by lineageText.ts formatMetric ('0.9100') */
  metrics?: { name: string; value: string }[];
  rows?: number;
}

/** An edge from `nodes[source]` to `nodes[target]` (indices: no ids, each node's id said once). */
export interface LineageViewEdge {
  kind: LineageViewEdgeKind;
  source: number;
  target: number;
  label?: string;
}

export interface LineageViewModel {
  title: string;
  /** the repository folder's name */
  repo: string;
  models: { path: string; versions: number }[];
  nodes: LineageViewNode[];
  edges: LineageViewEdge[];
  /** the model preselected in the filter ('' = all) */
  focusModel: string;
}

export type LineageHostMessage =
  | { type: 'loading'; title: string }
  | { type: 'graph'; model: LineageViewModel }
  | { type: 'error'; title: string; message: string; hint: string }
  /** select (and center) a node, as a click does */
  | { type: 'select'; id: string };

/** What a node's action buttons ask the host to do. */
export type LineageIntent = 'openDiff' | 'compare' | 'restore' | 'reveal' | 'openFile' | 'copyId';

export type LineageWebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'action'; action: LineageIntent; id: string }
  /**
   * the layout finished: how long it took and what is shown (for tests and the output log); where dagre
   * ran (a Web Worker, or the main thread when no worker could start: `problem` says why) and when the
   * page first drew the graph (a draft while a large one is laid out), ms after it received it
   */
  | { type: 'rendered'; ms: number; nodes: number; edges: number; where?: 'worker' | 'main thread'; problem?: string; firstPaintMs?: number };

/** The intents each node kind offers, in button order. */
export const LINEAGE_ACTIONS: Record<LineageViewKind, LineageIntent[]> = {
  version: ['openDiff', 'compare', 'restore', 'reveal', 'copyId'],
  evaluation: ['reveal', 'openDiff'],
  dataset: ['openFile', 'copyId'],
  code: ['copyId'],
};
