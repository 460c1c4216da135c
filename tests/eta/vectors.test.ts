import { describe, expect, it } from 'vitest';
import { etaErrorStats } from '../../eta/index.js';

describe('etaErrorStats', () => {
  it('e = [−4, 2, 7, −1, 0, 12, −3, 5]: MAE 4.25, bias 2.25, RMSE 5.568, within ±5 min 0.75', () => {
    const s = etaErrorStats([-4, 2, 7, -1, 0, 12, -3, 5]);
    expect(s).toBeDefined();
    expect(s!.n).toBe(8);
    expect(s!.maeMin).toBe(4.25);
    expect(s!.biasMin).toBe(2.25);
    expect(s!.rmseMin.toFixed(3)).toBe('5.568');
    expect(s!.withinShare).toBe(0.75);
    expect(s!.withinMin).toBe(5);
  });

  it('counts |e| equal to k as within, and takes another k', () => {
    expect(etaErrorStats([-2, 2, 3], 2)!.withinShare).toBeCloseTo(2 / 3, 12);
  });

  it('is undefined without errors', () => {
    expect(etaErrorStats([])).toBeUndefined();
  });
});
