/**
 * Replay of one lane on open. The segment holding the acknowledged cursor and the newest
 * segments (at least `tailRecords` records: what a crash may have left unmarked) are
 * streamed, one segment at a time; a torn tail is truncated, and a segment with damage
 * before its end is renamed aside (quarantined) and the lane goes on with the next one.
 * The closed segments between them are taken from their summaries (`summary.ts`) without
 * being read: their records are read lazily when the sync reaches them. The live lane is
 * always read whole, since which of its records a newer one supersedes is known only from
 * the records themselves.
 */
import type { Logger } from 'pino';
import type { RecordEnvelope } from './records.js';
import { isEnvelope, parseEnvelope } from './envelope.js';
import type { JournalFs } from './fs-seam.js';
import type { LaneQueue, RecordRef } from './lane.js';
import { readFrames, segmentPath } from './segments.js';
import type { Cursor } from './state.js';
import { readSummary, removeSummary, writeSummary, type SegmentSummary } from './summary.js';

const DEFAULT_TAIL_RECORDS = 1000;

export interface ReplayEvents {
  torn: { segment: string; offset: number; droppedBytes: number; reason: string }[];
  quarantined: { segment: string; offset: number; reason: string; readableRecords: number }[];
}

export interface ReplayContext {
  fs: JournalFs;
  dir: string;
  log: Logger;
  /** last seq per stream, raised by every record met (quarantined ones too: their seqs are never reused) */
  lastSeq: Map<string, number>;
  events: ReplayEvents;
  /** sees the newest `tailRecords` unacknowledged records of each segment read on open, the lane's newest among them (the pipeline rebuilds what a crash may have lost) */
  onReplay?: (env: RecordEnvelope) => void;
  /** the newest records of each lane that are read, never taken from a summary (default 1000) */
  tailRecords?: number;
}

interface Scanned {
  ref: RecordRef;
  stream: string;
  seq: number;
  payload: Buffer;
}

export function refOf(env: RecordEnvelope, seg: number, offset: number, size: number, payloadBytes: number): RecordRef {
  return { id: env.id, seg, offset, size, payloadBytes, createdAtMs: Date.parse(env.createdAt), coalesceKey: env.coalesceKey };
}

function envelopeFrom(payload: Buffer): RecordEnvelope {
  const parsed = parseEnvelope(payload);
  if (!isEnvelope(parsed)) throw new Error(`envelope no longer parses: ${parsed.invalid}`);
  return Object.freeze(parsed);
}

async function fileSize(fs: JournalFs, path: string): Promise<number> {
  const file = await fs.open(path, 'r');
  try {
    return await file.size();
  } finally {
    await file.close();
  }
}

