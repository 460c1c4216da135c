/**
 * Issue 7, "Done when", end to end over HTTP: the compiled gateway as a child process, a
 * kit of MQTT-native devices, the reference dispatch. 20 pickups are made while dispatch
 * answers 503, the gateway is killed (SIGKILL) after the 10th and started again; once
 * dispatch is up, every acknowledged pickup reaches it under its id, once, gapless, and
 * nothing is dead-lettered. A task.assign served on the downlink shows retained on the
 * kit's tasks topic; a task.cancel takes it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../core/passwords.js';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';
import { configureGateway, deadLetters, Kit, pickupTask, s10, until, Watcher, type GatewayChild, type PickupResult } from '../helpers/e2e.js';

const PASSWORD = 'e2e-device-secret';
const TOKEN = 'e2e-dispatch-token';
const KIT = 'kit-1';
const N = 20;

let passwordHash: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

interface Setup {
  workDir: string;
  dataDir: string;
  gateway: GatewayChild;
  dispatch: DispatchSim;
  gatewayId: string;
}

async function setup(name: string, extra: Record<string, unknown>, dispatchDown: boolean): Promise<Setup> {
  const dispatch = await startDispatchSim({ token: TOKEN, faults: { down: dispatchDown } });
  cleanups.push(() => dispatch.close());
  const { workDir, dataDir, gateway, gatewayId } = await configureGateway(name, cleanups, () => ({
    kits: [{ id: KIT }],
    operators: [{ username: 'tech', passwordHash }],
    devices: Kit.devices(KIT, passwordHash),
    dispatch: { transport: 'http', url: dispatch.url, token: TOKEN },
    ...extra,
  }));
  return { workDir, dataDir, gateway, dispatch, gatewayId };
}

describe('sync to the reference dispatch over HTTP', () => {
  it('20 pickups made while dispatch answers 503, SIGKILL after the 10th: all reach dispatch once, gapless, nothing dead-lettered', async () => {
    const t0 = Date.now();
    const waybills = Array.from({ length: N }, (_, i) => s10(47_310_000 + i * 7));
    const grams = waybills.map((_, i) => 800 + i * 113);
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'cg-e2e-tasks-'));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));
    const tasksFile = path.join(workDir, 'tasks.json');
    await writeFile(tasksFile, JSON.stringify({ tasks: waybills.map((w, i) => pickupTask(KIT, `task-${i + 1}`, w, grams[i], i + 1)) }));
    const s = await setup('sync', { tasks: { file: tasksFile } }, true);
    await s.gateway.start();
    const kit = new Kit(s.gateway.mqttUrl, KIT, PASSWORD);
    cleanups.push(() => kit.close());

    const done: PickupResult[] = [];
    try {
      for (let i = 0; i < N; i++) {
        done.push(await kit.pickup(waybills[i], grams[i]));
        if (i === 9) {
          await s.gateway.kill();
          await s.gateway.start();
        }
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- gateway log ---\n${await s.gateway.logTail()}`);
    }
    const pickupsMs = Date.now() - t0;
    // nothing reached dispatch while it was down
    expect(s.dispatch.summary().distinctIds).toBe(0);
    expect(s.dispatch.summary().requests.faulted).toBeGreaterThan(0);

    s.dispatch.setFaults({ down: false });
    const upAt = Date.now();
    await until(() => (s.dispatch.summary().perKind['pickup.completed'] ?? 0) >= N, `${N} pickups at dispatch`, 40_000, 100);
    await until(async () => (await s.gateway.health()).body.components?.journal?.depth?.records === 0, 'the records lane to drain', 10_000, 100);
    const drainMs = Date.now() - upAt;

    const sum = s.dispatch.summary();
    const pickups = s.dispatch.records({ kind: 'pickup.completed', gatewayId: s.gatewayId });
    expect(pickups).toHaveLength(N);
    expect(new Set(pickups.map((r) => r.id)).size).toBe(N);
    // every pickup the kit heard "recorded" for is at dispatch under the same id, waybill and receipt
    expect(new Map(pickups.map((r) => [r.id, [(r.body as { waybill: string }).waybill, (r.body as { receipt: string }).receipt]]))).toEqual(
      new Map(done.map((p) => [p.recordId, [p.waybill, p.receipt]])),
    );
    expect(new Set(pickups.map((r) => (r.body as { waybill: string }).waybill))).toEqual(new Set(waybills));
    expect(pickups.map((r) => r.stream)).toEqual(Array(N).fill(KIT));
    expect(pickups.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    // two boots: the pickups before the power cut and after it carry different boot ids
    const boots = new Set(pickups.map((r) => r.bootId));
    expect(boots.size).toBe(2);
    expect(sum.streams[`${s.gatewayId}/${KIT}`]).toMatchObject({ count: N, maxSeq: N, missingCount: 0 });
    expect(sum.gapCount).toBe(0);
    expect(sum.changedUnderSameId).toBe(0);
    expect(sum.rejected).toBe(0);
    expect(sum.malformed).toBe(0);
    expect(await deadLetters(s.dataDir)).toEqual([]);
    const health = (await s.gateway.health()).body;
    expect(health.components?.journal?.rejected).toBe(0);
    console.log(`e2e-sync: ${N} pickups + 1 power cut in ${pickupsMs} ms; drained ${drainMs} ms after dispatch came up; dispatch saw ${sum.received} records ${JSON.stringify(sum.perKind)} (${sum.duplicates} duplicates), ${sum.requests.faulted} requests answered 503`);
  });

  it('a task.assign served on the downlink appears retained on the kit tasks topic; a task.cancel removes it', async () => {
    const s = await setup('downlink', {}, false);
    await s.gateway.start();
    const task = pickupTask(KIT, 'task-dl-1', s10(55_001_234), 1500, 1);
    await s.dispatch.addDownlink({ gatewayId: s.gatewayId, items: [{ id: 'dl-assign-1', kind: 'task.assign', task }] });

    type TasksMsg = { kit: string; tasks: { id: string; waybill?: string }[] };
    const tasksOf = (m: { payload: unknown }) => (m.payload as TasksMsg).tasks.map((x) => x.id);
    const watch = new Watcher(s.gateway.mqttUrl, 'tech', PASSWORD, [`cg/v1/kits/${KIT}/tasks`]);
    cleanups.push(() => watch.close());
    await watch.ready();
    const assigned = await watch.next((m) => tasksOf(m).includes('task-dl-1'), 0, 10_000);
    expect(assigned.payload).toMatchObject({ kit: KIT, tasks: [{ id: 'task-dl-1', waybill: task.waybill, kit: KIT }] });

    // a late subscriber (a device of the kit) gets it retained
    const late = new Watcher(s.gateway.mqttUrl, 'scanner-1', PASSWORD, [`cg/v1/kits/${KIT}/tasks`]);
    cleanups.push(() => late.close());
    await late.ready();
    const retained = await late.next(() => true, 0, 3000);
    expect(tasksOf(retained)).toEqual(['task-dl-1']);

    const mark = watch.mark;
    await s.dispatch.addDownlink({ gatewayId: s.gatewayId, items: [{ id: 'dl-cancel-1', kind: 'task.cancel', taskId: 'task-dl-1' }] });
    const cancelled = await watch.next((m) => !tasksOf(m).includes('task-dl-1'), mark, 10_000);
    expect(tasksOf(cancelled)).toEqual([]);

    // and what a subscriber arriving now is given no longer holds it
    const later = new Watcher(s.gateway.mqttUrl, 'tech', PASSWORD, [`cg/v1/kits/${KIT}/tasks`]);
    cleanups.push(() => later.close());
    await later.ready();
    const now = await later.next(() => true, 0, 3000);
    expect(tasksOf(now)).toEqual([]);
    expect((await s.gateway.health()).body.components?.sync?.applied).toBe(2);
  });
});
