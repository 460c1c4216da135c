/**
 * After a crash: the pickups still in the journal, read back from their records, so the
 * task store can mark a pickup whose mark was lost before it was saved. Only the newest
 * ones matter (only the last moments before a crash can have lost a mark), so a bounded
 * tail is kept.
 */
import { z } from 'zod';
import type { RecordInput } from './records.js';
import type { PickupMark } from './tasks.js';

/** A record as the journal replays it: what was handed over, its id and its time. */
export type ReplayedRecord = RecordInput & { id: string; createdAt: string };

const pickupBody = z.object({
  waybill: z.string().min(1),
  taskId: z.string().nullish(),
  verdictId: z.string().nullish(),
  receipt: z.string().nullish(),
});

/** The pickup a `pickup.completed` record tells of; undefined for any other record. */
export function pickupMarkOf(record: ReplayedRecord): PickupMark | undefined {
  if (record.kind !== 'pickup.completed') return undefined;
  const body = pickupBody.safeParse(record.body);
  if (!body.success) return undefined;
  const b = body.data;
  return { waybill: b.waybill, kit: record.kit ?? record.stream, taskId: b.taskId ?? undefined, verdictId: b.verdictId ?? record.id, receipt: b.receipt ?? '', at: Date.parse(record.createdAt) };
}

/** The newest `limit` pickups among the replayed records, oldest first. */
export class ReplayedPickups {
  private marks: PickupMark[] = [];

  constructor(readonly limit = 1000) {}

  offer(record: ReplayedRecord): void {
    const mark = pickupMarkOf(record);
    if (!mark) return;
    if (this.marks.length >= this.limit) this.marks.shift();
    this.marks.push(mark);
  }

  /** hands the pickups over once; later calls get only what was offered since */
  take(): PickupMark[] {
    const marks = this.marks;
    this.marks = [];
    return marks;
  }
}
