/**
 * The extension tests' entry point: the extension host `require`s this module and awaits run().
 * Runs every *.test.js beside it with mocha — or, when $MV_INTEGRATION_PASS is 'noRepo' (the pass of
 * ../runTest.ts whose workspace is not a git repository) or 'untrusted' (not trusted either), those in
 * ./noRepo/ or ./untrusted/. Counts go to
 * $MV_COUNTS_FILE (see countingReporter).
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
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} extension test(s) failed.`));
        else resolve();
      });
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
