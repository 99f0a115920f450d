/**
 * NumPy's .npy (format versions 1.0, 2.0 and 3.0) and .npz (a zip of .npy files, stored or deflated,
 * zip64 included, which numpy's savez always writes) for numeric arrays. Pure TypeScript plus Node's zlib.
 *
 * Arrays come back in C (row-major) order: a Fortran-order array is transposed on read.
 * 64-bit integers are returned as Float64Array (exact up to 2^53; larger values lose precision).
 */
import * as buffer from 'buffer';
import * as zlib from 'zlib';
import { DatasetError } from './datasetErrors';

/** Decoded values. int64/uint64 are widened to Float64Array, float16 to Float32Array, bool to Uint8Array. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

export interface NpyArray {
  /** the dtype as the file spells it, e.g. '<f4', '|b1' */
  descr: string;
  /** ONNX-style name: 'float32', 'float64', 'int64', 'uint8', 'bool', … */
  dtype: string;
  shape: number[];
  /** the file's layout; `data` is C order either way */
  fortranOrder: boolean;
  /** C-order values */
  data: NumericArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(buf: Uint8Array): boolean {
  return buf.length >= 6 && MAGIC.every((b, i) => buf[i] === b);
}

export function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && (buf[2] === 3 || buf[2] === 5) && (buf[3] === 4 || buf[3] === 6);
}

interface DtypeDesc {
  dtype: string;
  size: number;
  kind: 'f' | 'i' | 'u' | 'b';
}

const DTYPES: Record<string, DtypeDesc> = {
  f2: { dtype: 'float16', size: 2, kind: 'f' },
  f4: { dtype: 'float32', size: 4, kind: 'f' },
  f8: { dtype: 'float64', size: 8, kind: 'f' },
  i1: { dtype: 'int8', size: 1, kind: 'i' },
  i2: { dtype: 'int16', size: 2, kind: 'i' },
  i4: { dtype: 'int32', size: 4, kind: 'i' },
  i8: { dtype: 'int64', size: 8, kind: 'i' },
  u1: { dtype: 'uint8', size: 1, kind: 'u' },
  u2: { dtype: 'uint16', size: 2, kind: 'u' },
  u4: { dtype: 'uint32', size: 4, kind: 'u' },
  u8: { dtype: 'uint64', size: 8, kind: 'u' },
  b1: { dtype: 'bool', size: 1, kind: 'b' },
};

const SUPPORTED_LIST = 'float16/32/64, int8/16/32/64, uint8/16/32/64 and bool';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses one .npy file. `file` names it in error messages (e.g. 'data.npz:x.npy'). */
export function parseNpy(buf: Uint8Array, file = ''): NpyArray {
  const bad = (what: string): DatasetError => new DatasetError('PARSE_ERROR', file, `${file || 'the array'} is not a valid .npy file: ${what}`);
  if (!isNpy(buf)) throw bad('it does not start with the \\x93NUMPY magic');
  if (buf.length < 10) throw bad('the header is truncated');
  const major = buf[6];
  const minor = buf[7];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw bad('the header is truncated');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new DatasetError('UNSUPPORTED', file, `${file || 'the array'} uses .npy format version ${major}.${minor}; versions 1.0, 2.0 and 3.0 are read`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) throw bad('the header is truncated');
  const header = Buffer.from(buf.buffer, buf.byteOffset + headerStart, headerLen).toString(major === 3 ? 'utf8' : 'latin1');

  const descrMatch = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header);
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) {
      throw new DatasetError(
        'UNSUPPORTED_DTYPE',
        file,
        `${file || 'the array'} has a structured (record) dtype; only plain numeric arrays (${SUPPORTED_LIST}) are read. Save each field as its own array (np.savez(path, x=..., y=...)).`,
      );
    }
    throw bad(`no 'descr' in the header ${JSON.stringify(header.trim())}`);
  }
  const descr = descrMatch[2];
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  if (!fortranMatch) throw bad(`no 'fortran_order' in the header ${JSON.stringify(header.trim())}`);
  const fortranOrder = fortranMatch[1] === 'True';
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw bad(`no 'shape' in the header ${JSON.stringify(header.trim())}`);
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+$/.test(s)) throw bad(`the shape (${shapeMatch[1]}) is not a tuple of integers`);
      return Number(s);
    });

  const order = descr[0];
  const code = descr.slice(1);
  const desc = (order === '<' || order === '>' || order === '|' || order === '=') ? DTYPES[code] : undefined;
  if (!desc) {
    throw new DatasetError(
      'UNSUPPORTED_DTYPE',
      file,
      `${file || 'the array'} has dtype '${descr}' (${describeDescr(descr)}), which cannot be used as model input; ` +
        `supported dtypes are ${SUPPORTED_LIST}. Convert it first, e.g. arr.astype(np.float32).`,
    );
  }
  const littleEndian = order === '<' || order === '|' || (order === '=' && HOST_LITTLE_ENDIAN);
  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * desc.size;
  if (dataStart + byteLength > buf.length) {
    throw bad(`the data is truncated: shape (${shape.join(', ')}) of ${descr} needs ${byteLength} bytes, the file has ${buf.length - dataStart}`);
  }
  let data = decode(buf, buf.byteOffset + dataStart, count, desc, littleEndian);
  if (fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return { descr, dtype: desc.dtype, shape, fortranOrder, data };
}

