/**
 * Which positions may feed the ETA: no invalid fixes, no 0/0, no duplicates, no times in
 * the future or stale, no jumps faster than a van drives, no poor accuracy.
 * One filter a kit; it remembers the last accepted fix.
 */
import type { EventPayload } from '../devices/events.js';
import { haversineM } from '../core/geo.js';

export type PositionRejectReason =
  | 'no-fix'
  | 'null-island'
  | 'poor-accuracy'
  | 'bad-time'
  | 'future'
  | 'stale'
  | 'duplicate'
  | 'out-of-order'
  | 'speed-jump';

export const positionRejectReasons: readonly PositionRejectReason[] = [
  'no-fix',
  'null-island',
  'poor-accuracy',
  'bad-time',
  'future',
  'stale',
  'duplicate',
  'out-of-order',
  'speed-jump',
];

export interface PositionFilterOptions {
  /** accuracyM above this is refused */
  maxAccuracyM: number;
  /** HDOP (extra payload field `hdop`) above this is refused */
  maxHdop: number;
  /** fewer satellites (extra payload field `satellites`) than this is refused */
  minSatellites: number;
  /** a fix time more than this ahead of now is refused */
  futureMs: number;
  /** a fix older than this is refused */
  staleMs: number;
  /** implied speed from the last accepted fix above this is a jump */
  maxSpeedKmh: number;
  /** after this many jumps in a row the new place is believed (the old anchor was wrong) */
  reanchorAfter: number;
}

export const defaultPositionFilterOptions: PositionFilterOptions = {
  maxAccuracyM: 100,
  maxHdop: 5,
  minSatellites: 4,
  futureMs: 2000,
  staleMs: 30_000,
  maxSpeedKmh: 200,
  reanchorAfter: 3,
};

/** An accepted position on the gateway's (system clock) timeline. */
export interface Fix {
  lat: number;
  lon: number;
  /** system-clock ms of the fix */
  t: number;
  /** reported by the device, else derived from the previous fix */
  speedKmh: number;
}

export type FilterResult = { ok: true; fix: Fix } | { ok: false; reason: PositionRejectReason };

export type PositionPayload = EventPayload<'position'>;

interface Last extends Fix {
  /** device time (ms) when the payload had `at` */
  deviceT: number | undefined;
}

export class EtaPositionFilter {
  private last: Last | undefined;
  private jumps = 0;

  constructor(private readonly opts: PositionFilterOptions = defaultPositionFilterOptions) {}

  /**
   * @param receivedAt gateway receive time (system ms)
   * @param now system ms
   * @param offsetMs system − GPS when known (0 when the system clock is synchronised)
   */
  check(p: PositionPayload, receivedAt: number, now: number, offsetMs: number | undefined): FilterResult {
    const o = this.opts;
    if (p.fix === 'none') return reject('no-fix');
    if (Math.abs(p.lat) < 1e-6 && Math.abs(p.lon) < 1e-6) return reject('null-island');
    if (p.accuracyM !== undefined && p.accuracyM > o.maxAccuracyM) return reject('poor-accuracy');
    const hdop = p.hdop;
    if (typeof hdop === 'number' && hdop > o.maxHdop) return reject('poor-accuracy');
    const sats = p.satellites;
    if (typeof sats === 'number' && sats < o.minSatellites) return reject('poor-accuracy');

    let deviceT: number | undefined;
    let t = receivedAt;
    if (p.at !== undefined) {
      deviceT = Date.parse(p.at);
      if (!Number.isFinite(deviceT)) return reject('bad-time');
      if (offsetMs !== undefined) t = deviceT + offsetMs;
    }
    // with an unsynchronised clock and no known offset, the device time cannot be judged
    const judgeable = p.at === undefined || offsetMs !== undefined;
    if (judgeable) {
      if (t - now > o.futureMs) return reject('future');
      if (now - t > o.staleMs) return reject('stale');
    }

    const last = this.last;
    if (last) {
      if (deviceT !== undefined && last.deviceT !== undefined) {
        if (deviceT === last.deviceT) return reject('duplicate');
        if (deviceT < last.deviceT) return reject('out-of-order');
      } else if (t === last.t && p.lat === last.lat && p.lon === last.lon) {
        return reject('duplicate');
      }
      if (t < last.t) return reject('out-of-order');
    }

    let speedKmh = p.speedKmh ?? 0;
    if (last) {
      const dtS = Math.max(1, (t - last.t) / 1000);
      const implied = (haversineM(last, p) / dtS) * 3.6;
      if (implied > o.maxSpeedKmh) {
        this.jumps += 1;
        if (this.jumps < o.reanchorAfter) return reject('speed-jump');
        speedKmh = p.speedKmh ?? last.speedKmh;
      } else if (p.speedKmh === undefined) {
        speedKmh = t - last.t >= 1000 ? implied : last.speedKmh;
      }
    }
    this.jumps = 0;
    const fix: Fix = { lat: p.lat, lon: p.lon, t, speedKmh };
    this.last = { ...fix, deviceT };
    return { ok: true, fix };
  }

  lastFix(): Fix | undefined {
    return this.last ? { lat: this.last.lat, lon: this.last.lon, t: this.last.t, speedKmh: this.last.speedKmh } : undefined;
  }
}

function reject(reason: PositionRejectReason): FilterResult {
  return { ok: false, reason };
}
