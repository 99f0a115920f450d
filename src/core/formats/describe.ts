/** Plain-text renderings of a ModelSummary, shared by the CLI and the extension. */
import * as path from 'path';
import { formatValueInfo } from './format';
import type { GgufInfo, ModelSummary, TensorInfo } from './types';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatFormat(s: ModelSummary): string {
  switch (s.format) {
    case 'onnx':
      return `ONNX (IR ${s.irVersion ?? '?'})`;
    case 'keras-h5':
      return `Keras HDF5${s.keras?.kerasVersion ? ` (Keras ${s.keras.kerasVersion})` : ''}`;
    case 'keras-weights-h5':
      return `Keras HDF5 weights only${s.keras?.kerasVersion ? ` (Keras ${s.keras.kerasVersion})` : ''}`;
    case 'keras-v3':
      return `Keras 3 archive${s.keras?.kerasVersion ? ` (Keras ${s.keras.kerasVersion})` : ''}`;
    case 'safetensors':
      return s.safetensors?.shards ? `safetensors, sharded (${s.safetensors.shards.length} shard${s.safetensors.shards.length === 1 ? '' : 's'})` : 'safetensors';
    case 'pytorch':
      return `PyTorch ${s.pytorch?.kind === 'checkpoint' ? 'checkpoint' : s.pytorch?.kind === 'tensor' ? 'tensor' : s.pytorch?.kind === 'other' ? 'pickle' : 'state_dict'} (zip${s.pytorch?.fileVersion ? `, version ${s.pytorch.fileVersion}` : ''})`;
    case 'torchscript':
      return `TorchScript archive${s.pytorch?.fileVersion ? ` (version ${s.pytorch.fileVersion})` : ''}`;
    case 'gguf':
      return `GGUF v${s.gguf?.version ?? '?'}${s.gguf?.fileType ? ` (${s.gguf.fileType})` : ''}`;
    case 'tflite':
      return `TFLite (schema ${s.tflite?.schemaVersion ?? '?'}${s.tflite && s.tflite.subgraphs.length > 1 ? `, ${s.tflite.subgraphs.length} subgraphs` : ''})`;
  }
}

/** The tokenizer of a GGUF model in a few words: "gpt2 (llama-bpe), 128,256 tokens, 280,147 merges, BOS 128000, EOS 128009, chat template". */
export function ggufTokenizerText(t: NonNullable<GgufInfo['tokenizer']>): string {
  const parts = [`${t.model ?? 'unknown'}${t.pre ? ` (${t.pre})` : ''}`];
  if (t.tokens !== undefined) parts.push(`${formatCount(t.tokens)} tokens`);
  if (t.merges !== undefined) parts.push(`${formatCount(t.merges)} merges`);
  if (t.bosTokenId !== undefined) parts.push(`BOS ${t.bosTokenId}`);
  if (t.eosTokenId !== undefined) parts.push(`EOS ${t.eosTokenId}`);
  if (t.chatTemplate) parts.push('chat template');
  return parts.join(', ');
}

/** GGUF facts as label/value pairs (architecture, context length, quantization, tokenizer), for inspect and the summary editor. */
export function ggufFacts(g: GgufInfo): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  if (g.architecture) out.push({ label: 'Architecture', value: g.name ? `${g.architecture} (${g.name})` : g.architecture });
  if (g.contextLength !== undefined) out.push({ label: 'Context length', value: formatCount(g.contextLength) });
  const types = Object.entries(g.types).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (types.length) out.push({ label: 'Tensor types', value: types.map(([t, n]) => `${t} ×${n}`).join(', ') });
  if (g.tokenizer) out.push({ label: 'Tokenizer', value: ggufTokenizerText(g.tokenizer) });
  return out;
}

/** Tensors sorted by size, largest first. */
export function largestTensors(s: ModelSummary, n: number): TensorInfo[] {
  return [...s.tensors].sort((a, b) => b.paramCount - a.paramCount || a.name.localeCompare(b.name)).slice(0, n);
}

/** A readable multi-line summary for people (the CLI's `inspect`). */
export function describeSummary(s: ModelSummary, opts: { tensors?: number } = {}): string {
  const lines: string[] = [];
  const kv = (k: string, v: string) => lines.push(`${(k + ':').padEnd(13)} ${v}`);
  lines.push(path.basename(s.path));
  kv('format', formatFormat(s));
  kv('size', `${formatBytes(s.fileSize)} (${formatCount(s.fileSize)} bytes)`);
  if (s.producer && (s.producer.name || s.producer.version)) kv('producer', `${s.producer.name} ${s.producer.version}`.trim());
  if (s.opsets.length) kv('opsets', s.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', '));
  if (s.keras?.backend) kv('backend', s.keras.backend);
  if (s.keras?.modelClass) kv('model class', s.keras.modelClass);
  if (s.gguf) for (const f of ggufFacts(s.gguf)) kv(f.label.toLowerCase(), f.value);
  kv('parameters', `${formatCount(s.parameterCount)} in ${s.tensors.length} tensors`);
  const subgraphs = s.graphs.length - 1;
  kv('nodes', `${formatCount(s.nodes.length)}${subgraphs > 0 ? ` (in ${s.graphs.length} graphs: main + ${subgraphs} subgraphs)` : ''}`);
  lines.push('');
  lines.push('inputs:');
  for (const v of s.inputs) lines.push(`  ${formatValueInfo(v)}`);
  if (!s.inputs.length) lines.push('  (none)');
  lines.push('outputs:');
  for (const v of s.outputs) lines.push(`  ${formatValueInfo(v)}`);
  if (!s.outputs.length) lines.push('  (none)');
  const ops = Object.entries(s.opHistogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (ops.length) {
    lines.push('');
    lines.push(s.format === 'onnx' || s.format === 'tflite' ? 'operators:' : 'layers:');
    lines.push('  ' + ops.map(([op, n]) => `${op} ×${n}`).join(', '));
  }
  const meta = Object.entries(s.metadata);
  if (meta.length) {
    lines.push('');
    lines.push('metadata:');
    for (const [k, v] of meta) lines.push(`  ${k}: ${v.length > 120 ? v.slice(0, 117) + '…' : v}`);
  }
  const nt = opts.tensors ?? 10;
  if (s.tensors.length && nt > 0) {
    lines.push('');
    lines.push(`largest tensors (${Math.min(nt, s.tensors.length)} of ${s.tensors.length}):`);
    for (const t of largestTensors(s, nt)) {
      const where = t.origin === 'keras-weight' || t.origin === 'tensor' ? '' : t.graphPath ? `  [${t.origin} in ${t.graphPath}]` : t.origin !== 'initializer' ? `  [${t.origin}]` : '';
      lines.push(`  ${t.name}  ${t.dtype}[${t.shape.join(',')}]  ${formatCount(t.paramCount)}${where}`);
    }
  }
  const optimizer = s.keras?.optimizerWeights ?? s.pytorch?.optimizerTensors ?? [];
  if (optimizer.length) {
    const n = optimizer.reduce((a, t) => a + t.paramCount, 0);
    lines.push('');
    lines.push(`optimizer state: ${formatCount(n)} values in ${optimizer.length} tensors (not counted as parameters)`);
  }
  if (s.warnings.length) {
    lines.push('');
    lines.push('warnings:');
    for (const w of s.warnings) lines.push(`  ${w}`);
  }
  return lines.join('\n');
}
