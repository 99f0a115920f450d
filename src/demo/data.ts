/**
 * The demo's synthetic user-behaviour dataset: sessions of an e-commerce site and whether the visitor
 * bought something. Seeded (mulberry32), so the same seed gives the same rows and the same CSV bytes.
 *
 * The label comes from a hidden rule with noise: a logistic model over the features, with saturation
 * (the third cart add counts less than the first), an interaction (a discount seen with items in the
 * cart) and a logarithm, so that a small MLP gains from training longer than a linear model would.
 */
import { mulberry32, type Random } from '../core/metrics/rng';

export const FEATURES = [
  'pages_viewed',
  'session_minutes',
  'cart_adds',
  'past_purchases',
  'days_since_last_visit',
  'is_returning',
  'device_mobile',
  'referral_ads',
  'discount_seen',
  'wishlist_items',
] as const;

export const LABEL = 'purchased';

export interface DataSplit {
  /** rows × FEATURES.length, row-major */
  x: Float64Array;
  y: Uint8Array;
  rows: number;
}

function normal(r: Random): number {
  // Box–Muller; 1 - r() is in (0, 1], so the logarithm is finite
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function poisson(r: Random, lambda: number): number {
  // Knuth's method: fine for the small rates used here
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** How a day's traffic differs from the training data's (the demo's production period: an ad campaign). */
export interface TrafficShift {
  /** the share of visitors who came from an ad (training data: 0.3) */
  referralRate?: number;
  /** extra pages viewed per visitor on average */
  extraPages?: number;
}

/**
 * One session: the 10 feature values (in FEATURES order) and the hidden purchase probability. The
 * random numbers drawn do not depend on `shift`, so the training data is the same with or without it.
 */
export function session(r: Random, shift: TrafficShift = {}): { f: number[]; p: number } {
  const isReturning = r() < 0.45 ? 1 : 0;
  const pastPurchases = isReturning ? poisson(r, 2.2) : 0;
  const deviceMobile = r() < 0.58 ? 1 : 0;
  const referralAds = r() < (shift.referralRate ?? 0.3) ? 1 : 0;
  const discountSeen = r() < 0.35 ? 1 : 0;
  const pagesViewed = 1 + poisson(r, 4 + 3 * isReturning + 2 * referralAds + (shift.extraPages ?? 0));
  const sessionMinutes = Math.max(0.2, Math.round((pagesViewed * (1.1 + 0.6 * r()) + 2 * normal(r) * (deviceMobile ? 0.6 : 1)) * 10) / 10);
  const cartAdds = poisson(r, 0.25 + 0.12 * pagesViewed + 0.5 * discountSeen);
  const daysSince = isReturning ? Math.min(120, Math.floor(-Math.log(1 - r()) * 18)) : 0;
  const wishlist = poisson(r, 0.4 + 0.6 * isReturning);
  const f = [pagesViewed, sessionMinutes, cartAdds, pastPurchases, daysSince, isReturning, deviceMobile, referralAds, discountSeen, wishlist];
  const logit =
    -4.1 +
    1.5 * Math.log1p(cartAdds) +
    0.55 * Math.log1p(sessionMinutes) +
    0.9 * discountSeen * Math.min(cartAdds, 2) +
    0.45 * Math.log1p(pastPurchases) +
    0.6 * isReturning * Math.exp(-daysSince / 20) -
    0.45 * deviceMobile +
    0.25 * referralAds +
    0.3 * Math.min(wishlist, 3) -
    (pagesViewed > 25 ? 0.8 : 0);
  return { f, p: sigmoid(2.2 * logit + 0.5 + 0.3 * normal(r)) };
}

/** `rows` sessions from the seed. */
export function generateSplit(rows: number, seed: number): DataSplit {
  const r = mulberry32(seed);
  const n = FEATURES.length;
  const x = new Float64Array(rows * n);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const s = session(r);
    for (let j = 0; j < n; j++) x[i * n + j] = s.f[j];
    y[i] = r() < s.p ? 1 : 0;
  }
  return { x, y, rows };
}

/** The CSV text of a split: a header line, FEATURES then `purchased`, `\n` line ends. */
export function toCsv(d: DataSplit): string {
  const n = FEATURES.length;
  const lines = [[...FEATURES, LABEL].join(',')];
  for (let i = 0; i < d.rows; i++) {
    const cells: string[] = [];
    for (let j = 0; j < n; j++) {
      const v = d.x[i * n + j];
      cells.push(j === 1 ? v.toFixed(1) : String(v));
    }
    cells.push(String(d.y[i]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
