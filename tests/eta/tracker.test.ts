import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import sinon from 'sinon';
import { Registry } from 'prom-client';
import { EtaTracker, registerEtaMetrics, type ClockView, type EtaTask } from '../../eta/index.js';
import type { DeviceEvent } from '../../devices/events.js';
import { FAKED, M_PER_DEG_LAT, MemorySink, positionEvent, silentLog } from './fakes.js';

const T0 = Date.parse('2025-03-10T08:00:00.000Z');
const KIT = 'van-7';
const START = { lat: 48.1, lon: 11.5 };
const north = (m: number): { lat: number; lon: number } => ({ lat: START.lat + m / M_PER_DEG_LAT, lon: START.lon });
const iso = (ms: number): string => new Date(ms).toISOString();
const task = (id: string, sequence: number, m: number): EtaTask => ({
  id,
  kit: KIT,
  address: north(m),
  window: { from: iso(T0), to: iso(T0 + 3_600_000) },
  sequence,
});

describe('EtaTracker', () => {
  let clock: sinon.SinonFakeTimers;
  let sink: MemorySink;
  let tasks: EtaTask[];

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0, toFake: FAKED });
    sink = new MemorySink();
    tasks = [];
  });
  afterEach(() => clock.restore());

  function make(extra: { clock?: ClockView; options?: ConstructorParameters<typeof EtaTracker>[0]['options'] } = {}) {
    return new EtaTracker({
      sink,
      tasksFor: (kit) => tasks.filter((t) => t.kit === kit),
      log: silentLog,
      now: () => Date.now(),
      ...extra,
    });
  }
  const fix = (m: number, speedKmh: number, at = Date.now()) =>
    positionEvent(KIT, { ...north(m), speedKmh, fix: '3d', at: iso(at) }, Date.now());
  const etaS = (i: number): number => (Date.parse(String(sink.updates[i].body.eta)) - T0) / 1000;

  it('republishes every ETA when the tasks change, drops cancelled ones, and adds new ones', async () => {
    tasks = [task('a', 1, 6000), task('b', 2, 12_000)];
    const tr = make();
    await tr.start();
    await tr.handle(fix(0, 43.2));
    expect(sink.updates.map((r) => [r.body.taskId, r.body.reason])).toEqual([['a', 'new'], ['b', 'new']]);
    await clock.tickAsync(10_000);
    tasks = [task('b', 1, 12_000), task('c', 2, 6000)];
    await tr.tasksChanged(KIT);
    expect(sink.updates.slice(2).map((r) => [r.body.taskId, r.body.reason, r.body.legs])).toEqual([
      ['b', 'tasks', 1],
      ['c', 'new', 2],
    ]);
    // b first now: 12 000 m straight × 1.3 at 12 m/s = 1300 s from t = 10 s
    expect(etaS(2)).toBeCloseTo(1310, 3);
    await tr.stop();
  });

  it('publishes ETAs for the next publishStops stops only; a later stop gets its first as the ones before it close', async () => {
    tasks = Array.from({ length: 30 }, (_, i) => task(`t${i}`, i, 1000 * (i + 1)));
    const tr = make({ options: { publishStops: 3 } });
    await tr.start();
    await tr.handle(fix(0, 43.2));
    expect(sink.updates.map((r) => r.body.taskId)).toEqual(['t0', 't1', 't2']);
    // t0 picked up: it leaves the list; the next evaluation brings t3 in
    tasks = tasks.slice(1);
    tr.taskClosed(KIT, 't0');
    await clock.tickAsync(16_000);
    await tr.handle(fix(10, 43.2));
    const later = sink.updates.slice(3).map((r) => [r.body.taskId, r.body.reason]);
    expect(later).toContainEqual(['t3', 'new']);
    expect(later.every(([id]) => ['t1', 't2', 't3'].includes(String(id)))).toBe(true);
    await tr.stop();
  });

  it('re-plans on its timer while the GPS is silent: the ETA slides and is republished once moved 2 min', async () => {
    tasks = [task('a', 1, 6000)];
    const tr = make();
    await tr.start();
    await tr.handle(fix(0, 43.2));
    expect(etaS(0)).toBeCloseTo(650, 3); // 7800 m of road at 12 m/s
    await clock.tickAsync(60_000);
    expect(sink.updates).toHaveLength(1);
    await clock.tickAsync(60_000);
    expect(sink.updates).toHaveLength(2);
    expect(sink.updates[1].body.reason).toBe('moved');
    expect(etaS(1)).toBeCloseTo(770, 3);
    await tr.stop();
  });

  it('evaluates a stream of fixes at most every 15 s, and every 5 min at the latest', async () => {
    tasks = [task('a', 1, 60_000)];
    const tr = make({ options: { tickMs: 3_600_000 } });
    await tr.start();
    const times: number[] = [];
    for (let s = 0; s <= 600; s++) {
      if (s > 0) await clock.tickAsync(1000);
      await tr.handle(fix((s * 12) / 1.3, 43.2));
    }
    for (const r of sink.updates) times.push((r.appendedAt - T0) / 1000);
    expect(times).toEqual([0, 300, 600]);
    expect(sink.updates.map((r) => r.body.reason)).toEqual(['new', 'periodic', 'periodic']);
    await tr.stop();
  });

  it('retries an update the journal refused at the next evaluation', async () => {
    tasks = [task('a', 1, 6000)];
    const tr = make();
    await tr.start();
    sink.refuse = true;
    await tr.handle(fix(0, 43.2));
    expect(tr.stats().refused).toBe(1);
    sink.refuse = false;
    await clock.tickAsync(15_000);
    await tr.handle(fix((15 * 12) / 1.3, 43.2));
    expect(sink.updates.map((r) => r.body.reason)).toEqual(['new']);
    expect(tr.stats().updates).toBe(1);
    await tr.stop();
  });

  it('publishes true UTC when the system clock is off by a known offset', async () => {
    const OFF = 90_000; // system clock 90 s ahead of GPS
    tasks = [task('a', 1, 0)];
    tasks[0].window = { from: iso(T0 - 60_000), to: iso(T0 - 10_000) };
    const tr = make({ clock: { quality: () => 'unsynced', offsetMs: () => OFF } });
    await tr.start();
    for (let s = 0; s <= 20; s += 5) {
      if (s > 0) await clock.tickAsync(5000);
      await tr.handle(fix(0, 0, Date.now() - OFF));
    }
    expect(sink.updates[0].body.eta).toBe(iso(T0 - OFF));
    expect(sink.updates[0].body.positionAt).toBe(iso(T0 - OFF));
    expect(sink.updates[0].body.clockOffsetMs).toBe(OFF);
    const [a] = tr.arrivals(KIT);
    expect(a.arrivedAt).toBe(iso(T0 - OFF));
    // true arrival 07:58:30 is before the window 07:59:00-07:59:50 (on system time it would be late)
    expect(a.timing).toBe('early');
    await tr.stop();
  });

  it('serves two tasks at one address as one stop and learns the dwell per task', async () => {
    tasks = [task('x', 1, 500), task('y', 2, 520), task('z', 3, 3000)];
    const tr = make({ options: { tickMs: 3_600_000 } });
    await tr.start();
    let s = 0;
    const step = async (m: number, kmh: number): Promise<void> => {
      await clock.tickAsync(5000);
      s += 5;
      await tr.handle(fix(m, kmh));
    };
    await tr.handle(fix(0, 43.2));
    await step(480, 43.2);
    for (let i = 0; i < 60; i++) await step(505, 0); // 300 s at the door
    await step(640, 30);
    expect(s).toBe(310);
    expect(tr.visits(KIT)).toEqual([
      { kit: KIT, taskIds: ['x', 'y'], arrivedAt: iso(T0 + 10_000), departedAt: iso(T0 + 310_000), dwellMs: 300_000 },
    ]);
    expect(tr.arrivals(KIT).map((a) => a.taskId)).toEqual(['x', 'y']);
    // 240 + 0.3 (150 - 240)
    expect(tr.dwellMs(KIT)).toBeCloseTo(213_000, 6);
    await tr.stop();
  });

  it('ignores other events and positions without a kit; counts dropped positions by reason', async () => {
    tasks = [task('a', 1, 6000)];
    const tr = make();
    await tr.start();
    const scan: DeviceEvent<'scan'> = { deviceId: 's', kit: KIT, type: 'scan', payload: { code: 'X' }, receivedAt: T0 };
    await tr.handle(scan);
    await tr.handle({ ...fix(0, 10), kit: undefined });
    await tr.handle(positionEvent(KIT, { lat: 0, lon: 0 }, T0));
    await tr.handle(positionEvent(KIT, { ...START, fix: 'none' }, T0));
    await tr.handle(positionEvent(KIT, { ...START, at: iso(T0 - 120_000) }, T0));
    expect(sink.updates).toHaveLength(0);
    const st = tr.stats();
    expect(st.accepted).toBe(0);
    expect(st.rejected).toMatchObject({ 'null-island': 1, 'no-fix': 1, stale: 1 });
    await tr.stop();
  });

  it('exposes ETA error and arrivals as Prometheus gauges', async () => {
    tasks = [task('a', 1, 0)];
    const tr = make({ options: { tickMs: 3_600_000, horizonsMin: [0] } });
    await tr.start();
    await tr.handle(fix(0, 0));
    for (let i = 0; i < 4; i++) {
      await clock.tickAsync(5000);
      await tr.handle(fix(0, 0));
    }
    const registry = new Registry();
    registerEtaMetrics(registry, tr);
    const text = await registry.metrics();
    expect(text).toContain('cg_eta_error_mae_minutes{horizon="0m"} 0');
    expect(text).toContain('cg_eta_error_samples{horizon="0m"} 1');
    expect(text).toContain('cg_eta_arrivals{timing="on-time"} 1');
    expect(text).toContain('cg_eta_updates 1');
    expect(text).toContain('cg_eta_positions_dropped{reason="stale"} 0');
    await tr.stop();
  });
});
