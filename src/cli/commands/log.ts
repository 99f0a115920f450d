import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors, versionJson, versionLine } from './repoCommon';
import type { CliIO } from '../main';
import { UsageError } from '../errors';
import type { BranchGroup, ModelHistory, ModelRepository } from '../../core/repo';
import { printLogJson } from './logJson';

const modelJson = (h: ModelHistory) => ({ model: h.path, paths: h.paths, deleted: h.deleted, versions: h.versions.map(versionJson) });

const usage = `usage: modelver log [<model-file>] [--all | --branch NAME…] [--json [--pretty]] [-C DIR]

List the versions of one model (v1 = oldest), or of every model in the repository.
A version is a commit that changed the model's content (its Git LFS sha256); renames are followed.
A sharded safetensors model's folder is one model: a version is a commit that changed any file in it.

With --all or --branch, also each other branch's versions that the current branch does not have,
numbered in that branch's history, with how far the branch is ahead and behind. Name one as
<model>@<branch> (its latest version of the model), <model>@<branch>~N (the Nth version before
that) or <model>@<remote>/<branch> in diff, compare, evaluate, show, restore, tag, alias, promote.

options:
  --all                every local branch and remote-tracking branch
  --branch NAME        this branch (a local branch, or <remote>/<branch>); repeat for more
  --json               print the versions as JSON (compact: a line per version)
  --pretty             with --json: indent the JSON for reading
${REPO_OPTIONS_HELP}`;

export const logCommand = {
  summary: 'list the versions of a model (or of all models)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS, pretty: { type: 'boolean' }, all: { type: 'boolean' }, branch: { type: 'string', multiple: true } });
    needPositionals(positionals, 0, 1, 'the model file');
    if (values.pretty && !values.json) throw new UsageError('--pretty goes with --json');
    if (values.all && values.branch?.length) throw new UsageError('--all and --branch cannot be used together');
    return repoErrors(async () => {
      const file = positionals[0];
      const repo = await openRepo(values, file);
      if (values.all || values.branch?.length) {
        const groups = await repo.branchGroups(values.all ? { show: 'local and remote' } : { names: values.branch });
        await printWithBranches(repo, io, groups, file === undefined ? undefined : fileArg(values, file), values.json ? (values.pretty ? 2 : 0) : undefined);
        return 0;
      }
      if (values.json && !values.pretty) {
        await printLogJson(repo, io, file === undefined ? undefined : fileArg(values, file));
        return 0;
      }
      if (file !== undefined) {
        const h = await repo.history(fileArg(values, file));
        if (values.json) {
          io.out(JSON.stringify(modelJson(h), null, 2));
        } else {
          io.out(`${h.path}  (${h.versions.length} version${h.versions.length === 1 ? '' : 's'}${h.deleted ? ', deleted' : ''})`);
          for (const v of [...h.versions].reverse()) io.out('  ' + versionLine(v));
        }
        return 0;
      }
      const all = [...(await repo.histories()).values()].sort((a, b) => a.path.localeCompare(b.path));
      if (values.json) {
        io.out(JSON.stringify({ repository: repo.root, models: all.map(modelJson) }, null, 2));
        return 0;
      }
      if (!all.length) {
        io.out(`No model versions in ${repo.root} yet. Commit one with \`modelver commit <file> -m "…"\`.`);
        return 0;
      }
      for (const h of all) {
        io.out(`${h.path}  (${h.versions.length} version${h.versions.length === 1 ? '' : 's'}${h.deleted ? ', deleted' : ''})`);
        for (const v of [...h.versions].reverse()) io.out('  ' + versionLine(v));
      }
      return 0;
    });
  },
};

const branchJson = (g: BranchGroup, only?: string) => ({
  name: g.name,
  ref: g.ref,
  remote: g.remote,
  tip: g.tip,
  ahead: g.ahead,
  behind: g.behind,
  models: g.models
    .filter((m) => only === undefined || m.model === only)
    .map((m) => ({ model: m.model, pathOnBranch: m.pathOnBranch, versionsOnBranch: m.total, versions: m.versions.map(versionJson) })),
});

/** log --all / --branch: the current branch's versions, then per branch those the current branch lacks. */
async function printWithBranches(repo: ModelRepository, io: CliIO, groups: BranchGroup[], file: string | undefined, indent: number | undefined): Promise<void> {
  const [histories, current, head] = await Promise.all([repo.histories(), repo.currentBranch(), repo.head()]);
  let only: string | undefined;
  let mine = [...histories.values()].sort((a, b) => a.path.localeCompare(b.path));
  if (file !== undefined) {
    const rel = repo.rel(file);
    const h = await repo.history(file).catch(() => undefined);
    only = h?.path ?? rel;
    mine = h ? [h] : [];
    if (!h && !groups.some((g) => g.models.some((m) => m.model === only))) await repo.history(file); // throws NO_SUCH_MODEL
  }
  const here = current ?? `detached HEAD${head ? ` (${head.slice(0, 7)})` : ''}`;
  if (indent !== undefined) {
    const doc = { repository: repo.root, branch: current ?? null, head: head ?? null, models: mine.map(modelJson), branches: groups.map((g) => branchJson(g, only)) };
    io.out(indent ? JSON.stringify(doc, null, indent) : JSON.stringify(doc));
    return;
  }
  io.out(`On ${here}:`);
  if (!mine.length) io.out('  (no model versions)');
  for (const h of mine) {
    io.out(`${h.path}  (${h.versions.length} version${h.versions.length === 1 ? '' : 's'}${h.deleted ? ', deleted' : ''})`);
    for (const v of [...h.versions].reverse()) io.out('  ' + versionLine(v));
  }
  for (const g of groups) {
    const models = g.models.filter((m) => only === undefined || m.model === only);
    io.out('');
    io.out(`${g.remote ? 'remote-tracking branch' : 'branch'} ${g.name}  (${g.ahead} commit${g.ahead === 1 ? '' : 's'} ahead, ${g.behind} behind ${here})`);
    if (!models.length) io.out('  (no model versions that are not on ' + here + ')');
    for (const m of models) {
      const n = m.versions.length;
      io.out(`  ${m.model}  (${n} version${n === 1 ? '' : 's'} not on ${here}${m.pathOnBranch !== m.model ? `; ${m.pathOnBranch} there` : ''})`);
      for (const v of [...m.versions].reverse()) io.out('    ' + versionLine(v));
    }
  }
}
