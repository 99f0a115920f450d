/**
 * `modelver log --json` (compact), and the cache that lets it run at about the pace of `git log`.
 *
 * The text: `{"repository":…,"models":[`, then per model its head (`{"model":…,"paths":…,
 * "deleted":…,"versions":[`), one version per line (versionJson), `]}`; models by path.
 *
 * The cache, `<git common dir>/model-versions/log-<hash of the patterns and the work tree>/`, holds
 * the version lines of every model at one HEAD, without tags, aliases and notes (which change without
 * a commit: they are attached when printed, and a version that has one is printed anew), and the
 * HistoryBuilder's state. So a run
 *  - at the same HEAD prints from it (no history is read);
 *  - after new commits that form a straight line on top of its HEAD reads only those commits
 *    (`git log OLD..NEW`), goes on from the builder's state, and writes new segments for the models
 *    that got versions (all of a model's lines when it was renamed: they name it);
 *  - otherwise (no cache, a rewrite, a merge) builds the log from the history index and writes it.
 * A cache of another format, patterns or work tree, or damaged, is not used.
 *
 * Layout: `head.json` (Header: HEAD, the builder's state, and per lineage the segment file holding
 * its lines), written last and atomically (tmp + rename); per lineage with versions a segment
 * `<lineage>-<random>.seg`, never changed once written: a line of its versions' commit ids one after
 * the other, then its version lines joined by ",\n". A segment no header names is removed by a later
 * write once it is a minute old (so that a writer running at the same time keeps its own).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ModelRepository, ModelVersion } from '../../core/repo';
import { isLinearOn, scanHistory, type BlobInfo, type RawCommit } from '../../core/repo/history';
import { decoratedCommits, decorationOf, HistoryBuilder, type BuilderState } from '../../core/repo/versions';
import { versionJson } from './repoCommon';
import type { CliIO } from '../main';

/** Change when versionJson, the builder's state or the layout changes: a cache of another format is not read. */
const FORMAT = 'modelver-log-4';
/** A segment no header names is removed once it is this old (ms). */
const ORPHAN_AGE = 60_000;

interface Header {
  k: string;
  key: string;
  root: string;
  head: string;
  state: BuilderState;
  /** per lineage: its segment's file name, and the bytes of its version lines ('' and 0 when it has no versions) */
  segs: [string, number][];
}

/** A lineage's versions: their commit ids one after the other, and their lines joined by ",\n". */
class Block {
  constructor(
    readonly ids: string,
    private t?: string,
    private b?: Buffer,
    /** the segment file that holds exactly this block, when it came from one */
    readonly seg?: string,
  ) {}
  static readonly EMPTY = new Block('', '', Buffer.alloc(0));
  text(): string {
    return (this.t ??= this.b!.toString('utf8'));
  }
  bytes(): Buffer {
    return (this.b ??= Buffer.from(this.t!, 'utf8'));
  }
}

/** The log of one HEAD: the builder's state, and per lineage its versions (undecorated). */
interface View {
  head: string;
  state: BuilderState;
  blocks: Block[];
}

/** `{"model":…,"paths":…,"deleted":…,"versions":[` */
const modelHead = (m: { path: string; paths: readonly string[]; deleted: boolean }): string =>
  JSON.stringify({ model: m.path, paths: m.paths, deleted: m.deleted }).slice(0, -1) + ',"versions":[';

/**
 * The lines of versions (undecorated: no tags, aliases or metadata), joined by ",\n": one
 * JSON.stringify for all. A version's JSON starts with `{"model":`, and `},{"model":` occurs in
 * that text only between two versions: inside a string a `"` is escaped, and the only objects in an
 * undecorated version (author, trailers) hold no `model` key.
 */
const versionLines = (vs: readonly ModelVersion[], model: string): string =>
  vs.length ? JSON.stringify(vs.map((v) => versionJson(v.model === model ? v : { ...v, model }))).slice(1, -1).replaceAll('},{"model":', '},\n{"model":') : '';

/** The lines of a block of `n` versions. */
const linesOf = (block: string, n: number): string[] => block.split('\n').map((l, j) => (j < n - 1 ? l.slice(0, -1) : l));

export function cacheDir(repo: ModelRepository): string {
  const h = crypto.createHash('sha1').update(`${repo.matcher.key()}\0${repo.root}`).digest('hex').slice(0, 12);
  return path.join(repo.dataDir, `log-${h}`);
}

/** How the last printLogJson got its log (tests, benchmarks). */
export let lastLogSource: 'cache' | 'cache + new commits' | 'history' | undefined;

