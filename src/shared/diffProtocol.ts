/**
 * The typed message contract between the extension host and the diff panel's webview
 * (webview-ui/diff/main.ts). Same handshake as the other panels: the webview posts `{ type: 'ready' }`
 * once its script runs; only then does the host send. The host sends a small view model built from a
 * ModelDiff (strings ready to show, numbers for sorting), never model files.
 */

export interface DiffSideView {
  /** 'hello_deepa.onnx@v2', or the file's workspace-relative path */
  label: string;
  /** where it comes from, for the subtitle: 'hello_deepa.onnx @ v2 (1a2b3c4)' or a path */
  origin: string;
  format: string;
  size: string;
  parameters: string;
  tensors: string;
  nodes: string;
}

export interface DiffVerdictView {
  text: string;
  breaking: boolean;
}

export interface InterfaceRowView {
  io: 'input' | 'output';
  kind: 'added' | 'removed' | 'renamed' | 'dtype' | 'shape';
  /** name in A → name in B */
  nameA: string;
  nameB: string;
  /** 'float32[1,25,96]' */
  a: string;
  b: string;
  breaking: boolean;
  text: string;
}

export interface ValueRowView {
  io: 'input' | 'output';
  name: string;
  type: string;
}

export interface OpDeltaView {
  op: string;
  a: number;
  b: number;
  delta: number;
}

export interface NodeRowView {
  status: 'added' | 'removed' | 'changed' | 'renamed';
  /** name in A (for 'added': in B), or '#index' for unnamed nodes */
  name: string;
  newName?: string;
  opType: string;
  newOpType?: string;
  /** subgraph path ('' for the main graph) */
  graphPath: string;
  /** attribute / layer-config changes, each value shown short */
  changes: { key: string; a: string; b: string }[];
}

export type WeightRowStatus = 'identical' | 'renamed' | 'changed' | 'shape-changed' | 'dtype-changed' | 'added' | 'removed';

export interface WeightRowView {
  status: WeightRowStatus;
  /** '' when the tensor is absent on that side */
  nameA: string;
  nameB: string;
  /** 'float32[32,2400]'; '' when absent */
  shapeA: string;
  shapeB: string;
  /** elements in B (or A when removed), for sorting */
  params: number;
  maxAbs: number | null;
  relative: number | null;
  cosine: number | null;
  changedFraction: number | null;
  /** a small constant (shape, axes, epsilon): not counted among the weights */
  small: boolean;
  note?: string;
}

export interface DiffViewModel {
  title: string;
  a: DiffSideView;
  b: DiffSideView;
  verdicts: DiffVerdictView[];
  same: boolean;
  breaking: boolean;
  interface: {
    same: boolean;
    changes: InterfaceRowView[];
    /** both sides' inputs and outputs, for the collapsed "unchanged" view */
    a: ValueRowView[];
    b: ValueRowView[];
  };
  header: { field: string; a: string; b: string }[];
  graph: {
    same: boolean;
    unit: 'nodes' | 'layers';
    /** one line: '29 → 29 nodes (matched by name): 29 unchanged, …' */
    summary: string;
    parameters: { a: number; b: number; delta: number };
    opHistogram: OpDeltaView[];
    graphsAdded: string[];
    graphsRemoved: string[];
    rows: NodeRowView[];
    /** rows the diff or the view model left out */
    rowsOmitted: number;
  };
  weights: {
    same: boolean;
    compared: boolean;
    /** one line: '14 → 14 tensors: 4 identical, 9 changed, 1 shape changed' */
    summary: string;
    /** weight-table rows that differ (changed, shape/dtype changed, added, removed, renamed) */
    differing: number;
    /** short: '9 changed, 1 shape changed' ('' when nothing differs) */
    changes: string;
    rows: WeightRowView[];
    /** rows the diff or the view model left out */
    rowsOmitted: number;
  };
  warnings: string[];
  elapsedMs: number;
}

export type DiffHostMessage =
  | { type: 'loading'; title: string; a: string; b: string }
  | { type: 'diff'; model: DiffViewModel }
  | { type: 'error'; title: string; message: string; hint: string };

/** refresh: run the diff again; copyMarkdown: put the diff as Markdown (renderMarkdown) on the clipboard */
export type DiffWebviewMessage = { type: 'ready' } | { type: 'refresh' } | { type: 'copyMarkdown' };

/** The order weight rows are listed in: the most telling changes first (host and webview agree on it). */
export const WEIGHT_STATUS_ORDER: Record<WeightRowStatus, number> = {
  'shape-changed': 0,
  'dtype-changed': 1,
  changed: 2,
  removed: 3,
  added: 4,
  renamed: 5,
  identical: 6,
};
