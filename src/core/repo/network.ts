/**
 * `git push` and `git fetch` through simple-git, for its typed errors (GitError for a git that exits
 * non-zero, GitPluginError for a refused configuration) and its push/fetch tasks. Plumbing that needs
 * stdin, binary stdout or a per-call index stays on the argv runner (./git.ts).
 *
 * simple-git here runs git exactly as the argv runner does: the binary `git`, argv arrays (no
 * shell), the repository's root as the working directory, the same environment (the runner's, with
 * GIT_TERMINAL_PROMPT=0 and the call's additions) and stdin closed. simple-git's own guards (which
 * strip GIT_* and EDITOR/PAGER-like variables from the environment, refuse GIT_SSH_COMMAND, set
 * GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS) are configured to leave that environment as it is: the
 * arguments are ours, fixed in src/core/repo, and hooks and config-controlled programs (ssh,
 * credential helpers, the pre-push hook) run just as when the user types `git push`.
 *
 * Progress: git's `--progress` lines are parsed here (ProgressLines), not by simple-git's progress
 * plugin, which reads each stderr chunk as one line: git writes many `\r`-separated updates per
 * chunk, so the plugin reports only the first of each, under the stage of the chunk's first line
 * ("enumerating 7%" for "Enumerating objects: 13, done.\nCounting objects: 7% (1/13)\r…") and
 * drops whole stages. The same parser reads `git lfs push`'s "Uploading LFS objects: 45% (9/20)".
 */
import type { SimpleGit, SimpleGitOptions } from 'simple-git';
import { RepoError } from './errors';
import type { Git } from './git';

/** One progress report of a push or fetch (from git's `--progress` output). */
export interface TransferProgress {
  command: 'push' | 'fetch';
  /** git's stage, lower case: counting, compressing, writing, receiving, resolving, "uploading lfs", … */
  stage: string;
  /** git's words for the stage, as written: "Writing objects", "Uploading LFS objects", "Resolving deltas" */
  label: string;
  /** reported by the remote side ("remote: Counting objects: …") */
  remote: boolean;
  /** 0–100 */
  percent: number;
  processed: number;
  total: number;
}

export interface NetworkOptions {
  /** extra environment for this call (merged over the runner's, as GitRunOptions.env) */
  env?: NodeJS.ProcessEnv;
  /** each chunk of git's stderr, as it comes */
  onOutput?: (s: string) => void;
}

/** Every check simple-git could apply to the arguments or the environment, off (see the file comment). */
type UnsafeFlags = Required<NonNullable<SimpleGitOptions['unsafe']>>;

function leaveAsIs(env: NodeJS.ProcessEnv): UnsafeFlags {
  const disallow = /^(1|true|yes|on)$/i.test(env.GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS ?? '');
  return {
    allowUnsafeAlias: true,
    allowUnsafeAskPass: true,
    allowUnsafeCommandBinaries: true,
    allowUnsafeConfigPaths: true,
    allowUnsafeConfigEnvCount: true,
    allowUnsafeCredentialHelper: true,
    allowUnsafeEditor: true,
    allowUnsafeMergeDriver: true,
    allowUnsafePager: true,
    allowUnsafeProtocolOverride: true,
    allowUnsafePack: true,
    allowUnsafeSshCommand: true,
    allowUnsafeGitProxy: true,
    allowUnsafeExec: true,
    allowUnsafeHooksPath: true,
    allowUnsafeDiffExternal: true,
    allowUnsafeDiffTextConv: true,
    allowUnsafeFilter: true,
    allowUnsafeFsMonitor: true,
    allowUnsafeGpgProgram: true,
    allowUnsafeTemplateDir: true,
    allowUnsafeInclude: true,
    allowUnsafeSubmodule: true,
    allowUnsafeUrlRewrite: true,
    allowUnsafeCustomBinary: false,
    // simple-git sets GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS to the opposite of this: keep what the environment says (git's default: allowed)
    allowAbbreviatedOptions: !disallow,
  };
}

/** The environment a git process gets from Git.run (undefined values left out). */
export function gitEnv(git: Git, extra?: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...git.env, GIT_TERMINAL_PROMPT: '0', ...extra })) if (v !== undefined) env[k] = v;
  return env;
}

/** simple-git, loaded at the first push or fetch (not when the extension activates: issue #12). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const simpleGitModule = (): typeof import('simple-git') => require('simple-git');

/** A simple-git instance for one push or fetch in the runner's repository (see the file comment). */
export function networkGit(git: Git, opts: NetworkOptions = {}): SimpleGit {
  const env = gitEnv(git, opts.env);
  const sg = simpleGitModule().simpleGit({
    baseDir: git.cwd,
    binary: 'git',
    maxConcurrentProcesses: 1,
    allowEnvironment: Object.keys(env),
    unsafe: leaveAsIs(env),
    // stdin closed at once, as the argv runner does: nothing can wait for input that never comes
    input: () => Buffer.alloc(0),
    // simple-git counts an exit without stderr (or by a signal) as success; any non-zero exit is a failure here
    errors: (error, result) =>
      error ?? (result.exitCode !== 0 ? Buffer.concat([...result.stdOut, ...result.stdErr, Buffer.from(`\nexit code ${result.exitCode}`)]) : undefined),
  }).env(env);
  if (opts.onOutput) {
    const out = opts.onOutput;
    sg.outputHandler((_cmd, _stdout, stderr) => stderr.on('data', (b: Buffer) => out(b.toString('utf8'))));
  }
  return sg;
}

/**
 * git's progress lines from its stderr, chunk by chunk: split on `\r` and `\n` (a partial line waits
 * for the next chunk), each "Stage objects:  45% (9/20)" line reported.
 */
export class ProgressLines {
  private rest = '';
  constructor(
    private readonly command: TransferProgress['command'],
    private readonly report: (p: TransferProgress) => void,
  ) {}

  push(chunk: string): void {
    const lines = (this.rest + chunk).split(/\r\n|\r|\n/);
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  end(): void {
    if (this.rest) this.line(this.rest);
    this.rest = '';
  }

  private line(text: string): void {
    const m = /^(remote: )?\s*(([A-Za-z][A-Za-z ]*?)(?: objects| deltas)?):\s+(\d{1,3})% \((\d+)\/(\d+)\)/.exec(text);
    if (!m) return;
    this.report({
      command: this.command,
      stage: m[3].toLowerCase(),
      label: m[2],
      remote: !!m[1],
      percent: Number(m[4]),
      processed: Number(m[5]),
      total: Number(m[6]),
    });
  }
}

/** git's output without its progress lines (they are reported as progress, not as text). */
export function withoutProgress(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() && !/^(?:remote: )?[A-Za-z][A-Za-z ]*:\s+\d+% \(\d+\/\d+\)/.test(l) && !/^(?:remote: )?(?:Enumerating|Counting|Compressing) objects: \d+(?:, done\.)?\s*$/.test(l))
    .join('\n');
}

/**
 * What a failed push or fetch said (stdout and stderr, progress lines left out), or rethrows what is
 * not a git failure. A GitPluginError means simple-git refused to run git: a bug here, said as such.
 */
export function gitFailure(e: unknown, what: string): string {
  const { GitError, GitPluginError } = simpleGitModule();
  if (e instanceof GitPluginError) {
    throw new RepoError('GIT_FAILED', `${what}: simple-git refused to run git (${e.message}). This is a bug in Model Versions; run the git command by hand meanwhile.`, e.message);
  }
  if (e instanceof GitError) return withoutProgress(e.message);
  throw e;
}
