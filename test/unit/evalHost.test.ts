/**
 * The evaluation host (src/evalHost) through its client (src/core/eval/client.ts): a real host process
 * (the compiled out/src/evalHost/main.js) over stdio and over WebSocket, running a tiny MLP built here
 * with onnx-proto, compared with a plain-JS forward pass.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import WebSocket from 'ws';
import { onnx } from 'onnx-proto';
import { EvalClient, EvalHostError, isEvalCancelled, sha256Bytes } from '../../src/core/eval/client';
import { EvalErrorCodes, float32ToBase64, outputFloats } from '../../src/shared/evalProtocol';
import type { EvaluateProgress } from '../../src/shared/evalProtocol';
import { parseEvalHostArgs, parseListen, tokenMatches } from '../../src/evalHost/main';
import { missingCudaLibraries, shortenError } from '../../src/evalHost/runtime';
import * as crypto from 'crypto';
import { rng } from '../support/onnxModels';

/** the compiled host; EVAL_HOST_SCRIPT=dist/evalHost.js runs the same tests against the bundle */
const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');

// ------------------------------------------------------------------------------------------------
// A tiny MLP: IN → HID (relu) → OUT, Gemm with transB=0, known seeded weights

const IN = 6;
const HID = 16;
const OUT = 4;

interface Mlp {
  bytes: Buffer;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

function makeMlp(seed: number): Mlp {
  const r = rng(seed);
  const vals = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const w1 = vals(IN * HID);
  const b1 = vals(HID);
  const w2 = vals(HID * OUT);
  const b2 = vals(OUT);
  const tensor = (name: string, dims: number[], v: Float32Array) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(v.buffer) });
  const io = (name: string, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
    });
  const graph = onnx.GraphProto.create({
    name: 'tiny_mlp',
    node: [
      onnx.NodeProto.create({ name: 'fc1', opType: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h'] }),
      onnx.NodeProto.create({ name: 'relu', opType: 'Relu', input: ['h'], output: ['hr'] }),
      onnx.NodeProto.create({ name: 'fc2', opType: 'Gemm', input: ['hr', 'w2', 'b2'], output: ['logits'] }),
      onnx.NodeProto.create({ name: 'sig', opType: 'Sigmoid', input: ['logits'], output: ['prob'] }),
    ],
    initializer: [tensor('w1', [IN, HID], w1), tensor('b1', [HID], b1), tensor('w2', [HID, OUT], w2), tensor('b2', [OUT], b2)],
    input: [io('x', ['batch', IN])],
    output: [io('logits', ['batch', OUT]), io('prob', ['batch', OUT])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'evalHost.test', opsetImport: [{ domain: '', version: 17 }], graph });
  return { bytes: Buffer.from(onnx.ModelProto.encode(model).finish()), w1, b1, w2, b2 };
}

/** plain-JS forward pass (float64 accumulation): logits */
function forward(m: Mlp, x: Float32Array): Float64Array {
  const rows = x.length / IN;
  const out = new Float64Array(rows * OUT);
  const h = new Float64Array(HID);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < HID; j++) {
      let s = m.b1[j];
      for (let i = 0; i < IN; i++) s += x[r * IN + i] * m.w1[i * HID + j];
      h[j] = s > 0 ? s : 0;
    }
    for (let k = 0; k < OUT; k++) {
      let s = m.b2[k];
      for (let j = 0; j < HID; j++) s += h[j] * m.w2[j * OUT + k];
      out[r * OUT + k] = s;
    }
  }
  return out;
}

function inputs(rows: number, seed: number, width = IN): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: rows * width }, () => r() * 4 - 2);
}

function maxAbsErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// ------------------------------------------------------------------------------------------------

