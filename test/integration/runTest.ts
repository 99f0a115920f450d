/**
 * Runs the extension tests in test/integration/suite inside a real VS Code 1.100 (code-server) with
 * @vscode/test-electron. test-electron would download a desktop VS Code; instead it is pointed at
 * scripts/code-server-test-shim.js, which takes VS Code's arguments and runs the tests in code-server
 * and headless Chromium (needs `bash scripts/install-code-server.sh` and Debian's chromium).
 *
 *   node out/test/integration/runTest.js      (after npm run build and npx tsc -p tsconfig.test.json)
 *
 * Env: MV_EXTENSION_DEV_PATH (test another build of the extension; default: the repository),
 * MV_COUNTS_FILE (default .test-artifacts/counts/integration.json), TEST_TIMEOUT_MS, MV_SHIM_VERBOSE=1.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';
import { extensionDevelopmentPath, missingBuild } from '../support/extension';
import { ARTIFACTS, REPO_ROOT } from '../support/paths';
import { modelWorkspace, removeWorkspace } from '../support/workspace';

async function main(): Promise<number> {
  const devPath = extensionDevelopmentPath();
  const notBuilt = missingBuild(devPath);
  if (notBuilt) {
    console.error(`integration: ${notBuilt}`);
    return 1;
  }
  const countsFile = path.resolve(process.env.MV_COUNTS_FILE || path.join(ARTIFACTS, 'counts', 'integration.json'));
  fs.rmSync(countsFile, { force: true }); // a crashed run must not leave an old result behind

  const workspace = modelWorkspace('integration-ws');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-integration-profile-'));
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
        MV_ARTIFACTS: ARTIFACTS,
        MV_TEST_WORKSPACE: workspace,
      },
    });
  } catch (e) {
    // runTests rejects with TestRunFailedError { code } when the run exits non-zero.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code !== 0) return code;
    console.error(`integration: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    removeWorkspace(workspace);
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
