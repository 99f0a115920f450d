/**
 * Regression metrics. Empty inputs give NaN.
 * R² = 1 − SS_res / SS_tot; when the targets are constant (SS_tot = 0) it is 1 for a perfect
 * prediction and 0 otherwise (sklearn's `force_finite=True`), never ±Infinity/NaN.
 */
import { checkSameLength, Labels } from './types';

export function meanSquaredError(yTrue: Labels, yPred: Labels): number {
  checkSameLength('meanSquaredError', yTrue, yPred);
  const n = yTrue.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = yTrue[i] - yPred[i];
    s += d * d;
  }
  return s / n;
}

export function rootMeanSquaredError(yTrue: Labels, yPred: Labels): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred));
}

export function meanAbsoluteError(yTrue: Labels, yPred: Labels): number {
  checkSameLength('meanAbsoluteError', yTrue, yPred);
  const n = yTrue.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(yTrue[i] - yPred[i]);
  return s / n;
}

export function r2Score(yTrue: Labels, yPred: Labels): number {
  checkSameLength('r2Score', yTrue, yPred);
  const n = yTrue.length;
  if (n === 0) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const r = yTrue[i] - yPred[i];
    const t = yTrue[i] - mean;
    ssRes += r * r;
    ssTot += t * t;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

export interface RegressionReport {
  rows: number;
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
}

export function regressionReport(yTrue: Labels, yPred: Labels): RegressionReport {
  const mse = meanSquaredError(yTrue, yPred);
  return { rows: yTrue.length, mse, rmse: Math.sqrt(mse), mae: meanAbsoluteError(yTrue, yPred), r2: r2Score(yTrue, yPred) };
}
