/**
 * Three or more models (issue #14, points 3 and 5): Cochran's Q first, then McNemar on every pair with
 * Holm's correction, and "too small to confirm" (rows needed for power 0.8). Every number is checked
 * against Debian's python3-statsmodels (cochrans_q, mcnemar, multipletests 'holm') and scipy
 * (norm.ppf in Connor's published sample-size formula, and a simulation of McNemar's power at that size).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareModels, type ModelEvaluation } from '../../src/core/eval/evaluate';
import { multipleLines, renderComparisonMarkdown, renderComparisonText, tooSmallLine } from '../../src/core/eval/report';
import { cochransQ, holm, mcnemarRowsNeeded, rowsNeededFromSe } from '../../src/core/metrics/multiple';
import { mulberry32 } from '../../src/core/metrics/rng';

const PYTHON = '/usr/bin/python3';

function python(script: string, input: unknown): unknown {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multiple-ref-'));
  try {
    const file = path.join(dir, 'in.json');
    fs.writeFileSync(file, JSON.stringify(input));
    return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const REF = String.raw`
import json, sys, warnings, numpy as np
warnings.simplefilter('ignore')
from statsmodels.stats.contingency_tables import cochrans_q, mcnemar
from statsmodels.stats.multitest import multipletests
from scipy.stats import norm
d = json.load(open(sys.argv[1]))
out = {'q': [], 'holm': [], 'mcnemar': [], 'connor': [], 'se': []}
for m in d['matrices']:
    r = cochrans_q(np.array(m, dtype=int).T)
    out['q'].append([float(r.statistic), float(r.pvalue), int(r.df)])
for ps in d['pvalues']:
    out['holm'].append(multipletests(ps, method='holm')[1].tolist())
for b, c in d['bc']:
    r = mcnemar([[0, b], [c, 0]], exact=(b + c) < 25, correction=True)
    out['mcnemar'].append(float(r.pvalue))
for b, c, n, a, pw in d['connor']:
    psi, delta = (b + c) / n, (c - b) / n
    out['connor'].append(float(np.ceil((norm.ppf(1 - a / 2) * np.sqrt(psi) + norm.ppf(pw) * np.sqrt(psi - delta ** 2)) ** 2 / delta ** 2)))
for delta, se, n, a, pw in d['se']:
    out['se'].append(float(np.ceil(n * ((norm.ppf(1 - a / 2) + norm.ppf(pw)) * se / abs(delta)) ** 2)))
# power of McNemar (chi-square with continuity correction) at Connor's n, by simulation
rng = np.random.default_rng(5)
p10, p01 = 0.10, 0.14
n = int(np.ceil((norm.ppf(0.975) * np.sqrt(p10 + p01) + norm.ppf(0.8) * np.sqrt(p10 + p01 - (p01 - p10) ** 2)) ** 2 / (p01 - p10) ** 2))
hits = 0
for _ in range(2000):
    k = rng.multinomial(n, [p10, p01, 1 - p10 - p01])
    if mcnemar([[0, k[0]], [k[1], 0]], exact=False, correction=True).pvalue < 0.05: hits += 1
out['power'] = [n, hits / 2000]
json.dump(out, sys.stdout)
`;

/** A fake evaluation of a classifier: its per-row predictions and the metrics compareModels reads. */
function evaluation(label: string, yTrue: Int32Array, yPred: Int32Array): ModelEvaluation {
  let right = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) right++;
  const probabilities = Array.from(yPred, (c) => Float64Array.from([c === 0 ? 0.9 : 0.1, c === 1 ? 0.9 : 0.1]));
  return {
    label,
    file: `${label}.onnx`,
    modelHash: label,
    task: 'binary',
    provider: 'cpu',
    engine: 'onnxruntime',
    rows: yTrue.length,
    outputName: 'y',
    dataset: { file: 'd.csv', sha256: 'same', rows: yTrue.length, label: 'y', features: ['x'] },
    sessionMs: 0,
    runMs: 0,
    notes: [],
    interpretation: 'two columns',
    classNames: ['0', '1'],
    metrics: { accuracy: right / yTrue.length },
    cv: {},
    cvFolds: 0,
    predictions: { yTrue, yPred, probabilities },
  } as unknown as ModelEvaluation;
}

/** Predictions right with probability `acc` each, independently (seeded). */
function predictor(yTrue: Int32Array, acc: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from(yTrue, (y) => (r() < acc ? y : 1 - y));
}

