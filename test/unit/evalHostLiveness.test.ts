/**
 * Liveness of the evaluation host (issue #10, section 2 e): a host process that stops answering
 * (SIGSTOP: a frozen machine, a hung process) fails the pending request within the configured silence
 * limit, with a message that names the host; an evaluation that keeps making progress — many batches, or
 * (local host) one long batch the process is busy computing — never times out.
 *
 * Real host processes (the compiled out…/src/evalHost/main.js), over WebSocket and over stdio, with short
 * intervals (heartbeat 300 ms, dead after 1.5 s of silence).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { EvalClient, livenessFromEnv, DEFAULT_HEARTBEAT_MS, DEFAULT_DEAD_AFTER_MS, type LivenessOptions } from '../../src/core/eval/client';
import { evalSettings, openClient } from '../../src/cli/commands/evaluate';
import { float32ToBase64 } from '../../src/shared/evalProtocol';
import { startListeningHost, type ListeningHost } from '../support/evalHostProcess';
import { rng } from '../support/onnxModels';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');

const FAST: LivenessOptions = { heartbeatMs: 300, deadAfterMs: 1500 };

const io = (name: string, dims: (string | number)[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
const tensor = (name: string, dims: number[], v: Float32Array) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(v.buffer, v.byteOffset, v.byteLength) });
const encode = (graph: onnx.IGraphProto): Buffer =>
  Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish());

/** x[n,8] → MatMul(8×64) → Relu → MatMul(64×1): cheap per row; many batches of one row make a long run. */
function smallModel(): Buffer {
  const r = rng(5);
  const vals = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);
  return encode(
    onnx.GraphProto.create({
      name: 'small',
      node: [
        onnx.NodeProto.create({ opType: 'MatMul', input: ['x', 'w1'], output: ['h'] }),
        onnx.NodeProto.create({ opType: 'Relu', input: ['h'], output: ['hr'] }),
        onnx.NodeProto.create({ opType: 'MatMul', input: ['hr', 'w2'], output: ['y'] }),
      ],
      initializer: [tensor('w1', [8, 64], vals(8 * 64)), tensor('w2', [64, 1], vals(64))],
      input: [io('x', ['n', 8])],
      output: [io('y', ['n', 1])],
    }),
  );
}

/** x[n,256] → MatMul(I) `depth` times: one batch keeps the host busy (computing) for a long time. */
function deepModel(depth: number): Buffer {
  const eye = new Float32Array(256 * 256);
  for (let i = 0; i < 256; i++) eye[i * 256 + i] = 1;
  const nodes = Array.from({ length: depth }, (_, i) => onnx.NodeProto.create({ opType: 'MatMul', input: [i === 0 ? 'x' : `h${i}`, 'eye'], output: [i === depth - 1 ? 'y' : `h${i + 1}`] }));
  return encode(onnx.GraphProto.create({ name: 'deep', node: nodes, initializer: [tensor('eye', [256, 256], eye)], input: [io('x', ['n', 256])], output: [io('y', ['n', 256])] }));
}