/** Print the log of every model (`model` undefined) or of one (a path, as the user gave it). */
export async function printLogJson(repo: ModelRepository, io: Pick<CliIO, 'out' | 'outBytes'>, model?: string): Promise<void> {
  const rel = model === undefined ? undefined : repo.rel(model);
  const isModel = (p: string) => repo.matcher.matches(p);
  const decorations = repo.decorations(); // read while the history is
  decorations.catch(() => undefined); // (awaited below; no unhandled rejection meanwhile)
  const [head, cached] = await Promise.all([repo.head(), readCache(repo)]);
  let view: View | undefined;
  if (cached && head) {
    if (cached.head === head) {
      view = cached;
      lastLogSource = 'cache';
    } else {
      const folders = new Set((cached.state.folders ?? []).map(([f]) => f));
      const r = await scanHistory(repo.git, `${cached.head}..${head}`, isModel, {}, undefined, folders).catch(() => undefined); // the old head may be gone
      // a straight line of new commits: the full history's order is the old one, then these (a new
      // folder model needs its files' older commits: the history index has them)
      if (r && isLinearOn(r, cached.head) && !r.newFolders.length) {
        view = extend(cached, head, HistoryBuilder.restore(isModel, cached.state), r.commits, r.blobs);
        lastLogSource = 'cache + new commits';
        writeCache(repo, view, cached);
      }
    }
  }
  if (!view) {
    const idx = await repo.historyIndex();
    view = extend({ head: '', state: { lineages: [], byPath: [] }, blocks: [] }, idx.head, HistoryBuilder.restore(isModel, { lineages: [], byPath: [] }), idx.commits, idx.blobs);
    lastLogSource = 'history';
    if (idx.head) writeCache(repo, view, cached);
  }
  const v = view;
  const d = await decorations;
  const models = HistoryBuilder.restore(isModel, v.state).models();
  const marks = decoratedCommits(d);
  /**
   * a model's text: its head line, its version lines, `]}` — the lines as read, but for those of
   * decorated versions, printed anew (the rest of the block is not decoded or copied)
   */
  const text = (m: (typeof models)[number]): Buffer[] => {
    const n = v.state.lineages[m.id].count;
    const b = v.blocks[m.id];
    const head = Buffer.from(`${modelHead(m)}\n`, 'utf8');
    if (!marks.size) return [head, b.bytes()];
    const w = b.ids.length / n;
    const parts: Buffer[] = [head];
    let bytes: Buffer | undefined;
    let at = 0; // bytes before this are in parts
    let line = 0; // the line that starts at `start`
    let start = 0;
    for (let k = 0; k < n; k++) {
      const commit = b.ids.slice(k * w, k * w + w);
      if (!marks.has(commit)) continue;
      bytes ??= b.bytes();
      // lines are joined by ",\n" and hold no other line break (JSON escapes them in strings)
      for (; line < k; line++) start = bytes.indexOf(10, start) + 1;
      const end = k < n - 1 ? bytes.indexOf(10, start) - 1 : bytes.length;
      const o = JSON.parse(bytes.toString('utf8', start, end)) as Record<string, unknown>;
      const x = decorationOf(d, m, { commit, path: o.path as string });
      if (!x) continue;
      o.tags = (x.tags ?? []).map((t) => t.name);
      o.aliases = x.aliases ?? [];
      o.metadata = x.metadata ?? null;
      parts.push(bytes.subarray(at, start), Buffer.from(JSON.stringify(o), 'utf8'));
      at = end;
    }
    parts.push(bytes ? bytes.subarray(at) : b.bytes());
    return parts;
  };
  // the whole text at once, as bytes: the version lines of a 10k-commit log are megabytes, written as
  // read from the cache (decoding and encoding them again took longer than git's own log)
  const parts: Buffer[] = [];
  if (rel !== undefined) {
    let m = models.find((x) => x.path === rel) ?? models.find((x) => x.paths.includes(rel));
    if (!m) {
      // throws NO_SUCH_MODEL, with what to do; a file of a folder model (its index, a shard) names the folder
      const h = await repo.history(rel);
      m = models.find((x) => x.path === h.path);
      if (!m) throw new Error(`the log cache and the history disagree about ${rel}; delete ${cacheDir(repo)}`);
    }
    parts.push(...text(m), Buffer.from('\n]}\n'));
  } else {
    const sorted = [...models].sort((a, b) => a.path.localeCompare(b.path));
    parts.push(Buffer.from(`{"repository":${JSON.stringify(repo.root)},"models":[\n`, 'utf8'));
    sorted.forEach((m, i) => parts.push(...text(m), Buffer.from(i < sorted.length - 1 ? '\n]},\n' : '\n]}\n')));
    parts.push(Buffer.from(']}\n'));
  }
  if (io.outBytes) for (const p of parts) io.outBytes(p);
  else {
    const all = Buffer.concat(parts);
    io.out(all.toString('utf8', 0, all.length - 1));
  }
}

