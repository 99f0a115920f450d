/** Input shapes shared by the metric functions, and small validation / gathering helpers. */

/** Class indices 0..K−1 (or regression values), one per row: number[], Int32Array, Float32Array, … */
export type Labels = ArrayLike<number>;

/**
 * Per-row probability (or score) vectors, one row per sample, K columns: number[][] or Float32Array[].
 * Rows are not renormalized.
 */
export type ProbabilityRows = ReadonlyArray<ArrayLike<number>>;

/**
 * Probabilities for log-loss and ROC-AUC: K-column rows, or for binary problems a single column —
 * either rows of length 1 or a flat array — holding P(class 1).
 */
export type Probabilities = ProbabilityRows | Labels;

/**
 * Probability rows as one row-major matrix: row i is values[i·width, (i+1)·width). Functions that take it
 * (labelsFromMatrix, logLossOfMatrix, crossValidateClassifier's `probabilityMatrix`) give the values they
 * give for the same rows, bit for bit, reading typed memory in one pass.
 */
export interface ProbabilityMatrix {
  values: Float64Array;
  width: number;
}

/** The rows of a matrix as views into its values (what the row-taking functions take). */
export function matrixRows(m: ProbabilityMatrix): Float64Array[] {
  const n = m.width > 0 ? Math.floor(m.values.length / m.width) : 0;
  const rows = new Array<Float64Array>(n);
  for (let i = 0; i < n; i++) rows[i] = m.values.subarray(i * m.width, (i + 1) * m.width);
  return rows;
}

/** A metric evaluated on a multiset of row indices (rows may repeat, as in a bootstrap resample). */
export type RowMetric = (indices: ArrayLike<number>) => number;

export function isRows(p: Probabilities): p is ProbabilityRows {
  return p.length > 0 && typeof (p as ArrayLike<unknown>)[0] !== 'number';
}

export function checkSameLength(what: string, a: { length: number }, b: { length: number }): void {
  if (a.length !== b.length) throw new RangeError(`${what}: length mismatch (${a.length} vs ${b.length})`);
}

export function checkLabel(v: number, k: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= k) throw new RangeError(`${what}: class ${v} is not an integer in [0, ${k})`);
}

/** Number of classes: the explicit value, else the row width (≥ 2), else 1 + the largest label seen. */
export function inferNumClasses(explicit: number | undefined, ...sources: Array<Labels | Probabilities | undefined>): number {
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 1) throw new RangeError(`numClasses must be a positive integer, got ${explicit}`);
    return explicit;
  }
  let k = 0;
  for (const s of sources) {
    if (!s || s.length === 0) continue;
    if (isRows(s)) k = Math.max(k, s[0].length === 1 ? 2 : s[0].length);
    else for (let i = 0; i < s.length; i++) if ((s as Labels)[i] + 1 > k) k = (s as Labels)[i] + 1;
  }
  return Math.max(k, 1);
}

/** Predicted classes from probability rows: argmax (first index wins ties); a single column → P > 0.5 ⇒ 1. */
export function labelsFromProbabilities(probs: Probabilities, threshold = 0.5): Int32Array {
  const out = new Int32Array(probs.length);
  if (!isRows(probs)) {
    for (let i = 0; i < probs.length; i++) out[i] = probs[i] > threshold ? 1 : 0;
    return out;
  }
  for (let i = 0; i < probs.length; i++) {
    const r = probs[i];
    if (r.length === 1) {
      out[i] = r[0] > threshold ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let j = 1; j < r.length; j++) if (r[j] > r[best]) best = j;
    out[i] = best;
  }
  return out;
}

/** labelsFromProbabilities of a matrix's rows: argmax (first index wins ties); one column → P > threshold ⇒ 1. */
export function labelsFromMatrix(m: ProbabilityMatrix, threshold = 0.5): Int32Array {
  const w = m.width;
  const v = m.values;
  const n = w > 0 ? Math.floor(v.length / w) : 0;
  const out = new Int32Array(n);
  if (w === 1) {
    for (let i = 0; i < n; i++) out[i] = v[i] > threshold ? 1 : 0;
    return out;
  }
  for (let i = 0, at = 0; i < n; i++, at += w) {
    let best = 0;
    let bv = v[at];
    for (let j = 1; j < w; j++) {
      const x = v[at + j];
      if (x > bv) {
        best = j;
        bv = x;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Class labels from either labels or probability rows. */
export function toLabels(pred: Labels | ProbabilityRows): Labels {
  return isRows(pred) ? labelsFromProbabilities(pred) : (pred as Labels);
}

/** `values[indices[i]]` for each i, as a Float64Array. */
export function gather(values: Labels, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}

/**
 * Which of the folds (lists of row indices) holds each of n rows (−1: none); or the first index found
 * that is not a row in [0, n) or that a fold before already holds.
 */
export function foldOfRows(n: number, folds: ArrayLike<number>[]): { foldOf: Int32Array; badRow?: undefined } | { foldOf?: undefined; badRow: number } {
  const foldOf = new Int32Array(n).fill(-1);
  for (let f = 0; f < folds.length; f++) {
    const idx = folds[f];
    for (let t = 0; t < idx.length; t++) {
      const i = idx[t];
      if (!(i >= 0 && i < n) || foldOf[i] !== -1) return { badRow: i };
      foldOf[i] = f;
    }
  }
  return { foldOf };
}

/** Rows or values at `indices` (rows are shared, not copied). */
export function gatherAny<T extends Labels | Probabilities>(values: T, indices: ArrayLike<number>): T {
  if (isRows(values as Probabilities)) {
    const rows = values as ProbabilityRows;
    const out = new Array<ArrayLike<number>>(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = rows[indices[i]];
    return out as unknown as T;
  }
  return gather(values as Labels, indices) as unknown as T;
}
