/**
 * Draws a page as a thermal printer would, black on white, as a PNG: text in bwip-js's
 * OCR-B glyphs, Code 128 drawn by bwip-js. Both the simulated printer (what it printed)
 * and the gateway (a preview of the last job) use it. bwip-js loads on the first render.
 */
import { PNG } from 'pngjs';
import { receiptDots, type PrintPage } from './doc.js';
const margin = 16;
const fontPx = 20;

type Bwip = typeof import('bwip-js/node');
let bwip: Promise<Bwip> | undefined;
const loadBwip = (): Promise<Bwip> => (bwip ??= import('bwip-js/node').then((m) => ((m as { default?: Bwip }).default ?? m) as Bwip));

class Canvas {
  readonly rows: Uint8Array[] = [];
  constructor(readonly width: number) {}
  ensure(height: number): void {
    while (this.rows.length < height) this.rows.push(new Uint8Array(this.width));
  }
  set(x: number, y: number): void {
    if (x < 0 || x >= this.width || y < 0) return;
    this.ensure(y + 1);
    this.rows[y][x] = 1;
  }
  png(): Buffer {
    const height = Math.max(1, this.rows.length);
    const png = new PNG({ width: this.width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
    const data = Buffer.alloc(this.width * height, 0xff);
    this.rows.forEach((row, y) => row.forEach((v, x) => v && (data[y * this.width + x] = 0)));
    png.data = data;
    return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
  }
}

export async function renderPage(page: PrintPage, width = receiptDots): Promise<Buffer> {
  const b = await loadBwip();
  const canvas = new Canvas(width);
  const font = b.FontLib.lookup('OCR-B');
  let y = margin;
  for (const item of page.items) {
    if (item.t === 'feed') {
      y += item.lines * 24;
    } else if (item.t === 'text') {
      const px = fontPx * item.scale;
      const glyphs = [...item.text].map((ch) => b.FontLib.getglyph(font, ch.charCodeAt(0), px, px));
      const advance = (g: (typeof glyphs)[number]) => g.advance + (item.bold ? 1 : 0);
      const textWidth = glyphs.reduce((sum, g) => sum + advance(g), 0);
      let x = item.align === 'left' ? margin : item.align === 'center' ? Math.round((width - textWidth) / 2) : width - margin - textWidth;
      const baseline = y + Math.round(px * 0.8);
      for (const g of glyphs) {
        for (let gy = 0; gy < g.height; gy++)
          for (let gx = 0; gx < g.width; gx++) {
            if (g.pixels[gy * g.width + gx] < 128) continue;
            const cx = x + g.left + gx;
            const cy = baseline - g.top + gy;
            canvas.set(cx, cy);
            if (item.bold) canvas.set(cx + 1, cy);
          }
        x += advance(g);
      }
      y += Math.round(px * 1.2);
      canvas.ensure(y);
    } else if (item.data !== '') {
      const bars = PNG.sync.read(await b.toBuffer({ bcid: 'code128', text: item.data, scale: 2, height: Math.max(5, Math.round(item.height / 8)), includetext: true, textxalign: 'center' }));
      const x0 = Math.max(0, Math.round((width - bars.width) / 2));
      y += 8;
      for (let by = 0; by < bars.height; by++)
        for (let bx = 0; bx < bars.width; bx++) {
          const o = (by * bars.width + bx) * 4;
          if (bars.data[o + 3] > 127 && bars.data[o] < 128) canvas.set(x0 + bx, y + by);
        }
      y += bars.height + 8;
      canvas.ensure(y);
    }
  }
  canvas.ensure(y + margin);
  return canvas.png();
}
