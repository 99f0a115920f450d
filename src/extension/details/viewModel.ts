/**
 * Version Details view models, built from core types only (no vscode), so unit tests can check them.
 */
import * as path from 'path';
import type { ModelDiff } from '../../core/diff/types';
import { formatBytes } from '../../core/formats/describe';
import { METRIC_TRAILER, METRICS_TRAILER, parseMetricsTrailer } from '../../core/lineage/metricHistory';
import { parseMessage, type ModelVersion } from '../../core/repo';
import type { DetailsField, DiffSummary, TopWeight, VersionRecord } from '../../shared/detailsProtocol';

const TRAILER_LABELS: Record<string, string> = {
  'Model-Params': 'Parameters',
  'Model-Inputs': 'Inputs',
  'Model-Outputs': 'Outputs',
  'Model-Format': 'Format',
};

/**
 * The message without its subject line and without the trailers Model Versions recorded for this
 * version (core's parseMessage): every line the user typed stays, also one that looks like a trailer.
 */
export function messageBody(v: Pick<ModelVersion, 'message' | 'path' | 'contentId'>): string {
  return parseMessage(v.message, v).body;
}

/**
 * A metric as the panels write it (Compare Models, Metric History, Lineage: 4 decimals), so one value
 * reads the same in the tooltip, Version Details and the panels; very small or large values keep 4
 * significant digits instead of turning into 0.0000.
 */
function metricValue(x: unknown): string {
  if (typeof x === 'number') {
    if (Number.isInteger(x) || !Number.isFinite(x)) return String(x);
    return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toPrecision(4);
  }
  if (typeof x === 'string') return x;
  return JSON.stringify(x) ?? String(x);
}

export function metricsOf(v: Pick<ModelVersion, 'metadata'>): DetailsField[] {
  const metrics = (v.metadata as { metrics?: unknown } | undefined)?.metrics;
  if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) return [];
  return Object.entries(metrics as Record<string, unknown>).map(([label, x]) => ({ label, value: metricValue(x) }));
}

/**
 * The metrics typed at commit (`Model-Metrics`, or `Model-Metric` lines), from the trailers recorded
 * for this version only (a metrics line someone typed in a message is not a recorded metric).
 */
export function commitMetricsOf(v: Pick<ModelVersion, 'message' | 'path' | 'contentId'>): DetailsField[] {
  const out: Record<string, number> = {};
  for (const [k, value] of parseMessage(v.message, v).recorded) {
    if (k === METRICS_TRAILER || k === METRIC_TRAILER) Object.assign(out, parseMetricsTrailer(value));
  }
  return Object.entries(out).map(([label, x]) => ({ label, value: metricValue(x) }));
}

export function versionRecord(
  v: ModelVersion,
  opts: { latest: boolean; previous?: ModelVersion; formatDate?: (iso: string) => string },
): VersionRecord {
  const trailers = Object.entries(TRAILER_LABELS)
    .filter(([k]) => v.trailers[k])
    .map(([k, label]) => ({ label, value: /^\d+$/.test(v.trailers[k]) ? Number(v.trailers[k]).toLocaleString('en-US') : v.trailers[k] }));
  return {
    model: v.model,
    modelName: path.posix.basename(v.model),
    version: v.version,
    latest: opts.latest,
    commit: v.commit,
    shortCommit: v.shortCommit,
    subject: v.subject,
    body: messageBody(v),
    author: v.author.name,
    email: v.author.email,
    date: v.date,
    dateText: (opts.formatDate ?? ((d: string) => new Date(d).toLocaleString()))(v.date),
    size: formatBytes(v.size),
    sizeBytes: v.size,
    lfs: v.lfs,
    oid: v.oid,
    ...(v.files ? { folder: { files: v.files.length, lfs: v.files.filter((f) => f.lfs).length, contentId: v.contentId } } : {}),
    path: v.path !== v.model ? v.path : undefined,
    tags: v.tags.map((t) => t.name),
    aliases: [...v.aliases],
    trailers,
    metrics: metricsOf(v),
    commitMetrics: commitMetricsOf(v),
    previous: opts.previous ? { version: opts.previous.version, shortCommit: opts.previous.shortCommit } : undefined,
  };
}

/** The weight tensors whose values moved most (relative ‖Δ‖), small constants left out. */
export function topWeights(d: ModelDiff, n = 5): TopWeight[] {
  return d.weights.rows
    .filter((r) => !r.small && r.stats && typeof r.stats.relative === 'number' && r.stats.relative > 0)
    .sort((x, y) => y.stats!.relative! - x.stats!.relative!)
    .slice(0, n)
    .map((r) => ({
      name: (r.a ?? r.b)!.name,
      relative: r.stats!.relative!,
      changedFraction: r.stats!.changedFraction,
      shape: (r.b ?? r.a)!.shape,
      newName: r.renamed && r.a && r.b && r.a.name !== r.b.name ? r.b.name : undefined,
    }));
}

export function diffSummary(d: ModelDiff, from: ModelVersion, to: ModelVersion): DiffSummary {
  const k = d.weights.weightCounts;
  return {
    from: { version: from.version, shortCommit: from.shortCommit },
    to: { version: to.version, shortCommit: to.shortCommit },
    verdicts: d.verdicts,
    same: d.same,
    breaking: d.breaking,
    interfaceChanges: d.interface.changes.map((c) => ({ text: c.text, breaking: c.breaking })),
    parameters: { ...d.weights.parameters },
    weights: {
      compared: d.weights.compared,
      total: k.b,
      changed: k.changed,
      shapeChanged: k.shapeChanged,
      dtypeChanged: k.dtypeChanged,
      added: k.added,
      removed: k.removed,
      renamed: k.renamed,
    },
    graph: { unit: d.graph.unit, changed: d.graph.counts.changed, added: d.graph.counts.added, removed: d.graph.counts.removed },
    topWeights: topWeights(d),
    warnings: d.warnings,
    elapsedMs: d.elapsedMs,
  };
}
