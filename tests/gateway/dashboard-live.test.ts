/**
 * The dashboard's chart series, its day figures and what LiveState keeps for the route,
 * the ETAs and the exceptions: bounded, and the figures those of report/figures.ts.
 */
import { describe, expect, it } from 'vitest';
import { Series } from '../../gateway/dashboard/series.js';
import { DayFigures, type KeptRecord } from '../../gateway/dashboard/day.js';
import { BusEntry, LiveState } from '../../gateway/dashboard/live-state.js';
import { REPORT_KINDS, computeReport } from '../../report/figures.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');

describe('Series', () => {
  it('counts verdicts per outcome as a rate per minute in their bucket, with p50 / p99 of the latencies', () => {
    const s = new Series({ bucketMs: 10_000, buckets: 6 });
    for (let i = 0; i < 100; i++) s.verdict(T0 + 1_000, 'accepted', i + 1);
    s.verdict(T0 + 2_000, 'needs-review', 500);
    s.verdict(T0 + 12_000, 'rejected', 40);
    s.refused(T0 + 12_500);
    const v = s.view(T0 + 15_000);
    expect(v.t).toEqual([T0 / 1000, T0 / 1000 + 10]);
    expect(v.accepted).toEqual([600, 0]);
    expect(v.review).toEqual([6, 0]);
    expect(v.rejected).toEqual([0, 6]);
    expect(v.refused).toEqual([0, 6]);
    expect(v.p50).toEqual([51, 40]);
    expect(v.p99).toEqual([100, 40]);
  });

  it('keeps a fixed ring: an hour later only the last buckets show, and a message older than the ring counts nowhere', () => {
    const s = new Series({ bucketMs: 1_000, buckets: 5 });
    for (let i = 0; i < 1_000; i++) s.verdict(T0 + i * 1_000, 'accepted', 10);
    const v = s.view(T0 + 999_000);
    expect(v.t).toHaveLength(5);
    expect(v.accepted).toEqual([60, 60, 60, 60, 60]);
    s.verdict(T0, 'rejected', 10);
    expect(s.view(T0 + 999_000).rejected).toEqual([0, 0, 0, 0, 0]);
  });

  it('samples latencies into a bounded reservoir', () => {
    const s = new Series({ bucketMs: 60_000, samples: 16, random: () => 0.999 });
    for (let i = 0; i < 10_000; i++) s.verdict(T0, 'accepted', i);
    const v = s.view(T0);
    // the reservoir kept the first 16 (random never picks a slot): percentiles of those
    expect(v.p99).toEqual([15]);
  });

  it('shows the journal backlog and the records synced per minute from the acknowledged count', () => {
    const s = new Series({ bucketMs: 10_000 });
    s.journal(T0, 40, 100);
    s.journal(T0 + 10_000, 5, 150);
    s.journal(T0 + 30_000, 0, 160);
    const v = s.view(T0 + 30_000);
    expect(v.backlog).toEqual([40, 5, null, 0]);
    expect(v.synced).toEqual([0, 300, null, 60]);
  });
});

const rec = (id: string, kind: string, createdAt: string, body: Record<string, unknown>): KeptRecord => ({ id, kind, createdAt, kit: 'van-1', body });
const day = [
  rec('r1', 'pickup.completed', '2026-03-02T09:10:00.000Z', { taskId: 'T1', window: { from: '2026-03-02T09:00:00.000Z', to: '2026-03-02T10:00:00.000Z' } }),
  rec('r2', 'pickup.exception', '2026-03-02T09:20:00.000Z', { taskId: 'T2', reason: 'customer-absent' }),
  rec('r3', 'eta.update', '2026-03-02T09:25:00.000Z', { taskId: 'T2', eta: '2026-03-02T09:45:00.000Z', positionAt: '2026-03-02T09:25:00.000Z' }),
  rec('r4', 'pickup.completed', '2026-03-02T09:50:00.000Z', { taskId: 'T2' }),
  rec('r5', 'device.health', '2026-03-02T09:51:00.000Z', { device: 'scale-1', state: 'online' }),
];

describe('DayFigures', () => {
  it("are report/figures.ts's over the day's records, the journal's and those kept since", async () => {
    const f = new DayFigures({ cacheMs: 0 });
    const seeding = f.seed(async (each) => {
      for (const r of day.slice(0, 3)) each(r);
    });
    // kept while the journal is read: r3 twice (read and told), r4 new
    f.add(day[2]!);
    f.add(day[3]!);
    await seeding;
    f.add(day[4]!);
    // the same figures; only `records` (how many were read) counts just the kinds the figures read
    expect(f.report()).toEqual({ ...computeReport(day, { day: '2026-03-02' }), records: 4 });
    expect(f.report()).toEqual(computeReport(day.filter((r) => REPORT_KINDS.has(r.kind)), { day: '2026-03-02' }));
    expect(f.report()!.firstAttempt).toEqual({ count: 1, of: 2, rate: 0.5 });
    expect(f.report()!.eta.samples).toBe(1);
  });

  it('read the journal only once, when first asked, merging what was kept before by id', async () => {
    const f = new DayFigures({ cacheMs: 0 });
    f.add(day[0]!);
    f.add(day[3]!);
    let reads = 0;
    const read = async (each: (r: KeptRecord) => void) => {
      reads++;
      for (const r of day.slice(0, 3)) each(r);
    };
    await Promise.all([f.seed(read), f.seed(read)]);
    await f.seed(read);
    expect(reads).toBe(1);
    expect(f.report()).toEqual(computeReport(day.slice(0, 4), { day: '2026-03-02' }));
  });

  it('start the next day afresh, pass older days over, and keep at most maxRecords', () => {
    const f = new DayFigures({ cacheMs: 0, maxRecords: 10 });
    f.add(day[0]!);
    f.add(rec('n1', 'pickup.exception', '2026-03-03T08:00:00.000Z', { taskId: 'T9', reason: 'refused' }));
    f.add(day[1]!);
    expect(f.report()!.day).toBe('2026-03-03');
    expect(f.report()!.stops).toBe(1);
    for (let i = 0; i < 100; i++) f.add(rec(`p${i}`, 'position.track', '2026-03-03T08:01:00.000Z', { lat: 52, lon: 13 }));
    expect(f.report()!.records).toBeLessThanOrEqual(10);
  });

  it('compute only when asked, and again only after a change and the cache time', () => {
    let now = 0;
    const f = new DayFigures({ cacheMs: 1_000, now: () => now });
    expect(f.report()).toBeNull();
    f.add(day[0]!);
    const a = f.report();
    expect(f.report()).toBe(a);
    f.add(day[1]!);
    expect(f.report()).toBe(a);
    now = 1_500;
    expect(f.report()).not.toBe(a);
    expect(f.report()!.stops).toBe(2);
  });
});

