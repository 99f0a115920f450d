/**
 * The history after a refresh equals a full rebuild: new commits (incremental), amends, rebases,
 * resets, branch switches, merges (full), renames, deletions; the disk cache read by another process
 * equals it too, also after two processes appended to it and after a torn write. And the refresh
 * after one new commit does O(new) work: histories it did not touch are the very same objects.
 * `modelver log --json`, which keeps a cache of its own and goes on from it after new commits,
 * prints the same as ModelRepository.histories() (--pretty) at every step.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository, type ModelHistory } from '../../src/core/repo';
import { Git } from '../../src/core/repo/git';
import { scanHistory } from '../../src/core/repo/history';
import { buildHistories } from '../../src/core/repo/versions';
import { TempSpace } from './repoTestUtil';
import { runCli } from '../../src/cli/main';
import * as logJson from '../../src/cli/commands/logJson';

async function cli(args: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s: string) => out.push(s + '\n'), err: (s: string) => err.push(s) });
  assert.strictEqual(code, 0, err.join('\n'));
  return out.join('');
}

function pointer(seed: string): string {
  const oid = crypto.createHash('sha256').update(seed).digest('hex');
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${1000 + (parseInt(oid.slice(0, 4), 16) % 5000)}\n`;
}

type Plain = Record<string, unknown>;
/** histories as plain data (order of models and versions kept) */
const plain = (m: ReadonlyMap<string, ModelHistory>): Plain[] => JSON.parse(JSON.stringify([...m.values()]));

