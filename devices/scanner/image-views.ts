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

/** scaled by `factor` (bilinear up, box-averaged down) */
export function scale(v: View, factor: number): View {
  const width = Math.max(1, Math.round(v.width * factor));
  const height = Math.max(1, Math.round(v.height * factor));
  const lum = new Uint8ClampedArray(width * height);
  if (factor >= 1) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) lum[y * width + x] = bilinear(v.lum, v.width, v.height, (x + 0.5) / factor - 0.5, (y + 0.5) / factor - 0.5);
    }
  } else {
    const step = 1 / factor;
    for (let y = 0; y < height; y++) {
      const sy0 = Math.floor(y * step);
      const sy1 = Math.min(v.height, Math.max(sy0 + 1, Math.floor((y + 1) * step)));
      for (let x = 0; x < width; x++) {
        const sx0 = Math.floor(x * step);
        const sx1 = Math.min(v.width, Math.max(sx0 + 1, Math.floor((x + 1) * step)));
        let s = 0;
        for (let yy = sy0; yy < sy1; yy++) for (let xx = sx0; xx < sx1; xx++) s += v.lum[yy * v.width + xx];
        lum[y * width + x] = s / ((sy1 - sy0) * (sx1 - sx0));
      }
    }
  }
  return { lum, width, height, toOriginal: (x, y) => v.toOriginal((x + 0.5) / factor - 0.5, (y + 0.5) / factor - 0.5) };
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

/** a 3x3 box filter: sensor noise and JPEG blocks averaged away */
export function smooth(v: View): View {
  const { width, height } = v;
  const lum = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = Math.min(height - 1, Math.max(0, y + dy));
        for (let dx = -1; dx <= 1; dx++) s += v.lum[yy * width + Math.min(width - 1, Math.max(0, x + dx))];
      }
      lum[y * width + x] = s / 9;
    }
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
