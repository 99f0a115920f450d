/**
 * Weight comparison, rename-aware and streaming.
 *
 * 1. Same-name tensors are compared byte for byte first, where that settles them: names unique in
 *    both models, the same dtype and shape, both stored as a plain run of little-endian bytes
 *    (ONNX raw_data or external data, safetensors). Both files are read at once, chunk by chunk, and a pair stops at
 *    its first differing chunk. Equal bytes are identical tensors, with no hashing.
 * 2. The other tensors are hashed (sha256) where a match by content is still possible: a tensor is
 *    hashed only when the other model has an unsettled tensor of the same dtype and shape other than
 *    its same-name partner already found different. ONNX and safetensors tensors stored as plain bytes are hashed
 *    straight from the file with positional reads, in chunks, without decoding; both models at once
 *    (the second on a worker thread when there is much to hash). Other tensors (packed fields, Keras
 *    HDF5 datasets, sub-byte types) are decoded one at a time (Keras: in batches of at most 64 MiB) and
 *    the bytes of their values hashed. Only the digests are kept.
 * 3. Tensors are paired: same name and same content → identical; then same (dtype, shape, content
 *    hash) under another name → identical, renamed; then same name → changed (or shape/dtype
 *    changed); then a name that differs only by TensorFlow's ':0' suffix (dense/kernel:0 in a Keras
 *    file, dense/kernel in its ONNX export) → changed, renamed; Keras: then the same weight under a
 *    renamed layer; the rest are removed / added.
 *    Steps 1 and 2 give exactly the pairs that hashing every tensor gives (useReferenceWeightPath
 *    turns them off, for the tests that check this).
 * 4. Only pairs whose content differs are read again, both tensors in step, chunk by chunk where the
 *    bytes allow it, for max |Δ|, ‖Δ‖₂, ‖Δ‖/‖a‖, cosine similarity and the fraction of changed
 *    elements. At most one pair of chunks (or, for tensors that must be decoded whole, one pair of
 *    tensors) is held at a time. float16, bfloat16 and the float8 types are decoded to float64 for them.
 *    GGUF quantized tensors: Q8_0 and Q4_0 are dequantized (block by block, a chunk at a time) for
 *    the statistics; the other quantized types (Q4_K, IQ2_XXS, …) are compared byte for byte, and
 *    their statistics count changed bytes (WeightStats.unit 'byte'). Steps 1–2 take every GGUF
 *    tensor, quantized or not, as its stored bytes.
 *    Quantized tensors (TFLite: TensorInfo.quantization) are compared in real units, scale × (q − zero
 *    point) per tensor or per channel. Equal bytes pair them (by name or content) as for any tensor, but
 *    are identical only under the same scheme: equal integers under another scale are other values, so
 *    such a pair is read for its statistics.
 *
 * Large Keras weights (over 64 MiB) are read in blocks of the array (HDF5 hyperslabs), both for
 * hashing and for the statistics: HDF5 runs in WebAssembly, whose memory ends at 2 GiB. ONNX tensors
 * that must be decoded whole (sparse, packed fields, 2-/4-bit types, strings) may decode to at most
 * 1 GiB; a larger one stops the diff with a ModelFormatError that names it and its size.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { ModelFormatError, readTensor } from '../formats';
import { boxRanges, readKerasTensorRange, readKerasTensors } from '../formats/keras';
import { isGgmlDequantized, isGgmlQuantized, readGgufDequantizedRange } from '../formats/gguf';
import { float8Table } from '../formats/minifloat';
import type { ModelSummary, TensorData, TensorInfo } from '../formats/types';
import type { DiffOptions, TensorRef, WeightCounts, WeightRow, WeightStats, WeightsDiff } from './types';

/** Chunk for positional reads while hashing (bytes). */
const HASH_CHUNK = 8 * 1024 * 1024;
/** Elements per chunk when computing statistics. */
const STAT_CHUNK = 1 << 20;
/** Keras tensors are read in batches of at most this many bytes. */
const KERAS_BATCH = 64 * 1024 * 1024;

/** How much of a tensor is held at once (tests lower these to exercise the paths on small files). */
export interface WeightReadLimits {
  /** Keras weights larger than this are read in blocks of at most this many bytes */
  kerasChunkBytes: number;
  /** values that must be decoded whole may take at most this many bytes decoded */
  wholeDecodeBytes: number;
  /** B's plain byte ranges are hashed on a worker thread when both models have at least this many bytes to hash */
  hashThreadMinBytes: number;
}

const limits: WeightReadLimits = { kerasChunkBytes: KERAS_BATCH, wholeDecodeBytes: 1024 * 1024 * 1024, hashThreadMinBytes: 32 * 1024 * 1024 };

/** Change the limits; returns the ones in force before. */
export function configureWeightReads(o: Partial<WeightReadLimits>): WeightReadLimits {
  const before = { ...limits };
  Object.assign(limits, o);
  return before;
}
/** Constants and integer tensors with fewer elements are shape plumbing / epsilons, not weights, for verdicts. */
export const SMALL_CONSTANT = 16;

/** Types whose decoded values are exactly their little-endian bytes in the file (element size ≥ 1 byte). */
const BYTE_EXACT = new Set([
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'complex64',
  'complex128',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'float8e8m0',
]);

const ELEMENT_BYTES: Record<string, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
  complex64: 8,
  complex128: 16,
  float8e4m3fn: 1,
  float8e4m3fnuz: 1,
  float8e5m2: 1,
  float8e5m2fnuz: 1,
  float8e8m0: 1,
};

/** Types whose values are not numbers we can subtract (compared for equality only). */
const NON_NUMERIC = new Set(['string', 'float4e2m1']);

/** Keras models keep their weights in HDF5 datasets (read through h5wasm); the other formats as byte ranges of files. */
const isKeras = (s: ModelSummary) => s.format.startsWith('keras');

// ---------------------------------------------------------------- file access

/** Open file handles, one per file, closed at the end of a diff. */
class Files {
  private readonly open = new Map<string, Promise<fs.promises.FileHandle>>();
  get(file: string): Promise<fs.promises.FileHandle> {
    let h = this.open.get(file);
    if (!h) {
      h = fs.promises.open(file, 'r');
      this.open.set(file, h);
      h.catch(() => this.open.delete(file));
    }
    return h;
  }
  async closeAll(): Promise<void> {
    const hs = [...this.open.values()];
    this.open.clear();
    await Promise.all(hs.map((h) => h.then((x) => x.close()).catch(() => undefined)));
  }
}

/** A GGUF tensor of a quantized type: its stored bytes are its content. */
const isGgufQuantized = (summary: ModelSummary, t: TensorInfo) => summary.format === 'gguf' && isGgmlQuantized(t.dtype);

