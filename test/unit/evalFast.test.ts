/**
 * The fast paths of `modelver eval` (issue #12) give exactly what the paths they replace give:
 * - the CSV record loop (dataset.ts readPlainRecords) against the general parser, on tricky CSVs: quoted
 *   cells, CRLF and lone CR, exponents, long digit strings, missing values, a BOM, non-ASCII labels, a
 *   final line without a line end, buffers that grow; the rows streamed while a CSV is read (RowStream);
 *   task inference reading a CSV once;
 * - the metrics over a probability matrix against the metrics over probability rows (cross-validation,
 *   ROC-AUC per fold, log-loss, argmax), the radix argsort on long runs of equal high words, the counting
 *   stratified folds;
 * - rows sent inline to a local host (inlineRows.ts) against the uploaded dataset, bit for bit, the host
 *   running requests one at a time; `modelver eval` streaming the rows of a CSV while it parses it against
 *   the same command without streaming;
 * - the host's thread setting and its WebGPU precheck.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { once } from 'events';
import { spawnSync, type ChildProcess } from 'child_process';
import { runCli } from '../../src/cli/main';
import { discardPrestartedHost, prestartEvalHost, takePrestartedHost } from '../../src/cli/earlyHost';
import { EvalClient, EvalHostError } from '../../src/core/eval/client';
import { loadDataset, loadDatasetInferringTask, type Dataset, type DatasetSpec, type RowStream } from '../../src/core/eval/dataset';
import { DatasetError } from '../../src/core/eval/datasetErrors';
import { evaluateInlineRows, RowFeed, RowsFileRing, inlineChunkRows } from '../../src/core/eval/inlineRows';
import {
  argsortFloat64,
  crossValidateClassifier,
  labelsFromMatrix,
  labelsFromProbabilities,
  logLoss,
  logLossOfMatrix,
  matrixRows,
  mulberry32,
  rocAucFolds,
  rocAucFoldsOfMatrix,
  stratifiedKFold,
} from '../../src/core/metrics';
import { Runtime, SESSION_CONFIG, vulkanLoaderFound } from '../../src/evalHost/runtime';
import { outputFloats, type EvaluateProgress } from '../../src/shared/evalProtocol';
import { loadBothWays } from '../support/datasetBothWays';
import { linearModel } from '../support/onnxModels';

const HOST = process.env.EVAL_HOST_SCRIPT ? path.resolve(process.env.EVAL_HOST_SCRIPT) : path.join(__dirname, '..', '..', 'src', 'evalHost', 'main.js');

const bits = (a: Float32Array | Int32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-fast-test-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

let files = 0;
function write(text: string | Buffer, ext = 'csv'): string {
  const f = path.join(tmp, `d${files++}.${ext}`);
  fs.writeFileSync(f, text);
  return f;
}

/** loadBothWays of a file, the label column 'label' and a multiclass task unless `spec` says otherwise. */
function sameBothWays(file: string, spec: Partial<DatasetSpec>, what: string): Promise<Dataset | undefined> {
  return loadBothWays({ file, labelColumn: 'label', task: 'multiclass', ...spec }, what);
}

// numbers as CSV cells: plain ones the record loop reads, and every shape it must leave to the general rules
const PLAIN = ['0', '-0', '+0', '1', '-1', '+1', '.5', '-.5', '+.5', '5.', '-5.', '1e3', '1E3', '1e+3', '1e-3', '-2.5E-2', '1.5e0', '0.1', '0.2', '0.3', '16777217',
  '-16777217', '0.1234567890123456789012345', '1234567890123456789012', '123456789012345', '1234567890123456', '0.000000000000000000000000000001',
  '3.4028234663852886e38', '3.4028235677973366e38', '1e38', '1.4e-45', '7e-46', '1e-46', '1e22', '1e23', '9007199254740993', '4.35', '2.675', '0e999999',
  '00001.5000', '1.00000005960464477539062', '1.0000000596046448', '1e-400', '-1e-400', '0.000123456789012345678'];
const ODD = ['', 'NA', 'nan', 'NaN', ' 1.5', '1.5 ', '"2.5"', '" 3 "', '"4"" "', '1e400', '1e', '1e+', '.', '-', 'inf', 'x', '1.5.2', '0x10'];

function randomNumber(r: () => number): string {
  const digits = (k: number): string => Array.from({ length: k }, () => String(Math.floor(r() * 10))).join('');
  const sign = ['', '-', '+'][Math.floor(r() * 3)];
  const int = digits(Math.floor(r() * 10));
  const frac = r() < 0.8 ? '.' + digits(Math.floor(r() * 20)) : '';
  const exp = r() < 0.25 ? ['e', 'E'][Math.floor(r() * 2)] + ['', '-', '+'][Math.floor(r() * 3)] + digits(1 + Math.floor(r() * 2)) : '';
  const s = sign + int + frac + exp;
  return /\d/.test(int + frac) ? s : '7';
}

