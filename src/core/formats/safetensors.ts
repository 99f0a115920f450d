/**
 * safetensors (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian header
 * length N, N bytes of JSON header (starts with '{', may be padded with spaces), then the data. The
 * header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets into the data,
 * not the file); `__metadata__` is a string-to-string map. The data must be fully covered: tensors do
 * not overlap and leave no holes, and nothing follows the last one.
 *
 * Hugging Face sharded models: `model.safetensors.index.json` ({metadata, weight_map: tensor → shard
 * file}) and its shards are one model; the summary covers every shard and each tensor's location names
 * its shard. A folder holding one such index (or one .safetensors file) is read as that model.
 *
 * Only the header is read for a summary; values are read tensor by tensor with positional reads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { constants as bufferConstants } from 'buffer';
import { ModelFormatError } from './errors';
import type { DType, ModelSummary, TensorData, TensorInfo } from './types';
import { plainView } from './plainView';

/** The largest header accepted: the safetensors library's own limit (MAX_HEADER_SIZE, 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
/** The largest sharded-model index accepted (real ones are well under 1 MB). */
export const MAX_INDEX_BYTES = 100_000_000;
/** Nesting depth of JSON accepted in a header or index (a real one is 3 deep). */
const MAX_JSON_DEPTH = 64;

/** safetensors dtype → our dtype name (./types.ts: ONNX names, lower case) and bits per element. */
const DTYPES: Record<string, { name: DType; bits: number }> = {
  BOOL: { name: 'bool', bits: 8 },
  U8: { name: 'uint8', bits: 8 },
  I8: { name: 'int8', bits: 8 },
  F8_E5M2: { name: 'float8e5m2', bits: 8 },
  F8_E4M3: { name: 'float8e4m3fn', bits: 8 },
  F8_E8M0: { name: 'float8e8m0', bits: 8 },
  I16: { name: 'int16', bits: 16 },
  U16: { name: 'uint16', bits: 16 },
  F16: { name: 'float16', bits: 16 },
  BF16: { name: 'bfloat16', bits: 16 },
  I32: { name: 'int32', bits: 32 },
  U32: { name: 'uint32', bits: 32 },
  F32: { name: 'float32', bits: 32 },
  C64: { name: 'complex64', bits: 64 },
  F64: { name: 'float64', bits: 64 },
  I64: { name: 'int64', bits: 64 },
  U64: { name: 'uint64', bits: 64 },
};
/** dtypes of the format this reader does not decode (packed sub-byte floats). */
const PACKED = new Set(['F4', 'F6_E2M3', 'F6_E3M2']);

const ELEMENT_BYTES: Record<string, number> = Object.fromEntries(Object.values(DTYPES).map((d) => [d.name, d.bits / 8]));

// ---------------------------------------------------------------- strict JSON

/** Thrown by the JSON parser; turned into a ModelFormatError that names the file. */
class JsonError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * A strict JSON parser (RFC 8259) that, unlike JSON.parse, refuses duplicate keys (the format forbids
 * them: which value counts would depend on the parser) and bounds nesting. Whitespace may follow the
 * value (the header may be padded with spaces).
 */
