/** Interface (inputs/outputs) and header comparison. */
import type { Dim, ModelSummary, ValueInfo } from '../formats/types';
import type { HeaderChange, HeaderValue, InterfaceChange, InterfaceDiff } from './types';

export function formatDims(shape: Dim[] | null | undefined): string {
  if (!shape) return '[?…]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function describeValue(v: ValueInfo): string {
  return `${v.dtype}${formatDims(v.shape)}`;
}

const isFixed = (d: Dim): d is number => typeof d === 'number';

/**
 * Would a consumer of the old value fail with the new one?
 * Inputs: the old consumer feeds what the old model accepted. A fixed dimension that changes (or
 * becomes fixed where it was symbolic/unknown) rejects old feeds; one that becomes symbolic accepts
 * more, so it is not breaking. Outputs: the old consumer relies on what it got; a fixed
 * dimension that changes or becomes symbolic breaks it; symbolic → fixed does not.
 * A rank change always breaks.
 */
export function shapeChangeBreaks(io: 'input' | 'output', a: Dim[] | null, b: Dim[] | null): boolean {
  if (a === null && b === null) return false;
  if (a === null) return io === 'input'; // unknown → known: inputs may reject old feeds
  if (b === null) return io === 'output'; // known → unknown: outputs no longer promise a shape
  if (a.length !== b.length) return true;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (isFixed(x) && isFixed(y)) {
      if (x !== y) return true;
    } else if (isFixed(x) && !isFixed(y)) {
      if (io === 'output') return true;
    } else if (!isFixed(x) && isFixed(y)) {
      if (io === 'input') return true;
    }
  }
  return false;
}

function sameShape(a: Dim[] | null, b: Dim[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function compareList(io: 'input' | 'output', la: ValueInfo[], lb: ValueInfo[], renameBreaks: boolean): InterfaceChange[] {
  const out: InterfaceChange[] = [];
  const bByName = new Map<string, number>();
  lb.forEach((v, i) => {
    if (!bByName.has(v.name)) bByName.set(v.name, i);
  });
  const matchedB = new Set<number>();
  const unmatchedA: number[] = [];
  la.forEach((va, i) => {
    const j = bByName.get(va.name);
    if (j === undefined || matchedB.has(j)) {
      unmatchedA.push(i);
      return;
    }
    matchedB.add(j);
    const vb = lb[j];
    if (va.dtype !== vb.dtype) {
      out.push({ kind: 'dtype', io, name: va.name, a: va, b: vb, breaking: true, text: `${io} ${va.name} ${va.dtype} → ${vb.dtype}` });
    }
    if (!sameShape(va.shape, vb.shape)) {
      const breaking = shapeChangeBreaks(io, va.shape, vb.shape);
      out.push({
        kind: 'shape',
        io,
        name: va.name,
        a: va,
        b: vb,
        breaking,
        text: `${io} ${va.name} ${formatDims(va.shape)} → ${formatDims(vb.shape)}`,
      });
    }
  });
  // renamed: same position, same dtype and shape, another name
  const stillA: number[] = [];
  for (const i of unmatchedA) {
    const va = la[i];
    const vb = lb[i];
    if (vb && !matchedB.has(i) && !la.some((x) => x.name === vb.name) && vb.dtype === va.dtype && sameShape(va.shape, vb.shape)) {
      matchedB.add(i);
      out.push({
        kind: 'renamed',
        io,
        name: va.name,
        newName: vb.name,
        a: va,
        b: vb,
        breaking: renameBreaks,
        text: `${io} ${va.name} renamed to ${vb.name}`,
      });
    } else stillA.push(i);
  }
  for (const i of stillA) {
    const va = la[i];
    out.push({ kind: 'removed', io, name: va.name, a: va, breaking: true, text: `${io} ${va.name} ${describeValue(va)} removed` });
  }
  lb.forEach((vb, j) => {
    if (matchedB.has(j)) return;
    // a new input must be fed (ONNX summaries list only inputs that are not initializers, so every one is required);
    // a new output breaks no one
    const breaking = io === 'input';
    out.push({
      kind: 'added',
      io,
      name: vb.name,
      b: vb,
      breaking,
      text: io === 'input' ? `new required input ${vb.name} ${describeValue(vb)}` : `new output ${vb.name} ${describeValue(vb)}`,
    });
  });
  return out;
}

/**
 * Inputs and outputs. Renaming an ONNX input or output is breaking (ONNX Runtime feeds and
 * fetches by name); renaming a Keras one is not (Keras models are called positionally).
 */
export function diffInterface(a: ModelSummary, b: ModelSummary): InterfaceDiff {
  const renameBreaks = a.format === 'onnx' || b.format === 'onnx';
  const changes = [...compareList('input', a.inputs, b.inputs, renameBreaks), ...compareList('output', a.outputs, b.outputs, renameBreaks)];
  return {
    inputs: { a: a.inputs, b: b.inputs },
    outputs: { a: a.outputs, b: b.outputs },
    changes,
    same: changes.length === 0,
    breaking: changes.some((c) => c.breaking),
  };
}

// ---------------------------------------------------------------- header

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : x,
  );
}

const domainName = (d: string) => (d === '' ? 'ai.onnx' : d);

/** IR version, opsets and domains, producer, model domain/version, doc string, metadata; Keras version, backend, configs. */
export function diffHeader(a: ModelSummary, b: ModelSummary): HeaderChange[] {
  const out: HeaderChange[] = [];
  const add = (field: string, x: HeaderValue | undefined, y: HeaderValue | undefined) => {
    const xa = x === undefined || x === '' ? null : x;
    const yb = y === undefined || y === '' ? null : y;
    if (xa !== yb) out.push({ field, a: xa, b: yb });
  };
  if (a.format !== b.format) add('format', a.format, b.format);
  add('irVersion', a.irVersion, b.irVersion);
  const opA = new Map(a.opsets.map((o) => [domainName(o.domain), o.version]));
  const opB = new Map(b.opsets.map((o) => [domainName(o.domain), o.version]));
  for (const d of [...new Set([...opA.keys(), ...opB.keys()])].sort()) add(`opset:${d}`, opA.get(d), opB.get(d));
  const prod = (s: ModelSummary) => (s.producer ? `${s.producer.name}${s.producer.version ? ` ${s.producer.version}` : ''}` : undefined);
  add('producer', prod(a), prod(b));
  add('domain', a.domain, b.domain);
  add('modelVersion', a.modelVersion, b.modelVersion);
  add('docString', a.docString, b.docString);
  for (const k of [...new Set([...Object.keys(a.metadata), ...Object.keys(b.metadata)])].sort()) add(`metadata:${k}`, a.metadata[k], b.metadata[k]);
  const ka = a.keras;
  const kb = b.keras;
  if (ka || kb) {
    add('keras:modelClass', ka?.modelClass, kb?.modelClass);
    add('keras:weightsOnly', ka?.weightsOnly, kb?.weightsOnly);
    const tc = (k: typeof ka) => (k?.trainingConfig ? stableJson(k.trainingConfig) : undefined);
    if (tc(ka) !== tc(kb)) add('keras:trainingConfig', tc(ka) ?? null, tc(kb) ?? null);
    add('keras:optimizerWeights', ka ? ka.optimizerWeights.length : undefined, kb ? kb.optimizerWeights.length : undefined);
  }
  return out;
}
