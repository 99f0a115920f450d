/**
 * The hostile-client suite (issue #10, "trust on first contact", section 2 a, d, f, g): what a client
 * that holds the token (or guesses at it) can do to the evaluation host. A real host process (the
 * compiled src/evalHost/main.js; EVAL_HOST_SCRIPT picks another) over WebSocket on 127.0.0.1 and over
 * stdio, and the transport's pieces in process. Only loopback traffic; every loop is bounded.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import WebSocket, { WebSocketServer } from 'ws';
import { createMessageConnection } from 'vscode-jsonrpc/node';
import type { Message, ResponseMessage } from 'vscode-jsonrpc/node';
import { AuthThrottle, MIN_TOKEN_LENGTH, tokenProblem } from '../../src/evalHost/authGuard';
import { brief } from '../../src/evalHost/service';
import {
  BinaryStreamMessageReader,
  BinaryStreamMessageWriter,
  checkMessage,
  jsonDepth,
  MESSAGE_LIMITS,
  serverWebSocketTransport,
} from '../../src/evalHost/wsTransport';
import type { FlowGuard } from '../../src/evalHost/wsTransport';
import { linearModel } from '../support/onnxModels';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');
/** the compiled `modelver` CLI beside the host */
const CLI = process.env.MODELVER_CLI_SCRIPT ? path.resolve(process.env.MODELVER_CLI_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');

const TOKEN = crypto.randomBytes(24).toString('hex');
const DEEP = 10_000;
const deepArray = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const sha256 = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

/** every process a test started (killed in `after`, whatever the test's outcome) */
const procs: ChildProcess[] = [];

interface Started {
  url: string;
  proc: ChildProcess;
  stderr(): string;
}

/** spawns the host with --listen 127.0.0.1:0 and waits for its listening line */
function startHost(dir: string, extra: string[] = [], token = TOKEN, script = HOST, pre: string[] = []): Promise<Started> {
  fs.mkdirSync(dir, { recursive: true });
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const proc = spawn(process.execPath, [script, ...pre, '--listen', '127.0.0.1:0', '--token-file', tokenFile, '--cache-dir', path.join(dir, 'cache'), '--provider', 'cpu', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(proc);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host did not start in 60 s: ${err}`)), 60_000);
    const onData = (): void => {
      const m = /listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        proc.stderr!.off('data', onData);
        resolve({ url: m[1], proc, stderr: () => err });
      }
    };
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the host exited (${code}) before listening: ${err}`));
    });
  });
}

const alive = (p: ChildProcess): boolean => p.exitCode === null && p.signalCode === null;

