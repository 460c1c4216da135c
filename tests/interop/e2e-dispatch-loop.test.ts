/**
 * The dispatch loop end to end: the compiled gateway as a child process with two vans,
 * the reference dispatch over HTTP assigning pickup requests by the vans' kit.workload
 * records. Request p1 goes to the nearer van (kit-2), whose courier declines it
 * (vehicle-full): it is reassigned to kit-1, accepted, gets an ETA, is picked up and its
 * receipt reaches dispatch. Request p2 goes to kit-2 again and is left unanswered: after
 * tasks.unacknowledgedMs it is reassigned to kit-1 and accepted there. The summary gives
 * the assignment-to-accept times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../core/passwords.js';
import { startDispatchSim } from '../../simulators/dispatch/index.js';
import { configureGateway, Kit, PICKUP_ADDRESS, s10, until, Watcher } from '../helpers/e2e.js';

const PASSWORD = 'e2e-device-secret';
const TOKEN = 'e2e-dispatch-token';
const WAIT_MS = 2500;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});
let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

const dev = (id: string, kit: string, kind: string) => ({ id, kind, kit, transport: { type: 'mqtt' }, credentials: { passwordHash } });

describe('dispatch assigns, the courier answers, the van picks up (two vans)', () => {
  it('request -> assign -> decline -> reassign -> accept -> ETA -> pickup -> receipt; an unanswered one reassigned too', async () => {
    const dispatch = await startDispatchSim({ token: TOKEN });
    cleanups.push(() => dispatch.close());
    const { gateway, gatewayId } = await configureGateway('loop', cleanups, () => ({
      kits: [{ id: 'kit-1' }, { id: 'kit-2' }],
      devices: [...Kit.devices('kit-1', passwordHash), dev('app-1', 'kit-1', 'app'), dev('app-2', 'kit-2', 'app'), dev('gps-2', 'kit-2', 'gps')],
      dispatch: { transport: 'http', url: dispatch.url, token: TOKEN },
      tasks: { unacknowledgedMs: WAIT_MS },
    }));
    await gateway.start();

    const van1 = new Kit(gateway.mqttUrl, 'kit-1', PASSWORD);
    const app1 = new Watcher(gateway.mqttUrl, 'app-1', PASSWORD, ['cg/v1/kits/kit-1/tasks']);
    const app2 = new Watcher(gateway.mqttUrl, 'app-2', PASSWORD, ['cg/v1/kits/kit-2/tasks']);
    const gps2 = new Watcher(gateway.mqttUrl, 'gps-2', PASSWORD, ['cg/v1/devices/gps-2/commands/#']);
    cleanups.push(() => van1.close(), () => app1.close(), () => app2.close(), () => gps2.close());
    await Promise.all([van1.ready(), app1.ready(), app2.ready(), gps2.ready()]);

    // kit-2 waits 300 m from the address, kit-1 about 3 km away
    await gps2.publish('cg/v1/devices/gps-2/events/position', { lat: PICKUP_ADDRESS.lat + 0.0027, lon: PICKUP_ADDRESS.lon, fix: '3d', speedKmh: 0 });
    await van1.gps.publish('cg/v1/devices/gps-1/events/position', { lat: PICKUP_ADDRESS.lat + 0.027, lon: PICKUP_ADDRESS.lon, fix: '3d', speedKmh: 0 });
    type Load = { kit: string; position: unknown };
    const located = (kit: string) => dispatch.records({ kind: 'kit.workload', gatewayId }).some((r) => (r.body as Load).kit === kit && (r.body as Load).position !== null);
    await until(() => located('kit-1') && located('kit-2'), 'both vans located at dispatch', 15_000, 100);

    const now = Date.now();
    const window = { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3 * 3_600_000).toISOString() };
    const waybill = s10(71_000_003);
    const p1 = dispatch.request({ id: 'p1', customer: 'Quay Books', address: PICKUP_ADDRESS, window, waybill, declaredWeightGrams: 1200 });
    expect(p1.attempts.map((a) => a.kit)).toEqual(['kit-2']);

    type TaskList = { tasks: { id: string }[] };
    const has = (w: Watcher, id: string) => w.next((m) => (m.payload as TaskList).tasks.some((t) => t.id === id), 0, 15_000);
    await has(app2, 'p1');
    await app2.publish('cg/v1/devices/app-2/events/task', { taskId: 'p1', response: 'decline', reason: 'vehicle-full' });
    await until(() => p1.attempts.length === 2, 'p1 reassigned', 15_000, 100);
    expect(p1.attempts.map((a) => [a.kit, a.outcome])).toEqual([
      ['kit-2', 'declined'],
      ['kit-1', undefined],
    ]);
    await has(app1, 'p1');
    await app1.publish('cg/v1/devices/app-1/events/task', { taskId: 'p1', response: 'accept' });
    await until(() => p1.state === 'accepted', 'p1 accepted at dispatch', 15_000, 100);

    // the van's ETA for p1, then the pickup and its receipt at dispatch
    const etaFor = () => dispatch.records({ kind: 'eta.update', gatewayId }).find((r) => (r.body as { taskId?: string }).taskId === 'p1');
    await until(etaFor, 'an ETA of p1 at dispatch', 15_000, 100);
    const picked = await van1.pickup(waybill, 1200);
    await until(() => p1.state === 'picked-up', 'p1 picked up at dispatch', 15_000, 100);
    expect(p1.receipt).toBe(picked.receipt);

    // p2: kit-2 is nearest again, its courier does not answer; reassigned after the wait
    const p2 = dispatch.request({ id: 'p2', customer: 'Harbour Cafe', address: PICKUP_ADDRESS, window });
    expect(p2.attempts.map((a) => a.kit)).toEqual(['kit-2']);
    await until(() => p2.attempts.length === 2, 'p2 reassigned after no answer', 20_000, 100);
    expect(p2.attempts[0]).toMatchObject({ kit: 'kit-2', outcome: 'unacknowledged' });
    await has(app1, 'p2');
    await app1.publish('cg/v1/devices/app-1/events/task', { taskId: 'p2', response: 'accept' });
    await until(() => p2.state === 'accepted', 'p2 accepted at dispatch', 15_000, 100);

    const sum = dispatch.summary().assignments;
    expect(sum).toMatchObject({ requests: 2, pickedUp: 1, accepted: 1, declined: 1, unacknowledged: 1, reassigned: 2 });
    expect(sum.assignToAcceptMs.count).toBe(2);
    expect(dispatch.summary().rejected).toBe(0);
    console.log(`dispatch loop: assignment-to-accept median ${sum.assignToAcceptMs.median} ms, max ${sum.assignToAcceptMs.max} ms (dispatch side, HTTP sync included)`);
  });
});
