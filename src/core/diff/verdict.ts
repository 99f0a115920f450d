/** One-line conclusions a person reads first. */
import type { AttrChange, ModelDiff, NodeChange } from './types';

/**
 * A count with thousands separators, as n.toLocaleString('en-US') writes it. Whole numbers are grouped
 * here: the first toLocaleString of a process loads ICU's locale data (30+ ms of a diff's run).
 */
export const fmtCount = (n: number): string => {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  if (Object.is(n, -0)) return '-0';
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
};
const signed = (n: number): string => (n > 0 ? `+${fmtCount(n)}` : n < 0 ? `−${fmtCount(-n)}` : '0');

function list(items: string[], max = 4): string {
  if (items.length <= max) return items.join('; ');
  return `${items.slice(0, max).join('; ')}; … (${items.length - max} more)`;
}

export function shortValue(v: unknown, max = 40): string {
  if (v === null || v === undefined) return '(none)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (s === undefined) return '(none)';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function describeAttrChanges(changes: AttrChange[] | undefined, max = 3): string {
  if (!changes?.length) return '';
  const parts = changes.slice(0, max).map((c) => `${c.key} ${shortValue(c.a)} → ${shortValue(c.b)}`);
  if (changes.length > max) parts.push(`… (${changes.length - max} more)`);
  return parts.join(', ');
}

export function describeNodeChange(r: NodeChange): string {
  const where = r.graphPath ? ` in ${r.graphPath}` : '';
  const label = r.name || `${r.opType} #${r.index}`;
  switch (r.status) {
    case 'added':
      return `${r.opType} ${label} added${where}`;
    case 'removed':
      return `${r.opType} ${label} removed${where}`;
    case 'renamed':
      return `${r.opType} ${label} renamed to ${r.newName}${where}`;
    default: {
      const parts: string[] = [];
      if (r.newName) parts.push(`renamed to ${r.newName}`);
      if (r.newOpType) parts.push(`op ${r.opType} → ${r.newOpType}`);
      const a = describeAttrChanges(r.changes);
      if (a) parts.push(a);
      return `${r.opType} ${label}${where}: ${parts.join(', ')}`;
    }
  }
}

/** ‖B − A‖ / ‖A‖ at or below this (1e-5, said in the verdict) is float rounding, not training (float32's ε is 1.2e-7 per value). */
const ROUNDING = 1e-5;

/** Every changed weight row (not small constants) has decoded statistics with a relative change ≤ ROUNDING. */
function roundingOnly(w: ModelDiff['weights']): boolean {
  if (w.rowsOmitted) return false;
  const changed = w.rows.filter((r) => r.status === 'changed' && !r.small);
  return changed.length > 0 && changed.every((r) => r.stats && r.stats.unit !== 'byte' && r.stats.relative !== null && r.stats.relative <= ROUNDING);
}

