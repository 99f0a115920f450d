/**
 * The history index: ONE `git log --raw -M` pass gives every commit that touched a model, with the
 * blob ids; while its output streams in (parsed as bytes), the pointer blobs of the model paths are
 * fed to ONE `git cat-file --batch` process running alongside (the LFS oid and size). The result is
 * cached in memory and on disk (`<git common dir>/model-versions/history-<key>.jsonl`, see
 * HistoryStore) and refreshed incrementally with `git log OLD..NEW` when NEW only adds a straight
 * line of commits to OLD — a new commit costs O(new commits) of git work and an O(new) append to the
 * cache file. Pointer info is kept by blob id (a blob id names its content for good), so a full
 * rebuild after a rewrite reads no pointer twice.
 *
 * No pathspec is given to `git log`: with `:(glob)` pathspecs git simplifies history with a second
 * tree diff per commit and matches every entry (5× slower here). Paths are filtered in JS instead.
 */
import { nodeCrypto } from '../util/lazyNode';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RepoError } from './errors';
import { folderOfFile, folderOfIndex, isShardIndex } from './folders';
import type { Git } from './git';
import { MAX_POINTER_SIZE, parsePointer } from './lfs';

export interface RawChange {
  /** A, M, D, R, C, T (the first letter of git's status) */
  status: string;
  path: string;
  /** for R and C: the path before */
  oldPath?: string;
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
  /** oldest first; only commits that touched a model path, a sharded model's index or a file of its folder */
  commits: RawCommit[];
  blobs: Record<string, BlobInfo>;
  /**
   * The folder models (folders.ts) of this history: every folder that held a `*.safetensors.index.json`
   * in one of its commits. Not stored: read from the commits (foldersOf).
   */
  folders?: Set<string>;
}

