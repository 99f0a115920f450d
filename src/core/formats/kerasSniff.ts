/**
 * Is an `.h5` / `.hdf5` file a Keras model, or some other HDF5 file (most are data)? Decided from the
 * few structures that say so, read straight from the file with a small HDF5 walker — the superblock,
 * the root group's object header (its attribute names and child links), and, when needed, the object
 * header of `/model_weights` — never a dataset. A multi-gigabyte data file costs a few KiB of reads,
 * and no h5wasm is loaded (the editor association of src/extension/inspect/kerasEditorAssociation.ts
 * asks this for every .h5 file the user opens).
 *
 * What counts as Keras is what the Keras reader (kerasHdf5.ts, summarizeH5) shows as a model:
 *   - a `model_config`, `layer_names` or `layer_names0` attribute on the root (Keras 1/2 full models
 *     and weights-only files);
 *   - a `/model_weights` group with `layer_names` (a model file without its config);
 *   - a Keras 3 weights file (`model.save_weights`): a `layers` or `_layer_checkpoint_dependencies`
 *     root group in a file whose name ends with `.weights.h5`, as Keras 3 requires of such files
 *     (a data file may well have a group called `layers`).
 *
 * The walker understands the layouts HDF5 writes by default and with `libver='latest'`: superblock
 * versions 0–3, object header versions 1 and 2 with continuation chunks, compact attributes, old-style
 * groups (symbol table: v1 B-tree, symbol nodes, local heap) and compact new-style groups (link
 * messages). Dense attribute or link storage (fractal heaps), shared messages, or anything damaged or
 * unexpected gives 'unknown'; `isKerasModelFile` then asks the full reader (in its worker, with its time
 * limit). Every read is bounded (a byte budget and a node budget), so a hostile file cannot make this
 * loop or read much.
 */
import * as fs from 'fs';
import * as path from 'path';

/** 'unknown': the file uses HDF5 structures this walker does not read, or it is damaged. */
export type KerasSniff = 'keras' | 'not-keras' | 'unknown';

/** The root group of an HDF5 file as far as the walker could read it (for tests and diagnostics). */
export interface Hdf5RootInfo {
  /** the root group's attribute names; undefined when stored densely (a fractal heap) or shared */
  attributes: string[] | undefined;
  /** the root group's child names (sorted); undefined when stored densely */
  children: string[] | undefined;
  /** the attribute names of the children asked for (hard links only; undefined when not readable) */
  childAttributes: Record<string, string[] | undefined>;
}

/** What the walker read of the root group; `attributesAt` works while the file is open. */
interface RootGroup {
  attributes: string[] | undefined;
  children: Map<string, number | undefined> | undefined;
  attributesAt(address: number): Promise<string[] | undefined>;
}

export interface SniffOptions {
  /** called for every read (tests count what is read) */
  onRead?: (position: number, length: number) => void;
  /** the most bytes one sniff may read (default 8 MiB); past it the answer is 'unknown' */
  maxBytes?: number;
}

const KERAS_ROOT_ATTRIBUTES = ['model_config', 'layer_names', 'layer_names0'];
const KERAS3_ROOT_GROUPS = ['layers', '_layer_checkpoint_dependencies'];
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_NODES = 20_000;
const MAX_CHUNKS = 1_000;

/** The walker met something it does not read (or a damaged structure): the answer is 'unknown'. */
class Unreadable extends Error {}

/** Bounded reads of one open file. */
class Reader {
  private bytes = 0;
  nodes = 0;

  constructor(
    private readonly fh: fs.promises.FileHandle,
    readonly size: number,
    private readonly opts: SniffOptions,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(position) || position < 0 || length < 0 || position + length > this.size) {
      throw new Unreadable(`a structure at ${position} (+${length}) lies outside the file (${this.size} bytes)`);
    }
    this.bytes += length;
    if (this.bytes > (this.opts.maxBytes ?? 8 * 1024 * 1024)) throw new Unreadable('read budget spent');
    this.opts.onRead?.(position, length);
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, position + done);
      if (bytesRead === 0) throw new Unreadable('unexpected end of file');
      done += bytesRead;
    }
    return buf;
  }

  /** Counts one visited node (B-tree node, symbol node, header chunk); throws past the budget. */
  visit(): void {
    if (++this.nodes > MAX_NODES) throw new Unreadable('too many nodes');
  }
}

/** Little-endian unsigned integer of `width` bytes; undefined for the "undefined address" (all ones). */
function uint(buf: Buffer, at: number, width: number): number | undefined {
  if (at < 0 || at + width > buf.length) throw new Unreadable('a field runs past its structure');
  let allOnes = true;
  let v = 0;
  for (let i = width - 1; i >= 0; i--) {
    const b = buf[at + i];
    if (b !== 0xff) allOnes = false;
    v = v * 256 + b;
  }
  if (allOnes && width > 1) return undefined;
  if (!Number.isSafeInteger(v)) throw new Unreadable('an address beyond 2^53');
  return v;
}

