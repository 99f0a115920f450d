/**
 * The weight diff's fast paths (same-name tensors compared byte for byte first, hashing only where a
 * match by content is still possible, B hashed on a worker thread) give exactly what the reference
 * path gives (every tensor hashed, A then B on one thread): same pairs, rows, statistics and verdicts.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffModels, type ModelDiff } from '../../src/core/diff';
import { fmtCount } from '../../src/core/diff/verdict';
import { configureWeightReads, hashThreadsStarted, useReferenceWeightPath } from '../../src/core/diff/weights';
import { readModelSummary } from '../../src/core/formats';
import { fixture } from '../support/paths';

const PYTHON = '/usr/bin/python3';

/**
 * Writes a.onnx and b.onnx (b: equal, changed, all-changed, renamed, swapped, -0 for +0, removed,
 * added, shape- and dtype-changed, duplicate-content tensors), b_ext.onnx (b with external data),
 * b_field.onnx (b with packed float_data/int64_data) and a_ext.onnx (a with external data).
 */
const WRITE_PAIR = `
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
out = sys.argv[1]
rng = np.random.default_rng(7)
f = lambda *s: rng.standard_normal(s).astype(np.float32)
A = {
  'w_same': f(64, 64), 'w_changed': f(64, 64), 'w_all': f(64, 64), 'w_renamed': f(32),
  'swap1': f(16, 16), 'swap2': f(16, 16), 'w_zero': np.zeros(8, np.float32), 'w_removed': f(10),
  'w_shape': f(4, 6), 'w_dtype': f(5), 'i_small': np.array([1, 2, 3], np.int64),
  'd1': f(20), 'd2': None, 'h16': rng.standard_normal(50).astype(np.float16),
}
A['d2'] = A['d1'].copy()
B = {k: v.copy() for k, v in A.items()}
B['w_changed'][3, 5] += 0.25
B['w_all'] = (B['w_all'] * 1.01).astype(np.float32)
B['w_renamed_new'] = B.pop('w_renamed')
B['swap1'], B['swap2'] = A['swap2'].copy(), A['swap1'].copy()
B['w_zero'][2] = -0.0
del B['w_removed']
B['w_added'] = f(12)
B['w_shape'] = A['w_shape'].reshape(6, 4).copy()
B['w_dtype'] = A['w_dtype'].astype(np.float64)
B['d2'][0] += 1
B['h16'][7] = np.float16(3.5)
def save(tensors, path, external=False, field=False):
    inits, nodes, outs = [], [], []
    for name, v in tensors.items():
        if field and v.dtype in (np.float32, np.int64):
            t = helper.make_tensor(name, (TensorProto.FLOAT if v.dtype == np.float32 else TensorProto.INT64), list(v.shape), v.flatten().tolist(), raw=False)
        else:
            t = numpy_helper.from_array(v, name)
        inits.append(t)
        nodes.append(helper.make_node('Identity', [name], [name + '_out']))
        outs.append(helper.make_tensor_value_info(name + '_out', t.data_type, list(v.shape)))
    g = helper.make_graph(nodes, 'g', [], outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)])
    if external:
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=path.split('/')[-1] + '.bin', size_threshold=0)
    else:
        onnx.save_model(m, path)
save(A, out + '/a.onnx')
save(A, out + '/a_ext.onnx', external=True)
save(B, out + '/b.onnx')
save(B, out + '/b_ext.onnx', external=True)
save(B, out + '/b_field.onnx', field=True)
`;

/** A diff with the figures that depend on the path taken (bytes read, time) left out. */
function comparable(d: ModelDiff): unknown {
  return { ...d, elapsedMs: 0, weights: { ...d.weights, bytesHashed: 0, bytesCompared: 0 } };
}

/** The diff by the fast paths and by the reference path, every row kept (identical ones too). */
async function both(a: string, b: string): Promise<{ fast: ModelDiff; reference: ModelDiff }> {
  const fast = await diffModels(a, b, { allWeightRows: true });
  const before = useReferenceWeightPath(true);
  try {
    return { fast, reference: await diffModels(a, b, { allWeightRows: true }) };
  } finally {
    useReferenceWeightPath(before);
  }
}

