/**
 * Classification metrics for single-label multiclass (and binary) problems.
 *
 * Conventions (match scikit-learn's defaults where they exist):
 * - `yTrue` holds class indices 0..K−1; predictions are class indices, or probability rows that are
 *   turned into classes by argmax (first index wins ties; a single P(class 1) column: P > 0.5 ⇒ 1).
 * - Zero division: precision with no predictions of a class, recall with no true rows of a class, and
 *   F1 with precision + recall = 0 are all defined as 0 (sklearn `zero_division=0`).
 * - Macro averages are unweighted means over the classes that occur in yTrue or in the predictions
 *   (a class absent from both has no defined metrics and is left out, as sklearn does when `labels`
 *   is not given); micro averages pool TP/FP/FN over classes (for single-label data micro P = R = F1 =
 *   accuracy); weighted averages weight each class by its support (true count).
 * - Empty inputs give NaN.
 */
import { checkLabel, checkSameLength, foldOfRows, inferNumClasses, isRows, matrixRows, Labels, Probabilities, ProbabilityMatrix, ProbabilityRows, toLabels } from './types';

/** Fraction of rows whose predicted class equals the true class. */
export function accuracy(yTrue: Labels, yPred: Labels | ProbabilityRows): number {
  const p = toLabels(yPred);
  checkSameLength('accuracy', yTrue, p);
  if (yTrue.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === p[i]) ok++;
  return ok / yTrue.length;
}

/** K×K confusion matrix: `m[t][p]` = number of rows with true class t predicted as p. */
export function confusionMatrix(yTrue: Labels, yPred: Labels | ProbabilityRows, numClasses?: number): number[][] {
  const p = toLabels(yPred);
  checkSameLength('confusionMatrix', yTrue, p);
  const k = inferNumClasses(numClasses, yTrue, p);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    checkLabel(yTrue[i], k, 'yTrue');
    checkLabel(p[i], k, 'yPred');
    m[yTrue[i]][p[i]]++;
  }
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** number of true rows of this class */
  support: number;
}

export interface AverageScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  numClasses: number;
  rows: number;
  accuracy: number;
  /** `confusion[t][p]`, rows = true class */
  confusion: number[][];
  perClass: ClassScores[];
  macro: AverageScores;
  micro: AverageScores;
  weighted: AverageScores;
}

const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Precision / recall / F1 per class and macro, micro and weighted averages from a confusion matrix. */
export function reportFromConfusion(confusion: number[][]): ClassificationReport {
  const k = confusion.length;
  const perClass: ClassScores[] = [];
  let total = 0;
  let tpSum = 0;
  const predicted = new Array<number>(k).fill(0);
  for (let t = 0; t < k; t++) for (let p = 0; p < k; p++) predicted[p] += confusion[t][p];
  let macroP = 0;
  let macroR = 0;
  let macroF = 0;
  let present = 0;
  let wP = 0;
  let wR = 0;
  let wF = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    let support = 0;
    for (let p = 0; p < k; p++) support += confusion[c][p];
    const precision = div(tp, predicted[c]);
    const recall = div(tp, support);
    const f1 = f1Of(precision, recall);
    perClass.push({ precision, recall, f1, support });
    total += support;
    tpSum += tp;
    if (support > 0 || predicted[c] > 0) {
      present++;
      macroP += precision;
      macroR += recall;
      macroF += f1;
    }
    wP += precision * support;
    wR += recall * support;
    wF += f1 * support;
  }
  // single-label: Σ(TP+FP) = Σ(TP+FN) = total rows
  const microP = total === 0 ? NaN : tpSum / total;
  const nanIfEmpty = (x: number): number => (total === 0 ? NaN : x);
  return {
    numClasses: k,
    rows: total,
    accuracy: microP,
    confusion,
    perClass,
    macro: {
      precision: nanIfEmpty(div(macroP, present)),
      recall: nanIfEmpty(div(macroR, present)),
      f1: nanIfEmpty(div(macroF, present)),
    },
    micro: { precision: microP, recall: microP, f1: microP },
    weighted: { precision: nanIfEmpty(div(wP, total)), recall: nanIfEmpty(div(wR, total)), f1: nanIfEmpty(div(wF, total)) },
  };
}

/** Full per-class and averaged report (accuracy, confusion matrix, precision/recall/F1). */
export function classificationReport(yTrue: Labels, yPred: Labels | ProbabilityRows, numClasses?: number): ClassificationReport {
  return reportFromConfusion(confusionMatrix(yTrue, yPred, numClasses));
}

export type Average = 'macro' | 'micro' | 'weighted';

