/**
 * Append throughput of the journal on this machine's disk, for the bench harness:
 * `concurrency` producers each append their share of `n` records (about 300 bytes of JSON,
 * like a pickup), awaiting each append before the next, into a fresh temporary journal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Journal } from './journal.js';

export interface AppendMeasurement {
  records: number;
  concurrency: number;
  seconds: number;
  appendsPerSecond: number;
  bytesPerRecord: number;
  commits: number;
  recordsPerCommit: number;
  fsyncAvgMs: number;
  fsyncMaxMs: number;
}

export async function measureAppends(n: number, options: { concurrency?: number; dir?: string; groupCommitMs?: number } = {}): Promise<AppendMeasurement> {
  const concurrency = options.concurrency ?? 256;
  const dir = await mkdtemp(join(options.dir ?? tmpdir(), 'journal-measure-'));
  const journal = await Journal.open({ dir, gatewayId: 'gw-measure', clock: () => 'ntp', bootId: 'measure', groupCommitMs: options.groupCommitMs, log: pino({ level: 'silent' }) });
  try {
    let issued = 0;
    const producer = async (p: number): Promise<void> => {
      while (issued < n) {
        issued += 1;
        await journal.append({
          kind: 'pickup.completed',
          stream: `kit-${p % 16}`,
          kit: `kit-${p % 16}`,
          devices: ['scanner-1', 'scale-1'],
          body: { waybill: `JD0146${String(issued).padStart(12, '0')}`, weightG: 1250 + (issued % 500), taskId: `task-${issued % 97}`, signature: false, lat: 52.52, lon: 13.405 },
        });
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, (_, p) => producer(p)));
    const seconds = (performance.now() - t0) / 1000;
    const m = journal.metrics();
    return {
      records: m.appended,
      concurrency,
      seconds,
      appendsPerSecond: m.appended / seconds,
      bytesPerRecord: m.bytesPerRecord,
      commits: m.commits,
      recordsPerCommit: m.recordsPerCommit,
      fsyncAvgMs: m.fsyncAvgMs,
      fsyncMaxMs: m.fsyncMaxMs,
    };
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}
