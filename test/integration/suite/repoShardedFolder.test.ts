/**
 * A Hugging Face sharded safetensors model's folder in the Model Versions tree (issue #15, point 1):
 * the folder is one model node (its shards are not nodes of their own), *Commit Model Version…* on
 * it commits every file of the folder in one commit, and the new version shows under it.
 *
 * Runs after the other repo tests (file order) on a folder of its own (sharded-tiny/), so their
 * models keep the versions they expect. The files come from test/support/sharded_write.py.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ModelRepository } from '../../../src/core/repo';
import type { CommitResult } from '../../../src/core/repo';
import { REPO_ROOT } from '../../support/paths';
import { git } from '../../support/workspace';
import { activeApi, showTree, waitFor, workspaceRoot, type ModelVersionsApi, type TreeNodeInfo } from './helpers';

const FOLDER = 'sharded-tiny';
const SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
const FILES = ['config.json', ...SHARDS, 'model.safetensors.index.json', 'tokenizer.json'];

describe('Model Versions: a sharded safetensors folder is one model in the tree', function () {
  this.timeout(60000);
  let api: ModelVersionsApi;
  let root: string;
  let gen: string;

  before(() => {
    root = workspaceRoot();
    gen = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-sharded-'));
    execFileSync('/usr/bin/python3', [path.join(REPO_ROOT, 'test', 'support', 'sharded_write.py'), gen]);
  });
  after(() => fs.rmSync(gen, { recursive: true, force: true }));

  it('lists the untracked folder as one model, commits it whole from its node, and shows v1', async () => {
    api = await activeApi();
    fs.mkdirSync(path.join(root, FOLDER));
    for (const f of FILES) fs.copyFileSync(path.join(gen, 'v1', f), path.join(root, FOLDER, f));
    let top: TreeNodeInfo[] = [];
    const node = await waitFor(
      `${FOLDER} in the tree`,
      async () => {
        top = await api.modelsView.getChildren();
        return top.find((n) => n.label === FOLDER);
      },
      10000,
      () => showTree(top),
    );
    assert.match(node.description ?? '', /untracked/, `folder description: ${node.description}`);
    for (const s of SHARDS) assert.ok(!top.some((n) => n.label === s), `the shard ${s} is not a model of its own: ${showTree(top)}`);

    const r = await vscode.commands.executeCommand<CommitResult>('modelVersions.commitModel', vscode.Uri.file(path.join(root, FOLDER)), { message: 'sharded v1' });
    assert.ok(r, 'commitModel returns its CommitResult');
    assert.strictEqual(r.model, FOLDER);
    assert.strictEqual(r.version, 1);
    // every file of the folder in that one commit, the shards as LFS pointers
    const committed = git(root, 'show', '--name-only', '--format=', r.commit).split('\n').filter((l) => l.startsWith(`${FOLDER}/`));
    assert.deepStrictEqual(committed.sort(), FILES.map((f) => `${FOLDER}/${f}`));
    for (const s of SHARDS) assert.match(git(root, 'cat-file', '-p', `${r.commit}:${FOLDER}/${s}`), /^version https:\/\/git-lfs\.github\.com\/spec\/v1\n/);

    const m = await waitFor(
      `v1 under ${FOLDER}`,
      async () => {
        top = await api.modelsView.getChildren();
        const n = top.find((x) => x.label === FOLDER);
        return n && JSON.stringify((n.children ?? []).map((c) => c.label)) === '["v1"]' ? n : undefined;
      },
      10000,
      () => showTree(top),
    );
    assert.match(m.contextValue ?? '', /^model\.versioned\.exists/);
    assert.match(m.description ?? '', /\b1 version\b/);
    for (const s of SHARDS) assert.ok(!top.some((n) => n.label === s), `the shard ${s} is not a model of its own: ${showTree(top)}`);
    const core = await ModelRepository.open(root);
    assert.deepStrictEqual((await core.versions(FOLDER))[0].files?.map((f) => f.name), FILES);
  });
});
