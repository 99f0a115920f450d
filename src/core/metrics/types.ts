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
