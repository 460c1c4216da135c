/**
 * After a crash: the marks the task store may have lost, read back from the records still in
 * the journal. A record is written before its mark (a pickup before its pickup mark, an
 * answer before its answer mark, a stop's exception or close before its line), so a crash
 * between the two leaves a record without its mark; the task store adds what it lacks.
 * Only the newest records matter (only the last moments before a crash can have lost a
 * mark), so a bounded tail of each kind is kept.
 */
import { z } from 'zod';
import type { RecordInput } from './records.js';
import type { CloseReason, PickupMark, StopClose, TaskExceptionMark, TaskResponseMark } from './tasks.js';
import { closeReasons } from './tasks.js';

/** A record as the journal replays it: what was handed over, its id and its time. */
export type ReplayedRecord = RecordInput & { id: string; createdAt: string };

const pickupBody = z.object({
  waybill: z.string().min(1),
  taskId: z.string().nullish(),
  verdictId: z.string().nullish(),
  receipt: z.string().nullish(),
});

const answerBody = z.object({
  taskId: z.string().min(1),
  response: z.enum(['accepted', 'declined']),
  reason: z.string().optional(),
  device: z.string().optional(),
  assignedAt: z.string(),
  answeredAt: z.string(),
});

const stopBody = z.object({
  taskId: z.string().min(1),
  reason: z.string().min(1),
  receivedAt: z.string(),
  pieces: z.object({ done: z.number() }).passthrough().optional(),
});

/** An answer the journal kept: for the assignment made at `assignedAt`. */
export interface ReplayedAnswer {
  taskId: string;
  assignedAt: number;
  mark: TaskResponseMark;
}

/** An exception at a stop, or a stop closed (short, beyond, or done). */
export type ReplayedStop = { taskId: string; close: StopClose } | { taskId: string; exception: TaskExceptionMark };

/** The pickup a `pickup.completed` record tells of; undefined for any other record. */
export function pickupMarkOf(record: ReplayedRecord): PickupMark | undefined {
  if (record.kind !== 'pickup.completed') return undefined;
  const body = pickupBody.safeParse(record.body);
  if (!body.success) return undefined;
  const b = body.data;
  return { waybill: b.waybill, kit: record.kit ?? record.stream, taskId: b.taskId ?? undefined, verdictId: b.verdictId ?? record.id, receipt: b.receipt ?? '', at: Date.parse(record.createdAt) };
}

/** The answer a `task.accepted` / `task.declined` record tells of; undefined for any other record. */
export function answerOf(record: ReplayedRecord): ReplayedAnswer | undefined {
  if (record.kind !== 'task.accepted' && record.kind !== 'task.declined') return undefined;
  const body = answerBody.safeParse(record.body);
  if (!body.success) return undefined;
  const b = body.data;
  const assignedAt = Date.parse(b.assignedAt);
  const at = Date.parse(b.answeredAt);
  if (!Number.isFinite(assignedAt) || !Number.isFinite(at)) return undefined;
  return { taskId: b.taskId, assignedAt, mark: { response: b.response, at, ...(b.reason !== undefined ? { reason: b.reason } : {}), ...(b.device !== undefined ? { deviceId: b.device } : {}) } };
}

/** The close or exception a `pickup.closed` / `pickup.exception` record tells of; undefined for any other record. */
export function stopMarkOf(record: ReplayedRecord): ReplayedStop | undefined {
  if (record.kind !== 'pickup.exception' && record.kind !== 'pickup.closed') return undefined;
  const body = stopBody.safeParse(record.body);
  if (!body.success) return undefined;
  const b = body.data;
  const at = Date.parse(b.receivedAt);
  if (!Number.isFinite(at)) return undefined;
  // a close carries the stop's pieces; an exception at the stop does not
  if (record.kind === 'pickup.closed' || b.pieces !== undefined) {
    if (!(closeReasons as readonly string[]).includes(b.reason)) return undefined;
    return { taskId: b.taskId, close: { reason: b.reason as CloseReason, at, recordId: record.id } };
  }
  return { taskId: b.taskId, exception: { reason: b.reason, at, recordId: record.id } };
}

/** What the journal's tail held that the task store may lack. */
export interface ReplayedMarks {
  pickups: PickupMark[];
  answers: ReplayedAnswer[];
  stops: ReplayedStop[];
}

class Tail<T> {
  items: T[] = [];
  constructor(private readonly limit: number) {}
  push(item: T | undefined): boolean {
    if (item === undefined) return false;
    if (this.items.length >= this.limit) this.items.shift();
    this.items.push(item);
    return true;
  }
  take(): T[] {
    const items = this.items;
    this.items = [];
    return items;
  }
}

/** The newest `limit` pickups, answers and stop marks among the replayed records, oldest first. */
export class ReplayedTail {
  private readonly pickups: Tail<PickupMark>;
  private readonly answers: Tail<ReplayedAnswer>;
  private readonly stops: Tail<ReplayedStop>;

  constructor(readonly limit = 1000) {
    this.pickups = new Tail(limit);
    this.answers = new Tail(limit);
    this.stops = new Tail(limit);
  }

  offer(record: ReplayedRecord): void {
    this.pickups.push(pickupMarkOf(record)) || this.answers.push(answerOf(record)) || this.stops.push(stopMarkOf(record));
  }

  /** hands the marks over once; later calls get only what was offered since */
  take(): ReplayedMarks {
    return { pickups: this.pickups.take(), answers: this.answers.take(), stops: this.stops.take() };
  }
}
