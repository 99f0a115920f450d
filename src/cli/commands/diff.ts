import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { diffModels, renderMarkdown, renderText, type DiffInput } from '../../core/diff';
import { ModelFormatError } from '../../core/formats/errors';
import { RepoError } from '../../core/repo/errors';
import { CliError, UsageError } from '../errors';
import { splitVersionSpec } from '../versionSpec';
import type { CliIO } from '../main';

const usage = `usage: modelver diff <A> <B> [--json | --md] [--rows N] [-C DIR]

Compare two models: interface (inputs/outputs, breaking or not), header (IR version, opsets,
producer, metadata), graph (ops, nodes or layers added/removed/changed, parameter counts) and
weights (matched by name, then by content, so renamed tensors are recognized; changed tensors get
max |Δ|, ‖Δ‖₂, ‖Δ‖/‖A‖, cosine similarity and the fraction of changed elements).

  <A>, <B>      a model file, or <model-file>@<version> for a committed version:
                vN, latest, a tag, an alias, a branch or remote-tracking branch (its latest
                version of the model; name~N: the Nth before it) or a commit id
                (e.g. models/a.onnx@v3, a.onnx@production, a.onnx@experiment~1, a.onnx@origin/main)

options:
  --json        print the whole diff as JSON (for scripts and CI)
  --md          print Markdown (verdicts first, then tables), e.g. for a pull-request comment
  --rows N      most rows per table in text and Markdown (default 40)
  -C DIR        resolve paths as if started in DIR

exit status: 0 the models are the same, 1 they differ, 2 error`;

export { splitVersionSpec } from '../versionSpec';

async function resolveSide(arg: string, base: string, tmp: () => string, which: 'a' | 'b'): Promise<DiffInput> {
  const abs = path.resolve(base, arg);
  // a file whose name really contains '@' is taken as is
  if (fs.existsSync(abs)) return { file: abs, label: arg };
  const [file, spec] = splitVersionSpec(arg, base);
  if (spec === undefined) throw new CliError(`${arg} does not exist.`, 2);
  if (spec === '') throw new UsageError(`no version after '@' in '${arg}'`);
  const model = path.resolve(base, file);
  // the repository layer only for a committed version: diffing two files loads none of it (issue #12)
  const { ModelRepository } = await import('../../core/repo/index.js');
  const repo = await ModelRepository.open(model);
  const v = await repo.resolveVersion(model, spec);
  const out = path.join(tmp(), `${which}-v${v.version}-${path.basename(v.path)}`);
  await repo.readVersion(v, { out });
  return {
    file: out,
    label: `${file}@${spec}${spec === `v${v.version}` ? '' : ` (v${v.version}${v.branch ? ` on ${v.branch}` : ''})`}`,
    displayPath: repo.abs(v.path),
    version: { model: v.model, version: v.version, commit: v.commit, spec },
  };
}

export const diffCommand = {
  summary: 'compare two models or versions (interface, graph, weights)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        strict: true,
        options: { json: { type: 'boolean' }, md: { type: 'boolean' }, rows: { type: 'string' }, C: { type: 'string', short: 'C' } },
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length < 2) throw new UsageError(positionals.length ? 'missing the second model (B)' : 'missing the two models to compare');
    if (positionals.length > 2) throw new UsageError(`unexpected argument '${positionals[2]}'`);
    if (values.json && values.md) throw new UsageError('--json and --md cannot be used together');
    const rows = values.rows === undefined ? 40 : Number(values.rows);
    if (!Number.isInteger(rows) || rows < 0) throw new UsageError(`--rows must be a whole number, not '${values.rows}'`);
    const base = path.resolve(values.C ?? '.');

    let tmpDir: string | undefined;
    const tmp = () => (tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-diff-')));
    try {
      const a = await resolveSide(positionals[0], base, tmp, 'a');
      const b = await resolveSide(positionals[1], base, tmp, 'b');
      const d = await diffModels(a, b);
      if (values.json) io.out(JSON.stringify(d, null, 2));
      else if (values.md) io.out(renderMarkdown(d, { rows }));
      else io.out(renderText(d, { rows }));
      return d.same ? 0 : 1;
    } catch (e) {
      // like diff(1): 1 means "they differ", so every failure here is 2
      if (e instanceof UsageError) throw e;
      if (e instanceof CliError) throw e.exitCode === 2 ? e : new CliError(e.message, 2);
      if (e instanceof ModelFormatError || e instanceof RepoError) throw new CliError(e.message, 2);
      const err = e as Error;
      throw new CliError(`unexpected error: ${err?.stack ?? String(e)}`, 2);
    } finally {
      if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  },
};
