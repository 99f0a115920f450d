/**
 * Large prediction logs: the fast JSON Lines reader (fastLine.ts) against JSON.parse, and the read in
 * parts on worker threads (parallel.ts) against numpy on the same file and against the read in one
 * thread — the same report, and the same error naming the same record and line when a later part
 * holds a bad record or a request id seen in an earlier part.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mulberry32 } from '../../src/core/metrics';
import { runAbTest } from '../../src/core/production/collect';
import { toEvent, type PredictionEvent } from '../../src/core/production/events';
import { FastJsonLine } from '../../src/core/production/fastLine';
import { IdTable } from '../../src/core/production/idTable';
import { runMonitor } from '../../src/core/production/monitor';
import { logParts } from '../../src/core/production/parallel';
import { TempSpace } from './repoTestUtil';

const PYTHON = '/usr/bin/python3';

/** The reference of the slow path: JSON.parse, the mapping, toEvent — or its error. */
function slow(line: string, mapping?: Record<string, 'request_id' | 'version' | 'timestamp'>, features = true): PredictionEvent | Error {
  try {
    const rec = JSON.parse(line) as unknown;
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return new Error('not an object');
    const renamed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) renamed[mapping && Object.prototype.hasOwnProperty.call(mapping, k) ? mapping[k] : k] = v;
    const e = toEvent(renamed, 'log.jsonl', 1, { defaultModel: 'models/default.onnx' });
    if (!features && e.features) e.features = {};
    return e;
  } catch (err) {
    return err as Error;
  }
}

function fast(line: string, parser: FastJsonLine): PredictionEvent | undefined {
  // the line inside a larger buffer, with the next line after it, as the reader hands it over
  const buf = Buffer.from(`{"junk": 1}\n${line}\n{"next": 2}\n`, 'utf8');
  const start = Buffer.byteLength('{"junk": 1}\n');
  return parser.parse(buf, start, start + Buffer.byteLength(line));
}

function checkLine(line: string, parser: FastJsonLine, mapping?: Record<string, 'request_id' | 'version' | 'timestamp'>, features = true): 'fast' | 'slow' {
  const want = slow(line, mapping, features);
  const got = fast(line, parser);
  if (want instanceof Error) {
    assert.strictEqual(got, undefined, `the fast path took a line JSON.parse + toEvent refuse (${want.message}): ${line}`);
    return 'slow';
  }
  if (got === undefined) return 'slow';
  assert.deepStrictEqual({ ...got, features: got.features && { ...got.features } }, { ...want, features: want.features && { ...want.features } }, line);
  // -0 and 0 are deepStrictEqual-distinct already; NaN cannot come from JSON
  return 'fast';
}

const BASE = {
  timestamp: 1793520000000,
  model: 'models/m.onnx',
  version: 'v3',
  request_id: 'r-1',
  prediction: 0.8123,
  outcome: 1,
  features: { pages: 4, minutes: 12.5, device: 'mobile' },
  latency_ms: 3.25,
};

