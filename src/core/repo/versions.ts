/** Turn the raw history index into per-model version lists, following renames. */
import type { BlobInfo, HistoryIndex, RawChange, RawCommit } from './history';
import { foldersOf, ZERO_OID } from './history';
import { baseOf, folderOfFile, isShardIndex, manifestId } from './folders';
import type { NotesDoc } from './notes';
import type { AliasTarget, FolderFile, ModelHistory, ModelVersion, TagInfo } from './types';
import { recordedTrailers } from './trailers';

interface Lineage {
  /** its place in HistoryBuilder.all */
  id: number;
  paths: string[];
  current: string;
  deleted: boolean;
  lastContent?: string;
  /** how many versions it has */
  count: number;
  /** frozen version objects, oldest first (replaced, never edited, when the lineage is renamed); empty in a builder restored from a state */
  versions: ModelVersion[];
  /** the frozen history last handed out; undefined once the lineage changed after it */
  out?: ModelHistory;
}

export function contentIdOf(blob: string, info: { lfs: boolean; oid?: string } | undefined): string {
  return info?.lfs && info.oid ? `sha256:${info.oid}` : `git:${blob}`;
}

const NONE: never[] = Object.freeze([]) as unknown as never[];
/** what a message without trailers records (shared: versions are read-only) */
const NO_TRAILERS = Object.freeze({ recorded: NONE as [string, string][], trailers: Object.freeze({}) as Record<string, string> });

/**
 * Builds every model's versions from the history index, following renames — incrementally: `add`
 * takes the commits that came after the ones it has seen (oldest first), so a refresh after one new
 * commit costs O(that commit), not O(history).
 *
 * What `histories()` hands out is shared and frozen (histories, their `paths` and `versions` arrays,
 * the versions; not the objects inside a version — author, parents, trailers — which no one may
 * change either): a caller that wants to change one copies it. A history that did not change since the last call is the same object; a changed one is a new
 * object (a refresh never alters a history a caller holds).
 */
/**
 * What a HistoryBuilder knows besides the versions themselves: enough to go on with new commits
 * (HistoryBuilder.restore) for a caller that keeps the versions elsewhere (the log cache).
 */
export interface BuilderState {
  lineages: { paths: string[]; current: string; deleted: boolean; lastContent?: string; count: number }[];
  /** path → lineage, as the builder tracks them (current paths and deleted ones) */
  byPath: [string, number][];
  /** the folder models (folders.ts) and, for each, its files' names and blob ids as of the last commit added */
  folders?: [string, [string, string][]][];
}

export class HistoryBuilder {
  private readonly byPath = new Map<string, Lineage>();
  private readonly all: Lineage[] = [];
  /** false when restored from a state: versions are counted and handed to `onVersion`, not kept */
  private keepVersions = true;
  /** where each commit's versions are: [lineage, index in its versions]; made when first asked for */
  private atCommit: Map<string, [Lineage, number][]> | undefined;
  private result: Map<string, ModelHistory> | undefined;
  /** isModel per path (a history names few paths, many times) */
  private readonly modelPath = new Map<string, boolean>();
  /** folder models (folders.ts): folder → its files (name → blob id) */
  private readonly folderFiles = new Map<string, Map<string, string>>();
  private readonly folders = new Set<string>();

  constructor(private readonly isModelPath: (p: string) => boolean) {}

  private isModel(p: string): boolean {
    let m = this.modelPath.get(p);
    if (m === undefined) this.modelPath.set(p, (m = this.isModelPath(p)));
    return m;
  }

  private noteAt(commit: string, l: Lineage, index: number): void {
    const map = this.atCommit!;
    let at = map.get(commit);
    if (!at) map.set(commit, (at = []));
    at.push([l, index]);
  }

  private lineageFor(p: string): Lineage {
    let l = this.byPath.get(p);
    if (!l) {
      l = { id: this.all.length, paths: [p], current: p, deleted: false, count: 0, versions: [] };
      this.byPath.set(p, l);
      this.all.push(l);
    }
    return l;
  }

  /** The state to restore this builder from (without its versions). */
  state(): BuilderState {
    return {
      lineages: this.all.map((l) => ({ paths: l.paths.slice(), current: l.current, deleted: l.deleted, lastContent: l.lastContent, count: l.count })),
      byPath: [...this.byPath].map(([p, l]) => [p, l.id]),
      folders: [...this.folders].map((f) => [f, [...(this.folderFiles.get(f) ?? [])]]),
    };
  }

