/**
 * push and fetch through simple-git (src/core/repo/network.ts): progress events, the environment a
 * hook sees (the same as with the argv runner: simple-git's guards must not strip or refuse the
 * user's GIT_SSH_COMMAND, EDITOR, GIT_CONFIG_* …), stdin closed, and failures as RepoErrors that say
 * what git said without its progress noise.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { ModelRepository, RepoError, type TransferProgress } from '../../src/core/repo';
import { Git } from '../../src/core/repo/git';
import { ProgressLines, withoutProgress } from '../../src/core/repo/network';
import { KERAS_VERSIONS, TempSpace, put } from './repoTestUtil';

/** A hook that writes its environment (NUL-separated) and its stdin's first bytes, then runs `then`. */
function recordingHook(file: string, then = 'exit 0'): string {
  return `#!/bin/sh\nenv -0 > '${file}.env'\ncat > '${file}.stdin'\n${then}\n`;
}

function readEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readFileSync(`${file}.env`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

describe('repo: push and fetch through simple-git', function () {
  this.timeout(120000);
  let t: TempSpace;
  let work: string;
  let remote: string;
  const rel = 'models/my_nn.h5';
  // variables simple-git strips or refuses by default; git and its hooks must see them as given
  const userEnv = {
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    EDITOR: 'true',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'modelver.test',
    GIT_CONFIG_VALUE_0: 'from-env',
    MV_MARK: 'kept',
  };

  before(async () => {
    t = new TempSpace();
    remote = t.bare();
    work = t.repo();
    t.git(work, 'remote', 'add', 'origin', `file://${remote}`);
    const repo = await ModelRepository.open(work, { env: t.env });
    for (const [i, f] of KERAS_VERSIONS.slice(0, 2).entries()) {
      put(work, rel, f);
      await repo.commitModel(rel, `train ${i + 1}`);
    }
  });
  after(() => t.cleanup());

  it("push: progress events, and the pre-push hook gets the caller's environment and git's ref list on stdin", async () => {
    const rec = path.join(t.dir, 'pre-push');
    fs.writeFileSync(path.join(work, '.git', 'hooks', 'pre-push'), recordingHook(rec), { mode: 0o755 });
    const repo = await ModelRepository.open(work, { env: { ...t.env, ...userEnv } });
    const progress: TransferProgress[] = [];
    const output: string[] = [];
    const r = await repo.push(undefined, { onProgress: (p) => progress.push(p), onOutput: (s) => output.push(s) });
    assert.strictEqual(r.branch, 'main');
    assert.strictEqual(t.git(remote, 'rev-parse', 'refs/heads/main').trim(), t.git(work, 'rev-parse', 'HEAD').trim());

    assert.ok(progress.length > 0, `progress events: ${output.join('')}`);
    for (const p of progress) {
      assert.strictEqual(p.command, 'push');
      assert.ok(p.percent >= 0 && p.percent <= 100 && p.processed <= p.total, JSON.stringify(p));
    }
    // every stage git and git-lfs went through, each to its end: LFS upload, then counting and writing
    const ends = progress.filter((p) => p.percent === 100).map((p) => p.stage);
    for (const stage of ['uploading lfs', 'counting', 'writing']) assert.ok(ends.includes(stage), `${stage} reaches 100%: ${JSON.stringify(progress)}`);
    assert.ok(ends.indexOf('uploading lfs') < ends.indexOf('writing'), 'the LFS objects go first');

    const env = readEnv(rec);
    for (const [k, v] of Object.entries(userEnv)) assert.strictEqual(env[k], v, `${k} as given`);
    assert.strictEqual(env.GIT_TERMINAL_PROMPT, '0');
    assert.strictEqual(env.GIT_LFS_SKIP_PUSH, '1');
    assert.strictEqual(env.GIT_CONFIG_GLOBAL, t.env.GIT_CONFIG_GLOBAL);
    assert.notStrictEqual(env.GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS, 'true', 'abbreviated options stay as git allows them by default');
    assert.match(fs.readFileSync(`${rec}.stdin`, 'utf8'), /^refs\/heads\/main [0-9a-f]{40} refs\/heads\/main [0-9a-f]{40}\n/m);
    // git itself read the GIT_CONFIG_* pairs: config from the environment reaches git as with the argv runner
    const seen = await new Git(work, { ...t.env, ...userEnv }).text(['config', '--get', 'modelver.test']);
    assert.strictEqual(seen, 'from-env');
  });

  it('a refused push is a RepoError with what the hook said, without progress lines', async () => {
    put(work, rel, KERAS_VERSIONS[2]);
    const repo = await ModelRepository.open(work, { env: t.env });
    await repo.commitModel(rel, 'train 3');
    const rec = path.join(t.dir, 'refuse');
    fs.writeFileSync(path.join(work, '.git', 'hooks', 'pre-push'), recordingHook(rec, "echo 'policy: no pushes on Fridays' >&2\nexit 1"), { mode: 0o755 });
    await assert.rejects(repo.push(), (e: unknown) => {
      assert.ok(e instanceof RepoError, String(e));
      assert.strictEqual(e.code, 'GIT_FAILED');
      assert.match(e.message, /^git push to origin failed: [\s\S]*policy: no pushes on Fridays/);
      assert.doesNotMatch(e.message, /\d+% \(\d+\/\d+\)/);
      return true;
    });
    fs.rmSync(path.join(work, '.git', 'hooks', 'pre-push'));
  });

  it('fetch: progress events and the updated refs', async () => {
    const clone = path.join(t.dir, 'clone');
    t.git(t.dir, 'clone', '-q', `file://${remote}`, clone);
    const repo = await ModelRepository.open(work, { env: t.env });
    await repo.push();
    await repo.setAlias(rel, 'production', 'v2');
    await repo.push();
    const other = await ModelRepository.open(clone, { env: t.env });
    const progress: TransferProgress[] = [];
    const f = await other.fetch(undefined, { onProgress: (p) => progress.push(p) });
    assert.deepStrictEqual(f.updated.map((u) => `${u.ref} ${u.how}`), ['refs/model-versions/aliases created']);
    assert.ok(progress.length > 0 && progress.every((p) => p.command === 'fetch'), JSON.stringify(progress));
    assert.doesNotMatch(f.output, /\d+% \(\d+\/\d+\)/);
  });

  it('modelver push draws the progress on a terminal, in place, and nothing on a pipe', async () => {
    put(work, rel, KERAS_VERSIONS[3]);
    await (await ModelRepository.open(work, { env: t.env })).commitModel(rel, 'train 4');
    const restore = t.useProcessEnv();
    try {
      const drawn: string[] = [];
      const tty = { isTTY: true, columns: 100, write: (s: string) => drawn.push(s) };
      const out: string[] = [];
      const code = await runCli(['push', '-C', work], { out: (s: string) => out.push(s), err: () => undefined, errStream: tty });
      assert.strictEqual(code, 0, out.join('\n'));
      assert.ok(drawn.some((d) => /^\rUploading LFS objects 100% \(1\/1\)\x1b\[K$/.test(d)), JSON.stringify(drawn));
      assert.ok(drawn.some((d) => /^\rWriting objects 100% \(\d+\/\d+\)\x1b\[K$/.test(d)), JSON.stringify(drawn));
      assert.strictEqual(drawn[drawn.length - 1], '\r\x1b[K', 'the line is cleared at the end');
      assert.match(out.join('\n'), /^Pushed main/);

      const piped: string[] = [];
      put(work, rel, KERAS_VERSIONS[4]);
      await (await ModelRepository.open(work, { env: t.env })).commitModel(rel, 'train 5');
      assert.strictEqual(await runCli(['push', '-C', work], { out: () => undefined, err: () => undefined, errStream: { isTTY: false, write: (s: string) => piped.push(s) } }), 0);
      assert.deepStrictEqual(piped, []);
    } finally {
      restore();
    }
  });

  it('a fetch from a remote that is gone says what git said', async () => {
    t.git(work, 'remote', 'add', 'gone', `file://${path.join(t.dir, 'nowhere.git')}`);
    const repo = await ModelRepository.open(work, { env: t.env });
    await assert.rejects(repo.fetch('gone'), (e: unknown) => e instanceof RepoError && e.code === 'GIT_FAILED' && /^git fetch gone failed: .*(does not appear to be a git repository|Could not read)/s.test(e.message));
  });

  it('progress lines are read line by line across chunks (several updates per chunk, a line split between two)', () => {
    // chunks as git wrote them in a real push (simple-git's own plugin read this as one "enumerating 7%" event)
    const chunks = [
      'Pushing to file:///tmp/remote.git\n',
      'Enumerating objects: 13, done.\nCounting objects:   7% (1/13)\rCounting objects: 100% (13/13)\rCounting objects: 100% (13/13), done.\nDelta compression using up to 2 threads\nCompressing objects:  10% (1/10)\rCompre',
      'ssing objects: 100% (10/10), done.\nWriting objects:   7% (1/13)\rWriting objects: 100% (13/13), 1.69 KiB | 867.00 KiB/s, done.\n',
      'remote: Resolving deltas:  50% (1/2)\rremote: Resolving deltas: 100% (2/2)',
    ];
    const seen: string[] = [];
    const lines = new ProgressLines('push', (p) => seen.push(`${p.remote ? 'remote ' : ''}${p.stage} ${p.percent} ${p.processed}/${p.total}`));
    for (const c of chunks) lines.push(c);
    lines.end();
    assert.deepStrictEqual(seen, [
      'counting 7 1/13',
      'counting 100 13/13',
      'counting 100 13/13',
      'compressing 10 1/10',
      'compressing 100 10/10',
      'writing 7 1/13',
      'writing 100 13/13',
      'remote resolving 50 1/2',
      'remote resolving 100 2/2',
    ]);
  });

  it('withoutProgress keeps the words and drops the counters', () => {
    const raw = 'Enumerating objects: 5, done.\nCounting objects:  20% (1/5)\rCounting objects: 100% (5/5), done.\nremote: Compressing objects: 100% (2/2), done.\nerror: failed to push some refs\n';
    assert.strictEqual(withoutProgress(raw), 'error: failed to push some refs');
  });
});
