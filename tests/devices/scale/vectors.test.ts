/**
 * Every vector of PROTOCOLS.md §1–3, one per row with its named expectation, decoded by
 * the real codecs. Every decoded reading also passes the shared sanity checks.
 */
import { describe, expect, it } from 'vitest';
import { CodecError, fromHex } from '../../../devices/codec.js';
import { decodeHidPosReport } from '../../../devices/scale/hid-pos-scale.js';
import { decodeWeightMeasurement, decodeWeightScaleFeature } from '../../../devices/scale/ble-weight.js';
import { decodeMtSicsReply, encodeMtSicsCommand } from '../../../devices/scale/mt-sics.js';
import { decodeContinuousLine } from '../../../devices/scale/continuous-scale.js';

function bytes(hex: string): Uint8Array {
  const b = fromHex(hex);
  if (b instanceof CodecError) throw b;
  return b;
}

/** sanity checks every decoded reading passes: grams finite, in a shipping scale's range, at most 0.1 g resolution */
function sane(reading: unknown): void {
  const r = reading as { grams: number | null; stable: boolean };
  expect(typeof r.stable).toBe('boolean');
  if (r.grams !== null) {
    expect(Number.isFinite(r.grams)).toBe(true);
    expect(Math.abs(r.grams)).toBeLessThan(1_000_000);
    expect(Math.round(r.grams * 10) / 10).toBe(r.grams);
  }
}

describe('PROTOCOLS §1 HID POS scale reports', () => {
  const rows: [string, string, Record<string, unknown>][] = [
    ['03 04 02 00 D2 04', 'stable, 1234 g', { status: 'ok', unit: 'g', grams: 1234, stable: true }],
    ['03 04 0B FF 2C 01', 'stable, 30.0 oz = 850.5 g', { status: 'ok', unit: 'oz', exponent: -1, value: 300, weight: 30, grams: 850.5, stable: true }],
    ['03 02 02 00 00 00', 'stable at zero, 0 g', { status: 'zero', grams: 0, stable: true }],
    ['03 03 02 00 F4 01', 'in motion, 500 g (not final)', { status: 'motion', grams: 500, stable: false }],
    ['03 05 02 00 0A 00', 'under zero (10 g below)', { status: 'under', weight: -10, grams: -10, stable: false }],
    ['03 06 0B FF A0 0F', 'over weight limit', { status: 'over', unit: 'oz', value: 4000, weight: 400, grams: 11339.8, stable: false }],
  ];
  it.each(rows)('%s: %s', (hex, _name, expected) => {
    const r = decodeHidPosReport(bytes(hex));
    expect(r).toMatchObject({ type: 'reading', reportId: 3, ...expected });
    sane(r);
  });
});

describe('PROTOCOLS §2 BLE Weight Measurement and Feature', () => {
  const rows: [string, string, Record<string, unknown>][] = [
    ['00 86 38', '72.35 kg', { unit: 'kg', weight: 72.35, grams: 72350, stable: true, unsuccessful: false }],
    ['02 86 38 E8 07 05 11 09 1E 00', '72.35 kg at 2024-05-17 09:30:00', {
      grams: 72350,
      timestamp: { year: 2024, month: 5, day: 17, hours: 9, minutes: 30, seconds: 0 },
      measuredAt: '2024-05-17T09:30:00',
    }],
    ['0E 86 38 E8 07 05 11 09 1E 00 01 EC 00 D6 06', '72.35 kg, timestamp, user 1, BMI 23.6, height 1.750 m', {
      weight: 72.35,
      grams: 72350,
      measuredAt: '2024-05-17T09:30:00',
      userId: 1,
      bmi: 23.6,
      height: 1.75,
      heightUnit: 'm',
    }],
  ];
  it.each(rows)('%s: %s', (hex, _name, expected) => {
    const r = decodeWeightMeasurement(bytes(hex));
    expect(r).toMatchObject({ type: 'measurement', ...expected });
    sane(r);
  });

  it('feature BF 01 00 00: timestamp, multi-user, BMI, weight res 0.005 kg, height res 0.001 m', () => {
    expect(decodeWeightScaleFeature(bytes('BF 01 00 00'))).toEqual({
      type: 'feature',
      timestampSupported: true,
      multipleUsersSupported: true,
      bmiSupported: true,
      weightResolutionCode: 7,
      heightResolutionCode: 3,
      weightResolution: { kg: 0.005, lb: 0.01 },
      heightResolution: { m: 0.001, in: 0.1 },
      resolutionGrams: 5,
    });
  });
});

describe('PROTOCOLS §3.1 MT-SICS', () => {
  const rows: [string, string, string, Record<string, unknown>][] = [
    ['S', 'S S     100.00 g', '100.00 g stable', { type: 'weight', stable: true, value: 100, decimals: 2, unit: 'g', grams: 100 }],
    ['SI', 'S D      99.98 g', '99.98 g dynamic', { type: 'weight', stable: false, value: 99.98, decimals: 2, unit: 'g', grams: 99.98 }],
    ['S', 'S I', 'busy: no reading', { type: 'weight-condition', condition: 'busy' }],
    ['S', 'S +', 'overload', { type: 'weight-condition', condition: 'overload' }],
    ['XYZ', 'ES', 'syntax error (typed)', { type: 'error', code: 'ES', error: 'syntax' }],
  ];
  it.each(rows)('sent %s, reply "%s": %s', (_sent, reply, _name, expected) => {
    expect(decodeMtSicsReply(reply)).toEqual(expected);
  });

  it('a weight sent in grams keeps its digits (no 0.1 g rounding)', () => {
    expect(decodeMtSicsReply('S D      99.98 g')).toMatchObject({ value: 99.98, grams: 99.98 });
  });

  it('sends the commands with CR LF', () => {
    expect(['S', 'SI', 'SIR', 'Z', 'T', '@'].map((c) => encodeMtSicsCommand(c as 'S'))).toEqual(['S\r\n', 'SI\r\n', 'SIR\r\n', 'Z\r\n', 'T\r\n', '@\r\n']);
  });
});

describe('PROTOCOLS §3.2 continuous output', () => {
  it('53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A: ST,GS,1·,0013.500 kg -> 13500 g stable gross', () => {
    const r = decodeContinuousLine(bytes('53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A'));
    expect(r).toEqual({
      type: 'reading',
      state: 'stable',
      mode: 'gross',
      form: 'full',
      id: '1',
      lamp: 0xc4,
      lampFlags: { stable: true, gross: true, tare: false, zero: false },
      data: '0013.500',
      unit: 'kg',
      value: 13.5,
      grams: 13500,
      stable: true,
    });
    sane(r);
  });

  it('the short form without id and lamp: ST,GS,+  1.500kg -> 1500 g stable gross', () => {
    const r = decodeContinuousLine('ST,GS,+  1.500kg');
    expect(r).toEqual({
      type: 'reading',
      state: 'stable',
      mode: 'gross',
      form: 'short',
      data: '+  1.500',
      unit: 'kg',
      value: 1.5,
      grams: 1500,
      stable: true,
    });
  });
});
