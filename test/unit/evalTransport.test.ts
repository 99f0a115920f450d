/**
 * The eval host's transport (src/evalHost/wsTransport.ts: binary attachments over stdio framing and
 * WebSocket frames), protocol negotiation with a base64 fallback, a host killed in the middle of an
 * evaluation (remote and local), and cancellation stopping the host's own batch loop.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { createMessageConnection } from 'vscode-jsonrpc/node';
import type { Message, RequestMessage } from 'vscode-jsonrpc/node';
import { EvalClient, EvalHostError, isEvalCancelled } from '../../src/core/eval/client';
import { EvalService } from '../../src/evalHost/service';
import {
  BinaryStreamMessageReader,
  BinaryStreamMessageWriter,
  decodeBinaryFrame,
  encodeBinaryFrame,
  encodeMessage,
} from '../../src/evalHost/wsTransport';
import { EvalErrorCodes, EVAL_PROTOCOL_VERSION, outputFloats } from '../../src/shared/evalProtocol';
import { linearModel, rng } from '../support/onnxModels';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');

/** reads every message `reader` emits */
function collect(reader: BinaryStreamMessageReader): { msgs: Message[]; errors: Error[]; closed: () => boolean } {
  const msgs: Message[] = [];
  const errors: Error[] = [];
  let closed = false;
  reader.onError((e) => errors.push(e));
  reader.onClose(() => (closed = true));
  reader.listen((m) => msgs.push(m));
  return { msgs, errors, closed: () => closed };
}

const floats = (n: number, seed: number): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** rows of a 2-feature logistic model, enough batches of 1 to run for many seconds */
const W: [number, number] = [0.7, -1.3];

