/**
 * Tabular dataset files (CSV/TSV, JSON, JSONL, 2-D NPY) read into one shape: named columns and a cell
 * accessor. Cells keep their raw values (strings for CSV; whatever JSON holds); the dataset loader
 * (./dataset.ts) turns them into numbers.
 */
import { DatasetError } from './datasetErrors';
import type { NpyArray } from './npy';

export interface Table {
  /** column names; for header-less data '0', '1', … */
  columns: string[];
  /** false when the columns are positions only (JSON arrays, CSV without header, NPY) */
  hasHeader: boolean;
  rowCount: number;
  /** the raw cell; undefined when the row has no such key (JSON objects) */
  get(row: number, col: number): unknown;
  /** where a row is in the file, for messages: 'line 12', 'row 4' */
  where(row: number): string;
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180)

/**
 * The longest cell a dataset may hold: 16 MiB (bytes for the byte scanner, UTF-16 units for the text
 * parser). Features are numbers and labels are class names; a longer cell is a damaged file or not a
 * dataset, and refusing it early keeps memory bounded (a 700 MB cell once made a 1.4 GB string).
 */
export const MAX_CELL_BYTES = 16 * 1024 * 1024;

export interface CsvOptions {
  delimiter?: string;
  /** the first record names the columns (default true) */
  header?: boolean;
  /** the longest cell (default MAX_CELL_BYTES) */
  maxCell?: number;
}

