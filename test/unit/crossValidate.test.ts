/**
 * `modelver cv` (issue #14, points 1, 2 and 8): real k-fold cross-validation through a training command.
 * The command is a real trainer in Python (test/support/cv_train.py: numpy logistic regression written as
 * ONNX by python3-onnx) that logs, per run, its model's accuracy on the validation file computed in numpy
 * and the groups it saw: our per-fold metrics (onnxruntime through the evaluation host) are checked against
 * those, the folds against their definitions, command splitting against Python's shlex, and the 5×2cv F
 * statistic and p against the published formula in numpy and scipy.stats.f.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../support/cli';
import { assignFolds, fiveByTwoF, splitCommand } from '../../src/core/eval/crossValidate';
import { mulberry32 } from '../../src/core/metrics/rng';
import { ModelRepository } from '../../src/core/repo';

const PYTHON = '/usr/bin/python3';
const TRAINER = path.join(__dirname, '..', '..', '..', 'test', 'support', 'cv_train.py');


interface Logged {
  accuracy: number;
  train_rows: number;
  valid_rows: number;
  train_groups: string[];
  valid_groups: string[];
  valid_ones: number;
  l2: number;
}

const readLog = (f: string): Logged[] => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Logged) : []);

describe('modelver cv: k-fold cross-validation through a training command', function () {
  this.timeout(300_000);
  let tmp: string;
  let data: string;
  const n = 240;

  before(() => {
    assert.ok(fs.existsSync(TRAINER), TRAINER);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-test-'));
    const r = mulberry32(17);
    const lines = ['x0,x1,y,g'];
    for (let i = 0; i < n; i++) {
      const x0 = Math.round(r() * 1000) / 1000;
      const x1 = Math.round(r() * 1000) / 1000;
      // noisy labels, 1 in about a third of the rows; 24 groups of uneven size
      const y = x0 + 0.5 * x1 + 0.3 * (r() - 0.5) > 0.9 ? 1 : 0;
      lines.push(`${x0},${x1},${y},user${Math.floor((r() * r()) * 24)}`);
    }
    data = path.join(tmp, 'data.csv');
    fs.writeFileSync(data, lines.join('\n') + '\n');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const train = (log: string, extra = '') => `${PYTHON} ${TRAINER} {train} {valid} {out} --log ${log}${extra ? ` ${extra}` : ''}`;
  const common = () => ['--data', data, '--label', 'y', '--features', 'x0,x1', '--no-cache'];

  it('folds: stratified proportions, groups never straddle, disjoint and covering, seeded', () => {
    const r = mulberry32(2);
    const strata = Array.from({ length: 103 }, () => (r() < 0.3 ? 'a' : r() < 0.5 ? 'b' : 'c'));
    const folds = assignFolds(103, { k: 5, seed: 7, strata });
    const seen = new Uint8Array(103);
    for (const f of folds) for (const i of f) seen[i]++;
    assert.ok(seen.every((v) => v === 1), 'every row in exactly one fold');
    for (const c of ['a', 'b', 'c']) {
      const total = strata.filter((s) => s === c).length;
      for (const f of folds) {
        const inFold = Array.from(f).filter((i) => strata[i] === c).length;
        assert.ok(inFold === Math.floor(total / 5) || inFold === Math.ceil(total / 5), `class ${c}: ${inFold} of ${total} in a fold`);
      }
    }
    assert.deepStrictEqual(assignFolds(103, { k: 5, seed: 7, strata }), folds, 'same seed, same folds');
    assert.notDeepStrictEqual(assignFolds(103, { k: 5, seed: 8, strata }), folds, 'another seed, other folds');
    const groups = Array.from({ length: 103 }, (_, i) => `g${(i * 7) % 13}`);
    const gf = assignFolds(103, { k: 4, seed: 1, groups });
    const foldOfGroup = new Map<string, number>();
    gf.forEach((f, j) =>
      f.forEach((i) => {
        assert.ok(!foldOfGroup.has(groups[i]) || foldOfGroup.get(groups[i]) === j, `group ${groups[i]} in two folds`);
        foldOfGroup.set(groups[i], j);
      }),
    );
    assert.throws(() => assignFolds(10, { k: 5, groups: Array.from({ length: 10 }, (_, i) => `g${i % 3}`) }), /at least 5 groups; the group column has 3/);
    assert.throws(() => assignFolds(3, { k: 5 }), /at least 5 rows/);
  });

  it('the command is split as Python shlex splits it (no shell)', () => {
    const cases = [`python train.py {train} {valid} {out}`, `"my trainer" --name 'a b' x\\ y {out}`, `cmd "a \\"q\\" b" '' e`, `  spaced   out  `, `a"b"'c'd`];
    const ref = JSON.parse(execFileSync(PYTHON, ['-c', 'import json, shlex, sys; print(json.dumps([shlex.split(c) for c in json.loads(sys.argv[1])]))', JSON.stringify(cases)], { encoding: 'utf8' })) as string[][];
    cases.forEach((c, i) => assert.deepStrictEqual(splitCommand(c), ref[i], c));
    assert.throws(() => splitCommand(`a 'b`), /unclosed ' quote/);
  });

  it('5-fold stratified CV: each fold trains a model; our per-fold accuracy is the trainer own numpy accuracy', async () => {
    const log = path.join(tmp, 'run1.jsonl');
    const r = await cli(['cv', '--train', train(log), ...common(), '-k', '5', '--stratify', '--seed', '3', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as { k: number; data: { rows: number; sha256: string }; recipes: { folds: { fold: number; trainRows: number; validRows: number; metrics: Record<string, number> }[]; summary: Record<string, { mean: number; ci95: number[] }> }[] };
    const logged = readLog(log);
    assert.strictEqual(logged.length, 5, 'the command ran once per fold');
    const folds = rep.recipes[0].folds;
    assert.deepStrictEqual(folds.map((f) => f.fold), [1, 2, 3, 4, 5]);
    const ones = logged.reduce((a, l) => a + l.valid_ones, 0);
    folds.forEach((f, i) => {
      assert.strictEqual(f.trainRows + f.validRows, n);
      assert.strictEqual(logged[i].train_rows, f.trainRows);
      assert.strictEqual(logged[i].valid_rows, f.validRows);
      assert.ok(Math.abs(f.metrics.accuracy - logged[i].accuracy) <= 1 / f.validRows + 1e-12, `fold ${i + 1}: ${f.metrics.accuracy} vs numpy ${logged[i].accuracy}`);
      // stratified: each fold holds ⌊ones/5⌋ or ⌈ones/5⌉ of the positive rows
      assert.ok(logged[i].valid_ones === Math.floor(ones / 5) || logged[i].valid_ones === Math.ceil(ones / 5), `fold ${i + 1} positives ${logged[i].valid_ones} of ${ones}`);
    });
    const mean = folds.reduce((a, f) => a + f.metrics.accuracy, 0) / 5;
    assert.ok(Math.abs(rep.recipes[0].summary.accuracy.mean - mean) < 1e-12);
    assert.ok(rep.recipes[0].summary.accuracy.ci95[0] < mean && mean < rep.recipes[0].summary.accuracy.ci95[1]);
    assert.strictEqual(rep.data.sha256, execFileSync('sha256sum', [data], { encoding: 'utf8' }).split(' ')[0]);
    // the text report: a row per metric, a column per fold
    const text = await cli(['cv', '--train', train(path.join(tmp, 'run1b.jsonl')), ...common(), '-k', '3']);
    assert.strictEqual(text.code, 0, text.err);
    assert.match(text.out, /3-fold cross-validation, seed 1 of \S*data\.csv \(240 rows, label 'y', binary\); each fold trains a model/);
    assert.match(text.out, /accuracy\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+ ± [\d.]+\s+\[[\d.]+, [\d.]+\]/);
    assert.match(text.err, /── fold 1\/3: .*cv_train\.py .*train\.csv .*valid\.csv .*model\.onnx/);
    assert.match(text.err, /trained on \d+ rows/, 'the command output is shown as it runs');
  });

  it('--group: no group in both the training and the validation file of a fold', async () => {
    const log = path.join(tmp, 'groups.jsonl');
    const r = await cli(['cv', '--train', train(log), ...common(), '-k', '4', '--group', 'g', '--repeats', '2', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const logged = readLog(log);
    assert.strictEqual(logged.length, 8);
    for (const l of logged) assert.deepStrictEqual(l.train_groups.filter((g) => l.valid_groups.includes(g)), [], 'a group straddles a fold');
    const rep = JSON.parse(r.out) as { repeats: number; recipes: { folds: { repeat: number }[] }[] };
    assert.deepStrictEqual(rep.recipes[0].folds.map((f) => f.repeat), [1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it('two recipes: the 5×2cv paired F-test, F and p as numpy and scipy give them', async () => {
    const log = path.join(tmp, 'two.jsonl');
    const r = await cli(['cv', '--train', train(log), '--train', train(log, '--l2 2'), ...common(), '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as { k: number; repeats: number; recipes: { folds: { metrics: Record<string, number> }[] }[]; comparison: { differences: number[][]; f: number; pValue: number; df: number[] } };
    assert.deepStrictEqual([rep.k, rep.repeats], [2, 5]);
    assert.strictEqual(readLog(log).length, 20, '5 × 2 folds × 2 recipes');
    const d = rep.comparison.differences;
    d.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - (rep.recipes[0].folds[i * 2 + j].metrics.accuracy - rep.recipes[1].folds[i * 2 + j].metrics.accuracy)) < 1e-12)));
    const ref = JSON.parse(
      execFileSync(PYTHON, ['-c', 'import json, sys, numpy as np; from scipy.stats import f; p = np.array(json.loads(sys.argv[1])); s2 = ((p - p.mean(axis=1, keepdims=True)) ** 2).sum(axis=1); F = (p ** 2).sum() / (2 * s2.sum()); print(json.dumps([F, f.sf(F, 10, 5)]))', JSON.stringify(d)], { encoding: 'utf8' }),
    ) as [number, number];
    assert.ok(Math.abs(rep.comparison.f - ref[0]) < 1e-9 * Math.max(1, ref[0]), `F ${rep.comparison.f} vs ${ref[0]}`);
    assert.ok(Math.abs(rep.comparison.pValue - ref[1]) < 1e-9, `p ${rep.comparison.pValue} vs ${ref[1]}`);
    // the formula itself on a fixed table, against numpy and scipy
    const fixed = [[0.02, 0.05], [-0.01, 0.03], [0.04, 0.01], [0.0, 0.02], [0.03, 0.06]];
    const t = fiveByTwoF(fixed);
    const fr = JSON.parse(
      execFileSync(PYTHON, ['-c', 'import json, sys, numpy as np; from scipy.stats import f; p = np.array(json.loads(sys.argv[1])); s2 = ((p - p.mean(axis=1, keepdims=True)) ** 2).sum(axis=1); F = (p ** 2).sum() / (2 * s2.sum()); print(json.dumps([F, f.sf(F, 10, 5)]))', JSON.stringify(fixed)], { encoding: 'utf8' }),
    ) as [number, number];
    assert.ok(Math.abs(t.f - fr[0]) < 1e-12 * fr[0] && Math.abs(t.pValue - fr[1]) < 1e-9, `${t.f}, ${t.pValue} vs ${fr}`);
    assert.match((await cli(['cv', '--train', train(log), '--train', train(log), ...common(), '-k', '3'])).err, /5 repetitions of 2 folds/);
  });

  it('a command that fails, hangs, writes garbage or nothing stops the run with a clear message', async () => {
    const log = path.join(tmp, 'bad.jsonl');
    const fail = await cli(['cv', '--train', train(log, '--fail'), ...common(), '-k', '3']);
    assert.strictEqual(fail.code, 1);
    assert.match(fail.err, /the training command of fold 1\/3 failed \(exit status 3\); nothing after it ran\.\n--- its last output ---\ntraining blew up: CUDA out of memory \(simulated\)/);
    const t0 = Date.now();
    const hang = await cli(['cv', '--train', train(log, '--hang'), ...common(), '-k', '3', '--timeout', '2']);
    assert.strictEqual(hang.code, 1);
    assert.match(hang.err, /fold 1\/3 ran past 2 s \(--timeout\) and was stopped/);
    assert.match(hang.err, /starting a very long epoch/);
    assert.ok(Date.now() - t0 < 30_000, 'the hanging command was stopped');
    const garbage = await cli(['cv', '--train', train(log, '--garbage'), ...common(), '-k', '3']);
    assert.strictEqual(garbage.code, 1);
    assert.match(garbage.err, /wrote model\.onnx, which is not a model it can evaluate: /);
    const nothing = await cli(['cv', '--train', train(log, '--nothing'), ...common(), '-k', '3']);
    assert.strictEqual(nothing.code, 1);
    assert.match(nothing.err, /finished but wrote no model to \{out\}/);
    const missing = await cli(['cv', '--train', 'no-such-trainer-xyz {train} {out}', ...common(), '-k', '3']);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.err, /'no-such-trainer-xyz' was not found/);
    const noOut = await cli(['cv', '--train', 'python3 t.py {train}', ...common()]);
    assert.strictEqual(noOut.code, 2);
    assert.match(noOut.err, /must name \{out\}/);
    const npy = await cli(['cv', '--train', train(log), '--data', path.join(tmp, 'x.npy'), '--label', '0']);
    assert.notStrictEqual(npy.code, 0);
  });

  it('the demo trainer is a training command: node demo train {train} {valid} {out}', async () => {
    const demoMain = path.join(__dirname, '..', '..', 'src', 'demo', 'main.js');
    const { generateSplit, toCsv } = await import('../../src/demo/data.js');
    const demoData = path.join(tmp, 'demo.csv');
    fs.writeFileSync(demoData, toCsv(generateSplit(300, 4)));
    const r = await cli(['cv', '--train', `${process.execPath} ${demoMain} train {train} {valid} {out} --epochs 1`, '--data', demoData, '--label', 'purchased', '-k', '2', '--json', '--no-cache']);
    assert.strictEqual(r.code, 0, r.err);
    // the trainer prints its own validation accuracy (its JavaScript forward pass); ours comes from onnxruntime on the exported model
    const own = [...r.err.matchAll(/validation accuracy ([\d.]+) on (\d+) rows/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const rep = JSON.parse(r.out) as { recipes: { folds: { metrics: Record<string, number>; validRows: number }[] }[] };
    assert.strictEqual(own.length, 2);
    rep.recipes[0].folds.forEach((f, i) => assert.ok(Math.abs(f.metrics.accuracy - own[i][0]) <= 1 / own[i][1] + 1e-4, `${f.metrics.accuracy} vs ${own[i][0]}`));
  });

  it('--record stores the run in the notes of a committed version', async () => {
    const repoDir = path.join(tmp, 'repo');
    fs.mkdirSync(repoDir);
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repoDir, encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
    git('lfs', 'install', '--local');
    const log = path.join(tmp, 'rec.jsonl');
    fs.copyFileSync(data, path.join(repoDir, 'data.csv'));
    execFileSync(PYTHON, [TRAINER, path.join(repoDir, 'data.csv'), path.join(repoDir, 'data.csv'), path.join(repoDir, 'm.onnx'), '--log', log]);
    const repo = await ModelRepository.open(repoDir);
    await repo.commitModel(path.join(repoDir, 'm.onnx'), 'first');
    const r = await cli(['cv', '-C', repoDir, '--train', train(log), '--data', 'data.csv', '--label', 'y', '--features', 'x0,x1', '-k', '3', '--record', 'm.onnx@v1', '--no-cache']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.err, /recorded in the notes of m\.onnx v1/);
    const note = JSON.parse(git('notes', '--ref=refs/notes/model-versions', 'show', 'HEAD')) as { models: Record<string, { crossValidations: Record<string, { k: number; recipes: { command: string; folds: unknown[] }[]; data: { sha256: string } }> }> };
    const runs = Object.values(note.models['m.onnx'].crossValidations);
    assert.strictEqual(runs.length, 1);
    assert.strictEqual(runs[0].k, 3);
    assert.strictEqual(runs[0].recipes[0].folds.length, 3);
    assert.strictEqual(runs[0].recipes[0].command, train(log));
    // and in the lineage: an evaluation node of v1 on the data it split
    const lin = await cli(['lineage', '-C', repoDir, 'm.onnx', '--json']);
    assert.strictEqual(lin.code, 0, lin.err);
    const g = JSON.parse(lin.out) as { nodes: { id: string; kind: string; label: string; metrics?: Record<string, number> }[]; edges: { kind: string; source: string; target: string }[] };
    const cvNode = g.nodes.find((x) => x.kind === 'evaluation' && /^3-fold CV accuracy [\d.]+ on data\.csv$/.test(x.label));
    assert.ok(cvNode, JSON.stringify(g.nodes.map((x) => x.label)));
    const mean = (Object.values(note.models['m.onnx'].crossValidations)[0] as unknown as { recipes: { summary: Record<string, { mean: number }> }[] }).recipes[0].summary.accuracy.mean;
    assert.strictEqual(cvNode.metrics?.accuracy, mean);
    assert.ok(g.edges.some((e) => e.kind === 'evaluated' && e.target === cvNode.id));
    assert.ok(g.edges.some((e) => e.kind === 'evaluated-on' && e.target === cvNode.id));
    // --train-of: the recorded recipe of v1 against another, by the 5×2cv test
    const cmp = await cli(['cv', '-C', repoDir, '--train-of', 'm.onnx@v1', '--train', train(log, '--l2 1'), '--data', 'data.csv', '--label', 'y', '--features', 'x0,x1', '--no-cache', '--json']);
    assert.strictEqual(cmp.code, 0, cmp.err);
    const rep = JSON.parse(cmp.out) as { recipes: { command: string }[]; comparison: { f: number } };
    assert.deepStrictEqual(rep.recipes.map((x) => x.command), [train(log), train(log, '--l2 1')]);
    assert.ok(Number.isFinite(rep.comparison.f));
    // a version with nothing recorded: says what to run
    fs.writeFileSync(path.join(repoDir, 'm.onnx'), Buffer.concat([fs.readFileSync(path.join(repoDir, 'm.onnx')), Buffer.alloc(0)]));
    execFileSync(PYTHON, [TRAINER, path.join(repoDir, 'data.csv'), path.join(repoDir, 'data.csv'), path.join(repoDir, 'm.onnx'), '--log', log, '--l2', '3']);
    await repo.commitModel(path.join(repoDir, 'm.onnx'), 'second');
    const none = await cli(['cv', '-C', repoDir, '--train-of', 'm.onnx@v2', '--train', train(log), '--data', 'data.csv', '--label', 'y']);
    assert.strictEqual(none.code, 1);
    assert.match(none.err, /m\.onnx@v2 has no recorded cross-validation to take its training command from: run `modelver cv --train "…" --record m\.onnx@v2`/);
  });
});
