/** Commit-message trailers ("Key: value" lines in the last paragraph). */

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

/** The trailers of a message's last paragraph (the same rule as `git interpret-trailers`, simplified). */
export function parseTrailers(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  const paras = message.replace(/\s+$/, '').split(/\n\s*\n/);
  if (paras.length < 2) return out;
  const last = paras[paras.length - 1].split('\n');
  let key: string | undefined;
  let count = 0;
  for (const line of last) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)\s*:\s?(.*)$/.exec(line);
    if (m) {
      key = m[1];
      out[key] = m[2];
      count++;
    } else if (key && /^\s+/.test(line)) {
      out[key] += ' ' + line.trim();
    }
  }
  return count ? out : {};
}

/** Append trailers to a message as a final paragraph (merging into an existing trailer block). */
export function appendTrailers(message: string, trailers: [string, string][]): string {
  const body = message.replace(/\s+$/, '');
  const lines = trailers.map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}`);
  if (!lines.length) return body + '\n';
  const paras = body.split(/\n\s*\n/);
  const hasBlock = paras.length >= 2 && Object.keys(parseTrailers(body)).length > 0 &&
    paras[paras.length - 1].split('\n').every((l) => /^[A-Za-z0-9][A-Za-z0-9-]*\s*:/.test(l) || /^\s+/.test(l));
  return `${body}${hasBlock ? '\n' : '\n\n'}${lines.join('\n')}\n`;
}
