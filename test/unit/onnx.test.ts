/**
 * The ONNX reader (src/core/formats/onnx.ts) against the shared fixtures, against the reference
 * implementation (Debian python3-onnx + numpy, run with /usr/bin/python3), and against bad input.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { looksLikeOnnx, readOnnxSummary, readOnnxTensor, MAX_GRAPH_DEPTH } from '../../src/core/formats/onnx';
import { isHdf5, isLfsPointer, isPng, isZip } from '../../src/core/formats/sniff';
import { ModelFormatError } from '../../src/core/formats/errors';
import type { ModelSummary, TensorData, TensorInfo } from '../../src/core/formats/types';
import { fixture } from '../support/paths';

const ONNX_DIR = fixture('onnx');
const NODE_TESTS_DIR = fixture('onnx-node-tests');
const FIXTURES = fs.existsSync(ONNX_DIR) ? fs.readdirSync(ONNX_DIR).filter((f) => f.endsWith('.onnx')).sort() : [];
const NODE_TESTS = fs.existsSync(NODE_TESTS_DIR)
  ? fs
      .readdirSync(NODE_TESTS_DIR)
      .filter((d) => fs.existsSync(path.join(NODE_TESTS_DIR, d, 'model.onnx')))
      .sort()
  : [];
const onnxFixture = (name: string): string => path.join(ONNX_DIR, name);

// ---------------------------------------------------------------------------------------------
// The reference: python3-onnx

const PYTHON = '/usr/bin/python3';

/**
 * Walks a model the way our reader defines its counts (see the comment at the top of onnx.ts) and
 * prints JSON: header, graphs, nodes with attributes, op histogram and every weight with the
 * sha256 of its values as numpy gives them (numpy_helper.to_array).
 */
const PY_REFERENCE = `
import sys, json, hashlib, math
try:
    import onnx
    import numpy as np
    from onnx import numpy_helper
except Exception as e:
    print(json.dumps({'error': repr(e)}))
    sys.exit(3)

AT = onnx.AttributeProto

def dtn(code):
    try:
        n = onnx.TensorProto.DataType.Name(code).lower()
    except ValueError:
        return 'unknown(%d)' % code
    return {'float': 'float32', 'double': 'float64'}.get(n, n)

def sha_of(a):
    if a.dtype == object or a.dtype.kind in ('S', 'U', 'O'):
        vals = [x.decode('utf-8') if isinstance(x, bytes) else str(x) for x in a.reshape(-1).tolist()]
        return hashlib.sha256(json.dumps(vals, ensure_ascii=False, separators=(',', ':')).encode('utf-8')).hexdigest()
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()

def fin(x):
    return x if math.isfinite(x) else repr(x)

def typestr(tp):
    w = tp.WhichOneof('value')
    if w == 'tensor_type':
        shape = None
        if tp.tensor_type.HasField('shape'):
            shape = [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.dim_param else None) for d in tp.tensor_type.shape.dim]
        return dtn(tp.tensor_type.elem_type), shape
    if w == 'sparse_tensor_type':
        shape = None
        if tp.sparse_tensor_type.HasField('shape'):
            shape = [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.dim_param else None) for d in tp.sparse_tensor_type.shape.dim]
        return 'sparse(%s)' % dtn(tp.sparse_tensor_type.elem_type), shape
    if w == 'sequence_type':
        return 'seq(%s)' % typestr(tp.sequence_type.elem_type)[0], None
    if w == 'optional_type':
        return 'optional(%s)' % typestr(tp.optional_type.elem_type)[0], None
    if w == 'map_type':
        return 'map(%s,%s)' % (dtn(tp.map_type.key_type), typestr(tp.map_type.value_type)[0]), None
    if w == 'opaque_type':
        return 'opaque', None
    return 'unknown', None

def vi(v):
    d, s = typestr(v.type) if v.HasField('type') else ('unknown', None)
    r = {'name': v.name, 'dtype': d, 'shape': s}
    if v.HasField('doc_string'):
        r['doc'] = v.doc_string
    return r

def prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n

def dense_of_sparse(sp):
    vals = numpy_helper.to_array(sp.values)
    idx = numpy_helper.to_array(sp.indices).astype(np.int64)
    dims = list(sp.dims)
    if vals.dtype == object:
        out = np.array([b''] * prod(dims), dtype=object)
    else:
        out = np.zeros(prod(dims), dtype=vals.dtype)
    if idx.ndim == 2:
        lin = np.ravel_multi_index(tuple(idx.T), dims) if idx.size else np.zeros(0, dtype=np.int64)
    else:
        lin = idx
    out[lin] = vals.reshape(-1)
    return out.reshape(dims)

def walk_model(m):
    out = {'graphs': [], 'nodes': [], 'hist': {}, 'tensors': []}
    used = set()

    def tensor(origin, gpath, name, t, owner, arr=None):
        a = numpy_helper.to_array(t) if arr is None else arr
        rec = {'origin': origin, 'graphPath': gpath, 'name': name, 'dtype': dtn(t.data_type), 'shape': list(t.dims), 'sha': sha_of(a)}
        if owner:
            rec['owner'] = owner
        out['tensors'].append(rec)

    def small(gpath, name, owner, dtype, shape, arr):
        rec = {'origin': 'constant', 'graphPath': gpath, 'name': name, 'dtype': dtype, 'shape': shape, 'sha': sha_of(arr)}
        if owner:
            rec['owner'] = owner
        out['tensors'].append(rec)

    def sub_path(gpath, n, i, attr):
        base = (gpath + '/' if gpath else '') + (n.name or '%s#%d' % (n.op_type, i)) + '/' + attr
        p = base
        k = 2
        while p in used:
            p = '%s~%d' % (base, k)
            k += 1
        used.add(p)
        return p

    def graph(g, gpath):
        init = set(t.name for t in g.initializer) | set(s.values.name for s in g.sparse_initializer)
        rec = {'path': gpath, 'name': g.name, 'nodeCount': len(g.node), 'initializerCount': len(g.initializer),
               'inputs': [vi(v) for v in g.input if v.name not in init], 'outputs': [vi(v) for v in g.output]}
        out['graphs'].append(rec)
        for i, n in enumerate(g.node):
            node = {'name': n.name, 'opType': n.op_type, 'domain': n.domain, 'graphPath': gpath,
                    'inputs': list(n.input), 'outputs': list(n.output), 'attributes': {}}
            out['nodes'].append(node)
            key = n.op_type if n.domain in ('', 'ai.onnx') else n.domain + ':' + n.op_type
            out['hist'][key] = out['hist'].get(key, 0) + 1
            for a in n.attribute:
                t = a.type
                if t == AT.FLOAT: v = fin(a.f)
                elif t == AT.INT: v = a.i
                elif t == AT.STRING: v = a.s.decode('utf-8', 'replace')
                elif t == AT.FLOATS: v = [fin(x) for x in a.floats]
                elif t == AT.INTS: v = list(a.ints)
                elif t == AT.STRINGS: v = [x.decode('utf-8', 'replace') for x in a.strings]
                elif t == AT.TENSOR: v = {'tensor': {'dtype': dtn(a.t.data_type), 'shape': list(a.t.dims)}}
                elif t == AT.SPARSE_TENSOR: v = {'tensor': {'dtype': dtn(a.sparse_tensor.values.data_type), 'shape': list(a.sparse_tensor.dims)}}
                elif t == AT.GRAPH:
                    p = sub_path(gpath, n, i, a.name)
                    v = {'graph': p}
                    graph(a.g, p)
                elif t == AT.GRAPHS:
                    ps = []
                    for j, sg in enumerate(a.graphs):
                        p = sub_path(gpath, n, i, '%s[%d]' % (a.name, j))
                        ps.append(p)
                        graph(sg, p)
                    v = {'graphs': ps}
                else: v = None
                node['attributes'][a.name] = v
            if n.op_type == 'Constant' and n.domain in ('', 'ai.onnx'):
                oname = n.output[0] if len(n.output) else ''
                for a in n.attribute:
                    if a.name == 'value': tensor('constant', gpath, oname or a.t.name, a.t, n.name)
                    elif a.name == 'sparse_value':
                        tensor('constant', gpath, oname, a.sparse_tensor.values, n.name, dense_of_sparse(a.sparse_tensor))
                        out['tensors'][-1]['shape'] = list(a.sparse_tensor.dims)
                    elif a.name == 'value_float': small(gpath, oname, n.name, 'float32', [], np.array(a.f, dtype=np.float32))
                    elif a.name == 'value_floats': small(gpath, oname, n.name, 'float32', [len(a.floats)], np.array(list(a.floats), dtype=np.float32))
                    elif a.name == 'value_int': small(gpath, oname, n.name, 'int64', [], np.array(a.i, dtype=np.int64))
                    elif a.name == 'value_ints': small(gpath, oname, n.name, 'int64', [len(a.ints)], np.array(list(a.ints), dtype=np.int64))
                    elif a.name == 'value_string': small(gpath, oname, n.name, 'string', [], np.array([a.s], dtype=object))
                    elif a.name == 'value_strings': small(gpath, oname, n.name, 'string', [len(a.strings)], np.array(list(a.strings), dtype=object))
        for t in g.initializer:
            tensor('initializer', gpath, t.name, t, None)
        for s in g.sparse_initializer:
            tensor('sparse-initializer', gpath, s.values.name, s.values, None, dense_of_sparse(s))
            out['tensors'][-1]['shape'] = list(s.dims)

    graph(m.graph, '')
    return out

result = {}
for f in sys.argv[1:]:
    m = onnx.load(f, load_external_data=False)
    r = walk_model(m)
    r['ir'] = m.ir_version if m.HasField('ir_version') else None
    r['opsets'] = [{'domain': o.domain, 'version': o.version} for o in m.opset_import]
    r['producer'] = {'name': m.producer_name, 'version': m.producer_version} if (m.HasField('producer_name') or m.HasField('producer_version')) else None
    r['domain'] = m.domain if m.HasField('domain') else None
    r['modelVersion'] = m.model_version if m.HasField('model_version') else None
    r['docString'] = m.doc_string if m.HasField('doc_string') else None
    r['metadata'] = {p.key: p.value for p in m.metadata_props}
    result[f] = r
print(json.dumps(result, ensure_ascii=False))
`;

