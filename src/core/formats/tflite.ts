/**
 * TFLite models (`.tflite`): a FlatBuffer of TensorFlow's schema (./tflite/schema.fbs, file identifier
 * "TFL3" at bytes 4–8), read with the `flatbuffers` package and the code flatc generated from that
 * schema (./tflite/generated; see ./tflite/README.md).
 *
 * A model holds subgraphs (the first is the main one), each with tensors, operators and its inputs and
 * outputs (tensor indices); operators name their kind by an index into the model's operator codes
 * (builtin or custom). A constant tensor's values are in a buffer of the model: inside the FlatBuffer
 * (Buffer.data), or — in models over 2 GB — past its end, at Buffer.offset/size from the start of the
 * file, or in an external file (ExternalBuffer, schema 3d).
 *
 * The FlatBuffer is read through a ByteBuffer that checks every read against the file's bounds (the
 * flatbuffers package reads whatever an offset points to) and, for files over 64 MiB, reads the file
 * page by page on demand: a summary touches the tables only, never the weights, which are located
 * (offset and length) and read tensor by tensor with positional reads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { constants as bufferConstants } from 'buffer';
import * as flatbuffers from 'flatbuffers';
import { ModelFormatError } from './errors';
import type { AttrValue, Dim, DType, GraphInfo, ModelSummary, NodeInfo, TensorData, TensorInfo, TensorLocation, TfliteInfo, ValueInfo } from './types';
import { Model } from './tflite/generated/tflite/model';
import { SubGraph } from './tflite/generated/tflite/sub-graph';
import { Tensor } from './tflite/generated/tflite/tensor';
import { Buffer as TflBuffer } from './tflite/generated/tflite/buffer';
import { BuiltinOperator } from './tflite/generated/tflite/builtin-operator';
import { BuiltinOptions, unionToBuiltinOptions } from './tflite/generated/tflite/builtin-options';
import { BuiltinOptions2, unionToBuiltinOptions2 } from './tflite/generated/tflite/builtin-options2';
import { TensorType } from './tflite/generated/tflite/tensor-type';
import { ActivationFunctionType } from './tflite/generated/tflite/activation-function-type';
import { Padding } from './tflite/generated/tflite/padding';
import { plainView } from './plainView';

/** Files up to `wholeFileBytes` are read whole for a summary; larger ones in pages of `pageBytes`, at most `maxPages` held. */
export interface TfliteReadLimits {
  wholeFileBytes: number;
  pageBytes: number;
  maxPages: number;
}
const limits: TfliteReadLimits = { wholeFileBytes: 64 * 1024 * 1024, pageBytes: 1024 * 1024, maxPages: 64 };

/** Change the limits (tests lower them to page small files); returns the ones in force before. */
export function configureTfliteReads(o: Partial<TfliteReadLimits>): TfliteReadLimits {
  const before = { ...limits };
  Object.assign(limits, o);
  return before;
}
/** A FlatBuffer's offsets are 32-bit: its tables lie within the first 2 GiB of the file. */
const FLATBUFFER_LIMIT = 2 ** 31 - 1;

/** TensorType → our dtype name (./types.ts: ONNX names, lower case) and bits per element (0: variable size). */
const DTYPES: Record<number, { name: DType; bits: number }> = {
  [TensorType.FLOAT32]: { name: 'float32', bits: 32 },
  [TensorType.FLOAT16]: { name: 'float16', bits: 16 },
  [TensorType.INT32]: { name: 'int32', bits: 32 },
  [TensorType.UINT8]: { name: 'uint8', bits: 8 },
  [TensorType.INT64]: { name: 'int64', bits: 64 },
  [TensorType.STRING]: { name: 'string', bits: 0 },
  [TensorType.BOOL]: { name: 'bool', bits: 8 },
  [TensorType.INT16]: { name: 'int16', bits: 16 },
  [TensorType.COMPLEX64]: { name: 'complex64', bits: 64 },
  [TensorType.INT8]: { name: 'int8', bits: 8 },
  [TensorType.FLOAT64]: { name: 'float64', bits: 64 },
  [TensorType.COMPLEX128]: { name: 'complex128', bits: 128 },
  [TensorType.UINT64]: { name: 'uint64', bits: 64 },
  [TensorType.RESOURCE]: { name: 'resource', bits: 0 },
  [TensorType.VARIANT]: { name: 'variant', bits: 0 },
  [TensorType.UINT32]: { name: 'uint32', bits: 32 },
  [TensorType.UINT16]: { name: 'uint16', bits: 16 },
  [TensorType.INT4]: { name: 'int4', bits: 4 },
  [TensorType.BFLOAT16]: { name: 'bfloat16', bits: 16 },
  [TensorType.INT2]: { name: 'int2', bits: 2 },
  [TensorType.UINT4]: { name: 'uint4', bits: 4 },
  [TensorType.FLOAT8_E4M3FN]: { name: 'float8e4m3fn', bits: 8 },
  [TensorType.FLOAT8_E5M2]: { name: 'float8e5m2', bits: 8 },
};
const BITS_OF: Record<string, number> = Object.fromEntries(Object.values(DTYPES).map((d) => [d.name, d.bits]));

