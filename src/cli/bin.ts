/** Entry point of dist/cli.js (the `modelver` bin). */
import { runCli, type CliIO } from './main';

/**
 * The reader of our output went away (`modelver log --json | head -1`): end as git and the coreutils
 * do, killed by SIGPIPE without a word (a shell's status 141, seen with `set -o pipefail`). Node ignores
 * SIGPIPE and reports the closed pipe as an EPIPE error on the stream, which unhandled ends the process
 * with a stack trace. A SIGPIPE listener added and taken away puts the signal's default action back
 * (libuv), so the signal sent then ends the process; where it does not (Windows), exit with 141.
 */
function endOnClosedPipe(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
  if (process.platform !== 'win32') {
    const none = (): void => {};
    process.on('SIGPIPE', none);
    process.off('SIGPIPE', none);
    process.kill(process.pid, 'SIGPIPE');
  }
  process.exit(141);
}
process.stdout.on('error', endOnClosedPipe);
process.stderr.on('error', endOnClosedPipe);

const io: CliIO = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
  outBytes: (b) => process.stdout.write(b),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
  errStream: process.stderr,
};

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`modelver: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
