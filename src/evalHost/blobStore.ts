/**
 * Content-addressed cache of uploaded models and datasets: <dir>/<kind>s/<sha256>. Uploads arrive in
 * ordered chunks into <sha256>.part; the last chunk's arrival checks the sha256 before the rename, so a
 * file named by a hash always holds those bytes.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { BlobKind, PutParams, PutResult } from '../shared/evalProtocol';
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

  /** Path of a complete blob; throws BlobError('unknown') when the host does not have it. */
  file(kind: BlobKind, hash: string): string {
    const f = path.join(this.kindDir(kind), BlobStore.checkHash(hash));
    if (!fs.existsSync(f)) throw new BlobError(`the host has no ${kind} ${hash}: upload it first`, 'unknown');
    return f;
  }

  has(kind: BlobKind, hashes: unknown): string[] {
    if (hashes === undefined) return [];
    if (!Array.isArray(hashes)) throw new BlobError('hashes must be an array', 'upload');
    return hashes.filter((h) => typeof h === 'string' && HASH_RE.test(h) && fs.existsSync(path.join(this.kindDir(kind), h)));
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
    if (fs.existsSync(final)) return { received: size, complete: true };
    const chunk = typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let st = this.pending.get(key);
    if (p.offset === 0) {
      if (st) await this.abort(key);
      await fs.promises.mkdir(dir, { recursive: true });
      const part = `${final}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`;
      st = { hasher: crypto.createHash('sha256'), received: 0, size, fd: await fs.promises.open(part, 'w'), part };
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
