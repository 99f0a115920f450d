/**
 * What `npm start` serves (scripts/start.sh ends in scripts/serve.sh): code-server on a loopback port
 * whose bare URL — what a user types after reading the README — opens the demo repository with the
 * extension, with no Workspace Trust dialog and with the demo's README open; Ctrl+C (SIGINT) stops
 * code-server's whole process group and removes the temp state folder.
 */
import * as assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/paths';
import { removeWorkspace } from '../support/workspace';
import { makeDemoRepository } from './demoRepo';
import { freePort, Workbench } from './helpers';

const SERVE = path.join(REPO_ROOT, 'scripts', 'serve.sh');
const VIEW = 'Model Versions';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The processes whose command line mentions `text` (by /proc), as "pid args". */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmd.includes(text)) found.push(`${pid} ${cmd}`);
  }
  return found;
}

describe('UI: npm start serves the demo with the extension (scripts/serve.sh)', function () {
  let demo = '';
  let port = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let output = '';
  let state = '';
  const wb = new Workbench({ name: 'serve', viewport: { width: 1600, height: 1000 } });

  before(async function () {
    this.timeout(180000);
    demo = makeDemoRepository('ui-serve');
    port = await freePort();
    child = spawn('bash', [SERVE, demo], { env: { ...process.env, MV_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => child!.on('exit', (code, signal) => resolve({ code, signal })));
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 90000;
    while (!/Press Ctrl\+C to stop/.test(output)) {
      if (child.exitCode !== null) throw new Error(`scripts/serve.sh exited (${child.exitCode}) before serving:\n${output}`);
      if (Date.now() > deadline) throw new Error(`scripts/serve.sh did not say it serves within 90 s:\n${output}`);
      await sleep(200);
    }
    state = /\(state, removed on exit: (.+)\)/.exec(output)?.[1] ?? '';
    assert.ok(state && fs.existsSync(state), `the state folder it names exists: '${state}'\n${output}`);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb.screenshotOnFailure(this.currentTest.fullTitle());
  });

  after(async function () {
    this.timeout(30000);
    await wb.stop();
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15000)]);
    }
    if (demo) removeWorkspace(path.dirname(demo));
  });

  it('prints the bare URL, which redirects to the demo folder', async () => {
    assert.ok(output.includes(`http://127.0.0.1:${port}/\n`), `the URL it prints:\n${output}`);
    const res = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
    assert.strictEqual(res.status, 302, `GET / answers ${res.status}`);
    const to = new URL(res.headers.get('location') ?? '', `http://127.0.0.1:${port}/`);
    assert.strictEqual(to.searchParams.get('folder'), demo, `GET / redirects to ${to}`);
  });

  it('the bare URL opens the demo with the extension: no trust dialog, its README open, the models in the Model Versions view', async function () {
    this.timeout(180000);
    await wb.open(`http://127.0.0.1:${port}/`, 120000); // waits for the extension's commands in the palette
    const page = wb.page;
    assert.strictEqual(await page.locator('.monaco-dialog-box').isVisible(), false, 'no dialog (Workspace Trust) in the way');
    assert.doesNotMatch(await page.title(), /Restricted/, 'not in Restricted Mode');
    // the demo's README, with its "Things to try", opened as the startup editor
    await page.locator('.tabs-container .tab', { hasText: /README\.md/ }).first().waitFor({ state: 'visible', timeout: 60000 });
    const readme = await wb.frameWith('h2:has-text("Things to try")', 60000);
    assert.match(await readme.locator('body').innerText(), /Compare with Previous Version/);
    await wb.openModelVersionsContainer();
    const desc = await wb.waitForTreeRow(VIEW, 'purchase_model.onnx', { description: /\b3 versions\b/, timeoutMs: 60000 });
    assert.match(desc, /^models · 3 versions$/, desc);
    await wb.screenshot('npm-start');
  });

  it('Ctrl+C (SIGINT) stops code-server and removes the state folder', async function () {
    this.timeout(60000);
    await wb.stop();
    assert.ok(child && child.exitCode === null, `serve.sh still runs before SIGINT:\n${output}`);
    child.kill('SIGINT');
    const end = await Promise.race([exited, sleep(30000).then(() => undefined)]);
    assert.ok(end, `serve.sh did not exit within 30 s of SIGINT:\n${output}`);
    assert.deepStrictEqual(end, { code: 130, signal: null }, `exit status after SIGINT:\n${output}`);
    assert.strictEqual(fs.existsSync(state), false, `the state folder ${state} is removed`);
    assert.deepStrictEqual(processesMentioning(state), [], 'no process of that code-server is left');
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) }).then(
      (r) => `HTTP ${r.status}`,
      () => 'nothing',
    );
    assert.strictEqual(answer, 'nothing', `port ${port} answers after the stop`);
  });
});
