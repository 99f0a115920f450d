/**
 * GGUF (llama.cpp, ggml's docs/gguf.md), versions 2 and 3, little-endian: the magic "GGUF", a uint32
 * version, uint64 tensor and metadata counts, the metadata key/value pairs, the tensor infos (name,
 * dimensions, ggml type, offset into the data), padding to the alignment (`general.alignment`, 32 by
 * default), then the tensor data. Strings are a uint64 byte length and UTF-8 bytes; arrays a uint32
 * element type, a uint64 count and the elements (arrays of arrays allowed).
 *
 * Only the header region (metadata and tensor infos) is read for a summary, through a 1 MiB window
 * that slides forward: a 10 GB model is summarised from its first megabytes. Long arrays (the
 * tokenizer's 150 000 tokens, its merges and scores) are streamed through, never held: the summary
 * keeps their length, their first elements and a digest of their bytes (so a diff sees a change in
 * the middle). Tensor values are read tensor by tensor with positional reads.
 *
 * Shapes: GGUF lists a tensor's dimensions innermost first (ggml's ne[0] is the row length, the
 * dimension that varies fastest, along which quantization blocks run); llama.cpp's tools and
 * @huggingface/gguf show them in that order. A TensorInfo's shape here is the reverse: row-major,
 * outermost first, as numpy shows the same tensor (gguf-py's GGUFReader gives `tensor.data` this
 * shape) and as every other reader of this project gives shapes, so `token_embd.weight` of a
 * 32000-token, 4096-wide model is [32000, 4096] here and [4096, 32000] in the file.
 *
 * Types: float and integer ggml types take this project's dtype names (F32 → float32, F16 →
 * float16, BF16 → bfloat16, I8 → int8 …) and decode like safetensors tensors. Quantized types keep
 * their ggml names in upper case (Q4_0, Q4_K, IQ2_XXS, TQ1_0, MXFP4) with a TensorInfo.byteSize of
 * their stored bytes. readGgufTensor dequantizes Q8_0 and Q4_0 (to float32); other quantized types
 * come back as their bytes (the diff compares them byte for byte).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { constants as bufferConstants } from 'buffer';
import { ModelFormatError, type ModelFormatErrorCode } from './errors';
import type { DType, GgufInfo, ModelSummary, TensorData, TensorInfo } from './types';
import { plainView } from './plainView';

// ---------------------------------------------------------------- ggml types

interface GgmlType {
  id: number;
  /** our dtype: a project dtype name for float/int types, the ggml name (upper case) for quantized ones */
  dtype: DType;
  /** elements per block (1 for plain types) and bytes per block */
  block: number;
  bytes: number;
}

