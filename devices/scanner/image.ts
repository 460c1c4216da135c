/**
 * Barcodes in camera images (PROTOCOLS.md §4.4): PNG or JPEG bytes -> RGBA -> one
 * luminance byte per pixel (transparency composited on white) -> the search of
 * image-search.ts (@zxing/library with ASSUME_GS1, TRY_HARDER and the parcel formats, tried
 * several ways within a time budget). zxing gives no symbology identifier: it
 * is derived from the format (and from the `]C1` / leading GS zxing writes for GS1 data).
 * Synchronous and CPU-bound: production runs it in a worker (image-decoder.ts).
 */
import { BarcodeFormat } from '@zxing/library';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { CodecError, toHex } from '../codec.js';
import { aimOfSymbology, type Symbology } from './aim.js';
import { GS } from './gs1.js';
import { makeScan, type ScanRead } from './scan.js';
import { imageDefaults, type ImageOptions, type ImageScan } from './image-options.js';
import { searchBarcodes } from './image-search.js';

const protocol = 'image';

export { imageDefaults, type ImageOptions, type ImageScan } from './image-options.js';

const symbologyOfFormat: Partial<Record<BarcodeFormat, Symbology>> = {
  [BarcodeFormat.CODE_128]: 'code128',
  [BarcodeFormat.QR_CODE]: 'qr',
  [BarcodeFormat.DATA_MATRIX]: 'datamatrix',
  [BarcodeFormat.EAN_13]: 'ean13',
  [BarcodeFormat.ITF]: 'itf',
  [BarcodeFormat.PDF_417]: 'pdf417',
};

export interface Rgba {
  width: number;
  height: number;
  /** 4 bytes a pixel */
  data: Uint8Array;
}

/** One luminance byte a pixel, each pixel composited on white by its alpha. */
export function rgbaToLuminance(image: Rgba): Uint8ClampedArray {
  const { width, height, data } = image;
  const out = new Uint8ClampedArray(width * height);
  for (let p = 0, i = 0; p < out.length; p++, i += 4) {
    const a = data[i + 3];
    const lum = (data[i] * 306 + data[i + 1] * 601 + data[i + 2] * 117) >> 10;
    out[p] = (lum * a + 255 * (255 - a) + 127) / 255;
  }
  return out;
}

