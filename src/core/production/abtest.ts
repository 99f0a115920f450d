/**
 * A/B tests on prediction logs: per version exposures and outcome rate (or mean), the lift of each
 * version over the control with 95 % intervals, fixed-horizon tests, an always-valid (sequential)
 * p-value, the sample-ratio-mismatch check and the exposures still needed. The statistics (sources in
 * docs/production.md):
 *
 * - binary outcomes: the pooled two-proportion z-test (two-sided); the Wald interval of the difference;
 *   the interval of the relative lift from the log of the ratio (Katz et al. 1978);
 * - numeric outcomes: Welch's t-test with the Welch–Satterthwaite degrees of freedom; the t interval
 *   of the difference; the relative lift's interval by the delta method on the log of the ratio;
 * - sample ratio mismatch: Pearson's chi-square goodness of fit of the exposure counts against the
 *   declared split (equal by default); flagged below p = 0.001;
 * - sequential: the mixture sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis and
 *   Walsh, "Peeking at A/B Tests" (KDD 2017) / "Always Valid Inference" (Operations Research 2022),
 *   with a normal mixing distribution N(0, τ²) over the difference of means: at each look n
 *     Λₙ = √(Vₙ / (Vₙ + τ²)) · exp(τ² θ̂ₙ² / (2 Vₙ (Vₙ + τ²))),  Vₙ = s²_A/n_A + s²_B/n_B,
 *   the always-valid p-value is the running minimum of 1/Λₙ (capped at 1), and the confidence
 *   sequence is θ̂ₙ ± √(Vₙ (Vₙ + τ²) / τ² · (ln((Vₙ + τ²)/Vₙ) + 2 ln(1/α))). Looks are taken at the
 *   end of every hour of the log (so looking every day, or every hour, is safe);
 * - power: the exposures per version needed to detect the observed difference with power 0.8 at the
 *   two-sided α, normal approximation (pooled variance under the null for proportions, as statsmodels'
 *   samplesize_proportions_2indep_onetail; (z_{1-α/2} + z_{power})² (s²_A + s²_B) / δ² for means).
 */
import { chiSquareSurvival, normalCdf, normalQuantile, studentTCdf, studentTQuantile } from '../metrics/special';
import { holm } from '../metrics/multiple';

export type OutcomeKind = 'binary' | 'numeric';

/** Streaming sums of one variant (or one variant in one hour). */
export interface Sums {
  /** exposures */
  n: number;
  /** exposures with an outcome (or counted as 0) */
  m: number;
  sum: number;
  sumSq: number;
}

export const emptySums = (): Sums => ({ n: 0, m: 0, sum: 0, sumSq: 0 });

export interface VariantResult {
  /** the version as the report names it, e.g. v3 */
  label: string;
  /** the version specs of the log that name it (v3, a commit, a tag) */
  specs: string[];
  commit?: string;
  exposures: number;
  /** exposures with an outcome (the others are left out, or counted as 0: see missingOutcome) */
  withOutcome: number;
  /** binary: the number of conversions; numeric: the sum */
  total: number;
  /** binary: the conversion rate; numeric: the mean */
  mean: number;
  sd: number;
  /** the declared share of the traffic (0–1) */
  expectedShare: number;
}

export interface Comparison {
  control: string;
  treatment: string;
  /** treatment − control (rate or mean) */
  diff: number;
  diffCI: [number, number];
  /** treatment / control − 1, when the control's mean is positive */
  relative?: number;
  relativeCI?: [number, number];
  test: 'two-proportion z-test (pooled)' | "Welch's t-test";
  statistic: number;
  df?: number;
  p: number;
  /** Holm-adjusted p over the comparisons with the control, when there are several */
  pHolm?: number;
  alwaysValidP: number;
  sequentialCI: [number, number];
  tau: number;
  /** exposures per version needed to detect `diff` with the power at α (two-sided); Infinity when diff is 0 */
  neededPerVariant: number;
  /** how many more exposures (in all) that is, beyond what the two versions have */
  moreExposures: number;
  significant: boolean;
}

