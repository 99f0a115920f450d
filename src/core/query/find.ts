/**
 * Find versions (issue #16): a FindQuery (./parse.ts) matched against histories already loaded
 * (ModelRepository.histories(): versions with their tags, aliases and notes). Pure — the CLI
 * (`modelver find`) and the extension's view filter share it. buildFindIndex lists the versions; what a
 * query needs of each (its metrics from the commit trailers and the recorded evaluations, its datasets
 * from the lineage and the evaluations, its format, date, text, derived-from link) is read on first use
 * and kept with the index. findVersions checks the query's names against the versions in scope (an
 * unknown metric, tag, alias, dataset or model is refused with the known names) and walks them once.
 */
import { LINEAGE_TRAILER, lineageFromTrailers, parseLineage } from '../lineage/record';
import { METRIC_NAME_RE, METRIC_TRAILER, METRICS_TRAILER, trailerMetrics } from '../lineage/metricHistory';
import { parseMessage, TRAILER } from '../repo/trailers';
import type { ModelHistory, ModelVersion } from '../repo/types';
import { FindQueryError, type CompareOp, type FindQuery, type MetricFilter } from './parse';

/** Where a metric value comes from: `commit` (the Model-Metrics trailer), `notes` (a plain metrics note), or an evaluation's dataset. */
interface MetricValue {
  name: string;
  /** 'commit', 'notes' or the evaluated dataset's file name */
  source: string;
  kind: 'commit' | 'notes' | 'evaluation';
  /** evaluations: the dataset's sha256 ('' otherwise) */
  sha256: string;
  value: number;
  /** evaluations: when recorded (ISO 8601), to pick the newest ('' otherwise) */
  date: string;
}

interface DatasetRef {
  /** repository path (lineage) or file name (an evaluation records the name only) */
  path: string;
  name: string;
  sha256: string;
  /** the record has the repository path (lineage), not only the file name */
  hasPath: boolean;
}

