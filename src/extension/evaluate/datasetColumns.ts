/**
 * The columns the evaluation commands offer as the label (Evaluate Version…, Compare Models…), read
 * before the label is asked for, without vscode (test/unit/datasetColumns.test.ts). A file that no
 * dataset reader would take is refused here, with what to do, instead of after the label question:
 * binary bytes named .csv (their "header" would be offered as columns), or a name and first bytes
 * that say no format (.txt, .xlsx, …).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset } from '../../core/eval/dataset';
import { DatasetError } from '../../core/eval/datasetErrors';

/** How far into a file the checks read. */
const HEAD_BYTES = 65536;

/** The names the dataset reader (core/eval/dataset.ts formatFromName) takes a format from. */
const DELIMITED: Record<string, string> = { '.csv': ',', '.tsv': '\t', '.tab': '\t' };
const JSONISH = new Set(['.json', '.jsonl', '.ndjson']);
const BINARY = new Set(['.npy', '.npz']);
export const DATASET_EXTENSIONS: readonly string[] = Object.freeze([...Object.keys(DELIMITED), ...JSONISH, ...BINARY]);

function readHead(abs: string): Buffer {
  const fd = fs.openSync(abs, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
  } finally {
    fs.closeSync(fd);
  }
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

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;

/**
 * The column names of a CSV/TSV file's header, or of a JSON/JSONL file's records ([] when they cannot
 * be listed: the label is then asked for as an index). Throws a DatasetError when the file is not one
 * the dataset reader takes.
 */
export async function datasetColumns(file: string, baseDir?: string): Promise<string[]> {
  const abs = path.resolve(baseDir ?? '.', file);
  const name = path.basename(abs);
  const ext = path.extname(abs).toLowerCase();
  let head: Buffer;
  try {
    head = readHead(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? 'NOT_FOUND' : 'READ_ERROR', abs, `cannot read ${name}: ${(e as Error).message}`);
  }
  if (ext in DELIMITED) {
    const bad = firstBinaryByte(head);
    if (bad !== undefined) {
      throw new DatasetError(
        'PARSE_ERROR',
        abs,
        `${name} is not a text ${ext === '.csv' ? 'CSV' : 'TSV'} file: byte ${bad} is ${hex(head[bad])}, a control character text does not hold. ` +
          `Pick a ${ext === '.csv' ? 'comma' : 'tab'}-separated text file with a header row (the column names), or export the data as CSV first.`,
      );
    }
    const line = head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
    return line.split(DELIMITED[ext]).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  }
  // a name that tells no format: the reader looks at the first bytes (NPY, NPZ, JSON, JSON Lines)
  const text = head.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (JSONISH.has(ext) || (!BINARY.has(ext) && (text.startsWith('[') || text.startsWith('{')))) {
    try {
      const ds = await loadDataset({ file: abs, labelColumn: -1, task: 'regression', missing: 'drop' });
      return [...ds.featureNames, ds.labelName];
    } catch {
      return [];
    }
  }
  const npy = head.length >= 6 && head[0] === 0x93 && head.subarray(1, 6).toString('latin1') === 'NUMPY';
  const zip = head.length >= 4 && head.readUInt32LE(0) === 0x04034b50;
  if (BINARY.has(ext) || npy || zip) return [];
  throw new DatasetError(
    'UNKNOWN_FORMAT',
    abs,
    `${name} is not a dataset file Model Versions reads: it takes ${DATASET_EXTENSIONS.join(', ')}. ` +
      (firstBinaryByte(head) === undefined
        ? `If ${name} holds comma-separated values with a header row, rename it to ${path.basename(abs, path.extname(abs))}.csv.`
        : 'Export the data as CSV (a header row, then one row per sample) and pick that file.'),
  );
}
