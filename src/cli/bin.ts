/** Entry point of dist/cli.js (the `modelver` bin). */
import { runCli, type CliIO } from './main';

const io: CliIO = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
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
