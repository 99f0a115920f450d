/**
 * Read any supported model file into a ModelSummary, and read one tensor's values lazily.
 * The format is decided by the file's first bytes, not its extension.
 * (keras.ts loads h5wasm lazily, on its first use, so importing this module stays cheap.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError } from './errors';
import { isGguf, isHdf5, isLegacyTorch, isLfsPointer, isPng, isSafetensors, isTflite, isZip } from './sniff';
import { readGgufSummary, readGgufTensor } from './gguf';
import { readKerasSummary, readKerasTensor } from './keras';
import { readOnnxSummary, readOnnxTensor } from './onnx';
import { isPytorchZip, readPytorchSummary, readPytorchTensor } from './pytorch';
import { looksLikeSafetensorsIndex, readSafetensorsSummary, readSafetensorsTensor, safetensorsModelInFolder } from './safetensors';
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

/**
 * Summarize a model file (ONNX, Keras HDF5, Keras 3 .keras, safetensors, GGUF, a sharded safetensors
 * model's `*.safetensors.index.json` or the folder holding it, PyTorch, TFLite). Throws ModelFormatError on bad input.
 */
export async function readModelSummary(file: string): Promise<ModelSummary> {
  let abs = path.resolve(file);
  if (fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
    // a Hugging Face model folder: its one safetensors index (or one .safetensors file)
    const inner = safetensorsModelInFolder(abs);
    if (!inner) {
      throw new ModelFormatError('NOT_A_MODEL', abs, `${abs} is a folder, not a model file (a folder is read as a model only when it holds a *.safetensors.index.json or one .safetensors file).`);
    }
    abs = inner;
  }
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
  // by content, or by name when the content is damaged (so the error speaks of GGUF, not ONNX)
  if (isGguf(head) || /\.gguf$/i.test(name)) return readGgufSummary(abs);
  if (isZip(head) && (await isPytorchZip(abs))) {
    return readPytorchSummary(abs);
  }
  if (isHdf5(head) || isZip(head)) {
    return readKerasSummary(abs);
  }
  if (isLegacyTorch(head)) {
    throw new ModelFormatError(
      'UNSUPPORTED',
      abs,
      `${name} is a PyTorch file in the legacy format (torch.save before PyTorch 1.6, or with _use_new_zipfile_serialization=False), which is not supported. ` +
        'Load it in Python and save it again with torch.save(obj, path) from PyTorch 1.6 or later, which writes the zip format.',
    );
  }
  // by content, or by name when the content is damaged (so the error speaks of safetensors, not ONNX)
  if (isSafetensors(head) || /\.safetensors$/i.test(name)) return readSafetensorsSummary(abs);
  if (looksLikeSafetensorsIndex(head, name)) return readSafetensorsSummary(abs, { index: true });
  // by content, or by name when the content is damaged (so the error speaks of TFLite, not ONNX)
  if (isTflite(head) || /\.tflite$/i.test(name)) {
    // the reader and its generated schema code (~230 KB minified) load on the first TFLite file
    const { readTfliteSummary } = await import('./tflite.js');
    return readTfliteSummary(abs);
  }
  if (/\.(pt|pth)$/i.test(name)) {
    // an ONNX model saved under a PyTorch name is still read; anything else is told as not PyTorch
    try {
      return await readOnnxSummary(abs);
    } catch (e) {
      if (!(e instanceof ModelFormatError) || e.code === 'NOT_FOUND') throw e;
      throw new ModelFormatError(
        'NOT_A_MODEL',
        abs,
        `${name} is not a PyTorch file: it is neither a zip archive (torch.save since PyTorch 1.6, torch.jit.save) nor a legacy torch.save pickle.`,
      );
    }
  }
  return readOnnxSummary(abs);
}

/** Read one tensor's values (the tensor comes from a summary of the same file). */
export async function readTensor(file: string, summary: ModelSummary, tensor: TensorInfo): Promise<TensorData> {
  if (summary.format === 'onnx') {
    return readOnnxTensor(file, tensor);
  }
  if (summary.format === 'pytorch' || summary.format === 'torchscript') {
    return readPytorchTensor(file, tensor);
  }
  if (summary.format === 'tflite') {
    const { readTfliteTensor } = await import('./tflite.js');
    return readTfliteTensor(file, tensor);
  }
  if (summary.format === 'safetensors') {
    // offsets are into summary.path or the shard the location names (`file` may be the model's folder)
    return readSafetensorsTensor(summary, tensor);
  }
  if (summary.format === 'gguf') return readGgufTensor(summary, tensor);
  return readKerasTensor(file, tensor);
}

export { formatShape, formatValueInfo } from './format';
export { describeSummary, formatBytes, formatCount, largestTensors } from './describe';
