import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/**
 * The "Model Versions" log (View → Output). With `MV_LOG_FILE` in the extension host's environment
 * (the integration tests set it: test/integration/runTest.ts) every line also goes to that file, at
 * every level, with errors in full (stack, code, git's stderr): the log of a test run outlives it.
 */
export function log(): vscode.LogOutputChannel {
  if (!channel) {
    const c = vscode.window.createOutputChannel('Model Versions', { log: true });
    const file = process.env.MV_LOG_FILE;
    channel = file ? teeToFile(c, file) : c;
  }
  return channel;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error']);

/** One log line's text: strings as they are, anything else (an Error: its stack and properties) inspected. */
export function formatLogLine(level: string, args: readonly unknown[], now = new Date()): string {
  const text = args.map((a) => (typeof a === 'string' ? a : util.inspect(a, { depth: 4, breakLength: Infinity }))).join(' ');
  return `${now.toISOString()} [${level}] ${text}\n`;
}

/** `c`, whose trace…error calls are also appended to `file` (a file that cannot be written is skipped). */
function teeToFile(c: vscode.LogOutputChannel, file: string): vscode.LogOutputChannel {
  let ok = true;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch {
    ok = false;
  }
  const write = (level: string, args: unknown[]) => {
    if (!ok) return;
    try {
      fs.appendFileSync(file, formatLogLine(level, args));
    } catch {
      ok = false;
    }
  };
  return new Proxy(c, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      if (typeof prop === 'string' && LEVELS.has(prop)) {
        return (...args: unknown[]) => {
          write(prop, args);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
