/**
 * Activation cost (issue #12): loading the extension bundle must not load the heavy modules that only
 * some commands need — the evaluation host's transports (ws, vscode-jsonrpc), YAML (js-yaml), git
 * push/fetch (simple-git), the runtimes (onnxruntime-node, h5wasm). They load when first used.
 *
 * The bundle is built here with the options of esbuild.js, which keep the first four in files of their
 * own (dist/vendor/<name>.js) and the runtimes external: each of them is then a real `require` that a
 * hook sees (test/support/requireStubbed.ts), in a fresh process with `vscode` stubbed. A top-level
 * import of any of them anywhere the extension reaches fails this test by name.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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
};

interface BuildOptions {
  entryPoints: Record<string, string>;
  [k: string]: unknown;
}

describe('activation: the extension bundle loads no heavy module at the top level', function () {
  this.timeout(120000);
  let dir: string;
  let bundle: string;

  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require(path.join(REPO_ROOT, 'node_modules', 'esbuild')) as { build(o: object): Promise<unknown> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { builds } = require(path.join(REPO_ROOT, 'esbuild.js')) as { builds: BuildOptions[] };
    const ext = builds.find((b) => b.entryPoints.extension);
    const vendor = builds.find((b) => Object.keys(b.entryPoints).some((k) => k.startsWith('vendor/')));
    assert.ok(ext && vendor, 'esbuild.js has the `extension` build and the vendor build');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-activation-'));
    bundle = path.join(dir, 'extension.js');
    for (const b of [ext, vendor]) await esbuild.build({ ...b, outdir: dir, sourcemap: false, absWorkingDir: REPO_ROOT, logLevel: 'silent' });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the bundle asks for the deferred modules it uses by name (so the check below can see them; onnxruntime-node is used by the host only)', () => {
    const text = fs.readFileSync(bundle, 'utf8');
    for (const name of Object.keys(DEFERRED).filter((n) => n.startsWith('./vendor/')).concat('h5wasm/node')) {
      assert.ok(text.includes(`require("${name}")`) || text.includes(`import("${name}")`), `the bundle never asks for ${name}`);
    }
    assert.doesNotMatch(text, /node_modules\/(ws|vscode-jsonrpc|js-yaml|simple-git)\//, 'none of them is bundled into extension.js');
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
    const out = execFileSync(process.execPath, [path.resolve(__dirname, '..', 'support', 'requireStubbed.js'), bundle, '--report'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') }, // the externals, from a bundle outside the repository
      encoding: 'utf8',
    });
    const { loaded } = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; loaded: string[] };
    assert.ok(loaded.includes('vscode') && loaded.includes('fs'), `the hook saw the bundle's requires: ${loaded.join(' ')}`);
    const early = [...new Set(loaded.filter((m) => m in DEFERRED))];
    assert.deepStrictEqual(
      early.map((m) => DEFERRED[m]),
      [],
      `loaded at activation, though only some commands need them: load them where they are used`,
    );
  });
});
