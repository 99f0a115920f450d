/**
 * One byte formatter (core/formats/describe formatBytes): the CLI's commit, show and log lines, the
 * diff's text and Markdown and the extension's Version Details print the same size for one file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { diffModels, renderMarkdown, renderText } from '../../src/core/diff';
import { formatBytes } from '../../src/core/formats/describe';
import { ModelRepository } from '../../src/core/repo';
import { versionRecord } from '../../src/extension/details/viewModel';
import { KERAS_VERSIONS, TempSpace, put } from './repoTestUtil';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('one size text for one file (CLI, diff, Version Details)', function () {
  this.timeout(120000);
  let t: TempSpace;
  let restoreEnv: () => void;
  before(() => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
  });
  after(() => {
    restoreEnv();
    t.cleanup();
  });

  it('commit, show, log, diff and the details view model agree (35.6 KiB, where the CLI once said 36 KiB)', async () => {
    const dir = t.repo();
    const rel = 'models/my_nn.h5';
    const a = KERAS_VERSIONS[0];
    const b = KERAS_VERSIONS[1];
    const size = fs.statSync(a).size;
    assert.strictEqual(size, 36424, 'the fixture this test was written for');
    const expected = formatBytes(size);
    assert.strictEqual(expected, '35.6 KiB');

    put(dir, rel, a);
    const commit = await cli(['commit', '-C', dir, rel, '-m', 'first']);
    assert.strictEqual(commit.code, 0, commit.err);
    const committed = /, ([\d.]+ (?:B|KiB|MiB|GiB))$/m.exec(commit.out)?.[1];
    assert.strictEqual(committed, expected, commit.out);

    const out = path.join(t.dir, 'v1.h5');
    const show = await cli(['show', '-C', dir, `${rel}@v1`, '--out', out]);
    assert.strictEqual(show.code, 0, show.err);
    assert.match(show.err, new RegExp(`\\(\\w{7}, ${expected.replace('.', '\\.')}, sha256 `), show.err);

    const log = await cli(['log', '-C', dir, rel]);
    assert.strictEqual(log.code, 0, log.err);
    assert.match(log.out, new RegExp(`\\s${expected.replace('.', '\\.')}\\s`), log.out);

    const repo = await ModelRepository.open(dir, { env: t.env });
    const [v1] = await repo.versions(rel);
    assert.strictEqual(versionRecord(v1, { latest: true }).size, expected);

    const d = await diffModels(a, b);
    for (const text of [renderText(d), renderMarkdown(d)]) {
      assert.ok(text.includes(expected), `the diff says ${expected} for the older file:\n${text.slice(0, 600)}`);
      assert.ok(text.includes(formatBytes(fs.statSync(b).size)));
    }
  });
});
