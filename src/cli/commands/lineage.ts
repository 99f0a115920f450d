/**
 * `modelver lineage [MODEL] [--json | --dot | --mermaid]`, and the lineage options of `modelver commit`
 * (--derived-from, --dataset, --params, --code-commit).
 */
import { lineageGraph, readParamsFile, renderDot, renderMermaid, renderText, type LineageInput, type LineageRecorded } from '../../core/lineage';
import type { ModelRepository } from '../../core/repo';
import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';

export const LINEAGE_OPTIONS = {
  'derived-from': { type: 'string' },
  dataset: { type: 'string', multiple: true },
  params: { type: 'string' },
  'code-commit': { type: 'string' },
} as const;

export const LINEAGE_HELP = `  --derived-from MODEL@VERSION
                       the version this one was fine-tuned from (VERSION: vN, tag, alias, commit; default latest)
  --dataset PATH[:ROLE]
                       data used (repeat), recorded with its sha256; ROLE: train, validation, test, … (default data)
  --params FILE        training parameters, a JSON or YAML (.yaml/.yml) object (at most 4 KiB as JSON)
  --code-commit REV    the code commit the model was produced from (default: HEAD)`;

const ROLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/** The LineageInput given on the command line, or undefined when no lineage option was used. */
export function lineageInputOf(
  values: { C?: string; repo?: string; 'derived-from'?: string; dataset?: string[]; params?: string; 'code-commit'?: string },
  repo: ModelRepository,
): LineageInput | undefined {
  const out: LineageInput = {};
  let any = false;
  const df = values['derived-from'];
  if (df !== undefined) {
    any = true;
    const at = df.lastIndexOf('@');
    const model = (at > 0 ? df.slice(0, at) : df).trim();
    const version = at > 0 ? df.slice(at + 1).trim() : '';
    if (!model || at === 0) throw new UsageError(`--derived-from ${df}: give MODEL@VERSION, e.g. models/base.onnx@v2`);
    out.derivedFrom = { model: repo.rel(fileArg(values, model)), version: version || 'latest' };
  }
  if (values.dataset?.length) {
    any = true;
    out.datasets = values.dataset.map((d) => {
      const c = d.lastIndexOf(':');
      const role = c > 0 ? d.slice(c + 1) : '';
      const [p, r] = c > 0 && ROLE.test(role) ? [d.slice(0, c), role] : [d, undefined];
      if (!p.trim()) throw new UsageError(`--dataset ${d}: give PATH[:ROLE], e.g. data/train.csv:train`);
      return { path: repo.rel(fileArg(values, p)), ...(r ? { role: r } : {}) };
    });
  }
  if (values.params !== undefined) {
    any = true;
    out.params = readParamsFile(fileArg(values, values.params));
  }
  if (values['code-commit'] !== undefined) {
    any = true;
    out.codeCommit = values['code-commit'];
  }
  return any ? out : undefined;
}

/** What a commit recorded, for people (warnings on stderr). */
export function printLineage(l: LineageRecorded, io: CliIO): void {
  if (l.derivedFromVersion) io.out(`  derived from ${l.derivedFromVersion.model} v${l.derivedFromVersion.version} (${l.derivedFromVersion.shortCommit})`);
  for (const d of l.datasets) io.out(`  ${d.role}: ${d.path} sha256:${d.sha256.slice(0, 12)}…`);
  if (l.codeCommit) io.out(`  code: ${l.codeCommit.slice(0, 7)}`);
  if (l.params) io.out(`  params: ${JSON.stringify(l.params)}`);
  for (const w of l.warnings) io.err(`warning: ${w}`);
}

const usage = `usage: modelver lineage [<model-file>] [--json | --dot | --mermaid] [-C DIR]

The lineage graph: every version of every model (or of one model and the models it was derived
from or that were derived from it), with their datasets, code commits and recorded evaluations.
Edges: parent (previous version), derived-from, trained-on, built-from, evaluated, evaluated-on.

options:
  --json               nodes and edges as JSON
  --dot                Graphviz DOT (\`modelver lineage --dot | dot -Tsvg > lineage.svg\`)
  --mermaid            a Mermaid flowchart (paste into Markdown: a \`\`\`mermaid block)
${REPO_OPTIONS_HELP}`;

export const lineageCommand = {
  summary: 'the lineage graph of the models (text, --json, --dot, --mermaid)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...REPO_OPTIONS, dot: { type: 'boolean' }, mermaid: { type: 'boolean' } });
    needPositionals(positionals, 0, 1, 'the model file');
    const formats = (['json', 'dot', 'mermaid'] as const).filter((f) => values[f]);
    if (formats.length > 1) throw new UsageError(`--${formats.join(' and --')} are exclusive: pick one output format`);
    return repoErrors(async () => {
      const file = positionals[0];
      const repo = await openRepo(values, file);
      const g = await lineageGraph(repo, file !== undefined ? { model: fileArg(values, file) } : {});
      if (values.json) io.out(JSON.stringify(g, null, 2));
      else if (values.dot) io.out(renderDot(g).trimEnd());
      else if (values.mermaid) io.out(renderMermaid(g).trimEnd());
      else io.out(renderText(g));
      return 0;
    });
  },
};
