/** The simulator transport: HID and BLE backends over TCP on 127.0.0.1, as the gateway's drivers use them. */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventEmitter } from 'node:events';
import { createSimRemoteBackends, jsonLines, parseSimRemoteUrl, SIM_WIRE_MAX_LINE, type SimRemoteBackends } from '../../../devices/transports/sim-remote.js';
import { TransportUnavailableError, type BlePeripheral } from '../../../devices/transports/types.js';
import { shortUuid, SimTransportServer } from '../../../simulators/devices/remote-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ server: SimTransportServer; client: SimRemoteBackends }> {
  const server = await SimTransportServer.start();
  const client = createSimRemoteBackends(server.url, { backoff: { minMs: 20, maxMs: 50 } });
  cleanups.push(() => server.close(), () => client.close());
  return { server, client };
}

function next<T extends unknown[]>(emitter: EventEmitter, event: string, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const scaleInfo = { path: 'sim:scale-1', vendorId: 0x0922, productId: 0x8003, usagePage: 0x8d, product: 'Sim scale' };

describe('HID over the simulator transport', () => {
  it('lists, opens, carries reports both ways, and fails the handle on unplug', async () => {
    const { server, client } = await setup();
    const written: number[][] = [];
    server.addHid({ info: scaleInfo, write: (b) => written.push([...b]) });
    const hid = await client.hid();
    expect(hid.devices()).toEqual([scaleInfo]);
    expect(() => hid.open('sim:nope')).toThrow('cannot open device with path sim:nope');

    const handle = hid.open('sim:scale-1');
    await until(() => server.hidReport('sim:scale-1', Uint8Array.of(3, 4, 2, 0, 0xe8, 3)) === 1, 'the open to arrive');
    const [data] = await next<[Buffer]>(handle, 'data');
    expect([...data]).toEqual([3, 4, 2, 0, 0xe8, 3]);
    expect(handle.write([2, 2])).toBe(2);
    await until(() => written.length === 1, 'the output report');
    expect(written).toEqual([[2, 2]]);

    const error = next<[Error]>(handle, 'error');
    server.setHidPresent('sim:scale-1', false);
    expect((await error)[0].message).toBe('device unplugged');
    await until(() => hid.devices().length === 0, 'the list without the scale');
    expect(server.hidReport('sim:scale-1', Uint8Array.of(1))).toBe(0);
    server.setHidPresent('sim:scale-1', true);
    await until(() => hid.devices().length === 1, 'the scale back in the list');
    handle.close();
  });

  it('empties the list while the simulator is gone and fills it again when it is back', async () => {
    const server = await SimTransportServer.start();
    const port = server.port;
    server.addHid({ info: scaleInfo });
    const client = createSimRemoteBackends(`tcp://127.0.0.1:${port}`, { backoff: { minMs: 20, maxMs: 50 } });
    cleanups.push(() => client.close());
    const hid = await client.hid();
    const handle = hid.open('sim:scale-1');
    const lost = next<[Error]>(handle, 'error');
    await server.close();
    expect((await lost)[0].message).toBe('simulator transport connection lost');
    expect(hid.devices()).toEqual([]);
    const again = await SimTransportServer.start({ port });
    cleanups.push(() => again.close());
    again.addHid({ info: scaleInfo });
    await until(() => hid.devices().length === 1, 'the reconnect');
  });

  it('resolves without a simulator (no devices yet), rejects a bad URL', async () => {
    const client = createSimRemoteBackends('tcp://127.0.0.1:1', { firstConnectMs: 200 });
    cleanups.push(() => client.close());
    expect((await client.hid()).devices()).toEqual([]);
    expect((await client.ble()).state).toBe('poweredOff');
    await expect(createSimRemoteBackends('serial:/dev/x').hid()).rejects.toBeInstanceOf(TransportUnavailableError);
    expect(parseSimRemoteUrl('tcp://127.0.0.1:7355')).toEqual({ host: '127.0.0.1', port: 7355 });
    expect(parseSimRemoteUrl('127.0.0.1:7355')).toEqual({ host: '127.0.0.1', port: 7355 });
    expect(parseSimRemoteUrl('tcp://127.0.0.1:0')).toBeUndefined();
  });
});

describe('BLE over the simulator transport', () => {
  it('powers on, discovers, connects, reads, subscribes, notifies and disconnects', async () => {
    const { server, client } = await setup();
    const subscribed: string[] = [];
    server.addBle({
      info: { id: '02005c000001', address: '02:00:5c:00:00:01', localName: 'Sim Scale', serviceUuids: ['181d'] },
      characteristics: ['2a9d', '2a9e'],
      read: (uuid) => (uuid === '2a9e' ? Uint8Array.of(0x0e, 0, 0, 0) : undefined),
      subscribed: (uuid) => subscribed.push(uuid),
    });
    const ble = await client.ble();
    expect(ble.state).toBe('poweredOn');

    const found = next<[BlePeripheral]>(ble, 'discover');
    await ble.startScanningAsync(['181D'], false);
    const [p] = await found;
    expect({ id: p.id, address: p.address, ad: p.advertisement }).toEqual({
      id: '02005c000001', address: '02:00:5c:00:00:01', ad: { localName: 'Sim Scale', serviceUuids: ['181d'] },
    });
    await ble.stopScanningAsync();
    await expect(p.discoverSomeServicesAndCharacteristicsAsync(['181d'], [])).rejects.toThrow('is not connected');
    await p.connectAsync();
    const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync(['181d'], ['2a9d', '00002a9e-0000-1000-8000-00805f9b34fb']);
    expect(characteristics.map((c) => c.uuid)).toEqual(['2a9d', '2a9e']);
    const [measurement, feature] = characteristics;
    expect([...(await feature.readAsync())]).toEqual([0x0e, 0, 0, 0]);
    await expect(measurement.readAsync()).rejects.toThrow('cannot be read');
    await measurement.subscribeAsync();
    expect(subscribed).toEqual(['2a9d']);
    expect(server.bleSubscribers('02005c000001', '2A9D')).toBe(1);

    const data = next<[Buffer, boolean]>(measurement, 'data');
    expect(server.bleNotify('02005c000001', '2a9d', Uint8Array.of(0, 0x1c, 0x25))).toBe(1);
    const [value, isNotification] = await data;
    expect([...value]).toEqual([0, 0x1c, 0x25]);
    expect(isNotification).toBe(true);

    const gone = next(p, 'disconnect');
    expect(server.bleDisconnect('02005c000001')).toBe(1);
    await gone;
    expect(server.bleSubscribers('02005c000001', '2a9d')).toBe(0);

    // not advertising: not found and cannot connect; advertising again: discovered by a scan in progress
    server.setBleAdvertising('02005c000001', false);
    await expect(p.connectAsync()).rejects.toThrow('not in range');
    await ble.startScanningAsync([], false);
    const again = next<[BlePeripheral]>(ble, 'discover');
    server.setBleAdvertising('02005c000001', true);
    expect((await again)[0]).toBe(p);
  });

  it('goes poweredOff and disconnects its peripherals when the simulator goes away', async () => {
    const { server, client } = await setup();
    server.addBle({ info: { id: 'aa', address: 'aa', serviceUuids: ['181d'] }, characteristics: ['2a9d'], read: () => undefined });
    const ble = await client.ble();
    const found = next<[BlePeripheral]>(ble, 'discover');
    await ble.startScanningAsync([], false);
    const [p] = await found;
    await p.connectAsync();
    const disconnected = next(p, 'disconnect');
    const off = next<[string]>(ble, 'stateChange');
    await server.close();
    await disconnected;
    expect((await off)[0]).toBe('poweredOff');
  });
});

describe('the wire', () => {
  it('JSON lines split across chunks; a line over the cap or not JSON is reported', () => {
    const values: unknown[] = [];
    const bad: string[] = [];
    const feed = jsonLines((v) => values.push(v), (r) => bad.push(r));
    feed(Buffer.from('{"a":'));
    feed(Buffer.from('1}\n\n{"b":2}\nnope\n'));
    expect(values).toEqual([{ a: 1 }, { b: 2 }]);
    expect(bad).toEqual(['not JSON: nope']);
    feed(Buffer.alloc(SIM_WIRE_MAX_LINE + 1, 0x61));
    expect(bad[1]).toBe(`line longer than ${SIM_WIRE_MAX_LINE} bytes`);
  });

  it('uuids in every form compare by their 16-bit part', () => {
    expect(['2A9D', '2a9d', '00002a9d-0000-1000-8000-00805f9b34fb'].map(shortUuid)).toEqual(['2a9d', '2a9d', '2a9d']);
  });
});
