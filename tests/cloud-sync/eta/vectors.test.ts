import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EARTH_RADIUS_M, etaErrorStats, haversineM } from '../../../cloud-sync/eta/index.js';

describe('haversine (PROTOCOLS §9)', () => {
  it('uses R = 6371.0088 km', () => {
    expect(EARTH_RADIUS_M).toBe(6_371_008.8);
  });

  it('(52.5219, 13.4132) -> (52.5096, 13.3760) = 2.865 km', () => {
    const d = haversineM({ lat: 52.5219, lon: 13.4132 }, { lat: 52.5096, lon: 13.376 });
    expect(Math.round(d) / 1000).toBe(2.865);
  });

  it('1° of longitude at the equator = 111.195 km', () => {
    expect(Math.round(haversineM({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })) / 1000).toBe(111.195);
  });

  it('is symmetric, non-negative and zero only for the same point', () => {
    const pt = fc.record({ lat: fc.double({ min: -89, max: 89, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) });
    fc.assert(
      fc.property(pt, pt, (a, b) => {
        const ab = haversineM(a, b);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(Math.abs(ab - haversineM(b, a))).toBeLessThan(1e-6);
        expect(ab).toBeLessThanOrEqual(Math.PI * EARTH_RADIUS_M + 1e-6);
        expect(haversineM(a, a)).toBe(0);
      }),
    );
  });
});

describe('etaErrorStats (PROTOCOLS §9)', () => {
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
