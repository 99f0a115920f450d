/**
 * Client of the evaluation host (src/evalHost): spawns a local host process (JSON-RPC over stdio) or
 * connects to a remote one (JSON-RPC over WebSocket with a bearer token). Never loads onnxruntime.
 * Asks for binary attachments (protocol 2, src/shared/evalProtocol.ts) and falls back to base64 when the
 * host does not offer them. When the host dies or the connection drops, every pending and later request
 * rejects with an EvalHostError that names the host and what happened.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import WebSocket from 'ws';
import { CancellationTokenSource, createMessageConnection, ProgressType, ResponseError } from 'vscode-jsonrpc/node';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc/node';
import type {
  EvaluateParams,
  EvaluateProgress,
  EvaluateResult,
  HasParams,
  HasResult,
  InitializeParams,
  InitializeResult,
  PutParams,
  PutResult,
} from '../../shared/evalProtocol';
import { EvalErrorCodes, Methods } from '../../shared/evalProtocol';
import { BinaryStreamMessageReader, BinaryStreamMessageWriter, WebSocketMessageReader, WebSocketMessageWriter } from '../../evalHost/wsTransport';

export interface LocalHostOptions {
  /** extra host flags: --provider, --threads, --cache-dir … */
  args?: string[];
  /** the node binary (default process.execPath; ELECTRON_RUN_AS_NODE=1 is set for Electron) */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
  /** each line the host writes to stderr (ORT warnings, refusals …) */
  onStderr?: (line: string) => void;
}

export interface RemoteHostOptions {
  /** largest message this client accepts from the host, bytes (default 1 GiB) */
  maxPayload?: number;
  /** connect timeout, ms (default 10 s) */
  timeoutMs?: number;
}

export interface EvaluateOptions {
  onProgress?: (p: EvaluateProgress) => void;
  signal?: AbortSignal;
  token?: CancellationToken;
}

/** The host's error replies; `code` is one of EvalErrorCodes or a JSON-RPC code. */
export class EvalHostError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = code === EvalErrorCodes.Cancelled ? 'EvalCancelledError' : 'EvalHostError';
  }
  get cancelled(): boolean {
    return this.code === EvalErrorCodes.Cancelled;
  }
}

export function isEvalCancelled(e: unknown): boolean {
  return e instanceof EvalHostError && e.cancelled;
}

