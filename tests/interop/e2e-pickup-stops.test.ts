/**
 * Issue 17 (weight before scan, several parcels per stop, delay notices) as a black box:
 * the compiled gateway as a child process, MQTT-native devices, the reference dispatch.
 * Only the bus and dispatch are looked at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashPassword } from '../../core/passwords.js';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';
import { metricValue } from '../helpers/gateway.js';
import { configureGateway, Kit, PICKUP_ADDRESS, pickupTask, s10, until, Watcher, type GatewayChild } from '../helpers/e2e.js';

const PASSWORD = 'e2e-stops-secret';
const TOKEN = 'e2e-stops-dispatch';
const KIT = 'kit-1';
const WINDOW_MS = 2000;

/** undone last first, after the file's tests */
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
});

type Msg = { topic: string; payload: unknown };
type Body = Record<string, unknown>;
const dev = (id: string, type: string) => `cg/v1/devices/${id}/events/${type}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pickups as couriers make them, over MQTT', () => {
  let gateway: GatewayChild;
  let dispatch: DispatchSim;
  let kit: Kit;
  let watch: Watcher;
  const W1 = s10(61_000_001);
  const W2 = s10(61_000_002);
  const W_ABSENT = s10(61_000_004);
  const P = [s10(62_000_001), s10(62_000_002), s10(62_000_003)];

  beforeAll(async () => {
    const passwordHash = await hashPassword(PASSWORD);
    const now = Date.now();
    const far = { text: 'far away', lat: PICKUP_ADDRESS.lat + 0.5, lon: PICKUP_ADDRESS.lon };
    const tasks = [
      pickupTask(KIT, 'T-W1', W1, 1250, 1),
      pickupTask(KIT, 'T-W2', W2, 900, 2),
      { ...pickupTask(KIT, 'T-3', W1, 1, 3), waybill: undefined, declaredWeightGrams: undefined, expectedPieces: 3 },
      pickupTask(KIT, 'T-ABSENT', W_ABSENT, 700, 4),
      // 55 km away and due within a minute: its ETA is past the window from the first fix
      { ...pickupTask(KIT, 'T-LATE', s10(61_000_009), 500, 9), address: far, window: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString() } },
    ];
    dispatch = await startDispatchSim({ token: TOKEN, faults: { down: true } });
    cleanups.push(() => dispatch.close());
    ({ gateway } = await configureGateway('stops', cleanups, async (workDir) => {
      const tasksFile = path.join(workDir, 'tasks.json');
      await writeFile(tasksFile, JSON.stringify({ tasks }));
      return {
        kits: [{ id: KIT }],
        operators: [{ username: 'tech', passwordHash }],
        devices: Kit.devices(KIT, passwordHash),
        dispatch: { transport: 'http', url: dispatch.url, token: TOKEN },
        tasks: { file: tasksFile },
        rules: { pairingWindowMs: WINDOW_MS },
      };
    }));
    await gateway.start();
    kit = new Kit(gateway.mqttUrl, KIT, PASSWORD);
    cleanups.push(() => kit.close());
    watch = new Watcher(gateway.mqttUrl, 'tech', PASSWORD, [`cg/v1/kits/${KIT}/#`, 'cg/v1/devices/scanner-1/commands/feedback']);
    cleanups.push(() => watch.close());
    await Promise.all([kit.ready(), watch.ready()]);
    await kit.gps.publish(dev('gps-1', 'position'), { lat: PICKUP_ADDRESS.lat, lon: PICKUP_ADDRESS.lon, fix: '3d', accuracyM: 4, speedKmh: 0 });
  }, 60_000);

  const verdictOf = (code: string, from: number) =>
    watch.next((m) => m.topic.endsWith('/verdicts') && (m.payload as Body).type === 'verdict' && ((m.payload as Body).scan as Body)?.code === code, from, 10_000);
  const recordedOf = (verdictId: unknown, from: number) =>
    watch.next((m) => m.topic.endsWith('/verdicts') && (m.payload as Body).type === 'recorded' && (m.payload as Body).verdictId === verdictId, from, 10_000);
  const pending = (from: number) => watch.messages.slice(from).filter((m) => m.topic.endsWith('/verdicts') && (m.payload as Body).type === 'pending');

  it('a parcel on the scale 3 windows before its scan is weighed by the reading the scale still holds: accepted, no pending', async () => {
    const mark = watch.mark;
    await kit.scale.publish(dev('scale-1', 'weight'), { grams: 1250, stable: true });
    // the scale streams the same stable reading meanwhile
    for (let i = 0; i < 6; i++) {
      await sleep(WINDOW_MS / 2);
      await kit.scale.publish(dev('scale-1', 'weight'), { grams: 1250, stable: true });
    }
    await kit.scanner.publish(dev('scanner-1', 'scan'), { code: W1, symbology: 'code128' });
    const v = (await verdictOf(W1, mark)).payload as Body;
    expect(v).toMatchObject({ outcome: 'accepted', taskId: 'T-W1', weight: { grams: 1250, stable: true } });
    expect(Date.parse(String((v.timings as Body).scanAt)) - Date.parse(String((v.timings as Body).weightAt))).toBeGreaterThanOrEqual(3 * WINDOW_MS);
    expect((await recordedOf(v.verdictId, mark)).payload).toMatchObject({ recorded: true, pieces: { piece: 1, of: 1 } });
    expect(pending(mark)).toEqual([]);
    await kit.scale.publish(dev('scale-1', 'weight'), { grams: 0, stable: true });
  });

  it('a scan before the weight: "waiting for weight" at once (pending + feedback), and the wait is in cg_scan_to_verdict_seconds', async () => {
    const sumBefore = await metricValue(gateway.httpUrl, 'cg_scan_to_verdict_seconds_sum');
    const mark = watch.mark;
    await kit.scanner.publish(dev('scanner-1', 'scan'), { code: W2, symbology: 'code128' });
    const p = (await watch.next((m) => (m.payload as Body).type === 'pending', mark, 5000)).payload as Body;
    expect(p).toMatchObject({ kit: KIT, waitingFor: 'weight', message: 'waiting for weight', windowMs: WINDOW_MS, scan: { code: W2, deviceId: 'scanner-1' } });
    const fb = await watch.next((m) => m.topic.endsWith('/commands/feedback') && String((m.payload as Body).text).startsWith('Waiting for weight'), mark, 5000);
    expect(fb.payload).toMatchObject({ light: 'amber' });
    await sleep(WINDOW_MS / 2);
    await kit.scale.publish(dev('scale-1', 'weight'), { grams: 900, stable: true });
    const v = (await verdictOf(W2, mark)).payload as Body;
    expect(v).toMatchObject({ outcome: 'accepted', pairId: p.pairId });
    await recordedOf(v.verdictId, mark);
    await kit.scale.publish(dev('scale-1', 'weight'), { grams: 0, stable: true });
    const sumAfter = await until(async () => {
      const s = await metricValue(gateway.httpUrl, 'cg_scan_to_verdict_seconds_sum');
      return s > sumBefore ? s : undefined;
    }, 'the scan->verdict histogram to move');
    expect(sumAfter - sumBefore).toBeGreaterThanOrEqual(WINDOW_MS / 2 / 1000 - 0.05);
  });

  it('a stop of three parcels with two ready: pieces 1 and 2 of 3, task state in progress, closed short as a fewer-parcels exception', async () => {
    const mark = watch.mark;
    for (const [i, code] of P.slice(0, 2).entries()) {
      await kit.scanner.publish(dev('scanner-1', 'scan'), { code, symbology: 'code128' });
      await kit.scale.publish(dev('scale-1', 'weight'), { grams: 600 + i * 100, stable: true });
      const v = (await verdictOf(code, mark)).payload as Body;
      expect(v).toMatchObject({ outcome: 'accepted', taskId: 'T-3' });
      expect((await recordedOf(v.verdictId, mark)).payload).toMatchObject({ recorded: true, pieces: { piece: i + 1, of: 3 } });
      await kit.scale.publish(dev('scale-1', 'weight'), { grams: 0, stable: true });
    }
    const state = await watch.next((m) => m.topic === `cg/v1/kits/${KIT}/tasks/T-3` && (m.payload as Body).state === 'in-progress' && ((m.payload as Body).pieces as Body)?.done === 2, mark);
    expect(state.payload).toMatchObject({ open: true, pieces: { done: 2, expected: 3 } });
    // an invalid close is refused at the edge, naming the field
    const errors = new Watcher(gateway.mqttUrl, 'scanner-1', PASSWORD, ['cg/v1/devices/scanner-1/errors'], 'e2e-scanner-errors');
    cleanups.push(() => errors.close());
    await errors.ready();
    await errors.publish(dev('scanner-1', 'close'), { taskId: 'T-3', reason: 'tired' });
    expect(String(((await errors.next(() => true, 0, 5000)).payload as Body).reason)).toContain('reason');
    await kit.scanner.publish(dev('scanner-1', 'close'), { taskId: 'T-3', reason: 'fewer-parcels', note: 'third parcel not packed' });
    const closed = (await watch.next((m) => (m.payload as Body).type === 'closed', mark, 5000)).payload as Body;
    expect(closed).toMatchObject({ taskId: 'T-3', reason: 'fewer-parcels', recorded: true, pieces: { done: 2, expected: 3 } });
    await watch.next((m) => m.topic === `cg/v1/kits/${KIT}/tasks/T-3` && (m.payload as Body).state === 'closed' && (m.payload as Body).open === false, mark);
  });

  it('an absent customer and an ETA past its window: one pickup.delay each, reaching dispatch ahead of the backlog once it is up', async () => {
    const mark = watch.mark;
    await kit.scanner.publish(dev('scanner-1', 'exception'), { taskId: 'T-ABSENT', reason: 'customer-absent' });
    await watch.next((m) => (m.payload as Body).type === 'exception' && (m.payload as Body).recorded === true, mark, 5000);
    // more fixes: no more notices for the same causes
    for (let i = 0; i < 5; i++) {
      await kit.gps.publish(dev('gps-1', 'position'), { lat: PICKUP_ADDRESS.lat, lon: PICKUP_ADDRESS.lon, fix: '3d', accuracyM: 4, speedKmh: 0 });
      await sleep(50);
    }
    const again = watch.mark;
    await kit.scanner.publish(dev('scanner-1', 'exception'), { taskId: 'T-ABSENT', reason: 'customer-absent', note: 'rang again' });
    await watch.next((m) => (m.payload as Body).type === 'exception' && (m.payload as Body).recorded === true, again, 5000);
    await sleep(500);
    expect(dispatch.summary().distinctIds).toBe(0);

    dispatch.setFaults({ down: false });
    await until(() => (dispatch.summary().perKind['pickup.exception'] ?? 0) >= 3 && (dispatch.summary().perKind['pickup.completed'] ?? 0) >= 4, 'the backlog at dispatch', 30_000, 100);
    const all = dispatch.records({});
    const delays = all.filter((r) => r.kind === 'pickup.delay').map((r) => r.body as Body);
    expect(delays.map((d) => [d.taskId, d.cause, d.reason]).sort()).toEqual([
      ['T-ABSENT', 'exception', 'customer-absent'],
      ['T-LATE', 'eta-late', 'eta-past-window'],
    ]);
    const late = delays.find((d) => d.taskId === 'T-LATE')!;
    expect(Date.parse(String(late.eta))).toBeGreaterThan(Date.parse(String((late.window as Body).to)));
    expect(late.lateByMin as number).toBeGreaterThan(0);
    // within a second of the cause: the notice follows the exception record
    const exception = all.find((r) => r.kind === 'pickup.exception' && (r.body as Body).taskId === 'T-ABSENT')!;
    const notice = all.find((r) => r.kind === 'pickup.delay' && (r.body as Body).taskId === 'T-ABSENT')!;
    const afterMs = Date.parse(String(notice.createdAt)) - Date.parse(String(exception.createdAt));
    expect(afterMs).toBeGreaterThanOrEqual(0);
    expect(afterMs).toBeLessThan(1000);
    // ahead of the backlog: both notices reached dispatch before any pickup or exception record
    const firstBacklog = all.findIndex((r) => r.kind === 'pickup.completed' || r.kind === 'pickup.exception');
    const lastDelay = all.map((r) => r.kind).lastIndexOf('pickup.delay');
    expect(lastDelay).toBeLessThan(firstBacklog);
    // the reference dispatch counts them
    expect(dispatch.summary().perKind).toMatchObject({ 'pickup.delay': 2, 'pickup.completed': 4, 'pickup.exception': 3 });
    const pieces = dispatch.records({ kind: 'pickup.completed' }).filter((r) => (r.body as Body).taskId === 'T-3').map((r) => (r.body as Body).pieces);
    expect(pieces).toEqual([{ piece: 1, of: 3 }, { piece: 2, of: 3 }]);
    console.log(`e2e-pickup-stops: delay notice ${afterMs} ms after its exception record; dispatch order ${all.map((r) => r.kind).filter((k) => k.startsWith('pickup')).join(', ')}`);
  });
});
