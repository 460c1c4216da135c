import { beforeAll, describe, expect, it } from 'vitest';
import { BarcodeFormat } from '@zxing/library';
import { CodecError } from '../../../devices/codec.js';
import { decodeImage, readImage, rgbaToLuminance, scanOfResult, type Rgba } from '../../../devices/scanner/image.js';
import { onCanvas, renderBarcode, toJpeg, toPng } from './image-fixtures.js';

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

const white = { backgroundcolor: 'FFFFFF' };
// what is read, not how fast: the time budget is out of the way (a loaded machine must not change the result)
const roomy = { budgetMs: 60_000 };
let code128: Rgba;
let qr: Rgba;

beforeAll(async () => {
  code128 = await renderBarcode('code128', 'RB123456785GB', { height: 30, ...white });
  qr = await renderBarcode('qrcode', 'https://track.example/RB123456785GB', white);
});

describe('camera image decoding (PROTOCOLS.md §4.4)', () => {
  it.each([
    ['Code 128 at 640x480', () => onCanvas(code128, 640, 480), { code: 'RB123456785GB', symbology: 'code128', aim: ']C0', format: 'CODE_128' }],
    ['Code 128 at 640x480 turned 15°', () => onCanvas(code128, 640, 480, 15), { code: 'RB123456785GB', symbology: 'code128', format: 'CODE_128' }],
    ['QR at 640x480', () => onCanvas(qr, 640, 480), { code: 'https://track.example/RB123456785GB', symbology: 'qr', aim: ']Q1', format: 'QR_CODE' }],
    ['QR at 640x480 turned 15°', () => onCanvas(qr, 640, 480, 15), { code: 'https://track.example/RB123456785GB', symbology: 'qr' }],
    ['Code 128 turned 90°', () => onCanvas(code128, 480, 640, 90), { code: 'RB123456785GB', symbology: 'code128' }],
  ])('finds %s in a PNG', (_name, make, expected) => {
    const png = toPng(make());
    expect(decodeImage(png, roomy)).toMatchObject({ ...expected, image: { type: 'png', width: expected === undefined ? 0 : make().width } });
  });

  it('finds a QR code in a JPEG', () => {
    expect(decodeImage(toJpeg(onCanvas(qr, 640, 480, 15)), roomy)).toMatchObject({ code: 'https://track.example/RB123456785GB', image: { type: 'jpeg', width: 640, height: 480 } });
  });

  it('composites transparent pixels on white (bwip-js default background)', async () => {
    const transparent = await renderBarcode('qrcode', 'TRANSPARENT-1', {});
    // the light modules are transparent black: read without their alpha they would be dark
    const alphaZero = transparent.data.findIndex((v, i) => i % 4 === 3 && v === 0);
    expect(alphaZero).toBeGreaterThan(0);
    expect(Array.from(transparent.data.subarray(alphaZero - 3, alphaZero))).toEqual([0, 0, 0]);
    expect(decodeImage(toPng(onCanvas(transparent, 640, 480, 0, 'transparent')), roomy)).toMatchObject({ code: 'TRANSPARENT-1' });
  });

  it('reads GS1-128 with its application identifiers (FNC1 kept by ASSUME_GS1)', async () => {
    const gs1 = await renderBarcode('gs1-128', '(00)376123450000000016(421)27610115(10)LOT7', { height: 25, ...white });
    expect(decodeImage(toPng(onCanvas(gs1, 800, 480)), roomy)).toMatchObject({
      code: '0037612345000000001642127610115\x1d10LOT7', symbology: 'gs1-128', aim: ']C1',
      gs1: [{ ai: '00', value: '376123450000000016' }, { ai: '421', value: '27610115' }, { ai: '10', value: 'LOT7' }],
    });
  });

  it.each([
    ['datamatrix', 'DM-0001', { symbology: 'datamatrix', format: 'DATA_MATRIX' }],
    ['ean13', '590123412345', { code: '5901234123457', symbology: 'ean13', format: 'EAN_13' }],
    ['interleaved2of5', '12345678', { code: '12345678', symbology: 'itf', format: 'ITF' }],
    ['pdf417', 'PDF-417 LABEL', { code: 'PDF-417 LABEL', symbology: 'pdf417', format: 'PDF_417' }],
  ])('reads %s', async (bcid, text, expected) => {
    const img = await renderBarcode(bcid, text, { ...white, ...(bcid === 'interleaved2of5' ? { height: 20 } : {}) });
    expect(decodeImage(toPng(onCanvas(img, 640, 480)), roomy)).toMatchObject(expected);
  });

  it('returns NO_BARCODE for a blank picture, not an exception', () => {
    expect(decodeImage(toPng(onCanvas({ width: 1, height: 1, data: new Uint8Array([255, 255, 255, 255]) }, 320, 240)))).toMatchObject({ code: 'NO_BARCODE', protocol: 'image' });
  });

  it.each([
    ['NOT_AN_IMAGE', new Uint8Array([1, 2, 3, 4]), {}],
    ['TOO_MANY_PIXELS', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 8, 6, 0, 0, 0), { maxPixels: 1_000_000 }],
    ['BAD_IMAGE', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0, 0, 0, 1, 0), {}],
    ['BAD_IMAGE', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0), {}],
    ['TOO_LARGE', new Uint8Array(2048).fill(0x89), { maxBytes: 1024 }],
  ])('refuses bad input with %s', (code, bytes, options) => {
    const r = decodeImage(bytes, options);
    expect(r).toBeInstanceOf(CodecError);
    expect((r as CodecError).code).toBe(code);
  });

  /** a real PNG with a second IHDR chunk of another size spliced in after the first */
  function withSecondIhdr(png: Uint8Array, width: number, height: number): Uint8Array {
    const buf = Buffer.from(png);
    const firstEnd = 8 + 12 + buf.readUInt32BE(8);
    const chunk = Buffer.alloc(25);
    chunk.writeUInt32BE(13, 0);
    chunk.write('IHDR', 4, 'latin1');
    buf.copy(chunk, 8, 16, 29); // the first IHDR's fields...
    chunk.writeUInt32BE(width, 8); // ...with another size
    chunk.writeUInt32BE(height, 12);
    chunk.writeUInt32BE(crc32(chunk.subarray(4, 21)), 21);
    return Buffer.concat([buf.subarray(0, firstEnd), chunk, buf.subarray(firstEnd)]);
  }

  it('checks the pixel cap on every IHDR: a 1x1 PNG with a second IHDR over the cap is refused before decoding', () => {
    const tiny = toPng({ width: 1, height: 1, data: new Uint8Array([255, 255, 255, 255]) });
    expect(readImage(withSecondIhdr(tiny, 200, 200), { maxPixels: 100 })).toMatchObject({ code: 'TOO_MANY_PIXELS' });
    const started = performance.now();
    const huge = readImage(withSecondIhdr(tiny, 30_000, 30_000));
    expect(huge).toMatchObject({ code: 'TOO_MANY_PIXELS', message: expect.stringContaining('30000x30000') });
    expect(performance.now() - started).toBeLessThan(1000); // refused from the header, nothing inflated
  });

  it('refuses a PNG with two IHDR chunks even when both are within the cap', () => {
    const tiny = toPng({ width: 1, height: 1, data: new Uint8Array([255, 255, 255, 255]) });
    expect(readImage(withSecondIhdr(tiny, 2, 2))).toMatchObject({ code: 'BAD_IMAGE', message: expect.stringContaining('2 IHDR') });
  });

  it('limits JPEG pixels too', () => {
    const r = readImage(toJpeg(onCanvas(qr, 640, 480)), { maxPixels: 100_000 });
    expect(r).toMatchObject({ code: 'TOO_MANY_PIXELS' });
  });

  it('converts RGBA to one luminance byte a pixel, transparent as white', () => {
    const lum = rgbaToLuminance({ width: 4, height: 1, data: Uint8Array.of(0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 128) });
    expect(Array.from(lum)).toEqual([0, 255, 255, 127]);
  });

  it('derives GS1 Data Matrix from a leading GS', () => {
    expect(scanOfResult('\x1d0109501101020917', BarcodeFormat.DATA_MATRIX)).toMatchObject({
      code: '0109501101020917', symbology: 'gs1-datamatrix', aim: ']d2', gs1: [{ ai: '01', value: '09501101020917' }],
    });
  });
});
