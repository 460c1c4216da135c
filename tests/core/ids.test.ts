import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeTime as referenceDecodeTime, isValid } from 'ulid';
import { decodeTime, monotonicFactory, ulid } from '../../core/ids.js';

describe('ids', () => {
  it('are ULIDs another implementation reads: 26 Crockford characters with the time in front', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (t) => {
        const id = ulid(t);
        expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
        expect(isValid(id)).toBe(true);
        expect(referenceDecodeTime(id)).toBe(t);
        expect(decodeTime(id)).toBe(t);
      }),
    );
  });

  it('a factory makes strictly increasing ids within one millisecond, across milliseconds and when the clock steps back', () => {
    const next = monotonicFactory();
    const times = [1000, 1000, 1000, 1001, 999, 999, 1005, 1005];
    const ids = times.map((t) => next(t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // within a millisecond the random part counts up by one
    expect(ids[1]!.slice(0, 10)).toBe(ids[0]!.slice(0, 10));
    expect(ids[4]!.slice(0, 10)).toBe(ids[3]!.slice(0, 10));
  });

  it('carries the count over a run of Z digits', () => {
    const next = monotonicFactory();
    const seen = new Set<string>();
    let last = '';
    let ordered = true;
    for (let i = 0; i < 100_000; i++) {
      const id = next(42);
      if (!(id > last)) ordered = false;
      last = id;
      seen.add(id);
    }
    expect(ordered).toBe(true);
    expect(seen.size).toBe(100_000);
  });

  it('refuses a time outside 48 bits', () => {
    expect(() => ulid(-1)).toThrow(RangeError);
    expect(() => ulid(2 ** 48)).toThrow(RangeError);
  });

  it('two factories in the same millisecond do not collide', () => {
    const a = monotonicFactory();
    const b = monotonicFactory();
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      ids.add(a(7));
      ids.add(b(7));
    }
    expect(ids.size).toBe(20_000);
  });
});
