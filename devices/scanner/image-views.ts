/**
 * Views of a luminance image for the barcode search (image-search.ts): pure functions over
 * one grey byte a pixel, each view knowing how to map its pixels back to the original
 * image. Candidate regions (blocks dense in strong edges) and the dominant edge angle
 * (mod 90°) come from the same gradients.
 */

export interface View {
  lum: Uint8ClampedArray;
  width: number;
  height: number;
  /** a pixel of this view -> the same point of the original image */
  toOriginal(x: number, y: number): [number, number];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function fullView(lum: Uint8ClampedArray, width: number, height: number): View {
  return { lum, width, height, toOriginal: (x, y) => [x, y] };
}

export function crop(v: View, box: Box): View {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const width = Math.min(v.width - x0, Math.ceil(box.width));
  const height = Math.min(v.height - y0, Math.ceil(box.height));
  const lum = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) lum.set(v.lum.subarray((y0 + y) * v.width + x0, (y0 + y) * v.width + x0 + width), y * width);
  return { lum, width, height, toOriginal: (x, y) => v.toOriginal(x + x0, y + y0) };
}

function bilinear(lum: Uint8ClampedArray, width: number, height: number, x: number, y: number): number {
  if (x < 0 || y < 0 || x > width - 1 || y > height - 1) return -1;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  const fx = x - x0;
  const fy = y - y0;
  const top = lum[y0 * width + x0] * (1 - fx) + lum[y0 * width + x1] * fx;
  const bottom = lum[y1 * width + x0] * (1 - fx) + lum[y1 * width + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/** scaled by `factor` across and `factorY` down (bilinear up, box-averaged down) */
export function scale(v: View, factor: number, factorY = factor): View {
  const width = Math.max(1, Math.round(v.width * factor));
  const height = Math.max(1, Math.round(v.height * factorY));
  const lum = new Uint8ClampedArray(width * height);
  if (factor >= 1 && factorY >= 1) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) lum[y * width + x] = bilinear(v.lum, v.width, v.height, (x + 0.5) / factor - 0.5, (y + 0.5) / factorY - 0.5);
    }
  } else {
    const stepX = 1 / factor;
    const stepY = 1 / factorY;
    for (let y = 0; y < height; y++) {
      const sy0 = Math.floor(y * stepY);
      const sy1 = Math.min(v.height, Math.max(sy0 + 1, Math.floor((y + 1) * stepY)));
      for (let x = 0; x < width; x++) {
        const sx0 = Math.floor(x * stepX);
        const sx1 = Math.min(v.width, Math.max(sx0 + 1, Math.floor((x + 1) * stepX)));
        let s = 0;
        for (let yy = sy0; yy < sy1; yy++) for (let xx = sx0; xx < sx1; xx++) s += v.lum[yy * v.width + xx];
        lum[y * width + x] = s / ((sy1 - sy0) * (sx1 - sx0));
      }
    }
  }
  return { lum, width, height, toOriginal: (x, y) => v.toOriginal((x + 0.5) / factor - 0.5, (y + 0.5) / factorY - 0.5) };
}

/** turned by `degrees` (counter-clockwise) on a canvas that holds all of it, the corners filled with the view's median grey */
export function rotate(v: View, degrees: number): View {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const width = Math.ceil(Math.abs(v.width * cos) + Math.abs(v.height * sin));
  const height = Math.ceil(Math.abs(v.width * sin) + Math.abs(v.height * cos));
  const fill = medianGrey(v.lum);
  const lum = new Uint8ClampedArray(width * height);
  const cx = width / 2;
  const cy = height / 2;
  const sx = v.width / 2;
  const sy = v.height / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const value = bilinear(v.lum, v.width, v.height, cos * dx - sin * dy + sx, sin * dx + cos * dy + sy);
      lum[y * width + x] = value < 0 ? fill : value;
    }
  }
  return {
    lum, width, height,
    toOriginal: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      return v.toOriginal(cos * dx - sin * dy + sx, sin * dx + cos * dy + sy);
    },
  };
}

