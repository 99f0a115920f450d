/**
 * Real k-fold cross-validation through the user's own training command (issue #14): the data is split
 * into k folds; for each fold the rows of the other folds are written as a training file and the fold's
 * rows as a validation file, in the input's format; the command is run with `{train}`, `{valid}`, `{out}`
 * (and `{fold}`) replaced; the model it writes is evaluated on the validation file. Unlike the
 * resampling interval of one test set (src/core/metrics/crossValidation.ts), every fold trains a model.
 *
 * - Folds: plain shuffled k-fold, stratified by the label (each fold holds ⌊n_c/k⌋ or ⌈n_c/k⌉ rows of
 *   every class), or by group (`--group COL`: every row of a group lands in one fold; groups are taken
 *   in a seeded random order, each to the fold with the fewest rows so far, so fold sizes stay close).
 *   Repeats use seed, seed + 1, …
 * - The command is split into words like a POSIX shell would split it (quotes and backslashes), but no
 *   shell runs it: no globbing, pipes, variables or `;`. Placeholders are replaced inside the words.
 * - 5×2cv paired F-test of two training recipes (Alpaydin, 1999): 5 repetitions of 2-fold CV on the
 *   same splits; with p_ij the difference of the metric between the recipes on fold j of repetition i,
 *   p̄_i their mean and s_i² = Σ_j (p_ij − p̄_i)², f = Σ_ij p_ij² / (2 Σ_i s_i²) ~ F(10, 5).
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_SEED, kFold, mulberry32, shuffleInPlace, stratifiedKFold, studentTQuantile, regularizedBeta } from '../metrics';
import { parseCsvRecords } from './datasetTable';
import { EvaluationError } from './errors';
import type { EvalClient } from './client';
import type { Dataset, DatasetSpecInput, DatasetTask } from './dataset';
import { evaluateModel, type EvaluateModelOptions } from './evaluate';
import { readModelSummary } from '../formats';

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'json';

/** The rows of a data file as they are written back: for CSV/TSV records of cells, else JSON values. */
export interface RawTable {
  file: string;
  format: TableFormat;
  /** CSV/TSV: the header's cells */
  header?: string[];
  /** CSV/TSV: records of cells; JSON Lines / JSON: one value per row (an object or an array) */
  rows: unknown[];
}

export function tableFormatOf(file: string): TableFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  throw new EvaluationError(
    `${path.basename(file)}: cross-validation folds and slices read the data's rows as a table (and write folds in the same format), which works for CSV, TSV, JSON and JSON Lines; ` +
      `${ext || 'this file'} is not one of them. Convert the data to CSV (e.g. numpy.savetxt or pandas.DataFrame.to_csv) and give that.`,
  );
}

