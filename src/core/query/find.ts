/**
 * Find versions (issue #16): a FindQuery (./parse.ts) matched against histories already loaded
 * (ModelRepository.histories(): versions with their tags, aliases and notes). Pure — the CLI
 * (`modelver find`) and the extension's view filter share it. buildFindIndex reads each version once
 * (its metrics from the commit trailers and the recorded evaluations, its datasets from the lineage and
 * the evaluations, its format, its change record, its derived-from link); findVersions then checks
 * the query's names against what the index holds (an unknown metric, tag, alias, dataset or model is
 * refused with the known names) and walks the versions once.
 */
import { lineageFromTrailers, parseLineage } from '../lineage/record';
import { trailerMetrics } from '../lineage/metricHistory';
import { parseMessage, TRAILER } from '../repo/trailers';
import type { ModelHistory, ModelVersion } from '../repo/types';
import { FindQueryError, type CompareOp, type FindQuery, type MetricFilter } from './parse';

/** Where a metric value comes from: `commit` (the Model-Metrics trailer), `notes` (a plain metrics note), or an evaluation's dataset. */
interface MetricValue {
  /** 'commit', 'notes' or the evaluated dataset's file name */
  source: string;
  kind: 'commit' | 'notes' | 'evaluation';
  sha256?: string;
  value: number;
  /** evaluations: when recorded (ISO 8601), to pick the newest */
  date?: string;
}

interface DatasetRef {
  /** repository path (lineage) or file name (an evaluation records the name only) */
  path: string;
  name: string;
  sha256: string;
  /** the record has the repository path (lineage), not only the file name */
  hasPath: boolean;
}

interface Entry {
  v: ModelVersion;
  /** the model's current path */
  model: string;
  history: ModelHistory;
  dateMs: number;
  metrics: Map<string, MetricValue[]>;
  datasets: DatasetRef[];
  format?: string;
  breaking: boolean;
  derivedFrom?: { path: string; commit: string };
  who: string;
  /** subject, body and change record, lower case (on first use) */
  text?: string;
}

export interface FindIndex {
  readonly entries: readonly Entry[];
  readonly histories: readonly ModelHistory[];
}

