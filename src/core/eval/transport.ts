/**
 * The eval host's JSON-RPC transports (vscode-jsonrpc message readers/writers), used by the host
 * (src/evalHost/main.ts, whose server side is src/evalHost/wsTransport.ts) and by EvalClient
 * (src/core/eval/client.ts). In core because both sides need it and core imports no face. Does not load
 * onnxruntime.
 *
 * Binary attachments (protocol 2, see src/shared/evalProtocol.ts): a typed array (Float32Array, or a
 * Uint8Array/Buffer) anywhere in a message travels as raw bytes beside the JSON instead of inside it. In
 * the JSON it is replaced by a placeholder `{"$bin": i, "type": "float32" | "uint8"}`, i = the attachment's
 * index; the reader puts the bytes back (a Float32Array or a Buffer). Messages without typed arrays are
 * written exactly as before, so a protocol-1 peer reads them.
 *
 * - stdio: LSP-style framing. `Content-Length: J` (the JSON's bytes) and, only with attachments,
 *   `Binary-Lengths: n0,n1,…`; a blank line; the JSON; then the attachments' bytes in order.
 * - WebSocket: a message without attachments is one text frame holding the JSON. With attachments it is
 *   one binary frame: u32 LE J, u32 LE count, count × u32 LE length, the JSON, the attachments in order.
 *
 * Both readers refuse a frame larger than their `maxMessageBytes` (the WebSocket's own limit is ws's
 * maxPayload, which closes the connection with 1009).
 *
 * Hostile input (issue #10): every message is checked before the RPC layer sees it (`checkMessage`: nested
 * at most MESSAGE_LIMITS.maxDepth deep, the shape of a JSON-RPC 2.0 request, notification or response, ids
 * numbers or short strings), because vscode-jsonrpc recurses into what it is given and a stack overflow
 * there ends the process. A message that fails is dropped and reported on the reader's error event; the
 * host's transports (`serverWebSocketTransport`, `serverStreamTransport`) also answer it with a JSON-RPC
 * error (-32700 parse error, -32600 invalid request). A throw while handling one message never escapes the
 * reader. `serverWebSocketTransport` also bounds what one connection may have queued (`FlowGuard`): it
 * stops reading from a client whose replies pile up unsent or that has too many requests unanswered, and
 * closes it (1008, with the reason) when its unsent replies pass a hard limit or stop draining.
 */
import type WebSocket from 'ws';
import type { Readable, Writable } from 'stream';
import { AbstractMessageReader, AbstractMessageWriter, Disposable } from 'vscode-jsonrpc/node';
import type { DataCallback, Message, MessageReader, MessageWriter, ResponseMessage } from 'vscode-jsonrpc/node';

export const BIN_KEY = '$bin';

interface BinRef {
  $bin: number;
  type: 'float32' | 'uint8';
}

/** Replaces every typed array in `v` by a placeholder (copying only the containers on the way). */
function extract(v: unknown, bins: Uint8Array[]): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) {
    if (v instanceof Float32Array || v instanceof Uint8Array) {
      bins.push(v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      return { [BIN_KEY]: bins.length - 1, type: v instanceof Float32Array ? 'float32' : 'uint8' } satisfies BinRef;
    }
    throw new Error(`cannot send a ${v.constructor.name} (only Float32Array and Uint8Array travel as binary)`);
  }
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = extract(v[i], bins);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const y = extract(x, bins);
    if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
  }
  return out ?? v;
}

/** A message as JSON text plus its binary attachments. */
export function encodeMessage(msg: Message): { json: string; bins: Uint8Array[] } {
  const bins: Uint8Array[] = [];
  const replaced = extract(msg, bins);
  return { json: JSON.stringify(replaced), bins };
}

function isBinRef(v: unknown): v is BinRef {
  return typeof v === 'object' && v !== null && typeof (v as BinRef).$bin === 'number' && Object.keys(v).length === 2;
}

