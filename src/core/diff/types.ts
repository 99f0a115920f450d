/**
 * The result of comparing two models: plain JSON (no NaN, no Infinity, no typed arrays), so the
 * extension's diff panel can receive it as a message and the CLI can print it with `--json`.
 */
import type { DType, Dim, ModelFormat, TensorOrigin, ValueInfo } from '../formats/types';

/** One of the two models compared. */
export interface DiffSide {
  /** what a person calls it: the path as given, or `models/a.onnx@v3` */
  label: string;
  /** the file that was read (for a repository version: the repository path of the model) */
  path: string;
  format: ModelFormat;
  fileSize: number;
  parameterCount: number;
  tensorCount: number;
  nodeCount: number;
  /** when the model came from the repository */
  version?: { model: string; version: number; commit: string; spec: string };
}

// ---------------------------------------------------------------- interface

export type InterfaceChangeKind = 'added' | 'removed' | 'renamed' | 'dtype' | 'shape';

export interface InterfaceChange {
  kind: InterfaceChangeKind;
  io: 'input' | 'output';
  /** the name in A (for 'added': the name in B) */
  name: string;
  /** for 'renamed': the name in B */
  newName?: string;
  a?: ValueInfo;
  b?: ValueInfo;
  /** a consumer of A would fail with B */
  breaking: boolean;
  /** one line for people, e.g. "input onnx::Flatten_0 [1,24,96] → [1,25,96]" */
  text: string;
}

export interface InterfaceDiff {
  inputs: { a: ValueInfo[]; b: ValueInfo[] };
  outputs: { a: ValueInfo[]; b: ValueInfo[] };
  changes: InterfaceChange[];
  same: boolean;
  breaking: boolean;
}

// ---------------------------------------------------------------- header

export type HeaderValue = string | number | boolean | null;

/** A header field that differs: IR version, an opset, producer, metadata key, doc string, … */
export interface HeaderChange {
  /** 'irVersion', 'opset:ai.onnx', 'producer', 'metadata:author', 'docString', 'keras:trainingConfig', … */
  field: string;
  a: HeaderValue;
  b: HeaderValue;
}

// ---------------------------------------------------------------- graph

export interface OpCountDelta {
  op: string;
  a: number;
  b: number;
  delta: number;
}

export interface AttrChange {
  /** attribute name, or a dotted path into a Keras layer config ('kernel_initializer.class_name') */
  key: string;
  a: unknown;
  b: unknown;
}

export type NodeChangeStatus = 'added' | 'removed' | 'changed' | 'renamed';

export interface NodeChange {
  status: NodeChangeStatus;
  /** '' for the main graph, else the subgraph path (in A; for 'added': in B) */
  graphPath: string;
  /** name in A (for 'added': in B); '' for unnamed ONNX nodes */
  name: string;
  /** position of the node in its graph (in A; for 'added': in B) */
  index: number;
  opType: string;
  /** set when the matched node in B has another name */
  newName?: string;
  /** set when the op type differs (only possible for nodes matched by name) */
  newOpType?: string;
  changes?: AttrChange[];
}

export interface GraphDiff {
  /** 'layers' for Keras (one node per layer) */
  unit: 'nodes' | 'layers';
  /** how nodes were paired: by their names (stable names), by op-type sequence alignment, or both */
  matchedBy: 'name' | 'sequence' | 'mixed' | 'none';
  nodeCount: { a: number; b: number };
  /** disjoint: `changed` nodes may also be renamed (NodeChange.newName); `renamed` ones are renamed only */
  counts: { unchanged: number; changed: number; renamed: number; added: number; removed: number };
  /** op types whose count differs */
  opHistogram: OpCountDelta[];
  parameters: { a: number; b: number; delta: number };
  /** subgraphs present on one side only */
  graphsAdded: string[];
  graphsRemoved: string[];
  /** added, removed, changed nodes (and renamed ones where names are stable); unchanged nodes are not listed */
  rows: NodeChange[];
  /** rows left out to keep the diff small (see DiffOptions.maxNodeRows) */
  rowsOmitted: number;
  same: boolean;
}

// ---------------------------------------------------------------- weights

export interface TensorRef {
  name: string;
  dtype: DType;
  shape: number[];
  paramCount: number;
  origin: TensorOrigin;
  graphPath: string;
  owner?: string;
}

