/**
 * The host's side of the eval-host transports: readers/writers that answer bad messages with a JSON-RPC
 * error, and FlowGuard, the bound on what one WebSocket client may have queued. The framing and the
 * message checks both sides use are in src/core/eval/transport.ts (re-exported here for the host).
 */
import type WebSocket from 'ws';
import type { Readable, Writable } from 'stream';
import type { Message } from 'vscode-jsonrpc/node';
import { BinaryStreamMessageReader, BinaryStreamMessageWriter, DEFAULT_MAX_MESSAGE_BYTES, WebSocketMessageReader, WebSocketMessageWriter, badMessageResponse } from '../core/eval/transport';

export * from '../core/eval/transport';

// -------------------------------------------------------------------------------------------------
// the host's side: answers to bad messages, and a bound on what one connection may have queued

export interface FlowLimits {
  /** stop reading a client's messages while more than this many reply bytes wait unsent (default 16 MB) */
  pauseAboveBytes: number;
  /** close the connection when a reply would be queued behind more than this (default 256 MB) */
  maxUnsentBytes: number;
  /** stop reading while this many of the client's requests are unanswered (default 16; EvalClient has one or two) */
  maxInFlight: number;
  /** close the connection when, with reading stopped, its unsent replies have not shrunk for this long (default 60 s) */
  stallMs: number;
}

export const DEFAULT_FLOW_LIMITS: FlowLimits = { pauseAboveBytes: 16 * 1024 * 1024, maxUnsentBytes: 256 * 1024 * 1024, maxInFlight: 16, stallMs: 60_000 };

/** What FlowGuard needs from a connection. */
export interface FlowTarget {
  /** bytes handed to the connection but not yet sent */
  unsent(): number;
  pause(): void;
  resume(): void;
  /** close the connection, telling the client why */
  close(reason: string): void;
}

const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
const isRequest = (m: Message): boolean => typeof (m as { method?: unknown }).method === 'string' && (m as { id?: unknown }).id !== undefined;
const isResponse = (m: Message): boolean => (m as { method?: unknown }).method === undefined && (m as { id?: unknown }).id !== undefined;

/**
 * Backpressure for one connection. A client that sends requests but does not read the replies makes
 * them pile up in the host's memory: reading its messages stops while more than `pauseAboveBytes` wait
 * unsent or `maxInFlight` requests are unanswered (TCP then holds the client back), and resumes when
 * the backlog halves. A client that still does not read is closed: when a reply would be queued behind
 * more than `maxUnsentBytes` (one large reply always fits), or when its backlog has not shrunk for
 * `stallMs` while reading was stopped.
 */
export class FlowGuard {
  inFlight = 0;
  paused = false;
  /** why the connection was closed, once it was */
  closedFor: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastUnsent = 0;
  private lastProgress = 0;