function sizeLimitText(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n.toLocaleString('en-US')} bytes`;
}

/** TOO_LARGE for a cell: where it is (line, column: name when known, else its 1-based position) and the limit. */
export function cellTooLong(file: string, line: number, field: number, names: string[] | undefined, limit: number): DatasetError {
  const name = names?.[field];
  const shown = name !== undefined && name.length > 60 ? name.slice(0, 57) + '…' : name;
  const column = shown !== undefined && shown !== '' ? `column '${shown}' (field ${field + 1})` : `field ${field + 1}`;
  return new DatasetError(
    'TOO_LARGE',
    file,
    `${file || 'the CSV'} line ${line}, ${column}: the cell is longer than the limit of ${sizeLimitText(limit)}. ` +
      'A dataset cell holds a number or a label: check that this is the right file and that its quotes are balanced.',
  );
}

/**
 * Splits CSV text into records per RFC 4180: fields may be quoted with '"', a quote inside a quoted
 * field is written '""', quoted fields may hold delimiters and line breaks; records end with CRLF, LF
 * or CR. A byte-order mark is skipped. Returns the records with the line each starts on (1-based).
 */
export function parseCsvRecords(text: string, delimiter = ',', file = '', maxCell = MAX_CELL_BYTES): { records: string[][]; lines: number[] } {
  const records: string[][] = [];
  const lines: number[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let field = '';
  let record: string[] = [];
  let recordLine = 1;
  let fieldStarted = false; // anything seen in this record (so a blank line is not a record)
  const tooLong = (): DatasetError => cellTooLong(file, recordLine, record.length, records.length ? records[0] : undefined, maxCell);
  const endField = (): void => {
    record.push(field);
    field = '';
  };
  const endRecord = (): void => {
    endField();
    // skip blank lines: a record of one empty unquoted field
    if (!(record.length === 1 && record[0] === '' && !fieldStarted)) {
      records.push(record);
      lines.push(recordLine);
    }
    record = [];
    fieldStarted = false;
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && field === '') {
      // quoted field
      fieldStarted = true;
      const startLine = line;
      i++;
      const from = i;
      for (;;) {
        // the run up to the next quote, taken as one slice (a doubled quote is one quote)
        const q = text.indexOf('"', i);
        const end = q < 0 ? n : q;
        if (end - from > maxCell) throw tooLong();
        for (let k = i; k < end; k++) {
          const d = text.charCodeAt(k);
          if (d === 10 || (d === 13 && text.charCodeAt(k + 1) !== 10)) line++;
        }
        if (q < 0) {
          throw new DatasetError('PARSE_ERROR', file, `${file || 'the CSV'}: the quoted field that starts on line ${startLine} is never closed`);
        }
        field += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // after the closing quote: up to the next delimiter or line end (spaces are tolerated, other text is appended)
      while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] !== ' ' && text[i] !== '\t') field += text[i];
        i++;
      }
      if (field.length > maxCell) throw tooLong();
      continue;
    }
    if (c === delimiter) {
      fieldStarted = true;
      endField();
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    fieldStarted = true;
    // an unquoted run: everything up to the next delimiter or line end, taken as one slice
    const delim = delimiter.length === 1 ? delimiter.charCodeAt(0) : -1;
    let j = i + 1;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (d === delim || d === 10 || d === 13) break;
    }
    if (j - i + field.length > maxCell) throw tooLong();
    field = field === '' ? text.slice(i, j) : field + text.slice(i, j);
    i = j;
  }
  if (fieldStarted || field !== '' || record.length > 0) endRecord();
  return { records, lines };
}

export function csvTable(text: string, file: string, opts: CsvOptions = {}): Table {
  const delimiter = opts.delimiter ?? ',';
  const { records, lines } = parseCsvRecords(text, delimiter, file, opts.maxCell);
  const header = opts.header ?? true;
  let columns: string[];
  let body: string[][];
  let bodyLines: number[];
  if (header) {
    if (records.length === 0) throw new DatasetError('EMPTY', file, `${file || 'the CSV'} is empty: not even a header row`);
    columns = records[0].map((c) => c.trim());
    body = records.slice(1);
    bodyLines = lines.slice(1);
  } else {
    const width = records.length ? records[0].length : 0;
    columns = Array.from({ length: width }, (_, k) => String(k));
    body = records;
    bodyLines = lines;
  }
  for (let r = 0; r < body.length; r++) {
    if (body[r].length !== columns.length) {
      throw new DatasetError(
        'RAGGED',
        file,
        `${file || 'the CSV'} line ${bodyLines[r]} has ${body[r].length} fields but ${header ? 'the header has' : 'the first row has'} ${columns.length}` +
          ` (a field that holds '${delimiter}' must be quoted)`,
      );
    }
  }
  return {
    columns,
    hasHeader: header,
    rowCount: body.length,
    get: (r, c) => body[r][c],
    where: (r) => `line ${bodyLines[r]}`,
  };
}

// ---------------------------------------------------------------------------------------------
// JSON and JSONL

/** Rows that are all arrays or all objects. `where` gives each row's place in the file. */
export function rowsTable(rows: unknown[], file: string, where: (r: number) => string): Table {
  if (rows.length === 0) return { columns: [], hasHeader: false, rowCount: 0, get: () => undefined, where };
  const first = rows[0];
  if (Array.isArray(first)) {
    const width = first.length;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (!Array.isArray(row)) {
        throw new DatasetError('PARSE_ERROR', file, `${file}: ${where(r)} is ${describeJson(row)} but ${where(0)} is an array; rows must all be arrays or all be objects`);
      }
      if (row.length !== width) {
        throw new DatasetError('RAGGED', file, `${file}: ${where(r)} has ${row.length} values but ${where(0)} has ${width}; every row must have the same length`);
      }
    }
    const arr = rows as unknown[][];
    return {
      columns: Array.from({ length: width }, (_, k) => String(k)),
      hasHeader: false,
      rowCount: rows.length,
      get: (r, c) => arr[r][c],
      where,
    };
  }
  if (isPlainObject(first)) {
    const seen = new Set<string>();
    const columns: string[] = [];
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (!isPlainObject(row)) {
        throw new DatasetError('PARSE_ERROR', file, `${file}: ${where(r)} is ${describeJson(row)} but ${where(0)} is an object; rows must all be arrays or all be objects`);
      }
      for (const k of Object.keys(row)) {
        if (!seen.has(k)) {
          seen.add(k);
          columns.push(k);
        }
      }
    }
    const objs = rows as Record<string, unknown>[];
    return {
      columns,
      hasHeader: true,
      rowCount: rows.length,
      get: (r, c) => objs[r][columns[c]],
      where,
    };
  }
  throw new DatasetError('PARSE_ERROR', file, `${file}: ${where(0)} is ${describeJson(first)}; each row must be an array of values or an object of column → value`);
}

export function jsonTable(text: string, file: string): Table {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripBom(text));
  } catch (e) {
    throw new DatasetError('PARSE_ERROR', file, `${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    throw new DatasetError(
      'PARSE_ERROR',
      file,
      `${file} holds ${describeJson(parsed)}; a JSON dataset must be an array of rows (arrays like [5.1, 3.5, "setosa"] or objects like {"x": 1, "label": "a"})`,
    );
  }
  return rowsTable(parsed, file, (r) => `row ${r + 1}`);
}

