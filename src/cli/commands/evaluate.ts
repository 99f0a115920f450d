import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EvalClient, EvalHostError, livenessFromEnv, type LivenessOptions } from '../../core/eval/client';
import { DatasetError, loadDatasetInferringTask, type Dataset, type DatasetSpec, type DatasetSpecInput, type DatasetTask, type RowStream } from '../../core/eval/dataset';
import { evaluateWhileLoading } from '../../core/eval/streamEval';
import { EvalCache } from '../../core/eval/cache';
import { EvaluationError, evaluateModel, evaluationJson, recordEvaluation, type EvaluateModelOptions, type ModelEvaluation } from '../../core/eval/evaluate';
import { renderEvaluationText } from '../../core/eval/report';
import { ModelFormatError } from '../../core/formats/errors';
import { assertRunnable } from '../../core/eval/runnable';
import { ModelRepository, RepoError } from '../../core/repo';
import { CliError, UsageError } from '../errors';
import type { CliIO } from '../main';
import { splitVersionSpec } from './diff';
import { progressBarFor } from '../progress';
import { parse } from './repoCommon';
import { evalHostScript } from './serveEvalHost';
import { localHostArgs, takePrestartedHost } from '../earlyHost';

export const DATA_OPTIONS_HELP = `  --data FILE         the evaluation data (CSV/TSV, JSON, JSONL, NPY, NPZ)
  --label COL         the label column (name, or 0-based index; -1 = last); for an NPZ, the label
                      array (default y, Y, labels or arr_1) or a column of the feature array
  --task T            binary | multiclass | regression (default: from the labels: 2 classes → binary,
                      numeric labels with fractions → regression, else multiclass)
  --classes a,b,…     the model's classes in the order of its output columns (labels are matched by
                      name, or taken as column indices when every label is a whole number below
                      their count), for data that lacks some classes. Without it, a multiclass
                      model with more columns than the data has classes reads whole-number labels
                      as column indices
  --features a,b,…    the feature columns, in the model's input order (default: all but the label);
                      for an NPZ, the feature array (default x, X, features or arr_0) or its columns
  --input-shape a,b,… the shape of one row as the model takes it, without the batch dimension
                      (e.g. 28,28,1; the product is the number of features). Default: the row as it
                      is, reshaped when the model's input has fixed dimensions of the same count
  --output NAME       the model output to read (default: the first)
  --batch N           rows per run (default 256)
  --folds K           stratified subsets of the evaluation set for a resampling interval of
                      each metric (default 5; 0 = none). The models are not retrained: this
                      measures the noise of one test set, not cross-validation
  --seed N            seed of the subset assignment and the bootstrap
  --host ws://H:P     use a remote evaluation host (\`modelver eval-host --listen\`) instead of a local one
  --token-file F      the remote host's token
  --host-timeout S    fail when the evaluation host sends nothing for S seconds while a request waits
                      (default 30, or MODELVER_HOST_TIMEOUT; 0 = wait forever). A local host that is
                      busy computing counts as alive; raise it for a remote host whose single batch or
                      model load takes longer
  --host-heartbeat S  probe the host every S seconds while waiting (default 10, or MODELVER_HOST_HEARTBEAT)
  --provider P        local host: auto | cuda | webgpu | cpu (default auto)
  --no-cache          run the model even when the same bytes, data and settings ran before
                      (outputs are cached in <git dir>/model-versions/eval-cache inside a repository)
  --cache-dir DIR     cache the host's outputs in DIR (e.g. outside a repository)
  -C DIR              resolve paths as if started in DIR

Model outputs: binary = one column P(class 1) (a logit when outside [0,1]) or two class columns;
multiclass = one column per class (softmax applied when the rows are logits); regression = one value.`;

