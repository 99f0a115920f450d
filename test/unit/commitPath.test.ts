/**
 * The commit path's cost and exactness: how many processes a commit starts, and staging through our
 * own clean filter (lfsCleanFilter.ts) gives exactly what git-lfs gives — the same pointer, index entry,
 * object and commit tree, `git lfs fsck` and `git lfs ls-files` content, a clean `git status`.
 */
import * as assert from 'assert';
import childProcess = require('child_process');
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ModelRepository } from '../../src/core/repo';
import { serve } from '../../src/core/repo/lfsCleanFilter';
import { fixture } from '../support/paths';
import { put, SILERO, TempSpace } from './repoTestUtil';

/** Count the processes this process spawns while `fn` runs (the git runner spawns through child_process.spawn). */
async function countSpawns<T>(fn: () => Promise<T>): Promise<{ result: T; argv: string[][] }> {
  const cp = childProcess;
  const original = cp.spawn;
  const argv: string[][] = [];
  cp.spawn = ((cmd: string, args?: readonly string[], ...rest: unknown[]) => {
    argv.push([cmd, ...(args ?? [])]);
    return (original as (...a: unknown[]) => childProcess.ChildProcess)(cmd, args, ...rest);
  }) as typeof childProcess.spawn;
  try {
    return { result: await fn(), argv };
  } finally {
    cp.spawn = original;
  }
}

interface Trace {
  git: string[][];
  other: string[][];
}

/** The processes git shows in a GIT_TRACE2_EVENT file: every git process, and what git started that is not git. */
function readTrace(file: string): Trace {
  const t: Trace = { git: [], other: [] };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { event: string; argv?: string[]; use_shell?: boolean };
    if (e.event === 'start') t.git.push(e.argv ?? []);
    else if (e.event === 'child_start' && (e.use_shell || !/(^|\/)git$/.test(e.argv?.[0] ?? ''))) t.other.push(e.argv ?? []);
  }
  return t;
}

