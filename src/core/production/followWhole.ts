/**
 * `monitor --follow` on a log that is not appended to line by line: a Parquet file (written whole,
 * replaced by its writer) or a CloudEvents log (whose requests and responses must be paired). The
 * file's size and modification time are looked at every `intervalMs`; when they changed, the whole
 * log is read again and `onReport` gets the new report. A read that fails while the file is being
 * rewritten (a Parquet file without its footer yet) waits for the next change; the first read's
 * error is thrown, so that a file that cannot be read is said at once. A log that keeps changing is
 * read again at most every twice the last read's time, so that following it takes at most a third
 * of a core.
 */
import * as fs from 'fs';
import type { FollowOptions } from './follow';
import { runMonitor, type MonitorReport } from './monitor';

export async function followWhole(opts: FollowOptions, onReport: (r: MonitorReport) => void, format: 'parquet' | 'cloudevents'): Promise<void> {
  const interval = opts.intervalMs ?? 500;
  let seen = '';
  let reads = 0;
  let wait = interval;
  while (!opts.signal?.aborted) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(opts.log);
    } catch {
      st = undefined; // not there yet, or between a rename and the new file
    }
    const key = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
    if (st && key !== seen) {
      seen = key;
      const started = Date.now();
      try {
        const report = await runMonitor(opts);
        report.notes.push(`the log is read whole again each time it changes (${format === 'parquet' ? 'a Parquet file is written whole' : 'its requests and responses are paired'}); ${++reads} read${reads === 1 ? '' : 's'} so far`);
        onReport(report);
      } catch (e) {
        if (!reads) throw e;
      }
      wait = Math.max(interval, 2 * (Date.now() - started));
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      opts.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}
