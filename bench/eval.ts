/**
 * Benchmark: `modelver eval` end to end against a plain onnxruntime-node loop (issue #5).
 *
 * Writes, in a temp dir, a seeded 64→256→256→10 MLP (Gemm/Relu, ONNX via onnx-proto) and a seeded CSV of
 * $MV_BENCH_EVAL_ROWS (default 100,000) rows: 64 float features and a class label (10 classes).
 *   baseline:  onnxruntime-node in this process, `session.run` over pre-made [256, 64] tensors (CPU, same
 *              batch size, intraOpNumThreads left at onnxruntime's default like the host's), median of 3.
 *   candidate: `node dist/cli.js eval model.onnx --data data.csv --label label --json` as a child process,
 *              wall time (CSV parsing, hashing, host start, upload, run, transfer back, metrics and 5-fold
 *              CV), median of 3, each with an empty host cache (fresh TMPDIR) so the upload is counted.
 * Then the same pipeline once more in this process, phase by phase, for the breakdown.
 * Prints rows/s for both, the ratio candidate / baseline (target ≥ 0.9) and the breakdown in ms.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { EvalClient, sha256Bytes } from '../src/core/eval/client';
import { loadDatasetInferringTask } from '../src/core/eval/dataset';
import { evaluateModel } from '../src/core/eval/evaluate';
import { mulberry32 } from '../src/core/metrics/rng';

const FEATURES = 64;
const HIDDEN = 256;
const CLASSES = 10;
const BATCH = 256;

/** The seeded MLP: x [batch, 64] → Gemm → Relu → Gemm → Relu → Gemm → logits [batch, 10]. */
export function mlpModel(seed = 7): Buffer {
  const rnd = mulberry32(seed);
  const tensor = (name: string, dims: number[]): onnx.ITensorProto => {
    const n = dims.reduce((a, b) => a * b, 1);
    const scale = Math.sqrt(2 / dims[0]);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (rnd() * 2 - 1) * scale;
    return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(v.buffer) });
  };
  const io = (name: string, d: number) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: d }] } } } });
  const sizes = [FEATURES, HIDDEN, HIDDEN, CLASSES];
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  let x = 'x';
  for (let l = 0; l < 3; l++) {
    inits.push(tensor(`w${l}`, [sizes[l], sizes[l + 1]]), tensor(`b${l}`, [sizes[l + 1]]));
    const last = l === 2;
    nodes.push(onnx.NodeProto.create({ name: `fc${l}`, opType: 'Gemm', input: [x, `w${l}`, `b${l}`], output: [last ? 'logits' : `z${l}`] }));
    if (!last) nodes.push(onnx.NodeProto.create({ name: `relu${l}`, opType: 'Relu', input: [`z${l}`], output: [`h${l}`] }));
    x = `h${l}`;
  }
  const graph = onnx.GraphProto.create({ name: 'mlp', node: nodes, initializer: inits, input: [io('x', FEATURES)], output: [io('logits', CLASSES)] });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'model-versions bench', opsetImport: [{ domain: '', version: 17 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** The seeded CSV: header f0…f63,label; features in [-1, 1) with 5 decimals; labels 0…9. */
export function writeCsv(file: string, rows: number, seed = 11): void {
  const rnd = mulberry32(seed);
  const fd = fs.openSync(file, 'w');
  try {
    const header = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',') + '\n';
    fs.writeSync(fd, header);
    let buf: string[] = [];
    for (let r = 0; r < rows; r++) {
      const cells = new Array<string>(FEATURES + 1);
      for (let c = 0; c < FEATURES; c++) cells[c] = (rnd() * 2 - 1).toFixed(5);
      cells[FEATURES] = String(Math.floor(rnd() * CLASSES));
      buf.push(cells.join(','));
      if (buf.length === 5000) {
        fs.writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
  } finally {
    fs.closeSync(fd);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = (): number => performance.now();

async function baseline(modelFile: string, features: Float32Array, rows: number): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session = await ort.InferenceSession.create(modelFile, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const tensors: InstanceType<typeof ort.Tensor>[] = [];
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    tensors.push(new ort.Tensor('float32', features.slice(start * FEATURES, (start + n) * FEATURES), [n, FEATURES]));
  }
  await session.run({ x: tensors[0] });
  const times: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t0 = now();
    for (const t of tensors) await session.run({ x: t });
    times.push(now() - t0);
  }
  await session.release();
  return median(times);
}

function runCli(args: string[], tmpdir: string): Promise<{ ms: number; out: string; err: string; code: number | null }> {
  const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
  return new Promise((resolve, reject) => {
    const t0 = now();
    // cwd: the temp dir, outside any repository, so no outputs cache is found; TMPDIR: an empty host cache
    const child = spawn(process.execPath, [cli, ...args], { cwd: tmpdir, env: { ...process.env, TMPDIR: tmpdir, XDG_CACHE_HOME: tmpdir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: now() - t0, out, err, code }));
  });
}

export async function benchEval(rows = Number(process.env.MV_BENCH_EVAL_ROWS ?? 100_000)): Promise<Record<string, number | string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-eval-'));
  try {
    const modelFile = path.join(dir, 'mlp.onnx');
    const csv = path.join(dir, 'data.csv');
    fs.writeFileSync(modelFile, mlpModel());
    writeCsv(csv, rows);
    console.log(`model ${fs.statSync(modelFile).size} bytes, CSV ${rows} rows, ${(fs.statSync(csv).size / 1e6).toFixed(1)} MB`);

    // ---- in-process breakdown (also gives the feature matrix for the baseline)
    const b: Record<string, number> = {};
    let t = now();
    const ds = await loadDatasetInferringTask({ file: csv, labelColumn: 'label' });
    b.parseMs = now() - t;
    // the same file through the general CSV parser only (the numeric fast path off), for comparison
    t = now();
    await loadDatasetInferringTask({ file: csv, labelColumn: 'label' }, { csvFastPath: false });
    b.parseGeneralMs = now() - t;
    t = now();
    sha256Bytes(Buffer.from(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength));
    sha256Bytes(fs.readFileSync(modelFile));
    b.hashMs = now() - t;
    const cache = fs.mkdtempSync(path.join(dir, 'cache-'));
    t = now();
    const client = EvalClient.local(path.resolve(__dirname, '..', '..', 'dist', 'evalHost.js'), { args: ['--cache-dir', cache, '--provider', 'cpu'] });
    try {
      await client.initialize({ clientName: 'bench' });
      b.hostStartMs = now() - t;
      t = now();
      await client.ensureModel(modelFile);
      await client.ensureDataset(ds.features);
      b.uploadMs = now() - t - b.hashMs;
      // time the evaluate request inside evaluateModel
      const orig = client.evaluate.bind(client);
      let evalMs = 0;
      let hostMs = 0;
      let sessionMs = 0;
      client.evaluate = async (p, o) => {
        const t1 = now();
        const r = await orig(p, o);
        evalMs = now() - t1;
        hostMs = r.runMs;
        sessionMs = r.sessionMs;
        return r;
      };
      // and the hashing / has() round trips evaluateModel does before it (the blobs are there already)
      let prepMs = 0;
      const origModel = client.ensureModel.bind(client);
      const origData = client.ensureDataset.bind(client);
      client.ensureModel = async (...a: Parameters<typeof origModel>) => {
        const t1 = now();
        const r = await origModel(...a);
        prepMs += now() - t1;
        return r;
      };
      client.ensureDataset = async (...a: Parameters<typeof origData>) => {
        const t1 = now();
        const r = await origData(...a);
        prepMs += now() - t1;
        return r;
      };
      t = now();
      const ev = await evaluateModel({ file: modelFile }, ds, client, { task: ds.task });
      const total = now() - t;
      b.ensureAgainMs = prepMs;
      b.sessionMs = sessionMs;
      b.runMs = hostMs;
      b.transferBackMs = evalMs - hostMs - sessionMs;
      b.metricsMs = total - evalMs - prepMs; // model summary, output decode, metrics and CV
      if (ev.rows !== rows) throw new Error(`evaluated ${ev.rows} rows, expected ${rows}`);
      await client.shutdown();
    } finally {
      client.dispose();
    }

    // ---- the transport alone: upload + evaluate through the host, base64 (protocol 1) vs binary attachments
    for (const binary of [false, true]) {
      const c = EvalClient.local(path.resolve(__dirname, '..', '..', 'dist', 'evalHost.js'), { args: ['--cache-dir', fs.mkdtempSync(path.join(dir, 'cache-')), '--provider', 'cpu'] });
      try {
        await c.initialize({ binary });
        const mh = await c.ensureModel(modelFile);
        const t1 = now();
        const dh = await c.ensureDataset(ds.features);
        const up = now() - t1;
        const t2 = now();
        const r = await c.evaluate({ modelHash: mh, inputs: [{ name: 'x', dims: [FEATURES], data: { datasetHash: dh, rowWidth: FEATURES } }], batchSize: BATCH });
        const ev = now() - t2;
        b[binary ? 'binaryUploadMs' : 'base64UploadMs'] = up;
        b[binary ? 'binaryBackMs' : 'base64BackMs'] = ev - r.runMs - r.sessionMs;
        await c.shutdown();
      } finally {
        c.dispose();
      }
    }

    // ---- baseline: plain onnxruntime-node
    const baseMs = await baseline(modelFile, ds.features, rows);

    // ---- candidate: the CLI end to end
    const cliTimes: number[] = [];
    let accuracy = NaN;
    for (let rep = 0; rep < 3; rep++) {
      const tmp = fs.mkdtempSync(path.join(dir, 'tmp-'));
      const r = await runCli(['eval', modelFile, '--data', csv, '--label', 'label', '--json'], tmp);
      if (r.code !== 0) throw new Error(`modelver eval failed (${r.code}): ${r.err || r.out}`);
      accuracy = (JSON.parse(r.out) as { metrics: { accuracy: number } }).metrics.accuracy;
      cliTimes.push(r.ms);
    }
    const cliMs = median(cliTimes);
    const inProcess = b.parseMs + b.hashMs + b.hostStartMs + b.uploadMs + b.sessionMs + b.runMs + b.transferBackMs + b.ensureAgainMs + b.metricsMs;
    const res: Record<string, number | string> = {
      rows,
      batch: BATCH,
      baselineRowsPerSec: Math.round(rows / (baseMs / 1000)),
      cliRowsPerSec: Math.round(rows / (cliMs / 1000)),
      ratio: Number((baseMs / cliMs).toFixed(3)),
      baselineMs: Math.round(baseMs),
      cliMs: Math.round(cliMs),
      cliRunsMs: cliTimes.map((x) => Math.round(x)).join('/'),
      accuracy: Number(accuracy.toFixed(4)),
    };
    for (const [k, v] of Object.entries(b)) res[k] = Math.round(v);
    // the CLI starts the host while it parses the data (no outputs cache here), so this is the process's own
    // start/exit minus that overlap: it can be negative
    res.cliRestMs = Math.round(cliMs - inProcess);
    console.log(`baseline (onnxruntime-node loop): ${res.baselineRowsPerSec} rows/s (${res.baselineMs} ms)`);
    console.log(`modelver eval end to end:         ${res.cliRowsPerSec} rows/s (${res.cliMs} ms; runs ${res.cliRunsMs})  ratio ${res.ratio} (target ≥ 0.9)`);
    console.log(
      `transport (${((rows * FEATURES * 4) / 1e6).toFixed(1)} MB up, ${((rows * CLASSES * 4) / 1e6).toFixed(1)} MB back): upload base64 ${res.base64UploadMs} ms → binary ${res.binaryUploadMs} ms; ` +
        `outputs back base64 ${res.base64BackMs} ms → binary ${res.binaryBackMs} ms`,
    );
    console.log(
      `breakdown ms: parse ${res.parseMs} (general CSV path ${res.parseGeneralMs}), hash ${res.hashMs}, host start ${res.hostStartMs}, upload ${res.uploadMs}, session ${res.sessionMs}, run ${res.runMs}, ` +
        `transfer back ${res.transferBackMs}, hash+has() again in evaluateModel ${res.ensureAgainMs}, metrics+CV ${res.metricsMs}; the rest of the CLI's time ${res.cliRestMs} (its start/exit minus the host start it overlaps with parsing)`,
    );
    return res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
