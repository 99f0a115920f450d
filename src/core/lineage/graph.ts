/**
 * The lineage graph over all versions of all models, from one history pass (ModelRepository.histories:
 * commits, tags, aliases and notes) plus one `cat-file --batch` for the code commits' subjects.
 * Nodes: model versions, datasets (path + sha256), code commits, evaluations (notes `evaluations`).
 * Edges point from what came first to what was made from it (see LineageEdgeKind).
 */
import { RepoError } from '../repo/errors';
import type { Git } from '../repo/git';
import type { ModelHistory, ModelVersion } from '../repo/types';
import { formatMetric } from '../../shared/lineageText';
import { lineageFromTrailers, parseLineage } from './record';
import type { LineageEdge, LineageEdgeKind, LineageGraph, LineageNode } from './types';

export interface LineageSource {
  readonly git: Git;
  histories(): Promise<Map<string, ModelHistory>>;
  rel(file: string): string;
}

export interface LineageOptions {
  /** only this model's lineage: its versions and every version linked to them (parents, bases, derived models) */
  model?: string;
}

/** Build the graph of a repository. */
export async function lineageGraph(repo: LineageSource, opts: LineageOptions = {}): Promise<LineageGraph> {
  const histories = [...(await repo.histories()).values()];
  const g = buildLineageGraph(histories);
  const codes = g.nodes.filter((n) => n.kind === 'code');
  if (codes.length) {
    const subjects = await commitSubjects(repo.git, codes.map((n) => n.commit!));
    for (const n of codes) {
      const s = subjects.get(n.commit!);
      if (s) {
        n.subject = s.subject;
        n.date = s.date;
        n.label = `${n.shortCommit} ${truncate(s.subject, 40)}`;
      }
    }
  }
  if (opts.model === undefined) return g;
  const rel = repo.rel(opts.model);
  const h = histories.find((x) => x.path === rel || x.paths.includes(rel));
  if (!h) {
    throw new RepoError('NO_SUCH_MODEL', `${rel} has no committed versions (see \`modelver log\` for the models of this repository).`);
  }
  return filterLineage(g, h.path);
}

