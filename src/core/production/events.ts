/**
 * Prediction logs: one record per served prediction (docs/production.md has the schema).
 *
 *   timestamp   ISO 8601 text or epoch milliseconds                      required
 *   model       the model's path in the repository                       required unless --model names it
 *   version     a version spec: v3, a tag, an alias, a commit, an oid     required
 *   request_id  text (or a number), unique per prediction                 required
 *   prediction  score, class or value                                     optional
 *   outcome     0/1, true/false, a number, or an object of named outcomes  optional (or in a separate log)
 *   features    an object (JSON Lines) or one column per feature (CSV)    optional
 *   latency_ms  a number                                                  optional
 *
 * Files are read as a stream of lines (JSON Lines, or CSV with a header row), never whole; each
 * record is checked as it is read and the first bad one stops the read with an error that names the
 * field, the record and its line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FastJsonLine } from './fastLine';
import { outcomeValue, timestampOf } from './values';
import { readCloudEvents } from './cloudevents';
import { atRow, forEachParquetRow, readParquetEvents } from './parquet';
import { sniffLogFormat } from './sniff';

/** jsonl, csv, parquet (parquet.ts), or cloudevents: KServe / Seldon payload logs as JSON Lines (cloudevents.ts) */
export type LogFormat = 'jsonl' | 'csv' | 'parquet' | 'cloudevents';
export const LOG_FORMATS: readonly LogFormat[] = ['jsonl', 'csv', 'parquet', 'cloudevents'];

/** The schema's field names; a mapping renames the file's own names to these. */
export const EVENT_FIELDS = ['timestamp', 'model', 'version', 'request_id', 'prediction', 'outcome', 'features', 'latency_ms'] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

export interface PredictionEvent {
  /** epoch milliseconds */
  timestamp: number;
  model: string;
  version: string;
  requestId: string;
  prediction?: number | string;
  /** the outcome, or the named outcomes (JSON object / CSV columns `outcome.<name>`) */
  outcome?: number | Record<string, number>;
  features?: Record<string, number | string>;
  latencyMs?: number;
}

export class EventLogError extends Error {
  constructor(
    /** the message without the file and line */
    readonly reason: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(line !== undefined ? `${path.basename(file)}, line ${line}: ${reason}` : `${path.basename(file)}: ${reason}`);
  }
}

export interface ReadOptions {
  /** default: from the file name (.jsonl/.ndjson/.json → jsonl, .csv → csv) */
  format?: LogFormat;
  /** the file's field or column name → the schema's field (e.g. { req: 'request_id' }) */
  mapping?: Readonly<Record<string, EventField>>;
  /** fields the caller needs besides timestamp, version and request_id */
  require?: readonly EventField[];
  /** used when a record has no model field */
  defaultModel?: string;
  /** false: the caller does not use `features` (checked, not built: events carry an empty object) */
  features?: boolean;
  /** CloudEvents logs (cloudevents.ts): whose events to read (default: each event's type says) */
  source?: 'kserve' | 'seldon';
  /** CloudEvents logs: the names of the features of an instance given as an array (default f0, f1, …) */
  featureNames?: readonly string[];
  /** CloudEvents logs: how many requests (or responses) may wait for their other half (default 100,000) */
  maxPending?: number;
}

export function logFormatOf(file: string, given?: string): LogFormat {
  if (given) {
    if ((LOG_FORMATS as readonly string[]).includes(given)) return given as LogFormat;
    throw new EventLogError(`unknown log format '${given}': give ${LOG_FORMATS.join(', ')}`, file);
  }
  // the content first (Parquet's magic bytes, a CloudEvent's specversion), then the extension
  const sniffed = sniffLogFormat(file);
  if (sniffed === 'parquet' || sniffed === 'cloudevents') return sniffed;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  if (sniffed) return sniffed;
  throw new EventLogError(`cannot tell the format of '${ext || 'a file without an extension'}': name it .jsonl, .csv or .parquet, or give --format ${LOG_FORMATS.join('|')}`, file);
}

