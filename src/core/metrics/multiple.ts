/**
 * Comparing three or more models on the same rows, and how many rows a comparison needs.
 *
 * - Cochran's Q (Cochran, 1950): the omnibus test that m classifiers have the same accuracy, from each
 *   row's correctness under every model. With C_j the rows model j gets right, R_i the models that get
 *   row i right and N = Σ C_j:  Q = (m − 1)(m Σ C_j² − N²) / (m N − Σ R_i²), referred to χ² with m − 1
 *   degrees of freedom. Rows every model gets right (or wrong) add nothing to either sum's difference.
 *   When no row separates the models the denominator is 0: Q = 0, p = 1.
 * - Holm's step-down correction (Holm, 1979) of a family of p-values: sorted ascending, the i-th
 *   (from 0) is multiplied by (m − i), running maxima taken, capped at 1 (statsmodels' `holm`).
 * - Rows needed for power 1 − β at two-sided level α:
 *   McNemar (Connor, 1987), with discordant proportions p10 (A right, B wrong) and p01 observed:
 *   ψ = p10 + p01, δ = p01 − p10, n = (z_{1−α/2} √ψ + z_{1−β} √(ψ − δ²))² / δ².
 *   A bootstrapped difference Δ with standard error SE on n rows (SE ∝ 1/√n):
 *   n' = n · ((z_{1−α/2} + z_{1−β}) · SE / |Δ|)².
 *   Both are undefined (Infinity) when the observed difference is 0.
 */
import { chiSquareSurvival, normalQuantile } from './special';

export interface CochranQResult {
  /** number of models */
  models: number;
  rows: number;
  statistic: number;
  df: number;
  pValue: number;
}

/** Cochran's Q from per-model correctness (1 = right) on the same rows. */
export function cochransQ(correct: ArrayLike<number>[]): CochranQResult {
  const m = correct.length;
  if (m < 2) throw new RangeError(`cochransQ: needs at least two models, got ${m}`);
  const n = correct[0].length;
  for (const c of correct) if (c.length !== n) throw new RangeError(`cochransQ: every model needs the same ${n} rows, got ${c.length}`);
  let sumC2 = 0;
  let total = 0;
  for (const c of correct) {
    let cj = 0;
    for (let i = 0; i < n; i++) cj += c[i] ? 1 : 0;
    sumC2 += cj * cj;
    total += cj;
  }
  let sumR2 = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (const c of correct) r += c[i] ? 1 : 0;
    sumR2 += r * r;
  }
  const den = m * total - sumR2;
  const statistic = den === 0 ? 0 : ((m - 1) * (m * sumC2 - total * total)) / den;
  return { models: m, rows: n, statistic, df: m - 1, pValue: den === 0 ? 1 : chiSquareSurvival(statistic, m - 1) };
}

/** Holm-adjusted p-values, in the order given. */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

const z = (p: number) => normalQuantile(p);

/**
 * Rows McNemar's test needs to detect the observed discordance (b = A right & B wrong, c = the reverse,
 * on `rows` rows) with the given power at two-sided level α (Connor, 1987). Infinity when b = c.
 */
export function mcnemarRowsNeeded(b: number, c: number, rows: number, alpha = 0.05, power = 0.8): number {
  if (!(rows > 0) || b === c) return Infinity;
  const psi = (b + c) / rows;
  const delta = (c - b) / rows;
  const n = (z(1 - alpha / 2) * Math.sqrt(psi) + z(power) * Math.sqrt(Math.max(0, psi - delta * delta))) ** 2 / (delta * delta);
  return Math.ceil(n);
}

/** Rows a difference `delta` with standard error `se` on `rows` rows needs for the given power at level α. */
export function rowsNeededFromSe(delta: number, se: number, rows: number, alpha = 0.05, power = 0.8): number {
  if (!(rows > 0) || !Number.isFinite(delta) || delta === 0 || !(se > 0)) return Infinity;
  return Math.ceil(rows * (((z(1 - alpha / 2) + z(power)) * se) / Math.abs(delta)) ** 2);
}