function definedUint(buf: Buffer, at: number, width: number): number {
  const v = uint(buf, at, width);
  if (v === undefined) throw new Unreadable('an undefined address where one is needed');
  return v;
}

function cString(buf: Buffer, at: number, maxLength: number): string {
  if (at < 0 || at > buf.length) throw new Unreadable('a name runs past its structure');
  const end = Math.min(buf.length, at + maxLength);
  let nul = buf.indexOf(0, at);
  if (nul < 0 || nul > end) nul = end;
  return buf.toString('utf8', at, nul);
}

interface Superblock {
  /** where the HDF5 data starts (the signature's offset: a user block may precede it); addresses count from here */
  base: number;
  offsetSize: number;
  lengthSize: number;
  rootHeader: number;
}

async function findSignature(r: Reader): Promise<number | undefined> {
  for (let at = 0; at + 8 <= r.size; at = at === 0 ? 512 : at * 2) {
    if ((await r.read(at, 8)).equals(HDF5_SIGNATURE)) return at;
  }
  return undefined;
}

async function readSuperblock(r: Reader, at: number): Promise<Superblock> {
  const sb = await r.read(at, Math.min(128, r.size - at));
  const version = sb[8];
  if (version === 0 || version === 1) {
    const offsetSize = sb[13];
    const lengthSize = sb[14];
    checkSizes(offsetSize, lengthSize);
    // base, free-space, end-of-file and driver-info addresses, then the root group's symbol table
    // entry: link name offset, object header address, …
    const entry = (version === 0 ? 24 : 28) + 4 * offsetSize;
    return { base: at, offsetSize, lengthSize, rootHeader: definedUint(sb, entry + offsetSize, offsetSize) };
  }
  if (version === 2 || version === 3) {
    const offsetSize = sb[9];
    const lengthSize = sb[10];
    checkSizes(offsetSize, lengthSize);
    // base, superblock extension, end-of-file, root group object header
    return { base: at, offsetSize, lengthSize, rootHeader: definedUint(sb, 12 + 3 * offsetSize, offsetSize) };
  }
  throw new Unreadable(`superblock version ${version}`);
}

function checkSizes(offsetSize: number, lengthSize: number): void {
  if (![2, 4, 8].includes(offsetSize) || ![2, 4, 8].includes(lengthSize)) throw new Unreadable('odd offset or length size');
}

interface Message {
  type: number;
  flags: number;
  data: Buffer;
}

const MSG_LINK_INFO = 0x0002;
const MSG_LINK = 0x0006;
const MSG_ATTRIBUTE = 0x000c;
const MSG_CONTINUATION = 0x0010;
const MSG_SYMBOL_TABLE = 0x0011;
const MSG_ATTRIBUTE_INFO = 0x0015;

/** The messages of the object header at `address` (relative to the base), continuation chunks included. */
async function readMessages(r: Reader, sb: Superblock, address: number): Promise<Message[]> {
  const abs = sb.base + address;
  const prefix = await r.read(abs, Math.min(40, r.size - abs));
  const out: Message[] = [];
  const chunks: Array<{ at: number; length: number }> = [];
  let v2: { creationOrder: boolean } | undefined;
  if (prefix.toString('latin1', 0, 4) === 'OHDR') {
    if (prefix[4] !== 2) throw new Unreadable(`object header version ${prefix[4]}`);
    const flags = prefix[5];
    let p = 6;
    if (flags & 0x20) p += 16; // access, modification, change, birth times
    if (flags & 0x10) p += 4; // attribute phase change values
    const width = 1 << (flags & 3);
    const length = definedUint(prefix, p, width);
    chunks.push({ at: abs + p + width, length });
    v2 = { creationOrder: (flags & 0x04) !== 0 };
  } else if (prefix[0] === 1) {
    chunks.push({ at: abs + 16, length: definedUint(prefix, 8, 4) });
  } else {
    throw new Unreadable(`no object header at ${address}`);
  }
  const seen = new Set<number>();
  for (let i = 0; i < chunks.length; i++) {
    if (i >= MAX_CHUNKS) throw new Unreadable('too many header chunks');
    r.visit();
    const { at, length } = chunks[i];
    if (seen.has(at)) throw new Unreadable('a header chunk is listed twice');
    seen.add(at);
    const chunk = await r.read(at, length);
    let p = 0;
    let end = chunk.length;
    if (v2 && i > 0) {
      if (chunk.toString('latin1', 0, 4) !== 'OCHK') throw new Unreadable('a continuation chunk without its signature');
      p = 4;
      end -= 4; // checksum
    }
    const headerSize = v2 ? (v2.creationOrder ? 6 : 4) : 8;
    while (p + headerSize <= end) {
      const type = v2 ? chunk[p] : chunk.readUInt16LE(p);
      const size = v2 ? chunk.readUInt16LE(p + 1) : chunk.readUInt16LE(p + 2);
      const flags = v2 ? chunk[p + 3] : chunk[p + 4];
      const start = p + headerSize;
      if (start + size > end) throw new Unreadable('a header message runs past its chunk');
      const data = chunk.subarray(start, start + size);
      if (type === MSG_CONTINUATION) {
        const offset = definedUint(data, 0, sb.offsetSize);
        const len = definedUint(data, sb.offsetSize, sb.lengthSize);
        chunks.push({ at: sb.base + offset, length: len });
      } else {
        out.push({ type, flags, data });
      }
      p = start + size;
    }
  }
  return out;
}

