/**
 * Metric history: each metric of one model over its versions.
 *
 * Two sources, both plain git (docs/storage.md):
 * - metrics recorded at commit time, the `Model-Metrics: accuracy=0.93, f1=0.9` trailer (written by
 *   `modelver commit --metric/--metrics` and the extension's commit command; `Model-Metric: name=value`
 *   lines, one per metric, are read too);
 * - evaluations recorded later in the notes (`evaluations[key]`, see core/eval/evaluate.ts
 *   evaluationNote), grouped by dataset (sha256 + file name + label column) so that points measured on
 *   different datasets are never joined in one line; a plain `metrics` object in a note without any
 *   recorded evaluation (written by hand or by another tool) is a third, "notes" series.
 *
 * Everything is computed from one ModelHistory (one cached history pass + one notes read, which
 * ModelRepository.history() does): linear in versions × metrics.
 */
import type { ModelHistory, ModelRepository, ModelVersion } from '../repo';
import { parseTrailers } from '../repo/trailers';

/** The trailer that records metrics at commit time. */
export const METRICS_TRAILER = 'Model-Metrics';
/** One metric per line (read, not written). */
export const METRIC_TRAILER = 'Model-Metric';

/** A metric name: a letter, then letters, digits, `_`, `.`, `-` (64 characters at most). */
export const METRIC_NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export class MetricInputError extends Error {
  override name = 'MetricInputError';
}

/** Parses one `name=value` (the CLI's --metric). Throws MetricInputError saying what is wrong. */
export function parseMetricArg(text: string): [string, number] {
  const eq = text.indexOf('=');
  if (eq < 0) throw new MetricInputError(`--metric '${text}': expected name=value, e.g. --metric accuracy=0.93`);
  const name = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  checkName(name, `--metric '${text}'`);
  return [name, parseValue(raw, `--metric '${text}'`)];
}

/** `accuracy=0.93, f1=0.9` (commas, semicolons or spaces between items) as typed in a prompt; '' gives {}. */
export function parseMetricList(text: string): Record<string, number> {
  const items = text.split(/[,;\s]+/).filter(Boolean);
  return mergeMetrics(
    items.map((item) => {
      const eq = item.indexOf('=');
      if (eq < 0) throw new MetricInputError(`'${item}': expected name=value, e.g. accuracy=0.93`);
      const name = item.slice(0, eq);
      checkName(name, `'${item}'`);
      return [name, parseValue(item.slice(eq + 1), `'${item}'`)] as [string, number];
    }),
  );
}

/** `{ "accuracy": 0.93, "f1": 0.9 }` (or `{ "metrics": { … } }`) from a --metrics JSON file's text. */
export function parseMetricsJson(text: string, file: string): Record<string, number> {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new MetricInputError(`${file} is not valid JSON (${(e as Error).message}); write an object like {"accuracy": 0.93, "f1": 0.9}.`);
  }
  if (isPlain(j) && Object.keys(j).length === 1 && isPlain(j.metrics)) j = j.metrics;
  if (!isPlain(j)) throw new MetricInputError(`${file} must hold a JSON object of metric names to numbers, e.g. {"accuracy": 0.93, "f1": 0.9}.`);
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(j)) {
    checkName(name, file);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MetricInputError(`${file}: metric '${name}' is ${JSON.stringify(v) ?? String(v)}; every metric must be a finite number.`);
    }
    out[name] = v;
  }
  return out;
}

/**
 * Merges metric lists; the same name twice with different values is an error (the same value twice
 * is fine). Returns a new object (insertion order kept).
 */
export function mergeMetrics(...lists: (Record<string, number> | [string, number][])[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lists) {
    for (const [k, v] of Array.isArray(l) ? l : Object.entries(l)) {
      if (k in out && out[k] !== v) throw new MetricInputError(`metric '${k}' is given twice (${out[k]} and ${v}); give it once.`);
      out[k] = v;
    }
  }
  return out;
}

/** The `Model-Metrics` trailer value: `accuracy=0.93, f1=0.9` (names checked, values finite). */
export function formatMetricsTrailer(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => {
      checkName(k, 'metrics');
      if (!Number.isFinite(v)) throw new MetricInputError(`metric '${k}' is ${v}; every metric must be a finite number.`);
      return `${k}=${String(v)}`;
    })
    .join(', ');
}

/** Parses `accuracy=0.93, f1=0.9` (also `;` or spaces between items); items that do not parse are skipped. */
export function parseMetricsTrailer(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of value.split(/[,;\s]+/)) {
    const m = /^([A-Za-z][A-Za-z0-9_.-]{0,63})=(.+)$/.exec(item.trim());
    if (!m) continue;
    const x = Number(m[2]);
    if (m[2].trim() !== '' && Number.isFinite(x)) out[m[1]] = x;
  }
  return out;
}

