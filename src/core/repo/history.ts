/**
 * The history index: ONE `git log --raw -M` pass gives every commit that touched a model, with the
 * blob ids; while its output streams in, the pointer blobs of the model paths are fed to ONE
 * `git cat-file --batch` process running alongside (the LFS oid and size). The result is cached in
 * memory and on disk (`<git common dir>/model-versions/history-<key>.jsonl`, append-only, keyed by
 * HEAD) and refreshed incrementally with `git log OLD..NEW` when OLD is an ancestor of NEW — a new
 * commit costs O(new commits) of git work and an O(new) append to the cache file.
 *
 * No pathspec is given to `git log`: with `:(glob)` pathspecs git simplifies history with a second
 * tree diff per commit and matches every entry (5× slower here). Paths are filtered in JS instead.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StringDecoder } from 'string_decoder';
import { RepoError } from './errors';
import type { Git } from './git';
import { MAX_POINTER_SIZE, parsePointer } from './lfs';

export interface RawChange {
  /** A, M, D, R, C, T (the first letter of git's status) */
  status: string;
  path: string;
  /** for R and C: the path before */
  oldPath?: string;
  oldBlob: string;
  newBlob: string;
  newMode: string;
}

export interface RawCommit {
  hash: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorDate: string;
  committerDate: string;
  message: string;
  changes: RawChange[];
}

export interface BlobInfo {
  /** true when the blob is an LFS pointer */
  lfs: boolean;
  /** LFS: the sha256 of the content; plain blobs: undefined */
  oid?: string;
  /** content size in bytes (LFS: from the pointer) */
  size: number;
}

export interface HistoryIndex {
  key: string;
  head: string;
  /** oldest first; only commits that touched a model path */
  commits: RawCommit[];
  blobs: Record<string, BlobInfo>;
}

export const ZERO_OID = '0000000000000000000000000000000000000000';
/**
 * One commit's header: \x1e, then hash, parents, author name, author email, author date and committer
 * date on a line each (none of them can hold a line break: they come from single header lines of the
 * commit object), then the message, closed by \x1d; `-z` ends it with a NUL (a message cannot hold
 * one). A name, email or message may hold any other byte — \x1e, \x1f, \x1d included — without
 * shifting a field: the first six fields are taken by line, the message is everything up to the last \x1d.
 */
const FORMAT = '%x1e%H%n%P%n%an%n%ae%n%aI%n%cI%n%B%x1d';
const HASH = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const PARENTS = /^(?:(?:[0-9a-f]{40}|[0-9a-f]{64})(?: (?:[0-9a-f]{40}|[0-9a-f]{64}))*)?$/;

/** Parse one header token (see FORMAT); throws on output that does not have its shape. */
export function parseCommitHeader(tok: string): Omit<RawCommit, 'changes'> {
  const start = tok.charCodeAt(0) === 10 ? 1 : 0;
  if (tok.charCodeAt(start) !== 0x1e) throw badLog('a commit record does not start with \\x1e', tok);
  const f: string[] = [];
  let pos = start + 1;
  for (let i = 0; i < 6; i++) {
    const j = tok.indexOf('\n', pos);
    if (j < 0) throw badLog('a commit record has fewer than 7 lines', tok);
    f.push(tok.slice(pos, j));
    pos = j + 1;
  }
  const end = tok.lastIndexOf('\x1d');
  if (end < pos) throw badLog('a commit record has no end mark', tok);
  if (!HASH.test(f[0]) || !PARENTS.test(f[1])) {
    throw badLog('a commit record has a malformed hash or parent list', tok);
  }
  return {
    hash: f[0],
    parents: f[1] ? f[1].split(' ') : [],
    authorName: f[2],
    authorEmail: f[3],
    authorDate: f[4],
    committerDate: f[5],
    message: tok.slice(pos, end).replace(/\n+$/, ''),
  };
}

