/**
 * Activation cost (issue #12): loading the extension bundle must not load the heavy modules that only
 * some commands need — the evaluation host's transports (ws, vscode-jsonrpc), YAML (js-yaml), git
 * push/fetch (simple-git), the runtimes (onnxruntime-node, h5wasm) — nor the code of the commands
 * themselves (src/extension/features.ts: the model readers, diff, evaluation, metrics, lineage). They
 * load when first used.
 *
 * The bundle is built here with the options of esbuild.js, which keep the first four in files of their
 * own (dist/vendor/<name>.js) and the runtimes external: each of them is then a real `require` that a
 * hook sees (test/support/requireStubbed.ts), in a fresh process with `vscode` stubbed. A top-level
 * import of any of them anywhere the extension reaches fails this test by name. The extension's own
 * code is split (esbuild.js commonjsChunks) into extension.js and dist/extension-*.js files that
 * Node requires when they are needed; the build's metafile says which sources each file holds, so the
 * files the process loaded say which sources activation loaded: a static import of command code from
 * what activate() needs fails the test with the modules' names.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { COMMAND, COMMAND_IDS } from '../../src/extension/commands/ids';
import { REPO_ROOT } from '../support/paths';

/** Loaded only when used: what each one is for. */
const DEFERRED: Record<string, string> = {
  './vendor/ws.js': 'ws: remote evaluation host',
  './vendor/vscode-jsonrpc.js': 'vscode-jsonrpc: evaluation host',
  './vendor/js-yaml.js': 'js-yaml: YAML training parameters',
  './vendor/simple-git.js': 'simple-git: push / fetch',
  'onnxruntime-node': 'onnxruntime-node: evaluation (host process only)',
  h5wasm: 'h5wasm: Keras .h5 reading',
  'h5wasm/node': 'h5wasm: Keras .h5 reading',
  // Node built-ins that cost milliseconds in a fresh process, used only inside functions (src/core/util/lazyNode.ts)
  crypto: 'node:crypto (~6 ms: loads node:stream and the ciphers): use nodeCrypto() from src/core/util/lazyNode.ts',
  'node:crypto': 'node:crypto: use nodeCrypto() from src/core/util/lazyNode.ts',
  child_process: 'node:child_process (~3 ms: loads node:net): use childProcess() from src/core/util/lazyNode.ts',
  'node:child_process': 'node:child_process: use childProcess() from src/core/util/lazyNode.ts',
};

/**
 * Sources that only commands need, and must not load at activation: what each is (a path ending in /
 * is a folder). Activation loads the tree (src/core/repo), the Version Details view, the model viewer's
 * panel and the registrations.
 */
const COMMAND_CODE: Record<string, string> = {
  'src/extension/commands/modelCommands.ts': 'the commit / tag / alias / restore / push commands',
  'src/extension/diff/': 'Compare Models (diff panel)',
  'src/extension/evaluate/': 'evaluation commands and the comparison panel',
  'src/extension/lineage/': 'Show Lineage',
  'src/extension/history/': 'Show Metric History',
  'src/core/diff/': 'the model diff',
  'src/core/metrics/': 'the metrics and their tests',
  'src/core/lineage/graph.ts': 'the lineage graph',
  'src/core/lineage/params.ts': 'training parameters',
  'src/core/formats/index.ts': 'the model readers',
  'src/core/formats/onnx.ts': 'the ONNX reader',
  'src/core/formats/keras.ts': 'the Keras reader',
  'src/core/formats/kerasHdf5.ts': 'the Keras HDF5 reader',
  'src/core/formats/tflite.ts': 'the TFLite reader',
  'src/core/formats/tflite/': 'the TFLite schema code (flatc)',
  'src/core/eval/': 'evaluation (datasets, client, runs)',
};
/** Light modules of those folders that activation needs: the error classes the error policy tells apart. */
const ACTIVATION_NEEDS = new Set(['src/core/eval/errors.ts', 'src/core/eval/datasetErrors.ts']);

