/**
 * Journal: durable appends per second with group commit and bytes written per record, when
 * the journal already holds 1k, 10k and 100k unacknowledged records, against the naive
 * outbox (a lowdb JSONFile array: push one record, write the file) at the same backlogs.
 * Every side runs once per round, the order rotating; lowdb at 100k is capped by time.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { interleave, median, round, type Bench, type BenchRow } from './harness.js';
import { appendMany, openBenchJournal, pickupRecord } from './records.js';

const GOAL_APPENDS = 50_000;
const CONCURRENCY = 256;

interface JournalRound {
  appendsPerSec: number;
  bytesPerRecord: number;
  recordsPerCommit: number;
}

/** a fresh journal filled with `backlog` records, then `batch` more appends timed */
async function journalRound(backlog: number, batch: number): Promise<JournalRound> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-journal-'));
  const journal = await openBenchJournal(dir);
  try {
    await appendMany(journal, backlog, CONCURRENCY);
    const before = journal.metrics();
    const seconds = await appendMany(journal, batch, CONCURRENCY, backlog);
    const after = journal.metrics();
    const records = after.appended - before.appended;
    const commits = after.commits - before.commits;
    if (after.depthRecords !== backlog + batch) throw new Error(`journal holds ${after.depthRecords} records, expected ${backlog + batch}`);
    return {
      appendsPerSec: records / seconds,
      bytesPerRecord: (after.bytesWritten - before.bytesWritten) / records,
      recordsPerCommit: commits > 0 ? records / commits : 0,
    };
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface LowdbOutbox {
  db: Low<{ outbox: unknown[] }>;
  file: string;
  dir: string;
  next: number;
}

function envelopeOf(n: number): Record<string, unknown> {
  return { id: `01J${String(n).padStart(23, '0')}`, gatewayId: 'gw-bench', seq: n + 1, createdAt: new Date().toISOString(), clock: 'ntp', bootId: 'bench', monoMs: n, ...pickupRecord(n) };
}

async function openLowdb(backlog: number): Promise<LowdbOutbox> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-lowdb-'));
  const file = path.join(dir, 'outbox.json');
  const db = new Low<{ outbox: unknown[] }>(new JSONFile(file), { outbox: [] });
  db.data.outbox = Array.from({ length: backlog }, (_, i) => envelopeOf(i));
  await db.write();
  return { db, file, dir, next: backlog };
}

