/**
 * `modelver monitor --follow`: follows a growing prediction log. The accumulators of MonitorAccumulator
 * are kept; every `intervalMs` (500 ms) the file's size and inode are looked at and only the bytes
 * appended since are read (complete lines; a line still being written waits for its line end). A
 * rotated log — the path names another file (a new inode), or the file shrank (truncated) — is read
 * from its start, after what was left unread in the old one; the report's notes say so. After each
 * poll that read records, `onReport` gets the report of everything read so far.
 *
 * A line that cannot be read (half a record, a field of the wrong type) does not stop the follower: it
 * is skipped and counted, and the report's notes name the first such line.
 */
import * as fs from 'fs';
import { TextDecoder } from 'util';
import { EventLogError, eventLineParser, logFormatOf, type EventLineParser } from './events';
import { followWhole } from './followWhole';
import { MonitorAccumulator, type MonitorOptions, type MonitorReport } from './monitor';

export interface FollowOptions extends MonitorOptions {
  /** how often the file is looked at (default 500 ms) */
  intervalMs?: number;
  /** stops following (the promise of followMonitor resolves) */
  signal?: AbortSignal;
}

const CHUNK = 4 << 20;

/** One open file of the log and where reading it has got to. */
interface Open {
  fd: number;
  ino: number;
  dev: number;
  offset: number;
  decoder: TextDecoder;
  rest: string;
  line: number;
  parser: EventLineParser;
}

/**
 * Follows `opts.log` until `opts.signal` aborts, calling `onReport` after every poll that read records
 * (the first one after the log's present content). A log that does not exist yet is waited for.
 */
export async function followMonitor(opts: FollowOptions, onReport: (r: MonitorReport) => void): Promise<void> {
  // Parquet and CloudEvents logs: read whole again when they change (followWhole.ts)
  const format = fs.existsSync(opts.log) ? logFormatOf(opts.log, opts.format) : opts.format;
  if (format === 'parquet' || format === 'cloudevents') return followWhole(opts, onReport, format);
  const acc = new MonitorAccumulator(opts);
  await acc.loadOutcomes();
  const interval = opts.intervalMs ?? 500;
  const notes: string[] = [];
  let skipped = 0;
  let firstSkipped = '';
  let cur: Open | undefined;

  const open = (): Open | undefined => {
    let fd: number;
    try {
      fd = fs.openSync(opts.log, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // between a rename and the new file
      throw e;
    }
    const st = fs.fstatSync(fd);
    return { fd, ino: st.ino, dev: st.dev, offset: 0, decoder: new TextDecoder('utf-8'), rest: '', line: 0, parser: eventLineParser(opts.log, acc.readOptions) };
  };

  /** Reads `o` from its offset to `size`; returns the records read. */
  const drain = (o: Open, size: number): number => {
    let read = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    while (o.offset < size) {
      const n = fs.readSync(o.fd, buf, 0, Math.min(CHUNK, size - o.offset), o.offset);
      if (n <= 0) break;
      o.offset += n;
      const text = o.rest + o.decoder.decode(buf.subarray(0, n), { stream: true });
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        o.line++;
        const line = text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl);
        start = nl + 1;
        if (!line.length) continue;
        try {
          const e = o.parser.line(line, o.line);
          if (e) {
            acc.add(e);
            read++;
          }
        } catch (err) {
          if (!(err instanceof EventLogError)) throw err;
          if (!skipped++) firstSkipped = err.message;
        }
      }
      o.rest = text.slice(start);
    }
    return read;
  };

  const close = (o: Open) => {
    try {
      fs.closeSync(o.fd);
    } catch {
      // already gone
    }
  };

  /** Reads what is new; returns the events read (of any model). */
  const poll = (): number => {
    let read = 0;
    cur ??= open();
    if (!cur) return 0;
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(opts.log);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st && (st.ino !== cur.ino || st.dev !== cur.dev)) {
      // rotated: first what was appended to the old file before it was moved away
      read += drain(cur, fs.fstatSync(cur.fd).size);
      close(cur);
      notes.push(`${new Date().toISOString()}: the log was rotated (${opts.log} is a new file); following the new file from its start`);
      cur = open();
      if (!cur) return read;
    } else if (st && st.size < cur.offset) {
      notes.push(`${new Date().toISOString()}: the log shrank from ${cur.offset} to ${st.size} bytes (truncated); reading it again from its start`);
      close(cur);
      cur = open();
      if (!cur) return read;
    }
    read += drain(cur, fs.fstatSync(cur.fd).size);
    return read;
  };

  const report = async () => {
    const r = await acc.report();
    r.notes.push(...notes);
    if (skipped) r.notes.push(`${skipped} line${skipped === 1 ? ' was' : 's were'} skipped: they could not be read (the first: ${firstSkipped})`);
    onReport(r);
  };

  try {
    let reported = 0;
    while (!opts.signal?.aborted) {
      poll();
      // records of this model were read since the last report
      if (acc.records > reported) {
        reported = acc.records;
        await report();
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, interval);
        function done() {
          clearTimeout(t);
          opts.signal?.removeEventListener('abort', done);
          resolve();
        }
        opts.signal?.addEventListener('abort', done);
      });
    }
  } finally {
    if (cur) close(cur);
  }
}
