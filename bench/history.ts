/**
 * Benchmark: the model history and committing a large model.
 *
 * 1. History. `git fast-import` builds a repository of 10,000 commits touching 50 model files
 *    (1–3 per commit, LFS pointer blobs; no LFS objects needed; a few renames). Measured (median
 *    of 5, after one warm-up):
 *      ours      all versions of all models, from scratch (no cache): ModelRepository.versions()
 *      raw       one `git log --name-status -M` pass over the same history, output read, not parsed
 *      perModel  one `git log -- <path>` per model (50 processes), what a naive tree would do
 *      incremental  the refresh after one more commit (cache warm), and a no-change refresh
 *    Target: ours ≤ 1.5 × raw.
 * 2. Commit. A model of $MV_BENCH_MB (default 1024) MB of random bytes committed through
 *    commitModel vs plain `git add` + `git commit`, each in its own repository with the same LFS
 *    rule committed already (median of 3 rounds, alternating, new bytes each round). Target ≤ 1.1×.
 * Temp files live in os.tmpdir() and are deleted.
 *
 * Run: node out/bench/history.js   (MV_BENCH_MB=256 for a quicker run)
 */
import { spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ModelRepository } from '../src/core/repo';

const MODELS = 50;
const COMMITS = 10_000;

function gitEnv(home: string): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, '.gitconfig'), '');
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
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

/** A fast-import stream: COMMITS commits on refs/heads/main, from `from` when given. */
function importStream(first: number, count: number, from: string | undefined, names: string[]): string {
  const parts: string[] = [];
  let t = 1_600_000_000 + first * 60;
  for (let c = first; c < first + count; c++) {
    const lines: string[] = [];
    lines.push('commit refs/heads/main', `mark :${c + 1}`, `author Bench <bench@example.com> ${t} +0000`, `committer Bench <bench@example.com> ${t} +0000`);
    const msg = `train run ${c}\n`;
    lines.push(`data ${Buffer.byteLength(msg)}`, msg.slice(0, -1));
    if (c === first && from) lines.push(`from ${from}`);
    if (c === 0) {
      const attrs = '*.onnx filter=lfs diff=lfs merge=lfs -text\n';
      lines.push(`M 100644 inline .gitattributes`, `data ${attrs.length}`, attrs.slice(0, -1));
    }
    // every 2000 commits one model is renamed (and keeps its content)
    if (c > 0 && c % 2000 === 0) {
      const i = (c / 2000) % MODELS;
      const to = names[i].replace('.onnx', `-r${c}.onnx`);
      lines.push(`R ${names[i]} ${to}`);
      names[i] = to;
    } else {
      const n = 1 + (c % 3);
      const picked = new Set<number>();
      for (let k = 0; k < n; k++) picked.add(c === 0 ? k : (c * 7 + k * 13) % MODELS);
      if (c === 0) for (let k = 0; k < MODELS; k++) picked.add(k);
      for (const i of picked) {
        const p = pointer(`${names[i]}:${c}`);
        lines.push(`M 100644 inline ${names[i]}`, `data ${p.length}`, p.slice(0, -1));
      }
    }
    parts.push(lines.join('\n') + '\n');
    t += 60;
  }
  return parts.join('');
}

function fastImport(dir: string, env: NodeJS.ProcessEnv, stream: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', ['fast-import', '--quiet'], { cwd: dir, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b) => (err += b));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import: ${err}`))));
    p.stdin.end(stream);
  });
}

function runGit(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let n = 0;
    p.stdout.on('data', (b: Buffer) => (n += b.length));
    p.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`git ${args.join(' ')} exited ${code}`))));
  });
}

function catAll(cwd: string, env: NodeJS.ProcessEnv, shas: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', ['cat-file', '--batch', '--buffer'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let n = 0;
    p.stdout.on('data', (b: Buffer) => (n += b.length));
    p.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error('cat-file failed'))));
    p.stdin.end(shas.join('\n') + '\n');
  });
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;

let pending: Promise<void> = Promise.resolve();

/** Median of n timed runs after one warm-up; `settle` (not timed) runs after each, `before` before each. */
async function timeIt(n: number, fn: () => Promise<unknown>, before?: () => void, settle?: () => Promise<unknown>): Promise<number> {
  const ts: number[] = [];
  before?.();
  await fn(); // warm-up
  await settle?.();
  for (let i = 0; i < n; i++) {
    before?.();
    const t0 = now();
    await fn();
    ts.push(now() - t0);
    await settle?.();
  }
  return median(ts);
}