export function precision(yTrue: Labels, yPred: Labels | ProbabilityRows, average: Average = 'macro', numClasses?: number): number {
  return classificationReport(yTrue, yPred, numClasses)[average].precision;
}
export function recall(yTrue: Labels, yPred: Labels | ProbabilityRows, average: Average = 'macro', numClasses?: number): number {
  return classificationReport(yTrue, yPred, numClasses)[average].recall;
}
export function f1Score(yTrue: Labels, yPred: Labels | ProbabilityRows, average: Average = 'macro', numClasses?: number): number {
  return classificationReport(yTrue, yPred, numClasses)[average].f1;
}

export const LOG_LOSS_EPS = 1e-15;

/**
 * Mean cross-entropy −(1/n) Σ ln p(true class), each probability clipped to [eps, 1 − eps] (eps = 1e-15)
 * so a confident mistake costs ln(1/eps) ≈ 34.5 instead of Infinity. Rows are not renormalized.
 * Binary problems may pass a single P(class 1) column (flat array or rows of length 1); then the
 * probability of class 0 is 1 − p.
 */
export function logLoss(yTrue: Labels, probs: Probabilities, eps: number = LOG_LOSS_EPS): number {
  checkSameLength('logLoss', yTrue, probs);
  const n = yTrue.length;
  if (n === 0) return NaN;
  const lo = eps;
  const hi = 1 - eps;
  const clip = (p: number): number => {
    if (Number.isNaN(p)) throw new RangeError('logLoss: NaN probability');
    return p < lo ? lo : p > hi ? hi : p;
  };
  let s = 0;
  const rows = isRows(probs);
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    let p: number;
    if (!rows || (probs as ProbabilityRows)[i].length === 1) {
      const p1 = rows ? (probs as ProbabilityRows)[i][0] : (probs as Labels)[i];
      checkLabel(y, 2, 'logLoss yTrue (binary column)');
      p = y === 1 ? clip(p1) : 1 - clip(p1);
    } else {
      const r = (probs as ProbabilityRows)[i];
      checkLabel(y, r.length, 'logLoss yTrue');
      p = clip(r[y]);
    }
    s -= Math.log(p);
  }
  return s / n;
}

/** logLoss of a matrix's rows (width ≥ 2; one column: logLoss of its flat values) — the same value, the same errors. */
export function logLossOfMatrix(yTrue: Labels, m: ProbabilityMatrix, eps: number = LOG_LOSS_EPS): number {
  const w = m.width;
  const v = m.values;
  if (w === 1) return logLoss(yTrue, v.length === 0 ? [] : v, eps);
  const n = yTrue.length;
  if (!(w > 1) || v.length !== n * w) return logLoss(yTrue, matrixRows(m), eps);
  if (n === 0) return NaN;
  const lo = eps;
  const hi = 1 - eps;
  let s = 0;
  for (let i = 0, at = 0; i < n; i++, at += w) {
    const y = yTrue[i];
    checkLabel(y, w, 'logLoss yTrue');
    let p = v[at + y];
    if (p !== p) throw new RangeError('logLoss: NaN probability');
    p = p < lo ? lo : p > hi ? hi : p;
    s -= Math.log(p);
  }
  return s / n;
}

/** Score column `c` of probabilities (flat / single-column binary: P(1), and 1 − P(1) for c = 0). */
export function scoreColumn(probs: Probabilities, c: number): Float64Array {
  const out = new Float64Array(probs.length);
  if (!isRows(probs)) {
    for (let i = 0; i < probs.length; i++) out[i] = c === 1 ? probs[i] : 1 - probs[i];
    return out;
  }
  for (let i = 0; i < probs.length; i++) {
    const r = probs[i];
    out[i] = r.length === 1 ? (c === 1 ? r[0] : 1 - r[0]) : r[c];
  }
  return out;
}

/** Indices sorted by ascending score (stable). */
function argsortAscending(scores: ArrayLike<number>): Uint32Array {
  const n = scores.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError('ROC: NaN score');
    idx[i] = i;
  }
  return idx.sort((a, b) => scores[a] - scores[b] || a - b);
}

/**
 * Binary ROC-AUC by ranks (the Mann–Whitney U statistic / (n₊ n₋)): tied scores get their average
 * rank, so a positive/negative pair with equal scores counts ½ — the same value as the area under the
 * ROC curve with ties drawn as diagonal segments. `positive` selects the positive class (default 1);
 * every other value is negative. NaN when either class is absent.
 */
export function rocAucBinary(yTrue: Labels, scores: ArrayLike<number>, positive = 1): number {
  checkSameLength('rocAucBinary', yTrue, scores);
  return aucOf(yTrue, (i) => scores[i], positive);
}

/**
 * U / (n₊ n₋) where U = Σ over positives of (#negatives with a lower score + ½ #negatives with an equal
 * score): the positive and the negative scores are each sorted (native numeric sort, no comparator)
 * and merged. U is a sum of halves below 2⁵³, so exact, and equal to the rank sum − n₊(n₊+1)/2.
 */
