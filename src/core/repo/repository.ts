/**
 * ModelRepository: models, versions, commit, tag, alias, notes, restore, push/fetch — on plain
 * git + git-lfs, readable without us (see docs/storage.md).
 */
import { nodeCrypto } from '../util/lazyNode';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ALIAS_REF, ALIAS_TRAILER, KEEP_REF_PREFIX, readAliasLog, readAliasState, readAliasStateAt, writeAliasState } from './aliases';
import { faultPoint } from './fault';
import { cleanStaleFiles, indexLockInfo, removeIfSame } from './locks';
import { RepoError } from './errors';
import { Git } from './git';
import { gitFailure, networkGit, ProgressLines, withoutProgress, type TransferProgress } from './network';
import { blobInfoOf, HistoryStore, readBlobInfos, type BlobInfo, type HistoryIndex } from './history';
import { dirOf, folderOfFile, folderOfIndex, isFolderFileName, isShardIndex, manifestId } from './folders';
import { lfsDirOf, lfsNotConfigured, lfsObjectPath, MAX_POINTER_SIZE, lfsVersion, localLfsDir, parsePointer, sha256File, type LfsPointer } from './lfs';
import { catFileBatch, configValues, indexEntries, onPath, type BatchObject } from './gitBatch';
import { ModelFormatError } from '../formats/errors';
import { isReadableModelPath, readableFormatName } from '../formats/readable';
import type { ModelSummary } from '../formats/types';
import { isHdf5, isLfsPointer, isZip } from '../formats/sniff';
import { mergeDeep, NOTES_REF, readAllNotes, readNote, writeNote, type NotesDoc } from './notes';
import { DEFAULT_MODEL_PATTERNS, ModelMatcher } from './patterns';
import { appendRecord, appendTrailers, TRAILER } from './trailers';
import { lineageTrailers, resolveLineage, type LineageInput, type LineageRecorded } from './lineageRecord';
import type {
  AliasEntry,
  AliasEvent,
  AliasTarget,
  CommitResult,
  FolderFile,
  IndexLockInfo,
  ModelEntry,
  ModelHistory,
  ModelStatus,
  ModelVersion,
  ProgressFn,
  ReadResult,
  RestoreResult,
  TagInfo,
} from './types';
import { decoratedCommits, decorationOf, HistoryBuilder, type Decorations } from './versions';
import { aheadBehind, branchMatches, findBranch, historiesAt, lfsFetchHint, listBranchRefs, noSuchBranch, parseBranchSpec, sameModel, type BranchGroup, type BranchRef, type BranchShow } from './branches';

export interface OpenOptions {
  /** model file patterns (globs over repository paths); default DEFAULT_MODEL_PATTERNS */
  patterns?: string[];
  /** environment for every git process (PATH, identity, …); default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface CommitOptions {
  /** read the model (ONNX/Keras) to record Model-Params/Inputs/Outputs trailers; default true */
  summarize?: boolean;
  /** more trailers to record */
  trailers?: Record<string, string>;
  /** where this version came from: recorded as Model-Derived-From / Model-Dataset / Model-Code / Model-Train-Params trailers */
  lineage?: LineageInput;
  /**
   * commit a file in a format we read (.onnx, .h5, .hdf5, .keras) even though it does not parse
   * (otherwise refused with UNREADABLE_MODEL); the result then carries a warning
   */
  force?: boolean;
  /** remove `.git/index.lock` first when it is stale (its process is gone); a live lock is still refused */
  clearStaleLock?: boolean;
}

/** What push and fetch report while they run. */
export interface RemoteOptions {
  /** each chunk of git's (and git-lfs's) stderr, as it comes */
  onOutput?: (s: string) => void;
  /** git's progress (stage, percent, objects), from simple-git's progress events */
  onProgress?: (p: TransferProgress) => void;
}

export interface PushResult {
  remote: string;
  branch: string;
  refs: string[];
  output: string;
}

export interface FetchResult {
  remote: string;
  /** refs that changed here, with a word on how */
  updated: { ref: string; how: 'created' | 'fast-forward' | 'up-to-date' | 'local-ahead' }[];
  output: string;
}

/** A version spec: 'v3', '3', 3, 'latest', a tag, an alias, or a commit id (prefix). */
export type VersionSpec = string | number;

/**
 * Files at least this large are staged through our clean filter (lfsCleanFilter.ts) rather than git-lfs
 * where it gives the same result: git-lfs hashes at about a third of OpenSSL's speed and starts eight git
 * processes before it cleans a byte; our filter starts one Node process. Measured on 2 cores (modelver
 * commit, 7 interleaved runs, both ways): even at 1–3 MiB, ahead from about 10 MiB; below a few MiB
 * Node's start-up is most of the difference either way.
 */
export const OWN_CLEAN_MIN_BYTES = 4 * 1024 * 1024;

/** Largest model (bytes) whose weights are compared at commit time for the change record. */
export const CHANGE_WEIGHTS_MAX_BYTES = 256 * 1024 * 1024;

/** ModelFormatError codes that mean "these bytes are not a valid file of that format" (others: we cannot read a valid one). */
const DAMAGED = new Set(['EMPTY', 'TRUNCATED', 'NOT_A_MODEL', 'CORRUPT']);

/** git's pseudo-refs and the names that mean HEAD: never a tag or alias name. */
const PSEUDO_REF = /^(?:[A-Z][A-Z0-9_]*_HEAD|AUTO_MERGE|MERGE_AUTOSTASH|BISECT_EXPECTED_REV|NOTES_MERGE_PARTIAL|NOTES_MERGE_REF)$/;

