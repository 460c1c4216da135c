/**
 * Replay of one lane on open: its segments are streamed from the acknowledged cursor, one
 * segment at a time. A torn tail is truncated; a segment with damage before its end is
 * renamed aside (quarantined) and the lane goes on with the next one.
 */
import type { Logger } from 'pino';
import type { RecordEnvelope } from './records.js';
import { isEnvelope, parseEnvelope } from './envelope.js';
import type { JournalFs } from './fs-seam.js';
import type { LaneQueue, RecordRef } from './lane.js';
import { readFrames, segmentPath } from './segments.js';
import type { Cursor } from './state.js';

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
  /** sees every unacknowledged record kept on open (the pipeline rebuilds what a crash may have lost) */
  onReplay?: (env: RecordEnvelope) => void;
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

/** replays `numbers` (ascending) of one lane into `lane`; returns the highest segment number seen */
export async function replayLane(ctx: ReplayContext, lane: LaneQueue, numbers: readonly number[], cursor: Cursor): Promise<number> {
  const { fs, dir, log } = ctx;
  let highest = 0;
  for (const n of numbers) {
    highest = Math.max(highest, n);
    const path = segmentPath(dir, lane.lane, n);
    const name = `${lane.lane}#${n}`;
    if (n < cursor.seg) {
      await fs.unlink(path);
      log.info({ segment: name }, 'removed an acknowledged segment left by an earlier run');
      continue;
    }
    const end = await fileSize(fs, path);
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
      if (ctx.onReplay) seen.push(parsed);
    }
    for (const s of scanned) ctx.lastSeq.set(s.stream, Math.max(ctx.lastSeq.get(s.stream) ?? 0, s.seq));
    if (damage?.type === 'corrupt') {
      await fs.rename(path, `${path}.corrupt`);
      await fs.syncDir(dir);
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
    for (const env of seen) {
      if (!lane.doneAhead.has(env.id)) ctx.onReplay!(env);
    }
    const meta = lane.addSegment(n, start);
    for (const s of scanned) lane.admit(s.ref, () => envelopeFrom(s.payload), lane.doneAhead.has(s.ref.id));
    meta.size = size;
  }
  return highest;
}
