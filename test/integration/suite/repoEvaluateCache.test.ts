/**
 * Results are never computed twice, through the real vscode API: runs after repoEvaluate.test.js
 * (alphabetical order) and uses its eval/tiny.onnx v1, v2 and eval/data.csv. Compare Models… on the
 * same versions, data and settings reuses the cached outputs (the panel says so); Evaluate Version… on v2,
 * whose notes already hold that evaluation, says so instead of redoing it; `force` evaluates again (from
 * the cached outputs); `noCache` runs the host.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ModelRepository } from '../../../src/core/repo';
import type { CompareResult } from '../../../src/extension/evaluate/viewModel';
import { activeApi, waitFor, workspaceRoot, type TreeNodeInfo } from './helpers';

const MODEL = 'eval/tiny.onnx';

const exec = <T>(command: string, ...args: unknown[]): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(`modelVersions.${command}`, ...args));

function flatten(nodes: TreeNodeInfo[] | undefined): TreeNodeInfo[] {
  return (nodes ?? []).flatMap((n) => [n, ...flatten(n.children)]);
}

interface EvaluateVersionResult {
  evaluation?: { metrics: Record<string, number>; cache?: { hit: boolean; key: string } };
  recorded?: { version: number; key: string };
  alreadyRecorded?: { version: number; key: string; metrics: Record<string, number> };
}

describe('Model Versions: evaluation results reused (outputs cache, recorded evaluations)', function () {
  this.timeout(120000);
  let root: string;
  let repo: ModelRepository;
  let v1: TreeNodeInfo;
  let v2: TreeNodeInfo;
  let dataset: { file: string; labelColumn: string };

  before(async function () {
    this.timeout(60000);
    const api = await activeApi();
    root = workspaceRoot();
    repo = await ModelRepository.open(root);
    dataset = { file: path.join(root, 'eval', 'data.csv'), labelColumn: 'y' };
    assert.ok(fs.existsSync(dataset.file), 'repoEvaluate.test.js made eval/data.csv');
    const model = await waitFor(`${MODEL} with v1 and v2`, async () => {
      const m = flatten(await api.modelsView.getChildren()).find((n) => n.resourceUri?.fsPath === path.join(root, MODEL));
      return m?.children?.some((c) => c.label === 'v2') ? m : undefined;
    });
    v1 = model.children!.find((c) => c.label === 'v1')!;
    v2 = model.children!.find((c) => c.label === 'v2')!;
  });

  it('Compare Models… again on the same versions, data and settings reuses the cached outputs', async () => {
    const cacheDir = path.join(repo.dataDir, 'eval-cache');
    const before = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.endsWith('.evc')).length : 0;
    assert.ok(before >= 2, `repoEvaluate's comparison left its outputs in ${cacheDir} (${before} files)`);
    const r = await exec<CompareResult | undefined>('compareModels', { models: [v1.node, v2.node], dataset, host: 'local', seed: 1 });
    assert.ok(r);
    assert.deepStrictEqual(r.evaluations.map((e) => e.cache?.hit), [true, true]);
    assert.strictEqual(r.pairs[0].verdict, 'B better');
    const fresh = await exec<CompareResult | undefined>('compareModels', { models: [v1.node, v2.node], dataset, host: 'local', seed: 1, noCache: true });
    assert.ok(fresh);
    assert.deepStrictEqual(fresh.evaluations.map((e) => e.cache?.hit), [undefined, undefined], '--no-cache runs the host');
    assert.deepStrictEqual(fresh.evaluations.map((e) => e.metrics), r.evaluations.map((e) => e.metrics));
    assert.deepStrictEqual(fresh.pairs, r.pairs);
  });

  it('Evaluate Version… on v2 with the evaluation already in its notes says so instead of redoing it', async () => {
    const r = await exec<EvaluateVersionResult | undefined>('evaluateVersion', v2.node, { dataset, host: 'local' });
    assert.ok(r?.alreadyRecorded, `already recorded: ${JSON.stringify(r)}`);
    assert.strictEqual(r.alreadyRecorded.version, 2);
    const meta = (await repo.getMetadata(MODEL, 2)) as { evaluations?: Record<string, unknown> };
    assert.ok(meta.evaluations?.[r.alreadyRecorded.key], 'the key is the one in the notes');
    assert.ok(r.alreadyRecorded.metrics.accuracy > 0.95);
  });

  it('force: evaluates again, from the cached outputs, and records under the same key', async () => {
    const r = await exec<EvaluateVersionResult | undefined>('evaluateVersion', v2.node, { dataset, host: 'local', force: true });
    assert.ok(r?.evaluation && r.recorded, JSON.stringify(r));
    assert.strictEqual(r.evaluation.cache?.hit, true);
    const other = await exec<EvaluateVersionResult | undefined>('evaluateVersion', v2.node, { dataset, host: 'local', folds: 3 });
    assert.ok(other?.recorded, 'another fold count is another evaluation: not already recorded');
    assert.notStrictEqual(other.recorded.key, r.recorded.key);
    assert.strictEqual(other.evaluation?.cache?.hit, true, 'but the same outputs');
  });
});
