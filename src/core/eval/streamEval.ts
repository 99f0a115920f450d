/**
 * Evaluating a model while its dataset is still being read (issue #12): `modelver eval` on a CSV runs the
 * rows already parsed on a local host while the rest of the file is parsed, instead of parsing it all
 * first. The result is the one `evaluateModel` gives on the loaded dataset — the same rows in the same
 * order (dataset.ts's RowStream hands over exactly the Dataset's feature rows), the same batches, the same
 * output — and evaluateModel computes every metric from it. Whenever the streamed run cannot stand for that
 * (the file is read by the general parser after all, the model takes the rows in another plan, a remote
 * host, any failure), it is dropped and evaluateModel runs the model on the loaded dataset as before, so
 * results and errors are the ones it gives.
 */
import * as path from 'path';
import { readModelSummary } from '../formats';
import { assertRunnable, assertRunnableFormat } from './runnable';
import { prepareModelFile, type EvalClient } from './client';
import type { BatchPlan, Dataset, RowStream } from './dataset';
import { planBatches } from './dataset';
import { evaluateModel, type EvalTarget, type EvaluateModelOptions, type ModelEvaluation } from './evaluate';
import { evaluateInlineChunks, inlineChunkRows, RowFeed, takesInlineRows } from './inlineRows';
import type { EvaluateResult } from '../../shared/evalProtocol';

/** What a streamed run computed, for evaluateModel to take instead of running the model again. */
export interface StreamedRun {
  res: EvaluateResult;
  modelHash: string;
  plan: BatchPlan;
  outputName: string;
  /** rows run */
  rows: number;
}

export interface WhileLoadingOptions extends Omit<EvaluateModelOptions, 'task' | 'cache'> {
  /** the dataset spec's inputShape (how a row maps onto the model input), when it has one */
  inputShape?: number[];
}

/**
 * Loads the dataset with `load` (which passes the RowStream to loadDataset) and evaluates `target` on it,
 * running the rows on the host as they are read when the host is local. The task is the dataset's.
 * Rejects with the load's error when the load fails.
 */
export async function evaluateWhileLoading(
  target: EvalTarget,
  load: (stream: RowStream) => Promise<Dataset>,
  client: () => Promise<EvalClient>,
  opts: WhileLoadingOptions = {},
): Promise<{ dataset: Dataset; evaluation: ModelEvaluation; streamed: boolean }> {
  const { inputShape, ...evalOpts } = opts;
  // refused before the host is asked for (./runnable.ts)
  const label = target.label ?? path.basename(target.file);
  await assertRunnable(target.file, label);
  const summary = await readModelSummary(target.file).catch(() => undefined);
  if (summary) assertRunnableFormat(summary.format, label);
  // the model's hash for ensureModel, while the host starts and the rows are parsed
  void prepareModelFile(target.file);
  const input = summary?.inputs.length === 1 ? summary.inputs[0] : undefined;
  const outputName = opts.outputName ?? summary?.outputs[0]?.name;
  const outputOk = !opts.outputName || !!summary?.outputs.some((o) => o.name === opts.outputName);
  let plan: BatchPlan | undefined;
  let markStarted: (ok: boolean) => void = () => undefined;
  const started = new Promise<boolean>((resolve) => (markStarted = resolve));
  const feed = new RowFeed((featureCount) => {
    if (!input || !outputName || !outputOk) return markStarted(false), undefined;
    try {
      // the plan evaluateModel makes for a dataset of these columns (it checks that it is the same)
      const head = { file: target.file, featureCount, rowShape: inputShape ?? [featureCount], rowShapeFromSpec: inputShape !== undefined } as Dataset;
      plan = planBatches(head, input, opts.batchSize ?? 256);
    } catch {
      return markStarted(false), undefined;
    }
    markStarted(true);
    return inlineChunkRows(featureCount, plan.batchAxis ? plan.batchSize : 1);
  });
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timings = opts.timings;
  const run = (async (): Promise<StreamedRun | undefined> => {
    const host = await client();
    if (!host.initialized) await host.initialize({ clientName: 'modelver evaluate' });
    if (!takesInlineRows(host) || !(await started) || stop.signal.aborted) return undefined;
    const modelHash = await host.ensureModel(target.file);
    const p = plan!;
    const res = await evaluateInlineChunks(
      host,
      { modelHash, batchSize: p.batchSize, batchAxis: p.batchAxis, padLastBatch: p.fixedBatch, outputName: outputName!, input: { name: input!.name, dims: p.rowDims } },
      feed,
      feed.featureCount!,
      { signal: stop.signal, onProgress: opts.onProgress },
    );
    return { res, modelHash, plan: p, outputName: outputName!, rows: res.rows };
  })();
  run.catch(() => undefined);
  let dataset: Dataset;
  try {
    dataset = await load(feed);
  } catch (e) {
    feed.reset();
    markStarted(false);
    stop.abort();
    await run.catch(() => undefined);
    opts.signal?.removeEventListener('abort', onAbort);
    throw e;
  }
  feed.finish();
  markStarted(false); // (no effect once the stream started)
  const loadedAt = performance.now();
  let streamed: StreamedRun | undefined;
  try {
    streamed = await run;
  } catch {
    streamed = undefined;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (timings) timings.runAfterLoad = performance.now() - loadedAt;
  const usable = streamed && feed.valid && streamed.rows === dataset.rowCount ? streamed : undefined;
  const evaluation = await evaluateModel(target, dataset, client, { ...evalOpts, task: dataset.task, streamed: usable, rowsInline: true });
  return { dataset, evaluation, streamed: usable !== undefined };
}
