/**
 * Benchmark (issue #15, "Past 2 GB"): a generated pair of ~5 GiB safetensors files that differ in one
 * tensor.
 *
 *   diff:    `node dist/cli.js diff A B` against `openssl dgst -sha256 A B` (hashing both files once),
 *            each a fresh process, interleaved (A B A B …), medians with their spread. Goal ≤ 1.3×.
 *   summary: `node dist/cli.js inspect A --json` against `node -e 0` (Node's start-up alone), interleaved
 *            the same way. Goal: the median at most 50 ms above the floor's. Also readModelSummary in
 *            this process (the summary alone, without loading the CLI's code).
 *   memory:  the peak RSS (VmHWM) of a Node process that runs diffModels on the pair (the files are
 *            5 GiB each: it must hold neither), next to one that only loads the code.
 *
 * The pair: tensors of about 600 MiB (`layers.<i>.weight`, F32 and BF16 in turn, shape [rows, 4096]),
 * each filled with its own pseudo-random block repeated, written as a stream (never whole in memory). B
 * is A with every 1000th element of one tensor (the middle one) nudged (its lowest mantissa bit flipped).
 * Size: MV_BENCH_ST_GB (GiB per file, default 5). The files live in os.tmpdir()/mv-bench-st-<GB>gib-v1
 * and are deleted at the end unless MV_BENCH_KEEP=1 (then a later run reuses them: generating 10 GiB
 * takes a minute or more). Needs 2 × that size of free disk. Timed rounds: MV_BENCH_RUNS (default here 3;
 * each round hashes 10 GiB twice).
 *
 * Run: npm run bench -- safetensors-big   (or node out/bench/safetensorsBig.js after npm run build)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelSummary } from '../src/core/formats';
import { builtCli, compareCalls, compareProcesses, formatRow, nodeFloorCase, round2 as r2, rowFigures, runIfMain, startupNote } from './measure';

const DIFF_GOAL = 1.3;
const SUMMARY_GOAL_MS = 50;
const TENSOR_BYTES = 600 * 1024 * 1024;
const COLS = 4096;
/** generator version: bump when the files change, so kept files of an older layout are not reused */
const LAYOUT = 1;

interface Pair {
  a: string;
  b: string;
  bytes: number;
  tensors: number;
  changed: string;
  changedElements: number;
}

interface Spec {
  name: string;
  dtype: 'F32' | 'BF16';
  rows: number;
  bytes: number;
}

function layout(totalBytes: number): Spec[] {
  const n = Math.max(1, Math.round(totalBytes / TENSOR_BYTES));
  const specs: Spec[] = [];
  for (let i = 0; i < n; i++) {
    const dtype = i % 2 === 0 ? 'F32' : 'BF16';
    const el = dtype === 'F32' ? 4 : 2;
    const rows = Math.floor(totalBytes / n / el / COLS);
    specs.push({ name: `layers.${i}.weight`, dtype, rows, bytes: rows * COLS * el });
  }
  return specs;
}

/** A 4 MiB block of pseudo-random values in [-0.1, 0.1) for tensor `seed`, as F32 or BF16 bytes. */
function block(seed: number, dtype: 'F32' | 'BF16'): Uint8Array {
  const f = new Float32Array(1 << 20);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < f.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    f[i] = (s / 4294967296 - 0.5) * 0.2;
  }
  if (dtype === 'F32') return new Uint8Array(f.buffer);
  const u = new Uint32Array(f.buffer);
  const bf = new Uint16Array(u.length);
  for (let i = 0; i < u.length; i++) bf[i] = u[i] >>> 16; // truncation: any bf16 pattern will do
  return new Uint8Array(bf.buffer);
}

/**
 * Streams one safetensors file of `specs` to `file`; when `nudge` names a tensor, every 1000th element of
 * it gets its lowest bit flipped. Returns the bytes written and the elements nudged.
 */