interface BuildOptions {
  entryPoints: Record<string, string>;
  [k: string]: unknown;
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/** node requireStubbed.js <file> --report, with the externals found from outside the repository */
function requireStubbed(file: string): { ms: number; loaded: string[] } {
  const out = execFileSync(process.execPath, [path.resolve(__dirname, '..', 'support', 'requireStubbed.js'), file, '--report'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { ms: number; loaded: string[] };
}

describe('activation: the extension bundle loads no heavy module and no command code at the top level', function () {
  this.timeout(120000);
  let dir: string;
  let bundle: string;
  /** the extension's files (extension.js, extension-*.js) → the sources each holds */
  const sourcesOf = new Map<string, string[]>();

  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require(path.join(REPO_ROOT, 'node_modules', 'esbuild')) as { build(o: object): Promise<{ metafile?: Metafile }> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { builds } = require(path.join(REPO_ROOT, 'esbuild.js')) as { builds: BuildOptions[] };
    const ext = builds.find((b) => b.entryPoints.extension);
    const vendor = builds.find((b) => Object.keys(b.entryPoints).some((k) => k.startsWith('vendor/')));
    assert.ok(ext && vendor, 'esbuild.js has the `extension` build and the vendor build');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-activation-'));
    bundle = path.join(dir, 'extension.js');
    for (const b of [ext, vendor]) {
      const r = await esbuild.build({ ...b, outdir: dir, sourcemap: false, metafile: true, absWorkingDir: REPO_ROOT, logLevel: 'silent' });
      if (b !== ext) continue;
      for (const [file, o] of Object.entries(r.metafile!.outputs)) {
        if (file.endsWith('.js')) sourcesOf.set(path.basename(file), Object.keys(o.inputs));
      }
    }
    assert.ok(sourcesOf.has('extension.js'), `the build's metafile names extension.js (${[...sourcesOf.keys()].join(' ')})`);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** the extension's own files in the build */
  const files = () => fs.readdirSync(dir).filter((f) => /^extension(-.+)?\.js$/.test(f));

  it('the bundle asks for the deferred modules it uses by name (so the check below can see them; onnxruntime-node is used by the host only)', () => {
    const text = files()
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    for (const name of Object.keys(DEFERRED).filter((n) => n.startsWith('./vendor/')).concat('h5wasm/node')) {
      // require("x"), or __require("x") / (0, chunk.__require)("x") of the ESM build's require shim (esbuild.js commonjsChunks)
      assert.ok(text.includes(`require("${name}")`) || text.includes(`require)("${name}")`) || text.includes(`import("${name}")`), `the bundle never asks for ${name}`);
    }
    assert.doesNotMatch(text, /node_modules\/(ws|vscode-jsonrpc|js-yaml|simple-git)\//, 'none of them is bundled into the extension');
  });

  it('a namespace import of a Node built-in or of vscode is a plain require, not a copy of the module per import (esbuild.js plainRequire)', () => {
    const copies = files().flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/__toESM\(require\("([^"]+)"\)/g)].map((m) => `${f}: ${m[1]}`));
    assert.deepStrictEqual(copies, [], 'each __toESM(require(…)) copies every export of the module into an object of getters when the file loads');
  });

  it('the vendor files hold their packages', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = (name: string) => require(path.join(dir, 'vendor', `${name}.js`));
    assert.strictEqual(typeof load('ws'), 'function');
    assert.strictEqual(typeof load('ws').Server, 'function');
    assert.strictEqual(typeof load('vscode-jsonrpc').createMessageConnection, 'function');
    assert.strictEqual(typeof load('vscode-jsonrpc').AbstractMessageReader, 'function');
    assert.deepStrictEqual(load('js-yaml').load('a: [1, 2]', { schema: load('js-yaml').CORE_SCHEMA }), { a: [1, 2] });
    assert.strictEqual(typeof load('simple-git').simpleGit, 'function');
    assert.strictEqual(typeof load('simple-git').GitError, 'function');
  });

  it('requiring the bundle (vscode stubbed) loads none of them', () => {
    const { loaded } = requireStubbed(bundle);
    assert.ok(loaded.includes('vscode') && loaded.includes('fs'), `the hook saw the bundle's requires: ${loaded.join(' ')}`);
    const early = [...new Set(loaded.filter((m) => m in DEFERRED))];
    assert.deepStrictEqual(
      early.map((m) => DEFERRED[m]),
      [],
      `loaded at activation, though only some commands need them: load them where they are used`,
    );
  });

  it('requiring the bundle (vscode stubbed) loads none of the commands\' code: it comes in files of its own, loaded on first use', () => {
    const { loaded } = requireStubbed(bundle);
    const files = ['extension.js', ...new Set(loaded.filter((m) => /^\.\/extension-.+\.js$/.test(m)).map((m) => m.slice(2)))];
    const sources = files.flatMap((f) => {
      assert.ok(sourcesOf.has(f), `${f} is one of the build's files`);
      return sourcesOf.get(f)!;
    });
    assert.ok(sources.includes('src/extension/extension.ts') && sources.includes('src/core/repo/repository.ts'), `activation loads the extension and the repository code (${sources.length} modules)`);
    const early = sources.filter((s) => !ACTIVATION_NEEDS.has(s) && Object.keys(COMMAND_CODE).some((c) => (c.endsWith('/') ? s.startsWith(c) : s === c)));
    assert.deepStrictEqual(
      early,
      [],
      `command code loaded at activation (${[...new Set(early.map((s) => COMMAND_CODE[Object.keys(COMMAND_CODE).find((c) => s === c || (c.endsWith('/') && s.startsWith(c)))!]))].join('; ')}): ` +
        'load it from the command (src/extension/features.ts) or where it is used, with import()',
    );
    const lazy = [...sourcesOf.keys()].filter((f) => !files.includes(f));
    for (const feature of ['src/extension/diff/diffPanel.ts', 'src/extension/evaluate/evaluateCommands.ts', 'src/extension/lineage/lineagePanel.ts', 'src/extension/history/historyPanel.ts', 'src/extension/commands/modelCommands.ts']) {
      assert.ok(lazy.some((f) => sourcesOf.get(f)!.includes(feature)), `${feature} is in a file loaded on first use`);
    }
  });

  it('activate() registers every command; a command\'s code loads when one of its commands first runs (vscode stubbed)', () => {
    const out = execFileSync(
      process.execPath,
      [
        path.resolve(__dirname, '..', 'support', 'activateStubbed.js'),
        bundle,
        ...[COMMAND.compareWith, '[]', COMMAND.exportComparison, '["md","clipboard"]', COMMAND.showLfsHelp, '[]'],
      ],
      { cwd: REPO_ROOT, env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') }, encoding: 'utf8' },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as { registered: string[]; afterActivation: string[]; commands: { id: string; returned: string; files: string[] }[]; messages: string[]; errors: unknown[] };
    assert.deepStrictEqual([...r.registered].sort(), [...COMMAND_IDS].sort(), 'every command is registered at activation (the menus and the Command Palette have them)');
    /** the file that holds `source` (not extension.js: that one activation loads) */
    const fileOf = (source: string) => {
      const f = [...sourcesOf].find(([, s]) => s.includes(source))?.[0];
      assert.ok(f && f !== 'extension.js', `${source} is in a file of its own, not in extension.js (${f})`);
      return f;
    };
    const diff = fileOf('src/extension/diff/diffPanel.ts');
    const evaluate = fileOf('src/extension/evaluate/evaluateCommands.ts');
    const models = fileOf('src/extension/commands/modelCommands.ts');
    assert.deepStrictEqual([diff, evaluate, models].filter((f) => r.afterActivation.includes(f)), [], 'no feature file is loaded by activate()');
    const [compare, exportIt, lfsHelp] = r.commands;
    assert.ok(compare.files.includes(diff) && !compare.files.includes(evaluate) && !compare.files.includes(models), `Compare with… loads the diff feature only (${compare.files.join(' ')})`);
    assert.ok(exportIt.files.includes(evaluate) && !exportIt.files.includes(models), `Export Comparison loads the evaluation feature (${exportIt.files.join(' ')})`);
    assert.ok(lfsHelp.files.includes(models), `How to Install Git LFS loads the model commands (${lfsHelp.files.join(' ')})`);
    // and they ran: each said what it says without its arguments
    assert.strictEqual(r.messages.length, 3, r.messages.join(' | '));
    assert.match(r.messages[0], /right-click a version in the Model Versions view, then "Compare with…"/);
    assert.match(r.messages[1], /no comparison to export/);
    assert.match(r.messages[2], /Git LFS is needed/);
    assert.deepStrictEqual(r.errors, []);
  });

  it('every file of the extension loads (vscode stubbed), with the files it needs', () => {
    // (the evaluation commands' file loads vscode-jsonrpc with it: ESM output hoists the imports of the
    // modules a file holds, and it holds src/core/eval/transport.ts; every evaluation needs it anyway)
    for (const f of files()) {
      const { ms } = requireStubbed(path.join(dir, f)); // throws with the process's stderr when the file fails to load
      assert.ok(ms >= 0, `${f} loaded`);
    }
  });
});