const QK_K = 256;
/** ggml's type_traits (ggml/src/ggml.c): blck_size and type_size of every type in use. */
const GGML_TYPES: GgmlType[] = [
  { id: 0, dtype: 'float32', block: 1, bytes: 4 },
  { id: 1, dtype: 'float16', block: 1, bytes: 2 },
  { id: 2, dtype: 'Q4_0', block: 32, bytes: 2 + 16 },
  { id: 3, dtype: 'Q4_1', block: 32, bytes: 2 + 2 + 16 },
  { id: 6, dtype: 'Q5_0', block: 32, bytes: 2 + 4 + 16 },
  { id: 7, dtype: 'Q5_1', block: 32, bytes: 2 + 2 + 4 + 16 },
  { id: 8, dtype: 'Q8_0', block: 32, bytes: 2 + 32 },
  // ggml's block_q8_1 is two float16 (d, s) and 32 int8 (gguf-py's table still says 4 + 4 + 32, from when d and s were float32)
  { id: 9, dtype: 'Q8_1', block: 32, bytes: 2 + 2 + 32 },
  { id: 10, dtype: 'Q2_K', block: QK_K, bytes: QK_K / 16 + QK_K / 4 + 2 + 2 },
  { id: 11, dtype: 'Q3_K', block: QK_K, bytes: QK_K / 8 + QK_K / 4 + 12 + 2 },
  { id: 12, dtype: 'Q4_K', block: QK_K, bytes: 2 + 2 + 12 + QK_K / 2 },
  { id: 13, dtype: 'Q5_K', block: QK_K, bytes: 2 + 2 + 12 + QK_K / 8 + QK_K / 2 },
  { id: 14, dtype: 'Q6_K', block: QK_K, bytes: QK_K / 2 + QK_K / 4 + QK_K / 16 + 2 },
  { id: 15, dtype: 'Q8_K', block: QK_K, bytes: 4 + QK_K + (QK_K / 16) * 2 },
  { id: 16, dtype: 'IQ2_XXS', block: QK_K, bytes: 2 + QK_K / 4 },
  { id: 17, dtype: 'IQ2_XS', block: QK_K, bytes: 2 + QK_K / 4 + QK_K / 32 },
  { id: 18, dtype: 'IQ3_XXS', block: QK_K, bytes: 2 + (3 * QK_K) / 8 },
  { id: 19, dtype: 'IQ1_S', block: QK_K, bytes: 2 + QK_K / 8 + QK_K / 16 },
  { id: 20, dtype: 'IQ4_NL', block: 32, bytes: 2 + 16 },
  { id: 21, dtype: 'IQ3_S', block: QK_K, bytes: 2 + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64 },
  { id: 22, dtype: 'IQ2_S', block: QK_K, bytes: 2 + QK_K / 4 + QK_K / 32 + QK_K / 32 },
  { id: 23, dtype: 'IQ4_XS', block: QK_K, bytes: 2 + 2 + QK_K / 64 + QK_K / 2 },
  { id: 24, dtype: 'int8', block: 1, bytes: 1 },
  { id: 25, dtype: 'int16', block: 1, bytes: 2 },
  { id: 26, dtype: 'int32', block: 1, bytes: 4 },
  { id: 27, dtype: 'int64', block: 1, bytes: 8 },
  { id: 28, dtype: 'float64', block: 1, bytes: 8 },
  { id: 29, dtype: 'IQ1_M', block: QK_K, bytes: QK_K / 8 + QK_K / 16 + QK_K / 32 },
  { id: 30, dtype: 'bfloat16', block: 1, bytes: 2 },
  { id: 34, dtype: 'TQ1_0', block: QK_K, bytes: (QK_K - (4 * QK_K) / 64) / 5 + QK_K / 64 + 2 },
  { id: 35, dtype: 'TQ2_0', block: QK_K, bytes: QK_K / 4 + 2 },
  { id: 39, dtype: 'MXFP4', block: 32, bytes: 1 + 16 },
];
/** ggml types that were removed from ggml (files that use them are refused by llama.cpp too). */
const REMOVED_TYPES: Record<number, string> = {
  4: 'Q4_2',
  5: 'Q4_3',
  31: 'Q4_0_4_4',
  32: 'Q4_0_4_8',
  33: 'Q4_0_8_8',
  36: 'IQ4_NL_4_4',
  37: 'IQ4_NL_4_8',
  38: 'IQ4_NL_8_8',
};
const TYPE_BY_ID = new Map(GGML_TYPES.map((t) => [t.id, t]));
const TYPE_BY_DTYPE = new Map(GGML_TYPES.map((t) => [t.dtype, t]));
/** ggml type id → its name as ggml and gguf-py spell it (F32, Q4_K, …), for tests and messages. */
const PLAIN_NAMES: Record<string, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64', int8: 'I8', int16: 'I16', int32: 'I32', int64: 'I64' };
export const GGML_TYPE_NAMES: Record<number, string> = Object.fromEntries(GGML_TYPES.map((t) => [t.id, PLAIN_NAMES[t.dtype] ?? t.dtype]));
/** ggml type → { elements, bytes } per block (for the tests' cross-check with gguf-py's GGML_QUANT_SIZES). */
export function ggmlBlock(id: number): { block: number; bytes: number } | undefined {
  const t = TYPE_BY_ID.get(id);
  return t && { block: t.block, bytes: t.bytes };
}

/** Is this dtype one of ggml's quantized (block) types, stored only in GGUF files? */
export function isGgmlQuantized(dtype: DType): boolean {
  return (TYPE_BY_DTYPE.get(dtype)?.block ?? 1) > 1;
}
/** Quantized types whose values readGgufTensor decodes (dequantizes to float32). */
const DEQUANTIZED = new Set(['Q8_0', 'Q4_0']);
/** Is this a quantized ggml dtype whose values this reader dequantizes (Q8_0, Q4_0)? */
export function isGgmlDequantized(dtype: DType): boolean {
  return DEQUANTIZED.has(dtype);
}

/** llama.cpp's llama_ftype (general.file_type): what most of the model is quantized to. */
const FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  4: 'Q4_1_SOME_F16',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
};
/** general.file_type → its name (Q4_K_M …), or undefined for a number llama.cpp does not define. */
export function ggufFileTypeName(n: number): string | undefined {
  return FILE_TYPES[n];
}

// ---------------------------------------------------------------- metadata value types

const VT = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const;
const VT_NAMES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'];
const VT_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];

