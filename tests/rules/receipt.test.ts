import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatReceipt, isValidReceipt, receiptCheckSymbol, ReceiptCounter } from '../../rules/receipt.js';
import { tempDir } from './helpers.js';

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('receipt numbers', () => {
  it('are six base32 symbols and a check symbol, printed XXX-XXXX', () => {
    expect(formatReceipt(0)).toBe(`000-000${receiptCheckSymbol('000000')}`);
    // body 000001: the rightmost 1 is doubled (2), check = (32 - 2) mod 32 = 30 = Y
    expect(formatReceipt(1)).toBe('000-001Y');
    expect(formatReceipt(32)).toMatch(/^000-010.$/);
    expect(formatReceipt(32 ** 6 - 1)).toMatch(/^ZZZ-ZZZ.$/);
    expect(formatReceipt(32 ** 6).replace('-', '')).toHaveLength(8);
    expect(() => formatReceipt(-1)).toThrow(RangeError);
  });

  it('validate, ignoring case, dashes and the Crockford look-alikes', () => {
    const r = formatReceipt(123_456_789);
    expect(isValidReceipt(r)).toBe(true);
    expect(isValidReceipt(r.toLowerCase().replace('-', ' '))).toBe(true);
    expect(isValidReceipt('000-001')).toBe(false);
    expect(isValidReceipt('000-00U1')).toBe(false);
  });

  it('any one wrong symbol fails the check', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 ** 6 - 1 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 31 }), (n, pos, delta) => {
        const s = formatReceipt(n).replace('-', '');
        const changed = s.slice(0, pos) + alphabet[(alphabet.indexOf(s[pos]) + delta) % 32] + s.slice(pos + 1);
        expect(isValidReceipt(changed)).toBe(false);
      }),
    );
  });

  it('a swap of two different neighbours fails the check, except 0Z / Z0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 ** 6 - 1 }), fc.integer({ min: 0, max: 5 }), (n, pos) => {
        const s = formatReceipt(n).replace('-', '');
        if (s[pos] === s[pos + 1]) return;
        const swapped = s.slice(0, pos) + s[pos + 1] + s[pos] + s.slice(pos + 2);
        const pair = s[pos] + s[pos + 1];
        expect(isValidReceipt(swapped)).toBe(pair === '0Z' || pair === 'Z0');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ReceiptCounter', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.remove());

  it('never repeats, across restarts and concurrent calls, and starts at the seconds since 2024', async () => {
    const now = () => Date.UTC(2024, 0, 1) + 1_000_000;
    const a = new ReceiptCounter({ dataDir: tmp.dir, now });
    await a.start();
    const first = await Promise.all([a.next(), a.next(), a.next()]);
    expect(first).toEqual([formatReceipt(1000), formatReceipt(1001), formatReceipt(1002)]);
    // a restart skips the rest of the block reserved on disk (1000 numbers), never reuses one
    const b = new ReceiptCounter({ dataDir: tmp.dir, now });
    await b.start();
    expect(await b.next()).toBe(formatReceipt(2000));
  });

  it('writes to disk once per block, not once per receipt', async () => {
    const now = () => Date.UTC(2024, 0, 1) + 1_000_000;
    const a = new ReceiptCounter({ dataDir: tmp.dir, now, block: 10 });
    await a.start();
    const got = [];
    for (let i = 0; i < 25; i++) got.push(await a.next());
    expect(new Set(got).size).toBe(25);
    const stored = JSON.parse(await readFile(path.join(tmp.dir, 'receipts.json'), 'utf8')) as { last: number };
    expect(stored.last).toBe(1029);
  });

  it('after its data is lost it starts at the clock, above what it handed out before', async () => {
    let t = Date.UTC(2024, 0, 1) + 5_000_000;
    const a = new ReceiptCounter({ dataDir: tmp.dir, now: () => t });
    await a.start();
    expect(await a.next()).toBe(formatReceipt(5000));
    await tmp.remove();
    t += 10_000;
    const b = new ReceiptCounter({ dataDir: tmp.dir, now: () => t });
    await b.start();
    expect(await b.next()).toBe(formatReceipt(5010));
  });
});
