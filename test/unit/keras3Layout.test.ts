/**
 * Keras 3 `.keras` weights are stored under the snake-case name of each layer's *class*, made unique in
 * the order of the model's layers (`layers/q_dense`, `layers/dense`, `layers/dense_1`, nested models
 * under `layers/sequential/layers/…`), not under the layer's name (issue #15, point 7). The files are
 * written by test/support/keras3_write.py, which follows keras/src/saving/saving_lib.py and uses Keras's
 * own `to_snake_case` (copied verbatim from keras/src/utils/naming.py) — the reference here; the `.h5`
 * twin holds the same weights in tf.keras's layout.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffModels } from '../../src/core/diff';
import { readKerasSummary, readKerasTensors } from '../../src/core/formats/keras';
import { toSnakeCase } from '../../src/core/formats/kerasHdf5';
import { REPO_ROOT } from '../support/paths';

const PYTHON = '/usr/bin/python3';
const WRITER = path.join(REPO_ROOT, 'test', 'support', 'keras3_write.py');

interface Written {
  /** top-level layer name → [dataset path in model.weights.h5, shape], in the order Keras saved them */
  layers: Record<string, Array<[string, number[]]>>;
  optimizer: string[];
}

function write(dir: string, version: string): { keras: string; h5: string; weights: string; written: Written } {
  const keras = path.join(dir, `q-${version}.keras`);
  const h5 = path.join(dir, `q-${version}.h5`);
  const weights = path.join(dir, `q-${version}.weights.h5`);
  const out = execFileSync(PYTHON, [WRITER, keras, h5, version, weights], { encoding: 'utf8' });
  return { keras, h5, weights, written: JSON.parse(out) as Written };
}

const TOP = [
  ['inp', 'InputLayer'],
  ['up', 'Conv2DTranspose'],
  ['bn', 'BatchNormalization'],
  ['flat', 'Flatten'],
  ['fc1', 'QDense'],
  ['act1', 'Activation'],
  ['encoder', 'Sequential'],
  ['fc2', 'Dense'],
  ['fc3', 'Dense'],
];

