/**
 * The typed message contract between the extension host and the Version Details webview view
 * (modelVersions.details, below the Model Versions tree in its side bar).
 *
 * Handshake as for every webview (see webviewProtocol.ts): the webview posts `{ type: 'ready' }`,
 * then the host sends the current state. Each selection in the tree gets a new, increasing
 * `requestId`; the webview ignores messages older than the newest it has seen. A `state` message
 * without `content` keeps what is shown (no blank page while the next version is prepared) and only
 * sets the `loading` flag (a thin progress bar at the top).
 */

/** A trailer or fact shown as "label: value". */
export interface DetailsField {
  label: string;
  value: string;
}

/** The change record of one version (a commit of a model file). All strings are shown as text. */
export interface VersionRecord {
  /** repository path of the model (its current name) */
  model: string;
  /** file name of the model */
  modelName: string;
  version: number;
  latest: boolean;
  commit: string;
  shortCommit: string;
  subject: string;
  /** the message without its subject line and the trailers Model Versions recorded ('' when there is none) */
  body: string;
  author: string;
  email: string;
  /** ISO 8601 author date, and the same for people */
  date: string;
  dateText: string;
  /** e.g. "306.6 KiB" */
  size: string;
  sizeBytes: number;
  lfs: boolean;
  /** LFS sha256 oid (64 hex) */
  oid?: string;
  /** a folder model (sharded safetensors): how many files, how many through Git LFS, its content id (files:<sha256>) */
  folder?: { files: number; lfs: number; contentId: string };
  /** the file's path in this version's commit, when it differs from `model` (before a rename) */
  path?: string;
  tags: string[];
  aliases: string[];
  /** Model-Params, Model-Inputs, Model-Outputs, Model-Format (those present) */
  trailers: DetailsField[];
  /** from the version's metadata (refs/notes/model-versions): metrics.* */
  metrics: DetailsField[];
  /** the metrics typed when the version was committed (its recorded Model-Metrics trailer), in order */
  commitMetrics: DetailsField[];
  /** the version this one is compared with; undefined for v1 */
  previous?: { version: number; shortCommit: string };
}

/** One of the most-changed weight tensors. */
export interface TopWeight {
  name: string;
  /** ‖b − a‖₂ / ‖a‖₂ */
  relative: number;
  /** fraction of elements that changed (0..1) */
  changedFraction: number;
  shape: number[];
  /** set when the tensor has another name in the newer version */
  newName?: string;
}

/** What changed since the previous version: a small extract of core/diff's ModelDiff. */
export interface DiffSummary {
  from: { version: number; shortCommit: string };
  to: { version: number; shortCommit: string };
  verdicts: string[];
  same: boolean;
  breaking: boolean;
  interfaceChanges: { text: string; breaking: boolean }[];
  parameters: { a: number; b: number; delta: number };
  weights: {
    compared: boolean;
    /** weight tensors (small constants left out), in the newer version */
    total: number;
    changed: number;
    shapeChanged: number;
    dtypeChanged: number;
    added: number;
    removed: number;
    renamed: number;
  };
  graph: { unit: 'nodes' | 'layers'; changed: number; added: number; removed: number };
  /** at most 5, the largest relative ‖Δ‖ first */
  topWeights: TopWeight[];
  warnings: string[];
  elapsedMs: number;
}

export type DiffState =
  /** v1: nothing to compare with */
  | { state: 'none' }
  | { state: 'loading'; from: { version: number; shortCommit: string } }
  | { state: 'ready'; diff: DiffSummary }
  | { state: 'error'; from: { version: number; shortCommit: string }; message: string };

export type DetailsContent =
  | { kind: 'version'; version: VersionRecord; diff: DiffState }
  | {
      kind: 'model';
      model: string;
      modelName: string;
      versions: number;
      latest?: { version: number; shortCommit: string; subject: string; dateText: string };
      aliases: { alias: string; version: number }[];
      status: string;
    }
  | { kind: 'hint'; text: string };

export type DetailsHostMessage = {
  type: 'state';
  requestId: number;
  /** work is in progress for this request: show a thin progress bar, keep the content */
  loading: boolean;
  /** absent: keep what is shown */
  content?: DetailsContent;
};

export type DetailsAction = 'openDiff' | 'restore' | 'tag' | 'alias' | 'open';

export type DetailsWebviewMessage =
  | { type: 'ready' }
  /** a button on the version shown (the one of `requestId`) */
  | { type: 'action'; action: DetailsAction; requestId: number };
