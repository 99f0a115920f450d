/**
 * Model evaluation and comparison (src/core/eval/evaluate.ts, `modelver evaluate` / `modelver compare`)
 * against a real evaluation host (the compiled out/src/evalHost/main.js): tiny logistic models built
 * here with onnx-proto on a seeded synthetic dataset (label = x0 + x1 > 1), checked against a plain-JS
 * forward pass.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../support/cli';
import { EvalClient } from '../../src/core/eval/client';
import { loadDataset, type Dataset } from '../../src/core/eval/dataset';
import { compareModels, evaluateModel, evaluationKey, gate, parseGateRule, settingsOf, toProbabilities } from '../../src/core/eval/evaluate';
import { renderComparisonMarkdown, renderEvaluationText } from '../../src/core/eval/report';
import { ModelRepository } from '../../src/core/repo';
import { TempSpace, put } from './repoTestUtil';
import { linearModel, rng } from '../support/onnxModels';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');

const GOOD: [[number, number], number] = [[10, 10], -10];
const BAD: [[number, number], number] = [[1, -1], 0];

/** plain-JS forward pass: P(class 1) per row */
function forwardJs(ds: Dataset, w: [number, number], b: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < ds.rowCount; r++) {
    const z = ds.features[r * 2] * w[0] + ds.features[r * 2 + 1] * w[1] + b;
    out.push(1 / (1 + Math.exp(-z)));
  }
  return out;
}


