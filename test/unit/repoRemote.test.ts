import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository, RepoError } from '../../src/core/repo';
import { KERAS_VERSIONS, TempSpace, put, sha256 } from './repoTestUtil';

describe('repo: push and fetch through a bare file:// remote', function () {
  this.timeout(120000);
  let t: TempSpace;
  let work: string;
  let remote: string;
  let repo: ModelRepository;
  const rel = 'models/my_nn.h5';

  before(async () => {
    t = new TempSpace();
    remote = t.bare();
    work = t.repo();
    t.git(work, 'remote', 'add', 'origin', `file://${remote}`);
    repo = await ModelRepository.open(work, { env: t.env });
    for (const [i, f] of KERAS_VERSIONS.slice(0, 4).entries()) {
      put(work, rel, f);
      await repo.commitModel(rel, `train ${i + 1}`);
    }
    await repo.tag(rel, { version: 'v2', message: 'first release' });
    await repo.setAlias(rel, 'production', 'v2');
    await repo.setAlias(rel, 'staging', 'v4');
    await repo.addMetadata(rel, 'v2', { eval: { accuracy: 0.9 } });
  });
  after(() => t.cleanup());

  it('push sends branch, tags, alias log, notes and LFS objects', async () => {
    const r = await repo.push();
    assert.strictEqual(r.remote, 'origin');
    assert.strictEqual(r.branch, 'main');
    const all = t.git(remote, 'for-each-ref', '--format=%(refname)').trim().split('\n').sort();
    const keep = 'refs/model-versions/keep/';
    const refs = all.filter((r) => !r.startsWith(keep));
    assert.deepStrictEqual(refs, ['refs/heads/main', 'refs/model-versions/aliases', 'refs/notes/model-versions', 'refs/tags/my_nn/v2']);
    // the commits the aliases point at are kept on the remote too (refs/model-versions/keep/<commit>)
    const targets = [...new Set((await repo.listAliases()).map((a) => a.commit))].sort();
    assert.deepStrictEqual(all.filter((r) => r.startsWith(keep)).map((r) => r.slice(keep.length)), targets);
    for (const f of KERAS_VERSIONS.slice(0, 4)) {
      const oid = sha256(f);
      assert.ok(fs.existsSync(path.join(remote, 'lfs', 'objects', oid.slice(0, 2), oid.slice(2, 4), oid)), `LFS object ${oid} on the remote`);
    }
  });

  it('a clone elsewhere, after fetch, sees the same versions, tags, aliases and notes', async () => {
    const cloneDir = path.join(t.dir, 'clone');
    t.git(t.dir, 'clone', '-q', `file://${remote}`, cloneDir);
    const clone = await ModelRepository.open(cloneDir, { env: t.env });
    const f = await clone.fetch();
    assert.deepStrictEqual(f.updated.map((u) => `${u.ref} ${u.how}`).sort(), [
      'refs/model-versions/aliases created',
      'refs/notes/model-versions created',
    ]);
    const a = await repo.versions(rel);
    const b = await clone.versions(rel);
    const pick = (v: (typeof a)[number]) => [v.version, v.commit, v.oid, v.size, v.tags.map((x) => x.name), v.aliases, v.metadata ?? null];
    assert.deepStrictEqual(b.map(pick), a.map(pick));
    assert.deepStrictEqual(await clone.listAliases(), await repo.listAliases());
    assert.deepStrictEqual(
      (await clone.aliasLog()).map((e) => e.message),
      (await repo.aliasLog()).map((e) => e.message),
    );
    assert.deepStrictEqual(await clone.getMetadata(rel, 'v2'), { eval: { accuracy: 0.9 } });

    // only HEAD's content was downloaded by the clone; v1 comes through git-lfs, verified
    const v1 = sha256(KERAS_VERSIONS[0]);
    const localObj = path.join(cloneDir, '.git', 'lfs', 'objects', v1.slice(0, 2), v1.slice(2, 4), v1);
    assert.ok(!fs.existsSync(localObj), 'v1 is not in the clone’s LFS store yet');
    const seen: number[] = [];
    const out = path.join(t.dir, 'v1-from-remote.h5');
    const r = await clone.readVersionBytes(rel, 'v1', { out, onProgress: (p) => seen.push(p.bytes) });
    assert.strictEqual(r.source, 'fetched');
    assert.strictEqual(sha256(out), v1);
    assert.ok(seen.length >= 1);
    assert.strictEqual((await clone.readVersionBytes(rel, 'v1', { out })).source, 'local');

    // a move made in the clone, pushed, then fetched back fast-forwards the alias log
    await clone.setAlias(rel, 'production', 'v3');
    await clone.addMetadata(rel, 'v3', { eval: { accuracy: 0.93 } });
    await clone.push();
    const back = await repo.fetch();
    assert.deepStrictEqual(back.updated.map((u) => `${u.ref} ${u.how}`).sort(), [
      'refs/model-versions/aliases fast-forward',
      'refs/notes/model-versions fast-forward',
    ]);
    assert.strictEqual((await repo.resolveVersion(rel, 'production')).version, 3);
    assert.deepStrictEqual(await repo.getMetadata(rel, 'v3'), { eval: { accuracy: 0.93 } });

    // both sides move: nothing is overwritten, a clear error
    await clone.setAlias(rel, 'staging', 'v1');
    await clone.push();
    await repo.setAlias(rel, 'staging', 'v2');
    await assert.rejects(repo.fetch(), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.strictEqual(e.code, 'NON_FAST_FORWARD');
      assert.match(e.message, /alias log .* changed both here and on origin/);
      return true;
    });
    assert.strictEqual((await repo.resolveVersion(rel, 'staging')).version, 2);
    await assert.rejects(repo.push(), (e: unknown) => e instanceof RepoError && e.code === 'NON_FAST_FORWARD' && /modelver fetch/.test(e.message));
  });

  it('a version whose LFS object is nowhere fails with a clear error', async () => {
    const dir = t.repo('lonely');
    const lonely = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'a.h5', KERAS_VERSIONS[0]);
    await lonely.commitModel('a.h5', 'v1');
    put(dir, 'a.h5', KERAS_VERSIONS[1]);
    await lonely.commitModel('a.h5', 'v2');
    const oid = sha256(KERAS_VERSIONS[0]);
    fs.rmSync(path.join(dir, '.git', 'lfs', 'objects', oid.slice(0, 2), oid.slice(2, 4), oid));
    await assert.rejects(lonely.readVersionBytes('a.h5', 'v1', { out: path.join(t.dir, 'x.h5') }), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.strictEqual(e.code, 'LFS_FETCH_FAILED');
      return true;
    });
    assert.ok(!fs.existsSync(path.join(t.dir, 'x.h5')));
  });
});
