/**
 * A column of text among the features (an id, a name): the walkthrough of `npm start` gave the
 * production outcomes (request_id, outcome) as evaluation data, and the message said to leave the column
 * out "(spec.features)" — the library's name, which neither a CLI nor an extension user can type.
 * - the loader's NON_NUMERIC error names the feature column (DatasetError.featureColumn), not for a label;
 * - `modelver eval` says to name the feature columns with --features, and runs with them;
 * - the extension's pickers (datasetColumnInfo) tell text columns from number columns in the first rows,
 *   by the loader's own rules (isFeatureCell), so the feature-column question leaves them unchecked.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isFeatureCell, loadDataset } from '../../src/core/eval/dataset';
import { DatasetError } from '../../src/core/eval/datasetErrors';
import { datasetColumnInfo, SAMPLE_ROWS } from '../../src/extension/evaluate/datasetColumns';
import { linearModel } from '../support/onnxModels';
import { fixture } from '../support/paths';
import { runCliProcess } from '../support/cliProcess';


const runCli = runCliProcess;

async function loadError(p: Promise<unknown>): Promise<DatasetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DatasetError, String(e));
    return e;
  }
  assert.fail('expected a DatasetError');
}

describe('a text column among the features', function () {
  this.timeout(60000);
  let dir: string;
  let withId: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-text-col-'));
    // y = x0 + x1 > 1, with an id column of text in front
    const rows = ['id,x0,x1,y'];
    for (let i = 0; i < 300; i++) {
      const x0 = ((i * 37) % 100) / 100;
      const x1 = ((i * 61) % 100) / 100;
      rows.push(`u-${i},${x0},${x1},${x0 + x1 > 1 ? 1 : 0}`);
    }
    withId = path.join(dir, 'with-id.csv');
    fs.writeFileSync(withId, rows.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'model.onnx'), linearModel([10, 10], -10));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the loader names the feature column; a text label is not a feature column', async () => {
    const e = await loadError(loadDataset({ file: withId, labelColumn: 'y', task: 'binary' }));
    assert.strictEqual(e.code, 'NON_NUMERIC');
    assert.strictEqual(e.featureColumn, 'id');
    assert.match(e.message, /column 'id' holds "u-0", which is not a number; features must be numbers: leave this column out of the feature columns, or encode it as numbers first$/);
    assert.ok(!e.message.includes('spec.'), e.message);
    const label = await loadError(loadDataset({ file: withId, labelColumn: 'id', features: ['x0', 'x1'], task: 'regression' }));
    assert.strictEqual(label.code, 'NON_NUMERIC');
    assert.strictEqual(label.featureColumn, undefined);
  });

  it('modelver eval says to name the feature columns with --features, and evaluates with them', async () => {
    const bad = await runCli(['eval', 'model.onnx', '--data', 'with-id.csv', '--label', 'y', '--no-cache'], dir);
    assert.strictEqual(bad.code, 1, bad.err);
    assert.match(bad.err, /column 'id' holds "u-0", which is not a number; .* \(--features a,b,… names the feature columns; the default is every column but the label\)/);
    const ok = await runCli(['eval', 'model.onnx', '--data', 'with-id.csv', '--label', 'y', '--features', 'x0,x1', '--no-cache', '--json'], dir);
    assert.strictEqual(ok.code, 0, ok.err);
    const rep = JSON.parse(ok.out) as { rows: number; metrics: { accuracy: number } };
    assert.strictEqual(rep.rows, 300);
    assert.ok(rep.metrics.accuracy > 0.95, String(rep.metrics.accuracy));
  });

  it('isFeatureCell agrees with the loader cell by cell', async () => {
    const cells = ['1', ' 2.5 ', '-3e2', '.5', '', 'NA', 'nan', 'None', 'u-1', 'inf', '0x10', '1,5', 'true'];
    for (const c of cells) {
      const f = path.join(dir, 'one.csv');
      fs.writeFileSync(f, `a,y\n"${c}",1\n7,0\n8,1\n`);
      const loads = await loadDataset({ file: f, labelColumn: 'y', task: 'binary' }).then(
        () => true,
        (e: unknown) => (e instanceof DatasetError && e.code === 'NON_NUMERIC' ? false : Promise.reject(e)),
      );
      assert.strictEqual(isFeatureCell(c), loads, JSON.stringify(c));
    }
    assert.ok(isFeatureCell(3) && isFeatureCell(null) && isFeatureCell(false) && !isFeatureCell({ a: 1 }) && !isFeatureCell([1]));
  });

  it('the pickers see the text column of a CSV and of the outcomes JSON Lines, and a JSON array', async () => {
    assert.deepStrictEqual(await datasetColumnInfo(withId), [{ name: 'id', text: 'u-0' }, { name: 'x0' }, { name: 'x1' }, { name: 'y' }]);
    const outcomes = path.join(dir, 'outcomes.jsonl');
    fs.copyFileSync(fixture('production', 'outcomes.jsonl'), outcomes);
    assert.deepStrictEqual(await datasetColumnInfo(outcomes), [{ name: 'request_id', text: 'r-00003' }, { name: 'outcome' }]);
    const json = path.join(dir, 'rows.json');
    fs.writeFileSync(json, JSON.stringify([{ x: 1, who: 'ann', y: 0 }, { x: null, who: 'bo', y: 1 }]));
    assert.deepStrictEqual(await datasetColumnInfo(json), [{ name: 'x' }, { name: 'who', text: 'ann' }, { name: 'y' }]);
  });

  it('looks at the first SAMPLE_ROWS rows only (a text value further down is found by the load)', async () => {
    const f = path.join(dir, 'deep.csv');
    const rows = ['a,b,y'];
    for (let i = 0; i < SAMPLE_ROWS + 50; i++) rows.push(`${i},${i === SAMPLE_ROWS + 10 ? 'late' : i},${i % 2}`);
    fs.writeFileSync(f, rows.join('\n') + '\n');
    assert.deepStrictEqual(await datasetColumnInfo(f), [{ name: 'a' }, { name: 'b' }, { name: 'y' }]);
    assert.strictEqual((await loadError(loadDataset({ file: f, labelColumn: 'y', task: 'binary' }))).featureColumn, 'b');
  });

  it('a CSV longer than the head read: the line the read cuts is not looked at', async () => {
    // rows of 40 features (fewer than SAMPLE_ROWS of them in the head), label cells '1e0' (the number 1),
    // and the head's last byte right after the 'e' of one: kept, that cut cell '1e' would read as text
    const names = Array.from({ length: 40 }, (_, j) => `x${j}`);
    const lines = [['id', ...names, 'y'].join(',')];
    for (let i = 0; i < 1000; i++) lines.push(`${i},${names.map((_, j) => (0.123456789 + j).toFixed(9)).join(',')},1e0`);
    // the last label cell whose 'e' ends at or before byte 65536, moved onto it by leading zeros on the first id
    const idx = (lines.join('\n') + '\n').lastIndexOf(',1e0\n', 65536 - 3);
    lines[1] = '0'.repeat(65536 - (idx + 3)) + lines[1];
    const text = lines.join('\n') + '\n';
    assert.strictEqual(text.slice(65534, 65536), '1e', 'the head ends in a cut cell');
    const f = path.join(dir, 'long.csv');
    fs.writeFileSync(f, text);
    assert.ok(65536 / lines[2].length < SAMPLE_ROWS, 'the cut line is within the rows looked at');
    assert.deepStrictEqual(await datasetColumnInfo(f), [{ name: 'id' }, ...names.map((name) => ({ name })), { name: 'y' }]);
  });
});
