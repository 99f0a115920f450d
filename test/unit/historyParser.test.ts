/**
 * The byte-level `git log --raw -z` parser: the same commits whatever the chunking of git's output
 * (a UTF-8 character or a token split across chunks, one byte at a time), and the right fields for
 * unusual paths, names and messages; and the history cache refuses a record of the wrong shape.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { Git } from '../../src/core/repo/git';
import { LogParser, logArgs, readBlobInfos, type RawCommit } from '../../src/core/repo/history';
import { parsePointer } from '../../src/core/repo/lfs';
import { TempSpace } from './repoTestUtil';

function pointer(seed: string): string {
  const oid = crypto.createHash('sha256').update(seed).digest('hex');
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 1234\n`;
}

function parse(out: Buffer, chunks: (n: number) => number): RawCommit[] {
  const commits: RawCommit[] = [];
  const seen: string[] = [];
  const p = new LogParser(
    (c) => commits.push(c),
    (ch) => seen.push(ch.path),
  );
  for (let i = 0; i < out.length; ) {
    const n = Math.max(1, chunks(i));
    p.push(out.subarray(i, i + n));
    i += n;
  }
  p.end();
  assert.deepStrictEqual(
    seen,
    commits.flatMap((c) => c.changes.map((ch) => ch.path)),
    'every change is announced once, in order',
  );
  return commits;
}

describe('history: the git log parser', function () {
  this.timeout(60000);
  let t: TempSpace;
  let dir: string;
  let out: Buffer;
  const unicodePath = 'modèles/naïve ✓ model.onnx';
  const tabPath = 'odd\tname.onnx';
  const longMessage = 'long one\n\n' + 'ünïcödé line with ✓ marks\n'.repeat(8000);

  before(() => {
    t = new TempSpace();
    dir = t.repo();
    const write = (p: string, seed: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), pointer(seed));
    };
    const commit = (msg: string, env: Record<string, string> = {}) => {
      t.git(dir, 'add', '-A');
      execFileSync('git', ['commit', '-q', '-F', '-'], { cwd: dir, env: { ...t.env, ...env }, input: msg });
    };
    write(unicodePath, '1');
    write(tabPath, '1');
    commit('first: ünïcode\n\nSigned-off-by: Zoë <z@example.com>', { GIT_AUTHOR_NAME: 'Zoë Ünïcode', GIT_AUTHOR_EMAIL: 'zoë@exämple.com' });
    write(unicodePath, '2');
    commit(longMessage);
    t.git(dir, 'mv', tabPath, 'renamed ✓.onnx');
    commit('rename');
    fs.rmSync(path.join(dir, unicodePath));
    commit('delete');
    out = execFileSync('git', logArgs('HEAD'), { cwd: dir, env: t.env, maxBuffer: 1 << 26 });
  });
  after(() => t?.cleanup());

  it('reads paths, names and messages byte for byte', () => {
    const commits = parse(out, () => 65536).reverse();
    assert.strictEqual(commits.length, 5); // README + 4
    const [, first, second, rename, del] = commits;
    assert.strictEqual(first.authorName, 'Zoë Ünïcode');
    assert.strictEqual(first.authorEmail, 'zoë@exämple.com');
    assert.strictEqual(first.message, 'first: ünïcode\n\nSigned-off-by: Zoë <z@example.com>');
    assert.deepStrictEqual(first.changes.map((c) => [c.status, c.path]).sort(), [
      ['A', unicodePath],
      ['A', tabPath],
    ].sort());
    assert.strictEqual(second.message, longMessage.replace(/\n+$/, ''));
    assert.deepStrictEqual(second.parents, [first.hash]);
    assert.deepStrictEqual(
      rename.changes.map((c) => [c.status, c.oldPath, c.path]),
      [['R', tabPath, 'renamed ✓.onnx']],
    );
    assert.deepStrictEqual(del.changes.map((c) => [c.status, c.path, c.newBlob]), [['D', unicodePath, '0'.repeat(40)]]);
    assert.match(second.changes[0].newBlob, /^[0-9a-f]{40}$/);
    assert.strictEqual(second.changes[0].newMode, '100644');
  });

  it('gives the same commits whatever the chunks (one byte at a time, odd sizes)', () => {
    const whole = parse(out, () => out.length);
    assert.deepStrictEqual(parse(out, () => 1), whole);
    assert.deepStrictEqual(parse(out, (i) => 1 + ((i * 7919) % 4093)), whole);
    assert.deepStrictEqual(parse(out, () => 3), whole);
  });

  it('reads pointer blobs as parsePointer does, across cat-file output chunks', async () => {
    const hex = (seed: string) => crypto.createHash('sha256').update(seed).digest('hex');
    const contents: Buffer[] = [];
    for (let i = 0; i < 1500; i++) contents.push(Buffer.from(pointer(`p${i}`)));
    contents.push(
      Buffer.from(`version https://git-lfs.github.com/spec/v1\next-0-foo sha256:${hex('e')}\noid sha256:${hex('x')}\nsize 5\n`),
      Buffer.from(`version https://git-lfs.github.com/spec/v1\r\noid sha256:${hex('y')}\r\nsize 5\r\n`),
      Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${hex('z')}x\nsize 5\n`),
      Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${hex('w')}\nsize 5 \n`),
      Buffer.from('hello'),
      Buffer.alloc(0),
      crypto.randomBytes(5000),
      crypto.randomBytes(1024),
      crypto.randomBytes(1025),
    );
    const files = contents.map((c, i) => {
      const f = path.join(t.dir, `blob-${i}`);
      fs.writeFileSync(f, c);
      return f;
    });
    const shas = execFileSync('git', ['hash-object', '-w', '--no-filters', '--stdin-paths'], { cwd: dir, env: t.env, input: files.join('\n') + '\n', encoding: 'utf8' }).trim().split('\n');
    assert.strictEqual(shas.length, contents.length);
    const tree = t.git(dir, 'rev-parse', 'HEAD^{tree}').trim();
    const missing = 'f'.repeat(40);
    const got = await readBlobInfos(new Git(dir, t.env), [...shas, tree, missing, shas[0]]);
    contents.forEach((c, i) => {
      const p = parsePointer(c);
      assert.deepStrictEqual(got[shas[i]], p ? { lfs: true, oid: p.oid, size: p.size } : { lfs: false, size: c.length }, `blob ${i}`);
    });
    assert.strictEqual(got[tree], undefined);
    assert.strictEqual(got[missing], undefined);
    assert.strictEqual(Object.keys(got).length, new Set(shas).size);
  });

  it('a cache record of the wrong shape is not used: the history is read again', async () => {
    const repo = await ModelRepository.open(dir, { env: t.env });
    const before = await repo.histories();
    await repo.flushCache();
    const file = path.join(repo.dataDir, fs.readdirSync(repo.dataDir).find((f) => f.startsWith('history-'))!);
    const [header, line] = fs.readFileSync(file, 'utf8').split('\n');
    const batch = JSON.parse(line);
    batch[2][1].changes[0].path = 42; // valid JSON, not a history
    fs.writeFileSync(file, `${header}\n${JSON.stringify(batch)}\n`);
    const again = await ModelRepository.open(dir, { env: t.env });
    const after = await again.histories();
    assert.strictEqual(again.lastRefresh?.mode, 'full');
    assert.deepStrictEqual(JSON.parse(JSON.stringify([...after.values()])), JSON.parse(JSON.stringify([...before.values()])));
  });
});
