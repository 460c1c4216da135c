/** Hosting the serial stubs: ticks on timers, a simulated clock, faults, control answers (fake timers, fake endpoints). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import { decodeNmea } from '../../../devices/gps/nmea.js';
import { decodeFrame, encodeQuery, encodeUnlock } from '../../../devices/locker/kerong-cu16.js';
import { startSimulators, type Simulators } from '../../../simulators/devices/index.js';
import { fakeEndpoints, type FakeEndpoint } from './fakes.js';

const T0 = Date.UTC(2025, 4, 6, 8, 0, 0);
const SIM0 = Date.UTC(2025, 4, 6, 10, 0, 0);
const route = [
  { lat: 52.2297, lon: 21.0122 },
  { lat: 52.2397, lon: 21.0222 },
];

let sims: Simulators | undefined;
let endpoints: ReturnType<typeof fakeEndpoints>;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  endpoints = fakeEndpoints();
});
afterEach(async () => {
  await sims?.close();
  sims = undefined;
  vi.useRealTimers();
});

/** a clock running `factor` times faster than the (fake) real one, from SIM0 */
function simClock(factor: number): () => number {
  const realStart = Date.now();
  return () => SIM0 + (Date.now() - realStart) * factor;
}

async function start(devices: unknown[], options: { now?: () => number; tickMs?: number } = {}): Promise<Simulators> {
  sims = await startSimulators({ dir: '/sim', tickMs: 100, devices }, { serialEndpoint: endpoints.make, ...options });
  return sims;
}

const lines = (text: string): string[] => text.split('\r\n').filter(Boolean);
const endpoint = (id: string): FakeEndpoint => endpoints.of.get(id)!;
/** lets the line framing hand on what was written */
const settle = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('MT-SICS scale host', () => {
  it('answers SIR, repeats once per tick, and reads time from the supplied clock', async () => {
    const s = await start([{ id: 'scale-1', protocol: 'mt-sics', settleMs: 800 }], { now: simClock(10) });
    expect(s.devices).toEqual([
      {
        id: 'scale-1', kind: 'scale', protocol: 'mt-sics', kit: 'van-1',
        transport: { type: 'serial', path: '/sim/scale-1', baudRate: 9600 },
        entry: { id: 'scale-1', kind: 'scale', kit: 'van-1', protocol: 'mt-sics', transport: { type: 'serial', path: '/sim/scale-1', baudRate: 9600 } },
      },
    ]);
    const ep = endpoint('scale-1');
    ep.fromGateway('SI');
    ep.fromGateway('R\r\n');
    await settle();
    expect(lines(ep.take())).toEqual(['S S       0.00 g']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines(ep.take())).toHaveLength(10);

    // 800 ms of settling are 80 real ms at ten times speed: stable by the next tick
    expect(await s.control('scale-1', 'load', { grams: 1000 })).toEqual({ ok: true, grams: 1000, settleMs: 800 });
    await vi.advanceTimersByTimeAsync(100);
    expect(lines(ep.take())).toEqual(['S S    1000.00 g']);
    expect(s.describe('scale-1')).toMatchObject({ grams: 1000, stable: true, plugged: true, muted: false });
  });

  it('with the real clock the same load is still moving after 100 ms', async () => {
    const s = await start([{ id: 'scale-1', protocol: 'mt-sics', settleMs: 800 }]);
    const ep = endpoint('scale-1');
    ep.fromGateway('SIR\r\n');
    await settle();
    ep.take();
    await s.control('scale-1', 'load', { grams: 1000 });
    await vi.advanceTimersByTimeAsync(100);
    expect(lines(ep.take())).toEqual(['S D     125.00 g']);
  });

  it('stuck in motion, mute, garbage, unplug and replug', async () => {
    const s = await start([{ id: 'scale-1', protocol: 'mt-sics', load: 500 }]);
    const ep = endpoint('scale-1');
    ep.fromGateway('SIR\r\n');
    await settle();
    ep.take();
    await s.control('scale-1', 'motion', {});
    await vi.advanceTimersByTimeAsync(200);
    expect(lines(ep.take())).toEqual(['S D     495.00 g', 'S D     505.00 g']);
    await s.control('scale-1', 'motion', { on: false });

    expect(await s.control('scale-1', 'mute')).toEqual({ ok: true, muted: true });
    ep.fromGateway('SI\r\n');
    await settle();
    await vi.advanceTimersByTimeAsync(500);
    expect(ep.take()).toBe('');
    await s.control('scale-1', 'unmute');
    await vi.advanceTimersByTimeAsync(100);
    expect(lines(ep.take())).toEqual(['S S     500.00 g']);

    expect(await s.control('scale-1', 'garbage', { hex: 'ff fe 00' })).toEqual({ ok: true, bytes: 5 });
    expect([...ep.written[0]]).toEqual([0xff, 0xfe, 0x00, 0x0d, 0x0a]);
    ep.take();
    expect(await s.control('scale-1', 'garbage', { count: 40 })).toEqual({ ok: true, bytes: 42 });
    expect([...ep.written[0].subarray(0, 40)].some((b) => b === 0x0d || b === 0x0a)).toBe(false);
    ep.take();

    expect(await s.control('scale-1', 'unplug')).toEqual({ ok: true, plugged: false });
    await vi.advanceTimersByTimeAsync(500);
    expect(ep.take()).toBe('');
    expect(await s.control('scale-1', 'unplug')).toMatchObject({ ok: true, message: 'already unplugged' });
    expect(await s.control('scale-1', 'replug')).toEqual({ ok: true, plugged: true, path: '/sim/scale-1' });
    expect(ep.opens).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(lines(ep.take())).toEqual(['S S     500.00 g']);
    expect(s.describe('scale-1')).toMatchObject({ unplugs: 1, garbageSent: 2 });
  });
});

