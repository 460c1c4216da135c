import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aimOfSymbology, splitAim, symbologyOfAim } from '../../../devices/scanner/aim.js';
import { encodeGs1, parseGs1 } from '../../../devices/scanner/gs1.js';
import { makeScan } from '../../../devices/scanner/scan.js';
import { CodecError } from '../../../devices/codec.js';

describe('AIM symbology identifiers (PROTOCOLS.md §4.3)', () => {
  it.each([
    [']A0', 'code39'], [']C0', 'code128'], [']C1', 'gs1-128'], [']E0', 'ean13'], [']E4', 'ean8'],
    [']I0', 'itf'], [']I1', 'itf'], [']Q1', 'qr'], [']Q3', 'gs1-qr'], [']d1', 'datamatrix'],
    [']d2', 'gs1-datamatrix'], [']e0', 'databar'], [']L2', 'pdf417'], [']z0', 'aztec'],
  ])('%s is %s', (aim, symbology) => {
    expect(symbologyOfAim(aim)).toBe(symbology);
    expect(symbologyOfAim(aimOfSymbology(symbologyOfAim(aim)!))).toBe(symbology);
  });

  it('maps other modifiers to the family and unknown code characters to undefined', () => {
    expect(symbologyOfAim(']C2')).toBe('code128');
    expect(symbologyOfAim(']Y0')).toBeUndefined();
    expect(symbologyOfAim('C0')).toBeUndefined();
  });

  it('splits a leading AIM id only', () => {
    expect(splitAim(']C0RB123456785GB')).toEqual({ aim: ']C0', data: 'RB123456785GB' });
    expect(splitAim('RB123456785GB')).toEqual({ aim: undefined, data: 'RB123456785GB' });
    expect(splitAim(']C')).toEqual({ aim: undefined, data: ']C' });
  });
});

describe('GS1 element strings', () => {
  it('parses the §4.3 GS1-128 vector', () => {
    expect(parseGs1('00376123450000000016' + '42127610115' + '\x1d' + '10LOT7')).toEqual([
      { ai: '00', value: '376123450000000016' },
      { ai: '421', value: '27610115' },
      { ai: '10', value: 'LOT7' },
    ]);
  });

  it.each([
    ['01095011010209171719050810ABCD1234\x1d2110', [
      { ai: '01', value: '09501101020917' }, { ai: '17', value: '190508' }, { ai: '10', value: 'ABCD1234' }, { ai: '21', value: '10' },
    ]],
    ['\x1d3103000189', [{ ai: '3103', value: '000189' }]],
    ['0109501101020917\x1d10X', [{ ai: '01', value: '09501101020917' }, { ai: '10', value: 'X' }]],
  ])('parses %j', (text, elements) => {
    expect(parseGs1(text)).toEqual(elements);
  });

  it.each([
    ['', 'EMPTY'], ['0012345', 'WRONG_LENGTH'], ['AB12', 'UNKNOWN_AI'], ['10', 'WRONG_LENGTH'],
    ['26123', 'UNKNOWN_AI'], ['421' + '1'.repeat(13), 'WRONG_LENGTH'],
  ])('rejects %j with %s', (text, code) => {
    const r = parseGs1(text);
    expect(r).toBeInstanceOf(CodecError);
    expect((r as CodecError).code).toBe(code);
  });

  it('round-trips element strings', () => {
    const fixed = fc.record({ ai: fc.constantFrom('00', '01', '17'), value: fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 1 }) })
      .map((e) => ({ ai: e.ai, value: e.value.repeat(e.ai === '00' ? 18 : e.ai === '01' ? 14 : 6) }));
    const variable = fc.record({ ai: fc.constantFrom('10', '21', '400', '90'), value: fc.string({ unit: fc.constantFrom(...'ABC123-/'), minLength: 1, maxLength: 20 }) });
    fc.assert(fc.property(fc.array(fc.oneof(fixed, variable), { minLength: 1, maxLength: 6 }), (elements) => {
      expect(parseGs1(encodeGs1(elements))).toEqual(elements);
    }));
  });

  it('never throws on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => {
      const r = parseGs1(text);
      expect(Array.isArray(r) || r instanceof CodecError).toBe(true);
    }));
  });
});

describe('makeScan', () => {
  it('reports GS1 data with elements, the AIM id and the symbology', () => {
    const raw = ']C100376123450000000016\x1d10LOT7';
    expect(makeScan(raw, raw)).toEqual({
      code: '00376123450000000016\x1d10LOT7', raw, aim: ']C1', symbology: 'gs1-128',
      gs1: [{ ai: '00', value: '376123450000000016' }, { ai: '10', value: 'LOT7' }],
    });
  });

  it('keeps a code whose GS1 data does not parse, with the reason', () => {
    expect(makeScan(']d2XYZ', 'x')).toMatchObject({ code: 'XYZ', symbology: 'gs1-datamatrix', gs1Error: 'UNKNOWN_AI' });
  });
});
