/**
 * ZIP archives read with positional reads (no whole-file load): the central directory (zip64 too),
 * one entry's data start, an entry read whole (stored or deflated, size and CRC checked) or extracted
 * to a file in a stream. Shared by the Keras 3 `.keras` reader (keras.ts) and the PyTorch reader
 * (pytorch.ts). Bad archives throw ModelFormatError (TRUNCATED, CORRUPT, UNSUPPORTED).
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { ModelFormatError } from './errors';

/** The archive: its absolute path, its base name (for messages) and its size in bytes. */
export interface ZipFile {
  abs: string;
  name: string;
  size: number;
}

/** Read `length` bytes of `file` from `start` (fewer at the end of the file). */
export async function readRange(file: string, start: number, length: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buf : buf.subarray(0, done);
  } finally {
    await fh.close();
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compSize: number;
  size: number;
  localOffset: number;
}

/** The central directory: entry name → entry. */
export async function readZipDirectory(o: ZipFile): Promise<Map<string, ZipEntry>> {
  const truncated = () =>
    new ModelFormatError('TRUNCATED', o.abs, `${o.name} is an incomplete zip archive (its directory at the end is missing); it was probably cut off while downloading or copying.`);
  const corrupt = (why: string) => new ModelFormatError('CORRUPT', o.abs, `${o.name} is a damaged zip archive (${why}).`);
  const tailLen = Math.min(o.size, 22 + 0xffff + 20);
  const tailStart = o.size - tailLen;
  const tail = await readRange(o.abs, tailStart, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw truncated();
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw corrupt('zip64 locator missing');
    const z64At = Number(tail.readBigUInt64LE(loc + 8));
    if (z64At + 56 > o.size) throw corrupt('zip64 directory record missing');
    const z64 = await readRange(o.abs, z64At, 56);
    if (z64.length < 56 || z64.readUInt32LE(0) !== 0x06064b50) throw corrupt('zip64 directory record missing');
    count = Number(z64.readBigUInt64LE(32));
    cdSize = Number(z64.readBigUInt64LE(40));
    cdOffset = Number(z64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > o.size) throw truncated();
  if (cdSize > 64 * 1024 * 1024) throw corrupt('implausibly large directory');
  const cd = await readRange(o.abs, cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw corrupt('bad directory entry');
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw corrupt('a directory entry runs past the directory');
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    // zip64 extended information: the 64-bit values, in this order, for the fields set to 0xffffffff
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const end = Math.min(extraEnd, e + 4 + len);
        const next = (): number => {
          const v = Number(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff && q + 8 <= end) size = next();
        if (compSize === 0xffffffff && q + 8 <= end) compSize = next();
        if (localOffset === 0xffffffff && q + 8 <= end) localOffset = next();
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, flags, crc, compSize, size, localOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

/** Where entry `e`'s (stored or compressed) data begins in the file, after checking its local header. */
export async function entryDataStart(o: ZipFile, e: ZipEntry): Promise<number> {
  if (e.localOffset + 30 > o.size) {
    throw new ModelFormatError('CORRUPT', o.abs, `${o.name} is a damaged zip archive (the local header of ${e.name} lies past the end of the file).`);
  }
  const lh = await readRange(o.abs, e.localOffset, 30);
  if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) {
    throw new ModelFormatError('CORRUPT', o.abs, `${o.name} is a damaged zip archive (bad local header for ${e.name}).`);
  }
  const start = e.localOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
  if (start + e.compSize > o.size) {
    throw new ModelFormatError('TRUNCATED', o.abs, `${o.name} is an incomplete zip archive (${e.name} is cut off).`);
  }
  if (e.flags & 1) throw new ModelFormatError('UNSUPPORTED', o.abs, `${o.name}: ${e.name} is encrypted.`);
  if (e.method !== 0 && e.method !== 8) {
    throw new ModelFormatError('UNSUPPORTED', o.abs, `${o.name}: ${e.name} uses zip compression method ${e.method}; only stored and deflate are supported.`);
  }
  return start;
}

/** zlib.crc32 (Node 20.15+, 22.2+); without it the checksum is not checked. */
const crc32: ((data: Uint8Array, value?: number) => number) | undefined = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;

/** Entry `e` read whole and decompressed (at most `limit` bytes), its size and CRC checked. */
export async function readEntry(o: ZipFile, e: ZipEntry, limit = 64 * 1024 * 1024): Promise<Buffer> {
  if (e.size > limit) throw new ModelFormatError('UNSUPPORTED', o.abs, `${o.name}: ${e.name} is too large (${e.size} bytes).`);
  const start = await entryDataStart(o, e);
  const raw = await readRange(o.abs, start, e.compSize);
  let data: Buffer;
  try {
    data = e.method === 8 ? zlib.inflateRawSync(raw, { maxOutputLength: limit }) : raw;
  } catch (err) {
    throw new ModelFormatError('CORRUPT', o.abs, `${o.name}: ${e.name} cannot be decompressed (${(err as Error).message}).`);
  }
  if (data.length !== e.size || (crc32 && crc32(data) >>> 0 !== e.crc >>> 0)) {
    throw new ModelFormatError('CORRUPT', o.abs, `${o.name}: ${e.name} is damaged (size or checksum mismatch).`);
  }
  return data;
}

/** Entry `e` written to `dest` in a stream, never more than its directory entry says; size and CRC checked. */
export async function extractEntry(o: ZipFile, e: ZipEntry, dest: string): Promise<void> {
  const start = await entryDataStart(o, e);
  let written = 0;
  let crc = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      // never write more than the directory says (a damaged or hostile archive could inflate without end)
      if (written > e.size) return cb(new Error(`it holds more than the ${e.size} bytes its directory entry says`));
      if (crc32) crc = crc32(chunk, crc);
      cb(null, chunk);
    },
  });
  if (e.compSize === 0) {
    if (e.size !== 0) throw new ModelFormatError('CORRUPT', o.abs, `${o.name}: ${e.name} is damaged (no data).`);
    await fs.promises.writeFile(dest, Buffer.alloc(0));
    return;
  }
  const source = fs.createReadStream(o.abs, { start, end: start + e.compSize - 1 });
  try {
    if (e.method === 8) await pipeline(source, zlib.createInflateRaw(), counter, fs.createWriteStream(dest));
    else await pipeline(source, counter, fs.createWriteStream(dest));
  } catch (err) {
    throw new ModelFormatError('CORRUPT', o.abs, `${o.name}: ${e.name} cannot be decompressed (${(err as Error).message}).`);
  }
  if (written !== e.size || (crc32 && crc >>> 0 !== e.crc >>> 0)) {
    throw new ModelFormatError('CORRUPT', o.abs, `${o.name}: ${e.name} is damaged (size or checksum mismatch).`);
  }
}


/**
 * Where the data of each of `entries` begins (as entryDataStart, through one file handle): for
 * archives with many entries (a PyTorch checkpoint has one per storage).
 */
export async function entryDataStarts(o: ZipFile, entries: ZipEntry[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const fh = await fs.promises.open(o.abs, 'r');
  try {
    const lh = Buffer.alloc(30);
    for (const e of entries) {
      if (e.localOffset + 30 > o.size) {
        throw new ModelFormatError('CORRUPT', o.abs, `${o.name} is a damaged zip archive (the local header of ${e.name} lies past the end of the file).`);
      }
      const { bytesRead } = await fh.read(lh, 0, 30, e.localOffset);
      if (bytesRead < 30 || lh.readUInt32LE(0) !== 0x04034b50) {
        throw new ModelFormatError('CORRUPT', o.abs, `${o.name} is a damaged zip archive (bad local header for ${e.name}).`);
      }
      const start = e.localOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
      if (start + e.compSize > o.size) {
        throw new ModelFormatError('TRUNCATED', o.abs, `${o.name} is an incomplete zip archive (${e.name} is cut off).`);
      }
      out.set(e.name, start);
    }
  } finally {
    await fh.close();
  }
  return out;
}
