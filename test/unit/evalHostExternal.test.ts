/**
 * ONNX models with external data through the evaluation host (issue #15, "Past 2 GB"): onnxruntime-node
 * cannot take external data from bytes, so a local host opens such a model by its path, where its data
 * files lie (nothing uploaded or copied), and a remote host gets the model and its data files uploaded
 * and opens them from a private folder. A missing data file is named in the error.
 *
 * The model is written by python-onnx (`onnx.save_model(..., save_as_external_data=True,
 * all_tensors_to_one_file=True, location='weights.bin', size_threshold=0)`, python3-onnx 1.12) and its reference
 * outputs from numpy on the weights python-onnx reads back (Debian's python3-onnx 1.12 has no
 * onnx.reference), /usr/bin/python3.
 * Hosts are real processes (the compiled out…/src/evalHost/main.js).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EvalClient } from '../../src/core/eval/client';
import { EvalErrorCodes, float32ToBase64, outputFloats } from '../../src/shared/evalProtocol';
import { startListeningHost, type ListeningHost } from '../support/evalHostProcess';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');
const PYTHON = '/usr/bin/python3';

/**
 * <dir>/mlp.onnx: x[n,6] → MatMul(w1[6,h]) → Add(b1) → Relu → MatMul(w2[h,3]) → Add(b2) → y[n,3], every
 * initializer in <dir>/weights.bin. Prints {x, y} as JSON: 20 rows and numpy's outputs (float64).
 */
const BUILD = `
import json, os, sys
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
d, seed, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
inits = [numpy_helper.from_array(rng.standard_normal(s).astype(np.float32), n)
         for n, s in [('w1', (6, h)), ('b1', (h,)), ('w2', (h, 3)), ('b2', (3,))]]
nodes = [helper.make_node('MatMul', ['x', 'w1'], ['h0']), helper.make_node('Add', ['h0', 'b1'], ['h1']),
         helper.make_node('Relu', ['h1'], ['h2']), helper.make_node('MatMul', ['h2', 'w2'], ['h3']),
         helper.make_node('Add', ['h3', 'b2'], ['y'])]
g = helper.make_graph(nodes, 'mlp', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['n', 6])],
                      [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['n', 3])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]); m.ir_version = 8
os.makedirs(d, exist_ok=True)
onnx.save_model(m, os.path.join(d, 'mlp.onnx'), save_as_external_data=True, all_tensors_to_one_file=True,
                location='weights.bin', size_threshold=0)
x = np.random.default_rng(100).uniform(-2, 2, (20, 6)).astype(np.float32)
assert all(t.data_location == TensorProto.EXTERNAL for t in onnx.load(os.path.join(d, 'mlp.onnx'), load_external_data=False).graph.initializer)
# the weights as python-onnx reads them back from weights.bin; the forward pass in numpy, float64
p = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in onnx.load(os.path.join(d, 'mlp.onnx')).graph.initializer}
y = np.maximum(x.astype(np.float64) @ p['w1'] + p['b1'], 0) @ p['w2'] + p['b2']
print(json.dumps({'x': [float(v) for v in x.ravel()], 'y': [float(v) for v in y.ravel()]}))
`;

/** Scales every float of <dir>/weights.bin by −1.5 in place; prints {x, y} as BUILD does, for the new weights. */
const RESCALE = `
import json, os, sys
import numpy as np, onnx
from onnx import numpy_helper
d = sys.argv[1]
w = np.fromfile(os.path.join(d, 'weights.bin'), np.float32)
(w * np.float32(-1.5)).tofile(os.path.join(d, 'weights.bin'))
x = np.random.default_rng(100).uniform(-2, 2, (20, 6)).astype(np.float32)
p = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in onnx.load(os.path.join(d, 'mlp.onnx')).graph.initializer}
y = np.maximum(x.astype(np.float64) @ p['w1'] + p['b1'], 0) @ p['w2'] + p['b2']
print(json.dumps({'x': [float(v) for v in x.ravel()], 'y': [float(v) for v in y.ravel()]}))
`;

