/**
 * PyTorch reader: zip checkpoints written by `torch.save` (PyTorch 1.6 and later) and TorchScript
 * archives written by `torch.jit.save`.
 *
 * The archive's `data.pkl` is read by a restricted unpickler (./pickle.ts) that runs no code: it
 * allows only the globals a state_dict, a checkpoint or a TorchScript module needs (OrderedDict, the
 * tensor and parameter rebuild functions, the storage classes, torch.device/Size/dtypes, TorchScript
 * `__torch__.*` classes as inert records, …) and refuses anything else by name. Each storage is a zip
 * entry `<archive>/data/<key>` (TorchScript constants: `<archive>/constants/<key>`); a tensor is a
 * view of one (element offset, shape, strides). Summaries record where each tensor's bytes are;
 * `readPytorchTensor` reads one tensor's values with positional reads.
 *
 * Tensor names are the dotted paths of keys and attributes through the pickled object (`fc.weight`;
 * in a checkpoint `model.fc.weight`). Tensors under a dict with `state` and `param_groups` (an
 * optimizer's state_dict) are reported apart, in `pytorch.optimizerTensors`, and not counted as
 * parameters. Numbers and strings of a checkpoint (epoch, learning rates, …) become metadata.
 * The legacy (pre-1.6, non-zip) format is refused with a message in ./index.ts.
 */
import { ModelFormatError } from './errors';
import { PickleError, PickleRefused, PickleRefusedGlobal, PyCallable, PyDict, PyObject, PyTuple, typeName, unpickle, type PyRecord, type PyValue } from './pickle';
import type { ModelSummary, NodeInfo, PyTorchInfo, TensorData, TensorInfo } from './types';
import { openModelFile, type OpenedModelFile } from './openFile';
import { entryDataStarts, readEntry, readRange, readZipDirectory, type ZipEntry } from './zip';

/** torch.<Name>Storage → element type and size. */
const STORAGE_TYPES: Record<string, [string, number]> = {
  FloatStorage: ['float32', 4],
  DoubleStorage: ['float64', 8],
  HalfStorage: ['float16', 2],
  BFloat16Storage: ['bfloat16', 2],
  LongStorage: ['int64', 8],
  IntStorage: ['int32', 4],
  ShortStorage: ['int16', 2],
  CharStorage: ['int8', 1],
  ByteStorage: ['uint8', 1],
  BoolStorage: ['bool', 1],
  ComplexFloatStorage: ['complex64', 8],
  ComplexDoubleStorage: ['complex128', 16],
  UInt16Storage: ['uint16', 2],
  UInt32Storage: ['uint32', 4],
  UInt64Storage: ['uint64', 8],
  Float8_e4m3fnStorage: ['float8e4m3fn', 1],
  Float8_e5m2Storage: ['float8e5m2', 1],
  Float8_e4m3fnuzStorage: ['float8e4m3fnuz', 1],
  Float8_e5m2fnuzStorage: ['float8e5m2fnuz', 1],
};

const ELEMENT_BYTES: Record<string, number> = Object.fromEntries(Object.values(STORAGE_TYPES));

/** torch dtypes that may appear as values (e.g. in _rebuild_tensor_v3 or a checkpoint's config). */
const TORCH_DTYPES = new Set([
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int64', 'long', 'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool',
  'complex64', 'cfloat', 'complex128', 'cdouble', 'uint16', 'uint32', 'uint64', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz',
]);

/** Tensor kinds torch pickles with their own rebuild function, which we do not read. */
const UNSUPPORTED_REBUILDS: Record<string, string> = {
  _rebuild_qtensor: 'quantized tensors',
  _rebuild_sparse_tensor: 'sparse tensors',
  _rebuild_sparse_csr_tensor: 'sparse CSR tensors',
  _rebuild_nested_tensor: 'nested tensors',
  _rebuild_meta_tensor_no_storage: 'meta tensors (no data)',
  _rebuild_wrapper_subclass: 'tensor subclasses',
  _rebuild_device_tensor_from_numpy: 'device tensors saved from numpy',
  _rebuild_xla_tensor: 'XLA tensors',
  _rebuild_mlc_tensor: 'MLC tensors',
  _rebuild_from_type: 'tensor subclasses',
  _rebuild_from_type_v2: 'tensor subclasses',
};

class StorageType implements PyRecord {
  readonly pyKind = 'storage type';
  constructor(
    readonly name: string,
    readonly dtype: string,
    readonly elementBytes: number,
  ) {}
}

