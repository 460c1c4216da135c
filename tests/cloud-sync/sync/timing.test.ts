import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRetryAfter, retryDelayMs, Waiter } from '../../../cloud-sync/sync/timing.js';
import { fullJitterMs } from '../../../core/backoff.js';
import { fakeTimers } from './helpers.js';

const B = { baseMs: 1000, maxMs: 30_000 };

describe('backoff timing', () => {
  it('full jitter: uniform below min(max, base * 2^(attempt-1))', () => {
    expect(fullJitterMs(1, B, () => 0.999)).toBe(999);
    expect(fullJitterMs(3, B, () => 0.5)).toBe(2000);
    expect(fullJitterMs(10, B, () => 0.5)).toBe(15_000);
    expect(fullJitterMs(1000, B, () => 0.5)).toBe(15_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (a, r) => {
        const d = fullJitterMs(a, B, () => r);
        return d >= 0 && d < Math.min(B.maxMs, B.baseMs * 2 ** (a - 1));
      }),
    );
  });

  it('reads Retry-After as seconds or as an HTTP date, never negative', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('waits at least Retry-After, capped, and at least the jitter', () => {
    expect(retryDelayMs(1, B, () => 0.5, 7000, 600_000)).toBe(7000);
    expect(retryDelayMs(5, B, () => 0.5, 7000, 600_000)).toBe(8000);
    expect(retryDelayMs(1, B, () => 0.5, 3_600_000, 600_000)).toBe(600_000);
    expect(retryDelayMs(2, B, () => 0.25, undefined, 600_000)).toBe(500);
  });
});

describe('Waiter', () => {
  it('ends on its timer, on wake when wakeable, and on cancel', async () => {
    const { clock, timers } = fakeTimers();
    const w = new Waiter(timers);
    const a = w.wait(1000, false);
    expect(w.wake()).toBe(false);
    clock.tick(1000);
    expect(await a).toBe('timer');
    const b = w.wait(1000, true);
    expect(w.wake()).toBe(true);
    expect(await b).toBe('woken');
    const c = w.wait(1000, false);
    expect(w.wake(true)).toBe(true);
    expect(await c).toBe('woken');
    const d = w.wait(1000, false);
    w.cancel();
    expect(await d).toBe('cancelled');
    expect(w.waiting).toBe(false);
    expect(clock.countTimers()).toBe(0);
  });
});
