/**
 * Model cards and hand-over exports of one version (issue #16).
 *
 * The card follows the Hugging Face layout (https://huggingface.co/docs/hub/model-cards): YAML front
 * matter — `tags`, `metrics` and `model-index` (one result per recorded evaluation dataset:
 * `{task: {type, name}, dataset: {name, type, args}, metrics: [{type, value, name}]}`) plus a
 * `model_versions` block of the version's identity — then Markdown: the interface, the change record,
 * the lineage, tags and aliases, and the evaluation results with their intervals. Everything comes
 * from what the repository recorded (commit trailers, notes, the alias log); nothing is recomputed.
 * The front matter is written by js-yaml (every string quoted where YAML needs it); every model string
 * in the Markdown is escaped.
 *
 * exportVersion writes a folder to hand over: the model's bytes (Git LFS resolved, sha256 verified),
 * README.md (the card: the file name the Hugging Face Hub reads as a model card) and evaluations.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { formatBytes } from '../formats/describe';
import { RepoError, parseMessage, sha256File, type ModelRepository, type ModelVersion, type VersionSpec } from '../repo';
import { trailerMetrics } from './metricHistory';
import { lineageFromTrailers } from './record';

/** The file names of an export (the card is README.md: what the Hugging Face Hub shows as the model card). */
export const EXPORT_CARD = 'README.md';
export const EXPORT_EVALUATIONS = 'evaluations.json';

/** One recorded evaluation of a version (the notes' `evaluations[key]`, see core/eval/evaluate.ts evaluationNote). */
export interface CardEvaluation {
  key: string;
  dataset: { file: string; sha256: string; rows?: number; label?: string };
  task?: string;
  metrics: Record<string, number>;
  /** per metric: the 95% interval over `cvFolds` resampled folds of the test set */
  cv: Record<string, { mean?: number; std?: number; ci95: [number, number] }>;
  cvFolds?: number;
  provider?: string;
  date?: string;
}

export interface ModelCard {
  markdown: string;
  /** the front matter as an object (what the YAML says) */
  frontMatter: Record<string, unknown>;
  version: ModelVersion;
  evaluations: CardEvaluation[];
  /** metrics recorded at commit time (the Model-Metrics trailer) */
  commitMetrics: Record<string, number>;
}

const isPlain = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The evaluations recorded in a version's notes, oldest first; malformed entries are skipped. */
export function recordedEvaluations(metadata: Record<string, unknown> | undefined): CardEvaluation[] {
  const out: CardEvaluation[] = [];
  if (!metadata || !isPlain(metadata.evaluations)) return out;
  for (const [key, e] of Object.entries(metadata.evaluations)) {
    if (!isPlain(e) || !isPlain(e.dataset) || !isPlain(e.metrics)) continue;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(e.metrics)) if (num(v)) metrics[k] = v;
    const cv: CardEvaluation['cv'] = {};
    if (isPlain(e.cv)) {
      for (const [k, c] of Object.entries(e.cv)) {
        if (isPlain(c) && Array.isArray(c.ci95) && c.ci95.length === 2 && c.ci95.every(num)) {
          cv[k] = { ...(num(c.mean) ? { mean: c.mean } : {}), ...(num(c.std) ? { std: c.std } : {}), ci95: [c.ci95[0] as number, c.ci95[1] as number] };
        }
      }
    }
    const d = e.dataset;
    out.push({
      key,
      dataset: {
        file: typeof d.file === 'string' ? d.file : '(dataset)',
        sha256: typeof d.sha256 === 'string' ? d.sha256 : '',
        ...(num(d.rows) ? { rows: d.rows } : {}),
        ...(typeof d.label === 'string' ? { label: d.label } : {}),
      },
      ...(typeof e.task === 'string' ? { task: e.task } : {}),
      metrics,
      cv,
      ...(num(e.cvFolds) ? { cvFolds: e.cvFolds } : {}),
      ...(typeof e.provider === 'string' ? { provider: e.provider } : {}),
      ...(typeof e.date === 'string' ? { date: e.date } : {}),
    });
  }
  return out.sort((a, b) => String(a.date ?? '').localeCompare(String(b.date ?? '')));
}

/** Markdown text: every Markdown character escaped, line breaks made spaces. */
export function mdText(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (c) => '\\' + c);
}

