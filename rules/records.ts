/**
 * The records the gateway keeps and syncs to dispatch, as their producers (the pipeline,
 * the task answers, the locker flows, ETA, clock, telemetry) hand them over, and the port they write through.
 * The journal (cloud-sync/journal) implements RecordSink and owns the written format.
 */
export type RecordKind =
  | 'pickup.completed'
  | 'pickup.exception'
  | 'pickup.closed'
  | 'pickup.delay'
  | 'eta.update'
  | 'locker.event'
  | 'locker.command'
  | 'consent.missing'
  | 'consent.given'
  | 'customer.feedback'
  | 'position.track'
  | 'device.health'
  | 'clock.sync'
  | 'task.accepted'
  | 'task.declined'
  | 'task.unacknowledged'
  | 'kit.workload';

export type ClockQuality = 'ntp' | 'gps' | 'unsynced';

/** What a producer hands the sink. */
export interface RecordInput {
  kind: RecordKind;
  /** the ordering stream: a kit id or a device id */
  stream: string;
  kit?: string;
  devices?: string[];
  /** live lane: a newer unsent record with the same key replaces the older one */
  coalesceKey?: string;
  body: Record<string, unknown>;
}

/** What a producer learns of a kept record. */
export interface KeptRecord {
  /** sortable unique id, the idempotency key at dispatch */
  id: string;
}

export class RecordRefusedError extends Error {
  override readonly name = 'RecordRefusedError';
  /** reason codes: 'DISK_FULL', 'QUOTA', 'CLOSED', 'IO' */
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

/** append resolves only once the record is durable; rejects with RecordRefusedError otherwise. */
export interface RecordSink {
  append(input: RecordInput): Promise<KeptRecord>;
}
