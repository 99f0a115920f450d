/**
 * The errors of evaluation, in a module of their own with nothing heavy behind it: the extension's error
 * policy (src/extension/commands/failure.ts) tells them apart at activation, before any evaluation code
 * is loaded (issue #12). ./client.ts and ./evaluate.ts re-export them.
 */
import { EvalErrorCodes } from '../../shared/evalProtocol';

/** The host's error replies; `code` is one of EvalErrorCodes or a JSON-RPC code. */
export class EvalHostError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = code === EvalErrorCodes.Cancelled ? 'EvalCancelledError' : 'EvalHostError';
  }
  get cancelled(): boolean {
    return this.code === EvalErrorCodes.Cancelled;
  }
}

export function isEvalCancelled(e: unknown): boolean {
  return e instanceof EvalHostError && e.cancelled;
}

/** The models and the dataset do not fit together (task, classes, output shape). */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationError';
  }
}

/**
 * The model's format cannot be run by the evaluation host: the file holds weights without the code that
 * runs them (safetensors, PyTorch checkpoints, GGUF), or a program for another runtime (TorchScript,
 * TFLite). Raised before any host starts or any upload (./runnable.ts).
 */
export class NotRunnableError extends EvaluationError {
  constructor(
    message: string,
    /** the ModelFormat name: 'safetensors', 'pytorch', 'torchscript', 'gguf', 'tflite' */
    readonly format: string,
  ) {
    super(message);
    this.name = 'NotRunnableError';
  }
}
