/**
 * The one-command demo (`npm start`): a git + Git LFS repository following the seed's case study — an
 * e-commerce site predicting purchases from user behaviour with an MLP (Dense 128 relu → Dropout 0.2 →
 * Dense 1 sigmoid).
 *
 * - data/train.csv (5,000 sessions) and data/test.csv (2,000), seeded (src/demo/data.ts);
 * - models/model_version_1.h5: the first model as Keras HDF5 (the seed's file name);
 * - models/purchase_model.onnx v1..v3, trained here (src/demo/train.ts): v1 exported from the Keras
 *   model after a short SGD run, v2 trained with Adam, v3 fine-tuned from v2 — each committed through
 *   ModelRepository.commitModel with lineage (datasets, parameters, derived-from) and its validation
 *   metrics (Model-Metrics), then evaluated on data/test.csv by the real evaluation host and recorded in
 *   the notes; tags purchase_model/v1..v3; aliases production (the best on the test set) and staging.
 *
 * Everything is deterministic: the same DEMO_VERSION gives the same CSV and model bytes; commit dates
 * are fixed too, so the history reads like a few weeks of work.
 *
 * A folder is reused when it is a finished demo of this DEMO_VERSION; recreated when asked or when it is
 * an older or unfinished demo (a demo the user changed is moved aside, never deleted); any other folder
 * with content is refused.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EvalClient } from '../core/eval/client';
import { loadDatasetInferringTask } from '../core/eval/dataset';
import { evaluateModel, recordEvaluation, type ModelEvaluation } from '../core/eval/evaluate';
import { writeKerasModel } from '../core/formats/kerasWriter';
import { formatMetricsTrailer, METRICS_TRAILER } from '../core/lineage/metricHistory';
import { Git } from '../core/repo/git';
import { ModelRepository } from '../core/repo';
import { FEATURES, LABEL, generateSplit, toCsv, type DataSplit } from './data';
import { INPUT_NAME, mlpToOnnx } from './onnxExport';
import { CAMPAIGN_DAY, OUTCOMES_LOG, PREDICTIONS_LOG, PRODUCTION_START, simulateProduction } from './production';
import { cloneMlp, exportWeights, initMlp, predict, train, type Mlp, type TrainParams } from './train';

/**
 * Bump when the demo's content changes: older demo folders are then recreated.
 * 2: the README points to the Model Versions view in the activity bar (it was in Source Control).
 * 4: a production period: production/predictions.jsonl and outcomes.jsonl (v2 and v3 served 50/50).
 */
export const DEMO_VERSION = 4;
/** In the demo's git dir; written last, so an interrupted run leaves a demo that is recreated next time. */
export const MARKER_FILE = 'model-versions-demo.json';
const MARKER_KIND = 'model-versions-demo';

export const MODEL = 'models/purchase_model.onnx';
export const KERAS_MODEL = 'models/model_version_1.h5';
export const TRAIN_CSV = 'data/train.csv';
export const TEST_CSV = 'data/test.csv';
export const TRAIN_ROWS = 5000;
export const TEST_ROWS = 2000;
const DATA_SEED = { train: 20251001, test: 20251002 };
/** Keras' validation_split: the last 20 % of the training rows are held out */
const VALIDATION_SPLIT = 0.2;
const UNITS = 128;
const DROPOUT = 0.2;
const ONNX_DESCRIPTION = 'Predicts whether a visitor will buy, from their behaviour on the site.';

export class DemoError extends Error {
  override name = 'DemoError';
}

export interface DemoOptions {
  dest: string;
  /** recreate even when the folder is a current demo */
  recreate?: boolean;
  /** the evaluation host script (default: evalHost.js beside this bundle) */
  evalHost?: string;
  /** progress lines */
  log?: (line: string) => void;
  /** environment for git (default process.env) */
  env?: NodeJS.ProcessEnv;
}

export interface DemoVersionInfo {
  version: number;
  commit: string;
  /** metrics on data/test.csv from the evaluation host */
  test: Record<string, number>;
  /** validation metrics recorded at commit time */
  validation: Record<string, number>;
}

export interface DemoResult {
  dest: string;
  action: 'created' | 'reused' | 'recreated';
  /** where a changed demo was moved before recreating it */
  movedAside?: string;
  versions: DemoVersionInfo[];
  ms: number;
}

interface Marker {
  kind: string;
  demoVersion: number;
  /** `git for-each-ref` of the finished demo, to tell whether the user changed it */
  refs: string;
  versions: DemoVersionInfo[];
}

