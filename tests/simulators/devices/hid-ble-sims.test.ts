/** The HID and BLE simulators against a recording host, decoded with the gateway's own codecs. */
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import { decodeWeightMeasurement, decodeWeightScaleFeature } from '../../../devices/scale/ble-weight.js';
import { decodeHidPosReport } from '../../../devices/scale/hid-pos-scale.js';
import { HidPosAssembler } from '../../../devices/scanner/hid-pos.js';
import { KeyboardWedgeAssembler } from '../../../devices/scanner/keyboard-wedge.js';
import { ScalePlatform } from '../../../firmware-stubs/scale/platform.js';
import { BleScaleSim, type BleHost } from '../../../simulators/devices/ble-scale-sim.js';
import { HidPosScannerSim, HidScaleSim, KeyboardWedgeSim, type HidHost } from '../../../simulators/devices/hid-sims.js';
import type { SimBlePeripheral, SimHidDevice } from '../../../simulators/devices/remote-server.js';
import { runControl } from '../../../simulators/devices/sim-device.js';

const T0 = Date.UTC(2025, 4, 6, 8, 0, 0);

class RecordingHost implements HidHost, BleHost {
  readonly hid = new Map<string, { device: SimHidDevice; present: boolean }>();
  readonly reports: { path: string; bytes: number[] }[] = [];
  ble: { peripheral: SimBlePeripheral; advertising: boolean } | undefined;
  subscribers = 0;
  readonly notified: number[][] = [];
  disconnects = 0;

  addHid(device: SimHidDevice, present = true): void {
    this.hid.set(device.info.path, { device, present });
  }
  setHidPresent(path: string, present: boolean): void {
    this.hid.get(path)!.present = present;
  }
  hidReport(path: string, bytes: Uint8Array): number {
    this.reports.push({ path, bytes: [...bytes] });
    return 1;
  }
  addBle(peripheral: SimBlePeripheral, advertising = true): void {
    this.ble = { peripheral, advertising };
  }
  setBleAdvertising(_id: string, advertising: boolean): void {
    this.ble!.advertising = advertising;
  }
  bleDisconnect(): number {
    this.disconnects++;
    this.subscribers = 0;
    return 1;
  }
  bleNotify(_id: string, _uuid: string, bytes: Uint8Array): number {
    this.notified.push([...bytes]);
    return this.subscribers;
  }
  bleSubscribers(): number {
    return this.subscribers;
  }
}

