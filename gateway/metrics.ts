/**
 * The gateway's Prometheus metrics (prom-client), in one registry per gateway so several
 * gateways can live in one process (tests).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isEventType } from '../devices/events.js';
import { parseDeviceTopic } from '../core/topics.js';

/** the device commands counted by name; any other is counted as `commands/other` */
const COMMAND_KINDS = new Set(['feedback', 'show', 'open', 'tare', 'rules']);
const KIT_KINDS = new Set(['verdicts', 'tasks']);

/**
 * The kind of a bus topic, as the messages metric labels it: one of a fixed set, so the
 * topics a client makes up never become series (`other` for every topic outside the set).
 */
export function topicKind(topic: string): string {
  const t = parseDeviceTopic(topic);
  if (t?.section === 'events') return isEventType(t.name!) ? `events/${t.name}` : 'events/other';
  if (t?.section === 'commands') return COMMAND_KINDS.has(t.name!) ? `commands/${t.name}` : 'commands/other';
  if (t) return t.section;
  const parts = topic.split('/');
  if (parts[0] !== 'cg' || parts[1] !== 'v1') return 'other';
  if (parts[2] === 'kits' && parts.length >= 5) return KIT_KINDS.has(parts[4]) ? `kits/${parts[4]}` : 'kits/other';
  if (topic === 'cg/v1/gateway/status') return 'gateway/status';
  return 'other';
}

export class Metrics {
  readonly registry = new Registry();

  readonly clients = new Gauge({ name: 'cg_mqtt_clients_connected', help: 'MQTT clients connected to the embedded broker', registers: [this.registry] });
  readonly messages = new Counter({
    name: 'cg_bus_messages_total',
    help: 'Bus messages by direction (in: from clients, out: from the gateway) and topic kind',
    labelNames: ['direction', 'kind'] as const,
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'cg_payloads_refused_total',
    help: 'Device payloads refused at the bus edge, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly authRefused = new Counter({
    name: 'cg_auth_refused_total',
    help: 'MQTT connections refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly aclRefused = new Counter({
    name: 'cg_acl_refused_total',
    help: 'Publishes and subscriptions refused by the ACL',
    labelNames: ['action', 'role'] as const,
    registers: [this.registry],
  });
  readonly deviceFaults = new Counter({
    name: 'cg_device_faults_total',
    help: 'Faults of a device (bad frames, timeouts, transport errors), by kind',
    labelNames: ['device', 'kind'] as const,
    registers: [this.registry],
  });
  readonly deviceOnline = new Gauge({
    name: 'cg_device_online',
    help: '1 when the device is online, 0 otherwise',
    labelNames: ['device', 'kind'] as const,
    registers: [this.registry],
  });
  readonly alarms = new Gauge({
    name: 'cg_alarms_active',
    help: 'Active alarms by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly pairToVerdict = new Histogram({
    name: 'cg_pair_to_verdict_seconds',
    help: 'Time from the scan or weight that completed a pair to the published verdict',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly scanToVerdict = new Histogram({
    name: 'cg_scan_to_verdict_seconds',
    help: 'Time from the scan to its published verdict, the wait for a weight included',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60],
    registers: [this.registry],
  });

  readonly overloaded = new Gauge({ name: 'cg_overloaded', help: '1 while the gateway refuses work over its fair rate (overloaded)', registers: [this.registry] });
  private loopDelay: () => { p50: number; p99: number; max: number } = () => ({ p50: 0, p99: 0, max: 0 });
  readonly eventLoopDelay = new Gauge({
    name: 'cg_event_loop_delay_seconds',
    help: 'Event loop delay over the last 10 s window, by quantile (0.5, 0.99, 1 = max)',
    labelNames: ['quantile'] as const,
    registers: [this.registry],
    collect: () => {
      const d = this.loopDelay();
      this.eventLoopDelay.set({ quantile: '0.5' }, d.p50);
      this.eventLoopDelay.set({ quantile: '0.99' }, d.p99);
      this.eventLoopDelay.set({ quantile: '1' }, d.max);
    },
  });

  /** where the event loop delay quantiles come from (the overload monitor) */
  watchLoopDelay(read: () => { p50: number; p99: number; max: number }): void {
    this.loopDelay = read;
  }

  private readonly messageChildren = new Map<string, { inc(): void }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cg_' });
  }

  /** Counts one bus message by its topic kind (see topicKind: a bounded set); the labelled child is cached, this runs for every message. */
  countMessage(direction: 'in' | 'out', kind: string): void {
    const key = `${direction}|${kind}`;
    let child = this.messageChildren.get(key);
    if (!child) {
      child = this.messages.labels(direction, kind);
      this.messageChildren.set(key, child);
    }
    child.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
