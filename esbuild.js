// Builds the extension host bundle, the `modelver` CLI and the webview bundles.
// Usage: node esbuild.js [--watch] [--production] [--outdir=DIR]
//   --production: minified, no source maps (what `npm run package` ships); names kept for error classes.
//   --outdir: where the bundles go (default dist/; tests build a production copy elsewhere).
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outArg = process.argv.find((a) => a.startsWith('--outdir='));
const DIST = outArg ? path.resolve(outArg.slice('--outdir='.length)) : path.join(__dirname, 'dist');

/** Native or ESM-only modules that must be loaded from node_modules at run time. */
const nodeExternals = ['vscode', 'onnxruntime-node', 'h5wasm', 'h5wasm/node', 'bufferutil', 'utf-8-validate'];

/**
 * Packages the extension needs only for some commands (the evaluation host's transports, YAML
 * parameters, push / fetch): built into dist/vendor/<name>.js, each on its own, and required from there
 * when first used (src/core/eval/client.ts, src/core/lineage/params.ts, src/core/repo/network.ts). Kept
 * out of extension.js, VS Code neither compiles nor runs them when it activates the extension (issue #12;
 * test/unit/activation.test.ts). The specifiers the sources use → the vendor file.
 */
const lazyVendor = { ws: 'ws', 'vscode-jsonrpc': 'vscode-jsonrpc', 'vscode-jsonrpc/node': 'vscode-jsonrpc', 'js-yaml': 'js-yaml', 'simple-git': 'simple-git' };
/** What each vendor file bundles: the package's CommonJS entry (`vscode-jsonrpc/node` holds all of vscode-jsonrpc). */
const vendorEntries = { ws: 'ws', 'vscode-jsonrpc': 'vscode-jsonrpc/node', 'js-yaml': 'js-yaml', 'simple-git': 'simple-git' };

/** @type {import('esbuild').Plugin} */
const lazyVendorPlugin = {
  name: 'lazy-vendor',
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(lazyVendor).map((k) => k.replace(/[/-]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: `./vendor/${lazyVendor[args.path]}.js`, external: true }));
  },
};

/**
 * `import source from './x?worker-source'` (webview-ui): ./x.ts bundled on its own for a Web Worker and
 * given as its text, which the page starts from a Blob (webview-ui/lineage/layouter.ts); the page's
 * script stays one inline script. Rebuilt in watch mode when the worker's sources change.
 * @type {import('esbuild').Plugin}
 */
const workerSourcePlugin = {
  name: 'worker-source',
  setup(build) {
    build.onResolve({ filter: /\?worker-source$/ }, (args) => ({
      path: path.resolve(args.resolveDir, `${args.path.slice(0, -'?worker-source'.length)}.ts`),
      namespace: 'worker-source',
    }));
    build.onLoad({ filter: /.*/, namespace: 'worker-source' }, async (args) => {
      const r = await esbuild.build({
        entryPoints: [args.path],
        bundle: true,
        write: false,
        metafile: true,
        format: 'iife',
        platform: 'browser',
        target: 'es2022',
        minify: production,
        logLevel: 'silent',
      });
      return { contents: r.outputFiles[0].text, loader: 'text', watchFiles: Object.keys(r.metafile.inputs).map((f) => path.resolve(f)) };
    });
  },
};

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  keepNames: production,
  logLevel: 'info',
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: DIST,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    plugins: [lazyVendorPlugin],
  },
  {
    ...common,
    entryPoints: Object.fromEntries(Object.entries(vendorEntries).map(([file, pkg]) => [`vendor/${file}`, require.resolve(pkg)])),
    outdir: DIST,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
  {
    ...common,
    entryPoints: { kerasWorker: 'src/core/formats/kerasWorker.ts', lfsCleanFilter: 'src/core/repo/lfsCleanFilter.ts', evalHost: 'src/evalHost/main.ts', evalHostKeras: 'src/evalHost/keras/runner.ts', demo: 'src/demo/main.ts' },
    outdir: DIST,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/bin.ts' },
    outdir: DIST,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    plugins: [lazyVendorPlugin], // the CLI loads ws / jsonrpc / yaml / simple-git only for the commands that use them
    banner: { js: '#!/usr/bin/env node' },
    define: { __MODELVER_VERSION__: JSON.stringify(require('./package.json').version) },
  },
  {
    ...common,
    entryPoints: { inspect: 'webview-ui/inspect/main.ts', diff: 'webview-ui/diff/main.ts', details: 'webview-ui/details/main.ts', compare: 'webview-ui/compare/main.ts', lineage: 'webview-ui/lineage/main.ts', history: 'webview-ui/history/main.ts' },
    outdir: path.join(DIST, 'webview'),
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    plugins: [workerSourcePlugin],
  },
];

/** Static assets the webviews load (codicons font and css). */
function copyAssets() {
  const out = path.join(DIST, 'webview');
  fs.mkdirSync(out, { recursive: true });
  const codicons = path.join(__dirname, 'node_modules', '@vscode', 'codicons', 'dist');
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(codicons, f), path.join(out, f));
  for (const f of fs.readdirSync(path.join(__dirname, 'webview-ui', 'styles'))) {
    fs.copyFileSync(path.join(__dirname, 'webview-ui', 'styles', f), path.join(out, f));
  }
}

async function main() {
  copyAssets();
  if (watch) {
    const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
    console.log('watching…');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  fs.chmodSync(path.join(DIST, 'cli.js'), 0o755);
}

/** The build options, for tests that build a bundle their own way (test/unit/activation.test.ts). */
module.exports = { builds, nodeExternals, lazyVendor };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
