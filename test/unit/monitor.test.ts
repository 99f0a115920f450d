/**
 * `modelver monitor` on a seeded prediction log with a drift on one day, checked against scipy and
 * numpy (/usr/bin/python3) reading the same files: the two-sample KS statistic (scipy ks_2samp) and its
 * asymptotic p-value (scipy kstwobign), PSI over the reference's deciles, latency quantiles, accuracy
 * and log-loss; per window, the drifted day and only it is flagged.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mulberry32 } from '../../src/core/metrics';
import type { MonitorReport } from '../../src/core/production/monitor';
import { cli } from '../support/cli';
import { TempSpace } from './repoTestUtil';

const PYTHON = '/usr/bin/python3';

const REFERENCE = String.raw`
import sys, json, math, numpy as np
from scipy import stats
log, ref = sys.argv[1], sys.argv[2]
R = np.genfromtxt(ref, delimiter=',', names=True)
ev = [json.loads(l) for l in open(log)]
out = {}
for v in sorted({e['version'] for e in ev}):
    E = [e for e in ev if e['version'] == v]
    res = {}
    for f in ['pages_viewed', 'session_minutes']:
        x = np.array([e['features'][f] for e in E], dtype=float)
        r = R[f]
        ks = stats.ks_2samp(x, r)
        en = len(x) * len(r) / (len(x) + len(r))
        edges = np.unique(np.quantile(r, np.arange(1, 10) / 10))
        e_ = np.bincount(np.searchsorted(edges, r, side='left'), minlength=len(edges) + 1) / len(r)
        a_ = np.bincount(np.searchsorted(edges, x, side='left'), minlength=len(edges) + 1) / len(x)
        e_, a_ = np.maximum(e_, 1e-4), np.maximum(a_, 1e-4)
        res[f] = {'d': float(ks.statistic), 'p': float(stats.kstwobign.sf(math.sqrt(en) * ks.statistic)), 'psi': float(np.sum((a_ - e_) * np.log(a_ / e_)))}
    lat = np.array([e['latency_ms'] for e in E])
    p = np.array([e['prediction'] for e in E]); y = np.array([e['outcome'] for e in E])
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    res['lat'] = [float(np.quantile(lat, 0.5)), float(np.quantile(lat, 0.95))]
    res['acc'] = float(np.mean((p >= 0.5) == (y == 1)))
    res['logloss'] = float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc)))
    out[v] = res
print(json.dumps(out))
`;

/** a standard normal from two uniforms (Box–Muller) */
const normal = (rnd: () => number) => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

