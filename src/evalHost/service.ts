/**
 * The eval host's request handlers, bound to one JSON-RPC connection (stdio, or one WebSocket client).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ProgressType, ResponseError } from 'vscode-jsonrpc/node';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc/node';
import type {
  DatasetData,
  EvaluateParams,
  EvaluateProgress,
  EvaluateResult,
  HasParams,
  HasResult,
  InitializeParams,
  InitializeResult,
  OutputTensor,
  ProviderChoice,
  PutParams,
  PutResult,
  RowsInFile,
} from '../shared/evalProtocol';
import { EVAL_PROTOCOL_VERSION, EvalErrorCodes, Methods, PROVIDER_CHOICES, base64ToFloat32, float32ToBase64 } from '../shared/evalProtocol';
import { BlobError, BlobStore } from './blobStore';
import { ProviderError, Runtime, shortenError } from './runtime';
import { notRunnableFormat, notRunnableMessage } from '../core/eval/runnable';

export interface ServiceOptions {
  provider: ProviderChoice;
  intraOpNumThreads: number;
  cacheDir: string;
  maxBlobBytes: number;
  chunkBytes: number;
  /** remote only */
  maxMessageBytes?: number;
  /** raw bytes per upload chunk on a binary (protocol 2) connection (default chunkBytes) */
  binaryChunkBytes?: number;
  /** called after `shutdown` has been answered */
  onShutdown: () => void;
  /** a host on the client's machine (stdio): takes EvaluateParams.modelPath (InitializeResult.modelPaths) */
  modelPaths?: boolean;
}

export const evalProgress = new ProgressType<EvaluateProgress>();

function hostVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const f = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(f, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'model-versions' && pkg.version) return pkg.version;
    } catch {
      /* keep looking */
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

const badInput = (msg: string): ResponseError<void> => new ResponseError(EvalErrorCodes.BadInput, msg);

/**
 * A client's value as error messages show it: short, whatever was sent (issue #10: a reply never echoes
 * a large value, so a bad request of megabytes gets an answer of bytes). Strings up to `max` characters
 * stay as they are; arrays show their first items and their length; nesting shows one level.
 */
export function brief(v: unknown, max = 80, level = 0): string {
  if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}… (${v.length} characters)` : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v !== 'object') return typeof v;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of ${v.byteLength} bytes`;
  if (level > 0) return Array.isArray(v) ? `[…${v.length} items]` : '{…}';
  const item = (x: unknown): string => (typeof x === 'string' ? JSON.stringify(brief(x, 20)) : brief(x, 20, level + 1));
  if (Array.isArray(v)) return `[${v.slice(0, 8).map(item).join(',')}${v.length > 8 ? `,… ${v.length} items` : ''}]`;
  const keys = Object.keys(v);
  return `{${keys.slice(0, 8).map((k) => `${JSON.stringify(brief(k, 20))}:${item((v as Record<string, unknown>)[k])}`).join(',')}${keys.length > 8 ? `,… ${keys.length} keys` : ''}}`;
}
const isPosInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
const isNonNegInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Maps internal errors onto protocol errors. */
function toResponseError(e: unknown): ResponseError<unknown> {
  if (e instanceof ResponseError) return e;
  if (e instanceof BlobError) return new ResponseError(e.kind === 'unknown' ? EvalErrorCodes.UnknownBlob : EvalErrorCodes.BadUpload, e.message);
  if (e instanceof ProviderError) return new ResponseError(EvalErrorCodes.ProviderUnavailable, e.message, { skipped: e.skipped });
  return new ResponseError(EvalErrorCodes.RuntimeError, shortenError(e, 2000));
}

function wrap<P, R>(fn: (p: P, token: CancellationToken) => Promise<R>): (p: P, token: CancellationToken) => Promise<R | ResponseError<unknown>> {
  return async (p, token) => {
    try {
      return await fn(p, token);
    } catch (e) {
      return toResponseError(e);
    }
  };
}

/** One input's rows, readable batch by batch. */
interface RowSource {
  name: string;
  dims: number[];
  rowFloats: number;
  rows: number;
  /** copies rows [start, start+count) into dst at dstOffset (floats) */
  copy(start: number, count: number, dst: Float32Array, dstOffset: number): void;
  /** rows [start, start+count) as a view, where they lie side by side (no copy needed) */
  view?(start: number, count: number): Float32Array;
}

