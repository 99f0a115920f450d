/**
 * Model merge conflicts (issue #17): when a merge, rebase, cherry-pick or revert stops on a
 * conflicted model file, git has left a textual merge of two LFS pointers in the working tree.
 * This module says which operation is in progress, lists the unmerged paths with their three
 * index stages (1 base, 2 ours, 3 theirs), and resolves a model by writing the whole bytes of one
 * side (or of any version) — never a textual merge of pointers — staging them through the LFS clean
 * filter, checking the staged pointer, and recording the choice as a `Model-Resolved` trailer in the
 * message git will use for the commit.
 *
 * "ours" and "theirs" are git's: during a merge or a cherry-pick "ours" is HEAD (your branch) and
 * "theirs" the commit merged or picked; during a rebase "ours" is the branch being rebased onto (with
 * the commits replayed so far) and "theirs" the commit being replayed.
 */
import { nodeCrypto } from '../util/lazyNode';
import * as fs from 'fs';
import * as path from 'path';
import { RepoError } from './errors';
import { readBlobInfos, type BlobInfo } from './history';
import { lfsNotConfigured, lfsObjectPath, localLfsDir, parsePointer, sha256File } from './lfs';
import type { ModelRepository, VersionSpec } from './repository';
import { appendTrailers, TRAILER } from './trailers';
import type { ModelVersion } from './types';

export type ConflictOperation = 'merge' | 'rebase' | 'cherry-pick' | 'revert';
export type ConflictSide = 'base' | 'ours' | 'theirs';

/** One index stage of an unmerged path. */
export interface ConflictStage {
  stage: 1 | 2 | 3;
  mode: string;
  blob: string;
  /** true when the blob is a Git LFS pointer */
  lfs: boolean;
  /** LFS: the sha256 of the content */
  oid?: string;
  /** content bytes (LFS: from the pointer) */
  size: number;
}

export interface ConflictedFile {
  path: string;
  /** matches the model patterns: Model Versions resolves it; other files are left to git */
  model: boolean;
  /** absent when that side has no such file (added on both sides: no base; deleted on one side) */
  base?: ConflictStage;
  ours?: ConflictStage;
  theirs?: ConflictStage;
}

export interface ConflictState {
  /** the operation in progress; undefined when none (unmerged paths may still exist, e.g. after `git stash pop`) */
  operation?: ConflictOperation;
  /** the commit each side comes from (base: the merge base, the picked commit's parent …) */
  commits: { base?: string; ours?: string; theirs?: string };
  /** what git calls each side in its conflict markers (`HEAD`, `feature`, `1a2b3c4 (subject)`) */
  labels: { ours: string; theirs: string };
  /** the message file git will commit with (MERGE_MSG, rebase-merge/message); undefined when none */
  messageFile?: string;
  /** unmerged paths, sorted */
  files: ConflictedFile[];
}

export type ResolveChoice = { side: 'ours' | 'theirs' } | { version: VersionSpec };

export interface ResolveResult {
  path: string;
  /** 'ours', 'theirs', or 'version' for --version */
  choice: 'ours' | 'theirs' | 'version';
  /** the commit whose content was taken */
  commit: string;
  /** the version taken (when it is one of the model's versions) */
  version?: number;
  /** sha256 of the bytes written */
  sha256: string;
  size: number;
  /** true when the chosen side has no such file: the path was removed (`git rm`) */
  deleted: boolean;
  /** the staged blob (an LFS pointer when the path is LFS-tracked) */
  stagedBlob?: string;
  /** the trailer line recorded, and the file it was written to (undefined when none could be) */
  trailer: string;
  messageFile?: string;
  operation?: ConflictOperation;
  /** paths that are still unmerged after this one */
  remaining: string[];
}

/** The files under the git dir that tell an operation is in progress, found with `git rev-parse --git-path` (worktrees). */
async function gitPaths(repo: ModelRepository, names: string[]): Promise<Record<string, string>> {
  const args = names.flatMap((n) => ['--git-path', n]);
  const lines = (await repo.git.text(['rev-parse', ...args])).split('\n');
  return Object.fromEntries(names.map((n, i) => [n, path.resolve(repo.root, lines[i])]));
}

