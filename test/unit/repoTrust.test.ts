/**
 * Issue #10 "Trust on first contact", section 3 — the repository: aliased versions survive gc,
 * files that do not parse are refused, names that shadow refs are refused, hostile author names do
 * not shift history fields, typed `Model-…` lines are not facts, and killed processes leave nothing
 * that blocks or litters (stale index.lock, temporaries).
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { runCli } from '../../src/cli/main';
import { buildLineageGraph } from '../../src/core/lineage';
import { ModelRepository, RepoError, type RepoErrorCode } from '../../src/core/repo';
import { recordedTrailers } from '../../src/core/repo/trailers';
import { SILERO, TempSpace, put, sha256 } from './repoTestUtil';

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

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new Writable({ write: (_c, _e, cb) => cb() });
  const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stdout } as never);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const CLI_BIN = path.resolve(__dirname, '..', '..', 'src', 'cli', 'bin.js');
const count = (t: TempSpace, dir: string) => Number(t.git(dir, 'rev-list', '--count', 'HEAD').trim());

/** A pid that is surely dead: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

/** Run the CLI in its own process group; resolves when its stderr shows it paused at `point`. */
function startPaused(t: TempSpace, dir: string, args: string[], point: string): Promise<ChildProcess> {
  assert.ok(fs.existsSync(CLI_BIN), `${CLI_BIN} is missing: compile the tests with \`npx tsc -p tsconfig.test.json\``);
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: dir,
    env: { ...t.env, MODELVER_FAULT_PAUSE: point },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`the CLI never paused at ${point}: ${err}`));
    }, 60000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      if (err.includes(`modelver-fault: paused at ${point}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the CLI exited (code ${code}) without pausing at ${point}: ${err}`));
    });
  });
}

async function killGroup(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.on('exit', r));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

/** Files in the working tree that git does not know about (temporaries left in it show here). */
const untracked = (t: TempSpace, dir: string) =>
  t
    .git(dir, 'status', '--porcelain', '--untracked-files=all', '--ignored')
    .split('\n')
    .filter((l) => l.startsWith('??') || l.startsWith('!!'))
    .join('\n');

// ------------------------------------------------------------------------------------------------

