/**
 * Who may talk to a listening eval host (issue #10, "trust on first contact"): the token must be long
 * enough to be a secret, and an address that presents wrong tokens is slowed down.
 *
 * - `tokenProblem(token)`: why a token is too weak to listen with (the host refuses to start).
 * - `AuthThrottle`: per remote address, the n-th failed attempt in a row is answered (401) only after
 *   min(baseMs · 2^(n-1), maxMs), and attempts that arrive before that are refused at once (429 with
 *   Retry-After) without their token being looked at, so trying many tokens in parallel is no faster
 *   than trying them one after the other. A success clears the address; so does a quiet forgetMs.
 */
import type { IncomingMessage } from 'http';
import type { Duplex } from 'stream';

export const MIN_TOKEN_LENGTH = 16;

/** How to make a good token, for messages. */
export const HOW_TO_MAKE_A_TOKEN =
  `node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))" > token.txt && chmod 600 token.txt` +
  ' (or: openssl rand -hex 32 > token.txt)';

/** Why `token` (already trimmed) is too weak to listen with, or undefined when it will do. */
export function tokenProblem(token: string): string | undefined {
  if (token.length === 0) return `is empty; a token needs at least ${MIN_TOKEN_LENGTH} characters. Make one with: ${HOW_TO_MAKE_A_TOKEN}`;
  if (token.length < MIN_TOKEN_LENGTH) {
    return `holds a token of ${token.length} characters; it needs at least ${MIN_TOKEN_LENGTH} (a random one, e.g. 64 hex digits). Make one with: ${HOW_TO_MAKE_A_TOKEN}`;
  }
  return undefined;
}

export interface ThrottleLimits {
  /** the delay after the first failure */
  baseMs: number;
  /** the most any address waits */
  maxMs: number;
  /** an address with no failure for this long starts afresh */
  forgetMs: number;
  /** addresses remembered at most (the oldest go first) */
  maxAddresses: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { baseMs: 100, maxMs: 10_000, forgetMs: 15 * 60_000, maxAddresses: 10_000 };

interface Failures {
  count: number;
  /** until when attempts from this address are refused unchecked */
  until: number;
  last: number;
}

export class AuthThrottle {
  private readonly byAddress = new Map<string, Failures>();

  constructor(readonly limits: ThrottleLimits = DEFAULT_THROTTLE) {}

  /** the delay after `n` failures in a row */
  delayAfter(n: number): number {
    return n <= 0 ? 0 : Math.min(this.limits.maxMs, this.limits.baseMs * 2 ** Math.min(n - 1, 30));
  }

  /** ms before `address` may try again (0: it may try now) */
  waitMs(address: string, now = Date.now()): number {
    const f = this.byAddress.get(address);
    if (!f) return 0;
    if (now - f.last > this.limits.forgetMs) {
      this.byAddress.delete(address);
      return 0;
    }
    return Math.max(0, f.until - now);
  }

  /** records a failed attempt; returns how long to hold its answer */
  failed(address: string, now = Date.now()): number {
    let f = this.byAddress.get(address);
    if (f && now - f.last > this.limits.forgetMs) f = undefined;
    const count = (f?.count ?? 0) + 1;
    const delay = this.delayAfter(count);
    this.byAddress.delete(address); // re-insert: the map's order is the order of last failure
    this.byAddress.set(address, { count, until: now + delay, last: now });
    while (this.byAddress.size > this.limits.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
    return delay;
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }

  /** failures in a row recorded for `address` */
  failures(address: string): number {
    return this.byAddress.get(address)?.count ?? 0;
  }
}

/**
 * Decides an upgrade request: true when `tokenOk()` says yes (go on with the WebSocket handshake);
 * otherwise answers the socket itself (429 at once while the address must wait, else 401 after the
 * address's delay) and returns false. `log` gets one line per refusal.
 */
export function admitUpgrade(throttle: AuthThrottle, req: IncomingMessage, socket: Duplex, tokenOk: () => boolean, log: (line: string) => void): boolean {
  const address = req.socket.remoteAddress ?? 'unknown';
  socket.on('error', () => undefined); // a client gone before its answer
  const wait = throttle.waitMs(address);
  if (wait > 0) {
    const s = Math.ceil(wait / 1000);
    const body = `too many wrong tokens from ${address}; try again in ${s} s\n`;
    socket.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${s}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return false;
  }
  if (tokenOk()) {
    throttle.succeeded(address);
    return true;
  }
  const delay = throttle.failed(address);
  log(`refused a connection from ${address}: ${req.headers.authorization ? 'wrong' : 'no'} token (${throttle.failures(address)} in a row; answered after ${delay} ms)`);
  const timer = setTimeout(() => socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'), delay);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  return false;
}
