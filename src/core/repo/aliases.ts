/**
 * Aliases live in one log ref, `refs/model-versions/aliases`: a chain of commits (parent = the
 * previous state) whose tree holds `aliases.json`. Each move is one commit; the ref's history is
 * the audit log. Built with hash-object/mktree/commit-tree/update-ref, so the work tree and the
 * index are never touched. See docs/storage.md.
 *
 * Every commit an alias points at (or pointed at) is kept reachable by a ref of its own,
 * `refs/model-versions/keep/<commit>`, written in the same ref transaction as the alias log: a
 * version aliased on a detached HEAD or on a branch deleted later is never lost to `git gc`.
 */
import type { Git } from './git';
import { RepoError } from './errors';
import { parseTrailers } from './trailers';
import type { AliasEvent, AliasTarget } from './types';

export const ALIAS_REF = 'refs/model-versions/aliases';
export const ALIAS_FILE = 'aliases.json';

export interface AliasState {
  schema: 1;
  /** model path → alias name → target */
  aliases: Record<string, Record<string, AliasTarget>>;
}

/** `refs/model-versions/keep/<commit>` points at <commit>: a commit an alias points (or pointed) at. */
export const KEEP_REF_PREFIX = 'refs/model-versions/keep/';
const ZERO = '0000000000000000000000000000000000000000';

export const emptyAliasState = (): AliasState => ({ schema: 1, aliases: {} });

/** The alias state at the alias ref's commit: `at` when the caller looked it up (null: the ref does not exist), else read. */
export async function readAliasState(git: Git, at?: string | null): Promise<{ commit?: string; state: AliasState }> {
  let commit = at;
  if (commit === undefined) {
    const r = await git.run(['rev-parse', '-q', '--verify', `${ALIAS_REF}^{commit}`], { allowFail: true });
    commit = r.code === 0 ? r.stdout.toString('utf8').trim() : null;
  }
  if (commit === null) return { state: emptyAliasState() };
  const blob = await git.run(['cat-file', 'blob', `${commit}:${ALIAS_FILE}`], { allowFail: true });
  if (blob.code !== 0) return { commit, state: emptyAliasState() };
  try {
    const j = JSON.parse(blob.stdout.toString('utf8')) as AliasState;
    if (!j || typeof j.aliases !== 'object') return { commit, state: emptyAliasState() };
    return { commit, state: { schema: 1, aliases: j.aliases } };
  } catch {
    throw new RepoError('GIT_FAILED', `${ALIAS_REF}:${ALIAS_FILE} is not valid JSON; fix or remove that ref.`);
  }
}

function stableJson(state: AliasState): string {
  const models = Object.keys(state.aliases).sort();
  const aliases: AliasState['aliases'] = {};
  for (const m of models) {
    const names = Object.keys(state.aliases[m]).sort();
    if (!names.length) continue;
    aliases[m] = {};
    for (const n of names) aliases[m][n] = { commit: state.aliases[m][n].commit, oid: state.aliases[m][n].oid };
  }
  return JSON.stringify({ schema: 1, aliases }, null, 2) + '\n';
}

/**
 * Write a new state as one commit on the alias ref; compare-and-swap against `parent`. Every target
 * of the state (and `keepAlso`: the target an alias moved away from) gets its keep ref in the same
 * transaction.
 */
export async function writeAliasState(
  git: Git,
  state: AliasState,
  message: string,
  parent: string | undefined,
  keepAlso: string[] = [],
): Promise<string> {
  const blob = (await git.run(['hash-object', '-w', '--no-filters', '--stdin'], { input: stableJson(state) })).stdout
    .toString('utf8')
    .trim();
  const tree = (await git.run(['mktree'], { input: `100644 blob ${blob}\t${ALIAS_FILE}\n` })).stdout.toString('utf8').trim();
  const args = ['commit-tree', tree];
  if (parent) args.push('-p', parent);
  args.push('-F', '-');
  const commit = (await git.run(args, { input: message })).stdout.toString('utf8').trim();
  // one transaction: the keep refs of every target, and the log ref moved by compare-and-swap
  const keep = await missingKeepRefs(git, state, keepAlso);
  const lines = keep.map((c) => `update ${KEEP_REF_PREFIX}${c} ${c}`);
  lines.push(`update ${ALIAS_REF} ${commit} ${parent ?? ZERO}`);
  const r = await git.run(['update-ref', '-m', 'modelver: ' + message.split('\n')[0], '--stdin'], {
    input: lines.join('\n') + '\n',
    allowFail: true,
  });
  if (r.code !== 0) {
    throw new RepoError('CONCURRENT_UPDATE', `The alias log changed while it was being written (${r.stderr.trim()}); try again.`);
  }
  return commit;
}

/** The commits of a state's targets (and `also`) that have no keep ref yet (and exist in this clone). */
export async function missingKeepRefs(git: Git, state: AliasState, also: string[] = []): Promise<string[]> {
  const targets = new Set<string>(also.filter((c) => /^[0-9a-f]{40,64}$/.test(c)));
  for (const names of Object.values(state.aliases)) for (const t of Object.values(names)) if (/^[0-9a-f]{40,64}$/.test(t.commit)) targets.add(t.commit);
  if (!targets.size) return [];
  const have = new Set(
    (await git.run(['for-each-ref', '--format=%(refname)', KEEP_REF_PREFIX])).stdout
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((r) => r.slice(KEEP_REF_PREFIX.length)),
  );
  const want = [...targets].filter((c) => !have.has(c));
  if (!want.length) return [];
  // a commit this clone does not have (pruned before keep refs existed, or never fetched) cannot be kept
  const r = await git.run(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: want.join('\n') + '\n' });
  const present = new Set(
    r.stdout
      .toString('utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((p) => p[1] === 'commit')
      .map((p) => p[0]),
  );
  return want.filter((c) => present.has(c)).sort();
}

