/**
 * A protobuf wire-format reader that works on absolute file positions through a small window, so a
 * model file is walked without being loaded: length-delimited fields that are not needed (raw tensor
 * bytes) are skipped by moving the position, never read.
 *
 * Errors are thrown as WireError; the ONNX reader turns them into ModelFormatError with the file name.
 */
import * as fs from 'fs';

export type WireErrorKind = 'truncated' | 'corrupt' | 'depth';

export class WireError extends Error {
  constructor(
    readonly kind: WireErrorKind,
    message: string,
    /** absolute byte position where the problem was found */
    readonly pos: number,
  ) {
    super(message);
  }
}

/** Random-access bytes: a file (pread) or a buffer. */
export interface ByteSource {
  readonly size: number;
  /** Read up to `len` bytes at `pos` into `dst` from index 0; returns the count read. */
  readInto(dst: Uint8Array, pos: number, len: number): number;
}

export class MemorySource implements ByteSource {
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  readInto(dst: Uint8Array, pos: number, len: number): number {
    const n = Math.max(0, Math.min(len, this.bytes.length - pos));
    dst.set(this.bytes.subarray(pos, pos + n), 0);
    return n;
  }
}

export class FdSource implements ByteSource {
  constructor(
    readonly fd: number,
    readonly size: number,
  ) {}
  readInto(dst: Uint8Array, pos: number, len: number): number {
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd, dst, done, len - done, pos + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }
}

