/**
 * One gateway per data folder: `<dataDir>/gateway.lock` holds the pid and the machine's
 * boot id of the gateway using it. A second gateway on the same folder refuses to start,
 * naming the pid. A lock is stale (and taken over) when its boot id is not this boot's (the
 * machine restarted) or its pid is not running; a lock file that cannot be read as a lock
 * is stale too (a crash while it was written).
 */
import { open, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE = 'gateway.lock';

export interface LockOwner {
  pid: number;
  bootId: string;
  host: string;
  startedAt: string;
}

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(readonly dataDir: string, readonly owner: LockOwner) {
    super(`data folder ${dataDir} is in use by another gateway (pid ${owner.pid}, started ${owner.startedAt}); stop it first, or give this one another gateway.dataDir`);
  }
}

/** This boot's id (Linux); elsewhere the host name and the boot time, which serve the same end. */
export function machineBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return `${os.hostname()}@${Math.round(Date.now() / 1000 - os.uptime())}`;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.bootId === 'string') {
      return { pid: v.pid, bootId: v.bootId, host: String(v.host ?? ''), startedAt: String(v.startedAt ?? '') };
    }
  } catch {
    // not a lock: stale
  }
  return undefined;
}

/** Who holds the data folder now, if anyone (a stale lock is no one). */
export async function lockHolder(dataDir: string, bootId = machineBootId()): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const owner = parseOwner(text);
  if (!owner || owner.bootId !== bootId || !running(owner.pid)) return undefined;
  return owner;
}

export interface DataDirLock {
  readonly file: string;
  /** what replaced a stale lock, when one was found */
  readonly tookOver: LockOwner | 'unreadable' | undefined;
  release(): Promise<void>;
}

/** Takes the data folder for this process, or throws DataDirLockedError naming the holder. */
export async function lockDataDir(dataDir: string, options: { pid?: number; bootId?: string } = {}): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid: options.pid ?? process.pid, bootId: options.bootId ?? machineBootId(), host: os.hostname(), startedAt: new Date().toISOString() };
  let tookOver: DataDirLock['tookOver'];
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        file,
        tookOver,
        async release() {
          if (released) return;
          released = true;
          // only our own lock: a gateway that took over a lock we lost keeps its own
          const now = parseOwner(await readFile(file, 'utf8').catch(() => ''));
          if (now && now.pid === me.pid && now.bootId === me.bootId) await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the lock file ${file}: ${(err as Error).message}`);
    }
    const text = await readFile(file, 'utf8').catch(() => '');
    const owner = parseOwner(text);
    if (owner && owner.bootId === me.bootId && running(owner.pid) && owner.pid !== me.pid) throw new DataDirLockedError(dataDir, owner);
    tookOver = owner ?? 'unreadable';
    await rm(file, { force: true });
  }
  throw new Error(`cannot take the lock file ${file}: another process keeps replacing it`);
}