describe('eval host transport and failures', function () {
  this.timeout(120_000);
  let tmp: string;
  let modelFile: string;
  const clients: EvalClient[] = [];
  const procs: ChildProcess[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evaltransport-test-'));
    modelFile = path.join(tmp, 'logistic.onnx');
    fs.writeFileSync(modelFile, linearModel(W, 0.25));
    process.on('unhandledRejection', onUnhandled);
  });
  after(() => {
    process.off('unhandledRejection', onUnhandled);
    for (const c of clients) c.dispose();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('framing', () => {
    it('stdio: typed arrays travel as attachments, byte-exact, whatever the chunking of the stream', async () => {
      const pipe = new PassThrough();
      const writer = new BinaryStreamMessageWriter(pipe);
      const raw = new PassThrough();
      pipe.on('data', (d: Buffer) => raw.write(d));
      const bytes: Buffer[] = [];
      raw.on('data', (d: Buffer) => bytes.push(d));
      const f = floats(1001, 1);
      const u = Buffer.from(floats(37, 2).buffer).subarray(3, 120); // odd offset and length
      const m1 = { jsonrpc: '2.0', id: 1, method: 'putDataset', params: { hash: 'h', data: u, nested: [{ x: f }, 'é'] } } as unknown as RequestMessage;
      const m2 = { jsonrpc: '2.0', id: 2, method: 'has', params: { models: ['a'] } } as RequestMessage;
      await writer.write(m1);
      await writer.write(m2);
      const all = Buffer.concat(bytes);
      assert.match(all.toString('latin1', 0, 80), /^Content-Length: \d+\r\nBinary-Lengths: 117,4004\r\n\r\n/);
      // the message without typed arrays is plain LSP framing (what a protocol-1 peer reads)
      assert.ok(all.includes(Buffer.from('\r\n\r\n{"jsonrpc":"2.0","id":2,"method":"has"')));
      assert.ok(!all.subarray(all.indexOf('Content-Length', 20)).toString('latin1').includes('Binary-Lengths'));
      // feed it back in odd-sized pieces
      for (const step of [1, 7, 4096, all.length]) {
        const input = new PassThrough();
        const got = collect(new BinaryStreamMessageReader(input));
        for (let o = 0; o < all.length; o += step) input.write(all.subarray(o, o + step));
        await new Promise((r) => setImmediate(r));
        assert.strictEqual(got.msgs.length, 2, `step ${step}`);
        const p = (got.msgs[0] as RequestMessage).params as { data: Buffer; nested: [{ x: Float32Array }, string] };
        assert.ok(Buffer.isBuffer(p.data) && p.data.equals(u));
        assert.ok(p.nested[0].x instanceof Float32Array);
        assert.deepStrictEqual(Array.from(p.nested[0].x), Array.from(f));
        assert.strictEqual(p.nested[1], 'é');
        assert.deepStrictEqual((got.msgs[1] as RequestMessage).params, { models: ['a'] });
        assert.deepStrictEqual(got.errors, []);
      }
    });

    it('stdio: refuses a frame over the size limit and a malformed header, closing the stream', () => {
      const input = new PassThrough();
      const got = collect(new BinaryStreamMessageReader(input, 1000));
      input.write('Content-Length: 10\r\nBinary-Lengths: 600,600\r\n\r\n');
      assert.match(got.errors[0]?.message ?? '', /message of 1210 bytes exceeds the limit of 1000 bytes/);
      assert.ok(got.closed());
      const input2 = new PassThrough();
      const got2 = collect(new BinaryStreamMessageReader(input2));
      input2.write('Content-Length: ten\r\n\r\n{}');
      assert.match(got2.errors[0]?.message ?? '', /bad Content-Length "ten"/);
      assert.strictEqual(got2.msgs.length, 0);
    });

    it('WebSocket binary frames round-trip; a bad frame is a clear error', () => {
      const f = floats(5, 3);
      const { json, bins } = encodeMessage({ jsonrpc: '2.0', id: 3, result: { outputs: [{ name: 'y', data: f }] } } as unknown as Message);
      assert.strictEqual(bins.length, 1);
      assert.ok(!json.includes('0.'), 'the floats are not in the JSON');
      const back = decodeBinaryFrame(Buffer.concat(encodeBinaryFrame(json, bins))) as unknown as { result: { outputs: { data: Float32Array }[] } };
      assert.deepStrictEqual(Array.from(back.result.outputs[0].data), Array.from(f));
      const frame = Buffer.concat(encodeBinaryFrame(json, bins));
      assert.throws(() => decodeBinaryFrame(frame.subarray(0, frame.length - 1)), /lengths do not add up/);
      assert.throws(() => encodeMessage({ jsonrpc: '2.0', id: 1, result: new Int32Array(2) } as unknown as Message), /cannot send a Int32Array/);
    });
  });

  describe('negotiation', () => {
    it(`binary by default (protocol ${EVAL_PROTOCOL_VERSION}); a client that asks for none gets base64 and still evaluates`, async () => {
      const x = floats(40, 4);
      for (const binary of [true, false]) {
        const c = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'cache-neg'), '--provider', 'cpu'] });
        clients.push(c);
        const info = await c.initialize({ binary });
        assert.strictEqual(info.protocolVersion, 2);
        assert.strictEqual(info.binary, binary);
        assert.strictEqual(info.chunkBytes, binary ? 16 * 1024 * 1024 : 4 * 1024 * 1024);
        const h = await c.ensureModel(modelFile);
        const r = await c.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [2], data: binary ? { data: x } : { base64: Buffer.from(x.buffer).toString('base64') } }], batchSize: 8 });
        const o = r.outputs[0];
        assert.strictEqual(binary ? o.data instanceof Float32Array : typeof o.base64 === 'string', true);
        const y = outputFloats(o);
        for (let i = 0; i < 20; i++) {
          const z = W[0] * x[2 * i] + W[1] * x[2 * i + 1] + 0.25;
          assert.ok(Math.abs(y[i] - 1 / (1 + Math.exp(-z))) < 1e-5);
        }
        await c.shutdown();
      }
    });
  });

  /** starts a long evaluation (batches of one row) and resolves once the host reports progress */
  async function longEvaluation(c: EvalClient, rows = 400_000): Promise<{ done: Promise<unknown>; progress: () => number }> {
    await c.initialize();
    const h = await c.ensureModel(modelFile);
    let seen = 0;
    let started!: () => void;
    const first = new Promise<void>((r) => (started = r));
    const done = c.evaluate(
      { modelHash: h, inputs: [{ name: 'x', dims: [2], data: { data: floats(rows * 2, 6) } }], batchSize: 1 },
      {
        onProgress: (p) => {
          seen = p.batchesDone;
          if (p.batchesDone >= 20) started();
        },
      },
    );
    done.catch(() => undefined);
    await Promise.race([first, done]);
    return { done, progress: () => seen };
  }

  async function rejectsPromptly(p: Promise<unknown>, re: RegExp): Promise<EvalHostError> {
    const t0 = Date.now();
    let err: unknown;
    await p.then(
      () => assert.fail('the evaluation should have failed'),
      (e: unknown) => (err = e),
    );
    const ms = Date.now() - t0;
    assert.ok(err instanceof EvalHostError, `not an EvalHostError: ${String(err)}`);
    assert.ok(!isEvalCancelled(err));
    assert.match((err as Error).message, re);
    assert.ok(ms < 10_000, `took ${ms} ms to notice`);
    return err as EvalHostError;
  }

  function startRemote(): Promise<{ url: string; proc: ChildProcess; token: string }> {
    const dir = fs.mkdtempSync(path.join(tmp, 'remote-'));
    const token = 'tok-' + dir.slice(-6) + '-0123456789abcdef'; // at least 16 characters (MIN_TOKEN_LENGTH)
    fs.writeFileSync(path.join(dir, 'token'), token, { mode: 0o600 });
    const proc = spawn(process.execPath, [HOST, '--listen', '127.0.0.1:0', '--token-file', path.join(dir, 'token'), '--cache-dir', path.join(dir, 'cache'), '--provider', 'cpu'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    procs.push(proc);
    return new Promise((resolve, reject) => {
      let err = '';
      proc.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /eval host listening on (ws:\/\/\S+)/.exec(err);
        if (m) resolve({ url: m[1], proc, token });
      });
      proc.once('exit', (code) => reject(new Error(`host exited ${code}: ${err}`)));
    });
  }

  describe('a host killed mid-evaluation', () => {
    it('(a) remote: SIGKILL makes the client reject promptly, naming the host; a new client to a new host works', async () => {
      const before = unhandled.length;
      const { url, proc } = await startRemote().then(async (r) => {
        const c = await EvalClient.remote(r.url, r.token);
        clients.push(c);
        const run = await longEvaluation(c);
        assert.ok(run.progress() >= 20 && run.progress() < 400_000, `progress ${run.progress()}`);
        r.proc.kill('SIGKILL');
        const e = await rejectsPromptly(run.done, /^the evaluation host at ws:\/\/127\.0\.0\.1:\d+ closed the connection \(1006: .*host process may have died.*\) during evaluate/);
        assert.ok(e.message.includes(r.url));
        // later requests fail at once with the same reason
        await assert.rejects(c.has({ models: [] }), /the evaluation host at ws:.* closed the connection/);
        return r;
      });
      await new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
      assert.strictEqual(proc.signalCode, 'SIGKILL');
      await assert.rejects(EvalClient.remote(url, 'x', { timeoutMs: 5000 }), /cannot connect to the evaluation host at ws:/);
      const next = await startRemote();
      const c2 = await EvalClient.remote(next.url, next.token);
      clients.push(c2);
      await c2.initialize();
      const h = await c2.ensureModel(modelFile);
      const r = await c2.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [2], data: { data: floats(20, 8) } }] });
      assert.strictEqual(r.rows, 10);
      await new Promise((r) => setTimeout(r, 50));
      assert.strictEqual(unhandled.length, before, `unhandled rejections: ${unhandled.slice(before).map(String).join('; ')}`);
    });

    it('(b) local: SIGKILL of the host process rejects promptly, naming it; a new local host works', async () => {
      const before = unhandled.length;
      const c = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'cache-local'), '--provider', 'cpu'] });
      clients.push(c);
      const run = await longEvaluation(c);
      const pid = c.child!.pid!;
      c.child!.kill('SIGKILL');
      const e = await rejectsPromptly(run.done, new RegExp(`^the local evaluation host \\(pid ${pid}\\) was killed \\(SIGKILL\\) during evaluate`));
      assert.strictEqual(e.code === EvalErrorCodes.Cancelled, false);
      await assert.rejects(c.evaluate({ modelHash: 'a'.repeat(64), inputs: [] }), /was killed \(SIGKILL\)/);
      const c2 = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'cache-local'), '--provider', 'cpu'] });
      clients.push(c2);
      await c2.initialize();
      const h = await c2.ensureModel(modelFile);
      assert.strictEqual(c2.uploads.models, 0, 'the model uploaded before the kill is still in the cache');
      const r = await c2.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [2], data: { data: floats(20, 9) } }] });
      assert.strictEqual(r.rows, 10);
      await c2.shutdown();
      await new Promise((r) => setTimeout(r, 50));
      assert.strictEqual(unhandled.length, before, `unhandled rejections: ${unhandled.slice(before).map(String).join('; ')}`);
    });
  });

  it('(c) cancel stops the host running batches, not only the client waiting', async () => {
    const c2s = new PassThrough();
    const s2c = new PassThrough();
    const conn = createMessageConnection(new BinaryStreamMessageReader(c2s), new BinaryStreamMessageWriter(s2c));
    const service = new EvalService(conn, {
      provider: 'cpu',
      intraOpNumThreads: 1,
      cacheDir: path.join(tmp, 'cache-inproc'),
      maxBlobBytes: 1 << 30,
      chunkBytes: 1 << 20,
      onShutdown: () => undefined,
    });
    conn.listen();
    const c = EvalClient.overStreams(s2c, c2s, 'the in-process host');
    clients.push(c);
    try {
      await c.initialize();
      const h = await c.ensureModel(modelFile);
      const rows = 200_000;
      const ac = new AbortController();
      let stoppedAt = NaN;
      await assert.rejects(
        c.evaluate(
          { modelHash: h, inputs: [{ name: 'x', dims: [2], data: { data: floats(rows * 2, 10) } }], batchSize: 1 },
          { signal: ac.signal, onProgress: (p) => p.batchesDone >= 100 && ac.abort() },
        ),
        (e: unknown) => {
          assert.ok(isEvalCancelled(e), String(e));
          assert.match((e as Error).message, /cancelled after \d+ of 200000 batches/);
          stoppedAt = Number(/after (\d+) of/.exec((e as Error).message)![1]);
          return true;
        },
      );
      const ranAtCancel = service.batchesRun;
      assert.ok(ranAtCancel >= 100 && ranAtCancel < rows, `ran ${ranAtCancel}`);
      // the host's loop stopped where its reply says
      assert.strictEqual(ranAtCancel, stoppedAt);
      await new Promise((r) => setTimeout(r, 500));
      assert.strictEqual(service.batchesRun, ranAtCancel, 'the host went on running batches after the cancellation');
      // and it still serves
      const r = await c.evaluate({ modelHash: h, inputs: [{ name: 'x', dims: [2], data: { data: floats(8, 11) } }] });
      assert.strictEqual(r.rows, 4);
      assert.strictEqual(service.batchesRun, ranAtCancel + 1);
    } finally {
      c.dispose();
      conn.dispose();
      await service.dispose();
    }
  });
});
