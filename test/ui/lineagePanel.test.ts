/**
 * The Lineage panel in the real workbench. (1) A repository with a fine-tuned line — hello_deepa.onnx
 * v1 → v2 (production), models/ft.onnx derived from hello v2 with its own two versions, datasets, a
 * recorded evaluation — committed with the core library: Show Lineage from the command palette; the
 * nodes and edges are read from the page (#lineage-nodes / #lineage-edges), a click on a node in the
 * canvas shows its details, and its "Open Diff with Previous" action opens the diff panel.
 * (2) Scale: 1,050 versions of 10 models (git fast-import) render; the model filter and the search work.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Frame } from 'playwright-core';
import { evaluationNote, type ModelEvaluation } from '../../src/core/eval/evaluate';
import { ModelRepository } from '../../src/core/repo';
import { fixture, REPO_ROOT } from '../support/paths';
import { git, gitModelWorkspace, HELLO_MODEL, makeWorkspace, sha256 } from '../support/workspace';
import { workbenchSuite, type Workbench } from './helpers';
import { inside, readabilityProblems, readDrawnGraph, readLineageGraph, type DrawnGraph } from './lineagePage';
import { bigLineageRepo } from './lineageRepo';

const FT = 'models/ft.onnx';
/** The window size of the walkthrough (code-server in Chromium). */
const WINDOW = { width: 1600, height: 1000 };

/** Every node on screen (inside the canvas) and readable: labels of 10 px or more, inside their nodes. */
function assertAllReadable(g: DrawnGraph, when: string): void {
  const screen = { x1: 0, y1: 0, x2: g.width, y2: g.height };
  const off = g.nodes.filter((n) => !inside(n.box, screen, 0.5)).map((n) => `${n.kind} '${n.label.replace(/\n/g, ' / ')}'`);
  assert.deepStrictEqual(off, [], `${when}: nodes outside the ${Math.round(g.width)}×${Math.round(g.height)} canvas (zoom ${g.zoom.toFixed(2)})`);
  assert.deepStrictEqual(readabilityProblems(g), [], `${when}: unreadable nodes (zoom ${g.zoom.toFixed(2)})`);
}

/** Clicks a node in the canvas at the centre of its drawn box. */
async function clickNode(wb: Workbench, frame: Frame, g: DrawnGraph, id: string): Promise<void> {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `node ${id} is not drawn`);
  const box = (await frame.locator('#graph').boundingBox())!;
  await wb.page.mouse.click(box.x + (n.box.x1 + n.box.x2) / 2, box.y + (n.box.y1 + n.box.y2) / 2);
  await frame.locator(`#details[data-id="${id}"]`).waitFor({ timeout: 15000 });
}

