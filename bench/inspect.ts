/**
 * Benchmark: summarizing a large ONNX model must cost a small fraction of reading it, and little memory.
 *
 * Writes a ~1 GB ONNX model (MatMul/Add/Relu layers with 40 square float32 weight matrices) to a temp
 * folder as a protobuf stream, without building it in memory; then measures
 *   (a) reading the whole file once in 1 MiB chunks (after a warm-up read, so the page cache is the
 *       same for both; median of 3),
 *   (b) readOnnxSummary on it (median of 5 after 3 warm-up runs), and the ratio b / a (target ≤ 5 %),
 *   (c) the peak RSS of a separate Node process that summarizes it (target < 150 MB), next to the
 *       RSS of the same process that only loads the reader.
 * The temp file is deleted at the end. Size: opts.sizeMB, else $MV_BENCH_MB, else 1024.
 *
 * Run: node out/bench/inspect.js
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readOnnxSummary } from '../src/core/formats/onnx';

// --- a minimal protobuf writer -----------------------------------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wt: number): number[] => varint(field * 8 + wt);
const ld = (field: number, body: number[]): number[] => [...tag(field, 2), ...varint(body.length), ...body];
const str = (field: number, s: string): number[] => ld(field, [...Buffer.from(s, 'utf8')]);
const int = (field: number, n: number): number[] => [...tag(field, 0), ...varint(n)];

const FLOAT = 1;

function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => ld(1, int(1, d)));
  return [...str(1, name), ...ld(2, ld(1, [...int(1, FLOAT), ...ld(2, shape)]))];
}

function node(op: string, name: string, inputs: string[], outputs: string[]): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, name), ...str(4, op)];
}

/** TensorProto fields before raw_data, ending with raw_data's tag and length. */
function tensorHead(name: string, dims: number[], rawLength: number): number[] {
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...str(8, name), ...tag(9, 2), ...varint(rawLength)];
}

interface Written {
  file: string;
  bytes: number;
  tensors: number;
  params: number;
}

/** Stream a model of about `sizeMB` MiB to `file`: `layers` layers of X·W + B → Relu with W [k, k]. */
export function writeModel(file: string, sizeMB: number, layers = 40): Written {
  const k = Math.max(2, Math.floor(Math.sqrt((sizeMB * 1024 * 1024) / layers / 4)));
  const nodes: number[][] = [];
  const inits: { head: number[]; raw: number }[] = [];
  let x = 'X';
  for (let l = 0; l < layers; l++) {
    nodes.push(node('MatMul', `layer${l}/MatMul`, [x, `W${l}`], [`M${l}`]));
    nodes.push(node('Add', `layer${l}/Add`, [`M${l}`, `B${l}`], [`A${l}`]));
    x = l === layers - 1 ? 'Y' : `H${l}`;
    nodes.push(node('Relu', `layer${l}/Relu`, [`A${l}`], [x]));
    inits.push({ head: tensorHead(`W${l}`, [k, k], k * k * 4), raw: k * k * 4 });
    inits.push({ head: tensorHead(`B${l}`, [k], k * 4), raw: k * 4 });
  }
  const before = [...nodes.flatMap((n) => ld(1, n)), ...str(2, 'bench')];
  const after = [...ld(11, valueInfo('X', [1, k])), ...ld(12, valueInfo('Y', [1, k]))];
  const initLen = (i: { head: number[]; raw: number }): number => i.head.length + i.raw;
  const graphLen = before.length + inits.reduce((n, i) => n + tag(5, 2).length + varint(initLen(i)).length + initLen(i), 0) + after.length;

  // Random-ish float32 values in [-0.1, 0.1), written again and again from one 4 MiB buffer.
  const chunk = new Float32Array(1 << 20);
  let seed = 12345;
  for (let i = 0; i < chunk.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    chunk[i] = (seed / 4294967296 - 0.5) * 0.2;
  }
  const chunkBytes = new Uint8Array(chunk.buffer);

  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  const put = (b: Uint8Array | number[]): void => {
    const u = b instanceof Uint8Array ? b : Uint8Array.from(b);
    let off = 0;
    while (off < u.length) off += fs.writeSync(fd, u, off, u.length - off);
    bytes += u.length;
  };
  try {
    put([...int(1, 8), ...str(2, 'model-versions-bench'), ...str(3, '1'), ...tag(7, 2), ...varint(graphLen)]);
    put(before);
    for (const i of inits) {
      put([...tag(5, 2), ...varint(initLen(i)), ...i.head]);
      for (let left = i.raw; left > 0; ) {
        const n = Math.min(left, chunkBytes.length);
        put(chunkBytes.subarray(0, n));
        left -= n;
      }
    }
    put(after);
    put(ld(8, [...str(1, ''), ...int(2, 17)]));
  } finally {
    fs.closeSync(fd);
  }
  return { file, bytes, tensors: inits.length, params: layers * (k * k + k) };
}