/** Where the evaluation host is: beside dist/demo.js, or out/src/evalHost/main.js for the compiled tests. */
export function defaultEvalHost(): string {
  const candidates = [path.join(__dirname, 'evalHost.js'), path.join(__dirname, '..', 'evalHost', 'main.js')];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new DemoError(`the evaluation host is not built (looked for ${candidates.join(', ')}): run \`npm run build\` first.`);
  return found;
}

function gitDirOf(dest: string): string | undefined {
  const g = path.join(dest, '.git');
  return fs.existsSync(g) && fs.statSync(g).isDirectory() ? g : undefined;
}

export function readMarker(dest: string): Marker | undefined {
  const g = gitDirOf(dest);
  if (!g) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(path.join(g, MARKER_FILE), 'utf8')) as Marker;
    return m && m.kind === MARKER_KIND ? m : undefined;
  } catch {
    return undefined;
  }
}

async function refsOf(git: Git): Promise<string> {
  return (await git.run(['for-each-ref', '--format=%(objectname) %(refname)'])).stdout.toString('utf8');
}

/** True when the demo's refs or working tree differ from what the generator left. */
async function changedByUser(dest: string, marker: Marker, env: NodeJS.ProcessEnv): Promise<boolean> {
  const git = new Git(dest, env);
  if ((await refsOf(git).catch(() => '')) !== marker.refs) return true;
  const st = await git.run(['status', '--porcelain', '--untracked-files=all'], { allowFail: true });
  return st.code !== 0 || st.stdout.length > 0;
}

/** The sample repository the old scripts/make-sample.js made (its local identity says so). */
function isLegacySample(dest: string): boolean {
  const g = gitDirOf(dest);
  if (!g) return false;
  try {
    return fs.readFileSync(path.join(g, 'config'), 'utf8').includes('sample@model-versions.invalid');
  } catch {
    return false;
  }
}

const stamp = (): string => new Date().toISOString().replace(/[:.]/g, '-');

/** Makes, reuses or recreates the demo in `opts.dest`. */
export async function makeDemo(opts: DemoOptions): Promise<DemoResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const env = opts.env ?? process.env;
  const dest = path.resolve(opts.dest);
  let action: DemoResult['action'] = 'created';
  let movedAside: string | undefined;
  if (fs.existsSync(dest)) {
    if (!fs.statSync(dest).isDirectory()) throw new DemoError(`${dest} is a file, not a folder: give the demo a folder of its own (a new or empty one).`);
    const marker = readMarker(dest);
    const entries = fs.readdirSync(dest);
    if (marker) {
      if (marker.demoVersion === DEMO_VERSION && !opts.recreate) {
        log(`reusing the demo repository in ${dest} (demo version ${DEMO_VERSION}; --recreate to make it afresh)`);
        return { dest, action: 'reused', versions: marker.versions, ms: Date.now() - t0 };
      }
      action = 'recreated';
      const why = opts.recreate ? 'recreating it as asked' : `it is demo version ${marker.demoVersion}, this is ${DEMO_VERSION}`;
      if (await changedByUser(dest, marker, env)) {
        movedAside = `${dest}.previous-${stamp()}`;
        fs.renameSync(dest, movedAside);
        log(`${dest} has changes of yours; moved it to ${movedAside} (${why})`);
      } else {
        log(`removing the demo in ${dest} (${why})`);
        fs.rmSync(dest, { recursive: true, force: true });
      }
    } else if (isLegacySample(dest)) {
      // the sample repository of scripts/make-sample.js (before the demo generator): kept, moved aside
      action = 'recreated';
      movedAside = `${dest}.previous-${stamp()}`;
      fs.renameSync(dest, movedAside);
      log(`${dest} is the older sample repository; moved it to ${movedAside}`);
    } else if (gitDirOf(dest) && fs.existsSync(path.join(dest, '.git', 'model-versions-demo.partial'))) {
      // an interrupted run of ours: nothing of the user's is in it
      action = 'recreated';
      log(`removing the unfinished demo in ${dest}`);
      fs.rmSync(dest, { recursive: true, force: true });
    } else if (entries.length > 0) {
      throw new DemoError(
        `${dest} is not empty and is not a Model Versions demo (no .git/${MARKER_FILE}); nothing was changed. ` +
          `Give the demo a new or empty folder (MV_SAMPLE=/path/to/new-folder npm start, or node dist/demo.js NEW_FOLDER).`,
      );
    }
  }
  const versions = await build(dest, env, opts.evalHost ?? defaultEvalHost(), log);
  return { dest, action, movedAside, versions, ms: Date.now() - t0 };
}

