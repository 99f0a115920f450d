/**
 * Worker thread of test/unit/fuzz.test.ts for the readers that run in the caller's thread (ONNX, the
 * dataset loaders): a reader stuck in a loop can only be stopped from outside its thread, and the
 * worker's heap limit turns runaway memory into an error the test can report. The test sends one case;
 * the worker reports each input before and after running it.
 */
import * as fs from 'fs';
import { parentPort, workerData } from 'worker_threads';
import { runReader, writeInput, type Case } from './fuzz';

export interface FuzzJob {
  cases: Case[];
  seed: number;
  count: number;
  dir: string;
  /** the first input of each case to run (after a hang, the test goes on from the next one) */
  from?: number;
}

export type FuzzMessage =
  | { type: 'start'; caseIndex: number; index: number; steps: string[] }
  | { type: 'done'; caseIndex: number; index: number; ms: number; outcome: Awaited<ReturnType<typeof runReader>>; rss: number }
  | { type: 'end' };

const port = parentPort;
if (port) {
  const job = workerData as FuzzJob;
  void (async () => {
    for (let ci = 0; ci < job.cases.length; ci++) {
      const c = job.cases[ci];
      const original = fs.readFileSync(c.fixture);
      for (let i = job.from ?? 0; i < job.count; i++) {
        const { file, steps } = writeInput(c, original, job.seed, i, job.dir);
        port.postMessage({ type: 'start', caseIndex: ci, index: i, steps } satisfies FuzzMessage);
        const t0 = performance.now();
        const outcome = await runReader(c, file, i);
        port.postMessage({ type: 'done', caseIndex: ci, index: i, ms: performance.now() - t0, outcome, rss: process.memoryUsage.rss() } satisfies FuzzMessage);
      }
    }
    port.postMessage({ type: 'end' } satisfies FuzzMessage);
  })();
}
