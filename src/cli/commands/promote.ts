import { formatBytes } from '../../core/formats/describe';
import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { printLineage } from './lineage';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, baseDir, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';
import { splitVersionSpec } from '../versionSpec';

const usage = `usage: modelver promote <model-file>@<branch-version> [-m MSG] [--no-summary] [--clear-stale-lock] [--json] [-C DIR]

Commit a version of another branch onto the current branch: that model's bytes become a new
version here whose lineage says derived-from that branch version (Model-Derived-From, and
Model-Promoted-From: <branch> <commit>). Only the model is taken, not the branch's other changes.
<branch-version> is a branch (its latest version of the model), <branch>~N (the Nth version of the
model before that), <remote>/<branch>, or a tag, alias or commit id of a version the current
branch does not have. Refused on a detached HEAD and while the model has staged or unstaged
changes (commit or discard them first: nothing is overwritten).

options:
  -m, --message MSG    the message (default "Promote <model> from <branch> (vN, <commit>)")
  --no-summary         do not record parameters and inputs/outputs
  --clear-stale-lock   first remove .git/index.lock when a killed git process left it
  --json               print the result as JSON
${REPO_OPTIONS_HELP}`;

export const promoteCommand = {
  summary: "commit another branch's version of a model onto the current branch",
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...REPO_OPTIONS,
      message: { type: 'string', short: 'm' },
      'no-summary': { type: 'boolean' },
      'clear-stale-lock': { type: 'boolean' },
    });
    needPositionals(positionals, 1, 1, 'the version to promote (e.g. models/m.onnx@experiment)');
    const [file, spec] = splitVersionSpec(positionals[0], baseDir(values));
    if (!spec) throw new UsageError(`name the version to promote as <model-file>@<branch>, e.g. ${positionals[0]}@experiment`);
    if (values.message !== undefined && !values.message.trim()) throw new UsageError('the message (-m) is empty');
    return repoErrors(async () => {
      const repo = await openRepo(values, file);
      const r = await repo.promote(fileArg(values, file), spec, {
        message: values.message,
        summarize: !values['no-summary'],
        clearStaleLock: !!values['clear-stale-lock'],
      });
      for (const w of r.warnings) io.err(`warning: ${w}`);
      if (values.json) {
        const { from, ...rest } = r;
        io.out(JSON.stringify({ ...rest, from: { branch: from.branch ?? null, version: from.version, commit: from.commit, path: from.path } }, null, 2));
      } else {
        io.out(
          `Promoted ${r.model}@${spec} (v${r.from.version} of ${r.from.branch ?? 'another branch'}, ${r.from.shortCommit}) onto ${r.branch} as v${r.version} (${r.shortCommit}): sha256 ${r.oid.slice(0, 12)}…, ${formatBytes(r.size)}`,
        );
        if (r.lineage) printLineage(r.lineage, io);
      }
      return 0;
    });
  },
};
