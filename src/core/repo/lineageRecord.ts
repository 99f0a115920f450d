/**
 * Lineage recorded at commit time (docs/storage.md, "Lineage"): what the user gave, checked and
 * resolved (resolveLineage), and its trailers `Model-Derived-From`, `Model-Dataset` (repeatable),
 * `Model-Code`, `Model-Train-Params` (lineageTrailers). It lives with the commit that writes it;
 * src/core/lineage reads it back and builds the graph (lineage is built on repo, never the reverse).
 */
import * as fs from 'fs';
import * as path from 'path';
import { RepoError } from './errors';
import type { Git } from './git';
import { parsePointer, sha256File } from './lfs';
import type { ModelVersion } from './types';

export interface LineageInput {
  /** another model's version this one was derived (fine-tuned) from */
  derivedFrom?: { model: string; version: string | number };
  /** data used, repo-relative paths; recorded with their blob / LFS oid (sha256) at commit time */
  datasets?: { path: string; role?: string /* train | validation | test | … */ }[];
  /** the code commit the model was produced from (default: HEAD at commit time) */
  codeCommit?: string;
  /** training parameters */
  params?: Record<string, unknown>;
}

/** One dataset as recorded in a `Model-Dataset` trailer. */
export interface DatasetRecord {
  role: string;
  /** repository path, forward slashes */
  path: string;
  /** sha256 of the bytes (the LFS oid when the file is LFS-tracked), 64 hex */
  sha256: string;
  /** the plain git blob id, when the file was committed at HEAD as a plain blob with these bytes */
  blob?: string;
}

/** The lineage of one version, as recorded in its commit message. */
export interface LineageRecord {
  derivedFrom?: { path: string; commit: string };
  datasets: DatasetRecord[];
  codeCommit?: string;
  params?: Record<string, unknown>;
}

/** What `commitModel` recorded (CommitResult.lineage). */
export interface LineageRecorded extends LineageRecord {
  /** the version `derivedFrom` resolved to */
  derivedFromVersion?: { model: string; version: number; shortCommit: string };
  /** facts worth telling the user (a dataset that is not committed, …) */
  warnings: string[];
}

export const LINEAGE_TRAILER = {
  derivedFrom: 'Model-Derived-From',
  dataset: 'Model-Dataset',
  code: 'Model-Code',
  params: 'Model-Train-Params',
} as const;

/** Largest compact JSON of the training parameters kept in the commit message. */
export const MAX_PARAMS_BYTES = 4096;
/** At most this many datasets per version. */
export const MAX_DATASETS = 64;
export const DEFAULT_ROLE = 'data';
const ROLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/** What resolveLineage needs of the repository (ModelRepository has it). */
export interface LineageRepo {
  readonly git: Git;
  rel(file: string): string;
  abs(rel: string): string;
  resolveVersion(model: string, spec?: string | number): Promise<ModelVersion>;
}

/**
 * Check and resolve what the user gave into the facts to record; nothing is written. Throws a
 * RepoError saying what is wrong and what to do.
 * @param head HEAD's commit before the commit (the default code commit), if any
 */
export async function resolveLineage(repo: LineageRepo, input: LineageInput, head: string | undefined, model: string): Promise<LineageRecorded> {
  const out: LineageRecorded = { datasets: [], warnings: [] };
  if (input.derivedFrom) {
    const { model: m, version } = input.derivedFrom;
    if (typeof m !== 'string' || !m.trim()) throw new RepoError('INVALID_NAME', 'derived-from: name the model it was derived from (MODEL@VERSION, e.g. models/base.onnx@v2).');
    const v = await repo.resolveVersion(repoPath(repo, m.trim()), version === undefined || version === '' ? 'latest' : version);
    out.derivedFrom = { path: v.path, commit: v.commit };
    out.derivedFromVersion = { model: v.model, version: v.version, shortCommit: v.shortCommit };
  }
  const ds = input.datasets ?? [];
  if (ds.length > MAX_DATASETS) throw new RepoError('INVALID_NAME', `${ds.length} datasets given; at most ${MAX_DATASETS} are recorded per version (name the folders' key files).`);
  const seen = new Set<string>();
  for (const d of ds) {
    const role = (d.role ?? DEFAULT_ROLE).trim() || DEFAULT_ROLE;
    if (!ROLE.test(role)) {
      throw new RepoError('INVALID_NAME', `Dataset role '${role}' is not valid: use letters, digits, '.', '_' or '-' (train, validation, test…), at most 32 characters.`);
    }
    if (typeof d.path !== 'string' || !d.path.trim()) throw new RepoError('INVALID_NAME', 'A dataset path is empty.');
    if (/[\n\r]/.test(d.path)) throw new RepoError('INVALID_NAME', 'Dataset paths with line breaks are not supported.');
    const rel = repo.rel(repoPath(repo, d.path));
    if (rel === model) throw new RepoError('INVALID_NAME', `${rel} is the model being committed, not a dataset.`);
    const key = `${role}\0${rel}`;
    if (seen.has(key)) throw new RepoError('INVALID_NAME', `Dataset ${rel} (${role}) is given twice.`);
    seen.add(key);
    out.datasets.push(await datasetRecord(repo, rel, role, head, out.warnings));
  }
  if (input.codeCommit !== undefined || head) {
    const rev = input.codeCommit?.trim() || head!;
    if (rev.startsWith('-') || /[\s\0]/.test(rev)) throw new RepoError('INVALID_NAME', `'${rev}' is not a revision.`);
    const r = await repo.git.run(['rev-parse', '-q', '--verify', '--end-of-options', `${rev}^{commit}`], { allowFail: true });
    if (r.code !== 0) {
      throw new RepoError('NOT_FOUND', `Code commit '${rev}' is not a commit in this repository (give a commit id, branch or tag that \`git rev-parse\` knows).`);
    }
    out.codeCommit = r.stdout.toString('utf8').trim();
  }
  if (input.params !== undefined) out.params = checkParams(input.params);
  return out;
}