const usage = `usage: modelver evaluate <model>[@version] --data FILE --label COL [--task binary|multiclass|regression]
                        [--features a,b,…] [--input-shape a,b,…] [--batch N] [--folds K] [--host ws://… --token-file F]
                        [--record] [--json]

Run a model over a dataset in the evaluation host and print its metrics (classification: accuracy,
precision/recall/F1 macro and weighted, log-loss, ROC-AUC, confusion matrix; regression: MSE, RMSE,
MAE, R²) with 95% intervals from resampling the evaluation set (the model is not retrained).

  <model>             a model file, or <model-file>@<version> for a committed version (vN, latest, a tag,
                      an alias, a commit id)
${DATA_OPTIONS_HELP}
  --record            store the metrics in the repository notes of that version (needs <model>@<version>)
  --json              print JSON

exit status: 0 evaluated, 1 failed, 2 usage error`;

import { EVAL_OPTIONS } from './evalOptions';

export { EVAL_OPTIONS };

export interface EvalValues {
  data?: string;
  label?: string;
  task?: string;
  classes?: string;
  features?: string;
  'input-shape'?: string;
  output?: string;
  batch?: string;
  folds?: string;
  seed?: string;
  host?: string;
  'token-file'?: string;
  'host-timeout'?: string;
  'host-heartbeat'?: string;
  provider?: string;
  'no-cache'?: boolean;
  'cache-dir'?: string;
  C?: string;
}

export interface ResolvedModel {
  file: string;
  label: string;
  /** set for <file>@<version> */
  version?: { repo: ModelRepository; model: string; version: number; spec: string; /** names this exact version to the repository: its number on the current branch, else (another branch's) its commit id */ ref: number | string };
}

/** The class lists a committed version was evaluated with before (its notes), for data that lacks some classes. */
export async function recordedClassNames(m: ResolvedModel): Promise<string[][] | undefined> {
  if (!m.version) return undefined;
  const md = (await m.version.repo.getMetadata(m.version.model, m.version.ref).catch(() => undefined)) as { evaluations?: Record<string, { classNames?: unknown; date?: unknown }> } | undefined;
  const lists = Object.values(md?.evaluations ?? {})
    .filter((e) => Array.isArray(e.classNames) && e.classNames.every((c) => typeof c === 'string'))
    .sort((a, b) => String(b.date ?? '').localeCompare(String(a.date ?? '')))
    .map((e) => e.classNames as string[]);
  return lists.length ? lists : undefined;
}

/** A model file, or <file>@<version> written to a temporary file (like `modelver diff`). */
export async function resolveModel(arg: string, base: string, tmp: () => string, index: number): Promise<ResolvedModel> {
  const abs = path.resolve(base, arg);
  if (fs.existsSync(abs)) return { file: abs, label: arg };
  const [file, spec] = splitVersionSpec(arg, base);
  if (spec === undefined) throw new CliError(`${arg} does not exist.`);
  if (spec === '') throw new UsageError(`no version after '@' in '${arg}'`);
  const model = path.resolve(base, file);
  const repo = await ModelRepository.open(model);
  const v = await repo.resolveVersion(model, spec);
  const out = path.join(tmp(), `${index}-v${v.version}-${path.basename(v.path)}`);
  await repo.readVersion(v, { out });
  return { file: out, label: `${file}@${spec}${spec === `v${v.version}` ? '' : ` (v${v.version}${v.branch ? ` on ${v.branch}` : ''})`}`, version: { repo, model, version: v.version, spec, ref: v.outsideHistory ? v.commit : v.version } };
}

