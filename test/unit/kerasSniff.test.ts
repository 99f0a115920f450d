/**
 * Issue #11 point 10b: is an .h5/.hdf5 file a Keras model (the Model Summary takes it over) or other
 * HDF5 (data: it stays in VS Code's default editor)? src/core/formats/kerasSniff.ts answers from the
 * root group's attribute and child names, read with a small HDF5 walker. Checked here against h5py
 * (the reference reader) on every Keras fixture and on HDF5 files h5py writes in each layout (default
 * and 'latest' format, user blocks, deep symbol-table B-trees, creation order, dense storage), for the
 * verdicts, for how little it reads, and for damaged input (never throws, never loops).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isKerasModelFile, readHdf5Root, sniffKerasHdf5, type KerasSniff } from '../../src/core/formats/kerasSniff';
import { writeKerasModel } from '../../src/core/formats/kerasWriter';
import { fixture } from '../support/paths';

const PYTHON = '/usr/bin/python3';
const KERAS_FIXTURES = fs.readdirSync(fixture('keras')).filter((f) => f.endsWith('.h5')).sort();

function python(script: string, args: string[] = []): string {
  try {
    return execFileSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === 'ENOENT' || /No module named/.test(err.stderr ?? '')) {
      throw new Error(`${PYTHON} with h5py is needed: install it with \`bash scripts/ensure-apt.sh\` (python3-h5py)`);
    }
    throw e;
  }
}

/** HDF5 files written by h5py into `dir`, one per layout; returns their names. */
const WRITE_FILES = String.raw`
import sys, h5py, numpy as np
d = sys.argv[1]
def data(f):
    f.attrs['description'] = 'sensor readings'
    f.attrs['rate_hz'] = 100.0
    f.create_dataset('x', data=np.arange(1000 * 10, dtype='f4').reshape(1000, 10))
    f.create_dataset('y', data=np.arange(1000, dtype='i8'))
    g = f.create_group('meta')
    g.attrs['units'] = 'm/s'
    g.create_dataset('station', data=np.array([b'north', b'south']))
with h5py.File(d + '/data_default.h5', 'w') as f: data(f)
with h5py.File(d + '/data_latest.hdf5', 'w', libver='latest') as f: data(f)
with h5py.File(d + '/data_userblock.h5', 'w', userblock_size=512) as f: data(f)
with h5py.File(d + '/data_userblock_latest.h5', 'w', userblock_size=2048, libver='latest') as f: data(f)
with h5py.File(d + '/data_track_order.h5', 'w', track_order=True) as f: data(f)
with h5py.File(d + '/data_many.h5', 'w') as f:
    f.attrs['kind'] = 'many'
    for i in range(1500): f.create_dataset('s%04d' % i, data=np.arange(3))
with h5py.File(d + '/data_dense.h5', 'w', libver='latest') as f:
    for i in range(20): f.attrs['a%02d' % i] = i
    for i in range(20): f.create_dataset('d%02d' % i, data=np.arange(3))
with h5py.File(d + '/data_big.h5', 'w') as f:
    f.attrs['description'] = 'a big data file'
    f.create_dataset('frames', data=np.ones((2048, 4096), dtype='f4'))
with h5py.File(d + '/data_layers.h5', 'w') as f:
    f.create_dataset('layers/roads/vars/0', data=np.arange(4))
    f.create_group('vars')
# Keras 2 weights only (model.save_weights): layer_names on the root, as fixed-length bytes
with h5py.File(d + '/weights_only.h5', 'w') as f:
    f.attrs['layer_names'] = np.array([b'dense'])
    f.attrs['backend'] = b'tensorflow'
    g = f.create_group('dense')
    g.attrs['weight_names'] = np.array([b'dense/kernel:0'])
    g.create_dataset('dense/kernel:0', data=np.ones((3, 2), dtype='f4'))
# a model file without model_config: /model_weights with layer_names
with h5py.File(d + '/model_weights_only.h5', 'w') as f:
    g = f.create_group('model_weights')
    g.attrs['layer_names'] = np.array([b'dense'])
    l = g.create_group('dense')
    l.attrs['weight_names'] = np.array([b'dense/kernel:0'])
    l.create_dataset('dense/kernel:0', data=np.ones((3, 2), dtype='f4'))
# Keras 3 model.save_weights: layers/<layer>/vars/<i> and vars, in a .weights.h5 file
for name in ['k3.weights.h5']:
    with h5py.File(d + '/' + name, 'w') as f:
        f.create_dataset('layers/dense/vars/0', data=np.ones((3, 2), dtype='f4'))
        f.create_dataset('layers/dense/vars/1', data=np.zeros(2, dtype='f4'))
        f.create_group('vars')
# a model_config too big for an object header message (h5py still stores it compactly)
with h5py.File(d + '/big_config.h5', 'w') as f:
    f.attrs['model_config'] = b'{"class_name": "Sequential", "config": {"layers": []}, "pad": "' + b'x' * 200000 + b'"}'
    f.create_group('model_weights').attrs['layer_names'] = np.array([], dtype='S1')
# dense attributes (libver latest, more than 8): the walker cannot tell; the reader can
with h5py.File(d + '/dense_weights_only.h5', 'w', libver='latest') as f:
    f.attrs['layer_names'] = np.array([b'dense'])
    for i in range(12): f.attrs['note%02d' % i] = i
    g = f.create_group('dense')
    g.attrs['weight_names'] = np.array([b'dense/kernel:0'])
    g.create_dataset('dense/kernel:0', data=np.ones((3, 2), dtype='f4'))
`;

