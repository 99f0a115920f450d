/**
 * Parquet prediction logs, outcomes logs and reference data (docs/production.md, "Parquet").
 *
 * Read with hyparquet (pure JavaScript, MIT, no native code), loaded on first use by a dynamic
 * `import()` (the package is ESM only; esbuild.js keeps it external like h5wasm). The file is read one
 * row group at a time: the footer first, then per row group the column chunks the reader needs,
 * decoded column by column; the rows are handed on one by one and the row group's columns are
 * dropped before the next is read. Memory is one row group's decoded columns, whatever the file's size.
 *
 * Columns map to the schema as CSV columns do: the schema's names (or names mapped with `--map`),
 * `features.<name>` and any other plain column → a feature, a `features` STRUCT or MAP column → the
 * features object, `outcome.<name>` columns or an `outcome` STRUCT → named outcomes.
 * Timestamps: TIMESTAMP (millis, micros, nanos; INT96 as hyparquet converts it), DATE, INT64/INT32
 * epoch milliseconds, or ISO 8601 text. A TIMESTAMP without time zone (isAdjustedToUTC = false) is
 * read as UTC.
 * Compression: uncompressed and snappy in hyparquet itself; gzip and brotli through node:zlib; zstd
 * through node:zlib where Node has it (22.15+) and otherwise, with lz4, through hyparquet-compressors
 * (loaded only for a file that needs it).
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { EVENT_FIELDS, EventLogError, toEvent, type EventField, type PredictionEvent, type ReadOptions } from './events';

// ---------------------------------------------------------------------------------------------
// the parts of hyparquet's API this reader uses (typed here: the package ships its own types, but
// the import is by name at run time so that the core builds without the package's types)

interface AsyncBuffer {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}
interface SchemaElement {
  name: string;
  type?: string;
  converted_type?: string;
  logical_type?: { type: string };
  repetition_type?: string;
  num_children?: number;
}
interface SchemaTree {
  element: SchemaElement;
  children: SchemaTree[];
}
interface FileMetaData {
  num_rows: bigint | number;
  row_groups: { num_rows: bigint | number; columns: { meta_data?: { codec: string; path_in_schema: string[] } }[] }[];
}
type Decompressor = (input: Uint8Array, outputLength: number) => Uint8Array;
interface ParquetScan {
  readColumn(o: { column: string; rowStart: number; rowEnd: number }): Promise<ArrayLike<unknown>>;
}
interface Hyparquet {
  asyncBufferFromFile(file: string): Promise<AsyncBuffer>;
  parquetMetadataAsync(file: AsyncBuffer): Promise<FileMetaData>;
  parquetSchema(md: FileMetaData): SchemaTree;
  parquetScan(o: { file: AsyncBuffer; metadata: FileMetaData; columns?: string[]; compressors?: Record<string, Decompressor>; parsers?: Record<string, (v: never) => unknown> }): Promise<ParquetScan>;
}

/** The npm packages, by name (a variable: the bundler leaves the import to run time). */
const HYPARQUET = 'hyparquet';
const COMPRESSORS = 'hyparquet-compressors';

let loading: Promise<Hyparquet> | undefined;

function loadHyparquet(file: string): Promise<Hyparquet> {
  loading ??= (import(HYPARQUET) as Promise<Hyparquet>).catch((e: Error) => {
    loading = undefined;
    throw new EventLogError(`reading Parquet needs the package hyparquet, which did not load (${e.message}); reinstall the extension, or convert the log to JSON Lines`, file);
  });
  return loading;
}

