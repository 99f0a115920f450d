/**
 * The Model Merge panel in a real VS Code (issue #17): a merge of two branches that both changed an
 * LFS-tracked ONNX model stops on a conflicted pointer. The Model Versions tree says so; a click opens
 * the merge view (base, ours, theirs with their recorded metrics, the diff of each side against the
 * base); Take Theirs writes theirs' bytes, stages a valid LFS pointer and records the choice in
 * MERGE_MSG — checked here with plain git and sha256, not through the extension.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { git, gitModelWorkspace, HELLO_MODEL, sha256 } from '../support/workspace';
import { workbenchSuite } from './helpers';

const VIEW = 'Model Versions';
const WINDOW = { width: 1600, height: 1000 };
const BASE = fixture('onnx', 'hello_deepa_old.onnx');
const OURS = fixture('onnx', 'hello_deepa.onnx');
const THEIRS = fixture('onnx', 'namaste_deepa.onnx');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('UI: model merge view', function () {
  let theirsCommit = '';
  const suite = workbenchSuite('modelMerge', async () => {
    const workspace = gitModelWorkspace('ui-merge');
    const file = path.join(workspace, HELLO_MODEL);
    const repo = await ModelRepository.open(workspace);
    const commit = async (fx: string, msg: string, metrics: string) => {
      fs.copyFileSync(fx, file);
      await repo.commitModel(file, msg, { trailers: { 'Model-Metrics': metrics } });
    };
    await commit(BASE, 'Baseline: the 24-step model', 'accuracy=0.81');
    git(workspace, 'checkout', '-q', '-b', 'experiment');
    await commit(THEIRS, 'Retrained on November data', 'accuracy=0.9');
    theirsCommit = git(workspace, 'rev-parse', 'HEAD').trim();
    git(workspace, 'checkout', '-q', 'main');
    await commit(OURS, 'Input widened to 25 steps', 'accuracy=0.86');
    assert.throws(() => git(workspace, 'merge', '-q', 'experiment'), /CONFLICT|Command failed/);
    assert.match(git(workspace, 'ls-files', '-u'), new RegExp(`\\t${HELLO_MODEL.replace('.', '\\.')}$`, 'm'));
    return workspace;
  }, 150000);

  it('the tree marks the conflicted model; the merge view shows the sides and Take Theirs stages theirs', async () => {
    const wb = suite.wb;
    await wb.page.setViewportSize(WINDOW);
    await wb.openSourceControlView();
    await wb.focusModelVersionsView();
    await wb.widenSideBar(120);
    await wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /merge conflict — resolve/ });
    await wb.treeRow(VIEW, HELLO_MODEL).click();

    const frame = await wb.frameWith('section.diff-theirs .verdicts');
    const text = async (sel: string) => (await frame.locator(sel).innerText()).replace(/\s+/g, ' ');
    assert.match(await text('header .subtitle'), /Merging experiment into HEAD \(main\): both changed hello_deepa\.onnx\./);
    const base = await text('section.side-base');
    const ours = await text('section.side-ours');
    const theirs = await text('section.side-theirs');
    assert.match(base, /Version v1 .*Baseline: the 24-step model .*accuracy 0\.8100 commit/, base);
    assert.match(ours, /HEAD \(main\) .*Version v2 .*Input widened to 25 steps .*accuracy 0\.8600 commit/, ours);
    assert.match(theirs, new RegExp(`experiment .*Commit ${theirsCommit.slice(0, 7)} .*Retrained on November data .*sha256:${sha256(THEIRS).slice(0, 12)}.*accuracy 0\\.9000 commit`), theirs);
    // the diffs against the base: hello_deepa_old → hello_deepa widens the input (24 → 25 steps)
    assert.match(await text('section.diff-ours'), /Ours vs base .*Interface: .*input/i);
    assert.match(await text('section.diff-theirs'), /Theirs vs base .*Weights: /);
    await wb.screenshot('model-merge-view');

    await frame.locator('#take-theirs').click();
    const deadline = Date.now() + 15000;
    while (!(await frame.locator('#resolved').count())) {
      if (Date.now() > deadline) throw new Error(`no 'resolved' note after Take Theirs; the page says: ${await text('body')}`);
      await sleep(200);
    }
    const resolved = await text('#resolved');
    assert.match(resolved, new RegExp(`Staged theirs \\(v\\d+, ${theirsCommit.slice(0, 7)}\\) of hello_deepa\\.onnx: sha256 ${sha256(THEIRS).slice(0, 12)}`), resolved);
    assert.match(resolved, /Recorded “Model-Resolved: theirs [0-9a-f]{40} hello_deepa\.onnx” in MERGE_MSG/);
    assert.match(resolved, /No unmerged paths left: finish with `git commit`/);
    assert.strictEqual(await frame.locator('#take-ours[disabled]').count(), 1, 'the Take buttons are off once resolved');
    await wb.screenshot('model-merge-resolved');

    // what git sees: nothing unmerged, theirs' bytes in the work tree, a valid pointer to them staged
    const ws = suite.workspace;
    assert.strictEqual(git(ws, 'ls-files', '-u'), '');
    assert.strictEqual(sha256(path.join(ws, HELLO_MODEL)), sha256(THEIRS));
    const pointer = git(ws, 'cat-file', 'blob', `:${HELLO_MODEL}`);
    const pf = path.join(ws, '.git', 'staged-pointer');
    fs.writeFileSync(pf, pointer);
    execFileSync('git', ['lfs', 'pointer', '--check', `--file=${pf}`], { cwd: ws });
    assert.match(pointer, new RegExp(`^oid sha256:${sha256(THEIRS)}$`, 'm'));
    assert.match(fs.readFileSync(path.join(ws, '.git', 'MERGE_MSG'), 'utf8'), new RegExp(`^Model-Resolved: theirs ${theirsCommit} hello_deepa\\.onnx$`, 'm'));
    // the tree no longer says "merge conflict"
    await wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /^(?!.*merge conflict)/ });
  });
});