function badLog(what: string, tok: string): RepoError {
  return new RepoError('GIT_FAILED', `Unexpected \`git log\` output: ${what} (${JSON.stringify(tok.slice(0, 120))}).`);
}

// ------------------------------------------------------------------------------------ blob reader

/**
 * One `git cat-file --batch` process: blob ids go in as they become known; pointer contents are
 * parsed, larger blobs are skipped without being held in memory.
 */
export class BlobReader {
  private readonly proc;
  private readonly requested = new Set<string>();
  private queue = '';
  private pending: Buffer | undefined;
  /** bytes of the current object still to come (content + the LF after it); -1: reading a header */
  private remaining = -1;
  private current: { sha: string; size: number; keep: boolean; parts: Buffer[] } | undefined;
  private readonly done: Promise<void>;
  private stderr = '';

  constructor(
    git: Git,
    /** results go here (several readers can share one object) */
    private readonly result: Record<string, BlobInfo> = {},
  ) {
    this.proc = git.spawn(['cat-file', '--batch', '--buffer']);
    this.proc.stdin.on('error', () => undefined);
    this.proc.stderr.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    this.proc.stdout.on('data', (b: Buffer) => this.onData(b));
    this.done = new Promise((resolve, reject) => {
      this.proc.on('error', (e) => reject(new RepoError('GIT_MISSING', `Cannot run git: ${e.message}`)));
      this.proc.on('close', (code) =>
        code === 0 ? resolve() : reject(new RepoError('GIT_FAILED', `git cat-file --batch failed: ${this.stderr.trim()}`, this.stderr)),
      );
    });
  }

  /** Queue a blob id (sent on the next flush). */
  request(sha: string): void {
    if (sha === ZERO_OID || this.requested.has(sha)) return;
    this.requested.add(sha);
    this.queue += sha + '\n';
    if (this.queue.length > 16384) this.flush();
  }

  flush(): void {
    if (this.queue) this.proc.stdin.write(this.queue);
    this.queue = '';
  }

  async finish(): Promise<Record<string, BlobInfo>> {
    this.flush();
    this.proc.stdin.end();
    await this.done;
    return this.result;
  }

  private onData(chunk: Buffer): void {
    const b = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let pos = 0;
    while (pos < b.length) {
      if (this.remaining < 0) {
        const nl = b.indexOf(10, pos);
        if (nl < 0) break;
        // "<sha> <type> <size>" or "<name> missing"
        const sp1 = b.indexOf(32, pos);
        const sp2 = sp1 < 0 || sp1 > nl ? -1 : b.indexOf(32, sp1 + 1);
        const sha = b.toString('latin1', pos, sp1 < 0 || sp1 > nl ? nl : sp1);
        pos = nl + 1;
        if (sp2 < 0 || sp2 > nl) continue; // missing
        const isBlob = b[sp1 + 1] === 98 /* b */ && sp2 - sp1 - 1 === 4;
        const n = Number(b.toString('latin1', sp2 + 1, nl));
        const keep = isBlob && n <= MAX_POINTER_SIZE;
        if (isBlob && !keep) this.result[sha] = { lfs: false, size: n };
        if (keep && pos + n + 1 <= b.length) {
          // the whole small object is in this chunk: no copies
          const info = pointerInfo(b, pos, pos + n);
          this.result[sha] = info ?? { lfs: false, size: n };
          pos += n + 1;
          continue;
        }
        this.current = { sha, size: n, keep, parts: [] };
        this.remaining = n + 1;
      } else {
        const take = Math.min(this.remaining, b.length - pos);
        if (this.current!.keep) this.current!.parts.push(b.subarray(pos, pos + take));
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          const c = this.current!;
          if (c.keep) {
            const all = Buffer.concat(c.parts);
            this.result[c.sha] = pointerInfo(all, 0, c.size) ?? { lfs: false, size: c.size };
          }
          this.current = undefined;
          this.remaining = -1;
        }
      }
    }
    if (pos < b.length) this.pending = Buffer.from(b.subarray(pos));
  }
}