/** Puts the attachments back in place of their placeholders. */
function inject(v: unknown, bins: Buffer[], used: Set<number>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (isBinRef(v)) {
    const b = bins[v.$bin];
    if (!b) throw new Error(`placeholder for attachment ${v.$bin}, but the frame has ${bins.length}`);
    used.add(v.$bin);
    if (v.type === 'uint8') return b;
    if (v.type !== 'float32') throw new Error(`unknown attachment type ${JSON.stringify(v.type)}`);
    if (b.length % 4 !== 0) throw new Error(`float32 attachment of ${b.length} bytes, not a multiple of 4`);
    if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
    const a = new Float32Array(b.length / 4);
    new Uint8Array(a.buffer).set(b);
    return a;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = inject(v[i], bins, used);
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = inject(o[k], bins, used);
  return o;
}

// -------------------------------------------------------------------------------------------------
// validation

export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;

/** What a message may be: our messages nest about 6 deep; ids are counters. */
export const MESSAGE_LIMITS = { maxDepth: 64, maxIdLength: 256, maxMethodLength: 128 } as const;

/** A frame that is not an acceptable JSON-RPC message. `id` is the message's id when it had a usable one. */
export class BadMessageError extends Error {
  override name = 'BadMessageError';
  constructor(
    readonly code: typeof JSONRPC_PARSE_ERROR | typeof JSONRPC_INVALID_REQUEST,
    message: string,
    readonly id: number | string | null = null,
  ) {
    super(message);
  }
}

const isId = (id: unknown): id is number | string =>
  (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id.length <= MESSAGE_LIMITS.maxIdLength);

/** The nesting depth of `v` if it is at most `max`, else max + 1 (iterative: any depth is safe). */
export function jsonDepth(v: unknown, max: number = MESSAGE_LIMITS.maxDepth): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) continue;
    if (d > max) return max + 1;
    if (d > deepest) deepest = d;
    const items = Array.isArray(x) ? x : Object.values(x as Record<string, unknown>);
    for (const y of items) if (y !== null && typeof y === 'object') stack.push([y, d + 1]);
  }
  return deepest;
}

/**
 * Checks that a parsed value is one JSON-RPC 2.0 message within MESSAGE_LIMITS: a request (`method`, `id`),
 * a notification (`method`, no `id`) or a response (`id`, then `result` or `error`); `params`, when
 * present, an object or an array. Throws BadMessageError saying what is wrong.
 */
export function checkMessage(v: unknown, depthChecked = false): Message {
  const bad = (why: string, id: number | string | null = null): BadMessageError => new BadMessageError(JSONRPC_INVALID_REQUEST, `invalid JSON-RPC message: ${why}`, id);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`expected one JSON object, got ${Array.isArray(v) ? 'an array (batches are not supported)' : v === null ? 'null' : typeof v}`);
  if (!depthChecked && jsonDepth(v) > MESSAGE_LIMITS.maxDepth) throw bad(`nested more than ${MESSAGE_LIMITS.maxDepth} levels deep`);
  const m = v as Record<string, unknown>;
  const id = m.id;
  const replyId = isId(id) ? id : null;
  if (m.jsonrpc !== '2.0') throw bad('"jsonrpc" must be "2.0"', replyId);
  if (id !== undefined && id !== null && !isId(id)) throw bad(`"id" must be a number or a string of at most ${MESSAGE_LIMITS.maxIdLength} characters`);
  if (m.method !== undefined) {
    if (typeof m.method !== 'string' || m.method.length === 0 || m.method.length > MESSAGE_LIMITS.maxMethodLength) {
      throw bad(`"method" must be a string of 1 to ${MESSAGE_LIMITS.maxMethodLength} characters`, replyId);
    }
    if (id === null) throw bad('a request\'s "id" may not be null (leave it out for a notification)');
    if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) throw bad('"params" must be an object or an array (or left out)', replyId);
    if (m.method === '$/cancelRequest' && !isId((m.params as { id?: unknown } | undefined)?.id)) {
      throw bad(`$/cancelRequest needs params.id, a number or a string of at most ${MESSAGE_LIMITS.maxIdLength} characters`);
    }
    return v as Message;
  }
  if (id === undefined) throw bad('a message needs "method" (a request or notification) or "id" (a response)');
  const hasResult = 'result' in m && m.result !== undefined;
  const hasError = 'error' in m && m.error !== undefined;
  if (hasResult === hasError) throw bad('a response needs exactly one of "result" and "error"', replyId);
  if (hasError) {
    const e = m.error as { code?: unknown; message?: unknown } | null;
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.code) || typeof e.message !== 'string') {
      throw bad('"error" must be an object with an integer "code" and a string "message"', replyId);
    }
  }
  return v as Message;
}

/** at most `max` characters of `s` */
const clip = (s: string, max = 200): string => (s.length > max ? `${s.slice(0, max)}…` : s);

