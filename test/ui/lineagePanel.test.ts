/**
 * The Lineage panel in the real workbench. (1) A repository with a fine-tuned line — hello_deepa.onnx
 * v1 → v2 (production), models/ft.onnx derived from hello v2 with its own two versions, datasets, a
 * recorded evaluation — committed with the core library: Show Lineage from the command palette; the
 * nodes and edges are read from the page (#lineage-nodes / #lineage-edges), a click on a node in the
 * canvas shows its details, and its "Open Diff with Previous" action opens the diff panel.
 * (2) Scale: 1,050 versions of 10 models (git fast-import) render; the model filter and the search work.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Frame } from 'playwright-core';
import { evaluationNote, type ModelEvaluation } from '../../src/core/eval/evaluate';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { git, gitModelWorkspace, HELLO_MODEL, initGitRepo, makeWorkspace, sha256 } from '../support/workspace';
import { workbenchSuite } from './helpers';
import { readLineageGraph } from './lineagePage';

const FT = 'models/ft.onnx';

/** Waits for a layout of `#graph` different from `previous` (data-layout-ms and counts are set when it ends). */
async function laidOut(frame: Frame, previous = ''): Promise<{ ms: number; nodes: number; edges: number }> {
  await frame.waitForFunction((prev) => {
    const g = document.getElementById('graph');
    return !!g && g.dataset.layoutMs !== undefined && `${g.dataset.layoutMs}/${g.dataset.nodes}/${g.dataset.edges}` !== prev;
  }, previous, { timeout: 120000 });
  return frame.evaluate(() => {
    const g = document.getElementById('graph')!;
    return { ms: Number(g.dataset.layoutMs), nodes: Number(g.dataset.nodes), edges: Number(g.dataset.edges) };
  });
}

function evaluation(file: string, accuracy: number): ModelEvaluation {
  return {
    task: 'binary', provider: 'cpu', rows: 2, metrics: { accuracy }, cv: {}, cvFolds: 0,
    dataset: { file, sha256: sha256(file), rows: 2, label: 'y', features: ['a'] },
  } as unknown as ModelEvaluation;
}

