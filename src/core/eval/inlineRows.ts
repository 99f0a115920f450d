/**
 * Running a dataset's rows on a local evaluation host without uploading them (issue #12).
 *
 * A host on this machine gets the rows inside the evaluate requests themselves (InlineData: binary
 * attachments on the stdio pipe), a few batches per request, the requests sent ahead while the host runs
 * the earlier ones. Nothing is hashed, written to the host's blob store or read back from it: the bytes go
 * from this process's feature matrix to onnxruntime's input tensors. The host answers requests one at a
 * time, in the order they came (src/evalHost/service.ts), so the outputs come back in row order; they
 * are joined into the one EvaluateResult a single request over all rows would have given. The rows may
 * also arrive while they are being parsed (RowFeed, dataset.ts's RowStream): each request goes as soon as
 * its rows are there. Remote hosts keep the upload (EvalClient.ensureDataset): their blob store saves
 * sending the same rows again.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { EvalClient, EvaluateOptions } from './client';
import { EvalHostError } from './client';
import type { RowStream } from './dataset';
import type { EvaluateParams, EvaluateProgress, EvaluateResult, OutputTensor, RowsInFile } from '../../shared/evalProtocol';
import { EvalErrorCodes, outputFloats } from '../../shared/evalProtocol';

/** Bytes of rows per request (rounded to whole batches). */
export const INLINE_CHUNK_BYTES = 1 << 20;
/** Requests sent ahead of the one the host is running. */
export const INLINE_WINDOW = 3;

export interface InlineRowsParams extends Omit<EvaluateParams, 'inputs' | 'progressToken'> {
  /** the model input the rows feed, and the dims of one row (without the batch dimension) */
  input: { name: string; dims: number[] };
}

/** Consecutive rows: row-major values, and the dataset row of the first. */
export interface RowChunk {
  values: Float32Array;
  first: number;
}

/** Whether `host` is a local host that takes rows inline (a spawned process on a binary connection). */
export function takesInlineRows(host: EvalClient): boolean {
  return host.child !== undefined && host.binary;
}

/** Rows per request for rows of `rowFloats` values and batches of `batch` rows: whole batches, about INLINE_CHUNK_BYTES. */
export function inlineChunkRows(rowFloats: number, batch: number, chunkBytes = INLINE_CHUNK_BYTES): number {
  return batch * Math.max(1, Math.floor(chunkBytes / (batch * rowFloats * 4)));
}

/**
 * Runs `rows` (row-major float32, `rowFloats` values per row) through the model on `host` in requests of
 * inlineChunkRows rows, at most INLINE_WINDOW + 1 in flight. Gives what one `evaluate` of all rows gives.
 */
export function evaluateInlineRows(
  host: EvalClient,
  params: InlineRowsParams,
  rows: Float32Array,
  rowFloats: number,
  opts: EvaluateOptions & { chunkBytes?: number; window?: number } = {},
): Promise<EvaluateResult> {
  const total = rowFloats > 0 ? rows.length / rowFloats : 0;
  if (!Number.isInteger(total) || total < 1) throw new EvalHostError(`${rows.length} values are not whole rows of ${rowFloats}`, EvalErrorCodes.BadInput);
  const batch = params.batchAxis !== false ? (params.batchSize ?? 256) : 1;
  const chunkRows = inlineChunkRows(rowFloats, batch, opts.chunkBytes);
  async function* chunks(): AsyncGenerator<RowChunk> {
    for (let s = 0; s < total; s += chunkRows) yield { values: rows.subarray(s * rowFloats, Math.min(total, s + chunkRows) * rowFloats), first: s };
  }
  return evaluateInlineChunks(host, params, chunks(), rowFloats, { ...opts, totalRows: total });
}

/**
 * Runs consecutive row chunks (each whole batches but the last, the first starting at row 0) through the
 * model on `host` as they come, at most `window` + 1 requests in flight. Gives what one `evaluate` of all
 * rows gives: the outputs in row order, the session time of the first request, the run time and batches of
 * all. Progress counts rows and batches over all requests (the totals: `totalRows`, else the rows so far).
 * One failure, or the caller's abort, cancels the requests in flight; the first error is thrown.
 */