/** Where a tensor's values lie as plain bytes in a file, if they do (GGUF quantized tensors: their blocks). */
function byteRange(summary: ModelSummary, t: TensorInfo): { file: string; offset: number; length: number } | undefined {
  if (isKeras(summary) || !(BYTE_EXACT.has(t.dtype) || isGgufQuantized(summary, t)) || t.origin === 'sparse-initializer') return undefined;
  const loc = t.location;
  if (loc.kind === 'raw' && loc.length === t.byteSize) return { file: summary.path, offset: loc.offset, length: loc.length };
  if (loc.kind === 'external' && loc.length === t.byteSize && fs.existsSync(loc.file)) return { file: loc.file, offset: loc.offset, length: loc.length };
  return undefined;
}

async function readFully(fh: fs.promises.FileHandle, buf: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

function dataBytes(d: TensorData['data']): Uint8Array[] {
  if (Array.isArray(d)) {
    const parts: Uint8Array[] = [];
    for (const s of d) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      parts.push(len, b);
    }
    return parts;
  }
  return [new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
}

function hashData(d: TensorData['data']): string {
  const h = crypto.createHash('sha256');
  for (const p of dataBytes(d)) h.update(p);
  return h.digest('hex');
}

/** A Keras weight too large to read whole: read in blocks (elements per block). */
function kerasBlocks(summary: ModelSummary, t: TensorInfo): Array<[number, number]> | undefined {
  if (!isKeras(summary) || t.location.kind !== 'hdf5' || t.dtype === 'string' || t.byteSize <= limits.kerasChunkBytes || t.paramCount < 2) return undefined;
  const per = Math.max(1, Math.floor(limits.kerasChunkBytes / (t.byteSize / t.paramCount)));
  return boxRanges(t.shape, per);
}

const SUB_BYTE = new Set(['int4', 'uint4', 'int2', 'uint2', 'float4e2m1']);

function sizeText(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

/** Read a tensor whole, after checking that its decoded values stay within limits.wholeDecodeBytes. */
async function readWhole(file: string, summary: ModelSummary, t: TensorInfo): Promise<TensorData> {
  const loc = t.location;
  const stored = 'length' in loc && typeof loc.length === 'number' ? loc.length : 0;
  const decoded =
    t.dtype === 'string'
      ? stored
      : SUB_BYTE.has(t.dtype)
        ? t.paramCount
        : (isKeras(summary) && t.dtype === 'float16') || (summary.format === 'gguf' && isGgmlDequantized(t.dtype))
          ? 4 * t.paramCount
          : t.byteSize;
  if (decoded > limits.wholeDecodeBytes) {
    const how =
      t.origin === 'sparse-initializer'
        ? 'as a sparse tensor'
        : SUB_BYTE.has(t.dtype)
          ? `as packed ${t.dtype} values`
          : loc.kind === 'field'
            ? `in the packed field ${loc.field}`
            : t.dtype === 'string'
              ? 'as strings'
              : `as ${loc.kind === 'hdf5' ? 'an HDF5 dataset' : loc.kind} data that must be decoded whole`;
    throw new ModelFormatError(
      'UNSUPPORTED',
      file,
      `${path.basename(file)}: tensor "${t.name}" (${t.dtype} [${t.shape.join(', ')}], ${t.paramCount.toLocaleString('en-US')} values, ${sizeText(decoded)} decoded) ` +
        `is stored ${how}; such tensors are compared only up to ${sizeText(limits.wholeDecodeBytes)}. ` +
        'Save the model with this tensor as plain raw data (for ONNX, e.g. onnx.save_model(model, path, save_as_external_data=True)) to compare it.',
    );
  }
  return readTensor(file, summary, t);
}

/** The reference path (tests): every tensor hashed, A then B on this thread, no byte comparison first. */
let referencePath = false;

/**
 * Turn the reference path on or off (returns the setting before): with it on, every tensor is hashed,
 * A then B on this thread, and nothing is settled by comparing bytes first — what the diff did before
 * steps 1–2 of this file's comment. Tests compare both paths' results.
 */
export function useReferenceWeightPath(on: boolean): boolean {
  const before = referencePath;
  referencePath = on;
  return before;
}

/** Chunk for reading both files while comparing same-name tensors byte for byte (bytes). */
const COMPARE_CHUNK = 4 * 1024 * 1024;

/** What comparing same-name tensors byte for byte settled: A index → B index. */
interface ByteSettled {
  /** equal bytes: identical tensors */
  equal: Map<number, number>;
  /** different bytes: the pair is not identical (a match by content may still pair either elsewhere) */
  differ: Map<number, number>;
  bytes: number;
}

/** Names that occur exactly once among the tensors: name → index. */
function uniqueNames(ts: TensorInfo[]): Map<string, number> {
  const seen = new Map<string, number>();
  ts.forEach((t, i) => seen.set(t.name, seen.has(t.name) ? -1 : i));
  for (const [k, v] of seen) if (v < 0) seen.delete(k);
  return seen;
}

/**
 * Step 1: same-name tensors (names unique in both models, same dtype and shape, both plain byte
 * ranges) compared byte for byte, both files read at once; a pair stops at its first differing chunk.
 */
async function compareSameNameBytes(a: ModelSummary, b: ModelSummary, files: Files, onEqual: () => void): Promise<ByteSettled> {
  const out: ByteSettled = { equal: new Map(), differ: new Map(), bytes: 0 };
  const ua = uniqueNames(a.tensors);
  const ub = uniqueNames(b.tensors);
  const pairs: { i: number; j: number; ra: { file: string; offset: number; length: number }; rb: { file: string; offset: number; length: number } }[] = [];
  let largest = 0;
  for (const [name, i] of ua) {
    const j = ub.get(name);
    if (j === undefined) continue;
    const x = a.tensors[i];
    const y = b.tensors[j];
    if (x.dtype !== y.dtype || !sameShape(x.shape, y.shape) || quantKey(x) !== quantKey(y)) continue;
    const ra = byteRange(a, x);
    const rb = ra && byteRange(b, y);
    if (!ra || !rb || ra.length !== rb.length) continue;
    pairs.push({ i, j, ra, rb });
    largest = Math.max(largest, ra.length);
  }
  if (!pairs.length) return out;
  pairs.sort((p, q) => p.i - q.i); // file order of A, for sequential reads
  const size = Math.max(1, Math.min(COMPARE_CHUNK, largest));
  const bufA = Buffer.allocUnsafe(size);
  const bufB = Buffer.allocUnsafe(size);
  for (const { i, j, ra, rb } of pairs) {
    const [fa, fb] = await Promise.all([files.get(ra.file), files.get(rb.file)]);
    let equal = true;
    for (let off = 0; off < ra.length; off += size) {
      const n = Math.min(size, ra.length - off);
      await Promise.all([readFully(fa, bufA, n, ra.offset + off), readFully(fb, bufB, n, rb.offset + off)]);
      out.bytes += 2 * n;
      if (!bufA.subarray(0, n).equals(bufB.subarray(0, n))) {
        equal = false;
        break;
      }
    }
    if (equal) {
      out.equal.set(i, j);
      onEqual();
      onEqual();
    } else out.differ.set(i, j);
  }
  return out;
}

/**
 * Step 2's rule: which tensors a match by content could still pair, so must be hashed. A tensor not
 * settled by step 1 is hashed when the other model has a tensor not settled by step 1 with the same
 * dtype and shape that is not its same-name partner already found different.
 */
function tensorsToHash(ta: TensorInfo[], tb: TensorInfo[], settled: ByteSettled): { needA: boolean[]; needB: boolean[] } {
  const key = (t: TensorInfo) => `${t.dtype}|${t.shape.join('x')}`;
  const equalB = new Set(settled.equal.values());
  const differA = settled.differ;
  const differB = new Map([...settled.differ].map(([i, j]) => [j, i]));
  const group = (ts: TensorInfo[], skip: (k: number) => boolean) => {
    const m = new Map<string, number[]>();
    ts.forEach((t, k) => {
      if (skip(k)) return;
      const l = m.get(key(t));
      if (l) l.push(k);
      else m.set(key(t), [k]);
    });
    return m;
  };
  const byKeyA = group(ta, (i) => settled.equal.has(i));
  const byKeyB = group(tb, (j) => equalB.has(j));
  const needA = ta.map((t, i) => !settled.equal.has(i) && (byKeyB.get(key(t)) ?? []).some((j) => differA.get(i) !== j));
  const needB = tb.map((t, j) => !equalB.has(j) && (byKeyA.get(key(t)) ?? []).some((i) => differB.get(j) !== i));
  return { needA, needB };
}

/** sha256 of a byte range of a file; the next chunk is read while this one is hashed. */
async function hashRange(fh: fs.promises.FileHandle, offset: number, length: number, bufs: [Uint8Array, Uint8Array]): Promise<string> {
  const h = crypto.createHash('sha256');
  const size = bufs[0].length;
  let pending: Promise<void> | undefined = length > 0 ? readFully(fh, bufs[0], Math.min(size, length), offset) : undefined;
  for (let off = 0, k = 0; off < length; k ^= 1) {
    const n = Math.min(size, length - off);
    await pending;
    const next = off + n;
    pending = next < length ? readFully(fh, bufs[k ^ 1], Math.min(size, length - next), offset + next) : undefined;
    h.update(bufs[k].subarray(0, n));
    off = next;
  }
  return h.digest('hex');
}

/** A byte range of a file to hash on the worker thread. */
interface RangeJob {
  file: string;
  offset: number;
  length: number;
}

/** The worker's code: sha256 of each range, in order (a tick per range, then the digests). */
const HASH_WORKER = `
const { parentPort, workerData } = require('worker_threads');
const fs = require('fs');
const crypto = require('crypto');
const { jobs, chunk } = workerData;
const buf = Buffer.allocUnsafe(Math.max(1, chunk));
const fds = new Map();
try {
  const hashes = [];
  for (const j of jobs) {
    let fd = fds.get(j.file);
    if (fd === undefined) { fd = fs.openSync(j.file, 'r'); fds.set(j.file, fd); }
    const h = crypto.createHash('sha256');
    for (let off = 0; off < j.length; ) {
      const n = Math.min(buf.length, j.length - off);
      for (let got = 0; got < n; ) {
        const r = fs.readSync(fd, buf, got, n - got, j.offset + off + got);
        if (r === 0) throw new Error('unexpected end of file at byte ' + (j.offset + off + got));
        got += r;
      }
      h.update(buf.subarray(0, n));
      off += n;
    }
    hashes.push(h.digest('hex'));
    parentPort.postMessage({ tick: 1 });
  }
  parentPort.postMessage({ hashes });
} finally {
  for (const fd of fds.values()) fs.closeSync(fd);
}`;

/** Byte ranges being hashed on a worker thread. */
interface RangeHashing {
  /** the digests, in the order of the jobs */
  hashes: Promise<string[]>;
  /** stop the thread (when the diff failed elsewhere; nothing once it is done) */
  stop(): void;
}

/** How many hashing threads diffs have started in this process (tests check that the thread path runs). */
export const hashThreadsStarted = { count: 0 };

/** Hash byte ranges on a worker thread; undefined when no worker could be started (hash them here then). */
function hashRangesOnWorker(jobs: RangeJob[], onEach: () => void): RangeHashing | undefined {
  let w: Worker;
  try {
    w = new Worker(HASH_WORKER, { eval: true, workerData: { jobs, chunk: Math.min(HASH_CHUNK, Math.max(...jobs.map((j) => j.length))) } });
  } catch {
    return undefined;
  }
  hashThreadsStarted.count++;
  let finished = false;
  const hashes = new Promise<string[]>((resolve, reject) => {
    let result: string[] | undefined;
    w.on('message', (m: { tick?: number; hashes?: string[] }) => {
      if (m.tick) onEach();
      if (m.hashes) result = m.hashes;
    });
    w.on('error', reject);
    w.on('exit', (code) => {
      finished = true;
      if (result && result.length === jobs.length) resolve(result);
      else reject(new Error(`the hashing thread stopped (exit code ${code}) before it hashed every tensor`));
    });
  });
  return {
    hashes,
    stop: () => {
      if (!finished) void w.terminate();
    },
  };
}

/**
 * sha256 of the value bytes of the tensors in `need` (all when undefined), in order; the others are
 * left undefined. Ranges listed in `elsewhere` (tensor index → its digest, computed on another thread)
 * are taken from there. Returns the digests and the bytes read.
 */
async function hashTensors(
  file: string,
  summary: ModelSummary,
  files: Files,
  onEach: (i: number) => void,
  need?: boolean[],
  elsewhere?: Map<number, Promise<string>>,
): Promise<{ hashes: (string | undefined)[]; bytes: number }> {
  const hashes: (string | undefined)[] = new Array(summary.tensors.length);
  let bytes = 0;
  const wanted = (i: number) => !need || need[i];
  if (isKeras(summary)) {
    // Keras: HDF5 datasets have no byte range here; decode in bounded batches
    let batch: number[] = [];
    let size = 0;
    const flush = async () => {
      if (!batch.length) return;
      const data = await readKerasTensors(file, batch.map((i) => summary.tensors[i]));
      data.forEach((d, k) => {
        hashes[batch[k]] = hashData(d.data);
        bytes += dataBytes(d.data).reduce((n, p) => n + p.byteLength, 0);
        onEach(batch[k]);
      });
      batch = [];
      size = 0;
    };
    for (let i = 0; i < summary.tensors.length; i++) {
      const t = summary.tensors[i];
      if (!wanted(i)) {
        onEach(i);
        continue;
      }
      const blocks = kerasBlocks(summary, t);
      if (blocks) {
        // too large to read whole: block by block, in order
        const h = crypto.createHash('sha256');
        for (const [start, count] of blocks) {
          const d = await readKerasTensorRange(file, t, start, count);
          for (const p of dataBytes(d.data)) {
            h.update(p);
            bytes += p.byteLength;
          }
        }
        hashes[i] = h.digest('hex');
        onEach(i);
        continue;
      }
      if (batch.length && size + t.byteSize > KERAS_BATCH) await flush();
      batch.push(i);
      size += t.byteSize;
    }
    await flush();
    return { hashes, bytes };
  }
  let bufs: [Uint8Array, Uint8Array] | undefined;
  for (let i = 0; i < summary.tensors.length; i++) {
    const t = summary.tensors[i];
    if (!wanted(i)) {
      onEach(i);
      continue;
    }
    const there = elsewhere?.get(i);
    if (there) {
      hashes[i] = await there;
      bytes += t.byteSize;
      continue; // ticked by the other thread
    }
    const r = byteRange(summary, t);
    if (r) {
      const fh = await files.get(r.file);
      const size = Math.min(HASH_CHUNK, Math.max(r.length, 1 << 16));
      if (!bufs || bufs[0].length < size) bufs = [new Uint8Array(size), new Uint8Array(size)];
      hashes[i] = await hashRange(fh, r.offset, r.length, bufs);
      bytes += r.length;
    } else {
      const d = await readWhole(file, summary, t);
      hashes[i] = hashData(d.data);
      bytes += dataBytes(d.data).reduce((n, p) => n + p.byteLength, 0);
    }
    onEach(i);
  }
  return { hashes, bytes };
}

/**
 * Steps 1–2: the digests needed to pair the tensors (undefined where no match by content is possible)
 * and the same-name pairs settled by their bytes.
 */
async function settleAndHash(
  fileA: string,
  a: ModelSummary,
  fileB: string,
  b: ModelSummary,
  files: Files,
  tick: () => void,
): Promise<{ ha: (string | undefined)[]; hb: (string | undefined)[]; settled: ByteSettled; bytesHashed: number }> {
  if (referencePath) {
    const ra = await hashTensors(fileA, a, files, tick);
    const rb = await hashTensors(fileB, b, files, tick);
    return { ha: ra.hashes, hb: rb.hashes, settled: { equal: new Map(), differ: new Map(), bytes: 0 }, bytesHashed: ra.bytes + rb.bytes };
  }
  const settled = await compareSameNameBytes(a, b, files, tick);
  const { needA, needB } = tensorsToHash(a.tensors, b.tensors, settled);
  // the tensors settled equal were counted by step 1; hashTensors counts every other one
  const equalB = new Set(settled.equal.values());
  const tickA = (i: number) => !settled.equal.has(i) && tick();
  const tickB = (j: number) => !equalB.has(j) && tick();
  if (isKeras(a) || isKeras(b)) {
    const ra = await hashTensors(fileA, a, files, tickA, needA);
    const rb = await hashTensors(fileB, b, files, tickB, needB);
    return { ha: ra.hashes, hb: rb.hashes, settled, bytesHashed: ra.bytes + rb.bytes };
  }
  // neither Keras (ONNX, safetensors): hash both at once; B's plain byte ranges on a worker thread when both have much to hash
  const rangeBytes = (s: ModelSummary, need: boolean[]) => s.tensors.reduce((n, t, i) => n + (need[i] ? (byteRange(s, t)?.length ?? 0) : 0), 0);
  const bytesA = rangeBytes(a, needA);
  const bytesB = rangeBytes(b, needB);
  let elsewhere: Map<number, Promise<string>> | undefined;
  let worker: RangeHashing | undefined;
  if (bytesB > 0 && bytesA >= limits.hashThreadMinBytes && bytesB >= limits.hashThreadMinBytes) {
    const idx: number[] = [];
    const jobs: RangeJob[] = [];
    b.tensors.forEach((t, j) => {
      const r = needB[j] ? byteRange(b, t) : undefined;
      if (r) {
        idx.push(j);
        jobs.push(r);
      }
    });
    let done = 0;
    worker = hashRangesOnWorker(jobs, () => tickB(idx[done++]));
    if (worker) {
      const all = worker.hashes;
      elsewhere = new Map(
        idx.map((j, k) => {
          const one = all.then((h) => h[k]);
          one.catch(() => undefined); // awaited by hashTensors; a failure is not left unhandled when A's side fails first
          return [j, one];
        }),
      );
    }
  }
  try {
    const [ra, rb] = await Promise.all([hashTensors(fileA, a, files, tickA, needA), hashTensors(fileB, b, files, tickB, needB, elsewhere)]);
    return { ha: ra.hashes, hb: rb.hashes, settled, bytesHashed: ra.bytes + rb.bytes };
  } finally {
    worker?.stop();
  }
}

// ---------------------------------------------------------------- values, chunk by chunk

let halfTable: Float32Array | undefined;
function halfToFloat(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    t[h] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return (halfTable = t);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bf16(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

/** Values [from, from+n) of decoded data as float64 (or the raw elements for non-numeric types). */
function slice(dtype: string, d: TensorData['data'], from: number, n: number): ArrayLike<number> | ArrayLike<unknown> {
  if (Array.isArray(d) || NON_NUMERIC.has(dtype)) return (d as ArrayLike<unknown> & { slice(a: number, b: number): ArrayLike<unknown> }).slice(from, from + n);
  if (d instanceof Float32Array || d instanceof Float64Array || d instanceof Int8Array || (d instanceof Uint8Array && !float8Table(dtype)) || d instanceof Int16Array || d instanceof Int32Array || d instanceof Uint32Array || (d instanceof Uint16Array && dtype !== 'float16' && dtype !== 'bfloat16')) {
    return d.subarray(from, from + n);
  }
  const out = new Float64Array(n);
  const f8 = float8Table(dtype);
  if (f8 && d instanceof Uint8Array) {
    for (let k = 0; k < n; k++) out[k] = f8[d[from + k]];
  } else if (dtype === 'float16' && d instanceof Uint16Array) {
    const t = halfToFloat();
    for (let k = 0; k < n; k++) out[k] = t[d[from + k]];
  } else if (dtype === 'bfloat16' && d instanceof Uint16Array) {
    for (let k = 0; k < n; k++) out[k] = bf16(d[from + k]);
  } else if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let k = 0; k < n; k++) out[k] = Number(d[from + k]);
  } else {
    const a = d as unknown as ArrayLike<number>;
    for (let k = 0; k < n; k++) out[k] = a[from + k];
  }
  return out;
}

/** Decoded view of little-endian bytes of a BYTE_EXACT type (the buffer starts at offset 0). */
function view(dtype: string, bytes: Uint8Array, count: number): TensorData['data'] {
  const b = bytes.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b, 0, count);
    case 'float64':
      return new Float64Array(b, 0, count);
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      return new Uint16Array(b, 0, count);
    case 'int16':
      return new Int16Array(b, 0, count);
    case 'int8':
      return new Int8Array(b, 0, count);
    case 'int32':
      return new Int32Array(b, 0, count);
    case 'uint32':
      return new Uint32Array(b, 0, count);
    case 'int64':
      return new BigInt64Array(b, 0, count);
    case 'uint64':
      return new BigUint64Array(b, 0, count);
    case 'complex64':
      return new Float32Array(b, 0, count * 2);
    case 'complex128':
      return new Float64Array(b, 0, count * 2);
    default:
      return new Uint8Array(b, 0, count);
  }
}

