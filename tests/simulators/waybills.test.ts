import { describe, expect, it } from 'vitest';
import { classifyWaybill } from '../../devices/scanner/waybill.js';
import { s10 } from '../../simulators/waybills.js';

describe('simulated S10 waybills', () => {
  it('builds the PROTOCOLS.md vectors, serial first, RB…GB by default', () => {
    expect(s10(12345678)).toBe('RB123456785GB');
    expect(s10(12345678, 'RR', 'CN')).toBe('RR123456785CN');
    expect(s10(8)).toBe('RB000000080GB');
  });

  it('builds codes the product classifies as valid S10', () => {
    for (const serial of [0, 1, 8, 47_310_007, 99_999_999]) expect(classifyWaybill(s10(serial))).toMatchObject({ scheme: 's10', valid: true });
  });

  it('refuses a serial that does not fit 8 digits', () => {
    expect(() => s10(100_000_000)).toThrow(RangeError);
    expect(() => s10(-1)).toThrow(RangeError);
    expect(() => s10(1.5)).toThrow(RangeError);
  });
});
