/**
 * A set / map of request ids in typed arrays: each id is kept as a 64-bit hash (two 32-bit
 * multiplicative string hashes), not as a string, so ten million ids take about 160 MB at most
 * instead of gigabytes of JS strings. Two different ids share a 64-bit hash with probability about
 * n²/2⁶⁵ (3·10⁻⁶ for ten million ids): a false "duplicate" is that rare, and is reported with both
 * record numbers so it can be checked by hand.
 */

// the two halves of the last hash (module variables: no array per call on the hot path)
let hashA = 0;
let hashB = 0;

function hashPair(s: string): void {
  // FNV-1a and a second multiplicative hash with another seed and multiplier (Math.imul: 32-bit)
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // one final avalanche each, so that short ids spread over the whole table
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 16;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  hashA = a >>> 0;
  hashB = b >>> 0 || 1; // never 0: 0 marks an empty slot
}

/** Open addressing (linear probing) from 64-bit id hashes to a float64 value and a uint32 tag. */
export class IdTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** empty (length 0) for a table that only tells which ids it has seen (duplicate checks): 8 bytes less per slot */
  private values: Float64Array;
  private tags: Uint32Array;
  private count = 0;

  /**
   * @param shared keep the arrays in SharedArrayBuffers, so that a worker thread can read the table
   *   without a copy (`parts()` / `IdTable.of`); the table must not change once it is shared
   */
  constructor(
    initialCapacity = 1 << 20,
    private readonly withValues = true,
    private readonly shared = false,
  ) {
    let cap = 1 << 4;
    while (cap < initialCapacity) cap <<= 1;
    this.hi = this.u32(cap);
    this.lo = this.u32(cap);
    this.values = this.f64(withValues ? cap : 0);
    this.tags = this.u32(cap);
  }

  private u32(n: number): Uint32Array {
    return this.shared ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n);
  }

  private f64(n: number): Float64Array {
    return this.shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
  }

  /** The table's arrays, to hand to a worker thread (shared when made with `shared`, else copied or transferred). */
  parts(): IdTableParts {
    return { hi: this.hi, lo: this.lo, values: this.values, tags: this.tags, count: this.count, withValues: this.withValues };
  }

  /** A table over the arrays of another's `parts()` (read it only, unless it is this thread's alone). */
  static of(parts: IdTableParts): IdTable {
    const t = new IdTable(16, parts.withValues);
    t.hi = parts.hi;
    t.lo = parts.lo;
    t.values = parts.values;
    t.tags = parts.tags;
    t.count = parts.count;
    return t;
  }

  /** Whether this table holds any id that `other` holds (both keep the same kind of ids). */
  sharesAny(other: IdTable): boolean {
    const { hi, lo } = other;
    for (let i = 0; i < lo.length; i++) {
      if (lo[i] !== 0 && this.lo[this.slot(hi[i], lo[i])] !== 0) return true;
    }
    return false;
  }

  /** Adds every id of `other` that this table lacks, its tag plus `tagOffset` (a later part's record numbers). */
  absorb(other: IdTable, tagOffset: number): void {
    const { hi, lo, tags } = other;
    for (let i = 0; i < lo.length; i++) {
      if (lo[i] === 0) continue;
      if ((this.count + 1) * 2 > this.lo.length) this.grow();
      const j = this.slot(hi[i], lo[i]);
      if (this.lo[j] !== 0) continue;
      this.hi[j] = hi[i];
      this.lo[j] = lo[i];
      if (this.withValues) this.values[j] = other.withValues ? other.values[i] : 0;
      this.tags[j] = tags[i] + tagOffset;
      this.count++;
    }
  }

  private slot(a: number, b: number): number {
    const mask = this.lo.length - 1;
    let i = a & mask;
    while (this.lo[i] !== 0 && !(this.lo[i] === b && this.hi[i] === a)) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { hi, lo, values, tags } = this;
    const cap = lo.length * 2;
    this.hi = this.u32(cap);
    this.lo = this.u32(cap);
    this.values = this.f64(this.withValues ? cap : 0);
    this.tags = this.u32(cap);
    for (let i = 0; i < lo.length; i++) {
      if (lo[i] === 0) continue;
      const j = this.slot(hi[i], lo[i]);
      this.hi[j] = hi[i];
      this.lo[j] = lo[i];
      if (this.withValues) this.values[j] = values[i];
      this.tags[j] = tags[i];
    }
  }

  /**
   * Adds `id` with `value` and `tag` (e.g. a record number) unless it is there already; returns the
   * tag stored before when it was (the id is then left as it was), else undefined.
   */
  addIfAbsent(id: string, value: number, tag: number): number | undefined {
    if ((this.count + 1) * 2 > this.lo.length) this.grow();
    hashPair(id);
    const a = hashA;
    const b = hashB;
    const i = this.slot(a, b);
    if (this.lo[i] !== 0) return this.tags[i];
    this.hi[i] = a;
    this.lo[i] = b;
    if (this.withValues) this.values[i] = value;
    this.tags[i] = tag;
    this.count++;
    return undefined;
  }

  /** The value stored for `id`, or undefined. */
  get(id: string): number | undefined {
    hashPair(id);
    const i = this.slot(hashA, hashB);
    if (!this.withValues) throw new Error('IdTable.get: this table keeps no values (made with withValues false)');
    return this.lo[i] === 0 ? undefined : this.values[i];
  }
}

/** An IdTable's arrays (IdTable.parts / IdTable.of), as they cross to a worker thread. */
export interface IdTableParts {
  hi: Uint32Array;
  lo: Uint32Array;
  values: Float64Array;
  tags: Uint32Array;
  count: number;
  withValues: boolean;
}
