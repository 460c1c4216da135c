/** Lazy reading of a lane's records beyond its window, from the segment at its read position. */
import { errorCode, type JournalFs } from './fs-seam.js';
import { isEnvelope, parseEnvelope } from './envelope.js';
import type { LaneQueue, SegmentMeta } from './lane.js';
import { refOf } from './replay.js';
import { readFrames, segmentPath } from './segments.js';

export interface ReadDamage {
  seg: number;
  offset: number;
  reason: string;
}

/**
 * Reads frames of the segment at the lane's read position into its window, lowering
 * `want` by each pending record (and its JSON bytes) added, until `want` is met or the
 * segment ends. Damage found in the segment is returned, not thrown.
 */
export async function readIntoWindow(fs: JournalFs, dir: string, lane: LaneQueue, want: { count: number; bytes: number }): Promise<ReadDamage | null> {
  const pos = lane.normalize(lane.readPos);
  const seg = lane.segment(pos.seg) as SegmentMeta;
  try {
    for await (const item of readFrames(fs, segmentPath(dir, lane.lane, seg.n), pos.offset, seg.size)) {
      if (item.type !== 'frame') return { seg: seg.n, offset: item.offset, reason: item.reason };
      const env = parseEnvelope(item.payload);
      if (!isEnvelope(env)) return { seg: seg.n, offset: item.offset, reason: env.invalid };
      lane.offerRead(refOf(env, seg.n, item.offset, item.size, item.payload.length), () => Object.freeze(env));
      if (lane.holds(env.id)) {
        want.count -= 1;
        want.bytes -= item.payload.length;
        if (want.count <= 0 || want.bytes <= 0) return null;
      }
    }
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
    return { seg: seg.n, offset: pos.offset, reason: 'segment file missing' };
  }
  return null;
}