async function revParse(repo: ModelRepository, rev: string): Promise<string | undefined> {
  const r = await repo.git.run(['rev-parse', '-q', '--verify', `${rev}^{commit}`], { allowFail: true });
  return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
}

/** `1a2b3c4 (subject)`, as git labels a replayed commit in its conflict markers. */
async function commitLabel(repo: ModelRepository, commit: string): Promise<string> {
  const r = await repo.git.run(['log', '-1', '--format=%h (%s)', commit], { allowFail: true });
  return r.code === 0 ? r.stdout.toString('utf8').trim() : commit.slice(0, 7);
}

/** The operation in progress and the commits of its sides. */
async function operationInfo(repo: ModelRepository): Promise<Omit<ConflictState, 'files'>> {
  const p = await gitPaths(repo, ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'REBASE_HEAD', 'rebase-merge', 'rebase-apply', 'MERGE_MSG']);
  const has = (n: string) => fs.existsSync(p[n]);
  const ours = await revParse(repo, 'HEAD');
  const branch = await repo.currentBranch();
  const msg = has('MERGE_MSG') ? p.MERGE_MSG : undefined;
  if (has('rebase-merge') || has('rebase-apply')) {
    const theirs = has('REBASE_HEAD') ? await revParse(repo, 'REBASE_HEAD') : undefined;
    const base = theirs ? await revParse(repo, `${theirs}^`) : undefined;
    // the merge backend commits rebase-merge/message; the apply backend (`git rebase --apply`) its own mailbox: no file we can add to
    const message = has('rebase-merge') ? path.join(p['rebase-merge'], 'message') : undefined;
    return {
      operation: 'rebase',
      commits: { base, ours, theirs },
      labels: { ours: 'HEAD', theirs: theirs ? await commitLabel(repo, theirs) : 'REBASE_HEAD' },
      messageFile: message && fs.existsSync(message) ? message : undefined,
    };
  }
  if (has('MERGE_HEAD')) {
    const theirs = await revParse(repo, 'MERGE_HEAD');
    const mb = theirs && ours ? await repo.git.run(['merge-base', ours, theirs], { allowFail: true }) : undefined;
    const base = mb?.code === 0 ? mb.stdout.toString('utf8').trim().split('\n')[0] : undefined;
    const named = theirs ? await repo.git.run(['name-rev', '--name-only', '--no-undefined', '--refs=refs/heads/*', '--refs=refs/remotes/*', theirs], { allowFail: true }) : undefined;
    const name = named?.code === 0 ? named.stdout.toString('utf8').trim() : theirs?.slice(0, 7) ?? 'MERGE_HEAD';
    return { operation: 'merge', commits: { base, ours, theirs }, labels: { ours: branch ? `HEAD (${branch})` : 'HEAD', theirs: name }, messageFile: msg };
  }
  if (has('CHERRY_PICK_HEAD') || has('REVERT_HEAD')) {
    const pick = has('CHERRY_PICK_HEAD');
    const head = await revParse(repo, pick ? 'CHERRY_PICK_HEAD' : 'REVERT_HEAD');
    const parent = head ? await revParse(repo, `${head}^`) : undefined;
    // a cherry-pick applies head^..head; a revert applies head..head^
    const [base, theirs] = pick ? [parent, head] : [head, parent];
    const label = head ? await commitLabel(repo, head) : pick ? 'CHERRY_PICK_HEAD' : 'REVERT_HEAD';
    return {
      operation: pick ? 'cherry-pick' : 'revert',
      commits: { base, ours, theirs },
      labels: { ours: branch ? `HEAD (${branch})` : 'HEAD', theirs: pick ? label : `parent of ${label}` },
      messageFile: msg,
    };
  }
  return { commits: { ours }, labels: { ours: 'HEAD', theirs: 'theirs' }, messageFile: undefined };
}

