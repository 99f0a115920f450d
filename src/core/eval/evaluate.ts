/**
 * Evaluating a model on a dataset through the evaluation host, and comparing models on the same rows.
 *
 * `evaluateModel` uploads the model and the dataset's feature matrix to the host (only what it lacks),
 * runs one output of the model over every row, interprets that output for the task and computes the
 * metrics (src/core/metrics) plus resampling intervals of the test set (k stratified subsets of the evaluation set,
 * no retraining). The per-row predictions are kept so that `compareModels` can run paired tests.
 *
 * How the output is read (the output named by `outputName`, else the model's first output):
 * - binary: one column = P(class 1); two columns = [P(class 0), P(class 1)]. Values outside [0, 1]
 *   (one column) are taken as a logit and passed through a sigmoid; two columns that are not a
 *   probability distribution (a negative value, or a row sum off 1 by more than 1e-3) are logits and
 *   get a softmax.
 * - multiclass: one column per class (in the dataset's classNames order); rows that are not a
 *   probability distribution (as above) are logits and get a softmax.
 * - regression: one value per row.
 * The result's `interpretation` says which of these happened.
 */
import * as crypto from 'crypto';
import * as path from 'path';
import type { BatchPlan, DatasetTask, Dataset } from './dataset';
import type { StreamedRun } from './streamEval';
import { planBatches } from './dataset';
import { modelIdentity, sha256File, type EvalClient } from './client';
import type { EvalCache } from './cache';
import { evaluateInlineRows, takesInlineRows } from './inlineRows';
import { outputFloats } from '../../shared/evalProtocol';
import type { EvalEngine, EvaluateProgress, EvaluateResult, ProviderName } from '../../shared/evalProtocol';
import { readModelSummary } from '../formats';
import { assertRunnable, assertRunnableFormat } from './runnable';
import { EvaluationError } from './errors';
import {
  accuracy,
  classificationReport,
  crossValidateClassifier,
  crossValidateRegressor,
  f1Score,
  labelsFromMatrix,
  labelsFromProbabilities,
  logLoss,
  logLossOfMatrix,
  matrixRows,
  cochransQ,
  holm,
  mcnemar,
  mcnemarRowsNeeded,
  mcnemarVerdict,
  rowsNeededFromSe,
  meanAbsoluteError,
  meanSquaredError,
  pairedBootstrapAccuracy,
  pairedBootstrapMetric,
  bootstrapVerdict,
  r2Score,
  regressionReport,
  rocAuc,
  type BootstrapResult,
  type Labels,
  type McNemarResult,
  type ProbabilityMatrix,
  type Verdict,
  type VerdictResult,
  verdictText,
} from '../metrics';

export interface EvalTarget {
  /** the model file (a temporary copy for committed versions) */
  file: string;
  /** how reports name it (default: the file's base name) */
  label?: string;
}

export interface EvaluateModelOptions {
  /** default: dataset.task */
  task?: DatasetTask;
  /** rows per run (default 256; a model with a fixed batch dimension uses its own) */
  batchSize?: number;
  /** cross-validation folds of the evaluation set (default 5; 0 or 1 = none) */
  folds?: number;
  /** seed of the fold assignment */
  seed?: number;
  /** the model output to read (default: the first output) */
  outputName?: string;
  onProgress?: (p: EvaluateProgress) => void;
  signal?: AbortSignal;
  /** filled with where the time went, ms: host (waiting for it to start), model (its upload), run (rows there, outputs back), metrics */
  timings?: Record<string, number>;
  /**
   * A local host gets the rows inside the evaluate requests (./inlineRows.ts) instead of an upload it
   * keeps: for a one-off evaluation (`modelver eval`), where nothing would use the kept copy again.
   * Default false: the dataset is uploaded once and later evaluations on this host reuse it.
   */
  rowsInline?: boolean;
  /**
   * The host's outputs for these rows, computed while the dataset was read (./streamEval.ts): taken when
   * they were computed in the plan and for the output this evaluation uses, else the model runs again.
   */
  streamed?: StreamedRun;
  /** reuse the host's outputs for the same model bytes, data and settings (./cache.ts); store new ones */
  cache?: EvalCache;
  /**
   * Class lists this model was evaluated with before (its version's recorded evaluations), in column
   * order: data that lacks some classes is read with the one as long as the model's output whose names
   * hold every label of the data.
   */
  knownClassNames?: string[][];
}

export interface CvSummary {
  mean: number;
  std: number;
  /** 95% t-interval of the mean over folds */
  ci95: [number, number];
}

export interface ModelPredictions {
  /** true class indices / values */
  yTrue: Labels;
  /** predicted class indices (classification) or values (regression) */
  yPred: Int32Array | Float64Array;
  /** classification: one probability row per dataset row (K columns) */
  probabilities?: Float64Array[];
}

export interface ModelEvaluation {
  label: string;
  file: string;
  /** sha256 of the model file (what the host knows it by; equals the LFS oid of a committed version) */
  modelHash: string;
  task: DatasetTask;
  provider: ProviderName;
  /** what ran the model: onnxruntime-node, or TensorFlow.js layers on the CPU (Keras models) */
  engine: EvalEngine;
  rows: number;
  /** the output read and how */
  outputName: string;
  interpretation: string;
  classNames?: string[];
  /** flat metric values: accuracy, precisionMacro, …, logLoss, rocAuc  |  mse, rmse, mae, r2 */
  metrics: Record<string, number>;
  /** classification: confusion[true][predicted] */
  confusion?: number[][];
  /** per metric, over `cvFolds` resampled folds (empty when folds < 2) */
  cv: Record<string, CvSummary>;
  cvFolds: number;
  predictions: ModelPredictions;
  /** rowShape: the shape of one row when it was given (DatasetSpec.inputShape) */
  dataset: { file: string; sha256: string; rows: number; label: string; features: string[]; rowShape?: number[] };
  sessionMs: number;
  runMs: number;
  notes: string[];
  /** with a cache: the key, and whether the outputs came from it (`created`: when the host computed them) */
  cache?: { key: string; hit: boolean; created?: string };
}

