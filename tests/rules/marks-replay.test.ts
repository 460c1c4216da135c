import { describe, expect, it } from 'vitest';
import { answerOf, pickupMarkOf, ReplayedTail, stopMarkOf, type ReplayedRecord } from '../../rules/marks-replay.js';
import { answerRecord } from '../../rules/assignments.js';
import { stopRecord } from '../../rules/verdicts.js';
import type { RecordInput } from '../../rules/records.js';

/** a record as its producer builds it, as the journal replays it */
const replayed = (input: RecordInput, id = '01J0000000000000000000000B'): ReplayedRecord => ({ ...input, id, createdAt: '2024-05-17T09:31:00.000Z' });

const record = (over: Partial<ReplayedRecord> = {}, body: Record<string, unknown> = {}): ReplayedRecord => ({
  id: '01J0000000000000000000000A',
  kind: 'pickup.completed',
  stream: 'van-1',
  kit: 'van-1',
  createdAt: '2024-05-17T09:30:00.000Z',
  body: { waybill: 'RR123456785CN', taskId: 't-1', verdictId: 'v-1', receipt: 'R-1', ...body },
  ...over,
});

describe('pickupMarkOf', () => {
  it('reads the pickup of a pickup.completed record', () => {
    expect(pickupMarkOf(record())).toEqual({ waybill: 'RR123456785CN', kit: 'van-1', taskId: 't-1', verdictId: 'v-1', receipt: 'R-1', at: Date.UTC(2024, 4, 17, 9, 30) });
  });

  it('fills what an older record lacks: no task, the record id for the verdict, no receipt, the stream for the kit', () => {
    const r = record({ kit: undefined }, { taskId: null, verdictId: undefined, receipt: undefined });
    expect(pickupMarkOf(r)).toEqual({ waybill: 'RR123456785CN', kit: 'van-1', taskId: undefined, verdictId: r.id, receipt: '', at: Date.parse(r.createdAt) });
  });

  it('takes no other kind and no record without a waybill', () => {
    expect(pickupMarkOf(record({ kind: 'pickup.exception' }))).toBeUndefined();
    expect(pickupMarkOf(record({}, { waybill: '' }))).toBeUndefined();
    expect(pickupMarkOf(record({}, { waybill: 42 }))).toBeUndefined();
  });
});

describe('ReplayedTail', () => {
  it('keeps the newest pickups up to its limit and hands them over once', () => {
    const tail = new ReplayedTail(2);
    for (const wb of ['A', 'B', 'C']) tail.offer(record({}, { waybill: wb }));
    tail.offer(record({ kind: 'eta.update' }));
    expect(tail.take().pickups.map((m) => m.waybill)).toEqual(['B', 'C']);
    expect(tail.take()).toEqual({ pickups: [], answers: [], stops: [] });
  });
});

describe('answers and stop marks from the records their producers write', () => {
  it('an accept and a decline give the answer and the assignment it was for', () => {
    const accepted = answerRecord('task.accepted', 'van-1', 't-1', { response: 'accepted', device: 'app-1', assignedAt: '2024-05-17T09:00:00.000Z', answeredAt: '2024-05-17T09:01:00.000Z', afterMs: 60_000 }, 'app-1');
    expect(answerOf(replayed(accepted))).toEqual({ taskId: 't-1', assignedAt: Date.parse('2024-05-17T09:00:00.000Z'), mark: { response: 'accepted', at: Date.parse('2024-05-17T09:01:00.000Z'), deviceId: 'app-1' } });
    const declined = answerRecord('task.declined', 'van-1', 't-2', { response: 'declined', reason: 'too-far', device: 'app-1', assignedAt: '2024-05-17T09:00:00.000Z', answeredAt: '2024-05-17T09:02:00.000Z', afterMs: 120_000 });
    expect(answerOf(replayed(declined))?.mark).toMatchObject({ response: 'declined', reason: 'too-far' });
    const silent = answerRecord('task.unacknowledged', 'van-1', 't-3', { assignedAt: '2024-05-17T09:00:00.000Z', waitedMs: 120_000 });
    expect(answerOf(replayed(silent))).toBeUndefined();
    expect(answerOf(replayed({ ...accepted, body: { ...accepted.body, answeredAt: 'soon' } }))).toBeUndefined();
  });

  it('a close (done, or short with its pieces) and an exception at the stop, with the record id', () => {
    const input = { deviceId: 'app-1', taskId: 't-1', reason: 'done', receivedAt: Date.parse('2024-05-17T09:05:00.000Z'), pieces: { done: 4, expected: 'any' as const } };
    const done = stopRecord({ kind: 'pickup.closed', id: 'c-1', kit: 'van-1', input, now: 0 });
    expect(stopMarkOf(replayed(done, 'R-1'))).toEqual({ taskId: 't-1', close: { reason: 'done', at: Date.parse('2024-05-17T09:05:00.000Z'), recordId: 'R-1' } });
    const short = stopRecord({ kind: 'pickup.exception', id: 'e-1', kit: 'van-1', input: { ...input, reason: 'fewer-parcels', pieces: { done: 2, expected: 3 } }, now: 0 });
    expect(stopMarkOf(replayed(short, 'R-2'))).toMatchObject({ close: { reason: 'fewer-parcels', recordId: 'R-2' } });
    const absent = stopRecord({ kind: 'pickup.exception', id: 'e-2', kit: 'van-1', input: { ...input, reason: 'customer-absent', pieces: undefined }, now: 0 });
    expect(stopMarkOf(replayed(absent, 'R-3'))).toEqual({ taskId: 't-1', exception: { reason: 'customer-absent', at: Date.parse('2024-05-17T09:05:00.000Z'), recordId: 'R-3' } });
    expect(stopMarkOf(replayed(answerRecord('task.accepted', 'van-1', 't-1', {})))).toBeUndefined();
  });

  it('the tail keeps each kind apart, up to its limit', () => {
    const tail = new ReplayedTail(1);
    const input = { deviceId: 'app-1', taskId: 't-1', reason: 'customer-absent', receivedAt: 0 };
    tail.offer(record());
    tail.offer(replayed(stopRecord({ kind: 'pickup.exception', id: 'e-1', kit: 'van-1', input, now: 0 })));
    tail.offer(replayed(answerRecord('task.accepted', 'van-1', 't-1', { response: 'accepted', assignedAt: '2024-05-17T09:00:00.000Z', answeredAt: '2024-05-17T09:01:00.000Z' })));
    const got = tail.take();
    expect([got.pickups.length, got.answers.length, got.stops.length]).toEqual([1, 1, 1]);
  });
});
