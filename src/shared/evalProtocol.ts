/**
 * The evaluation host's JSON-RPC protocol (issue #5), shared by the host (src/evalHost) and its client
 * (src/core/eval/client.ts). Local hosts speak it over stdio (Content-Length framing as in LSP); remote
 * hosts over a WebSocket (token-checked), one JSON-RPC message per frame.
 *
 * Flow: `initialize` → `has` (which blobs the host lacks) → `putModel` / `putDataset` in chunks (only the
 * missing ones) → `evaluate` (with `$/progress` and `$/cancelRequest`) … → `shutdown`.
 * Blobs (model files, dataset feature matrices) are named by the hex sha256 of their bytes.
 *
 * Versions:
 * 1  bytes (upload chunks, inline rows, outputs) travel as base64 strings inside the JSON.
 * 2  binary attachments (src/evalHost/wsTransport.ts): a Float32Array / Uint8Array in a message travels as
 *    raw bytes beside its JSON (stdio: a `Binary-Lengths` header after `Content-Length`, the bytes after
 *    the JSON; WebSocket: one binary frame). Negotiated: the client sends `initialize` with
 *    `binary: true`; a version-2 host answers `binary: true` and from then on puts outputs in
 *    `OutputTensor.data`, and the client may send `PutParams.data` and `InlineData.data` as typed arrays.
 *    A version-1 host ignores the flag and answers without `binary`: the client then stays on base64.
 *    Messages without typed arrays are framed exactly as in version 1. Size bounds are unchanged: the
 *    host's `--max-message-mb` (remote) limits a whole frame, attachments included, and `chunkBytes`
 *    (now without the base64 overhead) keeps each upload chunk below it.
 */

export const EVAL_PROTOCOL_VERSION = 2;

export type ProviderName = 'cuda' | 'webgpu' | 'cpu';
export type ProviderChoice = ProviderName | 'auto';
export const PROVIDER_CHOICES: readonly ProviderChoice[] = ['auto', 'cuda', 'webgpu', 'cpu'];
/** order `auto` tries */
export const AUTO_PROVIDER_ORDER: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

/** Error codes the host replies with (besides JSON-RPC's own). */
export const EvalErrorCodes = {
  /** the request was cancelled by the client ($/cancelRequest); same code LSP uses */
  Cancelled: -32800,
  /** the requested execution provider cannot be used (message names the missing library or ORT's error) */
  ProviderUnavailable: -32010,
  /** a model/dataset hash the host does not have */
  UnknownBlob: -32011,
  /** an upload's bytes do not match its sha256, or a chunk is out of order / too big */
  BadUpload: -32012,
  /** the inputs do not fit the model or each other */
  BadInput: -32013,
  /** onnxruntime failed to load the model or to run it */
  RuntimeError: -32014,
  /** a request other than initialize came before initialize */
  NotInitialized: -32002,
} as const;

// -------------------------------------------------------------------------------------------------
// initialize

export interface InitializeParams {
  /** overrides the host's --provider flag */
  provider?: ProviderChoice;
  /** overrides the host's --threads flag (onnxruntime intraOpNumThreads; 0 = onnxruntime's default) */
  intraOpNumThreads?: number;
  clientName?: string;
  /** protocol 2: the client reads and sends binary attachments (see the header) */
  binary?: boolean;
}

export interface SkippedProvider {
  provider: ProviderName;
  /** why it was not used: the missing library or onnxruntime's error, shortened */
  reason: string;
}

export interface InitializeResult {
  /** host package version */
  version: string;
  protocolVersion: number;
  onnxruntimeVersion: string;
  /** ort.listSupportedBackends(): what the binding was built with (bundled = ships in the npm package) */
  executionProviders: { name: string; bundled: boolean }[];
  /** the preference in force */
  requestedProvider: ProviderChoice;
  /** the provider sessions are created with */
  provider: ProviderName;
  /** providers tried before `provider` and why each was passed over */
  skipped: SkippedProvider[];
  intraOpNumThreads: number;
  cpuCount: number;
  platform: string;
  arch: string;
  hostname: string;
  nodeVersion: string;
  /** largest message the host accepts, bytes (remote only; undefined over stdio) */
  maxMessageBytes?: number;
  /** largest model/dataset blob the host accepts, bytes */
  maxBlobBytes: number;
  /** recommended raw bytes per putModel/putDataset chunk (before base64, if base64 is used) */
  chunkBytes: number;
  /** protocol 2: binary attachments are on for this connection (the client asked, the host can) */
  binary?: boolean;
  /**
   * the host takes `EvaluateParams.externalData` and never resolves external data against its own folder
   * (issue #10); absent: an older host, to which a client does not send models with external data
   */
  externalData?: boolean;
  /**
   * a host on the client's own machine (stdio): it takes `EvaluateParams.modelPath` and opens an ONNX
   * model with external data from its own folder, where the data files lie (issue #15: nothing copied,
   * and onnxruntime-node cannot take external data from bytes); absent on remote hosts
   */
  modelPaths?: boolean;
}

// -------------------------------------------------------------------------------------------------
// blobs

export type BlobKind = 'model' | 'dataset';

export interface HasParams {
  models?: string[];
  datasets?: string[];
}
export interface HasResult {
  /** the hashes of `models` / `datasets` the host already has complete and verified */
  models: string[];
  datasets: string[];
}