function clock() {
  let t = T0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('HID POS scale simulator', () => {
  it('reports the platform every tick, zeroes on 02 02, stops when unplugged', async () => {
    const host = new RecordingHost();
    const c = clock();
    const platform = new ScalePlatform({ settleMs: 500 });
    const sim = new HidScaleSim({ id: 'hs-1', kit: 'van-1', gateway: { hotplugMs: 200 } }, host, c, platform);
    await sim.start();
    expect(host.hid.get('sim:hs-1')?.device.info).toEqual({
      path: 'sim:hs-1', vendorId: 0x0922, productId: 0x8003, usagePage: 0x8d, usage: 0x20,
      product: 'Simulated HID POS scale', manufacturer: 'courier-gw simulator', serialNumber: 'hs-1',
    });
    expect(sim.gatewayEntry()).toEqual({ id: 'hs-1', kind: 'scale', kit: 'van-1', protocol: 'hid-pos-scale', transport: { type: 'hid', path: 'sim:hs-1' }, hotplugMs: 200 });

    await runControl(sim, 'load', { grams: 1234 });
    sim.tick(c.advance(100));
    c.advance(500);
    sim.tick(c.now());
    const decoded = host.reports.map((r) => decodeHidPosReport(Uint8Array.from(r.bytes)));
    expect(decoded).toMatchObject([{ status: 'motion', stable: false }, { grams: 1234, status: 'ok', stable: true }]);

    // zero works within 2 % of capacity: 1234 g stays, a 200 g offset is zeroed
    host.hid.get('sim:hs-1')!.device.write!(Uint8Array.of(2, 2));
    expect(sim.describe()).toMatchObject({ zeroReports: 1, grams: 1234 });
    await runControl(sim, 'load', { grams: 200 });
    c.advance(500);
    host.hid.get('sim:hs-1')!.device.write!(Uint8Array.of(2, 2));
    expect(sim.describe()).toMatchObject({ zeroReports: 2, grams: 0, stable: true });

    expect(await runControl(sim, 'unplug')).toEqual({ ok: true, plugged: false });
    expect(host.hid.get('sim:hs-1')?.present).toBe(false);
    const before = host.reports.length;
    sim.tick(c.advance(100));
    expect(host.reports.length).toBe(before);
    await runControl(sim, 'replug');
    sim.tick(c.advance(100));
    expect(host.reports.length).toBe(before + 1);

    await runControl(sim, 'garbage', { hex: '0102' });
    expect(host.reports.at(-1)!.bytes).toEqual([1, 2]);
    expect(await runControl(sim, 'garbage', {})).toEqual({ ok: true, bytes: 17, delivered: 1 });
    expect(decodeHidPosReport(Uint8Array.from(host.reports.at(-1)!.bytes))).toBeInstanceOf(CodecError);
  });
});

describe('scanner simulators on HID', () => {
  it('keyboard wedge: the reports of a scan type the code and Enter', async () => {
    const host = new RecordingHost();
    const sim = new KeyboardWedgeSim({ id: 'kw-1', kit: 'van-1', gateway: {} }, host, clock());
    await sim.start();
    expect(sim.gatewayEntry()).toMatchObject({ protocol: 'hid-keyboard', transport: { type: 'hid', path: 'sim:kw-1' }, terminators: ['enter'], aim: false });
    expect(await runControl(sim, 'scan', { code: 'RB123456785GB' })).toEqual({ ok: true, code: 'RB123456785GB', symbology: 'code128', reports: 28 });
    const asm = new KeyboardWedgeAssembler({ aim: false });
    expect(host.reports.flatMap((r) => asm.push(Uint8Array.from(r.bytes), T0))).toMatchObject([{ type: 'scan', scan: { code: 'RB123456785GB' } }]);
    expect(await runControl(sim, 'scan', { code: 'ü' })).toMatchObject({ ok: false, error: 'FAILED' });
    await runControl(sim, 'mute');
    expect(await runControl(sim, 'scan', { code: 'A1' })).toMatchObject({ ok: false, error: 'FAILED', message: 'kw-1 is muted' });
  });

  it('HID POS scanner: reports with the AIM id', async () => {
    const host = new RecordingHost();
    const sim = new HidPosScannerSim({ id: 'hp-1', kit: 'van-1', gateway: {} }, host, clock());
    await sim.start();
    expect(host.hid.get('sim:hp-1')?.device.info.usagePage).toBe(0x8c);
    await runControl(sim, 'scan', { code: 'JJD0146000012345', symbology: 'datamatrix' });
    const asm = new HidPosAssembler();
    const results = host.reports.map((r) => asm.push(Uint8Array.from(r.bytes)));
    expect(results.at(-1)).toMatchObject({ code: 'JJD0146000012345', symbology: 'datamatrix' });
  });
});

describe('BLE weight scale simulator', () => {
  it('indicates each settled weight once, again for a new subscriber; disconnect, unplug, garbage', async () => {
    const host = new RecordingHost();
    const c = clock();
    const platform = new ScalePlatform({ settleMs: 300 });
    const sim = new BleScaleSim({ id: 'bs-1', kit: 'van-1', address: '02:00:5C:00:00:07', gateway: {} }, host, c, platform);
    await sim.start();
    expect(sim.gatewayEntry()).toEqual({ id: 'bs-1', kind: 'scale', kit: 'van-1', protocol: 'ble-weight', transport: { type: 'ble', address: '02:00:5c:00:00:07' } });
    const p = host.ble!.peripheral;
    expect(p.info).toEqual({ id: '02005c000007', address: '02:00:5c:00:00:07', localName: 'Sim Scale bs-1', serviceUuids: ['181d'] });
    expect(decodeWeightScaleFeature(p.read('2a9e')!)).toMatchObject({ resolutionGrams: 5 });
    expect(p.read('2a9d')).toBeUndefined();

    await runControl(sim, 'load', { grams: 2300 });
    sim.tick(c.advance(400));
    expect(host.notified).toEqual([]); // nobody subscribed: nothing sent, nothing consumed
    host.subscribers = 1;
    p.subscribed!('2a9d');
    sim.tick(c.advance(100));
    sim.tick(c.advance(100));
    expect(host.notified.map((v) => decodeWeightMeasurement(Uint8Array.from(v)))).toMatchObject([{ grams: 2300, unit: 'kg' }]);
    p.subscribed!('2a9d');
    sim.tick(c.advance(100));
    expect(host.notified).toHaveLength(2);

    expect(await runControl(sim, 'disconnect')).toEqual({ ok: true, disconnected: 1 });
    expect(await runControl(sim, 'unplug')).toEqual({ ok: true, advertising: false });
    expect(host.ble!.advertising).toBe(false);
    expect(host.disconnects).toBe(2);
    await runControl(sim, 'replug');
    expect(host.ble!.advertising).toBe(true);
    host.subscribers = 1;
    expect(await runControl(sim, 'garbage', {})).toMatchObject({ ok: true, bytes: 2 });
    expect(decodeWeightMeasurement(Uint8Array.from(host.notified.at(-1)!))).toBeInstanceOf(CodecError);
    expect(sim.describe()).toMatchObject({ advertising: true, measurementsSent: 2, disconnects: 2, garbageSent: 1, grams: 2300 });
  });
});
