/**
 * Version Details follows the tree's selection (runs after repo.test.ts, which leaves v1 = hello_deepa,
 * v2 = hello_deepa_old with the input [1,25,96] → [1,24,96]).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { formatShape, readModelSummary } from '../../../src/core/formats';
import { ModelRepository } from '../../../src/core/repo';
import { fixture } from '../../support/paths';
import type { DetailsContent } from '../../../src/shared/detailsProtocol';
import { activeApi, MODEL, showTree, waitFor, workspaceRoot, type ModelVersionsApi, type TreeNodeInfo } from './helpers';

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

describe('Model Versions: model changes from the Source Control list and the timeline', function () {
  this.timeout(60000);
  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('Open Model Changes (a changes-list entry) diffs the last version against the working copy', async () => {
    const file = path.join(workspaceRoot(), MODEL);
    const saved = fs.readFileSync(file);
    try {
      // the working copy gets a model whose input shape differs from the last version's
      const repo = await ModelRepository.open(file);
      const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mv-latest-')), MODEL);
      await repo.readVersionBytes(MODEL, 'latest', { out: tmp });
      const latestShape = formatShape((await readModelSummary(tmp)).inputs[0].shape);
      const other = latestShape === '[1,24,96]' ? 'hello_deepa.onnx' : 'hello_deepa_old.onnx';
      const otherShape = other === 'hello_deepa.onnx' ? '[1,25,96]' : '[1,24,96]';
      fs.copyFileSync(fixture('onnx', other), file);
      const d = await vscode.commands.executeCommand<{ verdicts: string[]; breaking: boolean; b: { label: string } }>(
        'modelVersions.openModelChanges',
        { resourceUri: vscode.Uri.file(file) },
      );
      assert.ok(d, 'a ModelDiff is returned');
      assert.ok(d.breaking);
      assert.ok(d.verdicts[0].includes(`${latestShape} → ${otherShape}`), d.verdicts[0]);
    } finally {
      fs.writeFileSync(file, saved);
    }
  });

  it('Open Model Changes on a timeline commit compares that version with the one before', async () => {
    const file = path.join(workspaceRoot(), MODEL);
    const vs = await (await ModelRepository.open(file)).versions(MODEL);
    const d = await vscode.commands.executeCommand<{ a: { label: string }; b: { label: string }; verdicts: string[] }>(
      'modelVersions.openTimelineChanges',
      { id: vs[1].commit },
      vscode.Uri.file(file),
    );
    assert.ok(d);
    assert.strictEqual(d.a.label, `${MODEL}@v1`);
    assert.strictEqual(d.b.label, `${MODEL}@v2`);
  });
});
