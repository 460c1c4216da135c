/**
 * Bursts larger than the broker's delivery concurrency: one TCP write holding more
 * messages than can be in flight at once, most of them on topics nobody may read. The
 * broker must drain them without deepening the stack per message and keep serving.
 */
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect } from '../helpers/raw-mqtt.js';
import { collect, DEVICE_PASSWORD, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-1' }],
    devices: [
      { id: 'terminal-1', kind: 'terminal', kit: 'van-1', credentials: { passwordHash: testHash() } },
      { id: 'scanner-1', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } },
    ],
  });
});
afterAll(async () => t?.stop());

function encode(packet: Record<string, unknown>): Buffer {
  return mqttPacket.generate(packet as never);
}

describe('broker under a burst from one connection', () => {
  it('drains 150 deliverable and 12,000 refused publishes from one write and keeps serving', async () => {
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const inbox = await collect(op, 'cg/v1/#');
    const port = t.gateway.broker.ports.mqtt!;
    const { socket, closed } = await rawConnect({ port, clientId: 'raw-terminal-1', username: 'terminal-1', password: DEVICE_PASSWORD });

    const parts: Buffer[] = [];
    for (let i = 0; i < 150; i++) {
      parts.push(encode({ cmd: 'publish', topic: 'cg/v1/devices/terminal-1/events/scan', payload: JSON.stringify({ code: `C${i}` }), qos: 0, retain: false, dup: false }));
    }
    for (let i = 0; i < 12_000; i++) {
      parts.push(encode({ cmd: 'publish', topic: 'a', payload: 'abcde', qos: 0, retain: false, dup: false }));
    }
    socket.write(Buffer.concat(parts));

    // the first messages reach the operator
    await inbox.next((m) => m.topic === 'cg/v1/devices/terminal-1/events/scan');

    // the broker still serves everyone: another device's event reaches the operator
    const scanner = await t.connect('scanner-1', DEVICE_PASSWORD);
    await scanner.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: 'after-burst' }), { qos: 1 });
    const after = await inbox.next((m) => m.topic === 'cg/v1/devices/scanner-1/events/scan', 15_000);
    expect(after.payload).toEqual({ code: 'after-burst' });
    expect(t.gateway.broker.running).toBe(true);

    socket.destroy();
    await closed;
  }, 30_000);
});
