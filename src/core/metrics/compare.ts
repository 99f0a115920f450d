/**
 * A/B comparison of two models evaluated on the SAME rows (paired tests).
 *
 * - McNemar's test for accuracy: b = rows A gets right and B gets wrong, c = rows A gets wrong and B
 *   gets right. With b + c < 25 the exact two-sided binomial p-value (b ~ Bin(b + c, ½)) is used,
 *   otherwise the chi-square statistic with continuity correction (|b − c| − 1)² / (b + c), whose
 *   1-degree-of-freedom survival is erfc(√(χ²/2)). (|b − c| − 1 is floored at 0, so |b − c| ≤ 1
 *   gives χ² = 0 and p = 1 rather than an over-corrected positive statistic.)
 * - Paired bootstrap: rows are resampled with replacement (the same resample for A and B), the
 *   difference metric(B) − metric(A) is recomputed per resample; the percentile interval (numpy's
 *   linear interpolation) of those differences is the confidence interval, and the two-sided p-value
 *   is p = min(1, 2 · min(#{d ≤ 0}, #{d ≥ 0}) / rounds) — twice the fraction of resamples on the far
 *   side of 0 (its resolution is 1/rounds: p = 0 means p < 1/rounds). Seeded (mulberry32) ⇒
 *   reproducible: same data, seed and rounds give identical results.
 * - Verdict: "B better" / "B worse" when the (1 − α) interval excludes 0 and p < α (signs flipped
 *   for lower-is-better metrics such as log-loss or MSE), else "no significant difference". A is the
 *   baseline, B the candidate: the verdict values are the stable machine form (JSON, gates); people
 *   read `text` (verdictText), which names the roles and says the verdict once.
 */
import { checkSameLength, gatherAny, Labels, Probabilities, ProbabilityRows, RowMetric, toLabels } from './types';
import { DEFAULT_SEED, mulberry32 } from './rng';
import { binomialTestTwoSidedHalf, chiSquare1Survival } from './special';

export interface McNemarResult {
  rows: number;
  accuracyA: number;
  accuracyB: number;
  /** A right, B wrong */
  b: number;
  /** A wrong, B right */
  c: number;
  method: 'exact binomial' | 'chi-square with continuity correction';
  /** χ² with continuity correction (also reported for the exact method, for reference; 0 when b + c = 0) */
  statistic: number;
  pValue: number;
}

/** McNemar's test from the discordant counts b and c. */
export function mcnemarFromCounts(b: number, c: number): Pick<McNemarResult, 'b' | 'c' | 'method' | 'statistic' | 'pValue'> {
  for (const [name, v] of [['b', b], ['c', c]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`mcnemar: ${name} must be a non-negative integer, got ${v}`);
  }
  const n = b + c;
  const statistic = n === 0 ? 0 : Math.max(0, Math.abs(b - c) - 1) ** 2 / n;
  if (n < 25) return { b, c, method: 'exact binomial', statistic, pValue: binomialTestTwoSidedHalf(b, n) };
  return { b, c, method: 'chi-square with continuity correction', statistic, pValue: chiSquare1Survival(statistic) };
}

/** McNemar's test of equal accuracy for two classifiers' predictions on the same rows. */
export function mcnemar(yTrue: Labels, predA: Labels | ProbabilityRows, predB: Labels | ProbabilityRows): McNemarResult {
  const a = toLabels(predA);
  const bb = toLabels(predB);
  checkSameLength('mcnemar (A)', yTrue, a);
  checkSameLength('mcnemar (B)', yTrue, bb);
  let b = 0;
  let c = 0;
  let okA = 0;
  let okB = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const ra = a[i] === yTrue[i];
    const rb = bb[i] === yTrue[i];
    if (ra) okA++;
    if (rb) okB++;
    if (ra && !rb) b++;
    else if (!ra && rb) c++;
  }
  const n = yTrue.length;
  return { rows: n, accuracyA: n ? okA / n : NaN, accuracyB: n ? okB / n : NaN, ...mcnemarFromCounts(b, c) };
}

export interface BootstrapOptions {
  /** number of resamples (default 1000) */
  rounds?: number;
  /** RNG seed (default DEFAULT_SEED) */
  seed?: number;
  /** confidence level of the interval (default 0.95) */
  confidence?: number;
}

