/**
 * Simulated devices on real transports against a real gateway: an MT-SICS scale and a GPS
 * unit on socat pseudo-terminals, a HID POS scale, a BLE scale and a keyboard-wedge
 * scanner through the simulator transport, read by the gateway's own drivers and codecs
 * and checked over MQTT and /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createTransports } from '../../devices/transports/index.js';
import { createSimRemoteBackends, type SimRemoteBackends } from '../../devices/transports/sim-remote.js';
import { startSimulators, type Simulators } from '../../simulators/devices/index.js';
import { collect, metricValue, OPERATOR_PASSWORD, operatorHash, startTestGateway, type TestGateway } from '../helpers/gateway.js';

type Message = { topic: string; payload: unknown };
type Inbox = Awaited<ReturnType<typeof collect>>;

const route = [
  { lat: 52.2297, lon: 21.0122 },
  { lat: 52.2397, lon: 21.0222 },
];
const quick = { stability: { holdMs: 200 } };

let sims: Simulators;
let remote: SimRemoteBackends;
let t: TestGateway;
let op: MqttClient;
let inbox: Inbox;

const isEvent = (id: string, type: string) => (m: Message) => m.topic === `cg/v1/devices/${id}/events/${type}`;
const weightOf = (id: string, grams: number, stable: boolean) => (m: Message) =>
  isEvent(id, 'weight')(m) && (m.payload as { grams: number }).grams === grams && (m.payload as { stable: boolean }).stable === stable;
const statusOf = (id: string, state: string, after = 0) => (m: Message) =>
  m.topic === `cg/v1/devices/${id}/status` && (m.payload as { state: string }).state === state && inbox.messages.indexOf(m) >= after;

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  sims = await startSimulators({
    kit: 'van-017',
    tickMs: 100,
    devices: [
      { id: 'scale-1', protocol: 'mt-sics', settleMs: 300, gateway: quick },
      { id: 'gps-1', protocol: 'nmea', route, speedKmh: 36 },
      { id: 'hidscale-1', protocol: 'hid-pos-scale', settleMs: 300, gateway: { ...quick, hotplugMs: 200 } },
      { id: 'blescale-1', protocol: 'ble-weight', settleMs: 300, gateway: { ...quick, reconnectMs: 200 } },
      { id: 'wedge-1', protocol: 'hid-keyboard', gateway: { pollMs: 200 } },
      { id: 'locker-1', protocol: 'kerong-cu16', boards: [1], user: { closeAfterMs: 300, parcel: 'put' }, gateway: { pollMs: 100 } },
    ],
  });
  remote = createSimRemoteBackends(sims.remoteUrl!);
  t = await startTestGateway(
    {
      operators: [{ username: 'tech', passwordHash: operatorHash() }],
      kits: [{ id: 'van-017' }],
      devices: sims.gatewayConfig().devices,
    },
    { transports: { ...createTransports(), hid: remote.hid, ble: remote.ble } },
  );
  op = await t.connect('tech', OPERATOR_PASSWORD);
  inbox = await collect(op, 'cg/v1/devices/#');
});

afterAll(async () => {
  await t?.stop();
  await remote?.close();
  await sims?.close();
});

describe('simulated devices on real transports, read by a real gateway', () => {
  it('MT-SICS scale on a pty: weight with the right grams and stability, offline on unplug, online on replug', async () => {
    expect(sims.devices.find((d) => d.id === 'scale-1')?.transport).toEqual({ type: 'serial', path: `${sims.dir}/scale-1`, baudRate: 9600 });
    await inbox.next(statusOf('scale-1', 'online'), 10_000);
    expect(await sims.control('scale-1', 'load', { grams: 1250 })).toMatchObject({ ok: true, grams: 1250 });
    const w = await inbox.next(weightOf('scale-1', 1250, true), 10_000);
    expect(w.payload).toMatchObject({ grams: 1250, stable: true, status: 'ok', unit: 'g', raw: 'S S    1250.00 g' });

    const before = inbox.messages.length;
    await sims.control('scale-1', 'motion', { on: true });
    const moving = await inbox.next((m) => inbox.messages.indexOf(m) >= before && isEvent('scale-1', 'weight')(m) && (m.payload as { stable: boolean }).stable === false, 5000);
    expect(moving.payload).toMatchObject({ stable: false, status: 'motion' });
    expect(Math.abs((moving.payload as { grams: number }).grams - 1250)).toBe(5);
    await sims.control('scale-1', 'motion', { on: false });

    const mark = inbox.messages.length;
    expect(await sims.control('scale-1', 'unplug')).toEqual({ ok: true, plugged: false });
    await inbox.next(statusOf('scale-1', 'offline', mark), 10_000);
    expect(await sims.control('scale-1', 'replug')).toMatchObject({ ok: true, plugged: true });
    await inbox.next(statusOf('scale-1', 'online', mark), 15_000);
    await sims.control('scale-1', 'load', { grams: 640 });
    await inbox.next(weightOf('scale-1', 640, true), 10_000);
  });

  it('GPS unit on a pty: position events; sentences with wrong checksums counted as faults', async () => {
    const p = await inbox.next(isEvent('gps-1', 'position'), 10_000);
    const pos = p.payload as { lat: number; lon: number; fix: string };
    expect(pos.fix).toBe('3d');
    expect(pos.lat).toBeGreaterThanOrEqual(52.2297);
    expect(pos.lat).toBeLessThan(52.2397);
    expect(pos.lon).toBeGreaterThanOrEqual(21.0122);
    const faults = () => metricValue(t.httpUrl, 'cg_device_faults_total', { device: 'gps-1', kind: 'bad-checksum' });
    expect(await faults()).toBe(0);
    expect(await sims.control('gps-1', 'bad-checksum', { count: 4 })).toEqual({ ok: true, corruptNext: 4 });
    await until(async () => (await faults()) >= 4, 10_000, 'four bad-checksum faults');
    await new Promise((r) => setTimeout(r, 1200));
    expect(await faults()).toBe(4);
    expect(sims.describe('gps-1')).toMatchObject({ badChecksums: 4, fix: true });
  });

  it('HID POS scale through the simulator transport: weight events', async () => {
    await inbox.next(statusOf('hidscale-1', 'online'), 10_000);
    await sims.control('hidscale-1', 'load', { grams: 800 });
    const w = await inbox.next(weightOf('hidscale-1', 800, true), 10_000);
    expect(w.payload).toMatchObject({ grams: 800, stable: true, status: 'ok', unit: 'g' });
    const mark = inbox.messages.length;
    await sims.control('hidscale-1', 'unplug');
    expect((await inbox.next(statusOf('hidscale-1', 'offline', mark), 5000)).payload).toMatchObject({ reason: 'device unplugged' });
    await sims.control('hidscale-1', 'replug');
    await inbox.next(statusOf('hidscale-1', 'online', mark), 5000);
  });

  it('BLE weight scale through the simulator transport: weight events', async () => {
    await inbox.next(statusOf('blescale-1', 'online'), 10_000);
    await sims.control('blescale-1', 'load', { grams: 2300 });
    const w = await inbox.next(weightOf('blescale-1', 2300, true), 10_000);
    expect(w.payload).toMatchObject({ grams: 2300, stable: true, unit: 'kg' });
    const mark = inbox.messages.length;
    expect(await sims.control('blescale-1', 'disconnect')).toEqual({ ok: true, disconnected: 1 });
    expect((await inbox.next(statusOf('blescale-1', 'offline', mark), 5000)).payload).toMatchObject({ reason: 'disconnected' });
    await inbox.next(statusOf('blescale-1', 'online', mark), 5000);
    // a new subscription hears the weight on the platform again
    await inbox.next((m) => inbox.messages.indexOf(m) >= mark && weightOf('blescale-1', 2300, true)(m), 5000);
  });

  it('keyboard-wedge scanner through the simulator transport: a scan event', async () => {
    await inbox.next(statusOf('wedge-1', 'online'), 10_000);
    expect(await sims.control('wedge-1', 'scan', { code: 'RB123456785GB' })).toMatchObject({ ok: true, reports: 28 });
    const s = await inbox.next(isEvent('wedge-1', 'scan'), 5000);
    expect(s.payload).toMatchObject({ code: 'RB123456785GB' });
  });

  it('lock board on a pty: a door opens on the open command and the user closes it; a silent board takes the bank offline', async () => {
    await inbox.next(statusOf('locker-1', 'online'), 10_000);
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await op.publishAsync('cg/v1/devices/locker-1/commands/open', JSON.stringify({ id: 'c-1', compartment: 'B1-02', expiresAt }), { qos: 1 });
    const door = (state: string) => (m: Message) => {
      const p = m.payload as { door: string; compartment: string };
      return isEvent('locker-1', 'locker')(m) && p.compartment === 'B1-02' && p.door === state;
    };
    const opened = await inbox.next(door('open'), 5000);
    expect(opened.payload).toMatchObject({ compartment: 'B1-02', door: 'open' });
    expect(sims.describe('locker-1')).toMatchObject({ openDoors: ['1/2'] });
    const closed = await inbox.next((m) => inbox.messages.indexOf(m) > inbox.messages.indexOf(opened) && door('closed')(m), 5000);
    expect(closed.payload).toMatchObject({ compartment: 'B1-02', door: 'closed', occupied: true });

    const mark = inbox.messages.length;
    expect(await sims.control('locker-1', 'mute', { board: 1 })).toEqual({ ok: true, board: 1, muted: true });
    expect((await inbox.next(statusOf('locker-1', 'offline', mark), 5000)).payload).toMatchObject({ reason: 'no board answers' });
    await sims.control('locker-1', 'unmute', { board: 1 });
    await inbox.next(statusOf('locker-1', 'online', mark), 5000);
  });
});