const PROVIDER_LABELS: Record<ProviderName, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA' };

/** 'onnxruntime on CPU', 'onnxruntime on WebGPU', 'TensorFlow.js on CPU': what ran a model, for people. */
export function runtimeLabel(ev: Pick<ModelEvaluation, 'engine' | 'provider'>): string {
  return `${ev.engine === 'tfjs-cpu' ? 'TensorFlow.js' : 'onnxruntime'} on ${PROVIDER_LABELS[ev.provider] ?? ev.provider}`;
}

export { EvaluationError, NotRunnableError } from './errors';

/** metrics where a lower value is better */
export const LOWER_IS_BETTER = new Set(['logLoss', 'mse', 'rmse', 'mae']);
export const REGRESSION_METRICS = ['mse', 'rmse', 'mae', 'r2'];

const isClassification = (t: DatasetTask): boolean => t !== 'regression';

/**
 * @param client the evaluation host, or a function that opens it (called only when the outputs are
 *   not in `opts.cache`, so an all-cached run starts no host)
 */
export async function evaluateModel(target: EvalTarget, dataset: Dataset, client: EvalClient | (() => Promise<EvalClient>), opts: EvaluateModelOptions = {}): Promise<ModelEvaluation> {
  const task = opts.task ?? dataset.task;
  const label = target.label ?? path.basename(target.file);
  if (isClassification(task) && !dataset.classNames) {
    throw new EvaluationError(`task '${task}' needs class labels, but the dataset was loaded for '${dataset.task}'`);
  }
  if (!isClassification(task) && dataset.task !== 'regression') {
    throw new EvaluationError(`task 'regression' needs numeric labels, but the dataset was loaded for '${dataset.task}'`);
  }
  // a format the host cannot run is refused before its summary, a host start or an upload (./runnable.ts)
  await assertRunnable(target.file, label);
  const summary = await readModelSummary(target.file);
  assertRunnableFormat(summary.format, label);
  if (summary.inputs.length === 0) throw new EvaluationError(`${label} has no inputs`);
  if (summary.inputs.length > 1) {
    throw new EvaluationError(`${label} takes ${summary.inputs.length} inputs (${summary.inputs.map((i) => i.name).join(', ')}); evaluation feeds one input from the dataset`);
  }
  const input = summary.inputs[0];
  const plan = planBatches(dataset, input, opts.batchSize ?? 256);
  const outputName = opts.outputName ?? summary.outputs[0]?.name;
  if (!outputName) throw new EvaluationError(`${label} has no outputs`);
  if (opts.outputName && !summary.outputs.some((o) => o.name === opts.outputName)) {
    throw new EvaluationError(`${label} has no output '${opts.outputName}'; its outputs are ${summary.outputs.map((o) => `'${o.name}'`).join(', ')}`);
  }

  let cacheInfo: ModelEvaluation['cache'];
  let res: EvaluateResult;
  let modelHash: string;
  const timings = opts.timings;
  let mark = performance.now();
  const cpu = (): number => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  let cpuMark = timings ? cpu() : 0;
  const lap = (name: string): void => {
    const now = performance.now();
    if (timings) {
      timings[name] = (timings[name] ?? 0) + (now - mark);
      const c = cpu();
      timings[`${name}Cpu`] = (timings[`${name}Cpu`] ?? 0) + (c - cpuMark);
      cpuMark = c;
    }
    mark = now;
  };
  const cached = opts.cache ? await lookupOutputs(opts.cache, target.file, dataset, task, outputName, opts) : undefined;
  const streamed = opts.streamed;
  if (!cached && streamed && streamed.rows === dataset.rowCount && streamed.outputName === outputName && samePlan(streamed.plan, plan)) {
    ({ res, modelHash } = streamed);
  } else if (cached?.hit) {
    ({ result: res, modelHash } = cached.hit);
    cacheInfo = { key: cached.key, hit: true, created: cached.hit.created };
  } else {
    lap('summary');
    const host = typeof client === 'function' ? await client() : client;
    if (!host.initialized) await host.initialize({ clientName: 'modelver evaluate' });
    lap('hostWait');
    modelHash = await host.ensureModel(target.file);
    lap('model');
    const run = { modelHash, batchSize: plan.batchSize, batchAxis: plan.batchAxis, padLastBatch: plan.fixedBatch, outputName };
    const how = { onProgress: opts.onProgress, signal: opts.signal };
    if (opts.rowsInline && takesInlineRows(host)) {
      // a host on this machine: the rows go inside the requests, no upload (./inlineRows.ts)
      res = await evaluateInlineRows(host, { ...run, input: { name: input.name, dims: plan.rowDims } }, dataset.features, dataset.featureCount, how);
    } else {
      const datasetHash = await host.ensureDataset(dataset.features);
      res = await host.evaluate({ ...run, inputs: [{ name: input.name, dims: plan.rowDims, data: { datasetHash, rowWidth: dataset.featureCount } }] }, how);
    }
    if (opts.cache && cached) {
      const kept = res.outputs.filter((o) => o.name === outputName);
      opts.cache.put(cached.key, cached.identity, { ...res, outputs: kept.length ? kept : res.outputs });
      cacheInfo = { key: cached.key, hit: false };
    }
  }
  lap('run');
  if (timings && !cacheInfo?.hit) {
    timings.session = res.sessionMs;
    timings.hostRun = res.runMs;
  }
  const out = res.outputs.find((o) => o.name === outputName) ?? res.outputs[0];
  if (!out) throw new EvaluationError(`the evaluation host returned no output for ${label}`);
  const values = outputFloats(out);
  const n = dataset.rowCount;
  if (values.length % n !== 0) {
    throw new EvaluationError(`${label}: output '${out.name}' [${out.dims.join(',')}] has ${values.length} values, not a whole number per row for ${n} rows`);
  }
  const width = values.length / n;
  const notes = [...plan.notes];
  if (cacheInfo?.hit) notes.push(`reused cached outputs computed ${cacheInfo.created ?? ''} on ${res.provider} (key ${cacheInfo.key.slice(0, 12)}); the host did not run the model again`);

  const base = {
    label,
    file: target.file,
    modelHash,
    task,
    provider: res.provider,
    engine: res.engine ?? 'onnxruntime',
    rows: n,
    outputName: out.name,
    dataset: { file: dataset.file, sha256: dataset.sha256, rows: n, label: dataset.labelName, features: dataset.featureNames, ...(dataset.rowShapeFromSpec ? { rowShape: dataset.rowShape } : {}) },
    sessionMs: cacheInfo?.hit ? 0 : res.sessionMs,
    runMs: cacheInfo?.hit ? 0 : res.runMs,
    notes,
    ...(cacheInfo ? { cache: cacheInfo } : {}),
  };
  const folds = opts.folds ?? 5;
  const doCv = folds >= 2 && folds <= n;
  if (folds >= 2 && folds > n) notes.push(`no resampling interval: ${folds} subsets need at least ${folds} rows`);

  if (!isClassification(task)) {
    if (width !== 1) throw new EvaluationError(`${label}: a regression model must give one value per row; output '${out.name}' gives ${width}`);
    const yTrue = dataset.labels;
    const yPred = Float64Array.from(values);
    const r = regressionReport(yTrue, yPred);
    const metrics: Record<string, number> = { mse: r.mse, rmse: r.rmse, mae: r.mae, r2: r.r2 };
    const cv = doCv ? cvOf(crossValidateRegressor({ yTrue, yPred }, { k: folds, seed: opts.seed }).metrics) : {};
    lap('metrics');
    return { ...base, interpretation: 'one value per row', metrics, cv, cvFolds: doCv ? folds : 0, predictions: { yTrue, yPred } };
  }

  let classNames = dataset.classNames!;
  let yTrue = dataset.labels as Int32Array;
  const recorded = task === 'multiclass' && width > classNames.length ? byRecordedNames(classNames, yTrue, width, opts.knownClassNames) : undefined;
  const widened = recorded ?? (task === 'multiclass' ? widenToColumns(classNames, yTrue, width) : undefined);
  if (recorded) {
    notes.push(`the data has ${classNames.length} of the model's ${width} classes: its labels are matched by name to the classes recorded with the version's earlier evaluations (${recorded.classNames.slice(0, 12).join(', ')}${width > 12 ? ', …' : ''})`);
    ({ classNames, yTrue } = recorded);
  } else if (widened) {
    notes.push(
      `the data has ${classNames.length} of the model's ${width} classes (labels ${classNames.join(', ')}): whole-number labels are read as the indices of its ${width} output columns (classes 0–${width - 1}); ` +
        'name the classes with --classes when they are not their column indices',
    );
    ({ classNames, yTrue } = widened);
  }
  const k = classNames.length;
  const { matrix, interpretation } = toProbabilityMatrix(values, n, width, k, task, label, out.name, classNames);
  const yPred = labelsFromMatrix(matrix);
  const rep = classificationReport(yTrue, yPred, k);
  const metrics: Record<string, number> = {
    accuracy: rep.accuracy,
    precisionMacro: rep.macro.precision,
    recallMacro: rep.macro.recall,
    f1Macro: rep.macro.f1,
    precisionWeighted: rep.weighted.precision,
    recallWeighted: rep.weighted.recall,
    f1Weighted: rep.weighted.f1,
    logLoss: logLossOfMatrix(yTrue, matrix),
    rocAuc: NaN,
  };
  lap('metrics');
  let cv: Record<string, CvSummary> = {};
  let fullAuc: number | undefined;
  if (doCv) {
    const rcv = crossValidateClassifier({ yTrue, yPred, probabilityMatrix: matrix, numClasses: k }, { k: folds, seed: opts.seed });
    cv = cvOf(rcv.metrics);
    notes.push(...rcv.warnings);
    // the cross-validation sorted each class's scores already: its all-rows ROC-AUC is rocAuc's value
    fullAuc = rcv.full?.rocAuc;
  }
  // the per-row probability rows (views into the matrix) are made when first read (compare, ROC curves)
  let rows: Float64Array[] | undefined;
  const probabilities = (): Float64Array[] => (rows ??= matrixRows(matrix));
  metrics.rocAuc = fullAuc ?? safe(() => rocAuc(yTrue, probabilities(), k).auc);
  lap('cv');
  const predictions: ModelPredictions = { yTrue, yPred };
  Object.defineProperty(predictions, 'probabilities', { get: probabilities, set: (v: Float64Array[]) => (rows = v), enumerable: true, configurable: true });
  return {
    ...base,
    interpretation,
    classNames,
    metrics,
    confusion: rep.confusion,
    cv,
    cvFolds: doCv ? folds : 0,
    predictions,
  };
}

