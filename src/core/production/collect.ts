/**
 * One pass over a prediction log (and first over its outcomes log, when outcomes arrive separately)
 * into the sums an A/B test needs: per version and per hour, exposures and outcome sums. Memory is a
 * table of 64-bit request-id hashes (for duplicates and the join) and the per-hour sums; the records
 * themselves are never kept.
 */
import { analyseAbTest, emptySums, type AbTestReport, type OutcomeKind, type Sums } from './abtest';
import * as fs from 'fs';
import { EventLogError, estimateLines, readEvents, readOutcomes, type ByteRange, type EventField, type LogFormat, type ReadOptions } from './events';
import { IdTable, type IdTableParts } from './idTable';
import { parallelRead } from './parallel';

/** What a version spec of the log names in the repository. */
export interface ResolvedVersion {
  /** e.g. v3 */
  label: string;
  commit?: string;
  /** sorts versions oldest first (the version number) */
  order: number;
}

export type VersionResolver = (model: string, spec: string) => Promise<ResolvedVersion>;

export interface AbTestOptions {
  log: string;
  outcomes?: string;
  format?: LogFormat;
  outcomesFormat?: LogFormat;
  mapping?: Readonly<Record<string, EventField>>;
  /** CloudEvents logs: source, feature names, pending limit (cloudevents.ts) */
  cloudEvents?: Pick<ReadOptions, 'source' | 'featureNames' | 'maxPending'>;
  model?: string;
  /** the outcome's name when outcomes are named objects / outcome.<name> columns */
  metric?: string;
  /** declared split: version spec → weight (e.g. { v2: 50, v3: 50 }); default equal */
  split?: Readonly<Record<string, number>>;
  /** the control version spec; default the oldest version in the log */
  control?: string;
  missingOutcome?: 'zero' | 'skip';
  alpha?: number;
  power?: number;
  tau?: number;
  /** resolves the log's version specs; default: each spec is its own label */
  resolve?: VersionResolver;
}

