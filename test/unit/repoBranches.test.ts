/**
 * Versions on every branch (issue #17 parts 1, 2 and 4): branch groups with ahead/behind, branch
 * version specs (`m@experiment`, `m@experiment~1`, `m@origin/sweep`), log --all/--branch, diff/show/
 * tag/alias on branch versions, promote, and bad input (no such branch, detached HEAD, LFS objects
 * never fetched). Every expectation comes from plain git commands or the fixture files' sha256.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository, RepoError } from '../../src/core/repo';
import { splitVersionSpec } from '../../src/cli/versionSpec';
import { branchMatches, parseBranchSpec } from '../../src/core/repo/branches';
import { cli } from '../support/cli';
import { KERAS_VERSIONS, TempSpace, put, sha256 } from './repoTestUtil';

const rejectsWith = async (p: Promise<unknown>, code: string, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RepoError, String(e));
    assert.strictEqual(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
};

describe('branch version specs: parsing', () => {
  it('splits <file>@<spec> at the last @, also when the spec holds a / (a remote branch), not at an @ of a folder', () => {
    assert.deepStrictEqual(splitVersionSpec('models/a.onnx@v3'), ['models/a.onnx', 'v3']);
    assert.deepStrictEqual(splitVersionSpec('models/a.onnx@origin/main'), ['models/a.onnx', 'origin/main']);
    assert.deepStrictEqual(splitVersionSpec('a.onnx@experiment/lr-sweep~2'), ['a.onnx', 'experiment/lr-sweep~2']);
    assert.deepStrictEqual(splitVersionSpec('runs@2/a.onnx'), ['runs@2/a.onnx', undefined]);
    assert.deepStrictEqual(splitVersionSpec('runs@2/a.onnx@origin/main'), ['runs@2/a.onnx', 'origin/main']);
    assert.deepStrictEqual(splitVersionSpec('ckpt@refs/heads/main'), ['ckpt', 'refs/heads/main']);
  });
  it('reads name~N as git does (~ alone is ~1) and matches branch patterns by segment', () => {
    assert.deepStrictEqual(parseBranchSpec('experiment'), { name: 'experiment', back: 0 });
    assert.deepStrictEqual(parseBranchSpec('origin/exp~3'), { name: 'origin/exp', back: 3 });
    assert.deepStrictEqual(parseBranchSpec('exp~'), { name: 'exp', back: 1 });
    assert.strictEqual(parseBranchSpec('-x'), undefined);
    assert.strictEqual(branchMatches('experiment/lr-sweep', 'experiment/*'), true);
    assert.strictEqual(branchMatches('experiment/a/b', 'experiment/*'), false);
    assert.strictEqual(branchMatches('experiment/a/b', 'experiment/**'), true);
    assert.strictEqual(branchMatches('origin/release-1.2', 'origin/release-*'), true);
    assert.strictEqual(branchMatches('originXrelease', 'origin.release'), false);
  });
});

describe('repo: versions on other branches, branch specs and promote', function () {
  this.timeout(120000);
  let t: TempSpace;
  let work: string;
  let remote: string;
  let repo: ModelRepository;
  let restoreEnv: () => void;
  const rel = 'models/my_nn.h5';
  const K = KERAS_VERSIONS;
  const git = (...a: string[]) => t.git(work, ...a).trim();

  before(async () => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    remote = t.bare();
    work = t.repo();
    t.git(work, 'remote', 'add', 'origin', `file://${remote}`);
    // plain git commits (fast); the model through Git LFS
    fs.writeFileSync(path.join(work, '.gitattributes'), '*.h5 filter=lfs diff=lfs merge=lfs -text\n');
    git('add', '.gitattributes');
    const commit = (f: string, msg: string) => {
      put(work, rel, f);
      git('add', rel);
      git('commit', '-q', '-m', msg);
    };
    // main: v1 (K0), v2 (K1); experiment from there: K2, K3 (+ a file that promote must not take); main: K4
    commit(K[0], 'main 1');
    commit(K[1], 'main 2');
    git('switch', '-q', '-c', 'experiment');
    commit(K[2], 'lr 0.01');
    fs.writeFileSync(path.join(work, 'train.py'), 'lr = 0.001\n');
    git('add', 'train.py');
    git('commit', '-q', '-m', 'training script');
    commit(K[3], 'lr 0.001');
    // a branch that only the remote has: origin/sweep (K5), its LFS object pushed
    git('switch', '-q', '-c', 'sweep', 'main');
    commit(K[5], 'sweep best');
    git('push', '-q', 'origin', 'sweep');
    git('switch', '-q', 'main');
    git('branch', '-q', '-D', 'sweep');
    commit(K[4], 'main 3');
    git('push', '-q', 'origin', 'main');
    git('fetch', '-q', 'origin');
    repo = await ModelRepository.open(work, { env: t.env });
  });
  after(() => {
    restoreEnv();
    t.cleanup();
  });

  it('groups the versions each branch has and HEAD lacks, with ahead/behind from git rev-list', async () => {
    assert.strictEqual((await repo.versions(rel)).length, 3);
    const groups = await repo.branchGroups({ show: 'local' });
    assert.deepStrictEqual(groups.map((g) => g.name), ['experiment']);
    const g = groups[0];
    const [behind, ahead] = git('rev-list', '--left-right', '--count', 'main...experiment').split(/\s+/).map(Number);
    assert.deepStrictEqual([g.ahead, g.behind], [ahead, behind]);
    assert.deepStrictEqual([g.ahead, g.behind], [3, 1]);
    assert.strictEqual(g.tip, git('rev-parse', 'experiment'));
    assert.strictEqual(g.models.length, 1);
    const m = g.models[0];
    assert.strictEqual(m.model, rel);
    assert.strictEqual(m.total, 4);
    // the model-changing commits of main..experiment, oldest first (git's own answer)
    const expected = git('log', '--reverse', '--format=%H', 'main..experiment', '--', rel).split('\n');
    assert.deepStrictEqual(m.versions.map((v) => v.commit), expected);
    assert.deepStrictEqual(m.versions.map((v) => v.oid), [sha256(K[2]), sha256(K[3])]);
    assert.deepStrictEqual(m.versions.map((v) => [v.version, v.branch, v.outsideHistory]), [[3, 'experiment', true], [4, 'experiment', true]]);

    const all = await repo.branchGroups({ show: 'local and remote' });
    assert.deepStrictEqual(all.map((x) => x.name), ['experiment', 'origin/main', 'origin/sweep']);
    const om = all[1];
    assert.deepStrictEqual([om.ahead, om.behind, om.models.length, om.remote], [0, 0, 0, true]);
    const sw = all[2];
    assert.deepStrictEqual(sw.models[0].versions.map((v) => v.oid), [sha256(K[5])]);
    assert.deepStrictEqual((await repo.branchGroups({ show: 'local and remote', patterns: ['origin/*'] })).map((x) => x.name), ['origin/main', 'origin/sweep']);
    assert.deepStrictEqual(await repo.branchGroups({ show: 'none' }), []);
  });

  it('resolves <branch>, <branch>~N, <remote>/<branch> and refs/…; a tag of the same name wins over a branch', async () => {
    const tip = git('rev-parse', 'experiment');
    const v = await repo.resolveVersion(rel, 'experiment');
    assert.deepStrictEqual([v.commit, v.oid, v.version, v.branch], [tip, sha256(K[3]), 4, 'experiment']);
    assert.strictEqual((await repo.resolveVersion(rel, 'experiment~1')).oid, sha256(K[2]));
    // ~2 is v2, which main has too: the main version itself
    const shared = await repo.resolveVersion(rel, 'experiment~2');
    assert.deepStrictEqual([shared.version, shared.oid, shared.outsideHistory, shared.branch], [2, sha256(K[1]), undefined, undefined]);
    assert.strictEqual((await repo.resolveVersion(rel, 'origin/sweep')).oid, sha256(K[5]));
    assert.strictEqual((await repo.resolveVersion(rel, 'refs/remotes/origin/sweep')).commit, git('rev-parse', 'origin/sweep'));
    assert.strictEqual((await repo.resolveVersion(rel, 'latest~1')).oid, sha256(K[1]));
    await rejectsWith(repo.resolveVersion(rel, 'experiment~4'), 'NO_SUCH_VERSION', /has 4 versions on experiment.*experiment~3 is the oldest/);
    await rejectsWith(repo.resolveVersion(rel, 'no-such-branch'), 'NO_SUCH_VERSION', /no version 'no-such-branch'.*branches: experiment, main, origin\/main, origin\/sweep/);
    await rejectsWith(repo.resolveVersion(rel, 'origin/nope'), 'NO_SUCH_VERSION', /remote branch is named as <remote>\/<branch> after `git fetch`/);
    // git's order: a tag before a branch of the same name; refs/heads/… names the branch
    git('tag', 'experiment', git('log', '--format=%H', '--reverse', 'main', '--', rel).split('\n')[0]);
    try {
      assert.strictEqual((await repo.resolveVersion(rel, 'experiment')).version, 1);
      assert.strictEqual((await repo.resolveVersion(rel, 'refs/heads/experiment')).oid, sha256(K[3]));
      assert.strictEqual((await repo.resolveVersion(rel, 'refs/tags/experiment')).version, 1);
    } finally {
      git('tag', '-d', 'experiment');
    }
  });

  it('log --all --json and --branch list the branch versions; an unknown branch is refused', async () => {
    const r = await cli(['log', '--all', '--json', '-C', work]);
    assert.strictEqual(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { branch: string; models: { versions: unknown[] }[]; branches: { name: string; ahead: number; behind: number; models: { model: string; versions: { commit: string; branch: string; version: number }[] }[] }[] };
    assert.strictEqual(doc.branch, 'main');
    assert.strictEqual(doc.models[0].versions.length, 3);
    assert.deepStrictEqual(doc.branches.map((b) => [b.name, b.ahead, b.behind]), [['experiment', 3, 1], ['origin/main', 0, 0], ['origin/sweep', 1, 1]]);
    assert.deepStrictEqual(doc.branches[0].models[0].versions.map((v) => [v.version, v.branch]), [[3, 'experiment'], [4, 'experiment']]);
    const text = await cli(['log', rel, '--branch', 'origin/sweep', '-C', work]);
    assert.strictEqual(text.code, 0, text.err);
    assert.match(text.out, /remote-tracking branch origin\/sweep {2}\(1 commit ahead, 1 behind main\)/);
    assert.match(text.out, /1 version not on main/);
    const bad = await cli(['log', '--branch', 'nope', '-C', work]);
    assert.strictEqual(bad.code, 1);
    assert.match(bad.err, /There is no branch 'nope' \(branches: experiment, main, origin\/main, origin\/sweep\)/);
  });

  it('diff and show take branch versions; tag and alias work on them', async () => {
    const d = await cli(['diff', `${work}/${rel}@v1`, `${work}/${rel}@experiment`, '--json']);
    assert.strictEqual(d.code, 1, d.err); // 1: the models differ (2 would be an error)
    assert.match(JSON.parse(d.out).b.label as string, /@experiment \(v4 on experiment\)/);
    const same = await cli(['diff', `${work}/${rel}@experiment~1`, K[2]]);
    assert.strictEqual(same.code, 0, same.out + same.err);
    const out = path.join(t.dir, 'sweep.h5');
    const s = await cli(['show', `${rel}@origin/sweep`, '--out', out, '-C', work]);
    assert.strictEqual(s.code, 0, s.err);
    assert.strictEqual(sha256(out), sha256(K[5]));
    const rs = await cli(['restore', rel, '--version', 'experiment~1', '-C', work]);
    assert.strictEqual(rs.code, 0, rs.err);
    assert.match(rs.out, /^Restored models\/my_nn\.h5 to v3 of experiment \(/);
    assert.strictEqual(sha256(path.join(work, rel)), sha256(K[2]));
    git('checkout', '--', rel);

    const tag = await repo.tag(rel, { version: 'experiment' });
    assert.strictEqual(tag.name, 'my_nn/experiment/v4');
    assert.strictEqual(git('rev-parse', `${tag.name}^{commit}`), git('rev-parse', 'experiment'));
    await repo.setAlias(rel, 'candidate', 'experiment~1');
    const a = (await repo.listAliases(rel)).find((x) => x.alias === 'candidate');
    assert.strictEqual(a?.commit, git('log', '-1', '--format=%H', 'experiment~1', '--', rel));
    const byAlias = await repo.resolveVersion(rel, 'candidate');
    assert.deepStrictEqual([byAlias.oid, byAlias.outsideHistory], [sha256(K[2]), true]);
  });

  it('promote commits only the model, derived from the branch version; refuses dirty files and versions HEAD has', async () => {
    const abs = path.join(work, rel);
    put(work, rel, K[0]); // an uncommitted change: never overwritten
    await rejectsWith(repo.promote(rel, 'experiment'), 'CONFLICT', /has uncommitted changes; promoting would overwrite it/);
    assert.strictEqual(sha256(abs), sha256(K[0]));
    git('checkout', '--', rel);
    await rejectsWith(repo.promote(rel, 'v2'), 'UNCHANGED', /which main already has: nothing to promote/);
    const before = git('rev-parse', 'HEAD');
    const tip = git('rev-parse', 'experiment');
    const r = await cli(['promote', `${rel}@experiment`, '-C', work]);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /Promoted models\/my_nn\.h5@experiment \(v4 of experiment, [0-9a-f]{7}\) onto main as v4/);
    assert.strictEqual(git('rev-parse', 'HEAD~1'), before);
    assert.deepStrictEqual(git('diff', '--name-only', 'HEAD~1', 'HEAD').split('\n'), [rel]); // not train.py
    assert.ok(!fs.existsSync(path.join(work, 'train.py')));
    assert.strictEqual(sha256(abs), sha256(K[3]));
    assert.strictEqual(git('log', '-1', '--format=%(trailers:key=Model-Derived-From,valueonly)'), `${rel}@${tip}`);
    assert.strictEqual(git('log', '-1', '--format=%(trailers:key=Model-Promoted-From,valueonly)'), `experiment ${tip}`);
    const latest = await repo.resolveVersion(rel, 'latest');
    assert.deepStrictEqual([latest.version, latest.oid], [4, sha256(K[3])]);
  });

  it('detached HEAD: log --all still lists every branch; promote is refused', async () => {
    git('checkout', '-q', '--detach', 'HEAD~2');
    try {
      const groups = await repo.branchGroups({ show: 'local' });
      assert.deepStrictEqual(groups.map((g) => g.name), ['experiment', 'main']);
      const r = await cli(['log', '--all', '-C', work]);
      assert.strictEqual(r.code, 0, r.err);
      assert.match(r.out, /^On detached HEAD \([0-9a-f]{7}\):/);
      await rejectsWith(repo.promote(rel, 'experiment'), 'DETACHED_HEAD', /HEAD is detached.*git switch <branch>/);
    } finally {
      git('checkout', '-q', 'main');
    }
  });

  it('a remote branch whose LFS objects were never fetched: the error names `git lfs fetch origin <branch>`', async () => {
    const cloneDir = path.join(t.dir, 'clone');
    t.git(t.dir, 'clone', '-q', `file://${remote}`, cloneDir);
    const clone = await ModelRepository.open(cloneDir, { env: t.env });
    t.git(cloneDir, 'remote', 'set-url', 'origin', `file://${path.join(t.dir, 'gone.git')}`);
    const oid = sha256(K[5]);
    assert.ok(!fs.existsSync(path.join(cloneDir, '.git', 'lfs', 'objects', oid.slice(0, 2), oid.slice(2, 4), oid)));
    await rejectsWith(clone.readVersionBytes(rel, 'origin/sweep', { out: path.join(t.dir, 'x.h5') }), 'LFS_FETCH_FAILED', /on the remote-tracking branch origin\/sweep, whose Git LFS objects were not fetched.*`git lfs fetch origin sweep`/s);
  });
});
