/**
 * The HDF5 side of the Keras reader: everything that runs h5wasm. Synchronous once h5wasm is loaded;
 * keras.ts runs it in a worker thread (kerasWorker.ts) so that a damaged file that sends HDF5 into an
 * endless loop cannot hang the caller, or in-process when the worker script is not available.
 *
 * h5wasm notes that shape this file:
 *  - A file HDF5 cannot open does not throw: `new File()` returns an object whose `file_id` is -1, and
 *    the HDF5 C library prints its error stack to stderr (fd 2, through `fs.writeSync`). We check
 *    `file_id`, and while h5wasm runs we catch what it writes (see `captureStderr`).
 *  - `Dataset.value` throws "Float16 not supported": float16 is read as raw bytes and decoded here.
 *  - h5wasm keeps files open in its own table: every File is closed in `finally`.
 *  - Some damaged files make HDF5 loop forever (e.g. one flipped byte in an attribute message).
 */
import * as path from 'path';
import fsModule = require('fs');
import { ModelFormatError } from './errors';
import type {
  AttrValue,
  Dim,
  DType,
  GraphInfo,
  KerasInfo,
  KerasLayer,
  ModelFormat,
  ModelSummary,
  NodeInfo,
  TensorData,
  TensorInfo,
  TensorOrigin,
  ValueInfo,
} from './types';

export type H5Module = typeof import('h5wasm/node', { with: { 'resolution-mode': 'import' } });
type H5File = InstanceType<H5Module['File']>;
type H5Group = InstanceType<H5Module['Group']>;
type H5Dataset = InstanceType<H5Module['Dataset']>;
type H5Metadata = H5Dataset['metadata'];
export type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// h5wasm loading and stderr capture

let h5Loading: Promise<H5Module> | undefined;

/** Load h5wasm once (≈140 ms); later calls reuse it. */
export function loadH5(): Promise<H5Module> {
  if (!h5Loading) {
    const p = (async () => {
      // Emscripten binds console.error / console.warn when the module is evaluated: give it
      // forwarders, so that captureStderr can hold back its messages later.
      const restore = hookConsole();
      try {
        const m = await import('h5wasm/node');
        await m.ready;
        return m;
      } finally {
        restore();
      }
    })();
    h5Loading = p;
    p.catch(() => {
      if (h5Loading === p) h5Loading = undefined;
    });
  }
  return h5Loading;
}

/** Where captured output goes while captureStderr runs. */
let sink: ((text: string) => void) | undefined;

/** Emscripten aborts so far: after one, the WebAssembly instance should not be trusted any more. */
let aborts = 0;
export function h5Aborted(): boolean {
  return aborts > 0;
}

function hookConsole(): () => void {
  type Log = (...args: unknown[]) => void;
  const saved: Record<'error' | 'warn', Log> = { error: console.error, warn: console.warn };
  const forwarders: Record<'error' | 'warn', Log> = { error: () => undefined, warn: () => undefined };
  for (const k of ['error', 'warn'] as const) {
    const forward: Log = (...args: unknown[]) => {
      if (sink) {
        sink(`${args.map(String).join(' ')}\n`);
        return;
      }
      const now = console[k] as Log;
      (now === forward ? saved[k] : now).apply(console, args);
    };
    forwarders[k] = forward;
    console[k] = forward;
  }
  return () => {
    for (const k of ['error', 'warn'] as const) if (console[k] === forwarders[k]) console[k] = saved[k];
  };
}

/**
 * Run `fn` (synchronous h5wasm work) while holding back what the HDF5 C library writes to stderr.
 * h5wasm's Node build writes fd 2 through `fs.writeSync`, which is replaced only for the duration of
 * this synchronous call (no other JavaScript can run meanwhile) and always restored. Emscripten's
 * own messages ("Aborted(…)", UTF-8 warnings) come through the console forwarders of loadH5.
 */
function captureStderr<T>(fn: (stderr: () => string) => T): T {
  const chunks: string[] = [];
  const push = (text: string) => {
    if (chunks.length < 2000) chunks.push(text);
    if (text.includes('Aborted(')) aborts++;
  };
  const original = fsModule.writeSync;
  const replacement = function (this: unknown, fd: number, buffer: unknown, ...rest: unknown[]): number {
    if (fd === 2) {
      if (typeof buffer === 'string') {
        push(buffer);
        return Buffer.byteLength(buffer);
      }
      if (ArrayBuffer.isView(buffer)) {
        const offset = typeof rest[0] === 'number' ? rest[0] : 0;
        const length = typeof rest[1] === 'number' ? rest[1] : buffer.byteLength - offset;
        push(Buffer.from(buffer.buffer, buffer.byteOffset + offset, length).toString('utf8'));
        return length;
      }
    }
    // eslint-disable-next-line prefer-rest-params
    return (original as (...a: unknown[]) => number).apply(this, arguments as unknown as unknown[]);
  };
  fsModule.writeSync = replacement as typeof fsModule.writeSync;
  const outer = sink;
  sink = push;
  try {
    return fn(() => chunks.join(''));
  } finally {
    fsModule.writeSync = original;
    sink = outer;
  }
}

/** The most telling line of an HDF5 error stack, for messages. */
function hdf5Reason(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const located = lines.filter((l) => /^#\d+:/.test(l)).map((l) => l.replace(/^#\d+:\s*\S+\s+line\s+\d+\s+in\s+\S+\(\):\s*/, ''));
  return located.length ? located[located.length - 1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// small helpers

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function stripNul(s: string): string {
  const i = s.indexOf('\0');
  return i >= 0 ? s.slice(0, i) : s;
}

const DTYPE_BYTES: Record<string, number> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  float16: 2,
  bfloat16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
  complex64: 8,
  complex128: 16,
  string: 0,
};

/** ONNX-style dtype name from h5wasm metadata. */
function dtypeOf(m: H5Metadata): DType {
  switch (m.type) {
    case 0: // integer
      return `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
    case 1: // float
      return m.size === 2 ? 'float16' : m.size === 4 ? 'float32' : m.size === 8 ? 'float64' : `float${m.size * 8}`;
    case 3: // string
      return 'string';
    case 8: {
      // enum: h5py writes numpy bool as an int8 enum {FALSE: 0, TRUE: 1}
      const members = m.enum_type?.members ? Object.keys(m.enum_type.members).map((k) => k.toUpperCase()).sort() : [];
      if (members.length === 2 && members[0] === 'FALSE' && members[1] === 'TRUE') return 'bool';
      return `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
    }
    case 6:
      return 'compound';
    default:
      return 'unknown';
  }
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function toDim(v: unknown): Dim {
  return typeof v === 'number' && v >= 0 ? v : typeof v === 'string' ? v : null;
}

function toShape(v: unknown): Dim[] | null {
  return Array.isArray(v) ? v.map(toDim) : null;
}

/** dtype from a layer config: a string, or a Keras 3 DTypePolicy object. */
function configDtype(v: unknown): DType | undefined {
  let name: string | undefined;
  if (typeof v === 'string') name = v;
  else if (isObj(v) && isObj(v.config)) name = str(v.config.name);
  if (!name) return undefined;
  if (name.startsWith('mixed_')) return name.slice('mixed_'.length);
  return name;
}

// ---------------------------------------------------------------------------------------------
// HDF5 access

function getEntity(f: H5File, p: string): ReturnType<H5File['get']> {
  try {
    return f.get(p);
  } catch {
    return null;
  }
}

function asGroup(e: ReturnType<H5File['get']>): H5Group | null {
  return e && (e as { type?: string }).type === 'Group' ? (e as H5Group) : null;
}

function asDataset(e: ReturnType<H5File['get']>): H5Dataset | null {
  return e && (e as { type?: string }).type === 'Dataset' ? (e as H5Dataset) : null;
}

function attrNames(obj: H5Group): string[] {
  try {
    return Object.keys(obj.attrs);
  } catch {
    return [];
  }
}

function attrValue(obj: H5Group, name: string): unknown {
  try {
    const a = obj.attrs[name];
    return a ? a.value : undefined;
  } catch {
    return undefined;
  }
}

function decodeStrings(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [stripNul(v)];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? stripNul(x) : String(x)));
  if (v instanceof Uint8Array) return [stripNul(Buffer.from(v).toString('utf8'))];
  if (ArrayBuffer.isView(v)) return (v as unknown as ArrayLike<unknown>).length === 0 ? [] : undefined; // empty numeric array
  return undefined;
}

