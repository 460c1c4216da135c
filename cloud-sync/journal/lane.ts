/**
 * In-memory bookkeeping of one lane (no I/O): its segments, the cursor of the oldest
 * unacknowledged record, and a bounded window of the records at the head of the lane.
 *
 * Memory stays bounded: the window holds at most `windowCap` records appended while the
 * reader is caught up, plus what `next()` asked for; records beyond it stay on disk and are
 * read again lazily from `readPos`. Per segment only counters are kept, never an index of
 * its records.
 */
import type { Lane, RecordEnvelope } from './records.js';

export interface Position {
  seg: number;
  offset: number;
}

export interface SegmentMeta {
  n: number;
  /** bytes known durable */
  size: number;
  records: number;
  /** records neither acknowledged, rejected, superseded nor thinned */
  pending: number;
  firstCreatedAtMs: number | null;
  /** every record of the segment is counted in `records` (it was not opened part-way, at a cursor) */
  whole: boolean;
}

/** an id acknowledged ahead of the cursor and the segment holding it (-1: not known) */
export interface AckedAhead {
  id: string;
  seg: number;
}

/** what the lane knows of one record without its body */
export interface RecordRef {
  id: string;
  seg: number;
  offset: number;
  /** frame bytes on disk */
  size: number;
  /** JSON bytes */
  payloadBytes: number;
  createdAtMs: number;
  coalesceKey: string | undefined;
}

interface WindowEntry extends RecordRef {
  env: RecordEnvelope | null;
  done: boolean;
}

/** the newest record of a coalescing key; `counted` when it is pending and outside the window */
interface KeyHolder {
  id: string;
  seg: number;
  counted: boolean;
}

export class LaneQueue {
  readonly segments: SegmentMeta[] = [];
  /** where the next record not yet in the window starts */
  readPos: Position;
  /** pending records */
  depth = 0;
  /** records superseded by a newer one with the same coalescing key */
  superseded = 0;
  /** ids acknowledged in an earlier run that lie beyond the window, with their segment: skipped when read */
  readonly doneAhead = new Map<string, number>();
  private window: WindowEntry[] = [];
  private head = 0;
  private readonly index = new Map<string, WindowEntry>();
  private readonly latestByKey = new Map<string, KeyHolder>();

  constructor(
    readonly lane: Lane,
    private readonly windowCap: number,
    start: Position,
  ) {
    this.readPos = start;
  }

  segment(n: number): SegmentMeta | undefined {
    return this.segments.find((s) => s.n === n);
  }

  /** a segment whose records are admitted next, from byte `size` on */
  addSegment(n: number, size = 0): SegmentMeta {
    const last = this.segments.at(-1);
    if (last && last.n >= n) throw new Error(`segment ${n} added after ${last.n}`);
    const meta: SegmentMeta = { n, size, records: 0, pending: 0, firstCreatedAtMs: null, whole: size === 0 };
    this.segments.push(meta);
    return meta;
  }

  /**
   * A segment known from its summary, beyond the read position: its records stay on disk
   * (read lazily when the window reaches them); those acknowledged ahead are not pending.
   */
  addSummarized(n: number, summary: { size: number; records: number; firstCreatedAtMs: number | null }): SegmentMeta {
    const meta = this.addSegment(n, summary.size);
    let done = 0;
    for (const seg of this.doneAhead.values()) if (seg === n) done += 1;
    meta.records = summary.records;
    meta.pending = summary.records - done;
    meta.firstCreatedAtMs = summary.firstCreatedAtMs;
    meta.whole = true;
    this.depth += meta.pending;
    return meta;
  }

  /** whether every id acknowledged ahead has a known segment (a summary's pending count can be trusted) */
  knowsAckedAheadSegments(): boolean {
    for (const seg of this.doneAhead.values()) if (seg < 0) return false;
    return true;
  }

  bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /** the same place, moved past ends of segments and missing segments */
  normalize(pos: Position): Position {
    let i = this.segments.findIndex((s) => s.n >= pos.seg);
    if (i < 0) return pos;
    let p = this.segments[i].n > pos.seg ? { seg: this.segments[i].n, offset: 0 } : pos;
    while (i < this.segments.length - 1 && p.offset >= this.segments[i].size) {
      i += 1;
      p = { seg: this.segments[i].n, offset: 0 };
    }
    return p;
  }

  /** durable records not yet read into the window */
  hasUnread(): boolean {
    const last = this.segments.at(-1);
    if (!last) return false;
    const p = this.normalize(this.readPos);
    return p.seg < last.n || (p.seg === last.n && p.offset < last.size);
  }

  private isNext(ref: RecordRef): boolean {
    const p = this.normalize(this.readPos);
    return p.seg === ref.seg && p.offset === ref.offset;
  }

  /** where acknowledged records end: everything before it is done */
  frontier(): Position {
    const first = this.window[this.head];
    return first ? { seg: first.seg, offset: first.offset } : this.normalize(this.readPos);
  }

  /**
   * A record that is on disk: appended now, or met while replaying. The caller has already
   * added its segment. `done` marks a record acknowledged in an earlier run.
   */
  admit(ref: RecordRef, loadEnv: () => RecordEnvelope, done: boolean): void {
    const seg = this.segment(ref.seg);
    if (!seg) throw new Error(`record ${ref.id} in unknown segment ${ref.seg}`);
    seg.size = Math.max(seg.size, ref.offset + ref.size);
    seg.records += 1;
    seg.firstCreatedAtMs ??= ref.createdAtMs;
    if (!done) {
      this.depth += 1;
      seg.pending += 1;
    }
    const key = this.lane === 'live' ? ref.coalesceKey : undefined;
    if (key !== undefined) this.supersede(key);
    const follow = this.isNext(ref) && (done || this.live() < this.windowCap);
    if (follow) {
      if (!done) this.push(ref, loadEnv(), false);
      else if (this.live() > 0) this.push(ref, null, true);
      this.readPos = { seg: ref.seg, offset: ref.offset + ref.size };
      if (done) this.doneAhead.delete(ref.id);
    }
    if (key !== undefined) this.latestByKey.set(key, { id: ref.id, seg: ref.seg, counted: !done && !follow });
    this.popDone();
  }

