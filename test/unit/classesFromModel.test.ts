/**
 * Data that lacks some classes (issue #14, point 7): a 10-class model evaluated on a test slice whose
 * labels are only 0–4 is read with the model's 10 classes (labels as column indices), or with the classes
 * named by `--classes`; integer-valued targets given to a one-output model are told to use
 * `--task regression`. The model (written by Debian's python3-onnx) and the reference numbers (numpy's
 * forward pass, accuracy and log-loss over the 10 columns in numpy) come from Python, not from us.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../support/cli';
import { ModelRepository } from '../../src/core/repo';

const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
r = np.random.default_rng(11)
W = r.normal(size=(4, 10)).astype(np.float32); b = r.normal(size=10).astype(np.float32)
g = helper.make_graph([helper.make_node('Gemm', ['x', 'W', 'b'], ['z']), helper.make_node('Softmax', ['z'], ['p'], axis=1)], 'ten',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 4])], [helper.make_tensor_value_info('p', TensorProto.FLOAT, ['batch', 10])],
    [numpy_helper.from_array(W, 'W'), numpy_helper.from_array(b, 'b')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)], ir_version=8), out + '/ten.onnx')
# one output, for the integer-valued target
g1 = helper.make_graph([helper.make_node('Gemm', ['x', 'W1', 'b1'], ['y'])], 'one',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 4])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 1])],
    [numpy_helper.from_array(np.ones((4, 1), np.float32), 'W1'), numpy_helper.from_array(np.zeros(1, np.float32), 'b1')])
onnx.save(helper.make_model(g1, opset_imports=[helper.make_opsetid('', 17)], ir_version=8), out + '/one.onnx')
X = np.round(r.normal(size=(200, 4)), 3).astype(np.float32)
z = X.astype(np.float64) @ W.astype(np.float64) + b
p = np.exp(z - z.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
y = r.integers(0, 5, size=200)          # the slice holds classes 0-4 only
names = ['c%d' % i for i in range(10)]
with open(out + '/slice.csv', 'w') as f:
    f.write('a,b,c,d,y,name,count\n')
    for i in range(200):
        f.write(','.join('%g' % v for v in X[i]) + ',%d,%s,%d\n' % (y[i], names[y[i]], i % 133))
with open(out + '/binary.csv', 'w') as f:
    f.write('a,b,c,d,y\n')
    for i in range(200):
        f.write(','.join('%g' % v for v in X[i]) + ',%d\n' % (y[i] % 2))
json.dump({'accuracy': float(np.mean(p.argmax(axis=1) == y)), 'logLoss': float(-np.mean(np.log(np.clip(p[np.arange(200), y], 1e-15, 1)))),
           'pred': p.argmax(axis=1).tolist()}, sys.stdout)
`;


describe('evaluate: data that lacks some of the model classes (--classes, the model columns)', function () {
  this.timeout(120_000);
  let tmp: string;
  let ref: { accuracy: number; logLoss: number; pred: number[] };
  const data = (f: string) => path.join(tmp, f);
  const common = (f = 'slice.csv') => ['--data', data(f), '--features', 'a,b,c,d', '--folds', '0', '--no-cache'];

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'classes-from-model-'));
    ref = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, tmp], { encoding: 'utf8' })) as typeof ref;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a 10-class model on labels 0–4: the labels are its column indices, metrics as numpy gives them over the 10 columns', async () => {
    for (const task of [['--task', 'multiclass'], []]) {
      const r = await cli(['evaluate', data('ten.onnx'), ...common(), '--label', 'y', ...task, '--json']);
      assert.strictEqual(r.code, 0, r.err);
      const ev = JSON.parse(r.out) as { task: string; classNames: string[]; metrics: Record<string, number>; notes: string[] };
      assert.strictEqual(ev.task, 'multiclass');
      assert.deepStrictEqual(ev.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.ok(Math.abs(ev.metrics.accuracy - ref.accuracy) < 1e-12, `${ev.metrics.accuracy} vs numpy ${ref.accuracy}`);
      assert.ok(Math.abs(ev.metrics.logLoss - ref.logLoss) < 1e-5, `${ev.metrics.logLoss} vs numpy ${ref.logLoss}`);
      assert.ok(ev.notes.some((n) => /5 of the model's 10 classes/.test(n)), ev.notes.join('\n'));
    }
    // the model predicts classes the slice lacks: they count as wrong, not dropped
    assert.ok(ref.pred.some((c) => c >= 5), 'the reference model predicts some class 5–9');
  });

  it('--classes names the model columns: string labels matched by name', async () => {
    const classes = Array.from({ length: 10 }, (_, i) => `c${i}`).join(',');
    const r = await cli(['evaluate', data('ten.onnx'), ...common(), '--label', 'name', '--classes', classes, '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const ev = JSON.parse(r.out) as { classNames: string[]; metrics: Record<string, number> };
    assert.strictEqual(ev.classNames.join(','), classes);
    assert.ok(Math.abs(ev.metrics.accuracy - ref.accuracy) < 1e-12);
    // without --classes the 5 names cannot be matched to 10 columns: the error says what to give
    const bad = await cli(['evaluate', data('ten.onnx'), ...common(), '--label', 'name']);
    assert.strictEqual(bad.code, 1);
    assert.match(bad.err, /gives 10 values per row but the dataset has 5 classes.*--classes a,b,…/s);
  });

  it('a committed version evaluated before with its class names: data that lacks classes is read with them, by name', async () => {
    const repoDir = path.join(tmp, 'repo');
    fs.mkdirSync(repoDir);
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repoDir, encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
    git('lfs', 'install', '--local');
    fs.copyFileSync(data('ten.onnx'), path.join(repoDir, 'ten.onnx'));
    await (await ModelRepository.open(repoDir)).commitModel(path.join(repoDir, 'ten.onnx'), 'ten classes');
    const classes = Array.from({ length: 10 }, (_, i) => `c${i}`).join(',');
    const args = ['evaluate', 'ten.onnx@v1', '-C', repoDir, '--data', data('slice.csv'), '--features', 'a,b,c,d', '--folds', '0', '--no-cache', '--label', 'name'];
    // nothing recorded yet: five names cannot be matched to ten columns
    assert.strictEqual((await cli(args)).code, 1);
    const first = await cli([...args, '--classes', classes, '--record']);
    assert.strictEqual(first.code, 0, first.err);
    const again = await cli([...args, '--json']);
    assert.strictEqual(again.code, 0, again.err);
    const ev = JSON.parse(again.out) as { classNames: string[]; metrics: Record<string, number>; notes: string[] };
    assert.strictEqual(ev.classNames.join(','), classes);
    assert.ok(Math.abs(ev.metrics.accuracy - ref.accuracy) < 1e-12);
    assert.ok(ev.notes.some((n) => /matched by name to the classes recorded with the version's earlier evaluations/.test(n)), ev.notes.join('\n'));
  });

  it('bad --classes: a usage error that says what is wrong', async () => {
    for (const [v, re] of [
      ['a', /two or more classes/],
      ['a,,b', /two or more classes/],
      ['a,b,a', /names 'a' twice/],
    ] as const) {
      const r = await cli(['evaluate', data('ten.onnx'), ...common(), '--label', 'name', '--classes', v]);
      assert.strictEqual(r.code, 2, `${v}: ${r.err}`);
      assert.match(r.err, re);
    }
    const reg = await cli(['evaluate', data('ten.onnx'), ...common(), '--label', 'y', '--task', 'regression', '--classes', '0,1']);
    assert.strictEqual(reg.code, 2);
    assert.match(reg.err, /regression task has no classes/);
  });

  it('a whole-number target read as 133 classes: the error suggests --task regression; binary labels on 10 columns suggest multiclass', async () => {
    const r = await cli(['evaluate', data('one.onnx'), ...common(), '--label', 'count']);
    assert.strictEqual(r.code, 1, r.out);
    assert.match(r.err, /133 classes/);
    assert.match(r.err, /--task regression/);
    const ok = await cli(['evaluate', data('one.onnx'), ...common(), '--label', 'count', '--task', 'regression', '--json']);
    assert.strictEqual(ok.code, 0, ok.err);
    const bin = await cli(['evaluate', data('ten.onnx'), ...common('binary.csv'), '--label', 'y']);
    assert.strictEqual(bin.code, 1);
    assert.match(bin.err, /--task multiclass/);
    const multi = await cli(['evaluate', data('ten.onnx'), ...common('binary.csv'), '--label', 'y', '--task', 'multiclass', '--json']);
    assert.strictEqual(multi.code, 0, multi.err);
    assert.strictEqual((JSON.parse(multi.out) as { classNames: string[] }).classNames.length, 10);
  });

  it('compare: two versions read with the same widened classes compare; McNemar runs on the column indices', async () => {
    fs.copyFileSync(data('ten.onnx'), data('ten-copy.onnx'));
    const r = await cli(['compare', data('ten.onnx'), data('ten-copy.onnx'), ...common(), '--label', 'y', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as { pairs: { mcnemar?: { b: number; c: number } }[] };
    assert.deepStrictEqual([rep.pairs[0].mcnemar?.b, rep.pairs[0].mcnemar?.c], [0, 0]);
  });
});
