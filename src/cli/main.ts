/**
 * `modelver` — the command-line face of Model Versions, for people and for CI/CD.
 * Exit codes: 0 success, 1 the command failed (bad model, git error, …), 2 usage error.
 */
import { ModelFormatError } from '../core/formats/errors';
import { CliError, UsageError } from './errors';

export interface CliIO {
  out: (s: string) => void;
  /**
   * output already encoded as UTF-8, written as it is (no newline added): a large text read from a
   * cache is written as read, never decoded and encoded again. Without it, `out` gets the text decoded.
   */
  outBytes?: (b: Uint8Array) => void;
  err: (s: string) => void;
  /** the terminal behind `err`, for progress bars (drawn only when it is a TTY); default none */
  errStream?: import('./progress').ProgressStream;
}

interface Command {
  summary: string;
  usage: string;
  run: (args: string[], io: CliIO) => Promise<number>;
}

/**
 * Each command's module, loaded when the command runs: `modelver diff` compiles and evaluates the code
 * of the diff, not that of the evaluation, the repository or the lineage (issue #12; dist/cli.js is split
 * by esbuild.js: each command's code is in dist/cli-*.js files that Node reads only when it runs). The help lists them all.
 */
const commands: Record<string, () => Promise<Command>> = {
  inspect: async () => (await import('./commands/inspect.js')).inspectCommand,
  'eval-host': async () => (await import('./commands/serveEvalHost.js')).evalHostCommand,
  log: async () => (await import('./commands/log.js')).logCommand,
  commit: async () => (await import('./commands/commit.js')).commitCommand,
  tag: async () => (await import('./commands/tag.js')).tagCommand,
  alias: async () => (await import('./commands/alias.js')).aliasCommand,
  restore: async () => (await import('./commands/restore.js')).restoreCommand,
  resolve: async () => (await import('./commands/resolve.js')).resolveCommand,
  promote: async () => (await import('./commands/promote.js')).promoteCommand,
  show: async () => (await import('./commands/show.js')).showCommand,
  card: async () => (await import('./commands/card.js')).cardCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
  push: async () => (await import('./commands/push.js')).pushCommand,
  fetch: async () => (await import('./commands/fetch.js')).fetchCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  evaluate: async () => (await import('./commands/evaluate.js')).evaluateCommand,
  compare: async () => (await import('./commands/compare.js')).compareCommand,
  cv: async () => (await import('./commands/cv.js')).cvCommand,
  lineage: async () => (await import('./commands/lineage.js')).lineageCommand,
  abtest: async () => (await import('./commands/abtest.js')).abtestCommand,
  monitor: async () => (await import('./commands/monitor.js')).monitorCommand,
  find: async () => (await import('./commands/find.js')).findCommand,
};

/** Other names for commands (`modelver eval` is `modelver evaluate`). */
const aliases: Record<string, string> = { eval: 'evaluate' };

async function help(): Promise<string> {
  const loaded = await Promise.all(Object.entries(commands).map(async ([name, load]) => [name, await load()] as const));
  const rows = loaded.map(([name, c]) => {
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
    io.out(await help());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    io.out(typeof __MODELVER_VERSION__ !== 'undefined' ? __MODELVER_VERSION__ : 'dev');
    return 0;
  }
  // `modelver eval` of a model without --host: its local evaluation host starts now, while the command loads
  // (killed below when the command does not take it: an error, or the outputs cache answered)
  const early = name === 'evaluate' && !rest.includes('--help') && !rest.includes('-h') ? await import('./earlyHost.js') : undefined;
  early?.prestartEvalHost(rest);
  try {
    return await runCommand(name, rest, io);
  } finally {
    // a host the command did not take (it failed before it needed one)
    early?.discardPrestartedHost();
  }
}

async function runCommand(name: string, rest: string[], io: CliIO): Promise<number> {
  const cmd = Object.prototype.hasOwnProperty.call(commands, name) ? await commands[name]() : undefined;
  if (!cmd) {
    io.err(`modelver: unknown command '${name}'\n\n${await help()}`);
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

