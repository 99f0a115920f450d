/**
 * The one CSV writer of every export (the Compare panel's CSV, the Metric History table, …).
 *
 * - Quoting per RFC 4180: a cell holding a comma, a double quote, CR or LF is wrapped in double quotes,
 *   a double quote inside written twice. Records end with LF (what spreadsheets and our own reader take).
 * - Spreadsheet formulas neutralised per OWASP ("CSV injection"): a text cell that starts with = + - @,
 *   a tab or CR would be run as a formula by Excel / LibreOffice / Google Sheets, so it gets a leading
 *   apostrophe ('=HYPERLINK(…) shows as text). Plain numbers (-0.5, +3, 1e-9) are left as they are:
 *   they are numbers to a spreadsheet, not formulas. Model labels, commit subjects and authors come
 *   from whoever wrote the repository, so every text cell goes through this.
 */

export type CsvValue = string | number | boolean | null | undefined;

const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: numbers as numbers (non-finite ones empty), text neutralised and quoted as needed. */
export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const safe = FORMULA_START.test(v) && !PLAIN_NUMBER.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One record (no line end). */
export function csvRecord(cells: readonly CsvValue[]): string {
  return cells.map(csvCell).join(',');
}

/** Records, each ended by LF. */
export function toCsv(rows: readonly (readonly CsvValue[])[]): string {
  return rows.map(csvRecord).join('\n') + '\n';
}
