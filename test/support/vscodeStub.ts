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
