import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryOutbox } from '../../cloud-sync/memory-outbox.js';
import { RecordRefusedError, type RecordInput, type RecordKind } from '../../rules/records.js';
import { laneOf } from '../../cloud-sync/journal/records.js';

function outbox(now = () => 1_700_000_000_000): MemoryOutbox {
  let n = 0;
  return new MemoryOutbox({
    gatewayId: 'gw-1',
    bootId: 'boot-1',
    now,
    monoNow: () => 42,
    newId: () => `id-${String(++n).padStart(4, '0')}`,
    clock: () => 'ntp',
  });
}

const pickup = (stream: string, waybill: string): RecordInput => ({
  kind: 'pickup.completed',
  stream,
  kit: stream,
  body: { waybill },
});
const eta = (stream: string, taskId: string, minutes: number): RecordInput => ({
  kind: 'eta.update',
  stream,
  coalesceKey: `eta:${taskId}`,
  body: { taskId, minutes },
});
const track = (stream: string, i: number): RecordInput => ({ kind: 'position.track', stream, body: { i } });

describe('MemoryOutbox', () => {
  it('stamps the envelope: id, gateway, gapless seq per stream, time, clock, boot', async () => {
    const ob = outbox();
    const a = await ob.append(pickup('kit-1', 'A'));
    const b = await ob.append(pickup('kit-2', 'B'));
    const c = await ob.append(pickup('kit-1', 'C'));
    expect(a).toEqual({
      kind: 'pickup.completed',
      stream: 'kit-1',
      kit: 'kit-1',
      body: { waybill: 'A' },
      id: 'id-0001',
      gatewayId: 'gw-1',
      seq: 1,
      createdAt: '2023-11-14T22:13:20.000Z',
      clock: 'ntp',
      bootId: 'boot-1',
      monoMs: 42,
    });
    expect([a.seq, b.seq, c.seq]).toEqual([1, 1, 2]);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('never lets the caller change a written record through its input', async () => {
    const ob = outbox();
    const input = pickup('kit-1', 'A');
    await ob.append(input);
    (input.body as { waybill: string }).waybill = 'CHANGED';
    const [r] = await ob.next(10, 1e6);
    expect(r.body).toEqual({ waybill: 'A' });
  });

  it('hands out the live lane first, then records, then bulk, each in append order', async () => {
    const ob = outbox();
    await ob.append(track('kit-1', 1));
    await ob.append(pickup('kit-1', 'A'));
    await ob.append(eta('kit-1', 't1', 5));
    await ob.append(pickup('kit-1', 'B'));
    await ob.append({ kind: 'device.health', stream: 'scale-1', body: { ok: true } });
    const batch = await ob.next(10, 1e6);
    expect(batch.map((r) => [r.kind, r.seq])).toEqual([
      ['eta.update', 3],
      ['device.health', 1],
      ['pickup.completed', 2],
      ['pickup.completed', 4],
      ['position.track', 1],
    ]);
  });

  it('bounds a batch by count and by bytes, but always hands out one record', async () => {
    const ob = outbox();
    for (let i = 0; i < 10; i++) await ob.append(pickup('kit-1', `W${i}`));
    expect((await ob.next(3, 1e6)).length).toBe(3);
    const one = JSON.stringify((await ob.next(1, 1e6))[0]).length + 1;
    expect((await ob.next(10, one * 4)).length).toBe(4);
    expect((await ob.next(10, one * 4 - 1)).length).toBe(3);
    expect((await ob.next(10, 1)).length).toBe(1);
  });

  it('gives back unacknowledged records until acked or rejected', async () => {
    const ob = outbox();
    const recs = [];
    for (let i = 0; i < 4; i++) recs.push(await ob.append(pickup('kit-1', `W${i}`)));
    expect((await ob.next(2, 1e6)).map((r) => r.id)).toEqual(['id-0001', 'id-0002']);
    expect((await ob.next(2, 1e6)).map((r) => r.id)).toEqual(['id-0001', 'id-0002']);
    await ob.ack(['id-0002', 'unknown']);
    await ob.reject([{ id: 'id-0001', reason: 'bad envelope' }]);
    expect((await ob.next(10, 1e6)).map((r) => r.id)).toEqual(['id-0003', 'id-0004']);
    expect(ob.deadLetters()).toEqual([{ record: recs[0], reason: 'bad envelope', rejectedAt: '2023-11-14T22:13:20.000Z' }]);
    const s = ob.stats();
    expect([s.appended, s.acked, s.rejected, s.deadLetters]).toEqual([4, 1, 1, 1]);
    expect(s.depth).toEqual({ live: 0, records: 2, bulk: 0 });
  });

  it('raises an alarm when dispatch rejects records, and none for unknown ids', async () => {
    const ob = outbox();
    const alarms: unknown[] = [];
    ob.on('alarm', (a) => alarms.push(a));
    await ob.append(pickup('kit-1', 'A'));
    await ob.reject([{ id: 'nope', reason: 'x' }]);
    expect(alarms).toEqual([]);
    await ob.reject([{ id: 'id-0001', reason: 'x' }]);
    expect(alarms).toEqual([{ kind: 'rejected', message: '1 record(s) rejected by dispatch, moved to dead letters' }]);
  });

  it('coalesces the live lane: only the newest unacked ETA per key goes out', async () => {
    const ob = outbox();
    await ob.append(eta('kit-1', 't1', 10));
    await ob.append(eta('kit-1', 't2', 20));
    await ob.append(pickup('kit-1', 'A'));
    await ob.append(eta('kit-1', 't1', 12));
    await ob.append(eta('kit-1', 't1', 14));
    const batch = await ob.next(10, 1e6);
    expect(batch.map((r) => [r.kind, r.body])).toEqual([
      ['eta.update', { taskId: 't2', minutes: 20 }],
      ['eta.update', { taskId: 't1', minutes: 14 }],
      ['pickup.completed', { waybill: 'A' }],
    ]);
    expect(ob.stats().coalesced).toBe(2);
    expect(ob.stats().depth.live).toBe(2);
  });

  it('emits appended with the record, reports depth, bytes and oldest age', async () => {
    let t = 1_000_000;
    const ob = outbox(() => t);
    const seen: string[] = [];
    ob.on('appended', (r: { id: string }) => seen.push(r.id));
    expect(ob.stats().oldestUnsentMs).toBe(0);
    const a = await ob.append(pickup('kit-1', 'A'));
    t += 2500;
    await ob.append(track('kit-1', 1));
    t += 500;
    const s = ob.stats();
    expect(seen).toEqual(['id-0001', 'id-0002']);
    expect(s.oldestUnsentMs).toBe(3000);
    expect(s.depth).toEqual({ live: 0, records: 1, bulk: 1 });
    expect(s.bytesOnDisk).toBeGreaterThan(JSON.stringify(a).length);
    await ob.ack(['id-0001']);
    expect(ob.stats().oldestUnsentMs).toBe(500);
  });

  it('refuses appends once closed', async () => {
    const ob = outbox();
    await ob.close();
    await expect(ob.append(pickup('kit-1', 'A'))).rejects.toBeInstanceOf(RecordRefusedError);
  });

  it('property: any interleaving keeps lane order, per-stream seq order, and loses nothing', async () => {
    const kinds = Object.keys(laneOf) as RecordKind[];
    const op = fc.oneof(
      fc.record({ t: fc.constant('append' as const), kind: fc.constantFrom(...kinds), stream: fc.constantFrom('a', 'b', 'c'), key: fc.option(fc.constantFrom('k1', 'k2'), { nil: undefined }) }),
      fc.record({ t: fc.constant('ack' as const), n: fc.nat(5) }),
      fc.record({ t: fc.constant('reject' as const), n: fc.nat(2) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const ob = outbox();
        const laneRank = { live: 0, records: 1, bulk: 2 };
        const settled = new Set<string>();
        for (const o of ops) {
          if (o.t === 'append') {
            await ob.append({ kind: o.kind, stream: o.stream, coalesceKey: o.key, body: {} });
          } else {
            const batch = await ob.next(o.n, 1e9);
            for (const r of batch) expect(settled.has(r.id)).toBe(false);
            if (o.t === 'ack') await ob.ack(batch.map((r) => r.id));
            else await ob.reject(batch.map((r) => ({ id: r.id, reason: 'x' })));
            for (const r of batch) settled.add(r.id);
          }
          const all = await ob.next(1e6, 1e12);
          for (let i = 1; i < all.length; i++) {
            const [p, q] = [all[i - 1], all[i]];
            const [lp, lq] = [laneRank[laneOf[p.kind]], laneRank[laneOf[q.kind]]];
            expect(lp).toBeLessThanOrEqual(lq);
            if (lp === lq && p.stream === q.stream) expect(p.seq).toBeLessThan(q.seq);
          }
          const s = ob.stats();
          expect(s.depth.live + s.depth.records + s.depth.bulk).toBe(all.length);
          expect(s.appended).toBe(all.length + s.acked + s.rejected + s.coalesced);
        }
      }),
      { numRuns: 150 },
    );
  });
});