/** An inline code span showing `s` exactly (a longer fence around backticks; `|` escaped for tables). */
export function mdCode(s: string): string {
  const text = s.replace(/[\r\n]+/g, ' ');
  if (!text) return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

const TASKS: Record<string, { type: string; name: string }> = {
  binary: { type: 'tabular-classification', name: 'Binary classification' },
  multiclass: { type: 'tabular-classification', name: 'Multiclass classification' },
  regression: { type: 'tabular-regression', name: 'Regression' },
};

const METRIC_NAMES: Record<string, string> = {
  accuracy: 'Accuracy',
  balancedAccuracy: 'Balanced accuracy',
  precisionMacro: 'Precision (macro)',
  recallMacro: 'Recall (macro)',
  f1Macro: 'F1 (macro)',
  precision: 'Precision',
  recall: 'Recall',
  f1: 'F1',
  logLoss: 'Log loss',
  rocAuc: 'ROC AUC',
  mse: 'Mean squared error',
  rmse: 'Root mean squared error',
  mae: 'Mean absolute error',
  r2: 'R²',
};
const metricName = (k: string) => METRIC_NAMES[k] ?? k;
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6))));

/** The model card of one version (see the module comment). */
export async function buildModelCard(repo: ModelRepository, model: string, spec: VersionSpec = 'latest'): Promise<ModelCard> {
  const v = await repo.resolveVersion(model, spec);
  const h = await repo.history(v.model).catch(() => undefined);
  // the metadata and the aliases hang on the history's copy (resolveVersion of an outside commit has them too)
  const hv = h?.versions.find((x) => x.commit === v.commit) ?? v;
  const evaluations = recordedEvaluations(hv.metadata);
  const commitMetrics = trailerMetrics(v.message, v.trailers);
  const parsed = parseMessage(v.message, v);
  const lineage = lineageFromTrailers(v.recorded ?? parsed.recorded);
  const t = v.trailers;
  const name = `${v.model} v${v.version}`;

  // ---- front matter
  const results = evaluations.map((e) => ({
    task: TASKS[e.task ?? ''] ?? { type: 'other', name: e.task ?? 'Evaluation' },
    dataset: {
      name: e.dataset.file,
      type: e.dataset.file,
      args: { sha256: e.dataset.sha256, ...(e.dataset.label !== undefined ? { label: e.dataset.label } : {}), ...(e.dataset.rows !== undefined ? { rows: e.dataset.rows } : {}) },
    },
    metrics: Object.entries(e.metrics).map(([k, value]) => ({ type: k, value, name: metricName(k) })),
  }));
  const metricIds = [...new Set([...evaluations.flatMap((e) => Object.keys(e.metrics)), ...Object.keys(commitMetrics)])];
  const fm: Record<string, unknown> = {
    tags: ['model-versions', ...(t['Model-Format'] ? [t['Model-Format'].toLowerCase()] : []), ...hv.tags.map((x) => x.name)],
    ...(metricIds.length ? { metrics: metricIds } : {}),
    ...(results.length ? { 'model-index': [{ name, results }] } : {}),
    model_versions: {
      model: v.model,
      path: v.path,
      version: v.version,
      commit: v.commit,
      content: v.contentId,
      size: v.size,
      date: v.date,
      author: `${v.author.name} <${v.author.email}>`,
      aliases: hv.aliases,
      tags: hv.tags.map((x) => x.name),
      ...(lineage.derivedFrom ? { derived_from: `${lineage.derivedFrom.path}@${lineage.derivedFrom.commit}` } : {}),
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('js-yaml') as typeof import('js-yaml');
  const front = yaml.dump(fm, { noRefs: true, lineWidth: -1, sortKeys: false });

  // ---- Markdown
  const md: string[] = [`# ${mdText(name)}`, ''];
  md.push(`${mdText(parsed.subject)}`, '');
  if (parsed.body.trim()) md.push(...parsed.body.trim().split('\n').map((l) => mdText(l) + '  '), '');
  md.push('## Model details', '');
  md.push(`- **File:** ${mdCode(v.path)}${v.path !== v.model ? ` (now ${mdCode(v.model)})` : ''}`);
  md.push(`- **Version:** v${v.version}, commit ${mdCode(v.commit)}`);
  md.push(`- **Committed:** ${mdText(v.date)} by ${mdText(v.author.name)} ${mdCode(`<${v.author.email}>`)}`);
  md.push(`- **Content:** ${mdCode(v.contentId)}, ${mdText(formatBytes(v.size))} (${v.size} bytes)${v.lfs ? ', stored with Git LFS' : ''}`);
  if (t['Model-Format']) md.push(`- **Format:** ${mdText(t['Model-Format'])}`);
  if (t['Model-Params']) md.push(`- **Parameters:** ${mdText(t['Model-Params'])}`);
  md.push('');

  md.push('## Interface', '');
  const io = (label: string, list?: string) => {
    if (!list) return;
    md.push(`**${label}**`, '', '| Name | Type | Shape |', '| --- | --- | --- |');
    for (const item of splitIo(list)) md.push(`| ${mdCode(item.name)} | ${mdCode(item.dtype)} | ${item.shape ? mdCode(item.shape) : '—'} |`);
    md.push('');
  };
  if (t['Model-Inputs'] || t['Model-Outputs']) {
    io('Inputs', t['Model-Inputs']);
    io('Outputs', t['Model-Outputs']);
  } else md.push('Not recorded at commit (the file was not read, or the commit was made without Model Versions).', '');

  md.push('## Change record', '');
  if (t['Model-Change']) md.push(`- **Change:** ${mdText(t['Model-Change'])}`);
  if (t['Model-Breaking'] === 'true') md.push('- **Breaking:** yes — the interface changed incompatibly');
  if (t['Model-Revert-Of']) md.push(`- **Reverts to:** ${mdCode(t['Model-Revert-Of'])}`);
  md.push(`- **Change kind:** ${v.change}${v.previousPath ? ` (from ${mdCode(v.previousPath)})` : ''}`);
  if (!t['Model-Change'] && v.version === 1) md.push('- First version: nothing to compare with.');
  md.push('');

  md.push('## Lineage', '');
  let any = false;
  if (lineage.derivedFrom) {
    const base = (await repo.history(lineage.derivedFrom.path).catch(() => undefined))?.versions.find((x) => x.commit === lineage.derivedFrom!.commit);
    md.push(`- **Derived from:** ${mdCode(lineage.derivedFrom.path)}${base ? ` v${base.version}` : ''} (${mdCode(lineage.derivedFrom.commit.slice(0, 12))})`);
    any = true;
  }
  for (const d of lineage.datasets) {
    md.push(`- **Dataset (${mdText(d.role)}):** ${mdCode(d.path)}, sha256 ${mdCode(d.sha256)}`);
    any = true;
  }
  if (lineage.codeCommit) {
    md.push(`- **Code:** commit ${mdCode(lineage.codeCommit)}`);
    any = true;
  }
  if (lineage.params && Object.keys(lineage.params).length) {
    md.push('- **Training parameters:**');
    for (const [k, p] of Object.entries(lineage.params)) md.push(`  - ${mdCode(k)}: ${mdCode(JSON.stringify(p))}`);
    any = true;
  }
  if (!any) md.push('No lineage recorded for this version.');
  md.push('');

  md.push('## Tags and aliases', '');
  md.push(`- **Tags:** ${hv.tags.length ? hv.tags.map((x) => mdCode(x.name)).join(', ') : 'none'}`);
  md.push(`- **Aliases:** ${hv.aliases.length ? hv.aliases.map((a) => mdCode(a)).join(', ') : 'none'}`);
  md.push('');

  md.push('## Evaluation results', '');
  if (Object.keys(commitMetrics).length) {
    md.push('Recorded at commit (dataset not recorded):', '', '| Metric | Value |', '| --- | --- |');
    for (const [k, x] of Object.entries(commitMetrics)) md.push(`| ${mdText(metricName(k))} | ${fmt(x)} |`);
    md.push('');
  }
  for (const e of evaluations) {
    const task = TASKS[e.task ?? '']?.name ?? e.task ?? 'evaluation';
    md.push(
      `### ${mdText(e.dataset.file)}`,
      '',
      `${mdText(task)}${e.dataset.label !== undefined ? `, label column ${mdCode(e.dataset.label)}` : ''}${e.dataset.rows !== undefined ? `, ${e.dataset.rows} rows` : ''}; dataset sha256 ${mdCode(e.dataset.sha256)}${e.date ? `; evaluated ${mdText(e.date)}` : ''}${e.provider ? ` on ${mdText(e.provider)}` : ''}.`,
      '',
    );
    const folds = e.cvFolds && e.cvFolds >= 2 ? e.cvFolds : undefined;
    md.push(`| Metric | Value | 95% interval${folds ? ` (${folds} resampled folds of the test set)` : ''} |`, '| --- | --- | --- |');
    for (const [k, x] of Object.entries(e.metrics)) {
      const c = e.cv[k];
      md.push(`| ${mdText(metricName(k))} | ${fmt(x)} | ${c ? `${fmt(c.ci95[0])} – ${fmt(c.ci95[1])}` : '—'} |`);
    }
    md.push('');
  }
  if (!evaluations.length && !Object.keys(commitMetrics).length) md.push('No evaluation recorded for this version (`modelver evaluate <model>@<version> --record`).', '');
  md.push('---', '', `*Generated by Model Versions from the repository's records of ${mdCode(v.commit.slice(0, 12))}.*`, '');

  return { markdown: `---\n${front}---\n\n${md.join('\n')}`, frontMatter: fm, version: v, evaluations, commitMetrics };
}

/** `name:dtype[1,3,?]` items of a Model-Inputs / Model-Outputs trailer (names may hold ':' and ','). */
export function splitIo(list: string): { name: string; dtype: string; shape?: string }[] {
  const out: { name: string; dtype: string; shape?: string }[] = [];
  // items end with `]` or a dtype word; split on ', ' outside brackets
  let depth = 0;
  let cur = '';
  const items: string[] = [];
  for (const ch of list) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      items.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur) items.push(cur);
  for (const raw of items.map((s) => s.trim()).filter(Boolean)) {
    const m = /^(.*):([^:[\]]*)(\[[^\]]*\])?$/.exec(raw);
    if (m) out.push({ name: m[1], dtype: m[2], ...(m[3] ? { shape: m[3] } : {}) });
    else out.push({ name: raw, dtype: '?' });
  }
  return out;
}