/** A version the query matched. */
export interface FindMatch {
  version: ModelVersion;
  /** the metric values the filters compared, by `source:name` (e.g. `test.csv:accuracy`, `commit:f1`) */
  metrics: Record<string, number>;
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const FORMAT_BY_EXT: Record<string, string> = {
  onnx: 'onnx',
  h5: 'keras-h5',
  hdf5: 'keras-h5',
  keras: 'keras-v3',
  safetensors: 'safetensors',
  pt: 'pytorch',
  pth: 'pytorch',
  gguf: 'gguf',
  tflite: 'tflite',
};

function formatOf(v: ModelVersion): string | undefined {
  const t = v.trailers[TRAILER.format];
  if (t) return t.trim().toLowerCase();
  if (v.files) return 'safetensors';
  const dot = v.path.lastIndexOf('.');
  return dot > v.path.lastIndexOf('/') ? FORMAT_BY_EXT[v.path.slice(dot + 1).toLowerCase()] : undefined;
}

function entryOf(h: ModelHistory, v: ModelVersion): Entry {
  const metrics = new Map<string, MetricValue[]>();
  const add = (name: string, m: MetricValue) => {
    const l = metrics.get(name);
    if (l) l.push(m);
    else metrics.set(name, [m]);
  };
  for (const [name, value] of Object.entries(trailerMetrics(v.message, v.trailers))) add(name, { source: 'commit', kind: 'commit', value });
  const rec = v.recorded ? lineageFromTrailers(v.recorded) : parseLineage(v.message);
  const datasets: DatasetRef[] = rec.datasets.map((d) => ({ path: d.path, name: basename(d.path), sha256: d.sha256, hasPath: true }));
  const md = v.metadata;
  if (md) {
    const evals = isPlain(md.evaluations) ? Object.values(md.evaluations).filter(isPlain) : [];
    for (const e of evals) {
      if (!isPlain(e.dataset) || !isPlain(e.metrics)) continue;
      const file = typeof e.dataset.file === 'string' ? basename(e.dataset.file) : '(dataset)';
      const sha256 = typeof e.dataset.sha256 === 'string' ? e.dataset.sha256 : '';
      const date = typeof e.date === 'string' ? e.date : '';
      if (!datasets.some((d) => d.name === file && d.sha256 === sha256 && !d.hasPath)) datasets.push({ path: file, name: file, sha256, hasPath: false });
      for (const [name, value] of Object.entries(e.metrics)) {
        if (typeof value === 'number' && Number.isFinite(value)) add(name, { source: file, kind: 'evaluation', sha256, value, date });
      }
    }
    // a plain metrics object without recorded evaluations (with them it is a copy of the newest one)
    if (!evals.length && isPlain(md.metrics)) {
      for (const [name, value] of Object.entries(md.metrics)) if (typeof value === 'number' && Number.isFinite(value)) add(name, { source: 'notes', kind: 'notes', value });
    }
  }
  return {
    v,
    model: h.path,
    history: h,
    dateMs: Date.parse(v.date),
    metrics,
    datasets,
    format: formatOf(v),
    breaking: v.trailers[TRAILER.breaking] === 'true',
    ...(rec.derivedFrom ? { derivedFrom: rec.derivedFrom } : {}),
    who: `${v.author.name} <${v.author.email}>`.toLowerCase(),
  };
}

/** Reads every version of the histories once (linear in versions × their metrics and datasets). */
export function buildFindIndex(histories: Iterable<ModelHistory>): FindIndex {
  const hs = [...histories].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const entries: Entry[] = [];
  for (const h of hs) for (const v of h.versions) entries.push(entryOf(h, v));
  return { entries, histories: hs };
}

/** `a, b, c` — at most `max` names, then how many more. */
export function listNames(names: Iterable<string>, max = 20): string {
  const all = [...new Set(names)].sort((a, b) => a.localeCompare(b));
  if (!all.length) return '(none)';
  return all.length > max ? `${all.slice(0, max).join(', ')} … and ${all.length - max} more` : all.join(', ');
}

function compare(a: number, op: CompareOp, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '=':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** Does a dataset reference (as the user gave it) name this record? */
function datasetMatches(ref: string, d: DatasetRef): boolean {
  const r = ref.replace(/\\/g, '/').replace(/^\.\//, '');
  const sha = /^sha256:([0-9a-f]{6,64})$/i.exec(r);
  if (sha) return d.sha256.startsWith(sha[1].toLowerCase());
  if (r.includes('/') && d.hasPath) return r === d.path;
  return basename(r) === d.name;
}

/** Does a metric filter's source name this value's source? */
function sourceMatches(source: string, m: MetricValue): boolean {
  const s = source.toLowerCase();
  if (s === 'commit' || s === 'trailer') return m.kind === 'commit';
  if (s === 'notes') return m.kind === 'notes';
  if (m.kind !== 'evaluation') return false;
  return datasetMatches(source, { path: m.source, name: m.source, sha256: m.sha256 ?? '', hasPath: false });
}

/** The label of a source in messages and in FindMatch.metrics. */
const sourceLabel = (m: MetricValue): string => m.source;

/** The version a spec names among loaded histories: MODEL@vN, @N, @latest, @tag, @alias, @commit prefix. */
function resolveIn(index: FindIndex, spec: string): { history: ModelHistory; versions: ModelVersion[] } {
  const at = spec.lastIndexOf('@');
  const model = (at > 0 ? spec.slice(0, at) : spec).trim();
  const ver = at > 0 ? spec.slice(at + 1).trim() : '';
  const h = index.histories.find((x) => x.path === model || x.paths.includes(model));
  if (!h) {
    throw new FindQueryError(`derived-from ${spec}: ${model} has no committed versions; models: ${listNames(index.histories.map((x) => x.path))}.`, index.histories.map((x) => x.path));
  }
  if (!ver) return { history: h, versions: h.versions };
  const vs = h.versions;
  let hit: ModelVersion | undefined;
  const n = /^v?(\d+)$/i.exec(ver);
  if (ver === 'latest' || ver === 'HEAD') hit = vs[vs.length - 1];
  else if (n && (ver.toLowerCase().startsWith('v') || ver.length < 7)) hit = vs[Number(n[1]) - 1];
  else hit = vs.find((v) => v.aliases.includes(ver)) ?? vs.find((v) => v.tags.some((t) => t.name === ver));
  if (!hit && /^[0-9a-f]{4,40}$/i.test(ver)) {
    const hits = vs.filter((v) => v.commit.startsWith(ver.toLowerCase()));
    if (hits.length > 1) throw new FindQueryError(`derived-from ${spec}: commit id '${ver}' is ambiguous; give more digits.`);
    hit = hits[0];
  }
  if (!hit) throw new FindQueryError(`derived-from ${spec}: ${h.path} has no version '${ver}' (it has v1..v${vs.length}; a version is vN, a tag, an alias or a commit id).`);
  return { history: h, versions: [hit] };
}

/** The keys (`<path>@<commit>`) of the versions derived, through recorded derived-from links, from `bases` (transitively). */
function derivedClosure(index: FindIndex, bases: { history: ModelHistory; versions: ModelVersion[] }): Set<Entry> {
  const children = new Map<string, Entry[]>();
  for (const e of index.entries) {
    if (!e.derivedFrom) continue;
    const k = `${e.derivedFrom.path}@${e.derivedFrom.commit}`;
    const l = children.get(k);
    if (l) l.push(e);
    else children.set(k, [e]);
  }
  const out = new Set<Entry>();
  const queue: { paths: readonly string[]; commit: string }[] = bases.versions.map((v) => ({ paths: bases.history.paths, commit: v.commit }));
  while (queue.length) {
    const { paths, commit } = queue.pop()!;
    for (const p of paths) {
      for (const e of children.get(`${p}@${commit}`) ?? []) {
        if (out.has(e)) continue;
        out.add(e);
        queue.push({ paths: e.history.paths, commit: e.v.commit });
      }
    }
  }
  return out;
}

/** The entries of the query's model (all when none is named). */
function scope(index: FindIndex, q: FindQuery): readonly Entry[] {
  if (q.model === undefined) return index.entries;
  const h = index.histories.find((x) => x.path === q.model || x.paths.includes(q.model!));
  if (!h) {
    throw new FindQueryError(`${q.model} has no committed versions; models: ${listNames(index.histories.map((x) => x.path))}.`, index.histories.map((x) => x.path));
  }
  return index.entries.filter((e) => e.history === h);
}

interface PreparedMetric {
  f: MetricFilter;
  /** picks the compared value of an entry, undefined when it has none */
  pick: (e: Entry) => MetricValue | undefined;
}

function prepareMetric(f: MetricFilter, entries: readonly Entry[], flag: string): PreparedMetric {
  const names = new Set<string>();
  const sources = new Map<string, string>(); // lower-case label → label, for f.name
  for (const e of entries) {
    for (const [name, vals] of e.metrics) {
      names.add(name);
      if (name === f.name) for (const m of vals) sources.set(sourceLabel(m).toLowerCase(), m.kind === 'commit' ? 'commit' : sourceLabel(m));
    }
  }
  if (!names.size) {
    throw new FindQueryError(
      `metric '${f.name}': no version here records any metric (record them with \`modelver commit --metric NAME=VALUE\` or \`modelver evaluate --record\`).`,
    );
  }
  if (!names.has(f.name)) {
    throw new FindQueryError(`unknown metric '${f.name}' in '${f.text}'; known metrics: ${listNames(names)}.`, [...names].sort());
  }
  const labels = [...new Set(sources.values())].sort((a, b) => a.localeCompare(b));
  if (f.source !== undefined) {
    const src = f.source;
    const any = entries.some((e) => e.metrics.get(f.name)?.some((m) => sourceMatches(src, m)));
    if (!any) {
      throw new FindQueryError(`metric '${f.name}' has no values from '${src}' (in '${f.text}'); it has values from: ${listNames(labels)}.`, labels.sort());
    }
  } else if (labels.length > 1) {
    const eg = labels.find((l) => l !== 'commit' && l !== 'notes') ?? labels[0];
    throw new FindQueryError(
      `metric '${f.name}' is recorded from several sources (${listNames(labels)}); name the one to compare, e.g. ${flag}'${eg}:${f.text}'.`,
      labels,
    );
  }
  const src = f.source;
  return {
    f,
    pick: (e) => {
      const vals = e.metrics.get(f.name);
      if (!vals) return undefined;
      let best: MetricValue | undefined;
      for (const m of vals) {
        if (src !== undefined && !sourceMatches(src, m)) continue;
        // several evaluations from the source (the dataset changed, or re-run): the newest counts
        if (!best || (m.date ?? '') > (best.date ?? '')) best = m;
      }
      return best;
    },
  };
}

function checkNames(what: string, plural: string, given: readonly string[], known: Set<string>): void {
  for (const g of given) {
    if (!known.has(g)) throw new FindQueryError(`unknown ${what} '${g}'; known ${plural}: ${listNames(known)}.`, [...known].sort());
  }
}

export interface FindOptions {
  /** how a metric filter is written in messages: `--metric ` (CLI) or '' (the filter text); default '' */
  metricFlag?: string;
}

/**
 * The versions the query matches, in model order then version order. Throws FindQueryError when the
 * query names a metric, tag, alias, dataset or model the versions in scope do not have (with the known
 * names), or a metric recorded from several sources without saying which.
 */
export function findVersions(index: FindIndex, q: FindQuery, opts: FindOptions = {}): FindMatch[] {
  const entries = scope(index, q);
  const metrics = q.metrics.map((f) => prepareMetric(f, entries, opts.metricFlag ?? ''));
  if (q.tags.length) checkNames('tag', 'tags', q.tags, new Set(entries.flatMap((e) => e.v.tags.map((t) => t.name))));
  if (q.aliases.length) checkNames('alias', 'aliases', q.aliases, new Set(entries.flatMap((e) => e.v.aliases)));
  for (const d of q.datasets) {
    if (!entries.some((e) => e.datasets.some((x) => datasetMatches(d, x)))) {
      const known = new Set(entries.flatMap((e) => e.datasets.map((x) => x.path)));
      throw new FindQueryError(`unknown dataset '${d}': no version here was trained or evaluated on it; known datasets: ${listNames(known)}.`, [...known].sort());
    }
  }
  const derived = q.derivedFrom.map((spec) => derivedClosure(index, resolveIn(index, spec)));
  const words = q.text;
  const out: FindMatch[] = [];
  for (const e of entries) {
    if (q.breaking && !e.breaking) continue;
    if (q.since && !(e.dateMs >= q.since.ms)) continue;
    if (q.until && !(e.dateMs <= q.until.ms)) continue;
    if (q.tags.length && !q.tags.every((t) => e.v.tags.some((x) => x.name === t))) continue;
    if (q.aliases.length && !q.aliases.every((a) => e.v.aliases.includes(a))) continue;
    if (q.formats.length && !q.formats.every((f) => e.format !== undefined && (e.format === f || e.format.startsWith(f + '-')))) continue;
    if (q.authors.length && !q.authors.every((a) => e.who.includes(a))) continue;
    if (q.datasets.length && !q.datasets.every((d) => e.datasets.some((x) => datasetMatches(d, x)))) continue;
    if (derived.length && !derived.every((s) => s.has(e))) continue;
    if (words.length) {
      if (e.text === undefined) {
        const msg = parseMessage(e.v.message, e.v);
        e.text = `${msg.subject}\n${msg.body}\n${e.v.trailers[TRAILER.change] ?? ''}`.toLowerCase();
      }
      const t = e.text;
      if (!words.every((w) => t.includes(w))) continue;
    }
    let ok = true;
    const values: Record<string, number> = {};
    for (const m of metrics) {
      const x = m.pick(e);
      if (!x || !compare(x.value, m.f.op, m.f.value)) {
        ok = false;
        break;
      }
      values[`${x.kind === 'commit' ? 'commit' : sourceLabel(x)}:${m.f.name}`] = x.value;
    }
    if (!ok) continue;
    out.push({ version: e.v, metrics: values });
  }
  return out;
}

/** What the filter's suggestions offer: the names in the loaded versions. */
export interface FindVocabulary {
  /** metric names, each with its sources (`commit`, `notes`, dataset file names) */
  metrics: { name: string; sources: string[] }[];
  tags: string[];
  aliases: string[];
  datasets: string[];
  models: string[];
  formats: string[];
}

export function findVocabulary(index: FindIndex): FindVocabulary {
  const metrics = new Map<string, Set<string>>();
  const tags = new Set<string>();
  const aliases = new Set<string>();
  const datasets = new Set<string>();
  const formats = new Set<string>();
  for (const e of index.entries) {
    for (const [name, vals] of e.metrics) {
      let s = metrics.get(name);
      if (!s) metrics.set(name, (s = new Set()));
      for (const m of vals) s.add(m.kind === 'commit' ? 'commit' : m.source);
    }
    for (const t of e.v.tags) tags.add(t.name);
    for (const a of e.v.aliases) aliases.add(a);
    for (const d of e.datasets) datasets.add(d.path);
    if (e.format) formats.add(e.format);
  }
  const sorted = (s: Iterable<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return {
    metrics: sorted(metrics.keys()).map((name) => ({ name, sources: sorted(metrics.get(name)!) })),
    tags: sorted(tags),
    aliases: sorted(aliases),
    datasets: sorted(datasets),
    models: index.histories.map((h) => h.path),
    formats: sorted(formats),
  };
}