/** `git ls-files -u -z`: the unmerged paths and their stages. */
async function unmergedEntries(repo: ModelRepository, rel?: string): Promise<Map<string, { stage: 1 | 2 | 3; mode: string; blob: string }[]>> {
  const out = (await repo.git.run(['ls-files', '-u', '-z', ...(rel ? ['--', `:(literal)${rel}`] : [])])).stdout.toString('utf8');
  const byPath = new Map<string, { stage: 1 | 2 | 3; mode: string; blob: string }[]>();
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, blob, stage] = rec.slice(0, tab).split(' ');
    const p = rec.slice(tab + 1);
    const list = byPath.get(p) ?? [];
    list.push({ stage: Number(stage) as 1 | 2 | 3, mode, blob });
    byPath.set(p, list);
  }
  return byPath;
}

function stageOf(s: { stage: 1 | 2 | 3; mode: string; blob: string }, info: BlobInfo | undefined): ConflictStage {
  return { ...s, lfs: !!info?.lfs, ...(info?.oid ? { oid: info.oid } : {}), size: info?.size ?? 0 };
}

/** The operation in progress and every unmerged path with its stages (models marked). */
export async function conflictState(repo: ModelRepository): Promise<ConflictState> {
  const [info, entries] = await Promise.all([operationInfo(repo), unmergedEntries(repo)]);
  const blobs = await readBlobInfos(repo.git, [...new Set([...entries.values()].flat().map((e) => e.blob))]);
  const files: ConflictedFile[] = [...entries.keys()].sort().map((p) => {
    const f: ConflictedFile = { path: p, model: repo.matcher.matches(p) };
    for (const e of entries.get(p)!) {
      const key = e.stage === 1 ? 'base' : e.stage === 2 ? 'ours' : 'theirs';
      f[key] = stageOf(e, blobs[e.blob]);
    }
    return f;
  });
  return { ...info, files };
}

/** The unmerged models only (what the tree marks). */
export async function conflictedModels(repo: ModelRepository): Promise<ConflictedFile[]> {
  const r = await repo.git.run(['ls-files', '-u', '-z'], { allowFail: true });
  if (r.code !== 0 || !r.stdout.length) return [];
  return (await conflictState(repo)).files.filter((f) => f.model);
}

/**
 * The model's version whose content a stage holds, at the commit it comes from (undefined when the
 * file has no committed version there, e.g. the base of a file added on both sides).
 */
export async function stageVersion(repo: ModelRepository, rel: string, commit: string | undefined, stage: ConflictStage | undefined): Promise<ModelVersion | undefined> {
  if (!commit || !stage) return undefined;
  try {
    const v = await repo.resolveVersion(rel, commit);
    return v.blob === stage.blob ? v : undefined;
  } catch {
    return undefined;
  }
}

/** How a side is named for people ("theirs (the commit being replayed)" during a rebase). */
export function sideName(side: ConflictSide, op: ConflictOperation | undefined): string {
  if (op !== 'rebase') return side;
  return side === 'ours' ? 'ours (the branch being rebased onto)' : side === 'theirs' ? 'theirs (the commit being replayed)' : side;
}

/**
 * Copy the content of a blob to `out`: a plain blob as it is, an LFS pointer's object from the local
 * LFS store (sha256 checked). A missing object is an error that says what to fetch (`what`: which
 * side, for the message; `commit`: where it comes from, for the fetch command).
 */
