/**
 * What a killed process leaves behind: git's `index.lock`, and our own temporary files. Decides
 * when they are stale (their process is gone) and so safe to remove.
 */
import * as fs from 'fs';
import * as path from 'path';
import { childProcess } from '../util/lazyNode';
import type { IndexLockInfo } from './types';

/** A lock younger than this is never called stale: a git process may have just taken it. */
export const STALE_LOCK_MS = 5000;

/** Whether a process id is alive on this machine (EPERM: alive, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** git subcommands that never write the index (they cannot hold index.lock). */
const READ_ONLY = new Set([
  'cat-file', 'check-attr', 'check-ignore', 'check-ref-format', 'config', 'for-each-ref', 'hash-object', 'log',
  'ls-files', 'ls-remote', 'ls-tree', 'merge-base', 'rev-list', 'rev-parse', 'show', 'show-ref', 'var', 'version',
  'blame', 'shortlog', 'describe', 'name-rev', 'cherry', 'count-objects', 'verify-pack', 'fetch', 'push', 'remote',
  'notes', 'credential', 'upload-pack', 'receive-pack', 'send-pack', 'fetch-pack', 'index-pack', 'unpack-objects',
  'pack-objects', 'mktree', 'mktag', 'commit-tree', 'tag', 'update-ref', 'symbolic-ref', 'reflog',
]);

/** The subcommand of a git command line (`git -C x -c a=b commit …` → commit). */
export function gitSubcommand(argv: string[]): string | undefined {
  const exe = path.basename(argv[0] ?? '').replace(/\.exe$/i, '');
  if (exe.startsWith('git-')) return exe.slice(4); // git-lfs, git-upload-pack …
  if (exe !== 'git') return undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '-C' || a === '--git-dir' || a === '--work-tree' || a === '--namespace' || a === '--exec-path') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

interface ProcInfo {
  pid: number;
  argv: string[];
  /** the folders it works in (cwd, -C, --git-dir, GIT_DIR, GIT_INDEX_FILE's folder); undefined: unknown */
  dirs?: string[];
}

/** git processes on this machine: exact (with their folders) on Linux, by name elsewhere. */
async function gitProcesses(): Promise<ProcInfo[]> {
  if (process.platform === 'linux' && fs.existsSync('/proc/self/cmdline')) return linuxGitProcesses();
  if (process.platform === 'win32') {
    const out = await execText('tasklist', ['/FO', 'CSV', '/NH']);
    return out
      .split(/\r?\n/)
      .map((l) => /^"([^"]+)","(\d+)"/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && /^git(-[\w-]+)?\.exe$/i.test(m[1]))
      .map((m) => ({ pid: Number(m[2]), argv: [m[1]] }));
  }
  const out = await execText('ps', ['-A', '-o', 'pid=', '-o', 'command=']);
  const res: ProcInfo[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const argv = m[2].split(/\s+/);
    if (gitSubcommand(argv) !== undefined && Number(m[1]) !== process.pid) res.push({ pid: Number(m[1]), argv });
  }
  return res;
}

function linuxGitProcesses(): ProcInfo[] {
  const res: ProcInfo[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return res;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone
    }
    if (argv[argv.length - 1] === '') argv.pop();
    if (!argv.length || gitSubcommand(argv) === undefined) continue;
    let cwd: string;
    try {
      cwd = fs.readlinkSync(`/proc/${e}/cwd`);
    } catch {
      continue; // another user's process (it cannot write this user's .git), or gone
    }
    const dirs = [cwd];
    let at = cwd;
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i];
      if (a === '-C' && argv[i + 1] !== undefined) dirs.push((at = path.resolve(at, argv[++i])));
      else if (a === '--git-dir' && argv[i + 1] !== undefined) dirs.push(path.resolve(at, argv[++i]));
      else if (a.startsWith('--git-dir=')) dirs.push(path.resolve(at, a.slice('--git-dir='.length)));
      else if (!a.startsWith('-')) break;
    }
    try {
      for (const kv of fs.readFileSync(`/proc/${e}/environ`, 'utf8').split('\0')) {
        const m = /^(GIT_DIR|GIT_INDEX_FILE|GIT_WORK_TREE)=(.+)$/.exec(kv);
        if (m) dirs.push(path.resolve(cwd, m[1] === 'GIT_INDEX_FILE' ? path.dirname(m[2]) : m[2]));
      }
    } catch {
      /* environ unreadable: the folders above are what we know */
    }
    res.push({ pid: Number(e), argv, dirs });
  }
  return res;
}

