import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fromHex } from '../../../devices/codec.js';
import type { DeviceConfig } from '../../../devices/driver.js';
import { findDecoder, findProtocol } from '../../../devices/registry.js';
import { LockerBank, kerongBankOptionsSchema } from '../../../devices/locker/index.js';
import { LockBoardLine, type StubUser } from '../../../firmware-stubs/locker/lock-board.js';
import { bankDevice, fakeContext, MapStore } from './fake-context.js';

const UNLOCK_A03 = '02 12 31 03 48';

function setup(options: { user?: Partial<StubUser>; store?: MapStore; device?: DeviceConfig; stub?: LockBoardLine } = {}) {
  const stub = options.stub ?? new LockBoardLine({ boards: [1, 2], user: options.user ?? { closeAfterMs: 4000 } });
  const rec = fakeContext(options.device ?? bankDevice, stub, options.store);
  const bank = new LockerBank(rec.ctx, kerongBankOptionsSchema.parse(rec.ctx.device), { replyTimeoutMs: 100, retries: 1, unlockGapMs: 20 });
  const unlocks = () => rec.links.flatMap((l) => l.writes).filter((w) => w.split(' ')[2] === '31');
  return { stub, bank, ...rec, unlocks };
}

const later = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('kerong-cu16 registration', () => {
  it('registers the protocol and the lockboard decoder', () => {
    const p = findProtocol('kerong-cu16');
    expect(p?.kind).toBe('locker');
    expect(p?.transports).toEqual(['serial']);
    const d = findDecoder('lockboard');
    expect(d?.input).toBe('hex');
    const out = d?.decode(fromHex('02 00 35 FE FF 01 00 03 38') as Uint8Array) as { type: string; locks: Record<string, unknown> };
    expect(out.type).toBe('state');
    expect(out.locks['1']).toEqual({ lockBit: 0, ir: true });
    expect(out.locks['2']).toEqual({ lockBit: 1, ir: false });
  });

  it('parses the issue config shape with defaults and names the bad path', () => {
    const parsed = kerongBankOptionsSchema.parse(bankDevice);
    expect(parsed.doorOpenAlarmMs).toBe(60_000);
    expect(parsed.compartments[2]).toEqual({ id: 'A03', board: 1, lock: 3, size: 'M' });
    const bad = kerongBankOptionsSchema.safeParse({
      lockedBit: 2,
      pollMs: 500,
      compartments: [
        { id: 'A01', board: 1, lock: 1, size: 'S' },
        { id: 'A01', board: 1, lock: 17, size: 'S' },
      ],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('lockedBit');
    expect(paths).toContain('compartments.1.lock');
  });
});

describe('LockerBank', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-03-01T09:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens A03 with exactly the unlock bytes once when the command comes twice with the same id', async () => {
    const { bank, stub, emits, unlocks, serialOptions } = setup();
    await bank.start();
    await vi.advanceTimersByTimeAsync(50);
    expect(serialOptions[0]).toMatchObject({ path: '/dev/ttyUSB1', baudRate: 19200 });
    const cmd = { id: 'cmd-1', compartment: 'A03', expiresAt: later(60_000) };
    const first = bank.command('open', cmd);
    const second = bank.command('open', cmd);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toEqual({ ok: true, compartment: 'A03', door: 'open', id: 'cmd-1' });
    expect(await second).toMatchObject({ ok: false, error: 'DUPLICATE', id: 'cmd-1' });
    expect(unlocks()).toEqual([UNLOCK_A03]);
    expect(stub.door(1, 3)).toBe('open');
    await vi.advanceTimersByTimeAsync(5000);
    const a03 = emits.filter((e) => e.type === 'locker' && e.payload.compartment === 'A03').map((e) => e.payload.door);
    expect(a03).toEqual(['closed', 'open', 'closed']);
    expect(bank.compartment('A03')?.door).toBe('closed');
    expect(unlocks()).toEqual([UNLOCK_A03]);
    expect(bank.describe().alarms).toEqual([]);
    await bank.stop();
  });

  it('remembers command ids across a restart and never runs an expired command', async () => {
    const store = new MapStore();
    const one = setup({ store });
    await one.bank.start();
    await vi.advanceTimersByTimeAsync(50);
    const run = one.bank.command('open', { id: 'cmd-7', compartment: 'A01', expiresAt: later(60_000) });
    await vi.advanceTimersByTimeAsync(100);
    expect((await run).ok).toBe(true);
    await one.bank.stop();

    const two = setup({ store, stub: one.stub });
    await two.bank.start();
    await vi.advanceTimersByTimeAsync(50);
    expect(await two.bank.command('open', { id: 'cmd-7', compartment: 'A01', expiresAt: later(60_000) })).toMatchObject({ error: 'DUPLICATE' });
    expect(await two.bank.command('open', { id: 'cmd-8', compartment: 'A02', expiresAt: later(-1) })).toMatchObject({ error: 'EXPIRED' });
    expect(await two.bank.command('open', { id: 'cmd-9', compartment: 'Z99', expiresAt: later(60_000) })).toMatchObject({ error: 'UNKNOWN_COMPARTMENT' });
    expect(await two.bank.command('open', { id: 'cmd-10', compartment: 'A02' })).toMatchObject({ error: 'INVALID_PAYLOAD' });
    // an open valid for ever could be replayed once its id is forgotten: at most 24 h ahead
    expect(await two.bank.command('open', { id: 'cmd-11', compartment: 'A02', expiresAt: '2999-01-01T00:00:00Z' })).toMatchObject({ ok: false, error: 'EXPIRES_TOO_LATE' });
    expect(await two.bank.command('open', { id: 'cmd-12', compartment: 'A02', expiresAt: later(24 * 3_600_000 + 1000) })).toMatchObject({ ok: false, error: 'EXPIRES_TOO_LATE' });
    expect(await two.bank.command('reboot', {})).toMatchObject({ error: 'NOT_SUPPORTED' });
    expect(two.unlocks()).toEqual([]);
    await two.bank.stop();
  });

  it('sends an unlock once and answers NOT_OPENED when the door sensor never shows it open', async () => {
    const { bank, stub, unlocks } = setup();
    stub.jam(1, 2);
    await bank.start();
    await vi.advanceTimersByTimeAsync(50);
    const result = bank.open('A02');
    await vi.advanceTimersByTimeAsync(5000);
    expect(await result).toMatchObject({ ok: false, error: 'NOT_OPENED', compartment: 'A02' });
    expect(unlocks()).toEqual(['02 11 31 03 47']);
    await bank.stop();
  });

  it('raises a forced-door alarm for a door opened without a command, cleared when it closes', async () => {
    const { bank, stub, faults } = setup();
    await bank.start();
    await vi.advanceTimersByTimeAsync(50);
    stub.forceOpen(2, 1);
    await vi.advanceTimersByTimeAsync(600);
    expect(bank.alarmList()).toMatchObject([{ kind: 'forced-door', compartment: 'B01' }]);
    expect(faults.map((f) => f.kind)).toEqual(['forced-door']);
    stub.close(2, 1);
    await vi.advanceTimersByTimeAsync(600);
    expect(bank.alarmList()).toEqual([]);
    await bank.stop();
  });

  it('raises door-open after doorOpenAlarmMs, once, and clears it on close', async () => {
    const { bank, stub, faults } = setup({ user: { closeAfterMs: null } });
    await bank.start();
    await vi.advanceTimersByTimeAsync(50);
    const run = bank.open('A01');
    await vi.advanceTimersByTimeAsync(100);
    expect((await run).ok).toBe(true);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(bank.alarmList()).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(bank.alarmList()).toMatchObject([{ kind: 'door-open', compartment: 'A01' }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(faults.filter((f) => f.kind === 'door-open').length).toBe(1);
    stub.close(1, 1);
    await vi.advanceTimersByTimeAsync(600);
    expect(bank.alarmList()).toEqual([]);
    await bank.stop();
  });

  it('raises board-timeout, refuses to open on that board, and recovers', async () => {
    const { bank, stub, unlocks, statuses } = setup();
    stub.mute(2);
    await bank.start();
    await vi.advanceTimersByTimeAsync(400);
    expect(bank.alarmList()).toMatchObject([{ kind: 'board-timeout', board: 2 }]);
    expect(bank.compartment('B01')?.door).toBe('unknown');
    expect(await bank.open('B01')).toMatchObject({ ok: false, error: 'BOARD_TIMEOUT' });
    expect(unlocks()).toEqual([]);
    expect(statuses.at(-1)).toEqual({ state: 'online', detail: { boardsNotAnswering: [2] } });
    stub.mute(2, false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(bank.alarmList()).toEqual([]);
    expect(bank.compartment('B01')?.door).toBe('closed');
    expect(statuses.at(-1)).toEqual({ state: 'online', detail: undefined });
    await bank.stop();
  });

  it('reconciles persisted state with the boards at start', async () => {
    const store = new MapStore();
    await store.set('compartments', {
      A01: { status: 'reserved' },
      A02: { status: 'occupied', parcel: { waybill: 'RB123456785GB', droppedAt: '2025-03-01T08:00:00.000Z' } },
      A03: { status: 'collecting', parcel: { waybill: 'SF1234567890123', droppedAt: '2025-03-01T08:00:00.000Z' } },
    });
    const stub = new LockBoardLine({ boards: [1, 2] });
    stub.setParcel(1, 3, true);
    stub.forceOpen(2, 1);
    const { bank, faults, emits } = setup({ store, stub });
    await bank.start();
    await vi.advanceTimersByTimeAsync(50);
    const view = Object.fromEntries(bank.list().map((c) => [c.id, [c.status, c.door, c.occupied]]));
    expect(view).toEqual({
      A01: ['free', 'closed', false],
      A02: ['occupied', 'closed', false],
      A03: ['occupied', 'closed', true],
      B01: ['free', 'open', false],
    });
    expect(bank.alarmList().map((a) => [a.kind, a.compartment])).toEqual([['occupancy-mismatch', 'A02']]);
    expect(faults.map((f) => f.kind)).toEqual(['occupancy-mismatch']);
    expect(emits.find((e) => e.payload.compartment === 'B01')?.payload).toMatchObject({ door: 'open', occupied: false });
    expect(store.get<Record<string, { status: string }>>('compartments')?.A03.status).toBe('occupied');
    await bank.stop();
  });

  it('finds the smallest free compartment that fits and keeps reservations and parcels', async () => {
    const store = new MapStore();
    const { bank } = setup({ store });
    await bank.start();
    await vi.advanceTimersByTimeAsync(50);
    expect(bank.findFree('S')?.id).toBe('A01');
    expect(await bank.reserve('A01')).toBe(true);
    expect(await bank.reserve('A01')).toBe(false);
    expect(bank.findFree('S')?.id).toBe('A02');
    expect(bank.findFree('M')?.id).toBe('A03');
    expect(bank.findFree('XL')).toBeUndefined();
    expect(await bank.occupy('A01', { waybill: 'RB123456785GB', grams: 820 })).toBe(true);
    expect(bank.findByWaybill('RB123456785GB')).toMatchObject({ id: 'A01', status: 'occupied', parcel: { grams: 820 } });
    expect(store.get<Record<string, { status: string }>>('compartments')?.A01.status).toBe('occupied');
    expect(await bank.markCollecting('A01')).toBe(true);
    expect(await bank.free('A01')).toBe(true);
    expect(bank.compartment('A01')).toMatchObject({ status: 'free', parcel: undefined });
    expect(await bank.command('service', { id: 's-1', compartment: 'A02', outOfService: true })).toEqual({ ok: true, id: 's-1' });
    expect(bank.findFree('S')?.id).toBe('A01');
    await bank.reserve('A01');
    expect(bank.findFree('S')?.id).toBe('A03');
    await bank.stop();
  });

  it('reports the port closing as offline with doors unknown', async () => {
    const { bank, links, statuses } = setup();
    await bank.start();
    await vi.advanceTimersByTimeAsync(50);
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'online']);
    await links[0].stop();
    expect(statuses.at(-1)).toEqual({ state: 'offline', detail: { reason: 'port closed' } });
    expect(bank.compartment('A01')?.door).toBe('unknown');
    await bank.stop();
  });
});