/** Parses a `--map` value: `req=request_id,ts=timestamp`. */
export function parseMapping(text: string): Record<string, EventField> {
  const out: Record<string, EventField> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const from = part.slice(0, eq).trim();
    const to = part.slice(eq + 1).trim();
    if (eq <= 0 || !from || !to) throw new Error(`--map '${part}': write FILE_FIELD=SCHEMA_FIELD, e.g. req=request_id`);
    if (!(EVENT_FIELDS as readonly string[]).includes(to)) throw new Error(`--map '${part}': '${to}' is not a field of the schema (${EVENT_FIELDS.join(', ')})`);
    out[from] = to as EventField;
  }
  return out;
}

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

/** One record (a JSON object, or a CSV row as column → text) → an event; throws naming the field. */
export function toEvent(rec: Record<string, unknown>, file: string, line: number, opts: ReadOptions): PredictionEvent {
  const get = (f: EventField): unknown => rec[f];
  const fail = (m: string): never => {
    throw new EventLogError(m, file, line);
  };
  const need = (f: EventField): unknown => {
    const v = get(f);
    if (v === undefined || v === null || v === '') fail(`the field '${f}' is missing (fields: ${Object.keys(rec).slice(0, 12).join(', ')})`);
    return v;
  };
  const ts = timestampOf(need('timestamp'));
  if (ts === undefined) fail(`'timestamp' ${show(get('timestamp'))} is neither ISO 8601 (2026-11-03T14:05:00Z) nor epoch milliseconds`);
  const modelRaw = get('model');
  const model = modelRaw === undefined || modelRaw === null || modelRaw === '' ? opts.defaultModel : String(modelRaw);
  if (!model) fail(`the field 'model' is missing: give it in each record or name the model with --model`);
  const version = need('version');
  if (typeof version !== 'string' && typeof version !== 'number') fail(`'version' ${show(version)} is not a version (v3, a tag, an alias or a commit)`);
  const rid = need('request_id');
  if (typeof rid !== 'string' && typeof rid !== 'number') fail(`'request_id' ${show(rid)} is not text or a number`);
  const ev: PredictionEvent = { timestamp: ts!, model: model!, version: String(version), requestId: String(rid) };
  const pred = get('prediction');
  if (pred !== undefined && pred !== null && pred !== '') {
    const n = outcomeValue(pred);
    ev.prediction = n ?? (typeof pred === 'string' ? pred : fail(`'prediction' ${show(pred)} is not a number or a class name`));
  } else if (opts.require?.includes('prediction')) fail(`the field 'prediction' is missing`);
  const out = get('outcome');
  if (out !== undefined && out !== null && out !== '') {
    if (typeof out === 'object' && !Array.isArray(out)) {
      const named: Record<string, number> = {};
      for (const [k, v] of Object.entries(out as Record<string, unknown>)) {
        if (v === null || v === undefined) continue;
        const n = outcomeValue(v);
        if (n === undefined) fail(`'outcome.${k}' ${show(v)} is not a number or true/false`);
        named[k] = n!;
      }
      ev.outcome = named;
    } else {
      const n = outcomeValue(out);
      if (n === undefined) fail(`'outcome' ${show(out)} is not a number or true/false`);
      ev.outcome = n;
    }
  }
  const feats = get('features');
  if (feats !== undefined && feats !== null) {
    if (typeof feats !== 'object' || Array.isArray(feats)) fail(`'features' is not an object of name → value`);
    ev.features = feats as Record<string, number | string>;
  }
  const lat = get('latency_ms');
  if (lat !== undefined && lat !== null && lat !== '') {
    const n = outcomeValue(lat);
    if (n === undefined || n < 0) fail(`'latency_ms' ${show(lat)} is not a number of milliseconds`);
    ev.latencyMs = n;
  }
  return ev;
}

