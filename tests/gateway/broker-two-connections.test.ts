/** A device on two connections (a terminal's app restarted, two radios): one leaving does not take the device offline. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, DEVICE_PASSWORD, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-017' }],
    devices: [{ id: 'terminal-1', kind: 'terminal', kit: 'van-017', credentials: { passwordHash: testHash() } }],
  });
});
afterAll(async () => t?.stop());

describe('a device with two connections', () => {
  it('stays online while one is still connected, and goes offline with the last', async () => {
    const states: string[] = [];
    t.gateway.bus.on('test', 'device-status', (s) => {
      if (s.deviceId === 'terminal-1') states.push(s.state);
    });
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const inbox = await collect(op, 'cg/v1/devices/terminal-1/status');
    const will = { topic: 'cg/v1/devices/terminal-1/status', payload: Buffer.from(JSON.stringify({ state: 'offline' })), qos: 1 as const, retain: true };
    const first = await t.connect('terminal-1', DEVICE_PASSWORD, { clientId: 'terminal-1-a', will });
    const second = await t.connect('terminal-1', DEVICE_PASSWORD, { clientId: 'terminal-1-b', will });
    // the second goes away without a clean disconnect: its last will says offline
    (second as unknown as { stream: { destroy(): void } }).stream.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(states).toEqual(['online', 'online']);
    const retained = await t.connect('tech', OPERATOR_PASSWORD);
    const now = await collect(retained, 'cg/v1/devices/terminal-1/status');
    const last = await now.next(() => true);
    expect((last.payload as { state: string }).state).toBe('online');
    await first.endAsync();
    await inbox.next((m) => (m.payload as { state: string }).state === 'offline');
    expect(states).toEqual(['online', 'online', 'offline']);
    t.gateway.bus.off('test');
    await Promise.all([op.endAsync(), retained.endAsync()]);
  });
});