const SHARED = 0x02;

/** An attribute message's name. */
function attributeName(m: Message): string {
  const d = m.data;
  const version = d[0];
  const nameSize = d.readUInt16LE(2);
  if (version === 1 || version === 2) return cString(d, 8, nameSize);
  if (version === 3) return cString(d, 9, nameSize);
  throw new Unreadable(`attribute message version ${version}`);
}

/** The attribute names in `messages`; undefined when they are stored densely or shared. */
function attributeNames(messages: Message[], sb: Superblock): string[] | undefined {
  const names: string[] = [];
  for (const m of messages) {
    if (m.type === MSG_ATTRIBUTE_INFO) {
      const flags = m.data[1];
      const heap = uint(m.data, 2 + (flags & 1 ? 2 : 0), sb.offsetSize);
      if (heap !== undefined) return undefined;
    } else if (m.type === MSG_ATTRIBUTE) {
      if (m.flags & SHARED) return undefined;
      names.push(attributeName(m));
    }
  }
  return names;
}

/** One link message: its name and, for a hard link, the object header address. */
function parseLink(m: Message, sb: Superblock): { name: string; address: number | undefined } {
  const d = m.data;
  if (d[0] !== 1) throw new Unreadable(`link message version ${d[0]}`);
  const flags = d[1];
  let p = 2;
  let linkType = 0;
  if (flags & 0x08) linkType = d[p++];
  if (flags & 0x04) p += 8; // creation order
  if (flags & 0x10) p += 1; // character set
  const width = 1 << (flags & 3);
  const nameLength = definedUint(d, p, width);
  p += width;
  if (p + nameLength > d.length) throw new Unreadable('a link name runs past its message');
  const name = d.toString('utf8', p, p + nameLength);
  p += nameLength;
  return { name, address: linkType === 0 ? uint(d, p, sb.offsetSize) : undefined };
}

/** An old-style group's children: walk its v1 B-tree of symbol nodes; names come from the local heap. */
async function symbolTableChildren(r: Reader, sb: Superblock, btree: number, heap: number): Promise<Map<string, number | undefined>> {
  const O = sb.offsetSize;
  const L = sb.lengthSize;
  const h = await r.read(sb.base + heap, 8 + 2 * L + O);
  if (h.toString('latin1', 0, 4) !== 'HEAP') throw new Unreadable('no local heap where the symbol table says');
  const dataSize = definedUint(h, 8, L);
  const dataAt = definedUint(h, 8 + 2 * L, O);
  const names = await r.read(sb.base + dataAt, dataSize);
  const children = new Map<string, number | undefined>();
  const seen = new Set<number>();
  const walk = async (node: number, depth: number): Promise<void> => {
    if (depth > 64 || seen.has(node)) throw new Unreadable('a B-tree that loops or is too deep');
    seen.add(node);
    r.visit();
    const head = await r.read(sb.base + node, 8 + 2 * O);
    const sig = head.toString('latin1', 0, 4);
    if (sig === 'SNOD') {
      const count = head.readUInt16LE(6);
      const entrySize = 2 * O + 24;
      const entries = await r.read(sb.base + node + 8, count * entrySize);
      for (let i = 0; i < count; i++) {
        const e = i * entrySize;
        children.set(cString(names, definedUint(entries, e, O), names.length), uint(entries, e + O, O));
      }
      return;
    }
    if (sig !== 'TREE' || head[4] !== 0) throw new Unreadable('no group B-tree node where one should be');
    const used = head.readUInt16LE(6);
    // key 0, child 0, key 1, child 1, …, key n
    const body = await r.read(sb.base + node + 8 + 2 * O, (used + 1) * L + used * O);
    for (let i = 0; i < used; i++) await walk(definedUint(body, L + i * (L + O), O), depth + 1);
  };
  await walk(btree, 0);
  return children;
}