  /** a record read lazily from disk at `readPos` */
  offerRead(ref: RecordRef, loadEnv: () => RecordEnvelope): void {
    const key = this.lane === 'live' ? ref.coalesceKey : undefined;
    if (this.doneAhead.delete(ref.id)) {
      if (this.live() > 0) this.push(ref, null, true);
    } else if (key === undefined || this.latestByKey.get(key)?.id === ref.id) {
      this.push(ref, loadEnv(), false);
    }
    this.readPos = { seg: ref.seg, offset: ref.offset + ref.size };
    this.popDone();
  }

  private live(): number {
    return this.window.length - this.head;
  }

  private push(ref: RecordRef, env: RecordEnvelope | null, done: boolean): void {
    const entry: WindowEntry = { ...ref, env, done };
    this.window.push(entry);
    this.index.set(ref.id, entry);
  }

  private supersede(key: string): void {
    const prev = this.latestByKey.get(key);
    if (!prev) return;
    const entry = this.index.get(prev.id);
    if (entry) {
      if (!entry.done) {
        this.markDone(entry);
        this.superseded += 1;
      }
    } else if (prev.counted) {
      this.depth -= 1;
      const seg = this.segment(prev.seg);
      if (seg) seg.pending -= 1;
      this.superseded += 1;
    }
  }

  private markDone(entry: WindowEntry): void {
    entry.done = true;
    entry.env = null;
    this.depth -= 1;
    const seg = this.segment(entry.seg);
    if (seg) seg.pending -= 1;
  }

  /** marks a pending window record done (acknowledged or rejected); its envelope, or null when unknown or already done */
  complete(id: string): RecordEnvelope | null {
    const entry = this.index.get(id);
    if (!entry || entry.done || !entry.env) return null;
    const env = entry.env;
    this.markDone(entry);
    return env;
  }

  /** the envelope of a pending window record */
  peek(id: string): RecordEnvelope | null {
    const entry = this.index.get(id);
    return entry && !entry.done ? entry.env : null;
  }

  holds(id: string): boolean {
    const entry = this.index.get(id);
    return entry !== undefined && !entry.done;
  }

  popDone(): void {
    while (this.head < this.window.length && this.window[this.head].done) {
      const entry = this.window[this.head];
      this.head += 1;
      this.index.delete(entry.id);
      if (entry.coalesceKey !== undefined && this.latestByKey.get(entry.coalesceKey)?.id === entry.id) {
        this.latestByKey.delete(entry.coalesceKey);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.window.length) {
      this.window = this.window.slice(this.head);
      this.head = 0;
    }
  }

  /** pending records of the window, in order */
  *pending(): Generator<{ env: RecordEnvelope; payloadBytes: number }> {
    for (let i = this.head; i < this.window.length; i += 1) {
      const entry = this.window[i];
      if (!entry.done && entry.env) yield { env: entry.env, payloadBytes: entry.payloadBytes };
    }
  }

  /** removes a segment and every record in it (thinning, quarantine); its meta, or undefined */
  dropSegment(n: number): SegmentMeta | undefined {
    const i = this.segments.findIndex((s) => s.n === n);
    if (i < 0) return undefined;
    const [seg] = this.segments.splice(i, 1);
    const kept: WindowEntry[] = [];
    for (let k = this.head; k < this.window.length; k += 1) {
      const entry = this.window[k];
      if (entry.seg === n) this.index.delete(entry.id);
      else kept.push(entry);
    }
    this.window = kept;
    this.head = 0;
    for (const [key, holder] of this.latestByKey) if (holder.seg === n) this.latestByKey.delete(key);
    this.depth -= seg.pending;
    if (this.readPos.seg === n) this.readPos = { seg: n + 1, offset: 0 };
    this.popDone();
    return seg;
  }

  /** segments wholly before the frontier (never the last one): removed from the lane and returned */
  takeAcknowledgedSegments(): SegmentMeta[] {
    const frontier = this.frontier();
    const out: SegmentMeta[] = [];
    while (this.segments.length > 1 && this.segments[0].n < frontier.seg) out.push(this.segments.shift() as SegmentMeta);
    return out;
  }

  /** creation time of the oldest pending record, null when none (from the segment when beyond the window) */
  oldestCreatedAtMs(): number | null {
    for (let i = this.head; i < this.window.length; i += 1) if (!this.window[i].done) return this.window[i].createdAtMs;
    if (this.depth <= 0) return null;
    const from = this.normalize(this.readPos).seg;
    const seg = this.segments.find((s) => s.n >= from && s.pending > 0);
    return seg?.firstCreatedAtMs ?? null;
  }

  /** ids done beyond the frontier, with their segments: to persist with the cursor */
  ackedAhead(): AckedAhead[] {
    const out: AckedAhead[] = [];
    for (const [id, seg] of this.doneAhead) out.push({ id, seg });
    for (let i = this.head; i < this.window.length; i += 1) if (this.window[i].done) out.push({ id: this.window[i].id, seg: this.window[i].seg });
    return out;
  }
}