export function parseStrictJson(text: string): Json {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    throw new JsonError(`${what} at character ${i}`);
  };
  const ESCAPES: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
  const str = (): string => {
    // at the opening quote
    i++;
    let out = '';
    let from = i;
    for (;;) {
      if (i >= n) fail('an unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const r = out ? out + text.slice(from, i) : text.slice(from, i);
        i++;
        return r;
      }
      if (c < 0x20) fail('a control character inside a string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(from, i);
      const e = text.charCodeAt(i + 1);
      i += 2;
      if (e === 0x75) {
        const h = text.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('a bad \\u escape');
        out += String.fromCharCode(parseInt(h, 16));
        i += 4;
      } else {
        const x = ESCAPES[e];
        if (x === undefined) {
          i -= 1;
          fail('a bad escape');
        }
        out += x;
      }
      from = i;
    }
  };
  const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const has = Object.prototype.hasOwnProperty;
  const value = (depth: number): Json => {
    if (depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    ws();
    if (i >= n) fail('the end of the text where a value was expected');
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      i++;
      const obj: { [k: string]: Json } = {};
      ws();
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text.charCodeAt(i) !== 0x22) fail('a key that is not a string');
        const k = str();
        if (has.call(obj, k)) fail(`the key ${JSON.stringify(k.length > 80 ? k.slice(0, 77) + '…' : k)} given twice`);
        ws();
        if (text.charCodeAt(i) !== 0x3a) fail("a missing ':'");
        i++;
        const v = value(depth + 1);
        // '__proto__' is an own key in JSON, as JSON.parse makes it, not the object's prototype
        if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        else obj[k] = v;
        ws();
        const d = text.charCodeAt(i);
        i++;
        if (d === 0x2c) continue;
        if (d === 0x7d) return obj;
        i--;
        fail("a missing ',' or '}'");
      }
    }
    if (c === 0x5b) {
      i++;
      const arr: Json[] = [];
      ws();
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        const d = text.charCodeAt(i);
        i++;
        if (d === 0x2c) continue;
        if (d === 0x5d) return arr;
        i--;
        fail("a missing ',' or ']'");
      }
    }
    if (c === 0x22) return str();
    if (c === 0x74 && text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (c === 0x66 && text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (c === 0x6e && text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (!m) fail('an unexpected character');
    i += m![0].length;
    return Number(m![0]);
  };
  const v = value(0);
  ws();
  if (i < n) fail('text after the JSON value');
  return v;
}

// ---------------------------------------------------------------- helpers

const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: Json | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const quote = (s: string) => JSON.stringify(s.length > 200 ? s.slice(0, 197) + '…' : s);

function openFailure(file: string, e: unknown): never {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') throw new ModelFormatError('NOT_FOUND', file, `${file} does not exist.`);
  if (err?.code === 'EISDIR') throw new ModelFormatError('NOT_A_MODEL', file, `${file} is a folder, not a model file.`);
  throw new ModelFormatError('NOT_FOUND', file, `Cannot read ${file}: ${err?.message ?? String(e)}`);
}

async function readAt(fh: fs.promises.FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** How a file's tensors lie in it, as the header says (before the summary is made). */
interface Parsed {
  fileSize: number;
  headerBytes: number;
  metadata: Record<string, string>;
  tensors: TensorInfo[];
  warnings: string[];
}

/**
 * Read and check a safetensors file's header. `where` locates the tensors: 'raw' (offsets into this
 * file) for a single file, 'external' (this file named) for a shard of a sharded model.
 */
async function parseFile(abs: string, where: 'raw' | 'external', shown: string): Promise<Parsed> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(abs, 'r');
  } catch (e) {
    openFailure(abs, e);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new ModelFormatError('NOT_A_MODEL', abs, `${abs} is a folder, not a model file.`);
    const size = st.size;
    const bad = (code: 'CORRUPT' | 'TRUNCATED' | 'NOT_A_MODEL' | 'UNSUPPORTED', what: string, todo = 'The file is damaged; export or fetch it again.') =>
      new ModelFormatError(code, abs, `${shown} is not a valid safetensors file: ${what}. ${todo}`);
    if (size === 0) {
      throw new ModelFormatError('EMPTY', abs, `${shown} is empty (0 bytes). If it is tracked with Git LFS, fetch its content with \`git lfs pull\`.`);
    }
    if (size < 8) throw bad('TRUNCATED', `it has ${size} bytes, fewer than the 8 of the header length`, 'The file was probably cut off while it was copied or downloaded; fetch or export it again.');
    const lenBytes = new Uint8Array(8);
    await readAt(fh, lenBytes, 0);
    const n64 = Buffer.from(lenBytes).readBigUInt64LE(0);
    if (n64 > BigInt(MAX_HEADER_BYTES)) {
      throw bad(
        'CORRUPT',
        `its first 8 bytes give a header length of ${n64} bytes, more than the format's limit of ${MAX_HEADER_BYTES} bytes (the safetensors library refuses it too)`,
        'The file is damaged or is not a safetensors file.',
      );
    }
    const n = Number(n64);
    if (n < 2) throw bad('CORRUPT', `its first 8 bytes give a header length of ${n} bytes, too short for a JSON object`);
    if (8 + n > size) {
      throw bad(
        'TRUNCATED',
        `its first 8 bytes give a header length of ${n} bytes, but the file has only ${size - 8} bytes after them`,
        'The file was probably cut off while it was copied or downloaded, or it is not a safetensors file.',
      );
    }
    const hb = new Uint8Array(n);
    if ((await readAt(fh, hb, 8)) !== n) throw bad('TRUNCATED', 'the header could not be read whole', 'The file changed while it was read, or was cut off; read it again.');
    if (hb[0] !== 0x7b) throw bad('CORRUPT', `the header does not start with '{' (byte 8 is 0x${hb[0].toString(16).padStart(2, '0')})`, 'The file is damaged or is not a safetensors file.');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(hb);
    } catch {
      throw bad('CORRUPT', 'its header is not valid UTF-8');
    }
    let header: Json;
    try {
      header = parseStrictJson(text);
    } catch (e) {
      if (e instanceof JsonError) throw bad('CORRUPT', `its header is not valid JSON (${e.message})`);
      throw e;
    }
    if (!isObject(header)) throw bad('CORRUPT', 'its header is not a JSON object');

    const warnings: string[] = [];
    const metadata: Record<string, string> = {};
    const meta = header['__metadata__'];
    if (meta !== undefined && meta !== null) {
      if (!isObject(meta)) warnings.push(`${shown}: __metadata__ is not an object of strings; it was ignored (the safetensors library refuses such a file).`);
      else {
        const odd: string[] = [];
        for (const [k, v] of Object.entries(meta)) {
          if (typeof v === 'string') metadata[k] = v;
          else {
            metadata[k] = JSON.stringify(v);
            odd.push(k);
          }
        }
        if (odd.length) warnings.push(`${shown}: __metadata__ values must be strings; ${odd.slice(0, 5).map(quote).join(', ')}${odd.length > 5 ? ', …' : ''} shown as JSON (the safetensors library refuses such a file).`);
      }
    }

    const dataStart = 8 + n;
    const dataLength = size - dataStart;
    const entries: { t: TensorInfo; begin: number; end: number }[] = [];
    for (const [tname, v] of Object.entries(header)) {
      if (tname === '__metadata__') continue;
      const tq = `tensor ${quote(tname)}`;
      if (!isObject(v)) throw bad('CORRUPT', `${tq} is not described by an object`);
      const dt = v['dtype'];
      const shape = v['shape'];
      const offs = v['data_offsets'];
      if (typeof dt !== 'string') throw bad('CORRUPT', `${tq} has no dtype`);
      const d = DTYPES[dt];
      if (!d) {
        if (PACKED.has(dt)) {
          throw new ModelFormatError('UNSUPPORTED', abs, `${shown}: ${tq} has the packed sub-byte dtype ${dt}, which this reader does not decode (it reads ${Object.keys(DTYPES).join(', ')}).`);
        }
        throw bad('CORRUPT', `${tq} has the unknown dtype ${quote(dt)} (the format's dtypes are ${Object.keys(DTYPES).join(', ')}, ${[...PACKED].join(', ')})`);
      }
      if (!Array.isArray(shape) || !shape.every(isCount)) throw bad('CORRUPT', `${tq} has no shape, or a shape that is not a list of whole numbers ≥ 0`);
      if (!Array.isArray(offs) || offs.length !== 2 || !isCount(offs[0]) || !isCount(offs[1])) {
        throw bad('CORRUPT', `${tq} has no data_offsets, or they are not two whole numbers ≥ 0`);
      }
      const [begin, end] = offs as [number, number];
      if (end < begin) throw bad('CORRUPT', `${tq} has data_offsets [${begin}, ${end}] that end before they begin`);
      const dims = shape as number[];
      let count = 1;
      for (const dim of dims) count *= dim;
      if (!Number.isSafeInteger(count * d.bits)) throw bad('CORRUPT', `${tq} has the shape [${dims.join(', ')}], whose element count is impossibly large`);
      const need = (count * d.bits) / 8;
      if (need !== end - begin) {
        throw bad('CORRUPT', `${tq} (${dt}, shape [${dims.join(', ')}]) needs ${need} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
      }
      if (end > dataLength) {
        throw bad(
          'TRUNCATED',
          `${tq} needs bytes ${begin}–${end} of the data, but the data has only ${dataLength} bytes`,
          'The file was probably cut off while it was copied or downloaded; fetch or export it again.',
        );
      }
      const t: TensorInfo = {
        name: tname,
        dtype: d.name,
        shape: dims,
        paramCount: count,
        byteSize: need,
        origin: 'tensor',
        graphPath: '',
        location: where === 'raw' ? { kind: 'raw', offset: dataStart + begin, length: need } : { kind: 'external', file: abs, offset: dataStart + begin, length: need },
      };
      entries.push({ t, begin, end });
    }
    // the data must be covered exactly: in offset order, each tensor starts where the one before ended
    entries.sort((p, q) => p.begin - q.begin || p.end - q.end);
    let at = 0;
    let prev: string | undefined;
    for (const e of entries) {
      if (e.begin < at) {
        throw bad('CORRUPT', `tensors ${quote(prev!)} and ${quote(e.t.name)} overlap (the second starts at byte ${e.begin} of the data, before the first ends at ${at})`);
      }
      if (e.begin > at) throw bad('CORRUPT', `bytes ${at}–${e.begin} of the data belong to no tensor (the format allows no holes)`);
      at = e.end;
      if (e.end > e.begin) prev = e.t.name;
    }
    if (at !== dataLength) {
      throw bad('CORRUPT', `${dataLength - at} bytes follow the last tensor's data (bytes ${at}–${dataLength} of the data belong to no tensor; the format allows none)`);
    }
    return { fileSize: size, headerBytes: n, metadata, tensors: entries.map((e) => e.t), warnings };
  } finally {
    await fh.close();
  }
}

function summaryOf(abs: string, fileSize: number, p: Omit<Parsed, 'fileSize'>, extra: Partial<ModelSummary> = {}): ModelSummary {
  return {
    format: 'safetensors',
    path: abs,
    fileSize,
    opsets: [],
    metadata: p.metadata,
    inputs: [],
    outputs: [],
    nodes: [],
    graphs: [{ path: '', name: '', nodeCount: 0, initializerCount: p.tensors.length, inputs: [], outputs: [] }],
    opHistogram: {},
    tensors: p.tensors,
    parameterCount: p.tensors.reduce((a, t) => a + t.paramCount, 0),
    warnings: p.warnings,
    ...extra,
  };
}

/**
 * Is this a sharded model's index: named `*.safetensors.index.json` (then a damaged one is reported
 * as an index), or a JSON object naming `weight_map` early on? For the dispatcher.
 */
export function looksLikeSafetensorsIndex(head: Uint8Array, file: string): boolean {
  if (/\.safetensors\.index\.json$/i.test(file)) return true;
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (head[i] !== 0x7b) return false;
  return Buffer.from(head.buffer, head.byteOffset, head.length).includes('"weight_map"');
}

/** Summarize a sharded model from its index file. */
async function readIndexSummary(abs: string): Promise<ModelSummary> {
  const name = path.basename(abs);
  const dir = path.dirname(abs);
  let raw: Buffer;
  try {
    const st = await fs.promises.stat(abs);
    if (st.size > MAX_INDEX_BYTES) {
      throw new ModelFormatError('CORRUPT', abs, `${name} is ${st.size} bytes, more than the ${MAX_INDEX_BYTES} accepted for a sharded model's index; it is not a safetensors index.`);
    }
    raw = await fs.promises.readFile(abs);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    openFailure(abs, e);
  }
  const bad = (what: string) =>
    new ModelFormatError('CORRUPT', abs, `${name} is not a valid safetensors index: ${what}. An index is {"metadata": {…}, "weight_map": {"<tensor>": "<shard>.safetensors", …}}; export or fetch it again.`);
  let index: Json;
  try {
    index = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    if (e instanceof JsonError) throw bad(`it is not valid JSON (${e.message})`);
    if (e instanceof TypeError) throw bad('it is not valid UTF-8');
    throw e;
  }
  if (!isObject(index)) throw bad('it is not a JSON object');
  const wm = index['weight_map'];
  if (!isObject(wm)) throw bad('it has no weight_map object');
  const shardOf = new Map<string, string>();
  const shardNames: string[] = [];
  for (const [t, f] of Object.entries(wm)) {
    if (typeof f !== 'string' || f === '') throw bad(`the shard of tensor ${quote(t)} is not a file name`);
    shardOf.set(t, f);
    if (!shardNames.includes(f)) shardNames.push(f);
  }
  shardNames.sort(); // model-00001-of-00003.safetensors, model-00002-…: file order, not the weight_map's
  const root = path.resolve(dir);
  const shards = shardNames.map((f) => {
    const p = path.resolve(root, f);
    if (path.isAbsolute(f) || (p !== root && !p.startsWith(root + path.sep)) || p === root) {
      throw new ModelFormatError(
        'EXTERNAL_DATA_ESCAPES',
        abs,
        `${name} names the shard ${quote(f)}, which is not inside the index's folder (${root}); shards must lie beside their index. The index is damaged or was not written for this folder.`,
      );
    }
    if (!fs.existsSync(p)) {
      throw new ModelFormatError(
        'EXTERNAL_DATA_MISSING',
        abs,
        `${name} names the shard ${f}, which is missing from ${root}. Copy every shard next to the index (if they are tracked with Git LFS, run \`git lfs pull\`).`,
      );
    }
    return { f, p };
  });

  const warnings: string[] = [];
  const metadata: Record<string, string> = {};
  const im = index['metadata'];
  // total_size is checked below, not shown: it follows from the tensors (a model sharded or not reads the same)
  if (isObject(im)) {
    for (const [k, v] of Object.entries(im)) if (k !== 'total_size') metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  } else if (im !== undefined && im !== null) warnings.push(`${name}: its "metadata" is not an object; it was ignored.`);

  const tensors: TensorInfo[] = [];
  const seen = new Map<string, string>();
  const extra: string[] = [];
  const shardInfo: { file: string; size: number; tensors: number }[] = [];
  let fileSize = raw.length;
  let headerBytes = 0;
  for (const { f, p } of shards) {
    const parsed = await parseFile(p, 'external', `${f} (a shard of ${name})`);
    fileSize += parsed.fileSize;
    headerBytes += parsed.headerBytes;
    warnings.push(...parsed.warnings);
    for (const [k, v] of Object.entries(parsed.metadata)) {
      if (!(k in metadata)) metadata[k] = v;
      else if (metadata[k] !== v) warnings.push(`${f}: its __metadata__ ${quote(k)} is ${quote(v)}, not ${quote(metadata[k])} as in ${name} or an earlier shard; the first is shown.`);
    }
    for (const t of parsed.tensors) {
      const other = seen.get(t.name);
      if (other !== undefined) {
        throw new ModelFormatError('CORRUPT', abs, `${name}: the tensor ${quote(t.name)} is in two shards, ${other} and ${f}; which one the model uses is undefined. Export the model again.`);
      }
      seen.set(t.name, f);
      const listed = shardOf.get(t.name);
      if (listed === undefined) extra.push(t.name);
      else if (listed !== f) throw bad(`it puts tensor ${quote(t.name)} in ${listed}, but it is in ${f}`);
      tensors.push(t);
    }
    shardInfo.push({ file: p, size: parsed.fileSize, tensors: parsed.tensors.length });
  }
  for (const [t, f] of shardOf) if (!seen.has(t)) throw bad(`it puts tensor ${quote(t)} in ${f}, which has no such tensor`);
  if (extra.length) {
    warnings.push(`${extra.length} tensor${extra.length === 1 ? '' : 's'} in the shards ${extra.length === 1 ? 'is' : 'are'} not in ${name}'s weight_map (${extra.slice(0, 5).map(quote).join(', ')}${extra.length > 5 ? ', …' : ''}); counted all the same.`);
  }
  const total = isObject(im) ? im['total_size'] : undefined;
  const bytes = tensors.reduce((a, t) => a + t.byteSize, 0);
  if (typeof total === 'number' && total !== bytes) warnings.push(`${name}: metadata.total_size is ${total}, but the tensors take ${bytes} bytes.`);
  return summaryOf(abs, fileSize, { headerBytes, metadata, tensors, warnings }, { safetensors: { headerBytes, shards: shardInfo } });
}

/**
 * The model a folder holds, if it is a safetensors model: its one `*.safetensors.index.json`, else
 * its one `*.safetensors` file. Undefined when it holds neither; an error when it holds several.
 */
export function safetensorsModelInFolder(dir: string): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return undefined;
  }
  const isFile = (n: string) => {
    try {
      return fs.statSync(path.join(dir, n)).isFile();
    } catch {
      return false;
    }
  };
  const pick = (list: string[], what: string) => {
    if (list.length > 1) {
      throw new ModelFormatError('NOT_A_MODEL', dir, `${dir} holds ${list.length} ${what} (${list.join(', ')}); name the one to read.`);
    }
    return list.length ? path.join(dir, list[0]) : undefined;
  };
  return (
    pick(names.filter((n) => /\.safetensors\.index\.json$/i.test(n) && isFile(n)), 'safetensors index files') ??
    pick(names.filter((n) => /\.safetensors$/i.test(n) && isFile(n)), '.safetensors files without an index')
  );
}