/** Parses a JSON message, checks it (checkMessage) and attaches `bins`. Throws BadMessageError. */
export function decodeMessage(json: string, bins: Buffer[]): Message {
  let msg: unknown;
  try {
    msg = JSON.parse(json);
  } catch (e) {
    throw new BadMessageError(JSONRPC_PARSE_ERROR, `parse error: not JSON (${clip((e as Error).message)})`);
  }
  // depth first: inject() and the RPC layer recurse
  if (jsonDepth(msg) > MESSAGE_LIMITS.maxDepth) {
    throw new BadMessageError(JSONRPC_INVALID_REQUEST, `invalid JSON-RPC message: nested more than ${MESSAGE_LIMITS.maxDepth} levels deep`);
  }
  if (bins.length > 0) {
    const used = new Set<number>();
    try {
      msg = inject(msg, bins, used);
    } catch (e) {
      throw new BadMessageError(JSONRPC_INVALID_REQUEST, `invalid binary frame: ${clip((e as Error).message)}`);
    }
    if (used.size !== bins.length) throw new BadMessageError(JSONRPC_INVALID_REQUEST, `invalid binary frame: ${bins.length - used.size} of ${bins.length} attachments are not referenced`);
  }
  return checkMessage(msg, true);
}

/** The error response to a bad message (ids the message had, when usable, else null). */
export function badMessageResponse(e: BadMessageError): ResponseMessage {
  return { jsonrpc: '2.0', id: e.id, error: { code: e.code, message: clip(e.message, 500) } };
}

/**
 * Passes `msg` to the RPC layer; a throw there (it should not happen once messages are checked, but one
 * message must never end the process) becomes an error event instead of an uncaught exception.
 */
function deliver(callback: DataCallback, msg: Message, onError: (e: Error) => void): void {
  try {
    callback(msg);
  } catch (e) {
    onError(new Error(`handling a message failed: ${clip(e instanceof Error ? `${e.name}: ${e.message}` : String(e))}`));
  }
}

// -------------------------------------------------------------------------------------------------
// stdio

const CRLF2 = Buffer.from('\r\n\r\n', 'ascii');
export const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** Reads Content-Length framed messages with optional binary attachments from a stream. */
/** What a reader does besides passing messages on (the host's transports set these). */
export interface ReaderHooks {
  /** a frame that is not an acceptable message (after the error event): e.g. answer it */
  onBadMessage?: (e: BadMessageError) => void;
  /** each accepted message, as it is passed on */
  onMessage?: (m: Message) => void;
  /** WebSocket reader: while this says true, accepted messages wait (see release()) */
  holding?: () => boolean;
  /** WebSocket reader: drop what arrives once the socket is closing (the host serves nothing more) */
  onlyWhileOpen?: boolean;
}

