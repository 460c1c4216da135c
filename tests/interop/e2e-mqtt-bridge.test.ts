/**
 * Issue 7, "Done when", the same flow over the MQTT bridge: the compiled gateway as a child
 * process bridging to Debian's Mosquitto as the cloud broker, the reference dispatch on
 * Mosquitto's side. 10 pickups while dispatch does not answer (batches reach the broker but
 * nobody acks them), SIGKILL after the 5th; once dispatch answers, each pickup is there
 * once, gapless, nothing dead-lettered. A task.assign on the downlink reaches the kit's
 * retained tasks topic; a task.cancel takes it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../core/passwords.js';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';
import { Mosquitto } from '../cloud-sync/sync/mosquitto.js';
import { deadLetters, freePort, GatewayChild, Kit, pickupTask, s10, until, Watcher, writeGatewayConfig, type PickupResult } from '../helpers/e2e.js';

const PASSWORD = 'e2e-device-secret';
const KIT = 'kit-1';
const GATEWAY_ID = 'gw-bridge';
const N = 10;

let passwordHash: string;
let mq: Mosquitto;
let dispatch: DispatchSim;
let gateway: GatewayChild;
let kit: Kit;
let workDir: string;
let dataDir: string;
const waybills = Array.from({ length: N }, (_, i) => s10(61_200_000 + i * 13));
const grams = waybills.map((_, i) => 950 + i * 211);

beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
  mq = new Mosquitto(await freePort(), ['set_tcp_nodelay true']);
  await mq.start();
  dispatch = await startDispatchSim({ mqttUrl: mq.url, faults: { down: true } });
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cg-e2e-bridge-'));
  dataDir = path.join(workDir, 'data');
  const tasksFile = path.join(workDir, 'tasks.json');
  await writeFile(tasksFile, JSON.stringify({ tasks: waybills.map((w, i) => pickupTask(KIT, `task-${i + 1}`, w, grams[i], i + 1)) }));
  const ports = { mqtt: await freePort(), http: await freePort() };
  const file = await writeGatewayConfig(workDir, {
    gateway: { id: GATEWAY_ID, dataDir, logLevel: 'info' },
    mqtt: { host: '127.0.0.1', port: ports.mqtt, wsPort: null },
    http: { host: '127.0.0.1', port: ports.http },
    kits: [{ id: KIT }],
    operators: [{ username: 'tech', passwordHash }],
    devices: Kit.devices(KIT, passwordHash),
    dispatch: { transport: 'mqtt', url: mq.url },
    tasks: { file: tasksFile },
  });
  gateway = new GatewayChild(file, ports, path.join(workDir, 'gateway.log'));
  await gateway.start();
  kit = new Kit(gateway.mqttUrl, KIT, PASSWORD);
});

afterAll(async () => {
  await kit?.close();
  await gateway?.stop();
  await dispatch?.close();
  await mq?.dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('sync to the reference dispatch over the MQTT bridge through Mosquitto', () => {
  it(`${N} pickups while dispatch does not answer, SIGKILL after the 5th: all reach dispatch once, gapless, nothing dead-lettered`, async () => {
    const t0 = Date.now();
    const done: PickupResult[] = [];
    try {
      for (let i = 0; i < N; i++) {
        done.push(await kit.pickup(waybills[i], grams[i]));
        if (i === 4) {
          await gateway.kill();
          await gateway.start();
        }
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- gateway log ---\n${await gateway.logTail()}`);
    }
    const pickupsMs = Date.now() - t0;
    // the batches reached the cloud broker and dispatch heard them, but acked nothing
    expect(dispatch.summary().distinctIds).toBe(0);
    expect(dispatch.summary().requests.mqttIgnored).toBeGreaterThan(0);

    dispatch.setFaults({ down: false });
    const upAt = Date.now();
    await until(() => (dispatch.summary().perKind['pickup.completed'] ?? 0) >= N, `${N} pickups at dispatch`, 45_000, 100);
    await until(async () => (await gateway.health()).body.components?.journal?.depth?.records === 0, 'the records lane to drain', 10_000, 100);
    const drainMs = Date.now() - upAt;

    const sum = dispatch.summary();
    const pickups = dispatch.records({ kind: 'pickup.completed', gatewayId: GATEWAY_ID });
    expect(pickups).toHaveLength(N);
    expect(new Map(pickups.map((r) => [r.id, (r.body as { waybill: string }).waybill]))).toEqual(new Map(done.map((p) => [p.recordId, p.waybill])));
    expect(new Set(pickups.map((r) => (r.body as { waybill: string }).waybill))).toEqual(new Set(waybills));
    expect(pickups.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(new Set(pickups.map((r) => r.bootId)).size).toBe(2);
    expect(sum.streams[`${GATEWAY_ID}/${KIT}`]).toMatchObject({ count: N, maxSeq: N, missingCount: 0 });
    expect(sum.gapCount).toBe(0);
    expect(sum.changedUnderSameId).toBe(0);
    expect(sum.rejected).toBe(0);
    expect(await deadLetters(dataDir)).toEqual([]);
    expect((await gateway.health()).body.components?.journal?.rejected).toBe(0);
    console.log(`e2e-mqtt-bridge: ${N} pickups + 1 power cut in ${pickupsMs} ms; drained ${drainMs} ms after dispatch answered; dispatch saw ${sum.received} records ${JSON.stringify(sum.perKind)} (${sum.duplicates} duplicates) in ${sum.requests.mqttBatches} batches, ${sum.requests.mqttIgnored} ignored`);
  });

  it('a task.assign on the downlink reaches the kit tasks topic retained; a task.cancel removes it', async () => {
    type TasksMsg = { kit: string; tasks: { id: string }[] };
    const ids = (m: { payload: unknown }) => (m.payload as TasksMsg).tasks.map((x) => x.id);
    const watch = new Watcher(gateway.mqttUrl, 'tech', PASSWORD, [`cg/v1/kits/${KIT}/tasks`]);
    await watch.ready();
    try {
      const task = pickupTask(KIT, 'task-mq-1', s10(61_900_001), 1200, 99);
      await dispatch.addDownlink({ gatewayId: GATEWAY_ID, items: [{ id: 'mq-assign-1', kind: 'task.assign', task }] });
      const assigned = await watch.next((m) => ids(m).includes('task-mq-1'), 0, 10_000);
      // every pickup task was picked up above: the new one is the only open task
      expect(ids(assigned)).toEqual(['task-mq-1']);

      const late = new Watcher(gateway.mqttUrl, 'scanner-1', PASSWORD, [`cg/v1/kits/${KIT}/tasks`], 'e2e-late-scanner');
      await late.ready();
      expect(ids(await late.next(() => true, 0, 3000))).toEqual(['task-mq-1']);
      await late.close();

      const mark = watch.mark;
      await dispatch.addDownlink({ gatewayId: GATEWAY_ID, items: [{ id: 'mq-cancel-1', kind: 'task.cancel', taskId: 'task-mq-1' }] });
      expect(ids(await watch.next((m) => !ids(m).includes('task-mq-1'), mark, 10_000))).toEqual([]);
    } finally {
      await watch.close();
    }
  });
});
