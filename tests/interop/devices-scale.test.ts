/**
 * Issue 3, "Done when" over real pseudo-terminals: MT-SICS scales (SIR and SI polling)
 * played by the MT-SICS firmware stub on socat pty pairs, a real gateway in between.
 * Weights with grams and stability on the bus, bad lines counted, unplug -> offline,
 * replug -> online and readings again; a BLE scale on a machine without Bluetooth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MtSicsStub, ScalePlatform } from '../../firmware-stubs/scale/index.js';
import { authFetch, collect, metricValue, OPERATOR_PASSWORD, operatorHash, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';
import { MtSicsPeer, PeerPort, waitUntil } from '../helpers/device-peer.js';

type Msg = { topic: string; payload: unknown };
type Weight = { grams: number; stable: boolean; status?: string; stableBy?: string; deviceStable?: boolean; unit?: string; raw?: string };
type Status = { state: string; reason?: string; path?: string };
type Health = { status: string; devices: { id: string; state: string; reason?: string }[] };

const weightOf = (m: Msg): Weight => m.payload as Weight;
const stateOf = (m: Msg): string => (m.payload as Status).state;

let dir: string;
let pairSir: PtyPair;
let pairSi: PtyPair;
let portSir: PeerPort;
let portSi: PeerPort;
let sir: MtSicsPeer;
let si: MtSicsPeer;
let t: TestGateway;

async function health(): Promise<{ code: number; body: Health }> {
  const res = await authFetch(`${t.httpUrl}/healthz`);
  return { code: res.status, body: (await res.json()) as Health };
}

/** a collector on its own operator connection: collect() sees every message of its client */
async function watch(filter: string) {
  return collect(await t.connect('tech', OPERATOR_PASSWORD), filter);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-scale-'));
  pairSir = await ptyPair(dir, 'scale-1');
  pairSi = await ptyPair(dir, 'scale-2');
  // the balances are on before the gateway opens its ends
  portSir = await PeerPort.open(pairSir.peer);
  portSi = await PeerPort.open(pairSi.peer);
  sir = new MtSicsPeer(new MtSicsStub(new ScalePlatform({ settleMs: 400 })), portSir);
  si = new MtSicsPeer(new MtSicsStub(new ScalePlatform({ settleMs: 400 }), { unit: 'kg', decimals: 3 }), portSi);
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-1' }],
    devices: [
      { id: 'scale-1', kind: 'scale', kit: 'van-1', protocol: 'mt-sics', transport: { type: 'serial', path: pairSir.device, baudRate: 9600 } },
      {
        id: 'scale-2', kind: 'scale', kit: 'van-1', protocol: 'mt-sics',
        transport: { type: 'serial', path: pairSi.device, baudRate: 9600 },
        poll: { command: 'SI', everyMs: 100 },
      },
      { id: 'scale-ble', kind: 'scale', kit: 'van-1', protocol: 'ble-weight', transport: { type: 'ble' } },
    ],
  });
});

