/** A ModelDiff for people: plain text (terminal) and Markdown (a pull-request comment). Verdicts first. */
import { formatBytes } from '../formats/describe';
import { formatDims } from './interface';
import type { DiffSide, ModelDiff, WeightRow, WeightStats } from './types';
import { describeAttrChanges, describeNodeChange, fmtCount, shortValue } from './verdict';

export interface RenderOptions {
  /** most rows per table (default 40) */
  rows?: number;
}

/** Short, fixed-width-ish number: 3 significant digits, exponent when tiny or huge. */
export function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return Number(x.toPrecision(3)).toString();
  return x.toExponential(2);
}

function fmtPct(x: number): string {
  if (x === 0) return '0%';
  if (x === 1) return '100%';
  const p = x * 100;
  return `${p < 0.1 ? p.toExponential(1) : p < 99.95 ? p.toFixed(1) : '99.9'}%`;
}

function sideLine(s: DiffSide): string {
  return `${s.label} (${s.format}, ${formatBytes(s.fileSize)}, ${fmtCount(s.parameterCount)} parameters, ${fmtCount(s.tensorCount)} tensors)`;
}

const shapeOf = (r: WeightRow, side: 'a' | 'b') => {
  const t = r[side];
  return t ? `${t.dtype}${formatDims(t.shape)}` : '';
};

function weightName(r: WeightRow): string {
  if (r.a && r.b && r.renamed) return `${r.a.name} → ${r.b.name}`;
  return (r.a ?? r.b)!.name;
}

function weightWhat(r: WeightRow): string {
  switch (r.status) {
    case 'identical':
      return r.renamed ? 'renamed' : 'identical';
    case 'shape-changed':
      return 'shape';
    case 'dtype-changed':
      return 'dtype';
    default:
      return r.status;
  }
}

function weightDetail(r: WeightRow): string {
  if (r.status === 'shape-changed' || r.status === 'dtype-changed') {
    const base = `${shapeOf(r, 'a')} → ${shapeOf(r, 'b')}`;
    return r.stats ? `${base}; ${statLine(r.stats)}` : base;
  }
  if (r.status === 'added') return shapeOf(r, 'b');
  if (r.status === 'removed') return shapeOf(r, 'a');
  if (r.stats) return statLine(r.stats);
  return r.note ?? shapeOf(r, 'a');
}

function statLine(s: WeightStats): string {
  if (s.maxAbs === null) return `${fmtPct(s.changedFraction)} of ${s.unit === 'byte' ? 'bytes (quantized blocks, not decoded)' : 'elements'} changed`;
  return `max|Δ| ${fmtNum(s.maxAbs)}, ‖Δ‖ ${fmtNum(s.l2)}, rel ${fmtNum(s.relative)}, cos ${s.cosine === null ? '–' : s.cosine.toFixed(4)}, ${fmtPct(s.changedFraction)} changed`;
}

/** Weight rows worth showing: everything but identical same-name tensors; larger tensors first within a status. */
function interestingWeights(d: ModelDiff): WeightRow[] {
  const order: Record<string, number> = { 'shape-changed': 0, 'dtype-changed': 1, changed: 2, removed: 3, added: 4, identical: 5 };
  return d.weights.rows
    .filter((r) => r.status !== 'identical' || r.renamed)
    .map((r, i) => ({ r, i }))
    .sort((x, y) => order[x.r.status] - order[y.r.status] || Number(!!x.r.small) - Number(!!y.r.small) || x.i - y.i)
    .map((x) => x.r);
}

function weightSummary(d: ModelDiff): string {
  const c = d.weights.counts;
  const parts = [
    `${fmtCount(c.identical)} identical${c.renamed ? ` (${fmtCount(c.renamed)} renamed)` : ''}`,
    c.changed && `${fmtCount(c.changed)} changed`,
    c.shapeChanged && `${fmtCount(c.shapeChanged)} shape changed`,
    c.dtypeChanged && `${fmtCount(c.dtypeChanged)} type changed`,
    c.added && `${fmtCount(c.added)} added`,
    c.removed && `${fmtCount(c.removed)} removed`,
  ].filter(Boolean);
  return `${fmtCount(c.a)} → ${fmtCount(c.b)} tensors: ${parts.join(', ')}${smallNote(d)}`;
}

