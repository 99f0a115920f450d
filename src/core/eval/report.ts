/** Text and Markdown renderings of evaluations and comparisons (src/core/eval/evaluate.ts). */
import * as path from 'path';
import { verdictLabel, type Verdict } from '../metrics/compare';
import { runtimeLabel, type ComparisonReport, type GateResult, type ModelEvaluation } from './evaluate';
import { labelFitWarnings } from './labelFit';

export function fmtMetric(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return String(x);
  return x.toFixed(4);
}

const fmtSigned = (x: number): string => (Number.isFinite(x) ? (x >= 0 ? '+' : '') + x.toFixed(4) : fmtMetric(x));
const fmtP = (p: number, rounds?: number): string =>
  !Number.isFinite(p) ? '—' : p === 0 && rounds ? `< ${Number((1 / rounds).toPrecision(2))}` : p < 1e-4 ? p.toExponential(1) : p.toFixed(4);

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)];
}

function mdTable(head: string[], rows: string[][]): string[] {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [`| ${head.map(esc).join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)];
}

export function renderEvaluationText(ev: ModelEvaluation): string {
  const lines: string[] = [];
  lines.push(`${ev.label}: ${ev.task}, ${ev.rows} rows of ${path.basename(ev.dataset.file)} (label '${ev.dataset.label}'), run by ${runtimeLabel(ev)}`);
  lines.push(`output '${ev.outputName}': ${ev.interpretation}`);
  lines.push('');
  const cvHead = ev.cvFolds ? [`resampled mean ± std (${ev.cvFolds} subsets)`, '95% interval'] : [];
  const rows = Object.entries(ev.metrics).map(([k, v]) => {
    const c = ev.cv[k];
    const cvCols = ev.cvFolds ? (c ? [`${fmtMetric(c.mean)} ± ${fmtMetric(c.std)}`, `[${fmtMetric(c.ci95[0])}, ${fmtMetric(c.ci95[1])}]`] : ['—', '—']) : [];
    return [k, fmtMetric(v), ...cvCols];
  });
  lines.push(...table(['metric', 'value', ...cvHead], rows));
  if (ev.confusion && ev.classNames) {
    lines.push('', 'confusion (rows = true, columns = predicted):');
    lines.push(...table(['', ...ev.classNames], ev.confusion.map((r, i) => [ev.classNames![i], ...r.map(String)])));
  }
  for (const n of ev.notes) lines.push(`note: ${n}`);
  for (const w of labelFitWarnings(ev)) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** 'p = 0.03' or 'p < 0.001' */
const pIs = (v: string): string => (v.startsWith('<') ? `p ${v}` : `p = ${v}`);

/**
 * One line per test of a pair: McNemar with its counts, then each metric's bootstrap difference. Each
 * ends with that test's outcome in the short role words ('candidate better', 'no significant
 * difference'): the pair's verdict, with α, is said once above these lines.
 */
export function pairDetailLines(rep: ComparisonReport, p: ComparisonReport['pairs'][number]): string[] {
  const lines: string[] = [];
  if (p.mcnemar) {
    lines.push(`McNemar: baseline right/candidate wrong ${p.mcnemar.b}, baseline wrong/candidate right ${p.mcnemar.c}, ${pIs(fmtP(p.mcnemar.pValue))} (${p.mcnemar.method}) → ${verdictLabel(p.mcnemar.verdict)}`);
  }
  for (const m of p.metrics) {
    lines.push(
      `${m.metric}: ${fmtMetric(m.baseline)} → ${fmtMetric(m.candidate)} (Δ ${fmtSigned(m.delta)}, ${Math.round((1 - rep.alpha) * 100)}% CI [${fmtSigned(m.ciLower)}, ${fmtSigned(m.ciUpper)}], bootstrap ${pIs(fmtP(m.pValue, rep.bootstrapRounds))}) → ${verdictLabel(m.verdict)}`,
    );
  }
  return lines;
}

export function renderComparisonText(rep: ComparisonReport, g?: GateResult): string {
  const lines: string[] = [];
  const names = [...new Set(rep.models.flatMap((m) => Object.keys(m.metrics)))];
  lines.push(...table(['metric', ...rep.models.map((m) => m.label)], names.map((n) => [n, ...rep.models.map((m) => fmtMetric(m.metrics[n]))])));
  for (const p of rep.pairs) {
    lines.push('', `${p.candidate} vs ${p.baseline} (baseline), ${p.rows} rows: ${p.text}`);
    for (const l of pairDetailLines(rep, p)) lines.push(`  ${l}`);
  }
  if (g) lines.push('', g.pass ? 'gate: pass' : `gate: FAIL\n${g.reasons.map((r) => `  - ${r}`).join('\n')}`);
  return lines.join('\n');
}

const icon = (v: Verdict): string => (v === 'B better' ? '🟢' : v === 'B worse' ? '🔴' : '⚪');

/** @param warnings said first, as quoted warnings (e.g. the data's and labelFitWarnings) */
export function renderComparisonMarkdown(rep: ComparisonReport, g?: GateResult, warnings: string[] = []): string {
  const lines: string[] = [];
  lines.push('### Model evaluation', '');
  for (const w of warnings) lines.push(`> ⚠️ ${w.replace(/\n/g, ' ')}`, '');
  if (g) lines.push(g.pass ? '**Gate: pass** ✅' : `**Gate: FAIL** ❌\n\n${g.reasons.map((r) => `- ${r}`).join('\n')}`, '');
  for (const p of rep.pairs) lines.push(`${icon(p.verdict)} **${p.candidate}** vs **${p.baseline}** (baseline): ${p.text}`);
  lines.push('');
  const names = [...new Set(rep.models.flatMap((m) => Object.keys(m.metrics)))];
  lines.push(...mdTable(['metric', ...rep.models.map((m) => m.label)], names.map((n) => [n, ...rep.models.map((m) => fmtMetric(m.metrics[n]))])));
  lines.push('');
  const rows: string[][] = [];
  for (const p of rep.pairs) {
    if (p.mcnemar) rows.push([p.candidate, 'accuracy (McNemar)', `${p.mcnemar.b} / ${p.mcnemar.c}`, '', fmtP(p.mcnemar.pValue), `${icon(p.mcnemar.verdict)} ${verdictLabel(p.mcnemar.verdict)}`]);
    for (const m of p.metrics) {
      rows.push([p.candidate, m.metric, fmtSigned(m.delta), `[${fmtSigned(m.ciLower)}, ${fmtSigned(m.ciUpper)}]`, fmtP(m.pValue, rep.bootstrapRounds), `${icon(m.verdict)} ${verdictLabel(m.verdict)}`]);
    }
  }
  lines.push(...mdTable(['candidate', 'test', 'Δ (candidate − baseline) or b / c', `${Math.round((1 - rep.alpha) * 100)}% CI`, 'p', 'verdict'], rows));
  lines.push('', `α = ${rep.alpha}; paired bootstrap with ${rep.bootstrapRounds} resamples; McNemar b = baseline right & candidate wrong, c = the reverse.`);
  return lines.join('\n');
}
