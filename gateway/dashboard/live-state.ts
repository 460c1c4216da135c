/**
 * What the dashboard knows beyond the device manager: the kits' retained tasks, their
 * recent verdicts, the last gateway status, refused-payload counts per device and the
 * recent bus activity, folded from the bus; and the snapshot a new browser starts from.
 *
 * Folding a message in costs the same whatever its size: it is kept as it came (the raw
 * bytes) and parsed and redacted only when a browser is shown it, once.
 */
import type { DeviceSummary } from '../devices.js';
import type { Alarm } from '../event-bus.js';
import { parsePayload, redact, redactDevice, type SecretScanners } from './redact.js';
import { TOPIC_ROOT, topics } from '../../core/topics.js';
import { Series, type SeriesView } from './series.js';
import type { DayReport } from '../../report/figures.js';

export interface BusMessage {
  topic: string;
  /** already redacted */
  payload: unknown;
  /** gateway receive time, ISO 8601 */
  at: string;
}

/** A bus message as it came: parsed and redacted on first use. */
export class BusEntry implements BusMessage {
  private parsed: unknown;
  private raw: Buffer | undefined;
  private atIso: string | undefined;
  /** `at` is ISO 8601 or ms since epoch (formatted when shown) */
  constructor(
    readonly topic: string,
    raw: Buffer,
    private readonly atValue: string | number,
    private readonly scanners?: SecretScanners,
  ) {
    this.raw = raw;
  }

  /** gateway receive time, ISO 8601 */
  get at(): string {
    return (this.atIso ??= typeof this.atValue === 'string' ? this.atValue : new Date(this.atValue).toISOString());
  }

  static of(m: BusMessage | BusEntry): BusEntry {
    if (m instanceof BusEntry) return m;
    const e = new BusEntry(m.topic, Buffer.alloc(0), m.at);
    e.raw = undefined;
    e.parsed = m.payload;
    return e;
  }

  /** true for an empty payload (a retained message withdrawn) */
  get empty(): boolean {
    return this.raw !== undefined && this.raw.length === 0;
  }

  get payload(): unknown {
    if (this.raw !== undefined) {
      this.parsed = redact(this.topic, parsePayload(this.raw), this.scanners);
      this.raw = undefined;
    }
    return this.parsed;
  }

  toJSON(): BusMessage {
    return { topic: this.topic, payload: this.payload, at: this.at };
  }
}

export interface VerdictEntry {
  kit: string;
  at: string;
  verdict: unknown;
}

/** one position of the kit's track: lat, lon, wall-clock ms */
export type TrackPoint = [number, number, number];

/** the newest ETA the gateway recorded for one stop */
export interface EtaView {
  taskId: string;
  eta: string;
  distanceM?: number;
  at: string;
}

/** a pickup exception as recorded: the task, its customer and the reason */
export interface ExceptionView {
  kit: string;
  taskId: string;
  customer: string | null;
  waybill: string | null;
  reason: string;
  note: string | null;
  at: string;
}

export interface KitView {
  id: string;
  courierId?: string;
  /** recent positions of the kit's GPS units, oldest first (bounded) */
  track?: TrackPoint[];
  /** the newest ETA per open stop */
  etas?: EtaView[];
  tasks: unknown;
  tasksAt?: string;
  /** single tasks' states told since the list (`cg/v1/kits/{kit}/tasks/{taskId}`), by task id */
  taskStates?: Record<string, unknown>;
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
  /** a printer's last print (its page is at /api/printers/{id}/last-print.png) */
  lastPrint?: { id: string; kind: string; at: string };
  /** when the dashboard saw the device come to its state, wall clock (a simulated gateway clock aside) */
  seenSince?: string;
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
  /** the chart series (wall clock) */
  series: SeriesView;
  /** the day's figures (report/figures.ts), null before the first record */
  figures: DayReport | null;
  /** the newest exceptions first (bounded) */
  exceptions: ExceptionView[];
  /** the stop's geofence radius, metres */
  geofenceM: number;
}

/** what the periodic `live` stream event carries: the parts that change without a bus message of their own */
export type LiveUpdate = Pick<Snapshot, 'series' | 'figures' | 'exceptions'> & { etas: Record<string, EtaView[]> };

