/**
 * A seeded corpus of hard camera photos of waybill labels, made at run time: bwip-js renders
 * the code (Code 128, QR, Data Matrix, PDF417), a camera model puts the label into a
 * 640x480 scene (placement, rotation to any angle, a tilt of 30–45°, a curved label, a
 * small code at 1–1.5 px a module, two labels in one photo) and the degradations below
 * spoil the picture the way phone and terminal cameras do. Every degradation is a small
 * pure function over a grey pixel buffer; the same seed gives the same corpus.
 */
import bwipjs from 'bwip-js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { s10 } from '../simulators/waybills.js';
import { rng } from '../simulators/scenario.js';

/** one grey byte a pixel */
export interface Grey {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export type Symbol = 'code128' | 'qrcode' | 'datamatrix' | 'pdf417';

export const degradations = [
  'gaussian-blur', 'motion-blur', 'low-contrast', 'glare', 'noise', 'jpeg', 'perspective',
  'rotation', 'small', 'inverted', 'two-codes', 'curved',
] as const;
export type Degradation = (typeof degradations)[number];

export interface HardImage {
  id: string;
  degradation: Degradation;
  symbols: Symbol[];
  /** every code in the photo, as the reader must report it */
  expected: string[];
  bytes: Uint8Array;
}

const between = (rnd: () => number, lo: number, hi: number): number => lo + (hi - lo) * rnd();

function gaussian(rnd: () => number): number {
  const u = Math.max(rnd(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

// --- rendering ---------------------------------------------------------------------------

export function waybillText(symbol: Symbol, n: number): string {
  const number = s10(100_000 + n * 7919, 'RB', 'GB');
  if (symbol === 'code128') return number;
  if (symbol === 'qrcode') return `https://track.example/${number}`;
  if (symbol === 'datamatrix') return `${number}-${(n * 31) % 1000}`;
  return `WAYBILL ${number} TO 10115 BERLIN`;
}

/** the code rendered by bwip-js at `modulePx` pixels a module, on a white label with a quiet zone */
export async function renderLabel(symbol: Symbol, text: string, modulePx: number): Promise<Grey> {
  const extra = symbol === 'code128' ? { height: 14 } : symbol === 'pdf417' ? { columns: 4 } : {};
  const png = await bwipjs.toBuffer({
    bcid: symbol, text, scale: modulePx, backgroundcolor: 'FFFFFF', paddingwidth: 10, paddingheight: 10, ...extra,
  } as Parameters<typeof bwipjs.toBuffer>[0]);
  const img = PNG.sync.read(png);
  const data = new Uint8ClampedArray(img.width * img.height);
  for (let p = 0; p < data.length; p++) data[p] = (img.data[p * 4] * 306 + img.data[p * 4 + 1] * 601 + img.data[p * 4 + 2] * 117) >> 10;
  return { width: img.width, height: img.height, data };
}

// --- the camera: where a scene pixel comes from on the label -------------------------------

/** scene (x, y) -> label (x, y), or undefined off the label's plane */
export type Mapping = (x: number, y: number) => [number, number] | undefined;

export interface Placement {
  /** label centre in the scene */
  cx: number;
  cy: number;
  /** scene pixels per label pixel */
  scale: number;
  /** degrees, counter-clockwise */
  angle: number;
  /** tilt of the label plane about its vertical axis, degrees (0: facing the camera) */
  tilt?: number;
  /** radius of the cylinder the label is wrapped around, in label pixels (curved labels) */
  curveRadius?: number;
}

export function placement(label: Grey, p: Placement): Mapping {
  const t = (p.angle * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const phi = ((p.tilt ?? 0) * Math.PI) / 180;
  const focal = 900;
  return (x, y) => {
    // into the label's frame, turned back and scaled to label pixels
    const dx = x - p.cx;
    const dy = y - p.cy;
    let u = (cos * dx - sin * dy) / p.scale;
    let v = (sin * dx + cos * dy) / p.scale;
    if (phi !== 0) {
      // the plane turned by phi about its vertical axis, seen by a pinhole camera at `focal`
      const f = focal / p.scale;
      const denominator = Math.cos(phi) - (u / f) * Math.sin(phi);
      if (denominator <= 0.05) return undefined;
      const X = u / denominator;
      v = (v * (1 + (X / f) * Math.sin(phi)));
      u = X;
    }
    if (p.curveRadius !== undefined) {
      const r = p.curveRadius;
      if (Math.abs(u) >= r) return undefined;
      u = r * Math.asin(u / r);
    }
    return [u + label.width / 2, v + label.height / 2];
  };
}

function sample(img: Grey, x: number, y: number, outside: number): number {
  const x0 = Math.floor(x - 0.5);
  const y0 = Math.floor(y - 0.5);
  const fx = x - 0.5 - x0;
  const fy = y - 0.5 - y0;
  const at = (xx: number, yy: number): number =>
    xx < 0 || yy < 0 || xx >= img.width || yy >= img.height ? outside : img.data[yy * img.width + xx];
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** A scene of labels on a background, each pixel the mean of 2x2 bilinear samples (no aliasing at small scales). */
export function scene(width: number, height: number, background: number, labels: { label: Grey; map: Mapping }[]): Grey {
  const data = new Uint8ClampedArray(width * height).fill(background);
  const offsets = [0.25, 0.75];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (const { label, map } of labels) {
        let sum = 0;
        let hits = 0;
        for (const oy of offsets) {
          for (const ox of offsets) {
            const at = map(x + ox, y + oy);
            if (!at || at[0] < 0 || at[1] < 0 || at[0] >= label.width || at[1] >= label.height) {
              sum += background;
            } else {
              sum += sample(label, at[0], at[1], 255);
              hits += 1;
            }
          }
        }
        if (hits > 0) data[y * width + x] = sum / 4;
      }
    }
  }
  return { width, height, data };
}

// --- degradations: pure functions, grey in, new grey out ---------------------------------

function convolve1d(img: Grey, kernel: Float64Array, horizontal: boolean): Grey {
  const { width, height, data } = img;
  const out = new Uint8ClampedArray(data.length);
  const r = (kernel.length - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) {
        const xx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
        const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
        s += data[yy * width + xx] * kernel[k + r];
      }
      out[y * width + x] = s;
    }
  }
  return { width, height, data: out };
}

export function gaussianBlur(img: Grey, sigma: number): Grey {
  const r = Math.max(1, Math.ceil(sigma * 3));
  const kernel = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let k = -r; k <= r; k++) sum += kernel[k + r] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return convolve1d(convolve1d(img, kernel, true), kernel, false);
}

/** the mean along a line of `length` pixels at `angle` degrees: a hand or a van moving during the exposure */
export function motionBlur(img: Grey, length: number, angle: number): Grey {
  const { width, height, data } = img;
  const out = new Uint8ClampedArray(data.length);
  const n = Math.max(2, Math.round(length));
  const dx = Math.cos((angle * Math.PI) / 180);
  const dy = Math.sin((angle * Math.PI) / 180);
  const steps = Array.from({ length: n }, (_, i) => i - (n - 1) / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (const t of steps) {
        const xx = Math.min(width - 1, Math.max(0, Math.round(x + t * dx)));
        const yy = Math.min(height - 1, Math.max(0, Math.round(y + t * dy)));
        s += data[yy * width + xx];
      }
      out[y * width + x] = s / n;
    }
  }
  return { width, height, data: out };
}

