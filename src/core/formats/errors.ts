/** Why a file could not be read as a model. Every reader throws only this for bad input. */
export type ModelFormatErrorCode =
  | 'NOT_FOUND'
  | 'EMPTY'
  | 'TRUNCATED'
  | 'NOT_A_MODEL'
  | 'CORRUPT'
  | 'UNSUPPORTED'
  | 'NOT_KERAS'
  | 'EXTERNAL_DATA_ESCAPES'
  | 'EXTERNAL_DATA_MISSING';

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly code: ModelFormatErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}
