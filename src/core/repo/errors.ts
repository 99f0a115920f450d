/** Errors of the repository layer. `code` is stable (the CLI and the extension switch on it). */
export type RepoErrorCode =
  | 'NOT_A_REPO'
  | 'GIT_MISSING'
  | 'LFS_MISSING'
  | 'LFS_NOT_CONFIGURED'
  | 'NOT_LFS'
  | 'MERGE_IN_PROGRESS'
  | 'REBASE_IN_PROGRESS'
  | 'OPERATION_IN_PROGRESS'
  | 'CONFLICT'
  | 'UNCHANGED'
  | 'INDEX_LOCKED'
  | 'HOOK_FAILED'
  | 'GIT_FAILED'
  | 'NOT_FOUND'
  | 'OUTSIDE_REPO'
  | 'NO_SUCH_MODEL'
  | 'NO_SUCH_VERSION'
  | 'INVALID_NAME'
  | 'TAG_EXISTS'
  | 'TAG_NOT_FOUND'
  | 'ALIAS_NOT_FOUND'
  | 'CONCURRENT_UPDATE'
  | 'NON_FAST_FORWARD'
  | 'VERIFY_FAILED'
  | 'LFS_FETCH_FAILED'
  | 'NO_REMOTE'
  | 'DETACHED_HEAD'
  /** resolve: the path has no merge conflict / is not a model (left to git) / its LFS object is not in this clone */
  | 'NOT_CONFLICTED'
  | 'NOT_A_MODEL'
  | 'LFS_OBJECT_MISSING'
  /** a date argument that is neither YYYY-MM-DD nor ISO 8601 */
  | 'BAD_DATE'
  /** a remote with no web UI to link to (a local path, file://, an unknown host) */
  | 'NO_WEB_UI'
  /** an export's folder holds files already (allowed with --force) */
  | 'DIR_NOT_EMPTY'
  /** a file in a format we read (ONNX, Keras) does not parse: commit refused unless forced */
  | 'UNREADABLE_MODEL';

export class RepoError extends Error {
  override readonly name = 'RepoError';
  constructor(
    readonly code: RepoErrorCode,
    message: string,
    /** output of the git process that failed, when there was one */
    readonly details?: string,
  ) {
    super(message);
  }
}

export const LFS_INSTALL_HINT =
  'Install Git LFS (Debian/Ubuntu: `sudo apt-get install git-lfs`; macOS: `brew install git-lfs`; ' +
  'Windows: it ships with Git for Windows), then run `git lfs install` once.';
