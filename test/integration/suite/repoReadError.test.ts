/**
 * The tree while the repositories are found again, and when one cannot be read, through the real
 * vscode API (runs after repoEvaluateCache.test.js; the repository is whole again when it ends).
 *
 * 1. Refresh (`api.refresh()`, the view's Refresh button: the repositories are discovered again) while
 *    the tree is being read. A read during the discovery used to see no repository and cache that empty
 *    snapshot, which the discovery then took as its own: the tree stayed empty until the next change
 *    (CI, about 1 run in 8, in repoEvaluate's `before` after its commits, where the watchers' refresh
 *    landed inside the discovery).
 * 2. A repository git cannot read (its index corrupted) shows one error row — what failed in one line,
 *    the whole error in the tooltip, Refresh on a click — instead of an empty tree; repaired, Refresh
 *    shows its models again.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { activeApi, MODEL, showTree, waitFor, workspaceRoot, type ModelVersionsApi, type TreeNodeInfo } from './helpers';

describe('Model Versions: the tree during a Refresh, and a repository that cannot be read', function () {
  this.timeout(60000);
  let api: ModelVersionsApi;
  let root: string;

  before(async () => {
    api = await activeApi();
    assert.strictEqual(await api.ready(), 'ready');
    root = workspaceRoot();
    await waitFor(`${MODEL} in the tree`, async () => (await api.modelsView.getChildren()).some((n) => n.label === MODEL));
  });

  it('a tree read during Refresh sees the repository, and so does every read after it', async () => {
    for (let i = 0; i < 3; i++) {
      const refreshing = api.refresh(); // discovers the repositories again
      const during = await api.modelsView.getChildren(); // while it runs: as the view does when a watcher refreshes it
      await refreshing;
      const after = await api.modelsView.getChildren();
      assert.ok(during.some((n) => n.label === MODEL), `read during Refresh ${i + 1}: ${showTree(during)}`);
      assert.ok(after.some((n) => n.label === MODEL), `read after Refresh ${i + 1}: ${showTree(after)}`);
      assert.strictEqual(await api.ready(), 'ready');
    }
  });

  it('a repository whose read fails shows an error row with the error and Refresh, not an empty tree; repaired, its models again', async () => {
    const index = path.join(root, '.git', 'index');
    const saved = fs.readFileSync(index);
    let rows: TreeNodeInfo[] = [];
    try {
      // git refuses an index that is not one ("error: bad signature …", "fatal: index file corrupt")
      fs.writeFileSync(index, 'not an index: these bytes have no DIRC signature\n');
      await api.refresh();
      const row = await waitFor(
        'the error row of the repository',
        async () => {
          rows = await api.modelsView.getChildren();
          return rows.length === 1 && rows[0].contextValue === 'repoError' ? rows[0] : undefined;
        },
        20000,
        () => showTree(rows),
      );
      assert.strictEqual(row.label, `Could not read ${path.basename(root)}`);
      // what failed, in one line: git's command and its first complaint
      assert.match(row.description ?? '', /^`git [^`]+` failed: .*(bad signature|index file)/, row.description);
      assert.ok(!row.description?.includes('\n'), 'one line');
      // the whole error in the tooltip: the repository, git's messages (both lines), how to retry
      assert.ok(row.tooltip?.includes(root), row.tooltip);
      assert.match(row.tooltip ?? '', /index file corrupt/, row.tooltip);
      assert.match(row.tooltip ?? '', /Click to refresh/);
      assert.strictEqual(row.command, 'modelVersions.refresh', 'a click refreshes');
      assert.strictEqual(row.children, undefined);
      assert.strictEqual(await api.ready(), 'ready', 'not "no models": the welcome view would say the repository has none');
      // the row's command while the repository is still broken: tried again, the error again
      await vscode.commands.executeCommand(row.command);
      rows = await api.modelsView.getChildren();
      assert.deepStrictEqual(rows.map((r) => r.contextValue), ['repoError'], showTree(rows));
    } finally {
      fs.writeFileSync(index, saved);
    }
    // repaired: the row's command (Refresh) reads the repository again
    await vscode.commands.executeCommand('modelVersions.refresh');
    rows = await api.modelsView.getChildren();
    assert.ok(rows.some((n) => n.label === MODEL), showTree(rows));
    assert.ok(!rows.some((n) => n.contextValue === 'repoError'), showTree(rows));
  });

  it('Refresh keeps the watchers of the same repository, so a model file created right after it shows; a deleted folder takes its model out', async () => {
    // a new watcher starts late in code-server: files created within a second of a Refresh that had
    // made new ones went unseen until the next change (repoShardedFolder's folder, after the test above)
    const ws = vscode.workspace as unknown as { createFileSystemWatcher: (...a: unknown[]) => vscode.FileSystemWatcher };
    const create = ws.createFileSystemWatcher;
    let made = 0;
    ws.createFileSystemWatcher = (...a: unknown[]) => {
      made++;
      return create.apply(vscode.workspace, a);
    };
    try {
      for (let i = 0; i < 2; i++) await api.refresh();
    } finally {
      ws.createFileSystemWatcher = create;
    }
    assert.strictEqual(made, 0, 'watchers made by a Refresh of the same repository');
    const file = path.join(root, 'after-refresh', 'fresh.onnx');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      await api.refresh();
      fs.copyFileSync(path.join(root, MODEL), file);
      let rows: TreeNodeInfo[] = [];
      await waitFor('the file created right after Refresh, in the tree (no Refresh after it)', async () => {
        rows = await api.modelsView.getChildren();
        return rows.some((n) => n.resourceUri?.fsPath === file);
      }, 10000, () => showTree(rows));
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    // its folder deleted (the watcher reports the folder alone): the model goes from the tree
    await waitFor('the model of the deleted folder gone from the tree', async () => !(await api.modelsView.getChildren()).some((n) => n.resourceUri?.fsPath === file), 10000);
  });
});