describe('UI: the Lineage panel', function () {
  const c: Record<string, string> = {};
  const suite = workbenchSuite('lineage', async () => {
    const ws = gitModelWorkspace('ui-lineage');
    fs.mkdirSync(path.join(ws, 'data'));
    fs.writeFileSync(path.join(ws, 'data', 'train.csv'), 'a,y\n1,0\n2,1\n');
    fs.writeFileSync(path.join(ws, 'data', 'test.csv'), 'a,y\n3,1\n4,0\n');
    git(ws, 'add', 'data');
    git(ws, 'commit', '-q', '-m', 'Data');
    const repo = await ModelRepository.open(ws);
    const hello = path.join(ws, HELLO_MODEL);
    c.h1 = (await repo.commitModel(hello, 'First version', { lineage: { datasets: [{ path: 'data/train.csv', role: 'train' }], params: { lr: 0.01 } } })).commit;
    fs.copyFileSync(fixture('onnx', 'hello_deepa_old.onnx'), hello);
    c.h2 = (await repo.commitModel(hello, 'Second version', { lineage: { datasets: [{ path: 'data/train.csv', role: 'train' }] } })).commit;
    await repo.setAlias(HELLO_MODEL, 'production', 2);
    await repo.tag(HELLO_MODEL, { version: 2, name: 'hello/v2', message: 'release' });
    fs.mkdirSync(path.join(ws, 'models'));
    fs.copyFileSync(fixture('onnx', 'hello_deepa_old.onnx'), path.join(ws, FT));
    fs.appendFileSync(path.join(ws, FT), Buffer.from([0])); // other bytes than hello v2 (a trailing byte the reader ignores)
    c.f1 = (await repo.commitModel(path.join(ws, FT), 'Fine-tuned from hello v2', { summarize: false, lineage: { derivedFrom: { model: HELLO_MODEL, version: 'production' }, datasets: [{ path: 'data/test.csv', role: 'train' }] } })).commit;
    fs.copyFileSync(fixture('onnx', 'hello_deepa.onnx'), path.join(ws, FT));
    c.f2 = (await repo.commitModel(path.join(ws, FT), 'Fine-tuned again', { summarize: false, lineage: { params: { lr: 0.001 } } })).commit;
    await repo.addMetadata(FT, 2, evaluationNote(evaluation(path.join(ws, 'data', 'test.csv'), 0.75), 'k1'));
    return ws;
  });

  it('Show Lineage (command palette) draws the versions, datasets, code and evaluation with their edges; a click shows details', async function () {
    this.timeout(180000);
    await suite.wb.waitForContributions('Model Versions: Show Lineage');
    await suite.wb.runPaletteCommand('Model Versions: Show Lineage');
    const frame = await suite.wb.frameWith('#lineage-nodes');
    await laidOut(frame);
    const g = await readLineageGraph(frame);
    const v = (m: string, commit: string) => `version:${m}@${commit}`;
    const versions = g.nodes.filter((n) => n.kind === 'version').map((n) => n.text).sort();
    assert.deepStrictEqual(versions, [
      'Model version: ft.onnx v1',
      'Model version: ft.onnx v2',
      'Model version: hello_deepa.onnx v1',
      'Model version: hello_deepa.onnx v2 ⟨production⟩ #hello/v2',
    ]);
    assert.deepStrictEqual(g.nodes.filter((n) => n.kind === 'dataset').map((n) => n.text.replace(/ [0-9a-f]{8}$/, '')).sort(), ['Dataset: test.csv', 'Dataset: train.csv']);
    assert.strictEqual(g.nodes.filter((n) => n.kind === 'evaluation').length, 1);
    assert.ok(g.nodes.filter((n) => n.kind === 'code').length >= 2, 'code commits');
    const has = (kind: string, s: string, t: string) => g.edges.some((e) => e.kind === kind && e.source === s && e.target === t);
    assert.ok(has('parent', v(HELLO_MODEL, c.h1), v(HELLO_MODEL, c.h2)), 'hello v1 → v2');
    assert.ok(has('parent', v(FT, c.f1), v(FT, c.f2)), 'ft v1 → v2');
    assert.ok(has('derived-from', v(HELLO_MODEL, c.h2), v(FT, c.f1)), 'ft v1 derived from hello v2');
    assert.strictEqual(g.edges.filter((e) => e.kind === 'trained-on').length, 3);
    assert.ok(has('evaluated', v(FT, c.f2), `evaluation:${c.f2}:${FT}:k1`));
    assert.ok(g.edges.some((e) => e.kind === 'evaluated-on' && e.target === `evaluation:${c.f2}:${FT}:k1`));
    const legend = await frame.locator('#legend').innerText();
    for (const k of ['Model version', 'Dataset', 'Code commit', 'Evaluation']) assert.ok(legend.includes(k), `legend has ${k}`);

    // a real click on the canvas, at the node's on-screen centre
    const target = g.nodes.find((n) => n.id === v(HELLO_MODEL, c.h2))!;
    const box = (await frame.locator('#graph').boundingBox())!;
    await suite.wb.page.mouse.click(box.x + target.x, box.y + target.y);
    await frame.locator(`#details[data-id="${target.id}"]`).waitFor({ timeout: 15000 });
    const details = await frame.locator('#details').innerText();
    assert.match(details, /hello_deepa\.onnx v2 ⟨production⟩ #hello\/v2/);
    assert.match(details, /Second version/);
    assert.match(details, /derived-from → +ft\.onnx v1/);
    const actions = await frame.locator('#details vscode-button').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    assert.deepStrictEqual(actions, ['openDiff', 'compare', 'restore', 'reveal', 'copyId']);
    await suite.wb.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    await suite.wb.screenshot('lineage');

    // an action goes back to the host and runs the existing command
    await frame.locator('#details vscode-button[data-action="openDiff"]').click();
    await suite.wb.page.locator('.tabs-container .tab', { hasText: `${HELLO_MODEL} v1 ↔ v2` }).waitFor({ state: 'visible', timeout: 60000 });
  });

  it("Commit Model Version…: the message box's 'Add Lineage…' button records a dataset; Enter commits", async function () {
    this.timeout(180000);
    const page = suite.wb.page;
    fs.copyFileSync(fixture('onnx', HELLO_MODEL), path.join(suite.workspace, HELLO_MODEL)); // v1's bytes again: a change
    await suite.wb.openExplorerView();
    await suite.wb.pickContextMenuItem(HELLO_MODEL, 'Commit Model Version…');
    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    await widget.locator('.quick-input-title', { hasText: `Commit Model Version: ${HELLO_MODEL}` }).waitFor({ timeout: 30000 });
    await input.fill('Back to the first weights');
    await widget.locator('.quick-input-titlebar .action-label[aria-label^="Add Lineage"]').click();
    const row = (text: string) => widget.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await widget.locator('.quick-input-title', { hasText: `Lineage of ${HELLO_MODEL}` }).waitFor({ timeout: 15000 });
    await row('Datasets…').click();
    await widget.locator('.quick-input-title', { hasText: 'Datasets used for' }).waitFor({ timeout: 15000 });
    await input.fill('train.csv');
    await row('train.csv').click(); // a click on a row of a multi-select pick toggles it
    await widget.locator('.quick-input-count', { hasText: '1 Selected' }).waitFor({ timeout: 10000 });
    await input.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'Role of data/train.csv' }).waitFor({ timeout: 15000 });
    await input.press('Enter'); // the guess: train
    await widget.locator('.quick-input-title', { hasText: `Lineage of ${HELLO_MODEL}` }).waitFor({ timeout: 15000 });
    await row('Back to the message').click();
    await widget.locator('.quick-input-title', { hasText: `Commit Model Version: ${HELLO_MODEL}` }).waitFor({ timeout: 15000 });
    assert.strictEqual(await input.inputValue(), 'Back to the first weights', 'the message is kept');
    assert.match(await widget.locator('.quick-input-message, .quick-input-header').first().innerText(), /Lineage: train: train\.csv/);
    await input.press('Enter');
    await suite.wb.waitForNotification(/Committed hello_deepa\.onnx as v3/);
    const trailer = git(suite.workspace, 'log', '-1', '--format=%(trailers:key=Model-Dataset,valueonly)').trim();
    assert.strictEqual(trailer, `train data/train.csv sha256:${sha256(path.join(suite.workspace, 'data', 'train.csv'))} git:${git(suite.workspace, 'rev-parse', 'HEAD:data/train.csv').trim()}`);
    assert.match(git(suite.workspace, 'log', '-1', '--format=%(trailers:key=Model-Code,valueonly)').trim(), /^[0-9a-f]{40}$/);
  });
});

