import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { readModelSummary, ModelFormatError } from '../../src/core/formats';
import { toInspectViewModel, MAX_TENSOR_ROWS } from '../../src/core/formats/viewModel';
import { fixture } from '../support/paths';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

describe('modelver inspect', () => {
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-inspect-cli-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('--json on silero v5 lists inputs input/state/sr and finds Constant weights inside If subgraphs', async () => {
    const r = await cli('inspect', fixture('onnx', 'silero_vad_v5.onnx'), '--json');
    assert.strictEqual(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.deepStrictEqual(s.inputs.map((v: { name: string }) => v.name), ['input', 'state', 'sr']);
    const inIf = s.tensors.filter((t: { origin: string; graphPath: string }) => t.origin === 'constant' && /^If_\d+\/(then|else)_branch/.test(t.graphPath));
    assert.ok(inIf.length > 300, `expected the Constant weights inside If subgraphs, found ${inIf.length}`);
    assert.strictEqual(s.tensors.filter((t: { origin: string }) => t.origin === 'initializer').length, 0);
  });

  it('prints a readable summary for people', async () => {
    const r = await cli('inspect', fixture('onnx', 'hello_deepa.onnx'));
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /^hello_deepa\.onnx$/m);
    assert.match(r.out, /parameters:\s+78,049 in \d+ tensors/);
    assert.match(r.out, /inputs:\n {2}\S+ float32\[1,25,96\]/);
  });

  it('reads Keras HDF5 through the same command', async () => {
    const r = await cli('inspect', fixture('keras', 'keras2c_example_model.h5'));
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /Keras HDF5 \(Keras 2\.2\.4\)/);
    assert.match(r.out, /optimizer state: [\d,]+ values/);
  });

  it('exit 1 with a message that says what is wrong for a file that is not a model', async () => {
    const png = path.join(tmp, 'picture.onnx');
    fs.writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const r = await cli('inspect', png);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /picture\.onnx is a PNG image, not a model file/);
    assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace for bad input');
  });

  it('exit 1 and a git lfs hint for an LFS pointer', async () => {
    const ptr = path.join(tmp, 'pointer.h5');
    fs.writeFileSync(ptr, 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 12345\n');
    const r = await cli('inspect', ptr);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /Git LFS pointer.*git lfs pull/);
  });

  it('exit 2 on usage errors', async () => {
    assert.strictEqual((await cli('inspect')).code, 2);
    assert.strictEqual((await cli('inspect', 'a', 'b')).code, 2);
    assert.strictEqual((await cli('inspect', 'a', '--tensors', 'x')).code, 2);
    assert.strictEqual((await cli('inspect', 'a', '--bogus')).code, 2);
    assert.strictEqual((await cli('no-such-command')).code, 2);
    assert.strictEqual((await cli('constructor')).code, 2, 'object prototype names are not commands');
  });

  it('knows `eval` as another name of `evaluate`', async () => {
    const r = await cli('eval', '--help');
    assert.strictEqual(r.code, 0);
    assert.match(r.out, /^usage: modelver evaluate /);
  });

  it('exit 1 for a missing file', async () => {
    const r = await cli('inspect', path.join(tmp, 'nope.onnx'));
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /does not exist/);
  });
});

describe('readModelSummary dispatch', () => {
  it('throws typed errors for a folder and an empty file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-dispatch-'));
    try {
      await assert.rejects(readModelSummary(dir), (e: unknown) => e instanceof ModelFormatError && e.code === 'NOT_A_MODEL');
      const empty = path.join(dir, 'empty.onnx');
      fs.writeFileSync(empty, '');
      await assert.rejects(readModelSummary(empty), (e: unknown) => e instanceof ModelFormatError && e.code === 'EMPTY');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Inspect view model', () => {
  it('keeps the largest tensors first and says how many there are in all', async () => {
    const s = await readModelSummary(fixture('onnx', 'silero_vad_v5.onnx'));
    const vm = toInspectViewModel(s, 'models/silero_vad_v5.onnx');
    assert.strictEqual(vm.tensorTotal, s.tensors.length);
    assert.ok(vm.tensors.length <= MAX_TENSOR_ROWS);
    for (let i = 1; i < vm.tensors.length; i++) assert.ok(vm.tensors[i - 1].params >= vm.tensors[i].params);
    assert.deepStrictEqual(vm.inputs.map((v) => v.name), ['input', 'state', 'sr']);
    assert.strictEqual(vm.inputs[1].shape, '[2,?,128]');
    assert.ok(vm.ops.find((o) => o.op === 'If' && o.count === 25));
  });
});
