/**
 * Evaluation refuses the formats the host cannot run (issue #15, point 8) — safetensors, PyTorch state
 * dicts and TorchScript (written here by torch 1.13), GGUF and TFLite (their headers per the published
 * specs) — before any host starts or any byte is uploaded, with one message that points to inspect, diff
 * and ONNX export: src/core/eval/runnable.ts, and the built CLI (`modelver eval`, `modelver compare`)
 * pointed at a host address that counts the connections it gets (none).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { EvalClient, EvalHostError } from '../../src/core/eval/client';
import { NotRunnableError } from '../../src/core/eval/errors';
import { evaluateModel } from '../../src/core/eval/evaluate';
import { assertRunnable, notRunnableFormat, notRunnableFormatByName, notRunnableMessage, NOT_RUNNABLE_FORMATS } from '../../src/core/eval/runnable';
import { EVALUABLE_EXTENSIONS, isEvaluableModelPath } from '../../src/core/formats/readable';
import type { Dataset } from '../../src/core/eval/dataset';
import { linearModel } from '../support/onnxModels';
import { EvalErrorCodes, float32ToBase64 } from '../../src/shared/evalProtocol';
import { REPO_ROOT } from '../support/paths';
import { CLI_BUNDLE as CLI, runCliProcess } from '../support/cliProcess';

const PY = '/usr/bin/python3';
/** the compiled host (EVAL_HOST_SCRIPT=dist/evalHost.js: the bundle) */
const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');

/** Writes the files: PyTorch ones by torch itself, safetensors by the tests' writer, GGUF and TFLite headers per their specs. */
const MAKE = String.raw`
import sys, os, struct, json
sys.path.insert(0, sys.argv[2])
out = sys.argv[1]
import torch
from safetensors_write import write
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
torch.save(net.state_dict(), os.path.join(out, 'sd.pt'))
torch.save({'model': net.state_dict(), 'epoch': 3}, os.path.join(out, 'ckpt.pth'))
torch.save(net.state_dict(), os.path.join(out, 'legacy.pt'), _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(net), os.path.join(out, 'scripted.pt'))
w = net[0].weight.detach().numpy().astype('<f4')
write(os.path.join(out, 'model.safetensors'), [('0.weight', 'F32', w.shape, w.tobytes())], {'format': 'pt'})
os.makedirs(os.path.join(out, 'hf'))
write(os.path.join(out, 'hf', 'model.safetensors'), [('0.weight', 'F32', w.shape, w.tobytes())])
# GGUF v3 (ggml/docs/gguf.md): magic, version, tensor count, metadata count, one key: general.architecture = "llama"
def gstr(s):
    b = s.encode()
    return struct.pack('<Q', len(b)) + b
g = b'GGUF' + struct.pack('<IQQ', 3, 0, 1) + gstr('general.architecture') + struct.pack('<I', 8) + gstr('llama')
open(os.path.join(out, 'tiny.gguf'), 'wb').write(g)
# a FlatBuffer with the file identifier TFL3 (TensorFlow's schema.fbs: file_identifier "TFL3"): root offset, identifier, …
open(os.path.join(out, 'tiny.tflite'), 'wb').write(struct.pack('<I', 16) + b'TFL3' + bytes(24))
print(json.dumps(None))
`;

const CASES: Array<[file: string, format: string]> = [
  ['model.safetensors', 'safetensors'],
  ['hf', 'safetensors'],
  ['sd.pt', 'pytorch'],
  ['ckpt.pth', 'pytorch'],
  ['legacy.pt', 'pytorch'],
  ['scripted.pt', 'torchscript'],
  ['tiny.gguf', 'gguf'],
  ['tiny.tflite', 'tflite'],
];

