/**
 * `node activateStubbed.js <bundle> [<command id> <JSON array of arguments>]…`: requires the extension
 * bundle (dist/extension.js) in this fresh process with a stubbed `vscode` module, calls activate(), then
 * runs the given commands in turn, the way VS Code would. Prints one JSON line: the commands registered,
 * the extension's files (extension-*.js, esbuild.js commonjsChunks) loaded after activation and
 * after each command, what each command returned, the messages it showed and the errors the commands
 * reported (the extension's test API). Used by test/unit/activation.test.ts: a command's code loads when
 * it first runs, not before.
 *
 * The stub answers every name of the VS Code API (read from @types/vscode) with a stub that answers
 * every property, call and `new` with another, except what activation and the commands run here use for
 * real: EventEmitter, Uri.file, the command registry, the message functions (which record the message and
 * answer undefined, as a dismissed notification does), no workspace folder, VS Code's version.
 */
import * as fs from 'fs';
import * as path from 'path';
import { installVscodeModule, stub } from './vscodeStub';


const handlers = new Map<string, (...args: unknown[]) => unknown>();
const messages: string[] = [];


class EventEmitter<T> {
  private listeners: ((e: T) => unknown)[] = [];
  readonly event = (l: (e: T) => unknown) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    this.listeners.forEach((l) => l(e));
  }
  dispose(): void {
    this.listeners = [];
  }
}

class Uri {
  constructor(readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri(p);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(path.join(u.fsPath, ...parts));
  }
}

const show = (kind: string) => (message: string) => {
  messages.push(`${kind}: ${message}`);
  return Promise.resolve(undefined);
};

const real: Record<string, unknown> = {
  EventEmitter,
  Uri,
  CancellationError: class CancellationError extends Error {},
  version: '1.100.0',
  commands: new Proxy(stub('vscode.commands') as object, {
    get: (t, k) =>
      k === 'registerCommand'
        ? (id: string, fn: (...args: unknown[]) => unknown) => {
            handlers.set(id, fn);
            return { dispose: () => handlers.delete(id) };
          }
        : (t as Record<string | symbol, unknown>)[k],
  }),
  window: new Proxy(stub('vscode.window') as object, {
    get: (t, k) => (k === 'showInformationMessage' || k === 'showWarningMessage' || k === 'showErrorMessage' ? show(String(k)) : (t as Record<string | symbol, unknown>)[k]),
  }),
  workspace: new Proxy(stub('vscode.workspace') as object, {
    get: (t, k) => (k === 'workspaceFolders' ? undefined : (t as Record<string | symbol, unknown>)[k]),
  }),
};

const types = fs.readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
const api: Record<string, unknown> = {};
for (const [, name] of types.matchAll(/^\texport (?:class|namespace|enum|const|function|let) (\w+)/gm)) {
  // the module's own names (one tab in); deeper ones are a namespace's members
  Object.defineProperty(api, name, { enumerable: true, get: () => (name in real ? real[name] : stub(`vscode.${name}`)) });
}

installVscodeModule(api);

/** The extension's own files loaded so far, less extension.js */
const extensionFiles = () =>
  Object.keys(require.cache)
    .map((f) => path.basename(f))
    .filter((f) => /^extension-.+\.js$/.test(f))
    .sort();

interface Api {
  commands: { registered(): string[]; errors(): unknown[] };
}

async function main(): Promise<void> {
  const [bundle, ...rest] = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ext = require(path.resolve(bundle)) as { activate(context: unknown): Api };
  const root = path.dirname(path.dirname(path.resolve(bundle))); // the extension's folder, above dist/
  const context = { subscriptions: [], extensionUri: Uri.file(root), extensionPath: root, secrets: stub('secrets'), globalState: stub('globalState'), workspaceState: stub('workspaceState') };
  const extension = ext.activate(context);
  const report = { registered: extension.commands.registered(), afterActivation: extensionFiles(), commands: [] as { id: string; returned: string; files: string[] }[], messages, errors: [] as unknown[] };
  for (let i = 0; i + 1 < rest.length; i += 2) {
    const fn = handlers.get(rest[i]);
    if (!fn) throw new Error(`${rest[i]} is not registered`);
    const returned = await fn(...(JSON.parse(rest[i + 1]) as unknown[]));
    report.commands.push({ id: rest[i], returned: typeof returned, files: extensionFiles() });
  }
  report.errors = extension.commands.errors();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0); // the repositories' discovery may still be waiting on the stub
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
