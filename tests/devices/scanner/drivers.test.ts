import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkEventPayload } from '../../../devices/events.js';
import { encodeHidPosReports } from '../../../devices/scanner/hid-pos.js';
import { hidKeyboard } from '../../../devices/scanner/hid-keyboard-driver.js';
import { hidPosScanner } from '../../../devices/scanner/hid-pos-driver.js';
import { encodeKeyboardReports } from '../../../devices/scanner/keyboard-wedge.js';
import { serialScanner } from '../../../devices/scanner/serial-scanner-driver.js';
import { TransportUnavailableError } from '../../../devices/transports/types.js';
import { fakeContext, FakeHidBackend, fakeSerial } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2024, 4, 17, 9, 30));
});
afterEach(() => vi.useRealTimers());

const kbd = { path: '/dev/hidraw3', vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x01 };
const pos = { path: '/dev/hidraw4', vendorId: 0x0c2e, productId: 0x0b87, usagePage: 0x8c };

describe('hid-keyboard driver', () => {
  async function started(transport: Record<string, unknown> = { type: 'hid', vendorId: '0x0c2e', productId: 0x0b61 }, extra = {}) {
    const backend = new FakeHidBackend();
    backend.attached = [kbd];
    const rec = fakeContext({ protocol: 'hid-keyboard', transport: transport as { type: 'hid' }, ...extra }, { hid: async () => backend });
    const driver = hidKeyboard.createDriver(rec.ctx);
    await driver.start();
    return { backend, rec, driver };
  }

  it('turns typed reports into a scan event that passes the bus schema', async () => {
    const { backend, rec, driver } = await started();
    expect(rec.statuses.at(-1)).toMatchObject({ state: 'online', detail: { path: '/dev/hidraw3' } });
    for (const r of encodeKeyboardReports(']C0RB123456785GB') as Uint8Array[]) backend.current!.emit('data', Buffer.from(r));
    expect(rec.emits).toHaveLength(1);
    expect(rec.emits[0]).toMatchObject({ type: 'scan', payload: { code: 'RB123456785GB', symbology: 'code128', aim: ']C0' } });
    expect(checkEventPayload('scan', rec.emits[0].payload).ok).toBe(true);
    await driver.stop();
  });

  it('discards a partial code after the read timeout, counted as a fault', async () => {
    const { backend, rec, driver } = await started(undefined, { readTimeoutMs: 200 });
    const reports = encodeKeyboardReports('RB12', { terminator: 'none' }) as Uint8Array[];
    for (const r of reports) backend.current!.emit('data', Buffer.from(r));
    await vi.advanceTimersByTimeAsync(250);
    expect(rec.faults).toMatchObject([{ kind: 'partial-code' }]);
    for (const r of encodeKeyboardReports('RB34') as Uint8Array[]) backend.current!.emit('data', Buffer.from(r));
    expect(rec.emits.map((e) => e.payload.code)).toEqual(['RB34']);
    await driver.stop();
  });

  it('reopens the scanner after it is unplugged and plugged in again', async () => {
    const { backend, rec, driver } = await started();
    const first = backend.current!;
    backend.attached = [];
    first.emit('error', new Error('could not read from HID device'));
    expect(first.closed).toBe(true);
    expect(rec.statuses.at(-1)).toMatchObject({ state: 'offline' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(backend.opened).toHaveLength(1);
    backend.attached = [kbd];
    await vi.advanceTimersByTimeAsync(2000);
    expect(backend.opened).toHaveLength(2);
    expect(rec.statuses.at(-1)).toMatchObject({ state: 'online' });
    for (const r of encodeKeyboardReports('X1') as Uint8Array[]) backend.current!.emit('data', Buffer.from(r));
    expect(rec.emits.map((e) => e.payload.code)).toEqual(['X1']);
    await driver.stop();
    expect(backend.current).toBeUndefined();
  });

  it('notices an unplug by polling when the handle says nothing', async () => {
    const { backend, rec, driver } = await started();
    backend.attached = [];
    await vi.advanceTimersByTimeAsync(2000);
    expect(rec.statuses.at(-1)).toMatchObject({ state: 'offline', detail: { reason: 'device unplugged' } });
    await driver.stop();
  });

  it('stays idle and reports unavailable when node-hid cannot load', async () => {
    const rec = fakeContext({ transport: { type: 'hid', path: '/dev/hidraw3' } }, {
      hid: () => Promise.reject(new TransportUnavailableError('hid', 'libusb-1.0.so.0: cannot open shared object file')),
    });
    const driver = hidKeyboard.createDriver(rec.ctx);
    await expect(driver.start()).resolves.toBeUndefined();
    expect(rec.statuses).toEqual([{ state: 'unavailable', detail: { reason: 'libusb-1.0.so.0: cannot open shared object file' } }]);
    await vi.advanceTimersByTimeAsync(10_000);
    await driver.stop();
  });

  it('refuses to match without a path or vendor id (the host keyboard)', async () => {
    expect(hidKeyboard.options!.safeParse({ transport: { type: 'hid' } }).success).toBe(false);
    const rec = fakeContext({ transport: { type: 'hid' } }, { hid: async () => new FakeHidBackend() });
    await hidKeyboard.createDriver(rec.ctx).start();
    expect(rec.statuses[0].state).toBe('unavailable');
  });

  it('counts a failed open and retries', async () => {
    const backend = new FakeHidBackend();
    backend.attached = [kbd];
    backend.failOpen = true;
    const rec = fakeContext({ transport: { type: 'hid', path: '/dev/hidraw3' } }, { hid: async () => backend });
    const driver = hidKeyboard.createDriver(rec.ctx);
    await driver.start();
    expect(rec.faults).toMatchObject([{ kind: 'hid-open' }]);
    backend.failOpen = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(backend.opened).toHaveLength(1);
    await driver.stop();
  });
});

describe('hid-pos-scanner driver', () => {
  it('matches the HID POS usage page, concatenates reports and emits one scan', async () => {
    const backend = new FakeHidBackend();
    backend.attached = [kbd, { ...pos, path: '/dev/hidraw5', vendorId: 0x1234 }, pos];
    const rec = fakeContext({ transport: { type: 'hid', vendorId: 0x0c2e } }, { hid: async () => backend });
    const driver = hidPosScanner.createDriver(rec.ctx);
    await driver.start();
    expect(rec.statuses.at(-1)).toMatchObject({ state: 'online', detail: { path: '/dev/hidraw4' } });
    const code = '0037612345000000001642127610115\x1d10LOT7' + 'X'.repeat(40);
    for (const r of encodeHidPosReports(code, { aim: ']C1' })) backend.current!.emit('data', Buffer.from(r));
    expect(rec.emits).toHaveLength(1);
    expect(rec.emits[0].payload).toMatchObject({ code, symbology: 'gs1-128', aim: ']C1' });
    backend.current!.emit('data', Buffer.alloc(10));
    expect(rec.faults).toMatchObject([{ kind: 'decode', error: { code: 'WRONG_LENGTH' } }]);
    await driver.stop();
  });
});

describe('serial-scanner driver', () => {
  it('opens the configured port with capped line framing and emits scans', async () => {
    const { serial, links } = fakeSerial();
    const rec = fakeContext({ protocol: 'serial-scanner', transport: { type: 'serial', path: '/dev/ttyUSB0' } }, { serial });
    const driver = serialScanner.createDriver(rec.ctx);
    await driver.start();
    const link = links[0];
    expect(link.options).toMatchObject({ path: '/dev/ttyUSB0', baudRate: 9600 });
    expect(rec.statuses.at(-1)).toMatchObject({ state: 'online' });
    link.feed(']C0RB1234');
    link.feed('56785GB\r\n]C100376123450000000016');
    link.feed('42127610115\x1d10LOT7\r');
    link.feed(']Q1CR-ONLY\r');
    expect(rec.emits.map((e) => e.payload)).toEqual([
      { code: 'RB123456785GB', symbology: 'code128', aim: ']C0', raw: ']C0RB123456785GB' },
      {
        code: '0037612345000000001642127610115\x1d10LOT7', symbology: 'gs1-128', aim: ']C1', raw: ']C10037612345000000001642127610115\x1d10LOT7',
        gs1: [{ ai: '00', value: '376123450000000016' }, { ai: '421', value: '27610115' }, { ai: '10', value: 'LOT7' }],
      },
    ]);
    link.feed('\n');
    expect(rec.emits.at(-1)?.payload).toMatchObject({ code: 'CR-ONLY', symbology: 'qr' });
    await driver.stop();
  });

  it('strips a configured prefix and custom suffix, counts foreign lines and overflows', async () => {
    const { serial, links } = fakeSerial();
    const rec = fakeContext({ transport: { type: 'serial', path: '/dev/ttyS1', baudRate: 115200 }, prefix: '#', suffix: '\x03', maxLineBytes: 64 }, { serial });
    await serialScanner.createDriver(rec.ctx).start();
    links[0].feed('#]E05901234123457\x03NOPREFIX\x03');
    links[0].feed('#' + 'A'.repeat(100) + '\x03');
    expect(links[0].options.baudRate).toBe(115200);
    expect(rec.emits.map((e) => e.payload.code)).toEqual(['5901234123457']);
    expect(rec.faults.map((f) => f.kind)).toEqual(['decode', 'overflow']);
  });
});
