/**
 * Client of the evaluation host (src/evalHost): spawns a local host process (JSON-RPC over stdio) or
 * connects to a remote one (JSON-RPC over WebSocket with a bearer token). Never loads onnxruntime.
 * Asks for binary attachments (protocol 2, src/shared/evalProtocol.ts) and falls back to base64 when the
 * host does not offer them. When the host dies or the connection drops, every pending and later request
 * rejects with an EvalHostError that names the host and what happened.
 *
 * Liveness (issue #10): while requests are outstanding the client probes the host every `heartbeatMs`
 * (remote: WebSocket ping frames, answered by the host's ws library; local: a `ping` request) and counts
 * anything from the host as a sign of life — replies, progress, pongs, bytes the host took off the
 * client's send queue. After `deadAfterMs` without any, the host "stopped answering": pending and later
 * requests reject with a message naming it, and a local host process is killed. A local host that is
 * silent but busy computing (its CPU time advances, Linux /proc) is not taken for a stopped one, so one
 * long batch does not time out; a remote host cannot be looked at that way, so a single step that blocks
 * it (one batch, loading a huge model) longer than `deadAfterMs` counts as stopped: raise the limit
 * (--host-timeout, MODELVER_HOST_TIMEOUT) for such models. An evaluation that makes progress (one
 * `$/progress` per batch at least every 20 ms of work) never times out.
 *
 * ONNX external data (issue #10): ensureModel uploads the data files the model names (beside it, as the
 * ONNX reader checks) as model blobs, and evaluate sends their locations and hashes with the model's
 * hash, so the host lays them out beside the model in a private folder. A local host (one this client
 * started) is sent the model's path instead, and opens the model where it lies (issue #15).
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type WebSocket from 'ws';
import type { CancellationToken, MessageConnection, ProgressType } from 'vscode-jsonrpc/node';
import type {
  EvaluateParams,
  ExternalDataRef,
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
import { EvalHostError } from './errors';
import type * as Transport from './transport';
import { ModelFormatError } from '../formats/errors';
import { readOnnxSummary } from '../formats/onnx';
import { isHdf5, isLfsPointer, isZip } from '../formats/sniff';

/** Probe interval while requests are outstanding, ms. */
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** Silence after which the host counts as stopped, ms. */
export const DEFAULT_DEAD_AFTER_MS = 30_000;

export interface LivenessOptions {
  /** probe the host this often while requests are outstanding, ms (default 10 s; MODELVER_HOST_HEARTBEAT, seconds) */
  heartbeatMs?: number;
  /** fail after this long without anything from the host, ms (default 30 s; MODELVER_HOST_TIMEOUT, seconds); 0 = never */
  deadAfterMs?: number;
}

/** The liveness settings in MODELVER_HOST_HEARTBEAT / MODELVER_HOST_TIMEOUT (seconds); throws on a bad value. */
export function livenessFromEnv(env: NodeJS.ProcessEnv = process.env): LivenessOptions {
  const out: LivenessOptions = {};
  const read = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v.trim() === '') return undefined;
    const n = Number(v);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(v) || !Number.isFinite(n)) throw new Error(`${name} must be a number of seconds (e.g. 30), not '${v}'`);
    return Math.round(n * 1000);
  };
  const hb = read('MODELVER_HOST_HEARTBEAT');
  const dead = read('MODELVER_HOST_TIMEOUT');
  if (hb !== undefined) out.heartbeatMs = hb;
  if (dead !== undefined) out.deadAfterMs = dead;
  return out;
}