/** Fixed dates, so the history reads like a few weeks of work and the commits are reproducible. */
const DAY = 86400e3;
const START = Date.parse('2025-10-06T09:30:00Z');
const at = (days: number): string => new Date(START + days * DAY).toISOString().replace('.000Z', 'Z');

const IDENTITY = { name: 'Model Versions Demo', email: 'demo@model-versions.invalid' };

function envAt(base: NodeJS.ProcessEnv, days: number): NodeJS.ProcessEnv {
  const date = at(days);
  return {
    ...base,
    GIT_AUTHOR_NAME: IDENTITY.name,
    GIT_AUTHOR_EMAIL: IDENTITY.email,
    GIT_COMMITTER_NAME: IDENTITY.name,
    GIT_COMMITTER_EMAIL: IDENTITY.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  };
}

interface Step {
  version: number;
  message: string;
  days: number;
  params: TrainParams;
  /** start from this version's weights (fine-tuning) instead of a fresh initialisation */
  from?: number;
  initSeed: number;
}

/** The three versions of models/purchase_model.onnx. */
export const STEPS: Step[] = [
  {
    version: 1,
    days: 2,
    message:
      'Baseline purchase model: Dense 128 relu, Dropout 0.2, Dense 1 sigmoid\n\n' +
      'Exported to ONNX from models/model_version_1.h5 (one epoch of plain SGD, a first look).',
    params: { optimizer: 'sgd', learningRate: 0.01, epochs: 1, batchSize: 32, dropout: DROPOUT, seed: 101 },
    initSeed: 100,
  },
  {
    version: 2,
    days: 9,
    message: 'Retrain with Adam (lr 1e-3, 3 epochs)\n\nThe baseline stopped far from converged; Adam gets there in a few epochs.',
    params: { optimizer: 'adam', learningRate: 0.001, epochs: 3, batchSize: 32, dropout: DROPOUT, seed: 201 },
    initSeed: 200,
  },
  {
    version: 3,
    days: 16,
    message: 'Fine-tune v2 for 12 more epochs at lr 3e-4\n\nSame data and architecture; lower learning rate from the v2 weights.',
    params: { optimizer: 'adam', learningRate: 0.0003, epochs: 12, batchSize: 32, dropout: DROPOUT, seed: 301 },
    from: 2,
    initSeed: 300,
  },
];

function slice(d: DataSplit, from: number, to: number): DataSplit {
  const n = FEATURES.length;
  return { x: d.x.slice(from * n, to * n), y: d.y.slice(from, to), rows: to - from };
}

function validationMetrics(model: Mlp, val: DataSplit, trainLoss: number): Record<string, number> {
  const p = predict(model, val);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < val.rows; i++) {
    const y = val.y[i];
    if ((p[i] >= 0.5 ? 1 : 0) === y) correct++;
    const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]));
    loss -= y ? Math.log(q) : Math.log(1 - q);
  }
  const r = (x: number) => Number(x.toFixed(4));
  return { val_accuracy: r(correct / val.rows), val_loss: r(loss / val.rows), train_loss: r(trainLoss) };
}

/** Trains the demo's versions (deterministic). Exported for tests and the CI recipe's test. */
export function trainVersions(trainSplit = generateSplit(TRAIN_ROWS, DATA_SEED.train)): { model: Mlp; validation: Record<string, number>; step: Step }[] {
  const cut = Math.round(trainSplit.rows * (1 - VALIDATION_SPLIT));
  const fit = slice(trainSplit, 0, cut);
  const val = slice(trainSplit, cut, trainSplit.rows);
  const out: { model: Mlp; validation: Record<string, number>; step: Step }[] = [];
  for (const step of STEPS) {
    const model = step.from ? cloneMlp(out[step.from - 1].model) : initMlp(fit, FEATURES.length, UNITS, step.initSeed);
    const losses = train(model, fit, step.params);
    out.push({ model, validation: validationMetrics(model, val, losses[losses.length - 1]), step });
  }
  return out;
}

export function demoDatasets(): { train: DataSplit; test: DataSplit } {
  return { train: generateSplit(TRAIN_ROWS, DATA_SEED.train), test: generateSplit(TEST_ROWS, DATA_SEED.test) };
}

