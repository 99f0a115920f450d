/**
 * The evaluation outputs cache (src/core/eval/cache.ts) through evaluateModel and `modelver compare`
 * with a real evaluation host (out/src/evalHost/main.js), the ROC series for the charts
 * (src/core/eval/roc.ts), and the comparison panel's view model (charts, ROC, cache note).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { EvalCache } from '../../src/core/eval/cache';
import { EvalClient } from '../../src/core/eval/client';
import { loadDataset, type Dataset } from '../../src/core/eval/dataset';
import { compareModels, evaluateModel, evaluationKey, evaluationNote, outputsKey, plannedEvaluationKey, settingsOf, type ModelEvaluation } from '../../src/core/eval/evaluate';
import { downsampleCurve, rocSeries } from '../../src/core/eval/roc';
import { rocAuc, rocCurve, scoreColumn, trapezoidArea } from '../../src/core/metrics';
import { compareResult, toCompareViewModel } from '../../src/extension/evaluate/viewModel';
import type { EvaluateResult } from '../../src/shared/evalProtocol';
import { linearModel, rng } from '../support/onnxModels';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');

/** An EvalClient on the real host whose evaluate calls are counted. */
function countingClient(cacheDir: string): { client: EvalClient; calls: { evaluate: number } } {
  const client = EvalClient.local(HOST, { args: ['--cache-dir', cacheDir] });
  const calls = { evaluate: 0 };
  const real = client.evaluate.bind(client);
  client.evaluate = (...a: Parameters<EvalClient['evaluate']>) => {
    calls.evaluate++;
    return real(...a);
  };
  return { client, calls };
}

function fakeResult(values: number[]): EvaluateResult {
  return {
    outputs: [{ name: 'y', dims: [values.length, 1], type: 'float32', base64: Buffer.from(Float32Array.from(values).buffer).toString('base64') }],
    rows: values.length,
    batches: 1,
    provider: 'cpu',
    skipped: [],
    sessionMs: 5,
    runMs: 7,
  };
}

const KEY = (c: string) => c.repeat(64);
const floats = (b64: string): number[] => Array.from(new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer));

