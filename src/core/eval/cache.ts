/**
 * A disk cache of the evaluation host's raw outputs, so that the same model bytes on the same data
 * with the same settings are never run twice: metrics, cross-validation, McNemar and the bootstrap
 * are recomputed from the cached outputs in milliseconds.
 *
 * Where: `<git common dir>/model-versions/eval-cache/` for a repository (local only, never pushed;
 * see docs/storage.md), or any folder given (the CLI's `--cache-dir` outside a repository).
 *
 * One file per key, `<key>.evc`: a header line
 *   `modelver-eval-cache 1 <payload bytes> <sha256 of the payload>\n`
 * then the payload, JSON `{ key, modelHash, created, result }` where `result` is the host's
 * EvaluateResult (only the output that was read; its values as base64 float32). A file is verified on every read (header, length,
 * hash, key, each output's values filling its dims); a file that fails is ignored, removed, and rewritten by the next run.
 * The hash guards against damage, not against someone who writes a whole valid entry: the folder is
 * created 0700, and (POSIX) a file that belongs to another user is ignored (issue #10). Writes go to a
 * temporary file in the same folder, then rename (atomic: a reader never sees half a file). The
 * folder is bounded: after each write the least recently used files (by mtime, which a hit touches)
 * are removed until the total is under `maxBytes`.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { outputFloats, type EvaluateResult, type OutputTensor } from '../../shared/evalProtocol';

const MAGIC = 'modelver-eval-cache';
const VERSION = '1';
const EXT = '.evc';
/** default bound of the cache folder */
export const DEFAULT_EVAL_CACHE_BYTES = 512 * 1024 * 1024;

export interface CachedOutputs {
  key: string;
  /** sha256 of the model bytes the outputs came from */
  modelHash: string;
  /** ISO time the host computed them */
  created: string;
  result: EvaluateResult;
}

export interface EvalCacheStats {
  hits: number;
  misses: number;
  writes: number;
  /** files that failed verification (removed) */
  corrupt: number;
  /** files removed to stay under maxBytes */
  evicted: number;
}

export interface EvalCacheOptions {
  /** bound of the folder's total size (default 512 MiB) */
  maxBytes?: number;
}

export class EvalCache {
  readonly maxBytes: number;
  readonly stats: EvalCacheStats = { hits: 0, misses: 0, writes: 0, corrupt: 0, evicted: 0 };

  constructor(
    readonly dir: string,
    opts: EvalCacheOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_EVAL_CACHE_BYTES;
  }

  /** The cache of a repository: `<dataDir>/eval-cache` (dataDir = `<git common dir>/model-versions`). */
  static inDataDir(dataDir: string, opts?: EvalCacheOptions): EvalCache {
    return new EvalCache(path.join(dataDir, 'eval-cache'), opts);
  }

  fileOf(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not an evaluation key: '${key}' (64 hex digits expected)`);
    return path.join(this.dir, key + EXT);
  }

  /** The verified outputs under `key`, or undefined (missing, or corrupt: then removed). */
  get(key: string): CachedOutputs | undefined {
    const file = this.fileOf(key);
    let bytes: Buffer;
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const st = fs.fstatSync(fd);
        // not written by this user (a shared --cache-dir): not trusted, left alone
        if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
          this.stats.misses++;
          return undefined;
        }
        bytes = fs.readFileSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      this.stats.misses++;
      return undefined;
    }
    const entry = decode(bytes, key);
    if (!entry) {
      this.stats.corrupt++;
      this.stats.misses++;
      fs.rmSync(file, { force: true });
      return undefined;
    }
    this.stats.hits++;
    const now = new Date();
    try {
      fs.utimesSync(file, now, now); // most recently used
    } catch {
      /* read-only folder: still a hit */
    }
    return entry;
  }

  /** Stores the outputs under `key` (atomically), then trims the folder to `maxBytes`. */
  put(key: string, modelHash: string, result: EvaluateResult, created = new Date()): void {
    const file = this.fileOf(key);
    // outputs as base64 whatever the connection carried (binary connections give Float32Arrays)
    const outputs: OutputTensor[] = result.outputs.map((o) => {
      const f = outputFloats(o);
      return { name: o.name, dims: o.dims, type: o.type, base64: Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64') };
    });
    const entry: CachedOutputs = { key, modelHash, created: created.toISOString(), result: { ...result, outputs } };
    const payload = Buffer.from(JSON.stringify(entry), 'utf8');
    const hash = crypto.createHash('sha256').update(payload).digest('hex');
    const header = Buffer.from(`${MAGIC} ${VERSION} ${payload.length} ${hash}\n`, 'utf8');
    if (header.length + payload.length > this.maxBytes) return; // larger than the whole cache: not kept
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, `.${key}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
    try {
      fs.writeFileSync(tmp, Buffer.concat([header, payload]), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    this.stats.writes++;
    this.trim(file);
  }

  /** Removes the least recently used entries until the folder holds at most maxBytes (`keep` stays). */
  trim(keep?: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    const entries: { file: string; size: number; mtime: number }[] = [];
    for (const n of names) {
      if (!n.endsWith(EXT)) continue;
      const file = path.join(this.dir, n);
      try {
        const st = fs.statSync(file);
        entries.push({ file, size: st.size, mtime: st.mtimeMs });
      } catch {
        /* removed meanwhile */
      }
    }
    let total = entries.reduce((s, e) => s + e.size, 0);
    entries.sort((a, b) => a.mtime - b.mtime);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      if (e.file === keep) continue;
      fs.rmSync(e.file, { force: true });
      total -= e.size;
      this.stats.evicted++;
    }
  }
}

/** The entry in a cache file's bytes, or undefined when anything does not check out. */
function decode(bytes: Buffer, key: string): CachedOutputs | undefined {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0 || nl > 200) return undefined;
  const [magic, version, len, hash] = bytes.subarray(0, nl).toString('utf8').split(' ');
  if (magic !== MAGIC || version !== VERSION || !/^\d+$/.test(len ?? '') || !/^[0-9a-f]{64}$/.test(hash ?? '')) return undefined;
  const payload = bytes.subarray(nl + 1);
  if (payload.length !== Number(len)) return undefined;
  if (crypto.createHash('sha256').update(payload).digest('hex') !== hash) return undefined;
  try {
    const e = JSON.parse(payload.toString('utf8')) as CachedOutputs;
    if (e.key !== key || typeof e.modelHash !== 'string' || !e.result || !Array.isArray(e.result.outputs)) return undefined;
    if (!e.result.outputs.every((o) => typeof o?.name === 'string' && Array.isArray(o.dims) && typeof o.base64 === 'string')) return undefined;
    // each output's values fill its dims exactly
    for (const o of e.result.outputs) {
      if (!o.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return undefined;
      const n = o.dims.reduce((a, d) => a * d, 1);
      if (Buffer.byteLength(o.base64!, 'base64') !== n * 4) return undefined;
    }
    return e;
  } catch {
    return undefined;
  }
}
