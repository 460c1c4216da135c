import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { declaredGramsOf, kitIdOf, s10, s10CheckDigit, waybillOf } from '../../bench/waybills.js';

describe('load generator waybills', () => {
  it('computes the S10 check digit of the PROTOCOLS.md vectors', () => {
    expect(s10CheckDigit('12345678')).toBe(5);
    expect(s10('RB', 12345678, 'GB')).toBe('RB123456785GB');
    expect(s10('RR', 12345678, 'CN')).toBe('RR123456785CN');
  });

  it('maps remainders 10 and 11 to 0 and 5', () => {
    // 00000000: sum 0, r = 11 -> 5; 00000001: sum 7, r = 4
    expect(s10CheckDigit('00000000')).toBe(5);
    expect(s10CheckDigit('00000001')).toBe(4);
    expect(s10CheckDigit('10000000')).toBe(3);
    expect(s10CheckDigit('00000005')).toBe(9);
    // sum 56, 56 mod 11 = 1, r = 10 -> 0
    expect(s10CheckDigit('00000008')).toBe(0);
  });

  it('refuses a serial that is not 8 digits', () => {
    expect(() => s10CheckDigit('1234567')).toThrow(RangeError);
  });

  it('gives distinct, well-formed waybills per kit and pair', () => {
    fc.assert(
      fc.property(fc.nat(49), fc.nat(99_999), fc.nat(49), fc.nat(99_999), (k1, p1, k2, p2) => {
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
