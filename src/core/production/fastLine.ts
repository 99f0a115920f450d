/**
 * The fast path of a JSON Lines prediction log: reads the schema's fields of one line straight from
 * the file's bytes, without decoding the line or building the whole JSON value (JSON.parse of a
 * record with a features object was 80 % of `abtest`'s time). It checks the line's JSON syntax as it
 * goes, as JSON.parse would, so a line it accepts is one JSON.parse accepts with the same values.
 *
 * It builds the event as events.ts toEvent does, for the common shapes only — top-level scalars, a
 * flat `features` object, the values toEvent accepts — and answers undefined for anything else (a
 * named-outcomes object, a nested value where a scalar is expected, a numeric version or request id,
 * a field given twice, a missing field, a bad line): the caller then reads that line the slow way
 * (JSON.parse + toEvent), which also words the error. So the fast path changes speed, never results
 * or messages. (Numbers with exponents or more than 15 digits stay on it: they go through Number().)
 */
import type { EventField, PredictionEvent } from './events';
import { outcomeValue, timestampOf } from './values';

// field codes (the order of EVENT_FIELDS in events.ts)
const TIMESTAMP = 0;
const MODEL = 1;
const VERSION = 2;
const REQUEST_ID = 3;
const PREDICTION = 4;
const OUTCOME = 5;
const FEATURES = 6;
const LATENCY = 7;
const FIELD_NAMES: readonly EventField[] = ['timestamp', 'model', 'version', 'request_id', 'prediction', 'outcome', 'features', 'latency_ms'];

/** 10^k, exact for k ≤ 22 */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** thrown inside the scanner when the line leaves the fast path; caught in `parse` */
const BAIL = { bail: true };
const MAX_DEPTH = 32;
/** keys guessed by their place in the line (key), and how many guesses may be replaced in all */
const MAX_GUESSES = 32;
const MAX_GUESS_MISSES = 10000;

interface KeyEntry {
  bytes: Buffer;
  field: number;
}

/** A string value kept with its bytes, so that the same bytes on the next line give the same string. */
interface Interned {
  bytes: Buffer;
  text: string;
}

export class FastJsonLine {
  /** the file's keys that name schema fields, by key length (an array: cheaper than a Map per key) */
  private readonly keysByLength: (KeyEntry[] | undefined)[] = [];
  private b: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private readonly interned: Interned[][] = [];
  private readonly featureKeys: Interned[] = [];

  /**
   * @param mapping the file's field names → the schema's (`--map`), as in readEvents
   * @param withFeatures build the `features` object (monitor); false: check its syntax and skip it (abtest)
   * @param defaultModel the model of records without one (ReadOptions.defaultModel)
   * @param predictionRequired a record without a prediction is refused (ReadOptions.require)
   * @param outcomesLog an outcomes log: timestamp and version may be absent (events.ts readOutcomes:
   *   0 and '-'); `hadTimestamp` tells whether the line gave one
   */
  constructor(
    mapping: Readonly<Record<string, EventField>> | undefined,
    private readonly withFeatures: boolean,
    private readonly defaultModel: string | undefined,
    private readonly predictionRequired: boolean,
    private readonly outcomesLog = false,
  ) {
    const names = new Map<string, number>();
    // a key is renamed by the mapping when it names it, else kept (events.ts renamed())
    for (let f = 0; f < FIELD_NAMES.length; f++) {
      if (!mapping || !Object.prototype.hasOwnProperty.call(mapping, FIELD_NAMES[f])) names.set(FIELD_NAMES[f], f);
    }
    for (const [from, to] of Object.entries(mapping ?? {})) {
      const f = FIELD_NAMES.indexOf(to);
      if (f >= 0) names.set(from, f);
      else names.delete(from);
    }
    for (const [name, field] of names) {
      const bytes = Buffer.from(name, 'utf8');
      (this.keysByLength[bytes.length] ??= []).push({ bytes, field });
    }
  }

  /**
   * The event of the line `buf[start, end)`, or undefined when the line is not on the fast path (the
   * caller reads it with JSON.parse + toEvent).
   */
  parse(buf: Buffer, start: number, end: number): PredictionEvent | undefined {
    this.b = buf;
    this.pos = start;
    this.end = end;
    try {
      return this.event(this.record());
    } catch (e) {
      if (e === BAIL) return undefined;
      throw e;
    }
  }

  /** whether the last line read gave a timestamp (outcomes logs may leave it out) */
  hadTimestamp = false;

  /** the values of the line's schema fields, by field code (valid where `seen` has the bit) */
  private readonly vals: unknown[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];