// --- measurements ------------------------------------------------------------------------------

function readWhole(file: string): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, 'r');
  let total = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      total += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function time(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Peak RSS of a fresh Node process that loads the reader and (unless `baseline`) summarizes `file`. */
function childRss(file: string, baseline: boolean): { maxRssMB: number; rssMB: number; heapMB: number; tensors: number } {
  const reader = path.resolve(__dirname, '..', 'src', 'core', 'formats', 'onnx.js');
  const script = `
    const { readOnnxSummary } = require(process.argv[1]);
    (async () => {
      let tensors = 0;
      if (process.argv[3] !== 'baseline') tensors = (await readOnnxSummary(process.argv[2])).tensors.length;
      const mu = process.memoryUsage();
      process.stdout.write(JSON.stringify({ maxRss: process.resourceUsage().maxRSS * 1024, rss: mu.rss, heap: mu.heapUsed, tensors }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, reader, file, baseline ? 'baseline' : 'summary'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the child process failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout) as { maxRss: number; rss: number; heap: number; tensors: number };
  const mb = (n: number): number => Math.round((n / (1 << 20)) * 10) / 10;
  return { maxRssMB: mb(o.maxRss), rssMB: mb(o.rss), heapMB: mb(o.heap), tensors: o.tensors };
}

export async function benchInspect(opts: { sizeMB?: number } = {}): Promise<Record<string, number | string>> {
  const sizeMB = opts.sizeMB ?? (Number(process.env.MV_BENCH_MB) || 1024);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-inspect-'));
  const file = path.join(dir, 'big.onnx');
  try {
    const tw = process.hrtime.bigint();
    const w = writeModel(file, sizeMB);
    const writeMs = Number(process.hrtime.bigint() - tw) / 1e6;

    // the summary must be right before its speed matters
    const s = await readOnnxSummary(file);
    if (s.tensors.length !== w.tensors || s.parameterCount !== w.params || s.fileSize !== w.bytes || s.nodes.length !== (w.tensors / 2) * 3) {
      throw new Error(`wrong summary: ${s.tensors.length} tensors, ${s.parameterCount} parameters, ${s.nodes.length} nodes`);
    }

    readWhole(file); // warm-up: the page cache holds the file for both measurements
    const reads: number[] = [];
    for (let i = 0; i < 3; i++) {
      reads.push(
        time(() => {
          if (readWhole(file) !== w.bytes) throw new Error('short read');
        }),
      );
    }
    // warm-up (JIT: the walk reaches its optimized code after a few runs), then enough runs that a
    // collection of the reads' buffers falling into one of them does not move the median
    for (let i = 0; i < 5; i++) await readOnnxSummary(file);
    const sums: number[] = [];
    for (let i = 0; i < 21; i++) sums.push(await timeAsync(() => readOnnxSummary(file)));
    const readMs = median(reads);
    const summarizeMs = median(sums);
    const child = childRss(file, false);
    const base = childRss(file, true);
    if (child.tensors !== w.tensors) throw new Error('the child process summarized a different model');
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    return {
      fileMB: r2(w.bytes / (1 << 20)),
      tensors: w.tensors,
      parameters: w.params,
      writeMs: Math.round(writeMs),
      readMs: r2(readMs),
      readMBps: Math.round(w.bytes / (1 << 20) / (readMs / 1000)),
      summarizeMs: r2(summarizeMs),
      summarizeRunsMs: sums.map(r2).join(' '),
      summarizeMinMs: r2(Math.min(...sums)),
      ratioPct: r2((summarizeMs / readMs) * 100),
      ratioTargetPct: 5,
      childPeakRssMB: child.maxRssMB,
      childRssAfterMB: child.rssMB,
      childHeapUsedMB: child.heapMB,
      baselinePeakRssMB: base.maxRssMB,
      rssTargetMB: 150,
      verdict: summarizeMs / readMs <= 0.05 && child.maxRssMB < 150 ? 'PASS' : 'FAIL',
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchInspect()
    .then((r) => {
      console.log('Inspect benchmark: summarizing a large ONNX model vs reading it');
      const width = Math.max(...Object.keys(r).map((k) => k.length));
      for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(width)}  ${v}`);
      if (r.verdict !== 'PASS') process.exitCode = 1;
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