  /** A builder that goes on from `state`; it keeps no versions (each new one goes to add's `onVersion`). */
  static restore(isModel: (p: string) => boolean, state: BuilderState): HistoryBuilder {
    const b = new HistoryBuilder(isModel);
    b.keepVersions = false;
    for (const x of state.lineages) b.all.push({ id: b.all.length, paths: x.paths.slice(), current: x.current, deleted: x.deleted, lastContent: x.lastContent, count: x.count, versions: [] });
    for (const [p, id] of state.byPath) {
      const l = b.all[id];
      if (!l) throw new Error(`history state: no lineage ${id}`);
      b.byPath.set(p, l);
    }
    for (const [f, files] of state.folders ?? []) {
      if (typeof f !== 'string' || !Array.isArray(files)) throw new Error('history state: a malformed folder');
      b.folders.add(f);
      b.folderFiles.set(f, new Map(files));
    }
    return b;
  }

  /** The folder models this builder knows (folders.ts). */
  folderModels(): ReadonlySet<string> {
    return this.folders;
  }

  /**
   * The models histories() lists, in its order, as lineage ids with their current path, paths and
   * whether deleted (also for a restored builder).
   */
  models(): { id: number; path: string; paths: string[]; deleted: boolean }[] {
    return [...this.selected().values()].map((l) => ({ id: l.id, path: l.current, paths: l.paths.slice(), deleted: l.deleted }));
  }

  /** The lineage histories() shows for each current path. */
  private selected(): Map<string, Lineage> {
    const out = new Map<string, Lineage>();
    for (const l of this.all) {
      if (!l.count) continue;
      // two lineages can end on one path only if one was deleted; keep the live one
      const prev = out.get(l.current);
      if (prev && !prev.deleted && l.deleted) continue;
      out.set(l.current, l);
    }
    return out;
  }

  /** Apply commits (oldest first; each after every commit added before) and their blobs' pointer info. */
  add(
    commits: readonly RawCommit[],
    blobs: Readonly<Record<string, BlobInfo>>,
    from = 0,
    /** each new version, with the id of its lineage (its `model` is the lineage's path when it was made) */
    onVersion?: (lineage: number, v: ModelVersion) => void,
  ): void {
    const byPath = this.byPath;
    // the folder models these commits make (their files are never models of their own)
    if (from < commits.length) foldersOf(from ? commits.slice(from) : commits, this.folders);
    const folders = this.folders;
    for (let ci = from; ci < commits.length; ci++) {
      const c = commits[ci];
      // deletions first, so that a delete + add of the same path in one commit continues the lineage
      let changes = c.changes;
      if (folders.size) changes = this.applyFolderChanges(c, changes, blobs, onVersion);
      if (changes.length > 1 && changes.some((x) => x.status === 'D')) {
        changes = pairRenames(
          [...changes].sort((a, b) => (a.status === 'D' ? 0 : 1) - (b.status === 'D' ? 0 : 1)),
          byPath,
        );
      }
      let author: ModelVersion['author'] | undefined; // one object for the versions of a commit
      for (let k = 0; k < changes.length; k++) {
        const ch = changes[k];
        if (ch.newMode === '160000') continue; // submodule
        const relevantNew = this.isModel(ch.path);
        let l: Lineage;
        let previousPath: string | undefined;
        if (ch.status === 'D') {
          const d = byPath.get(ch.path);
          if (d && !d.deleted) {
            d.deleted = true;
            d.out = undefined;
          }
          continue;
        } else if (ch.status === 'R' && ch.oldPath !== undefined) {
          const old = byPath.get(ch.oldPath);
          if (!old && !relevantNew) continue;
          l = old ?? this.lineageFor(ch.oldPath);
          byPath.delete(ch.oldPath);
          const clash = byPath.get(ch.path);
          if (clash && clash !== l && !clash.deleted) {
            clash.deleted = true;
            clash.out = undefined;
          }
          byPath.set(ch.path, l);
          l.paths.push(ch.path);
          l.current = ch.path;
          l.out = undefined;
          previousPath = ch.oldPath;
        } else {
          if (!relevantNew) continue;
          l = this.lineageFor(ch.path);
        }
        if (l.deleted) {
          l.deleted = false;
          l.out = undefined;
        }
        if (ch.newBlob === ZERO_OID) continue;
        const info = blobs[ch.newBlob];
        const content = contentIdOf(ch.newBlob, info);
        if (content === l.lastContent) continue; // a pure rename, or the pointer text changed only
        l.lastContent = content;
        // no ':' in the message: no trailer line (the common case of a commit made without modelver)
        const { recorded, trailers } = c.message.includes(':') ? recordedTrailers(c.message, { path: ch.path, contentId: content }) : NO_TRAILERS;
        const nl = c.message.indexOf('\n');
        const index = l.count++;
        const v = Object.freeze<ModelVersion>({
            model: l.current,
            path: ch.path,
            version: index + 1,
            commit: c.hash,
            shortCommit: c.hash.slice(0, 7),
            parents: c.parents,
            author: (author ??= { name: c.authorName, email: c.authorEmail }),
            date: c.authorDate,
            committerDate: c.committerDate,
            message: c.message,
            subject: nl < 0 ? c.message : c.message.slice(0, nl),
            oid: info?.lfs ? info.oid : undefined,
            contentId: content,
            size: info?.size ?? 0,
            lfs: !!info?.lfs,
            blob: ch.newBlob,
            change: index === 0 ? 'added' : ch.status === 'R' ? 'renamed' : ch.status === 'C' ? 'copied' : 'modified',
            previousPath,
            tags: NONE,
            aliases: NONE,
            trailers,
            recorded,
          });
        if (this.keepVersions) l.versions.push(v);
        onVersion?.(l.id, v);
        l.out = undefined;
        if (this.atCommit) this.noteAt(c.hash, l, index);
      }
    }
    this.result = undefined;
  }

