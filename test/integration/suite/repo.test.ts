/**
 * Model versions end to end through the real vscode API: the extension's commands (with their prompt
 * answers passed as arguments) on a git + Git LFS workspace, the Model Versions tree read through the
 * test API, and every result checked independently with git and the core ModelRepository.
 *
 * The tests run in order and build on each other: v1, v2, a tag, an alias, a restore, a revert (v3),
 * then a commit made with plain git (v4) that the tree must pick up by itself.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ModelRepository, TRAILER } from '../../../src/core/repo';
import type { AliasEvent, CommitResult, RestoreResult, TagInfo } from '../../../src/core/repo';
import { fixture } from '../../support/paths';
import { git, sha256 } from '../../support/workspace';
import { activeApi, commandError, MODEL, showTree, sleep, waitFor, workspaceRoot, type ModelVersionsApi, type TreeNodeInfo } from './helpers';

const V1_BYTES = fixture('onnx', 'hello_deepa.onnx');
const V2_BYTES = fixture('onnx', 'hello_deepa_old.onnx');
const OTHER_BYTES = fixture('onnx', 'namaste_deepa.onnx');
const TAG = 'hello/v2-rc';
const ALIAS = 'production';

const exec = <T>(command: string, ...args: unknown[]): Promise<T> =>
  Promise.resolve(vscode.commands.executeCommand<T>(`modelVersions.${command}`, ...args));

describe('Model Versions: versions of a model in a git repository', function () {
  this.timeout(60000);
  let api: ModelVersionsApi;
  let root: string;
  let modelFile: string;
  let modelUri: vscode.Uri;
  let core: ModelRepository;
  /** commit ids by version number, from the commands' results */
  const commits: Record<number, string> = {};

  before(async function () {
    this.timeout(40000);
    api = await activeApi();
    assert.strictEqual(await api.ready(), 'ready');
    root = workspaceRoot();
    modelFile = path.join(root, MODEL);
    modelUri = vscode.Uri.file(modelFile);
    core = await ModelRepository.open(root);
    for (const f of [V1_BYTES, V2_BYTES, OTHER_BYTES]) assert.ok(fs.existsSync(f), `fixture ${f} is missing`);
    assert.strictEqual(sha256(modelFile), sha256(V1_BYTES), 'the workspace starts with hello_deepa.onnx');
  });

  const gitLines = (...args: string[]) => git(root, ...args).split('\n').filter(Boolean);
  const staged = () => gitLines('diff', '--cached', '--name-only');

  /** The model's node in the tree (top level: the workspace has one repository). */
  async function modelNode(): Promise<TreeNodeInfo | undefined> {
    return (await api.modelsView.getChildren()).find((n) => n.label === MODEL);
  }

  /**
   * Waits (without calling refresh()) until the model's version nodes are `labels`, in that order,
   * and `extra` holds; returns the model node.
   */
  async function waitForVersions(labels: string[], extra: (m: TreeNodeInfo) => boolean = () => true, timeoutMs = 10000): Promise<TreeNodeInfo> {
    let last: TreeNodeInfo | undefined;
    return waitFor(
      `the versions ${labels.join(', ')} of ${MODEL} in the tree`,
      async () => {
        last = await modelNode();
        // the version nodes (an "Alias history" group follows them once an alias was set)
        const kids = (last?.children ?? []).filter((c) => c.contextValue?.startsWith('version')).map((c) => c.label);
        return last && JSON.stringify(kids) === JSON.stringify(labels) && extra(last) ? last : undefined;
      },
      timeoutMs,
      () => showTree(last && [last]),
    );
  }

  const version = (m: TreeNodeInfo, label: string): TreeNodeInfo => {
    const v = m.children?.find((c) => c.label === label);
    assert.ok(v, `no ${label} under ${MODEL}: ${showTree([m])}`);
    return v;
  };

  it('commits the untracked model as v1; a staged README.md change stays staged and out of the commit', async () => {
    fs.appendFileSync(path.join(root, 'README.md'), '\nA staged change that is not part of any model version.\n');
    git(root, 'add', '--', 'README.md');
    assert.deepStrictEqual(staged(), ['README.md']);

    const r = await exec<CommitResult>('commitModel', modelUri, { message: 'first' });
    assert.ok(r, 'commitModel returns its CommitResult');
    assert.strictEqual(r.version, 1);
    assert.strictEqual(r.model, MODEL);
    assert.strictEqual(r.oid, sha256(V1_BYTES), 'the LFS oid is the sha256 of the file');
    commits[1] = r.commit;

    const m = await waitForVersions(['v1']);
    assert.match(m.description ?? '', /\b1 version\b/, `model description: ${m.description}`);
    assert.doesNotMatch(m.description ?? '', /untracked/, `model description: ${m.description}`);
    assert.match(m.contextValue ?? '', /^model\.versioned\.exists/);
    const v1 = version(m, 'v1');
    assert.match(v1.description ?? '', /first/, `v1 description: ${v1.description}`);
    assert.match(v1.contextValue ?? '', /^version.*\.lfs/, `v1 contextValue: ${v1.contextValue}`);
    assert.doesNotMatch(v1.contextValue ?? '', /\.hasPrevious/, 'no Compare with Previous Version on the first version');

    // independent checks: git and the core library
    assert.deepStrictEqual(staged(), ['README.md'], 'the other staged change is still staged, not committed');
    const committed = gitLines('show', '--name-only', '--format=', 'HEAD');
    assert.ok(committed.includes(MODEL) && !committed.includes('README.md'), `files in the commit: ${committed.join(', ')}`);
    assert.strictEqual(git(root, 'rev-parse', 'HEAD').trim(), r.commit);
    assert.match(git(root, 'cat-file', '-p', `HEAD:${MODEL}`), /^version https:\/\/git-lfs\.github\.com\/spec\/v1\n/, 'stored as an LFS pointer');
    const vs = await core.versions(MODEL);
    assert.strictEqual(vs.length, 1);
    assert.strictEqual(vs[0].oid, sha256(V1_BYTES));
    assert.ok(vs[0].lfs);
  });

  it('commits new content as v2, listed newest first; README.md is still only staged', async () => {
    fs.copyFileSync(V2_BYTES, modelFile);
    const r = await exec<CommitResult>('commitModel', modelUri, { message: 'second' });
    assert.strictEqual(r.version, 2);
    assert.strictEqual(r.oid, sha256(V2_BYTES));
    commits[2] = r.commit;

    const m = await waitForVersions(['v2', 'v1']);
    assert.match(m.description ?? '', /\b2 versions\b/);
    assert.match(version(m, 'v2').description ?? '', /second/);
    assert.deepStrictEqual(staged(), ['README.md']);
    const vs = await core.versions(MODEL);
    assert.deepStrictEqual(vs.map((v) => [v.version, v.commit, v.oid]), [
      [1, commits[1], sha256(V1_BYTES)],
      [2, commits[2], sha256(V2_BYTES)],
    ]);
  });

  it(`tags the latest version (tagModel on the file) as ${TAG}; the v2 node shows #${TAG}`, async () => {
    const t = await exec<TagInfo>('tagModel', modelUri, { name: TAG, message: 'rc' });
    assert.strictEqual(t?.name, TAG);
    assert.strictEqual(t.commit, commits[2]);

    const m = await waitForVersions(['v2', 'v1'], (n) => (n.children?.[0].description ?? '').includes(`#${TAG}`));
    assert.doesNotMatch(version(m, 'v1').description ?? '', /#/, 'v1 has no tag');
    assert.match(version(m, 'v2').contextValue ?? '', /\.tagged/);
    assert.match(version(m, 'v2').contextValue ?? '', /^version.*\.hasPrevious/, 'Compare with Previous Version on v2');
    const tags = await core.listTags();
    const tag = tags.find((x) => x.name === TAG);
    assert.ok(tag, `tags: ${tags.map((x) => x.name).join(', ')}`);
    assert.strictEqual(tag.commit, commits[2]);
    assert.ok(tag.annotated);
    assert.match(tag.message, /\brc$/);
  });

  it("rejects the tag name '$(touch pwned)' and runs nothing", async () => {
    const bad = '$(touch pwned)';
    const before = gitLines('tag', '--list');
    const err = await commandError('modelVersions.tagModel', modelUri, { name: bad, message: 'x' });
    assert.match(err.message, /not a valid tag name/);
    for (const dir of [root, process.cwd()]) {
      assert.ok(!fs.existsSync(path.join(dir, 'pwned')), `${dir}/pwned exists: the name was run by a shell`);
    }
    assert.deepStrictEqual(gitLines('tag', '--list'), before, 'no tag was made');
  });

  it(`sets the alias ${ALIAS} on v2; the v2 node shows ⟨${ALIAS}⟩`, async () => {
    const ev = await exec<AliasEvent>('setAlias', modelUri, { alias: ALIAS });
    assert.strictEqual(ev?.alias, ALIAS);
    assert.strictEqual(ev.to?.commit, commits[2]);

    const m = await waitForVersions(['v2', 'v1'], (n) => (n.children?.[0].description ?? '').includes(`⟨${ALIAS}⟩`));
    const v2 = version(m, 'v2');
    assert.match(v2.description ?? '', new RegExp(`#${TAG.replace('/', '\\/')}`), 'the tag still shows');
    assert.match(v2.contextValue ?? '', /^version\.aliased/);
    const aliases = await core.listAliases(MODEL);
    assert.deepStrictEqual(aliases.map((a) => [a.alias, a.commit, a.version]), [[ALIAS, commits[2], 2]]);
  });

  it('lists the alias move under the model: an "Alias history" group after the versions', async () => {
    const m = await waitFor('the Alias history group', async () => {
      const n = await modelNode();
      return n?.children?.some((c) => c.label === 'Alias history') ? n : undefined;
    });
    const labels = (m.children ?? []).map((c) => c.label);
    assert.deepStrictEqual(labels, ['v2', 'v1', 'Alias history'], showTree([m]));
    const group = m.children!.find((c) => c.label === 'Alias history')!;
    assert.strictEqual(group.description, '1 move');
    assert.deepStrictEqual((group.children ?? []).map((c) => c.label), [`${ALIAS}: set to v2`]);
    const move = group.children![0];
    const who = git(root, 'log', '-1', '--format=%an', 'refs/model-versions/aliases').trim();
    assert.match(move.description ?? '', new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} · ${who.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    assert.strictEqual(move.contextValue, 'aliasMove.set');
  });

  it('copies the permalink of v2: none without a hosted remote, the GitHub URL of its commit with one', async () => {
    const v2 = version(await waitForVersions(['v2', 'v1']), 'v2');
    await vscode.env.clipboard.writeText('before');
    const before = api.commands.errors().length;
    assert.strictEqual(await exec('copyPermalink', v2.node), undefined, 'no remote: no link');
    assert.strictEqual(api.commands.errors().length, before, 'a missing remote is a warning, not a failure');
    assert.strictEqual(await vscode.env.clipboard.readText(), 'before');
    git(root, 'remote', 'add', 'origin', 'git@github.com:acme/speech models.git');
    try {
      const link = await exec<{ url: string; notPushed?: boolean }>('copyPermalink', v2.node);
      const want = `https://github.com/acme/speech%20models/blob/${commits[2]}/${MODEL}`;
      assert.strictEqual(link?.url, want);
      assert.strictEqual(link.notPushed, true, 'nothing was pushed to origin');
      assert.strictEqual(await vscode.env.clipboard.readText(), want);
    } finally {
      git(root, 'remote', 'remove', 'origin');
    }
  });

  it('exports the model card of v2 and the version itself (bytes, README.md, evaluations.json)', async () => {
    const v2 = version(await waitForVersions(['v2', 'v1']), 'v2');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-share-'));
    try {
      const card = path.join(out, 'card.md');
      assert.strictEqual(await exec<string>('exportModelCard', v2.node, { file: card }), card);
      const text = fs.readFileSync(card, 'utf8');
      const fm = text.slice(4, text.indexOf('\n---\n', 4));
      assert.match(fm, new RegExp(`^  commit: ${commits[2]}$`, 'm'));
      assert.match(fm, new RegExp(`^  aliases:\\n    - ${ALIAS}$`, 'm'));
      assert.match(text, /^## Interface$/m);
      const dir = path.join(out, 'handover');
      const r = await exec<{ files: { name: string; sha256: string }[] }>('exportVersion', v2.node, { folder: dir });
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['README.md', 'evaluations.json', MODEL].sort());
      assert.strictEqual(sha256(path.join(dir, MODEL)), sha256(V2_BYTES), 'the exported bytes are v2\'s, not an LFS pointer');
      assert.strictEqual(r?.files.find((f) => f.name === MODEL)?.sha256, sha256(V2_BYTES));
      const err = await commandError('modelVersions.exportVersion', v2.node, { folder: dir });
      assert.match(err.message, /is not empty/);
      assert.strictEqual(git(root, 'status', '--porcelain', '--', MODEL), '', 'the working tree is untouched');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("opens v1 read-only (openVersion on the tree node): a read-only copy of v1's bytes, the working file untouched", async () => {
    const v1 = version(await waitForVersions(['v2', 'v1']), 'v1');
    const file = await exec<string>('openVersion', v1.node);
    assert.ok(file && fs.existsSync(file), `openVersion returns the copy's path: ${file}`);
    assert.ok(!file.startsWith(root + path.sep), `the copy is outside the work tree: ${file}`);
    assert.strictEqual(sha256(file), sha256(V1_BYTES));
    assert.strictEqual(fs.statSync(file).mode & 0o222, 0, 'the copy is read-only');
    assert.strictEqual(sha256(modelFile), sha256(V2_BYTES), 'the working file still holds v2');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('restores v1 (the tree node) into the working tree; the uncommitted modification is backed up first', async () => {
    fs.copyFileSync(OTHER_BYTES, modelFile); // an uncommitted modification
    const m = await waitForVersions(['v2', 'v1']);
    const v1 = version(m, 'v1');
    assert.ok(v1.node, 'the test API gives the tree node to pass to commands');

    const r = await exec<RestoreResult>('restoreVersion', v1.node, { confirm: false });
    assert.ok(r, 'restoreVersion returns its RestoreResult');
    assert.strictEqual(r.version, 1);
    assert.strictEqual(r.unchanged, false);
    assert.strictEqual(sha256(modelFile), sha256(V1_BYTES), "the working file has v1's bytes");
    assert.ok(r.backup, `a backup of the modified copy is reported: ${JSON.stringify(r)}`);
    assert.ok(fs.existsSync(r.backup), `the backup ${r.backup} exists`);
    assert.strictEqual(sha256(r.backup), sha256(OTHER_BYTES), 'the backup holds the modified bytes');
    assert.ok(!r.backup.startsWith(root + path.sep) || r.backup.includes(`${path.sep}.git${path.sep}`), `backup outside the work tree: ${r.backup}`);

    assert.strictEqual(git(root, 'rev-parse', 'HEAD').trim(), commits[2], 'restore makes no commit');
    assert.deepStrictEqual(staged(), ['README.md']);
    assert.deepStrictEqual(gitLines('diff', '--name-only'), [MODEL], 'the model now differs from HEAD (v2) in the work tree');
  });

  it('reverts to v1 as a new version v3 whose LFS oid is v1\'s', async () => {
    const v1 = version(await waitForVersions(['v2', 'v1']), 'v1');
    const r = await exec<CommitResult>('revertToVersion', v1.node, { confirm: false });
    assert.strictEqual(r?.version, 3);
    commits[3] = r.commit;

    const m = await waitForVersions(['v3', 'v2', 'v1']);
    assert.match(version(m, 'v3').description ?? '', /Revert/);
    assert.match(version(m, 'v2').description ?? '', /⟨production⟩.*#hello\/v2-rc/, 'the alias and tag stay on v2');
    const vs = await core.versions(MODEL);
    assert.strictEqual(vs.length, 3);
    assert.strictEqual(vs[2].commit, commits[3]);
    assert.strictEqual(vs[2].oid, vs[0].oid, "v3's content is v1's");
    assert.strictEqual(vs[2].oid, sha256(V1_BYTES));
    assert.match(vs[2].trailers[TRAILER.revertOf] ?? '', new RegExp(`^v1 ${commits[1]}`));
    assert.strictEqual(sha256(modelFile), sha256(V1_BYTES));
    assert.deepStrictEqual(staged(), ['README.md'], 'README.md stayed staged through the revert');
    assert.deepStrictEqual(gitLines('diff', '--name-only'), [], 'the work tree matches the index');
  });

  it('refreshes the tree by itself after a commit made outside the extension with plain git (watcher)', async () => {
    // Let the refreshes that the revert's own file events scheduled (debounced) run first, so that
    // only this commit's events can bring v4.
    await sleep(1500);
    await waitForVersions(['v3', 'v2', 'v1']);
    fs.copyFileSync(OTHER_BYTES, modelFile);
    git(root, 'add', '--', MODEL);
    git(root, 'commit', '-q', '-m', 'outside the extension', '--', MODEL); // README.md stays staged
    const head = git(root, 'rev-parse', 'HEAD').trim();

    const m = await waitForVersions(['v4', 'v3', 'v2', 'v1'], () => true, 10000);
    assert.match(version(m, 'v4').description ?? '', /outside the extension/);
    assert.match(version(m, 'v4').description ?? '', new RegExp(head.slice(0, 7)));
    const vs = await core.versions(MODEL);
    assert.strictEqual(vs[3].oid, sha256(OTHER_BYTES));
    assert.ok(vs[3].lfs, 'plain git stored it through the LFS filter too (.gitattributes written by the first commit)');
  });
});
