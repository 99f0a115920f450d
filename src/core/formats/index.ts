/**
 * Read any supported model file into a ModelSummary, and read one tensor's values lazily.
 * The format is decided by the file's first bytes, not its extension.
 * (keras.ts loads h5wasm lazily, on its first use, so importing this module stays cheap.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError } from './errors';
import { isHdf5, isLfsPointer, isPng, isZip } from './sniff';
import { readKerasSummary, readKerasTensor } from './keras';
import { readOnnxSummary, readOnnxTensor } from './onnx';
import type { ModelSummary, TensorData, TensorInfo } from './types';

export * from './types';
export * from './errors';
export { READABLE_EXTENSIONS, isReadableModelPath, readableFormatName, readableDialogExtensions } from './readable';

async function readHead(file: string, n = 4096): Promise<{ head: Uint8Array; size: number }> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ModelFormatError('NOT_FOUND', file, `${file} does not exist.`);
    if (err.code === 'EISDIR') throw new ModelFormatError('NOT_A_MODEL', file, `${file} is a folder, not a model file.`);
    throw new ModelFormatError('NOT_FOUND', file, `Cannot open ${file}: ${err.message}`);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new ModelFormatError('NOT_A_MODEL', file, `${file} is a folder, not a model file.`);
    const buf = Buffer.alloc(Math.min(n, st.size));
    await fh.read(buf, 0, buf.length, 0);
    return { head: buf, size: st.size };
  } finally {
    await fh.close();
  }
}

/** Summarize a model file (ONNX, Keras HDF5, Keras 3 .keras). Throws ModelFormatError on bad input. */
export async function readModelSummary(file: string): Promise<ModelSummary> {
  const abs = path.resolve(file);
  const { head, size } = await readHead(abs);
  const name = path.basename(abs);
  if (size === 0) {
    throw new ModelFormatError(
      'EMPTY',
      abs,
      `${name} is empty (0 bytes). If it is tracked with Git LFS, fetch its content with \`git lfs pull\`.`,
    );
  }
  if (isLfsPointer(head)) {
    throw new ModelFormatError(
      'NOT_A_MODEL',
      abs,
      `${name} is a Git LFS pointer, not the model itself: its content was not downloaded. Run \`git lfs pull\` (or install git-lfs and run \`git lfs install\`).`,
    );
  }
  if (isPng(head)) {
    throw new ModelFormatError('NOT_A_MODEL', abs, `${name} is a PNG image, not a model file.`);
  }
  if (isHdf5(head) || isZip(head)) {
    return readKerasSummary(abs);
  }
  return readOnnxSummary(abs);
}

/** Read one tensor's values (the tensor comes from a summary of the same file). */
export async function readTensor(file: string, summary: ModelSummary, tensor: TensorInfo): Promise<TensorData> {
  if (summary.format === 'onnx') {
    return readOnnxTensor(file, tensor);
  }
  return readKerasTensor(file, tensor);
}

export { formatShape, formatValueInfo } from './format';
export { describeSummary, formatBytes, formatCount, largestTensors } from './describe';
