/**
 * `modelver find [<model-file>] [--metric 'accuracy>=0.88' …] [--dataset FILE] [--tag NAME] [--alias NAME]
 * [--author TEXT] [--since DATE] [--until DATE] [--text WORDS] [--format onnx|keras|…] [--breaking]
 * [--derived-from SPEC] [--json]`: the versions every filter matches (src/core/query).
 */
import * as fs from 'fs';
import { buildFindIndex, findVersions, formatQuery, FindQueryError, parseQueryTokens, type QueryToken } from '../../core/query';
import { CliError, UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors, versionJson, versionLine } from './repoCommon';

const usage = `usage: modelver find [<model-file>] [filters…] [--json [--pretty]] [-C DIR]

List the versions (of one model, or of every model) that match every filter given (AND).

filters (each may be repeated; every one must hold):
  --metric [DATASET:]NAME OP VALUE
                       a metric from the commit trailers (Model-Metrics) or a recorded evaluation;
                       OP: >= <= > < = != (quote it: --metric 'accuracy>=0.88'). When the metric was
                       measured on several datasets, name one: --metric 'test.csv:accuracy>=0.88'
                       (commit: the value recorded at commit, notes: a plain metrics note)
  --dataset FILE       trained on (lineage) or evaluated on FILE (a path, a file name, or sha256:HEX)
  --tag NAME           the version carries the tag NAME
  --alias NAME         the alias NAME points at the version now
  --author TEXT        the author's name or e-mail contains TEXT (any case)
  --since DATE         the version's date is DATE or later; --until DATE: DATE or earlier
                       (YYYY-MM-DD, a whole UTC day, or ISO 8601 such as 2026-11-01T09:30:00+01:00)
  --text WORDS         every word is in the commit message or the change record (any case)
  --format FORMAT      onnx, keras (keras-h5, keras-weights-h5, keras-v3), pytorch, torchscript,
                       safetensors, gguf, tflite
  --breaking           the change record says the interface changed incompatibly (Model-Breaking)
  --derived-from MODEL[@VERSION]
                       derived, through recorded lineage (directly or through other derived
                       versions), from that version (VERSION: vN, tag, alias, commit) or from any
                       version of MODEL

options:
  --json               the matching versions as JSON, with their commit ids
  --pretty             with --json: indent the JSON for reading
${REPO_OPTIONS_HELP}

Exit codes: 0 the query ran (also when nothing matched), 1 the repository could not be read,
2 a malformed filter or a name (metric, tag, alias, dataset, model) no version has.`;

const FIND_OPTIONS = {
  ...REPO_OPTIONS,
  pretty: { type: 'boolean' },
  metric: { type: 'string', multiple: true },
  dataset: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  alias: { type: 'string', multiple: true },
  author: { type: 'string', multiple: true },
  since: { type: 'string', multiple: true },
  until: { type: 'string', multiple: true },
  text: { type: 'string', multiple: true },
  format: { type: 'string', multiple: true },
  breaking: { type: 'boolean' },
  'derived-from': { type: 'string', multiple: true },
} as const;

export const findCommand = {
  summary: 'find the versions that match filters (metrics, tags, aliases, dates, lineage …)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, FIND_OPTIONS);
    needPositionals(positionals, 0, 1, 'the model file');
    if (values.pretty && !values.json) throw new UsageError('--pretty goes with --json');
    return repoErrors(async () => {
      const file = positionals[0];
      const repo = await openRepo(values, file);
      // paths the user gave are relative to where they are (or -C), like every other command's
      const repoPath = (p: string) => repo.rel(fileArg(values, p));
      const tokens: QueryToken[] = [];
      if (file !== undefined) tokens.push({ key: 'model', value: repoPath(file) });
      for (const m of values.metric ?? []) tokens.push({ key: 'metric', value: m });
      for (const d of values.dataset ?? []) {
        // a path (or a file here) as its repository path; a bare name that is no file here stays a file name
        const local = !/^sha256:/i.test(d) && d.trim() !== '' && (/[\\/]/.test(d) || fs.existsSync(fileArg(values, d)));
        tokens.push({ key: 'dataset', value: local ? repoPath(d) : d });
      }
      for (const t of values.tag ?? []) tokens.push({ key: 'tag', value: t });
      for (const a of values.alias ?? []) tokens.push({ key: 'alias', value: a });
      for (const a of values.author ?? []) tokens.push({ key: 'author', value: a });
      for (const s of values.since ?? []) tokens.push({ key: 'since', value: s });
      for (const u of values.until ?? []) tokens.push({ key: 'until', value: u });
      for (const w of values.text ?? []) tokens.push({ key: 'text', value: w });
      for (const f of values.format ?? []) tokens.push({ key: 'format', value: f });
      if (values.breaking) tokens.push({ key: 'breaking', value: '' });
      for (const d of values['derived-from'] ?? []) {
        const at = d.lastIndexOf('@');
        if (at === 0 || !d.trim()) throw new UsageError(`--derived-from '${d}': give MODEL or MODEL@VERSION, e.g. models/base.onnx@v2`);
        const model = at > 0 ? d.slice(0, at) : d;
        tokens.push({ key: 'derived-from', value: repoPath(model) + (at > 0 ? d.slice(at) : '') });
      }
      try {
        const query = parseQueryTokens(tokens);
        // NO_SUCH_MODEL, with its hint
        const scoped = file !== undefined ? (await repo.history(fileArg(values, file))).versions.length : undefined;
        const index = buildFindIndex((await repo.histories()).values());
        const matches = findVersions(index, query, { metricFlag: '--metric ' });
        if (values.json) {
          const doc = {
            repository: repo.root,
            query: formatQuery(query),
            searched: scoped ?? index.entries.length,
            count: matches.length,
            versions: matches.map((m) => ({ ...versionJson(m.version), matched: { metrics: m.metrics } })),
          };
          io.out(values.pretty ? JSON.stringify(doc, null, 2) : JSON.stringify(doc));
          return 0;
        }
        const searched = scoped ?? index.entries.length;
        if (!matches.length) {
          io.out(`No version matches ${formatQuery(query) || 'the query'} (${searched} searched).`);
          return 0;
        }
        let model = '';
        for (const m of [...matches].sort((a, b) => (a.version.model < b.version.model ? -1 : a.version.model > b.version.model ? 1 : b.version.version - a.version.version))) {
          if (m.version.model !== model) {
            model = m.version.model;
            io.out(model);
          }
          const vals = Object.entries(m.metrics).map(([k, x]) => `${k}=${x}`);
          io.out('  ' + versionLine(m.version) + (vals.length ? `  [${vals.join(', ')}]` : ''));
        }
        io.out(`${matches.length} of ${searched} version${searched === 1 ? '' : 's'} match${matches.length === 1 ? 'es' : ''}.`);
        return 0;
      } catch (e) {
        if (e instanceof FindQueryError) throw new CliError(e.message, 2);
        throw e;
      }
    });
  },
};