/** hex sha256 of a file, streamed */
export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function sha256Bytes(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

let progressCounter = 0;
const evalProgressType = new ProgressType<EvaluateProgress>();

export class EvalClient {
  /** how many put chunks this client sent (models and datasets) */
  uploads = { models: 0, datasets: 0, chunks: 0, bytes: 0 };
  private info: InitializeResult | undefined;
  private initializing: Promise<InitializeResult> | undefined;
  /** how reports name the host: `the local evaluation host (pid N)` or `the evaluation host at ws://…` */
  hostName = 'the evaluation host';
  private disposed = false;
  private closeReason: string | undefined;
  /** the host's last stderr lines when it exited (local) */
  private closeDetail = '';
  private readonly stderrTail: string[] = [];

  private constructor(
    private readonly conn: MessageConnection,
    private readonly closeTransport: () => void,
  ) {
    conn.onClose(() => this.lost());
  }

  /** The transport ended (process exit, socket close): reject what is pending, refuse what comes. */
  private lost(): void {
    if (this.losing) return;
    this.losing = true;
    // after the other close/exit listeners have recorded why (a local host: once its exit is known,
    // which can come a little after its stdout closes)
    const settle = this.settleExit ? this.settleExit() : Promise.resolve();
    void settle.then(() => setImmediate(() => {
      this.closeReason ??= `${this.hostName} closed the connection`;
      if (this.disposed) return;
      this.disposed = true;
      this.conn.dispose();
      this.closeTransport();
    }));
  }
  private losing = false;
  /** local: resolves when the host process has exited (or after a second) */
  private settleExit: (() => Promise<void>) | undefined;

  /** Spawns `node hostScript [args]` with stdio pipes. */
  static local(hostScript: string, opts: LocalHostOptions = {}): EvalClient {
    const execPath = opts.execPath ?? process.execPath;
    const env = { ...process.env, ...opts.env };
    if (process.versions.electron && !opts.execPath) env.ELECTRON_RUN_AS_NODE = '1';
    const child: ChildProcess = spawn(execPath, [hostScript, ...(opts.args ?? [])], { stdio: ['pipe', 'pipe', 'pipe'], env, windowsHide: true });
    const conn = createMessageConnection(new BinaryStreamMessageReader(child.stdout!), new BinaryStreamMessageWriter(child.stdin!));
    const client = new EvalClient(conn, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    });
    client.child = child;
    client.hostName = `the local evaluation host (pid ${child.pid ?? '?'})`;
    client.settleExit = () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
        const timer = setTimeout(resolve, 1000);
        timer.unref?.();
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) client.noteStderr(l, opts.onStderr);
    });
    child.on('exit', (code, signal) => {
      const how = signal ? `was killed (${signal})` : `exited (code ${code})`;
      if (client.closeReason === undefined) {
        client.closeReason = `${client.hostName} ${how}`;
        if (client.stderrTail.length) client.closeDetail = `. Its last output: ${client.stderrTail.slice(-3).join(' | ')}`;
      }
      client.lost();
    });
    child.on('error', (e) => {
      client.closeReason ??= `cannot start the evaluation host: ${e.message}`;
      client.lost();
    });
    child.stdin!.on('error', () => undefined);
    conn.listen();
    return client;
  }

  /** Connects to `ws://host:port` with `Authorization: Bearer token`. Rejects when refused. */
  static async remote(url: string, token: string, opts: RemoteHostOptions = {}): Promise<EvalClient> {
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${token}` },
      maxPayload: opts.maxPayload ?? 1024 * 1024 * 1024,
      handshakeTimeout: opts.timeoutMs ?? 10_000,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => {
        reject(new EvalHostError(`the evaluation host at ${url} refused the connection: HTTP ${res.statusCode}${res.statusCode === 401 ? ' (wrong or missing token)' : ''}`, -32099));
        ws.terminate();
      });
      ws.once('error', (e) => reject(new EvalHostError(`cannot connect to the evaluation host at ${url}: ${e.message}`, -32099)));
    });
    const conn = createMessageConnection(new WebSocketMessageReader(ws), new WebSocketMessageWriter(ws));
    const client = new EvalClient(conn, () => ws.close(1000));
    client.hostName = `the evaluation host at ${url}`;
    ws.on('close', (code, reason) => {
      const why = code === 1006 ? ': the connection dropped without a close frame; the host process may have died or the network failed' : code === 1009 ? ': message too big' : '';
      client.closeReason ??= `${client.hostName} closed the connection (${code}${why}${reason.length ? ': ' + reason.toString() : ''})`;
      client.lost();
    });
    ws.on('error', () => undefined);
    conn.listen();
    return client;
  }

  /**
   * A client over a pair of streams (an in-process host, a pipe set up elsewhere): the same framing as the
   * local host's stdio. `close` runs on dispose.
   */
  static overStreams(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, hostName = 'the evaluation host', close: () => void = () => undefined): EvalClient {
    const conn = createMessageConnection(new BinaryStreamMessageReader(input as import('stream').Readable), new BinaryStreamMessageWriter(output as import('stream').Writable));
    const client = new EvalClient(conn, close);
    client.hostName = hostName;
    conn.listen();
    return client;
  }

  /** the spawned process (local only) */
  child: ChildProcess | undefined;

  private noteStderr(line: string, cb?: (l: string) => void): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > 50) this.stderrTail.shift();
    cb?.(line);
  }

  /** the host's last stderr lines (local only) */
  get stderr(): string[] {
    return [...this.stderrTail];
  }

  get initialized(): InitializeResult | undefined {
    return this.info;
  }

  private async request<R>(method: string, params: unknown, token?: CancellationToken): Promise<R> {
    if (this.disposed) throw new EvalHostError(this.closeReason ? `${this.closeReason}${this.closeDetail}` : 'the evaluation client is disposed', -32097);
    try {
      return (await (token ? this.conn.sendRequest(method, params, token) : this.conn.sendRequest(method, params))) as R;
    } catch (e) {
      if (e instanceof ResponseError) {
        const closed = e.code === -32097 || e.code === -32099;
        throw new EvalHostError(closed && this.closeReason ? `${this.closeReason} during ${method}${this.closeDetail}` : e.message, e.code, e.data);
      }
      const msg = e instanceof Error ? e.message : String(e);
      throw new EvalHostError(this.closeReason ? `${this.closeReason} during ${method}${this.closeDetail}` : msg, -32099);
    }
  }

  /**
   * Negotiates with the host (binary attachments unless `binary: false`). A call without provider or
   * thread settings while another is in flight shares it, so callers can start it early.
   */
  async initialize(params: InitializeParams = {}): Promise<InitializeResult> {
    if (this.initializing && params.provider === undefined && params.intraOpNumThreads === undefined) return this.initializing;
    const p = this.request<InitializeResult>(Methods.initialize, { ...params, binary: params.binary ?? true });
    this.initializing = p;
    try {
      this.info = await p;
      return this.info;
    } finally {
      if (this.initializing === p) this.initializing = undefined;
    }
  }

  /** binary attachments are on for this connection */
  get binary(): boolean {
    return this.info?.binary === true;
  }

  has(params: HasParams): Promise<HasResult> {
    return this.request<HasResult>(Methods.has, params);
  }

  putModel(params: PutParams): Promise<PutResult> {
    return this.request<PutResult>(Methods.putModel, params);
  }

  putDataset(params: PutParams): Promise<PutResult> {
    return this.request<PutResult>(Methods.putDataset, params);
  }

  private async upload(kind: 'model' | 'dataset', hash: string, bytes: Buffer): Promise<void> {
    const chunk = this.info?.chunkBytes ?? 4 * 1024 * 1024;
    let offset = 0;
    do {
      const piece = bytes.subarray(offset, offset + chunk);
      const p: PutParams = { hash, size: bytes.length, offset, data: this.binary ? piece : piece.toString('base64') };
      const r = kind === 'model' ? await this.putModel(p) : await this.putDataset(p);
      this.uploads.chunks++;
      this.uploads.bytes += piece.length;
      offset += piece.length;
      if (r.complete) break;
    } while (offset < bytes.length);
    if (kind === 'model') this.uploads.models++;
    else this.uploads.datasets++;
  }

  /** Makes sure the host has this model file; uploads it only when the host lacks it. Returns its sha256. */
  async ensureModel(file: string): Promise<string> {
    const bytes = await fs.promises.readFile(file);
    const hash = sha256Bytes(bytes);
    const { models } = await this.has({ models: [hash] });
    if (!models.includes(hash)) await this.upload('model', hash, bytes);
    return hash;
  }

  /** Same for a dataset's features (row-major float32, e.g. Dataset.features). Returns the sha256 of the bytes. */
  async ensureDataset(features: Float32Array): Promise<string> {
    const bytes = Buffer.from(features.buffer, features.byteOffset, features.byteLength);
    const hash = sha256Bytes(bytes);
    const { datasets } = await this.has({ datasets: [hash] });
    if (!datasets.includes(hash)) await this.upload('dataset', hash, bytes);
    return hash;
  }

  /** Runs the batches on the host. Rejects with an EvalHostError whose `cancelled` is true when cancelled. */
  async evaluate(params: Omit<EvaluateParams, 'progressToken'>, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
    const source = new CancellationTokenSource();
    const disposables: { dispose(): void }[] = [];
    if (opts.signal) {
      if (opts.signal.aborted) throw new EvalHostError('evaluation cancelled before it started', EvalErrorCodes.Cancelled);
      const onAbort = (): void => source.cancel();
      opts.signal.addEventListener('abort', onAbort, { once: true });
      disposables.push({ dispose: () => opts.signal!.removeEventListener('abort', onAbort) });
    }
    if (opts.token) {
      if (opts.token.isCancellationRequested) throw new EvalHostError('evaluation cancelled before it started', EvalErrorCodes.Cancelled);
      disposables.push(opts.token.onCancellationRequested(() => source.cancel()));
    }
    const full: EvaluateParams = { ...params };
    if (opts.onProgress) {
      full.progressToken = `eval-${process.pid}-${++progressCounter}`;
      const cb = opts.onProgress;
      disposables.push(this.conn.onProgress(evalProgressType, full.progressToken, (v) => cb(v)));
    }
    try {
      return await this.request<EvaluateResult>(Methods.evaluate, full, source.token);
    } finally {
      for (const d of disposables) d.dispose();
      source.dispose();
    }
  }

  /** Asks the host to shut down (local: the process exits; remote: this connection closes). */
  async shutdown(): Promise<void> {
    try {
      await this.request(Methods.shutdown, null);
    } catch {
      /* already gone */
    }
  }

  /** Closes the connection and kills a local host process. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.conn.dispose();
    this.closeTransport();
  }
}
