import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EARTH_RADIUS_M, haversineM } from '../../core/geo.js';

describe('haversineM', () => {
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

  it('is zero for the same point', () => {
    expect(haversineM({ lat: 52.1, lon: 13.2 }, { lat: 52.1, lon: 13.2 })).toBe(0);
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