export function onnxBytes(model: Mlp, description = ONNX_DESCRIPTION): Buffer {
  return mlpToOnnx(exportWeights(model), FEATURES, { version: `demo-${DEMO_VERSION}`, description });
}

const README = `# Model Versions demo: predicting purchases from user behaviour

An e-commerce site wants to know, while a visitor browses, whether they will buy. This repository is a
small, complete example of versioning that model with **Model Versions** (git + Git LFS underneath):

| path | what |
| --- | --- |
| \`data/train.csv\`, \`data/test.csv\` | ${TRAIN_ROWS.toLocaleString('en')} and ${TEST_ROWS.toLocaleString('en')} synthetic sessions: ${FEATURES.join(', ')}; label \`${LABEL}\` (0/1) |
| \`models/model_version_1.h5\` | the first model, as Keras HDF5: Dense 128 relu → Dropout 0.2 → Dense 1 sigmoid |
| \`models/purchase_model.onnx\` | three versions of the same model in ONNX (input \`${INPUT_NAME}\` [batch, ${FEATURES.length}]) |

The versions, all trained by the demo generator (seeded, so the bytes are the same on every machine):

- **v1** (tag \`purchase_model/v1\`): exported from \`model_version_1.h5\` — one epoch of plain SGD;
- **v2** (tag \`purchase_model/v2\`): retrained with Adam;
- **v3** (tag \`purchase_model/v3\`, aliases \`production\` and \`staging\`): fine-tuned from v2.

Each commit records its lineage (datasets with their hashes, training parameters, \`derived from\`) and
its validation metrics in the message; each version's metrics on \`data/test.csv\`, computed by the
evaluation host, are in the git notes (\`refs/notes/model-versions\`). \`production\` was on v2 and was
moved to v3: the alias log keeps who moved it, when, from and to.

## Things to try

- **Model Versions** (its icon in the activity bar, on the left): the models and their versions, with
  tags, aliases and metrics in the tooltips; select a version and **Version Details** below shows its
  change record and what changed since the previous version.
- Right-click v3 → **Compare with Previous Version**: the verdict (\`retrained\`, interface unchanged) and
  which weights moved most.
- Select v1 and v3 (Ctrl/Cmd+click) → **Compare Models…** on \`data/test.csv\` with label \`${LABEL}\`:
  metrics side by side and whether the difference is significant.
- Open \`models/model_version_1.h5\` or \`models/purchase_model.onnx\`: the model's summary instead of bytes.
- **Lineage** and **History** panels on \`models/purchase_model.onnx\`: where each version came from, and
  its metrics over versions.
- Right-click v3 → **Cross-Validate…** with the training command
  \`node <extension>/dist/demo.js train {train} {valid} {out}\` (the demo's own trainer), \`data/train.csv\`,
  label \`${LABEL}\`: each fold trains a model and is evaluated on its rows; the run is kept in v3's notes.
- **Production** (\`production/\`, not versioned): two weeks after production moved to v3, the shop served
  v2 and v3 50/50 and logged every prediction (\`${PREDICTIONS_LOG}\`); purchases arrived later
  (\`${OUTCOMES_LOG}\`). The simulation gives v3's visitors a purchase probability 1.5 points higher, and
  an ad campaign on ${new Date(PRODUCTION_START + CAMPAIGN_DAY * 86400e3).toISOString().slice(0, 10)} brings visitors who view more pages. \`modelver abtest\` finds the
  lift with its interval; \`modelver monitor --window 1d\` flags that day's drift against \`${TRAIN_CSV}\`.
  In the editor: right-click \`purchase_model.onnx\` in the Model Versions view → **A/B Test…** or
  **Monitor Deployed Versions…** and pick \`${PREDICTIONS_LOG}\` (and the outcomes log).
- In a terminal (\`modelver\` is \`node <extension>/dist/cli.js\`):

  \`\`\`
  modelver log models/purchase_model.onnx
  modelver diff models/purchase_model.onnx@v2 models/purchase_model.onnx@production --md
  modelver compare models/purchase_model.onnx@v1 models/purchase_model.onnx@production --data data/test.csv --label ${LABEL}
  modelver compare models/purchase_model.onnx@v1 models/purchase_model.onnx@v2 models/purchase_model.onnx@v3 --data data/test.csv --label ${LABEL} --by-class --slice is_returning
  modelver cv --train "node <extension>/dist/demo.js train {train} {valid} {out}" --data data/train.csv --label ${LABEL} --stratify
  modelver cv --train "node <extension>/dist/demo.js train {train} {valid} {out} --epochs 1" --train "node <extension>/dist/demo.js train {train} {valid} {out} --epochs 3" --data data/train.csv --label ${LABEL}
  modelver abtest --log ${PREDICTIONS_LOG} --outcomes ${OUTCOMES_LOG} --metric purchased
  modelver monitor --log ${PREDICTIONS_LOG} --outcomes ${OUTCOMES_LOG} --window 1d
  git log --notes=model-versions --format='%h %s%n%N' -- models/purchase_model.onnx
  git show refs/model-versions/aliases:aliases.json
  \`\`\`

Recreate this folder with \`node dist/demo.js <folder> --recreate\` from the Model Versions checkout.
`;

