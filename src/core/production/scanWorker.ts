/**
 * A worker thread that reads one part of a prediction log (parallel.ts) and answers its partial sums.
 * Bundles build this file as its own entry point, `scanWorker.js`, beside the code that starts it.
 */
import { parentPort, workerData } from 'worker_threads';
import { AbTestCollector, type AbReadOptions } from './collect';
import type { ByteRange } from './events';
import { MonitorAccumulator, type MonitorPartialOptions } from './monitor';
import type { ScanJob, ScanReply } from './parallel';

async function main(): Promise<void> {
  const job = workerData as ScanJob & { range: ByteRange };
  let reply: ScanReply<unknown>;
  const transfer: ArrayBuffer[] = [];
  try {
    if (job.kind === 'abtest') {
      const c = new AbTestCollector(job.options as AbReadOptions);
      await c.read(job.range);
      const partial = c.partial();
      transfer.push(partial.seen.slots.buffer as ArrayBuffer);
      reply = { ok: true, partial };
    } else {
      // each part's reservoirs draw from a generator of their own
      const acc = new MonitorAccumulator({ ...(job.options as MonitorPartialOptions), seed: 7 + (job.range.start % 2147483629) });
      await acc.read(job.range);
      reply = { ok: true, partial: acc.partial() };
    }
  } catch (e) {
    reply = { ok: false, message: (e as Error).message };
  }
  parentPort!.postMessage(reply, transfer);
}

void main();
