/**
 * Compare Models' roles and words: the verdict said once in role words (baseline / candidate) by
 * the core (src/core/metrics/compare.ts) and everything that shows it (CLI text, Markdown, the
 * panel's view model); one baseline rule for the tree and the quick pick (src/extension/evaluate/
 * roles.ts); Swap = the same evaluations with another baseline, recomputed without running a model.
 */
import * as assert from 'assert';
import { compareModels, type ModelEvaluation } from '../../src/core/eval/evaluate';
import { renderComparisonMarkdown, renderComparisonText } from '../../src/core/eval/report';
import { bootstrapVerdict, mcnemarFromCounts, mcnemarVerdict, mulberry32, pairedBootstrapAccuracy, verdictLabel, verdictText } from '../../src/core/metrics';
import { baselineFirst, withBaseline, type VersionAge } from '../../src/extension/evaluate/roles';
import { compareResult, renderExport, toCompareViewModel } from '../../src/extension/evaluate/viewModel';

const PHRASES = [/better/g, /worse/g, /no significant difference/g, /at α =/g];

/** How many times each verdict phrase occurs in `s`. */
const counts = (s: string): number[] => PHRASES.map((p) => (s.match(p) ?? []).length);

/** A binary classifier's evaluation on `y` that is right on the rows where `right(i)`. */
function fakeEvaluation(label: string, y: Int32Array, right: (i: number) => boolean): ModelEvaluation {
  const n = y.length;
  const yPred = Int32Array.from(y, (v, i) => (right(i) ? v : 1 - v));
  const probabilities = Array.from(yPred, (p) => Float64Array.of(p ? 0.2 : 0.8, p ? 0.8 : 0.2));
  const ok = yPred.reduce((s, p, i) => s + (p === y[i] ? 1 : 0), 0);
  return {
    label,
    file: `/models/${label}.onnx`,
    modelHash: label.padEnd(64, '0'),
    task: 'binary',
    provider: 'cpu',
    engine: 'onnxruntime',
    rows: n,
    outputName: 'y',
    interpretation: 'one column = P(class 1)',
    classNames: ['0', '1'],
    metrics: { accuracy: ok / n, logLoss: NaN },
    cv: {},
    cvFolds: 0,
    predictions: { yTrue: y, yPred, probabilities },
    dataset: { file: '/data/data.csv', sha256: 'f'.repeat(64), rows: n, label: 'label', features: ['x0', 'x1'] },
    sessionMs: 0,
    runMs: 0,
    notes: [],
  };
}

