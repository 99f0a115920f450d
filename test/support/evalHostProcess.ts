/** Start a real evaluation host process with `--listen 127.0.0.1:0` and wait for its listening line. */
import * as crypto from 'crypto';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface ListeningHost {
  url: string;
  /** its --cache-dir */
  cacheDir: string;
  token: string;
  child: ChildProcess;
  /** everything the host wrote to stderr so far */
  stderr(): string;
  /** SIGCONT (in case it was stopped) then SIGKILL, and wait for the exit */
  kill(): Promise<void>;
}

/**
 * Spawns `node script --listen 127.0.0.1:0 --token-file <dir>/token --cache-dir … --provider cpu …extra`
 * in `cwd` (default: dir).
 */
export async function startListeningHost(script: string, dir: string, opts: { cwd?: string; cacheDir?: string; extra?: string[] } = {}): Promise<ListeningHost> {
  fs.mkdirSync(dir, { recursive: true });
  const token = 'token-' + crypto.randomBytes(16).toString('hex');
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const cacheDir = opts.cacheDir ?? path.join(dir, 'cache');
  const args = [script, '--listen', '127.0.0.1:0', '--token-file', tokenFile, '--cache-dir', cacheDir, '--provider', 'cpu', ...(opts.extra ?? [])];
  const child = spawn(process.execPath, args, { cwd: opts.cwd ?? dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host did not start in 60 s: ${err}`)), 60_000);
    const onData = (): void => {
      const m = /eval host listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the host exited (${code}) before listening: ${err}`));
    });
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await gone;
  };
  return { url, cacheDir, token, child, stderr: () => err, kill };
}
