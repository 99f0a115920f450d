/**
 * `modelver abtest` on seeded prediction logs, its numbers checked against Debian's statsmodels and
 * scipy (/usr/bin/python3) reading the same files: the pooled two-proportion z-test, the Wald and
 * log-ratio intervals, Welch's t-test, the chi-square SRM check, the sample size for power 0.8, and the
 * mSPRT always-valid p-value against its published formula (Johari et al. 2017) written in numpy.
 * Version specs of the log resolved in a real repository; bad input refused with the field and line.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mulberry32 } from '../../src/core/metrics';
import type { AbTestReport } from '../../src/core/production/abtest';
import { forEachLine } from '../../src/core/production/events';
import { cli } from '../support/cli';
import { SILERO, TempSpace, put } from './repoTestUtil';
import { ModelRepository } from '../../src/core/repo';

const PYTHON = '/usr/bin/python3';

/** The reference: statsmodels / scipy / numpy on the same JSONL files. */
const REFERENCE = String.raw`
import sys, json, math, numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest, confint_proportions_2indep, samplesize_proportions_2indep_onetail
log, outcomes, kind, tau = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
from datetime import datetime
def ms(t):
    return float(t) if not isinstance(t, str) else datetime.fromisoformat(t.replace('Z', '+00:00')).timestamp() * 1000
events = [json.loads(l) for l in open(log)]
out = {}
if outcomes != '-':
    for l in open(outcomes):
        r = json.loads(l); out[r['request_id']] = float(r['outcome'])
def value(e):
    if e['request_id'] in out: return out[e['request_id']]
    if 'outcome' in e: return float(e['outcome'])
    return 0.0 if outcomes != '-' else None
by = {}
for e in events:
    by.setdefault(e['version'], []).append((ms(e['timestamp']), value(e)))
a = np.array([v for _, v in by['v1'] if v is not None]); b = np.array([v for _, v in by['v2'] if v is not None])
res = {'n': [len(by['v1']), len(by['v2'])]}
chi = stats.chisquare([len(by['v1']), len(by['v2'])])
res['srm'] = [float(chi.statistic), float(chi.pvalue)]
if kind == 'binary':
    xa, xb, na, nb = a.sum(), b.sum(), len(a), len(b)
    zs, p = proportions_ztest([xb, xa], [nb, na])
    lo, hi = confint_proportions_2indep(xb, nb, xa, na, method='wald', compare='diff')
    rlo, rhi = confint_proportions_2indep(xb, nb, xa, na, method='log', compare='ratio')
    need = samplesize_proportions_2indep_onetail(xb / nb - xa / na, xa / na, 0.8, alpha=0.05)
    res.update(z=float(zs), p=float(p), ci=[float(lo), float(hi)], rel=[float(rlo) - 1, float(rhi) - 1], need=float(need))
else:
    t = stats.ttest_ind(b, a, equal_var=False)
    se2 = a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)
    df = se2 ** 2 / ((a.var(ddof=1) / len(a)) ** 2 / (len(a) - 1) + (b.var(ddof=1) / len(b)) ** 2 / (len(b) - 1))
    q = stats.t.ppf(0.975, df)
    d = b.mean() - a.mean()
    res.update(t=float(t.statistic), p=float(t.pvalue), df=float(df), ci=[float(d - q * math.sqrt(se2)), float(d + q * math.sqrt(se2))])
# mSPRT (Johari, Koomen, Pekelis, Walsh 2017): looks at the end of each hour, running minimum of 1/Lambda
hours = sorted({int(ts // 3600000) for v in by.values() for ts, _ in v})
h0 = hours[0]
def cum(name):
    hs = np.array([int(ts // 3600000) - h0 for ts, v in by[name] if v is not None])
    vs = np.array([v for ts, v in by[name] if v is not None])
    L = hours[-1] - h0 + 1
    return np.cumsum(np.bincount(hs, minlength=L)), np.cumsum(np.bincount(hs, weights=vs, minlength=L)), np.cumsum(np.bincount(hs, weights=vs * vs, minlength=L))
(na_, sa_, qa_), (nb_, sb_, qb_) = cum('v1'), cum('v2')
avp = 1.0
for h in hours:
    i = h - h0
    n1, n2 = na_[i], nb_[i]
    if n1 < 2 or n2 < 2: continue
    m1, m2 = sa_[i] / n1, sb_[i] / n2
    if kind == 'binary':
        v1, v2 = m1 * (1 - m1), m2 * (1 - m2)
    else:
        v1, v2 = (qa_[i] - n1 * m1 * m1) / (n1 - 1), (qb_[i] - n2 * m2 * m2) / (n2 - 1)
    V = v1 / n1 + v2 / n2
    th = m2 - m1
    lam = math.sqrt(V / (V + tau ** 2)) * math.exp(tau ** 2 * th ** 2 / (2 * V * (V + tau ** 2)))
    avp = min(avp, 1 / lam)
res['avp'] = avp
print(json.dumps(res))
`;

