/**
 * The columns the evaluation commands offer as the label (Evaluate Version…, Compare Models…), read
 * before the label is asked for, without vscode (test/unit/datasetColumns.test.ts). A file that no
 * dataset reader would take is refused here, with what to do, instead of after the label question:
 * binary bytes named .csv (their "header" would be offered as columns), or a name and first bytes
 * that say no format (.txt, .xlsx, …).
 */
import * as path from 'path';
import { DATASET_EXTENSIONS, firstBinaryByte, formatFromName, loadDataset, notTextError, readFileHead, TEXT_CHECK_BYTES } from '../../core/eval/dataset';
import { DatasetError } from '../../core/eval/datasetErrors';
import { isNpy, isZip } from '../../core/eval/npy';

/**
 * The column names of a CSV/TSV file's header, or of a JSON/JSONL file's records ([] when they cannot
 * be listed: the label is then asked for as an index). Throws a DatasetError when the file is not one
 * the dataset reader takes.
 */
export async function datasetColumns(file: string, baseDir?: string): Promise<string[]> {
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
  if (format === 'csv' || format === 'tsv') {
    const binary = notTextError(abs, format, head);
    if (binary) throw binary;
    const line = head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
    return line.split(format === 'csv' ? ',' : '\t').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  }
  const text = head.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (format === 'json' || format === 'jsonl' || (format === undefined && (text.startsWith('[') || text.startsWith('{')))) {
    try {
      const ds = await loadDataset({ file: abs, labelColumn: -1, task: 'regression', missing: 'drop' });
      return [...ds.featureNames, ds.labelName];
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