// ------------------------------------------------------------------------------------ scale

const MODELS = 10;
const PER_MODEL = 105;

function pointer(seed: string): string {
  const oid = crypto.createHash('sha256').update(seed).digest('hex');
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${1000 + (parseInt(oid.slice(0, 4), 16) % 5000)}\n`;
}

/** 1,050 versions of 10 models on one branch, each trained on one of 5 datasets, built from the first commit. */
function bigRepo(): string {
  const ws = makeWorkspace('ui-lineage-big', { 'README.md': '# big\n' });
  initGitRepo(ws);
  const code = git(ws, 'rev-parse', 'HEAD').trim();
  const parts: string[] = [];
  let t = 1_700_000_000;
  let mark = 1;
  for (let i = 0; i < MODELS * PER_MODEL; i++) {
    const m = i % MODELS;
    const ver = Math.floor(i / MODELS) + 1;
    const ds = crypto.createHash('sha256').update(`ds${i % 5}`).digest('hex');
    const msg = `m${m} run ${ver}\n\nModel-Dataset: train data/d${i % 5}.csv sha256:${ds}\nModel-Code: ${code}\n`;
    const lines = ['commit refs/heads/main', `mark :${mark++}`, `author T <t@example.com> ${t} +0000`, `committer T <t@example.com> ${t} +0000`, `data ${Buffer.byteLength(msg)}`, msg.slice(0, -1)];
    if (i === 0) {
      lines.push(`from ${code}`);
      const attrs = '*.onnx filter=lfs diff=lfs merge=lfs -text\n';
      lines.push('M 100644 inline .gitattributes', `data ${attrs.length}`, attrs.slice(0, -1));
    }
    const p = pointer(`m${m}:${ver}`);
    lines.push(`M 100644 inline models/m${m}.onnx`, `data ${p.length}`, p.slice(0, -1));
    parts.push(lines.join('\n') + '\n');
    t += 60;
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: ws, input: parts.join(''), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fast-import: ${r.stderr}`);
  // the LFS objects do not exist (pointers only): check out the pointers as they are
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: ws, env: { ...process.env, GIT_LFS_SKIP_SMUDGE: '1' }, stdio: 'ignore' });
  return ws;
}

