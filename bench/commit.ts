/**
 * Benchmark: committing a new version of an ONNX model with `modelver commit` costs about what the
 * plain git + Git LFS commands cost (goal ≤ 1.2×).
 *
 * For each size (MV_BENCH_COMMIT_SIZES, MiB, default "10,200"), two models are written with
 * bench/inspect.ts's writer (40 MatMul/Add/Relu layers), B = A with one weight matrix retrained
 * (every 1000th float nudged). Before every timed run, untimed, a fresh repository is made: git lfs
 * install --local, an initial commit, A committed as v1 through plain `git lfs track` + `git add` +
 * `git commit`; then B is written over the model. Timed, as whole processes, interleaved (A B A B …):
 *   baseline: `git lfs track "*.onnx"`, `git add -- model.onnx`, `git commit -m v2` (three processes, run by sh)
 *   modelver: `node dist/cli.js commit model.onnx -m v2` (records the change record, the IO trailers, …)
 *   and, as the floor of the ratio, `node -e 0` (Node's start-up alone; nodeFloorMs, nodeFloorRatio)
 * Also counted, in one more untimed run of each (GIT_TRACE2_EVENT): the git processes (all, and those
 * started directly) and the other processes git started (git-lfs, hooks, sh).
 * Checks once that modelver's commit is right: one changed tensor in its change record, `git lfs fsck`
 * clean, `git lfs ls-files` lists the object, the working tree clean.
 *
 * Run: node out/bench/run.js commit (after npm run build: the CLI comes from dist/)
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readOnnxSummary } from '../src/core/formats/onnx';
import { writeModel } from './inspect';
import { benchRuns, builtCli, compareProcesses, formatRow, nodeFloorCase, round2, rowFigures, runIfMain, startupNote, type RowResult } from './measure';

const GOAL = 1.2;

/** Git isolated from the user's configuration, with an identity. */
export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  const cfg = path.join(home, '.gitconfig');
  fs.writeFileSync(cfg, '');
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_GLOBAL: cfg,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/** Nudge every 1000th float of one weight matrix; returns how many floats changed. */
export async function retrain(src: string, dst: string, tensor: string): Promise<number> {
  fs.copyFileSync(src, dst);
  const s = await readOnnxSummary(dst);
  const t = s.tensors.find((x) => x.name === tensor);
  if (!t || t.location.kind !== 'raw') throw new Error(`no raw tensor ${tensor}`);
  const { offset, length } = t.location;
  const fd = fs.openSync(dst, 'r+');
  let n = 0;
  try {
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, offset);
    for (let i = 0; i < length / 4; i += 1000, n++) buf.writeFloatLE(buf.readFloatLE(i * 4) + 0.5, i * 4);
    fs.writeSync(fd, buf, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
  return n;
}

/** A fresh repository at `dir` with `v1` committed as model.onnx through plain git + Git LFS, and `v2` over it. */
export function freshRepo(dir: string, env: NodeJS.ProcessEnv, v1: string, v2: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('lfs', 'install', '--local');
  fs.writeFileSync(path.join(dir, 'README.md'), '# bench\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'init');
  fs.copyFileSync(v1, path.join(dir, 'model.onnx'));
  git('lfs', 'track', '*.onnx');
  git('add', '.gitattributes', 'model.onnx');
  git('commit', '-q', '-m', 'v1');
  fs.copyFileSync(v2, path.join(dir, 'model.onnx'));
}

/** The three plain commands, one process each (sh runs them in turn; no value is put into the script). */
const BASELINE_SCRIPT = 'git lfs track "*.onnx" >/dev/null && git add -- model.onnx && git commit -q -m v2';

interface Counts {
  git: number;
  gitDirect: number;
  other: number;
}

/** Run argv once with GIT_TRACE2_EVENT and count the processes it shows. */
function countProcesses(argv: string[], cwd: string, env: NodeJS.ProcessEnv, traceFile: string): Counts {
  fs.rmSync(traceFile, { force: true });
  execFileSync(argv[0], argv.slice(1), { cwd, env: { ...env, GIT_TRACE2_EVENT: traceFile }, stdio: ['ignore', 'ignore', 'pipe'] });
  const c: Counts = { git: 0, gitDirect: 0, other: 0 };
  for (const line of fs.readFileSync(traceFile, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { event: string; sid: string; argv?: string[]; use_shell?: boolean };
    if (e.event === 'start') {
      c.git++;
      if (!e.sid.includes('/')) c.gitDirect++;
    } else if (e.event === 'child_start') {
      const exe = e.argv?.[0] ?? '';
      if (e.use_shell || !/(^|[\\/])git(\.exe)?$/.test(exe)) c.other++;
    }
  }
  return c;
}

export async function benchCommit(opts: { sizesMB?: number[]; runs?: number } = {}): Promise<Record<string, number | string>> {
  const sizes = opts.sizesMB ?? (process.env.MV_BENCH_COMMIT_SIZES ?? '10,200').split(',').map(Number);
  const runs = benchRuns(opts.runs);
  const cli = builtCli();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-commit-'));
  const out: Record<string, number | string> = {};
  try {
    const env = isolatedEnv(path.join(dir, 'home'));
    for (const mb of sizes) {
      const v1 = path.join(dir, `v1-${mb}.onnx`);
      const v2 = path.join(dir, `v2-${mb}.onnx`);
      const w = writeModel(v1, mb, 40);
      const nudged = await retrain(v1, v2, 'W20');
      const base = path.join(dir, 'base');
      const ours = path.join(dir, 'ours');
      const baseArgv = ['sh', '-c', BASELINE_SCRIPT];
      const oursArgv = [process.execPath, cli, 'commit', 'model.onnx', '-m', 'v2'];

      // correctness first: what modelver committed
      freshRepo(ours, env, v1, v2);
      execFileSync(oursArgv[0], oursArgv.slice(1), { cwd: ours, env, stdio: ['ignore', 'ignore', 'pipe'] });
      const git = (...args: string[]) => execFileSync('git', args, { cwd: ours, env, encoding: 'utf8' });
      const msg = git('log', '-1', '--format=%B');
      if (!/^Model-Change: retrained: 1\/80 weight tensors changed/m.test(msg)) throw new Error(`unexpected change record:\n${msg}`);
      if (!/Git LFS fsck OK/.test(git('lfs', 'fsck'))) throw new Error('git lfs fsck is not clean');
      if (!/\* model\.onnx/.test(git('lfs', 'ls-files'))) throw new Error('git lfs ls-files does not list model.onnx');
      if (git('status', '--porcelain') !== '') throw new Error(`the working tree is not clean: ${git('status', '--porcelain')}`);

      // processes per commit
      const trace = path.join(dir, 'trace2.json');
      freshRepo(base, env, v1, v2);
      const pBase = countProcesses(baseArgv, base, env, trace);
      freshRepo(ours, env, v1, v2);
      const pOurs = countProcesses(oursArgv, ours, env, trace);

      const row: RowResult = await compareProcesses(
        `commit a ${mb} MiB ONNX as v2 (1 of ${w.tensors} tensors retrained, ${nudged} floats)`,
        [
          { name: 'git lfs track + add + commit', argv: baseArgv, cwd: base, env, before: () => freshRepo(base, env, v1, v2) },
          { name: 'modelver commit', argv: oursArgv, cwd: ours, env, before: () => freshRepo(ours, env, v1, v2) },
          nodeFloorCase(env, ours),
        ],
        runs,
      );
      const ratio = row.ratios['modelver commit'];
      console.log(formatRow(row, { text: `≤ ${GOAL}×`, met: ratio <= GOAL }));
      const note = startupNote(env);
      if (note) console.log(note);
      console.log(
        `  processes per commit: baseline ${pBase.git} git (${pBase.gitDirect} started by sh) + ${pBase.other} others; ` +
          `modelver ${pOurs.git} git (${pOurs.gitDirect} started by modelver) + ${pOurs.other} others`,
      );
      Object.assign(out, rowFigures(`${mb}MB`, row, ['baseline', 'modelver'], GOAL), {
        [`${mb}MB.nodeFloorMs`]: round2(row.cases[2].median),
        [`${mb}MB.nodeFloorRatio`]: round2(row.cases[2].median / row.cases[0].median),
        [`${mb}MB.processes.baseline`]: `${pBase.git} git (${pBase.gitDirect} direct) + ${pBase.other} other`,
        [`${mb}MB.processes.modelver`]: `${pOurs.git} git (${pOurs.gitDirect} direct) + ${pOurs.other} other`,
      });
      for (const f of [v1, v2]) fs.rmSync(f, { force: true });
      for (const d of [base, ours]) fs.rmSync(d, { recursive: true, force: true });
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(module, () => benchCommit());
