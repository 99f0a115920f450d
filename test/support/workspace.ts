/** Throwaway workspace folders for the integration and UI tests. */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fixture } from './paths';

/** File contents: text, bytes, or `{ copy: absolutePath }`. */
export type FileSpec = string | Buffer | { copy: string };

/** Workspaces not yet removed; deleted when the process exits (also after Ctrl+C, see exitOnSignals). */
const live = new Set<string>();
process.on('exit', () => {
  for (const dir of live) fs.rmSync(dir, { recursive: true, force: true });
});

/** Creates a new folder under the OS temp dir with the given files (relative paths). */
export function makeWorkspace(prefix: string, files: Record<string, FileSpec>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `mv-${prefix}-`));
  live.add(root);
  for (const [rel, spec] of Object.entries(files)) {
    const dest = path.join(root, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (typeof spec === 'object' && !Buffer.isBuffer(spec)) {
      if (!fs.existsSync(spec.copy)) {
        throw new Error(`fixture ${spec.copy} is missing: the fixtures are part of the repository (test/fixtures/, listed in test/fixtures/PROVENANCE.md); restore it with git`);
      }
      fs.copyFileSync(spec.copy, dest);
    } else {
      fs.writeFileSync(dest, spec);
    }
  }
  return root;
}

/** The small model the end-to-end tests use. */
export const HELLO_MODEL = 'hello_deepa.onnx';

/** A workspace with one ONNX model and a README.md (which is not a model). */
export function modelWorkspace(prefix: string): string {
  return makeWorkspace(prefix, {
    [HELLO_MODEL]: { copy: fixture('onnx', HELLO_MODEL) },
    'README.md': '# Test workspace\n\nOne model: hello_deepa.onnx.\n',
  });
}

/** The local identity of the test repositories' commits. */
export const TEST_IDENTITY = { name: 'Model Versions Tests', email: 'tests@model-versions.invalid' };

/** Runs git in `cwd` (argv array, no shell) and returns its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Makes `dir` a git repository ready for model versions: `git init` (branch main), a local identity,
 * `git lfs install --local`, and with `initialCommit` a first commit of README.md (when it exists),
 * so that HEAD is born and README.md can be changed and staged later. Model files stay untracked.
 */
export function initGitRepo(dir: string, opts: { initialCommit?: boolean } = {}): string {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', TEST_IDENTITY.name);
  git(dir, 'config', 'user.email', TEST_IDENTITY.email);
  git(dir, 'config', 'commit.gpgsign', 'false');
  git(dir, 'lfs', 'install', '--local');
  if (opts.initialCommit !== false && fs.existsSync(path.join(dir, 'README.md'))) {
    git(dir, 'add', '--', 'README.md');
    git(dir, 'commit', '-q', '-m', 'Initial commit');
  }
  return dir;
}

/** modelWorkspace() as a git + Git LFS repository whose only commit holds README.md; the model is untracked. */
export function gitModelWorkspace(prefix: string): string {
  return initGitRepo(modelWorkspace(prefix));
}

/** sha256 (hex) of a file's bytes — the Git LFS oid of that content. */
export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function removeWorkspace(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}
