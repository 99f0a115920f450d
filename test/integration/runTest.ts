/**
 * Runs the extension tests in test/integration/suite inside a real VS Code 1.100 (code-server) with
 * @vscode/test-electron. test-electron would download a desktop VS Code; instead it is pointed at
 * scripts/code-server-test-shim.js, which takes VS Code's arguments and runs the tests in code-server
 * and headless Chromium (needs `bash scripts/install-code-server.sh` and Debian's chromium).
 *
 *   node out/test/integration/runTest.js      (after npm run build and npx tsc -p tsconfig.test.json)
 *
 * A VS Code window has one workspace for its whole life, so this runs two passes, each in a fresh
 * code-server:
 *   repo    suite/*.test.js on a git + Git LFS repository (untracked hello_deepa.onnx, committed README.md);
 *   noRepo  suite/noRepo/*.test.js on the same files in a folder that is not a git repository;
 *   untrusted  suite/untrusted/*.test.js on such a folder with workspace trust on and the folder not
 *           trusted (Restricted Mode): no git command runs and no evaluation host starts.
 * Their counts are added up into one counts file.
 *
 * Env: MV_EXTENSION_DEV_PATH (test another build of the extension; default: the repository),
 * MV_COUNTS_FILE (default .test-artifacts/counts/integration.json), MV_INTEGRATION_PASSES (e.g.
 * 'repo' to run one pass), MV_INTEGRATION_GREP (only the tests whose titles match), TEST_TIMEOUT_MS
 * (per pass), MV_SHIM_VERBOSE=1. The noRepo and untrusted passes keep their code-server log and
 * failure screenshot under .test-artifacts/integration-<pass>/.
 *
 * The extension's log (its "Model Versions" output channel, every level, errors with their stack and
 * git's stderr) is kept as <artifacts>/logs/extension-<pass>.log (MV_LOG_FILE, see src/extension/log.ts).
 * A failing test prints the lines logged while it ran (suite/index.ts); a failing pass prints the log's
 * path and its last warnings and errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';
import { extensionDevelopmentPath, missingBuild } from '../support/extension';
import { ARTIFACTS, REPO_ROOT } from '../support/paths';
import { gitModelWorkspace, modelWorkspace, removeWorkspace } from '../support/workspace';

interface Pass {
  name: 'repo' | 'noRepo' | 'untrusted';
  makeWorkspace: () => string;
  artifacts: string;
  /** workspace trust on (the folder opens untrusted); off otherwise */
  trust?: boolean;
}

const PASSES: Pass[] = [
  { name: 'repo', makeWorkspace: () => gitModelWorkspace('integration-ws'), artifacts: ARTIFACTS },
  { name: 'noRepo', makeWorkspace: () => modelWorkspace('integration-norepo'), artifacts: path.join(ARTIFACTS, 'integration-noRepo') },
  { name: 'untrusted', makeWorkspace: () => modelWorkspace('integration-untrusted'), artifacts: path.join(ARTIFACTS, 'integration-untrusted'), trust: true },
];

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Where the extension's log of a pass is kept. */
function extensionLogOf(pass: Pass): string {
  return path.join(pass.artifacts, 'logs', `extension-${pass.name}.log`);
}

const MAX_PROBLEMS = 20;

/** The path of a failed pass's extension log and its last warnings and errors (each with its continuation lines: a stack). */
function printLogProblems(pass: Pass): void {
  const file = extensionLogOf(pass);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    console.error(`[integration] pass '${pass.name}': the extension wrote no log (${file})`);
    return;
  }
  const entries: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\d{4}-\d\d-\d\dT\S+ \[\w+\] /.test(line)) entries.push(line);
    else if (entries.length && line) entries[entries.length - 1] += `\n    ${line}`;
  }
  const problems = entries.filter((e) => / \[(warn|error)\] /.test(e.slice(0, 40)));
  console.error(
    `[integration] pass '${pass.name}' failed; the extension's log: ${file}` +
      (problems.length ? `; its last ${Math.min(problems.length, MAX_PROBLEMS)} of ${problems.length} warnings and errors:` : ' (no warnings or errors in it)'),
  );
  for (const p of problems.slice(-MAX_PROBLEMS)) console.error(`  ${p}`);
}

async function runPass(pass: Pass, devPath: string, countsFile: string): Promise<number> {
  const workspace = pass.makeWorkspace();
  const logFile = extensionLogOf(pass);
  fs.rmSync(logFile, { force: true }); // this run's lines only
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `mv-integration-${pass.name}-profile-`));
  try {
    return await runTests({
      vscodeExecutablePath: path.join(REPO_ROOT, 'scripts', 'code-server-test-shim.js'),
      extensionDevelopmentPath: devPath,
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      launchArgs: [
        workspace,
        `--user-data-dir=${path.join(profile, 'user-data')}`,
        `--extensions-dir=${path.join(profile, 'extensions')}`,
      ],
      extensionTestsEnv: {
        MV_COUNTS_FILE: countsFile,
        MV_ARTIFACTS: pass.artifacts,
        MV_TEST_WORKSPACE: workspace,
        MV_INTEGRATION_PASS: pass.name,
        MV_LOG_FILE: logFile,
        ...(pass.trust ? { MV_WORKSPACE_TRUST: '1' } : {}),
      },
    });
  } catch (e) {
    // runTests rejects with TestRunFailedError { code } when the run exits non-zero.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code !== 0) return code;
    console.error(`integration (${pass.name}): ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    removeWorkspace(workspace);
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const devPath = extensionDevelopmentPath();
  const notBuilt = missingBuild(devPath);
  if (notBuilt) {
    console.error(`integration: ${notBuilt}`);
    return 1;
  }
  const countsFile = path.resolve(process.env.MV_COUNTS_FILE || path.join(ARTIFACTS, 'counts', 'integration.json'));
  fs.rmSync(countsFile, { force: true }); // a crashed run must not leave an old result behind
  const only = process.env.MV_INTEGRATION_PASSES?.split(/[\s,]+/).filter(Boolean);
  const passes = only ? PASSES.filter((p) => only.includes(p.name)) : PASSES;

  const countsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-integration-counts-'));
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  let exitCode = 0;
  try {
    for (const pass of passes) {
      console.log(`\n[integration] pass '${pass.name}'`);
      const passCounts = path.join(countsDir, `${pass.name}.json`);
      const code = await runPass(pass, devPath, passCounts);
      if (code !== 0) printLogProblems(pass);
      if (code !== 0 && exitCode === 0) exitCode = code;
      let c: Counts | undefined;
      try {
        c = JSON.parse(fs.readFileSync(passCounts, 'utf8')) as Counts;
      } catch {
        c = undefined;
      }
      if (!c) {
        console.error(`[integration] pass '${pass.name}' wrote no counts (exit ${code}); counted as 1 failed`);
        total.failed += 1;
        if (exitCode === 0) exitCode = 1;
        continue;
      }
      total.passed += c.passed | 0;
      total.failed += c.failed | 0;
      total.skipped += c.skipped | 0;
    }
  } finally {
    fs.rmSync(countsDir, { recursive: true, force: true });
  }
  fs.mkdirSync(path.dirname(countsFile), { recursive: true });
  fs.writeFileSync(countsFile, JSON.stringify(total));
  console.log(
    `\n[integration] ${passes.map((p) => p.name).join(' + ')}: ${total.passed} passed, ${total.failed} failed` +
      `${total.skipped ? `, ${total.skipped} skipped` : ''}`,
  );
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
