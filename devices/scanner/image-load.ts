/**
 * Decoding a camera image with the barcode library loaded on first use: for callers in the
 * main thread (the `decode` command, the in-process decoder) whose module graph must not
 * carry @zxing/library, jpeg-js and pngjs to every importer.
 */
import type { CodecError } from '../codec.js';
import type { ImageOptions, ImageScan } from './image-options.js';

export async function decodeImageOnDemand(bytes: Uint8Array, options: ImageOptions = {}): Promise<ImageScan | CodecError> {
  const { decodeImage } = await import('./image.js');
  return decodeImage(bytes, options);
}