function aucOf(yTrue: Labels, score: (i: number) => number, positive: number): number {
  const n = yTrue.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(score(i))) throw new RangeError('ROC: NaN score');
    if (yTrue[i] === positive) nPos++;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (yTrue[i] === positive) pos[a++] = score(i);
    else neg[b++] = score(i);
  }
  sortFloat64(pos);
  sortFloat64(neg);
  let u = 0;
  let lo = 0; // first negative ≥ the score
  let hi = 0; // first negative > the score
  for (let a = 0; a < nPos; a++) {
    const s = pos[a];
    while (lo < nNeg && neg[lo] < s) lo++;
    if (hi < lo) hi = lo;
    while (hi < nNeg && neg[hi] <= s) hi++;
    u += lo + (hi - lo) / 2;
  }
  return u / (nPos * nNeg);
}

export interface RocAucResult {
  /** the AUC: binary AUC of class 1, or the macro average of the one-vs-rest AUCs */
  auc: number;
  /** one-vs-rest AUC per class (NaN for a class with no positive or no negative rows) */
  perClass: number[];
  /** classes averaged into `auc` */
  classesUsed: number[];
}

/**
 * ROC-AUC from probabilities. Binary (flat/single column, or 2 columns): AUC of class 1's score.
 * Multiclass: one-vs-rest AUC of each class's column, macro-averaged (unweighted) over the classes
 * that have both positive and negative rows (sklearn `multi_class='ovr', average='macro'`, which
 * instead refuses when a class is missing from yTrue).
 */