afterAll(async () => {
  sir?.stop();
  si?.stop();
  await t?.stop();
  await portSir?.close();
  await portSi?.close();
  await pairSir?.close();
  await pairSi?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('MT-SICS scale on a pseudo-terminal', () => {
  it('a BLE scale on a machine without Bluetooth is unavailable with a reason; the gateway and the serial scales run on', async () => {
    const status = await watch('cg/v1/devices/scale-ble/status');
    const retained = await status.next((m) => stateOf(m) === 'unavailable');
    expect((retained.payload as Status).reason).toMatch(/Bluetooth unavailable/);
    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body.status).toBe('ok');
    const ble = body.devices.find((d) => d.id === 'scale-ble');
    expect(ble).toMatchObject({ state: 'unavailable' });
    expect(ble?.reason).toMatch(/Bluetooth unavailable/);
    await waitUntil(async () => (await health()).body.devices.find((d) => d.id === 'scale-1')?.state === 'online', 'scale-1 online');
  });

  it('polls with SIR and publishes weight events in grams, in motion while settling and then stable by the device flag', async () => {
    const inbox = await watch('cg/v1/devices/scale-1/events/weight');
    await waitUntil(() => sir.commands.includes('SIR'), 'the gateway to send SIR');
    sir.stub.platform.setLoad(1234, Date.now());
    const stable = await inbox.next((m) => weightOf(m).grams === 1234 && weightOf(m).stable, 5000);
    expect(stable.payload).toMatchObject({ grams: 1234, stable: true, stableBy: 'device', deviceStable: true, status: 'ok', unit: 'g' });
    expect(weightOf(stable).raw).toMatch(/^S S\s+1234\.00 g$/);
    // the platform took 400 ms to settle: the readings on the way were dynamic, never stable
    const before = inbox.messages.slice(0, inbox.messages.indexOf(stable));
    expect(before.length).toBeGreaterThan(0);
    for (const m of before) expect(weightOf(m)).toMatchObject({ stable: false, deviceStable: false, status: 'motion' });
    expect(before.some((m) => weightOf(m).grams > 0 && weightOf(m).grams < 1234)).toBe(true);
    // nothing was sent besides SIR: the scale repeats by itself
    expect(new Set(sir.commands)).toEqual(new Set(['SIR']));
  });

  it('polls with SI at the configured rate and converts kilograms to grams', async () => {
    const inbox = await watch('cg/v1/devices/scale-2/events/weight');
    si.stub.platform.setLoad(2750, Date.now());
    const stable = await inbox.next((m) => weightOf(m).grams === 2750 && weightOf(m).stable, 5000);
    expect(stable.payload).toMatchObject({ grams: 2750, stable: true, stableBy: 'device', unit: 'kg' });
    expect(weightOf(stable).raw).toMatch(/^S S\s+2\.750 kg$/);
    const polls = si.commands.filter((c) => c === 'SI').length;
    expect(polls).toBeGreaterThanOrEqual(5);
    expect(si.commands.every((c) => c === 'SI')).toBe(true);
  });

  it('counts garbled lines as device faults and keeps the gateway healthy and the scale reading', async () => {
    const labels = { device: 'scale-1', kind: 'decode' };
    const before = await metricValue(t.httpUrl, 'cg_device_faults_total', labels);
    await sir.writeRaw('garbage\r\n');
    await sir.writeRaw('S S 12.0 parsecs\r\n');
    await sir.writeRaw('S X\r\n');
    await sir.writeRaw('S S     abc g\r\n');
    await waitUntil(async () => (await metricValue(t.httpUrl, 'cg_device_faults_total', labels)) === before + 4, 'four decode faults');
    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body.devices.find((d) => d.id === 'scale-1')?.state).toBe('online');
    const inbox = await watch('cg/v1/devices/scale-1/events/weight');
    sir.stub.platform.setLoad(500, Date.now());
    const m = await inbox.next((x) => weightOf(x).grams === 500 && weightOf(x).stable, 5000);
    expect(m.payload).toMatchObject({ grams: 500, stable: true });
    // and no further fault came from the good lines
    expect(await metricValue(t.httpUrl, 'cg_device_faults_total', labels)).toBe(before + 4);
  });

  it('answers a tare command from the bus with the scale’s reply, then weighs net and repeats again', async () => {
    const status = await watch('cg/v1/devices/scale-1/status');
    const weights = await watch('cg/v1/devices/scale-1/events/weight');
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const sirBefore = sir.commands.filter((c) => c === 'SIR').length;
    await op.publishAsync('cg/v1/devices/scale-1/commands/tare', JSON.stringify({ id: 'tare-1' }), { qos: 1 });
    const answer = await status.next((m) => (m.payload as { lastCommand?: { id?: string } }).lastCommand?.id === 'tare-1', 5000);
    expect((answer.payload as { lastCommand: unknown }).lastCommand).toMatchObject({ id: 'tare-1', name: 'tare', ok: true, tareGrams: 500 });
    expect(sir.commands).toContain('T');
    // the 500 g on the platform are now the tare: the scale reads 0 net, and SIR was sent again
    const net = await weights.next((m) => weightOf(m).grams === 0 && weightOf(m).stable, 5000);
    expect(net.payload).toMatchObject({ grams: 0, stable: true, status: 'zero' });
    expect(sir.commands.filter((c) => c === 'SIR').length).toBe(sirBefore + 1);
    sir.stub.platform.reset(); // clear the tare for the next test
  });

  it('goes offline when the pseudo-terminal disappears and comes back online, reading again, when it is recreated', async () => {
    const status = await watch('cg/v1/devices/scale-1/status');
    await status.next((m) => stateOf(m) === 'online');
    const weights = await watch('cg/v1/devices/scale-1/events/weight');

    // unplug
    sir.stop();
    await portSir.close();
    await pairSir.close();
    const offline = await status.next((m) => stateOf(m) === 'offline', 5000);
    expect(offline.payload).toMatchObject({ state: 'offline', kind: 'scale', kit: 'van-1', path: pairSir.device });
    await waitUntil(async () => (await health()).body.devices.find((d) => d.id === 'scale-1')?.state === 'offline', '/healthz to show scale-1 offline');
    // the offline status is retained for late subscribers
    const late = await watch('cg/v1/devices/scale-1/status');
    expect((await late.next()).payload).toMatchObject({ state: 'offline' });
    // the other scale is untouched
    expect((await health()).body.devices.find((d) => d.id === 'scale-2')?.state).toBe('online');

    // replug at the same path
    const seenBefore = weights.messages.length;
    pairSir = await ptyPair(dir, 'scale-1');
    portSir = await PeerPort.open(pairSir.peer);
    sir.attach(portSir);
    const online = status.messages.length;
    await status.next((m) => stateOf(m) === 'online' && status.messages.indexOf(m) >= online, 15_000);
    sir.stub.platform.setLoad(3000, Date.now());
    const again = await weights.next((m) => weightOf(m).grams === 3000 && weightOf(m).stable, 5000);
    expect(again.payload).toMatchObject({ grams: 3000, stable: true, stableBy: 'device' });
    expect(weights.messages.indexOf(again)).toBeGreaterThanOrEqual(seenBefore);
    // polling restarted on the new port
    await waitUntil(() => sir.commands.filter((c) => c === 'SIR').length >= 2, 'SIR sent again after the replug');
    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body.devices.find((d) => d.id === 'scale-1')?.state).toBe('online');
  });
});
