import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalAlarm } from '../../../cloud-sync/journal/journal.js';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { openJournal, pickup, spyFs, tempDir, track } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

async function segmentBytes(): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) if (f.endsWith('.seg')) total += (await stat(join(dir, f))).size;
  return total;
}

describe('Journal write failures', () => {
  it('answers DISK_FULL on ENOSPC, truncates the partial write, and appends again once space is back', async () => {
    const spy = spyFs();
    const j = await openJournal(dir, { fs: spy.fs });
    const alarms: JournalAlarm[] = [];
    j.on('alarm', (a: JournalAlarm) => alarms.push(a));
    const a = await j.append(pickup('kit-1', 'W1'));
    const sizeBefore = await segmentBytes();
    spy.failWrites = { code: 'ENOSPC', remaining: 1 };
    const failed = await Promise.allSettled([j.append(pickup('kit-1', 'W2')), j.append(track('kit-1', 1))]);
    expect(failed.map((r) => (r.status === 'rejected' ? (r.reason as { reason: string }).reason : 'ok'))).toEqual(['DISK_FULL', 'DISK_FULL']);
    expect(await segmentBytes()).toBe(sizeBefore);
    expect(alarms).toEqual([{ kind: 'io', message: expect.stringContaining('ENOSPC') }]);
    expect(j.metrics().writeErrors).toBe(1);
    const b = await j.append(pickup('kit-1', 'W3'));
    expect(b.seq).toBe(2);
    expect((await j.next(10, 1e9)).map((r) => r.id)).toEqual([a.id, b.id]);
    await j.close();
    const reopened = await openJournal(dir);
    expect(await reopened.next(10, 1e9)).toEqual([a, b]);
    expect(reopened.recovery).toEqual({ torn: [], quarantined: [] });
    await reopened.close();
  });

  it('answers IO on other write errors and removes a segment it had just created', async () => {
    const spy = spyFs();
    const j = await openJournal(dir, { fs: spy.fs, segmentBytes: 300 });
    const a = await j.append(pickup('kit-1', 'W1'));
    const filesBefore = (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
    spy.failWrites = { code: 'EIO', remaining: 1 };
    await expect(j.append(pickup('kit-1', 'W2'))).rejects.toMatchObject({ name: 'RecordRefusedError', reason: 'IO' });
    expect((await readdir(dir)).filter((f) => f.endsWith('.seg')).sort()).toEqual(filesBefore);
    const b = await j.append(pickup('kit-1', 'W3'));
    expect(b.seq).toBe(2);
    await j.close();
    const reopened = await openJournal(dir, { segmentBytes: 300 });
    expect((await reopened.next(10, 1e9)).map((r: RecordEnvelope) => r.id)).toEqual([a.id, b.id]);
    await reopened.close();
  });
});

describe('Journal group commit', () => {
  it('shares one fdatasync among the appends that arrive together, and resolves none before it', async () => {
    const spy = spyFs();
    const j = await openJournal(dir, { fs: spy.fs, groupCommitMs: 0 });
    await j.append(pickup('kit-0', 'W0')); // creates the segment
    const syncsBefore = spy.datasyncs;
    let resolvedBeforeSync = 0;
    const appends = Array.from({ length: 200 }, (_, i) =>
      j.append(pickup(`kit-${i % 4}`, `W${i}`)).then((env) => {
        if (spy.datasyncs === syncsBefore) resolvedBeforeSync += 1;
        return env;
      }),
    );
    await Promise.all(appends);
    expect(spy.datasyncs - syncsBefore).toBe(1);
    expect(resolvedBeforeSync).toBe(0);
    expect(j.metrics()).toMatchObject({ commits: 2, appended: 201 });
    await j.close();
  });

  it('gathers the appends made while an fsync runs into the next one', async () => {
    const spy = spyFs();
    const j = await openJournal(dir, { fs: spy.fs, groupCommitMs: 0 });
    await j.append(pickup('kit-0', 'W0'));
    const syncsBefore = spy.datasyncs;
    // 50 producers, each appending 10 records one after the other
    await Promise.all(
      Array.from({ length: 50 }, async (_, p) => {
        for (let i = 0; i < 10; i += 1) await j.append(pickup(`kit-${p}`, `W${i}`));
      }),
    );
    expect(spy.datasyncs - syncsBefore).toBeLessThanOrEqual(12);
    expect(j.metrics().recordsPerCommit).toBeGreaterThan(30);
    await j.close();
  });

  it('reports fsync latency and bytes written per record', async () => {
    const j = await openJournal(dir);
    const env = await j.append(pickup('kit-1', 'W1'));
    const m = j.metrics();
    expect(m.bytesPerRecord).toBe(12 + Buffer.byteLength(JSON.stringify(env)));
    expect(m.bytesWritten).toBe(m.bytesPerRecord);
    expect(m.fsyncLastMs).toBeGreaterThan(0);
    expect(m.fsyncMaxMs).toBe(m.fsyncLastMs);
    expect(m.fsyncAvgMs).toBe(m.fsyncLastMs);
    await j.close();
  });
});
