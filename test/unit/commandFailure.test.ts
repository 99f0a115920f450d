/**
 * The error policy of the extension's commands (src/extension/commands/failure.ts, used by
 * register.ts) and of the CLI: errors are told apart by their class (instanceof), never by their name,
 * so an unrelated error that happens to be called 'RepoError' is reported as the unexpected error it is.
 */
import * as assert from 'assert';
import { asCliError } from '../../src/cli/commands/evaluate';
import { CliError } from '../../src/cli/errors';
import { EvalHostError } from '../../src/core/eval/client';
import { DatasetError } from '../../src/core/eval/datasetErrors';
import { EvaluationError } from '../../src/core/eval/evaluate';
import { EvalErrorCodes } from '../../src/shared/evalProtocol';
import { ModelFormatError } from '../../src/core/formats/errors';
import { RepoError } from '../../src/core/repo/errors';
import { describeFailure, EvaluationCancelled, INSTALL_LFS, SHOW_LOG, type Failure } from '../../src/extension/commands/failure';
import { COMMAND } from '../../src/extension/commands/ids';

/** An Error whose name claims a class it is not an instance of. */
const lookAlike = (name: string, props: Record<string, unknown> = {}) => Object.assign(new Error(`a ${name} look-alike`), { name, ...props });

const shown = (f: Failure) => {
  assert.ok(!f.cancelled, 'reported, not cancelled');
  return f;
};

describe('command failures: one policy', () => {
  it('a cancellation shows nothing', () => {
    assert.deepStrictEqual(describeFailure(new EvaluationCancelled()), { cancelled: true });
    assert.deepStrictEqual(describeFailure(new EvalHostError('cancelled', EvalErrorCodes.Cancelled)), { cancelled: true });
  });

  it('Git LFS missing: How to Install Git LFS (runs showLfsHelp), then Show Log', () => {
    const f = shown(describeFailure(new RepoError('LFS_MISSING', 'Git LFS is not installed.')));
    assert.strictEqual(f.message, 'Git LFS is not installed.');
    assert.deepStrictEqual(f.actions, [INSTALL_LFS, SHOW_LOG]);
    assert.strictEqual(INSTALL_LFS.command, COMMAND.showLfsHelp);
  });

  it('other errors of ours: their message, Show Log, and the git output in the log (no stack: the message says it all)', () => {
    const git = shown(describeFailure(new RepoError('GIT_FAILED', 'git commit failed.', 'fatal: bad object HEAD\n')));
    assert.deepStrictEqual(git.actions, [SHOW_LOG]);
    assert.strictEqual(git.log, 'git commit failed.\nfatal: bad object HEAD');
    for (const e of [new ModelFormatError('CORRUPT', '/m.onnx', 'm.onnx is damaged.'), new DatasetError('NOT_FOUND', 'data.csv', 'no column y'), new EvaluationError('shapes differ'), new EvalHostError('host died', -32000)]) {
      const f = shown(describeFailure(e));
      assert.strictEqual(f.message, e.message);
      assert.strictEqual(f.log, e.message, `${e.name}: no stack in the log`);
      assert.deepStrictEqual(f.actions, [SHOW_LOG]);
    }
  });

  it('an unexpected error: its message, and its stack in the log', () => {
    const e = new TypeError("Cannot read properties of undefined (reading 'x')");
    const f = shown(describeFailure(e));
    assert.strictEqual(f.message, e.message);
    assert.ok(f.log.startsWith(`TypeError: ${e.message}\n`) && /\n\s+at /.test(f.log), f.log);
    assert.strictEqual(shown(describeFailure('a thrown string')).message, 'a thrown string');
  });

  it("an error merely named 'RepoError' with code LFS_MISSING is not one: no Git LFS help, the stack logged", () => {
    const f = shown(describeFailure(lookAlike('RepoError', { code: 'LFS_MISSING' })));
    assert.deepStrictEqual(f.actions, [SHOW_LOG]);
    assert.match(f.log, /\n\s+at /);
    assert.ok(!describeFailure(lookAlike('EvaluationCancelled')).cancelled, 'a look-alike cancellation is reported');
  });
});

describe('CLI: known failures are told apart by class', () => {
  it('our errors become a CliError with the exit code; a look-alike stays an unexpected error (stack printed)', () => {
    for (const e of [new ModelFormatError('CORRUPT', '/m.onnx', 'damaged'), new RepoError('NOT_FOUND', 'no such file'), new DatasetError('NOT_FOUND', 'data.csv', 'no column'), new EvalHostError('died', -32000), new EvaluationError('misfit')]) {
      const c = asCliError(e, 3);
      assert.ok(c instanceof CliError, e.name);
      assert.strictEqual(c.exitCode, 3);
      assert.strictEqual(c.message, e.message);
    }
    for (const name of ['ModelFormatError', 'RepoError', 'DatasetError', 'EvalHostError', 'EvalCancelledError', 'EvaluationError']) {
      const e = lookAlike(name);
      assert.strictEqual(asCliError(e, 3), e, `${name} look-alike`);
    }
  });
});