  /** Reads the line's fields into `vals`; returns the bit set of the fields given. */
  private record(): number {
    const b = this.b;
    const vals = this.vals;
    this.ws();
    if (b[this.pos] !== 123) throw BAIL; // {
    this.pos++;
    this.ws();
    let seen = 0;
    let nth = 0;
    if (b[this.pos] === 125) {
      this.pos++;
    } else {
      for (;;) {
        if (b[this.pos] !== 34) throw BAIL;
        const field = this.key(nth++);
        this.colon();
        if (field < 0) this.skip(0);
        else {
          if (seen & (1 << field)) throw BAIL; // given twice (or two keys mapped to one field): the slow path decides
          seen |= 1 << field;
          vals[field] = this.fieldValue(field);
        }
        if (this.next(125)) break;
      }
    }
    this.ws();
    if (this.pos !== this.end) throw BAIL;
    return seen;
  }

  /** The event of the fields read, as toEvent makes it; BAIL where toEvent would refuse or take an unusual path. */
  private event(seen: number): PredictionEvent {
    const vals = this.vals;
    const given = (f: number): unknown => (seen & (1 << f) ? vals[f] : undefined);
    this.hadTimestamp = (seen & (1 << TIMESTAMP)) !== 0;
    const ts = !this.hadTimestamp && this.outcomesLog ? 0 : timestampOf(given(TIMESTAMP));
    if (ts === undefined) throw BAIL;
    const m = given(MODEL);
    let model: string;
    if (typeof m === 'string' && m !== '') model = m;
    else if ((m === undefined || m === null || m === '') && this.defaultModel) model = this.defaultModel;
    else throw BAIL;
    const version = !(seen & (1 << VERSION)) && this.outcomesLog ? '-' : given(VERSION);
    const rid = given(REQUEST_ID);
    if (typeof version !== 'string' || version === '' || typeof rid !== 'string' || rid === '') throw BAIL;
    const ev: PredictionEvent = { timestamp: ts, model, version, requestId: rid };
    const pred = given(PREDICTION);
    if (pred !== undefined && pred !== null && pred !== '') {
      const n = outcomeValue(pred); // a number only when finite, as toEvent
      if (n !== undefined) ev.prediction = n;
      else if (typeof pred === 'string') ev.prediction = pred;
      else throw BAIL;
    } else if (this.predictionRequired) throw BAIL;
    const out = given(OUTCOME);
    if (out !== undefined && out !== null && out !== '') {
      const n = outcomeValue(out);
      if (n === undefined) throw BAIL;
      ev.outcome = n;
    }
    const feats = given(FEATURES);
    if (feats !== undefined && feats !== null) {
      if (typeof feats !== 'object') throw BAIL;
      ev.features = feats as Record<string, number | string>;
    }
    const lat = given(LATENCY);
    if (lat !== undefined && lat !== null && lat !== '') {
      const n = outcomeValue(lat);
      if (n === undefined || n < 0) throw BAIL;
      ev.latencyMs = n;
    }
    return ev;
  }

  /** The `:` after a key, with the spaces around it; else the line is not JSON. */
  private colon(): void {
    this.ws();
    if (this.b[this.pos] !== 58) throw BAIL;
    this.pos++;
    this.ws();
  }

  /** After a member or element: a comma (false: another follows) or `close` (true: the end); else not JSON. */
  private next(close: number): boolean {
    this.ws();
    const c = this.b[this.pos];
    if (c === 44) {
      this.pos++;
      this.ws();
      return false;
    }
    if (c === close) {
      this.pos++;
      return true;
    }
    throw BAIL;
  }

  private ws(): void {
    const b = this.b;
    const end = this.end;
    let i = this.pos;
    while (i < end) {
      const c = b[i];
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      i++;
    }
    this.pos = i;
  }

  /** Reads a key at pos (on its opening quote): the schema field it names, or −1. */
  private key(nth: number): number {
    const b = this.b;
    const s = ++this.pos;
    const end = this.end;
    // most lines give their keys in the order of the line before: try the key met at this place last
    // time first (its bytes had no escape, so equal bytes before a quote are the same key)
    const guess = nth < MAX_GUESSES ? this.keyGuess[nth] : undefined;
    if (guess !== undefined) {
      const len = guess.bytes.length;
      if (s + len < end && b[s + len] === 34 && same(guess.bytes, b, s)) {
        this.pos = s + len + 1;
        return guess.field;
      }
    }
    let i = s;
    for (;;) {
      if (i >= end) throw BAIL;
      const c = b[i];
      if (c === 34) break;
      if (c === 92 || c < 32) throw BAIL; // escapes in keys: the slow path
      i++;
    }
    this.pos = i + 1;
    let field = -1;
    const list = i - s < this.keysByLength.length ? this.keysByLength[i - s] : undefined;
    if (list) {
      for (const k of list) {
        if (same(k.bytes, b, s)) {
          field = k.field;
          break;
        }
      }
    }
    if (nth < MAX_GUESSES && this.guessMisses++ < MAX_GUESS_MISSES) this.keyGuess[nth] = { bytes: Buffer.from(b.subarray(s, i)), field };
    return field;
  }
  /** per place in the line, the key met there last (key) */
  private readonly keyGuess: (KeyEntry | undefined)[] = [];
  /** guesses replaced so far: past MAX_GUESS_MISSES (keys in no steady order) no more are made */
  private guessMisses = 0;

