/**
 * What `modelver` loads (issue #12: a small diff or commit is bound by the CLI's start-up): each
 * command's module is loaded when that command runs, so `modelver diff A B` of two files loads neither
 * the evaluation, the lineage nor the repository layer, and `modelver --version` loads no command.
 * Each case runs the CLI (src/cli/main, as compiled for the tests) in a fresh Node process and lists
 * the project's modules in its require cache; dist/cli.js keeps the same laziness (esbuild.js splits it:
 * each `import()` becomes a dist/cli-*.js file that Node reads and compiles when the command first needs it).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { SILERO } from './repoTestUtil';

const SRC = path.resolve(__dirname, '..', '..', 'src');

/** The src/ modules (relative, '/'-separated) that a fresh process has loaded after `modelver <args>`, and its exit code. */
function loadedBy(args: string[]): { code: number; modules: string[] } {
  const script = `
    const path = require('path');
    const { runCli } = require(path.join(process.argv[1], 'cli', 'main.js'));
    runCli(JSON.parse(process.argv[2]), { out: () => {}, err: (s) => process.stderr.write(s) }).then((code) => {
      const mods = Object.keys(require.cache).filter((f) => f.startsWith(process.argv[1] + path.sep)).map((f) => path.relative(process.argv[1], f).split(path.sep).join('/'));
      process.stdout.write(JSON.stringify({ code, modules: mods.sort() }));
    });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, SRC, JSON.stringify(args)], { encoding: 'utf8' })) as { code: number; modules: string[] };
}

describe('modelver loads only the command it runs', function () {
  this.timeout(60000);

  it('`modelver diff A B` of two files loads the diff and the model readers, not the repository, evaluation or lineage code', () => {
    const { code, modules } = loadedBy(['diff', SILERO[1], SILERO[2]]);
    assert.strictEqual(code, 1, 'the two models differ');
    assert.ok(modules.includes('cli/commands/diff.js') && modules.includes('core/diff/index.js') && modules.includes('core/formats/onnx.js'), modules.join('\n'));
    const heavy = modules.filter((m) => /^(core\/(eval|lineage|metrics)\/|core\/repo\/(repository|history|versions|network)\.js$|cli\/commands\/(?!diff\.js))/.test(m));
    assert.deepStrictEqual(heavy, [], `loaded for a diff of two files:\n${heavy.join('\n')}`);
  });

  it('`modelver --version` loads no command', () => {
    const { code, modules } = loadedBy(['--version']);
    assert.strictEqual(code, 0);
    assert.deepStrictEqual(
      modules.filter((m) => m.startsWith('cli/commands/') || m.startsWith('core/repo/') || m.startsWith('core/diff/')),
      [],
      modules.join('\n'),
    );
  });

  it('the help still lists every command', () => {
    const script = `
      const path = require('path');
      const { runCli } = require(path.join(process.argv[1], 'cli', 'main.js'));
      let out = '';
      runCli([], { out: (s) => (out += s), err: () => {} }).then((code) => process.stdout.write(JSON.stringify({ code, out })));`;
    const r = JSON.parse(execFileSync(process.execPath, ['-e', script, SRC], { encoding: 'utf8' })) as { code: number; out: string };
    assert.strictEqual(r.code, 2);
    for (const name of ['inspect', 'eval-host', 'log', 'commit', 'tag', 'alias', 'restore', 'show', 'push', 'fetch', 'diff', 'evaluate', 'compare', 'lineage', 'cv', 'find', 'card', 'export', 'resolve', 'promote', 'abtest', 'monitor']) {
      assert.match(r.out, new RegExp(`^  ${name} +\\S`, 'm'), `the help lists ${name}`);
    }
    assert.match(r.out, /evaluate +.*\(also: eval\)/);
  });
});
