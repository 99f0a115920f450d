/**
 * Cross-validation for models that are ALREADY TRAINED.
 *
 * Honest note: this does not retrain anything. It resamples the evaluation set: the rows of one
 * evaluation (true labels and the model's fixed predictions) are split into k stratified folds, every
 * metric is computed on each fold, and the spread of the k fold values is summarized. It answers "how
 * much does this metric move across disjoint parts of the evaluation data?" (evaluation-set sampling
 * variability) — not "how much does the metric vary across training runs / training sets?", which
 * only true k-fold retraining can answer.
 *
 * Summary per metric: mean of the k fold values, sample standard deviation (n − 1 denominator) and a
 * t interval mean ± t_{(1+conf)/2, k−1} · std / √k (default conf = 0.95). The t quantile is computed
 * by inverting the Student t CDF, itself the regularized incomplete beta function (see special.ts).
 * Folds whose metric is undefined (NaN, e.g. ROC-AUC on a fold with one class) are left out of that
 * metric's summary; `n` says how many folds were used.
 */
import { accuracy, classificationReport, LOG_LOSS_EPS, logLoss, reportFromConfusion, rocAuc, rocAucFolds, rocAucFoldsOfMatrix } from './classification';
import { meanAbsoluteError, meanSquaredError, r2Score } from './regression';
import { DEFAULT_SEED, mulberry32, shuffleInPlace } from './rng';
import { studentTQuantile } from './special';
import { foldOfRows, gatherAny, inferNumClasses, isRows, labelsFromMatrix, labelsFromProbabilities, matrixRows, Labels, Probabilities, ProbabilityMatrix } from './types';

/**
 * Stratified k-fold assignment: rows of each stratum (class) are shuffled with the seeded RNG, the
 * strata are laid end to end (in class order) and row j of that sequence goes to fold j mod k. So each
 * fold holds ⌊n_c/k⌋ or ⌈n_c/k⌉ rows of every class c and the fold sizes differ by at most one.
 * Returns k arrays of row indices, each sorted ascending. Same seed ⇒ same folds.
 */
export function stratifiedKFold(strata: Labels, k: number, seed: number = DEFAULT_SEED): Uint32Array[] {
  const n = strata.length;
  checkK(k, n);
  const rng = mulberry32(seed);
  const order = new Uint32Array(n);
  const small = smallIntStrata(strata);
  if (small) {
    // strata 0…m−1: a counting sort gives each stratum's rows in ascending order, strata in order
    const start = new Uint32Array(small.count + 1);
    for (let i = 0; i < n; i++) start[strata[i] + 1]++;
    for (let s = 0; s < small.count; s++) start[s + 1] += start[s];
    const at = start.slice(0, small.count);
    for (let i = 0; i < n; i++) order[at[strata[i]]++] = i;
    for (let s = 0; s < small.count; s++) if (start[s + 1] > start[s]) shuffleInPlace(order.subarray(start[s], start[s + 1]), rng);
    return splitRoundRobin(order, k);
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const s = strata[i];
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    g.push(i);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  let pos = 0;
  for (const key of keys) {
    const g = Uint32Array.from(groups.get(key)!);
    shuffleInPlace(g, rng);
    order.set(g, pos);
    pos += g.length;
  }
  return splitRoundRobin(order, k);
}

/** When every stratum is an integer in [0, 65536): how many values that range spans (max + 1). */
function smallIntStrata(strata: Labels): { count: number } | undefined {
  let max = -1;
  for (let i = 0; i < strata.length; i++) {
    const s = strata[i];
    if (!(s >= 0 && s < 65536 && s === Math.floor(s))) return undefined;
    if (s > max) max = s;
  }
  return { count: max + 1 };
}

/** Plain (unstratified) shuffled k-fold split of rows 0..n−1, e.g. for regression. */
export function kFold(n: number, k: number, seed: number = DEFAULT_SEED): Uint32Array[] {
  checkK(k, n);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, mulberry32(seed));
  return splitRoundRobin(order, k);
}