function execText(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    childProcess().execFile(cmd, args, { windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => resolve(err ? '' : String(stdout)));
  });
}

const inside = (dir: string, root: string) => {
  const r = path.relative(root, dir);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
};

/**
 * git processes that may be writing this repository's index: those working in the work tree or
 * the git dir (Linux: known exactly), or any git process when the platform does not tell where
 * it works. Commands that never write the index (log, cat-file, …) are left out.
 */
export async function gitProcessesIn(roots: string[]): Promise<{ pid: number; command: string }[]> {
  const real = roots.map((r) => {
    try {
      return fs.realpathSync(r);
    } catch {
      return path.resolve(r);
    }
  });
  const out: { pid: number; command: string }[] = [];
  for (const p of await gitProcesses()) {
    const sub = gitSubcommand(p.argv);
    if (sub === undefined || READ_ONLY.has(sub)) continue;
    if (p.dirs && !p.dirs.some((d) => real.some((r) => inside(d, r)))) continue;
    out.push({ pid: p.pid, command: p.argv.join(' ').slice(0, 200) });
  }
  return out;
}

/** The state of `<git dir>/index.lock`, or undefined when there is none. */
export async function indexLockInfo(gitDir: string, roots: string[], now = Date.now()): Promise<IndexLockInfo | undefined> {
  const file = path.join(gitDir, 'index.lock');
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  const ageMs = Math.max(0, now - st.mtimeMs);
  const processes = await gitProcessesIn(roots);
  const secs = `${Math.round(ageMs / 1000)} s`;
  let reason: string;
  if (processes.length) {
    reason = `a git process is running in this repository (${processes.map((p) => `pid ${p.pid}: ${p.command}`).join('; ')}): wait for it to finish`;
  } else if (ageMs < STALE_LOCK_MS) {
    reason = `it is only ${secs} old, so a git process may have just taken it: try again in a few seconds`;
  } else {
    reason = `it is ${secs} old and no git process is running in this repository: a git process that was killed or crashed left it`;
  }
  return { path: file, ageMs, stale: !processes.length && ageMs >= STALE_LOCK_MS, processes, reason };
}

/**
 * Remove a lock judged stale, only if it is still the same file (same inode and modification time):
 * a git process that started meanwhile could not have replaced it without removing it first.
 */
export function removeIfSame(info: IndexLockInfo, before: fs.Stats): boolean {
  let now: fs.Stats;
  try {
    now = fs.statSync(info.path);
  } catch {
    return false; // already gone
  }
  if (now.ino !== before.ino || now.mtimeMs !== before.mtimeMs || now.size !== before.size) return false;
  fs.rmSync(info.path, { force: true });
  return true;
}

/**
 * Remove temporary files of dead processes from a folder: names matching `re`, whose first
 * group is the pid. Files older than a day go too (a reused pid must not keep them forever).
 */
export function cleanStaleFiles(dir: string, re: RegExp): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const f of names) {
    const m = re.exec(f);
    if (!m) continue;
    const file = path.join(dir, f);
    try {
      const old = Date.now() - fs.lstatSync(file).mtimeMs > 24 * 3600_000;
      if (old || !pidAlive(Number(m[1]))) {
        fs.rmSync(file, { force: true, recursive: true });
        removed.push(file);
      }
    } catch {
      /* removed meanwhile */
    }
  }
  return removed;
}
