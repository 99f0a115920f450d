/**
 * Seeded fuzzing of every reader over mutated real files (issue #10 §4): bit flips, overwrites with
 * interesting values (lengths, varints, text tokens), truncation, chunk duplication and deletion. Each
 * input must either parse or fail with our own typed error (ModelFormatError for models, DatasetError
 * for datasets): no RangeError/TypeError, no hang (a time bound per input), bounded memory.
 *
 * - ONNX and the dataset loaders run in a worker thread (test/support/fuzzWorker.ts) with a heap limit,
 *   watched from here: a stuck input is stopped and reported.
 * - Keras HDF5 and .keras archives go through the product's own path: readKerasSummary /
 *   readKerasTensors, whose HDF5 work runs in the reader's worker under its time limit.
 * - PyTorch zip checkpoints and TorchScript archives (written here by python3-torch) run in the worker
 *   thread like ONNX: summary, every tensor (optimizer state included), and every 8th input a diff.
 * - safetensors files and a sharded model's index (written here with json + struct + numpy) likewise.
 * - GGUF files (test/support/gguf_write.py: struct + numpy) likewise: v3 with every value type, and v2.
 * - TFLite FlatBuffers (real tflite-micro models: int8 with quantization, custom ops, an LSTM) likewise.
 *
 * Every input is reproducible from the seed alone: a failure prints the seed, the reader, the fixture,
 * the input's index and its mutations. MV_FUZZ_SEED=<n> picks another seed, MV_FUZZ_SCALE=<x>
 * multiplies the counts, MV_FUZZ_ONLY=<reader>:<fixture>:<index> runs one input. A summary goes to
 * .test-artifacts/fuzz-report.json.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { loadDataset } from '../../src/core/eval/dataset';
import { DatasetError } from '../../src/core/eval/datasetErrors';
import { ModelFormatError } from '../../src/core/formats/errors';
import { disposeKerasReader, kerasTimeLimitMs, readKerasSummary } from '../../src/core/formats/keras';
import { runReader, writeInput, type Case, type Outcome, type ReaderKind } from '../support/fuzz';
import type { FuzzJob, FuzzMessage } from '../support/fuzzWorker';
import { ARTIFACTS, fixture, REPO_ROOT } from '../support/paths';

const PYTHON = '/usr/bin/python3';
const SEED = Number(process.env.MV_FUZZ_SEED ?? 20261206);
const SCALE = Number(process.env.MV_FUZZ_SCALE ?? 1);
const ONLY = process.env.MV_FUZZ_ONLY?.split(':');
/** an in-thread reader taking longer than this on one input is stopped and reported as a hang */
const HANG_MS = 10_000;
/** an input slower than this fails the test (it is not a hang, but no reader should be this slow on these sizes) */
const SLOW_MS = 5_000;
/** the fuzz worker's heap; typed arrays are counted in the RSS check below */
const HEAP_MB = 768;
const RSS_LIMIT = 3 * 1024 * 1024 * 1024;

interface Tally {
  reader: ReaderKind;
  fixture: string;
  inputs: number;
  parsed: number;
  errors: Record<string, number>;
  failures: string[];
  slowest: { ms: number; index: number; steps: string[] };
  ms: number;
}

const tallies: Tally[] = [];
let peakRss = 0;

function tallyFor(c: Case): Tally {
  const t: Tally = { reader: c.reader, fixture: path.basename(c.fixture), inputs: 0, parsed: 0, errors: {}, failures: [], slowest: { ms: 0, index: -1, steps: [] }, ms: 0 };
  tallies.push(t);
  return t;
}

function describeInput(c: Case, index: number, steps: string[]): string {
  return `${c.reader} ${path.basename(c.fixture)} input #${index} (MV_FUZZ_SEED=${SEED} MV_FUZZ_ONLY=${c.reader}:${path.basename(c.fixture)}:${index}): ${steps.join(', ')}`;
}

function record(t: Tally, c: Case, index: number, steps: string[], ms: number, outcome: Outcome, bound = SLOW_MS): void {
  t.inputs++;
  t.ms += ms;
  if (ms > t.slowest.ms) t.slowest = { ms, index, steps };
  if (outcome.kind === 'parsed') t.parsed++;
  else if (outcome.kind === 'error') t.errors[outcome.code] = (t.errors[outcome.code] ?? 0) + 1;
  else t.failures.push(`${describeInput(c, index, steps)} → ${outcome.error}`);
  if (ms > bound && outcome.kind !== 'crash') t.failures.push(`${describeInput(c, index, steps)} → took ${Math.round(ms)} ms (bound ${Math.round(bound)} ms)`);
}

