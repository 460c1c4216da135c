import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BarcodeFormat } from '@zxing/library';
import bwipjs from 'bwip-js';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { CodecError } from '../../../devices/codec.js';
import { decodeImage, readImage, rgbaToLuminance } from '../../../devices/scanner/image.js';
import { parcelReader, readView, searchBarcodes } from '../../../devices/scanner/image-search.js';
import {
  aroundPoints, barProfile, candidateRegions, deblurProfile, dominantAngle, edgeMap, fullView, levelProfile, mask, noiseLevel, rotate, scale, stretch, type View,
} from '../../../devices/scanner/image-views.js';
import {
  degradations, encodePng, hardImageCorpus, lowContrastUneven, motionBlur, placement, renderLabel, scene, sensorNoise, type HardImage,
} from '../../../bench/hard-images.js';
import { rng as seeded } from '../../../simulators/scenario.js';

const roomy = { budgetMs: 60_000 };

function viewOf(bytes: Uint8Array): View {
  const img = readImage(bytes);
  if (img instanceof CodecError) throw img;
  return fullView(rgbaToLuminance(img), img.width, img.height);
}

/** zxing used plainly: the whole image, HybridBinarizer, TRY_HARDER */
function plainRead(bytes: Uint8Array): string | undefined {
  return readView(parcelReader(true), viewOf(bytes))?.getText();
}

function codesOf(r: ReturnType<typeof decodeImage>): string[] {
  return r instanceof CodecError ? [] : [r.code, ...(r.others ?? []).map((o) => o.code)];
}

describe('views of a luminance image', () => {
  const v: View = { lum: Uint8ClampedArray.from({ length: 40 * 30 }, (_, i) => i % 251), width: 40, height: 30, toOriginal: (x, y) => [x, y] };

  it('maps a turned or scaled view back to the original', () => {
    fc.assert(fc.property(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: 0.5, max: 3, noNaN: true }), (deg, f) => {
      const turned = rotate(scale(v, f), deg);
      // the centre of the turned view is the centre of the original
      const [x, y] = turned.toOriginal(turned.width / 2, turned.height / 2);
      expect(x).toBeCloseTo(v.width / 2 - 0.5 + 0.5 / f, 0);
      expect(y).toBeCloseTo(v.height / 2 - 0.5 + 0.5 / f, 0);
    }));
  });

  it('scales across and down by different factors, mapping back to the original', () => {
    fc.assert(fc.property(fc.double({ min: 0.5, max: 3, noNaN: true }), fc.double({ min: 0.5, max: 3, noNaN: true }), (fx, fy) => {
      const s = scale(v, fx, fy);
      expect(s.width).toBe(Math.round(v.width * fx));
      expect(s.height).toBe(Math.round(v.height * fy));
      const [x, y] = s.toOriginal(s.width / 2, s.height / 2);
      expect(x).toBeCloseTo(v.width / 2 - 0.5 + 0.5 / fx, 0);
      expect(y).toBeCloseTo(v.height / 2 - 0.5 + 0.5 / fy, 0);
    }));
  });

  it('stretches a washed-out picture to the full range', () => {
    const washed: View = { ...v, lum: v.lum.map((g) => 110 + (g % 20)) };
    const s = stretch(washed);
    expect(Math.min(...s.lum)).toBe(0);
    expect(Math.max(...s.lum)).toBe(255);
  });

  it('paints a box over in the median grey', () => {
    const m = mask(v, { x: 5, y: 5, width: 10, height: 4 });
    expect(m.lum[6 * 40 + 7]).toBe(m.lum[8 * 40 + 14]);
    expect(m.lum[0]).toBe(v.lum[0]);
  });

  it('grows a 1D read (a line of points) across its length', () => {
    expect(aroundPoints([[100, 50], [300, 50]])).toEqual({ x: 80, y: 50 - 90, width: 240, height: 180 });
  });

  it('measures sensor noise, not edges', async () => {
    const label = await renderLabel('code128', 'RB100000008GB', 2);
    const clean = scene(320, 240, 150, [{ label, map: placement(label, { cx: 160, cy: 120, scale: 1, angle: 0 }) }]);
    expect(noiseLevel(fullView(clean.data, 320, 240))).toBeLessThanOrEqual(2);
    expect(noiseLevel(fullView(sensorNoise(clean, 25, seeded(1)).data, 320, 240))).toBeGreaterThan(12);
  });

  it.each([0, 17, -33, 40])('finds the label and the angle its bars make (turned %d°)', async (angle) => {
    const label = await renderLabel('code128', 'RB100000008GB', 2);
    const img = scene(640, 480, 120, [{ label, map: placement(label, { cx: 300, cy: 260, scale: 1, angle }) }]);
    const view = fullView(img.data, 640, 480);
    const map = edgeMap(view);
    const [region] = candidateRegions(map, 640, 480);
    expect(region.x).toBeLessThan(300);
    expect(region.x + region.width).toBeGreaterThan(300);
    expect(region.y).toBeLessThan(260);
    expect(region.y + region.height).toBeGreaterThan(260);
    // the label is turned counter-clockwise on screen: its edges lean by the same angle mod 90
    const found = dominantAngle(map, region);
    const diff = ((((found + angle) % 90) + 135) % 90) - 45;
    expect(Math.abs(diff)).toBeLessThan(3);
    // turning the region back reads it
    expect(searchBarcodes(img.data, 640, 480, roomy).found.map((f) => f.text)).toEqual(['RB100000008GB']);
  });
});