/**
 * The settings an evaluation will be recorded under (what settingsOf gives for its result), known
 * before it runs: task, label, features, folds actually used, seed, the output read, class names.
 */
export function plannedSettings(dataset: Dataset, task: DatasetTask, outputName: string, opts: { folds?: number; seed?: number } = {}): EvaluationSettings {
  const folds = opts.folds ?? 5;
  const cvFolds = folds >= 2 && folds <= dataset.rowCount ? folds : 0;
  // a row shape given (not the rows as they are, or reshaped to the model's fixed dimensions) changes what the model is fed
  const rowShape = dataset.rowShapeFromSpec ? dataset.rowShape : undefined;
  return { task, label: dataset.labelName, features: dataset.featureNames, folds: cvFolds, seed: opts.seed, outputName, classNames: isClassification(task) ? dataset.classNames : undefined, rowShape };
}

/**
 * The key of the host's outputs: evaluationKey without the settings that only change what is
 * computed from the outputs (folds, seed), so another fold count reuses the same outputs.
 */
export function outputsKey(modelHash: string, datasetSha256: string, settings: EvaluationSettings): string {
  return evaluationKey(modelHash, datasetSha256, { ...settings, folds: 0, seed: undefined });
}

/** The key a model file's evaluation will be recorded under in the notes (recordEvaluation). */
export async function plannedEvaluationKey(file: string, dataset: Dataset, opts: { task?: DatasetTask; outputName?: string; folds?: number; seed?: number } = {}): Promise<string> {
  const outputName = opts.outputName ?? (await readModelSummary(file)).outputs[0]?.name ?? '';
  return evaluationKey(await sha256File(file), dataset.sha256, plannedSettings(dataset, opts.task ?? dataset.task, outputName, opts));
}

