/**
 * The History panel's view model (src/shared/historyProtocol.ts) from a core MetricHistory, and the
 * CSV of its table. No `vscode` import: unit-tested with plain mocha.
 */
import * as path from 'path';
import { lowerIsBetter, type MetricHistory } from '../../core/lineage/metricHistory';
import type { HistoryMetricView, HistoryViewModel } from '../../shared/historyProtocol';
import { toCsv } from '../../core/util/csv';

/** 'Jan 5, 2026, 14:03' in the user's locale (the extension host's). */
export function dateText(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function toHistoryViewModel(h: MetricHistory): HistoryViewModel {
  const index = new Map(h.versions.map((v, i) => [v.commit, i]));
  const metrics: HistoryMetricView[] = h.metrics.map((name) => ({
    name,
    lowerIsBetter: lowerIsBetter(name),
    series: h.series
      .filter((s) => s.metric === name)
      .map((s) => ({
        id: s.id,
        sourceLabel: s.sourceLabel,
        sourceKind: s.source.kind,
        points: s.points.map((p) => ({
          x: index.get(p.commit)!,
          value: p.value,
          ...(p.ci95 ? { ci95: p.ci95 } : {}),
          ...(p.std !== undefined ? { std: p.std } : {}),
          ...(p.cvFolds !== undefined ? { cvFolds: p.cvFolds } : {}),
          ...(p.evaluatedAt ? { evaluatedText: dateText(p.evaluatedAt) } : {}),
          ...(p.rows !== undefined ? { rows: p.rows } : {}),
        })),
      })),
  }));
  const modelName = path.posix.basename(h.model);
  return {
    title: `${modelName} · metric history`,
    model: h.model,
    modelName,
    versions: h.versions.map((v, i) => ({
      version: v.version,
      commit: v.commit,
      shortCommit: v.shortCommit,
      subject: v.subject,
      author: v.author,
      date: v.date,
      dateText: dateText(v.date),
      tags: v.tags,
      aliases: v.aliases,
      latest: i === h.versions.length - 1,
    })),
    metrics,
    commitExample: `modelver commit ${quoteArg(h.model)} -m "what changed" --metric accuracy=0.93 --metric f1=0.9`,
  };
}

/** The table as CSV: one row per version, one column per (metric, source), plus the 95% interval bounds. */
export function historyCsv(m: HistoryViewModel): string {
  const head = ['version', 'commit', 'date', 'author', 'subject', 'tags', 'aliases'];
  const cols: { key: string; get: (x: number) => string }[] = [];
  for (const metric of m.metrics) {
    for (const s of metric.series) {
      const byX = new Map(s.points.map((p) => [p.x, p]));
      const name = `${metric.name} (${s.sourceLabel})`;
      cols.push({ key: name, get: (x) => (byX.has(x) ? String(byX.get(x)!.value) : '') });
      if (s.points.some((p) => p.ci95)) {
        cols.push({ key: `${name} ci95 low`, get: (x) => (byX.get(x)?.ci95 ? String(byX.get(x)!.ci95![0]) : '') });
        cols.push({ key: `${name} ci95 high`, get: (x) => (byX.get(x)?.ci95 ? String(byX.get(x)!.ci95![1]) : '') });
      }
    }
  }
  const rows = [[...head, ...cols.map((c) => c.key)]];
  m.versions.forEach((v, x) => {
    rows.push([`v${v.version}`, v.commit, v.date, v.author, v.subject, v.tags.join(' '), v.aliases.join(' '), ...cols.map((c) => c.get(x))]);
  });
  return toCsv(rows);
}

function quoteArg(s: string): string {
  return /^[A-Za-z0-9_./@-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
}