  /**
   * The changes of a commit to folder models' files (folders.ts): applied to the folders' file lists,
   * and a version of each folder whose files changed while it holds a model file (its index, or a file
   * matching the patterns). Returns the other changes (a file moved out of a folder is added there; one
   * moved in from a model path deletes that model).
   */
  private applyFolderChanges(
    c: RawCommit,
    changes: RawChange[],
    blobs: Readonly<Record<string, BlobInfo>>,
    onVersion?: (lineage: number, v: ModelVersion) => void,
  ): RawChange[] {
    let rest: RawChange[] | undefined;
    let touched: Set<string> | undefined;
    /** an index renamed from one folder to another: the folder model moves with it */
    let moved: [string, string][] | undefined;
    for (let k = 0; k < changes.length; k++) {
      const ch = changes[k];
      const to = ch.status === 'D' ? undefined : folderOfFile(ch.path, this.folders);
      const fromF = ch.status === 'D' ? folderOfFile(ch.path, this.folders) : ch.oldPath !== undefined ? folderOfFile(ch.oldPath, this.folders) : undefined;
      if (to === undefined && fromF === undefined) {
        rest?.push(ch);
        continue;
      }
      rest ??= changes.slice(0, k);
      touched ??= new Set();
      if (ch.status === 'D') {
        this.folderFiles.get(fromF!)?.delete(baseOf(ch.path));
        touched.add(fromF!);
        continue;
      }
      if (fromF !== undefined && ch.status === 'R') {
        this.folderFiles.get(fromF)?.delete(baseOf(ch.oldPath!));
        touched.add(fromF);
        if (to !== undefined && to !== fromF && isShardIndex(ch.path) && isShardIndex(ch.oldPath!)) (moved ??= []).push([fromF, to]);
      } else if (ch.status === 'R' && ch.oldPath !== undefined && to !== undefined) {
        // a model file moved into a folder model: that model ends here
        const old = this.byPath.get(ch.oldPath);
        if (old && !old.deleted) {
          old.deleted = true;
          old.out = undefined;
        }
      }
      if (to === undefined) {
        // moved out of a folder model: a file of its own from here on
        rest.push({ status: 'A', path: ch.path, newBlob: ch.newBlob, newMode: ch.newMode });
        continue;
      }
      let files = this.folderFiles.get(to);
      if (!files) this.folderFiles.set(to, (files = new Map()));
      if (ch.newMode === '160000') files.delete(baseOf(ch.path));
      else files.set(baseOf(ch.path), ch.newBlob);
      touched.add(to);
    }
    if (!touched) return changes;
    const previous = new Map<string, string>();
    for (const [a, b] of moved ?? []) {
      const l = this.byPath.get(a);
      const there = this.byPath.get(b);
      if (!l || l.deleted || (there && there !== l && !there.deleted)) continue;
      this.byPath.delete(a);
      this.byPath.set(b, l);
      l.paths.push(b);
      l.current = b;
      l.out = undefined;
      previous.set(b, a);
    }
    let author: ModelVersion['author'] | undefined;
    for (const f of [...touched].sort()) {
      const files = this.folderFiles.get(f)!;
      let holdsModel = false;
      for (const name of files.keys()) if (isShardIndex(name) || this.isModel(`${f}/${name}`)) holdsModel = true;
      if (!holdsModel) {
        const l = this.byPath.get(f);
        if (l && !l.deleted) {
          l.deleted = true;
          l.out = undefined;
        }
        continue;
      }
      const l = this.lineageFor(f);
      if (l.deleted) {
        l.deleted = false;
        l.out = undefined;
      }
      const content = manifestId(files);
      if (content === l.lastContent) continue; // a pure rename
      l.lastContent = content;
      const list: FolderFile[] = [...files]
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([name, blob]) => {
          const info = blobs[blob];
          return Object.freeze<FolderFile>({ name, blob, lfs: !!info?.lfs, ...(info?.lfs && info.oid ? { oid: info.oid } : {}), size: info?.size ?? 0 });
        });
      const { recorded, trailers } = c.message.includes(':') ? recordedTrailers(c.message, { path: f, contentId: content }) : NO_TRAILERS;
      const nl = c.message.indexOf('\n');
      const index = l.count++;
      const previousPath = previous.get(f);
      const v = Object.freeze<ModelVersion>({
        model: l.current,
        path: f,
        version: index + 1,
        commit: c.hash,
        shortCommit: c.hash.slice(0, 7),
        parents: c.parents,
        author: (author ??= { name: c.authorName, email: c.authorEmail }),
        date: c.authorDate,
        committerDate: c.committerDate,
        message: c.message,
        subject: nl < 0 ? c.message : c.message.slice(0, nl),
        oid: undefined,
        contentId: content,
        size: list.reduce((a, x) => a + x.size, 0),
        lfs: list.some((x) => x.lfs),
        blob: '',
        files: Object.freeze(list) as FolderFile[],
        change: index === 0 ? 'added' : previousPath !== undefined ? 'renamed' : 'modified',
        previousPath,
        tags: NONE,
        aliases: NONE,
        trailers,
        recorded,
      });
      if (this.keepVersions) l.versions.push(v);
      onVersion?.(l.id, v);
      l.out = undefined;
      if (this.atCommit) this.noteAt(c.hash, l, index);
    }
    return rest ?? changes;
  }

  /** Every model's history, keyed by its current path (shared, frozen; see the class comment). */
  histories(): ReadonlyMap<string, ModelHistory> {
    if (this.result) return this.result;
    if (!this.keepVersions) throw new Error('a HistoryBuilder restored from a state keeps no versions');
    const out = new Map<string, ModelHistory>();
    for (const [p, l] of this.selected()) out.set(p, (l.out ??= this.snapshot(l)));
    return (this.result = out);
  }

  /** The versions a commit made, as [history (as in histories()), index in its versions]. */
  versionsAt(commit: string): [ModelHistory, number][] {
    if (!this.keepVersions) throw new Error('a HistoryBuilder restored from a state keeps no versions');
    if (!this.atCommit) {
      this.atCommit = new Map();
      for (const l of this.all) for (let i = 0; i < l.versions.length; i++) this.noteAt(l.versions[i].commit, l, i);
    }
    const at = this.atCommit.get(commit);
    if (!at) return [];
    const hs = this.histories();
    const out: [ModelHistory, number][] = [];
    for (const [l, i] of at) if (l.out && hs.get(l.current) === l.out) out.push([l.out, i]);
    return out;
  }

  private snapshot(l: Lineage): ModelHistory {
    // versions made before a rename still name the old path as the model: new frozen copies
    if (l.versions[0].model !== l.current) {
      l.versions = l.versions.map((v) => (v.model === l.current ? v : Object.freeze({ ...v, model: l.current })));
    }
    return Object.freeze({
      path: l.current,
      paths: Object.freeze(l.paths.slice()) as string[],
      deleted: l.deleted,
      versions: Object.freeze(l.versions.slice()) as ModelVersion[],
    });
  }
}