const quote = (s: string) => JSON.stringify(s.length > 200 ? s.slice(0, 197) + '…' : s);

// ---------------------------------------------------------------- bounded reads

/** A read outside the file (or past the FlatBuffer's 2 GiB), or too much work for the file's size. */
class Bounds extends Error {
  constructor(
    readonly at: number,
    readonly length: number,
    readonly limit: number,
  ) {
    super(`bytes ${at}–${at + length} are outside the ${limit} bytes of the FlatBuffer`);
  }
}
class TooMuchWork extends Error {}

/**
 * A ByteBuffer over a file: every read is checked against the file's bounds, and files over
 * `wholeFileBytes` are read page by page (synchronously: the generated accessors are synchronous).
 */
class FileBytes extends flatbuffers.ByteBuffer {
  private readonly pages = new Map<number, Uint8Array>();
  private readonly pageBytes = limits.pageBytes;
  private readonly maxPages = limits.maxPages;
  private reads = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  constructor(
    private readonly fd: number | undefined,
    /** bytes that may be read: the file's size, at most FLATBUFFER_LIMIT */
    readonly limit: number,
    whole: Uint8Array | undefined,
    /** reads allowed in all (hostile files whose tables share vectors would otherwise take forever) */
    private readonly budget: number,
  ) {
    super(new Uint8Array(0));
    if (whole) this.pages.set(0, whole);
  }
  private pageSize(): number {
    return this.fd === undefined ? this.limit : this.pageBytes;
  }
  private check(at: number, n: number): void {
    if (!(at >= 0 && at + n <= this.limit)) throw new Bounds(at, n, this.limit);
    if (++this.reads > this.budget) throw new TooMuchWork();
  }
  private page(p: number): Uint8Array {
    let pg = this.pages.get(p);
    if (pg) return pg;
    if (this.fd === undefined) throw new Bounds(p * this.pageSize(), 1, this.limit);
    if (this.pages.size >= this.maxPages) this.pages.delete(this.pages.keys().next().value!);
    const start = p * this.pageBytes;
    pg = new Uint8Array(Math.min(this.pageBytes, this.limit - start));
    let done = 0;
    while (done < pg.length) {
      const n = fs.readSync(this.fd, pg, done, pg.length - done, start + done);
      if (n === 0) throw new Bounds(start + done, 1, this.limit);
      done += n;
    }
    this.pages.set(p, pg);
    return pg;
  }
  private byte(at: number): number {
    const size = this.pageSize();
    const p = Math.floor(at / size);
    return this.page(p)[at - p * size];
  }
  /** `n` bytes from `at` (checked). */
  range(at: number, n: number): Uint8Array {
    this.check(at, n);
    const size = this.pageSize();
    const p = Math.floor(at / size);
    if (Math.floor((at + n - 1) / size) === p || n === 0) return this.page(p).subarray(at - p * size, at - p * size + n);
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = this.byte(at + k);
    return out;
  }
  override readUint8(offset: number): number {
    this.check(offset, 1);
    return this.byte(offset);
  }
  override readUint16(offset: number): number {
    this.check(offset, 2);
    return this.byte(offset) | (this.byte(offset + 1) << 8);
  }
  override readInt32(offset: number): number {
    this.check(offset, 4);
    return this.byte(offset) | (this.byte(offset + 1) << 8) | (this.byte(offset + 2) << 16) | (this.byte(offset + 3) << 24);
  }
  override __string(offset: number, optionalEncoding?: flatbuffers.Encoding): string | Uint8Array {
    const at = offset + this.readInt32(offset);
    const length = this.readInt32(at);
    const bytes = this.range(at + 4, length < 0 ? this.limit : length);
    if (optionalEncoding === flatbuffers.Encoding.UTF8_BYTES) return bytes;
    try {
      return this.decoder.decode(bytes);
    } catch {
      return new TextDecoder().decode(bytes); // not UTF-8: shown with replacement characters
    }
  }
  override __vector_len(offset: number): number {
    const n = super.__vector_len(offset);
    const start = this.__vector(offset);
    // every element takes at least a byte
    this.check(start, n < 0 ? this.limit : n);
    return n;
  }
  /** The generated `…Array()` accessors view the bytes whole; this reader does not use them. */
  override bytes(): Uint8Array {
    throw new Error('FileBytes: bytes() is not available (the file is read through checked reads)');
  }
  /** Start and length of the vector in field `vtableOffset` of the table at `tablePos`, if the field is set. */
  vectorAt(tablePos: number, vtableOffset: number): { start: number; length: number } | undefined {
    const o = this.__offset(tablePos, vtableOffset);
    if (!o) return undefined;
    const length = this.__vector_len(tablePos + o);
    return { start: this.__vector(tablePos + o), length };
  }
}

