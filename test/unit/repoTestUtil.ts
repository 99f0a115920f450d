/** Helpers for the repository tests: real git + git-lfs repositories in temp folders. */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';

/** The six historical versions of one Keras model (keras2cpp), as v1..v6. */
export const KERAS_VERSIONS = ['18ec88f', '322a303', '4764d4e', '8b08a86', 'ad1d899', 'f3ea050'].map((c) =>
  fixture('keras', `keras2cpp_my_nn_weights_${c}.h5`),
);
export const SILERO = ['silero_vad_v4_legacy.onnx', 'silero_vad_v5.onnx', 'silero_vad_v6.onnx'].map((f) => fixture('onnx', f));

/** An environment that isolates git from the user's global config. */
export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  const cfg = path.join(home, '.gitconfig');
  if (!fs.existsSync(cfg)) fs.writeFileSync(cfg, '');
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_GLOBAL: cfg,
    GIT_AUTHOR_NAME: 'Test User',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test User',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_TERMINAL_PROMPT: '0',
  };
}

export class TempSpace {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  constructor() {
    this.dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mv-repo-test-')));
    this.env = isolatedEnv(path.join(this.dir, 'home'));
  }
  git(cwd: string, ...args: string[]): string {
    return execFileSync('git', args, { cwd, env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
  /** a new repository with git-lfs installed locally and one initial commit */
  repo(name = 'work', opts: { initialCommit?: boolean } = {}): string {
    const d = path.join(this.dir, name);
    fs.mkdirSync(d, { recursive: true });
    this.git(d, 'init', '-q', '-b', 'main');
    this.git(d, 'lfs', 'install', '--local');
    this.git(d, 'config', 'user.name', 'Test User');
    this.git(d, 'config', 'user.email', 'test@example.com');
    if (opts.initialCommit !== false) {
      fs.writeFileSync(path.join(d, 'README.md'), '# test\n');
      this.git(d, 'add', 'README.md');
      this.git(d, 'commit', '-q', '-m', 'init');
    }
    return d;
  }
  /** A new repository (as repo()) opened as a ModelRepository with this space's environment, `env` over it. */
  async openRepo(name: string, env: NodeJS.ProcessEnv = {}, opts: { initialCommit?: boolean } = {}): Promise<{ dir: string; repo: ModelRepository }> {
    const dir = this.repo(name, opts);
    return { dir, repo: await ModelRepository.open(dir, { env: { ...this.env, ...env } }) };
  }
  bare(name = 'remote.git'): string {
    const d = path.join(this.dir, name);
    this.git(this.dir, 'init', '-q', '--bare', '-b', 'main', d);
    return d;
  }
  /**
   * Puts this space's git identity and global config into process.env (for code that runs git with
   * process.env, as the CLI does); returns the function that puts the old values back.
   */
  useProcessEnv(): () => void {
    const saved: Record<string, string | undefined> = {};
    for (const k of ['GIT_CONFIG_GLOBAL', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL']) {
      saved[k] = process.env[k];
      process.env[k] = this.env[k];
    }
    return () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
  }
  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function put(repo: string, rel: string, src: string | Buffer): string {
  const dst = path.join(repo, rel);
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  if (typeof src === 'string') fs.copyFileSync(src, dst);
  else fs.writeFileSync(dst, src);
  fs.chmodSync(dst, 0o644);
  return dst;
}
