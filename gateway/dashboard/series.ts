/**
 * The dashboard's chart series, kept server side in fixed rings of time buckets (default
 * 10 s each, one hour): verdicts by outcome, scan→verdict latency (p50 / p99 of a bounded
 * sample per bucket), journal backlog, records synced and payloads refused. Adding to a
 * bucket is O(1) and the memory is fixed, whatever the traffic; a browser that opens the
 * page gets the last hour at once (a ring in the browser would start empty at every
 * reload), and then the whole view again every few seconds while it changed.
 */

export interface SeriesView {
  /** bucket length, seconds; rates are per minute */
  bucketS: number;
  /** each bucket's start, seconds since epoch (wall clock) */
  t: number[];
  accepted: number[];
  review: number[];
  rejected: number[];
  /** scan→verdict, ms; null where no verdict */
  p50: (number | null)[];
  p99: (number | null)[];
  /** records waiting to be sent, last sample of the bucket */
  backlog: (number | null)[];
  /** records acknowledged by dispatch per minute */
  synced: (number | null)[];
  /** payloads refused at the bus edge per minute */
  refused: number[];
}

export interface SeriesOptions {
  bucketMs?: number;
  buckets?: number;
  /** latencies kept per bucket for its percentiles */
  samples?: number;
  random?: () => number;
}

interface Bucket {
  slot: number;
  accepted: number;
  review: number;
  rejected: number;
  refused: number;
  latencies: number[];
  seen: number;
  /** p50 / p99 once computed, until the next latency */
  pct: [number, number] | undefined;
  backlog: number | null;
  acked: number | null;
}

export class Series {
  private readonly bucketMs: number;
  private readonly ring: Bucket[];
  private readonly samples: number;
  private readonly random: () => number;
  private firstSlot: number | undefined;
  private newest: number | undefined;

  constructor(o: SeriesOptions = {}) {
    this.bucketMs = o.bucketMs ?? 10_000;
    this.samples = o.samples ?? 128;
    this.random = o.random ?? Math.random;
    this.ring = Array.from({ length: o.buckets ?? 360 }, () => blank(-1));
  }

  verdict(at: number, outcome: string, scanToVerdictMs: number | undefined): void {
    const b = this.bucket(at);
    if (outcome === 'accepted') b.accepted++;
    else if (outcome === 'needs-review') b.review++;
    else b.rejected++;
    if (scanToVerdictMs !== undefined && Number.isFinite(scanToVerdictMs) && scanToVerdictMs >= 0) {
      // reservoir sample: every latency of the bucket as likely to be kept
      b.seen++;
      if (b.latencies.length < this.samples) b.latencies.push(scanToVerdictMs);
      else {
        const j = Math.floor(this.random() * b.seen);
        if (j < this.samples) b.latencies[j] = scanToVerdictMs;
      }
      b.pct = undefined;
    }
  }

  refused(at: number): void {
    this.bucket(at).refused++;
  }

  /** the journal's backlog and its acknowledged count so far */
  journal(at: number, backlog: number, acked: number): void {
    const b = this.bucket(at);
    if (b.backlog === backlog && b.acked === acked) return;
    b.backlog = backlog;
    b.acked = acked;
  }

  view(now: number): SeriesView {
    const perMin = 60_000 / this.bucketMs;
    const v: SeriesView = { bucketS: this.bucketMs / 1000, t: [], accepted: [], review: [], rejected: [], p50: [], p99: [], backlog: [], synced: [], refused: [] };
    if (this.firstSlot === undefined) return v;
    const last = Math.floor(now / this.bucketMs);
    const first = Math.max(this.firstSlot, last - this.ring.length + 1);
    let prevAcked: number | null = null;
    for (let s = first; s <= last; s++) {
      const stored = this.ring[s % this.ring.length]!;
      const b = stored.slot === s ? stored : undefined;
      v.t.push((s * this.bucketMs) / 1000);
      v.accepted.push((b?.accepted ?? 0) * perMin);
      v.review.push((b?.review ?? 0) * perMin);
      v.rejected.push((b?.rejected ?? 0) * perMin);
      v.refused.push((b?.refused ?? 0) * perMin);
      const pct = b ? this.percentiles(b) : undefined;
      v.p50.push(pct ? pct[0] : null);
      v.p99.push(pct ? pct[1] : null);
      v.backlog.push(b?.backlog ?? null);
      const acked = b?.acked ?? null;
      v.synced.push(acked !== null && prevAcked !== null ? Math.max(0, acked - prevAcked) * perMin : acked !== null ? 0 : null);
      if (acked !== null) prevAcked = acked;
    }
    return v;
  }

  private percentiles(b: Bucket): [number, number] | undefined {
    if (b.latencies.length === 0) return undefined;
    if (!b.pct) {
      const sorted = [...b.latencies].sort((x, y) => x - y);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
      b.pct = [at(0.5), at(0.99)];
    }
    return b.pct;
  }

  private bucket(at: number): Bucket {
    const slot = Math.floor(at / this.bucketMs);
    // older than the ring: counted nowhere rather than over a newer bucket
    if (this.newest !== undefined && slot <= this.newest - this.ring.length) return blank(slot);
    if (this.newest === undefined || slot > this.newest) this.newest = slot;
    if (this.firstSlot === undefined || slot < this.firstSlot) this.firstSlot = slot;
    const i = slot % this.ring.length;
    let b = this.ring[i]!;
    if (b.slot !== slot) {
      b = blank(slot);
      this.ring[i] = b;
    }
    return b;
  }
}

function blank(slot: number): Bucket {
  return { slot, accepted: 0, review: 0, rejected: 0, refused: 0, latencies: [], seen: 0, pct: undefined, backlog: null, acked: null };
}
