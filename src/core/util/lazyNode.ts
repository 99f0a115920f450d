/**
 * Node built-ins that the repository layer and the extension use only inside functions, loaded at their
 * first use rather than when a module is loaded (issue #12, activation). In a fresh Node process
 * `require('crypto')` costs about 6 ms (it pulls in node:stream and the cipher code) and
 * `require('child_process')` about 3 ms (node:net, dgram): a third of the activation budget, spent before
 * the extension has hashed a byte or run git. test/unit/activation.test.ts fails if loading the
 * extension bundle loads either of them again.
 *
 * Use `nodeCrypto().createHash(…)` / `childProcess().spawn(…)`; `import type` for their types.
 */
import type * as Crypto from 'crypto';
import type * as ChildProcess from 'child_process';

let crypto: typeof Crypto | undefined;
let cp: typeof ChildProcess | undefined;

/** node:crypto, loaded on the first call. */
export function nodeCrypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (crypto ??= require('crypto') as typeof Crypto);
}

/** node:child_process, loaded on the first call. */
export function childProcess(): typeof ChildProcess {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (cp ??= require('child_process') as typeof ChildProcess);
}
