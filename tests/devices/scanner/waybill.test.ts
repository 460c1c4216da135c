import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  carrierSchemeSchema,
  classifyWaybill,
  defaultCarrierSchemes,
  gs1CheckDigit,
  parseGs1,
  s10CheckDigit,
  upsCheckDigit,
  waybillDecoder,
  type CarrierScheme,
} from '../../../devices/scanner/waybill.js';

describe('PROTOCOLS.md §7 vectors', () => {
  it.each([
    ['RB123456785GB', 's10', 'RB123456785GB', true, undefined],
    ['RR123456785CN', 's10', 'RR123456785CN', true, undefined],
    ['RR123456784CN', 's10', 'RR123456784CN', false, 'BAD_CHECK_DIGIT'],
    ['RB123456786US', 's10', 'RB123456786US', false, 'BAD_CHECK_DIGIT'],
    ['RB123456785XX', 's10', 'RB123456785XX', false, 'BAD_COUNTRY'],
    ['(00)095287654321012346', 'sscc', '095287654321012346', true, undefined],
    ['00095287654321012346', 'sscc', '095287654321012346', true, undefined],
    ['095287654321012346', 'sscc', '095287654321012346', true, undefined],
    ['(00)095287654321012345', 'sscc', '095287654321012345', false, 'BAD_CHECK_DIGIT'],
    ['5901234123457', 'ean13', '5901234123457', true, undefined],
    ['1Z999AA10123456784', 'ups', '1Z999AA10123456784', true, undefined],
    ['1Z1111111111111111', 'ups', '1Z1111111111111111', false, 'BAD_CHECK_DIGIT'],
    ['SF1234567890123', 'sf', 'SF1234567890123', true, undefined],
    ['JDX123456789012', 'jd', 'JDX123456789012', true, undefined],
    ['JDVA12345678901', 'jd', 'JDVA12345678901', true, undefined],
    ['JT1234567890123', 'jt', 'JT1234567890123', true, undefined],
    ['JT123456789012', 'jt', 'JT123456789012', true, undefined],
    ['YT1234567890123', 'yto', 'YT1234567890123', true, undefined],
    ['773456789012345', 'sto', '773456789012345', true, undefined],
    ['12345678901234', 'zto', '12345678901234', true, undefined],
    ['HELLO-WORLD', null, 'HELLO-WORLD', false, 'UNKNOWN_FORMAT'],
    ['', null, '', false, 'UNKNOWN_FORMAT'],
  ])('%s -> %s', (code, scheme, waybill, valid, reason) => {
    const info = classifyWaybill(code);
    expect(info.scheme).toBe(scheme);
    expect(info.waybill).toBe(waybill);
    expect(info.valid).toBe(valid);
    expect(info.reason).toBe(reason);
  });

  it('computes the check digits the vectors name', () => {
    expect(s10CheckDigit('12345678')).toBe(5);
    expect(gs1CheckDigit('09528765432101234')).toBe(6);
    expect(gs1CheckDigit('590123412345')).toBe(7);
    expect(upsCheckDigit('999AA1012345678')).toBe(4);
    expect(s10CheckDigit('1234567')).toBeUndefined();
  });
});

describe('normalisation', () => {
  it('trims, upper-cases and removes spaces', () => {
    expect(classifyWaybill('  rb 1234 5678 5 gb \r\n')).toEqual({ scheme: 's10', waybill: 'RB123456785GB', valid: true });
  });

  it('strips an AIM symbology identifier', () => {
    expect(classifyWaybill(']C0RB123456785GB')).toEqual({ scheme: 's10', waybill: 'RB123456785GB', valid: true });
  });

  it('parses a GS1-128 element string with AI 00 (§4.3 vector)', () => {
    const info = classifyWaybill(']C100376123450000000016' + '42127610115' + '\x1d' + '10LOT7');
    expect(info).toEqual({
      scheme: 'sscc',
      waybill: '376123450000000016',
      valid: true,
      ais: { '00': '376123450000000016', '421': '27610115', '10': 'LOT7' },
    });
  });

  it('parses the same element string without the AIM id, by its group separator', () => {
    const info = classifyWaybill('00376123450000000016' + '42127610115\x1d10LOT7');
    expect(info.scheme).toBe('sscc');
    expect(info.ais).toEqual({ '00': '376123450000000016', '421': '27610115', '10': 'LOT7' });
  });

  it('parses bracketed AIs in any order', () => {
    expect(parseGs1('(421)27610115(00)376123450000000016')).toEqual({ '421': '27610115', '00': '376123450000000016' });
  });

  it('a GS1 code without an SSCC is not a waybill', () => {
    const info = classifyWaybill('(01)09501101020917(10)ABC');
    expect(info).toMatchObject({ scheme: 'gs1', valid: false, reason: 'NO_SSCC', waybill: '(01)09501101020917(10)ABC' });
  });

  it('a malformed element string is BAD_GS1', () => {
    expect(classifyWaybill('(00)1234(')).toMatchObject({ scheme: 'gs1', valid: false, reason: 'BAD_GS1' });
    expect(classifyWaybill('0012\x1d')).toMatchObject({ scheme: 'gs1', valid: false, reason: 'BAD_GS1' });
  });
});

