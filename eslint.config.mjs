// Lint: promises that nobody awaits, and imports that point up the layers (docs/architecture.md):
//   webview-ui → src/shared only;  src/shared → nothing of ours but other contracts;
//   src/core → src/shared;  src/evalHost → core, shared;  src/cli, src/demo → core, shared, (cli: evalHost);
//   src/extension → core, shared.  Nothing but src/extension imports 'vscode'.
// Inside core: formats, metrics ← diff, eval ← repo ← lineage (lower modules never import higher ones).
import tseslint from 'typescript-eslint';

const layer = (files, groups) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: groups }] },
});
const vscode = { group: ['vscode'], message: 'Only src/extension may import vscode.' };
const up = (names, message) => ({ group: names.flatMap((n) => [`**/${n}`, `**/${n}/**`]), message });

export default tseslint.config(
  { ignores: ['out/**', 'out-*/**', 'dist/**', 'node_modules/**', '.code-server/**', 'demo/**', '.test-artifacts/**', 'test/fixtures/**', 'src/core/formats/tflite/generated/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      // `import x = require('m')` is TypeScript's typed form for CommonJS modules with `export =`
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
  layer(['webview-ui/**/*.ts'], [
    vscode,
    up(['core', 'evalHost', 'cli', 'extension', 'demo'], 'webview-ui talks to the host only through the contracts in src/shared.'),
    { group: ['fs', 'path', 'child_process', 'os', 'node:*'], message: 'webview-ui runs in a browser: no Node modules.' },
  ]),
  layer(['src/shared/**/*.ts'], [vscode, up(['core', 'evalHost', 'cli', 'extension', 'demo', 'webview-ui'], 'src/shared holds contracts only; it imports no layer.')]),
  layer(['src/core/**/*.ts'], [vscode, up(['evalHost', 'cli', 'extension', 'demo', 'webview-ui'], 'src/core is the bottom layer: it imports only core and src/shared.')]),
  layer(['src/core/formats/**/*.ts', 'src/core/metrics/**/*.ts'], [vscode, up(['evalHost', 'cli', 'extension', 'demo', 'webview-ui', 'repo', 'lineage', 'eval', 'diff'], 'formats and metrics are the lowest core modules.')]),
  layer(['src/core/diff/**/*.ts'], [vscode, up(['evalHost', 'cli', 'extension', 'demo', 'webview-ui', 'repo', 'lineage', 'eval'], 'diff builds on formats only.')]),
  layer(['src/core/eval/**/*.ts'], [vscode, up(['evalHost', 'cli', 'extension', 'demo', 'webview-ui', 'repo', 'lineage'], 'eval builds on formats and metrics only.')]),
  layer(['src/core/repo/**/*.ts'], [vscode, up(['evalHost', 'cli', 'extension', 'demo', 'webview-ui', 'lineage'], 'repo must not import lineage (lineage is built on repo).')]),
  layer(['src/evalHost/**/*.ts'], [vscode, up(['cli', 'extension', 'demo', 'webview-ui'], 'the evaluation host imports only core and src/shared.')]),
  layer(['src/cli/**/*.ts'], [vscode, up(['extension', 'demo', 'webview-ui'], 'the CLI is a face over core.')]),
  layer(['src/demo/**/*.ts'], [vscode, up(['extension', 'cli', 'evalHost', 'webview-ui'], 'the demo is built on core.')]),
  layer(['src/extension/**/*.ts'], [up(['cli', 'evalHost', 'demo', 'webview-ui'], 'the extension is a face over core; it starts the evaluation host as a process, never imports it.')]),
);
