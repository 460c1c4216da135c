import { appendFile, cp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalAlarm } from '../../../cloud-sync/journal/journal.js';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { openJournal, pickup, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

async function segments(d: string): Promise<string[]> {
  return (await readdir(d)).filter((f) => f.endsWith('.seg')).sort();
}

/** writes `count` pickups on kit-1 into `d` and closes; the envelopes in order */
async function seed(d: string, count: number, segmentBytes: number): Promise<RecordEnvelope[]> {
  const j = await openJournal(d, { segmentBytes });
  const envs: RecordEnvelope[] = [];
  for (let i = 0; i < count; i += 1) envs.push(await j.append(pickup('kit-1', `WB-${String(i).padStart(4, '0')}`)));
  await j.close();
  return envs;
}

describe('Journal replay', () => {
  it('truncated at every byte of its final record, replays every earlier record and nothing garbled', async () => {
    const template = join(dir, 'template');
    const envs = await seed(template, 6, 1200);
    // the last record is appended by a run that dies without writing its state again
    const running = await openJournal(template, { segmentBytes: 1200 });
    envs.push(await running.append(pickup('kit-1', 'WB-0006')));
    const crashed = join(dir, 'crashed');
    await cp(template, crashed, { recursive: true });
    await running.close();
    const segs = await segments(crashed);
    expect(segs.length).toBeGreaterThan(1);
    const last = segs.at(-1) as string;
    const lastSize = (await stat(join(crashed, last))).size;
    const finalSize = 12 + Buffer.byteLength(JSON.stringify(envs.at(-1)));
    const finalStart = lastSize - finalSize;
    for (let cut = finalStart; cut < lastSize; cut += 1) {
      const work = join(dir, `cut-${cut}`);
      await cp(crashed, work, { recursive: true });
      await truncate(join(work, last), cut);
      const j = await openJournal(work, { segmentBytes: 1200 });
      const sent = await j.next(100, 1e9);
      expect(sent).toEqual(envs.slice(0, -1));
      expect(j.recovery.torn.length).toBe(cut === finalStart ? 0 : 1);
      expect((await stat(join(work, last))).size).toBe(finalStart);
      await j.close();
      if ((cut - finalStart) % 8 !== 0 && cut !== lastSize - 1) continue;
      // and the journal writes on from there
      const j2 = await openJournal(work, { segmentBytes: 1200 });
      expect(j2.recovery.torn).toEqual([]);
      const again = await j2.append(pickup('kit-1', 'WB-again'));
      expect(again.seq).toBe(7);
      await j2.close();
      const reopened = await openJournal(work, { segmentBytes: 1200 });
      expect(await reopened.next(100, 1e9)).toEqual([...envs.slice(0, -1), again]);
      expect(reopened.recovery.torn).toEqual([]);
      await reopened.close();
    }
  });

  it('truncates a zero-filled tail and keeps every record', async () => {
    const envs = await seed(dir, 3, 1 << 20);
    const [seg] = await segments(dir);
    await appendFile(join(dir, seg), Buffer.alloc(700));
    const j = await openJournal(dir);
    expect(await j.next(10, 1e9)).toEqual(envs);
    expect(j.recovery.torn).toEqual([expect.objectContaining({ droppedBytes: 700, reason: 'zero-filled tail' })]);
    await j.close();
  });

  it('quarantines a segment with a corrupt record in its middle, alarms, and delivers the rest', async () => {
    const envs = await seed(dir, 12, 1200);
    const segs = await segments(dir);
    expect(segs.length).toBeGreaterThanOrEqual(3);
    const victim = segs[1];
    const bytes = await readFile(join(dir, victim));
    const marker = bytes.indexOf('WB-');
    bytes[marker + 1] ^= 0x20; // a flipped bit inside the first record's payload
    await writeFile(join(dir, victim), bytes);
    const victimIds = new Set<string>();
    for (const e of envs) if (bytes.includes(e.id)) victimIds.add(e.id);
    expect(victimIds.size).toBeGreaterThan(1);

    const j = await openJournal(dir, { segmentBytes: 1200 });
    const alarms: JournalAlarm[] = [];
    j.on('alarm', (a: JournalAlarm) => alarms.push(a));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await j.next(100, 1e9)).toEqual(envs.filter((e) => !victimIds.has(e.id)));
    expect(j.recovery.quarantined).toEqual([expect.objectContaining({ segment: `records#${Number(victim.slice(8, 16))}`, reason: 'payload-checksum' })]);
    expect(alarms).toEqual([{ kind: 'corrupt', message: expect.stringContaining('quarantined') }]);
    expect(await readdir(dir)).toContain(`${victim}.corrupt`);
    expect(j.stats().depth.records).toBe(envs.length - victimIds.size);
    const next = await j.append(pickup('kit-1', 'WB-after'));
    expect(next.seq).toBe(13);
    await j.close();
  });

  it('quarantines a last segment corrupt before its end and writes on in a new one', async () => {
    const envs = await seed(dir, 3, 1 << 20);
    const [seg] = await segments(dir);
    const bytes = await readFile(join(dir, seg));
    bytes[2] ^= 0xff; // the first record's length
    await writeFile(join(dir, seg), bytes);
    let j = await openJournal(dir);
    expect(await j.next(10, 1e9)).toEqual([]);
    expect(j.recovery.quarantined).toEqual([expect.objectContaining({ offset: 0, reason: 'header-checksum', readableRecords: 0 })]);
    // seqs 1-3 were durable once: they are not given again
    const next = await j.append(pickup('kit-1', 'WB-new'));
    expect(next.seq).toBe(4);
    await j.close();
    j = await openJournal(dir);
    expect(await j.next(10, 1e9)).toEqual([next]);
    expect(envs.length).toBe(3);
    await j.close();
  });

  it('quarantines a segment found damaged while reading lazily, and goes on with the next', async () => {
    const j = await openJournal(dir, { segmentBytes: 1200, windowRecords: 2 });
    const envs: RecordEnvelope[] = [];
    for (let i = 0; i < 12; i += 1) envs.push(await j.append(pickup('kit-1', `WB-${i}`)));
    const alarms: JournalAlarm[] = [];
    j.on('alarm', (a: JournalAlarm) => alarms.push(a));
    const segs = await segments(dir);
    const bytes = await readFile(join(dir, segs[1]));
    const inVictim = envs.filter((e) => bytes.includes(e.id)).map((e) => e.id);
    bytes[bytes.length - 5] ^= 0x01;
    bytes[20] ^= 0x01;
    await writeFile(join(dir, segs[1]), bytes);
    const sent = await j.next(100, 1e9);
    expect(sent).toEqual(envs.filter((e) => !inVictim.includes(e.id)));
    expect(alarms).toEqual([{ kind: 'corrupt', message: expect.stringContaining(`${inVictim.length} unsent record(s)`) }]);
    expect(j.metrics().quarantined).toBe(1);
    await j.close();
  });
});

describe('records seen on open', () => {
  it('shows each unacknowledged record kept on open, never an acknowledged one', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const j = await openJournal(dir);
      const a = await j.append(pickup('kit-1', 'RR123456785CN'));
      await j.append(pickup('kit-1', 'RB123456785GB'));
      await j.ack([a.id]);
      await j.close();
      const seen: string[] = [];
      const again = await openJournal(dir, { onReplay: (env) => seen.push(String(env.body.waybill)) });
      expect(seen).toEqual(['RB123456785GB']);
      await again.close();
    } finally {
      await cleanup();
    }
  });
});