/** contrast squeezed to `contrast` (0..1) around mid grey, lit by a linear gradient from `darkest` (0..1) to full */
export function lowContrastUneven(img: Grey, contrast: number, darkest: number, lightAngle: number): Grey {
  const { width, height, data } = img;
  const out = new Uint8ClampedArray(data.length);
  const gx = Math.cos((lightAngle * Math.PI) / 180);
  const gy = Math.sin((lightAngle * Math.PI) / 180);
  const span = Math.abs(gx) * width + Math.abs(gy) * height;
  const origin = Math.min(0, gx * width) + Math.min(0, gy * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const light = darkest + (1 - darkest) * ((gx * x + gy * y - origin) / span);
      const v = 128 + (data[y * width + x] - 128) * contrast;
      out[y * width + x] = v * light;
    }
  }
  return { width, height, data: out };
}

/** bright spots of specular reflection: each a Gaussian bump that saturates at its centre */
export function glare(img: Grey, spots: { x: number; y: number; radius: number; strength: number }[]): Grey {
  const { width, height, data } = img;
  const out = new Uint8ClampedArray(data);
  for (const s of spots) {
    const r = Math.ceil(s.radius * 2.5);
    for (let y = Math.max(0, Math.floor(s.y - r)); y < Math.min(height, s.y + r); y++) {
      for (let x = Math.max(0, Math.floor(s.x - r)); x < Math.min(width, s.x + r); x++) {
        const d2 = ((x - s.x) ** 2 + (y - s.y) ** 2) / (s.radius * s.radius);
        const w = Math.min(1, s.strength * Math.exp(-d2));
        out[y * width + x] = out[y * width + x] * (1 - w) + 255 * w;
      }
    }
  }
  return { width, height, data: out };
}

/** additive Gaussian sensor noise of `sigma` grey levels */
export function sensorNoise(img: Grey, sigma: number, rnd: () => number): Grey {
  const out = new Uint8ClampedArray(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] + sigma * gaussian(rnd);
  return { width: img.width, height: img.height, data: out };
}

export function invert(img: Grey): Grey {
  return { width: img.width, height: img.height, data: img.data.map((v) => 255 - v) };
}

