import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EtaPositionFilter, defaultPositionFilterOptions, type FilterResult } from '../../eta/index.js';
import type { EventPayload } from '../../devices/events.js';

type P = EventPayload<'position'>;
const NOW = Date.parse('2025-03-10T09:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const here = { lat: 52.52, lon: 13.405 };

function reason(r: FilterResult): string {
  return r.ok ? 'ok' : r.reason;
}

describe('EtaPositionFilter', () => {
  it('drops fixes marked invalid and the 0/0 of a receiver without a fix', () => {
    const f = new EtaPositionFilter();
    expect(reason(f.check({ ...here, fix: 'none' }, NOW, NOW, 0))).toBe('no-fix');
    expect(reason(f.check({ lat: 0, lon: 0, fix: '3d' }, NOW, NOW, 0))).toBe('null-island');
    expect(reason(f.check({ ...here, fix: '2d' }, NOW, NOW, 0))).toBe('ok');
  });

  it('drops poor accuracy: accuracyM, HDOP, satellites', () => {
    const f = new EtaPositionFilter();
    expect(reason(f.check({ ...here, accuracyM: 101 }, NOW, NOW, 0))).toBe('poor-accuracy');
    expect(reason(f.check({ ...here, hdop: 5.1 } as P, NOW, NOW, 0))).toBe('poor-accuracy');
    expect(reason(f.check({ ...here, satellites: 3 } as P, NOW, NOW, 0))).toBe('poor-accuracy');
    expect(reason(f.check({ ...here, accuracyM: 100, hdop: 5, satellites: 4 } as P, NOW, NOW, 0))).toBe('ok');
  });

  it('drops times in the future or stale when the clock can judge them', () => {
    const f = new EtaPositionFilter();
    expect(reason(f.check({ ...here, at: iso(NOW + 2001) }, NOW, NOW, 0))).toBe('future');
    expect(reason(f.check({ ...here, at: iso(NOW - 30_001) }, NOW, NOW, 0))).toBe('stale');
    expect(reason(f.check({ ...here, at: 'yesterday-ish' }, NOW, NOW, 0))).toBe('bad-time');
    // queued too long without a device time
    expect(reason(f.check({ ...here }, NOW - 31_000, NOW, 0))).toBe('stale');
    expect(reason(f.check({ ...here, at: iso(NOW - 30_000) }, NOW, NOW, 0))).toBe('ok');
  });

  it('places a GPS time on the system timeline with the known offset', () => {
    const f = new EtaPositionFilter();
    // system clock 90 s ahead of GPS: the fix at GPS now-90 s is current
    const r = f.check({ ...here, at: iso(NOW - 90_000) }, NOW + 300, NOW + 300, 90_000);
    expect(r).toEqual({ ok: true, fix: { ...here, t: NOW, speedKmh: 0 } });
  });

  it('does not judge a device time against an unsynced clock with no known offset', () => {
    const f = new EtaPositionFilter();
    const r = f.check({ ...here, at: iso(NOW - 3_600_000) }, NOW, NOW, undefined);
    expect(r).toEqual({ ok: true, fix: { ...here, t: NOW, speedKmh: 0 } });
  });

  it('drops duplicates and out-of-order fixes by device time', () => {
    const f = new EtaPositionFilter();
    expect(reason(f.check({ ...here, at: iso(NOW - 2000) }, NOW, NOW, 0))).toBe('ok');
    expect(reason(f.check({ ...here, at: iso(NOW - 2000) }, NOW, NOW, 0))).toBe('duplicate');
    expect(reason(f.check({ ...here, at: iso(NOW - 3000) }, NOW, NOW, 0))).toBe('out-of-order');
    expect(reason(f.check({ ...here, at: iso(NOW - 1000) }, NOW, NOW, 0))).toBe('ok');
  });

  it('drops a repeated payload without device time received at the same instant', () => {
    const f = new EtaPositionFilter();
    expect(reason(f.check({ ...here }, NOW, NOW, 0))).toBe('ok');
    expect(reason(f.check({ ...here }, NOW, NOW, 0))).toBe('duplicate');
    expect(reason(f.check({ ...here }, NOW + 1000, NOW + 1000, 0))).toBe('ok');
  });

  it('drops jumps faster than 200 km/h, and believes the new place after three in a row', () => {
    const f = new EtaPositionFilter();
    const far = { lat: 52.53, lon: 13.405 }; // 1.11 km north
    expect(reason(f.check({ ...here, speedKmh: 30 }, NOW, NOW, 0))).toBe('ok');
    expect(reason(f.check({ ...far }, NOW + 1000, NOW + 1000, 0))).toBe('speed-jump');
    expect(reason(f.check({ ...far }, NOW + 2000, NOW + 2000, 0))).toBe('speed-jump');
    const r = f.check({ ...far }, NOW + 3000, NOW + 3000, 0);
    // re-anchored: no speed reported, the last believed speed is kept
    expect(r).toEqual({ ok: true, fix: { ...far, t: NOW + 3000, speedKmh: 30 } });
    // 1.11 km in 30 s = 133 km/h: not a jump
    expect(reason(f.check({ ...here }, NOW + 33_000, NOW + 33_000, 0))).toBe('ok');
  });

  it('derives the speed from the previous fix when none is reported', () => {
    const f = new EtaPositionFilter();
    f.check({ lat: 52.5, lon: 13.4 }, NOW, NOW, 0);
    const r = f.check({ lat: 52.5 + 100 / 111_195.08, lon: 13.4 }, NOW + 10_000, NOW + 10_000, 0);
    expect(r.ok && Math.round(r.fix.speedKmh * 100) / 100).toBe(36);
  });

  it('property: what it accepts is in time order, not 0/0, not from the future', () => {
    const step = fc.record({
      dt: fc.integer({ min: -5000, max: 20_000 }),
      lat: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
      lon: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
      skew: fc.integer({ min: -10_000, max: 60_000 }),
      fix: fc.constantFrom('none', '2d', '3d', undefined),
      accuracyM: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
      zero: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const f = new EtaPositionFilter();
        let now = NOW;
        let lastT = Number.NEGATIVE_INFINITY;
        for (const s of steps) {
          now += Math.max(0, s.dt);
          const p: P = {
            lat: s.zero ? 0 : 52.5 + s.lat,
            lon: s.zero ? 0 : 13.4 + s.lon,
            at: iso(now - s.skew),
            ...(s.fix ? { fix: s.fix } : {}),
            ...(s.accuracyM !== undefined ? { accuracyM: s.accuracyM } : {}),
          };
          const r = f.check(p, now, now, 0);
          if (!r.ok) continue;
          expect(p.lat === 0 && p.lon === 0).toBe(false);
          expect(p.fix).not.toBe('none');
          expect(p.accuracyM ?? 0).toBeLessThanOrEqual(defaultPositionFilterOptions.maxAccuracyM);
          expect(r.fix.t).toBeLessThanOrEqual(now + defaultPositionFilterOptions.futureMs);
          expect(r.fix.t).toBeGreaterThan(lastT);
          lastT = r.fix.t;
        }
      }),
    );
  });
});
