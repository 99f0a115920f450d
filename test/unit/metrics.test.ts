import * as assert from 'assert';
import { execFileSync } from 'child_process';
import {
  accuracy,
  bootstrapVerdict,
  chiSquare1Survival,
  classificationReport,
  confusionMatrix,
  crossValidate,
  crossValidateClassifier,
  crossValidateRegressor,
  erfc,
  f1Score,
  kFold,
  logLoss,
  mcnemar,
  mcnemarFromCounts,
  mcnemarVerdict,
  meanAbsoluteError,
  meanSquaredError,
  mulberry32,
  normalQuantile,
  pairedBootstrap,
  pairedBootstrapAccuracy,
  pairedBootstrapMean,
  pairedBootstrapMetric,
  precision,
  r2Score,
  recall,
  regressionReport,
  rocAuc,
  rocAucBinary,
  rocAucFolds,
  sortFloat64,
  argsortFloat64,
  rocCurve,
  rootMeanSquaredError,
  stratifiedKFold,
  studentTCdf,
  studentTQuantile,
  summarize,
  trapezoidArea,
} from '../../src/core/metrics';

const PY = '/usr/bin/python3';

/** Runs a numpy script with JSON data in argv[1]; the script prints JSON. */
function numpy(script: string, data: unknown): unknown {
  const out = execFileSync(PY, ['-c', `import sys, json\nimport numpy as np\nD = json.loads(sys.argv[1])\n${script}`, JSON.stringify(data)], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

const close = (actual: number, expected: number, tol = 1e-12, msg = ''): void => {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${msg} ${actual} ≠ ${expected} (tol ${tol})`);
};

/** Seeded random data helpers (test-local RNG so failures are reproducible). */
function randomLabels(n: number, k: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(r() * k));
}
function randomProbRows(n: number, k: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const w = Array.from({ length: k }, () => r() ** 2);
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / s);
  });
}

describe('metrics: classification', () => {
  // 3 classes; the confusion matrix, rows = true class:
  //   true 0: [5, 2, 1]  (8 rows)
  //   true 1: [1, 6, 0]  (7 rows)
  //   true 2: [0, 3, 2]  (5 rows)
  const CM = [
    [5, 2, 1],
    [1, 6, 0],
    [0, 3, 2],
  ];
  const yTrue: number[] = [];
  const yPred: number[] = [];
  CM.forEach((row, t) => row.forEach((count, p) => {
    for (let i = 0; i < count; i++) {
      yTrue.push(t);
      yPred.push(p);
    }
  }));

  it('builds the confusion matrix and accuracy', () => {
    assert.deepStrictEqual(confusionMatrix(yTrue, yPred, 3), CM);
    assert.strictEqual(accuracy(yTrue, yPred), 13 / 20);
  });

  it('per-class precision/recall/F1 and macro/micro/weighted averages match formulas on the matrix', () => {
    const r = classificationReport(yTrue, yPred, 3);
    const k = 3;
    const colSum = (c: number): number => CM.reduce((s, row) => s + row[c], 0);
    const rowSum = (c: number): number => CM[c].reduce((s, x) => s + x, 0);
    const P = [0, 1, 2].map((c) => CM[c][c] / colSum(c));
    const R = [0, 1, 2].map((c) => CM[c][c] / rowSum(c));
    const F = [0, 1, 2].map((c) => (2 * P[c] * R[c]) / (P[c] + R[c]));
    // hand-checked: P = [5/6, 6/11, 2/3], R = [5/8, 6/7, 2/5]
    close(P[0], 5 / 6);
    close(R[2], 2 / 5);
    for (let c = 0; c < k; c++) {
      close(r.perClass[c].precision, P[c], 1e-15, `precision[${c}]`);
      close(r.perClass[c].recall, R[c], 1e-15, `recall[${c}]`);
      close(r.perClass[c].f1, F[c], 1e-15, `f1[${c}]`);
      assert.strictEqual(r.perClass[c].support, rowSum(c));
    }
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    close(r.macro.precision, mean(P));
    close(r.macro.recall, mean(R));
    close(r.macro.f1, mean(F));
    const sup = [0, 1, 2].map(rowSum);
    const wmean = (v: number[]): number => v.reduce((a, x, i) => a + x * sup[i], 0) / 20;
    close(r.weighted.precision, wmean(P));
    close(r.weighted.recall, wmean(R));
    close(r.weighted.f1, wmean(F));
    // micro: pooled TP / (TP + FP) = pooled TP / (TP + FN) = accuracy for single-label data
    close(r.micro.precision, 13 / 20);
    close(r.micro.recall, 13 / 20);
    close(r.micro.f1, 13 / 20);
    // convenience accessors agree
    close(precision(yTrue, yPred, 'macro'), mean(P));
    close(recall(yTrue, yPred, 'weighted'), wmean(R));
    close(f1Score(yTrue, yPred, 'micro'), 13 / 20);
    // hand-worked macro F1: F = [0.714285…, 0.666666…, 0.5]
    close(F[0], 2 * (5 / 6) * (5 / 8) / (5 / 6 + 5 / 8));
    close(r.macro.f1, (F[0] + F[1] + F[2]) / 3);
  });

  it('zero division gives 0, and a class absent from both sides is left out of the macro average', () => {
    // class 2 exists in yTrue but is never predicted; class 3 never appears at all
    const t = [0, 0, 1, 1, 2];
    const p = [0, 1, 1, 1, 0];
    const r = classificationReport(t, p, 4);
    assert.strictEqual(r.perClass[2].precision, 0);
    assert.strictEqual(r.perClass[2].recall, 0);
    assert.strictEqual(r.perClass[2].f1, 0);
    assert.strictEqual(r.perClass[3].support, 0);
    assert.strictEqual(r.perClass[3].precision, 0);
    // macro over classes 0, 1, 2 only: P = [1/2, 2/3, 0], R = [1/2, 1, 0]
    close(r.macro.precision, (1 / 2 + 2 / 3 + 0) / 3);
    close(r.macro.recall, (1 / 2 + 1 + 0) / 3);
    // weighted ignores it naturally (support 0)
    close(r.weighted.recall, (2 * 0.5 + 2 * 1 + 0) / 5);
  });

  it('accepts probability rows (argmax) and Float32Array rows; rejects bad labels and lengths', () => {
    const rows = [new Float32Array([0.7, 0.2, 0.1]), new Float32Array([0.1, 0.3, 0.6]), new Float32Array([0.2, 0.5, 0.3])];
    assert.strictEqual(accuracy([0, 2, 0], rows), 2 / 3);
    assert.deepStrictEqual(confusionMatrix([0, 2, 0], rows, 3), [
      [1, 1, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);
    assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), RangeError);
    assert.throws(() => confusionMatrix([0, 1.5], [0, 1], 3), RangeError);
    assert.throws(() => accuracy([0, 1], [0]), RangeError);
    assert.ok(Number.isNaN(accuracy([], [])));
  });

  it('log-loss matches numpy (clipping at 1e-15, multiclass rows, binary single column)', () => {
    const n = 200;
    const y = randomLabels(n, 4, 11);
    const probs = randomProbRows(n, 4, 12);
    // exercise clipping: an exact 0 for the true class, an exact 1
    probs[0] = [0, 0.5, 0.5, 0].map((x, j) => (j === y[0] ? 0 : x));
    probs[1] = [0, 0, 0, 0];
    probs[1][y[1]] = 1;
    const ref = numpy(
      `p = np.array(D['p'], dtype=np.float64); y = np.array(D['y'])\n` +
        `q = np.clip(p[np.arange(len(y)), y], 1e-15, 1 - 1e-15)\nprint(json.dumps(float(-np.mean(np.log(q)))))`,
      { p: probs, y },
    ) as number;
    close(logLoss(y, probs), ref, 1e-12, 'multiclass log-loss');
    assert.ok(logLoss(y, probs) > Math.log(1e15) / n, 'the clipped zero costs ln(1e15)/n at least');

    const yb = randomLabels(100, 2, 21);
    const r = mulberry32(22);
    const p1 = yb.map(() => r());
    p1[3] = yb[3] === 1 ? 0 : 1; // confidently wrong
    const refB = numpy(
      `p = np.clip(np.array(D['p'], dtype=np.float64), 1e-15, 1 - 1e-15); y = np.array(D['y'])\n` +
        `print(json.dumps(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))))`,
      { p: p1, y: yb },
    ) as number;
    close(logLoss(yb, p1), refB, 1e-9, 'binary flat');
    close(logLoss(yb, p1.map((p) => [p])), refB, 1e-9, 'binary single-column rows');
    // two columns clip each column separately (1 − clip(p) ≠ clip(1 − p) near 0/1, as in sklearn)
    const two = p1.map((p) => [1 - p, p]);
    const refTwo = numpy(
      `p = np.array(D['p'], dtype=np.float64); y = np.array(D['y'])\n` +
        `q = np.clip(p[np.arange(len(y)), y], 1e-15, 1 - 1e-15)\nprint(json.dumps(float(-np.mean(np.log(q)))))`,
      { p: two, y: yb },
    ) as number;
    close(logLoss(yb, two), refTwo, 1e-12, 'binary two columns');
    close(refTwo, refB, 1e-3, 'the two conventions differ only in the clipped row');
    // Float32Array rows give the same value as their float64 copies
    const f32 = probs.map((row) => Float32Array.from(row));
    close(logLoss(y, f32), logLoss(y, f32.map((row) => Array.from(row))), 1e-15);
  });

  /** O(n²) reference: P(score₊ > score₋) + ½ P(equal). */
  function bruteAuc(y: ArrayLike<number>, s: ArrayLike<number>, positive = 1): number {
    let num = 0;
    let pairs = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] !== positive) continue;
      for (let j = 0; j < y.length; j++) {
        if (y[j] === positive) continue;
        pairs++;
        num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
    return num / pairs;
  }

  it('binary ROC-AUC equals the brute-force pairwise count, ties included', () => {
    for (const seed of [1, 2, 3]) {
      const r = mulberry32(seed);
      const n = 300;
      const y = Array.from({ length: n }, () => (r() < 0.35 ? 1 : 0));
      // scores on a coarse grid ⇒ many ties, shifted up for positives
      const s = y.map((v) => Math.round((r() + 0.3 * v) * 10) / 10);
      close(rocAucBinary(y, s), bruteAuc(y, s), 1e-12, `seed ${seed}`);
    }
    assert.strictEqual(rocAucBinary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75); // textbook example
    assert.strictEqual(rocAucBinary([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5); // all tied
    assert.ok(Number.isNaN(rocAucBinary([1, 1], [0.2, 0.3])));
  });

  it('multiclass ROC-AUC is the macro average of one-vs-rest AUCs; binary accepts 1 or 2 columns', () => {
    const n = 150;
    const y = randomLabels(n, 3, 31);
    const probs = randomProbRows(n, 3, 32).map((row, i) => row.map((p, j) => Math.round((p + (j === y[i] ? 0.3 : 0)) * 20) / 20));
    const res = rocAuc(y, probs);
    const per = [0, 1, 2].map((c) => bruteAuc(y, probs.map((row) => row[c]), c));
    per.forEach((a, c) => close(res.perClass[c], a, 1e-12, `class ${c}`));
    close(res.auc, (per[0] + per[1] + per[2]) / 3);
    assert.deepStrictEqual(res.classesUsed, [0, 1, 2]);

    const yb = [0, 1, 1, 0, 1];
    const p1 = [0.2, 0.9, 0.4, 0.4, 0.7];
    const expected = bruteAuc(yb, p1);
    close(rocAuc(yb, p1).auc, expected);
    close(rocAuc(yb, p1.map((p) => [p])).auc, expected);
    close(rocAuc(yb, p1.map((p) => [1 - p, p])).auc, expected);
  });

  it('ROC curve points: from (0,0) to (1,1), thresholds descending, trapezoid area = AUC', () => {
    const r = mulberry32(41);
    const y = Array.from({ length: 400 }, () => (r() < 0.5 ? 1 : 0));
    const s = y.map((v) => Math.round((r() + 0.4 * v) * 25) / 25);
    for (const drop of [true, false]) {
      const c = rocCurve(y, s, 1, drop);
      assert.strictEqual(c.fpr[0], 0);
      assert.strictEqual(c.tpr[0], 0);
      assert.strictEqual(c.thresholds[0], Infinity);
      assert.strictEqual(c.fpr[c.fpr.length - 1], 1);
      assert.strictEqual(c.tpr[c.tpr.length - 1], 1);
      for (let i = 1; i < c.fpr.length; i++) {
        assert.ok(c.thresholds[i] < c.thresholds[i - 1]);
        assert.ok(c.fpr[i] >= c.fpr[i - 1] && c.tpr[i] >= c.tpr[i - 1]);
      }
      close(trapezoidArea(c.fpr, c.tpr), rocAucBinary(y, s), 1e-12, `drop=${drop}`);
    }
    assert.ok(rocCurve(y, s, 1, true).fpr.length <= rocCurve(y, s, 1, false).fpr.length);
    // small hand example: scores 0.8(+) 0.4(−) 0.35(+) 0.1(−)
    assert.deepStrictEqual(rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 1, false), {
      fpr: [0, 0, 0.5, 0.5, 1],
      tpr: [0, 0.5, 0.5, 1, 1],
      thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1],
    });
  });
});

describe('metrics: regression', () => {
  it('MSE, RMSE, MAE, R² match numpy', () => {
    const r = mulberry32(51);
    const t = Array.from({ length: 500 }, () => r() * 10 - 3);
    const p = t.map((v) => v + (r() - 0.5) * 2 + 0.1);
    const ref = numpy(
      `t = np.array(D['t']); p = np.array(D['p']); e = t - p\n` +
        `print(json.dumps([float(np.mean(e**2)), float(np.sqrt(np.mean(e**2))), float(np.mean(np.abs(e))), float(1 - np.sum(e**2) / np.sum((t - t.mean())**2))]))`,
      { t, p },
    ) as number[];
    close(meanSquaredError(t, p), ref[0]);
    close(rootMeanSquaredError(t, p), ref[1]);
    close(meanAbsoluteError(t, p), ref[2]);
    close(r2Score(t, p), ref[3]);
    const rep = regressionReport(Float32Array.from(t), Float32Array.from(p));
    close(rep.r2, ref[3], 1e-5);
    assert.strictEqual(rep.rows, 500);
  });

  it('R² on constant targets is 1 for a perfect fit and 0 otherwise', () => {
    assert.strictEqual(r2Score([2, 2, 2], [2, 2, 2]), 1);
    assert.strictEqual(r2Score([2, 2, 2], [2, 3, 2]), 0);
    assert.strictEqual(r2Score([1, 2, 3], [1, 2, 3]), 1);
    close(r2Score([1, 2, 3], [2, 2, 2]), 0);
    assert.ok(Number.isNaN(meanSquaredError([], [])));
  });
});

describe('metrics: distributions', () => {
  it('t quantiles match the table (two-sided 95%)', () => {
    close(studentTQuantile(0.975, 4), 2.776, 5e-4 / 2.776);
    close(studentTQuantile(0.975, 9), 2.262, 5e-4 / 2.262);
    close(studentTQuantile(0.975, 29), 2.045, 5e-4 / 2.045);
    // more digits (R: qt(0.975, df))
    close(studentTQuantile(0.975, 1), 12.7062047361747, 1e-10);
    close(studentTQuantile(0.975, 4), 2.77644510519779, 1e-10);
    close(studentTQuantile(0.995, 2), 9.92484320091829, 1e-10);
    close(studentTQuantile(0.025, 9), -2.26215716279820, 1e-10);
    close(studentTQuantile(0.975, Infinity), 1.95996398454005, 1e-10);
    // large df: Cornish–Fisher expansion z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²)
    const z = 1.959963984540054;
    for (const df of [1e4, 1e6]) close(studentTQuantile(0.975, df), z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df), 1e-10);
    for (const df of [1, 3, 7.5, 40]) for (const p of [0.6, 0.9, 0.99]) close(studentTCdf(studentTQuantile(p, df), df), p, 1e-10);
  });

  it('normal quantile, erfc and the chi-square(1) survival', () => {
    close(normalQuantile(0.975), 1.959963984540054, 1e-12);
    close(normalQuantile(1e-10), -6.361340902404056, 1e-10);
    close(erfc(1), 0.157299207050285, 1e-13);
    close(erfc(-0.5), 1.520499877813047, 1e-13);
    close(erfc(5), 1.537459794428035e-12, 1e-10);
    close(chiSquare1Survival(3.841458820694124), 0.05, 1e-10);
    close(chiSquare1Survival(6.634896601021214), 0.01, 1e-10);
  });
});

describe('metrics: cross-validation of a trained model (evaluation-set resampling)', () => {
  const n = 103;
  // imbalanced 3 classes: ~60% / 30% / 10%
  const r = mulberry32(61);
  const yTrue = Array.from({ length: n }, () => {
    const u = r();
    return u < 0.6 ? 0 : u < 0.9 ? 1 : 2;
  });
  const probs = yTrue.map((y) => {
    const row = [r(), r(), r()];
    row[y] += 0.8;
    const s = row[0] + row[1] + row[2];
    return row.map((x) => x / s);
  });

  it('stratified folds partition the rows and keep each class within ±1 row of its share', () => {
    for (const k of [2, 5, 10]) {
      const folds = stratifiedKFold(yTrue, k, 7);
      assert.strictEqual(folds.length, k);
      const seen = new Uint8Array(n);
      for (const f of folds) for (const i of f) seen[i]++;
      assert.ok(seen.every((c) => c === 1), 'every row in exactly one fold');
      const sizes = folds.map((f) => f.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
      for (let c = 0; c < 3; c++) {
        const total = yTrue.filter((y) => y === c).length;
        for (const f of folds) {
          const inFold = Array.from(f).filter((i) => yTrue[i] === c).length;
          const expected = (f.length * total) / n; // the fold's share of the class
          assert.ok(Math.abs(inFold - expected) <= 1, `k=${k} class ${c}: ${inFold} vs ${expected.toFixed(2)}`);
          assert.ok(Math.abs(inFold - total / k) < 1, `k=${k} class ${c}: ${inFold} vs n_c/k = ${total / k}`);
        }
      }
    }
  });

  it('folds are reproducible with the same seed and differ with another', () => {
    const a = stratifiedKFold(yTrue, 5, 123);
    const b = stratifiedKFold(yTrue, 5, 123);
    const c = stratifiedKFold(yTrue, 5, 124);
    assert.deepStrictEqual(a, b);
    assert.notDeepStrictEqual(a, c);
    assert.deepStrictEqual(kFold(50, 4, 9), kFold(50, 4, 9));
    assert.notDeepStrictEqual(kFold(50, 4, 9), kFold(50, 4, 10));
    assert.throws(() => stratifiedKFold(yTrue, 1), RangeError);
    assert.throws(() => kFold(3, 4), RangeError);
  });

  it('reports per-fold metrics with mean, sample std and a t interval that match numpy', () => {
    const rep = crossValidateClassifier({ yTrue, probabilities: probs }, { k: 5, seed: 3 });
    assert.strictEqual(rep.method, 'resampled evaluation set (no retraining)');
    assert.ok(rep.stratified);
    for (const name of ['accuracy', 'precisionMacro', 'recallMacro', 'f1Macro', 'f1Micro', 'f1Weighted', 'logLoss', 'rocAuc']) {
      assert.ok(rep.metrics[name], `has ${name}`);
      assert.strictEqual(rep.metrics[name].values.length, 5);
    }
    // fold values are the metrics of the fold rows
    rep.folds.forEach((f, i) => {
      const t = Array.from(f, (j) => yTrue[j]);
      const p = Array.from(f, (j) => probs[j]);
      close(rep.metrics.accuracy.values[i], accuracy(t, p));
      close(rep.metrics.logLoss.values[i], logLoss(t, p));
      close(rep.metrics.rocAuc.values[i], rocAuc(t, p, 3).auc);
    });
    const acc = rep.metrics.accuracy;
    const ref = numpy(
      `v = np.array(D['v'])\nprint(json.dumps([float(v.mean()), float(v.std(ddof=1))]))`,
      { v: acc.values },
    ) as number[];
    close(acc.mean, ref[0]);
    close(acc.std, ref[1], 1e-10);
    close(acc.tQuantile, studentTQuantile(0.975, 4));
    close(acc.lower, ref[0] - 2.7764451051977987 * (ref[1] / Math.sqrt(5)), 1e-10);
    close(acc.upper, ref[0] + 2.7764451051977987 * (ref[1] / Math.sqrt(5)), 1e-10);
    // reproducible
    assert.deepStrictEqual(crossValidateClassifier({ yTrue, probabilities: probs }, { k: 5, seed: 3 }).metrics, rep.metrics);
  });

  it('summarize skips undefined folds; warnings for classes rarer than k; regressor CV', () => {
    const s = summarize([0.5, NaN, 0.7]);
    assert.strictEqual(s.n, 2);
    close(s.mean, 0.6);
    close(s.std, Math.sqrt(0.02));
    close(s.tQuantile, 12.7062047361747, 1e-10);
    assert.ok(Number.isNaN(summarize([1]).std));
    const y = [0, 0, 0, 0, 0, 0, 1, 1];
    const rep = crossValidateClassifier({ yTrue: y, yPred: [0, 0, 1, 0, 0, 0, 1, 0] }, { k: 4 });
    assert.strictEqual(rep.warnings.length, 1);
    assert.match(rep.warnings[0], /class 1 has only 2 row/);
    const t = Array.from({ length: 60 }, (_, i) => i / 10);
    const reg = crossValidateRegressor({ yTrue: t, yPred: t.map((v, i) => v + (i % 3) - 1) }, { k: 3 });
    assert.ok(!reg.stratified);
    close(reg.metrics.mae.mean, 40 / 60, 1e-9); // |error| = 1 on 2 of every 3 rows
    const custom = crossValidate(10, (idx) => ({ size: idx.length }), { k: 3 });
    assert.deepStrictEqual(custom.metrics.size.values.sort(), [3, 3, 4]);
  });
});

describe('metrics: A/B comparison on the same rows', () => {
  it('McNemar: textbook values (exact for b + c < 25, chi-square with continuity correction otherwise)', () => {
    const ex = mcnemarFromCounts(10, 2);
    assert.strictEqual(ex.method, 'exact binomial');
    close(ex.pValue, (2 * (1 + 12 + 66)) / 4096, 1e-12); // 2·P(X ≤ 2), X ~ Bin(12, ½) = 0.03857
    close(ex.pValue, 0.0386, 1e-3 / 0.0386);
    const cs = mcnemarFromCounts(30, 12);
    assert.strictEqual(cs.method, 'chi-square with continuity correction');
    close(cs.statistic, 289 / 42, 1e-12); // (|30 − 12| − 1)² / 42 = 6.881
    close(cs.pValue, 0.0087, 1e-4 / 0.0087);
    close(cs.pValue, 0.008711912962379, 1e-9);
    assert.strictEqual(mcnemarFromCounts(0, 0).pValue, 1);
    assert.strictEqual(mcnemarFromCounts(7, 7).pValue, 1);
    assert.strictEqual(mcnemarFromCounts(12, 12).method, 'exact binomial'); // 24 < 25
    assert.strictEqual(mcnemarFromCounts(13, 12).method, 'chi-square with continuity correction');
    close(mcnemarFromCounts(20, 13).statistic, 36 / 33);
    assert.strictEqual(mcnemarFromCounts(20, 13).pValue, chiSquare1Survival(36 / 33));
    // the correction never overshoots: |b − c| ≤ 1 gives χ² = 0, p = 1
    assert.strictEqual(mcnemarFromCounts(13, 13).pValue, 1);
    assert.strictEqual(mcnemarFromCounts(13, 12).pValue, 1);
  });

  it('McNemar from predictions counts the discordant rows and gives a verdict', () => {
    const y = [0, 1, 1, 0, 1, 0, 1, 1];
    const a = [0, 1, 0, 1, 0, 0, 0, 1]; // right on 0,1,5,7
    const b = [0, 0, 1, 0, 1, 0, 1, 1]; // right on 0,2,3,4,5,6,7
    const m = mcnemar(y, a, b);
    assert.strictEqual(m.b, 1); // row 1
    assert.strictEqual(m.c, 4); // rows 2,3,4,6
    assert.strictEqual(m.accuracyA, 4 / 8);
    assert.strictEqual(m.accuracyB, 7 / 8);
    close(m.pValue, (2 * (1 + 5)) / 32); // 0.375
    assert.strictEqual(mcnemarVerdict(m).verdict, 'no significant difference');
    assert.strictEqual(mcnemarVerdict(mcnemarFromCounts(2, 10)).verdict, 'B better');
    assert.strictEqual(mcnemarVerdict(mcnemarFromCounts(10, 2)).verdict, 'B worse');
    assert.strictEqual(mcnemarVerdict(mcnemarFromCounts(10, 2), { alpha: 0.01 }).text, 'no significant difference from the baseline at α = 0.01');
  });

  /** 500 rows; A right on ~60%, B right on ~90%, independent. */
  function twoModels(seed: number): { y: number[]; a: number[]; b: number[] } {
    const r = mulberry32(seed);
    const y = Array.from({ length: 500 }, () => Math.floor(r() * 3));
    const wrong = (v: number): number => (v + 1 + Math.floor(r() * 2)) % 3;
    const a = y.map((v) => (r() < 0.6 ? v : wrong(v)));
    const b = y.map((v) => (r() < 0.9 ? v : wrong(v)));
    return { y, a, b };
  }

  it('paired bootstrap is reproducible with a seed and its interval contains the observed difference', () => {
    const { y, a, b } = twoModels(71);
    const r1 = pairedBootstrapAccuracy(y, a, b, { seed: 5 });
    const r2 = pairedBootstrapAccuracy(y, a, b, { seed: 5 });
    const r3 = pairedBootstrapAccuracy(y, a, b, { seed: 6 });
    assert.deepStrictEqual(r1, r2);
    assert.notDeepStrictEqual(r1.samples, r3.samples);
    close(r1.observed, accuracy(y, b) - accuracy(y, a));
    assert.ok(r1.lower <= r1.observed && r1.observed <= r1.upper, `${r1.lower} ≤ ${r1.observed} ≤ ${r1.upper}`);
    assert.strictEqual(r1.rounds, 1000);
    assert.strictEqual(r1.samples.length, 1000);
    // the bootstrap SE of a paired difference of proportions ≈ √(var(d)/n)
    const d = y.map((v, i) => (b[i] === v ? 1 : 0) - (a[i] === v ? 1 : 0));
    const md = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - md) ** 2, 0) / d.length / d.length);
    assert.ok(Math.abs(r1.standardError - sd) / sd < 0.15, `SE ${r1.standardError} vs ${sd}`);
  });

  it('the fast accuracy path and the generic metric path draw the same resamples', () => {
    const { y, a, b } = twoModels(72);
    const fast = pairedBootstrapAccuracy(y, a, b, { seed: 9, rounds: 200 });
    const viaMetric = pairedBootstrapMetric(accuracy, y, a, b, { seed: 9, rounds: 200 });
    const correct = (p: number[]) => (idx: ArrayLike<number>): number => {
      let s = 0;
      for (let i = 0; i < idx.length; i++) if (p[idx[i]] === y[idx[i]]) s++;
      return s / idx.length;
    };
    const viaRows = pairedBootstrap(y.length, correct(a), correct(b), { seed: 9, rounds: 200 });
    for (let i = 0; i < 200; i++) {
      close(viaMetric.samples[i], fast.samples[i], 1e-12);
      close(viaRows.samples[i], fast.samples[i], 1e-12);
    }
    close(viaMetric.pValue, fast.pValue);
    const mean = pairedBootstrapMean(Float64Array.from(y, (v, i) => (b[i] === v ? 1 : 0) - (a[i] === v ? 1 : 0)), { seed: 9, rounds: 200 });
    assert.deepStrictEqual(mean.samples, fast.samples);
  });

  it('verdicts: clearly better model, clearly worse, identical predictions, a loss metric', () => {
    const { y, a, b } = twoModels(73);
    const better = pairedBootstrapAccuracy(y, a, b);
    assert.strictEqual(bootstrapVerdict(better).verdict, 'B better');
    assert.strictEqual(bootstrapVerdict(better).text, 'better than the baseline at α = 0.05');
    assert.ok(better.lower > 0.2 && better.pValue === 0);
    assert.strictEqual(bootstrapVerdict(pairedBootstrapAccuracy(y, b, a)).verdict, 'B worse');
    const same = pairedBootstrapAccuracy(y, a, a.slice());
    assert.strictEqual(same.pValue, 1);
    assert.strictEqual(same.lower, 0);
    assert.strictEqual(same.upper, 0);
    const v = bootstrapVerdict(same);
    assert.strictEqual(v.verdict, 'no significant difference');
    assert.strictEqual(v.text, 'no significant difference from the baseline at α = 0.05');
    // log-loss: lower is better
    const toProbs = (p: number[], conf: number): number[][] => p.map((c) => [0, 1, 2].map((j) => (j === c ? conf : (1 - conf) / 2)));
    const ll = pairedBootstrapMetric(logLoss, y, toProbs(a, 0.7), toProbs(b, 0.7), { rounds: 300 });
    assert.ok(ll.observed < 0);
    assert.strictEqual(bootstrapVerdict(ll, { higherIsBetter: false }).verdict, 'B better');
    assert.strictEqual(bootstrapVerdict(ll).verdict, 'B worse');
  });

  it('a small real difference is not significant at α = 0.05 on few rows', () => {
    const r = mulberry32(74);
    const y = Array.from({ length: 60 }, () => (r() < 0.5 ? 1 : 0));
    const a = y.map((v) => (r() < 0.8 ? v : 1 - v));
    const b = a.map((v, i) => (i === 0 || i === 1 ? y[i] : v)); // B fixes at most 2 rows
    const res = pairedBootstrapAccuracy(y, a, b);
    assert.ok(res.observed <= 2 / 60);
    assert.strictEqual(bootstrapVerdict(res).verdict, 'no significant difference');
    assert.ok(res.lower <= 0);
  });
});

describe('metrics: ROC-AUC sorted once per class (rocAucFolds) = rocAuc per fold, exactly', () => {
  /** the rank formula with a comparator sort: (Σ midranks of positives − n₊(n₊+1)/2) / (n₊ n₋) */
  const rankAuc = (y: ArrayLike<number>, s: ArrayLike<number>, positive: number): number => {
    const n = y.length;
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[a] - s[b] || a - b);
    let nPos = 0;
    let rs = 0;
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && s[idx[j + 1]] === s[idx[i]]) j++;
      for (let t = i; t <= j; t++) {
        if (y[idx[t]] === positive) {
          nPos++;
          rs += (i + j) / 2 + 1;
        }
      }
      i = j + 1;
    }
    const nNeg = n - nPos;
    return nPos === 0 || nNeg === 0 ? NaN : (rs - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
  };
  const data = (seed: number, n: number, k: number, levels: number): { y: Int32Array; rows: Float64Array[] } => {
    const rnd = mulberry32(seed);
    const y = new Int32Array(n);
    const rows: Float64Array[] = [];
    for (let i = 0; i < n; i++) {
      y[i] = Math.floor(rnd() * k);
      // few levels ⇒ many ties; -0 and 0 both appear
      rows.push(Float64Array.from({ length: k }, () => (levels ? Math.floor(rnd() * levels) / levels : rnd()) * (rnd() < 0.05 ? -0 : 1)));
    }
    return { y, rows };
  };

  it('sortFloat64 and argsortFloat64 (radix) give the bytes of the native sort: -0, infinities, subnormals, negatives, ties', () => {
    const rnd = mulberry32(3);
    const special = [0, -0, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 0.5, 2.2250738585072014e-308];
    for (const n of [0, 1, 511, 512, 513, 2000, 30000]) {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const u = rnd();
        a[i] = u < 0.2 ? special[Math.floor(rnd() * special.length)] : u < 0.4 ? Math.floor(rnd() * 5) - 2 : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
      }
      const want = a.slice().sort();
      const got = sortFloat64(a.slice());
      assert.ok(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `n ${n}`);
      // argsortFloat64: a permutation that gives the same bytes, stable among equal bit patterns
      const order = argsortFloat64(a);
      assert.strictEqual(new Set(order).size, n);
      const viaOrder = Float64Array.from(order, (i) => a[i]);
      assert.ok(Buffer.from(viaOrder.buffer).equals(Buffer.from(want.buffer)), `argsort n ${n}`);
      for (let i = 1; i < n; i++) if (Object.is(a[order[i]], a[order[i - 1]])) assert.ok(order[i] > order[i - 1], `stable at ${i}`);
      // probabilities in [0, 1] (the usual input), as a view into a larger buffer
      const big = new Float64Array(n + 3);
      for (let i = 0; i < n + 3; i++) big[i] = rnd();
      const view = big.subarray(2, 2 + n);
      const edges = [big[0], big[1], big[n + 2]];
      const want2 = view.slice().sort();
      sortFloat64(view);
      assert.ok(Buffer.from(view.slice().buffer).equals(Buffer.from(want2.buffer)), `view n ${n}`);
      assert.deepStrictEqual([big[0], big[1], big[n + 2]], edges, 'values outside the view are untouched');
    }
  });

  it('rocAucBinary equals the rank formula bit for bit (ties, -0, infinities)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const { y, rows } = data(seed, 50 + seed * 7, 2, seed % 3 === 0 ? 0 : 1 + (seed % 5));
      const s = rows.map((r) => (seed % 7 === 0 && r[0] > 0.9 ? Infinity : r[1]));
      assert.ok(Object.is(rocAucBinary(y, s), rankAuc(y, s, 1)), `seed ${seed}`);
      assert.ok(Object.is(rocAucBinary(y, s, 0), rankAuc(y, s, 0)), `seed ${seed}`);
    }
    assert.throws(() => rocAucBinary([0, 1], [0.5, NaN]), /NaN score/);
  });

  it('per fold and over all rows: the same values as rocAuc on the gathered fold and on all rows', () => {
    for (const [k, levels] of [[2, 3], [2, 0], [3, 4], [5, 0], [10, 7]] as const) {
      for (let seed = 1; seed <= 4; seed++) {
        const { y, rows } = data(seed * 31 + k, 300 + 40 * seed, k, levels);
        const folds = stratifiedKFold(y, 5, seed);
        const res = rocAucFolds(y, rows, k, folds);
        assert.ok(Object.is(res.full.auc, rocAuc(y, rows, k).auc), `k ${k} seed ${seed}`);
        assert.deepStrictEqual(res.full, rocAuc(y, rows, k));
        folds.forEach((f, i) => {
          const t = Array.from(f, (j) => y[j]);
          const p = Array.from(f, (j) => rows[j]);
          assert.ok(Object.is(res.perFold[i], rocAuc(t, p, k).auc), `k ${k} seed ${seed} fold ${i}`);
        });
        const cv = crossValidateClassifier({ yTrue: y, probabilities: rows, numClasses: k }, { k: 5, seed });
        assert.ok(Object.is(cv.full?.rocAuc, rocAuc(y, rows, k).auc));
        assert.deepStrictEqual(cv.metrics.rocAuc.values, res.perFold);
      }
    }
    // a single P(class 1) column
    const { y, rows } = data(77, 200, 2, 5);
    const one = rows.map((r) => [r[1]]);
    const folds = stratifiedKFold(y, 4, 3);
    const res = rocAucFolds(y, one, 2, folds);
    assert.deepStrictEqual(res.full, rocAuc(y, one, 2));
    folds.forEach((f, i) => assert.ok(Object.is(res.perFold[i], rocAuc(Array.from(f, (j) => y[j]), Array.from(f, (j) => one[j]), 2).auc)));
  });

  it('a class absent from a fold gives NaN there and is left out of the macro average; NaN scores throw as rocAuc does', () => {
    const y = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 0, 1]);
    const rows = Array.from(y, (c, i) => Float64Array.from([0.1 * i, c === 1 ? 0.9 : 0.05, 0.3]));
    const folds = [Uint32Array.from([0, 1, 2, 3, 4, 5]), Uint32Array.from([6, 7, 8, 9])];
    const res = rocAucFolds(y, rows, 3, folds);
    assert.ok(Object.is(res.perFold[1], rocAuc([0, 1, 0, 1], [rows[6], rows[7], rows[8], rows[9]], 3).auc));
    assert.deepStrictEqual(res.full, rocAuc(y, rows, 3));
    rows[4][2] = NaN;
    assert.throws(() => rocAucFolds(y, rows, 3, folds), /NaN score/);
    assert.throws(() => rocAuc(y, rows, 3), /NaN score/);
    assert.throws(() => rocAucFolds(y, rows, 3, [folds[0]]), /folds hold 6 rows, not 10/);
  });
});
