/**
 * Find Versions… as the Model Versions view's filter (issue #16): the title-bar button opens the quick
 * input, a wrong filter is refused there with the known names, a query filters the tree (the versions
 * that do not match hidden, a model without any says "no matching versions"), the view's description
 * shows the filter, and Clear Filter (shown only while a filter is active) restores the tree.
 * The repository: two models of four versions each, their accuracy in the Model-Metrics trailers,
 * written with `git fast-import` (LFS pointers only; no model is read).
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { git, initGitRepo, makeWorkspace } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
/** accuracy of each version: a.onnx v3 and v4 reach 0.9, b.onnx none */
const ACCURACY: Record<string, number[]> = { a: [0.8, 0.85, 0.91, 0.93], b: [0.7, 0.75, 0.8, 0.82] };

function repoWithMetrics(): string {
  const ws = makeWorkspace('ui-find', { 'README.md': '# find\n' });
  initGitRepo(ws);
  const parts: string[] = [];
  let t = 1_793_000_000;
  let first = true;
  for (let v = 1; v <= 4; v++) {
    for (const m of ['a', 'b']) {
      const oid = crypto.createHash('sha256').update(`${m}${v}`).digest('hex');
      const p = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${1000 + v}\n`;
      const msg = `${m} run ${v}\n\nModel-Versions-Trailers: 1\nModel-Path: models/${m}.onnx\nModel-Oid: sha256:${oid}\nModel-Metrics: accuracy=${ACCURACY[m][v - 1]}\n`;
      const lines = ['commit refs/heads/main', `author T <t@example.com> ${t} +0000`, `committer T <t@example.com> ${t} +0000`, `data ${Buffer.byteLength(msg)}`, msg.slice(0, -1)];
      if (first) {
        lines.push(`from ${git(ws, 'rev-parse', 'HEAD').trim()}`);
        const attrs = '*.onnx filter=lfs diff=lfs merge=lfs -text\n';
        lines.push('M 100644 inline .gitattributes', `data ${attrs.length}`, attrs.slice(0, -1));
        first = false;
      }
      lines.push(`M 100644 inline models/${m}.onnx`, `data ${p.length}`, p.slice(0, -1));
      parts.push(lines.join('\n') + '\n');
      t += 3600;
    }
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: ws, input: parts.join(''), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fast-import: ${r.stderr}`);
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: ws, env: { ...process.env, GIT_LFS_SKIP_SMUDGE: '1' }, stdio: 'ignore' });
  return ws;
}

describe('UI: Find Versions filter', function () {
  const suite = workbenchSuite('findVersions', repoWithMetrics, 120000, { viewport: { width: 1600, height: 1000 } });

  it('filters the tree from its title bar, shows the filter, refuses an unknown metric, and clears', async () => {
    const wb = suite.wb;
    const page = wb.page;
    const pane = await wb.openModelVersionsContainer();
    await wb.waitForTreeRow(VIEW, 'a.onnx', { description: /4 versions/ });
    await wb.waitForTreeRow(VIEW, 'b.onnx', { description: /4 versions/ });
    const header = pane.locator('.pane-header').first();
    const action = (label: string) => header.locator(`.action-label[aria-label="${label}"]`);
    assert.strictEqual(await action('Clear Filter').count(), 0, 'no Clear Filter while no filter is active');

    await header.hover();
    await action('Find Versions…').click();
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'Find Versions' }).waitFor({ state: 'visible' });
    const input = widget.locator('.quick-input-box input');
    const firstRow = widget.locator('.quick-input-list .monaco-list-row').first();

    // a misspelt metric: refused in place, with the names it knows
    await input.fill('acc>=0.9');
    await firstRow.filter({ hasText: /unknown metric 'acc'.*known metrics: accuracy/ }).waitFor({ state: 'visible' });
    await input.press('Enter');
    assert.ok(await widget.isVisible(), 'Enter on a wrong filter keeps the input open');

    // the suggestions offer the metric by name
    await input.fill('accu');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'accuracy>=' }).first().waitFor({ state: 'visible' });

    await input.fill('accuracy>=0.9');
    await firstRow.filter({ hasText: /2 versions match/ }).waitFor({ state: 'visible' });
    await input.press('Enter');
    await widget.waitFor({ state: 'hidden' });

    await wb.waitForTreeRow(VIEW, 'a.onnx', { description: /2 of 4 versions match/ });
    await wb.waitForTreeRow(VIEW, 'b.onnx', { description: /no matching versions/ });
    await wb.waitForTreeRow(VIEW, 'v4');
    const rows = await wb.readTree(VIEW, { waitFor: 'v3' });
    assert.deepStrictEqual(rows, ['a.onnx', 'v4', 'v3', 'b.onnx'], 'only the matching versions show');
    const description = ((await header.locator('.description').textContent()) ?? '').trim();
    assert.strictEqual(description, 'Filter: accuracy>=0.9');
    await pane.locator('.pane-body', { hasText: 'Versions matching: accuracy>=0.9' }).waitFor({ state: 'visible' });
    await page.mouse.move(900, 500); // off the header: its buttons hide, the description shows
    await wb.screenshot('find-versions-filter');

    // modelVersions.find.nonMatching = dim: the other versions show again, greyed (a file decoration's colour)
    fs.mkdirSync(path.join(suite.workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(suite.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'modelVersions.find.nonMatching': 'dim' }));
    await wb.waitForTreeRow(VIEW, 'v1');
    assert.deepStrictEqual(await wb.readTree(VIEW, { waitFor: 'v2' }), ['a.onnx', 'v4', 'v3', 'v2', 'v1', 'b.onnx']);
    const color = (label: string) => wb.treeRow(VIEW, label).locator('.label-name').evaluate((el) => getComputedStyle(el).color);
    // file decorations reach a row after it renders (VS Code asks the provider asynchronously): wait up to 5 s
    let greyed = false;
    for (const deadline = Date.now() + 5000; !greyed && Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      greyed = (await color('v1')) !== (await color('v4'));
    }
    assert.ok(greyed, `a version that does not match is greyed (v1 ${await color('v1')}, v4 ${await color('v4')})`);
    await page.mouse.move(900, 500);
    await wb.screenshot('find-versions-dim');

    await header.hover();
    await action('Clear Filter').click();
    await wb.waitForTreeRow(VIEW, 'a.onnx', { description: /models · 4 versions$/ });
    await wb.waitForTreeRow(VIEW, 'b.onnx', { description: /4 versions/ });
    assert.strictEqual(((await header.locator('.description').textContent().catch(() => '')) ?? '').trim(), '');
    // the view's message is cleared by its own update, which can reach the page after the rows: wait up to 5 s
    await pane.locator('.pane-body', { hasText: 'Versions matching' }).waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
    assert.strictEqual(await pane.locator('.pane-body', { hasText: 'Versions matching' }).count(), 0, 'the message is gone with the filter');
    await header.hover();
    assert.strictEqual(await action('Clear Filter').count(), 0, 'Clear Filter is gone with the filter');
  });
});
