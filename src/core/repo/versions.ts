/** Turn the raw history index into per-model version lists, following renames. */
import type { HistoryIndex, RawChange } from './history';
import { ZERO_OID } from './history';
import type { ModelHistory, ModelVersion } from './types';
import { recordedTrailers } from './trailers';

interface Lineage {
  paths: string[];
  current: string;
  deleted: boolean;
  lastContent?: string;
  versions: ModelVersion[];
}

export function contentIdOf(blob: string, info: { lfs: boolean; oid?: string } | undefined): string {
  return info?.lfs && info.oid ? `sha256:${info.oid}` : `git:${blob}`;
}

/** Build every model's versions from the index. Keyed by each model's current path. */
export function buildHistories(idx: HistoryIndex, isModel: (p: string) => boolean): Map<string, ModelHistory> {
  const byPath = new Map<string, Lineage>();
  const all: Lineage[] = [];
  const lineageFor = (p: string): Lineage => {
    let l = byPath.get(p);
    if (!l) {
      l = { paths: [p], current: p, deleted: false, versions: [] };
      byPath.set(p, l);
      all.push(l);
    }
    return l;
  };
  for (const c of idx.commits) {
    // deletions first, so that a delete + add of the same path in one commit continues the lineage
    const changes = pairRenames(
      [...c.changes].sort((a, b) => (a.status === 'D' ? 0 : 1) - (b.status === 'D' ? 0 : 1)),
      byPath,
    );
    for (const ch of changes) {
      if (ch.newMode === '160000') continue; // submodule
      const relevantNew = isModel(ch.path);
      let l: Lineage;
      let previousPath: string | undefined;
      if (ch.status === 'D') {
        const d = byPath.get(ch.path);
        if (d) d.deleted = true;
        continue;
      } else if (ch.status === 'R' && ch.oldPath !== undefined) {
        const old = byPath.get(ch.oldPath);
        if (!old && !relevantNew) continue;
        l = old ?? lineageFor(ch.oldPath);
        byPath.delete(ch.oldPath);
        const clash = byPath.get(ch.path);
        if (clash && clash !== l) clash.deleted = true;
        byPath.set(ch.path, l);
        l.paths.push(ch.path);
        l.current = ch.path;
        previousPath = ch.oldPath;
      } else {
        if (!relevantNew) continue;
        l = lineageFor(ch.path);
      }
      l.deleted = false;
      if (ch.newBlob === ZERO_OID) continue;
      const info = idx.blobs[ch.newBlob];
      const content = contentIdOf(ch.newBlob, info);
      if (content === l.lastContent) continue; // a pure rename, or the pointer text changed only
      l.lastContent = content;
      const { recorded, trailers } = recordedTrailers(c.message, { path: ch.path, contentId: content });
      const nl = c.message.indexOf('\n');
      l.versions.push({
        model: '',
        path: ch.path,
        version: l.versions.length + 1,
        commit: c.hash,
        shortCommit: c.hash.slice(0, 7),
        parents: c.parents,
        author: { name: c.authorName, email: c.authorEmail },
        date: c.authorDate,
        committerDate: c.committerDate,
        message: c.message,
        subject: nl < 0 ? c.message : c.message.slice(0, nl),
        oid: info?.lfs ? info.oid : undefined,
        contentId: content,
        size: info?.size ?? 0,
        lfs: !!info?.lfs,
        blob: ch.newBlob,
        change: l.versions.length === 0 ? 'added' : ch.status === 'R' ? 'renamed' : ch.status === 'C' ? 'copied' : 'modified',
        previousPath,
        tags: [],
        aliases: [],
        trailers,
        recorded,
      });
    }
  }
  const out = new Map<string, ModelHistory>();
  for (const l of all) {
    if (!l.versions.length) continue;
    for (const v of l.versions) v.model = l.current;
    // two lineages can end on one path only if one was deleted; keep the live one
    const prev = out.get(l.current);
    if (prev && !prev.deleted && l.deleted) continue;
    out.set(l.current, { path: l.current, paths: l.paths, deleted: l.deleted, versions: l.versions });
  }
  return out;
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
    out.push(d ? { ...c, status: 'R', oldPath: d.path, oldBlob: d.oldBlob } : c);
  }
  return out;
}
