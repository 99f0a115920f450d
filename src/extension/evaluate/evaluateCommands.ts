/**
 * Compare Models… and Evaluate Version…: run model versions or files over a dataset in the
 * evaluation host (a local child process, or a remote host from `modelVersions.evalHosts`), show the
 * comparison in a panel (./comparePanel.ts) and record a version's metrics in its notes. The work is
 * done by src/core/eval; this file gathers the inputs (quick picks, or command arguments) and owns
 * the host processes' lifetime. Both commands return their result (tests use it), or undefined when
 * cancelled or failed (the reason shows to the user).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { EvalClient, EvalHostError, isEvalCancelled } from '../../core/eval/client';
import { DatasetError, formatFromName, loadDatasetInferringTask, NPZ_DEFAULTS, type ColumnRef, type Dataset, type DatasetSpec, type DatasetTask } from '../../core/eval/dataset';
import { EvalCache } from '../../core/eval/cache';
import { checkTemplate, recordCrossValidation, renderCrossValidation, runCrossValidation, type CrossValidationReport } from '../../core/eval/crossValidate';
import { EVALUABLE_EXTENSIONS, isEvaluableModelPath } from '../../core/formats/readable';
import { EvaluationError, NotRunnableError, compareModels, evaluateModel, evaluationJson, plannedEvaluationKey, recordEvaluation, type ModelEvaluation } from '../../core/eval/evaluate';
import { assertRunnable, assertRunnableFormat, notRunnableFormatByName } from '../../core/eval/runnable';
import { ModelFormatError } from '../../core/formats/errors';
import { RepoError, type ModelRepository, type ModelVersion } from '../../core/repo';
import type { ExportFormat } from '../../shared/compareProtocol';
import { PROVIDER_CHOICES, type ProviderChoice } from '../../shared/evalProtocol';
import { EvaluationCancelled } from '../commands/failure';
import { COMMAND } from '../commands/ids';
import { commandsTestHook, reportErrorShownInPanel, type CommandRegistrar } from '../commands/register';
import { log } from '../log';
import { VersionNode, type ModelsTreeNode } from '../models/modelsTree';
import { trustedTo, type RepoManager } from '../repos/repoManager';
import { versionFile } from '../versions';
import { ComparePanel, exportComparison } from './comparePanel';
import { datasetColumnInfo, npzArrays, parseRowShape, type NpzArrayInfo } from './datasetColumns';
import { baselineFirst, withBaseline, type VersionAge } from './roles';
import { compareResult, type CompareResult } from './viewModel';

/** A dataset as the commands take it: DatasetSpec without a required task (it is inferred). */
export type DatasetArg = Omit<DatasetSpec, 'task'> & { task?: DatasetTask };

/** Arguments of modelVersions.compareModels / evaluateVersion (all optional: what is missing is asked). */
export interface EvaluateArgs {
  /**
   * VersionNodes (from the tree), file Uris or absolute paths; Compare Models… takes them in this
   * order (the first is the baseline). Models chosen in the tree or the quick pick are ordered by
   * ./roles.ts instead: the older version is the baseline.
   */
  models?: unknown[];
  dataset?: DatasetArg;
  /** 'local' (default when models and dataset are given) or the name of a `modelVersions.evalHosts` entry */
  host?: string;
  metric?: string;
  alpha?: number;
  folds?: number;
  seed?: number;
  /** run the models even when their outputs are cached (default false) */
  noCache?: boolean;
  /** Evaluate Version…: evaluate again even when the version's notes hold this evaluation (default false) */
  force?: boolean;
  /** rows per run (default 256) */
  batchSize?: number;
}

/** Arguments of modelVersions.crossValidate (all optional: what is missing is asked). */
export interface CrossValidateArgs {
  /** the training command, with {train}, {valid}, {out} (and {fold}) */
  train: string;
  dataset?: DatasetArg;
  k?: number;
  stratify?: boolean;
  group?: string;
  seed?: number;
  /** seconds a training command may run (default 3600) */
  timeoutS?: number;
  host?: string;
}

const isCvArgs = (x: unknown): x is CrossValidateArgs => !!x && typeof x === 'object' && typeof (x as { train?: unknown }).train === 'string';

/** The training command remembered per model (workspace state). */
const CV_COMMAND_KEY = (model: string) => `modelVersions.cvTrainCommand:${model}`;

/** What the integration tests look at (through the extension's API). */
export interface EvaluateTestHook {
  /** pids of the local evaluation host processes open now */
  hostPids(): number[];
  /** rows done in the latest progress report of the running evaluation */
  rowsDone(): number;
  /** the errors the evaluation commands reported (notification or panel), oldest first */
  errors(): string[];
}

interface ModelInput {
  label: string;
  file(): Promise<string>;
  version?: { repo: ModelRepository; v: ModelVersion };
}

interface HostChoice {
  name: string;
  url?: string;
}

const LAST_DATASET_KEY = 'modelVersions.lastDataset';
const DATASET_GLOB = '**/*.{csv,tsv,json,jsonl,npy,npz}';

/** The roles rule's view of a model (./roles.ts): a version's age, undefined for a plain file. */
const ageOf = (m: ModelInput): VersionAge | undefined =>
  m.version ? { repo: m.version.repo.root, model: m.version.v.model, version: m.version.v.version, date: m.version.v.committerDate } : undefined;

function isArgs(x: unknown): x is EvaluateArgs {
  return !!x && typeof x === 'object' && !(x instanceof VersionNode) && !(x instanceof vscode.Uri) && !Array.isArray(x) && ('models' in x || 'dataset' in x || 'host' in x);
}