export function rocAuc(yTrue: Labels, probs: Probabilities, numClasses?: number): RocAucResult {
  checkSameLength('rocAuc', yTrue, probs);
  const width = isRows(probs) ? (probs as ProbabilityRows)[0].length : 1;
  const k = width <= 2 ? 2 : inferNumClasses(numClasses, probs);
  if (numClasses !== undefined && numClasses > 2 && width !== numClasses) {
    throw new RangeError(`rocAuc: ${numClasses} classes but probability rows have ${width} columns`);
  }
  if (k <= 2) {
    const s = scoreColumn(probs, 1);
    const a = rocAucBinary(yTrue, s, 1);
    return { auc: a, perClass: [a, a], classesUsed: Number.isNaN(a) ? [] : [1] };
  }
  const perClass: number[] = [];
  const used: number[] = [];
  let sum = 0;
  const rows = isRows(probs) ? (probs as ProbabilityRows) : undefined;
  for (let c = 0; c < k; c++) {
    const a = rows
      ? aucOf(
          yTrue,
          (i) => {
            const r = rows[i];
            return r.length === 1 ? (c === 1 ? r[0] : 1 - r[0]) : r[c];
          },
          c,
        )
      : rocAucBinary(yTrue, scoreColumn(probs, c), c);
    perClass.push(a);
    if (!Number.isNaN(a)) {
      used.push(c);
      sum += a;
    }
  }
  return { auc: used.length ? sum / used.length : NaN, perClass, classesUsed: used };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Sorts a Float64Array ascending in place, in the order of the native `a.sort()` (−0 before +0; no NaN
 * allowed): through argsortFloat64's radix sort for long arrays, several times faster than the native sort.
 */
export function sortFloat64(a: Float64Array): Float64Array {
  if (a.length < 512 || !LITTLE_ENDIAN) return a.sort();
  const order = argsortFloat64(a);
  a.set(Float64Array.from(order, (i) => a[i]));
  return a;
}

/**
 * The permutation that sorts `a` ascending (stable; −0 before +0; no NaN allowed): for long arrays an LSD
 * radix sort on the high 32 bits of each value's order-preserving bit pattern (3 passes of 11/11/10 bits, a
 * pass skipped where every value shares its digit) carrying each value's index, then each run of equal high
 * words ordered by the low words (insertion sort for short runs, the same radix sort for long ones). That is
 * a stable sort by the whole 64-bit pattern: the order of a 6-pass radix sort, with about half the passes.
 */
export function argsortFloat64(a: Float64Array): Uint32Array {
  const n = a.length;
  if (n < 512 || !LITTLE_ENDIAN) {
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const negZero = (v: number): number => (v === 0 && 1 / v < 0 ? 0 : 1);
    return idx.sort((x, y) => (a[x] < a[y] ? -1 : a[x] > a[y] ? 1 : negZero(a[x]) - negZero(a[y]) || x - y));
  }
  return radixArgsort(a).order;
}

/** Runs of equal high words up to this length are put in order by insertion sort. */
const SHORT_RUN = 48;

/**
 * argsortFloat64's radix sort (n ≥ 512, little-endian): the order, and the high keys in that order
 * (`hi[i]` is the key of `a[order[i]]`: equal values have equal keys, except −0 (0x7fffffff) and +0
 * (0x80000000), which sit side by side).
 */
function radixArgsort(a: Float64Array): { order: Uint32Array; hi: Uint32Array } {
  const n = a.length;
  const bits = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  let hi = new Uint32Array(n);
  let ix = new Uint32Array(n);
  const hist = new Uint32Array(3 * 2048);
  for (let i = 0; i < n; i++) {
    const b = bits[2 * i + 1];
    // order-preserving: negatives flipped, positives with the sign bit set
    const h = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    hi[i] = h;
    ix[i] = i;
    hist[h & 0x7ff]++;
    hist[2048 + ((h >>> 11) & 0x7ff)]++;
    hist[4096 + (h >>> 22)]++;
  }
  let hi2 = new Uint32Array(n);
  let ix2 = new Uint32Array(n);
  const off = new Uint32Array(2048);
  for (let p = 0; p < 3; p++) {
    if (!offsets(hist, p * 2048, n, off)) continue;
    const shift = p * 11;
    const mask = p === 2 ? 0x3ff : 0x7ff;
    for (let i = 0; i < n; i++) {
      const h = hi[i];
      const at = off[(h >>> shift) & mask]++;
      hi2[at] = h;
      ix2[at] = ix[i];
    }
    let t = hi;
    hi = hi2;
    hi2 = t;
    t = ix;
    ix = ix2;
    ix2 = t;
  }
  // runs of equal high words: by the low words (same transform), stably
  const lo = hi2; // free now: scratch for the low keys of a run
  for (let i = 0; i < n; ) {
    const h = hi[i];
    let j = i + 1;
    while (j < n && hi[j] === h) j++;
    if (j - i > 1) {
      const neg = h < 0x80000000;
      for (let t = i; t < j; t++) lo[t] = neg ? ~bits[2 * ix[t]] >>> 0 : bits[2 * ix[t]];
      if (j - i <= SHORT_RUN) insertionSortByLow(lo, ix, i, j);
      else radixRun(lo, ix, ix2, i, j);
    }
    i = j;
  }
  return { order: ix, hi };
}

/** Stable insertion sort of lo[i..j), ids[i..j) moved with it (a short run of equal high words). */
function insertionSortByLow(lo: Uint32Array, ids: Uint32Array, i: number, j: number): void {
  for (let t = i + 1; t < j; t++) {
    const key = lo[t];
    const id = ids[t];
    let s = t - 1;
    while (s >= i && lo[s] > key) {
      lo[s + 1] = lo[s];
      ids[s + 1] = ids[s];
      s--;
    }
    lo[s + 1] = key;
    ids[s + 1] = id;
  }
}

/** Prefix offsets of one digit's histogram into `off`; false when one digit holds every value (the pass changes nothing). */
function offsets(hist: Uint32Array, base: number, n: number, off: Uint32Array): boolean {
  let sum = 0;
  for (let d = 0; d < 2048; d++) {
    const c = hist[base + d];
    if (c === n) return false;
    off[d] = sum;
    sum += c;
  }
  return true;
}

/** Stable LSD radix sort of ix[i..j) by key[i..j) (3 passes of 11/11/10 bits); `tmp` is scratch of at least j. */
function radixRun(key: Uint32Array, ix: Uint32Array, tmp: Uint32Array, i: number, j: number): void {
  const m = j - i;
  const hist = new Uint32Array(3 * 2048);
  for (let t = i; t < j; t++) {
    const k = key[t];
    hist[k & 0x7ff]++;
    hist[2048 + ((k >>> 11) & 0x7ff)]++;
    hist[4096 + (k >>> 22)]++;
  }
  const off = new Uint32Array(2048);
  const k2 = new Uint32Array(m);
  for (let p = 0; p < 3; p++) {
    if (!offsets(hist, p * 2048, m, off)) continue;
    const shift = p * 11;
    const mask = p === 2 ? 0x3ff : 0x7ff;
    for (let t = i; t < j; t++) {
      const k = key[t];
      const at = off[(k >>> shift) & mask]++;
      k2[at] = k;
      tmp[at] = ix[t];
    }
    key.set(k2, i);
    ix.set(tmp.subarray(0, m), i);
  }
}

/**
 * `rocAuc(yTrue, probs, numClasses)` and, for each fold (row indices; the folds must split rows
 * 0..n−1), `rocAuc` of that fold's rows (gathered in fold order) — the same values, with each class's
 * scores sorted once (argsortFloat64) and every fold's U counted in one walk over the blocks of tied
 * scores (U sums halves below 2⁵³, so it is exact in any order). Throws what rocAuc throws.
 */
export function rocAucFolds(yTrue: Labels, probs: ProbabilityRows, numClasses: number | undefined, folds: ArrayLike<number>[]): { full: RocAucResult; perFold: number[] } {
  checkSameLength('rocAuc', yTrue, probs);
  const n = yTrue.length;
  let covered = 0;
  for (const f of folds) covered += f.length;
  if (covered !== n) throw new RangeError(`rocAucFolds: the folds hold ${covered} rows, not ${n}`);
  const width = probs[0].length;
  for (let i = 0; i < n; i++) if (probs[i].length !== width) throw new RangeError('rocAucFolds: probability rows of different widths');
  const k = width <= 2 ? 2 : inferNumClasses(numClasses, probs);
  if (numClasses !== undefined && numClasses > 2 && width !== numClasses) {
    throw new RangeError(`rocAuc: ${numClasses} classes but probability rows have ${width} columns`);
  }
  const classes = k <= 2 ? [1] : Array.from({ length: k }, (_, c) => c);
  const score = (i: number, c: number): number => {
    const r = probs[i];
    return r.length === 1 ? (c === 1 ? r[0] : 1 - r[0]) : r[c];
  };
  // the score columns, read row by row once
  const cols = classes.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const r = probs[i];
    for (let ci = 0; ci < classes.length; ci++) {
      const c = classes[ci];
      const v = width === 1 ? score(i, c) : r[c];
      if (v !== v) throw new RangeError('ROC: NaN score');
      cols[ci][i] = v;
    }
  }
  return aucFoldsOfColumns(yTrue, k, classes, (ci) => cols[ci], folds);
}

