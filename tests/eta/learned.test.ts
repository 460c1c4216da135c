import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import {
  KitWorkload,
  EtaTracker, LearnedModel, StraightLineModel, naiveEtaErrors, naiveEtaMs, parseLearnedState, pointAt, replayEta, roadClassOf, trackOfRecords,
  type EtaRequest, type EtaTask, type TrackPoint,
} from '../../eta/index.js';
import { EventBus } from '../../gateway/event-bus.js';
import { EtaComponent, learnedStateFile } from '../../gateway/eta-component.js';
import { haversineM } from '../../core/geo.js';
import { MemorySink, M_PER_DEG_LAT, silentLog } from './fakes.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const north = (m: number): { lat: number; lon: number } => ({ lat: 52.4 + m / M_PER_DEG_LAT, lon: 13.4 });

const request = (stops: EtaRequest['stops'], startAt = T0): EtaRequest => ({ kit: 'k', from: north(0), startAt, speedKmh: 30, dwellMs: 240_000, stops });

describe('LearnedModel', () => {
  it('answers as the straight-line model until it has learned', async () => {
    const stops = [{ taskId: 'A', ...north(3000) }, { taskId: 'B', ...north(9000) }];
    expect(await new LearnedModel().estimate(request(stops))).toEqual(await new StraightLineModel(1.3).estimate(request(stops)));
  });

  it('learns the effective speed per hour of day and road class', async () => {
    const m = new LearnedModel();
    // 2 km legs (urban) at 8:00 take 10 min: 12 km/h of straight line; at 11:00 they take 5 min
    for (let i = 0; i < 3; i++) {
      m.observeLeg({ from: north(0), to: north(2000), departedAt: T0, arrivedAt: T0 + 600_000 });
      m.observeLeg({ from: north(0), to: north(2000), departedAt: T0 + 3 * 3_600_000, arrivedAt: T0 + 3 * 3_600_000 + 300_000 });
    }
    expect(m.legKmh(2000, T0)).toBeCloseTo(12, 5);
    expect(m.legKmh(2000, T0 + 3 * 3_600_000)).toBeCloseTo(24, 5);
    // no 14:00 urban cell yet: all hours of the class
    expect(m.legKmh(2000, T0 + 6 * 3_600_000)).toBeCloseTo(18, 0);
    // no local or arterial legs seen
    expect(m.legKmh(500, T0)).toBeUndefined();
    const [leg] = await m.estimate(request([{ taskId: 'A', ...north(2000) }]));
    expect((leg.etaMs - T0) / 60_000).toBeCloseTo(10, 1);
  });

  it('learns dwell per stop type, and plans each stop with its own', async () => {
    const m = new LearnedModel();
    for (let i = 0; i < 3; i++) {
      m.observeDwell('heavy', 420_000);
      m.observeDwell('express', 90_000);
    }
    const legs = await m.estimate(request([{ taskId: 'A', ...north(1000), type: 'heavy' }, { taskId: 'B', ...north(1000), type: 'express' }, { taskId: 'C', ...north(1000), type: 'standard' }]));
    expect(legs[0].departMs - legs[0].etaMs).toBe(420_000);
    expect(legs[1].departMs - legs[1].etaMs).toBe(90_000);
    // a type never seen: what every stop took on average
    expect(legs[2].departMs - legs[2].etaMs).toBe(m.dwellMs(undefined, 0));
    expect(m.dwellMs(undefined, 0)).toBeGreaterThan(90_000);
    expect(m.dwellMs(undefined, 0)).toBeLessThan(420_000);
  });

  it('classifies roads by the straight length of the leg', () => {
    expect([roadClassOf(300), roadClassOf(2000), roadClassOf(8000)]).toEqual(['local', 'urban', 'arterial']);
  });

  it('keeps a bounded state whatever it is fed, and restores it', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 10_000_000 }), fc.string({ maxLength: 50 })), { maxLength: 300 }), (obs) => {
      const m = new LearnedModel();
      for (const [m1, ms, type] of obs) {
        m.observeLeg({ from: north(0), to: north(m1), departedAt: T0 + ms * 37, arrivedAt: T0 + ms * 38 });
        m.observeDwell(type, ms);
      }
      const s = m.state();
      expect(Object.keys(s.speed).length).toBeLessThanOrEqual(25 * 3);
      expect(Object.keys(s.dwell).length).toBeLessThanOrEqual(17);
      expect(JSON.stringify(s).length).toBeLessThan(16_000);
      const again = new LearnedModel({}, JSON.parse(JSON.stringify(s)));
      expect(again.state()).toEqual(s);
    }), { numRuns: 30 });
  });

  it('reads a damaged state cell by cell, keeping what is sound', () => {
    expect(parseLearnedState({ speed: { '8:urban': { v: 20, n: 3 }, '99:urban': { v: 1, n: 1 }, '7:local': { v: -1, n: 2 }, x: 'y' }, dwell: { heavy: { v: 'a', n: 1 } } })).toEqual({
      version: 1, speed: { '8:urban': { v: 20, n: 3 } }, dwell: {},
    });
    expect(parseLearnedState('nonsense')).toEqual({ version: 1, speed: {}, dwell: {} });
  });
});

