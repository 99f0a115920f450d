/**
 * The GGUF reader (issue #15 §3): GGUF v2 and v3 files written here by test/support/gguf_write.py, which
 * follows the published format (ggml's docs/gguf.md) with struct + numpy only, quantizes Q8_0 and Q4_0
 * as ggml's reference quantizers do and dequantizes them from the block layout. Our summary is checked
 * against the writer's own record of what it wrote and against an independent parser,
 * @huggingface/gguf (a test-only dependency); block sizes and type names against that package's tables
 * (copied from gguf-py's constants.py).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { diffModels } from '../../src/core/diff';
import { ModelFormatError, describeSummary, readModelSummary, readTensor, type ModelSummary, type TensorInfo } from '../../src/core/formats';
import { GGML_TYPE_NAMES, ggmlBlock, ggufFileTypeName, ggufLimits, MAX_KEPT_STRING } from '../../src/core/formats/gguf';
import { toInspectViewModel } from '../../src/core/formats/viewModel';
import { REPO_ROOT } from '../support/paths';

const PYTHON = '/usr/bin/python3';

const WRITER = String.raw`
import json, sys
import numpy as np
from gguf_write import *
out = sys.argv[1]
rng = np.random.default_rng(11)

tokens = ['<unk>', '<s>', '</s>', 'é', '模型', '"quoted"'] + ['tok%d' % i for i in range(994)]
kvs = [
    ('general.architecture', STRING, 'llama'),
    ('general.name', STRING, 'Tiny Test é'),
    ('llama.context_length', UINT32, 4096),
    ('llama.embedding_length', UINT32, 8),
    ('general.file_type', UINT32, 7),
    ('general.quantization_version', UINT32, 2),
    ('test.u8', UINT8, 200), ('test.i8', INT8, -5), ('test.u16', UINT16, 60000), ('test.i16', INT16, -30000),
    ('test.u32', UINT32, 4000000000), ('test.i32', INT32, -2000000000), ('test.f32', FLOAT32, 0.1),
    ('test.bool', BOOL, True), ('test.false', BOOL, False), ('test.u64', UINT64, 2**63 + 5), ('test.i64', INT64, -2**62 - 3),
    ('test.f64', FLOAT64, 3.141592653589793), ('test.unicode', STRING, 'é ✓ 模型'), ('test.empty', STRING, ''),
    ('test.short_u8s', ARRAY, (UINT8, [1, 2, 3])), ('test.bools', ARRAY, (BOOL, [True, False, True])),
    ('test.u64s', ARRAY, (UINT64, [2**64 - 1, 0])), ('test.f64s', ARRAY, (FLOAT64, [0.25, -1.5])),
    ('test.nested', ARRAY, (ARRAY, [(INT32, [1, 2]), (INT32, [3]), (STRING, ['a', 'b'])])),
    ('test.empty_array', ARRAY, (INT16, [])),
    ('tokenizer.ggml.model', STRING, 'llama'),
    ('tokenizer.ggml.tokens', ARRAY, (STRING, tokens)),
    ('tokenizer.ggml.scores', ARRAY, (FLOAT32, [float(v) for v in rng.standard_normal(len(tokens)).astype(np.float32)])),
    ('tokenizer.ggml.token_type', ARRAY, (INT32, [1] * len(tokens))),
    ('tokenizer.ggml.bos_token_id', UINT32, 1), ('tokenizer.ggml.eos_token_id', UINT32, 2),
    ('tokenizer.chat_template', STRING, '{% for m in messages %}{{ m.content }}{% endfor %}'),
]

def tensors(seed, q8_delta=0.0, q4k_flip=False):
    r = np.random.default_rng(seed)
    x = r.standard_normal(64 * 3).astype(np.float32)
    y = x.copy()
    y[70] += q8_delta
    q4k = bytearray(r.integers(0, 256, 144 * 2, dtype=np.uint8).tobytes())
    if q4k_flip:
        for i in (3, 150, 200):
            q4k[i] ^= 0x5A
    return [
        ('token_embd.weight', 'F32', [8, 16], r.standard_normal(128).astype('<f4').tobytes()),
        ('blk.0.attn_q.weight', 'F16', [64, 4], f16(r.standard_normal(256)).tobytes()),
        ('blk.0.attn_k.weight', 'BF16', [8, 4], (r.standard_normal(32).astype('<f4').view('<u4') >> 16).astype('<u2').tobytes()),
        ('blk.0.ffn_up.weight', 'Q8_0', [64, 3], quantize_q8_0(y)),
        ('blk.0.ffn_down.weight', 'Q4_0', [64, 3], quantize_q4_0(x)),
        ('blk.0.ffn_gate.weight', 'Q4_K', [256, 2], bytes(q4k)),
        ('output_norm.weight', 'F32', [8], r.standard_normal(8).astype('<f4').tobytes()),
        ('test.f64', 'F64', [3], r.standard_normal(3).astype('<f8').tobytes()),
        ('test.i8', 'I8', [5, 3], r.integers(-128, 128, 15, dtype=np.int8).tobytes()),
        ('test.i16', 'I16', [7], r.integers(-30000, 30000, 7).astype('<i2').tobytes()),
        ('test.i32', 'I32', [3], np.array([1, -2, 2**31 - 1], '<i4').tobytes()),
        ('test.i64', 'I64', [2], np.array([2**40, -7], '<i8').tobytes()),
    ]

rec = {}
rec['v3'] = write(out + '/every_v3.gguf', kvs, tensors(1), version=3)
rec['v2'] = write(out + '/every_v2.gguf', kvs, tensors(1), version=2, alignment=64)
rec['q8'] = write(out + '/q8_changed.gguf', kvs, tensors(1, q8_delta=0.75), version=3)
rec['q4k'] = write(out + '/q4k_changed.gguf', kvs, tensors(1, q4k_flip=True), version=3)
# Q8_0 and Q4_0 tensors of more than a statistics chunk (2^20 values), changed on both sides of its edge
n = 64 * 16400
x = rng.standard_normal(n).astype(np.float32)
y = x.copy()
y[[5, 2**20 - 1, 2**20, n - 1]] += np.float32(0.5)
big = lambda v: [('q8', 'Q8_0', [64, 16400], quantize_q8_0(v)), ('q4', 'Q4_0', [64, 16400], quantize_q4_0(v))]
ra = write(out + '/big_q.gguf', [('general.architecture', STRING, 'llama')], big(x), values=False)
rb = write(out + '/big_q_changed.gguf', [('general.architecture', STRING, 'llama')], big(y), values=False)
stats = {}
for name, q in (('q8', quantize_q8_0), ('q4', quantize_q4_0)):
    a = dequantize('Q8_0' if name == 'q8' else 'Q4_0', q(x)).astype(np.float64)
    b = dequantize('Q8_0' if name == 'q8' else 'Q4_0', q(y)).astype(np.float64)
    dd = b - a
    stats[name] = {'count': int(a.size), 'changed': int(np.count_nonzero(dd)), 'maxAbs': float(np.max(np.abs(dd))), 'l2': float(np.linalg.norm(dd)),
                   'normA': float(np.linalg.norm(a)), 'cosine': float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))}
json.dump(stats, open(out + '/big_q_stats.json', 'w'))
# a 10 GB model of which only the header is on disk (a sparse file): 200 000 tokens, one 2.7e9-value F32 tensor
big_tokens = ['<t%d>' % i for i in range(200000)]
rec['big'] = write(out + '/big.gguf', [('general.architecture', STRING, 'llama'), ('tokenizer.ggml.tokens', ARRAY, (STRING, big_tokens))],
                   [('huge.weight', 'F32', [40960, 65536], None), ('small.weight', 'Q8_0', [64], None)], version=3)
json.dump(rec, open(out + '/record.json', 'w'))
`;

interface RecTensor {
  name: string;
  type: string;
  type_id: number;
  dims: number[];
  shape: number[];
  offset: number;
  nbytes: number;
  values: number[] | null;
}
interface RecKv {
  key: string;
  type: string;
  value: unknown;
}
interface Rec {
  version: number;
  alignment: number;
  data_offset: number;
  size: number;
  kvs: RecKv[];
  tensors: RecTensor[];
}

let dir: string;
let rec: Record<string, Rec>;
const f = (...p: string[]) => path.join(dir, ...p);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

/** Decoded values of a tensor as float64 (float16/bfloat16 bits decoded here from their definitions). */
function asNumbers(t: TensorInfo, data: ArrayLike<number | bigint>): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (t.dtype === 'float16') {
      const h = Number(v);
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      out.push(e === 0 ? s * 2 ** -14 * (m / 1024) : s * 2 ** (e - 15) * (1 + m / 1024));
    } else if (t.dtype === 'bfloat16') {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(v) << 16 >>> 0);
      out.push(b.readFloatLE(0));
    } else out.push(Number(v));
  }
  return out;
}

