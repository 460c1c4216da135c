/**
 * ETAs on replayed routes: a position track (from a scenario, or the `position.track`
 * records of a journal) and the stops of the day are fed through the ETA tracker on the
 * track's own clock, and the error of the ETA published h minutes before each arrival is
 * compared with a naive ETA on the same arrivals: straight-line distance through the
 * remaining stops at one constant speed, no dwell.
 */
import pino from 'pino';
import { haversineM, type LatLon } from '../core/geo.js';
import type { RecordInput } from '../rules/records.js';
import type { Arrival } from './arrivals.js';
import { etaErrorStats, type EtaErrorStats } from './error-stats.js';
import type { EtaModel } from './model.js';
import type { EtaOptionsInput, EtaTask } from './options.js';
import { EtaTracker } from './tracker.js';

export interface TrackPoint extends LatLon {
  /** ms since the epoch */
  t: number;
  speedKmh: number;
}

/** the points of `position.track` record bodies, of one kit when given, in time order */
export function trackOfRecords(records: readonly { kind: string; kit?: string; body: Record<string, unknown> }[], kit?: string): TrackPoint[] {
  const out: TrackPoint[] = [];
  for (const r of records) {
    if (r.kind !== 'position.track' || (kit !== undefined && r.kit !== kit)) continue;
    const { lat, lon, speedKmh, at } = r.body as { lat?: unknown; lon?: unknown; speedKmh?: unknown; at?: unknown };
    const t = typeof at === 'string' ? Date.parse(at) : NaN;
    if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(t)) continue;
    out.push({ lat, lon, t, speedKmh: typeof speedKmh === 'number' && Number.isFinite(speedKmh) ? speedKmh : NaN });
  }
  out.sort((a, b) => a.t - b.t);
  // a speed the track did not carry is the one from the previous point
  for (let i = 0; i < out.length; i++) {
    if (!Number.isNaN(out[i].speedKmh)) continue;
    const prev = out[i - 1];
    out[i].speedKmh = prev && out[i].t > prev.t ? haversineM(prev, out[i]) / 1000 / ((out[i].t - prev.t) / 3_600_000) : 0;
  }
  return out;
}

export interface ReplayResult {
  arrivals: Arrival[];
  /** predicted − actual, minutes, per horizon */
  errorsMin: Record<number, number[]>;
  stats: Record<number, EtaErrorStats | undefined>;
}

const silent = pino({ level: 'silent' });
const noSink = { append: async (r: RecordInput) => ({ ...r, id: '', gatewayId: '', seq: 0, createdAt: '', clock: 'ntp' as const, bootId: '', monoMs: 0 }) };

/** The track through an ETA tracker (with `model`, else the tracker's own), on the track's clock. */
export async function replayEta(track: readonly TrackPoint[], tasks: readonly EtaTask[], options: { model?: EtaModel; eta?: EtaOptionsInput; device?: string } = {}): Promise<ReplayResult> {
  let now = track[0]?.t ?? 0;
  const kits = [...new Set(tasks.map((t) => t.kit))];
  const tracker = new EtaTracker({
    sink: noSink, log: silent, now: () => now, model: options.model, options: { evalEveryMs: 15_000, ...options.eta },
    tasksFor: (kit) => tasks.filter((t) => t.kit === kit),
  });
  for (const kit of kits) await tracker.tasksChanged(kit);
  for (const p of track) {
    now = p.t;
    const at = new Date(p.t).toISOString();
    for (const kit of kits) {
      await tracker.handle({
        deviceId: options.device ?? 'gps', kit, type: 'position', receivedAt: p.t,
        payload: { lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, fix: '3d', accuracyM: 5, at },
      } as Parameters<EtaTracker['handle']>[0]);
    }
  }
  await tracker.stop();
  const errorsMin: Record<number, number[]> = {};
  const stats: Record<number, EtaErrorStats | undefined> = {};
  for (const h of tracker.horizonsMin()) {
    errorsMin[h] = tracker.etaErrors(h);
    stats[h] = etaErrorStats(errorsMin[h]);
  }
  return { arrivals: tracker.arrivals(), errorsMin, stats };
}

/** where the track was at `t` (the last point at or before it) */
export function pointAt(track: readonly TrackPoint[], t: number): TrackPoint | undefined {
  let lo = 0;
  let hi = track.length - 1;
  if (hi < 0 || track[0].t > t) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (track[mid].t <= t) lo = mid;
    else hi = mid - 1;
  }
  return track[lo];
}

/** the naive ETA: from `from` through `stops` in order, straight lines at `speedKmh`, no dwell; ms */
export function naiveEtaMs(from: LatLon, at: number, stops: readonly LatLon[], speedKmh: number): number {
  let m = 0;
  let here = from;
  for (const s of stops) {
    m += haversineM(here, s);
    here = s;
  }
  return at + (m / 1000 / speedKmh) * 3_600_000;
}

/**
 * The naive ETA's errors on the same arrivals: for each arrival (all of the day's, so the
 * stops already reached are known; `measure` picks those measured), from where the van was
 * `horizonMin` before it, through the stops not yet reached (in sequence) up to it.
 * Minutes, predicted − actual.
 */
export function naiveEtaErrors(
  track: readonly TrackPoint[],
  tasks: readonly EtaTask[],
  arrivals: readonly Arrival[],
  options: { speedKmh: number; horizonMin: number; measure?: (a: Arrival) => boolean },
): number[] {
  const ordered = [...tasks].sort((a, b) => a.sequence - b.sequence);
  const arrivedAt = new Map(arrivals.map((a) => [a.taskId, Date.parse(a.arrivedAt)]));
  const out: number[] = [];
  for (const a of arrivals) {
    if (options.measure && !options.measure(a)) continue;
    const actual = Date.parse(a.arrivedAt);
    const at = actual - options.horizonMin * 60_000;
    const here = pointAt(track, at);
    if (!here) continue;
    const index = ordered.findIndex((t) => t.id === a.taskId);
    const before = ordered.slice(0, index + 1).filter((t) => t.id === a.taskId || (arrivedAt.get(t.id) ?? Infinity) > at);
    const eta = naiveEtaMs(here, at, before.map((t) => t.address), options.speedKmh);
    out.push((eta - actual) / 60_000);
  }
  return out;
}
