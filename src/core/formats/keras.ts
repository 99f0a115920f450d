/**
 * Keras reader: Keras 1/2 HDF5 files (full models and weights-only files), Keras 3 `.keras` archives
 * (zip of config.json + model.weights.h5 + metadata.json) and Keras 3 `.weights.h5` files.
 *
 * Summaries use only metadata (names, shapes, dtypes); values are read one tensor at a time by
 * `readKerasTensor`. This file checks the file (missing, empty, LFS pointer, truncated HDF5, zip
 * directory) and unpacks `.keras` archives; the HDF5 work (kerasHdf5.ts, h5wasm) runs in a worker
 * thread (kerasWorker.js beside this file) with a time limit, because some damaged HDF5 files make the
 * HDF5 library loop forever. Without the worker script (e.g. a bundle without that entry point) it
 * runs in-process, without that protection.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { ModelFormatError, type ModelFormatErrorCode } from './errors';
import { isZip } from './sniff';
import { extractEntry, readEntry, readRange, readZipDirectory } from './zip';
import { openModelFile, type OpenedModelFile } from './openFile';
import { parseJsonAttr, loadH5, readHdf5TensorRange, readHdf5Tensors, summarizeHdf5File, type ArchiveInfo, type Json } from './kerasHdf5';

export { boxRanges, flatRangeBox } from './kerasHdf5';
import type { ModelSummary, TensorData, TensorInfo } from './types';

// ---------------------------------------------------------------------------------------------
// file checks

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(buf: Uint8Array, sig: number[], at = 0): boolean {
  if (buf.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (buf[at + i] !== sig[i]) return false;
  return true;
}

type Opened = OpenedModelFile;
const openChecked = openModelFile;

function readUInt(buf: Buffer, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[at + i]);
  return v;
}

/**
 * Find the HDF5 superblock (at 0, 512, 1024, … after a user block) and compare its end-of-file
 * address with the file's size. Returns false when the file is not HDF5; throws TRUNCATED.
 */
async function checkHdf5(o: Opened): Promise<boolean> {
  let at = -1;
  for (let off = 0; off + 8 <= o.size; off = off === 0 ? 512 : off * 2) {
    const sig = off === 0 ? o.head.subarray(0, 8) : await readRange(o.abs, off, 8);
    if (startsWith(sig, HDF5_SIGNATURE)) {
      at = off;
      break;
    }
  }
  if (at < 0) return false;
  const truncated = (detail: string) =>
    new ModelFormatError(
      'TRUNCATED',
      o.abs,
      `${o.name} is an incomplete HDF5 file (${detail}); it was probably cut off while downloading or copying.`,
    );
  const sb = await readRange(o.abs, at, 64);
  if (sb.length < 16) throw truncated(`only ${o.size} bytes, the HDF5 header itself is cut off`);
  const version = sb[8];
  let offsetSize: number;
  let eofAt: number;
  if (version === 0 || version === 1) {
    offsetSize = sb[13];
    eofAt = (version === 0 ? 24 : 28) + 2 * offsetSize;
  } else if (version === 2 || version === 3) {
    offsetSize = sb[9];
    eofAt = 12 + 2 * offsetSize;
  } else {
    return true; // unknown superblock version: let HDF5 judge
  }
  if (![2, 4, 8].includes(offsetSize)) return true;
  if (sb.length < eofAt + offsetSize) throw truncated(`only ${o.size} bytes, the HDF5 header itself is cut off`);
  const baseAt = eofAt - 2 * offsetSize;
  const undef = (1n << BigInt(8 * offsetSize)) - 1n;
  const base = readUInt(sb, baseAt, offsetSize);
  const eof = readUInt(sb, eofAt, offsetSize);
  if (eof === undef || base === undef) return true;
  const needed = base + eof;
  if (BigInt(o.size) < needed) {
    throw truncated(`${o.size.toLocaleString('en-US')} of ${needed.toLocaleString('en-US')} bytes`);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// .keras archives (zip; the archive itself is read by ./zip.ts)

interface KerasArchive {
  config?: Json;
  metadata: Record<string, string>;
  weightsFile: string;
}

/** Extracted model.weights.h5 files, by archive identity; a few are kept for readKerasTensor. */
const extracted = new Map<string, Promise<KerasArchive>>();
const MAX_EXTRACTED = 3;
/** Temporary folders holding extracted weights, removed on eviction and (synchronously) at exit. */
const tempDirs = new Set<string>();
let cleanupRegistered = false;

function removeDirSync(dir: string): void {
  tempDirs.delete(dir);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* ignore */
  }
}

/** Delete the temporary copies of `.keras` weights kept for reading tensors. */
export function clearKerasCache(): void {
  for (const p of extracted.values()) p.then((a) => removeDirSync(path.dirname(a.weightsFile)), () => undefined);
  extracted.clear();
}

function openArchive(o: Opened): Promise<KerasArchive> {
  const key = `${o.abs}\0${o.size}\0${o.mtimeMs}`;
  const hit = extracted.get(key);
  if (hit) {
    extracted.delete(key);
    extracted.set(key, hit);
    return hit;
  }
  for (const [k, p] of extracted) {
    if (k.startsWith(`${o.abs}\0`) || extracted.size >= MAX_EXTRACTED) {
      extracted.delete(k);
      p.then((a) => removeDirSync(path.dirname(a.weightsFile)), () => undefined);
    }
  }
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const d of [...tempDirs]) removeDirSync(d);
    });
  }
  const p = extractArchive(o);
  extracted.set(key, p);
  p.catch(() => {
    if (extracted.get(key) === p) extracted.delete(key);
  });
  return p;
}