export interface LiveStateOptions {
  verdictsPerKit: number;
  activity: number;
  /** the charts' time bucket; default 10 s */
  chartBucketMs?: number;
  /** positions kept per GPS unit (past it the track is thinned to half); default 500 */
  trackPoints?: number;
  /** exceptions kept; default 50 */
  exceptions?: number;
  geofenceM?: number;
  /** the gateway's clock runs this many times faster than the wall (a simulation); default 1 */
  clockFactor?: number;
  /** locker terminals, whose scans may be collection codes */
  scanners?: SecretScanners;
}

interface KitState {
  tasks?: BusEntry;
  /** the states of single tasks told since the list (picked up, exception), by task id */
  taskStates: Map<string, BusEntry>;
  /** verdicts and their 'recorded' follow-ups, newest first, folded when shown */
  verdicts: BusEntry[];
}

const ROOT = `${TOPIC_ROOT}/`;
/** bus messages kept per device for its page */
const DEVICE_MESSAGES = 20;

export class LiveState {
  private readonly kits = new Map<string, KitState>();
  private readonly errors = new Map<string, { count: number; last?: BusEntry }>();
  private readonly recent: BusEntry[] = [];
  private status: BusEntry | undefined;
  readonly series: Series;
  private readonly tracks = new Map<string, TrackPoint[]>();
  /** newest ETA per kit and task (bounded by the kits' stops) */
  private readonly etas = new Map<string, Map<string, EtaView>>();
  private readonly exceptions: ExceptionView[] = [];
  /** per device: its last messages on the bus (status, events, errors, commands), raw until shown */
  private readonly byDevice = new Map<string, BusEntry[]>();
  /** per device: the state it was last told in, and when (wall clock) */
  private readonly seen = new Map<string, { state: string; at: string }>();

  constructor(private readonly o: LiveStateOptions) {
    this.series = new Series({ bucketMs: o.chartBucketMs });
  }

  /** Folds one bus message in (raw, or already redacted); `now` is the wall clock, ms. */
  apply(message: BusMessage | BusEntry, now = Date.now()): void {
    const m = BusEntry.of(message);
    if (!m.topic.startsWith(ROOT)) return;
    const parts = m.topic.slice(ROOT.length).split('/');
    if (parts[0] === 'kits' && parts[1] && (parts.length === 3 || (parts.length === 4 && parts[2] === 'tasks'))) {
      const kit = this.kit(parts[1]);
      if (parts[2] === 'verdicts') {
        const v = m.payload as { type?: unknown; outcome?: unknown; timings?: { scanToVerdictMs?: unknown } } | null;
        if (v?.type === 'verdict' && typeof v.outcome === 'string') {
          const ms = v.timings?.scanToVerdictMs;
          this.series.verdict(now, v.outcome, typeof ms === 'number' ? ms / (this.o.clockFactor ?? 1) : undefined);
        }
        kit.verdicts.unshift(m);
        // room for each verdict's 'recorded' follow-up
        if (kit.verdicts.length > this.o.verdictsPerKit * 2) kit.verdicts.length = this.o.verdictsPerKit * 2;
      } else if (parts[2] === 'tasks' && parts.length === 3) {
        kit.tasks = m;
        kit.taskStates.clear();
      } else if (parts[2] === 'tasks') {
        if (m.empty) kit.taskStates.delete(parts[3]!);
        else kit.taskStates.set(parts[3]!, m);
      }
    } else if (parts[0] === 'devices' && parts[2] === 'errors' && parts.length === 3 && parts[1]) {
      const e = this.errors.get(parts[1]) ?? { count: 0 };
      e.count += 1;
      e.last = m;
      this.errors.set(parts[1], e);
      this.series.refused(now);
    } else if (parts[0] === 'devices' && parts[1] && parts[2] === 'events' && parts[3] === 'position') {
      this.position(parts[1], m.payload, now);
    } else if (parts[0] === 'devices' && parts[1] && parts[2] === 'status' && parts.length === 3) {
      const state = (m.payload as { state?: unknown } | null)?.state;
      if (typeof state === 'string' && this.seen.get(parts[1])?.state !== state) this.seen.set(parts[1], { state, at: new Date(now).toISOString() });
    } else if (m.topic === topics.gatewayStatus()) {
      this.status = m;
    }
    if (parts[0] === 'devices' && parts[1]) {
      let list = this.byDevice.get(parts[1]);
      if (!list) this.byDevice.set(parts[1], (list = []));
      list.push(m);
      if (list.length > DEVICE_MESSAGES * 2) list.splice(0, list.length - DEVICE_MESSAGES);
    }
    this.recent.push(m);
    if (this.recent.length > this.o.activity * 2) this.recent.splice(0, this.recent.length - this.o.activity);
  }

