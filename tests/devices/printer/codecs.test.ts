import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, fromHex, toHex } from '../../../devices/codec.js';
import { readyStatus, type PrintItem, type PrintPage, type PrinterStatus } from '../../../devices/printer/doc.js';
import { decodeEscPos, decodeEscposStatus, encodeEscPos, EscPosParser, escposStatusByte } from '../../../devices/printer/escpos.js';
import { decodeTspl, decodeTsplStatus, encodeTspl, tsplStatusByte } from '../../../devices/printer/tspl.js';
import { defaultReceipt, fill, labelTemplateSchema, receiptTemplateSchema } from '../../../devices/printer/layout.js';

const hex = (s: string) => fromHex(s) as Uint8Array;

describe('ESC/POS', () => {
  it('encodes a page as the command bytes of the spec', () => {
    const bytes = encodeEscPos({ items: [{ t: 'text', text: 'Hi', bold: true, align: 'center', scale: 2 }, { t: 'barcode', data: 'AB1', height: 80 }, { t: 'feed', lines: 2 }] });
    expect(toHex(bytes)).toBe(
      [
        '1B 40', // ESC @
        '1B 61 01 1B 45 01 1D 21 11 48 69 0A', // centre, bold, double size, "Hi" LF
        '1B 61 01 1D 68 50 1D 77 02 1D 48 02 1D 6B 49 05 7B 42 41 42 31 0A', // GS h 80, GS w 2, HRI below, GS k 73 5 {B AB1
        '1B 64 02', // ESC d 2
        '1D 56 42 03', // GS V 66 3: feed and cut
      ].join(' '),
    );
  });

  it('parses a page from bytes split anywhere, status requests answered at once', () => {
    const page: PrintPage = { items: [{ t: 'text', text: 'Receipt 0A1-B2C3', bold: false, align: 'left', scale: 1 }, { t: 'barcode', data: 'RB123456785GB', height: 80 }] };
    const bytes = Buffer.concat([Buffer.from(encodeEscPos(page)), Buffer.from([0x10, 0x04, 0x02])]);
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const parser = new EscPosParser();
      const events = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
      expect(events).toEqual([{ type: 'page', page }, { type: 'status', n: 2 }]);
    }
  });

  it('decodes the DLE EOT status bytes of the spec', () => {
    expect(decodeEscposStatus(1, 0x12)).toEqual({ offline: false });
    expect(decodeEscposStatus(1, 0x1a)).toEqual({ offline: true });
    expect(decodeEscposStatus(2, 0x16)).toEqual({ coverOpen: true, paperOut: false, error: false });
    expect(decodeEscposStatus(2, 0x32)).toEqual({ coverOpen: false, paperOut: true, error: false });
    expect(decodeEscposStatus(4, 0x7e)).toEqual({ paperNearEnd: true, paperOut: true });
    expect(decodeEscposStatus(4, 0x72)).toEqual({ paperNearEnd: false, paperOut: true });
    expect(decodeEscposStatus(4, 0x1e)).toEqual({ paperNearEnd: true, paperOut: false });
    expect(decodeEscposStatus(2, 0x00)).toBeInstanceOf(CodecError);
  });

  it('unknown commands are typed errors, skipped', () => {
    const r = new EscPosParser().push(hex('1B 7F 41 0A 1D 56 42 00'));
    expect(r[0]).toMatchObject({ type: 'error', error: { code: 'UNKNOWN_COMMAND' } });
    expect(r[1]).toEqual({ type: 'page', page: { items: [{ t: 'text', text: 'A', bold: false, align: 'left', scale: 1 }] } });
  });
});

describe('TSPL', () => {
  it('encodes a label as TSPL lines', () => {
    const text = Buffer.from(encodeTspl({ items: [{ t: 'text', text: 'Say "hi"', bold: false, align: 'left', scale: 1 }, { t: 'barcode', data: 'RB1', height: 80 }] })).toString('latin1');
    expect(text).toBe(
      'SIZE 50 mm,30 mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1\r\nCLS\r\nTEXT 16,16,"3",0,1,1,1,"Say \\["]hi\\["]"\r\nBARCODE 16,40,"128",80,2,0,2,2,"RB1"\r\nPRINT 1,1\r\n',
    );
  });

  it('answers ESC ! ? wherever it falls and decodes its status byte', () => {
    const r = decodeTspl(Buffer.from('CLS\r\nTE\x1b!?XT 16,16,"3",0,1,1,1,"A"\r\nPRINT 1\r\n', 'latin1'));
    expect(r).toEqual({ pages: [{ items: [{ t: 'text', text: 'A', bold: false, align: 'left', scale: 1 }] }], statusQueries: 1 });
    expect(decodeTsplStatus(0x00)).toEqual(readyStatus);
    expect(decodeTsplStatus(0x01)).toMatchObject({ headOpen: true, paperOut: false });
    expect(decodeTsplStatus(0x04)).toMatchObject({ paperOut: true });
    expect(decodeTsplStatus(0x20)).toEqual(readyStatus);
    expect(decodeTsplStatus(0x80)).toMatchObject({ error: true });
  });

  it('refuses an unknown command with the line', () => {
    expect(decodeTspl(Buffer.from('FOO 1\r\n'))).toMatchObject({ code: 'UNKNOWN_COMMAND', input: 'FOO 1' });
  });
});

