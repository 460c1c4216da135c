import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { s10CheckDigit } from '../../devices/scanner/waybill.js';
import { declaredGramsOf, kitIdOf, PAIRS_PER_KIT, waybillOf } from '../../bench/waybills.js';

describe('load generator waybills', () => {
  it('gives distinct, well-formed waybills per kit and pair, for 2,500 kits', () => {
    fc.assert(
      fc.property(fc.nat(2499), fc.nat(PAIRS_PER_KIT - 1), fc.nat(2499), fc.nat(PAIRS_PER_KIT - 1), (k1, p1, k2, p2) => {
        const a = waybillOf(k1, p1);
        expect(a).toMatch(/^RB\d{9}GB$/);
        expect(Number(a[10])).toBe(s10CheckDigit(a.slice(2, 10)));
        if (k1 !== k2 || p1 !== p2) expect(waybillOf(k2, p2)).not.toBe(a);
      }),
    );
  });

  it('declares weights from 500 g to 4.4 kg and names kits with two digits', () => {
    expect(declaredGramsOf(0, 0)).toBe(500);
    expect(declaredGramsOf(0, 39)).toBe(4400);
    expect(declaredGramsOf(0, 40)).toBe(500);
    expect(kitIdOf(0)).toBe('kit-01');
    expect(kitIdOf(49)).toBe('kit-50');
  });
});
