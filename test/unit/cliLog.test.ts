/**
 * `modelver log --json`: compact by default (a line per version), indented with --pretty, both the
 * same data; --pretty without --json is a usage error. Its cache (logJson.ts) prints byte for byte
 * what the history gives, with tags, aliases and notes attached as they are now; a new commit, a
 * damaged file or a cache of another work tree is not used.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { ModelRepository } from '../../src/core/repo';
import * as logJson from '../../src/cli/commands/logJson';
import { TempSpace } from './repoTestUtil';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  // what bin.ts does: each piece ends with a newline
  const code = await runCli(args, { out: (s: string) => out.push(s.endsWith('\n') ? s : s + '\n'), err: (s: string) => err.push(s) });
  return { code, out: out.join(''), err: err.join('\n') };
}

describe('modelver log --json', function () {
  this.timeout(60000);
  let t: TempSpace;
  let dir: string;
  let restoreEnv: (() => void) | undefined;

  before(() => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    dir = t.repo();
    for (let i = 0; i < 3; i++) {
      for (const m of ['a.onnx', 'sub/b.onnx']) {
        const oid = crypto.createHash('sha256').update(`${m}${i}`).digest('hex');
        fs.mkdirSync(path.dirname(path.join(dir, m)), { recursive: true });
        fs.writeFileSync(path.join(dir, m), `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${100 + i}\n`);
      }
      t.git(dir, 'add', '-A');
      // text that looks like the boundary between two versions' JSON, and a trailer keyed `model`
      t.git(dir, 'commit', '-q', '-m', `train ${i}\n\nbody with "quotes" and a\ttab},{"model":"x"}\n\nmodel: ${i}`);
    }
  });
  after(() => {
    restoreEnv?.();
    t?.cleanup();
  });

  it('is compact (a line per version) and holds what --pretty holds', async () => {
    const compact = await cli(['log', '--json', '-C', dir]);
    assert.strictEqual(compact.code, 0, compact.err);
    const pretty = await cli(['log', '--json', '--pretty', '-C', dir]);
    assert.strictEqual(pretty.code, 0, pretty.err);
    const c = JSON.parse(compact.out);
    assert.deepStrictEqual(c, JSON.parse(pretty.out));
    assert.deepStrictEqual(
      c.models.map((m: { model: string; versions: unknown[] }) => [m.model, m.versions.length]),
      [
        ['a.onnx', 3],
        ['sub/b.onnx', 3],
      ],
    );
    const lines = compact.out.trimEnd().split('\n');
    assert.strictEqual(lines.length, 12, compact.out.slice(0, 400)); // opening, (head, 3 versions, end) × 2, closing
    assert.ok(!/\n {2}/.test(compact.out), 'no indentation');
    assert.match(pretty.out, /\n {2}"models": \[/);
    assert.ok(compact.out.length < pretty.out.length * 0.8);
  });

  it('one model: compact, and --pretty indents', async () => {
    const one = await cli(['log', '--json', '-C', dir, 'sub/b.onnx']);
    assert.strictEqual(one.code, 0, one.err);
    assert.strictEqual(one.out.trimEnd().split('\n').length, 5);
    const j = JSON.parse(one.out);
    assert.strictEqual(j.model, 'sub/b.onnx');
    assert.deepStrictEqual(JSON.parse((await cli(['log', '--json', '--pretty', '-C', dir, 'sub/b.onnx'])).out), j);
  });

  describe('its cache', () => {
    const logCache = () => path.join(dir, '.git', 'model-versions', fs.readdirSync(path.join(dir, '.git', 'model-versions')).find((f) => f.startsWith('log-'))!);
    const segments = () => fs.readdirSync(logCache()).filter((f) => f.endsWith('.seg'));
    const source = () => logJson.lastLogSource;
    /** the log as the history gives it (no log cache); the same data as --pretty (ModelRepository.histories) */
    const slow = async (args: string[]) => {
      fs.rmSync(logCache(), { recursive: true, force: true });
      const r = await cli(args);
      assert.strictEqual(r.code, 0, r.err);
      assert.strictEqual(source(), 'history');
      const pretty = await cli([...args, '--pretty']);
      assert.deepStrictEqual(JSON.parse(r.out), JSON.parse(pretty.out));
      return r.out;
    };
    let all: string[] = [];
    before(() => (all = ['log', '--json', '-C', dir]));

    it('prints what the history gives, byte for byte', async () => {
      const first = await slow(all);
      const cached = await cli(all);
      assert.strictEqual(source(), 'cache');
      assert.strictEqual(cached.out, first);
      const one = await cli([...all, 'sub/b.onnx']);
      assert.strictEqual(source(), 'cache');
      assert.strictEqual(one.out, await slow([...all, 'sub/b.onnx']));
    });

    it('attaches tags, aliases and notes as they are now', async () => {
      const repo = await ModelRepository.open(dir, { env: t.env });
      await repo.tag('a.onnx', { version: 'v2', name: 'a-two' });
      await repo.setAlias('sub/b.onnx', 'prod', 'v1');
      await repo.addMetadata('a.onnx', 'v3', { acc: 0.5, note: 'q"uote\n' });
      await cli(all); // the cache of this HEAD exists
      const cached = await cli(all);
      assert.strictEqual(source(), 'cache');
      const j = JSON.parse(cached.out);
      const a = j.models.find((m: { model: string }) => m.model === 'a.onnx');
      assert.deepStrictEqual(a.versions[1].tags, ['a-two']);
      assert.deepStrictEqual(a.versions[2].metadata, { acc: 0.5, note: 'q"uote\n' });
      assert.deepStrictEqual(j.models.find((m: { model: string }) => m.model === 'sub/b.onnx').versions[0].aliases, ['prod']);
      assert.strictEqual(cached.out, await slow(all));
      await cli(all);
      const single = await cli([...all, 'a.onnx']);
      assert.strictEqual(source(), 'cache');
      assert.strictEqual(single.out, await slow([...all, 'a.onnx']));
    });

    it('new commits and a rename: read from the cache on; a rewrite, a damaged file, another work tree: from the history', async () => {
      await cli(all);
      t.git(dir, 'mv', 'a.onnx', 'renamed.onnx');
      t.git(dir, 'commit', '-q', '-m', 'rename');
      const afterCommit = await cli(all);
      assert.strictEqual(source(), 'cache + new commits');
      assert.strictEqual(segments().length, 2, 'the segments replaced are removed: one per model');
      assert.match(afterCommit.out, /"model":"renamed\.onnx"/);
      assert.ok(!afterCommit.out.includes('"model":"a.onnx"'));
      assert.strictEqual(afterCommit.out, await slow(all));
      await cli(all);
      const old = await cli([...all, 'a.onnx']);
      assert.strictEqual(source(), 'cache', 'a model by an old path');
      assert.strictEqual(old.out, await slow([...all, 'a.onnx']));
      t.git(dir, 'commit', '-q', '--amend', '-m', 'rename, amended');
      const amended = await cli(all);
      assert.strictEqual(source(), 'history');
      assert.strictEqual(segments().length, 2, 'the segments replaced are removed: one per model');
      assert.strictEqual(amended.out, await slow(all));
      // damaged: a segment cut short, a segment gone
      await cli(all);
      const seg = path.join(logCache(), segments()[0]);
      const bytes = fs.readFileSync(seg);
      fs.writeFileSync(seg, bytes.subarray(0, bytes.length - 10));
      const r1 = await cli(all);
      assert.strictEqual(source(), 'history');
      assert.strictEqual(r1.out, await slow(all));
      await cli(all);
      fs.rmSync(path.join(logCache(), segments()[0]));
      const r3 = await cli(all);
      assert.strictEqual(source(), 'history');
      assert.strictEqual(r3.out, await slow(all));
      // a cache made for another work tree (same patterns) is not read
      await cli(all);
      const head = path.join(logCache(), 'head.json');
      fs.writeFileSync(head, fs.readFileSync(head, 'utf8').replace(`"root":${JSON.stringify(dir)}`, `"root":${JSON.stringify(dir + '-other')}`));
      const r2 = await cli(all);
      assert.strictEqual(source(), 'history');
      assert.strictEqual(r2.out, await slow(all));

    });
  });

  it('--pretty without --json: a usage error', async () => {
    const r = await cli(['log', '--pretty', '-C', dir]);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /--pretty goes with --json/);
  });

  it('an empty repository: valid JSON with no models', async () => {
    const empty = t.repo('empty', { initialCommit: false });
    const r = await cli(['log', '--json', '-C', empty]);
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual(JSON.parse(r.out).models, []);
  });
});
