/**
 * Metadata added after a commit (evaluation results, lineage links): git notes in
 * `refs/notes/model-versions`, one JSON document per commit: {"schema":1,"models":{"<path>":{…}}}.
 */
import type { Git } from './git';
import { RepoError } from './errors';

export const NOTES_REF = 'refs/notes/model-versions';

export interface NotesDoc {
  schema: 1;
  models: Record<string, Record<string, unknown>>;
}

/** commit → note document, for every commit that has a note. */
export async function readAllNotes(git: Git): Promise<Map<string, NotesDoc>> {
  const res = new Map<string, NotesDoc>();
  const list = await git.run(['notes', `--ref=${NOTES_REF}`, 'list'], { allowFail: true });
  if (list.code !== 0) return res;
  const pairs = list.stdout
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ') as [string, string]);
  if (!pairs.length) return res;
  const r = await git.run(['cat-file', '--batch'], { input: pairs.map((p) => p[0]).join('\n') + '\n' });
  const buf = r.stdout;
  let pos = 0;
  const blobs = new Map<string, string>();
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const [sha, type, size] = buf.toString('utf8', pos, nl).split(' ');
    if (type === 'missing') {
      pos = nl + 1;
      continue;
    }
    const n = Number(size);
    blobs.set(sha, buf.toString('utf8', nl + 1, nl + 1 + n));
    pos = nl + 1 + n + 1;
  }
  for (const [blob, commit] of pairs) {
    const doc = parseNote(blobs.get(blob));
    if (doc) res.set(commit, doc);
  }
  return res;
}

export function parseNote(text: string | undefined): NotesDoc | undefined {
  if (!text) return undefined;
  try {
    const j = JSON.parse(text) as NotesDoc;
    if (j && typeof j === 'object' && j.models && typeof j.models === 'object') return { schema: 1, models: j.models };
  } catch {
    /* a note someone wrote by hand that is not ours */
  }
  return undefined;
}

export async function readNote(git: Git, commit: string): Promise<NotesDoc | undefined> {
  const r = await git.run(['notes', `--ref=${NOTES_REF}`, 'show', commit], { allowFail: true });
  return r.code === 0 ? parseNote(r.stdout.toString('utf8')) : undefined;
}

export async function writeNote(git: Git, commit: string, doc: NotesDoc): Promise<void> {
  const r = await git.run(['notes', `--ref=${NOTES_REF}`, 'add', '-f', '-F', '-', commit], {
    input: JSON.stringify(doc),
    allowFail: true,
  });
  if (r.code !== 0) throw new RepoError('GIT_FAILED', `Cannot write the note on ${commit.slice(0, 7)}: ${r.stderr.trim()}`, r.stderr);
}

/** Deep-merge plain objects (arrays and other values are replaced). */
export function mergeDeep(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (isPlain(cur) && isPlain(v)) into[k] = mergeDeep({ ...cur }, v);
    else if (v === undefined) delete into[k];
    else into[k] = v;
  }
  return into;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
