import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import sinon from 'sinon';
import { EtaTracker, KitWorkload, type EtaTask, type KitPlan } from '../../eta/index.js';
import { laneOf } from '../../cloud-sync/journal/records.js';
import { FAKED, M_PER_DEG_LAT, MemorySink, positionEvent, silentLog } from './fakes.js';

const T0 = Date.parse('2025-03-10T08:00:00.000Z');
const KIT = 'van-7';
const START = { lat: 48.1, lon: 11.5 };
const north = (m: number): { lat: number; lon: number } => ({ lat: START.lat + m / M_PER_DEG_LAT, lon: START.lon });
const iso = (ms: number): string => new Date(ms).toISOString();
const task = (id: string, sequence: number, m: number, windowMin = 60): EtaTask => ({
  id,
  kit: KIT,
  address: north(m),
  window: { from: iso(T0), to: iso(T0 + windowMin * 60_000) },
  sequence,
});
const leg = (taskId: string, etaMin: number) => ({ taskId, distanceM: 0, legs: 1, etaMs: T0 + etaMin * 60_000, departMs: T0 + etaMin * 60_000 });

describe('KitWorkload: kit.workload records for dispatch', () => {
  let clock: sinon.SinonFakeTimers;
  let sink: MemorySink;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0, toFake: FAKED });
    sink = new MemorySink();
  });
  afterEach(() => clock.restore());

  const bodies = () => sink.records.map((r) => r.body);

  it('counts stops and pieces from the list, drops one per closed task, coalesced per kit on the live lane', async () => {
    const w = new KitWorkload({ sink, log: silentLog });
    await w.tasksChanged(KIT, [{ id: 'a' }, { id: 'b', expectedPieces: 3 }, { id: 'c' }]);
    expect(sink.records[0]).toMatchObject({ kind: 'kit.workload', stream: `workload:${KIT}`, kit: KIT, coalesceKey: `workload:${KIT}` });
    expect(laneOf['kit.workload']).toBe('live');
    expect(bodies()[0]).toMatchObject({ kit: KIT, stops: 3, pieces: 5, finishEta: null, atRisk: 0, positionAt: null, positionAgeS: null });
    await w.taskClosed(KIT, 'b');
    expect(bodies()[1]).toMatchObject({ stops: 2, pieces: 2 });
    // an unknown or already closed task changes nothing
    await w.taskClosed(KIT, 'b');
    await w.taskClosed(KIT, 'zz');
    // the same list again: nothing new for dispatch
    await w.tasksChanged(KIT, [{ id: 'a' }, { id: 'c' }]);
    expect(sink.records).toHaveLength(2);
    expect(w.records).toBe(2);
  });

  it('the pieces are those still to come: expected less recorded, lowered per parcel, a stop of any number counts one', async () => {
    const w = new KitWorkload({ sink, log: silentLog });
    await w.tasksChanged(KIT, [{ id: 'a', expectedPieces: 3, piecesDone: 1 }, { id: 'b', expectedPieces: 'any', piecesDone: 4 }, { id: 'c' }]);
    expect(bodies()[0]).toMatchObject({ stops: 3, pieces: 4 });
    await w.taskProgressed(KIT, { id: 'a', expectedPieces: 3, piecesDone: 2 });
    expect(bodies()[1]).toMatchObject({ stops: 3, pieces: 3 });
    // a parcel of an any-number stop leaves it at one; an unknown task changes nothing
    await w.taskProgressed(KIT, { id: 'b', expectedPieces: 'any', piecesDone: 5 });
    await w.taskProgressed(KIT, { id: 'zz', expectedPieces: 2, piecesDone: 1 });
    expect(sink.records).toHaveLength(2);
    await w.taskClosed(KIT, 'a');
    expect(bodies()[2]).toMatchObject({ stops: 2, pieces: 2 });
  });

  it('the finish is the last leg, at risk the stops whose ETA is after their window; republished on a 2 min move', async () => {
    const w = new KitWorkload({ sink, log: silentLog });
    const tasks = [task('a', 1, 1000, 60), task('b', 2, 2000, 30), task('c', 3, 3000, 60)];
    await w.tasksChanged(KIT, tasks);
    const plan = (a: number, b: number, c: number, position = north(0)): KitPlan => ({ legs: [leg('a', a), leg('b', b), leg('c', c)], tasks, position, positionAt: T0, offsetMs: 0 });
    clock.tick(30_000);
    await w.planned(KIT, plan(10, 40, 70));
    expect(bodies()[1]).toMatchObject({ stops: 3, finishEta: iso(T0 + 70 * 60_000), atRisk: 2, atRiskTaskIds: ['b', 'c'], position: north(0), positionAt: iso(T0), positionAgeS: 30 });
    // a minute later and 300 m on: not enough to tell dispatch
    await w.planned(KIT, plan(11, 41, 71, north(300)));
    expect(sink.records).toHaveLength(2);
    // 600 m from the position told: dispatch hears where the kit is
    await w.planned(KIT, plan(11, 41, 71, north(600)));
    expect(bodies()[2]).toMatchObject({ position: north(600), finishEta: iso(T0 + 71 * 60_000) });
    // two minutes earlier and c back inside its window
    await w.planned(KIT, plan(8, 38, 59, north(600)));
    expect(bodies()[3]).toMatchObject({ finishEta: iso(T0 + 59 * 60_000), atRisk: 1, atRiskTaskIds: ['b'] });
    // the late stop closed: one fewer at risk at once
    await w.taskClosed(KIT, 'b');
    expect(bodies()[4]).toMatchObject({ stops: 2, atRisk: 0, atRiskTaskIds: [] });
  });

  it('a record the journal refuses is told again with the next change', async () => {
    const w = new KitWorkload({ sink, log: silentLog });
    sink.refuse = true;
    await w.tasksChanged(KIT, [{ id: 'a' }]);
    sink.refuse = false;
    await w.tasksChanged(KIT, [{ id: 'a' }]);
    expect(bodies()).toEqual([expect.objectContaining({ stops: 1 })]);
  });

  it('follows the ETA tracker\u2019s plans', async () => {
    const w = new KitWorkload({ sink, log: silentLog });
    const tasks = [task('a', 1, 6000), task('b', 2, 12_000, 10)];
    const tr = new EtaTracker({ sink: new MemorySink(), tasksFor: () => tasks, log: silentLog, now: () => Date.now(), planned: (kit, p) => void w.planned(kit, p) });
    await tr.start();
    await w.tasksChanged(KIT, tasks);
    await tr.handle(positionEvent(KIT, { ...north(0), speedKmh: 43.2, fix: '3d', at: iso(Date.now()) }, Date.now()));
    await w.whenIdle();
    // 12 000 m × 1.3 at 12 m/s = 1300 s to b, past its 10-minute window
    const last = bodies().at(-1)!;
    expect(last).toMatchObject({ stops: 2, atRisk: 1, atRiskTaskIds: ['b'], positionAgeS: 0 });
    expect((Date.parse(String(last.finishEta)) - T0) / 1000).toBeGreaterThan(1300);
    await tr.stop();
  });
});
