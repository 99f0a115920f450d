/** Lineage: where a model version came from (see docs/storage.md, "Lineage"). */

// what is recorded at commit time lives with the commit (src/core/repo/lineageRecord.ts): repo does not import lineage
export type { LineageInput, DatasetRecord, LineageRecord, LineageRecorded } from '../repo/lineageRecord';

export type LineageNodeKind = 'version' | 'dataset' | 'code' | 'evaluation';
/**
 * Edges point from what came first to what was made from it:
 * parent (previous version → version), derived-from (base version → derived version),
 * trained-on (dataset → version), built-from (code commit → version),
 * evaluated (version → evaluation), evaluated-on (dataset → evaluation).
 */
export type LineageEdgeKind = 'parent' | 'derived-from' | 'trained-on' | 'built-from' | 'evaluated' | 'evaluated-on';

export interface LineageNode {
  /** stable id: `version:<model>@<commit>`, `dataset:<sha256>:<path>`, `code:<commit>`, `evaluation:<commit>:<model>:<key>` */
  id: string;
  kind: LineageNodeKind;
  /** one line for people */
  label: string;
  /** the model (version and evaluation nodes: its current path) */
  model?: string;
  /** version number (version nodes in this history) */
  version?: number;
  /** version / code: the commit; evaluation: the evaluated version's commit */
  commit?: string;
  shortCommit?: string;
  subject?: string;
  date?: string;
  author?: string;
  aliases?: string[];
  tags?: string[];
  /** version: `sha256:<oid>` or `git:<blob>` */
  contentId?: string;
  /** version: training parameters */
  params?: Record<string, unknown>;
  /** version: a derived-from target that is not in this branch's history */
  external?: boolean;
  /** dataset: repository path (or the file name an evaluation recorded) */
  path?: string;
  /** dataset: sha256 */
  oid?: string;
  /** evaluation: its key in the notes */
  key?: string;
  /** evaluation: metric → value */
  metrics?: Record<string, number>;
  /** evaluation: dataset rows */
  rows?: number;
}

export interface LineageEdge {
  id: string;
  kind: LineageEdgeKind;
  source: string;
  target: string;
  /** dataset role on trained-on edges */
  label?: string;
}

export interface LineageGraph {
  schema: 1;
  /** the models whose versions are in the graph, with their version counts */
  models: { path: string; versions: number }[];
  nodes: LineageNode[];
  edges: LineageEdge[];
}