function int(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, not '${v}'`);
  return n;
}

export function evalSettings(values: EvalValues): { spec: Omit<DatasetSpec, 'task'> & { task?: DatasetTask }; opts: EvaluateModelOptions; seed?: number } {
  if (!values.data) throw new UsageError('missing --data FILE');
  if (values.label === undefined) throw new UsageError('missing --label COL');
  const task = values.task as DatasetTask | undefined;
  if (task !== undefined && !['binary', 'multiclass', 'regression'].includes(task)) throw new UsageError(`--task must be binary, multiclass or regression, not '${task}'`);
  const features = values.features?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (features && features.length === 0) throw new UsageError('--features lists no columns');
  const seed = int(values.seed, '--seed', 0);
  let inputShape: number[] | undefined;
  if (values['input-shape'] !== undefined) {
    inputShape = values['input-shape'].split(/[,x×]/).map((d) => Number(d.trim()));
    if (!inputShape.length || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new UsageError(`--input-shape must list positive whole numbers separated by commas (e.g. --input-shape 28,28,1), not '${values['input-shape']}'`);
    }
  }
  let classNames: string[] | undefined;
  if (values.classes !== undefined) {
    classNames = values.classes.split(',').map((s) => s.trim());
    if (task === 'regression') throw new UsageError('--classes is for classification; a regression task has no classes');
    if (classNames.length < 2 || classNames.some((c) => c === '')) throw new UsageError(`--classes must name two or more classes, separated by commas (e.g. --classes 0,1,2), not '${values.classes}'`);
    const dup = classNames.find((c, i) => classNames!.indexOf(c) !== i);
    if (dup !== undefined) throw new UsageError(`--classes names '${dup}' twice`);
  }
  const spec = { file: values.data, labelColumn: values.label, features, task, ...(classNames ? { classNames } : {}), ...(inputShape ? { inputShape } : {}) };
  const opts: EvaluateModelOptions = { batchSize: int(values.batch, '--batch', 1), folds: int(values.folds, '--folds', 0), seed, outputName: values.output };
  if (values.host && !values['token-file']) throw new UsageError('--host needs --token-file');
  livenessOf(values);
  if (values.provider && !['auto', 'cuda', 'webgpu', 'cpu'].includes(values.provider)) throw new UsageError(`--provider must be auto, cuda, webgpu or cpu, not '${values.provider}'`);
  return { spec, opts, seed };
}

/** Loads the dataset; without a task, infers it from the labels (see DATA_OPTIONS_HELP). */
export function loadEvalDataset(spec: DatasetSpecInput, baseDir: string, rowStream?: RowStream): Promise<Dataset> {
  return loadDatasetInferringTask(spec, { baseDir, rowStream });
}

/** --host-timeout / --host-heartbeat (seconds) as client options (unset: the environment, then the defaults). */
export function livenessOf(values: EvalValues): LivenessOptions {
  const secs = (v: string | undefined, flag: string, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n >= min)) throw new UsageError(`${flag} must be a number of seconds${min > 0 ? ` above 0` : ''}, not '${v}'`);
    return Math.round(n * 1000);
  };
  try {
    livenessFromEnv(); // a bad MODELVER_HOST_TIMEOUT / MODELVER_HOST_HEARTBEAT is a usage error
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const out: LivenessOptions = {};
  const dead = secs(values['host-timeout'], '--host-timeout', 0);
  const hb = secs(values['host-heartbeat'], '--host-heartbeat', 0.01);
  if (dead !== undefined) out.deadAfterMs = dead;
  if (hb !== undefined) out.heartbeatMs = hb;
  return out;
}

export async function openClient(values: EvalValues, base: string): Promise<EvalClient> {
  const live = livenessOf(values);
  if (values.host) {
    const tokenFile = path.resolve(base, values['token-file']!);
    let token: string;
    try {
      token = fs.readFileSync(tokenFile, 'utf8').trim();
    } catch (e) {
      throw new CliError(`cannot read the token file ${tokenFile}: ${(e as Error).message}`);
    }
    return EvalClient.remote(values.host, token, live);
  }
  const script = evalHostScript();
  const args = localHostArgs(values);
  // the host runCli started before this command loaded, when it fits (earlyHost.ts)
  return EvalClient.local(script, { args, ...live, child: takePrestartedHost(script, args) });
}

/**
 * The outputs cache: --cache-dir, else the repository's (`<git common dir>/model-versions/eval-cache`)
 * of the first committed version or of the working folder; none with --no-cache or outside a repository.
 */
export async function openEvalCache(values: EvalValues, base: string, models: ResolvedModel[]): Promise<EvalCache | undefined> {
  if (values['no-cache']) {
    if (values['cache-dir']) throw new UsageError('--no-cache and --cache-dir cannot be used together');
    return undefined;
  }
  if (values['cache-dir']) return new EvalCache(path.resolve(base, values['cache-dir']));
  const repo = models.find((m) => m.version)?.version?.repo ?? (await ModelRepository.open(base).catch(() => undefined));
  return repo ? EvalCache.inDataDir(repo.dataDir) : undefined;
}

/**
 * The evaluation host of one CLI run. Without an outputs cache the host is surely needed: it is started
 * (and initialized: onnxruntime loads) at once, so its start overlaps the parsing of the data; with a
 * cache it is started on the first miss only, and a fully cached run starts none.
 */
export class HostOpener {
  private starting: Promise<EvalClient> | undefined;

  constructor(
    private readonly values: EvalValues,
    private readonly base: string,
    eager: boolean,
  ) {
    if (eager) {
      this.starting = this.start();
      this.starting.catch(() => undefined); // reported when the host is asked for
    }
  }

  /** when the host answered initialize (performance.now(), ms since this process started) */
  readyAt: number | undefined;

  private async start(): Promise<EvalClient> {
    const c = await openClient(this.values, this.base);
    // memoized: evaluateModel's call awaits this one
    c.initialize({ clientName: 'modelver' }).then(
      () => (this.readyAt = performance.now()),
      () => undefined,
    );
    return c;
  }

  /** the host (started now if not yet) */
  readonly get = (): Promise<EvalClient> => (this.starting ??= this.start());

  dispose(): void {
    this.starting?.then((c) => c.dispose(), () => undefined);
  }
}

/** The line that says a model's outputs came from the cache (stderr, so stdout stays the report). */
export function cacheLine(ev: ModelEvaluation): string | undefined {
  if (!ev.cache?.hit) return undefined;
  return `reused cached outputs of ${ev.label} (computed ${ev.cache.created ?? '?'} on ${ev.provider}, key ${ev.cache.key.slice(0, 12)}); --no-cache runs the model again`;
}

/** How the CLI's flags settle a DatasetError the user can settle, or undefined. */
export function datasetHint(e: DatasetError): string | undefined {
  const features = /\.npz$/i.test(e.file)
    ? '--features NAME names the feature array, --features 0,1,… its columns'
    : '--features a,b,… names the feature columns; the default is every column but the label';
  if (e.featureColumn !== undefined || e.fix?.kind === 'features') return features;
  if (e.fix?.kind === 'rowShape') return `${features}; --input-shape a,b,… gives the shape of one row`;
  if (e.fix?.kind === 'npzArray') return e.fix.role === 'features' ? '--features NAME names the feature array' : '--label NAME names the label array, or a column of the feature array';
  return undefined;
}

/** Known failures as CliErrors with `code`; anything else stays as is. */
export function asCliError(e: unknown, code: number): unknown {
  if (e instanceof UsageError) return e;
  if (e instanceof CliError) return e.exitCode === code ? e : new CliError(e.message, code);
  // EvalHostError covers the host's cancellation reply too (EvalCancelledError by name)
  // what the user chooses to settle it (a text column among the features, more or fewer of them than the
  // model takes, a row's shape, an NPZ's arrays): the CLI's way to choose it
  if (e instanceof DatasetError) {
    const hint = datasetHint(e);
    if (hint) return new CliError(`${e.message} (${hint})`, code);
  }
  if (e instanceof ModelFormatError || e instanceof RepoError || e instanceof DatasetError || e instanceof EvalHostError || e instanceof EvaluationError) {
    return new CliError(e.message, code);
  }
  return e;
}

export const evaluateCommand = {
  summary: 'evaluate a model on a dataset (metrics, resampling intervals of the test set)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...EVAL_OPTIONS, record: { type: 'boolean' } });
    if (positionals.length < 1) throw new UsageError('missing the model to evaluate');
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (to compare models use \`modelver compare\`)`);
    const { spec, opts, seed } = evalSettings(values);
    const base = path.resolve(values.C ?? '.');
    // MODELVER_EVAL_TIMINGS=1: where the time went, as one JSON line on stderr (`npm run bench` reads it)
    const timings: Record<string, number> | undefined = process.env.MODELVER_EVAL_TIMINGS ? { start: performance.now() } : undefined;
    const cpuMs = (): number => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    };
    if (timings) timings.cpuStart = cpuMs();
    let tmpDir: string | undefined;
    const tmp = () => (tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-eval-')));
    let host: HostOpener | undefined;
    try {
      const m = await resolveModel(positionals[0], base, tmp, 0);
      if (values.record && !m.version) throw new UsageError('--record needs a committed version: <model>@<version> (e.g. models/m.onnx@v3)');
      await assertRunnable(m.file, m.label); // safetensors, PyTorch, GGUF, TFLite: refused before the host starts
      const knownClassNames = await recordedClassNames(m);
      if (knownClassNames) opts.knownClassNames = knownClassNames;
      const cache = await openEvalCache(values, base, [m]);
      host = new HostOpener(values, base, !cache);
      const mark = performance.now();
      let ds: Dataset;
      let ev: ModelEvaluation;
      if (!cache && !values.host) {
        // no outputs cache, a local host: the rows run while the file is still parsed (streamEval.ts)
        const bar = progressBarFor(io.errStream, { json: values.json, label: m.label });
        try {
          ({ dataset: ds, evaluation: ev } = await evaluateWhileLoading({ file: m.file, label: m.label }, (rowStream) => loadEvalDataset(spec, base, rowStream), host.get, {
            ...opts,
            ...(spec.inputShape ? { inputShape: spec.inputShape } : {}),
            onProgress: bar && ((p) => bar.update(p)),
            timings,
          }));
        } finally {
          bar?.done();
        }
        if (timings) timings.loadAndRun = performance.now() - mark;
      } else {
        ds = await loadEvalDataset(spec, base);
        if (timings) timings.dataset = performance.now() - mark;
        const bar = progressBarFor(io.errStream, { json: values.json, label: m.label });
        try {
          ev = await evaluateModel({ file: m.file, label: m.label }, ds, host.get, {
            ...opts,
            task: ds.task,
            cache,
            onProgress: bar && ((p) => bar.update(p)),
            timings,
          });
        } finally {
          bar?.done();
        }
      }
      const reused = cacheLine(ev);
      if (reused) io.err(reused);
      let recorded: { key: string } | undefined;
      if (values.record && m.version) recorded = await recordEvaluation(m.version.repo, m.version.model, m.version.ref, ev, { seed });
      if (values.json) {
        io.out(JSON.stringify({ ...evaluationJson(ev), file: undefined, warnings: ds.warnings, recorded: recorded ? { version: m.version!.version, key: recorded.key } : null }, null, 2));
      } else {
        for (const w of ds.warnings) io.err(`warning: ${w}`);
        io.out(renderEvaluationText(ev));
        if (recorded) io.out(`\nrecorded in the notes of ${m.version!.model ? path.relative(base, m.version!.model) || m.version!.model : ''} v${m.version!.version} (key ${recorded.key.slice(0, 12)})`);
      }
      if (timings) {
        if (host.readyAt !== undefined) timings.hostReadyAt = host.readyAt;
        timings.total = performance.now();
        timings.cpu = cpuMs();
        const round = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10]));
        io.err(`modelver eval timings ${JSON.stringify(round)}`);
      }
      return 0;
    } catch (e) {
      throw asCliError(e, 1);
    } finally {
      host?.dispose();
      if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  },
};
