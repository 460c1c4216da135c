import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../../../devices/codec.js';
import {
  decodeMtSicsCommand,
  decodeMtSicsReply,
  encodeMtSicsReply,
  mtSicsUnits,
  mtSicsWeightReply,
  type MtSicsReply,
} from '../../../devices/scale/mt-sics.js';

describe('MT-SICS codec', () => {
  const rows: [string, unknown][] = [
    ['S S       -1.5 g', { type: 'weight', stable: true, value: -1.5, decimals: 1, unit: 'g', grams: -1.5 }],
    ['S S    1.2345 kg', { type: 'weight', stable: true, value: 1.2345, decimals: 4, unit: 'kg', grams: 1234.5 }],
    ['S S     2.50 lb', { type: 'weight', stable: true, value: 2.5, decimals: 2, unit: 'lb', grams: 1134 }],
    ['S D    30.0 oz', { type: 'weight', stable: false, value: 30, decimals: 1, unit: 'oz', grams: 850.5 }],
    ['S S   1500 mg', { type: 'weight', stable: true, value: 1500, decimals: 0, unit: 'mg', grams: 1.5 }],
    ['S -', { type: 'weight-condition', condition: 'underload' }],
    ['Z A', { type: 'zero', done: true }],
    ['Z I', { type: 'zero', done: false, condition: 'busy' }],
    ['Z +', { type: 'zero', done: false, condition: 'overload' }],
    ['Z -', { type: 'zero', done: false, condition: 'underload' }],
    ['T S     100.00 g', { type: 'tare', done: true, form: 'S', value: 100, decimals: 2, unit: 'g', grams: 100 }],
    ['T A     100.00 g', { type: 'tare', done: true, form: 'A', value: 100, decimals: 2, unit: 'g', grams: 100 }],
    ['T A', { type: 'tare', done: true, form: 'A' }],
    ['T I', { type: 'tare', done: false, condition: 'busy' }],
    ['T +', { type: 'tare', done: false, condition: 'overload' }],
    ['T -', { type: 'tare', done: false, condition: 'underload' }],
    ['I4 A "B123456789"', { type: 'reset', serialNumber: 'B123456789' }],
    ['ET', { type: 'error', code: 'ET', error: 'transmission' }],
    ['EL', { type: 'error', code: 'EL', error: 'logical' }],
    ['S S     100.00 g\r\n', { type: 'weight', stable: true, value: 100, decimals: 2, unit: 'g', grams: 100 }],
  ];
  it.each(rows)('decodes "%s"', (line, expected) => {
    expect(decodeMtSicsReply(line)).toEqual(expected);
  });

  const errors: [string, string][] = [
    ['', 'EMPTY'],
    ['   ', 'EMPTY'],
    ['S S 100.00 t', 'UNKNOWN_UNIT'],
    ['S S 1O0.00 g', 'BAD_VALUE'],
    ['S X 100 g', 'UNKNOWN_STATUS'],
    ['S S 100', 'MALFORMED'],
    ['S', 'MALFORMED'],
    ['S I 5', 'MALFORMED'],
    ['ES 1', 'MALFORMED'],
    ['Z A 1 g', 'MALFORMED'],
    ['I4 A 123', 'MALFORMED'],
    ['XP 12', 'UNKNOWN_REPLY'],
    ['T D 1 g', 'UNKNOWN_STATUS'],
  ];
  it.each(errors)('refuses "%s" with %s, keeping the line', (line, code) => {
    const r = decodeMtSicsReply(line);
    expect(r).toBeInstanceOf(CodecError);
    expect(r).toMatchObject({ code, protocol: 'mt-sics', input: line });
  });

  it('reads commands as the scale receives them', () => {
    expect(decodeMtSicsCommand('SIR\r\n')).toBe('SIR');
    expect(decodeMtSicsCommand(' @ ')).toBe('@');
    expect(decodeMtSicsCommand('XYZ')).toMatchObject({ code: 'UNKNOWN_COMMAND' });
  });

  it('encodes replies right-aligned as a balance does', () => {
    expect(encodeMtSicsReply(mtSicsWeightReply(100, true))).toBe('S S     100.00 g\r\n');
    expect(encodeMtSicsReply({ type: 'error', code: 'ES', error: 'syntax' })).toBe('ES\r\n');
    expect(encodeMtSicsReply({ type: 'tare', done: true, form: 'A' })).toBe('T A\r\n');
  });

  const condition = fc.constantFrom('busy' as const, 'overload' as const, 'underload' as const);
  const value = fc
    .record({ n: fc.integer({ min: -9_999_999, max: 99_999_999 }), decimals: fc.integer({ min: 0, max: 4 }), unit: fc.constantFrom(...mtSicsUnits) })
    .map(({ n, decimals, unit }) => {
      const r = decodeMtSicsReply(`S S ${(n / 10 ** decimals).toFixed(decimals)} ${unit}`);
      if (r instanceof CodecError || r.type !== 'weight') throw new Error('bad generator');
      const { value: v, grams } = r;
      return { value: v, decimals, unit, grams };
    });
  const reply: fc.Arbitrary<MtSicsReply> = fc.oneof(
    fc.tuple(fc.boolean(), value).map(([stable, v]) => ({ type: 'weight' as const, stable, ...v })),
    condition.map((c) => ({ type: 'weight-condition' as const, condition: c })),
    fc.constant({ type: 'zero' as const, done: true as const }),
    condition.map((c) => ({ type: 'zero' as const, done: false as const, condition: c })),
    fc.tuple(fc.constantFrom('S' as const, 'A' as const), value).map(([form, v]) => ({ type: 'tare' as const, done: true as const, form, ...v })),
    fc.constant({ type: 'tare' as const, done: true as const, form: 'A' as const }),
    condition.map((c) => ({ type: 'tare' as const, done: false as const, condition: c })),
    fc.stringMatching(/^[A-Z0-9]{0,12}$/).map((serialNumber) => ({ type: 'reset' as const, serialNumber })),
    fc.constantFrom(
      { type: 'error' as const, code: 'ES' as const, error: 'syntax' as const },
      { type: 'error' as const, code: 'ET' as const, error: 'transmission' as const },
      { type: 'error' as const, code: 'EL' as const, error: 'logical' as const },
    ),
  );

  it('decode(encode(x)) gives x back for every reply form (property)', () => {
    fc.assert(
      fc.property(reply, (r) => {
        expect(decodeMtSicsReply(encodeMtSicsReply(r))).toEqual(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('random strings never throw, only a value or a CodecError (property)', () => {
    const line = fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^[STZIE@A+\-. 0-9gklbmoz"]{0,20}$/));
    fc.assert(
      fc.property(line, (s) => {
        const r = decodeMtSicsReply(s);
        expect(r instanceof CodecError || typeof r.type === 'string').toBe(true);
        const c = decodeMtSicsCommand(s);
        expect(c instanceof CodecError || typeof c === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
