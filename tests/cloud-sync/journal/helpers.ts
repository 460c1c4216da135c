import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Journal, type JournalOptions } from '../../../cloud-sync/journal/journal.js';
import { nodeFs, type JournalFile, type JournalFs } from '../../../cloud-sync/journal/fs-seam.js';
import type { RecordInput } from '../../../rules/records.js';

export const silent = pino({ level: 'silent' });

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'journal-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function openJournal(dir: string, extra: Partial<JournalOptions> = {}): Promise<Journal> {
  return Journal.open({ dir, gatewayId: 'gw-1', clock: () => 'ntp', bootId: 'boot-1', log: silent, groupCommitMs: 0, ...extra });
}

export const pickup = (stream: string, waybill: string): RecordInput => ({
  kind: 'pickup.completed',
  stream,
  kit: stream,
  body: { waybill },
});

export const track = (stream: string, n: number): RecordInput => ({
  kind: 'position.track',
  stream,
  body: { n, lat: 52.5 + n / 1e5, lon: 13.4 },
});

export const eta = (stream: string, taskId: string, minutes: number): RecordInput => ({
  kind: 'eta.update',
  stream,
  coalesceKey: `eta:${taskId}`,
  body: { taskId, minutes },
});

/** takes everything the journal would send now, in one call */
export async function drain(journal: Journal): Promise<string[]> {
  return (await journal.next(100_000, 1e12)).map((r) => r.id);
}

export interface FsSpy {
  fs: JournalFs;
  datasyncs: number;
  /** when set, the next matching write writes half of its bytes, then fails with this code */
  failWrites: { code: string; remaining: number } | null;
}

/** node:fs with counted fdatasyncs and injectable write failures on segment files */
export function spyFs(): FsSpy {
  const spy: FsSpy = { fs: nodeFs, datasyncs: 0, failWrites: null };
  const wrap = (file: JournalFile, path: string): JournalFile => ({
    read: (buf, offset, length, position) => file.read(buf, offset, length, position),
    async write(buf, offset, length, position) {
      const fail = spy.failWrites;
      if (fail && fail.remaining > 0 && path.endsWith('.seg')) {
        fail.remaining -= 1;
        const half = Math.floor(length / 2);
        if (half > 0) await file.write(buf, offset, half, position);
        throw Object.assign(new Error(`${fail.code}: injected`), { code: fail.code });
      }
      return file.write(buf, offset, length, position);
    },
    async datasync() {
      spy.datasyncs += 1;
      await file.datasync();
    },
    truncate: (length) => file.truncate(length),
    size: () => file.size(),
    close: () => file.close(),
  });
  spy.fs = { ...nodeFs, open: async (path, flags) => wrap(await nodeFs.open(path, flags), path) };
  return spy;
}