/** options, then the environment, then the defaults; the heartbeat at most a third of the limit */
function resolveLiveness(o: LivenessOptions): Required<LivenessOptions> {
  const env = livenessFromEnv();
  const deadAfterMs = o.deadAfterMs ?? env.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
  let heartbeatMs = o.heartbeatMs ?? env.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (!(heartbeatMs > 0)) heartbeatMs = DEFAULT_HEARTBEAT_MS;
  if (deadAfterMs > 0) heartbeatMs = Math.max(10, Math.min(heartbeatMs, Math.floor(deadAfterMs / 3)));
  return { heartbeatMs, deadAfterMs: Math.max(0, deadAfterMs) };
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;

/** user+system CPU time (clock ticks) and state of a process, from /proc (Linux); undefined elsewhere */
function procStat(pid: number): { state: string; cpu: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], cpu: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

export interface LocalHostOptions extends LivenessOptions {
  /** extra host flags: --provider, --threads, --cache-dir … */
  args?: string[];
  /** the node binary (default process.execPath; ELECTRON_RUN_AS_NODE=1 is set for Electron) */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
  /** each line the host writes to stderr (ORT warnings, refusals …) */
  onStderr?: (line: string) => void;
  /** a host process already spawned as `node hostScript ...args` with stdio pipes, not yet spoken to (the CLI's earlyHost.ts): used instead of spawning one */
  child?: ChildProcess;
}

export interface RemoteHostOptions extends LivenessOptions {
  /** largest message this client accepts from the host, bytes (default 1 GiB) */
  maxPayload?: number;
  /** connect timeout, ms (default 10 s) */
  timeoutMs?: number;
}

export { EvalHostError, isEvalCancelled } from './errors';

export interface EvaluateOptions {
  onProgress?: (p: EvaluateProgress) => void;
  signal?: AbortSignal;
  token?: CancellationToken;
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

/** hashes of files by path and stat (external data files are hashed for the cache key and the upload) */
const fileHashes = new Map<string, { sig: string; hash: string }>();

async function sha256FileCached(file: string): Promise<string> {
  const st = await fs.promises.stat(file);
  const sig = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const hit = fileHashes.get(file);
  if (hit?.sig === sig) return hit.hash;
  const hash = await sha256File(file);
  fileHashes.set(file, { sig, hash });
  return hash;
}

/**
 * Starts the client's own work for ensureModel on `file` — its hash (cached by path and stat) — before
 * the host is there to ask (issue #12: `modelver eval` calls it while the host starts and the data is
 * parsed). Never rejects; ensureModel does the same work and reports any failure.
 */
export function prepareModelFile(file: string): Promise<void> {
  return sha256FileCached(file).then(
    () => undefined,
    () => undefined,
  );
}

/** One external-data file of a model: its location as sent to the host, and the file. */
export interface ExternalDataFile {
  location: string;
  file: string;
}

/**
 * The external-data files an ONNX model names, each checked to lie inside the model's folder (the ONNX
 * reader refuses anything else with EXTERNAL_DATA_ESCAPES) and to exist (EXTERNAL_DATA_MISSING). Empty
 * for other formats and for files the reader cannot parse (the host reports those).
 */
export async function externalDataOf(modelFile: string): Promise<ExternalDataFile[]> {
  const fh = await fs.promises.open(modelFile, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length === 0 || isHdf5(head) || isZip(head) || isLfsPointer(head)) return [];
  let summary;
  try {
    summary = await readOnnxSummary(modelFile);
  } catch (e) {
    if (e instanceof ModelFormatError && e.code.startsWith('EXTERNAL_DATA')) throw e;
    return [];
  }
  const dir = path.dirname(path.resolve(modelFile));
  const out = new Map<string, ExternalDataFile>();
  for (const t of summary.tensors) {
    if (t.location.kind !== 'external' || out.has(t.location.file)) continue;
    const file = t.location.file;
    const location = path.relative(dir, file).split(path.sep).join('/');
    if (!fs.existsSync(file)) {
      throw new ModelFormatError(
        'EXTERNAL_DATA_MISSING',
        modelFile,
        `${path.basename(modelFile)}: the external data file "${location}" of tensor "${t.name}" is missing (looked for ${file}). Put it next to the model, where the model names it.`,
      );
    }
    out.set(file, { location, file });
  }
  return [...out.values()];
}

/**
 * What identifies a model's bytes for caching: the sha256 of the model file, combined with its
 * external-data files (location and sha256 of each) when it has any.
 */
export async function modelIdentity(modelFile: string): Promise<{ modelHash: string; externalData: (ExternalDataRef & { file: string })[]; identity: string }> {
  const modelHash = await sha256File(modelFile);
  const ext = await externalDataOf(modelFile);
  const externalData = await Promise.all(ext.map(async (x) => ({ location: x.location, hash: await sha256FileCached(x.file), file: x.file })));
  if (externalData.length === 0) return { modelHash, externalData, identity: modelHash };
  const identity = crypto
    .createHash('sha256')
    .update(JSON.stringify({ model: modelHash, externalData: externalData.map((x) => [x.location, x.hash]).sort() }))
    .digest('hex');
  return { modelHash, externalData, identity };
}

/*
 * ws, vscode-jsonrpc and the transports built on it load when a host is first started or connected, not
 * when the extension activates (issue #12; test/unit/activation.test.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = (): typeof import('vscode-jsonrpc/node') => require('vscode-jsonrpc/node');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const transport = (): typeof Transport => require('./transport');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const webSocket = (): typeof WebSocket => require('ws');

let progressCounter = 0;
let evalProgressType: ProgressType<EvaluateProgress> | undefined;

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

  /** model hash → the external data ensureModel uploaded with it (evaluate sends it along) */
  private readonly externalData = new Map<string, ExternalDataRef[]>();
  /** model hash → the model's absolute path, for a local host that opens it there (evaluate sends it along) */
  private readonly modelPaths = new Map<string, string>();

  // liveness (see the top of the file)
  private live: Required<LivenessOptions> = { heartbeatMs: DEFAULT_HEARTBEAT_MS, deadAfterMs: DEFAULT_DEAD_AFTER_MS };
  private lastHeard = performance.now();
  private outstanding = 0;
  private monitor: NodeJS.Timeout | undefined;
  private lastBacklog = 0;
  private lastCpu: number | undefined;
  /** sends one probe to the host */
  private probe: () => void = () => undefined;
  /** bytes waiting to go to the host (they leave only while it reads) */
  private backlog: () => number = () => 0;
  /** ends the transport at once (a stopped host cannot take part in a close handshake) */
  private hardClose: () => void = () => this.closeTransport();

  private constructor(
    private readonly conn: MessageConnection,
    private readonly closeTransport: () => void,
  ) {
    conn.onClose(() => this.lost());
  }

  /** the heartbeat interval and the silence limit in force (ms; deadAfterMs 0: no limit) */
  get liveness(): Required<LivenessOptions> {
    return { ...this.live };
  }

  /** Something came from the host. */
  private heard = (): void => {
    this.lastHeard = performance.now();
  };

  private begin(): void {
    if (this.outstanding++ > 0 || this.live.deadAfterMs === 0) return;
    this.lastHeard = Math.max(this.lastHeard, performance.now());
    this.lastBacklog = this.backlog();
    this.lastCpu = this.child?.pid !== undefined ? procStat(this.child.pid)?.cpu : undefined;
    this.monitor = setInterval(() => this.tick(), this.live.heartbeatMs);
    this.monitor.unref?.();
  }

  private end(): void {
    if (--this.outstanding > 0) return;
    this.outstanding = 0;
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
  }

  private tick(): void {
    if (this.disposed) return;
    const b = this.backlog();
    if (b < this.lastBacklog) this.heard(); // the host is taking what we send
    this.lastBacklog = b;
    const prevCpu = this.lastCpu;
    const st = this.child?.pid !== undefined ? procStat(this.child.pid) : undefined;
    this.lastCpu = st?.cpu;
    if (performance.now() - this.lastHeard < this.live.deadAfterMs) {
      this.probe();
      return;
    }
    // busy computing (local, Linux): alive, only silent (one long batch, a big model loading)
    if (st && !/[TtZXx]/.test(st.state) && prevCpu !== undefined && st.cpu > prevCpu) {
      this.probe();
      return;
    }
    // let the I/O that waited behind this timer in (this process may itself have been busy): judge after it
    setImmediate(() => {
      if (this.disposed || this.outstanding === 0 || performance.now() - this.lastHeard < this.live.deadAfterMs) return;
      const why = st && /[Tt]/.test(st.state) ? '; its process is stopped' : '';
      this.die(`${this.hostName} stopped answering (no reply to heartbeat for ${seconds(this.live.deadAfterMs)}${why})`);
    });
  }

  /** The host stopped answering: reject what is pending, refuse what comes, end the transport. */
  private die(reason: string): void {
    this.closeReason = reason;
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
    if (this.disposed) return;
    this.disposed = true;
    this.conn.dispose();
    this.hardClose();
  }

  private watch(live: Required<LivenessOptions>, probe: () => void, backlog: () => number, hardClose: () => void): void {
    this.live = live;
    this.probe = probe;
    this.backlog = backlog;
    this.hardClose = hardClose;
  }

  /** The transport ended (process exit, socket close): reject what is pending, refuse what comes. */
  private lost(): void {
    if (this.losing) return;
    this.losing = true;
    // after the other close/exit listeners have recorded why (a local host: once its exit is known,
    // which can come a little after its stdout closes)
    const settle = this.settleExit ? this.settleExit() : Promise.resolve();
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
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
    const live = resolveLiveness(opts);
    const execPath = opts.execPath ?? process.execPath;
    const env = { ...process.env, ...opts.env };
    if (process.versions.electron && !opts.execPath) env.ELECTRON_RUN_AS_NODE = '1';
    const child: ChildProcess = opts.child ?? spawn(execPath, [hostScript, ...(opts.args ?? [])], { stdio: ['pipe', 'pipe', 'pipe'], env, windowsHide: true });
    const { BinaryStreamMessageReader, BinaryStreamMessageWriter } = transport();
    const conn = rpc().createMessageConnection(new BinaryStreamMessageReader(child.stdout!), new BinaryStreamMessageWriter(child.stdin!));
    const client = new EvalClient(conn, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      // nothing more goes to or comes from it: this process need not wait for its exit (a host that ran a
      // model takes tens of milliseconds to be torn down) to end — `modelver eval` ends when its work does
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.();
    });
    client.child = child;
    client.hostName = `the local evaluation host (pid ${child.pid ?? '?'})`;
    child.stdout!.on('data', client.heard);
    child.stderr!.on('data', client.heard);
    client.watch(
      live,
      () => void conn.sendRequest(Methods.ping, null).catch(() => undefined),
      () => child.stdin!.writableLength,
      () => {
        // SIGKILL: a stopped process would hold a SIGTERM until it is continued
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    );
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
    const live = resolveLiveness(opts);
    const WebSocketClass = webSocket();
    const ws = new WebSocketClass(url, {
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
    const { WebSocketMessageReader, WebSocketMessageWriter } = transport();
    const conn = rpc().createMessageConnection(new WebSocketMessageReader(ws), new WebSocketMessageWriter(ws));
    const client = new EvalClient(conn, () => ws.close(1000));
    client.hostName = `the evaluation host at ${url}`;
    ws.on('message', client.heard);
    ws.on('pong', client.heard);
    client.watch(
      live,
      () => {
        try {
          ws.ping();
        } catch {
          /* closing */
        }
      },
      () => ws.bufferedAmount,
      () => ws.terminate(),
    );
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
    const { BinaryStreamMessageReader, BinaryStreamMessageWriter } = transport();
    const conn = rpc().createMessageConnection(new BinaryStreamMessageReader(input as import('stream').Readable), new BinaryStreamMessageWriter(output as import('stream').Writable));
    const client = new EvalClient(conn, close);
    client.hostName = hostName;
    input.on('data', client.heard);
    client.watch(resolveLiveness({}), () => void conn.sendRequest(Methods.ping, null).catch(() => undefined), () => 0, close);
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
    this.begin();
    try {
      return (await (token ? this.conn.sendRequest(method, params, token) : this.conn.sendRequest(method, params))) as R;
    } catch (e) {
      if (e instanceof rpc().ResponseError) {
        const closed = e.code === -32097 || e.code === -32099;
        throw new EvalHostError(closed && this.closeReason ? `${this.closeReason} during ${method}${this.closeDetail}` : e.message, e.code, e.data);
      }
      const msg = e instanceof Error ? e.message : String(e);
      throw new EvalHostError(this.closeReason ? `${this.closeReason} during ${method}${this.closeDetail}` : msg, -32099);
    } finally {
      this.end();
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

  /** Refuses to send a model with external data to a host that would resolve it against its own folder. */
  private checkExternalDataSupport(): void {
    if (this.info && this.info.externalData !== true) {
      throw new EvalHostError(
        `${this.hostName} (version ${this.info.version}) is too old for models with external data: it would look for the data files in its own folder. Update Model Versions on the host`,
        EvalErrorCodes.BadInput,
      );
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

  /** Uploads `size` bytes that `read(offset, length)` gives, in the host's chunk size. */
  private async upload(kind: 'model' | 'dataset', hash: string, size: number, read: (offset: number, length: number) => Promise<Buffer> | Buffer): Promise<void> {
    const chunk = this.info?.chunkBytes ?? 4 * 1024 * 1024;
    let offset = 0;
    do {
      const piece = await read(offset, Math.min(chunk, size - offset));
      if (piece.length === 0 && size > 0) throw new EvalHostError(`the ${kind} changed while it was uploaded (${offset} of ${size} bytes read)`, -32099);
      const p: PutParams = { hash, size, offset, data: this.binary ? piece : piece.toString('base64') };
      const r = kind === 'model' ? await this.putModel(p) : await this.putDataset(p);
      this.uploads.chunks++;
      this.uploads.bytes += piece.length;
      offset += piece.length;
      if (r.complete) break;
    } while (offset < size);
    if (kind === 'model') this.uploads.models++;
    else this.uploads.datasets++;
  }

  /** Uploads a file as a model blob, read piece by piece (external data can be larger than a Buffer). */
  private async uploadFile(hash: string, file: string): Promise<void> {
    const fh = await fs.promises.open(file, 'r');
    try {
      const { size } = await fh.stat();
      await this.upload('model', hash, size, async (offset, length) => {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
      });
    } finally {
      await fh.close();
    }
  }

  /** Refuses, before anything is sent, a file larger than the host takes as one blob, naming it and the host's flag. */
  private async checkBlobSizes(files: string[]): Promise<void> {
    const max = this.info?.maxBlobBytes;
    if (!max) return;
    for (const f of files) {
      const { size } = await fs.promises.stat(f);
      if (size > max) {
        throw new EvalHostError(
          `${path.basename(f)} (${size} bytes) is larger than ${this.hostName} takes (${max} bytes a file): start the host with a larger --max-blob-mb (e.g. --max-blob-mb ${Math.ceil(size / (1024 * 1024))})`,
          EvalErrorCodes.BadInput,
        );
      }
    }
  }

  /**
   * The host opens models by path (InitializeResult.modelPaths): a host this client started on this
   * machine. A host on the other end of a pipe set up elsewhere (overStreams) may not share its files.
   */
  private get opensPaths(): boolean {
    return this.child !== undefined && this.info?.modelPaths === true;
  }

  /** the host reads files of this machine (opensPaths): evaluate may send rows in a file (RowsInFile) */
  get readsLocalFiles(): boolean {
    return this.opensPaths;
  }

  /**
   * Makes sure the host has this model file and, for an ONNX model with external data, the data files it
   * names (beside it; see externalDataOf); uploads only what the host lacks. Returns the model's sha256;
   * evaluate sends the external data with that hash.
   *
   * A model with external data on a local host (opensPaths) is not uploaded: evaluate sends its path and
   * the host opens it where it lies, its data files beside it (issue #15: onnxruntime-node cannot take
   * external data from bytes, and a model's data can be many GB that an upload would copy into the
   * host's cache). No file is ever read whole (a model can be larger than a Buffer): hashed and sent
   * piece by piece.
   */
  async ensureModel(file: string): Promise<string> {
    const external = await externalDataOf(file);
    if (external.length && this.opensPaths) {
      const hash = await sha256FileCached(file);
      this.modelPaths.set(hash, path.resolve(file));
      this.externalData.delete(hash);
      return hash;
    }
    if (external.length) this.checkExternalDataSupport();
    await this.checkBlobSizes([file, ...external.map((x) => x.file)]);
    const hash = await sha256FileCached(file);
    this.modelPaths.delete(hash);
    const refs = await Promise.all(external.map(async (x) => ({ location: x.location, hash: await sha256FileCached(x.file), file: x.file })));
    const { models } = await this.has({ models: [hash, ...refs.map((r) => r.hash)] });
    if (!models.includes(hash)) await this.uploadFile(hash, file);
    const sent = new Set(models);
    sent.add(hash);
    for (const r of refs) {
      if (sent.has(r.hash)) continue;
      await this.uploadFile(r.hash, r.file);
      sent.add(r.hash);
    }
    if (refs.length) this.externalData.set(hash, refs.map(({ location, hash: h }) => ({ location, hash: h })));
    else this.externalData.delete(hash);
    return hash;
  }

  /** Same for a dataset's features (row-major float32, e.g. Dataset.features). Returns the sha256 of the bytes. */
  async ensureDataset(features: Float32Array): Promise<string> {
    const bytes = Buffer.from(features.buffer, features.byteOffset, features.byteLength);
    const hash = sha256Bytes(bytes);
    const { datasets } = await this.has({ datasets: [hash] });
    if (!datasets.includes(hash)) await this.upload('dataset', hash, bytes.length, (o, n) => bytes.subarray(o, o + n));
    return hash;
  }

  /** Runs the batches on the host. Rejects with an EvalHostError whose `cancelled` is true when cancelled. */
  async evaluate(params: Omit<EvaluateParams, 'progressToken'>, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
    const source = new (rpc().CancellationTokenSource)();
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
    if (full.externalData === undefined && full.modelPath === undefined && this.modelPaths.has(full.modelHash)) full.modelPath = this.modelPaths.get(full.modelHash);
    if (full.externalData === undefined && full.modelPath === undefined && this.externalData.has(full.modelHash)) full.externalData = this.externalData.get(full.modelHash);
    if (full.externalData?.length) this.checkExternalDataSupport();
    if (opts.onProgress) {
      full.progressToken = `eval-${process.pid}-${++progressCounter}`;
      const cb = opts.onProgress;
      disposables.push(this.conn.onProgress((evalProgressType ??= new (rpc().ProgressType)<EvaluateProgress>()), full.progressToken, (v) => cb(v)));
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
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
    if (this.disposed) return;
    this.disposed = true;
    this.conn.dispose();
    this.closeTransport();
  }
}
