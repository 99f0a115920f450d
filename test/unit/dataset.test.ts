/**
 * Evaluation datasets (src/core/eval/dataset.ts, datasetTable.ts, npy.ts): the shared iris and penguins
 * fixtures, CSV/JSONL written here, NPY/NPZ written by numpy (/usr/bin/python3), batching against model
 * input shapes (one read from a real ONNX fixture), and every error code.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { batchesFor, loadDataset, parseCsvNumber, planBatches, type Dataset, type DatasetSpec } from '../../src/core/eval/dataset';
import { DatasetError, type DatasetErrorCode } from '../../src/core/eval/datasetErrors';
import { CsvByteScanner, parseCsvRecords } from '../../src/core/eval/datasetTable';
import { fortranToC, parseNpy, readNpz } from '../../src/core/eval/npy';
import { readOnnxSummary } from '../../src/core/formats/onnx';
import type { ValueInfo } from '../../src/core/formats/types';
import { loadBothWays } from '../support/datasetBothWays';
import { fixture } from '../support/paths';

const PYTHON = '/usr/bin/python3';
const IRIS = fixture('data', 'iris.json');
const PENGUINS = fixture('data', 'penguins.json');
const HELLO_DEEPA_OLD = fixture('onnx', 'hello_deepa_old.onnx');
const HELLO_DEEPA = fixture('onnx', 'hello_deepa.onnx');

async function rejects(p: Promise<unknown> | (() => unknown), code: DatasetErrorCode, ...fragments: (string | RegExp)[]): Promise<DatasetError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof DatasetError, `expected a DatasetError, got ${String(e)}`);
    assert.strictEqual(e.code, code, `code ${e.code} (message: ${e.message})`);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(e.message.includes(f), `message lacks ${JSON.stringify(f)}: ${e.message}`);
      else assert.match(e.message, f);
    }
    return e;
  }
  assert.fail(`expected DatasetError ${code}, nothing was thrown`);
}

const input = (name: string, shape: ValueInfo['shape'], dtype = 'float32'): ValueInfo => ({ name, dtype, shape });

describe('datasets', function () {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-dataset-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const write = (name: string, content: string | Buffer): string => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, content);
    return p;
  };

  // -------------------------------------------------------------------------------------------
  describe('iris.json (shared fixture)', () => {
    let rows: [number, number, number, number, string][];
    let ds: Dataset;
    before(async () => {
      rows = JSON.parse(fs.readFileSync(IRIS, 'utf8')) as [number, number, number, number, string][];
      ds = await loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass' });
    });

    it('loads 150 rows × 4 features with 3 sorted classes of 50', () => {
      assert.strictEqual(ds.format, 'json');
      assert.strictEqual(ds.rowCount, 150);
      assert.strictEqual(ds.featureCount, 4);
      assert.strictEqual(ds.features.length, 600);
      assert.ok(ds.features instanceof Float32Array);
      assert.ok(ds.labels instanceof Int32Array);
      assert.deepStrictEqual(ds.featureNames, ['0', '1', '2', '3']);
      assert.deepStrictEqual(ds.classNames, ['setosa', 'versicolor', 'virginica']);
      assert.deepStrictEqual(ds.classCounts, [50, 50, 50]);
      assert.strictEqual(ds.dropped, 0);
      assert.strictEqual(ds.totalRows, 150);
      assert.deepStrictEqual(ds.rowShape, [4]);
      assert.deepStrictEqual(ds.warnings, []);
    });

    it('keeps every value and label in file order', () => {
      const sorted = [...new Set(rows.map((r) => r[4]))].sort();
      for (let r = 0; r < 150; r++) {
        for (let j = 0; j < 4; j++) assert.strictEqual(ds.features[r * 4 + j], Math.fround(rows[r][j] as number), `row ${r} col ${j}`);
        assert.strictEqual(ds.labels[r], sorted.indexOf(rows[r][4]), `label of row ${r}`);
      }
    });

    it('sha256 is the file content hash', () => {
      assert.strictEqual(ds.sha256, crypto.createHash('sha256').update(fs.readFileSync(IRIS)).digest('hex'));
      assert.ok(ds.sha256.startsWith('4e7ec0e06fd3098e'), 'fixtures/README.md lists iris.json as 4e7ec0e06fd3098e…');
    });

    it('labelColumn -1 and "4" mean the same column; features by index pick and order columns', async () => {
      const a = await loadDataset({ file: IRIS, labelColumn: -1, task: 'multiclass' });
      const b = await loadDataset({ file: IRIS, labelColumn: '4', task: 'multiclass' });
      assert.deepStrictEqual(a.features, ds.features);
      assert.deepStrictEqual(b.labels, ds.labels);
      const c = await loadDataset({ file: IRIS, labelColumn: 4, features: [3, 0], task: 'multiclass' });
      assert.strictEqual(c.featureCount, 2);
      assert.deepStrictEqual(c.featureNames, ['3', '0']);
      assert.deepStrictEqual([...c.features.subarray(0, 2)], [Math.fround(0.2), Math.fround(5.1)]);
    });

    it('relative paths resolve against baseDir', async () => {
      const d = await loadDataset({ file: 'data/iris.json', labelColumn: 4, task: 'multiclass' }, { baseDir: path.dirname(path.dirname(IRIS)) });
      assert.strictEqual(d.file, IRIS);
      assert.strictEqual(d.rowCount, 150);
    });

    it('classNames given fixes the order; labels are matched by name', async () => {
      const d = await loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass', classNames: ['virginica', 'setosa', 'versicolor'] });
      assert.deepStrictEqual(d.classNames, ['virginica', 'setosa', 'versicolor']);
      assert.strictEqual(d.labels[0], 1); // setosa
      assert.strictEqual(d.labels[149], 0); // virginica
      assert.deepStrictEqual(d.classCounts, [50, 50, 50]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('penguins.json (shared fixture)', () => {
    let rows: Record<string, unknown>[];
    before(() => {
      rows = JSON.parse(fs.readFileSync(PENGUINS, 'utf8')) as Record<string, unknown>[];
    });
    const NUMERIC = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];
    const isNull = (v: unknown): boolean => v === null || v === undefined;

    it('has the 344 rows and 10 rows with missing values that fixtures/README.md says', () => {
      assert.strictEqual(rows.length, 344);
      assert.strictEqual(rows.filter((r) => Object.values(r).some(isNull)).length, 10);
    });

    it("label 'Species' with the numeric features drops exactly the rows missing one of them", async () => {
      const expectDropped = rows.filter((r) => isNull(r.Species) || NUMERIC.some((c) => isNull(r[c])));
      const kept = rows.filter((r) => !expectDropped.includes(r));
      const ds = await loadDataset({ file: PENGUINS, labelColumn: 'Species', features: NUMERIC, task: 'multiclass' });
      assert.strictEqual(ds.dropped, expectDropped.length);
      assert.strictEqual(ds.dropped, 2); // the two rows with nothing but species and island
      assert.strictEqual(ds.rowCount, 344 - expectDropped.length);
      assert.strictEqual(ds.totalRows, 344);
      assert.deepStrictEqual(ds.featureNames, NUMERIC);
      assert.deepStrictEqual(ds.classNames, ['Adelie', 'Chinstrap', 'Gentoo']);
      const count = (s: string): number => kept.filter((r) => r.Species === s).length;
      assert.deepStrictEqual(ds.classCounts, [count('Adelie'), count('Chinstrap'), count('Gentoo')]);
      for (let k = 0; k < kept.length; k++) {
        for (let j = 0; j < 4; j++) assert.strictEqual(ds.features[k * 4 + j], Math.fround(kept[k][NUMERIC[j]] as number));
        assert.strictEqual(ds.classNames![ds.labels[k]], kept[k].Species);
      }
      assert.strictEqual(ds.warnings.length, 1);
      assert.match(ds.warnings[0], /dropped 2 of 344 rows/);
    });

    it('column names match case-insensitively when unambiguous', async () => {
      const ds = await loadDataset({ file: PENGUINS, labelColumn: 'species', features: NUMERIC.map((c) => c.toLowerCase()), task: 'multiclass' });
      assert.strictEqual(ds.rowCount, 342);
      assert.strictEqual(ds.labelName, 'Species');
    });

    it("label 'Sex' (binary): the '.' sex is one more missing marker; rows whose label is missing are dropped", async () => {
      // the real data holds one Sex of '.': as a class it makes 3, so binary refuses it
      await rejects(loadDataset({ file: PENGUINS, labelColumn: 'Sex', features: NUMERIC, task: 'binary' }), 'BAD_SPEC', "has 3: '.', 'FEMALE', 'MALE'");
      const expectDropped = rows.filter((r) => isNull(r.Sex) || r.Sex === '.' || NUMERIC.some((c) => isNull(r[c]))).length;
      const ds = await loadDataset({ file: PENGUINS, labelColumn: 'Sex', features: NUMERIC, task: 'binary', missingValues: ['', 'NA', '.'] });
      assert.strictEqual(ds.dropped, expectDropped);
      assert.strictEqual(ds.dropped, 11);
      assert.deepStrictEqual(ds.classNames, ['FEMALE', 'MALE']);
      assert.deepStrictEqual(ds.classCounts, [rows.filter((r) => r.Sex === 'FEMALE').length, rows.filter((r) => r.Sex === 'MALE').length]);
      // or: classNames given, and the '.' label is reported
      await rejects(
        loadDataset({ file: PENGUINS, labelColumn: 'Sex', features: NUMERIC, task: 'binary', classNames: ['FEMALE', 'MALE'] }),
        'UNKNOWN_LABEL',
        "'.'",
      );
    });

    it("missing: 'error' fails on the first missing value, naming row and column", async () => {
      await rejects(
        loadDataset({ file: PENGUINS, labelColumn: 'Species', features: NUMERIC, task: 'multiclass', missing: 'error' }),
        'MISSING_VALUE',
        'penguins.json row 4',
        "'Beak Length (mm)'",
      );
    });

    it('all columns but the label include text columns: NON_NUMERIC names row and column', async () => {
      await rejects(loadDataset({ file: PENGUINS, labelColumn: 'Species', task: 'multiclass' }), 'NON_NUMERIC', 'row 1', "'Island'", '"Torgersen"');
    });

    it('an unknown column lists the available ones', async () => {
      await rejects(
        loadDataset({ file: PENGUINS, labelColumn: 'species', features: ['bill_length_mm'], task: 'multiclass' }),
        'UNKNOWN_COLUMN',
        "'bill_length_mm'",
        "'Beak Length (mm)'",
        "'Body Mass (g)'",
        "'Island'",
      );
    });

    it('regression on body mass gives float labels', async () => {
      const ds = await loadDataset({ file: PENGUINS, labelColumn: 'Body Mass (g)', features: NUMERIC.slice(0, 3), task: 'regression' });
      assert.ok(ds.labels instanceof Float32Array);
      assert.strictEqual(ds.classNames, undefined);
      assert.strictEqual(ds.labels[0], 3750);
      assert.strictEqual(ds.rowCount, 342);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('CSV', () => {
    it('parses RFC 4180 records exactly: quotes, escaped quotes, delimiters and line breaks in quotes, CRLF, BOM', () => {
      const text = '\uFEFFname,"a,b",c\r\n"x ""quoted"" y","1,5","line1\r\nline2"\r\n,,\r\n\r\nplain,2,"" \r\n';
      const { records, lines } = parseCsvRecords(text);
      assert.deepStrictEqual(records, [
        ['name', 'a,b', 'c'],
        ['x "quoted" y', '1,5', 'line1\r\nline2'],
        ['', '', ''],
        ['plain', '2', ''],
      ]);
      assert.deepStrictEqual(lines, [1, 2, 4, 6]);
    });

    it('a file without a final newline, LF and CR line ends', () => {
      assert.deepStrictEqual(parseCsvRecords('a,b\n1,2').records, [['a', 'b'], ['1', '2']]);
      assert.deepStrictEqual(parseCsvRecords('a,b\r1,2\r').records, [['a', 'b'], ['1', '2']]);
      assert.deepStrictEqual(parseCsvRecords('a;"b;c"\n', ';').records, [['a', 'b;c']]);
    });

    it('loads a CSV with a header: numbers parsed, quoted numbers too, empty cells missing', async () => {
      const file = write(
        'mixed.csv',
        [
          'id,"note, free text",x1,x2,"label"',
          '1,"says ""hi"", twice",0.5,-2,yes',
          '2,"two\r\nlines",1e3,"3.25",no',
          '3,plain,,7,yes', // missing x1: dropped
          '4,"",4,  8 ,no', // empty note is fine (not a feature); spaces around a number are fine
          '5,z,NA,1,yes', // NA is missing
          '',
        ].join('\r\n'),
      );
      const ds = await loadDataset({ file, labelColumn: 'label', features: ['x1', 'x2'], task: 'binary' });
      assert.strictEqual(ds.format, 'csv');
      assert.strictEqual(ds.totalRows, 5);
      assert.strictEqual(ds.dropped, 2);
      assert.strictEqual(ds.rowCount, 3);
      assert.deepStrictEqual([...ds.features], [0.5, -2, 1000, 3.25, 4, 8]);
      assert.deepStrictEqual(ds.classNames, ['no', 'yes']);
      assert.deepStrictEqual([...ds.labels], [1, 0, 0]);
      assert.match(ds.warnings[0], /dropped 2 of 5 rows of mixed\.csv with missing values \('x1' ×2\)/);
    });

    it('numeric labels sort numerically and 1 / "1.0" are the same class', async () => {
      const file = write('num.csv', 'f,y\n1,10\n2,9\n3,1.0\n4,1\n5,10\n');
      const ds = await loadDataset({ file, labelColumn: 'y', task: 'multiclass' });
      assert.deepStrictEqual(ds.classNames, ['1', '9', '10']);
      assert.deepStrictEqual([...ds.labels], [2, 1, 0, 0, 2]);
    });

    it('TSV and header-less CSV', async () => {
      const tsv = write('t.tsv', 'a\tb\tlab\n1\t2\tp\n3\t4\tq\n');
      const d1 = await loadDataset({ file: tsv, labelColumn: 'lab', task: 'binary' });
      assert.deepStrictEqual([...d1.features], [1, 2, 3, 4]);
      const csv = write('nohead.csv', '1,2,0\n3,4,1\n');
      const d2 = await loadDataset({ file: csv, labelColumn: 2, task: 'binary', csv: { header: false } });
      assert.deepStrictEqual([...d2.features], [1, 2, 3, 4]);
      assert.deepStrictEqual([...d2.labels], [0, 1]);
    });

    it('ragged rows name the line', async () => {
      const file = write('ragged.csv', 'a,b,c\n1,2,3\n4,5\n');
      await rejects(loadDataset({ file, labelColumn: 'c', task: 'regression' }), 'RAGGED', 'line 3', '2 fields', 'header has 3');
    });

    it('an unclosed quote is a PARSE_ERROR with its line', async () => {
      const file = write('open.csv', 'a,b\n1,"2\n3,4\n');
      await rejects(loadDataset({ file, labelColumn: 'b', task: 'regression' }), 'PARSE_ERROR', 'line 2', 'never closed');
    });

    it('a non-numeric cell names line and column', async () => {
      const file = write('text.csv', 'a,b,y\n1,2,0\n3,four,1\n');
      await rejects(loadDataset({ file, labelColumn: 'y', task: 'binary' }), 'NON_NUMERIC', 'text.csv line 3', "column 'b'", '"four"');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('JSON and JSONL', () => {
    it('JSONL of objects (blank lines skipped, missing keys are missing values)', async () => {
      const file = write(
        'rows.jsonl',
        ['{"a": 1, "b": 2.5, "t": 0.25}', '', '{"b": 3, "a": 4, "t": 1}', '{"a": 5, "t": 2}', '{"a": true, "b": false, "t": -1}', ''].join('\n'),
      );
      const ds = await loadDataset({ file, labelColumn: 't', task: 'regression' });
      assert.strictEqual(ds.format, 'jsonl');
      assert.deepStrictEqual(ds.featureNames, ['a', 'b']);
      assert.strictEqual(ds.dropped, 1);
      assert.deepStrictEqual([...ds.features], [1, 2.5, 4, 3, 1, 0]);
      assert.deepStrictEqual([...ds.labels], [0.25, 1, -1]);
    });

    it('JSONL of arrays, and .ndjson by extension', async () => {
      const file = write('rows.ndjson', '[1, 2, "a"]\r\n[3, 4, "b"]\r\n[5, 6, "a"]\r\n');
      const ds = await loadDataset({ file, labelColumn: -1, task: 'binary' });
      assert.strictEqual(ds.format, 'jsonl');
      assert.deepStrictEqual([...ds.features], [1, 2, 3, 4, 5, 6]);
      assert.deepStrictEqual([...ds.labels], [0, 1, 0]);
    });

    it('a bad JSONL line names its line', async () => {
      const file = write('bad.jsonl', '{"a": 1, "y": 0}\n{"a": 2, "y": \n');
      await rejects(loadDataset({ file, labelColumn: 'y', task: 'binary' }), 'PARSE_ERROR', 'line 2');
    });

    it('JSON arrays of different lengths are RAGGED; mixed rows are a PARSE_ERROR', async () => {
      await rejects(loadDataset({ file: write('r.json', '[[1,2,0],[3,1]]'), labelColumn: -1, task: 'binary' }), 'RAGGED', 'row 2 has 2 values', 'row 1 has 3');
      await rejects(loadDataset({ file: write('m.json', '[[1,2,0],{"a":1}]'), labelColumn: -1, task: 'binary' }), 'PARSE_ERROR', 'row 2 is an object');
      await rejects(loadDataset({ file: write('o.json', '{"a":[1]}'), labelColumn: 0, task: 'binary' }), 'PARSE_ERROR', 'array of rows');
    });

    it('labels given as class indices with classNames', async () => {
      const file = write('idx.json', '[[0.1, 0], [0.2, 2], [0.3, 1]]');
      const ds = await loadDataset({ file, labelColumn: 1, task: 'multiclass', classNames: ['cat', 'dog', 'bird'] });
      assert.deepStrictEqual([...ds.labels], [0, 2, 1]);
      assert.deepStrictEqual(ds.classCounts, [1, 1, 1]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('NPY and NPZ written by numpy', function () {
    this.timeout(120000);
    interface Expected {
      [name: string]: { shape: number[]; values: (number | boolean)[]; descr: string };
    }
    let expected: Expected;
    const PY = `
import sys, json, zipfile, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)
arrays = {
  'f4': rng.standard_normal((5, 3)).astype('<f4'),
  'f8': np.array([[1.5, -2.25, 1e-300], [np.pi, 1e300, -0.0]], dtype='<f8'),
  'i8': np.array([0, -1, 2**53, -2**53, 123456789012], dtype='<i8'),
  'u1': np.arange(0, 256, 15, dtype='u1').reshape(2, 9),
  'b1': np.array([[True, False, True], [False, False, True]]),
  'i4': np.array([-2147483648, 2147483647, 0], dtype='<i4'),
  'f2': np.array([0.5, -2, 65504, 1e-4, 6e-8], dtype='<f2'),
  'be_f8': np.array([1.25, -3.5, 7.0], dtype='>f8'),
  'be_i4': np.array([1, -2, 300000], dtype='>i4'),
  'i2': np.array([-300, 300], dtype='<i2'),
  'u4': np.array([4000000000, 1], dtype='<u4'),
  'fortran': np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)),
}
res = {}
for name, a in arrays.items():
    np.save(f'{out}/{name}.npy', a)
    res[name] = {'shape': list(a.shape), 'values': np.ascontiguousarray(a).ravel().tolist(), 'descr': a.dtype.str}
for ver in [(1, 0), (2, 0), (3, 0)]:
    with open(f'{out}/v{ver[0]}.npy', 'wb') as f:
        np.lib.format.write_array(f, arrays['f4'], version=ver)
np.save(f'{out}/strings.npy', np.array(['a', 'bc']))
np.save(f'{out}/complex.npy', np.array([1+2j]))
np.save(f'{out}/objects.npy', np.array([1, 'a', None], dtype=object), allow_pickle=True)
np.save(f'{out}/record.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))
x = rng.standard_normal((7, 1, 24, 96)).astype('<f4')
y = np.array([0, 1, 1, 0, 1, 0, 0], dtype='<i8')
np.savez(f'{out}/stored.npz', x=x, y=y)
np.savez_compressed(f'{out}/deflated.npz', feats=x.reshape(7, -1), target=y.astype('|b1'), extra=np.arange(3))
tab = np.array([[1, 2, 0], [3, np.nan, 1], [5, 6, 1], [7, 8, 0]], dtype='<f8')
np.save(f'{out}/table.npy', tab)
np.savez(f'{out}/onehot.npz', x=tab[:, :2], y=np.eye(3)[[0, 2, 1, 2]])
np.savez(f'{out}/mismatch.npz', x=np.zeros((4, 2)), y=np.zeros(3))
with zipfile.ZipFile(f'{out}/bz2.npz', 'w', compression=zipfile.ZIP_BZIP2) as z:
    with z.open('x.npy', 'w') as f:
        np.lib.format.write_array(f, arrays['f4'])
res['x'] = {'shape': list(x.shape), 'values': x.ravel().tolist(), 'descr': x.dtype.str}
res['y'] = {'shape': list(y.shape), 'values': y.tolist(), 'descr': y.dtype.str}
print(json.dumps(res))
`;
    before(() => {
      const stdout = execFileSync(PYTHON, ['-c', PY, tmp], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expected = JSON.parse(stdout) as Expected;
    });

    const same = (name: string, file = `${name}.npy`): void => {
      const arr = parseNpy(fs.readFileSync(path.join(tmp, file)), file);
      const exp = expected[name];
      assert.deepStrictEqual(arr.shape, exp.shape, `${name} shape`);
      assert.strictEqual(arr.descr, exp.descr);
      assert.strictEqual(arr.data.length, exp.values.length);
      exp.values.forEach((v, i) => {
        const want = typeof v === 'boolean' ? (v ? 1 : 0) : v;
        assert.ok(Object.is(arr.data[i], want), `${name}[${i}]: ${arr.data[i]} ≠ ${want}`);
      });
    };

    for (const name of ['f4', 'f8', 'i8', 'u1', 'b1', 'i4', 'f2', 'be_f8', 'be_i4', 'i2', 'u4']) {
      it(`reads ${name} exactly`, () => same(name));
    }

    it('dtypes map to ONNX names and typed arrays', () => {
      const rd = (n: string) => parseNpy(fs.readFileSync(path.join(tmp, `${n}.npy`)));
      assert.strictEqual(rd('f4').dtype, 'float32');
      assert.ok(rd('f4').data instanceof Float32Array);
      assert.strictEqual(rd('f8').dtype, 'float64');
      assert.strictEqual(rd('i8').dtype, 'int64');
      assert.ok(rd('i8').data instanceof Float64Array);
      assert.strictEqual(rd('u1').dtype, 'uint8');
      assert.strictEqual(rd('b1').dtype, 'bool');
      assert.ok(rd('b1').data instanceof Uint8Array);
    });

    it('a Fortran-order array comes back in C order', () => {
      const arr = parseNpy(fs.readFileSync(path.join(tmp, 'fortran.npy')));
      assert.strictEqual(arr.fortranOrder, true);
      same('fortran');
      assert.deepStrictEqual([...fortranToC(new Float32Array([1, 3, 2, 4]), [2, 2])], [1, 2, 3, 4]);
    });

    it('format versions 1.0, 2.0 and 3.0', () => {
      for (const v of [1, 2, 3]) {
        const buf = fs.readFileSync(path.join(tmp, `v${v}.npy`));
        assert.strictEqual(buf[6], v);
        const arr = parseNpy(buf);
        assert.deepStrictEqual([...arr.data], expected.f4.values);
      }
    });

    it('unsupported dtypes are UNSUPPORTED_DTYPE, naming the dtype', async () => {
      for (const [n, frag] of [
        ['strings', "'<U2'"],
        ['complex', "'<c16'"],
        ['objects', "'|O'"],
        ['record', 'structured'],
      ]) {
        await rejects(() => parseNpy(fs.readFileSync(path.join(tmp, `${n}.npy`)), `${n}.npy`), 'UNSUPPORTED_DTYPE', frag);
      }
      await rejects(loadDataset({ file: path.join(tmp, 'strings.npy'), labelColumn: 0, task: 'binary' }), 'UNSUPPORTED_DTYPE', 'strings.npy');
    });

    it('a truncated .npy is a PARSE_ERROR', async () => {
      const buf = fs.readFileSync(path.join(tmp, 'f8.npy'));
      await rejects(() => parseNpy(buf.subarray(0, buf.length - 3), 'cut.npy'), 'PARSE_ERROR', 'truncated');
    });

    it('NPZ stored (np.savez): arrays by name, equal values', () => {
      const z = readNpz(fs.readFileSync(path.join(tmp, 'stored.npz')));
      assert.deepStrictEqual(z.names, ['x', 'y']);
      const x = z.get('x');
      assert.deepStrictEqual(x.shape, [7, 1, 24, 96]);
      assert.deepStrictEqual([...x.data], expected.x.values);
      assert.deepStrictEqual([...z.get('y').data], expected.y.values);
    });

    it('NPZ deflated (np.savez_compressed)', () => {
      const z = readNpz(fs.readFileSync(path.join(tmp, 'deflated.npz')));
      assert.deepStrictEqual(z.names.sort(), ['extra', 'feats', 'target']);
      assert.deepStrictEqual(z.get('feats').shape, [7, 2304]);
      assert.deepStrictEqual([...z.get('feats').data], expected.x.values);
      assert.deepStrictEqual([...z.get('target').data], expected.y.values);
      assert.strictEqual(z.get('target').dtype, 'bool');
    });

    it('loadDataset on NPZ: default x/y, the sample shape is the row shape', async () => {
      const ds = await loadDataset({ file: path.join(tmp, 'stored.npz'), task: 'binary' });
      assert.strictEqual(ds.format, 'npz');
      assert.strictEqual(ds.rowCount, 7);
      assert.strictEqual(ds.featureCount, 2304);
      assert.deepStrictEqual(ds.rowShape, [1, 24, 96]);
      assert.deepStrictEqual(ds.classNames, ['0', '1']);
      assert.deepStrictEqual([...ds.labels], expected.y.values);
      assert.deepStrictEqual([...ds.features], expected.x.values);
      assert.strictEqual(ds.labelName, 'y');
    });

    it('loadDataset on NPZ with named arrays and inputShape', async () => {
      const ds = await loadDataset({ file: path.join(tmp, 'deflated.npz'), task: 'binary', npz: { x: 'feats', y: 'target' }, inputShape: [1, 24, 96] });
      assert.deepStrictEqual(ds.rowShape, [1, 24, 96]);
      assert.strictEqual(ds.rowShapeFromSpec, true);
      assert.deepStrictEqual([...ds.labels], expected.y.values);
      const byLabel = await loadDataset({ file: path.join(tmp, 'deflated.npz'), task: 'binary', npz: { x: 'feats' }, labelColumn: 'target' });
      assert.deepStrictEqual([...byLabel.labels], expected.y.values);
      const nope = await rejects(loadDataset({ file: path.join(tmp, 'deflated.npz'), task: 'binary', npz: { x: 'feats', y: 'nope' } }), 'UNKNOWN_COLUMN', "'nope'", "'target'", "'extra'");
      assert.deepStrictEqual(nope.fix, { kind: 'npzArray', role: 'labels', names: ['feats', 'target', 'extra'] });
    });

    it('NPZ without default names: the error names the arrays and what to choose, in no option\'s words; one feature "column" naming an array is the feature array', async () => {
      const file = path.join(tmp, 'deflated.npz');
      const noX = await rejects(loadDataset({ file, task: 'binary' }), 'UNKNOWN_COLUMN', 'has no feature array named x, X, features or arr_0', "it holds 'feats', 'target', 'extra'", 'name the array that holds the features');
      assert.deepStrictEqual(noX.fix, { kind: 'npzArray', role: 'features', names: ['feats', 'target', 'extra'] });
      const noY = await rejects(loadDataset({ file, task: 'binary', features: ['feats'] }), 'UNKNOWN_COLUMN', 'has no label array named y, Y, labels or arr_1', "or a label column inside 'feats'");
      assert.deepStrictEqual(noY.fix, { kind: 'npzArray', role: 'labels', names: ['feats', 'target', 'extra'] });
      for (const e of [noX, noY]) assert.doesNotMatch(e.message, /spec\./);
      // what the CLI's --features X --label Y give
      const ds = await loadDataset({ file, task: 'binary', features: ['feats'], labelColumn: 'target' });
      assert.deepStrictEqual(ds.featureNames.slice(0, 2), ['feats[0]', 'feats[1]']);
      assert.strictEqual(ds.featureCount, 2304);
      assert.deepStrictEqual([...ds.features], expected.x.values);
      assert.deepStrictEqual([...ds.labels], expected.y.values);
      // feature "columns" that name no array stay columns of the feature array
      const cols = await loadDataset({ file, task: 'binary', npz: { x: 'feats' }, labelColumn: 'target', features: ['0', '5'] });
      assert.deepStrictEqual(cols.featureNames, ['feats[0]', 'feats[5]']);
      assert.deepStrictEqual([...cols.features.subarray(0, 2)], [expected.x.values[0], expected.x.values[5]]);
    });

    it('an NPZ array\'s shape from its header alone, stored or deflated (shapes as numpy has them)', () => {
      const stored = readNpz(fs.readFileSync(path.join(tmp, 'stored.npz')));
      assert.deepStrictEqual(stored.names.map((n) => stored.shape(n)), [expected.x.shape, expected.y.shape]);
      const deflated = readNpz(fs.readFileSync(path.join(tmp, 'deflated.npz')));
      assert.deepStrictEqual(deflated.names.map((n) => deflated.shape(n)), [[7, 2304], [7], [3]]);
      assert.strictEqual(deflated.shape('nope'), undefined);
      const bz2 = readNpz(fs.readFileSync(path.join(tmp, 'bz2.npz')));
      assert.strictEqual(bz2.shape('x'), undefined, 'bzip2: not read');
    });

    it('a 2-D .npy with the label as a column; NaN is missing', async () => {
      const ds = await loadDataset({ file: path.join(tmp, 'table.npy'), labelColumn: -1, task: 'binary' });
      assert.strictEqual(ds.format, 'npy');
      assert.strictEqual(ds.dropped, 1);
      assert.deepStrictEqual([...ds.features], [1, 2, 5, 6, 7, 8]);
      assert.deepStrictEqual([...ds.labels], [0, 1, 0]);
    });

    it('one-hot labels become class indices', async () => {
      const ds = await loadDataset({ file: path.join(tmp, 'onehot.npz'), task: 'multiclass' });
      assert.strictEqual(ds.dropped, 1); // x has a NaN in row 1
      assert.deepStrictEqual([...ds.labels], [0, 1, 2]);
      assert.ok(ds.warnings.some((w) => w.includes('one-hot')));
    });

    it('x and y of different lengths are RAGGED; bzip2 entries UNSUPPORTED', async () => {
      await rejects(loadDataset({ file: path.join(tmp, 'mismatch.npz'), task: 'regression' }), 'RAGGED', "'x' has 4 rows", "'y' has shape (3)");
      await rejects(loadDataset({ file: path.join(tmp, 'bz2.npz'), labelColumn: 0, task: 'regression' }), 'UNSUPPORTED', 'compression method 12');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('batching', () => {
    let iris: Dataset;
    let wide: Dataset;
    before(async () => {
      iris = await loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass' });
      // 5 rows × 2304 features (+ label), as JSON arrays
      const rows = Array.from({ length: 5 }, (_, r) => [...Array.from({ length: 2304 }, (_, j) => r * 10000 + j), r % 2]);
      const file = write('wide.json', JSON.stringify(rows));
      wide = await loadDataset({ file, labelColumn: -1, task: 'binary', inputShape: [1, 24, 96] });
    });

    const all = (ds: Dataset, info: ValueInfo, n: number) => [...batchesFor(ds, info, n)];

    it('[batch,4]: batches of 32 with the batch dim filled in, rows in order', () => {
      for (const shape of [['batch', 4], [-1, 4], [null, 4], ['N', 'features']] as ValueInfo['shape'][]) {
        const bs = all(iris, input('x', shape), 32);
        assert.deepStrictEqual(bs.map((b) => b.dims), [[32, 4], [32, 4], [32, 4], [32, 4], [22, 4]], JSON.stringify(shape));
        assert.deepStrictEqual(bs.map((b) => b.start), [0, 32, 64, 96, 128]);
        const joined = new Float32Array(600);
        bs.forEach((b) => joined.set(b.data, b.start * 4));
        assert.deepStrictEqual(joined, iris.features);
        assert.deepStrictEqual([...bs[4].labels], [...iris.labels.subarray(128)]);
        bs.forEach((b) => assert.strictEqual(b.data.length, b.dims.reduce((x, y) => x * y, 1)));
      }
    });

    it('a model with no input shape gets [n, …row]', () => {
      const bs = all(iris, input('x', null), 100);
      assert.deepStrictEqual(bs.map((b) => b.dims), [[100, 4], [50, 4]]);
    });

    it('[batch,1,24,96] with inputShape [1,24,96]', () => {
      const bs = all(wide, input('x', ['batch', 1, 24, 96]), 2);
      assert.deepStrictEqual(bs.map((b) => b.dims), [[2, 1, 24, 96], [2, 1, 24, 96], [1, 1, 24, 96]]);
      assert.strictEqual(bs[2].data[0], 40000);
      assert.strictEqual(bs[2].data[2303], 42303);
    });

    it('a fixed batch of 1 (hello_deepa_old.onnx takes float32[1,24,96]) feeds one row per tensor', async () => {
      const inp = (await readOnnxSummary(HELLO_DEEPA_OLD)).inputs[0];
      assert.deepStrictEqual(inp.shape, [1, 24, 96]);
      const flat = await loadDataset({ file: wide.file, labelColumn: -1, task: 'binary' });
      // the flat 2304-feature row is reshaped onto [24,96] (no inputShape given), with a note
      const plan = planBatches(flat, inp, 64);
      assert.strictEqual(plan.batchSize, 1);
      assert.ok(plan.notes.some((n) => n.includes('reshaped')));
      const bs = all(flat, inp, 64);
      assert.strictEqual(bs.length, 5);
      bs.forEach((b, i) => {
        assert.deepStrictEqual(b.dims, [1, 24, 96]);
        assert.strictEqual(b.data[0], i * 10000);
        assert.strictEqual(b.count, 1);
      });
      // inputShape [24,96] and [1,24,96] fit too
      const d2 = await loadDataset({ file: wide.file, labelColumn: -1, task: 'binary', inputShape: [24, 96] });
      assert.deepStrictEqual(all(d2, inp, 8).map((b) => b.dims), Array(5).fill([1, 24, 96]));
      assert.deepStrictEqual(all(wide, inp, 8).map((b) => b.dims), Array(5).fill([1, 24, 96]));
    });

    it('hello_deepa.onnx (float32[1,25,96]) does not fit 24×96 rows: the error names both shapes', async () => {
      const inp = (await readOnnxSummary(HELLO_DEEPA)).inputs[0];
      assert.deepStrictEqual(inp.shape, [1, 25, 96]);
      await rejects(
        () => batchesFor(wide, inp, 8),
        'SHAPE_MISMATCH',
        `the model's input '${inp.name}' takes float32[1,25,96]`,
        'each row of wide.json has 2304 features shaped [1,24,96] by the input shape given',
        'The model needs 2400 values per row',
      );
    });

    it('unit dimensions may differ: a [1,24,96] row fits [batch,24,96], a [24,96] row fits [batch,1,24,96]', async () => {
      assert.deepStrictEqual(all(wide, input('x', ['batch', 24, 96]), 4).map((b) => b.dims), [[4, 24, 96], [1, 24, 96]]);
      const d2 = await loadDataset({ file: wide.file, labelColumn: -1, task: 'binary', inputShape: [24, 96] });
      assert.deepStrictEqual(all(d2, input('x', ['batch', 1, 24, 96]), 4).map((b) => b.dims), [[4, 1, 24, 96], [1, 1, 24, 96]]);
    });

    it('a fixed batch > 1 pads the last tensor with zeros and says how many rows are real', () => {
      const bs = all(iris, input('x', [64, 4]), 10);
      assert.deepStrictEqual(bs.map((b) => [b.dims[0], b.count]), [[64, 64], [64, 64], [64, 22]]);
      assert.strictEqual(bs[2].data[22 * 4], 0);
      assert.strictEqual(bs[2].labels.length, 22);
    });

    it('symbolic inner dims take the row size', () => {
      const bs = all(wide, input('x', ['b', 'c', 24, 'w']), 5);
      assert.deepStrictEqual(bs[0].dims, [5, 1, 24, 96]);
    });

    it('a shape mismatch names both shapes and says what to do', async () => {
      await rejects(
        () => batchesFor(iris, input('user_behaviour', ['batch', 10]), 16),
        'SHAPE_MISMATCH',
        "the model's input 'user_behaviour' takes float32[batch,10] but each row of iris.json has 4 features",
        'The model needs 10 values per row',
        'choose 10 feature columns (the label is not a feature)',
      );
      const free = await rejects(() => batchesFor(iris, input('x', ['batch', 'seq', 4]), 16), 'SHAPE_MISMATCH', 'float32[batch,seq,4]', 'give the input shape, how one row maps onto [seq,4]');
      assert.deepStrictEqual(free.fix, { kind: 'rowShape' });
      const count = await rejects(() => batchesFor(iris, input('x', ['batch', 10]), 16), 'SHAPE_MISMATCH');
      assert.deepStrictEqual(count.fix, { kind: 'features' });
      for (const e of [free, count]) assert.doesNotMatch(e.message, /spec\./);
    });

    it('mismatch with an explicit inputShape suggests the shape that fits', async () => {
      const d = await loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass', inputShape: [2, 2] });
      const e = await rejects(() => batchesFor(d, input('x', ['batch', 4]), 8), 'SHAPE_MISMATCH', 'float32[batch,4]', 'shaped [2,2] by the input shape given', 'give the input shape [4] (or none)');
      assert.deepStrictEqual(e.fix, { kind: 'rowShape' });
      await rejects(() => batchesFor(wide, input('x', ['batch', 96, 24]), 8), 'SHAPE_MISMATCH', 'float32[batch,96,24]', '2304 features', 'give the input shape [96,24]');
    });

    it('an input without a batch dimension takes one row per run; a free first dimension is a batch, never part of a row', async () => {
      const one = all(iris, input('x', [4]), 8);
      assert.deepStrictEqual(one[0].dims, [4]);
      assert.strictEqual(one.length, iris.rowCount);
      const d = await loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass', inputShape: [2, 2, 1] });
      const e = await rejects(() => batchesFor(d, input('x', ['batch', 'h', 'w']), 8), 'SHAPE_MISMATCH', 'shaped [2,2,1] by the input shape given', 'how one row maps onto [h,w]');
      assert.deepStrictEqual(e.fix, { kind: 'rowShape' });
    });

    it('bad batch sizes and string inputs are refused', async () => {
      await rejects(() => batchesFor(iris, input('x', ['batch', 4]), 0), 'BAD_SPEC', 'batch size');
      await rejects(() => batchesFor(iris, input('x', ['batch', 4], 'string'), 4), 'SHAPE_MISMATCH', 'string');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('errors', () => {
    it('NOT_FOUND: a missing file, and a directory', async () => {
      await rejects(loadDataset({ file: path.join(tmp, 'nope.csv'), labelColumn: 0, task: 'binary' }), 'NOT_FOUND', 'nope.csv', 'does not exist');
      await rejects(loadDataset({ file: tmp, labelColumn: 0, task: 'binary' }), 'NOT_FOUND', 'not a file');
    });

    it('UNKNOWN_COLUMN: header-less data says to use indices', async () => {
      await rejects(loadDataset({ file: IRIS, labelColumn: 'species', task: 'multiclass' }), 'UNKNOWN_COLUMN', "'species'", 'by index', '0–4');
      await rejects(loadDataset({ file: IRIS, labelColumn: 5, task: 'multiclass' }), 'UNKNOWN_COLUMN', 'out of range');
    });

    it('EMPTY: no rows, only a header, and all rows dropped', async () => {
      await rejects(loadDataset({ file: write('empty.json', '[]'), labelColumn: 0, task: 'binary' }), 'EMPTY', 'no data rows');
      await rejects(loadDataset({ file: write('head.csv', 'a,b\n'), labelColumn: 'b', task: 'binary' }), 'EMPTY');
      await rejects(loadDataset({ file: write('blank.csv', ''), labelColumn: 'b', task: 'binary' }), 'EMPTY');
      await rejects(loadDataset({ file: write('allna.csv', 'a,b\n,1\nNA,0\n'), labelColumn: 'b', task: 'binary' }), 'EMPTY', 'all 2');
    });

    it('BAD_SPEC: binary with 3 classes, no label column, label as feature', async () => {
      await rejects(loadDataset({ file: IRIS, labelColumn: 4, task: 'binary' }), 'BAD_SPEC', "task 'binary' needs 2 classes", "use task 'multiclass'");
      await rejects(loadDataset({ file: IRIS, task: 'multiclass' }), 'BAD_SPEC', 'labelColumn');
      await rejects(loadDataset({ file: IRIS, labelColumn: 4, features: [0, 4], task: 'multiclass' }), 'BAD_SPEC', 'both the label and a feature');
      await rejects(loadDataset({ file: IRIS, labelColumn: 4, task: 'ranking' } as unknown as DatasetSpec), 'BAD_SPEC', 'ranking');
    });

    it('BAD_INPUT_SHAPE: the product must equal the feature count', async () => {
      await rejects(loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass', inputShape: [1, 24, 96] }), 'BAD_INPUT_SHAPE', 'holds 2304 values', '4 features');
      await rejects(loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass', inputShape: [0, 4] }), 'BAD_INPUT_SHAPE', 'positive integers');
    });

    it('UNKNOWN_LABEL: a label not in classNames', async () => {
      await rejects(loadDataset({ file: IRIS, labelColumn: 4, task: 'multiclass', classNames: ['setosa', 'versicolor'] }), 'UNKNOWN_LABEL', "'virginica'");
    });

    it('NON_NUMERIC: a regression label that is text', async () => {
      await rejects(loadDataset({ file: IRIS, labelColumn: 4, task: 'regression' }), 'NON_NUMERIC', 'row 1', '"setosa"', 'regression');
    });

    it('PARSE_ERROR: random bytes named .csv or .tsv (or read as CSV by spec.format) are not taken as a header and rows, either way the file is read', async () => {
      const bytes = Buffer.from('id,label\n1,0\n' + 'x'.repeat(40), 'latin1');
      bytes[30] = 0x01; // a control character, 30 bytes in
      for (const [name, format] of [['blob.csv', undefined], ['blob.tsv', undefined], ['blob.dat', 'csv']] as const) {
        const file = write(name, bytes);
        const e = await rejects(loadDataset({ file, labelColumn: 'label', task: 'binary', ...(format ? { format } : {}) }), 'PARSE_ERROR', `${name} is not a text`, 'byte 30 is 0x01', 'export the data as CSV');
        await rejects(loadDataset({ file, labelColumn: 'label', task: 'binary', ...(format ? { format } : {}) }, { csvFastPath: false }), 'PARSE_ERROR', e.message);
        await loadBothWays({ file, labelColumn: 'label', task: 'binary', ...(format ? { format } : {}) }, name);
      }
      // only the first 64 KiB are looked at: a control byte after them is a cell's problem, found where it is
      const late = Buffer.concat([Buffer.from('id,label\n' + '1,0\n'.repeat(20_000)), Buffer.from([0x01]), Buffer.from(',1\n')]);
      await rejects(loadDataset({ file: write('late.csv', late), labelColumn: 'label', task: 'binary' }), 'NON_NUMERIC');
    });

    it('UNKNOWN_FORMAT: neither extension nor bytes tell', async () => {
      await rejects(loadDataset({ file: write('data.bin', 'hello'), labelColumn: 0, task: 'binary' }), 'UNKNOWN_FORMAT', 'spec.format');
      const ds = await loadDataset({ file: write('data.txt', '[[1, 0], [2, 1]]'), labelColumn: 1, task: 'binary' });
      assert.strictEqual(ds.format, 'json');
      const forced = await loadDataset({ file: write('data.dat', 'a,y\n1,0\n2,1\n'), format: 'csv', labelColumn: 'y', task: 'binary' });
      assert.strictEqual(forced.rowCount, 2);
    });

    it('PARSE_ERROR: invalid JSON, a non-zip .npz, a non-npy .npy', async () => {
      await rejects(loadDataset({ file: write('broken.json', '[[1, 2],'), labelColumn: 0, task: 'binary' }), 'PARSE_ERROR', 'broken.json is not valid JSON');
      await rejects(loadDataset({ file: write('fake.npz', 'not a zip at all, just some text here'), task: 'binary' }), 'PARSE_ERROR', 'fake.npz');
      await rejects(loadDataset({ file: write('fake.npy', 'nope'), labelColumn: 0, task: 'binary' }), 'PARSE_ERROR', 'magic');
    });
  });
  // -------------------------------------------------------------------------------------------
  describe('CSV numeric fast path = the general path', () => {
    const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
    const TRICKY = [
      '0', '-0', '+0', '1', '-1', '+1', '.5', '-.5', '+.5', '5.', '-5.', '1e3', '1E3', '1e+3', '1e-3', '-2.5E-2', '1.5e0',
      '0.1', '0.2', '0.3', '16777217', '16777219', '-16777217', '0.1234567890123456789012345', '1234567890123456789012',
      '123456789012345', '1234567890123456', '0.000000000000000000000000000001', '3.4028234663852886e38', '3.4028235677973366e38',
      '3.4028236e38', '1e38', '1e39', '1.4e-45', '7e-46', '7.000001e-46', '1e-46', '1e-400', '-1e-400', '1e400', '1e22', '1e23',
      '9007199254740993', '4.35', '2.675', '0e999999', '00001.5000', '1.00000005960464477539062', '1.0000000596046448',
      'nan', 'NaN', 'inf', '-inf', 'Infinity', '', ' ', ' 1.5', '1.5 ', '1e', '1e+', 'e5', '.', '-', '+', '+-1', '1.5.2', '0x10',
      '1_000', '１', '1,5', '--1', '.e1', '5.e2', '.5e-2',
    ];
    const bytesOf = (t: string): Buffer => Buffer.from(t, 'latin1');
    const expected = (t: string): number => {
      const x = NUMERIC.test(t) ? Number(t) : NaN;
      return Number.isFinite(x) ? x : NaN;
    };

    it('parseCsvNumber gives Number(text) (so the same float32) for every plain number, NaN for the rest', () => {
      const rnd = mulberry(5);
      const digits = (k: number): string => Array.from({ length: k }, () => String(Math.floor(rnd() * 10))).join('');
      const samples = [...TRICKY];
      for (let i = 0; i < 20000; i++) {
        const sign = ['', '-', '+'][Math.floor(rnd() * 3)];
        const int = digits(Math.floor(rnd() * 12));
        const frac = rnd() < 0.7 ? '.' + digits(Math.floor(rnd() * 20)) : '';
        const exp = rnd() < 0.3 ? ['e', 'E'][Math.floor(rnd() * 2)] + ['', '-', '+'][Math.floor(rnd() * 3)] + digits(Math.floor(rnd() * 3)) : '';
        samples.push(sign + int + frac + exp);
        // float32 halfway points: exact midpoints between neighbouring float32s, written out in full
        const f = Math.fround((rnd() - 0.5) * 10 ** Math.floor(rnd() * 20 - 10));
        const next = new Float32Array([f]);
        new Uint32Array(next.buffer)[0]++;
        samples.push(((f + next[0]) / 2).toPrecision(17), ((f + next[0]) / 2).toPrecision(9));
      }
      let numbers = 0;
      for (const t of samples) {
        const b = bytesOf(' ' + t + ','); // a field inside other bytes
        const got = parseCsvNumber(b, 1, 1 + t.length);
        const want = expected(t);
        assert.ok(Object.is(got, want), `${JSON.stringify(t)}: got ${got}, Number() gives ${want}`);
        assert.ok(Object.is(Math.fround(got), Math.fround(want)), JSON.stringify(t));
        if (!Number.isNaN(want)) numbers++;
      }
      assert.ok(numbers > 15000, `only ${numbers} of the samples were numbers`);
    });

    const CASES: { name: string; text: string | Buffer; spec?: Partial<DatasetSpec> }[] = [
      { name: 'plain', text: 'a,b,label\n1e3,-2.5E-2,x\n+1,.5,y\n5.,-0,x\n' },
      { name: 'crlf, no final newline', text: 'a,b,label\r\n1,2,x\r\n3,4,y' },
      { name: 'lone CR line ends and blank lines', text: 'a,b,label\r1,2,x\r\r\n\n3,4,y\r' },
      { name: 'BOM', text: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b,label\n1,2,x\n3,4,y\n')]) },
      { name: 'nan / NaN are missing, rows dropped', text: 'a,b,label\nnan,1,x\n1,NaN,y\n2,3,x\n4,5,y\n' },
      { name: 'inf is not a number', text: 'a,b,label\n1,inf,x\n' },
      { name: 'empty fields', text: 'a,b,label\n1,,x\n,2,y\n3,4,\n5,6,x\n7,8,y\n' },
      { name: 'empty fields, missing: error', text: 'a,b,label\n1,2,x\n1,,x\n', spec: { missing: 'error' } },
      { name: 'missing label, missing: error', text: 'a,b,label\n1,2,x\n1,3,NA\n', spec: { missing: 'error' } },
      { name: 'quoted fields mixed in', text: 'a,b,label\n"1.5",2,"x"\n3," 4 ",y\n"5" ,6,z\n' },
      { name: 'quoted field with a quote', text: 'a,b,label\n"5""",6,z\n' },
      { name: 'quoted label over two lines', text: '"a","b","label"\n1,2,"multi\nline"\n2,3,y\n' },
      { name: 'unclosed quote', text: 'a,b,label\n1,2,x\n3,4,"y\n' },
      { name: 'long digit strings', text: 'a,b,label\n0.1234567890123456789012345,1234567890123456789012,x\n1.00000005960464477539062,16777217,y\n' },
      { name: 'float32 rounding', text: 'a,b,label\n3.4028235677973366e38,7e-46,x\n1.4e-45,3.4028236e38,y\n1e-400,-1e-400,x\n' },
      { name: 'overflow', text: 'a,b,label\n1e400,1,x\n' },
      { name: 'spaces around numbers', text: 'a,b,label\n 1.5,2 ,x\n\t3,4,y\n' },
      { name: 'ragged row', text: 'a,b,label\n1,2,x\n1,2\n' },
      { name: 'too many fields', text: 'a,b,label\n1,2,x,9\n' },
      { name: 'non-numeric feature', text: 'a,b,label\n1,2,x\n1,two,y\n' },
      { name: 'non-ASCII labels and header', text: 'α,b,label\n1,2,café\n3,4,naïve\n' },
      { name: 'numeric labels', text: 'a,b,label\n1,2,10\n3,4,2\n5,6,10.0\n' },
      { name: 'regression', text: 'a,b,y\n1,2,0.5\n3,4,1.25\n5,6,2\n', spec: { labelColumn: 'y', task: 'regression' } },
      { name: 'regression, bad label', text: 'a,b,y\n1,2,0.5\n3,4,big\n', spec: { labelColumn: 'y', task: 'regression' } },
      { name: 'features reordered, missing counts in that order', text: 'a,b,c,label\n1,,3,x\n,2,,y\n1,2,3,x\n4,5,6,y\n', spec: { features: ['c', 'b'] } },
      { name: 'label in the middle by index, no header', text: '1,x,2\n3,y,4\n', spec: { labelColumn: 1, csv: { header: false } } },
      { name: 'no header, label -1', text: '1,2,0\n3,4,1\n', spec: { labelColumn: -1, csv: { header: false } } },
      { name: 'tsv', text: 'a\tb\tlabel\n1\t2\tx\n3\t4\ty\n', spec: { format: 'tsv' } },
      { name: 'semicolon', text: 'a;b;label\n1,5;2;x\n3;4;y\n', spec: { csv: { delimiter: ';' } } },
      { name: 'missing marker that is a number', text: 'a,b,label\n-999,2,x\n3,4,y\n5,6,x\n', spec: { missingValues: ['-999'] } },
      { name: 'unknown label column', text: 'a,b,label\n1,2,x\n', spec: { labelColumn: 'nope' } },
      { name: 'header only', text: 'a,b,label\n' },
      { name: 'empty file', text: '' },
      { name: 'every row dropped', text: 'a,b,label\n,1,x\n' },
      { name: 'a quote inside an unquoted field', text: 'a,b,label\n1,2,x"y\n3,4,z\n' },
      { name: 'only blank lines after the header', text: 'a,b,label\n\n\r\n' },
    ];

    async function both(text: string | Buffer, spec: Partial<DatasetSpec>, name: string): Promise<void> {
      const file = write(`fast-${name.replace(/[^a-z0-9]+/gi, '_')}.${spec.format === 'tsv' ? 'tsv' : 'csv'}`, text);
      await loadBothWays({ file, labelColumn: 'label', task: 'multiclass', ...spec }, name);
    }

    for (const c of CASES) {
      it(c.name, async () => {
        await both(c.text, c.spec ?? {}, c.name);
      });
    }

    it('CsvByteScanner splits records exactly as parseCsvRecords (random CSV)', () => {
      const rnd = mulberry(9);
      const tokens = ['1', '-2.5', '.5', '5.', '1e3', '', ' ', 'x', 'café', '"', '""', '"a,b"', '"q""q"', '"\n"', ',', ',', ',', '\n', '\n', '\r\n', '\r', 'nan', '\t'];
      for (let it = 0; it < 3000; it++) {
        const n = Math.floor(rnd() * 30);
        let text = rnd() < 0.1 ? '\uFEFF' : '';
        for (let i = 0; i < n; i++) text += tokens[Math.floor(rnd() * tokens.length)];
        let want: { records: string[][]; lines: number[] } | undefined;
        try {
          want = parseCsvRecords(text, ',', 'f.csv');
        } catch {
          want = undefined;
        }
        const sc = new CsvByteScanner(Buffer.from(text, 'utf8'), ',');
        const records: string[][] = [];
        const lines: number[] = [];
        while (sc.next()) {
          records.push(Array.from({ length: sc.count }, (_, f) => sc.text(f)));
          lines.push(sc.recordLine);
        }
        if (!want) {
          assert.ok(sc.failed, `general parser failed but the scanner did not: ${JSON.stringify(text)}`);
          continue;
        }
        assert.ok(!sc.failed, JSON.stringify(text));
        assert.deepStrictEqual({ records, lines }, want, JSON.stringify(text));
      }
    });

    it('random numeric CSVs with missing cells, quotes and odd numbers load the same both ways', async () => {
      const rnd = mulberry(13);
      const cells = ['1', '-0', '0.1', '16777217', '1e-46', '3.4028236e38', '.5', '5.', '+2', '', 'NA', 'nan', ' 3', '"4"', '1e400', 'x'];
      for (let it = 0; it < 60; it++) {
        const rows = 1 + Math.floor(rnd() * 8);
        let text = 'a,b,c,label\n';
        for (let r = 0; r < rows; r++) {
          const pick = (): string => cells[Math.floor(rnd() * (rnd() < 0.8 ? 9 : cells.length))];
          text += `${pick()},${pick()},${pick()},${['p', 'q', 'r'][Math.floor(rnd() * 3)]}${rnd() < 0.5 ? '\n' : '\r\n'}`;
        }
        await both(text, { features: rnd() < 0.5 ? ['c', 'a'] : undefined, missing: rnd() < 0.2 ? 'error' : 'drop' }, `random-${it}`);
      }
    });
  });
});

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
