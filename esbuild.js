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
    entryPoints: { extension: 'src/extension/extension.ts', kerasWorker: 'src/core/formats/kerasWorker.ts', evalHost: 'src/evalHost/main.ts', demo: 'src/demo/main.ts' },
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

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