export class BinaryStreamMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly queue: Message[] = [];
  private chunks: Buffer[] = [];
  private total = 0;
  /** the header of the message being read, once parsed */
  private pending: { headerBytes: number; json: number; bins: number[]; size: number } | undefined;
  private failed = false;

  constructor(
    readable: Readable,
    private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
    private readonly hooks: ReaderHooks = {},
  ) {
    super();
    readable.on('data', (d: Buffer) => this.onData(d));
    readable.on('error', (e) => this.fireError(e));
    readable.on('close', () => this.closeOnce());
    readable.on('end', () => this.closeOnce());
  }

  private closed = false;
  private closeOnce(): void {
    if (this.closed) return;
    this.closed = true;
    this.fireClose();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    while (this.queue.length) deliver(callback, this.queue.shift()!, (e) => this.fireError(e));
    return Disposable.create(() => {
      this.callback = undefined;
    });
  }

  private emit(m: Message): void {
    this.hooks.onMessage?.(m);
    if (this.callback) deliver(this.callback, m, (e) => this.fireError(e));
    else this.queue.push(m);
  }

  /** the first n buffered bytes as one Buffer (consolidating the chunks) */
  private head(n: number): Buffer {
    if (this.chunks[0].length < n) {
      // join only the chunks that hold them
      let k = 0;
      let len = 0;
      while (len < n) len += this.chunks[k++].length;
      this.chunks.splice(0, k, Buffer.concat(this.chunks.slice(0, k), len));
    }
    return this.chunks[0].subarray(0, n);
  }

  /** the first n buffered bytes, copied into a new buffer of their own, and consumed */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafeSlow(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      this.consume(k);
    }
    return out;
  }

  private consume(n: number): void {
    this.total -= n;
    while (n > 0) {
      const c = this.chunks[0];
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }

  private fail(why: string): void {
    this.failed = true;
    this.chunks = [];
    this.total = 0;
    this.fireError(new Error(why));
    this.closeOnce();
  }

  private onData(d: Buffer): void {
    if (this.failed) return;
    this.chunks.push(d);
    this.total += d.length;
    for (;;) {
      if (!this.pending) {
        if (this.total === 0) return;
        // headers are short: look for the blank line in the first few KB
        const probe = this.head(Math.min(this.total, 8192));
        const end = probe.indexOf(CRLF2);
        if (end < 0) {
          if (probe.length >= 8192) return this.fail('bad message header: no blank line within 8 KB');
          return;
        }
        let json = -1;
        let bins: number[] = [];
        for (const line of probe.subarray(0, end).toString('ascii').split('\r\n')) {
          const i = line.indexOf(':');
          if (i < 0) return this.fail(`bad message header line ${JSON.stringify(line.slice(0, 80))}`);
          const key = line.slice(0, i).trim().toLowerCase();
          const val = line.slice(i + 1).trim();
          if (key === 'content-length') {
            if (!/^\d+$/.test(val)) return this.fail(`bad Content-Length ${JSON.stringify(val)}`);
            json = Number(val);
          } else if (key === 'binary-lengths') {
            if (!/^\d+(,\d+)*$/.test(val)) return this.fail(`bad Binary-Lengths ${JSON.stringify(val.slice(0, 80))}`);
            bins = val.split(',').map(Number);
          }
        }
        if (json < 0) return this.fail('message header without Content-Length');
        const size = json + bins.reduce((a, b) => a + b, 0);
        if (size > this.maxMessageBytes) return this.fail(`message of ${size} bytes exceeds the limit of ${this.maxMessageBytes} bytes`);
        this.pending = { headerBytes: end + 4, json, bins, size };
      }
      const p = this.pending;
      if (this.total < p.headerBytes + p.size) return;
      this.consume(p.headerBytes);
      const jsonText = p.json === 0 ? '' : this.head(p.json).toString('utf8');
      this.consume(p.json);
      // each attachment copied once, out of the read chunks into a buffer of its own (4-byte aligned, so a
      // float32 one is viewed, not copied again), which the message keeps; the body is never joined whole
      const bins: Buffer[] = [];
      for (const n of p.bins) bins.push(this.take(n));
      this.pending = undefined;
      let msg: Message;
      try {
        msg = decodeMessage(jsonText, bins);
      } catch (e) {
        const bad = e instanceof BadMessageError ? e : new BadMessageError(JSONRPC_INVALID_REQUEST, clip(String(e)));
        this.fireError(new Error(`bad JSON-RPC message: ${bad.message}`));
        this.hooks.onBadMessage?.(bad);
        continue;
      }
      this.emit(msg);
    }
  }
}

/** Writes messages with Content-Length framing; typed arrays go as attachments. */
export class BinaryStreamMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly writable: Writable) {
    super();
    writable.on('error', (e) => this.fireError(e));
    writable.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    let enc: { json: string; bins: Uint8Array[] };
    try {
      enc = encodeMessage(msg);
    } catch (e) {
      return Promise.reject(e);
    }
    const json = Buffer.from(enc.json, 'utf8');
    let header = `Content-Length: ${json.length}\r\n`;
    if (enc.bins.length) header += `Binary-Lengths: ${enc.bins.map((b) => b.byteLength).join(',')}\r\n`;
    header += '\r\n';
    return new Promise((resolve, reject) => {
      const done = (err?: Error | null): void => {
        if (err) {
          this.fireError(err, msg, ++this.errorCount);
          reject(err);
        } else {
          this.errorCount = 0;
          resolve();
        }
      };
      try {
        this.writable.write(Buffer.concat([Buffer.from(header, 'ascii'), json]));
        for (const b of enc.bins) this.writable.write(b);
        this.writable.write(Buffer.alloc(0), done);
      } catch (e) {
        done(e as Error);
      }
    });
  }

  end(): void {
    /* the stream is closed by its owner */
  }
}

// -------------------------------------------------------------------------------------------------
// WebSocket