export async function writeBlobContent(repo: ModelRepository, rel: string, blob: string, what: string, commit: string | undefined, out: string): Promise<{ sha256: string; size: number }> {
  const info = (await readBlobInfos(repo.git, [blob]))[blob];
  if (!info) throw new RepoError('NOT_FOUND', `The blob of ${rel} in ${what} (${blob.slice(0, 7)}) is not in this clone.`);
  if (!info.lfs || !info.oid) {
    await repo.git.run(['cat-file', 'blob', blob], { stdoutFile: out });
  } else {
    const local = lfsObjectPath(await localLfsDir(repo.git, repo.commonDir), info.oid);
    if (!fs.existsSync(local)) {
      const remote = (await repo.git.text(['remote'])).split('\n').filter(Boolean);
      const name = remote.includes('origin') ? 'origin' : remote[0] ?? '<remote>';
      const fetch = `git lfs fetch ${name} ${commit ?? '<commit>'} --include=${JSON.stringify(rel)}`;
      throw new RepoError(
        'LFS_OBJECT_MISSING',
        `The content of ${rel} in ${what} (LFS object sha256 ${info.oid.slice(0, 12)}…, ${info.size} bytes) is not in this clone's LFS store. ` +
          `Fetch it with \`${fetch}\`, then resolve again.`,
      );
    }
    fs.copyFileSync(local, out);
  }
  const got = await sha256File(out);
  if (info.lfs && info.oid && (got.oid !== info.oid || got.size !== info.size)) {
    throw new RepoError(
      'VERIFY_FAILED',
      `The LFS object of ${rel} in ${what} is damaged (expected sha256 ${info.oid.slice(0, 12)}… ${info.size} bytes, got ${got.oid.slice(0, 12)}… ${got.size} bytes); run \`git lfs fsck\`.`,
    );
  }
  return { sha256: got.oid, size: got.size };
}

/**
 * Record the choice in the message git will commit with: a `Model-Resolved: <choice> <commit> <path>`
 * trailer (path last, so that it may hold spaces), replacing an earlier one for the same path. The
 * `# Conflicts:` comment block git appends is dropped, so the trailer ends the message whichever
 * cleanup mode the commit uses.
 */
