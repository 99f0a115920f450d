/** The comparison panel's view model and the CSV / JSON / Markdown exports of a comparison. */
import * as path from 'path';
import { LOWER_IS_BETTER, evaluationJson, type ComparisonReport, type ModelEvaluation } from '../../core/eval/evaluate';
import { fmtMetric, pairDetailLines, renderComparisonMarkdown } from '../../core/eval/report';
import type { CompareViewModel, ExportFormat } from '../../shared/compareProtocol';

/** What modelVersions.compareModels returns: the core report plus each model's evaluation (no per-row predictions). */
export interface CompareResult extends ComparisonReport {
  evaluations: Omit<ModelEvaluation, 'predictions'>[];
  dataset: { file: string; rows: number; label: string; task: string };
  host: string;
  warnings: string[];
}

export function compareResult(report: ComparisonReport, evals: ModelEvaluation[], host: string, warnings: string[]): CompareResult {
  const a = evals[0];
  return {
    ...report,
    evaluations: evals.map(evaluationJson),
    dataset: { file: a.dataset.file, rows: a.rows, label: a.dataset.label, task: a.task },
    host,
    warnings,
  };
}

/** Metrics in the order of the first evaluation, then any others. */
function metricNames(r: CompareResult): string[] {
  const names: string[] = [];
  for (const e of r.evaluations) for (const k of Object.keys(e.metrics)) if (!names.includes(k)) names.push(k);
  return names;
}

function bestOf(metric: string, values: (number | undefined)[]): number[] {
  const finite = values.map((v, i) => [v, i] as const).filter(([v]) => v !== undefined && Number.isFinite(v)) as [number, number][];
  if (finite.length < 2) return [];
  const lower = LOWER_IS_BETTER.has(metric);
  const best = finite.reduce((m, [v]) => (lower ? Math.min(m, v) : Math.max(m, v)), lower ? Infinity : -Infinity);
  if (finite.every(([v]) => v === best)) return [];
  return finite.filter(([v]) => v === best).map(([, i]) => i);
}

export function toCompareViewModel(r: CompareResult, title: string): CompareViewModel {
  const labels = r.evaluations.map((e) => e.label);
  const folds = r.evaluations[0]?.cvFolds ?? 0;
  return {
    title,
    subtitle: `${r.task} · ${r.dataset.rows.toLocaleString('en-US')} rows · label '${r.dataset.label}' · ${path.basename(r.dataset.file)} · host ${r.host} · α = ${r.alpha}`,
    models: labels,
    cvFolds: folds,
    metrics: metricNames(r).map((m) => {
      const vals = r.evaluations.map((e) => e.metrics[m]);
      return {
        metric: m,
        values: vals.map((v) => fmtMetric(v)),
        best: bestOf(m, vals),
        cv: r.evaluations.map((e) => {
          const c = e.cv[m];
          return c ? `${fmtMetric(c.mean)} ± ${fmtMetric(c.std)} [${fmtMetric(c.ci95[0])}, ${fmtMetric(c.ci95[1])}]` : '';
        }),
      };
    }),
    pairs: r.pairs.map((p) => ({
      baseline: p.baseline,
      candidate: p.candidate,
      verdict: p.verdict,
      text: p.text,
      // the same detail lines as the CLI: McNemar counts and p; each metric's Δ, interval and p
      ...(() => {
        const lines = pairDetailLines(r, p);
        return { mcnemar: p.mcnemar ? lines[0] : '', metrics: p.mcnemar ? lines.slice(1) : lines };
      })(),
    })),
    confusions: r.evaluations
      .filter((e) => e.confusion && e.classNames)
      .map((e) => ({ model: e.label, classNames: e.classNames!, matrix: e.confusion! })),
    warnings: r.warnings,
  };
}

const csvCell = (s: string | number): string => {
  const t = typeof s === 'number' ? (Number.isFinite(s) ? String(s) : '') : s;
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

/** CSV: one row per model and metric, with the CV spread and the verdict against the baseline. */
export function renderComparisonCsv(r: CompareResult): string {
  const lines = [['model', 'metric', 'value', 'cv_mean', 'cv_std', 'cv_ci95_low', 'cv_ci95_high', 'verdict_vs_baseline'].join(',')];
  for (const [i, e] of r.evaluations.entries()) {
    const verdict = i === 0 ? 'baseline' : (r.pairs[i - 1]?.verdict ?? '');
    for (const [m, v] of Object.entries(e.metrics)) {
      const c = e.cv[m];
      lines.push([e.label, m, v, c?.mean ?? '', c?.std ?? '', c?.ci95[0] ?? '', c?.ci95[1] ?? '', verdict].map((x) => csvCell(x as string | number)).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

export function renderExport(r: CompareResult, format: ExportFormat): string {
  switch (format) {
    case 'csv':
      return renderComparisonCsv(r);
    case 'json':
      return JSON.stringify(r, null, 2) + '\n';
    case 'md':
      return renderComparisonMarkdown(r);
  }
}
