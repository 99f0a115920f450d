import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../support/cli';
import { alignSequences, diffModels, renderMarkdown, renderText, shapeChangeBreaks, type ModelDiff, type WeightRow } from '../../src/core/diff';
import { readModelSummary } from '../../src/core/formats';
import { fixture } from '../support/paths';

const PYTHON = '/usr/bin/python3';
const onnx = (f: string) => fixture('onnx', f);
const keras = (f: string) => fixture('keras', f);
const KERAS2CPP = ['18ec88f', '322a303', '4764d4e', '8b08a86', 'ad1d899', 'f3ea050'].map((c) => keras(`keras2cpp_my_nn_weights_${c}.h5`));

function py<T = unknown>(script: string, args: string[] = []): T {
  const out = execFileSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as T;
}

/**
 * Reference statistics by numpy, independent of our readers: ONNX through python3-onnx
 * (initializers and Constant values of every graph, subgraphs included), Keras through h5py.
 * argv: kind, file A, file B, then pairs "nameA\tnameB" (ONNX: tensor names; HDF5: dataset paths).
 */
const REFERENCE = `
import sys, json
import numpy as np
kind, fa, fb = sys.argv[1], sys.argv[2], sys.argv[3]
pairs = [p.split('\\t') for p in sys.argv[4:]]
def onnx_tensors(path):
    import onnx
    from onnx import numpy_helper, AttributeProto
    m = onnx.load(path)
    out = {}
    def walk(g):
        for t in g.initializer:
            out[t.name] = numpy_helper.to_array(t)
        for n in g.node:
            for a in n.attribute:
                if n.op_type == 'Constant' and a.name == 'value':
                    out[n.output[0]] = numpy_helper.to_array(a.t)
                if a.type == AttributeProto.GRAPH:
                    walk(a.g)
                elif a.type == AttributeProto.GRAPHS:
                    for g2 in a.graphs:
                        walk(g2)
    walk(m.graph)
    return lambda name: out[name]
def h5_tensors(path):
    import h5py
    f = h5py.File(path, 'r')
    return lambda name: f[name][()]
get = onnx_tensors if kind == 'onnx' else h5_tensors
ta, tb = get(fa), get(fb)
res = []
for na, nb in pairs:
    a = np.asarray(ta(na), dtype=np.float64).ravel()
    b = np.asarray(tb(nb), dtype=np.float64).ravel()
    d = b - a
    l2 = float(np.sqrt(np.sum(d * d)))
    norm_a = float(np.sqrt(np.sum(a * a)))
    norm_b = float(np.sqrt(np.sum(b * b)))
    res.append({
        'a': na, 'b': nb, 'equal': bool(np.array_equal(a, b)),
        'maxAbs': float(np.max(np.abs(d))) if d.size else 0.0,
        'l2': l2,
        'relative': l2 / norm_a if norm_a > 0 else None,
        'cosine': float(np.dot(a, b) / (norm_a * norm_b)) if norm_a > 0 and norm_b > 0 else None,
        'changedFraction': float(np.count_nonzero(a != b)) / a.size if a.size else 0.0,
    })
print(json.dumps(res))
`;

interface Ref {
  a: string;
  b: string;
  equal: boolean;
  maxAbs: number;
  l2: number;
  relative: number | null;
  cosine: number | null;
  changedFraction: number;
}

