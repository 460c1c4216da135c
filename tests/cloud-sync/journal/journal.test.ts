import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from '../../../cloud-sync/journal/journal.js';
import { RecordRefusedError } from '../../../rules/records.js';
import { type RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { drain, eta, openJournal, pickup, tempDir, track } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
const open: Journal[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const j of open.splice(0)) await j.close();
  await cleanup();
});

async function start(extra: Parameters<typeof openJournal>[1] = {}): Promise<Journal> {
  const j = await openJournal(dir, extra);
  open.push(j);
  return j;
}

async function restart(j: Journal, extra: Parameters<typeof openJournal>[1] = {}): Promise<Journal> {
  await j.close();
  return start(extra);
}

describe('Journal append', () => {
  it('returns the envelope it wrote: id, seq per stream from 1, clock, boot, time', async () => {
    let t = Date.parse('2025-03-01T08:00:00.000Z');
    const j = await start({ now: () => t, clock: () => 'gps', bootId: 'boot-7' });
    const a = await j.append(pickup('kit-1', 'W1'));
    t += 1000;
    const b = await j.append(pickup('kit-2', 'W2'));
    const c = await j.append(pickup('kit-1', 'W3'));
    expect(a).toMatchObject({ kind: 'pickup.completed', gatewayId: 'gw-1', stream: 'kit-1', seq: 1, clock: 'gps', bootId: 'boot-7', createdAt: '2025-03-01T08:00:00.000Z', body: { waybill: 'W1' } });
    expect(b).toMatchObject({ stream: 'kit-2', seq: 1, createdAt: '2025-03-01T08:00:01.000Z' });
    expect(c).toMatchObject({ stream: 'kit-1', seq: 2 });
    expect(a.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([a.id, b.id, c.id]).toEqual([a.id, b.id, c.id].slice().sort());
    expect(typeof a.monoMs).toBe('number');
    expect(j.stats()).toMatchObject({ appended: 3, depth: { live: 0, records: 3, bulk: 0 } });
  });

  it("emits 'appended' once the record is durable", async () => {
    const j = await start();
    const seen: RecordEnvelope[] = [];
    j.on('appended', (env: RecordEnvelope) => seen.push(env));
    const env = await j.append(pickup('kit-1', 'W1'));
    expect(seen).toEqual([env]);
  });

  it('refuses appends after close', async () => {
    const j = await start();
    await j.close();
    await expect(j.append(pickup('kit-1', 'W1'))).rejects.toMatchObject({ name: 'RecordRefusedError', reason: 'CLOSED' });
    await expect(j.append(pickup('kit-1', 'W1'))).rejects.toBeInstanceOf(RecordRefusedError);
  });

  it('keeps seq gapless per stream under many concurrent appends', async () => {
    const j = await start();
    const envs = await Promise.all(Array.from({ length: 300 }, (_, i) => j.append(pickup(`kit-${i % 3}`, `W${i}`))));
    for (const kit of ['kit-0', 'kit-1', 'kit-2']) {
      const seqs = envs.filter((e) => e.stream === kit).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    }
    expect(new Set(envs.map((e) => e.id)).size).toBe(300);
  });
});

describe('Journal next / ack / reject', () => {
  it('sends live first, then records, then bulk, each in append order', async () => {
    const j = await start();
    const t1 = await j.append(track('kit-1', 1));
    const p1 = await j.append(pickup('kit-1', 'W1'));
    const e1 = await j.append(eta('kit-1', 'T1', 10));
    const p2 = await j.append(pickup('kit-2', 'W2'));
    const t2 = await j.append(track('kit-1', 2));
    expect(await drain(j)).toEqual([e1.id, p1.id, p2.id, t1.id, t2.id]);
  });

  it('hands out the same unacknowledged records again until they are acked', async () => {
    const j = await start();
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push((await j.append(pickup('kit-1', `W${i}`))).id);
    expect((await j.next(3, 1e9)).map((r) => r.id)).toEqual(ids.slice(0, 3));
    expect((await j.next(3, 1e9)).map((r) => r.id)).toEqual(ids.slice(0, 3));
    await j.ack([ids[0], ids[2]]);
    expect((await j.next(3, 1e9)).map((r) => r.id)).toEqual([ids[1], ids[3], ids[4]]);
    await j.ack([ids[1], ids[3], ids[4], 'unknown-id']);
    expect(await j.next(10, 1e9)).toEqual([]);
    expect(j.stats()).toMatchObject({ acked: 5, depth: { live: 0, records: 0, bulk: 0 }, oldestUnsentMs: 0 });
  });

  it('bounds a batch by bytes, yet always hands out at least one record', async () => {
    const j = await start();
    const envs = [];
    for (let i = 0; i < 4; i += 1) envs.push(await j.append(pickup('kit-1', `W${i}`)));
    // records differ by a few bytes (times): the bound is the first two's own sizes
    const [a, b, c] = envs.slice(0, 3).map((e) => Buffer.byteLength(JSON.stringify(e)));
    expect((await j.next(10, a + b + Math.min(c, a, b) - 1)).map((r) => r.id)).toEqual([envs[0].id, envs[1].id]);
    expect((await j.next(10, 1)).map((r) => r.id)).toEqual([envs[0].id]);
  });

  it('moves rejected records to the dead-letter file, counts and alarms them, and sends the rest', async () => {
    const j = await start({ now: () => Date.parse('2025-03-01T09:00:00Z') });
    const alarms: unknown[] = [];
    j.on('alarm', (a) => alarms.push(a));
    const a = await j.append(pickup('kit-1', 'W1'));
    const b = await j.append(pickup('kit-1', 'W2'));
    const c = await j.append(pickup('kit-1', 'W3'));
    await j.next(10, 1e9);
    await j.reject([{ id: b.id, reason: 'waybill unknown' }]);
    expect(await drain(j)).toEqual([a.id, c.id]);
    const lines = (await readFile(join(dir, 'dead-letter.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ id: b.id, reason: 'waybill unknown', rejectedAt: '2025-03-01T09:00:00.000Z', record: b }]);
    expect(j.stats()).toMatchObject({ rejected: 1, depth: { records: 2 } });
    expect(alarms).toEqual([{ kind: 'rejected', message: expect.stringContaining('waybill unknown') }]);
  });

  it('coalesces the live lane: only the newest unsent ETA per key goes out', async () => {
    const j = await start();
    await j.append(eta('kit-1', 'T1', 30));
    const t2 = await j.append(eta('kit-1', 'T2', 40));
    await j.append(eta('kit-1', 'T1', 25));
    const t1c = await j.append(eta('kit-1', 'T1', 20));
    const health = await j.append({ kind: 'device.health', stream: 'scale-1', body: { ok: true } });
    expect(await drain(j)).toEqual([t2.id, t1c.id, health.id]);
    expect(j.stats().depth.live).toBe(3);
    expect(j.metrics().superseded).toBe(2);
    // an ETA sent and then superseded before its ack is dropped too
    const t1d = await j.append(eta('kit-1', 'T1', 15));
    expect(await drain(j)).toEqual([t2.id, health.id, t1d.id]);
    await j.ack([t1c.id]);
    expect(j.stats().depth.live).toBe(3);
  });

  it('reports the age of the oldest unsent record', async () => {
    let t = 1_000_000;
    const j = await start({ now: () => t });
    await j.append(pickup('kit-1', 'W1'));
    t += 5_000;
    const b = await j.append(track('kit-1', 1));
    t += 2_000;
    expect(j.stats().oldestUnsentMs).toBe(7_000);
    const [a] = await j.next(1, 1e9);
    await j.ack([a.id]);
    expect(j.stats().oldestUnsentMs).toBe(2_000);
    await j.ack([b.id]);
    expect(j.stats().oldestUnsentMs).toBe(0);
  });
});

describe('Journal restart', () => {
  it('keeps what was not acknowledged, drops what was, and continues seq without a gap', async () => {
    let j = await start();
    const envs = [];
    for (let i = 0; i < 6; i += 1) envs.push(await j.append(pickup('kit-1', `W${i}`)));
    const e = await j.append(eta('kit-1', 'T1', 12));
    await j.next(10, 1e9);
    await j.ack([envs[0].id, envs[1].id, envs[3].id, e.id]);
    j = await restart(j);
    expect(await drain(j)).toEqual([envs[2].id, envs[4].id, envs[5].id]);
    const sent = await j.next(10, 1e9);
    expect(sent).toEqual([envs[2], envs[4], envs[5]]);
    expect(j.stats().depth).toEqual({ live: 0, records: 3, bulk: 0 });
    const more = await j.append(pickup('kit-1', 'W6'));
    expect(more.seq).toBe(8);
  });

  it('continues seq after every segment of a stream was acknowledged and deleted', async () => {
    let j = await start({ segmentBytes: 600 });
    const envs = [];
    for (let i = 0; i < 10; i += 1) envs.push(await j.append(pickup('kit-9', `W${i}`)));
    await j.ack(await drain(j));
    expect(j.stats().bytesOnDisk).toBeLessThan(600);
    j = await restart(j, { segmentBytes: 600 });
    expect(await drain(j)).toEqual([]);
    expect((await j.append(pickup('kit-9', 'W10'))).seq).toBe(11);
  });

  it('deletes wholly acknowledged segments and keeps the rest', async () => {
    const j = await start({ segmentBytes: 1000 });
    for (let i = 0; i < 30; i += 1) await j.append(pickup('kit-1', `W${i}`));
    const before = j.stats().bytesOnDisk;
    const ids = await drain(j);
    await j.ack(ids.slice(0, 20));
    const after = j.stats().bytesOnDisk;
    expect(after).toBeLessThan(before);
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.seg'));
    expect(files.length).toBeGreaterThan(0);
    expect(await drain(j)).toEqual(ids.slice(20));
  });

  it('streams a backlog larger than its window from disk, acked ahead or not, across restarts', async () => {
    let j = await start({ windowRecords: 4, segmentBytes: 2000 });
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1) ids.push((await j.append(pickup(`kit-${i % 2}`, `W${i}`))).id);
    const first = (await j.next(7, 1e9)).map((r) => r.id);
    expect(first).toEqual(ids.slice(0, 7));
    await j.ack([ids[1], ids[5], ids[6]]);
    j = await restart(j, { windowRecords: 4, segmentBytes: 2000 });
    const expected = ids.filter((_, i) => ![1, 5, 6].includes(i));
    expect(await drain(j)).toEqual(expected);
    await j.ack(expected.slice(0, 30));
    j = await restart(j, { windowRecords: 4, segmentBytes: 2000 });
    expect(await drain(j)).toEqual(expected.slice(30));
    expect(j.stats().depth.records).toBe(7);
  });
});