async function extractArchive(o: Opened): Promise<KerasArchive> {
  const entries = await readZipDirectory(o);
  const weights = entries.get('model.weights.h5');
  if (!weights) {
    const names = [...entries.keys()];
    if (names.some((n) => n.endsWith('/data.pkl') || n === 'data.pkl')) {
      throw new ModelFormatError('UNSUPPORTED', o.abs, `${o.name} is a PyTorch checkpoint (zip with data.pkl), not a Keras model; read it with readModelSummary.`);
    }
    if (names.some((n) => /\.weights\.json$/.test(n))) {
      throw new ModelFormatError('UNSUPPORTED', o.abs, `${o.name} is a Keras 3 archive with sharded weights, which is not supported yet.`);
    }
    throw new ModelFormatError(
      'NOT_KERAS',
      o.abs,
      `${o.name} is a zip archive but not a Keras 3 model: it has no model.weights.h5${names.length ? ` (it holds ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})` : ''}.`,
    );
  }
  let config: Json | undefined;
  const metadata: Record<string, string> = {};
  const cfgEntry = entries.get('config.json');
  if (cfgEntry) {
    const text = (await readEntry(o, cfgEntry)).toString('utf8');
    config = parseJsonAttr(o.abs, o.name, text, 'config.json');
  }
  const metaEntry = entries.get('metadata.json');
  if (metaEntry) {
    const meta = parseJsonAttr(o.abs, o.name, (await readEntry(o, metaEntry)).toString('utf8'), 'metadata.json') ?? {};
    for (const [k, v] of Object.entries(meta)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') metadata[k] = String(v);
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'modelver-keras-'));
  tempDirs.add(dir);
  const weightsFile = path.join(dir, 'model.weights.h5');
  try {
    await extractEntry(o, weights, weightsFile);
  } catch (e) {
    removeDirSync(dir);
    throw e;
  }
  return { config, metadata, weightsFile };
}

// ---------------------------------------------------------------------------------------------
// the HDF5 worker

type HdfRequest =
  | { op: 'summary'; h5path: string; abs: string; fileSize: number; archive?: ArchiveInfo }
  | { op: 'tensors'; h5path: string; abs: string; tensors: TensorInfo[] }
  | { op: 'range'; h5path: string; abs: string; tensor: TensorInfo; start: number; count: number };

/** What the worker answers (kerasWorker.ts): `started` once h5wasm is loaded and the HDF5 work begins, then the result. */
export type KerasWorkerResponse =
  | { id: number; started: true }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; code?: ModelFormatErrorCode; file?: string; message: string } };

/**
 * Time limits of the HDF5 work, which runs in a worker so that a damaged file that sends the HDF5
 * library into an endless loop can be stopped. The limit of one request is
 * `timeoutMs + msPerMB × the file's size in MiB + 1 s per bytesPerSecond of values read`, counted from
 * the moment the worker has h5wasm loaded and starts on the file.
 */
export interface KerasReaderOptions {
  /** the floor of the time limit of one request, ms */
  timeoutMs: number;
  /** the limit grows by this much per MiB of the file, ms */
  msPerMB: number;
  /** reading values: the limit grows by 1 s per this many bytes read */
  bytesPerSecond: number;
  /** starting the worker and loading h5wasm in it (not the file's doing when slow), ms */
  startupMs: number;
  /** an idle worker is stopped after this long (its WebAssembly memory is then freed), ms */
  idleMs: number;
  /** run h5wasm in this thread (no time limit) instead of a worker */
  inProcess: boolean;
}

