/**
 * Writes one group-commit batch to the segment files: plans which segment each frame goes
 * to (rolling at `segmentBytes`), writes, fdatasyncs every touched file once, and on any
 * failure truncates the partly written bytes away so the files stay exactly as before.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Lane } from './records.js';
import { errorCode, writeAll, type JournalFile, type JournalFs } from './fs-seam.js';
import type { Position } from './lane.js';
import { segmentPath } from './segments.js';

export interface SegmentTarget {
  lane: Lane;
  n: number;
  isNew: boolean;
  /** file position of the first frame */
  start: number;
  frames: Buffer[];
}

export interface LanePlan {
  targets: SegmentTarget[];
  /** where each frame lands, in order */
  placements: Position[];
  nextSegment: number;
}

/**
 * Places `frames` (in order) after the lane's last segment, or in new segments when it is
 * full, absent or must not be appended to. A segment exceeds `segmentBytes` only when a
 * single frame is larger.
 */
export function planLane(
  lane: Lane,
  frames: readonly Buffer[],
  last: { n: number; size: number } | null,
  appendToLast: boolean,
  segmentBytes: number,
  nextSegment: number,
): LanePlan {
  const targets: SegmentTarget[] = [];
  const placements: Position[] = [];
  let current: SegmentTarget | null = null;
  let size = 0;
  if (last && appendToLast) {
    current = { lane, n: last.n, isNew: false, start: last.size, frames: [] };
    size = last.size;
  }
  for (const frame of frames) {
    if (!current || (size > 0 && size + frame.length > segmentBytes)) {
      if (current && current.frames.length > 0) targets.push(current);
      current = { lane, n: nextSegment, isNew: true, start: 0, frames: [] };
      nextSegment += 1;
      size = 0;
    }
    placements.push({ seg: current.n, offset: size });
    current.frames.push(frame);
    size += frame.length;
  }
  if (current && current.frames.length > 0) targets.push(current);
  return { targets, placements, nextSegment };
}

export class SegmentWriter {
  private readonly active = new Map<Lane, { n: number; file: JournalFile }>();
  /** segments whose rollback truncate failed: retried before any further write */
  private readonly repairs = new Map<Lane, { n: number; size: number }>();

  constructor(
    private readonly fs: JournalFs,
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** writes and syncs every target; throws after rolling back on any failure */
  async write(targets: readonly SegmentTarget[]): Promise<{ fsyncMs: number; files: number }> {
    await this.repair();
    const opened: { target: SegmentTarget; file: JournalFile }[] = [];
    try {
      for (const target of targets) {
        const file = target.isNew ? await this.fs.open(segmentPath(this.dir, target.lane, target.n), 'wx+') : await this.fileFor(target.lane, target.n);
        opened.push({ target, file });
      }
      await Promise.all(opened.map(({ target, file }) => writeAll(file, Buffer.concat(target.frames), target.start)));
      const t0 = performance.now();
      await Promise.all(opened.map(({ file }) => file.datasync()));
      if (targets.some((t) => t.isNew)) await this.fs.syncDir(this.dir);
      const fsyncMs = performance.now() - t0;
      await this.adoptNew(opened);
      return { fsyncMs, files: opened.length };
    } catch (err) {
      await this.rollback(opened);
      throw err;
    }
  }

  private async fileFor(lane: Lane, n: number): Promise<JournalFile> {
    const current = this.active.get(lane);
    if (current?.n === n) return current.file;
    const file = await this.fs.open(segmentPath(this.dir, lane, n), 'r+');
    if (current) await this.closeQuietly(current.file);
    this.active.set(lane, { n, file });
    return file;
  }

  /** the last new segment of each lane becomes its active file; the others are closed */
  private async adoptNew(opened: readonly { target: SegmentTarget; file: JournalFile }[]): Promise<void> {
    for (const { target, file } of opened) {
      if (!target.isNew) continue;
      const current = this.active.get(target.lane);
      if (current) await this.closeQuietly(current.file);
      this.active.set(target.lane, { n: target.n, file });
    }
  }

  private async rollback(opened: readonly { target: SegmentTarget; file: JournalFile }[]): Promise<void> {
    for (const { target, file } of opened) {
      if (target.isNew) {
        await this.closeQuietly(file);
        await this.fs.unlink(segmentPath(this.dir, target.lane, target.n)).catch((err: unknown) => {
          this.log.error({ err, lane: target.lane, segment: target.n }, 'could not remove a segment after a failed write');
        });
        continue;
      }
      try {
        await file.truncate(target.start);
      } catch (err) {
        this.repairs.set(target.lane, { n: target.n, size: target.start });
        this.log.error({ err, lane: target.lane, segment: target.n }, 'could not truncate a failed write; writes wait for the repair');
      }
    }
  }

  private async repair(): Promise<void> {
    for (const [lane, { n, size }] of this.repairs) {
      let file: JournalFile;
      try {
        file = await this.fileFor(lane, n);
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw err;
        this.repairs.delete(lane); // the segment was set aside meanwhile
        continue;
      }
      await file.truncate(size);
      await file.datasync();
      this.repairs.delete(lane);
      this.log.info({ lane, segment: n }, 'failed write truncated away');
    }
  }

  /** stops appending to the lane's current file (it was quarantined or removed) */
  async retire(lane: Lane): Promise<void> {
    const current = this.active.get(lane);
    this.active.delete(lane);
    this.repairs.delete(lane);
    if (current) await this.closeQuietly(current.file);
  }

  async close(): Promise<void> {
    for (const lane of [...this.active.keys()]) await this.retire(lane);
  }

  private async closeQuietly(file: JournalFile): Promise<void> {
    await file.close().catch((err: unknown) => this.log.warn({ err }, 'closing a segment file failed'));
  }
}
