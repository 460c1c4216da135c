/**
 * Offline soak: a simulated working day offline (1M records; 100k in the short form) —
 * pickups, ETA updates with coalescing keys, position tracks from 20 kits — appended to
 * the disk journal on a fake clock, while dispatch answers 503. Then dispatch comes up and
 * the HttpSyncer drains the journal to the reference dispatch (a child process, so its
 * store does not count in this process's memory). Checks: everything delivered (each ETA
 * key's last value among them), seq increasing per stream in arrival order, no gap in
 * the never-dropped streams, nothing changed under an id, and this process's memory flat
 * through append and drain.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Journal } from '../../cloud-sync/journal/index.js';
import { HttpSyncer } from '../../cloud-sync/sync/index.js';
import type { RecordInput } from '../../rules/records.js';
import { cliPath, freePort, run, type Proc } from '../helpers/process.js';
import { mb, MB, MemorySampler, sized, sleep } from './harness.js';

const RECORDS = sized(1_000_000, 100_000);
const KITS = 20;
const TOKEN = 'soak-token';
/** the day: 08:00 to 20:00 simulated, spread evenly over the records */
const DAY_START = Date.UTC(2025, 2, 3, 8, 0, 0);
const DAY_MS = 12 * 3_600_000;

let work: string;
let dispatch: Proc;
let dispatchUrl: string;
let journal: Journal | undefined;
let syncer: HttpSyncer | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'cg-rel-soak-'));
  const port = await freePort();
  dispatchUrl = `http://127.0.0.1:${port}`;
  dispatch = run(process.execPath, [cliPath, 'dispatch-sim', '--port', String(port), '--token', TOKEN, '--store-file', path.join(work, 'dispatch.jsonl'), '--down']);
  await dispatch.waitFor(/dispatch-sim listening/);
});