/** An absolute path as it is; a relative one is relative to the repository root (not the current directory). */
function repoPath(repo: LineageRepo, p: string): string {
  return path.isAbsolute(p) ? p : repo.abs(p.replace(/\\/g, '/'));
}

async function datasetRecord(repo: LineageRepo, rel: string, role: string, head: string | undefined, warnings: string[]): Promise<DatasetRecord> {
  const abs = repo.abs(rel);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new RepoError('NOT_FOUND', `Dataset ${rel} does not exist (paths are relative to the repository root ${repo.abs('')}).`);
  }
  if (!st.isFile()) throw new RepoError('NOT_FOUND', `Dataset ${rel} is not a regular file (name a file, e.g. the CSV or NPZ that was used).`);
  // a working copy that is still an LFS pointer (not smudged) names its bytes by the pointer's oid
  let sha256: string;
  const small = st.size <= 1024 ? parsePointer(fs.readFileSync(abs)) : undefined;
  if (small) sha256 = small.oid;
  else sha256 = (await sha256File(abs)).oid;
  const rec: DatasetRecord = { role, path: rel, sha256 };
  let committed = false;
  if (head) {
    const r = await repo.git.run(['rev-parse', '-q', '--verify', `${head}:${rel}`], { allowFail: true });
    if (r.code === 0) {
      const blob = r.stdout.toString('utf8').trim();
      const body = await repo.git.run(['cat-file', '-s', blob]);
      const size = Number(body.stdout.toString('utf8').trim());
      const pointer = size <= 1024 ? parsePointer((await repo.git.run(['cat-file', 'blob', blob])).stdout) : undefined;
      if (pointer) committed = pointer.oid === sha256;
      else {
        const h = (await repo.git.run(['hash-object', '--', rel], { allowFail: true })).stdout.toString('utf8').trim();
        if (h === blob) {
          committed = true;
          rec.blob = blob;
        }
      }
    }
  }
  if (!committed) {
    warnings.push(
      `Dataset ${rel} is not committed as it is now: its sha256 is recorded, but its bytes are only in your working tree. Commit it (Git LFS for large files) so this version can be reproduced.`,
    );
  }
  return rec;
}

/** Training parameters: a JSON object, finite numbers, at most MAX_PARAMS_BYTES compact. */
export function checkParams(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new RepoError('INVALID_NAME', 'Training parameters must be an object of names and values (e.g. {"lr": 0.001, "epochs": 20}).');
  }
  const bad: string[] = [];
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'number' && !Number.isFinite(v)) bad.push(at);
    else if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol' || v instanceof Date) bad.push(at);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
  };
  walk(params, '');
  if (bad.length) throw new RepoError('INVALID_NAME', `Training parameters must be JSON values; not these: ${bad.slice(0, 5).join(', ')} (infinite/NaN numbers, dates, …). Write them as strings.`);
  const json = JSON.stringify(params);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_PARAMS_BYTES) {
    throw new RepoError(
      'INVALID_NAME',
      `The training parameters are ${bytes} bytes as JSON; at most ${MAX_PARAMS_BYTES} are recorded in the commit. Keep the hyper-parameters (learning rate, epochs, batch size…) and leave out large lists or configs.`,
    );
  }
  return JSON.parse(json) as Record<string, unknown>;
}

/** The trailers for a resolved lineage, in a fixed order. */
export function lineageTrailers(l: LineageRecord): [string, string][] {
  const t: [string, string][] = [];
  if (l.derivedFrom) t.push([LINEAGE_TRAILER.derivedFrom, `${l.derivedFrom.path}@${l.derivedFrom.commit}`]);
  for (const d of l.datasets) t.push([LINEAGE_TRAILER.dataset, `${d.role} ${d.path} sha256:${d.sha256}${d.blob ? ` git:${d.blob}` : ''}`]);
  if (l.codeCommit) t.push([LINEAGE_TRAILER.code, l.codeCommit]);
  if (l.params) t.push([LINEAGE_TRAILER.params, JSON.stringify(l.params)]);
  return t;
}
