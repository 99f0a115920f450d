/**
 * One summary for every model format. Everything here is small: names, shapes, counts and the
 * *location* of each weight's bytes. Weight values are never held in a summary; read them with
 * `readTensor` (see ./index.ts).
 */

export type ModelFormat = 'onnx' | 'keras-h5' | 'keras-weights-h5' | 'keras-v3' | 'safetensors' | 'pytorch' | 'torchscript' | 'gguf' | 'tflite';

/** Element types, ONNX names in lower case ('float32', 'int64', 'bfloat16', 'string', …). */
export type DType = string;

/** A dimension: a number, a symbolic name ('batch'), or null when unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  dtype: DType;
  /** null when the model gives no shape at all (rank unknown). */
  shape: Dim[] | null;
  doc?: string;
}

/** Where a tensor's bytes are. Offsets are byte offsets into `file` (or the model file itself). */
export type TensorLocation =
  /** raw little-endian bytes inside the model file (ONNX `raw_data`) */
  | { kind: 'raw'; offset: number; length: number }
  /** packed repeated field inside the model file (ONNX float_data, int64_data, …): decode as `field` */
  | { kind: 'field'; field: 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' | 'string_data'; offset: number; length: number }
  /** ONNX external data; `file` is resolved and checked to lie inside the model's folder */
  | { kind: 'external'; file: string; offset: number; length: number }
  /** an HDF5 dataset path inside the file; offset/length when the dataset is stored contiguously */
  | { kind: 'hdf5'; dataset: string; offset?: number; length?: number }
  /**
   * PyTorch: elements of the zip entry `entry` (a storage), laid out by the TensorInfo's `storage`
   * (a strided view, or an entry that is compressed); a contiguous tensor in a stored entry is 'raw'
   */
  | { kind: 'zip'; entry: string }
  /** tensor has no data (e.g. empty) */
  | { kind: 'none' };

export type TensorOrigin =
  | 'initializer'
  | 'sparse-initializer'
  | 'constant'
  | 'keras-weight'
  | 'keras-optimizer'
  /** a tensor of a PyTorch optimizer's state (PyTorchInfo.optimizerTensors) */
  | 'pytorch-optimizer'
  /** a named tensor of a weights-only file (safetensors) */
  | 'tensor';

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** product of the shape (1 for a scalar) */
  paramCount: number;
  /** bytes the values take when decoded (paramCount × element size; 0 for strings; GGUF quantized types: the bytes stored) */
  byteSize: number;
  origin: TensorOrigin;
  /** '' for the main graph, else e.g. 'If_0/then_branch'; Keras: the layer name */
  graphPath: string;
  /** Keras: layer that owns the weight; ONNX Constant: the node name */
  owner?: string;
  location: TensorLocation;
  /** PyTorch: the storage the tensor views (zip entry data/<key>), its element offset and strides */
  storage?: { key: string; offset: number; stride: number[]; device: string };
  /**
   * TFLite: affine quantization, real = scale × (q − zeroPoint); one scale (per tensor) or one per
   * index of dimension `axis` (per channel)
   */
  quantization?: { scale: number[]; zeroPoint: number[]; axis: number };
}

export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | { tensor: { dtype: DType; shape: number[] } }
  | { graph: string }
  | { graphs: string[] }
  | null;

export interface NodeInfo {
  name: string;
  opType: string;
  /** '' is the default ONNX domain (ai.onnx) */
  domain: string;
  /** '' for the main graph, else the subgraph path */
  graphPath: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttrValue>;
}

