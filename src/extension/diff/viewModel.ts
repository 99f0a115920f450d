/** ModelDiff → what the diff panel shows (src/shared/diffProtocol.ts). Pure: no vscode. */
import { formatDims, smallNote, type DiffSide, type ModelDiff, type TensorRef, type WeightRow } from '../../core/diff';
import { formatBytes } from '../../core/formats/describe';
import type { ValueInfo } from '../../core/formats/types';
import { WEIGHT_STATUS_ORDER, type DiffSideView, type DiffViewModel, type NodeRowView, type ValueRowView, type WeightRowStatus, type WeightRowView } from '../../shared/diffProtocol';

/** Most weight rows and node rows sent to the webview (it pages them further). */
export const MAX_WEIGHT_ROWS = 5000;
export const MAX_NODE_ROWS = 2000;

const count = (n: number) => n.toLocaleString('en-US');

const FORMATS: Record<string, string> = {
  onnx: 'ONNX',
  'keras-h5': 'Keras HDF5',
  'keras-weights-h5': 'Keras HDF5 weights',
  'keras-v3': 'Keras v3',
  safetensors: 'safetensors',
  pytorch: 'PyTorch',
  torchscript: 'TorchScript',
  gguf: 'GGUF',
  tflite: 'TFLite',
};

function short(v: unknown, max = 120): string {
  if (v === null || v === undefined) return '(none)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (s === undefined) return '(none)';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function sideView(s: DiffSide, origin: string): DiffSideView {
  return {
    label: s.label,
    origin,
    format: FORMATS[s.format] ?? s.format,
    size: formatBytes(s.fileSize),
    parameters: count(s.parameterCount),
    tensors: count(s.tensorCount),
    nodes: count(s.nodeCount),
  };
}

const tensorType = (t: TensorRef | undefined) => (t ? `${t.dtype}${formatDims(t.shape)}` : '');

function weightRow(r: WeightRow): WeightRowView {
  const s = r.stats;
  const status: WeightRowStatus = r.status === 'identical' && r.renamed ? 'renamed' : r.status;
  const row: WeightRowView = {
    status,
    nameA: r.a?.name ?? '',
    nameB: r.b?.name ?? '',
    shapeA: tensorType(r.a),
    shapeB: tensorType(r.b),
    params: (r.b ?? r.a)?.paramCount ?? 0,
    maxAbs: s?.maxAbs ?? null,
    relative: s?.relative ?? null,
    cosine: s?.cosine ?? null,
    changedFraction: s ? s.changedFraction : status === 'identical' || status === 'renamed' ? 0 : null,
    small: !!r.small,
  };
  if (r.note) row.note = r.note;
  return row;
}

function weightChanges(d: ModelDiff): string {
  const c = d.weights.counts;
  return [
    c.changed && `${count(c.changed)} changed`,
    c.shapeChanged && `${count(c.shapeChanged)} shape changed`,
    c.dtypeChanged && `${count(c.dtypeChanged)} type changed`,
    c.added && `${count(c.added)} added`,
    c.removed && `${count(c.removed)} removed`,
    c.renamed && `${count(c.renamed)} renamed`,
  ]
    .filter(Boolean)
    .join(', ');
}

function weightSummary(d: ModelDiff): string {
  const c = d.weights.counts;
  const parts = [
    `${count(c.identical)} identical${c.renamed ? ` (${count(c.renamed)} renamed)` : ''}`,
    c.changed && `${count(c.changed)} changed`,
    c.shapeChanged && `${count(c.shapeChanged)} shape changed`,
    c.dtypeChanged && `${count(c.dtypeChanged)} type changed`,
    c.added && `${count(c.added)} added`,
    c.removed && `${count(c.removed)} removed`,
  ].filter(Boolean);
  return `${count(c.a)} → ${count(c.b)} tensors: ${parts.join(', ')}${d.weights.compared ? smallNote(d) : ' (values not compared)'}`;
}