describe('Keras 3 .keras weights: mapped to layers as saving_lib stores them', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras3-layout-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('toSnakeCase is Keras naming.to_snake_case', () => {
    const names = ['QDense', 'Conv2DTranspose', 'BatchNormalization', 'LSTM', 'GRUCell', 'Dense', 'InputLayer', 'QActivation', 'MultiHeadAttention', 'ReLU', 'PReLU', 'Conv1D',
      'Conv3DTranspose', 'UpSampling2D', 'TFSMLayer', 'HTTPServer2D', 'My-Layer', 'Été Layer', 'already_snake', 'ABC', 'aBC', 'A1B2C', 'QConv2DBatchnorm', 'Sequential', 'Functional'];
    const ref = JSON.parse(
      execFileSync(PYTHON, ['-c', `import sys, json\nsys.path.insert(0, sys.argv[1])\nfrom keras3_write import to_snake_case\nprint(json.dumps([to_snake_case(n) for n in json.loads(sys.argv[2])]))`, path.dirname(WRITER), JSON.stringify(names)], {
        encoding: 'utf8',
      }),
    ) as string[];
    assert.deepStrictEqual(names.map(toSnakeCase), ref);
    assert.strictEqual(toSnakeCase('QDense'), 'q_dense');
    assert.strictEqual(toSnakeCase('Conv2DTranspose'), 'conv2d_transpose');
  });

  for (const version of ['3.5.0', '3.8.0']) {
    const how = version === '3.5.0' ? 'Keras 3.0–3.5: no layer names in the file' : 'Keras ≥ 3.6: layer names on the vars groups';
    it(`every layer of a QKeras-style Functional model keeps its weights (${how})`, async () => {
      const { keras, written } = write(dir, version);
      const s = await readKerasSummary(keras);
      const k = s.keras!;
      assert.strictEqual(s.format, 'keras-v3');
      assert.deepStrictEqual(
        k.layers.map((l) => [l.name, l.className]),
        TOP,
        'the layers of the config, no "unknown" layers',
      );
      assert.deepStrictEqual(s.warnings, []);
      // each layer's weights: the datasets Keras saved for it, in its order
      for (const l of k.layers) {
        const want = written.layers[l.name] ?? [];
        const got = l.weights.map((n) => s.tensors.find((t) => t.name === n)!);
        assert.deepStrictEqual(
          got.map((t) => [(t.location as { dataset: string }).dataset, t.shape, t.owner]),
          want.map(([p, shape]) => [p, shape, l.name]),
          `weights of ${l.name}`,
        );
      }
      assert.deepStrictEqual(k.layers.find((l) => l.name === 'fc1')!.weights, ['fc1/vars/0', 'fc1/vars/1']);
      assert.deepStrictEqual(k.layers.find((l) => l.name === 'encoder')!.weights, ['encoder/enc_a/vars/0', 'encoder/enc_a/vars/1', 'encoder/enc_b/vars/0', 'encoder/enc_b/vars/1']);
      const expectedParams = Object.values(written.layers)
        .flat()
        .reduce((a, [, shape]) => a + shape.reduce((x, y) => x * y, 1), 0);
      assert.strictEqual(s.parameterCount, expectedParams);
      assert.deepStrictEqual(
        k.optimizerWeights.map((t) => (t.location as { dataset: string }).dataset).sort(),
        [...written.optimizer].sort(),
      );
      assert.ok(k.optimizerWeights.every((t) => t.origin === 'keras-optimizer'));
    });
  }

  it('values are read from the mapped datasets (against h5py)', async () => {
    const { keras, written } = write(dir, '3.5.0');
    const s = await readKerasSummary(keras);
    const fc1 = s.tensors.filter((t) => t.owner === 'fc1' || t.owner === 'fc3');
    const got = await readKerasTensors(keras, fc1);
    const ref = JSON.parse(
      execFileSync(
        PYTHON,
        ['-c', `import sys, json, io, zipfile, h5py, numpy as np\nf = h5py.File(io.BytesIO(zipfile.ZipFile(sys.argv[1]).read('model.weights.h5')), 'r')\nprint(json.dumps([np.asarray(f[p]).astype(float).ravel().tolist() for p in sys.argv[2:]]))`, keras, ...[...written.layers.fc1, ...written.layers.fc3].map(([p]) => p)],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      ),
    ) as number[][];
    assert.deepStrictEqual(
      got.map((d) => Array.from(d.data as Float32Array, Number)),
      ref,
    );
  });

  it('a Keras ≥ 3.6 .weights.h5 (no config) names its layers by the names stored on their vars groups', async () => {
    const { weights } = write(dir, '3.8.0');
    const s = await readKerasSummary(weights);
    assert.deepStrictEqual(
      s.keras!.layers.map((l) => l.name),
      ['bn', 'up', 'fc2', 'fc3', 'fc1', 'encoder'],
      'layers with weights only, by their names (groups in natural order: batch_normalization, conv2d_transpose, dense, dense_1, q_dense, sequential)',
    );
    assert.ok(s.keras!.layers.every((l) => l.weights.length > 0));
  });

  it('a Keras 3.0–3.5 .weights.h5 (no config) keeps the group names, and no layer for a group without datasets', async () => {
    const { weights } = write(dir, '3.5.0');
    const s = await readKerasSummary(weights);
    assert.deepStrictEqual(
      s.keras!.layers.map((l) => l.name),
      ['batch_normalization', 'conv2d_transpose', 'dense', 'dense_1', 'q_dense', 'sequential'],
    );
    assert.deepStrictEqual(s.keras!.layers.find((l) => l.name === 'sequential')!.weights, [
      'sequential/layers/dense/vars/0',
      'sequential/layers/dense/vars/1',
      'sequential/layers/dense_1/vars/0',
      'sequential/layers/dense_1/vars/1',
    ]);
  });

  it('a layer holding sublayers (LSTM: its cell) keeps them under its own path: rnn/cell/vars/<i>', async () => {
    const f = path.join(dir, 'lstm.keras');
    const out = execFileSync(
      PYTHON,
      [
        '-c',
        String.raw`
import sys, json
sys.path.insert(0, sys.argv[2])
from keras3_write import Obj, dense, write_keras
inp = Obj('seq', 'InputLayer', {'batch_shape': [None, 5, 3], 'dtype': 'float32', 'sparse': False})
cell = Obj('lstm_cell', 'LSTMCell', {'units': 4}, [('kernel', (3, 16)), ('recurrent_kernel', (4, 16)), ('bias', (16,))])
rnn = Obj('rnn', 'LSTM', {'units': 4, 'return_sequences': False}, attrs={'cell': cell}, inbound='seq')
head = dense('head', 2, 4, 'softmax', 'rnn')
m = Obj('m', 'Functional', {}, layers=[inp, rnn, head], module='keras.src.models.functional', registered='Functional')
print(json.dumps(write_keras(sys.argv[1], m, '3.5.0')))`,
        f,
        path.dirname(WRITER),
      ],
      { encoding: 'utf8' },
    );
    const written = JSON.parse(out) as Written['layers'];
    const s = await readKerasSummary(f);
    const rnn = s.keras!.layers.find((l) => l.name === 'rnn')!;
    assert.strictEqual(rnn.className, 'LSTM');
    assert.deepStrictEqual(rnn.weights, ['rnn/cell/vars/0', 'rnn/cell/vars/1', 'rnn/cell/vars/2']);
    assert.deepStrictEqual(
      rnn.weights.map((n) => {
        const t = s.tensors.find((x) => x.name === n)!;
        return [(t.location as { dataset: string }).dataset, t.shape];
      }),
      written.rnn,
    );
    assert.deepStrictEqual(written.rnn.map(([p]) => p), ['/layers/lstm/cell/vars/0', '/layers/lstm/cell/vars/1', '/layers/lstm/cell/vars/2']);
    assert.deepStrictEqual(s.keras!.layers.find((l) => l.name === 'head')!.weights, ['head/vars/0', 'head/vars/1']);
    assert.deepStrictEqual(s.warnings, []);
  });

  it('groups named after the layers (not saving_lib’s layout) are still found by name, when the class names match none', async () => {
    const f = path.join(dir, 'by-name.keras');
    execFileSync(PYTHON, [
      '-c',
      String.raw`
import sys, json, io, zipfile, h5py, numpy as np
d = lambda n, u: {"module": "keras.layers", "class_name": "Dense", "config": {"name": n, "units": u}, "registered_name": None}
cfg = {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [d("fc1", 3), d("fc2", 2)]}}
buf = io.BytesIO()
with h5py.File(buf, 'w') as h:
    h['layers/fc1/vars/0'] = np.ones((4, 3), np.float32)
    h['layers/fc2/vars/0'] = np.ones((3, 2), np.float32)
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('metadata.json', json.dumps({"keras_version": "3.5.0"}))
    z.writestr('config.json', json.dumps(cfg))
    z.writestr('model.weights.h5', buf.getvalue())
`,
      f,
    ]);
    const s = await readKerasSummary(f);
    assert.deepStrictEqual(
      s.keras!.layers.map((l) => [l.name, l.className, l.weights]),
      [
        ['fc1', 'Dense', ['fc1/vars/0']],
        ['fc2', 'Dense', ['fc2/vars/0']],
      ],
    );
    assert.deepStrictEqual(s.warnings, []);
  });

  for (const version of ['3.5.0', '3.8.0']) {
    it(`the .keras and its .h5 twin (same weights) diff with no layer removed or added and no weight changed (${version})`, async () => {
      const { keras, h5 } = write(dir, version);
      const d = await diffModels(h5, keras);
      assert.strictEqual(d.graph.counts.removed, 0, JSON.stringify(d.graph.rows));
      assert.strictEqual(d.graph.counts.added, 0, JSON.stringify(d.graph.rows));
      assert.strictEqual(d.graph.parameters.delta, 0);
      const w = d.weights;
      assert.ok(w.compared);
      const k = w.weightCounts;
      assert.deepStrictEqual({ changed: k.changed, shapeChanged: k.shapeChanged, dtypeChanged: k.dtypeChanged, added: k.added, removed: k.removed }, { changed: 0, shapeChanged: 0, dtypeChanged: 0, added: 0, removed: 0 });
      assert.strictEqual(k.a, 16);
      assert.strictEqual(k.b, 16);
      assert.ok(d.verdicts.some((v) => v.startsWith('same weights')), d.verdicts.join(' | '));
    });
  }
});
