/**
 * Evaluation datasets: a spec names a file (CSV/TSV, JSON, JSONL, NPY, NPZ), the label and the features;
 * `loadDataset` turns it into a dense float32 feature matrix plus labels, and `batchesFor` cuts that
 * matrix into tensors shaped for one model input.
 *
 * Rules:
 * - Feature values must be numbers (JSON numbers, numeric CSV cells, booleans → 0/1). Anything else is a
 *   NON_NUMERIC error that names the row and the column: choose numeric columns with `features`.
 * - Missing cells (null, absent keys, NaN, and the strings in `missingValues`, by default '', 'NA', 'N/A',
 *   'NaN', 'nan', 'null', 'NULL', 'None') in the label or in a chosen feature either drop the row
 *   (`missing: 'drop'`, the default; counted in `dropped` and reported in `warnings`) or fail
 *   (`missing: 'error'`). Missing cells in columns that are not used do not matter.
 * - Classification labels become class indices into `classNames`: by default the distinct labels sorted
 *   (numerically when all are numbers, else by code point); with `classNames` given, labels are matched by
 *   name, or, when every label is an integer in [0, classNames.length), taken as indices.
 * - `inputShape` says how one row maps onto the model's input (without the batch dimension), e.g. [4] or
 *   [1, 24, 96]; its product must equal the number of features. By default a row is [featureCount], or for
 *   NPZ the shape of one x sample.
 * - CSV/TSV: plain numeric records are read from the bytes straight into the feature matrix (see
 *   scanCsvFile, readPlainRecords), the file read through a window of CSV_WINDOW_BYTES (FileWindow);
 *   every other record, and every error, goes through the general parser (datasetTable). With LoadOptions.rowStream the rows are handed on while the rest of the file is read
 *   (`modelver eval` runs them meanwhile, streamEval.ts).
 */
import { constants as bufferConstants } from 'buffer';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Dim, ValueInfo } from '../formats/types';
import { DatasetError, type DatasetFix } from './datasetErrors';
import { CsvByteScanner, csvTable, jsonlTable, jsonTable, MAX_CELL_BYTES, npyTable, type Table } from './datasetTable';
import { isNpy, isZip, parseNpy, readNpz, type NpyArray } from './npy';

export { DatasetError, type DatasetErrorCode, type DatasetFix } from './datasetErrors';
export { MAX_CELL_BYTES } from './datasetTable';

/** The largest CSV/JSON/JSONL file read as one string (V8's longest string). */
export const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH;

export type DatasetFormat = 'csv' | 'tsv' | 'json' | 'jsonl' | 'npy' | 'npz';
export type DatasetTask = 'binary' | 'multiclass' | 'regression';
/** a column by name, or by 0-based index (negative counts from the end: -1 is the last column) */
export type ColumnRef = string | number;

export interface DatasetSpec {
  /** path of the data file; relative paths resolve against `baseDir` (loadDataset's option) or the cwd */
  file: string;
  /** default: from the extension (.csv .tsv .json .jsonl/.ndjson .npy .npz), else from the first bytes */
  format?: DatasetFormat;
  /** the label column; required except for NPZ files with a label array */
  labelColumn?: ColumnRef;
  /** feature columns, in the order the model takes them (default: every column except the label) */
  features?: ColumnRef[];
  task: DatasetTask;
  /** class names in class-index order (default: the sorted distinct labels) */
  classNames?: string[];
  /** what a row with a missing label or feature does (default 'drop') */
  missing?: 'error' | 'drop';
  /** cell strings that mean "missing" (default '', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None') */
  missingValues?: string[];
  /** how one row maps onto the model's input, without the batch dimension; product = feature count */
  inputShape?: number[];
  /** NPZ: the feature and label arrays (default x: 'x' | 'X' | 'features' | 'arr_0', y: 'y' | 'Y' | 'labels' | 'arr_1') */
  npz?: { x?: string; y?: string };
  /** CSV/TSV: delimiter (default ',' for csv, tab for tsv) and whether the first record is a header (default true) */
  csv?: { delimiter?: string; header?: boolean };
}

export interface Dataset {
  /** absolute path of the file read */
  file: string;
  format: DatasetFormat;
  task: DatasetTask;
  /** rowCount × featureCount values, row-major */
  features: Float32Array;
  rowCount: number;
  featureCount: number;
  featureNames: string[];
  /** how one row maps onto the model input (product = featureCount) */
  rowShape: number[];
  /** true when rowShape came from spec.inputShape (so it must be matched exactly, never reshaped) */
  rowShapeFromSpec: boolean;
  /** class indices (Int32Array) for binary/multiclass; values (Float32Array) for regression */
  labels: Int32Array | Float32Array;
  labelName: string;
  classNames?: string[];
  /** rows per class, in classNames order */
  classCounts?: number[];
  /** rows dropped for missing values */
  dropped: number;
  /** data rows in the file before dropping */
  totalRows: number;
  /** hex sha256 of the file's bytes: content identity for caching results */
  sha256: string;
  warnings: string[];
}

export interface LoadOptions {
  /** directory relative `spec.file` paths resolve against (default: process.cwd()) */
  baseDir?: string;
  /** CSV/TSV: false reads through the general parser only (tests and benchmarks compare the two); default true */
  csvFastPath?: boolean;
  /** the longest CSV cell (default MAX_CELL_BYTES; tests lower it) */
  maxCellBytes?: number;
  /** the largest file decoded as text (default MAX_TEXT_BYTES; tests lower it) */
  maxTextBytes?: number;
  /** CSV/TSV: the feature rows as they are read, before the load completes (see RowStream) */
  rowStream?: RowStream;
  /** CSV/TSV fast path: the bytes read at a time (default CSV_WINDOW_BYTES; tests lower it) */
  csvWindowBytes?: number;
}

/**
 * Receives a CSV's feature rows while the rest of the file is read (issue #12: they can run in the model
 * meanwhile). Only the numeric fast path streams; other formats, and CSVs it leaves to the general parser,
 * call nothing (or `reset`), and the rows are in the Dataset the load gives.
 */
export interface RowStream {
  /** the columns are known: returns how many rows each `rows` call should carry (the last carries the rest) */
  start(featureCount: number): number;
  /**
   * The next kept rows, row-major, starting at row `firstRow` of the dataset: in order, without gaps, the
   * values of the Dataset's features (the view stays valid). The load yields to the event loop after each.
   */
  rows(values: Float32Array, firstRow: number): void;
  /** the rows given so far do not stand (the file is read another way, or the load failed); no more come */
  reset(): void;
}

const DEFAULT_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None'];
const TASKS: DatasetTask[] = ['binary', 'multiclass', 'regression'];
const FORMATS: DatasetFormat[] = ['csv', 'tsv', 'json', 'jsonl', 'npy', 'npz'];

export async function loadDataset(spec: DatasetSpec, opts: LoadOptions = {}): Promise<Dataset> {
  const r = await readDataset(spec, opts);
  return finish(r.ctx, r.format, r.sha256, r.raw);
}

/** The rows a load keeps, before their labels are mapped for the task (`finish`). */
interface ReadData {
  ctx: Ctx;
  format: DatasetFormat;
  sha256: string;
  raw: RawData;
}

