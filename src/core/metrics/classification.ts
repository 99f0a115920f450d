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

/** Alias: categorical cross-entropy is the same quantity as log-loss. */
export const crossEntropy = logLoss;

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
  const n = yTrue.length;
  const idx = argsortAscending(scores);
  let nPos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const midRank = (i + j) / 2 + 1; // 1-based average rank of the tie block
    for (let t = i; t <= j; t++) {
      if (yTrue[idx[t]] === positive) {
        nPos++;
        rankSumPos += midRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
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
  for (let c = 0; c < k; c++) {
    const a = rocAucBinary(yTrue, scoreColumn(probs, c), c);
    perClass.push(a);
    if (!Number.isNaN(a)) {
      used.push(c);
      sum += a;
    }
  }
  return { auc: used.length ? sum / used.length : NaN, perClass, classesUsed: used };
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