describe('evaluation host liveness (issue #10 §2 e)', function () {
  this.timeout(120_000);
  let tmp: string;
  let small: string;
  const clients: EvalClient[] = [];
  const hosts: ListeningHost[] = [];
  const stopped: number[] = [];

  before(() => {
    assert.ok(fs.existsSync(HOST), `compiled host missing: ${HOST}`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evalhost-liveness-'));
    small = path.join(tmp, 'small.onnx');
    fs.writeFileSync(small, smallModel());
  });

  after(async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const c of clients) c.dispose();
    for (const h of hosts) await h.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const local = (live: LivenessOptions, args: string[] = []): EvalClient => {
    const c = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'cache'), '--provider', 'cpu', '--threads', '1', ...args], ...live });
    clients.push(c);
    return c;
  };
  const remote = async (live: LivenessOptions): Promise<{ client: EvalClient; host: ListeningHost }> => {
    const host = await startListeningHost(HOST, fs.mkdtempSync(path.join(tmp, 'host-')), { extra: ['--threads', '1'] });
    hosts.push(host);
    const client = await EvalClient.remote(host.url, host.token, live);
    clients.push(client);
    return { client, host };
  };

  /** Starts a long evaluation, SIGSTOPs the host at its first progress; returns ms from the stop to the rejection. */
  async function freezeDuringEvaluation(client: EvalClient, pid: number): Promise<{ ms: number; error: Error }> {
    await client.initialize({ provider: 'cpu' });
    const modelHash = await client.ensureModel(small);
    const rows = 200_000;
    const r = rng(1);
    const datasetHash = await client.ensureDataset(Float32Array.from({ length: rows * 8 }, () => r()));
    let stoppedAt = 0;
    const run = client.evaluate(
      { modelHash, inputs: [{ name: 'x', dims: [8], data: { datasetHash, rowWidth: 8 } }], batchSize: 1 },
      {
        onProgress: () => {
          if (stoppedAt) return;
          process.kill(pid, 'SIGSTOP');
          stopped.push(pid);
          stoppedAt = performance.now();
        },
      },
    );
    const limit = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the client still waits 15 s after the host was stopped')), 15_000).unref());
    try {
      await Promise.race([run, limit]);
    } catch (e) {
      if (!stoppedAt) throw e;
      return { ms: performance.now() - stoppedAt, error: e as Error };
    }
    throw new Error('the evaluation finished although the host was stopped');
  }

  it('remote: a stopped host fails the evaluation within the silence limit, naming the host', async () => {
    const { client, host } = await remote(FAST);
    const { ms, error } = await freezeDuringEvaluation(client, host.child.pid!);
    const url = host.url.replace(/[.]/g, '\\.');
    assert.match(error.message, new RegExp(`the evaluation host at ${url} stopped answering \\(no reply to heartbeat for 1\\.5 s\\)`));
    assert.match(error.message, /during evaluate/);
    assert.ok(ms >= FAST.deadAfterMs! - 50, `detected after ${ms.toFixed(0)} ms, before the limit`);
    assert.ok(ms <= FAST.deadAfterMs! + FAST.heartbeatMs! + 1500, `detected after ${ms.toFixed(0)} ms`);
    console.log(`      remote: stop detected after ${ms.toFixed(0)} ms (heartbeat ${FAST.heartbeatMs} ms, dead after ${FAST.deadAfterMs} ms)`);
    // later requests fail at once with the same reason
    await assert.rejects(client.has({ models: [] }), /stopped answering/);
  });

  it('local: a stopped host process fails the evaluation within the silence limit, naming it, and is killed', async () => {
    const client = local(FAST);
    const pid = client.child!.pid!;
    const exited = new Promise<NodeJS.Signals | null>((r) => client.child!.once('exit', (_c, s) => r(s)));
    const { ms, error } = await freezeDuringEvaluation(client, pid);
    assert.match(error.message, new RegExp(`the local evaluation host \\(pid ${pid}\\) stopped answering \\(no reply to heartbeat for 1\\.5 s`));
    assert.ok(ms >= FAST.deadAfterMs! - 50, `detected after ${ms.toFixed(0)} ms, before the limit`);
    assert.ok(ms <= FAST.deadAfterMs! + FAST.heartbeatMs! + 1500, `detected after ${ms.toFixed(0)} ms`);
    console.log(`      local: stop detected after ${ms.toFixed(0)} ms`);
    assert.strictEqual(await exited, 'SIGKILL', 'the frozen host process was killed');
  });

  it('an evaluation that keeps progressing runs far past the silence limit (remote and local)', async () => {
    for (const c of [(await remote(FAST)).client, local(FAST)]) {
      await c.initialize({ provider: 'cpu' });
      const modelHash = await c.ensureModel(small);
      const r = rng(2);
      // batches of one row; the row count grows until one run lasts more than three silence limits on
      // this machine, quiet or busy (every run, short or long, must finish without a timeout)
      const runRows = async (rows: number) => {
        const datasetHash = await c.ensureDataset(Float32Array.from({ length: rows * 8 }, () => r()));
        const t0 = performance.now();
        let progress = 0;
        const res = await c.evaluate({ modelHash, inputs: [{ name: 'x', dims: [8], data: { datasetHash, rowWidth: 8 } }], batchSize: 1 }, { onProgress: () => progress++ });
        assert.strictEqual(res.rows, rows);
        return { ms: performance.now() - t0, progress };
      };
      let rows = 20_000;
      let run = await runRows(rows);
      while (run.ms <= 3 * FAST.deadAfterMs! && rows < 4_000_000) {
        rows = Math.min(4_000_000, Math.ceil(rows * Math.max(2, (4 * FAST.deadAfterMs!) / Math.max(run.ms, 1))));
        run = await runRows(rows);
      }
      assert.ok(run.ms > 2 * FAST.deadAfterMs!, `${rows} rows took only ${run.ms.toFixed(0)} ms: too short to show anything`);
      assert.ok(run.progress > 10);
    }
  });

  it('local: one long batch (the process busy computing, no message for seconds) is not taken for a stopped host', async function () {
    if (process.platform !== 'linux') {
      console.log('    (skipped: the busy-host check reads CPU time from /proc, Linux only)');
      this.skip();
    }
    const c = local(FAST);
    await c.initialize({ provider: 'cpu' });
    const file = path.join(tmp, 'deep.onnx');
    fs.writeFileSync(file, deepModel(200));
    const modelHash = await c.ensureModel(file);
    // one batch of `rows` rows, grown until it takes well past the silence limit
    const run = async (rows: number) => {
      const x = new Float32Array(rows * 256).fill(0.5);
      const res = await c.evaluate({ modelHash, inputs: [{ name: 'x', dims: [256], data: { base64: float32ToBase64(x) } }], batchSize: rows });
      assert.strictEqual(res.batches, 1);
      return res.runMs;
    };
    let rows = 128;
    let ms = await run(rows);
    while (ms <= 3 * FAST.deadAfterMs! && rows < 1 << 17) {
      rows = Math.min(1 << 17, Math.ceil(rows * Math.max(2, (4 * FAST.deadAfterMs!) / Math.max(ms, 1))));
      ms = await run(rows);
    }
    assert.ok(ms > 2 * FAST.deadAfterMs!, `one batch of ${rows} rows took only ${ms.toFixed(0)} ms: too short to show anything`);
  });

  it('settings: options, then MODELVER_HOST_HEARTBEAT / MODELVER_HOST_TIMEOUT (seconds), then 10 s / 30 s; the CLI flags', async () => {
    assert.strictEqual(DEFAULT_HEARTBEAT_MS, 10_000);
    assert.strictEqual(DEFAULT_DEAD_AFTER_MS, 30_000);
    assert.deepStrictEqual(livenessFromEnv({}), {});
    assert.deepStrictEqual(livenessFromEnv({ MODELVER_HOST_HEARTBEAT: '2', MODELVER_HOST_TIMEOUT: '7.5' }), { heartbeatMs: 2000, deadAfterMs: 7500 });
    assert.throws(() => livenessFromEnv({ MODELVER_HOST_TIMEOUT: 'soon' }), /MODELVER_HOST_TIMEOUT must be a number of seconds/);
    const c = local({});
    assert.deepStrictEqual(c.liveness, { heartbeatMs: 10_000, deadAfterMs: 30_000 });
    const off = local({ deadAfterMs: 0 });
    assert.strictEqual(off.liveness.deadAfterMs, 0, '0 turns the check off');
    // the CLI: --host-timeout / --host-heartbeat in seconds
    assert.throws(() => evalSettings({ data: 'd.csv', label: 'y', 'host-timeout': 'x' }), /--host-timeout must be a number of seconds/);
    const cli = await openClient({ 'host-timeout': '4', 'host-heartbeat': '0.5', provider: 'cpu' }, tmp);
    clients.push(cli);
    assert.deepStrictEqual(cli.liveness, { heartbeatMs: 500, deadAfterMs: 4000 });
    // a heartbeat longer than the limit is brought under it
    const clamped = local({ heartbeatMs: 60_000, deadAfterMs: 3000 });
    assert.ok(clamped.liveness.heartbeatMs <= 1500, JSON.stringify(clamped.liveness));
  });
});