interface ValueReader {
  /** number of scalar values (complex: 2 a element; GGUF quantized types not decoded: bytes) */
  count: number;
  numeric: boolean;
  /** 'byte': the values are a quantized tensor's stored bytes, compared for equality only */
  unit?: 'byte';
  /** the next n values (n ≤ what is left) */
  next(n: number): Promise<ArrayLike<number> | ArrayLike<unknown>>;
}

/** A quantized tensor's scheme (TFLite: scale, zero point, axis): equal bytes under another scheme are other values. */
const quantKey = (t: TensorInfo) => (t.quantization ? `|q${JSON.stringify(t.quantization)}` : '');

/** Integer types whose values a TensorInfo.quantization maps to real numbers. */
const QUANTIZED = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'int64', 'int4', 'uint4', 'int2']);

/** The scheme's scale and zero point per element, when it fits the tensor (per tensor, or one per index of `axis`). */
function dequantization(t: TensorInfo): { scale: number[]; zero: number[]; inner: number; dim: number } | undefined {
  const q = t.quantization;
  if (!q || !QUANTIZED.has(t.dtype) || !q.scale.length || !q.scale.every(Number.isFinite)) return undefined;
  const zero = q.zeroPoint.length ? q.zeroPoint : q.scale.map(() => 0);
  if (zero.length !== q.scale.length) return undefined;
  if (q.scale.length === 1) return { scale: q.scale, zero, inner: 1, dim: 1 };
  if (q.axis < 0 || q.axis >= t.shape.length || t.shape[q.axis] !== q.scale.length) return undefined;
  return { scale: q.scale, zero, inner: t.shape.slice(q.axis + 1).reduce((a, d) => a * d, 1), dim: q.scale.length };
}

