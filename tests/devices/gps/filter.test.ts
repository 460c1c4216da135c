import { describe, expect, it } from 'vitest';
import { PositionFilter, RatePolicy, type PositionSample } from '../../../devices/gps/filter.js';

const T0 = Date.UTC(2024, 4, 17, 9, 30, 0);
const at = (s: number): number => T0 + s * 1000;
const fix = (over: Partial<PositionSample> = {}): PositionSample => ({
  lat: 52.5219, lon: 13.4132, fix: '3d', timeMs: T0, speedKmh: 30, hdop: 1.1, ...over,
});

describe('PositionFilter', () => {
  it.each([
    ['no-fix', fix({ fix: 'none' })],
    ['no-fix', fix({ lat: undefined })],
    ['null-island', fix({ lat: 0, lon: 0 })],
    ['out-of-range', fix({ lat: 91 })],
    ['poor-hdop', fix({ hdop: 7.5 })],
    ['future', fix({ timeMs: at(6) })],
    ['stale', fix({ timeMs: at(-61) })],
  ])('rejects %s', (reason, sample) => {
    expect(new PositionFilter().check(sample, T0)).toMatchObject({ ok: false, reason });
  });

  it('accepts a good fix, then rejects the same epoch again as a duplicate and an older one as stale', () => {
    const f = new PositionFilter();
    expect(f.check(fix(), T0)).toEqual({ ok: true });
    expect(f.check(fix(), at(0.2))).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(f.check(fix({ timeMs: at(-1) }), at(0.3))).toMatchObject({ ok: false, reason: 'stale' });
    expect(f.check(fix({ timeMs: at(1), lat: 52.522 }), at(1))).toEqual({ ok: true });
  });

  it('rejects an impossible jump and re-anchors after three in a row', () => {
    const f = new PositionFilter({ maxSpeedKmh: 200 });
    expect(f.check(fix(), T0).ok).toBe(true);
    // 2.865 km in 1 s = 10,314 km/h
    expect(f.check(fix({ timeMs: at(1), lat: 52.5096, lon: 13.376 }), at(1))).toMatchObject({ ok: false, reason: 'speed-jump' });
    // 2.865 km in 60 s = 172 km/h: plausible
    expect(f.check(fix({ timeMs: at(60), lat: 52.5096, lon: 13.376 }), at(60))).toEqual({ ok: true });
    const far = { lat: 48.1173, lon: 11.5167 };
    expect(f.check(fix({ timeMs: at(61), ...far }), at(61))).toMatchObject({ reason: 'speed-jump' });
    expect(f.check(fix({ timeMs: at(62), ...far }), at(62))).toMatchObject({ reason: 'speed-jump' });
    expect(f.check(fix({ timeMs: at(63), ...far }), at(63))).toEqual({ ok: true });
    expect(f.check(fix({ timeMs: at(64), ...far }), at(64))).toEqual({ ok: true });
  });

  it('skips clock checks when told the clock is not trusted', () => {
    expect(new PositionFilter({ checkClock: false }).check(fix({ timeMs: at(-3600) }), T0)).toEqual({ ok: true });
  });

  it('uses receive times when the unit gives no date', () => {
    const f = new PositionFilter();
    expect(f.check(fix({ timeMs: undefined }), T0)).toEqual({ ok: true });
    expect(f.check(fix({ timeMs: undefined }), T0)).toMatchObject({ reason: 'duplicate' });
    expect(f.check(fix({ timeMs: undefined, lat: 52.5096, lon: 13.376 }), at(1))).toMatchObject({ reason: 'speed-jump' });
  });
});

describe('RatePolicy', () => {
  it('emits at 1 Hz while moving and 0.1 Hz while still, at once when moving again', () => {
    const r = new RatePolicy();
    const emitted: number[] = [];
    // 1 Hz fixes with jitter: 5 s moving, 25 s still, then moving
    for (let s = 0; s < 40; s++) {
      const speed = s < 5 ? 30 : s < 30 ? 0.5 : 20;
      if (r.shouldEmit(speed, s * 1000 + (s % 2 === 0 ? 0 : -40))) emitted.push(s);
    }
    expect(emitted).toEqual([0, 1, 2, 3, 4, 14, 24, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  });

  it('takes configured rates', () => {
    const r = new RatePolicy({ movingHz: 0.5, stillHz: 1 / 60, stillBelowKmh: 5 });
    const emitted = Array.from({ length: 10 }, (_, s) => s).filter((s) => r.shouldEmit(10, s * 1000));
    expect(emitted).toEqual([0, 2, 4, 6, 8]);
  });
});
