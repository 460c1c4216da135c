import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerLinkMetrics } from '../../../cloud-sync/sync/metrics.js';
import type { LinkStats } from '../../../cloud-sync/sync/link.js';

describe('link metrics', () => {
  it('exports the link state, counters and downlink outcomes as read at scrape time', async () => {
    const stats: LinkStats = {
      transport: 'http',
      state: 'down',
      sent: 1500,
      batches: 4,
      acked: 1000,
      rejected: 2,
      retried: 3,
      consecutiveFailures: 2,
      lastSuccessAt: '2024-05-01T10:00:00.000Z',
    };
    const registry = new Registry();
    registerLinkMetrics(registry, {
      link: { stats: () => stats },
      downlink: { stats: () => ({ state: 'up', polls: 9, retried: 1 }) },
      applier: { stats: () => ({ applied: 5, duplicate: 1, invalid: 2, refused: 0, failed: 0 }) },
    });
    const text = await registry.metrics();
    for (const line of [
      'cg_sync_link_state{transport="http",state="down"} 1',
      'cg_sync_link_state{transport="http",state="up"} 0',
      'cg_sync_records_sent_total{transport="http"} 1500',
      'cg_sync_records_acked_total{transport="http"} 1000',
      'cg_sync_records_rejected_total{transport="http"} 2',
      'cg_sync_retries_total{transport="http"} 3',
      'cg_sync_batches_total{transport="http"} 4',
      'cg_sync_consecutive_failures{transport="http"} 2',
      'cg_sync_last_success_timestamp_seconds{transport="http"} 1714557600',
      'cg_downlink_state{state="up"} 1',
      'cg_downlink_polls_total 9',
      'cg_downlink_items_total{outcome="applied"} 5',
      'cg_downlink_items_total{outcome="invalid"} 2',
    ]) {
      expect(text).toContain(line);
    }
    stats.state = 'up';
    stats.acked = 1498;
    const again = await registry.metrics();
    expect(again).toContain('cg_sync_link_state{transport="http",state="up"} 1');
    expect(again).toContain('cg_sync_records_acked_total{transport="http"} 1498');
  });
});