  constructor(
    private readonly target: FlowTarget,
    readonly limits: FlowLimits = DEFAULT_FLOW_LIMITS,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** a request from the client goes to the RPC layer */
  requestIn(): void {
    this.inFlight++;
    this.update();
  }

  /** a message for the client was handed to the connection; `answers` false: a reply to no counted request */
  written(m: Message, answers = true): void {
    if (answers && isResponse(m) && this.inFlight > 0) this.inFlight--;
    this.update();
  }

  /** before a message is queued: why it may not be (and the connection closes), or undefined */
  refuse(): string | undefined {
    if (this.closedFor !== undefined) return this.closedFor;
    const unsent = this.target.unsent();
    if (unsent > this.limits.maxUnsentBytes) {
      return this.close(`${mb(unsent)} of replies unsent (limit ${mb(this.limits.maxUnsentBytes)}): the client is not reading them`);
    }
    return undefined;
  }

  private update(): void {
    if (this.closedFor !== undefined) return;
    const unsent = this.target.unsent();
    if (!this.paused && (unsent > this.limits.pauseAboveBytes || this.inFlight >= this.limits.maxInFlight)) {
      this.paused = true;
      this.target.pause();
      this.lastUnsent = unsent;
      this.lastProgress = Date.now();
      // nothing tells us when the socket drains below a threshold: look while reading is stopped
      this.timer = setInterval(() => this.poll(), 50);
      this.timer.unref();
    } else if (this.paused && unsent <= this.limits.pauseAboveBytes / 2 && this.inFlight < this.limits.maxInFlight) {
      this.paused = false;
      clearInterval(this.timer);
      this.timer = undefined;
      this.target.resume();
    }
  }

  private poll(): void {
    const unsent = this.target.unsent();
    const now = Date.now();
    if (unsent < this.lastUnsent || unsent <= this.limits.pauseAboveBytes) this.lastProgress = now;
    this.lastUnsent = unsent;
    if (now - this.lastProgress > this.limits.stallMs) {
      const stall = this.limits.stallMs >= 1000 ? `${Math.round(this.limits.stallMs / 1000)} s` : `${this.limits.stallMs} ms`;
      this.close(`${mb(unsent)} of replies unsent for ${stall}: the client is not reading them`);
      return;
    }
    this.update();
  }

  private close(reason: string): string {
    this.closedFor = reason;
    this.dispose();
    this.log(reason);
    this.target.close(reason);
    return reason;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A WebSocket close reason is at most 123 bytes of UTF-8. */
function closeReason(s: string): string {
  let r = s;
  while (Buffer.byteLength(r, 'utf8') > 123) r = r.slice(0, -2) + '…';
  return r;
}

export interface ServerTransportOptions {
  flow?: Partial<FlowLimits>;
  /** where the transport reports what it did (e.g. closing a client), one line each */
  log?: (line: string) => void;
}

/**
 * The host's reader and writer for one WebSocket client: bad messages are answered with a JSON-RPC
 * error (and dropped), and FlowGuard bounds what the client may have queued.
 */
export function serverWebSocketTransport(socket: WebSocket, opts: ServerTransportOptions = {}): { reader: WebSocketMessageReader; writer: WebSocketMessageWriter; flow: FlowGuard } {
  const flow = new FlowGuard(
    {
      unsent: () => socket.bufferedAmount,
      pause: () => socket.pause(),
      resume: () => {
        socket.resume();
        reader.release();
      },
      close: (reason) => {
        socket.close(1008, closeReason(reason));
        // read on, so that the client's close frame ends it cleanly (messages from now on are dropped)
        socket.resume();
      },
    },
    { ...DEFAULT_FLOW_LIMITS, ...opts.flow },
    opts.log,
  );
  socket.on('close', () => flow.dispose());
  // answers to bad messages answer no request that FlowGuard counted
  const uncounted = new WeakSet<Message>();
  const writer = new WebSocketMessageWriter(socket, { refuse: () => flow.refuse(), onWritten: (m) => flow.written(m, !uncounted.has(m)) });
  const reader: WebSocketMessageReader = new WebSocketMessageReader(socket, {
    onMessage: (m) => {
      if (isRequest(m)) flow.requestIn();
    },
    holding: () => flow.paused,
    onlyWhileOpen: true,
    onBadMessage: (e) => {
      const reply = badMessageResponse(e);
      uncounted.add(reply);
      writer.write(reply).catch(() => undefined);
    },
  });
  return { reader, writer, flow };
}

/** The host's reader and writer over a pair of streams (stdio): bad messages are answered with a JSON-RPC error. */
export function serverStreamTransport(input: Readable, output: Writable, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): { reader: BinaryStreamMessageReader; writer: BinaryStreamMessageWriter } {
  const writer = new BinaryStreamMessageWriter(output);
  const reader = new BinaryStreamMessageReader(input, maxMessageBytes, {
    onBadMessage: (e) => {
      writer.write(badMessageResponse(e)).catch(() => undefined);
    },
  });
  return { reader, writer };
}
