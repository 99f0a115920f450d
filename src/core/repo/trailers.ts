/**
 * Commit-message trailers ("Key: value" lines in the last paragraph), and the rule that tells what
 * Model Versions recorded from what a user typed (docs/storage.md, "What counts as recorded").
 */

export const TRAILER = {
  path: 'Model-Path',
  oid: 'Model-Oid',
  size: 'Model-Size',
  format: 'Model-Format',
  params: 'Model-Params',
  inputs: 'Model-Inputs',
  outputs: 'Model-Outputs',
  revertOf: 'Model-Revert-Of',
  /** promote (issue #17): the branch and commit of the version whose bytes this one commits */
  promotedFrom: 'Model-Promoted-From',
  change: 'Model-Change',
  breaking: 'Model-Breaking',
  /** a model merge conflict resolved by `modelver resolve` / Open Model Merge: `<choice> <commit> <path>` (conflicts.ts) */
  resolved: 'Model-Resolved',
} as const;

/**
 * The first line of the trailers `modelver commit` writes. Our trailers are the lines from it to the
 * end of the message's final paragraph; a `Model-*` line anywhere else is the user's text.
 */
export const RECORD_MARKER = 'Model-Versions-Trailers';
export const RECORD_MARKER_VALUE = '1';

/** Keys of our namespace (`Model-…`, any case): only ever facts when inside the recorded block. */
export const isRecordKey = (key: string): boolean => /^model-/i.test(key);

const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*)\s*:\s?(.*)$/;

/** The final paragraph of a message (trailing whitespace ignored); undefined when it has only one. */
function finalParagraph(message: string): string[] | undefined {
  const paras = message.replace(/\s+$/, '').split(/\n[ \t]*\n/);
  return paras.length < 2 ? undefined : paras[paras.length - 1].split('\n');
}

/** Every trailer line of a paragraph, in order (repeated keys kept; continuation lines joined). */
function trailerLines(lines: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const line of lines) {
    const m = TRAILER_LINE.exec(line);
    if (m) out.push([m[1], m[2]]);
    else if (out.length && /^\s+/.test(line)) out[out.length - 1][1] += ' ' + line.trim();
  }
  return out;
}

/** The trailers of a message's last paragraph (the same rule as `git interpret-trailers`, simplified). */
export function parseTrailers(message: string): Record<string, string> {
  return Object.fromEntries(finalTrailers(message));
}

/** Every trailer of a message's last paragraph, in order (repeated keys kept, continuation lines joined). */
export function finalTrailers(message: string): [string, string][] {
  const lines = finalParagraph(message);
  return lines ? trailerLines(lines) : [];
}

/** Append trailers to a message as a final paragraph (merging into an existing trailer block). */
export function appendTrailers(message: string, trailers: [string, string][]): string {
  const body = message.replace(/\s+$/, '');
  const lines = trailers.map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}`);
  if (!lines.length) return body + '\n';
  return `${body}${endsWithTrailerBlock(body) ? '\n' : '\n\n'}${lines.join('\n')}\n`;
}

function endsWithTrailerBlock(body: string): boolean {
  const last = finalParagraph(body);
  return !!last && last.length > 0 && last.every((l) => TRAILER_LINE.test(l) || /^\s+\S/.test(l)) && TRAILER_LINE.test(last[0]);
}

/**
 * The message `modelver commit` writes: the user's words, then our trailers, opened by the
 * `Model-Versions-Trailers: 1` marker. A user's trailer block of other keys (Signed-off-by, …)
 * is kept as the start of the final block (so git and DCO checks still see it); one that has a
 * `Model-…` line stays a paragraph of the user's text, and ours follows it as a paragraph of its own.
 */
export function appendRecord(message: string, trailers: [string, string][]): string {
  const body = message.replace(/\s+$/, '');
  const lines = [[RECORD_MARKER, RECORD_MARKER_VALUE] as [string, string], ...trailers].map(
    ([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}`,
  );
  const merge = endsWithTrailerBlock(body) && !trailerLines(finalParagraph(body)!).some(([k]) => isRecordKey(k));
  return `${body}${merge ? '\n' : '\n\n'}${lines.join('\n')}\n`;
}