/** The graph from histories (pure; code commit labels are their short ids). */
export function buildLineageGraph(histories: ModelHistory[]): LineageGraph {
  const nodes = new Map<string, LineageNode>();
  const edges: LineageEdge[] = [];
  const edgeIds = new Set<string>();
  const byPathCommit = new Map<string, LineageNode>();
  const datasetsByOid = new Map<string, LineageNode>();
  const addEdge = (kind: LineageEdgeKind, source: string, target: string, label?: string) => {
    const id = `${kind}:${source}->${target}${label ? `:${label}` : ''}`;
    if (edgeIds.has(id)) return;
    edgeIds.add(id);
    edges.push(label ? { id, kind, source, target, label } : { id, kind, source, target });
  };
  const sorted = [...histories].sort((a, b) => a.path.localeCompare(b.path));
  // pass 1: the version nodes (derived-from may point at a model listed later)
  for (const h of sorted) {
    for (const v of h.versions) {
      const n = versionNode(v);
      nodes.set(n.id, n);
      byPathCommit.set(`${v.path}@${v.commit}`, n);
      byPathCommit.set(`${v.model}@${v.commit}`, n);
    }
  }
  const dataset = (sha256: string, p: string): LineageNode => {
    const id = `dataset:${sha256}:${p}`;
    let n = nodes.get(id);
    if (!n) {
      n = { id, kind: 'dataset', label: `${basename(p)} ${sha256.slice(0, 8)}`, path: p, oid: sha256 };
      nodes.set(id, n);
      if (!datasetsByOid.has(sha256)) datasetsByOid.set(sha256, n);
    }
    return n;
  };
  /** An evaluation (or cross-validation) node of version `me`, with its edge from the version and from the data it ran on. */
  const addEvaluation = (me: LineageNode, v: { version: number; commit: string; shortCommit: string; model: string }, id: string, key: string, label: string, metrics: Record<string, number>, date: unknown, rows: unknown, sha256: unknown, file: string | undefined): void => {
    const n: LineageNode = {
      id,
      kind: 'evaluation',
      label,
      model: v.model,
      version: v.version,
      commit: v.commit,
      shortCommit: v.shortCommit,
      key,
      metrics,
      ...(typeof date === 'string' ? { date } : {}),
      ...(typeof rows === 'number' ? { rows } : {}),
    };
    nodes.set(id, n);
    addEdge('evaluated', me.id, id);
    const sha = typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : undefined;
    if (sha) {
      const d = datasetsByOid.get(sha) ?? dataset(sha, file ?? sha.slice(0, 12));
      n.path = d.path;
      addEdge('evaluated-on', d.id, id);
    }
  };
  // pass 2: lineage trailers and evaluations
  for (const h of sorted) {
    let prev: LineageNode | undefined;
    for (const v of h.versions) {
      const me = byPathCommit.get(`${v.model}@${v.commit}`)!;
      if (prev) addEdge('parent', prev.id, me.id);
      prev = me;
      // what the repository layer recorded (a Model-Derived-From line a user typed is not lineage)
      const rec = v.recorded ? lineageFromTrailers(v.recorded) : parseLineage(v.message);
      if (rec.params) me.params = rec.params;
      if (rec.derivedFrom) {
        const key = `${rec.derivedFrom.path}@${rec.derivedFrom.commit}`;
        let base = byPathCommit.get(key);
        if (!base) {
          base = {
            id: `version:${key}`,
            kind: 'version',
            label: `${basename(rec.derivedFrom.path)} @ ${rec.derivedFrom.commit.slice(0, 7)}`,
            model: rec.derivedFrom.path,
            commit: rec.derivedFrom.commit,
            shortCommit: rec.derivedFrom.commit.slice(0, 7),
            external: true,
          };
          nodes.set(base.id, base);
          byPathCommit.set(key, base);
        }
        addEdge('derived-from', base.id, me.id);
      }
      for (const d of rec.datasets) addEdge('trained-on', dataset(d.sha256, d.path).id, me.id, d.role);
      if (rec.codeCommit) {
        const id = `code:${rec.codeCommit}`;
        if (!nodes.has(id)) {
          nodes.set(id, { id, kind: 'code', label: rec.codeCommit.slice(0, 7), commit: rec.codeCommit, shortCommit: rec.codeCommit.slice(0, 7) });
        }
        addEdge('built-from', id, me.id);
      }
      const evals = (v.metadata as { evaluations?: unknown } | undefined)?.evaluations;
      if (evals && typeof evals === 'object' && !Array.isArray(evals)) {
        for (const [key, raw] of Object.entries(evals as Record<string, unknown>)) {
          if (!raw || typeof raw !== 'object') continue;
          const e = raw as { dataset?: { file?: unknown; sha256?: unknown; rows?: unknown }; metrics?: unknown; date?: unknown };
          const metrics: Record<string, number> = {};
          if (e.metrics && typeof e.metrics === 'object') {
            for (const [k, x] of Object.entries(e.metrics as Record<string, unknown>)) if (typeof x === 'number' && Number.isFinite(x)) metrics[k] = x;
          }
          const file = typeof e.dataset?.file === 'string' ? e.dataset.file : undefined;
          const main = pickMetric(metrics);
          addEvaluation(me, v, `evaluation:${v.commit}:${v.model}:${key}`, key, `eval ${main ? `${main[0]} ${formatMetric(main[1])}` : key.slice(0, 8)}${file ? ` on ${basename(file)}` : ''}`, metrics, e.date, e.dataset?.rows, e.dataset?.sha256, file);
        }
      }
      // cross-validation runs (modelver cv --record, Cross-Validate…): an evaluation node per run, its
      // metrics the means over the folds, on the data it split
      const cvs = (v.metadata as { crossValidations?: unknown } | undefined)?.crossValidations;
      if (cvs && typeof cvs === 'object' && !Array.isArray(cvs)) {
        for (const [key, raw] of Object.entries(cvs as Record<string, unknown>)) {
          if (!raw || typeof raw !== 'object') continue;
          const r = raw as { k?: unknown; repeats?: unknown; data?: { file?: unknown; sha256?: unknown; rows?: unknown }; recipes?: { summary?: Record<string, { mean?: unknown }> }[]; date?: unknown };
          const metrics: Record<string, number> = {};
          for (const [m, x] of Object.entries(r.recipes?.[0]?.summary ?? {})) if (typeof x?.mean === 'number' && Number.isFinite(x.mean)) metrics[m] = x.mean;
          const file = typeof r.data?.file === 'string' ? r.data.file : undefined;
          const main = pickMetric(metrics);
          const k = typeof r.k === 'number' ? r.k : undefined;
          addEvaluation(me, v, `evaluation:${v.commit}:${v.model}:cv:${key}`, key, `${k ? `${k}-fold ` : ''}CV ${main ? `${main[0]} ${formatMetric(main[1])}` : key.slice(0, 8)}${file ? ` on ${basename(file)}` : ''}`, metrics, r.date, r.data?.rows, r.data?.sha256, file);
        }
      }
    }
  }
  return {
    schema: 1,
    models: sorted.map((h) => ({ path: h.path, versions: h.versions.length })),
    nodes: [...nodes.values()],
    edges,
  };
}

