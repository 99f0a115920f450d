/**
 * Large prediction logs are read in parts at the same time: the file is cut at line ends into as many
 * byte ranges as there are cores (at most MAX_PARTS), this thread reads the first and worker threads
 * (scanWorker.ts) the others; each part's sums are joined in file order, line numbers counted on.
 *
 * Results do not depend on the cut: sums are added, and the parts' line numbers continue each other.
 * A bad record or a duplicate request id found in a later part is not reported from there: this
 * thread reads that part itself, after the earlier ones, so that the error names the record and line
 * a read in one thread names, and the earliest one in the file. A worker that fails where this thread
 * then reads without an error is reported as an internal error, never passed over.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { logFormatOf, type ByteRange, type LogFormat } from './events';

/** Built beside this file (esbuild.js: the `scanWorker` entry; tsc: out/src/core/production/). */
export const SCAN_WORKER = path.join(__dirname, 'scanWorker.js');

/** Logs from this size are read in parts (MV_PARALLEL_MIN_BYTES sets another, MV_PARALLEL_PARTS the number of parts; e.g. for tests). */
const MIN_BYTES = 32 << 20;
const MAX_PARTS = 8;

/** What a worker thread is asked to read (scanWorker.ts). */
export interface ScanJob {
  kind: 'abtest' | 'monitor';
  /** the reader's options (structured-clone safe: no functions) */
  options: unknown;
}

export type ScanReply<P> = { ok: true; partial: P } | { ok: false; message: string };

/** What this thread reads with: the same reader the workers run. */
export interface PartReader {
  read(range?: ByteRange): Promise<void>;
}

/** The parts to read `file` in, or undefined to read it whole in this thread. */
export function logParts(file: string, format: LogFormat | undefined, parts = defaultParts()): ByteRange[] | undefined {
  if (parts < 2) return undefined;
  let fmt: LogFormat;
  try {
    fmt = logFormatOf(file, format);
  } catch {
    return undefined; // the reader words the error
  }
  if (fmt !== 'jsonl' || !fs.existsSync(SCAN_WORKER)) return undefined; // CSV records may span lines
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return undefined;
  }
  const min = process.env.MV_PARALLEL_MIN_BYTES ? Number(process.env.MV_PARALLEL_MIN_BYTES) : MIN_BYTES;
  if (!(size >= min) || size < parts * 2) return undefined;
  // cut after the first line end at or past each k/parts of the file
  const cuts = [0];
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    for (let k = 1; k < parts; k++) {
      let at = Math.max(Math.floor((size * k) / parts), cuts[cuts.length - 1]);
      let cut = -1;
      while (at < size && cut < 0) {
        const got = fs.readSync(fd, buf, 0, buf.length, at);
        if (got <= 0) break;
        const nl = buf.subarray(0, got).indexOf(10);
        if (nl >= 0) cut = at + nl + 1;
        else at += got;
      }
      if (cut < 0 || cut >= size) break;
      if (cut > cuts[cuts.length - 1]) cuts.push(cut);
    }
  } finally {
    fs.closeSync(fd);
  }
  if (cuts.length < 2) return undefined;
  return cuts.map((start, i) => ({ start, end: i + 1 < cuts.length ? cuts[i + 1] : size }));
}

function defaultParts(): number {
  if (process.env.MV_PARALLEL_PARTS) return Math.min(MAX_PARTS, Math.max(1, Math.floor(Number(process.env.MV_PARALLEL_PARTS)) || 1));
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.min(MAX_PARTS, Math.max(1, cores));
}

/**
 * Reads `file` with `reader` — in parts when it is large: the first here, the others on worker
 * threads running `job` — and hands each later part's result to `join` in file order (`last`: no
 * part follows). `join` answers false when it cannot take the part (a request id in two parts); the
 * part is then read here, which throws the error a read in one thread throws.
 */
export async function parallelRead<P>(file: string, format: LogFormat | undefined, reader: PartReader, job: ScanJob, join: (partial: P, last: boolean) => boolean): Promise<void> {
  const parts = logParts(file, format);
  if (!parts) {
    await reader.read();
    return;
  }
  const workers = parts.slice(1).map((range) => startWorker<P>(job, range));
  try {
    await reader.read(parts[0]);
    for (let i = 1; i < parts.length; i++) {
      const reply = await workers[i - 1].reply;
      if (reply.ok && join(reply.partial, i === parts.length - 1)) continue;
      // read the part here, after the earlier ones: its error names the record and line a plain read names
      await reader.read(parts[i]);
      throw new Error(
        reply.ok
          ? `internal error: part ${i + 1} of ${file} shares a request id with an earlier part, but reading it again found no duplicate; please report this`
          : `internal error: the worker thread reading part ${i + 1} of ${file} stopped (${reply.message}), but the same records read in this thread did not; please report this`,
      );
    }
  } finally {
    for (const w of workers) void w.worker.terminate();
  }
}

function startWorker<P>(job: ScanJob, range: ByteRange): { worker: Worker; reply: Promise<ScanReply<P>> } {
  const worker = new Worker(SCAN_WORKER, { workerData: { ...job, range } });
  const reply = new Promise<ScanReply<P>>((resolve) => {
    worker.once('message', (m: ScanReply<P>) => resolve(m));
    worker.once('error', (e) => resolve({ ok: false, message: e.message }));
    worker.once('exit', (code) => resolve({ ok: false, message: `it exited with code ${code} before answering` }));
  });
  return { worker, reply };
}
