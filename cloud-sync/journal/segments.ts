/**
 * Segment files: naming, listing, and a streaming reader of their frames. A segment is read
 * in chunks, never whole, so replay memory does not grow with the backlog.
 */
import { join } from 'node:path';
import type { Lane } from './records.js';
import { decodeFrame } from './frame.js';
import type { JournalFs } from './fs-seam.js';

export const LANES: readonly Lane[] = ['live', 'records', 'bulk'];
const NAME = /^(live|records|bulk)-(\d{8})\.seg$/;
const CHUNK_BYTES = 256 * 1024;

export function segmentName(lane: Lane, n: number): string {
  return `${lane}-${String(n).padStart(8, '0')}.seg`;
}

export function segmentPath(dir: string, lane: Lane, n: number): string {
  return join(dir, segmentName(lane, n));
}

/** segment numbers present for each lane, ascending */
export async function listSegments(fs: JournalFs, dir: string): Promise<Record<Lane, number[]>> {
  const out: Record<Lane, number[]> = { live: [], records: [], bulk: [] };
  for (const name of await fs.readdir(dir)) {
    const m = NAME.exec(name);
    if (m) out[m[1] as Lane].push(Number(m[2]));
  }
  for (const lane of LANES) out[lane].sort((a, b) => a - b);
  return out;
}

export type FrameItem =
  /** a checked frame at `offset`; `payload` is only valid until the next item is pulled */
  | { type: 'frame'; offset: number; size: number; payload: Buffer }
  /** the data ends with an incomplete record from `offset` (a crash mid-write) */
  | { type: 'torn'; offset: number; reason: string }
  /** damage at `offset` followed by more data */
  | { type: 'corrupt'; offset: number; reason: string };

async function readAt(fs: JournalFs, path: string, position: number, length: number): Promise<Buffer> {
  const file = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = await file.read(buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    await file.close();
  }
}

async function allZero(fs: JournalFs, path: string, from: number, end: number): Promise<boolean> {
  for (let pos = from; pos < end; pos += CHUNK_BYTES) {
    const buf = await readAt(fs, path, pos, Math.min(CHUNK_BYTES, end - pos));
    if (buf.some((b) => b !== 0)) return false;
  }
  return true;
}

/**
 * The frames of one segment from `start` up to `end` (the bytes known to be there). Stops
 * after a 'torn' or 'corrupt' item. A bad frame is a torn tail when nothing valid can
 * follow it: a cut header, a payload running past `end`, a failed payload checksum on the
 * very last frame, or a bad header followed only by zeros.
 */
export async function* readFrames(fs: JournalFs, path: string, start: number, end: number): AsyncGenerator<FrameItem> {
  const file = await fs.open(path, 'r');
  try {
    let buf: Buffer = Buffer.alloc(0);
    let bufStart = start; // file position of buf[0]
    let filePos = start;
    let pos = 0; // position in buf
    for (;;) {
      const decoded = decodeFrame(buf, pos);
      if (decoded.type === 'frame') {
        yield { type: 'frame', offset: bufStart + pos, size: decoded.size, payload: decoded.payload };
        pos += decoded.size;
        continue;
      }
      const offset = bufStart + pos;
      if (decoded.type === 'short') {
        if (filePos >= end) {
          if (offset < end) yield { type: 'torn', offset, reason: `record cut short at ${end - offset} bytes` };
          return;
        }
        const keep = buf.subarray(pos);
        const want = Math.min(end - filePos, Math.max(CHUNK_BYTES, decoded.needBytes - keep.length));
        const chunk = Buffer.allocUnsafe(want);
        let got = 0;
        while (got < want) {
          const n = await file.read(chunk, got, want - got, filePos + got);
          if (n === 0) break;
          got += n;
        }
        if (got === 0) {
          yield { type: 'torn', offset, reason: 'file shorter than expected' };
          return;
        }
        filePos += got;
        buf = keep.length > 0 ? Buffer.concat([keep, chunk.subarray(0, got)]) : chunk.subarray(0, got);
        bufStart = offset;
        pos = 0;
        if (got < want) end = filePos;
        continue;
      }
      if (decoded.reason === 'payload-checksum' && decoded.size !== undefined && offset + decoded.size === end) {
        yield { type: 'torn', offset, reason: 'last record fails its checksum' };
      } else if (decoded.reason !== 'payload-checksum' && (await allZero(fs, path, offset, end))) {
        yield { type: 'torn', offset, reason: 'zero-filled tail' };
      } else {
        yield { type: 'corrupt', offset, reason: decoded.reason };
      }
      return;
    }
  } finally {
    await file.close();
  }
}