export function recordResolution(message: string, line: { choice: string; commit: string; path: string }): string {
  const lines = message.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && (/^#/.test(lines[lines.length - 1]) || /^\s*$/.test(lines[lines.length - 1]))) lines.pop();
  const key = TRAILER.resolved;
  const mine = new RegExp(`^${key}:\\s*\\S+\\s+\\S+\\s+(.*)$`);
  const kept = lines.filter((l) => mine.exec(l)?.[1] !== line.path);
  return appendTrailers(kept.join('\n'), [[key, `${line.choice} ${line.commit} ${line.path}`]]);
}

/** The `Model-Resolved` trailers of a commit message. */
export function parseResolutions(message: string): { choice: string; commit: string; path: string }[] {
  const out: { choice: string; commit: string; path: string }[] = [];
  for (const l of message.split('\n')) {
    const m = new RegExp(`^${TRAILER.resolved}:\\s*(\\S+)\\s+([0-9a-f]{7,64})\\s+(.+)$`).exec(l);
    if (m) out.push({ choice: m[1], commit: m[2], path: m[3].trim() });
  }
  return out;
}

/**
 * Resolve a conflicted model: write the whole bytes of the chosen side (or version) to the working
 * tree atomically, `git add` it (the LFS clean filter makes the pointer; checked), and record the
 * choice in the commit message file. A path that is not a model is refused (left to git).
 */
export async function resolveModelConflict(repo: ModelRepository, file: string, choice: ResolveChoice): Promise<ResolveResult> {
  const rel = repo.rel(file);
  const state = await conflictState(repo);
  const f = state.files.find((x) => x.path === rel);
  if (!f) {
    const others = state.files.map((x) => x.path);
    throw new RepoError(
      'NOT_CONFLICTED',
      `${rel} has no merge conflict` +
        (others.length ? ` (unmerged now: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''}).` : ' (no path is unmerged).') +
        ` To choose again for a path you resolved, \`git checkout -m -- ${rel}\` brings its conflict back.`,
    );
  }
  if (!f.model) {
    throw new RepoError(
      'NOT_A_MODEL',
      `${rel} is not a model file (it matches none of the model patterns), so Model Versions leaves its conflict to git: ` +
        `edit the file and \`git add ${rel}\`, or take one side with \`git checkout --ours -- ${rel}\` / \`git checkout --theirs -- ${rel}\` and \`git add ${rel}\`.`,
    );
  }
  let blob: string | undefined;
  let commit: string | undefined;
  let version: number | undefined;
  let what: string;
  const kind: ResolveResult['choice'] = 'side' in choice ? choice.side : 'version';
  if ('side' in choice) {
    const st = f[choice.side];
    blob = st?.blob;
    commit = state.commits[choice.side];
    what = `${sideName(choice.side, state.operation)}${commit ? ` (${commit.slice(0, 7)})` : ''}`;
    const v = await stageVersion(repo, rel, commit, st);
    version = v?.version;
  } else {
    const v = await repo.resolveVersion(rel, choice.version);
    if (v.files) throw new RepoError('NOT_A_MODEL', `${rel} is a folder model; resolve its files with git.`);
    blob = v.blob;
    commit = v.commit;
    version = v.version;
    what = `v${v.version} (${v.shortCommit})`;
  }
  if (!commit) throw new RepoError('NOT_FOUND', `Cannot tell which commit ${what} of ${rel} comes from: is the operation still in progress?`);
  const abs = repo.abs(rel);
  let sha = '';
  let size = 0;
  let stagedBlob: string | undefined;
  if (!blob) {
    // that side deleted the file: taking it means removing the path
    await repo.git.run(['rm', '-q', '--cached', '--', `:(literal)${rel}`]);
    fs.rmSync(abs, { force: true });
  } else {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    // beside the target (same file system: atomic rename); a killed process leaves a temp that cleanStaleTemp removes
    const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.modelver-resolve-${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`);
    try {
      ({ sha256: sha, size } = await writeBlobContent(repo, rel, blob, what, commit, tmp));
      const mode = (f.ours ?? f.theirs)?.mode === '100755' ? 0o755 : 0o644;
      fs.chmodSync(tmp, mode);
      fs.renameSync(tmp, abs);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    await repo.git.run(['add', '--', `:(literal)${rel}`]);
    stagedBlob = await checkStaged(repo, rel, sha, size, blob);
  }
  const trailerValue = { choice: kind === 'version' ? `v${version ?? '?'}` : kind, commit, path: rel };
  const trailer = `${TRAILER.resolved}: ${trailerValue.choice} ${trailerValue.commit} ${trailerValue.path}`;
  if (state.messageFile) {
    const before = fs.readFileSync(state.messageFile, 'utf8');
    fs.writeFileSync(state.messageFile, recordResolution(before, trailerValue));
  }
  const remaining = [...(await unmergedEntries(repo)).keys()].sort();
  return {
    path: rel,
    choice: kind,
    commit,
    ...(version !== undefined ? { version } : {}),
    sha256: sha,
    size,
    deleted: !blob,
    ...(stagedBlob ? { stagedBlob } : {}),
    trailer,
    ...(state.messageFile ? { messageFile: state.messageFile } : {}),
    ...(state.operation ? { operation: state.operation } : {}),
    remaining,
  };
}

/**
 * The path's index entry after `git add`: stage 0 only, and, when the chosen blob was an LFS pointer,
 * a valid pointer naming the bytes written (else the LFS filters are not configured).
 */
async function checkStaged(repo: ModelRepository, rel: string, sha: string, size: number, chosen: string): Promise<string> {
  const out = (await repo.git.run(['ls-files', '-s', '-z', '--', `:(literal)${rel}`])).stdout.toString('utf8').split('\0').filter(Boolean);
  const stages = out.map((l) => l.split('\t')[0].split(' '));
  if (stages.length !== 1 || stages[0][2] !== '0') throw new RepoError('CONFLICT', `${rel} is still unmerged after \`git add\`.`);
  const staged = stages[0][1];
  if (staged === chosen) return staged;
  const chosenInfo = (await readBlobInfos(repo.git, [chosen]))[chosen];
  const content = (await repo.git.run(['cat-file', 'blob', staged])).stdout;
  const pointer = parsePointer(content);
  if (chosenInfo?.lfs && !pointer) throw lfsNotConfigured();
  if (pointer && (pointer.oid !== sha || pointer.size !== size)) {
    throw new RepoError('VERIFY_FAILED', `The staged pointer of ${rel} names sha256 ${pointer.oid.slice(0, 12)}…, not the bytes written (${sha.slice(0, 12)}…).`);
  }
  return staged;
}
