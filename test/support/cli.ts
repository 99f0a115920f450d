/** `modelver` run in the test's own process (src/cli/main.ts runCli), its stdout and stderr captured. */
import { runCli } from '../../src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `modelver <args>`; resolves with its exit status and what it wrote (lines joined by \n). */
export async function cli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