/** the view with `box` painted over in its median grey: a code already read taken out of the picture */
export function mask(v: View, box: Box): View {
  const lum = Uint8ClampedArray.from(v.lum);
  const fill = medianGrey(v.lum);
  const x0 = Math.max(0, Math.floor(box.x));
  const x1 = Math.min(v.width, Math.ceil(box.x + box.width));
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(v.height, Math.ceil(box.y + box.height)); y++) lum.fill(fill, y * v.width + x0, y * v.width + x1);
  return { ...v, lum };
}

/** the box around `points` grown by `grow` of its larger side (at least `least` pixels) each way; a line of points (a 1D read) grows by half that along it and by `across` of its length across it */
export function aroundPoints(points: readonly [number, number][], grow = 0.2, least = 12, across = 0.45): Box {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  const width = Math.max(...xs) - x;
  const height = Math.max(...ys) - y;
  const side = Math.max(width, height);
  const flat = Math.min(width, height) < side * 0.2;
  // a 1D read grows little along its line (the quiet zone) and much across it (the bars' height)
  const along = flat ? grow / 2 : grow;
  const gx = Math.max(least, side * (flat && width < height ? across : along));
  const gy = Math.max(least, side * (flat && height <= width ? across : along));
  return { x: x - gx, y: y - gy, width: width + 2 * gx, height: height + 2 * gy };
}

/** a 3x3 box filter: sensor noise and JPEG blocks averaged away (rows summed, then the row sums down: 6 reads a pixel, not 9) */
export function smooth(v: View): View {
  const { width, height } = v;
  const rows = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) rows[o + x] = v.lum[o + Math.max(0, x - 1)] + v.lum[o + x] + v.lum[o + Math.min(width - 1, x + 1)];
  }
  const lum = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width;
    const o = y * width;
    const down = Math.min(height - 1, y + 1) * width;
    for (let x = 0; x < width; x++) lum[o + x] = (rows[up + x] + rows[o + x] + rows[down + x]) / 9;
  }
  return { ...v, lum };
}

/** unsharp mask: the view plus `amount` times its difference from the 3x3 mean (blurred edges steepened) */
export function sharpen(v: View, amount = 1.5): View {
  const blurred = smooth(v).lum;
  const lum = new Uint8ClampedArray(v.lum.length);
  for (let i = 0; i < lum.length; i++) lum[i] = v.lum[i] + amount * (v.lum[i] - blurred[i]);
  return { ...v, lum };
}

/** the grey levels between the 2nd and 98th percentile stretched to 0..255 (a washed-out photo) */
export function stretch(v: View): View {
  const histogram = new Uint32Array(256);
  for (const value of v.lum) histogram[value] += 1;
  const cut = v.lum.length * 0.02;
  let lo = 0;
  let hi = 255;
  for (let s = 0; lo < 255 && s + histogram[lo] <= cut; lo++) s += histogram[lo];
  for (let s = 0; hi > 0 && s + histogram[hi] <= cut; hi--) s += histogram[hi];
  const span = Math.max(1, hi - lo);
  const lum = new Uint8ClampedArray(v.lum.length);
  for (let i = 0; i < lum.length; i++) lum[i] = ((v.lum[i] - lo) * 255) / span;
  return { ...v, lum };
}

/**
 * Sensor noise, in grey levels: the median of |pixel − mean of its left and right
 * neighbours| over every 7th pixel. Flat paper gives ~0 whatever its edges; Gaussian noise
 * of σ gives about 0.8 σ.
 */
export function noiseLevel(v: View): number {
  const histogram = new Uint32Array(256);
  let n = 0;
  for (let i = 1; i < v.lum.length - 1; i += 7) {
    histogram[Math.min(255, Math.round(Math.abs(v.lum[i] - (v.lum[i - 1] + v.lum[i + 1]) / 2)))] += 1;
    n += 1;
  }
  let s = 0;
  for (let g = 0; g < 256; g++) {
    s += histogram[g];
    if (s >= n / 2) return g;
  }
  return 255;
}

function medianGrey(lum: Uint8ClampedArray): number {
  const histogram = new Uint32Array(256);
  for (const value of lum) histogram[value] += 1;
  let s = 0;
  for (let g = 0; g < 256; g++) {
    s += histogram[g];
    if (s >= lum.length / 2) return g;
  }
  return 128;
}