const options: KerasReaderOptions = {
  timeoutMs: 2_000,
  msPerMB: 50,
  bytesPerSecond: 20 * 1024 * 1024,
  startupMs: 60_000,
  idleMs: 30_000,
  inProcess: false,
};

/** The time limit (ms) of HDF5 work on a file of `fileSize` bytes that reads `valueBytes` bytes of values. */
export function kerasTimeLimitMs(fileSize: number, valueBytes = 0): number {
  return Math.round(options.timeoutMs + (options.msPerMB * fileSize) / (1024 * 1024) + (1000 * valueBytes) / options.bytesPerSecond);
}

/** Change the reader's limits (tests, or callers that know better). Returns the options now in force. */
export function configureKerasReader(o: Partial<KerasReaderOptions>): KerasReaderOptions {
  Object.assign(options, o);
  return { ...options };
}

const WORKER_SCRIPT = path.join(__dirname, 'kerasWorker.js');
let workerScriptExists: boolean | undefined;
let worker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 1;
let queue: Promise<unknown> = Promise.resolve();

function useWorker(): boolean {
  if (options.inProcess) return false;
  if (workerScriptExists === undefined) workerScriptExists = fs.existsSync(WORKER_SCRIPT);
  return workerScriptExists;
}

function stopWorker(): void {
  const w = worker;
  worker = undefined;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (w) void w.terminate().catch(() => undefined);
}

/** Stop the HDF5 worker and delete temporary copies of `.keras` weights. */
export function disposeKerasReader(): void {
  stopWorker();
  clearKerasCache();
}

/** Run HDF5 work, one request at a time, in the worker (with a time limit) or in-process. */
function runHdf5<T>(req: HdfRequest, limitMs: number): Promise<T> {
  const run = () => (useWorker() ? viaWorker<T>(req, limitMs) : inProcess<T>(req));
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

async function inProcess<T>(req: HdfRequest): Promise<T> {
  const h5 = await loadH5();
  if (req.op === 'summary') return summarizeHdf5File(h5, req.h5path, req.abs, req.fileSize, req.archive) as T;
  if (req.op === 'range') return [readHdf5TensorRange(h5, req.h5path, req.abs, req.tensor, req.start, req.count)] as T;
  return readHdf5Tensors(h5, req.h5path, req.abs, req.tensors) as T;
}

function seconds(ms: number): string {
  return ms >= 10_000 ? String(Math.round(ms / 1000)) : (ms / 1000).toFixed(1).replace(/\.0$/, '');
}

function viaWorker<T>(req: HdfRequest, limitMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (!worker) {
      const created = new Worker(WORKER_SCRIPT);
      created.once('exit', () => {
        if (worker === created) worker = undefined;
      });
      worker = created;
    }
    const w = worker;
    const id = nextId++;
    const name = path.basename(req.abs);
    const finish = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      if (worker === w) {
        w.unref();
        idleTimer = setTimeout(stopWorker, options.idleMs);
        idleTimer.unref();
      }
    };
    const onMessage = (m: KerasWorkerResponse) => {
      if (m.id !== id) return;
      if ('started' in m) {
        // h5wasm is loaded and the work on the file begins: from now on the file's time limit runs
        clearTimeout(timer);
        timer = setTimeout(onTimeout, limitMs);
        return;
      }
      finish();
      if (m.ok) resolve(m.result as T);
      else if (m.error.name === 'ModelFormatError' && m.error.code) reject(new ModelFormatError(m.error.code, m.error.file ?? req.abs, m.error.message));
      else reject(new Error(m.error.message)); // not about the file (h5wasm failed to load, …)
    };
    const onError = (e: Error) => {
      finish();
      if (worker === w) stopWorker();
      reject(new Error(`The HDF5 reader failed while reading ${name}: ${e.message}`));
    };
    const onExit = (code: number) => {
      finish();
      if (worker === w) worker = undefined;
      reject(new ModelFormatError('CORRUPT', req.abs, `The HDF5 reader stopped unexpectedly (exit code ${code}) while reading ${name}; the file may be damaged.`));
    };
    const onTimeout = () => {
      finish();
      if (worker === w) stopWorker();
      reject(
        new ModelFormatError(
          'CORRUPT',
          req.abs,
          `Reading ${name} took longer than ${seconds(limitMs)} s (the limit for ${req.op === 'summary' ? 'a summary' : 'reading values'} of a file of this size) and was stopped; the file is probably corrupt.`,
        ),
      );
    };
    const onStartTimeout = () => {
      finish();
      if (worker === w) stopWorker();
      reject(new Error(`The HDF5 reader did not start within ${seconds(options.startupMs)} s (to read ${name}); the machine may be overloaded. Try again.`));
    };
    let timer = setTimeout(onStartTimeout, options.startupMs);
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.ref();
    w.postMessage({ ...req, id });
  });
}