/** A list-of-strings attribute; Keras splits big ones into `name0`, `name1`, … */
function stringListAttr(obj: H5Group, name: string): string[] | undefined {
  const names = attrNames(obj);
  if (names.includes(name)) return decodeStrings(attrValue(obj, name)) ?? [];
  if (!names.includes(`${name}0`)) return undefined;
  const out: string[] = [];
  for (let i = 0; names.includes(`${name}${i}`); i++) out.push(...(decodeStrings(attrValue(obj, `${name}${i}`)) ?? []));
  return out;
}

function stringAttr(obj: H5Group, name: string): string | undefined {
  const v = attrValue(obj, name);
  if (typeof v === 'string') return stripNul(v);
  if (v instanceof Uint8Array) return stripNul(Buffer.from(v).toString('utf8'));
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return stripNul(v[0]);
  return undefined;
}

function tensorFromDataset(ds: H5Dataset, name: string, datasetPath: string, origin: TensorOrigin, owner: string | undefined, graphPath: string): TensorInfo {
  const m = ds.metadata;
  const dtype = dtypeOf(m);
  const shape = m.shape ? m.shape.map(Number) : [];
  const paramCount = m.shape ? product(shape) : 0;
  const elem = DTYPE_BYTES[dtype] ?? (dtype === 'string' ? 0 : m.size);
  const t: TensorInfo = {
    name,
    dtype,
    shape,
    paramCount,
    byteSize: paramCount * elem,
    origin,
    graphPath,
    location: m.shape ? { kind: 'hdf5', dataset: datasetPath } : { kind: 'none' },
  };
  if (owner !== undefined) t.owner = owner;
  return t;
}

/** Datasets below a group, depth first, children in name order (numbers numerically). */
function walkDatasets(f: H5File, groupPath: string, out: string[] = [], depth = 0): string[] {
  const g = asGroup(getEntity(f, groupPath));
  if (!g || depth > 64) return out;
  let keys: string[];
  try {
    keys = g.keys();
  } catch {
    return out;
  }
  keys.sort(compareNames);
  for (const k of keys) {
    const p = `${groupPath === '/' ? '' : groupPath}/${k}`;
    const e = getEntity(f, p);
    if (asDataset(e)) out.push(p);
    else if (asGroup(e)) walkDatasets(f, p, out, depth + 1);
  }
  return out;
}

function compareNames(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// model config

interface RawLayer {
  name: string;
  className: string;
  config: Json;
  inbound?: string[];
  /** how many times the layer is called (shared layers: more than 1) */
  nodeCount?: number;
}

interface ParsedConfig {
  modelClass?: string;
  modelName?: string;
  layers: RawLayer[];
  sequential: boolean;
  inputRefs?: LayerRef[];
  outputRefs?: LayerRef[];
}

/** Layer names referenced by inbound_nodes (Keras 1/2 `[[name, node, tensor, kwargs]]`, Keras 3 `keras_history`). */
function inboundNames(nodes: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 32) return;
    if (Array.isArray(v)) {
      if (v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number') {
        out.push(v[0]);
        return;
      }
      for (const x of v) visit(x, depth + 1);
    } else if (isObj(v)) {
      if (Array.isArray(v.keras_history) && typeof v.keras_history[0] === 'string') {
        out.push(v.keras_history[0]);
        return;
      }
      for (const x of Object.values(v)) visit(x, depth + 1);
    }
  };
  visit(nodes, 0);
  return [...new Set(out)];
}

interface LayerRef {
  name: string;
  tensor: number;
}

/** `input_layers` / `output_layers`: `[[name, node, tensor], …]`, or Keras 3's single `[name, node, tensor]`. */
function layerRefs(v: unknown): LayerRef[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const one = (r: unknown): LayerRef | undefined => {
    if (Array.isArray(r) && typeof r[0] === 'string') return { name: r[0], tensor: typeof r[2] === 'number' ? r[2] : 0 };
    if (isObj(r) && Array.isArray(r.keras_history) && typeof r.keras_history[0] === 'string') {
      return { name: r.keras_history[0], tensor: typeof r.keras_history[2] === 'number' ? r.keras_history[2] : 0 };
    }
    return undefined;
  };
  if (v.length >= 1 && typeof v[0] === 'string') {
    const r = one(v);
    return r ? [r] : [];
  }
  return v.map(one).filter((x): x is LayerRef => !!x);
}

function parseModelConfig(mc: Json): ParsedConfig {
  const modelClass = str(mc.class_name);
  const cfg = mc.config;
  let rawLayers: unknown[] = [];
  let modelName: string | undefined;
  if (Array.isArray(cfg)) rawLayers = cfg;
  else if (isObj(cfg)) {
    rawLayers = Array.isArray(cfg.layers) ? cfg.layers : [];
    modelName = str(cfg.name);
  }
  const sequential = modelClass === 'Sequential' || (isObj(cfg) && !('input_layers' in cfg) && Array.isArray(cfg.layers) && !rawLayers.some((l) => isObj(l) && 'inbound_nodes' in l));
  const layers: RawLayer[] = [];
  rawLayers.forEach((l, i) => {
    if (!isObj(l)) return;
    const config = isObj(l.config) ? l.config : {};
    const name = str(l.name) ?? str(config.name) ?? `layer_${i}`;
    const layer: RawLayer = { name, className: str(l.class_name) ?? 'unknown', config };
    if ('inbound_nodes' in l) layer.inbound = inboundNames(l.inbound_nodes);
    if (Array.isArray(l.inbound_nodes)) layer.nodeCount = l.inbound_nodes.length;
    layers.push(layer);
  });
  const parsed: ParsedConfig = { modelClass, modelName, layers, sequential };
  if (isObj(cfg)) {
    parsed.inputRefs = layerRefs(cfg.input_layers);
    parsed.outputRefs = layerRefs(cfg.output_layers);
  }
  return parsed;
}