/** Decompressors for the codecs hyparquet does not decode itself (it has snappy). */
async function compressorsFor(codecs: Set<string>, file: string): Promise<Record<string, Decompressor>> {
  const out: Record<string, Decompressor> = {
    GZIP: (input) => zlib.gunzipSync(input),
    BROTLI: (input) => zlib.brotliDecompressSync(input),
  };
  const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
  if (zstd) out.ZSTD = (input) => zstd(input);
  if ((codecs.has('ZSTD') && !zstd) || codecs.has('LZ4') || codecs.has('LZ4_RAW')) {
    try {
      const m = (await import(COMPRESSORS)) as { compressors: Record<string, Decompressor> };
      for (const c of ['ZSTD', 'LZ4', 'LZ4_RAW']) if (!out[c] && m.compressors[c]) out[c] = m.compressors[c];
    } catch (e) {
      throw new EventLogError(`the file is compressed with ${[...codecs].filter((c) => c !== 'SNAPPY' && c !== 'UNCOMPRESSED').join(', ')}, which needs the package hyparquet-compressors (${(e as Error).message}); write the file with snappy or gzip compression, or convert it to JSON Lines`, file);
    }
  }
  return out;
}

/** Codecs read (hyparquet's own and those of compressorsFor). */
const CODECS = new Set(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD', 'LZ4', 'LZ4_RAW']);

// timestamps as epoch milliseconds (numbers), dates as the midnight's epoch milliseconds
const PARSERS = {
  timestampFromMilliseconds: (v: bigint) => (typeof v === 'bigint' ? Number(v) : undefined),
  timestampFromMicroseconds: (v: bigint) => (typeof v === 'bigint' ? Number(v / 1000n) + Number(v % 1000n) / 1000 : undefined),
  timestampFromNanoseconds: (v: bigint) => (typeof v === 'bigint' ? Number(v / 1000000n) + Number(v % 1000000n) / 1e6 : undefined),
  dateFromDays: (v: number) => (typeof v === 'number' ? v * 86400000 : undefined),
};

/** The file's first and last four bytes say it is a whole, unencrypted Parquet file; else a clear error. */
function checkMagic(file: string): void {
  if (!fs.existsSync(file)) throw new EventLogError('no such file', file);
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(4);
  const tail = Buffer.alloc(4);
  try {
    fs.readSync(fd, head, 0, 4, 0);
    if (size >= 12) fs.readSync(fd, tail, 0, 4, size - 4);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') !== 'PAR1') throw new EventLogError(`not a Parquet file (it does not start with the bytes PAR1); give a JSON Lines or CSV log with --format jsonl|csv, or the Parquet file itself`, file);
  if (tail.toString('latin1') === 'PARE') throw new EventLogError('the Parquet file is encrypted (footer PARE), which is not read: write it without encryption', file);
  if (tail.toString('latin1') !== 'PAR1') throw new EventLogError(`the Parquet file ends without its footer (${size} bytes, no PAR1 at the end): it is cut short or still being written; a Parquet file can be read only once its writer has closed it`, file);
}

type Kind = 'value' | 'struct' | 'map' | 'list';

function kindOf(t: SchemaTree): Kind {
  const e = t.element;
  const lt = e.logical_type?.type;
  if (e.converted_type === 'LIST' || lt === 'LIST' || e.repetition_type === 'REPEATED') return 'list';
  if (e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE' || lt === 'MAP') return 'map';
  return t.children.length ? 'struct' : 'value';
}

const typeName = (t: SchemaTree) => {
  const k = kindOf(t);
  if (k !== 'value') return k;
  const e = t.element;
  return [e.type, e.logical_type?.type ?? e.converted_type].filter(Boolean).join(' ');
};

/** One decoded value as a record value: bigint → number (text for request_id), Date → epoch ms, struct → object. */
function plain(v: unknown, column: string, asText = false): unknown {
  if (v === null || v === undefined) return undefined;
  switch (typeof v) {
    case 'bigint':
      return asText ? v.toString() : Number(v);
    case 'number':
    case 'string':
    case 'boolean':
      return v;
    case 'object':
      if (v instanceof Date) return v.getTime();
      if (v instanceof Uint8Array) throw new Error(`column '${column}' holds binary values (BYTE_ARRAY without a UTF8/STRING type); write it as text`);
      if (Array.isArray(v)) throw new Error(`column '${column}' holds lists; a feature is a number or text: write the log without it (e.g. SELECT * EXCLUDE (${column}))`);
      {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          const p = plain(x, `${column}.${k}`);
          if (p !== undefined) o[k] = p;
        }
        return o;
      }
    default:
      return undefined;
  }
}

export interface ParquetReadOptions {
  /** the file's column name → the schema's field (`--map`) */
  mapping?: Readonly<Record<string, EventField>>;
  /** schema fields that must be columns (after mapping); the error names the columns there are */
  require?: readonly EventField[];
  /** read only these schema fields (and named outcomes); default: every column */
  only?: readonly EventField[];
  /** rows as they are (column → value, structs as objects), not shaped into the schema */
  raw?: boolean;
}

interface Column {
  name: string;
  /** the schema field, or a feature / a named outcome */
  role: { field: EventField } | { feature: string } | { outcome: string } | { raw: string };
  kind: Kind;
}

/**
 * Reads the rows of a Parquet file one row group at a time and hands each to `onRow` as a record
 * shaped like a JSON Lines record of the schema (schema fields, a `features` object, named outcomes
 * as an `outcome` object), or as it is with `raw`. `row` counts from 1 over the file, `group` from 1.
 * Returns the number of rows. Errors name the column, the row group and what to do.
 */
export async function forEachParquetRow(file: string, opts: ParquetReadOptions, onRow: (rec: Record<string, unknown>, row: number, group: number) => void): Promise<number> {
  checkMagic(file);
  const hp = await loadHyparquet(file);
  const buffer = await hp.asyncBufferFromFile(file);
  let md: FileMetaData;
  try {
    md = await hp.parquetMetadataAsync(buffer);
  } catch (e) {
    throw new EventLogError(`the Parquet footer cannot be read (${(e as Error).message}); the file is damaged: write it again`, file);
  }
  const tree = hp.parquetSchema(md);
  const mapped = (n: string) => (opts.mapping && Object.prototype.hasOwnProperty.call(opts.mapping, n) ? opts.mapping[n] : n);
  const columns: Column[] = [];
  for (const c of tree.children) {
    const name = c.element.name;
    const kind = kindOf(c);
    if (opts.raw) {
      columns.push({ name, role: { raw: name.startsWith('features.') ? name.slice(9) : name }, kind });
      continue;
    }
    const to = mapped(name);
    if ((EVENT_FIELDS as readonly string[]).includes(to)) {
      const field = to as EventField;
      if (opts.only && !opts.only.includes(field)) continue;
      const nested = kind !== 'value';
      if (field === 'features' ? kind === 'list' || kind === 'value' : field === 'outcome' ? kind === 'list' || kind === 'map' : nested) {
        const want = field === 'features' ? 'a STRUCT or MAP of name → value' : field === 'outcome' ? 'a number, a boolean or a STRUCT of named outcomes' : 'a plain value (number, text or timestamp)';
        throw new EventLogError(`the column '${name}'${name !== field ? ` (mapped to '${field}')` : ''} is ${typeName(c)}: '${field}' must be ${want}; write the log with such a column, or map another one with --map COLUMN=${field}`, file);
      }
      columns.push({ name, role: { field }, kind });
    } else if (to.startsWith('outcome.')) {
      if (!opts.only || opts.only.includes('outcome')) columns.push({ name, role: { outcome: to.slice(8) }, kind });
    } else if (!opts.only || opts.only.includes('features')) {
      if (kind === 'list') throw new EventLogError(`the column '${name}' is a list: a feature is a number or text; write the log without it (e.g. SELECT * EXCLUDE (${name}))`, file);
      columns.push({ name, role: { feature: to.startsWith('features.') ? to.slice(9) : to }, kind });
    }
  }
  if (!opts.raw) {
    const have = new Set(columns.map((c) => ('field' in c.role ? c.role.field : 'outcome' in c.role ? 'outcome' : '')));
    for (const f of opts.require ?? []) {
      if (!have.has(f)) {
        throw new EventLogError(`the file has no '${f}' column (columns: ${tree.children.map((c) => c.element.name).join(', ')}); rename it or map it with --map COLUMN=${f}`, file);
      }
    }
  }
  // codecs: refuse what cannot be read before reading anything
  const codecs = new Set<string>();
  md.row_groups.forEach((g, gi) => {
    for (const cc of g.columns) {
      const codec = cc.meta_data?.codec;
      if (!codec) continue;
      if (!CODECS.has(codec)) {
        throw new EventLogError(`the column '${cc.meta_data!.path_in_schema.join('.')}' of row group ${gi + 1} is compressed with ${codec}, which is not read: write the file with snappy, gzip or zstd compression (e.g. DuckDB: COPY … TO 'log.parquet' (FORMAT parquet, COMPRESSION zstd))`, file);
      }
      codecs.add(codec);
    }
  });
  const compressors = await compressorsFor(codecs, file);
  const scan = await hp.parquetScan({ file: buffer, metadata: md, columns: columns.map((c) => c.name), compressors, parsers: PARSERS as unknown as Record<string, (v: never) => unknown> });

  let groupStart = 0;
  let rows = 0;
  for (let gi = 0; gi < md.row_groups.length; gi++) {
    const n = Number(md.row_groups[gi].num_rows);
    const data: ArrayLike<unknown>[] = [];
    for (const c of columns) {
      try {
        data.push(await scan.readColumn({ column: c.name, rowStart: groupStart, rowEnd: groupStart + n }));
      } catch (e) {
        throw new EventLogError(`the column '${c.name}' of row group ${gi + 1} (rows ${groupStart + 1}–${groupStart + n}) cannot be read: ${(e as Error).message}`, file);
      }
    }
    for (let i = 0; i < n; i++) {
      const row = groupStart + i + 1;
      const rec: Record<string, unknown> = {};
      let features: Record<string, unknown> | undefined;
      let outcomes: Record<string, unknown> | undefined;
      try {
        for (let ci = 0; ci < columns.length; ci++) {
          const c = columns[ci];
          const r = c.role;
          if ('raw' in r) {
            const v = plain(data[ci][i], c.name);
            if (v !== undefined) rec[r.raw] = v;
          } else if ('field' in r) {
            const v = plain(data[ci][i], c.name, r.field === 'request_id' || r.field === 'version' || r.field === 'model');
            if (v !== undefined) rec[r.field] = v;
          } else if ('outcome' in r) {
            (outcomes ??= {})[r.outcome] = plain(data[ci][i], c.name);
          } else {
            const v = plain(data[ci][i], c.name);
            if (v !== undefined && typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) (features ??= {})[`${r.feature}.${k}`] = x;
            else if (v !== undefined) (features ??= {})[r.feature] = v;
          }
        }
      } catch (e) {
        throw new EventLogError(`row ${row} (row group ${gi + 1}): ${(e as Error).message}`, file);
      }
      if (outcomes && rec.outcome === undefined) rec.outcome = outcomes;
      if (features) rec.features = rec.features && typeof rec.features === 'object' ? { ...(rec.features as object), ...features } : features;
      onRow(rec, row, gi + 1);
      rows++;
    }
    groupStart += n;
  }
  return rows;
}

/**
 * An error thrown for a record at `row` (an EventLogError saying "line N") said again with the row and
 * its row group; anything else as it is.
 */
export function atRow(err: unknown, file: string, row: number, group: number): unknown {
  if (err instanceof EventLogError && err.line === row && err.file === file) return new EventLogError(`row ${row} (row group ${group}): ${err.reason}`, file);
  return err;
}

/** readEvents for a Parquet log: each row checked as a JSON Lines record is; `line` is the row (from 1). */
export async function readParquetEvents(file: string, onEvent: (e: PredictionEvent, line: number) => void, opts: ReadOptions = {}): Promise<{ records: number }> {
  let records = 0;
  const require: EventField[] = ['timestamp', 'version', 'request_id', ...(opts.require ?? [])];
  await forEachParquetRow(file, { mapping: opts.mapping, require }, (rec, row, group) => {
    try {
      onEvent(toEvent(rec, file, row, opts), row);
    } catch (e) {
      throw atRow(e, file, row, group);
    }
    records++;
  });
  return { records };
}
