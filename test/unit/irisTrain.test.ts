/**
 * Real training, end to end: a 4→8→3 MLP (ReLU, softmax) trained here on the real iris data
 * (test/fixtures/data/iris.json) with seeded full-batch gradient descent, exported to ONNX with
 * onnx-proto (the standardisation is inside the graph: Sub, Div), checked by python3-onnx's checker,
 * its predictions checked against a numpy evaluation of the exported graph (python3-onnx reads the file;
 * Debian's onnx 1.12 has no onnx.reference.ReferenceEvaluator, so the five operators are evaluated with
 * numpy from the initializers onnx reads), then evaluated by the built CLI (`node dist/cli.js eval`,
 * onnxruntime-node in the evaluation host): accuracy ≥ 0.9 on the training rows and a sensible confusion
 * matrix. A deliberately worse model (a few epochs) loses `modelver compare --gate` with a significant
 * McNemar verdict.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { rng } from '../support/onnxModels';
import { REPO_ROOT, fixture } from '../support/paths';

const PYTHON = '/usr/bin/python3';
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const IRIS = fixture('data', 'iris.json');
const CLASSES = ['setosa', 'versicolor', 'virginica']; // the sorted distinct labels: the dataset's class order
const H = 8;

interface Mlp {
  mean: number[];
  std: number[];
  w1: number[][]; // [4][H]
  b1: number[];
  w2: number[][]; // [H][3]
  b2: number[];
}

function loadIris(): { x: number[][]; y: number[] } {
  const rows = JSON.parse(fs.readFileSync(IRIS, 'utf8')) as [number, number, number, number, string][];
  return { x: rows.map((r) => r.slice(0, 4) as number[]), y: rows.map((r) => CLASSES.indexOf(r[4])) };
}

/** Standardised inputs → hidden ReLU → softmax probabilities, in float64. */
function forward(m: Mlp, x: number[]): { z: number[]; a: number[]; p: number[] } {
  const s = x.map((v, i) => (v - m.mean[i]) / m.std[i]);
  const z = m.b1.map((b, j) => b + s.reduce((acc, v, i) => acc + v * m.w1[i][j], 0));
  const a = z.map((v) => Math.max(0, v));
  const o = m.b2.map((b, k) => b + a.reduce((acc, v, j) => acc + v * m.w2[j][k], 0));
  const mx = Math.max(...o);
  const e = o.map((v) => Math.exp(v - mx));
  const t = e.reduce((u, v) => u + v, 0);
  return { z, a, p: e.map((v) => v / t) };
}

/** Seeded full-batch gradient descent on the cross-entropy. */
function train(x: number[][], y: number[], epochs: number, lr = 0.1, seed = 42): Mlp {
  const r = rng(seed);
  const n = x.length;
  const mean = [0, 1, 2, 3].map((i) => x.reduce((s, row) => s + row[i], 0) / n);
  const std = [0, 1, 2, 3].map((i) => Math.sqrt(x.reduce((s, row) => s + (row[i] - mean[i]) ** 2, 0) / n));
  const u = (fanIn: number, fanOut: number) => (r() * 2 - 1) * Math.sqrt(6 / (fanIn + fanOut));
  const m: Mlp = {
    mean,
    std,
    w1: Array.from({ length: 4 }, () => Array.from({ length: H }, () => u(4, H))),
    b1: new Array(H).fill(0),
    w2: Array.from({ length: H }, () => Array.from({ length: 3 }, () => u(H, 3))),
    b2: [0, 0, 0],
  };
  for (let e = 0; e < epochs; e++) {
    const gw1 = m.w1.map((row) => row.map(() => 0));
    const gb1 = new Array(H).fill(0);
    const gw2 = m.w2.map((row) => row.map(() => 0));
    const gb2 = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const s = x[i].map((v, k) => (v - mean[k]) / std[k]);
      const { z, a, p } = forward(m, x[i]);
      const d2 = p.map((v, k) => (v - (k === y[i] ? 1 : 0)) / n);
      for (let j = 0; j < H; j++) for (let k = 0; k < 3; k++) gw2[j][k] += a[j] * d2[k];
      for (let k = 0; k < 3; k++) gb2[k] += d2[k];
      const d1 = z.map((v, j) => (v > 0 ? d2.reduce((acc, d, k) => acc + d * m.w2[j][k], 0) : 0));
      for (let q = 0; q < 4; q++) for (let j = 0; j < H; j++) gw1[q][j] += s[q] * d1[j];
      for (let j = 0; j < H; j++) gb1[j] += d1[j];
    }
    for (let q = 0; q < 4; q++) for (let j = 0; j < H; j++) m.w1[q][j] -= lr * gw1[q][j];
    for (let j = 0; j < H; j++) m.b1[j] -= lr * gb1[j];
    for (let j = 0; j < H; j++) for (let k = 0; k < 3; k++) m.w2[j][k] -= lr * gw2[j][k];
    for (let k = 0; k < 3; k++) m.b2[k] -= lr * gb2[k];
  }
  return m;
}

