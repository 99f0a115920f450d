/**
 * The label picker's column list (src/extension/evaluate/datasetColumns.ts): a CSV's header, or a clear
 * refusal before the label question for a file no dataset reader takes — random bytes named .csv (the
 * walkthrough of `npm start` was offered their "header" as label columns) and a .txt. Each verdict is
 * checked against what the dataset loader itself (core/eval/dataset.ts) does with the same file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDataset } from '../../src/core/eval/dataset';
import { DatasetError } from '../../src/core/eval/datasetErrors';
import { datasetColumns } from '../../src/extension/evaluate/datasetColumns';
import { firstBinaryByte } from '../../src/core/eval/dataset';

/** Bytes of a fixed xorshift sequence (the same on every run), with a NUL at `nulAt`. */
function noise(n: number, nulAt: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = 0x20 + ((x >>> 0) % 0xdf); // no C0 control byte…
  }
  b[nulAt] = 0; // …but this one
  return b;
}

async function rejection(p: Promise<unknown>): Promise<DatasetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DatasetError, `a DatasetError, not ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('datasetColumns (the label picker)', () => {
  let dir: string;
  const write = (name: string, data: string | Buffer) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, data);
    return f;
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-columns-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists a CSV header and a TSV header (quotes and a BOM removed)', async () => {
    const csv = write('a.csv', '\uFEFFpages_viewed,"cart_adds",purchased\n3,1,0\n5,2,1\n');
    assert.deepStrictEqual(await datasetColumns(csv), ['pages_viewed', 'cart_adds', 'purchased']);
    const tsv = write('a.tsv', 'x\ty\tlabel\n1\t2\t0\n');
    assert.deepStrictEqual(await datasetColumns(tsv), ['x', 'y', 'label']);
    // the loader reads the same columns
    const ds = await loadDataset({ file: csv, labelColumn: 'purchased', task: 'binary' });
    assert.deepStrictEqual([...ds.featureNames, ds.labelName], ['pages_viewed', 'cart_adds', 'purchased']);
  });

  it('refuses binary bytes named .csv, naming the first control byte, where the loader fails', async () => {
    const bytes = noise(3000, 1234);
    const f = write('bad.csv', bytes);
    assert.strictEqual(firstBinaryByte(bytes), 1234);
    const e = await rejection(datasetColumns(f));
    assert.strictEqual(e.code, 'PARSE_ERROR');
    assert.match(e.message, /^bad\.csv is not a text CSV file: byte 1234 is 0x00/);
    assert.match(e.message, /header row/);
    // the loader does not read these bytes as a dataset either (whatever column it is asked for)
    await rejection(loadDataset({ file: f, labelColumn: -1, task: 'binary' }));
  });

  it('keeps a CSV in a single-byte encoding (é as 0xE9): text, not binary', async () => {
    const f = write('latin1.csv', Buffer.from('caf\xe9,label\n1,0\n2,1\n', 'latin1'));
    assert.strictEqual((await datasetColumns(f)).length, 2);
  });

  it('refuses a .txt the loader cannot tell the format of, and says to rename a CSV one', async () => {
    const f = write('notes.txt', 'a,b,label\n1,2,0\n');
    const e = await rejection(datasetColumns(f));
    assert.strictEqual(e.code, 'UNKNOWN_FORMAT');
    assert.match(e.message, /^notes\.txt is not a dataset file Model Versions reads: it takes \.csv, .*\.npz\. If notes\.txt holds comma-separated values with a header row, rename it to notes\.csv\.$/);
    assert.strictEqual((await rejection(loadDataset({ file: f, labelColumn: -1, task: 'binary' }))).code, 'UNKNOWN_FORMAT');
    const bin = write('blob.bin', noise(100, 3));
    assert.match((await rejection(datasetColumns(bin))).message, /Export the data as CSV/);
  });

  it('lets through a name without a format whose first bytes tell one (JSON Lines), as the loader does', async () => {
    const f = write('records.txt', '{"x": 1, "label": 0}\n{"x": 2, "label": 1}\n');
    assert.deepStrictEqual(await datasetColumns(f), ['x', 'label']);
    const ds = await loadDataset({ file: f, labelColumn: 'label', task: 'binary' });
    assert.strictEqual(ds.rowCount, 2);
  });

  it('says a missing file is missing', async () => {
    const e = await rejection(datasetColumns(path.join(dir, 'gone.csv')));
    assert.strictEqual(e.code, 'NOT_FOUND');
  });
});