interface Ref {
  x: number[];
  y: number[];
}

function build(dir: string, seed: number, hidden = 8): Ref {
  const r = spawnSync(PYTHON, ['-c', BUILD, dir, String(seed), String(hidden)], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `python-onnx could not build the model: ${r.stderr}`);
  assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['mlp.onnx', 'weights.bin']);
  return JSON.parse(r.stdout) as Ref;
}

function maxAbsErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** every file under `dir`, relative */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe('evaluation host: ONNX external data past 2 GB (issue #15)', function () {
  this.timeout(120_000);
  let tmp: string;
  let dir: string;
  let ref: Ref;
  const clients: EvalClient[] = [];
  const hosts: ListeningHost[] = [];
  const inputs = (x: number[]) => [{ name: 'x', dims: [6], data: { base64: float32ToBase64(Float32Array.from(x)) } }];

  before(() => {
    assert.ok(fs.existsSync(HOST), `compiled host missing: ${HOST}`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evalhost-ext-'));
    dir = path.join(tmp, 'model');
    ref = build(dir, 7);
  });

  after(async () => {
    for (const c of clients) c.dispose();
    for (const h of hosts) await h.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const local = async (cacheDir: string): Promise<EvalClient> => {
    const c = EvalClient.local(HOST, { args: ['--cache-dir', cacheDir, '--provider', 'cpu'] });
    clients.push(c);
    const info = await c.initialize();
    assert.strictEqual(info.modelPaths, true, 'a local host opens models by path');
    return c;
  };

  it('a local host opens the model where it lies: nothing uploaded, outputs as numpy gives them', async () => {
    const cacheDir = path.join(tmp, 'cache-local');
    const c = await local(cacheDir);
    const modelHash = await c.ensureModel(path.join(dir, 'mlp.onnx'));
    assert.deepStrictEqual(c.uploads, { models: 0, datasets: 0, chunks: 0, bytes: 0 }, 'neither the model nor weights.bin was sent');
    const res = await c.evaluate({ modelHash, inputs: inputs(ref.x), batchSize: 7 });
    assert.deepStrictEqual(res.outputs[0].dims, [20, 3]);
    const err = maxAbsErr(outputFloats(res.outputs[0]), ref.y);
    assert.ok(err < 1e-4, `max |host − numpy| = ${err}`);
    // no copy of the model or its data in the host's cache (no blobs, no session folder)
    assert.deepStrictEqual(filesUnder(cacheDir), []);
  });

  it('a local host sees a changed data file (the cached session is not used for other bytes)', async () => {
    const copy = path.join(tmp, 'model-changed');
    fs.cpSync(dir, copy, { recursive: true });
    const c = await local(path.join(tmp, 'cache-local2'));
    const model = path.join(copy, 'mlp.onnx');
    const first = await c.evaluate({ modelHash: await c.ensureModel(model), inputs: inputs(ref.x) });
    assert.ok(maxAbsErr(outputFloats(first.outputs[0]), ref.y) < 1e-4);
    // other weights in the same data file (numpy: every value × −1.5), the model file untouched
    const before = fs.readFileSync(model);
    const r = spawnSync(PYTHON, ['-c', RESCALE, copy], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const other = JSON.parse(r.stdout) as Ref;
    assert.ok(fs.readFileSync(model).equals(before), 'the model file itself is unchanged');
    assert.ok(maxAbsErr(other.y, ref.y) > 0.1, 'the two references differ');
    const second = await c.evaluate({ modelHash: await c.ensureModel(model), inputs: inputs(ref.x) });
    const err = maxAbsErr(outputFloats(second.outputs[0]), other.y);
    assert.ok(err < 1e-4, `after the data file changed: max |host − numpy| = ${err}`);
  });

  it('a remote host gets the model and weights.bin uploaded and opens them together from a private folder', async () => {
    const h = await startListeningHost(HOST, fs.mkdtempSync(path.join(tmp, 'host-')));
    hosts.push(h);
    const c = await EvalClient.remote(h.url, h.token);
    clients.push(c);
    const info = await c.initialize({ provider: 'cpu' });
    assert.notStrictEqual(info.modelPaths, true, 'a remote host does not open paths');
    const modelHash = await c.ensureModel(path.join(dir, 'mlp.onnx'));
    assert.strictEqual(c.uploads.models, 2, 'mlp.onnx and weights.bin');
    assert.strictEqual(c.uploads.bytes, fs.statSync(path.join(dir, 'mlp.onnx')).size + fs.statSync(path.join(dir, 'weights.bin')).size);
    const res = await c.evaluate({ modelHash, inputs: inputs(ref.x), batchSize: 5 });
    const err = maxAbsErr(outputFloats(res.outputs[0]), ref.y);
    assert.ok(err < 1e-4, `max |host − numpy| = ${err}`);
    // a path of the host's machine is never opened for a remote client
    await assert.rejects(c.evaluate({ modelHash, modelPath: path.join(dir, 'mlp.onnx'), inputs: inputs(ref.x) }), (e: Error & { code?: number }) => {
      assert.strictEqual(e.code, EvalErrorCodes.BadInput);
      assert.match(e.message, /modelPath is taken only by a local evaluation host/);
      return true;
    });
  });

  it('a data file larger than a remote host takes is refused before anything is sent, naming it and --max-blob-mb', async () => {
    const wide = path.join(tmp, 'model-wide');
    build(wide, 9, 200);
    const limit = 0.001 * 1024 * 1024; // the smallest --max-blob-mb
    assert.ok(fs.statSync(path.join(wide, 'mlp.onnx')).size < limit && fs.statSync(path.join(wide, 'weights.bin')).size > limit);
    const h = await startListeningHost(HOST, fs.mkdtempSync(path.join(tmp, 'host-')), { extra: ['--max-blob-mb', '0.001'] });
    hosts.push(h);
    const c = await EvalClient.remote(h.url, h.token);
    clients.push(c);
    await c.initialize({ provider: 'cpu' });
    await assert.rejects(c.ensureModel(path.join(wide, 'mlp.onnx')), (e: Error) => {
      assert.match(e.message, /^weights\.bin \(\d+ bytes\) is larger than the evaluation host at ws:\/\/.* takes \(1048 bytes a file\): start the host with a larger --max-blob-mb \(e\.g\. --max-blob-mb 1\)/);
      return true;
    });
    assert.strictEqual(c.uploads.chunks, 0, 'nothing was sent');
  });

  it('a missing data file is named: by the client before anything is sent, and by a local host that finds it gone', async () => {
    const copy = path.join(tmp, 'model-missing');
    fs.cpSync(dir, copy, { recursive: true });
    const model = path.join(copy, 'mlp.onnx');
    const c = await local(path.join(tmp, 'cache-local3'));
    const modelHash = await c.ensureModel(model);
    fs.rmSync(path.join(copy, 'weights.bin'));
    // the host, sent the path of a model whose data file went after ensureModel
    await assert.rejects(c.evaluate({ modelHash, inputs: inputs(ref.x) }), (e: Error) => {
      assert.match(e.message, /mlp\.onnx: the external data file "weights\.bin" of tensor "w1" is missing \(looked for .*weights\.bin\)\. Put it next to the model/);
      return true;
    });
    // the client, before it sends anything (local and remote alike)
    await assert.rejects(c.ensureModel(model), /the external data file "weights\.bin" of tensor "w1" is missing \(looked for .*model-missing.weights\.bin\)\. Put it next to the model/);
    assert.strictEqual(c.uploads.models, 0);
  });
});
