/**
 * Runs the UI tests (test/ui/*.test.ts, compiled to out/test/ui/) with mocha: the suites share one
 * code-server and one headless Chromium, each suite in a window of its own (./helpers.ts). Counts go
 * to $MV_COUNTS_FILE (default .test-artifacts/counts/ui.json); screenshots to .test-artifacts/screenshots/;
 * how long each suite waited for its workbench to .test-artifacts/logs/ui-workbench-start.log.
 *
 *   node out/test/ui/run.js [--grep PATTERN]
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha = require('mocha');
import CountingReporter = require('../support/countingReporter');
import { missingBuild } from '../support/extension';
import { ARTIFACTS } from '../support/paths';
import { stopShared } from './helpers';

function main(): void {
  process.env.MV_COUNTS_FILE = path.resolve(process.env.MV_COUNTS_FILE || path.join(ARTIFACTS, 'counts', 'ui.json'));
  fs.rmSync(process.env.MV_COUNTS_FILE, { force: true });
  const notBuilt = missingBuild();
  if (notBuilt) {
    console.error(`ui: ${notBuilt}`);
    process.exit(1);
  }
  const grepAt = process.argv.indexOf('--grep');
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 120000,
    slow: 10000,
    color: !!process.stdout.isTTY,
    reporter: CountingReporter,
    ...(grepAt > 0 && process.argv[grepAt + 1] ? { grep: process.argv[grepAt + 1] } : {}),
  });
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  mocha.run((failures) => {
    // The suites' shared code-server and Chromium (./helpers.ts), then exit explicitly: nothing else
    // should keep the process alive, but a stuck handle must not hang CI.
    const exit = () => setTimeout(() => process.exit(failures > 0 ? 1 : 0), 100);
    Promise.race([stopShared(), new Promise((r) => setTimeout(r, 20000))]).then(exit, exit);
  });
}

main();
