/**
 * An Outbox kept in memory: the same contract as the disk journal (lanes, send order,
 * coalescing in the live lane, ack / reject, stats) without durability. Sync transports
 * are tested on it; a gateway started without a journal directory may run on it too.
 */
import { EventEmitter } from 'node:events';
import { monotonicFactory } from '../core/ids.js';
import type { Outbox, OutboxStats } from './outbox.js';
import { RecordRefusedError, type ClockQuality, type RecordInput } from '../rules/records.js';
import { laneOf, type Lane, type RecordEnvelope } from './journal/records.js';

export interface MemoryOutboxOptions {
  gatewayId: string;
  /** identifies this process run; a fresh random id by default */
  bootId?: string;
  /** clock quality stamped on each record */
  clock?: () => ClockQuality;
  /** wall clock in ms (records' createdAt, oldest-unsent age) */
  now?: () => number;
  /** monotonic ms since boot */
  monoNow?: () => number;
  /** record id factory; sortable ULIDs by default */
  newId?: () => string;
}

export interface MemoryOutboxStats extends OutboxStats {
  /** live records replaced by a newer one with the same coalesceKey before being acked */
  coalesced: number;
  /** rejected records kept as dead letters */
  deadLetters: number;
}

export interface DeadLetter {
  record: RecordEnvelope;
  reason: string;
  rejectedAt: string;
}

const LANES: readonly Lane[] = ['live', 'records', 'bulk'];

interface Pending {
  record: RecordEnvelope;
  bytes: number;
  appendedAt: number;
}

export class MemoryOutbox extends EventEmitter implements Outbox {
  private readonly lanes: Record<Lane, Map<string, Pending>> = {
    live: new Map(),
    records: new Map(),
    bulk: new Map(),
  };
  private readonly seqs = new Map<string, number>();
  private readonly dead: DeadLetter[] = [];
  private readonly counts = { appended: 0, acked: 0, rejected: 0, coalesced: 0 };
  private readonly bootId: string;
  private readonly now: () => number;
  private readonly monoNow: () => number;
  private readonly newId: () => string;
  private readonly clock: () => ClockQuality;
  private closed = false;

  constructor(private readonly opts: MemoryOutboxOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.monoNow = opts.monoNow ?? (() => Math.round(performance.now()));
    this.newId = opts.newId ?? monotonicFactory();
    this.clock = opts.clock ?? (() => 'unsynced');
    this.bootId = opts.bootId ?? monotonicFactory()();
  }

  async append(input: RecordInput): Promise<RecordEnvelope> {
    if (this.closed) throw new RecordRefusedError('CLOSED', 'outbox is closed');
    const lane = laneOf[input.kind];
    if (lane === undefined) throw new RecordRefusedError('IO', `unknown record kind ${String(input.kind)}`);
    const seq = (this.seqs.get(input.stream) ?? 0) + 1;
    this.seqs.set(input.stream, seq);
    const at = this.now();
    const record: RecordEnvelope = {
      ...structuredClone(input),
      id: this.newId(),
      gatewayId: this.opts.gatewayId,
      seq,
      createdAt: new Date(at).toISOString(),
      clock: this.clock(),
      bootId: this.bootId,
      monoMs: this.monoNow(),
    };
    Object.freeze(record);
    if (lane === 'live' && input.coalesceKey !== undefined) this.coalesce(input.coalesceKey);
    // a record's JSON and one separator: a batch of them fits maxBytes as a JSON array
    const bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
    this.lanes[lane].set(record.id, { record, bytes, appendedAt: at });
    this.counts.appended++;
    this.emit('appended', record);
    return record;
  }

  async next(maxCount: number, maxBytes: number): Promise<RecordEnvelope[]> {
    const out: RecordEnvelope[] = [];
    let bytes = 0;
    for (const lane of LANES) {
      for (const p of this.lanes[lane].values()) {
        if (out.length >= maxCount) return out;
        // always hand out at least one record, or an oversized one would block the rest
        if (out.length > 0 && bytes + p.bytes > maxBytes) return out;
        out.push(p.record);
        bytes += p.bytes;
      }
    }
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      if (this.remove(id) !== undefined) this.counts.acked++;
    }
  }

  async reject(items: readonly { id: string; reason: string }[]): Promise<void> {
    const rejectedAt = new Date(this.now()).toISOString();
    let n = 0;
    for (const { id, reason } of items) {
      const p = this.remove(id);
      if (p === undefined) continue;
      this.dead.push({ record: p.record, reason, rejectedAt });
      this.counts.rejected++;
      n++;
    }
    if (n > 0) this.emit('alarm', { kind: 'rejected', message: `${n} record(s) rejected by dispatch, moved to dead letters` });
  }

  stats(): MemoryOutboxStats {
    const depth = { live: 0, records: 0, bulk: 0 } as Record<Lane, number>;
    let bytes = 0;
    let oldest = Infinity;
    for (const lane of LANES) {
      depth[lane] = this.lanes[lane].size;
      for (const p of this.lanes[lane].values()) {
        bytes += p.bytes;
        if (p.appendedAt < oldest) oldest = p.appendedAt;
      }
    }
    return {
      depth,
      bytesOnDisk: bytes,
      oldestUnsentMs: oldest === Infinity ? 0 : Math.max(0, this.now() - oldest),
      appended: this.counts.appended,
      acked: this.counts.acked,
      rejected: this.counts.rejected,
      thinned: 0,
      coalesced: this.counts.coalesced,
      deadLetters: this.dead.length,
    };
  }

  /** the records dispatch refused, oldest first */
  deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private coalesce(key: string): void {
    for (const [id, p] of this.lanes.live) {
      if (p.record.coalesceKey === key) {
        this.lanes.live.delete(id);
        this.counts.coalesced++;
      }
    }
  }

  private remove(id: string): Pending | undefined {
    for (const lane of LANES) {
      const p = this.lanes[lane].get(id);
      if (p !== undefined) {
        this.lanes[lane].delete(id);
        return p;
      }
    }
    return undefined;
  }
}