export interface BootstrapResult {
  /** metric(B) − metric(A) on all rows */
  observed: number;
  /** mean of the resampled differences */
  mean: number;
  /** standard deviation of the resampled differences (bootstrap standard error) */
  standardError: number;
  /** percentile interval of the difference at `confidence` */
  lower: number;
  upper: number;
  confidence: number;
  /** two-sided bootstrap p-value for "no difference" (resolution 1/rounds) */
  pValue: number;
  rounds: number;
  seed: number;
  rows: number;
  /** the resampled differences, sorted ascending (resamples where the metric was NaN are dropped) */
  samples: Float64Array;
}

/** Quantile of ascending-sorted values with linear interpolation (numpy's default method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function finish(observed: number, diffs: Float64Array, rows: number, rounds: number, seed: number, confidence: number): BootstrapResult {
  let samples = diffs.filter((d) => !Number.isNaN(d));
  samples = samples.sort();
  const m = samples.length;
  let sum = 0;
  let le = 0;
  let ge = 0;
  for (let i = 0; i < m; i++) {
    const d = samples[i];
    sum += d;
    if (d <= 0) le++;
    if (d >= 0) ge++;
  }
  const mean = m ? sum / m : NaN;
  let ss = 0;
  for (let i = 0; i < m; i++) ss += (samples[i] - mean) ** 2;
  const alpha = 1 - confidence;
  return {
    observed,
    mean,
    standardError: m > 1 ? Math.sqrt(ss / (m - 1)) : NaN,
    lower: quantileSorted(samples, alpha / 2),
    upper: quantileSorted(samples, 1 - alpha / 2),
    confidence,
    pValue: m ? Math.min(1, (2 * Math.min(le, ge)) / m) : NaN,
    rounds,
    seed,
    rows,
    samples,
  };
}

function options(opts: BootstrapOptions): Required<BootstrapOptions> {
  const rounds = opts.rounds ?? 1000;
  const confidence = opts.confidence ?? 0.95;
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return { rounds, confidence, seed: opts.seed ?? DEFAULT_SEED };
}

/**
 * Paired bootstrap of any difference statistic: `diff(indices)` must return metric(B) − metric(A) on
 * the rows `indices` (a resample, rows repeat). Each round draws n row indices uniformly with
 * replacement from the seeded RNG (index = ⌊u · n⌋), in a reused Uint32Array.
 */
export function pairedBootstrapDiff(n: number, diff: RowMetric, opts: BootstrapOptions = {}): BootstrapResult {
  const { rounds, seed, confidence } = options(opts);
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const observed = diff(all);
  const rng = mulberry32(seed);
  const idx = new Uint32Array(n);
  const diffs = new Float64Array(rounds);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng() * n);
    diffs[r] = diff(idx);
  }
  return finish(observed, diffs, n, rounds, seed, confidence);
}

/** Paired bootstrap of metricB − metricA, each a metric over row indices. */
export function pairedBootstrap(n: number, metricA: RowMetric, metricB: RowMetric, opts: BootstrapOptions = {}): BootstrapResult {
  return pairedBootstrapDiff(n, (idx) => metricB(idx) - metricA(idx), opts);
}

/**
 * Fast path for metrics that are a mean over rows (accuracy, per-row loss, squared error, …): pass the
 * per-row difference d_i = score_B(i) − score_A(i); each resample's statistic is the mean of d over the
 * drawn rows. Uses the same RNG stream as `pairedBootstrapDiff`, so the results agree with it.
 */
export function pairedBootstrapMean(rowDiff: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapResult {
  const { rounds, seed, confidence } = options(opts);
  const n = rowDiff.length;
  const d = Float64Array.from(rowDiff);
  let total = 0;
  for (let i = 0; i < n; i++) total += d[i];
  const diffs = new Float64Array(rounds);
  // mulberry32 inlined (identical stream to rng.ts / pairedBootstrapDiff): the draw dominates the cost
  let a = Math.trunc(seed) | 0;
  for (let r = 0; r < rounds; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      s += d[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)];
    }
    diffs[r] = s / n;
  }
  return finish(n ? total / n : NaN, diffs, n, rounds, seed, confidence);
}