class Storage implements PyRecord {
  readonly pyKind = 'storage';
  constructor(
    readonly key: string,
    readonly type: StorageType,
    readonly device: string,
    readonly numel: number,
    /** zip entry name of its bytes */
    readonly entry: string,
  ) {}
}

class Tensor implements PyRecord {
  readonly pyKind = 'tensor';
  parameter = false;
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

class PickleArgError extends PickleError {}

function intTuple(v: PyValue | undefined, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined;
  if (!items) throw new PickleArgError(`a tensor's ${what} is a ${typeName(v)}, not a tuple`);
  return items.map((x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new PickleArgError(`a tensor's ${what} holds ${typeName(x)} ${String(x)}, not a non-negative integer`);
    return x;
  });
}

function rebuildTensor(fn: string, args: PyValue[]): Tensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof Storage)) throw new PickleArgError(`${fn} is given a ${typeName(storage)} where a storage belongs`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new PickleArgError(`${fn} is given the storage offset ${String(offset)}`);
  const shape = intTuple(size, 'shape');
  const strides = intTuple(stride, 'strides');
  if (strides.length !== shape.length) throw new PickleArgError(`a tensor has ${shape.length} dimensions but ${strides.length} strides`);
  return new Tensor(storage, offset, shape, strides);
}

interface PickleContext {
  archive: string;
  /** 'data' for data.pkl, 'constants' for TorchScript's constants.pkl */
  folder: string;
  torchscript: boolean;
  entries: Map<string, ZipEntry>;
  storages: Map<string, Storage>;
  fileName: string;
}

function refuse(module: string, name: string, ctx: PickleContext, why?: string): never {
  const full = clip(`${module}.${name}`);
  const base =
    `${ctx.fileName}: its ${ctx.folder}.pkl asks for the Python global ${full}, which was refused (nothing in the file was run). ` +
    'modelver reads only what a state_dict, a checkpoint or a TorchScript module needs: dicts, lists, numbers, strings, tensors and their storages.';
  let hint = '';
  if (why) hint = ` ${why}`;
  else if (/^[A-Z]/.test(name) && !/^(os|posix|nt|subprocess|builtins|__builtin__|sys|shutil|socket|pty|runpy|importlib|eval|exec)$/.test(module)) {
    hint = ` ${full} looks like a class: a file that holds a whole pickled model or another Python object needs the code that defined it. Save the weights instead: torch.save(model.state_dict(), path).`;
  }
  throw new PickleRefusedGlobal(module, name, base + hint);
}

function resolveGlobal(module: string, name: string, ctx: PickleContext): PyValue {
  const full = `${module}.${name}`;
  switch (full) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case '__builtin__.dict':
      return new PyCallable(full, (args) => {
        const d = new PyDict();
        const init = args[0];
        if (init !== undefined && init !== null) {
          const pairs = Array.isArray(init) ? init : init instanceof PyTuple ? init.items : undefined;
          if (!pairs) throw new PickleArgError(`${full} is given a ${typeName(init)}`);
          for (const p of pairs) {
            if (!(p instanceof PyTuple) || p.items.length !== 2) throw new PickleArgError(`${full} is given an item that is not a pair`);
            d.set(p.items[0], p.items[1]);
          }
        }
        return d;
      });
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor_v3':
      return new PyCallable(full, (args) => rebuildTensor(name, args));
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return new PyCallable(full, (args) => {
        const t = args[0];
        if (!(t instanceof Tensor)) throw new PickleArgError(`${name} is given a ${typeName(t)} where a tensor belongs`);
        t.parameter = true;
        return t;
      });
    case 'torch.device':
      return new PyCallable(full, (args) => args.map((a) => String(a)).join(':'));
    case 'torch.Size':
      return new PyCallable(full, (args) => new PyTuple(intTuple(args[0] ?? new PyTuple([]), 'size')));
    case '_codecs.encode':
      return new PyCallable(full, (args) => {
        if (typeof args[0] !== 'string') throw new PickleArgError(`${full} is given a ${typeName(args[0])}`);
        return new Uint8Array(Buffer.from(args[0], 'latin1'));
      });
    case 'builtins.set':
    case 'builtins.frozenset':
    case '__builtin__.set':
    case '__builtin__.frozenset':
      return new PyCallable(full, (args) => (Array.isArray(args[0]) ? args[0] : args[0] instanceof PyTuple ? [...args[0].items] : []));
    case 'torch.jit._pickle.build_intlist':
    case 'torch.jit._pickle.build_doublelist':
    case 'torch.jit._pickle.build_boollist':
    case 'torch.jit._pickle.build_tensorlist':
    case 'torch.jit._pickle.restore_type_tag':
      return new PyCallable(full, (args) => args[0] ?? null);
  }
  if (module === 'torch' && STORAGE_TYPES[name]) return new StorageType(name, ...STORAGE_TYPES[name]);
  if (module === 'torch' && TORCH_DTYPES.has(name)) return `torch.${name}`;
  if (module === 'torch._utils' && UNSUPPORTED_REBUILDS[name]) {
    refuse(module, name, ctx, `It stores ${UNSUPPORTED_REBUILDS[name]}, which are not supported; only dense tensors are.`);
  }
  if (ctx.torchscript && (module === '__torch__' || module.startsWith('__torch__.'))) {
    // a TorchScript class: an inert record whose attributes BUILD sets (its code in code/ is never run)
    return new PyCallable(full, () => new PyObject(full));
  }
  return refuse(module, name, ctx);
}