const POINTER_HEAD = Buffer.from('version https://git-lfs.github.com/spec/v1\n');
const OID_KEY = Buffer.from('\noid sha256:');
const SIZE_KEY = Buffer.from('\nsize ');

/** Fast path of parsePointer for blobs read in bulk (falls back to it for unusual pointers). */
function pointerInfo(b: Buffer, start: number, end: number): BlobInfo | undefined {
  if (end - start < 100 || b.compare(POINTER_HEAD, 0, POINTER_HEAD.length, start, start + POINTER_HEAD.length) !== 0) {
    if (b[start] !== 118 /* v */) return undefined;
    const p = parsePointer(b.subarray(start, end));
    return p ? { lfs: true, oid: p.oid, size: p.size } : undefined;
  }
  const o = b.indexOf(OID_KEY, start + POINTER_HEAD.length - 1);
  const z = b.indexOf(SIZE_KEY, start);
  if (o < 0 || z < 0 || o >= end || z >= end) return undefined;
  const oid = b.toString('latin1', o + OID_KEY.length, o + OID_KEY.length + 64);
  let ze = b.indexOf(10, z + SIZE_KEY.length);
  if (ze < 0 || ze > end) ze = end;
  const size = Number(b.toString('latin1', z + SIZE_KEY.length, ze));
  if (!/^[0-9a-f]{64}$/.test(oid) || !Number.isSafeInteger(size)) return undefined;
  return { lfs: true, oid, size };
}

/** Read blobs' pointer info (one cat-file process). Missing blobs are absent from the result. */
export async function readBlobInfos(git: Git, shas: string[]): Promise<Record<string, BlobInfo>> {
  if (!shas.length) return {};
  const r = new BlobReader(git);
  for (const s of shas) r.request(s);
  return r.finish();
}

/**
 * Several BlobReaders fed round-robin, started lazily: on a machine with spare cores the pointer
 * reads keep pace with `git log` (one cat-file process is a little slower than the log itself).
 */
class BlobReaderPool {
  private readonly readers: BlobReader[] = [];
  private next = 0;
  private readonly seen = new Set<string>();
  private readonly result: Record<string, BlobInfo> = {};
  constructor(
    private readonly git: Git,
    private readonly size: number,
  ) {}
  request(sha: string): void {
    if (sha === ZERO_OID || this.seen.has(sha)) return;
    this.seen.add(sha);
    const i = this.next++ % this.size;
    (this.readers[i] ??= new BlobReader(this.git, this.result)).request(sha);
  }
  flush(): void {
    for (const r of this.readers) r?.flush();
  }
  async finish(): Promise<Record<string, BlobInfo>> {
    await Promise.all(this.readers.filter(Boolean).map((r) => r.finish()));
    return this.result;
  }
}

function poolSize(): number {
  const n = os.cpus().length;
  return Math.max(1, Math.min(4, n - 2));
}

// ------------------------------------------------------------------------------------ log parser

/**
 * Incremental parser of `git log --raw -z --format=FORMAT` output. Emits each commit when the
 * next one starts (and at the end). Tokens are NUL-separated; a header token is \x1e…\x1d (FORMAT).
 */
class LogParser {
  private rest = '';
  private cur: RawCommit | undefined;
  private meta: { status: string; newMode: string; oldBlob: string; newBlob: string } | undefined;
  private paths: string[] = [];
  private want = 0;

  constructor(
    private readonly onCommit: (c: RawCommit) => void,
    private readonly onChange: (c: RawChange) => void,
  ) {}

  push(text: string): void {
    const s = this.rest + text;
    const toks = s.split('\0');
    this.rest = toks.pop()!;
    for (const t of toks) this.token(t);
  }

  end(): void {
    if (this.rest) this.token(this.rest);
    this.rest = '';
    this.flushCommit();
  }

  private flushCommit(): void {
    if (this.cur) this.onCommit(this.cur);
    this.cur = undefined;
  }