/** Is the tensor compared by its dequantized values (scale × (q − zero point))? */
export const isDequantized = (t: TensorInfo): boolean => dequantization(t) !== undefined;

/** The values of a quantized tensor as real numbers, scale × (q − zero point), chunk by chunk. */
async function openValues(file: string, summary: ModelSummary, t: TensorInfo, files: Files): Promise<ValueReader> {
  const r = await openStoredValues(file, summary, t, files);
  const dq = dequantization(t);
  if (!dq || !r.numeric) return r;
  let pos = 0;
  return {
    count: r.count,
    numeric: true,
    async next(n: number) {
      const x = (await r.next(n)) as ArrayLike<number>;
      const out = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        const c = dq.dim === 1 ? 0 : Math.floor((pos + k) / dq.inner) % dq.dim;
        out[k] = dq.scale[c] * (Number(x[k]) - dq.zero[c]);
      }
      pos += n;
      return out;
    },
  };
}

async function openStoredValues(file: string, summary: ModelSummary, t: TensorInfo, files: Files): Promise<ValueReader> {
  const numeric = !NON_NUMERIC.has(t.dtype);
  const r = byteRange(summary, t);
  const esize = ELEMENT_BYTES[t.dtype];
  if (r && isGgufQuantized(summary, t)) {
    if (isGgmlDequantized(t.dtype)) {
      // Q8_0, Q4_0: dequantized a chunk at a time (STAT_CHUNK is a whole number of 32-value blocks)
      const blocks: Array<[number, number]> = [];
      for (let s = 0; s < t.paramCount; s += STAT_CHUNK) blocks.push([s, Math.min(STAT_CHUNK, t.paramCount - s)]);
      return blockValues(t, true, blocks, (start, count) => readGgufDequantizedRange(r.file, t, start, count));
    }
    // other quantized types: their stored bytes, chunk by chunk, compared for equality
    const fh = await files.get(r.file);
    let pos = 0;
    let buf: Uint8Array | undefined;
    return {
      count: r.length,
      numeric: false,
      unit: 'byte',
      async next(n: number) {
        if (!buf || buf.length < n) buf = new Uint8Array(n);
        await readFully(fh, buf, n, r.offset + pos);
        pos += n;
        return buf.subarray(0, n);
      },
    };
  }
  if (r && esize) {
    // straight from the file, chunk by chunk (complex: the interleaved re, im scalars)
    const complex = t.dtype.startsWith('complex');
    const scalarType = t.dtype === 'complex64' ? 'float32' : t.dtype === 'complex128' ? 'float64' : t.dtype;
    const ssize = complex ? esize / 2 : esize;
    const fh = await files.get(r.file);
    let pos = 0;
    let buf: Uint8Array | undefined;
    return {
      count: t.paramCount * (complex ? 2 : 1),
      numeric,
      async next(n: number) {
        const len = n * ssize;
        if (!buf || buf.length < len) buf = new Uint8Array(len);
        await readFully(fh, buf, len, r.offset + pos * ssize);
        pos += n;
        return slice(scalarType, view(scalarType, buf, n), 0, n);
      },
    };
  }
  const blocks = kerasBlocks(summary, t);
  if (blocks) return blockValues(t, numeric, blocks, (start, count) => readKerasTensorRange(file, t, start, count));
  const d = await readWhole(file, summary, t);
  let pos = 0;
  return {
    count: d.data.length,
    numeric,
    async next(n: number) {
      const out = slice(t.dtype, d.data, pos, n);
      pos += n;
      return out;
    },
  };
}

