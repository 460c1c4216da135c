/**
 * Segment summaries: when a segment is closed (the lane moved on to the next one), a small
 * file beside it tells how many records it holds, its size, when its first record was
 * made and the last seq of every stream at that moment. Opening a journal reads these
 * instead of replaying the segments between the acknowledged cursor and the tail, so the
 * time to open does not grow with the backlog.
 *
 * A summary is a hint, never the only copy of anything: one that is missing, unreadable
 * or of another size than its segment makes the segment be read as before.
 */
import { z } from 'zod';
import { errorCode, writeAll, type JournalFs } from './fs-seam.js';
import type { Lane } from './records.js';
import { segmentPath } from './segments.js';

const SummarySchema = z.object({
  version: z.literal(1),
  size: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  firstCreatedAtMs: z.number().nullable(),
  /** seqs of every stream when the segment was closed: no record of the segment has a higher one */
  lastSeq: z.record(z.string(), z.number().int().nonnegative()),
});

export type SegmentSummary = z.infer<typeof SummarySchema>;

export function summaryPath(dir: string, lane: Lane, n: number): string {
  return segmentPath(dir, lane, n).replace(/\.seg$/, '.sum');
}

/** the summary of a segment, or null when there is none or it cannot be trusted */
export async function readSummary(fs: JournalFs, dir: string, lane: Lane, n: number): Promise<SegmentSummary | null> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(summaryPath(dir, lane, n));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const parsed = SummarySchema.safeParse(JSON.parse(raw.toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Writes a summary through a temporary file and a rename. Not synced: a summary lost in a
 * crash only means that segment is read on the next open.
 */
export async function writeSummary(fs: JournalFs, dir: string, lane: Lane, n: number, summary: SegmentSummary): Promise<void> {
  const path = summaryPath(dir, lane, n);
  const tmp = `${path}.tmp`;
  const file = await fs.open(tmp, 'w');
  try {
    await writeAll(file, Buffer.from(JSON.stringify(summary)), 0);
  } finally {
    await file.close();
  }
  await fs.rename(tmp, path);
}

/** removes a summary; one already gone is fine */
export async function removeSummary(fs: JournalFs, dir: string, lane: Lane, n: number): Promise<void> {
  await fs.unlink(summaryPath(dir, lane, n)).catch((err: unknown) => {
    if (errorCode(err) !== 'ENOENT') throw err;
  });
}

const SUMMARY_NAME = /^(live|records|bulk)-(\d{8})\.sum(\.tmp)?$/;

/** summary files (and temporary ones) whose segment is not among `segments`: left by a crash or a delete */
export async function orphanSummaries(fs: JournalFs, dir: string, segments: Record<Lane, readonly number[]>): Promise<string[]> {
  const out: string[] = [];
  for (const name of await fs.readdir(dir)) {
    const m = SUMMARY_NAME.exec(name);
    if (m && (m[3] !== undefined || !segments[m[1] as Lane].includes(Number(m[2])))) out.push(name);
  }
  return out;
}
