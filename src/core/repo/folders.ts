/**
 * Folder models: a folder that holds a Hugging Face sharded model's index (`*.safetensors.index.json`)
 * is one model, whose path is the folder. Its files are the files directly in it (shards, the index,
 * config.json, generation_config.json, tokenizer files …; not dot-files such as .gitattributes, not
 * subfolders); none of them is a model of its own. A version of the folder is a commit that changed
 * any of its files while it holds a model file (the index, or a file matching the model patterns).
 *
 * Its content id is `files:<sha256>` over its files' names and blob ids (manifestId): the same
 * whether computed from history (versions.ts) or from the index when committing (repository.ts).
 */
import { nodeCrypto } from '../util/lazyNode';

const INDEX = /\.safetensors\.index\.json$/i;

/** Whether a repository path names a sharded model's index file. */
export function isShardIndex(p: string): boolean {
  return INDEX.test(p);
}

/** The folder part of a repository path ('' at the root). */
export function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** The file name part of a repository path. */
export function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * The folder model an index file makes: its folder; undefined for an index at the repository root
 * (the root is not a model: its shards stay models of their own).
 */
export function folderOfIndex(p: string): string | undefined {
  if (!isShardIndex(p)) return undefined;
  const d = dirOf(p);
  return d || undefined;
}

/** Whether a file name counts as one of a folder model's files (dot-files such as .gitattributes do not). */
export function isFolderFileName(name: string): boolean {
  return name !== '' && !name.startsWith('.');
}

/**
 * The file of `p` in one of `folders` (a file directly in the folder, not a dot-file): that folder;
 * else undefined.
 */
export function folderOfFile(p: string, folders: ReadonlySet<string>): string | undefined {
  if (!folders.size) return undefined;
  const d = dirOf(p);
  return d && folders.has(d) && isFolderFileName(p.slice(d.length + 1)) ? d : undefined;
}

/** The content id of a folder: `files:` and the sha256 of its files' `name NUL blob LF`, sorted by name. */
export function manifestId(files: Iterable<readonly [string, string]>): string {
  const h = nodeCrypto().createHash('sha256');
  for (const [name, blob] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) h.update(`${name}\0${blob}\n`);
  return `files:${h.digest('hex')}`;
}