async function readDataset(spec: DatasetSpec, opts: LoadOptions): Promise<ReadData> {
  if (!spec || typeof spec.file !== 'string' || spec.file === '') {
    throw new DatasetError('BAD_SPEC', '', 'the dataset spec names no file');
  }
  const file = path.resolve(opts.baseDir ?? process.cwd(), spec.file);
  const base = path.basename(file);
  if (!TASKS.includes(spec.task)) {
    throw new DatasetError('BAD_SPEC', file, `unknown task ${JSON.stringify(spec.task)} for ${base}; use 'binary', 'multiclass' or 'regression'`);
  }
  const missingMode = spec.missing ?? 'drop';
  if (missingMode !== 'drop' && missingMode !== 'error') {
    throw new DatasetError('BAD_SPEC', file, `unknown missing-value mode ${JSON.stringify(spec.missing)} for ${base}; use 'drop' or 'error'`);
  }
  if (spec.format !== undefined && !FORMATS.includes(spec.format)) {
    throw new DatasetError('UNKNOWN_FORMAT', file, `unknown dataset format ${JSON.stringify(spec.format)} for ${base}; use one of ${FORMATS.join(', ')}`);
  }

  const readError = (e: unknown): DatasetError => {
    if (e instanceof DatasetError) return e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return new DatasetError('NOT_FOUND', file, `the dataset file ${file} does not exist${spec.file !== file ? ` (given as ${JSON.stringify(spec.file)})` : ''}`);
    }
    return new DatasetError('READ_ERROR', file, `could not read the dataset file ${file}: ${(e as Error).message}`);
  };
  let size: number;
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) throw new DatasetError('NOT_FOUND', file, `the dataset ${file} is not a file`);
    size = st.size;
  } catch (e) {
    throw readError(e);
  }
  const ctx: Ctx = {
    spec,
    file,
    base,
    missing: new Set(spec.missingValues ?? DEFAULT_MISSING),
    missingMode,
    warnings: [],
    maxCell: opts.maxCellBytes ?? MAX_CELL_BYTES,
  };
  const named = spec.format ?? formatFromName(file);
  if (named === 'csv' || named === 'tsv') {
    let head: Buffer;
    try {
      head = readFileHead(file, TEXT_CHECK_BYTES);
    } catch (e) {
      throw readError(e);
    }
    const binary = notTextError(file, named, head);
    if (binary) throw binary;
  }
  if ((named === 'csv' || named === 'tsv') && opts.csvFastPath !== false) {
    // the numeric fast path reads the file through one window, never holding it whole (issue #12: a
    // fresh buffer the size of the file costs more to fill and touch than the parse itself)
    const delimiter = spec.csv?.delimiter ?? (named === 'tsv' ? '\t' : ',');
    if (csvFastPathUsable(ctx, delimiter)) {
      let win: FileWindow;
      try {
        win = new FileWindow(file, size, opts.csvWindowBytes ?? CSV_WINDOW_BYTES);
      } catch (e) {
        throw readError(e);
      }
      try {
        const fast = await fromCsvFile(ctx, win, delimiter, spec.csv?.header ?? true, opts.rowStream, readError);
        // undefined: the general path decides (and gives any error)
        if (fast) return { ctx, format: named, sha256: win.digest(), raw: fast };
      } finally {
        win.close();
      }
    }
  }

  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw readError(e);
  }
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const format = named ?? detectFormat(file, bytes);
  const text = (): string => decodeText(file, base, format, bytes, opts.maxTextBytes ?? MAX_TEXT_BYTES);

  let raw: RawData;
  if (format === 'npz') {
    raw = fromNpz(ctx, bytes);
  } else {
    let table: Table;
    switch (format) {
      case 'csv':
      case 'tsv': {
        const delimiter = spec.csv?.delimiter ?? (format === 'tsv' ? '\t' : ',');
        table = csvTable(text(), base, { delimiter, header: spec.csv?.header, maxCell: ctx.maxCell });
        break;
      }
      case 'json':
        table = jsonTable(text(), base);
        break;
      case 'jsonl':
        table = jsonlTable(text(), base);
        break;
      case 'npy':
        table = npyTable(parseNpy(bytes, base), base);
        break;
    }
    raw = fromTable(ctx, table);
  }
  return { ctx, format, sha256, raw };
}

// ---------------------------------------------------------------------------------------------

interface Ctx {
  spec: DatasetSpec;
  file: string;
  base: string;
  missing: Set<string>;
  missingMode: 'drop' | 'error';
  warnings: string[];
  /** the longest CSV cell, bytes */
  maxCell: number;
}

/** The file as one string, or TOO_LARGE when it cannot be one (V8 strings end at about 512 MiB). */
function decodeText(file: string, base: string, format: DatasetFormat, bytes: Buffer, limit: number): string {
  const tooLarge = (): DatasetError =>
    new DatasetError(
      'TOO_LARGE',
      file,
      `${base} is ${bytes.length.toLocaleString('en-US')} bytes, more than the ${limit.toLocaleString('en-US')} bytes a ${format.toUpperCase()} dataset read as text may have. ` +
        'Save a dataset this large as .npy or .npz (numpy.save / numpy.savez)' +
        (format === 'csv' || format === 'tsv' ? ', or as a CSV of plain numbers with a one-character delimiter, which is read without decoding it as text.' : '.'),
    );
  if (bytes.length > limit) throw tooLarge();
  try {
    return bytes.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw tooLarge();
    throw e;
  }
}

/** the rows kept, before labels are mapped */
interface RawData {
  features: Float32Array;
  rowCount: number;
  featureNames: string[];
  /** raw label values of the kept rows; or (CSV fast path) the distinct texts and each row's index into them */
  labels: unknown[] | { ids: Int32Array; values: string[] };
  labelName: string;
  /** where each kept row came from (for label errors) */
  where: (k: number) => string;
  totalRows: number;
  dropped: number;
  /** shape of one sample when the file has one (NPZ x) */
  sampleShape?: number[];
}

/** The extensions that name a dataset format (the label picker offers these too). */
const FORMAT_OF_EXTENSION: Readonly<Record<string, DatasetFormat>> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.npy': 'npy',
  '.npz': 'npz',
};
export const DATASET_EXTENSIONS: readonly string[] = Object.freeze(Object.keys(FORMAT_OF_EXTENSION));

/** The format a file's name says (its extension), if it says one. */
export function formatFromName(file: string): DatasetFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  return Object.prototype.hasOwnProperty.call(FORMAT_OF_EXTENSION, ext) ? FORMAT_OF_EXTENSION[ext] : undefined;
}

/**
 * The offset of the first byte that text never holds: NUL or a C0 control other than tab, line feed,
 * vertical tab, form feed and carriage return (undefined: none in `bytes`).
 */
export function firstBinaryByte(bytes: Uint8Array): number | undefined {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d) return i;
  }
  return undefined;
}

/** The first `bytes` bytes of a file (fewer when it is shorter). */
export function readFileHead(file: string, bytes: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, fs.readSync(fd, buf, 0, bytes, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** How far into a CSV/TSV file notTextError looks. */
export const TEXT_CHECK_BYTES = 65536;

/**
 * The error for a file named CSV/TSV whose first bytes (`head`, up to TEXT_CHECK_BYTES) hold a byte text
 * never holds — random bytes, a spreadsheet or an archive under a .csv name — else undefined. Without it
 * such a file's first "line" was read as its header and its bytes offered as column names.
 */
export function notTextError(file: string, format: 'csv' | 'tsv', head: Uint8Array): DatasetError | undefined {
  const bad = firstBinaryByte(head.subarray(0, TEXT_CHECK_BYTES));
  if (bad === undefined) return undefined;
  const csv = format === 'csv';
  return new DatasetError(
    'PARSE_ERROR',
    file,
    `${path.basename(file)} is not a text ${csv ? 'CSV' : 'TSV'} file: byte ${bad} is 0x${head[bad].toString(16).padStart(2, '0').toUpperCase()}, a control character text does not hold. ` +
      `Pick a ${csv ? 'comma' : 'tab'}-separated text file with a header row (the column names), or export the data as CSV first.`,
  );
}

/** The format of a file its name does not tell, from its first bytes. */
function detectFormat(file: string, bytes: Buffer): DatasetFormat {
  if (isNpy(bytes)) return 'npy';
  if (isZip(bytes)) return 'npz';
  const head = bytes.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('[')) return 'json';
  if (head.startsWith('{')) return 'jsonl';
  throw new DatasetError(
    'UNKNOWN_FORMAT',
    file,
    `cannot tell the format of ${path.basename(file)} from its name or its first bytes: give the file the extension of its format (${DATASET_EXTENSIONS.join(', ')}; ` +
      `a comma-separated text file with a header row is a .csv), or, calling the library, set spec.format to one of ${FORMATS.join(', ')}`,
  );
}

function isMissing(ctx: Ctx, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (typeof v === 'string') return ctx.missing.has(v.trim()) || ctx.missing.has(v);
  return false;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Whether a raw cell (a CSV text, a JSON value) can stand in a feature column as the loader reads it: a
 * number, true/false, or a missing marker (the default ones unless `missingValues` says otherwise). The
 * label picker uses it to tell text columns from feature columns before loading.
 */
export function isFeatureCell(v: unknown, missingValues: readonly string[] = DEFAULT_MISSING): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v) || Number.isFinite(v);
  if (typeof v === 'string' && (missingValues.includes(v) || missingValues.includes(v.trim()))) return true;
  return toNumber(v) !== undefined;
}

/** a finite number, or undefined when the value is not one */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (!NUMERIC.test(s)) return undefined;
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** a column reference typed as a number ("3", " -1 "): an index, not a name */
const isIndexText = (ref: string): boolean => /^-?\d+$/.test(ref.trim());

/** A name (column, class) as messages show it: quoted, at most 60 characters. */
function q(name: string): string {
  return `'${name.length > 60 ? name.slice(0, 57) + '…' : name}'`;
}

function showValue(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : String(v);
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}

function listColumns(table: Table): string {
  if (!table.hasHeader) return `indices 0–${table.columns.length - 1}`;
  const shown = table.columns.slice(0, 40).map(q);
  return shown.join(', ') + (table.columns.length > 40 ? `, … (${table.columns.length} in all)` : '');
}

function resolveColumn(ctx: Ctx, table: Table, ref: ColumnRef, role: string): number {
  const n = table.columns.length;
  const noSuch = (what: string): DatasetError =>
    new DatasetError(
      'UNKNOWN_COLUMN',
      ctx.file,
      `${role} ${what} is not a column of ${ctx.base}; ` +
        (table.hasHeader
          ? `its columns are ${listColumns(table)}`
          : `its rows have no column names, so choose columns by index: ${listColumns(table)} (-1 is the last)`),
    );
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref)) throw noSuch(String(ref));
    const i = ref < 0 ? n + ref : ref;
    if (i < 0 || i >= n) throw noSuch(`${ref} (out of range: ${n} columns)`);
    return i;
  }
  if (typeof ref !== 'string') throw noSuch(showValue(ref));
  const exact = table.columns.indexOf(ref);
  if (exact >= 0) return exact;
  const lower = ref.toLowerCase();
  const ci = table.columns.map((c, i) => [c, i] as const).filter(([c]) => c.toLowerCase() === lower);
  if (ci.length === 1) return ci[0][1];
  if (!table.hasHeader && isIndexText(ref)) return resolveColumn(ctx, table, Number(ref.trim()), role);
  throw noSuch(q(ref));
}

