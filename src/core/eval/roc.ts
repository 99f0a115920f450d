/**
 * ROC curves of an evaluation for charts: binary — one curve (class 1's score); multiclass — one
 * one-vs-rest curve per class. The curves come from src/core/metrics (rocCurve, which keeps only the
 * corners), their AUC from rocAuc (exact, by ranks), and each is thinned to at most `maxPoints`
 * points for the webview (downsampleCurve).
 */
import { rocAuc, rocCurve, scoreColumn, type Labels } from '../metrics';

export interface RocSeries {
  /** the positive class's index */
  classIndex: number;
  /** the positive class's name */
  className: string;
  /** AUC of the full curve (not of the thinned points) */
  auc: number;
  fpr: number[];
  tpr: number[];
}

export const ROC_MAX_POINTS = 200;

/**
 * At most `max` points of a monotone curve, spread evenly along its length; the first and last points
 * are always kept, and so is every point where the curve turns by more than the others (a corner is
 * taken over its neighbours within its step). `max` ≥ 2.
 */
export function downsampleCurve(x: number[], y: number[], max = ROC_MAX_POINTS): { x: number[]; y: number[] } {
  const n = x.length;
  if (n <= max) return { x: [...x], y: [...y] };
  if (max < 2) throw new RangeError(`downsampleCurve: max must be ≥ 2, not ${max}`);
  const cum = new Float64Array(n);
  for (let i = 1; i < n; i++) cum[i] = cum[i - 1] + Math.hypot(x[i] - x[i - 1], y[i] - y[i - 1]);
  const total = cum[n - 1];
  const keep: number[] = [0];
  // one point per step of the length: in each window the point that turns the most (a corner)
  let start = 1;
  for (let k = 1; k < max - 1; k++) {
    const until = (total * k) / (max - 1);
    let end = start;
    while (end < n - 1 && cum[end] <= until) end++;
    let best = -1;
    let bestTurn = -1;
    for (let i = start; i < end && i < n - 1; i++) {
      const turn = Math.abs((x[i] - x[i - 1]) * (y[i + 1] - y[i]) - (y[i] - y[i - 1]) * (x[i + 1] - x[i]));
      if (turn > bestTurn) {
        bestTurn = turn;
        best = i;
      }
    }
    if (best > keep[keep.length - 1]) keep.push(best);
    start = Math.max(end, start);
  }
  keep.push(n - 1);
  return { x: keep.map((i) => x[i]), y: keep.map((i) => y[i]) };
}

/** The ROC curves of a classification evaluation (see the module header); [] without both classes. */
export function rocSeries(yTrue: Labels, probabilities: Float64Array[], classNames: string[], maxPoints = ROC_MAX_POINTS): RocSeries[] {
  const k = classNames.length;
  if (k < 2 || probabilities.length === 0) return [];
  const aucs = rocAuc(yTrue, probabilities, k);
  const classes = k === 2 ? [1] : classNames.map((_, c) => c);
  const out: RocSeries[] = [];
  for (const c of classes) {
    const auc = aucs.perClass[c];
    if (!Number.isFinite(auc)) continue; // a class without positive or negative rows has no curve
    const curve = rocCurve(yTrue, scoreColumn(probabilities, c), c);
    const d = downsampleCurve(curve.fpr, curve.tpr, maxPoints);
    out.push({ classIndex: c, className: classNames[c], auc, fpr: d.x, tpr: d.y });
  }
  return out;
}
