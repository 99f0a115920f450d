/**
 * Model merge conflicts (issue #17, part 3): real merge, rebase and cherry-pick conflicts on
 * LFS-tracked ONNX models, resolved with `modelver resolve`; checked with plain git and git-lfs.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository, conflictState, parseResolutions, recordResolution } from '../../src/core/repo';
import { cli } from '../support/cli';
import { fixture } from '../support/paths';
import { TempSpace, put, sha256 } from './repoTestUtil';

const BASE = fixture('onnx', 'hello_deepa_old.onnx');
const OURS = fixture('onnx', 'hello_deepa.onnx');
const THEIRS = fixture('onnx', 'namaste_deepa.onnx');
const MODEL = 'models/m.onnx';

describe('modelver resolve: model merge conflicts', function () {
  this.timeout(60000);
  let t: TempSpace;
  let restoreEnv: () => void;
  let template: string;

  before(() => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    for (const f of [BASE, OURS, THEIRS]) assert.ok(fs.existsSync(f), f);
    assert.notStrictEqual(sha256(BASE), sha256(THEIRS));
    template = build('template');
  });
  after(() => {
    restoreEnv();
    t.cleanup();
  });

  /** A copy of the template repository (a repository with its .git and LFS store is self-contained). */
  function diverged(name: string): string {
    const d = path.join(t.dir, name);
    fs.cpSync(template, d, { recursive: true });
    return d;
  }

  /** main: base → ours; exp (from base): theirs; plus a text file both branches change. Returns the repo dir. */
  function build(name: string): string {
    const d = t.repo(name);
    fs.writeFileSync(path.join(d, '.gitattributes'), '*.onnx filter=lfs diff=lfs merge=lfs -text\n');
    put(d, MODEL, BASE);
    fs.writeFileSync(path.join(d, 'notes.txt'), 'base\n');
    t.git(d, 'add', '.');
    t.git(d, 'commit', '-q', '-m', 'base model');
    t.git(d, 'checkout', '-q', '-b', 'exp');
    put(d, MODEL, THEIRS);
    fs.writeFileSync(path.join(d, 'notes.txt'), 'exp\n');
    t.git(d, 'commit', '-q', '-am', 'exp: retrain', '-m', 'Trained on the new data.');
    t.git(d, 'checkout', '-q', 'main');
    put(d, MODEL, OURS);
    fs.writeFileSync(path.join(d, 'notes.txt'), 'main\n');
    t.git(d, 'commit', '-q', '-am', 'main: fine-tune');
    return d;
  }

  /** git exits non-zero on a conflict: run it and return its status. */
  function gitStatus(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): number {
    try {
      execFileSync('git', args, { cwd, env: { ...t.env, ...env }, stdio: 'ignore' });
      return 0;
    } catch (e) {
      return (e as { status: number }).status;
    }
  }

  const unmerged = (d: string) => t.git(d, 'ls-files', '-u');
  const rev = (d: string, r: string) => t.git(d, 'rev-parse', r).trim();

  /** The staged (or committed) blob is a pointer `git lfs pointer --check` accepts, naming `oid`. */
  function assertPointer(d: string, spec: string, oid: string, size: number): void {
    const text = t.git(d, 'cat-file', 'blob', spec);
    const f = path.join(t.dir, `pointer-${Date.now()}`);
    fs.writeFileSync(f, text);
    assert.strictEqual(gitStatus(d, {}, 'lfs', 'pointer', '--check', `--file=${f}`), 0, `not a valid LFS pointer:\n${text}`);
    assert.match(text, new RegExp(`^oid sha256:${oid}$`, 'm'));
    assert.match(text, new RegExp(`^size ${size}$`, 'm'));
  }

  it('merge: a non-model conflict is refused, a missing LFS object names what to fetch, --theirs resolves and the merge commit carries the trailer', async () => {
    const d = diverged('merge');
    assert.notStrictEqual(gitStatus(d, {}, 'merge', '-q', 'exp'), 0);
    const state = await conflictState(await ModelRepository.open(d, { env: t.env }));
    assert.strictEqual(state.operation, 'merge');
    assert.strictEqual(state.commits.theirs, rev(d, 'exp'));
    assert.strictEqual(state.commits.ours, rev(d, 'main'));
    assert.strictEqual(state.commits.base, rev(d, 'main~1'));
    assert.strictEqual(state.labels.theirs, 'exp');
    assert.deepStrictEqual(
      state.files.map((f) => [f.path, f.model, f.base?.oid, f.ours?.oid, f.theirs?.oid]),
      [
        [MODEL, true, sha256(BASE), sha256(OURS), sha256(THEIRS)],
        ['notes.txt', false, undefined, undefined, undefined],
      ],
    );

    const list = await cli(['resolve', '-C', d, '--list']);
    assert.strictEqual(list.code, 0, list.err);
    assert.strictEqual(list.out, `A merge is in progress: ours = HEAD (main), theirs = exp\n  model  ${MODEL}\n  other  notes.txt`);

    const text = await cli(['resolve', '-C', d, 'notes.txt', '--theirs']);
    assert.strictEqual(text.code, 1);
    assert.match(text.err, /notes\.txt is not a model file .* leaves its conflict to git: .*git checkout --theirs -- notes\.txt/);
    assert.match(unmerged(d), /\tnotes\.txt$/m, 'the text file stays unmerged');

    // theirs' object gone from the LFS store: the error names the fetch
    const obj = path.join(d, '.git', 'lfs', 'objects', sha256(THEIRS).slice(0, 2), sha256(THEIRS).slice(2, 4), sha256(THEIRS));
    fs.renameSync(obj, `${obj}.away`);
    const missing = await cli(['resolve', '-C', d, MODEL, '--theirs']);
    fs.renameSync(`${obj}.away`, obj);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.err, new RegExp(`not in this clone's LFS store\\. Fetch it with \`git lfs fetch <remote> ${rev(d, 'exp')} --include="models/m\\.onnx"\``));
    assert.match(unmerged(d), /\tmodels\/m\.onnx$/m, 'nothing resolved');

    const usage = await cli(['resolve', '-C', d, MODEL, '--ours', '--theirs']);
    assert.strictEqual(usage.code, 2);

    const r = await cli(['resolve', '-C', d, MODEL, '--theirs']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /^Resolved models\/m\.onnx: took theirs \(v2\) from [0-9a-f]{7}/);
    assert.match(r.out, /Still unmerged: notes\.txt/);
    assert.strictEqual(unmerged(d).split('\n').filter((l) => l.endsWith(MODEL)).length, 0);
    assert.strictEqual(sha256(path.join(d, MODEL)), sha256(THEIRS));
    assertPointer(d, `:${MODEL}`, sha256(THEIRS), fs.statSync(THEIRS).size);

    // finish as a user would: the text file by git, then the commit with the message git prepared
    t.git(d, 'checkout', '--ours', '--', 'notes.txt');
    t.git(d, 'add', 'notes.txt');
    assert.strictEqual(unmerged(d), '');
    t.git(d, 'commit', '-q', '--no-edit');
    const msg = t.git(d, 'log', '-1', '--format=%B');
    assert.match(msg, /^Merge branch 'exp'/);
    assert.deepStrictEqual(parseResolutions(msg), [{ choice: 'theirs', commit: rev(d, 'exp'), path: MODEL }]);
    // git's own trailer parser finds it in the final block
    const trailers = execFileSync('git', ['interpret-trailers', '--parse'], { input: msg, encoding: 'utf8' });
    assert.strictEqual(trailers.trim(), `Model-Resolved: theirs ${rev(d, 'exp')} ${MODEL}`);
    assertPointer(d, `HEAD:${MODEL}`, sha256(THEIRS), fs.statSync(THEIRS).size);
    assert.strictEqual(t.git(d, 'status', '--porcelain'), '');

    const none = await cli(['resolve', '-C', d, MODEL, '--ours']);
    assert.strictEqual(none.code, 1);
    assert.match(none.err, /models\/m\.onnx has no merge conflict \(no path is unmerged\)/);
  });

  it('the trailer: the Conflicts comment block dropped, a second choice for a path replaces the first, other paths kept', () => {
    const msg = "Merge branch 'exp'\n\n# Conflicts:\n#\tmodels/m.onnx\n#\tother model.onnx\n";
    const one = recordResolution(msg, { choice: 'ours', commit: 'a'.repeat(40), path: MODEL });
    assert.strictEqual(one, `Merge branch 'exp'\n\nModel-Resolved: ours ${'a'.repeat(40)} ${MODEL}\n`);
    const two = recordResolution(one, { choice: 'theirs', commit: 'b'.repeat(40), path: 'other model.onnx' });
    const three = recordResolution(two, { choice: 'v3', commit: 'c'.repeat(40), path: MODEL });
    assert.strictEqual(three, `Merge branch 'exp'\n\nModel-Resolved: theirs ${'b'.repeat(40)} other model.onnx\nModel-Resolved: v3 ${'c'.repeat(40)} ${MODEL}\n`);
    // git reads both as trailers of the final block
    const parsed = execFileSync('git', ['interpret-trailers', '--parse'], { input: three, encoding: 'utf8' }).trim().split('\n');
    assert.deepStrictEqual(parsed, [`Model-Resolved: theirs ${'b'.repeat(40)} other model.onnx`, `Model-Resolved: v3 ${'c'.repeat(40)} ${MODEL}`]);
    assert.deepStrictEqual(parseResolutions(three).map((r) => [r.choice, r.path]), [['theirs', 'other model.onnx'], ['v3', MODEL]]);
  });

  it('cherry-pick in a linked worktree: --version takes another version and `cherry-pick --continue` records it', async () => {
    const d = diverged('pick');
    const wt = path.join(t.dir, 'pick-wt');
    t.git(d, 'worktree', 'add', '-q', '-b', 'side', wt, 'main');
    assert.notStrictEqual(gitStatus(wt, {}, 'cherry-pick', 'exp'), 0);
    const repo = await ModelRepository.open(wt, { env: t.env });
    const state = await conflictState(repo);
    assert.strictEqual(state.operation, 'cherry-pick');
    assert.strictEqual(state.messageFile, path.join(d, '.git', 'worktrees', 'pick-wt', 'MERGE_MSG'));
    assert.strictEqual(state.commits.base, rev(d, 'main~1'));
    t.git(wt, 'checkout', '--theirs', '--', 'notes.txt');
    t.git(wt, 'add', 'notes.txt');

    const r = await cli(['resolve', '-C', wt, MODEL, '--version', 'v1', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.strictEqual(j.choice, 'version');
    assert.strictEqual(j.version, 1);
    assert.strictEqual(j.commit, rev(d, 'main~1'));
    assert.strictEqual(j.sha256, sha256(BASE));
    assert.deepStrictEqual(j.remaining, []);
    assert.strictEqual(unmerged(wt), '');
    assert.strictEqual(sha256(path.join(wt, MODEL)), sha256(BASE));
    assertPointer(wt, `:${MODEL}`, sha256(BASE), fs.statSync(BASE).size);

    assert.strictEqual(gitStatus(wt, { GIT_EDITOR: 'true' }, 'cherry-pick', '--continue'), 0);
    const msg = t.git(wt, 'log', '-1', '--format=%B');
    assert.match(msg, /^exp: retrain\n\nTrained on the new data\.\n\nModel-Resolved: v1 [0-9a-f]{40} models\/m\.onnx\n*$/);
    assert.deepStrictEqual(parseResolutions(msg), [{ choice: 'v1', commit: rev(d, 'main~1'), path: MODEL }]);
    assertPointer(wt, `HEAD:${MODEL}`, sha256(BASE), fs.statSync(BASE).size);
    assert.strictEqual(fs.existsSync(path.join(d, 'models', 'm.onnx')) && sha256(path.join(d, MODEL)), sha256(OURS), 'the main worktree is untouched');
  });

  it('rebase: ours is the upstream, theirs the replayed commit; --theirs then `rebase --continue` keeps the trailer', async () => {
    const d = diverged('rebase');
    const replayed = rev(d, 'exp');
    t.git(d, 'checkout', '-q', 'exp');
    assert.notStrictEqual(gitStatus(d, {}, 'rebase', 'main'), 0);
    const state = await conflictState(await ModelRepository.open(d, { env: t.env }));
    assert.strictEqual(state.operation, 'rebase');
    assert.strictEqual(state.commits.ours, rev(d, 'main'));
    assert.strictEqual(state.commits.theirs, replayed);
    assert.strictEqual(state.labels.theirs, `${replayed.slice(0, 7)} (exp: retrain)`);
    assert.strictEqual(state.messageFile, path.join(d, '.git', 'rebase-merge', 'message'));
    assert.strictEqual(state.files.find((f) => f.path === MODEL)?.ours?.oid, sha256(OURS), "during a rebase, ours is the upstream's content");

    const r = await cli(['resolve', '-C', d, MODEL, '--theirs']);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(sha256(path.join(d, MODEL)), sha256(THEIRS));
    t.git(d, 'checkout', '--theirs', '--', 'notes.txt');
    t.git(d, 'add', 'notes.txt');
    assert.strictEqual(unmerged(d), '');
    assertPointer(d, `:${MODEL}`, sha256(THEIRS), fs.statSync(THEIRS).size);
    assert.strictEqual(gitStatus(d, { GIT_EDITOR: 'true' }, 'rebase', '--continue'), 0);
    assert.strictEqual(t.git(d, 'symbolic-ref', '--short', 'HEAD').trim(), 'exp', 'the rebase finished');
    assert.strictEqual(rev(d, 'exp~1'), rev(d, 'main'));
    const msg = t.git(d, 'log', '-1', '--format=%B');
    assert.deepStrictEqual(parseResolutions(msg), [{ choice: 'theirs', commit: replayed, path: MODEL }]);
    assertPointer(d, `HEAD:${MODEL}`, sha256(THEIRS), fs.statSync(THEIRS).size);
  });
});