function persistentLoad(pid: PyValue, ctx: PickleContext): PyValue {
  const items = pid instanceof PyTuple ? pid.items : undefined;
  if (!items || items[0] !== 'storage' || items.length < 5) throw new PickleArgError(`a persistent id is a ${typeName(pid)}, not ('storage', type, key, device, size)`);
  const [, type, key, device, numel] = items;
  if (!(type instanceof StorageType)) throw new PickleArgError(`a storage's type is a ${typeName(type)}`);
  if (typeof key !== 'string' || !/^[\w.-]{1,200}$/.test(key)) throw new PickleArgError(`a storage key is ${typeName(key)} ${JSON.stringify(String(key).slice(0, 40))}`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new PickleArgError(`storage ${key} has the size ${String(numel)}`);
  const have = ctx.storages.get(key);
  if (have) {
    if (have.type !== type && have.type.dtype !== type.dtype) throw new PickleArgError(`storage ${key} is used as both ${have.type.name} and ${type.name}`);
    return have;
  }
  const entry = `${ctx.archive ? `${ctx.archive}/` : ''}${ctx.folder}/${key}`;
  const s = new Storage(key, type, typeof device === 'string' ? device : 'cpu', numel, entry);
  ctx.storages.set(key, s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// walking the unpickled object

interface Found {
  name: string;
  tensor: Tensor;
  optimizer: boolean;
  constant: boolean;
}

const MAX_DEPTH = 200;
/** more tensors than this in one file is a damaged (or hostile) pickle, not a model */
const MAX_TENSORS = 1_000_000;
const MAX_METADATA = 200;
const MAX_TEXT = 200;

function keyText(k: PyValue, depth = 0): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (k === null) return 'None';
  if (k instanceof PyTuple) return depth < 8 ? `(${k.items.map((x) => keyText(x, depth + 1)).join(', ')})` : '(…)';
  return typeName(k);
}

function isScalar(v: PyValue): v is null | boolean | number | bigint | string {
  return v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string';
}

function scalarText(v: null | boolean | number | bigint | string): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

function clip(s: string, max = MAX_TEXT): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

interface Walked {
  found: Found[];
  metadata: Record<string, string>;
  nodes: NodeInfo[];
  warnings: string[];
}

function walk(root: PyValue, rootName: string, constant: boolean, torchscript: boolean, out: Walked): void {
  const seen = new Set<object>();
  let deep = false;
  let moreMeta = 0;
  let meta = Object.keys(out.metadata).length;
  const addMeta = (name: string, text: string) => {
    if (meta >= MAX_METADATA) moreMeta++;
    else {
      out.metadata[name] = text;
      meta++;
    }
  };
  const visit = (v: PyValue, at: string[], optimizer: boolean, depth: number): void => {
    if (depth > MAX_DEPTH) {
      deep = true;
      return;
    }
    const name = at.join('.');
    if (v instanceof Tensor) {
      if (out.found.length >= MAX_TENSORS) throw new PickleArgError(`it holds more than ${MAX_TENSORS.toLocaleString('en-US')} tensors`);
      out.found.push({ name: clip(name || rootName, 1000), tensor: v, optimizer, constant });
      return;
    }
    if (isScalar(v) || v instanceof Uint8Array) {
      if (torchscript || constant || !name) return;
      addMeta(clip(name), v instanceof Uint8Array ? `(${v.length} bytes)` : clip(scalarText(v)));
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    if (seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v) || v instanceof PyTuple) {
      const items = Array.isArray(v) ? v : v.items;
      if (!torchscript && !constant && name && items.length && items.every(isScalar)) {
        addMeta(clip(name), clip(`[${items.slice(0, 64).map((x) => (typeof x === 'string' ? JSON.stringify(clip(x)) : scalarText(x))).join(', ')}${items.length > 64 ? ', …' : ''}]`));
        return;
      }
      items.forEach((x, i) => visit(x, [...at, String(i)], optimizer, depth + 1));
      return;
    }
    if (v instanceof PyDict) {
      const opt = optimizer || (v.has('state') && v.has('param_groups'));
      for (const [k, x] of v.entries()) visit(x, [...at, keyText(k)], opt, depth + 1);
      return;
    }
    if (v instanceof PyObject) {
      if (torchscript) {
        const cls = v.className;
        out.nodes.push({
          name: name || '(root)',
          opType: cls.slice(cls.lastIndexOf('.') + 1),
          domain: 'torchscript',
          graphPath: '',
          inputs: [],
          outputs: [],
          attributes: { class: cls.replace(/^__torch__\./, '') },
        });
      }
      visit(v.state, at, optimizer, depth + 1);
    }
  };
  visit(root, [], false, 0);
  if (deep) out.warnings.push(`Parts of the pickled object nest deeper than ${MAX_DEPTH} levels and were not searched for tensors.`);
  if (moreMeta) out.warnings.push(`${moreMeta} more numbers and strings of the checkpoint are not shown as metadata (the first ${MAX_METADATA} are).`);
}

// ---------------------------------------------------------------------------------------------
// the archive

type Opened = OpenedModelFile;
const openChecked = openModelFile;

/** The folder of the archive's data.pkl ('' when it is at the top), or undefined when there is none. */
function archiveFolder(entries: Map<string, ZipEntry>): string | undefined {
  if (entries.has('data.pkl')) return '';
  for (const n of entries.keys()) {
    const m = /^([^/]+)\/data\.pkl$/.exec(n);
    if (m) return m[1];
  }
  return undefined;
}

/** Is `file` a zip archive written by torch.save or torch.jit.save (it has `<folder>/data.pkl`)? Never throws. */
export async function isPytorchZip(file: string): Promise<boolean> {
  try {
    const o = await openChecked(file);
    return archiveFolder(await readZipDirectory(o)) !== undefined;
  } catch {
    return false;
  }
}

function unpickleEntry(o: Opened, data: Buffer, ctx: PickleContext): PyValue {
  try {
    return unpickle(data, {
      resolveGlobal: (m, n) => resolveGlobal(m, n, ctx),
      persistentLoad: (pid) => persistentLoad(pid, ctx),
    });
  } catch (e) {
    if (e instanceof PickleRefusedGlobal) throw new ModelFormatError('UNSUPPORTED', o.abs, e.message);
    if (e instanceof PickleRefused) throw new ModelFormatError('UNSUPPORTED', o.abs, `${o.name}: its ${ctx.folder}.pkl cannot be read: ${e.message}.`);
    if (e instanceof PickleError) throw new ModelFormatError('CORRUPT', o.abs, `${o.name}: its ${ctx.folder}.pkl is damaged (${e.message}).`);
    throw e;
  }
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i];
  }
  return true;
}