describe('LiveState route, ETAs and exceptions', () => {
  const at = '2026-03-02T09:30:00.000Z';
  const raw = (topic: string, payload: unknown) => new BusEntry(topic, Buffer.from(JSON.stringify(payload)), at);
  const gps = { id: 'gps-1', kind: 'gps', kit: 'van-1', transport: 'mqtt', state: 'online', faults: {} } as never;

  it("keeps each GPS unit's recent positions (bounded, a standstill adds nothing) on its kit's track", () => {
    const st = new LiveState({ verdictsPerKit: 5, activity: 5, trackPoints: 20 });
    for (let i = 0; i < 100; i++) st.apply(raw('cg/v1/devices/gps-1/events/position', { lat: 52.5 + i * 0.001, lon: 13.4 }), T0 + i);
    st.apply(raw('cg/v1/devices/gps-1/events/position', { lat: 52.5 + 99 * 0.001, lon: 13.4 }), T0 + 200);
    st.apply(raw('cg/v1/devices/gps-1/events/position', { lat: 'north', lon: 13.4 }), T0 + 300);
    const snap = st.snapshot({ gatewayId: 'gw', operator: 'tech', at, devices: [gps], alarms: [], kits: [{ id: 'van-1' }] });
    const track = snap.kits[0]!.track!;
    expect(track.length).toBeLessThanOrEqual(20);
    expect(track.length).toBeGreaterThan(5);
    // thinned, not cut: the day's first stretch is still there, and the newest point
    expect(track[0]![0]).toBeLessThan(52.5 + 10 * 0.001);
    expect(track.at(-1)).toEqual([52.5 + 99 * 0.001, 13.4, T0 + 99]);
  });

  it('keeps the newest ETA per open stop and the exceptions with task, customer and reason', () => {
    const st = new LiveState({ verdictsPerKit: 5, activity: 5, exceptions: 2 });
    st.record({ kind: 'eta.update', kit: 'van-1', createdAt: at, body: { taskId: 'T1', eta: '2026-03-02T10:00:00.000Z', distanceM: 900 } });
    st.record({ kind: 'eta.update', kit: 'van-1', createdAt: at, body: { taskId: 'T1', eta: '2026-03-02T10:05:00.000Z', distanceM: 700 } });
    st.record({ kind: 'eta.update', kit: 'van-1', createdAt: at, body: { taskId: 'T2', eta: '2026-03-02T10:30:00.000Z' } });
    st.record({ kind: 'pickup.completed', kit: 'van-1', createdAt: at, body: { taskId: 'T2' } });
    for (const reason of ['refused', 'damaged', 'customer-absent']) st.record({ kind: 'pickup.exception', kit: 'van-1', createdAt: at, body: { taskId: 'T3', customer: 'Acme', waybill: null, reason } });
    const live = st.live(T0, null);
    expect(live.etas['van-1']).toEqual([{ taskId: 'T1', eta: '2026-03-02T10:05:00.000Z', distanceM: 700, at }]);
    expect(live.exceptions).toEqual([
      { kit: 'van-1', taskId: 'T3', customer: 'Acme', waybill: null, reason: 'customer-absent', note: null, at },
      { kit: 'van-1', taskId: 'T3', customer: 'Acme', waybill: null, reason: 'damaged', note: null, at },
    ]);
  });

  it("drops a scan's waiting-for-weight entry once its verdict came, and tells when it saw a device come to its state on the wall clock", () => {
    const st = new LiveState({ verdictsPerKit: 5, activity: 5 });
    st.apply(raw('cg/v1/kits/van-1/verdicts', { type: 'pending', pairId: 'p1' }));
    st.apply(raw('cg/v1/kits/van-1/verdicts', { type: 'pending', pairId: 'p2' }));
    st.apply(raw('cg/v1/kits/van-1/verdicts', { type: 'verdict', pairId: 'p1', verdictId: 'v1', outcome: 'accepted', timings: { scanToVerdictMs: 120 } }), T0);
    st.apply(raw('cg/v1/devices/gps-1/status', { state: 'online', since: '2026-03-02T03:00:00.000Z' }), T0 + 5);
    const snap = st.snapshot({ gatewayId: 'gw', operator: 'tech', at, devices: [gps], alarms: [], kits: [], now: T0 });
    expect(snap.kits[0]!.verdicts.map((e) => (e.verdict as { pairId: string }).pairId)).toEqual(['p1', 'p2']);
    expect(snap.series.accepted.at(-1)).toBe(6);
    expect(snap.series.p50.at(-1)).toBe(120);
    expect(snap.devices[0]!.seenSince).toBe(new Date(T0 + 5).toISOString());
  });
});
