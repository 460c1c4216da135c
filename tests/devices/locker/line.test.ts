import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CodecError, fromHex } from '../../../devices/codec.js';
import { LockLine } from '../../../devices/locker/line.js';
import { bitOf } from '../../../devices/locker/kerong-cu16.js';
import { LockBoardLine } from '../../../firmware-stubs/locker/lock-board.js';
import { StubbedLink } from './stubbed-link.js';

function setup(boards = [0, 1]) {
  const stub = new LockBoardLine({ boards, user: { closeAfterMs: null } });
  const link = new StubbedLink(stub);
  const faults: { kind: string; error: Error }[] = [];
  const line = new LockLine({ link, timeoutMs: 100, retries: 2, unlockGapMs: 20, onFault: (kind, error) => faults.push({ kind, error }) });
  link.start();
  return { stub, link, line, faults };
}

describe('LockLine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queries a board and returns its reply', async () => {
    const { stub, link, line } = setup();
    stub.setParcel(1, 2, true);
    const pending = line.query(1);
    await vi.advanceTimersByTimeAsync(10);
    const result = await pending;
    expect(link.writes).toEqual(['02 10 30 03 45']);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.attempts).toBe(1);
    expect(result.state.board).toBe(1);
    expect(bitOf(result.state.irBits, 2)).toBe(1);
    expect(bitOf(result.state.lockBits, 1)).toBe(0);
  });

  it('sends one request at a time and matches each reply to its board', async () => {
    const { link, line } = setup();
    const a = line.query(0);
    const b = line.query(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(link.writes).toEqual(['02 00 30 03 35']);
    await vi.advanceTimersByTimeAsync(5);
    expect(link.writes).toEqual(['02 00 30 03 35', '02 10 30 03 45']);
    await vi.advanceTimersByTimeAsync(5);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.ok && ra.state.board).toBe(0);
    expect(rb.ok && rb.state.board).toBe(1);
  });

  it('retries a state query a bounded number of times, then reports TIMEOUT', async () => {
    const { stub, link, line } = setup();
    stub.mute(1);
    const pending = line.query(1);
    await vi.advanceTimersByTimeAsync(299);
    expect(link.writes.length).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toEqual({ ok: false, error: 'TIMEOUT', attempts: 3 });
    expect(link.writes.length).toBe(3);
  });

  it('succeeds on a retry when the board answers late', async () => {
    const { stub, link, line } = setup();
    stub.mute(0);
    const pending = line.query(0);
    await vi.advanceTimersByTimeAsync(150);
    stub.mute(0, false);
    await vi.advanceTimersByTimeAsync(60);
    const result = await pending;
    expect(result.ok && result.attempts).toBe(3);
    expect(link.writes).toEqual(['02 00 30 03 35', '02 00 30 03 35', '02 00 30 03 35']);
  });

  it('writes an unlock exactly once and never retries it, even when nothing answers', async () => {
    const { stub, link, line } = setup();
    stub.mute(1);
    const pending = line.unlock(1, 3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await pending).toEqual({ ok: true, hex: '02 12 31 03 48' });
    expect(link.writes).toEqual(['02 12 31 03 48']);
  });

  it('opens the door in the stub with the unlock bytes', async () => {
    const { stub, line } = setup();
    const pending = line.unlock(1, 3);
    await vi.advanceTimersByTimeAsync(20);
    await pending;
    expect(stub.door(1, 3)).toBe('open');
    expect(stub.door(1, 2)).toBe('closed');
  });

  it('does not retry a failed write', async () => {
    const { link, line, faults } = setup();
    link.failWrites = true;
    expect(await line.unlock(0, 1)).toEqual({ ok: false, error: 'WRITE_FAILED' });
    expect(await line.query(0)).toEqual({ ok: false, error: 'WRITE_FAILED', attempts: 1 });
    expect(faults.map((f) => f.kind)).toEqual(['write-failed', 'write-failed']);
  });

  it('counts bad frames and replies nobody asked for, and ignores its own echo', async () => {
    const { link, faults } = setup();
    link.inject(fromHex('02 00 30 03 99') as Uint8Array);
    link.inject(fromHex('02 00 35 FE FF 01 00 03 38') as Uint8Array);
    link.inject(fromHex('02 00 30 03 35') as Uint8Array);
    await vi.advanceTimersByTimeAsync(0);
    expect(faults.map((f) => f.kind)).toEqual(['bad-frame', 'unexpected-reply']);
    expect((faults[0].error as CodecError).code).toBe('BAD_CHECKSUM');
  });

  it('refuses an address outside the board range without writing', async () => {
    const { link, line } = setup();
    expect(await line.unlock(16, 1)).toEqual({ ok: false, error: 'BAD_ADDRESS' });
    expect(link.writes).toEqual([]);
  });

  it('ends a waiting query and the queue with STOPPED on stop', async () => {
    const { stub, line } = setup();
    stub.mute(0);
    const a = line.query(0);
    const b = line.unlock(0, 1);
    await vi.advanceTimersByTimeAsync(10);
    line.stop();
    expect((await a).ok).toBe(false);
    expect(await a).toMatchObject({ error: 'STOPPED' });
    expect(await b).toEqual({ ok: false, error: 'STOPPED' });
  });
});