/** The children of the group whose header holds `messages`; undefined when stored densely. */
async function groupChildren(r: Reader, sb: Superblock, messages: Message[]): Promise<Map<string, number | undefined> | undefined> {
  const children = new Map<string, number | undefined>();
  for (const m of messages) {
    if (m.type === MSG_SYMBOL_TABLE) {
      const btree = definedUint(m.data, 0, sb.offsetSize);
      const heap = definedUint(m.data, sb.offsetSize, sb.offsetSize);
      for (const [k, v] of await symbolTableChildren(r, sb, btree, heap)) children.set(k, v);
    } else if (m.type === MSG_LINK_INFO) {
      const flags = m.data[1];
      const heap = uint(m.data, 2 + (flags & 1 ? 8 : 0), sb.offsetSize);
      if (heap !== undefined) return undefined;
    } else if (m.type === MSG_LINK) {
      if (m.flags & SHARED) return undefined;
      const { name, address } = parseLink(m, sb);
      children.set(name, address);
    }
  }
  return children;
}

async function withReader<T>(file: string, opts: SniffOptions, fn: (r: Reader) => Promise<T>): Promise<T> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${file} is not a file`);
    return await fn(new Reader(fh, st.size, opts));
  } finally {
    await fh.close();
  }
}

/**
 * The root group of the HDF5 file `file` (attribute names, child names, and the attribute names of
 * the children named in `attributesOf`), read with the walker; undefined when the file is not HDF5.
 * Throws when the file cannot be opened, or when a structure is damaged or not one the walker reads:
 * sniffKerasHdf5 gives a verdict that never throws.
 */
export async function readHdf5Root(file: string, opts: SniffOptions & { attributesOf?: string[] } = {}): Promise<Hdf5RootInfo | undefined> {
  return withReader(file, opts, async (r) => {
    const root = await rootOf(r);
    if (!root) return undefined;
    const childAttributes: Record<string, string[] | undefined> = {};
    for (const name of opts.attributesOf ?? []) {
      const address = root.children?.get(name);
      childAttributes[name] = address === undefined ? undefined : await root.attributesAt(address);
    }
    return { attributes: root.attributes, children: root.children ? [...root.children.keys()].sort() : undefined, childAttributes };
  });
}

async function rootOf(r: Reader): Promise<RootGroup | undefined> {
  const at = await findSignature(r);
  if (at === undefined) return undefined;
  const sb = await readSuperblock(r, at);
  const messages = await readMessages(r, sb, sb.rootHeader);
  return {
    attributes: attributeNames(messages, sb),
    children: await groupChildren(r, sb, messages),
    attributesAt: async (address: number) => attributeNames(await readMessages(r, sb, address), sb),
  };
}

/**
 * Keras model or not, from the file's structure alone (see the top of this file). Never throws:
 * a file that cannot be opened is 'not-keras'; damaged or unfamiliar structures are 'unknown'.
 */
export async function sniffKerasHdf5(file: string, opts: SniffOptions = {}): Promise<KerasSniff> {
  try {
    return await withReader(file, opts, async (r) => {
      const root = await rootOf(r);
      if (!root) return 'not-keras';
      if (root.attributes === undefined) return 'unknown';
      if (root.attributes.some((a) => KERAS_ROOT_ATTRIBUTES.includes(a))) return 'keras';
      if (root.children === undefined) return 'unknown';
      if (root.children.has('model_weights')) {
        const address = root.children.get('model_weights');
        const mw = address === undefined ? undefined : await root.attributesAt(address);
        if (mw === undefined) return 'unknown';
        if (mw.includes('layer_names') || mw.includes('layer_names0')) return 'keras';
      }
      if (/\.weights\.h5$/i.test(path.basename(file)) && KERAS3_ROOT_GROUPS.some((g) => root.children!.has(g))) return 'keras';
      return 'not-keras';
    });
  } catch (e) {
    if (e instanceof Unreadable) return 'unknown';
    return 'not-keras'; // cannot open or stat it: there is nothing to show as a model
  }
}

/**
 * Whether `file` is a Keras model the Model Summary should show: the walker's verdict, or — when the
 * walker cannot tell (dense storage, damage) — whether the Keras reader summarizes it. A file the
 * reader rejects (a data file, a damaged file) is not taken for a model.
 */
export async function isKerasModelFile(file: string, opts: SniffOptions = {}): Promise<boolean> {
  const verdict = await sniffKerasHdf5(file, opts);
  if (verdict !== 'unknown') return verdict === 'keras';
  const { readKerasSummary } = await import('./keras.js'); // the reader only when the walker cannot tell (kept off the extension's activation, issue #12)
  try {
    await readKerasSummary(file);
    return true;
  } catch {
    return false;
  }
}