/**
 * rocAucFolds on the columns of a row-major n × k probability matrix (k ≥ 2; binary: column 1) — the
 * same values as rocAucFolds on the matrix's rows. Throws what it throws (a NaN score).
 */
export function rocAucFoldsOfMatrix(yTrue: Labels, values: Float64Array, k: number, folds: ArrayLike<number>[]): { full: RocAucResult; perFold: number[] } {
  const n = yTrue.length;
  if (!(Number.isInteger(k) && k >= 2) || values.length !== n * k) throw new RangeError(`rocAucFoldsOfMatrix: ${values.length} values are not ${n} rows of ${k}`);
  let covered = 0;
  for (const f of folds) covered += f.length;
  if (covered !== n) throw new RangeError(`rocAucFolds: the folds hold ${covered} rows, not ${n}`);
  const classes = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c);
  for (const c of classes) for (let at = c; at < values.length; at += k) if (values[at] !== values[at]) throw new RangeError('ROC: NaN score');
  const packed = n >= 512 && LITTLE_ENDIAN && folds.length < 0x10000 ? packLabelsAndFolds(yTrue, folds) : undefined;
  if (packed) return aucFoldsPacked(values, k, classes, packed, folds);
  const col = new Float64Array(n);
  return aucFoldsOfColumns(yTrue, k, classes, (ci) => {
    for (let i = 0, at = classes[ci]; i < n; i++, at += k) col[i] = values[at];
    return col;
  }, folds);
}

/** foldOfRows, throwing where a row is not in exactly one fold. */
function foldOfRowsOrThrow(n: number, folds: ArrayLike<number>[]): Int32Array {
  const { foldOf, badRow } = foldOfRows(n, folds);
  if (!foldOf) throw new RangeError(`rocAucFolds: row ${badRow} is not in exactly one fold`);
  return foldOf;
}

/** label << 16 | fold for each row, when every label is an integer in [0, 0x8000) and every row is in exactly one fold. */
function packLabelsAndFolds(yTrue: Labels, folds: ArrayLike<number>[]): Int32Array | undefined {
  const n = yTrue.length;
  const code = foldOfRowsOrThrow(n, folds);
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    if (!(y >= 0 && y < 0x8000 && y === Math.floor(y))) return undefined;
    code[i] |= y << 16;
  }
  return code;
}

/** Scratch of aucFoldsPacked: keys, codes and the radix sort's second buffers. */
interface PackedScratch {
  hi: Uint32Array;
  lo: Uint32Array;
  cd: Int32Array;
  hi2: Uint32Array;
  lo2: Uint32Array;
  cd2: Int32Array;
  hist: Uint32Array;
  off: Uint32Array;
}

/**
 * aucFoldsOfColumns for labels and folds packed per row (packLabelsAndFolds), reading each class's scores
 * straight from the matrix: the sort carries the low key and the code with the high key (no index), so
 * the walk reads the sorted rows in order. The same U per fold, the same values.
 */
function aucFoldsPacked(values: Float64Array, k: number, classes: number[], code: Int32Array, folds: ArrayLike<number>[]): { full: RocAucResult; perFold: number[] } {
  const n = code.length;
  const nf = folds.length;
  const sc: PackedScratch = {
    hi: new Uint32Array(n),
    lo: new Uint32Array(n),
    cd: new Int32Array(n),
    hi2: new Uint32Array(n),
    lo2: new Uint32Array(n),
    cd2: new Int32Array(n),
    hist: new Uint32Array(3 * 2048),
    off: new Uint32Array(2048),
  };
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const tally = aucTally(nf);
  const acc = foldU(nf);
  for (const c of classes) {
    const sorted = sortPackedColumn(bits, k, c, code, sc);
    walkPacked(sorted.hi, sorted.lo, sorted.cd, c, acc);
    addClassAuc(tally, acc, k, n, folds);
  }
  return aucResults(k, tally);
}