/** Parses one binary frame (see the module header). */
export function decodeBinaryFrame(buf: Buffer): Message {
  if (buf.length < 8) throw new Error(`binary frame of ${buf.length} bytes is too short`);
  const jsonLen = buf.readUInt32LE(0);
  const count = buf.readUInt32LE(4);
  const headEnd = 8 + 4 * count;
  if (headEnd > buf.length) throw new Error(`binary frame claims ${count} attachments but is ${buf.length} bytes`);
  let off = headEnd + jsonLen;
  const lens: number[] = [];
  for (let i = 0; i < count; i++) lens.push(buf.readUInt32LE(8 + 4 * i));
  if (off + lens.reduce((a, b) => a + b, 0) !== buf.length) throw new Error('binary frame lengths do not add up to its size');
  const bins: Buffer[] = [];
  for (const n of lens) {
    bins.push(buf.subarray(off, off + n));
    off += n;
  }
  return decodeMessage(buf.toString('utf8', headEnd, headEnd + jsonLen), bins);
}

export function encodeBinaryFrame(json: string, bins: Uint8Array[]): Buffer[] {
  const j = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(8 + 4 * bins.length);
  head.writeUInt32LE(j.length, 0);
  head.writeUInt32LE(bins.length, 4);
  bins.forEach((b, i) => head.writeUInt32LE(b.byteLength, 8 + 4 * i));
  return [head, j, ...bins.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))];
}

export class WebSocketMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly queue: Message[] = [];
  /** messages that arrived while hooks.holding() (at most what the paused socket had already read) */
  private readonly held: Message[] = [];

  constructor(
    socket: WebSocket,
    private readonly hooks: ReaderHooks = {},
  ) {
    super();
    socket.on('message', (data, isBinary) => {
      // after close() (e.g. by FlowGuard) frames may still arrive
      if (hooks.onlyWhileOpen && socket.readyState !== 1 /* OPEN */) return;
      let msg: Message;
      try {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
        msg = isBinary ? decodeBinaryFrame(buf) : decodeMessage(buf.toString('utf8'), []);
      } catch (e) {
        const bad = e instanceof BadMessageError ? e : new BadMessageError(JSONRPC_INVALID_REQUEST, `invalid binary frame: ${clip(String((e as Error)?.message ?? e))}`);
        this.fireError(new Error(`bad JSON-RPC frame: ${bad.message}`));
        hooks.onBadMessage?.(bad);
        return;
      }
      if (this.held.length > 0 || hooks.holding?.()) this.held.push(msg);
      else this.pass(msg);
    });
    socket.on('error', (e) => this.fireError(e));
    socket.on('close', () => this.fireClose());
  }

  private pass(msg: Message): void {
    this.hooks.onMessage?.(msg);
    if (this.callback) deliver(this.callback, msg, (e) => this.fireError(e));
    else this.queue.push(msg);
  }

  /** passes on the held messages, while hooks.holding() allows */
  release(): void {
    while (this.held.length > 0 && !this.hooks.holding?.()) this.pass(this.held.shift()!);
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    while (this.queue.length) deliver(callback, this.queue.shift()!, (e) => this.fireError(e));
    return Disposable.create(() => {
      this.callback = undefined;
    });
  }
}

/** What a writer does besides writing (the host's WebSocket transport sets these). */
export interface WriterHooks {
  /** before each message: a reason to refuse it (the connection is then being closed), or undefined */
  refuse?: (m: Message) => string | undefined;
  /** after each message was handed to the socket (or failed to encode) */
  onWritten?: (m: Message) => void;
}

export class WebSocketMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly hooks: WriterHooks = {},
  ) {
    super();
    socket.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      const refused = this.socket.readyState !== 1 /* OPEN */ ? 'the WebSocket is not open' : this.hooks.refuse?.(msg);
      if (refused !== undefined) {
        const e = new Error(refused);
        this.hooks.onWritten?.(msg);
        this.fireError(e, msg, ++this.errorCount);
        reject(e);
        return;
      }
      const cb = (err?: Error): void => {
        if (err) {
          this.fireError(err, msg, ++this.errorCount);
          reject(err);
        } else {
          this.errorCount = 0;
          resolve();
        }
      };
      try {
        const { json, bins } = encodeMessage(msg);
        if (bins.length === 0) this.socket.send(json, cb);
        else this.socket.send(Buffer.concat(encodeBinaryFrame(json, bins)), { binary: true }, cb);
      } catch (e) {
        cb(e as Error);
      } finally {
        this.hooks.onWritten?.(msg);
      }
    });
  }

  end(): void {
    /* the socket is closed by its owner */
  }
}
