/**
 * Where versions differ (issue #14, point 6): the comparison per true class and per value of a column,
 * McNemar per slice with Holm's correction over the table — checked against numpy and statsmodels
 * (mcnemar, multipletests 'holm'); and `modelver compare --by-class --slice COL` on real ONNX models.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import type { ModelEvaluation } from '../../src/core/eval/evaluate';
import { compareSlices, renderSlices } from '../../src/core/eval/slices';
import { mulberry32 } from '../../src/core/metrics/rng';
import { linearModel } from '../support/onnxModels';
import { compareModels } from '../../src/core/eval/evaluate';
import { parseCsvRecords } from '../../src/core/eval/datasetTable';
import { compareResult, renderDisagreementsCsv, toCompareViewModel, DISAGREEMENTS_SHOWN } from '../../src/extension/evaluate/viewModel';

const PYTHON = '/usr/bin/python3';

function evaluation(label: string, yTrue: Int32Array, yPred: Int32Array, classNames: string[]): ModelEvaluation {
  return { label, task: 'multiclass', rows: yTrue.length, classNames, metrics: {}, predictions: { yTrue, yPred } } as unknown as ModelEvaluation;
}

describe('comparison by slice: per class and per column, Holm-adjusted (against statsmodels)', function () {
  this.timeout(120_000);

  it('per class: each model accuracy on the class rows, McNemar per class, Holm over the table', () => {
    const r = mulberry32(4);
    const n = 900;
    const yTrue = Int32Array.from({ length: n }, () => Math.floor(r() * 3));
    // v2 is better than v1 on class 2 only; v3 like v1
    const pred = (acc: number[], seed: number) => {
      const q = mulberry32(seed);
      return Int32Array.from(yTrue, (y) => (q() < acc[y] ? y : (y + 1) % 3));
    };
    const evs = [evaluation('v1', yTrue, pred([0.8, 0.8, 0.6], 1), ['a', 'b', 'c']), evaluation('v2', yTrue, pred([0.8, 0.8, 0.85], 2), ['a', 'b', 'c']), evaluation('v3', yTrue, pred([0.8, 0.8, 0.6], 3), ['a', 'b', 'c'])];
    const s = compareSlices(evs);
    assert.deepStrictEqual(s.slices.map((x) => x.value).sort(), ['a', 'b', 'c']);
    const ref = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          `
import json, sys, warnings, numpy as np
warnings.simplefilter('ignore')
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
d = json.loads(sys.stdin.read())
y = np.array(d['y']); P = [np.array(p) for p in d['p']]
out = {}; ps = []; keys = []
for c in d['order']:
    m = y == c
    out[str(c)] = {'rows': int(m.sum()), 'acc': [float(np.mean(p[m] == y[m])) for p in P]}
    for j in (1, 2):
        a = P[0][m] == y[m]; b = P[j][m] == y[m]
        b10 = int(np.sum(a & ~b)); c01 = int(np.sum(~a & b))
        ps.append(float(mcnemar([[0, b10], [c01, 0]], exact=(b10 + c01) < 25, correction=True).pvalue)); keys.append((str(c), j))
adj = multipletests(ps, method='holm')[1]
for (c, j), p, q in zip(keys, ps, adj): out[c].setdefault('p', {})[j] = [p, float(q)]
print(json.dumps(out))
`,
        ],
        { input: JSON.stringify({ y: Array.from(yTrue), p: evs.map((e) => Array.from(e.predictions.yPred)), order: s.slices.map((x) => ['a', 'b', 'c'].indexOf(x.value)) }), encoding: 'utf8' },
      ),
    ) as Record<string, { rows: number; acc: number[]; p: Record<string, [number, number]> }>;
    for (const sl of s.slices) {
      const c = ref[String(['a', 'b', 'c'].indexOf(sl.value))];
      assert.strictEqual(sl.rows, c.rows);
      sl.metric.forEach((m, i) => assert.ok(Math.abs(m - c.acc[i]) < 1e-12, `${sl.value} model ${i}: ${m} vs ${c.acc[i]}`));
      sl.pairs.forEach((p, j) => {
        assert.ok(Math.abs(p.pValue - c.p[String(j + 1)][0]) < 1e-9, `${sl.value} ${p.candidate}: p ${p.pValue} vs ${c.p[String(j + 1)][0]}`);
        assert.ok(Math.abs(p.pHolm - c.p[String(j + 1)][1]) < 1e-9, `${sl.value} ${p.candidate}: Holm ${p.pHolm} vs ${c.p[String(j + 1)][1]}`);
      });
    }
    const cRow = s.slices.find((x) => x.value === 'c')!;
    assert.strictEqual(cRow.pairs[0].verdict, 'B better', 'v2 is better on class c');
    assert.strictEqual(s.slices.find((x) => x.value === 'a')!.pairs[0].verdict, 'no significant difference');
    const text = renderSlices(s, ['v1', 'v2', 'v3']).join('\n');
    assert.match(text, /^By true class \(accuracy; each candidate against the baseline, McNemar per slice, Holm-adjusted over the table\)/);
    assert.match(text, /\nc\s+\d+\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+< 0\.001 better\s+/);
  });

  it('the Compare panel: the per-class table, and the rows the models disagree on with their features (CSV export of all)', () => {
    const r = mulberry32(12);
    const n = 700;
    const yTrue = Int32Array.from({ length: n }, () => Math.floor(r() * 2));
    const q1 = mulberry32(1);
    const q2 = mulberry32(2);
    const mk = (label: string, yPred: Int32Array) => {
      const e = evaluation(label, yTrue, yPred, ['no', 'yes']);
      (e as unknown as { task: string }).task = 'binary';
      (e as unknown as { metrics: Record<string, number> }).metrics = { accuracy: Array.from(yPred).filter((p, i) => p === yTrue[i]).length / n };
      (e as unknown as { dataset: object }).dataset = { file: 'd.csv', sha256: 's', rows: n, label: 'bought', features: ['a', 'b'] };
      (e as unknown as { cv: object }).cv = {};
      (e as unknown as { predictions: { probabilities: Float64Array[] } }).predictions.probabilities = Array.from(yPred, (c) => Float64Array.of(1 - c, c));
      return e;
    };
    const evs = [mk('v1', Int32Array.from(yTrue, (y) => (q1() < 0.7 ? y : 1 - y))), mk('v2', Int32Array.from(yTrue, (y) => (q2() < 0.8 ? y : 1 - y)))];
    const features = Float32Array.from({ length: n * 2 }, (_, i) => i / 4);
    const res = compareResult(compareModels(evs, { bootstrapRounds: 50, seed: 1 }), evs, 'Local', [], { features, featureCount: 2, featureNames: ['a', 'b'], rowCount: n });
    const expected = Array.from(yTrue).map((y, i) => i).filter((i) => (evs[0].predictions.yPred[i] === yTrue[i]) !== (evs[1].predictions.yPred[i] === yTrue[i]));
    assert.strictEqual(res.disagreements!.total, expected.length);
    assert.deepStrictEqual(res.disagreements!.rows.map((x) => x.row), expected.map((i) => i + 1));
    const vm = toCompareViewModel(res, 't');
    assert.strictEqual(vm.disagreements!.shown, Math.min(expected.length, DISAGREEMENTS_SHOWN));
    assert.deepStrictEqual(vm.disagreements!.head, ['row', 'bought', 'a', 'b', 'v1', 'v2']);
    const i0 = expected[0];
    assert.deepStrictEqual(vm.disagreements!.rows[0], [String(i0 + 1), yTrue[i0] ? 'yes' : 'no', String(features[2 * i0]), String(features[2 * i0 + 1]), evs[0].predictions.yPred[i0] ? 'yes' : 'no', evs[1].predictions.yPred[i0] ? 'yes' : 'no']);
    assert.deepStrictEqual(vm.byClass!.head, ['true class', 'rows', 'v1', 'v2', 'p (Holm) v2']);
    assert.deepStrictEqual(vm.byClass!.rows.map((x) => x[0]).sort(), ['no', 'yes']);
    // the export: every disagreement, read back by an RFC 4180 reader
    const back = parseCsvRecords(renderDisagreementsCsv(res)).records;
    assert.deepStrictEqual(back[0], ['row', 'bought', 'a', 'b', 'v1 prediction', 'v1 right', 'v2 prediction', 'v2 right']);
    assert.strictEqual(back.length - 1, expected.length);
    assert.strictEqual(back[1][5] === 'yes', evs[0].predictions.yPred[i0] === yTrue[i0]);
    // regression, or no dataset: no disagreement browser
    assert.strictEqual(compareResult(compareModels(evs, { bootstrapRounds: 50 }), evs, 'Local', []).disagreements, undefined);
  });

  it('modelver compare --by-class --slice device: slices of the data file; rows dropped for missing values are refused for --slice', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slices-'));
    try {
      const r = mulberry32(8);
      const lines = ['x0,x1,device,y'];
      const counts: Record<string, number> = {};
      for (let i = 0; i < 400; i++) {
        const x0 = Math.round(r() * 1e4) / 1e4;
        const x1 = Math.round(r() * 1e4) / 1e4;
        if (Math.abs(x0 + x1 - 1) < 0.01 || Math.abs(x0 - x1) < 0.01) continue;
        const device = r() < 0.3 ? 'mobile' : 'desktop';
        counts[device] = (counts[device] ?? 0) + 1;
        lines.push(`${x0},${x1},${device},${x0 + x1 > 1 ? 1 : 0}`);
      }
      const csv = path.join(tmp, 'd.csv');
      fs.writeFileSync(csv, lines.join('\n') + '\n');
      fs.writeFileSync(path.join(tmp, 'good.onnx'), linearModel([10, 10], -10, true));
      fs.writeFileSync(path.join(tmp, 'bad.onnx'), linearModel([1, -1], 0, true));
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
      const args = ['compare', path.join(tmp, 'bad.onnx'), path.join(tmp, 'good.onnx'), '--data', csv, '--label', 'y', '--features', 'x0,x1', '--rounds', '100', '--no-cache'];
      assert.strictEqual(await runCli([...args, '--by-class', '--slice', 'device', '--json'], io), 0, err.join('\n'));
      const rep = JSON.parse(out.join('\n')) as { slices: { by: string; slices: { value: string; rows: number; metric: number[]; pairs: { verdict: string }[] }[] }[] };
      assert.deepStrictEqual(rep.slices.map((s) => s.by), ['class', 'device']);
      const dev = rep.slices[1];
      assert.deepStrictEqual(Object.fromEntries(dev.slices.map((s) => [s.value, s.rows])), counts);
      assert.ok(dev.slices.every((s) => s.metric[1] === 1 && s.pairs[0].verdict === 'B better'), JSON.stringify(dev));
      out.length = 0;
      assert.strictEqual(await runCli([...args, '--slice', 'device'], io), 0);
      assert.match(out.join('\n'), /By device \(accuracy; .*\)\ndevice\s+rows/);
      // an unknown column is named, with the columns there are
      err.length = 0;
      assert.strictEqual(await runCli([...args, '--slice', 'nope'], io), 2);
      assert.match(err.join('\n'), /d\.csv has no column 'nope' \(the slice column\); its columns are 'x0', 'x1', 'device', 'y'/);
      // a row with a missing feature is dropped from the evaluation: --slice cannot line the column up, and says so
      fs.appendFileSync(csv, '0.5,,mobile,1\n');
      err.length = 0;
      assert.strictEqual(await runCli([...args, '--slice', 'device'], io), 2);
      assert.match(err.join('\n'), /--slice needs every row of d\.csv: 1 rows with missing values were dropped/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