const text = fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x'));
const item = (bold: fc.Arbitrary<boolean>): fc.Arbitrary<PrintItem> =>
  fc.oneof(
    fc.record({ t: fc.constant('text' as const), text, bold, align: fc.constantFrom('left' as const, 'center' as const, 'right' as const), scale: fc.constantFrom(1 as const, 2 as const) }),
    fc.record({ t: fc.constant('barcode' as const), data: text.filter((s) => s.length > 0), height: fc.integer({ min: 16, max: 255 }) }),
    fc.record({ t: fc.constant('feed' as const), lines: fc.integer({ min: 0, max: 5 }) }),
  );
const status = fc.record({ offline: fc.boolean(), coverOpen: fc.boolean(), headOpen: fc.constant(false), paperOut: fc.boolean(), paperNearEnd: fc.boolean(), error: fc.boolean() });

describe('properties', () => {
  it('ESC/POS: decode(encode(page)) is the page', () => {
    fc.assert(
      fc.property(fc.array(item(fc.boolean()), { maxLength: 12 }), (items) => {
        // an empty line at the very start is the same as none on paper; keep pages whose text lines carry text
        const page = { items: items.filter((i) => i.t !== 'text' || i.text !== '') };
        expect(decodeEscPos(encodeEscPos(page))).toEqual({ pages: [page], statusRequests: [] });
      }),
    );
  });

  it('TSPL: decode(encode(label)) is the label (TSPL has no bold)', () => {
    fc.assert(
      fc.property(fc.array(item(fc.constant(false)), { maxLength: 12 }), (items) => {
        const page = { items };
        expect(decodeTspl(encodeTspl(page))).toEqual({ pages: [page], statusQueries: 0 });
      }),
    );
  });

  it('status bytes say what the printer has, in both languages', () => {
    fc.assert(
      fc.property(status, (s: PrinterStatus) => {
        const merged = Object.assign({}, readyStatus, ...[1, 2, 4].map((n) => decodeEscposStatus(n as 1 | 2 | 4, escposStatusByte(n, s))));
        expect(merged).toEqual({ ...s, offline: s.offline || s.coverOpen || s.paperOut || s.error, paperNearEnd: s.paperNearEnd || s.paperOut });
        const t = decodeTsplStatus(tsplStatusByte(s)) as PrinterStatus;
        expect([t.headOpen, t.paperOut, t.error]).toEqual([s.coverOpen, s.paperOut, s.error]);
      }),
    );
  });
});

describe('layouts', () => {
  it('fills a template with the job fields', () => {
    const page = fill(defaultReceipt, { receipt: '0A1-B2C3', waybill: 'RB123456785GB', weight: '1.250 kg', time: 't', clock: 'ntp', courier: 'c', customer: 'Acme', task: 'T1' });
    expect(page.items).toContainEqual({ t: 'barcode', data: 'RB123456785GB', height: 80 });
    expect(page.items).toContainEqual({ t: 'text', text: 'Receipt 0A1-B2C3', bold: true, align: 'left', scale: 1 });
    expect(page.items).toContainEqual({ t: 'text', text: 'Clock ntp', bold: false, align: 'left', scale: 1 });
  });

  it('refuses an unknown field and a barcode without one, naming the item', () => {
    const r = receiptTemplateSchema.safeParse([{ text: 'Hi {name}' }, { barcode: 'fixed' }]);
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(issues).toMatch(/^0\.text: unknown field \{name\}/m);
    expect(issues).toMatch(/^1\.barcode: a barcode must carry a field/m);
    expect(labelTemplateSchema.safeParse([{ text: '{receipt}' }]).success).toBe(false);
  });
});