describe('UI: the Lineage panel at 1,000+ nodes', function () {
  const suite = workbenchSuite('lineageScale', bigRepo, 180000);

  it('renders 1,050 versions; the model filter and the search work', async function () {
    this.timeout(300000);
    await suite.wb.waitForContributions('Model Versions: Show Lineage');
    await suite.wb.runPaletteCommand('Model Versions: Show Lineage');
    const frame = await suite.wb.frameWith('#lineage-nodes', 120000);
    const all = await laidOut(frame);
    assert.strictEqual(all.nodes, MODELS * PER_MODEL + 5 + 1, '1,050 versions, 5 datasets, 1 code commit');
    assert.strictEqual(all.edges, MODELS * (PER_MODEL - 1) + 2 * MODELS * PER_MODEL, 'parent, trained-on and built-from edges');
    console.log(`      layout of ${all.nodes} nodes / ${all.edges} edges (dagre, in the webview): ${all.ms} ms`);
    await suite.wb.screenshot('lineage-scale');

    // filter by model: one model's versions and their inputs
    await frame.locator('#model-filter').evaluate((el) => {
      (el as HTMLElement & { value: string }).value = 'models/m3.onnx';
      el.dispatchEvent(new Event('change'));
    });
    const one = await laidOut(frame, `${all.ms}/${all.nodes}/${all.edges}`);
    assert.strictEqual(one.nodes, PER_MODEL + 1 + 1, 'm3 (version i = 10k + 3) is trained on d3 only, built from the one code commit');
    const g = await readLineageGraph(frame);
    assert.ok(g.nodes.filter((n) => n.kind === 'version').every((n) => n.text.startsWith('Model version: m3.onnx v')), 'only m3.onnx versions');
    console.log(`      layout of one model (${one.nodes} nodes): ${one.ms} ms`);

    // search: v77 matches one version of m3; Enter selects it
    await frame.locator('#search input').fill('v77');
    await frame.waitForFunction(() => document.getElementById('graph')?.dataset.matches === '1', undefined, { timeout: 15000 });
    assert.strictEqual(await frame.locator('#lineage-nodes li[data-match]').count(), 1);
    await frame.locator('#search input').press('Enter');
    await frame.locator('#details[data-id^="version:models/m3.onnx@"]').waitFor({ timeout: 15000 });
    assert.match(await frame.locator('#details h2').innerText(), /^m3\.onnx v77$/);
    // hiding datasets and code leaves the versions only
    await frame.locator('#show-dataset').click();
    await frame.locator('#show-code').click();
    await frame.waitForFunction(() => document.getElementById('graph')?.dataset.nodes === '105', undefined, { timeout: 60000 });
    await suite.wb.screenshot('lineage-scale-filtered');
  });
});
