import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import sinon from 'sinon';
import { Pairing, type Pair, type ReceivedScan, type WeightRead } from '../../rules/pairing.js';

describe('Pairing', () => {
  let clock: sinon.SinonFakeTimers;
  let pairs: Pair[];
  let pairing: Pairing;
  let n: number;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    pairs = [];
    n = 0;
    pairing = new Pairing({
      onPair: (p) => pairs.push(p),
      newId: () => `P${++n}`,
      timers: { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as number) },
      now: () => clock.now,
    });
  });
  afterEach(() => {
    pairing.stop();
    clock.restore();
  });

  const scan = (code = 'RR123456785CN', deviceId = 'scanner-1'): ReceivedScan => ({ deviceId, code, receivedAt: clock.now });
  const weight = (grams: number, stable = true, status?: string): WeightRead => ({
    deviceId: 'scale-1',
    grams,
    stable,
    receivedAt: clock.now,
    ...(status ? { status } : {}),
  });

  it('scan then stable weight: the pair closes at once when the weight arrives', () => {
    pairing.scan('k', scan());
    clock.tick(4_000);
    expect(pairs).toEqual([]);
    pairing.weight('k', weight(1210));
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ pairId: 'P1', kit: 'k', closedBy: 'weight', closedAt: 1_004_000, weight: { grams: 1210, stable: true } });
    expect(pairing.waiting('k')).toBe(false);
  });

  it('weight then scan: the pair closes at once when the scan arrives', () => {
    pairing.weight('k', weight(1210));
    clock.tick(10_000);
    pairing.scan('k', scan());
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ closedBy: 'scan', weight: { grams: 1210 }, scan: { code: 'RR123456785CN' } });
  });

  it('weight first, scan 47 s later: the scale still reading it stable is the parcel\'s weight', () => {
    pairing.weight('k', weight(1250));
    const settledAt = clock.now;
    // a streaming scale repeats the same stable reading meanwhile
    for (let i = 0; i < 47; i++) {
      clock.tick(1_000);
      pairing.weight('k', weight(1250));
    }
    pairing.scan('k', scan());
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ closedBy: 'scan', waitedMs: 0, weight: { grams: 1250, receivedAt: settledAt } });
  });

  it('a held weight that changed (motion, zero) before the scan is not the parcel\'s', () => {
    pairing.weight('k', weight(1250));
    clock.tick(60_000);
    pairing.weight('k', weight(1250, false));
    pairing.scan('k', scan());
    expect(pairs).toEqual([]);
    pairing.weight('k', weight(980));
    expect(pairs.map((p) => p.weight?.grams)).toEqual([980]);
    pairing.weight('k', weight(0));
    pairing.weight('k', weight(700));
    clock.tick(1_000);
    pairing.weight('k', weight(0));
    pairing.scan('k', scan('RR000000000CN'));
    expect(pairs).toHaveLength(1);
  });

  it('a scan without a weight is told to wait, and the pair says how long it waited', () => {
    const waits: { pairId: string; windowMs: number; code: string }[] = [];
    const p2 = new Pairing({
      onPair: (p) => pairs.push(p),
      onWaiting: (w) => waits.push({ pairId: w.pairId, windowMs: w.windowMs, code: w.scan.code }),
      newId: () => `W${++n}`,
      timers: { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as number) },
      now: () => clock.now,
    });
    p2.scan('k', scan());
    expect(waits).toEqual([{ pairId: 'W1', windowMs: 30_000, code: 'RR123456785CN' }]);
    clock.tick(12_000);
    p2.weight('k', weight(1210));
    expect(pairs[0]).toMatchObject({ closedBy: 'weight', waitedMs: 12_000 });
    p2.weight('k', weight(0));
    p2.scan('k', scan('RR000000000CN'));
    clock.tick(30_000);
    expect(waits).toHaveLength(2);
    expect(pairs[1]).toMatchObject({ closedBy: 'timeout', waitedMs: 30_000 });
    p2.stop();
  });

  it('re-weigh: a newer stable weight before the scan replaces the older one', () => {
    pairing.weight('k', weight(1210));
    clock.tick(1_000);
    pairing.weight('k', weight(1250));
    pairing.scan('k', scan());
    expect(pairs.map((p) => p.weight?.grams)).toEqual([1250]);
  });

  it('an unstable weight alone never yields a pair', () => {
    pairing.weight('k', weight(1210, false, 'motion'));
    clock.tick(120_000);
    expect(pairs).toEqual([]);
  });

  it('an unstable weight never completes a waiting scan; at the window end the pair carries it', () => {
    pairing.scan('k', scan());
    pairing.weight('k', weight(800, false, 'motion'));
    pairing.weight('k', weight(1190, false, 'motion'));
    expect(pairs).toEqual([]);
    clock.tick(29_999);
    expect(pairs).toEqual([]);
    clock.tick(1);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ closedBy: 'timeout', weight: { grams: 1190, stable: false } });
  });

  it('a scan with no weight in the window closes with no weight after exactly the window', () => {
    pairing.scan('k', scan());
    clock.tick(29_999);
    expect(pairs).toEqual([]);
    clock.tick(1);
    expect(pairs).toEqual([expect.objectContaining({ pairId: 'P1', closedBy: 'timeout', closedAt: 1_030_000 })]);
    expect(pairs[0].weight).toBeUndefined();
  });

  it('an unstable weight clears a held stable one (the parcel moved)', () => {
    pairing.weight('k', weight(1210));
    pairing.weight('k', weight(600, false));
    pairing.scan('k', scan());
    expect(pairs).toEqual([]);
    pairing.weight('k', weight(1212));
    expect(pairs[0].weight?.grams).toBe(1212);
  });

  it('a second scan of another code before a weight closes the first with no weight and starts a new pair', () => {
    pairing.scan('k', scan('RR123456785CN'));
    clock.tick(2_000);
    pairing.scan('k', scan('RB123456785GB'));
    expect(pairs).toEqual([expect.objectContaining({ pairId: 'P1', closedBy: 'superseded', scan: expect.objectContaining({ code: 'RR123456785CN' }) })]);
    expect(pairs[0].weight).toBeUndefined();
    pairing.weight('k', weight(900));
    expect(pairs[1]).toMatchObject({ pairId: 'P2', closedBy: 'weight', scan: { code: 'RB123456785GB' }, weight: { grams: 900 } });
  });

  it('the same code scanned again restarts the window instead of starting a pair', () => {
    pairing.scan('k', scan('RR123456785CN'));
    clock.tick(20_000);
    pairing.scan('k', scan(' rr123456785cn'));
    clock.tick(20_000);
    expect(pairs).toEqual([]);
    pairing.weight('k', weight(1000));
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ pairId: 'P1', scan: { code: ' rr123456785cn' } });
  });

  it('a stable zero completes nothing and re-arms the scale', () => {
    pairing.scan('k', scan());
    pairing.weight('k', weight(0, true, 'zero'));
    expect(pairs).toEqual([]);
    pairing.weight('k', weight(1210));
    expect(pairs).toHaveLength(1);
  });

  it('a streaming scale repeating the paired reading does not pair the next scan; a return to zero re-arms it', () => {
    pairing.scan('k', scan('RR123456785CN'));
    pairing.weight('k', weight(1210));
    pairing.weight('k', weight(1211));
    pairing.scan('k', scan('RB123456785GB'));
    expect(pairs).toHaveLength(1);
    pairing.weight('k', weight(1210));
    expect(pairs).toHaveLength(1);
    pairing.weight('k', weight(0));
    pairing.weight('k', weight(1210));
    expect(pairs).toHaveLength(2);
    expect(pairs[1]).toMatchObject({ scan: { code: 'RB123456785GB' }, weight: { grams: 1210 } });
  });

  it('a different stable weight after a pair is a new parcel', () => {
    pairing.scan('k', scan('RR123456785CN'));
    pairing.weight('k', weight(1210));
    pairing.weight('k', weight(2500));
    pairing.scan('k', scan('RB123456785GB'));
    expect(pairs.map((p) => p.weight?.grams)).toEqual([1210, 2500]);
  });

  it('kits pair independently', () => {
    pairing.scan('a', scan('RR123456785CN'));
    pairing.weight('b', weight(500));
    expect(pairs).toEqual([]);
    pairing.weight('a', weight(1210));
    pairing.scan('b', scan('RB123456785GB'));
    expect(pairs.map((p) => [p.kit, p.weight?.grams])).toEqual([
      ['a', 1210],
      ['b', 500],
    ]);
  });

  it('stop drops open pairs and their timers', () => {
    pairing.scan('k', scan());
    pairing.stop();
    clock.tick(60_000);
    expect(pairs).toEqual([]);
    expect(clock.countTimers()).toBe(0);
  });

  it('a custom window is honoured', () => {
    const short = new Pairing({
      onPair: (p) => pairs.push(p),
      windowMs: 5_000,
      timers: { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as number) },
      now: () => clock.now,
    });
    short.scan('k', scan());
    clock.tick(5_000);
    expect(pairs).toHaveLength(1);
    expect(pairs[0].pairId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
