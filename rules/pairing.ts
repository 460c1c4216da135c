/**
 * Pairs each kit's scans with stable weights. A scan waits for its stable weight for the
 * window (default 30 s); a weight that came first is held: the scale's current stable
 * reading, not yet paired and not changed since, is the parcel's weight however long ago
 * it settled (a parcel put on the scale before the scan). The pair closes at once when its
 * second half arrives, so the verdict waits for nothing else.
 *
 * - a scan that finds no held weight waits, and `onWaiting` tells the kit so;
 * - a new stable weight before any scan replaces the older one (re-weigh);
 * - an unstable weight never completes a pair; it clears a held weight (the parcel moved);
 * - a scan with no stable weight in the window closes with no weight (or the last unstable
 *   one), which the rules turn into NO_WEIGHT / WEIGHT_UNSTABLE;
 * - a second scan of another code before a weight closes the first pair with no weight and
 *   starts a new one; the same code scanned again only restarts the window;
 * - a stable zero is the scale emptied: it completes nothing and re-arms the scale;
 * - once a weight completed a pair, the same reading repeated (a streaming scale) is not
 *   taken again until the scale moves, returns to zero or reads a different weight.
 */
import { monotonicFactory } from '../core/ids.js';
import { realTimers, type Timers } from '../core/timers.js';

export interface ReceivedScan {
  deviceId: string;
  code: string;
  symbology?: string;
  /** gateway receive time, ms since epoch */
  receivedAt: number;
  /** the device's own time (ISO 8601), when it sent one */
  deviceAt?: string;
}

export interface WeightRead {
  deviceId: string;
  grams: number;
  stable: boolean;
  status?: string;
  receivedAt: number;
  deviceAt?: string;
}

/** What closed the pair: its weight, its scan (weight first), the window, or a scan of another code. */
export type PairClose = 'weight' | 'scan' | 'timeout' | 'superseded';

export interface Pair {
  pairId: string;
  kit: string;
  scan: ReceivedScan;
  /** the stable weight; or the last unstable one when the window closed without a stable one */
  weight?: WeightRead;
  closedBy: PairClose;
  /** ms since epoch */
  closedAt: number;
  /** ms the scan waited for its weight (0 when the weight came first) */
  waitedMs: number;
}

/** A scan that found no weight and now waits for one. */
export interface PairWaiting {
  pairId: string;
  kit: string;
  scan: ReceivedScan;
  /** how long it waits, ms */
  windowMs: number;
}

export interface PairingOptions {
  onPair(pair: Pair): void;
  /** a scan waits for its weight (also when the same code scanned again restarts the wait) */
  onWaiting?(waiting: PairWaiting): void;
  windowMs?: number;
  /** a repeated stable reading within this many grams of the last paired one is the same parcel */
  sameParcelGrams?: number;
  timers?: Timers;
  now?: () => number;
  newId?: () => string;
}

interface Waiting {
  pairId: string;
  scan: ReceivedScan;
  /** when the wait began (the pairing clock) */
  since: number;
  timer: unknown;
  unstable?: WeightRead;
}

interface KitState {
  waiting?: Waiting;
  /** the scale's current stable weight, not yet paired */
  held?: WeightRead;
  /** grams of the weight that completed the last pair, until the scale re-arms */
  paired?: number;
}

const normalCode = (code: string): string => code.trim().toUpperCase().replace(/\s+/g, '');

export class Pairing {
  private readonly kits = new Map<string, KitState>();
  private readonly windowMs: number;
  private readonly sameParcelGrams: number;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly opts: PairingOptions) {
    this.windowMs = opts.windowMs ?? 30_000;
    this.sameParcelGrams = opts.sameParcelGrams ?? 5;
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? Date.now;
    const ulid = monotonicFactory();
    this.newId = opts.newId ?? (() => ulid(this.now()));
  }

  scan(kit: string, scan: ReceivedScan): void {
    const st = this.state(kit);
    const now = this.now();
    if (st.waiting) {
      if (normalCode(st.waiting.scan.code) === normalCode(scan.code)) {
        this.timers.clearTimeout(st.waiting.timer);
        st.waiting.scan = scan;
        st.waiting.since = now;
        st.waiting.timer = this.timers.setTimeout(() => this.expire(kit), this.windowMs);
        this.tellWaiting(kit, st.waiting);
        return;
      }
      this.close(kit, st, undefined, 'superseded');
    }
    const pairId = this.newId();
    if (st.held) {
      const weight = st.held;
      st.held = undefined;
      st.paired = weight.grams;
      this.emit({ pairId, kit, scan, weight, closedBy: 'scan', closedAt: now, waitedMs: 0 });
      return;
    }
    st.waiting = { pairId, scan, since: now, timer: this.timers.setTimeout(() => this.expire(kit), this.windowMs) };
    this.tellWaiting(kit, st.waiting);
  }

  weight(kit: string, weight: WeightRead): void {
    const st = this.state(kit);
    if (!weight.stable) {
      st.held = undefined;
      st.paired = undefined;
      if (st.waiting) st.waiting.unstable = weight;
      return;
    }
    if (weight.grams === 0 || weight.status === 'zero') {
      st.held = undefined;
      st.paired = undefined;
      return;
    }
    if (st.paired !== undefined && Math.abs(weight.grams - st.paired) <= this.sameParcelGrams) return;
    st.paired = undefined;
    if (st.waiting) {
      st.paired = weight.grams;
      this.close(kit, st, weight, 'weight');
      return;
    }
    // the same reading streamed again is the same parcel: it keeps the time it settled
    if (st.held && Math.abs(weight.grams - st.held.grams) <= this.sameParcelGrams) return;
    st.held = weight;
  }

  /** The kit has a scan waiting for its weight. */
  waiting(kit: string): boolean {
    return this.kits.get(kit)?.waiting !== undefined;
  }

  /** Drops every open pair and timer (no pair is emitted). */
  stop(): void {
    for (const st of this.kits.values()) if (st.waiting) this.timers.clearTimeout(st.waiting.timer);
    this.kits.clear();
  }

  private expire(kit: string): void {
    const st = this.kits.get(kit);
    if (!st?.waiting) return;
    this.close(kit, st, st.waiting.unstable, 'timeout');
  }

  private close(kit: string, st: KitState, weight: WeightRead | undefined, closedBy: PairClose): void {
    const w = st.waiting;
    if (!w) return;
    this.timers.clearTimeout(w.timer);
    st.waiting = undefined;
    const closedAt = this.now();
    this.emit({ pairId: w.pairId, kit, scan: w.scan, weight: weight ?? (closedBy === 'superseded' ? w.unstable : undefined), closedBy, closedAt, waitedMs: Math.max(0, closedAt - w.since) });
  }

  private tellWaiting(kit: string, w: Waiting): void {
    this.opts.onWaiting?.({ pairId: w.pairId, kit, scan: w.scan, windowMs: this.windowMs });
  }

  private emit(pair: Pair): void {
    this.opts.onPair(pair);
  }

  private state(kit: string): KitState {
    let st = this.kits.get(kit);
    if (!st) {
      st = {};
      this.kits.set(kit, st);
    }
    return st;
  }
}