  /** Folds one record the journal kept in: ETAs and exceptions. */
  record(r: { kind: string; kit?: string; createdAt: string; body: Record<string, unknown> }): void {
    const b = r.body;
    const kit = r.kit ?? (typeof b.kit === 'string' ? b.kit : undefined);
    const taskId = typeof b.taskId === 'string' ? b.taskId : undefined;
    if (!kit || !taskId) return;
    if (r.kind === 'eta.update' && typeof b.eta === 'string') {
      let m = this.etas.get(kit);
      if (!m) this.etas.set(kit, (m = new Map()));
      m.set(taskId, { taskId, eta: b.eta, ...(typeof b.distanceM === 'number' ? { distanceM: b.distanceM } : {}), at: r.createdAt });
    } else if (r.kind === 'pickup.exception') {
      const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
      this.exceptions.unshift({ kit, taskId, customer: text(b.customer), waybill: text(b.waybill), reason: text(b.reason) ?? 'unknown', note: text(b.note), at: r.createdAt });
      if (this.exceptions.length > (this.o.exceptions ?? 50)) this.exceptions.length = this.o.exceptions ?? 50;
    } else if (r.kind === 'pickup.completed') this.etas.get(kit)?.delete(taskId);
  }

  /** the device's last messages on the bus, newest last */
  deviceMessages(id: string): BusMessage[] {
    return (this.byDevice.get(id) ?? []).slice(-DEVICE_MESSAGES).map((m) => m.toJSON());
  }

  /** what changes without a bus message of its own */
  live(now: number, figures: DayReport | null): LiveUpdate {
    const etas: Record<string, EtaView[]> = {};
    for (const [kit, m] of this.etas) etas[kit] = [...m.values()];
    return { series: this.series.view(now), figures, exceptions: [...this.exceptions], etas };
  }

  private position(device: string, payload: unknown, now: number): void {
    const p = payload as { lat?: unknown; lon?: unknown } | null;
    if (typeof p?.lat !== 'number' || typeof p.lon !== 'number' || !Number.isFinite(p.lat) || !Number.isFinite(p.lon)) return;
    let t = this.tracks.get(device);
    if (!t) this.tracks.set(device, (t = []));
    const last = t.at(-1);
    // a van standing still adds nothing
    if (last && Math.abs(last[0] - p.lat) < 2e-5 && Math.abs(last[1] - p.lon) < 2e-5) return;
    t.push([p.lat, p.lon, now]);
    // full: every other point goes (the newest stays), so the whole day's route keeps its shape in a bounded track
    if (t.length > (this.o.trackPoints ?? 500)) this.tracks.set(device, halve(t));
  }

