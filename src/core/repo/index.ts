/**
 * The repository layer: models, versions, commit, tag, alias, notes, restore, push/fetch on
 * git + Git LFS. Pure Node (no vscode). The storage layout is a public contract: docs/storage.md.
 */
export { ModelRepository } from './repository';
export type { OpenOptions, CommitOptions, PushResult, FetchResult, RemoteOptions, VersionSpec } from './repository';
export type { TransferProgress } from './network';
export { RepoError, LFS_INSTALL_HINT } from './errors';
export type { RepoErrorCode } from './errors';
export * from './types';
export type { BranchGroup, BranchModel, BranchRef, BranchShow } from './branches';
export { branchMatches, parseBranchSpec } from './branches';
export { DEFAULT_MODEL_PATTERNS, ModelMatcher, normalizePattern } from './patterns';
export { parsePointer, formatPointer, sha256File, type LfsPointer } from './lfs';
export { parseTrailers, parseMessage, appendTrailers, appendRecord, recordedTrailers, RECORD_MARKER, TRAILER, type ParsedMessage } from './trailers';
export { ALIAS_REF, ALIAS_FILE, KEEP_REF_PREFIX, parseDateArg } from './aliases';
export { STALE_LOCK_MS } from './locks';
export { NOTES_REF } from './notes';
export { conflictState, conflictedModels, resolveModelConflict, stageVersion, parseResolutions, recordResolution, writeBlobContent, sideName } from './conflicts';
export type { ConflictState, ConflictedFile, ConflictStage, ConflictOperation, ConflictSide, ResolveChoice, ResolveResult } from './conflicts';
