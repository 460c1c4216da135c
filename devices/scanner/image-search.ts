/**
 * The barcode search in a camera image, within a time budget: zxing (the parcel formats) on
 * a plan of views, cheapest and likeliest first (the order is what won on the hard-photo
 * corpus of the field bench). Quick reads of the image as it is, inverted (light on dark)
 * and turned 90°; then each candidate region (blocks dense in edges), cropped, turned so
 * its edges line up with the axes, enlarged when its modules are small, and read as it is
 * and inverted; its bars projected into a profile (modules finer than a pixel resolved,
 * noise averaged out) read as it is and with the light levelled; the crop turned 90°,
 * contrast-stretched, sharpened and stretched across its narrower side (a tilted label);
 * the profile with a motion blur of 3 to 6 px taken out (such a rebuilt read counts once a
 * second one agrees). Then the whole image stretched and smoothed; the crops smoothed,
 * with the global-histogram binarizer and with TRY_HARDER; last the whole image as zxing
 * used plainly reads it (TRY_HARDER), halved and with the other binarizer. A noisy photo
 * is smoothed before all of it. The first result ends the search (zxing results carry
 * their checksums: a read is a sure read; a read ending in a GS1 separator is refused),
 * unless every code is wanted: then the rest of the picture, the codes read painted over,
 * and the regions holding none of them are read too. A read is begun only if half as long
 * again as it is expected to take fits the budget (the first, a quick read of the whole
 * image, always is). Synchronous and CPU-bound: it runs in the image worker.
 */
import {
  BarcodeFormat, BinaryBitmap, DecodeHintType, GlobalHistogramBinarizer, HybridBinarizer, InvertedLuminanceSource,
  MultiFormatReader, NotFoundException, RGBLuminanceSource, type Binarizer, type LuminanceSource,
} from '@zxing/library';
import {
  aroundPoints, barProfile, candidateRegions, crop, deblurProfile, dominantAngle, edgeMap, fullView, inside, levelProfile, mask, noiseLevel, rotate, scale, sharpen,
  smooth, stretch, type Box, type ProfileView, type View,
} from './image-views.js';
import { imageDefaults } from './image-options.js';

export const parcelFormats = [
  BarcodeFormat.CODE_128, BarcodeFormat.QR_CODE, BarcodeFormat.DATA_MATRIX,
  BarcodeFormat.EAN_13, BarcodeFormat.ITF, BarcodeFormat.PDF_417,
];

export type ZxingResult = ReturnType<MultiFormatReader['decode']>;

export interface SearchOptions {
  /** no attempt is begun that would end after this many ms from the start; default 200 */
  budgetMs?: number;
  /** look for every code in the image, not only the first; default true */
  all?: boolean;
  /** also try the image turned by 90° (vertical 1D codes); default true */
  tryRotated?: boolean;
  /** the clock (ms); default performance.now */
  now?: () => number;
  /** told of every attempt made: its name, ms (making the view included) and whether it read a code */
  trace?: (attempt: string, ms: number, read: boolean) => void;
}

export interface Found {
  text: string;
  format: BarcodeFormat;
  /** zxing's result points in the original image */
  points: [number, number][];
  /** the attempt that read it */
  attempt: string;
}

export interface SearchResult {
  found: Found[];
  attempts: number;
  elapsedMs: number;
  /** the budget ran out before the plan did */
  budgetExhausted: boolean;
}

interface Attempt {
  name: string;
  /** undefined: no such view of this region (the attempt is passed over) */
  view: () => View | undefined;
  binarizer?: 'hybrid' | 'global';
  inverted?: boolean;
  /** TRY_HARDER: every row of a 1D code scanned (about ten times the time of a quick read) */
  hard?: boolean;
  /** the region the attempt looks in (original image) */
  region?: Box;
  /** the pixels its view will have, for the time it is expected to take */
  pixels: number;
  /** a look at what is left once the codes read are painted over */
  rest?: boolean;
  /** tried only while nothing has been found (a second code is looked for with the first ways alone) */
  firstOnly?: boolean;
  /** a view rebuilt rather than seen (deconvolved): its read counts once another such read agrees */
  confirm?: boolean;
}

const groupSeparator = '\u001d';

/** a read is begun only if this many times the time it is expected to take still fits the budget */
const overrunMargin = 1.5;

