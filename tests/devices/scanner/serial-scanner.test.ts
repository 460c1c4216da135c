import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../../../devices/codec.js';
import { decodeSerialScannerLine, encodeSerialScannerLine } from '../../../devices/scanner/serial-scanner.js';

describe('serial scanner lines (PROTOCOLS.md §4.3)', () => {
  it('decodes ]C0RB123456785GB as Code 128', () => {
    expect(decodeSerialScannerLine(']C0RB123456785GB\r\n')).toEqual({
      code: 'RB123456785GB', aim: ']C0', symbology: 'code128', raw: ']C0RB123456785GB\r\n',
    });
  });

  it('decodes the GS1-128 vector with its elements, GS kept', () => {
    const line = ']C100376123450000000016' + '42127610115' + '\x1d' + '10LOT7\r\n';
    expect(decodeSerialScannerLine(line)).toEqual({
      code: '0037612345000000001642127610115\x1d10LOT7', aim: ']C1', symbology: 'gs1-128', raw: line,
      gs1: [{ ai: '00', value: '376123450000000016' }, { ai: '421', value: '27610115' }, { ai: '10', value: 'LOT7' }],
    });
  });

  it.each([
    [']E05901234123457\r', {}, { code: '5901234123457', symbology: 'ean13' }],
    [']Q1https://x.test/a\n', {}, { code: 'https://x.test/a', symbology: 'qr' }],
    ['STX]d1ABC', { prefix: 'STX', suffix: '' }, { code: 'ABC', symbology: 'datamatrix' }],
    ['RB123456785GB', {}, { code: 'RB123456785GB' }],
    [']C0RB1', { aim: false }, { code: ']C0RB1' }],
  ])('decodes %j with %j', (line, options, expected) => {
    expect(decodeSerialScannerLine(line, options)).toMatchObject(expected);
  });

  it('returns typed results for empty and foreign lines', () => {
    expect(decodeSerialScannerLine('\r\n')).toEqual({ type: 'ignored', reason: 'empty' });
    const r = decodeSerialScannerLine('ABC', { prefix: '#' });
    expect(r).toBeInstanceOf(CodecError);
    expect((r as CodecError).code).toBe('MISSING_PREFIX');
  });

  it('round-trips codes with prefix, AIM id and suffix', () => {
    const unit = fc.constantFrom(...'ABCXYZ0123456789-./ \x1d');
    fc.assert(fc.property(fc.string({ unit, minLength: 1, maxLength: 60 }), fc.constantFrom(']C0', ']Q1', ']d1', ']A0'), fc.constantFrom('\r', '\r\n'), (code, aim, suffix) => {
      const line = encodeSerialScannerLine(code, { prefix: '@', aim, suffix });
      expect(decodeSerialScannerLine(line, { prefix: '@', suffix })).toMatchObject({ code, aim });
    }));
  });

  it('never throws on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), (line) => {
      const r = decodeSerialScannerLine(line, { prefix: fc.sample(fc.constantFrom('', '#'), 1)[0] });
      expect(r instanceof CodecError || typeof r === 'object').toBe(true);
    }));
  });
});
