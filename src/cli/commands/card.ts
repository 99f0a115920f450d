import * as fs from 'fs';
import { buildModelCard } from '../../core/lineage/modelCard';
import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';
import { splitSpec } from './show';

const usage = `usage: modelver card <model-file>[@<version>] [--out FILE] [--json] [-C DIR]

A Markdown model card of a version (default: the latest) in the Hugging Face layout: YAML front
matter (tags, metrics, model-index with the recorded evaluations per dataset, the version's identity),
then its interface, change record, lineage, tags and aliases, and evaluation results with their
95% intervals. Everything comes from what the repository recorded; nothing is recomputed.

  <version>            vN, a commit id, a tag or an alias (e.g. models/a.onnx@v3, a.onnx@production)

options:
  --out FILE           write the card to FILE (default: standard output)
  --json               print {frontMatter, markdown} as JSON instead
${REPO_OPTIONS_HELP}`;

export const cardCommand = {
  summary: 'a Markdown model card of a version (Hugging Face layout)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS, out: { type: 'string', short: 'o' } });
    needPositionals(positionals, 1, 1, 'the model and version (e.g. models/a.onnx@v2)');
    const [file, version] = fs.existsSync(fileArg(values, positionals[0])) ? [positionals[0], undefined] : splitSpec(positionals[0]);
    if (version === '') throw new UsageError(`no version after '@' in '${positionals[0]}'`);
    return repoErrors(async () => {
      const repo = await openRepo(values, file);
      const card = await buildModelCard(repo, fileArg(values, file), version ?? 'latest');
      if (values.out) {
        fs.writeFileSync(values.out, card.markdown);
        io.err(`Wrote the model card of ${card.version.model} v${card.version.version} (${card.version.shortCommit}) to ${values.out}`);
      } else if (values.json) io.out(JSON.stringify({ frontMatter: card.frontMatter, markdown: card.markdown }, null, 2));
      else io.out(card.markdown.replace(/\n$/, ''));
      return 0;
    });
  },
};