describe('evaluate / compare', function () {
  this.timeout(120_000);
  let tmp: string;
  let csv: string;
  let good: string;
  let bad: string;
  let ds: Dataset;
  const clients: EvalClient[] = [];
  const client = (): EvalClient => {
    const c = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'cache')] });
    clients.push(c);
    return c;
  };

  before(async () => {
    assert.ok(fs.existsSync(HOST), `compiled host missing: ${HOST}`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evaluate-test-'));
    const r = rng(7);
    const lines = ['x0,x1,y,t'];
    while (lines.length < 301) {
      const x0 = Math.round(r() * 1e4) / 1e4;
      const x1 = Math.round(r() * 1e4) / 1e4;
      // keep away from both models' decision boundaries so float32 rounding cannot flip a prediction
      if (Math.abs(x0 + x1 - 1) < 0.01 || Math.abs(x0 - x1) < 0.01) continue;
      lines.push(`${x0},${x1},${x0 + x1 > 1 ? 1 : 0},${(x0 + x1).toFixed(4)}`);
    }
    csv = path.join(tmp, 'data.csv');
    fs.writeFileSync(csv, lines.join('\n') + '\n');
    good = path.join(tmp, 'good.onnx');
    bad = path.join(tmp, 'bad.onnx');
    fs.writeFileSync(good, linearModel(GOOD[0], GOOD[1], true));
    fs.writeFileSync(bad, linearModel(BAD[0], BAD[1], true));
    ds = await loadDataset({ file: csv, labelColumn: 'y', features: ['x0', 'x1'], task: 'binary' });
  });

  after(() => {
    for (const c of clients) c.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('evaluateModel: accuracy equals a plain-JS forward pass; metrics, cv, predictions', async () => {
    const c = client();
    for (const [file, [w, b]] of [
      [good, GOOD],
      [bad, BAD],
    ] as const) {
      const ev = await evaluateModel({ file }, ds, c, { folds: 5, seed: 1 });
      const p = forwardJs(ds, w, b);
      let right = 0;
      for (let i = 0; i < ds.rowCount; i++) if ((p[i] > 0.5 ? 1 : 0) === ds.labels[i]) right++;
      assert.strictEqual(ev.rows, 300);
      assert.strictEqual(ev.metrics.accuracy, right / 300, path.basename(file));
      assert.strictEqual(ev.interpretation, 'one column = P(class 1)');
      for (let i = 0; i < ds.rowCount; i++) assert.ok(Math.abs(ev.predictions.probabilities![i][1] - p[i]) < 1e-5);
      for (const k of ['precisionMacro', 'recallMacro', 'f1Macro', 'precisionWeighted', 'recallWeighted', 'f1Weighted', 'logLoss', 'rocAuc']) {
        assert.ok(Number.isFinite(ev.metrics[k]), k);
      }
      assert.deepStrictEqual(ev.confusion!.flat().reduce((a, b) => a + b, 0), 300);
      assert.strictEqual(ev.cvFolds, 5);
      const cv = ev.cv.accuracy;
      assert.ok(cv.ci95[0] <= cv.mean && cv.mean <= cv.ci95[1] && cv.std >= 0);
      assert.ok(Math.abs(cv.mean - ev.metrics.accuracy) < 0.02);
      if (file === good) {
        assert.strictEqual(ev.metrics.accuracy, 1);
        assert.ok(ev.metrics.rocAuc === 1);
      } else assert.ok(ev.metrics.accuracy < 0.8);
      const text = renderEvaluationText(ev);
      assert.match(text, /accuracy/);
      // the interval is named for what it is: the evaluation set resampled, the model not retrained
      assert.match(text, /resampled mean ± std \(5 subsets\)/);
      assert.doesNotMatch(text, /cross-valid|fold/i);
    }
    // the same model + data is uploaded once
    assert.strictEqual(c.uploads.models, 2);
    assert.strictEqual(c.uploads.datasets, 1);
  });

  it('regression: a linear model of x0 + x1 gets mse ≈ 0, r2 ≈ 1', async () => {
    const lin = path.join(tmp, 'lin.onnx');
    fs.writeFileSync(lin, linearModel([1, 1], 0, false));
    const rd = await loadDataset({ file: csv, labelColumn: 't', features: ['x0', 'x1'], task: 'regression' });
    const ev = await evaluateModel({ file: lin }, rd, client(), { folds: 3 });
    assert.ok(ev.metrics.mse < 1e-8, String(ev.metrics.mse));
    assert.ok(ev.metrics.r2 > 0.9999);
    assert.deepStrictEqual(Object.keys(ev.cv).sort(), ['mae', 'mse', 'r2', 'rmse']);
  });

  it('toProbabilities: logits get a sigmoid / softmax, probabilities stay', () => {
    const one = toProbabilities(Float32Array.of(0, 2, -2), 3, 1, 2, 'binary');
    assert.match(one.interpretation, /sigmoid/);
    assert.ok(Math.abs(one.probabilities[0][1] - 0.5) < 1e-12 && one.probabilities[1][1] > 0.88);
    const soft = toProbabilities(Float32Array.of(1, 2, 3, 0, 0, 0), 2, 3, 3, 'multiclass');
    assert.match(soft.interpretation, /softmax/);
    assert.ok(Math.abs(soft.probabilities[1][0] - 1 / 3) < 1e-12);
    const probs = toProbabilities(Float32Array.of(0.2, 0.8, 0.5, 0.5), 2, 2, 2, 'binary');
    assert.deepStrictEqual(Array.from(probs.probabilities[0]).map((x) => Math.round(x * 10) / 10), [0.2, 0.8]);
    assert.throws(() => toProbabilities(Float32Array.of(1, 2), 1, 2, 3, 'multiclass'), /one column per class/);
  });

  it('compareModels: good vs bad → B worse, bad vs good → B better, McNemar p < 0.05; gate; cache key', async () => {
    const c = client();
    const g = await evaluateModel({ file: good, label: 'good' }, ds, c, { seed: 3 });
    const b = await evaluateModel({ file: bad, label: 'bad' }, ds, c, { seed: 3 });
    const worse = compareModels([g, b], { seed: 1, bootstrapRounds: 500 });
    assert.strictEqual(worse.pairs[0].verdict, 'B worse');
    assert.ok(worse.pairs[0].mcnemar!.pValue < 0.05);
    assert.strictEqual(worse.pairs[0].metrics[0].metric, 'accuracy');
    assert.strictEqual(worse.pairs[0].metrics[0].verdict, 'B worse');
    assert.ok(worse.pairs[0].metrics[0].ciUpper < 0);
    assert.strictEqual(worse.pairs[0].metrics[1].metric, 'logLoss');
    assert.strictEqual(worse.pairs[0].metrics[1].verdict, 'B worse');
    assert.strictEqual(gate(worse).pass, false);
    const byDelta = gate(worse, { minDelta: 0.01 });
    assert.strictEqual(byDelta.reasons.length, 2);
    assert.match(byDelta.reasons[1], /more than --min-delta 0.01/);
    const better = compareModels([b, g], { seed: 1, bootstrapRounds: 500 });
    assert.strictEqual(better.pairs[0].verdict, 'B better');
    assert.match(better.pairs[0].text, /^better than the baseline on accuracy \(McNemar\) at α = 0.05$/);
    assert.ok(better.pairs[0].mcnemar!.pValue < 0.05);
    assert.strictEqual(gate(better).pass, true);
    const same = compareModels([g, g]);
    assert.strictEqual(same.pairs[0].verdict, 'no significant difference');
    assert.strictEqual(gate(same, { minDelta: 0 }).pass, true);
    assert.throws(() => compareModels([g, b], { metric: 'mse' }), /cannot compare on 'mse'/);
    assert.match(renderComparisonMarkdown(better), /\| metric \| bad \| good \|/);

    const k1 = evaluationKey(g.modelHash, ds.sha256, settingsOf(g, 3));
    assert.match(k1, /^[0-9a-f]{64}$/);
    assert.strictEqual(k1, evaluationKey(g.modelHash, ds.sha256, settingsOf(g, 3)));
    assert.notStrictEqual(k1, evaluationKey(b.modelHash, ds.sha256, settingsOf(g, 3)));
    assert.notStrictEqual(k1, evaluationKey(g.modelHash, ds.sha256, settingsOf(g, 4)));
  });

  it('reads gate rules: metric, operator, baseline offset or absolute threshold, short names', () => {
    assert.deepStrictEqual(parseGateRule('f1 >= baseline - 0.01'), { text: 'f1 >= baseline - 0.01', metric: 'f1Macro', op: '>=', baseline: true, offset: -0.01 });
    assert.deepStrictEqual(parseGateRule(' accuracy>0.9 '), { text: 'accuracy>0.9', metric: 'accuracy', op: '>', baseline: false, offset: 0.9 });
    assert.deepStrictEqual(parseGateRule('loss <= baseline + .02'), { text: 'loss <= baseline + .02', metric: 'logLoss', op: '<=', baseline: true, offset: 0.02 });
    assert.strictEqual(parseGateRule('rocAuc >= baseline').offset, 0);
    for (const bad of ['f1 = 0.9', 'f1 >= baseline * 2', '>= 0.9', 'f1 >= 0.9; rm -rf /']) assert.throws(() => parseGateRule(bad), /cannot read the gate rule/);
  });

  it('modelver compare --gate: 0 when the candidate is better, 1 when significantly worse, 2 on errors', async () => {
    const common = ['--data', csv, '--label', 'y', '--features', 'x0,x1', '--rounds', '300'];
    const up = await cli(['compare', bad, good, ...common, '--gate']);
    assert.strictEqual(up.code, 0, up.err);
    assert.match(up.out, /better than the baseline on accuracy \(McNemar\) at α = 0.05/);
    assert.match(up.out, /gate: pass/);
    const down = await cli(['compare', good, bad, ...common, '--gate']);
    assert.strictEqual(down.code, 1, down.err);
    assert.match(down.out, /gate: FAIL/);
    // the same model twice: no difference, within a zero tolerance
    const same = await cli(['compare', good, good, ...common, '--gate', '--min-delta', '0']);
    assert.strictEqual(same.code, 0, same.err);
    // a rule, as in a CI recipe: the candidate's macro F1 may be at most 0.01 below the baseline's
    const ruleUp = await cli(['compare', bad, good, ...common, '--gate', 'f1 >= baseline - 0.01']);
    assert.strictEqual(ruleUp.code, 0, ruleUp.err);
    const ruleDown = await cli(['compare', good, bad, ...common, '--gate', 'f1 >= baseline - 0.01']);
    assert.strictEqual(ruleDown.code, 1, ruleDown.err);
    assert.match(ruleDown.out, /f1Macro [\d.]+ fails 'f1 >= baseline - 0\.01' \(threshold [\d.]+\)/);
    const absolute = await cli(['compare', bad, good, ...common, '--gate', 'accuracy > 1.5']);
    assert.strictEqual(absolute.code, 1, 'no model reaches accuracy 1.5');
    assert.strictEqual((await cli(['compare', bad, good, ...common, '--gate', 'f1 >= whatever'])).code, 2);
    assert.strictEqual((await cli(['compare', bad, good, ...common, '--gate', 'nosuchmetric > 0'])).code, 2);

    const md = await cli(['compare', good, bad, ...common, '--md']);
    assert.strictEqual(md.code, 0, md.err);
    assert.match(md.out, /^\| metric \| .*good.* \| .*bad.* \|$/m);
    assert.match(md.out, /^\| --- \|/m);
    assert.match(md.out, /candidate worse/);

    const js = await cli(['compare', bad, good, ...common, '--json']);
    assert.strictEqual(js.code, 0, js.err);
    const parsed = JSON.parse(js.out);
    assert.strictEqual(parsed.pairs[0].verdict, 'B better');
    assert.strictEqual(parsed.evaluations.length, 2);
    assert.strictEqual(parsed.evaluations[0].predictions, undefined);

    const missing = await cli(['compare', good, path.join(tmp, 'nope.onnx'), ...common]);
    assert.strictEqual(missing.code, 2);
    const badCol = await cli(['compare', good, bad, '--data', csv, '--label', 'zzz']);
    assert.strictEqual(badCol.code, 2);
    assert.match(badCol.err, /zzz/);
    const usage = await cli(['compare', good]);
    assert.strictEqual(usage.code, 2);
  });

  it('modelver evaluate: table, --json, task inferred; --record writes notes metrics of a committed version', async () => {
    const t = new TempSpace();
    const restoreEnv = t.useProcessEnv();
    try {
      const text = await cli(['evaluate', good, '--data', csv, '--label', 'y', '--features', 'x0,x1']);
      assert.strictEqual(text.code, 0, text.err);
      assert.match(text.out, /binary, 300 rows/);
      assert.match(text.out, /accuracy\s+1\.0000/);

      const dir = t.repo();
      const rel = 'models/m.onnx';
      put(dir, rel, fs.readFileSync(bad));
      assert.strictEqual((await cli(['commit', '-C', dir, rel, '-m', 'bad'])).code, 0);
      put(dir, rel, fs.readFileSync(good));
      assert.strictEqual((await cli(['commit', '-C', dir, rel, '-m', 'good'])).code, 0);

      const noVersion = await cli(['evaluate', '-C', dir, rel, '--data', csv, '--label', 'y', '--record']);
      assert.strictEqual(noVersion.code, 2);
      assert.match(noVersion.err, /--record needs a committed version/);

      const rec = await cli(['evaluate', '-C', dir, `${rel}@v1`, '--data', csv, '--label', 'y', '--features', 'x0,x1', '--record', '--json']);
      assert.strictEqual(rec.code, 0, rec.err);
      const j = JSON.parse(rec.out);
      assert.strictEqual(j.task, 'binary');
      assert.strictEqual(j.recorded.version, 1);

      const repo = await ModelRepository.open(dir);
      const meta = (await repo.getMetadata(path.join(dir, rel), 1)) as { metrics: Record<string, number>; evaluations: Record<string, { metrics: Record<string, number>; dataset: { sha256: string }; cv: object }> };
      assert.ok(meta, 'notes written');
      assert.strictEqual(meta.metrics.accuracy, Number(j.metrics.accuracy.toPrecision(6)));
      assert.ok(meta.metrics.accuracy < 0.8);
      const entry = meta.evaluations[j.recorded.key];
      assert.ok(entry, 'evaluation stored under its key');
      assert.strictEqual(entry.dataset.sha256, ds.sha256);
      assert.ok('accuracy' in entry.cv);
      assert.strictEqual(await repo.getMetadata(path.join(dir, rel), 2), undefined);
      // the tree and details view read metadata.metrics from the versions list
      const v1 = (await repo.versions(path.join(dir, rel))).find((v) => v.version === 1)!;
      assert.ok((v1.metadata as { metrics?: object } | undefined)?.metrics);
    } finally {
      restoreEnv();
      t.cleanup();
    }
  });
});