/** The verdict counts weights only; the tensor counts include small constants (shape plumbing): say how many. */
export function smallNote(d: ModelDiff): string {
  const n = Math.max(d.weights.counts.a - d.weights.weightCounts.a, d.weights.counts.b - d.weights.weightCounts.b);
  return n > 0 ? ` (${fmtCount(n)} of them small constant${n === 1 ? '' : 's'} or integer tensors, not counted as weights in the verdict)` : '';
}

// ---------------------------------------------------------------- plain text

export function renderText(d: ModelDiff, opts: RenderOptions = {}): string {
  const max = opts.rows ?? 40;
  const L: string[] = [];
  L.push(`A: ${sideLine(d.a)}`);
  L.push(`B: ${sideLine(d.b)}`);
  L.push('');
  for (const v of d.verdicts) L.push(`  ${v}`);
  if (d.same) return L.join('\n');

  if (d.interface.changes.length) {
    L.push('', 'Interface');
    for (const c of d.interface.changes) L.push(`  ${c.breaking ? 'BREAKING ' : '         '}${c.text}`);
  }
  if (d.header.length) {
    L.push('', 'Header');
    for (const h of d.header) L.push(`  ${h.field}: ${shortValue(h.a, 60)} → ${shortValue(h.b, 60)}`);
  }
  const g = d.graph;
  if (!g.same) {
    const unit = g.unit;
    L.push('', `Graph (${unit} ${fmtCount(g.nodeCount.a)} → ${fmtCount(g.nodeCount.b)}, matched by ${g.matchedBy})`);
    const gc = g.counts;
    L.push(`  ${fmtCount(gc.unchanged)} unchanged, ${fmtCount(gc.changed)} changed, ${fmtCount(gc.renamed)} renamed, ${fmtCount(gc.added)} added, ${fmtCount(gc.removed)} removed`);
    if (g.parameters.delta) L.push(`  parameters: ${fmtCount(g.parameters.a)} → ${fmtCount(g.parameters.b)}`);
    if (g.opHistogram.length) {
      L.push(`  op counts: ${g.opHistogram.map((o) => `${o.op} ${o.a} → ${o.b}`).join(', ')}`);
    }
    const rows = g.rows;
    for (const r of rows.slice(0, max)) L.push(`  ${r.status.padEnd(8)} ${describeNodeChange(r)}`);
    const more = rows.length - Math.min(rows.length, max) + g.rowsOmitted;
    if (more > 0) L.push(`  … ${fmtCount(more)} more`);
  }
  if (!d.weights.same && d.weights.rows.length + d.weights.rowsOmitted > 0) {
    L.push('', `Weights (${weightSummary(d)})`);
    const rows = interestingWeights(d);
    for (const r of rows.slice(0, max)) L.push(`  ${weightWhat(r).padEnd(9)} ${weightName(r)}  ${weightDetail(r)}`);
    const more = rows.length - Math.min(rows.length, max) + d.weights.rowsOmitted;
    if (more > 0) L.push(`  … ${fmtCount(more)} more`);
  }
  if (d.warnings.length) {
    L.push('', 'Warnings');
    for (const w of d.warnings) L.push(`  ${w}`);
  }
  return L.join('\n');
}

