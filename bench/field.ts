/**
 * Field truth: how the gateway does on inputs from the field rather than clean ones.
 * Hard images: the seeded corpus of bench/hard-images.ts decoded by the gateway's image
 * decoder in its worker (timed from the main thread, one image at a time, after three
 * warm-up images), and by zxing used plainly (the whole image, HybridBinarizer,
 * TRY_HARDER) in the same run; per degradation the share decoded (every code of the photo),
 * median and p99 ms. Goals: ≥ 95 % decoded overall, never below plain on any degradation,
 * p99 ≤ 250 ms. The ETA half is in bench/eta-replay.ts.
 */
import { CodecError } from '../devices/codec.js';
import { createImageDecoder } from '../devices/scanner/image-decoder.js';
import { readImage, rgbaToLuminance } from '../devices/scanner/image.js';
import { parcelReader, readView } from '../devices/scanner/image-search.js';
import { fullView } from '../devices/scanner/image-views.js';
import { etaReplayBench } from './eta-replay.js';
import { degradations, hardImageCorpus, type HardImage } from './hard-images.js';
import { median, percentile, round, type Bench, type BenchRow } from './harness.js';

interface Outcome {
  ok: boolean;
  ms: number;
}

function plainDecode(img: HardImage): Outcome {
  const t0 = performance.now();
  const rgba = readImage(img.bytes);
  let text: string | undefined;
  if (!(rgba instanceof CodecError)) text = readView(parcelReader(true), fullView(rgbaToLuminance(rgba), rgba.width, rgba.height))?.getText();
  // a photo of two codes is decoded when both are reported: the plain read reports one
  const ok = text !== undefined && img.expected.length === 1 && img.expected[0] === text;
  return { ok, ms: performance.now() - t0 };
}

function summary(list: Outcome[]): { decodedPct: number; medianMs: number; p99Ms: number } {
  const ms = list.map((o) => o.ms).sort((a, b) => a - b);
  return { decodedPct: round((100 * list.filter((o) => o.ok).length) / list.length, 1), medianMs: round(median(ms), 1), p99Ms: round(percentile(ms, 99), 1) };
}

export async function hardImages(perDegradation: number, log: (line: string) => void): Promise<{ rows: BenchRow[]; json: Record<string, unknown> }> {
  const t0 = Date.now();
  const corpus = await hardImageCorpus(perDegradation);
  log(`field: ${corpus.length} hard images made in ${Date.now() - t0} ms`);
  const decoder = createImageDecoder({ mode: 'worker' });
  const hard = new Map<HardImage, Outcome>();
  const plain = new Map<HardImage, Outcome>();
  try {
    for (const img of corpus.slice(0, 3)) await decoder.decode(img.bytes);
    for (const img of corpus) plainDecode(img);
    for (const img of corpus) {
      const start = performance.now();
      const r = await decoder.decode(img.bytes);
      const ms = performance.now() - start;
      const codes = r instanceof CodecError ? [] : [r.code, ...(r.others ?? []).map((o) => o.code)];
      hard.set(img, { ok: img.expected.every((c) => codes.includes(c)), ms });
      plain.set(img, plainDecode(img));
    }
  } finally {
    await decoder.close();
  }
  const rows: BenchRow[] = [];
  const perDegradationJson: Record<string, unknown> = {};
  for (const d of degradations) {
    const imgs = corpus.filter((i) => i.degradation === d);
    const h = summary(imgs.map((i) => hard.get(i) as Outcome));
    const p = summary(imgs.map((i) => plain.get(i) as Outcome));
    perDegradationJson[d] = { images: imgs.length, ...h, plain: p };
    rows.push(
      { bench: 'field images', metric: `${d} decoded`, value: h.decodedPct, unit: '%', goal: `≥ plain ${p.decodedPct}`, met: h.decodedPct >= p.decodedPct },
      { bench: 'field images', metric: `${d} median / p99`, value: h.medianMs, unit: `ms / ${h.p99Ms} ms (plain ${p.medianMs} / ${p.p99Ms})` },
    );
  }
  const all = summary([...hard.values()]);
  const allPlain = summary([...plain.values()]);
  rows.push(
    { bench: 'field images', metric: 'hard images decoded', value: all.decodedPct, unit: `% of ${corpus.length}`, goal: '≥ 95', met: all.decodedPct >= 95 },
    { bench: 'field images', metric: 'hard images p99', value: all.p99Ms, unit: 'ms', goal: '≤ 250', met: all.p99Ms <= 250 },
    { bench: 'field images', metric: 'zxing plainly: decoded', value: allPlain.decodedPct, unit: `% (p99 ${allPlain.p99Ms} ms)` },
  );
  return {
    rows,
    json: {
      field: {
        hardImagesDecodedPct: all.decodedPct, hardImagesP99Ms: all.p99Ms, hardImagesMedianMs: all.medianMs,
        plainDecodedPct: allPlain.decodedPct, plainP99Ms: allPlain.p99Ms, images: corpus.length, perDegradation: perDegradationJson,
      },
    },
  };
}

export const fieldBench: Bench = {
  name: 'field truth (hard images, ETA vs naive)',
  key: 'field',
  async run({ quick, log }) {
    const images = await hardImages(quick ? 6 : 25, log);
    const eta = await etaReplayBench(log);
    return { rows: [...images.rows, ...eta.rows], json: { ...images.json, ...eta.json } };
  },
};