describe('GPS unit host', () => {
  it('sends one epoch per simulated second; bad checksums and a lost fix on demand', async () => {
    const s = await start([{ id: 'gps-1', protocol: 'nmea', route, speedKmh: 36 }], { now: simClock(10) });
    const ep = endpoint('gps-1');
    await vi.advanceTimersByTimeAsync(500);
    const first = lines(ep.take());
    // ticks at sim +1 s .. +5 s, plus the epoch at the start itself on the first tick
    expect(first).toHaveLength(3 * 6);
    expect(first.map((l) => decodeNmea(l)).every((r) => !(r instanceof CodecError))).toBe(true);

    expect(await s.control('gps-1', 'bad-checksum', { count: 2 })).toEqual({ ok: true, corruptNext: 2 });
    await vi.advanceTimersByTimeAsync(100);
    const codes = lines(ep.take()).map((l) => decodeNmea(l)).map((r) => (r instanceof CodecError ? r.code : r.type));
    expect(codes).toEqual(['BAD_CHECKSUM', 'BAD_CHECKSUM', 'GGA']);

    await s.control('gps-1', 'no-fix');
    await vi.advanceTimersByTimeAsync(100);
    const rmc = decodeNmea(lines(ep.take())[0]);
    expect(rmc).toMatchObject({ type: 'RMC', valid: false, lat: undefined });
    await s.control('gps-1', 'fix');
    await vi.advanceTimersByTimeAsync(100);
    expect(decodeNmea(lines(ep.take())[0])).toMatchObject({ type: 'RMC', valid: true });
    expect(s.describe('gps-1')).toMatchObject({ fix: true, badChecksums: 2, sentences: 27 });

    expect(await s.control('gps-1', 'bad-checksum', { on: true })).toEqual({ ok: true, corruptNext: 'all' });
    await vi.advanceTimersByTimeAsync(300);
    expect(lines(ep.take()).every((l) => (decodeNmea(l) as CodecError).code === 'BAD_CHECKSUM')).toBe(true);
    await s.control('gps-1', 'bad-checksum', { on: false });
    await vi.advanceTimersByTimeAsync(100);
    expect(lines(ep.take()).every((l) => !(decodeNmea(l) instanceof CodecError))).toBe(true);
  });
});

