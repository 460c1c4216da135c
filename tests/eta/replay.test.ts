/**
 * A replayed route: a van drives north to three stops (A, B, C) with a jam before A and
 * one 4 minutes before C, dwells 170 s at A and 290 s at B. Fixes every 5 s, positions
 * evaluated on every fix, the speed smoothing made instantaneous (τ = 1 ms) so each ETA
 * can be worked out by hand: road factor 1.3, 12 m/s of road = 43.2 km/h, a stopped van
 * planned at the 15 km/h floor (25/6 m/s), default dwell 240 s learned with α = 0.3.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import sinon from 'sinon';
import { EtaTracker, etaErrorStats, type EtaTask } from '../../eta/index.js';
import { FAKED, MemorySink, Route, positionEvent, silentLog } from './fakes.js';

const T0 = Date.parse('2025-03-10T08:00:00.000Z');
const KIT = 'van-1';
const V = 12; // m/s of road

// drive 600 s, jam 120 s, drive 400 s to A (t=1120), dwell 170 s, drive 500 s to B (t=1790),
// dwell 290 s, drive 300 s, jam 180 s, drive 200 s to C (t=2760), stay
const route = new Route(
  52.4,
  13.4,
  [
    { untilS: 600, roadMs: V },
    { untilS: 720, roadMs: 0 },
    { untilS: 1120, roadMs: V },
    { untilS: 1290, roadMs: 0 },
    { untilS: 1790, roadMs: V },
    { untilS: 2080, roadMs: 0 },
    { untilS: 2380, roadMs: V },
    { untilS: 2560, roadMs: 0 },
    { untilS: 2760, roadMs: V },
    { untilS: 99_999, roadMs: 0 },
  ],
  1.3,
);

const iso = (s: number): string => new Date(T0 + s * 1000).toISOString();
const task = (id: string, sequence: number, atS: number, from: number, to: number): EtaTask => ({
  id,
  kit: KIT,
  address: route.at(atS),
  window: { from: iso(from), to: iso(to) },
  sequence,
});
// listed out of order on purpose: the route follows `sequence`
const tasks: EtaTask[] = [
  task('C', 3, 2760, 2800, 4000), // arrives 2760: early
  task('A', 1, 1120, 0, 1200), // arrives 1120: on time
  task('B', 2, 1790, 0, 1700), // arrives 1790: late
];

describe('EtaTracker on a replayed route', () => {
  let clock: sinon.SinonFakeTimers;
  let sink: MemorySink;
  let tracker: EtaTracker;

  beforeEach(async () => {
    clock = sinon.useFakeTimers({ now: T0, toFake: FAKED });
    sink = new MemorySink();
    tracker = new EtaTracker({
      sink,
      tasksFor: (kit) => tasks.filter((t) => t.kit === kit),
      log: silentLog,
      now: () => Date.now(),
      options: { speedTauMs: 1, evalEveryMs: 5000, tickMs: 3_600_000 },
    });
    await tracker.start();
    await tracker.tasksChanged(KIT); // no position yet: nothing to publish
    expect(sink.updates).toHaveLength(0);
    for (let t = 0; t <= 2900; t += 5) {
      if (t > 0) await clock.tickAsync(5000);
      const p = route.at(t);
      await tracker.handle(positionEvent(KIT, { ...p, speedKmh: route.speedMs(t) * 3.6, fix: '3d', at: iso(t) }, Date.now()));
    }
  });

  afterEach(async () => {
    await tracker.stop();
    clock.restore();
  });

  it('publishes eta.update exactly when an ETA is new, moved by ≥ 2 min, or 5 min old', () => {
    const got = sink.updates.map((r) => [
      (r.appendedAt - T0) / 1000,
      r.body.taskId,
      Math.round((Date.parse(String(r.body.eta)) - T0) / 100) / 10,
      r.body.reason,
    ]);
    expect(got).toEqual([
      // t=0: 12 000 m of road to A at 12 m/s; then + dwell 240 + 500 s a leg
      [0, 'A', 1000, 'new'], [0, 'B', 1740, 'new'], [0, 'C', 2480, 'new'],
      [300, 'A', 1000, 'periodic'], [300, 'B', 1740, 'periodic'], [300, 'C', 2480, 'periodic'],
      // jam: 4800 m left at 25/6 m/s = 1152 s, legs of 6000 m take 1440 s
      [600, 'A', 1752, 'moved'], [600, 'B', 3432, 'moved'], [600, 'C', 5112, 'moved'],
      // moving again (the ETA had drifted by 115 s at t=715: under 2 min)
      [720, 'A', 1120, 'moved'], [720, 'B', 1860, 'moved'], [720, 'C', 2600, 'moved'],
      [1020, 'A', 1120, 'periodic'], [1020, 'B', 1860, 'periodic'], [1020, 'C', 2600, 'periodic'],
      // left A at 1305 (dwell 185 s -> learned 223.5 s): B 1305 + 485 = 1790, C + 223.5 + 500
      [1320, 'B', 1790, 'periodic'], [1320, 'C', 2513.5, 'periodic'],
      [1620, 'B', 1790, 'periodic'], [1620, 'C', 2513.5, 'periodic'],
      // dwelling at B: leaves at 1790 + 223.5
      [1920, 'C', 2513.5, 'periodic'],
      // left B at 2095 (dwell 305 s): 2095 + 485
      [2220, 'C', 2580, 'periodic'],
      // jam: 2400 m at 25/6 m/s = 576 s; drifts 120 s by t=2500; moving again at 2560
      [2380, 'C', 2956, 'moved'], [2500, 'C', 3076, 'moved'], [2560, 'C', 2760, 'moved'],
    ]);
  });

  it('writes the record the journal coalesces per task', () => {
    const first = sink.updates[1];
    expect(first.kind).toBe('eta.update');
    expect(first.stream).toBe(`eta:${KIT}`);
    expect(first.kit).toBe(KIT);
    expect(first.devices).toEqual(['gps-1']);
    expect(first.coalesceKey).toBe('eta:van-1:B');
    expect(first.body).toMatchObject({
      kit: KIT,
      taskId: 'B',
      eta: iso(1740),
      distanceM: 18_000,
      legs: 2,
      model: 'straight-line',
      speedKmh: 43.2,
      dwellMs: 240_000,
      positionAt: iso(0),
      clockOffsetMs: 0,
    });
  });

  it('detects arrivals 20 s after the van stops in the geofence, and departures 100 m out', () => {
    const arrivals = tracker.arrivals(KIT);
    expect(arrivals.map((a) => [a.taskId, a.arrivedAt, a.departedAt, a.dwellMs, a.timing, a.onTime])).toEqual([
      ['A', iso(1120), iso(1305), 185_000, 'on-time', true],
      ['B', iso(1790), iso(2095), 305_000, 'late', false],
      ['C', iso(2760), undefined, undefined, 'early', false],
    ]);
    expect(tracker.visits(KIT)).toEqual([
      { kit: KIT, taskIds: ['A'], arrivedAt: iso(1120), departedAt: iso(1305), dwellMs: 185_000 },
      { kit: KIT, taskIds: ['B'], arrivedAt: iso(1790), departedAt: iso(2095), dwellMs: 305_000 },
    ]);
  });

  it('learns the dwell per kit as an EWMA from the 4 min default', () => {
    // 240 + 0.3 (185 - 240) = 223.5; 223.5 + 0.3 (305 - 223.5) = 247.95
    expect(tracker.dwellMs(KIT)).toBeCloseTo(247_950, 6);
    expect(tracker.dwellMs('another-kit')).toBe(240_000);
  });

  it('keeps the error of the ETA published 15 and 5 min before each arrival', () => {
    const errors = tracker.arrivals(KIT).map((a) => a.errors.map((e) => [e.horizonMin, Number(e.errorMin.toFixed(6)), e.publishedAt]));
    expect(errors).toEqual([
      // A at 1120: at 220 s the ETA of t=0 (1000); at 820 s the one of t=720 (1120)
      [[15, -2, iso(0)], [5, 0, iso(720)]],
      // B at 1790: at 890 s the one of t=720 (1860); at 1490 s the one of t=1320 (1790)
      [[15, Number((70 / 60).toFixed(6)), iso(720)], [5, 0, iso(1320)]],
      // C at 2760: at 1860 s the one of t=1620 (2513.5); at 2460 s the one of t=2380 (2956)
      [[15, Number((-246.5 / 60).toFixed(6)), iso(1620)], [5, Number((196 / 60).toFixed(6)), iso(2380)]],
    ]);
    const e15 = [-2, 70 / 60, -246.5 / 60];
    const e5 = [0, 0, 196 / 60];
    expect(tracker.etaErrors(15)).toEqual(e15.map((e) => expect.closeTo(e, 9)));
    const s15 = tracker.etaErrorStats(15)!;
    expect(s15.maeMin).toBeCloseTo((2 + 70 / 60 + 246.5 / 60) / 3, 9);
    expect(s15.biasMin).toBeCloseTo((-2 + 70 / 60 - 246.5 / 60) / 3, 9);
    expect(s15.withinShare).toBe(1);
    expect(tracker.etaErrorStats(15, 2)!.withinShare).toBeCloseTo(2 / 3, 12);
    expect(tracker.etaErrorStats(5)!.rmseMin).toBeCloseTo(Math.sqrt((196 / 60) ** 2 / 3), 9);
    expect(tracker.etaErrorStats()).toEqual(etaErrorStats(tracker.etaErrors()));
    expect(tracker.etaErrors()).toHaveLength(e15.length + e5.length);
  });

  it('gives the operating figures for the demo', () => {
    const f = tracker.figures(KIT);
    expect(f).toMatchObject({ arrivals: 3, onTime: 1, early: 1, late: 1, onTimeShare: 1 / 3, departures: 2, meanDwellMs: 245_000 });
    expect(f.etaError['15min']?.n).toBe(3);
    expect(f.etaError['5min']?.withinShare).toBe(1);
    const st = tracker.stats();
    expect(st.accepted).toBe(581);
    expect(st.updates).toBe(24);
    expect(Object.values(st.rejected).every((n) => n === 0)).toBe(true);
  });
});
