/**
 * A set / map of request ids in typed arrays: each id is kept as a 64-bit hash (two 32-bit
 * multiplicative string hashes), not as a string, in 12 bytes a slot (24 with a value) and a table at
 * most 70 % full — ten million ids take about 200 MB instead of gigabytes of JS strings. Two different ids share a 64-bit hash with probability about
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

/**
 * Open addressing (linear probing) from 64-bit id hashes to a uint32 tag (e.g. a record number) and,
 * when made `withValues`, a float64 value. Each slot's words lie together in one array — hash high,
 * hash low (0: empty), tag, and the value — so that a lookup in a table larger than the CPU's caches
 * costs one memory access, not one per array (this halved the time of ten million inserts).
 */
export class IdTable {
  /** STRIDE words per slot: [hash high, hash low, tag, (pad, value as float64)] */
  private slots: Uint32Array;
  /** the same memory as float64s (values at slot·3 + 2); empty without values */
  private values: Float64Array;
  private readonly stride: number;
  private count = 0;

  /**
   * @param shared keep the slots in a SharedArrayBuffer, so that a worker thread can read the table
   *   without a copy (`parts()` / `IdTable.of`); the table must not change once it is shared
   */
  constructor(
    initialCapacity = 1 << 20,
    private readonly withValues = true,
    private readonly shared = false,
  ) {
    this.stride = withValues ? 6 : 3;
    let cap = 1 << 4;
    while (cap < initialCapacity) cap <<= 1;
    this.slots = this.alloc(cap);
    this.values = this.view(this.slots);
  }

  private alloc(cap: number): Uint32Array {
    const words = cap * this.stride;
    return this.shared ? new Uint32Array(new SharedArrayBuffer(words * 4)) : new Uint32Array(words);
  }

  private view(slots: Uint32Array): Float64Array {
    return this.withValues ? new Float64Array(slots.buffer, slots.byteOffset, slots.length / 2) : new Float64Array(0);
  }

  private get capacity(): number {
    return this.slots.length / this.stride;
  }

  get size(): number {
    return this.count;
  }

  /** The table's memory, to hand to a worker thread (shared when made with `shared`, else copied or transferred). */
  parts(): IdTableParts {
    return { slots: this.slots, count: this.count, withValues: this.withValues };
  }

  /** A table over the memory of another's `parts()` (read it only, unless it is this thread's alone). */
  static of(parts: IdTableParts): IdTable {
    const t = new IdTable(16, parts.withValues);
    t.slots = parts.slots;
    t.values = t.view(parts.slots);
    t.count = parts.count;
    return t;
  }

  /** Makes room for `more` ids beyond those held, at once (no rehash after rehash while they come). */
  reserve(more: number): void {
    let cap = this.capacity;
    while (full(this.count + more, cap)) cap *= 2;
    if (cap === this.capacity) return;
    this.rehash(cap);
  }

  /** Whether this table holds any id that `other` holds (both keep the same kind of ids). */
  sharesAny(other: IdTable): boolean {
    const o = other.slots;
    const os = other.stride;
    for (let j = 0; j < o.length; j += os) {
      if (o[j + 1] !== 0 && this.slots[this.slot(o[j], o[j + 1]) + 1] !== 0) return true;
    }
    return false;
  }

  /** Adds every id of `other` that this table lacks, its tag plus `tagOffset` (a later part's record numbers). */
  absorb(other: IdTable, tagOffset: number): void {
    const o = other.slots;
    const os = other.stride;
    this.reserve(other.count);
    for (let j = 0; j < o.length; j += os) {
      if (o[j + 1] === 0) continue;
      const k = this.slot(o[j], o[j + 1]);
      if (this.slots[k + 1] !== 0) continue;
      this.slots[k] = o[j];
      this.slots[k + 1] = o[j + 1];
      this.slots[k + 2] = o[j + 2] + tagOffset;
      if (this.withValues) this.values[k / 2 + 2] = other.withValues ? other.values[j / 2 + 2] : 0;
      this.count++;
    }
  }

  /** The word index of the slot of hash (a, b): where it is, or the empty slot where it would go. */
  private slot(a: number, b: number): number {
    const t = this.slots;
    const stride = this.stride;
    const mask = this.capacity - 1;
    let i = a & mask;
    for (;;) {
      const j = i * stride;
      const lo = t[j + 1];
      if (lo === 0 || (lo === b && t[j] === a)) return j;
      i = (i + 1) & mask;
    }
  }

  private rehash(cap: number): void {
    const old = this.slots;
    const oldValues = this.values;
    const stride = this.stride;
    this.slots = this.alloc(cap);
    this.values = this.view(this.slots);
    for (let j = 0; j < old.length; j += stride) {
      if (old[j + 1] === 0) continue;
      const k = this.slot(old[j], old[j + 1]);
      this.slots[k] = old[j];
      this.slots[k + 1] = old[j + 1];
      this.slots[k + 2] = old[j + 2];
      if (this.withValues) this.values[k / 2 + 2] = oldValues[j / 2 + 2];
    }
  }

  /**
   * Adds `id` with `value` and `tag` (e.g. a record number) unless it is there already; returns the
   * tag stored before when it was (the id is then left as it was), else undefined.
   */
  addIfAbsent(id: string, value: number, tag: number): number | undefined {
    if (full(this.count + 1, this.capacity)) this.rehash(this.capacity * 2);
    hashPair(id);
    const k = this.slot(hashA, hashB);
    const t = this.slots;
    if (t[k + 1] !== 0) return t[k + 2];
    t[k] = hashA;
    t[k + 1] = hashB;
    t[k + 2] = tag;
    if (this.withValues) this.values[k / 2 + 2] = value;
    this.count++;
    return undefined;
  }

  /** The value stored for `id`, or undefined. */
  get(id: string): number | undefined {
    if (!this.withValues) throw new Error('IdTable.get: this table keeps no values (made with withValues false)');
    hashPair(id);
    const k = this.slot(hashA, hashB);
    return this.slots[k + 1] === 0 ? undefined : this.values[k / 2 + 2];
  }
}

/** Whether `n` ids would fill more than 70 % of `cap` slots (linear probing stays short below that). */
function full(n: number, cap: number): boolean {
  return n * 10 > cap * 7;
}

/** An IdTable's memory (IdTable.parts / IdTable.of), as it crosses to a worker thread. */
export interface IdTableParts {
  slots: Uint32Array;
  count: number;
  withValues: boolean;
}