  private fieldValue(field: number): unknown {
    const c = this.b[this.pos];
    if (c === 34) {
      if (field === MODEL || field === VERSION) return this.internedString(field);
      return this.string();
    }
    if (c === 123) {
      if (field !== FEATURES) throw BAIL; // a named-outcomes object, or an object where a scalar belongs
      if (!this.withFeatures) {
        this.skip(0);
        return SKIPPED_FEATURES;
      }
      return this.flatObject();
    }
    return this.scalar();
  }

  /** number, true, false or null at pos */
  private scalar(): number | boolean | null {
    const b = this.b;
    const c = b[this.pos];
    if (c === 116) return this.literal(TRUE, true);
    if (c === 102) return this.literal(FALSE, false);
    if (c === 110) return this.literal(NULL, null);
    return this.number();
  }

  private literal<T>(bytes: Buffer, value: T): T {
    if (this.pos + bytes.length > this.end || !same(bytes, this.b, this.pos)) throw BAIL;
    this.pos += bytes.length;
    return value;
  }

  /** A JSON number at pos, checked against the grammar; exact (as Number() reads it). */
  private number(): number {
    const b = this.b;
    const start = this.pos;
    let i = start;
    let neg = false;
    if (b[i] === 45) {
      neg = true;
      i++;
    }
    let mant = 0;
    let digits = 0;
    let c = b[i];
    if (c === 48) {
      i++;
      c = b[i];
    } else if (c >= 49 && c <= 57) {
      do {
        mant = mant * 10 + (c - 48);
        digits++;
        c = b[++i];
      } while (c >= 48 && c <= 57);
    } else throw BAIL;
    let frac = 0;
    if (c === 46) {
      c = b[++i];
      if (!(c >= 48 && c <= 57)) throw BAIL;
      do {
        mant = mant * 10 + (c - 48);
        digits++;
        frac++;
        c = b[++i];
      } while (c >= 48 && c <= 57);
    }
    let exact = digits <= 15;
    if (c === 101 || c === 69) {
      exact = false;
      c = b[++i];
      if (c === 43 || c === 45) c = b[++i];
      if (!(c >= 48 && c <= 57)) throw BAIL;
      do c = b[++i];
      while (c >= 48 && c <= 57);
    }
    if (i > this.end) throw BAIL;
    this.pos = i;
    // an integer mantissa below 2^53 over an exact power of ten: one correctly rounded division,
    // the same double Number() gives; anything longer goes through Number()
    if (exact) {
      const v = frac ? mant / POW10[frac] : mant;
      return neg ? -v : v;
    }
    return Number(b.toString('latin1', start, i));
  }

  /** The end of the string at pos (on its quote), checked; sets `escaped`/`ascii`. */
  private stringEnd(): number {
    const b = this.b;
    const end = this.end;
    let i = this.pos + 1;
    this.escaped = false;
    this.ascii = true;
    for (;;) {
      if (i >= end) throw BAIL;
      const c = b[i];
      if (c === 34) return i;
      if (c === 92) {
        this.escaped = true;
        i += 2;
        continue;
      }
      if (c < 32) throw BAIL;
      if (c >= 128) this.ascii = false;
      i++;
    }
  }
  private escaped = false;
  private ascii = true;

  private string(): string {
    const s = this.pos;
    const e = this.stringEnd();
    this.pos = e + 1;
    if (this.escaped) {
      try {
        return JSON.parse(this.b.toString('utf8', s, e + 1)) as string;
      } catch {
        throw BAIL; // a bad escape: the slow path names the line
      }
    }
    return this.b.toString(this.ascii ? 'latin1' : 'utf8', s + 1, e);
  }

  /** The string at pos, the same JS string as before when its bytes are (a few models and versions repeat on every line). */
  private internedString(field: number): string {
    const s = this.pos;
    const e = this.stringEnd();
    if (this.escaped) return this.string();
    return this.internIn((this.interned[field] ??= []), s, e, 16);
  }

