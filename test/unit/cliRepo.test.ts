import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { runCli } from '../../src/cli/main';
import { KERAS_VERSIONS, TempSpace, put, sha256 } from './repoTestUtil';

interface Run {
  code: number;
  out: string;
  err: string;
  bytes: Buffer;
}

async function cli(args: string[], opts: { tty?: boolean } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const chunks: Buffer[] = [];
  const stdout = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    }),
    { isTTY: !!opts.tty },
  );
  const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stdout } as never);
  return { code, out: out.join('\n'), err: err.join('\n'), bytes: Buffer.concat(chunks) };
}

describe('modelver log/commit/tag/alias/restore/show/push/fetch', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  const rel = 'models/my_nn.h5';
  let restoreEnv: (() => void) | undefined;

  before(async () => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    dir = t.repo();
  });
  after(() => {
    restoreEnv?.();
    t.cleanup();
  });

  it('commit: versions with exit 0; usage errors exit 2; an unchanged file exits 1', async () => {
    for (const [i, f] of KERAS_VERSIONS.slice(0, 3).entries()) {
      put(dir, rel, f);
      const r = await cli(['commit', '-C', dir, rel, '-m', `train ${i + 1}`]);
      assert.strictEqual(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^Committed models/my_nn\\.h5 as v${i + 1} \\([0-9a-f]{7}\\): sha256 ${sha256(f).slice(0, 12)}`));
    }
    const noMsg = await cli(['commit', '-C', dir, rel]);
    assert.strictEqual(noMsg.code, 2);
    assert.match(noMsg.err, /missing the message/);
    assert.match(noMsg.err, /usage: modelver commit/);
    const same = await cli(['commit', '-C', dir, rel, '-m', 'again']);
    assert.strictEqual(same.code, 1);
    assert.match(same.err, /^modelver commit: models\/my_nn\.h5 is unchanged since the last commit/);
    const bad = await cli(['commit', '--bogus']);
    assert.strictEqual(bad.code, 2);
  });

  it('log: human and --json', async () => {
    const r = await cli(['log', '-C', dir, rel, '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.strictEqual(j.model, rel);
    assert.deepStrictEqual(
      j.versions.map((v: { version: number; oid: string; size: number }) => [v.version, v.oid, v.size]),
      KERAS_VERSIONS.slice(0, 3).map((f, i) => [i + 1, sha256(f), fs.statSync(f).size]),
    );
    const all = await cli(['log', '--repo', dir, '--json']);
    assert.strictEqual(JSON.parse(all.out).models.length, 1);
    const human = await cli(['log', '-C', dir]);
    assert.strictEqual(human.code, 0);
    assert.match(human.out, /^models\/my_nn\.h5 {2}\(3 versions\)$/m);
    assert.match(human.out, /^ {2}v3 {4}[0-9a-f]{7} {2}\d{4}-\d\d-\d\d {2}sha256:[0-9a-f]{12}/m);
    const missing = await cli(['log', '-C', dir, 'models/none.onnx']);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.err, /has no committed versions yet/);
    const notRepo = await cli(['log', '-C', os.tmpdir()]);
    assert.strictEqual(notRepo.code, 1);
    assert.match(notRepo.err, /not inside a git repository/);
  });

  it('tag: default name, custom name, invalid names (nothing runs), duplicates, --list, --delete', async () => {
    const r = await cli(['tag', '-C', dir, rel, '--version', 'v2', '-m', 'holdout acc 0.91']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /as my_nn\/v2/);
    const dup = await cli(['tag', '-C', dir, rel, '--version', 'v2']);
    assert.strictEqual(dup.code, 1);
    assert.match(dup.err, /already exists/);
    for (const name of ['$(touch pwned)', 'x;touch pwned', '`touch pwned`', 'a|b', '-rf', 'a b', 'a..b']) {
      const b = await cli(['tag', '-C', dir, rel, `--name=${name}`]);
      assert.strictEqual(b.code, 1, name);
      assert.match(b.err, /not a valid tag name/);
    }
    assert.ok(!fs.existsSync(path.join(dir, 'pwned')) && !fs.existsSync('pwned'));
    const list = await cli(['tag', '-C', dir, '--list', rel, '--json']);
    assert.deepStrictEqual(
      JSON.parse(list.out).map((x: { name: string }) => x.name),
      ['my_nn/v2'],
    );
    assert.strictEqual((await cli(['tag', '-C', dir, rel, '--name', 'tmp-tag'])).code, 0);
    const del = await cli(['tag', '-C', dir, '--delete', 'tmp-tag']);
    assert.strictEqual(del.code, 0, del.err);
    assert.strictEqual((await cli(['tag', '-C', dir, '--delete', 'tmp-tag'])).code, 1);
  });

  it('alias: set, move, ls --json, log, rm', async () => {
    assert.strictEqual((await cli(['alias', 'set', '-C', dir, rel, 'production', '--version', 'v1'])).code, 0);
    const mv = await cli(['alias', 'set', '-C', dir, rel, 'production', '--version', 'v2']);
    assert.strictEqual(mv.code, 0, mv.err);
    assert.match(mv.out, /^set production models\/my_nn\.h5: v1 \([0-9a-f]{7}\) -> v2 \([0-9a-f]{7}\)$/);
    const ls = await cli(['alias', 'ls', '-C', dir, '--json']);
    assert.deepStrictEqual(
      JSON.parse(ls.out).map((a: { model: string; alias: string; version: number }) => [a.model, a.alias, a.version]),
      [[rel, 'production', 2]],
    );
    const log = await cli(['alias', 'log', '-C', dir, rel, '--json']);
    assert.strictEqual(JSON.parse(log.out).length, 2);
    const rm = await cli(['alias', 'rm', '-C', dir, rel, 'production']);
    assert.strictEqual(rm.code, 0);
    assert.match(rm.out, /^remove production models\/my_nn\.h5: v2 \([0-9a-f]{7}\) -> \(none\)$/);
    assert.strictEqual((await cli(['alias', 'rm', '-C', dir, rel, 'production'])).code, 1);
    assert.strictEqual((await cli(['alias', 'frob', '-C', dir])).code, 2);
    assert.strictEqual((await cli(['alias', 'set', '-C', dir, rel])).code, 2);
  });

  it('show: to --out, to a pipe, never to a terminal', async () => {
    const out = path.join(t.dir, 'v1.h5');
    const r = await cli(['show', '-C', dir, `${rel}@v1`, '--out', out]);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(sha256(out), sha256(KERAS_VERSIONS[0]));
    const pipe = await cli(['show', '-C', dir, `${rel}@v2`]);
    assert.strictEqual(pipe.code, 0, pipe.err);
    assert.deepStrictEqual(pipe.bytes, fs.readFileSync(KERAS_VERSIONS[1]));
    const tty = await cli(['show', '-C', dir, `${rel}@v2`], { tty: true });
    assert.strictEqual(tty.code, 2);
    assert.match(tty.err, /refusing to write a binary model to the terminal/);
    assert.strictEqual(tty.bytes.length, 0);
    const none = await cli(['show', '-C', dir, `${rel}@v9`, '--out', out]);
    assert.strictEqual(none.code, 1);
    assert.match(none.err, /has no version 'v9'/);
  });

  it('restore: backs up a modified working copy; --commit makes a new version', async () => {
    fs.writeFileSync(path.join(dir, rel), 'local experiment');
    const r = await cli(['restore', '-C', dir, rel, '--version', 'v1']);
    assert.strictEqual(r.code, 0, r.err);
    const m = /Saved your uncommitted working copy to (.+)$/m.exec(r.out);
    assert.ok(m, r.out);
    assert.strictEqual(fs.readFileSync(m![1], 'utf8'), 'local experiment');
    assert.strictEqual(sha256(path.join(dir, rel)), sha256(KERAS_VERSIONS[0]));
    const c = await cli(['restore', '-C', dir, rel, '--version', 'v1', '--commit', '--json']);
    assert.strictEqual(c.code, 0, c.err);
    const j = JSON.parse(c.out);
    assert.strictEqual(j.version, 4);
    assert.strictEqual(j.oid, sha256(KERAS_VERSIONS[0]));
    assert.strictEqual((await cli(['restore', '-C', dir, rel])).code, 2);
  });

  it('push and fetch', async () => {
    const remote = t.bare();
    t.git(dir, 'remote', 'add', 'origin', `file://${remote}`);
    assert.strictEqual((await cli(['alias', 'set', '-C', dir, rel, 'production'])).code, 0);
    const p = await cli(['push', '-C', dir, '--json']);
    assert.strictEqual(p.code, 0, p.err);
    assert.strictEqual(JSON.parse(p.out).branch, 'main');
    const clone = path.join(t.dir, 'clone');
    t.git(t.dir, 'clone', '-q', `file://${remote}`, clone);
    const f = await cli(['fetch', '-C', clone]);
    assert.strictEqual(f.code, 0, f.err);
    assert.match(f.out, /refs\/model-versions\/aliases: created/);
    const ls = await cli(['alias', 'ls', '-C', clone, '--json']);
    assert.strictEqual(JSON.parse(ls.out)[0].version, 4);
    const noRemote = await cli(['push', '-C', dir, 'nowhere']);
    assert.strictEqual(noRemote.code, 1);
    assert.match(noRemote.err, /no remote 'nowhere'/);
  });
});