export interface EdgeMap {
  /** blocks across and down */
  columns: number;
  rows: number;
  block: number;
  /** per block: summed gradient magnitude */
  energy: Float64Array;
  /** per block: sums of magnitude × cos 4φ and × sin 4φ (the edge angle mod 90°) */
  c4: Float64Array;
  s4: Float64Array;
}

/** Gradients of the view summed in `block`-pixel blocks. */
export function edgeMap(v: View, block = 16): EdgeMap {
  const columns = Math.ceil(v.width / block);
  const rows = Math.ceil(v.height / block);
  const energy = new Float64Array(columns * rows);
  const c4 = new Float64Array(columns * rows);
  const s4 = new Float64Array(columns * rows);
  const { lum, width, height } = v;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const gx = lum[i + 1] - lum[i - 1];
      const gy = lum[i + width] - lum[i - width];
      const m2 = gx * gx + gy * gy;
      if (m2 < 400) continue;
      const m = Math.sqrt(m2);
      // cos 4φ and sin 4φ from cos φ = gx/m, sin φ = gy/m, weighted by m
      const c2 = (gx * gx - gy * gy) / m2;
      const s2 = (2 * gx * gy) / m2;
      const b = Math.floor(y / block) * columns + Math.floor(x / block);
      energy[b] += m;
      c4[b] += m * (c2 * c2 - s2 * s2);
      s4[b] += m * 2 * c2 * s2;
    }
  }
  return { columns, rows, block, energy, c4, s4 };
}

/** the angle (degrees, −45..45) the edges of the blocks in `box` (or all blocks) make with the axes */
export function dominantAngle(map: EdgeMap, box?: Box): number {
  let c = 0;
  let s = 0;
  for (let r = 0; r < map.rows; r++) {
    for (let k = 0; k < map.columns; k++) {
      if (box && !inside(box, k * map.block + map.block / 2, r * map.block + map.block / 2)) continue;
      c += map.c4[r * map.columns + k];
      s += map.s4[r * map.columns + k];
    }
  }
  return (Math.atan2(s, c) * 180) / Math.PI / 4;
}

export function inside(box: Box, x: number, y: number): boolean {
  return x >= box.x && y >= box.y && x < box.x + box.width && y < box.y + box.height;
}

/**
 * Regions dense in edges, largest first: blocks above a share of the strongest block,
 * joined with their 8 neighbours, each component's bounding box grown by `margin` blocks.
 * At most `max` regions; specks of fewer than `minBlocks` blocks are left out.
 */
export function candidateRegions(map: EdgeMap, width: number, height: number, max = 4, minBlocks = 3, margin = 1): Box[] {
  const { columns, rows, block, energy } = map;
  const sorted = Float64Array.from(energy).sort();
  const strong = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
  const threshold = Math.max(strong * 0.3, block * block * 4);
  const seen = new Uint8Array(columns * rows);
  const regions: { box: Box; blocks: number }[] = [];
  for (let start = 0; start < energy.length; start++) {
    if (seen[start] || energy[start] < threshold) continue;
    const stack = [start];
    seen[start] = 1;
    let blocks = 0;
    let minC = columns;
    let maxC = 0;
    let minR = rows;
    let maxR = 0;
    while (stack.length > 0) {
      const b = stack.pop() as number;
      blocks += 1;
      const r = Math.floor(b / columns);
      const k = b % columns;
      minC = Math.min(minC, k);
      maxC = Math.max(maxC, k);
      minR = Math.min(minR, r);
      maxR = Math.max(maxR, r);
      for (let dr = -1; dr <= 1; dr++) {
        for (let dk = -1; dk <= 1; dk++) {
          const rr = r + dr;
          const kk = k + dk;
          if (rr < 0 || kk < 0 || rr >= rows || kk >= columns) continue;
          const n = rr * columns + kk;
          if (!seen[n] && energy[n] >= threshold) {
            seen[n] = 1;
            stack.push(n);
          }
        }
      }
    }
    if (blocks < minBlocks) continue;
    const x = Math.max(0, (minC - margin) * block);
    const y = Math.max(0, (minR - margin) * block);
    regions.push({
      box: { x, y, width: Math.min(width, (maxC + 1 + margin) * block) - x, height: Math.min(height, (maxR + 1 + margin) * block) - y },
      blocks,
    });
  }
  return regions.sort((a, b) => b.blocks - a.blocks).slice(0, max).map((r) => r.box);
}

