import { parseDateArg, type ModelRepository } from '../../core/repo';
import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';

const usage = `usage: modelver alias set <model-file> <alias> [--version vN] [-C DIR]
       modelver alias rm <model-file> <alias> [-C DIR]
       modelver alias ls [<model-file>] [--at DATE] [--json] [-C DIR]
       modelver alias log [<model-file>] [--json] [-C DIR]

Aliases (production, staging, champion, …) point at one version of one model. Every move is
recorded (who, when, from, to) in refs/model-versions/aliases, pushed by \`modelver push\`.

options:
  --version V          vN, latest~N, a commit id, a tag, another alias, or a branch: NAME,
                       NAME~N, REMOTE/NAME (default: latest)
  --at DATE            ls: what each alias pointed at on DATE, from the recorded moves
                       (YYYY-MM-DD: the end of that day, UTC; or ISO 8601, e.g.
                       2024-03-01T12:00:00Z; a time without an offset is UTC)
  --json               JSON output (ls, log)
${REPO_OPTIONS_HELP}`;

const short = (c?: string) => (c ? c.slice(0, 7) : '(none)');

export const aliasCommand = {
  summary: 'point aliases (production, staging, …) at versions',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS, version: { type: 'string' }, at: { type: 'string' } });
    const [sub, ...rest] = positionals;
    if (values.at !== undefined && sub !== 'ls' && sub !== 'list') throw new UsageError('--at goes with `alias ls` only');
    if (!sub) throw new UsageError('missing the subcommand: set, rm, ls or log');
    return repoErrors(async () => {
      switch (sub) {
        case 'set': {
          needPositionals(rest, 2, 2, 'the model file and the alias name');
          const repo = await openRepo(values, rest[0]);
          const e = await repo.setAlias(fileArg(values, rest[0]), rest[1], values.version ?? 'latest');
          if (values.json) io.out(JSON.stringify(e, null, 2));
          else io.out(e.message.split('\n')[0]);
          return 0;
        }
        case 'rm':
        case 'remove': {
          needPositionals(rest, 2, 2, 'the model file and the alias name');
          const repo = await openRepo(values, rest[0]);
          const e = await repo.removeAlias(fileArg(values, rest[0]), rest[1]);
          if (values.json) io.out(JSON.stringify(e, null, 2));
          else io.out(e.message.split('\n')[0]);
          return 0;
        }
        case 'ls':
        case 'list': {
          needPositionals(rest, 0, 1, 'the model file');
          const repo = await openRepo(values, rest[0]);
          if (values.at !== undefined) return listAt(repo, values.at, rest[0] !== undefined ? fileArg(values, rest[0]) : undefined, !!values.json, io);
          const list = await repo.listAliases(rest[0] !== undefined ? fileArg(values, rest[0]) : undefined);
          if (values.json) io.out(JSON.stringify(list, null, 2));
          else if (!list.length) io.out('No aliases.');
          else {
            for (const a of list) {
              const where = a.outsideHistory ? '  [not in the current branch\'s history]' : '';
              io.out(`${a.model}  ${a.alias} -> ${a.version ? `v${a.version}` : '?'} (${short(a.commit)})${where}`);
            }
          }
          return 0;
        }
        case 'log': {
          needPositionals(rest, 0, 1, 'the model file');
          const repo = await openRepo(values, rest[0]);
          const log = await repo.aliasLog(rest[0] !== undefined ? fileArg(values, rest[0]) : undefined);
          if (values.json) io.out(JSON.stringify(log, null, 2));
          else for (const e of log) io.out(`${e.date}  ${e.who.name} <${e.who.email}>  ${e.message.split('\n')[0]}`);
          return 0;
        }
        default:
          throw new UsageError(`unknown subcommand '${sub}' (set, rm, ls, log)`);
      }
    });
  },
};

/** `alias ls --at DATE`: the state of the alias log on that date. */
async function listAt(repo: ModelRepository, text: string, model: string | undefined, json: boolean, io: CliIO): Promise<number> {
  let at: Date;
  try {
    at = parseDateArg(text, '--at');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const r = await repo.listAliasesAt(at, model);
  if (json) {
    io.out(JSON.stringify(r, null, 2));
    if (r.before) io.err(`No alias existed on ${text}: the first alias move was recorded at ${r.firstMove}.`);
    return 0;
  }
  if (!r.firstMove) io.out('No aliases: no alias has ever been set in this repository.');
  else if (r.before) io.out(`No aliases on ${text}: that is before the first alias move, recorded at ${r.firstMove}.`);
  else if (!r.aliases.length) io.out(`No aliases${model ? ' of this model' : ''} on ${text}.`);
  for (const a of r.aliases) {
    const where = a.outsideHistory ? "  [not in the current branch's history]" : '';
    const since = a.since ? `  since ${a.since}${a.by ? ` by ${a.by.name} <${a.by.email}>` : ''}` : '';
    io.out(`${a.model}  ${a.alias} -> ${a.version ? `v${a.version}` : '?'} (${short(a.commit)})${since}${where}`);
  }
  return 0;
}