/** One zxing read of a view; undefined when nothing is found. */
export function readView(reader: MultiFormatReader, v: View, binarizer: 'hybrid' | 'global' = 'hybrid', inverted = false): ZxingResult | undefined {
  let source: LuminanceSource = new RGBLuminanceSource(v.lum, v.width, v.height);
  if (inverted) source = new InvertedLuminanceSource(source);
  const bin: Binarizer = binarizer === 'hybrid' ? new HybridBinarizer(source) : new GlobalHistogramBinarizer(source);
  try {
    const result = reader.decodeWithState(new BinaryBitmap(bin));
    // a GS1 separator ends no element string: a read ending in one is a bar misread, not data
    return result.getText().endsWith(groupSeparator) ? undefined : result;
  } catch (e) {
    // zxing throws NotFound, Checksum and Format exceptions for "no sure read here"
    if (e instanceof NotFoundException || (e instanceof Error && /Checksum|Format|NotFound/.test(e.constructor.name))) return undefined;
    throw e;
  } finally {
    reader.reset();
  }
}

export function parcelReader(tryHarder = true): MultiFormatReader {
  const reader = new MultiFormatReader();
  reader.setHints(new Map<DecodeHintType, unknown>([
    [DecodeHintType.TRY_HARDER, tryHarder],
    [DecodeHintType.ASSUME_GS1, true],
    [DecodeHintType.POSSIBLE_FORMATS, parcelFormats],
  ]));
  return reader;
}

/** A view cached once made: the plan asks for the same crop in several attempts. */
function once<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

/** a region cropped, turned so its edges line up with the axes, and enlarged when it is small */
function regionView(full: () => View, box: Box, angle: number): View {
  const side = Math.max(box.width, box.height);
  let v = crop(full(), box);
  if (Math.abs(angle) > 4) v = rotate(v, angle);
  if (side < 320) v = scale(v, Math.min(3, 480 / side));
  return v;
}

/**
 * Motion blurs taken out of a 1D code's profile, in pixels across the bars: 3 to 6 by
 * quarters (a true read shows at neighbouring lengths). Only for a region barred one way
 * (a 2D code is not deblurred as bars).
 */
const blurLengths = Array.from({ length: 13 }, (_, k) => 3 + k / 4);

/**
 * The attempts for one region: cropped, aligned, enlarged when small, then read several
 * ways; and its bars projected into a profile (a 1D code read from its profile: small
 * modules, uneven light, motion blur). The first few are also how a second code is looked for.
 */
function regionAttempts(full: () => View, box: Box, angle: number, name: string): { first: Attempt[]; later: Attempt[] } {
  const side = Math.max(box.width, box.height);
  const factor = side < 320 ? Math.min(3, 480 / side) : 1;
  const turned = Math.abs(angle) > 4;
  const base = once(() => regionView(full, box, angle));
  const bars = once(() => barProfile(full(), box, angle));
  const pixels = box.width * box.height * factor * factor * (turned ? 2 : 1);
  // the projections at the angles tried cost about as much as reading an enlarged crop
  const barPixels = box.width * box.height * 4;
  const ofBars = (make: (v: ProfileView) => View | undefined) => once(() => { const v = bars(); return v && make(v); });
  type Planned = Omit<Attempt, 'pixels'> & { pixels?: number };
  const first: Planned[] = [
    { name: `${name}`, view: base },
    { name: `${name}-inverted`, view: base, inverted: true },
    { name: `${name}-bars`, view: bars, pixels: barPixels },
    { name: `${name}-bars-levelled`, view: ofBars((v) => levelProfile(v)), pixels: barPixels / 4 },
    { name: `${name}-turned`, view: once(() => rotate(base(), 90)), firstOnly: true },
    { name: `${name}-stretched`, view: once(() => stretch(base())), firstOnly: true },
    { name: `${name}-sharpened`, view: once(() => sharpen(base())), firstOnly: true },
    // a label tilted away from the camera is foreshortened across its narrower side: stretched back
    { name: `${name}-unforeshortened`, view: once(() => (box.width < box.height ? scale(base(), 1.4, 1) : scale(base(), 1, 1.4))), pixels: pixels * 1.4, firstOnly: true },
    ...blurLengths.map((px) => ({ name: `${name}-bars-deblurred${px}`, view: ofBars((v) => (v.barred >= 2 ? deblurProfile(v, px * 4) : undefined)), pixels: barPixels / 4, firstOnly: true, confirm: true })),
  ];
  const later: Planned[] = [
    { name: `${name}-smoothed`, view: once(() => smooth(base())), firstOnly: true },
    { name: `${name}-global`, view: base, binarizer: 'global', firstOnly: true },
    { name: `${name}-hard`, view: base, hard: true, firstOnly: true },
    { name: `${name}-smoothed-hard`, view: once(() => smooth(base())), hard: true, firstOnly: true },
  ];
  const planned = (list: Planned[]): Attempt[] => list.map((a) => ({ ...a, pixels: a.pixels ?? pixels, region: box }));
  return { first: planned(first), later: planned(later) };
}