describe('eval fast paths (issue #12)', function () {
  this.timeout(120_000);

  describe('the CSV record loop = the general parser', () => {
    it('thousands of rows of tricky numbers, quoted and missing cells, CRLF / LF / lone CR, non-ASCII labels, a BOM, no final line end', async () => {
      const r = mulberry32(12);
      for (let round = 0; round < 12; round++) {
        const eol = ['\n', '\r\n', '\r'][round % 3];
        const odd = round % 4 === 3 ? 0 : 0.03; // some files are all plain: the loop reads them whole
        const rows: string[] = [(round % 2 ? '\uFEFF' : '') + 'a,b,c,label'];
        const n = 500 + Math.floor(r() * 3000);
        for (let i = 0; i < n; i++) {
          const cell = (): string => (r() < odd ? ODD[Math.floor(r() * ODD.length)] : r() < 0.3 ? PLAIN[Math.floor(r() * PLAIN.length)] : randomNumber(r));
          const label = r() < odd ? ['', 'NA', '"q"', '"multi\nline"', 'x"y'][Math.floor(r() * 5)] : ['p', 'q', 'café', '10', '2', 'naïve'][Math.floor(r() * 6)];
          rows.push(`${cell()},${cell()},${cell()},${label}`);
        }
        const text = rows.join(eol) + (round % 5 === 4 ? '' : eol);
        const file = write(text);
        await sameBothWays(file, {}, `round ${round}`);
        await sameBothWays(file, { features: ['c', 'a'] }, `round ${round}, features c,a`);
        if (round % 3 === 0) await sameBothWays(file, { missing: 'error' }, `round ${round}, missing: error`);
      }
    });

    it('the row buffers grow when the first data line is longer than the rest, and are cut when it is shorter', async () => {
      const long = ['1.000000000000001', '2.000000000000002', '3.000000000000003'].join(',') + ',x';
      const short = Array.from({ length: 20_000 }, (_, i) => `${i % 7},${i % 5},${i % 3},${['x', 'y'][i % 2]}`);
      const a = await sameBothWays(write(['a,b,c,label', long, ...short].join('\n') + '\n'), {}, 'long first line');
      assert.strictEqual(a!.rowCount, 20_001);
      const b = await sameBothWays(write(['a,b,c,label', '1,2,3,x', ...Array.from({ length: 5000 }, () => long)].join('\n') + '\n'), {}, 'short first line');
      assert.strictEqual(b!.rowCount, 5001);
    });

    it('windows of every size from 8 to 48 bytes, cutting CRLF, records and cells anywhere: the same rows and the same lines in errors', async () => {
      const lines = ['a,b,y'];
      for (let i = 0; i < 300; i++) lines.push(i === 150 ? '1,NA,2.5' : i === 250 ? '"3",4,1.25' : `${i % 10}.5,-${i % 7},${i % 4}.25`);
      const ok = lines.join('\r\n') + '\r\n';
      const bad = [...lines.slice(0, 290), '1,2,oops', ...lines.slice(290)].join('\r\n'); // a non-numeric label on line 291, no final line end
      const windows = Array.from({ length: 41 }, (_, i) => 8 + i);
      const ds = await loadBothWays({ file: write(ok), labelColumn: 'y', task: 'regression' }, 'CRLF', windows);
      assert.strictEqual(ds!.rowCount, 299);
      const f = write(bad);
      await loadBothWays({ file: f, labelColumn: 'y', task: 'regression' }, 'CRLF, a bad label', windows);
      await assert.rejects(loadDataset({ file: f, labelColumn: 'y', task: 'regression' }, { csvWindowBytes: 13 }), /line 291: the label/);
    });

    it('TSV, no header, the label first', async () => {
      const r = mulberry32(3);
      const lines = Array.from({ length: 3000 }, () => `${['u', 'v'][Math.floor(r() * 2)]}\t${randomNumber(r)}\t${randomNumber(r)}`);
      await sameBothWays(write(lines.join('\n'), 'tsv'), { format: 'tsv', labelColumn: 0, csv: { header: false } }, 'tsv');
    });

    it('streams the rows as it reads them: in chunks of the size asked for, the rows of the dataset, in order', async () => {
      const r = mulberry32(5);
      const lines = ['a,b,label'];
      for (let i = 0; i < 10_000; i++) lines.push(i % 997 === 5 ? `"${randomNumber(r)}",NA,p` : `${randomNumber(r)},${randomNumber(r)},${['p', 'q'][i % 2]}`);
      const file = write(lines.join('\r\n') + '\r\n');
      // the default window holds the file; windows of 100 bytes move on every few rows
      for (const csvWindowBytes of [undefined, 100]) {
        const got: { first: number; rows: number }[] = [];
        const parts: Float32Array[] = [];
        let started = -1;
        let resets = 0;
        const stream: RowStream = {
          start: (fc) => {
            started = fc;
            return 1000;
          },
          rows: (v, first) => {
            got.push({ first, rows: v.length / 2 });
            parts.push(v.slice());
          },
          reset: () => resets++,
        };
        const ds = await loadDataset({ file, labelColumn: 'label', task: 'binary' }, { rowStream: stream, csvWindowBytes });
        assert.strictEqual(started, 2);
        assert.strictEqual(resets, 0);
        assert.ok(ds.dropped > 0, 'rows with NA are dropped');
        let next = 0;
        for (const g of got) {
          assert.strictEqual(g.first, next);
          next += g.rows;
        }
        assert.strictEqual(next, ds.rowCount);
        assert.ok(got.slice(0, -1).every((g) => g.rows === 1000));
        const all = new Float32Array(ds.features.length);
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        assert.ok(bits(all).equals(bits(ds.features)));
      }
    });

    it('a CSV the record loop gives up on: the stream is reset, and the load gives the general parser’s error', async () => {
      const lines = ['a,b,label', ...Array.from({ length: 6000 }, (_, i) => `${i},${i / 2},p`)];
      lines[4500] = '1,two,p';
      const file = write(lines.join('\n') + '\n');
      let resets = 0;
      let given = 0;
      const stream: RowStream = { start: () => 1000, rows: (v) => (given += v.length / 2), reset: () => resets++ };
      await assert.rejects(loadDataset({ file, labelColumn: 'label', task: 'multiclass' }, { rowStream: stream }), (e: unknown) => {
        assert.ok(e instanceof DatasetError && e.code === 'NON_NUMERIC', String(e));
        assert.match((e as Error).message, /line 4501/);
        return true;
      });
      assert.ok(given >= 4000, `rows were streamed before the bad one (${given})`);
      assert.strictEqual(resets, 1);
    });

    it('task inference reads a CSV once: fractional labels give the regression dataset that task regression gives', async () => {
      const r = mulberry32(8);
      const lines = ['a,b,y', ...Array.from({ length: 2000 }, () => `${randomNumber(r)},${randomNumber(r)},${(r() * 10).toFixed(2)}`), '1,,3.5', ',2,NA'];
      const file = write(lines.join('\n') + '\n');
      let starts = 0;
      const inferred = await loadDatasetInferringTask({ file, labelColumn: 'y' }, { rowStream: { start: () => (starts++, 500), rows: () => undefined, reset: () => undefined } });
      assert.strictEqual(starts, 1, 'one read');
      const direct = await loadDataset({ file, labelColumn: 'y', task: 'regression' }, { csvFastPath: false });
      assert.strictEqual(inferred.task, 'regression');
      assert.ok(bits(inferred.features).equals(bits(direct.features)) && bits(inferred.labels).equals(bits(direct.labels)));
      assert.deepStrictEqual({ ...inferred, features: 0, labels: 0 }, { ...direct, features: 0, labels: 0 });
    });
  });

  describe('metrics over a probability matrix = over probability rows', () => {
    /** n rows, k columns; `levels` > 0: few distinct values (ties), and some -0 */
    const data = (seed: number, n: number, k: number, levels: number, logits = false): { y: Int32Array; m: Float64Array } => {
      const r = mulberry32(seed);
      const y = new Int32Array(n);
      const m = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        y[i] = Math.floor(r() * (seed % 4 === 0 ? k - 1 : k)); // sometimes a class without rows
        let s = 0;
        for (let c = 0; c < k; c++) {
          const v = levels ? Math.floor(r() * levels) / levels : logits ? Math.exp((r() - 0.5) * 4) : r();
          m[i * k + c] = v * (r() < 0.03 ? -0 : 1);
          s += v;
        }
        if (!levels) for (let c = 0; c < k; c++) m[i * k + c] /= s || 1;
      }
      return { y, m };
    };

    it('cross-validation, ROC-AUC per fold, log-loss and argmax: the same values, bit for bit (ties, -0, absent classes, small and large n)', () => {
      for (const [n, k, levels] of [[40, 2, 3], [300, 2, 0], [700, 2, 5], [300, 3, 4], [2000, 3, 0], [3000, 10, 0], [2500, 10, 6], [1200, 5, 0]] as const) {
        for (const seed of [1, 2, 4]) {
          const { y, m } = data(seed * 13 + n, n, k, levels);
          const matrix = { values: m, width: k };
          const rows = matrixRows(matrix);
          const what = `n ${n} k ${k} levels ${levels} seed ${seed}`;
          const yPred = labelsFromProbabilities(rows);
          assert.ok(bits(labelsFromMatrix(matrix)).equals(bits(yPred)), what);
          assert.ok(Object.is(logLossOfMatrix(y, matrix), logLoss(y, rows)), what);
          const a = crossValidateClassifier({ yTrue: y, yPred, probabilities: rows, numClasses: k }, { k: 5, seed });
          const b = crossValidateClassifier({ yTrue: y, yPred, probabilityMatrix: matrix, numClasses: k }, { k: 5, seed });
          assert.deepStrictEqual(b, a, what);
          // without numClasses (inferred from the rows' width), and without yPred
          assert.deepStrictEqual(crossValidateClassifier({ yTrue: y, probabilityMatrix: matrix }, { k: 4, seed }), crossValidateClassifier({ yTrue: y, probabilities: rows }, { k: 4, seed }), what);
          const folds = stratifiedKFold(y, 5, seed);
          assert.deepStrictEqual(rocAucFoldsOfMatrix(y, m, k, folds), rocAucFolds(y, rows, k, folds), what);
        }
      }
    });

    it('where the rows give an error, the matrix gives the same one', () => {
      const { y, m } = data(3, 800, 3, 0);
      const bad = m.slice();
      bad[5 * 3 + 1] = NaN;
      const rowsErr = (): unknown => crossValidateClassifier({ yTrue: y, probabilities: matrixRows({ values: bad, width: 3 }), numClasses: 3 }, { k: 5 });
      const matErr = (): unknown => crossValidateClassifier({ yTrue: y, probabilityMatrix: { values: bad, width: 3 }, numClasses: 3 }, { k: 5 });
      const message = (f: () => unknown): string => {
        try {
          f();
        } catch (e) {
          return String(e);
        }
        return 'no error';
      };
      assert.match(message(rowsErr), /NaN/);
      assert.strictEqual(message(matErr), message(rowsErr));
      assert.throws(() => rocAucFoldsOfMatrix(y, bad, 3, stratifiedKFold(y, 5)), /NaN score/);
      const y2 = y.slice();
      y2[7] = 3;
      assert.throws(() => crossValidateClassifier({ yTrue: y2, probabilities: matrixRows({ values: m, width: 3 }), numClasses: 3 }, { k: 5 }), /class 3 is not an integer in \[0, 3\)/);
      assert.throws(() => crossValidateClassifier({ yTrue: y2, probabilityMatrix: { values: m, width: 3 }, numClasses: 3 }, { k: 5 }), /class 3 is not an integer in \[0, 3\)/);
      assert.throws(() => logLossOfMatrix(y2, { values: m, width: 3 }), /class 3/);
    });

    it('argsortFloat64 on long runs of values that differ only in their low 32 bits: the native sort’s order, stable', () => {
      const r = mulberry32(9);
      for (const n of [600, 5000, 40_000]) {
        const a = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const u = r();
          // 1 + j·2⁻⁵² share their high word; so do −(1 + j·2⁻⁵²); a few other values between
          a[i] = u < 0.45 ? 1 + Math.floor(r() * 3000) * 2 ** -52 : u < 0.9 ? -(1 + Math.floor(r() * 3000) * 2 ** -52) : u < 0.95 ? (r() < 0.5 ? 0 : -0) : r();
        }
        const order = argsortFloat64(a);
        const sorted = Float64Array.from(order, (i) => a[i]);
        assert.ok(bits(sorted).equals(bits(a.slice().sort())), `n ${n}`);
        for (let i = 1; i < n; i++) if (Object.is(a[order[i]], a[order[i - 1]])) assert.ok(order[i] > order[i - 1], `stable at ${i}`);
      }
    });

    it('stratified folds of small integer classes (counting) = of other class values (a map), the same folds', () => {
      const r = mulberry32(4);
      const y = Int32Array.from({ length: 5000 }, () => Math.floor(r() * 7));
      const shifted = Float64Array.from(y, (v) => v + 0.5); // the same strata in the same order, not integers
      for (const k of [2, 5, 10]) assert.deepStrictEqual(stratifiedKFold(y, k, 11), stratifiedKFold(shifted, k, 11));
    });
  });

  describe('rows sent inline to a local host', () => {
    let client: EvalClient;
    let modelHash: string;
    let fixedHash: string;
    const n = 1003;
    const x = new Float32Array(n * 2);
    before(async () => {
      const r = mulberry32(21);
      for (let i = 0; i < x.length; i++) x[i] = r() * 4 - 2;
      client = EvalClient.local(HOST, { args: ['--cache-dir', path.join(tmp, 'host-cache'), '--provider', 'cpu'] });
      await client.initialize({});
      const free = path.join(tmp, 'free.onnx');
      fs.writeFileSync(free, linearModel([0.7, -1.3], 0.2, true));
      modelHash = await client.ensureModel(free);
      const fixed = path.join(tmp, 'fixed.onnx');
      fs.writeFileSync(fixed, fixedBatchModel(4));
      fixedHash = await client.ensureModel(fixed);
    });
    after(() => client?.dispose());

    it('give the outputs of the uploaded dataset, bit for bit: a free batch dimension, and a fixed batch with the last one padded', async () => {
      const datasetHash = await client.ensureDataset(x);
      for (const [hash, batch, pad] of [[modelHash, 7, false], [modelHash, 256, false], [fixedHash, 4, true]] as const) {
        const one = await client.evaluate({ modelHash: hash, inputs: [{ name: 'x', dims: [2], data: { datasetHash, rowWidth: 2 } }], batchSize: batch, padLastBatch: pad });
        const progress: EvaluateProgress[] = [];
        const many = await evaluateInlineRows(client, { modelHash: hash, batchSize: batch, padLastBatch: pad, input: { name: 'x', dims: [2] } }, x, 2, {
          chunkBytes: 100, // one batch per request: every boundary
          onProgress: (p) => progress.push(p),
        });
        const what = `batch ${batch}${pad ? ' (fixed)' : ''}`;
        assert.deepStrictEqual(many.outputs[0].dims, one.outputs[0].dims, what);
        assert.ok(bits(outputFloats(many.outputs[0])).equals(bits(outputFloats(one.outputs[0]))), what);
        assert.strictEqual(many.rows, n);
        assert.strictEqual(many.batches, one.batches);
        assert.strictEqual(progress[progress.length - 1].rowsDone, n);
        for (let i = 1; i < progress.length; i++) assert.ok(progress[i].rowsDone >= progress[i - 1].rowsDone, 'progress only grows');
      }
    });

    it('a failing request fails the whole run with the host’s error', async () => {
      await assert.rejects(evaluateInlineRows(client, { modelHash, batchSize: 64, input: { name: 'nope', dims: [2] } }, x, 2, { chunkBytes: 512 }), (e: unknown) => {
        assert.ok(e instanceof EvalHostError, String(e));
        assert.match((e as Error).message, /no input nope/);
        return true;
      });
    });

    it('go through a file in memory to a host on this machine (RowsFileRing); the host checks what it is sent', async () => {
      assert.ok(client.readsLocalFiles, 'a local host reads this machine’s files');
      const ring = RowsFileRing.open(2)!;
      assert.ok(ring, 'a ring file');
      try {
        const a = ring.put(x.subarray(0, 8), 0)!;
        const b = ring.put(x.subarray(8, 14), 1)!;
        assert.strictEqual(ring.put(x.subarray(0, 10), 2), undefined, 'larger than a slot: inline');
        assert.deepStrictEqual([a.offset, a.floats, b.offset, b.floats], [0, 8, 32, 6]);
        const raw = fs.readFileSync(a.file);
        assert.ok(raw.subarray(32, 56).equals(bits(x.subarray(8, 14))));
        if (process.platform === 'linux') assert.ok(a.file.startsWith('/dev/shm/'), a.file);
        const one = await client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [2], data: { data: x.slice(8, 14) } }] });
        const viaFile = await client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [2], data: b }] });
        assert.ok(bits(outputFloats(viaFile.outputs[0])).equals(bits(outputFloats(one.outputs[0]))));
        await assert.rejects(client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [2], data: { ...b, floats: 1000 } }] }), /holds 24 bytes from offset 32, not the 4000 of 1000 floats/);
        await assert.rejects(client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [2], data: { ...b, file: 'rows.f32' } }] }), /file must be an absolute path/);
        await assert.rejects(client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [2], data: { ...b, offset: -4 } }] }), /offset must be a whole number/);
        ring.close();
        assert.ok(!fs.existsSync(a.file), 'closed: the file is gone');
        await assert.rejects(client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [2], data: b }] }), /cannot read the rows in .*ENOENT/);
      } finally {
        ring.close();
      }
    });

    it('an abort cancels it', async () => {
      const big = new Float32Array(200_000 * 2);
      const ac = new AbortController();
      const p = evaluateInlineRows(client, { modelHash, batchSize: 16, input: { name: 'x', dims: [2] } }, big, 2, { chunkBytes: 4096, signal: ac.signal, onProgress: () => ac.abort() });
      await assert.rejects(p, (e: unknown) => e instanceof EvalHostError && e.cancelled);
    });

    it('the host runs evaluate requests one at a time, in the order they came (no batches of two requests interleave)', async () => {
      const rows = new Float32Array(3000 * 2);
      const events: string[] = [];
      const run = (tag: string): Promise<unknown> =>
        client.evaluate({ modelHash, inputs: [{ name: 'x', dims: [2], data: { data: rows } }], batchSize: 1 }, { onProgress: (p) => events.push(`${tag}${p.batchesDone === p.batchesTotal ? '.' : ''}`) });
      await Promise.all([run('a'), run('b'), run('c')]);
      const order = events.map((e) => e[0]).join('').replace(/(.)\1+/g, '$1');
      assert.strictEqual(order, 'abc', `progress of the requests interleaves: ${events.join(' ').slice(0, 300)}`);
    });

    it('RowFeed hands on what a load streams, and ends when the load ends', async () => {
      const feed = new RowFeed((fc) => inlineChunkRows(fc, 4, 64));
      assert.strictEqual(feed.start(2), 8);
      const got: number[] = [];
      const done = (async () => {
        for await (const c of feed) got.push(c.first, c.values.length);
      })();
      feed.rows(x.subarray(0, 16), 0);
      feed.rows(x.subarray(16, 20), 8);
      feed.finish();
      await done;
      assert.deepStrictEqual(got, [0, 16, 8, 4]);
      assert.ok(feed.valid);
      const refused = new RowFeed(() => undefined);
      refused.start(2);
      assert.ok(!refused.valid);
    });
  });

  describe('modelver eval streams a CSV into the model while it reads it', () => {
    const F = 64;
    const K = 3;
    let model: string;
    let csv: string;
    before(() => {
      model = path.join(tmp, 'wide.onnx');
      fs.writeFileSync(model, wideModel(F, K));
      const r = mulberry32(31);
      const lines = [[...Array.from({ length: F }, (_, i) => `f${i}`), 'label'].join(',')];
      for (let i = 0; i < 12_000; i++) {
        const cells = Array.from({ length: F }, () => (r() * 2 - 1).toFixed(4));
        if (i % 1999 === 7) cells[3] = '"0.5"'; // a quoted cell: that record goes through the general rules
        if (i % 3001 === 11) cells[9] = ''; // a missing cell: that row is dropped
        lines.push(`${cells.join(',')},${['a', 'b', 'c'][Math.floor(r() * 3)]}`);
      }
      csv = path.join(tmp, 'wide.csv');
      fs.writeFileSync(csv, lines.join('\n') + '\n');
    });

    async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    it('the report is the one the command gives without streaming (uploading the rows after reading them)', async () => {
      // outside a repository and without --cache-dir: no outputs cache, the rows stream; with --cache-dir
      // (empty): the dataset is read first and uploaded, the model runs on the upload
      const streamed = await cli(['eval', model, '--data', csv, '--label', 'label', '--json', '--no-cache', '-C', tmp]);
      assert.strictEqual(streamed.code, 0, streamed.err);
      const cacheDir = fs.mkdtempSync(path.join(tmp, 'outputs-'));
      const plain = await cli(['eval', model, '--data', csv, '--label', 'label', '--json', '--cache-dir', cacheDir, '-C', tmp]);
      assert.strictEqual(plain.code, 0, plain.err);
      const a = JSON.parse(streamed.out);
      const b = JSON.parse(plain.out);
      for (const o of [a, b]) {
        delete o.sessionMs;
        delete o.runMs;
        delete o.cache;
        o.notes = o.notes.filter((s: string) => !/cached outputs/.test(s));
      }
      assert.deepStrictEqual(a, b);
      assert.strictEqual(a.rows, 12_000 - 4, 'rows with a missing cell dropped');
      // absolute paths, no -C: the host runCli started before the command loaded (earlyHost.ts) runs it
      const early = await cli(['eval', model, '--data', csv, '--label', 'label', '--json', '--no-cache']);
      assert.strictEqual(early.code, 0, early.err);
      const e = JSON.parse(early.out);
      delete e.sessionMs;
      delete e.runMs;
      delete e.cache;
      assert.deepStrictEqual(e, { ...a, dataset: { ...a.dataset, file: csv } });
      assert.strictEqual(a.cvFolds, 5);
    });

    it('a bad cell after rows have run: the dataset’s error, naming its line', async () => {
      const lines = fs.readFileSync(csv, 'utf8').split('\n');
      lines[9000] = lines[9000].replace(/^[^,]+/, 'oops');
      const bad = path.join(tmp, 'wide-bad.csv');
      fs.writeFileSync(bad, lines.join('\n'));
      const r = await cli(['eval', model, '--data', bad, '--label', 'label', '--no-cache', '-C', tmp]);
      assert.strictEqual(r.code, 1, r.out);
      assert.match(r.err, /line 9001: column 'f0' holds "oops", which is not a number/);
    });
  });

  describe('modelver eval starts its local host before the command loads (earlyHost.ts)', () => {
    let model: string;
    const exited = (c: ChildProcess): Promise<unknown> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : once(c, 'exit'));
    before(() => {
      model = path.join(tmp, 'early.onnx');
      fs.writeFileSync(model, linearModel([1, -1], 0));
    });
    afterEach(() => discardPrestartedHost());

    it('spawns the host for --no-cache of a model file; the command takes it when script and flags match, else it is killed', async () => {
      const c = prestartEvalHost([model, '--data', 'd.csv', '--label', 'y', '--no-cache', '--json']);
      assert.ok(c, 'a host was started');
      assert.strictEqual(takePrestartedHost(HOST, []), c);
      assert.strictEqual(takePrestartedHost(HOST, []), undefined, 'taken once');
      c.kill();
      await exited(c);
      const d = prestartEvalHost(['--no-cache', model, '--provider', 'cpu']);
      assert.ok(d);
      assert.strictEqual(takePrestartedHost(HOST, []), undefined, 'other flags');
      await exited(d);
      const e = prestartEvalHost(['--no-cache', model]);
      assert.ok(e);
      discardPrestartedHost();
      await exited(e);
      // the outputs cache may answer, but a miss needs the host: it starts, and is killed where the command does not take it
      const cwd = path.relative(tmp, model);
      for (const args of [[model, '--data', 'd.csv'], [model, '--cache-dir', tmp], [cwd, '-C', tmp], [`${model}@v1`], [`${path.join(tmp, 'gone.onnx')}@v2`], [`${model}@production`, '--record']]) {
        const f = prestartEvalHost(args);
        assert.ok(f, args.join(' '));
        discardPrestartedHost();
        await exited(f);
      }
    });

    it('a cached run that the outputs cache answers kills the host it started', async () => {
      const csv = path.join(tmp, 'early.csv');
      fs.writeFileSync(csv, 'a,b,y\n' + Array.from({ length: 50 }, (_, i) => `${i % 7},${i % 3},${(i % 7) - (i % 3)}`).join('\n') + '\n');
      const cacheDir = path.join(tmp, 'early-cache');
      const io = () => {
        const out: string[] = [];
        const err: string[] = [];
        return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s), errStream: undefined } as unknown as Parameters<typeof runCli>[1] };
      };
      const children = (): number[] =>
        fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
          try {
            const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('evalHost');
          } catch {
            return false;
          }
        }).map(Number);
      const first = io();
      assert.strictEqual(await runCli(['eval', model, '--data', csv, '--label', 'y', '--task', 'regression', '--cache-dir', cacheDir], first.io), 0, first.err.join('\n'));
      const second = io();
      let done = false;
      const run = runCli(['eval', model, '--data', csv, '--label', 'y', '--task', 'regression', '--cache-dir', cacheDir], second.io).finally(() => (done = true));
      let seen = 0;
      while (!done) {
        seen = Math.max(seen, children().length);
        await new Promise((r) => setTimeout(r, 2));
      }
      assert.strictEqual(await run, 0, second.err.join('\n'));
      assert.match(second.err.join('\n'), /reused cached outputs/);
      assert.strictEqual(seen, 1, 'the run started a host');
      for (let i = 0; i < 100 && children().length; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepStrictEqual(children(), [], 'no evaluation host is left running');
    });

    it('starts none where the command may need none, or one of other flags, or refuses the model', () => {
      const zip = path.join(tmp, 'early-zip.onnx');
      fs.writeFileSync(zip, Buffer.from('PK\x03\x04 anything', 'latin1'));
      const st = path.join(tmp, 'early-st.onnx');
      const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.length));
      fs.writeFileSync(st, Buffer.concat([len, header, Buffer.alloc(4)]));
      const empty = path.join(tmp, 'early-empty.onnx');
      fs.writeFileSync(empty, '');
      for (const args of [
        [model, '--no-cache', '--host', 'ws://127.0.0.1:1', '--token-file', 't'],
        [model, '--no-cache', '--cache-dir', tmp], // a usage error
        [model, '--no-cache', '--provider', 'tpu'],
        [model, '--no-cache', '--bogus'],
        [model, model, '--no-cache'],
        [path.relative(tmp, model), '--no-cache'], // not here: in -C's folder
        [path.join(tmp, 'missing.onnx'), '--no-cache'],
        [`${path.join(tmp, 'model.safetensors')}@v1`, '--no-cache'],
        [`${zip}@v1`],
        [`${model}@`],
        [tmp, '--no-cache'],
        [zip, '--no-cache'],
        [st, '--no-cache'],
        [empty, '--no-cache'],
        [path.join(tmp, 'model.safetensors'), '--no-cache'],
      ]) {
        assert.strictEqual(prestartEvalHost(args), undefined, args.join(' '));
      }
    });
  });

  describe('the host', () => {
    it('a process that disposed its local host ends without waiting for the host process to exit', () => {
      // a host that takes its time to die: it exits 30 s after SIGTERM
      const slow = path.join(tmp, 'slow-host.js');
      fs.writeFileSync(slow, "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 30000)); setInterval(() => {}, 1000);");
      const client = path.join(__dirname, '..', '..', 'src', 'core', 'eval', 'client.js');
      const script = `const { EvalClient } = require(${JSON.stringify(client)}); const c = EvalClient.local(${JSON.stringify(slow)}); process.stdout.write(String(c.child.pid)); setTimeout(() => c.dispose(), 300);`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
      const pid = Number(r.stdout);
      try {
        assert.strictEqual(r.status, 0, `the process did not end by itself: ${r.signal ?? ''} ${r.stderr}`);
        assert.ok(pid > 0);
        assert.doesNotThrow(() => process.kill(pid, 0), 'the host is still alive: the process did not wait for it');
      } finally {
        if (pid > 0) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    });

    it('creates sessions whose intra-op threads sleep instead of spin while they wait', () => {
      const rt = new Runtime({ provider: 'cpu', intraOpNumThreads: 0 });
      assert.deepStrictEqual(rt.sessionOptions('cpu').extra, SESSION_CONFIG);
      assert.deepStrictEqual(SESSION_CONFIG, { session: { intra_op: { allow_spinning: '0' } } });
    });

    it('finds the Vulkan loader where dlopen would (LD_LIBRARY_PATH, default folders, ld.so.cache), and not where it is not', () => {
      const none = (): boolean => false;
      assert.strictEqual(vulkanLoaderFound({}, none, () => undefined), false);
      assert.strictEqual(vulkanLoaderFound({}, none, () => Buffer.from('\0libfoo.so.1\0libvulkan.so\0')), false, 'libvulkan.so is not libvulkan.so.1');
      assert.strictEqual(vulkanLoaderFound({}, none, () => Buffer.from('\0libfoo.so.1\0libvulkan.so.1\0/usr/lib/x\0')), true);
      assert.strictEqual(vulkanLoaderFound({ LD_LIBRARY_PATH: '/opt/a:/opt/vk' }, (f) => f === '/opt/vk/libvulkan.so.1', () => undefined), true);
      assert.strictEqual(vulkanLoaderFound({}, (f) => f === '/usr/lib/libvulkan.so.1', () => undefined), true);
    });
  });
});

