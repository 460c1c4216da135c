/**
 * What a device may not claim on the bus: more than its rate by opening more connections,
 * a retained event replayed to later subscribers, another kit or kind in its status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, DEVICE_PASSWORD, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    mqtt: { rateLimit: { perSecond: 5, burst: 10 } },
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-1' }, { id: 'van-2' }],
    devices: [
      { id: 'scanner-1', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } },
      { id: 'scanner-2', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } },
      { id: 'scanner-3', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } },
    ],
  });
});
afterAll(async () => t?.stop());

const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

describe('rate limit per principal', () => {
  it('holds one device to its rate however many connections it opens', async () => {
    const got: unknown[] = [];
    t.gateway.bus.on('rate-test', 'device-event', (e) => {
      if (e.deviceId === 'scanner-1') got.push(e);
    });
    const conns = await Promise.all([1, 2, 3, 4].map((i) => t.connect('scanner-1', DEVICE_PASSWORD, { clientId: `scanner-1-conn-${i}` })));
    await Promise.all(conns.flatMap((c, i) => Array.from({ length: 10 }, (_, j) => c.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: `C${i}-${j}` }), { qos: 0 }))));
    await settle(300);
    t.gateway.bus.off('rate-test');
    // one burst of 10 and at most a couple more at 5/s, not 4 × 10
    expect(got.length).toBeGreaterThanOrEqual(10);
    expect(got.length).toBeLessThanOrEqual(13);
  });
});

describe('retained events', () => {
  it('never keeps an event retained for later subscribers', async () => {
    const dev = await t.connect('scanner-2', DEVICE_PASSWORD);
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const live = await collect(op, 'cg/v1/devices/scanner-2/events/#');
    await dev.publishAsync('cg/v1/devices/scanner-2/events/scan', JSON.stringify({ code: 'RETAINED-1' }), { qos: 1, retain: true });
    // it is delivered as it happens
    await live.next((m) => (m.payload as { code?: string }).code === 'RETAINED-1');
    const late = await collect(await t.connect('tech', OPERATOR_PASSWORD), 'cg/v1/devices/scanner-2/events/#');
    await settle();
    expect(late.messages).toEqual([]);
    expect(await t.gateway.broker.retained('cg/v1/devices/scanner-2/events/#')).toEqual([]);
  });
});

describe('status payloads', () => {
  it("keeps the gateway's kit and kind in a device's retained status", async () => {
    const dev = await t.connect('scanner-3', DEVICE_PASSWORD);
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const status = await collect(op, 'cg/v1/devices/scanner-3/status');
    await status.next((m) => (m.payload as { state?: string }).state === 'online');
    await dev.publishAsync('cg/v1/devices/scanner-3/status', JSON.stringify({ state: 'online', kit: 'van-2', kind: 'locker', firmware: '1.2' }), { qos: 1, retain: true });
    const own = await status.next((m) => (m.payload as { firmware?: string }).firmware === '1.2');
    expect(own.payload).toMatchObject({ state: 'online', kit: 'van-1', kind: 'scanner', firmware: '1.2' });
    const late = await collect(await t.connect('tech', OPERATOR_PASSWORD), 'cg/v1/devices/scanner-3/status');
    expect((await late.next()).payload).toMatchObject({ kit: 'van-1', kind: 'scanner', firmware: '1.2' });
  });
});