export async function evaluateInlineChunks(
  host: EvalClient,
  params: InlineRowsParams,
  chunks: AsyncIterable<RowChunk>,
  rowFloats: number,
  opts: EvaluateOptions & { window?: number; totalRows?: number } = {},
): Promise<EvaluateResult> {
  const batchAxis = params.batchAxis !== false;
  const batch = batchAxis ? (params.batchSize ?? 256) : 1;
  const window = Math.max(0, opts.window ?? INLINE_WINDOW);
  const { input, ...rest } = params;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const results: EvaluateResult[] = [];
  const running = new Set<Promise<void>>();
  // a host on this machine reads the rows from a file in memory rather than the pipe (RowsFileRing)
  const ring = host.readsLocalFiles ? RowsFileRing.open(window + 1) : undefined;
  let failed: unknown;
  let rowsSeen = 0;
  const send = (c: RowChunk, i: number): void => {
    const count = c.values.length / rowFloats;
    if (c.first !== rowsSeen || !Number.isInteger(count) || count < 1) {
      failed ??= new EvalHostError(`rows ${c.first}… do not follow rows 0–${rowsSeen - 1} in whole rows of ${rowFloats}`, EvalErrorCodes.BadInput);
      stop.abort();
      return;
    }
    rowsSeen += count;
    const onProgress = opts.onProgress;
    const p: Promise<void> = host
      .evaluate(
        { ...rest, inputs: [{ name: input.name, dims: input.dims, data: ring?.put(c.values, i) ?? { data: c.values } }] },
        {
          signal: stop.signal,
          token: opts.token,
          onProgress:
            onProgress &&
            ((v: EvaluateProgress) =>
              onProgress({
                batchesDone: (batchAxis ? c.first / batch : c.first) + v.batchesDone,
                batchesTotal: Math.ceil((opts.totalRows ?? rowsSeen) / (batchAxis ? batch : 1)),
                rowsDone: c.first + v.rowsDone,
                rowsTotal: opts.totalRows ?? rowsSeen,
              })),
        },
      )
      .then(
        (r) => {
          results[i] = r;
        },
        (e: unknown) => {
          failed ??= e;
          stop.abort();
        },
      )
      .finally(() => running.delete(p));
    running.add(p);
  };
  const it = chunks[Symbol.asyncIterator]();
  // waiting for the next rows ends when the evaluation is stopped
  const stopped = new Promise<{ done: true; value: undefined }>((resolve) => stop.signal.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true }));
  let sent = 0;
  let more = true;
  try {
    while (failed === undefined) {
      while (more && failed === undefined && running.size <= window) {
        const next = await Promise.race([it.next(), stopped]);
        if (next.done) more = false;
        else send(next.value, sent++);
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    ring?.close();
    opts.signal?.removeEventListener('abort', onAbort);
    // (not awaited: a source waiting for rows finishes when they come or its producer ends it)
    if (more) void it.return?.(undefined);
  }
  if (failed === undefined && opts.signal?.aborted) failed = new EvalHostError('evaluation cancelled', EvalErrorCodes.Cancelled);
  if (failed !== undefined) throw failed;
  if (sent === 0) throw new EvalHostError('no rows to evaluate', EvalErrorCodes.BadInput);
  return joinResults(results, rowsSeen);
}

/**
 * The rows of the requests in flight, in a file a local host reads them from (RowsInFile): on Linux in
 * /dev/shm (memory), else in the temporary folder, in a private folder of its own. Through a pipe, rows
 * move at about a tenth of the speed (issue #12: 25.6 MB took 300 ms on 2 busy cores), and both
 * processes spend CPU on it. The file holds `slots` chunks, request i's in slot i mod slots: a slot is
 * written again only when the request that used it was answered (at most slots − 1 are in flight before
 * another is sent, and the host answers in order), so it stays a few MB however many rows run.
 */
export class RowsFileRing {
  private slotBytes = 0;

  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly fd: number,
    private readonly slots: number,
  ) {}

  /** A new ring; undefined where no file can be made (the rows go inline). */
  static open(slots: number): RowsFileRing | undefined {
    let dir: string | undefined;
    try {
      const shm = '/dev/shm';
      const base = process.platform === 'linux' && fs.statSync(shm, { throwIfNoEntry: false })?.isDirectory() ? shm : os.tmpdir();
      dir = fs.mkdtempSync(path.join(base, 'modelver-rows-'));
      const file = path.join(dir, 'rows.f32');
      return new RowsFileRing(dir, file, fs.openSync(file, 'w', 0o600), slots);
    } catch {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
  }

  /** Writes the rows of request i into its slot; undefined where they cannot go there (they go inline). */
  put(values: Float32Array, i: number): RowsInFile | undefined {
    // the first chunk sets the slot size (later ones are as large, the last one smaller)
    if (this.slotBytes === 0) this.slotBytes = values.byteLength;
    if (values.byteLength > this.slotBytes) return undefined;
    const offset = (i % this.slots) * this.slotBytes;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    try {
      for (let at = 0; at < bytes.length; ) at += fs.writeSync(this.fd, bytes, at, bytes.length - at, offset + at);
    } catch {
      return undefined; // e.g. a full /dev/shm
    }
    return { file: this.file, offset, floats: values.length };
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The results of consecutive row ranges as the result of one request over all of them. */
export function joinResults(parts: EvaluateResult[], rows: number): EvaluateResult {
  const first = parts[0];
  const outputs: OutputTensor[] = first.outputs.map((o) => {
    const rowDims = o.dims.slice(1);
    const values = parts.map((r, i) => {
      const t = r.outputs.find((x) => x.name === o.name);
      if (!t) throw new EvalHostError(`the evaluation host returned no output '${o.name}' for rows of request ${i + 1}`, EvalErrorCodes.RuntimeError);
      if (t.dims.slice(1).join(',') !== rowDims.join(',')) {
        throw new EvalHostError(`output ${o.name} changed shape between batches: [${rowDims.join(',')}] then [${t.dims.slice(1).join(',')}]`, EvalErrorCodes.BadInput);
      }
      return outputFloats(t);
    });
    const all = new Float32Array(values.reduce((a, v) => a + v.length, 0));
    let at = 0;
    for (const v of values) {
      all.set(v, at);
      at += v.length;
    }
    return { name: o.name, dims: [rows, ...rowDims], type: 'float32', data: all };
  });
  return {
    outputs,
    rows,
    batches: parts.reduce((a, r) => a + r.batches, 0),
    provider: first.provider,
    skipped: first.skipped,
    sessionMs: first.sessionMs,
    runMs: parts.reduce((a, r) => a + r.runMs, 0),
    engine: first.engine,
  };
}

/**
 * A RowStream (dataset.ts) that hands its rows on as RowChunks, as an async iterable: the rows of a CSV go
 * to the model while the rest of the file is parsed. `chunkRows` says how many rows each chunk carries
 * (given when the columns are known; undefined: no streaming, e.g. the model cannot take the rows — then
 * the feed ends at once and `valid` is false). The iterable ends when the load calls `end()`; `reset()` (the
 * rows do not stand) ends it too and makes `valid` false.
 */
export class RowFeed implements RowStream, AsyncIterable<RowChunk> {
  private readonly queue: RowChunk[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  /** the rows given stand (no reset) and every chunk was whole */
  valid = true;
  featureCount: number | undefined;
  rowsGiven = 0;

  constructor(private readonly chunkRows: (featureCount: number) => number | undefined) {}

  start(featureCount: number): number {
    this.featureCount = featureCount;
    const n = this.chunkRows(featureCount);
    if (n === undefined) {
      this.valid = false;
      this.finish();
      return Number.MAX_SAFE_INTEGER;
    }
    return n;
  }

  rows(values: Float32Array, firstRow: number): void {
    if (this.ended) return;
    this.rowsGiven = firstRow + values.length / (this.featureCount ?? 1);
    this.queue.push({ values, first: firstRow });
    this.poke();
  }

  reset(): void {
    this.valid = false;
    this.finish();
  }

  /** the load is over: no more rows */
  finish(): void {
    this.ended = true;
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RowChunk> {
    for (;;) {
      if (this.queue.length) {
        yield this.queue.shift()!;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
