/**
 * The pickup pipeline's figures on /metrics (verdict latency, verdicts by outcome, refused
 * rule sets, records by kind and result) and the record-refused alarm on the alarm bus.
 */
import { Counter } from 'prom-client';
import type { Outcome } from '../rules/engine.js';
import type { PipelineMetrics } from '../rules/pipeline.js';
import { RecordRefusedAlarm } from '../rules/record-alarm.js';
import type { EventBus } from './event-bus.js';
import type { Metrics } from './metrics.js';

export class GatewayPipelineMetrics implements PipelineMetrics {
  private readonly verdicts: Counter<'outcome'>;
  private readonly rulesetRefused: Counter;
  private readonly records: Counter<'kind' | 'result'>;
  private readonly alarm: RecordRefusedAlarm;

  constructor(private readonly metrics: Metrics, bus: EventBus, now: () => number) {
    const registers = [metrics.registry];
    this.verdicts = new Counter({ name: 'cg_verdicts_total', help: 'Verdicts by outcome', labelNames: ['outcome'], registers });
    this.rulesetRefused = new Counter({ name: 'cg_ruleset_refused_total', help: 'Rule sets refused (invalid, or failing their fixtures)', registers });
    this.records = new Counter({ name: 'cg_records_total', help: 'Records handed to the journal, by kind and result', labelNames: ['kind', 'result'], registers });
    this.alarm = new RecordRefusedAlarm(({ active, message }) => bus.emit('alarm', { kind: 'record-refused', source: 'pipeline', message, active, at: now() }));
  }

  observeLatency(ms: number): void {
    this.metrics.pairToVerdict.observe(ms / 1000);
  }

  observeScanToVerdict(ms: number): void {
    this.metrics.scanToVerdict.observe(ms / 1000);
  }

  countVerdict(outcome: Outcome): void {
    this.verdicts.inc({ outcome });
  }

  countRulesetRefused(): void {
    this.rulesetRefused.inc();
  }

  countRecord(kind: 'pickup.completed' | 'pickup.exception' | 'pickup.closed', result: string): void {
    this.records.inc({ kind, result });
    this.alarm.observe(kind, result);
  }
}
