import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import { findDecoder } from '../../../devices/registry.js';
import { decoderInput } from '../../../gateway/decode.js';
import { splitKeyboardReports } from '../../../devices/scanner/decoders.js';
import { onCanvas, renderBarcode, toPng } from './image-fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cg-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** what the CLI does before calling decode (decoderInput: hex parsed, text unescaped, file paths passed through) */
async function decode(name: string, input: string): Promise<unknown> {
  const d = findDecoder(name);
  if (!d) throw new Error(`no decoder ${name}`);
  const arg = decoderInput(d, input);
  return arg instanceof Error ? arg : d.decode(arg);
}

describe('courier-gw decode, scanner decoders', () => {
  it('hid-keyboard: the §4.1 vector as comma-separated press reports', async () => {
    const vector = '02 00 15, 02 00 05, 00 00 1E, 00 00 1F, 00 00 20, 00 00 21, 00 00 22, 00 00 23, 00 00 24, 00 00 25, 00 00 22, 02 00 0A, 02 00 05, 00 00 28';
    expect(await decode('hid-keyboard', vector)).toMatchObject({ scans: [{ code: 'RB123456785GB' }], pending: '', errors: [] });
  });

  it('hid-keyboard: 8-byte reports with releases, spaced byte by byte', async () => {
    const r = (k: string, m = '00'): string => `${m} 00 ${k} 00 00 00 00 00 00 00 00 00 00 00 00 00`;
    const text = [r('15', '02'), r('05', '02'), r('1E'), r('28')].join(' ');
    expect(await decode('hid-keyboard', text)).toMatchObject({ scans: [{ code: 'RB1' }] });
  });

  it('hid-keyboard: typed errors for bad input', async () => {
    expect(await decode('hid-keyboard', '02 00 15 00')).toMatchObject({ code: 'WRONG_LENGTH' });
    expect(await decode('hid-keyboard', 'zz')).toMatchObject({ code: 'NOT_HEX' });
    expect(await decode('hid-keyboard', '00 00 E0, 00 00 28')).toMatchObject({ code: 'UNKNOWN_KEY' });
    expect(splitKeyboardReports('00 00 04 00 00 00 00 00 00, 00')).toMatchObject({ code: 'WRONG_LENGTH' });
  });

  it('hid-pos-scanner: the §4.2 vector', async () => {
    const hex = '02 0D 5D 43 30 52 42 31 32 33 34 35 36 37 38 35 47 42' + ' 00'.repeat(43) + ' 6A 00 00';
    expect(await decode('hid-pos-scanner', hex)).toMatchObject({ code: 'RB123456785GB', aim: ']C0', symbology: 'code128' });
    expect(await decode('hid-pos-scanner', '02 0D')).toMatchObject({ code: 'WRONG_LENGTH' });
  });

  it('serial-scanner: the §4.3 vectors (the CLI has unescaped \\r \\n \\x1d)', async () => {
    expect(await decode('serial-scanner', ']C0RB123456785GB\r\n')).toMatchObject({ code: 'RB123456785GB', symbology: 'code128' });
    expect(await decode('serial-scanner', ']C10037612345000000001642127610115\x1d10LOT7\r\n')).toMatchObject({
      symbology: 'gs1-128', gs1: [{ ai: '00', value: '376123450000000016' }, { ai: '421', value: '27610115' }, { ai: '10', value: 'LOT7' }],
    });
  });

  it('image: Code 128 and QR PNG files at 640x480 and turned 15°', async () => {
    const code128 = await renderBarcode('code128', 'RB123456785GB', { height: 30, backgroundcolor: 'FFFFFF' });
    const qr = await renderBarcode('qrcode', 'RR123456785CN', { backgroundcolor: 'FFFFFF' });
    const cases: Array<[string, Uint8Array, string, string]> = [
      ['c128.png', toPng(onCanvas(code128, 640, 480)), 'RB123456785GB', 'code128'],
      ['c128-15.png', toPng(onCanvas(code128, 640, 480, 15)), 'RB123456785GB', 'code128'],
      ['qr.png', toPng(onCanvas(qr, 640, 480)), 'RR123456785CN', 'qr'],
      ['qr-15.png', toPng(onCanvas(qr, 640, 480, 15)), 'RR123456785CN', 'qr'],
    ];
    for (const [name, bytes, code, symbology] of cases) {
      writeFileSync(path.join(dir, name), bytes);
      expect(await decode('image', path.join(dir, name))).toMatchObject({ code, symbology });
    }
    const missing = await decode('image', path.join(dir, 'missing.png'));
    expect(missing).toBeInstanceOf(CodecError);
    expect(missing).toMatchObject({ code: 'READ_FAILED' });
  });

  it('does not register a waybill decoder here', () => {
    expect(findDecoder('waybill')?.summary ?? '').not.toMatch(/scanner/);
  });
});