describe('repo trust (a): aliased and tagged versions survive git gc', function () {
  this.timeout(120000);
  let t: TempSpace;
  afterEach(() => t.cleanup());

  it('an alias on a detached-HEAD commit and a tag on a deleted branch still resolve after reflog expire + gc --prune=now', async () => {
    t = new TempSpace();
    const dir = t.repo();
    const repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[0]);
    const c1 = await repo.commitModel('m.onnx', 'v1');
    assert.deepStrictEqual(c1.warnings, []);
    // v2 on a detached HEAD: the commit warns, and the alias keeps it
    t.git(dir, 'switch', '-q', '--detach');
    put(dir, 'm.onnx', SILERO[1]);
    const c2 = await repo.commitModel('m.onnx', 'v2 on a detached HEAD');
    assert.strictEqual(c2.warnings.length, 1);
    assert.match(c2.warnings[0], /HEAD is detached.*git switch -c/);
    const ev = await repo.setAlias('m.onnx', 'production');
    assert.strictEqual(ev.to?.commit, c2.commit);
    // v3 on a branch deleted later, tagged
    t.git(dir, 'switch', '-q', '-c', 'exp');
    put(dir, 'm.onnx', SILERO[2]);
    const c3 = await repo.commitModel('m.onnx', 'v3 on exp');
    assert.deepStrictEqual(c3.warnings, []);
    await repo.tag('m.onnx', { name: 'exp-best' });
    t.git(dir, 'switch', '-q', 'main');
    t.git(dir, 'branch', '-q', '-D', 'exp');
    t.git(dir, 'reflog', 'expire', '--expire=now', '--all');
    t.git(dir, 'gc', '-q', '--prune=now');

    t.git(dir, 'cat-file', '-e', `${c2.commit}^{commit}`);
    t.git(dir, 'cat-file', '-e', `${c3.commit}^{commit}`);
    assert.strictEqual(t.git(dir, 'rev-parse', `refs/model-versions/keep/${c2.commit}`).trim(), c2.commit);
    const fresh = await ModelRepository.open(dir, { env: t.env });
    assert.strictEqual((await fresh.versions('m.onnx')).length, 1, 'main has only v1');
    const prod = await fresh.resolveVersion('m.onnx', 'production');
    assert.strictEqual(prod.commit, c2.commit);
    assert.strictEqual(prod.oid, sha256(SILERO[1]));
    assert.strictEqual(prod.version, 2);
    assert.strictEqual(prod.outsideHistory, true);
    assert.deepStrictEqual(prod.aliases, ['production']);
    const tagged = await fresh.resolveVersion('m.onnx', 'exp-best');
    assert.strictEqual(tagged.commit, c3.commit);
    assert.strictEqual(tagged.version, 3);
    assert.deepStrictEqual(tagged.tags.map((x) => x.name), ['exp-best']);
    // by commit id too, and the bytes are there
    assert.strictEqual((await fresh.resolveVersion('m.onnx', c2.commit.slice(0, 10))).commit, c2.commit);
    const bytes = await fresh.readVersionBytes('m.onnx', 'production', { out: path.join(t.dir, 'prod.onnx') });
    assert.strictEqual(sha256(bytes.file), sha256(SILERO[1]));
    const aliases = await fresh.listAliases('m.onnx');
    assert.deepStrictEqual(aliases.map((a) => [a.alias, a.commit, a.outsideHistory]), [['production', c2.commit, true]]);
    t.git(dir, 'fsck', '--strict', '--no-progress');
  });

  it('an alias set before keep refs existed gets its keep ref the next time the alias log is written', async () => {
    t = new TempSpace();
    const dir = t.repo();
    const repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[0]);
    const c1 = await repo.commitModel('m.onnx', 'v1');
    put(dir, 'm.onnx', SILERO[1]);
    await repo.commitModel('m.onnx', 'v2');
    await repo.setAlias('m.onnx', 'production', 'v1');
    t.git(dir, 'update-ref', '-d', `refs/model-versions/keep/${c1.commit}`); // as an older version left it
    await repo.setAlias('m.onnx', 'staging', 'v2');
    assert.strictEqual(t.git(dir, 'rev-parse', `refs/model-versions/keep/${c1.commit}`).trim(), c1.commit);
    // moving an alias away keeps its old target (the audit log can still restore it)
    await repo.setAlias('m.onnx', 'production', 'v2');
    assert.strictEqual(t.git(dir, 'rev-parse', `refs/model-versions/keep/${c1.commit}`).trim(), c1.commit);
  });

  it('modelver commit prints the detached HEAD warning on stderr', async () => {
    t = new TempSpace();
    const restoreEnv = t.useProcessEnv();
    try {
      const dir = t.repo();
      put(dir, 'm.onnx', SILERO[0]);
      assert.strictEqual((await cli(['commit', '-C', dir, 'm.onnx', '-m', 'v1'])).code, 0);
      t.git(dir, 'switch', '-q', '--detach');
      put(dir, 'm.onnx', SILERO[1]);
      const r = await cli(['commit', '-C', dir, 'm.onnx', '-m', 'v2']);
      assert.strictEqual(r.code, 0, r.err);
      assert.match(r.err, /^warning: HEAD is detached/m);
    } finally {
      restoreEnv();
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('repo trust (b): a file of a format we read that does not parse is refused unless forced', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  beforeEach(async () => {
    t = new TempSpace();
    dir = t.repo();
    repo = await ModelRepository.open(dir, { env: t.env });
  });
  afterEach(() => t.cleanup());

  it('random bytes named .onnx: refused with the reason, nothing committed or staged; --force commits with a warning', async () => {
    put(dir, 'junk.onnx', crypto.randomBytes(4096));
    const attrs = fs.existsSync(path.join(dir, '.gitattributes'));
    const e = await rejectsWith(repo.commitModel('junk.onnx', 'v1'), 'UNREADABLE_MODEL', /junk\.onnx does not parse as an ONNX model: .*not an ONNX model/);
    assert.match(e.message, /Nothing was committed/);
    assert.match(e.message, /--force/);
    assert.strictEqual(count(t, dir), 1);
    assert.strictEqual(t.git(dir, 'diff', '--cached', '--name-only'), '');
    assert.strictEqual(fs.existsSync(path.join(dir, '.gitattributes')), attrs);
    const c = await repo.commitModel('junk.onnx', 'v1, on purpose', { force: true });
    assert.strictEqual(c.version, 1);
    assert.strictEqual(c.warnings.length, 1);
    assert.match(c.warnings[0], /committed although it does not parse as an ONNX model/);
    assert.strictEqual(c.trailers['Model-Format'], undefined);
    // restore --commit of such a version is a revert to bytes already in history: allowed, with the warning
    put(dir, 'junk.onnx', SILERO[0]);
    await repo.commitModel('junk.onnx', 'a real model now');
    const rv = await repo.revertTo('junk.onnx', 'v1');
    assert.match(rv.warnings.join('\n'), /does not parse/);
  });

  it('.h5 / .keras / .pt that are not HDF5 or zip, and empty files, are refused saying what they should be', async () => {
    put(dir, 'w.h5', Buffer.from('not hdf5 at all, just text\n'));
    await rejectsWith(repo.commitModel('w.h5', 'x'), 'UNREADABLE_MODEL', /w\.h5 does not parse as a Keras HDF5 file: its bytes are not a Keras HDF5 file.*HDF5 signature/);
    put(dir, 'k.keras', Buffer.alloc(0));
    await rejectsWith(repo.commitModel('k.keras', 'x'), 'UNREADABLE_MODEL', /k\.keras does not parse as a Keras model: it is empty/);
    put(dir, 'e.onnx', Buffer.alloc(0));
    await rejectsWith(repo.commitModel('e.onnx', 'x'), 'UNREADABLE_MODEL', /e\.onnx does not parse as an ONNX model: .*empty/);
    put(dir, 'w.pt', crypto.randomBytes(100));
    await rejectsWith(repo.commitModel('w.pt', 'x'), 'UNREADABLE_MODEL', /w\.pt does not parse as a PyTorch file: .*neither a zip archive/);
    assert.strictEqual(count(t, dir), 1);
    put(dir, 'w.tflite', crypto.randomBytes(100));
    await rejectsWith(repo.commitModel('w.tflite', 'x'), 'UNREADABLE_MODEL', /w\.tflite does not parse as a TFLite model: .*"TFL3"/);
    // formats we do not read (a TensorFlow GraphDef .pb) are committed as they are
    put(dir, 'w.pb', crypto.randomBytes(100));
    const c = await repo.commitModel('w.pb', 'graph');
    assert.deepStrictEqual(c.warnings, []);
  });

  it('modelver commit: exit 1 naming --force; with --force exit 0 and a warning on stderr', async () => {
    const restoreEnv = t.useProcessEnv();
    try {
      put(dir, 'junk.onnx', crypto.randomBytes(1000));
      const r = await cli(['commit', '-C', dir, 'junk.onnx', '-m', 'v1']);
      assert.strictEqual(r.code, 1);
      assert.match(r.err, /does not parse as an ONNX model.*modelver commit junk\.onnx --force/s);
      const f = await cli(['commit', '-C', dir, 'junk.onnx', '-m', 'v1', '--force']);
      assert.strictEqual(f.code, 0, f.err);
      assert.match(f.err, /^warning: junk\.onnx was committed although it does not parse/m);
      assert.strictEqual(count(t, dir), 2);
    } finally {
      restoreEnv();
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('repo trust (c): tag and alias names that would shadow a ref are refused', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  before(async () => {
    t = new TempSpace();
    dir = t.repo();
    repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[0]);
    await repo.commitModel('m.onnx', 'v1');
    put(dir, 'm.onnx', SILERO[1]);
    await repo.commitModel('m.onnx', 'v2');
    t.git(dir, 'branch', 'dev');
    // a remote-tracking branch and origin/HEAD, as a clone has them
    t.git(dir, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    t.git(dir, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
    await repo.tag('m.onnx', { name: 'release' });
  });
  after(() => t.cleanup());

  const badTags = ['HEAD', 'head', '@', 'main', 'dev', 'refs/heads/main', 'refs/tags/x', 'FETCH_HEAD', 'ORIG_HEAD', 'MERGE_HEAD', 'CHERRY_PICK_HEAD', 'heads/main', 'origin', 'origin/main', 'remotes/origin/main'];
  it(`tags: ${badTags.join(', ')} are refused, nothing is created, git never warns "ambiguous"`, async () => {
    const before = t.git(dir, 'for-each-ref');
    for (const name of badTags) {
      const e = await rejectsWith(repo.tag('m.onnx', { name }), 'INVALID_NAME');
      assert.match(e.message, new RegExp(`'${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' cannot be a tag name: .+\\. Choose another name\\.`));
      await rejectsWith(repo.validateRefName(name, 'tag'), 'INVALID_NAME');
    }
    assert.strictEqual(t.git(dir, 'for-each-ref'), before);
    const r = spawnSync('git', ['rev-parse', 'main', 'HEAD', '@', 'origin'], { cwd: dir, env: t.env, encoding: 'utf8' });
    assert.strictEqual(r.stderr, '');
    const msg = (await rejectsWith(repo.tag('m.onnx', { name: 'main' }), 'INVALID_NAME')).message;
    assert.match(msg, /branch \(refs\/heads\/main\).*refname 'main' is ambiguous/);
  });

  const badAliases = ['HEAD', 'head', 'main', 'dev', 'latest', 'v2', '7', 'FETCH_HEAD', 'ORIG_HEAD', 'release'];
  it(`aliases: ${badAliases.join(', ')} are refused and the alias log does not move`, async () => {
    const log = spawnSync('git', ['rev-parse', '-q', '--verify', 'refs/model-versions/aliases'], { cwd: dir, env: t.env, encoding: 'utf8' }).stdout;
    for (const name of badAliases) {
      const e = await rejectsWith(repo.setAlias('m.onnx', name), 'INVALID_NAME');
      assert.match(e.message, /cannot be an alias name: .+\. Choose another name\./);
    }
    assert.strictEqual(spawnSync('git', ['rev-parse', '-q', '--verify', 'refs/model-versions/aliases'], { cwd: dir, env: t.env, encoding: 'utf8' }).stdout, log);
  });

  it('ordinary names still work; a bad tag made with plain git can still be deleted', async () => {
    for (const name of ['v1.0', 'm/v9', 'prod-2024', 'HEADS-UP', 'ahead']) {
      await repo.tag('m.onnx', { name, version: 'v1' });
    }
    await repo.setAlias('m.onnx', 'production');
    await repo.setAlias('m.onnx', 'heads-up', 'v1');
    t.git(dir, 'tag', 'HEAD', 'HEAD~1'); // what older versions let through
    await repo.deleteTag('HEAD');
    assert.ok(!t.git(dir, 'tag', '-l').split('\n').includes('HEAD'));
  });

  it('modelver tag --name HEAD and modelver alias set … main exit 1 with the reason', async () => {
    const restoreEnv = t.useProcessEnv();
    try {
      const r = await cli(['tag', '-C', dir, 'm.onnx', '--name', 'HEAD']);
      assert.strictEqual(r.code, 1);
      assert.match(r.err, /'HEAD' cannot be a tag name: HEAD means the commit checked out/);
      const a = await cli(['alias', 'set', '-C', dir, 'm.onnx', 'main']);
      assert.strictEqual(a.code, 1);
      assert.match(a.err, /'main' cannot be an alias name: it is also the name of a branch/);
    } finally {
      restoreEnv();
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('repo trust (d): hostile author names, emails and messages do not shift any field', function () {
  this.timeout(120000);
  let t: TempSpace;
  after(() => t.cleanup());

  const NAME = 'Eve \x1f Mallory \x1e \x1d Q'; // git strips control characters at the ends only
  const EMAIL = 'eve\x1f@ex\x1eample.com';
  const MESSAGE = 'Sub\x1fject \x1e with \x1d marks\n\nBody line \x1f\x1e\x1d\nModel-Oid: sha256:0000\n\nAnother: paragraph\nModel-Breaking: true';

  it('versions, the alias log and tags read every field exactly', async () => {
    t = new TempSpace();
    const dir = t.repo();
    const repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[0]);
    await repo.commitModel('m.onnx', 'v1');
    // v2 by plain git with a hostile identity and message
    put(dir, 'm.onnx', SILERO[1]);
    const hostile = { ...t.env, GIT_AUTHOR_NAME: NAME, GIT_AUTHOR_EMAIL: EMAIL, GIT_COMMITTER_NAME: NAME, GIT_COMMITTER_EMAIL: EMAIL, GIT_AUTHOR_DATE: '2001-02-03T04:05:06+07:00' };
    spawnSync('git', ['add', 'm.onnx'], { cwd: dir, env: hostile });
    const r = spawnSync('git', ['commit', '-q', '--cleanup=verbatim', '-F', '-'], { cwd: dir, env: hostile, input: MESSAGE });
    assert.strictEqual(r.status, 0, String(r.stderr));
    assert.strictEqual(t.git(dir, 'log', '-1', '--format=%an').replace(/\n$/, ''), NAME, 'git kept the control characters');
    const head = t.git(dir, 'rev-parse', 'HEAD').trim();
    put(dir, 'm.onnx', SILERO[2]);
    await repo.commitModel('m.onnx', 'v3');

    const fresh = await ModelRepository.open(dir, { env: t.env });
    const vs = await fresh.versions('m.onnx');
    assert.strictEqual(vs.length, 3);
    const v2 = vs[1];
    assert.strictEqual(v2.commit, head);
    assert.deepStrictEqual(v2.parents, [vs[0].commit]);
    assert.deepStrictEqual(v2.author, { name: NAME, email: EMAIL });
    assert.strictEqual(v2.date, '2001-02-03T04:05:06+07:00');
    assert.strictEqual(v2.message, MESSAGE);
    assert.strictEqual(v2.subject, 'Sub\x1fject \x1e with \x1d marks');
    assert.strictEqual(v2.oid, sha256(SILERO[1]));
    assert.strictEqual(v2.trailers['Model-Breaking'], undefined, 'typed, not recorded');
    assert.strictEqual(vs[2].author.name, 'Test User');
    assert.strictEqual(vs[2].subject, 'v3');

    // the alias log and tags, written by a hostile identity
    const evil = await ModelRepository.open(dir, { env: hostile });
    await evil.setAlias('m.onnx', 'production', 'v2');
    const log = await repo.aliasLog('m.onnx');
    assert.deepStrictEqual(log[0].who, { name: NAME, email: EMAIL });
    assert.strictEqual(log[0].to?.commit, head);
    assert.strictEqual(log[0].alias, 'production');
    await evil.tag('m.onnx', { name: 'odd', version: 'v2', message: 'notes \x1e\x1f\x1d here\n\nmore' });
    const tag = (await repo.listTags()).find((x) => x.name === 'odd')!;
    assert.strictEqual(tag.commit, head);
    assert.strictEqual(tag.tagger, `${NAME} <${EMAIL}>`);
    assert.match(tag.message, /notes \x1e\x1f\x1d here\n\nmore$/);
    assert.strictEqual((await repo.listTags()).length, 1);
  });
});

// ------------------------------------------------------------------------------------------------

describe('repo trust (e): what Model Versions recorded is told apart from what a user typed', function () {
  this.timeout(120000);
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
  // SILERO[1] → SILERO[2] is a retrain with the same interface: Model Versions records no Model-Breaking
  const base = `models/base.onnx@${'a'.repeat(40)}`;

  it('Model-Breaking / Model-Derived-From lines in the message of modelver commit stay the user\'s text', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    const message = `Tweak\n\nModel-Breaking: true\nModel-Derived-From: ${base}`;
    const c = await repo.commitModel('m.onnx', message);
    const v = (await repo.versions('m.onnx'))[1];
    assert.strictEqual(v.commit, c.commit);
    assert.strictEqual(v.trailers['Model-Breaking'], undefined);
    assert.strictEqual(v.trailers['Model-Derived-From'], undefined);
    assert.strictEqual(v.trailers['Model-Oid'], `sha256:${sha256(SILERO[2])}`);
    assert.match(v.trailers['Model-Change'], /retrained/);
    assert.ok(v.recorded!.some(([k]) => k === 'Model-Path'));
    assert.ok(!v.recorded!.some(([k]) => k === 'Model-Breaking' || k === 'Model-Derived-From'));
    assert.ok(v.message.includes('Model-Breaking: true'), 'the user\'s words are kept');
    // plain git agrees: our block is the final paragraph, the user's lines are not trailers
    assert.strictEqual(t.git(dir, 'log', '-1', '--format=%(trailers:key=Model-Breaking,valueonly)').trim(), '');
    assert.strictEqual(t.git(dir, 'log', '-1', '--format=%(trailers:key=Model-Versions-Trailers,valueonly)').trim(), '1');
    const g = buildLineageGraph([...(await repo.histories()).values()]);
    assert.strictEqual(g.edges.filter((e) => e.kind === 'derived-from').length, 0);
  });

  it('a Signed-off-by block stays a trailer block (ours joins it)', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    await repo.commitModel('m.onnx', 'Tweak\n\nSigned-off-by: A U Thor <a@example.com>');
    assert.strictEqual(t.git(dir, 'log', '-1', '--format=%(trailers:key=Signed-off-by,valueonly)').trim(), 'A U Thor <a@example.com>');
    const v = (await repo.versions('m.onnx'))[1];
    assert.strictEqual(v.trailers['Signed-off-by'], 'A U Thor <a@example.com>');
    assert.strictEqual(v.trailers['Model-Oid'], `sha256:${sha256(SILERO[2])}`);
  });

  it('plain git commits: typed lines are not facts; an old-style block that names the version still counts', async () => {
    const oid = (f: string) => `sha256:${sha256(f)}`;
    const plain = (f: string, msg: string) => {
      put(dir, 'm.onnx', f);
      t.git(dir, 'add', 'm.onnx');
      spawnSync('git', ['commit', '-q', '-F', '-'], { cwd: dir, env: t.env, input: msg });
    };
    plain(SILERO[2], `Typed by hand\n\nModel-Breaking: true\nModel-Derived-From: ${base}`);
    // a block copied from another commit: it names other bytes
    plain(SILERO[0], `Copied\n\nModel-Path: m.onnx\nModel-Oid: ${oid(SILERO[1])}\nModel-Breaking: true`);
    // what modelver commit wrote before the marker existed (backward compatibility)
    plain(SILERO[1], `Old style\n\nModel-Path: m.onnx\nModel-Oid: ${oid(SILERO[1])}\nModel-Size: ${fs.statSync(SILERO[1]).size}\nModel-Breaking: true\nModel-Derived-From: ${base}`);
    const vs = await repo.versions('m.onnx');
    assert.deepStrictEqual(vs.map((v) => v.trailers['Model-Breaking']), [undefined, undefined, undefined, 'true']);
    assert.deepStrictEqual(vs.map((v) => v.recorded!.length > 0), [true, false, false, true]);
    const g = buildLineageGraph([...(await repo.histories()).values()]);
    const derived = g.edges.filter((e) => e.kind === 'derived-from');
    assert.strictEqual(derived.length, 1);
    assert.ok(derived[0].target.endsWith(vs[3].commit), derived[0].target);
  });

  it('the rule, on messages', () => {
    const v = { path: 'm.onnx', contentId: 'sha256:' + 'b'.repeat(64) };
    const ours = `Model-Versions-Trailers: 1\nModel-Path: m.onnx\nModel-Oid: ${v.contentId}`;
    assert.deepStrictEqual(recordedTrailers(`s\n\n${ours}\nModel-Change: retrained`, v).recorded.map(([k]) => k), ['Model-Path', 'Model-Oid', 'Model-Change']);
    // Model-* lines before the marker in the final block, or in another paragraph, are not ours
    const r = recordedTrailers(`s\n\nModel-Breaking: true\n\nSigned-off-by: x\nModel-Code: ${'c'.repeat(40)}\n${ours}\nChange-Id: I1`, v);
    assert.deepStrictEqual(r.recorded.map(([k]) => k), ['Model-Path', 'Model-Oid']);
    assert.deepStrictEqual(Object.keys(r.trailers).sort(), ['Change-Id', 'Model-Oid', 'Model-Path', 'Signed-off-by']);
    // a marker whose block names other bytes or another path records nothing
    assert.deepStrictEqual(recordedTrailers(`s\n\n${ours.replace('m.onnx', 'x.onnx')}`, v).recorded, []);
    assert.deepStrictEqual(recordedTrailers(`s\n\n${ours}\nModel-Oid: sha256:${'c'.repeat(64)}`, v).recorded, []);
    assert.deepStrictEqual(recordedTrailers('only a subject', v).recorded, []);
  });
});

// ------------------------------------------------------------------------------------------------

describe('repo trust (f): after a kill — stale index.lock, temporaries, git fsck', function () {
  this.timeout(180000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  beforeEach(async () => {
    t = new TempSpace();
    dir = t.repo();
    repo = await ModelRepository.open(dir, { env: t.env });
    put(dir, 'm.onnx', SILERO[0]);
    await repo.commitModel('m.onnx', 'v1');
    put(dir, 'm.onnx', SILERO[1]);
    await repo.commitModel('m.onnx', 'v2');
  });
  afterEach(() => t.cleanup());

  const lockFile = () => path.join(dir, '.git', 'index.lock');
  const age = (file: string, secs: number) => {
    const then = new Date(Date.now() - secs * 1000);
    fs.utimesSync(file, then, then);
  };

  it('a commit killed inside `git add` leaves index.lock: reported while git runs, then stale; --clear-stale-lock removes it and commits', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    const marker = path.join(t.dir, 'filter-started');
    // a slow LFS filter: `git add` holds index.lock while it runs
    t.git(dir, 'config', 'filter.lfs.process', `sh -c 'touch "${marker}"; sleep 60; exec git-lfs filter-process'`);
    const child = spawn(process.execPath, [CLI_BIN, 'commit', 'm.onnx', '-m', 'v3'], { cwd: dir, env: t.env, detached: true, stdio: 'ignore' });
    try {
      const t0 = Date.now();
      while (!fs.existsSync(marker)) {
        if (Date.now() - t0 > 60000) throw new Error('git add never started the filter');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(fs.existsSync(lockFile()), 'git add holds index.lock');
      age(lockFile(), 60);
      const live = await repo.indexLock();
      assert.ok(live && !live.stale, 'a live git process: not stale');
      assert.ok(live.processes.some((p) => /\bgit\b.*\badd\b/.test(p.command)), JSON.stringify(live.processes));
      await rejectsWith(repo.clearStaleIndexLock(), 'INDEX_LOCKED', /a git process is running in this repository \(pid \d+/);
      assert.ok(fs.existsSync(lockFile()));
    } finally {
      await killGroup(child);
    }
    t.git(dir, 'config', 'filter.lfs.process', 'git-lfs filter-process');
    assert.ok(fs.existsSync(lockFile()), 'the kill left index.lock');
    fs.utimesSync(lockFile(), new Date(), new Date());
    const fresh = await repo.indexLock();
    assert.ok(fresh && !fresh.stale && fresh.processes.length === 0, 'seconds old: not yet stale');
    await rejectsWith(repo.commitModel('m.onnx', 'v3'), 'INDEX_LOCKED', /only \d+ s old/);
    age(lockFile(), 30);
    const e = await rejectsWith(repo.commitModel('m.onnx', 'v3'), 'INDEX_LOCKED');
    assert.ok(e.message.includes(lockFile()), e.message);
    assert.match(e.message, /no git process is running in this repository.*--clear-stale-lock/s);
    assert.strictEqual(count(t, dir), 3);
    const c = await repo.commitModel('m.onnx', 'v3', { clearStaleLock: true });
    assert.strictEqual(c.version, 3);
    assert.ok(!fs.existsSync(lockFile()));
    t.git(dir, 'fsck', '--strict', '--no-progress');
    assert.strictEqual(t.git(dir, 'status', '--porcelain'), '');
  });

  it('modelver commit --clear-stale-lock (and restore --commit --clear-stale-lock)', async () => {
    const restoreEnv = t.useProcessEnv();
    try {
      put(dir, 'm.onnx', SILERO[2]);
      fs.writeFileSync(lockFile(), '');
      age(lockFile(), 30);
      const r = await cli(['commit', '-C', dir, 'm.onnx', '-m', 'v3']);
      assert.strictEqual(r.code, 1);
      assert.match(r.err, /index\.lock blocks the commit.*--clear-stale-lock/s);
      const ok = await cli(['commit', '-C', dir, 'm.onnx', '-m', 'v3', '--clear-stale-lock']);
      assert.strictEqual(ok.code, 0, ok.err);
      fs.writeFileSync(lockFile(), '');
      age(lockFile(), 30);
      const rv = await cli(['restore', '-C', dir, 'm.onnx', '--version', 'v1', '--commit', '--clear-stale-lock']);
      assert.strictEqual(rv.code, 0, rv.err);
      assert.strictEqual(count(t, dir), 5);
    } finally {
      restoreEnv();
    }
  });

  it('a restore killed after writing its temporary: the working file is intact, the work tree has no temporary, the next operation cleans up', async () => {
    const child = await startPaused(t, dir, ['restore', 'm.onnx', '--version', 'v1'], 'restore:temp-written');
    await killGroup(child);
    assert.strictEqual(sha256(path.join(dir, 'm.onnx')), sha256(SILERO[1]), 'the working file is untouched');
    assert.strictEqual(untracked(t, dir), '', 'no temporary in the working tree');
    const tmp = path.join(dir, '.git', 'model-versions', 'tmp');
    assert.ok(fs.readdirSync(tmp).some((f) => f.startsWith(`restore-${child.pid}-`)), fs.readdirSync(tmp).join(', '));
    t.git(dir, 'fsck', '--strict', '--no-progress');
    const r = await repo.restore('m.onnx', 'v1');
    assert.strictEqual(r.unchanged, false);
    assert.strictEqual(sha256(path.join(dir, 'm.onnx')), sha256(SILERO[0]));
    assert.deepStrictEqual(fs.readdirSync(tmp), [], 'the dead process\'s temporaries are gone');
  });

  it('a restore killed while backing up modified work: the work is intact, no partial backup, cleaned next time', async () => {
    const mine = crypto.randomBytes(300000);
    put(dir, 'm.onnx', mine);
    const child = await startPaused(t, dir, ['restore', 'm.onnx', '--version', 'v1'], 'restore:backup-temp-written');
    await killGroup(child);
    assert.ok(fs.readFileSync(path.join(dir, 'm.onnx')).equals(mine), 'the user\'s work is intact');
    const backups = path.join(dir, '.git', 'model-versions', 'backups');
    assert.deepStrictEqual(fs.existsSync(backups) ? fs.readdirSync(backups) : [], [], 'no partial backup');
    assert.strictEqual(untracked(t, dir), '', 'no temporary in the working tree');
    const r = await repo.restore('m.onnx', 'v1');
    assert.ok(r.backup && fs.readFileSync(r.backup).equals(mine), 'the backup is complete');
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, '.git', 'model-versions', 'tmp')), []);
  });

  it('a commit killed before `git commit` ran: HEAD and the file are as before, fsck is clean, the next commit works and cleans up', async () => {
    put(dir, 'm.onnx', SILERO[2]);
    const head = t.git(dir, 'rev-parse', 'HEAD').trim();
    const child = await startPaused(t, dir, ['commit', 'm.onnx', '-m', 'v3'], 'commit:index-written');
    await killGroup(child);
    assert.strictEqual(t.git(dir, 'rev-parse', 'HEAD').trim(), head);
    assert.strictEqual(sha256(path.join(dir, 'm.onnx')), sha256(SILERO[2]));
    assert.ok(fs.readdirSync(path.join(dir, '.git')).some((f) => f.startsWith(`modelver-index-${child.pid}-`)));
    t.git(dir, 'fsck', '--strict', '--no-progress');
    const c = await repo.commitModel('m.onnx', 'v3');
    assert.strictEqual(c.version, 3);
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, '.git')).filter((f) => f.startsWith('modelver-index-')), []);
    t.git(dir, 'fsck', '--strict', '--no-progress');
  });

  it('temporaries an older version left in the working tree (dead pid) are removed by the next restore', async () => {
    const pid = deadPid();
    const stale = [`.m.onnx.modelver-restore-${pid}`, `.m.onnx.modelver-restore-${pid}.modelver-${pid}-a1b2c3.tmp`];
    for (const f of stale) fs.writeFileSync(path.join(dir, f), 'partial');
    const alive = `.m.onnx.modelver-restore-${process.pid}`; // a live process's: kept
    fs.writeFileSync(path.join(dir, alive), 'in use');
    await repo.restore('m.onnx', 'v1');
    for (const f of stale) assert.ok(!fs.existsSync(path.join(dir, f)), f);
    assert.ok(fs.existsSync(path.join(dir, alive)));
  });

  it('restores killed at random moments (bounded): the file is always one whole version, nothing is left behind, fsck is clean', async function () {
    // two 16 MiB versions: the copy and its sha256 check take a good part of a restore, so kills land in it
    const a = crypto.randomBytes(16 << 20);
    const b = crypto.randomBytes(16 << 20);
    const digest = (x: Buffer) => crypto.createHash('sha256').update(x).digest('hex');
    put(dir, 'big.pb', a);
    await repo.commitModel('big.pb', 'a');
    put(dir, 'big.pb', b);
    await repo.commitModel('big.pb', 'b');
    const whole = new Map([[digest(a), 'v2'], [digest(b), 'v1']]); // current bytes → the other version
    const started = Date.now();
    const probe = spawnSync(process.execPath, [CLI_BIN, 'restore', 'big.pb', '--version', 'v1'], { cwd: dir, env: t.env });
    assert.strictEqual(probe.status, 0, String(probe.stderr));
    const full = Date.now() - started;
    const runs = 12;
    for (let i = 0; i < runs; i++) {
      const other = whole.get(sha256(path.join(dir, 'big.pb')))!;
      const child = spawn(process.execPath, [CLI_BIN, 'restore', 'big.pb', '--version', other], { cwd: dir, env: t.env, detached: true, stdio: 'ignore' });
      const exited = new Promise((r) => child.on('exit', r));
      // spread over the last part of a restore (start-up and reading history come first, the bytes last)
      await new Promise((r) => setTimeout(r, Math.floor((0.55 + (0.5 * (i + 0.5)) / runs) * full)));
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* it had finished */
      }
      await exited;
      assert.ok(whole.has(sha256(path.join(dir, 'big.pb'))), `run ${i}: the working file is one whole version`);
      assert.strictEqual(untracked(t, dir), '', `run ${i}: nothing in the working tree`);
    }
    await repo.restore('big.pb', 'v2');
    const tmp = path.join(dir, '.git', 'model-versions', 'tmp');
    assert.deepStrictEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], []);
    t.git(dir, 'fsck', '--strict', '--no-progress');
    assert.strictEqual(t.git(dir, 'status', '--porcelain'), '');
  });
});