/** What h5py says of the root group: attribute names, child names, attributes of /model_weights. */
const H5PY_ROOT = String.raw`
import sys, json, h5py
out = {}
for fn in sys.argv[1:]:
    with h5py.File(fn, 'r') as f:
        mw = f.get('model_weights')
        out[fn] = {'attributes': sorted(f.attrs.keys()), 'children': sorted(f.keys()),
                   'model_weights': sorted(mw.attrs.keys()) if isinstance(mw, h5py.Group) else None}
print(json.dumps(out))
`;

describe('kerasSniff: is an HDF5 file a Keras model?', function () {
  this.timeout(120000);
  let tmp: string;
  const gen = (name: string) => path.join(tmp, name);

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-kerassniff-'));
    python(WRITE_FILES, [tmp]);
    // a tf.keras 2.x full model written by h5wasm (the demo's and the evaluation tests' writer)
    await writeKerasModel(gen('h5wasm_model.h5'), {
      name: 'tiny',
      inputShape: [3],
      layers: [{ kind: 'Dense', units: 2, activation: 'tanh', kernel: new Float32Array(6).fill(0.5), bias: new Float32Array([0.1, -0.1]) }],
    });
    fs.copyFileSync(gen('k3.weights.h5'), gen('k3_layout_named_data.h5'));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The files whose root group the walker reads in full (compact storage), with h5py's view of them. */
  const COMPACT = [
    'data_default.h5', 'data_latest.hdf5', 'data_userblock.h5', 'data_userblock_latest.h5', 'data_track_order.h5',
    'data_many.h5', 'data_big.h5', 'data_layers.h5', 'weights_only.h5', 'model_weights_only.h5', 'k3.weights.h5',
    'big_config.h5', 'h5wasm_model.h5',
  ];

  it('reads the root group of every Keras fixture and of each h5py layout as h5py does', async () => {
    const files = [...KERAS_FIXTURES.map((f) => fixture('keras', f)), ...COMPACT.map(gen)];
    const expected = JSON.parse(python(H5PY_ROOT, files)) as Record<string, { attributes: string[]; children: string[]; model_weights: string[] | null }>;
    for (const file of files) {
      const got = await readHdf5Root(file, { attributesOf: ['model_weights'] });
      assert.ok(got, `${file}: not read as HDF5`);
      const want = expected[file];
      assert.deepStrictEqual([...(got.attributes ?? ['<dense>'])].sort(), want.attributes, `${file}: root attributes`);
      assert.deepStrictEqual(got.children, want.children, `${file}: root children`);
      assert.deepStrictEqual(got.childAttributes.model_weights ? [...got.childAttributes.model_weights].sort() : null, want.model_weights, `${file}: /model_weights attributes`);
    }
  });

  it('says when the root group stores its attributes and links densely (it does not read fractal heaps)', async () => {
    const got = await readHdf5Root(gen('data_dense.h5'));
    assert.deepStrictEqual(got && { a: got.attributes, c: got.children }, { a: undefined, c: undefined });
  });

  it('Keras models — every fixture, weights-only files, model_weights without a config, Keras 3 .weights.h5, h5wasm-written — are keras', async () => {
    const files = [
      ...KERAS_FIXTURES.map((f) => fixture('keras', f)),
      ...['weights_only.h5', 'model_weights_only.h5', 'k3.weights.h5', 'big_config.h5', 'h5wasm_model.h5'].map(gen),
    ];
    for (const f of files) {
      assert.strictEqual(await sniffKerasHdf5(f), 'keras', f);
      assert.strictEqual(await isKerasModelFile(f), true, f);
    }
  });

  it('plain HDF5 data files are not keras, in every layout (a `layers` group alone does not make one)', async () => {
    const files = ['data_default.h5', 'data_latest.hdf5', 'data_userblock.h5', 'data_userblock_latest.h5', 'data_track_order.h5', 'data_many.h5', 'data_big.h5', 'data_layers.h5', 'k3_layout_named_data.h5'];
    for (const f of files) {
      assert.strictEqual(await sniffKerasHdf5(gen(f)), 'not-keras', f);
      assert.strictEqual(await isKerasModelFile(gen(f)), false, f);
    }
  });

  it('dense storage: the walker says unknown, and the Keras reader decides (data: no; weights: yes)', async () => {
    assert.strictEqual(await sniffKerasHdf5(gen('data_dense.h5')), 'unknown');
    assert.strictEqual(await isKerasModelFile(gen('data_dense.h5')), false);
    assert.strictEqual(await sniffKerasHdf5(gen('dense_weights_only.h5')), 'unknown');
    assert.strictEqual(await isKerasModelFile(gen('dense_weights_only.h5')), true);
  });

  it('files that are not HDF5 (ONNX, empty, an LFS pointer, missing, a folder) are not keras', async () => {
    fs.copyFileSync(fixture('onnx', 'hello_deepa.onnx'), gen('onnx_named.h5'));
    fs.writeFileSync(gen('empty.h5'), '');
    fs.writeFileSync(gen('pointer.h5'), 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 1234\n');
    fs.mkdirSync(gen('folder.h5'));
    for (const f of ['onnx_named.h5', 'empty.h5', 'pointer.h5', 'missing.h5', 'folder.h5']) {
      assert.strictEqual(await sniffKerasHdf5(gen(f)), 'not-keras', f);
      assert.strictEqual(await isKerasModelFile(gen(f)), false, f);
    }
  });

  it('reads only a few KiB, however big the file', async () => {
    const measure = async (file: string) => {
      let bytes = 0;
      let reads = 0;
      const verdict = await sniffKerasHdf5(file, { onRead: (_p, n) => ((bytes += n), reads++) });
      return { verdict, bytes, reads, size: fs.statSync(file).size };
    };
    const big = await measure(gen('data_big.h5'));
    const model = await measure(fixture('keras', 'keras2c_conv1d_profiles.h5'));
    const many = await measure(gen('data_many.h5'));
    console.log(`      read: data ${big.size} B → ${big.bytes} B in ${big.reads} reads; Keras model ${model.size} B → ${model.bytes} B in ${model.reads} reads; 1500 root datasets → ${many.bytes} B in ${many.reads} reads`);
    assert.ok(big.size > 30 * 1024 * 1024, 'the data file is big');
    assert.strictEqual(big.verdict, 'not-keras');
    assert.ok(big.bytes < 16 * 1024, `read ${big.bytes} bytes of a ${big.size}-byte data file`);
    assert.strictEqual(model.verdict, 'keras');
    assert.ok(model.bytes < 64 * 1024, `read ${model.bytes} bytes of a ${model.size}-byte model`);
    assert.ok(many.bytes < 256 * 1024, `read ${many.bytes} bytes of a root group with 1500 children`);
  });

  it('damaged files (flipped bytes, cut off) never throw or hang: a verdict within the read budget', async () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const sources = [fixture('keras', 'fdeep_lstm.h5'), gen('data_latest.hdf5'), gen('data_many.h5')];
    const seen = new Map<KerasSniff, number>();
    for (const src of sources) {
      const bytes = fs.readFileSync(src);
      for (let i = 0; i < 120; i++) {
        const b = Buffer.from(bytes.subarray(0, i % 4 === 0 ? Math.floor(rand() * Math.min(bytes.length, 8192)) : bytes.length));
        for (let k = 0; k < 1 + Math.floor(rand() * 4) && b.length; k++) b[Math.floor(rand() * Math.min(b.length, 4096))] = Math.floor(rand() * 256);
        const f = gen(`damaged-${i}.h5`);
        fs.writeFileSync(f, b);
        let read = 0;
        const v = await sniffKerasHdf5(f, { onRead: (_p, n) => (read += n), maxBytes: 1024 * 1024 });
        assert.ok(['keras', 'not-keras', 'unknown'].includes(v), `${src} #${i}: ${String(v)}`);
        assert.ok(read <= 1024 * 1024, `${src} #${i}: read ${read} bytes`);
        seen.set(v, (seen.get(v) ?? 0) + 1);
      }
    }
    assert.ok((seen.get('unknown') ?? 0) > 0, `some damage is noticed: ${JSON.stringify([...seen])}`);
  });
});