async function benchHistoryPass(root: string): Promise<Record<string, number | string>> {
  const dir = path.join(root, 'history');
  const env = gitEnv(path.join(root, 'home'));
  fs.mkdirSync(dir);
  git(dir, env, 'init', '-q', '-b', 'main');
  const names = Array.from({ length: MODELS }, (_, i) => `models/group${i % 5}/m${String(i).padStart(2, '0')}.onnx`);
  const tg = now();
  await fastImport(dir, env, importStream(0, COMMITS, undefined, names));
  const genMs = now() - tg;
  git(dir, env, 'symbolic-ref', 'HEAD', 'refs/heads/main');

  const open = () => ModelRepository.open(dir, { env });
  const repo0 = await open();
  const cacheDir = repo0.dataDir;
  const dropCache = () => fs.rmSync(cacheDir, { recursive: true, force: true });

  // correctness first: every model has versions, and the count of all versions is right
  dropCache();
  const all = await repo0.versions();
  const histories = await repo0.histories();
  if (histories.size !== MODELS) throw new Error(`expected ${MODELS} models, got ${histories.size}`);

  const ours = await timeIt(
    5,
    async () => {
      const r = await open();
      await r.versions();
      pending = r.flushCache();
    },
    () => {
      dropCache();
    },
    () => pending,
  );
  const oursCore = await timeIt(
    5,
    async () => {
      const r = await open();
      await r.historyIndex(); // the one pass alone: git log + pointer blobs, no tags/aliases/notes
      pending = r.flushCache();
    },
    dropCache,
    () => pending,
  );
  const raw = await timeIt(5, () => runGit(dir, env, ['log', '--name-status', '-M', '--format=%x1e%H%x1f%aI%x1f%s']));
  const perModel = await timeIt(2, async () => {
    for (const h of histories.values()) await runGit(dir, env, ['log', '--format=%H%x1f%aI%x1f%s', '--', h.path]);
  });
  // from the disk cache (a new window of VS Code): no git log at all
  const fromDisk = await timeIt(5, async () => (await open()).versions());
  const historyNoBlobs = await timeIt(5, () => runGit(dir, env, ['log', '--raw', '-z', '-M', '--no-abbrev', '--topo-order', '--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%B%x1d']));
  const catFile = await timeIt(3, () => catAll(dir, env, [...new Set(all.map((v) => v.blob))]));

  // incremental: one more commit on top of a warm cache
  const repo = await open();
  await repo.versions();
  const head = git(dir, env, 'rev-parse', 'HEAD').trim();
  await fastImport(dir, env, importStream(COMMITS + 1, 1, head, names));
  const ti = now();
  const after = await repo.versions();
  const incrementalMs = now() - ti;
  const mode = repo.lastRefresh?.mode ?? '?';
  const added = 1 + ((COMMITS + 1) % 3);
  if (after.length !== all.length + added) throw new Error(`incremental refresh: expected ${all.length + added} versions, got ${after.length}`);
  const noChange = await timeIt(5, () => repo.versions());
  await repo.flushCache();

  return {
    commits: COMMITS,
    models: MODELS,
    versions: all.length,
    generateMs: r1(genMs),
    oursAllVersionsMs: r1(ours),
    oursHistoryOnlyMs: r1(oursCore),
    gitLogRawAloneMs: r1(historyNoBlobs),
    catFilePointersAloneMs: r1(catFile),
    cpus: os.cpus().length,
    rawLogPassMs: r1(raw),
    perModelLogMs: r1(perModel),
    ratioOursToRaw: r2(ours / raw),
    ratioTarget: 1.5,
    ratioPerModelToOurs: r2(perModel / ours),
    diskCacheMs: r1(fromDisk),
    incrementalMs: r1(incrementalMs),
    incrementalMode: mode,
    noChangeRefreshMs: r1(noChange),
  };
}

function writeRandom(file: string, mb: number): void {
  const fd = fs.openSync(file, 'w');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < mb; i++) {
      crypto.randomFillSync(chunk);
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function benchCommit(root: string, mb: number, rounds = 3): Promise<Record<string, number | string>> {
  const env = gitEnv(path.join(root, 'home-commit'));
  const mk = (name: string): string => {
    const d = path.join(root, name);
    fs.mkdirSync(d);
    git(d, env, 'init', '-q', '-b', 'main');
    git(d, env, 'lfs', 'install', '--local');
    fs.writeFileSync(path.join(d, '.gitattributes'), '*.pt filter=lfs diff=lfs merge=lfs -text\n');
    git(d, env, 'add', '.gitattributes');
    git(d, env, 'commit', '-q', '-m', 'lfs');
    return d;
  };
  const plainDir = mk('plain');
  const oursDir = mk('ours');
  const repo = await ModelRepository.open(oursDir, { env });
  const plain: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // new bytes each round, written to both work trees (the page cache holds both)
    writeRandom(path.join(plainDir, 'big.pt'), mb);
    fs.copyFileSync(path.join(plainDir, 'big.pt'), path.join(oursDir, 'big.pt'));
    const runPlain = async () => {
      const t0 = now();
      await runGit(plainDir, env, ['add', 'big.pt']);
      await runGit(plainDir, env, ['commit', '-q', '-m', `round ${i}`]);
      plain.push(now() - t0);
    };
    const runOurs = async () => {
      const t0 = now();
      await repo.commitModel('big.pt', `round ${i}`);
      ours.push(now() - t0);
    };
    if (i % 2 === 0) {
      await runPlain();
      await runOurs();
    } else {
      await runOurs();
      await runPlain();
    }
    // keep the disk small: the LFS objects of earlier rounds are not needed
    for (const d of [plainDir, oursDir]) fs.rmSync(path.join(d, '.git', 'lfs', 'objects'), { recursive: true, force: true });
  }
  await repo.flushCache();
  const p = median(plain);
  const o = median(ours);
  return { modelMB: mb, rounds, plainAddCommitMs: r1(p), oursCommitMs: r1(o), ratioCommit: r2(o / p), ratioCommitTarget: 1.1 };
}

export async function benchHistory(opts: { sizeMB?: number; skipCommit?: boolean } = {}): Promise<Record<string, number | string>> {
  const mb = opts.sizeMB ?? (Number(process.env.MV_BENCH_MB) || 1024);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-history-'));
  try {
    const h = await benchHistoryPass(root);
    const c = opts.skipCommit ? {} : await benchCommit(root, mb);
    return { ...h, ...c };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchHistory().then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
