#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
//
// test-electron spawns this with the arguments it would give VS Code:
//   [folder] --extensionDevelopmentPath=P --extensionTestsPath=T --user-data-dir=U --extensions-dir=E [other flags]
// and takes its exit code as the test result. Instead of a desktop VS Code (not downloadable here) it:
//   1. starts code-server (scripts/install-code-server.sh) on a free 127.0.0.1 port, in its own process group;
//   2. opens the workbench in headless Debian Chromium (playwright-core) with the development and tests
//      paths in the URL payload; the server's Node extension host then loads the extension and runs
//      the tests module's run() with the real `vscode` API;
//   3. prints the extension host's console (window.codeAutomationLog) and takes the result from
//      window.codeAutomationExit(code);
//   4. closes the browser, kills the code-server process group and exits with the tests' code.
//
// Env: TEST_TIMEOUT_MS (default 300000), MV_ARTIFACTS (server log and a failure screenshot go there),
// CODE_SERVER_BIN / CODE_SERVER_DIR / CHROMIUM_BIN (see scripts/lib/codeServer.js), MV_SHIM_VERBOSE=1,
// MV_WORKSPACE_TRUST=1 (workspace trust on: the folder opens untrusted, in Restricted Mode).
'use strict';

const fs = require('fs');
const path = require('path');
const util = require('util');
const cs = require('./lib/codeServer');

const EXIT_SETUP = 2; // could not start code-server or Chromium
const EXIT_TIMEOUT = 124;

/** Options that take a value, as `--name=value` or `--name value`. */
const VALUE_OPTIONS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);

function parseArgs(argv) {
  const opts = { extensionDevelopmentPath: [], extensionTestsPath: [], 'user-data-dir': [], 'extensions-dir': [] };
  const folders = [];
  const ignored = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) {
      folders.push(a);
      continue;
    }
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(a);
    if (m && VALUE_OPTIONS.has(m[1])) {
      const value = m[2] !== undefined ? m[2] : argv[++i];
      if (value === undefined) throw new Error(`${a} needs a value`);
      opts[m[1]].push(value);
    } else {
      ignored.push(a); // --no-sandbox, --disable-updates, --skip-welcome, ...: meaningless for code-server
    }
  }
  if (opts.extensionTestsPath.length !== 1) throw new Error('expected exactly one --extensionTestsPath');
  if (folders.length > 1) throw new Error(`expected at most one folder to open, got: ${folders.join(' ')}`);
  return {
    developmentPaths: opts.extensionDevelopmentPath.map((p) => path.resolve(p)),
    testsPath: path.resolve(opts.extensionTestsPath[0]),
    userDataDir: opts['user-data-dir'].at(-1),
    extensionsDir: opts['extensions-dir'].at(-1),
    folder: folders[0] && path.resolve(folders[0]),
    ignored,
  };
}

