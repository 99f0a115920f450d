/**
 * The tree while the repositories are found again, through the real vscode API (runs after
 * repoEvaluateCache.test.js).
 *
 * 1. Refresh (`api.refresh()`, the view's Refresh button: the repositories are discovered again) while
 *    the tree is being read. A read during the discovery used to see no repository and cache that empty
 *    snapshot, which the discovery then took as its own: the tree stayed empty until the next change
 *    (CI, about 1 run in 8, in repoEvaluate's `before` after its commits, where the watchers' refresh
 *    landed inside the discovery).
 */
import * as assert from 'assert';
import { activeApi, MODEL, showTree, waitFor, type ModelVersionsApi } from './helpers';

describe('Model Versions: the tree during a Refresh', function () {
  this.timeout(60000);
  let api: ModelVersionsApi;

  before(async () => {
    api = await activeApi();
    assert.strictEqual(await api.ready(), 'ready');
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
});
