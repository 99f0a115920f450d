import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';

const usage = `usage: modelver restore <model-file> --version vN [--commit [-m MSG] [--clear-stale-lock]] [--json] [-C DIR]

Put an old version of a model back into the working tree. If the working copy has changes that
are not committed, it is first copied to .git/model-versions/backups/ (the path is printed).
With --commit, also commit it as a new version ("Revert <model> to vN (<commit>)").
A folder model (sharded safetensors) is restored whole: files vN lacks are removed, and every file
with uncommitted changes is first copied to a backup folder.

options:
  --version V          vN, latest~N, a commit id, a tag, an alias, or a branch: NAME (its
                       latest version of the model), NAME~N, REMOTE/NAME (required)
  --commit             commit the restored content as a new version
  -m, --message MSG    the commit message (with --commit)
  --clear-stale-lock   with --commit: first remove .git/index.lock when a killed git process left it
  --json               print the result as JSON
${REPO_OPTIONS_HELP}`;

export const restoreCommand = {
  summary: 'restore an old version of a model (optionally as a new commit)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...REPO_OPTIONS,
      version: { type: 'string' },
      commit: { type: 'boolean' },
      message: { type: 'string', short: 'm', multiple: true },
      'clear-stale-lock': { type: 'boolean' },
    });
    needPositionals(positionals, 1, 1, 'the model file');
    if (!values.version) throw new UsageError('missing --version (e.g. --version v2)');
    if (values.message && !values.commit) throw new UsageError('-m goes with --commit');
    if (values['clear-stale-lock'] && !values.commit) throw new UsageError('--clear-stale-lock goes with --commit');
    return repoErrors(async () => {
      const repo = await openRepo(values, positionals[0]);
      const file = fileArg(values, positionals[0]);
      const progress = (p: { bytes: number; total: number }) => io.err(`downloading… ${p.bytes}/${p.total} bytes`);
      if (values.commit) {
        const r = await repo.revertTo(file, values.version!, {
          message: values.message?.join('\n\n'),
          onProgress: progress,
          clearStaleLock: !!values['clear-stale-lock'],
        });
        for (const w of r.warnings) io.err(`warning: ${w}`);
        if (values.json) io.out(JSON.stringify(r, null, 2));
        else {
          if (r.restore.backup) io.out(`Saved your uncommitted working copy to ${r.restore.backup}`);
          io.out(`Committed ${r.model} as v${r.version} (${r.shortCommit}) with the content of v${r.restore.version}`);
        }
        return 0;
      }
      const r = await repo.restore(file, values.version!, { onProgress: progress });
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else if (r.unchanged) io.out(`${r.path} already has the content of v${r.version}${r.branch ? ` of ${r.branch}` : ''}; nothing to do.`);
      else {
        if (r.backup) io.out(`Saved your uncommitted working copy to ${r.backup}`);
        io.out(`Restored ${r.path} to v${r.version}${r.branch ? ` of ${r.branch}` : ''} (${r.commit.slice(0, 7)}). Commit it with \`modelver commit ${r.path} -m "…"\` or use --commit.`);
      }
      return 0;
    });
  },
};
