/**
 * Metric history (src/core/lineage/metricHistory.ts) from a real git + Git LFS repository: metrics
 * recorded at commit time through `modelver commit --metric/--metrics` (Model-Metrics trailer) and
 * evaluations recorded in the notes on two datasets (plus a third with the same file name but other
 * bytes), tags and aliases on the points, and the CLI's refusals of bad metrics.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { runCli } from '../../src/cli/main';
import { evaluationKey, evaluationNote, type ModelEvaluation } from '../../src/core/eval/evaluate';
import {
  buildMetricHistory,
  formatMetricsTrailer,
  lowerIsBetter,
  mergeMetrics,
  MetricInputError,
  metricHistory,
  parseMetricArg,
  parseMetricList,
  parseMetricsJson,
  parseMetricsTrailer,
  trailerMetrics,
  type MetricSeries,
} from '../../src/core/lineage/metricHistory';
import { ModelRepository } from '../../src/core/repo';
import { historyCsv, toHistoryViewModel } from '../../src/extension/history/viewModel';
import { KERAS_VERSIONS, SILERO, TempSpace, put } from './repoTestUtil';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY: false });
  const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stdout } as never);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** An evaluation as evaluateModel reports it (only what evaluationNote reads). */
function evaluation(dataset: { file: string; sha256: string; label: string }, metrics: Record<string, number>, cv: Record<string, [number, number]> = {}): ModelEvaluation {
  const cvs = Object.fromEntries(Object.entries(cv).map(([k, ci]) => [k, { mean: (ci[0] + ci[1]) / 2, std: (ci[1] - ci[0]) / 4, ci95: ci }]));
  return {
    label: 'm',
    file: '/tmp/m.h5',
    modelHash: 'f'.repeat(64),
    task: 'binary',
    provider: 'cpu',
    rows: 200,
    outputName: 'out',
    interpretation: 'probability of class 1',
    metrics,
    cv: cvs,
    cvFolds: Object.keys(cv).length ? 5 : 0,
    predictions: { yTrue: new Int32Array(0), yPred: new Int32Array(0) },
    dataset: { file: `/data/${dataset.file}`, sha256: dataset.sha256, rows: 200, label: dataset.label, features: ['a', 'b'] },
    sessionMs: 1,
    runMs: 1,
    notes: [],
  } as unknown as ModelEvaluation;
}

const TEST = { file: 'test.csv', sha256: 'a'.repeat(64), label: 'bought' };
const HOLDOUT = { file: 'holdout.csv', sha256: 'b'.repeat(64), label: 'bought' };
/** same file name as TEST, other bytes (a newer export of the test set) */
const TEST_NEW = { file: 'test.csv', sha256: 'c'.repeat(64), label: 'bought' };

const pts = (s: MetricSeries | undefined) => s?.points.map((p) => [p.version, p.value]);

