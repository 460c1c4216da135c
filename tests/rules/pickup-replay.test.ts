import { describe, expect, it } from 'vitest';
import { pickupMarkOf, ReplayedPickups, type ReplayedRecord } from '../../rules/pickup-replay.js';

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

describe('ReplayedPickups', () => {
  it('keeps the newest pickups up to its limit and hands them over once', () => {
    const tail = new ReplayedPickups(2);
    for (const wb of ['A', 'B', 'C']) tail.offer(record({}, { waybill: wb }));
    tail.offer(record({ kind: 'eta.update' }));
    expect(tail.take().map((m) => m.waybill)).toEqual(['B', 'C']);
    expect(tail.take()).toEqual([]);
  });
});