const ATTR_KEYS = [
  'units',
  'activation',
  'recurrent_activation',
  'filters',
  'kernel_size',
  'strides',
  'padding',
  'dilation_rate',
  'pool_size',
  'rate',
  'return_sequences',
  'return_state',
  'stateful',
  'go_backwards',
  'reset_after',
  'use_bias',
  'merge_mode',
  'axis',
  'target_shape',
  'dims',
  'n',
  'input_dim',
  'output_dim',
  'size',
  'epsilon',
  'momentum',
  'data_format',
  'trainable',
  // Keras 1 names
  'nb_filter',
  'nb_row',
  'nb_col',
  'border_mode',
  'subsample',
  'p',
];

function attrValueOf(v: unknown): AttrValue | undefined {
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v) && v.length > 0 && v.length <= 8) {
    if (v.every((x) => typeof x === 'number')) return v as number[];
    if (v.every((x) => typeof x === 'string')) return v as string[];
  }
  if (isObj(v) && typeof v.class_name === 'string' && (v.config === undefined || isObj(v.config))) return v.class_name; // e.g. a custom activation
  return undefined;
}

function layerAttributes(l: RawLayer): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = {};
  const take = (cfg: Json, prefix = '') => {
    for (const k of ATTR_KEYS) {
      if (!(k in cfg) || `${prefix}${k}` in attrs) continue;
      const v = attrValueOf(cfg[k]);
      if (v !== undefined) attrs[`${prefix}${k}`] = v;
    }
  };
  take(l.config);
  // wrappers (Bidirectional, TimeDistributed): the wrapped layer's class and settings
  const inner = l.config.layer;
  if (isObj(inner) && typeof inner.class_name === 'string') {
    attrs.layer = inner.class_name;
    if (isObj(inner.config)) take(inner.config);
  }
  if (Array.isArray(l.config.layers)) attrs.layers = l.config.layers.length;
  return attrs;
}

function batchShapeOf(cfg: Json): Dim[] | null {
  const bs = toShape(cfg.batch_input_shape) ?? toShape(cfg.batch_shape);
  if (bs) return bs;
  const is = toShape(cfg.input_shape) ?? toShape(cfg.shape);
  if (is) return [null, ...is];
  if (typeof cfg.input_dim === 'number') return [null, cfg.input_dim];
  return null;
}

const SAME_SHAPE = new Set([
  'Activation',
  'Dropout',
  'AlphaDropout',
  'GaussianDropout',
  'GaussianNoise',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'BatchNormalization',
  'LayerNormalization',
  'ActivityRegularization',
  'Masking',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
]);
const RNNS = new Set(['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU']);

/**
 * Output shapes only where they follow plainly from the config: Dense (input with the last axis
 * replaced by `units`), RNNs, Flatten, global pooling and shape-keeping layers. Otherwise null.
 */
function makeShapeInference(layers: RawLayer[], sequential: boolean, firstInput: ValueInfo | undefined) {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const memo = new Map<string, Dim[] | null>();
  const inputOf = (l: RawLayer, i: number, depth: number): Dim[] | null => {
    if (sequential) {
      if (i === 0 || (i === 1 && layers[0].className === 'InputLayer')) {
        const own = batchShapeOf(l.config);
        if (own && l.className !== 'InputLayer') return own;
        return i === 0 ? firstInput?.shape ?? null : shapeOf(layers[0].name, 0, depth + 1);
      }
      return shapeOf(layers[i - 1].name, 0, depth + 1);
    }
    if (!l.inbound || l.inbound.length === 0) return null;
    // RNNs: the first input is the sequence, the others are initial states
    const rnn = RNNS.has(l.className) || l.className === 'Bidirectional';
    if (l.inbound.length !== 1 && !rnn) return null;
    return shapeOf(l.inbound[0], 0, depth + 1);
  };
  /** output `tensor` of an RNN: 0 the output, 1… the states (return_state) */
  const rnnOut = (cfg: Json, inp: Dim[] | null, factor: number, tensor: number): Dim[] | null => {
    if (!inp || inp.length !== 3 || typeof cfg.units !== 'number') return null;
    if (tensor > 0) return cfg.return_state === true && factor === 1 ? [inp[0], cfg.units] : null;
    const units = cfg.units * factor;
    return cfg.return_sequences === true ? [inp[0], inp[1], units] : [inp[0], units];
  };
  function shapeOf(name: string, tensor = 0, depth = 0): Dim[] | null {
    const key = `${name}\0${tensor}`;
    if (memo.has(key)) return memo.get(key)!;
    const l = byName.get(name);
    if (!l || depth > 200) return null;
    memo.set(key, null); // cycle guard
    const i = layers.indexOf(l);
    const cfg = l.config;
    let out: Dim[] | null = null;
    if (l.className === 'InputLayer') out = tensor === 0 ? batchShapeOf(cfg) : null;
    else if ((l.nodeCount ?? 1) > 1) out = null; // a shared layer: its shape depends on the call
    else if (RNNS.has(l.className)) out = rnnOut(cfg, inputOf(l, i, depth), 1, tensor);
    else if (tensor > 0) out = null;
    else {
      const inp = inputOf(l, i, depth);
      if (l.className === 'Dense' && inp && inp.length >= 2 && typeof cfg.units === 'number') out = [...inp.slice(0, -1), cfg.units];
      else if (l.className === 'Bidirectional' && isObj(cfg.layer) && isObj(cfg.layer.config) && RNNS.has(String(cfg.layer.class_name))) {
        const mode = cfg.merge_mode ?? 'concat';
        if (mode === 'concat' || mode === 'sum' || mode === 'mul' || mode === 'ave') out = rnnOut(cfg.layer.config, inp, mode === 'concat' ? 2 : 1, 0);
      } else if (l.className === 'Flatten' && inp && inp.length >= 2) {
        const rest = inp.slice(1);
        out = [inp[0], rest.every((d) => typeof d === 'number') ? product(rest as number[]) : null];
      } else if (/^Global(Average|Max)Pooling[123]D$/.test(l.className) && inp && inp.length >= 3 && cfg.keepdims !== true) {
        out = [inp[0], cfg.data_format === 'channels_first' ? inp[1] : inp[inp.length - 1]];
      } else if (SAME_SHAPE.has(l.className)) out = inp;
    }
    memo.set(key, out);
    return out;
  }
  return shapeOf;
}

// ---------------------------------------------------------------------------------------------
// summary building

interface WeightsScan {
  /** layer name → tensor names, in layer_names order */
  byLayer: Map<string, string[]>;
  tensors: TensorInfo[];
}

