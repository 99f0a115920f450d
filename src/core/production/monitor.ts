/**
 * Monitoring of deployed versions from their prediction log: per version and per time window the
 * traffic, latency p50/p95, the prediction distribution, feature drift against a reference (the
 * training data), and accuracy / log-loss once outcomes arrive. docs/production.md says where each
 * statistic comes from:
 *
 * - two-sample Kolmogorov–Smirnov statistic D per numeric feature, its p-value from the asymptotic
 *   Kolmogorov distribution Q(√(nm/(n+m))·D) (scipy.stats.kstwobign.sf); on at most RESERVOIR values
 *   per feature, version and window (a seeded uniform reservoir sample beyond that);
 * - population stability index PSI = Σ (a − e) ln(a / e) over the reference's deciles (10 bins; for
 *   text features, its categories), empty bins counted as 0.0001;
 * - latency quantiles from a log-spaced histogram (1 % wide bins): within 1 % of the exact value.
 */
import { mulberry32, type Random } from '../metrics/rng';
import * as fs from 'fs';
import { EventLogError, estimateLines, forEachLine, jsonRecord, logFormatOf, readEvents, readOutcomes, splitCsvLine, type ByteRange, type EventField, type LogFormat, type PredictionEvent, type ReadOptions } from './events';
import type { FeatureDriftJson, MonitorReportJson, MonitorStatsJson } from '../../shared/monitorProtocol';
import { forEachParquetRow } from './parquet';
import { IdTable, type IdTableParts } from './idTable';
import { parallelRead } from './parallel';

export const RESERVOIR = 20000;
const PSI_FLOOR = 1e-4;
const MAX_CATEGORIES = 50;

/** Uniform reservoir sample (Vitter's algorithm R), seeded. */
class Reservoir {
  readonly values: Float64Array;
  seen = 0;
  constructor(
    readonly cap: number,
    private readonly rnd: Random,
  ) {
    this.values = new Float64Array(cap);
  }
  add(x: number): void {
    if (this.seen < this.cap) this.values[this.seen] = x;
    else {
      const j = Math.floor(this.rnd() * (this.seen + 1));
      if (j < this.cap) this.values[j] = x;
    }
    this.seen++;
  }
  sample(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.cap)).sort();
  }
  /** The reservoir's state, to cross to another thread. */
  snapshot(): ReservoirState {
    return { values: this.values.slice(0, Math.min(this.seen, this.cap)), seen: this.seen };
  }
  /**
   * Joins another reservoir's sample of other values: the result is a uniform sample of all values
   * seen by both — how many come from each side is drawn as a draw without replacement from both
   * populations (hypergeometric), then that many are taken at random from each side's sample.
   */
  merge(other: ReservoirState): void {
    const total = this.seen + other.seen;
    const mine = Math.min(this.seen, this.cap);
    if (total <= this.cap) {
      this.values.set(other.values, mine);
      this.seen = total;
      return;
    }
    let remA = this.seen;
    let remB = other.seen;
    let fromA = 0;
    for (let t = 0; t < this.cap; t++) {
      if (this.rnd() * (remA + remB) < remA) {
        fromA++;
        remA--;
      } else remB--;
    }
    const a = pick(this.values.slice(0, mine), fromA, this.rnd);
    const b = pick(Float64Array.from(other.values), this.cap - fromA, this.rnd);
    this.values.set(a, 0);
    this.values.set(b, fromA);
    this.seen = total;
  }
}

/** What crosses threads of a Reservoir: its sample and how many values it has seen. */
interface ReservoirState {
  values: Float64Array;
  seen: number;
}

/** k values at random from `xs` (a partial Fisher–Yates shuffle; xs is reordered). */
function pick(xs: Float64Array, k: number, rnd: Random): Float64Array {
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rnd() * (xs.length - i));
    const t = xs[i];
    xs[i] = xs[j];
    xs[j] = t;
  }
  return xs.subarray(0, k);
}

