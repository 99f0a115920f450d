/**
 * The eval host's JSON-RPC transports (vscode-jsonrpc message readers/writers), used by the host
 * (src/evalHost/main.ts) and by EvalClient (src/core/eval/client.ts). Does not load onnxruntime.
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
 */
import type WebSocket from 'ws';
import type { Readable, Writable } from 'stream';
import { AbstractMessageReader, AbstractMessageWriter, Disposable } from 'vscode-jsonrpc/node';
import type { DataCallback, Message, MessageReader, MessageWriter } from 'vscode-jsonrpc/node';

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

/** Parses a JSON message and attaches `bins`. Throws on a malformed message. */
export function decodeMessage(json: string, bins: Buffer[]): Message {
  const msg = JSON.parse(json) as unknown;
  if (bins.length === 0) return msg as Message;
  const used = new Set<number>();
  const out = inject(msg, bins, used) as Message;
  if (used.size !== bins.length) throw new Error(`${bins.length - used.size} of ${bins.length} attachments are not referenced`);
  return out;
}

// -------------------------------------------------------------------------------------------------
// stdio

const CRLF2 = Buffer.from('\r\n\r\n', 'ascii');
export const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** Reads Content-Length framed messages with optional binary attachments from a stream. */
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
    while (this.queue.length) callback(this.queue.shift()!);
    return Disposable.create(() => {
      this.callback = undefined;
    });
  }

  private emit(m: Message): void {
    if (this.callback) this.callback(m);
    else this.queue.push(m);
  }

  /** the first n buffered bytes as one Buffer (consolidating the chunks) */
  private head(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0].subarray(0, n);
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
      const body = this.head(p.size);
      // copy the attachments out of the (shared) read buffer so they can be kept
      const jsonText = body.toString('utf8', 0, p.json);
      const bins: Buffer[] = [];
      let off = p.json;
      for (const n of p.bins) {
        bins.push(Buffer.from(body.subarray(off, off + n)));
        off += n;
      }
      this.consume(p.size);
      this.pending = undefined;
      let msg: Message;
      try {
        msg = decodeMessage(jsonText, bins);
      } catch (e) {
        this.fireError(new Error(`bad JSON-RPC message: ${(e as Error).message}`));
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

  constructor(socket: WebSocket) {
    super();
    socket.on('message', (data, isBinary) => {
      let msg: Message;
      try {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
        msg = isBinary ? decodeBinaryFrame(buf) : (JSON.parse(buf.toString('utf8')) as Message);
      } catch (e) {
        this.fireError(new Error(`bad JSON-RPC frame: ${(e as Error).message}`));
        return;
      }
      if (this.callback) this.callback(msg);
      else this.queue.push(msg);
    });
    socket.on('error', (e) => this.fireError(e));
    socket.on('close', () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    while (this.queue.length) callback(this.queue.shift()!);
    return Disposable.create(() => {
      this.callback = undefined;
    });
  }
}

export class WebSocketMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== 1 /* OPEN */) {
        const e = new Error('the WebSocket is not open');
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
      }
    });
  }

  end(): void {
    /* the socket is closed by its owner */
  }
}