/**
 * One model's lineage: the versions connected to its versions through parent and derived-from edges
 * (both ways: what it came from and what was made from it), and their datasets, code commits and
 * evaluations.
 */
export function filterLineage(g: LineageGraph, model: string): LineageGraph {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const adj = new Map<string, string[]>();
  for (const e of g.edges) {
    if (e.kind !== 'parent' && e.kind !== 'derived-from') continue;
    (adj.get(e.source) ?? adj.set(e.source, []).get(e.source)!).push(e.target);
    (adj.get(e.target) ?? adj.set(e.target, []).get(e.target)!).push(e.source);
  }
  const keep = new Set<string>();
  const queue = g.nodes.filter((n) => n.kind === 'version' && n.model === model).map((n) => n.id);
  for (const id of queue) keep.add(id);
  while (queue.length) {
    const id = queue.pop()!;
    for (const o of adj.get(id) ?? []) {
      if (!keep.has(o)) {
        keep.add(o);
        queue.push(o);
      }
    }
  }
  // the inputs and evaluations of the kept versions, then the datasets of those evaluations
  for (const e of g.edges) {
    if ((e.kind === 'trained-on' || e.kind === 'built-from') && keep.has(e.target)) keep.add(e.source);
    if (e.kind === 'evaluated' && keep.has(e.source)) keep.add(e.target);
  }
  for (const e of g.edges) if (e.kind === 'evaluated-on' && keep.has(e.target)) keep.add(e.source);
  const models = new Set([...keep].map((id) => byId.get(id)!).filter((n) => n.kind === 'version').map((n) => n.model!));
  return {
    schema: 1,
    models: g.models.filter((m) => models.has(m.path)),
    nodes: g.nodes.filter((n) => keep.has(n.id)),
    edges: g.edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
  };
}

function versionNode(v: ModelVersion): LineageNode {
  return {
    id: `version:${v.model}@${v.commit}`,
    kind: 'version',
    label: `${basename(v.model)} v${v.version}`,
    model: v.model,
    version: v.version,
    commit: v.commit,
    shortCommit: v.shortCommit,
    subject: v.subject,
    date: v.date,
    author: v.author.name,
    aliases: [...v.aliases],
    tags: v.tags.map((t) => t.name),
    contentId: v.contentId,
  };
}

/** subject and author date of commits, by one `git cat-file --batch` (missing ones are left out). */
async function commitSubjects(git: Git, commits: string[]): Promise<Map<string, { subject: string; date: string }>> {
  const out = new Map<string, { subject: string; date: string }>();
  const r = await git.run(['cat-file', '--batch'], { input: commits.join('\n') + '\n', allowFail: true });
  const buf = r.stdout;
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const [sha, type, size] = buf.toString('utf8', pos, nl).split(' ');
    if (type === 'missing' || size === undefined) {
      pos = nl + 1;
      continue;
    }
    const n = Number(size);
    const text = buf.toString('utf8', nl + 1, nl + 1 + n);
    pos = nl + 1 + n + 1;
    if (type !== 'commit') continue;
    const blank = text.indexOf('\n\n');
    const headers = blank < 0 ? text : text.slice(0, blank);
    const subject = blank < 0 ? '' : (text.slice(blank + 2).split('\n')[0] ?? '');
    const author = /^author .* (\d+) ([+-]\d{4})$/m.exec(headers);
    out.set(sha, { subject, date: author ? new Date(Number(author[1]) * 1000).toISOString() : '' });
  }
  return out;
}

const PREFERRED = ['accuracy', 'f1', 'f1Macro', 'rocAuc', 'r2', 'rmse', 'mse', 'mae', 'logLoss'];
function pickMetric(m: Record<string, number>): [string, number] | undefined {
  for (const k of PREFERRED) if (k in m) return [k, m[k]];
  const first = Object.entries(m)[0];
  return first;
}

function basename(p: string): string {
  return p.split('/').pop() ?? p;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
