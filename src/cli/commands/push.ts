import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, needPositionals, openRepo, parse, repoErrors, transferProgress } from './repoCommon';

const usage = `usage: modelver push [<remote>] [--json] [-C DIR]

Push the current branch, tags, the alias log (refs/model-versions/*), the model notes
(refs/notes/model-versions) and the Git LFS objects they need. Default remote: the branch's
upstream remote, else origin.

options:
  --json               print the result as JSON
${REPO_OPTIONS_HELP}`;

export const pushCommand = {
  summary: 'push branch, tags, aliases, notes and LFS objects',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS });
    needPositionals(positionals, 0, 1, 'the remote');
    return repoErrors(async () => {
      const repo = await openRepo(values);
      const progress = transferProgress(io, values.json);
      const r = await repo.push(positionals[0], { onProgress: progress.onProgress }).finally(progress.done);
      if (values.json) io.out(JSON.stringify({ remote: r.remote, branch: r.branch, refs: r.refs }, null, 2));
      else io.out(`Pushed ${r.branch}${r.refs.length > 1 ? ' with ' + r.refs.slice(1).map((s) => s.split(':')[0]).join(', ') : ''} to ${r.remote}`);
      return 0;
    });
  },
};
