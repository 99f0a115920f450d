/**
 * The Metric History chart's y range (src/shared/historyProtocol.ts metricExtent): the values and every
 * cross-validation interval bound, so that no whisker runs past the axis.
 */
import * as assert from 'assert';
import { metricExtent, type HistoryMetricView } from '../../src/shared/historyProtocol';

const metric = (series: { value: number; ci95?: [number, number] }[][]): HistoryMetricView => ({
  name: 'accuracy',
  lowerIsBetter: false,
  series: series.map((points, i) => ({ id: `s${i}`, sourceLabel: `s${i}`, sourceKind: 'evaluation', points: points.map((p, x) => ({ x, ...p })) })),
});

describe('metric history chart: the y range', () => {
  it('covers the values and every interval bound, over all series', () => {
    assert.deepStrictEqual(metricExtent(metric([[{ value: 0.81 }, { value: 0.86 }, { value: 0.9 }]])), { min: 0.81, max: 0.9 });
    assert.deepStrictEqual(
      metricExtent(metric([[{ value: 0.81 }, { value: 0.9 }], [{ value: 0.84, ci95: [0.74, 0.94] }, { value: 0.88, ci95: [0.86, 0.97] }]])),
      { min: 0.74, max: 0.97 },
    );
  });

  it('leaves out what is not a finite number; nothing finite: undefined', () => {
    assert.deepStrictEqual(metricExtent(metric([[{ value: NaN, ci95: [0.1, Infinity] }, { value: 0.5 }]])), { min: 0.1, max: 0.5 });
    assert.strictEqual(metricExtent(metric([])), undefined);
    assert.strictEqual(metricExtent(metric([[{ value: NaN }]])), undefined);
  });
});
