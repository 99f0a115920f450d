/** Version Details view models (src/extension/details/viewModel.ts): record fields and the diff extract. */
import * as assert from 'assert';
import { diffModels } from '../../src/core/diff';
import { appendRecord, type ModelVersion } from '../../src/core/repo';
import { diffSummary, messageBody, metricsOf, versionRecord } from '../../src/extension/details/viewModel';
import { fixture } from '../support/paths';

function version(n: number, over: Partial<ModelVersion> = {}): ModelVersion {
  return {
    model: 'models/hello.onnx',
    path: 'models/hello.onnx',
    version: n,
    commit: `${n}`.repeat(40),
    shortCommit: `${n}`.repeat(7),
    parents: [],
    author: { name: 'A. Person', email: 'a@example.invalid' },
    date: '2025-01-02T03:04:05Z',
    committerDate: '2025-01-02T03:04:05Z',
    message: `Version ${n}`,
    subject: `Version ${n}`,
    oid: 'ab'.repeat(32),
    contentId: `sha256:${'ab'.repeat(32)}`,
    size: 2048,
    lfs: true,
    blob: 'cd'.repeat(20),
    change: n === 1 ? 'added' : 'modified',
    tags: [],
    aliases: [],
    trailers: {},
    ...over,
  };
}

describe('Version Details view models', () => {
  it('keeps the body of a message without its subject and the recorded trailers', () => {
    const v = version(1);
    const message = appendRecord('Retrained\n\nLonger window.\nNote: kept dropout 0.2', [['Model-Path', v.path], ['Model-Oid', v.contentId], ['Model-Params', '78049']]);
    assert.strictEqual(messageBody({ ...v, message }), 'Longer window.\nNote: kept dropout 0.2');
    // a trailer-like line the user typed stays, even with the key of a recorded trailer
    const typed = appendRecord('Fix\n\nModel-Oid: the old one was wrong', [['Model-Path', v.path], ['Model-Oid', v.contentId]]);
    assert.strictEqual(messageBody({ ...v, message: typed }), 'Model-Oid: the old one was wrong');
    assert.strictEqual(messageBody({ ...v, message: 'Only a subject' }), '');
  });

  it('describes a folder model\'s version by its files (no single oid)', () => {
    const files = [
      { name: 'config.json', blob: '1'.repeat(40), lfs: false, size: 40 },
      { name: 'model-00001-of-00002.safetensors', blob: '2'.repeat(40), lfs: true, oid: 'ef'.repeat(32), size: 400 },
      { name: 'model-00002-of-00002.safetensors', blob: '3'.repeat(40), lfs: true, oid: '01'.repeat(32), size: 300 },
    ];
    const v = version(1, { model: 'models/tiny', path: 'models/tiny', oid: undefined, contentId: `files:${'9'.repeat(64)}`, blob: '', files, size: 740 });
    const r = versionRecord(v, { latest: true, formatDate: () => 'DATE' });
    assert.deepStrictEqual(r.folder, { files: 3, lfs: 2, contentId: `files:${'9'.repeat(64)}` });
    assert.strictEqual(r.oid, undefined);
    assert.strictEqual(versionRecord(version(1), { latest: true }).folder, undefined);
  });

  it('builds the record: trailers, metrics, tags, aliases, previous', () => {
    const v2 = version(2, {
      message: appendRecord('Second\n\nBody text', [
        ['Model-Path', 'old/hello.onnx'],
        ['Model-Oid', `sha256:${'ab'.repeat(32)}`],
        ['Model-Params', '78049'],
        ['Model-Metrics', 'accuracy=0.93, f1=0.9012345678'],
      ]),
      subject: 'Second',
      trailers: { 'Model-Params': '78049', 'Model-Inputs': 'x:float32[1,25,96]', 'Model-Oid': 'sha256:ab' },
      tags: [{ name: 'hello/v2' } as ModelVersion['tags'][number]],
      aliases: ['production'],
      metadata: { metrics: { accuracy: 0.94123456789, split: 'test' } },
      path: 'old/hello.onnx',
    });
    const r = versionRecord(v2, { latest: true, previous: version(1), formatDate: () => 'DATE' });
    assert.strictEqual(r.body, 'Body text');
    assert.deepStrictEqual(r.trailers, [{ label: 'Parameters', value: '78,049' }, { label: 'Inputs', value: 'x:float32[1,25,96]' }]);
    // 4 decimals, as the panels write metrics (the walkthrough saw 0.870611 here and 0.8706 in Compare)
    assert.deepStrictEqual(r.metrics, [{ label: 'accuracy', value: '0.9412' }, { label: 'split', value: 'test' }]);
    assert.deepStrictEqual(r.commitMetrics, [{ label: 'accuracy', value: '0.9300' }, { label: 'f1', value: '0.9012' }]);
    const tiny = versionRecord(version(3, { metadata: { metrics: { mse: 0.0000123456, loss: 123456.789, n: 500 } } }), { latest: false });
    assert.deepStrictEqual(tiny.metrics.map((m) => m.value), ['0.00001235', '1.235e+5', '500']);
    assert.deepStrictEqual([r.tags, r.aliases, r.previous, r.dateText, r.path, r.size], [['hello/v2'], ['production'], { version: 1, shortCommit: '1111111' }, 'DATE', 'old/hello.onnx', '2.00 KiB']);
    assert.deepStrictEqual(metricsOf({ metadata: { metrics: [1, 2] } }), []);
    assert.strictEqual(versionRecord(version(1), { latest: false }).previous, undefined);
  });

  it('extracts verdicts, interface changes, parameters and the top 5 weights from a diff', async () => {
    const d = await diffModels(fixture('onnx', 'hello_deepa_old.onnx'), fixture('onnx', 'hello_deepa.onnx'));
    const s = diffSummary(d, version(1), version(2));
    assert.strictEqual(s.verdicts[0], 'breaking: input onnx::Flatten_0 [1,24,96] → [1,25,96]');
    assert.deepStrictEqual(s.interfaceChanges, [{ text: d.interface.changes[0].text, breaking: true }]);
    assert.deepStrictEqual(s.parameters, { a: 74977, b: 78049, delta: 3072 });
    assert.ok(s.topWeights.length > 0 && s.topWeights.length <= 5);
    for (let i = 1; i < s.topWeights.length; i++) assert.ok(s.topWeights[i - 1].relative >= s.topWeights[i].relative);
    const best = Math.max(...d.weights.rows.filter((r) => !r.small && r.stats?.relative != null).map((r) => r.stats!.relative!));
    assert.strictEqual(s.topWeights[0].relative, best);
    assert.strictEqual(s.weights.shapeChanged, 1);
    assert.deepStrictEqual([s.from.version, s.to.version], [1, 2]);
    JSON.parse(JSON.stringify(s)); // plain JSON for postMessage
  });
});