const NAME_CHARS = /^[A-Za-z0-9._/+@=,-]+$/;
const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Find the repository containing a path (a file or a folder). */
async function toplevel(p: string, env: NodeJS.ProcessEnv): Promise<{ root: string; gitDir: string; commonDir: string }> {
  let dir = path.resolve(p);
  while (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const git = new Git(dir, env);
  const r = await git.run(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'], { allowFail: true });
  if (r.code !== 0) {
    if (/not a git repository/i.test(r.stderr)) {
      throw new RepoError('NOT_A_REPO', `${p} is not inside a git repository (run \`git init\` there first).`, r.stderr);
    }
    throw new RepoError('NOT_A_REPO', `Cannot find the git repository of ${p}: ${r.stderr.trim()}`, r.stderr);
  }
  const [root, gitDir, common] = r.stdout.toString('utf8').trim().split('\n');
  if (!root) throw new RepoError('NOT_A_REPO', `${p} is inside a bare repository or a .git folder, not a work tree.`);
  return { root, gitDir, commonDir: path.resolve(dir, common) };
}

/** A blob found by catFileBatch as blobAt describes it: its id, its size (the object's, for an LFS pointer) and the pointer. */
/** The pointer info (history.ts BlobInfo) of the blobs among `objects` whose bytes were read. */
function learnedBlobs(objects: (BatchObject | undefined)[]): Record<string, BlobInfo> {
  const out: Record<string, BlobInfo> = {};
  for (const o of objects) {
    if (o?.type !== 'blob' || !o.sha || o.size === undefined) continue;
    const info = blobInfoOf(o.content, o.size);
    if (info) out[o.sha] = info;
  }
  return out;
}

function blobOf(o: BatchObject): { blob: string; size: number; pointer?: LfsPointer } {
  const pointer = o.content ? parsePointer(o.content) : undefined;
  return { blob: o.sha!, size: pointer ? pointer.size : o.size!, ...(pointer ? { pointer } : {}) };
}

export class ModelRepository {
  readonly git: Git;
  readonly matcher: ModelMatcher;
  /** `<git common dir>/model-versions`: cache, backups, temporary indexes */
  readonly dataDir: string;
  private readonly store: HistoryStore;
  private readonly realRoot: string;
  private lfsDirCache: string | undefined;

  private constructor(
    readonly root: string,
    readonly gitDir: string,
    readonly commonDir: string,
    readonly env: NodeJS.ProcessEnv,
    patterns: string[],
  ) {
    this.git = new Git(root, env);
    this.matcher = new ModelMatcher(patterns);
    this.dataDir = path.join(commonDir, 'model-versions');
    this.store = new HistoryStore({ git: this.git, cacheDir: this.dataDir, key: this.matcher.key(), isModel: (p) => this.matcher.matches(p) });
    this.realRoot = fs.realpathSync(root);
  }

  /** The repository that contains `p` (a file or folder). */
  static async open(p: string, opts: OpenOptions = {}): Promise<ModelRepository> {
    const env = opts.env ?? process.env;
    const t = await toplevel(p, env);
    return new ModelRepository(t.root, t.gitDir, t.commonDir, env, opts.patterns ?? DEFAULT_MODEL_PATTERNS);
  }

  /**
   * The repositories of some folders (e.g. the workspace folders): each folder's own repository,
   * or, for a folder that is not in one, the repositories found up to `depth` levels below it.
   */
  static async discover(folders: string[], opts: OpenOptions & { depth?: number } = {}): Promise<ModelRepository[]> {
    const found = new Map<string, ModelRepository>();
    const visit = async (dir: string, depth: number): Promise<void> => {
      try {
        const r = await ModelRepository.open(dir, opts);
        if (!found.has(r.root)) found.set(r.root, r);
        return;
      } catch (e) {
        if (!(e instanceof RepoError) || e.code !== 'NOT_A_REPO') throw e;
      }
      if (depth <= 0) return;
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const d of entries) {
        if (d.isDirectory() && d.name !== 'node_modules' && !d.name.startsWith('.')) await visit(path.join(dir, d.name), depth - 1);
      }
    };
    for (const f of folders) await visit(f, opts.depth ?? 2);
    return [...found.values()];
  }

  // ---------------------------------------------------------------- paths and state

  /**
   * Repository-relative path (forward slashes) of a file given absolute, relative to the current
   * directory, or relative to the repository root.
   */
  rel(file: string): string {
    const candidates = path.isAbsolute(file) ? [file] : [path.resolve(process.cwd(), file), path.resolve(this.root, file)];
    for (const c of candidates) {
      const r = this.relIfInside(c);
      if (r !== undefined) return r;
    }
    throw new RepoError('OUTSIDE_REPO', `${file} is outside the repository ${this.root}.`);
  }

  private relIfInside(abs: string): string | undefined {
    let real = abs;
    let tail = '';
    // realpath of the nearest existing ancestor (the file itself may not exist)
    for (;;) {
      try {
        real = path.join(fs.realpathSync(real), tail);
        break;
      } catch {
        const up = path.dirname(real);
        if (up === real) return undefined;
        tail = path.join(path.basename(real), tail);
        real = up;
      }
    }
    const r = path.relative(this.realRoot, real);
    if (!r || r.startsWith('..') || path.isAbsolute(r)) return undefined;
    const posix = r.split(path.sep).join('/');
    if (posix === '.git' || posix.startsWith('.git/')) return undefined;
    return posix;
  }

  abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  private lfsChecked = false;

  /** `git lfs version`; throws RepoError('LFS_MISSING') with install instructions. */
  lfsVersion(): Promise<string> {
    return lfsVersion(this.git);
  }

  async head(): Promise<string | undefined> {
    return this.store.head();
  }

  async currentBranch(): Promise<string | undefined> {
    const r = await this.git.run(['symbolic-ref', '-q', '--short', 'HEAD'], { allowFail: true });
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  /** The raw history index (the one pass), refreshed to HEAD. */
  historyIndex(): Promise<HistoryIndex> {
    return this.store.get();
  }

  /** Wait until the history cache is written to disk (it is written after answers are returned). */
  flushCache(): Promise<void> {
    return this.store.flush();
  }

  /** Statistics of the last history refresh (memory / disk / incremental / full). */
  get lastRefresh() {
    return this.store.lastRefresh;
  }

  // ---------------------------------------------------------------- models and versions

  /**
   * Model files: those in HEAD or the index that match the patterns, plus untracked ones; and folder
   * models (folders.ts), each as one entry whose path is the folder (their files are not listed).
   */
  async listModels(): Promise<ModelEntry[]> {
    const head = await this.head();
    const entries = new Map<string, ModelEntry>();
    const builder = await this.builtHistories();
    const histories = builder.histories();
    const folders = new Set(builder.folderModels());
    const mk = (p: string): ModelEntry => ({
      path: p,
      absPath: this.abs(p),
      committed: false,
      lfs: false,
      untracked: false,
      staged: false,
      versionCount: histories.get(p)?.versions.length ?? 0,
      exists: fs.existsSync(this.abs(p)),
    });
    const ls = async (extra: string[]): Promise<string[]> =>
      (await this.git.run(['ls-files', '-z', ...extra, '--', ...this.matcher.pathspecs(), ':(glob)**/*.safetensors.index.json'])).stdout
        .toString('utf8')
        .split('\0')
        .filter((p) => p && (this.matcher.matches(p) || isShardIndex(p)));
    const [inHead, staged, untracked] = await Promise.all([
      head ? this.git.run(['ls-tree', '-r', '-z', '--full-tree', head]).then((r) => r.stdout.toString('utf8')) : Promise.resolve(''),
      ls([]),
      ls(['--others', '--exclude-standard']),
    ]);
    const blobs: [string, string][] = [];
    for (const rec of inHead.split('\0')) {
      if (!rec) continue;
      const tab = rec.indexOf('\t');
      const [, type, sha] = rec.slice(0, tab).split(' ');
      if (type === 'blob') blobs.push([rec.slice(tab + 1), sha]);
    }
    // a folder holding an index is a folder model (also one history does not know yet)
    const present = new Set<string>();
    for (const p of [...blobs.map((b) => b[0]), ...staged, ...untracked]) {
      const f = folderOfIndex(p);
      if (f !== undefined) {
        folders.add(f);
        present.add(f);
      }
    }
    const folderEntry = (f: string): ModelEntry => {
      let e = entries.get(f);
      if (!e) entries.set(f, (e = { ...mk(f), folder: true }));
      return e;
    };
    const mine = blobs.filter(([p]) => this.matcher.matches(p) || folderOfFile(p, folders) !== undefined);
    const infos = await readBlobInfos(this.git, [...new Set(mine.map((b) => b[1]))]);
    const shardsLfs = new Map<string, boolean>();
    for (const [p, sha] of mine) {
      const info = infos[sha];
      const f = folderOfFile(p, folders);
      if (f !== undefined) {
        const e = folderEntry(f);
        e.committed = true;
        e.headSize = (e.headSize ?? 0) + (info?.size ?? 0);
        // stored through Git LFS when every shard (file matching the patterns) is
        if (this.matcher.matches(p)) shardsLfs.set(f, (shardsLfs.get(f) ?? true) && !!info?.lfs);
        continue;
      }
      const e = mk(p);
      e.committed = true;
      e.lfs = !!info?.lfs;
      e.headOid = info?.oid;
      e.headSize = info?.size;
      entries.set(p, e);
    }
    for (const [f, lfs] of shardsLfs) folderEntry(f).lfs = lfs;
    for (const p of staged) {
      const f = folderOfFile(p, folders);
      if (f !== undefined) {
        const e = folderEntry(f);
        if (!e.committed) e.staged = true;
      } else if (!entries.has(p)) entries.set(p, { ...mk(p), staged: true });
    }
    for (const p of untracked) {
      const f = folderOfFile(p, folders);
      if (f !== undefined) {
        if (!entries.has(f) && present.has(f)) folderEntry(f).untracked = true;
      } else if (!entries.has(p)) entries.set(p, { ...mk(p), untracked: true });
    }
    return [...entries.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The versions built so far from `idx` (its first `count` commits); a refresh adds the commits after them. */
  private built: { idx: HistoryIndex; count: number; builder: HistoryBuilder } | undefined;

  /**
   * Every model's history, without tags/aliases/notes: shared and frozen (see HistoryBuilder), and
   * brought up to date with O(new commits) work — the store appends new commits to the same index.
   */
  /** `head`: the commit HEAD is known to be at (saves a `rev-parse`). */
  private async historiesRaw(head?: string): Promise<ReadonlyMap<string, ModelHistory>> {
    return (await this.builtHistoriesAtHead(head)).builder.histories();
  }

  private async builtHistories(): Promise<HistoryBuilder> {
    return (await this.builtHistoriesAtHead()).builder;
  }

  private async builtHistoriesAtHead(knownHead?: string): Promise<{ builder: HistoryBuilder; head: string }> {
    const idx = await this.store.get(knownHead);
    let b = this.built;
    if (!b || b.idx !== idx || b.count > idx.commits.length) {
      b = this.built = { idx, count: 0, builder: new HistoryBuilder((p) => this.matcher.matches(p)) };
    }
    if (b.count < idx.commits.length) {
      b.builder.add(idx.commits, idx.blobs, b.count);
      b.count = idx.commits.length;
    }
    return { builder: b.builder, head: idx.head };
  }

  /** Tags, aliases and notes: what `histories()` attaches to versions. */
  async decorations(): Promise<Decorations> {
    // the alias and notes refs are looked up with the tags (one git process where neither exists)
    const { tags, refs } = await this.refsWithTags([ALIAS_REF, NOTES_REF]);
    const [aliases, notes] = await Promise.all([readAliasState(this.git, refs.get(ALIAS_REF) ?? null), refs.has(NOTES_REF) ? readAllNotes(this.git) : new Map<string, NotesDoc>()]);
    const tagsByCommit = new Map<string, TagInfo[]>();
    for (const t of tags) {
      const l = tagsByCommit.get(t.commit) ?? [];
      l.push(t);
      tagsByCommit.set(t.commit, l);
    }
    return { tagsByCommit, aliases: aliases.state.aliases, notes };
  }

  /**
   * Every model's history (keyed by current path), with tags, aliases and notes attached. Shared and
   * frozen, like historiesRaw: only the versions that carry a tag, an alias or metadata are copies
   * (and the histories holding them), so the work grows with those, not with the history.
   */
  async histories(): Promise<Map<string, ModelHistory>> {
    return (await this.historiesAtHead()).histories;
  }

  /** histories(), with the commit they are the histories of ('' when there is no commit yet); `decorations` when read already. */
  async historiesAtHead(decorations?: Decorations): Promise<{ head: string; histories: Map<string, ModelHistory> }> {
    const [{ builder, head }, d] = await Promise.all([this.builtHistoriesAtHead(), decorations ?? this.decorations()]);
    const base = builder.histories();
    /** per history: version index → what to attach */
    const marks = new Map<ModelHistory, Map<number, NonNullable<ReturnType<typeof decorationOf>>>>();
    for (const commit of decoratedCommits(d)) {
      for (const [h, i] of builder.versionsAt(commit)) {
        const x = decorationOf(d, h, h.versions[i]);
        if (!x) continue;
        let m = marks.get(h);
        if (!m) marks.set(h, (m = new Map()));
        m.set(i, x);
      }
    }
    const out = new Map<string, ModelHistory>();
    for (const [k, h] of base) {
      const m = marks.get(h);
      if (!m) {
        out.set(k, h);
        continue;
      }
      const versions = h.versions.slice();
      for (const [i, x] of m) versions[i] = Object.freeze({ ...versions[i], ...x });
      out.set(k, Object.freeze({ ...h, versions: Object.freeze(versions) as ModelVersion[] }));
    }
    return { head, histories: out };
  }

  /** One model's history (by any of its paths). Throws NO_SUCH_MODEL. */
  async history(model: string): Promise<ModelHistory> {
    const rel = this.rel(model);
    const all = await this.histories();
    // a file of a folder model (its index, a shard …) names the folder
    const inFolder = (): ModelHistory | undefined => {
      const d = dirOf(rel);
      const h = d ? all.get(d) : undefined;
      return h?.versions[0]?.files && isFolderFileName(rel.slice(d.length + 1)) ? h : undefined;
    };
    const found = all.get(rel) ?? [...all.values()].find((h) => h.paths.includes(rel)) ?? inFolder();
    if (!found) {
      throw new RepoError('NO_SUCH_MODEL', `${rel} has no committed versions yet (commit it with \`modelver commit ${rel} -m "…"\`).`);
    }
    return found;
  }

  /** The versions of one model, or of every model (sorted by model, then version). */
  async versions(model?: string): Promise<ModelVersion[]> {
    if (model !== undefined) return (await this.history(model)).versions;
    const all = await this.histories();
    return [...all.values()].sort((a, b) => a.path.localeCompare(b.path)).flatMap((h) => h.versions);
  }

  /**
   * Resolve 'v3', 3, 'latest', 'latest~N', a tag, an alias, a branch or remote-tracking branch
   * ('experiment', 'origin/main', 'experiment~1': the version before that branch's latest one of this
   * model) or a commit id to a version of the model. A name is looked up in this order: alias, tag,
   * local branch, remote-tracking branch, commit id (git's own order puts tags before branches too);
   * `refs/tags/…`, `refs/heads/…` and `refs/remotes/…` name one kind only.
   */
  async resolveVersion(model: string, spec: VersionSpec = 'latest'): Promise<ModelVersion> {
    const s0 = String(spec).trim();
    const s = s0.startsWith('refs/tags/') ? s0.slice('refs/tags/'.length) : s0;
    const explicitTag = s !== s0;
    let h: ModelHistory;
    try {
      h = await this.history(model);
    } catch (e) {
      // a model that only another branch has (`new.onnx@experiment`)
      const b = e instanceof RepoError && e.code === 'NO_SUCH_MODEL' ? parseBranchSpec(s0) : undefined;
      const ref = b && (await findBranch(this.git, b.name));
      if (!b || !ref) throw e;
      const rel = this.rel(model);
      return this.versionOnBranch({ path: rel, paths: [rel], deleted: true, versions: [] }, ref, b.back);
    }
    const vs = h.versions;
    const fail = (): never => {
      throw new RepoError(
        'NO_SUCH_VERSION',
        `${h.path} has no version '${s0}' (it has v1..v${vs.length}; a version is vN, latest~N, a tag, an alias, a branch (name, name~N, remote/name) or a commit id).`,
      );
    };
    if (s === 'latest' || s === 'HEAD') return vs[vs.length - 1];
    const back = explicitTag ? null : /^(?:latest|HEAD)~(\d*)$/.exec(s);
    if (back) {
      const n = back[1] === '' ? 1 : Number(back[1]);
      return vs[vs.length - 1 - n] ?? fail();
    }
    const m = explicitTag ? null : /^v?(\d+)$/i.exec(s);
    if (m && (s.toLowerCase().startsWith('v') || s.length < 7)) {
      const n = Number(m[1]);
      return vs[n - 1] ?? fail();
    }
    const byAlias = explicitTag ? undefined : vs.find((v) => v.aliases.includes(s));
    if (byAlias) return byAlias;
    const byTag = vs.find((v) => v.tags.some((t) => t.name === s));
    if (byTag) return byTag;
    // an alias or a tag on a commit outside the current branch's history (another branch, a detached HEAD)
    const { state } = await readAliasState(this.git);
    const aliased = explicitTag ? undefined : h.paths.map((p) => state.aliases[p]?.[s]).find(Boolean);
    const tagged = aliased ? undefined : (await this.listTags()).find((t) => t.name === s);
    const target = aliased?.commit ?? tagged?.commit;
    if (target) {
      const v = await this.versionAt(h, target);
      if (v) return v;
      const what = aliased ? `The alias '${s}' of ${h.path}` : `The tag '${s}'`;
      if (!(await this.git.ok(['cat-file', '-e', `${target}^{commit}`]))) {
        throw new RepoError(
          'NO_SUCH_VERSION',
          `${what} points at ${target.slice(0, 7)}, which is not in this clone: \`git gc\` deleted it (before aliased commits were kept by refs/model-versions/keep/), or it was not fetched (\`modelver fetch\`).`,
        );
      }
      throw new RepoError('NO_SUCH_VERSION', `${what} points at ${target.slice(0, 7)}, where ${h.path} has no version.`);
    }
    if (explicitTag) throw new RepoError('NO_SUCH_VERSION', `There is no tag '${s}'.`);
    // a branch or a remote-tracking branch (after aliases and tags)
    const bs = parseBranchSpec(s);
    if (bs) {
      const ref = await findBranch(this.git, bs.name);
      if (ref) return this.versionOnBranch(h, ref, bs.back);
      if (bs.back || s.startsWith('refs/') || s.includes('/')) throw noSuchBranch(h.path, s, await listBranchRefs(this.git, true));
    }
    if (/^[0-9a-f]{4,40}$/i.test(s)) {
      const hits = vs.filter((v) => v.commit.startsWith(s.toLowerCase()));
      if (hits.length === 1) return hits[0];
      if (hits.length > 1) throw new RepoError('NO_SUCH_VERSION', `Commit id '${s}' is ambiguous; give more digits.`);
      // a commit that is not itself a version: the version current at that commit
      const r = await this.git.run(['rev-parse', '-q', '--verify', `${s}^{commit}`], { allowFail: true });
      if (r.code === 0) {
        const v = await this.versionAt(h, r.stdout.toString('utf8').trim());
        if (v) return v;
      }
      return fail();
    }
    throw noSuchBranch(h.path, s, await listBranchRefs(this.git, true));
  }

  /** Every model's history as of a commit outside HEAD's line (cached per commit: branch tips are asked for again and again). */
  private readonly atCommitCache = new Map<string, Promise<ReadonlyMap<string, ModelHistory>>>();
  private async historiesAtCommit(commit: string): Promise<ReadonlyMap<string, ModelHistory>> {
    let p = this.atCommitCache.get(commit);
    if (!p) {
      const idx = await this.store.get();
      p = historiesAt(this.git, commit, (x) => this.matcher.matches(x), idx.blobs, this.matcher.key());
      p.catch(() => this.atCommitCache.delete(commit));
      if (this.atCommitCache.size >= 32) this.atCommitCache.delete(this.atCommitCache.keys().next().value as string);
      this.atCommitCache.set(commit, p);
    }
    return p;
  }

  /** A version of another branch with its tags and aliases, marked as outside the current history. */
  private decorateOutside(h: ModelHistory, v: ModelVersion, d: Decorations, branch?: string): ModelVersion {
    const x = decorationOf(d, h, v);
    return Object.freeze({
      ...v,
      model: h.path,
      tags: x?.tags ?? [],
      aliases: x?.aliases ?? [],
      ...(x?.metadata ? { metadata: x.metadata } : {}),
      outsideHistory: true,
      ...(branch ? { branch } : {}),
    });
  }

  /** The model's version `back` versions before its latest on a branch (numbered in the branch's history). */
  private async versionOnBranch(h: ModelHistory, ref: BranchRef, back: number): Promise<ModelVersion> {
    const head = await this.head();
    const there = ref.tip === head ? h : sameModel(await this.historiesAtCommit(ref.tip), h.paths);
    const vs = there?.versions ?? [];
    if (!vs.length) throw new RepoError('NO_SUCH_VERSION', `${h.path} has no version on ${ref.remote ? 'the remote-tracking branch' : 'the branch'} ${ref.name}.`);
    const v = vs[vs.length - 1 - back];
    if (!v) {
      throw new RepoError(
        'NO_SUCH_VERSION',
        `${h.path} has ${vs.length} version${vs.length === 1 ? '' : 's'} on ${ref.name}: ${ref.name}~${back} would be the ${back + 1}th newest (${ref.name}~${vs.length - 1} is the oldest).`,
      );
    }
    const inHistory = h.versions.find((x) => x.commit === v.commit);
    if (inHistory) return inHistory;
    return this.decorateOutside(h, v, await this.decorations(), ref.name);
  }

  /**
   * Per branch (other than the current one), the versions of each model that the current branch does
   * not have, with ahead/behind counts. `show`: which branches ('none' gives none); `patterns`: only
   * branches whose short name matches one (`*`, `**`); `names`: exactly these branches (each must
   * exist). A branch with no commit HEAD lacks costs one `git rev-list`; one with some, one `git log` pass
   * (cached per tip).
   */
  async branchGroups(opts: { show?: BranchShow; patterns?: string[]; names?: string[] } = {}): Promise<BranchGroup[]> {
    let refs: BranchRef[];
    if (opts.names?.length) {
      refs = [];
      for (const n of opts.names) {
        const r = await findBranch(this.git, n);
        if (!r) {
          const all = await listBranchRefs(this.git, true);
          throw new RepoError('NOT_FOUND', `There is no branch '${n}'${all.length ? ` (branches: ${all.map((b) => b.name).slice(0, 12).join(', ')})` : ''}. A remote branch is named <remote>/<branch> after \`git fetch\`.`);
        }
        if (!refs.some((x) => x.ref === r.ref)) refs.push(r);
      }
    } else {
      const show = opts.show ?? 'local';
      if (show === 'none') return [];
      // one for-each-ref, which also marks the branch checked out: a repository with one branch costs no more
      refs = (await listBranchRefs(this.git, show === 'local and remote')).filter(
        (b) => !b.current && (!opts.patterns?.length || opts.patterns.some((p) => branchMatches(b.name, p))),
      );
    }
    if (!refs.length) return [];
    const head = await this.head();
    // what the versions are compared with: read once, and only when a branch has commits HEAD lacks
    let mine: Promise<{ onHead: Set<string>; histories: ReadonlyMap<string, ModelHistory>; d: Decorations }> | undefined;
    const out: BranchGroup[] = [];
    for (const ref of refs) {
      const { ahead, behind } = ref.tip === head ? { ahead: 0, behind: 0 } : await aheadBehind(this.git, head, ref.tip);
      const g: BranchGroup = { ...ref, ahead, behind, models: [] };
      out.push(g);
      if (!ahead) continue; // everything on it is on HEAD's line too
      mine ??= Promise.all([this.store.get(), this.histories(), this.decorations()]).then(([idx, histories, d]) => ({ onHead: new Set(idx.commits.map((c) => c.hash)), histories, d }));
      const { onHead, histories, d } = await mine;
      for (const [p, bh] of await this.historiesAtCommit(ref.tip)) {
        const only = bh.versions.filter((v) => !onHead.has(v.commit));
        if (!only.length) continue;
        const cur = sameModel(histories, bh.paths) ?? { ...bh, path: p };
        g.models.push({ model: cur.path, pathOnBranch: p, total: bh.versions.length, versions: only.map((v) => this.decorateOutside(cur, v, d, ref.name)) });
      }
      g.models.sort((a, b) => a.model.localeCompare(b.model));
    }
    return out;
  }

  /** The model's version at a commit: the one it made, or the one current at it (in or outside HEAD's history). */
  private async versionAt(h: ModelHistory, c: string): Promise<ModelVersion | undefined> {
    const vs = h.versions;
    const hit = vs.find((v) => v.commit === c);
    if (hit) return hit;
    const head = await this.head();
    if (head && (await this.git.ok(['merge-base', '--is-ancestor', c, head]))) {
      for (let i = vs.length - 1; i >= 0; i--) if (await this.git.ok(['merge-base', '--is-ancestor', vs[i].commit, c])) return vs[i];
      return undefined;
    }
    return this.versionAtCommit(h, c);
  }

  /**
   * The model's version at a commit outside the current branch's history (the version that commit
   * made, or the one current at it), numbered in that commit's own history; undefined when the
   * commit is not in this clone or the model has no version there.
   */
  private async versionAtCommit(h: ModelHistory, commit: string): Promise<ModelVersion | undefined> {
    if (!(await this.git.ok(['cat-file', '-e', `${commit}^{commit}`]))) return undefined;
    const line = sameModel(await this.historiesAtCommit(commit), h.paths);
    if (!line?.versions.length) return undefined;
    const v = line.versions.find((x) => x.commit === commit) ?? line.versions[line.versions.length - 1];
    const inHistory = h.versions.find((x) => x.commit === v.commit);
    if (inHistory) return inHistory;
    const [tags, { state }] = await Promise.all([this.listTags(), readAliasState(this.git)]);
    const aliases = h.paths.flatMap((p) => Object.entries(state.aliases[p] ?? {}).filter(([, t]) => t.commit === v.commit).map(([n]) => n));
    return { ...v, model: h.path, tags: tags.filter((t) => t.commit === v.commit), aliases, outsideHistory: true };
  }

  // ---------------------------------------------------------------- commit

  /**
   * How to stage a file through lfsCleanFilter.js (`git -c filter.lfs.process=… add`) instead of
   * git-lfs, when that gives exactly what git-lfs gives: the standard git-lfs filter configuration, no
   * LFS extensions, no core.sharedRepository (object file modes), a file larger than a pointer, not on
   * Windows, and the script beside this module. Used from OWN_CLEAN_MIN_BYTES on (below, starting Node
   * costs more than git-lfs's slower hashing); the environment variable MODELVER_CLEAN_FILTER=git-lfs
   * turns it off, =own uses it at any size (tests). `config`: the values of filter.lfs.*, lfs.extension.*
   * and core.sharedRepository.
   */
  private ownCleanFilter(size: number, config: Map<string, string[]>, lfsDir: string): { args: string[]; env: NodeJS.ProcessEnv } | undefined {
    const mode = this.env.MODELVER_CLEAN_FILTER;
    if (mode === 'git-lfs' || (mode !== 'own' && size < OWN_CLEAN_MIN_BYTES)) return undefined;
    if (process.platform === 'win32' || size <= MAX_POINTER_SIZE) return undefined;
    const last = (k: string) => config.get(k)?.at(-1);
    if (last('filter.lfs.process') !== 'git-lfs filter-process' || last('filter.lfs.clean') !== 'git-lfs clean -- %f') return undefined;
    if (config.has('core.sharedrepository') || [...config.keys()].some((k) => k.startsWith('lfs.extension.'))) return undefined;
    const script = path.join(__dirname, 'lfsCleanFilter.js');
    if (!fs.existsSync(script)) return undefined;
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`; // for the sh that git runs the filter with
    return {
      args: ['-c', `filter.lfs.process=${quote(process.execPath)} ${quote(script)}`, '-c', 'filter.lfs.required=true'],
      env: { MODELVER_LFS_DIR: path.resolve(lfsDir), ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
    };
  }

  /** Refuse when a commit now would be wrong (merge/rebase in progress, index locked); conflicts: see commitModel. */
  private async checkCommitFiles(rel: string, clearStaleLock = false): Promise<void> {
    const g = (f: string) => fs.existsSync(path.join(this.gitDir, f));
    if (g('MERGE_HEAD')) {
      throw new RepoError(
        'MERGE_IN_PROGRESS',
        'A merge is in progress: finish it (`git commit`) or abort it (`git merge --abort`) before committing a model version.',
      );
    }
    if (g('rebase-merge') || g('rebase-apply')) {
      throw new RepoError(
        'REBASE_IN_PROGRESS',
        'A rebase is in progress: finish it (`git rebase --continue`) or abort it (`git rebase --abort`) before committing a model version.',
      );
    }
    if (g('CHERRY_PICK_HEAD') || g('REVERT_HEAD')) {
      throw new RepoError(
        'OPERATION_IN_PROGRESS',
        'A cherry-pick or revert is in progress: finish or abort it (`git cherry-pick --abort` / `git revert --abort`) first.',
      );
    }
    if (g('index.lock')) {
      if (clearStaleLock) await this.clearStaleIndexLock();
      else {
        const lock = await this.indexLock();
        if (lock) {
          throw new RepoError(
            'INDEX_LOCKED',
            lock.stale
              ? `${lock.path} blocks the commit, and ${lock.reason}. Run the command again with --clear-stale-lock ` +
                  `(\`modelver commit ${rel} -m … --clear-stale-lock\`) to remove it, or delete that file; nothing was committed.`
              : `${lock.path} blocks the commit: ${lock.reason}. Nothing was committed. If no git process is running, ` +
                  `remove that file (--clear-stale-lock does it once it is a few seconds old).`,
          );
        }
      }
    }
  }

  /**
   * git-lfs installed (found on PATH without starting a process; else \`git lfs version\` decides and
   * says how to install it) and its filters configured (\`config\`: the values of filter.lfs.*).
   */
  private async checkLfsInstalled(config: Map<string, string[]>): Promise<void> {
    if (this.lfsChecked) return;
    if (!onPath('git-lfs', this.env)) await lfsVersion(this.git);
    if (!config.get('filter.lfs.clean')?.at(-1)?.trim()) throw lfsNotConfigured();
    this.lfsChecked = true;
  }

  /**
   * `<git dir>/index.lock`, when there is one: its age, the git processes working in this
   * repository, and whether it is stale (no such process, at least a few seconds old).
   */
  async indexLock(): Promise<IndexLockInfo | undefined> {
    return indexLockInfo(this.gitDir, [this.root, this.gitDir, this.commonDir]);
  }

  /**
   * Remove a stale `<git dir>/index.lock` (left by a git process that was killed). Refuses with
   * INDEX_LOCKED, removing nothing, while a git process works in this repository or the lock is
   * only seconds old. Returns what was removed (undefined: there was no lock).
   */
  async clearStaleIndexLock(): Promise<IndexLockInfo | undefined> {
    const file = path.join(this.gitDir, 'index.lock');
    let before: fs.Stats;
    try {
      before = fs.statSync(file);
    } catch {
      return undefined;
    }
    const info = await this.indexLock();
    if (!info) return undefined;
    if (!info.stale) throw new RepoError('INDEX_LOCKED', `Not removing ${info.path}: ${info.reason}.`);
    if (!removeIfSame(info, before)) {
      if (fs.existsSync(file)) throw new RepoError('INDEX_LOCKED', `Not removing ${info.path}: a git process took it again meanwhile; try again when it is done.`);
    }
    return info;
  }

  /** The blob at `<rev>:<path>` and its LFS pointer, if it is one. */
  private async blobAt(rev: string, rel: string): Promise<{ blob: string; size: number; pointer?: LfsPointer } | undefined> {
    const r = await this.git.run(['rev-parse', '-q', '--verify', `${rev}:${rel}`], { allowFail: true });
    if (r.code !== 0) return undefined;
    const blob = r.stdout.toString('utf8').trim();
    const info = (await readBlobInfos(this.git, [blob]))[blob];
    if (!info) return undefined;
    return { blob, size: info.size, pointer: info.lfs && info.oid ? { oid: info.oid, size: info.size } : undefined };
  }

  private async isLfsTracked(rel: string, env?: NodeJS.ProcessEnv, cached = false): Promise<boolean> {
    const args = ['check-attr', '-z', ...(cached ? ['--cached'] : []), 'filter', '--', rel];
    const out = (await this.git.run(args, { env })).stdout.toString('utf8').split('\0');
    return out[2] === 'lfs';
  }

  private lfsRule(rel: string): string {
    const base = rel.split('/').pop()!;
    const ext = path.extname(base);
    const pattern = ext && /^\.[A-Za-z0-9_+-]+$/.test(ext) ? `*${ext}` : '/' + rel.replace(/[^A-Za-z0-9._/+-]/g, '?');
    return `${pattern} filter=lfs diff=lfs merge=lfs -text`;
  }

  private async indexBlob(rel: string, env?: NodeJS.ProcessEnv): Promise<{ mode: string; blob: string } | undefined> {
    const out = (await this.git.run(['ls-files', '-s', '-z', '--', `:(literal)${rel}`], { env })).stdout.toString('utf8');
    const first = out.split('\0')[0];
    if (!first) return undefined;
    const [mode, blob] = first.split('\t')[0].split(' ');
    return { mode, blob };
  }

  private async hashText(text: string): Promise<string> {
    return (await this.git.run(['hash-object', '-w', '--no-filters', '--stdin'], { input: text })).stdout.toString('utf8').trim();
  }

  private async catBlob(spec: string, env?: NodeJS.ProcessEnv): Promise<string> {
    const r = await this.git.run(['cat-file', 'blob', spec], { env, allowFail: true });
    return r.code === 0 ? r.stdout.toString('utf8') : '';
  }

  /** `<git common dir>/model-versions/tmp`: our temporary files, never in the working tree. */
  private tmpDir(): string {
    const dir = path.join(this.dataDir, 'tmp');
    for (const d of [this.dataDir, dir]) {
      try {
        fs.mkdirSync(d); // not recursive: never recreates a git dir that was deleted
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return dir;
  }

  /**
   * A temporary path for a file that will be renamed to `target`: in tmpDir() (atomic rename, and a
   * killed process leaves nothing in the working tree), or beside the target when tmpDir() is on
   * another file system.
   */
  private tempFor(target: string, what: string): string {
    const name = `${what}-${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`;
    try {
      const dir = this.tmpDir();
      if (fs.statSync(dir).dev === fs.statSync(path.dirname(target)).dev) return path.join(dir, name);
    } catch {
      /* no tmp dir (read-only git dir?): beside the target */
    }
    return path.join(path.dirname(target), `.${path.basename(target)}.modelver-${name}`);
  }

  /**
   * Remove what killed processes left (their pid is dead): temporary indexes in the git dir, our
   * temporaries in tmpDir(), and, beside a model, the temporaries of a restore (also those of
   * versions that wrote them into the working tree).
   */
  private cleanStaleTemp(besideModel?: string): void {
    cleanStaleFiles(this.gitDir, /^modelver-index-(\d+)-/);
    cleanStaleFiles(path.join(this.dataDir, 'tmp'), /^[a-z]+-(\d+)-[0-9a-f]{8}/);
    if (besideModel) {
      cleanStaleFiles(path.dirname(besideModel), /^\..+\.modelver-(?:restore-|[a-z]+-)?(\d+)(?:-[0-9a-f]{6,8}(?:\.tmp)?)?(?:\.progress)?$/);
    }
  }

  /**
   * Read a file of a format we parse: its summary, or why it cannot be committed as it is
   * (`damaged`: the bytes are not a valid file of that format) or why we could not read it
   * although it may be valid (`unreadable`: an unsupported variant; committed with a warning).
   */
  private async readModelFile(abs: string): Promise<{ summary?: ModelSummary; damaged?: string; unreadable?: string }> {
    // files of the formats we read (../formats/readable.ts) are parsed at commit time: one that does not parse is refused unless forced
    const ext = path.extname(abs).toLowerCase();
    const kind = readableFormatName(abs);
    if (!kind) return {};
    if (ext === '.h5' || ext === '.hdf5' || ext === '.keras') {
      // the readers pick the format by content: say what a .h5/.keras file should have been
      const head = Buffer.alloc(4096);
      const fd = fs.openSync(abs, 'r');
      let n: number;
      try {
        n = fs.readSync(fd, head, 0, head.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      const h = head.subarray(0, n);
      if (n === 0) return { damaged: `it is empty (0 bytes), not ${kind}` };
      if (isLfsPointer(h)) return { damaged: 'it is a Git LFS pointer, not the model itself (its content was not downloaded: `git lfs pull`)' };
      if (!isHdf5(h) && !(ext === '.keras' && isZip(h))) {
        return { damaged: `its bytes are not ${kind}: it does not start with the ${ext === '.keras' ? 'zip or ' : ''}HDF5 signature` };
      }
    }
    try {
      // the readers and the diff are loaded when a commit first needs them, not with the repository (issue #12)
      const { readModelSummary } = await import('../formats/index.js');
      return { summary: await readModelSummary(abs) };
    } catch (e) {
      const msg = (e as Error).message;
      if (e instanceof ModelFormatError) return DAMAGED.has(e.code) ? { damaged: msg } : { unreadable: msg };
      // not a verdict on the bytes (the readers throw only ModelFormatError for bad input): a reader
      // that could not run (h5wasm did not load, an overloaded machine) must not block a commit
      return { unreadable: `reading it as ${kind} failed: ${msg}` };
    }
  }

  /** Trailers that describe the model: format, parameter count, IO signature. */
  private summaryTrailers(s: ModelSummary): [string, string][] {
    const io = (l: { name: string; dtype: string; shape: (number | string | null)[] | null }[]) =>
      l.map((v) => `${v.name}:${v.dtype}${v.shape ? '[' + v.shape.map((d) => (d === null ? '?' : String(d))).join(',') + ']' : ''}`).join(', ');
    const t: [string, string][] = [[TRAILER.format, s.format], [TRAILER.params, String(s.parameterCount)]];
    if (s.inputs.length) t.push([TRAILER.inputs, io(s.inputs)]);
    if (s.outputs.length) t.push([TRAILER.outputs, io(s.outputs)]);
    return t;
  }

  /**
   * The change record: what changed against the previous version (HEAD's content of the same path),
   * from the structural diff, plus the weight diff when both files are at most CHANGE_WEIGHTS_MAX_BYTES
   * (a commit must stay about as fast as `git commit`). Skipped when the previous bytes are not in the
   * local LFS store (no download during a commit) or the format cannot be read.
   */
  private async changeTrailers(abs: string, prevOid: string, prevSize: number, size: number, lfsDir: string, summary?: ModelSummary): Promise<[string, string][]> {
    if (!isReadableModelPath(abs)) return [];
    const prev = lfsObjectPath(lfsDir, prevOid);
    if (!fs.existsSync(prev)) return [];
    try {
      const weights = prevSize <= CHANGE_WEIGHTS_MAX_BYTES && size <= CHANGE_WEIGHTS_MAX_BYTES;
      const { diffModels } = await import('../diff/index.js');
      const d = await diffModels({ file: prev }, { file: abs, ...(summary ? { summary } : {}) }, { weights });
      const t: [string, string][] = [[TRAILER.change, d.verdicts.slice(0, 3).join('; ').replace(/[\r\n]+/g, ' ')]];
      if (d.breaking) t.push([TRAILER.breaking, 'true']);
      return t;
    } catch {
      return [];
    }
  }

  /**
   * Would committing this file make a new version? Cheap enough to ask before any prompt: no git
   * filter runs and nothing is staged. The sizes are compared first; equal sizes are settled by the
   * index's stat information (HEAD's blob staged and the file untouched since) or else by the file's
   * sha256. A working file that is still an LFS pointer (not downloaded) counts as that pointer's bytes.
   */
  async modelStatus(file: string): Promise<ModelStatus> {
    const rel = this.rel(file);
    const abs = this.abs(rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new RepoError('NOT_FOUND', `${rel} does not exist.`);
    }
    const folder = await this.folderModelOf(rel);
    if (folder !== undefined) return this.folderStatus(folder);
    if (!st.isFile()) throw new RepoError('NOT_FOUND', `${rel} is not a regular file.`);
    const head = await this.head();
    const atHead = head ? await this.blobAt(head, rel) : undefined;
    if (!atHead) return { state: 'new', model: rel };
    const latest = await this.history(rel)
      .then((h) => [...h.versions].reverse().find((v) => v.blob === atHead.blob) ?? h.versions[h.versions.length - 1])
      .catch(() => undefined);
    const pointer = atHead.pointer;
    if (!pointer || !latest) return { state: 'modified', model: rel, ...(latest ? { version: latest } : {}) };
    const same = async (): Promise<boolean> => {
      if (st.size <= 1024) {
        const p = parsePointer(fs.readFileSync(abs));
        if (p) return p.oid === pointer.oid;
      }
      if (st.size !== pointer.size) return false;
      const staged = await this.indexBlob(rel);
      if (staged?.blob === atHead.blob && (await this.git.ok(['diff-files', '--quiet', '--', `:(literal)${rel}`]))) return true;
      return (await sha256File(abs)).oid === pointer.oid;
    };
    return (await same()) ? { state: 'unchanged', model: rel, version: latest } : { state: 'modified', model: rel, version: latest };
  }

  /**
   * Commit one model file as a new version. Only that file (and .gitattributes when its LFS
   * tracking has to be added) is committed; whatever else is staged stays staged and is not
   * committed; unstaged work is untouched. Hooks run (it is a real `git commit`, on a temporary
   * index that holds HEAD plus the model).
   *
   * Git is asked what it can answer in one go, at once: the index entries, HEAD's objects, the
   * configuration and the attributes (working tree and index), while the file is parsed; the other
   * staged changes and the change record (a diff against the previous version) while `git add` runs
   * the LFS clean filter — ours (lfsCleanFilter.ts) for large files where it gives exactly git-lfs's
   * result; the new commit and its branch in one call afterwards.
   */
  async commitModel(file: string, message: string, opts: CommitOptions = {}): Promise<CommitResult> {
    if (!message.trim()) throw new RepoError('INVALID_NAME', 'The commit message is empty: say what changed in this version.');
    const rel = this.rel(file);
    if (/[\n\r]/.test(rel)) throw new RepoError('INVALID_NAME', 'File names with line breaks are not supported.');
    const abs = this.abs(rel);
    const folder = await this.folderModelOf(rel);
    if (folder !== undefined) return this.commitFolder(folder, message, opts);
    await this.checkCommitFiles(rel, opts.clearStaleLock);
    // what git knows, asked at once (the answers are checked below in the order the checks always had)
    const settled = <T>(p: Promise<T>) => {
      p.catch(() => undefined); // awaited below; a failure is not left unhandled when an earlier check throws
      return p;
    };
    const entriesP = settled(indexEntries(this.git, [rel, '.gitattributes']));
    const headP = settled(catFileBatch(this.git, ['HEAD^{commit}', `HEAD:${rel}`, 'HEAD:.gitattributes']));
    const configP = settled(configValues(this.git, '^(filter\\.lfs\\.|lfs\\.storage$|lfs\\.extension\\.|core\\.sharedrepository$)'));
    const trackedP = settled(this.isLfsTracked(rel));
    const trackedInIndexP = settled(this.isLfsTracked(rel, undefined, true));
    // the file is parsed meanwhile (the checks below still come first)
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(abs);
    } catch {
      /* NOT_FOUND below, in its turn */
    }
    const readP = st?.isFile() ? settled(this.readModelFile(abs)) : undefined;
    const entries = await entriesP;
    if (entries.some((e) => e.path === rel && e.stage !== 0)) {
      throw new RepoError(
        'CONFLICT',
        `${rel} has unresolved merge conflicts: resolve them (\`git checkout --ours/--theirs -- ${rel}\`, then \`git add\`) first.`,
      );
    }
    const config = await configP;
    await this.checkLfsInstalled(config);
    if (!st) throw new RepoError('NOT_FOUND', `${rel} does not exist.`);
    if (!st.isFile() || !readP) throw new RepoError('NOT_FOUND', `${rel} is not a regular file.`);
    const warnings: string[] = [];
    // a file of a format we read must parse: random bytes named .onnx are not committed as a version by accident
    const read = await readP;
    if (read.damaged) {
      if (!opts.force) {
        throw new RepoError(
          'UNREADABLE_MODEL',
          `${rel} does not parse as ${readableFormatName(abs)}: ${read.damaged.replace(/\.$/, '')}. Nothing was committed. ` +
            `If these bytes are what you mean to commit, commit it anyway: \`modelver commit ${rel} --force\`.`,
        );
      }
      warnings.push(`${rel} was committed although it does not parse as ${readableFormatName(abs)} (${read.damaged.replace(/\.$/, '')}).`);
    } else if (read.unreadable && opts.summarize !== false) {
      warnings.push(`Could not read ${rel} to record its format, parameters and inputs/outputs: ${read.unreadable}`);
    }

    const [headCommit, headModel, headAttrsObj] = await headP;
    const head = headCommit.type === 'commit' ? headCommit.sha : undefined;
    const atHead = head && headModel.type === 'blob' ? blobOf(headModel) : undefined;
    const headAttrs = head && headAttrsObj.type === 'blob' ? headAttrsObj.sha : undefined;
    // checked and resolved before anything is staged: bad lineage input changes nothing
    const lineage: LineageRecorded | undefined = opts.lineage ? await resolveLineage(this, opts.lineage, head, rel) : undefined;

    this.cleanStaleTemp(abs);
    const tag = `${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`;
    // beside the real index (as git's own next-index-*.lock), so that split-index setups work
    const tmpIndex = path.join(this.gitDir, `modelver-index-${tag}`);
    const msgFile = path.join(this.gitDir, `modelver-index-${tag}.msg`);
    const attrsPath = path.join(this.root, '.gitattributes');
    const rule = this.lfsRule(rel);
    const entryOf = (p: string) => entries.find((e) => e.path === p && e.stage === 0);
    const savedModel = entryOf(rel);
    const savedAttrs = entryOf('.gitattributes');
    let savedWorkingAttrs: string | null | undefined; // undefined: not touched; null: did not exist
    let attributesChanged = false;
    let oid = '';
    let size = 0;
    let stagedObject: BatchObject | undefined;
    const trailers: [string, string][] = [];
    const withRule = (text: string) => (text && !text.endsWith('\n') ? text + '\n' : text) + rule + '\n';
    try {
      // 1. the working tree's .gitattributes must route the file through the LFS clean filter
      if (!(await trackedP)) {
        savedWorkingAttrs = fs.existsSync(attrsPath) ? fs.readFileSync(attrsPath, 'utf8') : null;
        fs.writeFileSync(attrsPath, withRule(savedWorkingAttrs ?? ''));
        if (!(await this.isLfsTracked(rel))) {
          throw new RepoError(
            'NOT_LFS',
            `${rel} would be committed as a plain git blob, not through Git LFS: another .gitattributes rule ` +
              `(see \`git check-attr -a -- ${rel}\`) overrides \`${rule}\`. Nothing was committed.`,
          );
        }
      }
      // the change record against the previous version, while the clean filter runs
      const lfsDir = lfsDirOf(this.commonDir, config.get('lfs.storage')?.at(-1));
      const changeP =
        opts.summarize !== false && atHead?.pointer
          ? settled(this.changeTrailers(abs, atHead.pointer.oid, atHead.pointer.size, st.size, lfsDir, read.summary))
          : undefined;
      // the other staged changes (read from the real index: staging this file changes no other entry)
      const othersP = head ? settled(this.git.run(['diff-index', '--cached', '-z', '--name-only', '--no-renames', head])) : undefined;
      // 2. stage the model in the real index (the clean filter runs once, here): through our own
      //    filter process where it gives exactly git-lfs's result, else (or when it fails) through git-lfs
      const own = this.ownCleanFilter(st.size, config, lfsDir);
      const added = own ? await this.git.run([...own.args, 'add', '-f', '--', `:(literal)${rel}`], { env: own.env, allowFail: true }) : undefined;
      if (added?.code !== 0) await this.git.run(['add', '-f', '--', `:(literal)${rel}`]);
      const [staged, indexAttrs] = await catFileBatch(this.git, [`:0:${rel}`, ':0:.gitattributes']);
      stagedObject = staged;
      const info = staged.type === 'blob' ? blobOf(staged) : undefined;
      if (!info?.pointer) {
        throw new RepoError(
          'NOT_LFS',
          `${rel} was staged as a plain git blob, not as a Git LFS pointer, so nothing was committed. ` +
            `Check that .gitattributes has \`${rule}\` and that \`git lfs install\` was run.`,
        );
      }
      // the clean filter computed the sha256; no second read of a large file
      oid = info.pointer.oid;
      size = info.pointer.size;
      if (atHead?.pointer?.oid === oid) {
        throw new RepoError('UNCHANGED', `${rel} is unchanged since the last commit (sha256 ${oid.slice(0, 12)}…): nothing to commit.`);
      }
      trailers.push([TRAILER.path, rel], [TRAILER.oid, `sha256:${oid}`], [TRAILER.size, String(size)]);
      if (opts.summarize !== false) {
        if (read.summary) trailers.push(...this.summaryTrailers(read.summary));
        if (changeP) trailers.push(...(await changeP));
      }
      for (const [k, v] of Object.entries(opts.trailers ?? {})) trailers.push([k, v]);
      if (lineage) trailers.push(...lineageTrailers(lineage));
      // the real index's attributes (staging the file changed none of them)
      let realAttrs = indexAttrs.type === 'blob' ? indexAttrs.sha : undefined;
      if (!(await trackedInIndexP)) {
        realAttrs = await this.hashText(withRule(await this.catBlob(':.gitattributes')));
        await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${realAttrs},.gitattributes`]);
      }

      // 3. a temporary index = the real one (stat info kept) with every other staged change undone
      const realIndex = path.join(this.gitDir, 'index');
      if (fs.existsSync(realIndex)) fs.copyFileSync(realIndex, tmpIndex);
      const env = { GIT_INDEX_FILE: tmpIndex };
      const keep = new Set([rel, '.gitattributes']);
      const others = othersP
        ? (await othersP).stdout
            .toString('utf8')
            .split('\0')
            .filter((p) => p && !keep.has(p))
        : [];
      if (head) {
        if (others.length) {
          await this.git.run(['reset', '-q', head, '--pathspec-from-file=-', '--pathspec-file-nul'], {
            env,
            input: others.map((p) => `:(literal)${p}`).join('\0'),
          });
        }
        // .gitattributes: HEAD's (plus the rule when HEAD's does not track the file)
        if (realAttrs !== headAttrs) {
          if (headAttrs) await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${headAttrs},.gitattributes`], { env });
          else await this.git.run(['update-index', '--force-remove', '--', '.gitattributes'], { env });
        }
      } else {
        // no HEAD: only the model (and the rule below) is committed
        const all = (await this.git.run(['ls-files', '-z'], { env })).stdout
          .toString('utf8')
          .split('\0')
          .filter((p) => p && p !== rel);
        if (all.length) await this.git.run(['update-index', '--force-remove', '-z', '--stdin'], { env, input: all.join('\0') + '\0' });
      }
      // the temporary index has the real index's attributes when no .gitattributes differs between
      // them (then the file is tracked there too, as checked above); else ask git
      const sameAttributes = realAttrs === headAttrs && !others.some((p) => p === '.gitattributes' || p.endsWith('/.gitattributes'));
      if (!(head && sameAttributes) && !(await this.isLfsTracked(rel, env, true))) {
        const blob = await this.hashText(withRule(await this.catBlob(':.gitattributes', env)));
        await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${blob},.gitattributes`], { env });
        attributesChanged = true;
      }

      // 4. a real `git commit` of that index: hooks run, HEAD is updated with a compare-and-swap
      fs.writeFileSync(msgFile, appendRecord(message, trailers));
      await faultPoint('commit:index-written');
      // where our clean filter staged the file, git commit uses it too: a file written in the same second as
      // the index is "racily clean", and git commit cleans it again to compare (through git-lfs: eight more
      // git processes and git-lfs's hashing of the whole file, for the same pointer)
      const withOwn = own && added?.code === 0 ? own : undefined;
      const r = await this.git.run([...(withOwn?.args ?? []), 'commit', '-q', '--no-edit', '--cleanup=whitespace', '-F', msgFile], { env: { ...env, ...withOwn?.env }, allowFail: true });
      if (r.code !== 0) {
        const output = (r.stderr + r.stdout.toString('utf8')).trim();
        if (/cannot lock ref|is at .* but expected/i.test(output)) {
          throw new RepoError('CONCURRENT_UPDATE', `HEAD moved while committing (another git process?); nothing was committed. Try again.`, output);
        }
        const hook = await this.hookThatRan();
        if (hook) {
          throw new RepoError('HOOK_FAILED', `The ${hook} hook refused the commit; nothing was committed.\n${output}`, output);
        }
        throw new RepoError('GIT_FAILED', `git commit failed; nothing was committed.\n${output}`, output);
      }
    } catch (e) {
      // put the real index entries (and the working .gitattributes) back as they were
      await this.restoreIndexEntry(rel, savedModel).catch(() => undefined);
      await this.restoreIndexEntry('.gitattributes', savedAttrs).catch(() => undefined);
      if (savedWorkingAttrs !== undefined) {
        if (savedWorkingAttrs === null) fs.rmSync(attrsPath, { force: true });
        else fs.writeFileSync(attrsPath, savedWorkingAttrs);
      }
      throw e;
    } finally {
      for (const f of [tmpIndex, `${tmpIndex}.lock`, msgFile]) fs.rmSync(f, { force: true });
    }
    // the new commit, and the branch HEAD is on ("HEAD" when detached): from the files git just wrote, else in one process
    const [commit, headRef] = this.headFromFiles() ?? (await this.git.text(['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD'])).split('\n');
    const branch = headRef && headRef !== 'HEAD' ? headRef : undefined;
    // the version's number: the history at that commit, without reading again the two pointers read above
    this.store.learn(learnedBlobs([headModel, stagedObject]));
    const all = await this.historiesRaw(commit).catch(() => undefined);
    const h = all?.get(rel) ?? [...(all?.values() ?? [])].find((x) => x.paths.includes(rel));
    const v = h?.versions.find((x) => x.commit === commit);
    if (!branch) {
      warnings.push(
        `HEAD is detached: this version (${commit.slice(0, 7)}) is on no branch, and git deletes commits no branch reaches ` +
          `(git gc) once you check out something else. Keep it on a branch: \`git switch -c <new-branch>\` (an alias or a tag on it keeps it too).`,
      );
    }
    return {
      commit,
      shortCommit: commit.slice(0, 7),
      model: rel,
      oid,
      size,
      version: v?.version ?? h?.versions.length ?? 1,
      trailers: Object.fromEntries(trailers),
      attributesChanged,
      ...(lineage ? { lineage } : {}),
      warnings,
    };
  }

  /**
   * HEAD's commit and what `rev-parse --symbolic-full-name HEAD` says of it (a branch's full name, or
   * "HEAD" when detached), read from the files the files backend writes: `HEAD` in the git dir and the
   * branch's loose ref, which `git commit` has just written. Undefined when anything is not that plain —
   * a packed or missing ref, a symbolic ref to a symbolic ref, a reftable repository (its HEAD names
   * `refs/heads/.invalid`, which has no file) — so git is asked instead.
   */
  private headFromFiles(): [string, string] | undefined {
    const oid = /^([0-9a-f]{40}|[0-9a-f]{64})\n?$/;
    try {
      const head = fs.readFileSync(path.join(this.gitDir, 'HEAD'), 'utf8');
      if (oid.test(head)) return [head.trim(), 'HEAD'];
      const ref = /^ref: (refs\/heads\/[^\n]+)\n?$/.exec(head)?.[1];
      if (!ref || ref.split('/').some((c) => c === '' || c.startsWith('.'))) return undefined; // '.', '..' and hidden parts: ask git
      const commit = fs.readFileSync(path.join(this.commonDir, ref), 'utf8');
      return oid.test(commit) ? [commit.trim(), ref] : undefined;
    } catch {
      return undefined;
    }
  }

  private async hookThatRan(): Promise<string | undefined> {
    const hooksPath = (await this.git.run(['rev-parse', '--git-path', 'hooks'])).stdout.toString('utf8').trim();
    const configured = (await this.git.run(['config', '--get', 'core.hooksPath'], { allowFail: true })).stdout.toString('utf8').trim();
    const dir = configured ? path.resolve(this.root, configured) : path.resolve(this.root, hooksPath);
    for (const h of ['pre-commit', 'prepare-commit-msg', 'commit-msg']) {
      try {
        fs.accessSync(path.join(dir, h), fs.constants.X_OK);
        return h;
      } catch {
        /* not there */
      }
    }
    return undefined;
  }

  private async restoreIndexEntry(rel: string, saved: { mode: string; blob: string } | undefined): Promise<void> {
    const now = await this.indexBlob(rel);
    if (now?.blob === saved?.blob && now?.mode === saved?.mode) return; // unchanged (keep its stat info)
    if (saved) await this.git.run(['update-index', '--add', '--cacheinfo', `${saved.mode},${saved.blob},${rel}`]);
    else await this.git.run(['update-index', '--force-remove', '--', rel]);
  }

  // ---------------------------------------------------------------- folder models (folders.ts)

  /** The folder models: every folder that held a sharded model's index in history, or holds one now (HEAD, index, working tree). */
  private async knownFolders(): Promise<Set<string>> {
    return new Set((await this.builtHistories()).folderModels());
  }

  /**
   * Whether `rel` names a folder model: a folder (in the working tree) that holds a
   * `*.safetensors.index.json`, or one that history knows as a folder model.
   */
  async isFolderModel(rel: string): Promise<boolean> {
    const abs = this.abs(rel);
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) return false;
    if (st && this.workingFolderFiles(rel).some((n) => isShardIndex(n))) return true;
    return (await this.knownFolders()).has(rel);
  }

  /**
   * The folder model that `rel` commits as: itself when it is a folder model, its folder when it is a
   * file of a folder that holds a sharded model's index (the index, a shard, config.json …: the
   * folder is committed as a whole); undefined for a file of its own. Throws for another folder.
   */
  private async folderModelOf(rel: string): Promise<string | undefined> {
    const st = fs.statSync(this.abs(rel), { throwIfNoEntry: false });
    if (st?.isDirectory()) {
      if (await this.isFolderModel(rel)) return rel;
      throw new RepoError('NOT_FOUND', `${rel} is a folder, not a model file (a folder is one model when it holds a sharded model's *.safetensors.index.json).`);
    }
    const d = dirOf(rel);
    // the working folder decides (no git process for a file of its own)
    return d && isFolderFileName(rel.slice(d.length + 1)) && this.workingFolderFiles(d).some((n) => isShardIndex(n)) ? d : undefined;
  }

  /** The names of a folder model's files in the working tree (regular files directly in it, no dot-files). */
  private workingFolderFiles(rel: string): string[] {
    let ds: fs.Dirent[];
    try {
      ds = fs.readdirSync(this.abs(rel), { withFileTypes: true });
    } catch {
      return [];
    }
    return ds.filter((d) => d.isFile() && isFolderFileName(d.name)).map((d) => d.name).sort();
  }

  /** `:(glob)<folder>/*` — the files directly in a folder, for git commands. */
  private static folderSpec(rel: string): string {
    return `:(glob)${rel.replace(/[*?[\]\\]/g, '\\$&')}/*`;
  }

  /** A folder model's files in a tree (`rev`: a commit) or in the index (`rev` undefined): name → mode and blob. */
  private async folderEntries(rel: string, rev?: string, env?: NodeJS.ProcessEnv): Promise<Map<string, { mode: string; blob: string; stage: number }>> {
    const out = new Map<string, { mode: string; blob: string; stage: number }>();
    const args = rev ? ['ls-tree', '-z', rev, '--', `${rel}/`] : ['ls-files', '-s', '-z', '--', ModelRepository.folderSpec(rel)];
    const r = await this.git.run(args, { env, allowFail: !!rev });
    if (r.code !== 0) return out;
    for (const rec of r.stdout.toString('utf8').split('\0')) {
      if (!rec) continue;
      const tab = rec.indexOf('\t');
      const p = rec.slice(tab + 1);
      const f = rec.slice(0, tab).split(' ');
      // ls-tree: mode type blob; ls-files -s: mode blob stage
      const [mode, blob, stage] = rev ? [f[0], f[1] === 'blob' ? f[2] : '', 0] : [f[0], f[1], Number(f[2])];
      const name = p.slice(rel.length + 1);
      if (!blob || dirOf(p) !== rel || !isFolderFileName(name) || mode === '160000') continue;
      out.set(name, { mode, blob, stage });
    }
    return out;
  }

  /** Whether committing a folder model now would make a new version (modelStatus for a folder). */
  private async folderStatus(rel: string): Promise<ModelStatus> {
    const head = await this.head();
    const atHead = head ? await this.folderEntries(rel, head) : new Map();
    if (!atHead.size) return { state: 'new', model: rel };
    const latest = await this.history(rel)
      .then((h) => h.versions[h.versions.length - 1])
      .catch(() => undefined);
    // one `git status` for the folder's files: modified, deleted, staged or untracked
    const r = await this.git.run(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', ModelRepository.folderSpec(rel)]);
    const changed = r.stdout
      .toString('utf8')
      .split('\0')
      .some((rec) => rec.length > 3 && dirOf(rec.slice(3)) === rel && isFolderFileName(rec.slice(3 + rel.length + 1)));
    if (changed || !latest) return { state: 'modified', model: rel, ...(latest ? { version: latest } : {}) };
    return { state: 'unchanged', model: rel, version: latest };
  }

  /**
   * Commit a folder model (a sharded safetensors model's folder) as a new version: every file directly
   * in it — shards, index, config.json, tokenizer files … — added, changed or deleted, in one commit
   * with one change record; files matching the model patterns (the shards) through Git LFS, the rule
   * added to .gitattributes as for one file. Whatever else is staged stays staged and uncommitted.
   */
  private async commitFolder(rel: string, message: string, opts: CommitOptions): Promise<CommitResult> {
    const abs = this.abs(rel);
    await this.checkCommitFiles(rel, opts.clearStaleLock);
    const config = await configValues(this.git, '^(filter\\.lfs\\.|lfs\\.storage$|lfs\\.extension\\.|core\\.sharedrepository$)');
    const [before, head] = await Promise.all([this.folderEntries(rel), this.head()]);
    const conflicted = [...before].filter(([, e]) => e.stage !== 0).map(([n]) => n);
    if (conflicted.length) {
      throw new RepoError(
        'CONFLICT',
        `${rel}/${conflicted[0]} has unresolved merge conflicts: resolve them (\`git checkout --ours/--theirs -- ${rel}/${conflicted[0]}\`, then \`git add\`) first.`,
      );
    }
    await this.checkLfsInstalled(config);
    const names = this.workingFolderFiles(rel);
    // its index, or (a folder model that once held one) a file matching the model patterns
    if (!names.some((n) => isShardIndex(n) || this.matcher.matches(`${rel}/${n}`))) {
      throw new RepoError('NOT_FOUND', `${rel} holds no *.safetensors.index.json and no model file: a folder is committed as one model only when it holds a sharded model's index.`);
    }
    const warnings: string[] = [];
    const read = await this.readFolderModel(abs);
    if (read.damaged) {
      if (!opts.force) {
        throw new RepoError(
          'UNREADABLE_MODEL',
          `${rel} does not parse as a sharded safetensors model: ${read.damaged.replace(/\.$/, '')}. Nothing was committed. ` +
            `If these files are what you mean to commit, commit them anyway: \`modelver commit ${rel} --force\`.`,
        );
      }
      warnings.push(`${rel} was committed although it does not parse as a sharded safetensors model (${read.damaged.replace(/\.$/, '')}).`);
    } else if (read.unreadable && opts.summarize !== false) {
      warnings.push(`Could not read ${rel} to record its format and parameters: ${read.unreadable}`);
    }
    const atHead = head ? await this.folderEntries(rel, head) : new Map<string, { mode: string; blob: string; stage: number }>();
    const lineage: LineageRecorded | undefined = opts.lineage ? await resolveLineage(this, opts.lineage, head, rel) : undefined;

    this.cleanStaleTemp();
    const tag = `${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`;
    const tmpIndex = path.join(this.gitDir, `modelver-index-${tag}`);
    const msgFile = path.join(this.gitDir, `modelver-index-${tag}.msg`);
    const attrsPath = path.join(this.root, '.gitattributes');
    // the files that go through Git LFS: those matching the model patterns (the shards)
    const lfsFiles = names.filter((n) => this.matcher.matches(`${rel}/${n}`)).map((n) => `${rel}/${n}`);
    const untracked = async (env?: NodeJS.ProcessEnv, cached = false): Promise<string[]> => {
      if (!lfsFiles.length) return [];
      const out = (await this.git.run(['check-attr', '-z', ...(cached ? ['--cached'] : []), 'filter', '--', ...lfsFiles], { env })).stdout.toString('utf8').split('\0');
      const res: string[] = [];
      for (let i = 0; i + 2 < out.length; i += 3) if (out[i + 2] !== 'lfs') res.push(out[i]);
      return res;
    };
    const withRules = (text: string, missing: string[]) => {
      const add = [...new Set(missing.map((p) => this.lfsRule(p)))];
      return (text && !text.endsWith('\n') ? text + '\n' : text) + add.map((r) => r + '\n').join('');
    };
    const savedAttrs = (await indexEntries(this.git, ['.gitattributes'])).find((e) => e.stage === 0);
    let savedWorkingAttrs: string | null | undefined;
    let attributesChanged = false;
    const trailers: [string, string][] = [];
    let contentId = '';
    let size = 0;
    try {
      // 1. the working .gitattributes routes every shard through the LFS clean filter
      const notTracked = await untracked();
      if (notTracked.length) {
        savedWorkingAttrs = fs.existsSync(attrsPath) ? fs.readFileSync(attrsPath, 'utf8') : null;
        fs.writeFileSync(attrsPath, withRules(savedWorkingAttrs ?? '', notTracked));
        const still = await untracked();
        if (still.length) {
          throw new RepoError(
            'NOT_LFS',
            `${still[0]} would be committed as a plain git blob, not through Git LFS: another .gitattributes rule ` +
              `(see \`git check-attr -a -- ${still[0]}\`) overrides \`${this.lfsRule(still[0])}\`. Nothing was committed.`,
          );
        }
      }
      const lfsDir = lfsDirOf(this.commonDir, config.get('lfs.storage')?.at(-1));
      // the change record against the previous version of the folder, while git-lfs cleans the shards
      const changeP =
        opts.summarize !== false && atHead.size
          ? this.folderChangeTrailers(rel, atHead, lfsDir, read.summary).catch(() => [] as [string, string][])
          : undefined;
      const othersP = head ? this.git.run(['diff-index', '--cached', '-z', '--name-only', '--no-renames', head]) : undefined;
      othersP?.catch(() => undefined);
      // 2. stage the folder's files (new, changed and deleted) in the real index: one `git add`, the
      //    shards cleaned by our filter process where it gives exactly git-lfs's result (as for one file)
      const paths = [...new Set([...names, ...before.keys()])].map((n) => `:(literal)${rel}/${n}`);
      const addArgs = ['add', '-A', '-f', '--pathspec-from-file=-', '--pathspec-file-nul'];
      const shardBytes = lfsFiles.reduce((a, p) => a + (fs.statSync(this.abs(p), { throwIfNoEntry: false })?.size ?? 0), 0);
      const own = this.ownCleanFilter(shardBytes, config, lfsDir);
      const added = own ? await this.git.run([...own.args, ...addArgs], { env: own.env, input: paths.join('\0'), allowFail: true }) : undefined;
      if (added?.code !== 0) await this.git.run(addArgs, { input: paths.join('\0') });
      const staged = await this.folderEntries(rel);
      const infos = await readBlobInfos(this.git, [...new Set([...staged.values()].map((e) => e.blob))]);
      for (const p of lfsFiles) {
        const e = staged.get(p.slice(rel.length + 1));
        if (e && !infos[e.blob]?.lfs) {
          throw new RepoError(
            'NOT_LFS',
            `${p} was staged as a plain git blob, not as a Git LFS pointer, so nothing was committed. ` +
              `Check that .gitattributes has \`${this.lfsRule(p)}\` and that \`git lfs install\` was run.`,
          );
        }
      }
      contentId = manifestId([...staged].map(([n, e]) => [n, e.blob] as const));
      if (atHead.size && contentId === manifestId([...atHead].map(([n, e]) => [n, e.blob] as const))) {
        throw new RepoError('UNCHANGED', `${rel} is unchanged since the last commit (no file in it changed): nothing to commit.`);
      }
      size = [...staged.values()].reduce((a, e) => a + (infos[e.blob]?.size ?? 0), 0);
      trailers.push([TRAILER.path, rel], [TRAILER.oid, contentId], [TRAILER.size, String(size)]);
      if (opts.summarize !== false) {
        if (read.summary) trailers.push(...this.summaryTrailers(read.summary));
        if (changeP) trailers.push(...(await changeP));
      }
      for (const [k, v] of Object.entries(opts.trailers ?? {})) trailers.push([k, v]);
      if (lineage) trailers.push(...lineageTrailers(lineage));
      const [indexAttrs] = await catFileBatch(this.git, [':0:.gitattributes']);
      let realAttrs = indexAttrs.type === 'blob' ? indexAttrs.sha : undefined;
      const notInIndex = await untracked(undefined, true);
      if (notInIndex.length) {
        realAttrs = await this.hashText(withRules(await this.catBlob(':.gitattributes'), notInIndex));
        await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${realAttrs},.gitattributes`]);
      }
      // 3. a temporary index = the real one with every other staged change undone
      const realIndex = path.join(this.gitDir, 'index');
      if (fs.existsSync(realIndex)) fs.copyFileSync(realIndex, tmpIndex);
      const env = { GIT_INDEX_FILE: tmpIndex };
      const mine = new Set([rel]);
      const isMine = (p: string) => p === '.gitattributes' || folderOfFile(p, mine) !== undefined;
      if (head) {
        const others = othersP
          ? (await othersP).stdout
              .toString('utf8')
              .split('\0')
              .filter((p) => p && !isMine(p))
          : [];
        if (others.length) {
          await this.git.run(['reset', '-q', head, '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: others.map((p) => `:(literal)${p}`).join('\0') });
        }
        const [headAttrsObj] = await catFileBatch(this.git, [`${head}:.gitattributes`]);
        const headAttrs = headAttrsObj.type === 'blob' ? headAttrsObj.sha : undefined;
        if (realAttrs !== headAttrs) {
          if (headAttrs) await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${headAttrs},.gitattributes`], { env });
          else await this.git.run(['update-index', '--force-remove', '--', '.gitattributes'], { env });
        }
      } else {
        const all = (await this.git.run(['ls-files', '-z'], { env })).stdout
          .toString('utf8')
          .split('\0')
          .filter((p) => p && !isMine(p));
        if (all.length) await this.git.run(['update-index', '--force-remove', '-z', '--stdin'], { env, input: all.join('\0') + '\0' });
      }
      const missing = await untracked(env, true);
      if (missing.length) {
        const blob = await this.hashText(withRules(await this.catBlob(':.gitattributes', env), missing));
        await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${blob},.gitattributes`], { env });
        attributesChanged = true;
      }
      // 4. a real `git commit` of that index
      fs.writeFileSync(msgFile, appendRecord(message, trailers));
      await faultPoint('commit:index-written');
      const r = await this.git.run(['commit', '-q', '--no-edit', '--cleanup=whitespace', '-F', msgFile], { env, allowFail: true });
      if (r.code !== 0) {
        const output = (r.stderr + r.stdout.toString('utf8')).trim();
        if (/cannot lock ref|is at .* but expected/i.test(output)) {
          throw new RepoError('CONCURRENT_UPDATE', `HEAD moved while committing (another git process?); nothing was committed. Try again.`, output);
        }
        const hook = await this.hookThatRan();
        if (hook) throw new RepoError('HOOK_FAILED', `The ${hook} hook refused the commit; nothing was committed.\n${output}`, output);
        throw new RepoError('GIT_FAILED', `git commit failed; nothing was committed.\n${output}`, output);
      }
    } catch (e) {
      // the real index entries of the folder (and .gitattributes) back as they were
      await this.restoreFolderIndex(rel, before).catch(() => undefined);
      await this.restoreIndexEntry('.gitattributes', savedAttrs).catch(() => undefined);
      if (savedWorkingAttrs !== undefined) {
        if (savedWorkingAttrs === null) fs.rmSync(attrsPath, { force: true });
        else fs.writeFileSync(attrsPath, savedWorkingAttrs);
      }
      throw e;
    } finally {
      for (const f of [tmpIndex, `${tmpIndex}.lock`, msgFile]) fs.rmSync(f, { force: true });
    }
    const [commit, headRef] = (await this.git.text(['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD'])).split('\n');
    const all = await this.historiesRaw().catch(() => undefined);
    const h = all?.get(rel);
    const v = h?.versions.find((x) => x.commit === commit);
    if (!headRef || headRef === 'HEAD') {
      warnings.push(
        `HEAD is detached: this version (${commit.slice(0, 7)}) is on no branch, and git deletes commits no branch reaches ` +
          `(git gc) once you check out something else. Keep it on a branch: \`git switch -c <new-branch>\` (an alias or a tag on it keeps it too).`,
      );
    }
    return {
      commit,
      shortCommit: commit.slice(0, 7),
      model: rel,
      oid: contentId,
      size,
      version: v?.version ?? h?.versions.length ?? 1,
      trailers: Object.fromEntries(trailers),
      attributesChanged,
      ...(lineage ? { lineage } : {}),
      warnings,
    };
  }

  /** Put a folder's entries in the real index back as they were (`saved`), removing those added since. */
  private async restoreFolderIndex(rel: string, saved: Map<string, { mode: string; blob: string; stage: number }>): Promise<void> {
    const now = await this.folderEntries(rel);
    const lines: string[] = [];
    for (const [n, e] of now) if (!saved.has(n)) lines.push(`0 ${'0'.repeat(e.blob.length)}\t${rel}/${n}`);
    for (const [n, e] of saved) {
      const x = now.get(n);
      if (e.stage === 0 && (x?.blob !== e.blob || x?.mode !== e.mode)) lines.push(`${e.mode} ${e.blob}\t${rel}/${n}`);
    }
    if (lines.length) await this.git.run(['update-index', '-z', '--index-info'], { input: lines.join('\0') + '\0' });
  }

  /** Read a folder model (readModelFile for a folder). */
  private async readFolderModel(abs: string): Promise<{ summary?: ModelSummary; damaged?: string; unreadable?: string }> {
    try {
      const { readModelSummary } = await import('../formats/index.js');
      return { summary: await readModelSummary(abs) };
    } catch (e) {
      const msg = (e as Error).message;
      if (e instanceof ModelFormatError) return DAMAGED.has(e.code) || e.code === 'EXTERNAL_DATA_MISSING' ? { damaged: msg } : { unreadable: msg };
      return { unreadable: `reading it failed: ${msg}` };
    }
  }

  /**
   * A folder's files of a tree (name → blob) put into a new folder under tmpDir(): LFS content linked
   * from the local store (never downloaded: undefined when an object is missing), plain blobs written.
   */
  private async linkFolder(rel: string, files: Iterable<[string, string]>, lfsDir: string): Promise<string | undefined> {
    const list = [...files];
    const infos = await readBlobInfos(this.git, [...new Set(list.map(([, b]) => b))]);
    const dir = path.join(this.tmpDir(), `folder-${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`);
    fs.mkdirSync(dir);
    try {
      for (const [name, blob] of list) {
        const info = infos[blob];
        const out = path.join(dir, name);
        if (info?.lfs && info.oid) {
          const obj = lfsObjectPath(lfsDir, info.oid);
          if (!fs.existsSync(obj)) throw new RepoError('NOT_FOUND', `${rel}/${name} is not in the local LFS store`);
          fs.symlinkSync(obj, out);
        } else {
          await this.git.run(['cat-file', 'blob', blob], { stdoutFile: out });
        }
      }
      return dir;
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
  }

  /** The change record of a folder model against HEAD's files (`atHead`), as changeTrailers for one file. */
  private async folderChangeTrailers(rel: string, atHead: Map<string, { blob: string }>, lfsDir: string, summary?: ModelSummary): Promise<[string, string][]> {
    const prev = await this.linkFolder(rel, [...atHead].map(([n, e]) => [n, e.blob] as [string, string]), lfsDir);
    if (!prev) return [];
    try {
      const { diffModels } = await import('../diff/index.js');
      const d = await diffModels({ file: prev }, { file: this.abs(rel), ...(summary ? { summary } : {}) }, { weights: true });
      const t: [string, string][] = [[TRAILER.change, d.verdicts.slice(0, 3).join('; ').replace(/[\r\n]+/g, ' ')]];
      if (d.breaking) t.push([TRAILER.breaking, 'true']);
      return t;
    } catch {
      return [];
    } finally {
      fs.rmSync(prev, { recursive: true, force: true });
    }
  }

  /** Write a folder version's files into the folder `out` (made; must not exist), each verified. */
  private async readFolderTo(v: ModelVersion, out: string, onProgress?: ProgressFn): Promise<ReadResult> {
    fs.mkdirSync(out);
    for (const f of v.files ?? []) await this.readBlobTo(f.blob, `${v.path}/${f.name}`, path.join(out, f.name), onProgress);
    return { file: out, oid: v.contentId, size: v.size, source: (v.files ?? []).some((f) => f.lfs) ? 'local' : 'git' };
  }

  /**
   * Put a folder version's files back into the working folder: each file written atomically (as for
   * one file), each working file with uncommitted changes (or untracked) copied first to
   * `backups/<time>-<folder name>/`; files of the folder that the version does not have are removed
   * (after the same backup when they had uncommitted changes).
   */
  private async restoreFolder(v: ModelVersion, onProgress?: ProgressFn): Promise<RestoreResult> {
    const rel = v.model;
    const absDir = this.abs(rel);
    const st = fs.statSync(absDir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new RepoError('NOT_FOUND', `${rel} is not a folder; not overwriting it.`);
    this.cleanStaleTemp();
    const want = new Map((v.files ?? []).map((f) => [f.name, f]));
    const head = await this.head();
    const atHead = head ? await this.folderEntries(rel, head) : new Map<string, { mode: string; blob: string; stage: number }>();
    const headInfos = await readBlobInfos(this.git, [...new Set([...atHead.values()].map((e) => e.blob))]);
    const working = this.workingFolderFiles(rel);
    /** git's blob id of a working file's bytes (`hash-object --no-filters`, computed here: no git process per file) */
    const blobId = (file: string, like: string): string => {
      const h = nodeCrypto().createHash(like.length === 64 ? 'sha256' : 'sha1');
      const fd = fs.openSync(file, 'r');
      try {
        h.update(`blob ${fs.fstatSync(fd).size}\0`);
        const buf = Buffer.alloc(1 << 20);
        for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
      } finally {
        fs.closeSync(fd);
      }
      return h.digest('hex');
    };
    /** whether a working file holds what HEAD has (then it needs no backup) */
    const committed = (name: string, file: string, oid: string): boolean => {
      const e = atHead.get(name);
      if (!e) return false;
      const info = headInfos[e.blob];
      return info?.lfs ? info.oid === oid : blobId(file, e.blob) === e.blob;
    };
    const same = (f: FolderFile, file: string, oid: string): boolean => (f.lfs ? oid === f.oid : blobId(file, f.blob) === f.blob);
    const toWrite: FolderFile[] = [];
    const toRemove: string[] = [];
    const backupNeeded: string[] = [];
    for (const name of working) {
      const file = path.join(absDir, name);
      const { oid } = await sha256File(file);
      const f = want.get(name);
      if (f && same(f, file, oid)) continue;
      if (f) toWrite.push(f);
      else toRemove.push(name);
      if (!committed(name, file, oid)) backupNeeded.push(name);
    }
    for (const f of want.values()) if (!working.includes(f.name)) toWrite.push(f);
    if (!toWrite.length && !toRemove.length) return { path: rel, version: v.version, commit: v.commit, oid: v.contentId, unchanged: true, files: { written: [], removed: [] } };
    let backup: string | undefined;
    if (backupNeeded.length) backup = await this.backupFolderFiles(absDir, backupNeeded);
    fs.mkdirSync(absDir, { recursive: true });
    for (const f of toWrite) {
      const abs = path.join(absDir, f.name);
      const tmp = this.tempFor(abs, 'restore');
      try {
        const mode = fs.statSync(abs, { throwIfNoEntry: false })?.mode;
        await this.readBlobTo(f.blob, `${v.path}/${f.name}`, tmp, onProgress);
        if (mode !== undefined) fs.chmodSync(tmp, mode & 0o777);
        await faultPoint('restore:temp-written');
        fs.renameSync(tmp, abs);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    }
    for (const name of toRemove) fs.rmSync(path.join(absDir, name), { force: true });
    return {
      path: rel,
      version: v.version,
      commit: v.commit,
      oid: v.contentId,
      ...(backup ? { backup } : {}),
      unchanged: false,
      files: { written: toWrite.map((f) => f.name).sort(), removed: toRemove },
    };
  }

  /** Copy some files of a folder to `backups/<time>-<folder name>/` (complete, or not there at all). */
  private async backupFolderFiles(absDir: string, names: string[]): Promise<string> {
    this.tmpDir();
    const dir = path.join(this.dataDir, 'backups');
    fs.mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let backup = path.join(dir, `${stamp}-${path.basename(absDir)}`);
    for (let i = 1; fs.existsSync(backup); i++) backup = path.join(dir, `${stamp}-${i}-${path.basename(absDir)}`);
    const tmp = this.tempFor(backup, 'backup');
    try {
      fs.mkdirSync(tmp);
      for (const n of names) fs.copyFileSync(path.join(absDir, n), path.join(tmp, n));
      await faultPoint('restore:backup-temp-written');
      fs.renameSync(tmp, backup);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return backup;
  }

  // ---------------------------------------------------------------- tags

  /** A default tag name component from a model path: file name without extension, sanitized. */
  static modelName(rel: string): string {
    const base = rel.split('/').pop() ?? rel;
    const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
    const s = stem
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/\.{2,}/g, '.')
      .replace(/^[-.]+|[-.]+$/g, '')
      .replace(/\.lock$/, '');
    return s || 'model';
  }

  /**
   * Validate a new tag or alias name; throws INVALID_NAME. What `git check-ref-format` / `git tag`
   * refuse is refused, and so is a name that would shadow another: HEAD, `@`, git's pseudo-refs
   * (FETCH_HEAD, ORIG_HEAD, …), `refs/…`, an existing branch (git would warn "refname is ambiguous"
   * on every command naming it); for aliases also `latest`, version numbers and existing tag names.
   */
  async validateRefName(name: string, kind: 'tag' | 'alias' = 'tag'): Promise<void> {
    await this.checkNameSyntax(name, kind);
    const bad = (why: string): never => {
      throw new RepoError('INVALID_NAME', `'${name}' cannot be ${kind === 'alias' ? 'an alias' : 'a tag'} name: ${why}. Choose another name.`);
    };
    if (name.toLowerCase() === 'head') bad('HEAD means the commit checked out, and git would read the name as that');
    if (name === '@') bad('"@" is git\'s short name for HEAD');
    if (PSEUDO_REF.test(name)) bad(`${name} is the name of a git pseudo-ref (like FETCH_HEAD, ORIG_HEAD, MERGE_HEAD)`);
    if (name.startsWith('refs/')) bad('a name that starts with "refs/" reads as a full ref name to git');
    if (kind === 'alias') {
      if (name.toLowerCase() === 'latest') bad('"latest" already means the newest version');
      if (/^v?\d+$/i.test(name)) bad('it reads as a version number (v1, 2, …)');
    }
    // git's own lookup order for a short name (git help revisions): a name that hits another ref is ambiguous
    const candidates = kind === 'tag'
      ? [`refs/${name}`, `refs/heads/${name}`, `refs/remotes/${name}`, `refs/remotes/${name}/HEAD`]
      : [`refs/heads/${name}`, `refs/tags/${name}`];
    const out = (await this.git.run(['for-each-ref', '--format=%(refname)', ...candidates])).stdout.toString('utf8').split('\n');
    const hit = candidates.find((c) => out.includes(c));
    if (hit) {
      const what = hit.startsWith('refs/heads/') ? 'branch' : hit.startsWith('refs/tags/') ? 'tag' : hit.startsWith('refs/remotes/') ? 'remote-tracking ref' : 'ref';
      bad(
        kind === 'tag'
          ? `it is also the name of a ${what} (${hit}), so git would warn "refname '${name}' is ambiguous" on every command that names it`
          : `it is also the name of a ${what} (${hit}), so '${name}' as a version would be ambiguous`,
      );
    }
  }

  /** The syntax rules alone (what git refuses): enough to name an existing tag or alias, e.g. to delete it. */
  private async checkNameSyntax(name: string, kind: 'tag' | 'alias'): Promise<void> {
    const bad = (why: string): never => {
      throw new RepoError('INVALID_NAME', `'${name}' is not a valid ${kind} name: ${why}.`);
    };
    if (!name) bad('it is empty');
    if (name.startsWith('-')) bad('it starts with "-"');
    if (/\s/.test(name)) bad('it contains whitespace');
    if (name.includes('..')) bad('it contains ".."');
    if (kind === 'alias' && !ALIAS_NAME.test(name)) bad('use letters, digits, ".", "_" and "-" (starting with a letter or digit)');
    if (!NAME_CHARS.test(name)) bad('use letters, digits and . _ - / + @ = , only');
    const ok = await this.git.ok(['check-ref-format', `refs/tags/${name}`]);
    if (!ok) bad('git rejects it (see `git help check-ref-format`)');
  }

  async listTags(): Promise<TagInfo[]> {
    return (await this.refsWithTags([])).tags;
  }

  /**
   * The tags, and the other refs named in `refs` that exist (their object, peeled when a tag): one
   * `git for-each-ref` for all of them.
   */
  private async refsWithTags(refs: readonly string[]): Promise<{ tags: TagInfo[]; refs: Map<string, string> }> {
    // NUL after each field: a tagger name or a message may hold any other byte (\x1e, \x1f …) but no NUL
    const fields = ['%(refname)', '%(objecttype)', '%(objectname)', '%(*objectname)', '%(taggername) %(taggeremail)', '%(taggerdate:iso-strict)', '%(contents)'];
    const out = (await this.git.run(['for-each-ref', `--format=${fields.join('%00')}%00`, 'refs/tags', ...refs])).stdout.toString('utf8');
    const toks = out.split('\0');
    const tags: TagInfo[] = [];
    const others = new Map<string, string>();
    // each record: 7 fields, each ended by NUL; for-each-ref puts a newline after a record
    for (let i = 0; i + fields.length <= toks.length; i += fields.length) {
      const [ref, type, obj, peeled, tagger, date, contents] = toks.slice(i, i + fields.length);
      const refname = ref.replace(/^\n/, '');
      const annotated = type === 'tag';
      if (refs.includes(refname)) {
        // a commit (or a tag of one), as `rev-parse <ref>^{commit}` would find it
        if (type === 'commit' && /^[0-9a-f]{40,64}$/.test(obj)) others.set(refname, obj);
        else if (annotated && /^[0-9a-f]{40,64}$/.test(peeled)) others.set(refname, peeled);
        continue;
      }
      if (!refname.startsWith('refs/tags/') || !/^[0-9a-f]{40,64}$/.test(obj)) {
        throw new RepoError('GIT_FAILED', `Unexpected \`git for-each-ref refs/tags\` output near ${JSON.stringify(refname.slice(0, 80))}.`);
      }
      tags.push({
        name: refname.slice('refs/tags/'.length),
        commit: annotated ? peeled : obj,
        annotated,
        message: annotated ? (contents ?? '').trim() : '',
        tagger: annotated ? tagger.trim() : undefined,
        date: annotated ? date : undefined,
      });
    }
    return { tags, refs: others };
  }

  /** Whether a tag of this name exists. */
  async tagExists(name: string): Promise<boolean> {
    return this.git.ok(['rev-parse', '-q', '--verify', `refs/tags/${name}`]);
  }

  /** Annotated tag on a version; default name `<model-name>/v<N>`. Refuses duplicates. */
  async tag(model: string, opts: { version?: VersionSpec; name?: string; message?: string } = {}): Promise<TagInfo> {
    if (opts.name !== undefined) await this.validateRefName(opts.name, 'tag');
    const v = await this.resolveVersion(model, opts.version ?? 'latest');
    // another branch's version: its number counts on that branch (`<model>/<branch>/vN`)
    const name = opts.name ?? `${ModelRepository.modelName(v.model)}/${v.outsideHistory && v.branch ? `${v.branch}/` : ''}v${v.version}`;
    await this.validateRefName(name, 'tag');
    if (await this.tagExists(name)) {
      throw new RepoError('TAG_EXISTS', `Tag '${name}' already exists; choose another name or delete it first (\`modelver tag --delete ${name}\`).`);
    }
    const message = `${v.model} v${v.version}${v.outsideHistory && v.branch ? ` on ${v.branch}` : ''} (${v.shortCommit})${opts.message?.trim() ? `\n\n${opts.message.trim()}` : ''}\n`;
    await this.git.run(['tag', '-a', '--cleanup=whitespace', '-F', '-', name, v.commit], { input: message });
    const t = (await this.listTags()).find((x) => x.name === name);
    return t ?? { name, commit: v.commit, annotated: true, message: message.trim() };
  }

  async deleteTag(name: string): Promise<void> {
    await this.checkNameSyntax(name, 'tag'); // a tag named HEAD or main must be deletable
    if (!(await this.git.ok(['rev-parse', '-q', '--verify', `refs/tags/${name}`]))) {
      throw new RepoError('TAG_NOT_FOUND', `There is no tag '${name}'.`);
    }
    await this.git.run(['tag', '-d', name]);
  }

  // ---------------------------------------------------------------- aliases

  private versionLabel(h: ModelHistory | undefined, t: AliasTarget | undefined): string {
    if (!t) return '(none)';
    const v = h?.versions.find((x) => x.commit === t.commit);
    return `${v ? `v${v.version}` : '?'} (${t.commit.slice(0, 7)})`;
  }

  /** Point an alias of a model at a version (default: the latest). Recorded in the alias log. */
  async setAlias(model: string, alias: string, version: VersionSpec = 'latest'): Promise<AliasEvent> {
    await this.validateRefName(alias, 'alias');
    const h = await this.history(model);
    const v = await this.resolveVersion(model, version);
    for (let attempt = 0; ; attempt++) {
      const { commit: parent, state } = await readAliasState(this.git);
      // the alias is stored under the model's current path; an older path's entry moves along
      const key = h.path;
      const forModel = (state.aliases[key] ??= {});
      let from: AliasTarget | undefined = forModel[alias];
      for (const p of h.paths) {
        if (p !== key && state.aliases[p]?.[alias]) {
          from ??= state.aliases[p][alias];
          delete state.aliases[p][alias];
        }
      }
      const to: AliasTarget = { commit: v.commit, oid: v.contentId };
      if (from && from.commit === to.commit) {
        return {
          logCommit: parent ?? '',
          action: 'set',
          model: key,
          alias,
          from,
          to,
          who: { name: '', email: '' },
          date: new Date().toISOString(),
          message: `${alias} already points at v${v.version}`,
        };
      }
      forModel[alias] = to;
      const subject = `set ${alias} ${key}: ${this.versionLabel(h, from)} -> ${this.versionLabel(h, to)}`;
      const message = appendTrailers(subject, [
        [ALIAS_TRAILER.action, 'set'],
        [ALIAS_TRAILER.model, key],
        [ALIAS_TRAILER.name, alias],
        [ALIAS_TRAILER.fromCommit, from?.commit ?? 'none'],
        [ALIAS_TRAILER.fromOid, from?.oid ?? 'none'],
        [ALIAS_TRAILER.toCommit, to.commit],
        [ALIAS_TRAILER.toOid, to.oid],
      ]);
      try {
        await writeAliasState(this.git, state, message, parent, from ? [from.commit] : []);
      } catch (e) {
        if (e instanceof RepoError && e.code === 'CONCURRENT_UPDATE' && attempt < 3) continue;
        throw e;
      }
      return (await readAliasLog(this.git))[0];
    }
  }

  async removeAlias(model: string, alias: string): Promise<AliasEvent> {
    await this.checkNameSyntax(alias, 'alias'); // an alias named HEAD or main must be removable
    const rel = this.rel(model);
    const h = await this.history(rel).catch(() => undefined);
    const paths = h?.paths ?? [rel];
    for (let attempt = 0; ; attempt++) {
      const { commit: parent, state } = await readAliasState(this.git);
      const p = paths.find((x) => state.aliases[x]?.[alias]);
      if (!p) throw new RepoError('ALIAS_NOT_FOUND', `${rel} has no alias '${alias}'.`);
      const from = state.aliases[p][alias];
      delete state.aliases[p][alias];
      const subject = `remove ${alias} ${h?.path ?? p}: ${this.versionLabel(h, from)} -> (none)`;
      const message = appendTrailers(subject, [
        [ALIAS_TRAILER.action, 'remove'],
        [ALIAS_TRAILER.model, h?.path ?? p],
        [ALIAS_TRAILER.name, alias],
        [ALIAS_TRAILER.fromCommit, from.commit],
        [ALIAS_TRAILER.fromOid, from.oid],
        [ALIAS_TRAILER.toCommit, 'none'],
        [ALIAS_TRAILER.toOid, 'none'],
      ]);
      try {
        await writeAliasState(this.git, state, message, parent, [from.commit]);
      } catch (e) {
        if (e instanceof RepoError && e.code === 'CONCURRENT_UPDATE' && attempt < 3) continue;
        throw e;
      }
      return (await readAliasLog(this.git))[0];
    }
  }

  /** Current aliases (of one model, or all), with version numbers. */
  async listAliases(model?: string): Promise<AliasEntry[]> {
    const { state } = await readAliasState(this.git);
    return this.aliasEntries(state, model);
  }

  /**
   * What each alias (of one model, or all) pointed at on `at`: the alias log's state then, each
   * entry with the move that set it (who, when). `firstMove` is the first move's date (undefined when
   * no alias was ever set); before it, `aliases` is empty and `before` is true.
   */
  async listAliasesAt(at: Date, model?: string): Promise<{ at: string; firstMove?: string; before: boolean; aliases: (AliasEntry & { since?: string; by?: { name: string; email: string } })[] }> {
    const then = await readAliasStateAt(this.git, at);
    const entries = await this.aliasEntries(then.state, model);
    const events = then.logCommit ? await readAliasLog(this.git) : [];
    const out = [];
    for (const e of entries) {
      const paths = (await this.history(e.model).catch(() => undefined))?.paths ?? [e.model];
      // the newest move at or before `at` that set this alias of this model to this commit
      const set = events.find(
        (ev) => ev.action === 'set' && ev.alias === e.alias && paths.includes(ev.model) && ev.to?.commit === e.commit && Date.parse(ev.committedAt ?? ev.date) <= at.getTime(),
      );
      out.push({ ...e, ...(set ? { since: set.committedAt ?? set.date, by: set.who } : {}) });
    }
    return { at: at.toISOString(), firstMove: then.firstMove, before: !then.logCommit && !!then.firstMove, aliases: out };
  }

  private async aliasEntries(state: { aliases: Record<string, Record<string, AliasTarget>> }, model?: string): Promise<AliasEntry[]> {
    const hs = await this.historiesRaw();
    const byPath = new Map<string, ModelHistory>();
    for (const h of hs.values()) for (const p of h.paths) byPath.set(p, h);
    let only: ModelHistory | undefined;
    let onlyRel: string | undefined;
    if (model !== undefined) {
      onlyRel = this.rel(model);
      only = byPath.get(onlyRel);
    }
    const out: AliasEntry[] = [];
    for (const [p, names] of Object.entries(state.aliases)) {
      const h = byPath.get(p);
      if (model !== undefined && !(only ? h === only : p === onlyRel)) continue;
      for (const [alias, t] of Object.entries(names)) {
        const v = h?.versions.find((x) => x.commit === t.commit);
        out.push({ model: h?.path ?? p, alias, commit: t.commit, oid: t.oid, version: v?.version, ...(v ? {} : { outsideHistory: true }) });
      }
    }
    return out.sort((a, b) => a.model.localeCompare(b.model) || a.alias.localeCompare(b.alias));
  }

  /** The alias log, newest first (optionally for one model and/or alias). */
  async aliasLog(model?: string, alias?: string): Promise<AliasEvent[]> {
    let paths: string[] | undefined;
    if (model !== undefined) {
      const rel = this.rel(model);
      const h = await this.history(rel).catch(() => undefined);
      paths = h?.paths ?? [rel];
    }
    return (await readAliasLog(this.git)).filter((e) => (!paths || paths.includes(e.model)) && (!alias || e.alias === alias));
  }

  // ---------------------------------------------------------------- notes (metadata added later)

  async getMetadata(model: string, version: VersionSpec = 'latest'): Promise<Record<string, unknown> | undefined> {
    const v = await this.resolveVersion(model, version);
    const doc = await readNote(this.git, v.commit);
    return doc?.models[v.path] ?? doc?.models[v.model];
  }

  /** Merge `data` into the version's metadata (deep merge of objects; undefined deletes a key). */
  async addMetadata(model: string, version: VersionSpec, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const v = await this.resolveVersion(model, version);
    const doc: NotesDoc = (await readNote(this.git, v.commit)) ?? { schema: 1, models: {} };
    const cur = doc.models[v.path] ?? {};
    doc.models[v.path] = mergeDeep({ ...cur }, data);
    await writeNote(this.git, v.commit, doc);
    return doc.models[v.path];
  }

  // ---------------------------------------------------------------- reading and restoring bytes

  private async lfsDir(): Promise<string> {
    return (this.lfsDirCache ??= await localLfsDir(this.git, this.commonDir));
  }

  /**
   * Write the bytes of a version to `out` (default: a new temporary file) without touching the
   * working tree. LFS objects come from the local store, else through `git lfs smudge` (which
   * downloads them); the sha256 is always verified.
   */
  async readVersionBytes(model: string, version: VersionSpec, opts: { out?: string; onProgress?: ProgressFn } = {}): Promise<ReadResult> {
    return this.readVersion(await this.resolveVersion(model, version), opts);
  }

  /** readVersionBytes of a version already resolved (e.g. one of another branch, whose number means nothing on this one). */
  async readVersion(v: ModelVersion, opts: { out?: string; onProgress?: ProgressFn } = {}): Promise<ReadResult> {
    return this.withBranchHint(v, () => this.readVersionNow(v, opts));
  }

  /**
   * Run `fn` (which reads a version's LFS objects); when the version is another branch's and its
   * object could not be had, the error says which branch's objects to fetch.
   */
  private async withBranchHint<T>(v: ModelVersion, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!v.branch || !(e instanceof RepoError) || (e.code !== 'LFS_FETCH_FAILED' && e.code !== 'NOT_FOUND')) throw e;
      const ref = await findBranch(this.git, v.branch);
      if (!ref) throw e;
      throw new RepoError(
        e.code,
        `${e.message}\n${v.model} v${v.version} is on ${ref.remote ? 'the remote-tracking branch' : 'the branch'} ${ref.name}, whose Git LFS objects were not fetched into this clone: fetch them with \`${await lfsFetchHint(this.git, ref)}\`.`,
        e.details,
      );
    }
  }

  private async readVersionNow(v: ModelVersion, opts: { out?: string; onProgress?: ProgressFn }): Promise<ReadResult> {
    let out = opts.out;
    if (!out) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-'));
      out = path.join(dir, `v${v.version}-${v.path.split('/').pop()}`);
    }
    // a folder model: a folder of its files (the index's shards beside it, as the readers want them)
    if (v.files) return this.readFolderTo(v, path.resolve(out), opts.onProgress);
    return this.readBlobTo(v.blob, v.path, path.resolve(out), opts.onProgress);
  }

  /**
   * The bytes of a file at any revision (`HEAD`, a commit, a tag; `''` for the index), LFS content
   * resolved and verified — what editors need to show "the file at HEAD" of a model.
   */
  async readAtRevision(rev: string, file: string, out: string, onProgress?: ProgressFn): Promise<ReadResult> {
    const rel = this.rel(file);
    if (rev.startsWith('-')) throw new RepoError('INVALID_NAME', `Not a revision: ${rev}`);
    const r = await this.git.run(['rev-parse', '--verify', '--quiet', `${rev}:${rel}`], { allowFail: true });
    const blob = r.stdout.toString('utf8').trim();
    if (r.code !== 0 || !blob) throw new RepoError('NOT_FOUND', `${rel} does not exist at ${rev || 'the index'}.`);
    return this.readBlobTo(blob, rel, out, onProgress);
  }

  private async readBlobTo(blob: string, rel: string, out: string, onProgress?: ProgressFn): Promise<ReadResult> {
    const info = (await readBlobInfos(this.git, [blob]))[blob];
    if (!info) throw new RepoError('NOT_FOUND', `The blob of ${rel} (${blob.slice(0, 7)}) is not in this clone.`);
    const tmp = this.tempFor(out, 'read');
    try {
      let source: ReadResult['source'];
      let oid: string;
      if (!info.lfs || !info.oid) {
        await this.git.run(['cat-file', 'blob', blob], { stdoutFile: tmp });
        oid = (await sha256File(tmp)).oid;
        source = 'git';
      } else {
        oid = info.oid;
        const local = lfsObjectPath(await this.lfsDir(), oid);
        if (fs.existsSync(local)) {
          fs.copyFileSync(local, tmp);
          source = 'local';
        } else {
          await this.smudge({ oid, size: info.size }, rel, tmp, onProgress);
          source = 'fetched';
        }
        const got = await sha256File(tmp);
        if (got.oid !== oid || got.size !== info.size) {
          throw new RepoError(
            'VERIFY_FAILED',
            `The bytes of ${rel} do not match its LFS pointer (expected sha256 ${oid.slice(0, 12)}… ${info.size} bytes, got ${got.oid.slice(0, 12)}… ${got.size} bytes).`,
          );
        }
      }
      fs.renameSync(tmp, out);
      return { file: out, oid, size: info.size, source };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  private async smudge(p: LfsPointer, rel: string, outFile: string, onProgress?: ProgressFn): Promise<void> {
    await lfsVersion(this.git);
    const progFile = `${outFile}.progress`;
    let timer: NodeJS.Timeout | undefined;
    if (onProgress) {
      onProgress({ bytes: 0, total: p.size, message: `Downloading ${rel}` });
      timer = setInterval(() => {
        try {
          const lines = fs.readFileSync(progFile, 'utf8').trim().split('\n');
          const m = /(\d+)\/(\d+)\s*\S*$/.exec(lines[lines.length - 1] ?? '');
          if (m) onProgress({ bytes: Number(m[1]), total: Number(m[2]), message: `Downloading ${rel}` });
        } catch {
          /* not written yet */
        }
      }, 200);
    }
    try {
      const r = await this.git.run(['lfs', 'smudge', '--', rel], {
        input: `version https://git-lfs.github.com/spec/v1\noid sha256:${p.oid}\nsize ${p.size}\n`,
        stdoutFile: outFile,
        env: { GIT_LFS_PROGRESS: progFile, GIT_LFS_SKIP_SMUDGE: '0' },
        allowFail: true,
      });
      if (r.code !== 0) {
        throw new RepoError(
          'LFS_FETCH_FAILED',
          `Git LFS could not download ${rel} (sha256 ${p.oid.slice(0, 12)}…): ${r.stderr.trim() || `exit code ${r.code}`}. Is the remote reachable, and was the object pushed?`,
          r.stderr,
        );
      }
      if (onProgress) onProgress({ bytes: p.size, total: p.size, message: `Downloaded ${rel}` });
    } finally {
      if (timer) clearInterval(timer);
      fs.rmSync(progFile, { force: true });
    }
  }

  /** Whether the working copy of a model differs from HEAD's content (or is untracked). */
  private async workingDiffersFromHead(rel: string, workingOid: string): Promise<boolean> {
    const head = await this.head();
    const at = head ? await this.blobAt(head, rel) : undefined;
    if (!at) return true;
    if (at.pointer) return at.pointer.oid !== workingOid;
    const h = await this.git.text(['hash-object', '--no-filters', '--', this.abs(rel)]);
    return h !== at.blob;
  }

  /**
   * Put a version's bytes back into the working tree (atomically: temp file + rename). When the
   * working copy has uncommitted changes it is first copied to `.git/model-versions/backups/`.
   */
  async restore(model: string, version: VersionSpec, opts: { onProgress?: ProgressFn } = {}): Promise<RestoreResult> {
    const v = await this.resolveVersion(model, version);
    const r = await this.withBranchHint(v, () => this.restoreVersion(v, opts));
    return v.outsideHistory && v.branch ? { ...r, branch: v.branch } : r;
  }

  private async restoreVersion(v: ModelVersion, opts: { onProgress?: ProgressFn }): Promise<RestoreResult> {
    if (v.files) return this.restoreFolder(v, opts.onProgress);
    const rel = v.model;
    const abs = this.abs(rel);
    this.cleanStaleTemp(abs);
    let backup: string | undefined;
    let mode: number | undefined;
    if (fs.existsSync(abs)) {
      const st = fs.statSync(abs);
      if (!st.isFile()) throw new RepoError('NOT_FOUND', `${rel} is not a regular file; not overwriting it.`);
      mode = st.mode & 0o777;
      const { oid } = await sha256File(abs);
      const same = v.oid ? oid === v.oid : (await this.git.text(['hash-object', '--no-filters', '--', abs])) === v.blob;
      if (same) return { path: rel, version: v.version, commit: v.commit, oid, unchanged: true };
      if (await this.workingDiffersFromHead(rel, oid)) backup = await this.backupWorkingCopy(abs);
    }
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    // the bytes are written under the git dir and renamed over the working file: a process killed
    // at any moment leaves either the old file or the new one, and no partial file in the work tree
    const tmp = this.tempFor(abs, 'restore');
    try {
      const r = await this.readBlobTo(v.blob, v.path, tmp, opts.onProgress);
      if (mode !== undefined) fs.chmodSync(tmp, mode);
      await faultPoint('restore:temp-written');
      fs.renameSync(tmp, abs);
      return { path: rel, version: v.version, commit: v.commit, oid: r.oid, backup, unchanged: false };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Copy a working file to `.git/model-versions/backups/<time>-<name>` (complete or not at all). */
  private async backupWorkingCopy(abs: string): Promise<string> {
    this.tmpDir(); // creates the data dir (never a deleted git dir)
    const dir = path.join(this.dataDir, 'backups');
    fs.mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let backup = path.join(dir, `${stamp}-${path.basename(abs)}`);
    for (let i = 1; fs.existsSync(backup); i++) backup = path.join(dir, `${stamp}-${i}-${path.basename(abs)}`);
    const tmp = this.tempFor(backup, 'backup');
    try {
      fs.copyFileSync(abs, tmp);
      await faultPoint('restore:backup-temp-written');
      fs.renameSync(tmp, backup);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return backup;
  }

  /** A new commit whose model content equals an old version ("Revert <model> to vN (<short>)"). */
  async revertTo(
    model: string,
    version: VersionSpec,
    opts: { message?: string; onProgress?: ProgressFn; summarize?: boolean; clearStaleLock?: boolean } = {},
  ): Promise<CommitResult & { restore: RestoreResult }> {
    const v = await this.resolveVersion(model, version);
    const head = await this.head();
    if (v.files) {
      const files = head ? await this.folderEntries(v.model, head) : new Map<string, { blob: string }>();
      if (files.size && manifestId([...files].map(([n, e]) => [n, e.blob] as const)) === v.contentId) {
        throw new RepoError('UNCHANGED', `${v.model} at HEAD already has the files of v${v.version}: nothing to revert.`);
      }
    }
    const atHead = head && !v.files ? await this.blobAt(head, v.model) : undefined;
    if (atHead?.pointer && atHead.pointer.oid === v.oid) {
      throw new RepoError('UNCHANGED', `${v.model} at HEAD already has the content of v${v.version}: nothing to revert.`);
    }
    const restore = await this.withBranchHint(v, () => this.restoreVersion(v, { onProgress: opts.onProgress }));
    const message = opts.message ?? `Revert ${v.model} to v${v.version}${v.branch ? ` of ${v.branch}` : ''} (${v.shortCommit})`;
    // the bytes are a version already in history: committed again even if they do not parse (with the warning)
    const c = await this.commitModel(v.model, message, {
      summarize: opts.summarize,
      trailers: { [TRAILER.revertOf]: `v${v.version} ${v.commit}` },
      force: true,
      clearStaleLock: opts.clearStaleLock,
    });
    return { ...c, restore };
  }

  /**
   * Promote a version of another branch: commit that model's bytes on the current branch as a new
   * version derived from it (Model-Derived-From: the branch version; Model-Promoted-From: the branch
   * and commit), through commitModel — only the model is taken, none of the branch's other changes.
   * Refuses on a detached HEAD, for a version the current branch already has, and when the model has
   * staged or unstaged changes (nothing is ever overwritten); a failed commit puts HEAD's bytes back.
   */
  async promote(
    model: string,
    spec: VersionSpec,
    opts: { message?: string; onProgress?: ProgressFn; summarize?: boolean; clearStaleLock?: boolean } = {},
  ): Promise<CommitResult & { from: ModelVersion & { branch: string }; branch: string }> {
    const branch = await this.currentBranch();
    if (!branch) {
      throw new RepoError('DETACHED_HEAD', 'HEAD is detached (no branch is checked out): a promoted version is committed onto the current branch, so check one out first (`git switch <branch>`).');
    }
    const v = await this.resolveVersion(model, spec);
    if (!v.outsideHistory) {
      throw new RepoError(
        'UNCHANGED',
        `${v.model}@${spec} is v${v.version} (${v.shortCommit}), which ${branch} already has: nothing to promote${`v${v.version}` === `v${(await this.history(v.model)).versions.length}` ? '' : ` (to make it the latest again: \`modelver restore ${v.model}@v${v.version}\` and commit)`}.`,
      );
    }
    if (v.files) throw new RepoError('NOT_FOUND', `${v.model} is a folder model: promoting folder models is not supported yet; restore its files with \`modelver restore ${v.model}@${spec}\` and commit them.`);
    const rel = v.model;
    const abs = this.abs(rel);
    const head = await this.head();
    const atHead = head ? await this.blobAt(head, rel) : undefined;
    if (atHead?.pointer && atHead.pointer.oid === v.oid) {
      throw new RepoError('UNCHANGED', `${rel} on ${branch} already has the content of ${v.branch ?? 'that'} version (sha256 ${v.oid?.slice(0, 12)}…): nothing to promote.`);
    }
    // nothing is ever lost: the working file and the index must hold what HEAD holds
    const dirty = (why: string): never => {
      throw new RepoError('CONFLICT', `${rel} ${why}; promoting would overwrite it. Commit it (\`modelver commit ${rel} -m "…"\`) or discard the change first.`);
    };
    if (fs.existsSync(abs)) {
      if (!atHead) dirty('exists but is not committed on this branch');
      const st = await this.modelStatus(rel);
      if (st.state !== 'unchanged') dirty('has uncommitted changes');
    }
    const staged = await this.indexBlob(rel);
    if ((staged?.blob ?? '') !== (atHead?.blob ?? '')) dirty('has staged changes');
    // named by a commit id, tag or alias: the first branch that has it (for the message and the trailer)
    const from =
      v.branch ??
      (await this.git.text(['for-each-ref', '--contains', v.commit, '--format=%(refname:short)', 'refs/heads', 'refs/remotes'])).split('\n').find((b) => b && !b.endsWith('/HEAD')) ??
      v.shortCommit;
    const restored = await this.withBranchHint(v, () => this.restoreVersion(v, { onProgress: opts.onProgress }));
    const message = opts.message ?? `Promote ${rel} from ${from} (v${v.version}, ${v.shortCommit})`;
    try {
      const c = await this.commitModel(rel, message, {
        summarize: opts.summarize,
        trailers: { [TRAILER.promotedFrom]: `${from} ${v.commit}` },
        lineage: { derivedFrom: { model: rel, version: String(spec) } },
        force: true,
        clearStaleLock: opts.clearStaleLock,
      });
      return { ...c, from: { ...v, branch: from }, branch };
    } catch (e) {
      // the working file held HEAD's bytes before: put them back (or remove a file HEAD does not have)
      if (atHead) await this.restore(rel, 'latest').catch(() => undefined);
      else if (!restored.unchanged) fs.rmSync(abs, { force: true });
      throw e;
    }
  }

  // ---------------------------------------------------------------- push / fetch

  async defaultRemote(): Promise<string> {
    const branch = await this.currentBranch();
    if (branch) {
      const r = await this.git.run(['config', '--get', `branch.${branch}.remote`], { allowFail: true });
      const name = r.stdout.toString('utf8').trim();
      if (r.code === 0 && name && name !== '.') return name;
    }
    const remotes = (await this.git.text(['remote'])).split('\n').filter(Boolean);
    if (remotes.includes('origin')) return 'origin';
    if (remotes.length === 1) return remotes[0];
    if (!remotes.length) throw new RepoError('NO_REMOTE', 'This repository has no remote: add one with `git remote add origin <url>`.');
    throw new RepoError('NO_REMOTE', `Several remotes (${remotes.join(', ')}): say which one.`);
  }

  private async checkRemote(remote: string): Promise<void> {
    if (remote.startsWith('-')) throw new RepoError('INVALID_NAME', `'${remote}' is not a remote name.`);
    const remotes = (await this.git.text(['remote'])).split('\n');
    if (!remotes.includes(remote)) throw new RepoError('NO_REMOTE', `There is no remote '${remote}' (see \`git remote -v\`).`);
  }

  /**
   * Push the current branch, tags, the alias log, our notes and the LFS objects they need.
   * The LFS objects go first (`git lfs push`, on the argv runner); the refs then through simple-git
   * (./network.ts). Both report their progress lines to `onProgress` (stage "uploading lfs", then
   * git's counting, compressing, writing).
   */
  async push(remote?: string, opts: RemoteOptions = {}): Promise<PushResult> {
    const rem = remote ?? (await this.defaultRemote());
    await this.checkRemote(rem);
    const branch = await this.currentBranch();
    if (!branch) throw new RepoError('DETACHED_HEAD', 'HEAD is detached: check out a branch before pushing.');
    await lfsVersion(this.git);
    const tags = (await this.listTags()).map((t) => `refs/tags/${t.name}`);
    // aliased versions on other (or deleted) branches: their LFS objects go too
    const keep = (await this.git.text(['for-each-ref', '--format=%(refname)', KEEP_REF_PREFIX])).split('\n').filter(Boolean);
    const lfsRefs = [`refs/heads/${branch}`, ...tags, ...keep];
    const progress = opts.onProgress ? new ProgressLines('push', opts.onProgress) : undefined;
    const lfs = await this.git.run(['lfs', 'push', rem, ...lfsRefs], {
      allowFail: true,
      // git-lfs draws its progress (on stdout) only on a terminal unless asked
      ...(progress ? { env: { GIT_LFS_FORCE_PROGRESS: '1' }, onStdout: (s: string) => progress.push(s) } : {}),
      onStderr: opts.onOutput,
    });
    progress?.end();
    if (lfs.code !== 0) {
      throw new RepoError('LFS_FETCH_FAILED', `git lfs push to ${rem} failed: ${lfs.stderr.trim()}`, lfs.stderr);
    }
    const refspecs = [`refs/heads/${branch}:refs/heads/${branch}`];
    if (tags.length) refspecs.push('refs/tags/*:refs/tags/*');
    if (await this.git.ok(['rev-parse', '-q', '--verify', ALIAS_REF])) refspecs.push('refs/model-versions/*:refs/model-versions/*');
    if (await this.git.ok(['rev-parse', '-q', '--verify', NOTES_REF])) refspecs.push(`${NOTES_REF}:${NOTES_REF}`);
    let stderr = '';
    const sg = networkGit(this.git, {
      env: { GIT_LFS_SKIP_PUSH: '1' },
      onOutput: (s) => {
        stderr += s;
        opts.onOutput?.(s);
        progress?.push(s);
      },
    });
    try {
      // simple-git adds --verbose and --porcelain (ref status lines on stdout)
      await sg.push(['--porcelain', ...(progress ? ['--progress'] : []), rem, ...refspecs]);
    } catch (e) {
      const output = gitFailure(e, `git push to ${rem}`);
      const rejected = output
        .split('\n')
        .filter((l) => l.startsWith('!'))
        .map((l) => l.split('\t')[1]?.split(':')[1] ?? l);
      if (rejected.length) {
        throw new RepoError(
          'NON_FAST_FORWARD',
          `${rem} has changes that are not here, so these were not pushed: ${rejected.join(', ')}. Run \`modelver fetch ${rem}\` (and merge or rebase the branch), then push again.`,
          output,
        );
      }
      const said = output.split('\n').filter((l) => !/^(?:Pushing to |To |[ *=+!-]\t|Done$)/.test(l)).join('\n') || output;
      throw new RepoError('GIT_FAILED', `git push to ${rem} failed: ${said.trim()}`, output);
    } finally {
      progress?.end();
    }
    return { remote: rem, branch, refs: refspecs, output: withoutProgress(stderr) };
  }

  /**
   * Fetch the branches (as configured), tags, the alias log and our notes. The alias log and the
   * notes are fast-forwarded here; when they have diverged, a NON_FAST_FORWARD error says so.
   * The fetches run through simple-git (./network.ts); git's progress lines reach `onProgress`.
   */
  async fetch(remote?: string, opts: RemoteOptions = {}): Promise<FetchResult> {
    const rem = remote ?? (await this.defaultRemote());
    await this.checkRemote(rem);
    let output = '';
    const progress = opts.onProgress ? new ProgressLines('fetch', opts.onProgress) : undefined;
    const withProgress = progress ? ['--progress'] : [];
    const sg = networkGit(this.git, {
      onOutput: (s) => {
        output += s;
        opts.onOutput?.(s);
        progress?.push(s);
      },
    });
    try {
      await sg.fetch([...withProgress, rem]);
    } catch (e) {
      const said = gitFailure(e, `git fetch ${rem}`);
      throw new RepoError('GIT_FAILED', `git fetch ${rem} failed: ${said.trim()}`, said);
    }
    // tags: refuse to clobber (git's own rule); our refs go to a remote-tracking namespace first
    const tracking = `refs/model-versions-remotes/${rem}`;
    const specs = ['refs/tags/*:refs/tags/*', `+refs/model-versions/*:${tracking}/*`, `+${NOTES_REF}:${tracking}-notes/model-versions`];
    const ls = (await this.git.run(['ls-remote', rem, 'refs/model-versions/*', NOTES_REF], { allowFail: true })).stdout.toString('utf8');
    const remoteRefs = ls
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[1]);
    const hasAliasRefs = remoteRefs.some((x) => x.startsWith('refs/model-versions/'));
    const hasNotes = remoteRefs.includes(NOTES_REF);
    const wanted = [specs[0], ...(hasAliasRefs ? [specs[1]] : []), ...(hasNotes ? [specs[2]] : [])];
    try {
      await sg.fetch(['--no-write-fetch-head', ...withProgress, rem, ...wanted]);
    } catch (e) {
      const said = gitFailure(e, `git fetch ${rem}`);
      const clobber = said.split('\n').filter((l) => /rejected|clobber/.test(l));
      throw new RepoError(
        'NON_FAST_FORWARD',
        clobber.length
          ? `Some refs on ${rem} conflict with local ones (a tag with the same name on another commit?):\n${clobber.join('\n')}`
          : `git fetch ${rem} failed: ${said.trim()}`,
        said,
      );
    }
    progress?.end();
    output = withoutProgress(output);
    const updated: FetchResult['updated'] = [];
    const pairs: [string, string][] = remoteRefs.map((ref) =>
      ref === NOTES_REF ? [NOTES_REF, `${tracking}-notes/model-versions`] : [ref, `${tracking}/${ref.slice('refs/model-versions/'.length)}`],
    );
    for (const [local, fetched] of pairs) {
      const theirs = await this.git.text(['rev-parse', '-q', '--verify', fetched]).catch(() => '');
      if (!theirs) continue;
      const mine = (await this.git.run(['rev-parse', '-q', '--verify', local], { allowFail: true })).stdout.toString('utf8').trim();
      if (local.startsWith(KEEP_REF_PREFIX)) {
        // a keep ref names its commit: taken when missing, never reported (it is not news to the user)
        if (!mine) await this.git.run(['update-ref', local, theirs, '0000000000000000000000000000000000000000']);
        continue;
      }
      if (!mine) {
        await this.git.run(['update-ref', local, theirs, '0000000000000000000000000000000000000000']);
        updated.push({ ref: local, how: 'created' });
      } else if (mine === theirs) {
        updated.push({ ref: local, how: 'up-to-date' });
      } else if (await this.git.ok(['merge-base', '--is-ancestor', mine, theirs])) {
        await this.git.run(['update-ref', local, theirs, mine]);
        updated.push({ ref: local, how: 'fast-forward' });
      } else if (await this.git.ok(['merge-base', '--is-ancestor', theirs, mine])) {
        updated.push({ ref: local, how: 'local-ahead' });
      } else {
        const what = local === NOTES_REF ? 'the model notes' : local === ALIAS_REF ? 'the alias log' : local;
        throw new RepoError(
          'NON_FAST_FORWARD',
          `${what} (${local}) changed both here and on ${rem} since they last matched; not overwriting either side. ` +
            `Inspect with \`git log ${local}\` and \`git log ${fetched}\`; to take ${rem}'s side run \`git update-ref ${local} ${fetched}\`.`,
        );
      }
    }
    return { remote: rem, updated, output };
  }
}
