import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hidPosScaleProtocol } from '../../../devices/scale/index.js';
import { pickHidScale } from '../../../devices/scale/hid-pos-driver.js';
import { FakeHidBackend, fakeContext } from './fakes.js';

const dymo = { path: '/dev/hidraw3', vendorId: 0x0922, productId: 0x8003, usagePage: 0x8d, product: 'M10 10 lb Digital Postal Scale' };

function setup(transport: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const backend = new FakeHidBackend();
  const ctx = fakeContext({ protocol: 'hid-pos-scale', transport: { type: 'hid', ...transport }, ...extra }, { hid: backend });
  return { ctx, backend, driver: hidPosScaleProtocol.createDriver(ctx) };
}

describe('pickHidScale', () => {
  const keyboard = { path: '/dev/hidraw0', vendorId: 0x046d, productId: 0xc31c, usagePage: 1 };
  const noPage = { path: '/dev/hidraw5', vendorId: 0x0eb8, productId: 0xf000 };
  it('prefers usage page 0x8D, then known scale ids, never another device', () => {
    expect(pickHidScale([keyboard, noPage, dymo], {})).toBe(dymo);
    expect(pickHidScale([keyboard, noPage], {})).toBe(noPage);
    expect(pickHidScale([keyboard], {})).toBeUndefined();
  });
  it('matches the configured vendor / product id or path', () => {
    expect(pickHidScale([dymo, keyboard], { vendorId: 0x046d })).toBe(keyboard);
    expect(pickHidScale([dymo, noPage], { path: '/dev/hidraw5' })).toBe(noPage);
    expect(pickHidScale([dymo], { vendorId: 0x0922, productId: 0x8004 })).toBeUndefined();
  });
});

describe('hid-pos-scale driver', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('opens the scale, discards the first report, decodes the rest with the real codec', async () => {
    const { ctx, backend, driver } = setup({ vendorId: '0x0922', productId: '8003' });
    backend.list = [dymo];
    await driver.start();
    expect(backend.opened.map((o) => o.path)).toEqual(['/dev/hidraw3']);
    expect(ctx.lastStatus()).toBe('online');
    backend.handle.send([3, 4, 2, 0, 0x10, 0x27]); // stale
    backend.handle.send([3, 3, 2, 0, 0xf4, 0x01]);
    backend.handle.send([3, 4, 0x0b, 0xff, 0x2c, 0x01]);
    backend.handle.send([3, 5, 2, 0, 0x0a, 0]);
    expect(ctx.weights()).toEqual([
      { grams: 500, stable: false, status: 'motion', deviceStable: false, unit: 'g', raw: '03 03 02 00 F4 01' },
      { grams: 850.5, stable: true, stableBy: 'device', status: 'ok', deviceStable: true, unit: 'oz', raw: '03 04 0B FF 2C 01' },
      { grams: -10, stable: false, status: 'under', deviceStable: false, unit: 'g', raw: '03 05 02 00 0A 00' },
    ]);
  });

  it('goes offline on unplug and comes back by itself on plug, discarding the first report again', async () => {
    const { ctx, backend, driver } = setup({}, { hotplugMs: 1000 });
    await driver.start();
    expect(ctx.lastStatus()).toBe('offline');
    backend.list = [dymo];
    await vi.advanceTimersByTimeAsync(1000);
    expect(ctx.lastStatus()).toBe('online');
    const first = backend.handle;
    first.send([3, 2, 2, 0, 0, 0]);
    first.send([3, 4, 2, 0, 0xd2, 0x04]);
    backend.list = [];
    await vi.advanceTimersByTimeAsync(1000);
    expect(ctx.statuses.at(-1)).toEqual({ state: 'offline', detail: { reason: 'unplugged' } });
    expect(first.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    expect(ctx.statuses.filter((s) => s.state === 'offline')).toHaveLength(2);
    backend.list = [dymo];
    await vi.advanceTimersByTimeAsync(1000);
    expect(backend.opened).toHaveLength(2);
    expect(ctx.lastStatus()).toBe('online');
    backend.handle.send([3, 4, 2, 0, 0x10, 0x27]);
    backend.handle.send([3, 4, 2, 0, 0xd3, 0x04]);
    expect(ctx.weights().map((w) => w.grams)).toEqual([1234, 1235]);
  });

  it('treats a device error as an unplug and reopens on the next look', async () => {
    const { ctx, backend, driver } = setup({}, { hotplugMs: 500 });
    backend.list = [dymo];
    await driver.start();
    backend.handle.emit('error', new Error('could not read from HID device'));
    expect(ctx.lastStatus()).toBe('offline');
    expect(ctx.faults.map((f) => f.kind)).toEqual(['transport']);
    await vi.advanceTimersByTimeAsync(500);
    expect(backend.opened).toHaveLength(2);
    expect(ctx.lastStatus()).toBe('online');
  });

  it('tare and zero write the 02 02 output report; offline answers OFFLINE', async () => {
    const { backend, driver } = setup();
    await driver.start();
    await expect(driver.command!('tare', {})).resolves.toMatchObject({ ok: false, error: 'OFFLINE' });
    backend.list = [dymo];
    await vi.advanceTimersByTimeAsync(2000);
    await expect(driver.command!('zero', {})).resolves.toMatchObject({ ok: true, report: '02 02' });
    await expect(driver.command!('tare', {})).resolves.toMatchObject({ ok: true });
    expect(backend.handle.writes).toEqual([[2, 2], [2, 2]]);
    await expect(driver.command!('beep', {})).resolves.toMatchObject({ ok: false, error: 'NOT_SUPPORTED' });
  });

  it('counts bad reports as faults, ignores other report ids', async () => {
    const { ctx, backend, driver } = setup();
    backend.list = [dymo];
    await driver.start();
    backend.handle.send([3, 4, 2, 0, 0, 0]);
    backend.handle.send([3, 9, 2, 0, 0, 0]);
    backend.handle.send([3, 4, 2]);
    backend.handle.send([5, 1]);
    expect(ctx.faults.map((f) => [f.kind, (f.error as { code?: string }).code])).toEqual([
      ['decode', 'UNKNOWN_STATUS'],
      ['decode', 'WRONG_LENGTH'],
    ]);
    expect(ctx.weights()).toEqual([]);
  });

  it('is unavailable with the reason when node-hid cannot load, and stays idle', async () => {
    const ctx = fakeContext({ protocol: 'hid-pos-scale', transport: { type: 'hid' } }, { hid: 'unavailable' });
    const driver = hidPosScaleProtocol.createDriver(ctx);
    await expect(driver.start()).resolves.toBeUndefined();
    expect(ctx.statuses).toEqual([{ state: 'unavailable', detail: { reason: 'libusb-1.0.so.0: cannot open shared object file' } }]);
    expect(vi.getTimerCount()).toBe(0);
    await driver.stop();
  });

  it('stops watching and closes the device on stop', async () => {
    const { backend, driver } = setup();
    backend.list = [dymo];
    await driver.start();
    await driver.stop();
    expect(backend.handle.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