/**
 * Column c of the n × k matrix (as 32-bit words) sorted ascending by value, stably: the order-preserving
 * high and low keys and the rows' codes, in sorted order (3 radix passes on the high key, a pass skipped
 * where all values share its digit; then runs of equal high keys by the low key).
 */
function sortPackedColumn(bits: Uint32Array, k: number, c: number, code: Int32Array, sc: PackedScratch): { hi: Uint32Array; lo: Uint32Array; cd: Int32Array } {
  const n = code.length;
  let { hi, lo, cd, hi2, lo2, cd2 } = sc;
  const { hist, off } = sc;
  let min = 0xffffffff;
  let max = 0;
  for (let i = 0, at = 2 * c; i < n; i++, at += 2 * k) {
    const b = bits[at + 1];
    const l = bits[at];
    let h: number;
    if (b & 0x80000000) {
      h = ~b >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      h = (b | 0x80000000) >>> 0;
      lo[i] = l;
    }
    hi[i] = h;
    cd[i] = code[i];
    if (h < min) min = h;
    if (h > max) max = h;
  }
  // the digits of h − min: scores in a narrow band (probabilities) need 2 passes of 11 bits, not 3
  const span = max - min;
  const passes = span < 0x800 ? 1 : span < 0x400000 ? 2 : 3;
  hist.fill(0);
  for (let i = 0; i < n; i++) {
    const d = hi[i] - min;
    hist[d & 0x7ff]++;
    hist[2048 + ((d >>> 11) & 0x7ff)]++;
    hist[4096 + (d >>> 22)]++;
  }
  for (let p = 0; p < passes; p++) {
    if (!offsets(hist, p * 2048, n, off)) continue;
    const shift = p * 11;
    const mask = p === 2 ? 0x3ff : 0x7ff;
    for (let i = 0; i < n; i++) {
      const h = hi[i];
      const at = off[((h - min) >>> shift) & mask]++;
      hi2[at] = h;
      lo2[at] = lo[i];
      cd2[at] = cd[i];
    }
    let t = hi;
    hi = hi2;
    hi2 = t;
    t = lo;
    lo = lo2;
    lo2 = t;
    const t2 = cd;
    cd = cd2;
    cd2 = t2;
  }
  const cdBits = new Uint32Array(cd.buffer, cd.byteOffset, n); // the codes' bits, moved as they are
  for (let i = 0; i < n; ) {
    const h = hi[i];
    let j = i + 1;
    while (j < n && hi[j] === h) j++;
    if (j - i > SHORT_RUN) sortRunByLow(lo, cd, i, j);
    else if (j - i > 1) insertionSortByLow(lo, cdBits, i, j);
    i = j;
  }
  sc.hi = hi;
  sc.lo = lo;
  sc.cd = cd;
  sc.hi2 = hi2;
  sc.lo2 = lo2;
  sc.cd2 = cd2;
  return { hi, lo, cd };
}

/** Stable LSD radix sort of (lo, cd)[i..j) by lo. */
function sortRunByLow(lo: Uint32Array, cd: Int32Array, i: number, j: number): void {
  const ix = new Uint32Array(j - i);
  for (let t = 0; t < ix.length; t++) ix[t] = t;
  const key = lo.slice(i, j);
  radixRun(key, ix, new Uint32Array(ix.length), 0, ix.length);
  const c0 = cd.slice(i, j);
  for (let t = 0; t < ix.length; t++) cd[i + t] = c0[ix[t]];
  lo.set(key, i);
}

