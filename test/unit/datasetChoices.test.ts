/**
 * The choices a dataset can need that the loader cannot guess: which arrays of an .npz hold the
 * features and the labels (numpy users save `X_test`, `y_test`), and the shape of one row for a model
 * whose input has free dimensions. The messages named the library's options (`spec.npz.x`,
 * `spec.inputShape`), which neither a CLI nor an extension user can type.
 * - the loader says what to choose in words and tells the faces what kind of choice it is (DatasetError.fix);
 * - `modelver eval` names its flags (--features NAME for the feature array, --label NAME for the label
 *   array, --input-shape), and runs with them; a row shape given is part of the outputs cache key;
 * - the extension's pickers list an archive's arrays with their shapes (read from the headers alone)
 *   and check a typed row shape.
 * NPZ files are written by numpy (/usr/bin/python3).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { npzArrays, parseRowShape } from '../../src/extension/evaluate/datasetColumns';
import { linearModel, pooledModel } from '../support/onnxModels';
import { runCliProcess } from '../support/cliProcess';

const PYTHON = '/usr/bin/python3';

const runCli = runCliProcess;


describe('dataset choices: an NPZ\'s arrays and the shape of one row', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-choices-'));
    // y = x0 + x1 > 1 (the linear model below), saved as numpy users name their test split
    execFileSync(
      PYTHON,
      [
        '-c',
        `import numpy as np, sys
rng = np.random.default_rng(7)
X = rng.random((400, 2)).astype('<f4')
y = (X[:, 0] + X[:, 1] > 1).astype('<i8')
np.savez(sys.argv[1] + '/test.npz', X_test=X, y_test=y)
np.savez_compressed(sys.argv[1] + '/images.npz', images=np.zeros((50, 28, 28), dtype='<f4'), labels_onehot=np.eye(10)[np.arange(50) % 10])`,
        dir,
      ],
      { encoding: 'utf8' },
    );
    fs.writeFileSync(path.join(dir, 'model.onnx'), linearModel([10, 10], -10));
    fs.writeFileSync(path.join(dir, 'pooled.onnx'), pooledModel(1, -2));
    // four features a row; the pooled model's label: sum(x) > 2
    const rows = ['a,b,c,d,y'];
    for (let i = 0; i < 200; i++) {
      const v = [0, 1, 2, 3].map((k) => ((i * (37 + 11 * k)) % 100) / 100);
      rows.push(`${v.join(',')},${v.reduce((s, x) => s + x, 0) > 2 ? 1 : 0}`);
    }
    fs.writeFileSync(path.join(dir, 'four.csv'), rows.join('\n') + '\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('modelver eval on an NPZ of X_test and y_test: says which flag names the feature array, then evaluates with --features X_test --label y_test', async () => {
    const bad = await runCli(['eval', 'model.onnx', '--data', 'test.npz', '--label', 'y_test', '--no-cache'], dir);
    assert.strictEqual(bad.code, 1, bad.err);
    assert.match(bad.err, /test\.npz has no feature array named x, X, features or arr_0; it holds 'X_test', 'y_test': name the array that holds the features \(--features NAME names the feature array\)/);
    assert.doesNotMatch(bad.err, /spec\./);
    const ok = await runCli(['eval', 'model.onnx', '--data', 'test.npz', '--features', 'X_test', '--label', 'y_test', '--no-cache', '--json'], dir);
    assert.strictEqual(ok.code, 0, ok.err);
    const rep = JSON.parse(ok.out) as { rows: number; metrics: { accuracy: number } };
    assert.strictEqual(rep.rows, 400);
    assert.ok(rep.metrics.accuracy > 0.95, String(rep.metrics.accuracy));
    const swapped = await runCli(['eval', 'model.onnx', '--data', 'test.npz', '--features', 'y_test', '--label', 'X_test', '--no-cache'], dir);
    assert.strictEqual(swapped.code, 1, swapped.err);
    assert.match(swapped.err, /each row of the feature array 'y_test' of test\.npz has 1 feature\. .* \(--features NAME names the feature array, --features 0,1,… its columns\)/);
    const typo = await runCli(['eval', 'model.onnx', '--data', 'test.npz', '--features', 'Xtest', '--label', 'y_test', '--no-cache'], dir);
    assert.strictEqual(typo.code, 1, typo.err);
    assert.match(typo.err, /test\.npz has no array 'Xtest'; it holds 'X_test', 'y_test': name the array that holds the features \(--features NAME/);
    const noY = await runCli(['eval', 'model.onnx', '--data', 'test.npz', '--features', 'X_test', '--label', 'labels', '--no-cache'], dir);
    assert.strictEqual(noY.code, 1, noY.err);
    assert.match(noY.err, /test\.npz has no array 'labels' to take as the labels; it holds 'X_test', 'y_test': name the array that holds the labels, or the index of a label column inside 'X_test', -1 for the last \(--label NAME names the label array, or a column of the feature array\)/);
  });

  it('a model with free input dimensions on a table: the error names --input-shape; with it the rows run; a wrong one is refused', async () => {
    const bad = await runCli(['eval', 'pooled.onnx', '--data', 'four.csv', '--label', 'y', '--no-cache'], dir);
    assert.strictEqual(bad.code, 1, bad.err);
    assert.match(bad.err, /takes float32\[batch,h,w\] but each row of four\.csv has 4 features\. Choose the feature columns the model takes and give the input shape, how one row maps onto \[h,w\]/);
    assert.match(bad.err, /--input-shape a,b,… gives the shape of one row\)/);
    assert.doesNotMatch(bad.err, /spec\./);
    const ok = await runCli(['eval', 'pooled.onnx', '--data', 'four.csv', '--label', 'y', '--input-shape', '2,2', '--no-cache', '--json'], dir);
    assert.strictEqual(ok.code, 0, ok.err);
    const rep = JSON.parse(ok.out) as { rows: number; metrics: { accuracy: number } };
    assert.strictEqual(rep.rows, 200);
    assert.ok(rep.metrics.accuracy > 0.95, String(rep.metrics.accuracy));
    // one dimension too many: the model's first dimension is its batch, not part of a row (it was fed one row as a batch of 2)
    const extra = await runCli(['eval', 'pooled.onnx', '--data', 'four.csv', '--label', 'y', '--input-shape', '2,2,1', '--no-cache'], dir);
    assert.strictEqual(extra.code, 1, extra.out);
    assert.match(extra.err, /takes float32\[batch,h,w\] but each row of four\.csv has 4 features shaped \[2,2,1\] by the input shape given\. .*how one row maps onto \[h,w\]/);
    const wrong = await runCli(['eval', 'pooled.onnx', '--data', 'four.csv', '--label', 'y', '--input-shape', '3x1', '--no-cache'], dir);
    assert.strictEqual(wrong.code, 1, wrong.err);
    assert.match(wrong.err, /the input shape \[3,1\] holds 3 values but each row of four\.csv has 4 features/);
    const usage = await runCli(['eval', 'pooled.onnx', '--data', 'four.csv', '--label', 'y', '--input-shape', '2,two'], dir);
    assert.strictEqual(usage.code, 2, usage.err);
    assert.match(usage.err, /--input-shape must list positive whole numbers separated by commas \(e\.g\. --input-shape 28,28,1\), not '2,two'/);
  });

  it('a row shape given is part of the outputs cache key: the same shape reuses the outputs, another runs the model', async () => {
    const cache = path.join(dir, 'cache');
    const run = (shape: string) => runCli(['eval', 'pooled.onnx', '--data', 'four.csv', '--label', 'y', '--input-shape', shape, '--cache-dir', cache], dir);
    const first = await run('2,2');
    assert.strictEqual(first.code, 0, first.err);
    assert.doesNotMatch(first.err, /reused cached outputs/);
    const again = await run('2,2');
    assert.match(again.err, /reused cached outputs/);
    const other = await run('4,1');
    assert.strictEqual(other.code, 0, other.err);
    assert.doesNotMatch(other.err, /reused cached outputs/, 'another row shape feeds the model other tensors');
  });

  it("the extension's pickers: an archive's arrays with their shapes (stored and deflated), and a typed row shape checked", async () => {
    assert.deepStrictEqual(await npzArrays('test.npz', dir), [{ name: 'X_test', shape: [400, 2] }, { name: 'y_test', shape: [400] }]);
    assert.deepStrictEqual(await npzArrays(path.join(dir, 'images.npz')), [{ name: 'images', shape: [50, 28, 28] }, { name: 'labels_onehot', shape: [50, 10] }]);
    assert.deepStrictEqual(parseRowShape('28,28,1'), [28, 28, 1]);
    assert.deepStrictEqual(parseRowShape(' 2 x 2 ', 4), [2, 2]);
    assert.strictEqual(parseRowShape('3,1', 4), '[3,1] holds 3 values; each row has 4 features');
    assert.match(parseRowShape('2,0') as string, /positive whole numbers/);
    assert.match(parseRowShape('') as string, /positive whole numbers/);
    assert.match(parseRowShape('2,,2') as string, /positive whole numbers/, 'an empty dimension is not skipped');
    assert.deepStrictEqual(parseRowShape('28 28 1'), [28, 28, 1]);
  });
});