async function lookupOutputs(
  cache: EvalCache,
  file: string,
  dataset: Dataset,
  task: DatasetTask,
  outputName: string,
  opts: EvaluateModelOptions,
): Promise<{ key: string; identity: string; hit?: { result: EvaluateResult; modelHash: string; created: string } }> {
  // the model's bytes, with its ONNX external data files when it has any (other weights: other outputs)
  const { modelHash, identity } = await modelIdentity(file);
  const key = outputsKey(identity, dataset.sha256, plannedSettings(dataset, task, outputName, opts));
  const e = cache.get(key);
  if (!e || e.modelHash !== identity || !e.result.outputs.some((o) => o.name === outputName)) return { key, identity };
  return { key, identity, hit: { result: e.result, modelHash, created: e.created } };
}

function samePlan(a: BatchPlan, b: BatchPlan): boolean {
  return a.batchAxis === b.batchAxis && a.batchSize === b.batchSize && a.fixedBatch === b.fixedBatch && a.rowDims.join(',') === b.rowDims.join(',');
}

function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return NaN;
  }
}

function cvOf(m: Record<string, { mean: number; std: number; lower: number; upper: number }>): Record<string, CvSummary> {
  const out: Record<string, CvSummary> = {};
  for (const [name, s] of Object.entries(m)) out[name] = { mean: s.mean, std: s.std, ci95: [s.lower, s.upper] };
  return out;
}

/**
 * A multiclass model with more output columns than the data has classes, on data whose labels are all
 * whole numbers below the column count (a test slice that lacks some classes): the labels as column
 * indices, classes '0'…'width−1'. undefined when that does not apply.
 */
export function widenToColumns(classNames: string[], yTrue: Int32Array, width: number): { classNames: string[]; yTrue: Int32Array } | undefined {
  if (width <= classNames.length || !classNames.every((c) => /^\d+$/.test(c) && Number(c) < width)) return undefined;
  const column = classNames.map(Number);
  const out = new Int32Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) out[i] = column[yTrue[i]];
  return { classNames: Array.from({ length: width }, (_, i) => String(i)), yTrue: out };
}

/** The first recorded class list as long as the model's output that names every label of the data: the labels by name into it. */
function byRecordedNames(classNames: string[], yTrue: Int32Array, width: number, known: string[][] | undefined): { classNames: string[]; yTrue: Int32Array } | undefined {
  const list = known?.find((k) => k.length === width && classNames.every((c) => k.includes(c)));
  if (!list) return undefined;
  const column = classNames.map((c) => list.indexOf(c));
  return { classNames: [...list], yTrue: Int32Array.from(yTrue, (c) => column[c]) };
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function isDistribution(values: Float32Array, n: number, w: number): boolean {
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < w; j++) {
      const v = values[r * w + j];
      if (!(v >= 0 && v <= 1)) return false;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) return false;
  }
  return true;
}

/** What to do when a classifier's columns do not match the data's classes (toProbabilityMatrix's error). */
function mismatchHint(width: number, k: number, task: DatasetTask, classNames: string[] | undefined): string {
  const wholeNumbers = !!classNames?.length && classNames.every((c) => /^-?\d+$/.test(c.trim()));
  if (width < k && wholeNumbers && (width === 1 || k > 2 * width)) {
    return `. The label holds ${k} different whole numbers: if it is a quantity to predict rather than a class, evaluate it as regression (--task regression)`;
  }
  if (width > k && task === 'binary') {
    return `. If the model has ${width} classes, evaluate it as multiclass (--task multiclass: whole-number labels are read as column indices) or name its classes in column order (--classes a,b,…)`;
  }
  if (width > k) return `. Name the model's ${width} classes in column order (--classes a,b,…), or choose another output (--output NAME)`;
  return ' (choose another output with --output NAME)';
}