function close(actual: number | null | undefined, expected: number | null, what: string, rel = 1e-9): void {
  if (expected === null) {
    assert.strictEqual(actual, null, what);
    return;
  }
  assert.ok(typeof actual === 'number', `${what}: ${actual}`);
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs numpy ${expected}`);
}

/** Check the statistics of every compared row against numpy. Returns how many rows were checked. */
function checkStats(kind: 'onnx' | 'h5', fa: string, fb: string, rows: WeightRow[], key: (r: WeightRow, side: 'a' | 'b') => string): number {
  const withStats = rows.filter((r) => r.stats);
  if (!withStats.length) return 0;
  const refs = py<Ref[]>(REFERENCE, [kind, fa, fb, ...withStats.map((r) => `${key(r, 'a')}\t${key(r, 'b')}`)]);
  withStats.forEach((r, i) => {
    const s = r.stats!;
    const x = refs[i];
    const what = `${r.a!.name}`;
    assert.strictEqual(x.equal, false, `${what}: numpy says the values are equal`);
    close(s.maxAbs, x.maxAbs, `${what} max|Δ|`);
    close(s.l2, x.l2, `${what} ‖Δ‖₂`);
    close(s.relative, x.relative, `${what} relative`);
    close(s.cosine, x.cosine, `${what} cosine`, 1e-9);
    close(s.changedFraction, x.changedFraction, `${what} changed fraction`, 0);
  });
  return withStats.length;
}

const onnxName = (r: WeightRow, side: 'a' | 'b') => r[side]!.name;

async function datasetKey(file: string): Promise<(name: string) => string> {
  const s = await readModelSummary(file);
  const m = new Map(s.tensors.map((t) => [t.name, t.location.kind === 'hdf5' ? t.location.dataset : t.name]));
  return (name) => m.get(name)!;
}

function assertJsonClean(d: ModelDiff): void {
  const text = JSON.stringify(d);
  assert.ok(!/NaN|Infinity/.test(text.replace(/"[^"]*"/g, '')), 'no NaN/Infinity in the JSON');
  assert.deepStrictEqual(JSON.parse(text), d, 'the diff survives a JSON round trip unchanged');
}

describe('model diff (core)', function () {
  this.timeout(120000);

  it('aligns sequences (LCS) and judges shape changes', () => {
    const a = ['Conv', 'Relu', 'Conv', 'Relu', 'Gemm'];
    const b = ['Conv', 'Relu', 'BatchNorm', 'Conv', 'Relu', 'Gemm', 'Softmax'];
    assert.deepStrictEqual(alignSequences(a, b), [
      [0, 0],
      [1, 1],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    assert.deepStrictEqual(alignSequences([], b), []);
    // inputs: fixed → symbolic accepts more (fine); symbolic → fixed rejects old feeds
    assert.strictEqual(shapeChangeBreaks('input', [1, 24, 96], ['batch', 24, 96]), false);
    assert.strictEqual(shapeChangeBreaks('input', ['batch', 24], [1, 24]), true);
    assert.strictEqual(shapeChangeBreaks('input', [1, 24, 96], [1, 25, 96]), true);
    assert.strictEqual(shapeChangeBreaks('input', ['batch', 'seq'], [null, null]), false);
    // outputs: the other way round
    assert.strictEqual(shapeChangeBreaks('output', [1, 1], ['n', 1]), true);
    assert.strictEqual(shapeChangeBreaks('output', ['n', 1], [1, 1]), false);
    assert.strictEqual(shapeChangeBreaks('output', [1, 1], [1, 1, 1]), true);
  });

  it('a model against itself: identical models, nothing decoded', async () => {
    const d = await diffModels(onnx('silero_vad_v5.onnx'), onnx('silero_vad_v5.onnx'));
    assert.strictEqual(d.same, true);
    assert.deepStrictEqual(d.verdicts, ['identical models']);
    assert.strictEqual(d.weights.counts.identical, 341);
    assert.strictEqual(d.weights.tensorsDecoded, 0);
    assert.strictEqual(d.weights.rows.length, 0);
    assertJsonClean(d);
  });

  it('silero v4 → v5 is breaking: h/c replaced by state', async () => {
    const d = await diffModels(onnx('silero_vad_v4_legacy.onnx'), onnx('silero_vad_v5.onnx'));
    assert.strictEqual(d.breaking, true);
    assert.strictEqual(d.same, false);
    const by = (io: string, kind: string) =>
      d.interface.changes
        .filter((c) => c.io === io && c.kind === kind)
        .map((c) => c.name)
        .sort();
    assert.deepStrictEqual(by('input', 'removed'), ['c', 'h']);
    assert.deepStrictEqual(by('input', 'added'), ['state']);
    assert.deepStrictEqual(by('output', 'removed'), ['cn', 'hn']);
    assert.deepStrictEqual(by('output', 'added'), ['stateN']);
    for (const c of d.interface.changes) {
      if (c.kind === 'removed' || (c.kind === 'added' && c.io === 'input')) assert.strictEqual(c.breaking, true, c.text);
    }
    assert.match(d.verdicts[0], /^breaking: .*input h .*removed/);
    assert.match(d.verdicts[0], /new required input state float32\[2,\?,128\]/);
    // header: producer and the extra domain imports
    assert.ok(d.header.some((h) => h.field === 'producer' && h.a === 'pytorch 1.12.0' && h.b === 'spox'));
    assert.ok(d.header.some((h) => h.field === 'opset:com.microsoft' && h.a === 1 && h.b === null));
    assert.strictEqual(d.graph.parameters.a, 445117);
    assert.strictEqual(d.graph.parameters.b, 545580);
    assert.ok(d.graph.opHistogram.some((o) => o.op === 'LSTM' && o.a === 8 && o.b === 4));
    assertJsonClean(d);
  });

  it('silero v5 → v6 keeps the interface and changes weights (statistics match numpy)', async () => {
    const fa = onnx('silero_vad_v5.onnx');
    const fb = onnx('silero_vad_v6.onnx');
    const d = await diffModels(fa, fb);
    assert.strictEqual(d.breaking, false);
    assert.strictEqual(d.interface.same, true);
    assert.deepStrictEqual(d.header, []);
    assert.strictEqual(d.graph.same, true);
    const k = d.weights.weightCounts;
    assert.strictEqual(k.a, 28);
    assert.strictEqual(k.shapeChanged + k.dtypeChanged + k.added + k.removed, 0);
    assert.ok(k.changed > 20, `changed ${k.changed}`);
    assert.strictEqual(d.verdicts[0], `retrained: ${k.changed}/28 weight tensors changed, interface unchanged`);
    // only the tensors whose hashes differ were decoded, two at a time
    assert.strictEqual(d.weights.tensorsDecoded, 2 * d.weights.counts.changed);
    const n = checkStats('onnx', fa, fb, d.weights.rows, onnxName);
    assert.strictEqual(n, d.weights.counts.changed);
    assertJsonClean(d);
  });

  it('silero v5 vs the livekit re-export: no weight change although bytes and many names differ', async () => {
    const fa = onnx('silero_vad_v5.onnx');
    const fb = onnx('silero_vad_v5_livekit055_reexport.onnx');
    assert.notDeepStrictEqual(fs.readFileSync(fa), fs.readFileSync(fb));
    const d = await diffModels(fa, fb, { allWeightRows: true });
    const c = d.weights.counts;
    assert.deepStrictEqual(
      { changed: c.changed, shapeChanged: c.shapeChanged, dtypeChanged: c.dtypeChanged, added: c.added, removed: c.removed, identical: c.identical },
      { changed: 0, shapeChanged: 0, dtypeChanged: 0, added: 0, removed: 0, identical: 341 },
    );
    assert.ok(c.renamed > 100, `renamed ${c.renamed}`);
    assert.match(d.verdicts[0], /^same weights, tensors renamed/);
    assert.strictEqual(d.breaking, false);
    // all 24 large weight tensors (≥ 128 elements) matched by content
    const large = d.weights.rows.filter((r) => r.a!.paramCount >= 128 && r.a!.dtype === 'float32');
    assert.strictEqual(large.length, 24);
    assert.ok(large.every((r) => r.status === 'identical'));
    // every pairing the diff made is really equal (numpy on both files)
    const pairs = d.weights.rows.map((r) => `${r.a!.name}\t${r.b!.name}`);
    const refs = py<Ref[]>(REFERENCE, ['onnx', fa, fb, ...pairs]);
    assert.strictEqual(refs.length, 341);
    assert.ok(
      refs.every((x) => x.equal),
      `not equal: ${refs
        .filter((x) => !x.equal)
        .map((x) => x.a)
        .join(', ')}`,
    );
    assert.strictEqual(d.weights.tensorsDecoded, 0);
    assert.match(renderText(d), /same weights, tensors renamed/);
  });

  it('hello_deepa_old → hello_deepa: input shape change, parameter counts, changed weights (numpy)', async () => {
    const fa = onnx('hello_deepa_old.onnx');
    const fb = onnx('hello_deepa.onnx');
    const d = await diffModels(fa, fb);
    assert.strictEqual(d.breaking, true);
    assert.strictEqual(d.verdicts[0], 'breaking: input onnx::Flatten_0 [1,24,96] → [1,25,96]');
    assert.deepStrictEqual(
      d.interface.changes.map((c) => [c.kind, c.io, c.name, c.breaking]),
      [['shape', 'input', 'onnx::Flatten_0', true]],
    );
    assert.deepStrictEqual(d.graph.parameters, { a: 74977, b: 78049, delta: 3072 });
    assert.ok(d.verdicts.some((v) => v.includes('parameters 74,977 → 78,049 (+3,072)')), d.verdicts.join('\n'));
    const shape = d.weights.rows.filter((r) => r.status === 'shape-changed');
    assert.deepStrictEqual(
      shape.map((r) => [r.a!.name, r.a!.shape, r.b!.shape]),
      [['layer1.weight', [32, 2304], [32, 2400]]],
    );
    assert.strictEqual(checkStats('onnx', fa, fb, d.weights.rows, onnxName), d.weights.counts.changed);
    assert.ok(d.weights.counts.changed >= 8);
  });

  it('namaste_deepa vs hello_deepa_old: same architecture, retrained (numpy)', async () => {
    const fa = onnx('hello_deepa_old.onnx');
    const fb = onnx('namaste_deepa.onnx');
    const d = await diffModels(fa, fb);
    assert.strictEqual(d.interface.same, true);
    assert.strictEqual(d.graph.same, true);
    assert.match(d.verdicts[0], /^retrained: 10\/10 weight tensors changed, interface unchanged$/);
    assert.strictEqual(checkStats('onnx', fa, fb, d.weights.rows, onnxName), d.weights.counts.changed);
  });

  it('one float changed in a copy: exactly one tensor, exact Δ', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-diff-'));
    try {
      const fa = onnx('hello_deepa.onnx');
      const fb = path.join(dir, 'edited.onnx');
      fs.copyFileSync(fa, fb);
      const s = await readModelSummary(fa);
      const t = s.tensors.find((x) => x.name === 'layer1.bias')!;
      assert.strictEqual(t.location.kind, 'raw');
      const at = (t.location as { offset: number }).offset + 3 * 4;
      const buf = fs.readFileSync(fb);
      const old = buf.readFloatLE(at);
      buf.writeFloatLE(old + 0.25, at);
      fs.writeFileSync(fb, buf);
      const delta = Math.abs(Math.fround(old + 0.25) - old);
      const d = await diffModels(fa, fb);
      assert.strictEqual(d.verdicts[0], 'retrained: 1/10 weight tensors changed, interface unchanged');
      const [row] = d.weights.rows;
      assert.strictEqual(d.weights.rows.length, 1);
      assert.strictEqual(row.a!.name, 'layer1.bias');
      assert.strictEqual(row.stats!.changedCount, 1);
      assert.strictEqual(row.stats!.changedFraction, 1 / 32);
      assert.strictEqual(row.stats!.maxAbs, delta);
      assert.strictEqual(row.stats!.l2, delta);
      assert.strictEqual(d.weights.tensorsDecoded, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the same model saved with external data and with packed float_data: identical models', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-diff-'));
    try {
      const ext = path.join(dir, 'ext.onnx');
      const field = path.join(dir, 'field.onnx');
      execFileSync(PYTHON, [
        '-c',
        `
import sys, onnx
from onnx import numpy_helper, helper
src, ext, field = sys.argv[1:4]
m = onnx.load(src)
onnx.save_model(m, ext, save_as_external_data=True, all_tensors_to_one_file=True, location='ext.bin', size_threshold=0)
m = onnx.load(src)
new = [helper.make_tensor(t.name, t.data_type, list(t.dims), numpy_helper.to_array(t).flatten().tolist(), raw=False) for t in m.graph.initializer]
del m.graph.initializer[:]
m.graph.initializer.extend(new)
onnx.save_model(m, field)`,
        onnx('hello_deepa.onnx'),
        ext,
        field,
      ]);
      const se = await readModelSummary(ext);
      const sf = await readModelSummary(field);
      assert.ok(se.tensors.some((t) => t.location.kind === 'external'));
      assert.ok(sf.tensors.some((t) => t.location.kind === 'field'));
      for (const [a, b] of [
        [onnx('hello_deepa.onnx'), ext],
        [field, ext],
      ]) {
        const d = await diffModels(a, b);
        assert.strictEqual(d.same, true, d.verdicts.join('\n'));
        assert.deepStrictEqual(d.verdicts, ['identical models']);
        assert.strictEqual(d.weights.tensorsDecoded, 0);
      }
      // one external value changed: found, with the exact Δ
      const bin = path.join(dir, 'ext.bin');
      const t = se.tensors.find((x) => x.name === 'last_layer.bias')!;
      assert.strictEqual(t.location.kind, 'external');
      const at = (t.location as { offset: number }).offset;
      const buf = fs.readFileSync(bin);
      const old = buf.readFloatLE(at);
      buf.writeFloatLE(-old, at);
      fs.writeFileSync(bin, buf);
      const d = await diffModels(field, ext);
      assert.deepStrictEqual(
        d.weights.rows.map((r) => [r.status, r.a!.name]),
        [['changed', 'last_layer.bias']],
      );
      assert.strictEqual(d.weights.rows[0].stats!.maxAbs, Math.abs(2 * Math.fround(old)));
      assert.strictEqual(d.weights.rows[0].stats!.cosine, -1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fdeep stateful vs stateless: layer gru_1 → gru, weights identical (rename)', async () => {
    const d = await diffModels(keras('fdeep_temp_stateful_tf21.h5'), keras('fdeep_temp_stateless_tf21.h5'));
    const c = d.weights.counts;
    assert.deepStrictEqual([c.identical, c.renamed, c.changed, c.added, c.removed], [2, 2, 0, 0, 0]);
    assert.deepStrictEqual(
      d.weights.rows.map((r) => [r.a!.name, r.b!.name, r.status]),
      [
        ['gru_1/kernel:0', 'gru/kernel:0', 'identical'],
        ['gru_1/recurrent_kernel:0', 'gru/recurrent_kernel:0', 'identical'],
      ],
    );
    assert.match(d.verdicts[0], /^same weights, tensors renamed/);
    assert.strictEqual(d.breaking, false);
    assert.strictEqual(d.graph.unit, 'layers');
    const renamed = d.graph.rows.filter((r) => r.newName);
    assert.deepStrictEqual(
      renamed.map((r) => [r.name, r.newName]),
      [['gru_1', 'gru']],
    );
    // the layer's config differs only in `stateful` (the name aside)
    assert.deepStrictEqual(renamed[0].changes, [{ key: 'stateful', a: true, b: false }]);
    assert.deepStrictEqual(
      d.interface.changes.map((x) => [x.kind, x.name, x.newName, x.breaking]),
      [['renamed', 'gru_1', 'gru', false]],
    );
    assertJsonClean(d);
  });

  it('keras2cpp series (weights-only): shape changes match h5py, statistics match numpy', async () => {
    const shapesScript = `
import sys, json, h5py
out = []
for fn in sys.argv[1:]:
    f = h5py.File(fn, 'r')
    d = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset): d[obj.name.split('/')[-1]] = list(obj.shape)
    f.visititems(visit)
    out.append(d)
