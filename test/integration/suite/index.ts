/**
 * The extension tests' entry point: the extension host `require`s this module and awaits run().
 * Runs every *.test.js beside it with mocha — or, when $MV_INTEGRATION_PASS is 'noRepo' (the pass of
 * ../runTest.ts whose workspace is not a git repository), those in ./noRepo/. Counts go to
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
  });
  const dir = process.env.MV_INTEGRATION_PASS === 'noRepo' ? path.join(__dirname, 'noRepo') : __dirname;
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
