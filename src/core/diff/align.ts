/** Sequence alignment (longest common subsequence) of two key sequences. */

/** Most DP cells before falling back to occurrence matching (Uint16/Uint32 table: 2–4 bytes a cell). */
const MAX_CELLS = 16_000_000;

/**
 * Pairs (i, j) with a[i] === b[j], increasing in both i and j, as many as possible (an LCS).
 * Common prefix and suffix are matched first; the middle by dynamic programming when it is small
 * enough, else by pairing the k-th occurrence of each key in a with the k-th in b.
 */
export function alignSequences<T>(a: readonly T[], b: readonly T[]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  let lo = 0;
  while (lo < a.length && lo < b.length && a[lo] === b[lo]) {
    pairs.push([lo, lo]);
    lo++;
  }
  let ha = a.length;
  let hb = b.length;
  const tail: Array<[number, number]> = [];
  while (ha > lo && hb > lo && a[ha - 1] === b[hb - 1]) {
    ha--;
    hb--;
    tail.push([ha, hb]);
  }
  const n = ha - lo;
  const m = hb - lo;
  if (n > 0 && m > 0) {
    if (n * m <= MAX_CELLS) pairs.push(...lcsMiddle(a, b, lo, ha, lo, hb));
    else pairs.push(...occurrenceMatch(a, b, lo, ha, lo, hb));
  }
  tail.reverse();
  return pairs.concat(tail);
}

function lcsMiddle<T>(a: readonly T[], b: readonly T[], a0: number, a1: number, b0: number, b1: number): Array<[number, number]> {
  const n = a1 - a0;
  const m = b1 - b0;
  const W = m + 1;
  const table = Math.min(n, m) < 65535 ? new Uint16Array((n + 1) * W) : new Uint32Array((n + 1) * W);
  // table[i*W + j] = LCS of a[a0+i..a1) and b[b0+j..b1) (suffixes), so the walk below goes forward
  for (let i = n - 1; i >= 0; i--) {
    const ai = a[a0 + i];
    for (let j = m - 1; j >= 0; j--) {
      if (ai === b[b0 + j]) table[i * W + j] = table[(i + 1) * W + j + 1] + 1;
      else {
        const down = table[(i + 1) * W + j];
        const right = table[i * W + j + 1];
        table[i * W + j] = down >= right ? down : right;
      }
    }
  }
  const out: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[a0 + i] === b[b0 + j]) {
      out.push([a0 + i, b0 + j]);
      i++;
      j++;
    } else if (table[(i + 1) * W + j] >= table[i * W + j + 1]) i++;
    else j++;
  }
  return out;
}

/** k-th occurrence of a key in a ↔ k-th in b, then kept increasing in j (greedy). */
function occurrenceMatch<T>(a: readonly T[], b: readonly T[], a0: number, a1: number, b0: number, b1: number): Array<[number, number]> {
  const positions = new Map<T, number[]>();
  for (let j = b0; j < b1; j++) {
    const l = positions.get(b[j]);
    if (l) l.push(j);
    else positions.set(b[j], [j]);
  }
  const used = new Map<T, number>();
  const out: Array<[number, number]> = [];
  let last = -1;
  for (let i = a0; i < a1; i++) {
    const l = positions.get(a[i]);
    if (!l) continue;
    let k = used.get(a[i]) ?? 0;
    while (k < l.length && l[k] <= last) k++;
    if (k < l.length) {
      out.push([i, l[k]]);
      last = l[k];
      used.set(a[i], k + 1);
    }
  }
  return out;
}
