/**
 * The built CLI (dist/cli.js) whose reader goes away early, as in `modelver log --json | head -1`: it
 * ends as git and the coreutils do, killed by SIGPIPE (a shell's status 141), and says nothing — no
 * unhandled EPIPE error with its stack trace on stderr.
 */
import * as assert from 'assert';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TempSpace } from './repoTestUtil';

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

describe('CLI: a reader that closes the pipe early', function () {
  this.timeout(60000);
  let t: TempSpace;
  let dir: string;

  before(() => {
    t = new TempSpace();
    dir = t.repo();
    // 100 versions of a model with 10 KB messages (fast-import: one process): ~1 MB of `log --json`, far
    // more than a pipe holds, so the CLI is still writing when the reader closes its end
    const body = 'x'.repeat(10_000);
    const parts: string[] = [];
    for (let i = 1; i <= 100; i++) {
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${String(i).padStart(64, '0')}\nsize ${100 + i}\n`;
      const msg = `v${i}\n\n${body}\n`;
      const when = 1_700_000_000 + i;
      parts.push(
        'commit refs/heads/main',
        `committer Test User <test@example.com> ${when} +0000`,
        `data ${Buffer.byteLength(msg)}`,
        msg,
        ...(i === 1 ? ['from refs/heads/main^0'] : []),
        `M 100644 inline model.onnx`,
        `data ${Buffer.byteLength(pointer)}`,
        pointer,
      );
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env: t.env, input: parts.join('\n') + '\n' });
    t.git(dir, 'reset', '-q', '--hard');
  });
  after(() => t?.cleanup());

  it('`modelver log --json` read for one chunk only: killed by SIGPIPE, nothing on stderr', async () => {
    assert.ok(fs.existsSync(CLI), `the CLI is not built: ${CLI} (run npm run build)`);
    const child = spawn(process.execPath, [CLI, 'log', '--json', '-C', dir], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '';
    child.stdout.once('data', (d: Buffer) => {
      first = d.toString('utf8');
      child.stdout.destroy(); // the reader goes away (head -1 after its line)
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    assert.match(first, /^\{"repository":/, 'the output began');
    assert.strictEqual(stderr, '', 'nothing on stderr');
    if (process.platform === 'win32') assert.strictEqual(code, 141);
    else assert.deepStrictEqual({ code, signal }, { code: null, signal: 'SIGPIPE' });
  });
});