describe('evaluation outputs cache', function () {
  this.timeout(120_000);
  let tmp: string;
  let csv: string;
  let good: string;
  let bad: string;
  let ds: Dataset;
  const clients: EvalClient[] = [];

  before(async () => {
    assert.ok(fs.existsSync(HOST), `compiled host missing: ${HOST} (run npm run compile-tests)`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-cache-test-'));
    const r = rng(11);
    const lines = ['x0,x1,y'];
    while (lines.length < 241) {
      const x0 = Math.round(r() * 1e4) / 1e4;
      const x1 = Math.round(r() * 1e4) / 1e4;
      if (Math.abs(x0 + x1 - 1) < 0.01 || Math.abs(x0 - x1) < 0.01) continue;
      lines.push(`${x0},${x1},${x0 + x1 > 1 ? 1 : 0}`);
    }
    csv = path.join(tmp, 'data.csv');
    fs.writeFileSync(csv, lines.join('\n') + '\n');
    good = path.join(tmp, 'good.onnx');
    bad = path.join(tmp, 'bad.onnx');
    fs.writeFileSync(good, linearModel([10, 10], -10));
    fs.writeFileSync(bad, linearModel([1, -1], 0));
    ds = await loadDataset({ file: csv, labelColumn: 'y', features: ['x0', 'x1'], task: 'binary' });
  });

  after(() => {
    for (const c of clients) c.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('EvalCache', () => {
    it('round-trips the outputs, verified; a missing key is a miss', () => {
      const cache = new EvalCache(path.join(tmp, 'c1'));
      assert.strictEqual(cache.get(KEY('a')), undefined);
      cache.put(KEY('a'), 'f'.repeat(64), fakeResult([0.25, 0.5, 1.5]), new Date('2026-01-02T03:04:05Z'));
      const e = cache.get(KEY('a'))!;
      assert.ok(e, 'a hit');
      assert.strictEqual(e.modelHash, 'f'.repeat(64));
      assert.strictEqual(e.created, '2026-01-02T03:04:05.000Z');
      assert.deepStrictEqual(floats(e.result.outputs[0].base64!), [0.25, 0.5, 1.5]);
      assert.deepStrictEqual(cache.stats, { hits: 1, misses: 1, writes: 1, corrupt: 0, evicted: 0 });
      // no temporary files left behind
      assert.deepStrictEqual(fs.readdirSync(cache.dir), [`${KEY('a')}.evc`]);
      assert.throws(() => cache.get('../../etc/passwd'), /not an evaluation key/);
    });

    it('binary outputs (Float32Array) are stored as base64 and read back the same', () => {
      const cache = new EvalCache(path.join(tmp, 'c2'));
      const r = fakeResult([]);
      r.outputs = [{ name: 'y', dims: [2, 1], type: 'float32', data: Float32Array.of(0.125, -3) }];
      cache.put(KEY('b'), 'e'.repeat(64), r);
      const o = cache.get(KEY('b'))!.result.outputs[0];
      assert.strictEqual(o.data, undefined);
      assert.deepStrictEqual(floats(o.base64!), [0.125, -3]);
    });

    for (const [what, damage] of [
      ['a flipped payload byte', (b: Buffer) => { b[b.length - 5] ^= 0x20; return b; }],
      ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 10)],
      ['a garbled header', (b: Buffer) => Buffer.concat([Buffer.from('x'), b])],
      ['an empty file', () => Buffer.alloc(0)],
    ] as const) {
      it(`ignores and removes a corrupted file (${what})`, () => {
        const cache = new EvalCache(path.join(tmp, 'c3'));
        cache.put(KEY('c'), 'd'.repeat(64), fakeResult([1, 2]));
        const file = cache.fileOf(KEY('c'));
        fs.writeFileSync(file, damage(fs.readFileSync(file)));
        assert.strictEqual(cache.get(KEY('c')), undefined);
        assert.strictEqual(cache.stats.corrupt, 1);
        assert.ok(!fs.existsSync(file), 'the bad file is removed');
      });
    }

    it('a file stored under another key is not returned for this one', () => {
      const cache = new EvalCache(path.join(tmp, 'c4'));
      cache.put(KEY('1'), 'd'.repeat(64), fakeResult([1]));
      fs.copyFileSync(cache.fileOf(KEY('1')), cache.fileOf(KEY('2')));
      assert.strictEqual(cache.get(KEY('2')), undefined);
      assert.ok(cache.get(KEY('1')));
    });

    it('stays under maxBytes, evicting the least recently used (a hit counts as a use)', () => {
      const one = fs.statSync((() => {
        const c = new EvalCache(path.join(tmp, 'size'));
        c.put(KEY('0'), 'd'.repeat(64), fakeResult(new Array(100).fill(0.5)));
        return c.fileOf(KEY('0'));
      })()).size;
      const cache = new EvalCache(path.join(tmp, 'c5'), { maxBytes: one * 3 + 10 });
      const old = new Date(Date.now() - 60_000);
      for (const k of ['1', '2', '3']) {
        cache.put(KEY(k), 'd'.repeat(64), fakeResult(new Array(100).fill(0.5)));
        fs.utimesSync(cache.fileOf(KEY(k)), old, new Date(old.getTime() + Number(k) * 1000));
      }
      assert.ok(cache.get(KEY('1')), 'use the oldest: now the most recent');
      cache.put(KEY('4'), 'd'.repeat(64), fakeResult(new Array(100).fill(0.5)));
      const left = fs.readdirSync(cache.dir).map((f) => f[0]).sort();
      assert.deepStrictEqual(left, ['1', '3', '4'], 'the least recently used (2) went');
      assert.strictEqual(cache.stats.evicted, 1);
    });
  });

  describe('evaluateModel with a cache', () => {
    let first: ModelEvaluation;
    let cache: EvalCache;

    it('the first run asks the host and stores its outputs', async () => {
      cache = new EvalCache(path.join(tmp, 'eval-cache'));
      const { client, calls } = countingClient(path.join(tmp, 'host-cache'));
      clients.push(client);
      first = await evaluateModel({ file: good, label: 'good' }, ds, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 1);
      assert.strictEqual(first.cache?.hit, false);
      assert.strictEqual(cache.stats.writes, 1);
      assert.strictEqual(first.metrics.accuracy, 1);
      assert.strictEqual(first.cache.key, outputsKey(first.modelHash, ds.sha256, { ...settingsOf(first, 1) }));
    });

    it('the second run on the same bytes, data and settings does not ask the host, and gives the same results', async () => {
      let opened = 0;
      const { client, calls } = countingClient(path.join(tmp, 'host-cache'));
      clients.push(client);
      const again = await evaluateModel({ file: good, label: 'good' }, ds, async () => (opened++, client), { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 0, 'the host was not asked');
      assert.strictEqual(opened, 0, 'the host was not even opened');
      assert.strictEqual(again.cache?.hit, true);
      assert.ok(again.notes.some((n) => /reused cached outputs/.test(n)), again.notes.join('; '));
      assert.deepStrictEqual(again.metrics, first.metrics);
      assert.deepStrictEqual(again.cv, first.cv);
      assert.deepStrictEqual(again.confusion, first.confusion);
      assert.deepStrictEqual(Array.from(again.predictions.yPred), Array.from(first.predictions.yPred));
      assert.strictEqual(again.modelHash, first.modelHash);
      // another fold count or seed reuses the same outputs (they only change what is computed from them)
      const folds3 = await evaluateModel({ file: good }, ds, client, { folds: 3, seed: 9, cache });
      assert.strictEqual(calls.evaluate, 0);
      assert.strictEqual(folds3.cvFolds, 3);
      // and the notes key (evaluationKey) still tells the settings apart
      assert.notStrictEqual(evaluationKey(folds3.modelHash, ds.sha256, settingsOf(folds3, 9)), evaluationKey(first.modelHash, ds.sha256, settingsOf(first, 1)));
      // McNemar and the bootstrap from cached outputs equal those from fresh ones
      const badFresh = await evaluateModel({ file: bad, label: 'bad' }, ds, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 1);
      const badCached = await evaluateModel({ file: bad, label: 'bad' }, ds, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 1);
      const a = compareModels([badFresh, first], { seed: 3, bootstrapRounds: 200 });
      const b = compareModels([badCached, again], { seed: 3, bootstrapRounds: 200 });
      assert.deepStrictEqual(b.pairs, a.pairs);
    });

    it('changed bytes or settings miss the cache', async () => {
      const { client, calls } = countingClient(path.join(tmp, 'host-cache'));
      clients.push(client);
      // other bytes: the same weights, another producer string
      const other = path.join(tmp, 'good-reexport.onnx');
      fs.writeFileSync(other, linearModel([10, 10], -10, true, 'another exporter'));
      const ev = await evaluateModel({ file: other }, ds, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 1);
      assert.strictEqual(ev.cache?.hit, false);
      // other settings: the features in another order (the model sees other inputs)
      const swapped = await loadDataset({ file: csv, labelColumn: 'y', features: ['x1', 'x0'], task: 'binary' });
      const ev2 = await evaluateModel({ file: good }, swapped, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 2);
      assert.strictEqual(ev2.cache?.hit, false);
      // other data bytes
      fs.writeFileSync(path.join(tmp, 'data2.csv'), fs.readFileSync(csv, 'utf8') + '0.9,0.9,1\n');
      const more = await loadDataset({ file: path.join(tmp, 'data2.csv'), labelColumn: 'y', features: ['x0', 'x1'], task: 'binary' });
      const ev3 = await evaluateModel({ file: good }, more, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 3);
      assert.strictEqual(ev3.rows, 241);
    });

    it('a corrupted cache file is ignored (the host runs) and rewritten', async () => {
      const file = cache.fileOf(first.cache!.key);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 20] ^= 0x01;
      fs.writeFileSync(file, bytes);
      const { client, calls } = countingClient(path.join(tmp, 'host-cache'));
      clients.push(client);
      const ev = await evaluateModel({ file: good, label: 'good' }, ds, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 1, 'the host ran');
      assert.strictEqual(ev.cache?.hit, false);
      assert.deepStrictEqual(ev.metrics, first.metrics);
      assert.ok(cache.get(first.cache!.key), 'rewritten and valid again');
      const hit = await evaluateModel({ file: good }, ds, client, { folds: 5, seed: 1, cache });
      assert.strictEqual(calls.evaluate, 1);
      assert.strictEqual(hit.cache?.hit, true);
    });

    it('plannedEvaluationKey is the key recordEvaluation will record under', async () => {
      assert.strictEqual(await plannedEvaluationKey(good, ds, { folds: 5, seed: 1 }), evaluationKey(first.modelHash, ds.sha256, settingsOf(first, 1)));
      assert.notStrictEqual(await plannedEvaluationKey(good, ds, { folds: 3, seed: 1 }), evaluationKey(first.modelHash, ds.sha256, settingsOf(first, 1)));
    });

    it('a row shape given is part of the planned and the recorded key alike, and of the notes (another shape feeds other tensors)', async () => {
      const shaped = await loadDataset({ file: csv, labelColumn: 'y', features: ['x0', 'x1'], task: 'binary', inputShape: [1, 2] });
      const { client } = countingClient(path.join(tmp, 'host-shaped'));
      clients.push(client);
      const ev = await evaluateModel({ file: good, label: 'good' }, shaped, client, { folds: 5, seed: 1 });
      assert.deepStrictEqual(ev.dataset.rowShape, [1, 2]);
      assert.deepStrictEqual(ev.metrics, first.metrics, 'the same values, fed as [batch,1,2] → [batch,2]');
      const recorded = evaluationKey(ev.modelHash, shaped.sha256, settingsOf(ev, 1));
      assert.strictEqual(await plannedEvaluationKey(good, shaped, { folds: 5, seed: 1 }), recorded);
      assert.notStrictEqual(recorded, evaluationKey(first.modelHash, ds.sha256, settingsOf(first, 1)), 'the rows as they are: another key');
      assert.strictEqual(first.dataset.rowShape, undefined);
      const note = evaluationNote(ev, recorded) as { evaluations: Record<string, { dataset: { rowShape?: number[] } }> };
      assert.deepStrictEqual(note.evaluations[recorded].dataset.rowShape, [1, 2]);
    });
  });

  describe('modelver compare / eval with a cache', () => {
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };

    it('the second compare reuses the cached outputs and says so; --no-cache runs again', async () => {
      const dir = path.join(tmp, 'cli-cache');
      const args = ['compare', bad, good, '--data', csv, '--label', 'y', '--features', 'x0,x1', '--seed', '1', '--cache-dir', dir];
      const a = await cli(args);
      assert.strictEqual(a.code, 0, a.err);
      assert.doesNotMatch(a.err, /reused cached outputs/);
      assert.strictEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.evc')).length, 2);
      const b = await cli(args);
      assert.strictEqual(b.code, 0, b.err);
      assert.strictEqual((b.err.match(/reused cached outputs/g) ?? []).length, 2, b.err);
      assert.strictEqual(b.out, a.out, 'the same report');
      const c = await cli([...args.slice(0, -2), '--no-cache']);
      assert.doesNotMatch(c.err, /reused cached outputs/);
      assert.strictEqual(c.out, a.out);
      const j = await cli(['eval', good, '--data', csv, '--label', 'y', '--cache-dir', dir, '--seed', '1', '--features', 'x0,x1', '--json']);
      assert.strictEqual(j.code, 0, j.err);
      assert.strictEqual(JSON.parse(j.out).cache.hit, true);
      const u = await cli(['eval', good, '--data', csv, '--label', 'y', '--cache-dir', dir, '--no-cache']);
      assert.strictEqual(u.code, 2);
      assert.match(u.err, /--no-cache and --cache-dir cannot be used together/);
    });
  });

  describe('ROC series and the panel view model', () => {
    it('downsampleCurve keeps ≤ max points, both ends, and the order; short curves stay as they are', () => {
      const r = rng(5);
      const x = [0];
      const y = [0];
      for (let i = 1; i < 999; i++) {
        x.push(Math.min(1, x[i - 1] + r() * 0.002));
        y.push(Math.min(1, y[i - 1] + r() * 0.002));
      }
      x.push(1);
      y.push(1);
      const d = downsampleCurve(x, y, 200);
      assert.ok(d.x.length <= 200 && d.x.length > 150, String(d.x.length));
      assert.deepStrictEqual([d.x[0], d.y[0], d.x.at(-1), d.y.at(-1)], [0, 0, 1, 1]);
      for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] >= d.x[i - 1] && d.y[i] >= d.y[i - 1]);
      assert.ok(Math.abs(trapezoidArea(d.x, d.y) - trapezoidArea(x, y)) < 0.01);
      assert.deepStrictEqual(downsampleCurve([0, 0.5, 1], [0, 1, 1], 200), { x: [0, 0.5, 1], y: [0, 1, 1] });
    });

    it('rocSeries: binary one curve with the exact AUC; 3 classes one-vs-rest; ≤ 200 points', () => {
      const r = rng(3);
      const n = 3000;
      const yTrue = new Int32Array(n);
      const probs: Float64Array[] = [];
      for (let i = 0; i < n; i++) {
        yTrue[i] = r() < 0.4 ? 1 : 0;
        const p = Math.min(1, Math.max(0, 0.5 + (yTrue[i] ? 0.15 : -0.15) + (r() - 0.5) * 0.8));
        probs.push(Float64Array.of(1 - p, p));
      }
      const [s] = rocSeries(yTrue, probs, ['no', 'yes']);
      assert.strictEqual(s.classIndex, 1);
      assert.strictEqual(s.auc, rocAuc(yTrue, probs).auc);
      const full = rocCurve(yTrue, scoreColumn(probs, 1));
      assert.ok(full.fpr.length > 200, `the full curve has ${full.fpr.length} points`);
      assert.ok(s.fpr.length <= 200);
      assert.ok(Math.abs(trapezoidArea(s.fpr, s.tpr) - s.auc) < 0.005, `${trapezoidArea(s.fpr, s.tpr)} vs ${s.auc}`);

      const y3 = Int32Array.from({ length: 300 }, (_, i) => i % 3);
      const p3 = Array.from(y3, (c) => {
        const row = Float64Array.from([r(), r(), r()]);
        row[c] += 0.8;
        const t = row[0] + row[1] + row[2];
        return row.map((v) => v / t);
      });
      const m = rocSeries(y3, p3, ['a', 'b', 'c']);
      assert.deepStrictEqual(m.map((c) => c.className), ['a', 'b', 'c']);
      const auc = rocAuc(y3, p3, 3);
      assert.deepStrictEqual(m.map((c) => c.auc), auc.perClass);
    });

    it('toCompareViewModel: metric chart with CV whiskers and the best, ROC curves with AUC, the cache note', async () => {
      const cache = new EvalCache(path.join(tmp, 'vm-cache'));
      const { client } = countingClient(path.join(tmp, 'host-cache'));
      clients.push(client);
      const a = await evaluateModel({ file: bad, label: 'bad' }, ds, client, { folds: 5, seed: 1, cache });
      const b = await evaluateModel({ file: good, label: 'good' }, ds, client, { folds: 5, seed: 1, cache });
      const vm = toCompareViewModel(compareResult(compareModels([a, b], { seed: 1 }), [a, b], 'Local', []), 'Compare 2 models');
      assert.deepStrictEqual(vm.notes, []);
      const chart = vm.chart!;
      assert.deepStrictEqual(chart.metrics, ['accuracy', 'precisionMacro', 'recallMacro', 'f1Macro', 'rocAuc']);
      assert.strictEqual(chart.fraction, true);
      assert.deepStrictEqual(chart.best[0], [1], 'good has the best accuracy');
      assert.strictEqual(chart.series[1].values[0], 1);
      assert.deepStrictEqual([chart.series[0].lo[0], chart.series[0].hi[0]], a.cv.accuracy.ci95);
      const roc = vm.roc!;
      assert.strictEqual(roc.binary, true);
      assert.deepStrictEqual(roc.curves.map((c) => [c.model, c.auc]), [['bad', a.metrics.rocAuc], ['good', b.metrics.rocAuc]]);
      for (const c of roc.curves) assert.ok(c.fpr.length <= 200 && c.fpr[0] === 0 && c.tpr.at(-1) === 1);
      // again: both from the cache, and the panel says so
      const a2 = await evaluateModel({ file: bad, label: 'bad' }, ds, client, { folds: 5, seed: 1, cache });
      const b2 = await evaluateModel({ file: good, label: 'good' }, ds, client, { folds: 5, seed: 1, cache });
      const vm2 = toCompareViewModel(compareResult(compareModels([a2, b2], { seed: 1 }), [a2, b2], 'Local', []), 'Compare 2 models');
      assert.match(vm2.notes.join(' '), /Reused cached outputs of bad, good/);
      assert.deepStrictEqual(vm2.roc, vm.roc);
      assert.deepStrictEqual(vm2.chart, vm.chart);
    });
  });
});
