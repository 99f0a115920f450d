/**
 * The words and numbers of the lineage views (src/shared/lineageText.ts): one metric format, edge words
 * that say what happened (a test-role dataset is never "trained on"), parameters as table rows; and the
 * CLI renderings (DOT, Mermaid) that use the same words.
 */
import * as assert from 'assert';
import { buildLineageGraph, renderDot, renderMermaid } from '../../src/core/lineage';
import type { ModelHistory, ModelVersion } from '../../src/core/repo/types';
import { edgeWords, formatMetric, paramRows, relationWords, roleWords } from '../../src/shared/lineageText';

describe('lineage text: metric format, edge words, parameter rows', () => {
  it('formatMetric: 4 decimals for every ordinary value, exponent form outside [0.001, 10,000)', () => {
    assert.deepStrictEqual([0.75, 0.8155, 0.881, 0.885, 1, 0].map(formatMetric), ['0.7500', '0.8155', '0.8810', '0.8850', '1.0000', '0.0000']);
    assert.deepStrictEqual([12.345678, -0.5, 9999.99994].map(formatMetric), ['12.3457', '-0.5000', '9999.9999']);
    assert.deepStrictEqual([12345.6, 0.000123456, -2e-7].map(formatMetric), ['1.235e+4', '1.235e-4', '-2.000e-7']);
    assert.deepStrictEqual([NaN, Infinity].map(formatMetric), ['NaN', 'Infinity']);
    // the same number of decimals whatever the value: values line up
    const decimals = (s: string) => s.split('.')[1]?.length;
    assert.ok([0.9, 0.81549, 0.1, 3, 42.5].map(formatMetric).every((s) => decimals(s) === 4));
  });

  it('a dataset role says what the data was used for; a test set never reads as training data', () => {
    assert.strictEqual(roleWords('train'), 'trained on');
    assert.strictEqual(roleWords('data'), 'used', 'the default role: the use was not said, so not "trained"');
    assert.strictEqual(roleWords(undefined), 'used');
    for (const r of ['test', 'Test', 'eval', 'holdout']) assert.strictEqual(roleWords(r), 'evaluated on', r);
    for (const r of ['validation', 'val', 'dev']) assert.strictEqual(roleWords(r), 'validated on', r);
    assert.strictEqual(roleWords('calibration'), 'used for calibration');
    assert.strictEqual(edgeWords('trained-on', 'test'), 'evaluated on');
    assert.strictEqual(edgeWords('trained-on', 'train'), 'trained on');
    assert.strictEqual(edgeWords('derived-from'), 'derived from');
    assert.strictEqual(edgeWords('built-from'), 'built from code');
    assert.strictEqual(edgeWords('evaluated-on'), 'evaluated on');
    assert.strictEqual(edgeWords('parent'), '', 'the arrow says it');
    assert.strictEqual(edgeWords('evaluated'), '');
  });

  it('relations read from either end', () => {
    assert.strictEqual(relationWords('derived-from', undefined, 'in'), 'derived from');
    assert.strictEqual(relationWords('derived-from', undefined, 'out'), 'base of');
    assert.strictEqual(relationWords('trained-on', 'test', 'in'), 'evaluated on');
    assert.strictEqual(relationWords('trained-on', 'test', 'out'), 'test data of');
    assert.strictEqual(relationWords('trained-on', 'train', 'out'), 'training data of');
    assert.strictEqual(relationWords('trained-on', 'validation', 'out'), 'validation data of');
    assert.strictEqual(relationWords('trained-on', 'calibration', 'out'), 'calibration data of');
    assert.strictEqual(relationWords('trained-on', 'data', 'out'), 'used by');
    assert.strictEqual(relationWords('trained-on', 'data', 'in'), 'used');
    assert.strictEqual(relationWords('parent', undefined, 'in'), 'after');
    assert.strictEqual(relationWords('parent', undefined, 'out'), 'followed by');
    assert.strictEqual(relationWords('built-from', undefined, 'out'), 'code of');
    assert.strictEqual(relationWords('evaluated', undefined, 'in'), 'evaluation of');
    assert.strictEqual(relationWords('evaluated', undefined, 'out'), 'evaluated in');
  });

  it('paramRows: one row per value, nested keys dotted, sorted; numbers as written, no JSON for plain values', () => {
    assert.deepStrictEqual(
      paramRows({ lr: 0.0003, optimizer: { name: 'adam', betas: [0.9, 0.999], schedule: { warmup: 100 } }, epochs: 12, shuffle: true, note: null, layers: [{ units: 8 }], empty: {} }),
      [
        { key: 'empty', value: '{}' },
        { key: 'epochs', value: '12' },
        { key: 'layers', value: '[{"units":8}]' },
        { key: 'lr', value: '0.0003' },
        { key: 'note', value: 'null' },
        { key: 'optimizer.betas', value: '[0.9, 0.999]' },
        { key: 'optimizer.name', value: 'adam' },
        { key: 'optimizer.schedule.warmup', value: '100' },
        { key: 'shuffle', value: 'true' },
      ],
    );
    assert.deepStrictEqual(paramRows({}), []);
    assert.deepStrictEqual(paramRows({ architecture: 'Dense 128 relu, Dropout 0.2' }), [{ key: 'architecture', value: 'Dense 128 relu, Dropout 0.2' }]);
  });

  it('DOT and Mermaid write the same words on their edges (a test set: evaluated on)', () => {
    const sha = (c: string) => c.repeat(64);
    const version = (v: number, commit: string, message: string): ModelVersion =>
      ({
        model: 'm.onnx', path: 'm.onnx', version: v, commit, shortCommit: commit.slice(0, 7), parents: [], author: { name: 'a', email: 'a@b' },
        date: `2026-01-0${v}T00:00:00Z`, subject: `v${v}`, message, aliases: [], tags: [], contentId: `sha256:${sha(String(v))}`,
      }) as unknown as ModelVersion;
    const c1 = '1'.repeat(40);
    const c2 = '2'.repeat(40);
    const history = {
      path: 'm.onnx', paths: ['m.onnx'],
      versions: [
        version(1, c1, `v1\n\nModel-Dataset: train data/train.csv sha256:${sha('a')}\nModel-Dataset: test data/test.csv sha256:${sha('b')}\n`),
        version(2, c2, `v2\n\nModel-Derived-From: m.onnx@${c1}\n`),
      ],
    } as unknown as ModelHistory;
    const g = buildLineageGraph([history]);
    const dot = renderDot(g);
    assert.match(dot, /"dataset:b{64}:data\/test\.csv" -> "version:m\.onnx@1{40}" \[label="evaluated on", style=dashed\];/);
    assert.match(dot, /"dataset:a{64}:data\/train\.csv" -> "version:m\.onnx@1{40}" \[label="trained on", style=dashed\];/);
    assert.match(dot, /\[label="derived from", style=bold\]/);
    assert.match(dot, /\[label="next version"\]/);
    assert.doesNotMatch(dot, /trained-on|derived-from/, 'no kind ids for words');
    const mm = renderMermaid(g);
    assert.match(mm, /-\.->\|"evaluated on"\|/);
    assert.doesNotMatch(mm, /trained-on \(test\)/);
  });
});
