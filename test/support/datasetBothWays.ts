/** The CSV fast path of loadDataset against the general parser (test/unit/dataset.test.ts, evalFast.test.ts). */
import * as assert from 'assert';
import { loadDataset, type Dataset, type DatasetSpec } from '../../src/core/eval/dataset';
import type { DatasetError } from '../../src/core/eval/datasetErrors';

const bits = (a: Float32Array | Int32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * loadDataset(spec) both ways, the fast path and the general parser: asserts the same dataset (bit for
 * bit) and returns it, or the same error (class, code and message) and returns undefined.
 */
export async function loadBothWays(spec: DatasetSpec, what: string): Promise<Dataset | undefined> {
  const run = async (csvFastPath: boolean): Promise<Dataset | Error> => {
    try {
      return await loadDataset(spec, { csvFastPath });
    } catch (e) {
      return e as Error;
    }
  };
  const general = await run(false);
  const fast = await run(true);
  if (general instanceof Error || fast instanceof Error) {
    assert.ok(general instanceof Error && fast instanceof Error, `${what}: one path threw, the other not: ${String(general instanceof Error ? general : fast)}`);
    assert.strictEqual(fast.constructor, general.constructor, what);
    assert.strictEqual((fast as DatasetError).code, (general as DatasetError).code, what);
    assert.strictEqual(fast.message, general.message, what);
    return undefined;
  }
  assert.strictEqual(fast.features.length, general.features.length, what);
  if (!bits(fast.features).equals(bits(general.features))) assert.fail(`${what}: features differ: ${fast.features} vs ${general.features}`);
  assert.ok(bits(fast.labels).equals(bits(general.labels)) && fast.labels.constructor === general.labels.constructor, `${what}: labels differ`);
  const rest = (d: Dataset): unknown => ({ ...d, features: undefined, labels: undefined });
  assert.deepStrictEqual(rest(fast), rest(general), what);
  return fast;
}