/** the label column and the feature columns (in the model's order) of `table`, per the spec */
function chooseColumns(ctx: Ctx, table: Table): { labelIdx: number; featIdx: number[] } {
  const { spec } = ctx;
  if (spec.labelColumn === undefined || spec.labelColumn === null) {
    throw new DatasetError(
      'BAD_SPEC',
      ctx.file,
      `the spec for ${ctx.base} names no labelColumn; ` +
        (table.hasHeader ? `its columns are ${listColumns(table)}` : `choose one by index: ${listColumns(table)} (-1 is the last)`),
    );
  }
  const labelIdx = resolveColumn(ctx, table, spec.labelColumn, 'the label column');
  let featIdx: number[];
  if (spec.features !== undefined) {
    if (!Array.isArray(spec.features) || spec.features.length === 0) {
      throw new DatasetError('BAD_SPEC', ctx.file, `spec.features for ${ctx.base} must be a non-empty list of column names or indices`);
    }
    featIdx = spec.features.map((f) => resolveColumn(ctx, table, f, 'the feature column'));
    const seen = new Set<number>();
    for (const i of featIdx) {
      if (i === labelIdx) {
        throw new DatasetError('BAD_SPEC', ctx.file, `column ${q(table.columns[i])} of ${ctx.base} is both the label and a feature`);
      }
      if (seen.has(i)) throw new DatasetError('BAD_SPEC', ctx.file, `column ${q(table.columns[i])} of ${ctx.base} is listed twice among the feature columns`);
      seen.add(i);
    }
  } else {
    featIdx = table.columns.map((_, i) => i).filter((i) => i !== labelIdx);
    if (featIdx.length === 0) {
      throw new DatasetError('BAD_SPEC', ctx.file, `${ctx.base} has only the label column ${q(table.columns[labelIdx])}: no features`);
    }
  }
  return { labelIdx, featIdx };
}

function fromTable(ctx: Ctx, table: Table): RawData {
  if (table.rowCount === 0) {
    throw new DatasetError('EMPTY', ctx.file, `${ctx.base} has no data rows`);
  }
  const { labelIdx, featIdx } = chooseColumns(ctx, table);
  const fc = featIdx.length;
  const colName = (i: number): string => (table.hasHeader ? q(table.columns[i]) : `${i}`);
  const features = new Float32Array(table.rowCount * fc);
  const labels: unknown[] = [];
  const kept: number[] = [];
  let dropped = 0;
  const missingCols = new Map<number, number>();
  for (let r = 0; r < table.rowCount; r++) {
    let rowMissing = false;
    const labelRaw = table.get(r, labelIdx);
    if (isMissing(ctx, labelRaw)) {
      if (ctx.missingMode === 'error') {
        throw new DatasetError('MISSING_VALUE', ctx.file, `${ctx.base} ${table.where(r)}: the label (column ${colName(labelIdx)}) is missing; use missing: 'drop' to skip such rows`);
      }
      rowMissing = true;
      missingCols.set(labelIdx, (missingCols.get(labelIdx) ?? 0) + 1);
    }
    const off = kept.length * fc;
    for (let j = 0; j < fc; j++) {
      const v = table.get(r, featIdx[j]);
      if (isMissing(ctx, v)) {
        if (ctx.missingMode === 'error') {
          throw new DatasetError('MISSING_VALUE', ctx.file, `${ctx.base} ${table.where(r)}: column ${colName(featIdx[j])} is missing; use missing: 'drop' to skip such rows`);
        }
        rowMissing = true;
        missingCols.set(featIdx[j], (missingCols.get(featIdx[j]) ?? 0) + 1);
        continue;
      }
      const x = toNumber(v);
      if (x === undefined) {
        throw new DatasetError(
          'NON_NUMERIC',
          ctx.file,
          `${ctx.base} ${table.where(r)}: column ${colName(featIdx[j])} holds ${showValue(v)}, which is not a number; ` +
            `features must be numbers: leave this column out of the feature columns, or encode it as numbers first`,
          table.columns[featIdx[j]],
        );
      }
      if (!rowMissing) features[off + j] = x;
    }
    if (rowMissing) {
      dropped++;
      continue;
    }
    labels.push(labelRaw);
    kept.push(r);
  }
  if (dropped > 0) {
    const cols = [...missingCols.entries()].map(([i, k]) => `${colName(i)} ×${k}`).join(', ');
    ctx.warnings.push(`dropped ${dropped} of ${table.rowCount} rows of ${ctx.base} with missing values (${cols})`);
  }
  return {
    features: features.slice(0, kept.length * fc),
    rowCount: kept.length,
    featureNames: featIdx.map((i) => table.columns[i]),
    labels,
    labelName: table.columns[labelIdx],
    where: (k) => table.where(kept[k]),
    totalRows: table.rowCount,
    dropped,
  };
}

// ---------------------------------------------------------------------------------------------
// CSV/TSV numeric fast path: fields are read straight from the bytes into the feature matrix; only
// fields that are not plain numbers (quoted, missing markers, spaces, the label) are decoded to strings
// and go through the same rules as fromTable. Gives exactly fromTable's result, or undefined whenever
// the general path has to decide (any error: ragged rows, an unclosed quote, a bad column, a
// non-numeric or, with missing: 'error', a missing cell), so every error comes from the general path.

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** where the last parseNumberAt stopped */
let numberEnd = 0;

/**
 * The number in bytes [s, e) when they are exactly /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/ and the
 * value is finite: the same double as Number(text). NaN otherwise (the caller then decodes the text).
 */
export function parseCsvNumber(b: Uint8Array, s: number, e: number): number {
  const x = parseNumberAt(b, s, e);
  return numberEnd === e ? x : NaN;
}

/**
 * Reads the longest run from `s` (before `limit`) of the form [+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?
 * and sets numberEnd after it. Returns Number(run) when that is finite, else NaN (NaN too when an 'e'
 * has no exponent digits). Up to 15 significant digits and a decimal exponent within ±22 are exact in
 * one IEEE operation (Clinger's fast path); anything else goes through Number().
 */
function parseNumberAt(b: Uint8Array, s: number, limit: number): number {
  let i = s;
  let neg = false;
  numberEnd = s;
  if (i < limit) {
    const c0 = b[i];
    if (c0 === 0x2d) {
      neg = true;
      i++;
    } else if (c0 === 0x2b) i++;
  }
  let m = 0;
  let nd = 0;
  let slow = false;
  let scale = 0;
  let intDigits = 0;
  for (; i < limit; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) break;
    intDigits++;
    if (m === 0 && c === 0) continue;
    if (nd < 15) {
      m = m * 10 + c;
      nd++;
    } else slow = true;
  }
  let fracDigits = 0;
  if (i < limit && b[i] === 0x2e) {
    i++;
    for (; i < limit; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) break;
      fracDigits++;
      scale--;
      if (m === 0 && c === 0) continue;
      if (nd < 15) {
        m = m * 10 + c;
        nd++;
      } else slow = true;
    }
  }
  if (intDigits === 0 && fracDigits === 0) return NaN;
  let ex = 0;
  if (i < limit && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let eneg = false;
    if (i < limit && (b[i] === 0x2d || b[i] === 0x2b)) {
      eneg = b[i] === 0x2d;
      i++;
    }
    let ed = 0;
    for (; i < limit; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) break;
      ed++;
      if (ex < 100000) ex = ex * 10 + c;
    }
    if (ed === 0) return NaN;
    if (eneg) ex = -ex;
  }
  numberEnd = i;
  let v: number;
  if (m === 0 && !slow) v = 0;
  else {
    const e10 = scale + ex;
    if (slow || e10 > 22 || e10 < -22) {
      // plain ASCII (checked above)
      v = Number(Buffer.from(b.buffer, b.byteOffset + s, i - s).toString('latin1'));
      return Number.isFinite(v) ? v : NaN;
    }
    v = e10 === 0 ? m : e10 > 0 ? m * POW10[e10] : m / POW10[-e10];
  }
  return neg ? -v : v;
}

/** Whether the CSV fast path can read a file with this delimiter and these missing markers. */
function csvFastPathUsable(ctx: Ctx, delimiter: string): boolean {
  if (!CsvByteScanner.usable(delimiter)) return false;
  // a marker that is itself a plain number ('-999') must be seen as text: leave such files to fromTable
  for (const m of ctx.missing) if (NUMERIC.test(m)) return false;
  return true;
}

/** The CSV fast path reads a file in windows of this many bytes (a window grows when a record does not fit). */
export const CSV_WINDOW_BYTES = 1 << 20;

/**
 * A file read front to back through one buffer (the CSV fast path): `buf[0, len)` holds the file's bytes
 * from `start` on, a window that moves on as the records before it are read (`advance`), so the memory
 * filled and touched is the window's, however large the file; `rest` gives the bytes from a point to
 * the end at once where a record needs the general scanner. Every byte is hashed as it is read (`digest`:
 * the SHA-256 of the whole file once it has been read to the end).
 */
