// Builds the extension host bundle, the `modelver` CLI and the webview bundles.
// Usage: node esbuild.js [--watch] [--production] [--outdir=DIR]
//   --production: minified, no source maps (what `npm run package` ships); names kept for error classes.
//   --outdir: where the bundles go (default dist/; tests build a production copy elsewhere).
const esbuild = require('esbuild');
const fs = require('fs');
const os = require('os');
const path = require('path');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outArg = process.argv.find((a) => a.startsWith('--outdir='));
const DIST = outArg ? path.resolve(outArg.slice('--outdir='.length)) : path.join(__dirname, 'dist');

/** Native or ESM-only modules that must be loaded from node_modules at run time (hyparquet: src/core/production/parquet.ts). */
const nodeExternals = ['vscode', 'onnxruntime-node', 'h5wasm', 'h5wasm/node', 'hyparquet', 'hyparquet-compressors', 'bufferutil', 'utf-8-validate'];

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

/**
 * The extension host bundle, split (issue #12): activating the extension loads only what activate()
 * needs, and each `import()` in the sources (src/extension/features.ts, the model readers and the diff
 * behind the tree and the details view) becomes a file of its own, dist/extension-<name>-<hash>.js,
 * loaded on first use; code that two of them share is in a dist/extension-chunk-<hash>.js of its own,
 * so every module exists once. esbuild splits code only for ESM output and VS Code requires the
 * extension as CommonJS: the build writes ESM files to a staging folder and this plugin converts each
 * to CommonJS into the real outdir (a second esbuild pass, which keeps the source maps to the
 * TypeScript sources), a chunk's `import("./x.js")` becoming `Promise.resolve().then(() => require("./x.js"))`
 * (other dynamic imports, e.g. `import("h5wasm/node")` of an ESM-only package, are left as they are).
 * The chunks stay in the outdir itself, beside extension.js, so that `__dirname` in any of them is
 * still dist/ (src/core/formats/keras.ts finds kerasWorker.js there) and a `require("./vendor/x.js")`
 * resolves alike from any of them (the ESM output's require shim uses the require of the chunk it is in). Static imports between chunks
 * must not form a cycle (a CommonJS chunk could see another half loaded): the build fails if they do.
 * A namespace import of a Node built-in or of `vscode` (`import * as fs from "fs"`) becomes a plain
 * `const fs = require("fs")` rather than esbuild's `__toESM(require("fs"))`, which copies every export of
 * the module into a new object of getters, once per import: about 50 copies (fs, path, vscode …) that cost
 * 3–4 ms at activation (issue #12). Neither kind of module has a `default` export to emulate (an import
 * that reads `.default` keeps esbuild's form).
 * @type {import('esbuild').Plugin}
 */