describe('lock board host', () => {
  it('opens on unlock, the user closes the door, a stuck door stays open, a muted board is silent', async () => {
    const s = await start([{ id: 'locker-1', protocol: 'kerong-cu16', boards: [1, 2] }]);
    const entry = s.devices[0].entry;
    expect(entry.transport).toEqual({ type: 'serial', path: '/sim/locker-1', baudRate: 19200 });
    expect(entry.lockedBit).toBe(0);
    expect(entry.compartments).toHaveLength(32);
    expect((entry.compartments as unknown[])[17]).toEqual({ id: 'B2-02', board: 2, lock: 2, size: 'M' });

    const ep = endpoint('locker-1');
    ep.fromGateway(encodeUnlock(1, 3) as Uint8Array);
    expect(s.describe('locker-1')).toMatchObject({ openDoors: ['1/3'] });
    await vi.advanceTimersByTimeAsync(3000);
    expect(s.describe('locker-1')).toMatchObject({ openDoors: [] });

    expect(await s.control('locker-1', 'door-stuck', { board: 1, lock: 4 })).toEqual({ ok: true, board: 1, lock: 4, door: 'closed', closes: 'never' });
    ep.fromGateway(encodeUnlock(1, 4) as Uint8Array);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(s.describe('locker-1')).toMatchObject({ openDoors: ['1/4'] });
    await s.control('locker-1', 'close', { board: 1, lock: 4 });
    expect(s.describe('locker-1')).toMatchObject({ openDoors: [] });

    ep.take();
    expect(await s.control('locker-1', 'mute', { board: 2 })).toEqual({ ok: true, board: 2, muted: true });
    ep.fromGateway(encodeQuery(2) as Uint8Array);
    expect(ep.take()).toBe('');
    ep.fromGateway(encodeQuery(1) as Uint8Array);
    expect(decodeFrame(Buffer.from(ep.take(), 'latin1'))).toMatchObject({ type: 'state', board: 1, lockBits: 0 });
    await s.control('locker-1', 'unmute', { board: 2 });
    ep.fromGateway(encodeQuery(2) as Uint8Array);
    expect(decodeFrame(Buffer.from(ep.take(), 'latin1'))).toMatchObject({ type: 'state', board: 2 });

    expect(await s.control('locker-1', 'jam', { board: 3, lock: 1 })).toMatchObject({ ok: false, error: 'BAD_ARGS' });
    expect(await s.control('locker-1', 'mute')).toEqual({ ok: true, muted: true });
    ep.fromGateway(encodeQuery(1) as Uint8Array);
    expect(ep.take()).toBe('');
  });
});

describe('control answers and ticking', () => {
  it('answers every control, errors included', async () => {
    const s = await start([{ id: 'scanner-1', protocol: 'serial-scanner' }]);
    expect(await s.control('nope', 'scan')).toMatchObject({ ok: false, error: 'UNKNOWN_DEVICE', message: 'no simulated device "nope"; known: scanner-1' });
    expect(await s.control('scanner-1', 'fly')).toMatchObject({ ok: false, error: 'UNKNOWN_ACTION', message: expect.stringContaining('known: unplug, replug, garbage, mute, unmute, scan') });
    expect(await s.control('scanner-1', 'scan', { code: '' })).toMatchObject({ ok: false, error: 'BAD_ARGS' });
    expect(await s.control('scanner-1', 'scan', { code: 'X', symbology: 'morse' })).toMatchObject({ ok: false, error: 'BAD_ARGS' });
    expect(await s.control('scanner-1', 'scan', { code: 'JJD014600001', symbology: 'qr' })).toEqual({ ok: true, code: 'JJD014600001', symbology: 'qr' });
    expect(endpoint('scanner-1').take()).toBe(']Q1JJD014600001\r\n');
    await s.control('scanner-1', 'unplug');
    expect(await s.control('scanner-1', 'scan', { code: 'A' })).toMatchObject({ ok: false, error: 'FAILED', message: 'scanner-1 is unplugged' });
    expect(s.actions('scanner-1')?.map((a) => a.name)).toEqual(['unplug', 'replug', 'garbage', 'mute', 'unmute', 'scan']);
  });

  it('tickMs 0 leaves ticking to the caller', async () => {
    const s = await start([{ id: 'scale-1', protocol: 'continuous-scale', load: 1500 }], { tickMs: 0 });
    const ep = endpoint('scale-1');
    await vi.advanceTimersByTimeAsync(1000);
    expect(ep.take()).toBe('');
    s.tick();
    s.tick();
    const sent = lines(ep.take());
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^ST,GS,1.,0001\.500 kg$/);
  });
});