/** The elements an array's text shows: `[a, b, …] (n …)` or `[a, b]`, split at the top level. */
function shownItems(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let inStr = false;
  let cur = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (inStr) {
      cur += ch;
      if (ch === '\\') cur += text[++i];
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    if (ch === '[') depth++;
    if (ch === ']' && depth-- === 0) break;
    if (ch === ',' && depth === 0) {
      items.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) items.push(cur.trim());
  return items.filter((x) => x !== '…');
}

/** How a record's value should read in our metadata (arrays: their length and first elements). */
function checkValue(key: string, ours: string, want: RecKv): void {
  const v = want.value;
  if (want.type === 'array') {
    const a = v as { count: number; type: string; first: unknown[]; sha256: string };
    if (a.count > 8) {
      assert.ok(ours.includes(`(${a.count} ${a.type}s, sha256 ${a.sha256.slice(0, 12)}…)`), `${key}: ${ours}`);
    } else assert.ok(ours.startsWith('['), `${key}: ${ours}`);
    const shown = shownItems(ours);
    if (a.type !== 'array') assert.strictEqual(shown.length, a.first.length, `${key}: ${ours}`);
    a.first.forEach((x, i) => {
      if (a.type === 'string') assert.strictEqual(shown[i], JSON.stringify(x), `${key}[${i}]`);
      else if (a.type === 'float32') assert.strictEqual(Math.fround(Number(shown[i])), x, `${key}[${i}]: ${shown[i]}`);
      else if (a.type !== 'array') assert.strictEqual(shown[i], String(x), `${key}[${i}]`);
    });
    return;
  }
  if (want.type === 'float32') assert.strictEqual(Math.fround(Number(ours)), Math.fround(v as number), key);
  else if (want.type === 'bool') assert.strictEqual(ours, String(v), key);
  else assert.strictEqual(ours, String(v), key);
}

describe('GGUF reader', function () {
  this.timeout(120_000);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-gguf-'));
    execFileSync(PYTHON, ['-c', WRITER, dir], { env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'test', 'support') } }); // gguf_write.py
    rec = JSON.parse(fs.readFileSync(f('record.json'), 'utf8')) as Record<string, Rec>;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [which, file] of [
    ['v3', 'every_v3.gguf'],
    ['v2', 'every_v2.gguf'],
  ] as const) {
    it(`${which}: the summary agrees with the writer's record (every key, every tensor's type, row-major shape, offset, size)`, async () => {
      const s = await readModelSummary(f(file));
      const r = rec[which];
      assert.strictEqual(s.format, 'gguf');
      assert.strictEqual(s.fileSize, r.size);
      assert.strictEqual(s.gguf?.version, r.version);
      assert.strictEqual(s.gguf?.alignment, r.alignment);
      assert.strictEqual(s.gguf?.dataOffset, r.data_offset);
      assert.deepStrictEqual(Object.keys(s.metadata), r.kvs.map((k) => k.key));
      for (const kv of r.kvs) checkValue(kv.key, s.metadata[kv.key], kv);
      assert.deepStrictEqual(
        s.tensors.map((t) => [t.name, t.shape, t.location, t.byteSize]),
        r.tensors.map((t) => [t.name, t.shape, { kind: 'raw', offset: t.offset, length: t.nbytes }, t.nbytes]),
      );
      // float and int types take this project's dtype names; quantized ones keep ggml's
      const GGML_NAME: Record<string, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64', int8: 'I8', int16: 'I16', int32: 'I32', int64: 'I64' };
      assert.deepStrictEqual(s.tensors.map((t) => GGML_NAME[t.dtype] ?? t.dtype), r.tensors.map((t) => t.type));
      assert.strictEqual(s.parameterCount, r.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0));
      // the facts surfaced
      assert.strictEqual(s.gguf?.architecture, 'llama');
      assert.strictEqual(s.gguf?.name, 'Tiny Test é');
      assert.strictEqual(s.gguf?.contextLength, 4096);
      assert.strictEqual(s.gguf?.fileType, 'Q8_0');
      assert.deepStrictEqual(s.warnings, []);
      assert.deepStrictEqual(s.gguf?.tokenizer, { model: 'llama', tokens: 1000, bosTokenId: 1, eosTokenId: 2, chatTemplate: true });
      assert.deepStrictEqual(s.gguf?.types, { float32: 2, float16: 1, bfloat16: 1, Q8_0: 1, Q4_0: 1, Q4_K: 1, float64: 1, int8: 1, int16: 1, int32: 1, int64: 1 });
    });
  }

  it('agrees with @huggingface/gguf (an independent parser): metadata values, tensor names, dims (reversed), types, offsets, parameter count', async () => {
    const hf = await import('@huggingface/gguf');
    for (const file of ['every_v3.gguf', 'every_v2.gguf']) {
      const ref = await hf.gguf(f(file), { allowLocalFile: true, computeParametersCount: true });
      const s = await readModelSummary(f(file));
      const { version, tensor_count, kv_count, ...meta } = ref.metadata as unknown as Record<string, unknown>;
      assert.strictEqual(version, s.gguf?.version, file);
      assert.strictEqual(Number(tensor_count), s.tensors.length);
      assert.strictEqual(Number(kv_count), Object.keys(s.metadata).length);
      assert.deepStrictEqual(Object.keys(meta).sort(), Object.keys(s.metadata).sort());
      for (const [k, v] of Object.entries(meta)) {
        const ours = s.metadata[k];
        if (Array.isArray(v)) {
          const n = v.length;
          if (n > 8) assert.ok(ours.includes(`(${n} `), `${k}: ${ours}`);
          const shown = shownItems(ours);
          v.slice(0, 8).forEach((x, i) => {
            const want = Array.isArray(x) ? `[${x.map((e) => (typeof e === 'string' ? JSON.stringify(e) : String(e))).join(', ')}]` : typeof x === 'string' ? JSON.stringify(x) : String(x);
            // float32 elements: ours is the shortest text that reads back as the same float32
            if (typeof x === 'number' && !Number.isInteger(x)) assert.strictEqual(Math.fround(Number(shown[i])), x, `${k}[${i}]: ${shown[i]}`);
            else assert.strictEqual(shown[i], want, `${k}[${i}]`);
          });
        } else if (typeof v === 'number' && k === 'test.f32') assert.strictEqual(Math.fround(Number(ours)), v, k);
        else assert.strictEqual(ours, String(v), k);
      }
      assert.strictEqual(ref.tensorInfos.length, s.tensors.length);
      ref.tensorInfos.forEach((ti, i) => {
        const t = s.tensors[i];
        assert.strictEqual(t.name, ti.name);
        // GGUF lists dims innermost first (as @huggingface/gguf gives them); ours are row-major
        assert.deepStrictEqual(t.shape, ti.shape.map(Number).reverse(), t.name);
        const typeName = hf.GGMLQuantizationType[ti.dtype];
        assert.strictEqual(GGML_TYPE_NAMES[ti.dtype], typeName, t.name);
        assert.strictEqual((t.location as { offset: number }).offset, Number(ref.tensorDataOffset) + Number(ti.offset), t.name);
      });
      assert.strictEqual(Number(ref.tensorDataOffset), s.gguf?.dataOffset);
      assert.strictEqual(ref.parameterCount, s.parameterCount);
    }
  });

  it("reads metadata that @huggingface/gguf's own writer wrote (its serializeGgufMetadata, from its parse of our v3 file)", async () => {
    const hf = await import('@huggingface/gguf');
    const ref = await hf.gguf(f('every_v3.gguf'), { allowLocalFile: true, typedMetadata: true });
    // every key but two the writer cannot take: nested arrays (one element type per array) and a uint8
    // array (its element type 0 reads as "no subType" there)
    const typed = { ...ref.typedMetadata, tensor_count: { value: 0n, type: hf.GGUFValueType.UINT64 } } as Record<string, unknown>;
    delete typed['test.nested'];
    delete typed['test.short_u8s'];
    const bytes = hf.serializeGgufMetadata(typed as typeof ref.typedMetadata, { alignment: 32 });
    fs.writeFileSync(f('hf_written.gguf'), bytes);
    const theirs = await readModelSummary(f('hf_written.gguf'));
    const ours = await readModelSummary(f('every_v3.gguf'));
    const { ['test.nested']: nested, ['test.short_u8s']: u8s, ...want } = ours.metadata;
    assert.deepStrictEqual([nested, u8s], ['[[1, 2], [3], ["a", "b"]]', '[1, 2, 3]']);
    assert.deepStrictEqual(theirs.metadata, want);
    assert.deepStrictEqual(theirs.tensors, []);
    assert.deepStrictEqual(theirs.gguf?.tokenizer, ours.gguf?.tokenizer);
  });

  it("block sizes and type names agree with gguf-py's tables (through @huggingface/gguf); file types with llama.cpp's", async () => {
    const hf = await import('@huggingface/gguf');
    // GGML_QUANT_SIZES is not exported: its source (calcBPW(blockSize, typeSize) per type) is read and evaluated
    const src = fs.readFileSync(path.join(REPO_ROOT, 'node_modules', '@huggingface', 'gguf', 'src', 'quant-descriptions.ts'), 'utf8');
    const QK_K = 256;
    const table = new Map<string, number>();
    for (const m of src.matchAll(/\[GGMLQuantizationType\.(\w+)\]: calcBPW\(([^,]+), ([^)]+)\)/g)) {
      const ev = (e: string) => Number(Function('QK_K', `return (${e});`)(QK_K));
      table.set(m[1], (ev(m[3]) * 8) / ev(m[2]));
    }
    assert.ok(table.size >= 30, `read ${table.size} entries of GGML_QUANT_SIZES`);
    for (const [id, name] of Object.entries(GGML_TYPE_NAMES)) {
      assert.strictEqual(hf.GGMLQuantizationType[Number(id)], name, `type ${id}`);
      const b = ggmlBlock(Number(id))!;
      // gguf-py's table still gives Q8_1 two float32 (40 bytes); ggml's block_q8_1 has two float16 (36 bytes)
      if (name === 'Q8_1') assert.strictEqual(b.bytes, 36);
      else assert.strictEqual((b.bytes * 8) / b.block, table.get(name), `${name}: ${b.bytes} bytes per ${b.block}`);
    }
    for (let n = 0; n < 40; n++) {
      const ours = ggufFileTypeName(n);
      if (ours === undefined) continue;
      assert.strictEqual(hf.GGMLFileQuantizationType[n], ours, `file type ${n}`);
    }
  });

  it('readTensor: F32/F16/BF16/F64/ints decode to the written values; Q8_0 and Q4_0 dequantize as numpy does from the blocks; Q4_K gives its bytes', async () => {
    const s = await readModelSummary(f('every_v3.gguf'));
    const raw = fs.readFileSync(f('every_v3.gguf'));
    for (const [i, t] of s.tensors.entries()) {
      const want = rec['v3'].tensors[i];
      const d = await readTensor(f('every_v3.gguf'), s, t);
      if (want.values === null) {
        assert.strictEqual(t.dtype, 'Q4_K');
        assert.ok(d.data instanceof Uint8Array);
        assert.ok(Buffer.from(d.data as Uint8Array).equals(raw.subarray(want.offset, want.offset + want.nbytes)));
        continue;
      }
      assert.deepStrictEqual(asNumbers(t, d.data as ArrayLike<number>), want.values, t.name);
    }
  });

  it('modelver diff: 0 for a file against itself; a changed Q8_0 tensor has dequantized statistics; a changed Q4_K tensor is compared by bytes', async () => {
    const same = await cli('diff', f('every_v3.gguf'), f('every_v3.gguf'));
    assert.strictEqual(same.code, 0, same.err + same.out);
    const v2 = await diffModels(f('every_v3.gguf'), f('every_v2.gguf'));
    assert.strictEqual(v2.weights.counts.identical, rec['v3'].tensors.length, 'v2 and v3 files hold the same tensors');

    const q8 = await cli('diff', f('every_v3.gguf'), f('q8_changed.gguf'));
    assert.strictEqual(q8.code, 1, q8.err);
    assert.match(q8.out, /blk\.0\.ffn_up\.weight/);
    const d = await diffModels(f('every_v3.gguf'), f('q8_changed.gguf'));
    const rows = d.weights.rows.filter((r) => r.status !== 'identical');
    assert.deepStrictEqual(rows.map((r) => [r.status, r.a?.name]), [['changed', 'blk.0.ffn_up.weight']]);
    const a = rec['v3'].tensors.find((t) => t.name === 'blk.0.ffn_up.weight')!.values!;
    const b = rec['q8'].tensors.find((t) => t.name === 'blk.0.ffn_up.weight')!.values!;
    const diffs = a.map((x, i) => b[i] - x);
    const st = rows[0].stats!;
    assert.strictEqual(st.count, a.length);
    assert.strictEqual(st.changedCount, diffs.filter((x) => x !== 0).length);
    assert.strictEqual(st.maxAbs, Math.max(...diffs.map(Math.abs)));
    const l2 = Math.sqrt(diffs.reduce((acc, x) => acc + x * x, 0));
    assert.ok(Math.abs(st.l2! - l2) <= 1e-12 * l2, `l2 ${st.l2} vs ${l2}`);
    assert.strictEqual(st.unit, undefined);

    const k = await diffModels(f('every_v3.gguf'), f('q4k_changed.gguf'));
    const krows = k.weights.rows.filter((r) => r.status !== 'identical');
    assert.deepStrictEqual(krows.map((r) => [r.status, r.a?.name]), [['changed', 'blk.0.ffn_gate.weight']]);
    assert.strictEqual(krows[0].stats?.unit, 'byte');
    assert.strictEqual(krows[0].stats?.count, 288);
    assert.strictEqual(krows[0].stats?.changedCount, 3);
    assert.strictEqual(krows[0].stats?.maxAbs, null);
    assert.strictEqual(krows[0].note, 'Q4_K blocks compared by bytes (their values are not decoded)');
    const text = await cli('diff', f('every_v3.gguf'), f('q4k_changed.gguf'));
    assert.strictEqual(text.code, 1);
    assert.match(text.out, /blk\.0\.ffn_gate\.weight.*bytes \(quantized blocks, not decoded\) changed/);
  });

  it('Q8_0 and Q4_0 tensors larger than a statistics chunk: dequantized chunk by chunk, the statistics as numpy computes them', async () => {
    const want = JSON.parse(fs.readFileSync(f('big_q_stats.json'), 'utf8')) as Record<string, { count: number; changed: number; maxAbs: number; l2: number; normA: number; cosine: number }>;
    const d = await diffModels(f('big_q.gguf'), f('big_q_changed.gguf'));
    const rows = d.weights.rows.filter((r) => r.status !== 'identical');
    assert.deepStrictEqual(rows.map((r) => [r.status, r.a?.name]), [['changed', 'q8'], ['changed', 'q4']]);
    for (const r of rows) {
      const w = want[r.a!.name];
      const st = r.stats!;
      assert.ok(w.changed > 0 && w.count > 2 ** 20, 'the change reaches both chunks');
      assert.strictEqual(st.count, w.count);
      assert.strictEqual(st.changedCount, w.changed);
      assert.strictEqual(st.maxAbs, w.maxAbs);
      for (const k of ['l2', 'normA', 'cosine'] as const) {
        const ours = k === 'l2' ? st.l2! : k === 'normA' ? st.normA! : st.cosine!;
        assert.ok(Math.abs(ours - w[k]) <= 1e-12 * Math.max(1, Math.abs(w[k])), `${r.a!.name} ${k}: ours ${ours}, numpy ${w[k]}`);
      }
    }
  });

  it('modelver inspect --json carries every tensor name and the parameter count; the text and the summary editor show architecture, context, types, tokenizer', async () => {
    const r = await cli('inspect', f('every_v3.gguf'), '--json');
    assert.strictEqual(r.code, 0, r.err);
    const s = JSON.parse(r.out) as ModelSummary;
    assert.deepStrictEqual(s.tensors.map((t) => t.name), rec['v3'].tensors.map((t) => t.name));
    assert.strictEqual(s.parameterCount, rec['v3'].tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0));
    const text = await cli('inspect', f('every_v3.gguf'), '--tensors', '50');
    assert.strictEqual(text.code, 0, text.err);
    assert.match(text.out, /format:\s+GGUF v3 \(Q8_0\)\n/);
    assert.match(text.out, /architecture:\s+llama \(Tiny Test é\)\n/);
    assert.match(text.out, /context length:\s*4,096\n/);
    assert.match(text.out, /tokenizer:\s+llama, 1,000 tokens, BOS 1, EOS 2, chat template\n/);
    assert.match(text.out, /blk\.0\.ffn_gate\.weight {2}Q4_K\[2,256\] {2}512\n/);
    assert.match(text.out, / {2}tokenizer\.ggml\.tokens: \["<unk>", "<s>", "<\/s>", "é", "模型", "\\"quoted\\"", "tok0", "tok1", …\] \(1000 strings, sha256 [0-9a-f]{12}…\)/);
    const vm = toInspectViewModel(await readModelSummary(f('every_v3.gguf')), 'every_v3.gguf');
    assert.deepStrictEqual(
      vm.facts.filter((x) => ['Architecture', 'Context length', 'Tokenizer'].includes(x.label)).map((x) => x.value),
      ['llama (Tiny Test é)', '4,096', 'llama, 1,000 tokens, BOS 1, EOS 2, chat template'],
    );
    assert.strictEqual(vm.format, 'GGUF v3 (Q8_0)');
    // weights only: no 'Nodes 0' fact (the editor shows a note instead of empty input/output/layer tables)
    assert.ok(!vm.facts.some((x) => x.label === 'Nodes' || x.label === 'Layers'), JSON.stringify(vm.facts));
    assert.deepStrictEqual([vm.inputs.length, vm.outputs.length, vm.ops.length], [0, 0, 0]);
    assert.ok(describeSummary(s).includes('tensor types:'));
  });

  it('a 10 GB model (sparse file) is summarised from its header region alone, its 200 000 tokens streamed, not held', async () => {
    const file = f('big.gguf');
    const r = rec['big'];
    assert.ok(fs.statSync(file).size > 10e9);
    // count the bytes read through file handles while the summary is made
    const fh = await fs.promises.open(file, 'r');
    const proto = Object.getPrototypeOf(fh) as { read: (...a: unknown[]) => Promise<{ bytesRead: number }> };
    await fh.close();
    const orig = proto.read;
    let bytes = 0;
    proto.read = async function (this: unknown, ...a: unknown[]) {
      const res = await orig.apply(this, a);
      bytes += res.bytesRead;
      return res;
    };
    let s: ModelSummary;
    const t0 = Date.now();
    try {
      s = await readModelSummary(file);
    } finally {
      proto.read = orig;
    }
    const ms = Date.now() - t0;
    assert.strictEqual(s.tensors[0].paramCount, 40960 * 65536);
    assert.deepStrictEqual(s.tensors[0].shape, [65536, 40960]);
    assert.strictEqual(s.parameterCount, 40960 * 65536 + 64);
    assert.strictEqual(s.gguf?.tokenizer?.tokens, 200000);
    checkValue('tokenizer.ggml.tokens', s.metadata['tokenizer.ggml.tokens'], r.kvs[1]);
    assert.ok(s.metadata['tokenizer.ggml.tokens'].length < 400);
    // the header region (plus the 4 KiB sniff and at most one 1 MiB window past it), nothing of the data
    assert.ok(bytes <= r.data_offset + (1 << 20) + 4096, `read ${bytes} bytes; the header region is ${r.data_offset}`);
    assert.ok(ms < 5000, `${ms} ms`);
  });

  describe('hostile input: a ModelFormatError that says what is wrong', () => {
    /** A GGUF file from parts: header counts, raw key/value bytes, tensor infos, then data. */
    const str = (s: string | Buffer, len?: bigint) => {
      const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
      const n = Buffer.alloc(8);
      n.writeBigUInt64LE(len ?? BigInt(b.length));
      return Buffer.concat([n, b]);
    };
    const u32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v);
      return b;
    };
    const u64 = (v: bigint | number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(v));
      return b;
    };
    const kv = (key: string, type: number, value: Buffer) => Buffer.concat([str(key), u32(type), value]);
    const ti = (name: string, dims: number[], type: number, offset: number) => Buffer.concat([str(name), u32(dims.length), ...dims.map(u64), u32(type), u64(offset)]);
    const file = (name: string, o: { version?: number; kvs?: Buffer[]; tensors?: Buffer[]; counts?: [bigint, bigint]; tail?: Buffer }) => {
      const kvs = o.kvs ?? [];
      const ts = o.tensors ?? [];
      const head = Buffer.concat([Buffer.from('GGUF'), u32(o.version ?? 3), u64(o.counts?.[0] ?? BigInt(ts.length)), u64(o.counts?.[1] ?? BigInt(kvs.length)), ...kvs, ...ts]);
      const pad = Buffer.alloc((32 - (head.length % 32)) % 32);
      fs.writeFileSync(f(name), Buffer.concat([head, pad, o.tail ?? Buffer.alloc(0)]));
      return f(name);
    };
    const rejects = async (p: string, code: string, re: RegExp) => {
      await assert.rejects(readModelSummary(p), (e: unknown) => {
        assert.ok(e instanceof ModelFormatError, String(e));
        assert.strictEqual(e.code, code, e.message);
        assert.match(e.message, re);
        return true;
      });
    };
    const f32 = (n: number) => Buffer.alloc(4 * n);

    it('a valid crafted file reads (the crafting is right)', async () => {
      const s = await readModelSummary(file('ok.gguf', { kvs: [kv('a', 4, u32(1))], tensors: [ti('w', [4], 0, 0)], tail: f32(4) }));
      assert.deepStrictEqual(s.tensors.map((t) => [t.name, t.shape, t.paramCount]), [['w', [4], 4]]);
      assert.strictEqual(s.metadata['a'], '1');
      assert.deepStrictEqual(s.warnings, ['It has no general.architecture string; llama.cpp needs one to load the model.']);
      const p = await readModelSummary(file('proto.gguf', { kvs: [kv('__proto__', 8, str('x')), kv('general.architecture', 8, str('llama')), kv('general.file_type', 4, u32(99))] }));
      assert.deepStrictEqual(Object.entries(p.metadata), [['__proto__', 'x'], ['general.architecture', 'llama'], ['general.file_type', '99']]);
      assert.deepStrictEqual(p.warnings, ['general.file_type is 99, which llama.cpp does not define.']);
      assert.strictEqual(p.gguf?.fileType, 'file type 99');
    });

    it('cut off anywhere: TRUNCATED', async () => {
      const whole = fs.readFileSync(f('every_v3.gguf'));
      const r = rec['v3'];
      const last = r.tensors[r.tensors.length - 1];
      for (const at of [30, 100, 2000, r.data_offset - 10, r.data_offset + 100, last.offset + last.nbytes - 1]) {
        const p = f(`cut${at}.gguf`);
        fs.writeFileSync(p, whole.subarray(0, at));
        await rejects(p, 'TRUNCATED', /is not a valid GGUF file: .*(ends|only|cannot fit).*cut off/);
      }
      fs.writeFileSync(f('tiny.gguf'), Buffer.from('GGUF\x03\0\0\0'));
      await rejects(f('tiny.gguf'), 'TRUNCATED', /fewer than the 24 of a GGUF header/);
    });

    it('absurd counts and lengths: CORRUPT or TRUNCATED before anything is allocated for them', async () => {
      await rejects(file('kv.gguf', { counts: [0n, 2n ** 63n] }), 'CORRUPT', /gives 9223372036854775808 metadata pairs, more than the 100000/);
      await rejects(file('kv2.gguf', { counts: [0n, 50000n] }), 'TRUNCATED', /50000 metadata pairs and 0 tensors, which cannot fit in its 32 bytes/);
      await rejects(file('tc.gguf', { counts: [2n ** 40n, 0n] }), 'CORRUPT', /1099511627776 tensors, more than/);
      await rejects(file('strlen.gguf', { kvs: [Buffer.concat([str('general.architecture'), u32(8), str('llama', 2n ** 40n)])] }), 'TRUNCATED', /metadata "general\.architecture" is 1099511627776 bytes long, but only \d+ bytes follow/);
      await rejects(file('strlen64.gguf', { kvs: [Buffer.concat([str('k'), u32(8), str('x', 2n ** 64n - 1n)])] }), 'CORRUPT', /has the length 18446744073709551615, longer than the file/);
      await rejects(file('keylen.gguf', { kvs: [Buffer.concat([str('k', 70000n), Buffer.alloc(70000)])] }), 'CORRUPT', /the key of metadata pair 0 is 70000 bytes long, more than the 65535 allowed/);
      await rejects(file('arr.gguf', { kvs: [kv('a', 9, Buffer.concat([u32(4), u64(2n ** 50n)]))] }), 'TRUNCATED', /metadata "a" has 1125899906842624 elements of type uint32/);
      await rejects(file('arrt.gguf', { kvs: [kv('a', 9, Buffer.concat([u32(13), u64(1)]))] }), 'CORRUPT', /array of the unknown value type 13/);
      await rejects(file('vt.gguf', { kvs: [kv('a', 77, u32(0))] }), 'CORRUPT', /metadata "a" has the unknown value type 77/);
      let nest = Buffer.concat([u32(4), u64(0)]);
      for (let i = 0; i < 10; i++) nest = Buffer.concat([u32(9), u64(1), nest]);
      await rejects(file('nest.gguf', { kvs: [kv('a', 9, nest)] }), 'CORRUPT', /nests arrays more than 8 deep/);
      await rejects(file('dims.gguf', { tensors: [ti('w', [1, 1, 1, 1, 1], 0, 0)], tail: f32(1) }), 'CORRUPT', /tensor "w" has 5 dimensions, more than ggml's 4/);
      await rejects(file('bigdim.gguf', { tensors: [ti('w', [2 ** 40, 2 ** 40], 0, 0)] }), 'CORRUPT', /element count is impossibly large/);
      await rejects(file('past.gguf', { tensors: [ti('w', [1024], 0, 0)], tail: f32(4) }), 'TRUNCATED', /tensor "w" needs bytes 0–4096 of the data .* only 16 bytes/);
    });

    it('what the format forbids: duplicate keys and names, misaligned or overlapping data, bad alignment, partial blocks, unknown or removed types, v1, big-endian', async () => {
      await rejects(file('dupk.gguf', { kvs: [kv('a', 4, u32(1)), kv('a', 4, u32(2))] }), 'CORRUPT', /the key "a" is given twice/);
      await rejects(file('dupt.gguf', { tensors: [ti('w', [4], 0, 0), ti('w', [4], 0, 32)], tail: f32(16) }), 'CORRUPT', /two tensors are named "w"/);
      await rejects(file('mis.gguf', { tensors: [ti('w', [4], 0, 4)], tail: f32(8) }), 'CORRUPT', /tensor "w" starts at offset 4 of the data, not a multiple of the alignment 32/);
      await rejects(file('over.gguf', { tensors: [ti('a', [16], 0, 0), ti('b', [16], 0, 32)], tail: f32(32) }), 'CORRUPT', /tensors "a" and "b" overlap/);
      await rejects(file('al0.gguf', { kvs: [kv('general.alignment', 4, u32(0))] }), 'CORRUPT', /general\.alignment is 0 \(uint32\); it must be a uint32 power of two/);
      await rejects(file('al3.gguf', { kvs: [kv('general.alignment', 4, u32(48))] }), 'CORRUPT', /general\.alignment is 48/);
      await rejects(file('alt.gguf', { kvs: [kv('general.alignment', 10, u64(32))] }), 'CORRUPT', /general\.alignment is 32 \(uint64\)/);
      await rejects(file('blk.gguf', { tensors: [ti('q', [48], 8, 0)], tail: Buffer.alloc(64) }), 'CORRUPT', /tensor "q" is Q8_0, whose blocks hold 32 values, but its rows \(ne\[0\]\) hold 48/);
      await rejects(file('unk.gguf', { tensors: [ti('q', [32], 99, 0)], tail: Buffer.alloc(64) }), 'UNSUPPORTED', /tensor "q" has the ggml type 99, which this reader does not know/);
      await rejects(file('rm.gguf', { tensors: [ti('q', [32], 4, 0)], tail: Buffer.alloc(64) }), 'UNSUPPORTED', /ggml type Q4_2 \(4\), which was removed from ggml/);
      await rejects(file('v1.gguf', { version: 1 }), 'UNSUPPORTED', /GGUF version 1 file .* reads versions 2 and 3/);
      await rejects(file('v9.gguf', { version: 9 }), 'UNSUPPORTED', /GGUF file of version 9/);
      await rejects(file('be.gguf', { version: 0x03000000 }), 'UNSUPPORTED', /big-endian GGUF file \(version 3/);
      fs.writeFileSync(f('notgguf.gguf'), Buffer.alloc(64, 7));
      await rejects(f('notgguf.gguf'), 'NOT_A_MODEL', /does not start with the magic "GGUF"/);
    });

    it('a header whose keys alone would take more text than the reader holds (64 MiB; 2 MiB here) is refused, not held', async () => {
      const before = ggufLimits.heldText;
      ggufLimits.heldText = 2 * 1024 * 1024;
      try {
        const kvs = Array.from({ length: 40 }, (_, i) => kv(String(i).padStart(6, '0').padEnd(65535, 'k'), 0, Buffer.from([1])));
        await rejects(file('held.gguf', { kvs }), 'UNSUPPORTED', /its metadata keys, values and tensor names take more than 2 MiB \(at the key of metadata pair 32\)/);
      } finally {
        ggufLimits.heldText = before;
      }
    });

    it('a long string value is kept up to its limit, with its length said', async () => {
      const long = 'x'.repeat(MAX_KEPT_STRING + 10);
      const s = await readModelSummary(file('long.gguf', { kvs: [kv('tokenizer.chat_template', 8, str(long))] }));
      assert.strictEqual(s.metadata['tokenizer.chat_template'], `${'x'.repeat(MAX_KEPT_STRING)}… (${MAX_KEPT_STRING + 10} bytes)`);
    });
  });
});
