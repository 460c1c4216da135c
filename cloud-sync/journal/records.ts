/**
 * The journal's record format: the envelope every record is written in (and synced to
 * dispatch in), and the lane each kind travels in. Producers hand the journal a
 * RecordInput through the RecordSink port of rules/records.ts.
 */
import type { ClockQuality, RecordInput, RecordKind } from '../../rules/records.js';

/** live: sent first, coalesced; records: never dropped; bulk: thinned first under quota. */
export type Lane = 'live' | 'records' | 'bulk';

export const laneOf: Record<RecordKind, Lane> = {
  'pickup.completed': 'records',
  'pickup.exception': 'records',
  'pickup.closed': 'records',
  'locker.event': 'records',
  'locker.command': 'records',
  'consent.missing': 'records',
  'consent.given': 'records',
  // never coalesced (no key), so never dropped; live so a complaint reaches dispatch ahead of any backlog
  'customer.feedback': 'live',
  'clock.sync': 'records',
  'eta.update': 'live',
  'pickup.delay': 'live',
  'device.health': 'live',
  'task.accepted': 'live',
  'task.declined': 'live',
  'task.unacknowledged': 'live',
  'kit.workload': 'live',
  'position.track': 'bulk',
};

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
