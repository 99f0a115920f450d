import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../support/paths';

/** What `vsce package` would put in the .vsix (the same .vscodeignore rules, without zipping). */
function packagedFiles(): string[] {
  const vsce = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');
  return execFileSync(vsce, ['ls'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('extension package (.vsix contents and manifest)', function () {
  this.timeout(120000);
  let files: string[];
  before(function () {
    if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    files = packagedFiles();
  });

  it('ships the bundles, the webview assets and the manifest', () => {
    for (const f of ['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/kerasWorker.js', 'dist/scanWorker.js', 'dist/evalHost.js', 'dist/evalHostKeras.js', 'dist/lfsCleanFilter.js', 'dist/vendor/ws.js', 'dist/vendor/vscode-jsonrpc.js', 'dist/vendor/js-yaml.js', 'dist/vendor/simple-git.js', 'dist/webview/inspect.js', 'dist/webview/codicon.css', 'media/icon.png', 'LICENSE']) {
      assert.ok(files.includes(f), `${f} should be packaged`);
    }
  });

  it("ships the extension's and the CLI's files loaded on first use (dist/extension-*.js, dist/cli-*.js, esbuild.js commonjsChunks), without their maps", () => {
    for (const prefix of ['extension', 'cli']) {
      const chunks = fs.readdirSync(path.join(REPO_ROOT, 'dist')).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.js'));
      assert.ok(chunks.length >= 5, `${prefix}.js is split into files loaded when needed (found ${chunks.length} in dist/)`);
      for (const f of chunks) assert.ok(files.includes(`dist/${f}`), `dist/${f} should be packaged`);
    }
    assert.deepStrictEqual(files.filter((f) => /^dist\/(extension|cli).*\.map$/.test(f)), []);
  });

  it('ships only the linux-x64 onnxruntime-node binaries and the modules kept external', () => {
    assert.ok(files.includes('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'));
    assert.ok(files.includes('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1'));
    assert.ok(files.some((f) => f.startsWith('node_modules/onnxruntime-common/')));
    assert.ok(files.includes('node_modules/h5wasm/dist/node/hdf5_util.js'));
    // Parquet prediction logs (src/core/production/parquet.ts): ESM only, imported at run time
    for (const f of ['node_modules/hyparquet/src/node.js', 'node_modules/hyparquet-compressors/src/index.js', 'node_modules/fzstd/package.json']) assert.ok(files.includes(f), `${f} should be packaged`);
    const foreign = files.filter((f) => /onnxruntime-node\/bin\/napi-v6\/(darwin|win32|linux\/arm64)\//.test(f));
    assert.deepStrictEqual(foreign, [], 'binaries of other platforms must not be packaged');
  });

  it('leaves out sources, tests and the bundled or install-only modules', () => {
    const bad = files.filter((f) =>
      /^(src|test|bench|scripts|webview-ui|out|\.code-server|\.test-artifacts)\//.test(f) ||
      /^node_modules\/(simple-git|protobufjs|adm-zip|global-agent|semver|@types|typescript|mocha)\//.test(f) ||
      /\.ts$|\.map$/.test(f) ||
      f.startsWith('node_modules/onnxruntime-node/script/'),
    );
    assert.deepStrictEqual(bad, []);
  });

  it("ships every image the README shows, by a relative path that resolves in the installed extension", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    assert.ok(images.length >= 3, `the README shows screenshots (found ${images.length})`);
    for (const img of images) {
      assert.ok(!/^[a-z]+:/i.test(img), `${img}: a relative path, so that no host needs to be reached`);
      assert.ok(files.includes(img.replace(/^\.\//, '')), `${img} must be packaged, or the Extensions view shows a broken image`);
    }
  });

  it('npm run package builds minified bundles without source maps', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.match(pkg.scripts.package, /^node esbuild\.js --production && vsce package /);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-prod-'));
    try {
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'esbuild.js'), '--production', `--outdir=${out}`], { cwd: REPO_ROOT, stdio: 'pipe' });
      // extension.js, its files loaded on first use (extension-*.js) and the packages it loads when first used (esbuild.js lazyVendor)
      const shipped = (dir: string) =>
        [...fs.readdirSync(dir).filter((f) => /^extension(-.+)?\.js$/.test(f)), ...fs.readdirSync(path.join(dir, 'vendor')).filter((f) => f.endsWith('.js')).map((f) => `vendor/${f}`)]
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
          .join('\n');
      const prod = shipped(out);
      const dev = shipped(path.join(REPO_ROOT, 'dist'));
      const lines = prod.split('\n').length;
      assert.ok(lines < dev.split('\n').length / 20, `production extension.js (with vendor/) has ${lines} lines (development: ${dev.split('\n').length})`);
      assert.ok(prod.length < dev.length * 0.6, `production extension.js (with vendor/) is ${prod.length} bytes (development: ${dev.length})`);
      assert.ok(!fs.readdirSync(out).some((f) => f.endsWith('.map')), 'no source map in a production build');
      console.log(`      production extension.js: ${(prod.length / 1024).toFixed(0)} KiB in ${lines} lines (development ${(dev.length / 1024).toFixed(0)} KiB)`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('declares what VS Code needs: engine, activation, trust, the views in their activity-bar container and the Explorer menu', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.strictEqual(pkg.engines.vscode, '^1.100.0');
    assert.ok(pkg.devDependencies['@types/vscode'].includes('1.100'), '@types/vscode must not be newer than engines.vscode');
    assert.ok(pkg.activationEvents.length > 0 && !pkg.activationEvents.includes('*'), 'activation must be narrow');
    assert.ok(pkg.capabilities.untrustedWorkspaces.supported === 'limited');
    assert.deepStrictEqual(pkg.contributes.viewsContainers.activitybar.map((c: { id: string }) => c.id), ['modelVersions']);
    assert.deepStrictEqual(pkg.contributes.views.modelVersions.map((v: { id: string }) => v.id), ['modelVersions.models', 'modelVersions.details']);
    const menu = pkg.contributes.menus['explorer/context'].find((m: { command: string }) => m.command === 'modelVersions.inspectModel');
    assert.ok(menu && /onnx/.test(menu.when) && /h5/.test(menu.when));
    assert.strictEqual(pkg.allowScripts['onnxruntime-node'], false, "onnxruntime-node's CUDA download must stay off");
  });
});
