/**
 * Keras models in the evaluation host (src/evalHost/keras, TensorFlow.js on the CPU) and the Keras HDF5
 * writer (src/core/formats/kerasWriter.ts), through a real host process (the compiled
 * out/src/evalHost/main.js):
 * (a) the case-study MLP (10 features → Dense 128 relu → Dropout 0.2 → Dense 1 sigmoid) written as .h5
 *     predicts like its ONNX twin (onnxruntime) with the same weights, with the same metrics;
 * (b) a multiclass softmax model against a numpy forward pass from the weights h5py reads;
 * (c) the real fixtures: those that evaluate are checked against numpy (Dense, LSTM), the others give
 *     the clear error naming the layer;
 * (d) `node dist/cli.js eval model.h5 --data … --label …` end to end.
 */
import * as assert from 'assert';
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { EvalClient } from '../../src/core/eval/client';
import { loadDataset } from '../../src/core/eval/dataset';
import { evaluateModel, runtimeLabel } from '../../src/core/eval/evaluate';
import { renderEvaluationText } from '../../src/core/eval/report';
import { readModelSummary } from '../../src/core/formats';
import { KerasWriteError, writeKerasModel, type KerasSequentialSpec } from '../../src/core/formats/kerasWriter';
import { normalizeModelConfig } from '../../src/evalHost/keras/config';
import { float32ToBase64, outputFloats } from '../../src/shared/evalProtocol';
import type { EvaluateInput } from '../../src/shared/evalProtocol';
import { rng } from '../support/onnxModels';
import { fixture } from '../support/paths';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');
const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIX = fixture('keras');
const PY = '/usr/bin/python3';

const FEATURES = ['pages_viewed', 'session_minutes', 'cart_adds', 'past_purchases', 'days_since_last_visit', 'is_returning', 'device_mobile', 'referral_ads', 'discount_seen', 'wishlist_items'];

