/**
 * The extension tests' entry point: the extension host `require`s this module and awaits run().
 * Runs every *.test.js beside it with mocha — or, when $MV_INTEGRATION_PASS is 'noRepo' (the pass of
 * ../runTest.ts whose workspace is not a git repository) or 'untrusted' (not trusted either), those in
 * ./noRepo/ or ./untrusted/. Counts go to
 * $MV_COUNTS_FILE (see countingReporter). When a test or hook fails, the extension's log lines written
 * while it ran ($MV_LOG_FILE, which src/extension/log.ts appends to) are printed under its failure.
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha = require('mocha');
import CountingReporter = require('../../support/countingReporter');

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 60000,
    color: false,
    reporter: CountingReporter,
    // MV_INTEGRATION_GREP: only the tests whose titles match (a quick run of one file while working on it)
    ...(process.env.MV_INTEGRATION_GREP ? { grep: process.env.MV_INTEGRATION_GREP } : {}),
  });
  const pass = process.env.MV_INTEGRATION_PASS;
  const dir = pass === 'noRepo' || pass === 'untrusted' ? path.join(__dirname, pass) : __dirname;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(dir, f));

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} extension test(s) failed.`));
        else resolve();
      });
      printLogOnFailure(runner, process.env.MV_LOG_FILE);
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

const MAX_LOG_LINES = 80;

/**
 * On each failure, prints what the extension logged while the failing test or hook ran (the lines of
 * `file` written since it began; the last MAX_LOG_LINES of them), so a CI failure says what the
 * extension saw — e.g. the error behind an empty tree.
 */
function printLogOnFailure(runner: Mocha.Runner, file: string | undefined): void {
  if (!file) return;
  const size = () => {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0;
    }
  };
  let since = size();
  const { EVENT_HOOK_BEGIN, EVENT_TEST_BEGIN, EVENT_TEST_FAIL } = Mocha.Runner.constants;
  runner.on(EVENT_HOOK_BEGIN, () => (since = size()));
  runner.on(EVENT_TEST_BEGIN, () => (since = size()));
  runner.on(EVENT_TEST_FAIL, (test: Mocha.Runnable) => {
    let text = '';
    try {
      const all = fs.readFileSync(file);
      text = all.subarray(Math.min(since, all.length)).toString('utf8');
    } catch {
      /* no log written */
    }
    const lines = text.split('\n').filter(Boolean);
    const shown = lines.slice(-MAX_LOG_LINES);
    const head = `[extension log] ${lines.length} line${lines.length === 1 ? '' : 's'} while "${test.fullTitle()}" ran` +
      `${shown.length < lines.length ? ` (the last ${shown.length})` : ''}; all of it: ${file}`;
    console.error([head, ...shown.map((l) => `  ${l}`)].join('\n'));
  });
}
