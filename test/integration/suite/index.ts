/**
 * The extension tests' entry point: the extension host `require`s this module and awaits run().
 * Runs every *.test.js beside it with mocha; counts go to $MV_COUNTS_FILE (see countingReporter).
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
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));

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