/** Keras 1/2 layout: `layer_names` on `group`, each layer group's `weight_names`, datasets at `<group>/<layer>/<weight>`. */
function scanKeras2Weights(f: H5File, groupPath: string, warnings: string[]): WeightsScan {
  const g = asGroup(getEntity(f, groupPath))!;
  const layerNames = stringListAttr(g, 'layer_names') ?? [];
  const byLayer = new Map<string, string[]>();
  const tensors: TensorInfo[] = [];
  const used = new Set<string>();
  const prefix = groupPath === '/' ? '' : groupPath;
  for (const ln of layerNames) {
    const names: string[] = [];
    byLayer.set(ln, names);
    const lg = asGroup(getEntity(f, `${prefix}/${ln}`));
    if (!lg) {
      warnings.push(`Layer ${ln} is listed in layer_names but has no group in the file.`);
      continue;
    }
    const weightNames = stringListAttr(lg, 'weight_names') ?? [];
    for (const wn of weightNames) {
      const dsPath = `${prefix}/${ln}/${wn}`;
      const ds = asDataset(getEntity(f, dsPath));
      if (!ds) {
        warnings.push(`Weight ${wn} of layer ${ln} is listed but missing (no dataset ${dsPath}).`);
        continue;
      }
      let name = wn;
      if (used.has(name)) name = `${ln}/${wn}`;
      used.add(name);
      names.push(name);
      tensors.push(tensorFromDataset(ds, name, dsPath, 'keras-weight', ln, ln));
    }
  }
  return { byLayer, tensors };
}

function scanKeras2Optimizer(f: H5File): TensorInfo[] {
  const g = asGroup(getEntity(f, '/optimizer_weights'));
  if (!g) return [];
  const listed = stringListAttr(g, 'weight_names');
  const paths = listed && listed.length ? listed.map((w) => `/optimizer_weights/${w}`) : walkDatasets(f, '/optimizer_weights');
  const out: TensorInfo[] = [];
  for (const p of paths) {
    const ds = asDataset(getEntity(f, p));
    if (ds) out.push(tensorFromDataset(ds, p.slice('/optimizer_weights/'.length), p, 'keras-optimizer', undefined, 'optimizer_weights'));
  }
  return out;
}

const V3_LAYER_GROUPS = ['/layers', '/_layer_checkpoint_dependencies'];

function isKeras3Weights(f: H5File): boolean {
  return V3_LAYER_GROUPS.some((p) => asGroup(getEntity(f, p)) !== null);
}

