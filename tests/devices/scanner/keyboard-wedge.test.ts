import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError, fromHex } from '../../../devices/codec.js';
import {
  decodeKeyboardReport, encodeKeyboardReports, KeyboardWedgeAssembler, layoutFromTable, usLayout,
  type KeyboardLayout, type WedgeEvent,
} from '../../../devices/scanner/keyboard-wedge.js';

const report = (hex: string): Uint8Array => {
  const bytes = fromHex(hex) as Uint8Array;
  const r = new Uint8Array(8);
  r.set(bytes);
  return r;
};
const release = new Uint8Array(8);

/** PROTOCOLS.md §4.1: RB123456785GB + Enter, press reports. */
const vector = ['02 00 15', '02 00 05', '00 00 1E', '00 00 1F', '00 00 20', '00 00 21', '00 00 22',
  '00 00 23', '00 00 24', '00 00 25', '00 00 22', '02 00 0A', '02 00 05', '00 00 28'];

function feed(asm: KeyboardWedgeAssembler, reports: Uint8Array[], startMs = 0, stepMs = 5): WedgeEvent[] {
  return reports.flatMap((r, i) => asm.push(r, startMs + i * stepMs));
}

describe('keyboard-wedge reports (PROTOCOLS.md §4.1)', () => {
  it('decodes the vector with releases between presses into RB123456785GB', () => {
    const asm = new KeyboardWedgeAssembler();
    const events = feed(asm, vector.flatMap((h) => [report(h), release]));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'scan', scan: { code: 'RB123456785GB' } });
    const scan = (events[0] as { scan: { raw: string; symbology?: string } }).scan;
    expect(scan.symbology).toBeUndefined();
    expect(scan.raw.split(', ')).toHaveLength(27); // 14 presses and 13 releases up to Enter
  });

  it.each([
    ['00 00 04', 'a'], ['02 00 04', 'A'], ['20 00 04', 'A'], ['22 00 1E', '!'], ['02 00 27', ')'],
    ['00 00 2C', ' '], ['02 00 2D', '_'], ['00 00 38', '/'], ['02 00 34', '"'], ['00 00 28', '\r'],
    ['00 00 2B', '\t'], ['00 00 59', '1'], ['01 00 30', '\x1d'], ['10 00 0A', '\x07'],
  ])('report %s types %j', (hex, ch) => {
    expect(decodeKeyboardReport(report(hex))).toMatchObject({ type: 'keys', chars: [ch] });
  });

  it('treats right shift as 0x20, not decimal 20 (0x14)', () => {
    expect(decodeKeyboardReport(report('20 00 04'))).toMatchObject({ chars: ['A'] });
    // 0x14 is right Ctrl + left Alt: not a shift, and not decoded as one
    expect(decodeKeyboardReport(report('14 00 04'))).toMatchObject({ code: 'UNSUPPORTED_KEY' });
  });

  it.each([
    ['00 00 00 00 00 00 00 00', 'release'], ['02 00 00', 'modifiers-only'], ['00 00 01 01 01 01 01 01', 'rollover-error'],
  ])('report %s is ignored (%s)', (hex, reason) => {
    expect(decodeKeyboardReport(report(hex))).toEqual({ type: 'ignored', reason });
  });

  it.each([
    [new Uint8Array(7), 'WRONG_LENGTH'], [report('00 00 E0'), 'UNKNOWN_KEY'], [report('04 00 04'), 'UNSUPPORTED_KEY'],
    [report('01 00 1E'), 'UNSUPPORTED_KEY'],
  ])('report %s is a typed error %s', (bytes, code) => {
    const r = decodeKeyboardReport(bytes);
    expect(r).toBeInstanceOf(CodecError);
    expect((r as CodecError).code).toBe(code);
  });

  it('takes only newly pressed keys when a scanner rolls over without releases', () => {
    const asm = new KeyboardWedgeAssembler();
    const events = feed(asm, [report('00 00 04'), report('00 00 04 05'), report('00 00 05'), release, report('00 00 28')]);
    expect(events).toEqual([expect.objectContaining({ type: 'scan', scan: expect.objectContaining({ code: 'ab' }) })]);
  });

  it('uses a configured terminator and layout', () => {
    const de = layoutFromTable({ '0x1c': ['z', 'Z'], '29': ['y', 'Y'] }) as KeyboardLayout;
    const asm = new KeyboardWedgeAssembler({ layout: de, terminators: ['tab'] });
    const events = feed(asm, [report('00 00 1C'), release, report('00 00 1D'), release, report('00 00 2B'), release]);
    expect(events).toEqual([expect.objectContaining({ scan: expect.objectContaining({ code: 'zy' }) })]);
    expect(layoutFromTable({ x: ['a', 'b'] })).toBeInstanceOf(CodecError);
    expect(layoutFromTable({ '0x04': ['ab', 'b'] })).toBeInstanceOf(CodecError);
  });

  it('discards a partial code after the read timeout and reads the next one whole', () => {
    const asm = new KeyboardWedgeAssembler({ timeoutMs: 100 });
    expect(feed(asm, [report('00 00 04'), release, report('00 00 05'), release], 0)).toEqual([]);
    expect(asm.pending).toBe('ab');
    expect(asm.expire(50)).toEqual([]);
    expect(asm.expire(200)).toEqual([{ type: 'discarded', partial: 'ab', reason: 'timeout' }]);
    expect(asm.pending).toBe('');
    const later = feed(asm, [report('00 00 04'), release, report('00 00 06'), release], 1000);
    expect(feed(asm, [report('00 00 28')], 5000)).toEqual([{ type: 'discarded', partial: 'ac', reason: 'timeout' }]);
    expect(later).toEqual([]);
  });

  it('parses an AIM id the scanner types before the data', () => {
    const reports = encodeKeyboardReports(']C0RB1') as Uint8Array[];
    const events = feed(new KeyboardWedgeAssembler(), reports);
    expect(events[0]).toMatchObject({ scan: { code: 'RB1', aim: ']C0', symbology: 'code128' } });
  });

  it('encodes the vector exactly', () => {
    const reports = encodeKeyboardReports('RB123456785GB', { releases: false }) as Uint8Array[];
    expect(reports).toEqual(vector.map(report));
    expect(encodeKeyboardReports('é')).toBeInstanceOf(CodecError);
  });

  it('round-trips any printable ASCII code, with GS', () => {
    const chars = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\x1d'];
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: 40 }), (code) => {
      const events = feed(new KeyboardWedgeAssembler({ aim: false }), encodeKeyboardReports(code) as Uint8Array[]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'scan', scan: { code } });
    }));
  });

  it('never throws on random reports', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 10 }), { maxLength: 30 }), (reports) => {
      const asm = new KeyboardWedgeAssembler();
      for (const r of reports) for (const e of asm.push(r, 0)) expect(['scan', 'discarded', 'error']).toContain(e.type);
    }));
  });

  it('has a full US layout for letters and digits', () => {
    expect(Object.keys(usLayout).length).toBeGreaterThanOrEqual(26 + 10 + 13);
  });
});
