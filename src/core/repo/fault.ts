/**
 * Fault-injection points for the crash tests (test/unit/repoTrust.test.ts): with
 * `MODELVER_FAULT_PAUSE=<point>` in its environment, a process that reaches that point writes
 * `modelver-fault: paused at <point> (pid N)` to stderr and waits there until it is killed — so a
 * test can SIGKILL it at exactly that moment. Without the variable a point costs one comparison.
 */
export const FAULT_ENV = 'MODELVER_FAULT_PAUSE';

export type FaultPoint =
  /** restore: the version's bytes are in the temporary file, not yet renamed over the working file */
  | 'restore:temp-written'
  /** restore: the backup of the working copy is being written (its temporary exists) */
  | 'restore:backup-temp-written'
  /** commit: the model is staged and the temporary index and message are written; `git commit` not run yet */
  | 'commit:index-written';

export async function faultPoint(point: FaultPoint): Promise<void> {
  if (process.env[FAULT_ENV] !== point) return;
  process.stderr.write(`modelver-fault: paused at ${point} (pid ${process.pid})\n`);
  // wait to be killed; the interval keeps the event loop alive
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}