/** Log-spaced histogram for positive values (latency): 1 % wide bins from 1 µs to ~1e6 ms. */
class LogHistogram {
  /** counts by bin + 1 (bin −1 holds values up to 1 µs); grown as larger values come */
  private cells = new Float64Array(2048);
  n = 0;
  add(x: number): void {
    const i = x <= 1e-3 ? 0 : Math.floor(Math.log(x / 1e-3) / LOG_1_01) + 1;
    if (i >= this.cells.length) this.grow(i);
    this.cells[i]++;
    this.n++;
  }
  private grow(i: number): void {
    let len = this.cells.length;
    while (len <= i) len *= 2;
    const cells = new Float64Array(len);
    cells.set(this.cells);
    this.cells = cells;
  }
  /** bin → count, the bins that hold values (to cross threads) */
  get counts(): Map<number, number> {
    const out = new Map<number, number>();
    this.cells.forEach((c, i) => {
      if (c) out.set(i - 1, c);
    });
    return out;
  }
  merge(other: { counts: Map<number, number>; n: number }): void {
    for (const [b, c] of other.counts) {
      if (b + 1 >= this.cells.length) this.grow(b + 1);
      this.cells[b + 1] += c;
    }
    this.n += other.n;
  }
  quantile(q: number): number | undefined {
    if (!this.n) return undefined;
    const target = q * this.n;
    let acc = 0;
    for (let i = 0; i < this.cells.length; i++) {
      acc += this.cells[i];
      if (this.cells[i] && acc >= target) return i === 0 ? 1e-3 : 1e-3 * Math.pow(1.01, i - 1 + 0.5);
    }
    return undefined;
  }
}

const LOG_1_01 = Math.log(1.01);

/** The Kolmogorov distribution's survival function Q(λ) = 2 Σ (−1)^(k−1) exp(−2k²λ²). */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 0.2) return 1;
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    s += (k % 2 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/** Two-sample KS statistic of two sorted samples, and its asymptotic p-value. */
export function ks2(a: Float64Array, b: Float64Array): { d: number; p: number } {
  const n = a.length;
  const m = b.length;
  if (!n || !m) return { d: 0, p: 1 };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const en = (n * m) / (n + m);
  return { d, p: kolmogorovSurvival(Math.sqrt(en) * d) };
}

/** Decile edges of a sorted sample (9 inner edges). */
export function decileEdges(sorted: Float64Array): number[] {
  const edges: number[] = [];
  for (let k = 1; k < 10; k++) {
    const pos = (k / 10) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const v = sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
    if (!edges.length || v > edges[edges.length - 1]) edges.push(v);
  }
  return edges;
}

/** Bin index of x against inner edges: bin k holds edges[k−1] < x ≤ edges[k]. */
function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The fewest values whose PSI is judged against `threshold`: by chance alone (no drift) PSI over
 * `bins` bins of n values has an expected value of about (bins − 1)/n, so below 4·(bins − 1)/threshold
 * values (180 for ten bins and 0.2) a window's PSI is mostly noise and flags nothing (KS, whose p-value
 * accounts for n, still does). docs/production.md.
 */
export function psiMinN(bins: number, threshold: number): number {
  return Math.ceil((4 * Math.max(1, bins - 1)) / threshold);
}

