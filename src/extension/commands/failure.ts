/**
 * What a failed command tells the user: the error policy of ./register.ts, without vscode (so that
 * test/unit/commandFailure.test.ts can check it). A cancellation says nothing; any other error is one
 * notification with the actions that help (Show Log always; How to Install Git LFS when Git LFS is
 * missing) and one log entry: the git output of a RepoError, the stack of an error we did not expect.
 */
import { EvalHostError, EvaluationError, isEvalCancelled } from '../../core/eval/errors';
import { DatasetError } from '../../core/eval/datasetErrors';
import { ModelFormatError } from '../../core/formats/errors';
import { MetricInputError } from '../../core/lineage/metricHistory';
import { RepoError } from '../../core/repo/errors';
import { COMMAND, type CommandId } from './ids';

/** The user stopped an evaluation (the progress notification's Cancel, the panel closed, no token given). */
export class EvaluationCancelled extends Error {
  override readonly name = 'EvaluationCancelled';
  constructor() {
    super('The evaluation was cancelled.');
  }
}

/** A button of the error notification: runs `command`, or (without one) shows the log. */
export interface FailureAction {
  label: string;
  command?: CommandId;
}

export const SHOW_LOG: FailureAction = { label: 'Show Log' };
export const INSTALL_LFS: FailureAction = { label: 'How to Install Git LFS', command: COMMAND.showLfsHelp };

export type Failure =
  | { cancelled: true }
  | {
      cancelled: false;
      /** the notification's text (after "Model Versions: ") */
      message: string;
      /** what the log gets: the message, then the git output or the stack when there is one */
      log: string;
      actions: FailureAction[];
    };

/** Errors that say what is wrong and what to do: their message is the whole story (no stack in the log). */
function isExpected(e: unknown): boolean {
  return (
    e instanceof RepoError ||
    e instanceof ModelFormatError ||
    e instanceof DatasetError ||
    e instanceof EvalHostError ||
    e instanceof EvaluationError ||
    e instanceof MetricInputError
  );
}

/** Is `e` a cancellation (nothing to report)? vscode.CancellationError is checked by ./register.ts. */
export function isCancellation(e: unknown): boolean {
  return e instanceof EvaluationCancelled || isEvalCancelled(e);
}

/** How a command's error is reported. */
export function describeFailure(e: unknown): Failure {
  if (isCancellation(e)) return { cancelled: true };
  const message = e instanceof Error ? e.message : String(e);
  let log = message;
  if (e instanceof RepoError && e.details?.trim()) log += `\n${e.details.trimEnd()}`;
  else if (!isExpected(e) && e instanceof Error && e.stack) log = e.stack;
  const actions = e instanceof RepoError && e.code === 'LFS_MISSING' ? [INSTALL_LFS, SHOW_LOG] : [SHOW_LOG];
  return { cancelled: false, message, log, actions };
}
