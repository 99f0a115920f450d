/** The CSV fast path of loadDataset against the general parser (test/unit/dataset.test.ts, evalFast.test.ts). */
import * as assert from 'assert';
import { loadDataset, type Dataset, type DatasetSpec } from '../../src/core/eval/dataset';
import type { DatasetError } from '../../src/core/eval/datasetErrors';

const bits = (a: Float32Array | Int32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * loadDataset(spec) both ways, the fast path and the general parser: asserts the same dataset (bit for
 * bit) and returns it, or the same error (class, code and message) and returns undefined. The fast path
 * reads the file through its window of 1 MiB, and again through windows of `windows` bytes (records cut
 * at every place by a window's end: the window moves on, grows, or gives way to the rest of the file).
 */
export async function loadBothWays(spec: DatasetSpec, what: string, windows: number[] = [16, 61, 1000]): Promise<Dataset | undefined> {
  const run = async (csvFastPath: boolean, csvWindowBytes?: number): Promise<Dataset | Error> => {
    try {
      return await loadDataset(spec, { csvFastPath, csvWindowBytes });
    } catch (e) {
      return e as Error;
    }
  };
  const general = await run(false);
  let fast: Dataset | Error | undefined;
  for (const w of [undefined, ...windows]) {
    fast = await run(true, w);
    same(general, fast, w === undefined ? what : `${what} (window of ${w} bytes)`);
  }
  return fast instanceof Error ? undefined : fast;
}

function same(general: Dataset | Error, fast: Dataset | Error, what: string): void {
  if (general instanceof Error || fast instanceof Error) {
    assert.ok(general instanceof Error && fast instanceof Error, `${what}: one path threw, the other not: ${String(general instanceof Error ? general : fast)}`);
    assert.strictEqual(fast.constructor, general.constructor, what);
    assert.strictEqual((fast as DatasetError).code, (general as DatasetError).code, what);
    assert.strictEqual(fast.message, general.message, what);
    return;
  }
  assert.strictEqual(fast.features.length, general.features.length, what);
  if (!bits(fast.features).equals(bits(general.features))) assert.fail(`${what}: features differ: ${fast.features} vs ${general.features}`);
  assert.ok(bits(fast.labels).equals(bits(general.labels)) && fast.labels.constructor === general.labels.constructor, `${what}: labels differ`);
  const rest = (d: Dataset): unknown => ({ ...d, features: undefined, labels: undefined });
  assert.deepStrictEqual(rest(fast), rest(general), what);
}