/** features [batch,4] → Sub(mean) → Div(std) → Gemm → Relu → Gemm → Softmax → probabilities [batch,3] */
function exportOnnx(m: Mlp): Buffer {
  const t = (name: string, dims: number[], v: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(Float32Array.from(v).buffer) });
  const io = (name: string, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
    });
  const node = (name: string, opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []) => onnx.NodeProto.create({ name, opType, input, output, attribute });
  const graph = onnx.GraphProto.create({
    name: 'iris_mlp',
    node: [
      node('center', 'Sub', ['features', 'mean'], ['centered']),
      node('scale', 'Div', ['centered', 'std'], ['standardized']),
      node('fc1', 'Gemm', ['standardized', 'w1', 'b1'], ['hidden_pre']),
      node('relu', 'Relu', ['hidden_pre'], ['hidden']),
      node('fc2', 'Gemm', ['hidden', 'w2', 'b2'], ['logits']),
      node('softmax', 'Softmax', ['logits'], ['probabilities'], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })]),
    ],
    initializer: [t('mean', [4], m.mean), t('std', [4], m.std), t('w1', [4, H], m.w1.flat()), t('b1', [H], m.b1), t('w2', [H, 3], m.w2.flat()), t('b2', [3], m.b2)],
    input: [io('features', ['batch', 4])],
    output: [io('probabilities', ['batch', 3])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'model-versions irisTrain test', opsetImport: [{ domain: '', version: 13 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** python3-onnx: check_model, then evaluate the graph's nodes with numpy from the initializers onnx reads. */
const PY_REFERENCE = `
import json, sys
import numpy as np
import onnx
from onnx import numpy_helper
path, data = sys.argv[1], sys.argv[2]
onnx.checker.check_model(onnx.load(path), full_check=True)
m = onnx.load(path)
env = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in m.graph.initializer}
rows = json.load(open(data))
env[m.graph.input[0].name] = np.array([r[:4] for r in rows], dtype=np.float32)
for n in m.graph.node:
    a = [env[i] for i in n.input]
    attrs = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
    if n.op_type == 'Sub': out = a[0] - a[1]
    elif n.op_type == 'Div': out = a[0] / a[1]
    elif n.op_type == 'Gemm':
        A = a[0].T if attrs.get('transA', 0) else a[0]
        B = a[1].T if attrs.get('transB', 0) else a[1]
        out = attrs.get('alpha', 1.0) * (A @ B) + attrs.get('beta', 1.0) * a[2]
    elif n.op_type == 'Relu': out = np.maximum(a[0], 0)
    elif n.op_type == 'Softmax':
        ax = attrs.get('axis', -1)
        e = np.exp(a[0] - a[0].max(axis=ax, keepdims=True))
        out = e / e.sum(axis=ax, keepdims=True)
    else: raise SystemExit('unexpected op ' + n.op_type)
    env[n.output[0]] = out.astype(np.float32)
print(json.dumps({'ok': True, 'opset': m.opset_import[0].version, 'probabilities': env[m.graph.output[0].name].tolist()}))
`;

function cli(args: string[], cwd: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('iris: train a classifier here, export it to ONNX, evaluate and compare it with modelver', function () {
  this.timeout(180_000);
  let tmp: string;
  let x: number[][];
  let y: number[];
  let good: Mlp;
  let worse: Mlp;
  const accuracy = (m: Mlp) => x.filter((row, i) => argmax(forward(m, row).p) === y[i]).length / x.length;
  const argmax = (p: number[]) => p.indexOf(Math.max(...p));

  before(() => {
    assert.ok(fs.existsSync(IRIS), `the iris fixture is missing: ${IRIS}`);
    assert.ok(fs.existsSync(CLI), `the CLI is not built: ${CLI} (run npm run build)`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-train-'));
    ({ x, y } = loadIris());
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('trains a 4→8→3 MLP to ≥ 0.95 training accuracy; 3 epochs give a clearly worse one', () => {
    assert.strictEqual(x.length, 150);
    assert.deepStrictEqual([0, 1, 2].map((c) => y.filter((v) => v === c).length), [50, 50, 50]);
    good = train(x, y, 300, 0.5);
    worse = train(x, y, 3, 0.2);
    const ag = accuracy(good);
    const aw = accuracy(worse);
    assert.ok(ag >= 0.95, `trained accuracy ${ag}`);
    assert.ok(aw <= ag - 0.15, `the worse model's accuracy ${aw} vs ${ag}`);
    fs.writeFileSync(path.join(tmp, 'iris.onnx'), exportOnnx(good));
    fs.writeFileSync(path.join(tmp, 'iris-worse.onnx'), exportOnnx(worse));
  });

  it('the exported file passes onnx.checker and predicts what our forward pass predicts (numpy over the graph)', () => {
    for (const [file, m] of [['iris.onnx', good], ['iris-worse.onnx', worse]] as const) {
      const r = spawnSync(PYTHON, ['-c', PY_REFERENCE, path.join(tmp, file), IRIS], { encoding: 'utf8', timeout: 60_000 });
      assert.strictEqual(r.status, 0, `python3-onnx (apt-get install python3-onnx python3-numpy) failed on ${file}: ${r.stderr}`);
      const ref = JSON.parse(r.stdout) as { ok: boolean; opset: number; probabilities: number[][] };
      assert.strictEqual(ref.opset, 13);
      assert.strictEqual(ref.probabilities.length, 150);
      let maxErr = 0;
      for (let i = 0; i < 150; i++) {
        const p = forward(m, x[i]).p;
        for (let k = 0; k < 3; k++) maxErr = Math.max(maxErr, Math.abs(p[k] - ref.probabilities[i][k]));
        assert.strictEqual(argmax(ref.probabilities[i]), argmax(p), `${file} row ${i}`);
      }
      assert.ok(maxErr < 1e-4, `${file}: max |Δp| ${maxErr}`);
    }
  });

  it('`modelver eval` (onnxruntime in the evaluation host): accuracy ≥ 0.9, the same as ours, and a sensible confusion matrix', () => {
    // iris.json rows are arrays: the columns are named '0'…'4'; the species is column '4'
    const r = cli(['eval', 'iris.onnx', '--data', IRIS, '--label', '4', '--seed', '1', '--json'], tmp);
    assert.strictEqual(r.code, 0, r.err);
    const ev = JSON.parse(r.out) as { task: string; rows: number; classNames: string[]; metrics: Record<string, number>; confusion: number[][]; interpretation: string; cvFolds: number };
    assert.strictEqual(ev.task, 'multiclass');
    assert.strictEqual(ev.rows, 150);
    assert.deepStrictEqual(ev.classNames, CLASSES);
    assert.match(ev.interpretation, /probability column per class/);
    assert.ok(ev.metrics.accuracy >= 0.9, `accuracy ${ev.metrics.accuracy}`);
    assert.ok(Math.abs(ev.metrics.accuracy - accuracy(good)) < 1e-9, `onnxruntime ${ev.metrics.accuracy} vs ours ${accuracy(good)}`);
    assert.ok(ev.metrics.rocAuc > 0.97, `macro one-vs-rest AUC ${ev.metrics.rocAuc}`);
    assert.deepStrictEqual(ev.confusion.map((row) => row.reduce((a, b) => a + b, 0)), [50, 50, 50]);
    assert.strictEqual(ev.confusion[0][0], 50, 'setosa is linearly separable: all right');
    assert.deepStrictEqual([ev.confusion[0][1], ev.confusion[0][2], ev.confusion[1][0], ev.confusion[2][0]], [0, 0, 0, 0], 'no setosa confusion');
    for (let c = 0; c < 3; c++) assert.ok(ev.confusion[c][c] >= 45, `class ${CLASSES[c]}: ${ev.confusion[c]}`);
    assert.strictEqual(ev.cvFolds, 5);
  });

  it('the worse model loses `modelver compare --gate`: B worse, McNemar significant, exit 1', () => {
    const r = cli(['compare', 'iris.onnx', 'iris-worse.onnx', '--data', IRIS, '--label', '4', '--seed', '1', '--gate', '--json'], tmp);
    assert.strictEqual(r.code, 1, `the gate fails: ${r.err}\n${r.out.slice(0, 400)}`);
    const rep = JSON.parse(r.out) as { pairs: { verdict: string; mcnemar: { pValue: number; b: number; c: number } }[]; gate: { pass: boolean; reasons: string[] } };
    const pair = rep.pairs[0];
    assert.strictEqual(pair.verdict, 'B worse');
    assert.ok(pair.mcnemar.pValue < 0.001, `McNemar p ${pair.mcnemar.pValue}`);
    assert.strictEqual(rep.gate.pass, false);
    assert.match(rep.gate.reasons[0], /significantly worse/);
    // and the other way round, the trained model wins
    const t = cli(['compare', 'iris-worse.onnx', 'iris.onnx', '--data', IRIS, '--label', '4', '--seed', '1'], tmp);
    assert.strictEqual(t.code, 0, t.err);
    assert.match(t.out, /better than the baseline/);
  });
});
