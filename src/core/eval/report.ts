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
export function pairDetailLines(rep: ComparisonReport, p: ComparisonReport['pairs'][number], withTooSmall = true): string[] {
  const lines: string[] = [];
  if (p.mcnemar) {
    const holmP = p.mcnemar.pHolm !== undefined ? `, Holm-adjusted ${pIs(fmtP(p.mcnemar.pHolm))}` : '';
    lines.push(`McNemar: baseline right/candidate wrong ${p.mcnemar.b}, baseline wrong/candidate right ${p.mcnemar.c}, ${pIs(fmtP(p.mcnemar.pValue))}${holmP} (${p.mcnemar.method}) → ${verdictLabel(p.mcnemar.verdict)}`);
  }
  for (const m of p.metrics) {
    const holmP = m.pHolm !== undefined ? `, Holm-adjusted ${m.pValue === 0 ? `p ≤ ${fmtP(m.pHolm)}` : pIs(fmtP(m.pHolm))}` : '';
    lines.push(
      `${m.metric}: ${fmtMetric(m.baseline)} → ${fmtMetric(m.candidate)} (Δ ${fmtSigned(m.delta)}, ${Math.round((1 - rep.alpha) * 100)}% CI [${fmtSigned(m.ciLower)}, ${fmtSigned(m.ciUpper)}], bootstrap ${pIs(fmtP(m.pValue, rep.bootstrapRounds))}${holmP}) → ${verdictLabel(m.verdict)}`,
    );
  }
  const small = withTooSmall ? tooSmallLine(rep, p) : undefined;
  if (small) lines.push(small);
  return lines;
}

/**
 * A pair whose main test found no significant difference: how many rows would detect a difference of
 * the size seen with power 0.8 ("too small to confirm"), or that there is no difference to detect.
 */
export function tooSmallLine(rep: ComparisonReport, p: ComparisonReport['pairs'][number]): string | undefined {
  if (p.verdict !== 'no significant difference') return undefined;
  const byMcNemar = !!p.mcnemar && rep.metric === 'accuracy';
  const rowsNeeded = byMcNemar ? p.mcnemar!.rowsNeeded : p.metrics[0]?.rowsNeeded;
  if (rowsNeeded === undefined) return undefined;
  if (rowsNeeded === null) {
    return byMcNemar ? 'no difference to confirm: where the two disagree, each gets as many rows right as the other' : `no difference to confirm: both have the same ${rep.metric}`;
  }
  if (rowsNeeded <= p.rows) return undefined;
  // the level the rows are sized for: α shared by the family of tests (as compareModels sizes them)
  const tests = byMcNemar && rep.multiple ? rep.multiple.pairs.length : rep.pairs.length;
  const level = tests > 1 ? `α = ${Number((rep.alpha / tests).toPrecision(3))} (${rep.alpha} shared by ${tests} tests)` : `α = ${rep.alpha}`;
  const what = byMcNemar ? 'accuracy (McNemar)' : `${rep.metric} (paired bootstrap)`;
  return `${what}: too small to confirm — about ${rowsNeeded.toLocaleString('en-US')} rows (this data has ${p.rows.toLocaleString('en-US')}) would detect a difference of this size with power 0.8 at ${level}`;
}

/** Three or more classifiers: Cochran's Q, then every pair (McNemar, Holm-adjusted). Empty otherwise. */
export function multipleLines(rep: ComparisonReport): { summary: string; pairs: string[] } | undefined {
  const mc = rep.multiple;
  if (!mc) return undefined;
  const q = mc.cochranQ;
  const differ = q.pValue < rep.alpha;
  const summary =
    `Cochran's Q over ${rep.models.length} models: Q = ${fmtMetric(q.statistic)}, df ${q.df}, ${pIs(fmtP(q.pValue))} → ` +
    (differ ? `their accuracies differ at α = ${rep.alpha}; the pairs below say which (McNemar, Holm-adjusted)` : `no significant difference among them at α = ${rep.alpha}, so no pair is called different`);
  const pairs = mc.pairs.map(
    (x) => `${x.a} vs ${x.b}: ${x.aRightBWrong} / ${x.aWrongBRight} rows only one gets right, ${pIs(fmtP(x.pValue))}, Holm-adjusted ${pIs(fmtP(x.pHolm))} → ${x.differs ? 'differ' : 'no difference that survives'}`,
  );
  return { summary, pairs };
}

export function renderComparisonText(rep: ComparisonReport, g?: GateResult): string {
  const lines: string[] = [];
  const names = [...new Set(rep.models.flatMap((m) => Object.keys(m.metrics)))];
  lines.push(...table(['metric', ...rep.models.map((m) => m.label)], names.map((n) => [n, ...rep.models.map((m) => fmtMetric(m.metrics[n]))])));
  for (const p of rep.pairs) {
    lines.push('', `${p.candidate} vs ${p.baseline} (baseline), ${p.rows} rows: ${p.text}`);
    for (const l of pairDetailLines(rep, p)) lines.push(`  ${l}`);
  }
  const multi = multipleLines(rep);
  if (multi) lines.push('', multi.summary, ...multi.pairs.map((l) => `  ${l}`));
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
  for (const p of rep.pairs) {
    const small = tooSmallLine(rep, p);
    lines.push(`${icon(p.verdict)} **${p.candidate}** vs **${p.baseline}** (baseline): ${p.text}${small ? ` — ${small}` : ''}`);
  }
  lines.push('');
  const multi = multipleLines(rep);
  if (multi) lines.push(multi.summary, '', ...multi.pairs.map((l) => `- ${l}`), '');
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