const commonjsChunks = (prefix) => ({
  name: `commonjs-chunks-${prefix}`,
  setup(build) {
    const o = build.initialOptions;
    const cwd = o.absWorkingDir ?? process.cwd();
    const outdir = path.resolve(cwd, o.outdir);
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-extension-esm-'));
    Object.assign(o, { outdir: staging, format: 'esm', splitting: true, metafile: true, write: true, chunkNames: `${prefix}-[name]-[hash]` });
    build.onEnd(async (result) => {
      if (result.errors.length) return;
      try {
        const js = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
        const abs = (f) => path.resolve(cwd, f);
        const names = new Set(js.map((f) => path.relative(staging, abs(f))));
        // no cycle among the static imports of the chunks
        const deps = new Map(js.map((f) => [abs(f), result.metafile.outputs[f].imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => abs(i.path))]));
        const state = new Map();
        const visit = (f, trail) => {
          if (state.get(f) === 'done') return;
          if (state.get(f) === 'open') throw new Error(`the extension's chunks import each other in a cycle: ${[...trail, f].map((x) => path.basename(x)).join(' → ')}`);
          state.set(f, 'open');
          for (const d of deps.get(f) ?? []) visit(d, [...trail, f]);
          state.set(f, 'done');
        };
        for (const f of deps.keys()) visit(f, []);
        for (const f of js) {
          const text = fs.readFileSync(abs(f), 'utf8');
          const cjs = text
            .replace(/\bimport\(\s*"\.\/([^"]+)"\s*\)/g, (m, name) => (names.has(name) ? `Promise.resolve().then(() => require("./${name}"))` : m))
            .replace(/^import \* as ([\w$]+) from "([^"]+)";$/gm, (m, ns, spec) => (plainRequire(spec) && !new RegExp(`\\b${ns.replace(/\$/g, '\\$')}\\.default\\b`).test(text) ? `const ${ns} = require("${spec}");` : m));
          if (cjs !== text) fs.writeFileSync(abs(f), cjs);
        }
        await esbuild.build({
          entryPoints: js.map(abs),
          outbase: staging,
          outdir,
          bundle: false,
          format: 'cjs',
          platform: 'node',
          target: o.target,
          sourcemap: !!o.sourcemap,
          minify: !!o.minify,
          logLevel: 'silent',
        });
        // chunks of an earlier build
        for (const f of fs.readdirSync(outdir)) {
          const m = new RegExp(`^(${prefix}-.+\\.js)(\\.map)?$`).exec(f);
          if (m && !names.has(m[1])) fs.rmSync(path.join(outdir, f));
        }
      } finally {
        fs.rmSync(staging, { recursive: true, force: true });
      }
    });
  },
});

/** Whether `import * as x from "<spec>"` may become `const x = require("<spec>")`: a Node built-in or `vscode` (CommonJS, no default export). */
function plainRequire(spec) {
  return spec === 'vscode' || require('module').isBuiltin(spec);
}

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  keepNames: production,
  logLevel: 'info',
};

/**
 * A bundle that runs in Node (the extension host, the CLI, the evaluation host, workers): CommonJS for
 * node20 into dist/, with the native and ESM-only modules left to node_modules.
 * @param {Record<string, string>} entryPoints
 * @param {import('esbuild').BuildOptions} [extra] options added to these (plugins, banner, define)
 * @returns {import('esbuild').BuildOptions}
 */
function nodeBundle(entryPoints, extra = {}) {
  return { ...common, entryPoints, outdir: DIST, platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals, ...extra };
}

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  nodeBundle({ extension: 'src/extension/extension.ts' }, { plugins: [lazyVendorPlugin, commonjsChunks('extension')] }),
  nodeBundle(Object.fromEntries(Object.entries(vendorEntries).map(([file, pkg]) => [`vendor/${file}`, require.resolve(pkg)]))),
  nodeBundle({ kerasWorker: 'src/core/formats/kerasWorker.ts', scanWorker: 'src/core/production/scanWorker.ts', lfsCleanFilter: 'src/core/repo/lfsCleanFilter.ts', evalHost: 'src/evalHost/main.ts', evalHostKeras: 'src/evalHost/keras/runner.ts', demo: 'src/demo/main.ts' }),
  nodeBundle(
    { cli: 'src/cli/bin.ts' },
    {
      // the CLI loads ws / jsonrpc / yaml / simple-git only for the commands that use them, and each
      // command's code (src/cli/main.ts import()s it) from dist/cli-*.js when that command runs
      plugins: [lazyVendorPlugin, commonjsChunks('cli')],
      banner: { js: '#!/usr/bin/env node' },
      define: { __MODELVER_VERSION__: JSON.stringify(require('./package.json').version) },
    },
  ),
  {
    ...common,
    entryPoints: { inspect: 'webview-ui/inspect/main.ts', diff: 'webview-ui/diff/main.ts', details: 'webview-ui/details/main.ts', compare: 'webview-ui/compare/main.ts', lineage: 'webview-ui/lineage/main.ts', history: 'webview-ui/history/main.ts', merge: 'webview-ui/merge/main.ts', abtest: 'webview-ui/abtest/main.ts', monitor: 'webview-ui/monitor/main.ts' },
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
