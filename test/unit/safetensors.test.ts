/**
 * The safetensors reader (issue #15 §1, §5): files written here by a small Python script that follows the
 * published format with json + struct + numpy only (no safetensors library: Debian has none), and read
 * back by that script's own json/struct parser and numpy decoding, which are the reference. bfloat16 and
 * the float8 types are made by bit manipulation in Python and decoded there from their definitions.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { diffModels } from '../../src/core/diff';
import { ModelFormatError, readModelSummary, readTensor, type ModelSummary } from '../../src/core/formats';
import { float8Table } from '../../src/core/formats/minifloat';
import { parseStrictJson } from '../../src/core/formats/safetensors';
import { isSafetensors } from '../../src/core/formats/sniff';
import { fixture, REPO_ROOT } from '../support/paths';

const PYTHON = '/usr/bin/python3';

const WRITER = String.raw`
import json, struct, sys, os
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)

from safetensors_write import write

def bf16(x):
    # the top 16 bits of each float32 (truncation)
    return (np.asarray(x, '<f4').view('<u4') >> 16).astype('<u2').tobytes()

def f8(bits, E, M, bias, kind):
    b = np.asarray(bits, np.int64)
    s = np.where(b & 0x80, -1.0, 1.0)
    e = (b >> M) & ((1 << E) - 1)
    m = b & ((1 << M) - 1)
    v = s * np.where(e == 0, np.ldexp(m / 2.0 ** M, 1 - bias), np.ldexp(1 + m / 2.0 ** M, e - bias))
    top = (1 << E) - 1
    if kind == 'fn':
        v = np.where((e == top) & (m == (1 << M) - 1), np.nan, v)
    else:
        v = np.where(e == top, np.where(m == 0, s * np.inf, np.nan), v)
    return v

NP = {'F64': '<f8', 'F32': '<f4', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'I8': 'i1', 'U8': 'u1', 'U16': '<u2', 'U32': '<u4', 'U64': '<u8', 'BOOL': 'u1'}

def decode(dt, b):
    if dt == 'F16':
        return np.frombuffer(b, '<f2').astype(np.float64)
    if dt == 'BF16':
        return (np.frombuffer(b, '<u2').astype('<u4') << 16).view('<f4').astype(np.float64)
    if dt == 'F8_E4M3':
        return f8(np.frombuffer(b, np.uint8), 4, 3, 7, 'fn')
    if dt == 'F8_E5M2':
        return f8(np.frombuffer(b, np.uint8), 5, 2, 15, 'ieee')
    return np.frombuffer(b, NP[dt]).astype(np.float64)

def parse(path):
    """The reference reader: struct for the length, json for the header."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    ts = []
    for name, v in header.items():
        a, z = v['data_offsets']
        ts.append({'name': name, 'dtype': v['dtype'], 'shape': v['shape'], 'offset': 8 + n + a, 'length': z - a, 'values': decode(v['dtype'], raw[8 + n + a:8 + n + z])})
    ts.sort(key=lambda t: t['offset'])
    return meta, ts

def stats(a, b):
    """What the diff reports for b - a, over the finite elements."""
    fin = np.isfinite(a) & np.isfinite(b)
    d = b[fin] - a[fin]
    changed = int(np.sum((a != b) & ~(np.isnan(a) & np.isnan(b))))
    return {'count': int(a.size), 'changedCount': changed, 'nonFinite': int(np.sum(~fin)),
            'maxAbs': float(np.max(np.abs(d))) if d.size else 0.0, 'meanAbs': float(np.mean(np.abs(d))) if d.size else None,
            'l2': float(np.sqrt(np.sum(d * d))), 'normA': float(np.sqrt(np.sum(a[fin] ** 2))), 'normB': float(np.sqrt(np.sum(b[fin] ** 2)))}

def jsonable(v):
    return [None if np.isnan(x) else ('inf' if x == np.inf else '-inf' if x == -np.inf else float(x)) for x in v]

# 1. every dtype the issue names, a scalar, an empty tensor, and __metadata__
n32 = rng.standard_normal(64).astype('<f4')
every = [
    ('f64', 'F64', (2, 3), rng.standard_normal(6).astype('<f8').tobytes()),
    ('f32', 'F32', (4, 5), rng.standard_normal(20).astype('<f4').tobytes()),
    ('f16', 'F16', (3, 7), rng.standard_normal(21).astype('<f2').tobytes()),
    ('bf16', 'BF16', (5, 3), bf16(rng.standard_normal(15) * 3)),
    ('f8_e4m3_every_code', 'F8_E4M3', (256,), bytes(range(256))),
    ('f8_e5m2_every_code', 'F8_E5M2', (16, 16), bytes(range(256))),
    ('i64', 'I64', (3,), np.array([-2 ** 40, 0, 12345], '<i8').tobytes()),
    ('i32', 'I32', (2, 2), np.array([-7, 1 << 30, 3, -1], '<i4').tobytes()),
    ('i16', 'I16', (3,), np.array([-32768, 5, 32767], '<i2').tobytes()),
    ('i8', 'I8', (4,), np.array([-128, -1, 0, 127], 'i1').tobytes()),
    ('u8', 'U8', (2, 3), bytes([0, 1, 2, 128, 254, 255])),
    ('u16', 'U16', (2,), np.array([0, 65535], '<u2').tobytes()),
    ('u32', 'U32', (2,), np.array([1, 4000000000], '<u4').tobytes()),
    ('u64', 'U64', (1,), np.array([2 ** 50], '<u8').tobytes()),
    ('bool', 'BOOL', (5,), bytes([1, 0, 0, 1, 1])),
    ('scalar', 'F32', (), np.array([2.5], '<f4').tobytes()),
    ('empty', 'F32', (0, 3), b''),
    ('model.layers.0.self_attn.q_proj.weight', 'F16', (2, 2), np.array([1, -2, 0.5, 65504], '<f2').tobytes()),
]
write(os.path.join(out, 'every.safetensors'), every, {'format': 'pt', 'trained on': 'unit test \u00e9'})
# the same names, shapes and dtypes with every byte 0 (all values 0): a diff against it gives the values' own statistics
write(os.path.join(out, 'zeros.safetensors'), [(n, d, s, bytes(len(b))) for n, d, s, b in every], {'format': 'pt', 'trained on': 'unit test \u00e9'})

# 2. a pair for the weight statistics of each decoded type: b = a with some elements changed
pair_a, pair_b = [], []
for name, dt, make in [
    ('w_f16', 'F16', lambda x: x.astype('<f2').tobytes()),
    ('w_bf16', 'BF16', lambda x: bf16(x)),
    ('w_f8_e4m3', 'F8_E4M3', None),
    ('w_f8_e5m2', 'F8_E5M2', None),
    ('w_i8', 'I8', lambda x: np.clip(np.round(x * 40), -128, 127).astype('i1').tobytes()),
    ('w_f32', 'F32', lambda x: x.astype('<f4').tobytes()),
]:
    x = rng.standard_normal(300)
    y = x.copy()
    y[::7] += rng.standard_normal(len(y[::7])) * 0.5
    if make is None:
        # float8: random codes that are neither NaN nor infinite; b changes every 7th code
        E, M, bias, kind = (4, 3, 7, 'fn') if dt == 'F8_E4M3' else (5, 2, 15, 'ieee')
        ok = [c for c in range(256) if np.isfinite(f8([c], E, M, bias, kind)[0])]
        ca = rng.choice(ok, 300).astype(np.uint8)
        cb = ca.copy()
        cb[::7] = rng.choice(ok, len(cb[::7]))
        ba, bb = ca.tobytes(), cb.tobytes()
    else:
        ba, bb = make(x), make(y)
    pair_a.append((name, dt, (20, 15), ba))
    pair_b.append((name, dt, (20, 15), bb))
write(os.path.join(out, 'a.safetensors'), pair_a, {'format': 'pt'})
write(os.path.join(out, 'b.safetensors'), pair_b, {'format': 'pt'})

# 3. a sharded model (two shards and an index), the same model as one file, and a copy with one tensor changed
whole = [('layer.%d.weight' % i, 'F32', (8, 4), rng.standard_normal(32).astype('<f4').tobytes()) for i in range(6)]
write(os.path.join(out, 'whole.safetensors'), whole, {'format': 'pt'})
for folder, tensors in [('sharded', whole), ('sharded_b', whole[:4] + [(whole[4][0], 'F32', (8, 4), (np.frombuffer(whole[4][3], '<f4') * np.float32(1.5)).astype('<f4').tobytes())] + whole[5:])]:
    d = os.path.join(out, folder)
    os.makedirs(d)
    shards = {'model-00001-of-00002.safetensors': tensors[:3], 'model-00002-of-00002.safetensors': tensors[3:]}
    wm = {}
    for f, ts in shards.items():
        write(os.path.join(d, f), ts, {'format': 'pt'})
        for t in ts:
            wm[t[0]] = f
    with open(os.path.join(d, 'model.safetensors.index.json'), 'w') as fh:
        json.dump({'metadata': {'total_size': sum(len(t[3]) for t in tensors)}, 'weight_map': wm}, fh, indent=2)

# the reference's view of these files
ref = {}
for name in ['every', 'zeros', 'a', 'b', 'whole']:
    meta, ts = parse(os.path.join(out, name + '.safetensors'))
    ref[name] = {'metadata': meta, 'tensors': [{k: (jsonable(v) if k == 'values' else v) for k, v in t.items()} for t in ts]}
def values(name):
    return {t['name']: t['values'] for t in parse(os.path.join(out, name + '.safetensors'))[1]}
ez, ev = values('zeros'), values('every')
ref['every_stats'] = {n: stats(ez[n], ev[n]) for n in ev}
pa, pb = values('a'), values('b')
ref['pair_stats'] = {n: stats(pa[n], pb[n]) for n in pa}
ref['f8'] = {'float8e4m3fn': jsonable(f8(range(256), 4, 3, 7, 'fn')), 'float8e5m2': jsonable(f8(range(256), 5, 2, 15, 'ieee'))}
json.dump(ref, open(os.path.join(out, 'ref.json'), 'w'))
`;

interface RefTensor {
  name: string;
  dtype: string;
  shape: number[];
  offset: number;
  length: number;
  values: (number | string | null)[];
}
interface RefStats {
  count: number;
  changedCount: number;
  nonFinite: number;
  maxAbs: number;
  meanAbs: number | null;
  l2: number;
  normA: number;
  normB: number;
}
interface Ref {
  [file: string]: unknown;
  every_stats: Record<string, RefStats>;
  pair_stats: Record<string, RefStats>;
  f8: Record<string, (number | string | null)[]>;
}

const DTYPE_NAMES: Record<string, string> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F8_E4M3: 'float8e4m3fn',
  F8_E5M2: 'float8e5m2',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  U16: 'uint16',
  U32: 'uint32',
  U64: 'uint64',
  BOOL: 'bool',
};

const num = (v: number | string | null): number => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

/** a and b equal within a relative 1e-12 (the sums run in another order here than in numpy) */
function close(a: number | null, b: number | null, what: string): void {
  assert.ok(a !== null && b !== null, `${what}: ${a} vs ${b}`);
  assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ours ${a}, numpy ${b}`);
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

/** A safetensors file from a header (object or raw text) and data bytes; `length` overrides the header length. */
function craft(file: string, header: unknown, data: Buffer = Buffer.alloc(0), length?: bigint): string {
  const h = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(length ?? BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([n, h, data]));
  return file;
}

async function rejectsWith(file: string, code: string, message: RegExp): Promise<void> {
  await assert.rejects(readModelSummary(file), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, String(e));
    assert.strictEqual(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('safetensors reader', function () {
  this.timeout(60_000);
  let dir: string;
  let ref: Ref;
  const f = (...p: string[]) => path.join(dir, ...p);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-safetensors-'));
    execFileSync(PYTHON, ['-c', WRITER, dir], { env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'test', 'support') } }); // safetensors_write.py
    ref = JSON.parse(fs.readFileSync(f('ref.json'), 'utf8')) as Ref;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('summarizes every dtype as the json/struct reference reads the header: names, dtypes, shapes, offsets, __metadata__', async () => {
    const s = await readModelSummary(f('every.safetensors'));
    const r = ref['every'] as { metadata: Record<string, string>; tensors: RefTensor[] };
    assert.strictEqual(s.format, 'safetensors');
    assert.strictEqual(s.fileSize, fs.statSync(f('every.safetensors')).size);
    assert.deepStrictEqual(s.metadata, r.metadata);
    assert.deepStrictEqual(
      s.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, location: t.location })),
      r.tensors.map((t) => ({ name: t.name, dtype: DTYPE_NAMES[t.dtype], shape: t.shape, location: { kind: 'raw', offset: t.offset, length: t.length } })),
    );
    const count = (shape: number[]) => shape.reduce((a, d) => a * d, 1);
    assert.strictEqual(s.parameterCount, r.tensors.reduce((a, t) => a + count(t.shape), 0));
    assert.deepStrictEqual(s.warnings, []);
    assert.strictEqual(s.tensors.find((t) => t.name === 'scalar')?.paramCount, 1);
    assert.strictEqual(s.tensors.find((t) => t.name === 'empty')?.paramCount, 0);
  });

  it("reads each tensor's bytes at the reference's offset (one positional read per tensor)", async () => {
    const s = await readModelSummary(f('every.safetensors'));
    const raw = fs.readFileSync(f('every.safetensors'));
    for (const t of s.tensors) {
      const d = await readTensor(f('every.safetensors'), s, t);
      const loc = t.location as { offset: number; length: number };
      const bytes = Buffer.from((d.data as Uint8Array).buffer, (d.data as Uint8Array).byteOffset, (d.data as Uint8Array).byteLength);
      assert.ok(bytes.equals(raw.subarray(loc.offset, loc.offset + loc.length)), t.name);
      assert.deepStrictEqual(d.shape, t.shape);
    }
    const i64 = await readTensor(f('every.safetensors'), s, s.tensors.find((t) => t.name === 'i64')!);
    assert.deepStrictEqual([...(i64.data as BigInt64Array)], [-(2n ** 40n), 0n, 12345n]);
  });

  it('decodes the 256 codes of F8_E4M3 and F8_E5M2 as numpy computes them from their definitions', () => {
    for (const [dtype, want] of Object.entries(ref.f8)) {
      const t = float8Table(dtype)!;
      want.forEach((v, code) => assert.ok(Object.is(t[code], num(v)) || (Number.isNaN(t[code]) && Number.isNaN(num(v))), `${dtype} code ${code}: ours ${t[code]}, numpy ${num(v)}`));
    }
    // landmarks of the OCP FP8 definitions: the largest finite values and the smallest subnormals
    assert.strictEqual(float8Table('float8e4m3fn')![0x7e], 448);
    assert.strictEqual(float8Table('float8e4m3fn')![0x01], 2 ** -9);
    assert.strictEqual(float8Table('float8e5m2')![0x7b], 57344);
    assert.strictEqual(float8Table('float8e5m2')![0x7c], Infinity);
    assert.strictEqual(float8Table('float8e5m2')![0x01], 2 ** -16);
  });

  it('weight diff: every dtype decoded to float64 gives numpy\'s statistics (each tensor against all zeros)', async () => {
    const d = await diffModels(f('zeros.safetensors'), f('every.safetensors'), { allWeightRows: true });
    const rows = new Map(d.weights.rows.map((r) => [r.b?.name ?? r.a?.name, r]));
    for (const [name, want] of Object.entries(ref.every_stats)) {
      const row = rows.get(name)!;
      if (want.changedCount === 0) {
        assert.strictEqual(row.status, 'identical', name);
        continue;
      }
      assert.strictEqual(row.status, 'changed', name);
      const st = row.stats!;
      assert.strictEqual(st.changedCount, want.changedCount, name);
      assert.strictEqual(st.nonFinite, want.nonFinite, name);
      close(st.maxAbs, want.maxAbs, `${name} maxAbs`);
      close(st.meanAbs, want.meanAbs, `${name} meanAbs`);
      close(st.l2, want.l2, `${name} l2`);
      close(st.normB, want.normB, `${name} normB`);
    }
  });

  it('weight diff: F16, BF16, F8_E4M3, F8_E5M2, I8 and F32 tensors with some elements changed give numpy\'s statistics', async () => {
    const d = await diffModels(f('a.safetensors'), f('b.safetensors'));
    assert.strictEqual(d.same, false);
    for (const [name, want] of Object.entries(ref.pair_stats)) {
      const row = d.weights.rows.find((r) => r.a?.name === name)!;
      assert.strictEqual(row.status, 'changed', name);
      const st = row.stats!;
      assert.strictEqual(st.count, want.count, name);
      assert.strictEqual(st.changedCount, want.changedCount, name);
      assert.ok(st.changedCount > 0 && st.changedCount < st.count, name);
      close(st.maxAbs, want.maxAbs, `${name} maxAbs`);
      close(st.l2, want.l2, `${name} l2`);
      close(st.normA, want.normA, `${name} normA`);
      close(st.normB, want.normB, `${name} normB`);
    }
  });

  it('modelver inspect --json carries every tensor name and the parameter count; the text names the format and __metadata__', async () => {
    const r = await cli('inspect', f('every.safetensors'), '--json');
    assert.strictEqual(r.code, 0, r.err);
    const s = JSON.parse(r.out) as ModelSummary;
    const want = (ref['every'] as { tensors: RefTensor[] }).tensors;
    assert.deepStrictEqual(s.tensors.map((t) => t.name), want.map((t) => t.name));
    assert.strictEqual(s.parameterCount, want.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0));
    const text = await cli('inspect', f('every.safetensors'), '--tensors', '50');
    assert.strictEqual(text.code, 0, text.err);
    assert.match(text.out, /format:\s+safetensors\n/);
    assert.match(text.out, /metadata:\n {2}format: pt\n {2}trained on: unit test é/);
    assert.match(text.out, /model\.layers\.0\.self_attn\.q_proj\.weight {2}float16\[2,2\] {2}4\n/);
  });

  it('modelver diff exits 0 for a file against itself, and 1 naming the tensor when one tensor changed', async () => {
    const same = await cli('diff', f('whole.safetensors'), f('whole.safetensors'));
    assert.strictEqual(same.code, 0, same.err + same.out);
    const other = f('whole_one_changed.safetensors');
    // one element of layer.2.weight changed in place
    const raw = fs.readFileSync(f('whole.safetensors'));
    const s = await readModelSummary(f('whole.safetensors'));
    const loc = s.tensors.find((t) => t.name === 'layer.2.weight')!.location as { offset: number };
    raw.writeFloatLE(raw.readFloatLE(loc.offset + 8) + 1, loc.offset + 8);
    fs.writeFileSync(other, raw);
    const d = await cli('diff', f('whole.safetensors'), other);
    assert.strictEqual(d.code, 1, d.err);
    assert.match(d.out, /layer\.2\.weight/);
    const j = await cli('diff', f('whole.safetensors'), other, '--json');
    const rows = (JSON.parse(j.out) as { weights: { rows: { status: string; a?: { name: string } }[] } }).weights.rows;
    assert.deepStrictEqual(
      rows.filter((r) => r.status !== 'identical').map((r) => [r.status, r.a?.name]),
      [['changed', 'layer.2.weight']],
    );
  });

  it('a sharded model (index file or its folder) is one model: the tensors of all shards, each read from its shard', async () => {
    const whole = await readModelSummary(f('whole.safetensors'));
    const idx = await readModelSummary(f('sharded', 'model.safetensors.index.json'));
    const folder = await readModelSummary(f('sharded'));
    const shape = (s: ModelSummary) => s.tensors.map((t) => [t.name, t.dtype, t.shape, t.paramCount]);
    assert.deepStrictEqual(shape(idx), shape(whole));
    assert.deepStrictEqual(folder, idx);
    assert.strictEqual(idx.format, 'safetensors');
    assert.strictEqual(idx.path, f('sharded', 'model.safetensors.index.json'));
    assert.strictEqual(idx.parameterCount, whole.parameterCount);
    assert.deepStrictEqual(
      idx.safetensors?.shards?.map((x) => [path.basename(x.file), x.tensors]),
      [
        ['model-00001-of-00002.safetensors', 3],
        ['model-00002-of-00002.safetensors', 3],
      ],
    );
    const files = ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    assert.strictEqual(idx.fileSize, files.reduce((a, x) => a + fs.statSync(f('sharded', x)).size, 0));
    assert.deepStrictEqual(idx.metadata, { format: 'pt' });
    assert.deepStrictEqual(idx.warnings, []);
    for (const [i, t] of idx.tensors.entries()) {
      const x = await readTensor(f('sharded'), folder, t);
      const y = await readTensor(f('whole.safetensors'), whole, whole.tensors[i]);
      assert.deepStrictEqual(x.data, y.data, t.name);
    }
    assert.strictEqual(path.basename((idx.tensors[4].location as { file: string }).file), 'model-00002-of-00002.safetensors');
  });

  it('modelver diff and inspect accept the index file and the folder: 0 against the same model as one file, 1 naming the changed tensor', async () => {
    const a = await cli('diff', f('sharded', 'model.safetensors.index.json'), f('whole.safetensors'));
    assert.strictEqual(a.code, 0, a.err + a.out);
    const b = await cli('diff', f('sharded'), f('sharded_b'));
    assert.strictEqual(b.code, 1, b.err);
    assert.match(b.out, /layer\.4\.weight/);
    const j = JSON.parse((await cli('diff', f('sharded'), f('sharded_b', 'model.safetensors.index.json'), '--json')).out) as { weights: { rows: { status: string; a?: { name: string } }[] } };
    assert.deepStrictEqual(
      j.weights.rows.filter((r) => r.status !== 'identical').map((r) => [r.status, r.a?.name]),
      [['changed', 'layer.4.weight']],
    );
    const i = await cli('inspect', f('sharded'));
    assert.strictEqual(i.code, 0, i.err);
    assert.match(i.out, /format:\s+safetensors, sharded \(2 shards\)/);
    assert.match(i.out, /parameters:\s+192 in 6 tensors/);
  });

  it('refuses damaged headers with a clear error: absurd or too long header length, not JSON, duplicate keys, not an object', async () => {
    await rejectsWith(craft(f('huge.safetensors'), { x: 1 }, undefined, 2n ** 63n), 'CORRUPT', /huge\.safetensors is not a valid safetensors file: its first 8 bytes give a header length of 9223372036854775808 bytes, more than the format's limit of 100000000 bytes/);
    await rejectsWith(craft(f('long.safetensors'), '{}', undefined, 5000n), 'TRUNCATED', /header length of 5000 bytes, but the file has only 2 bytes after them/);
    await rejectsWith(craft(f('short.safetensors'), '', undefined, 0n), 'CORRUPT', /header length of 0 bytes/);
    fs.writeFileSync(f('tiny.safetensors'), Buffer.from([1, 2, 3]));
    await rejectsWith(f('tiny.safetensors'), 'TRUNCATED', /it has 3 bytes, fewer than the 8 of the header length/);
    await rejectsWith(craft(f('brace.safetensors'), ' {}'), 'CORRUPT', /the header does not start with '\{'/);
    await rejectsWith(craft(f('json.safetensors'), '{"a": {"dtype": "F32",}'), 'CORRUPT', /its header is not valid JSON \(a key that is not a string at character 22\)/);
    await rejectsWith(
      craft(f('dup.safetensors'), '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', Buffer.from([1, 2])),
      'CORRUPT',
      /the key "w" given twice/,
    );
    await rejectsWith(craft(f('array.safetensors'), '[1]'), 'CORRUPT', /the header does not start with '\{'/);
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    await rejectsWith(craft(f('utf8.safetensors'), bad), 'CORRUPT', /its header is not valid UTF-8/);
  });

  it('refuses tensors whose offsets are out of range, overlap, leave holes or trailing bytes, or do not fit dtype × shape', async () => {
    const t = (dtype: string, shape: number[], a: number, z: number) => ({ dtype, shape, data_offsets: [a, z] });
    await rejectsWith(craft(f('size.safetensors'), { w: t('F32', [2, 3], 0, 20) }, Buffer.alloc(20)), 'CORRUPT', /tensor "w" \(F32, shape \[2, 3\]\) needs 24 bytes, but its data_offsets \[0, 20\] span 20/);
    await rejectsWith(craft(f('range.safetensors'), { w: t('F32', [4], 0, 16) }, Buffer.alloc(12)), 'TRUNCATED', /tensor "w" needs bytes 0–16 of the data, but the data has only 12 bytes/);
    await rejectsWith(craft(f('backwards.safetensors'), { w: t('U8', [0], 4, 3) }, Buffer.alloc(4)), 'CORRUPT', /data_offsets \[4, 3\] that end before they begin/);
    await rejectsWith(craft(f('overlap.safetensors'), { a: t('U8', [4], 0, 4), b: t('U8', [4], 2, 6) }, Buffer.alloc(6)), 'CORRUPT', /tensors "a" and "b" overlap/);
    await rejectsWith(craft(f('hole.safetensors'), { a: t('U8', [2], 0, 2), b: t('U8', [2], 4, 6) }, Buffer.alloc(6)), 'CORRUPT', /bytes 2–4 of the data belong to no tensor \(the format allows no holes\)/);
    await rejectsWith(craft(f('trailing.safetensors'), { a: t('U8', [2], 0, 2) }, Buffer.alloc(5)), 'CORRUPT', /3 bytes follow the last tensor's data/);
    await rejectsWith(craft(f('dtype.safetensors'), { a: t('F128', [1], 0, 16) }, Buffer.alloc(16)), 'CORRUPT', /tensor "a" has the unknown dtype "F128"/);
    await rejectsWith(craft(f('f4.safetensors'), { a: t('F4', [2], 0, 1) }, Buffer.alloc(1)), 'UNSUPPORTED', /packed sub-byte dtype F4/);
    await rejectsWith(craft(f('shape.safetensors'), { a: t('U8', [-1], 0, 0) }), 'CORRUPT', /tensor "a" has no shape, or a shape that is not a list of whole numbers/);
    await rejectsWith(craft(f('noobj.safetensors'), { a: 5 }), 'CORRUPT', /tensor "a" is not described by an object/);
    // a file cut off in its data, as a failed download leaves it
    const whole = fs.readFileSync(f('whole.safetensors'));
    fs.writeFileSync(f('cut.safetensors'), whole.subarray(0, whole.length - 10));
    await rejectsWith(f('cut.safetensors'), 'TRUNCATED', /tensor "layer\.5\.weight" needs bytes 640–768 of the data, but the data has only 758 bytes/);
  });

  it('a damaged .safetensors file is reported as safetensors, not as "not an ONNX model"; other readers are not taken for safetensors', async () => {
    const r = await cli('inspect', craft(f('model_a.safetensors'), { x: 1 }, undefined, 2n ** 40n));
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /model_a\.safetensors is not a valid safetensors file/);
    assert.doesNotMatch(r.err, /ONNX/);
    // the same bytes under another name: still read as safetensors by content (the length is checked, not guessed)
    await rejectsWith(craft(f('no_extension'), { x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, Buffer.from([7]), 2n ** 20n), 'TRUNCATED', /no_extension is not a valid safetensors file: its first 8 bytes give a header length of 1048576 bytes, but the file has only \d+ bytes after them/);
    for (const fx of [fixture('onnx', 'hello_deepa.onnx'), fixture('onnx', 'silero_vad_v5.onnx'), fixture('keras', 'keras2c_example_model.h5')]) {
      const head = fs.readFileSync(fx).subarray(0, 4096);
      assert.strictEqual(isSafetensors(head), false, fx);
    }
  });

  it('refuses a broken index: a shard outside its folder, a missing shard, a tensor in the wrong shard, one in two shards', async () => {
    const src = f('sharded');
    const copy = (name: string, edit: (index: { weight_map: Record<string, string> }) => void) => {
      const d = f(name);
      fs.cpSync(src, d, { recursive: true });
      const p = path.join(d, 'model.safetensors.index.json');
      const index = JSON.parse(fs.readFileSync(p, 'utf8')) as { weight_map: Record<string, string> };
      edit(index);
      fs.writeFileSync(p, JSON.stringify(index));
      return p;
    };
    await rejectsWith(copy('escape', (i) => (i.weight_map['layer.0.weight'] = '../whole.safetensors')), 'EXTERNAL_DATA_ESCAPES', /names the shard "\.\.\/whole\.safetensors", which is not inside the index's folder/);
    await rejectsWith(copy('missing', (i) => (i.weight_map['layer.0.weight'] = 'model-00009-of-00009.safetensors')), 'EXTERNAL_DATA_MISSING', /names the shard model-00009-of-00009\.safetensors, which is missing/);
    await rejectsWith(copy('wrong', (i) => (i.weight_map['layer.0.weight'] = 'model-00002-of-00002.safetensors')), 'CORRUPT', /it puts tensor "layer\.0\.weight" in model-00002-of-00002\.safetensors, but it is in model-00001-of-00002\.safetensors/);
    await rejectsWith(copy('ghost', (i) => (i.weight_map['layer.9.weight'] = 'model-00002-of-00002.safetensors')), 'CORRUPT', /puts tensor "layer\.9\.weight" in model-00002-of-00002\.safetensors, which has no such tensor/);
    const twice = copy('twice', () => undefined);
    fs.copyFileSync(path.join(f('twice'), 'model-00001-of-00002.safetensors'), path.join(f('twice'), 'model-00002-of-00002.safetensors'));
    await rejectsWith(twice, 'CORRUPT', /the tensor "layer\.0\.weight" is in two shards/);
    const unlisted = copy('unlisted', (i) => delete i.weight_map['layer.5.weight']);
    const s = await readModelSummary(unlisted);
    assert.strictEqual(s.tensors.length, 6);
    assert.match(s.warnings.join('\n'), /1 tensor in the shards is not in model\.safetensors\.index\.json's weight_map \("layer\.5\.weight"\)/);
    // a folder with two indexes names them
    fs.copyFileSync(path.join(src, 'model.safetensors.index.json'), path.join(f('twice'), 'other.safetensors.index.json'));
    await rejectsWith(f('twice'), 'NOT_A_MODEL', /holds 2 safetensors index files \(model\.safetensors\.index\.json, other\.safetensors\.index\.json\)/);
    await rejectsWith(fs.mkdtempSync(path.join(dir, 'empty-')), 'NOT_A_MODEL', /is a folder, not a model file/);
  });

  it('the strict JSON parser agrees with JSON.parse on valid text and refuses what JSON.parse refuses', () => {
    for (const text of ['{"a":[1,-2.5e3,0,true,false,null],"b":{"c":"\\u00e9\\n\\"\\\\/"}}', '  {"__proto__": {"x": 1}}  ', '[]', '"\\ud83d\\ude00"', '-0', '1E+2']) {
      assert.deepStrictEqual(parseStrictJson(text), JSON.parse(text), text);
    }
    for (const text of ['{"a":1,}', '[1,]', '01', '{a:1}', "'x'", '1 2', '"\u0001"', '{"a":1}x', '', 'nul', '['.repeat(100) + ']'.repeat(100)]) {
      assert.throws(() => parseStrictJson(text), Error, text);
      if (!text.startsWith('[[[')) assert.throws(() => JSON.parse(text), Error, text);
    }
  });
});