/** Summarize a PyTorch zip checkpoint or TorchScript archive. Throws ModelFormatError on bad input. */
export async function readPytorchSummary(file: string): Promise<ModelSummary> {
  const o = await openChecked(file);
  const entries = await readZipDirectory(o);
  const archive = archiveFolder(entries);
  if (archive === undefined) {
    throw new ModelFormatError('NOT_A_MODEL', o.abs, `${o.name} is a zip archive but not a PyTorch checkpoint: it has no data.pkl.`);
  }
  const prefix = archive ? `${archive}/` : '';
  const warnings: string[] = [];
  const text = async (n: string): Promise<string | undefined> => {
    const e = entries.get(prefix + n);
    return e && e.size <= 4096 ? (await readEntry(o, e)).toString('utf8').trim() : undefined;
  };
  const byteorder = await text('byteorder');
  if (byteorder && byteorder !== 'little') {
    throw new ModelFormatError('UNSUPPORTED', o.abs, `${o.name} was saved on a ${clip(byteorder, 20)}-endian machine; only little-endian PyTorch files are supported.`);
  }
  const torchscript = entries.has(`${prefix}constants.pkl`) || [...entries.keys()].some((n) => n.startsWith(`${prefix}code/`));
  const storages = new Map<string, Storage>();
  const out: Walked = { found: [], metadata: {}, nodes: [], warnings };
  const read = async (pkl: string, folder: string, constant: boolean): Promise<PyValue | undefined> => {
    const e = entries.get(prefix + pkl);
    if (!e) return undefined;
    const ctx: PickleContext = { archive, folder, torchscript, entries, storages: folder === 'data' ? storages : new Map(), fileName: o.name };
    const root = unpickleEntry(o, await readEntry(o, e), ctx);
    try {
      walk(root, constant ? 'constants' : 'tensor', constant, torchscript, out);
    } catch (err) {
      if (err instanceof PickleError) throw new ModelFormatError('CORRUPT', o.abs, `${o.name}: its ${folder}.pkl is damaged (${err.message}).`);
      throw err;
    }
    return root;
  };
  const root = await read('data.pkl', 'data', false);
  if (torchscript) {
    const before = out.found.length;
    await read('constants.pkl', 'constants', true);
    out.found.slice(before).forEach((f) => (f.name = f.name === 'constants' ? 'constants' : `constants.${f.name}`));
  }

  // where each storage's bytes are
  const used = [...new Set(out.found.map((f) => f.tensor.storage))];
  for (const s of used) {
    const e = entries.get(s.entry);
    if (!e) throw new ModelFormatError('CORRUPT', o.abs, `${o.name} is damaged: storage ${s.key} (${s.entry}) is missing from the archive.`);
    if (e.size < s.numel * s.type.elementBytes) {
      throw new ModelFormatError('CORRUPT', o.abs, `${o.name} is damaged: storage ${s.entry} holds ${e.size} bytes, but its ${s.numel} ${s.type.dtype} elements need ${s.numel * s.type.elementBytes}.`);
    }
  }
  const starts = await entryDataStarts(o, used.map((s) => entries.get(s.entry)!).filter((e) => e.method === 0));

  const tensors: TensorInfo[] = [];
  const optimizerTensors: TensorInfo[] = [];
  for (const f of out.found) {
    const t = f.tensor;
    const s = t.storage;
    const el = s.type.elementBytes;
    let count = 1;
    let last = t.offset;
    for (let i = 0; i < t.shape.length; i++) {
      count *= t.shape[i];
      if (t.shape[i] > 0) last += (t.shape[i] - 1) * t.stride[i];
    }
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(last * el)) {
      throw new ModelFormatError('CORRUPT', o.abs, `${o.name} is damaged: tensor "${f.name}" has the implausible shape [${t.shape.join(', ')}].`);
    }
    if (count > 0 && last >= s.numel) {
      throw new ModelFormatError(
        'CORRUPT',
        o.abs,
        `${o.name} is damaged: tensor "${f.name}" (shape [${t.shape.join(', ')}], strides [${t.stride.join(', ')}], offset ${t.offset}) reaches element ${last} of storage ${s.entry}, which has ${s.numel}.`,
      );
    }
    const e = entries.get(s.entry)!;
    const info: TensorInfo = {
      name: f.name,
      dtype: s.type.dtype,
      shape: t.shape,
      paramCount: count,
      byteSize: count * el,
      origin: f.optimizer ? 'pytorch-optimizer' : f.constant ? 'constant' : 'tensor',
      graphPath: '',
      location:
        count === 0
          ? { kind: 'none' }
          : e.method === 0 && isContiguous(t.shape, t.stride)
            ? { kind: 'raw', offset: starts.get(e.name)! + t.offset * el, length: count * el }
            : { kind: 'zip', entry: s.entry },
      storage: { key: s.entry.slice(prefix.length), offset: t.offset, stride: t.stride, device: s.device },
    };
    (f.optimizer ? optimizerTensors : tensors).push(info);
  }

  let kind: PyTorchInfo['kind'] = 'other';
  if (torchscript && root instanceof PyObject) kind = 'torchscript';
  else if (root instanceof Tensor) kind = 'tensor';
  else if (root instanceof PyDict) {
    const values = root.entries().map(([, v]) => v);
    kind = values.every((v) => v instanceof Tensor) ? 'state_dict' : out.found.length ? 'checkpoint' : 'other';
  }
  if (!out.found.length) warnings.push('The file holds no tensors.');
  const info: PyTorchInfo = { kind, archive, optimizerTensors, storageCount: used.length };
  const version = await text('version');
  if (version !== undefined) info.fileVersion = clip(version, 40);
  const opHistogram: Record<string, number> = {};
  for (const n of out.nodes) opHistogram[n.opType] = (opHistogram[n.opType] ?? 0) + 1;
  return {
    format: torchscript ? 'torchscript' : 'pytorch',
    path: o.abs,
    fileSize: o.size,
    opsets: [],
    metadata: out.metadata,
    inputs: [],
    outputs: [],
    nodes: out.nodes,
    graphs: [],
    opHistogram,
    tensors,
    parameterCount: tensors.reduce((a, t) => a + t.paramCount, 0),
    pytorch: info,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// values

function decode(dtype: string, bytes: Uint8Array, n: number): TensorData['data'] {
  // a fresh, aligned buffer (the file's bytes may sit at any offset)
  const b = new Uint8Array(bytes.length);
  b.set(bytes);
  const buf = b.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'complex64':
      return new Float32Array(buf, 0, 2 * n);
    case 'complex128':
      return new Float64Array(buf, 0, 2 * n);
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      return new Uint16Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'uint32':
      return new Uint32Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
    case 'uint64':
      return new BigUint64Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    default: // uint8, bool, float8 types
      return new Uint8Array(buf, 0, n);
  }
}

