/**
 * Does the label column fit the model's output? A wrong label column often still gives plausible
 * numbers (a sigmoid "regressor" with an RMSE, class 1/2 labels silently read as classes 0/1), so after
 * an evaluation these checks say, in words, when the label's values do not look like what the model
 * predicts. They only warn: each situation can be legitimate, and the user decides.
 *
 * - continuous label for a classifier: the task is regression (the label has fractions), but every
 *   output of the model is a probability (one value per row, all in [0, 1]) while the label leaves
 *   [0, 1] — the error metrics then compare a probability with, say, minutes;
 * - class labels that are numbers but not the class indices 0 … K−1 (binary: not 0 and 1): the
 *   model's output column j is matched with the j-th smallest label value, which is right only if
 *   the model was trained on that same mapping (e.g. labels 1, 2, 3 ↔ output columns 0, 1, 2).
 *
 * A class count that differs from the model's output columns is an error already (toProbabilities in
 * ./evaluate.ts); labels that are words (yes/no) name their classes and are not checked.
 */
import type { ModelEvaluation } from './evaluate';

/** What the checks read of an evaluation (its predictions included). */
export type LabelFitInput = Pick<ModelEvaluation, 'label' | 'task' | 'classNames' | 'predictions'> & { dataset: Pick<ModelEvaluation['dataset'], 'label'> };

const fmt = (x: number): string => String(Number(x.toPrecision(4)));

function listValues(names: string[], max = 6): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max - 1).join(', ')}, …, ${names[names.length - 1]}`;
}

/** The label's range when it is continuous but every output of the model is a probability (see the header). */
function continuousForClassifier(ev: LabelFitInput): { lo: number; hi: number } | undefined {
  if (ev.task !== 'regression') return undefined;
  const pred = ev.predictions.yPred;
  const y = ev.predictions.yTrue;
  if (!pred.length) return undefined;
  for (let i = 0; i < pred.length; i++) if (!(pred[i] >= 0 && pred[i] <= 1)) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < y.length; i++) {
    if (y[i] < lo) lo = y[i];
    if (y[i] > hi) hi = y[i];
  }
  return lo < 0 || hi > 1 ? { lo, hi } : undefined;
}

/** The warning about class labels that are numbers but not 0 … K−1, or undefined. */
function classIndexWarning(ev: LabelFitInput): string | undefined {
  if (ev.task === 'regression') return undefined;
  const col = `'${ev.dataset.label}'`;
  const names = ev.classNames ?? [];
  if (names.length < 2 || !names.every((n) => /^-?\d+(\.\d+)?$/.test(n.trim()))) return undefined;
  if (names.map(Number).every((v, i) => v === i)) return undefined;
  if (ev.task === 'binary') {
    return (
      `the label column ${col} holds ${names[0]} and ${names[1]}, not 0 and 1: ${names[0]} is read as class 0 and ${names[1]} as class 1 (the model's positive class). ` +
      `Check that ${col} is the column the model predicts.`
    );
  }
  const k = names.length;
  return (
    `the label column ${col} holds ${listValues(names)}, not the class indices 0 … ${k - 1} of the model's ${k} output columns: ` +
    `they are matched in ascending order (${names[0]} → column 0, ${names[1]} → column 1, …). Check that ${col} is the column the model predicts and that its classes are numbered that way.`
  );
}

/** Warnings (sentences) for one evaluation; [] when the label fits the model's output. */
export function labelFitWarnings(ev: LabelFitInput): string[] {
  return labelFitWarningsOf([ev]);
}

/** The warnings of several evaluations (of one comparison): each said once, naming the models it concerns. */
export function labelFitWarningsOf(evs: LabelFitInput[]): string[] {
  const out: string[] = [];
  const byColumn = new Map<string, { models: string[]; lo: number; hi: number }>();
  for (const ev of evs) {
    const c = continuousForClassifier(ev);
    if (!c) continue;
    const g = byColumn.get(ev.dataset.label);
    if (g) {
      g.models.push(ev.label);
      g.lo = Math.min(g.lo, c.lo);
      g.hi = Math.max(g.hi, c.hi);
    } else byColumn.set(ev.dataset.label, { models: [ev.label], ...c });
  }
  for (const [label, g] of byColumn) {
    const col = `'${label}'`;
    const who = g.models.length === 1 ? g.models[0] : `${g.models.slice(0, -1).join(', ')} and ${g.models[g.models.length - 1]}`;
    out.push(
      `the label column ${col} is continuous (values ${fmt(g.lo)} … ${fmt(g.hi)}), but every output of ${who} is in [0, 1], like a classifier's probability: ` +
        `the error metrics compare a probability with ${col}. Check that ${col} is the column the models predict.`,
    );
  }
  for (const ev of evs) {
    const w = classIndexWarning(ev);
    if (w && !out.includes(w)) out.push(w);
  }
  return out;
}
