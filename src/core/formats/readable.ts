/**
 * The model formats this project reads (summaries, diffs, commit-time checks, evaluation), by file
 * extension: the one list. The extension's file pickers and commands use it; package.json's `when`
 * clauses cannot import it, so test/unit/commandIds.test.ts checks that their regexes list exactly these.
 * (The readers themselves pick the format by the file's first bytes, not its extension.)
 */

/** Extension (lower case, with the dot) → what a file of it is, as a sentence says it ("an ONNX model"). */
const FORMATS = {
  '.onnx': 'an ONNX model',
  '.h5': 'a Keras HDF5 file',
  '.hdf5': 'a Keras HDF5 file',
  '.keras': 'a Keras model',
  '.safetensors': 'a safetensors file',
  '.pt': 'a PyTorch file',
  '.pth': 'a PyTorch file',
  '.gguf': 'a GGUF model',
  '.tflite': 'a TFLite model',
} as const;

/** File extensions we can summarize: ['.onnx', '.h5', '.hdf5', '.keras', '.safetensors', '.pt', '.pth', '.gguf', '.tflite']. */
export const READABLE_EXTENSIONS: readonly string[] = Object.freeze(Object.keys(FORMATS));

/** The extension of `file` (lower case, with the dot) when it is one we read, else undefined. */
function readableExtension(file: string): keyof typeof FORMATS | undefined {
  const dot = file.lastIndexOf('.');
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  if (dot <= slash + 1) return undefined; // no extension, or a dot file such as '.onnx'
  const ext = file.slice(dot).toLowerCase();
  return Object.prototype.hasOwnProperty.call(FORMATS, ext) ? (ext as keyof typeof FORMATS) : undefined;
}

/** Is `file` (a path or a name) of a format we read, by its extension (any case)? */
export function isReadableModelPath(file: string): boolean {
  return readableExtension(file) !== undefined;
}

/** 'an ONNX model' for a .onnx path, 'a Keras HDF5 file' for .h5/.hdf5 …; undefined for other files. */
export function readableFormatName(file: string): string | undefined {
  const ext = readableExtension(file);
  return ext && FORMATS[ext];
}

/** The extensions without their dots, for a file dialog's filters: ['onnx', 'h5', 'hdf5', 'keras', 'safetensors', 'pt', 'pth', 'gguf', 'tflite']. */
export function readableDialogExtensions(): string[] {
  return READABLE_EXTENSIONS.map((e) => e.slice(1));
}

/**
 * The extensions of the formats the evaluation host runs (ONNX, Keras). The others are inspected and
 * diffed but not evaluated (src/core/eval/runnable.ts says why); the tree's version items carry
 * `.evaluable` in their contextValue for these, and package.json shows Evaluate/Compare on those only.
 */
export const EVALUABLE_EXTENSIONS: readonly string[] = Object.freeze(['.onnx', '.h5', '.hdf5', '.keras']);

/** Is `file` (a path or a name) of a format the evaluation host runs, by its extension (any case)? */
export function isEvaluableModelPath(file: string): boolean {
  const ext = readableExtension(file);
  return ext !== undefined && EVALUABLE_EXTENSIONS.includes(ext);
}
