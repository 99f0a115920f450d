/**
 * The diff panel's view model (src/extension/diff/viewModel.ts), without vscode: a real diff of the
 * two hello_deepa versions, and hand-made rows for renames, constants, long values and the caps on
 * the rows sent to the webview.
 */
import * as assert from 'assert';
import { diffModels, type ModelDiff, type NodeChange, type WeightRow } from '../../src/core/diff';
import { MAX_NODE_ROWS, MAX_WEIGHT_ROWS, toDiffViewModel } from '../../src/extension/diff/viewModel';
import { WEIGHT_STATUS_ORDER } from '../../src/shared/diffProtocol';
import { fixture } from '../support/paths';

const OPTS = { title: 'hello_deepa.onnx v1 ↔ v2', originA: 'hello_deepa.onnx @ v1 (aaaaaaa) · First', originB: 'hello_deepa.onnx @ v2 (bbbbbbb) · Second' };

let real: ModelDiff;

/** A copy of the real diff to change by hand. */
const copy = (): ModelDiff => structuredClone(real);

function row(over: Partial<WeightRow> & { name: string }): WeightRow {
  const t = { name: over.name, dtype: 'float32' as const, shape: [4], paramCount: 4, origin: 'initializer' as const, graphPath: '' };
  const rest: Partial<WeightRow> = { ...over };
  delete (rest as { name?: string }).name;
  return { status: 'identical', renamed: false, a: t, b: t, ...rest };
}