/** The model's output as K-column probability rows (see the module header); the arguments of toProbabilityMatrix. */
export function toProbabilities(...args: Parameters<typeof toProbabilityMatrix>): { probabilities: Float64Array[]; interpretation: string; matrix: ProbabilityMatrix } {
  const { matrix, interpretation } = toProbabilityMatrix(...args);
  return { probabilities: matrixRows(matrix), interpretation, matrix };
}

/** toProbabilities as one row-major matrix (its rows are toProbabilities' rows). */
export function toProbabilityMatrix(
  values: Float32Array,
  n: number,
  width: number,
  k: number,
  task: DatasetTask,
  label = 'the model',
  outputName = 'output',
  classNames?: string[],
): { matrix: ProbabilityMatrix; interpretation: string } {
  if (task === 'binary' && width === 1) {
    let inUnit = true;
    for (let i = 0; i < n && inUnit; i++) if (!(values[i] >= 0 && values[i] <= 1)) inUnit = false;
    const all = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const p = inUnit ? values[i] : sigmoid(values[i]);
      all[2 * i] = 1 - p;
      all[2 * i + 1] = p;
    }
    return { matrix: { values: all, width: 2 }, interpretation: inUnit ? 'one column = P(class 1)' : 'one column = logit of class 1 (sigmoid applied)' };
  }
  if (width !== k) {
    throw new EvaluationError(
      `${label}: output '${outputName}' gives ${width} value${width === 1 ? '' : 's'} per row but the dataset has ${k} classes; ` +
        (task === 'binary' ? 'a binary model must give P(class 1) or one column per class' : 'a multiclass model must give one column per class') +
        mismatchHint(width, k, task, classNames),
    );
  }
  const dist = isDistribution(values, n, width);
  const all = new Float64Array(n * width);
  if (dist) {
    for (let i = 0; i < n * width; i++) all[i] = values[i];
  } else {
    for (let at = 0, end = n * width; at < end; at += width) {
      let m = -Infinity;
      for (let j = 0; j < width; j++) m = Math.max(m, values[at + j]);
      let s = 0;
      for (let j = 0; j < width; j++) s += all[at + j] = Math.exp(values[at + j] - m);
      for (let j = 0; j < width; j++) all[at + j] /= s;
    }
  }
  return { matrix: { values: all, width }, interpretation: dist ? `one probability column per class (${width})` : `one logit column per class (${width}; softmax applied)` };
}

// ------------------------------------------------------------------------------------------------
// comparison

export interface CompareOptions {
  /** significance level (default 0.05) */
  alpha?: number;
  /** paired bootstrap resamples (default 1000) */
  bootstrapRounds?: number;
  seed?: number;
  /** the main metric (default accuracy for classification, rmse for regression) */
  metric?: string;
  /** further metrics to bootstrap (default: classification logLoss, regression r2) */
  extraMetrics?: string[];
}

export interface MetricComparison {
  metric: string;
  higherIsBetter: boolean;
  baseline: number;
  candidate: number;
  /** candidate − baseline */
  delta: number;
  /** paired bootstrap interval of the difference at 1 − α */
  ciLower: number;
  ciUpper: number;
  pValue: number;
  /** three or more models: the p-value adjusted by Holm over the candidates compared on this metric */
  pHolm?: number;
  /** not significant: the rows that would detect a difference of this size with power 0.8 (at α over the family's size); null when the difference is 0 */
  rowsNeeded?: number | null;
  verdict: Verdict;
  text: string;
}

/** Three or more classifiers: Cochran's Q over all of them first, then McNemar on every pair with Holm's correction. */
export interface MultipleComparison {
  cochranQ: { statistic: number; df: number; pValue: number };
  /** every pair of models (i < j in model order); differs: Q significant and the Holm-adjusted p below α */
  pairs: { a: string; b: string; aRightBWrong: number; aWrongBRight: number; pValue: number; pHolm: number; differs: boolean }[];
}

export interface PairComparison {
  baseline: string;
  candidate: string;
  rows: number;
  /** classification: McNemar's test on per-row correctness */
  mcnemar?: McNemarResult & {
    verdict: Verdict;
    text: string;
    /** three or more models: the Holm-adjusted p of this pair among all pairs (the verdict needs it and Cochran's Q below α) */
    pHolm?: number;
    /** not significant: the rows that would detect this discordance with power 0.8; null when b = c */
    rowsNeeded?: number | null;
  };
  metrics: MetricComparison[];
  /** the verdict on the main metric (McNemar for accuracy, the bootstrap otherwise) */
  verdict: Verdict;
  text: string;
}

export interface ComparisonReport {
  task: DatasetTask;
  alpha: number;
  metric: string;
  bootstrapRounds: number;
  models: { label: string; modelHash: string; metrics: Record<string, number> }[];
  /** each model after the first against the first (the baseline) */
  pairs: PairComparison[];
  /** classification with three or more models */
  multiple?: MultipleComparison;
}

type RowScorer = (yTrue: Labels, pred: Float64Array[] | Labels) => number;

