/**
 * The diff's statistics for float32, bfloat16 and float16 tensors stored as plain bytes (issue #15,
 * "Past 2 GB": read both files a chunk ahead, decode to float32, one monomorphic loop) against numpy.
 * Tensors of more than one statistics chunk (2^20 elements), with a partial last chunk, NaN and ±Inf on
 * either side, and a pair whose dtype changed (float32 → bfloat16, same shape).
 *
 * The two safetensors files are written by test/support/safetensors_write.py (the published format) and
 * the reference statistics computed by numpy in float64 (/usr/bin/python3).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffModels } from '../../src/core/diff';

const PYTHON = '/usr/bin/python3';
const SUPPORT = path.join(__dirname, '..', '..', '..', 'test', 'support');

const WRITER = `
import json, os, sys
import numpy as np
from safetensors_write import write
d = sys.argv[1]
rng = np.random.default_rng(15)

def bf16_bytes(x):  # float32 → bfloat16 by truncation
    return (np.asarray(x, '<f4').view('<u4') >> 16).astype('<u2').tobytes()
def bf16_values(b):
    return (np.frombuffer(b, '<u2').astype('<u4') << 16).view('<f4').astype(np.float64)

def changed(a, every, scale):
    b = a.copy(); b[::every] += scale * rng.standard_normal(b[::every].shape).astype(b.dtype); return b

f32a = rng.standard_normal(1_500_000).astype('<f4')
f32b = changed(f32a, 7, 0.01); f32a[3] = np.nan; f32b[3] = np.nan; f32b[10] = np.inf; f32a[1_400_001] = -np.inf
h16a = rng.standard_normal(1_100_000).astype('<f2')
h16b = changed(h16a, 3, 0.1); h16b[5] = np.inf
b16a = bf16_bytes(rng.standard_normal(1_200_000) * 3)
v = bf16_values(b16a).astype('<f4'); v[::5] *= np.float32(1.5); b16b = bf16_bytes(v)
mixa = rng.standard_normal(1_050_000).astype('<f4')
mixb = bf16_bytes(mixa * np.float32(1.25))

write(os.path.join(d, 'a.safetensors'), [('f32', 'F32', (1500, 1000), f32a.tobytes()), ('f16', 'F16', (1_100_000,), h16a.tobytes()),
      ('bf16', 'BF16', (1200, 1000), b16a), ('mixed', 'F32', (1050, 1000), mixa.tobytes())])
write(os.path.join(d, 'b.safetensors'), [('f32', 'F32', (1500, 1000), f32b.tobytes()), ('f16', 'F16', (1_100_000,), h16b.tobytes()),
      ('bf16', 'BF16', (1200, 1000), b16b), ('mixed', 'BF16', (1050, 1000), mixb)])

def stats(a, b):
    fin = np.isfinite(a) & np.isfinite(b)
    d = b[fin] - a[fin]
    na, nb = np.sqrt(np.sum(a[fin] ** 2)), np.sqrt(np.sum(b[fin] ** 2))
    return {'count': int(a.size), 'changedCount': int(np.sum((a != b) & ~(np.isnan(a) & np.isnan(b)))), 'nonFinite': int(np.sum(~fin)),
            'maxAbs': float(np.max(np.abs(d))), 'meanAbs': float(np.mean(np.abs(d))),
            'l2': float(np.sqrt(np.sum(d * d))), 'normA': float(na), 'normB': float(nb),
            'cosine': float(np.sum(a[fin] * b[fin]) / (na * nb))}

f64 = lambda x: np.asarray(x).astype(np.float64)
print(json.dumps({'f32': stats(f64(f32a), f64(f32b)), 'f16': stats(f64(h16a), f64(h16b)),
                  'bf16': stats(bf16_values(b16a), bf16_values(b16b)), 'mixed': stats(f64(mixa), bf16_values(mixb))}))
`;

interface RefStats {
  count: number;
  changedCount: number;
  nonFinite: number;
  maxAbs: number;
  meanAbs: number;
  l2: number;
  normA: number;
  normB: number;
  cosine: number;
}

/** equal up to float64 summation order (ours sums in order, numpy pairwise) */
function close(a: number | null | undefined, b: number, what: string): void {
  assert.ok(typeof a === 'number', `${what}: ours ${a}`);
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ours ${a}, numpy ${b}`);
}

describe('diff statistics of float32 / bfloat16 / float16 tensors, several chunks each (numpy)', function () {
  this.timeout(120_000);
  let dir: string;
  let ref: Record<string, RefStats>;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-float-'));
    ref = JSON.parse(execFileSync(PYTHON, ['-c', WRITER, dir], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: SUPPORT } })) as Record<string, RefStats>;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every statistic as numpy computes it, for each tensor', async () => {
    const d = await diffModels(path.join(dir, 'a.safetensors'), path.join(dir, 'b.safetensors'));
    assert.strictEqual(d.weights.rows.length, 4);
    for (const [name, want] of Object.entries(ref)) {
      const row = d.weights.rows.find((r) => r.a?.name === name && r.b?.name === name);
      assert.ok(row, `no row for ${name}`);
      assert.strictEqual(row.status, name === 'mixed' ? 'dtype-changed' : 'changed', name);
      const st = row.stats!;
      assert.ok(st, `${name}: no statistics`);
      assert.strictEqual(st.count, want.count, `${name} count`);
      assert.strictEqual(st.changedCount, want.changedCount, `${name} changedCount`);
      assert.strictEqual(st.nonFinite, want.nonFinite, `${name} nonFinite`);
      close(st.maxAbs, want.maxAbs, `${name} maxAbs`);
      close(st.meanAbs, want.meanAbs, `${name} meanAbs`);
      close(st.l2, want.l2, `${name} l2`);
      close(st.normA, want.normA, `${name} normA`);
      close(st.normB, want.normB, `${name} normB`);
      close(st.cosine, want.cosine, `${name} cosine`);
    }
  });
});
