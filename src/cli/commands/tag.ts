import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, openRepo, parse, repoErrors } from './repoCommon';

const usage = `usage: modelver tag <model-file> [--version vN] [--name NAME] [-m MSG] [-C DIR]
       modelver tag --delete NAME [-C DIR]
       modelver tag --list [<model-file>] [--json] [-C DIR]

Put an annotated git tag on a version of a model (default: the latest version), named
<model-name>/v<N> unless --name is given.

options:
  --version V          vN, latest~N, a commit id, a tag, an alias, or a branch: NAME (its
                       latest version of the model), NAME~N, REMOTE/NAME (default: latest)
  --name NAME          the tag name (letters, digits, . _ - / + @ = ,)
  -m, --message MSG    notes to keep in the tag
  --delete NAME        delete a tag (locally)
  --list               list tags on the model's versions (or all tags)
  --json               JSON output (with --list)
${REPO_OPTIONS_HELP}`;

export const tagCommand = {
  summary: 'tag a version of a model',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...REPO_OPTIONS,
      version: { type: 'string' },
      name: { type: 'string' },
      message: { type: 'string', short: 'm', multiple: true },
      delete: { type: 'string' },
      list: { type: 'boolean' },
    });
    return repoErrors(async () => {
      if (values.delete !== undefined) {
        if (positionals.length) throw new UsageError('--delete takes only the tag name');
        const repo = await openRepo(values);
        await repo.deleteTag(values.delete);
        io.out(`Deleted tag ${values.delete}`);
        return 0;
      }
      if (values.list) {
        if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
        const repo = await openRepo(values, positionals[0]);
        let tags = await repo.listTags();
        if (positionals[0] !== undefined) {
          const commits = new Set((await repo.versions(fileArg(values, positionals[0]))).map((v) => v.commit));
          tags = tags.filter((t) => commits.has(t.commit));
        }
        if (values.json) io.out(JSON.stringify(tags, null, 2));
        else for (const t of tags) io.out(`${t.name}  ${t.commit.slice(0, 7)}  ${t.message.split('\n')[0]}`);
        return 0;
      }
      if (positionals.length !== 1) throw new UsageError(positionals.length ? `unexpected argument '${positionals[1]}'` : 'missing the model file');
      const repo = await openRepo(values, positionals[0]);
      const t = await repo.tag(fileArg(values, positionals[0]), {
        version: values.version,
        name: values.name,
        message: values.message?.join('\n\n'),
      });
      if (values.json) io.out(JSON.stringify(t, null, 2));
      else io.out(`Tagged ${t.commit.slice(0, 7)} as ${t.name}  (push it with \`modelver push\`)`);
      return 0;
    });
  },
};
