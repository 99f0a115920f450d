/**
 * Parquet prediction logs, outcomes logs and reference data (src/core/production/parquet.ts): the
 * files in test/fixtures/production/ were written by DuckDB (an independent writer; make-parquet.mjs)
 * from the same seeded rows as their JSON Lines twins, in several layouts (a features STRUCT, flat
 * feature columns, features.<name> columns; TIMESTAMP µs / ns, INT64 epoch ms; snappy, zstd, gzip,
 * lz4). `abtest` and `monitor` on each Parquet file must give exactly the report they give on the
 * twin, whose numbers test/unit/abtest.test.ts and monitor.test.ts check against scipy and
 * statsmodels. Bad input is refused with the column, the row group and what to do.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readEvents, type PredictionEvent } from '../../src/core/production/events';
import { followMonitor } from '../../src/core/production/follow';
import type { MonitorReport } from '../../src/core/production/monitor';
import { forEachParquetRow } from '../../src/core/production/parquet';
import { cli } from '../support/cli';
import { fixture } from '../support/paths';

const P = (f: string) => fixture('production', f);
const MODEL = 'models/shop.onnx';
const FLAT_MAP = 'ts_ms=timestamp,variant=version,req=request_id,score=prediction,purchased=outcome';

describe('Parquet prediction logs (abtest, monitor)', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-parquet-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function json(args: string[]): Promise<Record<string, unknown>> {
    const r = await cli([...args, '--json', '-C', dir]);
    assert.strictEqual(r.code, 0, r.err);
    return JSON.parse(r.out) as Record<string, unknown>;
  }
  async function fails(args: string[]): Promise<string> {
    const r = await cli([...args, '-C', dir]);
    assert.strictEqual(r.code, 1, `expected a failure, got ${r.code}: ${r.out}`);
    return r.err;
  }

  it('abtest: each Parquet layout and compression gives the report of its JSON Lines twin', async () => {
    const want = await json(['abtest', '--log', P('events.jsonl'), '--outcomes', P('outcomes.jsonl')]);
    assert.deepStrictEqual((want.variants as { label: string; exposures: number }[]).map((v) => v.label), ['v1', 'v2']);
    assert.strictEqual(want.records, 1200);
    // features STRUCT, TIMESTAMP (µs), snappy, three row groups; the outcomes log in Parquet too
    assert.deepStrictEqual(await json(['abtest', '--log', P('events-struct.snappy.parquet'), '--outcomes', P('outcomes.parquet')]), want);
    assert.deepStrictEqual(await json(['abtest', '--log', P('events-struct.snappy.parquet'), '--outcomes', P('outcomes.jsonl')]), want);
    // flat columns under the file's own names (--map), epoch ms as INT64, zstd; the model named with --model
    assert.deepStrictEqual(await json(['abtest', '--log', P('events-flat.zstd.parquet'), '--outcomes', P('outcomes.parquet'), '--map', FLAT_MAP, '--model', MODEL]), want);
    // features.<name> columns, TIMESTAMP_NS, the outcome as BOOLEAN, gzip
    assert.deepStrictEqual(await json(['abtest', '--log', P('events-gzip.parquet'), '--outcomes', P('outcomes.parquet')]), want);
    // told by its first bytes (PAR1), whatever its name
    const noExt = path.join(dir, 'predictions.log');
    fs.copyFileSync(P('events-struct.snappy.parquet'), noExt);
    assert.deepStrictEqual(await json(['abtest', '--log', noExt, '--outcomes', P('outcomes.parquet')]), want);
  });

  it('monitor: drift against a Parquet reference, per window, as on the JSON Lines twins', async () => {
    const want = await json(['monitor', '--log', P('events.jsonl'), '--outcomes', P('outcomes.jsonl'), '--reference', P('reference.jsonl'), '--window', '1d']);
    const same = (got: Record<string, unknown>) => {
      const strip = (r: Record<string, unknown>) => ({ ...r, references: (r.references as { source: string }[]).map((x) => ({ ...x, source: path.basename(x.source).replace(/\..*$/, '') })) });
      assert.deepStrictEqual(strip(got), strip(want));
    };
    const versions = want.versions as { version: string; exposures: number; features: { feature: string; ks?: { d: number } }[] }[];
    const count = (v: string) => fs.readFileSync(P('events.jsonl'), 'utf8').split('\n').filter((l) => l.includes(`"version":"${v}"`)).length;
    assert.deepStrictEqual(versions.map((v) => [v.version, v.exposures]), [['v1', count('v1')], ['v2', count('v2')]]);
    assert.ok(versions[0].features.some((f) => f.feature === 'basket' && f.ks && f.ks.d > 0), 'a KS statistic per numeric feature');
    same(await json(['monitor', '--log', P('events-struct.snappy.parquet'), '--outcomes', P('outcomes.parquet'), '--reference', P('reference.lz4.parquet'), '--window', '1d']));
    same(await json(['monitor', '--log', P('events-gzip.parquet'), '--outcomes', P('outcomes.parquet'), '--reference', P('reference.lz4.parquet'), '--window', '1d']));
    same(await json(['monitor', '--log', P('events-flat.zstd.parquet'), '--map', FLAT_MAP, '--model', MODEL, '--outcomes', P('outcomes.jsonl'), '--reference', P('reference.lz4.parquet'), '--window', '1d']));
  });

  it('rows come one row group at a time, in order; timestamps in every encoding read as the same instant', async () => {
    const groups: number[] = [];
    const ids: string[] = [];
    const n = await forEachParquetRow(P('events-struct.snappy.parquet'), { require: ['request_id'] }, (rec, row, group) => {
      if (groups[groups.length - 1] !== group) groups.push(group);
      ids.push(String(rec.request_id));
      assert.strictEqual(row, ids.length);
    });
    assert.strictEqual(n, 1200);
    assert.deepStrictEqual(groups, [1, 2, 3]);
    assert.ok(ids.every((id, i) => id === `r-${String(i + 1).padStart(5, '0')}`));

    const twin = fs.readFileSync(P('events.jsonl'), 'utf8').split('\n').slice(0, 5).map((l) => JSON.parse(l) as { timestamp: string; features: Record<string, unknown> });
    for (const col of ['ts_ms', 'ts_us', 'ts_ns', 'ts_tz', 'ts_epoch', 'ts_iso']) {
      const got: PredictionEvent[] = [];
      await readEvents(P('timestamps.parquet'), (e) => got.push(e), { mapping: { [col]: 'timestamp' }, defaultModel: MODEL });
      assert.deepStrictEqual(got.map((e) => e.timestamp), twin.map((r) => Date.parse(r.timestamp)), col);
    }
    // the struct's fields are the features, as in the twin; so are a MAP's entries
    const first: PredictionEvent[] = [];
    await readEvents(P('events-struct.snappy.parquet'), (e) => first.push(e));
    assert.deepStrictEqual(first[0].features, twin[0].features);
    const mapped: PredictionEvent[] = [];
    await readEvents(P('features-map.parquet'), (e) => mapped.push(e), { defaultModel: MODEL });
    assert.strictEqual(mapped.length, 20);
    assert.deepStrictEqual(mapped.slice(0, 5).map((e) => e.features), twin.map((r) => ({ sessions: r.features.sessions, basket: r.features.basket })));
  });

  it('bad input: not Parquet, cut short, a missing or unusable column, a bad value — each named, with what to do', async () => {
    const text = path.join(dir, 'log.parquet');
    fs.writeFileSync(text, '{"timestamp": 1}\n');
    assert.match(await fails(['abtest', '--log', text]), /log\.parquet: not a Parquet file \(it does not start with the bytes PAR1\)/);
    const cut = path.join(dir, 'cut.parquet');
    const whole = fs.readFileSync(P('events-struct.snappy.parquet'));
    fs.writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    assert.match(await fails(['abtest', '--log', cut]), /cut\.parquet: the Parquet file ends without its footer \(\d+ bytes, no PAR1 at the end\): it is cut short or still being written/);
    const junk = path.join(dir, 'junk.parquet');
    fs.writeFileSync(junk, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from([16, 0, 0, 0]), Buffer.from('PAR1')]));
    assert.match(await fails(['abtest', '--log', junk]), /junk\.parquet: the Parquet footer cannot be read \(.+\); the file is damaged/);
    assert.match(await fails(['abtest', '--log', P('no-version.parquet')]), /no-version\.parquet: the file has no 'version' column \(columns: timestamp, request_id, prediction\); rename it or map it with --map COLUMN=version/);
    assert.match(
      await fails(['abtest', '--log', P('events-flat.zstd.parquet'), '--map', `${FLAT_MAP},device=features`, '--model', MODEL]),
      /the column 'device' \(mapped to 'features'\) is BYTE_ARRAY UTF8: 'features' must be a STRUCT or MAP of name → value/,
    );
    assert.match(
      await fails(['abtest', '--log', P('events-flat.zstd.parquet'), '--map', `${FLAT_MAP},device=latency_ms`, '--model', MODEL]),
      /events-flat\.zstd\.parquet: row 1 \(row group 1\): 'latency_ms' "mobile" is not a number of milliseconds/,
    );
    assert.match(await fails(['abtest', '--log', P('events.jsonl'), '--format', 'parquet']), /events\.jsonl: not a Parquet file/);
    assert.match(await fails(['abtest', '--log', P('list-column.parquet'), '--model', MODEL]), /list-column\.parquet: the column 'tags' is a list: a feature is a number or text; write the log without it \(e\.g\. SELECT \* EXCLUDE \(tags\)\)/);
  });

  it('monitor --follow reads a Parquet log whole again when it is replaced; a half-written file waits for the next change', async () => {
    const log = path.join(dir, 'follow.parquet');
    fs.copyFileSync(P('events-struct.snappy.parquet'), log);
    const reports: MonitorReport[] = [];
    const stop = new AbortController();
    const until = async (n: number) => {
      for (let i = 0; i < 100 && reports.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      assert.strictEqual(reports.length, n, `${n} reports`);
    };
    const following = followMonitor({ log, intervalMs: 50, signal: stop.signal }, (r) => reports.push(r));
    try {
      await until(1);
      assert.strictEqual(reports[0].versions.reduce((a, v) => a + v.exposures, 0), 1200);
      const whole = fs.readFileSync(P('events-gzip.parquet'));
      fs.writeFileSync(log, whole.subarray(0, 1000)); // its writer has not closed it yet
      await new Promise((r) => setTimeout(r, 300));
      assert.strictEqual(reports.length, 1, 'no report from a file without its footer');
      fs.writeFileSync(log, whole);
      await until(2);
      assert.deepStrictEqual(reports[1].versions, reports[0].versions);
      assert.match(reports[1].notes.join('\n'), /the log is read whole again each time it changes \(a Parquet file is written whole\); 2 reads so far/);
    } finally {
      stop.abort();
      await following;
    }
  });
});
