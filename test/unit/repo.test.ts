import * as assert from 'assert';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository, RepoError, type RepoErrorCode } from '../../src/core/repo';
import { Git } from '../../src/core/repo/git';
import { scanHistory } from '../../src/core/repo/history';
import { KERAS_VERSIONS, SILERO, TempSpace, put, sha256 } from './repoTestUtil';

async function rejectsWith(p: Promise<unknown>, code: RepoErrorCode, msg?: RegExp): Promise<RepoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RepoError, `expected RepoError, got ${String(e)}`);
    assert.strictEqual(e.code, code, e.message);
    if (msg) assert.match(e.message, msg);
    return e;
  }
  assert.fail(`expected RepoError ${code}`);
}


/** A new repository in which `rel` has v1..v3 (the first three keras2cpp versions). */
async function threeVersions(rel: string): Promise<{ t: TempSpace; dir: string; repo: ModelRepository }> {
  const t = new TempSpace();
  const dir = t.repo();
  const repo = await ModelRepository.open(dir, { env: t.env });
  for (const f of KERAS_VERSIONS.slice(0, 3)) {
    put(dir, rel, f);
    await repo.commitModel(rel, 'train');
  }
  return { t, dir, repo };
}

describe('repo: versions of a model (keras2cpp v1..v6)', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  const rel = 'models/my_nn.h5';

  before(async () => {
    t = new TempSpace();
    dir = t.repo();
    repo = await ModelRepository.open(dir, { env: t.env });
    for (let i = 0; i < KERAS_VERSIONS.length; i++) {
      put(dir, rel, KERAS_VERSIONS[i]);
      const r = await repo.commitModel(path.join(dir, rel), `train run ${i + 1}`);
      assert.strictEqual(r.version, i + 1);
      assert.strictEqual(r.oid, sha256(KERAS_VERSIONS[i]));
      assert.strictEqual(r.attributesChanged, i === 0);
    }
  });
  after(() => t.cleanup());

  it('lists v1..v6 with the sha256 of each fixture, sizes, messages and trailers', async () => {
    const vs = await repo.versions(rel);
    assert.deepStrictEqual(
      vs.map((v) => v.version),
      [1, 2, 3, 4, 5, 6],
    );
    vs.forEach((v, i) => {
      assert.strictEqual(v.oid, sha256(KERAS_VERSIONS[i]));
      assert.strictEqual(v.size, fs.statSync(KERAS_VERSIONS[i]).size);
      assert.strictEqual(v.lfs, true);
      assert.strictEqual(v.subject, `train run ${i + 1}`);
      assert.strictEqual(v.trailers['Model-Oid'], `sha256:${sha256(KERAS_VERSIONS[i])}`);
      assert.strictEqual(v.trailers['Model-Path'], rel);
      assert.strictEqual(v.trailers['Model-Size'], String(v.size));
      assert.strictEqual(v.author.email, 'test@example.com');
      assert.match(v.commit, /^[0-9a-f]{40}$/);
    });
    // .gitattributes was committed with the first version, and HEAD holds pointers
    const attrs = t.git(dir, 'show', `${vs[0].commit}:.gitattributes`);
    assert.match(attrs, /^\*\.h5 filter=lfs diff=lfs merge=lfs -text$/m);
    assert.match(t.git(dir, 'cat-file', '-p', `HEAD:${rel}`), /^version https:\/\/git-lfs\.github\.com\/spec\/v1/);
    // the working tree is clean
    assert.strictEqual(t.git(dir, 'status', '--porcelain'), '');
  });

  it('lists the model, and untracked model files', async () => {
    put(dir, 'other/new.onnx', SILERO[0]);
    const ms = await repo.listModels();
    const m = ms.find((x) => x.path === rel)!;
    assert.ok(m.committed && m.lfs && !m.untracked);
    assert.strictEqual(m.versionCount, 6);
    assert.strictEqual(m.headOid, sha256(KERAS_VERSIONS[5]));
    const u = ms.find((x) => x.path === 'other/new.onnx')!;
    assert.ok(u.untracked && !u.committed);
    fs.rmSync(path.join(dir, 'other'), { recursive: true });
  });

  it('resolves vN, latest, commit ids', async () => {
    const vs = await repo.versions(rel);
    assert.strictEqual((await repo.resolveVersion(rel, 'v3')).commit, vs[2].commit);
    assert.strictEqual((await repo.resolveVersion(rel, 2)).commit, vs[1].commit);
    assert.strictEqual((await repo.resolveVersion(rel, 'latest')).version, 6);
    assert.strictEqual((await repo.resolveVersion(rel, vs[3].commit.slice(0, 8))).version, 4);
    await rejectsWith(repo.resolveVersion(rel, 'v9'), 'NO_SUCH_VERSION');
    await rejectsWith(repo.versions('models/none.onnx'), 'NO_SUCH_MODEL');
  });

  it('refreshes the history incrementally, from disk, and fully after a rewrite', async () => {
    const fresh = await ModelRepository.open(dir, { env: t.env });
    await fresh.versions();
    assert.strictEqual(fresh.lastRefresh?.mode, 'disk');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x\n');
    t.git(dir, 'add', 'notes.txt');
    t.git(dir, 'commit', '-q', '-m', 'unrelated');
    await fresh.versions();
    assert.strictEqual(fresh.lastRefresh?.mode, 'incremental');
    t.git(dir, 'commit', '-q', '--amend', '-m', 'unrelated, amended');
    await fresh.versions();
    assert.strictEqual(fresh.lastRefresh?.mode, 'full');
    await fresh.versions();
    assert.strictEqual(fresh.lastRefresh?.mode, 'memory');
    assert.strictEqual((await fresh.versions(rel)).length, 6);
  });

  it('reads the pointers the same with one or several cat-file processes', async () => {
    const git = new Git(dir, t.env);
    const one = await scanHistory(git, 'HEAD', (p) => p.endsWith('.h5'), {}, 1);
    const three = await scanHistory(git, 'HEAD', (p) => p.endsWith('.h5'), {}, 3);
    assert.deepStrictEqual(three, one);
    assert.strictEqual(one.commits.length, 6);
    assert.deepStrictEqual(
      one.commits.map((c) => one.blobs[c.changes.find((ch) => ch.path === rel)!.newBlob].oid),
      KERAS_VERSIONS.map(sha256),
    );
  });

  it('follows a rename', async () => {
    t.git(dir, 'mv', rel, 'models/mnist_cnn.h5');
    t.git(dir, 'commit', '-q', '-m', 'rename');
    put(dir, 'models/mnist_cnn.h5', KERAS_VERSIONS[0]);
    const c = await repo.commitModel('models/mnist_cnn.h5', 'back to the first weights, new name');
    assert.strictEqual(c.version, 7);
    const h = await repo.history('models/mnist_cnn.h5');
    assert.deepStrictEqual(h.paths, [rel, 'models/mnist_cnn.h5']);
    assert.strictEqual(h.versions.length, 7);
    assert.strictEqual(h.versions[0].path, rel);
    assert.strictEqual(h.versions[6].path, 'models/mnist_cnn.h5');
    assert.strictEqual(h.versions[6].oid, sha256(KERAS_VERSIONS[0]));
    // the old name finds the same model
    assert.strictEqual((await repo.history(rel)).path, 'models/mnist_cnn.h5');
    // a rename with a content change in one commit is a version too
    t.git(dir, 'mv', 'models/mnist_cnn.h5', 'models/cnn.h5');
    put(dir, 'models/cnn.h5', KERAS_VERSIONS[5]);
    t.git(dir, 'add', '-A');
    t.git(dir, 'commit', '-q', '-m', 'rename and change');
    const h2 = await repo.history('models/cnn.h5');
    assert.strictEqual(h2.versions.length, 8);
    assert.strictEqual(h2.versions[7].change, 'renamed');
    assert.strictEqual(h2.versions[7].previousPath, 'models/mnist_cnn.h5');
  });
});