/** x [k, 2] → Gemm → y [k, 1]: a model whose batch dimension is the fixed number k. */
function fixedBatchModel(k: number): Buffer {
  const t = (name: string, dims: number[], v: number[]) => onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(Float32Array.from(v).buffer) });
  const io = (name: string, dims: number[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const graph = onnx.GraphProto.create({
    name: 'fixed',
    node: [onnx.NodeProto.create({ name: 'fc', opType: 'Gemm', input: ['x', 'w', 'b'], output: ['y'] })],
    initializer: [t('w', [2, 1], [1.5, -0.25]), t('b', [1], [0.125])],
    input: [io('x', [k, 2])],
    output: [io('y', [k, 1])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'evalFast.test', opsetImport: [{ domain: '', version: 17 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** x [batch, f] → Gemm (seeded weights) → logits [batch, k]. */
function wideModel(f: number, k: number): Buffer {
  const r = mulberry32(77);
  const t = (name: string, dims: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() - 0.5).buffer) });
  const io = (name: string, d: number) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: d }] } } } });
  const graph = onnx.GraphProto.create({
    name: 'wide',
    node: [onnx.NodeProto.create({ name: 'fc', opType: 'Gemm', input: ['x', 'w', 'b'], output: ['logits'] })],
    initializer: [t('w', [f, k]), t('b', [k])],
    input: [io('x', f)],
    output: [io('logits', k)],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'evalFast.test', opsetImport: [{ domain: '', version: 17 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
