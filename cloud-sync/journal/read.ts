/**
 * Every record still in a journal folder, read straight from its segment files (read
 * only; the journal need not be open, and a running gateway's journal may be read):
 * what the day's report is computed from. Wholly acknowledged segments are deleted once a
 * newer one exists, so the journal holds the records of its current segments (8 MiB a
 * lane by default: days of a van's pickups); `oldest` tells how far back that reaches.
 */
import { join } from 'node:path';
import type { RecordEnvelope } from './records.js';
import { isEnvelope, parseEnvelope } from './envelope.js';
import { nodeFs, type JournalFs } from './fs-seam.js';
import { LANES, listSegments, readFrames, segmentPath } from './segments.js';

export interface JournalReadStats {
  segments: number;
  records: number;
  /** frames whose checksum holds but that are no record, and damage met (the rest of that segment is skipped) */
  unreadable: number;
  oldest: string | null;
  newest: string | null;
}

/** Calls `each` with every record of every lane, segment by segment (memory stays that of one chunk). */
export async function readJournal(dataOrJournalDir: string, each: (record: RecordEnvelope) => void, fs: JournalFs = nodeFs): Promise<JournalReadStats> {
  const dir = await journalDir(dataOrJournalDir, fs);
  const stats: JournalReadStats = { segments: 0, records: 0, unreadable: 0, oldest: null, newest: null };
  const numbers = await listSegments(fs, dir);
  for (const lane of LANES) {
    for (const n of numbers[lane]) {
      const path = segmentPath(dir, lane, n);
      const file = await fs.open(path, 'r');
      const size = await file.size().finally(() => file.close());
      stats.segments++;
      for await (const item of readFrames(fs, path, 0, size)) {
        if (item.type !== 'frame') {
          if (item.type === 'corrupt') stats.unreadable++;
          break;
        }
        const env = parseEnvelope(item.payload);
        if (!isEnvelope(env)) {
          stats.unreadable++;
          continue;
        }
        stats.records++;
        if (stats.oldest === null || env.createdAt < stats.oldest) stats.oldest = env.createdAt;
        if (stats.newest === null || env.createdAt > stats.newest) stats.newest = env.createdAt;
        each(env);
      }
    }
  }
  return stats;
}

/** a gateway's data folder holds the journal in `journal/`; the journal folder itself is taken too */
async function journalDir(dir: string, fs: JournalFs): Promise<string> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`no journal at ${dir}: ${err.code ?? err.message}`);
  });
  return names.includes('journal') && !names.some((n) => n.endsWith('.seg')) ? join(dir, 'journal') : dir;
}
