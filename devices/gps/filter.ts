/**
 * Which GPS fixes the gateway trusts, and how often it reports them. Pure: the state is
 * the last accepted fix; the time comes in as an argument.
 */
import type { FixKind } from './nmea.js';
import { haversineM } from '../../core/geo.js';

export interface PositionSample {
  lat: number | undefined;
  lon: number | undefined;
  fix: FixKind;
  /** GPS time of the fix, ms since epoch, when the unit gave a date and time */
  timeMs?: number;
  speedKmh?: number;
  hdop?: number;
}

export type RejectReason = 'no-fix' | 'null-island' | 'out-of-range' | 'duplicate' | 'future' | 'stale' | 'speed-jump' | 'poor-hdop';

export type FilterVerdict = { ok: true } | { ok: false; reason: RejectReason; detail: string };

export interface FilterOptions {
  /** fixes with a larger HDOP are dropped; default 5 */
  maxHdop?: number;
  /** a jump from the last accepted fix faster than this is dropped; default 250 km/h */
  maxSpeedKmh?: number;
  /** GPS time further ahead of the gateway clock is 'future'; default 5 s */
  maxFutureMs?: number;
  /** GPS time further behind the gateway clock is 'stale'; default 60 s */
  maxAgeMs?: number;
  /** compare GPS time with the gateway clock (turn off while the clock is not trusted); default true */
  checkClock?: boolean;
  /** after this many speed jumps in a row the new place is taken as true (the anchor was wrong); default 3 */
  reanchorAfter?: number;
}

interface Anchor {
  lat: number;
  lon: number;
  timeMs: number | undefined;
  receivedMs: number;
}

export class PositionFilter {
  private last: Anchor | undefined;
  private jumps = 0;
  private readonly o: Required<FilterOptions>;

  constructor(options: FilterOptions = {}) {
    this.o = {
      maxHdop: options.maxHdop ?? 5,
      maxSpeedKmh: options.maxSpeedKmh ?? 250,
      maxFutureMs: options.maxFutureMs ?? 5_000,
      maxAgeMs: options.maxAgeMs ?? 60_000,
      checkClock: options.checkClock ?? true,
      reanchorAfter: options.reanchorAfter ?? 3,
    };
  }

  /** Judges a fix received at nowMs; an accepted fix becomes the anchor for the next. */
  check(s: PositionSample, nowMs: number): FilterVerdict {
    const reject = (reason: RejectReason, detail: string): FilterVerdict => ({ ok: false, reason, detail });
    if (s.fix === 'none' || s.lat === undefined || s.lon === undefined) return reject('no-fix', 'the unit reports no fix');
    if (Math.abs(s.lat) > 90 || Math.abs(s.lon) > 180) return reject('out-of-range', `${s.lat}, ${s.lon}`);
    if (Math.abs(s.lat) < 1e-6 && Math.abs(s.lon) < 1e-6) return reject('null-island', '0, 0 is an empty position');
    if (s.hdop !== undefined && s.hdop > this.o.maxHdop) return reject('poor-hdop', `HDOP ${s.hdop} > ${this.o.maxHdop}`);
    const last = this.last;
    if (s.timeMs !== undefined) {
      if (this.o.checkClock && s.timeMs > nowMs + this.o.maxFutureMs) return reject('future', `${s.timeMs - nowMs} ms ahead of the gateway clock`);
      if (this.o.checkClock && s.timeMs < nowMs - this.o.maxAgeMs) return reject('stale', `${nowMs - s.timeMs} ms old`);
      if (last?.timeMs !== undefined && s.timeMs === last.timeMs) return reject('duplicate', 'same GPS time as the last fix');
      if (last?.timeMs !== undefined && s.timeMs < last.timeMs) return reject('stale', 'older than the last accepted fix');
    } else if (last && last.receivedMs === nowMs && last.lat === s.lat && last.lon === s.lon) {
      return reject('duplicate', 'same position at the same time');
    }
    if (last) {
      const dtMs = s.timeMs !== undefined && last.timeMs !== undefined ? s.timeMs - last.timeMs : nowMs - last.receivedMs;
      const kmh = (haversineM(last, { lat: s.lat, lon: s.lon }) / Math.max(dtMs, 1)) * 3600;
      if (kmh > this.o.maxSpeedKmh) {
        this.jumps += 1;
        if (this.jumps < this.o.reanchorAfter) return reject('speed-jump', `${Math.round(kmh)} km/h from the last fix`);
      }
    }
    this.jumps = 0;
    this.last = { lat: s.lat, lon: s.lon, timeMs: s.timeMs, receivedMs: nowMs };
    return { ok: true };
  }
}

export interface RateOptions {
  /** events per second while moving; default 1 */
  movingHz?: number;
  /** events per second while still; default 0.1 */
  stillHz?: number;
  /** below this speed the unit counts as still; default 3 km/h */
  stillBelowKmh?: number;
  /** an event this much early still counts as on time (1 Hz sentences jitter); default 100 ms */
  toleranceMs?: number;
}

/** How often accepted fixes become events: every second while moving, every ten while still. */
export class RatePolicy {
  private lastEmitMs: number | undefined;
  private wasMoving = false;
  private readonly movingMs: number;
  private readonly stillMs: number;
  private readonly stillBelow: number;
  private readonly tolerance: number;

  constructor(options: RateOptions = {}) {
    this.movingMs = 1000 / (options.movingHz ?? 1);
    this.stillMs = 1000 / (options.stillHz ?? 0.1);
    this.stillBelow = options.stillBelowKmh ?? 3;
    this.tolerance = options.toleranceMs ?? 100;
  }

  /** True when an accepted fix at nowMs should be emitted; remembers the emission. Unknown speed counts as moving. */
  shouldEmit(speedKmh: number | undefined, nowMs: number): boolean {
    const moving = speedKmh === undefined || speedKmh >= this.stillBelow;
    const startedMoving = moving && !this.wasMoving;
    this.wasMoving = moving;
    const interval = moving ? this.movingMs : this.stillMs;
    const due = this.lastEmitMs === undefined || startedMoving || nowMs - this.lastEmitMs + this.tolerance >= interval;
    if (due) this.lastEmitMs = nowMs;
    return due;
  }
}
