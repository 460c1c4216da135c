/**
 * The link metrics of the sync (Prometheus, read at scrape time from the components'
 * stats()): link state, records sent / acked / rejected, retries, last success, and the
 * downlink's items by outcome. The outbox's own figures (depth, bytes, age) are the
 * journal's to export.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DownlinkApplierStats, ItemOutcome } from './downlink-items.js';
import type { LinkState, LinkStats } from './link.js';

export interface LinkMetricSources {
  /** the record link (HttpSyncer or MqttBridge) */
  link: { stats(): LinkStats };
  /** the HTTP downlink poller, if any */
  downlink?: { stats(): { state: LinkState; polls: number; retried: number } };
  /** the downlink applier, if any */
  applier?: { stats(): DownlinkApplierStats };
}

const STATES: readonly LinkState[] = ['up', 'down', 'auth-failed', 'idle'];
const OUTCOMES: readonly ItemOutcome[] = ['applied', 'duplicate', 'invalid', 'refused', 'failed'];

function counterFrom(registry: Registry, name: string, help: string, labelNames: string[], read: (c: Counter<string>) => void): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      read(this);
    },
  });
}

export function registerLinkMetrics(registry: Registry, src: LinkMetricSources): void {
  const transport = (): string => src.link.stats().transport;
  new Gauge({
    name: 'cg_sync_link_state',
    help: 'record link state to dispatch: 1 for the current state',
    labelNames: ['transport', 'state'],
    registers: [registry],
    collect() {
      const s = src.link.stats();
      for (const st of STATES) this.set({ transport: s.transport, state: st }, s.state === st ? 1 : 0);
    },
  });
  const fromLink = (key: 'sent' | 'acked' | 'rejected' | 'retried' | 'batches') => (c: Counter<string>) =>
    c.inc({ transport: transport() }, src.link.stats()[key]);
  counterFrom(registry, 'cg_sync_records_sent_total', 'records sent to dispatch, resends included', ['transport'], fromLink('sent'));
  counterFrom(registry, 'cg_sync_records_acked_total', 'records dispatch acknowledged', ['transport'], fromLink('acked'));
  counterFrom(registry, 'cg_sync_records_rejected_total', 'records dispatch rejected for good', ['transport'], fromLink('rejected'));
  counterFrom(registry, 'cg_sync_retries_total', 'failed sync attempts retried', ['transport'], fromLink('retried'));
  counterFrom(registry, 'cg_sync_batches_total', 'batches sent to dispatch', ['transport'], fromLink('batches'));
  new Gauge({
    name: 'cg_sync_consecutive_failures',
    help: 'failed attempts since the last success',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      const s = src.link.stats();
      this.set({ transport: s.transport }, s.consecutiveFailures);
    },
  });
  new Gauge({
    name: 'cg_sync_last_success_timestamp_seconds',
    help: 'when dispatch last acknowledged a batch (0: never)',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      const s = src.link.stats();
      this.set({ transport: s.transport }, s.lastSuccessAt === undefined ? 0 : Date.parse(s.lastSuccessAt) / 1000);
    },
  });
  const dl = src.downlink;
  if (dl !== undefined) {
    new Gauge({
      name: 'cg_downlink_state',
      help: 'HTTP downlink long poll state: 1 for the current state',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const s = dl.stats();
        for (const st of STATES) this.set({ state: st }, s.state === st ? 1 : 0);
      },
    });
    counterFrom(registry, 'cg_downlink_polls_total', 'downlink long polls made', [], (c) => c.inc(dl.stats().polls));
    counterFrom(registry, 'cg_downlink_retries_total', 'failed downlink polls retried', [], (c) => c.inc(dl.stats().retried));
  }
  const ap = src.applier;
  if (ap !== undefined) {
    counterFrom(registry, 'cg_downlink_items_total', 'downlink items by outcome', ['outcome'], (c) => {
      const s = ap.stats();
      for (const o of OUTCOMES) c.inc({ outcome: o }, s[o]);
    });
  }
}