/** Paired bootstrap of accuracy(B) − accuracy(A) (per-row correctness precomputed; fast). */
export function pairedBootstrapAccuracy(yTrue: Labels, predA: Labels | ProbabilityRows, predB: Labels | ProbabilityRows, opts: BootstrapOptions = {}): BootstrapResult {
  const a = toLabels(predA);
  const b = toLabels(predB);
  checkSameLength('pairedBootstrapAccuracy (A)', yTrue, a);
  checkSameLength('pairedBootstrapAccuracy (B)', yTrue, b);
  const d = new Int8Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) d[i] = (b[i] === yTrue[i] ? 1 : 0) - (a[i] === yTrue[i] ? 1 : 0);
  return pairedBootstrapMean(d, opts);
}

/** Paired bootstrap of any metric(yTrue, prediction) — predictions are labels or probability rows. */
export function pairedBootstrapMetric<P extends Labels | Probabilities>(
  metric: (yTrue: Labels, pred: P) => number,
  yTrue: Labels,
  predA: P,
  predB: P,
  opts: BootstrapOptions = {},
): BootstrapResult {
  checkSameLength('pairedBootstrapMetric (A)', yTrue, predA);
  checkSameLength('pairedBootstrapMetric (B)', yTrue, predB);
  return pairedBootstrapDiff(
    yTrue.length,
    (idx) => {
      const t = gatherAny(yTrue, idx);
      return metric(t, gatherAny(predB, idx)) - metric(t, gatherAny(predA, idx));
    },
    opts,
  );
}

/** B is the candidate, A the baseline (the stable values of JSON reports and gates; `verdictText` says them for people). */
export type Verdict = 'B better' | 'B worse' | 'no significant difference';

export interface VerdictResult {
  verdict: Verdict;
  alpha: number;
  /** the verdict in words, once: "better than the baseline at α = 0.05", "no significant difference from the baseline at α = 0.05" */
  text: string;
  /** the (1 − α) interval of B − A used (bootstrap), NaN for McNemar */
  lower: number;
  upper: number;
  pValue: number;
  higherIsBetter: boolean;
}

export interface VerdictOptions {
  /** significance level (default 0.05) */
  alpha?: number;
  /** true for scores (accuracy, F1, AUC, R²), false for losses (log-loss, MSE); default true */
  higherIsBetter?: boolean;
}

/** The verdict in role words, short (a table cell, a badge): 'candidate better', 'candidate worse', 'no significant difference'. */
export function verdictLabel(v: Verdict): string {
  return v === 'B better' ? 'candidate better' : v === 'B worse' ? 'candidate worse' : 'no significant difference';
}

/**
 * The verdict as people read it, a whole phrase that says it once (shown after the candidate's name:
 * "m@v2: better than the baseline at α = 0.05").
 */
export function verdictText(v: Verdict, alpha: number): string {
  const what = v === 'B better' ? 'better than the baseline' : v === 'B worse' ? 'worse than the baseline' : 'no significant difference from the baseline';
  return `${what} at α = ${alpha}`;
}

/**
 * Verdict from a paired bootstrap: the (1 − α) percentile interval of B − A is recomputed from the
 * stored samples; significant when it excludes 0 and p < α.
 */
export function bootstrapVerdict(result: BootstrapResult, opts: VerdictOptions = {}): VerdictResult {
  const alpha = opts.alpha ?? 0.05;
  const higherIsBetter = opts.higherIsBetter ?? true;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const lower = quantileSorted(result.samples, alpha / 2);
  const upper = quantileSorted(result.samples, 1 - alpha / 2);
  let verdict: Verdict = 'no significant difference';
  if (result.pValue < alpha) {
    if (lower > 0) verdict = higherIsBetter ? 'B better' : 'B worse';
    else if (upper < 0) verdict = higherIsBetter ? 'B worse' : 'B better';
  }
  return { verdict, alpha, text: verdictText(verdict, alpha), lower, upper, pValue: result.pValue, higherIsBetter };
}

/** Verdict from McNemar's test: significant when p < α; B better when it fixes more rows than it breaks (c > b). */
export function mcnemarVerdict(result: Pick<McNemarResult, 'b' | 'c' | 'pValue'>, opts: Pick<VerdictOptions, 'alpha'> = {}): VerdictResult {
  const alpha = opts.alpha ?? 0.05;
  let verdict: Verdict = 'no significant difference';
  if (result.pValue < alpha && result.b !== result.c) verdict = result.c > result.b ? 'B better' : 'B worse';
  return { verdict, alpha, text: verdictText(verdict, alpha), lower: NaN, upper: NaN, pValue: result.pValue, higherIsBetter: true };
}