export class EvalService {
  private readonly blobs: BlobStore;
  private runtime: Runtime;
  private readonly datasetCache = new Map<string, Float32Array>();
  /** protocol 2 binary attachments negotiated in initialize */
  private binary = false;
  /** batches run by this service (all evaluations); lets tests see that a cancelled evaluation stopped */
  batchesRun = 0;

  constructor(
    private readonly conn: MessageConnection,
    private readonly opts: ServiceOptions,
  ) {
    this.blobs = new BlobStore(opts.cacheDir, opts.maxBlobBytes);
    this.runtime = new Runtime({ provider: opts.provider, intraOpNumThreads: opts.intraOpNumThreads });
    conn.onRequest(Methods.initialize, wrap((p: InitializeParams) => this.initialize(p ?? {})));
    conn.onRequest(Methods.has, wrap(async (p: HasParams) => this.has(p ?? {})));
    conn.onRequest(Methods.putModel, wrap((p: PutParams) => this.put('model', p)));
    conn.onRequest(Methods.putDataset, wrap((p: PutParams) => this.put('dataset', p)));
    conn.onRequest(Methods.evaluate, wrap((p: EvaluateParams, token) => this.inTurn(() => this.evaluate(p, token))));
    conn.onRequest(Methods.shutdown, async () => {
      setImmediate(() => opts.onShutdown());
      return null;
    });
  }

