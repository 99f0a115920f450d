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
import { checkLabel, checkSameLength, inferNumClasses, isRows, Labels, Probabilities, ProbabilityRows, toLabels } from './types';

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
 * radix sort on the IEEE bits (6 passes of 11/11/10 bits per 32-bit half, a pass skipped where every value
 * shares its digit) carrying each value's index.
 */
export function argsortFloat64(a: Float64Array): Uint32Array {
  const n = a.length;
  if (n < 512 || !LITTLE_ENDIAN) {
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const negZero = (v: number): number => (v === 0 && 1 / v < 0 ? 0 : 1);
    return idx.sort((x, y) => (a[x] < a[y] ? -1 : a[x] > a[y] ? 1 : negZero(a[x]) - negZero(a[y]) || x - y));
  }
  const bits = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let ix = new Uint32Array(n);
  const hist = new Uint32Array(6 * 2048);
  for (let i = 0; i < n; i++) {
    let l = bits[2 * i];
    let h = bits[2 * i + 1];
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    lo[i] = l;
    hi[i] = h;
    ix[i] = i;
    hist[l & 0x7ff]++;
    hist[2048 + ((l >>> 11) & 0x7ff)]++;
    hist[4096 + (l >>> 22)]++;
    hist[6144 + (h & 0x7ff)]++;
    hist[8192 + ((h >>> 11) & 0x7ff)]++;
    hist[10240 + (h >>> 22)]++;
  }
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  let ix2 = new Uint32Array(n);
  const off = new Uint32Array(2048);
  for (let p = 0; p < 6; p++) {
    const base = p * 2048;
    const shift = (p % 3) * 11;
    const mask = p % 3 === 2 ? 0x3ff : 0x7ff;
    let skip = false;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = hist[base + d];
      if (c === n) skip = true;
      off[d] = sum;
      sum += c;
    }
    if (skip) continue;
    const word = p < 3 ? lo : hi;
    for (let i = 0; i < n; i++) {
      const at = off[(word[i] >>> shift) & mask]++;
      lo2[at] = lo[i];
      hi2[at] = hi[i];
      ix2[at] = ix[i];
    }
    let t = lo;
    lo = lo2;
    lo2 = t;
    t = hi;
    hi = hi2;
    hi2 = t;
    t = ix;
    ix = ix2;
    ix2 = t;
  }
  return ix;
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
  const nf = folds.length;
  const foldOf = new Int32Array(n).fill(-1);
  for (let f = 0; f < nf; f++) {
    const idx = folds[f];
    for (let t = 0; t < idx.length; t++) {
      const i = idx[t];
      if (!(i >= 0 && i < n) || foldOf[i] !== -1) throw new RangeError(`rocAucFolds: row ${i} is not in exactly one fold`);
      foldOf[i] = f;
    }
  }
  const perClass: number[] = [];
  const foldSum = new Array<number>(nf).fill(0);
  const foldUsed = new Array<number>(nf).fill(0);
  const foldOnly = new Array<number>(nf).fill(NaN); // binary: the single AUC
  const posIn = new Float64Array(nf); // per fold: positives / negatives in the current tie block
  const negIn = new Float64Array(nf);
  const negBelow = new Float64Array(nf); // negatives with a lower score
  const posAll = new Float64Array(nf);
  const u = new Float64Array(nf);
  for (let ci = 0; ci < classes.length; ci++) {
    const c = classes[ci];
    const col = cols[ci];
    // one sort of the whole column; each fold's U from the blocks of tied scores, in order
    const order = argsortFloat64(col);
    negBelow.fill(0);
    posAll.fill(0);
    u.fill(0);
    let uFull = 0;
    let negBelowFull = 0;
    let posFull = 0;
    for (let i = 0; i < n; ) {
      const r0 = order[i];
      const v = col[r0];
      if (i + 1 === n || col[order[i + 1]] !== v) {
        // no tie (the usual case): one row
        const f = foldOf[r0];
        if (yTrue[r0] === c) {
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
      let j = i;
      let pb = 0;
      let nb = 0;
      for (; j < n && col[order[j]] === v; j++) {
        const r = order[j];
        if (yTrue[r] === c) {
          posIn[foldOf[r]]++;
          pb++;
        } else {
          negIn[foldOf[r]]++;
          nb++;
        }
      }
      for (let f = 0; f < nf; f++) {
        if (posIn[f] > 0) {
          u[f] += posIn[f] * (negBelow[f] + negIn[f] / 2);
          posAll[f] += posIn[f];
        }
        negBelow[f] += negIn[f];
        posIn[f] = 0;
        negIn[f] = 0;
      }
      uFull += pb * (negBelowFull + nb / 2);
      negBelowFull += nb;
      posFull += pb;
      i = j;
    }
    for (let f = 0; f < nf; f++) {
      const nPos = posAll[f];
      const nNeg = folds[f].length - nPos;
      const a = nPos === 0 || nNeg === 0 ? NaN : u[f] / (nPos * nNeg);
      if (k <= 2) foldOnly[f] = a;
      else if (!Number.isNaN(a)) {
        foldSum[f] += a;
        foldUsed[f]++;
      }
    }
    const nNegFull = n - posFull;
    perClass.push(posFull === 0 || nNegFull === 0 ? NaN : uFull / (posFull * nNegFull));
  }
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