describe('a 1D code read from the profile across its bars', () => {
  const text = 'RB100000008GB';
  /** the label at `pxPerModule` (rendered at 2 px a module), turned by `angle`, the region and its edge angle as the search finds them */
  async function photo(pxPerModule: number, angle: number, spoil: (v: View) => View = (v) => v) {
    const label = await renderLabel('code128', text, 2);
    const img = scene(640, 480, 120, [{ label, map: placement(label, { cx: 320, cy: 240, scale: pxPerModule / 2, angle }) }]);
    const view = spoil(fullView(img.data, 640, 480));
    const map = edgeMap(view);
    const [region] = candidateRegions(map, 640, 480);
    return { view, region, angle: dominantAngle(map, region) };
  }
  const quick = parcelReader(false);

  it.each([[1.2, -2], [1.3, 2.5], [1.3, 4]])('reads bars of %d px a module turned %d° that zxing does not read in the picture', async (px, deg) => {
    const { view, region, angle } = await photo(px, deg);
    expect(readView(parcelReader(true), view)).toBeUndefined();
    const profile = barProfile(view, region, angle) as View;
    expect(readView(quick, profile)?.getText()).toBe(text);
    // the profile's points lie on the code in the picture
    const [x, y] = profile.toOriginal(profile.width / 2, 4);
    expect(Math.abs(x - 320)).toBeLessThan(40);
    expect(Math.abs(y - 240)).toBeLessThan(20);
  });

  it('levels light that falls off along the code', async () => {
    const dim = (v: View): View => {
      const g = lowContrastUneven({ width: v.width, height: v.height, data: v.lum }, 0.2, 0.35, 0);
      return { ...v, lum: g.data };
    };
    const { view, region, angle } = await photo(2, 2.5, dim);
    expect(readView(parcelReader(true), view)).toBeUndefined();
    const profile = barProfile(view, region, angle) as View;
    expect(readView(quick, profile)).toBeUndefined();
    const levelled = levelProfile(profile);
    expect(Math.min(...levelled.lum)).toBe(0);
    expect(Math.max(...levelled.lum)).toBe(255);
    expect(readView(quick, levelled)?.getText()).toBe(text);
  });

  it('takes a motion blur out of the profile', async () => {
    const blur = (v: View): View => ({ ...v, lum: motionBlur({ width: v.width, height: v.height, data: v.lum }, 5, 0).data });
    const { view, region, angle } = await photo(2, 2.5, blur);
    expect(readView(parcelReader(true), view)).toBeUndefined();
    const profile = barProfile(view, region, angle) as View;
    expect(readView(quick, profile)).toBeUndefined();
    const reads = [4, 4.5, 5, 5.5].map((px) => readView(quick, deblurProfile(profile, px * 4))?.getText());
    expect(reads.filter((r) => r === text).length).toBeGreaterThanOrEqual(2);
    expect(reads.filter((r) => r !== undefined && r !== text)).toEqual([]);
    // the search finds it so, once a second blur length agrees with the first
    const traced: string[] = [];
    const r = searchBarcodes(view.lum, 640, 480, { ...roomy, trace: (name, _ms, read) => read && traced.push(name) });
    expect(r.found.map((f) => [f.text, f.attempt.replace(/[\d.]+$/, '')])).toEqual([[text, 'region0-bars-deblurred']]);
    expect(traced.filter((name) => name.includes('deblurred')).length).toBeGreaterThanOrEqual(2);
  });

  it('has no profile for a box too small to hold bars', () => {
    expect(barProfile(fullView(new Uint8ClampedArray(64 * 64).fill(100), 64, 64), { x: 10, y: 10, width: 5, height: 5 }, 0)).toBeUndefined();
  });
});

