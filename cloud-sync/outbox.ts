/**
 * The outbox seam between the journal (what is kept) and the sync transports (what is
 * sent). The disk journal implements it; tests may run sync logic on a memory one.
 */
import type { EventEmitter } from 'node:events';
import type { RecordSink } from '../rules/records.js';
import type { Lane, RecordEnvelope } from './journal/records.js';

export interface OutboxStats {
  /** unacknowledged records per lane */
  depth: Record<Lane, number>;
  bytesOnDisk: number;
  /** age in ms of the oldest unacknowledged record, 0 when empty */
  oldestUnsentMs: number;
  appended: number;
  acked: number;
  rejected: number;
  /** bulk records dropped by the quota policy */
  thinned: number;
}

/**
 * Events: 'appended' (a record is durable and waiting), 'alarm' ({ kind, message }).
 */
export interface Outbox extends RecordSink, EventEmitter {
  /**
   * Up to `maxCount` records (and about `maxBytes` of JSON) not yet acknowledged, in send
   * order: the live lane first, then records, then bulk; within a stream by seq.
   * Records handed out and neither acked nor rejected come back in a later call.
   */
  next(maxCount: number, maxBytes: number): Promise<RecordEnvelope[]>;
  /** dispatch has these ids: they are never sent again */
  ack(ids: readonly string[]): Promise<void>;
  /** dispatch refused these for good: moved to the dead-letter file, never retried on their own */
  reject(items: readonly { id: string; reason: string }[]): Promise<void>;
  stats(): OutboxStats;
  close(): Promise<void>;
}