/** Keras's `naming.to_snake_case` (keras/src/utils/naming.py): 'QDense' → 'q_dense', 'Conv2DTranspose' → 'conv2d_transpose'. */
export function toSnakeCase(name: string): string {
  const s = name.replace(/[^\p{L}\p{N}_]+/gu, ''); // re.sub(r"\W+", "", name)
  return s
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** saving_lib's `_get_unique_name`: the first 'dense', then 'dense_1', 'dense_2', … (per container). */
function uniqueName(name: string, used: Map<string, number>): string {
  const n = used.get(name);
  if (n === undefined) {
    used.set(name, 0);
    return name;
  }
  used.set(name, n + 1);
  return `${name}_${n + 1}`;
}

/** A layer of a model config, as Keras 3's saving walks it: nested models (config.layers) hold their own layers. */
interface V3Entry {
  name: string;
  className: string;
  layers?: V3Entry[];
}

function v3Entries(layers: unknown[], depth = 0): V3Entry[] {
  const out: V3Entry[] = [];
  layers.forEach((l, i) => {
    if (!isObj(l)) return;
    const config = isObj(l.config) ? l.config : {};
    const e: V3Entry = { name: str(l.name) ?? str(config.name) ?? `layer_${i}`, className: str(l.class_name) ?? '' };
    if (Array.isArray(config.layers) && depth < 32) e.layers = v3Entries(config.layers, depth + 1);
    out.push(e);
  });
  return out;
}

/** The layer list of a Keras 3 model config (`config.layers`). */
function keras3ConfigLayers(mc: Json | undefined): unknown[] {
  const cfg = mc?.config;
  if (Array.isArray(cfg)) return cfg;
  return isObj(cfg) && Array.isArray(cfg.layers) ? cfg.layers : [];
}

function groupKeys(f: H5File, p: string): string[] {
  const g = asGroup(getEntity(f, p));
  if (!g) return [];
  try {
    return g.keys();
  } catch {
    return [];
  }
}

/** The layer name Keras ≥ 3.6 records on a saveable's `vars` group (attribute `name`). */
function storedName(f: H5File, groupPath: string): string | undefined {
  const v = asGroup(getEntity(f, `${groupPath}/vars`));
  return v ? stringAttr(v, 'name') : undefined;
}

/** saving_lib visits attributes in sorted order, private ones (`_…`) last (`_name_key`); a saveable's own `vars` come first. */
function saveOrder(keys: string[]): string[] {
  const k = (s: string) => (s.startsWith('_') ? `~${s}` : s);
  return [...keys].sort((a, b) => (a === 'vars' ? -1 : b === 'vars' ? 1 : natural(k(a), k(b))));
}

/** 'dense' < 'dense_1' < 'dense_2' < 'dense_10': the order `_get_unique_name` hands the names out in. */
function natural(a: string, b: string): number {
  const ma = /^(.*?)(?:_(\d+))?$/.exec(a)!;
  const mb = /^(.*?)(?:_(\d+))?$/.exec(b)!;
  if (ma[1] !== mb[1]) return a < b ? -1 : a > b ? 1 : 0;
  return Number(ma[2] ?? -1) - Number(mb[2] ?? -1);
}

/**
 * The children of a container group (`/layers`, or a nested model's `…/layers`) that hold the given
 * layers: saving_lib (`_save_container_state`) stores the layers of a list under the snake-case name of
 * their *class*, made unique in list order ('dense', 'dense_1', …), not under the layer's name. Keras ≥ 3.6
 * also writes the layer's name on its `vars` group, which wins when present.
 */
function matchContainer(f: H5File, containerPath: string, entries: V3Entry[]): Map<string, V3Entry> {
  const keys = groupKeys(f, containerPath);
  const present = new Set(keys);
  const byStored = new Map<string, string>();
  for (const k of keys) {
    const n = storedName(f, `${containerPath}/${k}`);
    if (n !== undefined && !byStored.has(n)) byStored.set(n, k);
  }
  const used = new Map<string, number>();
  const out = new Map<string, V3Entry>();
  for (const e of entries) {
    const computed = uniqueName(toSnakeCase(e.className), used);
    let key = byStored.get(e.name);
    if (key === undefined && present.has(computed)) {
      const n = storedName(f, `${containerPath}/${computed}`);
      if (n === undefined || n === e.name) key = computed;
    }
    if (key !== undefined && !out.has(key)) out.set(key, e);
  }
  // files not written by saving_lib that name the groups after the layers: what is left, by name
  const claimed = new Set(out.values());
  for (const e of entries) if (!claimed.has(e) && present.has(e.name) && !out.has(e.name)) out.set(e.name, e);
  return out;
}

/**
 * The datasets of one saveable at `groupPath`, in the order Keras saved them, named `<display>/<path below
 * the group>` with the layers of a nested model (`layers/<snake name>`) named by their layer names.
 */
function collectV3(f: H5File, groupPath: string, display: string, entry: V3Entry | undefined, out: Array<{ path: string; name: string }>, depth = 0): void {
  if (depth > 64) return;
  for (const k of saveOrder(groupKeys(f, groupPath))) {
    const p = `${groupPath}/${k}`;
    const e = getEntity(f, p);
    if (asDataset(e)) {
      out.push({ path: p, name: `${display}/${k}` });
      continue;
    }
    if (!asGroup(e)) continue;
    if (k === 'layers') {
      // a nested model's layers: in the config's order, named by their layer names
      const inner = entry?.layers ?? [];
      const matched = matchContainer(f, p, inner);
      const order = [...matched.keys()].sort((a, b) => inner.indexOf(matched.get(a)!) - inner.indexOf(matched.get(b)!));
      for (const ck of order) collectV3(f, `${p}/${ck}`, `${display}/${matched.get(ck)!.name}`, matched.get(ck), out, depth + 1);
      const names = new Set(inner.map((x) => x.name));
      for (const ck of groupKeys(f, p).filter((x) => !matched.has(x)).sort(natural)) {
        const stored = storedName(f, `${p}/${ck}`);
        collectV3(f, `${p}/${ck}`, stored !== undefined && !names.has(stored) ? `${display}/${stored}` : `${display}/layers/${ck}`, undefined, out, depth + 1);
      }
    } else if (k === 'vars') {
      for (const d of walkDatasets(f, p)) out.push({ path: d, name: `${display}${d.slice(groupPath.length)}` });
    } else collectV3(f, p, `${display}/${k}`, undefined, out, depth + 1);
  }
}

/**
 * Keras 3 layout (keras/src/saving/saving_lib.py `_save_state`): `layers/<snake-case class name>[_n]/vars/<i>`
 * for the model's layers in order, nested models under `…/layers/…`, sublayers under their attribute
 * names (`…/cell/vars/<i>`), the model's own `vars/<i>`, the optimizer's `optimizer/vars/<i>`. Layers
 * are mapped to their groups as saving_lib names them (see matchContainer); groups of other layers
 * are kept by their names (or the name Keras ≥ 3.6 stored) when they hold datasets.
 */
function scanKeras3Weights(f: H5File, configLayers: unknown[], modelName: string | undefined, warnings: string[]): WeightsScan & { optimizer: TensorInfo[] } {
  const byLayer = new Map<string, string[]>();
  const tensors: TensorInfo[] = [];
  const entries = v3Entries(configLayers);
  const add = (owner: string, found: Array<{ path: string; name: string }>) => {
    if (!found.length) return;
    const names = byLayer.get(owner) ?? [];
    byLayer.set(owner, names);
    for (const { path: p, name } of found) {
      names.push(name);
      tensors.push(tensorFromDataset(asDataset(getEntity(f, p))!, name, p, 'keras-weight', owner, owner));
    }
  };
  const configNames = new Set(entries.map((e) => e.name));
  for (const root of V3_LAYER_GROUPS) {
    if (!asGroup(getEntity(f, root))) continue;
    const matched = matchContainer(f, root, entries);
    for (const e of entries) {
      const key = [...matched].find(([, m]) => m === e)?.[0];
      if (key === undefined) continue;
      const found: Array<{ path: string; name: string }> = [];
      collectV3(f, `${root}/${key}`, e.name, e, found);
      add(e.name, found);
    }
    for (const key of groupKeys(f, root).filter((k) => !matched.has(k)).sort(natural)) {
      let owner = storedName(f, `${root}/${key}`) ?? key;
      if (configNames.has(owner) || byLayer.has(owner)) owner = `${root.slice(1)}/${key}`;
      const found: Array<{ path: string; name: string }> = [];
      collectV3(f, `${root}/${key}`, owner, undefined, found);
      add(owner, found);
    }
  }
  // the model's own variables (rare; usually an empty group)
  const own = walkDatasets(f, '/vars');
  if (own.length) {
    const owner = modelName ?? 'model';
    const names: string[] = [];
    for (const p of own) {
      const name = p.slice(1);
      names.push(name);
      tensors.push(tensorFromDataset(asDataset(getEntity(f, p))!, name, p, 'keras-weight', owner, owner));
    }
    byLayer.set(owner, [...(byLayer.get(owner) ?? []), ...names]);
  }
  const optimizer: TensorInfo[] = [];
  for (const p of walkDatasets(f, '/optimizer')) {
    optimizer.push(tensorFromDataset(asDataset(getEntity(f, p))!, p.slice(1), p, 'keras-optimizer', undefined, 'optimizer'));
  }
  let others = 0;
  for (const k of (asGroup(getEntity(f, '/')) as H5Group).keys()) {
    if (['layers', '_layer_checkpoint_dependencies', 'vars', 'optimizer'].includes(k)) continue;
    others += walkDatasets(f, `/${k}`).length;
  }
  if (others) warnings.push(`${others} stored variable(s) outside layers/ and optimizer/ (e.g. metric state) are not counted as model weights.`);
  return { byLayer, tensors, optimizer };
}

interface BuildInput {
  abs: string;
  fileSize: number;
  format: ModelFormat;
  weightsOnly: boolean;
  modelConfig?: Json;
  trainingConfig?: Json;
  kerasVersion?: string;
  backend?: string;
  metadata: Record<string, string>;
  scan: WeightsScan;
  optimizer: TensorInfo[];
  warnings: string[];
}

function buildSummary(b: BuildInput): ModelSummary {
  const warnings = b.warnings;
  const parsed: ParsedConfig | undefined = b.modelConfig ? parseModelConfig(b.modelConfig) : undefined;
  const layers: KerasLayer[] = [];
  const nodes: NodeInfo[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];

  const rawLayers: RawLayer[] = parsed ? [...parsed.layers] : [];
  const known = new Set(rawLayers.map((l) => l.name));
  for (const ln of b.scan.byLayer.keys()) {
    if (known.has(ln)) continue;
    rawLayers.push({ name: ln, className: 'unknown', config: {} });
    if (parsed) warnings.push(`Layer ${ln} has weights in the file but is not in the model config.`);
  }

  if (parsed) {
    // inputs
    const byName = new Map(parsed.layers.map((l) => [l.name, l]));
    const inputInfo = (l: RawLayer | undefined, name: string): ValueInfo => ({
      name,
      dtype: (l && configDtype(l.config.dtype)) ?? 'float32',
      shape: l ? batchShapeOf(l.config) : null,
    });
    if (parsed.inputRefs && parsed.inputRefs.length) {
      for (const r of parsed.inputRefs) inputs.push(inputInfo(byName.get(r.name), r.name));
    } else if (parsed.sequential && parsed.layers.length) {
      const first = parsed.layers[0];
      inputs.push(inputInfo(first, first.className === 'InputLayer' ? first.name : `${first.name}_input`));
    } else {
      for (const l of parsed.layers) if (l.className === 'InputLayer') inputs.push(inputInfo(l, l.name));
    }
    // outputs
    const shapeOf = makeShapeInference(parsed.layers, parsed.sequential, inputs[0]);
    let outRefs = parsed.outputRefs && parsed.outputRefs.length ? parsed.outputRefs : undefined;
    if (!outRefs && parsed.sequential && parsed.layers.length) outRefs = [{ name: parsed.layers[parsed.layers.length - 1].name, tensor: 0 }];
    if (!outRefs) {
      const consumed = new Set(parsed.layers.flatMap((l) => l.inbound ?? []));
      outRefs = parsed.layers.filter((l) => l.className !== 'InputLayer' && !consumed.has(l.name)).map((l) => ({ name: l.name, tensor: 0 }));
    }
    // a layer with several outputs (an RNN with return_state) is named layer:0, layer:1, …
    const several = new Set(outRefs.filter((r, i) => outRefs!.some((q, j) => j !== i && q.name === r.name) || r.tensor > 0).map((r) => r.name));
    for (const r of outRefs) {
      const l = byName.get(r.name);
      outputs.push({
        name: several.has(r.name) ? `${r.name}:${r.tensor}` : r.name,
        dtype: (l && configDtype(l.config.dtype)) ?? 'float32',
        shape: shapeOf(r.name, r.tensor),
      });
    }
    // implied Sequential connections
    if (parsed.sequential) {
      parsed.layers.forEach((l, i) => {
        if (l.inbound) return;
        if (i > 0) l.inbound = [parsed.layers[i - 1].name];
        else if (l.className !== 'InputLayer' && inputs[0]) l.inbound = [inputs[0].name];
      });
    }
  } else if (b.weightsOnly) {
    warnings.push('Weights-only file: the architecture (layer types, inputs, outputs) is not stored in it.');
  }

  for (const l of rawLayers) {
    const layer: KerasLayer = { name: l.name, className: l.className, weights: b.scan.byLayer.get(l.name) ?? [] };
    if (parsed && known.has(l.name)) layer.config = l.config;
    if (l.inbound) layer.inbound = l.inbound;
    layers.push(layer);
    nodes.push({
      name: l.name,
      opType: l.className,
      domain: 'keras',
      graphPath: '',
      inputs: l.inbound ?? [],
      outputs: [l.name],
      attributes: layerAttributes(l),
    });
  }

  const opHistogram: Record<string, number> = {};
  for (const n of nodes) opHistogram[n.opType] = (opHistogram[n.opType] ?? 0) + 1;
  const tensors = b.scan.tensors;
  const parameterCount = tensors.reduce((a, t) => a + t.paramCount, 0);
  const graph: GraphInfo = {
    path: '',
    name: parsed?.modelName ?? path.basename(b.abs).replace(/\.[^.]*$/, ''),
    nodeCount: nodes.length,
    initializerCount: tensors.length,
    inputs,
    outputs,
  };
  const keras: KerasInfo = { layers, optimizerWeights: b.optimizer, weightsOnly: b.weightsOnly };
  if (b.kerasVersion) keras.kerasVersion = b.kerasVersion;
  if (b.backend) keras.backend = b.backend;
  if (parsed?.modelClass) keras.modelClass = parsed.modelClass;
  if (b.modelConfig) keras.modelConfig = b.modelConfig;
  if (b.trainingConfig) keras.trainingConfig = b.trainingConfig;
  const summary: ModelSummary = {
    format: b.format,
    path: b.abs,
    fileSize: b.fileSize,
    opsets: [],
    metadata: b.metadata,
    inputs,
    outputs,
    nodes,
    graphs: [graph],
    opHistogram,
    tensors,
    parameterCount,
    keras,
    warnings,
  };
  if (b.kerasVersion) summary.producer = { name: 'keras', version: b.kerasVersion };
  return summary;
}

export function parseJsonAttr(abs: string, name: string, text: string | undefined, what: string): Json | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (isObj(v)) return v;
  } catch {
    /* fall through */
  }
  throw new ModelFormatError('CORRUPT', abs, `${name}: the ${what} stored in the file is not valid JSON.`);
}