/** Copy the elements of a strided view (C order) out of `src`, which starts at the view's first element. */
function gather(src: Uint8Array, shape: number[], stride: number[], el: number, n: number): Uint8Array {
  const out = new Uint8Array(n * el);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let at = 0;
  for (let k = 0; k < n; k++) {
    out.set(src.subarray(at * el, at * el + el), k * el);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      at += stride[d];
      if (idx[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Read one tensor's values (a TensorInfo from readPytorchSummary of the same file). float16/bfloat16
 * come back as Uint16Array (the bits), int64 as BigInt64Array, bool and float8 as Uint8Array, complex
 * types as interleaved (re, im) floats; strided views are copied out in C order.
 */
export async function readPytorchTensor(file: string, tensor: TensorInfo): Promise<TensorData> {
  const o = await openChecked(file);
  const el = ELEMENT_BYTES[tensor.dtype];
  const changed = (why: string) =>
    new ModelFormatError('CORRUPT', o.abs, `tensor "${tensor.name}" of ${o.name} cannot be read: ${why}. The file may have changed since it was summarized, or it is damaged.`);
  if (!el) throw new ModelFormatError('UNSUPPORTED', o.abs, `tensor "${tensor.name}" of ${o.name} has the unsupported data type ${tensor.dtype}.`);
  const n = tensor.paramCount;
  const loc = tensor.location;
  if (n === 0 || loc.kind === 'none') return { dtype: tensor.dtype, shape: tensor.shape, data: decode(tensor.dtype, new Uint8Array(0), 0) };
  if (loc.kind === 'raw') {
    if (loc.length !== n * el || loc.offset + loc.length > o.size) throw changed(`its bytes ${loc.offset}–${loc.offset + loc.length} lie past the end of the file (${o.size} bytes)`);
    const bytes = await readRange(o.abs, loc.offset, loc.length);
    if (bytes.length !== loc.length) throw changed('the file is shorter than when it was summarized');
    return { dtype: tensor.dtype, shape: tensor.shape, data: decode(tensor.dtype, bytes, n) };
  }
  if (loc.kind !== 'zip' || !tensor.storage) throw changed(`its location (${loc.kind}) is not one of a PyTorch file`);
  const { shape } = tensor;
  const { stride, offset } = tensor.storage;
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
  const entries = await readZipDirectory(o);
  const e = entries.get(loc.entry);
  if (!e) throw changed(`its storage ${loc.entry} is not in the archive`);
  if ((last + 1) * el > e.size) throw changed(`it reaches byte ${(last + 1) * el} of storage ${loc.entry}, which holds ${e.size}`);
  let span: Uint8Array;
  if (e.method === 0) {
    const [start] = (await entryDataStarts(o, [e])).values();
    span = await readRange(o.abs, start + offset * el, (last - offset + 1) * el);
    if (span.length !== (last - offset + 1) * el) throw changed('the file is shorter than its zip directory says');
  } else {
    span = (await readEntry(o, e, 2 ** 31 - 1)).subarray(offset * el, (last + 1) * el);
  }
  return { dtype: tensor.dtype, shape, data: decode(tensor.dtype, gather(span, shape, stride, el, n), n) };
}