interface PyTensor {
  origin: string;
  graphPath: string;
  name: string;
  dtype: string;
  shape: number[];
  sha: string;
  owner?: string;
}
interface PyModel {
  ir: number | null;
  opsets: { domain: string; version: number }[];
  producer: { name: string; version: string } | null;
  domain: string | null;
  modelVersion: number | null;
  docString: string | null;
  metadata: Record<string, string>;
  graphs: unknown[];
  nodes: unknown[];
  hist: Record<string, number>;
  tensors: PyTensor[];
}

const PY_MISSING =
  'The cross-check needs Debian python3-onnx and numpy for /usr/bin/python3: run `apt-get install python3-onnx python3-numpy`.';

/** Run the reference walker on files; fails (never skips) when python3-onnx is missing. */
function pyReference(files: string[]): Record<string, PyModel> {
  if (!fs.existsSync(PYTHON)) assert.fail(`${PYTHON} is missing. ${PY_MISSING}`);
  let out: string;
  try {
    out = execFileSync(PYTHON, ['-c', PY_REFERENCE, ...files], { encoding: 'utf8', maxBuffer: 256 << 20 });
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    if (err.status === 3) assert.fail(`python3-onnx could not be imported (${err.stdout?.trim()}). ${PY_MISSING}`);
    throw new Error(`the python3-onnx reference failed: ${err.stderr ?? String(e)}`);
  }
  return JSON.parse(out) as Record<string, PyModel>;
}

/** Run a small numpy snippet on one file: `m` is the loaded model; it must print JSON. */
function pyEval(file: string, body: string): unknown {
  const script = `import sys, json\nimport onnx\nimport numpy as np\nfrom onnx import numpy_helper\nm = onnx.load(sys.argv[1], load_external_data=False)\n${body}\n`;
  try {
    return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  } catch (e) {
    const err = e as { stderr?: string };
    if (err.stderr && /No module named/.test(err.stderr)) assert.fail(PY_MISSING);
    throw e;
  }
}