/** Loads the dataset; without a task, infers it from the labels (like `modelver evaluate`). */
export function loadEvalDataset(spec: DatasetArg, baseDir?: string): Promise<Dataset> {
  return loadDatasetInferringTask(spec, { baseDir }).catch((e: unknown) => {
    noteFeatureTrouble(e, spec, baseDir);
    throw e;
  });
}

const TEXT_FURTHER_DOWN = 'a value further down the file';

/**
 * Per dataset file (absolute): the feature columns did not fit (a text value past the rows the picker
 * looks at, or not as many as the model takes), with the columns found to hold text. The next pick of
 * that file asks for the feature columns, those unchecked.
 */
interface FeatureTrouble {
  /** the columns found to hold text */
  text: Set<string>;
  /** the rows did not fit the model's input as they are: the shape of one row is asked for too */
  rowShape: boolean;
  /** an NPZ's feature or label array was not found: the arrays are asked for */
  npz: boolean;
}
const featureTrouble = new Map<string, FeatureTrouble>();

function noteFeatureTrouble(e: unknown, spec: DatasetArg, baseDir: string | undefined): void {
  if (!(e instanceof DatasetError) || (e.featureColumn === undefined && e.fix === undefined)) return;
  const file = path.resolve(baseDir ?? '.', spec.file);
  const t = featureTrouble.get(file) ?? { text: new Set<string>(), rowShape: false, npz: false };
  if (e.featureColumn !== undefined) t.text.add(e.featureColumn);
  if (e.fix?.kind === 'rowShape') t.rowShape = true;
  // an NPZ's "feature columns" are its feature array: asked again
  if (settledByNpzArrays(e)) t.npz = true;
  featureTrouble.set(file, t);
}

/** "(1000, 784)" as numpy prints a shape; '' when unknown */
const shapeText = (shape: number[] | undefined): string => (shape ? `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})` : '');

/** An NPZ's arrays settle it: one was not found, or the feature array's row does not fit the model. */
const settledByNpzArrays = (e: DatasetError): boolean => e.fix?.kind === 'npzArray' || (e.fix?.kind === 'features' && formatFromName(e.file) === 'npz');

/** What "last used" keeps of a dataset choice (and gives back as it was). */
const remembered = (s: DatasetArg): DatasetArg => ({
  file: s.file,
  labelColumn: s.labelColumn,
  ...(s.features ? { features: s.features } : {}),
  ...(s.npz ? { npz: s.npz } : {}),
  ...(s.inputShape ? { inputShape: s.inputShape } : {}),
});

/** What to do about an error, in one sentence. */
function hintFor(e: unknown): string {
  if (e instanceof EvaluationCancelled || isEvalCancelled(e)) return 'Run it again with "Run Again".';
  if (e instanceof DatasetError && e.featureColumn !== undefined) return `Leave '${e.featureColumn}' out of the feature columns: pick the data again (Compare Models… or Evaluate Version…) and uncheck it when asked for the feature columns, or encode it as numbers.`;
  if (e instanceof DatasetError && e.fix?.kind === 'rowShape') return "Pick the data again (Compare Models… or Evaluate Version…): you are then asked for the shape of one row as the model takes it (and for a table's feature columns, the model's inputs in order).";
  if (e instanceof DatasetError && settledByNpzArrays(e)) return 'Pick the data again (Compare Models… or Evaluate Version…): you are then asked which arrays hold the features and the labels.';
  if (e instanceof DatasetError && e.fix?.kind === 'features') return "Pick the data again (Compare Models… or Evaluate Version…): you are then asked for the feature columns, the model's inputs in order.";
  if (e instanceof DatasetError) return 'Check the dataset file, its label column and that its feature columns match the model\'s input, then run the comparison again.';
  if (e instanceof NotRunnableError) return 'Inspect and Compare with… work on this file; to evaluate the model, export it to ONNX (or save a full Keras model) and evaluate that file.';
  if (e instanceof EvaluationError) return 'The models and the dataset do not fit together (task, classes or output shape): pick another label column or other models.';
  if (e instanceof EvalHostError) return 'The evaluation host failed: Output › Model Versions has the details. For a remote host, check its address and token.';
  if (e instanceof ModelFormatError) return 'A file is not a model the evaluation host can run (ONNX, or a full Keras .h5/.keras model).';
  if (e instanceof RepoError) return 'The version\'s bytes are not available here: run "Model Versions: Fetch" (git lfs fetch) and try again.';
  return 'Try again; Output › Model Versions has the details.';
}