function scorer(metric: string, task: DatasetTask, k: number): RowScorer {
  const probs = (p: Float64Array[] | Labels): Float64Array[] => p as Float64Array[];
  const labels = (p: Float64Array[] | Labels): Labels => labelsFromProbabilities(probs(p));
  if (isClassification(task)) {
    switch (metric) {
      case 'accuracy':
        return (t, p) => accuracy(t, labels(p));
      case 'f1Macro':
        return (t, p) => f1Score(t, labels(p), 'macro', k);
      case 'f1Weighted':
        return (t, p) => f1Score(t, labels(p), 'weighted', k);
      case 'logLoss':
        return (t, p) => logLoss(t, probs(p));
      case 'rocAuc':
        return (t, p) => safe(() => rocAuc(t, probs(p), k).auc);
    }
  } else {
    switch (metric) {
      case 'mse':
        return (t, p) => meanSquaredError(t, p as Labels);
      case 'rmse':
        return (t, p) => Math.sqrt(meanSquaredError(t, p as Labels));
      case 'mae':
        return (t, p) => meanAbsoluteError(t, p as Labels);
      case 'r2':
        return (t, p) => r2Score(t, p as Labels);
    }
  }
  const names = isClassification(task) ? ['accuracy', 'f1Macro', 'f1Weighted', 'logLoss', 'rocAuc'] : REGRESSION_METRICS;
  throw new EvaluationError(`cannot compare on '${metric}' for a ${task} task; choose one of ${names.join(', ')}`);
}

export function compareModels(results: ModelEvaluation[], opts: CompareOptions = {}): ComparisonReport {
  if (results.length < 2) throw new EvaluationError('a comparison needs at least two evaluated models');
  const alpha = opts.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new EvaluationError(`alpha must be in (0, 1), not ${alpha}`);
  const rounds = opts.bootstrapRounds ?? 1000;
  const a = results[0];
  const task = a.task;
  const cls = isClassification(task);
  const metric = opts.metric ?? (cls ? 'accuracy' : 'rmse');
  const k = a.classNames?.length ?? 0;
  const extra = (opts.extraMetrics ?? (cls ? ['logLoss'] : ['r2'])).filter((m) => m !== metric);
  const metricNames = [metric, ...extra];
  for (const m of metricNames) scorer(m, task, k); // validates the names
  const pairs: PairComparison[] = [];
  const boots: BootstrapResult[][] = [];
  for (const b of results.slice(1)) {
    if (b.task !== task) throw new EvaluationError(`${b.label} was evaluated as ${b.task}, ${a.label} as ${task}`);
    if (b.dataset.sha256 !== a.dataset.sha256 || b.rows !== a.rows) {
      throw new EvaluationError(`${a.label} and ${b.label} were evaluated on different data; a paired comparison needs the same rows`);
    }
    if ((b.classNames ?? []).join('\u0000') !== (a.classNames ?? []).join('\u0000')) {
      throw new EvaluationError(
        `${a.label} and ${b.label} were evaluated with different classes ([${(a.classNames ?? []).join(', ')}] and [${(b.classNames ?? []).join(', ')}]): their outputs have different columns; name the classes with --classes`,
      );
    }
    const yTrue = a.predictions.yTrue;
    const pa = cls ? a.predictions.probabilities! : a.predictions.yPred;
    const pb = cls ? b.predictions.probabilities! : b.predictions.yPred;
    let mc: PairComparison['mcnemar'];
    if (cls) {
      const m = mcnemar(yTrue, a.predictions.yPred, b.predictions.yPred);
      const v = mcnemarVerdict(m, { alpha });
      mc = { ...m, verdict: v.verdict, text: v.text };
    }
    const pairBoots: BootstrapResult[] = [];
    boots.push(pairBoots);
    const metrics: MetricComparison[] = metricNames.map((name) => {
      const higherIsBetter = !LOWER_IS_BETTER.has(name);
      const boot: BootstrapResult =
        cls && name === 'accuracy'
          ? pairedBootstrapAccuracy(yTrue, a.predictions.yPred, b.predictions.yPred, { rounds, seed: opts.seed })
          : pairedBootstrapMetric(scorer(name, task, k) as never, yTrue, pa as never, pb as never, { rounds, seed: opts.seed });
      pairBoots.push(boot);
      const v: VerdictResult = bootstrapVerdict(boot, { alpha, higherIsBetter });
      const baseline = a.metrics[name] ?? scorer(name, task, k)(yTrue, pa);
      const candidate = b.metrics[name] ?? scorer(name, task, k)(yTrue, pb);
      return { metric: name, higherIsBetter, baseline, candidate, delta: candidate - baseline, ciLower: v.lower, ciUpper: v.upper, pValue: v.pValue, verdict: v.verdict, text: v.text };
    });
    pairs.push({ baseline: a.label, candidate: b.label, rows: a.rows, mcnemar: mc, metrics, verdict: 'no significant difference', text: '' });
  }
  const multiple = cls && results.length >= 3 ? multipleComparison(results, alpha) : undefined;
  // three or more models: each metric's bootstrap p-values adjusted by Holm over the candidates; McNemar
  // verdicts from the all-pairs family, behind Cochran's Q
  const family = pairs.length;
  if (family > 1) {
    metricNames.forEach((name, mi) => {
      // a bootstrap p of 0 means p < 1/rounds: its bound is adjusted, and shown as one (report.ts)
      const adjusted = holm(pairs.map((p) => p.metrics[mi].pValue || 1 / rounds));
      pairs.forEach((p, pi) => {
        const m = p.metrics[mi];
        m.pHolm = adjusted[pi];
        if (m.verdict !== 'no significant difference' && !(adjusted[pi] < alpha)) {
          m.verdict = 'no significant difference';
          m.text = verdictText(m.verdict, alpha);
        }
      });
    });
  }
  pairs.forEach((p, pi) => {
    if (p.mcnemar && multiple) {
      // the baseline's pairs come first in the all-pairs list: (0, 1), (0, 2), …
      const all = multiple.pairs[pi];
      p.mcnemar.pHolm = all.pHolm;
      const v = mcnemarVerdict({ b: p.mcnemar.b, c: p.mcnemar.c, pValue: all.differs ? all.pHolm : 1 }, { alpha });
      p.mcnemar.verdict = v.verdict;
      p.mcnemar.text = v.text;
    }
    // not significant: how many rows would show a difference of this size (power 0.8, α shared by the family)
    const familyAlpha = alpha / Math.max(1, multiple ? multiple.pairs.length : family);
    if (p.mcnemar && p.mcnemar.verdict === 'no significant difference') {
      const n = mcnemarRowsNeeded(p.mcnemar.b, p.mcnemar.c, p.rows, familyAlpha);
      p.mcnemar.rowsNeeded = Number.isFinite(n) ? n : null;
    }
    p.metrics.forEach((m, mi) => {
      if (m.verdict !== 'no significant difference') return;
      const n = rowsNeededFromSe(m.delta, boots[pi][mi].standardError, p.rows, alpha / family);
      m.rowsNeeded = Number.isFinite(n) ? n : null;
    });
    const byMcNemar = cls && metric === 'accuracy';
    const main = byMcNemar ? p.mcnemar! : p.metrics[0];
    p.verdict = main.verdict;
    // the headline names the test it comes from (the other metrics' lines have verdicts of their own)
    p.text = main.text.replace(' at α = ', ` on ${byMcNemar ? 'accuracy (McNemar)' : `${metric} (paired bootstrap)`} at α = `);
  });
  return {
    task,
    alpha,
    metric,
    bootstrapRounds: rounds,
    models: results.map((r) => ({ label: r.label, modelHash: r.modelHash, metrics: r.metrics })),
    pairs,
    ...(multiple ? { multiple } : {}),
  };
}

