/**
 * Does the label column fit the model's output (src/core/eval/labelFit.ts)? A wrong label column
 * gives plausible numbers silently; these checks warn. The pure cases, then `modelver compare` and
 * `modelver evaluate` saying it, with tiny logistic ONNX models run by the real evaluation host.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { labelFitWarnings, labelFitWarningsOf, type LabelFitInput } from '../../src/core/eval/labelFit';
import { linearModel, rng } from '../support/onnxModels';

function classifier(classNames: string[], task: 'binary' | 'multiclass' = classNames.length === 2 ? 'binary' : 'multiclass'): LabelFitInput {
  const k = classNames.length;
  const yTrue = Int32Array.from({ length: 20 }, (_, i) => i % k);
  return { label: 'm@v1', task, classNames, dataset: { label: 'y' }, predictions: { yTrue, yPred: yTrue.slice() } };
}

function regression(yTrue: number[], yPred: number[]): LabelFitInput {
  return { label: 'm@v1', task: 'regression', dataset: { label: 'minutes' }, predictions: { yTrue: Float32Array.from(yTrue), yPred: Float64Array.from(yPred) } };
}

describe('label fit: the label column against the model\'s output', () => {
  it('a continuous label scored by a classifier (outputs all in [0, 1]) is flagged', () => {
    const w = labelFitWarnings(regression([0.5, 12.25, 80], [0.1, 0.9, 0.55]));
    assert.strictEqual(w.length, 1, w.join('\n'));
    assert.match(w[0], /'minutes' is continuous \(values 0\.5 … 80\)/);
    assert.match(w[0], /every output of m@v1 is in \[0, 1\], like a classifier's probability/);
    // a regressor with outputs outside [0, 1], or a label that is itself a fraction: fine
    assert.deepStrictEqual(labelFitWarnings(regression([0.5, 12.25, 80], [0.4, 11, 79])), []);
    assert.deepStrictEqual(labelFitWarnings(regression([0.05, 0.5, 0.95], [0.1, 0.4, 0.9])), []);
  });

  it('binary labels that are numbers but not 0 and 1 are flagged; 0/1 and words are not', () => {
    const w = labelFitWarnings(classifier(['1', '2']));
    assert.strictEqual(w.length, 1);
    assert.match(w[0], /'y' holds 1 and 2, not 0 and 1: 1 is read as class 0 and 2 as class 1/);
    assert.strictEqual(labelFitWarnings(classifier(['0', '3'])).length, 1);
    assert.deepStrictEqual(labelFitWarnings(classifier(['0', '1'])), []);
    assert.deepStrictEqual(labelFitWarnings(classifier(['no', 'yes'])), []);
  });

  it('multiclass labels outside 0 … K−1 (shifted, or with a gap) are flagged; 0 … K−1 is not', () => {
    const shifted = labelFitWarnings(classifier(['1', '2', '3']));
    assert.strictEqual(shifted.length, 1);
    assert.match(shifted[0], /holds 1, 2, 3, not the class indices 0 … 2 of the model's 3 output columns/);
    assert.match(shifted[0], /1 → column 0, 2 → column 1/);
    assert.strictEqual(labelFitWarnings(classifier(['0', '1', '3'])).length, 1);
    assert.match(labelFitWarnings(classifier(['0', '1', '2', '3', '4', '5', '6', '9']))[0], /holds 0, 1, 2, 3, 4, …, 9,/);
    assert.deepStrictEqual(labelFitWarnings(classifier(['0', '1', '2'])), []);
    assert.deepStrictEqual(labelFitWarnings(classifier(['cat', 'dog', 'eel'])), []);
  });

  it('several models on one label: each warning once, naming the models it concerns', () => {
    const a = classifier(['1', '2']);
    assert.strictEqual(labelFitWarningsOf([a, { ...a, label: 'm@v2' }]).length, 1);
    const r1 = regression([0.5, 12.25, 80], [0.1, 0.9, 0.55]);
    const both = labelFitWarningsOf([r1, { ...r1, label: 'm@v2' }, { ...regression([0.5, 12.25, 80], [3, 11, 70]), label: 'm@v3' }]);
    assert.strictEqual(both.length, 1, both.join('\n'));
    assert.match(both[0], /every output of m@v1 and m@v2 is in \[0, 1\]/);
  });
});

describe('label fit: modelver compare / evaluate say it', function () {
  this.timeout(120_000);
  let tmp: string;
  let csv: string;
  let a: string;
  let b: string;

  const cli = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'label-fit-'));
    const r = rng(5);
    const lines = ['x0,x1,bought,minutes'];
    while (lines.length < 121) {
      const x0 = Math.round(r() * 1e4) / 1e4;
      const x1 = Math.round(r() * 1e4) / 1e4;
      // 'minutes' has fractions up to ~60: a regression label, the wrong column for these classifiers
      lines.push(`${x0},${x1},${x0 + x1 > 1 ? 1 : 0},${(x0 * 60 + 0.25).toFixed(2)}`);
    }
    csv = path.join(tmp, 'data.csv');
    fs.writeFileSync(csv, lines.join('\n') + '\n');
    a = path.join(tmp, 'a.onnx');
    b = path.join(tmp, 'b.onnx');
    fs.writeFileSync(a, linearModel([1, -1], 0, true));
    fs.writeFileSync(b, linearModel([10, 10], -10, true));
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('compare with the wrong label column warns (stderr, --json, --md); with the right one it does not', async () => {
    const wrong = await cli(['compare', a, b, '--data', csv, '--label', 'minutes', '--features', 'x0,x1', '--rounds', '50', '--no-cache']);
    assert.strictEqual(wrong.code, 0, wrong.err);
    assert.match(wrong.err, /warning: the label column 'minutes' is continuous \(values [\d.]+ … [\d.]+\), but every output of \S*a\.onnx and \S*b\.onnx is in \[0, 1\]/);
    assert.strictEqual(wrong.err.match(/every output of/g)?.length, 1, `said once for both models: ${wrong.err}`);
    const js = await cli(['compare', a, b, '--data', csv, '--label', 'minutes', '--features', 'x0,x1', '--rounds', '50', '--no-cache', '--json']);
    assert.strictEqual(js.code, 0, js.err);
    assert.strictEqual(JSON.parse(js.out).warnings.filter((w: string) => /is continuous/.test(w)).length, 1);
    const md = await cli(['compare', a, b, '--data', csv, '--label', 'minutes', '--features', 'x0,x1', '--rounds', '50', '--no-cache', '--md']);
    assert.match(md.out, /^> ⚠️ the label column 'minutes' is continuous/m);

    const right = await cli(['compare', a, b, '--data', csv, '--label', 'bought', '--features', 'x0,x1', '--rounds', '50', '--no-cache', '--json']);
    assert.strictEqual(right.code, 0, right.err);
    assert.deepStrictEqual(JSON.parse(right.out).warnings, []);
    const ev = await cli(['evaluate', b, '--data', csv, '--label', 'minutes', '--features', 'x0,x1', '--no-cache']);
    assert.strictEqual(ev.code, 0, ev.err);
    assert.match(ev.out, /warning: the label column 'minutes' is continuous/);
  });
});