  private token(tok: string): void {
    if (this.want > 0) {
      this.paths.push(tok);
      if (--this.want === 0) {
        const m = this.meta!;
        const ch: RawChange =
          this.paths.length === 2
            ? { status: m.status, oldPath: this.paths[0], path: this.paths[1], oldBlob: m.oldBlob, newBlob: m.newBlob, newMode: m.newMode }
            : { status: m.status, path: this.paths[0], oldBlob: m.oldBlob, newBlob: m.newBlob, newMode: m.newMode };
        this.cur?.changes.push(ch);
        this.onChange(ch);
      }
      return;
    }
    const first = tok.charCodeAt(0) === 10 ? tok.charCodeAt(1) : tok.charCodeAt(0);
    if (first === 0x1e) {
      this.flushCommit();
      this.cur = { ...parseCommitHeader(tok), changes: [] };
      return;
    }
    const t = tok.charCodeAt(0) === 10 ? tok.slice(1) : tok;
    if (t.charCodeAt(0) === 58 /* ':' */) {
      // :oldmode newmode oldsha newsha STATUS
      const parts = t.slice(1).split(' ');
      const status = parts[4][0];
      this.meta = { status, newMode: parts[1], oldBlob: parts[2], newBlob: parts[3] };
      this.paths = [];
      this.want = status === 'R' || status === 'C' ? 2 : 1;
    }
  }
}

/**
 * One `git log` pass over `range` (e.g. 'HEAD' or 'OLD..NEW'); commits that touched a model path,
 * oldest first, plus the pointer info of their new blobs (read alongside, skipping `known` ones).
 */
export async function scanHistory(
  git: Git,
  range: string,
  isModel: (p: string) => boolean,
  known: Record<string, BlobInfo> = {},
  readers = poolSize(),
): Promise<{ commits: RawCommit[]; blobs: Record<string, BlobInfo> }> {
  const reader = new BlobReaderPool(git, readers);
  const commits: RawCommit[] = [];
  const relevant = (ch: RawChange) => isModel(ch.path) || (ch.oldPath !== undefined && isModel(ch.oldPath));
  const parser = new LogParser(
    (c) => {
      c.changes = c.changes.filter((ch) => ch.newMode !== '160000' && relevant(ch));
      if (c.changes.length) commits.push(c);
    },
    (ch) => {
      if (ch.newBlob !== ZERO_OID && !(ch.newBlob in known) && relevant(ch)) reader.request(ch.newBlob);
    },
  );
  const proc = git.spawn([
    '-c', 'log.showSignature=false', '-c', 'core.quotePath=false',
    'log', '--raw', '-z', '-M', '--no-abbrev', '--topo-order', '--no-color', '--no-ext-diff',
    `--format=${FORMAT}`, range, '--',
  ]);
  const decoder = new StringDecoder('utf8');
  let stderr = '';
  proc.stdin.end();
  let parseError: unknown;
  proc.stdout.on('data', (b: Buffer) => {
    if (parseError) return;
    try {
      parser.push(decoder.write(b));
      reader.flush();
    } catch (e) {
      parseError = e; // output we cannot read: stop git, report after it exits
      proc.kill();
    }
  });
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const code: number = await new Promise((resolve, reject) => {
    proc.on('error', (e) => reject(new RepoError('GIT_MISSING', `Cannot run git: ${e.message}`)));
    proc.on('close', (c) => resolve(c ?? 128));
  });
  if (!parseError) {
    parser.push(decoder.end());
    parser.end();
  }
  const blobs = await reader.finish();
  if (parseError) throw parseError;
  if (code !== 0) throw new RepoError('GIT_FAILED', `git log failed: ${stderr.trim()}`, stderr);
  return { commits: commits.reverse(), blobs };
}

// ------------------------------------------------------------------------------------ the store

