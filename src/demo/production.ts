/**
 * The demo's production period (issue #13): two weeks after production moved to v3, the shop serves v2
 * and v3 to visitors 50/50 (an A/B test) and logs every prediction, with each version's real score from
 * its trained weights; purchases arrive later, in a log of their own. Seeded: the same demo version
 * writes the same bytes.
 *
 * What is simulated, and stated here so nobody mistakes it for a finding: each visitor buys with the
 * probability of the hidden rule (src/demo/data.ts), plus V3_LIFT (1.5 percentage points) when v3 served
 * them — in the story, v3's predictions drive better-targeted offers. (v2 and v3 agree on 98 % of
 * visitors at the 0.5 threshold, so an effect that came only from their different decisions would be
 * far too small to see in two weeks; the A/B test of the demo is there to show that the tool finds a
 * real difference of this size, with its interval, and says how sure it is.)
 *
 * On day CAMPAIGN_DAY an ad campaign brings visitors who came from ads (75 % instead of 30 %) and who
 * view about 4 more pages: the Monitor's drift check sees it in `referral_ads` and `pages_viewed`.
 */
import { mulberry32 } from '../core/metrics/rng';
import { FEATURES, session, type DataSplit } from './data';
import { predict, type Mlp } from './train';

export const PREDICTIONS_LOG = 'production/predictions.jsonl';
export const OUTCOMES_LOG = 'production/outcomes.jsonl';
/** the first day of the production period (the day after production moved to v3) */
export const PRODUCTION_START = Date.parse('2025-10-24T00:00:00Z');
export const PRODUCTION_DAYS = 14;
export const SESSIONS_PER_DAY = 1500;
/** 0-based: the ninth day */
export const CAMPAIGN_DAY = 8;
/** what serving v3 adds to a visitor's purchase probability in the simulation */
export const V3_LIFT = 0.015;
const SEED = 20251024;
const DAY = 86400e3;
const MODEL_PATH = 'models/purchase_model.onnx';

export interface ProductionLogs {
  predictions: string;
  outcomes: string;
  /** per version: sessions and purchases (what the logs hold, for the tests and the README) */
  served: Record<string, { sessions: number; purchases: number }>;
}

const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** The two logs of the production period, for `variants` served 50/50 (e.g. v2 and v3 with their models). */
export function simulateProduction(variants: readonly { version: number; model: Mlp }[]): ProductionLogs {
  const r = mulberry32(SEED);
  const n = FEATURES.length;
  const rows: { ts: number; day: number; i: number; f: number[]; p: number; variant: number }[] = [];
  for (let day = 0; day < PRODUCTION_DAYS; day++) {
    const shift = day === CAMPAIGN_DAY ? { referralRate: 0.75, extraPages: 4 } : {};
    for (let i = 0; i < SESSIONS_PER_DAY; i++) {
      const s = session(r, shift);
      rows.push({ ts: PRODUCTION_START + day * DAY + Math.floor(r() * DAY), day, i, f: s.f, p: s.p, variant: r() < 0.5 ? 0 : 1 });
    }
  }
  // each variant's scores with its own weights
  const scores = variants.map((v) => {
    const x = new Float64Array(rows.length * n);
    rows.forEach((row, k) => row.f.forEach((val, j) => (x[k * n + j] = val)));
    const split: DataSplit = { x, y: new Uint8Array(rows.length), rows: rows.length };
    return predict(v.model, split);
  });
  const order = rows.map((_, k) => k).sort((a, b) => rows[a].ts - rows[b].ts || a - b);
  const preds: string[] = [];
  const outs: { ts: number; line: string }[] = [];
  const served: ProductionLogs['served'] = {};
  for (const v of variants) served[`v${v.version}`] = { sessions: 0, purchases: 0 };
  for (const k of order) {
    const row = rows[k];
    const v = variants[row.variant];
    const score = scores[row.variant][k];
    const p = Math.min(1, row.p + (v.version === 3 ? V3_LIFT : 0));
    const bought = r() < p;
    const latency = 1.5 + Math.exp(0.4 * normal(r));
    const id = `s${String(row.day + 1).padStart(2, '0')}-${String(row.i).padStart(5, '0')}`;
    const features: Record<string, number> = {};
    FEATURES.forEach((name, j) => (features[name] = row.f[j]));
    preds.push(
      JSON.stringify({
        timestamp: new Date(row.ts).toISOString(),
        model: MODEL_PATH,
        version: `v${v.version}`,
        request_id: id,
        prediction: Math.round(score * 1e4) / 1e4,
        features,
        latency_ms: Math.round(latency * 100) / 100,
      }),
    );
    const tally = served[`v${v.version}`];
    tally.sessions++;
    if (bought) {
      tally.purchases++;
      const later = row.ts + Math.floor((5 + 115 * r()) * 60e3);
      outs.push({ ts: later, line: JSON.stringify({ timestamp: new Date(later).toISOString(), request_id: id, outcome: { purchased: 1 } }) });
    } else r(); // the same draws whether or not the visitor bought
  }
  outs.sort((a, b) => a.ts - b.ts);
  return { predictions: preds.join('\n') + '\n', outcomes: outs.map((o) => o.line).join('\n') + '\n', served };
}