async function build(dest: string, env: NodeJS.ProcessEnv, evalHost: string, log: (s: string) => void): Promise<DemoVersionInfo[]> {
  fs.mkdirSync(dest, { recursive: true });
  const git = new Git(dest, envAt(env, 0));
  await git.run(['init', '-q', '-b', 'main']);
  const partial = path.join(dest, '.git', 'model-versions-demo.partial');
  fs.writeFileSync(partial, `an unfinished Model Versions demo (started ${new Date().toISOString()}); the generator recreates it\n`);
  const lfs = await git.run(['lfs', 'install', '--local'], { allowFail: true });
  if (lfs.code !== 0) {
    throw new DemoError(`Git LFS is not available (${lfs.stderr.trim() || 'git lfs failed'}): install git-lfs (e.g. \`sudo apt-get install git-lfs\`) and run again.`);
  }
  // the user's own commits in the demo need an identity when they have none configured
  await git.run(['config', 'user.name', IDENTITY.name]);
  await git.run(['config', 'user.email', IDENTITY.email]);

  // the data, committed as plain git files (small text)
  log('generating the user-behaviour dataset…');
  const { train: trainSplit, test: testSplit } = demoDatasets();
  fs.mkdirSync(path.join(dest, 'data'), { recursive: true });
  fs.mkdirSync(path.join(dest, 'models'), { recursive: true });
  fs.writeFileSync(path.join(dest, TRAIN_CSV), toCsv(trainSplit));
  fs.writeFileSync(path.join(dest, TEST_CSV), toCsv(testSplit));
  fs.writeFileSync(path.join(dest, 'README.md'), README);
  await git.run(['add', '--', 'README.md', TRAIN_CSV, TEST_CSV]);
  await git.run(['commit', '-q', '-m', `User-behaviour sessions: ${TRAIN_ROWS} for training, ${TEST_ROWS} for testing\n\nSynthetic, seeded (src/demo/data.ts in Model Versions).`]);
  // the project commit (README, data) is the "code" every version was trained from
  const projectCommit = (await git.text(['rev-parse', 'HEAD'])).trim();

  log('training three versions of the purchase model…');
  const t = Date.now();
  const trained = trainVersions(trainSplit);
  log(`  trained in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const open = (days: number) => ModelRepository.open(dest, { env: envAt(env, days) });
  const datasets = [
    { path: TRAIN_CSV, role: 'train' },
    { path: TEST_CSV, role: 'test' },
  ];
  const paramsOf = (s: Step) => ({
    architecture: `Dense ${UNITS} relu, Dropout ${DROPOUT}, Dense 1 sigmoid`,
    optimizer: s.params.optimizer,
    learning_rate: s.params.learningRate,
    epochs: s.params.epochs,
    batch_size: s.params.batchSize,
    dropout: s.params.dropout,
    validation_split: VALIDATION_SPLIT,
    seed: s.params.seed,
  });

  // v1 as Keras HDF5 first (the seed's model_version_1.h5), then exported to ONNX
  const w1 = exportWeights(trained[0].model);
  await writeKerasModel(path.join(dest, KERAS_MODEL), {
    name: 'purchase_model',
    inputShape: [FEATURES.length],
    inputName: INPUT_NAME,
    layers: [
      { kind: 'Dense', name: 'dense', units: UNITS, activation: 'relu', kernel: w1.kernel1, bias: w1.bias1 },
      { kind: 'Dropout', name: 'dropout', rate: DROPOUT },
      { kind: 'Dense', name: 'dense_1', units: 1, activation: 'sigmoid', kernel: w1.kernel2, bias: w1.bias2 },
    ],
  }, { time: new Date(at(1)) }); // HDF5 records object times: pinned, so the file (and every commit) is reproducible
  await (await open(1)).commitModel(path.join(dest, KERAS_MODEL), 'First purchase model (Keras): Dense 128 relu, Dropout 0.2, Dense 1 sigmoid', {
    lineage: { datasets, params: paramsOf(STEPS[0]), codeCommit: projectCommit },
    trailers: { [METRICS_TRAILER]: formatMetricsTrailer(trained[0].validation) },
  });

  const client = EvalClient.local(evalHost, { args: ['--provider', 'cpu'] });
  const infos: DemoVersionInfo[] = [];
  try {
    const dataset = await loadDatasetInferringTask({ file: TEST_CSV, labelColumn: LABEL }, { baseDir: dest });
    const modelFile = path.join(dest, MODEL);
    const evaluations: ModelEvaluation[] = [];
    for (const { model, validation, step } of trained) {
      const repo = await open(step.days);
      fs.writeFileSync(modelFile, onnxBytes(model));
      const derivedFrom = step.version === 1 ? { model: KERAS_MODEL, version: 1 } : step.from ? { model: MODEL, version: step.from } : undefined;
      const c = await repo.commitModel(modelFile, step.message, {
        lineage: { ...(derivedFrom ? { derivedFrom } : {}), datasets, params: paramsOf(step), codeCommit: projectCommit },
        trailers: { [METRICS_TRAILER]: formatMetricsTrailer(validation) },
      });
      log(`  v${c.version} ${c.shortCommit}  validation ${Object.entries(validation).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      const ev = await evaluateModel({ file: modelFile, label: `${MODEL}@v${c.version}` }, dataset, client, { task: dataset.task, folds: 5, seed: 1 });
      evaluations.push(ev);
      await recordEvaluation(repo, MODEL, c.version, ev, { seed: 1, date: new Date(Date.parse(at(step.days)) + 3600e3) });
      await repo.tag(MODEL, { version: c.version, message: `${step.message.split('\n')[0]}\n\ntest accuracy ${ev.metrics.accuracy.toFixed(4)}, f1 ${ev.metrics.f1Macro.toFixed(4)}` });
      infos.push({ version: c.version, commit: c.commit, test: ev.metrics, validation });
      log(`       test (evaluation host) accuracy=${ev.metrics.accuracy.toFixed(4)} f1=${ev.metrics.f1Macro.toFixed(4)} rocAuc=${ev.metrics.rocAuc.toFixed(4)}`);
      if (step.version === 2) await repo.setAlias(MODEL, 'production', 2);
      if (step.version === 3) await repo.setAlias(MODEL, 'staging', 3);
    }
    // production goes to the best version on the test set (macro F1), moved from v2: the alias log shows it
    const best = infos.reduce((a, b) => (b.test.f1Macro > a.test.f1Macro ? b : a));
    if (best.version !== 2) {
      const repo = await open(STEPS[STEPS.length - 1].days + 1);
      await repo.setAlias(MODEL, 'production', best.version);
    }
    log(`  production → v${best.version} (best F1 on ${TEST_CSV}), staging → v3`);
  } finally {
    client.dispose();
  }
  // the production period: v2 and v3 served 50/50, logged as a serving system would (not versioned:
  // .git/info/exclude keeps production/ out of git status)
  log('simulating two weeks of production: v2 and v3 served 50/50…');
  const logs = simulateProduction([2, 3].map((v) => ({ version: v, model: trained[v - 1].model })));
  fs.mkdirSync(path.join(dest, path.dirname(PREDICTIONS_LOG)), { recursive: true });
  fs.writeFileSync(path.join(dest, PREDICTIONS_LOG), logs.predictions);
  fs.writeFileSync(path.join(dest, OUTCOMES_LOG), logs.outcomes);
  fs.appendFileSync(path.join(dest, '.git', 'info', 'exclude'), `${path.dirname(PREDICTIONS_LOG)}/\n`);
  log(`  ${PREDICTIONS_LOG}: ${Object.entries(logs.served).map(([v, s]) => `${v} ${s.sessions} sessions, ${s.purchases} purchases`).join('; ')}`);

  const marker: Marker = { kind: MARKER_KIND, demoVersion: DEMO_VERSION, refs: await refsOf(git), versions: infos };
  fs.writeFileSync(path.join(dest, '.git', MARKER_FILE), JSON.stringify(marker, null, 2) + '\n');
  fs.rmSync(partial, { force: true });
  return infos;
}
