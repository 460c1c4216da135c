/**
 * The journal (durable outbox) as a gateway component: opened at start, its alarms on the
 * gateway's alarm bus, its figures on /metrics, and a sink other components append to
 * from their construction on.
 */
import path from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { Journal, type JournalMetrics } from '../cloud-sync/journal/index.js';
import type { ClockQuality, RecordInput, RecordSink } from '../rules/records.js';
import type { RecordEnvelope } from '../cloud-sync/journal/records.js';
import { RecordRefusedError } from '../rules/records.js';
import type { Outbox } from '../cloud-sync/outbox.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

export interface JournalComponentOptions {
  dataDir: string;
  gatewayId: string;
  quotaBytes?: number;
  clock: () => ClockQuality;
  bootId: string;
  now: () => number;
  log: Logger;
  bus: EventBus;
  registry: Registry;
  /** sees each unacknowledged record found on open */
  onReplay?: (env: RecordEnvelope) => void;
  /** the newest records of each lane read on open for `onReplay` (the rest open from segment summaries) */
  replayTailRecords?: number;
}

const metricHelp: Partial<Record<keyof JournalMetrics, string>> = {
  depthLive: 'Unacknowledged records in the live lane (ETAs, device health)',
  depthRecords: 'Unacknowledged records in the records lane (pickups, exceptions, locker events)',
  depthBulk: 'Unacknowledged records in the bulk lane (position tracks)',
  bytesOnDisk: 'Bytes of journal segments on disk',
  oldestUnsentMs: 'Age of the oldest unacknowledged record, ms',
  appended: 'Records appended',
  acked: 'Records acknowledged by dispatch',
  rejected: 'Records refused by dispatch (dead-lettered)',
  thinned: 'Bulk records dropped by the quota policy',
  superseded: 'Live records replaced by a newer one before being sent',
  refused: 'Appends refused for quota',
  writeErrors: 'Journal batches that failed to write and were rolled back',
  quarantined: 'Corrupt segments set aside',
  commits: 'Group commits (one fdatasync round each)',
  fsyncLastMs: 'Last fdatasync latency, ms',
  fsyncAvgMs: 'Mean fdatasync latency, ms',
  fsyncMaxMs: 'Largest fdatasync latency, ms',
  recordsPerCommit: 'Mean records per group commit',
  bytesWritten: 'Frame bytes written',
  bytesPerRecord: 'Mean bytes written per record',
};

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export class JournalComponent implements Component, RecordSink {
  readonly name = 'journal';
  readonly essential = true;
  journal: Journal | undefined;

  private snapshot: { at: number; metrics: JournalMetrics } | undefined;

  constructor(private readonly o: JournalComponentOptions) {
    for (const [key, help] of Object.entries(metricHelp) as [keyof JournalMetrics, string][]) {
      const read = () => this.metricsAtScrape()?.[key];
      new Gauge({
        name: `cg_journal_${snake(key)}`,
        help,
        registers: [o.registry],
        collect() {
          const v = read();
          if (v !== undefined) this.set(v);
        },
      });
    }
  }

  /** One journal snapshot serves every gauge of one scrape. */
  private metricsAtScrape(): JournalMetrics | undefined {
    if (!this.journal) return undefined;
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.at > 100) this.snapshot = { at: now, metrics: this.journal.metrics() };
    return this.snapshot.metrics;
  }

  async start(): Promise<void> {
    const { o } = this;
    const journal = await Journal.open({
      dir: path.join(o.dataDir, 'journal'),
      gatewayId: o.gatewayId,
      quotaBytes: o.quotaBytes,
      clock: o.clock,
      bootId: o.bootId,
      now: o.now,
      log: o.log,
      onReplay: o.onReplay,
      replayTailRecords: o.replayTailRecords,
    });
    journal.on('alarm', (a: { kind: string; message: string }) =>
      o.bus.emit('alarm', { kind: `journal-${a.kind}`, source: 'journal', message: a.message, active: true, at: o.now() }),
    );
    this.journal = journal;
    const { recovery } = journal;
    if (recovery.torn.length > 0 || recovery.quarantined.length > 0) o.log.warn({ recovery }, 'journal recovered on open');
  }

  async stop(): Promise<void> {
    await this.journal?.close();
  }

  append(input: RecordInput): Promise<RecordEnvelope> {
    if (!this.journal) return Promise.reject(new RecordRefusedError('CLOSED', 'the journal is not open'));
    return this.journal.append(input).then((env) => {
      this.o.bus.emit('record-kept', { id: env.id, kind: env.kind, kit: env.kit, createdAt: env.createdAt, body: env.body });
      return env;
    });
  }

  /** the open journal as the sync link reads it; throws before start */
  outbox(): Outbox {
    if (!this.journal) throw new Error('the journal is not open');
    return this.journal;
  }

  status(): Record<string, unknown> {
    const s = this.journal?.stats();
    return s ? { depth: s.depth, oldestUnsentMs: s.oldestUnsentMs, bytesOnDisk: s.bytesOnDisk, appended: s.appended, acked: s.acked, rejected: s.rejected } : { open: false };
  }
}