describe('a sure read', () => {
  async function code128(text: string): Promise<View> {
    const png = PNG.sync.read(await bwipjs.toBuffer({ bcid: 'code128', text, parsefnc: true, scale: 2, height: 10, paddingwidth: 10, paddingheight: 10, backgroundcolor: 'FFFFFF' }));
    return fullView(Uint8ClampedArray.from({ length: png.width * png.height }, (_, i) => png.data[i * 4]), png.width, png.height);
  }

  it('is not one that ends in a GS1 separator (a stray FNC1 before the check symbol), though one inside the data is', async () => {
    expect(readView(parcelReader(false), await code128('RB100000008GB^FNC1'))).toBeUndefined();
    expect(readView(parcelReader(false), await code128('RB100^FNC1000008GB'))?.getText()).toBe('RB100\u001d000008GB');
  });
});

describe('the barcode search within a time budget', () => {
  it('makes the first read whatever the budget, and begins no other once it is spent', () => {
    let t = 0;
    const blank = new Uint8ClampedArray(320 * 240).fill(200);
    const r = searchBarcodes(blank, 320, 240, { budgetMs: 50, now: () => (t += 30) });
    expect(r.attempts).toBe(1);
    expect(r.budgetExhausted).toBe(true);
    expect(r.found).toEqual([]);
  });

  it('with time to spare tries the whole plan on a blank picture and finds nothing', () => {
    const r = searchBarcodes(new Uint8ClampedArray(200 * 150).fill(90), 200, 150, roomy);
    expect(r.found).toEqual([]);
    expect(r.attempts).toBeGreaterThan(5);
    expect(r.budgetExhausted).toBe(false);
  });
});

describe('a seeded corpus of hard photos (two of each degradation)', () => {
  let corpus: HardImage[];

  beforeAll(async () => {
    corpus = await hardImageCorpus(2);
  }, 60_000);

  it('is the same corpus every run', async () => {
    const again = await hardImageCorpus(1);
    expect(corpus).toHaveLength(2 * degradations.length);
    const digest = (list: HardImage[]): string[] => list.map((i) => createHash('sha256').update(i.bytes).digest('hex'));
    expect(digest(again)).toEqual(digest(corpus.filter((i) => i.id.endsWith('-0'))));
  });

  it('reads every code of at least 22 of the 24 photos, two codes in one photo reported both', () => {
    const missed = corpus.filter((img) => !img.expected.every((code) => codesOf(decodeImage(img.bytes, roomy)).includes(code))).map((i) => i.id);
    expect(missed.length, missed.join(' ')).toBeLessThanOrEqual(2);
    expect(missed.filter((id) => id.startsWith('two-codes'))).toEqual([]);
  }, 120_000);

  it('reads at least what zxing used plainly reads, and more', () => {
    let plain = 0;
    let hard = 0;
    for (const img of corpus) {
      const plainText = plainRead(img.bytes);
      const codes = codesOf(decodeImage(img.bytes, roomy));
      if (plainText !== undefined && img.expected.length === 1 && img.expected[0] === plainText) {
        plain += 1;
        expect(codes, img.id).toContain(plainText);
      }
      if (img.expected.every((c) => codes.includes(c))) hard += 1;
    }
    expect(hard).toBeGreaterThan(plain);
  }, 120_000);

  it('reports the format of each code read', () => {
    const two = corpus.find((i) => i.degradation === 'two-codes') as HardImage;
    const r = decodeImage(two.bytes, roomy);
    expect(r).not.toBeInstanceOf(CodecError);
    const scan = r as Exclude<typeof r, CodecError>;
    expect([scan.format, ...(scan.others ?? []).map((o) => o.format)].sort()).toEqual(
      two.symbols.map((s) => BarcodeFormat[{ code128: BarcodeFormat.CODE_128, qrcode: BarcodeFormat.QR_CODE, datamatrix: BarcodeFormat.DATA_MATRIX, pdf417: BarcodeFormat.PDF_417 }[s]]).sort(),
    );
  });

  it('writes the corpus as the cameras would: PNG, and JPEG for the JPEG degradation', () => {
    for (const img of corpus) expect(img.bytes[0], img.id).toBe(img.degradation === 'jpeg' ? 0xff : 0x89);
    expect(encodePng({ width: 2, height: 1, data: Uint8ClampedArray.of(0, 255) })[1]).toBe(0x50);
  });
});
