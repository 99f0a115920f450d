/**
 * `modelver` — the command-line face of Model Versions, for people and for CI/CD.
 * Exit codes: 0 success, 1 the command failed (bad model, git error, …), 2 usage error.
 */
import { ModelFormatError } from '../core/formats/errors';
import { CliError, UsageError } from './errors';
import { evalHostCommand } from './commands/serveEvalHost';
import { inspectCommand } from './commands/inspect';
import { logCommand } from './commands/log';
import { commitCommand } from './commands/commit';
import { tagCommand } from './commands/tag';
import { aliasCommand } from './commands/alias';
import { restoreCommand } from './commands/restore';
import { showCommand } from './commands/show';
import { pushCommand } from './commands/push';
import { fetchCommand } from './commands/fetch';
import { diffCommand } from './commands/diff';
import { evaluateCommand } from './commands/evaluate';
import { compareCommand } from './commands/compare';
import { lineageCommand } from './commands/lineage';

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** the terminal behind `err`, for progress bars (drawn only when it is a TTY); default none */
  errStream?: import('./progress').ProgressStream;
}

interface Command {
  summary: string;
  usage: string;
  run: (args: string[], io: CliIO) => Promise<number>;
}

const commands: Record<string, Command> = {
  inspect: inspectCommand,
  'eval-host': evalHostCommand,
  log: logCommand,
  commit: commitCommand,
  tag: tagCommand,
  alias: aliasCommand,
  restore: restoreCommand,
  show: showCommand,
  push: pushCommand,
  fetch: fetchCommand,
  diff: diffCommand,
  evaluate: evaluateCommand,
  compare: compareCommand,
  lineage: lineageCommand,
};

/** Other names for commands (`modelver eval` is `modelver evaluate`). */
const aliases: Record<string, string> = { eval: 'evaluate' };

function help(): string {
  const rows = Object.entries(commands).map(([name, c]) => {
    const also = Object.keys(aliases).filter((a) => aliases[a] === name);
    return `  ${name.padEnd(10)} ${c.summary}${also.length ? ` (also: ${also.join(', ')})` : ''}`;
  });
  return [
    'usage: modelver <command> [options]',
    '',
    'Version control for neural-network model files on Git + Git LFS.',
    '',
    'commands:',
    ...rows,
    '',
    'Run `modelver <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [given, ...rest] = argv;
  const name = given && Object.prototype.hasOwnProperty.call(aliases, given) ? aliases[given] : given;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    io.out(typeof __MODELVER_VERSION__ !== 'undefined' ? __MODELVER_VERSION__ : 'dev');
    return 0;
  }
  const cmd = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    io.err(`modelver: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`modelver ${name}: ${e.message}\n\n${cmd.usage}`);
      return 2;
    }
    if (e instanceof CliError) {
      io.err(`modelver ${name}: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof ModelFormatError) {
      io.err(`modelver ${name}: ${e.message}`);
      return 1;
    }
    const err = e as Error;
    io.err(`modelver ${name}: unexpected error: ${err?.stack ?? String(e)}`);
    return 1;
  }
}

declare const __MODELVER_VERSION__: string;

