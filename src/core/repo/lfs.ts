/** Git LFS pointers, the local object store, and hashing files the way LFS does (sha256). */
import { nodeCrypto } from '../util/lazyNode';
import * as fs from 'fs';
import * as path from 'path';
import { RepoError, LFS_INSTALL_HINT } from './errors';
import type { Git } from './git';

export interface LfsPointer {
  /** sha256, 64 lower-case hex digits */
  oid: string;
  size: number;
}

const POINTER_VERSION = 'version https://git-lfs.github.com/spec/v1';
/** Pointer files are small; the spec caps them at 1024 bytes. */
export const MAX_POINTER_SIZE = 1024;

/** Parse LFS pointer text; undefined when the bytes are not a pointer. */
export function parsePointer(data: Buffer | string): LfsPointer | undefined {
  if (data.length > MAX_POINTER_SIZE) return undefined;
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (!text.startsWith('version ')) return undefined;
  const lines = text.split('\n');
  if (lines[0].trim() !== POINTER_VERSION && !lines[0].startsWith('version https://hawser.github.com/spec/v1')) {
    return undefined;
  }
  let oid: string | undefined;
  let size: number | undefined;
  for (const line of lines.slice(1)) {
    const m = /^oid sha256:([0-9a-f]{64})$/.exec(line);
    if (m) oid = m[1];
    const s = /^size (\d+)$/.exec(line);
    if (s) size = Number(s[1]);
  }
  return oid !== undefined && size !== undefined ? { oid, size } : undefined;
}

export function formatPointer(p: LfsPointer): string {
  return `${POINTER_VERSION}\noid sha256:${p.oid}\nsize ${p.size}\n`;
}

/** sha256 of a file, read in 1 MiB chunks (about 1.5 GiB/s). */
export function sha256File(file: string): Promise<{ oid: string; size: number }> {
  return new Promise((resolve, reject) => {
    const h = nodeCrypto().createHash('sha256');
    let size = 0;
    const s = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    s.on('data', (b) => {
      size += b.length;
      h.update(b);
    });
    s.on('error', reject);
    s.on('end', () => resolve({ oid: h.digest('hex'), size }));
  });
}

/** Path of an object in a local LFS store (`<lfs dir>/objects/aa/bb/<oid>`). */
export function lfsObjectPath(lfsDir: string, oid: string): string {
  return path.join(lfsDir, 'objects', oid.slice(0, 2), oid.slice(2, 4), oid);
}

/**
 * The local LFS directory: `lfs.storage` when configured (relative to the common git dir),
 * else `<git common dir>/lfs` — what `git lfs env` reports as LocalMediaDir minus `/objects`.
 */
export async function localLfsDir(git: Git, commonDir: string): Promise<string> {
  const r = await git.run(['config', '--get', 'lfs.storage'], { allowFail: true });
  return lfsDirOf(commonDir, r.code === 0 ? r.stdout.toString('utf8') : undefined);
}

/** The local LFS directory given the value of `lfs.storage` (undefined or empty: not configured). */
export function lfsDirOf(commonDir: string, storage: string | undefined): string {
  const configured = (storage ?? '').trim();
  if (!configured) return path.join(commonDir, 'lfs');
  return path.isAbsolute(configured) ? configured : path.join(commonDir, configured);
}

/** `git lfs version`, or a RepoError('LFS_MISSING') that says how to install it. */
export async function lfsVersion(git: Git): Promise<string> {
  const r = await git.run(['lfs', 'version'], { allowFail: true });
  const out = r.stdout.toString('utf8').trim();
  if (r.code !== 0 || !out.startsWith('git-lfs/')) {
    throw new RepoError('LFS_MISSING', `Git LFS is not installed (\`git lfs version\` failed). ${LFS_INSTALL_HINT}`, r.stderr);
  }
  return out;
}

/** The error for LFS clean/smudge filters that are not configured (`git lfs install` configures them), saying how to. */
export function lfsNotConfigured(): RepoError {
  return new RepoError(
    'LFS_NOT_CONFIGURED',
    'Git LFS is installed but its filters are not configured for this user or repository: run `git lfs install` once (or `git lfs install --local` in this repository).',
  );
}
