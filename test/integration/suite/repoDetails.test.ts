/**
 * Version Details follows the tree's selection (runs after repo.test.ts, which leaves v1 = hello_deepa,
 * v2 = hello_deepa_old with the input [1,25,96] → [1,24,96]).
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DetailsContent } from '../../../src/shared/detailsProtocol';
import { activeApi, MODEL, showTree, waitFor, type ModelVersionsApi, type TreeNodeInfo } from './helpers';

describe('Model Versions: Version Details follows the selection', function () {
  this.timeout(60000);
  let api: ModelVersionsApi;
  let model: TreeNodeInfo;

  before(async () => {
    api = await activeApi();
    await vscode.commands.executeCommand('modelVersions.details.focus');
    let last: TreeNodeInfo | undefined;
    model = await waitFor(`${MODEL} with v1 and v2`, async () => {
      last = (await api.modelsView.getChildren()).find((n) => n.label === MODEL);
      const labels = (last?.children ?? []).map((c) => c.label);
      return labels.includes('v1') && labels.includes('v2') ? last : undefined;
    }, 15000, () => showTree(last && [last]));
  });

  const shown = async (): Promise<DetailsContent | undefined> => {
    await api.details.settled();
    return api.details.current()?.content;
  };
  const node = (label: string) => model.children!.find((c) => c.label === label)!.node;

  it('selecting v2 shows its change record and the breaking change against v1', async () => {
    await api.select(node('v2'));
    const c = await waitFor('the v2 record with its diff', async () => {
      const x = await shown();
      return x?.kind === 'version' && x.version.version === 2 && x.diff.state === 'ready' ? x : undefined;
    }, 20000, () => JSON.stringify(api.details.current()?.content)?.slice(0, 400) ?? 'nothing');
    assert.strictEqual(c.version.previous?.version, 1);
    if (c.diff.state !== 'ready') throw new Error('unreachable');
    assert.ok(c.diff.diff.breaking);
    assert.match(c.diff.diff.verdicts[0], /breaking: input onnx::Flatten_0 \[1,25,96\] → \[1,24,96\]/);
    assert.strictEqual(c.diff.diff.parameters.delta, 74977 - 78049);
  });

  it('selecting v1 shows that it is the first version (nothing to compare)', async () => {
    await api.select(node('v1'));
    const c = await waitFor('the v1 record', async () => {
      const x = await shown();
      return x?.kind === 'version' && x.version.version === 1 ? x : undefined;
    }, 20000);
    assert.strictEqual(c.version.previous, undefined);
    assert.strictEqual(c.diff.state, 'none');
  });
});