/** Adds one class's U per fold (and over all rows) from its rows in ascending score order into `acc`. */
function walkPacked(
  hi: Uint32Array,
  lo: Uint32Array,
  cd: Int32Array,
  c: number,
  acc: FoldU,
): void {
  const n = hi.length;
  const { posIn, negIn, negBelow, posAll, u } = acc;
  negBelow.fill(0);
  posAll.fill(0);
  u.fill(0);
  let uFull = 0;
  let negBelowFull = 0;
  let posFull = 0;
  for (let i = 0; i < n; ) {
    const h = hi[i];
    const l = lo[i];
    // equal values have equal keys, except −0 (0x7fffffff ffffffff) and +0 (0x80000000 00000000), side by side
    const negZero = h === 0x7fffffff && l === 0xffffffff;
    let j = i + 1;
    while (j < n && ((hi[j] === h && lo[j] === l) || (negZero && hi[j] === 0x80000000 && lo[j] === 0))) j++;
    if (j === i + 1) {
      const x = cd[i];
      const f = x & 0xffff;
      if (x >>> 16 === c) {
        u[f] += negBelow[f];
        posAll[f]++;
        uFull += negBelowFull;
        posFull++;
      } else {
        negBelow[f]++;
        negBelowFull++;
      }
      i = j;
      continue;
    }
    let pb = 0;
    let nb = 0;
    for (let t = i; t < j; t++) {
      const x = cd[t];
      if (x >>> 16 === c) {
        posIn[x & 0xffff]++;
        pb++;
      } else {
        negIn[x & 0xffff]++;
        nb++;
      }
    }
    addTieBlock(acc);
    uFull += pb * (negBelowFull + nb / 2);
    negBelowFull += nb;
    posFull += pb;
    i = j;
  }
  acc.uFull = uFull;
  acc.posFull = posFull;
}

/**
 * One class's Mann–Whitney U per fold and over all rows, as a walk over its rows in ascending score order
 * adds it up (walkPacked, aucFoldsOfColumns).
 */
interface FoldU {
  /** per fold: positives / negatives in the current block of tied scores */
  posIn: Float64Array;
  negIn: Float64Array;
  /** per fold: negatives with a lower score */
  negBelow: Float64Array;
  posAll: Float64Array;
  u: Float64Array;
  /** over all rows (set when the walk ends) */
  uFull: number;
  posFull: number;
}

function foldU(nf: number): FoldU {
  return { posIn: new Float64Array(nf), negIn: new Float64Array(nf), negBelow: new Float64Array(nf), posAll: new Float64Array(nf), u: new Float64Array(nf), uFull: 0, posFull: 0 };
}

/** Ends a block of tied scores in each fold: each of its positives gets the negatives below plus half the tied ones. */
function addTieBlock(acc: FoldU): void {
  const { posIn, negIn, negBelow, posAll, u } = acc;
  for (let f = 0; f < u.length; f++) {
    if (posIn[f] > 0) {
      u[f] += posIn[f] * (negBelow[f] + negIn[f] / 2);
      posAll[f] += posIn[f];
    }
    negBelow[f] += negIn[f];
    posIn[f] = 0;
    negIn[f] = 0;
  }
}

/** The AUCs found so far: per class over all rows; per fold the one AUC (binary) or the sum and count of the classes' AUCs. */
interface AucTally {
  perClass: number[];
  foldOnly: number[];
  foldSum: number[];
  foldUsed: number[];
}

function aucTally(nf: number): AucTally {
  return { perClass: [], foldOnly: new Array<number>(nf).fill(NaN), foldSum: new Array<number>(nf).fill(0), foldUsed: new Array<number>(nf).fill(0) };
}

/** Adds one class's AUC per fold and over all n rows, from its U (`acc` after the walk), to the tally. */
function addClassAuc(tally: AucTally, acc: FoldU, k: number, n: number, folds: ArrayLike<number>[]): void {
  const { foldOnly, foldSum, foldUsed } = tally;
  for (let f = 0; f < folds.length; f++) {
    const nPos = acc.posAll[f];
    const nNeg = folds[f].length - nPos;
    const a = nPos === 0 || nNeg === 0 ? NaN : acc.u[f] / (nPos * nNeg);
    if (k <= 2) foldOnly[f] = a;
    else if (!Number.isNaN(a)) {
      foldSum[f] += a;
      foldUsed[f]++;
    }
  }
  const nNegFull = n - acc.posFull;
  tally.perClass.push(acc.posFull === 0 || nNegFull === 0 ? NaN : acc.uFull / (acc.posFull * nNegFull));
}

/** The full and per-fold results from the per-class AUCs (binary: the one class). */
function aucResults(k: number, { perClass, foldOnly, foldSum, foldUsed }: AucTally): { full: RocAucResult; perFold: number[] } {
  let full: RocAucResult;
  if (k <= 2) {
    const a = perClass[0];
    full = { auc: a, perClass: [a, a], classesUsed: Number.isNaN(a) ? [] : [1] };
  } else {
    const used: number[] = [];
    let sum = 0;
    for (let c = 0; c < k; c++) {
      if (!Number.isNaN(perClass[c])) {
        used.push(c);
        sum += perClass[c];
      }
    }
    full = { auc: used.length ? sum / used.length : NaN, perClass, classesUsed: used };
  }
  const perFold = k <= 2 ? foldOnly : foldSum.map((s, f) => (foldUsed[f] ? s / foldUsed[f] : NaN));
  return { full, perFold };
}