/** Summarize a .safetensors file, or a sharded model from its `*.safetensors.index.json`. */
export async function readSafetensorsSummary(file: string, opts: { index?: boolean } = {}): Promise<ModelSummary> {
  const abs = path.resolve(file);
  if (opts.index) return readIndexSummary(abs);
  const p = await parseFile(abs, 'raw', path.basename(abs));
  return summaryOf(abs, p.fileSize, p, { safetensors: { headerBytes: p.headerBytes } });
}

/**
 * Read one tensor's values with a positional read. float16/bfloat16 come back as Uint16Array (the
 * bits), float8 types, bool and uint8 as Uint8Array, int64 as BigInt64Array, complex64 as interleaved
 * (re, im) float32 — as the ONNX reader gives them.
 */
export async function readSafetensorsTensor(summary: ModelSummary, tensor: TensorInfo): Promise<TensorData> {
  const loc = tensor.location;
  const file = loc.kind === 'external' ? loc.file : summary.path;
  const name = path.basename(file);
  const esize = ELEMENT_BYTES[tensor.dtype];
  if (!esize || (loc.kind !== 'raw' && loc.kind !== 'external')) {
    throw new ModelFormatError('UNSUPPORTED', file, `tensor ${quote(tensor.name)} of ${name} (${tensor.dtype}, ${loc.kind} location) is not a safetensors tensor.`);
  }
  if (loc.length !== tensor.paramCount * esize) {
    throw new ModelFormatError('CORRUPT', file, `tensor ${quote(tensor.name)} of ${name}: ${loc.length} bytes cannot hold ${tensor.paramCount} ${tensor.dtype} values.`);
  }
  if (loc.length > bufferConstants.MAX_LENGTH) {
    throw new ModelFormatError('UNSUPPORTED', file, `tensor ${quote(tensor.name)} of ${name} is ${loc.length} bytes, more than can be read into memory at once (${bufferConstants.MAX_LENGTH}).`);
  }
  const bytes = new Uint8Array(loc.length);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    openFailure(file, e);
  }
  try {
    if ((await readAt(fh, bytes, loc.offset)) !== loc.length) {
      throw new ModelFormatError(
        'TRUNCATED',
        file,
        `${name} ends before the data of tensor ${quote(tensor.name)} (bytes ${loc.offset}–${loc.offset + loc.length}); the file changed since it was summarized, or was cut off. Fetch or export it again.`,
      );
    }
  } finally {
    await fh.close();
  }
  // uint8, bool and the float8 types: the bytes themselves
  const data = plainView(tensor.dtype, bytes, tensor.paramCount) ?? bytes;
  return { dtype: tensor.dtype, shape: tensor.shape, data };
}