class FileWindow {
  buf: Buffer;
  len = 0;
  /** the file offset of buf[0] */
  start = 0;
  /** the window reaches the end of the file */
  eof = false;
  private readonly fd: number;
  private readonly hash = crypto.createHash('sha256');

  constructor(
    file: string,
    /** the file's size when it was opened (row estimates) */
    readonly size: number,
    windowBytes: number,
  ) {
    // a file smaller than a window: one buffer, one byte over, so the first fill sees the end
    this.buf = Buffer.allocUnsafeSlow(Math.max(16, Math.min(windowBytes, size + 1)));
    this.fd = fs.openSync(file, 'r');
    try {
      this.fill();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** reads until the buffer is full or the file ends */
  private fill(): void {
    while (this.len < this.buf.length) {
      const got = fs.readSync(this.fd, this.buf, this.len, this.buf.length - this.len, this.start + this.len);
      if (got === 0) {
        this.eof = true;
        return;
      }
      this.hash.update(this.buf.subarray(this.len, this.len + got));
      this.len += got;
    }
  }

  /** drops the bytes before buf[from] and reads on; with nothing to drop, into a buffer twice as large */
  advance(from: number): void {
    if (this.eof) return;
    if (from > 0) {
      this.buf.copy(this.buf, 0, from, this.len);
      this.start += from;
      this.len -= from;
    } else {
      const b = Buffer.allocUnsafeSlow(this.buf.length * 2);
      this.buf.copy(b, 0, 0, this.len);
      this.buf = b;
    }
    this.fill();
  }

  /** the bytes from buf[from] to the end of the file, in one buffer (the rest of the file is read) */
  rest(from: number): Buffer {
    if (this.eof) return this.buf.subarray(from, this.len);
    const parts: Buffer[] = [Buffer.from(this.buf.subarray(from, this.len))];
    let at = this.start + this.len;
    const more = Math.max(1 << 16, fs.fstatSync(this.fd).size - at + 1);
    for (;;) {
      const b = Buffer.allocUnsafe(more);
      const got = fs.readSync(this.fd, b, 0, b.length, at);
      if (got === 0) break;
      const part = b.subarray(0, got);
      this.hash.update(part);
      parts.push(part);
      at += got;
    }
    this.eof = true;
    return Buffer.concat(parts);
  }

  /** hex SHA-256 of the file (read to its end) */
  digest(): string {
    return this.hash.digest('hex');
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
  }
}

async function fromCsvFile(ctx: Ctx, win: FileWindow, delimiter: string, header: boolean, stream: RowStream | undefined, readError: (e: unknown) => DatasetError): Promise<RawData | undefined> {
  let started = false;
  const watched: RowStream | undefined = stream && {
    start: (fc) => {
      started = true;
      return stream.start(fc);
    },
    rows: (v, first) => stream.rows(v, first),
    reset: () => stream.reset(),
  };
  try {
    const raw = await scanCsvFile(ctx, win, delimiter, header, watched, readError);
    if (!raw && started) stream!.reset();
    return raw;
  } catch (e) {
    if (started) stream!.reset();
    // the general path gives every error, in file order; a cell over the limit is found only when the
    // records before it were read without error, so it is the first error: give it here, before the
    // general path decodes the whole file (a read error, too)
    if (e instanceof DatasetError && e.code !== 'TOO_LARGE' && e.code !== 'READ_ERROR') return undefined;
    throw e;
  }
}

/**
 * The distinct label texts of a CSV's kept rows, each row's label as an index into them. Labels are
 * looked up by their bytes (one-byte labels in a table, others by a hash), so a row's label becomes a
 * string only the first time its text is seen.
 */
class LabelInterner {
  readonly values: string[] = [];
  /** the bytes that ofBytes positions refer to (the file's window, which moves) */
  b: Uint8Array;
  private readonly byText = new Map<string, number>();
  /** one-byte labels: byte → id (−1: not seen yet) */
  private readonly byByte = new Int32Array(256).fill(-1);
  /** longer labels: FNV-1a hash of the bytes → the byte strings seen with that hash and their ids */
  private readonly byHash = new Map<number, { bytes: Uint8Array; id: number }[]>();

  constructor(b: Uint8Array) {
    this.b = b;
  }

  /** the id of the label text s */
  ofText(s: string): number {
    let id = this.byText.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(s);
      this.byText.set(s, id);
    }
    return id;
  }

  /** the id of the label in bytes [s, e) of the file (its text: the bytes decoded as UTF-8) */
  ofBytes(s: number, e: number): number {
    const b = this.b;
    if (e - s === 1) {
      const id = this.byByte[b[s]];
      return id >= 0 ? id : (this.byByte[b[s]] = this.ofText(Buffer.from(b.buffer, b.byteOffset + s, 1).toString('utf8')));
    }
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
    let list = this.byHash.get(h);
    if (list) {
      for (const x of list) {
        const t = x.bytes;
        if (t.length !== e - s) continue;
        let same = true;
        for (let i = 0; i < t.length && same; i++) same = t[i] === b[s + i];
        if (same) return x.id;
      }
    } else this.byHash.set(h, (list = []));
    const bytes = b.slice(s, e);
    const id = this.ofText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
    list.push({ bytes, id });
    return id;
  }
}

/**
 * Where plain records may start in b[0, n): before the end of the last CR or LF, so that a scan for a
 * delimiter, CR or LF from there never runs past the data. Short of the end of the file (`eof` false),
 * a CR in the last byte does not count: an LF may follow it in the next window (CRLF is one line end).
 */
function lastLineEnd(b: Uint8Array, n = b.length, eof = true): number {
  const top = !eof && n > 0 && b[n - 1] === 13 ? n - 2 : n - 1;
  for (let i = top; i >= 0; i--) if (b[i] === 10 || b[i] === 13) return i + 1;
  return 0;
}

/** What readPlainRecords needs, and where it stopped (`pos`, `line`). */
interface PlainReader {
  b: Uint8Array;
  n: number;
  fc: number;
  width: number;
  /** per column: -2 the label, -1 unused, j ≥ 0 feature j */
  role: Int32Array;
  delim: number;
  maxCell: number;
  /** plain records are read only when they start before this (after the last CR or LF) */
  safeEnd: number;
  interner: LabelInterner;
  labelMissing: (id: number) => boolean;
  pos: number;
  line: number;
}

/**
 * Reads consecutive plain records from `pos` (on line `line`) into row `kept` and on, up to row `cap`:
 * every field unquoted, every feature a plain number — [+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?, the same
 * double as parseNumberAt gives (Number(text)) — the label's text not a missing marker, the record ending
 * at a CR or LF. Stops before the first other record, or at safeEnd. Returns the rows read; `r.pos` and
 * `r.line` are where the next record starts. (The hot loop of a CSV load: small, so it compiles early.)
 */
function readPlainRecords(r: PlainReader, pos: number, line: number, features: Float32Array, labelIds: Int32Array, keptLines: Int32Array, kept: number, cap: number): number {
  const { b, n, fc, width, role, delim, maxCell, safeEnd, interner } = r;
  const first = kept;
  while (kept < cap && pos < safeEnd) {
    const off = kept * fc;
    let i = pos;
    let col = 0;
    let labelStart = 0;
    let labelEnd = 0;
    let ok = true;
    for (;;) {
      const ro = role[col];
      if (ro >= 0) {
        const from = i;
        let c = b[i];
        let neg = false;
        if (c === 0x2d) {
          neg = true;
          c = b[++i];
        } else if (c === 0x2b) c = b[++i];
        // the digits as one integer m (exact while there are at most 15 of them) and the decimal scale
        let m = 0;
        const intStart = i;
        while (c >= 0x30 && c <= 0x39) {
          m = m * 10 + (c - 0x30);
          c = b[++i];
        }
        let digits = i - intStart;
        let scale = 0;
        if (c === 0x2e) {
          c = b[++i];
          const fracStart = i;
          while (c >= 0x30 && c <= 0x39) {
            m = m * 10 + (c - 0x30);
            c = b[++i];
          }
          scale = fracStart - i;
          digits -= scale;
        }
        if (digits === 0) {
          ok = false;
          break;
        }
        if (c === 0x65 || c === 0x45) {
          c = b[++i];
          let eneg = false;
          if (c === 0x2d || c === 0x2b) {
            eneg = c === 0x2d;
            c = b[++i];
          }
          let ex = 0;
          const expStart = i;
          while (c >= 0x30 && c <= 0x39) {
            if (ex < 100000) ex = ex * 10 + (c - 0x30);
            c = b[++i];
          }
          if (i === expStart) {
            ok = false;
            break;
          }
          scale += eneg ? -ex : ex;
        }
        if (i - from > maxCell) {
          ok = false;
          break;
        }
        let x: number;
        if (digits > 15 || scale > 22 || scale < -22) {
          // more digits than a double holds exactly, or a large exponent: Number() of the text (sign included)
          x = Number(Buffer.from(b.buffer, b.byteOffset + from, i - from).toString('latin1'));
          if (!Number.isFinite(x)) {
            ok = false;
            break;
          }
        } else {
          // m < 10^15 and 10^|scale| ≤ 10^22 are exact doubles: one correctly rounded operation (Clinger)
          const v = scale === 0 ? m : scale > 0 ? m * POW10[scale] : m / POW10[-scale];
          x = neg ? -v : v;
        }
        features[off + ro] = x;
      } else {
        if (b[i] === 0x22) {
          ok = false;
          break;
        }
        const from = i;
        let c = b[i];
        while (c !== delim && c !== 10 && c !== 13) c = b[++i];
        if (i - from > maxCell) {
          ok = false;
          break;
        }
        if (ro === -2) {
          labelStart = from;
          labelEnd = i;
        }
      }
      col++;
      if (b[i] === delim) {
        if (col === width) {
          ok = false;
          break;
        }
        i++;
        continue;
      }
      break;
    }
    if (!ok || col !== width || (b[i] !== 10 && b[i] !== 13)) break;
    const id = interner.ofBytes(labelStart, labelEnd);
    if (r.labelMissing(id)) break;
    pos = i + (b[i] === 13 && i + 1 < n && b[i + 1] === 10 ? 2 : 1);
    labelIds[kept] = id;
    keptLines[kept++] = line++;
  }
  r.pos = pos;
  r.line = line;
  return kept - first;
}

/** A streaming load lets the event loop run at least this often (rows). */
const STREAM_YIELD_ROWS = 512;

/** Lets the event loop run (I/O, timers) before going on. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The CSV fast path over a file window (FileWindow): plain records are read in the window, which moves on
 * as they are read; the first record that needs the general scanner (quoted, missing or odd cells, a
 * record at the end of the file without a line end) switches to one buffer of the rest of the file, on
 * which the scanner and the plain loop go on to the end. Gives what the same loop over the whole file
 * gives: the records, in order, read by the same rules.
 */
async function scanCsvFile(ctx: Ctx, win: FileWindow, delimiter: string, header: boolean, stream: RowStream | undefined, readError: (e: unknown) => DatasetError): Promise<RawData | undefined> {
  const move = (from: number): void => {
    try {
      win.advance(from);
    } catch (e) {
      throw readError(e);
    }
  };
  // the first record (the header, or without one the first data record) whole in the window
  let sc: CsvByteScanner;
  for (;;) {
    sc = new CsvByteScanner(win.buf.subarray(0, win.len), delimiter, 16, ctx.maxCell, ctx.base);
    const got = sc.next();
    if (win.eof) {
      if (!got) return undefined;
      break;
    }
    if (got && sc.position <= lastLineEnd(win.buf, win.len, false)) break;
    move(0);
  }
  const width = sc.count;
  const columns: string[] = [];
  for (let f = 0; f < width; f++) columns.push(header ? sc.text(f).trim() : String(f));
  if (header) sc.columnNames = columns;
  const probe: Table = { columns, hasHeader: header, rowCount: 1, get: () => undefined, where: () => '' };
  const { labelIdx, featIdx } = chooseColumns(ctx, probe);
  const fc = featIdx.length;
  // the bytes being read: the window, or (once the scanner is needed) the rest of the file
  let bytes = win.buf;
  let b = new Uint8Array(bytes.buffer, bytes.byteOffset, win.len);
  let n = win.len;
  /** b holds everything to the end of the file */
  let whole = win.eof;
  // rows: estimated from the length of the line after the first record; the buffers grow when short
  const size = Math.max(win.size, n);
  const nextLf = bytes.subarray(0, n).indexOf(10, sc.position);
  const lineLen = Math.max(1, (nextLf >= 0 ? nextLf + 1 : n) - sc.position);
  let cap = Math.max(16, Math.ceil(((size - sc.position) / lineLen) * 1.1) + 16);
  let features = new Float32Array(cap * fc);
  let keptLines = new Int32Array(cap);
  let labelIds = new Int32Array(cap);
  const interner = new LabelInterner(b);
  /** per label id: 1 missing, 0 not, −1 not known yet */
  let missingId = new Int8Array(16).fill(-1);
  const missingCols = new Map<number, number>();
  let kept = 0;
  let total = 0;
  let dropped = 0;
  // what each column is: -2 the label, -1 unused, j ≥ 0 feature j
  const role = new Int32Array(width).fill(-1);
  role[labelIdx] = -2;
  for (let j = 0; j < fc; j++) role[featIdx[j]] = j;
  const delim = delimiter.charCodeAt(0);
  const maxCell = ctx.maxCell;
  // records that start before the last line end are read in place without looking past the data
  let safeEnd = lastLineEnd(b, n, win.eof);
  let pending = !header; // without a header the first record is data, already in the scanner
  let pos = sc.position;
  let line = sc.lineNumber;
  // streaming: rows [0, emitted) were given; every `chunk` rows the next ones go
  const chunk = stream ? Math.max(1, Math.floor(stream.start(fc))) : 0;
  let emitted = 0;
  const plain: PlainReader = { b, n, fc, width, role, delim, maxCell, safeEnd, interner, labelMissing: (id) => labelMissing(id), pos: 0, line: 0 };
  /** reads b[0, n) from `buf` */
  const use = (buf: Buffer, len: number, end: boolean): void => {
    bytes = buf;
    b = new Uint8Array(buf.buffer, buf.byteOffset, len);
    n = len;
    pos = 0;
    safeEnd = lastLineEnd(b, n, end);
    plain.b = b;
    plain.n = n;
    plain.safeEnd = safeEnd;
    interner.b = b;
  };
  /** the window moves on to the record at pos (reads what follows; grows when the record is longer than it) */
  const nextWindow = (): void => {
    move(pos);
    use(win.buf, win.len, win.eof);
  };
  /** the scanner is needed: from pos on, the rest of the file in one buffer, read by the scanner and the plain loop */
  const toRest = (): void => {
    let rest: Buffer;
    try {
      rest = win.rest(pos);
    } catch (e) {
      throw readError(e);
    }
    use(rest, rest.length, true);
    sc = new CsvByteScanner(rest, delimiter, 16, ctx.maxCell, ctx.base);
    if (header) sc.columnNames = columns;
    whole = true;
  };
  const labelMissing = (id: number): boolean => {
    if (id >= missingId.length) {
      const m = new Int8Array(Math.max(id + 1, missingId.length * 2)).fill(-1);
      m.set(missingId);
      missingId = m;
    }
    let v = missingId[id];
    if (v < 0) v = missingId[id] = isMissing(ctx, interner.values[id]) ? 1 : 0;
    return v === 1;
  };
  // streaming: the event loop runs every STREAM_YIELD_ROWS rows too, not only when a chunk goes (the
  // evaluation host's replies, the rows' requests and the model's upload wait for it)
  let nextYield = stream ? STREAM_YIELD_ROWS : Infinity;
  for (;;) {
    if (stream && kept - emitted >= chunk) {
      stream.rows(features.subarray(emitted * fc, (emitted + chunk) * fc), emitted);
      emitted += chunk;
      await yieldToEventLoop();
      nextYield = kept + STREAM_YIELD_ROWS;
    } else if (kept >= nextYield) {
      await yieldToEventLoop();
      nextYield = kept + STREAM_YIELD_ROWS;
    }
    if (kept === cap) {
      cap *= 2;
      const f2 = new Float32Array(cap * fc);
      f2.set(features);
      features = f2;
      const l2 = new Int32Array(cap);
      l2.set(keptLines);
      keptLines = l2;
      const i2 = new Int32Array(cap);
      i2.set(labelIds);
      labelIds = i2;
    }
    if (!pending) {
      if (pos >= n) {
        if (whole || win.eof) break;
        nextWindow();
        continue;
      }
      // plain records (unquoted fields, plain numbers for the features, a label that is not missing) read
      // in place, as many as there is room for; they end at a CR or LF before safeEnd
      if (pos < safeEnd) {
        const got = readPlainRecords(plain, pos, line, features, labelIds, keptLines, kept, stream ? Math.min(cap, emitted + chunk, nextYield) : cap);
        if (got > 0) {
          kept += got;
          total += got;
          pos = plain.pos;
          line = plain.line;
          continue;
        }
      } else if (!whole && !win.eof) {
        // a record the window does not hold whole
        nextWindow();
        continue;
      }
      // anything else: this record through the scanner and the general cell rules
      if (!whole) toRest();
      sc.seek(pos, line);
      if (!sc.next()) break;
    }
    pending = false;
    pos = sc.position;
    line = sc.lineNumber;
    if (sc.count !== width) return undefined;
    total++;
    let rowMissing = false;
    const labelRaw = sc.text(labelIdx);
    if (isMissing(ctx, labelRaw)) {
      if (ctx.missingMode === 'error') return undefined;
      rowMissing = true;
      missingCols.set(labelIdx, (missingCols.get(labelIdx) ?? 0) + 1);
    }
    const off = kept * fc;
    const st = sc.starts;
    const en = sc.ends;
    for (let j = 0; j < fc; j++) {
      const col = featIdx[j];
      const end = en[col];
      let x = end === -1 ? NaN : parseCsvNumber(bytes, st[col], end);
      if (x !== x) {
        const v = sc.text(col);
        if (isMissing(ctx, v)) {
          if (ctx.missingMode === 'error') return undefined;
          rowMissing = true;
          missingCols.set(col, (missingCols.get(col) ?? 0) + 1);
          continue;
        }
        const y = toNumber(v);
        if (y === undefined) return undefined;
        x = y;
      }
      if (!rowMissing) features[off + j] = x;
    }
    if (rowMissing) {
      dropped++;
      continue;
    }
    labelIds[kept] = interner.ofText(labelRaw);
    keptLines[kept++] = sc.recordLine;
  }
  if (sc.failed || total === 0) return undefined;
  if (stream && kept > emitted) stream.rows(features.subarray(emitted * fc, kept * fc), emitted);
  const colName = (i: number): string => (header ? q(columns[i]) : `${i}`);
  if (dropped > 0) {
    const cols = [...missingCols.entries()].map(([i, k]) => `${colName(i)} ×${k}`).join(', ');
    ctx.warnings.push(`dropped ${dropped} of ${total} rows of ${ctx.base} with missing values (${cols})`);
  }
  return {
    // a view when little of the buffer is left over (no copy), else a copy
    features: kept * fc === features.length ? features : kept * fc >= features.length * 0.8 ? features.subarray(0, kept * fc) : features.slice(0, kept * fc),
    rowCount: kept,
    featureNames: featIdx.map((i) => columns[i]),
    labels: { ids: labelIds.subarray(0, kept), values: interner.values },
    labelName: columns[labelIdx],
    where: (k) => `line ${keptLines[k]}`,
    totalRows: total,
    dropped,
  };
}

/** NPZ: the array names taken as the features and the labels when the spec names none (in this order) */
export const NPZ_DEFAULTS = { features: ['x', 'X', 'features', 'arr_0'], labels: ['y', 'Y', 'labels', 'arr_1'] } as const;

function pickArray(ctx: Ctx, names: string[], given: string | undefined, role: 'features' | 'labels'): string | undefined {
  if (given !== undefined) {
    if (!names.includes(given)) {
      throw new DatasetError(
        'UNKNOWN_COLUMN',
        ctx.file,
        `${ctx.base} has no array '${given}' (named as the ${role === 'features' ? 'feature' : 'label'} array); it holds ${names.map((n) => `'${n}'`).join(', ') || 'no arrays'}`,
        undefined,
        { kind: 'npzArray', role, names },
      );
    }
    return given;
  }
  return NPZ_DEFAULTS[role].find((d) => names.includes(d));
}

function fromNpz(ctx: Ctx, bytes: Buffer): RawData {
  let { spec } = ctx;
  const archive = readNpz(bytes, ctx.base);
  const list = archive.names.map((n) => `'${n}'`).join(', ') || 'no arrays';
  // the feature array: spec.npz.x, else one feature "column" that names an array, else a default name
  const featuresIsArray = spec.npz?.x === undefined && spec.features?.length === 1 && typeof spec.features[0] === 'string' && archive.has(spec.features[0]);
  const xName = pickArray(ctx, archive.names, spec.npz?.x ?? (featuresIsArray ? (spec.features![0] as string) : undefined), 'features');
  if (!xName) {
    // one feature "column" that is a name, not an index: meant as the feature array
    const named = spec.features?.length === 1 && typeof spec.features[0] === 'string' && !isIndexText(spec.features[0]) ? spec.features[0] : undefined;
    throw new DatasetError(
      'UNKNOWN_COLUMN',
      ctx.file,
      named !== undefined
        ? `${ctx.base} has no array '${named}'; it holds ${list}: name the array that holds the features`
        : `${ctx.base} has no feature array named x, X, features or arr_0; it holds ${list}: name the array that holds the features`,
      undefined,
      { kind: 'npzArray', role: 'features', names: archive.names },
    );
  }
  if (featuresIsArray) ctx.spec = spec = { ...spec, features: undefined }; // the array, not its columns
  // the label array: spec.npz.y, else a labelColumn that names an array, else a default name
  const labelIsArray = typeof spec.labelColumn === 'string' && archive.has(spec.labelColumn) && spec.labelColumn !== xName;
  const yName = pickArray(ctx, archive.names, spec.npz?.y ?? (labelIsArray ? (spec.labelColumn as string) : undefined), 'labels');
  const x = archive.get(xName);
  if (!yName || (spec.npz?.y === undefined && !labelIsArray && spec.labelColumn !== undefined)) {
    // no label array: the label is a column of a 2-D x
    if (spec.labelColumn === undefined) {
      throw new DatasetError(
        'UNKNOWN_COLUMN',
        ctx.file,
        `${ctx.base} has no label array named y, Y, labels or arr_1; it holds ${list}: name the array that holds the labels, or a label column inside '${xName}'`,
        undefined,
        { kind: 'npzArray', role: 'labels', names: archive.names },
      );
    }
    // the columns of an array have no names: a label named is an array that is not there
    if (typeof spec.labelColumn === 'string' && !isIndexText(spec.labelColumn)) {
      throw new DatasetError(
        'UNKNOWN_COLUMN',
        ctx.file,
        `${ctx.base} has no array '${spec.labelColumn}' to take as the labels; it holds ${list}: name the array that holds the labels, or the index of a label column inside '${xName}', -1 for the last`,
        undefined,
        { kind: 'npzArray', role: 'labels', names: archive.names },
      );
    }
    return fromTable(ctx, npyTable(x, `${ctx.base}:${xName}`));
  }
  const y = archive.get(yName);
  if (x.shape.length < 1) throw new DatasetError('BAD_SPEC', ctx.file, `array '${xName}' of ${ctx.base} is a scalar; it must hold one sample per row`);
  const n = x.shape[0];
  if (y.shape.length === 0 || y.shape[0] !== n) {
    throw new DatasetError(
      'RAGGED',
      ctx.file,
      `${ctx.base}: '${xName}' has ${n} rows (shape (${x.shape.join(', ')})) but '${yName}' has shape (${y.shape.join(', ')}); they must have the same first dimension`,
    );
  }
  if (n === 0) throw new DatasetError('EMPTY', ctx.file, `${ctx.base}: '${xName}' has no rows`);
  const sample = x.shape.slice(1);
  const width = sample.reduce((a, b) => a * b, 1);
  let cols: number[] | undefined;
  let featureNames: string[];
  if (spec.features !== undefined) {
    if (x.shape.length !== 2) {
      throw new DatasetError('BAD_SPEC', ctx.file, `feature columns were chosen, but '${xName}' of ${ctx.base} has shape (${x.shape.join(', ')}), not rows × columns`);
    }
    const t: Table = { columns: Array.from({ length: width }, (_, k) => String(k)), hasHeader: false, rowCount: n, get: () => undefined, where: (r) => `row ${r}` };
    cols = spec.features.map((f) => resolveColumn(ctx, t, f, 'the feature column'));
    featureNames = cols.map((c) => `${xName}[${c}]`);
  } else {
    featureNames = Array.from({ length: width }, (_, k) => `${xName}[${k}]`);
  }
  const fc = cols ? cols.length : width;
  if (fc === 0) throw new DatasetError('EMPTY', ctx.file, `${ctx.base}: '${xName}' has no features per row (shape (${x.shape.join(', ')}))`);

  // labels: [n], [n, 1], or one-hot [n, k]
  const yWidth = y.shape.slice(1).reduce((a, b) => a * b, 1);
  let yValue: (r: number) => number;
  if (yWidth === 1) {
    yValue = (r) => y.data[r];
  } else if (spec.task !== 'regression' && y.shape.length === 2) {
    yValue = (r) => oneHotIndex(y, r, yWidth);
    ctx.warnings.push(`'${yName}' of ${ctx.base} has shape (${y.shape.join(', ')}): read as one-hot labels (argmax)`);
  } else {
    throw new DatasetError(
      'BAD_SPEC',
      ctx.file,
      `'${yName}' of ${ctx.base} has shape (${y.shape.join(', ')}); labels must be one value per row (shape (${n},) or (${n}, 1))${spec.task !== 'regression' ? ' or one-hot (n, classes)' : ''}`,
    );
  }
  if (x.dtype === 'int64' || x.dtype === 'uint64') {
    ctx.warnings.push(`'${xName}' of ${ctx.base} is ${x.dtype}; values are converted to float32`);
  }

  const features = new Float32Array(n * fc);
  const labels: unknown[] = [];
  const kept: number[] = [];
  let dropped = 0;
  for (let r = 0; r < n; r++) {
    const lv = yValue(r);
    let bad = Number.isNaN(lv);
    const off = kept.length * fc;
    const rowOff = r * width;
    for (let j = 0; j < fc && !bad; j++) {
      const v = x.data[rowOff + (cols ? cols[j] : j)];
      if (Number.isNaN(v)) bad = true;
      else features[off + j] = v;
    }
    if (bad) {
      if (ctx.missingMode === 'error') {
        throw new DatasetError('MISSING_VALUE', ctx.file, `${ctx.base} row ${r}: NaN in '${Number.isNaN(lv) ? yName : xName}'; use missing: 'drop' to skip such rows`);
      }
      dropped++;
      continue;
    }
    labels.push(lv);
    kept.push(r);
  }
  if (dropped > 0) ctx.warnings.push(`dropped ${dropped} of ${n} rows of ${ctx.base} with NaN values`);
  return {
    features: features.slice(0, kept.length * fc),
    rowCount: kept.length,
    featureNames,
    labels,
    labelName: yName,
    where: (k) => `row ${kept[k]}`,
    totalRows: n,
    dropped,
    sampleShape: cols ? undefined : sample.length ? sample : [1],
  };
}

function oneHotIndex(y: NpyArray, r: number, k: number): number {
  let best = -1;
  let bestV = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = y.data[r * k + j];
    if (Number.isNaN(v)) return NaN;
    if (v > bestV) {
      bestV = v;
      best = j;
    }
  }
  return best;
}