const normModel = (m: string) => m.replace(/\\/g, '/').replace(/^\.\//, '');

interface Group {
  model: string;
  spec: string;
  firstLine: number;
  sums: Sums;
}

/** Picks the named outcome `metric` (or the only one) from an outcome value; undefined when absent. */
function pickOutcome(o: number | Record<string, number> | undefined, metric: string | undefined, where: () => string, names: Set<string>): number | undefined {
  if (o === undefined) return undefined;
  if (typeof o === 'number') {
    if (metric && metric !== 'outcome') throw new Error(`${where()}: the outcome is a single number, not named outcomes, so --metric ${metric} names nothing; leave --metric out`);
    return o;
  }
  for (const k of Object.keys(o)) names.add(k);
  if (metric) return Object.prototype.hasOwnProperty.call(o, metric) ? o[metric] : undefined;
  const keys = Object.keys(o);
  if (keys.length === 1) return o[keys[0]];
  throw new Error(`${where()}: the outcome has several named values (${keys.join(', ')}): choose one with --metric NAME`);
}

/** What one read of (a part of) a prediction log keeps for the A/B test; it crosses to and from worker threads as is. */
export interface AbPartial {
  /** model + NUL + version spec, per group in the order met */
  groups: { key: string; model: string; spec: string; firstLine: number; sums: Sums }[];
  /** hour → sums by group index */
  hourly: Map<number, (Sums | undefined)[]>;
  models: Map<string, number>;
  from: number;
  to: number;
  records: number;
  withOutcome: number;
  names: string[];
  binary: boolean;
  /** the request ids read (hashes; tags are line numbers) */
  seen: IdTableParts;
  /** lines read (the next part's line numbers start after them) */
  lines: number;
}

/** The options of the read itself (no resolver): what a worker thread needs. */
export type AbReadOptions = Pick<AbTestOptions, 'log' | 'format' | 'mapping' | 'cloudEvents' | 'model' | 'metric'> & { missing: 'zero' | 'skip'; joined?: IdTableParts };

/** Reads prediction log records into the A/B test's sums (in one thread; runAbTest joins the parts). */
export class AbTestCollector {
  readonly seen = new IdTable(undefined, false); // duplicates only: no values
  private readonly groups = new Map<string, Group>();
  private readonly groupIndex = new Map<string, number>();
  private readonly hourly = new Map<number, (Sums | undefined)[]>();
  /** records per model (all models, before --model picks one) */
  readonly models = new Map<string, { n: number }>();
  readonly names = new Set<string>();
  private readonly wanted: string | undefined;
  private readonly joined: IdTable | undefined;
  binary = true;
  from = Infinity;
  to = -Infinity;
  records = 0;
  withOutcome = 0;
  lines = 0;

  constructor(private readonly opts: AbReadOptions) {
    this.wanted = opts.model ? normModel(opts.model) : undefined;
    this.joined = opts.joined ? IdTable.of(opts.joined) : undefined;
  }

  /** Reads the records of `range` (default: the whole log), after those read so far. */
  async read(range?: ByteRange): Promise<void> {
    const { opts, wanted, seen, groups, groupIndex, hourly, models, names, joined } = this;
    const missing = opts.missing;
    // the last event's model, group and hour: consecutive events mostly share them (the fast reader
    // gives the same string object for the same bytes), so the maps are asked only on a change
    let lastRawModel: string | undefined;
    let lastModel = '';
    let lastVersion: string | undefined;
    let lastGroup: Group | undefined;
    let lastGi = 0;
    let lastHour = NaN;
    let lastHourSums: (Sums | undefined)[] = [];
    let lastModelCount = { n: 0 };
    if (fs.existsSync(opts.log)) seen.reserve(estimateLines(opts.log, range));
    const { lines } = await readEvents(
      opts.log,
      (e, line) => {
        if (e.model !== lastRawModel) {
          lastRawModel = e.model;
          lastModel = normModel(e.model);
          lastVersion = undefined;
          lastModelCount = models.get(lastModel) ?? { n: 0 };
          models.set(lastModel, lastModelCount);
        }
        const model = lastModel;
        lastModelCount.n++;
        if (wanted && model !== wanted) return;
        const before = seen.addIfAbsent(e.requestId, 0, line);
        if (before !== undefined) {
          throw new EventLogError(`request_id '${e.requestId}' appears again (first at line ${before}): each served prediction needs its own request id; remove the duplicates (e.g. a retried request logged twice)`, opts.log, line);
        }
        this.records++;
        if (e.version !== lastVersion || !lastGroup) {
          const key = `${model}\u0000${e.version}`;
          let gi = groupIndex.get(key);
          if (gi === undefined) {
            gi = groupIndex.size;
            groupIndex.set(key, gi);
            groups.set(key, { model, spec: e.version, firstLine: line, sums: emptySums() });
          }
          lastVersion = e.version;
          lastGroup = groups.get(key)!;
          lastGi = gi;
        }
        const g = lastGroup;
        let v = joined?.get(e.requestId);
        if (v === undefined) {
          const o = e.outcome;
          // a plain number needs no --metric (pickOutcome says so when one is given)
          v = typeof o === 'number' && !opts.metric ? o : pickOutcome(o, opts.metric, () => `${opts.log}, line ${line}`, names);
        }
        else if (typeof e.outcome === 'object') for (const k of Object.keys(e.outcome)) names.add(k);
        if (v === undefined && missing === 'zero') v = 0;
        const hour = Math.floor(e.timestamp / 3600000);
        if (hour !== lastHour) {
          let h = hourly.get(hour);
          if (!h) hourly.set(hour, (h = []));
          lastHour = hour;
          lastHourSums = h;
        }
        const hs = (lastHourSums[lastGi] ??= emptySums());
        g.sums.n++;
        hs.n++;
        if (v !== undefined) {
          if (v !== 0 && v !== 1) this.binary = false;
          this.withOutcome++;
          g.sums.m++;
          g.sums.sum += v;
          g.sums.sumSq += v * v;
          hs.m++;
          hs.sum += v;
          hs.sumSq += v * v;
        }
        if (e.timestamp < this.from) this.from = e.timestamp;
        if (e.timestamp > this.to) this.to = e.timestamp;
      },
      { ...opts.cloudEvents, format: opts.format, mapping: opts.mapping, features: false, ...(wanted ? { defaultModel: wanted } : {}) },
      range ? { ...range, firstLine: this.lines + 1 } : undefined,
    );
    this.lines += lines;
  }

  /** What was read, to send to the thread that joins the parts. */
  partial(): AbPartial {
    return {
      groups: [...this.groups].map(([key, g]) => ({ key, ...g })),
      hourly: this.hourly,
      models: new Map([...this.models].map(([m, c]) => [m, c.n])),
      from: this.from,
      to: this.to,
      records: this.records,
      withOutcome: this.withOutcome,
      names: [...this.names],
      binary: this.binary,
      seen: this.seen.parts(),
      lines: this.lines,
    };
  }

  /**
   * Adds the part read after this one (by another thread); its line numbers count from the line after
   * this one's last. The caller has checked that no request id is in both (IdTable.sharesAny).
   */
  merge(p: AbPartial): void {
    const offset = this.lines;
    const map: number[] = [];
    for (const g of p.groups) {
      let gi = this.groupIndex.get(g.key);
      if (gi === undefined) {
        gi = this.groupIndex.size;
        this.groupIndex.set(g.key, gi);
        this.groups.set(g.key, { model: g.model, spec: g.spec, firstLine: g.firstLine + offset, sums: { ...g.sums } });
      } else addSums(this.groups.get(g.key)!.sums, g.sums);
      map.push(gi);
    }
    for (const [hour, sums] of p.hourly) {
      let h = this.hourly.get(hour);
      if (!h) this.hourly.set(hour, (h = []));
      sums.forEach((x, i) => {
        if (x) addSums((h![map[i]] ??= emptySums()), x);
      });
    }
    for (const [m, n] of p.models) {
      const c = this.models.get(m);
      if (c) c.n += n;
      else this.models.set(m, { n });
    }
    for (const k of p.names) this.names.add(k);
    this.from = Math.min(this.from, p.from);
    this.to = Math.max(this.to, p.to);
    this.records += p.records;
    this.withOutcome += p.withOutcome;
    this.binary &&= p.binary;
    this.lines += p.lines;
  }

  /** The groups (model + version spec) in the order met, with their index into the hourly sums. */
  groupList(): { key: string; index: number; group: Group }[] {
    return [...this.groups].map(([key, group]) => ({ key, index: this.groupIndex.get(key)!, group }));
  }

  hours(): Map<number, (Sums | undefined)[]> {
    return this.hourly;
  }
}

function addSums(to: Sums, x: Sums): void {
  to.n += x.n;
  to.m += x.m;
  to.sum += x.sum;
  to.sumSq += x.sumSq;
}

export async function runAbTest(opts: AbTestOptions): Promise<AbTestReport> {
  const names = new Set<string>();
  let metricName = opts.metric;
  let binary = true;

  // 1. the outcomes log, if any: request_id → outcome (in shared memory: worker threads read it)
  let joined: IdTable | undefined;
  if (opts.outcomes) {
    const file = opts.outcomes;
    joined = new IdTable(undefined, true, true);
    if (fs.existsSync(file)) joined.reserve(estimateLines(file));
    const table = joined;
    await readOutcomes(
      file,
      (o, line) => {
        const v = pickOutcome(o.outcome, opts.metric, () => `${file}, line ${line}`, names);
        if (v === undefined) return;
        if (v !== 0 && v !== 1) binary = false;
        const before = table.addIfAbsent(o.requestId, v, line);
        if (before !== undefined) {
          throw new EventLogError(`request_id '${o.requestId}' has a second outcome (first at line ${before}); an outcomes log holds one outcome per request`, file, line);
        }
      },
      { format: opts.outcomesFormat, mapping: opts.mapping },
    );
    if (opts.metric && !names.has(opts.metric) && names.size) {
      throw new EventLogError(`no outcome is named '${opts.metric}'; the outcomes are named: ${[...names].join(', ')}`, file);
    }
  }
  const missing = opts.missingOutcome ?? (opts.outcomes ? 'zero' : 'skip');

  // 2. the prediction log: in parts on worker threads when it is large (parallelRead)
  const readOpts: AbReadOptions = {
    log: opts.log,
    ...(opts.format ? { format: opts.format } : {}),
    ...(opts.mapping ? { mapping: opts.mapping } : {}),
    ...(opts.cloudEvents ? { cloudEvents: opts.cloudEvents } : {}),
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.metric ? { metric: opts.metric } : {}),
    missing,
    ...(joined ? { joined: joined.parts() } : {}),
  };
  const c = new AbTestCollector(readOpts);
  await parallelRead<AbPartial>(opts.log, opts.format, c, { kind: 'abtest', options: readOpts }, (p, last) => {
    // a request id in two parts: not joined; parallelRead reads the part here, which names the duplicate
    const theirs = IdTable.of(p.seen);
    if (c.seen.sharesAny(theirs)) return false;
    const offset = c.lines;
    c.merge(p);
    if (!last) c.seen.absorb(theirs, offset);
    return true;
  });
  for (const k of c.names) names.add(k);
  binary &&= c.binary;
  const { records, withOutcome, from, to } = c;
  const models = new Map([...c.models].map(([m, k]) => [m, k.n]));
  const wanted = opts.model ? normModel(opts.model) : undefined;
  const groupsMet = c.groupList();
  const groups = new Map(groupsMet.map((g) => [g.key, g.group]));
  const groupIndex = new Map(groupsMet.map((g) => [g.key, g.index]));
  const hourly = c.hours();
  if (!wanted && models.size > 1) {
    throw new EventLogError(`the log holds predictions of ${models.size} models (${[...models].map(([m, n]) => `${m}: ${n}`).join(', ')}): name one with --model PATH`, opts.log);
  }
  if (!records) throw new EventLogError(wanted ? `no record is for the model ${wanted} (models in the log: ${[...models.keys()].join(', ') || 'none'})` : 'the log holds no records', opts.log);
  if (!withOutcome) {
    throw new EventLogError(
      opts.outcomes ? `no outcome of ${opts.outcomes} matches a request_id of the log` : "no record has an 'outcome': give the outcomes in the log or in a separate log with --outcomes FILE",
      opts.log,
    );
  }
  const model = wanted ?? [...models.keys()][0];

  // 3. versions: resolve each spec; specs naming one version are one variant
  // outside a repository each spec is its own version; v2 sorts before v10
  const resolve: VersionResolver = opts.resolve ?? (async (_m, spec) => ({ label: spec, order: /^v\d+$/i.test(spec) ? Number(spec.slice(1)) : 0 }));
  const variants = new Map<string, { label: string; specs: string[]; commit?: string; order: number; groups: number[]; sums: Sums; firstLine: number }>();
  for (const [key, g] of groups) {
    let r: ResolvedVersion;
    try {
      r = await resolve(g.model, g.spec);
    } catch (err) {
      throw new EventLogError(`version '${g.spec}' of ${g.model}: ${(err as Error).message}`, opts.log, g.firstLine);
    }
    const gi = groupIndex.get(key)!;
    const v = variants.get(r.label);
    if (v) {
      v.specs.push(g.spec);
      v.groups.push(gi);
      for (const k of ['n', 'm', 'sum', 'sumSq'] as const) v.sums[k] += g.sums[k];
    } else variants.set(r.label, { label: r.label, specs: [g.spec], ...(r.commit ? { commit: r.commit } : {}), order: r.order, groups: [gi], sums: { ...g.sums }, firstLine: g.firstLine });
  }
  let list = [...variants.values()].sort((a, b) => a.order - b.order || a.firstLine - b.firstLine);
  if (opts.control) {
    const r = await resolve(model, opts.control).catch((err: Error) => {
      throw new Error(`--control ${opts.control}: ${err.message}`);
    });
    const c = list.find((v) => v.label === r.label);
    if (!c) throw new Error(`--control ${opts.control} (${r.label}) has no exposures in the log; the versions in it: ${list.map((v) => v.label).join(', ')}`);
    list = [c, ...list.filter((v) => v !== c)];
  }
  // the declared split
  const shares = new Map<string, number>();
  if (opts.split) {
    for (const [spec, w] of Object.entries(opts.split)) {
      const r = await resolve(model, spec).catch((err: Error) => {
        throw new Error(`--split ${spec}: ${err.message}`);
      });
      shares.set(r.label, w);
    }
    const missingSplit = list.filter((v) => !shares.has(v.label));
    if (missingSplit.length) {
      throw new Error(`--split names no share for ${missingSplit.map((v) => v.label).join(', ')}, which served predictions in the log; give every version in it (e.g. --split ${list.map((v) => `${v.label}=${Math.round(100 / list.length)}`).join(',')})`);
    }
  }
  const hours = new Map<number, Sums[]>();
  for (const [hour, h] of hourly) {
    hours.set(
      hour,
      list.map((v) => {
        const s = emptySums();
        for (const gi of v.groups) {
          const x = h[gi];
          if (!x) continue;
          s.n += x.n;
          s.m += x.m;
          s.sum += x.sum;
          s.sumSq += x.sumSq;
        }
        return s;
      }),
    );
  }
  const kind: OutcomeKind = binary ? 'binary' : 'numeric';
  if (!metricName && names.size === 1) metricName = [...names][0];
  return analyseAbTest({
    model,
    metric: { name: metricName ?? 'outcome', kind },
    records,
    from,
    to,
    variants: list.map((v) => ({ label: v.label, specs: v.specs, ...(v.commit ? { commit: v.commit } : {}), sums: v.sums, share: shares.get(v.label) ?? 1 })),
    hours,
    ...(opts.alpha !== undefined ? { alpha: opts.alpha } : {}),
    ...(opts.power !== undefined ? { power: opts.power } : {}),
    ...(opts.tau !== undefined ? { tau: opts.tau } : {}),
    missingOutcome: missing,
  });
}
