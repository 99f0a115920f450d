import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, formatSize, needPositionals, openRepo, parse, repoErrors } from './repoCommon';

const usage = `usage: modelver commit <model-file> -m <message> [--no-summary] [--json] [-C DIR]

Commit one model file as a new version (through Git LFS). Only that file is committed (plus
.gitattributes when the LFS rule for it had to be added); anything else you staged stays staged
and uncommitted. Hooks run as for \`git commit\`. The message gets trailers: Model-Path,
Model-Oid, Model-Size and, for ONNX/Keras files, Model-Format, Model-Params, Model-Inputs,
Model-Outputs.

options:
  -m, --message MSG    the message (repeat for more paragraphs)
  --no-summary         do not read the model to record parameters and inputs/outputs
  --json               print the result as JSON
${REPO_OPTIONS_HELP}`;

export const commitCommand = {
  summary: 'commit a model file as a new version',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...REPO_OPTIONS,
      message: { type: 'string', short: 'm', multiple: true },
      'no-summary': { type: 'boolean' },
    });
    needPositionals(positionals, 1, 1, 'the model file');
    const msgs = values.message ?? [];
    if (!msgs.length || !msgs.join('').trim()) throw new UsageError('missing the message: -m "what changed"');
    return repoErrors(async () => {
      const file = fileArg(values, positionals[0]);
      const repo = await openRepo(values, positionals[0]);
      const r = await repo.commitModel(file, msgs.join('\n\n'), { summarize: !values['no-summary'] });
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(`Committed ${r.model} as v${r.version} (${r.shortCommit}): sha256 ${r.oid.slice(0, 12)}…, ${formatSize(r.size)}`);
        if (r.attributesChanged) io.out(`(.gitattributes now tracks it with Git LFS; that change is in the same commit)`);
      }
      return 0;
    });
  },
};
