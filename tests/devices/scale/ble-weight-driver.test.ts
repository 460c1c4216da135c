import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bleWeightProtocol } from '../../../devices/scale/index.js';
import { sameUuid } from '../../../devices/scale/ble-weight-driver.js';
import { FakeBleBackend, FakeCharacteristic, fakeContext, FakePeripheral } from './fakes.js';

function scale(address = 'c8:0f:10:aa:bb:cc', serviceUuids = ['181d']) {
  const measurement = new FakeCharacteristic('2a9d');
  const feature = new FakeCharacteristic('2a9e', Buffer.from([0x08, 0, 0, 0])); // resolution 0.5 kg
  const p = new FakePeripheral(address.replace(/:/g, ''), address, { localName: 'Scale', serviceUuids }, [measurement, feature]);
  return { p, measurement, feature };
}

function setup(transport: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const backend = new FakeBleBackend();
  const ctx = fakeContext({ protocol: 'ble-weight', transport: { type: 'ble', ...transport }, ...extra }, { ble: backend });
  return { ctx, backend, driver: bleWeightProtocol.createDriver(ctx) };
}

describe('ble-weight driver', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('waits for poweredOn, scans for 181d, connects, subscribes and decodes indications', async () => {
    const { ctx, backend, driver } = setup();
    await driver.start();
    expect(backend.scans).toEqual([]);
    backend.setState('poweredOn');
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.scans).toEqual([['181d']]);
    const other = scale('aa:aa:aa:aa:aa:aa', ['180f']);
    backend.emit('discover', other.p);
    const s = scale();
    backend.emit('discover', s.p);
    await vi.advanceTimersByTimeAsync(0);
    expect(other.p.connects).toBe(0);
    expect(s.p.connected).toBe(true);
    expect(backend.scanning).toBe(false);
    expect(s.measurement.subscribed).toBe(true);
    expect(ctx.statuses.at(-1)).toEqual({ state: 'online', detail: { address: 'c8:0f:10:aa:bb:cc', name: 'Scale' } });
    s.measurement.indicate(Uint8Array.from([0x0e, 0x86, 0x38, 0xe8, 0x07, 0x05, 0x11, 0x09, 0x1e, 0x00, 0x01, 0xec, 0x00, 0xd6, 0x06]));
    expect(ctx.weights()).toEqual([
      {
        grams: 72350,
        stable: true,
        stableBy: 'device',
        status: 'ok',
        deviceStable: true,
        unit: 'kg',
        userId: 1,
        measuredAt: '2024-05-17T09:30:00',
        bmi: 23.6,
        height: 1.75,
        heightUnit: 'm',
        raw: '0E 86 38 E8 07 05 11 09 1E 00 01 EC 00 D6 06',
      },
    ]);
  });

  it('connects to the configured address only, scanning without a service filter', async () => {
    const { backend, driver } = setup({ address: 'C8:0F:10:AA:BB:CC' });
    backend.state = 'poweredOn';
    await driver.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.scans).toEqual([[]]);
    const wrong = scale('11:22:33:44:55:66');
    backend.emit('discover', wrong.p);
    const right = scale('c8:0f:10:aa:bb:cc', []);
    backend.emit('discover', right.p);
    await vi.advanceTimersByTimeAsync(0);
    expect(wrong.p.connects).toBe(0);
    expect(right.p.connected).toBe(true);
  });

  it('goes offline on disconnect and reconnects with backoff and jitter: the first wait at least half of reconnectMs, at most reconnectMs', async () => {
    const { ctx, backend, driver } = setup({}, { reconnectMs: 3000 });
    backend.state = 'poweredOn';
    await driver.start();
    const s = scale();
    backend.emit('discover', s.p);
    await vi.advanceTimersByTimeAsync(0);
    await s.p.disconnectAsync();
    expect(ctx.statuses.at(-1)).toMatchObject({ state: 'offline', detail: { reason: 'disconnected' } });
    await vi.advanceTimersByTimeAsync(1499);
    expect(backend.scans).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1501);
    expect(backend.scans).toHaveLength(2);
    backend.emit('discover', s.p);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.p.connects).toBe(2);
    expect(ctx.lastStatus()).toBe('online');
    s.measurement.indicate(Uint8Array.from([0x00, 0x86, 0x38]));
    expect(ctx.weights()).toMatchObject([{ grams: 72350, stable: true }]);
  });

  it('waits longer after each failed connect, never more than reconnectMaxMs, and starts over once online', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(1);
    try {
      const { backend, driver } = setup({}, { reconnectMs: 1000, reconnectMaxMs: 3000 });
      backend.state = 'poweredOn';
      await driver.start();
      const s = scale();
      s.p.failConnect = true;
      const waits: number[] = [];
      for (let attempt = 0; attempt < 4; attempt++) {
        backend.emit('discover', s.p);
        await vi.advanceTimersByTimeAsync(0);
        const scans = backend.scans.length;
        let waited = 0;
        while (backend.scans.length === scans) {
          await vi.advanceTimersByTimeAsync(100);
          waited += 100;
        }
        waits.push(waited);
      }
      expect(waits).toEqual([1000, 2000, 3000, 3000]);
      s.p.failConnect = false;
      backend.emit('discover', s.p);
      await vi.advanceTimersByTimeAsync(0);
      await s.p.disconnectAsync();
      const scans = backend.scans.length;
      await vi.advanceTimersByTimeAsync(1000);
      expect(backend.scans.length).toBe(scans + 1);
    } finally {
      random.mockRestore();
    }
  });

  it('counts a failed connect as a fault and scans again', async () => {
    const { ctx, backend, driver } = setup({}, { reconnectMs: 1000 });
    backend.state = 'poweredOn';
    await driver.start();
    const s = scale();
    s.p.failConnect = true;
    backend.emit('discover', s.p);
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.faults.map((f) => f.kind)).toEqual(['connect']);
    expect(ctx.lastStatus()).toBe('offline');
    await vi.advanceTimersByTimeAsync(1000);
    expect(backend.scans).toHaveLength(2);
  });

  it('counts bad values as faults; an unsuccessful measurement goes on the status, not as a weight', async () => {
    const { ctx, backend, driver } = setup();
    backend.state = 'poweredOn';
    await driver.start();
    const s = scale();
    backend.emit('discover', s.p);
    await vi.advanceTimersByTimeAsync(0);
    s.measurement.indicate(Uint8Array.from([0x02, 0x86]));
    s.measurement.indicate(Uint8Array.from([0x00, 0xff, 0xff]));
    expect(ctx.faults.map((f) => (f.error as { code?: string }).code)).toEqual(['WRONG_LENGTH']);
    expect(ctx.weights()).toEqual([]);
    expect(ctx.statuses.at(-1)).toEqual({ state: 'online', detail: { condition: 'unsuccessful' } });
  });

  it('uses the scale resolution from the feature as the band when confirming', async () => {
    const { ctx, backend, driver } = setup({}, { stability: { confirmDeviceFlag: true, holdMs: 50 } });
    backend.state = 'poweredOn';
    await driver.start();
    const s = scale();
    backend.emit('discover', s.p);
    await vi.advanceTimersByTimeAsync(0);
    s.measurement.indicate(Uint8Array.from([0x00, 0x86, 0x38]));
    await vi.advanceTimersByTimeAsync(100);
    s.measurement.indicate(Uint8Array.from([0x00, 0x87, 0x38])); // +5 g, within the 500 g resolution
    expect(ctx.weights().map((w) => [w.grams, w.stable, w.stableBy])).toEqual([
      [72350, false, undefined],
      [72350, true, 'band'],
      [72355, true, 'band'],
    ]);
    expect(driver.describe!()).toMatchObject({ lastWeight: { grams: 72355 } });
  });

  it('is unavailable without Bluetooth (noble cannot load) or when the adapter is unsupported', async () => {
    const ctx = fakeContext({ protocol: 'ble-weight', transport: { type: 'ble' } }, { ble: 'unavailable' });
    const driver = bleWeightProtocol.createDriver(ctx);
    await expect(driver.start()).resolves.toBeUndefined();
    expect(ctx.statuses).toEqual([{ state: 'unavailable', detail: { reason: 'EAFNOSUPPORT' } }]);
    const b = setup();
    await b.driver.start();
    b.backend.setState('unsupported');
    expect(b.ctx.statuses.at(-1)).toEqual({ state: 'unavailable', detail: { reason: 'bluetooth unsupported' } });
    expect(b.backend.scans).toEqual([]);
  });

  it('drops the connection when the adapter powers off and scans again when it is back', async () => {
    const { ctx, backend, driver } = setup();
    backend.state = 'poweredOn';
    await driver.start();
    const s = scale();
    backend.emit('discover', s.p);
    await vi.advanceTimersByTimeAsync(0);
    backend.setState('poweredOff');
    expect(ctx.lastStatus()).toBe('offline');
    backend.setState('poweredOn');
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.scans).toHaveLength(2);
    await driver.stop();
    expect(backend.scanning).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('compares 16-bit and 128-bit uuids', () => {
    expect(sameUuid('2A9D', '2a9d')).toBe(true);
    expect(sameUuid('00002a9d-0000-1000-8000-00805f9b34fb', '2a9d')).toBe(true);
    expect(sameUuid('00002a9e00001000800000805f9b34fb', '2a9d')).toBe(false);
  });
});
