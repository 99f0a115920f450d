/**
 * Content-addressed cache of uploaded models and datasets: <dir>/<kind>s/<sha256>. Uploads arrive in
 * ordered chunks into <sha256>.part; the last chunk's arrival checks the sha256 before the rename.
 *
 * A name is never trusted (issue #10): a blob is hashed again before it is reported (`has`), used
 * (`file`) or kept in place of an upload (`put`); one whose bytes do not match its name is removed, so
 * the client uploads it again. A verified blob is remembered by its stat signature (device, inode, size,
 * mtime, ctime), so it is hashed once per host process unless its file changes. The folders are created
 * 0700; main.ts refuses a cache folder that other users own or can write.
 *
 * ONNX external data: the files are uploaded as model blobs; `modelFiles` checks the locations an
 * evaluation names and gives the runtime a private work folder (<dir>/sessions) to lay them out in.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { BlobKind, ExternalDataRef, PutParams, PutResult } from '../shared/evalProtocol';
import { HASH_RE } from '../shared/evalProtocol';

export class BlobError extends Error {
  constructor(
    message: string,
    readonly kind: 'unknown' | 'upload',
  ) {
    super(message);
    this.name = 'BlobError';
  }
}

/** A model's external-data file on the host: where the model names it, and the verified blob. */
export interface ExternalDataFile {
  location: string;
  hash: string;
  file: string;
}

/** What the runtime needs to lay out a model's files: its external data, and where to lay them out. */
export interface ModelFiles {
  external: ExternalDataFile[];
  /** a folder (0700) the runtime may create private per-session folders in */
  workDir: string;
}

/** verified blobs: path → stat signature at verification */
const verified = new Map<string, string>();

