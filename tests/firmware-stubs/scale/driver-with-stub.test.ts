/**
 * Each scale driver talking to its firmware stub through the fake transport, real codecs
 * and real framing in the path: the right grams and stability come out.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bleWeightProtocol, continuousScaleProtocol, hidPosScaleProtocol, mtSicsProtocol } from '../../../devices/scale/index.js';
import { checkEventPayload } from '../../../devices/events.js';
import {
  BleWeightScaleStub,
  ContinuousScaleStub,
  HidPosScaleStub,
  MtSicsStub,
  ScalePlatform,
} from '../../../firmware-stubs/scale/index.js';
import { FakeBleBackend, FakeCharacteristic, fakeContext, FakeHidBackend, FakePeripheral, FakeSerialLink } from '../../devices/scale/fakes.js';

const stableWeights = (ws: Record<string, unknown>[]) => ws.filter((w) => w.stable).map((w) => [w.grams, w.stableBy]);

describe('scale drivers against their firmware stubs', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('MT-SICS over SIR: settling readings are dynamic, then 1234.5 g stable; tare through the scale', async () => {
    const platform = new ScalePlatform({ settleMs: 600, divisionGrams: 0.5 });
    const stub = new MtSicsStub(platform, { decimals: 1 });
    let link: FakeSerialLink | undefined;
    const ctx = fakeContext(
      { protocol: 'mt-sics', transport: { type: 'serial', path: '/dev/pts/7', baudRate: 9600 } },
      { serial: (o) => (link = new FakeSerialLink(o)) },
    );
    const driver = mtSicsProtocol.createDriver(ctx);
    await driver.start();
    const l = link!;
    l.onWrite = (data) => queueMicrotask(() => stub.receive(data, Date.now()).forEach((r) => l.feed(r)));
    const ticker = setInterval(() => stub.tick(Date.now()).forEach((r) => l.feed(r)), 100);
    l.open();
    await vi.advanceTimersByTimeAsync(200);
    platform.setLoad(1234.5, Date.now());
    await vi.advanceTimersByTimeAsync(1000);
    const ws = ctx.weights();
    expect(ws[0]).toMatchObject({ grams: 0, stable: true, status: 'zero' });
    expect(ws.some((w) => !w.stable && w.status === 'motion')).toBe(true);
    expect(ws.at(-1)).toMatchObject({ grams: 1234.5, stable: true, stableBy: 'device', status: 'ok', raw: 'S S     1234.5 g' });
    for (const w of ws) expect(checkEventPayload('weight', w).ok).toBe(true);
    await expect(driver.command!('tare', {})).resolves.toEqual({ ok: true, tareGrams: 1234.5 });
    await vi.advanceTimersByTimeAsync(300);
    expect(ctx.weights().at(-1)).toMatchObject({ grams: 0, stable: true });
    clearInterval(ticker);
    await driver.stop();
  });

  it('MT-SICS polled with S: only stable weights come back', async () => {
    const platform = new ScalePlatform({ settleMs: 500 });
    const stub = new MtSicsStub(platform);
    let link: FakeSerialLink | undefined;
    const ctx = fakeContext(
      { protocol: 'mt-sics', transport: { type: 'serial', path: '/dev/pts/7' }, poll: { command: 'S', everyMs: 250 } },
      { serial: (o) => (link = new FakeSerialLink(o)) },
    );
    const driver = mtSicsProtocol.createDriver(ctx);
    await driver.start();
    const l = link!;
    l.onWrite = (data) => queueMicrotask(() => stub.receive(data, Date.now()).forEach((r) => l.feed(r)));
    const ticker = setInterval(() => stub.tick(Date.now()).forEach((r) => l.feed(r)), 50);
    platform.setLoad(870, Date.now());
    l.open();
    await vi.advanceTimersByTimeAsync(2000);
    expect(ctx.weights().map((w) => [w.grams, w.stable])).toEqual([[870, true]]);
    clearInterval(ticker);
    await driver.stop();
  });

  it('continuous output: 13.5 kg settles to stable gross, overload reported on the status', async () => {
    const platform = new ScalePlatform({ capacityGrams: 30_000, settleMs: 400 });
    const stub = new ContinuousScaleStub(platform);
    let link: FakeSerialLink | undefined;
    const ctx = fakeContext({ protocol: 'continuous-scale', transport: { type: 'serial', path: '/dev/pts/8' } }, { serial: (o) => (link = new FakeSerialLink(o)) });
    const driver = continuousScaleProtocol.createDriver(ctx);
    await driver.start();
    link!.open();
    const ticker = setInterval(() => {
      // split each line across two writes on purpose
      const bytes = stub.tick(Date.now());
      link!.feed(bytes.subarray(0, 7));
      link!.feed(bytes.subarray(7));
    }, 100);
    platform.setLoad(13_500, Date.now());
    await vi.advanceTimersByTimeAsync(1000);
    expect(ctx.weights().at(-1)).toMatchObject({ grams: 13_500, stable: true, stableBy: 'device', mode: 'gross' });
    expect(stableWeights(ctx.weights())).toEqual([[13_500, 'device']]);
    platform.setOverload(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(ctx.statuses.at(-1)).toEqual({ state: 'online', detail: { condition: 'overload' } });
    clearInterval(ticker);
    await driver.stop();
  });

  it('HID POS in ounce mode: 850.5 g stable after settling; zero command zeroes the stub', async () => {
    const platform = new ScalePlatform({ settleMs: 300 });
    const stub = new HidPosScaleStub(platform, { unit: 'oz', exponent: -1 });
    const backend = new FakeHidBackend();
    backend.list = [{ path: '/dev/hidraw1', vendorId: 0x0922, productId: 0x8003, usagePage: 0x8d }];
    const ctx = fakeContext({ protocol: 'hid-pos-scale', transport: { type: 'hid' } }, { hid: backend });
    const driver = hidPosScaleProtocol.createDriver(ctx);
    await driver.start();
    const handle = backend.handle;
    const ticker = setInterval(() => handle.send(stub.tick(Date.now())), 100);
    platform.setLoad(850.5, Date.now());
    await vi.advanceTimersByTimeAsync(600);
    expect(ctx.weights().at(-1)).toMatchObject({ grams: 850.5, stable: true, status: 'ok', unit: 'oz' });
    expect(ctx.weights().some((w) => w.status === 'motion' && !w.stable)).toBe(true);
    platform.setLoad(20, Date.now());
    await vi.advanceTimersByTimeAsync(600);
    await expect(driver.command!('zero', {})).resolves.toMatchObject({ ok: true });
    for (const w of handle.writes) stub.write(w, Date.now());
    await vi.advanceTimersByTimeAsync(200);
    expect(ctx.weights().at(-1)).toMatchObject({ grams: 0, stable: true, status: 'zero' });
    clearInterval(ticker);
    await driver.stop();
  });

  it('BLE: the indicated measurement arrives as 72.35 kg stable, with the stub feature read', async () => {
    const platform = new ScalePlatform({ capacityGrams: 200_000, settleMs: 500 });
    const stub = new BleWeightScaleStub(platform, { resolutionCode: 4 });
    const measurement = new FakeCharacteristic('2a9d');
    const feature = new FakeCharacteristic('2a9e', Buffer.from(stub.feature()));
    const peripheral = new FakePeripheral('c80f10aabbcc', 'c8:0f:10:aa:bb:cc', { serviceUuids: ['181d'] }, [measurement, feature]);
    const backend = new FakeBleBackend();
    const ctx = fakeContext({ protocol: 'ble-weight', transport: { type: 'ble' } }, { ble: backend });
    const driver = bleWeightProtocol.createDriver(ctx);
    await driver.start();
    backend.setState('poweredOn');
    backend.emit('discover', peripheral);
    await vi.advanceTimersByTimeAsync(0);
    const ticker = setInterval(() => {
      const v = stub.tick(Date.now());
      if (v) measurement.indicate(v);
    }, 100);
    platform.setLoad(72_350, Date.now());
    await vi.advanceTimersByTimeAsync(1000);
    expect(ctx.weights()).toEqual([expect.objectContaining({ grams: 72_350, stable: true, stableBy: 'device', unit: 'kg' })]);
    expect(driver.describe!()).toMatchObject({ peripheral: 'c8:0f:10:aa:bb:cc' });
    clearInterval(ticker);
    await driver.stop();
  });
});
