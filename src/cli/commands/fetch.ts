import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, needPositionals, openRepo, parse, repoErrors, transferProgress } from './repoCommon';

const usage = `usage: modelver fetch [<remote>] [--json] [-C DIR]

Fetch branches (as configured), tags, the alias log and the model notes from a remote. The alias
log and the notes are fast-forwarded; if they changed on both sides, nothing is overwritten and
the command says so. Model bytes are downloaded later, when a version is read.

options:
  --json               print the result as JSON
${REPO_OPTIONS_HELP}`;

export const fetchCommand = {
  summary: 'fetch branches, tags, aliases and notes',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS });
    needPositionals(positionals, 0, 1, 'the remote');
    return repoErrors(async () => {
      const repo = await openRepo(values);
      const progress = transferProgress(io, values.json);
      const r = await repo.fetch(positionals[0], { onProgress: progress.onProgress }).finally(progress.done);
      if (values.json) io.out(JSON.stringify({ remote: r.remote, updated: r.updated }, null, 2));
      else {
        io.out(`Fetched from ${r.remote}`);
        for (const u of r.updated) io.out(`  ${u.ref}: ${u.how}`);
      }
      return 0;
    });
  },
};