  devices(list: readonly DeviceSummary[]): DeviceView[] {
    return list.map((d) => {
      const e = this.errors.get(d.id);
      const seen = this.seen.get(d.id);
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
        ...(d.lastEvent ? { lastEvent: redactDevice(d, this.o.scanners).lastEvent } : {}),
        faults: { ...d.faults },
        errors: e?.count ?? 0,
        ...(e?.last ? { lastError: lastError(e.last) } : {}),
        ...lastPrint(d.info),
        ...(seen && seen.state === d.state ? { seenSince: seen.at } : {}),
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
    /** wall clock, ms; default now */
    now?: number;
    figures?: DayReport | null;
  }): Snapshot {
    const live = this.live(input.now ?? Date.now(), input.figures ?? null);
    const tracks = new Map<string, TrackPoint[]>();
    for (const d of input.devices) {
      const t = this.tracks.get(d.id);
      if (t) tracks.set(d.kit, [...(tracks.get(d.kit) ?? []), ...t]);
    }
    const ids = new Set<string>([...input.kits.map((k) => k.id), ...input.devices.map((d) => d.kit), ...this.kits.keys()]);
    const kits = [...ids].sort().map((id): KitView => {
      const s = this.kits.get(id);
      const courierId = input.kits.find((k) => k.id === id)?.courierId;
      const taskStates = s && s.taskStates.size > 0 ? { taskStates: Object.fromEntries([...s.taskStates].map(([id, e]) => [decodeURIComponent(id), e.payload])) } : {};
      return {
        id,
        ...(courierId ? { courierId } : {}),
        ...(tracks.has(id) ? { track: tracks.get(id)!.sort((a, b) => a[2] - b[2]) } : {}),
        ...(live.etas[id] ? { etas: live.etas[id] } : {}),
        tasks: s?.tasks?.payload ?? null,
        ...(s?.tasks ? { tasksAt: s.tasks.at } : {}),
        ...taskStates,
        verdicts: s ? this.foldVerdicts(id, s.verdicts) : [],
      };
    });
    const status = this.status?.payload;
    return {
      gateway: { id: input.gatewayId },
      operator: input.operator,
      at: input.at,
      devices: this.devices(input.devices),
      kits,
      status: isObject(status) ? status : null,
      alarms: input.alarms.map((a) => ({ kind: a.kind, source: a.source, message: a.message, since: new Date(a.at).toISOString() })),
      activity: this.recent.slice(-this.o.activity).map((m) => m.toJSON()),
      series: live.series,
      figures: live.figures,
      exceptions: live.exceptions,
      geofenceM: this.o.geofenceM ?? 75,
    };
  }

  /** verdicts newest first, each completed by its 'recorded' follow-up */
  private foldVerdicts(kit: string, entries: readonly BusEntry[]): VerdictEntry[] {
    const out: VerdictEntry[] = [];
    const byId = new Map<string, VerdictEntry>();
    for (let i = entries.length - 1; i >= 0; i--) {
      const m = entries[i]!;
      const p = m.payload as { type?: string; verdictId?: string; recorded?: boolean; receipt?: string; reason?: string } | null;
      const done = p?.type === 'recorded' && p.verdictId !== undefined ? byId.get(p.verdictId) : undefined;
      if (done && p) {
        done.verdict = { ...(done.verdict as object), recorded: p.recorded, receipt: p.receipt, reason: p.reason };
        continue;
      }
      const entry: VerdictEntry = { kit, at: m.at, verdict: m.payload };
      out.push(entry);
      const id = (p as { verdictId?: unknown } | null)?.verdictId;
      if (typeof id === 'string') byId.set(id, entry);
    }
    out.reverse();
    // a scan's 'pending' (waiting for weight) entry gives way to its verdict
    const decided = new Set(out.map((e) => (e.verdict as { type?: unknown; pairId?: unknown } | null)).filter((v) => v?.type === 'verdict').map((v) => v?.pairId));
    const shown = out.filter((e) => {
      const v = e.verdict as { type?: unknown; pairId?: unknown } | null;
      return !(v?.type === 'pending' && decided.has(v.pairId));
    });
    if (shown.length > this.o.verdictsPerKit) shown.length = this.o.verdictsPerKit;
    return shown;
  }

  private kit(id: string): KitState {
    let k = this.kits.get(id);
    if (!k) {
      k = { verdicts: [], taskStates: new Map() };
      this.kits.set(id, k);
    }
    return k;
  }
}

/** every other point, the last one kept */
export function halve<T>(points: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = (points.length - 1) % 2; i < points.length; i += 2) out.push(points[i]!);
  return out;
}

function lastError(m: BusEntry): { reason: string; at: string } {
  const p = m.payload as { reason?: unknown; error?: unknown } | null;
  return { reason: String(p?.reason ?? p?.error ?? 'refused'), at: m.at };
}

/** what a printer driver's describe() says of its last print, without the page */
function lastPrint(info: Record<string, unknown> | undefined): { lastPrint?: DeviceView['lastPrint'] } {
  const p = info?.lastPrint as { id?: unknown; kind?: unknown; at?: unknown } | null | undefined;
  if (!p || typeof p.id !== 'string' || typeof p.at !== 'number') return {};
  return { lastPrint: { id: p.id, kind: String(p.kind), at: new Date(p.at).toISOString() } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
