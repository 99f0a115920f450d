/** `modelver` as a user runs it: `node dist/cli.js` in a child process (the bundle, its own exit status). */
import { execFile } from 'child_process';
import * as path from 'path';
import { REPO_ROOT } from './paths';

export const CLI_BUNDLE = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Runs `node dist/cli.js <args>` in `cwd`; resolves with its exit status, stdout and stderr (60 s at most). */
export function runCliProcess(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI_BUNDLE, ...args], { cwd, timeout: 60000 }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err })),
  );
}
