import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError, toHex } from '../../../devices/codec.js';
import {
  continuousUnits,
  decodeContinuousLine,
  encodeContinuousLine,
  formatContinuousData,
  lampByte,
  type ContinuousLine,
} from '../../../devices/scale/continuous-scale.js';

describe('continuous-output scale codec', () => {
  it('reads unstable net lines and negative weights', () => {
    expect(decodeContinuousLine('US,NT,1\u00c0,-002.250 kg')).toMatchObject({ state: 'unstable', mode: 'net', value: -2.25, grams: -2250, stable: false });
    expect(decodeContinuousLine('ST,NT,-   12.5g')).toMatchObject({ form: 'short', value: -12.5, grams: -12.5, stable: true });
  });

  it('reads the lamp byte bits', () => {
    expect(decodeContinuousLine('ST,NT,2\u00c3,0000.000 kg')).toMatchObject({
      id: '2',
      lamp: 0xc3,
      lampFlags: { stable: true, gross: false, tare: true, zero: true },
    });
  });

  it('accepts an overload line whose data is not a number', () => {
    expect(decodeContinuousLine('OL,GS,1\u0080,  OL     kg')).toMatchObject({ state: 'overload', value: null, grams: null, stable: false });
    expect(decodeContinuousLine('OL,GS,+ 99.999kg')).toMatchObject({ state: 'overload', value: 99.999, grams: 99999, stable: false });
  });

  const errors: [string, string][] = [
    ['', 'EMPTY'],
    ['XX,GS,+  1.500kg', 'BAD_HEADER'],
    ['ST;GS,+  1.500kg', 'BAD_HEADER'],
    ['ST,GS,+  1.5kg', 'WRONG_LENGTH'],
    ['ST,GS,+  1.500t', 'UNKNOWN_UNIT'],
    ['ST,GS,1\u00c4,0013.500kg', 'MALFORMED'],
    ['ST,GS,+ 1x.500kg', 'BAD_WEIGHT'],
  ];
  it.each(errors)('refuses "%s" with %s', (line, code) => {
    expect(decodeContinuousLine(line)).toMatchObject({ code, protocol: 'continuous-scale' });
  });

  it('keeps binary input as hex in the error', () => {
    expect(decodeContinuousLine(Uint8Array.of(0x58, 0x0d, 0x0a))).toMatchObject({ code: 'BAD_HEADER', input: '58 0D 0A' });
  });

  it('encodes the 22-byte line of PROTOCOLS §3.2', () => {
    const bytes = encodeContinuousLine({
      state: 'stable',
      mode: 'gross',
      form: 'full',
      id: '1',
      lamp: lampByte({ stable: true, gross: true, tare: false, zero: false }),
      data: formatContinuousData(13.5, 3),
      unit: 'kg',
    });
    expect(bytes instanceof CodecError ? bytes : toHex(bytes)).toBe('53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A');
  });

  it('formats data in both styles', () => {
    expect(formatContinuousData(1.5, 3, 'sign')).toBe('+  1.500');
    expect(formatContinuousData(-2.25, 3)).toBe('-002.250');
  });

  const line: fc.Arbitrary<ContinuousLine> = fc
    .record({
      state: fc.constantFrom('stable' as const, 'unstable' as const, 'overload' as const),
      mode: fc.constantFrom('gross' as const, 'net' as const),
      full: fc.boolean(),
      id: fc.stringMatching(/^[0-9A-Z]$/),
      lamp: fc.integer({ min: 0, max: 255 }),
      n: fc.integer({ min: -99_999, max: 999_999 }),
      decimals: fc.integer({ min: 0, max: 3 }),
      style: fc.constantFrom('zero' as const, 'sign' as const),
      unit: fc.constantFrom(...continuousUnits),
    })
    .map(({ full, id, lamp, n, decimals, style, ...rest }) => {
      const data = formatContinuousData(n / 10 ** decimals, decimals, style);
      const base = { ...rest, data: data.length === 8 ? data : '00000000' };
      return full ? { ...base, form: 'full' as const, id, lamp } : { ...base, form: 'short' as const };
    });

  it('decode(encode(x)) gives x back (property)', () => {
    fc.assert(
      fc.property(line, (l) => {
        const bytes = encodeContinuousLine(l);
        if (bytes instanceof CodecError) throw bytes;
        const d = decodeContinuousLine(bytes);
        expect(d).toMatchObject(l);
        expect(decodeContinuousLine(Buffer.from(bytes).toString('latin1'))).toEqual(d);
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes never throw, only a value or a CodecError (property)', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 30 }),
      fc.stringMatching(/^(ST|US|OL),(GS|NT),[ -~\u0080-\u00ff]{0,18}$/),
    );
    fc.assert(
      fc.property(input, (b) => {
        const r = decodeContinuousLine(b);
        expect(r instanceof CodecError || r.type === 'reading').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