async function truncateTo(fs: JournalFs, path: string, length: number): Promise<void> {
  const file = await fs.open(path, 'r+');
  try {
    await file.truncate(length);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/**
 * The summaries found for the segments of `numbers` read from their start (past the
 * cursor's segment, or that one when nothing of it is acknowledged), and those of them
 * that are used instead of reading the segment: all before the tail. None used when the
 * lane cannot use them.
 */
async function readSummaries(ctx: ReplayContext, lane: LaneQueue, numbers: readonly number[], cursor: Cursor): Promise<{ found: Map<number, SegmentSummary>; use: Set<number> }> {
  const found = new Map<number, SegmentSummary>();
  const use = new Set<number>();
  if (lane.lane === 'live') return { found, use };
  for (const n of numbers) {
    // the cursor's own segment only when nothing of it is acknowledged
    if (n < cursor.seg || (n === cursor.seg && cursor.offset > 0)) continue;
    const summary = await readSummary(ctx.fs, ctx.dir, lane.lane, n);
    if (summary) found.set(n, summary);
  }
  if (!lane.knowsAckedAheadSegments()) return { found, use };
  // the tail is read: a segment without a summary (the one written last) counts for nothing
  let tail = 0;
  let i = numbers.length - 1;
  for (; i >= 0 && tail < (ctx.tailRecords ?? DEFAULT_TAIL_RECORDS); i -= 1) tail += found.get(numbers[i])?.records ?? 0;
  for (; i >= 0; i -= 1) if (found.has(numbers[i])) use.add(numbers[i]);
  return { found, use };
}

function raiseSeqs(lastSeq: Map<string, number>, seqs: Record<string, number>): void {
  for (const [stream, seq] of Object.entries(seqs)) lastSeq.set(stream, Math.max(lastSeq.get(stream) ?? 0, seq));
}

/** replays `numbers` (ascending) of one lane into `lane`; returns the highest segment number seen */
export async function replayLane(ctx: ReplayContext, lane: LaneQueue, numbers: readonly number[], cursor: Cursor): Promise<number> {
  const { fs, dir, log } = ctx;
  const summaries = await readSummaries(ctx, lane, numbers, cursor);
  const tailRecords = ctx.tailRecords ?? DEFAULT_TAIL_RECORDS;
  let highest = 0;
  for (const n of numbers) {
    highest = Math.max(highest, n);
    const path = segmentPath(dir, lane.lane, n);
    const name = `${lane.lane}#${n}`;
    if (n < cursor.seg) {
      await fs.unlink(path);
      await removeSummary(fs, dir, lane.lane, n);
      log.info({ segment: name }, 'removed an acknowledged segment left by an earlier run');
      continue;
    }
    const end = await fileSize(fs, path);
    const summary = summaries.found.get(n);
    if (summary && summary.size === end && summaries.use.has(n)) {
      lane.addSummarized(n, summary);
      raiseSeqs(ctx.lastSeq, summary.lastSeq);
      continue;
    }
    if (summary && summary.size !== end) log.warn({ segment: name, summarySize: summary.size, size: end }, 'segment summary does not match its segment: reading the segment');
    let start = n === cursor.seg ? cursor.offset : 0;
    if (start > end) {
      log.warn({ segment: name, cursor: start, size: end }, 'acknowledged cursor beyond the end of its segment');
      start = end;
    }
    // First pass: check the segment (payloads stay raw: at most one segment in memory).
    const scanned: Scanned[] = [];
    const seen: RecordEnvelope[] = [];
    let damage: { type: 'torn' | 'corrupt'; offset: number; reason: string } | null = null;
    for await (const item of readFrames(fs, path, start, end)) {
      if (item.type !== 'frame') {
        damage = item;
        break;
      }
      const parsed = parseEnvelope(item.payload);
      if (!isEnvelope(parsed)) {
        damage = { type: 'corrupt', offset: item.offset, reason: parsed.invalid };
        break;
      }
      scanned.push({ ref: refOf(parsed, n, item.offset, item.size, item.payload.length), stream: parsed.stream, seq: parsed.seq, payload: item.payload });
      if (ctx.onReplay && !lane.doneAhead.has(parsed.id)) {
        seen.push(parsed);
        if (seen.length > 2 * tailRecords) seen.splice(0, seen.length - tailRecords);
      }
    }
    for (const s of scanned) ctx.lastSeq.set(s.stream, Math.max(ctx.lastSeq.get(s.stream) ?? 0, s.seq));
    if (damage?.type === 'corrupt') {
      await fs.rename(path, `${path}.corrupt`);
      await fs.syncDir(dir);
      await removeSummary(fs, dir, lane.lane, n);
      ctx.events.quarantined.push({ segment: name, offset: damage.offset, reason: damage.reason, readableRecords: scanned.length });
      log.error({ segment: name, offset: damage.offset, reason: damage.reason, readableRecords: scanned.length }, 'corrupt journal segment quarantined');
      continue;
    }
    let size = end;
    if (damage?.type === 'torn') {
      await truncateTo(fs, path, damage.offset);
      size = damage.offset;
      ctx.events.torn.push({ segment: name, offset: damage.offset, droppedBytes: end - damage.offset, reason: damage.reason });
      log.warn({ segment: name, offset: damage.offset, droppedBytes: end - damage.offset, reason: damage.reason }, 'torn journal tail truncated');
    }
    for (const env of seen.slice(-tailRecords)) ctx.onReplay!(env);
    const meta = lane.addSegment(n, start);
    for (const s of scanned) lane.admit(s.ref, () => envelopeFrom(s.payload), lane.doneAhead.has(s.ref.id));
    meta.size = size;
    // a closed segment read whole gets the summary it lacked, so the next open need not read it
    // (a segment read from its start is one whose summary was looked for)
    if (lane.lane !== 'live' && meta.whole && n !== numbers.at(-1) && summary?.size !== size) {
      const made: SegmentSummary = { version: 1, size, records: scanned.length, firstCreatedAtMs: meta.firstCreatedAtMs, lastSeq: Object.fromEntries(ctx.lastSeq) };
      await writeSummary(fs, dir, lane.lane, n, made).catch((err: unknown) => log.warn({ err, segment: name }, 'could not write a segment summary'));
    }
  }
  return highest;
}
