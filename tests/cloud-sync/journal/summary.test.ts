import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFs, type JournalFs } from '../../../cloud-sync/journal/fs-seam.js';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { STATE_FILE } from '../../../cloud-sync/journal/state.js';
import { drain, openJournal, pickup, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

const SEGMENT_BYTES = 2000;

async function files(ext: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(ext)).sort();
}

/** node:fs that counts reads of each segment file */
function readCounter(): { fs: JournalFs; segmentsRead: Set<string> } {
  const segmentsRead = new Set<string>();
  const fs: JournalFs = {
    ...nodeFs,
    async open(path, flags) {
      const file = await nodeFs.open(path, flags);
      if (!path.endsWith('.seg')) return file;
      return { ...file, read: (buf, offset, length, position) => {
        segmentsRead.add(path.slice(path.lastIndexOf('/') + 1));
        return file.read(buf, offset, length, position);
      }, write: file.write.bind(file), datasync: file.datasync.bind(file), truncate: file.truncate.bind(file), size: file.size.bind(file), close: file.close.bind(file) };
    },
  };
  return { fs, segmentsRead };
}

/** `count` pickups over two kits, closed; their envelopes */
async function seed(count: number): Promise<RecordEnvelope[]> {
  const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES });
  const envs: RecordEnvelope[] = [];
  for (let i = 0; i < count; i += 1) envs.push(await j.append(pickup(i % 2 === 0 ? 'kit-1' : 'kit-2', `WB-${String(i).padStart(4, '0')}`)));
  await j.close();
  return envs;
}