export interface SrmResult {
  chi2: number;
  df: number;
  p: number;
  mismatch: boolean;
  /** what the check says, e.g. "v2 48.0 %, v3 52.0 % of 10,000 exposures against 50/50" */
  text: string;
}

export interface TimelinePoint {
  /** the end of the look (epoch ms, the end of an hour) */
  end: number;
  /** cumulative exposures per variant (report order) */
  exposures: number[];
  /** cumulative rate/mean per variant */
  means: number[];
  /** per treatment (report order, the control left out): cumulative diff, its 95 % interval, always-valid p */
  lifts: { diff: number; lo: number; hi: number; alwaysValidP: number }[];
}

export interface AbTestReport {
  schema: 1;
  model: string;
  metric: { name: string; kind: OutcomeKind };
  records: number;
  from: string;
  to: string;
  alpha: number;
  power: number;
  srm: SrmResult;
  variants: VariantResult[];
  comparisons: Comparison[];
  timeline: TimelinePoint[];
  /** the decision first, in one line, e.g. "v3 raises purchased by +1.5 pp [0.2, 2.8], p = 0.027" */
  decision: string;
  /** what the reader should know first (SRM, too few outcomes, one variant) */
  warnings: string[];
}

const z = (p: number) => normalQuantile(p);

/** Pooled two-proportion z-test (two-sided). */
export function twoProportionZ(xA: number, nA: number, xB: number, nB: number): { z: number; p: number } {
  const pooled = (xA + xB) / (nA + nB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  if (!(se > 0)) return { z: 0, p: 1 };
  const zz = (xB / nB - xA / nA) / se;
  return { z: zz, p: Math.min(1, 2 * normalCdf(-Math.abs(zz))) };
}

/** Welch's t-test (two-sided) from means, sample variances and sizes. */
export function welchT(mA: number, vA: number, nA: number, mB: number, vB: number, nB: number): { t: number; df: number; p: number; se: number } {
  const se2 = vA / nA + vB / nB;
  const se = Math.sqrt(se2);
  if (!(se > 0)) return { t: 0, df: nA + nB - 2, p: 1, se: 0 };
  const t = (mB - mA) / se;
  const df = (se2 * se2) / ((vA / nA) ** 2 / (nA - 1) + (vB / nB) ** 2 / (nB - 1));
  return { t, df, p: Math.min(1, 2 * studentTCdf(-Math.abs(t), df)), se };
}

/** Pearson's chi-square goodness of fit of counts against expected shares. */
export function srmChiSquare(counts: readonly number[], shares: readonly number[]): { chi2: number; df: number; p: number } {
  const total = counts.reduce((a, b) => a + b, 0);
  const sumShares = shares.reduce((a, b) => a + b, 0);
  let chi2 = 0;
  counts.forEach((c, i) => {
    const e = (total * shares[i]) / sumShares;
    chi2 += ((c - e) * (c - e)) / e;
  });
  const df = counts.length - 1;
  return { chi2, df, p: df > 0 ? chiSquareSurvival(chi2, df) : 1 };
}

/** The mSPRT mixture likelihood ratio Λ for an estimate with variance V and mixing variance τ². */
export function msprtLambda(theta: number, v: number, tau2: number): number {
  if (!(v > 0)) return 1;
  return Math.sqrt(v / (v + tau2)) * Math.exp((tau2 * theta * theta) / (2 * v * (v + tau2)));
}

/** The mSPRT confidence-sequence half width at level α. */
export function msprtHalfWidth(v: number, tau2: number, alpha: number): number {
  if (!(v > 0)) return Infinity;
  return Math.sqrt(((v * (v + tau2)) / tau2) * (Math.log((v + tau2) / v) + 2 * Math.log(1 / alpha)));
}

/** Exposures per group to detect a difference `diff` of proportions from `pA` (two-sided α, power). */
export function sampleSizeProportions(pA: number, diff: number, alpha: number, power: number): number {
  if (diff === 0) return Infinity;
  const pB = pA + diff;
  const pooled = (pA + pB) / 2;
  const sNull = Math.sqrt(2 * pooled * (1 - pooled));
  const sAlt = Math.sqrt(pA * (1 - pA) + pB * (1 - pB));
  return ((z(1 - alpha / 2) * sNull + z(power) * sAlt) / diff) ** 2;
}

/** Exposures per group to detect a difference of means `diff` (normal approximation). */
export function sampleSizeMeans(vA: number, vB: number, diff: number, alpha: number, power: number): number {
  if (diff === 0) return Infinity;
  return ((z(1 - alpha / 2) + z(power)) ** 2 * (vA + vB)) / (diff * diff);
}

const meanOf = (s: Sums) => (s.m ? s.sum / s.m : 0);
/** sample variance (n − 1); the Bernoulli plug-in p(1 − p) for binary outcomes */
const varOf = (s: Sums, kind: OutcomeKind) => {
  if (!s.m) return 0;
  const mu = s.sum / s.m;
  if (kind === 'binary') return mu * (1 - mu);
  return s.m > 1 ? Math.max(0, (s.sumSq - s.m * mu * mu) / (s.m - 1)) : 0;
};

export interface AnalyseInput {
  model: string;
  metric: { name: string; kind: OutcomeKind };
  records: number;
  from: number;
  to: number;
  /** one per variant, control first */
  variants: { label: string; specs: string[]; commit?: string; sums: Sums; share: number }[];
  /** hour (epoch ms / 3,600,000) → sums per variant (same order) */
  hours: Map<number, Sums[]>;
  alpha?: number;
  power?: number;
  /** the mSPRT mixing standard deviation; default 10 % of the control's mean */
  tau?: number;
  /** what an exposure with no outcome counts as ('zero', the default for an outcomes log) or 'skip' */
  missingOutcome?: 'zero' | 'skip';
}

const pct = (x: number, d = 1) => `${(100 * x).toFixed(d)} %`;

/** Formats a difference in the metric's unit: percentage points for rates. */
export function formatDiff(x: number, kind: OutcomeKind, signed = true): string {
  const s = signed && x > 0 ? '+' : '';
  return kind === 'binary' ? `${s}${(100 * x).toFixed(1)} pp` : `${s}${x.toPrecision(3)}`;
}

export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p < 0.01 ? p.toFixed(4) : p.toFixed(3)}`;
}

export function analyseAbTest(inp: AnalyseInput): AbTestReport {
  const alpha = inp.alpha ?? 0.05;
  const power = inp.power ?? 0.8;
  const kind = inp.metric.kind;
  const warnings: string[] = [];
  const counts = inp.variants.map((v) => v.sums.n);
  const shares = inp.variants.map((v) => v.share);
  const sumShares = shares.reduce((a, b) => a + b, 0);
  const srmStats = srmChiSquare(counts, shares);
  const total = counts.reduce((a, b) => a + b, 0);
  const srm: SrmResult = {
    ...srmStats,
    mismatch: srmStats.p < 0.001,
    text: `${inp.variants.map((v) => `${v.label} ${pct(v.sums.n / Math.max(total, 1))}`).join(', ')} of ${total.toLocaleString('en-US')} exposures against ${shares.map((s) => Math.round((100 * s) / sumShares)).join('/')}`,
  };
  if (srm.mismatch) {
    warnings.push(
      `Sample ratio mismatch: ${srm.text} (chi-square ${srm.chi2.toFixed(1)}, ${formatP(srm.p)}). The traffic was not split as declared, so the comparison below is not trustworthy: check the assignment and the logging before reading it.`,
    );
  }
  const variants: VariantResult[] = inp.variants.map((v) => ({
    label: v.label,
    specs: v.specs,
    ...(v.commit ? { commit: v.commit } : {}),
    exposures: v.sums.n,
    withOutcome: v.sums.m,
    total: v.sums.sum,
    mean: meanOf(v.sums),
    sd: Math.sqrt(varOf(v.sums, kind)),
    expectedShare: v.share / sumShares,
  }));
  for (const v of variants) {
    if (v.withOutcome === 0) warnings.push(`${v.label} has no outcomes yet: nothing can be said about it.`);
  }
  const control = inp.variants[0];
  const cMean = meanOf(control.sums);
  const tau = inp.tau ?? (Math.abs(cMean) > 0 ? 0.1 * Math.abs(cMean) : 0.01);
  const tau2 = tau * tau;

  const comparisons: Comparison[] = [];
  for (const t of inp.variants.slice(1)) {
    const a = control.sums;
    const b = t.sums;
    const mA = meanOf(a);
    const mB = meanOf(b);
    const vA = varOf(a, kind);
    const vB = varOf(b, kind);
    const diff = mB - mA;
    let statistic: number;
    let p: number;
    let df: number | undefined;
    let diffCI: [number, number];
    if (kind === 'binary') {
      const r = twoProportionZ(a.sum, a.m, b.sum, b.m);
      statistic = r.z;
      p = r.p;
      const se = Math.sqrt(vA / a.m + vB / b.m);
      diffCI = [diff - z(1 - alpha / 2) * se, diff + z(1 - alpha / 2) * se];
    } else {
      const r = welchT(mA, vA, a.m, mB, vB, b.m);
      statistic = r.t;
      p = r.p;
      df = r.df;
      const q = studentTQuantile(1 - alpha / 2, r.df);
      diffCI = [diff - q * r.se, diff + q * r.se];
    }
    let relative: number | undefined;
    let relativeCI: [number, number] | undefined;
    if (mA > 0 && mB > 0) {
      relative = mB / mA - 1;
      // variance of ln(mB/mA): Katz's log method for proportions, the delta method for means
      const vLog = kind === 'binary' ? 1 / b.sum - 1 / b.m + 1 / a.sum - 1 / a.m : vB / (b.m * mB * mB) + vA / (a.m * mA * mA);
      const h = z(1 - alpha / 2) * Math.sqrt(vLog);
      relativeCI = [Math.exp(Math.log(mB / mA) - h) - 1, Math.exp(Math.log(mB / mA) + h) - 1];
    }
    // the always-valid p-value over the hourly looks
    const ti = inp.variants.indexOf(t);
    const cum = [emptySums(), emptySums()];
    let avp = 1;
    for (const hour of [...inp.hours.keys()].sort((x, y) => x - y)) {
      const s = inp.hours.get(hour)!;
      for (const [k, src] of [
        [0, s[0]],
        [1, s[ti]],
      ] as const) {
        cum[k].n += src.n;
        cum[k].m += src.m;
        cum[k].sum += src.sum;
        cum[k].sumSq += src.sumSq;
      }
      if (cum[0].m < 2 || cum[1].m < 2) continue;
      const v = varOf(cum[0], kind) / cum[0].m + varOf(cum[1], kind) / cum[1].m;
      avp = Math.min(avp, 1 / msprtLambda(meanOf(cum[1]) - meanOf(cum[0]), v, tau2));
    }
    const vNow = vA / Math.max(a.m, 1) + vB / Math.max(b.m, 1);
    const hw = msprtHalfWidth(vNow, tau2, alpha);
    const needed = kind === 'binary' ? sampleSizeProportions(mA, diff, alpha, power) : sampleSizeMeans(vA, vB, diff, alpha, power);
    const more = Number.isFinite(needed) ? Math.max(0, Math.ceil(needed) - a.n) + Math.max(0, Math.ceil(needed) - b.n) : Infinity;
    comparisons.push({
      control: control.label,
      treatment: t.label,
      diff,
      diffCI,
      ...(relative !== undefined ? { relative, relativeCI } : {}),
      test: kind === 'binary' ? 'two-proportion z-test (pooled)' : "Welch's t-test",
      statistic,
      ...(df !== undefined ? { df } : {}),
      p,
      alwaysValidP: Math.min(1, avp),
      sequentialCI: [diff - hw, diff + hw],
      tau,
      neededPerVariant: needed,
      moreExposures: more,
      significant: p < alpha,
    });
  }
  if (comparisons.length > 1) {
    const adj = holm(comparisons.map((c) => c.p));
    comparisons.forEach((c, i) => {
      c.pHolm = adj[i];
      c.significant = adj[i] < alpha;
    });
  }

  // cumulative lift over time: one point per look, at most ~200 (hours merged into days when long)
  const hours = [...inp.hours.keys()].sort((x, y) => x - y);
  const span = hours.length ? hours[hours.length - 1] - hours[0] + 1 : 0;
  const step = span > 200 ? 24 : 1;
  const timeline: TimelinePoint[] = [];
  const cum = inp.variants.map(() => emptySums());
  const avps = comparisons.map(() => 1);
  let lastBucket: number | undefined;
  const pushPoint = (bucket: number) => {
    const means = cum.map(meanOf);
    timeline.push({
      end: (bucket + 1) * step * 3600000,
      exposures: cum.map((c) => c.n),
      means,
      lifts: cum.slice(1).map((c, i) => {
        const v = varOf(cum[0], kind) / Math.max(cum[0].m, 1) + varOf(c, kind) / Math.max(c.m, 1);
        const d = means[i + 1] - means[0];
        const h = z(1 - alpha / 2) * Math.sqrt(v);
        return { diff: d, lo: d - h, hi: d + h, alwaysValidP: avps[i] };
      }),
    });
  };
  for (const hour of hours) {
    const bucket = Math.floor(hour / step);
    if (lastBucket !== undefined && bucket !== lastBucket) pushPoint(lastBucket);
    lastBucket = bucket;
    inp.hours.get(hour)!.forEach((s, i) => {
      cum[i].n += s.n;
      cum[i].m += s.m;
      cum[i].sum += s.sum;
      cum[i].sumSq += s.sumSq;
    });
    cum.slice(1).forEach((c, i) => {
      if (cum[0].m < 2 || c.m < 2) return;
      const v = varOf(cum[0], kind) / cum[0].m + varOf(c, kind) / c.m;
      avps[i] = Math.min(avps[i], 1 / msprtLambda(meanOf(c) - meanOf(cum[0]), v, tau2));
    });
  }
  if (lastBucket !== undefined) pushPoint(lastBucket);

  return {
    schema: 1,
    model: inp.model,
    metric: inp.metric,
    records: inp.records,
    from: new Date(inp.from).toISOString(),
    to: new Date(inp.to).toISOString(),
    alpha,
    power,
    srm,
    variants,
    comparisons,
    timeline,
    decision: decisionOf(comparisons, variants, inp.metric, alpha, srm),
    warnings,
  };
}

function decisionOf(comparisons: Comparison[], variants: VariantResult[], metric: { name: string; kind: OutcomeKind }, alpha: number, srm: SrmResult): string {
  if (srm.mismatch) return `No decision: sample ratio mismatch (${formatP(srm.p)}); ${srm.text}.`;
  if (!comparisons.length) return `Only ${variants[0]?.label ?? 'one version'} is in the log: an A/B test needs two versions.`;
  const lines = comparisons.map((c) => {
    const ci = `[${formatDiff(c.diffCI[0], metric.kind, false).replace(/ pp$/, '')}, ${formatDiff(c.diffCI[1], metric.kind, false)}]`;
    const p = c.pHolm !== undefined ? `${formatP(c.p)}, Holm ${formatP(c.pHolm).replace(/^p /, '')}` : formatP(c.p);
    if (c.significant) {
      const verb = c.diff > 0 ? 'raises' : 'lowers';
      return `${c.treatment} ${verb} ${metric.name} by ${formatDiff(c.diff, metric.kind)} ${ci} against ${c.control}, ${p}`;
    }
    const more = Number.isFinite(c.moreExposures) ? `; about ${c.moreExposures.toLocaleString('en-US')} more exposures would detect a difference this size` : '';
    return `No significant difference between ${c.treatment} and ${c.control} on ${metric.name} (${formatDiff(c.diff, metric.kind)} ${ci}, ${p}, α = ${alpha})${more}`;
  });
  return lines.join('; ');
}
