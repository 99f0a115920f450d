/**
 * The columns the evaluation commands offer as the label (Evaluate Version…, Compare Models…), read
 * before the label is asked for, without vscode (test/unit/datasetColumns.test.ts). A file that no
 * dataset reader would take is refused here, with what to do, instead of after the label question:
 * binary bytes named .csv (their "header" would be offered as columns), or a name and first bytes
 * that say no format (.txt, .xlsx, …).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DATASET_EXTENSIONS, firstBinaryByte, formatFromName, isFeatureCell, notTextError, readFileHead, TEXT_CHECK_BYTES } from '../../core/eval/dataset';
import { jsonlTable, jsonTable, parseCsvRecords } from '../../core/eval/datasetTable';
import { DatasetError } from '../../core/eval/datasetErrors';
import { isNpy, isZip, readNpz } from '../../core/eval/npy';

/** A column of a dataset file as the pickers show it. */
export interface ColumnInfo {
  name: string;
  /** a value in the file's first rows that is not a number (nor a missing marker): the column cannot be a feature */
  text?: string;
}

/** An array of an .npz file as the pickers show it. */
export interface NpzArrayInfo {
  name: string;
  /** from the array's .npy header; undefined when it cannot be read (the load then says why) */
  shape?: number[];
}

/** The arrays of an .npz file, in archive order, with their shapes (only their headers are inflated). */
export async function npzArrays(file: string, baseDir?: string): Promise<NpzArrayInfo[]> {
  const abs = path.resolve(baseDir ?? '.', file);
  const archive = readNpz(await fs.promises.readFile(abs), path.basename(abs));
  return archive.names.map((name) => ({ name, shape: archive.shape(name) }));
}

/** Parses "28,28,1" (or 28x28x1) into a shape; a message when it is not one, or does not hold `count` values. */
export function parseRowShape(text: string, count?: number): number[] | string {
  const t = text.trim();
  const dims = t === '' ? [] : t.split(/\s*[,x×]\s*|\s+/).map((d) => (d === '' ? NaN : Number(d)));
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 1)) return 'positive whole numbers separated by commas, e.g. 28,28,1';
  const p = dims.reduce((a, b) => a * b, 1);
  if (count !== undefined && p !== count) return `[${dims.join(',')}] holds ${p} values; each row has ${count} features`;
  return dims;
}

/** Rows of the file's head that are looked at for text columns. */
export const SAMPLE_ROWS = 200;

/**
 * The column names of a CSV/TSV file's header, or of a JSON/JSONL file's records ([] when they cannot
 * be listed: the label is then asked for as an index). Throws a DatasetError when the file is not one
 * the dataset reader takes.
 */
export async function datasetColumns(file: string, baseDir?: string): Promise<string[]> {
  return (await datasetColumnInfo(file, baseDir)).map((c) => c.name);
}

/**
 * datasetColumns with, for each column, whether its first rows (SAMPLE_ROWS, within the file's first
 * TEXT_CHECK_BYTES for CSV/TSV/JSONL) hold text that the loader would refuse as a feature value
 * (isFeatureCell): such columns are offered as the label but not checked as features.
 */
export async function datasetColumnInfo(file: string, baseDir?: string): Promise<ColumnInfo[]> {
  const abs = path.resolve(baseDir ?? '.', file);
  const name = path.basename(abs);
  // the format as the dataset reader takes it: from the name (formatFromName), else from the first bytes
  const format = formatFromName(abs);
  let head: Buffer;
  try {
    head = readFileHead(abs, TEXT_CHECK_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? 'NOT_FOUND' : 'READ_ERROR', abs, `cannot read ${name}: ${(e as Error).message}`);
  }
  // the head without a line the read may have cut
  const whole = head.length < TEXT_CHECK_BYTES;
  const headText = (): string => {
    const t = head.toString('utf8').replace(/^\uFEFF/, '');
    if (whole) return t;
    const cut = Math.max(t.lastIndexOf('\n'), t.lastIndexOf('\r'));
    return cut >= 0 ? t.slice(0, cut + 1) : t;
  };
  if (format === 'csv' || format === 'tsv') {
    const binary = notTextError(abs, format, head);
    if (binary) throw binary;
    const delimiter = format === 'csv' ? ',' : '\t';
    const lines = headText();
    let records: string[][] | undefined;
    try {
      records = parseCsvRecords(lines, delimiter, name).records;
    } catch {
      records = undefined; // e.g. a quoted cell the head cuts: the header line alone
    }
    if (!records?.length) return lines.split(/\r?\n/)[0].split(delimiter).map((c) => ({ name: c.trim().replace(/^"(.*)"$/, '$1') }));
    const cols: ColumnInfo[] = records[0].map((c) => ({ name: c.trim() }));
    const rows = records.slice(1, 1 + SAMPLE_ROWS).filter((r) => r.length === cols.length);
    return withText(cols, rows.length, (r, c) => rows[r][c]);
  }
  const text = head.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (format === 'json' || format === 'jsonl' || (format === undefined && (text.startsWith('[') || text.startsWith('{')))) {
    try {
      const jsonl = format === 'jsonl' || (format === undefined && text.startsWith('{'));
      // JSON Lines: the head's lines; a JSON array: the whole file (it parses only whole)
      const table = jsonl ? jsonlTable(headText(), name) : jsonTable(fs.readFileSync(abs, 'utf8'), name);
      const cols: ColumnInfo[] = table.columns.map((c) => ({ name: c }));
      return withText(cols, Math.min(table.rowCount, SAMPLE_ROWS), (r, c) => table.get(r, c));
    } catch {
      return [];
    }
  }
  if (format === 'npy' || format === 'npz' || isNpy(head) || isZip(head)) return [];
  throw new DatasetError(
    'UNKNOWN_FORMAT',
    abs,
    `${name} is not a dataset file Model Versions reads: it takes ${DATASET_EXTENSIONS.join(', ')}. ` +
      (firstBinaryByte(head) === undefined
        ? `If ${name} holds comma-separated values with a header row, rename it to ${path.basename(abs, path.extname(abs))}.csv.`
        : 'Export the data as CSV (a header row, then one row per sample) and pick that file.'),
  );
}

/** cols with `text` set on each column that holds a value isFeatureCell refuses in rows [0, n) */
function withText(cols: ColumnInfo[], n: number, cell: (r: number, c: number) => unknown): ColumnInfo[] {
  for (let c = 0; c < cols.length; c++) {
    for (let r = 0; r < n; r++) {
      const v = cell(r, c);
      if (!isFeatureCell(v)) {
        cols[c].text = typeof v === 'string' ? v : JSON.stringify(v);
        break;
      }
    }
  }
  return cols;
}
