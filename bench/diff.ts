/**
 * Benchmark: `modelver diff A B` of two large ONNX models that differ in one tensor costs at most
 * twice what hashing both files costs (goal ≤ 2× at every size), in bounded memory.
 *
 * For each size (MV_BENCH_DIFF_SIZES, MiB, default "10,100,1024"; the 1 GiB pair needs 2 GiB of
 * temporary disk), two models are written with bench/inspect.ts's writer (40 MatMul/Add/Relu layers,
 * square float32 weights), identical except for one weight matrix in which every 1000th float is
 * nudged. After a check that the diff finds exactly that tensor with the right number of changed
 * elements, whole processes are timed, interleaved (A B A B …; medians with their spread):
 *   baseline: `openssl dgst -sha256 A B` (a fresh process)
 *   modelver: `node dist/cli.js diff A B` (a fresh process; exit status 1, "they differ", is its success)
 *   and, as the floor of the ratio, `node -e 0` (Node's start-up alone; nodeFloorMs, nodeFloorRatio)
 * Memory: the peak RSS (VmHWM) of a Node process that runs the diff, next to one that only loads the
 * code. Temp files are deleted.
 *
 * Run: node out/bench/run.js diff (after npm run build: the CLI comes from dist/)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffModels } from '../src/core/diff';
import { retrain } from './commit';
import { writeModel } from './inspect';
import { benchRuns, builtCli, compareProcesses, formatRow, nodeFloorCase, round2 as r2, rowFigures, runIfMain, startupNote } from './measure';

const GOAL = 2;

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

export async function benchDiff(opts: { sizesMB?: number[]; runs?: number } = {}): Promise<Record<string, number | string>> {
  const sizes = opts.sizesMB ?? (process.env.MV_BENCH_DIFF_SIZES ?? process.env.MV_BENCH_DIFF_MB ?? '10,100,1024').split(',').map(Number);
  const runs = benchRuns(opts.runs);
  const cli = builtCli();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-diff-'));
  const out: Record<string, number | string> = {};
  try {
    for (const mb of sizes) {
      const fa = path.join(dir, `a-${mb}.onnx`);
      const fb = path.join(dir, `b-${mb}.onnx`);
      const w = writeModel(fa, mb, 40);
      const nudged = await retrain(fa, fb, 'W20');

      // correctness first
      const d = await diffModels(fa, fb);
      const row = d.weights.rows.find((r) => r.status === 'changed');
      if (d.weights.counts.changed !== 1 || d.weights.counts.identical !== w.tensors - 1 || row?.a?.name !== 'W20' || row.stats?.changedCount !== nudged) {
        throw new Error(`wrong diff: ${JSON.stringify(d.verdicts)} ${JSON.stringify(d.weights.counts)}`);
      }
      const child = childRss(fa, fb, false);
      const base = childRss(fa, fb, true);
      if (child.changed !== 1) throw new Error('the child process found another diff');

      const res = await compareProcesses(
        `diff two ${r2(w.bytes / (1 << 20))} MiB ONNX (1 of ${w.tensors} tensors changed, ${nudged} floats)`,
        [
          { name: 'openssl dgst -sha256 A B', argv: ['openssl', 'dgst', '-sha256', fa, fb] },
          // `modelver diff` exits 1 when the models differ: that is its success here (sh checks it; the script is constant)
          { name: 'modelver diff A B', argv: ['sh', '-c', '"$@" >/dev/null; [ $? -eq 1 ]', 'sh', process.execPath, cli, 'diff', fa, fb] },
          nodeFloorCase(),
        ],
        runs,
      );
      const ratio = res.ratios['modelver diff A B'];
      console.log(formatRow(res, { text: `≤ ${GOAL}×`, met: ratio <= GOAL }));
      const note = startupNote();
      if (note) console.log(note);
      console.log(`  peak RSS of a process running the diff: ${child.maxRssMB} MB (${r2(child.maxRssMB - base.maxRssMB)} MB over one that only loads the code)`);
      Object.assign(out, rowFigures(`${mb}MB`, res, ['openssl', 'modelver'], GOAL), {
        [`${mb}MB.nodeFloorMs`]: r2(res.cases[2].median),
        [`${mb}MB.nodeFloorRatio`]: r2(res.cases[2].median / res.cases[0].median),
        [`${mb}MB.peakRssMB`]: child.maxRssMB,
        [`${mb}MB.rssOverBaselineMB`]: r2(child.maxRssMB - base.maxRssMB),
        [`${mb}MB.bytesHashed`]: d.weights.bytesHashed,
        [`${mb}MB.bytesCompared`]: d.weights.bytesCompared,
      });
      for (const f of [fa, fb]) fs.rmSync(f, { force: true });
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(module, () => benchDiff());
