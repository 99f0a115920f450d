/**
 * Benchmark rows 1–2 of issue #12: `modelver eval` on a 100k-row CSV with a 64→256→256→10 MLP, outputs
 * cache off, against what else one would run — each a whole fresh process, timed spawn to exit,
 * interleaved A B C A B C … (bench/measure.ts), medians with their spread:
 *
 *   row 1  baseline  a plain onnxruntime-node `session.run` loop, batch 256, CPU, on the same rows
 *                    pre-parsed to float32 (bench/baselines/ortLoop.ts: start Node, load onnxruntime, create
 *                    the session, read the rows, run them)          goal: modelver eval ≤ 1.5× its time
 *                    (also shown, not the goal's baseline: the same loop with the host's thread setting —
 *                    intra-op threads that sleep instead of spin)
 *   row 2  baseline  numpy: `numpy.loadtxt` of the CSV + the forward pass in numpy with the same weights
 *                    (bench/baselines/numpy_mlp.py, /usr/bin/python3), and loadtxt alone (the part that
 *                    does not depend on numpy's BLAS)              goal: modelver eval ≥ 2× faster
 *   candidate        `node dist/cli.js eval mlp.onnx --data data.csv --label label --json --no-cache`, in a
 *                    folder outside any repository, with an empty host blob cache each run (the model is
 *                    uploaded every time). What it does: parse the CSV, start the evaluation host, run the
 *                    model, accuracy/precision/recall/F1/log-loss/ROC-AUC, and 5-fold cross-validated
 *                    intervals of each (resampled evaluation set; 5 folds is `modelver eval`'s default).
 *
 * Then one more candidate run with MODELVER_EVAL_TIMINGS set prints where its time went, phase by phase,
 * as the CLI measured it. Sizes: $MV_BENCH_EVAL_ROWS rows (default 100,000), $MV_BENCH_EVAL_RUNS
 * interleaved runs (default 7; numpy's row: $MV_BENCH_EVAL_NUMPY_RUNS, default 3, its forward pass is slow
 * with the reference BLAS).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { loadDataset } from '../src/core/eval/dataset';
import { mulberry32 } from '../src/core/metrics/rng';
import { compareProcesses, formatRow, type ProcessCase, type RowResult } from './measure';

const FEATURES = 64;
const HIDDEN = 256;
const CLASSES = 10;
const BATCH = 256;
const SIZES = [FEATURES, HIDDEN, HIDDEN, CLASSES];

/** The seeded MLP's weights: w{l} [in, out] and b{l} [out], l = 0…2. */
export function mlpWeights(seed = 7): { name: string; dims: number[]; values: Float32Array }[] {
  const rnd = mulberry32(seed);
  const out: { name: string; dims: number[]; values: Float32Array }[] = [];
  const tensor = (name: string, dims: number[]): void => {
    const n = dims.reduce((a, b) => a * b, 1);
    const scale = Math.sqrt(2 / dims[0]);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (rnd() * 2 - 1) * scale;
    out.push({ name, dims, values: v });
  };
  for (let l = 0; l < 3; l++) {
    tensor(`w${l}`, [SIZES[l], SIZES[l + 1]]);
    tensor(`b${l}`, [SIZES[l + 1]]);
  }
  return out;
}

