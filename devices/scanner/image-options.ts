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
}

export interface ImageScan extends ScanRead {
  /** the zxing format name, e.g. 'CODE_128' */
  format: string;
  image: { type: 'png' | 'jpeg'; width: number; height: number };
}

export const imageDefaults = { maxBytes: 5 * 1024 * 1024, maxPixels: 16_000_000, tryRotated: true } as const;