/** The metrics a commit message records in its trailers (`Model-Metrics`, and `Model-Metric` lines). */
export function trailerMetrics(message: string, trailers?: Record<string, string>): Record<string, number> {
  const t = trailers ?? parseTrailers(message);
  const out: Record<string, number> = {};
  if (t[METRICS_TRAILER]) Object.assign(out, parseMetricsTrailer(t[METRICS_TRAILER]));
  if (t[METRIC_TRAILER]) {
    // repeated keys: read every line of the trailer block, not only the last one parseTrailers kept
    const paras = message.replace(/\s+$/, '').split(/\n\s*\n/);
    for (const line of paras[paras.length - 1].split('\n')) {
      const m = /^Model-Metric\s*:\s*(.*)$/.exec(line);
      if (m) Object.assign(out, parseMetricsTrailer(m[1]));
    }
  }
  return out;
}

function checkName(name: string, where: string): void {
  if (!METRIC_NAME_RE.test(name)) {
    throw new MetricInputError(
      `${where}: '${name}' is not a metric name; use a letter followed by letters, digits, '_', '.' or '-' (at most 64), e.g. accuracy or f1_macro.`,
    );
  }
}

function parseValue(raw: string, where: string): number {
  const x = raw === '' ? NaN : Number(raw);
  if (!Number.isFinite(x)) throw new MetricInputError(`${where}: '${raw}' is not a finite number; give a value like 0.93 or 1.5e-3.`);
  return x;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ------------------------------------------------------------------------------------------------
// the series

export type MetricSource =
  | { kind: 'commit' }
  | { kind: 'evaluation'; dataset: { file: string; sha256: string; label?: string } }
  | { kind: 'notes' };

export interface HistoryVersion {
  version: number;
  commit: string;
  shortCommit: string;
  subject: string;
  author: string;
  /** author date, ISO 8601 */
  date: string;
  tags: string[];
  aliases: string[];
}

export interface MetricPoint extends HistoryVersion {
  value: number;
  /** 95% interval of the cross-validation mean, when the evaluation resampled the data */
  ci95?: [number, number];
  std?: number;
  cvFolds?: number;
  /** when the evaluation was recorded (ISO 8601) */
  evaluatedAt?: string;
  /** rows of the evaluation set */
  rows?: number;
}

export interface MetricSeries {
  /** stable id: `<metric>|commit`, `<metric>|notes`, `<metric>|eval:<sha256>:<file>:<label>` */
  id: string;
  metric: string;
  source: MetricSource;
  /** 'commit trailer', 'evaluation on test.csv', 'notes' */
  sourceLabel: string;
  /** points in version order (only versions that have the metric) */
  points: MetricPoint[];
}

export interface MetricHistory {
  /** the model's current path */
  model: string;
  /** every version, oldest first (the x axis) */
  versions: HistoryVersion[];
  /** metric names, in display order */
  metrics: string[];
  /** series, grouped by metric in `metrics` order: commit trailers first, then evaluations by dataset, then notes */
  series: MetricSeries[];
}

/** Metrics where a smaller value is better (shown in the panel). */
export function lowerIsBetter(metric: string): boolean {
  return /loss|error|(^|[_.-])(mse|rmse|mae|mape|perplexity|latency|err)([_.-]|$)/i.test(metric);
}

/** Well-known metrics first (the order the evaluation reports use), then the rest alphabetically. */
const PREFERRED = ['accuracy', 'precisionMacro', 'recallMacro', 'f1Macro', 'precisionWeighted', 'recallWeighted', 'f1Weighted', 'rocAuc', 'logLoss', 'r2', 'mse', 'rmse', 'mae'];

interface EvaluationEntry {
  dataset?: { file?: unknown; sha256?: unknown; rows?: unknown; label?: unknown };
  metrics?: unknown;
  cv?: unknown;
  cvFolds?: unknown;
  date?: unknown;
}

/** The metric history of one model, from its ModelHistory (with notes attached, as ModelRepository.history gives it). */
export function buildMetricHistory(history: ModelHistory): MetricHistory {
  const byId = new Map<string, MetricSeries>();
  const series = (id: string, metric: string, source: MetricSource, sourceLabel: string): MetricSeries => {
    let s = byId.get(id);
    if (!s) byId.set(id, (s = { id, metric, source, sourceLabel, points: [] }));
    return s;
  };
  const versions: HistoryVersion[] = history.versions.map(versionInfo);

  history.versions.forEach((v, i) => {
    const info = versions[i];
    const point = (value: number, extra: Partial<MetricPoint> = {}): MetricPoint => ({ ...info, value, ...extra });

    for (const [name, value] of Object.entries(trailerMetrics(v.message, v.trailers))) {
      series(`${name}|commit`, name, { kind: 'commit' }, 'commit trailer').points.push(point(value));
    }

    const md = v.metadata;
    if (!md) return;
    const evals = isPlain(md.evaluations) ? Object.values(md.evaluations).filter(isPlain) as EvaluationEntry[] : [];
    // per dataset group, the newest evaluation of this version
    const newest = new Map<string, { e: EvaluationEntry; file: string; sha256: string; label?: string }>();
    for (const e of evals) {
      if (!isPlain(e.dataset) || !isPlain(e.metrics)) continue;
      const sha256 = typeof e.dataset.sha256 === 'string' ? e.dataset.sha256 : '';
      const file = typeof e.dataset.file === 'string' ? e.dataset.file : '(dataset)';
      const label = typeof e.dataset.label === 'string' ? e.dataset.label : undefined;
      const key = `${sha256}:${file}:${label ?? ''}`;
      const cur = newest.get(key);
      if (!cur || String(e.date ?? '') > String(cur.e.date ?? '')) newest.set(key, { e, file, sha256, label });
    }
    for (const [key, { e, file, sha256, label }] of newest) {
      const cv = isPlain(e.cv) ? e.cv : {};
      for (const [name, value] of Object.entries(e.metrics as Record<string, unknown>)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) continue;
        const c = cv[name];
        const extra: Partial<MetricPoint> = {
          evaluatedAt: typeof e.date === 'string' ? e.date : undefined,
          rows: typeof e.dataset?.rows === 'number' ? e.dataset.rows : undefined,
        };
        if (isPlain(c) && Array.isArray(c.ci95) && c.ci95.length === 2 && c.ci95.every((x) => typeof x === 'number' && Number.isFinite(x))) {
          extra.ci95 = [c.ci95[0] as number, c.ci95[1] as number];
          if (typeof c.std === 'number') extra.std = c.std;
          if (typeof e.cvFolds === 'number') extra.cvFolds = e.cvFolds;
        }
        const src: MetricSource = { kind: 'evaluation', dataset: { file, sha256, ...(label ? { label } : {}) } };
        series(`${name}|eval:${key}`, name, src, `evaluation on ${file}`).points.push(point(value, extra));
      }
    }
    // a plain metrics object without recorded evaluations (with them it is a copy of the newest one)
    if (!evals.length && isPlain(md.metrics)) {
      for (const [name, value] of Object.entries(md.metrics)) {
        if (typeof value !== 'number' || !Number.isFinite(value) || !METRIC_NAME_RE.test(name)) continue;
        series(`${name}|notes`, name, { kind: 'notes' }, 'notes').points.push(point(value));
      }
    }
  });

  // two datasets with the same file name but other bytes (or label column): say which is which
  const all = [...byId.values()];
  const seen = new Map<string, { shas: Set<string>; labels: Set<string> }>();
  for (const s of all) {
    if (s.source.kind !== 'evaluation') continue;
    const g = seen.get(s.sourceLabel) ?? { shas: new Set<string>(), labels: new Set<string>() };
    g.shas.add(s.source.dataset.sha256);
    g.labels.add(s.source.dataset.label ?? '');
    seen.set(s.sourceLabel, g);
  }
  for (const s of all) {
    const g = seen.get(s.sourceLabel);
    if (s.source.kind !== 'evaluation' || !g) continue;
    const d = s.source.dataset;
    const parts = [g.labels.size > 1 ? `label ${d.label ?? '?'}` : '', g.shas.size > 1 ? `sha256 ${d.sha256.slice(0, 8)}` : ''].filter(Boolean);
    if (parts.length) s.sourceLabel = `${s.sourceLabel} (${parts.join(', ')})`;
  }

  const names = [...new Set(all.map((s) => s.metric))];
  const rank = (m: string) => {
    const i = PREFERRED.indexOf(m);
    return i < 0 ? PREFERRED.length : i;
  };
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const kindRank = { commit: 0, evaluation: 1, notes: 2 } as const;
  all.sort(
    (a, b) =>
      names.indexOf(a.metric) - names.indexOf(b.metric) ||
      kindRank[a.source.kind] - kindRank[b.source.kind] ||
      a.sourceLabel.localeCompare(b.sourceLabel),
  );
  return { model: history.path, versions, metrics: names, series: all };
}

/** The metric history of one model of a repository (one history pass, one notes read). */
export async function metricHistory(repo: Pick<ModelRepository, 'history'>, model: string): Promise<MetricHistory> {
  return buildMetricHistory(await repo.history(model));
}

function versionInfo(v: ModelVersion): HistoryVersion {
  return {
    version: v.version,
    commit: v.commit,
    shortCommit: v.shortCommit,
    subject: v.subject,
    author: v.author.name,
    date: v.date,
    tags: v.tags.map((t) => t.name),
    aliases: [...v.aliases],
  };
}