function writeSafetensors(file: string, specs: Spec[], nudge?: string): { bytes: number; nudged: number } {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', generator: 'model-versions bench' } };
  let off = 0;
  for (const s of specs) {
    header[s.name] = { dtype: s.dtype, shape: [s.rows, COLS], data_offsets: [off, off + s.bytes] };
    off += s.bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  head.write(json, 8, 'latin1');
  const tmp = `${file}.part`;
  const fd = fs.openSync(tmp, 'w');
  let bytes = 0;
  let nudged = 0;
  const put = (u: Uint8Array): void => {
    let o = 0;
    while (o < u.length) o += fs.writeSync(fd, u, o, u.length - o);
    bytes += u.length;
  };
  try {
    put(head);
    specs.forEach((s, i) => {
      const src = block(i + 1, s.dtype);
      const el = s.dtype === 'F32' ? 4 : 2;
      let copy: Uint8Array | undefined;
      for (let done = 0; done < s.bytes; ) {
        const n = Math.min(src.length, s.bytes - done);
        let piece = src.subarray(0, n);
        if (s.name === nudge) {
          copy ??= new Uint8Array(src.length);
          copy.set(piece);
          piece = copy.subarray(0, n);
          // elements at global indices ≡ 0 (mod 1000) inside this piece: flip the lowest byte's bit 0
          const first = done / el;
          for (let e = (1000 - (first % 1000)) % 1000; e < n / el; e += 1000) {
            piece[e * el] ^= 1;
            nudged++;
          }
        }
        put(piece);
        done += n;
      }
    });
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return { bytes, nudged };
}

/** The pair of `gib` GiB per file, generated or (MV_BENCH_KEEP left them) reused. */
export function safetensorsPair(gib: number): { pair: Pair; dir: string; made: boolean } {
  const dir = path.join(os.tmpdir(), `mv-bench-st-${gib}gib-v${LAYOUT}`);
  fs.mkdirSync(dir, { recursive: true });
  const specs = layout(gib * 1024 ** 3);
  const changed = specs[Math.floor(specs.length / 2)].name;
  const a = path.join(dir, 'a.safetensors');
  const b = path.join(dir, 'b.safetensors');
  const meta = path.join(dir, 'pair.json');
  if (fs.existsSync(a) && fs.existsSync(b) && fs.existsSync(meta)) {
    const p = JSON.parse(fs.readFileSync(meta, 'utf8')) as Pair;
    if (fs.statSync(a).size === p.bytes && fs.statSync(b).size === p.bytes) return { pair: p, dir, made: false };
  }
  const t0 = performance.now();
  const wa = writeSafetensors(a, specs);
  const wb = writeSafetensors(b, specs, changed);
  console.log(`  wrote two ${r2(wa.bytes / 1024 ** 3)} GiB safetensors files in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  const p: Pair = { a, b, bytes: wa.bytes, tensors: specs.length, changed, changedElements: wb.nudged };
  fs.writeFileSync(meta, JSON.stringify(p));
  return { pair: p, dir, made: true };
}

/** In a fresh Node process: diffModels(A, B) (or only loading the code) → the changed rows and VmHWM. */
function childDiff(a: string, b: string, baseline: boolean): { maxRssMB: number; changed: { name: string; changedCount: number }[]; identical: number; ms: number } {
  const mod = path.resolve(__dirname, '..', 'src', 'core', 'diff', 'index.js');
  const script = `
    const { diffModels } = require(process.argv[1]);
    (async () => {
      const t0 = performance.now();
      let changed = [], identical = -1;
      if (process.argv[4] !== 'baseline') {
        const d = await diffModels(process.argv[2], process.argv[3]);
        changed = d.weights.rows.filter((r) => r.status !== 'identical').map((r) => ({ name: (r.a || r.b).name, status: r.status, changedCount: r.stats ? r.stats.changedCount : -1 }));
        identical = d.weights.counts.identical;
      }
      const ms = performance.now() - t0;
      let maxRss = process.resourceUsage().maxRSS * 1024;
      try {
        const m = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
        if (m) maxRss = Number(m[1]) * 1024;
      } catch {}
      process.stdout.write(JSON.stringify({ maxRss, changed, identical, ms }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, mod, a, b, baseline ? 'baseline' : 'diff'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`the child process failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout) as { maxRss: number; changed: { name: string; changedCount: number }[]; identical: number; ms: number };
  return { maxRssMB: Math.round((o.maxRss / (1 << 20)) * 10) / 10, changed: o.changed, identical: o.identical, ms: o.ms };
}

export async function benchSafetensorsBig(opts: { gib?: number; runs?: number } = {}): Promise<Record<string, number | string>> {
  const gib = opts.gib ?? (Number(process.env.MV_BENCH_ST_GB) || 5);
  const runs = opts.runs ?? (Number(process.env.MV_BENCH_RUNS) || 3);
  const keep = process.env.MV_BENCH_KEEP === '1';
  const cli = builtCli();
  const { pair: p, dir } = safetensorsPair(gib);
  const out: Record<string, number | string> = {};
  try {
    const size = `${r2(p.bytes / 1024 ** 3)} GiB`;

    // correctness and memory first: one tensor changed, in exactly its nudged elements
    const child = childDiff(p.a, p.b, false);
    const base = childDiff(p.a, p.b, true);
    if (child.changed.length !== 1 || child.changed[0].name !== p.changed || child.changed[0].changedCount !== p.changedElements || child.identical !== p.tensors - 1) {
      throw new Error(`wrong diff: ${JSON.stringify(child.changed)}, ${child.identical} identical; expected only ${p.changed} with ${p.changedElements} changed elements`);
    }
    console.log(`  diffModels in a fresh process: ${(child.ms / 1000).toFixed(1)} s, peak RSS ${child.maxRssMB} MB (${r2(child.maxRssMB - base.maxRssMB)} MB over one that only loads the code)`);

    // `modelver diff` exits 1 when the models differ: its success here
    const diffRow = await compareProcesses(
      `diff two ${size} safetensors files (1 of ${p.tensors} tensors changed, ${p.changedElements} elements)`,
      [
        { name: 'openssl dgst -sha256 A B', argv: ['openssl', 'dgst', '-sha256', p.a, p.b] },
        { name: 'modelver diff A B', argv: ['sh', '-c', '"$@" >/dev/null; [ $? -eq 1 ]', 'sh', process.execPath, cli, 'diff', p.a, p.b] },
        nodeFloorCase(),
      ],
      runs,
    );
    const ratio = diffRow.ratios['modelver diff A B'];
    console.log(formatRow(diffRow, { text: `≤ ${DIFF_GOAL}×`, met: ratio <= DIFF_GOAL }));

    const summaryRow = await compareProcesses(
      `summary of a ${size} safetensors file (${p.tensors} tensors)`,
      [nodeFloorCase(), { name: 'modelver inspect A --json', argv: [process.execPath, cli, 'inspect', p.a, '--json'] }],
      Math.max(runs, 7),
    );
    const over = summaryRow.cases[1].median - summaryRow.cases[0].median;
    console.log(formatRow(summaryRow, { text: `≤ ${SUMMARY_GOAL_MS} ms over node -e 0`, met: over <= SUMMARY_GOAL_MS }));
    console.log(`  modelver inspect over the floor: ${over.toFixed(1)} ms (medians)`);
    // the summary alone, in this process (what the extension pays: its code is loaded already)
    const inProc = await compareCalls(`readModelSummary of the ${size} file, in process`, [{ name: 'readModelSummary(A)', run: () => readModelSummary(p.a) }], 15, 3);
    console.log(formatRow(inProc));
    const note = startupNote();
    if (note) console.log(note);

    Object.assign(out, rowFigures('diff', diffRow, ['openssl', 'modelver'], DIFF_GOAL), {
      'diff.nodeFloorMs': r2(diffRow.cases[2].median),
      'diff.peakRssMB': child.maxRssMB,
      'diff.rssOverBaselineMB': r2(child.maxRssMB - base.maxRssMB),
      'summary.nodeFloorMs': r2(summaryRow.cases[0].median),
      'summary.inspectMs': r2(summaryRow.cases[1].median),
      'summary.inspectSpread': `${r2(summaryRow.cases[1].min)}–${r2(summaryRow.cases[1].max)} IQR ${r2(summaryRow.cases[1].q1)}–${r2(summaryRow.cases[1].q3)}`,
      'summary.overFloorMs': r2(over),
      'summary.goalMet': String(over <= SUMMARY_GOAL_MS),
      'summary.inProcessMs': r2(inProc.cases[0].median),
      fileGiB: r2(p.bytes / 1024 ** 3),
    });
    return out;
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(module, () => benchSafetensorsBig());
