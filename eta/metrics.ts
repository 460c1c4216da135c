/** Prometheus gauges for ETA accuracy and the position filter, read at scrape time. */
import { Gauge, type Registry } from 'prom-client';
import type { EtaTracker } from './tracker.js';

export function registerEtaMetrics(registry: Registry, tracker: EtaTracker, prefix = 'cg_'): void {
  const errorGauge = (name: string, help: string, pick: (h: number) => number | undefined): void => {
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['horizon'],
      registers: [registry],
      collect() {
        this.reset();
        for (const h of tracker.horizonsMin()) {
          const v = pick(h);
          if (v !== undefined) this.set({ horizon: `${h}m` }, v);
        }
      },
    });
  };
  errorGauge('eta_error_mae_minutes', 'Mean absolute ETA error at arrival, minutes', (h) => tracker.etaErrorStats(h)?.maeMin);
  errorGauge('eta_error_bias_minutes', 'Mean ETA error (predicted - actual), minutes', (h) => tracker.etaErrorStats(h)?.biasMin);
  errorGauge('eta_error_rmse_minutes', 'Root mean square ETA error, minutes', (h) => tracker.etaErrorStats(h)?.rmseMin);
  errorGauge('eta_error_within_5min_ratio', 'Share of ETAs within 5 minutes of the arrival', (h) => tracker.etaErrorStats(h)?.withinShare);
  errorGauge('eta_error_samples', 'Arrivals with an ETA published at this horizon', (h) => tracker.etaErrorStats(h)?.n ?? 0);
  new Gauge({
    name: `${prefix}eta_arrivals`,
    help: 'Arrivals detected, by timing against the task window',
    labelNames: ['timing'],
    registers: [registry],
    collect() {
      const f = tracker.figures();
      this.set({ timing: 'on-time' }, f.onTime);
      this.set({ timing: 'early' }, f.early);
      this.set({ timing: 'late' }, f.late);
    },
  });
  new Gauge({
    name: `${prefix}eta_updates`,
    help: 'eta.update records appended',
    registers: [registry],
    collect() {
      this.set(tracker.stats().updates);
    },
  });
  new Gauge({
    name: `${prefix}delay_notices`,
    help: 'pickup.delay records appended (an exception, or an ETA past its window)',
    registers: [registry],
    collect() {
      this.set(tracker.stats().delays);
    },
  });
  new Gauge({
    name: `${prefix}eta_positions_dropped`,
    help: 'Positions the ETA filter dropped, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, n] of Object.entries(tracker.stats().rejected)) this.set({ reason }, n);
    },
  });
}