function labelKey(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') {
    const s = v.trim();
    return NUMERIC.test(s) ? String(Number(s)) : s;
  }
  return undefined;
}

function finish(ctx: Ctx, format: DatasetFormat, sha256: string, raw: RawData): Dataset {
  const { spec } = ctx;
  if (raw.rowCount === 0) {
    throw new DatasetError(
      'EMPTY',
      ctx.file,
      `no rows of ${ctx.base} are left: all ${raw.totalRows} have a missing value in the label or a chosen feature; choose other feature columns`,
    );
  }
  const fc = raw.featureNames.length;
  let labels: Int32Array | Float32Array;
  let classNames: string[] | undefined;
  let classCounts: number[] | undefined;

  const compact = Array.isArray(raw.labels) ? undefined : raw.labels;
  const rawLabel = (k: number): unknown => (compact ? compact.values[compact.ids[k]] : (raw.labels as unknown[])[k]);
  if (spec.task === 'regression') {
    labels = new Float32Array(raw.rowCount);
    // compact labels: each distinct text converted once
    const numbers = compact?.values.map(toNumber);
    for (let k = 0; k < raw.rowCount; k++) {
      const v = numbers ? numbers[compact!.ids[k]] : toNumber(rawLabel(k));
      if (v === undefined) {
        throw new DatasetError(
          'NON_NUMERIC',
          ctx.file,
          `${ctx.base} ${raw.where(k)}: the label (column ${q(raw.labelName)}) holds ${showValue(rawLabel(k))}, which is not a number; a regression task needs numeric labels (or use task 'binary'/'multiclass')`,
        );
      }
      labels[k] = v;
    }
    if (spec.classNames) ctx.warnings.push(`classNames is ignored for a regression task`);
  } else {
    // the class key of each row (labelKey), the distinct keys in the order rows first show them, and a
    // way to set each row's class from its key
    let distinct: string[];
    let assign: (classOf: (key: string) => number) => void;
    if (compact) {
      // each distinct text's key once; rows by their text's index
      const keyOfId = compact.values.map(labelKey);
      const ids = compact.ids;
      const seen = new Uint8Array(keyOfId.length);
      const set = new Set<string>();
      for (let k = 0; k < raw.rowCount; k++) {
        const id = ids[k];
        if (seen[id]) continue;
        seen[id] = 1;
        const key = keyOfId[id];
        if (key === undefined) {
          throw new DatasetError(
            'NON_NUMERIC',
            ctx.file,
            `${ctx.base} ${raw.where(k)}: the label (column ${q(raw.labelName)}) holds ${showValue(rawLabel(k))}; a class label must be a string, a number or a boolean`,
          );
        }
        set.add(key);
      }
      distinct = [...set];
      assign = (classOf) => {
        const cls = keyOfId.map((key, id) => (seen[id] ? classOf(key!) : -1));
        for (let k = 0; k < raw.rowCount; k++) labels[k] = cls[ids[k]];
      };
    } else {
      const keys: string[] = new Array(raw.rowCount);
      // labelKey of each distinct raw string once (a dataset has few distinct labels)
      const memo = new Map<string, string | undefined>();
      for (let k = 0; k < raw.rowCount; k++) {
        const lv = rawLabel(k);
        let key: string | undefined;
        if (typeof lv === 'string') {
          key = memo.get(lv);
          if (key === undefined && !memo.has(lv)) memo.set(lv, (key = labelKey(lv)));
        } else key = labelKey(lv);
        if (key === undefined) {
          throw new DatasetError(
            'NON_NUMERIC',
            ctx.file,
            `${ctx.base} ${raw.where(k)}: the label (column ${q(raw.labelName)}) holds ${showValue(lv)}; a class label must be a string, a number or a boolean`,
          );
        }
        keys[k] = key;
      }
      distinct = [...new Set(keys)];
      assign = (classOf) => {
        for (let k = 0; k < raw.rowCount; k++) labels[k] = classOf(keys[k]);
      };
    }
    labels = new Int32Array(raw.rowCount);
    if (spec.classNames) {
      if (!Array.isArray(spec.classNames) || spec.classNames.length === 0) {
        throw new DatasetError('BAD_SPEC', ctx.file, `spec.classNames for ${ctx.base} must be a non-empty list of names`);
      }
      classNames = spec.classNames.map(String);
      const index = new Map<string, number>();
      classNames.forEach((c, i) => {
        index.set(c, i);
        const k = labelKey(c);
        if (k !== undefined && !index.has(k)) index.set(k, i);
      });
      const unknown = distinct.filter((d) => !index.has(d));
      if (unknown.length > 0) {
        const asIndex = distinct.every((d) => /^\d+$/.test(d) && Number(d) < classNames!.length);
        if (!asIndex) {
          throw new DatasetError(
            'UNKNOWN_LABEL',
            ctx.file,
            `${ctx.base} has labels that are not in classNames [${classNames.map(q).join(', ')}]: ` +
              `${unknown.slice(0, 10).map(q).join(', ')}${unknown.length > 10 ? ', …' : ''}; add them to classNames or leave classNames out`,
          );
        }
        assign((key) => Number(key));
        ctx.warnings.push(`labels of ${ctx.base} are read as class indices into classNames`);
      } else {
        assign((key) => index.get(key)!);
      }
    } else {
      const allNumeric = distinct.every((d) => NUMERIC.test(d));
      classNames = allNumeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const index = new Map(classNames.map((c, i) => [c, i] as const));
      assign((key) => index.get(key)!);
    }
    if (spec.task === 'binary' && classNames.length !== 2) {
      throw new DatasetError(
        'BAD_SPEC',
        ctx.file,
        `task 'binary' needs 2 classes but the label ${q(raw.labelName)} of ${ctx.base} has ${classNames.length}: ${classNames.slice(0, 10).map(q).join(', ')}` +
          (classNames.length > 2 ? `; use task 'multiclass'` : `; give both names with spec.classNames`),
      );
    }
    classCounts = new Array<number>(classNames.length).fill(0);
    for (let k = 0; k < raw.rowCount; k++) classCounts[labels[k]]++;
    if (classNames.length < 2) ctx.warnings.push(`the label ${q(raw.labelName)} of ${ctx.base} has a single class ${q(classNames[0] ?? '')}`);
    const absent = classNames.filter((_, i) => classCounts![i] === 0);
    if (absent.length > 0) ctx.warnings.push(`classes with no rows in ${ctx.base}: ${absent.map(q).join(', ')}`);
  }

  let rowShape: number[];
  let rowShapeFromSpec = false;
  if (spec.inputShape !== undefined) {
    const s = spec.inputShape;
    if (!Array.isArray(s) || s.length === 0 || !s.every((d) => Number.isInteger(d) && d > 0)) {
      throw new DatasetError('BAD_INPUT_SHAPE', ctx.file, `the input shape ${JSON.stringify(s)} must be a non-empty list of positive integers (one row's shape without the batch dimension)`);
    }
    const p = s.reduce((a, b) => a * b, 1);
    if (p !== fc) {
      throw new DatasetError(
        'BAD_INPUT_SHAPE',
        ctx.file,
        `the input shape [${s.join(',')}] holds ${p} values but each row of ${ctx.base} has ${fc} features; the product of its dimensions must equal the feature count`,
      );
    }
    rowShape = [...s];
    rowShapeFromSpec = true;
  } else {
    rowShape = raw.sampleShape ?? [fc];
  }

  return {
    file: ctx.file,
    format,
    task: spec.task,
    features: raw.features,
    rowCount: raw.rowCount,
    featureCount: fc,
    featureNames: raw.featureNames,
    rowShape,
    rowShapeFromSpec,
    labels,
    labelName: raw.labelName,
    classNames,
    classCounts,
    dropped: raw.dropped,
    totalRows: raw.totalRows,
    sha256,
    warnings: ctx.warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Batching

export interface Batch {
  /** values of this batch, row-major, length = product of dims */
  data: Float32Array;
  /** the tensor's dims, batch dimension first when the model has one */
  dims: number[];
  /** index of the batch's first dataset row */
  start: number;
  /** dataset rows in this batch (less than dims[0] only for a fixed-size batch padded with zeros) */
  count: number;
  /** labels of those rows */
  labels: Int32Array | Float32Array;
}

export interface BatchPlan {
  /** dims of one row as the model takes them (without the batch dimension) */
  rowDims: number[];
  /** false when the model input has no batch dimension: one row per tensor, dims = rowDims */
  batchAxis: boolean;
  /** rows per tensor */
  batchSize: number;
  /** the model's first dim is a fixed number: every tensor has exactly that many rows (the last padded) */
  fixedBatch: boolean;
  notes: string[];
}

const isFree = (d: Dim): boolean => d === null || typeof d === 'string' || (typeof d === 'number' && d < 0);
const prod = (a: number[]): number => a.reduce((x, y) => x * y, 1);

/** 'float32[batch,10]' */
export function formatInputShape(info: ValueInfo): string {
  const dims = info.shape === null ? '…' : info.shape.map((d) => (d === null ? '?' : String(d))).join(',');
  return `${info.dtype}[${dims}]`;
}

/** model dims (without batch) against a row's shape; the resolved dims, or undefined when they do not fit */
function matchDims(model: Dim[], row: number[], allowReshape: boolean, notes: string[]): number[] | undefined {
  if (model.length === row.length) {
    const out: number[] = [];
    for (let i = 0; i < model.length; i++) {
      const d = model[i];
      if (isFree(d)) out.push(row[i]);
      else if (d === row[i]) out.push(d as number);
      else return undefined;
    }
    return out;
  }
  // leading 1s on either side do not change the layout: a row [1,24,96] fits [24,96] and the reverse
  let mLead = 0;
  while (mLead < model.length && model[mLead] === 1) mLead++;
  let rLead = 0;
  while (rLead < row.length && row[rLead] === 1) rLead++;
  if ((mLead > 0 || rLead > 0) && model.length - mLead === row.length - rLead) {
    const out: number[] = new Array<number>(mLead).fill(1);
    let ok = true;
    for (let i = 0; i < row.length - rLead && ok; i++) {
      const d = model[mLead + i];
      const r = row[rLead + i];
      if (isFree(d) || d === r) out.push(r);
      else ok = false;
    }
    if (ok) {
      notes.push(`each row of [${row.join(',')}] is fed as [${out.join(',')}] (the same values; only unit dimensions differ)`);
      return out;
    }
  }
  if (allowReshape && model.every((d) => !isFree(d)) && prod(model as number[]) === prod(row)) {
    notes.push(`each row of [${row.join(',')}] is reshaped to [${model.join(',')}] (row-major)`);
    return model as number[];
  }
  return undefined;
}

/** How `dataset` rows feed `input`; throws DatasetError SHAPE_MISMATCH naming both shapes when they cannot. */
export function planBatches(dataset: Dataset, input: ValueInfo, batchSize: number): BatchPlan {
  const base = path.basename(dataset.file);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DatasetError('BAD_SPEC', dataset.file, `batch size must be a positive integer, not ${batchSize}`);
  }
  if (input.dtype === 'string') {
    throw new DatasetError(
      'SHAPE_MISMATCH',
      dataset.file,
      `the model's input '${input.name}' takes ${formatInputShape(input)} (strings) but ${base} gives numeric rows; this input cannot be fed from a numeric dataset`,
    );
  }
  const notes: string[] = [];
  const row = dataset.rowShape;
  const allowReshape = !dataset.rowShapeFromSpec;
  const shape = input.shape;
  if (shape === null) {
    notes.push(`the model gives no shape for input '${input.name}'; feeding [batch,${row.join(',')}]`);
    return { rowDims: [...row], batchAxis: true, batchSize, fixedBatch: false, notes };
  }
  if (shape.length >= 1) {
    const first = shape[0];
    const inner = matchDims(shape.slice(1), row, allowReshape, notes);
    if (inner) {
      if (isFree(first)) return { rowDims: inner, batchAxis: true, batchSize, fixedBatch: false, notes };
      const k = first as number;
      if (k > 0) {
        if (k !== batchSize) notes.push(`the model's input '${input.name}' has a fixed batch of ${k}: batches of ${k} rows${k > 1 ? ' (the last one padded with zeros)' : ''}`);
        return { rowDims: inner, batchAxis: true, batchSize: k, fixedBatch: true, notes };
      }
    }
  }
  // no batch dimension: the whole input is one row. Not when its first dimension is free: that is the
  // batch (a row shape [2,2,1] given for [batch,h,w] would otherwise feed one row as a batch of 2)
  const whole = shape.length >= 1 && isFree(shape[0]) ? undefined : matchDims(shape, row, allowReshape, notes);
  if (whole) {
    notes.push(`the model's input '${input.name}' has no batch dimension: one row per run`);
    return { rowDims: whole, batchAxis: false, batchSize: 1, fixedBatch: false, notes };
  }
  const { message, fix } = mismatchMessage(dataset, input);
  throw new DatasetError('SHAPE_MISMATCH', dataset.file, message, undefined, fix);
}

function mismatchMessage(dataset: Dataset, input: ValueInfo): { message: string; fix: DatasetFix } {
  const base = path.basename(dataset.file);
  const fc = dataset.featureCount;
  const row = dataset.rowShape;
  let fix: DatasetFix = { kind: 'features' };
  // an NPZ's rows come from one array: name it (its features are named array[k])
  const array = dataset.format === 'npz' ? /^(.*)\[\d+\]$/.exec(dataset.featureNames[0] ?? '')?.[1] : undefined;
  let msg = `the model's input '${input.name}' takes ${formatInputShape(input)} but each row of ${array !== undefined ? `the feature array '${array}' of ${base}` : base} has ${fc} feature${fc === 1 ? '' : 's'}`;
  if (dataset.rowShapeFromSpec) msg += ` shaped [${row.join(',')}] by the input shape given`;
  else if (row.length > 1) msg += ` (shape [${row.join(',')}])`;
  msg += '. ';
  const shape = input.shape ?? [];
  const inner = shape.slice(1);
  const fixedInner = inner.every((d) => !isFree(d));
  if (shape.length >= 1 && fixedInner) {
    const need = prod(inner as number[]);
    if (need === fc) {
      fix = { kind: 'rowShape' };
      msg += `The counts agree, so give the input shape [${inner.join(',')}]${dataset.rowShapeFromSpec ? ' (or none)' : ''}.`;
    } else {
      msg +=
        array !== undefined
          ? `The model needs ${need} value${need === 1 ? '' : 's'} per row: choose the array that holds them, or check that this is the data the model was trained on.`
          : `The model needs ${need} value${need === 1 ? '' : 's'} per row: choose ${need} feature columns (the label is not a feature), or check that this is the data the model was trained on.`;
    }
  } else {
    fix = { kind: 'rowShape' };
    msg += `Choose the feature columns the model takes and give the input shape, how one row maps onto [${inner.map((d) => (d === null ? '?' : String(d))).join(',')}], or check that this is the data the model was trained on.`;
  }
  return { message: msg, fix };
}

/**
 * Cuts the dataset into tensors for `input` (the model's input). Checks the shapes when called (not on
 * the first `next()`), so a mismatch throws here.
 */
export function batchesFor(dataset: Dataset, input: ValueInfo, batchSize: number): IterableIterator<Batch> {
  const plan = planBatches(dataset, input, batchSize);
  return iterate(dataset, plan);
}

function* iterate(dataset: Dataset, plan: BatchPlan): IterableIterator<Batch> {
  const fc = dataset.featureCount;
  const step = plan.batchSize;
  for (let start = 0; start < dataset.rowCount; start += step) {
    const count = Math.min(step, dataset.rowCount - start);
    const rows = plan.fixedBatch ? step : count;
    const data = new Float32Array(rows * fc);
    data.set(dataset.features.subarray(start * fc, (start + count) * fc));
    yield {
      data,
      dims: plan.batchAxis ? [rows, ...plan.rowDims] : [...plan.rowDims],
      start,
      count,
      labels: dataset.labels.slice(start, start + count),
    };
  }
}


/** A dataset spec whose task may be left out: it is then inferred from the labels. */
export type DatasetSpecInput = Omit<DatasetSpec, 'task'> & { task?: DatasetTask };

/**
 * Loads a dataset; without a task, infers it from the labels: two classes → binary; numeric labels with
 * fractions → regression; anything else → multiclass.
 */
export async function loadDatasetInferringTask(spec: DatasetSpecInput, opts: LoadOptions = {}): Promise<Dataset> {
  if (spec.task) return loadDataset({ ...spec, task: spec.task }, opts);
  const r = await readDataset({ ...spec, task: 'multiclass' }, opts);
  const read = { ...r.ctx, warnings: [...r.ctx.warnings] };
  const ds = finish(r.ctx, r.format, r.sha256, r.raw);
  const names = ds.classNames ?? [];
  const numeric = names.every((n) => n.trim() !== '' && Number.isFinite(Number(n)));
  if (numeric && names.some((n) => !Number.isInteger(Number(n)))) {
    // CSV/TSV rows do not depend on the task: the same rows, labels read as numbers; other formats are
    // read again (NPZ labels do)
    if (r.format === 'csv' || r.format === 'tsv') return finish({ ...read, spec: { ...spec, task: 'regression' } }, r.format, r.sha256, r.raw);
    return loadDataset({ ...spec, task: 'regression' }, { ...opts, rowStream: undefined });
  }
  if (names.length === 2) return { ...ds, task: 'binary' };
  return ds;
}
