// Shared pieces for running a real VS Code (code-server) and driving it with Chromium:
// used by scripts/code-server-test-shim.js (extension tests) and test/ui/helpers.ts (UI tests).
//
// Environment overrides:
//   CODE_SERVER_BIN   the code-server executable (default: $CODE_SERVER_DIR or <repo>/.code-server, then node_modules/.bin/code-server)
//   CHROMIUM_BIN      the Chromium executable (default: /usr/bin/chromium)
//   MV_HEADED=1       show the browser window (needs a display)
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CODE_SERVER_VERSION = '4.100.3';

class PrerequisiteError extends Error {
  constructor(message) {
    super(message);
    this.name = 'PrerequisiteError';
  }
}

/** The code-server executable, or a PrerequisiteError that says how to install it. */
function codeServerBin() {
  if (process.env.CODE_SERVER_BIN) {
    if (!isExecutable(process.env.CODE_SERVER_BIN)) {
      throw new PrerequisiteError(`CODE_SERVER_BIN=${process.env.CODE_SERVER_BIN} is not an executable file.`);
    }
    return process.env.CODE_SERVER_BIN;
  }
  const dir = process.env.CODE_SERVER_DIR ? path.resolve(process.env.CODE_SERVER_DIR) : path.join(REPO_ROOT, '.code-server');
  const bin = path.join(dir, 'node_modules', '.bin', 'code-server');
  if (!isExecutable(bin)) {
    throw new PrerequisiteError(
      `code-server ${CODE_SERVER_VERSION} is not installed (no ${bin}).\n` +
        `  Run: bash scripts/install-code-server.sh   (installs it from npm into ${dir}; about a minute)`,
    );
  }
  return bin;
}

/** The Chromium executable, or a PrerequisiteError that says how to install it. */
function chromiumBin() {
  const candidates = process.env.CHROMIUM_BIN
    ? [process.env.CHROMIUM_BIN]
    : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];
  const found = candidates.find(isExecutable);
  if (!found) {
    throw new PrerequisiteError(
      `Chromium not found (looked for ${candidates.join(', ')}).\n` +
        `  On Debian/Ubuntu run: sudo apt-get install -y chromium   (or set CHROMIUM_BIN to a Chromium/Chrome executable)`,
    );
  }
  return found;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Quiet, offline, deterministic workbench settings for a fresh profile. */
const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.openRepositoryInParentFolders': 'never',
};

/** Creates the user-data and extensions folders and writes User/settings.json. */
function prepareProfile({ userDataDir, extensionsDir, settings }) {
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(settings || {}) }, null, 2),
  );
}

/**
 * Synchronous last-resort cleanups (SIGKILL a code-server process group, delete a temp folder), run
 * when this process exits without having stopped what it started: a crash, process.exit(), or a
 * signal through exitOnSignals().
 */
const exitCleanups = new Map();
let cleanupId = 0;
function runExitCleanups() {
  for (const fn of exitCleanups.values()) {
    try {
      fn();
    } catch {
      /* best effort */
    }
  }
  exitCleanups.clear();
}
/**
 * (Re-)registers the exit listener last, so it runs after Playwright's own exit listener has killed
 * Chromium (then the Chromium profile folder can be deleted).
 */
function moveExitListenerLast() {
  process.off('exit', runExitCleanups);
  process.on('exit', runExitCleanups);
}
function addExitCleanup(fn) {
  const id = ++cleanupId;
  exitCleanups.set(id, fn);
  moveExitListenerLast();
  return () => exitCleanups.delete(id);
}

let signalsInstalled = false;
/**
 * On SIGINT/SIGTERM/SIGHUP: exit (128 + signal number), so the exit listeners kill code-server's
 * process group and Chromium and delete the temp folders. (Node's default for these signals ends the
 * process without running exit listeners, which would leave code-server running.)
 */
function exitOnSignals() {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping code-server and Chromium`);
      process.exit(128 + n);
    });
  }
}

/**
 * Starts code-server on a free 127.0.0.1 port in its own process group and waits for /healthz.
 * @param {object} [opts]
 * @param {string} [opts.userDataDir]  default: a new temp folder
 * @param {string} [opts.extensionsDir] default: a new temp folder
 * @param {object} [opts.settings]     merged over DEFAULT_SETTINGS
 * @param {boolean} [opts.workspaceTrust] turn workspace trust on (default off): folders start untrusted
 *                                       (Restricted Mode, no startup prompt) unless trusted in the workbench
 * @param {Record<string,string>} [opts.env] extra environment (reaches the extension host)
 * @param {string} [opts.logFile]      server stdout/stderr (default: <tmp>/server.log)
 * @param {number} [opts.startTimeoutMs] default 60000
 */
async function startCodeServer(opts = {}) {
  const bin = codeServerBin();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-code-server-'));
  const userDataDir = path.resolve(opts.userDataDir || path.join(tmp, 'user-data'));
  const extensionsDir = path.resolve(opts.extensionsDir || path.join(tmp, 'extensions'));
  const trust = opts.workspaceTrust
    ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' }
    : {};
  prepareProfile({ userDataDir, extensionsDir, settings: { ...trust, ...(opts.settings || {}) } });
  const logFile = opts.logFile || path.join(tmp, 'server.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const port = await freePort();
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--config', path.join(tmp, 'config.yaml'), // else it writes ~/.config/code-server/config.yaml
  ];
  const out = fs.openSync(logFile, 'w');
  const child = spawn(bin, args, {
    detached: true, // own process group: stop() kills the file watchers and extension hosts too
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      EXTENSIONS_GALLERY: '{"serviceUrl":""}', // no open-vsx lookups (offline)
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'), // code-server's own logs, not in ~/.local/share
      ...(opts.env || {}),
    },
  });
  fs.closeSync(out);
  const forgetCleanup = addExitCleanup(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* group already gone */
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  child.on('error', () => {}); // reported through 'exit' / the health check

  const baseUrl = `http://127.0.0.1:${port}`;
  const server = {
    port,
    baseUrl,
    pid: child.pid,
    logFile,
    tmpDir: tmp,
    userDataDir,
    extensionsDir,
    /** A path on this machine as the workbench's remote URI. */
    remoteUri: (p) => `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`,
    /**
     * Kills the whole process group (SIGKILL after graceMs) and deletes the temp folder (with the
     * default profile and log; pass opts.logFile to keep the log). Safe to call twice.
     */
    async stop(graceMs = 5000) {
      await killGroup(graceMs);
      fs.rmSync(tmp, { recursive: true, force: true });
      forgetCleanup();
    },
  };
  async function killGroup(graceMs) {
    const kill = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* group already gone */
      }
    };
    if (!exited) {
      kill('SIGTERM');
      await Promise.race([exitPromise, sleep(graceMs)]);
    }
    kill('SIGKILL'); // stragglers in the group (file watchers, extension hosts)
  }

  const timeoutMs = opts.startTimeoutMs || 60000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(
        `code-server exited during start-up (code ${exited.code}, signal ${exited.signal}); log ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`code-server did not answer ${baseUrl}/healthz within ${timeoutMs} ms; log ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(100);
  }
  return server;
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The workbench URL that opens `folder` with extensions loaded from development folders (and
 * optionally runs extension tests). code-server rejects --extensionDevelopmentPath on its command
 * line, so these go in the URL's `payload`, as in VS Code's own browser integration tests.
 */
