import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors, versionJson, versionLine } from './repoCommon';
import type { CliIO } from '../main';
import { UsageError } from '../errors';
import type { ModelHistory } from '../../core/repo';
import { printLogJson } from './logJson';

const modelJson = (h: ModelHistory) => ({ model: h.path, paths: h.paths, deleted: h.deleted, versions: h.versions.map(versionJson) });

const usage = `usage: modelver log [<model-file>] [--json [--pretty]] [-C DIR]

List the versions of one model (v1 = oldest), or of every model in the repository.
A version is a commit that changed the model's content (its Git LFS sha256); renames are followed.
A sharded safetensors model's folder is one model: a version is a commit that changed any file in it.

options:
  --json               print the versions as JSON (compact: a line per version)
  --pretty             with --json: indent the JSON for reading
${REPO_OPTIONS_HELP}`;

export const logCommand = {
  summary: 'list the versions of a model (or of all models)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS, pretty: { type: 'boolean' } });
    needPositionals(positionals, 0, 1, 'the model file');
    if (values.pretty && !values.json) throw new UsageError('--pretty goes with --json');
    return repoErrors(async () => {
      const file = positionals[0];
      const repo = await openRepo(values, file);
      if (values.json && !values.pretty) {
        await printLogJson(repo, io.out, file === undefined ? undefined : fileArg(values, file));
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
