/**
 * Benchmark of the model history (issue 12, rows 3 and 4), timed with bench/measure.ts.
 *
 * Repositories: `git fast-import` writes 1,000 / 3,000 / 10,000 commits touching 50 model files
 * (1–3 LFS pointer blobs per commit, a rename every 2,000 commits; no LFS objects needed), then
 * `git gc` packs them as a repository that has lived that long would be packed (deltas, commit-graph).
 *
 * Row 3, `modelver log --json`, 10k commits, 50 models — whole fresh processes (node started cold
 * each time), interleaved, stdout to /dev/null for all:
 *   baseline       `git log --name-status`
 *   no change      `node dist/cli.js log --json -C repo` with the caches the previous run left
 *   1 new commit   the same after one more commit (untimed): the history cache is one commit behind,
 *                  the log cache stale
 *   no cache       the same, its cache folder deleted first (the first `modelver log` in a clone)
 *   Goal: ≤ 1.5× the baseline for the first two (a user's runs after the first).
 * Row 4, refresh after one new commit (cache warm, as in a running extension): in one fresh node
 *   process holding a ModelRepository per size, each round adds one commit to each repository
 *   (untimed) and times `histories()`; sizes interleaved. Goal: flat, i.e. O(new commits): the 10k
 *   median within 1.5× of the 1k median, every refresh incremental with exactly the new commit.
 *
 * Run: node out/bench/history.js   (or `npm run bench -- history`); temp files live in os.tmpdir().
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ModelRepository } from '../src/core/repo';
import { compareCalls, compareProcesses, formatRow, type RowResult } from './measure';

const MODELS = 50;
const SIZES = [1_000, 3_000, 10_000];
const LOG_GOAL = 1.5;
const FLAT_GOAL = 1.5;

export function gitEnv(home: string): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, '.gitconfig'), '');
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
  };
}

function git(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function pointer(seed: string): string {
  const oid = crypto.createHash('sha256').update(seed).digest('hex');
  const size = 1_000_000 + (parseInt(oid.slice(0, 6), 16) % 100_000_000);
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
}

const modelNames = (): string[] => Array.from({ length: MODELS }, (_, i) => `models/group${i % 5}/m${String(i).padStart(2, '0')}.onnx`);

/** A fast-import stream of commits first..first+count-1 on refs/heads/main (from `from` when given); renames update `names`. */
function importStream(first: number, count: number, from: string | undefined, names: string[], salt = ''): string {
  const parts: string[] = [];
  let t = 1_600_000_000 + first * 60;
  for (let c = first; c < first + count; c++) {
    const lines: string[] = [];
    lines.push('commit refs/heads/main', `author Bench <bench@example.com> ${t} +0000`, `committer Bench <bench@example.com> ${t} +0000`);
    const msg = `train run ${c}\n`;
    lines.push(`data ${Buffer.byteLength(msg)}`, msg.slice(0, -1));
    if (c === first && from) lines.push(`from ${from}`);
    if (c === 0) {
      const attrs = '*.onnx filter=lfs diff=lfs merge=lfs -text\n';
      lines.push(`M 100644 inline .gitattributes`, `data ${attrs.length}`, attrs.slice(0, -1));
    }
    if (c > 0 && c % 2000 === 0) {
      // every 2000 commits one model is renamed (and keeps its content)
      const i = (c / 2000) % MODELS;
      const to = names[i].replace(/(-r\d+)?\.onnx$/, `-r${c}.onnx`);
      lines.push(`R ${names[i]} ${to}`);
      names[i] = to;
    } else {
      const picked = new Set<number>();
      if (c === 0) for (let k = 0; k < MODELS; k++) picked.add(k);
      else for (let k = 0; k < 1 + (c % 3); k++) picked.add((c * 7 + k * 13) % MODELS);
      for (const i of picked) {
        const p = pointer(`${names[i]}:${c}${salt}`);
        lines.push(`M 100644 inline ${names[i]}`, `data ${p.length}`, p.slice(0, -1));
      }
    }
    parts.push(lines.join('\n') + '\n');
    t += 60;
  }
  return parts.join('');
}

function fastImport(dir: string, env: NodeJS.ProcessEnv, stream: string): void {
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, env, input: stream, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git fast-import: ${r.stderr}`);
}

/** A repository of `commits` commits (see the header); returns its folder. */
export function makeRepo(root: string, env: NodeJS.ProcessEnv, commits: number): string {
  const dir = path.join(root, `repo-${commits}`);
  fs.mkdirSync(dir);
  git(dir, env, 'init', '-q', '-b', 'main');
  fastImport(dir, env, importStream(0, commits, undefined, modelNames()));
  git(dir, env, 'gc', '--quiet');
  return dir;
}

/** Model names at HEAD (after the renames so far), for appending commits. */
function namesAt(dir: string, env: NodeJS.ProcessEnv): string[] {
  const names = modelNames();
  const have = new Set(git(dir, env, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n'));
  return names.map((n) => (have.has(n) ? n : [...have].find((h) => h.startsWith(n.replace(/\.onnx$/, '-r')))!));
}

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

async function logRow(dir: string, env: NodeJS.ProcessEnv): Promise<RowResult> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
  const cacheDir = path.join(dir, '.git', 'model-versions');
  // correctness first: the output holds every model, and as many versions as the history has
  const r = spawnSync(process.execPath, [CLI, 'log', '--json', '-C', dir], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`modelver log failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { models: { versions: unknown[] }[] };
  if (j.models.length !== MODELS) throw new Error(`expected ${MODELS} models, got ${j.models.length}`);
  const names = namesAt(dir, env);
  let next = 200_001;
  const cli = [process.execPath, CLI, 'log', '--json', '-C', dir];
  return compareProcesses(
    'modelver log --json, 10k commits, 50 models (whole processes)',
    [
      { name: 'git log --name-status', argv: ['git', 'log', '--name-status'], cwd: dir, env },
      // the run before (the no-cache case of the previous round) left the caches of this HEAD
      { name: 'modelver log --json (no change since)', argv: cli, env },
      {
        name: 'modelver log --json (1 new commit)',
        argv: cli,
        env,
        before: () => {
          const head = git(dir, env, 'rev-parse', 'HEAD').trim();
          fastImport(dir, env, importStream(next++, 1, head, names, `:log:${process.pid}`)); // never a multiple of 2000: no rename
        },
      },
      { name: 'modelver log --json (no cache)', argv: cli, env, before: () => fs.rmSync(cacheDir, { recursive: true, force: true }) },
    ],
    9,
    1,
  );
}