export function imageType(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

function head(bytes: Uint8Array): string {
  return toHex(bytes.subarray(0, 16));
}

/**
 * The sizes every IHDR chunk of a PNG declares, walking the chunks without inflating
 * anything: a decoder may size its buffers by any of them (pngjs takes the last), so the
 * pixel cap is checked against each. Undefined when the chunk layout is broken.
 */
export function pngHeaderSizes(buffer: Buffer): { width: number; height: number }[] | undefined {
  const sizes: { width: number; height: number }[] = [];
  let at = 8;
  while (at + 8 <= buffer.length) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString('latin1', at + 4, at + 8);
    if (length > 0x7fffffff) return undefined;
    if (type === 'IHDR') {
      if (length < 8 || at + 16 > buffer.length) return undefined;
      sizes.push({ width: buffer.readUInt32BE(at + 8), height: buffer.readUInt32BE(at + 12) });
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return sizes;
}

function checkPngHeaders(buffer: Buffer, maxPixels: number, bytes: Uint8Array): CodecError | undefined {
  const sizes = pngHeaderSizes(buffer);
  if (sizes === undefined || sizes.length === 0) return new CodecError(protocol, 'BAD_IMAGE', 'PNG chunks broken or no IHDR', head(bytes));
  for (const { width, height } of sizes) {
    const pixels = width * height;
    if (pixels > maxPixels) return new CodecError(protocol, 'TOO_MANY_PIXELS', `${width}x${height}: ${pixels} pixels > ${maxPixels}`, head(bytes));
  }
  if (sizes.length > 1) return new CodecError(protocol, 'BAD_IMAGE', `${sizes.length} IHDR chunks (a PNG has one)`, head(bytes));
  return undefined;
}

/** Decodes PNG or JPEG bytes to RGBA, within the size limits. */
export function readImage(bytes: Uint8Array, options: ImageOptions = {}): (Rgba & { type: 'png' | 'jpeg' }) | CodecError {
  const maxBytes = options.maxBytes ?? imageDefaults.maxBytes;
  const maxPixels = options.maxPixels ?? imageDefaults.maxPixels;
  if (bytes.length > maxBytes) return new CodecError(protocol, 'TOO_LARGE', `${bytes.length} bytes > ${maxBytes}`, head(bytes));
  const type = imageType(bytes);
  if (type === undefined) return new CodecError(protocol, 'NOT_AN_IMAGE', 'neither PNG nor JPEG', head(bytes));
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (type === 'png') {
      if (buffer.length < 24) return new CodecError(protocol, 'BAD_IMAGE', 'PNG header cut short', head(bytes));
      const refused = checkPngHeaders(buffer, maxPixels, bytes);
      if (refused) return refused;
      const png = PNG.sync.read(buffer);
      if (png.width * png.height > maxPixels) return new CodecError(protocol, 'TOO_MANY_PIXELS', `${png.width * png.height} pixels > ${maxPixels}`, head(bytes));
      return { type, width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(buffer, {
      useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1_000_000,
      maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / 1_000_000) + 64,
    });
    return { type, width: img.width, height: img.height, data: img.data };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const code = /maxResolutionInMP|resolution/i.test(message) ? 'TOO_MANY_PIXELS' : 'BAD_IMAGE';
    return new CodecError(protocol, code, `${type}: ${message}`, head(bytes));
  }
}

/** Builds the scan from zxing's text and format: `]C1` and a leading GS mark GS1 data. */
export function scanOfResult(text: string, format: BarcodeFormat): ScanRead {
  let symbology = symbologyOfFormat[format];
  let data = text;
  if (format === BarcodeFormat.CODE_128 && data.startsWith(']C1')) {
    symbology = 'gs1-128';
    data = data.slice(3);
  } else if (format === BarcodeFormat.DATA_MATRIX && data.startsWith(GS)) {
    symbology = 'gs1-datamatrix';
    data = data.slice(1);
  }
  const aim = symbology === undefined ? undefined : aimOfSymbology(symbology);
  return makeScan(data, text, aim === undefined ? { aim: false } : { aimId: aim });
}

/**
 * Finds the barcodes in PNG or JPEG bytes, trying harder within the time budget
 * (image-search.ts): the first is the scan, any further ones its `others`. No barcode is a
 * CodecError with code NO_BARCODE.
 */
export function decodeImage(bytes: Uint8Array, options: ImageOptions = {}): ImageScan | CodecError {
  const start = performance.now();
  const image = readImage(bytes, options);
  if (image instanceof CodecError) return image;
  const { width, height, type } = image;
  try {
    const lum = rgbaToLuminance(image);
    // the budget counts from the bytes' arrival: reading the image is part of it
    const budgetMs = (options.budgetMs ?? imageDefaults.budgetMs) - (performance.now() - start);
    const { found, attempts } = searchBarcodes(lum, width, height, { budgetMs, all: options.all ?? imageDefaults.all, tryRotated: options.tryRotated ?? imageDefaults.tryRotated });
    const search = { attempts, ms: Math.round(performance.now() - start) };
    if (found.length === 0) return new CodecError(protocol, 'NO_BARCODE', `no barcode found in the ${width}x${height} ${type} (${attempts} reads in ${search.ms} ms)`, head(bytes));
    const [first, ...rest] = found.map((f) => ({ ...scanOfResult(f.text, f.format), format: BarcodeFormat[f.format] }));
    return { ...first, image: { type, width, height }, ...(rest.length > 0 ? { others: rest } : {}), search };
  } catch (e) {
    return new CodecError(protocol, 'DECODE_FAILED', e instanceof Error ? e.message : String(e), head(bytes));
  }
}
