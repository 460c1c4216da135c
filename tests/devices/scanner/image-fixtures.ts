/** Barcode pictures for the image tests: bwip-js renders, then drawn onto a canvas, optionally turned. */
import bwipjs from 'bwip-js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Rgba } from '../../../devices/scanner/image.js';

export async function renderBarcode(bcid: string, text: string, extra: Record<string, unknown> = {}): Promise<Rgba> {
  const png = await bwipjs.toBuffer({ bcid, text, scale: 2, ...extra } as Parameters<typeof bwipjs.toBuffer>[0]);
  const img = PNG.sync.read(png);
  return { width: img.width, height: img.height, data: img.data };
}

/** Draws src centred on a white (or transparent) canvas, turned by `degrees`, nearest-neighbour sampling. */
export function onCanvas(src: Rgba, width: number, height: number, degrees = 0, background: 'white' | 'transparent' = 'white'): Rgba {
  const data = new Uint8Array(width * height * 4);
  if (background === 'white') data.fill(255);
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = width / 2;
  const cy = height / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const sx = Math.floor(cos * dx + sin * dy + src.width / 2);
      const sy = Math.floor(-sin * dx + cos * dy + src.height / 2);
      if (sx < 0 || sy < 0 || sx >= src.width || sy >= src.height) continue;
      const s = (sy * src.width + sx) * 4;
      const d = (y * width + x) * 4;
      data.set(src.data.subarray(s, s + 4), d);
    }
  }
  return { width, height, data };
}

export function toPng(img: Rgba): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data);
  return PNG.sync.write(png);
}

export function toJpeg(img: Rgba, quality = 90): Uint8Array {
  return jpeg.encode({ width: img.width, height: img.height, data: Buffer.from(img.data) }, quality).data;
}
