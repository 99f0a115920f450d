/**
 * PyTorch reader (issue #15 part 2): zip checkpoints written by torch.save and TorchScript archives
 * written by torch.jit.save, all made here by the real library (Debian's python3-torch 1.13, through
 * /usr/bin/python3), compared with what torch itself reports: names, dtypes, shapes, strides, storage
 * offsets and values. The legacy format is refused; a pickle that asks for os.system is refused by name
 * and nothing in it runs; `modelver inspect --json` and `modelver diff` work end to end.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffModels } from '../../src/core/diff';
import { describeSummary, readModelSummary, readTensor } from '../../src/core/formats';
import { ModelFormatError } from '../../src/core/formats/errors';
import { PickleError, PyDict, unpickle } from '../../src/core/formats/pickle';
import type { ModelSummary, TensorData, TensorInfo } from '../../src/core/formats/types';

const PYTHON = '/usr/bin/python3';
const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');

/** What torch reports for one tensor: values as float64 (float16/bfloat16 widened exactly). */
interface RefTensor {
  name: string;
  dtype: string;
  shape: number[];
  stride: number[];
  offset: number;
  values: number[];
}
interface Ref {
  files: Record<string, { tensors: RefTensor[]; optimizer: RefTensor[] }>;
}

const GENERATE = `
import sys, os, json, collections, torch, torch.nn as nn
torch.manual_seed(0)
out = sys.argv[1]

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.bn = nn.BatchNorm1d(2)
        self.emb = nn.Embedding(4, 3)
    def forward(self, x):
        return self.bn(self.fc(x))

class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
    def forward(self, x):
        return self.fc(x) * torch.tensor([2.0, 3.0])

net = Net()
sd = net.state_dict()
big = torch.arange(20, dtype=torch.float32).reshape(4, 5)
sd['half'] = torch.randn(2, 3).half()
sd['bf16'] = torch.randn(5).bfloat16()
sd['ids'] = torch.tensor([[1, -2], [3, 2**40]], dtype=torch.int64)
sd['flags'] = torch.tensor([True, False, True])
sd['fc_t'] = sd['fc.weight'].t()          # a transposed view of fc.weight: same storage, strides (1, 3)
sd['row'] = big[2]                         # contiguous, storage offset 10
sd['col'] = big[:, 1]                      # strided: offset 1, stride 5
sd['scalar'] = torch.tensor(7.5, dtype=torch.float64)
torch.save(sd, out + '/sd.pt')
sd2 = collections.OrderedDict((k, v.clone()) for k, v in sd.items())
sd2['bn.running_var'][1] += 0.5
torch.save(sd2, out + '/sd_changed.pt')

opt = torch.optim.Adam(net.parameters(), lr=0.01)
net(torch.randn(4, 3)).sum().backward()
opt.step()
torch.save({'model': net.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 3, 'loss': 0.25, 'note': 'first run'}, out + '/ckpt.pt')
torch.jit.save(torch.jit.script(net), out + '/scripted.pt')
torch.jit.save(torch.jit.trace(Scaled(), torch.randn(1, 3)), out + '/traced.pt')
torch.save(sd, out + '/legacy.pt', _use_new_zipfile_serialization=False)
torch.save(net, out + '/whole.pt')

class Evil:
    def __reduce__(self):
        return (os.system, ('echo ran > ' + out + '/pwned',))
torch.save({'w': torch.ones(2), 'x': Evil()}, out + '/evil.pt')

def ref(name, t):
    v = t.detach()
    vals = v.to(torch.float64).flatten().tolist() if v.dtype != torch.int64 else v.flatten().tolist()
    return {'name': name, 'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape), 'stride': list(v.stride()),
            'offset': v.storage_offset(), 'values': vals}

def flat(prefix, obj, acc):
    if isinstance(obj, torch.Tensor): acc.append(ref(prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items(): flat(prefix + '.' + str(k) if prefix else str(k), v, acc)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj): flat(prefix + '.' + str(i) if prefix else str(i), v, acc)

files = {}
for f in ['sd', 'sd_changed']:
    acc = []; flat('', torch.load(out + '/' + f + '.pt'), acc); files[f] = {'tensors': acc, 'optimizer': []}
ck = torch.load(out + '/ckpt.pt')
model, optim = [], []
flat('model', ck['model'], model); flat('optimizer', ck['optimizer'], optim)
files['ckpt'] = {'tensors': model, 'optimizer': optim}
for f in ['scripted', 'traced']:
    m = torch.jit.load(out + '/' + f + '.pt')
    acc = [ref(k, v) for k, v in m.state_dict().items()]
    files[f] = {'tensors': acc, 'optimizer': []}
print(json.dumps({'files': files}))
`;

