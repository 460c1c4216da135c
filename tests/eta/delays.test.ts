import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import sinon from 'sinon';
import { EtaTracker, type EtaTask } from '../../eta/index.js';
import { laneOf } from '../../cloud-sync/journal/records.js';
import { FAKED, M_PER_DEG_LAT, MemorySink, positionEvent, silentLog } from './fakes.js';

const T0 = Date.parse('2025-03-10T08:00:00.000Z');
const KIT = 'van-7';
const START = { lat: 48.1, lon: 11.5 };
const north = (m: number): { lat: number; lon: number } => ({ lat: START.lat + m / M_PER_DEG_LAT, lon: START.lon });
const iso = (ms: number): string => new Date(ms).toISOString();

/** pickup.delay: the customer told first, once per cause */
describe('delay notices', () => {
  let clock: sinon.SinonFakeTimers;
  let sink: MemorySink;
  let tasks: EtaTask[];
  let tr: EtaTracker;

  beforeEach(async () => {
    clock = sinon.useFakeTimers({ now: T0, toFake: FAKED });
    sink = new MemorySink();
    // 12 km north (15.6 km of road): about 22 min at 43.2 km/h; A's window ends in 60 min, B's in 10
    tasks = [
      { id: 'A', kit: KIT, address: north(6000), window: { from: iso(T0), to: iso(T0 + 3_600_000) }, sequence: 1 },
      { id: 'B', kit: KIT, address: north(12_000), window: { from: iso(T0), to: iso(T0 + 600_000) }, sequence: 2 },
    ];
    tr = new EtaTracker({ sink, tasksFor: (kit) => tasks.filter((t) => t.kit === kit), log: silentLog, now: () => Date.now() });
    await tr.start();
  });
  afterEach(async () => {
    await tr.stop();
    clock.restore();
  });

  const fix = (m: number, speedKmh: number) => positionEvent(KIT, { ...north(m), speedKmh, fix: '3d', at: iso(Date.now()) }, Date.now());
  const delays = () => sink.records.filter((r) => r.kind === 'pickup.delay');

  it('an ETA past its window: one pickup.delay on the live lane with the new ETA, however many fixes follow', async () => {
    await tr.handle(fix(0, 43.2));
    expect(delays()).toHaveLength(1);
    const [d] = delays();
    expect(laneOf['pickup.delay']).toBe('live');
    expect(d).toMatchObject({ kind: 'pickup.delay', stream: `delay:${KIT}`, kit: KIT, body: { taskId: 'B', cause: 'eta-late', reason: 'eta-past-window', window: tasks[1].window } });
    const eta = Date.parse(String(d.body.eta));
    expect(eta).toBeGreaterThan(T0 + 600_000);
    expect(d.body.lateByMin).toBeCloseTo((eta - (T0 + 600_000)) / 60_000, 0);
    expect(d.body.noticeAfterMs).toBeLessThan(1000);
    // the eta.update of the same evaluation carries the same ETA
    expect(sink.updates.find((r) => r.body.taskId === 'B')?.body.eta).toBe(d.body.eta);
    for (let i = 1; i <= 60; i++) {
      await clock.tickAsync(5_000);
      await tr.handle(fix(i * 20, 10));
    }
    expect(delays()).toHaveLength(1);
  });

  it('an exception: one notice with its reason at once; the same reason again is not told twice, another reason is', async () => {
    await tr.handle(fix(0, 43.2));
    const before = delays().length;
    const at = Date.now();
    await tr.exception(KIT, 'A', 'customer-absent', at, 'app-1');
    await tr.exception(KIT, 'A', 'customer-absent', at + 1000, 'app-1');
    const notices = delays().slice(before);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ devices: ['app-1'], body: { taskId: 'A', cause: 'exception', reason: 'customer-absent', causeAt: iso(at), noticeAfterMs: 0 } });
    expect(notices[0].body.eta).toBe(sink.updates.find((r) => r.body.taskId === 'A')?.body.eta);
    await tr.exception(KIT, 'A', 'damaged', at);
    await tr.exception(KIT, 'unknown-task', 'damaged', at);
    expect(delays().slice(before).map((r) => r.body.reason)).toEqual(['customer-absent', 'damaged']);
  });

  it('a notice the journal refused is told on the next cause; one within the window is never told', async () => {
    tasks[1].window = { from: iso(T0), to: iso(T0 + 7_200_000) };
    await tr.handle(fix(0, 43.2));
    expect(delays()).toEqual([]);
    sink.refuse = true;
    await tr.exception(KIT, 'B', 'refused', Date.now());
    sink.refuse = false;
    await tr.exception(KIT, 'B', 'refused', Date.now());
    expect(delays().map((r) => r.body.reason)).toEqual(['refused']);
    expect(tr.stats().delays).toBe(1);
  });
});