describe("comparing three or more models: Cochran's Q, Holm, rows needed (against statsmodels / scipy)", function () {
  this.timeout(120_000);

  it('cochransQ, holm, McNemar pairs and the rows-needed formulas agree with statsmodels and scipy', () => {
    const r = mulberry32(3);
    const matrices: number[][][] = [];
    for (const [m, n, p] of [[3, 200, 0.7], [4, 57, 0.5], [5, 1000, 0.85], [3, 30, 0.95]] as const) {
      matrices.push(Array.from({ length: m }, (_, j) => Array.from({ length: n }, () => (r() < p - j * 0.03 ? 1 : 0))));
    }
    const pvalues = [[0.01, 0.04, 0.03, 0.2], [0.5, 0.5, 1, 0.001, 0.049], [0.0001], [0.02, 0.02, 0.02]];
    const bc = [[3, 9], [40, 62], [0, 0], [12, 13], [100, 140]];
    const connor = [[10, 25, 300, 0.05, 0.8], [40, 62, 1000, 0.05, 0.8], [5, 6, 200, 0.0167, 0.8], [30, 10, 500, 0.05, 0.9]];
    const se = [[0.01, 0.012, 400, 0.05, 0.8], [-0.03, 0.02, 1000, 0.025, 0.8]];
    const ref = python(REF, { matrices, pvalues, bc, connor, se }) as { q: [number, number, number][]; holm: number[][]; mcnemar: number[]; connor: number[]; se: number[]; power: [number, number] };
    matrices.forEach((m, i) => {
      const q = cochransQ(m);
      assert.ok(Math.abs(q.statistic - ref.q[i][0]) < 1e-9 * Math.max(1, ref.q[i][0]), `Q ${q.statistic} vs ${ref.q[i][0]}`);
      assert.ok(Math.abs(q.pValue - ref.q[i][1]) < 1e-9, `p ${q.pValue} vs ${ref.q[i][1]}`);
      assert.strictEqual(q.df, ref.q[i][2]);
    });
    pvalues.forEach((ps, i) => holm(ps).forEach((v, j) => assert.ok(Math.abs(v - ref.holm[i][j]) < 1e-12, `holm ${ps}: ${holm(ps)} vs ${ref.holm[i]}`)));
    connor.forEach(([b, c, n, a, pw], i) => assert.strictEqual(mcnemarRowsNeeded(b, c, n, a, pw), ref.connor[i], `connor ${connor[i]}`));
    se.forEach(([d, s, n, a, pw], i) => assert.strictEqual(rowsNeededFromSe(d, s, n, a, pw), ref.se[i], `se ${se[i]}`));
    // the formula's n gives McNemar about 80 % power (simulated with statsmodels' test)
    assert.ok(ref.power[1] > 0.76 && ref.power[1] < 0.86, `simulated power ${ref.power[1]} at n = ${ref.power[0]}`);
    assert.strictEqual(mcnemarRowsNeeded(7, 7, 100), Infinity);
    // no row separates the models: Q = 0, p = 1 (statsmodels gives nan there)
    assert.deepStrictEqual([cochransQ([[1, 0, 1], [1, 0, 1], [1, 0, 1]]).statistic, cochransQ([[1, 0, 1], [1, 0, 1], [1, 0, 1]]).pValue], [0, 1]);
    assert.throws(() => cochransQ([[1, 0], [1]]), /same 2 rows/);
  });

  it('compareModels: Q first, every pair Holm-adjusted as statsmodels does; the verdicts follow the adjusted p', () => {
    const r = mulberry32(9);
    const yTrue = Int32Array.from({ length: 600 }, () => (r() < 0.5 ? 1 : 0));
    const evs = [evaluation('v1', yTrue, predictor(yTrue, 0.7, 1)), evaluation('v2', yTrue, predictor(yTrue, 0.72, 2)), evaluation('v3', yTrue, predictor(yTrue, 0.8, 3))];
    const rep = compareModels(evs, { bootstrapRounds: 200, seed: 1 });
    const correct = evs.map((e) => Array.from(e.predictions.yPred, (p, i) => (p === yTrue[i] ? 1 : 0)));
    const bc: number[][] = [];
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) bc.push([correct[i].filter((v, k) => v === 1 && correct[j][k] === 0).length, correct[i].filter((v, k) => v === 0 && correct[j][k] === 1).length]);
    const ref = python(REF, { matrices: [correct], pvalues: [], bc, connor: [], se: [] }) as { q: [number, number, number][]; mcnemar: number[] };
    const holmRef = (python(REF, { matrices: [], pvalues: [ref.mcnemar], bc: [], connor: [], se: [] }) as { holm: number[][] }).holm[0];
    const m = rep.multiple!;
    assert.ok(Math.abs(m.cochranQ.pValue - ref.q[0][1]) < 1e-9, `${m.cochranQ.pValue} vs ${ref.q[0][1]}`);
    assert.deepStrictEqual(m.pairs.map((p) => [p.a, p.b]), [['v1', 'v2'], ['v1', 'v3'], ['v2', 'v3']]);
    m.pairs.forEach((p, k) => {
      assert.deepStrictEqual([p.aRightBWrong, p.aWrongBRight], bc[k]);
      assert.ok(Math.abs(p.pValue - ref.mcnemar[k]) < 1e-9, `mcnemar ${k}: ${p.pValue} vs ${ref.mcnemar[k]}`);
      assert.ok(Math.abs(p.pHolm - holmRef[k]) < 1e-9, `holm ${k}: ${p.pHolm} vs ${holmRef[k]}`);
      assert.strictEqual(p.differs, m.cochranQ.pValue < 0.05 && holmRef[k] < 0.05);
    });
    // this data: Q significant, v3 beats v1 after Holm, v2 does not
    assert.ok(m.cochranQ.pValue < 0.05);
    assert.strictEqual(rep.pairs[1].verdict, 'B better');
    assert.strictEqual(rep.pairs[0].verdict, 'no significant difference');
    assert.strictEqual(rep.pairs[0].mcnemar!.pHolm, m.pairs[0].pHolm);
    // v1 → v2 is too small to confirm on 600 rows: the rows needed at α / 3 (the family of three pairs)
    const [b, c] = bc[0];
    assert.strictEqual(rep.pairs[0].mcnemar!.rowsNeeded, mcnemarRowsNeeded(b, c, 600, 0.05 / 3));
    assert.ok(rep.pairs[0].mcnemar!.rowsNeeded! > 600);
    assert.match(tooSmallLine(rep, rep.pairs[0])!, /^accuracy \(McNemar\): too small to confirm — about [\d,]+ rows \(this data has 600\) would detect a difference of this size with power 0\.8 at α = 0\.0167 \(0\.05 shared by 3 tests\)$/);
    const text = renderComparisonText(rep);
    assert.match(text, /Cochran's Q over 3 models: Q = [\d.]+, df 2, p [<=] [\d.]+ → their accuracies differ/);
    assert.match(text, /v1 vs v3: \d+ \/ \d+ rows only one gets right, .*Holm-adjusted p [<=] [\d.]+ → differ/);
    assert.match(text, /too small to confirm/);
    assert.match(renderComparisonMarkdown(rep), /Cochran's Q over 3 models/);
    assert.strictEqual(multipleLines(rep)!.pairs.length, 3);
    // bootstrap p-values of the main metric are Holm-adjusted over the two candidates
    assert.ok(rep.pairs.every((p) => p.metrics.every((x) => x.pHolm !== undefined && x.pHolm >= x.pValue)));
  });

  it('Q not significant: no pair is called different, whatever its own p; two models: no Q, no Holm', () => {
    const r = mulberry32(21);
    const yTrue = Int32Array.from({ length: 80 }, () => (r() < 0.5 ? 1 : 0));
    const evs = [evaluation('a', yTrue, predictor(yTrue, 0.75, 4)), evaluation('b', yTrue, predictor(yTrue, 0.76, 5)), evaluation('c', yTrue, predictor(yTrue, 0.74, 6))];
    const rep = compareModels(evs, { bootstrapRounds: 200, seed: 1 });
    assert.ok(rep.multiple!.cochranQ.pValue >= 0.05, String(rep.multiple!.cochranQ.pValue));
    assert.ok(rep.multiple!.pairs.every((p) => !p.differs));
    assert.ok(rep.pairs.every((p) => p.mcnemar!.verdict === 'no significant difference'));
    assert.match(multipleLines(rep)!.summary, /no significant difference among them at α = 0.05, so no pair is called different/);
    const two = compareModels(evs.slice(0, 2), { bootstrapRounds: 200, seed: 1 });
    assert.strictEqual(two.multiple, undefined);
    assert.strictEqual(two.pairs[0].mcnemar!.pHolm, undefined);
    assert.strictEqual(two.pairs[0].metrics[0].pHolm, undefined);
    // the same model twice: nothing to confirm
    const same = compareModels([evs[0], evaluation('a2', yTrue, evs[0].predictions.yPred as Int32Array)], { bootstrapRounds: 200, seed: 1 });
    assert.strictEqual(same.pairs[0].mcnemar!.rowsNeeded, null);
    assert.match(tooSmallLine(same, same.pairs[0])!, /^no difference to confirm/);
  });
});