function shaOf(data: TensorData['data']): string {
  if (Array.isArray(data)) return crypto.createHash('sha256').update(JSON.stringify(data), 'utf8').digest('hex');
  return crypto.createHash('sha256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

const tensorKey = (t: { origin: string; graphPath: string; name: string }): string => `${t.origin}|${t.graphPath}|${t.name}`;

/** Our NodeInfo with non-finite floats written the way Python's repr writes them. */
function pyNorm(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (Array.isArray(v)) return v.map(pyNorm);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = pyNorm(x);
    return o;
  }
  return v;
}

/** Our summary must say what python3-onnx says, and every tensor's values must be numpy's. */
async function crossCheck(file: string, py: PyModel, s: ModelSummary): Promise<void> {
  const name = path.basename(file);
  assert.strictEqual(s.irVersion ?? null, py.ir, `${name}: ir_version`);
  assert.deepStrictEqual(s.opsets, py.opsets, `${name}: opset_import`);
  assert.deepStrictEqual(s.producer ?? null, py.producer, `${name}: producer`);
  assert.strictEqual(s.domain ?? null, py.domain, `${name}: domain`);
  assert.strictEqual(s.modelVersion ?? null, py.modelVersion, `${name}: model_version`);
  assert.strictEqual(s.docString ?? null, py.docString, `${name}: doc_string`);
  assert.deepStrictEqual({ ...s.metadata }, py.metadata, `${name}: metadata_props`);
  assert.deepStrictEqual(pyNorm(s.graphs), py.graphs, `${name}: graphs (counts, inputs, outputs)`);
  assert.strictEqual(s.nodes.length, py.nodes.length, `${name}: node count over all graphs`);
  assert.deepStrictEqual(pyNorm(s.nodes), py.nodes, `${name}: nodes`);
  assert.deepStrictEqual({ ...s.opHistogram }, py.hist, `${name}: op histogram`);
  assert.deepStrictEqual(s.inputs, (py.graphs[0] as { inputs: unknown }).inputs, `${name}: model inputs`);
  assert.deepStrictEqual(s.outputs, (py.graphs[0] as { outputs: unknown }).outputs, `${name}: model outputs`);

  const ours = [...s.tensors].sort((a, b) => tensorKey(a).localeCompare(tensorKey(b)));
  const theirs = [...py.tensors].sort((a, b) => tensorKey(a).localeCompare(tensorKey(b)));
  assert.deepStrictEqual(
    ours.map((t) => ({ key: tensorKey(t), dtype: t.dtype, shape: t.shape, owner: t.owner })),
    theirs.map((t) => ({ key: tensorKey(t), dtype: t.dtype, shape: t.shape, owner: t.owner })),
    `${name}: weights (initializers, sparse initializers, Constant values)`,
  );
  for (const t of ours) {
    assert.strictEqual(t.paramCount, t.shape.reduce((a, b) => a * b, 1), `${name}: paramCount of ${t.name}`);
  }
  assert.strictEqual(
    s.parameterCount,
    ours.filter((t) => !(t.origin === 'constant' && t.shape.length === 0)).reduce((n, t) => n + t.paramCount, 0),
    `${name}: parameterCount = weights except scalar Constants`,
  );
  for (let i = 0; i < ours.length; i++) {
    const data = await readOnnxTensor(file, ours[i]);
    assert.deepStrictEqual(data.shape, ours[i].shape);
    assert.strictEqual(shaOf(data.data), theirs[i].sha, `${name}: values of ${ours[i].origin} "${ours[i].name}" (${ours[i].dtype}[${ours[i].shape}]) differ from numpy`);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers to build models and bad files

let tmp = '';
function tmpFile(name: string, content: Uint8Array | string): string {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

/** Expect a ModelFormatError with `code`, thrown within `ms` milliseconds. */
async function expectCode(p: () => Promise<unknown>, code: string, ms = 2000): Promise<ModelFormatError> {
  const t0 = Date.now();
  try {
    await p();
  } catch (e) {
    const took = Date.now() - t0;
    assert.ok(e instanceof ModelFormatError, `expected a ModelFormatError, got ${String((e as Error)?.stack ?? e)}`);
    assert.strictEqual(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    assert.ok(took < ms, `took ${took} ms`);
    assert.ok(e.message.length > 20, 'the message explains the problem');
    return e;
  }
  assert.fail(`expected ModelFormatError ${code}, but it succeeded`);
}

/** A deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Minimal protobuf writer for hand-made (also deliberately odd) encodings. */
const pb = {
  varint(n: number): number[] {
    const out: number[] = [];
    let v = BigInt.asUintN(64, BigInt(n));
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v ? b | 0x80 : b);
    } while (v);
    return out;
  },
  tag(field: number, wt: number): number[] {
    return pb.varint(field * 8 + wt);
  },
  ld(field: number, body: number[] | Uint8Array): number[] {
    return [...pb.tag(field, 2), ...pb.varint(body.length), ...body];
  },
  str(field: number, s: string): number[] {
    return pb.ld(field, Buffer.from(s, 'utf8'));
  },
  int(field: number, n: number): number[] {
    return [...pb.tag(field, 0), ...pb.varint(n)];
  },
  f32(field: number, x: number): number[] {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x);
    return [...pb.tag(field, 5), ...b];
  },
};

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;
const floatInput = (name: string, dims: number[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

function encodeModel(graph: onnx.IGraphProto, extra: Partial<onnx.IModelProto> = {}): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 8, producerName: 'model-versions-test', opsetImport: [{ domain: '', version: 17 }], graph, ...extra }),
  ).finish();
}

function nestedIfModel(levels: number): Uint8Array {
  let g: onnx.IGraphProto = { name: 'leaf', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], output: [floatInput('y', [1])] };
  for (let i = 0; i < levels; i++) {
    g = {
      name: `g${i}`,
      node: [{ opType: 'If', name: `if${i}`, input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: A.GRAPH, g }] }],
      output: [floatInput('y', [1])],
    };
  }
  return encodeModel(g);
}

// ---------------------------------------------------------------------------------------------

