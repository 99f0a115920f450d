/**
 * What a log file holds, from its first bytes: Parquet (the magic bytes `PAR1`), CloudEvents written
 * as JSON Lines (a first record with `specversion`), other JSON Lines (a first line that starts with
 * `{`). Used when neither `--format` nor the file's extension says (and to tell CloudEvents from a
 * plain prediction log in a .jsonl file).
 */
import * as fs from 'fs';

export type SniffedFormat = 'parquet' | 'cloudevents' | 'jsonl';

/** The format by content, or undefined when the first bytes do not say (or the file cannot be read). */
export function sniffLogFormat(file: string): SniffedFormat | undefined {
  let fd: number | undefined;
  try {
    if (!fs.statSync(file).isFile()) return undefined; // a pipe would lose what is read here
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n >= 4 && buf.toString('latin1', 0, 4) === 'PAR1') return 'parquet';
    let text = buf.toString('utf8', 0, n);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const first = text.split('\n').find((l) => l.trim() !== '');
    if (!first || !first.trimStart().startsWith('{')) return undefined;
    // a CloudEvent's first attributes are within its line's first 64 KiB (the data, which may be long, is
    // not needed): look for the attribute rather than parse a line that may be cut
    if (/^\s*\{[\s\S]*?"(specversion|ce-specversion)"\s*:/i.test(first) && /"(type|ce-type)"\s*:/i.test(first)) return 'cloudevents';
    return 'jsonl';
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
