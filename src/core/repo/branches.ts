/**
 * Versions on other branches (issue #17): the local branches and remote-tracking branches, the
 * version specs that name them (`m.onnx@experiment`, `m.onnx@origin/main`, `m.onnx@experiment~1`),
 * and per branch the versions of each model that are not on the current branch.
 *
 * A branch's versions are numbered in that branch's own history (v1 = the model's first version
 * reachable from the branch), so a version the current branch shares keeps its number.
 */
import type { Git } from './git';
import { RepoError } from './errors';
import { buildHistories } from './versions';
import { scanFull, type BlobInfo } from './history';
import type { ModelHistory, ModelVersion } from './types';

/** Which branches the Model Versions view and `modelver log --all` show besides the current one. */
export type BranchShow = 'local' | 'local and remote' | 'none';

export interface BranchRef {
  /** full ref name: refs/heads/experiment, refs/remotes/origin/main */
  ref: string;
  /** short name as git shows it: experiment, origin/main */
  name: string;
  remote: boolean;
  /** the commit the branch points at */
  tip: string;
}

export interface BranchModel {
  /** the model's path on the current branch when it has one there (renames followed), else its path on the branch */
  model: string;
  /** the model's path at the branch's tip */
  pathOnBranch: string;
  /** the versions reachable from the branch but not from HEAD, oldest first (numbered in the branch's history) */
  versions: ModelVersion[];
  /** how many versions the model has on the branch in all */
  total: number;
}

export interface BranchGroup extends BranchRef {
  /** commits on the branch that HEAD does not have */
  ahead: number;
  /** commits HEAD has that the branch does not */
  behind: number;
  /** models with versions not on the current branch (sorted by path) */
  models: BranchModel[];
}

/** A spec that may name a branch: `<name>` or `<name>~N` (`~` alone is `~1`, as in git). */
export function parseBranchSpec(spec: string): { name: string; back: number } | undefined {
  const m = /^([^~\s]+?)(?:~(\d*))?$/.exec(spec);
  if (!m || m[1].startsWith('-')) return undefined;
  return { name: m[1], back: m[2] === undefined ? 0 : m[2] === '' ? 1 : Number(m[2]) };
}

/** Whether a branch's short name matches a pattern (`*` any run of characters but `/`, `**` any run). */
export function branchMatches(name: string, pattern: string): boolean {
  const re = pattern
    .split(/(\*\*|\*)/)
    .map((p) => (p === '**' ? '.*' : p === '*' ? '[^/]*' : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(name);
}

/** The local branches and remote-tracking branches (`refs/remotes/*\/HEAD` left out), sorted by ref. */
export async function listBranchRefs(git: Git, remotes: boolean): Promise<(BranchRef & { /** checked out (HEAD names it) */ current: boolean })[]> {
  const out = await git.text(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(symref)%00%(HEAD)', 'refs/heads', ...(remotes ? ['refs/remotes'] : [])]);
  const refs: (BranchRef & { current: boolean })[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [ref, tip, symref, head] = line.split('\0');
    if (symref) continue; // refs/remotes/origin/HEAD → origin/main: listed under its own name
    const remote = ref.startsWith('refs/remotes/');
    refs.push({ ref, name: ref.slice(remote ? 'refs/remotes/'.length : 'refs/heads/'.length), remote, tip, current: head === '*' });
  }
  return refs;
}

/**
 * The branch a name means, in git's order for short names after tags: refs/heads/<name>, then
 * refs/remotes/<name>; a full `refs/heads/…` or `refs/remotes/…` name means that ref. Undefined when none exists.
 */
export async function findBranch(git: Git, name: string): Promise<BranchRef | undefined> {
  if (name.startsWith('-')) return undefined;
  const candidates = name.startsWith('refs/heads/') || name.startsWith('refs/remotes/') ? [name] : [`refs/heads/${name}`, `refs/remotes/${name}`];
  // for-each-ref matches patterns by leading path components: keep exact names only
  const out = await git.text(['for-each-ref', '--format=%(refname)%00%(objectname)', ...candidates]);
  const found = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [ref, tip] = line.split('\0');
    if (ref && tip) found.set(ref, tip);
  }
  for (const ref of candidates) {
    const tip = found.get(ref);
    if (!tip) continue;
    const remote = ref.startsWith('refs/remotes/');
    return { ref, name: ref.slice(remote ? 'refs/remotes/'.length : 'refs/heads/'.length), remote, tip };
  }
  return undefined;
}

/** `git rev-list --left-right --count HEAD...tip`: [behind, ahead] of the branch against HEAD. */
export async function aheadBehind(git: Git, head: string | undefined, tip: string): Promise<{ ahead: number; behind: number }> {
  if (!head) return { ahead: Number((await git.text(['rev-list', '--count', tip])).trim()), behind: 0 };
  const [behind, ahead] = (await git.text(['rev-list', '--left-right', '--count', `${head}...${tip}`])).trim().split(/\s+/).map(Number);
  return { ahead, behind };
}

/**
 * Every model's history as of a commit (numbered in that commit's own history): one `git log` pass,
 * reading no pointer blob that `known` already describes.
 */
export async function historiesAt(
  git: Git,
  commit: string,
  isModel: (p: string) => boolean,
  known: Record<string, BlobInfo>,
  key: string,
): Promise<ReadonlyMap<string, ModelHistory>> {
  const scan = await scanFull(git, commit, isModel, known);
  return buildHistories({ key, head: commit, commits: scan.commits, blobs: { ...known, ...scan.blobs } }, isModel);
}

/** The lineage in `there` that is the model `h` (they share a path), or the one at `path`. */
export function sameModel(there: ReadonlyMap<string, ModelHistory>, paths: readonly string[]): ModelHistory | undefined {
  for (const p of paths) {
    const x = there.get(p);
    if (x) return x;
  }
  return [...there.values()].find((x) => x.paths.some((p) => paths.includes(p)));
}

/** The remote and branch to name in `git lfs fetch <remote> <branch>` for a branch. */
export async function lfsFetchHint(git: Git, b: BranchRef): Promise<string> {
  if (b.remote) {
    const slash = b.name.indexOf('/');
    return `git lfs fetch ${b.name.slice(0, slash)} ${b.name.slice(slash + 1)}`;
  }
  const remote = (await git.run(['config', '--get', `branch.${b.name}.remote`], { allowFail: true })).stdout.toString('utf8').trim();
  return `git lfs fetch ${remote || 'origin'} ${b.name}`;
}

/** The error for a branch spec that names no branch. */
export function noSuchBranch(model: string, name: string, known: BranchRef[]): RepoError {
  const list = known.map((b) => b.name);
  return new RepoError(
    'NO_SUCH_VERSION',
    `${model} has no version '${name}': no version number, alias, tag, branch or remote-tracking branch has that name${
      list.length ? ` (branches: ${list.slice(0, 8).join(', ')}${list.length > 8 ? ', …' : ''})` : ''
    }. A remote branch is named as <remote>/<branch> after \`git fetch\`.`,
  );
}