// 3: records written by the parser of -2 could hold fields shifted by a \x1f in an author name
const CACHE_VERSION = 'modelver-history-3';
type EncodedChange = [string, string, string, string, string]; // status, path, oldPath, newBlob, newMode
type EncodedCommit = [string, string, string, string, string, string, string, EncodedChange[]];

function encodeCommit(c: RawCommit): EncodedCommit {
  return [
    c.hash,
    c.parents.join(' '),
    c.authorName,
    c.authorEmail,
    c.authorDate,
    c.committerDate,
    c.message,
    c.changes.map((ch) => [ch.status, ch.path, ch.oldPath ?? '', ch.newBlob, ch.newMode]),
  ];
}

function decodeCommit(e: EncodedCommit): RawCommit {
  return {
    hash: e[0],
    parents: e[1] ? e[1].split(' ') : [],
    authorName: e[2],
    authorEmail: e[3],
    authorDate: e[4],
    committerDate: e[5],
    message: e[6],
    changes: e[7].map(([status, p, oldPath, newBlob, newMode]) =>
      oldPath ? { status, path: p, oldPath, oldBlob: '', newBlob, newMode } : { status, path: p, oldBlob: '', newBlob, newMode },
    ),
  };
}

export interface HistoryStoreOptions {
  git: Git;
  /** `<git common dir>/model-versions` */
  cacheDir: string;
  key: string;
  isModel: (p: string) => boolean;
}

/**
 * Keeps the history index up to date with HEAD.
 * Disk format (JSON lines, append-only): {"k":"v1","key":…} first; then {"c":RawCommit} and
 * {"b":[sha,BlobInfo]} lines; a {"h":"<head>"} line closes each batch. Lines after the last
 * "h" line (a crash mid-append) are ignored.
 */
export class HistoryStore {
  private index: HistoryIndex | undefined;
  /** statistics of the last refresh, for benchmarks and logs */
  lastRefresh: { mode: 'memory' | 'disk' | 'incremental' | 'full' | 'empty'; newCommits: number; ms: number } | undefined;

  constructor(private readonly o: HistoryStoreOptions) {}

  cacheFile(): string {
    const h = crypto.createHash('sha1').update(this.o.key).digest('hex').slice(0, 12);
    return path.join(this.o.cacheDir, `history-${h}.jsonl`);
  }

