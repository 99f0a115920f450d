import Module = require('module');

/** A stand-in for the `vscode` module: every property, call and `new` gives another stub (no API is used at load time). */
export function stub(name: string): unknown {
  const f = function () {
    /* a stub */
  };
  return new Proxy(f, {
    get(target, key) {
      if (key === 'prototype') return target.prototype;
      if (key === 'then') return undefined; // not a promise
      if (key === Symbol.toPrimitive) return () => name;
      return stub(`${name}.${String(key)}`);
    },
    apply: () => stub(`${name}()`),
    construct: () => stub(`new ${name}`) as object,
  });
}

/** Makes `require('vscode')` in this process give `exports` (a stub, or an API object over stubs). */
export function installVscodeModule(exports: unknown): void {
  const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  const vscodeModule = new Module('vscode');
  vscodeModule.filename = 'vscode';
  vscodeModule.loaded = true;
  vscodeModule.exports = exports;
  require.cache.vscode = vscodeModule;
}