function checkK(k: number, n: number): void {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer ≥ 2, got ${k}`);
  if (k > n) throw new RangeError(`k = ${k} folds need at least ${k} rows, got ${n}`);
}

/** Row j of `order` goes to fold j mod k; each fold's rows in ascending order. */
function splitRoundRobin(order: Uint32Array, k: number): Uint32Array[] {
  const n = order.length;
  const foldOf = new Uint32Array(n);
  for (let j = 0; j < n; j++) foldOf[order[j]] = j % k;
  const folds: Uint32Array[] = [];
  const fill = new Uint32Array(k);
  for (let f = 0; f < k; f++) folds.push(new Uint32Array(Math.floor(n / k) + (f < n % k ? 1 : 0)));
  for (let i = 0; i < n; i++) {
    const f = foldOf[i];
    folds[f][fill[f]++] = i;
  }
  return folds;
}

export interface MetricSummary {
  /** the metric on each fold (NaN where undefined) */
  values: number[];
  /** folds with a finite value, used below */
  n: number;
  mean: number;
  /** sample standard deviation (n − 1 denominator); NaN when n < 2 */
  std: number;
  /** std / √n */
  standardError: number;
  /** confidence interval for the mean: mean ± tQuantile · standardError */
  lower: number;
  upper: number;
  confidence: number;
  /** degrees of freedom n − 1 */
  df: number;
  /** t_{(1+confidence)/2, df} */
  tQuantile: number;
}

/** Mean, sample std and t-based confidence interval of a set of values (non-finite values skipped). */
export function summarize(values: ArrayLike<number>, confidence = 0.95): MetricSummary {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const all = Array.from(values);
  const v = all.filter((x) => Number.isFinite(x));
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : NaN;
  let ss = 0;
  for (const x of v) ss += (x - mean) * (x - mean);
  const std = n >= 2 ? Math.sqrt(ss / (n - 1)) : NaN;
  const se = std / Math.sqrt(n);
  const df = n - 1;
  const t = n >= 2 ? studentTQuantile((1 + confidence) / 2, df) : NaN;
  return { values: all, n, mean, std, standardError: se, lower: mean - t * se, upper: mean + t * se, confidence, df, tQuantile: t };
}

export interface CrossValidationOptions {
  /** number of folds (default 5) */
  k?: number;
  /** RNG seed for the fold assignment (default DEFAULT_SEED) */
  seed?: number;
  /** confidence level of the intervals (default 0.95) */
  confidence?: number;
  /** stratum (class) of each row; omitted ⇒ plain shuffled k-fold */
  strata?: Labels;
}

export interface CrossValidationReport {
  k: number;
  seed: number;
  stratified: boolean;
  confidence: number;
  /** row indices of each fold */
  folds: Uint32Array[];
  metrics: Record<string, MetricSummary>;
  /** e.g. a class with fewer rows than folds */
  warnings: string[];
  /** always 'resampled evaluation set (no retraining)' — say so wherever this is shown */
  method: 'resampled evaluation set (no retraining)';
  /** metrics over all rows that came out on the way (crossValidateClassifier: rocAuc), as the plain function gives them */
  full?: Record<string, number>;
}

/** Evaluates a set of named metrics on a subset of rows (fold number `fold` of `folds`). */
export type FoldEvaluator = (indices: Uint32Array, fold: number, folds: Uint32Array[]) => Record<string, number>;

/** Generic cross-validation over rows 0..n−1: `evaluate` is called once per fold. */
export function crossValidate(n: number, evaluate: FoldEvaluator, opts: CrossValidationOptions = {}): CrossValidationReport {
  const k = opts.k ?? 5;
  const seed = opts.seed ?? DEFAULT_SEED;
  const confidence = opts.confidence ?? 0.95;
  const warnings: string[] = [];
  let folds: Uint32Array[];
  if (opts.strata) {
    if (opts.strata.length !== n) throw new RangeError(`strata: length ${opts.strata.length} ≠ ${n} rows`);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) counts.set(opts.strata[i], (counts.get(opts.strata[i]) ?? 0) + 1);
    for (const [c, m] of [...counts].sort((a, b) => a[0] - b[0])) {
      if (m < k) warnings.push(`class ${c} has only ${m} row(s), fewer than k = ${k} folds; some folds lack it`);
    }
    folds = stratifiedKFold(opts.strata, k, seed);
  } else {
    folds = kFold(n, k, seed);
  }
  const perFold = folds.map((f, i) => evaluate(f, i, folds));
  const names: string[] = [];
  for (const r of perFold) for (const key of Object.keys(r)) if (!names.includes(key)) names.push(key);
  const metrics: Record<string, MetricSummary> = {};
  for (const name of names) metrics[name] = summarize(perFold.map((r) => r[name] ?? NaN), confidence);
  return { k, seed, stratified: !!opts.strata, confidence, folds, metrics, warnings, method: 'resampled evaluation set (no retraining)' };
}

export interface ClassifierOutcomes {
  yTrue: Labels;
  /** predicted classes; derived from `probabilities` by argmax when omitted */
  yPred?: Labels;
  probabilities?: Probabilities;
  /**
   * The same probabilities as one row-major matrix (rows of width ≥ 2; `probabilities`, when also given,
   * must be its rows). Gives the same report, computed for all folds in one pass over typed memory.
   */
  probabilityMatrix?: ProbabilityMatrix;
  numClasses?: number;
}

/**
 * Stratified (by yTrue) cross-validation of a trained classifier's outcomes. Metrics per fold:
 * accuracy, precisionMacro, recallMacro, f1Macro, f1Micro, f1Weighted, and with probabilities also
 * logLoss and rocAuc (binary, or one-vs-rest macro).
 */
export function crossValidateClassifier(data: ClassifierOutcomes, opts: Omit<CrossValidationOptions, 'strata'> = {}): CrossValidationReport {
  const { yTrue, probabilityMatrix: matrix } = data;
  // the matrix's rows are made only when the row-by-row path runs
  let probabilities = data.probabilities;
  const yPred = data.yPred ?? (matrix ? labelsFromMatrix(matrix) : probabilities ? labelsFromProbabilities(probabilities) : undefined);
  if (!yPred) throw new RangeError('crossValidateClassifier: give yPred or probabilities');
  const k = classCount(data.numClasses, yTrue, yPred, probabilities, matrix);
  const rowsOf = (): Probabilities | undefined => (probabilities ??= matrix ? matrixRows(matrix) : undefined);
  // ROC-AUC of every fold (and of all rows) with each class's scores sorted once; where that fails, the
  // per-fold rocAuc below runs and throws (or not) exactly as it always did
  let aucs: { full: { auc: number }; perFold: number[] } | undefined;
  let aucsTried = false;
  // with a matrix: every fold's metrics at once (undefined where the row-by-row path must decide)
  let fast: { perFold: Record<string, number>[]; rocAuc: number } | undefined;
  let fastTried = !matrix;
  const report = crossValidate(
    yTrue.length,
    (idx, fold, folds) => {
      if (!fastTried) {
        fastTried = true;
        fast = foldMetricsOfMatrix(yTrue, yPred, matrix!, k, folds);
      }
      if (fast) return fast.perFold[fold];
      const t = gatherAny(yTrue, idx);
      const p = gatherAny(yPred, idx);
      const r = classificationReport(t, p, k);
      const out: Record<string, number> = {
        accuracy: accuracy(t, p),
        precisionMacro: r.macro.precision,
        recallMacro: r.macro.recall,
        f1Macro: r.macro.f1,
        f1Micro: r.micro.f1,
        f1Weighted: r.weighted.f1,
      };
      const all = rowsOf();
      const rows = all && isRows(all) ? all : undefined;
      if (all) {
        const pr = gatherAny(all, idx);
        out.logLoss = logLoss(t, pr);
        if (!aucsTried && rows) {
          aucsTried = true;
          try {
            aucs = rocAucFolds(yTrue, rows, k, folds);
          } catch {
            aucs = undefined;
          }
        }
        out.rocAuc = aucs ? aucs.perFold[fold] : rocAuc(t, pr, k).auc;
      }
      return out;
    },
    { ...opts, strata: yTrue },
  );
  if (fast) report.full = { rocAuc: fast.rocAuc };
  else if (aucs) report.full = { rocAuc: aucs.full.auc };
  return report;
}

/** inferNumClasses(numClasses, yTrue, yPred, the probability rows), without making a matrix's rows. */
function classCount(numClasses: number | undefined, yTrue: Labels, yPred: Labels, probabilities: Probabilities | undefined, matrix: ProbabilityMatrix | undefined): number {
  if (probabilities || !matrix) return inferNumClasses(numClasses, yTrue, yPred, probabilities && isRows(probabilities) ? probabilities : undefined);
  const k = inferNumClasses(numClasses, yTrue, yPred);
  const w = matrix.width;
  // rows add their width (one column: 2) when there are any
  return numClasses !== undefined || !(w > 0 && matrix.values.length >= w) ? k : Math.max(k, w === 1 ? 2 : w);
}

/**
 * The per-fold metrics of crossValidateClassifier from a probability matrix, every fold in one pass:
 * a confusion matrix and a log-loss sum per fold (each fold's rows in ascending order, as the row-by-row
 * path adds them, so the sums are the same doubles) and rocAucFoldsOfMatrix. Undefined where that path
 * would throw or take another branch (a label outside [0, k), a NaN probability, width ≠ k), so it decides.
 */
function foldMetricsOfMatrix(
  yTrue: Labels,
  yPred: Labels,
  m: ProbabilityMatrix,
  k: number,
  folds: Uint32Array[],
): { perFold: Record<string, number>[]; rocAuc: number } | undefined {
  const n = yTrue.length;
  const w = m.width;
  const v = m.values;
  if (w !== k || k < 2 || v.length !== n * w || yPred.length !== n) return undefined;
  const nf = folds.length;
  const { foldOf } = foldOfRows(n, folds);
  if (!foldOf) return undefined;
  for (let i = 0; i < n; i++) if (foldOf[i] === -1) return undefined;
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) return undefined;
  const conf = new Float64Array(nf * k * k);
  const ok = new Float64Array(nf);
  const ll = new Float64Array(nf);
  const lo = LOG_LOSS_EPS;
  const hi = 1 - LOG_LOSS_EPS;
  for (let i = 0, at = 0; i < n; i++, at += w) {
    const y = yTrue[i];
    const p = yPred[i];
    if (!(y >= 0 && y < k && y === Math.floor(y)) || !(p >= 0 && p < k && p === Math.floor(p))) return undefined;
    const f = foldOf[i];
    conf[(f * k + y) * k + p]++;
    if (y === p) ok[f]++;
    let q = v[at + y];
    q = q < lo ? lo : q > hi ? hi : q;
    ll[f] -= Math.log(q);
  }
  let aucs: { full: { auc: number }; perFold: number[] };
  try {
    aucs = rocAucFoldsOfMatrix(yTrue, v, k, folds);
  } catch {
    return undefined;
  }
  const perFold: Record<string, number>[] = [];
  for (let f = 0; f < nf; f++) {
    const size = folds[f].length;
    const confusion: number[][] = [];
    for (let t = 0; t < k; t++) confusion.push(Array.from(conf.subarray((f * k + t) * k, (f * k + t + 1) * k)));
    const r = reportFromConfusion(confusion);
    perFold.push({
      accuracy: size === 0 ? NaN : ok[f] / size,
      precisionMacro: r.macro.precision,
      recallMacro: r.macro.recall,
      f1Macro: r.macro.f1,
      f1Micro: r.micro.f1,
      f1Weighted: r.weighted.f1,
      logLoss: size === 0 ? NaN : ll[f] / size,
      rocAuc: aucs.perFold[f],
    });
  }
  return { perFold, rocAuc: aucs.full.auc };
}

/** Plain k-fold cross-validation of a trained regressor's outcomes: mse, rmse, mae, r2 per fold. */
export function crossValidateRegressor(data: { yTrue: Labels; yPred: Labels }, opts: Omit<CrossValidationOptions, 'strata'> = {}): CrossValidationReport {
  return crossValidate(
    data.yTrue.length,
    (idx) => {
      const t = gatherAny(data.yTrue, idx);
      const p = gatherAny(data.yPred, idx);
      const mse = meanSquaredError(t, p);
      return { mse, rmse: Math.sqrt(mse), mae: meanAbsoluteError(t, p), r2: r2Score(t, p) };
    },
    opts,
  );
}