/** A TCP server standing in for a remote evaluation host: it counts the connections it gets. */
async function countingHost(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    n++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => n,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const runCli = runCliProcess;

describe('evaluation refuses formats the host cannot run (safetensors, PyTorch, TorchScript, GGUF, TFLite)', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-eval-refusal-'));
    execFileSync(PY, ['-c', MAKE, dir, path.join(REPO_ROOT, 'test', 'support')], { stdio: ['ignore', 'pipe', 'inherit'] });
    fs.writeFileSync(path.join(dir, 'model.onnx'), linearModel([1, -1], 0));
    fs.writeFileSync(path.join(dir, 'data.csv'), 'x0,x1,y\n0.1,0.2,0\n0.9,0.8,1\n0.3,0.9,1\n0.2,0.1,0\n');
    fs.writeFileSync(path.join(dir, 'token'), 'secret\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tells each format from the content (a .pt holding TorchScript is torchscript); ONNX and Keras are run', async () => {
    for (const [file, format] of CASES) assert.strictEqual(await notRunnableFormat(path.join(dir, file)), format, file);
    // a PyTorch file under another name is still refused by its content
    fs.copyFileSync(path.join(dir, 'sd.pt'), path.join(dir, 'weights.bin'));
    assert.strictEqual(await notRunnableFormat(path.join(dir, 'weights.bin')), 'pytorch');
    assert.strictEqual(await notRunnableFormat(path.join(dir, 'model.onnx')), undefined);
    assert.strictEqual(await notRunnableFormat(path.join(REPO_ROOT, 'test', 'fixtures', 'keras', 'fdeep_lstm.h5')), undefined);
    assert.strictEqual(await notRunnableFormat(path.join(dir, 'missing.onnx')), undefined, 'a missing file is left to the readers, which say so');
    assert.deepStrictEqual([...NOT_RUNNABLE_FORMATS].sort(), ['gguf', 'pytorch', 'safetensors', 'tflite', 'torchscript']);
  });

  it('the message names the file and the format, and points to inspect, diff and ONNX export', () => {
    const m = notRunnableMessage('safetensors', 'models/m.safetensors@v2')!;
    assert.strictEqual(
      m,
      'models/m.safetensors@v2 is a safetensors file: it holds weights without the code that runs them, so it cannot be evaluated here. Inspect and diff work; ' +
        "to evaluate, load the weights into the model's code and export it to ONNX (e.g. torch.onnx.export(model, example_input, \"model.onnx\"), or `optimum-cli export onnx` for a Hugging Face model).",
    );
    assert.match(notRunnableMessage('pytorch', 'sd.pt')!, /^sd\.pt is a PyTorch checkpoint: it holds weights without the code that runs them, so it cannot be evaluated here\. Inspect and diff work; .*torch\.onnx\.export/);
    assert.match(notRunnableMessage('torchscript', 's.pt')!, /^s\.pt is a TorchScript file: .*torch\.onnx\.export\(torch\.jit\.load/);
    assert.match(notRunnableMessage('gguf', 'm.gguf')!, /^m\.gguf is a GGUF file: it holds weights without the code that runs them/);
    assert.match(notRunnableMessage('tflite', 'm.tflite')!, /^m\.tflite is a TensorFlow Lite file: .*tf2onnx/);
    for (const f of ['onnx', 'keras-h5', 'keras-v3', 'keras-weights-h5', 'constructor', 'toString']) assert.strictEqual(notRunnableMessage(f, 'x'), undefined, f);
  });

  it('by name (versions whose bytes are not read) and the evaluable extensions of the tree menus', () => {
    assert.deepStrictEqual(
      ['a.safetensors', 'model.safetensors.index.json', 'b.PT', 'c.pth', 'd.gguf', 'e.tflite', 'f.onnx', 'g.keras', 'h.h5'].map(notRunnableFormatByName),
      ['safetensors', 'safetensors', 'pytorch', 'pytorch', 'gguf', 'tflite', undefined, undefined, undefined],
    );
    assert.deepStrictEqual([...EVALUABLE_EXTENSIONS], ['.onnx', '.h5', '.hdf5', '.keras']);
    assert.deepStrictEqual(
      ['m.onnx', 'm.H5', 'm.hdf5', 'm.keras', 'm.safetensors', 'm.pt', 'm.pth', 'm.gguf', 'm.tflite', 'm.pb', 'hf'].map(isEvaluableModelPath),
      [true, true, true, true, false, false, false, false, false, false, false],
    );
    // the menus of the tree show Evaluate Version… and Compare Models… on evaluable versions only
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { menus: Record<string, Array<{ command: string; when?: string }>> } };
    for (const id of ['modelVersions.evaluateVersion', 'modelVersions.compareModels']) {
      const item = pkg.contributes.menus['view/item/context'].find((i) => i.command === id)!;
      const re = /viewItem =~ \/(.*?)\/ /.exec(item.when ?? '');
      assert.ok(re, `${id}: ${item.when}`);
      const rx = new RegExp(re[1]);
      assert.ok(rx.test('version.aliased.lfs.evaluable') && rx.test('version.evaluable'), `${id} shows on evaluable versions`);
      assert.ok(!rx.test('version.tagged.lfs') && !rx.test('version'), `${id} is hidden on the others`);
    }
  });

  it('evaluateModel refuses before it asks for the host', async () => {
    let asked = 0;
    const client = () => {
      asked++;
      return Promise.reject(new Error('no host in this test'));
    };
    const ds = { task: 'binary', classNames: ['0', '1'], rowCount: 4, featureCount: 2 } as unknown as Dataset;
    for (const [file, format] of CASES) {
      await assert.rejects(evaluateModel({ file: path.join(dir, file), label: file }, ds, client), (e: unknown) => {
        assert.ok(e instanceof NotRunnableError, String(e));
        assert.strictEqual(e.format, format);
        assert.ok(e.message.startsWith(`${file} is a`), e.message);
        return true;
      });
    }
    assert.strictEqual(asked, 0);
    await assert.rejects(assertRunnable(path.join(dir, 'tiny.gguf')), /^NotRunnableError: tiny\.gguf is a GGUF file/);
    await assertRunnable(path.join(dir, 'model.onnx'));
  });

  it('the host gives the same answer to a client that uploads such a file anyway (BadInput), and runs ONNX after it', async () => {
    const client = EvalClient.local(HOST, { args: ['--cache-dir', path.join(dir, 'host-cache'), '--provider', 'cpu'] });
    try {
      await client.initialize();
      const input = { name: 'x', dims: [2], data: { base64: float32ToBase64(new Float32Array([0.1, 0.2])) } };
      for (const [file, format] of [CASES[0], CASES[2], CASES[5], CASES[6], CASES[7]]) {
        const modelHash = await client.ensureModel(path.join(dir, file));
        await assert.rejects(client.evaluate({ modelHash, inputs: [input] }), (e: unknown) => {
          assert.ok(e instanceof EvalHostError, String(e));
          assert.strictEqual(e.code, EvalErrorCodes.BadInput);
          assert.strictEqual(e.message, notRunnableMessage(format, 'The model'));
          return true;
        });
      }
      const ok = await client.evaluate({ modelHash: await client.ensureModel(path.join(dir, 'model.onnx')), inputs: [input] });
      assert.strictEqual(ok.outputs.length, 1);
    } finally {
      client.dispose();
    }
  });

  it('modelver eval: exit 1 with the message, and no connection to the host', async function () {
    if (!fs.existsSync(CLI)) assert.fail(`${CLI} is missing: run npm run build first`);
    const host = await countingHost();
    try {
      for (const [file, format] of CASES) {
        const r = await runCli(['eval', file, '--data', 'data.csv', '--label', 'y', '--host', `ws://127.0.0.1:${host.port}`, '--token-file', 'token', '--no-cache'], dir);
        assert.strictEqual(r.code, 1, `${file}: ${r.err}`);
        assert.strictEqual(r.out, '');
        assert.ok(r.err.includes(notRunnableMessage(format, file)!), `${file}: ${r.err}`);
      }
      assert.strictEqual(host.connections(), 0, 'the host was never contacted');
    } finally {
      await host.close();
    }
  });

  it('modelver compare: exit 2 with the message naming the refused model, and no connection to the host', async function () {
    if (!fs.existsSync(CLI)) assert.fail(`${CLI} is missing: run npm run build first`);
    const host = await countingHost();
    try {
      for (const [file, format] of CASES) {
        const r = await runCli(['compare', 'model.onnx', file, '--data', 'data.csv', '--label', 'y', '--host', `ws://127.0.0.1:${host.port}`, '--token-file', 'token'], dir);
        assert.strictEqual(r.code, 2, `${file}: ${r.err}`);
        assert.ok(r.err.includes(notRunnableMessage(format, file)!), `${file}: ${r.err}`);
      }
      assert.strictEqual(host.connections(), 0, 'the host was never contacted');
    } finally {
      await host.close();
    }
  });
});