/** How two tensors with the same shape differ, computed in float64 over all elements. */
export interface WeightStats {
  /** elements compared */
  count: number;
  /** elements whose values differ (NaN = NaN counts as equal) */
  changedCount: number;
  changedFraction: number;
  /** max |b − a| (null when the values are not numbers) */
  maxAbs: number | null;
  /** mean |b − a| */
  meanAbs: number | null;
  /** ‖b − a‖₂ */
  l2: number | null;
  /** ‖a‖₂ and ‖b‖₂ */
  normA: number | null;
  normB: number | null;
  /** ‖b − a‖₂ / ‖a‖₂ (null when ‖a‖ = 0) */
  relative: number | null;
  /** a·b / (‖a‖‖b‖) (null when a norm is 0) */
  cosine: number | null;
  /** elements where a or b is NaN or ±Infinity (left out of the norms) */
  nonFinite: number;
  /** 'byte': count and changedCount are bytes of a quantized tensor's blocks (GGUF Q4_K …, compared by bytes, not decoded) */
  unit?: 'byte';
}

export type WeightStatus = 'identical' | 'changed' | 'shape-changed' | 'dtype-changed' | 'added' | 'removed';

export interface WeightRow {
  status: WeightStatus;
  /** the two tensors have different names (matched by content, or through a renamed Keras layer) */
  renamed: boolean;
  /** how A's tensor was paired with B's */
  matchedBy?: 'name' | 'content' | 'layer';
  a?: TensorRef;
  b?: TensorRef;
  /** for 'changed', and for 'dtype-changed' with an unchanged shape */
  stats?: WeightStats;
  /** a Constant, or an integer tensor, of fewer than 16 elements (shapes, axes, epsilons): not counted among the weights in verdicts */
  small?: boolean;
  note?: string;
}

export interface WeightCounts {
  identical: number;
  /** identical content under another name (also counted in `identical`) */
  renamed: number;
  changed: number;
  shapeChanged: number;
  dtypeChanged: number;
  added: number;
  removed: number;
  /** tensors in A and in B */
  a: number;
  b: number;
}

export interface WeightsDiff {
  /** every tensor */
  counts: WeightCounts;
  /** the weights only: tensors other than small constants (see WeightRow.small; what verdicts count) */
  weightCounts: WeightCounts;
  parameters: { a: number; b: number; delta: number };
  /** false when weight values were not compared (DiffOptions.weights = false): tensors are then paired by name
   *  only, and only shape/dtype changes, additions and removals are counted */
  compared: boolean;
  /** bytes read to hash tensors, and tensors whose values were decoded for statistics */
  bytesHashed: number;
  /** bytes read (both models together) to compare same-name tensors byte for byte before any hashing */
  bytesCompared: number;
  tensorsDecoded: number;
  /** identical rows are kept only when renamed (unless DiffOptions.allWeightRows) */
  rows: WeightRow[];
  rowsOmitted: number;
  same: boolean;
}

// ---------------------------------------------------------------- the whole diff

export interface ModelDiff {
  /** version of this JSON shape */
  schema: 1;
  a: DiffSide;
  b: DiffSide;
  /** one-line conclusions, most important first ("identical models", "breaking: …", "retrained: …") */
  verdicts: string[];
  /** nothing differs (interface, header, graph, weights; renames count as differences) */
  same: boolean;
  /** a consumer of A would fail with B */
  breaking: boolean;
  interface: InterfaceDiff;
  header: HeaderChange[];
  graph: GraphDiff;
  weights: WeightsDiff;
  warnings: string[];
  /** milliseconds spent */
  elapsedMs: number;
}

export interface DiffOptions {
  /** labels for people (default: the file paths) */
  labelA?: string;
  labelB?: string;
  /** compare weight values (default true); false compares structure only */
  weights?: boolean;
  /** keep identical, same-name tensors in weights.rows (default false) */
  allWeightRows?: boolean;
  /** most node rows kept in graph.rows (default 2000) */
  maxNodeRows?: number;
  /** most weight rows kept in weights.rows (default 5000) */
  maxWeightRows?: number;
  /** called as tensors are hashed/compared */
  onProgress?: (p: { phase: 'hash' | 'compare'; done: number; total: number }) => void;
}

export type { Dim };
