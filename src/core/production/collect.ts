/**
 * One pass over a prediction log (and first over its outcomes log, when outcomes arrive separately)
 * into the sums an A/B test needs: per version and per hour, exposures and outcome sums. Memory is a
 * table of 64-bit request-id hashes (for duplicates and the join) and the per-hour sums; the records
 * themselves are never kept.
 */
import { analyseAbTest, emptySums, type AbTestReport, type OutcomeKind, type Sums } from './abtest';
import { EventLogError, readEvents, readOutcomes, type EventField, type LogFormat, type ReadOptions } from './events';
import { IdTable } from './idTable';

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

export async function runAbTest(opts: AbTestOptions): Promise<AbTestReport> {
  const names = new Set<string>();
  let metricName = opts.metric;
  let binary = true;
  const seeValue = (v: number) => {
    if (v !== 0 && v !== 1) binary = false;
  };

  // 1. the outcomes log, if any: request_id → outcome
  let joined: IdTable | undefined;
  if (opts.outcomes) {
    const file = opts.outcomes;
    joined = new IdTable();
    const table = joined;
    await readOutcomes(
      file,
      (o, line) => {
        const v = pickOutcome(o.outcome, opts.metric, () => `${file}, line ${line}`, names);
        if (v === undefined) return;
        seeValue(v);
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

  // 2. the prediction log
  const seen = new IdTable(undefined, false); // duplicates only: no values
  const groups = new Map<string, Group>();
  const groupIndex = new Map<string, number>();
  const hourly = new Map<number, Sums[]>();
  const models = new Map<string, number>();
  const wanted = opts.model ? normModel(opts.model) : undefined;
  let from = Infinity;
  let to = -Infinity;
  let records = 0;
  let withOutcome = 0;
  await readEvents(
    opts.log,
    (e, line) => {
      const model = normModel(e.model);
      models.set(model, (models.get(model) ?? 0) + 1);
      if (wanted && model !== wanted) return;
      const before = seen.addIfAbsent(e.requestId, 0, line);
      if (before !== undefined) {
        throw new EventLogError(`request_id '${e.requestId}' appears again (first at line ${before}): each served prediction needs its own request id; remove the duplicates (e.g. a retried request logged twice)`, opts.log, line);
      }
      records++;
      const key = `${model}\u0000${e.version}`;
      let gi = groupIndex.get(key);
      if (gi === undefined) {
        gi = groupIndex.size;
        groupIndex.set(key, gi);
        groups.set(key, { model, spec: e.version, firstLine: line, sums: emptySums() });
      }
      const g = groups.get(key)!;
      let v = joined?.get(e.requestId);
      if (v === undefined) v = pickOutcome(e.outcome, opts.metric, () => `${opts.log}, line ${line}`, names);
      else if (typeof e.outcome === 'object') for (const k of Object.keys(e.outcome)) names.add(k);
      if (v === undefined && missing === 'zero') v = 0;
      const hour = Math.floor(e.timestamp / 3600000);
      let h = hourly.get(hour);
      if (!h) hourly.set(hour, (h = []));
      const hs = (h[gi] ??= emptySums());
      g.sums.n++;
      hs.n++;
      if (v !== undefined) {
        seeValue(v);
        withOutcome++;
        g.sums.m++;
        g.sums.sum += v;
        g.sums.sumSq += v * v;
        hs.m++;
        hs.sum += v;
        hs.sumSq += v * v;
      }
      if (e.timestamp < from) from = e.timestamp;
      if (e.timestamp > to) to = e.timestamp;
    },
    { ...opts.cloudEvents, format: opts.format, mapping: opts.mapping, ...(wanted ? { defaultModel: wanted } : {}) },
  );
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