function requireTorch(): void {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`PyTorch is missing for ${PYTHON}: install it with \`apt-get install python3-torch\``);
}

/** IEEE half → number. */
function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function numbers(d: TensorData): number[] {
  const a = d.data;
  if (Array.isArray(a)) throw new Error('strings');
  if (d.dtype === 'float16') return Array.from(a as Uint16Array, half);
  if (d.dtype === 'bfloat16') return Array.from(a as Uint16Array, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]);
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) return Array.from(a, (x) => Number(x));
  return Array.from(a as ArrayLike<number>);
}

async function checkAgainst(s: ModelSummary, file: string, want: RefTensor[], got: TensorInfo[]): Promise<void> {
  assert.deepStrictEqual(
    got.map((t) => t.name).sort(),
    want.map((t) => t.name).sort(),
    'the tensor names torch reports',
  );
  for (const w of want) {
    const t = got.find((x) => x.name === w.name)!;
    assert.strictEqual(t.dtype, w.dtype, `${w.name}: dtype`);
    assert.deepStrictEqual(t.shape, w.shape, `${w.name}: shape`);
    assert.deepStrictEqual(t.storage?.stride, w.stride, `${w.name}: strides`);
    assert.strictEqual(t.storage?.offset, w.offset, `${w.name}: storage offset`);
    assert.strictEqual(t.paramCount, w.shape.reduce((a, b) => a * b, 1), `${w.name}: paramCount`);
    const d = await readTensor(file, s, t);
    assert.deepStrictEqual(d.shape, w.shape);
    assert.deepStrictEqual(numbers(d), w.values, `${w.name}: values`);
  }
}