/** Row 4, in this (fresh) process: argv = [--refresh, dir…]; prints the RowResult and the checks as JSON. */
async function refreshWorker(dirs: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const repos = await Promise.all(dirs.map((d) => ModelRepository.open(d, { env })));
  const names = dirs.map((d) => namesAt(d, env));
  const counts: number[] = [];
  let next = 100_001;
  for (const r of repos) {
    await r.histories();
    await r.flushCache();
  }
  const problems: string[] = [];
  const row = await compareCalls(
    'refresh after one new commit: histories() of a warm ModelRepository',
    repos.map((repo, i) => ({
      name: `${path.basename(dirs[i]).replace('repo-', '')} commits`,
      before: async () => {
        await repo.flushCache(); // the previous round's cache append, untimed
        counts[i] = [...(await repo.histories()).values()].reduce((n, h) => n + h.versions.length, 0);
        const head = git(dirs[i], env, 'rev-parse', 'HEAD').trim();
        // never a multiple of 2000 (no rename); new content even where this ran before
        fastImport(dirs[i], env, importStream(next++, 1, head, names[i], `:${process.pid}:${Date.now()}`));
      },
      run: async () => {
        const h = await repo.histories();
        const lr = repo.lastRefresh;
        const n = [...h.values()].reduce((k, x) => k + x.versions.length, 0);
        if (lr?.mode !== 'incremental' || lr.newCommits !== 1 || n <= counts[i]) {
          problems.push(`${dirs[i]}: refresh ${JSON.stringify(lr)}, versions ${counts[i]} → ${n}`);
        }
      },
    })),
    15,
    2,
  );
  process.stdout.write(JSON.stringify({ row, problems }));
}

export async function benchHistory(): Promise<Record<string, number | string>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-history-'));
  try {
    const env = gitEnv(path.join(root, 'home'));
    const dirs = SIZES.map((n) => makeRepo(root, env, n));
    const log = await logRow(dirs[SIZES.indexOf(10_000)], env);
    const warm = log.ratios['modelver log --json (no change since)'];
    const next = log.ratios['modelver log --json (1 new commit)'];
    const cold = log.ratios['modelver log --json (no cache)'];
    console.log(
      formatRow(log, {
        text: `≤ ${LOG_GOAL}× with the caches a previous run left (no change since: ${warm.toFixed(2)}×, 1 new commit: ${next.toFixed(2)}×; first run without caches: ${cold.toFixed(2)}×)`,
        met: warm <= LOG_GOAL && next <= LOG_GOAL,
      }),
    );

    const w = spawnSync(process.execPath, [__filename, '--refresh', ...dirs], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
    if (w.status !== 0) throw new Error(`refresh worker failed: ${w.stderr}`);
    const { row: refresh, problems } = JSON.parse(w.stdout) as { row: RowResult; problems: string[] };
    if (problems.length) throw new Error(`refresh was not incremental:\n${problems.join('\n')}`);
    const flat = refresh.cases[refresh.cases.length - 1].median / refresh.cases[0].median;
    console.log(formatRow(refresh, { text: `flat: 10k within ${FLAT_GOAL}× of 1k (is ${flat.toFixed(2)}×), each refresh incremental with 1 new commit`, met: flat <= FLAT_GOAL }));

    const out: Record<string, number | string> = { cpus: os.cpus().length };
    for (const c of log.cases) out[`log: ${c.name} median ms`] = Math.round(c.median);
    out['log: no change since / git log'] = Number(warm.toFixed(2));
    out['log: 1 new commit / git log'] = Number(next.toFixed(2));
    out['log: no cache / git log'] = Number(cold.toFixed(2));
    for (const c of refresh.cases) out[`refresh ${c.name} median ms`] = Number(c.median.toFixed(1));
    out['refresh 10k / 1k'] = Number(flat.toFixed(2));
    return out;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv[2] === '--refresh') {
    refreshWorker(process.argv.slice(3), process.env).catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
  } else {
    benchHistory().then(
      (r) => console.log(JSON.stringify(r)),
      (e) => {
        console.error(e);
        process.exitCode = 1;
      },
    );
  }
}