export function computeVerdicts(d: Omit<ModelDiff, 'verdicts' | 'same' | 'breaking' | 'elapsedMs'>): string[] {
  const out: string[] = [];
  const iface = d.interface;
  const g = d.graph;
  const w = d.weights;
  const unit = g.unit === 'layers' ? 'layer' : 'node';

  const breaking = iface.changes.filter((c) => c.breaking);
  if (breaking.length) out.push(`breaking: ${list(breaking.map((c) => c.text))}`);

  // weights
  if (w.compared) {
    const c = w.counts;
    const k = w.weightCounts;
    const anyChange = c.changed + c.shapeChanged + c.dtypeChanged + c.added + c.removed;
    const weightChange = k.changed + k.shapeChanged + k.dtypeChanged + k.added + k.removed;
    const archNote = iface.same ? ', interface unchanged' : '';
    if (anyChange === 0) {
      if (c.renamed) {
        const ofWeights = k.renamed === c.renamed ? '' : `; ${fmtCount(k.renamed)} of the ${fmtCount(k.b)} weight tensors`;
        out.push(`same weights, tensors renamed (${fmtCount(c.renamed)} of ${fmtCount(c.b)} under other names${ofWeights})`);
      }
      else if (!(iface.same && g.same && d.header.length === 0)) out.push('same weights');
    } else if (weightChange === 0) {
      out.push(
        `same weights${c.renamed ? `, tensors renamed (${fmtCount(c.renamed)})` : ''}; ${fmtCount(anyChange)} small constant${anyChange === 1 ? '' : 's'} differ`,
      );
    } else if (k.shapeChanged + k.added + k.removed === 0 && k.dtypeChanged === 0 && roundingOnly(w)) {
      // every changed weight moved by float rounding only (a re-export, re-rounded quantization scales)
      out.push(`re-encoded: ${fmtCount(k.changed)}/${fmtCount(k.a)} weight tensors differ only at float-rounding level (relative change ≤ 1e-5)${archNote}${k.renamed ? `, ${fmtCount(k.renamed)} renamed` : ''}`);
    } else if (k.shapeChanged + k.added + k.removed === 0 && k.dtypeChanged === 0) {
      out.push(`retrained: ${fmtCount(k.changed)}/${fmtCount(k.a)} weight tensors changed${archNote}${k.renamed ? `, ${fmtCount(k.renamed)} renamed` : ''}`);
    } else if (k.changed + k.shapeChanged + k.added + k.removed === 0) {
      out.push(`weights converted: ${fmtCount(k.dtypeChanged)}/${fmtCount(k.a)} weight tensors changed type${archNote}`);
    } else {
      const parts = [
        k.changed && `${fmtCount(k.changed)} changed`,
        k.shapeChanged && `${fmtCount(k.shapeChanged)} shape changed`,
        k.dtypeChanged && `${fmtCount(k.dtypeChanged)} type changed`,
        k.added && `${fmtCount(k.added)} added`,
        k.removed && `${fmtCount(k.removed)} removed`,
        k.identical && `${fmtCount(k.identical)} identical${k.renamed ? ` (${fmtCount(k.renamed)} renamed)` : ''}`,
      ].filter(Boolean);
      out.push(`weights: ${parts.join(', ')} (${fmtCount(k.a)} → ${fmtCount(k.b)} weight tensors)`);
    }
  }

  // architecture
  if (!g.same) {
    const gc = g.counts;
    const parts: string[] = [];
    const nodeParts = [
      gc.added && `${fmtCount(gc.added)} added`,
      gc.removed && `${fmtCount(gc.removed)} removed`,
      gc.changed && `${fmtCount(gc.changed)} changed`,
      gc.renamed && `${fmtCount(gc.renamed)} renamed`,
    ].filter(Boolean);
    if (nodeParts.length) parts.push(`${unit}s ${nodeParts.join(', ')}`);
    const ops = g.opHistogram
      .slice()
      .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta))
      .slice(0, 4)
      .map((o) => `${signed(o.delta)} ${o.op}`);
    if (ops.length) parts.push(`ops ${ops.join(', ')}${g.opHistogram.length > 4 ? ', …' : ''}`);
    if (g.parameters.delta) parts.push(`parameters ${fmtCount(g.parameters.a)} → ${fmtCount(g.parameters.b)} (${signed(g.parameters.delta)})`);
    if (parts.length) out.push(`architecture: ${parts.join('; ')}`);
    // few changes: name them
    const named = g.rows.filter((r) => r.status === 'changed' || r.status === 'renamed');
    if (named.length && named.length <= 3) for (const r of named) out.push(`${unit} ${describeNodeChange(r)}`);
  }

  const soft = iface.changes.filter((c) => !c.breaking);
  if (soft.length) out.push(`interface (not breaking): ${list(soft.map((c) => c.text))}`);

  if (d.header.length) {
    out.push(`header: ${list(d.header.map((h) => `${h.field} ${shortValue(h.a, 30)} → ${shortValue(h.b, 30)}`), 3)}`);
  }
  if (!w.compared) out.push('weights not compared');
  if (!out.length) out.push('identical models');
  return out;
}