describe('Journal segment summaries', () => {
  it('opens a backlog reading only the tail, and still hands out every record in order', async () => {
    const envs = await seed(120);
    const segs = await files('.seg');
    expect(segs.length).toBeGreaterThan(6);
    // every closed segment has its summary; the one still written to has none
    expect(await files('.sum')).toEqual(segs.slice(0, -1).map((s) => s.replace('.seg', '.sum')));

    const { fs, segmentsRead } = readCounter();
    const replayed: string[] = [];
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, fs, replayTailRecords: 10, onReplay: (env) => replayed.push(env.id) });
    expect(j.stats().depth.records).toBe(120);
    // nothing is acknowledged yet, so not even the cursor's segment is read: only the tail, the newest 10 records at least
    const opened = [...segmentsRead].sort();
    expect(opened.length).toBeLessThan(segs.length / 2);
    expect(opened).not.toContain(segs[0]);
    expect(opened).toContain(segs.at(-1));
    // what the crash re-marking sees: the records of the segments read, the newest 10 among them
    expect(replayed.slice(-10)).toEqual(envs.slice(-10).map((e) => e.id));
    expect(replayed.length).toBeLessThan(60);

    // the records between are read when the sync reaches them
    expect(await drain(j)).toEqual(envs.map((e) => e.id));
    const next = await j.append(pickup('kit-1', 'WB-next'));
    expect(next.seq).toBe(61);
    await j.close();
  });

  it('reads the segment holding the cursor when part of it is acknowledged', async () => {
    const envs = await seed(120);
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES });
    await j.ack((await j.next(2, 1e9)).map((e) => e.id));
    await j.close();
    const { fs, segmentsRead } = readCounter();
    const again = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, fs, replayTailRecords: 10 });
    expect(segmentsRead).toContain((await files('.seg'))[0]);
    expect(again.stats().depth.records).toBe(118);
    expect(await drain(again)).toEqual(envs.slice(2).map((e) => e.id));
    await again.close();
  });

  it('keeps seq gapless across a crash after summaries were written and the state was not', async () => {
    await seed(40);
    const state = await readFile(join(dir, STATE_FILE));
    // a run appends 30 on kit-2 then 30 on kit-1 (closing segments, writing their summaries), then dies before its state is saved again
    const running = await openJournal(dir, { segmentBytes: SEGMENT_BYTES });
    for (let i = 0; i < 30; i += 1) await running.append(pickup('kit-2', `WB-late-${i}`));
    for (let i = 0; i < 30; i += 1) await running.append(pickup('kit-1', `WB-late-${i}`));
    await running.close();
    await writeFile(join(dir, STATE_FILE), state);

    // kit-2's last records are in summarized segments only: their seqs come from the summaries
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, replayTailRecords: 1 });
    expect((await j.append(pickup('kit-1', 'WB-after'))).seq).toBe(20 + 30 + 1);
    expect((await j.append(pickup('kit-2', 'WB-after'))).seq).toBe(20 + 30 + 1);
    await j.close();
  });

  it('counts records acknowledged ahead of the cursor out of a summarized segment', async () => {
    const envs = await seed(80);
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, windowRecords: 4 });
    const all = await drain(j);
    // acknowledges every record but the first: all are ahead of the cursor
    await j.ack(all.slice(1));
    await j.close();

    const again = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, replayTailRecords: 1 });
    expect(again.stats().depth.records).toBe(1);
    expect(await drain(again)).toEqual([envs[0].id]);
    await again.close();
  });

  it('reads a segment whose summary is unreadable or of another size, and removes summaries left without a segment', async () => {
    const envs = await seed(100);
    const sums = await files('.sum');
    await writeFile(join(dir, sums[2]), '{"version":1,"size":');
    const wrongSize = JSON.parse(await readFile(join(dir, sums[3]), 'utf8')) as { size: number };
    await writeFile(join(dir, sums[3]), JSON.stringify({ ...wrongSize, size: wrongSize.size + 7, records: 999 }));
    await writeFile(join(dir, 'records-00009999.sum'), '{}');
    await writeFile(join(dir, 'records-00000004.sum.tmp'), '{');

    const { fs, segmentsRead } = readCounter();
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, fs, replayTailRecords: 1 });
    expect(j.stats().depth.records).toBe(100);
    expect(segmentsRead).toContain(sums[2].replace('.sum', '.seg'));
    expect(segmentsRead).toContain(sums[3].replace('.sum', '.seg'));
    expect(await drain(j)).toEqual(envs.map((e) => e.id));
    await j.close();
    const left = await readdir(dir);
    expect(left).not.toContain('records-00009999.sum');
    expect(left).not.toContain('records-00000004.sum.tmp');
    // the two it had to read got good summaries again
    const fixed = JSON.parse(await readFile(join(dir, sums[3]), 'utf8')) as { size: number; records: number };
    expect(fixed.size).toBe(wrongSize.size);
    expect(JSON.parse(await readFile(join(dir, sums[2]), 'utf8'))).toHaveProperty('records');
  });

  it('deletes a summary with its segment once every record in it is acknowledged', async () => {
    await seed(60);
    const before = await files('.sum');
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES });
    await j.ack(await drain(j));
    await j.close();
    expect(before.length).toBeGreaterThan(2);
    expect(await files('.sum')).toEqual([]);
    expect((await files('.seg')).length).toBe(1);
  });

  it('opens a state file of the first format, whose early acknowledgements name no segment, by reading every segment', async () => {
    const envs = await seed(60);
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, windowRecords: 4 });
    const all = await drain(j);
    await j.ack([all[5]]);
    await j.close();
    const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as { ackedAhead: Record<string, { id: string }[]> };
    const v1 = { ...state, version: 1, ackedAhead: Object.fromEntries(Object.entries(state.ackedAhead).map(([lane, list]) => [lane, list.map((a) => a.id)])) };
    await writeFile(join(dir, STATE_FILE), JSON.stringify(v1));
    const { fs, segmentsRead } = readCounter();
    const again = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, fs, replayTailRecords: 1 });
    expect(segmentsRead.size).toBe((await files('.seg')).length);
    expect(await drain(again)).toEqual(envs.filter((e) => e.id !== all[5]).map((e) => e.id));
    await again.close();
  });

  it('opens a torn tail after summaries, truncating only the last segment', async () => {
    const envs = await seed(50);
    const last = (await files('.seg')).at(-1) as string;
    const size = (await readFile(join(dir, last))).length;
    await truncate(join(dir, last), size - 5);
    const j = await openJournal(dir, { segmentBytes: SEGMENT_BYTES, replayTailRecords: 1 });
    expect(j.recovery.torn.map((t) => t.segment)).toEqual([`records#${Number(last.slice(8, 16))}`]);
    expect(await drain(j)).toEqual(envs.slice(0, -1).map((e) => e.id));
    await j.close();
  });
});