/** Splits one CSV record (RFC 4180; no line ends inside it) into cells. */
export function splitCsvLine(line: string): string[] | undefined {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return undefined; // the quoted cell goes on past the line's end
        s += line.slice(i, q);
        if (line[q + 1] === '"') {
          s += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cells.push(s);
      if (i >= line.length) return cells;
      if (line[i] !== ',') return cells.concat([line.slice(i)]); // junk after the quote: let the caller's checks name it
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

/** One line of a JSON Lines file as a record (a JSON object); throws naming the file and line when it is not one. */
export function jsonRecord(line: string, file: string, n: number): Record<string, unknown> {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch (e) {
    throw new EventLogError(`not a JSON object (${(e as Error).message}); each line of a JSON Lines file is one record`, file, n);
  }
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw new EventLogError('not a JSON object; each line of a JSON Lines file is one record', file, n);
  return rec as Record<string, unknown>;
}

function renamed(rec: Record<string, unknown>, mapping?: Readonly<Record<string, EventField>>): Record<string, unknown> {
  if (!mapping) return rec;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) out[Object.prototype.hasOwnProperty.call(mapping, k) ? mapping[k] : k] = v;
  return out;
}

/**
 * Streams the lines of `file` (LF or CRLF) to `onLine(text, lineNumber)`, in chunks of 4 MiB; an
 * empty line is skipped. Memory stays at a chunk and one line whatever the file's size.
 */
export async function forEachLine(file: string, onLine: (line: string, n: number) => void): Promise<number> {
  // a line's bytes are decoded alone (a whole line never cuts a character)
  return forEachLineBytes(file, (buf, start, end, n) => onLine(buf.toString('utf8', start, end), n));
}

/** A byte range of a file: [start, end); start at a line's first byte. */
export interface ByteRange {
  start: number;
  end: number;
  /** the number of the range's first line (default 1) */
  firstLine?: number;
}

/**
 * About how many lines `file` (or its `range`) holds, from the length of the lines in its first 64 KiB;
 * 0 for a Parquet file (its bytes are not lines: a guess from them would size tables for nothing).
 */
export function estimateLines(file: string, range?: ByteRange): number {
  if (sniffLogFormat(file) === 'parquet') return 0;
  const start = range?.start ?? 0;
  let size: number;
  try {
    size = (range?.end ?? fs.statSync(file).size) - start;
  } catch {
    return 0;
  }
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(1 << 16, Math.max(0, size)));
    const got = fs.readSync(fd, buf, 0, buf.length, start);
    let lines = 0;
    for (let i = buf.indexOf(10); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) lines++;
    return lines ? Math.ceil((size / got) * lines * 1.1) : 1;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The bytes of each non-empty line of `file` (or of the lines that start in `range`), without its
 * line end: `onLine(buf, start, end, lineNumber)` — `buf[end]` is never part of the line. Line
 * numbers count from the range's
 * `firstLine` (default 1). Returns the number of lines (empty ones too).
 */
export async function forEachLineBytes(
  file: string,
  onLine: (buf: Buffer, start: number, end: number, n: number) => void,
  range?: ByteRange,
): Promise<number> {
  const base = (range?.firstLine ?? 1) - 1;
  let n = base;
  // the bytes of a line cut by the chunk's end, joined with the next chunk's first line only (the
  // chunks themselves are never copied)
  let rest: Buffer | undefined;
  const take = (buf: Buffer, start: number, end: number) => {
    n++;
    if (end > start && buf[end - 1] === 13) end--;
    if (end > start) onLine(buf, start, end, n);
  };
  const stream = fs.createReadStream(file, { highWaterMark: 4 << 20, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    if (rest) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        rest = Buffer.concat([rest, chunk]);
        continue;
      }
      const joined = Buffer.concat([rest, chunk.subarray(0, nl)]);
      rest = undefined;
      take(joined, 0, joined.length);
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      take(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) rest = Buffer.from(chunk.subarray(start));
  }
  if (rest?.length) take(rest, 0, rest.length);
  return n - base;
}

/**
 * Reads every record of a prediction log in order and hands each, checked, to `onEvent`. CSV columns
 * other than the schema's become features (`features.<name>` or plain names), `outcome.<name>`
 * columns named outcomes.
 */
export async function readEvents(
  file: string,
  onEvent: (e: PredictionEvent, line: number) => void,
  opts: ReadOptions = {},
  range?: ByteRange,
): Promise<{ records: number; lines: number }> {
  if (!fs.existsSync(file)) throw new EventLogError('no such file', file);
  const format = logFormatOf(file, opts.format);
  // Parquet and CloudEvents logs are read whole, in one thread (range: JSON Lines only, parallel.ts)
  if (format === 'parquet' || format === 'cloudevents') {
    const { records } = await (format === 'parquet' ? readParquetEvents : readCloudEvents)(file, onEvent, opts);
    return { records, lines: records };
  }
  const parser = eventLineParser(file, { ...opts, format });
  let records = 0;
  const lines = await forEachLineBytes(
    file,
    (buf, start, end, n) => {
      const e = parser.bytes(buf, start, end, n);
      if (!e) return;
      onEvent(e, parser.at);
      records++;
    },
    range,
  );
  if (!range || range.start === 0) parser.end();
  return { records, lines };
}

/** Turns the lines of one log, in order, into events (readEvents; `monitor --follow` on appended lines). */
export interface EventLineParser {
  /** the event of this line, or undefined (a CSV header, a quoted cell going on to the next line); throws EventLogError */
  line(text: string, n: number): PredictionEvent | undefined;
  /** the same, from the line's bytes buf[start, end) */
  bytes(buf: Buffer, start: number, end: number, n: number): PredictionEvent | undefined;
  /** the line number the last event started on */
  readonly at: number;
  /** the file ended: throws when a quoted cell is left open or a CSV log had no header */
  end(): void;
}

export function eventLineParser(file: string, opts: ReadOptions = {}): EventLineParser {
  const format = logFormatOf(file, opts.format);
  if (format === 'parquet' || format === 'cloudevents') {
    throw new EventLogError(`a ${format === 'parquet' ? 'Parquet' : 'CloudEvents'} log is not read line by line (monitor --follow reads it whole again when it changes)`, file);
  }
  if (format === 'jsonl') {
    const fast = new FastJsonLine(opts.mapping, opts.features !== false, opts.defaultModel, !!opts.require?.includes('prediction'));
    const p = {
      at: 0,
      line(line: string, n: number): PredictionEvent | undefined {
        const rec = jsonRecord(line, file, n);
        p.at = n;
        return toEvent(renamed(rec, opts.mapping), file, n, opts);
      },
      bytes(buf: Buffer, start: number, end: number, n: number): PredictionEvent | undefined {
        // the fast path reads the common shapes; any other line is read by JSON.parse + toEvent, which
        // also words the error when the line is wrong (fastLine.ts)
        const e = fast.parse(buf, start, end);
        if (e) {
          p.at = n;
          return e;
        }
        return p.line(buf.toString('utf8', start, end), n);
      },
      end(): void {},
    };
    return p;
  }
  let header: string[] | undefined;
  let pending = '';
  let pendingLine = 0;
  const p = {
    at: 0,
    bytes(buf: Buffer, start: number, end: number, n: number): PredictionEvent | undefined {
      return p.line(buf.toString('utf8', start, end), n);
    },
    line(line: string, n: number): PredictionEvent | undefined {
      let text = line;
      if (pending) {
        text = `${pending}\n${line}`;
      }
      const cells = splitCsvLine(text);
      if (!cells) {
        // a quoted cell with a line end inside: join the next line
        if (!pending) pendingLine = n;
        pending = text;
        return undefined;
      }
      const at = pending ? pendingLine : n;
      pending = '';
      if (!header) {
        header = cells.map((c) => c.trim());
        const named = header.map((h) => (opts.mapping && Object.prototype.hasOwnProperty.call(opts.mapping, h) ? opts.mapping[h] : h));
        for (const f of ['timestamp', 'version', 'request_id'] as const) {
          if (!named.includes(f)) throw new EventLogError(`the header has no '${f}' column (columns: ${header.join(', ')}); rename it or map it with --map COLUMN=${f}`, file, n);
        }
        header = named;
        return undefined;
      }
      if (cells.length !== header.length) throw new EventLogError(`${cells.length} cells where the header has ${header.length} columns`, file, at);
      const rec: Record<string, unknown> = {};
      let features: Record<string, number | string> | undefined;
      let outcomes: Record<string, string> | undefined;
      for (let i = 0; i < header.length; i++) {
        const h = header[i];
        if ((EVENT_FIELDS as readonly string[]).includes(h)) rec[h] = cells[i];
        else if (h.startsWith('outcome.')) (outcomes ??= {})[h.slice(8)] = cells[i];
        else {
          const name = h.startsWith('features.') ? h.slice(9) : h;
          const c = cells[i];
          (features ??= {})[name] = c !== '' && Number.isFinite(Number(c)) ? Number(c) : c;
        }
      }
      if (outcomes && rec.outcome === undefined) rec.outcome = outcomes;
      if (features) rec.features = features;
      p.at = at;
      return toEvent(rec, file, at, opts);
    },
    end(): void {
      if (pending) throw new EventLogError('a quoted cell is never closed', file, pendingLine);
      if (!header) throw new EventLogError('the file is empty (a CSV log starts with a header row)', file);
    },
  };
  return p;
}

export interface OutcomeRecord {
  requestId: string;
  outcome: number | Record<string, number>;
  timestamp?: number;
}

/** An outcomes log (joined on request_id): request_id and outcome per record, timestamp optional. */
export async function readOutcomes(file: string, onOutcome: (o: OutcomeRecord, line: number) => void, opts: Pick<ReadOptions, 'format' | 'mapping'> = {}): Promise<{ records: number }> {
  const base: ReadOptions = { ...opts, defaultModel: '-' };
  // the events reader checks the fields; outcomes logs need only request_id and outcome
  const patch = (rec: Record<string, unknown>) => ({ timestamp: 0, version: '-', ...rec });
  if (!fs.existsSync(file)) throw new EventLogError('no such file', file);
  const format = logFormatOf(file, opts.format);
  let records = 0;
  const take = (rec: Record<string, unknown>, n: number) => {
    const e = toEvent(patch(rec), file, n, base);
    if (e.outcome === undefined) throw new EventLogError(`the field 'outcome' is missing (an outcomes log holds request_id and outcome)`, file, n);
    onOutcome({ requestId: e.requestId, outcome: e.outcome, ...(rec.timestamp !== undefined ? { timestamp: e.timestamp } : {}) }, n);
    records++;
  };
  if (format === 'parquet') {
    await forEachParquetRow(file, { mapping: opts.mapping, require: ['request_id', 'outcome'], only: ['request_id', 'outcome', 'timestamp'] }, (rec, row, group) => {
      try {
        take(rec, row);
      } catch (e) {
        throw atRow(e, file, row, group);
      }
    });
    return { records };
  }
  if (format === 'cloudevents') throw new EventLogError('an outcomes log is JSON Lines, CSV or Parquet of request_id and outcome, not CloudEvents', file);
  if (format === 'jsonl') {
    // the fast reader for the common shape; named outcomes and every bad line through JSON.parse
    const fast = new FastJsonLine(opts.mapping, false, '-', false, true);
    await forEachLineBytes(file, (buf, start, end, n) => {
      const e = fast.parse(buf, start, end);
      if (e && e.outcome !== undefined) {
        onOutcome({ requestId: e.requestId, outcome: e.outcome, ...(fast.hadTimestamp ? { timestamp: e.timestamp } : {}) }, n);
        records++;
        return;
      }
      take(renamed(jsonRecord(buf.toString('utf8', start, end), file, n), opts.mapping), n);
    });
    return { records };
  }
  let header: string[] | undefined;
  await forEachLine(file, (line, n) => {
    const cells = splitCsvLine(line);
    if (!cells) throw new EventLogError('a quoted cell is never closed on its line', file, n);
    if (!header) {
      header = cells.map((c) => (opts.mapping && Object.prototype.hasOwnProperty.call(opts.mapping, c.trim()) ? opts.mapping[c.trim()] : c.trim()));
      if (!header.includes('request_id')) throw new EventLogError(`the header has no 'request_id' column (columns: ${header.join(', ')})`, file, n);
      if (!header.includes('outcome') && !header.some((h) => h.startsWith('outcome.'))) throw new EventLogError(`the header has no 'outcome' column`, file, n);
      return;
    }
    if (cells.length !== header.length) throw new EventLogError(`${cells.length} cells where the header has ${header.length} columns`, file, n);
    const rec: Record<string, unknown> = {};
    let outcomes: Record<string, string> | undefined;
    header.forEach((h, i) => {
      if (h.startsWith('outcome.')) (outcomes ??= {})[h.slice(8)] = cells[i];
      else rec[h] = cells[i];
    });
    if (outcomes && (rec.outcome === undefined || rec.outcome === '')) rec.outcome = outcomes;
    take(rec, n);
  });
  return { records };
}