/** A commit message read for one version: the user's words apart from what Model Versions recorded. */
export interface ParsedMessage {
  /** the first line */
  subject: string;
  /**
   * The user's text after the subject line ('' when there is none): the whole message but the
   * subject and our recorded block (the marker and the `Model-…` lines that count for this version).
   * Every other line stays as typed, also one that looks like a trailer (`Note: …`, `Model-Oid: …`
   * typed by hand, a block copied from another commit, `Signed-off-by: …`).
   */
  body: string;
  /** our trailers, in order, repeated keys kept (empty when the message holds no record of this version) */
  recorded: [string, string][];
  /** the recorded trailers (the last value of a repeated key) plus the final block's other keys (Signed-off-by, …) */
  trailers: Record<string, string>;
}

/**
 * Read a commit message for one version (docs/storage.md, "What counts as recorded"): the
 * `Model-…` trailers of the final paragraph count only when (1) they follow the
 * `Model-Versions-Trailers: 1` marker — or, for commits made before the marker existed, the final
 * paragraph has no marker — and (2) that block names this version: `Model-Path` is the file's path
 * in the commit and `Model-Oid` its content id. Anything else that looks like our trailers was typed
 * by someone and stays part of the body.
 */
export function parseMessage(message: string, version: { path: string; contentId: string }): ParsedMessage {
  const lines = message.replace(/\r\n?/g, '\n').replace(/\s+$/, '').split('\n');
  const subject = lines[0];
  // the final paragraph: the lines after the last blank one (none when the message is one paragraph)
  let start = lines.length;
  for (let i = lines.length - 1; i > 0; i--) {
    if (/^[ \t]*$/.test(lines[i])) {
      start = i + 1;
      break;
    }
  }
  // its trailer lines, with the line numbers each one spans (continuation lines joined)
  const all: { key: string; value: string; at: number[] }[] = [];
  for (let i = start; i < lines.length; i++) {
    const m = TRAILER_LINE.exec(lines[i]);
    if (m) all.push({ key: m[1], value: m[2], at: [i] });
    else if (all.length && /^\s+/.test(lines[i])) {
      const last = all[all.length - 1];
      last.value += ' ' + lines[i].trim();
      last.at.push(i);
    }
  }
  const foreign = all.filter((t) => !isRecordKey(t.key));
  const marker = all.findIndex((t) => t.key === RECORD_MARKER && t.value.trim() === RECORD_MARKER_VALUE);
  const ours = (marker >= 0 ? all.slice(marker + 1) : all).filter((t) => isRecordKey(t.key) && t.key !== RECORD_MARKER);
  const get = (key: string) => ours.filter((t) => t.key === key).map((t) => t.value.trim());
  const paths = get(TRAILER.path);
  const oids = get(TRAILER.oid);
  const names = paths.length === 1 && paths[0] === version.path && oids.length === 1 && oids[0] === version.contentId;
  const recorded: [string, string][] = names ? ours.map((t) => [t.key, t.value]) : [];
  const drop = new Set(names ? [...(marker >= 0 ? all[marker].at : []), ...ours.flatMap((t) => t.at)] : []);
  const body = lines
    .slice(1)
    .filter((_, i) => !drop.has(i + 1))
    .join('\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .replace(/\s+$/, '');
  return {
    subject,
    body,
    recorded,
    trailers: { ...Object.fromEntries(foreign.map((t) => [t.key, t.value])), ...Object.fromEntries(recorded) },
  };
}

export type RecordedTrailers = Pick<ParsedMessage, 'recorded' | 'trailers'>;

/** What a commit message records about one version (parseMessage without the text). */
export function recordedTrailers(message: string, version: { path: string; contentId: string }): RecordedTrailers {
  const { recorded, trailers } = parseMessage(message, version);
  return { recorded, trailers };
}
