import { describe, expect, it } from 'vitest';
import { backoffDelay, fullJitterMs } from '../../core/backoff.js';

describe('backoff', () => {
  it('a transport reconnect waits at least half the base, at most the doubled ceiling', () => {
    expect(backoffDelay(0, 500, 30_000, () => 0)).toBe(250);
    expect(backoffDelay(0, 500, 30_000, () => 0.999)).toBe(499);
    expect(backoffDelay(3, 500, 30_000, () => 0.5)).toBe(2000);
    expect(backoffDelay(50, 500, 30_000, () => 0.999)).toBe(29_970);
  });

  it('is the same full jitter as a retry to dispatch, with a floor', () => {
    for (const a of [0, 1, 4, 9]) {
      for (const r of [0, 0.3, 0.77]) {
        expect(backoffDelay(a, 200, 5000, () => r)).toBe(fullJitterMs(a + 1, { baseMs: 200, maxMs: 5000, floorMs: 100 }, () => r));
      }
    }
    expect(fullJitterMs(1, { baseMs: 1000, maxMs: 60_000 }, () => 0)).toBe(0);
  });
});