/** The rows of the details pane's table `cls` (parameters, metrics) as [name, value] pairs. */
async function detailsTable(frame: Frame, cls: string): Promise<string[][]> {
  return frame.locator(`#details table.${cls} tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => (td.textContent ?? '').trim())));
}

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
    c.h2 = (await repo.commitModel(hello, 'Second version', {
      lineage: {
        datasets: [{ path: 'data/train.csv', role: 'train' }, { path: 'data/test.csv', role: 'test' }],
        params: { lr: 0.001, epochs: 3, optimizer: { name: 'adam', betas: [0.9, 0.999] } },
      },
    })).commit;
    await repo.setAlias(HELLO_MODEL, 'production', 2);
    await repo.tag(HELLO_MODEL, { version: 2, name: 'hello/v2', message: 'release' });
    fs.mkdirSync(path.join(ws, 'models'));
    fs.copyFileSync(fixture('onnx', 'namaste_deepa.onnx'), path.join(ws, FT)); // other bytes than hello v2
    c.f1 = (await repo.commitModel(path.join(ws, FT), 'Fine-tuned from hello v2', { summarize: false, lineage: { derivedFrom: { model: HELLO_MODEL, version: 'production' }, datasets: [{ path: 'data/test.csv', role: 'train' }] } })).commit;
    fs.copyFileSync(fixture('onnx', 'hello_deepa.onnx'), path.join(ws, FT));
    c.f2 = (await repo.commitModel(path.join(ws, FT), 'Fine-tuned again', { summarize: false, lineage: { params: { lr: 0.001 } } })).commit;
    await repo.addMetadata(FT, 2, evaluationNote(evaluation(path.join(ws, 'data', 'test.csv'), 0.75), 'k1'));
    return ws;
  });

  it('Show Lineage (command palette) draws the versions, datasets, code and evaluation with their edges; a click shows details', async function () {
    this.timeout(180000);
    await suite.wb.page.setViewportSize(WINDOW);
    await suite.wb.waitForContributions('Model Versions: Show Lineage');
    await suite.wb.runPaletteCommand('Model Versions: Show Lineage');
    const frame = await suite.wb.frameWith('#lineage-nodes');
    await laidOut(frame);
    const g = await readLineageGraph(frame);
    // readable as it opens: the whole graph on screen, every label at 10 px or more and inside its node
    const drawn = await readDrawnGraph(frame);
    assertAllReadable(drawn, 'on open');
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
    assert.strictEqual(g.edges.filter((e) => e.kind === 'trained-on').length, 4);
    // edge words say what happened: the test set of hello v2 is what it was evaluated on, never training data
    const testCsv = g.nodes.find((n) => n.kind === 'dataset' && n.text.startsWith('Dataset: test.csv'))!.id;
    const trainCsv = g.nodes.find((n) => n.kind === 'dataset' && n.text.startsWith('Dataset: train.csv'))!.id;
    const word = (s: string, t: string) => drawn.edges.find((e) => e.source === s && e.target === t)?.label;
    assert.strictEqual(word(testCsv, v(HELLO_MODEL, c.h2)), 'evaluated on', 'test.csv (role test) → hello v2');
    assert.strictEqual(word(testCsv, v(FT, c.f1)), 'trained on', 'test.csv (role train) → ft v1');
    assert.strictEqual(word(trainCsv, v(HELLO_MODEL, c.h1)), 'trained on');
    assert.strictEqual(word(v(HELLO_MODEL, c.h2), v(FT, c.f1)), 'derived from');
    const code = drawn.edges.filter((e) => e.kind === 'built-from');
    assert.ok(code.some((e) => e.label === 'built from code') && code.every((e) => ['built from code', ''].includes(e.label)), 'code edges');
    assert.ok(!drawn.edges.some((e) => /-/.test(e.label)), `no kind ids on the canvas: ${drawn.edges.map((e) => e.label).join(', ')}`);
    // one rule for metric values: 4 decimals
    assert.deepStrictEqual(drawn.nodes.filter((n) => n.kind === 'evaluation').map((n) => n.label), ['eval accuracy 0.7500\non test.csv']);
    assert.ok(has('evaluated', v(FT, c.f2), `evaluation:${c.f2}:${FT}:k1`));
    assert.ok(g.edges.some((e) => e.kind === 'evaluated-on' && e.target === `evaluation:${c.f2}:${FT}:k1`));
    const legend = await frame.locator('#legend').innerText();
    for (const k of ['Model version', 'Dataset', 'Code commit', 'Evaluation']) assert.ok(legend.includes(k), `legend has ${k}`);

    // a real click on the canvas, at the node's on-screen centre
    await clickNode(suite.wb, frame, drawn, v(HELLO_MODEL, c.h2));
    const details = await frame.locator('#details').innerText();
    assert.match(details, /hello_deepa\.onnx v2 ⟨production⟩ #hello\/v2/);
    assert.match(details, /Second version/);
    assert.match(details, /base of +ft\.onnx v1/);
    assert.match(details, /evaluated on +test\.csv/);
    assert.match(details, /trained on +train\.csv/);
    // the training parameters as a table (nested keys dotted), not JSON
    assert.deepStrictEqual(await detailsTable(frame, 'params'), [['epochs', '3'], ['lr', '0.001'], ['optimizer.betas', '[0.9, 0.999]'], ['optimizer.name', 'adam']]);
    assert.doesNotMatch(details, /[{}"]/, 'no JSON in the details');
    const actions = await frame.locator('#details vscode-button').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    assert.deepStrictEqual(actions, ['openDiff', 'compare', 'restore', 'reveal', 'copyId']);
    await suite.wb.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    await suite.wb.screenshot('lineage');
    // the evaluation: its metrics as a table, formatted as on the canvas
    await clickNode(suite.wb, frame, drawn, `evaluation:${c.f2}:${FT}:k1`);
    assert.deepStrictEqual(await detailsTable(frame, 'metrics'), [['accuracy', '0.7500']]);
    await clickNode(suite.wb, frame, drawn, v(HELLO_MODEL, c.h2));

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

/** 1,050 versions of 10 models on one branch, each trained on one of 5 datasets, built from the first commit. */
const bigRepo = () => bigLineageRepo('ui-lineage-big', { models: MODELS, perModel: PER_MODEL });

describe('UI: the Lineage panel at 1,000+ nodes', function () {
  const suite = workbenchSuite('lineageScale', bigRepo, 180000);

  it('renders 1,050 versions; the model filter and the search work', async function () {
    this.timeout(300000);
    await suite.wb.page.setViewportSize(WINDOW);
    await suite.wb.waitForContributions('Model Versions: Show Lineage');
    await suite.wb.runPaletteCommand('Model Versions: Show Lineage');
    const frame = await suite.wb.frameWith('#lineage-nodes', 120000);
    const all = await laidOut(frame);
    assert.strictEqual(all.nodes, MODELS * PER_MODEL + 5 + 1, '1,050 versions, 5 datasets, 1 code commit');
    assert.strictEqual(all.edges, MODELS * (PER_MODEL - 1) + 2 * MODELS * PER_MODEL, 'parent, trained-on and built-from edges');
    console.log(`      layout of ${all.nodes} nodes / ${all.edges} edges (dagre, in the webview): ${all.ms} ms`);
    // too big to read whole: it opens readable on part of the graph and says how much is off screen
    const drawn = await readDrawnGraph(frame);
    const screen = { x1: 0, y1: 0, x2: drawn.width, y2: drawn.height };
    const onScreen = drawn.nodes.filter((n) => inside(n.box, screen, 0.5));
    assert.ok(onScreen.length >= 5, `${onScreen.length} nodes on screen at zoom ${drawn.zoom.toFixed(2)}`);
    assert.deepStrictEqual(readabilityProblems(drawn), [], `readable on open (zoom ${drawn.zoom.toFixed(2)})`);
    const hint = frame.locator('#offscreen-hint');
    assert.strictEqual(await hint.getAttribute('data-count'), String(all.nodes - onScreen.length), await hint.innerText());
    assert.match(await hint.innerText(), new RegExp(`${(all.nodes - onScreen.length).toLocaleString('en-US')} more nodes off screen`));
    await suite.wb.screenshot('lineage-scale');
    // Fit all: the whole graph, and the hint goes
    await hint.locator('vscode-button').click();
    await frame.waitForFunction(() => document.getElementById('offscreen-hint')?.hidden === true, undefined, { timeout: 15000 });
    const fitted = await readDrawnGraph(frame);
    assert.deepStrictEqual(fitted.nodes.filter((n) => !inside(n.box, { x1: 0, y1: 0, x2: fitted.width, y2: fitted.height }, 0.5)).length, 0, 'Fit all shows every node');
    await suite.wb.screenshot('lineage-scale-fit');

    // filter by model: one model's versions and their inputs
    await frame.locator('#model-filter').evaluate((el) => {
      (el as HTMLElement & { value: string }).value = 'models/m3.onnx';
      el.dispatchEvent(new Event('change'));
    });
    const one = await laidOut(frame, `${all.ms}/${all.nodes}/${all.edges}`);
    assert.strictEqual(one.nodes, PER_MODEL + 1 + 1, 'm3 (version i = 10k + 3) is trained on d3 only, built from the one code commit');
    assert.deepStrictEqual(readabilityProblems(await readDrawnGraph(frame)), [], 'one model: readable after the filter');
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

// ------------------------------------------------------------------------------------ the demo repository

/** The repository of the walkthrough: `node dist/demo.js DIR` (the real generator, a few seconds). */
function demoRepository(): string {
  const demo = path.join(REPO_ROOT, 'dist', 'demo.js');
  if (!fs.existsSync(demo)) throw new Error(`${demo} is missing: run npm run build first (it bundles the demo generator).`);
  const root = path.join(makeWorkspace('ui-lineage-demo', {}), 'model-versions-demo');
  try {
    execFileSync(process.execPath, [demo, root, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`node dist/demo.js ${root} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
  return root;
}

describe('UI: the Lineage panel of the demo repository at 1600×1000', function () {
  const suite = workbenchSuite('lineageDemo', demoRepository, 180000);

  it('opens readable: the whole graph on screen, labels of 10 px or more inside their nodes, test data never as training data, parameters as a table', async function () {
    this.timeout(180000);
    const MODEL = 'models/purchase_model.onnx';
    await suite.wb.page.setViewportSize(WINDOW);
    await suite.wb.waitForContributions('Model Versions: Show Lineage');
    await suite.wb.runPaletteCommand('Model Versions: Show Lineage');
    const frame = await suite.wb.frameWith('#lineage-nodes', 120000);
    await laidOut(frame);
    const drawn = await readDrawnGraph(frame);
    assert.strictEqual(drawn.nodes.length, 10, drawn.nodes.map((n) => n.label).join(' | '));
    assertAllReadable(drawn, 'on open');
    assert.strictEqual(await frame.locator('#offscreen-hint').isHidden(), true, 'nothing off screen, no hint');

    // every version was recorded with train.csv (role train) and test.csv (role test)
    // (of the edges from one node with the same words, the first carries them; the others show them when selected)
    const datasetId = (name: string) => drawn.nodes.find((n) => n.kind === 'dataset' && n.label.startsWith(name))!.id;
    const words = (from: string, kind = 'trained-on') => [...new Set(drawn.edges.filter((e) => e.source === from && e.kind === kind).map((e) => e.label).filter(Boolean))];
    assert.deepStrictEqual(words(datasetId('test.csv')), ['evaluated on'], 'the test set is what the versions were evaluated on');
    assert.deepStrictEqual(words(datasetId('train.csv')), ['trained on']);
    assert.ok(words(datasetId('test.csv'), 'evaluated-on').every((w) => w === 'evaluated on'));
    // metric values: one rule (4 decimals) on every evaluation
    const evals = drawn.nodes.filter((n) => n.kind === 'evaluation').map((n) => n.label);
    assert.strictEqual(evals.length, 3);
    for (const l of evals) assert.match(l, /^eval accuracy \d\.\d{4}\non test\.csv$/, l);

    // v3's details: its parameters as a table
    const g = await readLineageGraph(frame);
    const v3 = g.nodes.find((n) => n.kind === 'version' && n.text.includes('purchase_model.onnx v3'))!;
    assert.ok(v3.id.startsWith(`version:${MODEL}@`));
    await clickNode(suite.wb, frame, drawn, v3.id);
    const params = await detailsTable(frame, 'params');
    assert.deepStrictEqual(params.map((r) => r[0]).sort(), ['architecture', 'batch_size', 'dropout', 'epochs', 'learning_rate', 'optimizer', 'seed', 'validation_split']);
    assert.deepStrictEqual(params.find((r) => r[0] === 'learning_rate'), ['learning_rate', '0.0003']);
    assert.deepStrictEqual(params.find((r) => r[0] === 'optimizer'), ['optimizer', 'adam']);
    const details = await frame.locator('#details').innerText();
    assert.doesNotMatch(details, /[{}"]/, 'no JSON in the details');
    assert.match(details, /evaluated on +test\.csv/);
    // selected: its edges show their words, the test set's as evaluated on
    const selectedEdges = (await readDrawnGraph(frame)).edges.filter((e) => e.target === v3.id && e.kind === 'trained-on');
    assert.deepStrictEqual(selectedEdges.map((e) => e.label).sort(), ['evaluated on', 'trained on']);
    assert.doesNotMatch(details, /trained[- ]on[^\n]*test\.csv/);
    await suite.wb.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    await suite.wb.screenshot('lineage-demo');

    // Fit keeps it readable (it all fits at a readable size)
    await frame.locator('vscode-button', { hasText: /^\s*Fit\s*$/ }).click();
    assertAllReadable(await readDrawnGraph(frame), 'after Fit');
  });
});