describe('compare: the verdict in role words, said once', () => {
  const r = mulberry32(11);
  const y = Int32Array.from({ length: 400 }, () => (r() < 0.5 ? 1 : 0));
  const coin = Array.from({ length: 400 }, () => r());
  const base = fakeEvaluation('m@v1', y, (i) => coin[i] < 0.7);
  const better = fakeEvaluation('m@v2', y, (i) => coin[i] < 0.97);
  const worse = fakeEvaluation('m@v3', y, (i) => coin[i] < 0.4);
  const same = fakeEvaluation('m@v4', y, (i) => coin[i] < 0.7);

  it('verdictText / verdictLabel for every verdict kind', () => {
    // McNemar and the bootstrap word it the same way
    assert.strictEqual(mcnemarVerdict(mcnemarFromCounts(2, 30)).text, 'better than the baseline at α = 0.05');
    assert.strictEqual(mcnemarVerdict(mcnemarFromCounts(30, 2)).text, 'worse than the baseline at α = 0.05');
    assert.strictEqual(mcnemarVerdict(mcnemarFromCounts(5, 6)).text, 'no significant difference from the baseline at α = 0.05');
    const boot = pairedBootstrapAccuracy(y, base.predictions.yPred, better.predictions.yPred, { rounds: 200 });
    assert.strictEqual(bootstrapVerdict(boot).text, 'better than the baseline at α = 0.05');
    assert.strictEqual(bootstrapVerdict(boot, { higherIsBetter: false }).text, 'worse than the baseline at α = 0.05');
    assert.strictEqual(verdictText('B better', 0.05), 'better than the baseline at α = 0.05');
    assert.strictEqual(verdictText('B worse', 0.01), 'worse than the baseline at α = 0.01');
    assert.strictEqual(verdictText('no significant difference', 0.05), 'no significant difference from the baseline at α = 0.05');
    assert.deepStrictEqual((['B better', 'B worse', 'no significant difference'] as const).map(verdictLabel), ['candidate better', 'candidate worse', 'no significant difference']);
  });

  it('CLI text, Markdown and the panel say each pair\'s verdict once, without A/B', () => {
    const rep = compareModels([base, better, worse, same], { seed: 1, bootstrapRounds: 300 });
    assert.deepStrictEqual(rep.pairs.map((p) => p.verdict), ['B better', 'B worse', 'no significant difference']);
    const expected = ['better than the baseline', 'worse than the baseline', 'no significant difference from the baseline'];

    // the panel: "<candidate>: <text>" under "Against the baseline (m@v1)"
    const vm = toCompareViewModel(compareResult(rep, [base, better, worse, same], 'Local', []), 'Compare 4 models');
    vm.pairs.forEach((p, i) => {
      const line = `${p.candidate}: ${p.text}`;
      assert.ok(line.startsWith(`${p.candidate}: ${expected[i]} on accuracy (McNemar) at α = 0.05`), line);
      assert.ok(counts(line).every((c) => c <= 1), `said once: ${line}`);
      assert.doesNotMatch(line, /\bB (better|worse)\b/, line);
      // the whole verdict box (the line, then one line per test): the phrase and α once, each test's
      // outcome in the short role words
      const box = [line, p.mcnemar ?? '', ...p.metrics].join('\n');
      assert.strictEqual(box.match(/at α =/g)?.length, 1, box);
      assert.strictEqual(box.match(/than the baseline|from the baseline/g)?.length, 1, box);
      for (const l of [p.mcnemar, ...p.metrics].filter((x): x is string => !!x)) assert.match(l, /→ (candidate better|candidate worse|no significant difference)$/, l);
    });
    assert.deepStrictEqual(vm.roles, ['baseline', 'candidate', 'candidate', 'candidate']);

    // modelver compare (text): one line per pair
    const text = renderComparisonText(rep);
    const pairLines = text.split('\n').filter((l) => / vs .*\(baseline\)/.test(l));
    assert.strictEqual(pairLines.length, 3, text);
    pairLines.forEach((l, i) => {
      assert.match(l, new RegExp(`: ${expected[i]} on accuracy \\(McNemar\\) at α = 0\\.05$`), l);
      assert.ok(counts(l).every((c) => c <= 1), `said once: ${l}`);
    });
    assert.doesNotMatch(text, /\bB (better|worse)\b/, text);

    // Markdown (a PR comment, the panel's export): role words in the table too
    const md = renderComparisonMarkdown(rep);
    assert.doesNotMatch(md, /\bB (better|worse)\b|B − A/, md);
    assert.match(md, /🟢 candidate better/);
    assert.match(md, /🔴 candidate worse/);
    assert.match(md, /Δ \(candidate − baseline\)/);
    for (const l of md.split('\n').filter((x) => /\(baseline\):/.test(x))) assert.ok(counts(l).every((c) => c <= 1), `said once: ${l}`);
    // the JSON keeps the machine values (CI scripts read them)
    assert.strictEqual(JSON.parse(renderExport(compareResult(rep, [base, better], 'Local', []), 'json')).pairs[0].verdict, 'B better');
  });

  it('Swap: the same evaluations with the other baseline reverse the verdict and the roles, nothing re-run', () => {
    const evals = [base, better];
    const before = toCompareViewModel(compareResult(compareModels(evals, { seed: 1, bootstrapRounds: 300 }), evals, 'Local', []), 't');
    const swapped = withBaseline(evals, 1);
    const after = toCompareViewModel(compareResult(compareModels(swapped, { seed: 1, bootstrapRounds: 300 }), swapped, 'Local', []), 't');
    assert.deepStrictEqual(before.models, ['m@v1', 'm@v2']);
    assert.deepStrictEqual(after.models, ['m@v2', 'm@v1']);
    assert.deepStrictEqual(after.roles, ['baseline', 'candidate']);
    assert.strictEqual(before.pairs[0].verdict, 'B better');
    assert.strictEqual(after.pairs[0].verdict, 'B worse');
    assert.strictEqual(after.pairs[0].candidate, 'm@v1');
    assert.strictEqual(after.pairs[0].baseline, 'm@v2');
    // the metric values are the same numbers, the columns exchanged
    const acc = (vm: typeof before) => vm.metrics.find((m) => m.metric === 'accuracy')!.values;
    assert.deepStrictEqual(acc(after), [...acc(before)].reverse());
    assert.deepStrictEqual(withBaseline(['a', 'b', 'c'], 2), ['c', 'a', 'b']);
    assert.throws(() => withBaseline(['a', 'b'], 2), /no model at position 2/);
  });
});