/** The folder models the commits name: the folders of every index file in their changes. */
export function foldersOf(commits: readonly RawCommit[], into = new Set<string>()): Set<string> {
  for (const c of commits) {
    for (const ch of c.changes) {
      for (const p of [ch.path, ch.oldPath]) {
        const d = p === undefined ? undefined : folderOfIndex(p);
        if (d !== undefined) into.add(d);
      }
    }
  }
  return into;
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
  private readonly requested: Set<string> | undefined;
  /** the ids asked for, in order: cat-file answers in that order */
  private readonly order: string[] = [];
  private answered = 0;
  private queue = '';
  private pending: Buffer | undefined;
  /** bytes of the current object still to come (content + the LF after it); -1: reading a header */
  private remaining = -1;
  private current: { sha: string; size: number; keep: boolean; parts: Buffer[] } | undefined;
  private readonly done: Promise<void>;
  private stderr = '';
  private failure: RepoError | undefined;

  constructor(
    git: Git,
    /** results go here (several readers can share one object) */
    private readonly result: Record<string, BlobInfo> = {},
    /** false when the caller asks for each id once already */
    dedupe = true,
  ) {
    this.requested = dedupe ? new Set() : undefined;
    this.proc = git.spawn(['cat-file', '--batch', '--buffer']);
    this.proc.stdin.on('error', () => undefined);
    this.proc.stderr.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    this.proc.stdout.on('data', (b: Buffer) => {
      if (this.failure) return;
      try {
        this.onData(b);
      } catch (e) {
        this.failure = e instanceof RepoError ? e : new RepoError('GIT_FAILED', String(e));
        this.proc.kill();
      }
    });
    this.done = new Promise((resolve, reject) => {
      this.proc.on('error', (e) => reject(new RepoError('GIT_MISSING', `Cannot run git: ${e.message}`)));
      this.proc.on('close', (code) =>
        this.failure
          ? reject(this.failure)
          : code === 0
            ? resolve()
            : reject(new RepoError('GIT_FAILED', `git cat-file --batch failed: ${this.stderr.trim()}`, this.stderr)),
      );
    });
  }

  /** Queue a blob id (sent on the next flush). */
  request(sha: string): void {
    if (sha === ZERO_OID) return;
    if (this.requested) {
      if (this.requested.has(sha)) return;
      this.requested.add(sha);
    }
    this.order.push(sha);
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

  /**
   * cat-file's answers, on bytes: "<id> blob <size>\n<content>\n" or "<name> missing\n", in the order
   * asked. Each header is checked against the id asked for; pointer-sized blobs are parsed, larger
   * ones skipped without being held.
   */
  private onData(chunk: Buffer): void {
    const b = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let pos = 0;
    while (pos < b.length) {
      if (this.remaining < 0) {
        const nl = b.indexOf(10, pos);
        if (nl < 0) break;
        const sha = this.order[this.answered++];
        if (sha === undefined || !startsWithAscii(b, pos, nl, sha) || b[pos + sha.length] !== 32) {
          throw new RepoError('GIT_FAILED', `Unexpected \`git cat-file --batch\` output: ${JSON.stringify(b.toString('latin1', pos, Math.min(nl, pos + 120)))} (asked for ${sha}).`);
        }
        // "<sha> <type> <size>" or "<sha> missing"
        let t = pos + sha.length + 1;
        const isBlob = b[t] === 98 && b[t + 1] === 108 && b[t + 2] === 111 && b[t + 3] === 98 && b[t + 4] === 32; // "blob "
        pos = nl + 1;
        if (!isBlob) {
          // missing, or not a blob: a tree, a commit (a submodule) — its content, if any, is skipped
          const sp = b.lastIndexOf(32, nl);
          const n = sp > t ? digits(b, sp + 1, nl) : -1;
          if (n >= 0 && b.subarray(t, t + 7).toString('latin1') !== 'missing') {
            this.current = { sha, size: n, keep: false, parts: [] };
            this.remaining = n + 1;
          }
          continue;
        }
        t += 5;
        const n = digits(b, t, nl);
        if (n < 0) throw new RepoError('GIT_FAILED', `Unexpected \`git cat-file --batch\` size: ${JSON.stringify(b.toString('latin1', t, nl))}.`);
        const keep = n <= MAX_POINTER_SIZE;
        if (!keep) this.result[sha] = { lfs: false, size: n };
        if (keep && pos + n + 1 <= b.length) {
          // the whole small object is in this chunk: no copies
          this.result[sha] = pointerInfo(b, pos, pos + n) ?? { lfs: false, size: n };
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

/** Whether b[start..end) begins with the ASCII string s. */
function startsWithAscii(b: Buffer, start: number, end: number, s: string): boolean {
  if (end - start < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The decimal number in b[start..end), or -1 when it is not one (or too large to be exact). */
function digits(b: Buffer, start: number, end: number): number {
  if (start >= end || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Whether b[start..end) is lowercase hex. */
function isHex(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
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
  const oidAt = o + OID_KEY.length;
  let ze = z + SIZE_KEY.length;
  while (ze < end && b[ze] !== 10) ze++;
  const size = z < 0 || z >= end ? -1 : digits(b, z + SIZE_KEY.length, ze);
  if (o < 0 || o >= end || oidAt + 64 >= end || b[oidAt + 64] !== 10 || !isHex(b, oidAt, oidAt + 64) || size < 0) {
    const p = parsePointer(b.subarray(start, end)); // an unusual pointer, or none: the full parser decides
    return p ? { lfs: true, oid: p.oid, size: p.size } : undefined;
  }
  return { lfs: true, oid: b.toString('latin1', oidAt, oidAt + 64), size };
}

/**
 * A blob's pointer info from its bytes, as a scan records it (undefined when `content` is not the
 * whole blob of a pointer's size): for a blob read elsewhere, e.g. by a commit, so that no scan
 * reads it again (HistoryStore.learn).
 */
export function blobInfoOf(content: Buffer | undefined, size: number): BlobInfo | undefined {
  if (size > MAX_POINTER_SIZE) return { lfs: false, size };
  if (!content || content.length !== size) return undefined;
  return pointerInfo(content, 0, size) ?? { lfs: false, size };
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
    (this.readers[i] ??= new BlobReader(this.git, this.result, false)).request(sha);
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

/** Strings that repeat on every change, made once. */
const STATUS = new Map<number, string>([...'ACDMRTUX'].map((c) => [c.charCodeAt(0), c]));
const MODES = ['100644', '100755', '120000', '160000', '000000', '040000'];

/** The 6-digit mode at b[at..at+6) (one string per mode, not per change). */
function modeOf(b: Buffer, at: number): string {
  for (const m of MODES) if (startsWithAscii(b, at, at + 6, m)) return m;
  return b.toString('latin1', at, at + 6);
}

/**
 * Incremental parser of `git log --raw -z --format=FORMAT` output, on bytes: only the fields kept
 * become strings. Emits each commit when the next one starts (and at the end). Tokens are
 * NUL-separated; a header token is \x1e…\x1d (FORMAT), a change is ":modes blobs STATUS" and its
 * path(s). `onChange` sees each change as soon as it is read (to start reading its blob).
 */
export class LogParser {
  /** the start of a token whose end (NUL) has not come yet */
  private rest: Buffer[] = [];
  private cur: RawCommit | undefined;
  private status = '';
  private newMode = '';
  private newBlob = '';
  private oldPath: string | undefined;
  /** path tokens still expected for the current change (2 for R and C) */
  private want = 0;
  private readonly spaces = [0, 0, 0, 0];

  constructor(
    private readonly onCommit: (c: RawCommit) => void,
    private readonly onChange: (c: RawChange) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.rest.length && chunk.indexOf(0) < 0) {
      this.rest.push(chunk); // inside one long token: keep the pieces, join them once it ends
      return;
    }
    const b = this.rest.length ? Buffer.concat([...this.rest, chunk]) : chunk;
    this.rest = [];
    let pos = 0;
    for (;;) {
      const nul = b.indexOf(0, pos);
      if (nul < 0) break;
      this.token(b, pos, nul);
      pos = nul + 1;
    }
    if (pos < b.length) this.rest.push(Buffer.from(b.subarray(pos)));
  }

  end(): void {
    if (this.rest.length) {
      const b = Buffer.concat(this.rest);
      this.token(b, 0, b.length);
    }
    this.rest = [];
    this.flushCommit();
  }

  private flushCommit(): void {
    if (this.cur) this.onCommit(this.cur);
    this.cur = undefined;
  }

  private token(b: Buffer, start: number, end: number): void {
    if (this.want > 0) {
      const p = b.toString('utf8', start, end);
      if (--this.want > 0) {
        this.oldPath = p;
        return;
      }
      const ch: RawChange =
        this.oldPath !== undefined
          ? { status: this.status, oldPath: this.oldPath, path: p, newBlob: this.newBlob, newMode: this.newMode }
          : { status: this.status, path: p, newBlob: this.newBlob, newMode: this.newMode };
      this.cur?.changes.push(ch);
      this.onChange(ch);
      return;
    }
    if (b[start] === 10) start++;
    if (b[start] === 0x1e) {
      this.flushCommit();
      this.cur = { ...parseCommitHeaderBytes(b, start, end), changes: [] };
      return;
    }
    if (b[start] !== 58 /* ':' */) return; // nothing else is asked for; an empty token at the end
    // :oldmode newmode oldsha newsha STATUS[score]
    const sp: number[] = this.spaces;
    let k = 0;
    for (let i = start; i < end && k < 4; i++) if (b[i] === 32) sp[k++] = i;
    if (k < 4 || sp[3] + 1 >= end) throw badLog('a change line has fewer than five fields', b.toString('utf8', start, Math.min(end, start + 120)));
    const [s1, s2, s3, s4] = sp;
    const st = b[s4 + 1];
    this.newMode = s2 - s1 === 7 ? modeOf(b, s1 + 1) : b.toString('latin1', s1 + 1, s2);
    this.newBlob = b.toString('latin1', s3 + 1, s4);
    this.status = STATUS.get(st) ?? String.fromCharCode(st);
    this.oldPath = undefined;
    this.want = st === 82 /* R */ || st === 67 /* C */ ? 2 : 1;
  }
}

/** Whether b[start..end) is a full object id (40 or 64 lowercase hex digits). */
function isIdAt(b: Buffer, start: number, end: number): boolean {
  return (end - start === 40 || end - start === 64) && isHex(b, start, end);
}

/** Whether b[start..end) is empty or object ids separated by single spaces. */
function isIdListAt(b: Buffer, start: number, end: number): boolean {
  let at = start;
  while (at < end) {
    let e = at;
    while (e < end && b[e] !== 32) e++;
    if (!isIdAt(b, at, e) || (e < end && e + 1 >= end)) return false;
    at = e + 1;
  }
  return true;
}

/** parseCommitHeader on bytes (the token from \x1e to before the NUL). */
function parseCommitHeaderBytes(b: Buffer, start: number, end: number): Omit<RawCommit, 'changes'> {
  // hash, parents, name, email, dates: one line each; the message: up to the last \x1d
  const nl: number[] = [];
  let pos = start + 1;
  for (let i = 0; i < 6; i++) {
    const j = b.indexOf(10, pos);
    if (j < 0 || j >= end) return parseCommitHeader(b.toString('utf8', start, end)); // throws with the details
    nl.push(j);
    pos = j + 1;
  }
  const close = b.lastIndexOf(0x1d, end - 1);
  if (close < pos) return parseCommitHeader(b.toString('utf8', start, end));
  if (!isIdAt(b, start + 1, nl[0]) || !isIdListAt(b, nl[0] + 1, nl[1])) {
    throw badLog('a commit record has a malformed hash or parent list', b.toString('utf8', start, Math.min(end, start + 120)));
  }
  const hash = b.toString('latin1', start + 1, nl[0]);
  const parents = b.toString('latin1', nl[0] + 1, nl[1]);
  let mEnd = close;
  while (mEnd > pos && b[mEnd - 1] === 10) mEnd--;
  return {
    hash,
    parents: parents ? parents.split(' ') : [],
    authorName: b.toString('utf8', nl[1] + 1, nl[2]),
    authorEmail: b.toString('utf8', nl[2] + 1, nl[3]),
    authorDate: b.toString('latin1', nl[3] + 1, nl[4]),
    committerDate: b.toString('latin1', nl[4] + 1, nl[5]),
    message: b.toString('utf8', pos, mEnd),
  };
}

/** The `git log` arguments whose output LogParser reads. */
export function logArgs(range: string): string[] {
  return [
    '-c', 'log.showSignature=false', '-c', 'core.quotePath=false',
    'log', '--raw', '-z', '-M', '--no-abbrev', '--topo-order', '--no-color', '--no-ext-diff',
    `--format=${FORMAT}`, range, '--',
  ];
}

/**
 * One `git log` pass over `range` (e.g. 'HEAD' or 'OLD..NEW'); commits that touched a model path,
 * oldest first, plus the pointer info of their new blobs (read alongside, skipping `known` ones).
 *
 * Also kept: changes of sharded models' index files (`*.safetensors.index.json`) and of the files in
 * `folders` (the folder models known before the scan, see folders.ts). An index found in a folder not
 * in `folders` adds it (and is listed in `newFolders`): the changes of its other files in the commits
 * listed before it (newer ones) were not kept, so a caller that needs them scans again (scanFull).
 */
export async function scanHistory(
  git: Git,
  range: string,
  isModel: (p: string) => boolean,
  known: Record<string, BlobInfo> = {},
  readers = poolSize(),
  folders: Set<string> = new Set(),
): Promise<ScanResult> {
  const reader = new BlobReaderPool(git, readers);
  const commits: RawCommit[] = [];
  let merges = 0;
  let last: RawCommit | undefined;
  // isModel per path: a history names few paths, many times (and a glob match costs more than a lookup)
  const modelPath = new Map<string, boolean>();
  const isModelPath = (p: string): boolean => {
    let m = modelPath.get(p);
    if (m === undefined) modelPath.set(p, (m = isModel(p)));
    return m;
  };
  // per path too (cleared when a folder model is found)
  let kept = new Map<string, boolean>();
  const keep = (p: string): boolean => {
    let k = kept.get(p);
    if (k === undefined) kept.set(p, (k = isModelPath(p) || isShardIndex(p) || folderOfFile(p, folders) !== undefined));
    return k;
  };
  const relevant = (ch: RawChange) => ch.newMode !== '160000' && (keep(ch.path) || (ch.oldPath !== undefined && keep(ch.oldPath)));
  const newFolders: string[] = [];
  const parser = new LogParser(
    (c) => {
      if (c.parents.length > 1) merges++;
      last = c;
      // an index seen for the first time makes its folder a model: its files in this commit count too
      let found = false;
      for (const ch of c.changes) {
        if (kept.get(ch.path) === false) continue; // not an index (an index is always kept)
        const d = folderOfIndex(ch.path);
        if (d !== undefined && !folders.has(d)) {
          folders.add(d);
          newFolders.push(d);
          found = true;
          kept = new Map();
        }
      }
      if (found) for (const ch of c.changes) if (ch.newBlob !== ZERO_OID && !(ch.newBlob in known) && relevant(ch)) reader.request(ch.newBlob);
      let all = true;
      for (let i = 0; i < c.changes.length && all; i++) all = relevant(c.changes[i]);
      if (!all) c.changes = c.changes.filter(relevant);
      if (c.changes.length) commits.push(c);
    },
    (ch) => {
      if (ch.newBlob !== ZERO_OID && !(ch.newBlob in known) && relevant(ch)) reader.request(ch.newBlob);
    },
  );
  const proc = git.spawn(logArgs(range));
  let stderr = '';
  proc.stdin.end();
  let parseError: unknown;
  proc.stdout.on('data', (b: Buffer) => {
    if (parseError) return;
    try {
      parser.push(b);
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
  if (!parseError) parser.end();
  const blobs = await reader.finish();
  if (parseError) throw parseError;
  if (code !== 0) throw new RepoError('GIT_FAILED', `git log failed: ${stderr.trim()}`, stderr);
  return { commits: commits.reverse(), blobs, merges, last: last && { hash: last.hash, parents: last.parents }, newFolders };
}

/**
 * scanHistory of a whole history (`head`), complete for folder models: when the pass finds a folder
 * model not in `folders` (its index), the changes of that folder's other files in newer commits were
 * not kept, so it scans once more with the folder known (only when the history holds a folder model
 * that was not known; `folders` then holds every folder model of the history).
 */
export async function scanFull(
  git: Git,
  head: string,
  isModel: (p: string) => boolean,
  known: Record<string, BlobInfo> = {},
  folders: Set<string> = new Set(),
  readers = poolSize(),
): Promise<ScanResult> {
  const r = await scanHistory(git, head, isModel, known, readers, folders);
  if (!r.newFolders.length) return r;
  const again = await scanHistory(git, head, isModel, { ...known, ...r.blobs }, readers, folders);
  return { ...again, blobs: Object.assign(r.blobs, again.blobs), newFolders: r.newFolders };
}

/**
 * Whether a scan of `old..new` found a straight line of commits on top of `old` (no merge, the oldest
 * one a child of `old`): then `old` is an ancestor of `new`, and the full history's `--topo-order`
 * (reversed) is old's followed by these commits, so adding them to what was built for `old` gives
 * what a scan of `new` from nothing would.
 */
export function isLinearOn(r: ScanResult, old: string): boolean {
  return r.merges === 0 && r.last !== undefined && r.last.parents.length === 1 && r.last.parents[0] === old;
}

export interface ScanResult {
  /** commits that touched a model path, oldest first */
  commits: RawCommit[];
  /** pointer info of their new blobs (those not `known`) */
  blobs: Record<string, BlobInfo>;
  /** merge commits in the range (whether or not they touched a model) */
  merges: number;
  /** the last commit git listed (the oldest, for a straight line), whether or not it touched a model */
  last?: { hash: string; parents: string[] };
  /** folder models found in the range that were not in the scan's `folders` (folders.ts) */
  newFolders: string[];
}

// ------------------------------------------------------------------------------------ the store

// 4: one line per batch ([base head, head, commits, blobs]) in the shapes the code uses: JSON.parse makes them
// 5: the commits also hold the changes of folder models' files (folders.ts)
const CACHE_VERSION = 'modelver-history-5';
/**
 * One batch: the head it continues ('' for the first), the head it brings the index to, its commits
 * (RawCommit, oldest first), and the pointer info of their blobs (blob → BlobInfo).
 */
type EncodedBatch = [string, string, RawCommit[], Record<string, BlobInfo>];

/** The info of every blob the commits name, from `blobs` (which may hold more). */
function blobsOf(commits: readonly RawCommit[], blobs: Readonly<Record<string, BlobInfo>>): Record<string, BlobInfo> {
  const out: Record<string, BlobInfo> = {};
  for (const c of commits) {
    for (const ch of c.changes) {
      const b = blobs[ch.newBlob];
      if (b) out[ch.newBlob] = b;
    }
  }
  return out;
}

/** A batch line (one native JSON.stringify of the commits as they are). */
function batchLine(base: string, head: string, commits: readonly RawCommit[], blobs: Readonly<Record<string, BlobInfo>>): string {
  const b: EncodedBatch = [base, head, commits as RawCommit[], blobs];
  return JSON.stringify(b) + '\n';
}

const isStr = (x: unknown): x is string => typeof x === 'string';

/** Whether parsed JSON has the shape of a RawCommit (the cache file may be damaged or foreign). */
function isRawCommit(c: RawCommit): boolean {
  if (c === null || typeof c !== 'object' || !isStr(c.hash) || !Array.isArray(c.parents) || !Array.isArray(c.changes)) return false;
  if (!isStr(c.authorName) || !isStr(c.authorEmail) || !isStr(c.authorDate) || !isStr(c.committerDate) || !isStr(c.message)) return false;
  for (let i = 0; i < c.parents.length; i++) if (!isStr(c.parents[i])) return false;
  for (let i = 0; i < c.changes.length; i++) {
    const ch = c.changes[i];
    if (ch === null || typeof ch !== 'object' || !isStr(ch.status) || !isStr(ch.path) || !isStr(ch.newBlob) || !isStr(ch.newMode)) return false;
    if (ch.oldPath !== undefined && !isStr(ch.oldPath)) return false;
  }
  return true;
}

function isBlobTable(b: unknown): b is Record<string, BlobInfo> {
  return b !== null && typeof b === 'object' && !Array.isArray(b);
}

export interface HistoryStoreOptions {
  git: Git;
  /** `<git common dir>/model-versions` */
  cacheDir: string;
  key: string;
  isModel: (p: string) => boolean;
}

export type RefreshMode = 'memory' | 'disk' | 'incremental' | 'full' | 'empty';

/**
 * Keeps the history index up to date with HEAD.
 *
 * A refresh reads only the commits new since the last known head (`git log OLD..NEW`) when they
 * form a straight line on top of it: then the full scan's order (`--topo-order`, reversed) is the old
 * order followed by the new commits, and the incremental index equals a full rebuild. Otherwise — the
 * old head is not an ancestor (amend, rebase, reset, a switch to another branch) or the new commits
 * hold a merge (whose sides `--topo-order` may interleave differently) — it scans everything again,
 * reusing the pointer info of blobs it knows (a blob id names its content for good: no cat-file for them).
 *
 * An incremental refresh appends to the same HistoryIndex object (commits, blobs, head), so that the
 * versions built from it can be extended too; a full rebuild makes a new object.
 *
 * Disk format (`history-<key>.jsonl`): a header line {"k":CACHE_VERSION,"key":…}, then one JSON line
 * per batch, EncodedBatch. A batch applies only on top of the head it names; a line that does not
 * parse (a crash mid-append) or does not continue the head before it (two processes appending) ends
 * the readable part, and the next write rewrites the file instead of appending.
 */
export class HistoryStore {
  private index: HistoryIndex | undefined;
  /** statistics of the last refresh, for benchmarks and logs */
  lastRefresh: { mode: RefreshMode; newCommits: number; ms: number; /** pointer blobs read with cat-file */ blobsRead: number } | undefined;
  /** the file on disk has lines past what loadDisk could use: rewrite it rather than append */
  private rewriteNeeded = false;
  /** pointer info of blobs read elsewhere (learn()), for the next refresh */
  private learned: Record<string, BlobInfo> = {};

  constructor(private readonly o: HistoryStoreOptions) {}

  cacheFile(): string {
    const h = nodeCrypto().createHash('sha1').update(this.o.key).digest('hex').slice(0, 12);
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

  /**
   * Pointer info of blobs the caller has read (a commit reads its model's blob and the previous
   * one's): the next refresh takes them as known instead of asking `git cat-file` again. A blob id
   * names its content for good, so this is never stale.
   */
  learn(blobs: Record<string, BlobInfo>): void {
    Object.assign(this.learned, blobs);
  }

  /**
   * The index at HEAD (concurrent callers share one refresh). `head`: the commit HEAD is known to be
   * at (the caller just asked git, e.g. after committing), saving a `rev-parse`.
   */
  async get(head?: string): Promise<HistoryIndex> {
    if (this.inflight) return this.inflight;
    this.inflight = this.refresh(head);
    try {
      return await this.inflight;
    } finally {
      this.inflight = undefined;
    }
  }

  private async refresh(knownHead?: string): Promise<HistoryIndex> {
    const t0 = Date.now();
    const head = knownHead ?? (await this.head());
    const learned = this.learned;
    this.learned = {};
    if (!head) {
      this.lastRefresh = { mode: 'empty', newCommits: 0, ms: Date.now() - t0, blobsRead: 0 };
      return { key: this.o.key, head: '', commits: [], blobs: {}, folders: new Set() };
    }
    if (this.index && this.index.head === head) {
      this.lastRefresh = { mode: 'memory', newCommits: 0, ms: Date.now() - t0, blobsRead: 0 };
      return this.index;
    }
    const cached = this.index ?? this.loadDisk();
    let idx: HistoryIndex;
    let mode: RefreshMode = 'disk';
    let added = 0;
    let blobsRead = 0;
    if (cached && cached.head === head) {
      idx = cached;
    } else {
      const old = cached;
      // facts about immutable content: kept with the others (the disk cache writes those its commits use)
      if (old) Object.assign(old.blobs, learned);
      let incremental: ScanResult | undefined;
      if (old) {
        // no `merge-base --is-ancestor` first: the scan tells (one git process less per refresh)
        // a copy of the folder models: a new one found in the range makes this a full rebuild (scanFull)
        const r = await scanHistory(this.o.git, `${old.head}..${head}`, this.o.isModel, old.blobs, undefined, new Set(old.folders)).catch((e: unknown) => {
          if (e instanceof RepoError && e.code === 'GIT_FAILED') return undefined; // the old head is gone (gc after a rebase)
          throw e;
        });
        if (r) {
          blobsRead += Object.keys(r.blobs).length;
          if (isLinearOn(r, old.head) && !r.newFolders.length) incremental = r;
          else Object.assign(old.blobs, r.blobs); // facts about blobs, for the rebuild below
        }
      }
      if (old && incremental) {
        const base = old.head;
        for (const c of incremental.commits) old.commits.push(c);
        Object.assign(old.blobs, incremental.blobs);
        old.head = head;
        this.append(old, base, incremental.commits);
        idx = old;
        mode = 'incremental';
        added = incremental.commits.length;
      } else {
        // the folder models known (none new is found when they are all known: one pass)
        const folders = new Set(old?.folders);
        const known = old ? old.blobs : learned;
        const r = await scanFull(this.o.git, head, this.o.isModel, known, folders);
        blobsRead += Object.keys(r.blobs).length;
        // blob info is a fact about immutable content: the old map is kept (and may hold a few unused)
        idx = { key: this.o.key, head, commits: r.commits, blobs: Object.assign(known, r.blobs), folders: foldersOf(r.commits) };
        this.rewrite(idx, !old);
        mode = 'full';
        added = r.commits.length;
      }
    }
    this.index = idx;
    this.lastRefresh = { mode, newCommits: added, ms: Date.now() - t0, blobsRead };
    return idx;
  }

  private loadDisk(): HistoryIndex | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.cacheFile(), 'utf8');
    } catch {
      return undefined;
    }
    const idx: HistoryIndex = { key: this.o.key, head: '', commits: [], blobs: {}, folders: new Set() };
    let pos = text.indexOf('\n');
    try {
      const first = JSON.parse(text.slice(0, pos)) as { k: string; key: string };
      if (first.k !== CACHE_VERSION || first.key !== this.o.key) return undefined;
    } catch {
      return undefined; // a foreign file: rebuild
    }
    pos++;
    while (pos < text.length) {
      const end = text.indexOf('\n', pos);
      if (end < 0) break; // a torn last line
      let commits: RawCommit[];
      let head: string;
      try {
        const b = JSON.parse(text.slice(pos, end)) as EncodedBatch;
        if (!Array.isArray(b) || b.length !== 4 || b[0] !== idx.head || !isStr(b[1]) || !HASH.test(b[1]) || !Array.isArray(b[2]) || !isBlobTable(b[3])) break;
        commits = b[2];
        let ok = true;
        for (let i = 0; i < commits.length && ok; i++) ok = isRawCommit(commits[i]);
        if (!ok) break;
        // facts about immutable blobs: the first table becomes the index's
        if (idx.commits.length === 0 && !idx.head) idx.blobs = b[3];
        else Object.assign(idx.blobs, b[3]);
        head = b[1];
      } catch {
        break; // a torn or foreign line
      }
      if (!idx.head) idx.commits = commits;
      else for (const c of commits) idx.commits.push(c);
      idx.head = head;
      pos = end + 1;
    }
    if (pos < text.length) this.rewriteNeeded = true;
    foldersOf(idx.commits, idx.folders);
    return idx.head ? idx : undefined;
  }

  private header(): string {
    return JSON.stringify({ k: CACHE_VERSION, key: this.o.key }) + '\n';
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

  /**
   * Write the whole index as it is now (an incremental refresh may extend the object before the
   * write runs); `exact`: its blob map holds only the blobs its commits name (a scan from nothing).
   */
  private rewrite(idx: HistoryIndex, exact = false): void {
    const head = idx.head;
    const n = idx.commits.length;
    this.later(() => this.writeWhole(head, idx.commits.slice(0, n), exact && n === idx.commits.length ? idx.blobs : blobsOf(idx.commits.slice(0, n), idx.blobs)));
  }

  private writeWhole(head: string, commits: readonly RawCommit[], blobs: Readonly<Record<string, BlobInfo>>): void {
    this.ensureDir();
    const file = this.cacheFile();
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, this.header() + batchLine('', head, commits, blobs));
      fs.renameSync(tmp, file);
      this.rewriteNeeded = false;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Append the commits `base..idx.head` (or write the whole index when the file cannot take an append). */
  private append(idx: HistoryIndex, base: string, commits: readonly RawCommit[]): void {
    const head = idx.head;
    const n = idx.commits.length;
    this.later(() => {
      const file = this.cacheFile();
      if (this.rewriteNeeded || !fs.existsSync(file)) {
        const all = idx.commits.slice(0, n);
        this.writeWhole(head, all, blobsOf(all, idx.blobs));
        return;
      }
      fs.appendFileSync(file, batchLine(base, head, commits, blobsOf(commits, idx.blobs)));
    });
  }
}
