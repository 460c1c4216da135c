/**
 * The journal's small state file: per-lane acknowledged cursors, ids acknowledged ahead of
 * a cursor (with the segment holding each), and the last durable seq per stream (so seq stays gapless after the segments
 * holding a stream's records are deleted). Written atomically: temp file, fsync, rename,
 * fsync of the directory.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { errorCode, writeAll, type JournalFs } from './fs-seam.js';

const Cursor = z.object({ seg: z.number().int().nonnegative(), offset: z.number().int().nonnegative() });

const Acked = z.object({ id: z.string(), seg: z.number().int() });
const cursors = z.object({ live: Cursor, records: Cursor, bulk: Cursor });
const lastSeq = z.record(z.string(), z.number().int().nonnegative());

const JournalStateSchema = z.object({
  version: z.literal(2),
  cursors,
  ackedAhead: z.object({ live: z.array(Acked), records: z.array(Acked), bulk: z.array(Acked) }),
  lastSeq,
});

/** the first format: ids acknowledged ahead without their segments (read, never written) */
const JournalStateV1 = z.object({
  version: z.literal(1),
  cursors,
  ackedAhead: z.object({ live: z.array(z.string()), records: z.array(z.string()), bulk: z.array(z.string()) }),
  lastSeq,
});

const AnyState = z.union([JournalStateSchema, JournalStateV1]).transform((s): JournalState => {
  if (s.version === 2) return s;
  const unknownSeg = (ids: string[]) => ids.map((id) => ({ id, seg: -1 }));
  return { ...s, version: 2, ackedAhead: { live: unknownSeg(s.ackedAhead.live), records: unknownSeg(s.ackedAhead.records), bulk: unknownSeg(s.ackedAhead.bulk) } };
});

export type JournalState = z.infer<typeof JournalStateSchema>;
export type Cursor = z.infer<typeof Cursor>;

export const STATE_FILE = 'journal-state.json';

export type StateLoad = { type: 'absent' } | { type: 'loaded'; state: JournalState } | { type: 'invalid'; message: string };

export async function loadState(fs: JournalFs, dir: string): Promise<StateLoad> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(join(dir, STATE_FILE));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { type: 'absent' };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { type: 'invalid', message: 'state file is not JSON' };
  }
  const parsed = AnyState.safeParse(json);
  if (!parsed.success) return { type: 'invalid', message: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ') };
  return { type: 'loaded', state: parsed.data };
}

export async function saveState(fs: JournalFs, dir: string, state: JournalState): Promise<void> {
  const path = join(dir, STATE_FILE);
  const tmp = `${path}.tmp`;
  const file = await fs.open(tmp, 'w');
  try {
    await writeAll(file, Buffer.from(JSON.stringify(state)), 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dir);
}