describe('compare: the label-fit warnings reach the panel and its Markdown export', () => {
  it('a classifier scored on a continuous label: CompareResult.labelWarnings, the view model, the Markdown', () => {
    const y = Float32Array.from({ length: 50 }, (_, i) => 0.5 + i * 1.5);
    const reg = (label: string, p: (i: number) => number): ModelEvaluation => ({
      ...fakeEvaluation(label, new Int32Array(50), () => true),
      task: 'regression',
      classNames: undefined,
      metrics: { rmse: 1 },
      predictions: { yTrue: y, yPred: Float64Array.from(y, (_, i) => p(i)) },
      dataset: { file: '/data/d.csv', sha256: 'e'.repeat(64), rows: 50, label: 'minutes', features: ['x0', 'x1'] },
    });
    const evals = [reg('m@v1', (i) => (i % 10) / 10), reg('m@v2', (i) => ((i + 3) % 10) / 10)];
    const result = compareResult(compareModels(evals, { seed: 1, bootstrapRounds: 50 }), evals, 'Local', []);
    assert.strictEqual(result.labelWarnings.length, 1, result.labelWarnings.join('\n'));
    assert.match(result.labelWarnings[0], /'minutes' is continuous .* every output of m@v1 and m@v2 is in \[0, 1\]/);
    assert.deepStrictEqual(toCompareViewModel(result, 't').labelWarnings, result.labelWarnings);
    assert.match(renderExport(result, 'md'), /^> ⚠️ the label column 'minutes' is continuous/m);
    // the right label: none
    assert.deepStrictEqual(compareResult(compareModels([base(), base()]), [base(), base()], 'Local', []).labelWarnings, []);
  });
  const base = () => fakeEvaluation('m@v1', Int32Array.from({ length: 40 }, (_, i) => i % 2), (i) => i % 3 !== 0);
});

describe('compare: one baseline rule for the tree and the quick pick (the older version)', () => {
  type M = { name: string; age?: VersionAge };
  const v = (model: string, version: number, date: string, repo = '/r'): M => ({ name: `${model}@v${version}`, age: { repo, model, version, date } });
  const names = (ms: M[]) => baselineFirst(ms, (m) => m.age).map((m) => m.name);
  const v1 = v('m.onnx', 1, '2024-01-01T10:00:00Z');
  const v2 = v('m.onnx', 2, '2024-01-02T10:00:00Z');
  const v3 = v('m.onnx', 3, '2024-01-03T10:00:00Z');

  it('the tree (selection order) and the quick pick (newest first) give the same baseline', () => {
    // tree: v2 clicked, then Ctrl+click v1; quick pick: the list is newest first, picks come in list order
    assert.deepStrictEqual(names([v2, v1]), ['m.onnx@v1', 'm.onnx@v2']);
    assert.deepStrictEqual(names([v1, v2]), ['m.onnx@v1', 'm.onnx@v2']);
    assert.deepStrictEqual(names([v3, v2, v1]), ['m.onnx@v1', 'm.onnx@v2', 'm.onnx@v3']);
  });

  it('one model: by version number, whatever the dates say; several models: by commit date', () => {
    const skewed = v('m.onnx', 4, '2020-01-01T00:00:00Z'); // a clock-skewed commit date
    assert.deepStrictEqual(names([skewed, v3]), ['m.onnx@v3', 'm.onnx@v4']);
    const other = v('other.onnx', 7, '2024-01-01T12:00:00Z');
    assert.deepStrictEqual(names([v2, other, v1]), ['m.onnx@v1', 'other.onnx@v7', 'm.onnx@v2']);
  });

  it('plain model files (not versions) come after the versions, in the order given', () => {
    const file = { name: 'work/m.onnx' };
    const file2 = { name: 'other/x.onnx' };
    assert.deepStrictEqual(names([file, v2, file2, v1]), ['m.onnx@v1', 'm.onnx@v2', 'work/m.onnx', 'other/x.onnx']);
    assert.deepStrictEqual(names([file2, file]), ['other/x.onnx', 'work/m.onnx']);
  });
});
