import * as fs from 'fs';
import { formatBytes } from '../../core/formats/describe';
import { EXPORT_CARD, EXPORT_EVALUATIONS, exportVersion } from '../../core/lineage/modelCard';
import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';
import { splitSpec } from './show';

const usage = `usage: modelver export <model-file>[@<version>] DIR [--force] [--json] [-C DIR]

Write a version (default: the latest) to DIR, ready to hand over: the model's bytes (Git LFS
resolved, sha256 verified), ${EXPORT_CARD} (its model card, see \`modelver card\`: the file name the
Hugging Face Hub reads as a model card) and ${EXPORT_EVALUATIONS} (the recorded evaluations). The
working tree is not touched.

  <version>            vN, a commit id, a tag or an alias (e.g. models/a.onnx@v3, a.onnx@production)

options:
  --force              DIR may hold files already (the exported files are replaced, others kept)
  --json               print the files written, with their sha256, as JSON
${REPO_OPTIONS_HELP}`;

export const exportCommand = {
  summary: 'write a version, its model card and evaluations to a folder',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS, force: { type: 'boolean', short: 'f' } });
    needPositionals(positionals, 2, 2, positionals.length ? 'the folder to export to' : 'the model and version (e.g. models/a.onnx@v2) and the folder to export to');
    const [file, version] = fs.existsSync(fileArg(values, positionals[0])) ? [positionals[0], undefined] : splitSpec(positionals[0]);
    if (version === '') throw new UsageError(`no version after '@' in '${positionals[0]}'`);
    return repoErrors(async () => {
      const repo = await openRepo(values, file);
      const r = await exportVersion(repo, fileArg(values, file), version ?? 'latest', fileArg(values, positionals[1]), {
        force: !!values.force,
        onProgress: (p) => io.err(`downloading… ${formatBytes(p.bytes)} of ${formatBytes(p.total)}`),
      });
      if (values.json) io.out(JSON.stringify({ dir: r.dir, model: r.version.model, version: r.version.version, commit: r.version.commit, files: r.files }, null, 2));
      else {
        io.out(`Exported ${r.version.model} v${r.version.version} (${r.version.shortCommit}) to ${r.dir}:`);
        for (const f of r.files) io.out(`  ${f.name}  ${formatBytes(f.size)}  sha256 ${f.sha256}`);
      }
      return 0;
    });
  },
};