describe('carrier schemes', () => {
  it('a configured scheme wins over the standard schemes and the guesses', () => {
    const carriers: CarrierScheme[] = [{ name: 'acme', pattern: '\\d{13}', checkDigit: 'none' }];
    expect(classifyWaybill('5901234123457', carriers)).toEqual({ scheme: 'acme', waybill: '5901234123457', valid: true });
    expect(classifyWaybill('5901234123457').scheme).toBe('ean13');
  });

  it('applies the named check digit algorithm', () => {
    const carriers: CarrierScheme[] = [
      { name: 'post', pattern: 'PX\\d{9}', checkDigit: 's10' },
      { name: 'gs', pattern: 'G\\d{13}', checkDigit: 'mod10' },
      { name: 'u', pattern: '1Z[0-9A-Z]{16}', checkDigit: 'ups' },
    ];
    expect(classifyWaybill('PX123456785', carriers)).toEqual({ scheme: 'post', waybill: 'PX123456785', valid: true });
    expect(classifyWaybill('PX123456784', carriers)).toEqual({ scheme: 'post', waybill: 'PX123456784', valid: false, reason: 'BAD_CHECK_DIGIT' });
    expect(classifyWaybill('G5901234123457', carriers).valid).toBe(true);
    expect(classifyWaybill('G5901234123458', carriers).reason).toBe('BAD_CHECK_DIGIT');
    expect(classifyWaybill('1Z999AA10123456784', carriers)).toEqual({ scheme: 'u', waybill: '1Z999AA10123456784', valid: true });
    expect(classifyWaybill('1Z1111111111111111', carriers).valid).toBe(false);
  });

  it('a 13-digit number failing mod 10 falls back to a Chinese express guess, with the overlapping ones named', () => {
    expect(classifyWaybill('5901234123458')).toEqual({ scheme: 'yunda', waybill: '5901234123458', valid: true, alternatives: ['zto'] });
  });

  it('an invalid configured pattern never throws and never matches; the config schema refuses it', () => {
    expect(classifyWaybill('ABC', [{ name: 'bad', pattern: '(' }]).reason).toBe('UNKNOWN_FORMAT');
    expect(carrierSchemeSchema.safeParse({ name: 'bad', pattern: '(' }).success).toBe(false);
    expect(carrierSchemeSchema.safeParse({ name: 'ok', pattern: 'X\\d+', checkDigit: 'mod10' }).success).toBe(true);
  });

  it('the default list has the seven carriers of §7, each pattern compiling', () => {
    expect(defaultCarrierSchemes.map((c) => c.name)).toEqual(['sf', 'jd', 'jt', 'yto', 'sto', 'yunda', 'zto']);
    for (const c of defaultCarrierSchemes) expect(carrierSchemeSchema.safeParse(c).success).toBe(true);
  });
});

describe('decoder definition', () => {
  it('decodes text and bytes alike', () => {
    expect(waybillDecoder.name).toBe('waybill');
    expect(waybillDecoder.input).toBe('text');
    expect(waybillDecoder.decode('RR123456785CN')).toEqual({ scheme: 's10', waybill: 'RR123456785CN', valid: true });
    expect(waybillDecoder.decode(new TextEncoder().encode('RR123456784CN'))).toMatchObject({ valid: false, reason: 'BAD_CHECK_DIGIT' });
  });
});

describe('properties', () => {
  it('random strings never throw and always give a typed result', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        const info = classifyWaybill(s);
        expect(typeof info.valid).toBe('boolean');
        expect(typeof info.waybill).toBe('string');
        if (!info.valid) expect(typeof info.reason).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  const s10Arb = fc.record({
    service: fc.stringMatching(/^[A-Z]{2}$/),
    serial: fc.stringMatching(/^\d{8}$/),
    country: fc.constantFrom('CN', 'GB', 'US', 'DE', 'FR', 'JP', 'CH'),
  });

  it('a generated S10 always validates', () => {
    fc.assert(
      fc.property(s10Arb, ({ service, serial, country }) => {
        const code = `${service}${serial}${s10CheckDigit(serial)}${country}`;
        expect(classifyWaybill(code)).toEqual({ scheme: 's10', waybill: code, valid: true });
      }),
    );
  });

  it('changing the check digit of a valid S10 always makes it fail', () => {
    fc.assert(
      fc.property(s10Arb, fc.integer({ min: 1, max: 9 }), ({ service, serial, country }, delta) => {
        const check = (s10CheckDigit(serial)! + delta) % 10;
        expect(classifyWaybill(`${service}${serial}${check}${country}`)).toMatchObject({ valid: false, reason: 'BAD_CHECK_DIGIT' });
      }),
    );
  });

  // The S10 rule maps r = 11 to 5 while r = 5 is also 5: a changed serial digit that moves
  // sum mod 11 between 0 and 6 keeps the check digit. Every other change fails.
  it('changing any serial digit makes it fail, except across the rule\'s own 5/5 collision', () => {
    const sumMod11 = (serial: string) => [8, 6, 4, 2, 3, 5, 9, 7].reduce((a, w, i) => a + w * Number(serial[i]), 0) % 11;
    fc.assert(
      fc.property(s10Arb, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 9 }), ({ service, serial, country }, pos, delta) => {
        const code = `${service}${serial}${s10CheckDigit(serial)}${country}`;
        const changedSerial = serial.slice(0, pos) + String((Number(serial[pos]) + delta) % 10) + serial.slice(pos + 1);
        const info = classifyWaybill(code.slice(0, 2) + changedSerial + code.slice(10));
        expect(info.scheme).toBe('s10');
        const collision = new Set([sumMod11(serial), sumMod11(changedSerial)]);
        if (collision.size === 2 && collision.has(0) && collision.has(6)) expect(info.valid).toBe(true);
        else expect(info).toMatchObject({ valid: false, reason: 'BAD_CHECK_DIGIT' });
      }),
      { numRuns: 3000 },
    );
  });
});