  /**
   * The string whose bytes are b[s + 1, e) (pos on its opening quote, no escapes): the one in `list`
   * with those bytes, else decoded and added while the list holds fewer than `cap`. `internedAt` says
   * where in the list it is (−1: not kept).
   */
  private internIn(list: Interned[], s: number, e: number, cap: number): string {
    const len = e - s - 1;
    for (let k = 0; k < list.length; k++) {
      const it = list[k];
      if (it.bytes.length === len && same(it.bytes, this.b, s + 1)) {
        this.pos = e + 1;
        this.internedAt = k;
        return it.text;
      }
    }
    const text = this.string();
    this.internedAt = -1;
    if (list.length < cap) {
      this.internedAt = list.length;
      list.push({ bytes: Buffer.from(this.b.subarray(s + 1, e)), text });
    }
    return text;
  }
  private internedAt = -1;

  /** A flat object of scalars and strings (the features); a nested value leaves the fast path. */
  private flatObject(): Record<string, unknown> {
    const b = this.b;
    this.pos++;
    this.ws();
    const out: Record<string, unknown> = {};
    if (b[this.pos] === 125) {
      this.pos++;
      return out;
    }
    let nth = 0;
    for (;;) {
      if (b[this.pos] !== 34) throw BAIL;
      const name = this.featureKey(nth++);
      this.colon();
      const c = b[this.pos];
      // a name twice (JSON.parse keeps the last), or __proto__ (an own property there, a setter here): the slow path
      if (name === '__proto__' || Object.prototype.hasOwnProperty.call(out, name)) throw BAIL;
      out[name] = c === 34 ? this.featureText() : c === 123 || c === 91 ? bail() : this.scalar();
      if (this.next(125)) return out;
    }
  }

  /** A feature name, interned by its bytes (a few names repeat on every line). */
  private featureKey(nth: number): string {
    const s = this.pos;
    // the name met at this place in the last line's features first (as key())
    const gi = nth < MAX_GUESSES ? this.featureGuess[nth] : -1;
    if (gi !== undefined && gi >= 0) {
      const k = this.featureKeys[gi].bytes;
      if (s + 1 + k.length < this.end && this.b[s + 1 + k.length] === 34 && same(k, this.b, s + 1)) {
        this.pos = s + k.length + 2;
        this.keyIndex = gi;
        return this.featureKeys[gi].text;
      }
    }
    const name = this.featureKeyByList();
    if (nth < MAX_GUESSES && this.keyIndex >= 0) this.featureGuess[nth] = this.keyIndex;
    return name;
  }
  /** per place in the features object, the index of the name met there last */
  private readonly featureGuess: number[] = [];

  private featureKeyByList(): string {
    const s = this.pos;
    const e = this.stringEnd();
    this.keyIndex = -1;
    if (this.escaped || !this.ascii) return this.string();
    const before = this.featureKeys.length;
    const text = this.internIn(this.featureKeys, s, e, 64);
    this.keyIndex = this.internedAt;
    if (this.featureKeys.length > before) this.featureValues.push([]);
    return text;
  }
  /** the index in featureKeys of the last feature name read, or −1 */
  private keyIndex = -1;
  /** per feature name, its few text values seen (categories repeat on every line) */
  private readonly featureValues: Interned[][] = [];

  /** A feature's text value: the same JS string as before for the same short bytes. */
  private featureText(): string {
    const s = this.pos;
    const e = this.stringEnd();
    const len = e - s - 1;
    if (this.keyIndex < 0 || this.escaped || len > 32) return this.string();
    return this.internIn(this.featureValues[this.keyIndex], s, e, 8);
  }


  /** Checks and skips any JSON value at pos. */
  private skip(depth: number): void {
    const b = this.b;
    const c = b[this.pos];
    if (c === 34) {
      const s = this.pos;
      const e = this.stringEnd();
      this.pos = e + 1;
      if (this.escaped) {
        try {
          JSON.parse(this.b.toString('utf8', s, e + 1));
        } catch {
          throw BAIL;
        }
      }
      return;
    }
    if (c === 123 || c === 91) {
      if (depth >= MAX_DEPTH) throw BAIL;
      const close = c === 123 ? 125 : 93;
      this.pos++;
      this.ws();
      if (b[this.pos] === close) {
        this.pos++;
        return;
      }
      for (;;) {
        if (c === 123) {
          if (b[this.pos] !== 34) throw BAIL;
          this.skip(depth + 1);
          this.colon();
        }
        this.skip(depth + 1);
        if (this.next(close)) return;
      }
    }
    this.scalar();
  }
}

/** What `features` holds when the reader was asked not to build it: an object, so toEvent's check holds. */
export const SKIPPED_FEATURES: Readonly<Record<string, number | string>> = Object.freeze({});

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function bail(): never {
  throw BAIL;
}

/** Whether buf[at, at + bytes.length) holds `bytes` (a plain loop: Buffer.compare's checks cost more than the few bytes compared). */
function same(bytes: Buffer, buf: Buffer, at: number): boolean {
  for (let k = 0; k < bytes.length; k++) if (buf[at + k] !== bytes[k]) return false;
  return true;
}