describe('repo: silero v4 → v5 → v6', function () {
  this.timeout(60000);
  let t: TempSpace;
  before(() => (t = new TempSpace()));
  after(() => t.cleanup());

  it('records three versions with IO trailers', async () => {
    const dir = t.repo();
    const repo = await ModelRepository.open(dir, { env: t.env });
    for (const [i, f] of SILERO.entries()) {
      put(dir, 'vad.onnx', f);
      await repo.commitModel('vad.onnx', `silero v${i + 4}`);
    }
    const vs = await repo.versions('vad.onnx');
    assert.deepStrictEqual(
      vs.map((v) => v.oid),
      SILERO.map(sha256),
    );
    // v4 has h and c as inputs, v5 has state: recorded at commit time when the ONNX reader can read them
    if (vs[0].trailers['Model-Inputs']) {
      assert.match(vs[0].trailers['Model-Inputs'], /\bh:/);
      assert.match(vs[1].trailers['Model-Inputs'], /\bstate:/);
      assert.strictEqual(vs[1].trailers['Model-Format'], 'onnx');
    }
    // v5 and v6 have the same size, different bytes
    assert.strictEqual(vs[1].size, vs[2].size);
    assert.notStrictEqual(vs[1].oid, vs[2].oid);
  });
});

describe('repo: commit refuses what would be wrong', function () {
  this.timeout(60000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  beforeEach(async () => {
    t = new TempSpace();
    dir = t.repo();
    repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[1]);
    await repo.commitModel('m.onnx', 'v1');
  });
  afterEach(() => t.cleanup());

  it('an unchanged file', async () => {
    await rejectsWith(repo.commitModel('m.onnx', 'again'), 'UNCHANGED', /unchanged/);
    assert.strictEqual(t.git(dir, 'status', '--porcelain'), '');
    assert.strictEqual(t.git(dir, 'rev-list', '--count', 'HEAD').trim(), '2');
  });

  it('a merge in progress', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    fs.writeFileSync(path.join(dir, '.git', 'MERGE_HEAD'), t.git(dir, 'rev-parse', 'HEAD'));
    await rejectsWith(repo.commitModel('m.onnx', 'x'), 'MERGE_IN_PROGRESS', /git merge --abort/);
  });

  it('a rebase in progress', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    fs.mkdirSync(path.join(dir, '.git', 'rebase-merge'));
    await rejectsWith(repo.commitModel('m.onnx', 'x'), 'REBASE_IN_PROGRESS');
  });

  it('an index.lock left behind', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    fs.writeFileSync(path.join(dir, '.git', 'index.lock'), '');
    await rejectsWith(repo.commitModel('m.onnx', 'x'), 'INDEX_LOCKED', /index\.lock blocks the commit: .*If no git process is running, remove that file/s);
    assert.strictEqual(t.git(dir, 'rev-list', '--count', 'HEAD').trim(), '2');
  });

  it('a conflicted file', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    const blob = t.git(dir, 'rev-parse', 'HEAD:m.onnx').trim();
    const { execFileSync } = await import('child_process');
    execFileSync('git', ['update-index', '--index-info'], {
      cwd: dir,
      env: t.env,
      input: `0 0000000000000000000000000000000000000000\tm.onnx\n100644 ${blob} 1\tm.onnx\n100644 ${blob} 2\tm.onnx\n100644 ${blob} 3\tm.onnx\n`,
    });
    await rejectsWith(repo.commitModel('m.onnx', 'x'), 'CONFLICT', /unresolved merge conflicts/);
  });

  it('a failing pre-commit hook (its output is shown; the index is as before)', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    const hook = path.join(dir, '.git', 'hooks', 'pre-commit');
    fs.writeFileSync(hook, '#!/bin/sh\necho "lint says no" >&2\nexit 1\n', { mode: 0o755 });
    const e = await rejectsWith(repo.commitModel('m.onnx', 'x'), 'HOOK_FAILED', /lint says no/);
    assert.match(e.message, /pre-commit/);
    assert.strictEqual(t.git(dir, 'diff', '--cached', '--name-only'), '');
    assert.strictEqual(t.git(dir, 'rev-list', '--count', 'HEAD').trim(), '2');
  });

  it('a missing git-lfs, with install instructions', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    const bin = path.join(t.dir, 'bin-git-only');
    fs.mkdirSync(bin);
    const gitPath = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    fs.symlinkSync(gitPath, path.join(bin, 'git'));
    const noLfs = await ModelRepository.open(dir, { env: { ...t.env, PATH: bin } });
    const e = await rejectsWith(noLfs.commitModel('m.onnx', 'x'), 'LFS_MISSING');
    assert.match(e.message, /apt-get install git-lfs/);
    assert.match(e.message, /brew install git-lfs/);
    assert.match(e.message, /git lfs install/);
    // nothing was committed or staged
    assert.strictEqual(t.git(dir, 'rev-list', '--count', 'HEAD').trim(), '2');
    // listing versions still works without git-lfs
    assert.strictEqual((await noLfs.versions('m.onnx')).length, 1);
  });

  it('never commits a model as a plain git blob', async () => {
    // a folder whose own .gitattributes says "not LFS" (it beats any rule at the root)
    put(dir, 'sub/.gitattributes', Buffer.from('*.onnx -filter\n'));
    t.git(dir, 'add', 'sub/.gitattributes');
    t.git(dir, 'commit', '-q', '-m', 'attrs');
    put(dir, 'sub/plain.onnx', SILERO[0]);
    const attrsBefore = fs.readFileSync(path.join(dir, '.gitattributes'), 'utf8');
    await rejectsWith(repo.commitModel('sub/plain.onnx', 'x'), 'NOT_LFS');
    assert.strictEqual(fs.readFileSync(path.join(dir, '.gitattributes'), 'utf8'), attrsBefore);
    assert.strictEqual(t.git(dir, 'rev-list', '--count', 'HEAD').trim(), '3');
    assert.strictEqual(t.git(dir, 'diff', '--cached', '--name-only'), '');
  });
});

