import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError, fromHex, toHex } from '../../../devices/codec.js';
import { decodeHidPosReport, encodeHidPosReports, HidPosAssembler } from '../../../devices/scanner/hid-pos.js';

/** PROTOCOLS.md §4.2 */
function vectorReport(): Uint8Array {
  const r = new Uint8Array(64);
  r.set(fromHex('02 0D 5D 43 30 52 42 31 32 33 34 35 36 37 38 35 47 42') as Uint8Array);
  r.set([0x6a, 0x00, 0x00], 61);
  return r;
}

describe('HID POS scanner reports (PROTOCOLS.md §4.2)', () => {
  it('decodes the vector: ]C0 + RB123456785GB, Code 128, last report', () => {
    const r = vectorReport();
    expect(new HidPosAssembler().push(r)).toEqual({ code: 'RB123456785GB', aim: ']C0', symbology: 'code128', raw: toHex(r) });
    expect(decodeHidPosReport(r)).toMatchObject({ type: 'report', aim: ']C0', vendorCode: 0x6a, more: false });
  });

  it('encodes the vector exactly', () => {
    expect(encodeHidPosReports('RB123456785GB', { aim: ']C0', vendorCode: 0x6a })).toEqual([vectorReport()]);
  });

  it('concatenates continued reports', () => {
    const code = 'X'.repeat(56) + 'Y'.repeat(20);
    const reports = encodeHidPosReports(code, { aim: ']Q1' });
    expect(reports.map((r) => r[63])).toEqual([1, 0]);
    const asm = new HidPosAssembler();
    expect(asm.push(reports[0], 0)).toEqual({ type: 'pending' });
    expect(asm.push(reports[1], 10)).toMatchObject({ code, symbology: 'qr', aim: ']Q1' });
  });

  it('starts over when a continuation comes after the timeout', () => {
    const asm = new HidPosAssembler({ timeoutMs: 100 });
    asm.push(encodeHidPosReports('A'.repeat(60))[0], 0);
    expect(asm.push(encodeHidPosReports('B')[0], 500)).toMatchObject({ code: 'B' });
  });

  it.each([
    [new Uint8Array(63), 'WRONG_LENGTH'],
    [Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 2 : i === 1 ? 57 : 0)), 'BAD_LENGTH'],
    [Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 2 : i === 63 ? 7 : 0)), 'BAD_CONTINUATION'],
    [Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 2 : i === 2 ? 0x41 : 0)), 'BAD_AIM'],
  ])('rejects a bad report with %s', (bytes, code) => {
    const r = decodeHidPosReport(bytes as Uint8Array);
    expect(r).toBeInstanceOf(CodecError);
    expect((r as CodecError).code).toBe(code as string);
  });

  it('ignores reports with another id and empty codes', () => {
    expect(decodeHidPosReport(new Uint8Array(64).fill(0).map((_, i) => (i === 0 ? 1 : 0)))).toEqual({ type: 'ignored', reason: 'report-id-1' });
    expect(new HidPosAssembler().push(encodeHidPosReports('')[0])).toEqual({ type: 'ignored', reason: 'empty' });
  });

  it('parses GS1 data from a ]C1 report', () => {
    const data = '00376123450000000016' + '42127610115\x1d10LOT7';
    expect(new HidPosAssembler().push(encodeHidPosReports(data, { aim: ']C1' })[0])).toMatchObject({
      symbology: 'gs1-128', gs1: [{ ai: '00', value: '376123450000000016' }, { ai: '421', value: '27610115' }, { ai: '10', value: 'LOT7' }],
    });
  });

  it('round-trips any code up to 500 bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 500 }), (code) => {
      const asm = new HidPosAssembler();
      const results = encodeHidPosReports(code, { aim: ']d1' }).map((r) => asm.push(r));
      expect(results.at(-1)).toMatchObject({ code, symbology: 'datamatrix' });
    }));
  });

  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 60, maxLength: 66 }), (bytes) => {
      if (bytes.length === 64) bytes[0] = 2;
      const r = new HidPosAssembler().push(bytes);
      expect(r instanceof CodecError || typeof r === 'object').toBe(true);
    }));
  });
});
