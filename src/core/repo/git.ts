/**
 * Runs git (and `git lfs`) as child processes with argv arrays — never through a shell, so no
 * argument is ever interpreted by one. stdin can be fed, stdout is kept as bytes.
 *
 * (simple-git is a fine wrapper for ordinary porcelain, but this layer needs stdin for
 * `cat-file --batch`, `mktree`, `hash-object --stdin`, `lfs smudge`, binary stdout and a per-call
 * environment such as GIT_INDEX_FILE, which simple-git's `raw()` does not offer.)
 */
import type { ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import { RepoError } from './errors';
import { childProcess } from '../util/lazyNode';

export interface GitRunOptions {
  input?: string | Buffer;
  /** extra environment for this call (merged over the runner's) */
  env?: NodeJS.ProcessEnv;
  /** write stdout to this file instead of collecting it */
  stdoutFile?: string;
  /** do not throw on a non-zero exit */
  allowFail?: boolean;
  cwd?: string;
  /** called with each chunk of stderr */
  onStderr?: (s: string) => void;
  /** called with each chunk of stdout, as text (it is collected all the same; not with stdoutFile) */
  onStdout?: (s: string) => void;
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  /** the signal that ended the process, if one did */
  signal: NodeJS.Signals | null;
}

export class Git {
  constructor(
    readonly cwd: string,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Run `git ...args`. Throws RepoError('GIT_FAILED') on a non-zero exit unless allowFail. */
  run(args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
    return runProcess('git', args, {
      ...opts,
      cwd: opts.cwd ?? this.cwd,
      env: { ...this.env, GIT_TERMINAL_PROMPT: '0', ...opts.env },
    });
  }

  /** Start `git ...args` with pipes, for streaming use (the caller handles exit and errors). */
  spawn(args: string[], env?: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
    return childProcess().spawn('git', args, {
      cwd: this.cwd,
      env: { ...this.env, GIT_TERMINAL_PROMPT: '0', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
  }

  /** stdout as text, one trailing newline removed. */
  async text(args: string[], opts: GitRunOptions = {}): Promise<string> {
    const r = await this.run(args, opts);
    const s = r.stdout.toString('utf8');
    return s.endsWith('\n') ? s.slice(0, -1) : s;
  }

  /** true when the command exits 0 (stdout ignored). */
  async ok(args: string[], opts: GitRunOptions = {}): Promise<boolean> {
    const r = await this.run(args, { ...opts, allowFail: true });
    return r.code === 0;
  }
}

export function runProcess(
  cmd: string,
  args: string[],
  opts: GitRunOptions & { cwd: string; env: NodeJS.ProcessEnv },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    let child;
    let fd: number | undefined;
    try {
      if (opts.stdoutFile) fd = fs.openSync(opts.stdoutFile, 'w');
      child = childProcess().spawn(cmd, args, {
        cwd: opts.cwd,
        env: opts.env,
        stdio: ['pipe', fd ?? 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      reject(new RepoError('GIT_MISSING', `Cannot run ${cmd}: ${(e as Error).message}`));
      return;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => {
      out.push(b);
      opts.onStdout?.(b.toString('utf8'));
    });
    child.stderr!.on('data', (b: Buffer) => {
      err.push(b);
      opts.onStderr?.(b.toString('utf8'));
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(new RepoError('GIT_MISSING', `${cmd} is not installed or not on PATH.`));
      } else reject(new RepoError('GIT_FAILED', `Cannot run ${cmd}: ${e.message}`));
    });
    child.stdin!.on('error', () => {
      /* the process may exit before reading all of stdin (EPIPE); its exit code tells */
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
    child.on('close', (code, signal) => {
      const res: GitResult = {
        code: code ?? 128,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        signal,
      };
      if (res.code !== 0 && !opts.allowFail) {
        const what = `${cmd} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''}`;
        const msg = res.stderr.trim() || res.stdout.toString('utf8').trim() || `exit code ${res.code}`;
        reject(new RepoError('GIT_FAILED', `\`${what}\` failed: ${msg}`, res.stderr));
        return;
      }
      resolve(res);
    });
  });
}