export interface GraphInfo {
  /** '' for the main graph; subgraphs: '<node name or op#index>/<attribute name>' joined with '/' */
  path: string;
  name: string;
  nodeCount: number;
  initializerCount: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface KerasLayer {
  name: string;
  className: string;
  /** the layer's config object from model_config (absent for weights-only files) */
  config?: Record<string, unknown>;
  /** names of the weight tensors of this layer, in file order (tensor names in `tensors`) */
  weights: string[];
  /** inbound layer names, when the config gives them */
  inbound?: string[];
}

export interface KerasInfo {
  kerasVersion?: string;
  backend?: string;
  /** 'Sequential', 'Model', 'Functional', … (absent for weights-only files) */
  modelClass?: string;
  /** the whole model_config, parsed */
  modelConfig?: Record<string, unknown>;
  trainingConfig?: Record<string, unknown>;
  layers: KerasLayer[];
  /** weights of the optimizer, reported apart from the model's weights */
  optimizerWeights: TensorInfo[];
  weightsOnly: boolean;
}

export interface SafetensorsInfo {
  /** bytes of the JSON header (summed over the shards of a sharded model) */
  headerBytes: number;
  /** a sharded model (read from its `*.safetensors.index.json`): each shard, in the index's order */
  shards?: { file: string; size: number; tensors: number }[];
}

export interface PyTorchInfo {
  /** what data.pkl holds: a state_dict, a checkpoint (dict of state_dicts, optimizer state, …), one tensor, or a TorchScript module */
  kind: 'state_dict' | 'checkpoint' | 'tensor' | 'torchscript' | 'other';
  /** the folder inside the zip ('archive', or the file's stem) */
  archive: string;
  /** the zip's `version` record */
  fileVersion?: string;
  /** optimizer state (under a dict with `state` and `param_groups`), reported apart from the model's weights */
  optimizerTensors: TensorInfo[];
  /** distinct storages (zip entries) the tensors view */
  storageCount: number;
}

export interface GgufInfo {
  /** the GGUF version (2 or 3) */
  version: number;
  /** general.alignment, or the default 32 */
  alignment: number;
  /** byte offset of the tensor data (after the header and its padding) */
  dataOffset: number;
  /** metadata key/value pairs (each one is in ModelSummary.metadata, arrays summarised) */
  metadataCount: number;
  /** general.architecture ('llama', 'qwen2', …) */
  architecture?: string;
  /** general.name */
  name?: string;
  /** <architecture>.context_length */
  contextLength?: number;
  /** general.file_type as llama.cpp names it ('Q4_K_M', 'F16', …) */
  fileType?: string;
  /** tensors per type (dtype or ggml quantization type: 'float32', 'Q4_K', …) */
  types: Record<string, number>;
  /** the tokenizer.ggml.* keys, summarised */
  tokenizer?: { model?: string; pre?: string; tokens?: number; merges?: number; bosTokenId?: number; eosTokenId?: number; chatTemplate?: boolean };
}

export interface TfliteInfo {
  /** Model.version of the FlatBuffer (3 for every converter since 2018) */
  schemaVersion: number;
  /** Model.description ("MLIR Converted.", …) */
  description: string;
  /** every subgraph: the first is the main one (path '') */
  subgraphs: { name: string; path: string; tensors: number; operators: number }[];
  /** the model's operator codes: a builtin operator's name (FULLY_CONNECTED) or a custom op's code */
  operatorCodes: { name: string; builtin: boolean; version: number }[];
  /** number of buffers (buffer 0 is the empty one by convention) and the bytes they hold */
  buffers: number;
  bufferBytes: number;
  signatureDefs: { key: string; subgraph: number; inputs: { name: string; tensor: string }[]; outputs: { name: string; tensor: string }[] }[];
}

export interface ModelSummary {
  format: ModelFormat;
  /** absolute path of the file summarized (a sharded safetensors model: its index file) */
  path: string;
  /** bytes (a sharded safetensors model: the index and all its shards) */
  fileSize: number;
  irVersion?: number;
  opsets: OpsetImport[];
  producer?: { name: string; version: string };
  domain?: string;
  modelVersion?: number;
  docString?: string;
  /** ONNX metadata_props; Keras root attributes that are plain strings */
  metadata: Record<string, string>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** every node of every graph, subgraphs included (Keras: one per layer) */
  nodes: NodeInfo[];
  graphs: GraphInfo[];
  /** op type (with domain prefix when not ai.onnx) → count, over all graphs */
  opHistogram: Record<string, number>;
  /** model weights: ONNX initializers and Constant values (all graphs); Keras layer weights */
  tensors: TensorInfo[];
  /** sum of paramCount over `tensors` (ONNX: except scalar Constant values, which are not weights; see onnx.ts) */
  parameterCount: number;
  keras?: KerasInfo;
  safetensors?: SafetensorsInfo;
  pytorch?: PyTorchInfo;
  gguf?: GgufInfo;
  tflite?: TfliteInfo;
  /** things that are odd but not fatal */
  warnings: string[];
}

/** A tensor's values, decoded. */
export interface TensorData {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | string[];
}