// ---------------------------------------------------------------- the summary

interface Opened {
  abs: string;
  name: string;
  size: number;
  bb: FileBytes;
  close(): void;
}

function openFailure(file: string, e: unknown): never {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT' || err?.code === 'ENOTDIR') throw new ModelFormatError('NOT_FOUND', file, `${file} does not exist.`);
  if (err?.code === 'EISDIR') throw new ModelFormatError('NOT_A_MODEL', file, `${file} is a folder, not a model file.`);
  throw new ModelFormatError('NOT_FOUND', file, `Cannot read ${file}: ${err?.message ?? String(e)}`);
}

async function openTflite(file: string): Promise<Opened> {
  const abs = path.resolve(file);
  const name = path.basename(abs);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(abs);
  } catch (e) {
    openFailure(abs, e);
  }
  if (st.isDirectory()) throw new ModelFormatError('NOT_A_MODEL', abs, `${name} is a folder, not a model file.`);
  const size = st.size;
  if (size === 0) throw new ModelFormatError('EMPTY', abs, `${name} is empty (0 bytes). If it is tracked with Git LFS, fetch its content with \`git lfs pull\`.`);
  const limit = Math.min(size, FLATBUFFER_LIMIT);
  const budget = 10_000_000 + 4 * Math.min(size, FLATBUFFER_LIMIT);
  if (size <= limits.wholeFileBytes) {
    let whole: Buffer;
    try {
      whole = await fs.promises.readFile(abs);
    } catch (e) {
      openFailure(abs, e);
    }
    if (whole.length !== size) throw new ModelFormatError('TRUNCATED', abs, `${name} changed while it was read; read it again.`);
    return { abs, name, size, bb: new FileBytes(undefined, limit, whole, budget), close: () => undefined };
  }
  let fd: number;
  try {
    fd = fs.openSync(abs, 'r');
  } catch (e) {
    openFailure(abs, e);
  }
  return {
    abs,
    name,
    size,
    bb: new FileBytes(fd, limit, undefined, budget),
    close: () => fs.closeSync(fd),
  };
}

function shapeOf(t: Tensor): number[] {
  const n = t.shapeLength();
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(t.shape(i)!);
  return out;
}

function signatureOf(t: Tensor): number[] | undefined {
  const n = t.shapeSignatureLength();
  if (!n) return undefined;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(t.shapeSignature(i)!);
  return out;
}

/** camelCase accessor name → the schema's snake_case field name. */
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

/** Field names of builtin options whose values are enums, shown by name. */
const ENUM_FIELDS: Record<string, Record<number, string>> = {
  fusedActivationFunction: ActivationFunctionType as unknown as Record<number, string>,
  padding: Padding as unknown as Record<number, string>,
};

/**
 * The scalar and scalar-vector fields of a builtin options table, by the generated class's accessors:
 * methods of no argument (scalars, enums, strings) and `x(i)` with `xLength()` (vectors of scalars).
 * Subgraph indices become graph references. Tables nested in options are left out.
 */
function optionFields(obj: object, graphPathOf: (i: number) => string | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  const proto = Object.getPrototypeOf(obj) as Record<string, unknown>;
  const call = (k: string, ...args: unknown[]) => (proto[k] as (...a: unknown[]) => unknown).apply(obj, args);
  for (const k of Object.getOwnPropertyNames(proto).sort()) {
    if (k === 'constructor' || k.startsWith('__') || k.endsWith('Length') || k.endsWith('Array') || k.startsWith('mutate') || typeof proto[k] !== 'function') continue;
    const fn = proto[k] as (...a: unknown[]) => unknown;
    const key = snake(k);
    if (typeof proto[`${k}Length`] === 'function') {
      if (fn.length !== 1) continue; // a vector of tables
      const n = call(`${k}Length`) as number;
      const vals: number[] = [];
      for (let i = 0; i < n && i < 1024; i++) {
        const v = call(k, i);
        if (typeof v === 'number') vals.push(v);
        else if (typeof v === 'bigint') vals.push(Number(v));
        else if (typeof v === 'boolean') vals.push(v ? 1 : 0);
      }
      out[key] = vals;
      continue;
    }
    if (fn.length > 1) continue;
    let v: unknown;
    try {
      v = fn.length === 0 ? call(k) : call(k, undefined);
    } catch (e) {
      if (e instanceof Bounds || e instanceof TooMuchWork) throw e;
      continue;
    }
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v === 'boolean') v = v ? 1 : 0;
    if (typeof v === 'number' && (/SubgraphIndex$/.test(k) || k === 'subgraph')) {
      const g = graphPathOf(v);
      out[key] = g === undefined ? v : { graph: g };
      continue;
    }
    if (typeof v === 'number' && ENUM_FIELDS[k]?.[v] !== undefined) v = ENUM_FIELDS[k][v];
    if (typeof v === 'number' || typeof v === 'string') out[key] = v;
    else if (v === null) out[key] = null;
  }
  return out;
}