/** A WebSocket client that speaks raw frames: whatever it is told to send, it sends. */
class Raw {
  readonly received: Message[] = [];
  private waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private nextId = 1000;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d, isBinary) => {
      const m = (isBinary ? { binaryFrame: true } : JSON.parse(String(d))) as Message;
      this.received.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  }

  static open(url: string, token = TOKEN): Promise<Raw> {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Raw(ws)));
      ws.once('unexpected-response', (_q, res) => {
        ws.terminate();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  /** the first message (already received or still to come) that `pred` accepts */
  wait(pred: (m: Message) => boolean, ms = 10_000): Promise<Message> {
    const hit = this.received.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such message within ${ms} ms; got ${this.received.length}: ${JSON.stringify(this.received.slice(-3)).slice(0, 400)}`)), ms);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** sends a request and waits for its response */
  call(method: string, params?: unknown, ms?: number): Promise<ResponseMessage> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return this.wait((m) => (m as ResponseMessage).id === id, ms) as Promise<ResponseMessage>;
  }

  /** the next response with id null after `since` messages (the answer to a frame without a usable id) */
  nullReply(since: number): Promise<ResponseMessage> {
    return this.wait((m) => this.received.indexOf(m) >= since && (m as ResponseMessage).id === null) as Promise<ResponseMessage>;
  }
}

function rssMB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field + ':'));
  return Number(/\d+/.exec(line ?? '')?.[0]) / 1024;
}

/** user + system CPU time of a process, in clock ticks */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

describe('hostile clients (issue #10)', function () {
  this.timeout(120_000);
  let tmp: string;
  const sockets: Raw[] = [];

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evalhost-hostile-'));
    assert.ok(fs.existsSync(HOST), `compiled host missing: ${HOST}`);
  });
  after(() => {
    for (const s of sockets) s.ws.terminate();
    for (const p of procs) if (alive(p)) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('message checks', () => {
    it('accepts what vscode-jsonrpc sends, refuses what is not a JSON-RPC message, and measures any depth without recursing', () => {
      const ok: unknown[] = [
        { jsonrpc: '2.0', id: 1, method: 'has', params: { models: [] } },
        { jsonrpc: '2.0', id: 'a', method: 'shutdown' },
        { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 3 } },
        { jsonrpc: '2.0', method: '$/progress', params: { token: 'p', value: { batchesDone: 1 } } },
        { jsonrpc: '2.0', id: 2, result: null },
        { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } },
      ];
      for (const m of ok) assert.strictEqual(checkMessage(m), m);
      const bad: [unknown, RegExp][] = [
        [JSON.parse(deepArray(DEEP)), /expected one JSON object, got an array/],
        [{ jsonrpc: '2.0', id: 1, method: 'has', params: { a: JSON.parse(deepArray(DEEP)) } }, /nested more than 64 levels/],
        [{ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: JSON.parse(deepArray(100)) } }, /nested more than/],
        [{ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: [1] } }, /\$\/cancelRequest needs params.id/],
        [{ jsonrpc: '2.0', method: '$/cancelRequest' }, /\$\/cancelRequest needs params.id/],
        [{ id: 1, method: 'has' }, /"jsonrpc" must be "2.0"/],
        [{ jsonrpc: '2.0', id: { a: 1 }, method: 'has' }, /"id" must be a number or a string/],
        [{ jsonrpc: '2.0', id: 'x'.repeat(MESSAGE_LIMITS.maxIdLength + 1), method: 'has' }, /at most 256 characters/],
        [{ jsonrpc: '2.0', id: 1, method: 7 }, /"method" must be a string/],
        [{ jsonrpc: '2.0', id: 1, method: 'm'.repeat(200) }, /"method" must be a string of 1 to 128/],
        [{ jsonrpc: '2.0', id: 1, method: 'has', params: 'x' }, /"params" must be an object or an array/],
        [{ jsonrpc: '2.0', id: null, method: 'has' }, /may not be null/],
        [{ jsonrpc: '2.0' }, /needs "method"/],
        [{ jsonrpc: '2.0', id: 1, result: 1, error: { code: 1, message: 'm' } }, /exactly one of "result" and "error"/],
        [{ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } }, /integer "code"/],
        [null, /got null/],
        ['x', /got string/],
      ];
      for (const [m, re] of bad) assert.throws(() => checkMessage(m), re);
      // the id goes back with the error when it is usable
      assert.throws(
        () => checkMessage({ jsonrpc: '2.0', id: 9, method: 'has', params: 1 }),
        (e: unknown) => (e as { id: unknown }).id === 9,
      );
      assert.strictEqual(jsonDepth(JSON.parse(deepArray(200_000)), 64), 65);
      assert.strictEqual(jsonDepth({ a: [1, { b: [] }] }), 4);
    });

    it('error messages show a short rendering of what the client sent, never the whole of it', () => {
      assert.strictEqual(brief('x'), 'x');
      assert.strictEqual(brief([2, 3]), '[2,3]');
      const long = brief('y'.repeat(1_000_000));
      assert.ok(long.length < 120 && long.includes('1000000 characters'), long);
      const arr = brief(new Array(1_000_000).fill(0));
      assert.ok(arr.length < 80 && arr.includes('1000000 items'), arr);
      const nested = brief(JSON.parse(deepArray(60)));
      assert.ok(nested.length < 40, nested);
      const wide = brief(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])));
      assert.ok(wide.length < 400 && wide.includes('1000 keys'), wide);
    });
  });

  describe('a listening host', () => {
    let host: Started;
    let modelHash: string;
    let datasetHash: string;
    const ROWS = 131_072;

    before(async () => {
      host = await startHost(path.join(tmp, 'listen'), ['--max-message-mb', '4']);
      const c = await Raw.open(host.url);
      sockets.push(c);
      assert.ok((await c.call('initialize', { provider: 'cpu' }, 60_000)).result);
      const model = linearModel([0.7, -1.3], 0.25);
      modelHash = sha256(model);
      assert.deepStrictEqual((await c.call('putModel', { hash: modelHash, size: model.length, offset: 0, data: model.toString('base64') })).result, { received: model.length, complete: true });
      const x = Buffer.from(Float32Array.from({ length: ROWS * 2 }, (_, i) => ((i * 7) % 13) / 13 - 0.5).buffer);
      datasetHash = sha256(x);
      assert.deepStrictEqual((await c.call('putDataset', { hash: datasetHash, size: x.length, offset: 0, data: x.toString('base64') })).result, { received: x.length, complete: true });
      c.ws.close();
    });

    /** another client's round trip works */
    async function stillServes(): Promise<void> {
      assert.ok(alive(host.proc), `the host died: ${host.stderr()}`);
      const c = await Raw.open(host.url);
      sockets.push(c);
      const r = await c.call('has', { models: [modelHash] });
      assert.deepStrictEqual(r.result, { models: [modelHash], datasets: [] });
      c.ws.close();
    }

    it('a frame of JSON nested 10,000 deep gets -32600 and the host keeps serving its other clients', async () => {
      const other = await Raw.open(host.url); // connected before, used after
      sockets.push(other);
      const c = await Raw.open(host.url);
      sockets.push(c);
      c.ws.send(deepArray(DEEP));
      c.ws.send(`{"jsonrpc":"2.0","id":7,"method":"has","params":{"models":${deepArray(DEEP)}}}`);
      const r1 = await c.nullReply(0);
      assert.strictEqual(r1.error?.code, -32600);
      assert.match(r1.error!.message, /nested more than 64 levels deep/);
      const r2 = await c.nullReply(c.received.indexOf(r1) + 1);
      assert.match(r2.error!.message, /nested more than 64 levels deep/);
      // the same connection goes on
      assert.deepStrictEqual((await c.call('has', { models: [modelHash] })).result, { models: [modelHash], datasets: [] });
      assert.deepStrictEqual((await other.call('has', {})).result, { models: [], datasets: [] });
      await stillServes();
    });

    it('a $/cancelRequest with a deep id (or none) gets -32600; the host lives', async () => {
      const c = await Raw.open(host.url);
      sockets.push(c);
      c.ws.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":${deepArray(DEEP)}}}`);
      const r = await c.nullReply(0);
      assert.strictEqual(r.error?.code, -32600);
      c.ws.send('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":{"a":1}}}');
      assert.match((await c.nullReply(1)).error!.message, /\$\/cancelRequest needs params.id/);
      await stillServes();
    });

    it('malformed JSON gets a -32700 parse error; bad shapes get -32600 with their id when usable; the connection goes on', async () => {
      const c = await Raw.open(host.url);
      sockets.push(c);
      c.ws.send('{"jsonrpc":"2.0","id":1,"method":"has",');
      const parse = await c.nullReply(0);
      assert.strictEqual(parse.error?.code, -32700);
      assert.match(parse.error!.message, /parse error: not JSON/);
      c.ws.send('{"jsonrpc":"2.0","id":42,"method":"has","params":"models"}');
      const shape = (await c.wait((m) => (m as ResponseMessage).id === 42)) as ResponseMessage;
      assert.strictEqual(shape.error?.code, -32600);
      assert.match(shape.error!.message, /"params" must be an object or an array/);
      c.ws.send(`{"jsonrpc":"2.0","id":"${'i'.repeat(5000)}","method":"has"}`);
      const longId = await c.nullReply(c.received.length);
      assert.match(longId.error!.message, /"id" must be a number or a string of at most 256 characters/);
      // a binary frame whose header lies
      c.ws.send(Buffer.from([1, 0, 0, 0, 255, 255, 255, 255]), { binary: true });
      const bin = await c.nullReply(c.received.length);
      assert.match(bin.error!.message, /invalid binary frame: binary frame claims 4294967295 attachments/);
      assert.deepStrictEqual((await c.call('has', {})).result, { models: [], datasets: [] });
      await stillServes();
    });

    it('an oversized frame closes that connection (1009); the host keeps serving', async () => {
      const c = await Raw.open(host.url);
      sockets.push(c);
      c.ws.send('"' + 'x'.repeat(5 * 1024 * 1024) + '"');
      const closed = await c.closed;
      assert.strictEqual(closed.code, 1009);
      await stillServes();
    });

    it('an error reply never echoes a large value from the request', async () => {
      const c = await Raw.open(host.url);
      sockets.push(c);
      const dims = new Array(200_000).fill(0);
      const r = await c.call('evaluate', { modelHash, inputs: [{ name: 'n'.repeat(100_000), dims, data: { base64: '' } }] });
      assert.ok(r.error, JSON.stringify(r).slice(0, 300));
      assert.match(r.error.message, /dims must be positive integers/);
      assert.ok(JSON.stringify(r).length < 1000, `reply of ${JSON.stringify(r).length} characters: ${r.error.message.slice(0, 300)}`);
      c.ws.close();
    });

    it('a client that never reads: the host stops reading it instead of queueing its replies, and its replies (those held back too) arrive once it reads', async function () {
      if (!fs.existsSync(`/proc/${host.proc.pid}/status`)) {
        console.log('    (skipped: no /proc/<pid>/status to read the host\'s memory from)');
        this.skip();
      }
      const N = 200; // replies of 131,072 float32 in base64: ~700 KB each, ~140 MB in all
      const c = await Raw.open(host.url);
      sockets.push(c);
      await c.call('has', {});
      const base = rssMB(host.proc.pid!, 'VmRSS');
      c.ws.pause(); // never read (for now)
      const params = { modelHash, inputs: [{ name: 'x', dims: [2], data: { datasetHash, rowWidth: 2 } }], batchSize: ROWS };
      for (let i = 0; i < N; i++) c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'evaluate', params }));
      // let the host work until it idles (its CPU time stands still for half a second; at most 30 s):
      // it has then either answered everything or stopped reading
      let peak = base;
      let last = -1;
      let still = 0;
      for (let t = 0; t < 120 && still < 2; t++) {
        await new Promise((r) => setTimeout(r, 250));
        peak = Math.max(peak, rssMB(host.proc.pid!, 'VmRSS'));
        const cpu = cpuTicks(host.proc.pid!);
        still = cpu === last ? still + 1 : 0;
        last = cpu;
      }
      const hwm = rssMB(host.proc.pid!, 'VmHWM');
      process.stderr.write(`      host RSS ${base.toFixed(0)} MB before, peak ${Math.max(peak, hwm).toFixed(0)} MB with ${N} unread replies of ~700 KB queued by a client that does not read\n`);
      assert.ok(alive(host.proc), host.stderr());
      assert.ok(Math.max(peak, hwm) - base < 150, `the host grew by ${(Math.max(peak, hwm) - base).toFixed(0)} MB for a client that does not read`);
      // backpressure, not loss: once the client reads, the replies come, those the host held back too
      c.ws.resume();
      for (let i = 0; i < 100; i++) {
        const r = (await c.wait((m) => (m as ResponseMessage).id === i, 30_000)) as ResponseMessage;
        assert.ok(r.result, `reply ${i}: ${JSON.stringify(r).slice(0, 200)}`);
      }
      c.received.length = 0;
      c.ws.close();
      await stillServes();
    });
  });

  describe('flow control (in process, small limits)', () => {
    it('stops reading a client whose replies pile up, holds its requests back, and closes it (1008, saying why) when they do not drain', async () => {
      const server = http.createServer();
      const wss = new WebSocketServer({ server });
      let handled = 0;
      let guard: FlowGuard | undefined;
      const logged: string[] = [];
      const serverClosed = new Promise<void>((resolve) => {
        wss.on('connection', (ws) => {
          const { reader, writer, flow } = serverWebSocketTransport(ws, {
            flow: { pauseAboveBytes: 1024 * 1024, maxUnsentBytes: 256 * 1024 * 1024, maxInFlight: 8, stallMs: 500 },
            log: (l) => logged.push(l),
          });
          guard = flow;
          const conn = createMessageConnection(reader, writer);
          conn.onRequest('big', async () => {
            handled++;
            return 'x'.repeat(2_000_000);
          });
          ws.on('close', () => {
            conn.dispose();
            resolve();
          });
          conn.listen();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const c = await Raw.open(`ws://127.0.0.1:${port}`);
        sockets.push(c);
        c.ws.pause();
        for (let i = 0; i < 300; i++) c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'big' }));
        // closed by the stall rule ~0.5 s after the backlog stops shrinking
        for (let t = 0; t < 100 && !guard?.closedFor; t++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(guard?.closedFor, 'not closed by the flow guard within 5 s');
        assert.match(guard!.closedFor!, /^[\d.]+ MB of replies unsent for 500 ms: the client is not reading them$/);
        // what the kernel's socket buffers took (a few MB) plus the requests in flight; not all 300
        assert.ok(handled <= 40, `the host handled ${handled} requests of a client that does not read`);
        assert.deepStrictEqual(logged, [guard!.closedFor]);
        c.ws.resume();
        const closed = await c.closed;
        assert.strictEqual(closed.code, 1008);
        assert.match(closed.reason, /replies unsent .*not reading/);
        await serverClosed;
      } finally {
        wss.close();
        server.close();
      }
    });

    it('closes a connection when a reply would queue behind more than the hard limit', async () => {
      const server = http.createServer();
      const wss = new WebSocketServer({ server });
      let guard: FlowGuard | undefined;
      wss.on('connection', (ws) => {
        // pausing never kicks in here (huge pause threshold): only the hard limit is left
        const { reader, writer, flow } = serverWebSocketTransport(ws, { flow: { pauseAboveBytes: 1e12, maxUnsentBytes: 1024 * 1024, maxInFlight: 1e6, stallMs: 1e9 } });
        guard = flow;
        const conn = createMessageConnection(reader, writer);
        conn.onRequest('big', () => 'x'.repeat(500_000));
        ws.on('close', () => conn.dispose());
        conn.listen();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const c = await Raw.open(`ws://127.0.0.1:${port}`);
        sockets.push(c);
        c.ws.pause();
        for (let i = 0; i < 200; i++) c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'big' }));
        for (let t = 0; t < 100 && !guard?.closedFor; t++) await new Promise((r) => setTimeout(r, 50));
        assert.match(guard?.closedFor ?? 'not closed', /MB of replies unsent \(limit 1\.0 MB\): the client is not reading them/);
        c.ws.resume();
        assert.strictEqual((await c.closed).code, 1008);
      } finally {
        wss.close();
        server.close();
      }
    });
  });

  describe('a stdio host', () => {
    it('answers malformed and deep JSON with JSON-RPC errors and keeps serving', async () => {
      const proc = spawn(process.execPath, [HOST, '--cache-dir', path.join(tmp, 'stdio-cache'), '--provider', 'cpu'], { stdio: ['pipe', 'pipe', 'pipe'] });
      procs.push(proc);
      let err = '';
      proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const got: Message[] = [];
      const reader = new BinaryStreamMessageReader(proc.stdout!);
      reader.listen((m) => got.push(m));
      const frame = (json: string): Buffer => Buffer.concat([Buffer.from(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n`), Buffer.from(json)]);
      const waitFor = async (n: number): Promise<void> => {
        for (let t = 0; t < 200 && got.length < n; t++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(got.length >= n, `${got.length} replies, wanted ${n}; host stderr: ${err}`);
      };
      proc.stdin!.write(frame('{"jsonrpc":"2.0","id":1,'));
      await waitFor(1);
      proc.stdin!.write(frame(deepArray(DEEP)));
      await waitFor(2);
      proc.stdin!.write(frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":${deepArray(DEEP)}}}`));
      await waitFor(3);
      new BinaryStreamMessageWriter(proc.stdin!).write({ jsonrpc: '2.0', id: 5, method: 'has', params: {} } as Message).catch(() => undefined);
      await waitFor(4);
      assert.deepStrictEqual(
        got.map((m) => [(m as ResponseMessage).id, (m as ResponseMessage).error?.code]),
        [
          [null, -32700],
          [null, -32600],
          [null, -32600],
          [5, undefined],
        ],
      );
      assert.ok(alive(proc), err);
      proc.stdin!.end();
      await new Promise((r) => proc.once('exit', r));
    });
  });

  describe('tokens', () => {
    it('refuses to start with a short token, saying the minimum and how to make one', async () => {
      await assert.rejects(startHost(path.join(tmp, 'short'), [], 'secret123'), (e: unknown) => {
        const msg = (e as Error).message;
        assert.match(msg, /exited \(2\)/);
        assert.match(msg, new RegExp(`holds a token of 9 characters; it needs at least ${MIN_TOKEN_LENGTH}`));
        assert.match(msg, /randomBytes\(32\)|openssl rand/);
        return true;
      });
      assert.strictEqual(tokenProblem('x'.repeat(MIN_TOKEN_LENGTH)), undefined);
      assert.match(tokenProblem('')!, /is empty/);
    });

    it('wrong tokens: each answer from the same address comes later (bounded); attempts meanwhile get 429 unchecked; the right token works after the wait', async () => {
      const host = await startHost(path.join(tmp, 'throttle'));
      /** one upgrade attempt: HTTP status, ms until the answer, Retry-After */
      const attempt = (token: string | undefined): Promise<{ status: number; ms: number; retryAfter?: string }> => {
        const t0 = Date.now();
        const ws = new WebSocket(host.url, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
        return new Promise((resolve, reject) => {
          ws.once('unexpected-response', (_q, res) => {
            ws.terminate();
            resolve({ status: res.statusCode!, ms: Date.now() - t0, retryAfter: res.headers['retry-after'] as string | undefined });
          });
          ws.once('open', () => {
            ws.close();
            resolve({ status: 101, ms: Date.now() - t0 });
          });
          ws.once('error', (e) => reject(e));
        });
      };
      const times: number[] = [];
      for (const t of ['wrong-token-number-1', undefined, 'wrong-token-number-3']) {
        const r = await attempt(t);
        assert.strictEqual(r.status, 401);
        times.push(r.ms);
      }
      // failures 1, 2, 3 are answered after 100, 200, 400 ms
      assert.ok(times[0] >= 95 && times[1] >= 195 && times[2] >= 395, `answer times ${times.join(', ')} ms`);
      // the 4th wrong token is held 800 ms; meanwhile even the right token is refused at once, unchecked
      const fourth = attempt('wrong-token-number-4');
      await new Promise((r) => setTimeout(r, 100));
      const early = await attempt(TOKEN);
      assert.strictEqual(early.status, 429);
      assert.strictEqual(early.retryAfter, '1');
      assert.ok(early.ms < 400, `429 took ${early.ms} ms`);
      const r4 = await fourth;
      assert.strictEqual(r4.status, 401);
      assert.ok(r4.ms >= 795, `4th answer after ${r4.ms} ms`);
      // after the wait, the right token gets in (and clears the address)
      const ok = await attempt(TOKEN);
      assert.strictEqual(ok.status, 101);
      assert.strictEqual((await attempt('wrong-token-number-5')).status, 401);
      assert.match(host.stderr(), /refused a connection from 127\.0\.0\.1: wrong token \(4 in a row; answered after 800 ms\)/);
    });

    it('the delay grows with failures up to a bound, and an address is forgotten after a quiet spell', () => {
      const t = new AuthThrottle({ baseMs: 100, maxMs: 10_000, forgetMs: 60_000, maxAddresses: 3 });
      assert.deepStrictEqual([1, 2, 3, 4, 5, 7, 8, 50, 5000].map((n) => t.delayAfter(n)), [100, 200, 400, 800, 1600, 6400, 10_000, 10_000, 10_000]);
      let now = 1_000_000;
      for (let i = 0; i < 60; i++) now += t.failed('a', now);
      assert.strictEqual(t.waitMs('a', now - 1), 1);
      assert.strictEqual(t.failures('a'), 60);
      assert.strictEqual(t.waitMs('a', now + 61_000), 0);
      assert.strictEqual(t.failures('a'), 0);
      assert.strictEqual(t.failed('a', now + 61_000), 100);
      for (const a of ['b', 'c', 'd']) t.failed(a, now + 62_000);
      assert.strictEqual(t.failures('a'), 0, 'the oldest address is dropped past maxAddresses');
      t.succeeded('d');
      assert.strictEqual(t.waitMs('d', now + 62_000), 0);
    });
  });

  describe('modelver eval-host', () => {
    it('SIGKILL of the command leaves nothing listening', async function () {
      assert.ok(fs.existsSync(CLI), `compiled CLI missing: ${CLI}`);
      const dir = path.join(tmp, 'cli');
      // its own process group, so that `after` can clean up whatever it may have left behind
      const tokenFile = path.join(dir, 'token');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
      const proc = spawn(process.execPath, [CLI, 'eval-host', '--listen', '127.0.0.1:0', '--token-file', tokenFile, '--cache-dir', path.join(dir, 'cache'), '--provider', 'cpu'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
      let err = '';
      proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      try {
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no listening line in 30 s: ${err}`)), 30_000);
          proc.stderr!.on('data', () => {
            const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(err);
            if (m) {
              clearTimeout(timer);
              resolve(Number(m[1]));
            }
          });
          proc.once('exit', (code) => reject(new Error(`eval-host exited (${code}): ${err}`)));
        });
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
        const connect = await new Promise<string>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            resolve('connected');
          });
          s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        });
        assert.strictEqual(connect, 'ECONNREFUSED', `port ${port} still answers after the eval-host command was killed`);
      } finally {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* the group is gone */
        }
      }
    });
  });
});
