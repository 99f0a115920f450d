/** The public data types of the repository layer. */
import type { LineageRecorded } from './lineageRecord';

export interface TagInfo {
  name: string;
  /** the commit the tag points at */
  commit: string;
  annotated: boolean;
  message: string;
  tagger?: string;
  date?: string;
}

export interface AliasTarget {
  commit: string;
  /** 'sha256:<hex>' (LFS) or 'git:<blob sha>' (a plain git blob) */
  oid: string;
}

/** One file of a folder model's version (folders.ts). */
export interface FolderFile {
  /** the file name in the folder */
  name: string;
  /** its blob id in the version's commit */
  blob: string;
  /** stored through Git LFS (the blob is a pointer) */
  lfs: boolean;
  /** LFS: the sha256 of the content */
  oid?: string;
  /** content size in bytes */
  size: number;
}

export interface ModelVersion {
  /** the model's current path (the newest name in its history) */
  model: string;
  /** the file's path in this version's commit (differs from `model` before a rename) */
  path: string;
  /** 1-based, oldest = 1 */
  version: number;
  commit: string;
  shortCommit: string;
  parents: string[];
  author: { name: string; email: string };
  /** author date, ISO 8601 */
  date: string;
  committerDate: string;
  /** the whole commit message */
  message: string;
  subject: string;
  /** LFS sha256 oid (64 hex); undefined when the version is a plain git blob */
  oid?: string;
  /**
   * `sha256:<oid>` or `git:<blob>` — identifies the bytes; for a folder model `files:<sha256>` of its
   * files' names and blob ids (folders.ts manifestId)
   */
  contentId: string;
  /** bytes (a folder model: of all its files) */
  size: number;
  /** stored through Git LFS (a folder model: one of its files is) */
  lfs: boolean;
  /** the blob id; '' for a folder model (see `files`) */
  blob: string;
  /** a folder model (a sharded safetensors model's folder): its files in this version, by name */
  files?: FolderFile[];
  change: 'added' | 'modified' | 'renamed' | 'copied';
  /** for renames, the path before */
  previousPath?: string;
  tags: TagInfo[];
  /** names of the aliases that point at this version */
  aliases: string[];
  /**
   * What the commit recorded about this version: the `Model-…` trailers Model Versions wrote (see
   * `recorded`), plus the other keys of the message's final trailer block (Signed-off-by, …). A
   * `Model-…` line the user typed is never here: it is part of `message` only.
   */
  trailers: Record<string, string>;
  /**
   * The `Model-…` trailers recorded for this version, in order, repeated keys kept (Model-Dataset);
   * empty when the commit holds no record of it (docs/storage.md, "What counts as recorded"). Set by
   * the repository layer; absent on objects built by hand.
   */
  recorded?: [string, string][];
  /**
   * true when the version is not in the current branch's history (an alias or tag on a commit of
   * another or a deleted branch): `version` then counts in that commit's own history.
   */
  outsideHistory?: boolean;
  /** the branch or remote-tracking branch (short name) it was reached through, for a version outside the current history */
  branch?: string;
  /** metadata recorded later in refs/notes/model-versions for this model */
  metadata?: Record<string, unknown>;
}

export interface ModelHistory {
  /** current path */
  path: string;
  /** every path the model had, oldest first */
  paths: string[];
  /** deleted at HEAD */
  deleted: boolean;
  versions: ModelVersion[];
}

export interface ModelEntry {
  /** repository-relative path, forward slashes */
  path: string;
  absPath: string;
  /** in HEAD's tree */
  committed: boolean;
  /** HEAD's blob is an LFS pointer */
  lfs: boolean;
  /** not in the index nor in HEAD */
  untracked: boolean;
  /** in the index but not in HEAD */
  staged: boolean;
  /** HEAD's LFS oid, when an LFS pointer */
  headOid?: string;
  headSize?: number;
  versionCount: number;
  /** the working file exists (a folder model: the folder) */
  exists: boolean;
  /** a folder model (folders.ts): `path` is the folder holding a sharded model's index */
  folder?: boolean;
}

export interface AliasEntry {
  model: string;
  alias: string;
  commit: string;
  oid: string;
  /** the version number, when the commit is in the model's history */
  version?: number;
  /** the commit is not in the current branch's history (it is kept by refs/model-versions/keep/<commit>) */
  outsideHistory?: boolean;
}

export interface AliasEvent {
  /** commit of the alias log */
  logCommit: string;
  action: 'set' | 'remove';
  model: string;
  alias: string;
  from?: AliasTarget;
  to?: AliasTarget;
  who: { name: string; email: string };
  /** author date of the move, ISO 8601 */
  date: string;
  /** committer date of the move, ISO 8601: what `alias ls --at` goes by */
  committedAt?: string;
  message: string;
}

export interface CommitResult {
  commit: string;
  shortCommit: string;
  model: string;
  oid: string;
  size: number;
  version: number;
  trailers: Record<string, string>;
  attributesChanged: boolean;
  /** what was recorded when CommitOptions.lineage was given (./lineageRecord.ts; read back by src/core/lineage) */
  lineage?: LineageRecorded;
  /**
   * Things the user should know about this commit (HEAD was detached; the file was committed with
   * `force` although it does not parse; its summary could not be read). Faces show each one.
   */
  warnings: string[];
}

/**
 * Whether committing a model file would make a new version (ModelRepository.modelStatus):
 * `new` — the path has no content at HEAD (no version yet, or deleted); `modified` — its bytes differ
 * from HEAD's (or HEAD has it as a plain git blob: a commit stores it through Git LFS); `unchanged`
 * — the working file has HEAD's bytes, those of `version`.
 */
export type ModelStatus =
  | { state: 'new'; model: string }
  | { state: 'modified'; model: string; version?: ModelVersion }
  | { state: 'unchanged'; model: string; version: ModelVersion };

export interface IndexLockInfo {
  /** absolute path of the lock file (`<git dir>/index.lock`) */
  path: string;
  /** how old the file is (from its modification time) */
  ageMs: number;
  /** no git process works in this repository and the lock is at least STALE_LOCK_MS old: safe to remove */
  stale: boolean;
  /** git processes found working in this repository (pid and command line) */
  processes: { pid: number; command: string }[];
  /** why it is or is not stale, in words */
  reason: string;
}

export interface RestoreResult {
  path: string;
  version: number;
  /** another branch's version (issue #17): that branch, where `version` counts */
  branch?: string;
  commit: string;
  oid: string;
  /** where the previous working copy was saved, when it had uncommitted changes */
  backup?: string;
  /** the working copy already had these bytes */
  unchanged: boolean;
  /** a folder model: the files written, and those removed (not in the version) */
  files?: { written: string[]; removed: string[] };
}

export interface ReadResult {
  file: string;
  oid: string;
  size: number;
  /** 'local': LFS store; 'fetched': downloaded through git-lfs; 'git': a plain blob */
  source: 'local' | 'fetched' | 'git';
}

export type ProgressFn = (p: { bytes: number; total: number; message?: string }) => void;