/** Metadata buffer contents as text: printable UTF-8 (trailing NULs dropped), else its size. */
function metadataText(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end <= 1024) {
    try {
      const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
      if (!/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)) return s;
    } catch {
      // binary
    }
  }
  return `(${bytes.length} bytes)`;
}

/** Summarize a .tflite file. Throws ModelFormatError for anything that is not a well-formed TFLite model. */
export async function readTfliteSummary(file: string): Promise<ModelSummary> {
  const f = await openTflite(file);
  const { abs, name, size, bb } = f;
  const bad = (code: 'CORRUPT' | 'TRUNCATED' | 'NOT_A_MODEL' | 'UNSUPPORTED', what: string, todo = 'The file is damaged; convert or fetch the model again.') =>
    new ModelFormatError(code, abs, `${name} is not a valid TFLite model: ${what}. ${todo}`);
  try {
    if (size < 8) throw bad('TRUNCATED', `it has ${size} bytes, fewer than the 8 of a FlatBuffer's root offset and file identifier`, 'The file was probably cut off while it was copied or downloaded.');
    const ident = String.fromCharCode(...bb.range(4, 4));
    if (ident !== 'TFL3') {
      throw new ModelFormatError(
        'NOT_A_MODEL',
        abs,
        `${name} is not a TFLite model: bytes 4–8 are ${quote(ident)}, not the file identifier "TFL3" of TensorFlow Lite's FlatBuffer schema.`,
      );
    }
    return summarize(f);
  } catch (e) {
    if (e instanceof Bounds) {
      throw e.at + e.length > size || e.at + e.length > f.bb.limit
        ? bad(
            size > FLATBUFFER_LIMIT ? 'CORRUPT' : 'TRUNCATED',
            `its FlatBuffer points to bytes ${e.at}–${e.at + e.length}, past the end of the ${size > FLATBUFFER_LIMIT ? `FlatBuffer's 2 GiB` : `file (${size} bytes)`}`,
            'The file was probably cut off while it was copied or downloaded, or it is damaged; fetch or convert it again.',
          )
        : bad('CORRUPT', `its FlatBuffer points to byte ${e.at}, before the start of the file`);
    }
    if (e instanceof TooMuchWork) {
      throw bad('CORRUPT', `its FlatBuffer's tables point to one another far more often than a model of ${size} bytes can (hundreds of tables sharing long vectors)`);
    }
    if (e instanceof RangeError) throw bad('CORRUPT', `its FlatBuffer could not be read (${e.message})`);
    throw e;
  } finally {
    f.close();
  }
}