function reference(log: string, outcomes: string | undefined, kind: string, tau: number): Record<string, number & number[]> {
  const r = spawnSync(PYTHON, ['-c', REFERENCE, log, outcomes ?? '-', kind, String(tau)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const close = (ours: number, ref: number, what: string, tol = 1e-6) => assert.ok(Math.abs(ours - ref) <= tol * Math.max(1, Math.abs(ref)), `${what}: ours ${ours}, reference ${ref}`);

interface Gen {
  rates: [number, number];
  n: [number, number];
  revenue?: boolean;
  /** share of outcomes written to a separate outcomes log */
  late?: number;
  seed: number;
  versions?: [string, string];
}

/** A seeded log over three days: exposures shuffled in time, outcomes inline or late. */
function writeLog(dir: string, name: string, g: Gen): { log: string; outcomes?: string } {
  const rnd = mulberry32(g.seed);
  const start = Date.parse('2026-11-02T00:00:00Z');
  const rows: string[] = [];
  const late: string[] = [];
  let id = 0;
  for (const k of [0, 1] as const) {
    for (let i = 0; i < g.n[k]; i++) {
      const ts = start + Math.floor(rnd() * 3 * 86400000);
      const rid = `req-${k}-${id++}`;
      const converted = rnd() < g.rates[k];
      const outcome = g.revenue ? (converted ? Math.round((20 + 60 * rnd() + (k ? 4 : 0)) * 100) / 100 : 0) : converted ? 1 : 0;
      const rec: Record<string, unknown> = { timestamp: i % 3 ? ts : new Date(ts).toISOString(), model: 'models/m.onnx', version: (g.versions ?? ['v1', 'v2'])[k], request_id: rid, prediction: Math.round(rnd() * 1000) / 1000 };
      if (g.late && rnd() < g.late) {
        if (outcome) late.push(JSON.stringify({ request_id: rid, outcome }));
      } else rec.outcome = outcome;
      rows.push(JSON.stringify(rec));
    }
  }
  const log = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(log, rows.join('\n') + '\n');
  if (!g.late) return { log };
  const outcomes = path.join(dir, `${name}-outcomes.jsonl`);
  fs.writeFileSync(outcomes, late.join('\n') + '\n');
  return { log, outcomes };
}

describe('modelver abtest: A/B tests on prediction logs', function () {
  this.timeout(60000);
  let t: TempSpace;
  before(() => {
    t = new TempSpace();
  });
  after(() => t.cleanup());

  async function run(args: string[]): Promise<AbTestReport> {
    const r = await cli(['abtest', ...args, '--json', '-C', t.dir]);
    assert.strictEqual(r.code, 0, r.err);
    return JSON.parse(r.out) as AbTestReport;
  }

  it('binary outcomes, some arriving later: z-test, intervals, SRM, power and the always-valid p as statsmodels, scipy and numpy give them', async () => {
    const { log, outcomes } = writeLog(t.dir, 'bin', { rates: [0.2, 0.235], n: [6000, 6000], late: 0.4, seed: 7 });
    const r = await run(['--log', log, '--outcomes', outcomes!]);
    assert.strictEqual(r.metric.kind, 'binary');
    assert.deepStrictEqual(r.variants.map((v) => [v.label, v.exposures]), [['v1', 6000], ['v2', 6000]]);
    const c = r.comparisons[0];
    const ref = reference(log, outcomes, 'binary', c.tau);
    close(c.statistic, ref.z, 'z');
    close(c.p, ref.p, 'p');
    close(c.diffCI[0], ref.ci[0], 'diff CI low');
    close(c.diffCI[1], ref.ci[1], 'diff CI high');
    close(c.relativeCI![0], ref.rel[0], 'relative CI low');
    close(c.relativeCI![1], ref.rel[1], 'relative CI high');
    close(c.neededPerVariant, ref.need, 'sample size', 1e-6);
    close(r.srm.chi2, ref.srm[0], 'SRM chi-square');
    close(r.srm.p, ref.srm[1], 'SRM p');
    close(c.alwaysValidP, ref.avp, 'always-valid p', 1e-6);
    assert.ok(c.alwaysValidP >= c.p, 'the always-valid p is never below the fixed-horizon p here');
    assert.ok(c.sequentialCI[0] < c.diffCI[0] && c.sequentialCI[1] > c.diffCI[1], 'the confidence sequence is wider than the fixed-horizon interval');
    assert.ok(c.significant && c.diff > 0, JSON.stringify(c));
    assert.match(r.decision, /^v2 raises outcome by \+\d\.\d pp \[\d\.\d, \d\.\d pp\] against v1, p [=<] 0\.\d+/);
    assert.strictEqual(r.srm.mismatch, false);
    // the timeline ends with the totals
    const last = r.timeline[r.timeline.length - 1];
    assert.deepStrictEqual(last.exposures, [6000, 6000]);
    close(last.lifts[0].diff, c.diff, 'timeline diff');
  });

  it("numeric outcomes (revenue): Welch's t-test and its interval as scipy gives them", async () => {
    const { log } = writeLog(t.dir, 'rev', { rates: [0.25, 0.27], n: [3000, 3200], revenue: true, seed: 11 });
    const r = await run(['--log', log, '--split', 'v1=50,v2=50']);
    assert.strictEqual(r.metric.kind, 'numeric');
    const c = r.comparisons[0];
    const ref = reference(log, undefined, 'numeric', c.tau);
    close(c.statistic, ref.t, 't');
    close(c.df!, ref.df, 'df');
    close(c.p, ref.p, 'p', 1e-6);
    close(c.diffCI[0], ref.ci[0], 'CI low', 1e-6);
    close(c.diffCI[1], ref.ci[1], 'CI high', 1e-6);
    close(c.alwaysValidP, ref.avp, 'always-valid p');
    close(r.srm.p, ref.srm[1], 'SRM p');
  });

  it('a sample ratio mismatch is said first, and no decision is drawn', async () => {
    const { log } = writeLog(t.dir, 'srm', { rates: [0.2, 0.3], n: [5000, 4600], seed: 3 });
    const r = await run(['--log', log]);
    const ref = reference(log, undefined, 'binary', r.comparisons[0].tau);
    close(r.srm.p, ref.srm[1], 'SRM p');
    assert.ok(r.srm.mismatch, `p ${r.srm.p}`);
    assert.match(r.warnings[0], /^Sample ratio mismatch: v1 52\.1 %, v2 47\.9 % of 9,600 exposures against 50\/50/);
    assert.match(r.decision, /^No decision: sample ratio mismatch/);
    const text = await cli(['abtest', '--log', log, '-C', t.dir]);
    assert.strictEqual(text.code, 0, text.err);
    assert.match(text.out.split('\n')[0], /^WARNING: Sample ratio mismatch/);
  });

  it('version specs resolve in the repository: v1, its tag and its commit are one version', async () => {
    const dir = t.repo('ab');
    const restore = t.useProcessEnv();
    try {
      const repo = await ModelRepository.open(dir, { env: t.env });
      put(dir, 'models/m.onnx', SILERO[0]);
      await repo.commitModel('models/m.onnx', 'first');
      put(dir, 'models/m.onnx', SILERO[1]);
      await repo.commitModel('models/m.onnx', 'second');
      const [v1, v2] = await repo.versions('models/m.onnx');
      await repo.tag('models/m.onnx', { version: 1, name: 'm/prod-old' });
      const { log } = writeLog(dir, 'mixed', { rates: [0.2, 0.25], n: [400, 400], seed: 5, versions: ['v1', v2.commit] });
      // a third of v1's records name it by tag, a third by commit
      const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n').map((l, i) => {
        const e = JSON.parse(l);
        if (e.version === 'v1') e.version = i % 3 === 0 ? 'm/prod-old' : i % 3 === 1 ? v1.commit : 'v1';
        return JSON.stringify(e);
      });
      fs.writeFileSync(log, lines.join('\n') + '\n');
      const r = await cli(['abtest', '--log', log, '--json', '-C', dir]);
      assert.strictEqual(r.code, 0, r.err);
      const rep = JSON.parse(r.out) as AbTestReport;
      assert.deepStrictEqual(rep.variants.map((v) => [v.label, v.exposures, v.commit]), [
        ['v1', 400, v1.commit],
        ['v2', 400, v2.commit],
      ]);
      assert.deepStrictEqual(new Set(rep.variants[0].specs), new Set(['v1', 'm/prod-old', v1.commit]));
      // an unknown version names the record
      fs.appendFileSync(log, JSON.stringify({ timestamp: '2026-11-05T00:00:00Z', model: 'models/m.onnx', version: 'v9', request_id: 'x-1', outcome: 1 }) + '\n');
      const bad = await cli(['abtest', '--log', log, '-C', dir]);
      assert.strictEqual(bad.code, 1);
      assert.match(bad.err, /mixed\.jsonl, line 801: version 'v9' of models\/m\.onnx: .*has no version 'v9'/);
    } finally {
      restore();
    }
  });

  it('reads lines across 4 MiB chunks: CRLF, empty lines, UTF-8 characters cut by a chunk boundary, no final line end', async () => {
    const file = path.join(t.dir, 'lines.txt');
    // 3-byte '€' and 2-byte 'é' at every offset around the first two chunk boundaries
    const parts: string[] = [];
    let bytes = 0;
    let i = 0;
    while (bytes < 9 * 1024 * 1024) {
      const line = `${i}:${'x'.repeat(i % 97)}${i % 3 ? '€' : 'é'}${i % 5 === 0 ? '\r' : ''}`;
      parts.push(line);
      bytes += Buffer.byteLength(line) + 1;
      if (i % 1000 === 0) {
        parts.push('');
        bytes += 1;
      }
      i++;
    }
    const text = parts.join('\n') + '\nlast line without an end';
    fs.writeFileSync(file, text);
    const want = text.split('\n').map((l, k) => [k + 1, l.endsWith('\r') ? l.slice(0, -1) : l] as const).filter(([, l]) => l.length);
    const got: (readonly [number, string])[] = [];
    const total = await forEachLine(file, (line, n) => got.push([n, line]));
    assert.strictEqual(total, text.split('\n').length);
    assert.strictEqual(got.length, want.length);
    const bad = got.findIndex((g, k) => g[0] !== want[k][0] || g[1] !== want[k][1]);
    assert.strictEqual(bad, -1, bad >= 0 ? `line ${got[bad][0]}: ${JSON.stringify(got[bad][1])} vs ${JSON.stringify(want[bad])}` : '');
  });

  it('bad input: the field and the line are named; one variant, duplicates, no outcomes, unknown metric', async () => {
    const f = (name: string, lines: unknown[]) => {
      const p = path.join(t.dir, name);
      fs.writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
      return p;
    };
    const ok = { timestamp: '2026-11-02T10:00:00Z', model: 'm.onnx', version: 'v1', request_id: 'a', outcome: 1 };
    const cases: [string, string[], RegExp][] = [
      ['ts.jsonl', [JSON.stringify(ok), JSON.stringify({ ...ok, request_id: 'b', timestamp: 'yesterday' })], /ts\.jsonl, line 2: 'timestamp' "yesterday" is neither ISO 8601/],
      ['nover.jsonl', [JSON.stringify({ ...ok, version: undefined })], /nover\.jsonl, line 1: the field 'version' is missing/],
      ['notjson.jsonl', [JSON.stringify(ok), '{"timestamp": 1'], /notjson\.jsonl, line 2: not a JSON object/],
      ['dup.jsonl', [JSON.stringify(ok), JSON.stringify({ ...ok, version: 'v2' }), JSON.stringify(ok)], /dup\.jsonl, line 2: request_id 'a' appears again \(first at line 1\)/],
      ['noout.jsonl', [JSON.stringify({ ...ok, outcome: undefined }), JSON.stringify({ ...ok, request_id: 'b', version: 'v2', outcome: undefined })], /no record has an 'outcome'/],
      ['bado.jsonl', [JSON.stringify({ ...ok, outcome: 'bought' })], /bado\.jsonl, line 1: 'outcome' "bought" is not a number or true\/false/],
      ['two.jsonl', [JSON.stringify(ok), JSON.stringify({ ...ok, request_id: 'b', model: 'other.onnx' })], /predictions of 2 models \(m\.onnx: 1, other\.onnx: 1\): name one with --model PATH/],
      ['named.jsonl', [JSON.stringify({ ...ok, outcome: { purchased: 1, revenue: 20 } })], /several named values \(purchased, revenue\): choose one with --metric NAME/],
    ];
    for (const [name, lines, want] of cases) {
      const r = await cli(['abtest', '--log', f(name, lines), '-C', t.dir]);
      assert.strictEqual(r.code, 1, `${name}: ${r.out}`);
      assert.match(r.err, want, name);
    }
    // one variant: a report that says an A/B test needs two
    const one = await cli(['abtest', '--log', f('one.jsonl', [JSON.stringify(ok), JSON.stringify({ ...ok, request_id: 'b', outcome: 0 })]), '--json', '-C', t.dir]);
    assert.strictEqual(one.code, 0, one.err);
    assert.match((JSON.parse(one.out) as AbTestReport).decision, /Only v1 is in the log: an A\/B test needs two versions/);
    // CSV with a header that lacks request_id; --split without a version of the log; usage errors
    const csv = path.join(t.dir, 'x.csv');
    fs.writeFileSync(csv, 'timestamp,version,req,outcome\n2026-11-02,v1,a,1\n');
    const noId = await cli(['abtest', '--log', csv, '-C', t.dir]);
    assert.match(noId.err, /x\.csv, line 1: the header has no 'request_id' column \(columns: timestamp, version, req, outcome\); rename it or map it with --map COLUMN=request_id/);
    const mapped = await cli(['abtest', '--log', csv, '--map', 'req=request_id', '--model', 'm.onnx', '--json', '-C', t.dir]);
    assert.strictEqual(mapped.code, 0, mapped.err);
    const named = f('named2.jsonl', [JSON.stringify({ ...ok, outcome: { purchased: 1 } }), JSON.stringify({ ...ok, request_id: 'b', version: 'v2', outcome: { purchased: 0 } })]);
    const unknown = await cli(['abtest', '--log', named, '--metric', 'revenue', '-C', t.dir]);
    assert.match(unknown.err, /no record has an 'outcome'/);
    const split = await cli(['abtest', '--log', named, '--split', 'v1=90,v3=10', '-C', t.dir]);
    assert.match(split.err, /--split names no share for v2, which served predictions in the log/);
    assert.strictEqual((await cli(['abtest', '-C', t.dir])).code, 2);
    assert.strictEqual((await cli(['abtest', '--log', named, '--split', 'v1=0,v2=1', '-C', t.dir])).code, 2);
    const parquet = await cli(['abtest', '--log', path.join(t.dir, 'log.parquet'), '-C', t.dir]);
    assert.match(parquet.err, /no such file|Parquet logs are not read yet/);
  });
});
