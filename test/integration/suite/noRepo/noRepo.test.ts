/**
 * The noRepo pass of ../../runTest.ts: VS Code opened on a folder with hello_deepa.onnx that is NOT a
 * git repository. The tree stays empty (the welcome view explains why), model commands refuse, and
 * 'Initialize Repository with Git LFS' turns the folder into a repository whose model then shows.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { git } from '../../../support/workspace';
import { activeApi, commandError, MODEL, showTree, waitFor, workspaceRoot } from '../helpers';

describe('Model Versions: a workspace that is not a git repository', function () {
  this.timeout(60000);

  it('is not inside any git repository (test precondition)', () => {
    const root = workspaceRoot();
    assert.ok(!fs.existsSync(path.join(root, '.git')));
    assert.throws(() => git(root, 'rev-parse', '--show-toplevel'), /not a git repository/i);
  });

  it("activates, ready() resolves 'noRepo', and the tree is empty", async function () {
    this.timeout(40000);
    const api = await activeApi();
    assert.strictEqual(await api.ready(), 'noRepo');
    const nodes = await api.modelsView.getChildren();
    assert.deepStrictEqual(nodes, [], `the tree should be empty (the welcome view shows): ${showTree(nodes)}`);
  });

  it('refuses to commit a model there and creates no repository', async () => {
    const root = workspaceRoot();
    const err = await commandError('modelVersions.commitModel', vscode.Uri.file(path.join(root, MODEL)), { message: 'x' });
    assert.match(err.message, /not inside a git repository/);
    assert.deepStrictEqual(err.actions, ['Show Log']);
    assert.ok(!fs.existsSync(path.join(root, '.git')));
    const api = await activeApi();
    assert.strictEqual(await api.ready(), 'noRepo');
  });

  it('notices `git init` run outside VS Code (a terminal) and leaves the noRepo state by itself', async () => {
    const root = workspaceRoot();
    const api = await activeApi();
    const sub = fs.mkdtempSync(path.join(root, 'terminal-'));
    try {
      // a nested repository created outside the extension: the watcher must rediscover without refresh()
      git(sub, 'init', '-q');
      await waitFor('state to leave noRepo', async () => ((await api.ready()) !== 'noRepo' ? true : undefined), 10000, () => 'the state stayed noRepo');
    } finally {
      fs.rmSync(sub, { recursive: true, force: true });
      await api.refresh();
    }
    assert.strictEqual(await api.ready(), 'noRepo', 'back to noRepo once that repository is gone');
  });

  it("'Initialize Repository with Git LFS' makes it a repository; then the untracked model shows", async () => {
    const root = workspaceRoot();
    await vscode.commands.executeCommand('modelVersions.initRepository');
    assert.ok(fs.existsSync(path.join(root, '.git')), 'git init ran');
    assert.match(git(root, 'config', '--local', '--get', 'filter.lfs.process'), /git-lfs filter-process/, 'git lfs install --local ran');
    const api = await activeApi();
    assert.strictEqual(await api.ready(), 'ready');
    let last: unknown;
    const nodes = await waitFor(
      `${MODEL} in the tree`,
      async () => {
        const n = await api.modelsView.getChildren();
        last = n;
        return n.some((x) => x.label === MODEL) ? n : undefined;
      },
      10000,
      () => showTree(last as never),
    );
    assert.match(nodes.find((x) => x.label === MODEL)!.description ?? '', /no versions yet.*untracked/);
  });
});