function workbenchUrl(server, { folder, extensionDevelopmentPaths = [], extensionTestsPath } = {}) {
  const payload = extensionDevelopmentPaths.map((p) => ['extensionDevelopmentPath', server.remoteUri(p)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', server.remoteUri(extensionTestsPath)]);
  payload.push(['skipWelcome', 'true'], ['skipReleaseNotes', 'true']);
  const where = folder ? `folder=${encodeURIComponent(path.resolve(folder))}` : 'ew=true';
  return `${server.baseUrl}/?${where}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Debian Chromium through playwright-core with a throwaway profile.
 * @returns {Promise<{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, close(): Promise<void>}>}
 */
async function launchChromium({ viewport = { width: 1400, height: 850 }, timeoutMs = 60000 } = {}) {
  const executablePath = chromiumBin();
  const { chromium } = require('playwright-core');
  const headless = !process.env.MV_HEADED;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-chromium-'));
  const forgetCleanup = addExitCleanup(() => fs.rmSync(profile, { recursive: true, force: true }));
  // launchPersistentContext, because Playwright's launch() refuses --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless,
    viewport,
    timeout: timeoutMs,
    args: headless ? ['--headless', ...CHROMIUM_ARGS] : CHROMIUM_ARGS,
    // Debian's Chromium keeps its crash-report database in $XDG_CONFIG_HOME/chromium whatever the
    // profile; keep it in the throwaway profile instead of ~/.config.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profile, 'xdg-config') },
    // Signals are ours (exitOnSignals); Playwright still kills Chromium in its exit listener.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  moveExitListenerLast();
  const page = context.pages()[0] || (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.race([context.close().catch(() => {}), sleep(10000)]);
      fs.rmSync(profile, { recursive: true, force: true });
      forgetCleanup();
    },
  };
}

/**
 * Launches Debian Chromium through playwright-core once, for several workbenches: each gets a fresh
 * browser context of its own (newPage: its own storage, service workers and viewport, like a new
 * profile), so one Chromium start serves a whole test run.
 * @returns {Promise<{browser: import('playwright-core').Browser, newPage(opts?: {viewport?: {width: number, height: number}}): Promise<{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, close(): Promise<void>}>, close(): Promise<void>}>}
 */
async function launchBrowser({ timeoutMs = 60000 } = {}) {
  const executablePath = chromiumBin();
  const { chromium } = require('playwright-core');
  const headless = !process.env.MV_HEADED;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-chromium-'));
  const forgetCleanup = addExitCleanup(() => fs.rmSync(home, { recursive: true, force: true }));
  const browser = await chromium.launch({
    executablePath,
    headless,
    timeout: timeoutMs,
    args: headless ? ['--headless', ...CHROMIUM_ARGS] : CHROMIUM_ARGS,
    // as launchChromium: the crash-report database in the throwaway folder, not ~/.config
    env: { ...process.env, XDG_CONFIG_HOME: path.join(home, 'xdg-config') },
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  moveExitListenerLast();
  let closed = false;
  return {
    browser,
    async newPage({ viewport = { width: 1400, height: 850 } } = {}) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      let pageClosed = false;
      return {
        context,
        page,
        async close() {
          if (pageClosed) return;
          pageClosed = true;
          await Promise.race([context.close().catch(() => {}), sleep(10000)]);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.race([browser.close().catch(() => {}), sleep(10000)]);
      fs.rmSync(home, { recursive: true, force: true });
      forgetCleanup();
    },
  };
}

module.exports = {
  REPO_ROOT,
  CODE_SERVER_VERSION,
  DEFAULT_SETTINGS,
  PrerequisiteError,
  codeServerBin,
  chromiumBin,
  freePort,
  prepareProfile,
  startCodeServer,
  workbenchUrl,
  launchChromium,
  launchBrowser,
  exitOnSignals,
  sleep,
};