describe('evalHost', function () {
  this.timeout(120_000);
  let tmp: string;
  let modelFile: string;
  let mlp: Mlp;
  const clients: EvalClient[] = [];
  const procs: ChildProcess[] = [];

  const local = (args: string[] = []): EvalClient => {
    const c = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'cache'), ...args] });
    clients.push(c);
    return c;
  };

  before(() => {
    assert.ok(fs.existsSync(HOST), `compiled host missing: ${HOST}`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evalhost-test-'));
    mlp = makeMlp(42);
    modelFile = path.join(tmp, 'tiny.onnx');
    fs.writeFileSync(modelFile, mlp.bytes);
  });

  after(() => {
    for (const c of clients) c.dispose();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('flags and helpers', () => {
    it('parses flags; --listen binds to loopback unless a host is given; --listen needs a token file', () => {
      assert.deepStrictEqual(parseListen('0'), { host: '127.0.0.1', port: 0 });
      assert.deepStrictEqual(parseListen('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
      assert.deepStrictEqual(parseListen('[::1]:9'), { host: '::1', port: 9 });
      assert.throws(() => parseListen('x:y'), /HOST/);
      const o = parseEvalHostArgs(['--provider=cpu', '--threads', '2', '--listen', '5555', '--token-file', 't']);
      assert.strictEqual(o.provider, 'cpu');
      assert.strictEqual(o.threads, 2);
      assert.deepStrictEqual(o.listen, { host: '127.0.0.1', port: 5555 });
      assert.throws(() => parseEvalHostArgs(['--listen', '1']), /token-file/);
      assert.throws(() => parseEvalHostArgs(['--provider', 'tpu']), /provider/);
      assert.throws(() => parseEvalHostArgs(['--bogus']), /unknown argument/);
    });

    it('compares tokens in constant time on digests, refusing empty and wrong ones', () => {
      const d = crypto.createHash('sha256').update('s3cret').digest();
      assert.strictEqual(tokenMatches('s3cret', d), true);
      assert.strictEqual(tokenMatches('s3cres', d), false);
      assert.strictEqual(tokenMatches('s3cret-and-longer', d), false);
      assert.strictEqual(tokenMatches('', d), false);
      assert.strictEqual(tokenMatches(undefined, d), false);
    });

    it('shortens ORT errors to one line without colour codes or source paths', () => {
      const s = shortenError(new Error('\x1b[1;31m/onnxruntime_src/onnxruntime/core/x.cc:12 Failed\n  to  load\x1b[m'));
      assert.strictEqual(s, 'Failed to load');
      assert.ok(shortenError('x'.repeat(1000)).length <= 300);
    });
  });

  describe('local host (stdio)', () => {
    let client: EvalClient;
    let modelHash: string;

    before(async () => {
      client = local();
      const info = await client.initialize();
      assert.strictEqual(info.provider, 'cpu');
    });

    it('initialize reports providers, the choice and why others were skipped, and the machine', async () => {
      const info = client.initialized!;
      assert.strictEqual(info.requestedProvider, 'auto');
      assert.ok(info.executionProviders.some((p) => p.name === 'cpu'));
      assert.strictEqual(info.cpuCount, os.cpus().length);
      assert.strictEqual(info.platform, process.platform);
      assert.strictEqual(info.hostname, os.hostname());
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      assert.match(info.onnxruntimeVersion, /^1\./);
      const skippedNames = info.skipped.map((s) => s.provider);
      assert.deepStrictEqual(skippedNames, ['cuda', 'webgpu'], JSON.stringify(info.skipped));
      if (missingCudaLibraries().length) {
        assert.match(info.skipped[0].reason, /libonnxruntime_providers_(shared|cuda)\.so not found/);
      }
      for (const s of info.skipped) assert.ok(s.reason.length > 0 && s.reason.length <= 300);
    });

    it('uploads the model once: the second ensureModel finds it on the host', async () => {
      const before = client.uploads.models;
      modelHash = await client.ensureModel(modelFile);
      assert.strictEqual(modelHash, sha256Bytes(mlp.bytes));
      assert.strictEqual(client.uploads.models, before + 1);
      const again = await client.ensureModel(modelFile);
      assert.strictEqual(again, modelHash);
      assert.strictEqual(client.uploads.models, before + 1, 'second ensureModel must not upload');
      const has = await client.has({ models: [modelHash, 'f'.repeat(64), '../../etc/passwd'] });
      assert.deepStrictEqual(has.models, [modelHash]);
      assert.ok(fs.existsSync(path.join(tmp, 'cache', 'models', modelHash)));
    });

    it('evaluates batches through the host: outputs match a plain-JS forward pass, with progress', async () => {
      const rows = 1000;
      const x = inputs(rows, 7);
      const progress: EvaluateProgress[] = [];
      const r = await client.evaluate(
        { modelHash, inputs: [{ name: 'x', dims: [IN], data: { base64: float32ToBase64(x) } }], batchSize: 64 },
        { onProgress: (p) => progress.push(p) },
      );
      assert.strictEqual(r.rows, rows);
      assert.strictEqual(r.batches, Math.ceil(rows / 64));
      assert.strictEqual(r.provider, 'cpu');
      assert.deepStrictEqual(
        r.outputs.map((o) => [o.name, o.dims]),
        [
          ['logits', [rows, OUT]],
          ['prob', [rows, OUT]],
        ],
      );
      const expected = forward(mlp, x);
      const logits = outputFloats(r.outputs[0]);
      const err = maxAbsErr(logits, expected);
      assert.ok(err < 1e-5, `max abs error ${err}`);
      const prob = outputFloats(r.outputs[1]);
      assert.ok(maxAbsErr(prob, Array.from(expected, (v) => 1 / (1 + Math.exp(-v)))) < 1e-5);
      // progress arrives before the reply (same ordered channel)
      assert.ok(progress.length >= 2, `progress: ${JSON.stringify(progress)}`);
      const last = progress[progress.length - 1];
      assert.deepStrictEqual(last, { batchesDone: r.batches, batchesTotal: r.batches, rowsDone: rows, rowsTotal: rows });
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i].batchesDone > progress[i - 1].batchesDone);
    });

    it('takes rows from an uploaded dataset by hash and column layout, and one output by name', async () => {
      const rows = 300;
      const width = 9; // a label + 6 features + 2 ignored columns
      const wide = inputs(rows, 11, width);
      const cols = [1, 2, 3, 4, 5, 6];
      const dsHash = await client.ensureDataset(wide);
      assert.strictEqual(client.uploads.datasets, 1);
      await client.ensureDataset(wide);
      assert.strictEqual(client.uploads.datasets, 1, 'second ensureDataset must not upload');
      const r = await client.evaluate({
        modelHash,
        inputs: [{ name: 'x', dims: [IN], data: { datasetHash: dsHash, rowWidth: width, columns: cols, startRow: 10, rowCount: 250 } }],
        batchSize: 100,
        outputName: 'logits',
      });
      assert.deepStrictEqual(
        r.outputs.map((o) => [o.name, o.dims]),
        [['logits', [250, OUT]]],
      );
      const x = new Float32Array(250 * IN);
      for (let rr = 0; rr < 250; rr++) for (let c = 0; c < IN; c++) x[rr * IN + c] = wide[(10 + rr) * width + cols[c]];
      assert.ok(maxAbsErr(outputFloats(r.outputs[0]), forward(mlp, x)) < 1e-5);
    });

    it('pads a fixed-size last batch and drops the padding', async () => {
      const x = inputs(10, 3);
      const r = await client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [IN], data: { base64: float32ToBase64(x) } }], batchSize: 4, padLastBatch: true, outputName: 'logits' });
      assert.deepStrictEqual(r.outputs[0].dims, [10, OUT]);
      assert.ok(maxAbsErr(outputFloats(r.outputs[0]), forward(mlp, x)) < 1e-5);
    });

    it('cancels between batches with a cancelled error, and the host stays usable', async () => {
      const rows = 20_000;
      const x = inputs(rows, 5);
      const ac = new AbortController();
      let seen = 0;
      const t0 = Date.now();
      await assert.rejects(
        client.evaluate(
          { modelHash, inputs: [{ name: 'x', dims: [IN], data: { base64: float32ToBase64(x) } }], batchSize: 1 },
          {
            signal: ac.signal,
            onProgress: (p) => {
              seen = p.batchesDone;
              if (p.batchesDone >= 50) ac.abort();
            },
          },
        ),
        (e: unknown) => {
          assert.ok(isEvalCancelled(e), String(e));
          assert.strictEqual((e as EvalHostError).code, EvalErrorCodes.Cancelled);
          assert.match((e as Error).message, /cancelled after \d+ of 20000 batches/);
          return true;
        },
      );
      assert.ok(seen >= 50 && seen < rows, `stopped at ${seen}`);
      assert.ok(Date.now() - t0 < 30_000);
      // an already-aborted signal never reaches the host
      await assert.rejects(client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [IN], data: { base64: '' } }] }, { signal: ac.signal }), (e: unknown) => isEvalCancelled(e));
      const small = inputs(5, 9);
      const r = await client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [IN], data: { base64: float32ToBase64(small) } }], outputName: 'logits' });
      assert.ok(maxAbsErr(outputFloats(r.outputs[0]), forward(mlp, small)) < 1e-5);
    });

    it('refuses bad uploads and unknown models with protocol errors', async () => {
      const bytes = Buffer.from('not the declared content');
      await assert.rejects(client.putModel({ hash: 'a'.repeat(64), size: bytes.length, offset: 0, data: bytes.toString('base64') }), (e: unknown) => {
        assert.strictEqual((e as EvalHostError).code, EvalErrorCodes.BadUpload);
        assert.match((e as Error).message, /does not match its hash/);
        return true;
      });
      assert.deepStrictEqual((await client.has({ models: ['a'.repeat(64)] })).models, []);
      await assert.rejects(client.putModel({ hash: '../x', size: 1, offset: 0, data: 'AA==' }), /sha256/);
      // out-of-order chunk
      const h = sha256Bytes(bytes);
      await assert.rejects(client.putModel({ hash: h, size: bytes.length, offset: 5, data: 'AA==' }), /offset 0/);
      // chunked upload in order works
      await client.putModel({ hash: h, size: bytes.length, offset: 0, data: bytes.subarray(0, 10).toString('base64') });
      const done = await client.putModel({ hash: h, size: bytes.length, offset: 10, data: bytes.subarray(10).toString('base64') });
      assert.deepStrictEqual(done, { received: bytes.length, complete: true });
      await assert.rejects(client.evaluate({ modelHash: 'b'.repeat(64), inputs: [{ name: 'x', dims: [IN], data: { base64: '' } }] }), (e: unknown) => {
        assert.strictEqual((e as EvalHostError).code, EvalErrorCodes.UnknownBlob);
        return true;
      });
      // the uploaded junk is not a model: a runtime error, not a crash
      await assert.rejects(client.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [IN], data: { base64: '' } }] }), (e: unknown) => {
        assert.strictEqual((e as EvalHostError).code, EvalErrorCodes.RuntimeError);
        return true;
      });
      await assert.rejects(client.evaluate({ modelHash, inputs: [{ name: 'y', dims: [IN], data: { base64: float32ToBase64(inputs(2, 1)) } }] }), /no input y/);
      await assert.rejects(client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [5], data: { base64: float32ToBase64(inputs(2, 1)) } }] }), /not a whole number of rows/);
    });

    it('--provider cuda: a clear error naming what is missing; the same host then works with cpu', async function () {
      const c = local(['--provider', 'cuda']);
      const missing = missingCudaLibraries();
      if (!missing.length) {
        // CUDA files are present: whatever happens must be either a working cuda session or a ProviderUnavailable error
        try {
          const info = await c.initialize();
          assert.strictEqual(info.provider, 'cuda');
        } catch (e) {
          assert.strictEqual((e as EvalHostError).code, EvalErrorCodes.ProviderUnavailable);
        }
        return;
      }
      await assert.rejects(c.initialize(), (e: unknown) => {
        assert.strictEqual((e as EvalHostError).code, EvalErrorCodes.ProviderUnavailable);
        assert.match((e as Error).message, /execution provider cuda is not available: cuda: .*libonnxruntime_providers_\w+\.so not found/);
        return true;
      });
      const info = await c.initialize({ provider: 'cpu', intraOpNumThreads: 1 });
      assert.strictEqual(info.provider, 'cpu');
      assert.deepStrictEqual(info.skipped, []);
      assert.strictEqual(info.intraOpNumThreads, 1);
      const h = await c.ensureModel(modelFile);
      assert.strictEqual(c.uploads.models, 0, 'a second host on the same cache dir already has the model');
      const x = inputs(3, 2);
      const r = await c.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [IN], data: { base64: float32ToBase64(x) } }], outputName: 'logits' });
      assert.ok(maxAbsErr(outputFloats(r.outputs[0]), forward(mlp, x)) < 1e-5);
    });

    it('shutdown ends the host process', async () => {
      const c = local(['--provider', 'cpu']);
      await c.initialize();
      const exited = new Promise<number | null>((r) => c.child!.once('exit', (code) => r(code)));
      await c.shutdown();
      assert.strictEqual(await exited, 0);
    });

    it('throughput: host vs in-process (reported, not asserted)', async () => {
      const rows = 100_000;
      const x = inputs(rows, 13);
      const t0 = performance.now();
      const r = await client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [IN], data: { base64: float32ToBase64(x) } }], batchSize: 1024, outputName: 'logits' });
      const hostMs = performance.now() - t0;
      assert.strictEqual(r.rows, rows);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
      const s = await ort.InferenceSession.create(mlp.bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
      const t1 = performance.now();
      for (let b = 0; b < rows; b += 1024) {
        const n = Math.min(1024, rows - b);
        await s.run({ x: new ort.Tensor('float32', x.slice(b * IN, (b + n) * IN), [n, IN]) });
      }
      const inMs = performance.now() - t1;
      await s.release();
      process.stderr.write(
        `      tiny MLP ${IN}→${HID}→${OUT}, ${rows} rows, batch 1024: host ${Math.round(rows / (hostMs / 1000))} rows/s ` +
          `(${hostMs.toFixed(0)} ms round trip, run ${r.runMs.toFixed(0)} ms), in-process ${Math.round(rows / (inMs / 1000))} rows/s (${inMs.toFixed(0)} ms)\n`,
      );
    });
  });

  describe('remote host (WebSocket)', () => {
    const TOKEN = 'correct-horse-battery-staple';
    let url: string;
    let host: ChildProcess;

    before(async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'remote-'));
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
      host = spawn(process.execPath, [HOST, '--listen', '127.0.0.1:0', '--token-file', tokenFile, '--cache-dir', path.join(dir, 'cache'), '--provider', 'cpu', '--max-message-mb', '1'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      procs.push(host);
      url = await new Promise<string>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`host did not start: ${err}`)), 60_000);
        host.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /eval host listening on (ws:\/\/\S+)/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        host.once('exit', (code) => reject(new Error(`host exited ${code}: ${err}`)));
      });
      assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    });

    it('a client with the right token uploads and evaluates', async () => {
      const c = await EvalClient.remote(url, TOKEN);
      clients.push(c);
      const info = await c.initialize();
      assert.strictEqual(info.provider, 'cpu');
      assert.strictEqual(info.maxMessageBytes, 1024 * 1024);
      // binary chunks travel without base64 growth: chunk + JSON envelope stay below the limit
      assert.strictEqual(info.binary, true);
      assert.ok(info.chunkBytes + 4096 < info.maxMessageBytes!);
      const h = await c.ensureModel(modelFile);
      assert.strictEqual(c.uploads.models, 1);
      const x = inputs(200, 21);
      const r = await c.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [IN], data: { base64: float32ToBase64(x) } }], batchSize: 32, outputName: 'logits' });
      assert.ok(maxAbsErr(outputFloats(r.outputs[0]), forward(mlp, x)) < 1e-5);
      // a large dataset goes up in several chunks below the message limit
      const big = inputs(60_000, 4); // 1.44 MB of floats > 1 MB limit
      const before = c.uploads.chunks;
      const dh = await c.ensureDataset(big);
      assert.ok(c.uploads.chunks - before >= 2, `chunks: ${c.uploads.chunks - before}`);
      const r2 = await c.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [IN], data: { datasetHash: dh, rowWidth: IN, rowCount: 100 } }], outputName: 'logits' });
      assert.ok(maxAbsErr(outputFloats(r2.outputs[0]), forward(mlp, big.subarray(0, 100 * IN))) < 1e-5);
      await c.shutdown();
    });

    it('refuses a wrong token and a missing token (HTTP 401)', async () => {
      await assert.rejects(EvalClient.remote(url, 'wrong-token'), /refused the connection: HTTP 401/);
      await assert.rejects(EvalClient.remote(url, TOKEN.slice(0, -1)), /HTTP 401/);
      await assert.rejects(
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.once('open', () => {
            ws.close();
            resolve();
          });
          ws.once('unexpected-response', (_q, res) => {
            ws.terminate();
            reject(new Error(`HTTP ${res.statusCode}`));
          });
          ws.once('error', reject);
        }),
        /HTTP 401/,
      );
    });

    it('refuses an oversize message by closing the connection (1009); the server keeps serving', async () => {
      const c = await EvalClient.remote(url, TOKEN);
      clients.push(c);
      await c.initialize();
      const junk = Buffer.alloc(1_200_000, 1);
      await assert.rejects(c.putModel({ hash: sha256Bytes(junk), size: junk.length, offset: 0, data: junk.toString('base64') }), (e: unknown) => {
        assert.match((e as Error).message, /1009: message too big/);
        return true;
      });
      const c2 = await EvalClient.remote(url, TOKEN);
      clients.push(c2);
      const info = await c2.initialize();
      assert.strictEqual(info.provider, 'cpu');
    });
  });
});