describe('metric history: trailers at commit and recorded evaluations', function () {
  this.timeout(180000);
  let t: TempSpace;
  let dir: string;
  const rel = 'models/my_nn.h5';
  const other = 'models/vad.onnx';
  let restoreEnv: (() => void) | undefined;

  before(async () => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    dir = t.repo();
  });
  after(() => {
    restoreEnv?.();
    t.cleanup();
  });

  it('modelver commit --metric/--metrics records a Model-Metrics trailer', async () => {
    put(dir, rel, KERAS_VERSIONS[0]);
    let r = await cli(['commit', '-C', dir, rel, '-m', 'baseline MLP', '--metric', 'accuracy=0.81', '--metric', 'loss=0.52']);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(t.git(dir, 'log', '-1', '--format=%(trailers:key=Model-Metrics,valueonly)').trim(), 'accuracy=0.81, loss=0.52');

    // another model's metrics never show in this model's history
    put(dir, other, SILERO[0]);
    r = await cli(['commit', '-C', dir, other, '-m', 'vad', '--metric', 'accuracy=0.5']);
    assert.strictEqual(r.code, 0, r.err);

    put(dir, rel, KERAS_VERSIONS[1]);
    const json = path.join(t.dir, 'metrics.json');
    fs.writeFileSync(json, JSON.stringify({ accuracy: 0.85, loss: 0.41, f1_macro: 0.8 }));
    r = await cli(['commit', '-C', dir, rel, '-m', 'more data', '--metrics', json, '--metric', 'accuracy=0.85']);
    assert.strictEqual(r.code, 0, r.err);

    put(dir, rel, KERAS_VERSIONS[2]);
    r = await cli(['commit', '-C', dir, rel, '-m', 'dropout 0.2 (no metrics recorded)']);
    assert.strictEqual(r.code, 0, r.err);

    put(dir, rel, KERAS_VERSIONS[3]);
    r = await cli(['commit', '-C', dir, rel, '-m', 'wider layer', '--metric', 'accuracy=0.9', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(JSON.parse(r.out).trailers['Model-Metrics'], 'accuracy=0.9');
  });

  it('bad metrics are refused with exit 2 and a reason, and nothing is committed', async () => {
    put(dir, rel, KERAS_VERSIONS[4]);
    const before = (await (await ModelRepository.open(dir)).versions(rel)).length;
    const bad = path.join(t.dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ accuracy: '0.9' }));
    const cases: [string[], RegExp][] = [
      [['--metric', 'accuracy=high'], /'high' is not a finite number/],
      [['--metric', 'accuracy=Infinity'], /not a finite number/],
      [['--metric', 'accuracy'], /expected name=value/],
      [['--metric', '1st=0.3'], /'1st' is not a metric name/],
      [['--metric', 'a b=0.3'], /not a metric name/],
      [['--metric', 'accuracy=0.9', '--metric', 'accuracy=0.8'], /'accuracy' is given twice/],
      [['--metrics', bad], /'accuracy' is "0\.9"; every metric must be a finite number/],
      [['--metrics', path.join(t.dir, 'missing.json')], /cannot read it \(ENOENT\)/],
    ];
    for (const [args, want] of cases) {
      const r = await cli(['commit', '-C', dir, rel, '-m', 'x', ...args]);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
      assert.match(r.err, want, args.join(' '));
    }
    assert.strictEqual((await (await ModelRepository.open(dir)).versions(rel)).length, before);
    t.git(dir, 'checkout', '--', rel);
  });

  it('builds one series per metric and source; evaluations grouped by dataset; tags, aliases, CV intervals', async () => {
    const repo = await ModelRepository.open(dir);
    await repo.tag(rel, { version: 2, name: 'my_nn/v2' });
    await repo.setAlias(rel, 'production', 4);
    const rec = async (version: number, ds: typeof TEST, metrics: Record<string, number>, cv: Record<string, [number, number]>, date: string) => {
      const ev = evaluation(ds, metrics, cv);
      const key = evaluationKey(`${version}-${ds.sha256}-${date}`, ds.sha256, { task: 'binary', label: ds.label, features: ['a', 'b'], folds: 5 });
      await repo.addMetadata(rel, version, evaluationNote(ev, key, new Date(date)));
    };
    await rec(1, TEST, { accuracy: 0.8, logLoss: 0.5 }, { accuracy: [0.76, 0.84] }, '2026-01-01T00:00:00Z');
    // v2 on the test set twice: the newer evaluation is the point
    await rec(2, TEST, { accuracy: 0.7, logLoss: 0.6 }, {}, '2026-01-02T00:00:00Z');
    await rec(2, TEST, { accuracy: 0.86, logLoss: 0.4 }, { accuracy: [0.83, 0.89] }, '2026-01-03T00:00:00Z');
    await rec(4, TEST, { accuracy: 0.9, logLoss: 0.3 }, { accuracy: [0.87, 0.93] }, '2026-01-04T00:00:00Z');
    await rec(2, HOLDOUT, { accuracy: 0.75 }, {}, '2026-01-05T00:00:00Z');
    await rec(3, HOLDOUT, { accuracy: 0.78 }, {}, '2026-01-05T00:00:00Z');
    await rec(3, TEST_NEW, { accuracy: 0.88 }, {}, '2026-01-06T00:00:00Z');

    const h = await metricHistory(repo, rel);
    assert.strictEqual(h.model, rel);
    assert.deepStrictEqual(h.versions.map((v) => v.version), [1, 2, 3, 4]);
    assert.deepStrictEqual(h.metrics, ['accuracy', 'logLoss', 'f1_macro', 'loss']);
    const by = (id: string) => h.series.find((s) => s.id === id);
    const ids = h.series.map((s) => `${s.metric} · ${s.sourceLabel}`);
    assert.deepStrictEqual(ids, [
      'accuracy · commit trailer',
      'accuracy · evaluation on holdout.csv',
      'accuracy · evaluation on test.csv (sha256 aaaaaaaa)',
      'accuracy · evaluation on test.csv (sha256 cccccccc)',
      'logLoss · evaluation on test.csv (sha256 aaaaaaaa)',
      'f1_macro · commit trailer',
      'loss · commit trailer',
    ]);
    assert.deepStrictEqual(pts(by('accuracy|commit')), [[1, 0.81], [2, 0.85], [4, 0.9]]);
    assert.deepStrictEqual(pts(by('loss|commit')), [[1, 0.52], [2, 0.41]]);
    assert.deepStrictEqual(pts(by('f1_macro|commit')), [[2, 0.8]]);
    const test = by(`accuracy|eval:${TEST.sha256}:test.csv:bought`)!;
    assert.deepStrictEqual(pts(test), [[1, 0.8], [2, 0.86], [4, 0.9]]);
    assert.deepStrictEqual(test.points.map((p) => p.ci95), [[0.76, 0.84], [0.83, 0.89], [0.87, 0.93]]);
    assert.deepStrictEqual(test.source, { kind: 'evaluation', dataset: { file: 'test.csv', sha256: TEST.sha256, label: 'bought' } });
    assert.strictEqual(test.points[1].evaluatedAt, '2026-01-03T00:00:00.000Z');
    assert.strictEqual(test.points[1].cvFolds, 5);
    assert.strictEqual(test.points[1].rows, 200);
    assert.deepStrictEqual(pts(by(`accuracy|eval:${HOLDOUT.sha256}:holdout.csv:bought`)), [[2, 0.75], [3, 0.78]]);
    assert.deepStrictEqual(pts(by(`accuracy|eval:${TEST_NEW.sha256}:test.csv:bought`)), [[3, 0.88]]);
    assert.strictEqual(by(`accuracy|eval:${HOLDOUT.sha256}:holdout.csv:bought`)!.points[0].ci95, undefined);

    const p2 = by('accuracy|commit')!.points[1];
    assert.strictEqual(p2.subject, 'more data');
    assert.strictEqual(p2.author, 'Test User');
    assert.deepStrictEqual(p2.tags, ['my_nn/v2']);
    assert.deepStrictEqual(by('accuracy|commit')!.points[2].aliases, ['production']);
    assert.match(p2.date, /^\d{4}-\d\d-\d\dT/);
    assert.strictEqual(p2.commit, (await repo.resolveVersion(rel, 2)).commit);
    assert.ok(lowerIsBetter('logLoss') && lowerIsBetter('loss') && lowerIsBetter('val_loss') && lowerIsBetter('rmse'));
    assert.ok(!lowerIsBetter('accuracy') && !lowerIsBetter('f1_macro') && !lowerIsBetter('r2'));

    // the panel's view model: points by version index, and the CSV of its table
    const vm = toHistoryViewModel(h);
    assert.strictEqual(vm.modelName, 'my_nn.h5');
    assert.deepStrictEqual(vm.versions.map((v) => [v.version, v.latest, v.aliases, v.tags]), [
      [1, false, [], []], [2, false, [], ['my_nn/v2']], [3, false, [], []], [4, true, ['production'], []],
    ]);
    const acc = vm.metrics.find((m) => m.name === 'accuracy')!;
    assert.strictEqual(acc.lowerIsBetter, false);
    assert.strictEqual(vm.metrics.find((m) => m.name === 'logLoss')!.lowerIsBetter, true);
    assert.deepStrictEqual(acc.series[0].points.map((p) => [p.x, p.value]), [[0, 0.81], [1, 0.85], [3, 0.9]]);
    assert.deepStrictEqual(acc.series[2].points[1].ci95, [0.83, 0.89]);
    assert.match(vm.commitExample, /^modelver commit models\/my_nn\.h5 -m "what changed" --metric accuracy=0\.93/);
    const csv = historyCsv(vm).trim().split('\n');
    assert.strictEqual(csv.length, 5);
    assert.match(csv[0], /^version,commit,date,author,subject,tags,aliases,accuracy \(commit trailer\),accuracy \(evaluation on holdout\.csv\),/);
    assert.match(csv[0], /accuracy \(evaluation on test\.csv \(sha256 aaaaaaaa\)\) ci95 low/);
    const row2 = csv[2].split(',');
    assert.deepStrictEqual(row2.slice(0, 1).concat(row2.slice(4, 11)), ['v2', 'more data', 'my_nn/v2', '', '0.85', '0.75', '0.86', '0.83']);
    assert.strictEqual(csv[3].split(',')[4], 'dropout 0.2 (no metrics recorded)');
    assert.deepStrictEqual(csv[3].split(',').slice(7, 9), ['', '0.78'], 'v3: no trailer metric, holdout 0.78');

    // the other model has its own history
    const vad = await metricHistory(repo, other);
    assert.deepStrictEqual(vad.series.map((s) => [s.id, pts(s)]), [['accuracy|commit', [[1, 0.5]]]]);
  });

  it('a plain metrics note without recorded evaluations is a "notes" series', async () => {
    const repo = await ModelRepository.open(dir);
    await repo.addMetadata(other, 1, { metrics: { accuracy: 0.51, note: 'text is ignored' } });
    const vad = await metricHistory(repo, other);
    assert.deepStrictEqual(vad.series.map((s) => [s.id, s.sourceLabel, pts(s)]), [
      ['accuracy|commit', 'commit trailer', [[1, 0.5]]],
      ['accuracy|notes', 'notes', [[1, 0.51]]],
    ]);
    // with a recorded evaluation, `metrics` is the copy of the newest one: not a series of its own
    const withEval = await metricHistory(repo, rel);
    assert.ok(!withEval.series.some((s) => s.source.kind === 'notes'));
  });

  it('a model without metrics has versions and no series', async () => {
    const repo = await ModelRepository.open(dir);
    put(dir, 'models/plain.onnx', SILERO[1]);
    await repo.commitModel(path.join(dir, 'models/plain.onnx'), 'no metrics');
    const h = await metricHistory(repo, 'models/plain.onnx');
    assert.strictEqual(h.versions.length, 1);
    assert.deepStrictEqual(h.series, []);
    assert.deepStrictEqual(h.metrics, []);
  });
});

