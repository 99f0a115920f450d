/**
 * Compare Models… and Evaluate Version… through the real vscode API, with a local evaluation host
 * (dist/evalHost.js, a child process of the extension host).
 *
 * Runs last in the repo pass ('repoEvaluate.test.js' sorts after repo*.test.js; nothing after it
 * reads the tree). It adds its own model, eval/tiny.onnx, committed through the core API as
 * v1 = a poor logistic model and v2 = a good one (built with onnx-proto, like
 * test/unit/evaluate.test.ts), and a seeded CSV (label y = x0 + x1 > 1).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ModelRepository } from '../../../src/core/repo';
import type { CompareResult } from '../../../src/extension/evaluate/viewModel';
import { activeApi, showTree, waitFor, workspaceRoot, type ModelVersionsApi, type TreeNodeInfo } from './helpers';
import { linearModel, pooledModel, rng } from '../../support/onnxModels';
import { REPO_ROOT } from '../../support/paths';
import type { CrossValidationReport } from '../../../src/core/eval/crossValidate';

const VIEW_TYPE = 'modelVersions.compareModels';
const MODEL = 'eval/tiny.onnx';

const exec = <T>(command: string, ...args: unknown[]): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(`modelVersions.${command}`, ...args));

function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes(VIEW_TYPE));
}

/** Every node of the tree, depth first. */
function flatten(nodes: TreeNodeInfo[] | undefined): TreeNodeInfo[] {
  return (nodes ?? []).flatMap((n) => [n, ...flatten(n.children)]);
}

