import { describe, expect, it } from 'vitest';
import { DwellLearner, SpeedSmoother, StraightLineModel } from '../../eta/index.js';
import { haversineM } from '../../core/geo.js';

describe('SpeedSmoother', () => {
  it('weighs a sample after dt by 1 − exp(−dt/τ) and floors the planning speed', () => {
    const s = new SpeedSmoother(60_000, 15);
    expect(s.smoothedKmh()).toBeUndefined();
    expect(s.planKmh()).toBe(15);
    s.add(40, 0);
    expect(s.smoothedKmh()).toBe(40);
    s.add(0, 60_000);
    expect(s.smoothedKmh()).toBeCloseTo(40 * Math.exp(-1), 12);
    s.add(0, 120_000);
    expect(s.smoothedKmh()).toBeCloseTo(40 * Math.exp(-2), 12);
    expect(s.planKmh()).toBe(15);
    s.add(-3, 130_000);
    s.add(Number.NaN, 130_000);
    expect(s.smoothedKmh()).toBeCloseTo(40 * Math.exp(-2), 12);
  });
});

describe('DwellLearner', () => {
  it('is an EWMA from the default, with long dwells capped', () => {
    const d = new DwellLearner(240_000, 0.3, 1_800_000);
    expect(d.dwellMs()).toBe(240_000);
    d.observe(120_000);
    expect(d.dwellMs()).toBe(204_000);
    d.observe(7_200_000); // counted as 30 min
    expect(d.dwellMs()).toBeCloseTo(204_000 + 0.3 * (1_800_000 - 204_000), 6);
    expect(d.count()).toBe(2);
  });
});

describe('StraightLineModel', () => {
  it('chains legs of haversine × road factor at the given speed, with dwell at each stop', async () => {
    const m = new StraightLineModel(1.3);
    expect(m.name).toBe('straight-line');
    const from = { lat: 52.5219, lon: 13.4132 };
    const a = { taskId: 'a', lat: 52.5096, lon: 13.376 };
    const b = { taskId: 'b', lat: 52.5219, lon: 13.4132 };
    const legs = await m.estimate({ kit: 'k', from, startAt: 1000, speedKmh: 18, dwellMs: 60_000, stops: [a, b] });
    const d = haversineM(from, a) * 1.3; // 3724 m at 5 m/s
    expect(legs).toHaveLength(2);
    expect(legs[0]).toEqual({ taskId: 'a', distanceM: d, legs: 1, etaMs: 1000 + (d / 5) * 1000, departMs: 61_000 + (d / 5) * 1000 });
    expect(legs[1].legs).toBe(2);
    expect(legs[1].distanceM).toBeCloseTo(2 * d, 6);
    expect(legs[1].etaMs).toBeCloseTo(61_000 + ((2 * d) / 5) * 1000, 6);
    expect(Math.round(d)).toBe(3724);
  });

  it('returns no legs without stops', async () => {
    expect(await new StraightLineModel().estimate({ kit: 'k', from: { lat: 1, lon: 1 }, startAt: 0, speedKmh: 20, dwellMs: 0, stops: [] })).toEqual([]);
  });
});
