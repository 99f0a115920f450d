/**
 * Folder models (issue #15, point 1): a Hugging Face sharded safetensors model's folder — two shards,
 * `model.safetensors.index.json`, config.json, tokenizer.json — is one model whose versions are the
 * commits that changed any of its files, committed, restored and reverted as a whole. Real git +
 * git-lfs repositories; the model files are written by test/support/sharded_write.py (numpy, with
 * safetensors_write.py): v2 scales layer.4.weight (second shard) by 1.5 and changes config.json.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { runCli } from '../../src/cli/main';
import { ModelRepository, RepoError } from '../../src/core/repo';
import { REPO_ROOT } from '../support/paths';
import { TempSpace, sha256 } from './repoTestUtil';

const PYTHON = '/usr/bin/python3';
const FILES = ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json'];

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY: false });
  const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stdout } as never);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Copy the files of a generated version into the repository's folder (replacing what is there). */
function putFolder(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const f of FILES) fs.copyFileSync(path.join(src, f), path.join(dst, f));
}

describe('repo: a sharded safetensors folder is one model', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let gen: string;
  let repo: ModelRepository;
  let restoreEnv: () => void;
  const rel = 'models/tiny';

  before(async () => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    gen = path.join(t.dir, 'gen');
    execFileSync(PYTHON, [path.join(REPO_ROOT, 'test', 'support', 'sharded_write.py'), gen]);
    dir = t.repo();
    // config.json committed with plain git before the model was: a file of the folder from before its index
    fs.mkdirSync(path.join(dir, rel), { recursive: true });
    fs.copyFileSync(path.join(gen, 'v1', 'config.json'), path.join(dir, rel, 'config.json'));
    t.git(dir, 'add', `${rel}/config.json`);
    t.git(dir, 'commit', '-q', '-m', 'config first');
    repo = await ModelRepository.open(dir, { env: t.env });
    // a single-file model beside it stays a model of its own
    fs.copyFileSync(path.join(gen, 'v1', 'model-00001-of-00002.safetensors'), path.join(dir, 'models', 'single.safetensors'));
    await repo.commitModel(path.join(dir, 'models', 'single.safetensors'), 'a single file');
    putFolder(path.join(gen, 'v1'), path.join(dir, rel));
    // HEAD holds config.json only: not a version yet, but the folder differs from HEAD
    assert.deepStrictEqual(await repo.modelStatus(path.join(dir, rel)), { state: 'modified', model: rel });
  });
  after(() => {
    restoreEnv();
    t.cleanup();
  });

  it('commits the folder as v1 and v2: one model with two versions, shards through Git LFS, not models of their own', async () => {
    const c1 = await repo.commitModel(path.join(dir, rel), 'first cut');
    assert.strictEqual(c1.model, rel);
    assert.strictEqual(c1.version, 1);
    assert.match(c1.oid, /^files:[0-9a-f]{64}$/);
    assert.strictEqual(c1.trailers['Model-Format'], 'safetensors');
    assert.strictEqual(c1.trailers['Model-Params'], String(6 * 32));
    assert.strictEqual(c1.trailers['Model-Size'], String(FILES.reduce((a, f) => a + fs.statSync(path.join(gen, 'v1', f)).size, 0)));
    // the working folder is what HEAD has now
    assert.strictEqual((await repo.modelStatus(path.join(dir, rel))).state, 'unchanged');
    await assert.rejects(repo.commitModel(path.join(dir, rel), 'again'), (e: unknown) => e instanceof RepoError && e.code === 'UNCHANGED');

    putFolder(path.join(gen, 'v2'), path.join(dir, rel));
    assert.strictEqual((await repo.modelStatus(path.join(dir, rel))).state, 'modified');
    const c2 = await repo.commitModel(path.join(dir, rel), 'scale layer 4');
    assert.strictEqual(c2.version, 2);
    // one change record for the whole folder: the diff against v1 found the one changed tensor
    assert.match(c2.trailers['Model-Change'], /1\/6 weight tensors changed|layer\.4\.weight/, c2.trailers['Model-Change']);

    // one commit holds every file of the folder; the shards are LFS pointers, the JSON files plain blobs
    const names = t.git(dir, 'show', '--name-only', '--format=', c1.commit).trim().split('\n').sort();
    // (.gitattributes got its `*.safetensors` rule with single.safetensors)
    assert.deepStrictEqual(names, FILES.filter((f) => f !== 'config.json').map((f) => `${rel}/${f}`));
    assert.strictEqual(c1.attributesChanged, false);
    assert.deepStrictEqual(t.git(dir, 'show', '--name-only', '--format=', c2.commit).trim().split('\n').sort(), [
      `${rel}/config.json`,
      `${rel}/model-00002-of-00002.safetensors`,
    ]);
    assert.match(t.git(dir, 'show', `HEAD:${rel}/model-00001-of-00002.safetensors`), /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:/);
    assert.strictEqual(t.git(dir, 'show', `HEAD:${rel}/config.json`), fs.readFileSync(path.join(gen, 'v2', 'config.json'), 'utf8'));

    const models = await repo.listModels();
    assert.deepStrictEqual(
      models.map((m) => [m.path, m.versionCount, !!m.folder]),
      [
        ['models/single.safetensors', 1, false],
        [rel, 2, true],
      ],
    );
    const folder = models.find((m) => m.path === rel)!;
    assert.ok(folder.committed && folder.lfs && folder.exists && !folder.untracked);

    const vs = await repo.versions(rel);
    assert.deepStrictEqual(
      vs.map((v) => [v.version, v.commit, v.contentId]),
      [
        [1, c1.commit, c1.oid],
        [2, c2.commit, c2.oid],
      ],
    );
    // the content id is the documented one (docs/storage.md): sha256 of `name NUL blob LF`, by name, from git's own tree
    for (const v of vs) {
      const lines = t.git(dir, 'ls-tree', v.commit, '--', `${rel}/`).trim().split('\n').map((l) => {
        const [meta, p] = l.split('\t');
        return `${path.posix.basename(p)}\0${meta.split(' ')[2]}\n`;
      });
      assert.strictEqual(lines.length, FILES.length);
      assert.strictEqual(v.contentId, `files:${crypto.createHash('sha256').update(lines.sort().join('')).digest('hex')}`);
    }
    // each version lists its files, the shards with the sha256 of their bytes
    assert.deepStrictEqual(
      vs[0].files!.map((f) => [f.name, f.lfs, f.lfs ? f.oid : undefined]),
      FILES.map((f) => [f, f.endsWith('.safetensors'), f.endsWith('.safetensors') ? sha256(path.join(gen, 'v1', f)) : undefined]),
    );
    // the commit's record names this version: its trailers count
    assert.strictEqual(vs[0].trailers['Model-Oid'], c1.oid);
    assert.strictEqual(vs[1].trailers['Model-Change'], c2.trailers['Model-Change']);
  });

  it('any file of the folder makes a version (a plain git commit of tokenizer.json); a fresh history read agrees', async () => {
    const tok = path.join(dir, rel, 'tokenizer.json');
    fs.writeFileSync(tok, fs.readFileSync(tok, 'utf8').replace('"b": 1', '"b": 1, "c": 2'));
    t.git(dir, 'commit', '-q', '-m', 'grow the vocabulary', '--', `${rel}/tokenizer.json`);
    const vs = await repo.versions(rel);
    assert.deepStrictEqual(vs.map((v) => [v.version, v.subject]), [
      [1, 'first cut'],
      [2, 'scale layer 4'],
      [3, 'grow the vocabulary'],
    ]);
    assert.deepStrictEqual(vs[2].trailers, {}); // no record of ours in a plain commit
    // from nothing (no cache): the same versions, with the same content ids
    fs.rmSync(path.join(dir, '.git', 'model-versions'), { recursive: true, force: true });
    const fresh = await ModelRepository.open(dir, { env: t.env });
    assert.deepStrictEqual(
      (await fresh.versions(rel)).map((v) => [v.version, v.commit, v.contentId, v.trailers['Model-Oid'] ?? null]),
      vs.map((v) => [v.version, v.commit, v.contentId, v.trailers['Model-Oid'] ?? null]),
    );
    assert.deepStrictEqual((await fresh.listModels()).map((m) => m.path), ['models/single.safetensors', rel]);
  });

  it('restore brings back every file of v1 and keeps uncommitted work in a backup', async () => {
    const d = path.join(dir, rel);
    fs.writeFileSync(path.join(d, 'config.json'), '{"edited": true}\n'); // uncommitted change
    fs.writeFileSync(path.join(d, 'notes.txt'), 'my notes\n'); // untracked, not in v1
    const r = await repo.restore(d, 'v1');
    assert.strictEqual(r.unchanged, false);
    assert.deepStrictEqual(r.files!.removed, ['notes.txt']);
    for (const f of FILES) assert.strictEqual(sha256(path.join(d, f)), sha256(path.join(gen, 'v1', f)), f);
    assert.ok(!fs.existsSync(path.join(d, 'notes.txt')));
    // the uncommitted config.json and the untracked notes are in the backup; committed files are not copied
    assert.ok(r.backup && r.backup.startsWith(path.join(dir, '.git', 'model-versions', 'backups')));
    assert.deepStrictEqual(fs.readdirSync(r.backup).sort(), ['config.json', 'notes.txt']);
    assert.strictEqual(fs.readFileSync(path.join(r.backup, 'config.json'), 'utf8'), '{"edited": true}\n');
    const again = await repo.restore(d, 'v1');
    assert.strictEqual(again.unchanged, true);
  });

  it('reverts to v1 as a new version holding v1\'s files', async () => {
    const r = await repo.revertTo(path.join(dir, rel), 'v1');
    assert.strictEqual(r.version, 4);
    const vs = await repo.versions(rel);
    assert.strictEqual(vs[3].contentId, vs[0].contentId);
    assert.match(vs[3].trailers['Model-Revert-Of'], new RegExp(`^v1 ${vs[0].commit}$`));
    await assert.rejects(repo.revertTo(path.join(dir, rel), 'v1'), (e: unknown) => e instanceof RepoError && e.code === 'UNCHANGED');
  });

  it('modelver log <folder> --json, inspect <folder>, diff <folder>@v1 <folder>@v2', async () => {
    const log = await cli(['log', '-C', dir, rel, '--json']);
    assert.strictEqual(log.code, 0, log.err);
    const j = JSON.parse(log.out) as { model: string; versions: { version: number; contentId: string; files: { name: string }[] }[] };
    assert.strictEqual(j.model, rel);
    assert.deepStrictEqual(j.versions.map((v) => v.version), [1, 2, 3, 4]);
    assert.deepStrictEqual(j.versions[0].files.map((f) => f.name), FILES);
    // the cached log after one more commit (of the folder's config only) reads that commit only
    fs.writeFileSync(path.join(dir, rel, 'config.json'), '{"hidden_size": 64}\n');
    t.git(dir, 'commit', '-q', '-m', 'config only', '--', `${rel}/config.json`);
    const log2 = JSON.parse((await cli(['log', '-C', dir, rel, '--json'])).out) as typeof j;
    assert.deepStrictEqual(log2.versions.map((v) => v.version), [1, 2, 3, 4, 5]);
    const pretty = JSON.parse((await cli(['log', '-C', dir, rel, '--json', '--pretty'])).out) as typeof j;
    assert.deepStrictEqual(pretty.versions.map((v) => v.contentId), log2.versions.map((v) => v.contentId));
    const human = await cli(['log', '-C', dir]);
    assert.match(human.out, /models\/tiny {2}\(5 versions\)/);
    assert.doesNotMatch(human.out, /model-0000/);

    // a file of the folder (its index, a shard) names the folder model
    for (const json of [['--json'], ['--json', '--pretty']]) {
      const byIndex = JSON.parse((await cli(['log', '-C', dir, `${rel}/model.safetensors.index.json`, ...json])).out) as typeof j;
      assert.strictEqual(byIndex.model, rel);
      assert.strictEqual(byIndex.versions.length, 5);
    }
    assert.deepStrictEqual(await repo.modelStatus(path.join(dir, rel, 'model-00002-of-00002.safetensors')), { state: 'unchanged', model: rel, version: (await repo.versions(rel))[4] });

    const ins = await cli(['inspect', path.join(dir, rel), '--json']);
    assert.strictEqual(ins.code, 0, ins.err);
    const s = JSON.parse(ins.out) as { parameterCount: number; tensors?: { name: string }[]; weights?: { name: string }[] };
    assert.strictEqual(s.parameterCount, 6 * 32);

    const diff = await cli(['diff', '-C', dir, `${rel}@v1`, `${rel}@v2`, '--json']);
    assert.strictEqual(diff.code, 1, diff.err);
    const dj = JSON.parse(diff.out) as { weights: { rows: { status: string; a?: { name: string } }[] } };
    const changed = dj.weights.rows.filter((r) => r.status !== 'same' && r.status !== 'unchanged');
    assert.deepStrictEqual(changed.map((r) => r.a?.name), ['layer.4.weight']);
    const same = await cli(['diff', '-C', dir, `${rel}@v1`, `${rel}@v4`]);
    assert.strictEqual(same.code, 0, same.out);
  });

  it('show --out writes a version as a folder (not to stdout); a renamed folder keeps its versions', async () => {
    const out = path.join(t.dir, 'v2-out');
    const shown = await cli(['show', '-C', dir, `${rel}@v2`, '--out', out]);
    assert.strictEqual(shown.code, 0, shown.err);
    assert.deepStrictEqual(fs.readdirSync(out).sort(), FILES);
    for (const f of FILES) assert.strictEqual(sha256(path.join(out, f)), sha256(path.join(gen, 'v2', f)), f);
    const refused = await cli(['show', '-C', dir, `${rel}@v2`]);
    assert.notStrictEqual(refused.code, 0);
    assert.match(refused.err, /folder model \(5 files\): give --out FOLDER/);

    t.git(dir, 'mv', rel, 'models/tiny-renamed');
    t.git(dir, 'commit', '-q', '-m', 'rename the folder');
    const h = await repo.history(path.join(dir, 'models', 'tiny-renamed'));
    assert.deepStrictEqual(h.paths, [rel, 'models/tiny-renamed']);
    assert.strictEqual(h.versions.length, 5); // the same files: no new version
    assert.ok(h.versions.every((v) => v.model === 'models/tiny-renamed'));
    assert.deepStrictEqual((await repo.listModels()).map((m) => m.path), ['models/single.safetensors', 'models/tiny-renamed']);
  });

  it('commits a deleted file as deleted; other staged work stays staged; a refused commit leaves the index as it was', async () => {
    const moved = 'models/tiny-renamed';
    const d = path.join(dir, moved);
    fs.appendFileSync(path.join(dir, 'README.md'), 'staged, not part of the model\n');
    t.git(dir, 'add', 'README.md');
    fs.rmSync(path.join(d, 'tokenizer.json'));
    fs.writeFileSync(path.join(d, 'generation_config.json'), '{"max_length": 20}\n');
    const staged = () => t.git(dir, 'diff', '--cached', '--name-only').trim().split('\n').filter(Boolean);

    // a failing pre-commit hook: nothing committed, the index as before (README.md staged, the folder not)
    const hook = path.join(dir, '.git', 'hooks', 'pre-commit');
    fs.writeFileSync(hook, '#!/bin/sh\necho no >&2\nexit 1\n', { mode: 0o755 });
    const head = t.git(dir, 'rev-parse', 'HEAD').trim();
    await assert.rejects(repo.commitModel(d, 'refused'), (e: unknown) => e instanceof RepoError && e.code === 'HOOK_FAILED');
    assert.strictEqual(t.git(dir, 'rev-parse', 'HEAD').trim(), head);
    assert.deepStrictEqual(staged(), ['README.md']);
    fs.rmSync(hook);

    const c = await repo.commitModel(d, 'drop the tokenizer, add a generation config');
    assert.deepStrictEqual(t.git(dir, 'show', '--name-status', '--format=', c.commit).trim().split('\n').sort(), [
      `A\t${moved}/generation_config.json`,
      `D\t${moved}/tokenizer.json`,
    ]);
    assert.deepStrictEqual(staged(), ['README.md']); // still staged, not committed
    const v = (await repo.versions(moved)).at(-1)!;
    assert.strictEqual(v.version, 6);
    assert.deepStrictEqual(v.files!.map((f) => f.name), ['config.json', 'generation_config.json', ...FILES.slice(1, 4)]);
  });
});