function values(d: ModelDiff, side: 'a' | 'b'): ValueRowView[] {
  const v = (io: 'input' | 'output') => (x: ValueInfo): ValueRowView => ({ io, name: x.name, type: `${x.dtype}${formatDims(x.shape)}` });
  return [...d.interface.inputs[side].map(v('input')), ...d.interface.outputs[side].map(v('output'))];
}

export interface DiffViewOptions {
  title: string;
  /** subtitles of A and B (where each comes from) */
  originA: string;
  originB: string;
}

export function toDiffViewModel(d: ModelDiff, o: DiffViewOptions): DiffViewModel {
  const g = d.graph;
  const gc = g.counts;
  const nodeRows: NodeRowView[] = g.rows.slice(0, MAX_NODE_ROWS).map((r) => {
    const row: NodeRowView = {
      status: r.status,
      name: r.name || `#${r.index}`,
      opType: r.opType,
      graphPath: r.graphPath,
      changes: (r.changes ?? []).map((c) => ({ key: c.key, a: short(c.a), b: short(c.b) })),
    };
    if (r.newName) row.newName = r.newName;
    if (r.newOpType) row.newOpType = r.newOpType;
    return row;
  });

  // changes first (the most serious first, larger tensors first within a status), identical rows last
  const weightRows = d.weights.rows
    .map((r, i) => ({ v: weightRow(r), i }))
    .sort((x, y) => WEIGHT_STATUS_ORDER[x.v.status] - WEIGHT_STATUS_ORDER[y.v.status] || Number(x.v.small) - Number(y.v.small) || x.i - y.i)
    .map((x) => x.v);
  const keptWeights = weightRows.slice(0, MAX_WEIGHT_ROWS);

  return {
    title: o.title,
    a: sideView(d.a, o.originA),
    b: sideView(d.b, o.originB),
    verdicts: d.verdicts.map((text) => ({ text, breaking: text.startsWith('breaking:') })),
    same: d.same,
    breaking: d.breaking,
    interface: {
      same: d.interface.same,
      changes: d.interface.changes.map((c) => ({
        io: c.io,
        kind: c.kind,
        nameA: c.a?.name ?? '',
        nameB: c.b?.name ?? '',
        a: c.a ? `${c.a.dtype}${formatDims(c.a.shape)}` : '',
        b: c.b ? `${c.b.dtype}${formatDims(c.b.shape)}` : '',
        breaking: c.breaking,
        text: c.text,
      })),
      a: values(d, 'a'),
      b: values(d, 'b'),
    },
    header: d.header.map((h) => ({ field: h.field, a: short(h.a, 400), b: short(h.b, 400) })),
    graph: {
      same: g.same,
      unit: g.unit,
      summary:
        `${count(g.nodeCount.a)} → ${count(g.nodeCount.b)} ${g.unit} (matched by ${g.matchedBy}): ` +
        `${count(gc.unchanged)} unchanged, ${count(gc.changed)} changed, ${count(gc.renamed)} renamed, ${count(gc.added)} added, ${count(gc.removed)} removed`,
      parameters: g.parameters,
      opHistogram: g.opHistogram.map((x) => ({ op: x.op, a: x.a, b: x.b, delta: x.delta })),
      graphsAdded: g.graphsAdded,
      graphsRemoved: g.graphsRemoved,
      rows: nodeRows,
      rowsOmitted: g.rowsOmitted + (g.rows.length - nodeRows.length),
    },
    weights: {
      same: d.weights.same,
      compared: d.weights.compared,
      summary: weightSummary(d),
      differing: ((c) => c.changed + c.shapeChanged + c.dtypeChanged + c.added + c.removed + c.renamed)(d.weights.counts),
      changes: weightChanges(d),
      rows: keptWeights,
      rowsOmitted: d.weights.rowsOmitted + (weightRows.length - keptWeights.length),
    },
    warnings: d.warnings,
    elapsedMs: d.elapsedMs,
  };
}
