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
  change: 'Model-Change',
  breaking: 'Model-Breaking',
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
  const lines = finalParagraph(message);
  return lines ? Object.fromEntries(trailerLines(lines)) : {};
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

export interface RecordedTrailers {
  /** our trailers, in order, repeated keys kept (empty when the message holds no record of this version) */
  recorded: [string, string][];
  /** the recorded trailers (the last value of a repeated key) plus the final block's other keys (Signed-off-by, …) */
  trailers: Record<string, string>;
}

/**
 * What a commit message records about one version: the `Model-…` trailers of the final paragraph
 * count only when (1) they follow the `Model-Versions-Trailers: 1` marker — or, for commits made
 * before the marker existed, the final paragraph has no marker — and (2) that block names this
 * version: `Model-Path` is the file's path in the commit and `Model-Oid` its content id. Anything
 * else that looks like our trailers was typed by someone and stays part of the message text.
 */
export function recordedTrailers(message: string, version: { path: string; contentId: string }): RecordedTrailers {
  const lines = finalParagraph(message);
  if (!lines) return { recorded: [], trailers: {} };
  const all = trailerLines(lines);
  const foreign = all.filter(([k]) => !isRecordKey(k));
  const at = all.findIndex(([k, v]) => k === RECORD_MARKER && v.trim() === RECORD_MARKER_VALUE);
  const ours = (at >= 0 ? all.slice(at + 1) : all).filter(([k]) => isRecordKey(k) && k !== RECORD_MARKER);
  const get = (key: string) => ours.filter(([k]) => k === key).map(([, v]) => v.trim());
  const paths = get(TRAILER.path);
  const oids = get(TRAILER.oid);
  const names = paths.length === 1 && paths[0] === version.path && oids.length === 1 && oids[0] === version.contentId;
  const recorded = names ? ours : [];
  return { recorded, trailers: { ...Object.fromEntries(foreign), ...Object.fromEntries(recorded) } };
}