describe('modelver monitor: drift, latency and accuracy of deployed versions', function () {
  this.timeout(60000);
  let t: TempSpace;
  let log: string;
  let ref: string;
  before(() => {
    t = new TempSpace();
    const rnd = mulberry32(42);
    // the reference: the training data's features
    const rows = ['pages_viewed,session_minutes,device,purchased'];
    for (let i = 0; i < 3000; i++) rows.push(`${(5 + 2 * normal(rnd)).toFixed(3)},${(12 + 4 * normal(rnd)).toFixed(3)},${rnd() < 0.6 ? 'mobile' : 'desktop'},${rnd() < 0.2 ? 1 : 0}`);
    ref = path.join(t.dir, 'train.csv');
    fs.writeFileSync(ref, rows.join('\n') + '\n');
    // two days, v2 and v3; on day 2 v3's users view more pages (a drift in one feature)
    const lines: string[] = [];
    const day = Date.parse('2026-11-03T00:00:00Z');
    let id = 0;
    for (const d of [0, 1]) {
      for (const v of ['v2', 'v3']) {
        for (let i = 0; i < 1500; i++) {
          const shift = d === 1 && v === 'v3' ? 2.5 : 0;
          const pages = 5 + shift + 2 * normal(rnd);
          const prediction = Math.round(1000 / (1 + Math.exp(-(pages - 6)))) / 1000;
          lines.push(
            JSON.stringify({
              timestamp: day + d * 86400000 + Math.floor(rnd() * 86400000),
              model: 'models/purchase_model.onnx',
              version: v,
              request_id: `r${id++}`,
              prediction,
              outcome: rnd() < prediction ? 1 : 0,
              features: { pages_viewed: Number(pages.toFixed(3)), session_minutes: Number((12 + 4 * normal(rnd)).toFixed(3)), device: rnd() < (d === 1 && v === 'v3' ? 0.3 : 0.6) ? 'mobile' : 'desktop' },
              latency_ms: Number((2 + Math.exp(normal(rnd))).toFixed(3)),
            }),
          );
        }
      }
    }
    log = path.join(t.dir, 'predictions.jsonl');
    fs.writeFileSync(log, lines.join('\n') + '\n');
  });
  after(() => t.cleanup());

  it('per version: KS, PSI, latency quantiles, accuracy and log-loss as scipy and numpy give them', async () => {
    const r = await cli(['monitor', '--log', log, '--reference', ref, '--window', '1d', '--json', '-C', t.dir]);
    assert.strictEqual(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as MonitorReport;
    const py = spawnSync(PYTHON, ['-c', REFERENCE, log, ref], { encoding: 'utf8' });
    assert.strictEqual(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as Record<string, Record<string, { d: number; p: number; psi: number }> & { lat: number[]; acc: number; logloss: number }>;
    assert.deepStrictEqual(rep.versions.map((v) => [v.version, v.exposures]), [['v2', 3000], ['v3', 3000]]);
    for (const v of rep.versions) {
      const w = want[v.version];
      for (const f of ['pages_viewed', 'session_minutes']) {
        const ours = v.features.find((x) => x.feature === f)!;
        assert.ok(Math.abs(ours.ks!.d - w[f].d) < 1e-12, `${v.version} ${f} D: ${ours.ks!.d} vs ${w[f].d}`);
        assert.ok(Math.abs(ours.ks!.p - w[f].p) < 1e-9 * Math.max(1, w[f].p) + 1e-300, `${v.version} ${f} p: ${ours.ks!.p} vs ${w[f].p}`);
        assert.ok(Math.abs(ours.psi - w[f].psi) < 1e-9, `${v.version} ${f} PSI: ${ours.psi} vs ${w[f].psi}`);
      }
      assert.ok(Math.abs(v.latencyMs!.p50 / w.lat[0] - 1) < 0.011, `p50 ${v.latencyMs!.p50} vs ${w.lat[0]}`);
      assert.ok(Math.abs(v.latencyMs!.p95 / w.lat[1] - 1) < 0.011, `p95 ${v.latencyMs!.p95} vs ${w.lat[1]}`);
      assert.ok(Math.abs(v.outcomes!.accuracy! - w.acc) < 1e-12);
      assert.ok(Math.abs(v.outcomes!.logLoss! - w.logloss) < 1e-9);
      const device = v.features.find((x) => x.feature === 'device')!;
      assert.strictEqual(device.kind, 'text');
      assert.deepStrictEqual(device.shares!.map((s) => s.category).sort(), ['desktop', 'mobile']);
    }
    // the drift: v3 on day 2 only, in pages_viewed and device; v2 never
    assert.deepStrictEqual(
      rep.windows.map((w) => w.versions.map((v) => `${v.version}:${v.drifted.join('+') || '-'}`).join(' ')),
      ['v2:- v3:-', 'v2:- v3:device+pages_viewed'],
    );
    assert.ok(rep.alerts.some((a) => /^v3, window from 2026-11-04 00:00 UTC: drift in device, pages_viewed$/.test(a)), rep.alerts.join('\n'));
    const text = await cli(['monitor', '--log', log, '--reference', ref, '-C', t.dir]);
    assert.match(text.out, /^ALERT: v3, whole log: drift in/m);
    assert.match(text.out, /DRIFT pages_viewed: KS D 0\.\d+ \(p < 0\.001\), PSI \d\.\d+/);
  });

  it('without a reference: the versions and what could not be measured; bad input named', async () => {
    const r = await cli(['monitor', '--log', log, '-C', t.dir]);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /v2: no reference \(not in a repository, so no recorded lineage\): give --reference FILE for drift/);
    assert.strictEqual((await cli(['monitor', '--log', log, '--window', 'daily', '-C', t.dir])).code, 2);
    const bad = path.join(t.dir, 'bad.jsonl');
    fs.writeFileSync(bad, fs.readFileSync(log, 'utf8').split('\n').slice(0, 3).join('\n') + '\n{"timestamp": "2026-11-03", "version": "v2", "request_id": "z", "latency_ms": "fast"}\n');
    const b = await cli(['monitor', '--log', bad, '--model', 'models/purchase_model.onnx', '-C', t.dir]);
    assert.strictEqual(b.code, 1);
    assert.match(b.err, /bad\.jsonl, line 4: 'latency_ms' "fast" is not a number of milliseconds/);
  });

  it('PSI flags no drift in a window of too few values (its chance level is about (bins − 1)/n); KS still judges it', async () => {
    const rnd = mulberry32(5);
    const start = Date.parse('2026-11-05T00:00:00Z');
    const lines: string[] = [];
    // hour 0: 40 values like the training data; hour 1: 1,000 like it; hour 2: 1,000 shifted by one sd
    const hours: [number, number][] = [[40, 0], [1000, 0], [1000, 2]];
    let id = 0;
    hours.forEach(([n, shift], hIdx) => {
      for (let i = 0; i < n; i++) {
        lines.push(JSON.stringify({ timestamp: start + hIdx * 3600e3 + i, model: 'm.onnx', version: 'v1', request_id: `p${id++}`, prediction: 0.5, features: { pages_viewed: 5 + shift + 2 * normal(rnd) } }));
      }
    });
    const few = path.join(t.dir, 'few.jsonl');
    fs.writeFileSync(few, lines.join('\n') + '\n');
    const r = await cli(['monitor', '--log', few, '--reference', ref, '--window', '1h', '--json', '-C', t.dir]);
    assert.strictEqual(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as MonitorReport;
    const pages = (w: number) => rep.windows[w].versions[0].features.find((f) => f.feature === 'pages_viewed')!;
    // the rule: 4·(bins − 1)/threshold values, 4·9/0.2 = 180 for the reference's ten deciles
    assert.strictEqual(pages(0).psiMinN, 180);
    assert.ok(pages(0).psi >= 0.2, `the few values' PSI is above the threshold by chance (${pages(0).psi}), the case this guards`);
    assert.strictEqual(pages(0).drift, false);
    assert.ok(pages(0).ks!.p > 0.01, 'KS finds nothing either');
    assert.strictEqual(pages(1).psiMinN, undefined);
    assert.strictEqual(pages(1).drift, false);
    assert.strictEqual(pages(2).psiMinN, undefined);
    assert.strictEqual(pages(2).drift, true);
    assert.match(rep.notes.join('\n'), /fewer values of a feature than psiMinN \(180 for ten bins\)/);
  });
});
