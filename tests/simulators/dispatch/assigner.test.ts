import { describe, expect, it } from 'vitest';
import { Assigner, type PickupRequest } from '../../../simulators/dispatch/assigner.js';
import type { DownlinkFeed } from '../../../simulators/dispatch/downlink-queue.js';
import type { StoredRecord } from '../../../simulators/dispatch/store.js';

const T0 = Date.parse('2025-03-10T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const rec = (kind: string, kit: string, body: Record<string, unknown>): StoredRecord => ({ id: `r${++seq}`, kind, gatewayId: 'gw', stream: kit, seq, kit, body: { kit, ...body } });
const workload = (kit: string, lat: number, lon: number, stops = 0, finishMin?: number) =>
  rec('kit.workload', kit, { stops, pieces: stops, position: { lat, lon }, finishEta: finishMin === undefined ? null : iso(T0 + finishMin * 60_000) });
const request = (id: string, lat = 51.45, lon = -2.59): PickupRequest => ({
  id,
  customer: 'Acme',
  address: { text: '1 Quay Street', lat, lon },
  window: { from: iso(T0), to: iso(T0 + 3_600_000) },
});

function setup() {
  const feeds: DownlinkFeed[] = [];
  let now = T0;
  const a = new Assigner({ addDownlink: (f) => feeds.push(f), now: () => now, maxStops: 2 });
  const items = () => feeds.flatMap((f) => f.items.map((i) => ({ gatewayId: f.gatewayId, kind: i.kind, kit: (i.task as { kit?: string } | undefined)?.kit, taskId: (i.task as { id?: string } | undefined)?.id ?? i.taskId })));
  return { a, feeds, items, tick: (ms: number) => (now += ms) };
}

describe('Assigner: the reference dispatch assigns by position and workload', () => {
  it('gives a request to the kit with the earliest arrival: the near one, unless its stops keep it busy longer', () => {
    const { a, items } = setup();
    a.observe('gw', workload('near', 51.46, -2.59, 1, 90));
    a.observe('gw', workload('far', 51.55, -2.59, 0));
    // near (1 km) but busy for 90 min; far (11 km, ~28 min at 30 km/h × 1.3) is free now
    a.request(request('p1'));
    expect(items().at(-1)).toMatchObject({ kind: 'task.assign', kit: 'far', taskId: 'p1' });
    a.observe('gw', workload('near', 51.46, -2.59, 0));
    a.request(request('p2'));
    expect(items().at(-1)).toMatchObject({ kind: 'task.assign', kit: 'near', taskId: 'p2' });
  });

  it('reassigns a declined or unanswered task to the next best kit, never back to one that turned it down', () => {
    const { a, items, tick } = setup();
    a.observe('gw', workload('k1', 51.451, -2.59));
    a.observe('gw', workload('k2', 51.47, -2.59));
    a.observe('gw', workload('k3', 51.50, -2.59));
    const st = a.request(request('p1'));
    expect(st.attempts.map((x) => x.kit)).toEqual(['k1']);
    a.observe('gw', rec('task.declined', 'k1', { taskId: 'p1', reason: 'vehicle-full' }));
    expect(items().at(-1)).toMatchObject({ kind: 'task.assign', kit: 'k2' });
    a.observe('gw', rec('task.unacknowledged', 'k2', { taskId: 'p1' }));
    expect(items().at(-1)).toMatchObject({ kind: 'task.assign', kit: 'k3' });
    // a late answer of a kit no longer holding the task changes nothing
    a.observe('gw', rec('task.accepted', 'k2', { taskId: 'p1' }));
    expect(st.state).toBe('assigned');
    tick(4200);
    a.observe('gw', rec('task.accepted', 'k3', { taskId: 'p1' }));
    expect(st).toMatchObject({ state: 'accepted', assignToAcceptMs: 4200 });
    a.observe('gw', rec('pickup.completed', 'k3', { taskId: 'p1', receipt: '7KQ-3M9X' }));
    expect(st).toMatchObject({ state: 'picked-up', receipt: '7KQ-3M9X' });
    expect(st.attempts.map((x) => [x.kit, x.outcome, x.reason])).toEqual([
      ['k1', 'declined', 'vehicle-full'],
      ['k2', 'unacknowledged', undefined],
      ['k3', 'accepted', undefined],
    ]);
    expect(a.summary()).toMatchObject({ requests: 1, pickedUp: 1, declined: 1, unacknowledged: 1, reassigned: 2, assignToAcceptMs: { count: 1, median: 4200, max: 4200 } });
  });

  it('a stop of several parcels is done with its last parcel, when the courier closes it short, or when an any-number stop is closed done', () => {
    const { a, feeds } = setup();
    a.observe('gw', workload('k1', 51.451, -2.59));
    const three = a.request({ ...request('p3'), expectedPieces: 3 });
    expect(feeds.at(-1)?.items[0]).toMatchObject({ kind: 'task.assign', task: { id: 'p3', expectedPieces: 3 } });
    a.observe('gw', rec('task.accepted', 'k1', { taskId: 'p3' }));
    a.observe('gw', rec('pickup.completed', 'k1', { taskId: 'p3', pieces: { piece: 1, of: 3 } }));
    a.observe('gw', rec('pickup.completed', 'k1', { taskId: 'p3', pieces: { piece: 2, of: 3 } }));
    expect(three.state).toBe('accepted');
    a.observe('gw', rec('pickup.completed', 'k1', { taskId: 'p3', pieces: { piece: 3, of: 3 }, receipt: 'R3' }));
    expect(three).toMatchObject({ state: 'picked-up', receipt: 'R3' });
    const any = a.request({ ...request('pa'), expectedPieces: 'any' });
    a.observe('gw', rec('task.accepted', 'k1', { taskId: 'pa' }));
    a.observe('gw', rec('pickup.completed', 'k1', { taskId: 'pa', pieces: { piece: 5, of: null } }));
    // an exception at the stop is not its end; the courier's done is
    a.observe('gw', rec('pickup.exception', 'k1', { taskId: 'pa', reason: 'parcel-not-ready' }));
    expect(any.state).toBe('accepted');
    a.observe('gw', rec('pickup.closed', 'k1', { taskId: 'pa', reason: 'done', pieces: { done: 5, expected: 'any' } }));
    expect(any.state).toBe('picked-up');
    const two = a.request({ ...request('p2'), expectedPieces: 2 });
    a.observe('gw', rec('task.accepted', 'k1', { taskId: 'p2' }));
    a.observe('gw', rec('pickup.completed', 'k1', { taskId: 'p2', pieces: { piece: 1, of: 2 } }));
    expect(two.state).toBe('accepted');
    a.observe('gw', rec('pickup.exception', 'k1', { taskId: 'p2', reason: 'fewer-parcels', pieces: { done: 1, expected: 2 } }));
    expect(two.state).toBe('picked-up');
  });

  it('a kit at capacity takes no more; a request no kit can take stays unassigned, cancelled where it was', () => {
    const { a, items } = setup();
    a.observe('gw', workload('only', 51.45, -2.59));
    a.request(request('p1'));
    a.request(request('p2'));
    const third = a.request(request('p3'));
    expect(third.state).toBe('unassigned');
    a.observe('gw', rec('task.declined', 'only', { taskId: 'p1', reason: 'off-shift' }));
    expect(a.list().find((r) => r.request.id === 'p1')?.state).toBe('unassigned');
    expect(items().at(-1)).toMatchObject({ kind: 'task.cancel', taskId: 'p1' });
    expect(a.summary()).toMatchObject({ requests: 3, assigned: 1, unassigned: 2 });
  });
});