/** The largest metadata string kept whole (a chat template is a few KiB); longer ones are cut, with their length given. */
export const MAX_KEPT_STRING = 1 << 20;
/** A key or a tensor name longer than this is refused (the format's limit for keys is 65535 bytes; ggml's for names, 64). */
const MAX_NAME = 65535;
/** Array elements kept for the summary (the rest are streamed through, into the array's digest). */
const ARRAY_SHOWN = 8;
/** Characters of each array element shown. */
const ELEMENT_CHARS = 80;
/** Arrays of arrays nested deeper than this are refused. */
const MAX_ARRAY_DEPTH = 8;
/**
 * More metadata pairs or tensors than these are refused (real models: tens of pairs; a few thousand
 * tensors, MoE experts being stacked in one tensor per layer), so that a small hostile header cannot
 * make the reader hold millions of records.
 */
export const MAX_KV = 100_000;
export const MAX_TENSORS = 200_000;
/** The most text (keys, kept values, tensor names) held for a summary: a header that would take more is refused (tests lower it). */
export const ggufLimits = { heldText: 64 * 1024 * 1024 };
/** ggml's GGML_MAX_DIMS. */
const MAX_DIMS = 4;
/** The window through which the header is read. */
const WINDOW = 1 << 20;

type Scalar = number | bigint | boolean | string;
interface ArrayValue {
  kind: 'array';
  type: number;
  count: number;
  /** the first ARRAY_SHOWN elements */
  first: Value[];
  /** sha256 (hex, 12 digits) of the array's bytes after its count, when not all of it is shown */
  digest?: string;
}
type Value = Scalar | ArrayValue;

// ---------------------------------------------------------------- reading the header

const quote = (s: string) => JSON.stringify(s.length > 200 ? s.slice(0, 197) + '…' : s);
const utf8 = new TextDecoder('utf-8');

/** Reads a file forward through a window of it; every value read is bounds-checked against the file's size. */
class Cursor {
  private buf = Buffer.allocUnsafe(WINDOW);
  private start = 0;
  private end = 0;
  pos = 0;
  /** bytes consumed while set are fed to it (an array's digest) */
  tap: crypto.Hash | undefined;
  constructor(
    private readonly fh: fs.promises.FileHandle,
    readonly size: number,
    private readonly truncated: (what: string) => ModelFormatError,
  ) {}

  private has(n: number): boolean {
    return this.pos >= this.start && this.pos + n <= this.start + this.end;
  }