describe('PyTorch reader: files written by torch 1.13', function () {
  this.timeout(120_000);
  let dir: string;
  let ref: Ref;
  const f = (n: string) => path.join(dir, `${n}.pt`);

  before(() => {
    requireTorch();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-pytorch-'));
    const script = path.join(dir, 'generate.py'); // a file, not -c: torch.jit.script reads the module's source
    fs.writeFileSync(script, GENERATE);
    ref = JSON.parse(execFileSync(PYTHON, [script, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] })) as Ref;
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a state_dict: every key, dtype (float16, bfloat16, int64, bool, float64), shape, stride, storage offset and value', async () => {
    const s = await readModelSummary(f('sd'));
    assert.strictEqual(s.format, 'pytorch');
    assert.strictEqual(s.pytorch?.kind, 'state_dict');
    assert.strictEqual(s.pytorch?.fileVersion, '3');
    await checkAgainst(s, f('sd'), ref.files.sd.tensors, s.tensors);
    assert.strictEqual(s.parameterCount, ref.files.sd.tensors.reduce((a, t) => a + t.values.length, 0));
    // views share their storage: the transpose is fc.weight's storage read with strides (1, 3)
    const w = s.tensors.find((t) => t.name === 'fc.weight')!;
    const wt = s.tensors.find((t) => t.name === 'fc_t')!;
    assert.strictEqual(wt.storage?.key, w.storage?.key);
    assert.deepStrictEqual([w.location.kind, wt.location.kind], ['raw', 'zip']);
    assert.strictEqual(s.tensors.find((t) => t.name === 'col')!.location.kind, 'zip');
    assert.strictEqual(s.tensors.find((t) => t.name === 'row')!.location.kind, 'raw');
    assert.match(describeSummary(s), /PyTorch state_dict \(zip, version 3\)/);
  });

  it('a checkpoint: the model weights apart from the optimizer state, numbers as metadata', async () => {
    const s = await readModelSummary(f('ckpt'));
    assert.strictEqual(s.pytorch?.kind, 'checkpoint');
    await checkAgainst(s, f('ckpt'), ref.files.ckpt.tensors, s.tensors);
    await checkAgainst(s, f('ckpt'), ref.files.ckpt.optimizer, s.pytorch!.optimizerTensors);
    assert.ok(s.pytorch!.optimizerTensors.every((t) => t.origin === 'pytorch-optimizer'));
    assert.ok(s.pytorch!.optimizerTensors.some((t) => /^optimizer\.state\.0\.exp_avg$/.test(t.name)));
    assert.strictEqual(s.parameterCount, ref.files.ckpt.tensors.reduce((a, t) => a + t.values.length, 0), 'optimizer state is not counted');
    assert.strictEqual(s.metadata.epoch, '3');
    assert.strictEqual(s.metadata.loss, '0.25');
    assert.strictEqual(s.metadata.note, 'first run');
    assert.strictEqual(s.metadata['optimizer.param_groups.0.lr'], '0.01');
    assert.strictEqual(s.metadata['optimizer.param_groups.0.betas'], '[0.9, 0.999]');
    const opt = ref.files.ckpt.optimizer;
    assert.strictEqual(opt.length, 12, 'Adam state (step, exp_avg, exp_avg_sq) of the 4 parameters that had gradients');
    const values = opt.reduce((a, t) => a + t.values.length, 0);
    assert.ok(describeSummary(s).includes(`optimizer state: ${values} values in 12 tensors (not counted as parameters)`), describeSummary(s));
  });

  it('TorchScript archives (scripted, traced with a constant): their tensors under the module attribute names', async () => {
    const s = await readModelSummary(f('scripted'));
    assert.strictEqual(s.format, 'torchscript');
    assert.strictEqual(s.pytorch?.kind, 'torchscript');
    await checkAgainst(s, f('scripted'), ref.files.scripted.tensors, s.tensors);
    assert.deepStrictEqual(
      s.nodes.map((n) => `${n.name}:${n.opType}`),
      ['(root):Net', 'fc:Linear', 'bn:BatchNorm1d', 'emb:Embedding'],
    );
    const t = await readModelSummary(f('traced'));
    const weights = t.tensors.filter((x) => x.origin !== 'constant');
    await checkAgainst(t, f('traced'), ref.files.traced.tensors, weights);
    const constants = t.tensors.filter((x) => x.origin === 'constant');
    assert.deepStrictEqual(constants.map((c) => [c.name, c.dtype, c.shape]), [['constants.0', 'float32', [2]]]);
    assert.deepStrictEqual(numbers(await readTensor(f('traced'), t, constants[0])), [2, 3]);
  });

  it('the legacy (non-zip) format is refused with what to do', async () => {
    await assert.rejects(readModelSummary(f('legacy')), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError && e.code === 'UNSUPPORTED', String(e));
      assert.match(e.message, /legacy\.pt is a PyTorch file in the legacy format .* save it again with torch\.save\(obj, path\)/);
      return true;
    });
  });

  it('a pickle that asks for os.system is refused by name, and nothing in it runs', async () => {
    await assert.rejects(readModelSummary(f('evil')), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError && e.code === 'UNSUPPORTED', String(e));
      assert.match(e.message, /evil\.pt: its data\.pkl asks for the Python global posix\.system, which was refused \(nothing in the file was run\)/);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(dir, 'pwned')), 'the command in the pickle ran');
    // a whole pickled model names its class and says what to save instead
    await assert.rejects(readModelSummary(f('whole')), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError && e.code === 'UNSUPPORTED', String(e));
      assert.match(e.message, /global __main__\.Net, which was refused .* Save the weights instead: torch\.save\(model\.state_dict\(\), path\)/);
      return true;
    });
  });

  it('damaged pickles are our error, never a crash: every truncation of data.pkl, and refused opcodes', () => {
    const hooks = { resolveGlobal: () => null, persistentLoad: () => null };
    // protocol 2: {'a': [1, 2.5, 'x', None, True]}
    const p = Buffer.from('80027d710058010000006171015d7102284b014740040000000000005801000000787103' + '4e8865732e', 'hex');
    const v = unpickle(p, hooks);
    assert.ok(v instanceof PyDict);
    assert.deepStrictEqual(v.get('a'), [1, 2.5, 'x', null, true]);
    for (let n = 0; n < p.length; n++) assert.throws(() => unpickle(p.subarray(0, n), hooks), PickleError, `cut at ${n}`);
    for (const op of ['69', '6f', '92', '82']) assert.throws(() => unpickle(Buffer.from(`8002${op}00000000`, 'hex'), hooks), /refused/);
  });

  it('modelver inspect --json lists every tensor and the parameter count; diff exits 0 for a file against itself and 1 naming the changed tensor', async () => {
    const r = spawnSync(process.execPath, [CLI, 'inspect', f('sd'), '--json'], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as ModelSummary;
    assert.deepStrictEqual(j.tensors.map((t) => t.name).sort(), ref.files.sd.tensors.map((t) => t.name).sort());
    assert.strictEqual(j.parameterCount, ref.files.sd.tensors.reduce((a, t) => a + t.values.length, 0));
    const same = spawnSync(process.execPath, [CLI, 'diff', f('sd'), f('sd')], { encoding: 'utf8' });
    assert.strictEqual(same.status, 0, same.stdout + same.stderr);
    const changed = spawnSync(process.execPath, [CLI, 'diff', f('sd'), f('sd_changed')], { encoding: 'utf8' });
    assert.strictEqual(changed.status, 1, changed.stdout + changed.stderr);
    assert.match(changed.stdout, /bn\.running_var/);
    const d = await diffModels(f('sd'), f('sd_changed'));
    const rows = d.weights.rows.filter((x) => x.status !== 'identical');
    assert.deepStrictEqual(rows.map((x) => [x.status, x.a?.name]), [['changed', 'bn.running_var']]);
  });
});
