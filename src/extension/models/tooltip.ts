/**
 * The Markdown of the Model Versions tree's tooltips, built as plain strings (no vscode here, so unit
 * tests read exactly what the tree hands to its MarkdownString).
 *
 * Every string in a tooltip comes from a model file, a file name or a commit someone wrote: it is
 * text, never Markdown. Outside code spans each Markdown character is backslash-escaped; inside a
 * code span nothing is (Markdown shows a code span's characters as they are, backslashes included),
 * and a value with backticks gets a longer fence. The MarkdownString is never trusted (no command
 * links), so nothing from a model can run a command.
 */
import { formatBytes } from '../../core/formats/describe';
import { parseMessage, TRAILER, type AliasEvent, type ModelEntry, type ModelVersion } from '../../core/repo';
import { commitMetricsOf, metricsOf } from '../details/viewModel';

/** Text for a Markdown line, outside code spans: every Markdown (and theme-icon `$(…)`) character escaped. */
export function mdEscape(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>~$&=:]/g, (c) => '\\' + c);
}

/**
 * An inline code span that shows `s` exactly: nothing inside is escaped; the fence is one backtick
 * longer than the longest run of backticks in `s`, with a space inside it where `s` starts or ends
 * with a backtick or a space (CommonMark takes one space off each side of such a span).
 */
export function mdCode(s: string): string {
  const text = s.replace(/[\r\n]+/g, ' ');
  if (!text) return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) && text.trim() ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Lines of text as Markdown: escaped, each line kept (hard breaks), an empty line a new paragraph, indents kept. */
export function mdText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => mdEscape(line).replace(/^[ \t]+/, (ws) => '&nbsp;'.repeat(ws.length)))
    .join('  \n');
}

const TRAILER_LABELS: [string, string][] = [
  [TRAILER.change, 'Change'],
  [TRAILER.params, 'Parameters'],
  [TRAILER.inputs, 'Inputs'],
  [TRAILER.outputs, 'Outputs'],
  [TRAILER.format, 'Format'],
];

/** The tooltip of a version: the message as written, then the facts the commit recorded. */
export function versionTooltipMarkdown(v: ModelVersion, formatDate: (iso: string) => string = (d) => new Date(d).toLocaleString()): string {
  const msg = parseMessage(v.message, v);
  const out: string[] = [];
  out.push(`**v${v.version}** of ${mdCode(v.model)}${v.outsideHistory && v.branch ? ` on $(git-branch) ${mdCode(v.branch)}` : ''} · $(git-commit) ${mdCode(v.shortCommit)}\n\n`);
  out.push(`**${mdEscape(msg.subject)}**\n\n`);
  if (msg.body) out.push(`${mdText(msg.body)}\n\n`);
  out.push('---\n\n');
  out.push(`$(person) ${mdEscape(v.author.name)} · $(calendar) ${mdEscape(formatDate(v.date))}\n\n`);
  if (v.files) {
    // a folder model (a sharded safetensors model's folder): its files, the shards through LFS
    const shards = v.files.filter((f) => f.lfs).length;
    out.push(`Size ${mdEscape(formatBytes(v.size))} · ${v.files.length} file${v.files.length === 1 ? '' : 's'}${shards ? ` (${shards} through LFS)` : ''} · ${mdCode(`${v.contentId.slice(0, 22)}…`)}\n\n`);
  } else out.push(`Size ${mdEscape(formatBytes(v.size))} · ${v.lfs ? `LFS ${mdCode(`sha256:${(v.oid ?? '').slice(0, 16)}…`)}` : 'plain git blob'}\n\n`);
  if (v.path !== v.model) out.push(`Path in this version: ${mdCode(v.path)}\n\n`);
  if (v.trailers[TRAILER.breaking] === 'true') out.push('$(warning) **Breaking interface change**  \n');
  for (const [key, label] of TRAILER_LABELS) {
    if (v.trailers[key]) out.push(`${label}: ${mdCode(v.trailers[key])}  \n`);
  }
  const atCommit = commitMetricsOf(v);
  if (atCommit.length) out.push(`\n$(graph) Metrics recorded at commit: ${atCommit.map((m) => `${mdEscape(m.label)} ${mdCode(m.value)}`).join(' · ')}\n\n`);
  if (v.aliases.length) out.push(`\n$(rocket) Aliases: ${v.aliases.map((a) => `**${mdEscape(a)}**`).join(', ')}\n\n`);
  if (v.tags.length) out.push(`\n$(tag) Tags: ${v.tags.map((t) => mdCode(t.name)).join(', ')}\n\n`);
  const later = metricsOf(v);
  if (later.length) out.push(`\n$(graph) Metrics in the notes: ${later.map((m) => `${mdEscape(m.label)} ${mdCode(m.value)}`).join(' · ')}\n`);
  return out.join('');
}

/** The tooltip of a model: its path, how many versions, HEAD's content id and size. */
export function modelTooltipMarkdown(e: ModelEntry, count: number): string {
  const out = [`**${mdEscape(e.path)}**\n\n`];
  out.push(count ? `${count} version${count === 1 ? '' : 's'}` : 'Not committed yet: right-click it → *Commit Model Version…*');
  if (e.headOid) out.push(`\n\nHEAD: ${mdCode(`sha256:${e.headOid.slice(0, 16)}…`)} · ${mdEscape(formatBytes(e.headSize ?? 0))}`);
  if (e.folder) out.push(`\n\nA sharded model's folder: its shards, index, config and tokenizer files are one model${e.committed ? ` (${mdEscape(formatBytes(e.headSize ?? 0))} at HEAD)` : ''}.`);
  if (e.committed && !e.lfs) out.push('\n\n$(warning) Stored as a plain git blob, not with Git LFS.');
  return out.join('');
}

/** An alias move's tree label: `production: v2 → v3`, `staging: v3 → removed`, `champion: set to v1`. */
export function aliasMoveLabel(e: AliasEvent, versionLabel: (commit: string | undefined) => string | undefined): string {
  const from = versionLabel(e.from?.commit);
  const to = versionLabel(e.to?.commit);
  if (e.action === 'remove') return `${e.alias}: ${from ?? '?'} → removed`;
  return from ? `${e.alias}: ${from} → ${to ?? '?'}` : `${e.alias}: set to ${to ?? '?'}`;
}

/** An alias move's tooltip: who, when, from, to (versions and commits), and the log commit. */
export function aliasMoveTooltipMarkdown(
  e: AliasEvent,
  versionLabel: (commit: string | undefined) => string | undefined,
  formatDate: (iso: string) => string = (d) => new Date(d).toLocaleString(),
): string {
  const target = (t: AliasEvent['from']) => (t ? `${mdEscape(versionLabel(t.commit) ?? '?')} ${mdCode(t.commit.slice(0, 12))}` : '—');
  const out = [`**${mdEscape(e.alias)}** of ${mdCode(e.model)} ${e.action === 'remove' ? 'removed' : e.from ? 'moved' : 'set'}\n\n`];
  out.push(`$(person) Who: ${mdEscape(e.who.name)} ${mdCode(`<${e.who.email}>`)}  \n`);
  out.push(`$(calendar) When: ${mdEscape(formatDate(e.committedAt ?? e.date))} (${mdCode(e.committedAt ?? e.date)})  \n`);
  out.push(`From: ${target(e.from)}  \n`);
  out.push(`To: ${e.action === 'remove' ? '(removed)' : target(e.to)}\n\n`);
  out.push(`Recorded in ${mdCode('refs/model-versions/aliases')} as ${mdCode(e.logCommit.slice(0, 12))}`);
  return out.join('');
}
