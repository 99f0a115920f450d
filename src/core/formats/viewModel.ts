/** Turn a ModelSummary into the small view model the Inspect panel shows (no vscode import). */
import type { InspectViewModel } from '../../shared/webviewProtocol';
import { formatBytes, formatCount, formatFormat, ggufFacts, largestTensors } from './describe';
import { formatShape } from './format';
import type { ModelSummary } from './types';

export const MAX_TENSOR_ROWS = 2000;

export function toInspectViewModel(s: ModelSummary, displayPath: string): InspectViewModel {
  const facts: { label: string; value: string }[] = [];
  facts.push({ label: 'Parameters', value: `${formatCount(s.parameterCount)} in ${formatCount(s.tensors.length)} tensors` });
  // weights-only files (safetensors, GGUF, state dicts) store no graph: no 'Nodes 0'
  if (s.nodes.length || s.inputs.length || s.outputs.length) facts.push({ label: s.format.startsWith('keras') ? 'Layers' : 'Nodes', value: formatCount(s.nodes.length) + (s.graphs.length > 1 ? ` in ${s.graphs.length} graphs` : '') });
  if (s.producer && (s.producer.name || s.producer.version)) facts.push({ label: 'Producer', value: `${s.producer.name} ${s.producer.version}`.trim() });
  if (s.opsets.length) facts.push({ label: 'Opsets', value: s.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ') });
  if (s.keras?.modelClass) facts.push({ label: 'Model class', value: s.keras.modelClass });
  if (s.keras?.backend) facts.push({ label: 'Backend', value: s.keras.backend });
  if (s.gguf) facts.push(...ggufFacts(s.gguf));
  const optimizer = s.keras?.optimizerWeights ?? s.pytorch?.optimizerTensors ?? [];
  if (optimizer.length) {
    const n = optimizer.reduce((a, t) => a + t.paramCount, 0);
    facts.push({ label: 'Optimizer state', value: `${formatCount(n)} values (not counted)` });
  }
  if (s.docString) facts.push({ label: 'Doc', value: s.docString.length > 300 ? s.docString.slice(0, 297) + '…' : s.docString });
  const tensors = largestTensors(s, MAX_TENSOR_ROWS).map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    params: t.paramCount,
    origin: t.origin,
    where: t.graphPath,
  }));
  return {
    fileName: s.path.split(/[\\/]/).pop() ?? s.path,
    displayPath,
    format: formatFormat(s),
    size: `${formatBytes(s.fileSize)}`,
    facts,
    inputs: s.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: formatShape(v.shape) || '(unknown)' })),
    outputs: s.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: formatShape(v.shape) || '(unknown)' })),
    ops: Object.entries(s.opHistogram)
      .map(([op, count]) => ({ op, count }))
      .sort((a, b) => b.count - a.count || a.op.localeCompare(b.op)),
    metadata: Object.entries(s.metadata).map(([key, value]) => ({ key, value })),
    tensors,
    tensorTotal: s.tensors.length,
    warnings: s.warnings,
  };
}