/** Reads the data file's rows (whole: cross-validation writes them k times anyway). */
export function readRawTable(file: string): RawTable {
  const format = tableFormatOf(file);
  const text = fs.readFileSync(file, 'utf8');
  const base = path.basename(file);
  if (format === 'csv' || format === 'tsv') {
    const { records } = parseCsvRecords(text, format === 'tsv' ? '\t' : ',', file);
    if (records.length < 2) throw new EvaluationError(`${base} has ${records.length ? 'a header but no rows' : 'no rows'}: nothing to cross-validate`);
    return { file, format, header: records[0], rows: records.slice(1) };
  }
  if (format === 'jsonl') {
    const rows: unknown[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      try {
        rows.push(JSON.parse(line));
      } catch (e) {
        throw new EvaluationError(`${base} line ${i + 1} is not JSON: ${(e as Error).message}`);
      }
    });
    if (!rows.length) throw new EvaluationError(`${base} has no rows: nothing to cross-validate`);
    return { file, format, rows };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new EvaluationError(`${base} is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(v) || !v.length) throw new EvaluationError(`${base} must hold a JSON array of rows (objects or arrays) to be split into folds`);
  return { file, format, rows: v };
}

/** The values of one column (a name, or a 0-based index; −1 = last) as strings, one per row. */
export function columnValues(t: RawTable, col: string | number, what: string): string[] {
  const base = path.basename(t.file);
  const asIndex = typeof col === 'number' ? col : /^-?\d+$/.test(col) && !(t.header ?? []).includes(col) ? Number(col) : undefined;
  const cell = (row: unknown, i: number): unknown => {
    if (Array.isArray(row)) {
      if (asIndex === undefined) {
        if (!t.header) throw new EvaluationError(`${base} row ${i + 1} is an array: name the ${what} by its 0-based index, not '${col}'`);
        const j = t.header.indexOf(String(col));
        if (j < 0) throw new EvaluationError(`${base} has no column '${col}' (the ${what}); its columns are ${t.header.map((h) => `'${h}'`).join(', ')}`);
        return row[j];
      }
      const j = asIndex < 0 ? row.length + asIndex : asIndex;
      if (j < 0 || j >= row.length) throw new EvaluationError(`${base} row ${i + 1} has ${row.length} columns: there is no column ${asIndex} (the ${what})`);
      return row[j];
    }
    if (row && typeof row === 'object') {
      if (!Object.prototype.hasOwnProperty.call(row, String(col))) throw new EvaluationError(`${base} row ${i + 1} has no field '${col}' (the ${what})`);
      return (row as Record<string, unknown>)[String(col)];
    }
    throw new EvaluationError(`${base} row ${i + 1} is neither an object nor an array`);
  };
  return t.rows.map((r, i) => {
    const v = cell(r, i);
    return typeof v === 'string' ? v : JSON.stringify(v ?? null);
  });
}

export interface FoldOptions {
  k: number;
  seed?: number;
  /** stratify by these values (the label) */
  strata?: string[];
  /** keep the rows of a group in one fold */
  groups?: string[];
}

/** k arrays of row indices (each ascending): the validation rows of each fold. */
export function assignFolds(n: number, opts: FoldOptions): Uint32Array[] {
  const { k } = opts;
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(k) || k < 2) throw new EvaluationError(`k must be a whole number ≥ 2, not ${k}`);
  if (opts.groups) {
    const rowsOf = new Map<string, number[]>();
    opts.groups.forEach((g, i) => (rowsOf.get(g) ?? rowsOf.set(g, []).get(g)!).push(i));
    if (rowsOf.size < k) throw new EvaluationError(`${k} folds need at least ${k} groups; the group column has ${rowsOf.size}`);
    const names = [...rowsOf.keys()];
    const order = shuffleInPlace(Uint32Array.from(names, (_, i) => i), mulberry32(seed));
    const folds: number[][] = Array.from({ length: k }, () => []);
    for (const gi of order) {
      const g = names[gi];
      let best = 0;
      for (let f = 1; f < k; f++) if (folds[f].length < folds[best].length) best = f;
      folds[best].push(...rowsOf.get(g)!);
    }
    return folds.map((f) => Uint32Array.from(f.sort((a, b) => a - b)));
  }
  if (n < k) throw new EvaluationError(`${k} folds need at least ${k} rows; the data has ${n}`);
  if (opts.strata) {
    const codes = new Map<string, number>();
    const strata = Int32Array.from(opts.strata, (s) => codes.get(s) ?? codes.set(s, codes.size).get(s)!);
    return stratifiedKFold(strata, k, seed);
  }
  return kFold(n, k, seed);
}

function csvCellOf(v: string, delimiter: string): string {
  return v.includes(delimiter) || v.includes('"') || v.includes('\n') || v.includes('\r') || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Writes `rows` (indices into t.rows) to `file` in the table's format. */
export function writeRows(t: RawTable, rows: ArrayLike<number>, file: string): void {
  const out: string[] = [];
  if (t.format === 'csv' || t.format === 'tsv') {
    const d = t.format === 'tsv' ? '\t' : ',';
    const line = (cells: string[]) => cells.map((c) => (d === '\t' ? c : csvCellOf(c, d))).join(d);
    out.push(line(t.header!));
    for (let i = 0; i < rows.length; i++) out.push(line(t.rows[rows[i]] as string[]));
    fs.writeFileSync(file, out.join('\n') + '\n');
  } else if (t.format === 'jsonl') {
    for (let i = 0; i < rows.length; i++) out.push(JSON.stringify(t.rows[rows[i]]));
    fs.writeFileSync(file, out.join('\n') + '\n');
  } else {
    fs.writeFileSync(file, JSON.stringify(Array.from(rows, (r) => t.rows[r])));
  }
}

/** The training rows of a fold: every row not in `valid` (ascending). */
export function complement(n: number, valid: Uint32Array): Uint32Array {
  const inValid = new Uint8Array(n);
  for (const i of valid) inValid[i] = 1;
  const out = new Uint32Array(n - valid.length);
  let j = 0;
  for (let i = 0; i < n; i++) if (!inValid[i]) out[j++] = i;
  return out;
}

/**
 * Splits a command line into words as a POSIX shell would (single quotes literal, double quotes with
 * \" \\ \$ \` escapes, backslash outside quotes), without running a shell. Throws on an unclosed quote.
 */
export function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      if (end < 0) throw new EvaluationError(`the training command has an unclosed ' quote: ${cmd}`);
      cur += cmd.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < cmd.length && cmd[j] !== '"'; j++) {
        if (cmd[j] === '\\' && j + 1 < cmd.length && '"\\$`'.includes(cmd[j + 1])) j++;
        cur += cmd[j];
      }
      if (j >= cmd.length) throw new EvaluationError(`the training command has an unclosed " quote: ${cmd}`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  if (!words.length) throw new EvaluationError('the training command is empty');
  return words;
}

/** The command's words with {train}, {valid}, {out}, {fold} replaced; the template must name {train} and {out}. */
export function fillCommand(words: string[], values: Record<'train' | 'valid' | 'out' | 'fold', string>): string[] {
  return words.map((w) => w.replace(/\{(train|valid|out|fold)\}/g, (_, k: keyof typeof values) => values[k]));
}

export function checkTemplate(cmd: string): string[] {
  const words = splitCommand(cmd);
  for (const p of ['{train}', '{out}']) {
    if (!words.some((w) => w.includes(p))) throw new EvaluationError(`the training command must name ${p} (where it ${p === '{train}' ? 'reads the training rows' : 'writes the model'}): ${cmd}`);
  }
  return words;
}

export interface CommandRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** stopped through the signal */
  aborted: boolean;
  /** the last 8 KiB of stdout and stderr together */
  tail: string;
  ms: number;
}