/** Open with h5wasm; throws ModelFormatError when HDF5 cannot open it. Caller closes. */
function openH5(h5: H5Module, h5path: string, abs: string, stderr: () => string): H5File {
  let f: H5File;
  try {
    f = new h5.File(h5path, 'r');
  } catch (e) {
    throw new ModelFormatError('CORRUPT', abs, `${path.basename(abs)} could not be opened as HDF5: ${(e as Error).message}`);
  }
  if (typeof f.file_id !== 'bigint' || f.file_id < 0n) {
    const reason = hdf5Reason(stderr());
    const truncated = /truncated/i.test(stderr());
    throw new ModelFormatError(
      truncated ? 'TRUNCATED' : 'CORRUPT',
      abs,
      `${path.basename(abs)} is a damaged HDF5 file; HDF5 could not open it${reason ? ` (${reason})` : ''}.`,
    );
  }
  return f;
}

function closeQuietly(f: H5File | undefined): void {
  if (!f) return;
  try {
    f.close();
  } catch {
    /* ignore */
  }
}

/** Summarize an open HDF5 file (synchronous; runs inside captureStderr). */
function summarizeH5(f: H5File, abs: string, fileSize: number, v3?: { config?: Json; metadata: Record<string, string> }): ModelSummary {
  const name = path.basename(abs);
  const root = asGroup(getEntity(f, '/'));
  if (!root) throw new ModelFormatError('CORRUPT', abs, `${name}: the HDF5 root group cannot be read.`);
  const warnings: string[] = [];
  const rootAttrs = attrNames(root);

  if (v3) {
    if (!isKeras3Weights(f)) {
      throw new ModelFormatError('NOT_KERAS', abs, `${name}: model.weights.h5 inside the archive does not have the Keras 3 layout (no layers/ group).`);
    }
    const parsed = v3.config ? parseModelConfig(v3.config) : undefined;
    const scan = scanKeras3Weights(f, keras3ConfigLayers(v3.config), parsed?.modelName, warnings);
    const cc = v3.config?.compile_config;
    return buildSummary({
      abs,
      fileSize,
      format: 'keras-v3',
      weightsOnly: !v3.config,
      modelConfig: v3.config,
      trainingConfig: isObj(cc) ? cc : undefined,
      kerasVersion: v3.metadata.keras_version,
      metadata: v3.metadata,
      scan,
      optimizer: scan.optimizer,
      warnings,
    });
  }

  const metadata: Record<string, string> = {};
  for (const a of rootAttrs) {
    if (a === 'model_config' || a === 'training_config') continue;
    const s = stringAttr(root, a);
    if (s !== undefined) metadata[a] = s;
  }
  const kerasVersion = metadata.keras_version;
  const backend = metadata.backend;

  if (rootAttrs.includes('model_config')) {
    const modelConfig = parseJsonAttr(abs, name, stringAttr(root, 'model_config'), 'model_config');
    const trainingConfig = rootAttrs.includes('training_config') ? parseJsonAttr(abs, name, stringAttr(root, 'training_config'), 'training_config') : undefined;
    const mw = asGroup(getEntity(f, '/model_weights'));
    let scan: WeightsScan = { byLayer: new Map(), tensors: [] };
    if (mw && (attrNames(mw).includes('layer_names') || attrNames(mw).includes('layer_names0'))) scan = scanKeras2Weights(f, '/model_weights', warnings);
    else warnings.push('The file has a model config but no model_weights group: no weights are stored.');
    return buildSummary({
      abs,
      fileSize,
      format: 'keras-h5',
      weightsOnly: false,
      modelConfig,
      trainingConfig,
      kerasVersion,
      backend,
      metadata,
      scan,
      optimizer: scanKeras2Optimizer(f),
      warnings,
    });
  }
  if (rootAttrs.includes('layer_names') || rootAttrs.includes('layer_names0')) {
    return buildSummary({
      abs,
      fileSize,
      format: 'keras-weights-h5',
      weightsOnly: true,
      kerasVersion,
      backend,
      metadata,
      scan: scanKeras2Weights(f, '/', warnings),
      optimizer: scanKeras2Optimizer(f),
      warnings,
    });
  }
  const mw = asGroup(getEntity(f, '/model_weights'));
  if (mw && attrNames(mw).includes('layer_names')) {
    warnings.push('The file has a model_weights group but no model_config: read as weights only.');
    return buildSummary({
      abs,
      fileSize,
      format: 'keras-weights-h5',
      weightsOnly: true,
      kerasVersion,
      backend,
      metadata,
      scan: scanKeras2Weights(f, '/model_weights', warnings),
      optimizer: scanKeras2Optimizer(f),
      warnings,
    });
  }
  if (isKeras3Weights(f)) {
    // a Keras 3 `.weights.h5` (model.save_weights): weights by layer, no architecture
    const scan = scanKeras3Weights(f, [], undefined, warnings);
    return buildSummary({ abs, fileSize, format: 'keras-weights-h5', weightsOnly: true, kerasVersion, backend, metadata, scan, optimizer: scan.optimizer, warnings });
  }
  let top: string[] = [];
  try {
    top = root.keys().slice(0, 5);
  } catch {
    /* ignore */
  }
  throw new ModelFormatError(
    'NOT_KERAS',
    abs,
    `${name} is an HDF5 file but not a Keras model: it has no model_config or layer_names attribute${top.length ? ` (top-level entries: ${top.join(', ')})` : ''}.`,
  );
}