describe('history: incremental refresh equals a full rebuild', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let live: ModelRepository;
  let n = 0;

  const git = (...args: string[]) => t.git(dir, ...args);
  /** one commit: each path gets new pointer content (or is deleted when null) */
  const commit = (files: Record<string, string | null>, message = `commit ${++n}`): string => {
    for (const [p, seed] of Object.entries(files)) {
      const abs = path.join(dir, p);
      if (seed === null) fs.rmSync(abs);
      else {
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        fs.writeFileSync(abs, pointer(`${p}:${seed}`));
      }
    }
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD').trim();
  };
  const open = () => ModelRepository.open(dir, { env: t.env });

  const LOG_SOURCE: Record<string, string> = { incremental: 'cache + new commits', full: 'history', memory: 'cache' };

  /**
   * live (kept open, refreshed) == a new process reading live's disk cache == a rebuild from nothing;
   * and `modelver log --json` (from its cache as it was at the last check) == the same.
   */
  async function check(mode: string, newCommits?: number, logSource: string | undefined = LOG_SOURCE[mode]): Promise<Map<string, ModelHistory>> {
    const got = await live.histories();
    assert.strictEqual(live.lastRefresh?.mode, mode, `refresh mode (${JSON.stringify(live.lastRefresh)})`);
    if (newCommits !== undefined) assert.strictEqual(live.lastRefresh?.newCommits, newCommits);
    await live.flushCache();
    const fromDisk = await open();
    const disk = await fromDisk.histories();
    assert.strictEqual(fromDisk.lastRefresh?.mode, 'disk');
    const isModel = (p: string) => live.matcher.matches(p);
    const scan = await scanHistory(new Git(dir, t.env), 'HEAD', isModel);
    const rebuilt = buildHistories({ key: '', head: '', commits: scan.commits, blobs: scan.blobs }, isModel);
    for (const f of fs.readdirSync(live.dataDir)) if (f.startsWith('history-')) fs.rmSync(path.join(live.dataDir, f));
    const fresh = await open();
    const full = await fresh.histories();
    assert.strictEqual(fresh.lastRefresh?.mode, 'full');
    await fresh.flushCache();
    assert.ok(plain(rebuilt).length > 0);
    assert.deepStrictEqual(plain(got), plain(full));
    assert.deepStrictEqual(plain(disk), plain(full));
    // the raw builder agrees on everything but tags/aliases/notes
    const strip = (xs: Plain[]) => xs.map((h) => ({ ...h, versions: (h.versions as Plain[]).map((v) => ({ ...v, tags: [], aliases: [], metadata: undefined })) }));
    assert.deepStrictEqual(JSON.parse(JSON.stringify(strip(plain(got)))), JSON.parse(JSON.stringify(strip(plain(rebuilt)))));
    const log = await cli(['log', '--json', '-C', dir]);
    if (logSource) assert.strictEqual(logJson.lastLogSource, logSource, 'where modelver log got its log');
    assert.deepStrictEqual(JSON.parse(log), JSON.parse(await cli(['log', '--json', '--pretty', '-C', dir])));
    return got;
  }

  let restoreEnv: (() => void) | undefined;
  before(async () => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    dir = t.repo();
    commit({ 'models/a.onnx': '1', 'models/b.onnx': '1', 'c.h5': '1' });
    commit({ 'models/a.onnx': '2' }, 'train a\n\nSigned-off-by: Test User <test@example.com>');
    live = await open();
    await check('full');
  });
  after(() => {
    restoreEnv?.();
    t?.cleanup();
  });

  it('new commits on top of HEAD: incremental, O(new); untouched histories are the same objects', async () => {
    const before = await live.histories();
    commit({ 'models/a.onnx': '3' });
    const after = await check('incremental', 1);
    assert.strictEqual(live.lastRefresh?.blobsRead, 1);
    assert.strictEqual(after.get('models/b.onnx'), before.get('models/b.onnx'), 'an untouched history is not copied');
    assert.strictEqual(after.get('c.h5'), before.get('c.h5'));
    assert.notStrictEqual(after.get('models/a.onnx'), before.get('models/a.onnx'));
    // what a caller holds is not changed by the refresh
    assert.strictEqual(before.get('models/a.onnx')!.versions.length, 2);
    assert.strictEqual(after.get('models/a.onnx')!.versions.length, 3);
    assert.ok(Object.isFrozen(after.get('models/a.onnx')!.versions[2]));
    commit({ 'models/b.onnx': '2', 'c.h5': '2' });
    commit({ 'README.md': null });
    commit({ 'models/b.onnx': '3' });
    await check('incremental', 2);
  });

  it('renames (pure, and renamed + changed in one commit), deletions and re-adds', async () => {
    git('mv', 'models/b.onnx', 'models/b2.onnx');
    git('commit', '-q', '-m', 'rename b');
    let h = await check('incremental', 1);
    assert.deepStrictEqual(h.get('models/b2.onnx')!.paths, ['models/b.onnx', 'models/b2.onnx']);
    assert.ok(h.get('models/b2.onnx')!.versions.every((v) => v.model === 'models/b2.onnx'));
    fs.mkdirSync(path.join(dir, 'sub'));
    git('mv', 'c.h5', 'sub/c-renamed.h5');
    fs.writeFileSync(path.join(dir, 'sub/c-renamed.h5'), pointer('c:moved'));
    git('add', '-A');
    git('commit', '-q', '-m', 'rename and change c');
    h = await check('incremental', 1);
    assert.deepStrictEqual(h.get('sub/c-renamed.h5')!.paths, ['c.h5', 'sub/c-renamed.h5']);
    // a model moved onto the path of another, deleted in the same commit
    commit({ 'models/c2.onnx': 'c2' });
    await check('incremental', 1);
    git('rm', '-q', 'models/b2.onnx');
    git('mv', 'models/c2.onnx', 'models/b2.onnx');
    git('commit', '-q', '-m', 'c2 replaces b2');
    await check('incremental', 1);
    commit({ 'models/a.onnx': null });
    h = await check('incremental', 1);
    assert.strictEqual(h.get('models/a.onnx')!.deleted, true);
    commit({ 'models/a.onnx': 'back' });
    h = await check('incremental', 1);
    assert.strictEqual(h.get('models/a.onnx')!.deleted, false);
  });

  it('amend, reset and rebase: a full rebuild', async () => {
    const before = git('rev-parse', 'HEAD').trim();
    git('commit', '-q', '--amend', '-m', 'amended');
    // the commit the caches were made at is gone from the repository
    git('reflog', 'expire', '--expire=now', '--all');
    git('gc', '-q', '--prune=now');
    assert.throws(() => git('cat-file', '-e', before));
    await live.histories();
    assert.strictEqual(live.lastRefresh?.mode, 'full');
    assert.strictEqual(live.lastRefresh?.blobsRead, 0, 'a rebuild reads no pointer it knows');
    await check('memory', undefined, 'history');
    commit({ 'models/a.onnx': '10' });
    commit({ 'models/a.onnx': '11' });
    await check('incremental', 2);
    git('reset', '-q', '--hard', 'HEAD~2');
    await check('full');
    assert.strictEqual(live.lastRefresh?.blobsRead, 0);
    git('switch', '-q', '-c', 'topic');
    commit({ 'models/a.onnx': 'topic1' });
    const topic1 = `commit ${n}`;
    commit({ 'models/new.onnx': 'topic2' });
    await check('incremental', 2);
    git('switch', '-q', 'main');
    await check('full');
    commit({ 'models/b2.onnx': 'main1' });
    await check('incremental', 1);
    git('switch', '-q', 'topic');
    await check('full');
    git('rebase', '-q', 'main');
    const h = await check('full');
    assert.deepStrictEqual(
      h.get('models/a.onnx')!.versions.slice(-1).map((v) => v.subject),
      [topic1],
    );
  });

  it('a merge: numbered as a fresh clone numbers it', async () => {
    git('switch', '-q', 'main');
    await check('full');
    git('switch', '-q', '-c', 'feature');
    commit({ 'models/a.onnx': 'f1' });
    commit({ 'models/a.onnx': 'f2' });
    await check('incremental', 2);
    // feature was refreshed last; main gets a version of its own and merges feature: the head moves
    // from feature's tip to the merge, whose history interleaves main's version with feature's
    git('switch', '-q', 'main');
    commit({ 'models/a.onnx': 'm1' });
    git('merge', '-q', '--no-ff', '-X', 'theirs', '-m', 'merge feature', 'feature');
    await check('full');
    // a merge made on top of the refreshed head: also a full rebuild
    git('switch', '-q', '-c', 'side');
    commit({ 'models/b2.onnx': 's1' });
    git('switch', '-q', 'main');
    commit({ 'models/b2.onnx': 'm2' });
    await check('incremental', 1);
    git('merge', '-q', '--no-ff', '-X', 'theirs', '-m', 'merge side', 'side');
    await check('full');
  });

  it('tags, aliases and notes are attached to copies; the shared versions stay bare', async () => {
    const h0 = await live.histories();
    const a = h0.get('models/a.onnx')!;
    const v2 = a.versions[1]; // commit 2 changed models/a.onnx alone
    await live.tag('models/a.onnx', { version: 'v2', name: 'a-second' });
    await live.setAlias('models/a.onnx', 'prod', 'v2');
    await live.addMetadata('models/a.onnx', 'v2', { acc: 0.9 });
    const h = await check('memory');
    const a1 = h.get('models/a.onnx')!;
    assert.deepStrictEqual(a1.versions[1].tags.map((x) => x.name), ['a-second']);
    assert.deepStrictEqual(a1.versions[1].aliases, ['prod']);
    assert.deepStrictEqual(a1.versions[1].metadata, { acc: 0.9 });
    assert.deepStrictEqual(v2.tags, []);
    assert.deepStrictEqual(v2.aliases, []);
    assert.strictEqual(v2.metadata, undefined);
    assert.strictEqual(a1.versions[0], a.versions[0], 'a version without tags, aliases or notes is shared');
    assert.strictEqual(h.get('models/b2.onnx'), h0.get('models/b2.onnx'));
  });

  it('two processes appending to one disk cache from diverged heads: the reader rebuilds, never mixes', async () => {
    const base = commit({ 'models/a.onnx': 'x0' });
    const p1 = await open();
    const p2 = await open();
    await p1.histories();
    await p2.histories();
    commit({ 'models/a.onnx': 'only-in-x1' });
    await p1.histories();
    assert.strictEqual(p1.lastRefresh?.mode, 'incremental');
    await p1.flushCache();
    git('reset', '-q', '--hard', base);
    commit({ 'models/b2.onnx': 'x2' });
    await p2.histories();
    assert.strictEqual(p2.lastRefresh?.mode, 'incremental');
    await p2.flushCache();
    // the file now holds base → x1 and base → x2: a third process must not see x1's version
    const p3 = await open();
    const h = await p3.histories();
    assert.ok(!h.get('models/a.onnx')!.versions.some((v) => v.subject === `commit ${n - 1}`), 'a version of another branch leaked in');
    assert.notStrictEqual(p3.lastRefresh?.mode, 'disk');
    live = p3;
    await check('memory', undefined, 'cache + new commits');
    // and the next write made the file whole again
    commit({ 'models/a.onnx': 'x3' });
    await check('incremental', 1);
  });

  it('a torn cache line (a crash mid-append) is ignored, and the file is rewritten on the next write', async () => {
    await live.flushCache();
    const file = fs.readdirSync(live.dataDir).find((f) => f.startsWith('history-'))!;
    fs.appendFileSync(path.join(live.dataDir, file), '["' + 'a'.repeat(40) + '","');
    live = await open();
    await live.histories();
    assert.strictEqual(live.lastRefresh?.mode, 'disk');
    commit({ 'models/a.onnx': 'after-tear' });
    await check('incremental', 1);
  });
});