function signature(st: fs.Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** sha256 of a file, read synchronously in 1 MiB pieces (blobs can exceed what readFileSync takes) */
function hashFileSync(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Longest external-data location accepted, characters. */
const MAX_LOCATION = 1024;
/** Most external-data files one model may have. */
const MAX_EXTERNAL_FILES = 4096;

/**
 * Checks one location an evaluation names: relative, '/'-separated, normalized, inside the model's folder.
 * Returns it unchanged; throws BlobError('upload').
 */
export function checkLocation(location: unknown): string {
  const bad = (why: string): never => {
    throw new BlobError(
      `external data location ${JSON.stringify(String(location).slice(0, 200))} ${why}: it must be a relative path inside the model's folder (as the model names it, e.g. "weights.bin" or "data/weights.bin")`,
      'upload',
    );
  };
  if (typeof location !== 'string' || location === '') return bad('is not a file name');
  if (location.length > MAX_LOCATION) return bad(`is longer than ${MAX_LOCATION} characters`);
  if (/[\u0000-\u001f\\]/.test(location)) return bad('holds a control character or a backslash');
  if (location.startsWith('/') || /^[a-zA-Z]:/.test(location)) return bad('is absolute');
  const parts = location.split('/');
  if (parts.some((p) => p === '..')) return bad('leads out of the folder');
  if (parts.some((p) => p === '' || p === '.')) return bad('is not normalized');
  return location;
}

interface Pending {
  hasher: crypto.Hash;
  received: number;
  size: number;
  fd: fs.promises.FileHandle;
  part: string;
}

export class BlobStore {
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly dir: string,
    readonly maxBlobBytes: number,
  ) {}

  private kindDir(kind: BlobKind): string {
    return path.join(this.dir, kind === 'model' ? 'models' : 'datasets');
  }

  static checkHash(hash: unknown): string {
    if (typeof hash !== 'string' || !HASH_RE.test(hash)) throw new BlobError(`not a lower-case hex sha256: ${String(hash).slice(0, 80)}`, 'upload');
    return hash;
  }

  /**
   * Whether the blob file `f` holds bytes whose sha256 is `hash`: 'ok', 'missing', or 'discarded' (it did
   * not match and was removed).
   */
  private verify(f: string, hash: string): 'ok' | 'missing' | 'discarded' {
    let st: fs.Stats;
    try {
      st = fs.statSync(f);
    } catch {
      verified.delete(f);
      return 'missing';
    }
    const sig = signature(st);
    if (verified.get(f) === sig) return 'ok';
    verified.delete(f);
    let got: string | undefined;
    try {
      got = st.isFile() ? hashFileSync(f) : undefined;
    } catch {
      got = undefined;
    }
    if (got === hash) {
      verified.set(f, sig);
      return 'ok';
    }
    fs.rmSync(f, { force: true, recursive: true });
    process.stderr.write(`eval host: discarded ${f}: its bytes do not match the hash it is named by\n`);
    return 'discarded';
  }

  /** Path of a complete, verified blob; throws BlobError('unknown') when the host does not have it. */
  file(kind: BlobKind, hash: string): string {
    const f = path.join(this.kindDir(kind), BlobStore.checkHash(hash));
    const v = this.verify(f, hash);
    if (v === 'discarded') throw new BlobError(`the host's copy of ${kind} ${hash} does not match its hash (altered or planted) and was discarded: upload it again`, 'unknown');
    if (v === 'missing') throw new BlobError(`the host has no ${kind} ${hash}: upload it first`, 'unknown');
    return f;
  }

  has(kind: BlobKind, hashes: unknown): string[] {
    if (hashes === undefined) return [];
    if (!Array.isArray(hashes)) throw new BlobError('hashes must be an array', 'upload');
    return hashes.filter((h) => typeof h === 'string' && HASH_RE.test(h) && this.verify(path.join(this.kindDir(kind), h), h) === 'ok');
  }

  /** A private folder (0700) for the runtime's per-session folders. */
  get workDir(): string {
    const d = path.join(this.dir, 'sessions');
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  }

  /**
   * The external-data files an evaluation names (`EvaluateParams.externalData`), checked: each location
   * relative and inside the model's folder, named once, and its blob present and verified.
   */
  modelFiles(refs: unknown): ModelFiles {
    const external: ExternalDataFile[] = [];
    if (refs !== undefined && refs !== null) {
      if (!Array.isArray(refs)) throw new BlobError('externalData must be an array of { location, hash }', 'upload');
      if (refs.length > MAX_EXTERNAL_FILES) throw new BlobError(`externalData names ${refs.length} files; at most ${MAX_EXTERNAL_FILES}`, 'upload');
      const seen = new Set<string>();
      for (const r of refs as Partial<ExternalDataRef>[]) {
        if (!r || typeof r !== 'object') throw new BlobError('externalData must be an array of { location, hash }', 'upload');
        const location = checkLocation(r.location);
        if (seen.has(location)) throw new BlobError(`external data location "${location}" is named twice`, 'upload');
        seen.add(location);
        const hash = BlobStore.checkHash(r.hash);
        external.push({ location, hash, file: this.file('model', hash) });
      }
    }
    return { external, workDir: this.workDir };
  }

  async put(kind: BlobKind, p: PutParams): Promise<PutResult> {
    const hash = BlobStore.checkHash(p?.hash);
    const size = p.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new BlobError('size must be a non-negative integer', 'upload');
    if (size > this.maxBlobBytes) throw new BlobError(`${kind} of ${size} bytes exceeds the host's limit of ${this.maxBlobBytes} bytes`, 'upload');
    const data: unknown = p.data;
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new BlobError('data must be base64 text or (binary connections) bytes', 'upload');
    const dir = this.kindDir(kind);
    const final = path.join(dir, hash);
    const key = `${kind}:${hash}`;
    if (this.verify(final, hash) === 'ok') return { received: size, complete: true };
    const chunk = typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let st = this.pending.get(key);
    if (p.offset === 0) {
      if (st) await this.abort(key);
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      const part = `${final}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`;
      st = { hasher: crypto.createHash('sha256'), received: 0, size, fd: await fs.promises.open(part, 'w', 0o600), part };
      this.pending.set(key, st);
    }
    if (!st) throw new BlobError(`chunk at offset ${p.offset} of ${kind} ${hash} without an upload in progress: start at offset 0`, 'upload');
    if (st.size !== size || p.offset !== st.received) {
      await this.abort(key);
      throw new BlobError(`chunk out of order for ${kind} ${hash}: offset ${p.offset}, expected ${st.received} (size ${st.size})`, 'upload');
    }
    if (st.received + chunk.length > size) {
      await this.abort(key);
      throw new BlobError(`${kind} ${hash}: chunks exceed the declared size of ${size} bytes`, 'upload');
    }
    await st.fd.write(chunk);
    st.hasher.update(chunk);
    st.received += chunk.length;
    if (st.received < size) return { received: st.received, complete: false };
    const part = st.part;
    await st.fd.close();
    this.pending.delete(key);
    const got = st.hasher.digest('hex');
    if (got !== hash) {
      await fs.promises.rm(part, { force: true });
      throw new BlobError(`${kind} upload does not match its hash: declared ${hash}, received bytes hash to ${got}`, 'upload');
    }
    await fs.promises.rename(part, final);
    verified.set(final, signature(await fs.promises.stat(final))); // hashed while it arrived
    return { received: size, complete: true };
  }

  private async abort(key: string): Promise<void> {
    const st = this.pending.get(key);
    if (!st) return;
    this.pending.delete(key);
    await st.fd.close().catch(() => undefined);
    await fs.promises.rm(st.part, { force: true });
  }

  /** Drops unfinished uploads (connection closed). */
  async dispose(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((k) => this.abort(k)));
  }
}