  /** Make bytes [pos, pos + n) readable (n ≤ WINDOW, or a kept string's length). */
  private async fill(n: number, what: string): Promise<void> {
    if (this.pos + n > this.size) throw this.truncated(what);
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    const want = Math.min(this.buf.length, this.size - this.pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(this.buf, got, want - got, this.pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.start = this.pos;
    this.end = got;
    if (got < n) throw this.truncated(what);
  }

  /** The next n bytes (a view valid until the next read). */
  async take(n: number, what: string): Promise<Buffer> {
    if (!this.has(n)) await this.fill(n, what);
    const at = this.pos - this.start;
    const b = this.buf.subarray(at, at + n);
    this.pos += n;
    this.tap?.update(b);
    return b;
  }

  /** Pass over n bytes (fed to the tap, if one is set). */
  async skip(n: number, what: string): Promise<void> {
    if (this.pos + n > this.size) throw this.truncated(what);
    if (!this.tap) {
      this.pos += n;
      return;
    }
    while (n > 0) {
      const k = Math.min(n, WINDOW);
      await this.take(k, what);
      n -= k;
    }
  }

  /**
   * Pass over up to n strings that lie whole in the window, without I/O (the tokenizer's hundreds of
   * thousands of tokens and merges); returns how many. Anything else (a string across the window's end,
   * a length of 4 GiB or more) is left to the caller's checked path.
   */
  skipStringsInWindow(n: number): number {
    if (this.pos < this.start) return 0;
    const from = this.pos - this.start;
    let at = from;
    let k = 0;
    while (k < n && at + 8 <= this.end) {
      if (this.buf.readUInt32LE(at + 4) !== 0) break;
      const len = this.buf.readUInt32LE(at);
      if (at + 8 + len > this.end) break;
      at += 8 + len;
      k++;
    }
    if (at > from) {
      this.tap?.update(this.buf.subarray(from, at));
      this.pos += at - from;
    }
    return k;
  }

  async u32(what: string): Promise<number> {
    return (await this.take(4, what)).readUInt32LE(0);
  }

  /** A uint64 that must be a safe integer no larger than `max`; `tooLarge` says why otherwise. */
  async count(what: string, max: number, tooLarge: (n: bigint) => ModelFormatError): Promise<number> {
    const v = (await this.take(8, what)).readBigUInt64LE(0);
    if (v > BigInt(max)) throw tooLarge(v);
    return Number(v);
  }

  get left(): number {
    return this.size - this.pos;
  }
}

/** Everything the header says, before it becomes a summary. */
interface Header {
  version: number;
  values: Map<string, Value>;
  types: Map<string, number>;
  tensors: TensorInfo[];
  alignment: number;
  dataOffset: number;
  warnings: string[];
}

async function parseHeader(fh: fs.promises.FileHandle, size: number, abs: string): Promise<Header> {
  const name = path.basename(abs);
  const bad = (code: ModelFormatErrorCode, what: string, todo = 'The file is damaged; convert or download it again.') =>
    new ModelFormatError(code, abs, `${name} is not a valid GGUF file: ${what}. ${todo}`);
  const truncated = (what: string) =>
    bad('TRUNCATED', `it ends (at ${size} bytes) inside ${what}`, 'The file was probably cut off while it was copied or downloaded; download or convert it again.');
  const c = new Cursor(fh, size, truncated);

  if (size < 24) throw bad('TRUNCATED', `it has ${size} bytes, fewer than the 24 of a GGUF header`, 'The file was probably cut off while it was copied or downloaded.');
  const head = await c.take(8, 'the header');
  if (head.toString('latin1', 0, 4) !== 'GGUF') throw bad('NOT_A_MODEL', 'it does not start with the magic "GGUF"', 'It is another kind of file.');
  const version = head.readUInt32LE(4);
  if (version === 1) {
    throw new ModelFormatError(
      'UNSUPPORTED',
      abs,
      `${name} is a GGUF version 1 file (llama.cpp before August 2023), which this reader does not read (it reads versions 2 and 3). Convert it again with a current llama.cpp (convert_hf_to_gguf.py), or upgrade it with gguf-py.`,
    );
  }
  if (version !== 2 && version !== 3) {
    const be = head.readUInt32BE(4);
    if ((version & 0xffff) === 0 && (be === 2 || be === 3)) {
      throw new ModelFormatError('UNSUPPORTED', abs, `${name} is a big-endian GGUF file (version ${be}, written for a big-endian machine such as s390x); this reader reads little-endian GGUF only. Convert the model again on a little-endian machine (convert_hf_to_gguf.py without --bigendian).`);
    }
    throw new ModelFormatError('UNSUPPORTED', abs, `${name} is a GGUF file of version ${version}, which this reader does not know (it reads versions 2 and 3). A newer llama.cpp may have written it; convert it again with a llama.cpp that writes version 3.`);
  }
  const tensorCount = await c.count('the tensor count', MAX_TENSORS, (n) => bad('CORRUPT', `it gives ${n} tensors, more than the ${MAX_TENSORS} this reader accepts`));
  const kvCount = await c.count('the metadata count', MAX_KV, (n) => bad('CORRUPT', `it gives ${n} metadata pairs, more than the ${MAX_KV} this reader accepts`));
  // the smallest metadata pair (a 1-byte key, a uint8) takes 14 bytes; the smallest tensor info (a 1-byte name, no dimensions) 25
  if (kvCount * 14 + tensorCount * 25 > c.left) {
    throw bad('TRUNCATED', `it gives ${kvCount} metadata pairs and ${tensorCount} tensors, which cannot fit in its ${size} bytes`, 'The file was cut off, or its counts are damaged; download or convert it again.');
  }

  let held = 0;
  /** A string; at most `keep` bytes of it decoded (then '…' is appended). */
  const str = async (what: string, keep: number, max = Number.MAX_SAFE_INTEGER): Promise<string> => {
    const len = await c.count(`the length of ${what}`, Number.MAX_SAFE_INTEGER, (n) => bad('CORRUPT', `${what} has the length ${n}, longer than the file`));
    if (len > max) throw bad('CORRUPT', `${what} is ${len} bytes long, more than the ${max} allowed`);
    if (len > c.left) throw bad('TRUNCATED', `${what} is ${len} bytes long, but only ${c.left} bytes follow its length`, 'The file was cut off or is damaged; download or convert it again.');
    held += Math.min(len, keep);
    if (held > ggufLimits.heldText) {
      throw new ModelFormatError(
        'UNSUPPORTED',
        abs,
        `${name}: its metadata keys, values and tensor names take more than ${(ggufLimits.heldText / 1024 / 1024).toFixed(0)} MiB (at ${what}), more than this reader holds for a summary; real models take well under 1 MiB. The file is probably damaged.`,
      );
    }
    if (len <= keep) return utf8.decode(await c.take(len, what));
    const s = utf8.decode(await c.take(keep, what));
    await c.skip(len - keep, what);
    return `${s}… (${len} bytes)`;
  };

  const scalar = async (type: number, what: string): Promise<Scalar> => {
    switch (type) {
      case VT.UINT8:
        return (await c.take(1, what))[0];
      case VT.INT8:
        return (await c.take(1, what)).readInt8(0);
      case VT.UINT16:
        return (await c.take(2, what)).readUInt16LE(0);
      case VT.INT16:
        return (await c.take(2, what)).readInt16LE(0);
      case VT.UINT32:
        return (await c.take(4, what)).readUInt32LE(0);
      case VT.INT32:
        return (await c.take(4, what)).readInt32LE(0);
      case VT.FLOAT32:
        return (await c.take(4, what)).readFloatLE(0);
      case VT.BOOL:
        return (await c.take(1, what))[0] !== 0;
      case VT.UINT64:
        return (await c.take(8, what)).readBigUInt64LE(0);
      case VT.INT64:
        return (await c.take(8, what)).readBigInt64LE(0);
      case VT.FLOAT64:
        return (await c.take(8, what)).readDoubleLE(0);
      default:
        throw new Error(`not a scalar type: ${type}`);
    }
  };

  const value = async (type: number, what: string, depth: number, keep: number): Promise<Value> => {
    if (type === VT.STRING) return str(what, keep);
    if (type !== VT.ARRAY) return scalar(type, what);
    if (depth >= MAX_ARRAY_DEPTH) throw bad('CORRUPT', `${what} nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
    const et = await c.u32(`the element type of ${what}`);
    if (et > VT.FLOAT64) throw bad('CORRUPT', `${what} is an array of the unknown value type ${et} (the format's types are 0–12)`);
    const count = await c.count(`the length of ${what}`, Number.MAX_SAFE_INTEGER, (n) => bad('CORRUPT', `${what} has ${n} elements, more than the file could hold`));
    const least = et === VT.STRING ? 8 : et === VT.ARRAY ? 12 : VT_SIZE[et];
    if (count * least > c.left) {
      throw bad('TRUNCATED', `${what} has ${count} elements of type ${VT_NAMES[et]}, which need at least ${count * least} bytes, but only ${c.left} bytes follow`, 'The file was cut off or is damaged; download or convert it again.');
    }
    const outer = !c.tap && count > ARRAY_SHOWN;
    const hash = outer ? crypto.createHash('sha256') : undefined;
    if (hash) c.tap = hash;
    try {
      const first: Value[] = [];
      const shown = Math.min(count, ARRAY_SHOWN);
      for (let i = 0; i < shown; i++) first.push(await value(et, `element ${i} of ${what}`, depth + 1, ELEMENT_CHARS * 4));
      if (count > shown) {
        if (VT_SIZE[et]) await c.skip((count - shown) * VT_SIZE[et], what);
        else {
          for (let i = shown; i < count; ) {
            if (et === VT.STRING) i += c.skipStringsInWindow(count - i);
            if (i < count) await value(et, `element ${i++} of ${what}`, depth + 1, 0);
          }
        }
      }
      const a: ArrayValue = { kind: 'array', type: et, count, first };
      if (hash) a.digest = hash.digest('hex').slice(0, 12);
      return a;
    } finally {
      if (hash) c.tap = undefined;
    }
  };

  const values = new Map<string, Value>();
  const types = new Map<string, number>();
  for (let i = 0; i < kvCount; i++) {
    const key = await str(`the key of metadata pair ${i}`, MAX_NAME, MAX_NAME);
    const kq = `metadata ${quote(key)}`;
    if (values.has(key)) throw bad('CORRUPT', `the key ${quote(key)} is given twice (llama.cpp refuses such a file)`);
    const type = await c.u32(`the value type of ${kq}`);
    if (type > VT.FLOAT64) throw bad('CORRUPT', `${kq} has the unknown value type ${type} (the format's types are 0–12)`);
    types.set(key, type);
    values.set(key, await value(type, kq, 0, MAX_KEPT_STRING));
  }

  const warnings: string[] = [];
  let alignment = 32;
  if (values.has('general.alignment')) {
    const a = values.get('general.alignment');
    if (types.get('general.alignment') !== VT.UINT32 || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0) {
      throw bad('CORRUPT', `general.alignment is ${typeof a === 'object' ? 'an array' : String(a)} (${VT_NAMES[types.get('general.alignment')!]}); it must be a uint32 power of two`);
    }
    alignment = a;
  }

  const raw: { t: TensorInfo; rel: number; type: GgmlType }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const tname = await str(`the name of tensor ${i}`, MAX_NAME, MAX_NAME);
    const tq = `tensor ${quote(tname)}`;
    if (names.has(tname)) throw bad('CORRUPT', `two tensors are named ${quote(tname)} (llama.cpp refuses such a file)`);
    names.add(tname);
    const nd = await c.u32(`the dimension count of ${tq}`);
    if (nd > MAX_DIMS) throw bad('CORRUPT', `${tq} has ${nd} dimensions, more than ggml's ${MAX_DIMS}`);
    const ne: number[] = [];
    for (let d = 0; d < nd; d++) ne.push(await c.count(`the dimensions of ${tq}`, Number.MAX_SAFE_INTEGER, (n) => bad('CORRUPT', `${tq} has the dimension ${n}, impossibly large`)));
    const tid = await c.u32(`the type of ${tq}`);
    const type = TYPE_BY_ID.get(tid);
    if (!type) {
      const removed = REMOVED_TYPES[tid];
      throw new ModelFormatError(
        'UNSUPPORTED',
        abs,
        removed
          ? `${name}: ${tq} has the ggml type ${removed} (${tid}), which was removed from ggml; current llama.cpp refuses it too. Convert the model again with a current llama.cpp.`
          : `${name}: ${tq} has the ggml type ${tid}, which this reader does not know (it knows ${GGML_TYPES.map((t) => GGML_TYPE_NAMES[t.id]).join(', ')}). A newer llama.cpp may have written it.`,
      );
    }
    const rel = await c.count(`the offset of ${tq}`, Number.MAX_SAFE_INTEGER, (n) => bad('CORRUPT', `${tq} has the offset ${n}, past any file`));
    let count = 1;
    for (const d of ne) count *= d;
    if (!Number.isSafeInteger(count)) throw bad('CORRUPT', `${tq} has the dimensions [${ne.join(', ')}], whose element count is impossibly large`);
    const row = nd ? ne[0] : 1;
    if (row % type.block !== 0) throw bad('CORRUPT', `${tq} is ${GGML_TYPE_NAMES[tid]}, whose blocks hold ${type.block} values, but its rows (ne[0]) hold ${row}`);
    const bytes = (count / type.block) * type.bytes;
    if (!Number.isSafeInteger(bytes)) throw bad('CORRUPT', `${tq} would take ${bytes} bytes, impossibly many`);
    if (rel % alignment !== 0) throw bad('CORRUPT', `${tq} starts at offset ${rel} of the data, not a multiple of the alignment ${alignment}`);
    const t: TensorInfo = {
      name: tname,
      dtype: type.dtype,
      shape: [...ne].reverse(),
      paramCount: count,
      byteSize: bytes,
      origin: 'tensor',
      graphPath: '',
      location: { kind: 'raw', offset: 0, length: bytes },
    };
    raw.push({ t, rel, type });
  }
  const infoEnd = c.pos;
  const dataOffset = Math.ceil(infoEnd / alignment) * alignment;
  const dataLength = Math.max(0, size - dataOffset);
  for (const r of raw) {
    if (r.rel + r.t.byteSize > dataLength) {
      throw bad(
        'TRUNCATED',
        `tensor ${quote(r.t.name)} needs bytes ${r.rel}–${r.rel + r.t.byteSize} of the data (which starts at byte ${dataOffset}), but the data has only ${dataLength} bytes`,
        'The file was probably cut off while it was copied or downloaded; download or convert it again.',
      );
    }
    r.t.location = { kind: 'raw', offset: dataOffset + r.rel, length: r.t.byteSize };
  }
  const byOffset = [...raw].filter((r) => r.t.byteSize > 0).sort((p, q) => p.rel - q.rel);
  for (let k = 1; k < byOffset.length; k++) {
    const p = byOffset[k - 1];
    const q = byOffset[k];
    if (q.rel < p.rel + p.t.byteSize) {
      throw bad('CORRUPT', `tensors ${quote(p.t.name)} and ${quote(q.t.name)} overlap (the second starts at byte ${q.rel} of the data, before the first ends at ${p.rel + p.t.byteSize})`);
    }
  }
  if (typeof values.get('general.architecture') !== 'string') warnings.push('It has no general.architecture string; llama.cpp needs one to load the model.');
  const ft = values.get('general.file_type');
  if (typeof ft === 'number' && FILE_TYPES[ft] === undefined) warnings.push(`general.file_type is ${ft}, which llama.cpp does not define.`);
  return { version, values, types, tensors: raw.map((r) => r.t), alignment, dataOffset, warnings };
}

// ---------------------------------------------------------------- the summary

/** The shortest decimal that reads back as the same float32. */
function float32Text(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p < 10; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

function scalarText(v: Scalar, type: number, inArray: boolean): string {
  if (typeof v === 'string') return inArray ? JSON.stringify(v.length > ELEMENT_CHARS ? v.slice(0, ELEMENT_CHARS - 1) + '…' : v) : v;
  if (typeof v === 'number' && type === VT.FLOAT32) return float32Text(v);
  return String(v);
}

/** A metadata value as the summary shows it: scalars as text; arrays as their first elements, length and digest. */
function valueText(v: Value, type: number, inArray = false): string {
  if (typeof v !== 'object') return scalarText(v, type, inArray);
  const items = v.first.map((x) => valueText(x, v.type, true));
  if (v.count <= v.first.length && !v.digest) return `[${items.join(', ')}]`;
  return `[${items.join(', ')}, …] (${v.count} ${VT_NAMES[v.type]}${v.count === 1 ? '' : 's'}${v.digest ? `, sha256 ${v.digest}…` : ''})`;
}

function gguInfo(h: Header): GgufInfo {
  const v = h.values;
  const str = (k: string) => {
    const x = v.get(k);
    return typeof x === 'string' ? x : undefined;
  };
  const num = (k: string) => {
    const x = v.get(k);
    return typeof x === 'number' ? x : typeof x === 'bigint' && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : undefined;
  };
  const len = (k: string) => {
    const x = v.get(k);
    return typeof x === 'object' ? x.count : undefined;
  };
  const architecture = str('general.architecture');
  const info: GgufInfo = { version: h.version, alignment: h.alignment, dataOffset: h.dataOffset, metadataCount: v.size, types: {} };
  if (architecture) info.architecture = architecture;
  const mname = str('general.name');
  if (mname) info.name = mname;
  const ctx = architecture ? num(`${architecture}.context_length`) : undefined;
  if (ctx !== undefined) info.contextLength = ctx;
  const ft = num('general.file_type');
  if (ft !== undefined) info.fileType = FILE_TYPES[ft] ?? `file type ${ft}`;
  for (const t of h.tensors) info.types[t.dtype] = (info.types[t.dtype] ?? 0) + 1;
  const model = str('tokenizer.ggml.model');
  const tokens = len('tokenizer.ggml.tokens');
  if (model !== undefined || tokens !== undefined) {
    const tk: NonNullable<GgufInfo['tokenizer']> = {};
    if (model !== undefined) tk.model = model;
    const pre = str('tokenizer.ggml.pre');
    if (pre !== undefined) tk.pre = pre;
    if (tokens !== undefined) tk.tokens = tokens;
    const merges = len('tokenizer.ggml.merges');
    if (merges !== undefined) tk.merges = merges;
    const bos = num('tokenizer.ggml.bos_token_id');
    if (bos !== undefined) tk.bosTokenId = bos;
    const eos = num('tokenizer.ggml.eos_token_id');
    if (eos !== undefined) tk.eosTokenId = eos;
    if (v.has('tokenizer.chat_template')) tk.chatTemplate = true;
    info.tokenizer = tk;
  }
  return info;
}

function openFailure(file: string, e: unknown): never {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') throw new ModelFormatError('NOT_FOUND', file, `${file} does not exist.`);
  if (err?.code === 'EISDIR') throw new ModelFormatError('NOT_A_MODEL', file, `${file} is a folder, not a model file.`);
  throw new ModelFormatError('NOT_FOUND', file, `Cannot read ${file}: ${err?.message ?? String(e)}`);
}

/** Summarise a GGUF file from its header region (metadata and tensor infos); no tensor data is read. */
export async function readGgufSummary(file: string): Promise<ModelSummary> {
  const abs = path.resolve(file);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(abs, 'r');
  } catch (e) {
    openFailure(abs, e);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new ModelFormatError('NOT_A_MODEL', abs, `${abs} is a folder, not a model file.`);
    if (st.size === 0) throw new ModelFormatError('EMPTY', abs, `${path.basename(abs)} is empty (0 bytes). If it is tracked with Git LFS, fetch its content with \`git lfs pull\`.`);
    const h = await parseHeader(fh, st.size, abs);
    const metadata: Record<string, string> = {};
    // an own key even when it is '__proto__'
    for (const [k, v] of h.values) Object.defineProperty(metadata, k, { value: valueText(v, h.types.get(k)!), enumerable: true, writable: true, configurable: true });
    return {
      format: 'gguf',
      path: abs,
      fileSize: st.size,
      opsets: [],
      metadata,
      inputs: [],
      outputs: [],
      nodes: [],
      graphs: [{ path: '', name: '', nodeCount: 0, initializerCount: h.tensors.length, inputs: [], outputs: [] }],
      opHistogram: {},
      tensors: h.tensors,
      parameterCount: h.tensors.reduce((a, t) => a + t.paramCount, 0),
      gguf: gguInfo(h),
      warnings: h.warnings,
    };
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------- tensor values

let halfTable: Float32Array | undefined;
function half(bits: number): number {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const f = h & 0x3ff;
      halfTable[h] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
    }
  }
  return halfTable[bits];
}

/**
 * Dequantize whole blocks of Q8_0 or Q4_0 (ggml's dequantize_row_q8_0 / _q4_0): Q8_0 is a float16
 * scale d and 32 int8 q, x = d·q; Q4_0 is d and 16 bytes of 4-bit q (low nibbles are elements 0–15,
 * high nibbles 16–31), x = d·(q − 8).
 */
export function dequantize(dtype: DType, bytes: Uint8Array, blocks: number): Float32Array {
  const out = new Float32Array(blocks * 32);
  if (dtype === 'Q8_0') {
    for (let b = 0; b < blocks; b++) {
      const o = b * 34;
      const d = half(bytes[o] | (bytes[o + 1] << 8));
      for (let j = 0; j < 32; j++) out[b * 32 + j] = d * ((bytes[o + 2 + j] << 24) >> 24);
    }
  } else if (dtype === 'Q4_0') {
    for (let b = 0; b < blocks; b++) {
      const o = b * 18;
      const d = half(bytes[o] | (bytes[o + 1] << 8));
      for (let j = 0; j < 16; j++) {
        const q = bytes[o + 2 + j];
        out[b * 32 + j] = d * ((q & 0x0f) - 8);
        out[b * 32 + j + 16] = d * ((q >> 4) - 8);
      }
    }
  } else throw new Error(`no dequantization for ${dtype}`);
  return out;
}

async function readBytes(file: string, tensor: TensorInfo, offset: number, length: number): Promise<Uint8Array> {
  const name = path.basename(file);
  if (length > bufferConstants.MAX_LENGTH) {
    throw new ModelFormatError('UNSUPPORTED', file, `tensor ${quote(tensor.name)} of ${name} is ${length} bytes, more than can be read into memory at once (${bufferConstants.MAX_LENGTH}).`);
  }
  const bytes = new Uint8Array(length);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    openFailure(file, e);
  }
  try {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(bytes, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done !== length) {
      throw new ModelFormatError(
        'TRUNCATED',
        file,
        `${name} ends before the data of tensor ${quote(tensor.name)} (bytes ${offset}–${offset + length}); the file changed since it was summarised, or was cut off. Download or convert it again.`,
      );
    }
  } finally {
    await fh.close();
  }
  return bytes;
}

function checkTensor(file: string, tensor: TensorInfo): { type: GgmlType; offset: number; length: number } {
  const type = TYPE_BY_DTYPE.get(tensor.dtype);
  const loc = tensor.location;
  if (!type || loc.kind !== 'raw' || loc.length !== (tensor.paramCount / type.block) * type.bytes) {
    throw new ModelFormatError('UNSUPPORTED', file, `tensor ${quote(tensor.name)} of ${path.basename(file)} (${tensor.dtype}, ${loc.kind} location) is not a GGUF tensor.`);
  }
  return { type, offset: loc.offset, length: loc.length };
}

/**
 * Read one tensor with a positional read. float16/bfloat16 come back as Uint16Array (the bits),
 * int64 as BigInt64Array, as the other readers give them; Q8_0 and Q4_0 dequantized to float32;
 * other quantized types as their stored bytes (Uint8Array).
 */
export async function readGgufTensor(summary: ModelSummary, tensor: TensorInfo): Promise<TensorData> {
  const file = summary.path;
  const { type, offset, length } = checkTensor(file, tensor);
  const bytes = await readBytes(file, tensor, offset, length);
  const n = tensor.paramCount;
  const data = plainView(type.dtype, bytes, n) ?? (DEQUANTIZED.has(type.dtype) ? dequantize(type.dtype, bytes, n / type.block) : bytes);
  return { dtype: tensor.dtype, shape: tensor.shape, data };
}

/**
 * Elements [start, start + count) of a Q8_0 or Q4_0 tensor, dequantized (only the blocks that hold
 * them are read): for the diff's statistics, chunk by chunk.
 */
export async function readGgufDequantizedRange(file: string, tensor: TensorInfo, start: number, count: number): Promise<TensorData> {
  const { type, offset } = checkTensor(file, tensor);
  if (!DEQUANTIZED.has(type.dtype)) throw new Error(`${tensor.dtype} is not dequantized`);
  const first = Math.floor(start / type.block);
  const last = Math.ceil((start + count) / type.block);
  const bytes = await readBytes(file, tensor, offset + first * type.bytes, (last - first) * type.bytes);
  const all = dequantize(type.dtype, bytes, last - first);
  const from = start - first * type.block;
  return { dtype: tensor.dtype, shape: [count], data: all.subarray(from, from + count) };
}