export const ALIAS_TRAILER = {
  action: 'Alias-Action',
  model: 'Alias-Model',
  name: 'Alias-Name',
  fromCommit: 'Alias-From-Commit',
  fromOid: 'Alias-From-Oid',
  toCommit: 'Alias-To-Commit',
  toOid: 'Alias-To-Oid',
} as const;

export async function readAliasLog(git: Git): Promise<AliasEvent[]> {
  const ok = await git.ok(['rev-parse', '-q', '--verify', `${ALIAS_REF}^{commit}`]);
  if (!ok) return [];
  // -z: records end with a NUL (a message cannot hold one); hash, name, email and date are one line
  // each (none can hold a line break), so a name with \x1e or \x1f in it shifts nothing
  const out = (await git.run(['log', '-z', '--format=%H%n%an%n%ae%n%aI%n%cI%n%B', ALIAS_REF])).stdout.toString('utf8');
  const events: AliasEvent[] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const f = rec.split('\n');
    if (f.length < 6 || !/^[0-9a-f]{40,64}$/.test(f[0])) {
      throw new RepoError('GIT_FAILED', `Unexpected \`git log ${ALIAS_REF}\` output: ${JSON.stringify(rec.slice(0, 120))}.`);
    }
    const [hash, name, email, date, committed] = f;
    const message = f.slice(5).join('\n').trim();
    const t = parseTrailers(message);
    const action = t[ALIAS_TRAILER.action];
    if (action !== 'set' && action !== 'remove') continue;
    const target = (c?: string, o?: string): AliasTarget | undefined => (c && c !== 'none' ? { commit: c, oid: o ?? '' } : undefined);
    events.push({
      logCommit: hash,
      action,
      model: t[ALIAS_TRAILER.model] ?? '',
      alias: t[ALIAS_TRAILER.name] ?? '',
      from: target(t[ALIAS_TRAILER.fromCommit], t[ALIAS_TRAILER.fromOid]),
      to: target(t[ALIAS_TRAILER.toCommit], t[ALIAS_TRAILER.toOid]),
      who: { name, email },
      date,
      committedAt: committed,
      message,
    });
  }
  return events;
}

/** The alias state in force at `at`, read from the log ref's history (docs/storage.md, "Aliases"). */
export interface AliasStateAt {
  /** the move in force at `at` (the newest log commit whose committer date is ≤ `at`); undefined before the first move */
  logCommit?: string;
  /** its committer date, ISO 8601 */
  movedAt?: string;
  state: AliasState;
  /** the first move's committer date; undefined when no alias was ever set */
  firstMove?: string;
}

/**
 * The alias state at an instant: the state of the newest commit of the alias log (first parents,
 * newest first) whose committer date is at or before `at`. Git dates have whole seconds; a move at
 * exactly `at` counts.
 */
export async function readAliasStateAt(git: Git, at: Date): Promise<AliasStateAt> {
  const ok = await git.ok(['rev-parse', '-q', '--verify', `${ALIAS_REF}^{commit}`]);
  if (!ok) return { state: emptyAliasState() };
  const lines = (await git.run(['log', '--first-parent', '--format=%H %ct %cI', ALIAS_REF])).stdout.toString('utf8').split('\n').filter(Boolean);
  const moves = lines.map((l) => {
    const [hash, secs, iso] = l.split(' ');
    return { hash, ms: Number(secs) * 1000, iso };
  });
  const firstMove = moves[moves.length - 1]?.iso;
  const hit = moves.find((m) => m.ms <= at.getTime());
  if (!hit) return { state: emptyAliasState(), firstMove };
  const blob = await git.run(['cat-file', 'blob', `${hit.hash}:${ALIAS_FILE}`], { allowFail: true });
  let state = emptyAliasState();
  if (blob.code === 0) {
    try {
      const j = JSON.parse(blob.stdout.toString('utf8')) as AliasState;
      if (j && typeof j.aliases === 'object') state = { schema: 1, aliases: j.aliases };
    } catch {
      throw new RepoError('GIT_FAILED', `${hit.hash.slice(0, 7)}:${ALIAS_FILE} of ${ALIAS_REF} is not valid JSON.`);
    }
  }
  return { logCommit: hit.hash, movedAt: hit.iso, state, firstMove };
}

/**
 * A date given by a person: \`YYYY-MM-DD\` (the end of that day, UTC: what held on that date) or ISO 8601
 * with a time (\`2024-03-01T12:00\`, seconds and fractions optional, \`Z\` or \`±HH:MM\`; no offset means
 * UTC). Throws a RepoError (BAD_DATE) saying what is accepted.
 */
export function parseDateArg(text: string, what = 'the date'): Date {
  const s = text.trim();
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const full = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  const bad = (why: string) =>
    new RepoError('BAD_DATE', `${what} '${text}' ${why}: give a date as YYYY-MM-DD (e.g. 2024-03-01, the end of that day in UTC) or ISO 8601 (e.g. 2024-03-01T12:00:00Z).`);
  const m = day ?? full;
  if (!m) throw bad('is not a date');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || mo > 12 || check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw bad('is not a day of the calendar');
  if (day) return new Date(Date.UTC(y, mo - 1, d, 23, 59, 59, 999));
  const [h, mi, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || sec > 59) throw bad('has no such time of day');
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  let t = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  const z = m[8];
  if (z && z.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(z)!;
    const off = (Number(zm[2]) * 60 + Number(zm[3])) * 60000;
    if (Number(zm[2]) > 14 || Number(zm[3]) > 59) throw bad('has no such UTC offset');
    t -= zm[1] === '+' ? off : -off;
  }
  return new Date(t);
}