describe('prediction logs at scale: the fast reader and the read in parts', function () {
  this.timeout(120000);
  let t: TempSpace;
  const env = { min: process.env.MV_PARALLEL_MIN_BYTES, parts: process.env.MV_PARALLEL_PARTS };
  before(() => {
    t = new TempSpace();
  });
  after(() => {
    t.cleanup();
    process.env.MV_PARALLEL_MIN_BYTES = env.min;
    process.env.MV_PARALLEL_PARTS = env.parts;
    if (env.min === undefined) delete process.env.MV_PARALLEL_MIN_BYTES;
    if (env.parts === undefined) delete process.env.MV_PARALLEL_PARTS;
  });

  it('the fast reader gives what JSON.parse + toEvent give, and leaves every line they refuse (and odd ones) to them', () => {
    const p = new FastJsonLine(undefined, true, 'models/default.onnx', false);
    const cases: string[] = [
      JSON.stringify(BASE),
      JSON.stringify({ ...BASE, timestamp: '2026-11-03T14:05:00Z' }),
      JSON.stringify({ ...BASE, timestamp: '2026-11-03T14:05:00.250+02:00' }),
      JSON.stringify({ ...BASE, timestamp: '1793520000000' }),
      JSON.stringify({ ...BASE, model: undefined }),
      JSON.stringify({ ...BASE, model: null }),
      JSON.stringify({ ...BASE, prediction: 'cat' }),
      JSON.stringify({ ...BASE, prediction: '0.25' }),
      JSON.stringify({ ...BASE, prediction: true }),
      JSON.stringify({ ...BASE, prediction: null, outcome: false }),
      JSON.stringify({ ...BASE, outcome: 'true' }),
      JSON.stringify({ ...BASE, outcome: 'yes' }),
      JSON.stringify({ ...BASE, outcome: { purchased: 1, revenue: 20 } }),
      JSON.stringify({ ...BASE, features: { nested: { a: 1 } } }),
      JSON.stringify({ ...BASE, features: [1, 2] }),
      JSON.stringify({ ...BASE, features: null }),
      JSON.stringify({ ...BASE, features: {} }),
      JSON.stringify({ ...BASE, latency_ms: -1 }),
      JSON.stringify({ ...BASE, latency_ms: '2.5' }),
      JSON.stringify({ ...BASE, version: 3 }),
      JSON.stringify({ ...BASE, request_id: 17 }),
      JSON.stringify({ ...BASE, request_id: '' }),
      JSON.stringify({ ...BASE, version: 'v3 "quoted" \\ \n tab\t é 中 😀' }),
      JSON.stringify({ ...BASE, request_id: 'ümlaut-é-中' }),
      JSON.stringify({ ...BASE, extra: { deep: [1, { x: [null, true, false, 'a\\"b'] }], s: '\u0001' } }),
      JSON.stringify({ ...BASE, features: { 'a"b': 1, 'é': 'ü', big: 1.7976931348623157e308, tiny: 5e-324, neg: -0.000123, int: 12345678901234567890 } }),
      '{"timestamp":1e12,"version":"v1","request_id":"a","prediction":1.5E-3,"outcome":0.1234567890123456789}',
      '{"timestamp":-0,"version":"v1","request_id":"a","prediction":-0.0}',
      '{"timestamp":0.1,"version":"v1","request_id":"a","prediction":123456789012345.6}',
      '  { "timestamp" : 1 , "version" : "v1" , "request_id" : "a" }  ',
      '{"timestamp":1,"version":"v1","request_id":"a","version":"v2"}',
      '{"timestamp":1,"version":"v1","request_id":"a","features":{"x":1,"x":2}}',
      '{"timestamp":1,"version":"v1","request_id":"a","features":{"__proto__":1,"y":2}}',
      '{}',
      '[]',
      '"text"',
      '{"timestamp":1,"version":"v1","request_id":"a",}',
      '{"timestamp":01,"version":"v1","request_id":"a"}',
      '{"timestamp":1.,"version":"v1","request_id":"a"}',
      '{"timestamp":.5,"version":"v1","request_id":"a"}',
      '{"timestamp":+1,"version":"v1","request_id":"a"}',
      '{"timestamp":1,"version":"v1","request_id":"a"} x',
      '{"timestamp":1,"version":"v1","request_id":"a"',
      '{"timestamp":1,"version":"v1","request_id":"a\tb"}',
      '{"timestamp":1,"version":"v1","request_id":"a\\qb"}',
      '{"timestamp":1,"version":"v1","request_id":"a\\u00e9b"}',
      '{"timestamp":1,"version":"v1","request_id":"a","outcome":tru}',
      '{"timestamp":1,"version":"v1","request_id":"a","outcome":nulls}',
      '{"timestamp":1,"version":"v1","request_id":"a","x":[1,2,]}',
      '{"timestamp":1,"version":"v1","request_id":"a","x":{"y":}}',
      '{timestamp:1,"version":"v1","request_id":"a"}',
      '{"timestamp":1 "version":"v1","request_id":"a"}',
      '{"timestamp":"2026-13-45","version":"v1","request_id":"a"}',
      '{"version":"v1","request_id":"a"}',
      '{"timestamp":1,"version":"v1","request_id":"a","prediction":1e400}',
      '{"timestamp":1,"version":"v1","request_id":"a","outcome":-1e999}',
      '{"timestamp":1,"version":"v1","request_id":"a","latency_ms":1e309}',
      '{"timestamp":1e999,"version":"v1","request_id":"a"}',
    ];
    const took = cases.map((c) => checkLine(c, p));
    // the common shapes do take the fast path (else it would be correct and useless)
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 22, 23, 24, 25, 26, 27, 28, 29]) assert.strictEqual(took[i], 'fast', cases[i]);

    // mutations of good lines: every byte deleted, doubled or replaced by a JSON-significant one
    const rnd = mulberry32(99);
    const good = [JSON.stringify(BASE), JSON.stringify({ ...BASE, timestamp: '2026-11-03T14:05:00Z', extra: [1, { a: 'b' }] })];
    const swaps = ['"', '{', '}', '[', ']', ',', ':', '\\', '-', '.', 'e', '0', '9', ' ', 'n', 't', '\u0000', 'é'];
    let n = 0;
    for (const g of good) {
      for (let i = 0; i < g.length; i++) {
        checkLine(g.slice(0, i) + g.slice(i + 1), p);
        checkLine(g.slice(0, i) + g[i] + g.slice(i), p);
        checkLine(g.slice(0, i) + swaps[Math.floor(rnd() * swaps.length)] + g.slice(i + 1), p);
        n += 3;
      }
    }
    assert.ok(n > 600);

    // a mapping renames the file's fields; without features the object is checked, not built
    const mapped = new FastJsonLine({ req: 'request_id', v: 'version' }, false, 'models/default.onnx', false);
    const line = JSON.stringify({ timestamp: 5, v: 'v2', req: 'x-1', request_id: 'ignored?', features: { a: 1 } });
    checkLine(line, mapped, { req: 'request_id', v: 'version' }, false);
    checkLine(JSON.stringify({ timestamp: 5, v: 'v2', req: 'x-1', features: { a: [1, { b: 2 }] } }), mapped, { req: 'request_id', v: 'version' }, false);
    assert.strictEqual(fast(JSON.stringify({ timestamp: 5, v: 'v2', req: 'x-1', features: 'no' }), mapped), undefined);
  });

  it('the request-id table keeps what a Map keeps: values, first tags, growth, shared memory, joins of two parts', () => {
    const rnd = mulberry32(7);
    const ref = new Map<string, { v: number; tag: number }>();
    const t = new IdTable(16, true);
    for (let i = 0; i < 120000; i++) {
      const id = `id-${Math.floor(rnd() * 90000).toString(36)}${rnd() < 0.01 ? 'é' : ''}`;
      const v = Math.round(rnd() * 1e6) / 1e3;
      const before = t.addIfAbsent(id, v, i + 1);
      const r = ref.get(id);
      assert.strictEqual(before, r?.tag, id);
      if (!r) ref.set(id, { v, tag: i + 1 });
    }
    assert.strictEqual(t.size, ref.size);
    for (const [id, r] of ref) assert.strictEqual(t.get(id), r.v, id);
    assert.strictEqual(t.get('never-added'), undefined);
    // a table made in shared memory, read through its parts (as a worker thread reads it)
    const shared = new IdTable(16, true, true);
    for (const [id, r] of ref) shared.addIfAbsent(id, r.v, r.tag);
    const seenThere = IdTable.of(shared.parts());
    assert.ok(shared.parts().slots.buffer instanceof SharedArrayBuffer);
    for (const [id, r] of [...ref].slice(0, 5000)) assert.strictEqual(seenThere.get(id), r.v);
    // two parts: shared ids are found; absorbing keeps the first part's tags and offsets the second's
    const a = new IdTable(16, false);
    const b = new IdTable(16, false);
    for (let i = 0; i < 5000; i++) a.addIfAbsent(`a${i}`, 0, i + 1);
    for (let i = 0; i < 5000; i++) b.addIfAbsent(`b${i}`, 0, i + 1);
    assert.strictEqual(a.sharesAny(b), false);
    a.absorb(b, 5000);
    assert.strictEqual(a.size, 10000);
    assert.strictEqual(a.addIfAbsent('b17', 0, 1), 5018);
    assert.strictEqual(a.addIfAbsent('a17', 0, 1), 18);
    b.addIfAbsent('a4999', 0, 6000);
    assert.strictEqual(new IdTable(16, false).sharesAny(b), false);
    const c = new IdTable(16, false);
    c.addIfAbsent('a4999', 0, 1);
    assert.strictEqual(c.sharesAny(b), true);
  });

  /** A seeded log: three versions, hours of traffic, some outcomes late in a separate log. */
  function writeLog(name: string, n: number): { log: string; outcomes: string } {
    const rnd = mulberry32(4242);
    const start = Date.parse('2026-11-02T00:00:00Z');
    const rows: string[] = [];
    const late: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rnd() * 3);
      const rid = `q${i}`;
      const y = rnd() < [0.2, 0.22, 0.25][k] ? 1 : 0;
      const rec: Record<string, unknown> = {
        timestamp: i % 4 ? start + Math.floor((i / n) * 30 * 3600e3) : new Date(start + Math.floor((i / n) * 30 * 3600e3)).toISOString(),
        model: 'models/m.onnx',
        version: ['v1', 'v2', 'v3'][k],
        request_id: rid,
        prediction: Math.round(rnd() * 1000) / 1000,
        features: { pages: 1 + Math.floor(rnd() * 10), minutes: Math.round(rnd() * 300) / 10, device: rnd() < 0.6 ? 'mobile' : 'desktop' },
        latency_ms: Math.round((1 + rnd() * 9) * 100) / 100,
      };
      if (rnd() < 0.3) {
        if (y) late.push(JSON.stringify({ request_id: rid, outcome: y }));
      } else rec.outcome = y;
      rows.push(JSON.stringify(rec));
      if (i % 500 === 250) rows.push(''); // empty lines count as lines
    }
    const log = path.join(t.dir, `${name}.jsonl`);
    fs.writeFileSync(log, rows.join('\n') + '\n');
    const outcomes = path.join(t.dir, `${name}-outcomes.jsonl`);
    fs.writeFileSync(outcomes, late.join('\n') + '\n');
    return { log, outcomes };
  }

  function parts(k: number): void {
    process.env.MV_PARALLEL_MIN_BYTES = '1';
    process.env.MV_PARALLEL_PARTS = String(k);
  }

  it('abtest and monitor in 2 and 3 parts: the counts numpy gives, and the report of one thread', async () => {
    const { log, outcomes } = writeLog('big', 5400);
    parts(3);
    assert.strictEqual(logParts(log, undefined)?.length, 3, 'the log is cut in 3 parts');
    const ab3 = await runAbTest({ log, outcomes });
    const mon3 = await runMonitor({ log, outcomes, windowMs: 3600e3 });
    parts(2);
    const ab2 = await runAbTest({ log, outcomes });
    const mon2 = await runMonitor({ log, outcomes, windowMs: 3600e3 });
    parts(1);
    assert.strictEqual(logParts(log, undefined), undefined);
    const ab1 = await runAbTest({ log, outcomes });
    const mon1 = await runMonitor({ log, outcomes, windowMs: 3600e3 });

    // numpy on the same files: exposures and conversions per version, per-hour counts, accuracy
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        String.raw`
import sys, json, numpy as np
from datetime import datetime
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
late = {}
for l in open(sys.argv[2]):
    if l.strip():
        r = json.loads(l); late[r['request_id']] = r['outcome']
def ms(t): return t if not isinstance(t, str) else datetime.fromisoformat(t.replace('Z', '+00:00')).timestamp() * 1000
out = {}
for v in ['v1', 'v2', 'v3']:
    e = [x for x in ev if x['version'] == v]
    y = np.array([late.get(x['request_id'], x.get('outcome', 0)) for x in e], dtype=float)
    p = np.array([x['prediction'] for x in e])
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    out[v] = dict(n=len(e), conv=float(y.sum()), acc=float(np.mean((p >= 0.5) == (y == 1))), logloss=float(np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)))), mean=float(p.mean()),
                  hours=np.bincount(np.array([int(ms(x['timestamp']) // 3600000) for x in e]) - int(ms(ev[0]['timestamp']) // 3600000)).tolist())
print(json.dumps(out))
`,
        log,
        outcomes,
      ],
      { encoding: 'utf8' },
    );
    assert.strictEqual(py.status, 0, py.stderr);
    const ref = JSON.parse(py.stdout) as Record<string, { n: number; conv: number; acc: number; logloss: number; mean: number; hours: number[] }>;
    for (const ab of [ab3, ab2]) {
      for (const v of ab.variants) {
        assert.strictEqual(v.exposures, ref[v.label].n, `${v.label} exposures`);
        assert.ok(Math.abs(v.mean * v.withOutcome - ref[v.label].conv) < 1e-9, `${v.label} conversions`);
      }
    }
    for (const mon of [mon3, mon2]) {
      for (const v of mon.versions) {
        const r = ref[v.version];
        assert.strictEqual(v.exposures, r.n);
        assert.ok(v.outcomes && v.prediction && 'mean' in v.prediction, `${v.version}: outcomes and a numeric prediction`);
        assert.ok(Math.abs(v.outcomes!.accuracy! - r.acc) < 1e-12, `${v.version} accuracy`);
        assert.ok(Math.abs(v.outcomes!.logLoss! - r.logloss) < 1e-9, `${v.version} log-loss`);
        assert.ok(Math.abs((v.prediction as { mean: number }).mean - r.mean) < 1e-12, `${v.version} mean prediction`);
      }
      const perHour = mon.windows.map((w) => w.versions.find((x) => x.version === 'v2')?.exposures ?? 0);
      assert.deepStrictEqual(perHour, ref.v2.hours.filter((_, i) => mon.windows.some((w) => Date.parse(w.start) === Date.parse(mon.windows[0].start) + i * 3600e3)));
    }
    // the same report as one thread: A/B sums are exact; the monitor's samples hold every value here
    // (fewer than the reservoir's size), so only the order of floating-point additions may differ
    assert.deepStrictEqual(ab3, ab1);
    assert.deepStrictEqual(ab2, ab1);
    const round = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));
    assert.deepStrictEqual(round(mon3), round(mon1));
    assert.deepStrictEqual(round(mon2), round(mon1));
  });

  it('a bad record or a repeated request id in a later part: the error of a read in one thread, same record and line', async () => {
    const { log } = writeLog('errs', 3000);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    const errorOf = async (file: string, k: number, what: 'abtest' | 'monitor' = 'abtest') => {
      parts(k);
      try {
        if (what === 'abtest') await runAbTest({ log: file });
        else await runMonitor({ log: file, windowMs: 3600e3 });
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    const variant = (name: string, edit: (ls: string[]) => void) => {
      const ls = [...lines];
      edit(ls);
      const f = path.join(t.dir, `${name}.jsonl`);
      fs.writeFileSync(f, ls.join('\n'));
      return f;
    };
    const late = Math.floor(lines.length * 0.9);
    const cases = [
      // a bad latency in the last part
      variant('bad-late', (ls) => (ls[late] = ls[late].replace(/"latency_ms":[0-9.]+/, '"latency_ms":"slow"'))),
      // the id of line 10 again in the last part, and a bad record after it
      variant('dup-across', (ls) => {
        ls[late] = ls[late].replace(/"request_id":"q\d+"/, ls[9].match(/"request_id":"q\d+"/)![0]);
        ls[late + 5] = '{not json';
      }),
      // an id twice inside the middle part
      variant('dup-inside', (ls) => {
        const m = Math.floor(ls.length / 2);
        ls[m + 3] = ls[m + 3].replace(/"request_id":"q\d+"/, ls[m].match(/"request_id":"q\d+"/)![0]);
      }),
      // bad records in the first and the last part: the first is named
      variant('two-bad', (ls) => {
        ls[20] = '{"timestamp": "yesterday", "version": "v1", "request_id": "zz"}';
        ls[late] = '[1,2]';
      }),
    ];
    for (const f of cases) {
      const one = await errorOf(f, 1);
      assert.match(one, /line \d+/, `${path.basename(f)}: ${one}`);
      assert.strictEqual(await errorOf(f, 3), one, path.basename(f));
      assert.strictEqual(await errorOf(f, 2), one, path.basename(f));
    }
    const monOne = await errorOf(cases[0], 1, 'monitor');
    assert.match(monOne, /latency_ms/);
    assert.strictEqual(await errorOf(cases[0], 3, 'monitor'), monOne);
  });
});