/** a van driving north at `kmh` of straight line to stops at `stopsM`, dwelling `dwellS` at each; a point every 5 s */
function northTrack(stopsM: number[], kmh: number, dwellS: number): { track: TrackPoint[]; tasks: EtaTask[]; arrivals: number[] } {
  const track: TrackPoint[] = [];
  const arrivals: number[] = [];
  let t = T0;
  let at = 0;
  for (const m of stopsM) {
    const s = ((m - at) / 1000 / kmh) * 3600;
    for (let dt = 0; dt < s; dt += 5) track.push({ ...north(at + ((m - at) * dt) / s), t: t + dt * 1000, speedKmh: kmh * 1.3 });
    t += s * 1000;
    arrivals.push(t);
    for (let dt = 0; dt < dwellS; dt += 5) track.push({ ...north(m), t: t + dt * 1000, speedKmh: 0 });
    t += dwellS * 1000;
    at = m;
  }
  const tasks = stopsM.map((m, i) => ({
    id: `S${i + 1}`, kit: 'k', sequence: i + 1, address: north(m), service: 'standard',
    window: { from: new Date(T0).toISOString(), to: new Date(T0 + 86_400_000).toISOString() },
  }));
  return { track, tasks, arrivals };
}

describe('replayed routes against the naive ETA', () => {
  it('the naive ETA: straight lines at one speed, no dwell', () => {
    expect(naiveEtaMs(north(0), T0, [north(1000), north(3000)], 30) - T0).toBeCloseTo(6 * 60_000, -2);
  });

  it('finds where the track was at a time', () => {
    const { track } = northTrack([1000], 20, 0);
    expect(pointAt(track, T0 - 1)).toBeUndefined();
    expect(pointAt(track, T0 + 7_000)?.t).toBe(T0 + 5_000);
  });

  it('reads a track from position.track records, in time order, one kit', () => {
    const rec = (kit: string, at: number, m: number, speedKmh?: number) => ({ kind: 'position.track', kit, body: { ...north(m), at: new Date(at).toISOString(), ...(speedKmh === undefined ? {} : { speedKmh }) } });
    const track = trackOfRecords([rec('a', T0 + 60_000, 500), rec('b', T0, 0, 9), rec('a', T0, 0, 12), { kind: 'pickup.completed', kit: 'a', body: {} }, rec('a', T0 + 30_000, 250)], 'a');
    expect(track.map((p) => [p.t - T0, Math.round(p.speedKmh)])).toEqual([[0, 12], [30_000, 30], [60_000, 30]]);
  });

  it('replays a route through the tracker and measures both on the same arrivals', async () => {
    // 12 km/h of straight line, 5 min at each stop: the naive ETA (28 km/h, no dwell) is early
    const { track, tasks, arrivals } = northTrack([1500, 4000, 6000, 8500, 10_000], 12, 300);
    const learned = new LearnedModel();
    const r = await replayEta(track, tasks, { model: learned });
    expect(r.arrivals.map((a) => a.taskId)).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    // arrival is the start of the slow spell, within a fix of the true one
    r.arrivals.forEach((a, i) => expect(Math.abs(Date.parse(a.arrivedAt) - arrivals[i])).toBeLessThanOrEqual(5000));
    const measured = r.arrivals.filter((a) => a.errors.some((e) => e.horizonMin === 15));
    const naive = naiveEtaErrors(track, tasks, r.arrivals, { speedKmh: 28, horizonMin: 15, measure: (a) => measured.includes(a) });
    expect(naive).toHaveLength(measured.length);
    expect(naive.every((e) => e < -5)).toBe(true);
    // the model learned the legs as it went: later ETAs are close
    const late = r.arrivals.slice(-2).flatMap((a) => a.errors.filter((e) => e.horizonMin === 15).map((e) => Math.abs(e.errorMin)));
    expect(Math.max(...late)).toBeLessThan(1.5);
    expect(learned.legKmh(2000, T0 + 3_600_000)).toBeCloseTo(12, 0);
  });
});

