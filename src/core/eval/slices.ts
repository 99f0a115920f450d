/**
 * Where versions differ (issue #14, point 6): the comparison repeated on slices of the rows — by true
 * class (classification), or by the values of any column of the data (`device=mobile` …).
 *
 * Per slice: its rows, each model's main metric on them (accuracy, or RMSE for regression) and, for each
 * candidate against the baseline, a paired test on those rows — McNemar (exact binomial under 25
 * discordant rows) for classification, a paired bootstrap of the RMSE difference for regression — with
 * the p-values Holm-adjusted over every (slice, candidate) test of the table: slicing makes many tests,
 * and an uncorrected 5 % would call about one slice in twenty different by chance.
 */
import { holm, mcnemar, pairedBootstrapMetric, type Labels } from '../metrics';
import { EvaluationError } from './errors';
import type { ModelEvaluation } from './evaluate';

export interface SliceRow {
  /** the slice's value (a class name, or the column's value) */
  value: string;
  rows: number;
  /** the main metric of each model on the slice, in model order */
  metric: number[];
  /** each candidate against the baseline on this slice */
  pairs: { candidate: string; pValue: number; pHolm: number; verdict: 'B better' | 'B worse' | 'no significant difference' }[];
}

export interface SliceComparison {
  /** 'class' (the true label), or the column sliced by */
  by: string;
  metric: 'accuracy' | 'rmse';
  slices: SliceRow[];
  /** values left out: more than `maxSlices` values, the smallest slices are not tested */
  omitted: number;
}

/**
 * The comparison per slice. `values[i]` is the slice of row i (undefined: the true class). Slices with
 * fewer than `minRows` rows are listed without a test (p = NaN).
 */
export function compareSlices(evals: ModelEvaluation[], opts: { by?: string; values?: string[]; alpha?: number; maxSlices?: number; minRows?: number; seed?: number } = {}): SliceComparison {
  if (evals.length < 2) throw new EvaluationError('a comparison by slice needs at least two evaluated models');
  const a = evals[0];
  const n = a.rows;
  const yTrue = a.predictions.yTrue;
  const cls = a.task !== 'regression';
  const alpha = opts.alpha ?? 0.05;
  const minRows = opts.minRows ?? 10;
  let values = opts.values;
  if (!values) {
    if (!cls) throw new EvaluationError('a regression task has no classes to slice by: name a column');
    const names = a.classNames ?? [];
    values = Array.from(yTrue as Int32Array, (c) => names[c] ?? String(c));
  }
  if (values.length !== n) throw new EvaluationError(`the slice column has ${values.length} values but the evaluation has ${n} rows`);
  const groups = new Map<string, number[]>();
  values.forEach((v, i) => (groups.get(v) ?? groups.set(v, []).get(v)!).push(i));
  const maxSlices = opts.maxSlices ?? 50;
  const ordered = [...groups.entries()].sort((x, y) => y[1].length - x[1].length || (x[0] < y[0] ? -1 : 1));
  const kept = ordered.slice(0, maxSlices);
  const slices: SliceRow[] = [];
  /** each tested (slice, candidate): its p and which way the candidate differs (+1 better, −1 worse) */
  const tests: { slice: number; pair: number; p: number; better: number }[] = [];
  for (const [value, idx] of kept) {
    const yt = gather(yTrue, idx);
    const metric = evals.map((e) => (cls ? accuracyOf(yt, gather(e.predictions.yPred, idx)) : rmseOf(yt, gather(e.predictions.yPred, idx))));
    const pairs: SliceRow['pairs'] = [];
    for (const b of evals.slice(1)) {
      let p = NaN;
      let better = 0;
      if (idx.length >= minRows) {
        if (cls) {
          const m = mcnemar(yt as Labels, gather(a.predictions.yPred, idx) as Labels, gather(b.predictions.yPred, idx) as Labels);
          p = m.pValue;
          better = Math.sign(m.c - m.b);
        } else {
          const pa = gather(a.predictions.yPred, idx);
          const pb = gather(b.predictions.yPred, idx);
          const boot = pairedBootstrapMetric((t: Labels, q: Labels) => rmseOf(t, q), yt as Labels, pa as Labels, pb as Labels, { rounds: 1000, seed: opts.seed });
          p = boot.pValue;
          better = -Math.sign(boot.observed);
        }
      }
      pairs.push({ candidate: b.label, pValue: p, pHolm: NaN, verdict: 'no significant difference' });
      if (Number.isFinite(p)) tests.push({ slice: slices.length, pair: pairs.length - 1, p, better });
    }
    slices.push({ value, rows: idx.length, metric, pairs });
  }
  const adjusted = holm(tests.map((t) => t.p));
  tests.forEach((t, k) => {
    const pair = slices[t.slice].pairs[t.pair];
    pair.pHolm = adjusted[k];
    if (adjusted[k] < alpha && t.better) pair.verdict = t.better > 0 ? 'B better' : 'B worse';
  });
  return { by: opts.by ?? 'class', metric: cls ? 'accuracy' : 'rmse', slices, omitted: ordered.length - kept.length };
}

function gather(a: ArrayLike<number>, idx: number[]): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]];
  return out;
}

function accuracyOf(t: ArrayLike<number>, p: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) right++;
  return t.length ? right / t.length : NaN;
}

function rmseOf(t: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < t.length; i++) s += (t[i] - p[i]) ** 2;
  return t.length ? Math.sqrt(s / t.length) : NaN;
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '—');
const fp = (x: number) => (!Number.isFinite(x) ? '—' : x < 0.001 ? '< 0.001' : x.toFixed(3));

/** The table as text lines (or Markdown): a row per slice, each model's metric, each candidate's Holm-adjusted p and verdict. */
export function renderSlices(s: SliceComparison, models: string[], md = false): string[] {
  const head = [s.by === 'class' ? 'true class' : s.by, 'rows', ...models.map((m) => `${s.metric} ${m}`), ...models.slice(1).map((m) => `p (Holm) ${m}`)];
  const rows = s.slices.map((r) => [r.value, String(r.rows), ...r.metric.map(f4), ...r.pairs.map((p) => `${fp(p.pHolm)}${p.verdict === 'B better' ? ' better' : p.verdict === 'B worse' ? ' worse' : ''}`)]);
  const title = `By ${s.by === 'class' ? 'true class' : s.by} (${s.metric}; each candidate against the baseline, McNemar${s.metric === 'rmse' ? ' / paired bootstrap' : ''} per slice, Holm-adjusted over the table)`.replace('McNemar / paired bootstrap', 'paired bootstrap');
  const out: string[] = [];
  if (md) {
    out.push(`**${title}**`, '', `| ${head.join(' | ')} |`, `|${head.map((_, j) => (j ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`));
  } else {
    const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
    out.push(title, head.map((h, j) => (j ? h.padStart(w[j]) : h.padEnd(w[j]))).join('  '), ...rows.map((r) => r.map((c, j) => (j ? c.padStart(w[j]) : c.padEnd(w[j]))).join('  ')));
  }
  if (s.omitted) out.push(`(${s.omitted} smaller slice${s.omitted === 1 ? '' : 's'} not shown)`);
  return out;
}