/** One chunk of an upload. Chunks must come in order: offset = bytes received so far. */
export interface PutParams {
  /** hex sha256 of the whole blob (lower case) */
  hash: string;
  /** total size of the blob in bytes */
  size: number;
  /** where this chunk starts */
  offset: number;
  /** the chunk: base64 text, or (binary connections) the bytes */
  data: string | Uint8Array;
}
export interface PutResult {
  /** bytes received so far */
  received: number;
  /** true once the last chunk arrived and the sha256 was verified */
  complete: boolean;
}

// -------------------------------------------------------------------------------------------------
// evaluate

/**
 * Float32 rows given inline: little-endian float32 bytes as base64, or (binary connections) the floats;
 * or, to a local host only (InitializeResult.modelPaths), where they lie in a file on this machine:
 * `floats` values at byte `offset` of the absolute path `file` (a client's row file: issue #12, rows
 * through a pipe cost more than through a file in memory). The host reads them when it runs the request.
 */
export type InlineData = { base64: string } | { data: Float32Array } | RowsInFile;

export interface RowsInFile {
  file: string;
  offset: number;
  floats: number;
}

/**
 * Rows taken from an uploaded dataset blob: a row-major float32 matrix of `rowWidth` columns
 * (the Dataset.features of src/core/eval/dataset.ts, as bytes).
 */
export interface DatasetData {
  datasetHash: string;
  /** floats per row in the blob */
  rowWidth: number;
  /** the columns that make up this input, in order (default: all of them) */
  columns?: number[];
  /** first row (default 0) */
  startRow?: number;
  /** rows to take (default: to the end) */
  rowCount?: number;
}

export interface EvaluateInput {
  /** model input name */
  name: string;
  /** shape of one row, without the batch dimension; the product is the floats per row */
  dims: number[];
  data: InlineData | DatasetData;
}

/**
 * One ONNX external-data file of the model: `location` as the model names it, relative to the model's
 * folder ('/'-separated, inside that folder), and the sha256 of a blob uploaded with `putModel`. The host
 * runs the model in a private folder holding only the model and these files, so external data resolves
 * beside the model and nowhere else.
 */
export interface ExternalDataRef {
  location: string;
  hash: string;
}

export interface EvaluateParams {
  modelHash: string;
  /** the model's external data files (absent: none; a model that names others is refused) */
  externalData?: ExternalDataRef[];
  /**
   * A local host only (InitializeResult.modelPaths): the model's absolute path on this machine, opened
   * there by path instead of an uploaded blob, so that its external data resolves in its own folder (each
   * location checked to lie inside it and to exist). `modelHash` is still the sha256 of that file;
   * externalData is not sent with it. A remote host refuses it.
   */
  modelPath?: string;
  /** all inputs must have the same number of rows */
  inputs: EvaluateInput[];
  /** rows per run (default 256) */
  batchSize?: number;
  /**
   * false: the model input has no batch dimension, so each row is fed alone with dims = row dims
   * (batchSize is then ignored). Default true.
   */
  batchAxis?: boolean;
  /** the model's batch dimension is fixed at batchSize: pad the last batch with zeros and drop the padding */
  padLastBatch?: boolean;
  /** return only this output (default: all outputs) */
  outputName?: string;
  /** token for `$/progress` notifications (value: EvaluateProgress) */
  progressToken?: string;
}

export interface EvaluateProgress {
  batchesDone: number;
  batchesTotal: number;
  rowsDone: number;
  rowsTotal: number;
}

export interface OutputTensor {
  name: string;
  /** full dims, rows first (batch outputs concatenated along the first axis) */
  dims: number[];
  type: 'float32';
  /** little-endian float32 bytes, base64 (connections without binary) */
  base64?: string;
  /** the values (binary connections) */
  data?: Float32Array;
}

export interface EvaluateResult {
  outputs: OutputTensor[];
  rows: number;
  batches: number;
  provider: ProviderName;
  skipped: SkippedProvider[];
  /** session create (or 0 when cached) and run time, milliseconds */
  sessionMs: number;
  runMs: number;
  /** what ran the model: onnxruntime (ONNX) or TensorFlow.js on the CPU (Keras .h5/.keras); absent from older hosts */
  engine?: EvalEngine;
}

/** The engine that ran a model: onnxruntime-node, or TensorFlow.js layers on the CPU backend (Keras models). */
export type EvalEngine = 'onnxruntime' | 'tfjs-cpu';

// -------------------------------------------------------------------------------------------------

export const Methods = {
  initialize: 'initialize',
  has: 'has',
  putModel: 'putModel',
  putDataset: 'putDataset',
  evaluate: 'evaluate',
  shutdown: 'shutdown',
  /** liveness probe (answers null at once); the client sends it while requests are outstanding */
  ping: 'ping',
} as const;

/** one `$/progress` notification's params */
export interface ProgressParams<T> {
  token: string | number;
  value: T;
}

export const HASH_RE = /^[0-9a-f]{64}$/;

export function float32ToBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** decodes little-endian float32 bytes (copied, so the result is aligned) */
export function base64ToFloat32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length % 4 !== 0) throw new Error(`float32 data has ${buf.length} bytes, not a multiple of 4`);
  const out = new Float32Array(buf.length / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** An output tensor's values, whichever way they travelled. */
export function outputFloats(o: OutputTensor): Float32Array {
  if (o.data instanceof Float32Array) return o.data;
  if (typeof o.base64 === 'string') return base64ToFloat32(o.base64);
  throw new Error(`output ${o.name} carries no data`);
}