/** Values read block by block (`read` gives elements [start, start + count)); one block is held at a time. */
function blockValues(t: TensorInfo, numeric: boolean, blocks: Array<[number, number]>, read: (start: number, count: number) => Promise<TensorData>): ValueReader {
  let bi = 0;
  let cur: TensorData['data'] | undefined;
  let at = 0;
  const take = async (n: number): Promise<ArrayLike<number> | ArrayLike<unknown>> => {
    if (!cur || at === cur.length) {
      if (bi >= blocks.length) throw new Error(`${t.name}: read past its last block`);
      const [start, count] = blocks[bi++];
      cur = (await read(start, count)).data;
      at = 0;
    }
    const k = Math.min(n, cur.length - at);
    const out = slice(t.dtype, cur, at, k);
    at += k;
    return out;
  };
  return {
    count: t.paramCount,
    numeric,
    async next(n: number) {
      const first = await take(n);
      if (first.length === n) return first;
      // the request spans blocks: gather it
      const out: number[] | Float64Array = numeric ? new Float64Array(n) : new Array<number>(n);
      let filled = 0;
      for (let part = first; ; part = await take(n - filled)) {
        for (let k = 0; k < part.length; k++) (out as unknown as unknown[])[filled + k] = (part as ArrayLike<unknown>)[k];
        filled += part.length;
        if (filled === n) break;
      }
      return out;
    },
  };
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Statistics of b − a over two tensors of the same element count, read chunk by chunk. */
async function compareValues(ra: ValueReader, rb: ValueReader): Promise<WeightStats> {
  const count = Math.min(ra.count, rb.count);
  const numeric = ra.numeric && rb.numeric;
  let changed = 0;
  let nonFinite = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  let d2 = 0;
  let a2 = 0;
  let b2 = 0;
  let dot = 0;
  let finite = 0;
  for (let from = 0; from < count; from += STAT_CHUNK) {
    const n = Math.min(STAT_CHUNK, count - from);
    const x = await ra.next(n);
    const y = await rb.next(n);
    if (numeric) {
      const xa = x as ArrayLike<number>;
      const ya = y as ArrayLike<number>;
      for (let k = 0; k < n; k++) {
        const p = xa[k];
        const q = ya[k];
        const dd = q - p;
        if (dd === 0) {
          // equal finite values (+0 and −0 included)
          a2 += p * p;
          b2 += q * q;
          dot += p * q;
          finite++;
          continue;
        }
        if (dd !== dd || dd === Infinity || dd === -Infinity) {
          // NaN or ±Infinity on a side (or a finite overflow): left out of the norms
          if (!(p === q || (p !== p && q !== q))) changed++;
          nonFinite++;
          continue;
        }
        changed++;
        const ad = dd < 0 ? -dd : dd;
        if (ad > maxAbs) maxAbs = ad;
        sumAbs += ad;
        d2 += dd * dd;
        a2 += p * p;
        b2 += q * q;
        dot += p * q;
        finite++;
      }
    } else {
      for (let k = 0; k < n; k++) if (x[k] !== y[k]) changed++;
    }
  }
  const st = statsOf({ changed, nonFinite, maxAbs, sumAbs, d2, a2, b2, dot, finite }, count, numeric);
  // quantized blocks whose values are not decoded (GGUF Q4_K …): the share of bytes changed
  if (!numeric && ra.unit === 'byte' && rb.unit === 'byte') st.unit = 'byte';
  return st;
}

/** The running sums of compareValues. */
interface Sums {
  changed: number;
  nonFinite: number;
  maxAbs: number;
  sumAbs: number;
  d2: number;
  a2: number;
  b2: number;
  dot: number;
  finite: number;
}

function statsOf(s: Sums, count: number, numeric: boolean): WeightStats {
  const { changed, nonFinite, maxAbs, sumAbs, d2, a2, b2, dot, finite } = s;
  if (!numeric) {
    return { count, changedCount: changed, changedFraction: count ? changed / count : 0, maxAbs: null, meanAbs: null, l2: null, normA: null, normB: null, relative: null, cosine: null, nonFinite: 0 };
  }
  const l2 = Math.sqrt(d2);
  const na = Math.sqrt(a2);
  const nb = Math.sqrt(b2);
  const cos = na > 0 && nb > 0 ? Math.max(-1, Math.min(1, dot / (na * nb))) : null;
  return {
    count,
    changedCount: changed,
    changedFraction: count ? changed / count : 0,
    maxAbs: finiteOrNull(maxAbs),
    meanAbs: finite ? finiteOrNull(sumAbs / finite) : null,
    l2: finiteOrNull(l2),
    normA: finiteOrNull(na),
    normB: finiteOrNull(nb),
    relative: na > 0 ? finiteOrNull(l2 / na) : null,
    cosine: cos === null ? null : finiteOrNull(cos),
    nonFinite,
  };
}

/**
 * compareValues' loop over float32 values only: one array type, so V8 compiles it for that one (the
 * general loop, fed Float32Array, Float64Array and others, ran at ~7 ns a value; this one at ~1). The same
 * operations in the same order: the same sums to the last bit.
 */
function accumulateFloat32(x: Float32Array, y: Float32Array, n: number, s: Sums): void {
  let { changed, nonFinite, maxAbs, sumAbs, d2, a2, b2, dot, finite } = s;
  for (let k = 0; k < n; k++) {
    const p = x[k];
    const q = y[k];
    const dd = q - p;
    if (dd === 0) {
      a2 += p * p;
      b2 += q * q;
      dot += p * q;
      finite++;
      continue;
    }
    if (dd !== dd || dd === Infinity || dd === -Infinity) {
      if (!(p === q || (p !== p && q !== q))) changed++;
      nonFinite++;
      continue;
    }
    changed++;
    const ad = dd < 0 ? -dd : dd;
    if (ad > maxAbs) maxAbs = ad;
    sumAbs += ad;
    d2 += dd * dd;
    a2 += p * p;
    b2 += q * q;
    dot += p * q;
    finite++;
  }
  Object.assign(s, { changed, nonFinite, maxAbs, sumAbs, d2, a2, b2, dot, finite });
}

/** dtypes whose every value is exactly a float32: their statistics take the float32 path. */
const FLOAT32_EXACT = new Set(['float32', 'bfloat16', 'float16']);

/** A tensor of a FLOAT32_EXACT dtype stored as plain bytes in an open file. */
interface FloatRange {
  fh: fs.promises.FileHandle;
  offset: number;
  dtype: string;
  count: number;
}

async function floatRange(summary: ModelSummary, t: TensorInfo, files: Files): Promise<FloatRange | undefined> {
  // quantized tensors (TFLite) are compared as scale × (q − zero point), through openValues
  if (!FLOAT32_EXACT.has(t.dtype) || isDequantized(t)) return undefined;
  const r = byteRange(summary, t);
  if (!r) return undefined;
  return { fh: await files.get(r.file), offset: r.offset, dtype: t.dtype, count: t.paramCount };
}

/** The first n values of little-endian `raw` (a buffer of its own, from offset 0) as float32: a view, or decoded into `out`. */
function decodeFloat32(dtype: string, raw: Uint8Array, n: number, out: Float32Array): Float32Array {
  if (dtype === 'float32') return new Float32Array(raw.buffer, 0, n);
  const h = new Uint16Array(raw.buffer, 0, n);
  if (dtype === 'bfloat16') {
    const u = new Uint32Array(out.buffer, 0, n);
    for (let k = 0; k < n; k++) u[k] = h[k] << 16;
  } else {
    const t = halfToFloat();
    for (let k = 0; k < n; k++) out[k] = t[h[k]];
  }
  return out;
}

/**
 * compareValues for two float32/bfloat16/float16 tensors stored as plain bytes: the next chunk of both
 * is read while this one is compared (two buffers each), then decoded to float32 and summed by
 * accumulateFloat32. Gives what compareValues gives.
 */
async function compareFloatRanges(ra: FloatRange, rb: FloatRange): Promise<WeightStats> {
  const count = Math.min(ra.count, rb.count);
  const s: Sums = { changed: 0, nonFinite: 0, maxAbs: 0, sumAbs: 0, d2: 0, a2: 0, b2: 0, dot: 0, finite: 0 };
  if (count === 0) return statsOf(s, 0, true);
  const chunk = Math.min(STAT_CHUNK, count);
  const ea = ELEMENT_BYTES[ra.dtype];
  const eb = ELEMENT_BYTES[rb.dtype];
  const slots = [0, 1].map(() => ({ a: new Uint8Array(chunk * ea), b: new Uint8Array(chunk * eb) }));
  const fa = new Float32Array(chunk);
  const fb = new Float32Array(chunk);
  const read = (k: number, from: number): Promise<unknown> => {
    const n = Math.min(chunk, count - from);
    const p = Promise.all([readFully(ra.fh, slots[k].a, n * ea, ra.offset + from * ea), readFully(rb.fh, slots[k].b, n * eb, rb.offset + from * eb)]);
    p.catch(() => undefined); // awaited below; an error while the previous chunk is compared is not unhandled
    return p;
  };
  let pending = read(0, 0);
  for (let from = 0, k = 0; from < count; from += chunk, k ^= 1) {
    const n = Math.min(chunk, count - from);
    await pending;
    if (from + chunk < count) pending = read(k ^ 1, from + chunk);
    accumulateFloat32(decodeFloat32(ra.dtype, slots[k].a, n, fa), decodeFloat32(rb.dtype, slots[k].b, n, fb), n, s);
  }
  return statsOf(s, count, true);
}

// ---------------------------------------------------------------- matching

function ref(t: TensorInfo): TensorRef {
  const r: TensorRef = { name: t.name, dtype: t.dtype, shape: t.shape, paramCount: t.paramCount, origin: t.origin, graphPath: t.graphPath };
  if (t.owner !== undefined) r.owner = t.owner;
  return r;
}

/** A GGUF quantized tensor whose values are not decoded (compared by its bytes only). */
const opaque = (s: ModelSummary, t: TensorInfo) => isGgufQuantized(s, t) && !isGgmlDequantized(t.dtype);
const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const isFloat = (dtype: string) => dtype.startsWith('float') || dtype.startsWith('bfloat') || dtype.startsWith('complex');
/** Shape plumbing and epsilons, not weights: Constants, and integer tensors, with fewer than 16 elements. */
const isSmall = (t: TensorInfo) => t.paramCount < SMALL_CONSTANT && (t.origin === 'constant' || !isFloat(t.dtype));

function emptyCounts(a: number, b: number): WeightCounts {
  return { identical: 0, renamed: 0, changed: 0, shapeChanged: 0, dtypeChanged: 0, added: 0, removed: 0, a, b };
}

/** Pair A's tensors with B's. Returns, for each tensor of A, the index of its partner in B (or -1) and how. */
function pairTensors(
  ta: TensorInfo[],
  tb: TensorInfo[],
  ha: (string | undefined)[] | undefined,
  hb: (string | undefined)[] | undefined,
  layerRenames: Map<string, string>,
  equalBytes: Map<number, number> = new Map(),
): { partner: number[]; how: Array<'name' | 'content' | 'layer' | undefined> } {
  const partner = new Array<number>(ta.length).fill(-1);
  const how = new Array<'name' | 'content' | 'layer' | undefined>(ta.length);
  const usedB = new Set<number>();
  const byName = new Map<string, number[]>();
  tb.forEach((t, j) => {
    const l = byName.get(t.name);
    if (l) l.push(j);
    else byName.set(t.name, [j]);
  });
  const takeByName = (name: string, ok: (j: number) => boolean): number => {
    const l = byName.get(name);
    if (!l) return -1;
    for (const j of l) if (!usedB.has(j) && ok(j)) return j;
    return -1;
  };
  // no digest: no match by content is possible (see tensorsToHash)
  const key = (t: TensorInfo, h: string | undefined) => (h === undefined ? undefined : `${t.dtype}|${t.shape.join('x')}|${h}`);
  const link = (i: number, j: number, h: 'name' | 'content' | 'layer') => {
    partner[i] = j;
    how[i] = h;
    usedB.add(j);
  };
  // 1. same name, same content (and same graph first, for names repeated across subgraphs); equal
  //    bytes of a name unique in both models settle a pair without a digest
  for (const [i, j] of equalBytes) link(i, j, 'name');
  if (ha && hb) {
    ta.forEach((t, i) => {
      if (partner[i] >= 0) return;
      const k = key(t, ha[i]);
      if (k === undefined) return;
      let j = takeByName(t.name, (j) => tb[j].graphPath === t.graphPath && key(tb[j], hb[j]) === k);
      if (j < 0) j = takeByName(t.name, (j) => key(tb[j], hb[j]) === k);
      if (j >= 0) link(i, j, 'name');
    });
    // 2. same dtype, shape and content under another name
    const byContent = new Map<string, number[]>();
    tb.forEach((t, j) => {
      if (usedB.has(j)) return;
      const k = key(t, hb[j]);
      if (k === undefined) return;
      const l = byContent.get(k);
      if (l) l.push(j);
      else byContent.set(k, [j]);
    });
    ta.forEach((t, i) => {
      if (partner[i] >= 0) return;
      const k = key(t, ha[i]);
      if (k === undefined) return;
      const l = byContent.get(k);
      while (l && l.length) {
        const j = l.shift()!;
        if (usedB.has(j)) continue;
        link(i, j, 'content');
        break;
      }
    });
  }
  // 3. same name, other content
  ta.forEach((t, i) => {
    if (partner[i] >= 0) return;
    let j = takeByName(t.name, (j) => tb[j].graphPath === t.graphPath);
    if (j < 0) j = takeByName(t.name, () => true);
    if (j >= 0) link(i, j, 'name');
  });
  // 3b. the same name but for TensorFlow's output suffix: a Keras file's dense/kernel:0 is dense/kernel in
  //     an ONNX export of it (one side's name is the other's with ':0')
  const bare = (n: string): string => (n.endsWith(':0') ? n.slice(0, -2) : n);
  const byBare = new Map<string, number[]>();
  tb.forEach((t, j) => {
    if (usedB.has(j)) return;
    const k = bare(t.name);
    const l = byBare.get(k);
    if (l) l.push(j);
    else byBare.set(k, [j]);
  });
  ta.forEach((t, i) => {
    if (partner[i] >= 0) return;
    const l = byBare.get(bare(t.name));
    const j = l?.find((j) => !usedB.has(j) && tb[j].name.endsWith(':0') !== t.name.endsWith(':0'));
    if (j !== undefined) link(i, j, 'name');
  });
  // 4. Keras: the same weight of a renamed layer (gru_1/kernel:0 → gru/kernel:0)
  if (layerRenames.size) {
    ta.forEach((t, i) => {
      if (partner[i] >= 0 || !t.owner) return;
      const nb = layerRenames.get(t.owner);
      if (!nb) return;
      const candidate = t.name
        .split('/')
        .map((seg) => (seg === t.owner ? nb : seg.startsWith(`${t.owner}_`) ? nb + seg.slice(t.owner!.length) : seg))
        .join('/');
      const j = takeByName(candidate, (j) => tb[j].owner === nb);
      if (j >= 0) link(i, j, 'layer');
    });
  }
  return { partner, how };
}

// ---------------------------------------------------------------- the weights diff

export async function diffWeights(
  fileA: string,
  a: ModelSummary,
  fileB: string,
  b: ModelSummary,
  layerRenames: Map<string, string>,
  opts: DiffOptions = {},
): Promise<WeightsDiff> {
  const ta = a.tensors;
  const tb = b.tensors;
  const compare = opts.weights !== false;
  const files = new Files();
  const total = ta.length + tb.length;
  let done = 0;
  const tick = () => opts.onProgress?.({ phase: 'hash', done: ++done, total });
  let bytesHashed = 0;
  let tensorsDecoded = 0;
  try {
    let ha: (string | undefined)[] | undefined;
    let hb: (string | undefined)[] | undefined;
    let equalBytes = new Map<number, number>();
    let bytesCompared = 0;
    if (compare) {
      const r = await settleAndHash(fileA, a, fileB, b, files, tick);
      ha = r.ha;
      hb = r.hb;
      equalBytes = r.settled.equal;
      bytesCompared = r.settled.bytes;
      bytesHashed = r.bytesHashed;
    }
    const { partner, how } = pairTensors(ta, tb, ha, hb, layerRenames, equalBytes);
    /** same content: equal bytes, or equal digests (undefined digests are never equal) */
    const sameContent = (i: number, j: number) => equalBytes.get(i) === j || (ha?.[i] !== undefined && ha[i] === hb?.[j] && quantKey(ta[i]) === quantKey(tb[j]));
    const counts = emptyCounts(ta.length, tb.length);
    const weightCounts = emptyCounts(ta.filter((t) => !isSmall(t)).length, tb.filter((t) => !isSmall(t)).length);
    const bump = (small: boolean, k: keyof WeightCounts) => {
      counts[k]++;
      if (!small) weightCounts[k]++;
    };
    const rows: WeightRow[] = [];
    const toCompare = compare ? partner.filter((j, i) => j >= 0 && !sameContent(i, j)).length : 0;
    let compared = 0;
    for (let i = 0; i < ta.length; i++) {
      const x = ta[i];
      const j = partner[i];
      const small = isSmall(x);
      if (j < 0) {
        rows.push({ status: 'removed', renamed: false, a: ref(x), ...(small ? { small } : {}) });
        bump(small, 'removed');
        continue;
      }
      const y = tb[j];
      const renamed = x.name !== y.name;
      const row: WeightRow = { status: 'identical', renamed, matchedBy: how[i], a: ref(x), b: ref(y) };
      if (small) row.small = true;
      if (!compare) {
        row.status = x.dtype !== y.dtype ? 'dtype-changed' : !sameShape(x.shape, y.shape) ? 'shape-changed' : 'identical';
        row.note = 'values not compared';
      } else if (sameContent(i, j) && x.dtype === y.dtype && sameShape(x.shape, y.shape)) {
        row.status = 'identical';
      } else if (!sameShape(x.shape, y.shape)) {
        row.status = x.dtype !== y.dtype ? 'dtype-changed' : 'shape-changed';
        if (x.dtype !== y.dtype) row.note = 'dtype and shape changed';
      } else if (x.paramCount !== y.paramCount) {
        row.status = 'shape-changed';
      } else if (x.dtype !== y.dtype && (opaque(a, x) || opaque(b, y))) {
        // a quantized type whose values are not decoded, against another type: nothing to subtract
        row.status = 'dtype-changed';
        row.note = `values not compared: ${opaque(a, x) ? x.dtype : y.dtype} is not decoded`;
      } else {
        // same shape, different bytes: read both, chunk by chunk
        const fa = await floatRange(a, x, files);
        const fb = fa && (await floatRange(b, y, files));
        tensorsDecoded += 2;
        if (fa && fb) row.stats = await compareFloatRanges(fa, fb);
        else row.stats = await compareValues(await openValues(fileA, a, x, files), await openValues(fileB, b, y, files));
        if (isDequantized(x) || isDequantized(y)) row.note = 'statistics of dequantized values, scale × (q − zero point)';
        opts.onProgress?.({ phase: 'compare', done: ++compared, total: toCompare });
        if (x.dtype !== y.dtype) row.status = 'dtype-changed';
        else if (row.stats.changedCount === 0) {
          row.status = 'identical';
          row.note = 'equal values, different bytes';
          delete row.stats;
        } else row.status = 'changed';
        if (row.stats?.unit === 'byte') row.note = `${x.dtype} blocks compared by bytes (their values are not decoded)`;
      }
      if (!compare && row.status === 'identical') {
        // values not compared: neither identical nor changed
        if (renamed) rows.push(row);
        continue;
      }
      switch (row.status) {
        case 'identical':
          bump(small, 'identical');
          if (renamed) bump(small, 'renamed');
          break;
        case 'changed':
          bump(small, 'changed');
          break;
        case 'shape-changed':
          bump(small, 'shapeChanged');
          break;
        case 'dtype-changed':
          bump(small, 'dtypeChanged');
          break;
      }
      if (row.status !== 'identical' || renamed || opts.allWeightRows) rows.push(row);
    }
    const usedB = new Set(partner.filter((j) => j >= 0));
    tb.forEach((y, j) => {
      if (usedB.has(j)) return;
      const small = isSmall(y);
      rows.push({ status: 'added', renamed: false, b: ref(y), ...(small ? { small } : {}) });
      bump(small, 'added');
    });
    const max = opts.maxWeightRows ?? 5000;
    const kept = rows.slice(0, max);
    const same =
      counts.changed + counts.shapeChanged + counts.dtypeChanged + counts.added + counts.removed + counts.renamed === 0;
    return {
      counts,
      weightCounts,
      parameters: { a: a.parameterCount, b: b.parameterCount, delta: b.parameterCount - a.parameterCount },
      compared: compare,
      bytesHashed,
      bytesCompared,
      tensorsDecoded,
      rows: kept,
      rowsOmitted: rows.length - kept.length,
      same,
    };
  } finally {
    await files.closeAll();
  }
}