describe('weight diff: the fast paths give what hashing every tensor gives', function () {
  this.timeout(120000);
  let dir: string;
  const p = (f: string) => path.join(dir, f);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-weights-fast-'));
    execFileSync(PYTHON, ['-c', WRITE_PAIR, dir]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('equal, changed, renamed, swapped, -0, removed, added, shape/dtype changed: raw, external data and packed fields', async () => {
    const sb = await readModelSummary(p('b_ext.onnx'));
    assert.ok(sb.tensors.every((t) => t.location.kind === 'external'), 'b_ext keeps every tensor in external data');
    const sf = await readModelSummary(p('b_field.onnx'));
    assert.ok(sf.tensors.some((t) => t.location.kind === 'field'), 'b_field has packed fields');
    for (const [a, b] of [
      ['a.onnx', 'b.onnx'],
      ['b.onnx', 'a.onnx'],
      ['a.onnx', 'b_ext.onnx'],
      ['a_ext.onnx', 'b.onnx'],
      ['a.onnx', 'b_field.onnx'],
      ['b_field.onnx', 'a_ext.onnx'],
      ['a.onnx', 'a_ext.onnx'],
      ['a.onnx', 'a.onnx'],
    ]) {
      const { fast, reference } = await both(p(a), p(b));
      assert.deepStrictEqual(comparable(fast), comparable(reference), `${a} → ${b}`);
    }
    // what the pair holds, so that the comparison above covers each case
    const { fast } = await both(p('a.onnx'), p('b.onnx'));
    const status = Object.fromEntries(fast.weights.rows.filter((r) => r.status !== 'identical' || r.renamed || r.note).map((r) => [`${r.a?.name ?? ''}→${r.b?.name ?? ''}`, `${r.status}${r.renamed ? ' renamed' : ''}`]));
    assert.deepStrictEqual(status, {
      'w_changed→w_changed': 'changed',
      'w_all→w_all': 'changed',
      'w_renamed→w_renamed_new': 'identical renamed',
      'swap1→swap2': 'identical renamed',
      'swap2→swap1': 'identical renamed',
      'w_zero→w_zero': 'identical',
      'w_removed→': 'removed',
      'w_shape→w_shape': 'shape-changed',
      'w_dtype→w_dtype': 'dtype-changed',
      'd2→d2': 'changed',
      'h16→h16': 'changed',
      '→w_added': 'added',
    });
    assert.strictEqual(fast.weights.rows.find((r) => r.a?.name === 'w_zero')!.note, 'equal values, different bytes');
  });

  it('one changed tensor among equal ones: settled by comparing bytes, nothing hashed', async () => {
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-weights-one-'));
    try {
      const fa = fixture('onnx', 'hello_deepa.onnx');
      const fb = path.join(dir2, 'b.onnx');
      const s = await readModelSummary(fa);
      const t = s.tensors.find((x) => x.name === 'layer1.bias')!;
      const buf = fs.readFileSync(fa);
      const at = (t.location as { offset: number }).offset;
      buf.writeFloatLE(buf.readFloatLE(at) + 1, at);
      fs.writeFileSync(fb, buf);
      const d = await diffModels(fa, fb);
      assert.strictEqual(d.weights.counts.changed, 1);
      assert.strictEqual(d.weights.bytesHashed, 0, 'no tensor hashed');
      assert.ok(d.weights.bytesCompared > 0);
      const { fast, reference } = await both(fa, fb);
      assert.deepStrictEqual(comparable(fast), comparable(reference));
      assert.ok(reference.weights.bytesHashed > 0);
      assert.strictEqual(reference.weights.bytesCompared, 0);
    } finally {
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('hashing B on a worker thread gives the same digests (every tensor changed or moved)', async () => {
    const before = configureWeightReads({ hashThreadMinBytes: 0 });
    try {
      // b_field: B's tensors to hash are packed fields, decoded here; no thread for them
      for (const [a, b, thread] of [
        ['a.onnx', 'b.onnx', 1],
        ['a_ext.onnx', 'b_ext.onnx', 1],
        ['a.onnx', 'b_field.onnx', 0],
      ] as const) {
        const threads = hashThreadsStarted.count;
        const { fast, reference } = await both(p(a), p(b));
        assert.deepStrictEqual(comparable(fast), comparable(reference), `${a} → ${b}`);
        assert.ok(fast.weights.bytesHashed > 0, 'the swapped and renamed tensors were hashed');
        assert.strictEqual(hashThreadsStarted.count, threads + thread, `${a} → ${b}: hashing threads`);
      }
    } finally {
      configureWeightReads(before);
    }
  });

  it('real models (subgraphs with repeated names, re-exports with renamed tensors, Keras): the same diffs', async () => {
    const onnx = (f: string) => fixture('onnx', f);
    const keras = (f: string) => fixture('keras', f);
    const pairs: [string, string][] = [
      [onnx('silero_vad_v4_legacy.onnx'), onnx('silero_vad_v5.onnx')],
      [onnx('silero_vad_v5.onnx'), onnx('silero_vad_v6.onnx')],
      [onnx('silero_vad_v5.onnx'), onnx('silero_vad_v5_livekit055_reexport.onnx')],
      [onnx('silero_vad_16k_op15.onnx'), onnx('silero_vad_op18_ifless.onnx')],
      [onnx('hello_deepa_old.onnx'), onnx('hello_deepa.onnx')],
      [onnx('namaste_deepa.onnx'), onnx('hello_deepa_old.onnx')],
      [keras('fdeep_temp_stateful_tf21.h5'), keras('fdeep_temp_stateless_tf21.h5')],
      [keras('keras2cpp_my_nn_weights_18ec88f.h5'), keras('keras2cpp_my_nn_weights_f3ea050.h5')],
    ];
    for (const [a, b] of pairs) {
      const { fast, reference } = await both(a, b);
      assert.deepStrictEqual(comparable(fast), comparable(reference), `${path.basename(a)} → ${path.basename(b)}`);
    }
  });

  it('progress counts every tensor once while hashing (fast path, with the hashing thread, reference path)', async () => {
    for (const [ref, threadMin] of [
      [false, undefined],
      [false, 0],
      [true, undefined],
    ] as const) {
      const before = useReferenceWeightPath(ref);
      const limitsBefore = threadMin === undefined ? undefined : configureWeightReads({ hashThreadMinBytes: threadMin });
      try {
        const seen: number[] = [];
        let total = 0;
        const d = await diffModels(p('a.onnx'), p('b_ext.onnx'), {
          onProgress: (e) => {
            if (e.phase !== 'hash') return;
            seen.push(e.done);
            total = e.total;
          },
        });
        assert.strictEqual(total, d.a.tensorCount + d.b.tensorCount);
        assert.deepStrictEqual(seen, Array.from({ length: total }, (_, k) => k + 1), ref ? 'reference path' : `fast path, thread from ${threadMin ?? 'default'}`);
      } finally {
        useReferenceWeightPath(before);
        if (limitsBefore) configureWeightReads(limitsBefore);
      }
    }
  });
});

describe('verdict counts', function () {
  it('are written as toLocaleString("en-US") writes them (without loading ICU for whole numbers)', () => {
    const xs = [0, -0, 1, -1, 999, 1000, -1000, 123456, 1234567, -9876543210, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 1.5, 1234.5678, NaN, Infinity];
    let seed = 1;
    for (let i = 0; i < 5000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      xs.push(Math.floor(((seed / 2 ** 32 - 0.5) * 10 ** (i % 16)) | 0) + (i % 7) * 10 ** (i % 15));
    }
    for (const x of xs) assert.strictEqual(fmtCount(x), x.toLocaleString('en-US'), String(x));
  });
});