// ---------------------------------------------------------------- markdown

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(s: string): string {
  const t = s.replace(/\r?\n/g, ' ');
  const fence = t.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${cell(t)}${fence.length > 1 ? ' ' : ''}${fence}`;
}

export function renderMarkdown(d: ModelDiff, opts: RenderOptions = {}): string {
  const max = opts.rows ?? 40;
  const L: string[] = [];
  L.push(`### Model diff: ${code(d.a.label)} → ${code(d.b.label)}`, '');
  for (const v of d.verdicts) L.push(`- ${v.startsWith('breaking:') ? `**breaking:**${cell(v.slice(9))}` : cell(v)}`);
  L.push('');
  L.push('| | A | B |', '|---|---|---|');
  L.push(`| format | ${d.a.format} | ${d.b.format} |`);
  L.push(`| file size | ${formatBytes(d.a.fileSize)} | ${formatBytes(d.b.fileSize)} |`);
  L.push(`| parameters | ${fmtCount(d.a.parameterCount)} | ${fmtCount(d.b.parameterCount)} |`);
  L.push(`| tensors | ${fmtCount(d.a.tensorCount)} | ${fmtCount(d.b.tensorCount)} |`);
  L.push(`| ${d.graph.unit} | ${fmtCount(d.a.nodeCount)} | ${fmtCount(d.b.nodeCount)} |`);
  if (d.same) return L.join('\n');

  if (d.interface.changes.length) {
    L.push('', '#### Interface', '', '| | change | A | B |', '|---|---|---|---|');
    for (const c of d.interface.changes) {
      const v = (x: typeof c.a) => (x ? code(`${x.name}: ${x.dtype}${formatDims(x.shape)}`) : '');
      L.push(`| ${c.breaking ? '**breaking**' : ''} | ${c.io} ${c.kind} | ${v(c.a)} | ${v(c.b)} |`);
    }
  }
  if (d.header.length) {
    L.push('', '#### Header', '', '| field | A | B |', '|---|---|---|');
    for (const h of d.header) L.push(`| ${cell(h.field)} | ${cell(shortValue(h.a, 80))} | ${cell(shortValue(h.b, 80))} |`);
  }
  const g = d.graph;
  if (!g.same) {
    const gc = g.counts;
    L.push(
      '',
      `#### Graph`,
      '',
      `${fmtCount(g.nodeCount.a)} → ${fmtCount(g.nodeCount.b)} ${g.unit} (matched by ${g.matchedBy}): ${fmtCount(gc.unchanged)} unchanged, ${fmtCount(gc.changed)} changed, ${fmtCount(gc.renamed)} renamed, ${fmtCount(gc.added)} added, ${fmtCount(gc.removed)} removed. Parameters ${fmtCount(g.parameters.a)} → ${fmtCount(g.parameters.b)}.`,
    );
    if (g.opHistogram.length) {
      L.push('', '| op | A | B | Δ |', '|---|---:|---:|---:|');
      for (const o of g.opHistogram) L.push(`| ${cell(o.op)} | ${o.a} | ${o.b} | ${o.delta > 0 ? '+' : ''}${o.delta} |`);
    }
    if (g.rows.length) {
      const rows = g.rows.slice(0, max);
      L.push('', `<details><summary>${g.unit === 'layers' ? 'Layers' : 'Nodes'} changed, renamed, added or removed (${fmtCount(g.rows.length + g.rowsOmitted)})</summary>`, '');
      L.push(`| | ${g.unit === 'layers' ? 'layer' : 'node'} | op | details |`, '|---|---|---|---|');
      for (const r of rows) {
        const name = r.name || `#${r.index}`;
        const nm = r.newName ? `${code(name)} → ${code(r.newName)}` : code(name);
        const where = r.graphPath ? ` (in ${code(r.graphPath)})` : '';
        const det = [r.newOpType ? `op → ${r.newOpType}` : '', describeAttrChanges(r.changes, 4)].filter(Boolean).join(', ');
        L.push(`| ${r.status} | ${nm}${where} | ${cell(r.opType)} | ${cell(det)} |`);
      }
      const more = g.rows.length - rows.length + g.rowsOmitted;
      if (more > 0) L.push('', `… ${fmtCount(more)} more`);
      L.push('', '</details>');
    }
  }
  if (!d.weights.same && d.weights.rows.length + d.weights.rowsOmitted > 0) {
    const rows = interestingWeights(d);
    L.push('', '#### Weights', '', weightSummary(d) + '.', '');
    L.push('| | tensor | A | B | max\\|Δ\\| | ‖Δ‖₂ | ‖Δ‖/‖A‖ | cosine | changed |', '|---|---|---|---|---:|---:|---:|---:|---:|');
    for (const r of rows.slice(0, max)) {
      const s = r.stats;
      L.push(
        `| ${weightWhat(r)} | ${r.renamed && r.a && r.b ? `${code(r.a.name)} → ${code(r.b.name)}` : code(weightName(r))} | ${shapeOf(r, 'a')} | ${shapeOf(r, 'b')} | ${s ? fmtNum(s.maxAbs) : ''} | ${s ? fmtNum(s.l2) : ''} | ${s ? fmtNum(s.relative) : ''} | ${s?.cosine != null ? s.cosine.toFixed(4) : ''} | ${s ? fmtPct(s.changedFraction) : ''} |`,
      );
    }
    const more = rows.length - Math.min(rows.length, max) + d.weights.rowsOmitted;
    if (more > 0) L.push('', `… ${fmtCount(more)} more`);
  }
  if (d.warnings.length) {
    L.push('', '#### Warnings', '');
    for (const w of d.warnings) L.push(`- ${cell(w)}`);
  }
  return L.join('\n');
}