/** The seeded MLP: x [batch, 64] → Gemm → Relu → Gemm → Relu → Gemm → logits [batch, 10]. */
export function mlpModel(seed = 7): Buffer {
  const inits = mlpWeights(seed).map((w) =>
    onnx.TensorProto.create({ name: w.name, dims: w.dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(w.values.buffer) }),
  );
  const io = (name: string, d: number) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: d }] } } } });
  const nodes: onnx.INodeProto[] = [];
  let x = 'x';
  for (let l = 0; l < 3; l++) {
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

const REPO = path.resolve(__dirname, '..', '..');
/** the bundles the candidate runs: dist/ (`npm run build`), or $MV_BENCH_DIST */
const DIST = path.resolve(process.env.MV_BENCH_DIST ?? path.join(REPO, 'dist'));
const PYTHON = '/usr/bin/python3';

/** The phases the CLI reports with MODELVER_EVAL_TIMINGS (src/cli/commands/evaluate.ts), as one line. */
function breakdown(env: NodeJS.ProcessEnv, argv: string[], cwd: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env: { ...env, MODELVER_EVAL_TIMINGS: '1' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`modelver eval failed: ${r.stderr}`);
  const line = r.stderr.split('\n').find((l) => l.startsWith('modelver eval timings '));
  if (!line) throw new Error(`no timings line on stderr:\n${r.stderr}`);
  const t = JSON.parse(line.slice('modelver eval timings '.length)) as Record<string, number>;
  const ms = (k: string): string => (t[k] === undefined ? '?' : t[k].toFixed(0));
  return [
    `Node start + CLI load ${ms('start')} (CPU ${ms('cpuStart')})`,
    `read + parse the CSV with the rows running meanwhile ${ms('loadAndRun')}, of which waiting for the model after the last row ${ms('runAfterLoad')}`,
    `host ready at ${ms('hostReadyAt')} (host: session ${ms('session')}, run of all batches ${ms('hostRun')})`,
    `probabilities + report ${ms('metrics')} (CPU ${ms('metricsCpu')})`,
    `5-fold CV + ROC-AUC ${ms('cv')} (CPU ${ms('cvCpu')})`,
    `total ${ms('total')} (CLI process CPU ${ms('cpu')})`,
  ].join('; ');
}

export async function benchEval(rows = Number(process.env.MV_BENCH_EVAL_ROWS ?? 100_000)): Promise<Record<string, number | string>> {
  const runs = Number(process.env.MV_BENCH_EVAL_RUNS ?? 7);
  const numpyRuns = Number(process.env.MV_BENCH_EVAL_NUMPY_RUNS ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-eval-'));
  try {
    const modelFile = path.join(dir, 'mlp.onnx');
    const csv = path.join(dir, 'data.csv');
    fs.writeFileSync(modelFile, mlpModel());
    writeCsv(csv, rows);
    // the rows pre-parsed to float32 for the onnxruntime baseline (as modelver reads them)
    const ds = await loadDataset({ file: csv, labelColumn: 'label', task: 'multiclass' });
    const f32 = path.join(dir, 'features.f32');
    fs.writeFileSync(f32, Buffer.from(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength));
    // the weights for numpy
    const wdir = path.join(dir, 'weights');
    fs.mkdirSync(wdir);
    const weights = mlpWeights();
    for (const w of weights) fs.writeFileSync(path.join(wdir, `${w.name}.f32`), Buffer.from(w.values.buffer));
    fs.writeFileSync(path.join(wdir, 'shapes.txt'), weights.map((w) => `${w.name} ${w.dims.join(' ')}\n`).join(''));
    console.log(`model ${fs.statSync(modelFile).size} bytes, CSV ${rows} rows, ${(fs.statSync(csv).size / 1e6).toFixed(1)} MB, float32 rows ${(fs.statSync(f32).size / 1e6).toFixed(1)} MB`);

    // the candidate: outside any repository, an empty host cache every run
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    let fresh = 0;
    const evalCase: ProcessCase = {
      name: 'modelver eval',
      argv: [process.execPath, path.join(DIST, 'cli.js'), 'eval', modelFile, '--data', csv, '--label', 'label', '--json', '--no-cache'],
      cwd: work,
      env,
      before: () => {
        const cache = path.join(dir, `cache-${fresh++}`);
        fs.mkdirSync(cache, { mode: 0o700 });
        env.XDG_CACHE_HOME = cache;
      },
    };
    const ortCase: ProcessCase = {
      name: 'onnxruntime-node loop',
      argv: [process.execPath, path.join(__dirname, 'baselines', 'ortLoop.js'), modelFile, f32, String(FEATURES), String(BATCH)],
      cwd: work,
    };
    // for comparison (not the goal's baseline): the same loop with the host's thread setting
    const ortNoSpinCase: ProcessCase = { ...ortCase, name: 'same loop, threads not spinning', argv: [...ortCase.argv, '--no-spin'] };
    const numpyScript = path.join(REPO, 'bench', 'baselines', 'numpy_mlp.py');
    const numpyCase: ProcessCase = { name: 'numpy loadtxt + forward', argv: [PYTHON, numpyScript, csv, wdir], cwd: work };
    const loadtxtCase: ProcessCase = { name: 'numpy loadtxt alone', argv: [PYTHON, numpyScript, csv, wdir, '--load-only'], cwd: work };

    // the candidate's answer, once (untimed): the metrics it reports
    await evalCase.before!();
    const check = spawnSync(evalCase.argv[0], evalCase.argv.slice(1), { cwd: work, env, encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`modelver eval failed: ${check.stderr}`);
    const report = JSON.parse(check.stdout) as { rows: number; cvFolds: number; metrics: { accuracy: number }; cv: Record<string, unknown> };
    if (report.rows !== rows) throw new Error(`modelver eval read ${report.rows} rows, not ${rows}`);
    console.log(`modelver eval: ${report.rows} rows, accuracy ${report.metrics.accuracy.toFixed(4)}, ${Object.keys(report.cv).length} metrics with ${report.cvFolds}-fold intervals`);

    const row1: RowResult = await compareProcesses(`modelver eval, ${rows} rows, 64-256-256-10 MLP, outputs cache off (vs a plain onnxruntime-node loop)`, [ortCase, evalCase, ortNoSpinCase], runs);
    const r1 = row1.ratios['modelver eval'];
    console.log(formatRow(row1, { text: '≤ 1.5× the onnxruntime-node loop', met: r1 <= 1.5 }));

    const row2: RowResult = await compareProcesses(`same, against numpy (what a Python user runs)`, [numpyCase, loadtxtCase, evalCase], numpyRuns);
    const numpyMs = row2.cases[0].median;
    const evalMs = row2.cases[2].median;
    const faster = numpyMs / evalMs;
    const fasterLoad = row2.cases[1].median / evalMs;
    console.log(formatRow(row2, { text: '≥ 2× faster than numpy loadtxt + forward pass', met: faster >= 2 }));
    console.log(`  numpy loadtxt + forward takes ${faster.toFixed(2)}× modelver eval's time, loadtxt alone ${fasterLoad.toFixed(2)}×`);

    await evalCase.before!();
    const phases = breakdown(env, evalCase.argv, work);
    console.log(`  where modelver eval's time went (ms, one more run): ${phases}`);

    const res: Record<string, number | string> = { rows, batch: BATCH };
    for (const c of row1.cases) res[`row1 ${c.name} ms`] = Math.round(c.median);
    res['row1 ratio'] = Number(r1.toFixed(3));
    for (const c of row2.cases) res[`row2 ${c.name} ms`] = Math.round(c.median);
    res['row2 numpy / eval'] = Number(faster.toFixed(2));
    res['row2 loadtxt / eval'] = Number(fasterLoad.toFixed(2));
    res.phases = phases;
    return res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
