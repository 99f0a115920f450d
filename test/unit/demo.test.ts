/**
 * The one-command demo (`node dist/demo.js DEST [--recreate]`, run by `npm start`): the repository it
 * makes (versions, tags, aliases, lineage trailers, recorded metrics), cross-checked against numpy
 * (/usr/bin/python3) running the committed ONNX weights on data/test.csv and reading the Keras file with
 * h5py; determinism; reuse, --recreate, a stale demo, and a folder that is not a demo.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { readModelSummary } from '../../src/core/formats';
import { diffModels } from '../../src/core/diff';
import { parseLineage } from '../../src/core/lineage/record';
import { KERAS_MODEL, MARKER_FILE, MODEL, TEST_CSV, TRAIN_CSV } from '../../src/demo/generate';
import { CAMPAIGN_DAY, OUTCOMES_LOG, PREDICTIONS_LOG, PRODUCTION_START } from '../../src/demo/production';
import type { AbTestReport } from '../../src/core/production/abtest';
import type { MonitorReport } from '../../src/core/production/monitor';
import { cli } from '../support/cli';
import { REPO_ROOT } from '../support/paths';
import { TempSpace } from './repoTestUtil';

const DEMO = path.join(REPO_ROOT, 'dist', 'demo.js');
const PYTHON = '/usr/bin/python3';

const sha = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');

function runDemo(env: NodeJS.ProcessEnv, ...args: string[]): { code: number; out: string; err: string } {
  if (!fs.existsSync(DEMO) || !fs.existsSync(path.join(REPO_ROOT, 'dist', 'evalHost.js'))) {
    throw new Error(`${DEMO} or dist/evalHost.js is missing: run \`npm run build\` before the unit tests`);
  }
  const r = spawnSync(process.execPath, [DEMO, ...args], { env, encoding: 'utf8', timeout: 180000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** accuracy, macro F1 and ROC-AUC of an ONNX file of the demo's MLP on a CSV, computed with numpy */
