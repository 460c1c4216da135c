/**
 * The limits and result of camera-image decoding, apart from the decoder itself (image.ts,
 * which loads the barcode library): what the main thread needs to queue and check images.
 */
import type { ScanRead } from './scan.js';

export interface ImageOptions {
  /** largest image file accepted; default 5 MiB */
  maxBytes?: number;
  /** largest width × height accepted; default 16 megapixels */
  maxPixels?: number;
  /** also try the image turned by 90° when nothing is found (vertical 1D codes); default true */
  tryRotated?: boolean;
  /** the search for barcodes begins no attempt that would end later than this, ms; default 200 */
  budgetMs?: number;
  /** report every code found in the image (the first is the scan, the rest `others`); default true */
  all?: boolean;
}

export interface ImageScan extends ScanRead {
  /** the zxing format name, e.g. 'CODE_128' */
  format: string;
  image: { type: 'png' | 'jpeg'; width: number; height: number };
  /** further codes in the same image */
  others?: (ScanRead & { format: string })[];
  /** how the search went: zxing reads tried and the time it took */
  search?: { attempts: number; ms: number };
}

export const imageDefaults = { maxBytes: 5 * 1024 * 1024, maxPixels: 16_000_000, tryRotated: true, budgetMs: 200, all: true } as const;
