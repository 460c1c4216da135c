import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../../../devices/codec.js';
import type { Symbology } from '../../../devices/scanner/aim.js';
import { HidPosAssembler } from '../../../devices/scanner/hid-pos.js';
import { KeyboardWedgeAssembler, layoutFromTable, type KeyboardLayout } from '../../../devices/scanner/keyboard-wedge.js';
import { decodeSerialScannerLine } from '../../../devices/scanner/serial-scanner.js';
import { HidPosScannerStub, KeyboardWedgeStub, SerialScannerStub } from '../../../firmware-stubs/scanner/scanners.js';

const code = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./+'), minLength: 1, maxLength: 120 });
const symbology = fc.constantFrom<Symbology>('code128', 'qr', 'datamatrix', 'ean13', 'pdf417', 'aztec', 'code39');

describe('scanner stubs decode with the codecs into what was scanned', () => {
  it('keyboard wedge: reports with releases, code back at Enter', () => {
    const stub = new KeyboardWedgeStub();
    const reports = stub.scan('RB123456785GB') as Uint8Array[];
    expect(reports).toHaveLength(28);
    expect(Array.from(reports[0])).toEqual([0x02, 0, 0x15, 0, 0, 0, 0, 0]);
    expect(Array.from(reports[1])).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    fc.assert(fc.property(code, (c) => {
      const asm = new KeyboardWedgeAssembler({ aim: false });
      const events = (stub.scan(c) as Uint8Array[]).flatMap((r, i) => asm.push(r, i * 4));
      expect(events).toEqual([{ type: 'scan', scan: expect.objectContaining({ code: c }) }]);
    }));
  });

  it('keyboard wedge: with AIM id, another layout and Tab', () => {
    const layout = layoutFromTable({ '0x1c': ['z', 'Z'], '0x1d': ['y', 'Y'] }) as KeyboardLayout;
    const stub = new KeyboardWedgeStub({ layout, terminator: 'tab', sendAim: true });
    const asm = new KeyboardWedgeAssembler({ layout, terminators: ['tab'] });
    const events = (stub.scan('ZY-1', 'qr') as Uint8Array[]).flatMap((r) => asm.push(r, 0));
    expect(events).toMatchObject([{ scan: { code: 'ZY-1', symbology: 'qr', aim: ']Q1' } }]);
    expect(new KeyboardWedgeStub().scan('ü')).toBeInstanceOf(CodecError);
  });

  it('HID POS: reports with AIM id, long codes continued', () => {
    fc.assert(fc.property(code, symbology, (c, s) => {
      const asm = new HidPosAssembler();
      const results = new HidPosScannerStub({ vendorCode: 0x6a }).scan(c, s).map((r) => asm.push(r));
      expect(results.at(-1)).toMatchObject({ code: c, symbology: s === 'ean13' ? 'ean13' : s });
      expect(results.slice(0, -1).every((r) => 'type' in r && r.type === 'pending')).toBe(true);
    }));
    expect(new HidPosAssembler().push(new HidPosScannerStub({ noAim: true }).scan('X')[0])).toEqual({ code: 'X', raw: expect.any(String) });
  });

  it('serial: prefix, AIM id and suffix', () => {
    fc.assert(fc.property(code, symbology, (c, s) => {
      const line = new SerialScannerStub({ prefix: '\x02', suffix: '\r' }).scan(c, s);
      expect(decodeSerialScannerLine(line, { prefix: '\x02', suffix: '\r' })).toMatchObject({ code: c, symbology: s });
    }));
    expect(new SerialScannerStub().scan('RB123456785GB')).toBe(']C0RB123456785GB\r\n');
    expect(new SerialScannerStub({ sendAim: false }).scan('RB1')).toBe('RB1\r\n');
  });
});