describe('metric history: parsing and formatting', () => {
  it('parses --metric and --metrics, refuses what is not a name or a finite number', () => {
    assert.deepStrictEqual(parseMetricArg('accuracy=0.93'), ['accuracy', 0.93]);
    assert.deepStrictEqual(parseMetricArg(' val_loss = 1.5e-3 '), ['val_loss', 0.0015]);
    assert.throws(() => parseMetricArg('acc=0x'), MetricInputError);
    assert.throws(() => parseMetricArg('acc='), /not a finite number/);
    assert.throws(() => parseMetricArg('acc=NaN'), /not a finite number/);
    assert.throws(() => parseMetricArg('=0.3'), /not a metric name/);
    assert.throws(() => parseMetricArg('a,b=0.3'), /not a metric name/);
    assert.deepStrictEqual(parseMetricsJson('{"metrics": {"accuracy": 0.9}}', 'f'), { accuracy: 0.9 });
    assert.deepStrictEqual(parseMetricsJson('{"accuracy": 0.9, "f1": 1}', 'f'), { accuracy: 0.9, f1: 1 });
    assert.throws(() => parseMetricsJson('[0.9]', 'f.json'), /f\.json must hold a JSON object/);
    assert.throws(() => parseMetricsJson('{"accuracy": 0.9,', 'f.json'), /f\.json is not valid JSON/);
    assert.throws(() => parseMetricsJson('{"accuracy": null}', 'f.json'), /'accuracy' is null/);
    assert.deepStrictEqual(parseMetricList(' accuracy=0.93, f1=0.9;r2=-1 '), { accuracy: 0.93, f1: 0.9, r2: -1 });
    assert.deepStrictEqual(parseMetricList(''), {});
    assert.throws(() => parseMetricList('accuracy=0.9, f1'), /'f1': expected name=value/);
    assert.throws(() => parseMetricList('accuracy=0.9 accuracy=0.8'), /given twice/);
    assert.throws(() => parseMetricList('accuracy=x'), /not a finite number/);
    assert.deepStrictEqual(mergeMetrics({ a: 1 }, [['a', 1], ['b', 2]]), { a: 1, b: 2 });
    assert.throws(() => mergeMetrics({ a: 1 }, [['a', 2]]), /given twice/);
  });

  it('formats and reads the trailer (round trip; Model-Metric lines too)', () => {
    const m = { accuracy: 0.93, f1: 0.9, loss: 1.5e-7 };
    assert.strictEqual(formatMetricsTrailer(m), 'accuracy=0.93, f1=0.9, loss=1.5e-7');
    assert.deepStrictEqual(parseMetricsTrailer(formatMetricsTrailer(m)), m);
    assert.deepStrictEqual(parseMetricsTrailer('accuracy=0.9; bad, f1=x, r2=-0.5'), { accuracy: 0.9, r2: -0.5 });
    assert.throws(() => formatMetricsTrailer({ accuracy: NaN }), /finite/);
    const msg = 'subject\n\nbody\n\nModel-Path: a.onnx\nModel-Metric: accuracy=0.9\nModel-Metric: f1=0.8\nModel-Metrics: r2=0.5\n';
    assert.deepStrictEqual(trailerMetrics(msg), { r2: 0.5, accuracy: 0.9, f1: 0.8 });
    assert.deepStrictEqual(trailerMetrics('subject only'), {});
  });

  it('handles hundreds of versions from one history (every version with a point)', () => {
    const versions = Array.from({ length: 600 }, (_, i) => ({
      model: 'm.onnx', path: 'm.onnx', version: i + 1, commit: i.toString(16).padStart(40, '0'), shortCommit: i.toString(16).padStart(7, '0'),
      parents: [], author: { name: 'A', email: 'a@x' }, date: new Date(Date.UTC(2026, 0, 1) + i * 3600e3).toISOString(), committerDate: '',
      message: `v${i + 1}\n\nModel-Metrics: accuracy=${(i / 1000).toFixed(3)}, loss=${1 - i / 1000}\n`, subject: `v${i + 1}`,
      contentId: '', size: 1, lfs: true, blob: '', change: 'modified' as const, tags: [], aliases: [],
      trailers: { 'Model-Metrics': `accuracy=${(i / 1000).toFixed(3)}, loss=${1 - i / 1000}` },
    }));
    const h = buildMetricHistory({ path: 'm.onnx', paths: ['m.onnx'], deleted: false, versions });
    assert.deepStrictEqual(h.series.map((s) => [s.id, s.points.length]), [['accuracy|commit', 600], ['loss|commit', 600]]);
    assert.strictEqual(h.series[0].points[599].value, 0.599);
  });
});
