/**
 * Aliases live in one log ref, `refs/model-versions/aliases`: a chain of commits (parent = the
 * previous state) whose tree holds `aliases.json`. Each move is one commit; the ref's history is
 * the audit log. Built with hash-object/mktree/commit-tree/update-ref, so the work tree and the
 * index are never touched. See docs/storage.md.
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

export const emptyAliasState = (): AliasState => ({ schema: 1, aliases: {} });

export async function readAliasState(git: Git): Promise<{ commit?: string; state: AliasState }> {
  const r = await git.run(['rev-parse', '-q', '--verify', `${ALIAS_REF}^{commit}`], { allowFail: true });
  if (r.code !== 0) return { state: emptyAliasState() };
  const commit = r.stdout.toString('utf8').trim();
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

/** Write a new state as one commit on the alias ref; compare-and-swap against `parent`. */
export async function writeAliasState(git: Git, state: AliasState, message: string, parent: string | undefined): Promise<string> {
  const blob = (await git.run(['hash-object', '-w', '--no-filters', '--stdin'], { input: stableJson(state) })).stdout
    .toString('utf8')
    .trim();
  const tree = (await git.run(['mktree'], { input: `100644 blob ${blob}\t${ALIAS_FILE}\n` })).stdout.toString('utf8').trim();
  const args = ['commit-tree', tree];
  if (parent) args.push('-p', parent);
  args.push('-F', '-');
  const commit = (await git.run(args, { input: message })).stdout.toString('utf8').trim();
  const r = await git.run(
    ['update-ref', '-m', 'modelver: ' + message.split('\n')[0], ALIAS_REF, commit, parent ?? '0000000000000000000000000000000000000000'],
    { allowFail: true },
  );
  if (r.code !== 0) {
    throw new RepoError('CONCURRENT_UPDATE', `The alias log changed while it was being written (${r.stderr.trim()}); try again.`);
  }
  return commit;
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
  const out = (await git.run(['log', '--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%B', ALIAS_REF])).stdout.toString('utf8');
  const events: AliasEvent[] = [];
  for (const rec of out.split('\x1e')) {
    if (!rec) continue;
    const [hash, name, email, date, ...rest] = rec.split('\x1f');
    const message = rest.join('\x1f').trim();
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
      message,
    });
  }
  return events;
}