/** Build every model's versions from the index. Keyed by each model's current path. */
export function buildHistories(idx: HistoryIndex, isModel: (p: string) => boolean): ReadonlyMap<string, ModelHistory> {
  const b = new HistoryBuilder(isModel);
  b.add(idx.commits, idx.blobs);
  return b.histories();
}

const extOf = (p: string): string => {
  const base = p.slice(p.lastIndexOf('/') + 1);
  const i = base.lastIndexOf('.');
  return i > 0 ? base.slice(i).toLowerCase() : '';
};

/**
 * git's rename detection compares contents, and two LFS pointers with different oids are never
 * similar enough: a model renamed *and* changed in one commit shows as D + A. Pair such a delete
 * and add when they are the only ones of their file extension in the commit (or share a base name).
 */
function pairRenames(changes: RawChange[], byPath: Map<string, unknown>): RawChange[] {
  const dels = changes.filter((c) => c.status === 'D' && byPath.has(c.path));
  const adds = changes.filter((c) => c.status === 'A' && !byPath.has(c.path));
  if (!dels.length || !adds.length) return changes;
  const pairs = new Map<RawChange, RawChange>();
  for (const a of adds) {
    const base = a.path.slice(a.path.lastIndexOf('/') + 1);
    let cands = dels.filter((d) => d.path.slice(d.path.lastIndexOf('/') + 1) === base);
    if (cands.length !== 1) {
      const sameExt = dels.filter((d) => extOf(d.path) === extOf(a.path));
      const addsSameExt = adds.filter((x) => extOf(x.path) === extOf(a.path));
      cands = sameExt.length === 1 && addsSameExt.length === 1 ? sameExt : [];
    }
    if (cands.length === 1 && ![...pairs.values()].includes(cands[0])) pairs.set(a, cands[0]);
  }
  if (!pairs.size) return changes;
  const usedDels = new Set(pairs.values());
  const out: RawChange[] = [];
  for (const c of changes) {
    if (usedDels.has(c)) continue;
    const d = pairs.get(c);
    out.push(d ? { ...c, status: 'R', oldPath: d.path } : c);
  }
  return out;
}

