import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../../../devices/codec.js';
import {
  decodeHidPosReport,
  encodeHidPosReport,
  hidReportForGrams,
  hidScaleStatuses,
  hidScaleUnits,
  type HidPosReport,
} from '../../../devices/scale/hid-pos-scale.js';

describe('HID POS scale report codec', () => {
  it('reads report id 0x04 like 0x03', () => {
    expect(decodeHidPosReport(Uint8Array.of(4, 4, 2, 0, 0xd2, 4))).toMatchObject({ reportId: 4, grams: 1234, stable: true });
  });

  it('reads a pound scale with exponent -2 (2.50 lb = 1134 g)', () => {
    expect(decodeHidPosReport(Uint8Array.of(3, 4, 12, 0xfe, 250, 0))).toMatchObject({ unit: 'lb', weight: 2.5, grams: 1134 });
  });

  it('reads kilograms with exponent -3 and milligrams', () => {
    expect(decodeHidPosReport(Uint8Array.of(3, 4, 3, 0xfd, 0x39, 0x30))).toMatchObject({ grams: 12.345 * 1000 });
    expect(decodeHidPosReport(Uint8Array.of(3, 4, 1, 0, 0xe8, 0x03))).toMatchObject({ unit: 'mg', grams: 1 });
  });

  it('keeps the fault, calibrate and re-zero statuses, none of them final', () => {
    expect(decodeHidPosReport(Uint8Array.of(3, 1, 2, 0, 0, 0))).toMatchObject({ status: 'fault', stable: false });
    expect(decodeHidPosReport(Uint8Array.of(3, 7, 2, 0, 0, 0))).toMatchObject({ status: 'calibrate', stable: false });
    expect(decodeHidPosReport(Uint8Array.of(3, 8, 2, 0, 0, 0))).toMatchObject({ status: 'rezero', stable: false });
  });

  it('tells a report of another id apart from a malformed one', () => {
    expect(decodeHidPosReport(Uint8Array.of(2, 2))).toEqual({ type: 'other-report', reportId: 2 });
    const short = decodeHidPosReport(Uint8Array.of(3, 4, 2, 0, 0xd2));
    expect(short).toBeInstanceOf(CodecError);
    expect(short).toMatchObject({ code: 'WRONG_LENGTH', protocol: 'hid-pos-scale', input: '03 04 02 00 D2' });
  });

  it('accepts zero padding after the 6 bytes but not other trailing bytes', () => {
    expect(decodeHidPosReport(Uint8Array.of(3, 4, 2, 0, 0xd2, 4, 0, 0))).toMatchObject({ grams: 1234 });
    expect(decodeHidPosReport(Uint8Array.of(3, 4, 2, 0, 0xd2, 4, 1))).toMatchObject({ code: 'WRONG_LENGTH' });
  });

  it('refuses unknown status and unit bytes, and tael (no single gram value), with stable codes', () => {
    expect(decodeHidPosReport(Uint8Array.of(3, 9, 2, 0, 0, 0))).toMatchObject({ code: 'UNKNOWN_STATUS' });
    expect(decodeHidPosReport(Uint8Array.of(3, 0, 2, 0, 0, 0))).toMatchObject({ code: 'UNKNOWN_STATUS' });
    expect(decodeHidPosReport(Uint8Array.of(3, 4, 13, 0, 0, 0))).toMatchObject({ code: 'UNKNOWN_UNIT' });
    expect(decodeHidPosReport(Uint8Array.of(3, 4, 5, 0, 0, 0))).toMatchObject({ code: 'UNKNOWN_UNIT' });
    expect(decodeHidPosReport(new Uint8Array(0))).toMatchObject({ code: 'EMPTY' });
  });

  it('encodes the stub side: 30.0 oz as 03 04 0B FF 2C 01', () => {
    const report = hidReportForGrams(850.5, 'ok', 'oz', -1);
    expect(report).toEqual({ reportId: 3, status: 'ok', unit: 'oz', exponent: -1, value: 300 });
    expect(encodeHidPosReport(report)).toEqual(Uint8Array.of(3, 4, 0x0b, 0xff, 0x2c, 0x01));
  });

  it('refuses to encode fields out of range', () => {
    expect(encodeHidPosReport({ reportId: 3, status: 'ok', unit: 'g', exponent: 0, value: 70000 })).toMatchObject({ code: 'OUT_OF_RANGE' });
    expect(encodeHidPosReport({ reportId: 3, status: 'ok', unit: 'g', exponent: 200, value: 1 })).toMatchObject({ code: 'OUT_OF_RANGE' });
  });

  const report: fc.Arbitrary<HidPosReport> = fc.record({
    reportId: fc.constantFrom(3 as const, 4 as const),
    status: fc.constantFrom(...hidScaleStatuses),
    unit: fc.constantFrom(...hidScaleUnits.filter((u) => u !== 'tael')),
    exponent: fc.integer({ min: -4, max: 2 }),
    value: fc.integer({ min: 0, max: 0xffff }),
  });

  it('decode(encode(x)) gives x back (property)', () => {
    fc.assert(
      fc.property(report, (r) => {
        const bytes = encodeHidPosReport(r);
        expect(bytes).toBeInstanceOf(Uint8Array);
        const decoded = decodeHidPosReport(bytes as Uint8Array);
        expect(decoded).toMatchObject({ type: 'reading', ...r });
        if (decoded instanceof CodecError || decoded.type !== 'reading') throw new Error('not a reading');
        expect(Number.isFinite(decoded.grams)).toBe(true);
        if (r.status === 'under') expect(decoded.grams).toBeLessThanOrEqual(0);
        else expect(decoded.grams).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes never throw, only a value or a CodecError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        const r = decodeHidPosReport(b);
        expect(r instanceof CodecError || r.type === 'reading' || r.type === 'other-report').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