// ---------------------------------------------------------------------------------------------
// entry points (run in the worker, or in-process)

/** What keras.ts learned from a `.keras` archive besides its model.weights.h5. */
export interface ArchiveInfo {
  config?: Json;
  metadata: Record<string, string>;
}

/**
 * Summarize the HDF5 file `h5path`. `abs`/`fileSize` describe the file the user named (for a `.keras`
 * archive, the archive; `h5path` is then its extracted model.weights.h5 and `archive` is set).
 */
export function summarizeHdf5File(h5: H5Module, h5path: string, abs: string, fileSize: number, archive?: ArchiveInfo): ModelSummary {
  const abortsBefore = aborts;
  return captureStderr((stderr) => {
    let f: H5File | undefined;
    try {
      f = openH5(h5, h5path, abs, stderr);
      const s = summarizeH5(f, abs, fileSize, archive);
      checkNoAbort(abortsBefore, abs, stderr);
      if (archive && !archive.config) s.warnings.push('The archive has no config.json: the architecture is unknown.');
      const text = stderr().trim();
      if (text) {
        const reason = hdf5Reason(text) ?? text.split('\n')[0].slice(0, 200);
        s.warnings.push(`HDF5 reported errors while reading the file, which may be damaged: ${reason}`);
      }
      return s;
    } catch (e) {
      checkNoAbort(abortsBefore, abs, stderr);
      throw asFormatError(e, abs, stderr);
    } finally {
      closeQuietly(f);
    }
  });
}

/** Read the values of `tensors` from the HDF5 file `h5path` (see summarizeHdf5File for `abs`). */
export function readHdf5Tensors(h5: H5Module, h5path: string, abs: string, tensors: TensorInfo[]): TensorData[] {
  const abortsBefore = aborts;
  return captureStderr((stderr) => {
    let f: H5File | undefined;
    try {
      f = openH5(h5, h5path, abs, stderr);
      const out = tensors.map((t) => readOne(h5, f!, abs, t));
      checkNoAbort(abortsBefore, abs, stderr);
      return out;
    } catch (e) {
      checkNoAbort(abortsBefore, abs, stderr);
      throw asFormatError(e, abs, stderr);
    } finally {
      closeQuietly(f);
    }
  });
}

/** HDF5 (WebAssembly) aborted during this call: whatever was read may be garbage. */
function checkNoAbort(abortsBefore: number, abs: string, stderr: () => string): void {
  if (aborts === abortsBefore) return;
  const reason = hdf5Reason(stderr());
  throw new ModelFormatError(
    'CORRUPT',
    abs,
    `${path.basename(abs)} is damaged: the HDF5 library stopped on it${reason ? ` (${reason})` : ''}.`,
  );
}

function asFormatError(e: unknown, abs: string, stderr: () => string): ModelFormatError {
  if (e instanceof ModelFormatError) return e;
  const reason = hdf5Reason(stderr());
  return new ModelFormatError(
    'CORRUPT',
    abs,
    `${path.basename(abs)} could not be read; the file looks damaged (${reason ?? (e as Error)?.message ?? String(e)}).`,
  );
}

/** The dataset of `t`, checked to have the shape the summary gave it. */
function datasetOf(f: H5File, abs: string, t: TensorInfo): { ds: H5Dataset; dataset: string; shape: number[]; dtype: DType } {
  const name = path.basename(abs);
  if (t.location.kind !== 'hdf5') throw new ModelFormatError('UNSUPPORTED', abs, `${t.name} is not stored in an HDF5 dataset.`);
  const ds = asDataset(getEntity(f, t.location.dataset));
  if (!ds) {
    throw new ModelFormatError('CORRUPT', abs, `${name} has no dataset ${t.location.dataset} (was the file changed since it was summarized?).`);
  }
  const m = ds.metadata;
  const shape = (m.shape ?? []).map(Number);
  if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
    throw new ModelFormatError(
      'CORRUPT',
      abs,
      `${name}: ${t.name} has shape [${shape.join(',')}], not [${t.shape.join(',')}] (was the file changed since it was summarized?).`,
    );
  }
  return { ds, dataset: t.location.dataset, shape, dtype: dtypeOf(m) };
}

function readOne(h5: H5Module, f: H5File, abs: string, t: TensorInfo): TensorData {
  if (t.location.kind === 'none') return { dtype: t.dtype, shape: t.shape, data: emptyData(t.dtype) };
  const { ds, dataset, shape, dtype } = datasetOf(f, abs, t);
  if (dtype === 'float16') return { dtype, shape, data: readFloat16(h5, f, dataset, product(shape)) };
  const v = ds.value;
  return { dtype, shape, data: toTyped(dtype, v, abs, t.name) };
}