/** The walk of rocAucFolds over the sorted score column of each class (`column(ci)` may reuse one buffer). */
function aucFoldsOfColumns(
  yTrue: Labels,
  k: number,
  classes: number[],
  column: (ci: number) => Float64Array,
  folds: ArrayLike<number>[],
): { full: RocAucResult; perFold: number[] } {
  const n = yTrue.length;
  const foldOf = foldOfRowsOrThrow(n, folds);
  // the labels as doubles (one typed array to read from; === compares as before)
  const yt = Float64Array.from(yTrue);
  const tally = aucTally(folds.length);
  const acc = foldU(folds.length);
  const { posIn, negIn, negBelow, posAll, u } = acc;
  for (let ci = 0; ci < classes.length; ci++) {
    const c = classes[ci];
    const col = column(ci);
    // one sort of the whole column; each fold's U from the blocks of tied scores, in order
    let order: Uint32Array;
    let hiKeys: Uint32Array | undefined;
    if (n >= 512 && LITTLE_ENDIAN) ({ order, hi: hiKeys } = radixArgsort(col));
    else order = argsortFloat64(col);
    negBelow.fill(0);
    posAll.fill(0);
    u.fill(0);
    let uFull = 0;
    let negBelowFull = 0;
    let posFull = 0;
    for (let i = 0; i < n; ) {
      const r0 = order[i];
      // a different high key means a different value, but for −0 / +0 (keys 0x7fffffff, 0x80000000)
      const alone =
        i + 1 === n || (hiKeys !== undefined && hiKeys[i + 1] !== hiKeys[i] && hiKeys[i] !== 0x7fffffff) || col[order[i + 1]] !== col[r0];
      if (alone) {
        // no tie (the usual case): one row
        const f = foldOf[r0];
        if (yt[r0] === c) {
          u[f] += negBelow[f];
          posAll[f]++;
          uFull += negBelowFull;
          posFull++;
        } else {
          negBelow[f]++;
          negBelowFull++;
        }
        i++;
        continue;
      }
      // a block of tied scores: each positive gets the negatives below plus half the tied ones
      const v = col[r0];
      let j = i;
      let pb = 0;
      let nb = 0;
      for (; j < n && col[order[j]] === v; j++) {
        const r = order[j];
        if (yt[r] === c) {
          posIn[foldOf[r]]++;
          pb++;
        } else {
          negIn[foldOf[r]]++;
          nb++;
        }
      }
      addTieBlock(acc);
      uFull += pb * (negBelowFull + nb / 2);
      negBelowFull += nb;
      posFull += pb;
      i = j;
    }
    acc.uFull = uFull;
    acc.posFull = posFull;
    addClassAuc(tally, acc, k, n, folds);
  }
  return aucResults(k, tally);
}

export interface RocCurve {
  /** false-positive rate at each threshold, ascending, starting at 0 */
  fpr: number[];
  /** true-positive rate at each threshold, ascending, starting at 0 */
  tpr: number[];
  /** score thresholds, descending; a row is called positive when score ≥ threshold; the first is +Infinity */
  thresholds: number[];
}

/**
 * ROC curve points for charts: one point per distinct score (score ≥ threshold ⇒ positive), preceded
 * by (0, 0) at threshold +Infinity. With `dropIntermediate` (default true) points lying on a straight
 * horizontal or vertical run are dropped, keeping only corners (as sklearn's `drop_intermediate`),
 * which does not change the area. Trapezoidal area under these points equals `rocAucBinary`.
 */
export function rocCurve(yTrue: Labels, scores: ArrayLike<number>, positive = 1, dropIntermediate = true): RocCurve {
  checkSameLength('rocCurve', yTrue, scores);
  const n = yTrue.length;
  const asc = argsortAscending(scores);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === positive) nPos++;
  const nNeg = n - nPos;
  const tps = [0];
  const fps = [0];
  const thr = [Infinity];
  let tp = 0;
  let fp = 0;
  let i = n - 1;
  while (i >= 0) {
    const s = scores[asc[i]];
    while (i >= 0 && scores[asc[i]] === s) {
      if (yTrue[asc[i]] === positive) tp++;
      else fp++;
      i--;
    }
    tps.push(tp);
    fps.push(fp);
    thr.push(s);
  }
  let keep = tps.map((_, j) => j);
  if (dropIntermediate && tps.length > 2) {
    keep = [0];
    for (let j = 1; j < tps.length - 1; j++) {
      const d2f = fps[j + 1] - 2 * fps[j] + fps[j - 1];
      const d2t = tps[j + 1] - 2 * tps[j] + tps[j - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(j);
    }
    keep.push(tps.length - 1);
  }
  return {
    fpr: keep.map((j) => (nNeg === 0 ? NaN : fps[j] / nNeg)),
    tpr: keep.map((j) => (nPos === 0 ? NaN : tps[j] / nPos)),
    thresholds: keep.map((j) => thr[j]),
  };
}

/** Trapezoidal area under a curve given by x (monotone) and y. */
export function trapezoidArea(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return a;
}
