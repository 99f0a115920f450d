/**
 * Words and numbers of the lineage and metric views, one rule each, shared by the CLI renderings
 * (src/core/lineage), the host and the webviews (Lineage, Metric History). Pure: no DOM, no Node.
 */

/** The edge kinds of src/core/lineage/types.ts (LineageEdgeKind). */
export type LineageEdgeKindText = 'parent' | 'derived-from' | 'trained-on' | 'built-from' | 'evaluated' | 'evaluated-on';

/**
 * A metric value, the same way everywhere: 4 decimals (0.7500, 0.8155, 12.3457); values too large or
 * too small for that (|x| ≥ 10,000 or below 0.001) with 4 significant digits in exponent form (1.235e+4).
 */
export function formatMetric(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0.0000';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(3);
  return x.toFixed(4);
}

/**
 * What a dataset's role says about its use: `train` → trained on; `test` → evaluated on; `validation` →
 * validated on; `data` (the default role: the use was not said) → used; any other role → used for <role>.
 */
export function roleWords(role: string | undefined): string {
  const r = (role ?? '').trim().toLowerCase();
  if (r === '' || r === 'data') return 'used';
  if (r === 'train' || r === 'training' || r === 'trainval' || r === 'pretrain' || r === 'finetune' || r === 'fine-tune') return 'trained on';
  if (r === 'test' || r === 'testing' || r === 'eval' || r === 'evaluation' || r === 'holdout' || r === 'hold-out' || r === 'benchmark') return 'evaluated on';
  if (r === 'validation' || r === 'val' || r === 'valid' || r === 'dev') return 'validated on';
  return `used for ${role!.trim()}`;
}

/**
 * The words on an edge drawn from its source to its target, read "target <words> source" (ft v1
 * "derived from" hello v2, v2 "trained on" train.csv). Parent and evaluated edges are drawn without
 * words (their arrows say it: next version, evaluation of); '' for those.
 * @param role the dataset role of a trained-on edge (its label)
 */
export function edgeWords(kind: LineageEdgeKindText, role?: string): string {
  switch (kind) {
    case 'derived-from':
      return 'derived from';
    case 'trained-on':
      return roleWords(role);
    case 'built-from':
      return 'built from code';
    case 'evaluated-on':
      return 'evaluated on';
    case 'parent':
    case 'evaluated':
      return '';
  }
}

/**
 * An edge as seen from one of its ends, for a list of a node's relations: 'in' when the node is the
 * target ("trained on" train.csv), 'out' when it is the source ("test data of" v2).
 */
export function relationWords(kind: LineageEdgeKindText, role: string | undefined, side: 'in' | 'out'): string {
  if (side === 'in') {
    if (kind === 'parent') return 'after';
    if (kind === 'evaluated') return 'evaluation of';
    return edgeWords(kind, role);
  }
  switch (kind) {
    case 'parent':
      return 'followed by';
    case 'derived-from':
      return 'base of';
    case 'trained-on': {
      const w = roleWords(role);
      return w === 'trained on' ? 'training data of' : w === 'evaluated on' ? 'test data of' : w === 'validated on' ? 'validation data of' : w === 'used' ? 'used by' : `${role} data of`;
    }
    case 'built-from':
      return 'code of';
    case 'evaluated':
      return 'evaluated in';
    case 'evaluated-on':
      return 'data of';
  }
}

/** One training parameter as a table row: a dotted key for nested objects, the value as text. */
export interface ParamRow {
  key: string;
  value: string;
}

/**
 * Training parameters as rows, sorted by key: nested objects flattened to dotted keys
 * (`optimizer.name`), lists of plain values as `[0.9, 0.999]`, other lists and values as compact JSON,
 * strings as they are. Numbers as written (a learning rate 0.0003 stays 0.0003: parameters are not metrics).
 */
export function paramRows(params: Record<string, unknown>): ParamRow[] {
  const rows: ParamRow[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, x);
      return;
    }
    rows.push({ key: prefix, value: paramValue(v) });
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function paramValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v) && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))) return `[${v.map((x) => String(x)).join(', ')}]`;
  return JSON.stringify(v) ?? String(v);
}