/** push + write per record until `minWrites` and `minSeconds` are both reached (or `maxSeconds` passed) */
async function lowdbRound(o: LowdbOutbox, minWrites: number, minSeconds: number, maxSeconds = Infinity): Promise<JournalRound> {
  let writes = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (;;) {
    o.db.data.outbox.push(envelopeOf(o.next++));
    await o.db.write();
    bytes += (await stat(o.file)).size;
    writes += 1;
    const s = (performance.now() - t0) / 1000;
    if ((writes >= minWrites && s >= minSeconds) || s >= maxSeconds) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { appendsPerSec: writes / seconds, bytesPerRecord: bytes / writes, recordsPerCommit: 1 };
}

export const journalBench: Bench = {
  name: 'Journal',
  key: 'journal',
  async run(ctx) {
    const rounds = ctx.quick ? 3 : 5;
    const batch = ctx.quick ? 20_000 : 50_000;
    const lowdbSeconds = ctx.quick ? 0.5 : 1.5;
    const rows: BenchRow[] = [];
    const journalAt: Record<string, number> = {};
    const lowdbAt: Record<string, number> = {};
    // warm-up: the first journal in a process pays for JIT and first file creation
    await journalRound(1_000, batch);
    const lowdb1k = await openLowdb(1_000);
    const lowdb10k = await openLowdb(10_000);
    let res: JournalRound[][];
    try {
      // every side once per round, the starting side rotating: drift on a shared machine hits all alike
      res = await interleave(rounds, [
        () => journalRound(1_000, batch),
        () => lowdbRound(lowdb1k, 3, lowdbSeconds),
        () => journalRound(10_000, batch),
        () => lowdbRound(lowdb10k, 3, lowdbSeconds),
        () => journalRound(100_000, batch),
      ]);
    } finally {
      await rm(lowdb1k.dir, { recursive: true, force: true });
      await rm(lowdb10k.dir, { recursive: true, force: true });
    }
    const rate = (rs: JournalRound[]) => median(rs.map((r) => r.appendsPerSec));
    journalAt[1_000] = rate(res[0]);
    lowdbAt[1_000] = rate(res[1]);
    journalAt[10_000] = rate(res[2]);
    lowdbAt[10_000] = rate(res[3]);
    journalAt[100_000] = rate(res[4]);
    const lowdbBytesAt10k = median(res[3].map((r) => r.bytesPerRecord));
    const bytesAt = [...res[0], ...res[2], ...res[4]].map((r) => r.bytesPerRecord);
    for (const [i, backlog] of [[0, 1_000], [2, 10_000], [4, 100_000]]) {
      ctx.log(`journal: backlog ${backlog}: ${res[i].map((r) => Math.round(r.appendsPerSec)).join(', ')} rec/s (${round(median(res[i].map((r) => r.recordsPerCommit)), 0)} per commit)`);
    }
    // lowdb at 100k: each write serializes ~35 MB, so a couple of writes capped by time
    const lowdb100k = await openLowdb(100_000);
    try {
      lowdbAt[100_000] = (await lowdbRound(lowdb100k, 2, 0, ctx.quick ? 1 : 3)).appendsPerSec;
    } finally {
      await rm(lowdb100k.dir, { recursive: true, force: true });
    }
    const appendsPerSec = median([...res[0], ...res[2], ...res[4]].map((r) => r.appendsPerSec));
    const flatness = journalAt[100_000] / journalAt[1_000];
    const bytesPerRecord = median(bytesAt);
    rows.push({ bench: 'journal', metric: 'appends/s (median, all backlogs)', value: Math.round(appendsPerSec), unit: 'rec/s', goal: `>= ${GOAL_APPENDS}`, met: appendsPerSec >= GOAL_APPENDS });
    for (const backlog of [1_000, 10_000, 100_000]) {
      const label = backlog >= 1000 ? `${backlog / 1000}k` : String(backlog);
      rows.push({ bench: 'journal', metric: `appends/s at ${label} backlog`, value: Math.round(journalAt[backlog]), unit: 'rec/s', goal: `>= ${GOAL_APPENDS}`, met: journalAt[backlog] >= GOAL_APPENDS });
      rows.push({ bench: 'journal', metric: `lowdb outbox at ${label}${backlog === 100_000 ? ' (2 writes, time-capped)' : ''}`, value: round(lowdbAt[backlog], 1), unit: 'rec/s' });
    }
    rows.push({ bench: 'journal', metric: 'appends/s 100k / 1k backlog', value: round(flatness, 2), unit: 'x', goal: 'flat (>= 0.8)', met: flatness >= 0.8 });
    rows.push({ bench: 'journal', metric: 'journal / lowdb at 10k', value: Math.round(journalAt[10_000] / lowdbAt[10_000]), unit: 'x' });
    rows.push({ bench: 'journal', metric: 'bytes written per record', value: round(bytesPerRecord, 1), unit: 'B' });
    rows.push({ bench: 'journal', metric: 'lowdb bytes written per record at 10k', value: Math.round(lowdbBytesAt10k), unit: 'B' });
    return {
      rows,
      json: {
        journal: {
          appendsPerSec: Math.round(appendsPerSec),
          bytesPerRecord: round(bytesPerRecord, 1),
          lowdbAppendsPerSecAt10k: round(lowdbAt[10_000], 1),
          appendsPerSecAt: Object.fromEntries(Object.entries(journalAt).map(([k, v]) => [k, Math.round(v)])),
          lowdbAppendsPerSecAt: Object.fromEntries(Object.entries(lowdbAt).map(([k, v]) => [k, round(v, 1)])),
          lowdbBytesPerRecordAt10k: Math.round(lowdbBytesAt10k),
          batch,
          concurrency: CONCURRENCY,
          note: 'appendsPerSec is the median of every round at 1k/10k/100k backlog; lowdb at 100k is 2 writes, capped by time',
        },
      },
    };
  },
};