/** What the query reads of one version, each part read on first use (a date query never parses metrics). */
interface Entry {
  v: ModelVersion;
  /** the model's current path */
  model: string;
  history: ModelHistory;
  dateMs?: number;
  metrics?: MetricValue[];
  /** the datasets its recorded evaluations ran on */
  evalDatasets?: DatasetRef[];
  /** lineage (Model-Dataset) and evaluation datasets */
  datasets?: DatasetRef[];
  /** null: none recorded */
  derivedFrom?: { path: string; commit: string } | null;
  format?: string | null;
  who?: string;
  /** subject, body and change record, lower case */
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

const dateOf = (e: Entry): number => (e.dateMs ??= Date.parse(e.v.date));
const whoOf = (e: Entry): string => (e.who ??= `${e.v.author.name} <${e.v.author.email}>`.toLowerCase());
const formatOfEntry = (e: Entry): string | undefined => (e.format === undefined ? (e.format = formatOf(e.v) ?? null) : e.format) ?? undefined;

/** The recorded lineage links find uses: the datasets (Model-Dataset) and the derived-from version. */
function readLineage(e: Entry): void {
  const rec = e.v.recorded ? lineageFromTrailers(e.v.recorded.filter(([k]) => k === LINEAGE_TRAILER.dataset || k === LINEAGE_TRAILER.derivedFrom)) : parseLineage(e.v.message);
  e.derivedFrom = rec.derivedFrom ?? null;
  const datasets: DatasetRef[] = rec.datasets.map((d) => ({ path: d.path, name: basename(d.path), sha256: d.sha256, hasPath: true }));
  metricsOf(e);
  for (const d of e.evalDatasets!) if (!datasets.some((x) => x.name === d.name && x.sha256 === d.sha256 && !x.hasPath)) datasets.push(d);
  e.datasets = datasets;
}

const derivedFromOf = (e: Entry): { path: string; commit: string } | undefined => {
  if (e.derivedFrom === undefined) readLineage(e);
  return e.derivedFrom ?? undefined;
};
const datasetsOf = (e: Entry): DatasetRef[] => {
  if (!e.datasets) readLineage(e);
  return e.datasets!;
};
const metricsOf = (e: Entry): MetricValue[] => e.metrics ?? readMetrics(e);

/**
 * `accuracy=0.93, f1=0.9` into `out` as parseMetricsTrailer reads it (items between `,` `;` or white
 * space; a metric name, `=`, a finite number; other items skipped), without its intermediate objects:
 * a query reads the trailers of every version in scope.
 */
function addTrailerMetrics(value: string, out: MetricValue[]): void {
  const n = value.length;
  let i = 0;
  while (i < n) {
    while (i < n && isItemSep(value.charCodeAt(i))) i++;
    const start = i;
    let eq = -1;
    while (i < n && !isItemSep(value.charCodeAt(i))) {
      if (eq < 0 && value.charCodeAt(i) === 61 /* = */) eq = i;
      i++;
    }
    if (eq <= start || eq === i - 1) continue;
    const name = value.slice(start, eq);
    if (!validName(name)) continue;
    const x = Number(value.slice(eq + 1, i));
    if (!Number.isFinite(x)) continue;
    const m: MetricValue = { name, source: 'commit', kind: 'commit', sha256: '', value: x, date: '' };
    let at = -1;
    for (let k = 0; k < out.length; k++) if (out[k].name === name && out[k].kind === 'commit') at = k;
    if (at >= 0) out[at] = m; // the last value of a name counts, as in parseMetricsTrailer
    else out.push(m);
  }
}

/** A Model-Metrics trailer's metrics as this module reads them (parseMetricsTrailer's result; tests compare the two). */
export function trailerMetricValues(value: string): Record<string, number> {
  const out: MetricValue[] = [];
  addTrailerMetrics(value, out);
  return Object.fromEntries(out.map((m) => [m.name, m.value]));
}

/** `,` `;` or white space (the separators of parseMetricsTrailer's `[,;\s]+`, for the characters trailers hold). */
function isItemSep(c: number): boolean {
  return c === 44 || c === 59 || c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0xfeff || c === 0x2028 || c === 0x2029 || (c >= 0x2000 && c <= 0x200a) || c === 0x1680 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** METRIC_NAME_RE, remembered (the same few names recur in every version). */
const checkedNames = new Map<string, boolean>();
function validName(name: string): boolean {
  let ok = checkedNames.get(name);
  if (ok === undefined) {
    ok = METRIC_NAME_RE.test(name);
    if (checkedNames.size < 10_000) checkedNames.set(name, ok);
  }
  return ok;
}

/** The metrics of a version (commit trailers, recorded evaluations, a plain metrics note), and the datasets its evaluations ran on. */
function readMetrics(e: Entry): MetricValue[] {
  const v = e.v;
  const metrics: MetricValue[] = [];
  const evalDatasets: DatasetRef[] = [];
  if (v.recorded) {
    // what Model Versions recorded (Model-Metrics, or one Model-Metric line per metric), as trailerMetrics
    // reads it; `trailers` holds the recorded Model-… keys only (their last value)
    if (v.trailers[METRIC_TRAILER] === undefined) {
      const t = v.trailers[METRICS_TRAILER];
      if (t !== undefined) addTrailerMetrics(t, metrics);
    } else for (const [k, x] of v.recorded) if (k === METRICS_TRAILER || k === METRIC_TRAILER) addTrailerMetrics(x, metrics);
  } else {
    const t = trailerMetrics(v.message, v.trailers);
    for (const name in t) metrics.push({ name, source: 'commit', kind: 'commit', sha256: '', value: t[name], date: '' });
  }
  const md = v.metadata;
  if (md) {
    const evals = isPlain(md.evaluations) ? Object.values(md.evaluations).filter(isPlain) : [];
    for (const ev of evals) {
      if (!isPlain(ev.dataset) || !isPlain(ev.metrics)) continue;
      const file = typeof ev.dataset.file === 'string' ? basename(ev.dataset.file) : '(dataset)';
      const sha256 = typeof ev.dataset.sha256 === 'string' ? ev.dataset.sha256 : '';
      const date = typeof ev.date === 'string' ? ev.date : '';
      if (!evalDatasets.some((d) => d.name === file && d.sha256 === sha256)) evalDatasets.push({ path: file, name: file, sha256, hasPath: false });
      for (const name in ev.metrics) {
        const value = ev.metrics[name];
        if (typeof value === 'number' && Number.isFinite(value)) metrics.push({ name, source: file, kind: 'evaluation', sha256, value, date });
      }
    }
    // a plain metrics object without recorded evaluations (with them it is a copy of the newest one)
    if (!evals.length && isPlain(md.metrics)) {
      for (const name in md.metrics) {
        const value = md.metrics[name];
        if (typeof value === 'number' && Number.isFinite(value)) metrics.push({ name, source: 'notes', kind: 'notes', sha256: '', value, date: '' });
      }
    }
  }
  e.evalDatasets = evalDatasets;
  return (e.metrics = metrics);
}

/** The versions of the histories, in model order; each version's metrics, datasets, lineage … are read when a query first needs them. */
export function buildFindIndex(histories: Iterable<ModelHistory>): FindIndex {
  const hs = [...histories].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const entries: Entry[] = [];
  for (const h of hs) for (const v of h.versions) entries.push({ v, model: h.path, history: h });
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
  return datasetMatches(source, { path: m.source, name: m.source, sha256: m.sha256, hasPath: false });
}

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
    const d = derivedFromOf(e);
    if (!d) continue;
    const k = `${d.path}@${d.commit}`;
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
  const labels = new Set<string>(); // the sources of f.name
  let matched = false; // a value from f.source
  const src = f.source;
  for (const e of entries) {
    for (const m of metricsOf(e)) {
      names.add(m.name);
      if (m.name !== f.name) continue;
      labels.add(m.source);
      if (src !== undefined && !matched && sourceMatches(src, m)) matched = true;
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
  const sources = [...labels].sort((a, b) => a.localeCompare(b));
  if (src !== undefined && !matched) {
    throw new FindQueryError(`metric '${f.name}' has no values from '${src}' (in '${f.text}'); it has values from: ${listNames(sources)}.`, sources);
  }
  if (src === undefined && sources.length > 1) {
    const eg = sources.find((l) => l !== 'commit' && l !== 'notes') ?? sources[0];
    throw new FindQueryError(`metric '${f.name}' is recorded from several sources (${listNames(sources)}); name the one to compare, e.g. ${flag}'${eg}:${f.text}'.`, sources);
  }
  return {
    f,
    pick: (e) => {
      let best: MetricValue | undefined;
      for (const m of metricsOf(e)) {
        if (m.name !== f.name || (src !== undefined && !sourceMatches(src, m))) continue;
        // several evaluations from the source (the dataset changed, or re-run): the newest counts
        if (!best || m.date > best.date) best = m;
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
    if (!entries.some((e) => datasetsOf(e).some((x) => datasetMatches(d, x)))) {
      const known = new Set(entries.flatMap((e) => datasetsOf(e).map((x) => x.path)));
      throw new FindQueryError(`unknown dataset '${d}': no version here was trained or evaluated on it; known datasets: ${listNames(known)}.`, [...known].sort());
    }
  }
  const derived = q.derivedFrom.map((spec) => derivedClosure(index, resolveIn(index, spec)));
  const words = q.text;
  const out: FindMatch[] = [];
  for (const e of entries) {
    if (q.breaking && e.v.trailers[TRAILER.breaking] !== 'true') continue;
    if (q.since && !(dateOf(e) >= q.since.ms)) continue;
    if (q.until && !(dateOf(e) <= q.until.ms)) continue;
    if (q.tags.length && !q.tags.every((t) => e.v.tags.some((x) => x.name === t))) continue;
    if (q.aliases.length && !q.aliases.every((a) => e.v.aliases.includes(a))) continue;
    if (q.formats.length) {
      const f = formatOfEntry(e);
      if (f === undefined || !q.formats.every((x) => f === x || f.startsWith(x + '-'))) continue;
    }
    if (q.authors.length && !q.authors.every((a) => whoOf(e).includes(a))) continue;
    if (q.datasets.length && !q.datasets.every((d) => datasetsOf(e).some((x) => datasetMatches(d, x)))) continue;
    if (derived.length && !derived.every((s) => s.has(e))) continue;
    let ok = true;
    const values: Record<string, number> = {};
    for (const m of metrics) {
      const x = m.pick(e);
      if (!x || !compare(x.value, m.f.op, m.f.value)) {
        ok = false;
        break;
      }
      values[`${x.source}:${m.f.name}`] = x.value;
    }
    if (!ok) continue;
    if (words.length) {
      if (e.text === undefined) {
        const msg = parseMessage(e.v.message, e.v);
        e.text = `${msg.subject}\n${msg.body}\n${e.v.trailers[TRAILER.change] ?? ''}`.toLowerCase();
      }
      const t = e.text;
      if (!words.every((w) => t.includes(w))) continue;
    }
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
    for (const m of metricsOf(e)) {
      let s = metrics.get(m.name);
      if (!s) metrics.set(m.name, (s = new Set()));
      s.add(m.source);
    }
    for (const t of e.v.tags) tags.add(t.name);
    for (const a of e.v.aliases) aliases.add(a);
    for (const d of datasetsOf(e)) datasets.add(d.path);
    const f = formatOfEntry(e);
    if (f) formats.add(f);
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
