/**
 * The records the gateway keeps and syncs to dispatch, and the sink that takes them.
 * The journal of cloud-sync/ implements RecordSink; the pipeline only ever appends.
 */
export type RecordKind =
  | 'pickup.completed'
  | 'pickup.exception'
  | 'eta.update'
  | 'locker.event'
  | 'position.track'
  | 'device.health'
  | 'clock.sync';

/** live: sent first, coalesced; records: never dropped; bulk: thinned first under quota. */
export type Lane = 'live' | 'records' | 'bulk';

export const laneOf: Record<RecordKind, Lane> = {
  'pickup.completed': 'records',
  'pickup.exception': 'records',
  'locker.event': 'records',
  'clock.sync': 'records',
  'eta.update': 'live',
  'device.health': 'live',
  'position.track': 'bulk',
};

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

/** A record as written: never changed once written. */
export interface RecordEnvelope extends RecordInput {
  /** sortable unique id, the idempotency key at dispatch */
  id: string;
  gatewayId: string;
  /** per stream, gapless, from 1 */
  seq: number;
  createdAt: string;
  clock: ClockQuality;
  bootId: string;
  /** monotonic ms since boot of the process that wrote it */
  monoMs: number;
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
  append(input: RecordInput): Promise<RecordEnvelope>;
}