describe('the learned state across a restart', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cg-eta-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const component = (model: LearnedModel): EtaComponent => {
    const eta = new EtaTracker({ sink: new MemorySink(), tasksFor: () => [], log: silentLog, model, options: { tickMs: 3_600_000 } });
    const workload = new KitWorkload({ sink: new MemorySink(), log: silentLog });
    return new EtaComponent({ eta, workload, bus: new EventBus(silentLog), registry: new Registry(), lockerDevices: new Set(), learned: { model, dataDir: dir, log: silentLog } });
  };

  it('saves at stop what the model learned, and the next start has it', async () => {
    const first = new LearnedModel();
    const c1 = component(first);
    await c1.start();
    for (let i = 0; i < 3; i++) first.observeDwell('heavy', 400_000);
    await c1.stop();
    const saved = JSON.parse(await readFile(path.join(dir, learnedStateFile), 'utf8'));
    expect(saved.learned.dwell.heavy).toEqual({ v: 400_000, n: 3 });
    const second = new LearnedModel();
    const c2 = component(second);
    await c2.start();
    expect(second.dwellMs('heavy', 1)).toBe(400_000);
    await c2.stop();
  });

  it('starts with an empty model when the file is not JSON, and writes a sound one at stop', async () => {
    await writeFile(path.join(dir, learnedStateFile), '{ not json');
    const model = new LearnedModel();
    const c = component(model);
    await c.start();
    expect(model.state()).toEqual({ version: 1, speed: {}, dwell: {} });
    await c.stop();
  });

  it('keeps the delay notices told for open tasks: a restart does not tell the customer twice; a task gone is forgotten in the file', async () => {
    const window = { from: new Date(T0).toISOString(), to: new Date(T0 + 3_600_000).toISOString() };
    let tasks: EtaTask[] = [{ id: 'A', kit: 'k', address: north(2000), window, sequence: 1 }];
    const run = (): { c: EtaComponent; eta: EtaTracker; sink: MemorySink } => {
      const sink = new MemorySink();
      const model = new LearnedModel();
      let c: EtaComponent | undefined;
      const eta = new EtaTracker({ sink, tasksFor: (kit) => tasks.filter((t) => t.kit === kit), log: silentLog, model, options: { tickMs: 3_600_000 }, toldChanged: () => c?.toldChanged() });
      const workload = new KitWorkload({ sink: new MemorySink(), log: silentLog });
      c = new EtaComponent({ eta, workload, bus: new EventBus(silentLog), registry: new Registry(), lockerDevices: new Set(), learned: { model, dataDir: dir, log: silentLog } });
      return { c, eta, sink };
    };
    const told = async (): Promise<unknown> => JSON.parse(await readFile(path.join(dir, learnedStateFile), 'utf8')).told;
    const first = run();
    await first.c.start();
    await first.eta.exception('k', 'A', 'customer-absent', T0, 'app-1');
    expect(first.sink.records.filter((r) => r.kind === 'pickup.delay')).toHaveLength(1);
    await first.c.stop();
    expect(await told()).toEqual([['k', 'A', 'exception:customer-absent']]);

    const second = run();
    await second.c.start();
    await second.eta.exception('k', 'A', 'customer-absent', T0 + 60_000, 'app-1');
    expect(second.sink.records.filter((r) => r.kind === 'pickup.delay')).toEqual([]);
    await second.eta.exception('k', 'A', 'damaged', T0 + 60_000, 'app-1');
    expect(second.sink.records.filter((r) => r.kind === 'pickup.delay').map((r) => r.body.reason)).toEqual(['damaged']);
    // the task closes: what was told of it leaves the file
    tasks = [];
    second.eta.taskClosed('k', 'A');
    await second.c.stop();
    expect(await told()).toEqual([]);
  });

  it('keeps the leg length out of the way of a van that barely moved', () => {
    const m = new LearnedModel();
    m.observeLeg({ from: north(0), to: north(50), departedAt: T0, arrivedAt: T0 + 60_000 });
    expect(m.state().speed).toEqual({});
    expect(haversineM(north(0), north(50))).toBeLessThan(150);
  });
});
