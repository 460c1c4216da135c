import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StabilityTracker } from '../../../devices/scale/stability.js';

describe('StabilityTracker', () => {
  it('trusts the device flag by default, and never calls a reading the device marks in motion stable', () => {
    const t = new StabilityTracker();
    expect(t.update({ atMs: 0, grams: 1000, deviceStable: true })).toEqual({ stable: true, stableBy: 'device', heldMs: 0 });
    expect(t.update({ atMs: 10_000, grams: 1000, deviceStable: false })).toEqual({ stable: false, heldMs: 10_000 });
  });

  it('without a flag: stable after 500 ms within ±2 g, by the band rule', () => {
    const t = new StabilityTracker();
    expect(t.update({ atMs: 0, grams: 500 })).toEqual({ stable: false, heldMs: 0, bandDueAtMs: 500 });
    expect(t.update({ atMs: 200, grams: 501.5 })).toMatchObject({ stable: false, heldMs: 200, bandDueAtMs: 500 });
    expect(t.update({ atMs: 499, grams: 498 })).toMatchObject({ stable: false });
    expect(t.update({ atMs: 500, grams: 502 })).toEqual({ stable: true, stableBy: 'band', heldMs: 500 });
  });

  it('restarts the window when the reading leaves the band', () => {
    const t = new StabilityTracker();
    t.update({ atMs: 0, grams: 500 });
    expect(t.update({ atMs: 400, grams: 502.1 })).toEqual({ stable: false, heldMs: 0, bandDueAtMs: 900 });
    expect(t.update({ atMs: 800, grams: 502 })).toMatchObject({ stable: false });
    expect(t.update({ atMs: 900, grams: 502 })).toMatchObject({ stable: true, stableBy: 'band' });
  });

  it('re-checks the last reading later without a new sample', () => {
    const t = new StabilityTracker({ holdMs: 300 });
    t.update({ atMs: 1000, grams: 42 });
    expect(t.check(1299)).toMatchObject({ stable: false, bandDueAtMs: 1300 });
    expect(t.check(1300)).toEqual({ stable: true, stableBy: 'band', heldMs: 300 });
  });

  it('uses the scale resolution as the band when it is wider than bandGrams', () => {
    const t = new StabilityTracker({ resolutionGrams: 5 });
    expect(t.band).toBe(5);
    t.update({ atMs: 0, grams: 1000 });
    expect(t.update({ atMs: 500, grams: 1005 })).toMatchObject({ stable: true, stableBy: 'band' });
    t.setResolution(1);
    expect(t.band).toBe(2);
  });

  it('confirms a device flag set too early with the band rule when configured', () => {
    const t = new StabilityTracker({ confirmDeviceFlag: true });
    expect(t.update({ atMs: 0, grams: 800, deviceStable: true })).toEqual({ stable: false, heldMs: 0, bandDueAtMs: 500 });
    expect(t.update({ atMs: 500, grams: 800, deviceStable: true })).toEqual({ stable: true, stableBy: 'band', heldMs: 500 });
  });

  it('is not stable without a weight and restarts after one', () => {
    const t = new StabilityTracker();
    t.update({ atMs: 0, grams: 100 });
    expect(t.update({ atMs: 600, grams: null })).toEqual({ stable: false, heldMs: 0 });
    expect(t.update({ atMs: 700, grams: 100 })).toMatchObject({ stable: false, bandDueAtMs: 1200 });
  });

  it('requires a return to zero between parcels when configured', () => {
    const t = new StabilityTracker({ requireZeroBetween: true });
    expect(t.update({ atMs: 0, grams: 1200, deviceStable: true })).toMatchObject({ stable: true });
    expect(t.update({ atMs: 100, grams: 1201, deviceStable: true })).toMatchObject({ stable: true });
    // a second parcel put on top of the first
    expect(t.update({ atMs: 200, grams: 2500, deviceStable: true })).toEqual({ stable: false, heldMs: 0, awaitingZero: true });
    expect(t.update({ atMs: 300, grams: 0.5, deviceStable: false })).toMatchObject({ stable: false });
    expect(t.update({ atMs: 400, grams: 2500, deviceStable: true })).toMatchObject({ stable: true, stableBy: 'device' });
  });

  it('a zero reading is stable and arms the next parcel', () => {
    const t = new StabilityTracker({ requireZeroBetween: true });
    t.update({ atMs: 0, grams: 300, deviceStable: true });
    expect(t.update({ atMs: 10, grams: 0, deviceStable: true })).toMatchObject({ stable: true });
    expect(t.update({ atMs: 20, grams: 700, deviceStable: true })).toMatchObject({ stable: true });
  });

  it('a reading that wanders more than the band in every hold period is never stable (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 40 }), (gaps) => {
        const t = new StabilityTracker();
        let at = 0;
        let grams = 100;
        for (const gap of gaps) {
          at += gap;
          grams += 2.5; // always leaves the ±2 g band of the previous reading
          expect(t.update({ atMs: at, grams }).stable).toBe(false);
        }
      }),
    );
  });

  it('a constant reading becomes stable exactly when it has been held 500 ms (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), fc.double({ min: -5000, max: 50_000, noNaN: true }), (gaps, grams) => {
        const t = new StabilityTracker();
        t.update({ atMs: 0, grams });
        let at = 0;
        for (const gap of gaps) {
          at += gap;
          expect(t.update({ atMs: at, grams }).stable).toBe(at >= 500);
        }
      }),
    );
  });
});