/** PSI of observed bin counts against expected bin counts. */
export function psi(expected: readonly number[], observed: readonly number[]): number {
  const te = expected.reduce((a, b) => a + b, 0);
  const to = observed.reduce((a, b) => a + b, 0);
  if (!te || !to) return 0;
  let s = 0;
  for (let k = 0; k < expected.length; k++) {
    const e = Math.max(expected[k] / te, PSI_FLOOR);
    const a = Math.max(observed[k] / to, PSI_FLOOR);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/** Counts `k` of category `c`; past MAX_CATEGORIES categories, new ones count as '(other)'. */
function addCategory(categories: Map<string, number>, c: string, k: number): void {
  if (categories.has(c) || categories.size < MAX_CATEGORIES) categories.set(c, (categories.get(c) ?? 0) + k);
  else categories.set('(other)', (categories.get('(other)') ?? 0) + k);
}

interface FeatureAcc {
  numeric: Reservoir;
  categories: Map<string, number>;
  missing: number;
}

interface GroupAcc {
  n: number;
  latency: LogHistogram;
  predNumeric: Reservoir;
  /** the sum of the numeric predictions (their mean is exact; the quantiles come from the sample) */
  predSum: number;
  predClasses: Map<string, number>;
  features: Map<string, FeatureAcc>;
  /** the last event's feature names and their accumulators, by position (addTo) */
  lastKeys: string[];
  lastAccs: FeatureAcc[];
  /** outcomes joined: binary accuracy / log-loss sums */
  withOutcome: number;
  correct: number;
  logLoss: number;
  logLossN: number;
}

/**
 * The report's shapes are the Monitor panel's contract (src/shared/monitorProtocol.ts), one definition:
 * FeatureDrift — per feature: KS statistic and p-value against the reference (numeric), PSI, the shares
 * of the most frequent categories and the reference's (text); MonitorStats — per version (and window);
 * MonitorReport — `references`: what each version's drift is measured against; `versions`: the whole
 * log; `windows`: per window start; `notes`: what could not be measured and why.
 */
export type FeatureDrift = FeatureDriftJson;
export type MonitorStats = MonitorStatsJson;
export type MonitorReport = MonitorReportJson;

export interface Reference {
  source: string;
  rows: number;
  numeric: Map<string, { sorted: Float64Array; edges: number[]; bins: number[] }>;
  text: Map<string, Map<string, number>>;
}

/** Reads a reference dataset (CSV with a header, JSON Lines of flat objects or {features}, or Parquet) as a stream. */
export async function readReference(file: string, opts: { format?: LogFormat; exclude?: readonly string[] } = {}): Promise<Reference> {
  const format = logFormatOf(file, opts.format);
  const rnd = mulberry32(20261207);
  const num = new Map<string, Reservoir>();
  const text = new Map<string, Map<string, number>>();
  const isNumber = new Map<string, boolean>();
  const exclude = new Set(opts.exclude ?? []);
  let rows = 0;
  const take = (rec: Record<string, unknown>) => {
    rows++;
    for (const [k, v] of Object.entries(rec)) {
      if (exclude.has(k) || v === null || v === undefined || v === '') continue;
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
      if (n !== undefined && isNumber.get(k) !== false) {
        isNumber.set(k, true);
        let r = num.get(k);
        if (!r) num.set(k, (r = new Reservoir(50000, rnd)));
        r.add(n);
      } else {
        isNumber.set(k, false);
        num.delete(k);
        let c = text.get(k);
        if (!c) text.set(k, (c = new Map()));
        c.set(String(v), (c.get(String(v)) ?? 0) + 1);
      }
    }
  };
  if (format === 'parquet') {
    await forEachParquetRow(file, { raw: true }, (r) => take(r.features && typeof r.features === 'object' ? (r.features as Record<string, unknown>) : r));
  } else if (format === 'cloudevents') {
    throw new EventLogError('a reference dataset is CSV, JSON Lines or Parquet of features, not CloudEvents', file);
  } else if (format === 'csv') {
    let header: string[] | undefined;
    await forEachLine(file, (line, n) => {
      const cells = splitCsvLine(line);
      if (!cells) throw new EventLogError('a quoted cell with a line end inside is not read in a reference dataset', file, n);
      if (!header) {
        header = cells.map((c) => c.trim().replace(/^features\./, ''));
        return;
      }
      if (cells.length !== header.length) throw new EventLogError(`${cells.length} cells where the header has ${header.length} columns`, file, n);
      const rec: Record<string, unknown> = {};
      header.forEach((h, i) => (rec[h] = cells[i]));
      take(rec);
    });
  } else {
    await forEachLine(file, (line, n) => {
      const r = jsonRecord(line, file, n);
      take(r.features && typeof r.features === 'object' ? (r.features as Record<string, unknown>) : r);
    });
  }
  if (!rows) throw new EventLogError('the reference dataset holds no rows', file);
  const numeric = new Map<string, { sorted: Float64Array; edges: number[]; bins: number[] }>();
  for (const [k, r] of num) {
    if (isNumber.get(k) === false) continue;
    const sorted = r.sample();
    const edges = decileEdges(sorted);
    const bins = new Array<number>(edges.length + 1).fill(0);
    for (const x of sorted) bins[binOf(edges, x)]++;
    numeric.set(k, { sorted, edges, bins });
  }
  return { source: file, rows, numeric, text };
}

export interface MonitorOptions {
  log: string;
  format?: LogFormat;
  mapping?: Readonly<Record<string, EventField>>;
  /** CloudEvents logs: source, feature names, pending limit (cloudevents.ts) */
  cloudEvents?: Pick<ReadOptions, 'source' | 'featureNames' | 'maxPending'>;
  model?: string;
  /** the reference of a version (e.g. its training data); none: no drift */
  referenceFor?: (model: string, spec: string) => Promise<Reference | undefined>;
  /** window length in ms (e.g. 3,600,000 for 1h); none: the whole log only */
  windowMs?: number;
  outcomes?: string;
  thresholds?: { psi?: number; ksP?: number; ksD?: number };
  /** turns a log's version spec into the label shown (v3); default the spec itself */
  label?: (model: string, spec: string) => Promise<string>;
}

/** `1h`, `30m`, `1d`, `90s` → milliseconds. */
export function parseWindow(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`--window ${text}: give a length such as 30m, 1h or 1d`);
  return Number(m[1]) * { s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

const normModel = (m: string) => m.replace(/\\/g, '/').replace(/^\.\//, '');

export async function runMonitor(opts: MonitorOptions): Promise<MonitorReport> {
  const acc = new MonitorAccumulator(opts);
  await acc.loadOutcomes();
  // a large log is read in parts on worker threads (parallel.ts), each into an accumulator of its own
  await parallelRead<MonitorPartial>(opts.log, opts.format, acc, { kind: 'monitor', options: acc.partOptions() }, (p) => {
    acc.merge(p);
    return true;
  });
  return acc.report();
}

/** What a worker thread's accumulator is made with (MonitorAccumulator.partOptions): no functions. */
export interface MonitorPartialOptions {
  log: string;
  format?: LogFormat;
  mapping?: Readonly<Record<string, EventField>>;
  cloudEvents?: Pick<ReadOptions, 'source' | 'featureNames' | 'maxPending'>;
  model?: string;
  windowMs?: number;
  /** the outcomes joined on request_id, read once by the first thread (shared memory) */
  outcomeTable?: IdTableParts;
  /** the reservoirs' random seed (each part its own) */
  seed?: number;
}

interface GroupState {
  n: number;
  latency: { counts: Map<number, number>; n: number };
  predNumeric: ReservoirState;
  predSum: number;
  predClasses: Map<string, number>;
  features: Map<string, { numeric: ReservoirState; categories: Map<string, number>; missing: number }>;
  withOutcome: number;
  correct: number;
  logLoss: number;
  logLossN: number;
}

/** What one part of the log adds up to (MonitorAccumulator.partial / merge). */
export interface MonitorPartial {
  overall: Map<string, GroupState>;
  windows: Map<number, Map<string, GroupState>>;
  models: Map<string, number>;
  records: number;
  from: number;
  to: number;
  lines: number;
}

/**
 * What runMonitor keeps while it reads: the whole log's and each window's accumulators. `add` takes
 * events in the log's order; `report` can be called at any time (`monitor --follow` calls it after
 * each batch of appended lines) and leaves the accumulators as they are.
 */
export class MonitorAccumulator {
  readonly thresholds: { psi: number; ksP: number; ksD: number };
  private readonly rnd: Random;
  private outcomes: IdTable | undefined;
  private readonly overall = new Map<string, GroupAcc>();
  private readonly windows = new Map<number, Map<string, GroupAcc>>();
  private readonly models = new Map<string, number>();
  private readonly wanted: string | undefined;
  private readonly labels = new Map<string, string>();
  private readonly refs = new Map<string, Reference | undefined>();
  records = 0;
  private from = Infinity;
  private to = -Infinity;
  /** lines read by `read` (a later part's line numbers follow them) */
  private lines = 0;
  private lastRawModel: string | undefined;
  private lastModel = '';

  constructor(private readonly opts: (Omit<MonitorOptions, 'log'> & { log: string }) | MonitorPartialOptions) {
    const o = opts as MonitorOptions & MonitorPartialOptions;
    this.thresholds = { psi: o.thresholds?.psi ?? 0.2, ksP: o.thresholds?.ksP ?? 0.01, ksD: o.thresholds?.ksD ?? 0.1 };
    this.wanted = opts.model ? normModel(opts.model) : undefined;
    this.rnd = mulberry32(o.seed ?? 7);
    if (o.outcomeTable) this.outcomes = IdTable.of(o.outcomeTable);
  }

  /** The options to read the log with. */
  get readOptions(): ReadOptions {
    return { ...this.opts.cloudEvents, format: this.opts.format, mapping: this.opts.mapping, ...(this.wanted ? { defaultModel: this.wanted } : {}) };
  }

  /** What a worker thread's accumulator for a later part of the same log is made with. */
  partOptions(): MonitorPartialOptions {
    const { log, format, mapping, model, windowMs } = this.opts;
    return {
      log,
      ...(format ? { format } : {}),
      ...(mapping ? { mapping } : {}),
      ...(model ? { model } : {}),
      ...(windowMs ? { windowMs } : {}),
      ...(this.outcomes ? { outcomeTable: this.outcomes.parts() } : {}),
    };
  }

  /** Reads the records of `range` of the log (default: all of it) after those read so far. */
  async read(range?: ByteRange): Promise<void> {
    const { lines } = await readEvents(this.opts.log, (e) => this.add(e), this.readOptions, range ? { ...range, firstLine: this.lines + 1 } : undefined);
    this.lines += lines;
  }

  /** What was added so far, to send to the thread that joins the parts. */
  partial(): MonitorPartial {
    const state = (g: GroupAcc): GroupState => ({
      n: g.n,
      latency: { counts: g.latency.counts, n: g.latency.n },
      predNumeric: g.predNumeric.snapshot(),
      predSum: g.predSum,
      predClasses: g.predClasses,
      features: new Map([...g.features].map(([k, f]) => [k, { numeric: f.numeric.snapshot(), categories: f.categories, missing: f.missing }])),
      withOutcome: g.withOutcome,
      correct: g.correct,
      logLoss: g.logLoss,
      logLossN: g.logLossN,
    });
    const groups = (m: Map<string, GroupAcc>) => new Map([...m].map(([v, g]) => [v, state(g)]));
    return {
      overall: groups(this.overall),
      windows: new Map([...this.windows].map(([w, m]) => [w, groups(m)])),
      models: this.models,
      records: this.records,
      from: this.from,
      to: this.to,
      lines: this.lines,
    };
  }

  /** Adds the part of the log read after this one (by another thread). */
  merge(p: MonitorPartial): void {
    const into = (g: GroupAcc, x: GroupState) => {
      g.n += x.n;
      g.latency.merge(x.latency);
      g.predNumeric.merge(x.predNumeric);
      g.predSum += x.predSum;
      for (const [c, k] of x.predClasses) g.predClasses.set(c, (g.predClasses.get(c) ?? 0) + k);
      for (const [name, xf] of x.features) {
        let f = g.features.get(name);
        if (!f) g.features.set(name, (f = { numeric: new Reservoir(g.predNumeric.cap, this.rnd), categories: new Map(), missing: 0 }));
        f.numeric.merge(xf.numeric);
        f.missing += xf.missing;
        for (const [c, k] of xf.categories) addCategory(f.categories, c, k);
      }
      g.withOutcome += x.withOutcome;
      g.correct += x.correct;
      g.logLoss += x.logLoss;
      g.logLossN += x.logLossN;
    };
    for (const [v, x] of p.overall) {
      let g = this.overall.get(v);
      if (!g) this.overall.set(v, (g = this.newGroup(RESERVOIR)));
      into(g, x);
    }
    for (const [w, m] of p.windows) {
      let wm = this.windows.get(w);
      if (!wm) this.windows.set(w, (wm = new Map()));
      for (const [v, x] of m) {
        let g = wm.get(v);
        if (!g) wm.set(v, (g = this.newGroup(2000)));
        into(g, x);
      }
    }
    for (const [m, n] of p.models) this.models.set(m, (this.models.get(m) ?? 0) + n);
    this.records += p.records;
    this.from = Math.min(this.from, p.from);
    this.to = Math.max(this.to, p.to);
    this.lines += p.lines;
  }

  /** Reads the outcomes log, if any (once, before the events); kept in shared memory for the worker threads. */
  async loadOutcomes(): Promise<void> {
    const outcomesFile = (this.opts as MonitorOptions).outcomes;
    if (!outcomesFile) return;
    const t = new IdTable(undefined, true, true);
    if (fs.existsSync(outcomesFile)) t.reserve(estimateLines(outcomesFile));
    this.outcomes = t;
    const file = outcomesFile;
    await readOutcomes(file, (o, line) => {
      // a plain outcome, or named outcomes of which there is one (e.g. {"purchased": 1})
      let y: number | undefined;
      if (typeof o.outcome === 'number') y = o.outcome;
      else {
        const keys = Object.keys(o.outcome);
        if (keys.length > 1) throw new EventLogError(`the outcome has several named values (${keys.join(', ')}); the monitor reads one 0/1 outcome per request`, file, line);
        y = keys.length ? o.outcome[keys[0]] : undefined;
      }
      if (y !== undefined) t.addIfAbsent(o.requestId, y, line);
    }, { mapping: this.opts.mapping });
  }

  private newGroup(cap: number): GroupAcc {
    return {
      n: 0,
      latency: new LogHistogram(),
      predNumeric: new Reservoir(cap, this.rnd),
      predSum: 0,
      predClasses: new Map(),
      features: new Map(),
      lastKeys: [],
      lastAccs: [],
      withOutcome: 0,
      correct: 0,
      logLoss: 0,
      logLossN: 0,
    };
  }

  /** What an event adds to a group; `loss` is its log-loss term, or NaN when it has no 0/1 outcome and probability. */
  private addTo(g: GroupAcc, e: PredictionEvent, correct: boolean, loss: number): void {
    g.n++;
    if (e.latencyMs !== undefined) g.latency.add(e.latencyMs);
    if (typeof e.prediction === 'number') {
      g.predNumeric.add(e.prediction);
      g.predSum += e.prediction;
    } else if (typeof e.prediction === 'string') g.predClasses.set(e.prediction, (g.predClasses.get(e.prediction) ?? 0) + 1);
    if (loss === loss) {
      g.withOutcome++;
      if (correct) g.correct++;
      g.logLoss += loss;
      g.logLossN++;
    }
    const feats = e.features;
    if (!feats) return;
    let i = 0;
    for (const k in feats) {
      const v = feats[k];
      // the accumulators of the last event's features, by position: the same names in the same order
      // (the same strings from the fast reader) skip the map
      let f: FeatureAcc | undefined;
      if (g.lastKeys[i] === k) f = g.lastAccs[i];
      else {
        f = g.features.get(k);
        if (!f) g.features.set(k, (f = { numeric: new Reservoir(g.predNumeric.cap, this.rnd), categories: new Map(), missing: 0 }));
        g.lastKeys[i] = k;
        g.lastAccs[i] = f;
      }
      i++;
      if (v === null || v === undefined || v === '') {
        f.missing++;
        continue;
      }
      if (typeof v === 'number') f.numeric.add(v);
      else addCategory(f.categories, String(v), 1);
    }
  }

  /** One event of the log, in order. */
  add(e: PredictionEvent): void {
    // consecutive events mostly name the same model (the same string from the fast reader)
    if (e.model !== this.lastRawModel) {
      this.lastRawModel = e.model;
      this.lastModel = normModel(e.model);
    }
    const model = this.lastModel;
    this.models.set(model, (this.models.get(model) ?? 0) + 1);
    if (this.wanted && model !== this.wanted) return;
    this.records++;
    if (e.timestamp < this.from) this.from = e.timestamp;
    if (e.timestamp > this.to) this.to = e.timestamp;
    // the outcomes log first, then the record's own outcome; with an outcomes log, a request without
    // either had none (0: no purchase) — as abtest joins them
    const inline = typeof e.outcome === 'number' ? e.outcome : undefined;
    const y = this.outcomes ? (this.outcomes.get(e.requestId) ?? inline ?? 0) : inline;
    const pr = e.prediction;
    let loss = NaN;
    let correct = false;
    if (y !== undefined && typeof pr === 'number' && (y === 0 || y === 1) && pr >= 0 && pr <= 1) {
      correct = (pr >= 0.5 ? 1 : 0) === y;
      const p = Math.min(1 - 1e-15, Math.max(1e-15, pr));
      loss = -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    }
    let g = this.overall.get(e.version);
    if (!g) this.overall.set(e.version, (g = this.newGroup(RESERVOIR)));
    this.addTo(g, e, correct, loss);
    const windowMs = this.opts.windowMs;
    if (windowMs) {
      const w = Math.floor(e.timestamp / windowMs) * windowMs;
      if (w !== this.lastWindow) {
        let wm = this.windows.get(w);
        if (!wm) this.windows.set(w, (wm = new Map()));
        this.lastWindow = w;
        this.lastWindowGroups = wm;
      }
      const wm = this.lastWindowGroups!;
      let wg = wm.get(e.version);
      if (!wg) wm.set(e.version, (wg = this.newGroup(2000)));
      this.addTo(wg, e, correct, loss);
    }
  }
  private lastWindow = NaN;
  private lastWindowGroups: Map<string, GroupAcc> | undefined;

  /** The report of what was added so far; throws when nothing of the model was read. */
  async report(): Promise<MonitorReport> {
    const { thresholds, overall, windows, models, wanted, records, labels, refs } = this;
    const opts = this.opts as MonitorOptions;
    if (!wanted && models.size > 1) {
      throw new EventLogError(`the log holds predictions of ${models.size} models (${[...models].map(([m, n]) => `${m}: ${n}`).join(', ')}): name one with --model PATH`, opts.log);
    }
    if (!records) throw new EventLogError(wanted ? `no record is for the model ${wanted}` : 'the log holds no records', opts.log);
    const model = wanted ?? [...models.keys()][0];
    for (const spec of overall.keys()) if (!labels.has(spec)) labels.set(spec, opts.label ? await opts.label(model, spec) : spec);
    // each version's reference is asked for once (a follower reports again and again)
    for (const spec of overall.keys()) if (!refs.has(spec)) refs.set(spec, opts.referenceFor ? await opts.referenceFor(model, spec) : undefined);
    const statsOf = (spec: string, g: GroupAcc): MonitorStats => {
      const ref = refs.get(spec);
      const features: FeatureDrift[] = [];
      for (const [k, f] of [...g.features].sort(([a], [b]) => a.localeCompare(b))) {
        const r = ref?.numeric.get(k);
        const rt = ref?.text.get(k);
        if (f.numeric.seen) {
          const sample = f.numeric.sample();
          const fd: FeatureDrift = { feature: k, kind: 'numeric', n: f.numeric.seen, psi: 0, drift: false };
          if (r) {
            const t = ks2(sample, r.sorted);
            fd.ks = { ...t, sampled: f.numeric.seen > f.numeric.cap || r.sorted.length < (ref?.rows ?? 0) };
            const bins = new Array<number>(r.bins.length).fill(0);
            for (const x of sample) bins[binOf(r.edges, x)]++;
            fd.psi = psi(r.bins, bins);
            const few = psiMinN(r.bins.length, thresholds.psi);
            if (f.numeric.seen < few) fd.psiMinN = few;
            fd.drift = (fd.psi >= thresholds.psi && !fd.psiMinN) || (t.p < thresholds.ksP && t.d >= thresholds.ksD);
          }
          features.push(fd);
        } else if (f.categories.size) {
          const total = [...f.categories.values()].reduce((a, b) => a + b, 0);
          const refTotal = rt ? [...rt.values()].reduce((a, b) => a + b, 0) : 0;
          const cats = [...new Set([...f.categories.keys(), ...(rt ? rt.keys() : [])])];
          const fd: FeatureDrift = {
            feature: k,
            kind: 'text',
            n: total,
            psi: rt ? psi(cats.map((c) => rt.get(c) ?? 0), cats.map((c) => f.categories.get(c) ?? 0)) : 0,
            shares: cats
              .map((c) => ({ category: c, share: (f.categories.get(c) ?? 0) / total, reference: rt ? (rt.get(c) ?? 0) / refTotal : 0 }))
              .sort((a, b) => b.share - a.share)
              .slice(0, 10),
            drift: false,
          };
          const few = psiMinN(cats.length, thresholds.psi);
          if (rt && total < few) fd.psiMinN = few;
          fd.drift = !!rt && fd.psi >= thresholds.psi && !fd.psiMinN;
          features.push(fd);
        }
      }
      const preds = g.predNumeric.seen ? g.predNumeric.sample() : undefined;
      const q = (s: Float64Array, p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
      const p50 = g.latency.quantile(0.5);
      const p95 = g.latency.quantile(0.95);
      return {
        version: labels.get(spec) ?? spec,
        exposures: g.n,
        ...(p50 !== undefined && p95 !== undefined ? { latencyMs: { p50, p95 } } : {}),
        ...(preds
          ? { prediction: { mean: g.predSum / g.predNumeric.seen, quantiles: [0.05, 0.25, 0.5, 0.75, 0.95].map((p) => q(preds, p)) } }
          : g.predClasses.size
            ? { prediction: { classes: [...g.predClasses].map(([name, c]) => ({ name, share: c / g.n })).sort((a, b) => b.share - a.share) } }
            : {}),
        ...(g.withOutcome ? { outcomes: { n: g.withOutcome, accuracy: g.correct / g.withOutcome, logLoss: g.logLoss / g.logLossN } } : {}),
        features,
        drifted: features.filter((f) => f.drift).map((f) => f.feature),
      };
    };
    // versions in their natural order (v2 before v10), whatever order the log met them in
    const byLabel = ([a]: [string, GroupAcc], [b]: [string, GroupAcc]) => (labels.get(a) ?? a).localeCompare(labels.get(b) ?? b, 'en', { numeric: true });
    const versions = [...overall].sort(byLabel).map(([spec, g]) => statsOf(spec, g));
    const wins = [...windows.keys()].sort((a, b) => a - b).map((w) => ({
      start: new Date(w).toISOString(),
      versions: [...windows.get(w)!].sort(byLabel).map(([spec, g]) => statsOf(spec, g)),
    }));
    const alerts: string[] = [];
    for (const w of wins) {
      for (const v of w.versions) {
        if (v.drifted.length) alerts.push(`${v.version}, window from ${w.start.slice(0, 16).replace('T', ' ')} UTC: drift in ${v.drifted.join(', ')}`);
      }
    }
    for (const v of versions) if (v.drifted.length) alerts.push(`${v.version}, whole log: drift in ${v.drifted.join(', ')}`);
    return {
      schema: 1,
      model,
      records,
      from: new Date(this.from).toISOString(),
      to: new Date(this.to).toISOString(),
      references: [...refs].filter(([, r]) => r).map(([spec, r]) => ({ version: labels.get(spec) ?? spec, source: r!.source, rows: r!.rows })),
      thresholds,
      ...(opts.windowMs ? { windowMs: opts.windowMs } : {}),
      versions,
      windows: wins,
      alerts,
      notes: [...versions, ...wins.flatMap((w) => w.versions)].some((v) => v.features.some((f) => f.psiMinN))
        ? [`PSI flags no drift where a window holds fewer values of a feature than psiMinN (${psiMinN(10, thresholds.psi)} for ten bins): by chance alone its expected value is about (bins − 1)/n; KS still judges those windows`]
        : [],
    };
  }
}