/** `base` with `commits` (oldest first, after base.head) added by `builder` (restored from base.state). */
function extend(base: View, head: string, builder: HistoryBuilder, commits: readonly RawCommit[], blobs: Readonly<Record<string, BlobInfo>>): View {
  const added = new Map<number, ModelVersion[]>();
  builder.add(commits, blobs, 0, (id, v) => {
    const l = added.get(id);
    if (l) l.push(v);
    else added.set(id, [v]);
  });
  const state = builder.state();
  const blocks = state.lineages.map((l, id) => {
    const before = base.state.lineages[id];
    const old = base.blocks[id] ?? Block.EMPTY;
    const renamed = before !== undefined && before.current !== l.current;
    const fresh = added.get(id) ?? [];
    if (!fresh.length && !renamed) return old;
    const ids = old.ids + fresh.map((v) => v.commit).join('');
    if (!renamed && before?.count) {
      // new versions after the old lines, which stay as they are (bytes, not decoded)
      return new Block(ids, undefined, Buffer.concat([old.bytes(), Buffer.from(`,\n${versionLines(fresh, l.current)}`, 'utf8')]));
    }
    let lines = before?.count ? linesOf(old.text(), before.count) : [];
    if (renamed) {
      // every version names the model by its current path
      lines = lines.map((s) => {
        const o = JSON.parse(s) as Record<string, unknown>;
        o.model = l.current;
        return JSON.stringify(o);
      });
    }
    const text = [...(lines.length ? [lines.join(',\n')] : []), ...(fresh.length ? [versionLines(fresh, l.current)] : [])].join(',\n');
    return new Block(ids, text);
  });
  return { head, state, blocks };
}

async function readCache(repo: ModelRepository): Promise<View | undefined> {
  const dir = cacheDir(repo);
  try {
    const h = JSON.parse(await fs.promises.readFile(path.join(dir, 'head.json'), 'utf8')) as Header;
    if (h.k !== FORMAT || h.key !== repo.matcher.key() || h.root !== repo.root || typeof h.head !== 'string' || !h.head) return undefined;
    const ls = h.state?.lineages;
    if (!Array.isArray(ls) || !Array.isArray(h.state.byPath) || !Array.isArray(h.segs) || h.segs.length !== ls.length) return undefined;
    HistoryBuilder.restore(() => true, h.state); // throws on a state it cannot go on from
    const w = h.head.length;
    const blocks = await Promise.all(
      ls.map(async (l, id): Promise<Block | undefined> => {
        const [seg, bytes] = h.segs[id] ?? [];
        if (!Number.isInteger(l.count) || l.count < 0 || !Array.isArray(l.paths)) return undefined;
        if (!l.count) return seg === '' ? Block.EMPTY : undefined;
        if (typeof seg !== 'string' || !/^\d+-[0-9a-f]+\.seg$/.test(seg) || !Number.isInteger(bytes)) return undefined;
        const buf = await fs.promises.readFile(path.join(dir, seg));
        const nl = l.count * w;
        if (buf.length !== nl + 1 + bytes || buf[nl] !== 10) return undefined; // another segment, or damaged
        return new Block(buf.toString('latin1', 0, nl), undefined, buf.subarray(nl + 1), seg);
      }),
    );
    if (blocks.some((b) => !b)) return undefined;
    return { head: h.head, state: h.state, blocks: blocks as Block[] };
  } catch {
    return undefined; // missing, damaged, or a segment removed under us: the history is read
  }
}

/** mkdir that never makes a parent (a repository deleted meanwhile is not made again). */
function mkdirIn(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * Write the cache: new segments for new blocks, then head.json; then remove the segments of
 * `previous` this one does not reuse, and orphans (a cache that cannot be written is only slower next time).
 */
function writeCache(repo: ModelRepository, view: View, previous?: View): void {
  const dir = cacheDir(repo);
  const token = crypto.randomBytes(6).toString('hex');
  const tmp = path.join(dir, `head.json.${process.pid}.${token}.tmp`);
  try {
    mkdirIn(repo.dataDir);
    mkdirIn(dir);
    const segs: [string, number][] = view.blocks.map((b, id) => {
      if (!view.state.lineages[id].count) return ['', 0];
      const bytes = b.bytes();
      if (b.seg) return [b.seg, bytes.length];
      const seg = `${id}-${token}.seg`;
      const fd = fs.openSync(path.join(dir, seg), 'wx');
      try {
        for (const part of [Buffer.from(b.ids + '\n', 'latin1'), bytes]) for (let at = 0; at < part.length; ) at += fs.writeSync(fd, part, at);
      } finally {
        fs.closeSync(fd);
      }
      return [seg, bytes.length];
    });
    const header: Header = { k: FORMAT, key: repo.matcher.key(), root: repo.root, head: view.head, state: view.state, segs };
    fs.writeFileSync(tmp, JSON.stringify(header));
    fs.renameSync(tmp, path.join(dir, 'head.json'));
    // the segments this write replaced (a reader that still wants one reads the history instead),
    // and those no header names (of a writer that died) once they are old enough
    const named = new Set(segs.map(([s]) => s));
    for (const b of previous?.blocks ?? []) if (b.seg && !named.has(b.seg)) fs.rmSync(path.join(dir, b.seg), { force: true });
    const now = Date.now();
    for (const f of fs.readdirSync(dir)) {
      if (named.has(f) || !(f.endsWith('.seg') || f.endsWith('.tmp'))) continue;
      const p = path.join(dir, f);
      const st = fs.statSync(p, { throwIfNoEntry: false });
      if (st && now - st.mtimeMs > ORPHAN_AGE) fs.rmSync(p, { force: true });
    }
  } catch {
    /* only slower next time */
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
