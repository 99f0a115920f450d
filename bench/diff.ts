/**
 * Benchmark: diffing two large ONNX models that differ in one tensor costs about as much as hashing
 * both files once, in bounded memory.
 *
 * Writes two ~200 MB ONNX models (bench/inspect.ts's writer: 40 MatMul/Add/Relu layers with square
 * float32 weights), identical except for one weight matrix in which every 1000th float is nudged.
 * Then measures
 *   (a) sha256 of both files, read once each in 8 MiB chunks (after a warm-up read; median of 3),
 *   (b) diffModels(A, B) (median of 3 after one warm-up run), the ratio b / a,
 *   (c) the peak RSS of a separate Node process that runs the diff, next to one that only loads the code.
 * Checks that the diff finds exactly the one changed tensor with the right number of changed elements.
 * Size per model: opts.sizeMB, else $MV_BENCH_DIFF_MB, else 200; opts.layers (default 40) sets how
 * many weight matrices share it (layers = 1: one ~200 MB tensor, compared chunk by chunk). Temp files are deleted.
 *
 * Run: node out/bench/diff.js
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffModels } from '../src/core/diff';
import { readOnnxSummary } from '../src/core/formats/onnx';
import { writeModel } from './inspect';

function sha256File(file: string): string {
  const h = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timeAsync(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function childRss(a: string, b: string, baseline: boolean): { maxRssMB: number; changed: number } {
  const mod = path.resolve(__dirname, '..', 'src', 'core', 'diff', 'index.js');
  const script = `
    const { diffModels } = require(process.argv[1]);
    (async () => {
      let changed = -1;
      if (process.argv[4] !== 'baseline') changed = (await diffModels(process.argv[2], process.argv[3])).weights.counts.changed;
      // VmHWM: the peak RSS of this process image (getrusage's maxRSS can carry the parent's from before exec)
      let maxRss = process.resourceUsage().maxRSS * 1024;
      try {
        const m = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
        if (m) maxRss = Number(m[1]) * 1024;
      } catch {}
      process.stdout.write(JSON.stringify({ maxRss, changed }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, mod, a, b, baseline ? 'baseline' : 'diff'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the child process failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout) as { maxRss: number; changed: number };
  return { maxRssMB: Math.round((o.maxRss / (1 << 20)) * 10) / 10, changed: o.changed };
}

export async function benchDiff(opts: { sizeMB?: number; layers?: number } = {}): Promise<Record<string, number | string>> {
  const sizeMB = opts.sizeMB ?? (Number(process.env.MV_BENCH_DIFF_MB) || 200);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-diff-'));
  const fa = path.join(dir, 'a.onnx');
  const fb = path.join(dir, 'b.onnx');
  try {
    const layers = opts.layers ?? 40;
    const w = writeModel(fa, sizeMB, layers);
    const targetName = `W${Math.floor(layers / 2)}`;
    fs.copyFileSync(fa, fb);
    // nudge every 1000th float of one weight matrix of B
    const s = await readOnnxSummary(fb);
    const target = s.tensors.find((t) => t.name === targetName)!;
    if (target.location.kind !== 'raw') throw new Error('unexpected location');
    const { offset, length } = target.location;
    const fd = fs.openSync(fb, 'r+');
    let nudged = 0;
    try {
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, offset);
      for (let i = 0; i < length / 4; i += 1000) {
        buf.writeFloatLE(buf.readFloatLE(i * 4) + 0.5, i * 4);
        nudged++;
      }
      fs.writeSync(fd, buf, 0, length, offset);
    } finally {
      fs.closeSync(fd);
    }

    // correctness first
    const d = await diffModels(fa, fb);
    const row = d.weights.rows.find((r) => r.status === 'changed');
    if (d.weights.counts.changed !== 1 || d.weights.counts.identical !== w.tensors - 1 || row?.a?.name !== targetName || row.stats?.changedCount !== nudged) {
      throw new Error(`wrong diff: ${JSON.stringify(d.verdicts)} ${JSON.stringify(d.weights.counts)}`);
    }

    sha256File(fa); // warm-up: both files in the page cache for both measurements
    sha256File(fb);
    const hashes: number[] = [];
    for (let i = 0; i < 3; i++)
      hashes.push(
        await timeAsync(() => {
          sha256File(fa);
          sha256File(fb);
        }),
      );
    await diffModels(fa, fb); // warm-up (JIT)
    const diffs: number[] = [];
    for (let i = 0; i < 3; i++) diffs.push(await timeAsync(() => diffModels(fa, fb)));
    const child = childRss(fa, fb, false);
    const base = childRss(fa, fb, true);
    if (child.changed !== 1) throw new Error('the child process found another diff');
    const hashMs = median(hashes);
    const diffMs = median(diffs);
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    return {
      fileMB: r2(w.bytes / (1 << 20)),
      tensors: w.tensors,
      largestTensorMB: r2(length / (1 << 20)),
      elementsChanged: nudged,
      verdict0: d.verdicts[0],
      hashBothMs: r2(hashMs),
      diffMs: r2(diffMs),
      diffRunsMs: diffs.map(r2).join(' '),
      ratio: r2(diffMs / hashMs),
      childPeakRssMB: child.maxRssMB,
      baselinePeakRssMB: base.maxRssMB,
      rssOverBaselineMB: r2(child.maxRssMB - base.maxRssMB),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchDiff()
    .then((r) => {
      console.log('Diff benchmark: two large ONNX models that differ in one tensor vs hashing both files');
      const width = Math.max(...Object.keys(r).map((k) => k.length));
      for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(width)}  ${v}`);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