function describeDescr(descr: string): string {
  const c = descr.replace(/^[<>|=]/, '')[0];
  switch (c) {
    case 'U':
      return 'unicode strings';
    case 'S':
    case 'a':
      return 'byte strings';
    case 'O':
      return 'Python objects';
    case 'c':
      return 'complex numbers';
    case 'M':
      return 'datetimes';
    case 'm':
      return 'timedeltas';
    case 'V':
      return 'raw void bytes';
    default:
      return 'an unsupported type';
  }
}

function decode(buf: Uint8Array, absOffset: number, count: number, desc: DtypeDesc, littleEndian: boolean): NumericArray {
  const n = count * desc.size;
  const nativeOk = desc.size === 1 || littleEndian === HOST_LITTLE_ENDIAN;
  if (nativeOk && desc.dtype !== 'int64' && desc.dtype !== 'uint64' && desc.dtype !== 'float16') {
    // copy into a fresh, aligned buffer
    const ab = buf.buffer.slice(absOffset, absOffset + n) as ArrayBuffer;
    switch (desc.dtype) {
      case 'float32':
        return new Float32Array(ab);
      case 'float64':
        return new Float64Array(ab);
      case 'int8':
        return new Int8Array(ab);
      case 'int16':
        return new Int16Array(ab);
      case 'int32':
        return new Int32Array(ab);
      case 'uint8':
        return new Uint8Array(ab);
      case 'uint16':
        return new Uint16Array(ab);
      case 'uint32':
        return new Uint32Array(ab);
      case 'bool': {
        const u = new Uint8Array(ab);
        for (let i = 0; i < u.length; i++) u[i] = u[i] ? 1 : 0;
        return u;
      }
    }
  }
  const dv = new DataView(buf.buffer, absOffset, n);
  const le = littleEndian;
  switch (desc.dtype) {
    case 'float16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(i * 2, le));
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, le);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, le);
      return out;
    }
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, le);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, le);
      return out;
    }
    case 'uint16': {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(i * 2, le);
      return out;
    }
    case 'uint32': {
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, le);
      return out;
    }
    case 'int64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, le));
      return out;
    }
    case 'uint64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigUint64(i * 8, le));
      return out;
    }
  }
  throw new Error(`unreachable dtype ${desc.dtype}`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Reorders Fortran-order (column-major) values of `shape` into C order. */
export function fortranToC<T extends NumericArray>(src: T, shape: number[]): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const rank = shape.length;
  const fStrides = new Array<number>(rank);
  let s = 1;
  for (let k = 0; k < rank; k++) {
    fStrides[k] = s;
    s *= shape[k];
  }
  const idx = new Array<number>(rank).fill(0);
  let srcOff = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[srcOff];
    // odometer over C order: last axis fastest
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      srcOff += fStrides[k];
      if (idx[k] < shape[k]) break;
      srcOff -= fStrides[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// NPZ

export interface NpzEntry {
  /** the array's name: the zip entry's name without '.npy' */
  name: string;
  /** the zip entry's name */
  entryName: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  flags: number;
}

export interface NpzArchive {
  /** array names in archive order */
  names: string[];
  has(name: string): boolean;
  /** decodes one array (inflating its entry); throws DatasetError for a name that is not there */
  get(name: string): NpyArray;
  /** one array's shape from its .npy header alone (only the header is inflated); undefined when it cannot be read */
  shape(name: string): number[] | undefined;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/** stored bytes of an entry read for its .npy header (numpy writes a header of 128 bytes, or a multiple of 64) */
const HEADER_PEEK = 1024;

/** Reads the central directory of an .npz (zip) file. Arrays are decoded on `get`. */
export function readNpz(buf: Uint8Array, file = ''): NpzArchive {
  const bad = (what: string): DatasetError => new DatasetError('PARSE_ERROR', file, `${file || 'the archive'} is not a valid .npz (zip) file: ${what}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 22) throw bad('it is too short to hold a zip directory');
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  let entryCount = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== SIG_ZIP64_LOCATOR) throw bad('zip64 locator missing');
    const z64 = Number(view.getBigUint64(loc + 8, true));
    if (z64 + 56 > buf.length || view.getUint32(z64, true) !== SIG_ZIP64_EOCD) throw bad('zip64 end record missing');
    entryCount = Number(view.getBigUint64(z64 + 32, true));
    cdSize = Number(view.getBigUint64(z64 + 40, true));
    cdOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  if (cdOffset + cdSize > buf.length) throw bad('the central directory lies past the end of the file (truncated?)');

  const entries: NpzEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < entryCount; n++) {
    if (p + 46 > buf.length || view.getUint32(p, true) !== SIG_CENTRAL) throw bad(`central directory entry ${n} is damaged`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let uncompressedSize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > buf.length) throw bad(`central directory entry ${n} runs past the end of the file`);
    const entryName = Buffer.from(buf.buffer, buf.byteOffset + p + 46, nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1');
    // zip64 extra field: values present only for the fields that are 0xffffffff, in this order
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const size = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const end = Math.min(extraEnd, e + 4 + size);
        const next = (): number => {
          if (q + 8 > end) throw bad(`the zip64 sizes of entry ${n} are cut off`);
          const v = Number(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e += 4 + size;
    }
    p = extraEnd + commentLen;
    if (entryName.endsWith('/')) continue;
    const name = entryName.endsWith('.npy') ? entryName.slice(0, -4) : entryName;
    entries.push({ name, entryName, method, compressedSize, uncompressedSize, localHeaderOffset, flags });
  }
  const byName = new Map(entries.map((en) => [en.name, en]));
  const names = entries.map((en) => en.name);
  /** an entry's bytes as stored (compressed or not) */
  const stored = (en: NpzEntry): Uint8Array => {
    const lh = en.localHeaderOffset;
    if (lh + 30 > buf.length || view.getUint32(lh, true) !== SIG_LOCAL) throw bad(`the local header of '${en.entryName}' is damaged`);
    const start = lh + 30 + view.getUint16(lh + 26, true) + view.getUint16(lh + 28, true);
    if (start + en.compressedSize > buf.length) throw bad(`'${en.entryName}' is truncated`);
    return buf.subarray(start, start + en.compressedSize);
  };

  return {
    names,
    has: (name) => byName.has(name),
    get(name: string): NpyArray {
      const en = byName.get(name);
      const label = `${file || 'archive'}:${name}`;
      if (!en) {
        throw new DatasetError(
          'UNKNOWN_COLUMN',
          file,
          `${file || 'the archive'} has no array '${name}'; it holds ${names.length ? names.map((x) => `'${x}'`).join(', ') : 'no arrays'}`,
        );
      }
      if (en.flags & 1) throw new DatasetError('UNSUPPORTED', file, `array '${name}' in ${file || 'the archive'} is encrypted`);
      const raw = stored(en);
      let bytes: Uint8Array;
      if (en.method === 0) {
        bytes = raw;
      } else if (en.method === 8) {
        try {
          // never more than the directory says (a damaged or hostile size cannot make it inflate without end)
          bytes = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, Math.min(en.uncompressedSize + 1, buffer.constants.MAX_LENGTH)) });
        } catch (err) {
          throw bad(`'${en.entryName}' does not inflate: ${(err as Error).message}`);
        }
      } else {
        throw new DatasetError(
          'UNSUPPORTED',
          file,
          `array '${name}' in ${file || 'the archive'} uses zip compression method ${en.method}; only stored (np.savez) and deflate (np.savez_compressed) are read`,
        );
      }
      if (bytes.length !== en.uncompressedSize) throw bad(`'${en.entryName}' has ${bytes.length} bytes, the directory says ${en.uncompressedSize}`);
      return parseNpy(bytes, label);
    },
    shape(name: string): number[] | undefined {
      const en = byName.get(name);
      if (!en || en.flags & 1 || (en.method !== 0 && en.method !== 8)) return undefined;
      try {
        // the header sits in the first bytes: a partial inflate (sync flush) of the entry's start gives it
        const raw = stored(en).subarray(0, HEADER_PEEK);
        // deflate expands at most ~1032×: zeros after the header cannot make this large
        const head = en.method === 0 ? raw : zlib.inflateRawSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 1100 * HEADER_PEEK });
        if (!isNpy(head)) return undefined;
        const m = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1'));
        const dims = m?.[1].split(',').map((d) => d.trim()).filter((d) => d !== '').map(Number);
        return dims && dims.every((d) => Number.isInteger(d) && d >= 0) ? dims : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
