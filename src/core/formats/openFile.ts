/**
 * The first checks every file-reading model reader makes (Keras, PyTorch): the file exists, is not a
 * folder, is not empty, and is not a Git LFS pointer whose content was never downloaded — each with a
 * message that says what to do.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError } from './errors';
import { isLfsPointer } from './sniff';
import { readRange } from './zip';

export interface OpenedModelFile {
  abs: string;
  name: string;
  size: number;
  mtimeMs: number;
  /** the first 512 bytes (fewer in a smaller file) */
  head: Buffer;
}

export async function openModelFile(file: string): Promise<OpenedModelFile> {
  const abs = path.resolve(file);
  const name = path.basename(abs);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(abs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new ModelFormatError('NOT_FOUND', abs, `${abs} does not exist.`);
    throw new ModelFormatError('NOT_FOUND', abs, `Cannot read ${abs}: ${err.message}`);
  }
  if (st.isDirectory()) throw new ModelFormatError('NOT_A_MODEL', abs, `${name} is a folder, not a model file.`);
  if (st.size === 0) {
    throw new ModelFormatError('EMPTY', abs, `${name} is empty (0 bytes). If it is tracked with Git LFS, fetch its content with \`git lfs pull\`.`);
  }
  const head = await readRange(abs, 0, Math.min(512, st.size));
  if (isLfsPointer(head)) {
    throw new ModelFormatError(
      'NOT_A_MODEL',
      abs,
      `${name} is a Git LFS pointer, not the model itself: its content was not downloaded. Run \`git lfs pull\` (or install git-lfs and run \`git lfs install\`).`,
    );
  }
  return { abs, name, size: st.size, mtimeMs: st.mtimeMs, head };
}