/** Runs one filled command (no shell), its output passed to `onOutput` as it comes; killed (with its process group) after timeoutMs. */
export function runCommand(argv: string[], opts: { cwd: string; timeoutMs?: number; onOutput?: (chunk: Buffer) => void; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<CommandRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    let tail = '';
    let timedOut = false;
    const take = (b: Buffer) => {
      opts.onOutput?.(b);
      tail = (tail + b.toString('utf8')).slice(-8192);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const kill = () => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new EvaluationError(e.code === 'ENOENT' ? `the training command '${argv[0]}' was not found (is it installed and on PATH?)` : `cannot run the training command '${argv[0]}': ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal, timedOut, aborted, tail, ms: Date.now() - started });
    });
  });
}

/** Mean, sample standard deviation and the 95% t-interval of the mean of per-fold values. */
export function summarizeFolds(values: number[]): { mean: number; std: number; ci95: [number, number]; n: number } {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const half = n > 1 ? studentTQuantile(0.975, n - 1) * (std / Math.sqrt(n)) : NaN;
  return { mean, std, ci95: [mean - half, mean + half], n };
}

/** F(d1, d2) survival P(F > f). */
export function fSurvival(f: number, d1: number, d2: number): number {
  if (!(f > 0)) return 1;
  return regularizedBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

/** Alpaydin's 5×2cv paired F-test: differences[i][j] on fold j of repetition i (5 × 2). */
export function fiveByTwoF(differences: number[][]): { f: number; df: [number, number]; pValue: number } {
  if (differences.length !== 5 || differences.some((r) => r.length !== 2)) throw new EvaluationError('the 5×2cv F-test needs 5 repetitions of 2 folds');
  let num = 0;
  let den = 0;
  for (const [a, b] of differences) {
    num += a * a + b * b;
    const m = (a + b) / 2;
    den += (a - m) ** 2 + (b - m) ** 2;
  }
  const f = den === 0 ? (num === 0 ? 0 : Infinity) : num / (2 * den);
  return { f, df: [10, 5], pValue: f === Infinity ? 0 : fSurvival(f, 10, 5) };
}

// ------------------------------------------------------------------------------------------------
// the whole run (the CLI's `modelver cv` and the extension's Cross-Validate… share it)

export interface FoldResult {
  repeat: number;
  fold: number;
  trainRows: number;
  validRows: number;
  trainMs: number;
  metrics: Record<string, number>;
}

export interface RecipeResult {
  command: string;
  folds: FoldResult[];
  summary: Record<string, { mean: number; std: number; ci95: [number, number]; n: number }>;
}

export interface CrossValidationReport {
  data: { file: string; sha256: string; rows: number; label: string; task: DatasetTask };
  k: number;
  repeats: number;
  seed: number;
  stratify: boolean;
  group: string | null;
  recipes: RecipeResult[];
  /** two recipes: the 5×2cv paired F-test on `metric` (better: the recipe significantly better, 1 or 2) */
  comparison?: { metric: string; differences: number[][]; f: number; df: [number, number]; pValue: number; better?: 1 | 2 };
}

export interface CrossValidationParams {
  /** one training command, or two recipes to compare (then k = 2, repeats = 5) */
  trains: string[];
  spec: DatasetSpecInput;
  baseDir: string;
  k: number;
  repeats: number;
  seed: number;
  stratify?: boolean;
  group?: string;
  timeoutMs: number;
  /** the file name {out} stands for (default model.onnx) */
  outName?: string;
  /** the metric of the recipe comparison (default accuracy / rmse) */
  metric?: string;
  evalOptions?: EvaluateModelOptions;
  host: () => Promise<EvalClient>;
  loadDataset: (spec: DatasetSpecInput) => Promise<Dataset>;
  /** a line about the run ("── fold 1/5: python train.py …") */
  onLog?: (line: string) => void;
  /** the training command's output as it comes */
  onOutput?: (text: string) => void;
  signal?: AbortSignal;
}

const isClassificationTask = (t: DatasetTask): boolean => t !== 'regression';

/** Runs the cross-validation: folds, training commands, evaluations, summaries, the recipe comparison. */
export async function runCrossValidation(p: CrossValidationParams): Promise<CrossValidationReport> {
  const words = p.trains.map(checkTemplate);
  const outName = p.outName ?? 'model.onnx';
  const dataFile = path.resolve(p.baseDir, p.spec.file);
  if (!fs.existsSync(dataFile)) throw new EvaluationError(`${p.spec.file} does not exist.`);
  if (p.stratify && p.group) throw new EvaluationError('stratify and group cannot be combined: groups decide the folds');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelver-cv-'));
  try {
    // the whole data once: the task and the class list every fold is read with (a fold may lack a class)
    const full = await p.loadDataset(p.spec);
    const table = readRawTable(dataFile);
    const strata = p.stratify ? columnValues(table, p.spec.labelColumn ?? -1, 'label') : undefined;
    if (strata && !isClassificationTask(full.task)) throw new EvaluationError('stratified folds need class labels; this label is a regression target');
    const groups = p.group ? columnValues(table, p.group, 'group column') : undefined;
    const n = table.rows.length;
    const dataSha = crypto.createHash('sha256').update(fs.readFileSync(dataFile)).digest('hex');
    const results: RecipeResult[] = p.trains.map((command) => ({ command, folds: [], summary: {} }));
    const ext = path.extname(dataFile);
    for (let r = 0; r < p.repeats; r++) {
      const folds = assignFolds(n, { k: p.k, seed: p.seed + r, strata, groups });
      for (let f = 0; f < p.k; f++) {
        const dir = path.join(work, `r${r + 1}-f${f + 1}`);
        fs.mkdirSync(dir);
        const train = path.join(dir, `train${ext}`);
        const valid = path.join(dir, `valid${ext}`);
        const trainRows = complement(n, folds[f]);
        writeRows(table, trainRows, train);
        writeRows(table, folds[f], valid);
        const validSet = await p.loadDataset({ ...p.spec, file: valid, task: full.task, ...(full.classNames && !p.spec.classNames ? { classNames: full.classNames } : {}) });
        for (const [ri, w] of words.entries()) {
          if (p.signal?.aborted) throw new EvaluationError('cross-validation cancelled');
          const out = path.join(dir, p.trains.length > 1 ? `recipe${ri + 1}-${outName}` : outName);
          const argv = fillCommand(w, { train, valid, out, fold: String(f + 1) });
          const where = `${p.repeats > 1 ? `repeat ${r + 1}, ` : ''}fold ${f + 1}/${p.k}${p.trains.length > 1 ? `, recipe ${ri + 1}` : ''}`;
          p.onLog?.(`── ${where}: ${argv.map((a) => (/[\s'"\\]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
          const run = await runCommand(argv, { cwd: p.baseDir, timeoutMs: p.timeoutMs, onOutput: (b) => p.onOutput?.(b.toString('utf8')), signal: p.signal });
          const tail = run.tail.trim() ? `\n--- its last output ---\n${run.tail.trim().split('\n').slice(-20).join('\n')}` : ' (it printed nothing)';
          if (run.aborted) throw new EvaluationError('cross-validation cancelled');
          if (run.timedOut) throw new EvaluationError(`the training command of ${where} ran past ${p.timeoutMs / 1000} s (--timeout) and was stopped; nothing after it ran.${tail}`);
          if (run.code !== 0) throw new EvaluationError(`the training command of ${where} failed (${run.signal ? `killed by ${run.signal}` : `exit status ${run.code}`}); nothing after it ran.${tail}`);
          if (!fs.existsSync(out) || fs.statSync(out).size === 0) {
            throw new EvaluationError(`the training command of ${where} finished but wrote no model to {out} (${out}): write the trained model to the path given in place of {out}.${tail}`);
          }
          try {
            await readModelSummary(out);
          } catch (e) {
            throw new EvaluationError(`the training command of ${where} wrote ${path.basename(out)}, which is not a model it can evaluate: ${(e as Error).message}`);
          }
          const ev = await evaluateModel({ file: out, label: where }, validSet, p.host, { ...p.evalOptions, task: full.task, folds: 0, signal: p.signal });
          results[ri].folds.push({ repeat: r + 1, fold: f + 1, trainRows: trainRows.length, validRows: validSet.rowCount, trainMs: run.ms, metrics: ev.metrics });
        }
      }
    }
    for (const res of results) {
      for (const m of Object.keys(res.folds[0]?.metrics ?? {})) res.summary[m] = summarizeFolds(res.folds.map((f) => f.metrics[m]));
    }
    let comparison: CrossValidationReport['comparison'];
    if (p.trains.length === 2) {
      const metric = p.metric ?? (isClassificationTask(full.task) ? 'accuracy' : 'rmse');
      if (!(metric in results[0].summary)) throw new EvaluationError(`the metric ${metric} is not reported for this task; choose one of ${Object.keys(results[0].summary).join(', ')}`);
      if (p.k !== 2 || p.repeats !== 5) throw new EvaluationError('comparing two recipes runs the 5×2cv test: 5 repetitions of 2 folds');
      const differences = Array.from({ length: 5 }, (_, r) => [0, 1].map((f) => results[0].folds[r * 2 + f].metrics[metric] - results[1].folds[r * 2 + f].metrics[metric]));
      const t = fiveByTwoF(differences);
      const lowerBetter = /^(logLoss|mse|rmse|mae)$/.test(metric);
      const d = results[0].summary[metric].mean - results[1].summary[metric].mean;
      comparison = { metric, differences, ...t, ...(t.pValue < 0.05 && d !== 0 ? { better: (d > 0) !== lowerBetter ? 1 : 2 } : {}) };
    }
    const rel = path.relative(p.baseDir, dataFile);
    return {
      data: { file: rel.startsWith('..') || path.isAbsolute(rel) ? dataFile : rel, sha256: dataSha, rows: n, label: full.labelName, task: full.task },
      k: p.k,
      repeats: p.repeats,
      seed: p.seed,
      stratify: !!p.stratify,
      group: p.group ?? null,
      recipes: results,
      ...(comparison ? { comparison } : {}),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Records a run in the repository notes of a committed version (`crossValidations.<key>`); returns the key. */
export async function recordCrossValidation(
  repo: { addMetadata(model: string, version: number | string, data: Record<string, unknown>): Promise<Record<string, unknown>> },
  model: string,
  version: number | string,
  report: CrossValidationReport,
  date = new Date(),
): Promise<string> {
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ trains: report.recipes.map((r) => r.command), data: report.data.sha256, k: report.k, repeats: report.repeats, seed: report.seed, stratify: report.stratify, group: report.group }))
    .digest('hex');
  await repo.addMetadata(model, version, { crossValidations: { [key]: { ...report, date: date.toISOString() } } });
  return key;
}

const fmt4 = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '—');

/** The report as text (a row per metric, a column per fold) or Markdown. */
export function renderCrossValidation(rep: CrossValidationReport, md = false): string {
  const lines: string[] = [];
  const how = `${rep.k}-fold cross-validation${rep.repeats > 1 ? ` × ${rep.repeats} repeats` : ''}${rep.stratify ? ', stratified' : ''}${rep.group ? `, grouped by ${rep.group}` : ''}, seed ${rep.seed}`;
  lines.push(md ? `### Cross-validation of ${rep.data.file}` : `${how} of ${rep.data.file} (${rep.data.rows} rows, label '${rep.data.label}', ${rep.data.task}); each fold trains a model`);
  if (md) lines.push('', `${how}; ${rep.data.rows} rows, label \`${rep.data.label}\`, ${rep.data.task}; each fold trains a model.`);
  for (const [i, r] of rep.recipes.entries()) {
    const names = Object.keys(r.summary);
    const which = rep.recipes.length > 1 ? ` ${i + 1}` : '';
    lines.push('', md ? `**Recipe${which}:** \`${r.command.replace(/`/g, "'")}\`` : `recipe${which}: ${r.command}`, '');
    // a row per metric: its value on each fold, then the mean ± std and the 95% interval of the mean
    const head = ['metric', ...r.folds.map((f) => `${rep.repeats > 1 ? `${f.repeat}.` : 'fold '}${f.fold}`), 'mean ± std', '95% interval'];
    const rows = names.map((m) => [m, ...r.folds.map((f) => fmt4(f.metrics[m])), `${fmt4(r.summary[m].mean)} ± ${fmt4(r.summary[m].std)}`, `[${fmt4(r.summary[m].ci95[0])}, ${fmt4(r.summary[m].ci95[1])}]`]);
    if (md) {
      lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, j) => (j ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`));
    } else {
      const w = head.map((h, j) => Math.max(h.length, ...rows.map((x) => x[j].length)));
      lines.push(head.map((h, j) => (j ? h.padStart(w[j]) : h.padEnd(w[j]))).join('  '), ...rows.map((x) => x.map((c, j) => (j ? c.padStart(w[j]) : c.padEnd(w[j]))).join('  ')));
    }
  }
  if (rep.comparison) {
    const c = rep.comparison;
    const pText = c.pValue < 0.001 ? 'p < 0.001' : `p = ${c.pValue.toFixed(3)}`;
    lines.push('', `5×2cv paired F-test on ${c.metric}: F = ${fmt4(c.f)} (df 10, 5), ${pText} → ${c.better ? `recipe ${c.better} is better at α = 0.05` : 'no significant difference between the recipes at α = 0.05'}`);
  }
  if (rep.repeats > 1 && !rep.comparison) lines.push('', 'note: the folds of repeated runs share rows, so the interval over all of them is narrower than it should be (Dietterich, 1998).');
  return lines.join('\n');
}