describe('Model Versions: Compare Models… and Evaluate Version… (evaluation host)', function () {
  this.timeout(120000);
  let api: ModelVersionsApi;
  let root: string;
  let repo: ModelRepository;
  let v1: TreeNodeInfo;
  let v2: TreeNodeInfo;
  let dataset: { file: string; labelColumn: string };

  before(async function () {
    this.timeout(60000);
    api = await activeApi();
    assert.strictEqual(await api.ready(), 'ready');
    root = workspaceRoot();
    repo = await ModelRepository.open(root);
    const file = path.join(root, MODEL);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, linearModel([1, -1], 0));
    await repo.commitModel(file, 'tiny: a poor model');
    fs.writeFileSync(file, linearModel([10, 10], -10));
    await repo.commitModel(file, 'tiny: a good model');
    const r = rng(7);
    const rows = ['x0,x1,y'];
    for (let i = 0; i < 200; i++) {
      const x0 = r();
      const x1 = r();
      rows.push(`${x0.toFixed(5)},${x1.toFixed(5)},${x0 + x1 > 1 ? 1 : 0}`);
    }
    dataset = { file: path.join(root, 'eval', 'data.csv'), labelColumn: 'y' };
    fs.writeFileSync(dataset.file, rows.join('\n') + '\n');
    await api.refresh();
    let last: TreeNodeInfo[] = [];
    const model = await waitFor(
      `${MODEL} with v1 and v2 in the tree`,
      async () => {
        last = await api.modelsView.getChildren();
        const m = flatten(last).find((n) => n.resourceUri?.fsPath === file);
        return m?.children?.some((c) => c.label === 'v2') ? m : undefined;
      },
      20000,
      () => showTree(last),
    );
    v1 = model.children!.find((c) => c.label === 'v1')!;
    v2 = model.children!.find((c) => c.label === 'v2')!;
    assert.ok(v1?.node && v2?.node);
  });

  after(async () => {
    for (const t of panelTabs()) await vscode.window.tabGroups.close(t);
  });

  it('registers Compare Models… and Evaluate Version…', async () => {
    const commands = new Set(await vscode.commands.getCommands(true));
    for (const c of ['compareModels', 'evaluateVersion', 'exportComparison']) assert.ok(commands.has(`modelVersions.${c}`), c);
  });

  let report: CompareResult;

  it('compares v1 and v2 on the dataset: v2 is significantly better (McNemar), in a panel', async () => {
    const r = await exec<CompareResult | undefined>('compareModels', { models: [v1.node, v2.node], dataset, host: 'local', seed: 1 });
    assert.ok(r, 'compareModels returns the report');
    report = r;
    assert.strictEqual(r.task, 'binary');
    assert.deepStrictEqual(r.models.map((m) => m.label), [`${MODEL}@v1`, `${MODEL}@v2`]);
    assert.strictEqual(r.dataset.rows, 200);
    const pair = r.pairs[0];
    assert.strictEqual(pair.verdict, 'B better', pair.text);
    assert.ok(pair.mcnemar && pair.mcnemar.pValue < 0.05, `McNemar p = ${pair.mcnemar?.pValue}`);
    assert.ok(r.evaluations[1].metrics.accuracy > 0.95, `v2 accuracy ${r.evaluations[1].metrics.accuracy}`);
    assert.ok(r.evaluations[0].metrics.accuracy < r.evaluations[1].metrics.accuracy);
    assert.ok(r.evaluations[1].cvFolds >= 2 && r.evaluations[1].cv.accuracy, 'cross-validation spread');
    assert.ok(r.evaluations[1].confusion, 'confusion matrix');
    assert.ok(!('predictions' in r.evaluations[0]), 'no per-row predictions in the result');
    await waitFor('the comparison panel', () => panelTabs().length === 1);
  });

  it('exports the comparison as CSV, JSON and Markdown', async () => {
    const out = path.join(root, 'eval', 'out');
    fs.mkdirSync(out, { recursive: true });
    const csv = await exec<string>('exportComparison', 'csv', 'file', vscode.Uri.file(path.join(out, 'c.csv')));
    assert.ok(csv.startsWith('model,metric,value,resampled_mean'), csv.slice(0, 80));
    assert.ok(fs.readFileSync(path.join(out, 'c.csv'), 'utf8').includes(`${MODEL}@v2,accuracy,`));
    await exec<string>('exportComparison', 'json', 'file', vscode.Uri.file(path.join(out, 'c.json')));
    const json = JSON.parse(fs.readFileSync(path.join(out, 'c.json'), 'utf8')) as CompareResult;
    assert.strictEqual(json.pairs[0].verdict, report.pairs[0].verdict);
    const md = await exec<string>('exportComparison', 'md', 'clipboard');
    assert.strictEqual(await vscode.env.clipboard.readText(), md);
    assert.ok(md.includes('|'), 'a Markdown table');
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('shows an error with a hint in the panel for a bad label column, and returns undefined', async () => {
    const r = await exec<CompareResult | undefined>('compareModels', { models: [v1.node, v2.node], dataset: { ...dataset, labelColumn: 'nope' }, host: 'local' });
    assert.strictEqual(r, undefined);
    assert.strictEqual(panelTabs().length, 1, 'the panel is reused');
  });

  it('asks for the feature columns when the data has a text column (unchecked), or after the columns did not fit', async () => {
    const lines = fs.readFileSync(dataset.file, 'utf8').trim().split('\n');
    const body = [...lines.slice(1), ...lines.slice(1, 101)]; // 300 rows of x0,x1,y
    const write = (name: string, text: string[]): string => {
      const f = path.join(root, 'eval', name);
      fs.writeFileSync(f, text.join('\n') + '\n');
      return f;
    };
    // an id of text in front; an id of numbers until row 251, then text; an extra number column
    const withId = write('with-id.csv', ['id,' + lines[0], ...body.map((l, i) => `s-${String(i + 1).padStart(3, '0')},${l}`)]);
    const deep = write('deep-text.csv', ['id,' + lines[0], ...body.map((l, i) => `${i === 250 ? 'late' : i},${l}`)]);
    const extra = write('extra.csv', [lines[0] + ',w', ...body.map((l, i) => `${l},${i % 3}`)]);
    // the data picker lists what the workspace's file search finds
    await waitFor('the new data files in the workspace file search', async () => {
      const found = new Set((await vscode.workspace.findFiles('eval/*.csv')).map((u) => u.fsPath));
      return [withId, deep, extra].every((f) => found.has(f));
    });
    type Item = vscode.QuickPickItem & { file?: string };
    const win = vscode.window as unknown as { showQuickPick: (items: readonly Item[] | string[], o?: vscode.QuickPickOptions) => Promise<unknown> };
    const saved = win.showQuickPick;
    const asked: { title: string; items: { label: string; picked?: boolean; description?: string }[] }[] = [];
    // the data file, then the label y, then (when asked) the feature columns as offered, without w
    const answer = (file: string) => async (items: readonly Item[] | string[], o?: vscode.QuickPickOptions) => {
      const title = o?.title ?? '';
      asked.push({ title, items: (items as (Item | string)[]).map((x) => (typeof x === 'string' ? { label: x } : { label: x.label, picked: x.picked, description: x.description })) });
      if (title.startsWith('Evaluation data')) return (items as Item[]).find((x) => x.file === file);
      if (title.startsWith('The label column')) return 'y';
      if (title.startsWith('The feature columns')) return (items as Item[]).filter((x) => x.picked && x.label !== 'w');
      return undefined;
    };
    const compareOn = async (file: string): Promise<CompareResult | undefined> => {
      asked.length = 0;
      win.showQuickPick = answer(file);
      return exec<CompareResult | undefined>('compareModels', { models: [v1.node, v2.node], host: 'local', seed: 1 });
    };
    const featureQuestion = (file: string) => asked.find((a) => a.title === `The feature columns of ${path.basename(file)}`);
    const offered = (file: string) => featureQuestion(file)?.items.map((x) => [x.label, !!x.picked]);
    try {
      // text in the first rows: asked at once, the id unchecked; the comparison runs on x0, x1
      let r = await compareOn(withId);
      assert.deepStrictEqual(offered(withId), [['id', false], ['x0', true], ['x1', true]], asked.map((a) => a.title).join(' | '));
      assert.match(featureQuestion(withId)!.items[0].description ?? '', /^text \("s-001"\): not a feature$/);
      assert.ok(r && r.evaluations[1].metrics.accuracy > 0.95 && r.dataset.rows === 300, 'the comparison ran on x0, x1');

      // text only in row 251: not seen in the first rows, not asked; the load names the column…
      assert.strictEqual(await compareOn(deep), undefined);
      assert.strictEqual(featureQuestion(deep), undefined);
      // …and the next pick of that file (now "last used") asks, with id unchecked
      r = await compareOn(deep);
      assert.deepStrictEqual(offered(deep), [['id', false], ['x0', true], ['x1', true]], asked.map((a) => a.title).join(' | '));
      assert.strictEqual(featureQuestion(deep)!.items[0].description, 'text (a value further down the file): not a feature');
      assert.ok(r && r.evaluations[1].metrics.accuracy > 0.95, 'the comparison ran without id');
      // it fit: "last used" takes that choice again without asking
      r = await compareOn(deep);
      assert.ok(r && r.dataset.rows === 300 && !featureQuestion(deep), asked.map((a) => a.title).join(' | '));

      // three number columns for a model of two inputs: the shape error, then the question (all checked)
      assert.strictEqual(await compareOn(extra), undefined);
      assert.strictEqual(featureQuestion(extra), undefined);
      r = await compareOn(extra);
      assert.deepStrictEqual(offered(extra), [['x0', true], ['x1', true], ['w', true]]);
      assert.ok(r && r.evaluations[1].metrics.accuracy > 0.95, 'the comparison ran on x0, x1');
    } finally {
      win.showQuickPick = saved;
      for (const f of [withId, deep, extra]) fs.rmSync(f, { force: true });
    }
  });

  it("asks an NPZ's feature and label arrays when it has none of the default names; after rows that did not fit a model's free dimensions, the shape of one row", async () => {
    // the dataset's rows as numpy users save a test split (X_test, y_test); four features for a pooled model
    const lines = fs.readFileSync(dataset.file, 'utf8').trim().split('\n').slice(1);
    const npz = path.join(root, 'eval', 'split.npz');
    execFileSync('/usr/bin/python3', ['-c', `import numpy as np, sys
rows = np.array([[float(c) for c in l.split(',')] for l in sys.stdin.read().split()], dtype='<f4')
np.savez(sys.argv[1], X_test=rows[:, :2], y_test=rows[:, 2].astype('<i8'))`, npz], { input: lines.join('\n') });
    const four = path.join(root, 'eval', 'four.csv');
    fs.writeFileSync(four, ['a,b,c,d,y', ...lines.map((l) => { const [x0, x1, y] = l.split(','); return `${x0},${x1},${x0},${x1},${y}`; })].join('\n') + '\n');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-pooled-'));
    // sigmoid(w · sum(x) + b): sum = 2 (x0 + x1), so w = 5, b = -10 is the good model's rule
    const pooled = [pooledModel(0.1, 0), pooledModel(5, -10)].map((bytes, i) => {
      const f = path.join(tmp, `pooled${i + 1}.onnx`);
      fs.writeFileSync(f, bytes);
      return f;
    });
    await waitFor('the new data files in the workspace file search', async () => {
      const found = new Set((await vscode.workspace.findFiles('eval/*.{npz,csv}')).map((u) => u.fsPath));
      return found.has(npz) && found.has(four);
    });
    type Item = vscode.QuickPickItem & { file?: string; name?: string };
    const win = vscode.window as unknown as {
      showQuickPick: (items: readonly Item[] | string[], o?: vscode.QuickPickOptions) => Promise<unknown>;
      showInputBox: (o?: vscode.InputBoxOptions) => Promise<string | undefined>;
    };
    const saved = { pick: win.showQuickPick, input: win.showInputBox };
    const asked: { title: string; items: [string, string][] }[] = [];
    const typed: { title: string; value?: string; check: (v: string) => unknown }[] = [];
    // fresh: the file's own row in the data picker, not its "last used" row (which asks nothing more)
    const answer = (file: string, arrays: { features: string; labels: string }, fresh = false) => {
      asked.length = 0;
      typed.length = 0;
      win.showQuickPick = async (items, o) => {
        const title = o?.title ?? '';
        const list = items as (Item | string)[];
        asked.push({ title, items: list.map((x) => (typeof x === 'string' ? [x, ''] : [x.label, x.description ?? ''])) });
        if (title.startsWith('Evaluation data')) return (items as Item[]).find((x) => x.file === file && !(fresh && x.label.startsWith('$(history)')));
        if (title.startsWith('The feature array')) return (items as Item[]).find((x) => x.name === arrays.features);
        if (title.startsWith('The label array')) return (items as Item[]).find((x) => x.name === arrays.labels);
        if (title.startsWith('The label column')) return 'y';
        if (title.startsWith('The feature columns')) return (items as Item[]).filter((x) => x.picked);
        return undefined;
      };
      win.showInputBox = async (o) => {
        typed.push({ title: o?.title ?? '', value: o?.value, check: (v) => o?.validateInput?.(v) });
        return (o?.title ?? '').startsWith('The shape of one row') ? '2,2' : undefined;
      };
    };
    const titles = () => [...asked.map((a) => a.title), ...typed.map((t) => t.title)].join(' | ');
    try {
      answer(npz, { features: 'X_test', labels: 'y_test' });
      let r = await exec<CompareResult | undefined>('compareModels', { models: [v1.node, v2.node], host: 'local', seed: 1 });
      const featureQ = asked.find((a) => a.title === 'The feature array of split.npz');
      assert.deepStrictEqual(featureQ?.items, [['X_test', '(200, 2)'], ['y_test', '(200,)']], titles());
      assert.deepStrictEqual(asked.find((a) => a.title === 'The label array of split.npz')?.items.map((x) => x[0]), ['y_test', "$(symbol-field) A column of 'X_test'"], titles());
      assert.ok(r && r.dataset.rows === 200 && r.evaluations[1].metrics.accuracy > 0.95, `the comparison ran on X_test, y_test: ${JSON.stringify(r?.dataset)}`);
      // "last used": the same arrays, not asked again
      answer(npz, { features: 'none', labels: 'none' });
      r = await exec<CompareResult | undefined>('compareModels', { models: [v1.node, v2.node], host: 'local', seed: 1 });
      assert.ok(r && r.dataset.rows === 200, titles());
      assert.deepStrictEqual(asked.map((a) => a.title), ['Evaluation data (CSV, TSV, JSON, JSONL, NPY, NPZ)']);
      assert.match(asked[0].items[0][1], /^last used · features 'X_test' · labels 'y_test'$/);
      // Evaluate Version… (no panel) with the arrays swapped: the notification says what the next pick asks
      answer(npz, { features: 'y_test', labels: 'X_test' }, true);
      const before = api.evaluate.errors().length;
      assert.strictEqual(await exec('evaluateVersion', v2.node, { host: 'local' }), undefined);
      const [err] = api.evaluate.errors().slice(before);
      assert.match(err ?? '', /each row of the feature array 'y_test' of split\.npz has 1 feature\. .* Pick the data again \(Compare Models… or Evaluate Version…\): you are then asked which arrays hold the features and the labels\.$/, err);

      // four columns for an input float[batch,h,w]: no shape fits by itself; the next pick asks for it
      answer(four, { features: '', labels: '' });
      assert.strictEqual(await exec('compareModels', { models: pooled, host: 'local', seed: 1 }), undefined);
      assert.ok(!typed.length, titles());
      r = await exec<CompareResult | undefined>('compareModels', { models: pooled, host: 'local', seed: 1 });
      const shapeQ = typed.find((t) => t.title === 'The shape of one row of four.csv');
      assert.ok(shapeQ, titles());
      assert.strictEqual(shapeQ.check('3,1'), '[3,1] holds 3 values; each row has 4 features');
      assert.strictEqual(shapeQ.check('2x2'), undefined);
      assert.ok(r && r.dataset.rows === 200 && r.evaluations[1].metrics.accuracy > 0.95, `the comparison ran on rows shaped [2,2]: ${titles()}`);
    } finally {
      win.showQuickPick = saved.pick;
      win.showInputBox = saved.input;
      for (const f of [npz, four]) fs.rmSync(f, { force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('refuses a safetensors version and file before asking anything or starting a host; its menu has no Evaluate/Compare', async () => {
    // a safetensors file (8-byte header length, JSON header, the bytes), committed as eval/w.safetensors v1
    const st = path.join(root, 'eval', 'w.safetensors');
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).padEnd(64, ' '));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(st, Buffer.concat([len, header, Buffer.from(new Float32Array([1, 2]).buffer)]));
    await repo.commitModel(st, 'weights only');
    await api.refresh();
    const sv1 = await waitFor('eval/w.safetensors v1 in the tree', async () => flatten(await api.modelsView.getChildren()).find((n) => n.resourceUri?.fsPath === st)?.children?.find((c) => c.label === 'v1'), 20000);
    assert.ok(!/\.evaluable/.test(sv1.contextValue ?? ''), `no Evaluate Version…/Compare Models… on it: ${sv1.contextValue}`);
    assert.match(v2.contextValue ?? '', /^version.*\.evaluable/, 'ONNX versions have them');
    const before = api.evaluate.errors().length;
    // no dataset in the arguments: a refusal that came after the dataset pick would hang on the quick pick
    const r1 = await exec<unknown>('evaluateVersion', sv1.node, { host: 'local' });
    assert.strictEqual(r1, undefined);
    const r2 = await exec<unknown>('compareModels', { models: [v2.node, vscode.Uri.file(st)], host: 'local' });
    assert.strictEqual(r2, undefined);
    const errors = api.evaluate.errors().slice(before);
    const msg = (label: string) =>
      `${label} is a safetensors file: it holds weights without the code that runs them, so it cannot be evaluated here. Inspect and diff work; to evaluate, load the weights into the model's code and export it to ONNX`;
    assert.strictEqual(errors.length, 2, errors.join('\n'));
    assert.ok(errors[0].startsWith(msg('eval/w.safetensors@v1')), errors[0]);
    assert.ok(errors[1].startsWith(msg('eval/w.safetensors')), errors[1]);
    assert.deepStrictEqual(api.evaluate.hostPids(), [], 'no host started');
  });

  it('evaluates v2 and records its metrics in the version notes', async () => {
    const r = await exec<{ evaluation: { metrics: Record<string, number> }; recorded: { version: number; key: string } } | undefined>('evaluateVersion', v2.node, { dataset, host: 'local' });
    assert.ok(r, 'evaluateVersion returns the evaluation');
    assert.strictEqual(r.recorded.version, 2);
    const meta = (await repo.getMetadata(MODEL, 2)) as { metrics?: Record<string, number>; evaluations?: Record<string, unknown> } | undefined;
    assert.ok(meta?.metrics, `notes of v2: ${JSON.stringify(meta)}`);
    assert.strictEqual(meta.metrics.accuracy, Number(r.evaluation.metrics.accuracy.toPrecision(6)));
    assert.ok(meta.evaluations?.[r.recorded.key], 'the evaluation is keyed');
  });

  it('Cross-Validate… on a version: the training command runs per fold, each model is evaluated on its fold, the run is recorded', async () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cv-int-')), 'log.jsonl');
    const train = `/usr/bin/python3 ${path.join(REPO_ROOT, 'test', 'support', 'cv_train.py')} {train} {valid} {out} --log ${log}`;
    const r = await exec<{ report: CrossValidationReport; key: string } | undefined>('crossValidate', v2.node, { train, dataset, k: 3, stratify: true, host: 'local' });
    assert.ok(r, 'crossValidate returns the report');
    const folds = r.report.recipes[0].folds;
    assert.strictEqual(folds.length, 3);
    // the trainer's own numpy accuracy on each validation file (test/support/cv_train.py), against ours through onnxruntime
    const logged = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { accuracy: number; valid_rows: number });
    assert.strictEqual(logged.length, 3, 'one training run per fold');
    folds.forEach((f, i) => {
      assert.strictEqual(f.validRows, logged[i].valid_rows);
      assert.ok(Math.abs(f.metrics.accuracy - logged[i].accuracy) <= 1 / f.validRows + 1e-12, `fold ${i + 1}: ${f.metrics.accuracy} vs ${logged[i].accuracy}`);
    });
    const meta = (await repo.getMetadata(MODEL, 2)) as { crossValidations?: Record<string, { k: number; recipes: { command: string }[] }> } | undefined;
    assert.strictEqual(meta?.crossValidations?.[r.key]?.k, 3, JSON.stringify(meta));
    assert.strictEqual(meta.crossValidations[r.key].recipes[0].command, train);
    // the report opens as a Markdown document
    assert.ok(vscode.workspace.textDocuments.some((d) => d.languageId === 'markdown' && d.getText().includes('### Cross-validation of')), 'the report is shown');
  });

  it('reports a local host killed mid-evaluation, and the next evaluation works', async () => {
    // 100,000 rows fed one at a time: long enough to be killed while it runs
    const r = rng(11);
    const rows = ['x0,x1,y'];
    for (let i = 0; i < 100_000; i++) {
      const x0 = r();
      const x1 = r();
      rows.push(`${x0.toFixed(4)},${x1.toFixed(4)},${x0 + x1 > 1 ? 1 : 0}`);
    }
    const big = { file: path.join(root, 'eval', 'big.csv'), labelColumn: 'y' };
    fs.writeFileSync(big.file, rows.join('\n') + '\n');
    const before = api.evaluate.errors().length;
    const running = exec<unknown>('evaluateVersion', v1.node, { dataset: big, host: 'local', force: true, noCache: true, batchSize: 1, folds: 0 });
    const pid = await waitFor('the local host running batches', () => (api.evaluate.rowsDone() > 0 ? api.evaluate.hostPids()[0] : undefined), 60000);
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    assert.strictEqual(await running, undefined, 'the command fails');
    assert.ok(Date.now() - t0 < 15000, `noticed after ${Date.now() - t0} ms`);
    const errors = api.evaluate.errors().slice(before);
    assert.strictEqual(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], new RegExp(`the local evaluation host \\(pid ${pid}\\) was killed \\(SIGKILL\\) during evaluate`));
    assert.deepStrictEqual(api.evaluate.hostPids(), [], 'the dead host is let go');
    const md = (await repo.getMetadata(MODEL, 1)) as { evaluations?: Record<string, { dataset?: { rows?: number } }> } | undefined;
    assert.ok(!Object.values(md?.evaluations ?? {}).some((e) => e.dataset?.rows === 100_000), 'nothing recorded for the killed run');
    // a new host for the next evaluation
    const ok = await exec<{ evaluation: { rows: number; metrics: Record<string, number> } } | undefined>('evaluateVersion', v2.node, { dataset, host: 'local', force: true, noCache: true });
    assert.ok(ok?.evaluation, 'the next evaluation works');
    assert.strictEqual(ok.evaluation.rows, 200);
    assert.ok(ok.evaluation.metrics.accuracy > 0.95);
    assert.strictEqual(api.evaluate.errors().length, before + 1);
    fs.rmSync(big.file, { force: true });
  });
});