/** Finds the barcodes of a luminance image (one byte a pixel) within the budget. */
export function searchBarcodes(lum: Uint8ClampedArray, width: number, height: number, options: SearchOptions = {}): SearchResult {
  const now = options.now ?? (() => performance.now());
  const budget = options.budgetMs ?? imageDefaults.budgetMs;
  const all = options.all ?? imageDefaults.all;
  const start = now();
  const readers = { quick: parcelReader(false), hard: parcelReader(true) };
  const pixels = width * height;
  // a noisy photo is smoothed before anything else: every read of it is faster and surer
  const full = once(() => {
    let v = fullView(lum, width, height);
    for (let k = 0; k < 2 && noiseLevel(v) > 5; k++) v = smooth(v);
    return v;
  });
  const edges = once(() => edgeMap(full()));
  const plan: Attempt[] = [
    { name: 'quick', view: full, pixels },
    { name: 'inverted', view: full, inverted: true, pixels },
  ];
  if (options.tryRotated ?? imageDefaults.tryRotated) plan.push({ name: 'turned', view: once(() => rotate(full(), 90)), pixels });
  // the regions come from the edges, computed only when the plain reads found nothing
  let regionsPlanned = false;
  const planRegions = (): void => {
    regionsPlanned = true;
    const map = edges();
    const regions = candidateRegions(map, width, height, 3).map((box, i) => regionAttempts(full, box, dominantAngle(map, box), `region${i}`));
    // the ways that win most, region by region; the whole image stretched and smoothed; the
    // regions' slower ways; last the whole image as zxing used plainly reads it (try-harder), halved and globally binarized
    plan.push(
      ...regions.flatMap((r) => r.first),
      { name: 'stretched', view: once(() => stretch(full())), pixels },
      { name: 'smoothed', view: once(() => smooth(full())), pixels },
      ...regions.flatMap((r) => r.later),
      { name: 'plain', view: full, hard: true, pixels },
      { name: 'halved', view: once(() => scale(full(), 0.5)), pixels: pixels / 4 },
      { name: 'global', view: full, binarizer: 'global', pixels },
    );
  };
  const found: Found[] = [];
  // texts read once from rebuilt views, waiting for a second read to agree
  const unconfirmed = new Set<string>();
  const searchedRegions = new Set<Box>();
  let attempts = 0;
  // ms a pixel, learned from the reads made; the first guesses are this machine's warm figures doubled
  const msPerPixel = { quick: 80e-6, hard: 400e-6 };
  let budgetExhausted = false;
  for (let i = 0; ; i++) {
    if (i === plan.length && !regionsPlanned) planRegions();
    if (i >= plan.length) break;
    const attempt = plan[i];
    const region = attempt.region;
    // once a code is found, only regions holding none of the found codes are worth a look
    if (found.length > 0 && !attempt.rest && (!all || !region || attempt.firstOnly || searchedRegions.has(region) || found.some((f) => f.points.some(([x, y]) => inside(region, x, y))))) continue;
    const kind = attempt.hard ? 'hard' : 'quick';
    // the first read is always made, whatever the budget: a clean photo is never refused for lack of time;
    // another is begun only with room for half as long again as it is expected to take (a busy CPU slows reads unevenly)
    if (attempts > 0 && now() - start + overrunMargin * msPerPixel[kind] * attempt.pixels > budget) {
      budgetExhausted = true;
      continue;
    }
    const t0 = now();
    const v = attempt.view();
    if (!v) continue;
    const result = readView(readers[kind], v, attempt.binarizer, attempt.inverted);
    attempts += 1;
    msPerPixel[kind] = Math.max(msPerPixel[kind] * 0.8, (now() - t0) / attempt.pixels);
    options.trace?.(attempt.name, now() - t0, result !== undefined);
    if (!result) continue;
    const text = result.getText();
    if (attempt.confirm && !unconfirmed.has(text)) {
      unconfirmed.add(text);
      continue;
    }
    if (region) searchedRegions.add(region);
    if (found.some((f) => f.text === text)) continue;
    const points = result.getResultPoints().map((p) => v.toOriginal(p.getX(), p.getY()));
    found.push({ text, format: result.getBarcodeFormat(), points, attempt: attempt.name });
    if (!all) break;
    if (!regionsPlanned) planRegions();
    // the codes read so far painted over: what is left of the picture is read again
    const covered = found.map((f) => aroundPoints(f.points));
    const rest = once(() => covered.reduce((v, box) => mask(v, box), full()));
    const restRegion = once(() => candidateRegions(edgeMap(rest()), width, height, 1)[0]);
    // read next, before the regions left
    plan.splice(i + 1, 0, { name: `without${found.length}`, view: rest, pixels, rest: true }, {
      name: `without${found.length}-region`, pixels: pixels / 2, rest: true,
      view: () => {
        const box = restRegion();
        return box ? regionView(rest, box, dominantAngle(edgeMap(rest()), box)) : rest();
      },
    });
  }
  return { found, attempts, elapsedMs: now() - start, budgetExhausted };
}