function onlyIndex(c: Case): number | undefined | null {
  if (!ONLY) return undefined;
  return ONLY[0] === c.reader && ONLY[1] === path.basename(c.fixture) ? Number(ONLY[2]) : null;
}

/** Runs `count` inputs of case `c` in a worker thread, restarting it after a hang or a crash of the thread. */
async function runInWorker(c: Case, count: number, dir: string): Promise<Tally> {
  const t = tallyFor(c);
  const only = onlyIndex(c);
  if (only === null) return t;
  let from = only ?? 0;
  const end = only !== undefined ? only + 1 : count;
  while (from < end) {
    const job: FuzzJob = { cases: [c], seed: SEED, count: end, dir, from };
    const worker = new Worker(path.join(__dirname, '..', 'support', 'fuzzWorker.js'), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    from = await new Promise<number>((resolve) => {
      let current: { index: number; steps: string[] } | undefined;
      let next = from;
      let watchdog: NodeJS.Timeout | undefined;
      const stop = (why: string) => {
        if (watchdog) clearTimeout(watchdog);
        if (current) {
          t.inputs++;
          t.failures.push(`${describeInput(c, current.index, current.steps)} → ${why}`);
          next = current.index + 1;
        }
        worker.removeAllListeners();
        void worker.terminate().finally(() => resolve(current ? next : end));
      };
      worker.on('message', (m: FuzzMessage) => {
        if (m.type === 'start') {
          current = { index: m.index, steps: m.steps };
          watchdog = setTimeout(() => stop(`no answer within ${HANG_MS} ms (a hang)`), HANG_MS);
        } else if (m.type === 'done') {
          clearTimeout(watchdog);
          peakRss = Math.max(peakRss, m.rss);
          record(t, c, m.index, current!.steps, m.ms, m.outcome);
          if (m.rss > RSS_LIMIT) {
            stop(`the process used ${Math.round(m.rss / 1048576)} MiB after this input`);
            return;
          }
          current = undefined;
          next = m.index + 1;
        } else {
          clearTimeout(watchdog);
          worker.removeAllListeners();
          void worker.terminate().finally(() => resolve(end));
        }
      });
      worker.on('error', (e) => stop(`the fuzz thread died: ${e.message}`));
      worker.on('exit', (code) => stop(`the fuzz thread exited (code ${code})`));
    });
  }
  return t;
}

/** Runs `count` inputs of a Keras case here, through the product's Keras reader and its HDF5 worker. */
async function runKeras(c: Case, count: number, dir: string): Promise<Tally> {
  const t = tallyFor(c);
  const only = onlyIndex(c);
  if (only === null) return t;
  const original = fs.readFileSync(c.fixture);
  for (let i = only ?? 0; i < (only !== undefined ? only + 1 : count); i++) {
    const { file, steps } = writeInput(c, original, SEED, i, dir);
    const t0 = performance.now();
    const outcome = await runReader(c, file, i);
    const ms = performance.now() - t0;
    // bound: the reader's own limits for this file (a summary, then the values), plus a fresh worker's start
    const bound = 2 * kerasTimeLimitMs(fs.statSync(file).size) + SLOW_MS;
    record(t, c, i, steps, ms, outcome, bound);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  return t;
}

function check(ts: Tally[]): void {
  const failures = ts.flatMap((t) => t.failures);
  for (const t of ts) {
    const errs = Object.entries(t.errors).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(
      `    ${t.reader} ${t.fixture}: ${t.inputs} inputs, ${t.parsed} parsed, ${t.inputs - t.parsed - t.failures.length} clean errors (${errs || 'none'}), ` +
        `${t.failures.length} failures; slowest #${t.slowest.index} ${Math.round(t.slowest.ms)} ms; ${Math.round(t.ms / 1000)} s`,
    );
  }
  assert.deepStrictEqual(failures.slice(0, 20), [], `${failures.length} inputs neither parsed nor failed with our own error`);
  if (!ONLY) {
    const inputs = ts.reduce((a, t) => a + t.inputs, 0);
    const parsed = ts.reduce((a, t) => a + t.parsed, 0);
    // the mutations must reach both sides: some inputs still parse, most do not
    assert.ok(parsed > 0 && parsed < inputs, `${parsed} of ${inputs} parsed`);
  }
}

describe('fuzz: every reader over mutated real files', function () {
  this.timeout(600_000);
  let dir: string;
  let data: string;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-fuzz-'));
    data = path.join(dir, 'originals');
    fs.mkdirSync(data);
    // derived files, written by their usual writers from the real fixtures: penguins as CSV and JSONL,
    // iris as .npy and .npz (numpy), and a Keras 3 .keras archive of keras2c_example_model.h5's weights
    execFileSync(PYTHON, [
      '-c',
      `
import sys, json, csv, io, zipfile, h5py, numpy as np
src, out = sys.argv[1], sys.argv[2]
peng = json.load(open(src + '/data/penguins.json'))
cols = list(peng[0].keys())
with open(out + '/penguins.csv', 'w', newline='') as f:
    w = csv.writer(f); w.writerow(cols)
    for r in peng: w.writerow(['' if r.get(c) is None else r.get(c) for c in cols])
with open(out + '/penguins.jsonl', 'w') as f:
    for r in peng: f.write(json.dumps(r) + '\\n')
iris = json.load(open(src + '/data/iris.json'))
names = sorted(set(r[4] for r in iris))
x = np.array([r[:4] for r in iris], dtype=np.float32); y = np.array([names.index(r[4]) for r in iris], dtype=np.int64)
np.save(out + '/iris.npy', np.column_stack([x.astype(np.float64), y]))
np.savez_compressed(out + '/iris.npz', x=x, y=y)
k = h5py.File(src + '/keras/keras2c_example_model.h5', 'r')
mc = k.attrs['model_config']; mc = mc.decode() if isinstance(mc, bytes) else mc
buf = io.BytesIO()
with h5py.File(buf, 'w') as f:
    f.create_group('vars')
    mw = k['model_weights']
    for ln in mw.attrs['layer_names']:
        ln = ln.decode(); g = mw[ln]
        v = f.create_group('layers/' + ln + '/vars')
        for i, n in enumerate(g.attrs['weight_names']): v[str(i)] = np.asarray(g[n.decode()])
for name, comp in [('keras2c_example_model.keras', zipfile.ZIP_DEFLATED), ('keras2c_example_model_stored.keras', zipfile.ZIP_STORED)]:
    with zipfile.ZipFile(out + '/' + name, 'w', compression=comp) as z:
        z.writestr('metadata.json', json.dumps({'keras_version': '3.6.0'}))
        z.writestr('config.json', mc)
        z.writestr('model.weights.h5', buf.getvalue())
`,
      path.dirname(fixture('data', 'iris.json')).replace(/[\\/]data$/, ''),
      data,
    ]);
  });

  after(() => {
    disposeKerasReader();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'fuzz-report.json'), JSON.stringify({ seed: SEED, scale: SCALE, peakRssMiB: Math.round(peakRss / 1048576), tallies }, null, 2) + '\n');
  });

  const n = (k: number) => Math.max(1, Math.round(k * SCALE));

  it('the zip directories the fuzzer broke (NPZ, .keras): a name or extra field past the directory is our error, not a RangeError', async () => {
    /** a copy of a zip with the first central-directory entry's field at `at` (28 name length, 30 extra length) set to `v` */
    const damaged = (src: string, at: number, v: number, name: string): string => {
      const b = fs.readFileSync(src);
      const eocd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
      const cd = b.readUInt32LE(eocd + 16);
      b.writeUInt16LE(v, cd + at);
      const f = path.join(dir, name);
      fs.writeFileSync(f, b);
      return f;
    };
    for (const [at, v] of [
      [28, 0xffff],
      [30, 0xfff0],
    ]) {
      const npz = damaged(path.join(data, 'iris.npz'), at, v, `cd${at}.npz`);
      await assert.rejects(loadDataset({ file: npz, task: 'multiclass' }), (e: unknown) => {
        assert.ok(e instanceof DatasetError && e.code === 'PARSE_ERROR', String(e));
        assert.match(e.message, /is not a valid \.npz \(zip\) file: central directory entry 0/);
        return true;
      });
      const keras = damaged(path.join(data, 'keras2c_example_model.keras'), at, v, `cd${at}.keras`);
      await assert.rejects(readKerasSummary(keras), (e: unknown) => {
        assert.ok(e instanceof ModelFormatError && e.code === 'CORRUPT', String(e));
        assert.match(e.message, /is a damaged zip archive \(a directory entry runs past the directory\)/);
        return true;
      });
    }
  });

  it(`ONNX: summary, every tensor's values, and every 8th input a diff against the original`, async () => {
    const cases: Case[] = [
      { reader: 'onnx', fixture: fixture('onnx', 'hello_deepa_old.onnx'), name: 'm.onnx', mutate: { head: 16384, tail: 4096 }, diffEvery: 8 },
      { reader: 'onnx', fixture: fixture('onnx', 'silero_vad_16k_op15.onnx'), name: 'm.onnx', mutate: { head: 65536, tail: 8192 }, diffEvery: 8 },
      { reader: 'onnx', fixture: fixture('onnx', 'silero_vad_v5.onnx'), name: 'm.onnx', mutate: { head: 65536, tail: 8192 } },
      { reader: 'onnx', fixture: fixture('onnx-node-tests', 'test_gemm_all_attributes', 'model.onnx'), name: 'm.onnx', mutate: {}, diffEvery: 8 },
      { reader: 'onnx', fixture: fixture('onnx-node-tests', 'test_softmax_axis_0_expanded_ver18', 'model.onnx'), name: 'm.onnx', mutate: {} },
    ];
    const counts = [n(400), n(250), n(150), n(300), n(300)];
    const ts: Tally[] = [];
    for (const [i, c] of cases.entries()) ts.push(await runInWorker(c, counts[i], dir));
    check(ts);
  });

  it('datasets: CSV, JSON (arrays and objects), JSONL, NPY and NPZ loaders', async () => {
    const numeric = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];
    const cases: Case[] = [
      { reader: 'dataset', fixture: fixture('data', 'iris.json'), name: 'd.json', mutate: { text: true }, spec: { labelColumn: -1, task: 'multiclass' } },
      { reader: 'dataset', fixture: fixture('data', 'penguins.json'), name: 'd.json', mutate: { text: true }, spec: { labelColumn: 'Species', features: numeric, task: 'multiclass' } },
      { reader: 'dataset', fixture: path.join(data, 'penguins.csv'), name: 'd.csv', mutate: { text: true }, spec: { labelColumn: 'Species', features: numeric, task: 'multiclass' } },
      { reader: 'dataset', fixture: path.join(data, 'penguins.jsonl'), name: 'd.jsonl', mutate: { text: true }, spec: { labelColumn: 'Sex', features: numeric, task: 'binary' } },
      { reader: 'dataset', fixture: path.join(data, 'iris.npy'), name: 'd.npy', mutate: { head: 128 }, spec: { labelColumn: -1, task: 'multiclass' } },
      { reader: 'dataset', fixture: path.join(data, 'iris.npz'), name: 'd.npz', mutate: { head: 256, tail: 256 }, spec: { task: 'multiclass' } },
    ];
    const counts = [n(300), n(300), n(400), n(300), n(300), n(300)];
    const ts: Tally[] = [];
    for (const [i, c] of cases.entries()) ts.push(await runInWorker(c, counts[i], dir));
    check(ts);
  });

  it('PyTorch: torch.save state_dict and checkpoint, torch.jit.save archive', async () => {
    // written by the real library: a state_dict with a float16 tensor and a strided view, a checkpoint
    // with Adam state, a scripted module (its data.pkl sits after the storages, its code/ is deflated)
    const script = path.join(dir, 'torch_files.py'); // a file: torch.jit.script reads the module's source
    fs.writeFileSync(
      script,
      `
import sys, torch, torch.nn as nn
torch.manual_seed(0)
out = sys.argv[1]
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)
        self.bn = nn.BatchNorm1d(4)
    def forward(self, x):
        return self.bn(self.fc(x))
net = Net()
sd = net.state_dict()
sd['half'] = torch.randn(3, 5).half()
sd['fc_t'] = sd['fc.weight'].t()
torch.save(sd, out + '/sd.pt')
opt = torch.optim.Adam(net.parameters())
net(torch.randn(4, 8)).sum().backward()
opt.step()
torch.save({'model': net.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 1}, out + '/ckpt.pt')
torch.jit.save(torch.jit.script(net), out + '/scripted.pt')
`,
    );
    execFileSync(PYTHON, [script, data], { stdio: ['ignore', 'ignore', 'pipe'] });
    const cases: Case[] = [
      { reader: 'pytorch', fixture: path.join(data, 'sd.pt'), name: 'm.pt', mutate: { head: 2048, tail: 2048 }, diffEvery: 8 },
      { reader: 'pytorch', fixture: path.join(data, 'ckpt.pt'), name: 'm.pt', mutate: { head: 4096, tail: 2048 }, diffEvery: 8 },
      { reader: 'pytorch', fixture: path.join(data, 'scripted.pt'), name: 'm.pt', mutate: { tail: 2048 } },
    ];
    const counts = [n(500), n(500), n(300)];
    const ts: Tally[] = [];
    for (const [i, c] of cases.entries()) ts.push(await runInWorker(c, counts[i], dir));
    check(ts);
  });

  it("safetensors: a file of every dtype with __metadata__, and a sharded model's index (its shards beside it)", async () => {
    // written per the published format (8-byte length, JSON header padded with spaces, data), as the
    // safetensors library lays it out; the index's shards are copied beside the mutated copies too
    execFileSync(PYTHON, [
      '-c',
      `
import sys, os, json, struct, shutil, numpy as np
out, dir = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(3)
from safetensors_write import write
f32 = lambda n: rng.standard_normal(n).astype('<f4')
every = [
    ('emb.weight', 'F32', (16, 8), f32(128).tobytes()),
    ('attn.q.weight', 'F16', (8, 8), f32(64).astype('<f2').tobytes()),
    ('attn.k.weight', 'BF16', (8, 8), (f32(64).view('<u4') >> 16).astype('<u2').tobytes()),
    ('mlp.fp8', 'F8_E4M3', (4, 8), rng.integers(0, 256, 32, dtype=np.uint8).tobytes()),
    ('mlp.fp8b', 'F8_E5M2', (32,), rng.integers(0, 256, 32, dtype=np.uint8).tobytes()),
    ('step', 'I64', (), struct.pack('<q', 1000)),
    ('mask', 'BOOL', (6,), bytes([1, 0, 1, 1, 0, 0])),
    ('q8', 'I8', (4, 4), rng.integers(-128, 128, 16, dtype=np.int8).tobytes()),
    ('empty', 'F32', (0, 4), b''),
]
write(out + '/every.safetensors', every, {'format': 'pt', 'source': 'fuzz'})
wm = {}
for i, part in enumerate([every[:4], every[4:]]):
    name = 'model-%05d-of-00002.safetensors' % (i + 1)
    write(out + '/' + name, part, {'format': 'pt'})
    shutil.copy(out + '/' + name, dir + '/' + name)
    for t in part: wm[t[0]] = name
json.dump({'metadata': {'total_size': sum(len(t[3]) for t in every)}, 'weight_map': wm}, open(out + '/model.safetensors.index.json', 'w'), indent=2)
`,
      data,
      dir,
    ], { env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'test', 'support') } }); // safetensors_write.py
    const cases: Case[] = [
      { reader: 'safetensors', fixture: path.join(data, 'every.safetensors'), name: 'm.safetensors', mutate: { head: 1024, tail: 512 }, diffEvery: 8 },
      { reader: 'safetensors', fixture: path.join(data, 'model.safetensors.index.json'), name: 'model.safetensors.index.json', mutate: { text: true }, diffEvery: 8 },
    ];
    const counts = [n(400), n(300)];
    const ts: Tally[] = [];
    for (const [i, c] of cases.entries()) ts.push(await runInWorker(c, counts[i], dir));
    check(ts);
  });

  it('GGUF: v3 with metadata of every value type and F32/F16/Q8_0/Q4_0/Q4_K tensors, and v2 with alignment 64', async () => {
    execFileSync(PYTHON, [
      '-c',
      `
import sys, numpy as np
from gguf_write import *
out = sys.argv[1]
rng = np.random.default_rng(5)
kvs = [('general.architecture', STRING, 'llama'), ('llama.context_length', UINT32, 2048), ('general.file_type', UINT32, 7),
       ('t.i8', INT8, -3), ('t.u16', UINT16, 9), ('t.i16', INT16, -9), ('t.i32', INT32, -1), ('t.f32', FLOAT32, 0.5), ('t.b', BOOL, True),
       ('t.u64', UINT64, 2**40), ('t.i64', INT64, -2**40), ('t.f64', FLOAT64, 2.5), ('t.u8', UINT8, 7),
       ('tokenizer.ggml.model', STRING, 'llama'), ('tokenizer.ggml.tokens', ARRAY, (STRING, ['<unk>', '<s>', '</s>'] + ['t%d' % i for i in range(17)])),
       ('tokenizer.ggml.scores', ARRAY, (FLOAT32, list(rng.standard_normal(20)))), ('t.nested', ARRAY, (ARRAY, [(INT32, [1, 2]), (INT32, [3])]))]
x = rng.standard_normal(64 * 2).astype(np.float32)
tensors = [('token_embd.weight', 'F32', [8, 4], rng.standard_normal(32).astype('<f4').tobytes()),
           ('blk.0.attn_q.weight', 'F16', [8, 2], f16(rng.standard_normal(16)).tobytes()),
           ('blk.0.ffn_up.weight', 'Q8_0', [64, 2], quantize_q8_0(x)),
           ('blk.0.ffn_down.weight', 'Q4_0', [64, 2], quantize_q4_0(x)),
           ('blk.0.q4k', 'Q4_K', [256], rng.integers(0, 256, 144, dtype=np.uint8).tobytes())]
write(out + '/every.gguf', kvs, tensors, version=3)
write(out + '/every_v2.gguf', kvs[:6], tensors[:4], version=2, alignment=64)
`,
      data,
    ], { env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'test', 'support') } }); // gguf_write.py
    const cases: Case[] = [
      { reader: 'gguf', fixture: path.join(data, 'every.gguf'), name: 'm.gguf', mutate: { head: 1024, tail: 512 }, diffEvery: 8 },
      { reader: 'gguf', fixture: path.join(data, 'every_v2.gguf'), name: 'm.gguf', mutate: { head: 512 }, diffEvery: 8 },
    ];
    const counts = [n(400), n(300)];
    const ts: Tally[] = [];
    for (const [i, c] of cases.entries()) ts.push(await runInWorker(c, counts[i], dir));
    check(ts);
  });

  it('TFLite: real tflite-micro models (int8 quantized, custom ops with options, an LSTM)', async () => {
    const cases: Case[] = [
      { reader: 'tflite', fixture: fixture('tflite', 'tflm_hello_world_int8.tflite'), name: 'm.tflite', mutate: {}, diffEvery: 8 },
      { reader: 'tflite', fixture: fixture('tflite', 'tflm_audio_preprocessor_int8.tflite'), name: 'm.tflite', mutate: { head: 4096 }, diffEvery: 8 },
      { reader: 'tflite', fixture: fixture('tflite', 'tflm_trained_lstm_int8.tflite'), name: 'm.tflite', mutate: { head: 2048, tail: 4096 }, diffEvery: 8 },
    ];
    const counts = [n(400), n(300), n(300)];
    const ts: Tally[] = [];
    for (const [i, c] of cases.entries()) ts.push(await runInWorker(c, counts[i], dir));
    check(ts);
  });

  it('Keras: HDF5 files and .keras archives (deflated, stored), through the reader worker the product uses', async () => {
    const cases: Case[] = [
      { reader: 'keras', fixture: fixture('keras', 'fdeep_temp_stateful_tf21.h5'), name: 'k.h5', mutate: { head: 8192, inPlace: true } },
      { reader: 'keras', fixture: fixture('keras', 'keras2c_example_model.h5'), name: 'k.h5', mutate: { head: 16384, tail: 16384, inPlace: true } },
      { reader: 'keras', fixture: fixture('keras', 'keras2cpp_my_nn_weights_322a303.h5'), name: 'k.h5', mutate: { head: 8192, inPlace: true } },
      { reader: 'keras', fixture: fixture('keras', 'fdeep_lstm.h5'), name: 'k.h5', mutate: { head: 16384, tail: 16384, inPlace: true } },
      { reader: 'keras', fixture: path.join(data, 'keras2c_example_model.keras'), name: 'k.keras', mutate: { head: 2048, tail: 1024 } },
      { reader: 'keras', fixture: path.join(data, 'keras2c_example_model_stored.keras'), name: 'k.keras', mutate: { head: 12288, tail: 1024, inPlace: true } },
    ];
    const counts = [n(120), n(100), n(80), n(80), n(80), n(80)];
    const ts: Tally[] = [];
    for (const [i, c] of cases.entries()) ts.push(await runKeras(c, counts[i], dir));
    check(ts);
  });
});