export function evaluateCommands(command: CommandRegistrar, context: vscode.ExtensionContext, repos: RepoManager, view: vscode.TreeView<ModelsTreeNode>): EvaluateTestHook {
  /** clients with a host process or connection open: disposed on deactivate */
  const live = new Set<EvalClient>();
  let rowsDone = 0;
  context.subscriptions.push({ dispose: () => [...live].forEach((c) => c.dispose()) });

  const hostScript = () => path.join(context.extensionPath, 'dist', 'evalHost.js');
  const baseDir = () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;

  const openClient = async (host: HostChoice): Promise<EvalClient> => {
    if (!vscode.workspace.isTrusted) throw new Error('this workspace is not trusted: Model Versions starts no evaluation host in it. Trust the workspace to evaluate models.');
    if (!host.url) {
      const script = hostScript();
      if (!fs.existsSync(script)) throw new Error(`the evaluation host is not built (${script})`);
      const cfg = vscode.workspace.getConfiguration('modelVersions');
      const provider = cfg.get<string>('evalProvider', 'auto');
      const threads = cfg.get<number>('evalThreads', 0);
      const args = [...(PROVIDER_CHOICES.includes(provider as ProviderChoice) ? ['--provider', provider] : []), ...(threads > 0 ? ['--threads', String(Math.floor(threads))] : [])];
      return EvalClient.local(script, { args, onStderr: (l) => log().info(`eval host: ${l}`) });
    }
    const key = `modelVersions.evalHostToken:${host.url}`;
    let token = await context.secrets.get(key);
    if (!token) {
      token = await vscode.window.showInputBox({ title: `Token of the evaluation host ${host.name}`, prompt: host.url, password: true, ignoreFocusOut: true });
      if (!token) throw new EvaluationCancelled();
      await context.secrets.store(key, token);
    }
    return EvalClient.remote(host.url, token);
  };

  /**
   * Models the evaluation host cannot run (safetensors, PyTorch, GGUF, TFLite) are refused before anything
   * is asked, read or started: a version by its file name (its bytes are not read for this), a file by its
   * content (core/eval/runnable.ts). evaluateModel checks the content again.
   */
  const refuseNotRunnable = async (inputs: ModelInput[]): Promise<void> => {
    for (const m of inputs) {
      if (m.version) {
        const format = notRunnableFormatByName(m.version.v.model);
        if (format) assertRunnableFormat(format, m.label);
      } else await assertRunnable(await m.file(), m.label);
    }
  };

  const modelInput = (x: unknown): ModelInput => {
    if (x instanceof VersionNode) {
      const { repo, version: v } = x;
      return { label: `${v.model}@v${v.version}`, file: () => versionFile(context, repo, v.model, v), version: { repo, v } };
    }
    const file = x instanceof vscode.Uri ? x.fsPath : typeof x === 'string' ? path.resolve(baseDir() ?? '.', x) : undefined;
    if (!file) throw new Error(`not a model version or file: ${String(x)}`);
    return { label: vscode.workspace.asRelativePath(file, false), file: async () => file };
  };

  /**
   * The outputs cache: the repository's (`<git common dir>/model-versions/eval-cache`) of the first
   * version compared, else of the first workspace repository, else in the extension's global storage.
   */
  const cacheFor = (inputs: ModelInput[], args: EvaluateArgs): EvalCache | undefined => {
    if (args.noCache) return undefined;
    const repo = inputs.find((m) => m.version)?.version?.repo ?? repos.repositories[0];
    return repo ? EvalCache.inDataDir(repo.dataDir) : new EvalCache(path.join(context.globalStorageUri.fsPath, 'eval-cache'));
  };

  /**
   * Runs the evaluations with a cancellable progress notification; `signal` also cancels (panel
   * closed). The host starts only when some model's outputs are not cached.
   */
  const evaluateAll = (inputs: ModelInput[], spec: DatasetArg, host: HostChoice, args: EvaluateArgs, signal?: AbortSignal, loaded?: Dataset): Promise<{ evals: ModelEvaluation[]; ds: Dataset }> =>
    runEvaluations(inputs, spec, host, args, signal, loaded).then(
      (r) => {
        // these feature columns fit: "last used" takes them again without asking
        featureTrouble.delete(path.resolve(baseDir() ?? '.', spec.file));
        return r;
      },
      (e: unknown) => {
        // (a text column is noted by loadEvalDataset; a column count the model does not take shows here)
        if (e instanceof DatasetError && e.code === 'SHAPE_MISMATCH') noteFeatureTrouble(e, spec, baseDir());
        throw e;
      },
    );
  const runEvaluations = async (inputs: ModelInput[], spec: DatasetArg, host: HostChoice, args: EvaluateArgs, signal?: AbortSignal, loaded?: Dataset): Promise<{ evals: ModelEvaluation[]; ds: Dataset }> =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: inputs.length > 1 ? 'Comparing models' : `Evaluating ${inputs[0].label}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        signal?.addEventListener('abort', () => abort.abort());
        const check = () => {
          if (abort.signal.aborted) throw new EvaluationCancelled();
        };
        rowsDone = 0;
        progress.report({ message: `reading ${path.basename(spec.file)}…` });
        const ds = loaded ?? (await loadEvalDataset(spec, baseDir()));
        check();
        const files: string[] = [];
        for (const m of inputs) files.push(await m.file());
        check();
        const cache = cacheFor(inputs, args);
        let client: EvalClient | undefined;
        const openHost = async (): Promise<EvalClient> => {
          if (client) return client;
          progress.report({ message: `starting the ${host.url ? `host ${host.name}` : 'local evaluation host'}…` });
          client = await openClient(host);
          live.add(client);
          return client;
        };
        try {
          const evals: ModelEvaluation[] = [];
          for (const [i, m] of inputs.entries()) {
            let last = 0;
            const ev = await evaluateModel({ file: files[i], label: m.label }, ds, openHost, {
              task: ds.task,
              folds: args.folds,
              seed: args.seed,
              signal: abort.signal,
              cache,
              batchSize: args.batchSize,
              onProgress: (p) => {
                rowsDone = p.rowsDone;
                const pct = p.rowsTotal ? Math.floor((100 * p.rowsDone) / p.rowsTotal) : 0;
                if (pct - last < 5 && p.rowsDone !== p.rowsTotal) return;
                last = pct;
                progress.report({ message: `${m.label} (${i + 1}/${inputs.length}): ${p.rowsDone}/${p.rowsTotal} rows` });
              },
            }).catch((e) => {
              if (abort.signal.aborted || isEvalCancelled(e)) throw new EvaluationCancelled();
              throw e;
            });
            if (ev.cache?.hit) log().info(`${m.label}: reused cached outputs (computed ${ev.cache.created}, key ${ev.cache.key.slice(0, 12)})`);
            evals.push(ev);
            check();
          }
          return { evals, ds };
        } finally {
          if (client) {
            live.delete(client);
            (client as EvalClient).dispose();
          }
        }
      },
    );

  // ------------------------------------------------------------------ pickers

  const pickModels = async (preselected: ModelInput[]): Promise<ModelInput[] | undefined> => {
    type It = vscode.QuickPickItem & { input?: ModelInput; browse?: boolean };
    const items: It[] = [];
    const chosen = new Set(preselected.map((p) => p.label));
    for (const repo of repos.repositories) {
      const all = await repo.versions().catch(() => [] as ModelVersion[]);
      // versions of the formats the host runs (the others are refused: core/eval/runnable.ts)
      for (const v of [...all].reverse().filter((x) => isEvaluableModelPath(x.model))) {
        const input: ModelInput = { label: `${v.model}@v${v.version}`, file: () => versionFile(context, repo, v.model, v), version: { repo, v } };
        items.push({ label: `${v.model} v${v.version}`, description: [...v.aliases.map((a) => `⟨${a}⟩`), v.subject, v.shortCommit].filter(Boolean).join(' · '), input, picked: chosen.has(input.label) });
      }
    }
    items.push({ label: '$(folder-opened) Other model file…', browse: true });
    const picks = await vscode.window.showQuickPick(items, {
      title: 'Compare Models: pick two or more models (the oldest version is the baseline, the others are candidates)',
      placeHolder: 'Swap in the comparison panel exchanges the baseline and the candidate',
      canPickMany: true,
      matchOnDescription: true,
    });
    if (!picks) return undefined;
    const out = picks.filter((p) => p.input).map((p) => p.input!);
    if (picks.some((p) => p.browse)) {
      const files = await vscode.window.showOpenDialog({ title: 'Model files to compare', canSelectMany: true, filters: { 'Models (ONNX, Keras)': EVALUABLE_EXTENSIONS.map((e) => e.slice(1)), 'All files': ['*'] } });
      for (const f of files ?? []) out.push(modelInput(f));
    }
    return out;
  };

  const pickDataset = async (): Promise<DatasetArg | undefined> => {
    const last = context.workspaceState.get<DatasetArg>(LAST_DATASET_KEY);
    type It = vscode.QuickPickItem & { file?: string; browse?: boolean; last?: boolean };
    const found = (await vscode.workspace.findFiles(DATASET_GLOB, '{**/node_modules/**,**/.git/**,**/package*.json,**/tsconfig*.json}', 500)).map((u) => u.fsPath).sort();
    const items: It[] = [];
    if (last && fs.existsSync(path.resolve(baseDir() ?? '.', last.file))) items.push({ label: `$(history) ${path.basename(last.file)}`, description: ['last used', last.npz?.x !== undefined ? `features '${last.npz.x}'` : undefined, last.npz?.y !== undefined ? `labels '${last.npz.y}'` : last.labelColumn !== undefined ? `label ${String(last.labelColumn)}` : undefined, last.features ? `${last.features.length} feature column${last.features.length === 1 ? '' : 's'}` : undefined, last.inputShape ? `rows [${last.inputShape.join(',')}]` : undefined].filter(Boolean).join(' · '), file: last.file, last: true });
    items.push(...found.map((f) => ({ label: path.basename(f), description: vscode.workspace.asRelativePath(path.dirname(f), false), file: f })));
    items.push({ label: '$(folder-opened) Browse…', browse: true });
    const pick = await vscode.window.showQuickPick(items, { title: 'Evaluation data (CSV, TSV, JSON, JSONL, NPY, NPZ)', matchOnDescription: true });
    if (!pick) return undefined;
    let file = pick.file;
    if (pick.browse) {
      const f = await vscode.window.showOpenDialog({ title: 'Evaluation data', filters: { Data: ['csv', 'tsv', 'json', 'jsonl', 'npy', 'npz'], 'All files': ['*'] } });
      file = f?.[0]?.fsPath;
    }
    if (!file) return undefined;
    const info = await datasetColumnInfo(file, baseDir());
    const trouble = featureTrouble.get(path.resolve(baseDir() ?? '.', file));
    for (const c of info) if (c.text === undefined && trouble?.text.has(c.name)) c.text = TEXT_FURTHER_DOWN;
    const columns = info.map((c) => c.name);
    // "last used · label X": that file with that label (and features), not asked again (unless a column is gone)
    if (
      pick.last &&
      last &&
      (last.labelColumn === undefined || !columns.length || columns.includes(String(last.labelColumn))) &&
      (!last.features || last.features.every((f) => columns.includes(String(f)))) &&
      // not when the feature columns did not fit, or one it would take holds text (they are asked for)
      !trouble &&
      !info.some((c) => c.text !== undefined && c.name !== String(last.labelColumn) && (!last.features || last.features.map(String).includes(c.name)))
    ) {
      return remembered(last);
    }
    // after rows that did not fit the model as they are: the shape of one row (cancelled: undefined)
    const rowShape = async (count?: number): Promise<{ inputShape?: number[] } | undefined> => {
      if (!trouble?.rowShape) return {};
      const prev = last && path.resolve(baseDir() ?? '.', last.file) === path.resolve(baseDir() ?? '.', file!) ? last.inputShape : undefined;
      const text = await vscode.window.showInputBox({
        title: `The shape of one row of ${path.basename(file!)}`,
        prompt: `how the model takes one row, without the batch dimension (e.g. 28,28,1)${count !== undefined ? `: ${count} values` : ''}; empty: the row as it is`,
        value: prev?.join(',') ?? '',
        validateInput: (v) => {
          const r = v.trim() === '' ? undefined : parseRowShape(v, count);
          return typeof r === 'string' ? r : undefined;
        },
      });
      if (text === undefined) return undefined;
      const r = text.trim() === '' ? undefined : parseRowShape(text, count);
      return Array.isArray(r) ? { inputShape: r } : {};
    };
    let labelColumn: ColumnRef | undefined;
    if (columns.length) {
      const prev = last && path.resolve(baseDir() ?? '.', last.file) === path.resolve(baseDir() ?? '.', file) ? String(last.labelColumn) : undefined;
      const ordered = [...columns].reverse();
      if (prev && ordered.includes(prev)) {
        ordered.splice(ordered.indexOf(prev), 1);
        ordered.unshift(prev);
      }
      const col = await vscode.window.showQuickPick(ordered, { title: `The label column of ${path.basename(file)}`, placeHolder: 'the task (binary, multiclass, regression) is inferred from its values' });
      if (!col) return undefined;
      labelColumn = col;
      // a column of text (an id, a name) cannot be a feature, and a model may take fewer columns than the
      // file has: the feature columns are asked for (text ones unchecked) when there is text or they did not fit
      const candidates = info.filter((c) => c.name !== col);
      if (trouble || candidates.some((c) => c.text !== undefined)) {
        type Col = vscode.QuickPickItem & { column: string };
        const items: Col[] = candidates.map((c) => ({
          label: c.name,
          column: c.name,
          picked: c.text === undefined,
          description: c.text === undefined ? undefined : `text (${c.text === TEXT_FURTHER_DOWN ? c.text : JSON.stringify(c.text.length > 40 ? `${c.text.slice(0, 40)}…` : c.text)}): not a feature`,
        }));
        const chosen = await vscode.window.showQuickPick(items, {
          canPickMany: true,
          title: `The feature columns of ${path.basename(file)}`,
          placeHolder: "the columns the model takes, in the file's order (columns of text are unchecked)",
        });
        if (!chosen) return undefined;
        if (chosen.length === 0) {
          void vscode.window.showWarningMessage(`Model Versions: pick at least one feature column of ${path.basename(file)}.`);
          return undefined;
        }
        const features = candidates.filter((c) => chosen.some((x) => x.column === c.name)).map((c) => c.name);
        const shape = await rowShape(features.length);
        if (!shape) return undefined;
        return { file, labelColumn, ...(features.length < candidates.length ? { features } : {}), ...shape };
      }
      const shape = await rowShape(candidates.length);
      if (!shape) return undefined;
      return { file, labelColumn, ...shape };
    }
    if (formatFromName(file) === 'npz') {
      const npz = await pickNpzArrays(file, !!trouble?.npz);
      if (!npz) return undefined;
      const shape = await rowShape();
      if (!shape) return undefined;
      return { file, ...npz, ...shape };
    }
    const col = await vscode.window.showInputBox({ title: `The label column of ${path.basename(file)}`, prompt: 'a 0-based column index (-1 = last)', value: '-1' });
    if (col === undefined) return undefined;
    if (col !== '') labelColumn = Number.isFinite(Number(col)) ? Number(col) : col;
    const shape = await rowShape();
    if (!shape) return undefined;
    return { file, labelColumn, ...shape };
  };

  /**
   * An .npz file's feature and label arrays: asked for when the archive has no array of a default name
   * (x/X/features/arr_0, y/Y/labels/arr_1), or always after they did not fit (`ask`). The label may
   * also be a column of the feature array. Undefined when cancelled.
   */
  const pickNpzArrays = async (file: string, ask: boolean): Promise<Pick<DatasetArg, 'npz' | 'labelColumn'> | undefined> => {
    const base = path.basename(file);
    let arrays: NpzArrayInfo[];
    try {
      arrays = await npzArrays(file, baseDir());
    } catch {
      return {}; // unreadable: the load says why, in the panel
    }
    const names = arrays.map((a) => a.name);
    const defaultOf = (role: 'features' | 'labels'): string | undefined => NPZ_DEFAULTS[role].find((d) => names.includes(d));
    type It = vscode.QuickPickItem & { name?: string };
    const item = (a: NpzArrayInfo): It => ({ label: a.name, description: shapeText(a.shape), name: a.name });
    let x = ask ? undefined : defaultOf('features');
    if (x === undefined) {
      const pick = await vscode.window.showQuickPick(arrays.map(item), { title: `The feature array of ${base}`, placeHolder: 'the array that holds the rows the model takes (one row per sample)' });
      if (!pick?.name) return undefined;
      x = pick.name;
    }
    let y = ask ? undefined : defaultOf('labels');
    if (y === x) y = undefined;
    if (y === undefined) {
      const xShape = arrays.find((a) => a.name === x)?.shape;
      const inside: It = { label: `$(symbol-field) A column of '${x}'`, description: xShape?.length === 2 ? `one of its ${xShape[1]} columns` : '' };
      const pick = await vscode.window.showQuickPick([...arrays.filter((a) => a.name !== x).map(item), ...(xShape === undefined || xShape.length === 2 ? [inside] : [])], { title: `The label array of ${base}`, placeHolder: 'one label per row (or one-hot rows)' });
      if (!pick) return undefined;
      if (!pick.name) {
        const width = xShape?.length === 2 ? xShape[1] : undefined;
        const validateInput = (v: string): string | undefined => {
          const n = Number(v);
          if (v.trim() === '' || !Number.isInteger(n)) return 'a whole number, e.g. -1 for the last column';
          if (width !== undefined && (n >= width || n < -width)) return `'${x}' has ${width} column${width === 1 ? '' : 's'}: 0 to ${width - 1}, or -1 to -${width} from the end`;
          return undefined;
        };
        const col = await vscode.window.showInputBox({ title: `The label column of '${x}' in ${base}`, prompt: `a 0-based column index (-1 = last)${width !== undefined ? ` of its ${width} columns` : ''}`, value: '-1', validateInput });
        if (col === undefined) return undefined;
        return { npz: { x }, labelColumn: Number(col) };
      }
      y = pick.name;
    }
    return { npz: { x, y } };
  };

  const pickHost = async (name: string | undefined, ask: boolean): Promise<HostChoice | undefined> => {
    const hosts = vscode.workspace.getConfiguration('modelVersions').get<{ name?: string; url?: string }[]>('evalHosts', []).filter((h) => h && typeof h.url === 'string');
    if (name !== undefined) {
      if (name.toLowerCase() === 'local') return { name: 'Local' };
      const h = hosts.find((x) => x.name === name || x.url === name);
      if (!h) throw new Error(`no evaluation host named '${name}' in the setting modelVersions.evalHosts`);
      return { name: h.name ?? h.url!, url: h.url };
    }
    if (!ask || hosts.length === 0) return { name: 'Local' };
    const items: (vscode.QuickPickItem & { host: HostChoice })[] = [
      { label: '$(vm) Local', description: 'a child process on this machine', host: { name: 'Local' } },
      ...hosts.map((h) => ({ label: `$(remote) ${h.name ?? h.url}`, description: h.url, host: { name: h.name ?? h.url!, url: h.url } })),
    ];
    return (await vscode.window.showQuickPick(items, { title: 'Evaluation host' }))?.host;
  };

  const datasetOf = async (args: EvaluateArgs): Promise<DatasetArg | undefined> => {
    const spec = args.dataset ?? (await pickDataset());
    if (spec) await context.workspaceState.update(LAST_DATASET_KEY, remembered(spec));
    return spec;
  };

  // ------------------------------------------------------------------ Compare Models…

  let lastRun: { inputs: ModelInput[]; spec: DatasetArg; host: HostChoice; args: EvaluateArgs } | undefined;

  /** The comparison of evaluations in their order (the first is the baseline), shown in the panel. */
  const showComparison = (panel: ComparePanel, title: string, evals: ModelEvaluation[], ds: Dataset, host: HostChoice, args: EvaluateArgs): CompareResult => {
    const report = compareModels(evals, { alpha: args.alpha, metric: args.metric, seed: args.seed });
    const result = compareResult(report, evals, host.name, ds.warnings, ds);
    panel.showResult(result, title);
    log().info(`compare ${evals.map((m) => m.label).join(' | ')} (baseline ${evals[0].label}): ${report.pairs.map((p) => `${p.candidate}: ${p.verdict}`).join('; ')}`);
    for (const w of result.labelWarnings) log().warn(`compare: ${w}`);
    return result;
  };

  const compare = async (inputs: ModelInput[], spec: DatasetArg, host: HostChoice, args: EvaluateArgs): Promise<CompareResult | undefined> => {
    lastRun = { inputs, spec, host, args };
    const title = `Compare ${inputs.length} models`;
    // the one comparison panel: a new comparison replaces what it showed
    const panel = ComparePanel.show(context.extensionUri, title);
    panel.onRerun = () => {
      if (lastRun) void compare(lastRun.inputs, lastRun.spec, lastRun.host, lastRun.args);
    };
    // the same models and host on data chosen again (the picker asks what the failure showed it must)
    panel.onPickData = async () => {
      const run = lastRun;
      if (!run) return;
      const again = await datasetOf({});
      if (again) void compare(run.inputs, again, run.host, run.args);
    };
    panel.abort?.abort();
    const abort = (panel.abort = new AbortController());
    const roles = inputs.map((m, i) => `${m.label} (${i === 0 ? 'baseline' : 'candidate'})`).join(', ');
    panel.showLoading(title, `Evaluating ${roles} on ${path.basename(spec.file)} (host ${host.name})…`);
    try {
      const { evals, ds } = await evaluateAll(inputs, spec, host, args, abort.signal);
      const result = showComparison(panel, title, evals, ds, host, args);
      // Swap: another baseline, recomputed from these evaluations' outputs (no model runs again)
      let order = { inputs, evals };
      panel.onBaseline = (index) => {
        if (index <= 0 || index >= order.evals.length) return;
        order = { inputs: withBaseline(order.inputs, index), evals: withBaseline(order.evals, index) };
        // Run Again keeps the roles the user chose (a new run clears onBaseline, so lastRun is this run)
        if (lastRun) lastRun = { ...lastRun, inputs: order.inputs };
        try {
          showComparison(panel, title, order.evals, ds, host, args);
        } catch (e) {
          panel.showError(title, (e as Error)?.message ?? String(e), hintFor(e));
        }
      };
      return result;
    } catch (e) {
      const err = e as Error;
      if (ComparePanel.current === panel && panel.abort === abort) {
        panel.showError(title, err instanceof EvaluationCancelled ? 'The comparison was cancelled.' : (err?.message ?? String(e)), hintFor(e), e instanceof DatasetError || e instanceof EvaluationError);
      }
      reportErrorShownInPanel(COMMAND.compareModels, e);
      return undefined;
    } finally {
      if (panel.abort === abort) panel.abort = undefined;
    }
  };

  command(COMMAND.compareModels, async (first?: unknown, selected?: unknown) => {
    if (!trustedTo('compare models (they run in an evaluation host)')) return undefined;
    const args: EvaluateArgs = isArgs(first) ? first : {};
    let raw: unknown[] = args.models ?? [];
    if (!isArgs(first)) {
      const sel = Array.isArray(selected) && selected.length ? selected : view.selection.length ? [...view.selection] : first ? [first] : [];
      if (first && !sel.includes(first)) sel.unshift(first);
      raw = sel.filter((n) => n instanceof VersionNode || n instanceof vscode.Uri);
    }
    let inputs = raw.map(modelInput);
    const interactive = !args.models || !args.dataset;
    if (inputs.length < 2 && !args.models) {
      const picked = await pickModels(inputs);
      if (!picked) return undefined;
      inputs = picked;
    }
    // chosen in the tree or the quick pick: one rule, the older version is the baseline (./roles.ts)
    if (!args.models) inputs = baselineFirst(inputs, ageOf);
    if (inputs.length < 2) {
      void vscode.window.showWarningMessage('Model Versions: pick at least two models to compare (the older version is the baseline, the newer the candidate).');
      return undefined;
    }
    await refuseNotRunnable(inputs);
    const spec = await datasetOf(args);
    if (!spec) return undefined;
    const host = await pickHost(args.host, interactive);
    if (!host) return undefined;
    return await compare(inputs, spec, host, args);
  });

  command(COMMAND.exportComparison, (format: ExportFormat = 'md', to: 'file' | 'clipboard' = 'file', target?: vscode.Uri) =>
    exportComparison(ComparePanel.current?.result, format, to, target),
  );

  // ---------------------------------------------------------------- Evaluate Version…
  command(COMMAND.evaluateVersion, async (node?: unknown, more?: unknown) => {
    if (!trustedTo('evaluate model versions (they run in an evaluation host)')) return undefined;
    const args: EvaluateArgs = isArgs(more) ? more : isArgs(node) ? node : {};
    const target = node instanceof VersionNode ? node : (args.models?.[0] ?? view.selection.find((n) => n instanceof VersionNode));
    if (!(target instanceof VersionNode)) {
      void vscode.window.showInformationMessage('Model Versions: right-click a version in the Model Versions view, then "Evaluate Version…".');
      return undefined;
    }
    const input = modelInput(target);
    await refuseNotRunnable([input]);
    const spec = await datasetOf(args);
    if (!spec) return undefined;
    try {
      return await evaluateVersionOn(target, input, spec, args);
    } catch (e) {
      // no panel here: a choice of the data that settles it is said in the notification (what the next pick asks)
      if (e instanceof DatasetError && (e.featureColumn !== undefined || e.fix !== undefined)) {
        throw new DatasetError(e.code, e.file, `${e.message.replace(/\.?$/, '.')} ${hintFor(e)}`, e.featureColumn, e.fix);
      }
      throw e;
    }
  });

  const evaluateVersionOn = async (target: VersionNode, input: ModelInput, spec: DatasetArg, args: EvaluateArgs) => {
    const { repo: vRepo, v: ver } = input.version!;
    const loaded = await loadEvalDataset(spec, baseDir());
    if (!args.force) {
      // the same bytes, data and settings already recorded in the version's notes: say so, do not redo
      const key = await plannedEvaluationKey(await input.file(), loaded, { folds: args.folds, seed: args.seed });
      const md = await vRepo.getMetadata(ver.model, ver.version).catch(() => undefined);
      const prior = (md?.evaluations as Record<string, { metrics?: Record<string, number>; date?: string; dataset?: { file?: string } }> | undefined)?.[key];
      if (prior) {
        const m = prior.metrics ?? {};
        const main = m.accuracy !== undefined ? `accuracy ${m.accuracy.toFixed(4)}` : m.rmse !== undefined ? `rmse ${m.rmse.toFixed(4)}` : '';
        const again = 'Evaluate Again';
        void vscode.window
          .showInformationMessage(
            `Model Versions: ${input.label} was already evaluated on ${path.basename(spec.file)} with these settings${prior.date ? ` (${prior.date.slice(0, 16).replace('T', ' ')})` : ''}${main ? `: ${main}` : ''}. The result is in the version's notes.`,
            again,
          )
          .then((c) => (c === again ? vscode.commands.executeCommand(COMMAND.evaluateVersion, target, { ...args, dataset: spec, host: args.host, force: true }) : undefined));
        log().info(`evaluate ${input.label}: already recorded under key ${key.slice(0, 12)}; not evaluated again`);
        return { alreadyRecorded: { model: ver.model, version: ver.version, key, metrics: m, date: prior.date } };
      }
    }
    const host = await pickHost(args.host, !args.dataset);
    if (!host) return undefined;
    const { evals, ds } = await evaluateAll([input], spec, host, args, undefined, loaded);
    const ev = evals[0];
    const { repo, v } = input.version!;
    const recorded = await recordEvaluation(repo, v.model, v.version, ev, { seed: args.seed });
    repos.refresh();
    const main = ev.task === 'regression' ? `rmse ${ev.metrics.rmse?.toFixed(4)}` : `accuracy ${ev.metrics.accuracy?.toFixed(4)}`;
    const reused = ev.cache?.hit ? ' (reused cached outputs: the model was not run again)' : '';
    void vscode.window.showInformationMessage(`Model Versions: ${input.label} on ${path.basename(spec.file)}: ${main}${reused}. The metrics are recorded in the version's notes.`);
    log().info(`evaluate ${input.label}: ${JSON.stringify(ev.metrics)} (key ${recorded.key.slice(0, 12)})`);
    return { evaluation: evaluationJson(ev), recorded: { model: v.model, version: v.version, key: recorded.key }, warnings: ds.warnings };
  };

  // ---------------------------------------------------------------- Cross-Validate…
  let cvOutput: vscode.OutputChannel | undefined;
  command(COMMAND.crossValidate, async (node?: unknown, more?: unknown): Promise<{ report: CrossValidationReport; key: string } | undefined> => {
    if (!trustedTo('cross-validate (it runs your training command and an evaluation host)')) return undefined;
    const given = isCvArgs(more) ? more : isCvArgs(node) ? node : undefined;
    const target = node instanceof VersionNode ? node : view.selection.find((n) => n instanceof VersionNode);
    if (!(target instanceof VersionNode)) {
      void vscode.window.showInformationMessage('Model Versions: right-click a version in the Model Versions view, then "Cross-Validate…".');
      return undefined;
    }
    const { repo, version: v } = target;
    let train = given?.train;
    if (train === undefined) {
      train = await vscode.window.showInputBox({
        title: `Cross-Validate ${v.model}: the training command`,
        prompt: 'Run for each fold (no shell): {train} and {valid} are the fold\'s data files, {out} the model it must write. Example: python train.py {train} {valid} {out}',
        value: context.workspaceState.get<string>(CV_COMMAND_KEY(v.model)) ?? 'python train.py {train} {valid} {out}',
        ignoreFocusOut: true,
        validateInput: (t) => {
          try {
            checkTemplate(t);
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (train === undefined) return undefined;
    }
    checkTemplate(train);
    await context.workspaceState.update(CV_COMMAND_KEY(v.model), train);
    const spec = given?.dataset ?? (await datasetOf({}));
    if (!spec) return undefined;
    let k = given?.k;
    let stratify = given?.stratify;
    if (k === undefined) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: '5 folds, stratified', k: 5, stratify: true, description: 'each fold keeps the class proportions (classification)' },
          { label: '5 folds', k: 5, stratify: false },
          { label: '10 folds, stratified', k: 10, stratify: true },
          { label: '10 folds', k: 10, stratify: false },
          { label: '3 folds', k: 3, stratify: false },
        ],
        { title: `Cross-Validate ${v.model}: folds (each trains a model)` },
      );
      if (!pick) return undefined;
      ({ k, stratify } = pick);
    }
    const host = await pickHost(given?.host, !given);
    if (!host) return undefined;
    if (!cvOutput) context.subscriptions.push((cvOutput = vscode.window.createOutputChannel('Model Versions: Cross-Validation')));
    const out = cvOutput;
    out.show(true);
    out.appendLine(`Cross-validating ${v.model}@v${v.version}: ${k} folds${stratify ? ', stratified' : ''} of ${spec.file} — ${train}`);
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Cross-validating ${v.model}@v${v.version}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let client: EvalClient | undefined;
        try {
          return await runCrossValidation({
            trains: [train!],
            spec,
            baseDir: baseDir() ?? repo.root,
            k: k!,
            repeats: 1,
            seed: given?.seed ?? 1,
            stratify,
            group: given?.group,
            timeoutMs: (given?.timeoutS ?? 3600) * 1000,
            host: async () => {
              if (!client) {
                client = await openClient(host);
                live.add(client);
              }
              return client;
            },
            loadDataset: (s) => loadEvalDataset(s, baseDir()),
            onLog: (line) => {
              out.appendLine(line);
              const m = /fold (\d+)\/(\d+)/.exec(line);
              if (m) progress.report({ message: `fold ${m[1]} of ${m[2]}: training…` });
            },
            onOutput: (text) => out.append(text),
            signal: abort.signal,
          });
        } catch (e) {
          if (abort.signal.aborted) throw new EvaluationCancelled();
          throw e;
        } finally {
          if (client) {
            live.delete(client);
            client.dispose();
          }
        }
      },
    );
    const key = await recordCrossValidation(repo, v.model, v.version, report);
    const text = renderCrossValidation(report);
    out.appendLine('');
    out.appendLine(text);
    const s = report.recipes[0].summary;
    const main = s.accuracy ? ['accuracy', s.accuracy] : s.rmse ? ['rmse', s.rmse] : undefined;
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: renderCrossValidation(report, true) + '\n' });
    await vscode.window.showTextDocument(doc, { preview: true });
    void vscode.window.showInformationMessage(
      `Model Versions: ${k}-fold cross-validation of ${v.model}@v${v.version}${main ? `: ${main[0]} ${(main[1] as { mean: number }).mean.toFixed(4)} ± ${(main[1] as { std: number }).std.toFixed(4)}` : ''}. Recorded in the version's notes.`,
    );
    log().info(`cross-validate ${v.model}@v${v.version}: recorded under key ${key.slice(0, 12)}`);
    repos.refresh();
    return { report, key };
  });

  return {
    hostPids: () => [...live].map((c) => c.child?.pid).filter((p): p is number => p !== undefined),
    rowsDone: () => rowsDone,
    errors: () => commandsTestHook.errors().filter((r) => r.command === COMMAND.compareModels || r.command === COMMAND.evaluateVersion).map((r) => r.message),
  };
}