export function jsonlTable(text: string, file: string): Table {
  const rows: unknown[] = [];
  const lineOf: number[] = [];
  const lines = stripBom(text).split(/\r\n|\n|\r/);
  for (let k = 0; k < lines.length; k++) {
    const s = lines[k].trim();
    if (s === '') continue;
    try {
      rows.push(JSON.parse(s));
    } catch (e) {
      throw new DatasetError('PARSE_ERROR', file, `${file} line ${k + 1} is not valid JSON: ${(e as Error).message}`);
    }
    lineOf.push(k + 1);
  }
  return rowsTable(rows, file, (r) => `line ${lineOf[r]}`);
}

/** A 2-D array as a table: columns '0', '1', …; NaN cells are missing. */
export function npyTable(arr: NpyArray, file: string): Table {
  if (arr.shape.length !== 2) {
    throw new DatasetError(
      'BAD_SPEC',
      file,
      `${file} holds an array of shape (${arr.shape.join(', ')}); a single .npy dataset must be 2-D (rows × columns, the label one of the columns). ` +
        `For other shapes save features and labels apart: np.savez(path, x=features, y=labels).`,
    );
  }
  const [rows, cols] = arr.shape;
  const d = arr.data;
  return {
    columns: Array.from({ length: cols }, (_, k) => String(k)),
    hasHeader: false,
    rowCount: rows,
    get: (r, c) => d[r * cols + c],
    where: (r) => `row ${r}`,
  };
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v} (${JSON.stringify(v)})`;
}

// ---------------------------------------------------------------------------------------------
// CSV over bytes (the numeric fast path of the dataset loader)

const QUOTE = 0x22;
const CR = 13;
const LF = 10;

/**
 * Splits CSV bytes into records with exactly the rules of parseCsvRecords, without decoding the text:
 * each field is a byte range [start, end) of the buffer, or, for a quoted field, its decoded string.
 * Only for a single ASCII delimiter (not '"', CR or LF); `usable` says whether one was given. A quoted
 * field that is never closed ends the scan with `failed` set (parseCsvRecords gives the error). A field
 * longer than `maxCell` bytes throws TOO_LARGE (cellTooLong) before any of it is decoded.
 */
export class CsvByteScanner {
  /** column names for messages (set once the header is read) */
  columnNames?: string[];
  /** 1-based line the current record starts on */
  recordLine = 1;
  /** fields of the current record */
  count = 0;
  starts: Int32Array;
  ends: Int32Array;
  /** decoded text of quoted fields (index = field), only where ends[f] === -1 */
  quoted: string[] = [];
  failed = false;
  private pos: number;
  private line = 1;
  private readonly delim: number;

  static usable(delimiter: string): boolean {
    if (delimiter.length !== 1) return false;
    const d = delimiter.charCodeAt(0);
    return d < 0x80 && d !== QUOTE && d !== CR && d !== LF;
  }

  constructor(
    private readonly bytes: Buffer,
    delimiter: string,
    width = 16,
    private readonly maxCell = MAX_CELL_BYTES,
    private readonly file = '',
  ) {
    this.delim = delimiter.charCodeAt(0);
    this.pos = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    this.starts = new Int32Array(width);
    this.ends = new Int32Array(width);
  }

  /** where the next record starts (byte offset) and the line it is on */
  get position(): number {
    return this.pos;
  }
  get lineNumber(): number {
    return this.line;
  }
  /** continues at byte `pos`, a record start on line `line` (after records the caller read itself) */
  seek(pos: number, line: number): void {
    this.pos = pos;
    this.line = line;
  }

  /** the text of field f of the current record (as parseCsvRecords gives it) */
  text(f: number): string {
    return this.ends[f] === -1 ? this.quoted[f] : this.bytes.toString('utf8', this.starts[f], this.ends[f]);
  }

  private push(start: number, end: number): void {
    if (this.count === this.starts.length) {
      const s = new Int32Array(this.count * 2);
      s.set(this.starts);
      this.starts = s;
      const e = new Int32Array(this.count * 2);
      e.set(this.ends);
      this.ends = e;
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }

  private tooLong(): DatasetError {
    return cellTooLong(this.file, this.recordLine, this.count, this.columnNames, this.maxCell);
  }

  /** Reads the next record; false at the end of the data (or when `failed`). Blank lines are skipped. */
  next(): boolean {
    const b = this.bytes;
    const n = b.length;
    const delim = this.delim;
    for (;;) {
      let i = this.pos;
      if (i >= n || this.failed) return false;
      this.count = 0;
      this.recordLine = this.line;
      let fieldStarted = false;
      // one field per turn; i is at a field start
      for (;;) {
        if (i < n && b[i] === QUOTE) {
          fieldStarted = true;
          const startLine = this.line;
          i++;
          let s = '';
          let from = i;
          const opened = i;
          for (;;) {
            if (i - opened > this.maxCell) throw this.tooLong();
            if (i >= n) {
              this.failed = true;
              this.line = startLine;
              return false;
            }
            const d = b[i];
            if (d === QUOTE) {
              if (b[i + 1] === QUOTE) {
                s += b.toString('utf8', from, i + 1);
                i += 2;
                from = i;
                continue;
              }
              s += b.toString('utf8', from, i);
              i++;
              break;
            }
            if (d === LF || (d === CR && b[i + 1] !== LF)) this.line++;
            i++;
          }
          // after the closing quote: up to the next delimiter or line end, spaces and tabs dropped
          let from2 = i;
          while (i < n && b[i] !== delim && b[i] !== LF && b[i] !== CR) {
            if (b[i] === 0x20 || b[i] === 0x09) {
              if (i > from2) s += b.toString('utf8', from2, i);
              from2 = i + 1;
            }
            i++;
          }
          if (i > from2) s += b.toString('utf8', from2, i);
          this.quoted[this.count] = s;
          this.push(0, -1);
        } else {
          const start = i;
          const stop = Math.min(n, i + this.maxCell + 1);
          while (i < stop) {
            const d = b[i];
            if (d === delim || d === LF || d === CR) break;
            i++;
          }
          if (i - start > this.maxCell) throw this.tooLong();
          if (i > start) fieldStarted = true;
          this.push(start, i);
        }
        // i is at a delimiter, a line end or the end
        if (i < n && b[i] === delim) {
          fieldStarted = true;
          i++;
          continue;
        }
        break;
      }
      if (i < n) {
        // a line end
        i += b[i] === CR && b[i + 1] === LF ? 2 : 1;
        this.line++;
      }
      this.pos = i;
      // a blank line is no record
      if (this.count === 1 && !fieldStarted) continue;
      return true;
    }
  }
}