function rgbaOf(img: Grey): Buffer {
  const rgba = Buffer.alloc(img.width * img.height * 4);
  for (let p = 0; p < img.data.length; p++) {
    rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = img.data[p];
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

export function encodePng(img: Grey): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = rgbaOf(img);
  return PNG.sync.write(png);
}

export function encodeJpeg(img: Grey, quality: number): Uint8Array {
  return jpeg.encode({ width: img.width, height: img.height, data: rgbaOf(img) }, quality).data;
}

// --- the corpus --------------------------------------------------------------------------

const W = 640;
const H = 480;
const symbolsCycle: Symbol[] = ['code128', 'qrcode', 'datamatrix', 'pdf417'];
/** zxing reads PDF417 through these degradations; through the others (blur, glare, curves, tiny modules) it does not at all */
const pdf417Readable = new Set<Degradation>(['low-contrast', 'noise', 'jpeg', 'perspective', 'rotation', 'inverted']);

function symbolsOf(degradation: Degradation): Symbol[] {
  return pdf417Readable.has(degradation) ? symbolsCycle : symbolsCycle.filter((s) => s !== 'pdf417');
}

/** pixels a module as rendered: 1D codes and PDF417 print finer than the 2D matrix codes */
const modulePxOf: Record<Symbol, number> = { code128: 2, pdf417: 3, qrcode: 4, datamatrix: 4 };

/** a label's scale so that it fits `fraction` of the scene's smaller side, at most `max` */
function fitScale(label: Grey, fraction: number, max = 1): number {
  return Math.min(max, (fraction * Math.min(W, H)) / Math.max(label.width, label.height));
}

async function one(degradation: Degradation, i: number, rnd: () => number): Promise<HardImage> {
  const n = i * 13 + degradations.indexOf(degradation);
  const cycle = symbolsOf(degradation);
  const symbol = cycle[i % cycle.length];
  const second = cycle[(i + 1) % cycle.length];
  const symbols: Symbol[] = degradation === 'two-codes' ? [symbol, second] : [symbol];
  const texts = symbols.map((s, k) => waybillText(s, n * 2 + k));
  const modulePx = modulePxOf[symbol];
  const labels = await Promise.all(symbols.map((s, k) => renderLabel(s, texts[k], modulePxOf[s])));
  const background = Math.round(between(rnd, 90, 200));
  const jitter = (): number => between(rnd, -40, 40);
  const upright = (): number => between(rnd, -10, 10);
  let img: Grey;
  const base = labels[0];
  const basic = (p: Partial<Placement> = {}): Grey =>
    scene(W, H, background, [{ label: base, map: placement(base, { cx: W / 2 + jitter(), cy: H / 2 + jitter() * 0.6, scale: fitScale(base, 0.8, 1.4), angle: upright(), ...p }) }]);
  switch (degradation) {
    case 'gaussian-blur':
      img = gaussianBlur(basic(), between(rnd, 0.4, 0.7) * modulePx);
      break;
    case 'motion-blur':
      img = motionBlur(basic(), between(rnd, 1.5, 3) * modulePx, between(rnd, 0, 180));
      break;
    case 'low-contrast':
      img = lowContrastUneven(basic(), between(rnd, 0.15, 0.3), between(rnd, 0.35, 0.6), between(rnd, 0, 360));
      break;
    case 'glare': {
      const spots = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => ({
        x: W / 2 + between(rnd, -160, 160), y: H / 2 + between(rnd, -100, 100), radius: between(rnd, 18, 35), strength: between(rnd, 1.2, 2),
      }));
      img = glare(basic(), spots);
      break;
    }
    case 'noise':
      img = sensorNoise(basic(), between(rnd, 18, 35), rnd);
      break;
    case 'jpeg':
      img = basic();
      break;
    case 'perspective':
      img = basic({ tilt: between(rnd, 30, 45) * (rnd() < 0.5 ? -1 : 1), scale: fitScale(base, 0.85, 1.4) });
      break;
    case 'rotation':
      img = basic({ angle: between(rnd, 0, 360), scale: fitScale(base, 0.7, 1.2) });
      break;
    case 'small':
      // rendered at 2 or 4 px a module, shown at 1–1.5 px a module
      img = basic({ scale: between(rnd, 1, 1.5) / modulePx, angle: between(rnd, -3, 3) });
      break;
    case 'inverted':
      img = invert(basic());
      break;
    case 'two-codes':
      img = scene(W, H, background, labels.map((label, k) => ({
        label,
        map: placement(label, { cx: W * (k === 0 ? 0.27 : 0.73), cy: H / 2 + jitter(), scale: Math.min(fitScale(label, 0.5, 1.2), (0.44 * W) / label.width), angle: upright() }),
      })));
      break;
    case 'curved':
      img = basic({ curveRadius: base.width * between(rnd, 0.55, 0.8), scale: fitScale(base, 0.8, 1.4) });
      break;
  }
  const bytes = degradation === 'jpeg' ? encodeJpeg(img, Math.round(between(rnd, 20, 40))) : encodePng(img);
  return { id: `${degradation}-${i}`, degradation, symbols, expected: texts, bytes };
}

/** `perDegradation` photos of each degradation, the same for the same seed */
export async function hardImageCorpus(perDegradation: number, seed = 22): Promise<HardImage[]> {
  const out: HardImage[] = [];
  for (const degradation of degradations) {
    const rnd = rng(seed * 1000 + degradations.indexOf(degradation));
    for (let i = 0; i < perDegradation; i++) out.push(await one(degradation, i, rnd));
  }
  return out;
}