describe('repo: committing a model leaves the rest of the work alone', function () {
  this.timeout(60000);
  let t: TempSpace;
  before(() => (t = new TempSpace()));
  after(() => t.cleanup());

  it('other staged changes stay staged and uncommitted; unstaged edits untouched', async () => {
    const dir = t.repo();
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a\n');
    fs.writeFileSync(path.join(dir, 'b.txt'), 'b\n');
    t.git(dir, 'add', '.');
    t.git(dir, 'commit', '-q', '-m', 'files');
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a staged\n');
    t.git(dir, 'add', 'a.txt');
    fs.writeFileSync(path.join(dir, 'c.txt'), 'new staged\n');
    t.git(dir, 'add', 'c.txt');
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a staged, then edited\n');
    fs.writeFileSync(path.join(dir, 'b.txt'), 'b unstaged edit\n');
    const repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'models/m.onnx', SILERO[0]);
    const c = await repo.commitModel('models/m.onnx', 'first model');
    const files = t.git(dir, 'show', '--name-only', '--format=', c.commit).trim().split('\n').sort();
    assert.deepStrictEqual(files, ['.gitattributes', 'models/m.onnx']);
    assert.deepStrictEqual(t.git(dir, 'diff', '--cached', '--name-only').trim().split('\n').sort(), ['a.txt', 'c.txt']);
    assert.strictEqual(t.git(dir, 'show', ':a.txt'), 'a staged\n');
    assert.deepStrictEqual(t.git(dir, 'diff', '--name-only').trim().split('\n').sort(), ['a.txt', 'b.txt']);
    assert.strictEqual(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'a staged, then edited\n');
    assert.strictEqual(fs.readFileSync(path.join(dir, 'b.txt'), 'utf8'), 'b unstaged edit\n');
    // the model itself is clean: index == HEAD == working tree
    assert.strictEqual(t.git(dir, 'status', '--porcelain', '--', 'models/m.onnx', '.gitattributes'), '');
    // a second version with hooks present: a commit-msg hook sees our trailers
    const hook = path.join(dir, '.git', 'hooks', 'commit-msg');
    fs.writeFileSync(hook, '#!/bin/sh\ngrep -q "^Model-Oid: sha256:" "$1" && echo ok > hook-ran\n', { mode: 0o755 });
    put(dir, 'models/m.onnx', SILERO[1]);
    await repo.commitModel('models/m.onnx', 'second');
    assert.ok(fs.existsSync(path.join(dir, 'hook-ran')), 'commit-msg hook ran');
    assert.deepStrictEqual(t.git(dir, 'diff', '--cached', '--name-only').trim().split('\n').sort(), ['a.txt', 'c.txt']);
  });

  it('the first commit of a repository (no HEAD yet)', async () => {
    const dir = t.repo('empty', { initialCommit: false });
    fs.writeFileSync(path.join(dir, 'x.txt'), 'x\n');
    t.git(dir, 'add', 'x.txt');
    const repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[0]);
    const c = await repo.commitModel('m.onnx', 'root');
    assert.strictEqual(c.version, 1);
    assert.deepStrictEqual(t.git(dir, 'show', '--name-only', '--format=', c.commit).trim().split('\n').sort(), ['.gitattributes', 'm.onnx']);
    assert.strictEqual(t.git(dir, 'diff', '--cached', '--name-only').trim(), 'x.txt');
  });

  it('a commit killed mid-way (SIGKILL during a slow pre-commit hook) leaves git fsck clean and the model intact', async function () {
    const cli = path.resolve(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    assert.ok(fs.existsSync(cli), `${cli} is missing: compile the tests with \`npx tsc -p tsconfig.test.json\``);
    const dir = t.repo('killed');
    const repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[0]);
    await repo.commitModel('m.onnx', 'v1');
    put(dir, 'm.onnx', SILERO[1]);
    const marker = path.join(t.dir, 'hook-started');
    fs.writeFileSync(path.join(dir, '.git', 'hooks', 'pre-commit'), `#!/bin/sh\ntouch '${marker}'\nsleep 30\n`, { mode: 0o755 });
    const headBefore = t.git(dir, 'rev-parse', 'HEAD').trim();
    const child = spawn(process.execPath, [cli, 'commit', 'm.onnx', '-m', 'v2'], { cwd: dir, env: t.env, detached: true, stdio: 'ignore' });
    const t0 = Date.now();
    while (!fs.existsSync(marker)) {
      if (Date.now() - t0 > 30000) throw new Error('hook never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.on('exit', r));
    t.git(dir, 'fsck', '--strict', '--no-progress');
    assert.strictEqual(t.git(dir, 'rev-parse', 'HEAD').trim(), headBefore);
    assert.strictEqual(sha256(path.join(dir, 'm.onnx')), sha256(SILERO[1]));
    // the next attempt works (a stale temporary index is cleaned up, the real index is not locked)
    fs.rmSync(path.join(dir, '.git', 'hooks', 'pre-commit'));
    const c = await repo.commitModel('m.onnx', 'v2 again');
    assert.strictEqual(c.version, 2);
    t.git(dir, 'fsck', '--strict', '--no-progress');
    assert.deepStrictEqual(
      fs.readdirSync(path.join(dir, '.git')).filter((f) => f.startsWith('modelver-index-')),
      [],
    );
  });
});

