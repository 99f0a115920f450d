/**
 * `node requireStubbed.js <bundle> [--report]`: requires a bundle (dist/extension.js) the way VS Code
 * loads it at activation, in this fresh process, with the `vscode` module replaced by a stub that
 * answers every property, call and `new` with another stub (no API is used at load time by design;
 * activate() is not called). Without a bundle it only installs the hooks (a bench's harness baseline).
 *
 * --report: prints one JSON line, `{ "ms": …, "loaded": [...] }` — the time the require took and every
 * module name the bundle asked Node for while it loaded (Module._load requests: builtins, externals),
 * in order. Used by bench/activation.ts (timed as a whole process) and test/unit/activation.test.ts.
 */
import Module = require('module');
import * as path from 'path';
import { installVscodeModule, stub } from './vscodeStub';

installVscodeModule(stub('vscode'));
const loader = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };

const loaded: string[] = [];
const load = loader._load;
loader._load = function (request: string, ...rest: unknown[]) {
  loaded.push(request);
  return load.call(this, request, ...rest);
};

const bundle = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (bundle) {
  const t0 = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.resolve(bundle));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (process.argv.includes('--report')) process.stdout.write(`${JSON.stringify({ ms, loaded: loaded.slice(1) })}\n`);
}
