/**
 * What the storage benchmarks write: a pickup record of about 300 bytes of JSON, the same
 * shape the journal's own measureAppends uses, and a journal filled with a backlog of them.
 */
import { pino } from 'pino';
import { Journal } from '../cloud-sync/journal/index.js';
import type { RecordInput } from '../rules/records.js';

export function pickupRecord(n: number): RecordInput {
  const kit = `kit-${n % 16}`;
  return {
    kind: 'pickup.completed',
    stream: kit,
    kit,
    devices: ['scanner-1', 'scale-1'],
    body: { waybill: `JD0146${String(n).padStart(12, '0')}`, weightG: 1250 + (n % 500), taskId: `task-${n % 97}`, signature: false, lat: 52.52, lon: 13.405 },
  };
}

export function openBenchJournal(dir: string, groupCommitMs?: number): Promise<Journal> {
  return Journal.open({ dir, gatewayId: 'gw-bench', clock: () => 'ntp', bootId: 'bench', groupCommitMs, log: pino({ level: 'silent' }) });
}

/**
 * Appends `n` records from `concurrency` producers, each awaiting its append before the
 * next (as pipeline producers do); resolves with the seconds it took.
 */
export async function appendMany(journal: Journal, n: number, concurrency = 256, first = 0): Promise<number> {
  let issued = 0;
  const producer = async (): Promise<void> => {
    while (issued < n) {
      const i = first + issued;
      issued += 1;
      await journal.append(pickupRecord(i));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, () => producer()));
  return (performance.now() - t0) / 1000;
}