/** What is attached to versions after the fact: tags (by commit), aliases (by model path), notes (by commit). */
export interface Decorations {
  tagsByCommit: ReadonlyMap<string, TagInfo[]>;
  /** alias state: model path → alias name → target */
  aliases: Readonly<Record<string, Readonly<Record<string, AliasTarget>>>>;
  notes: ReadonlyMap<string, NotesDoc>;
}

/** The commits that may carry a decoration (tagged, aliased, or with a note). */
export function decoratedCommits(d: Decorations): Set<string> {
  const out = new Set<string>(d.tagsByCommit.keys());
  for (const byName of Object.values(d.aliases)) for (const t of Object.values(byName)) out.add(t.commit);
  for (const c of d.notes.keys()) out.add(c);
  return out;
}

/**
 * The tags, aliases and metadata of one version (`model`: its history's current path and every path
 * it had; `v`: the version's commit and path); undefined when it has none.
 */
export function decorationOf(
  d: Decorations,
  model: { path: string; paths: readonly string[] },
  v: { commit: string; path: string },
): { tags?: TagInfo[]; aliases?: string[]; metadata?: Record<string, unknown> } | undefined {
  const tags = d.tagsByCommit.get(v.commit);
  let aliases: string[] | undefined;
  for (const p of model.paths) {
    const byName = d.aliases[p];
    if (!byName) continue;
    for (const [name, t] of Object.entries(byName)) if (t.commit === v.commit) (aliases ??= []).push(name);
  }
  const doc = d.notes.get(v.commit);
  const metadata = doc ? (doc.models[v.path] ?? doc.models[model.path]) : undefined;
  if (!tags && !aliases && !metadata) return undefined;
  return { ...(tags ? { tags } : {}), ...(aliases ? { aliases } : {}), ...(metadata ? { metadata } : {}) };
}