describe('diff panel view model', () => {
  before(async () => {
    real = await diffModels(fixture('onnx', 'hello_deepa_old.onnx'), fixture('onnx', 'hello_deepa.onnx'), { allWeightRows: true, labelA: 'hello@v1', labelB: 'hello@v2' });
  });

  it('sides: labels, where each comes from, format, size, counts formatted', () => {
    const vm = toDiffViewModel(real, OPTS);
    assert.strictEqual(vm.title, OPTS.title);
    assert.deepStrictEqual(vm.a, { label: 'hello@v1', origin: OPTS.originA, format: 'ONNX', size: '297 KiB', parameters: '74,977', tensors: '14', nodes: '29' });
    assert.deepStrictEqual(vm.b, { label: 'hello@v2', origin: OPTS.originB, format: 'ONNX', size: '309 KiB', parameters: '78,049', tensors: '14', nodes: '29' });
  });

  it('verdicts keep their order; the breaking ones are flagged', () => {
    const vm = toDiffViewModel(real, OPTS);
    assert.deepStrictEqual(vm.verdicts, [
      { text: 'breaking: input onnx::Flatten_0 [1,24,96] → [1,25,96]', breaking: true },
      { text: 'weights: 9 changed, 1 shape changed (10 → 10 weight tensors)', breaking: false },
      { text: 'architecture: parameters 74,977 → 78,049 (+3,072)', breaking: false },
    ]);
    assert.strictEqual(vm.same, false);
    assert.strictEqual(vm.breaking, true);
  });

  it('interface: the change with both types, and each side’s inputs then outputs', () => {
    const vm = toDiffViewModel(real, OPTS);
    assert.deepStrictEqual(vm.interface.changes, [
      { io: 'input', kind: 'shape', nameA: 'onnx::Flatten_0', nameB: 'onnx::Flatten_0', a: 'float32[1,24,96]', b: 'float32[1,25,96]', breaking: true, text: 'input onnx::Flatten_0 [1,24,96] → [1,25,96]' },
    ]);
    assert.deepStrictEqual(vm.interface.a, [
      { io: 'input', name: 'onnx::Flatten_0', type: 'float32[1,24,96]' },
      { io: 'output', name: '39', type: 'float32[1,1]' },
    ]);
    assert.strictEqual(vm.interface.b[0].type, 'float32[1,25,96]');
  });

  it('weights: the most serious status first, constants after the weights of their status; summary and counts', () => {
    const vm = toDiffViewModel(real, OPTS);
    const w = vm.weights;
    assert.strictEqual(w.rows.length, 14);
    assert.strictEqual(w.summary, '14 → 14 tensors: 4 identical, 9 changed, 1 shape changed (4 of them small constants or integer tensors, not counted as weights in the verdict)');
    assert.strictEqual(w.changes, '9 changed, 1 shape changed');
    assert.strictEqual(w.differing, 10);
    assert.strictEqual(w.rowsOmitted, 0);
    for (let i = 1; i < w.rows.length; i++) {
      const [p, r] = [w.rows[i - 1], w.rows[i]];
      const order = WEIGHT_STATUS_ORDER[p.status] - WEIGHT_STATUS_ORDER[r.status];
      assert.ok(order < 0 || (order === 0 && Number(p.small) <= Number(r.small)), `row ${i}: ${p.status}/${p.small} before ${r.status}/${r.small}`);
    }
    const first = w.rows[0];
    assert.deepStrictEqual(
      { status: first.status, nameA: first.nameA, shapeA: first.shapeA, shapeB: first.shapeB, params: first.params, maxAbs: first.maxAbs, changedFraction: first.changedFraction },
      { status: 'shape-changed', nameA: 'layer1.weight', shapeA: 'float32[32,2304]', shapeB: 'float32[32,2400]', params: 76800, maxAbs: null, changedFraction: null },
    );
    const bias = w.rows.find((r) => r.nameA === 'layer1.bias')!;
    assert.strictEqual(bias.status, 'changed');
    assert.ok(bias.maxAbs! > 0 && bias.changedFraction === 1 && bias.cosine !== null);
    const constants = w.rows.filter((r) => r.small);
    assert.strictEqual(constants.length, 4);
    assert.ok(constants.every((r) => r.status === 'identical' && r.changedFraction === 0), 'identical rows changed nothing');
  });

  it('graph: the summary line, parameters, no node rows when nothing changed', () => {
    const vm = toDiffViewModel(real, OPTS);
    assert.strictEqual(vm.graph.summary, '29 → 29 nodes (matched by name): 29 unchanged, 0 changed, 0 renamed, 0 added, 0 removed');
    assert.deepStrictEqual(vm.graph.parameters, { a: 74977, b: 78049, delta: 3072 });
    assert.deepStrictEqual(vm.graph.rows, []);
    assert.deepStrictEqual(vm.header, []);
  });

  it('a renamed identical tensor shows as renamed; notes and unknown formats pass through', () => {
    const d = copy();
    d.a.format = 'coreml' as ModelDiff['a']['format'];
    d.b.format = 'keras-h5';
    const renamed = row({ name: 'w.old', renamed: true, matchedBy: 'content' });
    renamed.b = { ...renamed.b!, name: 'w.new' };
    d.weights.rows = [renamed, row({ name: 'x', status: 'added', a: undefined, note: 'new in B' })];
    const vm = toDiffViewModel(d, OPTS);
    assert.strictEqual(vm.a.format, 'coreml');
    assert.strictEqual(vm.b.format, 'Keras HDF5');
    assert.deepStrictEqual(
      vm.weights.rows.map((r) => [r.status, r.nameA, r.nameB, r.changedFraction, r.note]),
      [
        ['added', '', 'x', null, 'new in B'],
        ['renamed', 'w.old', 'w.new', 0, undefined],
      ],
    );
  });

  it('long or missing values are shortened for display; node rows without a name get their index', () => {
    const d = copy();
    const long = 'x'.repeat(500);
    d.header = [
      { field: 'producer_name', a: null, b: long },
      { field: 'ir_version', a: 7, b: 8 },
    ];
    const node: NodeChange = { status: 'changed', graphPath: 'loop body', name: '', index: 12, opType: 'Conv', changes: [{ key: 'pads', a: undefined, b: { big: long } }] };
    d.graph.rows = [node];
    const vm = toDiffViewModel(d, OPTS);
    assert.strictEqual(vm.header[0].a, '(none)');
    assert.strictEqual(vm.header[0].b.length, 400);
    assert.ok(vm.header[0].b.endsWith('…'));
    assert.deepStrictEqual(vm.header[1], { field: 'ir_version', a: '7', b: '8' });
    const r = vm.graph.rows[0];
    assert.strictEqual(r.name, '#12');
    assert.strictEqual(r.graphPath, 'loop body');
    assert.strictEqual(r.changes[0].a, '(none)');
    assert.strictEqual(r.changes[0].b.length, 120);
    assert.ok(r.changes[0].b.startsWith('{"big":"xxx'));
    assert.ok(!('newName' in r) && !('newOpType' in r), 'absent renames are left out');
  });

  it('at most MAX_WEIGHT_ROWS and MAX_NODE_ROWS rows go to the webview; the rest is counted as omitted', () => {
    const d = copy();
    const last = MAX_WEIGHT_ROWS + 6;
    d.weights.rows = Array.from({ length: MAX_WEIGHT_ROWS + 7 }, (_, i) => row(i === last ? { name: `t${i}`, status: 'removed', b: undefined } : { name: `t${i}` }));
    d.weights.rowsOmitted = 3;
    d.graph.rows = Array.from({ length: MAX_NODE_ROWS + 5 }, (_, i) => ({ status: 'added', graphPath: '', name: `n${i}`, index: i, opType: 'Add' }));
    d.graph.rowsOmitted = 2;
    const vm = toDiffViewModel(d, OPTS);
    assert.strictEqual(vm.weights.rows.length, MAX_WEIGHT_ROWS);
    assert.strictEqual(vm.weights.rowsOmitted, 3 + 7);
    assert.strictEqual(vm.weights.rows[0].nameA, `t${last}`, 'the removed tensor sorts before the identical ones, so it is kept');
    assert.strictEqual(vm.graph.rows.length, MAX_NODE_ROWS);
    assert.strictEqual(vm.graph.rowsOmitted, 2 + 5);
    assert.strictEqual(vm.graph.rows[0].name, 'n0', 'node rows keep their order');
  });
});