/** Read exactly `length` bytes at `offset` of a file into a fresh (so aligned) buffer. */
export function preadExact(file: string, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = fs.openSync(file, 'r');
  try {
    const got = new FdSource(fd, Number.MAX_SAFE_INTEGER).readInto(out, offset, length);
    if (got !== length) {
      throw new WireError('truncated', `needs ${length} bytes at offset ${offset} but only ${got} are there`, offset + got);
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

const TWO32 = 4294967296;

function longToNumber(lo: number, hi: number): number {
  lo >>>= 0;
  hi >>>= 0;
  if (hi >>> 31) {
    // two's complement negative (int64 / sign-extended int32)
    lo = (~lo + 1) >>> 0;
    hi = ~hi >>> 0;
    if (!lo) hi = (hi + 1) >>> 0;
    return -(lo + hi * TWO32);
  }
  return lo + hi * TWO32;
}

const utf8 = new TextDecoder('utf-8');

/**
 * Reads protobuf fields at absolute positions. Each read takes `limit`, the end of the enclosing
 * message: running past it is corruption; running past the end of the file is truncation.
 */
export class WireReader {
  /** absolute position of the next byte */
  pos = 0;
  readonly size: number;
  private buf: Uint8Array;
  private bufStart = 0;
  private bufEnd = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);

  /** bytes fetched by the next refill: small after a jump (skipped tensor bytes), doubling while reading on */
  private chunk: number;

  constructor(
    private readonly src: ByteSource,
    /** smallest and largest refill */
    private readonly minChunk = 4 * 1024,
    private readonly maxChunk = 1024 * 1024,
  ) {
    this.size = src.size;
    this.chunk = minChunk;
    if (src instanceof MemorySource) {
      this.buf = src.bytes;
      this.bufEnd = src.size;
    } else {
      this.buf = new Uint8Array(minChunk);
    }
  }

  /** Make [pos, pos + n) available in the window (n must not pass the end of the file); returns the index in buf. */
  private avail(n: number): number {
    if (this.pos >= this.bufStart && this.pos + n <= this.bufEnd) return this.pos - this.bufStart;
    // Reading on from the window's end: fetch more each time. After a jump: start small again.
    this.chunk = this.pos >= this.bufStart && this.pos <= this.bufEnd ? Math.min(this.chunk * 2, this.maxChunk) : this.minChunk;
    const want = Math.min(Math.max(n, this.chunk), this.size - this.pos);
    if (want > this.buf.length) this.buf = new Uint8Array(Math.max(want, Math.min(this.buf.length * 2, this.maxChunk)));
    const got = this.src.readInto(this.buf, this.pos, want);
    this.bufStart = this.pos;
    this.bufEnd = this.pos + got;
    if (got < n) throw new WireError('truncated', `the file ends early (read ${got} of ${n} bytes)`, this.pos + got);
    return 0;
  }

  /** The error for running out of bytes before `limit`. */
  private ranOut(limit: number, what: string): WireError {
    return limit >= this.size
      ? new WireError('truncated', `${what} runs past the end of the file`, this.pos)
      : new WireError('corrupt', `${what} runs past the end of its message`, this.pos);
  }

  /** Read the varint at pos as lo/hi 32-bit halves. */
  private varintParts(limit: number): [number, number] {
    const max = Math.min(10, limit - this.pos, this.size - this.pos);
    if (max <= 0) throw this.ranOut(limit, 'a number');
    const i = this.avail(max);
    const b = this.buf;
    let lo = 0;
    let hi = 0;
    let byte = 0;
    for (let k = 0; k < 10; k++) {
      if (k >= max) throw this.ranOut(limit, 'a number');
      byte = b[i + k];
      if (k < 4) lo |= (byte & 0x7f) << (7 * k);
      else if (k === 4) {
        lo |= (byte & 0x7f) << 28;
        hi = (byte & 0x7f) >> 4;
      } else hi |= (byte & 0x7f) << (7 * (k - 5) + 3);
      if (byte < 0x80) {
        this.pos += k + 1;
        return [lo, hi];
      }
    }
    throw new WireError('corrupt', 'a number is longer than 10 bytes', this.pos);
  }

  /** A varint as a JS number: int64 two's complement gives negative numbers; exact up to 2^53. */
  varint(limit: number): number {
    const [lo, hi] = this.varintParts(limit);
    return hi === 0 ? lo >>> 0 : longToNumber(lo, hi);
  }

  /** A varint as an exact 64-bit integer. */
  varintBig(limit: number, signed: boolean): bigint {
    const [lo, hi] = this.varintParts(limit);
    const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return signed ? BigInt.asIntN(64, v) : v;
  }

  /** A field tag: [field number, wire type]. Groups and unknown wire types are corruption. */
  tag(limit: number): [number, number] {
    const start = this.pos;
    const v = this.varint(limit);
    const field = Math.floor(v / 8);
    const wt = v & 7;
    if (v < 0 || v >= TWO32 || field === 0 || (wt !== 0 && wt !== 1 && wt !== 2 && wt !== 5)) {
      throw new WireError('corrupt', `invalid protobuf field tag 0x${v.toString(16)} (field ${field}, wire type ${wt})`, start);
    }
    return [field, wt];
  }

  /** The length prefix of a length-delimited field, checked against the message end and the file end. */
  len(limit: number): number {
    const start = this.pos;
    const n = this.varint(limit);
    if (n < 0 || this.pos + n > this.size) {
      throw new WireError(
        'truncated',
        `a field of ${n < 0 ? 'negative' : n} bytes at byte ${start} runs past the end of the file (${this.size} bytes)`,
        start,
      );
    }
    if (this.pos + n > limit) {
      throw new WireError('corrupt', `a field of ${n} bytes at byte ${start} runs past the end of its message (byte ${limit})`, start);
    }
    return n;
  }

  /** Move past n bytes without reading them. */
  skipBytes(n: number, limit: number): void {
    if (this.pos + n > this.size) throw new WireError('truncated', 'a field runs past the end of the file', this.pos);
    if (this.pos + n > limit) throw new WireError('corrupt', 'a field runs past the end of its message', this.pos);
    this.pos += n;
  }

  /** Skip one field's value of wire type wt. */
  skip(wt: number, limit: number): void {
    switch (wt) {
      case WT_VARINT:
        this.varintParts(limit);
        return;
      case WT_I64:
        this.skipBytes(8, limit);
        return;
      case WT_I32:
        this.skipBytes(4, limit);
        return;
      case WT_LEN:
        this.skipBytes(this.len(limit), limit);
        return;
      default:
        throw new WireError('corrupt', `invalid wire type ${wt}`, this.pos);
    }
  }

  /** n raw bytes (a view valid until the next read). */
  bytes(n: number, limit: number): Uint8Array {
    if (this.pos + n > this.size) throw new WireError('truncated', 'a field runs past the end of the file', this.pos);
    if (this.pos + n > limit) throw new WireError('corrupt', 'a field runs past the end of its message', this.pos);
    const i = this.avail(n);
    this.pos += n;
    return this.buf.subarray(i, i + n);
  }

  float32(limit: number): number {
    this.scratchBytes.set(this.bytes(4, limit));
    return this.scratch.getFloat32(0, true);
  }

  float64(limit: number): number {
    this.scratchBytes.set(this.bytes(8, limit));
    return this.scratch.getFloat64(0, true);
  }

  /**
   * A length-delimited UTF-8 string. Strings longer than `cap` bytes are cut to `cap` (the rest is
   * skipped, not read) and `onCut` is called.
   */
  string(limit: number, cap = 1 << 20, onCut?: (fullLength: number) => void): string {
    const n = this.len(limit);
    if (n <= cap) return n === 0 ? '' : utf8.decode(this.bytes(n, limit));
    const s = utf8.decode(this.bytes(cap, limit));
    this.skipBytes(n - cap, limit);
    onCut?.(n);
    return s;
  }
}
