/**
 * What the dashboard knows beyond the device manager: the kits' retained tasks, their
 * recent verdicts, the last gateway status, refused-payload counts per device and the
 * recent bus activity, folded from the bus; and the snapshot a new browser starts from.
 */
import type { DeviceSummary } from '../devices.js';
import type { Alarm } from '../event-bus.js';
import { redact } from './redact.js';
import { TOPIC_ROOT, topics } from '../../core/topics.js';

export interface BusMessage {
  topic: string;
  /** already redacted */
  payload: unknown;
  /** gateway receive time, ISO 8601 */
  at: string;
}

export interface VerdictEntry {
  kit: string;
  at: string;
  verdict: unknown;
}

export interface KitView {
  id: string;
  courierId?: string;
  tasks: unknown;
  tasksAt?: string;
  /** newest first */
  verdicts: VerdictEntry[];
}

export interface DeviceView {
  id: string;
  kind: string;
  kit: string;
  protocol?: string;
  transport: string;
  state: string;
  reason?: string;
  since?: string;
  lastEvent?: { type: string; at: string; payload: unknown };
  faults: Record<string, number>;
  /** payloads refused at the bus edge */
  errors: number;
  lastError?: { reason: string; at: string };
}

export interface AlarmView {
  kind: string;
  source: string;
  message: string;
  since?: string;
}

export interface Snapshot {
  gateway: { id: string };
  operator: string;
  at: string;
  devices: DeviceView[];
  kits: KitView[];
  /** the last retained cg/v1/gateway/status payload, or null before the first */
  status: Record<string, unknown> | null;
  alarms: AlarmView[];
  /** newest last */
  activity: BusMessage[];
}

export interface LiveStateOptions {
  verdictsPerKit: number;
  activity: number;
}

interface KitState {
  tasks?: unknown;
  tasksAt?: string;
  verdicts: VerdictEntry[];
}

const ROOT = `${TOPIC_ROOT}/`;

export class LiveState {
  private readonly kits = new Map<string, KitState>();
  private readonly errors = new Map<string, { count: number; last?: { reason: string; at: string } }>();
  private readonly recent: BusMessage[] = [];
  private status: Record<string, unknown> | null = null;

  constructor(private readonly o: LiveStateOptions) {}

  /** Folds one (redacted) bus message in. */
  apply(m: BusMessage): void {
    if (!m.topic.startsWith(ROOT)) return;
    const parts = m.topic.slice(ROOT.length).split('/');
    if (parts[0] === 'kits' && parts.length === 3 && parts[1]) {
      const kit = this.kit(parts[1]);
      if (parts[2] === 'verdicts') {
        // a 'recorded' message completes the verdict it names
        const p = m.payload as { type?: string; verdictId?: string; recorded?: boolean; receipt?: string; reason?: string } | null;
        const done = p?.type === 'recorded' ? kit.verdicts.find((e) => (e.verdict as { verdictId?: string } | null)?.verdictId === p.verdictId) : undefined;
        if (done && p) {
          done.verdict = { ...(done.verdict as object), recorded: p.recorded, receipt: p.receipt, reason: p.reason };
        } else {
          kit.verdicts.unshift({ kit: parts[1], at: m.at, verdict: m.payload });
          if (kit.verdicts.length > this.o.verdictsPerKit) kit.verdicts.length = this.o.verdictsPerKit;
        }
      } else if (parts[2] === 'tasks') {
        kit.tasks = m.payload;
        kit.tasksAt = m.at;
      }
    } else if (parts[0] === 'devices' && parts[2] === 'errors' && parts.length === 3 && parts[1]) {
      const e = this.errors.get(parts[1]) ?? { count: 0 };
      e.count += 1;
      const p = m.payload as { reason?: unknown; error?: unknown } | null;
      e.last = { reason: String(p?.reason ?? p?.error ?? 'refused'), at: m.at };
      this.errors.set(parts[1], e);
    } else if (m.topic === topics.gatewayStatus() && isObject(m.payload)) {
      this.status = m.payload;
    }
    this.recent.push(m);
    if (this.recent.length > this.o.activity) this.recent.splice(0, this.recent.length - this.o.activity);
  }

  devices(list: readonly DeviceSummary[]): DeviceView[] {
    return list.map((d) => {
      const e = this.errors.get(d.id);
      const reason = d.detail?.reason;
      return {
        id: d.id,
        kind: d.kind,
        kit: d.kit,
        protocol: d.protocol,
        transport: d.transport,
        state: d.state,
        ...(typeof reason === 'string' ? { reason } : {}),
        since: d.since,
        ...(d.lastEvent ? { lastEvent: { ...d.lastEvent, payload: redact(topics.deviceEvent(d.id, d.lastEvent.type), d.lastEvent.payload) } } : {}),
        faults: { ...d.faults },
        errors: e?.count ?? 0,
        ...(e?.last ? { lastError: e.last } : {}),
      };
    });
  }

  snapshot(input: {
    gatewayId: string;
    operator: string;
    at: string;
    devices: readonly DeviceSummary[];
    alarms: readonly Alarm[];
    kits: readonly { id: string; courierId?: string }[];
  }): Snapshot {
    const ids = new Set<string>([...input.kits.map((k) => k.id), ...input.devices.map((d) => d.kit), ...this.kits.keys()]);
    const kits = [...ids].sort().map((id): KitView => {
      const s = this.kits.get(id);
      const courierId = input.kits.find((k) => k.id === id)?.courierId;
      return { id, ...(courierId ? { courierId } : {}), tasks: s?.tasks ?? null, ...(s?.tasksAt ? { tasksAt: s.tasksAt } : {}), verdicts: [...(s?.verdicts ?? [])] };
    });
    return {
      gateway: { id: input.gatewayId },
      operator: input.operator,
      at: input.at,
      devices: this.devices(input.devices),
      kits,
      status: this.status,
      alarms: input.alarms.map((a) => ({ kind: a.kind, source: a.source, message: a.message, since: new Date(a.at).toISOString() })),
      activity: [...this.recent],
    };
  }

  private kit(id: string): KitState {
    let k = this.kits.get(id);
    if (!k) {
      k = { verdicts: [] };
      this.kits.set(id, k);
    }
    return k;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