function summarize(f: Opened): ModelSummary {
  const { abs, name, size, bb } = f;
  const bad = (what: string) => new ModelFormatError('CORRUPT', abs, `${name} is not a valid TFLite model: ${what}. The file is damaged; convert or fetch the model again.`);
  const rootAt = bb.readInt32(0);
  if (rootAt < 8 || rootAt + 4 > bb.limit) throw bad(`its root offset ${rootAt >>> 0} does not point inside the file (${size} bytes)`);
  const model = new Model().__init(rootAt, bb);
  const warnings: string[] = [];
  const version = model.version();
  if (version < 3) {
    throw new ModelFormatError(
      'UNSUPPORTED',
      abs,
      `${name} is a TFLite model of schema version ${version}, which kept weights inside its tensors; only schema version 3 (every converter since 2018) is read. Convert the model again with a current TensorFlow.`,
    );
  }
  if (version > 3) warnings.push(`${name} says it is of TFLite schema version ${version}; this reader knows version 3 and read it as such.`);
  const description = model.description() ?? '';

  // operator codes: builtin (the larger of the two code fields, as TFLite's GetBuiltinCode) or custom
  const opCodes: TfliteInfo['operatorCodes'] = [];
  for (let i = 0, n = model.operatorCodesLength(); i < n; i++) {
    const oc = model.operatorCodes(i)!;
    const code = Math.max(oc.builtinCode(), oc.deprecatedBuiltinCode());
    const builtin = BuiltinOperator[code] as string | undefined;
    if (code === BuiltinOperator.CUSTOM) {
      opCodes.push({ name: oc.customCode() ?? '', builtin: false, version: oc.version() });
    } else {
      opCodes.push({ name: builtin ?? `BUILTIN_${code}`, builtin: true, version: oc.version() });
      if (builtin === undefined) warnings.push(`Operator code ${i} is the builtin operator ${code}, unknown to this reader's schema; shown as BUILTIN_${code}.`);
    }
  }

  // buffers: where their bytes are (never read here, except metadata)
  const nBuffers = model.buffersLength();
  const buffers: { offset: number; length: number; outside: boolean }[] = [];
  const buf = new TflBuffer();
  let bufferBytes = 0;
  for (let i = 0; i < nBuffers; i++) {
    model.buffers(i, buf);
    const v = bb.vectorAt(buf.bb_pos, 4);
    const off = buf.offset();
    const sz = buf.size();
    if (v && v.length > 0) {
      buffers.push({ offset: v.start, length: v.length, outside: false });
      bufferBytes += v.length;
    } else if (off > 1n) {
      // past the FlatBuffer (models over 2 GB): offset from the start of the file
      if (off + sz > BigInt(size)) {
        throw new ModelFormatError(
          'TRUNCATED',
          abs,
          `${name} is not a valid TFLite model: buffer ${i} lies at bytes ${off}–${off + sz} of the file, but the file has ${size} bytes. The file was probably cut off while it was copied or downloaded; fetch or convert it again.`,
        );
      }
      buffers.push({ offset: Number(off), length: Number(sz), outside: true });
      bufferBytes += Number(sz);
    } else buffers.push({ offset: 0, length: 0, outside: false });
  }

  // external buffers (schema 3d): slices of other files, named by their group
  const externalGroups: string[] = [];
  for (let i = 0, n = model.externalBufferGroupsLength(); i < n; i++) externalGroups.push(model.externalBufferGroups(i)!.name() ?? '');
  const externals = new Map<number, { group: number; offset: number; length: number }>();
  for (let i = 0, n = model.externalBuffersLength(); i < n; i++) {
    const x = model.externalBuffers(i)!;
    externals.set(x.id(), { group: x.group(), offset: Number(x.offset()), length: Number(x.length()) });
  }
  const root = path.dirname(abs);
  const externalLocation = (id: number, tname: string): TensorLocation => {
    const x = externals.get(id);
    const group = x ? externalGroups[x.group] : undefined;
    if (!x || group === undefined) throw bad(`tensor ${quote(tname)} names the external buffer ${id}, which the model does not list`);
    const p = path.resolve(root, group);
    if (path.isAbsolute(group) || !p.startsWith(root + path.sep)) {
      throw new ModelFormatError(
        'EXTERNAL_DATA_ESCAPES',
        abs,
        `${name}: tensor ${quote(tname)} keeps its data in ${quote(group)}, which is not inside the model's folder (${root}); external weight files must lie beside the model.`,
      );
    }
    if (!fs.existsSync(p)) {
      throw new ModelFormatError('EXTERNAL_DATA_MISSING', abs, `${name}: tensor ${quote(tname)} keeps its data in ${group}, which is missing from ${root}. Copy it next to the model (if it is tracked with Git LFS, run \`git lfs pull\`).`);
    }
    return { kind: 'external', file: p, offset: x.offset, length: x.length };
  };

  // subgraphs: paths first (operators refer to subgraphs by index)
  const nSub = model.subgraphsLength();
  if (nSub === 0) throw bad('it has no subgraph');
  const subNames: string[] = [];
  for (let s = 0; s < nSub; s++) subNames.push(model.subgraphs(s)!.name() ?? '');
  const paths = subNames.map((n, s) => (s === 0 ? '' : n && subNames.indexOf(n) === s && subNames.lastIndexOf(n) === s ? n : `subgraph_${s}`));
  const graphPathOf = (i: number) => (Number.isInteger(i) && i >= 0 && i < nSub ? paths[i] : undefined);

  const tensors: TensorInfo[] = [];
  const nodes: NodeInfo[] = [];
  const graphs: GraphInfo[] = [];
  const opHistogram: Record<string, number> = {};
  const subInfo: TfliteInfo['subgraphs'] = [];
  let main: { inputs: ValueInfo[]; outputs: ValueInfo[] } = { inputs: [], outputs: [] };
  const sg = new SubGraph();
  const t = new Tensor();
  let sparse = 0;
  for (let s = 0; s < nSub; s++) {
    model.subgraphs(s, sg);
    const gpath = paths[s];
    const nT = sg.tensorsLength();
    const names: string[] = [];
    const values: ValueInfo[] = [];
    let constants = 0;
    for (let k = 0; k < nT; k++) {
      sg.tensors(k, t);
      const tname = t.name() ?? `tensor_${k}`;
      names.push(tname);
      const tq = `tensor ${quote(tname)} of subgraph ${s}`;
      const type = t.type();
      const d = DTYPES[type];
      const dtype = d?.name ?? `unknown_${type}`;
      const shape = shapeOf(t);
      let count = 1;
      for (const dim of shape) {
        if (dim < 0) throw bad(`${tq} has the shape [${shape.join(', ')}] with a negative dimension`);
        count *= dim;
      }
      if (!Number.isSafeInteger(count * 16)) throw bad(`${tq} has the shape [${shape.join(', ')}], whose element count is impossibly large`);
      const sig = signatureOf(t);
      const dims: Dim[] = sig && sig.length === shape.length ? sig.map((x, i) => (x < 0 ? null : shape[i])) : shape;
      const rankKnown = shape.length > 0 || t.hasRank() || sig !== undefined;
      const q = t.quantization();
      let quantization: TensorInfo['quantization'];
      if (q && q.scaleLength() > 0) {
        const scale: number[] = [];
        const zeroPoint: number[] = [];
        for (let i = 0, n = q.scaleLength(); i < n; i++) scale.push(q.scale(i)!);
        for (let i = 0, n = q.zeroPointLength(); i < n; i++) zeroPoint.push(Number(q.zeroPoint(i)!));
        quantization = { scale, zeroPoint, axis: q.quantizedDimension() };
        if (scale.length > 1 && (quantization.axis < 0 || quantization.axis >= shape.length || shape[quantization.axis] !== scale.length)) {
          warnings.push(`${tq} has ${scale.length} quantization scales along dimension ${quantization.axis} of shape [${shape.join(', ')}]; they do not match.`);
        }
        if (zeroPoint.length !== 0 && zeroPoint.length !== scale.length) warnings.push(`${tq} has ${scale.length} quantization scales but ${zeroPoint.length} zero points.`);
      }
      const v: ValueInfo = { name: tname, dtype, shape: rankKnown ? dims : null };
      if (quantization) v.doc = `quantized: scale ${quantization.scale.length === 1 ? quantization.scale[0] : `[${quantization.scale.length} per dimension ${quantization.axis}]`}, zero point ${quantization.zeroPoint.length === 1 ? quantization.zeroPoint[0] : `[${quantization.zeroPoint.length}]`}`;
      values.push(v);

      const bi = t.buffer();
      const ext = t.externalBuffer();
      if (bi >= nBuffers && bi !== 0) throw bad(`${tq} uses buffer ${bi}, but the model has ${nBuffers} buffers`);
      const b = buffers[bi];
      if (!ext && (!b || b.length === 0)) continue; // not a constant: an activation, input, or variable
      let location: TensorLocation;
      let stored: number;
      if (ext) {
        location = externalLocation(ext, tname);
        stored = location.kind === 'external' ? location.length : 0;
      } else {
        location = { kind: 'raw', offset: b.offset, length: b.length };
        stored = b.length;
      }
      const bits = d?.bits ?? 0;
      const byteSize = bits ? Math.ceil((count * bits) / 8) : stored;
      if (!d) warnings.push(`${tq} has the element type ${type}, unknown to this reader; it is compared by its bytes.`);
      const isSparse = t.sparsity() !== null;
      if (isSparse) sparse++;
      else if (bits && stored !== byteSize) {
        throw bad(`${tq} (${dtype}, shape [${shape.join(', ')}]) needs ${byteSize} bytes, but its buffer ${bi} holds ${stored}`);
      }
      const info: TensorInfo = {
        name: tname,
        dtype: isSparse || !d ? 'uint8' : dtype,
        shape: isSparse || !d ? [stored] : shape,
        paramCount: isSparse || !d ? stored : count,
        byteSize: isSparse || !d ? stored : byteSize,
        origin: 'initializer',
        graphPath: gpath,
        location,
      };
      if (quantization) info.quantization = quantization;
      if (isSparse) info.owner = `sparse ${dtype}[${shape.join(',')}]`;
      tensors.push(info);
      constants++;
    }
    const io = (which: 'inputs' | 'outputs') => {
      const out: ValueInfo[] = [];
      const n = which === 'inputs' ? sg.inputsLength() : sg.outputsLength();
      for (let i = 0; i < n; i++) {
        const k = which === 'inputs' ? sg.inputs(i)! : sg.outputs(i)!;
        if (k < 0 || k >= nT) throw bad(`${which.slice(0, -1)} ${i} of subgraph ${s} is tensor ${k}, but the subgraph has ${nT} tensors`);
        out.push(values[k]);
      }
      return out;
    };
    const inputs = io('inputs');
    const outputs = io('outputs');
    if (s === 0) main = { inputs, outputs };
    const nOps = sg.operatorsLength();
    const ref = (k: number, what: string) => {
      if (k === -1) return ''; // an optional input left out
      if (k < 0 || k >= nT) throw bad(`${what} is tensor ${k}, but subgraph ${s} has ${nT} tensors`);
      return names[k];
    };
    for (let o = 0; o < nOps; o++) {
      const op = sg.operators(o)!;
      const ci = op.opcodeIndex();
      const code = opCodes[ci];
      if (!code) throw bad(`operator ${o} of subgraph ${s} uses operator code ${ci}, but the model has ${opCodes.length}`);
      const ins: string[] = [];
      const outs: string[] = [];
      for (let i = 0, n = op.inputsLength(); i < n; i++) ins.push(ref(op.inputs(i)!, `input ${i} of operator ${o} of subgraph ${s}`));
      for (let i = 0, n = op.outputsLength(); i < n; i++) outs.push(ref(op.outputs(i)!, `output ${i} of operator ${o} of subgraph ${s}`));
      const attributes: Record<string, AttrValue> = { version: code.version };
      const t1 = op.builtinOptionsType();
      if (t1 !== BuiltinOptions.NONE) {
        const opts = unionToBuiltinOptions(t1, (x) => op.builtinOptions(x));
        if (opts) Object.assign(attributes, optionFields(opts, graphPathOf));
        else warnings.push(`Operator ${o} of subgraph ${s} has builtin options of type ${t1}, unknown to this reader's schema.`);
      }
      const t2 = op.builtinOptions2Type();
      if (t2 !== BuiltinOptions2.NONE) {
        const opts = unionToBuiltinOptions2(t2, (x) => op.builtinOptions2(x));
        if (opts) Object.assign(attributes, optionFields(opts, graphPathOf));
      }
      const customBytes = op.customOptionsLength();
      if (customBytes) attributes.custom_options_bytes = customBytes;
      const node: NodeInfo = {
        name: outs.find((x) => x) ?? '',
        opType: code.name,
        domain: code.builtin ? '' : 'custom',
        graphPath: gpath,
        inputs: ins,
        outputs: outs,
        attributes,
      };
      nodes.push(node);
      const key = code.builtin ? code.name : `custom:${code.name}`;
      opHistogram[key] = (opHistogram[key] ?? 0) + 1;
    }
    graphs.push({ path: gpath, name: subNames[s], nodeCount: nOps, initializerCount: constants, inputs, outputs });
    subInfo.push({ name: subNames[s], path: gpath, tensors: nT, operators: nOps });
  }
  if (sparse) warnings.push(`${sparse} constant tensor${sparse === 1 ? ' is' : 's are'} stored sparse (compressed); ${sparse === 1 ? 'it is' : 'they are'} listed and compared by ${sparse === 1 ? 'its' : 'their'} stored bytes (uint8), not by value.`);

  // signature defs
  const signatures: TfliteInfo['signatureDefs'] = [];
  for (let i = 0, n = model.signatureDefsLength(); i < n; i++) {
    const sd = model.signatureDefs(i)!;
    const si = sd.subgraphIndex();
    if (si >= nSub) throw bad(`signature ${i} refers to subgraph ${si}, but the model has ${nSub}`);
    const maps = (which: 'inputs' | 'outputs') => {
      const out: { name: string; tensor: string }[] = [];
      const n2 = which === 'inputs' ? sd.inputsLength() : sd.outputsLength();
      for (let k = 0; k < n2; k++) {
        const m = which === 'inputs' ? sd.inputs(k)! : sd.outputs(k)!;
        const ti = m.tensorIndex();
        model.subgraphs(si, sg);
        if (ti >= sg.tensorsLength()) throw bad(`signature ${i} names tensor ${ti} of subgraph ${si}, which has ${sg.tensorsLength()}`);
        out.push({ name: m.name() ?? '', tensor: sg.tensors(ti, t)!.name() ?? `tensor_${ti}` });
      }
      return out;
    };
    signatures.push({ key: sd.signatureKey() ?? '', subgraph: si, inputs: maps('inputs'), outputs: maps('outputs') });
  }

  // metadata entries: name → the buffer's text
  const metadata: Record<string, string> = {};
  for (let i = 0, n = model.metadataLength(); i < n; i++) {
    const m = model.metadata(i)!;
    const mname = m.name() ?? `metadata_${i}`;
    const bi = m.buffer();
    const b = buffers[bi];
    if (!b) {
      warnings.push(`Metadata ${quote(mname)} names buffer ${bi}, but the model has ${nBuffers} buffers; it was left out.`);
      continue;
    }
    metadata[mname] = b.length > 4096 ? `(${b.length} bytes)` : b.outside ? `(${b.length} bytes)` : metadataText(bb.range(b.offset, b.length));
  }
  for (const sgn of signatures) {
    metadata[`signature ${sgn.key}`] = `${sgn.inputs.map((x) => x.name).join(', ')} → ${sgn.outputs.map((x) => x.name).join(', ')}${sgn.subgraph ? ` (subgraph ${sgn.subgraph})` : ''}`;
  }

  const tflite: TfliteInfo = {
    schemaVersion: version,
    description,
    subgraphs: subInfo,
    operatorCodes: opCodes,
    buffers: nBuffers,
    bufferBytes,
    signatureDefs: signatures,
  };
  return {
    format: 'tflite',
    path: abs,
    fileSize: size,
    opsets: [],
    docString: description || undefined,
    metadata,
    inputs: main.inputs,
    outputs: main.outputs,
    nodes,
    graphs,
    opHistogram,
    tensors,
    parameterCount: tensors.reduce((a, x) => a + x.paramCount, 0),
    tflite,
    warnings,
  };
}

