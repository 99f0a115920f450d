/**
 * One way to time things for `npm run bench`: whole processes, side by side, interleaved.
 *
 * Each case is a command run as its own fresh process (no warm heap or JIT shared with the bench);
 * the cases of one row run in turn (A B C A B C …) so that drift in the machine's load falls on all
 * of them alike. Each timing is the wall clock from spawn to exit, as a user waits for it. A row
 * reports every case's median with its spread (min, max and the interquartile range) and the ratio
 * of the medians against the first case, the baseline.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface ProcessCase {
  /** Short name printed in the row, e.g. "onnxruntime loop" or "modelver eval". */
  name: string;
  /** argv[0] is the executable; no shell is involved. */
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Runs before each timed run, untimed (e.g. emptying a cache so every run starts cold). */
  before?: () => void | Promise<void>;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  runs: number[];
}

export interface CaseResult extends Spread {
  name: string;
}

export interface RowResult {
  row: string;
  cases: CaseResult[];
  /** median of case i / median of the baseline (case 0), for i ≥ 1. */
  ratios: Record<string, number>;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0], max: s[s.length - 1], q1: quantile(s, 0.25), q3: quantile(s, 0.75), runs: xs };
}

/** Runs one process to its end; resolves with its wall time in ms, rejects with its stderr when it fails. */
export function timeProcess(c: ProcessCase): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(c.argv[0], c.argv.slice(1), { cwd: c.cwd, env: c.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 20000) err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${c.name} (${c.argv.join(' ')}) exited with ${code ?? signal}:\n${err.slice(-4000)}`));
    });
  });
}

/**
 * Times the cases of one row: `warmup` untimed rounds (file cache, disk), then `runs` interleaved
 * rounds, each round running every case once in turn.
 */
export async function compareProcesses(row: string, cases: ProcessCase[], runs = 7, warmup = 1): Promise<RowResult> {
  const times: number[][] = cases.map(() => []);
  for (let r = 0; r < warmup + runs; r++) {
    for (let i = 0; i < cases.length; i++) {
      await cases[i].before?.();
      const ms = await timeProcess(cases[i]);
      if (r >= warmup) times[i].push(ms);
    }
  }
  const results = cases.map((c, i) => ({ name: c.name, ...spread(times[i]) }));
  const ratios: Record<string, number> = {};
  for (let i = 1; i < results.length; i++) ratios[results[i].name] = results[i].median / results[0].median;
  return { row, cases: results, ratios };
}

/** Times in-process work the same way (for what has no process of its own, e.g. a refresh in a running extension). */
export async function compareCalls(
  row: string,
  cases: { name: string; run: () => unknown | Promise<unknown>; before?: () => void | Promise<void> }[],
  runs = 7,
  warmup = 1,
): Promise<RowResult> {
  const times: number[][] = cases.map(() => []);
  for (let r = 0; r < warmup + runs; r++) {
    for (let i = 0; i < cases.length; i++) {
      await cases[i].before?.();
      const t0 = process.hrtime.bigint();
      await cases[i].run();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r >= warmup) times[i].push(ms);
    }
  }
  const results = cases.map((c, i) => ({ name: c.name, ...spread(times[i]) }));
  const ratios: Record<string, number> = {};
  for (let i = 1; i < results.length; i++) ratios[results[i].name] = results[i].median / results[0].median;
  return { row, cases: results, ratios };
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** "name: median ms (min–max, IQR q1–q3, n runs)" for each case, then the ratios and, when given, the goal. */
export function formatRow(r: RowResult, goal?: { text: string; met: boolean }): string {
  const lines = [`${r.row}`];
  for (const c of r.cases) {
    lines.push(`  ${c.name.padEnd(34)} median ${fmt(c.median).padStart(7)} ms  (min ${fmt(c.min)}, max ${fmt(c.max)}, IQR ${fmt(c.q1)}–${fmt(c.q3)}, n=${c.runs.length})`);
  }
  for (const [name, ratio] of Object.entries(r.ratios)) lines.push(`  ratio ${name} / ${r.cases[0].name}: ${ratio.toFixed(2)}×`);
  if (goal) lines.push(`  goal ${goal.text}: ${goal.met ? 'met' : 'NOT MET'}`);
  return lines.join('\n');
}

/** The built CLI (dist/cli.js, from out/bench/); throws when `npm run build` has not made it. */
export function builtCli(): string {
  const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first.`);
  return cli;
}

/**
 * The floor of any row whose case runs the CLI: a Node process that does nothing (`node -e 0`), timed
 * in the same rounds. A ratio of modelver to the baseline cannot go below this one's.
 */
export function nodeFloorCase(env?: NodeJS.ProcessEnv, cwd?: string): ProcessCase {
  return { name: 'node -e 0 (Node start-up alone)', argv: [process.execPath, '-e', '0'], env, cwd };
}

/**
 * What in the environment makes every Node process start slower than it would for most users, as a
 * line for the report; undefined when nothing does. NODE_EXTRA_CA_CERTS: Node 20 reads and parses that
 * certificate file (and its own root certificates) while it starts, before any of our code runs
 * (here ~95 ms of CPU per process; git, git-lfs and openssl pay nothing for it).
 */
export function startupNote(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.NODE_EXTRA_CA_CERTS) return undefined;
  return `  note: NODE_EXTRA_CA_CERTS is set (${env.NODE_EXTRA_CA_CERTS}): every Node process parses it at start-up, see the node -e 0 row`;
}

/** Timed rounds per row: the bench's option, else MV_BENCH_RUNS, else 7. */
export function benchRuns(runs?: number): number {
  return runs ?? (Number(process.env.MV_BENCH_RUNS) || 7);
}

/** x rounded to 2 decimals, for the figures a bench returns. */
export const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * The figures of a two-case row against a goal on its ratio (case 1 / case 0), under `prefix`:
 * `<prefix>.<key>Ms` (median) and `<prefix>.<key>Spread` ("min–max IQR q1–q3") for each case, then
 * `<prefix>.ratio` and `<prefix>.goalMet` (ratio ≤ goal).
 */
export function rowFigures(prefix: string, row: RowResult, keys: [string, string], goal: number): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  row.cases.slice(0, 2).forEach((c, i) => {
    out[`${prefix}.${keys[i]}Ms`] = round2(c.median);
    out[`${prefix}.${keys[i]}Spread`] = `${round2(c.min)}–${round2(c.max)} IQR ${round2(c.q1)}–${round2(c.q3)}`;
  });
  const ratio = row.ratios[row.cases[1].name];
  out[`${prefix}.ratio`] = round2(ratio);
  out[`${prefix}.goalMet`] = String(ratio <= goal);
  return out;
}

/** Runs a bench when its file is node's main module (`node out/bench/commit.js`): prints what it returns as JSON; exits with 1 on an error. */
export function runIfMain(mod: NodeJS.Module, bench: () => Promise<unknown>): void {
  if (require.main !== mod) return;
  bench()
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
