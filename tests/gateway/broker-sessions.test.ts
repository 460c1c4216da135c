/**
 * Persistent sessions belong to the principal that made them: another principal taking
 * the same client id gets a fresh session (sessionPresent=false) and none of the first
 * one's queued messages. The owner reconnecting gets its session back.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_PASSWORD, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
const open: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-1' }, { id: 'van-2' }],
    devices: [
      { id: 'scanner-1', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } },
      { id: 'scanner-2', kind: 'scanner', kit: 'van-2', credentials: { passwordHash: testHash() } },
    ],
  });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
  await t?.stop();
});

interface Session {
  client: MqttClient;
  sessionPresent: boolean;
  received: { topic: string; payload: string }[];
}

/** connects with a persistent session under `clientId`; records every message from the first byte */
function connectPersistent(username: string, password: string, clientId: string): Promise<Session> {
  const client = mqtt.connect(t.mqttUrl, { username, password, clientId, clean: false, reconnectPeriod: 0, connectTimeout: 5000 });
  open.push(client);
  const received: Session['received'] = [];
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => resolve({ client, sessionPresent: connack.sessionPresent, received }));
    client.once('error', reject);
  });
}

const settle = () => new Promise((r) => setTimeout(r, 200));

describe('persistent sessions', () => {
  it("gives another device taking a device's client id a fresh session without the first one's queued messages", async () => {
    const first = await connectPersistent('scanner-1', DEVICE_PASSWORD, 'shared-id-1');
    expect(first.sessionPresent).toBe(false);
    await first.client.subscribeAsync('cg/v1/kits/van-1/#', { qos: 1 });
    await first.client.endAsync();
    await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', { type: 'verdict', secret: 'for van-1' }, { qos: 1 });

    const thief = await connectPersistent('scanner-2', DEVICE_PASSWORD, 'shared-id-1');
    await settle();
    expect(thief.sessionPresent).toBe(false);
    expect(thief.received).toEqual([]);
    // and the taken subscription is gone: later messages for van-1 do not reach it either
    await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', { type: 'verdict', secret: 'later' }, { qos: 1 });
    await settle();
    expect(thief.received).toEqual([]);
  });

  it("gives a device taking an operator's client id none of the operator's queued commands", async () => {
    const op = await connectPersistent('tech', OPERATOR_PASSWORD, 'shared-id-2');
    await op.client.subscribeAsync('cg/v1/devices/+/commands/#', { qos: 1 });
    await op.client.endAsync();
    await t.gateway.broker.publish('cg/v1/devices/scanner-1/commands/feedback', { beep: 'ok', secret: 'for scanner-1' }, { qos: 1 });

    const thief = await connectPersistent('scanner-2', DEVICE_PASSWORD, 'shared-id-2');
    await settle();
    expect(thief.sessionPresent).toBe(false);
    expect(thief.received).toEqual([]);
  });

  it('gives the owner its session back, with the messages queued while it was away', async () => {
    const first = await connectPersistent('scanner-1', DEVICE_PASSWORD, 'own-id');
    await first.client.subscribeAsync('cg/v1/kits/van-1/verdicts', { qos: 1 });
    await first.client.endAsync();
    await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', { type: 'verdict', n: 1 }, { qos: 1 });

    const again = await connectPersistent('scanner-1', DEVICE_PASSWORD, 'own-id');
    await settle();
    expect(again.sessionPresent).toBe(true);
    expect(again.received.map((m) => JSON.parse(m.payload))).toEqual([{ type: 'verdict', n: 1 }]);
  });
});