function numpyMetrics(onnxFile: string, csv: string): { accuracy: number; f1Macro: number; rocAuc: number } {
  const script = `
import sys, json, numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
d = np.genfromtxt(sys.argv[2], delimiter=',', skip_header=1)
x, y = d[:, :-1], d[:, -1].astype(int)
h = np.maximum(x @ w['dense/kernel'] + w['dense/bias'], 0)
p = 1 / (1 + np.exp(-(h @ w['dense_1/kernel'] + w['dense_1/bias'])[:, 0]))
q = (p >= 0.5).astype(int)
def f1(c):
    tp = np.sum((q == c) & (y == c)); fp = np.sum((q == c) & (y != c)); fn = np.sum((q != c) & (y == c))
    return 2 * tp / (2 * tp + fp + fn)
order = np.argsort(p, kind='mergesort'); ranks = np.empty(len(p)); ranks[order] = np.arange(1, len(p) + 1)
pos = y == 1; auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
print(json.dumps({"accuracy": float(np.mean(q == y)), "f1Macro": float((f1(0) + f1(1)) / 2), "rocAuc": float(auc)}))
`;
  const r = spawnSync(PYTHON, ['-c', script, onnxFile, csv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('demo repository (node dist/demo.js)', function () {
  this.timeout(240000);
  let space: TempSpace;
  let dest: string;
  let first: { code: number; out: string; err: string };
  before(() => {
    space = new TempSpace();
    dest = path.join(space.dir, 'demo');
    first = runDemo(space.env, dest);
  });
  after(() => space.cleanup());

  it('creates a git + LFS repository with the dataset, three ONNX versions and the Keras model', async () => {
    assert.strictEqual(first.code, 0, first.err);
    assert.match(first.out, /demo repository created: /);
    const repo = await ModelRepository.open(dest, { env: space.env });
    const models = (await repo.listModels()).map((m) => m.path).sort();
    assert.deepStrictEqual(models, [KERAS_MODEL, MODEL]);
    const versions = await repo.versions(MODEL);
    assert.deepStrictEqual(versions.map((v) => v.version), [1, 2, 3]);
    for (const v of versions) assert.ok(v.lfs, `v${v.version} is an LFS pointer`);
    // every version really differs
    assert.strictEqual(new Set(versions.map((v) => v.oid)).size, 3);
    // the CSVs: header, row counts, binary label with both classes
    const train = fs.readFileSync(path.join(dest, TRAIN_CSV), 'utf8').trimEnd().split('\n');
    const test = fs.readFileSync(path.join(dest, TEST_CSV), 'utf8').trimEnd().split('\n');
    assert.strictEqual(train[0], 'pages_viewed,session_minutes,cart_adds,past_purchases,days_since_last_visit,is_returning,device_mobile,referral_ads,discount_seen,wishlist_items,purchased');
    assert.strictEqual(train.length, 5001);
    assert.strictEqual(test.length, 2001);
    const labels = test.slice(1).map((l) => l.split(',').pop());
    const rate = labels.filter((l) => l === '1').length / labels.length;
    assert.ok(rate > 0.15 && rate < 0.5, `purchase rate ${rate}`);
    assert.ok(labels.every((l) => l === '0' || l === '1'));
    // the ONNX interface
    const s = await readModelSummary(path.join(dest, MODEL));
    assert.deepStrictEqual(s.inputs.map((i) => [i.name, i.shape]), [['user_behaviour', ['batch', 10]]]);
    assert.strictEqual(fs.readFileSync(path.join(dest, 'README.md'), 'utf8').includes('Things to try'), true);
    assert.strictEqual(spawnSync('git', ['status', '--porcelain'], { cwd: dest, encoding: 'utf8', env: space.env }).stdout, '', 'clean working tree');
  });

  it('saves v1 also as Keras HDF5 model_version_1.h5 with the same weights (read back with h5py)', () => {
    const script = `
import sys, json, h5py, numpy as np, onnx
from onnx import numpy_helper
f = h5py.File(sys.argv[1], 'r')
cfg = json.loads(f.attrs['model_config'])
layers = [(l['class_name'], l['config'].get('units'), l['config'].get('activation'), l['config'].get('rate')) for l in cfg['config']['layers']]
w = {t.name: numpy_helper.to_array(t) for t in onnx.load(sys.argv[2]).graph.initializer}
same = all(np.array_equal(f['model_weights'][a][a][k][()], w[a + '/' + k.split(':')[0]]) for a in ['dense', 'dense_1'] for k in ['kernel:0', 'bias:0'])
print(json.dumps({"layers": layers, "same": bool(same)}))
`;
    const v1 = path.join(space.dir, 'v1.onnx');
    const show = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'show', `${MODEL}@v1`, '--out', v1, '-C', dest], { env: space.env, encoding: 'utf8' });
    assert.strictEqual(show.status, 0, show.stderr);
    const r = spawnSync(PYTHON, ['-c', script, path.join(dest, KERAS_MODEL), v1], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepStrictEqual(
      out.layers.filter((l: unknown[]) => l[0] !== 'InputLayer'),
      [
        ['Dense', 128, 'relu', null],
        ['Dropout', null, null, 0.2],
        ['Dense', 1, 'sigmoid', null],
      ],
    );
    assert.strictEqual(out.same, true, 'the .h5 holds the weights of ONNX v1');
  });

  it('a diff of ONNX v3 against the .h5 pairs each Keras weight (dense/kernel:0) with its ONNX export (dense/kernel): changed, not added and removed', async () => {
    const v3 = path.join(space.dir, 'v3.onnx');
    const show = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'show', `${MODEL}@v3`, '--out', v3, '-C', dest], { env: space.env, encoding: 'utf8' });
    assert.strictEqual(show.status, 0, show.stderr);
    const d = await diffModels(v3, path.join(dest, KERAS_MODEL));
    const pairs = d.weights.rows.map((r) => [r.a?.name, r.b?.name, r.status]).sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1));
    assert.deepStrictEqual(pairs, [
      ['dense/bias', 'dense/bias:0', 'changed'],
      ['dense/kernel', 'dense/kernel:0', 'changed'],
      ['dense_1/bias', 'dense_1/bias:0', 'changed'],
      ['dense_1/kernel', 'dense_1/kernel:0', 'changed'],
    ]);
    assert.strictEqual(d.weights.counts.added + d.weights.counts.removed, 0);
  });

  it('tags every version, puts production on the best version and staging on v3; the alias log shows the move', async () => {
    const repo = await ModelRepository.open(dest, { env: space.env });
    const versions = await repo.versions(MODEL);
    assert.deepStrictEqual(versions.map((v) => v.tags.map((t) => t.name)), [['purchase_model/v1'], ['purchase_model/v2'], ['purchase_model/v3']]);
    const aliases = await repo.listAliases(MODEL);
    const byName = Object.fromEntries(aliases.map((a) => [a.alias, a.version]));
    assert.deepStrictEqual(byName, { production: 3, staging: 3 });
    const log = await repo.aliasLog(MODEL, 'production');
    const moves = log.map((e) => `${e.action} ${e.from?.commit ?? 'none'} -> ${e.to?.commit ?? 'none'}`).sort();
    const [, v2, v3] = versions.map((v) => v.commit);
    assert.deepStrictEqual(moves, [`set ${v2} -> ${v3}`, `set none -> ${v2}`].sort(), 'production was set on v2, then moved to v3');
  });

  it('records lineage in the trailers: datasets with their hashes, parameters, derived-from', async () => {
    const repo = await ModelRepository.open(dest, { env: space.env });
    const versions = await repo.versions(MODEL);
    const keras = (await repo.versions(KERAS_MODEL))[0];
    const trainSha = sha(fs.readFileSync(path.join(dest, TRAIN_CSV)));
    const testSha = sha(fs.readFileSync(path.join(dest, TEST_CSV)));
    const lin = versions.map((v) => parseLineage(v.message));
    for (const l of [...lin, parseLineage(keras.message)]) {
      assert.deepStrictEqual(
        l.datasets.map((d) => [d.role, d.path, d.sha256]),
        [
          ['train', TRAIN_CSV, trainSha],
          ['test', TEST_CSV, testSha],
        ],
      );
      assert.strictEqual(l.params?.architecture, 'Dense 128 relu, Dropout 0.2, Dense 1 sigmoid');
    }
    assert.deepStrictEqual(lin[0].derivedFrom, { path: KERAS_MODEL, commit: keras.commit }, 'v1 was exported from the Keras model');
    assert.strictEqual(lin[1].derivedFrom, undefined, 'v2 is trained from scratch');
    assert.deepStrictEqual(lin[2].derivedFrom, { path: MODEL, commit: versions[1].commit }, 'v3 is fine-tuned from v2');
    assert.deepStrictEqual(lin.map((l) => [l.params?.optimizer, l.params?.epochs]), [
      ['sgd', 1],
      ['adam', 3],
      ['adam', 12],
    ]);
    for (const v of versions) assert.match(v.trailers['Model-Metrics'] ?? '', /^val_accuracy=0\.\d+, val_loss=\d\.\d+, train_loss=\d\.\d+$/);
  });

  it('records test-set metrics from the evaluation host in the notes; they match numpy and improve with each version', async () => {
    const repo = await ModelRepository.open(dest, { env: space.env });
    const testSha = sha(fs.readFileSync(path.join(dest, TEST_CSV)));
    const metrics: Record<string, number>[] = [];
    for (const v of await repo.versions(MODEL)) {
      const md = v.metadata as { metrics: Record<string, number>; evaluations: Record<string, { dataset: { sha256: string; rows: number } }> };
      assert.ok(md?.metrics, `v${v.version} has recorded metrics`);
      const evs = Object.values(md.evaluations);
      assert.strictEqual(evs.length, 1);
      assert.strictEqual(evs[0].dataset.sha256, testSha);
      assert.strictEqual(evs[0].dataset.rows, 2000);
      const file = path.join(space.dir, `check-v${v.version}.onnx`);
      await repo.readVersionBytes(MODEL, v.version, { out: file });
      const ref = numpyMetrics(file, path.join(dest, TEST_CSV));
      for (const k of ['accuracy', 'f1Macro', 'rocAuc'] as const) {
        assert.ok(Math.abs(md.metrics[k] - ref[k]) < 2e-4, `v${v.version} ${k}: notes ${md.metrics[k]}, numpy ${ref[k]}`);
      }
      metrics.push(md.metrics);
    }
    for (const k of ['accuracy', 'f1Macro', 'rocAuc']) {
      assert.ok(metrics[0][k] < metrics[1][k] && metrics[1][k] < metrics[2][k], `${k} improves: ${metrics.map((m) => m[k]).join(' < ')}`);
    }
    assert.ok(metrics[0].logLoss > metrics[1].logLoss && metrics[1].logLoss > metrics[2].logLoss);
    assert.ok(metrics[2].accuracy > 0.85, `v3 accuracy ${metrics[2].accuracy}`);
  });

  it('has a production period: the A/B test finds v3\'s lift, the monitor flags the campaign day against the training data', async () => {
    const ab = await cli(['abtest', '--log', PREDICTIONS_LOG, '--outcomes', OUTCOMES_LOG, '--metric', 'purchased', '--json', '-C', dest]);
    assert.strictEqual(ab.code, 0, ab.err);
    const r = JSON.parse(ab.out) as AbTestReport;
    assert.deepStrictEqual(r.variants.map((v) => v.label), ['v2', 'v3']);
    assert.strictEqual(r.srm.mismatch, false);
    const c = r.comparisons[0];
    // the simulation adds 1.5 points for v3: the interval holds it and excludes 0
    assert.ok(c.significant && c.diffCI[0] > 0 && c.diffCI[0] < 0.015 && c.diffCI[1] > 0.015, JSON.stringify(c));
    assert.match(r.decision, /^v3 raises purchased by \+\d\.\d pp/);
    const mon = await cli(['monitor', '--log', PREDICTIONS_LOG, '--outcomes', OUTCOMES_LOG, '--window', '1d', '--json', '-C', dest]);
    assert.strictEqual(mon.code, 0, mon.err);
    const m = JSON.parse(mon.out) as MonitorReport;
    assert.deepStrictEqual(m.references.map((x) => `${x.version}: ${x.source}`), [`v2: ${TRAIN_CSV} (training data recorded in the lineage)`, `v3: ${TRAIN_CSV} (training data recorded in the lineage)`]);
    const campaign = new Date(PRODUCTION_START + CAMPAIGN_DAY * 86400e3).toISOString();
    const drifted = m.windows.filter((w) => w.versions.some((v) => v.drifted.length)).map((w) => w.start);
    assert.deepStrictEqual(drifted, [campaign], 'only the campaign day drifts');
    for (const v of m.windows.find((w) => w.start === campaign)!.versions) {
      assert.ok(v.drifted.includes('pages_viewed') && v.drifted.includes('referral_ads'), v.drifted.join(', '));
    }
    for (const v of m.versions) assert.ok(v.outcomes!.accuracy! > 0.8, `${v.version} accuracy ${v.outcomes!.accuracy}`);
  });

  it('is deterministic: a second run writes the same dataset and model bytes', async () => {
    const again = path.join(space.dir, 'demo-again');
    const r = runDemo(space.env, again, '--quiet');
    assert.strictEqual(r.code, 0, r.err);
    for (const f of [TRAIN_CSV, TEST_CSV, 'README.md', PREDICTIONS_LOG, OUTCOMES_LOG]) {
      assert.strictEqual(sha(fs.readFileSync(path.join(again, f))), sha(fs.readFileSync(path.join(dest, f))), f);
    }
    const a = await ModelRepository.open(dest, { env: space.env });
    const b = await ModelRepository.open(again, { env: space.env });
    assert.deepStrictEqual((await b.versions(MODEL)).map((v) => v.oid), (await a.versions(MODEL)).map((v) => v.oid));
    // the HDF5 file too (its object times are pinned), hence the same commits
    const h5 = (d: string) => sha(fs.readFileSync(path.join(d, KERAS_MODEL)));
    assert.strictEqual(h5(again), h5(dest), 'model_version_1.h5');
    const headOf = (d: string) => spawnSync('git', ['rev-parse', 'HEAD'], { cwd: d, encoding: 'utf8', env: space.env }).stdout.trim();
    assert.strictEqual(headOf(again), headOf(dest), 'the same commits');
    assert.deepStrictEqual(
      (await b.versions(MODEL)).map((v) => (v.metadata as { metrics: unknown }).metrics),
      (await a.versions(MODEL)).map((v) => (v.metadata as { metrics: unknown }).metrics),
    );
  });

  it('reuses a current demo, recreates it on --recreate or when stale, and moves a changed one aside', () => {
    const head = () => spawnSync('git', ['rev-parse', 'HEAD'], { cwd: dest, encoding: 'utf8', env: space.env }).stdout.trim();
    const before = head();
    const reuse = runDemo(space.env, dest);
    assert.strictEqual(reuse.code, 0, reuse.err);
    assert.match(reuse.out, /demo repository reused/);
    assert.strictEqual(head(), before);

    const recreate = runDemo(space.env, dest, '--recreate', '--quiet');
    assert.strictEqual(recreate.code, 0, recreate.err);
    assert.match(recreate.out, /demo repository recreated/);
    assert.deepStrictEqual(fs.readdirSync(space.dir).filter((f) => f.startsWith('demo.previous-')), [], 'an unchanged demo is not kept');

    // a stale demo (older demo version) that the user changed: recreated, the old one moved aside
    const markerFile = path.join(dest, '.git', MARKER_FILE);
    const marker = JSON.parse(fs.readFileSync(markerFile, 'utf8'));
    fs.writeFileSync(markerFile, JSON.stringify({ ...marker, demoVersion: 0 }));
    fs.writeFileSync(path.join(dest, 'my-notes.txt'), 'mine\n');
    const stale = runDemo(space.env, dest);
    assert.strictEqual(stale.code, 0, stale.err);
    assert.match(stale.out, /has changes of yours; moved it to/);
    assert.match(stale.out, /demo repository recreated/);
    const aside = fs.readdirSync(space.dir).filter((f) => f.startsWith('demo.previous-'));
    assert.strictEqual(aside.length, 1);
    assert.strictEqual(fs.readFileSync(path.join(space.dir, aside[0], 'my-notes.txt'), 'utf8'), 'mine\n');
    assert.ok(!fs.existsSync(path.join(dest, 'my-notes.txt')));
    assert.strictEqual(JSON.parse(fs.readFileSync(markerFile, 'utf8')).demoVersion, marker.demoVersion);
  });

  it('replaces the older sample repository (scripts/make-sample.js) by the demo, keeping the old one aside', () => {
    const old = path.join(space.dir, 'sample');
    fs.mkdirSync(old);
    spawnSync('git', ['init', '-q', '-b', 'main'], { cwd: old, env: space.env });
    spawnSync('git', ['config', 'user.email', 'sample@model-versions.invalid'], { cwd: old, env: space.env });
    fs.writeFileSync(path.join(old, 'README.md'), '# Model Versions sample\n');
    const r = runDemo(space.env, old);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /is the older sample repository; moved it to /);
    const aside = fs.readdirSync(space.dir).filter((f) => f.startsWith('sample.previous-'));
    assert.strictEqual(aside.length, 1);
    assert.strictEqual(fs.readFileSync(path.join(space.dir, aside[0], 'README.md'), 'utf8'), '# Model Versions sample\n');
    assert.ok(fs.existsSync(path.join(old, '.git', MARKER_FILE)));
  });

  it('refuses a folder that is not a demo and has other content, and changes nothing', () => {
    const other = path.join(space.dir, 'project');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'keep.txt'), 'important\n');
    const r = runDemo(space.env, other);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /is not empty and is not a Model Versions demo .*nothing was changed.*new or empty folder/s);
    assert.deepStrictEqual(fs.readdirSync(other), ['keep.txt']);
    const file = path.join(space.dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const f = runDemo(space.env, file);
    assert.strictEqual(f.code, 1);
    assert.match(f.err, /is a file, not a folder/);
    const usage = runDemo(space.env);
    assert.strictEqual(usage.code, 2);
    assert.match(usage.err, /missing the demo folder/);
  });
});