/** Workbench chatter that says nothing about the tests. */
const NOISE =
  /^(Ignoring fetching additional builtin extensions|Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin|\[Service Worker\]|ChatSessionStore)/;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const verbose = !!process.env.MV_SHIM_VERBOSE;
  const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 300000);
  const artifacts = process.env.MV_ARTIFACTS && path.resolve(process.env.MV_ARTIFACTS);
  if (verbose && args.ignored.length) console.error(`[shim] ignoring: ${args.ignored.join(' ')}`);

  // Fail fast, with the fix in the message, when a prerequisite is missing.
  try {
    cs.codeServerBin();
    cs.chromiumBin();
  } catch (e) {
    if (e instanceof cs.PrerequisiteError) {
      console.error(`[shim] ${e.message}`);
      return EXIT_SETUP;
    }
    throw e;
  }

  // TEST_TIMEOUT_MS bounds the whole run; the watchdog covers a hang in start-up or clean-up too
  // (process.exit runs the exit listeners that kill code-server and Chromium).
  const deadline = Date.now() + timeoutMs;
  setTimeout(() => {
    console.error(`[shim] no result ${timeoutMs + 30000} ms after start; giving up`);
    process.exit(EXIT_TIMEOUT);
  }, timeoutMs + 30000).unref();

  let server;
  let browser;
  // Ctrl+C (test-electron forwards it) or a kill: exit listeners kill code-server and Chromium.
  cs.exitOnSignals();
  const cleanup = async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  };

  try {
    const t0 = Date.now();
    const logFile = artifacts ? path.join(artifacts, 'logs', 'code-server-tests.log') : undefined;
    const failureShot = artifacts ? path.join(artifacts, 'screenshots', 'integration-failure.png') : undefined;
    for (const old of [logFile, failureShot]) if (old) fs.rmSync(old, { force: true });
    try {
      server = await cs.startCodeServer({
        userDataDir: args.userDataDir,
        extensionsDir: args.extensionsDir,
        logFile,
        workspaceTrust: process.env.MV_WORKSPACE_TRUST === '1',
        env: {}, // process.env (with test-electron's extensionTestsEnv) reaches the extension host
      });
    } catch (e) {
      console.error(`[shim] could not start code-server: ${e.message}`);
      return EXIT_SETUP;
    }
    if (verbose) console.error(`[shim] code-server on ${server.baseUrl} (pid ${server.pid}) in ${Date.now() - t0} ms`);

    try {
      browser = await cs.launchChromium();
    } catch (e) {
      console.error(`[shim] could not launch Chromium: ${e.message}`);
      return EXIT_SETUP;
    }
    const { page } = browser;

    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
      const line = util.format(...(Array.isArray(logArgs) ? logArgs : [logArgs]));
      if (NOISE.test(line)) return;
      (type === 'error' ? console.error : console.log)(line);
    });
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit({ code: Number(code) }));
    page.on('crash', () => resolveExit({ error: 'the workbench page crashed' }));
    page.on('close', () => resolveExit({ error: 'the workbench page closed before the tests finished' }));
    if (verbose) page.on('pageerror', (err) => console.error(`[shim] page error: ${err.message}`));

    const url = cs.workbenchUrl(server, {
      folder: args.folder,
      extensionDevelopmentPaths: args.developmentPaths,
      extensionTestsPath: args.testsPath,
    });
    if (verbose) console.error(`[shim] opening ${url}`);
    try {
      await page.goto(url, { timeout: Math.max(1000, Math.min(60000, deadline - Date.now())) });
    } catch (e) {
      console.error(`[shim] the workbench did not load: ${String(e.message).split('\n')[0]}`);
      return Date.now() >= deadline ? EXIT_TIMEOUT : EXIT_SETUP;
    }

    let timer;
    const result = await Promise.race([
      exited,
      new Promise((r) => (timer = setTimeout(() => r({ timeout: true }), Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);

    let code;
    if (result.timeout) {
      console.error(`[shim] the extension tests did not finish within ${timeoutMs} ms (TEST_TIMEOUT_MS)`);
      code = EXIT_TIMEOUT;
    } else if (result.error) {
      console.error(`[shim] ${result.error}`);
      code = 1;
    } else {
      code = Number.isInteger(result.code) ? result.code : 1;
    }
    if (code !== 0) {
      if (failureShot && !page.isClosed()) {
        fs.mkdirSync(path.dirname(failureShot), { recursive: true });
        await page.screenshot({ path: failureShot, timeout: 10000 }).then(
          () => console.error(`[shim] screenshot of the workbench: ${failureShot}`),
          () => {},
        );
      }
      console.error(`[shim] code-server log: ${server.logFile}${logFile ? '' : ' (deleted on exit; set MV_ARTIFACTS to keep it)'}`);
    }
    if (verbose) console.error(`[shim] done in ${Date.now() - t0} ms, exit ${code}`);
    return code;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[shim] ${e && e.stack ? e.stack : e}`);
    process.exit(EXIT_SETUP);
  },
);