/** rows of a profile view: a 1D code's profile repeated, enough for zxing's row scan */
const profileRows = 8;

interface Profile {
  /** grey per bin, `sub` bins a pixel, across the bars */
  values: Float64Array;
  /** mean |Δ| between neighbouring bins: the sharper the bars are projected, the larger */
  variation: number;
  /** bin k -> the original image */
  toOriginal(k: number): [number, number];
}

/**
 * The grey of `box` projected onto the line at `degrees` (the bars' normal), `sub` bins a
 * pixel, over the band of the box in which the bars lie (where the grey changes most along
 * that line). A 1D code turned by a little more or less than a right angle to the pixel
 * grid is sampled by its rows at different phases, so the projection resolves modules
 * finer than a pixel, and it averages noise over the bars' height. `stride`: every how
 * many rows and columns are looked at (a quick look while the angle is sought).
 */
function project(v: View, box: Box, degrees: number, sub: number, stride = 1): Profile | undefined {
  const t = (degrees * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  const x0 = Math.max(1, Math.floor(box.x));
  const y0 = Math.max(1, Math.floor(box.y));
  const x1 = Math.min(v.width - 1, Math.ceil(box.x + box.width));
  const y1 = Math.min(v.height - 1, Math.ceil(box.y + box.height));
  if (x1 - x0 < 8 || y1 - y0 < 8) return undefined;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const half = Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 2) + 1;
  const { lum, width } = v;
  // the band: 1-pixel strips along the bars, each with its mean change across them
  const change = new Float64Array(2 * half);
  const count = new Float64Array(2 * half);
  for (let y = y0; y < y1; y += stride) {
    for (let x = x0; x < x1; x += stride) {
      const i = y * width + x;
      const strip = Math.floor(-(x - cx) * s + (y - cy) * c) + half;
      change[strip] += Math.abs((lum[i + 1] - lum[i - 1]) * c + (lum[i + width] - lum[i - width]) * s);
      count[strip] += 1;
    }
  }
  let strongest = 0;
  for (let k = 0; k < change.length; k++) if (count[k] > 0) strongest = Math.max(strongest, (change[k] /= count[k]));
  let band = [0, 0];
  for (let k = 0, from = -1; k <= change.length; k++) {
    const on = k < change.length && change[k] > strongest / 2;
    if (on && from < 0) from = k;
    if (!on && from >= 0) {
      if (k - from > band[1] - band[0]) band = [from, k];
      from = -1;
    }
  }
  const trim = Math.floor((band[1] - band[0]) * 0.1);
  const vLo = band[0] + trim - half;
  const vHi = band[1] - trim - half;
  if (vHi - vLo < 2) return undefined;
  const bins = 2 * half * sub;
  const sum = new Float64Array(bins);
  const n = new Uint32Array(bins);
  for (let y = y0; y < y1; y += stride) {
    for (let x = x0; x < x1; x += stride) {
      const along = -(x - cx) * s + (y - cy) * c;
      if (along < vLo || along >= vHi) continue;
      const k = Math.floor(((x - cx) * c + (y - cy) * s + half) * sub);
      sum[k] += lum[y * width + x];
      n[k] += 1;
    }
  }
  let first = 0;
  let last = bins - 1;
  while (first < bins && n[first] === 0) first++;
  while (last > first && n[last] === 0) last--;
  const values = new Float64Array(last - first + 1);
  // empty bins take the grey between their filled neighbours
  for (let k = first, prev = -1; k <= last; k++) {
    if (n[k] === 0) continue;
    values[k - first] = sum[k] / n[k];
    for (let j = prev + 1; prev >= 0 && j < k; j++) values[j - first] = values[prev - first] + ((values[k - first] - values[prev - first]) * (j - prev)) / (k - prev);
    prev = k;
  }
  const smoothed = boxMean(values, 3);
  let variation = 0;
  for (let k = 1; k < smoothed.length; k++) variation += Math.abs(smoothed[k] - smoothed[k - 1]);
  const mid = (vLo + vHi) / 2;
  return {
    values: smoothed, variation: variation / Math.max(1, smoothed.length),
    toOriginal: (k) => {
      const u = (k + first) / sub - half;
      return [cx + u * c - mid * s, cy + u * s + mid * c];
    },
  };
}

