/**
 * The production panels never read a log in the extension host: they run the built CLI
 * (dist/cli.js) as a child process of VS Code's own Node (process.execPath, ELECTRON_RUN_AS_NODE=1 in
 * Electron), no shell, the arguments as an array, and parse its JSON. A one-shot run (`abtest --json`)
 * resolves with the parsed report; a follower (`monitor --follow --json`) hands each JSON line to
 * `onReport` until it is killed (the panel kills it when it closes).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { log } from '../log';

/** dist/cli.js of the installed extension. */
export function cliScript(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'cli.js');
}

function start(script: string, args: readonly string[], cwd: string): ChildProcess {
  const env = { ...process.env };
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  log().info(`modelver ${args.join(' ')} (in ${cwd})`);
  return spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, shell: false });
}

/** What the CLI said on stderr, without its `modelver:` prefix. */
const errorOf = (stderr: string, code: number | null) => stderr.trim().replace(/^modelver( \w+)?: /, '') || `modelver exited with status ${code}`;

/** Runs `modelver <args>` (with --json among them) and resolves with its parsed output. */
export function runCliJson<T>(script: string, args: readonly string[], cwd: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = start(script, args, cwd);
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(errorOf(err, code)));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as T);
      } catch (e) {
        reject(new Error(`modelver printed no JSON report (${(e as Error).message})`));
      }
    });
  });
}

export interface Follower {
  readonly pid: number | undefined;
  stop(): void;
}

/**
 * Starts `modelver <args>` that prints one JSON report per line (`monitor --follow --json`): each goes
 * to `onReport`; `onExit` gets the error when it ends by itself (it should not: it follows until killed).
 */
export function followCli<T>(script: string, args: readonly string[], cwd: string, onReport: (r: T) => void, onExit: (error: string) => void): Follower {
  const child = start(script, args, cwd);
  let buf = '';
  let err = '';
  let stopped = false;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let r: T;
      try {
        r = JSON.parse(line) as T;
      } catch (e) {
        log().error(`modelver monitor --follow printed a line that is not JSON (${(e as Error).message}): ${line.slice(0, 200)}`);
        continue;
      }
      onReport(r);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.on('error', (e) => {
    if (!stopped) onExit(e.message);
  });
  child.on('close', (code) => {
    if (!stopped) onExit(errorOf(err, code));
  });
  return {
    pid: child.pid,
    stop: () => {
      stopped = true;
      child.kill();
    },
  };
}