describe('repo: tags, aliases, notes', function () {
  this.timeout(60000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  const rel = 'models/my_nn.h5';
  before(async () => ({ t, dir, repo } = await threeVersions(rel)));
  after(() => t.cleanup());

  it('tags a version (default name <model>/vN) with a message; refuses duplicates; deletes', async () => {
    const tag = await repo.tag(rel, { version: 'v2', message: 'accuracy 0.91 on the holdout set' });
    assert.strictEqual(tag.name, 'my_nn/v2');
    const vs = await repo.versions(rel);
    assert.strictEqual(tag.commit, vs[1].commit);
    assert.match(tag.message, /accuracy 0\.91/);
    assert.deepStrictEqual(
      vs[1].tags.map((x) => x.name),
      ['my_nn/v2'],
    );
    assert.strictEqual(t.git(dir, 'cat-file', '-t', 'my_nn/v2').trim(), 'tag');
    await rejectsWith(repo.tag(rel, { version: 'v3', name: 'my_nn/v2' }), 'TAG_EXISTS');
    await repo.tag(rel, { name: 'release-1.0' });
    assert.strictEqual((await repo.resolveVersion(rel, 'release-1.0')).version, 3);
    await repo.deleteTag('release-1.0');
    await rejectsWith(repo.deleteTag('release-1.0'), 'TAG_NOT_FOUND');
  });

  it('rejects bad tag names and runs nothing', async () => {
    const bad = ['$(touch pwned)', 'a;touch pwned', '`touch pwned`', 'x|touch pwned', '-d', 'has space', 'a..b', '', 'x\ny', 'a~1', 'v1.lock', 'a:b'];
    for (const name of bad) {
      await rejectsWith(repo.tag(rel, { name }), 'INVALID_NAME');
    }
    await rejectsWith(repo.deleteTag('$(touch pwned)'), 'INVALID_NAME');
    assert.ok(!fs.existsSync(path.join(dir, 'pwned')));
    assert.ok(!fs.existsSync(path.join(process.cwd(), 'pwned')));
    assert.ok(!t.git(dir, 'tag', '-l').includes('pwned'));
  });

  it('aliases: set, move, remove, each move recorded (who, when, from, to)', async () => {
    const vs = await repo.versions(rel);
    await repo.setAlias(rel, 'production', 'v1');
    const moved = await repo.setAlias(rel, 'production', 'v2');
    assert.strictEqual(moved.from?.commit, vs[0].commit);
    assert.strictEqual(moved.to?.commit, vs[1].commit);
    assert.match(moved.message, /^set production models\/my_nn\.h5: v1 \([0-9a-f]{7}\) -> v2 \([0-9a-f]{7}\)/);
    await repo.setAlias(rel, 'staging');
    let list = await repo.listAliases(rel);
    assert.deepStrictEqual(
      list.map((a) => [a.alias, a.version]),
      [
        ['production', 2],
        ['staging', 3],
      ],
    );
    assert.deepStrictEqual((await repo.versions(rel))[1].aliases, ['production']);
    assert.strictEqual((await repo.resolveVersion(rel, 'production')).version, 2);
    const rm = await repo.removeAlias(rel, 'staging');
    assert.strictEqual(rm.action, 'remove');
    assert.strictEqual(rm.from?.commit, vs[2].commit);
    assert.strictEqual(rm.to, undefined);
    list = await repo.listAliases();
    assert.deepStrictEqual(
      list.map((a) => a.alias),
      ['production'],
    );
    await rejectsWith(repo.removeAlias(rel, 'staging'), 'ALIAS_NOT_FOUND');
    await rejectsWith(repo.setAlias(rel, 'bad name'), 'INVALID_NAME');
    await rejectsWith(repo.setAlias(rel, '$(touch pwned)'), 'INVALID_NAME');
    const log = await repo.aliasLog(rel);
    assert.deepStrictEqual(
      log.map((e) => `${e.action} ${e.alias} ${e.from?.commit.slice(0, 7) ?? '-'} ${e.to?.commit.slice(0, 7) ?? '-'}`),
      [
        `remove staging ${vs[2].shortCommit} -`,
        `set staging - ${vs[2].shortCommit}`,
        `set production ${vs[0].shortCommit} ${vs[1].shortCommit}`,
        `set production - ${vs[0].shortCommit}`,
      ],
    );
    assert.ok(log.every((e) => e.who.email === 'test@example.com' && /^\d{4}-\d\d-\d\dT/.test(e.date)));
    // readable with plain git
    const j = JSON.parse(t.git(dir, 'show', 'refs/model-versions/aliases:aliases.json'));
    assert.strictEqual(j.schema, 1);
    assert.strictEqual(j.aliases[rel].production.commit, vs[1].commit);
    assert.strictEqual(j.aliases[rel].production.oid, `sha256:${vs[1].oid}`);
    // the work tree and index were never touched
    assert.strictEqual(t.git(dir, 'status', '--porcelain'), '');
  });

  it('metadata added later lives in notes and merges', async () => {
    await repo.addMetadata(rel, 'v2', { eval: { accuracy: 0.91, dataset: 'holdout' } });
    const md = await repo.addMetadata(rel, 'v2', { eval: { f1: 0.88 }, lineage: { parent: 'v1' } });
    assert.deepStrictEqual(md, { eval: { accuracy: 0.91, dataset: 'holdout', f1: 0.88 }, lineage: { parent: 'v1' } });
    assert.deepStrictEqual(await repo.getMetadata(rel, 'v2'), md);
    assert.strictEqual(await repo.getMetadata(rel, 'v1'), undefined);
    const vs = await repo.versions(rel);
    assert.deepStrictEqual(vs[1].metadata, md);
    const note = JSON.parse(t.git(dir, 'notes', '--ref=refs/notes/model-versions', 'show', vs[1].commit));
    assert.strictEqual(note.schema, 1);
    assert.deepStrictEqual(note.models[rel], md);
  });
});

describe('repo: restore, revert, read bytes', function () {
  this.timeout(60000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  const rel = 'm.h5';
  before(async () => ({ t, dir, repo } = await threeVersions(rel)));
  after(() => t.cleanup());

  it('reads any version without touching the working tree', async () => {
    const out = path.join(t.dir, 'v1.h5');
    const r = await repo.readVersionBytes(rel, 'v1', { out });
    assert.strictEqual(r.source, 'local');
    assert.strictEqual(sha256(out), sha256(KERAS_VERSIONS[0]));
    assert.strictEqual(sha256(path.join(dir, rel)), sha256(KERAS_VERSIONS[2]));
    const tmp = await repo.readVersionBytes(rel, 2);
    assert.strictEqual(sha256(tmp.file), sha256(KERAS_VERSIONS[1]));
    fs.rmSync(path.dirname(tmp.file), { recursive: true });
  });

  it('restore over a modified working copy backs it up first', async () => {
    const modified = Buffer.from('not a model: local experiment');
    fs.writeFileSync(path.join(dir, rel), modified);
    const r = await repo.restore(rel, 'v1');
    assert.ok(r.backup, 'a backup was made');
    assert.ok(r.backup!.startsWith(path.join(dir, '.git', 'model-versions', 'backups')));
    assert.deepStrictEqual(fs.readFileSync(r.backup!), modified);
    assert.strictEqual(sha256(path.join(dir, rel)), sha256(KERAS_VERSIONS[0]));
    // restoring the same version again: nothing to do
    assert.strictEqual((await repo.restore(rel, 'v1')).unchanged, true);
    // restoring over a clean working copy (== HEAD) needs no backup
    t.git(dir, 'checkout', '--', rel);
    const r2 = await repo.restore(rel, 'v2');
    assert.strictEqual(r2.backup, undefined);
    assert.strictEqual(sha256(path.join(dir, rel)), sha256(KERAS_VERSIONS[1]));
    t.git(dir, 'checkout', '--', rel);
  });

  it('revert creates a new commit with the old version’s oid', async () => {
    const before = await repo.versions(rel);
    const c = await repo.revertTo(rel, 'v1');
    assert.strictEqual(c.version, before.length + 1);
    const vs = await repo.versions(rel);
    const last = vs[vs.length - 1];
    assert.strictEqual(last.oid, before[0].oid);
    assert.strictEqual(last.subject, `Revert m.h5 to v1 (${before[0].shortCommit})`);
    assert.strictEqual(last.trailers['Model-Revert-Of'], `v1 ${before[0].commit}`);
    await rejectsWith(repo.revertTo(rel, 'v1'), 'UNCHANGED');
    assert.strictEqual(t.git(dir, 'status', '--porcelain'), '');
  });
});