export interface ExportResult {
  dir: string;
  version: ModelVersion;
  /** each file written, relative to `dir`, with its sha256 (a folder model's files: under its folder) */
  files: { name: string; sha256: string; size: number }[];
}

/**
 * Write a version to `dir` to hand over: the model (LFS resolved, sha256 verified), README.md (the
 * model card) and evaluations.json. A `dir` that exists and is not empty is refused unless `force`
 * (then only these files are replaced).
 */
export async function exportVersion(
  repo: ModelRepository,
  model: string,
  spec: VersionSpec,
  dir: string,
  opts: { force?: boolean; onProgress?: (p: { bytes: number; total: number }) => void } = {},
): Promise<ExportResult> {
  const abs = path.resolve(dir);
  if (fs.existsSync(abs)) {
    if (!fs.statSync(abs).isDirectory()) throw new RepoError('NOT_FOUND', `${abs} is a file, not a folder: give a new or empty folder to export to.`);
    if (fs.readdirSync(abs).length && !opts.force) {
      throw new RepoError('DIR_NOT_EMPTY', `${abs} is not empty: give a new or empty folder, or --force to replace the exported files in it.`);
    }
  }
  const card = await buildModelCard(repo, model, spec);
  const v = card.version;
  fs.mkdirSync(abs, { recursive: true });
  const modelName = path.posix.basename(v.path);
  const modelOut = path.join(abs, modelName);
  if (opts.force) fs.rmSync(modelOut, { recursive: true, force: true });
  await repo.readVersionBytes(model, spec, { out: modelOut, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  fs.writeFileSync(path.join(abs, EXPORT_CARD), card.markdown);
  const evaluationsJson = {
    schema: 1,
    model: v.model,
    path: v.path,
    version: v.version,
    commit: v.commit,
    content: v.contentId,
    commitMetrics: card.commitMetrics,
    evaluations: card.evaluations,
  };
  fs.writeFileSync(path.join(abs, EXPORT_EVALUATIONS), JSON.stringify(evaluationsJson, null, 2) + '\n');
  const files: ExportResult['files'] = [];
  const add = async (rel: string) => {
    const p = path.join(abs, rel);
    const { oid, size } = await sha256File(p);
    files.push({ name: rel.split(path.sep).join('/'), sha256: oid, size });
  };
  if (fs.statSync(modelOut).isDirectory()) for (const f of fs.readdirSync(modelOut).sort()) await add(path.join(modelName, f));
  else await add(modelName);
  await add(EXPORT_CARD);
  await add(EXPORT_EVALUATIONS);
  return { dir: abs, version: v, files };
}
