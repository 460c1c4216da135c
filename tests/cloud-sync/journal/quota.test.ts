import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal, JournalAlarm } from '../../../cloud-sync/journal/journal.js';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { drain, openJournal, pickup, tempDir, track } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let journal: Journal | null = null;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await journal?.close();
  journal = null;
  await cleanup();
});

/** a frame of the track records below is 12 + ~205 bytes */
const QUOTA = 4000;
const SEGMENT = 1000;

async function start(): Promise<{ j: Journal; alarms: JournalAlarm[] }> {
  journal = await openJournal(dir, { quotaBytes: QUOTA, segmentBytes: SEGMENT });
  const alarms: JournalAlarm[] = [];
  journal.on('alarm', (a: JournalAlarm) => alarms.push(a));
  return { j: journal, alarms };
}

describe('Journal quota', () => {
  it('alarms once when 80 % of the quota is used', async () => {
    const { j, alarms } = await start();
    while (j.stats().bytesOnDisk < 0.8 * QUOTA - 250) await j.append(track('kit-1', 0));
    expect(alarms).toEqual([]);
    await j.append(track('kit-1', 0));
    await j.append(track('kit-1', 0));
    expect(alarms).toEqual([{ kind: 'quota', message: expect.stringMatching(/^journal at 8\d % of its 4000 byte quota$/) }]);
  });

  it('over the quota drops the oldest position-track segment, then refuses new tracks', async () => {
    const { j } = await start();
    const kept: RecordEnvelope[] = [];
    for (let i = 0; i < 17; i += 1) kept.push(await j.append(track('kit-1', i)));
    expect(j.stats().bytesOnDisk).toBeLessThanOrEqual(QUOTA);
    const segsBefore = (await readdir(dir)).filter((f) => f.startsWith('bulk-')).sort();
    // the next tracks do not fit: the oldest bulk segments go, the newest tracks stay
    for (let i = 17; i < 24; i += 1) kept.push(await j.append(track('kit-1', i)));
    const segsAfter = (await readdir(dir)).filter((f) => f.startsWith('bulk-')).sort();
    expect(segsAfter).not.toContain(segsBefore[0]);
    const stats = j.stats();
    expect(stats.thinned).toBeGreaterThan(0);
    expect(stats.bytesOnDisk).toBeLessThanOrEqual(QUOTA);
    const sent = await drain(j);
    expect(sent.length).toBe(24 - stats.thinned);
    expect(sent).toEqual(kept.slice(stats.thinned).map((e) => e.id));
    expect(stats.depth.bulk).toBe(sent.length);
    // pickups fill the disk beyond the quota: there is no bulk segment left to drop but the one being written
    for (let i = 0; i < 20; i += 1) await j.append(pickup('kit-1', `W${i}`));
    expect(j.stats().bytesOnDisk).toBeGreaterThan(QUOTA);
    await expect(j.append(track('kit-1', 99))).rejects.toMatchObject({ name: 'RecordRefusedError', reason: 'QUOTA' });
    expect(j.metrics().refused).toBeGreaterThan(0);
  });

  it('never refuses nor drops a pickup for quota, and the seq of refused tracks is not consumed', async () => {
    const { j } = await start();
    const pickups: RecordEnvelope[] = [];
    for (let i = 0; i < 40; i += 1) pickups.push(await j.append(pickup('kit-1', `W${i}`)));
    expect(j.stats().bytesOnDisk).toBeGreaterThan(2 * QUOTA);
    await expect(j.append(track('kit-1', 1))).rejects.toMatchObject({ reason: 'QUOTA' });
    expect((await j.append(pickup('kit-1', 'W40'))).seq).toBe(41);
    expect(await drain(j)).toHaveLength(41);
    expect(j.stats().thinned).toBe(0);
  });

  it('takes tracks again once acknowledgements free space', async () => {
    const { j } = await start();
    for (let i = 0; i < 25; i += 1) await j.append(pickup('kit-1', `W${i}`));
    await expect(j.append(track('kit-2', 1))).rejects.toMatchObject({ reason: 'QUOTA' });
    await j.ack(await drain(j));
    const t = await j.append(track('kit-2', 1));
    expect(t.seq).toBe(1);
  });
});