// ---------------------------------------------------------------- values

async function readAt(fh: fs.promises.FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** TFLite string tensor data: int32 count, count+1 int32 offsets from the start of the data, the bytes. */
function decodeStrings(bytes: Uint8Array, count: number): string[] | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) return undefined;
  const n = dv.getInt32(0, true);
  if (n !== count || 4 * (n + 2) > bytes.length) return undefined;
  const out: string[] = [];
  const dec = new TextDecoder();
  for (let i = 0; i < n; i++) {
    const a = dv.getInt32(4 + 4 * i, true);
    const b = dv.getInt32(8 + 4 * i, true);
    if (a < 0 || b < a || b > bytes.length) return undefined;
    out.push(dec.decode(bytes.subarray(a, b)));
  }
  return out;
}

/**
 * Read one constant tensor's values with a positional read. float16/bfloat16 come back as Uint16Array
 * (the bits), float8 types, bool and uint8 as Uint8Array, int64 as BigInt64Array, int4/int2 unpacked
 * into Int8Array (uint4 into Uint8Array), strings as string[] — as the ONNX reader gives them.
 * Quantized tensors come back as their stored integers; TensorInfo.quantization says how to dequantize.
 */
export async function readTfliteTensor(file: string, tensor: TensorInfo): Promise<TensorData> {
  const loc = tensor.location;
  const src = loc.kind === 'external' ? loc.file : path.resolve(file);
  const name = path.basename(src);
  if (loc.kind !== 'raw' && loc.kind !== 'external') {
    throw new ModelFormatError('UNSUPPORTED', src, `tensor ${quote(tensor.name)} of ${name} (${tensor.dtype}, ${loc.kind} location) is not a constant TFLite tensor.`);
  }
  if (loc.length > bufferConstants.MAX_LENGTH) {
    throw new ModelFormatError('UNSUPPORTED', src, `tensor ${quote(tensor.name)} of ${name} is ${loc.length} bytes, more than can be read into memory at once (${bufferConstants.MAX_LENGTH}).`);
  }
  const bytes = new Uint8Array(loc.length);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(src, 'r');
  } catch (e) {
    openFailure(src, e);
  }
  try {
    if ((await readAt(fh, bytes, loc.offset)) !== loc.length) {
      throw new ModelFormatError(
        'TRUNCATED',
        src,
        `${name} ends before the data of tensor ${quote(tensor.name)} (bytes ${loc.offset}–${loc.offset + loc.length}); the file changed since it was summarized, or was cut off. Fetch or convert it again.`,
      );
    }
  } finally {
    await fh.close();
  }
  const n = tensor.paramCount;
  const bits = BITS_OF[tensor.dtype];
  if (bits && loc.length !== Math.ceil((n * bits) / 8)) {
    throw new ModelFormatError('CORRUPT', src, `tensor ${quote(tensor.name)} of ${name}: ${loc.length} bytes cannot hold ${n} ${tensor.dtype} values.`);
  }
  let data: TensorData['data'] | undefined = plainView(tensor.dtype, bytes, n);
  if (!data) {
    switch (tensor.dtype) {
      case 'int4':
      case 'uint4':
      case 'int2': {
        // packed low bits first, as TFLite packs them
        const w = BITS_OF[tensor.dtype];
        const per = 8 / w;
        const mask = (1 << w) - 1;
        const signed = tensor.dtype !== 'uint4';
        const out = signed ? new Int8Array(n) : new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const v = (bytes[Math.floor(i / per)] >> ((i % per) * w)) & mask;
          out[i] = signed && v >= 1 << (w - 1) ? v - (1 << w) : v;
        }
        data = out;
        break;
      }
      case 'string': {
        const s = decodeStrings(bytes, n);
        if (!s) throw new ModelFormatError('CORRUPT', src, `tensor ${quote(tensor.name)} of ${name}: its ${loc.length} bytes are not ${n} TFLite strings (count, offsets, bytes).`);
        data = s;
        break;
      }
      default: // uint8, bool, float8 types, sparse tensors' stored bytes
        data = bytes;
    }
  }
  return { dtype: tensor.dtype, shape: tensor.shape, data };
}