/** the mean over `w` bins around each bin (prefix sums: O(n) whatever `w`) */
function boxMean(p: Float64Array, w: number): Float64Array {
  const sums = new Float64Array(p.length + 1);
  for (let i = 0; i < p.length; i++) sums[i + 1] = sums[i] + p[i];
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const a = Math.max(0, Math.round(i - w / 2));
    const b = Math.min(p.length, Math.max(a + 1, Math.round(i + w / 2)));
    out[i] = (sums[b] - sums[a]) / (b - a);
  }
  return out;
}

export interface ProfileView extends View {
  /** how much more the grey changes across the bars than along them: well above 1 for a 1D code, about 1 for a 2D one */
  barred: number;
}

/**
 * A 1D code in `box` as a profile view: the projection across its bars (see `project`) at
 * the angle, near `degrees` or a right angle to it, at which the bars come out sharpest,
 * `sub` bins a pixel. Undefined when the box is too small to hold bars.
 */
export function barProfile(v: View, box: Box, degrees: number, sub = 4): ProfileView | undefined {
  const variation = (d: number): number => project(v, box, d, 2, 2)?.variation ?? -1;
  // across the bars the profile changes much more than along them
  const [a, b] = [variation(degrees), variation(degrees + 90)];
  let best = a >= b ? degrees : degrees + 90;
  let bestVariation = -1;
  // then the angle within ±3°: a coarse step, then halved twice around the best
  for (const [step, steps] of [[1.5, 2], [0.75, 1], [0.375, 1]]) {
    const around = best;
    for (let k = -steps; k <= steps; k++) {
      if (k === 0 && bestVariation >= 0) continue;
      const value = variation(around + k * step);
      if (value > bestVariation) {
        bestVariation = value;
        best = around + k * step;
      }
    }
  }
  const p = project(v, box, best, sub);
  return p && { ...profileView(p.values, p.toOriginal), barred: Math.max(a, b) / Math.max(1e-9, Math.min(a, b)) };
}

function profileView(values: Float64Array, toOriginal: (k: number) => [number, number]): View {
  const width = values.length;
  const lum = new Uint8ClampedArray(width * profileRows);
  for (let y = 0; y < profileRows; y++) lum.set(values, y * width);
  return { lum, width, height: profileRows, toOriginal: (x) => toOriginal(x) };
}

function profileOf(v: View): Float64Array {
  return Float64Array.from(v.lum.subarray(0, v.width));
}

/** a profile view with its grey stretched to 0..255 between the darkest and lightest within `radius` bins: light that falls off along the code levelled */
export function levelProfile(v: View, radius = 24): View {
  const p = profileOf(v);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    let lo = 255;
    let hi = 0;
    for (let k = Math.max(0, i - radius); k < Math.min(p.length, i + radius + 1); k++) {
      lo = Math.min(lo, p[k]);
      hi = Math.max(hi, p[k]);
    }
    out[i] = hi - lo < 8 ? 255 : ((p[i] - lo) * 255) / (hi - lo);
  }
  return profileView(out, (k) => v.toOriginal(k, 0));
}

/**
 * A profile view with a motion blur of `bins` bins taken out: Richardson–Lucy
 * deconvolution with a box kernel, `iterations` rounds (each O(length) by prefix sums).
 * Deconvolution can ring into bars that were never printed: a read of it wants a second
 * one to agree (image-search.ts).
 */
export function deblurProfile(v: View, bins: number, iterations = 50): View {
  const blurred = profileOf(v);
  for (let i = 0; i < blurred.length; i++) blurred[i] = Math.max(1, blurred[i]);
  const x = Float64Array.from(blurred);
  const ratio = new Float64Array(x.length);
  for (let k = 0; k < iterations; k++) {
    const estimate = boxMean(x, bins);
    for (let i = 0; i < x.length; i++) ratio[i] = blurred[i] / Math.max(1, estimate[i]);
    const correction = boxMean(ratio, bins);
    for (let i = 0; i < x.length; i++) x[i] = Math.min(255, x[i] * correction[i]);
  }
  return profileView(x, (k) => v.toOriginal(k, 0));
}