  async head(): Promise<string | undefined> {
    const r = await this.o.git.run(['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { allowFail: true });
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  /** Drop the in-memory copy (the disk cache stays). */
  invalidate(): void {
    this.index = undefined;
  }

  private inflight: Promise<HistoryIndex> | undefined;

  /** The index at HEAD (concurrent callers share one refresh). */
  async get(): Promise<HistoryIndex> {
    if (this.inflight) return this.inflight;
    this.inflight = this.refresh();
    try {
      return await this.inflight;
    } finally {
      this.inflight = undefined;
    }
  }

  private async refresh(): Promise<HistoryIndex> {
    const t0 = Date.now();
    const head = await this.head();
    if (!head) {
      this.lastRefresh = { mode: 'empty', newCommits: 0, ms: Date.now() - t0 };
      return { key: this.o.key, head: '', commits: [], blobs: {} };
    }
    if (this.index && this.index.head === head) {
      this.lastRefresh = { mode: 'memory', newCommits: 0, ms: Date.now() - t0 };
      return this.index;
    }
    let idx = this.index ?? this.loadDisk();
    let mode: 'disk' | 'incremental' | 'full' = 'disk';
    let added = 0;
    if (!idx || idx.head !== head) {
      if (idx && (await this.o.git.ok(['merge-base', '--is-ancestor', idx.head, head]))) {
        const r = await scanHistory(this.o.git, `${idx.head}..${head}`, this.o.isModel, idx.blobs);
        idx = { key: idx.key, head, commits: idx.commits.concat(r.commits), blobs: Object.assign(idx.blobs, r.blobs) };
        this.append(idx, r.commits, r.blobs);
        mode = 'incremental';
        added = r.commits.length;
      } else {
        const r = await scanHistory(this.o.git, head, this.o.isModel);
        idx = { key: this.o.key, head, commits: r.commits, blobs: r.blobs };
        this.rewrite(idx);
        mode = 'full';
        added = r.commits.length;
      }
    }
    this.index = idx;
    this.lastRefresh = { mode, newCommits: added, ms: Date.now() - t0 };
    return idx;
  }

  private loadDisk(): HistoryIndex | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.cacheFile(), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const lines = text.split('\n');
      const first = JSON.parse(lines[0]) as { k: string; key: string };
      if (first.k !== CACHE_VERSION || first.key !== this.o.key) return undefined;
      const idx: HistoryIndex = { key: this.o.key, head: '', commits: [], blobs: {} };
      const seen = new Set<string>();
      let batchCommits: RawCommit[] = [];
      let batchBlobs: [string, string | null, number][] = [];
      for (let i = 1; i < lines.length; i++) {
        const l = lines[i];
        if (!l) continue;
        const j = JSON.parse(l) as { c?: EncodedCommit; b?: [string, string | null, number][]; h?: string };
        if (j.c) batchCommits.push(decodeCommit(j.c));
        else if (j.b) for (const x of j.b) batchBlobs.push(x);
        else if (j.h) {
          for (const c of batchCommits) {
            if (seen.has(c.hash)) continue; // two processes appended the same batch
            seen.add(c.hash);
            idx.commits.push(c);
          }
          for (const [sh, oid, size] of batchBlobs) idx.blobs[sh] = oid ? { lfs: true, oid, size } : { lfs: false, size };
          idx.head = j.h;
          batchCommits = [];
          batchBlobs = [];
        }
      }
      return idx.head ? idx : undefined;
    } catch {
      return undefined; // a torn or foreign file: rebuild
    }
  }

  private lines(commits: RawCommit[], blobs: Record<string, BlobInfo>, head: string): string {
    const out: string[] = [];
    for (const c of commits) out.push(JSON.stringify({ c: encodeCommit(c) }));
    const bl: [string, string | null, number][] = [];
    for (const [sh, b] of Object.entries(blobs)) bl.push([sh, b.lfs ? b.oid ?? null : null, b.size]);
    // blobs in lines of 1000
    for (let i = 0; i < bl.length; i += 1000) out.push(JSON.stringify({ b: bl.slice(i, i + 1000) }));
    out.push(JSON.stringify({ h: head }));
    return out.join('\n') + '\n';
  }

  private writes: Promise<void> = Promise.resolve();

  /** Cache writes happen after the caller has its answer (in order), off the latency path. */
  private later(fn: () => void): void {
    this.writes = this.writes.then(
      () =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            try {
              fn();
            } catch {
              /* a cache that cannot be written is only slower */
            }
            resolve();
          }),
        ),
    );
  }

  /** Wait for pending cache writes (tests, benchmarks). */
  flush(): Promise<void> {
    return this.writes;
  }

  /** The cache folder, created inside an existing git dir only (never recreates a deleted repository). */
  private ensureDir(): void {
    try {
      fs.mkdirSync(this.o.cacheDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }

  private rewrite(idx: HistoryIndex): void {
    this.later(() => {
      this.ensureDir();
      const file = this.cacheFile();
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ k: CACHE_VERSION, key: this.o.key }) + '\n' + this.lines(idx.commits, idx.blobs, idx.head));
      fs.renameSync(tmp, file);
    });
  }

  private append(full: HistoryIndex, commits: RawCommit[], blobs: Record<string, BlobInfo>): void {
    this.later(() => {
      const file = this.cacheFile();
      if (!fs.existsSync(file)) {
        this.ensureDir();
        fs.writeFileSync(file, JSON.stringify({ k: CACHE_VERSION, key: this.o.key }) + '\n' + this.lines(full.commits, full.blobs, full.head));
        return;
      }
      fs.appendFileSync(file, this.lines(commits, blobs, full.head));
    });
  }
}