/** Runs python with `script`, passing `input` as JSON on stdin; returns its JSON stdout. */
function python<T>(script: string, input: unknown): T {
  const out = execFileSync(PY, ['-c', script], { input: JSON.stringify(input), maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.toString('utf8')) as T;
}

/** numpy forward passes of Keras 2 layers, weights read by h5py from model_weights/<layer>/<weight>. */
const NUMPY_KERAS = String.raw`
import sys, json, h5py, numpy as np
req = json.load(sys.stdin)
f = h5py.File(req['file'], 'r')
mw = f['model_weights']
def weights(layer):
    g = mw[layer]
    return [np.array(g[n.decode() if isinstance(n, bytes) else n], dtype=np.float64) for n in g.attrs['weight_names']]
def act(name, x):
    if name == 'relu': return np.maximum(x, 0)
    if name == 'sigmoid': return 1 / (1 + np.exp(-x))
    if name == 'hard_sigmoid': return np.clip(0.2 * x + 0.5, 0, 1)
    if name == 'tanh': return np.tanh(x)
    if name == 'linear': return x
    if name == 'softmax':
        e = np.exp(x - x.max(axis=-1, keepdims=True)); return e / e.sum(axis=-1, keepdims=True)
    raise Exception('activation ' + name)
cfg = {l['config']['name']: l for l in json.loads(f.attrs['model_config'])['config']['layers']}
def dense(layer, x):
    w = weights(layer); c = cfg[layer]['config']
    y = x @ w[0] + (w[1] if len(w) > 1 else 0)
    return act(c['activation'], y)
def lstm(layer, x, h0=None, c0=None):
    k, rk, b = weights(layer); c = cfg[layer]['config']; u = c['units']
    n, T, _ = x.shape
    h = np.zeros((n, u)) if h0 is None else h0
    cs = np.zeros((n, u)) if c0 is None else c0
    seq = []
    for t in range(T):
        z = x[:, t, :] @ k + h @ rk + b
        i = act(c['recurrent_activation'], z[:, :u]); fg = act(c['recurrent_activation'], z[:, u:2*u])
        cc = act(c['activation'], z[:, 2*u:3*u]); o = act(c['recurrent_activation'], z[:, 3*u:])
        cs = fg * cs + i * cc
        h = o * act(c['activation'], cs)
        seq.append(h)
    out = np.stack(seq, axis=1) if c['return_sequences'] else h
    return (out, h, cs) if c['return_state'] else out
X = {k: np.array(v, dtype=np.float64) for k, v in req['inputs'].items()}
res = {}
exec(req['program'])
print(json.dumps({k: np.asarray(v).reshape(-1).tolist() for k, v in res.items()}))
`;

function onnxMlp(w1: Float32Array, b1: Float32Array, w2: Float32Array, b2: Float32Array, nIn: number, hidden: number): Buffer {
  const tensor = (name: string, dims: number[], v: Float32Array) => onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(v.buffer, v.byteOffset, v.byteLength) });
  const io = (name: string, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
    });
  const graph = onnx.GraphProto.create({
    name: 'purchase_mlp',
    node: [
      onnx.NodeProto.create({ name: 'dense', opType: 'Gemm', input: ['user_behaviour', 'dense/kernel', 'dense/bias'], output: ['dense_out'] }),
      onnx.NodeProto.create({ name: 'dense_relu', opType: 'Relu', input: ['dense_out'], output: ['hidden'] }),
      onnx.NodeProto.create({ name: 'dense_1', opType: 'Gemm', input: ['hidden', 'dense_1/kernel', 'dense_1/bias'], output: ['logit'] }),
      onnx.NodeProto.create({ name: 'dense_1_sigmoid', opType: 'Sigmoid', input: ['logit'], output: ['purchase_probability'] }),
    ],
    initializer: [tensor('dense/kernel', [nIn, hidden], w1), tensor('dense/bias', [hidden], b1), tensor('dense_1/kernel', [hidden, 1], w2), tensor('dense_1/bias', [1], b2)],
    input: [io('user_behaviour', ['batch', nIn])],
    output: [io('purchase_probability', ['batch', 1])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'kerasEval.test', opsetImport: [{ domain: '', version: 17 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

const inline = (name: string, dims: number[], data: Float32Array): EvaluateInput => ({ name, dims, data: { base64: float32ToBase64(data) } });

function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.strictEqual(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: largest difference ${worst} at ${at} (${actual[at]} vs ${expected[at]}) exceeds ${tol}`);
}

describe('Keras evaluation (TensorFlow.js in the eval host) and the Keras HDF5 writer', function () {
  this.timeout(180_000);
  let tmp: string;
  let client: EvalClient;
  const hostStderr: string[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-keras-eval-'));
    client = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'cache'), '--provider', 'cpu'], onStderr: (l) => hostStderr.push(l) });
    await client.initialize({ clientName: 'kerasEval.test' });
  });
  after(async () => {
    await client?.shutdown().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function evalInline(file: string, inputs: EvaluateInput[], extra: { batchSize?: number; padLastBatch?: boolean } = {}) {
    const modelHash = await client.ensureModel(file);
    return client.evaluate({ modelHash, inputs, ...extra });
  }

  async function evalError(file: string, inputs: EvaluateInput[]): Promise<string> {
    try {
      await evalInline(file, inputs);
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`${path.basename(file)} evaluated, but an error was expected`);
  }

  // ----------------------------------------------------------------------------------------------
  describe('writeKerasModel', () => {
    it('writes a file our reader and h5py read as a tf.keras 2.x full model', async () => {
      const k = randomFloats(3 * 2, 1);
      const file = path.join(tmp, 'tiny.h5');
      await writeKerasModel(file, { name: 'tiny', inputShape: [3], layers: [{ kind: 'Dense', units: 2, activation: 'tanh', kernel: k, bias: new Float32Array([0.5, -0.5]) }, { kind: 'Dropout', rate: 0.1 }] });
      const s = await readModelSummary(file);
      assert.strictEqual(s.format, 'keras-h5');
      assert.strictEqual(s.keras?.modelClass, 'Sequential');
      assert.deepStrictEqual(s.inputs, [{ name: 'dense_input', dtype: 'float32', shape: [null, 3] }]);
      assert.deepStrictEqual(s.outputs.map((o) => [o.name, o.shape]), [['dropout', [null, 2]]]);
      assert.deepStrictEqual(s.tensors.map((t) => [t.name, t.shape]), [['dense/kernel:0', [3, 2]], ['dense/bias:0', [2]]]);
      assert.deepStrictEqual(s.warnings, []);
      const py = python<{ attrs: string[]; layer_names: string[]; weight_names: Record<string, string[]>; kernel: number[]; cfg_layers: string[]; version: string }>(
        String.raw`
import sys, json, h5py
req = json.load(sys.stdin)
f = h5py.File(req['file'], 'r')
mw = f['model_weights']
d = lambda v: v.decode() if isinstance(v, bytes) else v
print(json.dumps({
  'attrs': sorted(f.attrs.keys()),
  'version': d(f.attrs['keras_version']),
  'layer_names': [d(n) for n in mw.attrs['layer_names']],
  'weight_names': {l: [d(n) for n in mw[l].attrs['weight_names']] for l in mw.attrs['layer_names'].astype(str)},
  'kernel': mw['dense/dense/kernel:0'][()].reshape(-1).tolist(),
  'cfg_layers': [l['class_name'] for l in json.loads(f.attrs['model_config'])['config']['layers']],
}))`,
        { file },
      );
      assert.deepStrictEqual(py.attrs, ['backend', 'keras_version', 'model_config']);
      assert.strictEqual(py.version, '2.15.0');
      assert.deepStrictEqual(py.layer_names, ['dense', 'dropout']);
      assert.deepStrictEqual(py.weight_names, { dense: ['dense/kernel:0', 'dense/bias:0'], dropout: [] });
      assert.deepStrictEqual(py.cfg_layers, ['InputLayer', 'Dense', 'Dropout']);
      assertClose(py.kernel, k, 0, 'kernel read by h5py');
    });

    it('refuses a kernel of the wrong size, saying what it needs, and leaves no file behind', async () => {
      const file = path.join(tmp, 'bad.h5');
      await assert.rejects(
        writeKerasModel(file, { inputShape: [10], layers: [{ kind: 'Dense', units: 4, kernel: new Float32Array(39) }] }),
        (e: Error) => e instanceof KerasWriteError && /kernel has 39 values .* 10×4 = 40/.test(e.message),
      );
      await assert.rejects(
        writeKerasModel(file, { inputShape: [10], layers: [{ kind: 'Dense', units: 4, kernel: new Float32Array(40), bias: new Float32Array(3) }] }),
        /bias must be a Float32Array of 4 values/,
      );
      await assert.rejects(writeKerasModel(file, { inputShape: [0], layers: [{ kind: 'Dropout', rate: 0.2 }] }), /inputShape must be/);
      await assert.rejects(writeKerasModel(file, { inputShape: [2], layers: [{ kind: 'Dropout', rate: 1.5 }] }), /rate must be a number in \[0, 1\)/);
      assert.deepStrictEqual(fs.readdirSync(tmp).filter((n) => n.includes('bad.h5')), []);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('(a) the case-study MLP as Keras .h5 and as ONNX', () => {
    it('gives the same predictions (1e-5) and the same metrics through the real host', async () => {
      const nIn = FEATURES.length;
      const hidden = 128;
      const r = rng(20240605);
      const glorot = (a: number, b: number) => Math.sqrt(6 / (a + b));
      const vals = (n: number, lim: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * lim);
      const w1 = vals(nIn * hidden, glorot(nIn, hidden));
      const b1 = vals(hidden, 0.1);
      const w2 = vals(hidden, glorot(hidden, 1));
      const b2 = vals(1, 0.1);
      const h5 = path.join(tmp, 'purchase_model.h5');
      const onnxFile = path.join(tmp, 'purchase_model.onnx');
      const spec: KerasSequentialSpec = {
        name: 'purchase_mlp',
        inputShape: [nIn],
        inputName: 'user_behaviour',
        layers: [
          { kind: 'Dense', units: hidden, activation: 'relu', kernel: w1, bias: b1 },
          { kind: 'Dropout', rate: 0.2 },
          { kind: 'Dense', units: 1, activation: 'sigmoid', kernel: w2, bias: b2 },
        ],
      };
      await writeKerasModel(h5, spec);
      fs.writeFileSync(onnxFile, onnxMlp(w1, b1, w2, b2, nIn, hidden));

      // a CSV of 400 visitors; the label depends on a few features (with noise)
      const d = rng(7);
      const lines = [[...FEATURES, 'bought'].join(',')];
      for (let i = 0; i < 400; i++) {
        const x = FEATURES.map(() => +(d() * 4 - 2).toFixed(4));
        const y = x[0] + x[2] - x[4] + (d() - 0.5) > 0 ? 1 : 0;
        lines.push([...x, y].join(','));
      }
      const csv = path.join(tmp, 'visitors.csv');
      fs.writeFileSync(csv, lines.join('\n') + '\n');
      const ds = await loadDataset({ file: csv, labelColumn: 'bought', task: 'binary' });

      const k = await evaluateModel({ file: h5 }, ds, client, { batchSize: 64 });
      const o = await evaluateModel({ file: onnxFile }, ds, client, { batchSize: 64 });
      assert.strictEqual(k.rows, 400);
      assert.strictEqual(k.provider, 'cpu');
      assert.strictEqual(k.outputName, 'dense_1');
      assert.strictEqual(o.outputName, 'purchase_probability');
      const pk = k.predictions.probabilities!.map((p) => p[1]);
      const po = o.predictions.probabilities!.map((p) => p[1]);
      assertClose(pk, po, 1e-5, 'P(bought) Keras vs ONNX');
      // not a degenerate model: the probabilities spread
      assert.ok(Math.max(...po) - Math.min(...po) > 0.3, `probabilities spread only ${Math.min(...po)}..${Math.max(...po)}`);
      assert.deepStrictEqual(Array.from(k.predictions.yPred), Array.from(o.predictions.yPred));
      assert.deepStrictEqual(Object.keys(k.metrics).sort(), Object.keys(o.metrics).sort());
      for (const m of Object.keys(o.metrics)) {
        if (m === 'logLoss' || m === 'rocAuc') assert.ok(Math.abs(k.metrics[m] - o.metrics[m]) < 1e-6, `${m}: ${k.metrics[m]} vs ${o.metrics[m]}`);
        else assert.strictEqual(k.metrics[m], o.metrics[m], m);
      }
      assert.deepStrictEqual(k.confusion, o.confusion);

      // the engine is reported: TensorFlow.js for the .h5, onnxruntime for the .onnx
      const x = ds.features.subarray(0, 5 * nIn);
      const rk = await evalInline(h5, [inline('user_behaviour', [nIn], x)]);
      const ro = await evalInline(onnxFile, [inline('user_behaviour', [nIn], x)]);
      assert.strictEqual(rk.engine, 'tfjs-cpu');
      assert.strictEqual(rk.provider, 'cpu');
      assert.strictEqual(ro.engine, 'onnxruntime');
      assert.deepStrictEqual(rk.outputs.map((t) => [t.name, t.dims]), [['dense_1', [5, 1]]]);
      assertClose(outputFloats(rk.outputs[0]), po.slice(0, 5), 1e-5, 'inline rows');
      // tfjs' "Hi, looks like you are running TensorFlow.js in Node.js" banner is silenced (stdout is the JSON-RPC channel)
      assert.ok(!hostStderr.some((l) => /TensorFlow\.js in Node\.js|tfjs-node/.test(l)), hostStderr.join('\n'));
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('(b) a multiclass softmax model against numpy', () => {
    it('matches a numpy forward pass from the weights h5py reads', async () => {
      const file = path.join(tmp, 'species.h5');
      await writeKerasModel(file, {
        inputShape: [4],
        layers: [
          { kind: 'Dense', name: 'hidden', units: 16, activation: 'tanh', kernel: randomFloats(4 * 16, 11, 0.8), bias: randomFloats(16, 12, 0.2) },
          { kind: 'Dropout', rate: 0.3 },
          { kind: 'Dense', name: 'species', units: 3, activation: 'softmax', kernel: randomFloats(16 * 3, 13, 1.5), bias: randomFloats(3, 14, 0.3) },
        ],
      });
      const rows = 37;
      const x = randomFloats(rows * 4, 15, 3);
      const res = await evalInline(file, [inline('hidden_input', [4], x)], { batchSize: 10 });
      assert.strictEqual(res.batches, 4);
      assert.deepStrictEqual(res.outputs[0].dims, [rows, 3]);
      const got = outputFloats(res.outputs[0]);
      const ref = python<{ y: number[] }>(NUMPY_KERAS, {
        file,
        inputs: { x: Array.from({ length: rows }, (_, i) => Array.from(x.subarray(i * 4, i * 4 + 4))) },
        program: "res['y'] = dense('species', dense('hidden', X['x']))",
      });
      assertClose(got, ref.y, 1e-5, 'softmax probabilities');
      for (let i = 0; i < rows; i++) assert.ok(Math.abs(got[i * 3] + got[i * 3 + 1] + got[i * 3 + 2] - 1) < 1e-5);

      // and through evaluateModel on a 3-class CSV (labels = numpy's argmax: accuracy 1)
      const names = ['adelie', 'chinstrap', 'gentoo'];
      const lines = ['a,b,c,d,species'];
      for (let i = 0; i < rows; i++) {
        const p = ref.y.slice(i * 3, i * 3 + 3);
        lines.push([...x.subarray(i * 4, i * 4 + 4)].join(',') + ',' + names[p.indexOf(Math.max(...p))]);
      }
      const csv = path.join(tmp, 'species.csv');
      fs.writeFileSync(csv, lines.join('\n') + '\n');
      const ds = await loadDataset({ file: csv, labelColumn: 'species', task: 'multiclass' });
      const ev = await evaluateModel({ file }, ds, client, { folds: 0 });
      assert.strictEqual(ev.metrics.accuracy, 1);
      assert.deepStrictEqual(ev.classNames, names.filter((n) => ds.classNames!.includes(n)));
      // and the report says what ran it
      assert.strictEqual(ev.engine, 'tfjs-cpu');
      assert.strictEqual(runtimeLabel(ev), 'TensorFlow.js on CPU');
      assert.match(renderEvaluationText(ev), /run by TensorFlow\.js on CPU/);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('(c) real Keras fixtures', () => {
    it('keras2c_example_model.h5 (Dense, Dense, LSTM, Dense; Keras 2.2.4) evaluates and matches numpy', async () => {
      const file = path.join(FIX, 'keras2c_example_model.h5');
      const n = 6;
      const x = randomFloats(n * 8 * 32, 21);
      const res = await evalInline(file, [inline('input_1', [8, 32], x)], { batchSize: 4 });
      assert.strictEqual(res.engine, 'tfjs-cpu');
      assert.deepStrictEqual(res.outputs.map((o) => [o.name, o.dims]), [['dense_3', [n, 30]]]);
      const rows = Array.from({ length: n }, (_, i) => Array.from({ length: 8 }, (_, t) => Array.from(x.subarray(i * 256 + t * 32, i * 256 + t * 32 + 32))));
      const ref = python<{ y: number[] }>(NUMPY_KERAS, {
        file,
        inputs: { input_1: rows },
        program: "res['y'] = dense('dense_3', lstm('lstm_1', dense('dense_2', dense('dense_1', X['input_1']))))",
      });
      assertClose(outputFloats(res.outputs[0]), ref.y, 1e-4, 'dense_3');
      assert.ok(ref.y.some((v) => Math.abs(v) > 1e-3), 'the reference output is not all zeros');
    });

    it('fdeep_lstm.h5 (LSTM, Bidirectional, return_state, initial states; Keras 2.2.5) evaluates; the LSTM outputs match numpy', async () => {
      const file = path.join(FIX, 'fdeep_lstm.h5');
      const n = 3;
      const shapes: Record<string, number[]> = { input_1: [17, 4], input_2: [1, 10], input_3: [5, 4], input_4: [12], input_5: [12] };
      const data: Record<string, Float32Array> = {};
      let seed = 31;
      for (const [name, dims] of Object.entries(shapes)) data[name] = randomFloats(n * dims.reduce((a, b) => a * b, 1), seed++);
      const res = await evalInline(
        file,
        Object.entries(shapes).map(([name, dims]) => inline(name, dims, data[name])),
      );
      const s = await readModelSummary(file);
      assert.deepStrictEqual(res.outputs.map((o) => o.name), s.outputs.map((o) => o.name));
      const out = Object.fromEntries(res.outputs.map((o) => [o.name, outputFloats(o)]));
      for (const o of res.outputs) assert.ok(out[o.name].every(Number.isFinite), `${o.name} is finite`);
      const nested = (name: string): unknown => {
        const dims = shapes[name];
        const per = dims.reduce((a, b) => a * b, 1);
        const shape = (flat: number[], d: number[]): unknown => (d.length === 1 ? flat : Array.from({ length: d[0] }, (_, i) => shape(flat.slice((i * flat.length) / d[0], ((i + 1) * flat.length) / d[0]), d.slice(1))));
        return Array.from({ length: n }, (_, i) => shape(Array.from(data[name].subarray(i * per, (i + 1) * per)), dims));
      };
      const ref = python<Record<string, number[]>>(NUMPY_KERAS, {
        file,
        inputs: Object.fromEntries(Object.keys(shapes).map((k) => [k, nested(k)])),
        program: [
          "res['lstm_2'] = lstm('lstm_2', lstm('lstm_1', X['input_1']))",
          "res['lstm_3:0'], res['lstm_3:1'], res['lstm_3:2'] = lstm('lstm_3', X['input_1'])",
          "res['lstm_6'] = lstm('lstm_6', X['input_1'])",
          "res['lstm_9'] = lstm('lstm_9', lstm('lstm_8', X['input_2']))",
          "res['lstm_13'] = lstm('lstm_13', X['input_2'])",
          "res['lstm_15:0'], res['lstm_15:1'], res['lstm_15:2'] = lstm('lstm_15', X['input_3'], X['input_4'], X['input_5'])",
        ].join('\n'),
      });
      assert.strictEqual(Object.keys(ref).length, 10);
      for (const [name, values] of Object.entries(ref)) assertClose(out[name], values, 1e-4, name);
    });

    it('fdeep_lstm_stateful.h5 (stateful, fixed batch 1) evaluates row by row, the same on every call', async () => {
      const file = path.join(FIX, 'fdeep_lstm_stateful.h5');
      const shapes: Record<string, number[]> = { input_1: [17, 4], input_2: [1, 10], input_3: [5, 4], input_4: [12], input_5: [12] };
      const n = 2;
      const inputs = Object.entries(shapes).map(([name, dims], i) => inline(name, dims, randomFloats(n * dims.reduce((a, b) => a * b, 1), 50 + i)));
      const a = await evalInline(file, inputs, { batchSize: 1, padLastBatch: true });
      const b = await evalInline(file, inputs, { batchSize: 1, padLastBatch: true });
      assert.strictEqual(a.batches, 2);
      assert.deepStrictEqual(a.outputs[0].dims, [n, 3]);
      // row 1 alone gives what it gave after row 0: no state carried from row to row
      const second = Object.entries(shapes).map(([name, dims], i) => {
        const per = dims.reduce((x, y) => x * y, 1);
        return inline(name, dims, randomFloats(n * per, 50 + i).subarray(per, 2 * per));
      });
      const c = await evalInline(file, second, { batchSize: 1, padLastBatch: true });
      for (let k = 0; k < a.outputs.length; k++) {
        const all = outputFloats(a.outputs[k]);
        const one = outputFloats(c.outputs[k]);
        assertClose(one, all.subarray(all.length / 2), 0, a.outputs[k].name);
      }
      assert.deepStrictEqual(a.outputs.map((o) => Array.from(outputFloats(o))), b.outputs.map((o) => Array.from(outputFloats(o))), 'every batch starts from zero states: a second call gives the same values');
    });

    it('keras2c_conv1d_profiles.h5 (10 inputs, Conv1D, LSTM, Reshape, Concatenate) evaluates', async () => {
      const file = path.join(FIX, 'keras2c_conv1d_profiles.h5');
      const s = await readModelSummary(file);
      const n = 2;
      const inputs = s.inputs.map((i, k) => {
        const dims = (i.shape ?? []).slice(1) as number[];
        return inline(i.name, dims, randomFloats(n * dims.reduce((a, b) => a * b, 1), 70 + k));
      });
      const res = await evalInline(file, inputs);
      assert.deepStrictEqual(res.outputs.map((o) => o.name), ['target_temp', 'target_dens']);
      for (const o of res.outputs) {
        assert.strictEqual(o.dims[0], n);
        const v = outputFloats(o);
        assert.ok(v.length > n && v.every(Number.isFinite), `${o.name}: ${v.length} finite values`);
      }
    });

    it('a Keras 2.2-style Sequential (no InputLayer, batch_input_shape on the first layer; written by h5py) evaluates like numpy', async () => {
      const file = path.join(tmp, 'seq22.h5');
      python<{ ok: boolean }>(
        String.raw`
import sys, json, h5py, numpy as np
req = json.load(sys.stdin)
rs = np.random.RandomState(5)
dense = lambda name, units, act, extra={}: {'class_name': 'Dense', 'config': dict({'name': name, 'trainable': True, 'units': units, 'activation': act, 'use_bias': True,
  'kernel_initializer': {'class_name': 'VarianceScaling', 'config': {'scale': 1.0, 'mode': 'fan_avg', 'distribution': 'uniform', 'seed': None}},
  'bias_initializer': {'class_name': 'Zeros', 'config': {}}, 'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
  'kernel_constraint': None, 'bias_constraint': None}, **extra)}
cfg = {'class_name': 'Sequential', 'config': {'name': 'sequential_1', 'layers': [
  dense('dense_1', 8, 'relu', {'batch_input_shape': [None, 5], 'dtype': 'float32'}),
  {'class_name': 'Activation', 'config': {'name': 'activation_1', 'trainable': True, 'activation': 'tanh'}},
  dense('dense_2', 2, 'softmax')]}}
with h5py.File(req['file'], 'w') as f:
    f.attrs['keras_version'] = b'2.2.4'
    f.attrs['backend'] = b'tensorflow'
    f.attrs['model_config'] = json.dumps(cfg).encode('utf8')
    mw = f.create_group('model_weights')
    mw.attrs['layer_names'] = np.array([b'dense_1', b'activation_1', b'dense_2'])
    for name, shape in [('dense_1', (5, 8)), ('dense_2', (8, 2))]:
        g = mw.create_group(name)
        g.attrs['weight_names'] = np.array([(name + '/kernel:0').encode(), (name + '/bias:0').encode()])
        g[name + '/kernel:0'] = rs.uniform(-1, 1, shape).astype(np.float32)
        g[name + '/bias:0'] = rs.uniform(-0.2, 0.2, shape[1]).astype(np.float32)
    mw.create_group('activation_1').attrs['weight_names'] = np.array([], dtype=np.float64)
print(json.dumps({'ok': True}))`,
        { file },
      );
      const s = await readModelSummary(file);
      assert.deepStrictEqual(s.inputs.map((i) => [i.name, i.shape]), [['dense_1_input', [null, 5]]]);
      const rows = 9;
      const x = randomFloats(rows * 5, 101, 2);
      const res = await evalInline(file, [inline('dense_1_input', [5], x)]);
      const ref = python<{ y: number[] }>(NUMPY_KERAS, {
        file,
        inputs: { x: Array.from({ length: rows }, (_, i) => Array.from(x.subarray(i * 5, i * 5 + 5))) },
        program: "res['y'] = dense('dense_2', np.tanh(dense('dense_1', X['x'])))",
      });
      assert.deepStrictEqual(res.outputs.map((o) => [o.name, o.dims]), [['dense_2', [rows, 2]]]);
      assertClose(outputFloats(res.outputs[0]), ref.y, 1e-5, 'dense_2');
    });

    for (const name of ['fdeep_temp_stateful_tf21.h5', 'fdeep_temp_stateless_tf21.h5']) {
      it(`${name} (GRU, reset_after=true) gives the unsupported-option error naming the layer`, async () => {
        const file = path.join(FIX, name);
        const layer = name.includes('stateless') ? 'gru' : 'gru_1';
        const msg = await evalError(file, [inline('input_1', [3, 1], new Float32Array(3)), inline('input_2', [1], new Float32Array(1))]);
        assert.match(msg, new RegExp(`layer ${layer} \\(GRU\\) uses reset_after=true`));
        assert.match(msg, /TensorFlow\.js implements only reset_after=false/);
      });
    }

    it('keras2cpp weights-only files (Keras 1) give the "only weights" error', async () => {
      for (const f of fs.readdirSync(FIX).filter((n) => /^keras2cpp_my_nn_weights_.*\.h5$/.test(n))) {
        const msg = await evalError(path.join(FIX, f), [inline('x', [1], new Float32Array(1))]);
        assert.match(msg, /holds only weights: the architecture is not stored in it/, f);
        assert.match(msg, /model\.save/, f);
      }
    });

    it('the keras2cpp architecture JSON (Keras 1 layers) is refused by name, with what to do', () => {
      const arch = JSON.parse(fs.readFileSync(path.join(FIX, 'keras2cpp_my_nn_arch_18ec88f.json'), 'utf8')) as Record<string, unknown>;
      assert.throws(
        () => normalizeModelConfig({ name: 'my_nn', weightsOnly: false, format: 'keras-h5', modelConfig: arch }, ['Dense', 'Conv2D', 'Dropout', 'Activation', 'Flatten', 'MaxPooling2D']),
        /layer convolution2d_1 \(Convolution2D\) uses the Keras 1 configuration.*Load the model in Keras 2 and save it again/,
      );
    });

    it('an unsupported layer class is named, with the supported list', () => {
      const cfg = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 1 } }, { class_name: 'MultiHeadAttention', config: { name: 'mha' } }] } };
      assert.throws(
        () => normalizeModelConfig({ name: 'm.h5', weightsOnly: false, format: 'keras-h5', kerasVersion: '2.15.0', modelConfig: cfg }, ['Dense', 'Dropout', 'Zeros']),
        (e: Error) => /layer mha \(MultiHeadAttention\) is not supported by TensorFlow\.js/.test(e.message) && /Supported layers: Dense, Dropout\./.test(e.message),
      );
    });

    it('a Keras 3 config (module/registered_name, DTypePolicy, batch_shape, __keras_tensor__ nodes) is rewritten for TensorFlow.js', () => {
      const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
      const cfg = {
        module: 'keras.src.models.functional',
        class_name: 'Functional',
        config: {
          name: 'f',
          layers: [
            { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', name: 'inp' }, registered_name: null, name: 'inp', inbound_nodes: [] },
            {
              module: 'keras.layers',
              class_name: 'Dense',
              config: { name: 'out', dtype: policy, units: 2, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null } } },
              registered_name: null,
              build_config: { input_shape: [null, 4] },
              name: 'out',
              inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: ['inp', 0, 0] } }], kwargs: {} }],
            },
          ],
          input_layers: [['inp', 0, 0]],
          output_layers: [['out', 0, 0]],
        },
      };
      const out = normalizeModelConfig({ name: 'm.keras', weightsOnly: false, format: 'keras-v3', kerasVersion: '3.3.3', modelConfig: cfg }, ['InputLayer', 'Dense']) as {
        config: { layers: { config: Record<string, unknown>; inbound_nodes: unknown; module?: string }[] };
      };
      const [inp, dense] = out.config.layers;
      assert.deepStrictEqual(inp.config, { batch_input_shape: [null, 4], dtype: 'float32', name: 'inp' });
      assert.strictEqual(dense.config.dtype, 'float32');
      assert.deepStrictEqual(dense.config.kernel_initializer, { class_name: 'Zeros', config: {} });
      assert.deepStrictEqual(dense.inbound_nodes, [[['inp', 0, 0, {}]]]);
      assert.strictEqual(dense.module, undefined);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('Keras 3 .keras archives', () => {
    it('a Keras 3 Sequential (.keras zip: config.json, metadata.json, model.weights.h5 laid out by h5py) evaluates', async () => {
      const file = path.join(tmp, 'k3.keras');
      const k = randomFloats(4 * 3, 91, 1.2);
      const b = randomFloats(3, 92, 0.3);
      python<{ ok: boolean }>(
        String.raw`
import sys, json, io, zipfile, h5py, numpy as np
req = json.load(sys.stdin)
pol = {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}
init = lambda n: {'module': 'keras.initializers', 'class_name': n, 'config': {}, 'registered_name': None}
cfg = {'module': 'keras', 'class_name': 'Sequential', 'config': {'name': 'sequential', 'trainable': True, 'dtype': pol, 'layers': [
  {'module': 'keras.layers', 'class_name': 'InputLayer', 'config': {'batch_shape': [None, 4], 'dtype': 'float32', 'sparse': False, 'name': 'input_layer'}, 'registered_name': None},
  {'module': 'keras.layers', 'class_name': 'Dense', 'config': {'name': 'dense', 'trainable': True, 'dtype': pol, 'units': 3, 'activation': 'softmax', 'use_bias': True,
    'kernel_initializer': init('GlorotUniform'), 'bias_initializer': init('Zeros'), 'kernel_regularizer': None, 'bias_regularizer': None,
    'kernel_constraint': None, 'bias_constraint': None}, 'registered_name': None, 'build_config': {'input_shape': [None, 4]}}],
  'build_input_shape': [None, 4]}, 'registered_name': None, 'build_config': {'input_shape': [None, 4]}, 'compile_config': None}
buf = io.BytesIO()
with h5py.File(buf, 'w') as f:
    v = f.create_group('layers/dense/vars')
    v['0'] = np.array(req['k'], dtype=np.float32).reshape(4, 3)
    v['1'] = np.array(req['b'], dtype=np.float32)
    f.create_group('vars')
with zipfile.ZipFile(req['file'], 'w') as z:
    z.writestr('metadata.json', json.dumps({'keras_version': '3.3.3', 'date_saved': '2024-06-01@00:00:00'}))
    z.writestr('config.json', json.dumps(cfg))
    z.writestr('model.weights.h5', buf.getvalue())
print(json.dumps({'ok': True}))`,
        { file, k: Array.from(k), b: Array.from(b) },
      );
      const s = await readModelSummary(file);
      assert.strictEqual(s.format, 'keras-v3');
      const rows = 5;
      const x = randomFloats(rows * 4, 93, 2);
      const res = await evalInline(file, [inline(s.inputs[0].name, [4], x)]);
      assert.strictEqual(res.engine, 'tfjs-cpu');
      const got = outputFloats(res.outputs[0]);
      const want: number[] = [];
      for (let r = 0; r < rows; r++) {
        const z = [0, 1, 2].map((j) => b[j] + [0, 1, 2, 3].reduce((a, i) => a + x[r * 4 + i] * k[i * 3 + j], 0));
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const sum = e.reduce((a, v) => a + v, 0);
        want.push(...e.map((v) => v / sum));
      }
      assertClose(got, want, 1e-5, 'Keras 3 softmax');
    });

    it('custom-named layers (fc1, fc2: stored as layers/dense, layers/dense_1, as Keras 3 saves them) get their weights', async () => {
      const file = path.join(tmp, 'k3-named.keras');
      const k1 = randomFloats(4 * 5, 94, 1);
      const b1 = randomFloats(5, 95, 0.3);
      const k2 = randomFloats(5 * 3, 96, 1);
      const b2 = randomFloats(3, 97, 0.3);
      python<{ ok: boolean }>(
        String.raw`
import sys, json, io, zipfile, h5py, numpy as np
req = json.load(sys.stdin)
pol = {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}
init = lambda n: {'module': 'keras.initializers', 'class_name': n, 'config': {}, 'registered_name': None}
def dense(name, units, act, n_in):
    return {'module': 'keras.layers', 'class_name': 'Dense', 'config': {'name': name, 'trainable': True, 'dtype': pol, 'units': units, 'activation': act, 'use_bias': True,
        'kernel_initializer': init('GlorotUniform'), 'bias_initializer': init('Zeros'), 'kernel_regularizer': None, 'bias_regularizer': None,
        'kernel_constraint': None, 'bias_constraint': None}, 'registered_name': None, 'build_config': {'input_shape': [None, n_in]}}
cfg = {'module': 'keras', 'class_name': 'Sequential', 'config': {'name': 'mlp', 'trainable': True, 'dtype': pol, 'layers': [
  {'module': 'keras.layers', 'class_name': 'InputLayer', 'config': {'batch_shape': [None, 4], 'dtype': 'float32', 'sparse': False, 'name': 'features'}, 'registered_name': None},
  dense('fc1', 5, 'relu', 4), dense('fc2', 3, 'softmax', 5)], 'build_input_shape': [None, 4]}, 'registered_name': None, 'build_config': {'input_shape': [None, 4]}, 'compile_config': None}
buf = io.BytesIO()
with h5py.File(buf, 'w') as f:
    f.create_group('vars')
    for group, k, b, shape in [('dense', 'k1', 'b1', (4, 5)), ('dense_1', 'k2', 'b2', (5, 3))]:
        v = f.create_group('layers/' + group + '/vars')
        v['0'] = np.array(req[k], dtype=np.float32).reshape(shape)
        v['1'] = np.array(req[b], dtype=np.float32)
with zipfile.ZipFile(req['file'], 'w') as z:
    z.writestr('metadata.json', json.dumps({'keras_version': '3.5.0', 'date_saved': '2024-09-01@00:00:00'}))
    z.writestr('config.json', json.dumps(cfg))
    z.writestr('model.weights.h5', buf.getvalue())
print(json.dumps({'ok': True}))`,
        { file, k1: Array.from(k1), b1: Array.from(b1), k2: Array.from(k2), b2: Array.from(b2) },
      );
      const s = await readModelSummary(file);
      assert.deepStrictEqual(
        s.keras!.layers.map((l) => [l.name, l.weights.length]),
        [
          ['features', 0],
          ['fc1', 2],
          ['fc2', 2],
        ],
      );
      const rows = 6;
      const x = randomFloats(rows * 4, 98, 2);
      const res = await evalInline(file, [inline(s.inputs[0].name, [4], x)]);
      const got = outputFloats(res.outputs[0]);
      const want: number[] = [];
      for (let r = 0; r < rows; r++) {
        const h = [0, 1, 2, 3, 4].map((j) => Math.max(0, b1[j] + [0, 1, 2, 3].reduce((a, i) => a + x[r * 4 + i] * k1[i * 5 + j], 0)));
        const z = [0, 1, 2].map((j) => b2[j] + [0, 1, 2, 3, 4].reduce((a, i) => a + h[i] * k2[i * 3 + j], 0));
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const sum = e.reduce((a, v) => a + v, 0);
        want.push(...e.map((v) => v / sum));
      }
      assertClose(got, want, 1e-5, 'Keras 3 custom-named MLP');
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('(d) modelver eval model.h5', () => {
    it('evaluates a Keras .h5 end to end through dist/cli.js', async function () {
      if (!fs.existsSync(CLI)) assert.fail(`${CLI} is missing: run npm run build first`);
      const file = path.join(tmp, 'cli_model.h5');
      await writeKerasModel(file, {
        inputShape: [2],
        layers: [{ kind: 'Dense', units: 1, activation: 'sigmoid', kernel: new Float32Array([10, 10]), bias: new Float32Array([-10]) }],
      });
      const d = rng(3);
      const lines = ['x0,x1,y'];
      for (let i = 0; i < 120; i++) {
        const a = d();
        const b = d();
        lines.push(`${a},${b},${a + b > 1 ? 1 : 0}`);
      }
      const csv = path.join(tmp, 'cli.csv');
      fs.writeFileSync(csv, lines.join('\n') + '\n');
      const run = (args: string[]) =>
        new Promise<{ code: number; out: string; err: string }>((resolve) =>
          execFile(process.execPath, [CLI, ...args], { cwd: tmp }, (e, out, err) =>
            resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
          ),
        );
      const r = await run(['eval', file, '--data', csv, '--label', 'y', '--provider', 'cpu', '--no-cache', '--json']);
      assert.strictEqual(r.code, 0, r.err || r.out);
      const j = JSON.parse(r.out) as { metrics: Record<string, number>; provider: string; rows: number; outputName: string };
      assert.strictEqual(j.rows, 120);
      assert.strictEqual(j.provider, 'cpu');
      assert.strictEqual(j.outputName, 'dense');
      assert.strictEqual(j.metrics.accuracy, 1, `a perfect separator: ${JSON.stringify(j.metrics)}`);
      assert.doesNotMatch(r.err, /Hi, looks like you are running TensorFlow\.js/);
    });
  });
});