/** Cochran's Q over every model's per-row correctness, then McNemar on every pair with Holm's correction. */
function multipleComparison(results: ModelEvaluation[], alpha: number): MultipleComparison {
  const yTrue = results[0].predictions.yTrue;
  const correct = results.map((r) => {
    const c = new Uint8Array(yTrue.length);
    const yp = r.predictions.yPred;
    for (let i = 0; i < c.length; i++) c[i] = yp[i] === yTrue[i] ? 1 : 0;
    return c;
  });
  const q = cochransQ(correct);
  const raw: Omit<MultipleComparison['pairs'][number], 'pHolm' | 'differs'>[] = [];
  for (let i = 0; i < results.length; i++) {
    for (let j = i + 1; j < results.length; j++) {
      const m = mcnemar(yTrue, results[i].predictions.yPred, results[j].predictions.yPred);
      raw.push({ a: results[i].label, b: results[j].label, aRightBWrong: m.b, aWrongBRight: m.c, pValue: m.pValue });
    }
  }
  const adjusted = holm(raw.map((r) => r.pValue));
  return {
    cochranQ: { statistic: q.statistic, df: q.df, pValue: q.pValue },
    pairs: raw.map((r, k) => ({ ...r, pHolm: adjusted[k], differs: q.pValue < alpha && adjusted[k] < alpha })),
  };
}

export interface GateOptions {
  /** fail also when the candidate is worse than the baseline by more than this (in metric units) */
  minDelta?: number;
  /** an explicit rule (`f1 >= baseline - 0.01`): when given, it alone decides */
  rule?: GateRule;
}

/** `<metric> <op> baseline [± x]` or `<metric> <op> <number>`, checked on the candidate (the last model). */
export interface GateRule {
  text: string;
  metric: string;
  op: '>=' | '>' | '<=' | '<';
  /** relative to the baseline's value of the metric, or absolute */
  baseline: boolean;
  offset: number;
}

/** Short metric names people write in rules. */
const METRIC_ALIASES: Record<string, string> = {
  f1: 'f1Macro',
  precision: 'precisionMacro',
  recall: 'recallMacro',
  auc: 'rocAuc',
  roc_auc: 'rocAuc',
  loss: 'logLoss',
  log_loss: 'logLoss',
  cross_entropy: 'logLoss',
};

/** Parses a gate rule such as `f1 >= baseline - 0.01`, `accuracy > 0.9`, `logLoss <= baseline + 0.02`. */
export function parseGateRule(text: string): GateRule {
  const m = /^\s*([A-Za-z][\w]*)\s*(>=|>|<=|<)\s*(?:(baseline)\s*(?:([+-])\s*(\d+(?:\.\d+)?|\.\d+))?|(-?\d+(?:\.\d+)?|\.\d+))\s*$/.exec(text);
  if (!m) {
    throw new Error(`cannot read the gate rule '${text}': write it as '<metric> >= baseline - 0.01' or '<metric> >= 0.9' (operators >=, >, <=, <)`);
  }
  const [, name, op, base, sign, off, abs] = m;
  const metric = METRIC_ALIASES[name.toLowerCase()] ?? name;
  return {
    text: text.trim(),
    metric,
    op: op as GateRule['op'],
    baseline: !!base,
    offset: base ? (sign === '-' ? -1 : 1) * Number(off ?? 0) : Number(abs),
  };
}