print(json.dumps(out))`;
    const shapes = py<Array<Record<string, number[]>>>(shapesScript, KERAS2CPP);
    let shapeChanges = 0;
    let checked = 0;
    for (let i = 0; i + 1 < KERAS2CPP.length; i++) {
      const [fa, fb] = [KERAS2CPP[i], KERAS2CPP[i + 1]];
      const d = await diffModels(fa, fb);
      const [sa, sb] = [shapes[i], shapes[i + 1]];
      const expected = Object.keys(sa)
        .filter((k) => k in sb && sa[k].join('x') !== sb[k].join('x'))
        .sort();
      const got = d.weights.rows
        .filter((r) => r.status === 'shape-changed')
        .map((r) => r.a!.name)
        .sort();
      assert.deepStrictEqual(got, expected, `${path.basename(fa)} → ${path.basename(fb)}`);
      for (const r of d.weights.rows.filter((x) => x.status === 'shape-changed')) {
        assert.deepStrictEqual(r.a!.shape, sa[r.a!.name]);
        assert.deepStrictEqual(r.b!.shape, sb[r.b!.name]);
      }
      shapeChanges += got.length;
      if (got.length) assert.ok(d.verdicts.some((v) => /shape changed/.test(v)), d.verdicts.join('\n'));
      const ka = await datasetKey(fa);
      const kb = await datasetKey(fb);
      checked += checkStats('h5', fa, fb, d.weights.rows, (r, side) => (side === 'a' ? ka : kb)(r[side]!.name));
    }
    assert.ok(shapeChanges >= 5, `shape changes ${shapeChanges}`);
    assert.ok(checked >= 10, `checked ${checked}`);
  });

  it('renders Markdown and text with verdicts first', async () => {
    const d = await diffModels({ file: onnx('hello_deepa_old.onnx'), label: 'old' }, { file: onnx('hello_deepa.onnx'), label: 'new' });
    const md = renderMarkdown(d);
    const lines = md.split('\n');
    assert.strictEqual(lines[0], '### Model diff: `old` → `new`');
    assert.strictEqual(lines[2], '- **breaking:** input onnx::Flatten_0 [1,24,96] → [1,25,96]');
    assert.ok(md.indexOf('#### Interface') > md.indexOf('- **breaking:**'));
    assert.match(md, /\| shape \| `layer1\.weight` \| float32\[32,2304\] \| float32\[32,2400\] \|/);
    assert.match(md, /\| changed \| `layer1\.bias` \|/);
    const text = renderText(d).split('\n');
    assert.match(text[0], /^A: old \(onnx/);
    assert.strictEqual(text[3], '  breaking: input onnx::Flatten_0 [1,24,96] → [1,25,96]');
  });
});

// ---------------------------------------------------------------- CLI


function gitEnv(home: string): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  const cfg = path.join(home, '.gitconfig');
  fs.writeFileSync(cfg, '');
  return {
    GIT_CONFIG_GLOBAL: cfg,
    GIT_AUTHOR_NAME: 'Test User',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test User',
    GIT_COMMITTER_EMAIL: 'test@example.com',
  };
}

describe('modelver diff (CLI)', function () {
  this.timeout(120000);
  let dir: string;
  const saved: Record<string, string | undefined> = {};

  before(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mv-diff-cli-')));
    for (const [k, v] of Object.entries(gitEnv(path.join(dir, 'home')))) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exit 0 for a file and a copy of it, 1 when they differ, 2 on errors', async () => {
    const copy = path.join(dir, 'copy.onnx');
    fs.copyFileSync(onnx('silero_vad_v5.onnx'), copy);
    const same = await cli(['diff', onnx('silero_vad_v5.onnx'), copy]);
    assert.strictEqual(same.code, 0, same.err);
    assert.match(same.out, /identical models/);

    const differ = await cli(['diff', onnx('silero_vad_v5.onnx'), onnx('silero_vad_v6.onnx')]);
    assert.strictEqual(differ.code, 1, differ.err);
    assert.match(differ.out, /retrained: \d+\/28 weight tensors changed/);

    const missing = await cli(['diff', path.join(dir, 'missing.onnx'), copy]);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.err, /missing\.onnx does not exist/);

    const notModel = await cli(['diff', fixture('data', 'iris.json'), copy]);
    assert.strictEqual(notModel.code, 2);
    assert.match(notModel.err, /not an ONNX model/);

    const usage = await cli(['diff', copy]);
    assert.strictEqual(usage.code, 2);
    assert.match(usage.err, /usage: modelver diff/);
    assert.strictEqual((await cli(['diff', copy, copy, '--json', '--md'])).code, 2);
    assert.strictEqual((await cli(['diff', copy, copy, '--bogus'])).code, 2);
  });

  it('--json and --md', async () => {
    const j = await cli(['diff', onnx('hello_deepa_old.onnx'), onnx('hello_deepa.onnx'), '--json']);
    assert.strictEqual(j.code, 1, j.err);
    const d = JSON.parse(j.out) as ModelDiff;
    assert.strictEqual(d.schema, 1);
    assert.strictEqual(d.breaking, true);
    assert.deepStrictEqual(d.graph.parameters, { a: 74977, b: 78049, delta: 3072 });
    const md = await cli(['diff', onnx('hello_deepa_old.onnx'), onnx('hello_deepa.onnx'), '--md']);
    assert.strictEqual(md.code, 1);
    assert.match(md.out, /^### Model diff: /);
  });

  it('path@vN against a git + Git LFS repository, temp files removed', async () => {
    const repo = path.join(dir, 'repo');
    fs.mkdirSync(path.join(repo, 'models'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    git('init', '-q', '-b', 'main');
    git('lfs', 'install', '--local');
    git('lfs', 'track', '*.onnx');
    const model = path.join(repo, 'models', 'wake.onnx');
    fs.copyFileSync(onnx('hello_deepa_old.onnx'), model);
    git('add', '.gitattributes', 'models/wake.onnx');
    git('commit', '-q', '-m', 'first');
    git('tag', 'first-release');
    fs.copyFileSync(onnx('hello_deepa.onnx'), model);
    git('add', 'models/wake.onnx');
    git('commit', '-q', '-m', 'second');
    // the blob in git is an LFS pointer
    assert.match(execFileSync('git', ['cat-file', '-p', 'HEAD:models/wake.onnx'], { cwd: repo, encoding: 'utf8' }), /^version https:\/\/git-lfs/);

    const tmpBefore = new Set(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('modelver-diff-')));
    const r = await cli(['diff', `${model}@v1`, `${model}@v2`, '--json']);
    assert.strictEqual(r.code, 1, r.err);
    const d = JSON.parse(r.out) as ModelDiff;
    assert.strictEqual(d.verdicts[0], 'breaking: input onnx::Flatten_0 [1,24,96] → [1,25,96]');
    assert.strictEqual(d.a.version?.version, 1);
    assert.strictEqual(d.b.version?.version, 2);
    assert.strictEqual(d.a.path, model);
    assert.strictEqual(d.a.label, `${model}@v1`);

    // relative paths with -C, a tag, 'latest', and the working file
    const same = await cli(['diff', '-C', repo, 'models/wake.onnx@latest', 'models/wake.onnx']);
    assert.strictEqual(same.code, 0, same.err + same.out);
    const tag = await cli(['diff', '-C', repo, 'models/wake.onnx@first-release', 'models/wake.onnx@v1']);
    assert.strictEqual(tag.code, 0, tag.err + tag.out);
    assert.match(tag.out, /A: models\/wake\.onnx@first-release \(v1\)/);

    const noVersion = await cli(['diff', `${model}@v9`, model]);
    assert.strictEqual(noVersion.code, 2);
    assert.match(noVersion.err, /no version 'v9'/);
    const outside = await cli(['diff', `${path.join(dir, 'nowhere', 'm.onnx')}@v1`, model]);
    assert.strictEqual(outside.code, 2);

    const leftovers = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('modelver-diff-') && !tmpBefore.has(f));
    assert.deepStrictEqual(leftovers, []);
  });
});
