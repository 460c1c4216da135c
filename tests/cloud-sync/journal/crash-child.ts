/**
 * Run by crash.test.ts as a separate process: appends pickups from many producers forever
 * and prints "id stream seq waybill" for each append only after its promise resolved.
 */
import { pino } from 'pino';
import { Journal } from '../../../cloud-sync/journal/journal.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-child <dir>');
const journal = await Journal.open({ dir, gatewayId: 'gw-crash', clock: () => 'unsynced', bootId: `boot-${process.pid}`, log: pino({ level: 'silent' }), segmentBytes: 16 * 1024 });
let n = 0;
const producer = async (p: number): Promise<void> => {
  for (;;) {
    const waybill = `JD${p}-${n++}`;
    const env = await journal.append({ kind: 'pickup.completed', stream: `kit-${p % 5}`, kit: `kit-${p % 5}`, body: { waybill } });
    process.stdout.write(`${env.id} ${env.stream} ${env.seq} ${waybill}\n`);
  }
};
await Promise.all(Array.from({ length: 20 }, (_, p) => producer(p)));
