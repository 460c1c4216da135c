import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir, lockHolder, machineBootId } from '../../gateway/data-lock.js';

let dir: string;
let other: ChildProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-lock-'));
});
afterEach(async () => {
  other?.kill('SIGKILL');
  other = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** a real process that is running while the test looks at its lock */
function otherProcess(): number {
  other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return other.pid!;
}

const writeLock = (owner: unknown) => writeFile(path.join(dir, LOCK_FILE), typeof owner === 'string' ? owner : JSON.stringify(owner));

describe('data folder lock', () => {
  it('writes the pid and boot id, and release removes it', async () => {
    const lock = await lockDataDir(dir);
    const held = JSON.parse(await readFile(lock.file, 'utf8')) as { pid: number; bootId: string };
    expect(held).toMatchObject({ pid: process.pid, bootId: machineBootId() });
    expect(lock.tookOver).toBeUndefined();
    await lock.release();
    await expect(readFile(lock.file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('refuses a second gateway while the first runs, naming its pid', async () => {
    const pid = otherProcess();
    await writeLock({ pid, bootId: machineBootId(), host: 'van', startedAt: '2026-12-04T06:00:00.000Z' });
    const err = await lockDataDir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`pid ${pid}`);
    expect((err as Error).message).toContain(dir);
    expect(await lockHolder(dir)).toMatchObject({ pid });
    // the holder's lock is untouched
    expect(JSON.parse(await readFile(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(pid);
  });

  it('takes over the lock of a process that is gone', async () => {
    const pid = otherProcess();
    other!.kill('SIGKILL');
    await new Promise((r) => other!.once('exit', r));
    await writeLock({ pid, bootId: machineBootId(), host: 'van', startedAt: 'x' });
    expect(await lockHolder(dir)).toBeUndefined();
    const lock = await lockDataDir(dir);
    expect(lock.tookOver).toMatchObject({ pid });
    expect(JSON.parse(await readFile(lock.file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock from an earlier boot even when its pid runs now', async () => {
    const pid = otherProcess();
    await writeLock({ pid, bootId: 'an-earlier-boot', host: 'van', startedAt: 'x' });
    const lock = await lockDataDir(dir);
    expect(lock.tookOver).toMatchObject({ pid, bootId: 'an-earlier-boot' });
    await lock.release();
  });

  it('takes over a lock file that is not a lock (cut short by a crash)', async () => {
    await writeLock('{"pid": 12');
    const lock = await lockDataDir(dir);
    expect(lock.tookOver).toBe('unreadable');
    await lock.release();
  });

  it('release leaves a lock that another gateway took since', async () => {
    const lock = await lockDataDir(dir);
    const pid = otherProcess();
    await writeLock({ pid, bootId: machineBootId(), host: 'van', startedAt: 'x' });
    await lock.release();
    expect(JSON.parse(await readFile(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(pid);
  });
});