/**
 * The box (offset and count per dimension) that holds exactly the elements [start, start + count) of a
 * C-order array of `shape`, or undefined when those elements do not form one box.
 */
export function flatRangeBox(shape: number[], start: number, count: number): { offset: number[]; count: number[] } | undefined {
  const total = product(shape);
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(count) && start >= 0 && count > 0 && start + count <= total)) return undefined;
  if (shape.length === 0) return { offset: [], count: [] };
  let inner = total;
  for (let k = 0; k < shape.length; k++) {
    inner /= shape[k]; // elements per index of axis k
    if (start % inner !== 0 || count % inner !== 0) continue;
    const first = start / inner; // index into the first k+1 axes, flattened
    const n = count / inner;
    const along = first % shape[k];
    if (along + n > shape[k]) continue;
    const offset = new Array<number>(shape.length).fill(0);
    const cnt = shape.slice();
    offset[k] = along;
    cnt[k] = n;
    let outer = Math.floor(first / shape[k]);
    for (let i = k - 1; i >= 0; i--) {
      offset[i] = outer % shape[i];
      cnt[i] = 1;
      outer = Math.floor(outer / shape[i]);
    }
    return { offset, count: cnt };
  }
  return undefined;
}

/**
 * Consecutive element ranges [start, count) covering a C-order array of `shape`, each one box of at
 * most `maxElements` elements (or one row of the last axis, when even that is larger), in order.
 */
export function boxRanges(shape: number[], maxElements: number): Array<[number, number]> {
  const total = product(shape);
  const out: Array<[number, number]> = [];
  if (total === 0) return out;
  if (total <= maxElements || shape.length === 0) return [[0, total]];
  // the outermost axis k whose inner block (elements per index of k) fits; ranges run along axis k
  let inner = total;
  let k = 0;
  for (; k < shape.length; k++) {
    inner /= shape[k];
    if (inner <= maxElements) break;
  }
  if (k === shape.length) k = shape.length - 1;
  const per = Math.max(1, Math.floor(maxElements / inner)); // indices of axis k per range
  const rows = total / (inner * shape[k]); // index tuples of the axes before k
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < shape[k]; j += per) {
      const n = Math.min(per, shape[k] - j);
      out.push([(r * shape[k] + j) * inner, n * inner]);
    }
  }
  return out;
}

/** Elements [start, start + count) of one weight (C order); the range must be one box (see boxRanges). */
export function readHdf5TensorRange(h5: H5Module, h5path: string, abs: string, t: TensorInfo, start: number, count: number): TensorData {
  const abortsBefore = aborts;
  return captureStderr((stderr) => {
    let f: H5File | undefined;
    try {
      f = openH5(h5, h5path, abs, stderr);
      const { ds, dataset, dtype } = datasetOf(f, abs, t);
      const box = flatRangeBox(t.shape, start, count);
      if (!box) throw new ModelFormatError('UNSUPPORTED', abs, `elements ${start}–${start + count} of ${t.name} [${t.shape.join(',')}] are not one block of the array.`);
      let data: TensorData['data'];
      if (dtype === 'float16') data = readFloat16(h5, f, dataset, count, box);
      else if (dtype === 'string' || dtype === 'compound' || dtype === 'unknown') {
        throw new ModelFormatError('UNSUPPORTED', abs, `${path.basename(abs)}: ${t.name} (${dtype}) cannot be read in parts.`);
      } else data = toTyped(dtype, ds.slice(box.offset.map((o, i) => [o, o + box.count[i]])), abs, t.name);
      if (data.length !== count) {
        throw new ModelFormatError('CORRUPT', abs, `${path.basename(abs)}: reading elements ${start}–${start + count} of ${t.name} gave ${data.length} values.`);
      }
      checkNoAbort(abortsBefore, abs, stderr);
      return { dtype, shape: [count], data };
    } catch (e) {
      checkNoAbort(abortsBefore, abs, stderr);
      throw asFormatError(e, abs, stderr);
    } finally {
      closeQuietly(f);
    }
  });
}

function emptyData(dtype: DType): TensorData['data'] {
  return dtype === 'string' ? [] : new Float32Array(0);
}

function toTyped(dtype: DType, v: unknown, abs: string, name: string): TensorData['data'] {
  if (dtype === 'string') {
    if (Array.isArray(v)) return v.map((x) => String(x));
    return v === null || v === undefined ? [] : [String(v)];
  }
  if (dtype === 'bool' && ArrayBuffer.isView(v)) {
    const a = v as Int8Array;
    return new Uint8Array(a.buffer, a.byteOffset, a.length);
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as TensorData['data'];
  // scalars come back as plain numbers / bigints
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
    switch (dtype) {
      case 'float64':
        return Float64Array.of(Number(v));
      case 'float32':
        return Float32Array.of(Number(v));
      case 'int8':
        return Int8Array.of(Number(v));
      case 'uint8':
      case 'bool':
        return Uint8Array.of(Number(v));
      case 'int16':
        return Int16Array.of(Number(v));
      case 'uint16':
        return Uint16Array.of(Number(v));
      case 'int32':
        return Int32Array.of(Number(v));
      case 'uint32':
        return Uint32Array.of(Number(v));
      case 'int64':
        return BigInt64Array.of(BigInt(v));
      case 'uint64':
        return BigUint64Array.of(BigInt(v));
    }
  }
  throw new ModelFormatError('UNSUPPORTED', abs, `${path.basename(abs)}: values of ${name} (${dtype}) cannot be read.`);
}

/** h5wasm refuses float16 in `Dataset.value`: read the raw (little-endian) bytes and decode them. */
function readFloat16(h5: H5Module, f: H5File, dataset: string, count: number, box?: { offset: number[]; count: number[] }): Float32Array {
  const mod = h5.Module as unknown as {
    _malloc(n: number): number;
    _free(p: number): void;
    HEAPU8: Uint8Array;
    get_dataset_data(fileId: bigint, p: string, c: bigint[] | null, o: bigint[] | null, s: bigint[] | null, ptr: bigint): number;
  };
  const nbytes = count * 2;
  const out = new Float32Array(count);
  if (count === 0) return out;
  const ptr = mod._malloc(nbytes);
  if (!ptr) throw new Error(`cannot allocate ${nbytes} bytes`);
  try {
    if (box) {
      const big = (a: number[]) => a.map((x) => BigInt(x));
      mod.get_dataset_data(f.file_id, dataset, big(box.count), big(box.offset), box.count.map(() => 1n), BigInt(ptr));
    } else mod.get_dataset_data(f.file_id, dataset, null, null, null, BigInt(ptr));
    const bytes = mod.HEAPU8.slice(ptr, ptr + nbytes);
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = halfToFloat(u16[i]);
  } finally {
    mod._free(ptr);
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

