import * as fs from 'fs';
import { formatBytes } from '../../core/formats/describe';
import { UsageError } from '../errors';
import { formatMetricsTrailer, mergeMetrics, METRICS_TRAILER, MetricInputError, parseMetricArg, parseMetricsJson } from '../../core/lineage/metricHistory';
import type { CliIO } from '../main';
import { lineageInputOf, LINEAGE_OPTIONS, LINEAGE_HELP, printLineage } from './lineage';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';

const usage = `usage: modelver commit <model-file> -m <message> [--metric NAME=VALUE]… [--metrics FILE.json]
       [--derived-from MODEL@VERSION] [--dataset PATH[:ROLE]]… [--params FILE.json|.yaml]
       [--code-commit REV] [--no-summary] [--force] [--clear-stale-lock] [--json] [-C DIR]

Commit one model file as a new version (through Git LFS). Only that file is committed (plus
.gitattributes when the LFS rule for it had to be added); anything else you staged stays staged
and uncommitted. Hooks run as for \`git commit\`. The message gets trailers: Model-Path,
Model-Oid, Model-Size and, for ONNX/Keras files, Model-Format, Model-Params, Model-Inputs,
Model-Outputs; with --metric/--metrics also Model-Metrics (shown by the History panel).
An .onnx/.h5/.hdf5/.keras file that does not parse is refused (say why) unless --force.
A Hugging Face sharded model's folder (holding *.safetensors.index.json; or its index or a shard)
is committed whole: shards (through Git LFS), index, config.json, tokenizer files, in one commit.
Warnings (a detached HEAD, a forced file) go to stderr.

options:
  -m, --message MSG    the message (repeat for more paragraphs)
  --metric NAME=VALUE  record a metric of this version (repeat), e.g. --metric accuracy=0.93
  --metrics FILE.json  record the metrics of a JSON object {"accuracy": 0.93, "f1": 0.9}
${LINEAGE_HELP}
  --no-summary         do not record parameters and inputs/outputs (the file is still checked)
  --force              commit an .onnx/.h5/.keras file even though it does not parse
  --clear-stale-lock   first remove .git/index.lock when a killed git process left it
                       (refused while a git process works in the repository)
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
      force: { type: 'boolean' },
      'clear-stale-lock': { type: 'boolean' },
      metric: { type: 'string', multiple: true },
      metrics: { type: 'string' },
      ...LINEAGE_OPTIONS,
    });
    needPositionals(positionals, 1, 1, 'the model file');
    const msgs = values.message ?? [];
    if (!msgs.length || !msgs.join('').trim()) throw new UsageError('missing the message: -m "what changed"');
    const metrics = metricsOf(values.metric ?? [], values.metrics, values);
    return repoErrors(async () => {
      const file = fileArg(values, positionals[0]);
      const repo = await openRepo(values, positionals[0]);
      const lineage = lineageInputOf(values, repo);
      const r = await repo.commitModel(file, msgs.join('\n\n'), {
        summarize: !values['no-summary'],
        force: !!values.force,
        clearStaleLock: !!values['clear-stale-lock'],
        ...(lineage ? { lineage } : {}),
        ...(Object.keys(metrics).length ? { trailers: { [METRICS_TRAILER]: formatMetricsTrailer(metrics) } } : {}),
      });
      for (const w of r.warnings) io.err(`warning: ${w}`);
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(`Committed ${r.model} as v${r.version} (${r.shortCommit}): sha256 ${r.oid.slice(0, 12)}…, ${formatBytes(r.size)}`);
        if (r.attributesChanged) io.out(`(.gitattributes now tracks it with Git LFS; that change is in the same commit)`);
        if (r.lineage) printLineage(r.lineage, io);
      }
      return 0;
    });
  },
};

/** --metric NAME=VALUE (repeated) and --metrics FILE.json, checked and merged (a name given twice with two values is refused). */
function metricsOf(args: string[], file: string | undefined, values: { C?: string; repo?: string }): Record<string, number> {
  try {
    const lists: Record<string, number>[] = [];
    if (file !== undefined) {
      const abs = fileArg(values, file);
      let text: string;
      try {
        text = fs.readFileSync(abs, 'utf8');
      } catch (e) {
        throw new MetricInputError(`--metrics ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a JSON file like {"accuracy": 0.93}.`);
      }
      lists.push(parseMetricsJson(text, `--metrics ${file}`));
    }
    return mergeMetrics(...lists, args.map(parseMetricArg));
  } catch (e) {
    if (e instanceof MetricInputError) throw new UsageError(e.message);
    throw e;
  }
}