describe('ONNX reader', function () {
  this.timeout(120000);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-onnx-test-'));
    assert.ok(FIXTURES.length >= 10, `the ONNX fixtures are missing from ${ONNX_DIR}`);
    assert.ok(NODE_TESTS.length >= 30, `the ONNX node tests are missing from ${NODE_TESTS_DIR}`);
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('sniffing', () => {
    it('recognises the first bytes of every ONNX fixture and rejects other files', () => {
      for (const f of [...FIXTURES.map(onnxFixture), ...NODE_TESTS.map((d) => path.join(NODE_TESTS_DIR, d, 'model.onnx'))]) {
        const head = fs.readFileSync(f).subarray(0, 512);
        assert.ok(looksLikeOnnx(head), `${f} looks like ONNX`);
        assert.ok(!isPng(head) && !isHdf5(head) && !isZip(head) && !isLfsPointer(head));
      }
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      const lfs = Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n');
      const h5 = Buffer.from('894844460d0a1a0a00000000', 'hex');
      const zip = Buffer.from('504b0304140000000000', 'hex');
      assert.ok(isPng(png) && !looksLikeOnnx(png));
      assert.ok(isLfsPointer(lfs) && !looksLikeOnnx(lfs));
      assert.ok(isHdf5(h5) && !looksLikeOnnx(h5));
      const userBlock = Buffer.alloc(1024);
      h5.copy(userBlock, 512);
      assert.ok(isHdf5(userBlock), 'HDF5 signature after a 512-byte user block');
      assert.ok(isZip(zip) && !looksLikeOnnx(zip));
      assert.ok(!looksLikeOnnx(Buffer.from('hello world, this is text')));
      assert.ok(!looksLikeOnnx(new Uint8Array(0)));
      const rnd = prng(7);
      let hits = 0;
      for (let k = 0; k < 200; k++) {
        const b = new Uint8Array(512);
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
        if (looksLikeOnnx(b)) hits++;
      }
      assert.ok(hits <= 2, `${hits} of 200 random heads look like ONNX`);
    });
  });

  describe('fixtures agree with fixtures/README.md', () => {
    it('silero_vad_v4_legacy: IR 8, opset 16 plus extra domains, inputs input, sr, h, c', async () => {
      const s = await readOnnxSummary(onnxFixture('silero_vad_v4_legacy.onnx'));
      assert.strictEqual(s.format, 'onnx');
      assert.strictEqual(s.irVersion, 8);
      assert.deepStrictEqual(s.opsets.find((o) => o.domain === ''), { domain: '', version: 16 });
      const domains = s.opsets.map((o) => o.domain);
      for (const d of ['ai.onnx.ml', 'com.microsoft']) assert.ok(domains.includes(d), `opset_import has ${d}`);
      assert.ok(s.opsets.length > 3);
      assert.deepStrictEqual(s.inputs.map((i) => i.name), ['input', 'sr', 'h', 'c']);
      assert.deepStrictEqual(s.warnings, []);
    });

    it('silero_vad_v5: producer spox, no initializers, 341 Constant weights, 25 If nodes, input/state/sr', async () => {
      const s = await readOnnxSummary(onnxFixture('silero_vad_v5.onnx'));
      assert.strictEqual(s.irVersion, 8);
      assert.deepStrictEqual(s.opsets, [{ domain: '', version: 16 }]);
      assert.strictEqual(s.producer?.name, 'spox');
      assert.deepStrictEqual(
        s.inputs.map((v) => [v.name, v.dtype, v.shape]),
        [
          ['input', 'float32', [null, null]],
          ['state', 'float32', [2, null, 128]],
          ['sr', 'int64', []],
        ],
      );
      assert.deepStrictEqual(s.outputs.map((v) => v.name), ['output', 'stateN']);
      assert.deepStrictEqual(s.outputs[0].shape, [null, 1]);
      assert.strictEqual(s.tensors.filter((t) => t.origin === 'initializer').length, 0);
      // "341 weights in Constant nodes": 341 = the number of Constant nodes over all graphs (as
      // python-onnx counts them). 340 of them are inside the If subgraphs; the one in the main graph
      // is the scalar 16000 that the model compares `sr` with.
      const consts = s.tensors.filter((t) => t.origin === 'constant');
      assert.strictEqual(consts.length, 341);
      assert.strictEqual(s.opHistogram.Constant, 341);
      assert.strictEqual(s.opHistogram.If, 25);
      assert.strictEqual(s.graphs.length, 1 + 2 * 25, 'each If has a then and an else graph');
      const inMain = consts.filter((t) => t.graphPath === '');
      assert.strictEqual(inMain.length, 1);
      const v = await readOnnxTensor(s.path, inMain[0]);
      assert.deepStrictEqual(Array.from(v.data as BigInt64Array), [16000n]);
      for (const t of consts.filter((c) => c.graphPath !== '')) {
        assert.ok(s.graphs.some((g) => g.path === t.graphPath), `graph ${t.graphPath} exists`);
        assert.match(t.graphPath, /(then|else)_branch/);
      }
      // all 341 Constant tensors hold 545,597 values; 17 of them are scalars, which are not parameters
      assert.strictEqual(consts.reduce((n, t) => n + t.paramCount, 0), 545597);
      assert.strictEqual(consts.filter((t) => t.shape.length === 0).length, 17);
      assert.strictEqual(s.parameterCount, 545597 - 17);
    });

    it('silero_vad_v6: same interface and byte size as v5, retrained weights', async () => {
      const v5 = await readOnnxSummary(onnxFixture('silero_vad_v5.onnx'));
      const v6 = await readOnnxSummary(onnxFixture('silero_vad_v6.onnx'));
      assert.deepStrictEqual(v6.inputs, v5.inputs);
      assert.deepStrictEqual(v6.outputs, v5.outputs);
      assert.strictEqual(v6.fileSize, v5.fileSize);
      assert.deepStrictEqual(v6.tensors.map((t) => [t.name, t.shape]), v5.tensors.map((t) => [t.name, t.shape]));
      // Retrained: most large weights changed (the fixed STFT basis did not).
      let changed = 0;
      let large = 0;
      for (const [i, t] of v5.tensors.entries()) {
        if (t.paramCount < 128) continue;
        large++;
        const a = await readOnnxTensor(v5.path, t);
        const b = await readOnnxTensor(v6.path, v6.tensors[i]);
        if (shaOf(a.data) !== shaOf(b.data)) changed++;
      }
      assert.ok(changed >= large / 2, `${changed} of ${large} large weights changed`);
    });

    it('livekit re-export: bytes and names differ from v5, but the 24 large weights are identical', async () => {
      const v5 = await readOnnxSummary(onnxFixture('silero_vad_v5.onnx'));
      const lk = await readOnnxSummary(onnxFixture('silero_vad_v5_livekit055_reexport.onnx'));
      assert.notStrictEqual(lk.fileSize, v5.fileSize);
      // "large" = at least 128 elements: that gives the 24 of the README.
      const large = async (s: ModelSummary): Promise<string[]> => {
        const out: string[] = [];
        for (const t of s.tensors.filter((x) => x.paramCount >= 128)) out.push(`${t.dtype}${t.shape}:${shaOf((await readOnnxTensor(s.path, t)).data)}`);
        return out.sort();
      };
      const a = await large(v5);
      assert.strictEqual(a.length, 24);
      assert.deepStrictEqual(await large(lk), a);
    });

    it('silero_vad_16k_op15: opset 15, pytorch 2.3.1, 350 nodes, 15 initializers', async () => {
      const s = await readOnnxSummary(onnxFixture('silero_vad_16k_op15.onnx'));
      assert.deepStrictEqual(s.opsets, [{ domain: '', version: 15 }]);
      assert.deepStrictEqual(s.producer, { name: 'pytorch', version: '2.3.1' });
      // 350 = nodes of the main graph and of all If subgraphs (121 are in the main graph).
      assert.strictEqual(s.nodes.length, 350);
      assert.strictEqual(s.graphs[0].nodeCount, 121);
      assert.strictEqual(s.tensors.filter((t) => t.origin === 'initializer').length, 15);
      assert.strictEqual(s.graphs[0].initializerCount, 15);
      assert.deepStrictEqual(s.inputs.map((i) => i.name), ['input', 'state', 'sr']);
      assert.deepStrictEqual(s.inputs[0].shape, ['batch', 'sequence']);
    });

    it('silero_vad_half: inputs input and state (no sr)', async () => {
      const s = await readOnnxSummary(onnxFixture('silero_vad_half.onnx'));
      assert.deepStrictEqual(s.inputs.map((i) => i.name), ['input', 'state']);
    });

    it('silero_vad_op18_ifless: IR 10, opset 18, 90 nodes, 45 initializers, no If inside the network', async () => {
      const s = await readOnnxSummary(onnxFixture('silero_vad_op18_ifless.onnx'));
      assert.strictEqual(s.irVersion, 10);
      assert.deepStrictEqual(s.opsets, [{ domain: '', version: 18 }]);
      assert.strictEqual(s.nodes.length, 90);
      assert.strictEqual(s.tensors.filter((t) => t.origin === 'initializer').length, 45);
      // The README says "no If", but python3-onnx finds exactly one: the main graph's If that picks the
      // 8 kHz or 16 kHz branch (4 main nodes + 2 × 43). The branches themselves hold no If, unlike
      // silero_vad_16k_op15, whose network has 12.
      assert.strictEqual(s.opHistogram.If, 1);
      assert.ok(s.nodes.filter((n) => n.opType === 'If').every((n) => n.graphPath === ''));
      assert.deepStrictEqual(s.graphs.map((g) => g.nodeCount), [4, 43, 43]);
    });

    it('hello_deepa_old → hello_deepa: IR 7 opset 13, input [1,24,96] → [1,25,96], params 74,977 → 78,049, output [1,1]', async () => {
      const old = await readOnnxSummary(onnxFixture('hello_deepa_old.onnx'));
      const cur = await readOnnxSummary(onnxFixture('hello_deepa.onnx'));
      for (const s of [old, cur]) {
        assert.strictEqual(s.irVersion, 7);
        assert.deepStrictEqual(s.opsets, [{ domain: '', version: 13 }]);
        assert.strictEqual(s.outputs.length, 1);
        assert.deepStrictEqual(s.outputs[0].shape, [1, 1]);
      }
      assert.deepStrictEqual(old.inputs[0].shape, [1, 24, 96]);
      assert.deepStrictEqual(cur.inputs[0].shape, [1, 25, 96]);
      // The README's parameter counts are the initializers' elements; the models' 4 scalar Constant
      // nodes (LayerNorm epsilon, Pow exponent, …) are weights in `tensors` but not parameters.
      const initParams = (s: ModelSummary): number => s.tensors.filter((t) => t.origin === 'initializer').reduce((n, t) => n + t.paramCount, 0);
      assert.strictEqual(initParams(old), 74977);
      assert.strictEqual(initParams(cur), 78049);
      assert.strictEqual(old.parameterCount, 74977);
      assert.strictEqual(cur.parameterCount, 78049);
      for (const s of [old, cur]) {
        const consts = s.tensors.filter((t) => t.origin === 'constant');
        assert.strictEqual(consts.length, 4);
        assert.ok(consts.every((t) => t.shape.length === 0 && t.paramCount === 1));
      }
    });

    it('namaste_deepa: same architecture as hello_deepa_old, different weights', async () => {
      const a = await readOnnxSummary(onnxFixture('hello_deepa_old.onnx'));
      const b = await readOnnxSummary(onnxFixture('namaste_deepa.onnx'));
      assert.deepStrictEqual(b.nodes, a.nodes);
      assert.deepStrictEqual(b.tensors.map((t) => [t.name, t.shape]), a.tensors.map((t) => [t.name, t.shape]));
      const i = a.tensors.findIndex((t) => t.paramCount > 1000);
      assert.notStrictEqual(shaOf((await readOnnxTensor(a.path, a.tensors[i])).data), shaOf((await readOnnxTensor(b.path, b.tensors[i])).data));
    });
  });

  describe('cross-check with python3-onnx (the reference implementation)', () => {
    let ref: Record<string, PyModel> | undefined;
    const reference = (): Record<string, PyModel> => (ref ??= pyReference(FIXTURES.map(onnxFixture)));

    for (const f of FIXTURES) {
      it(`${f}: header, graphs, nodes, inputs/outputs, weights and their values agree`, async () => {
        const file = onnxFixture(f);
        await crossCheck(file, reference()[file], await readOnnxSummary(file));
      });
    }

    it('every onnx-node-tests model reads and agrees', async () => {
      const files = NODE_TESTS.map((d) => path.join(NODE_TESTS_DIR, d, 'model.onnx'));
      const py = pyReference(files);
      for (const file of files) {
        const s = await readOnnxSummary(file);
        assert.ok(s.nodes.length >= 1, `${file} has nodes`);
        assert.ok(s.inputs.length >= 1 && s.outputs.length >= 1);
        assert.deepStrictEqual(s.warnings, []);
        await crossCheck(file, py[file], s);
      }
    });
  });

  describe('tensor values', () => {
    it('an initializer of silero_vad_16k_op15 equals numpy', async () => {
      const file = onnxFixture('silero_vad_16k_op15.onnx');
      const s = await readOnnxSummary(file);
      const t = s.tensors.filter((x) => x.origin === 'initializer').sort((a, b) => b.paramCount - a.paramCount)[0];
      assert.strictEqual(t.location.kind, 'raw');
      const py = pyEval(
        file,
        `t = [x for x in m.graph.initializer if x.name == ${JSON.stringify(t.name)}][0]\na = numpy_helper.to_array(t).astype(np.float64).reshape(-1)\nprint(json.dumps({'first': a[:8].tolist(), 'sum': float(a.sum()), 'n': int(a.size), 'shape': list(t.dims)}))`,
      ) as { first: number[]; sum: number; n: number; shape: number[] };
      const v = await readOnnxTensor(file, t);
      assert.ok(v.data instanceof Float32Array);
      assert.strictEqual(v.data.length, py.n);
      assert.deepStrictEqual(v.shape, py.shape);
      assert.deepStrictEqual(Array.from(v.data.subarray(0, 8)), py.first);
      const sum = v.data.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - py.sum) <= 1e-6 * Math.max(1, Math.abs(py.sum)) + 1e-3, `sum ${sum} vs ${py.sum}`);
    });

    it('a Constant inside an If subgraph of silero_vad_v5 equals numpy, including a misaligned one', async () => {
      const file = onnxFixture('silero_vad_v5.onnx');
      const s = await readOnnxSummary(file);
      const inIf = s.tensors.filter((t) => t.origin === 'constant' && t.graphPath !== '' && t.location.kind === 'raw' && t.paramCount >= 64);
      const misaligned = inIf.find((t) => t.location.kind === 'raw' && t.location.offset % 4 !== 0);
      assert.ok(misaligned, 'a raw_data tensor at an offset that is not a multiple of 4 exists');
      for (const t of [inIf[0], misaligned]) {
        const py = pyEval(
          file,
          `def find(g):\n    for n in g.node:\n        if n.op_type == 'Constant' and n.output[0] == ${JSON.stringify(t.name)}:\n            return n.attribute[0].t\n        for a in n.attribute:\n            if a.type == onnx.AttributeProto.GRAPH:\n                r = find(a.g)\n                if r is not None: return r\nt = find(m.graph)\na = numpy_helper.to_array(t).reshape(-1)\nprint(json.dumps({'all': a.astype(np.float64).tolist()}))`,
        ) as { all: number[] };
        const v = await readOnnxTensor(file, t);
        assert.deepStrictEqual(Array.from(v.data as Float32Array), py.all, `values of ${t.name}`);
      }
    });
  });

  describe('non-raw storage (float_data, int64_data, …), small Constants, sparse tensors', () => {
    let file = '';
    before(() => {
      const init = (name: string, dataType: number, dims: number[], fields: Partial<onnx.ITensorProto>): onnx.ITensorProto => ({
        name,
        dataType,
        dims,
        ...fields,
      });
      const bytes = encodeModel({
        name: 'fields',
        node: [
          { opType: 'Add', name: 'add', input: ['X', 'F'], output: ['Y'] },
          { opType: 'Constant', name: 'c_floats', output: ['CF'], attribute: [{ name: 'value_floats', type: A.FLOATS, floats: [1, 2.5, -0.1] }] },
          { opType: 'Constant', name: 'c_int', output: ['CI'], attribute: [{ name: 'value_int', type: A.INT, i: -7 }] },
          { opType: 'Constant', name: 'c_strs', output: ['CS'], attribute: [{ name: 'value_strings', type: A.STRINGS, strings: [Buffer.from('a'), Buffer.from('βγ')] }] },
          { opType: 'Constant', name: 'c_f', output: ['CF1'], attribute: [{ name: 'value_float', type: A.FLOAT, f: 0.25 }] },
        ],
        initializer: [
          init('F', T.FLOAT, [2, 2], { floatData: [1.5, -2, 3.25, 0.1] }),
          init('I64', T.INT64, [3], { int64Data: [-1, 2 ** 40, 3] }),
          init('I32', T.INT32, [2], { int32Data: [-5, 7] }),
          init('H', T.FLOAT16, [2], { int32Data: [0x3c00, 0xc000] }),
          init('D', T.DOUBLE, [2], { doubleData: [Math.PI, -1e300] }),
          init('U64', T.UINT64, [2], { uint64Data: [1, 2 ** 50] }),
          init('U32', T.UINT32, [2], { uint64Data: [4000000000, 5] }),
          init('S', T.STRING, [2], { stringData: [Buffer.from('héllo'), Buffer.from('x')] }),
          init('B', T.BOOL, [3], { int32Data: [1, 0, 1] }),
          init('I8', T.INT8, [2], { int32Data: [-128, 127] }),
          init('E', T.FLOAT, [0], { rawData: new Uint8Array(0) }),
        ],
        sparseInitializer: [
          {
            values: { name: 'SP', dataType: T.FLOAT, dims: [2], floatData: [5, 7] },
            indices: { name: 'SP_idx', dataType: T.INT64, dims: [2], int64Data: [1, 4] },
            dims: [2, 3],
          },
          {
            values: { name: 'SP2', dataType: T.INT32, dims: [2], rawData: new Uint8Array(new Int32Array([9, -9]).buffer) },
            indices: { name: 'SP2_idx', dataType: T.INT64, dims: [2, 2], int64Data: [0, 1, 1, 2] },
            dims: [2, 3],
          },
        ],
        input: [floatInput('X', [2, 2]), floatInput('F', [2, 2])],
        output: [floatInput('Y', [2, 2])],
      });
      file = tmpFile('fields/model.onnx', bytes);
    });

    it('records field locations and reads the values', async () => {
      const s = await readOnnxSummary(file);
      const by = (n: string): TensorInfo => s.tensors.find((t) => t.name === n)!;
      assert.deepStrictEqual(s.inputs.map((i) => i.name), ['X'], 'an input that is an initializer is not a model input');
      const f = by('F');
      assert.strictEqual(f.location.kind, 'field');
      assert.strictEqual(f.location.kind === 'field' && f.location.field, 'float_data');
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, f)).data as Float32Array), [1.5, -2, 3.25, Math.fround(0.1)]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('I64'))).data as BigInt64Array), [-1n, 2n ** 40n, 3n]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('I32'))).data as Int32Array), [-5, 7]);
      const h = await readOnnxTensor(file, by('H'));
      assert.ok(h.data instanceof Uint16Array);
      assert.deepStrictEqual(Array.from(h.data), [0x3c00, 0xc000]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('D'))).data as Float64Array), [Math.PI, -1e300]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('U64'))).data as BigUint64Array), [1n, 2n ** 50n]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('U32'))).data as Uint32Array), [4000000000, 5]);
      assert.deepStrictEqual((await readOnnxTensor(file, by('S'))).data, ['héllo', 'x']);
      assert.strictEqual(by('S').byteSize, 0);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('B'))).data as Uint8Array), [1, 0, 1]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('I8'))).data as Int8Array), [-128, 127]);
      const e = by('E');
      assert.strictEqual(e.paramCount, 0);
      assert.strictEqual(((await readOnnxTensor(file, e)).data as Float32Array).length, 0);
    });

    it('small Constants (value_float(s), value_int, value_strings) are weights read from their attribute', async () => {
      const s = await readOnnxSummary(file);
      const by = (n: string): TensorInfo => s.tensors.find((t) => t.name === n)!;
      assert.deepStrictEqual([by('CF').dtype, by('CF').shape, by('CF').location.kind, by('CF').owner], ['float32', [3], 'none', 'c_floats']);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('CF'))).data as Float32Array), [1, 2.5, Math.fround(-0.1)]);
      assert.deepStrictEqual([by('CI').dtype, by('CI').shape], ['int64', []]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('CI'))).data as BigInt64Array), [-7n]);
      assert.deepStrictEqual((await readOnnxTensor(file, by('CS'))).data, ['a', 'βγ']);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, by('CF1'))).data as Float32Array), [0.25]);
      assert.deepStrictEqual(s.nodes.find((n) => n.name === 'c_int')!.attributes, { value_int: -7 });
    });

    it('sparse initializers have their dense shape and read dense', async () => {
      const s = await readOnnxSummary(file);
      const sp = s.tensors.find((t) => t.name === 'SP')!;
      assert.deepStrictEqual([sp.origin, sp.shape, sp.paramCount], ['sparse-initializer', [2, 3], 6]);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, sp)).data as Float32Array), [0, 5, 0, 0, 7, 0]);
      const sp2 = s.tensors.find((t) => t.name === 'SP2')!;
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, sp2)).data as Int32Array), [0, 9, 0, 0, 0, -9]);
    });

    it('agrees with python3-onnx', async () => {
      await crossCheck(file, pyReference([file])[file], await readOnnxSummary(file));
    });

    it('reads unpacked repeated fields (dims and float_data written one entry at a time)', async () => {
      const tensor = [...pb.int(1, 3), ...pb.int(2, 1), ...pb.f32(4, 1.5), ...pb.f32(4, -1), ...pb.f32(4, 8), ...pb.str(8, 'U')];
      const vi = (n: string): number[] => [...pb.str(1, n), ...pb.ld(2, pb.ld(1, [...pb.int(1, 1), ...pb.ld(2, pb.ld(1, pb.int(1, 3)))]))];
      const node = [...pb.str(1, 'X'), ...pb.str(1, 'U'), ...pb.str(2, 'Y'), ...pb.str(3, 'add'), ...pb.str(4, 'Add')];
      const graph = [...pb.ld(1, node), ...pb.str(2, 'g'), ...pb.ld(5, tensor), ...pb.ld(11, vi('X')), ...pb.ld(12, vi('Y'))];
      const model = [...pb.int(1, 7), ...pb.ld(7, graph), ...pb.ld(8, [...pb.str(1, ''), ...pb.int(2, 13)])];
      const f = tmpFile('unpacked.onnx', Uint8Array.from(model));
      const s = await readOnnxSummary(f);
      const u = s.tensors[0];
      assert.deepStrictEqual([u.name, u.shape, u.location.kind], ['U', [3], 'field']);
      assert.deepStrictEqual(Array.from((await readOnnxTensor(f, u)).data as Float32Array), [1.5, -1, 8]);
      await crossCheck(f, pyReference([f])[f], s);
    });
  });

  describe('external data', () => {
    const extInit = (name: string, location: string, dims: number[], offset?: number, length?: number): onnx.ITensorProto => ({
      name,
      dataType: T.FLOAT,
      dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        ...(offset !== undefined ? [{ key: 'offset', value: String(offset) }] : []),
        ...(length !== undefined ? [{ key: 'length', value: String(length) }] : []),
      ],
    });
    const extModel = (dir: string, inits: onnx.ITensorProto[]): string =>
      tmpFile(
        `${dir}/model.onnx`,
        encodeModel({
          name: 'ext',
          node: [{ opType: 'Add', name: 'add', input: ['X', inits[0].name!], output: ['Y'] }],
          initializer: inits,
          input: [floatInput('X', [2, 3])],
          output: [floatInput('Y', [2, 3])],
        }),
      );
    const W = [1, -2, 3.5, 4, 0.5, -6];

    it('records the external file, offset and length and reads the values (misaligned offset, no length)', async () => {
      const junk = Buffer.from([9, 9, 9]);
      tmpFile('ext/w.bin', Buffer.concat([junk, Buffer.from(new Float32Array(W).buffer)]));
      tmpFile('ext/data/b.bin', Buffer.from(new Float32Array([7, 8]).buffer));
      const file = extModel('ext', [extInit('W', 'w.bin', [2, 3], 3, 24), extInit('B', 'data/b.bin', [2])]);
      const s = await readOnnxSummary(file);
      assert.deepStrictEqual(s.warnings, []);
      const w = s.tensors.find((t) => t.name === 'W')!;
      assert.deepStrictEqual(w.location, { kind: 'external', file: path.join(tmp, 'ext', 'w.bin'), offset: 3, length: 24 });
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, w)).data as Float32Array), W);
      const b = s.tensors.find((t) => t.name === 'B')!;
      assert.deepStrictEqual(b.location, { kind: 'external', file: path.join(tmp, 'ext', 'data', 'b.bin'), offset: 0, length: 8 });
      assert.deepStrictEqual(Array.from((await readOnnxTensor(file, b)).data as Float32Array), [7, 8]);
      // python3-onnx loads the external data and gets the same values
      const py = pyEval(file, `import os\nonnx.load_external_data_for_model(m, os.path.dirname(sys.argv[1]))\nprint(json.dumps({t.name: numpy_helper.to_array(t).reshape(-1).astype(np.float64).tolist() for t in m.graph.initializer}))`);
      assert.deepStrictEqual(py, { W, B: [7, 8] });
    });

    it('rejects a location outside the model folder (.., absolute path, symlink) with EXTERNAL_DATA_ESCAPES', async () => {
      const outside = tmpFile('outside.bin', Buffer.from(new Float32Array(W).buffer));
      const up = extModel('esc1', [extInit('W', '../outside.bin', [2, 3], 0, 24)]);
      await expectCode(() => readOnnxSummary(up), 'EXTERNAL_DATA_ESCAPES');
      const abs = extModel('esc2', [extInit('W', outside, [2, 3], 0, 24)]);
      await expectCode(() => readOnnxSummary(abs), 'EXTERNAL_DATA_ESCAPES');
      const deep = extModel('esc3', [extInit('W', 'sub/../../outside.bin', [2, 3], 0, 24)]);
      await expectCode(() => readOnnxSummary(deep), 'EXTERNAL_DATA_ESCAPES');
      const linked = extModel('esc4', [extInit('W', 'link.bin', [2, 3], 0, 24)]);
      fs.symlinkSync(outside, path.join(tmp, 'esc4', 'link.bin'));
      const e = await expectCode(() => readOnnxSummary(linked), 'EXTERNAL_DATA_ESCAPES');
      assert.match(e.message, /outside the model's folder/);
      // and readOnnxTensor checks again, even with a TensorInfo made up by the caller
      const fake: TensorInfo = {
        name: 'W', dtype: 'float32', shape: [2, 3], paramCount: 6, byteSize: 24, origin: 'initializer', graphPath: '',
        location: { kind: 'external', file: outside, offset: 0, length: 24 },
      };
      await expectCode(() => readOnnxTensor(linked, fake), 'EXTERNAL_DATA_ESCAPES');
    });

    it('an absurd external length or offset: the summary warns, reading the tensor gives a typed error', async () => {
      tmpFile('absurd/w.bin', Buffer.from(new Float32Array(W).buffer));
      const file = extModel('absurd', [extInit('W', 'w.bin', [2, 3], 0, 999999999999), extInit('V', 'w.bin', [2, 3], 999999999999, 24)]);
      const s = await readOnnxSummary(file);
      assert.strictEqual(s.warnings.length, 2, s.warnings.join('\n'));
      await expectCode(() => readOnnxTensor(file, s.tensors[0]), 'CORRUPT');
      await expectCode(() => readOnnxTensor(file, s.tensors[1]), 'TRUNCATED');
    });

    it('a missing external file: the summary warns, reading the tensor gives EXTERNAL_DATA_MISSING', async () => {
      const file = extModel('missing', [extInit('W', 'gone.bin', [2, 3], 0, 24)]);
      const s = await readOnnxSummary(file);
      assert.strictEqual(s.tensors[0].location.kind, 'external');
      assert.ok(s.warnings.some((w) => w.includes('gone.bin')), s.warnings.join('\n'));
      await expectCode(() => readOnnxTensor(file, s.tensors[0]), 'EXTERNAL_DATA_MISSING');
    });
  });

  describe('bad input gives a typed ModelFormatError, promptly', () => {
    it('missing file → NOT_FOUND', async () => {
      await expectCode(() => readOnnxSummary(path.join(tmp, 'nope.onnx')), 'NOT_FOUND');
    });

    it('a folder → NOT_A_MODEL', async () => {
      fs.mkdirSync(path.join(tmp, 'dir.onnx'), { recursive: true });
      await expectCode(() => readOnnxSummary(path.join(tmp, 'dir.onnx')), 'NOT_A_MODEL');
    });

    it('empty file → EMPTY, mentioning git lfs pull', async () => {
      const e = await expectCode(() => readOnnxSummary(tmpFile('empty.onnx', '')), 'EMPTY');
      assert.match(e.message, /empty \(0 bytes\)/);
      assert.match(e.message, /git lfs pull/);
    });

    it('first half of a fixture, and other cuts → TRUNCATED', async () => {
      const whole = fs.readFileSync(onnxFixture('silero_vad_16k_op15.onnx'));
      await expectCode(() => readOnnxSummary(tmpFile('half.onnx', whole.subarray(0, whole.length >> 1))), 'TRUNCATED');
      for (const cut of [2, 5, 20, 40, 1000, 100000, whole.length - 1000, whole.length - 5]) {
        await expectCode(() => readOnnxSummary(tmpFile(`cut${cut}.onnx`, whole.subarray(0, cut))), 'TRUNCATED');
      }
      // a big model (read through the pread window, not whole)
      const big = fs.readFileSync(onnxFixture('silero_vad_op18_ifless.onnx'));
      const padded = encodeModel({ name: 'g', initializer: [{ name: 'W', dataType: T.FLOAT, dims: [2 << 20], rawData: new Uint8Array(8 << 20) }] });
      await expectCode(() => readOnnxSummary(tmpFile('bigcut.onnx', padded.subarray(0, padded.length - 100))), 'TRUNCATED');
      await expectCode(() => readOnnxSummary(tmpFile('bigcut2.onnx', big.subarray(0, big.length >> 1))), 'TRUNCATED');
    });

    it('random bytes (seeded) → NOT_A_MODEL', async () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rnd = prng(seed);
        const b = new Uint8Array(4096 + seed * 97);
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
        await expectCode(() => readOnnxSummary(tmpFile(`random${seed}.onnx`, b)), 'NOT_A_MODEL');
      }
      await expectCode(() => readOnnxSummary(tmpFile('text.onnx', 'just some text\n')), 'NOT_A_MODEL');
    });

    it('a PNG renamed .onnx → NOT_A_MODEL saying it is a PNG', async () => {
      const ihdr = Buffer.from('0000000d494844520000000100000001080600000001f15c4872', 'hex');
      const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), ihdr, Buffer.from('0000000049454e44ae426082', 'hex')]);
      const e = await expectCode(() => readOnnxSummary(tmpFile('image.onnx', png)), 'NOT_A_MODEL');
      assert.match(e.message, /PNG/);
    });

    it('a Git LFS pointer → NOT_A_MODEL telling to run git lfs pull', async () => {
      const ptr = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 2327524\n';
      const e = await expectCode(() => readOnnxSummary(tmpFile('pointer.onnx', ptr)), 'NOT_A_MODEL');
      assert.match(e.message, /Git LFS pointer/);
      assert.match(e.message, /git lfs pull/);
    });

    it(`subgraphs nested ${MAX_GRAPH_DEPTH} deep read; deeper (a malicious 5000-deep graph) → UNSUPPORTED, no stack overflow`, async () => {
      const ok = await readOnnxSummary(tmpFile('nest-ok.onnx', nestedIfModel(MAX_GRAPH_DEPTH)));
      assert.strictEqual(ok.graphs.length, MAX_GRAPH_DEPTH + 1);
      assert.strictEqual(ok.nodes.length, MAX_GRAPH_DEPTH + 1);
      await expectCode(() => readOnnxSummary(tmpFile('nest-65.onnx', nestedIfModel(MAX_GRAPH_DEPTH + 1))), 'UNSUPPORTED');
      // hand-made, 5000 levels: graph{node{attribute{name, type GRAPH, g: graph{…}}}}
      // Built in one pass: the prefixes (outside in), the innermost graph, then the suffixes (inside out).
      const core = pb.ld(1, pb.str(4, 'Identity'));
      const opIf = pb.str(4, 'If');
      const attrName = pb.str(1, 'then_branch');
      const attrType = pb.int(20, 5);
      const prefixes: number[][] = [];
      let gLen = core.length;
      for (let i = 0; i < 5000; i++) {
        const attrLen = attrName.length + pb.tag(6, 2).length + pb.varint(gLen).length + gLen + attrType.length;
        const nodeLen = opIf.length + pb.tag(5, 2).length + pb.varint(attrLen).length + attrLen;
        prefixes.push([...pb.tag(1, 2), ...pb.varint(nodeLen), ...opIf, ...pb.tag(5, 2), ...pb.varint(attrLen), ...attrName, ...pb.tag(6, 2), ...pb.varint(gLen)]);
        gLen = pb.tag(1, 2).length + pb.varint(nodeLen).length + nodeLen;
      }
      const g = Buffer.from([...prefixes.reverse().flat(), ...core, ...new Array<number[]>(5000).fill(attrType).flat()]);
      assert.strictEqual(g.length, gLen);
      const model = Buffer.concat([Buffer.from(pb.int(1, 8)), Buffer.from(pb.ld(7, g)), Buffer.from(pb.ld(8, pb.int(2, 17)))]);
      const e = await expectCode(() => readOnnxSummary(tmpFile('nest-5000.onnx', model)), 'UNSUPPORTED');
      assert.match(e.message, /nested/);
    });

    it('a field that runs past the end of its message → CORRUPT', async () => {
      // a node claims 50 bytes inside a graph of 10; the file goes on (opset_import follows)
      const graph = [...pb.tag(1, 2), ...pb.varint(50), ...pb.str(4, 'Relu')];
      const model = [...pb.int(1, 8), ...pb.ld(7, graph), ...pb.ld(8, [...pb.str(1, ''), ...pb.int(2, 17), ...new Array(60).fill(0x20)])];
      await expectCode(() => readOnnxSummary(tmpFile('corrupt.onnx', Uint8Array.from(model))), 'CORRUPT');
      // a header without a graph at all
      const noGraph = [...pb.int(1, 8), ...pb.str(2, 'x'), ...pb.ld(8, [...pb.str(1, ''), ...pb.int(2, 17)])];
      const e = await expectCode(() => readOnnxSummary(tmpFile('nograph.onnx', Uint8Array.from(noGraph))), 'NOT_A_MODEL');
      assert.match(e.message, /no graph/);
    });

    it('300 randomly damaged copies of a fixture: each reads or gives a ModelFormatError (summary and tensors)', async () => {
      const src = fs.readFileSync(onnxFixture('hello_deepa_old.onnx'));
      const rnd = prng(99);
      const codes = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const b = Buffer.from(src);
        for (let j = 0, k = 1 + Math.floor(rnd() * 6); j < k; j++) {
          const p = Math.floor(rnd() * (rnd() < 0.5 ? 2000 : b.length));
          b[p] = rnd() < 0.5 ? Math.floor(rnd() * 256) : b[p] ^ (1 << Math.floor(rnd() * 8));
        }
        const f = tmpFile('damaged.onnx', rnd() < 0.2 ? b.subarray(0, Math.floor(rnd() * b.length)) : b);
        try {
          const s = await readOnnxSummary(f);
          for (const t of s.tensors) {
            await readOnnxTensor(f, t).catch((e: unknown) => {
              assert.ok(e instanceof ModelFormatError, `tensor ${t.name} of damaged copy ${i}: ${String(e)}`);
            });
          }
        } catch (e) {
          assert.ok(e instanceof ModelFormatError, `damaged copy ${i}: ${(e as Error)?.stack ?? String(e)}`);
          codes.add(e.code);
        }
      }
      assert.ok(codes.size >= 1);
    });

    it('readOnnxTensor on a file that changed under it → a typed error, not garbage', async () => {
      const f = tmpFile('shrink.onnx', fs.readFileSync(onnxFixture('hello_deepa.onnx')));
      const s = await readOnnxSummary(f);
      const last = [...s.tensors].sort((a, b) => (b.location as { offset: number }).offset - (a.location as { offset: number }).offset)[0];
      fs.truncateSync(f, 1000);
      await expectCode(() => readOnnxTensor(f, last), 'TRUNCATED');
      await expectCode(() => readOnnxTensor(path.join(tmp, 'nope.onnx'), last), 'NOT_FOUND');
    });
  });

  describe('large files are walked, not loaded', () => {
    it('summarizes a 64 MB model through the pread window, with the same result as in memory', async () => {
      const n = 4 << 20; // 16 MB per tensor
      const weights = [0, 1, 2, 3].map((k) => ({ name: `W${k}`, dataType: T.FLOAT, dims: [n], rawData: new Uint8Array(n * 4).fill(k + 1) }));
      const bytes = encodeModel({
        name: 'big',
        node: weights.map((w, k) => ({ opType: 'Mul', name: `mul${k}`, input: [k ? `Y${k - 1}` : 'X', w.name], output: [`Y${k}`] })),
        initializer: weights,
        input: [floatInput('X', [n])],
        output: [floatInput('Y3', [n])],
      });
      const file = tmpFile('big/model.onnx', bytes);
      const t0 = performance.now();
      const s = await readOnnxSummary(file);
      const ms = performance.now() - t0;
      assert.strictEqual(s.fileSize, bytes.length);
      assert.strictEqual(s.tensors.length, 4);
      assert.strictEqual(s.parameterCount, 4 * n);
      for (const [k, t] of s.tensors.entries()) {
        assert.strictEqual(t.location.kind, 'raw');
        const loc = t.location as { offset: number; length: number };
        assert.strictEqual(loc.length, n * 4);
        assert.strictEqual(bytes[loc.offset], k + 1);
        assert.strictEqual(bytes[loc.offset + loc.length - 1], k + 1);
      }
      const v = await readOnnxTensor(file, s.tensors[2]);
      assert.strictEqual((v.data as Float32Array).length, n);
      assert.strictEqual(new Uint8Array((v.data as Float32Array).buffer)[12345], 3);
      assert.ok(ms < 500, `summary took ${ms.toFixed(1)} ms`);
    });
  });
});
