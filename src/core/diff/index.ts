/**
 * Compare two models (two files, or two versions written to files): interface, header, graph and
 * weights, into a JSON-serializable ModelDiff with one-line verdicts. Pure Node (no vscode).
 */
import * as path from 'path';
import { readModelSummary } from '../formats';
import type { ModelSummary } from '../formats/types';
import { diffGraph } from './graph';
import { diffHeader, diffInterface } from './interface';
import type { DiffOptions, DiffSide, ModelDiff } from './types';
import { computeVerdicts } from './verdict';
import { diffWeights } from './weights';

export * from './types';
export { renderMarkdown, renderText, fmtNum, smallNote, type RenderOptions } from './render';
export { shapeChangeBreaks, formatDims } from './interface';
export { alignSequences } from './align';

/** One side of a diff: a model file, its summary if already read, and how to call it. */
export interface DiffInput {
  file: string;
  summary?: ModelSummary;
  label?: string;
  version?: DiffSide['version'];
  /** the path to show instead of `file` (e.g. the repository path of a version read to a temp file) */
  displayPath?: string;
}

function side(input: DiffInput, s: ModelSummary, label: string | undefined): DiffSide {
  const out: DiffSide = {
    label: label ?? input.label ?? input.file,
    path: input.displayPath ?? path.resolve(input.file),
    format: s.format,
    fileSize: s.fileSize,
    parameterCount: s.parameterCount,
    tensorCount: s.tensors.length,
    nodeCount: s.nodes.length,
  };
  if (input.version) out.version = input.version;
  return out;
}

/** Compare two models. Weight values are read from the files lazily, tensor by tensor. */
export async function diffModels(a: DiffInput | string, b: DiffInput | string, opts: DiffOptions = {}): Promise<ModelDiff> {
  const t0 = Date.now();
  const ia: DiffInput = typeof a === 'string' ? { file: a } : a;
  const ib: DiffInput = typeof b === 'string' ? { file: b } : b;
  // both files at once; when both fail, A's error is the one reported (as when they were read in turn)
  const [ra, rb] = await Promise.allSettled([ia.summary ?? readModelSummary(ia.file), ib.summary ?? readModelSummary(ib.file)]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  const sa = ra.value;
  const sb = rb.value;
  const iface = diffInterface(sa, sb);
  const header = diffHeader(sa, sb);
  const { graph, layerRenames } = diffGraph(sa, sb, { maxNodeRows: opts.maxNodeRows });
  const weights = await diffWeights(ia.file, sa, ib.file, sb, layerRenames, opts);
  const warnings = [...sa.warnings.map((w) => `A: ${w}`), ...sb.warnings.map((w) => `B: ${w}`)];
  const partial = {
    schema: 1 as const,
    a: side(ia, sa, opts.labelA),
    b: side(ib, sb, opts.labelB),
    interface: iface,
    header,
    graph,
    weights,
    warnings,
  };
  const same = iface.same && header.length === 0 && graph.same && weights.same && weights.compared;
  const verdicts = computeVerdicts(partial);
  return {
    schema: 1,
    a: partial.a,
    b: partial.b,
    verdicts,
    same,
    breaking: iface.breaking,
    interface: iface,
    header,
    graph,
    weights,
    warnings,
    elapsedMs: Date.now() - t0,
  };
}
