/**
 * ModelRepository.modelStatus: whether a commit would make a new version, asked before any prompt
 * (the commit command checks it first). new / modified / unchanged, with the version it matches.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { formatPointer, ModelRepository, RepoError } from '../../src/core/repo';
import { KERAS_VERSIONS, TempSpace, put, sha256 } from './repoTestUtil';

describe('repo: modelStatus (is there anything to commit?)', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  const rel = 'models/my_nn.h5';

  before(async () => {
    t = new TempSpace();
    dir = t.repo();
    repo = await ModelRepository.open(dir, { env: t.env });
  });
  after(() => t.cleanup());

  it('new before the first commit; unchanged after it, naming the version; modified with other bytes', async () => {
    put(dir, rel, KERAS_VERSIONS[0]);
    assert.deepStrictEqual(await repo.modelStatus(rel), { state: 'new', model: rel });
    await repo.commitModel(rel, 'v1');
    put(dir, rel, KERAS_VERSIONS[1]);
    await repo.commitModel(rel, 'v2');

    const same = await repo.modelStatus(path.join(dir, rel));
    assert.strictEqual(same.state, 'unchanged');
    assert.strictEqual(same.state === 'unchanged' && same.version.version, 2);
    assert.strictEqual(same.state === 'unchanged' && same.version.oid, sha256(KERAS_VERSIONS[1]));

    put(dir, rel, KERAS_VERSIONS[0]); // the bytes of v1: a commit would make v3
    const back = await repo.modelStatus(rel);
    assert.strictEqual(back.state, 'modified');
    assert.strictEqual(back.state === 'modified' && back.version?.version, 2);
  });

  it('equal size, other bytes: modified; the same bytes written again (new mtime): unchanged', async () => {
    put(dir, rel, KERAS_VERSIONS[1]);
    const bytes = fs.readFileSync(path.join(dir, rel));
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] ^= 0xff;
    fs.writeFileSync(path.join(dir, rel), flipped);
    assert.strictEqual((await repo.modelStatus(rel)).state, 'modified');
    fs.writeFileSync(path.join(dir, rel), bytes);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, rel), later, later);
    assert.strictEqual((await repo.modelStatus(rel)).state, 'unchanged');
  });

  it("a working file that is still HEAD's LFS pointer counts as those bytes; a missing file is an error", async () => {
    const oid = sha256(KERAS_VERSIONS[1]);
    fs.writeFileSync(path.join(dir, rel), formatPointer({ oid, size: fs.statSync(KERAS_VERSIONS[1]).size }));
    assert.strictEqual((await repo.modelStatus(rel)).state, 'unchanged');
    put(dir, rel, KERAS_VERSIONS[1]);
    await assert.rejects(repo.modelStatus('models/none.h5'), (e: unknown) => e instanceof RepoError && e.code === 'NOT_FOUND' && /does not exist/.test(e.message));
  });
});