afterAll(async () => {
  await syncer?.stop();
  await journal?.close();
  if (dispatch && dispatch.child.exitCode === null) {
    dispatch.kill('SIGTERM');
    await dispatch.exited;
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** record i of the day: 10 % pickups, 30 % ETAs (one coalescing key per kit and stop), 60 % position tracks */
function recordAt(i: number): RecordInput {
  const kit = `van-${i % KITS}`;
  const r = Math.floor(i / KITS) % 10;
  if (r === 0) {
    return { kind: 'pickup.completed', stream: kit, kit, devices: [`scanner-${kit}`], body: { waybill: `WB${i}`, receipt: `R-${i}`, weights: { grams: 500 + (i % 3000) }, outcome: 'accepted' } };
  }
  if (r <= 3) {
    const stop = Math.floor(i / (KITS * 500)) % 40;
    return { kind: 'eta.update', stream: `eta:${kit}`, kit, coalesceKey: `eta:${kit}:T${stop}`, body: { taskId: `T${stop}`, etaAt: new Date(DAY_START + i).toISOString(), i } };
  }
  return { kind: 'position.track', stream: `gps-${kit}`, kit, devices: [`gps-${kit}`], body: { lat: 52.5 + (i % 1000) / 1e5, lon: 13.4 + (i % 777) / 1e5, speedKmh: i % 60, fix: '3d', i } };
}

async function dispatchSummary(): Promise<{ distinctIds: number; received: number; duplicates: number; changedUnderSameId: number; rejected: number; gapCount: number; perKind: Record<string, number> }> {
  return (await (await fetch(`${dispatchUrl}/admin/summary`)).json()) as never;
}

describe(`offline soak: ${RECORDS} records over a simulated day, then drain`, () => {
  it('delivers everything in order per stream with memory flat through append and drain', async () => {
    let simNow = DAY_START;
    journal = await Journal.open({ dir: path.join(work, 'journal'), gatewayId: 'gw-soak', clock: () => 'ntp', bootId: 'boot-soak', now: () => simNow, log: pino({ level: 'silent' }), quotaBytes: 2048 * MB });
    syncer = new HttpSyncer({ url: dispatchUrl, gatewayId: 'gw-soak', token: TOKEN, outbox: journal, backoff: { baseMs: 100, maxMs: 1000 }, idleRecheckMs: 500 });
    await syncer.start();

    const memory = new MemorySampler();
    memory.phase = 'append';
    memory.start(100);
    const heapBase = process.memoryUsage().heapUsed;
    const rssBase = process.memoryUsage().rss;
    const lastEta = new Map<string, number>();
    const counts = { pickups: 0, etas: 0, tracks: 0 };
    const t0 = Date.now();
    const BATCH = 2000;
    for (let i = 0; i < RECORDS; i += BATCH) {
      const pending: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(RECORDS, i + BATCH); j++) {
        simNow = DAY_START + Math.floor((j / RECORDS) * DAY_MS);
        const rec = recordAt(j);
        if (rec.kind === 'pickup.completed') counts.pickups++;
        else if (rec.kind === 'eta.update') {
          counts.etas++;
          lastEta.set(rec.coalesceKey!, j);
        } else counts.tracks++;
        pending.push(journal.append(rec));
      }
      await Promise.all(pending);
      if (i === Math.floor(RECORDS / 4 / BATCH) * BATCH) memory.phase = 'append-late';
    }
    const appendMs = Date.now() - t0;
    const stats = journal.stats();
    const superseded = journal.metrics().superseded;
    expect(stats.appended).toBe(RECORDS);
    expect(stats.thinned).toBe(0);

    // dispatch comes up
    memory.phase = 'drain';
    const d0 = Date.now();
    await fetch(`${dispatchUrl}/admin/faults`, { method: 'POST', body: JSON.stringify({ down: false }) });
    const expected = RECORDS - superseded;
    const deadline = Date.now() + sized(300_000, 90_000);
    let summary = await dispatchSummary();
    while (summary.distinctIds < expected || journal.stats().depth.records + journal.stats().depth.bulk + journal.stats().depth.live > 0) {
      if (Date.now() > deadline) break;
      await sleep(250);
      summary = await dispatchSummary();
    }
    const drainMs = Date.now() - d0;
    memory.stop();
    await syncer.stop();

    const figures = {
      records: RECORDS,
      ...counts,
      supersededEtas: superseded,
      appendMs,
      appendPerSec: Math.round(RECORDS / (appendMs / 1000)),
      bytesOnDisk: mb(stats.bytesOnDisk),
      delivered: summary.distinctIds,
      drainMs,
      drainPerSec: Math.round(summary.distinctIds / (drainMs / 1000)),
      resent: summary.duplicates,
      heapBaseMB: mb(heapBase),
      heapMaxAppendMB: mb(Math.max(memory.max('heapUsed', 'append'), memory.max('heapUsed', 'append-late'))),
      heapMaxEarlyAppendMB: mb(memory.max('heapUsed', 'append')),
      heapMaxLateAppendMB: mb(memory.max('heapUsed', 'append-late')),
      heapMaxDrainMB: mb(memory.max('heapUsed', 'drain')),
      rssBaseMB: mb(rssBase),
      rssMaxMB: mb(memory.max('rss')),
    };
    console.log(`[reliability] offline-soak ${JSON.stringify(figures)}`);

    expect(summary.distinctIds).toBe(expected);
    expect(summary.perKind['pickup.completed']).toBe(counts.pickups);
    expect(summary.perKind['position.track']).toBe(counts.tracks);
    expect(summary.perKind['eta.update']).toBe(counts.etas - superseded);
    expect(summary.changedUnderSameId).toBe(0);
    expect(summary.rejected).toBe(0);
    expect(summary.gapCount).toBe(0);
    expect(journal.stats().depth).toEqual({ live: 0, records: 0, bulk: 0 });

    // Memory: the journal keeps a window of at most 1024 records per lane and counters per
    // segment, the syncer one batch (≤ 500 records, ≤ 1 MiB) at a time, so nothing here
    // grows with the backlog. Allowance: 2000 appends in flight (promises, envelopes,
    // frames: ~5 MB) and V8 collecting late (young and old generation garbage between
    // major GCs) — 150 MB of heap over the start, whatever the record count. The late
    // three quarters of the append may not need more heap than the first quarter did plus
    // 64 MB: growth with the backlog would show there first.
    const heapBound = 150 * MB;
    expect(memory.max('heapUsed', 'append') - heapBase).toBeLessThan(heapBound);
    expect(memory.max('heapUsed', 'append-late') - heapBase).toBeLessThan(heapBound);
    expect(memory.max('heapUsed', 'drain') - heapBase).toBeLessThan(heapBound);
    expect(memory.max('heapUsed', 'append-late')).toBeLessThan(memory.max('heapUsed', 'append') + 64 * MB);
    expect(memory.max('rss') - rssBase).toBeLessThan(2 * heapBound);

    // order: the dispatch store file lists each id once, in the order it first arrived
    dispatch.kill('SIGTERM');
    await dispatch.exited;
    const lastSeq = new Map<string, number>();
    const etaSeen = new Set<number>();
    let lines = 0;
    let outOfOrder = 0;
    for await (const line of createInterface({ input: createReadStream(path.join(work, 'dispatch.jsonl')) })) {
      if (line === '') continue;
      lines++;
      const r = JSON.parse(line) as { stream: string; seq: number; kind: string; body: { i?: number } };
      const prev = lastSeq.get(r.stream) ?? 0;
      if (r.seq <= prev) outOfOrder++;
      lastSeq.set(r.stream, r.seq);
      if (r.kind === 'eta.update' && r.body.i !== undefined) etaSeen.add(r.body.i);
    }
    expect(lines).toBe(expected);
    expect(outOfOrder).toBe(0);
    expect(lastSeq.size).toBe(KITS * 3);
    const lostLatest = [...lastEta.values()].filter((i) => !etaSeen.has(i));
    expect(lostLatest).toEqual([]);
  });
});
