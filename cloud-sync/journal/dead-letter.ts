/** The dead-letter file: records dispatch refused for good, one JSON line each, with the reason. */
import { join } from 'node:path';
import type { RecordEnvelope } from './records.js';
import { writeAll, type JournalFs } from './fs-seam.js';

export const DEAD_LETTER_FILE = 'dead-letter.jsonl';

/** appends and fsyncs one line per record: { id, reason, rejectedAt, record } */
export async function appendDeadLetters(
  fs: JournalFs,
  dir: string,
  rejectedAt: string,
  items: readonly { id: string; reason: string; env: RecordEnvelope }[],
): Promise<void> {
  const lines = items.map((f) => `${JSON.stringify({ id: f.id, reason: f.reason, rejectedAt, record: f.env })}\n`).join('');
  const file = await fs.open(join(dir, DEAD_LETTER_FILE), 'a');
  try {
    await writeAll(file, Buffer.from(lines), null);
    await file.datasync();
  } finally {
    await file.close();
  }
}