function checkRule(report: ComparisonReport, rule: GateRule): string | undefined {
  const baseline = report.models[0];
  const candidate = report.models[report.models.length - 1];
  const known = Object.keys(candidate.metrics);
  const value = candidate.metrics[rule.metric];
  if (value === undefined) throw new Error(`the gate rule names '${rule.metric}', which this evaluation does not report (it reports ${known.join(', ')})`);
  let threshold = rule.offset;
  if (rule.baseline) {
    const b = baseline.metrics[rule.metric];
    if (b === undefined) throw new Error(`the baseline has no '${rule.metric}' to compare with`);
    threshold = b + rule.offset;
  }
  const ok = rule.op === '>=' ? value >= threshold : rule.op === '>' ? value > threshold : rule.op === '<=' ? value <= threshold : value < threshold;
  return ok ? undefined : `${candidate.label}: ${rule.metric} ${fmt(value)} fails '${rule.text}' (threshold ${fmt(threshold)})`;
}

export interface GateResult {
  pass: boolean;
  reasons: string[];
}

/** The CI gate on the last pair (the candidate against the baseline). */
export function gate(report: ComparisonReport, opts: GateOptions = {}): GateResult {
  if (opts.rule) {
    const failed = checkRule(report, opts.rule);
    return { pass: !failed, reasons: failed ? [failed] : [] };
  }
  const pair = report.pairs[report.pairs.length - 1];
  const m = pair.metrics[0];
  const reasons: string[] = [];
  if (pair.verdict === 'B worse') reasons.push(`${pair.candidate} is significantly worse than ${pair.baseline} on ${m.metric} (${pair.text})`);
  if (opts.minDelta !== undefined) {
    const worseBy = m.higherIsBetter ? m.baseline - m.candidate : m.candidate - m.baseline;
    if (worseBy > opts.minDelta) {
      reasons.push(`${m.metric} ${fmt(m.candidate)} is worse than the baseline ${fmt(m.baseline)} by ${fmt(worseBy)}, more than --min-delta ${opts.minDelta}`);
    }
  }
  return { pass: reasons.length === 0, reasons };
}

const fmt = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

// ------------------------------------------------------------------------------------------------
// caching and recording in the repository notes

export interface EvaluationSettings {
  task: DatasetTask;
  label: string;
  features: string[];
  folds: number;
  seed?: number;
  outputName?: string;
  classNames?: string[];
  /** the shape of one row when it was given (DatasetSpec.inputShape); absent otherwise, so older keys stay */
  rowShape?: number[];
}

/** sha256 of (model oid, dataset sha256, settings JSON): the key results are cached and recorded under. */
export function evaluationKey(modelOid: string, datasetSha256: string, settings: EvaluationSettings): string {
  const json = JSON.stringify({ model: modelOid, dataset: datasetSha256, settings: sortKeys(settings) });
  return crypto.createHash('sha256').update(json).digest('hex');
}

function sortKeys(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export function settingsOf(ev: ModelEvaluation, seed?: number): EvaluationSettings {
  return { task: ev.task, label: ev.dataset.label, features: ev.dataset.features, folds: ev.cvFolds, seed, outputName: ev.outputName, classNames: ev.classNames, rowShape: ev.dataset.rowShape };
}

/** finite numbers only, rounded to 6 significant digits (what the notes keep) */
function cleanMetrics(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (Number.isFinite(v)) out[k] = Number(v.toPrecision(6));
  return out;
}

/** The notes entry of one evaluation: `{ evaluations: { [key]: … }, metrics: {…latest…} }`. */
export function evaluationNote(ev: ModelEvaluation, key: string, date = new Date()): Record<string, unknown> {
  const cv: Record<string, CvSummary> = {};
  for (const [k, s] of Object.entries(ev.cv)) {
    cv[k] = { mean: Number(s.mean.toPrecision(6)), std: Number(s.std.toPrecision(6)), ci95: [Number(s.ci95[0].toPrecision(6)), Number(s.ci95[1].toPrecision(6))] };
  }
  return {
    evaluations: {
      [key]: {
        dataset: { file: path.basename(ev.dataset.file), sha256: ev.dataset.sha256, rows: ev.rows, label: ev.dataset.label, ...(ev.dataset.rowShape ? { rowShape: ev.dataset.rowShape } : {}) },
        task: ev.task,
        ...(ev.classNames && ev.task !== 'regression' ? { classNames: ev.classNames } : {}),
        metrics: cleanMetrics(ev.metrics),
        cv,
        cvFolds: ev.cvFolds,
        provider: ev.provider,
        date: date.toISOString(),
      },
    },
    metrics: cleanMetrics(ev.metrics),
  };
}

/** Records an evaluation in the repository notes of a committed version (ModelRepository.addMetadata). */
export async function recordEvaluation(
  repo: { addMetadata(model: string, version: number | string, data: Record<string, unknown>): Promise<Record<string, unknown>> },
  model: string,
  version: number | string,
  ev: ModelEvaluation,
  opts: { key?: string; seed?: number; date?: Date } = {},
): Promise<{ key: string; metadata: Record<string, unknown> }> {
  const key = opts.key ?? evaluationKey(ev.modelHash, ev.dataset.sha256, settingsOf(ev, opts.seed));
  const metadata = await repo.addMetadata(model, version, evaluationNote(ev, key, opts.date));
  return { key, metadata };
}

/** An evaluation without its per-row predictions (for JSON output). */
export function evaluationJson(ev: ModelEvaluation): Omit<ModelEvaluation, 'predictions'> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { predictions, ...rest } = ev;
  return rest;
}
