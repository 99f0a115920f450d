import * as fs from 'fs';
import * as path from 'path';
import { formatBytes } from '../../core/formats/describe';
import { CliError, UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, baseDir, fileArg, needPositionals, openRepo, parse, repoErrors, type RepoCliIO } from './repoCommon';
import { splitVersionSpec } from '../versionSpec';

const usage = `usage: modelver show <model-file>[@<version>] [--out PATH] [-C DIR]

Write the bytes of a version of a model (default: the latest) to PATH, or to standard output
when that is not a terminal. The working tree is not touched. Content that is not in the local
Git LFS store is downloaded through git-lfs; its sha256 is always verified.

  <version>            vN, latest~N, a commit id, a tag, an alias, a branch (name, name~N, remote/name)
                       (e.g. models/a.onnx@v3, a.onnx@production, a.onnx@experiment~1)

options:
  --out PATH           write to this file
${REPO_OPTIONS_HELP}`;

/** 'models/a.onnx@v3' → ['models/a.onnx', 'v3'] (spec.ts). */
export const splitSpec = (arg: string, base?: string): [string, string | undefined] => splitVersionSpec(arg, base);

export const showCommand = {
  summary: 'write the bytes of a version (to a file or stdout)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS, out: { type: 'string', short: 'o' } });
    needPositionals(positionals, 1, 1, 'the model file (e.g. models/a.onnx@v2)');
    // a file whose name really contains '@' is taken as is
    const [file, version] = fs.existsSync(fileArg(values, positionals[0])) ? [positionals[0], undefined] : splitSpec(positionals[0], baseDir(values));
    if (version === '') throw new UsageError(`no version after '@' in '${positionals[0]}'`);
    const stdout = (io as RepoCliIO).stdout ?? process.stdout;
    if (!values.out && stdout.isTTY) {
      throw new CliError('refusing to write a binary model to the terminal: use --out PATH or redirect the output (> file).', 2);
    }
    return repoErrors(async () => {
      const repo = await openRepo(values, file);
      const progress = (p: { bytes: number; total: number }) => io.err(`downloading… ${formatBytes(p.bytes)} of ${formatBytes(p.total)}`);
      if (values.out) {
        const r = await repo.readVersionBytes(fileArg(values, file), version ?? 'latest', { out: values.out, onProgress: progress });
        const v = await repo.resolveVersion(fileArg(values, file), version ?? 'latest');
        const id = v.files ? `${v.files.length} files, ${r.oid.slice(0, 18)}…` : `sha256 ${r.oid.slice(0, 12)}…`;
        io.err(`Wrote v${v.version} of ${v.model} (${v.shortCommit}, ${formatBytes(r.size)}, ${id}) to ${r.file}`);
        return 0;
      }
      const v = await repo.resolveVersion(fileArg(values, file), version ?? 'latest');
      if (v.files) {
        throw new UsageError(`${v.model} is a folder model (${v.files.length} files): give --out FOLDER (a new folder) to write the files of v${v.version} there.`);
      }
      const r = await repo.readVersionBytes(fileArg(values, file), version ?? 'latest', { onProgress: progress });
      try {
        let onError: ((e: NodeJS.ErrnoException) => void) | undefined;
        await new Promise<void>((resolve, reject) => {
          const s = fs.createReadStream(r.file, { highWaterMark: 1 << 20 });
          // the reader went away (`| head`): stop quietly, as git does
          onError = (e) => {
            s.destroy();
            if (e.code === 'EPIPE') resolve();
            else reject(e);
          };
          stdout.on('error', onError);
          s.on('error', reject);
          s.on('end', () => resolve());
          s.pipe(stdout, { end: false });
        }).finally(() => {
          if (onError) stdout.removeListener('error', onError);
        });
      } finally {
        fs.rmSync(path.dirname(r.file), { recursive: true, force: true });
      }
      return 0;
    });
  },
};
