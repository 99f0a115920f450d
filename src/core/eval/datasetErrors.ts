/** Why a dataset could not be loaded or fed to a model. Dataset code throws only this for bad input. */
export type DatasetErrorCode =
  /** the dataset file does not exist (or is not a file) */
  | 'NOT_FOUND'
  /** the file exists but could not be read */
  | 'READ_ERROR'
  /** the format could not be told from the extension or the first bytes, or `format` is unknown */
  | 'UNKNOWN_FORMAT'
  /** the bytes are not valid CSV / JSON / JSONL / NPY / NPZ */
  | 'PARSE_ERROR'
  /** the label column or a feature column is not in the file (the message lists the columns) */
  | 'UNKNOWN_COLUMN'
  /** a feature value (or a regression label) is not a number (the message names row and column) */
  | 'NON_NUMERIC'
  /** rows of different lengths */
  | 'RAGGED'
  /** no rows, or no rows left after dropping rows with missing values */
  | 'EMPTY'
  /** `missing: 'error'` and a cell is missing */
  | 'MISSING_VALUE'
  /** an NPY dtype this reader does not decode (strings, objects, complex, structured, …) */
  | 'UNSUPPORTED_DTYPE'
  /** a zip feature the NPZ reader does not handle (encryption, a compression other than deflate) */
  | 'UNSUPPORTED'
  /** a label that is not one of `classNames` */
  | 'UNKNOWN_LABEL'
  /** the spec contradicts itself or the data (binary task with 3 classes, a bad batch size, …) */
  | 'BAD_SPEC'
  /** a cell longer than the cell limit (MAX_CELL_BYTES), or a text file too large to read as one string */
  | 'TOO_LARGE'
  /** `inputShape` does not hold exactly one row's features */
  | 'BAD_INPUT_SHAPE'
  /** a row does not fit the model's input tensor */
  | 'SHAPE_MISMATCH';

/**
 * A dataset error that one choice of the user settles; the message says what to choose in words, and
 * each face adds how (the CLI its flag, the extension its question).
 * - npzArray: which array of an NPZ holds the features or the labels (`names`: the arrays it holds)
 * - features: which columns are the features (their number does not fit the model's input)
 * - rowShape: how one row maps onto the model's input (DatasetSpec.inputShape), e.g. a model whose
 *   input has free dimensions fed from a table of columns; the feature columns may be wrong too
 */
export type DatasetFix = { kind: 'npzArray'; role: 'features' | 'labels'; names: string[] } | { kind: 'features' } | { kind: 'rowShape' };

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly code: DatasetErrorCode,
    /** the dataset file the error is about ('' when none) */
    readonly file: string,
    message: string,
    /** NON_NUMERIC in a feature column: that column's name (the faces say how to leave it out) */
    readonly featureColumn?: string,
    /** what the faces need to say how to settle it (each has its own way to name the option) */
    readonly fix?: DatasetFix,
  ) {
    super(message);
  }
}