describe('commit path', function () {
  this.timeout(120000);
  let space: TempSpace;
  before(() => (space = new TempSpace()));
  after(() => space.cleanup());

  describe('processes per commit', function () {
    it('a new version starts at most 11 processes of its own (24 before the git calls were batched, 14 before the history reused what the commit read, 12 before HEAD was read from its files)', async () => {
      const { dir, repo } = await space.openRepo('count', { MODELVER_CLEAN_FILTER: 'git-lfs' });
      put(dir, 'vad.onnx', SILERO[1]);
      await repo.commitModel('vad.onnx', 'v5');
      put(dir, 'vad.onnx', SILERO[2]);
      const { result, argv } = await countSpawns(() => repo.commitModel('vad.onnx', 'v6'));
      assert.match(result.trailers['Model-Change'] ?? '', /retrained/);
      const names = argv.map((a) => a.slice(0, 3).join(' '));
      assert.ok(argv.length <= 11, `${argv.length} processes:\n${names.join('\n')}`);
      // the version's number: the history at the commit HEAD's files name, its new pointer not read again
      const afterCommit = names.slice(names.findIndex((n) => n.startsWith('git commit')) + 1);
      assert.deepStrictEqual(afterCommit.filter((n) => n.startsWith('git rev-parse')).length, 0, `HEAD read from its files after the commit:\n${afterCommit.join('\n')}`);
      assert.strictEqual(result.commit, space.git(dir, 'rev-parse', 'HEAD').trim());
      assert.deepStrictEqual(afterCommit.filter((n) => n.startsWith('git cat-file')), [], `no pointer read again after the commit:\n${afterCommit.join('\n')}`);
      assert.strictEqual(repo.lastRefresh?.blobsRead, 0);
      assert.strictEqual(result.version, 2);
      // no lookup asked twice
      assert.strictEqual(names.filter((n) => n.startsWith('git lfs version')).length, 0, 'git-lfs is found on PATH without a process');
      assert.strictEqual(names.filter((n) => n.startsWith('git check-attr')).length, 2, 'the attributes: working tree and index, once each');
      assert.strictEqual(names.filter((n) => n.startsWith('git config')).length, 1, 'the configuration: one call');
    });

    it('HEAD after the commit: a branch with slashes after `git pack-refs --all`, detached, and a packed ref git left packed (asked of git)', async () => {
      const { dir, repo } = await space.openRepo('headfiles', { MODELVER_CLEAN_FILTER: 'git-lfs' });
      put(dir, 'vad.onnx', SILERO[1]);
      await repo.commitModel('vad.onnx', 'v1');
      space.git(dir, 'switch', '-q', '-c', 'team/exp-1');
      space.git(dir, 'pack-refs', '--all');
      put(dir, 'vad.onnx', SILERO[2]);
      const onBranch = await repo.commitModel('vad.onnx', 'v2');
      assert.strictEqual(onBranch.commit, space.git(dir, 'rev-parse', 'refs/heads/team/exp-1').trim());
      assert.deepStrictEqual(onBranch.warnings, []);
      assert.strictEqual(onBranch.version, 2);
      space.git(dir, 'switch', '-q', '--detach');
      put(dir, 'vad.onnx', SILERO[1]);
      const detached = await repo.commitModel('vad.onnx', 'v3');
      assert.strictEqual(detached.commit, space.git(dir, 'rev-parse', 'HEAD').trim());
      assert.match(detached.warnings.join('\n'), /HEAD is detached/);
      // HEAD naming a branch whose loose ref is gone (a packed ref): git answers, the same way
      space.git(dir, 'switch', '-q', 'team/exp-1');
      put(dir, 'vad.onnx', SILERO[1]);
      const hookDir = path.join(dir, '.git', 'hooks');
      fs.writeFileSync(path.join(hookDir, 'post-commit'), '#!/bin/sh\ngit pack-refs --all\n', { mode: 0o755 });
      const { result, argv } = await countSpawns(() => repo.commitModel('vad.onnx', 'v4'));
      assert.ok(!fs.existsSync(path.join(dir, '.git', 'refs', 'heads', 'team', 'exp-1')), 'the hook packed the branch');
      assert.strictEqual(result.commit, space.git(dir, 'rev-parse', 'refs/heads/team/exp-1').trim());
      assert.deepStrictEqual(result.warnings, []);
      const afterCommit = argv.map((a) => a.slice(0, 3).join(' ')).slice(argv.findIndex((a) => a[1] === 'commit') + 1);
      assert.strictEqual(afterCommit.filter((n) => n.startsWith('git rev-parse')).length, 1, afterCommit.join('\n'));
    });

    it('a first reader of the history (the CLI): the version\'s number and the pointers as a fresh read of the history has them, and git lfs ls-files -l', async () => {
      const { dir, repo } = await space.openRepo('learned', { MODELVER_CLEAN_FILTER: 'git-lfs' });
      put(dir, 'vad.onnx', SILERO[1]);
      space.git(dir, 'lfs', 'track', '*.onnx');
      space.git(dir, 'add', '.gitattributes', 'vad.onnx');
      space.git(dir, 'commit', '-q', '-m', 'v1 by plain git');
      put(dir, 'vad.onnx', SILERO[2]);
      const { result, argv } = await countSpawns(() => repo.commitModel('vad.onnx', 'v2'));
      assert.strictEqual(result.version, 2);
      assert.strictEqual(repo.lastRefresh?.mode, 'full');
      assert.strictEqual(repo.lastRefresh?.blobsRead, 0, 'both pointers were read by the commit');
      assert.deepStrictEqual(argv.filter((a) => a[1] === 'cat-file' && a[2] === '--batch' && a[3] === '--buffer'), [], 'no history reader of pointers');
      await repo.flushCache();
      const seen = (await repo.history('vad.onnx')).versions.map((v) => [v.version, v.oid, v.size, v.lfs]);
      // what git-lfs says of the two commits, against a reader that knows nothing (no cache)
      const lfs = ['HEAD~1', 'HEAD'].map((rev) => /^([0-9a-f]{64}) \* vad\.onnx$/m.exec(space.git(dir, 'lfs', 'ls-files', '-l', rev)));
      assert.ok(lfs.every(Boolean), 'git lfs ls-files -l lists the model at both commits');
      assert.deepStrictEqual(seen.map((v) => v[1]), lfs.map((m) => m![1]));
      assert.deepStrictEqual(seen.map((v) => v[2]), [fs.statSync(SILERO[1]).size, fs.statSync(SILERO[2]).size]);
      fs.rmSync(path.join(dir, '.git', 'model-versions'), { recursive: true, force: true });
      const fresh = await ModelRepository.open(dir, { env: space.env });
      assert.deepStrictEqual((await fresh.history('vad.onnx')).versions.map((v) => [v.version, v.oid, v.size, v.lfs]), seen);
    });

    it('with our clean filter, git starts no git-lfs and no git process for it (git-lfs starts eight)', async () => {
      const counts: Record<string, Trace> = {};
      for (const mode of ['git-lfs', 'own']) {
        const trace = path.join(space.dir, `trace-${mode}.json`);
        const { dir, repo } = await space.openRepo(`trace-${mode}`, { MODELVER_CLEAN_FILTER: mode });
        put(dir, 'vad.onnx', SILERO[1]);
        await repo.commitModel('vad.onnx', 'v5');
        const file = put(dir, 'vad.onnx', SILERO[2]);
        // a minute old: not "racily clean" for git (a file changed within the index's clock tick is hashed
        // again, through git-lfs, by the next git command that reads the index)
        const past = new Date(Date.now() - 60_000);
        fs.utimesSync(file, past, past);
        const traced = await ModelRepository.open(dir, { env: { ...space.env, MODELVER_CLEAN_FILTER: mode, GIT_TRACE2_EVENT: trace } });
        await traced.commitModel('vad.onnx', 'v6');
        counts[mode] = readTrace(trace);
      }
      const lfsFilter = (t: Trace) => t.other.filter((a) => a.join(' ').includes('git-lfs filter-process')).length;
      assert.ok(lfsFilter(counts['git-lfs']) >= 1, 'git-lfs cleans in the git-lfs mode');
      assert.strictEqual(lfsFilter(counts.own), 0, 'no git-lfs filter-process with our filter');
      assert.ok(counts.own.other.some((a) => a.join(' ').includes('lfsCleanFilter.js')), 'our filter ran');
      // git-lfs starts eight git processes to read its configuration
      assert.strictEqual(counts['git-lfs'].git.length - counts.own.git.length, 8, `${counts['git-lfs'].git.length} git processes with git-lfs, ${counts.own.git.length} with our filter`);
    });
  });

  it('a racily clean file (written in the second the index is): git commit cleans it again with our filter, never git-lfs', async () => {
    const trace = path.join(space.dir, 'trace-racy.json');
    const { dir, repo } = await space.openRepo('racy', { MODELVER_CLEAN_FILTER: 'own' });
    put(dir, 'vad.onnx', SILERO[1]);
    await repo.commitModel('vad.onnx', 'v5');
    const file = put(dir, 'vad.onnx', SILERO[2]);
    // a minute ahead: every index written now is older than the file, so git commit cleans it again
    const future = new Date(Date.now() + 60_000);
    fs.utimesSync(file, future, future);
    const traced = await ModelRepository.open(dir, { env: { ...space.env, MODELVER_CLEAN_FILTER: 'own', GIT_TRACE2_EVENT: trace } });
    const r = await traced.commitModel('vad.onnx', 'v6');
    const t = readTrace(trace);
    const ours = t.other.filter((a) => a.join(' ').includes('lfsCleanFilter.js')).length;
    assert.ok(ours >= 2, `our filter cleaned for git add and for git commit (${ours} runs):\n${t.other.map((a) => a.join(' ')).join('\n')}`);
    assert.deepStrictEqual(t.other.filter((a) => a.join(' ').includes('git-lfs filter-process')), []);
    // what was committed is what git-lfs gives, and the working tree is clean for plain git afterwards
    assert.strictEqual(r.oid, /oid sha256:([0-9a-f]{64})/.exec(space.git(dir, 'show', 'HEAD:vad.onnx'))![1]);
    assert.strictEqual(space.git(dir, 'status', '--porcelain'), '');
  });

  describe('the checks asked of git at once keep their order and messages', function () {
    it('LFS filters not configured: LFS_NOT_CONFIGURED saying to run git lfs install; nothing staged', async () => {
      const dir = space.repo('no-filters');
      space.git(dir, 'config', '--local', '--remove-section', 'filter.lfs');
      // and none in the system's configuration either
      const repo = await ModelRepository.open(dir, { env: { ...space.env, GIT_CONFIG_NOSYSTEM: '1' } });
      put(dir, 'vad.onnx', SILERO[1]);
      const e = await repo.commitModel('vad.onnx', 'x').then(
        () => assert.fail('committed'),
        (err: Error & { code?: string }) => err,
      );
      assert.strictEqual(e.code, 'LFS_NOT_CONFIGURED');
      assert.match(e.message, /git lfs install/);
      assert.strictEqual(space.git(dir, 'diff', '--cached', '--name-only'), '');
      assert.strictEqual(space.git(dir, 'status', '--porcelain'), '?? vad.onnx\n');
    });

    it('a missing file is NOT_FOUND, after a conflict or a missing git-lfs would have been reported', async () => {
      const { repo } = await space.openRepo('missing');
      const e = await repo.commitModel('nope.onnx', 'x').then(
        () => assert.fail('committed'),
        (err: Error & { code?: string }) => err,
      );
      assert.strictEqual(e.code, 'NOT_FOUND');
      assert.match(e.message, /nope\.onnx does not exist/);
    });
  });

  describe('our clean filter gives exactly what git-lfs gives', function () {
    /** Commit the same files as v1, v2 in a repository per mode; what plain git and git-lfs then say of each. */
    async function commitBoth(files: [string, string | Buffer][], name: string, opts: { initialCommit?: boolean } = {}) {
      const out: Record<string, { dir: string; say: (...args: string[]) => string }> = {};
      for (const mode of ['git-lfs', 'own']) {
        const { dir, repo } = await space.openRepo(`${name}-${mode}`, { MODELVER_CLEAN_FILTER: mode }, opts);
        for (const [rel, src] of files) {
          put(dir, rel, src);
          await repo.commitModel(rel, `commit ${rel}`);
        }
        out[mode] = { dir, say: (...args: string[]) => space.git(dir, ...args) };
      }
      return out;
    }

    function lfsObjects(dir: string): Record<string, { size: number; mode: number; sha: string }> {
      const root = path.join(dir, '.git', 'lfs', 'objects');
      const res: Record<string, { size: number; mode: number; sha: string }> = {};
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) {
            assert.strictEqual(fs.statSync(p).mode & 0o777, 0o755 & ~process.umask(), `folder mode of ${p}`);
            walk(p);
          } else {
            const st = fs.statSync(p);
            const sha = childProcess.execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0];
            res[path.relative(root, p)] = { size: st.size, mode: st.mode & 0o777, sha };
          }
        }
      };
      walk(root);
      return res;
    }

    function assertSame(r: Awaited<ReturnType<typeof commitBoth>>, rels: string[]): void {
      const a = r['git-lfs'];
      const b = r.own;
      assert.strictEqual(b.say('rev-parse', 'HEAD^{tree}'), a.say('rev-parse', 'HEAD^{tree}'), 'the same commit tree');
      assert.strictEqual(b.say('ls-files', '-s'), a.say('ls-files', '-s'), 'the same index entries');
      for (const rel of rels) assert.strictEqual(b.say('cat-file', '-p', `:${rel}`), a.say('cat-file', '-p', `:${rel}`), `the same pointer for ${rel}`);
      assert.deepStrictEqual(lfsObjects(b.dir), lfsObjects(a.dir), 'the same objects, bytes and modes in .git/lfs/objects');
      for (const x of [a, b]) {
        assert.match(x.say('lfs', 'fsck'), /Git LFS fsck OK/);
        assert.strictEqual(x.say('status', '--porcelain'), '', 'git status: clean (the index has the files’ stat info)');
        assert.deepStrictEqual(fs.readdirSync(path.join(x.dir, '.git', 'lfs', 'tmp')).filter((f) => f.startsWith('modelver')), [], 'no temporary file left');
      }
      assert.strictEqual(b.say('lfs', 'ls-files', '--long'), a.say('lfs', 'ls-files', '--long'));
    }

    it('ONNX and Keras versions, a new file and a new version, in folders and with spaces in names', async () => {
      const files: [string, string][] = [
        ['vad.onnx', SILERO[0]],
        ['vad.onnx', SILERO[1]],
        ['models/with space/wake.onnx', fixture('onnx', 'hello_deepa_old.onnx')],
        ['models/with space/wake.onnx', fixture('onnx', 'hello_deepa.onnx')],
        ['keras/net.h5', fixture('keras', 'keras2cpp_my_nn_weights_18ec88f.h5')],
      ];
      const r = await commitBoth(files, 'models');
      assertSame(r, ['vad.onnx', 'models/with space/wake.onnx', 'keras/net.h5']);
    });

    it('the first commit of a repository, and an object already in the store', async () => {
      // the same bytes under a second name: the object is there already, the store keeps one copy
      const r = await commitBoth(
        [
          ['a.onnx', SILERO[2]],
          ['b.onnx', SILERO[2]],
        ],
        'first',
        { initialCommit: false },
      );
      assertSame(r, ['a.onnx', 'b.onnx']);
    });

    it('a damaged object of the same oid in the store: left to git-lfs, which refuses it, as it does alone', async () => {
      const results: Record<string, string> = {};
      for (const mode of ['git-lfs', 'own']) {
        const { dir, repo } = await space.openRepo(`damaged-${mode}`, { MODELVER_CLEAN_FILTER: mode });
        const src = fs.readFileSync(SILERO[2]);
        const oid = childProcess.execFileSync('sha256sum', [SILERO[2]], { encoding: 'utf8' }).split(' ')[0];
        const obj = path.join(dir, '.git', 'lfs', 'objects', oid.slice(0, 2), oid.slice(2, 4), oid);
        fs.mkdirSync(path.dirname(obj), { recursive: true });
        fs.writeFileSync(obj, src.subarray(0, 1000)); // truncated
        put(dir, 'vad.onnx', SILERO[2]);
        const e = await repo.commitModel('vad.onnx', 'x').then(
          () => undefined,
          (err: Error & { code?: string }) => err,
        );
        assert.ok(e, `${mode}: the commit is refused`);
        results[mode] = `${e.code}`;
        assert.strictEqual(fs.statSync(obj).size, 1000, 'the damaged object is left as it was');
        assert.strictEqual(space.git(dir, 'rev-list', '--count', 'HEAD').trim(), '1', 'nothing committed');
        assert.strictEqual(space.git(dir, 'diff', '--cached', '--name-only'), '', 'nothing staged');
      }
      assert.strictEqual(results.own, results['git-lfs']);
    });
  });

  describe('the clean filter process speaks git’s filter protocol', function () {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-clean-filter-'))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const pkt = (s: string | Buffer) => {
      const b = typeof s === 'string' ? Buffer.from(s) : s;
      return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0')), b]);
    };
    const FLUSH = Buffer.from('0000');
    /** What git sends: the handshake, then each request with its content (in packets of at most 65516 bytes). */
    function gitSays(requests: { command: string; content: Buffer }[]): Buffer {
      const parts = [pkt('git-filter-client\n'), pkt('version=2\n'), FLUSH, pkt('capability=clean\n'), pkt('capability=smudge\n'), FLUSH];
      for (const r of requests) {
        parts.push(pkt(`command=${r.command}\n`), pkt('pathname=m.onnx\n'), FLUSH);
        for (let off = 0; off < r.content.length; off += 65516) parts.push(pkt(r.content.subarray(off, off + 65516)));
        parts.push(FLUSH);
      }
      return Buffer.concat(parts);
    }
    /** The filter's answer as packets (null: a flush). */
    function packets(b: Buffer): (string | null)[] {
      const out: (string | null)[] = [];
      for (let pos = 0; pos < b.length; ) {
        const len = parseInt(b.toString('latin1', pos, pos + 4), 16);
        out.push(len === 0 ? null : b.toString('utf8', pos + 4, pos + len));
        pos += len === 0 ? 4 : len;
      }
      return out;
    }

    it('cleans a file into the pointer and the object git-lfs writes; refuses 1024 bytes or less and other commands', () => {
      const big = Buffer.alloc(200_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
      const small = Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 5\n');
      const lfsDir = path.join(dir, 'lfs');
      const input = path.join(dir, 'in');
      const output = path.join(dir, 'out');
      fs.writeFileSync(input, gitSays([{ command: 'clean', content: big }, { command: 'clean', content: small }, { command: 'smudge', content: small }]));
      const inFd = fs.openSync(input, 'r');
      const outFd = fs.openSync(output, 'w');
      try {
        serve(inFd, outFd, lfsDir);
      } finally {
        fs.closeSync(inFd);
        fs.closeSync(outFd);
      }
      const oid = crypto.createHash('sha256').update(big).digest('hex');
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${big.length}\n`;
      assert.deepStrictEqual(packets(fs.readFileSync(output)), [
        'git-filter-server\n',
        'version=2\n',
        null,
        'capability=clean\n',
        null,
        'status=success\n',
        null,
        pointer,
        null,
        null,
        'status=error\n', // 1024 bytes or less: maybe a pointer, which git-lfs passes through; git-lfs decides
        null,
        'status=error\n', // only clean was offered
        null,
      ]);
      const obj = path.join(lfsDir, 'objects', oid.slice(0, 2), oid.slice(2, 4), oid);
      assert.ok(fs.readFileSync(obj).equals(big), 'the object holds the bytes');
      assert.deepStrictEqual(fs.readdirSync(path.join(lfsDir, 'tmp')), [], 'no temporary file left');
      assert.deepStrictEqual(fs.readdirSync(path.join(lfsDir, 'objects')), [oid.slice(0, 2)], 'only the one object');
    });
  });
});
