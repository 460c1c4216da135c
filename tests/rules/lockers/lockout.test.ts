import { describe, expect, it } from 'vitest';
import { CodeLockout } from '../../../rules/lockers/index.js';
import { MapStore } from '../../devices/locker/fake-context.js';

const T0 = Date.parse('2025-03-01T09:00:00Z');

function clock() {
  let now = T0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('CodeLockout', () => {
  it('locks a bank, for every terminal of it, after wrong codes spread over its terminals', async () => {
    const c = clock();
    const lockout = new CodeLockout({ maxWrongCodes: 5, maxWrongCodesPerBank: 10, lockoutMs: 60_000, now: c.now });
    for (let i = 0; i < 9; i++) expect((await lockout.wrong(`term-${i}`, 'bank-1')).lockedUntil).toBeUndefined();
    expect(await lockout.wrong('term-9', 'bank-1')).toEqual({ attemptsLeft: 0, lockedUntil: T0 + 60_000 });
    expect(lockout.lockedUntil('term-new', 'bank-1')).toBe(T0 + 60_000);
    expect(lockout.lockedUntil('term-new', 'bank-2')).toBe(0);
    c.advance(60_000);
    expect(lockout.lockedUntil('term-new', 'bank-1')).toBe(0);
  });

  it('tells the smaller of the terminal\'s and the bank\'s tries left', async () => {
    const lockout = new CodeLockout({ maxWrongCodes: 5, maxWrongCodesPerBank: 6, now: clock().now });
    for (let i = 0; i < 4; i++) await lockout.wrong('term-a', 'bank-1');
    expect((await lockout.wrong('term-b', 'bank-1')).attemptsLeft).toBe(1);
  });

  it('doubles each further lockout of the same terminal, up to the cap; a right code starts the terminal again', async () => {
    const c = clock();
    const lockout = new CodeLockout({ maxWrongCodes: 2, maxWrongCodesPerBank: 1000, lockoutMs: 1000, maxLockoutMs: 3000, now: c.now });
    const spans: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = c.now();
      await lockout.wrong('t', 'b');
      const r = await lockout.wrong('t', 'b');
      spans.push((r.lockedUntil ?? start) - start);
      c.advance((r.lockedUntil ?? start) - start);
    }
    expect(spans).toEqual([1000, 2000, 3000]);
    await lockout.right('t');
    const start = c.now();
    await lockout.wrong('t', 'b');
    expect(((await lockout.wrong('t', 'b')).lockedUntil ?? 0) - start).toBe(1000);
  });

  it('stores every wrong code before answering, and a new lockout on the same store goes on from there', async () => {
    const c = clock();
    const store = new MapStore();
    const first = new CodeLockout({ store, maxWrongCodes: 3, now: c.now });
    await first.wrong('t', 'b');
    await first.wrong('t', 'b');
    expect(store.writes).toBe(2);
    const second = new CodeLockout({ store, maxWrongCodes: 3, lockoutMs: 5000, now: c.now });
    expect(second.wrongCodes('t')).toBe(2);
    expect((await second.wrong('t', 'b')).lockedUntil).toBe(T0 + 5000);
    expect(new CodeLockout({ store, now: c.now }).lockedUntil('t', 'b')).toBe(T0 + 5000);
  });

  it('forgets a key with no wrong code for a day', async () => {
    const c = clock();
    const lockout = new CodeLockout({ maxWrongCodes: 5, now: c.now });
    await lockout.wrong('t', 'b');
    c.advance(24 * 3_600_000 + 1);
    expect(lockout.wrongCodes('t')).toBe(0);
  });
});