// ---------------------------------------------------------------------------------------------
// public API

/** Summarize a Keras model file: HDF5 (.h5/.hdf5, full model or weights only) or a Keras 3 `.keras` archive. */
export async function readKerasSummary(file: string): Promise<ModelSummary> {
  const o = await openChecked(file);
  if (await checkHdf5(o)) {
    return runHdf5<ModelSummary>({ op: 'summary', h5path: o.abs, abs: o.abs, fileSize: o.size }, kerasTimeLimitMs(o.size));
  }
  if (isZip(o.head)) {
    return withArchive(o, (a) =>
      runHdf5<ModelSummary>(
        { op: 'summary', h5path: a.weightsFile, abs: o.abs, fileSize: o.size, archive: { config: a.config, metadata: a.metadata } },
        kerasTimeLimitMs(weightsSize(a, o)),
      ),
    );
  }
  throw new ModelFormatError('NOT_A_MODEL', o.abs, `${o.name} is not a Keras model: it is neither an HDF5 file nor a .keras (zip) archive.`);
}

/** Read the values of one weight (a TensorInfo from readKerasSummary of the same file). */
export async function readKerasTensor(file: string, tensor: TensorInfo): Promise<TensorData> {
  const [data] = await readKerasTensors(file, [tensor]);
  return data;
}

/** Read the values of several weights of one file, opening it once. */
export async function readKerasTensors(file: string, tensors: TensorInfo[]): Promise<TensorData[]> {
  const o = await openChecked(file);
  const bytes = tensors.reduce((a, t) => a + t.byteSize, 0);
  if (await checkHdf5(o)) return runHdf5<TensorData[]>({ op: 'tensors', h5path: o.abs, abs: o.abs, tensors }, kerasTimeLimitMs(o.size, bytes));
  if (!isZip(o.head)) {
    throw new ModelFormatError('NOT_A_MODEL', o.abs, `${o.name} is not a Keras model: it is neither an HDF5 file nor a .keras (zip) archive.`);
  }
  return withArchive(o, (a) => runHdf5<TensorData[]>({ op: 'tensors', h5path: a.weightsFile, abs: o.abs, tensors }, kerasTimeLimitMs(weightsSize(a, o), bytes)));
}

/**
 * Read elements [start, start + count) (C order) of one weight, for weights too large to read whole.
 * The range must be one block of the array: take it from `boxRanges(tensor.shape, …)`.
 */
export async function readKerasTensorRange(file: string, tensor: TensorInfo, start: number, count: number): Promise<TensorData> {
  const o = await openChecked(file);
  const bytes = count * (tensor.paramCount ? tensor.byteSize / tensor.paramCount : 0);
  const req = (h5path: string, size: number) =>
    runHdf5<TensorData[]>({ op: 'range', h5path, abs: o.abs, tensor, start, count }, kerasTimeLimitMs(size, bytes)).then((r) => r[0]);
  if (await checkHdf5(o)) return req(o.abs, o.size);
  if (!isZip(o.head)) {
    throw new ModelFormatError('NOT_A_MODEL', o.abs, `${o.name} is not a Keras model: it is neither an HDF5 file nor a .keras (zip) archive.`);
  }
  return withArchive(o, (a) => req(a.weightsFile, weightsSize(a, o)));
}

/** Size of the HDF5 file HDF5 works on: the archive's extracted weights, or the archive when that is unknown. */
function weightsSize(a: KerasArchive, o: Opened): number {
  try {
    return fs.statSync(a.weightsFile).size;
  } catch {
    return o.size;
  }
}

/** Run `fn` on the archive's extracted weights; once more if the copy vanished meanwhile (evicted by other reads). */
async function withArchive<T>(o: Opened, fn: (a: KerasArchive) => Promise<T>): Promise<T> {
  const a = await openArchive(o);
  try {
    return await fn(a);
  } catch (e) {
    if (fs.existsSync(a.weightsFile)) throw e;
    return fn(await openArchive(o));
  }
}