  /** the evaluate requests of this connection, one after another (see inTurn) */
  private turn: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` after the evaluate requests that came before it have been answered: requests run one at a
   * time, in the order they came, so a client may send a dataset's rows in several requests ahead of
   * time (src/core/eval/inlineRows.ts) and get the outputs in order, without two runs sharing the CPU.
   */
  private inTurn<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.turn.then(fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** the provider choice warmUp started (initialize waits for it) */
  private warming: Promise<unknown> | undefined;

  /**
   * Loads onnxruntime and picks the provider now, before the client asks (a local host, issue #12: the
   * client spawned this process to evaluate, and onnxruntime's load and first session are most of a
   * host's start). A failure here is left for initialize to report, which tries again.
   */
  warmUp(): void {
    const runtime = this.runtime;
    this.warming = new Promise<void>((resolve) => setImmediate(resolve)).then(() => runtime.choose()).catch(() => undefined);
  }

  async initialize(p: InitializeParams): Promise<InitializeResult> {
    await this.warming;
    if (p.provider !== undefined && !PROVIDER_CHOICES.includes(p.provider)) {
      throw badInput(`provider must be one of ${PROVIDER_CHOICES.join(', ')}`);
    }
    if (p.intraOpNumThreads !== undefined && !isNonNegInt(p.intraOpNumThreads)) throw badInput('intraOpNumThreads must be a non-negative integer');
    if (p.binary !== undefined && typeof p.binary !== 'boolean') throw badInput('binary must be true or false');
    this.binary = p.binary === true;
    const provider = p.provider ?? this.runtime.opts.provider;
    const threads = p.intraOpNumThreads ?? this.runtime.opts.intraOpNumThreads;
    if (provider !== this.runtime.opts.provider || threads !== this.runtime.opts.intraOpNumThreads) {
      await this.runtime.dispose();
      this.runtime = new Runtime({ provider, intraOpNumThreads: threads });
    }
    const ort = this.runtime.ort; // loads onnxruntime-node (the first time: can take seconds when cold)
    const chosen = await this.runtime.choose();
    return {
      version: hostVersion(),
      protocolVersion: EVAL_PROTOCOL_VERSION,
      onnxruntimeVersion: ort.env.versions?.common ?? 'unknown',
      executionProviders: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
      requestedProvider: provider,
      provider: chosen.provider,
      skipped: chosen.skipped,
      intraOpNumThreads: threads,
      cpuCount: os.cpus().length,
      platform: process.platform,
      arch: process.arch,
      hostname: os.hostname(),
      nodeVersion: process.version,
      maxMessageBytes: this.opts.maxMessageBytes,
      maxBlobBytes: this.opts.maxBlobBytes,
      chunkBytes: this.binary ? (this.opts.binaryChunkBytes ?? this.opts.chunkBytes) : this.opts.chunkBytes,
      binary: this.binary,
      externalData: true,
      ...(this.opts.modelPaths ? { modelPaths: true } : {}),
    };
  }

  has(p: HasParams): HasResult {
    return { models: this.blobs.has('model', p.models), datasets: this.blobs.has('dataset', p.datasets) };
  }

  put(kind: 'model' | 'dataset', p: PutParams): Promise<PutResult> {
    return this.blobs.put(kind, p);
  }

  private async datasetFloats(hash: string): Promise<Float32Array> {
    const hit = this.datasetCache.get(hash);
    if (hit) return hit;
    const buf = await fs.promises.readFile(this.blobs.file('dataset', hash));
    if (buf.length % 4 !== 0) throw badInput(`dataset ${hash} has ${buf.length} bytes, not a whole number of float32 values`);
    const a = new Float32Array(buf.length / 4);
    new Uint8Array(a.buffer).set(buf);
    this.datasetCache.clear(); // keep one dataset in memory
    this.datasetCache.set(hash, a);
    return a;
  }

  private async rowSource(input: EvaluateParams['inputs'][number], i: number): Promise<RowSource> {
    if (!input || typeof input.name !== 'string') throw badInput(`inputs[${i}] has no name`);
    const { name, dims } = input;
    const label = brief(name);
    if (!Array.isArray(dims) || !dims.every(isPosInt)) throw badInput(`input ${label}: dims must be positive integers (the shape of one row), got ${brief(dims)}`);
    const rowFloats = dims.reduce((a, b) => a * b, 1);
    const data = input.data as Partial<DatasetData> & Partial<Record<keyof RowsInFile, unknown>> & { base64?: unknown; data?: unknown };
    if (!data || typeof data !== 'object') throw badInput(`input ${label}: no data`);
    if (typeof data.base64 === 'string' || data.data instanceof Float32Array || data.file !== undefined) {
      const a = data.file !== undefined ? await this.rowsInFile(data, label) : data.data instanceof Float32Array ? data.data : base64ToFloat32(data.base64 as string);
      if (a.length % rowFloats !== 0) throw badInput(`input ${label}: ${a.length} floats are not a whole number of rows of ${rowFloats} (dims ${brief(dims)})`);
      return {
        name,
        dims,
        rowFloats,
        rows: a.length / rowFloats,
        copy: (start, count, dst, off) => dst.set(a.subarray(start * rowFloats, (start + count) * rowFloats), off),
        view: (start, count) => a.subarray(start * rowFloats, (start + count) * rowFloats),
      };
    }
    if (typeof data.datasetHash !== 'string') throw badInput(`input ${label}: data needs base64, data (float32, binary connections) or datasetHash`);
    const all = await this.datasetFloats(BlobStore.checkHash(data.datasetHash));
    const width = data.rowWidth;
    if (!isPosInt(width)) throw badInput(`input ${label}: rowWidth must be a positive integer`);
    if (all.length % width !== 0) throw badInput(`input ${label}: dataset has ${all.length} floats, not a whole number of rows of ${width}`);
    const total = all.length / width;
    const startRow = data.startRow ?? 0;
    if (!isNonNegInt(startRow) || startRow > total) throw badInput(`input ${label}: startRow ${brief(startRow)} outside the dataset's ${total} rows`);
    const rows = data.rowCount ?? total - startRow;
    if (!isNonNegInt(rows) || startRow + rows > total) throw badInput(`input ${label}: rowCount ${brief(rows)} from row ${brief(startRow)} runs past the dataset's ${total} rows`);
    const cols = data.columns;
    if (cols !== undefined) {
      if (!Array.isArray(cols) || !cols.every((c) => isNonNegInt(c) && c < width)) throw badInput(`input ${label}: columns must be indices below rowWidth ${width}`);
      if (cols.length !== rowFloats) throw badInput(`input ${label}: ${cols.length} columns do not fill a row of dims ${brief(dims)} (${rowFloats} values)`);
      return {
        name,
        dims,
        rowFloats,
        rows,
        copy: (start, count, dst, off) => {
          for (let r = 0; r < count; r++) {
            const base = (startRow + start + r) * width;
            const o = off + r * rowFloats;
            for (let c = 0; c < rowFloats; c++) dst[o + c] = all[base + cols[c]];
          }
        },
      };
    }
    if (width !== rowFloats) throw badInput(`input ${label}: dataset rows have ${width} values but dims ${brief(dims)} take ${rowFloats}; give columns`);
    return {
      name,
      dims,
      rowFloats,
      rows,
      copy: (start, count, dst, off) => dst.set(all.subarray((startRow + start) * width, (startRow + start + count) * width), off),
      view: (start, count) => all.subarray((startRow + start) * width, (startRow + start + count) * width),
    };
  }

  /** the rows of the request being run, read from a client's row file (requests run one at a time: inTurn) */
  private rowsScratch = new Float32Array(0);

  /**
   * InlineData in a file (RowsInFile), checked and read: only a local host takes it (like modelPath), an
   * absolute path, whole float32 values that are there. The floats stay valid until the next request.
   */
  private async rowsInFile(d: Partial<Record<keyof RowsInFile, unknown>>, label: string): Promise<Float32Array> {
    if (!this.opts.modelPaths) throw badInput('rows in a file are taken only by a local evaluation host (stdio), on the client\'s machine; send the rows inline');
    if (typeof d.file !== 'string' || !path.isAbsolute(d.file)) throw badInput(`input ${label}: file must be an absolute path, got ${brief(d.file)}`);
    if (!isNonNegInt(d.offset) || !isPosInt(d.floats)) throw badInput(`input ${label}: offset must be a whole number ≥ 0 and floats one ≥ 1, got ${brief(d.offset)} and ${brief(d.floats)}`);
    if (d.floats > this.rowsScratch.length) this.rowsScratch = new Float32Array(Math.max(d.floats, this.rowsScratch.length * 2));
    const a = this.rowsScratch.subarray(0, d.floats);
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    let got = 0;
    try {
      const fh = await fs.promises.open(d.file, 'r');
      try {
        while (got < bytes.length) {
          const { bytesRead } = await fh.read(bytes, got, bytes.length - got, d.offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw badInput(`input ${label}: cannot read the rows in ${brief(d.file, 300)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (got < bytes.length) throw badInput(`input ${label}: ${brief(d.file, 300)} holds ${got} bytes from offset ${d.offset}, not the ${bytes.length} of ${d.floats} floats`);
    return a;
  }

  /**
   * EvaluateParams.modelPath, checked: only a local host takes it (a remote one opens what was uploaded
   * to it, never a path of its own machine that a client names); absolute, a file, without externalData.
   */
  private modelPath(p: EvaluateParams): string | undefined {
    if (p.modelPath === undefined) return undefined;
    if (!this.opts.modelPaths) {
      throw badInput('modelPath is taken only by a local evaluation host (stdio), which runs on the client\'s machine; upload the model and its external data files (putModel) and send externalData instead');
    }
    if (typeof p.modelPath !== 'string' || !path.isAbsolute(p.modelPath)) throw badInput(`modelPath must be an absolute path, got ${brief(p.modelPath)}`);
    if (p.externalData !== undefined) throw badInput('give modelPath or externalData, not both: a model opened by path finds its external data beside it');
    let st: fs.Stats;
    try {
      st = fs.statSync(p.modelPath);
    } catch (e) {
      throw badInput(`cannot open the model at ${brief(p.modelPath, 300)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!st.isFile()) throw badInput(`${brief(p.modelPath, 300)} is not a file`);
    return p.modelPath;
  }

  async evaluate(p: EvaluateParams, token: CancellationToken): Promise<EvaluateResult> {
    if (!p || typeof p !== 'object') throw badInput('no params');
    const modelHash = BlobStore.checkHash(p.modelHash);
    const modelPath = this.modelPath(p);
    const modelFile = modelPath ?? this.blobs.file('model', modelHash);
    if (!Array.isArray(p.inputs) || p.inputs.length === 0) throw badInput('inputs must be a non-empty array');
    const sources: RowSource[] = [];
    for (let i = 0; i < p.inputs.length; i++) sources.push(await this.rowSource(p.inputs[i], i));
    const rows = sources[0].rows;
    for (const s of sources) if (s.rows !== rows) throw badInput(`inputs have different row counts: ${brief(sources[0].name)} ${rows}, ${brief(s.name)} ${s.rows}`);
    const batchAxis = p.batchAxis !== false;
    const batchSize = batchAxis ? (p.batchSize ?? 256) : 1;
    if (!isPosInt(batchSize)) throw badInput('batchSize must be a positive integer');
    const pad = batchAxis && p.padLastBatch === true;

    // safetensors, PyTorch, GGUF, TFLite: the clients refuse them before uploading; a client that did not gets the same answer
    const refused = await notRunnableFormat(modelFile);
    if (refused) throw badInput(notRunnableMessage(refused, 'The model')!);
    const { session, provider, skipped, ms: sessionMs, engine } = modelPath
      ? await this.runtime.sessionAt(modelHash, modelPath)
      : await this.runtime.session(modelHash, modelFile, this.blobs.modelFiles(p.externalData));
    for (const s of sources) {
      if (!session.inputNames.includes(s.name)) throw badInput(`the model has no input ${brief(s.name)} (inputs: ${session.inputNames.join(', ')})`);
    }
    const missing = session.inputNames.filter((n) => !sources.some((s) => s.name === n));
    if (missing.length) throw badInput(`no data for model input(s) ${missing.join(', ')}`);
    if (p.outputName !== undefined && !session.outputNames.includes(p.outputName)) {
      throw badInput(`the model has no output ${brief(p.outputName)} (outputs: ${session.outputNames.join(', ')})`);
    }
    const outNames = p.outputName !== undefined ? [p.outputName] : [...session.outputNames];

    const ort = this.runtime.ort;
    const batches = Math.ceil(rows / batchSize);
    const collected = new Map<string, { chunks: Float32Array[]; rowDims: number[] | undefined }>(outNames.map((n) => [n, { chunks: [], rowDims: undefined }]));
    const progressToken = p.progressToken;
    let lastProgress = 0;
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      // let $/cancelRequest in before each batch
      await new Promise((r) => setImmediate(r));
      if (token.isCancellationRequested) throw new ResponseError(EvalErrorCodes.Cancelled, `evaluation cancelled after ${b} of ${batches} batches`);
      const start = b * batchSize;
      const count = Math.min(batchSize, rows - start);
      const n = pad ? batchSize : count;
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const s of sources) {
        let buf: Float32Array;
        if (n === count && s.view) buf = s.view(start, count);
        else {
          buf = new Float32Array(n * s.rowFloats);
          s.copy(start, count, buf, 0);
        }
        feeds[s.name] = new ort.Tensor('float32', buf, batchAxis ? [n, ...s.dims] : s.dims);
      }
      let out: Record<string, { readonly data: unknown; readonly dims: readonly number[] }>;
      try {
        this.batchesRun++;
        out = await session.run(feeds, outNames);
      } catch (e) {
        throw new ResponseError(EvalErrorCodes.RuntimeError, `batch ${b + 1} of ${batches} (rows ${start}–${start + count - 1}): ${shortenError(e, 1500)}`);
      }
      for (const name of outNames) {
        const t = out[name];
        const c = collected.get(name)!;
        const data = toFloat32(t.data, name);
        let rowDims: number[];
        let keep: Float32Array;
        if (batchAxis) {
          if (t.dims.length === 0 || t.dims[0] !== n) {
            throw badInput(`output ${name} has dims [${t.dims.join(',')}] for a batch of ${n}: its first dimension is not the batch; use batchAxis false or outputName`);
          }
          rowDims = t.dims.slice(1).map(Number);
          const per = rowDims.reduce((a, x) => a * x, 1);
          keep = n === count ? data : data.subarray(0, count * per);
        } else {
          rowDims = t.dims.map(Number);
          keep = data;
        }
        if (c.rowDims && c.rowDims.join(',') !== rowDims.join(',')) {
          throw badInput(`output ${name} changed shape between batches: [${c.rowDims.join(',')}] then [${rowDims.join(',')}]`);
        }
        c.rowDims = rowDims;
        c.chunks.push(keep);
      }
      const now = performance.now();
      if (progressToken !== undefined && (b === batches - 1 || b === 0 || now - lastProgress >= 20)) {
        lastProgress = now;
        void this.conn.sendProgress(evalProgress, progressToken, { batchesDone: b + 1, batchesTotal: batches, rowsDone: start + count, rowsTotal: rows }).catch(() => undefined);
      }
    }
    const runMs = performance.now() - t0;
    const outputs: OutputTensor[] = outNames.map((name) => {
      const c = collected.get(name)!;
      const len = c.chunks.reduce((a, x) => a + x.length, 0);
      const all = new Float32Array(len);
      let o = 0;
      for (const x of c.chunks) {
        all.set(x, o);
        o += x.length;
      }
      const dims = [rows, ...(c.rowDims ?? [])];
      return this.binary ? { name, dims, type: 'float32', data: all } : { name, dims, type: 'float32', base64: float32ToBase64(all) };
    });
    return { outputs, rows, batches, provider, skipped, sessionMs, runMs, engine };
  }

  async dispose(): Promise<void> {
    this.datasetCache.clear();
    await this.blobs.dispose();
    await this.runtime.dispose();
  }
}

function toFloat32(data: unknown, name: string): Float32Array {
  if (data instanceof Float32Array) return data;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const src = data as unknown as ArrayLike<number | bigint>;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
    return out;
  }
  if (Array.isArray(data) && data.every((v) => typeof v === 'number' || typeof v === 'boolean')) return Float32Array.from(data as number[]);
  throw badInput(`output ${name} is not numeric (${Object.prototype.toString.call(data)}); choose another output with outputName`);
}
