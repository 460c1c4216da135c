/**
 * The device manager: starts a driver for every device read inside the gateway, gives it
 * its DriverContext, routes bus commands to it, and keeps every device's last status
 * (drivers and MQTT-native devices alike) for /healthz and the dashboard.
 * One bad device never takes the gateway down: a driver that fails to start is marked
 * unavailable with the reason, and the rest run on.
 */
import type { Logger } from 'pino';
import { checkEventPayload, type DeviceEvent, type EventType, type EventPayload } from '../devices/events.js';
import type { CommandResult, DeviceConfig, DeviceState, Driver, DriverContext, ProtocolDefinition } from '../devices/driver.js';
import { CodecError } from '../devices/codec.js';
import { findProtocol } from '../devices/registry.js';
import type { Transports } from '../devices/transports/types.js';
import { FrameRing, tapTransports, type RawFrame } from '../devices/transports/tap.js';
import type { Config } from './config.js';
import type { Broker } from './broker.js';
import type { CommandIssuer, EventBus } from './event-bus.js';
import type { Principal } from './acl.js';
import type { Metrics } from './metrics.js';
import { parseDeviceTopic, topicFilters, topics } from '../core/topics.js';
import { LogThrottle } from './throttle.js';
import type { StateFile } from './state-file.js';

export interface DeviceSummary {
  id: string;
  kind: string;
  kit: string;
  protocol?: string;
  transport: string;
  state: DeviceState;
  detail?: Record<string, unknown>;
  since?: string;
  lastEvent?: { type: string; at: string; payload: unknown };
  faults: Record<string, number>;
  info?: Record<string, unknown>;
}

interface Entry {
  config: DeviceConfig;
  driver?: Driver;
  summary: DeviceSummary;
  /** the last raw frames its serial line or HID handle carried (driver-run devices) */
  frames?: FrameRing;
}

export interface DeviceManagerOptions {
  config: Config;
  broker: Broker;
  bus: EventBus;
  metrics: Metrics;
  log: Logger;
  transports: Transports;
  state: StateFile<{ devices: Record<string, Record<string, unknown>> }>;
  now?: () => number;
  /** protocol lookup; the device registry by default */
  findProtocol?: (name: string) => ProtocolDefinition | undefined;
}

export class DeviceManager {
  private readonly entries = new Map<string, Entry>();
  private readonly throttle = new LogThrottle();
  private readonly now: () => number;
  private unsubscribe: (() => void) | undefined;
  private alarmTimer: NodeJS.Timeout | undefined;
  /** driver alarms currently raised on the gateway's alarm bus, per device, by key */
  private readonly raised = new Map<string, Map<string, { kind: string; source: string }>>();

  constructor(private readonly o: DeviceManagerOptions) {
    this.now = o.now ?? Date.now;
    for (const d of o.config.devices) {
      const config = d as unknown as DeviceConfig;
      this.entries.set(d.id, {
        config,
        summary: { id: d.id, kind: d.kind, kit: d.kit, protocol: d.protocol, transport: d.transport.type, state: 'offline', faults: {} },
      });
    }
  }

  async start(): Promise<void> {
    const { bus, broker } = this.o;
    bus.on('devices', 'device-status', (s) => {
      const e = this.entries.get(s.deviceId);
      if (e && e.config.transport.type === 'mqtt') this.setSummaryState(e, s.state, s.detail);
    });
    bus.on('devices', 'device-event', (ev) => {
      const e = this.entries.get(ev.deviceId);
      if (e) e.summary.lastEvent = { type: ev.type, at: new Date(ev.receivedAt).toISOString(), payload: ev.payload };
    });
    this.unsubscribe = broker.subscribe(topicFilters.allCommands, (topic, payload, from) => void this.onCommand(topic, payload, from));
    for (const e of this.entries.values()) {
      if (e.config.transport.type === 'mqtt') continue;
      await this.startDriver(e);
    }
    this.alarmTimer = setInterval(() => this.syncDriverAlarms(), 1000);
    this.alarmTimer.unref();
  }

  /**
   * Drivers keep their alarms in describe().alarms ({ kind, message, compartment?, board? });
   * each one raised or cleared there is raised or cleared on the gateway's alarm bus, so it
   * shows on /healthz, /metrics and the gateway status. Checked when the driver reports a
   * fault or an event, and every second.
   */
  syncDriverAlarms(only?: Entry): void {
    for (const e of only ? [only] : this.entries.values()) {
      const alarms = (e.driver?.describe?.() as { alarms?: unknown } | undefined)?.alarms;
      if (!Array.isArray(alarms)) continue;
      const raised = (this.raised.get(e.config.id) ?? new Map<string, { kind: string; source: string }>());
      this.raised.set(e.config.id, raised);
      const seen = new Set<string>();
      for (const a of alarms as { kind?: unknown; message?: unknown; compartment?: unknown; board?: unknown }[]) {
        if (typeof a?.kind !== 'string') continue;
        const where = a.compartment ?? (a.board === undefined ? undefined : `board ${String(a.board)}`);
        const source = where === undefined ? e.config.id : `${e.config.id}:${String(where)}`;
        const key = `${a.kind}|${source}`;
        seen.add(key);
        if (raised.has(key)) continue;
        raised.set(key, { kind: a.kind, source });
        this.o.bus.emit('alarm', { kind: a.kind, source, message: typeof a.message === 'string' ? a.message : a.kind, active: true, at: this.now() });
      }
      for (const [key, a] of raised) {
        if (seen.has(key)) continue;
        raised.delete(key);
        this.o.bus.emit('alarm', { kind: a.kind, source: a.source, message: `${a.kind} cleared`, active: false, at: this.now() });
      }
    }
  }

  async stop(): Promise<void> {
    if (this.alarmTimer) clearInterval(this.alarmTimer);
    this.unsubscribe?.();
    this.o.bus.off('devices');
    await Promise.all(
      [...this.entries.values()].map(async (e) => {
        try {
          await e.driver?.stop();
        } catch (err) {
          this.o.log.warn({ device: e.config.id, err }, 'driver stop failed');
        }
      }),
    );
  }

  list(): DeviceSummary[] {
    return [...this.entries.values()].map((e) => ({ ...e.summary, info: e.driver?.describe?.() }));
  }

  driver(id: string): Driver | undefined {
    return this.entries.get(id)?.driver;
  }

  /** the device's last raw frames, oldest first; undefined for an unknown or MQTT-native device */
  frames(id: string): { total: number; frames: RawFrame[] } | undefined {
    const ring = this.entries.get(id)?.frames;
    return ring ? { total: ring.total, frames: ring.list() } : undefined;
  }

  /** Runs a command on a driver-run device; MQTT-native devices get their commands straight from the broker. */
  async command(id: string, name: string, payload: Record<string, unknown>): Promise<CommandResult> {
    const e = this.entries.get(id);
    if (!e) return { ok: false, error: 'UNKNOWN_DEVICE', message: `no device ${id}` };
    if (!e.driver?.command) return { ok: false, error: 'NOT_SUPPORTED', message: `${id} takes no commands` };
    try {
      return await e.driver.command(name, payload);
    } catch (err) {
      this.fault(e, 'command', err as Error);
      return { ok: false, error: 'FAILED', message: (err as Error).message };
    }
  }

  private async onCommand(topic: string, raw: Buffer, from?: Principal): Promise<void> {
    const t = parseDeviceTopic(topic);
    const e = t ? this.entries.get(t.deviceId) : undefined;
    if (!t || !e || e.config.transport.type === 'mqtt') return;
    let payload: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
        payload = parsed as Record<string, unknown>;
      } catch (err) {
        await this.answer(e, t.name!, undefined, { ok: false, error: 'INVALID_PAYLOAD', message: (err as Error).message });
        return;
      }
    }
    const result = await this.command(e.config.id, t.name!, payload);
    await this.answer(e, t.name!, typeof payload.id === 'string' ? payload.id : undefined, result);
    const by: CommandIssuer = !from ? { role: 'gateway' } : from.role === 'operator' ? { role: 'operator', username: from.username } : { role: 'device', id: from.id };
    this.o.bus.emit('device-command', { deviceId: e.config.id, kind: e.config.kind, kit: e.config.kit, name: t.name!, payload, result, by, at: this.now() });
  }

  private async answer(e: Entry, name: string, id: string | undefined, result: CommandResult): Promise<void> {
    e.summary.detail = { ...e.summary.detail, lastCommand: { id, name, ...result, at: new Date(this.now()).toISOString() } };
    await this.publishStatus(e);
  }

  private async startDriver(e: Entry): Promise<void> {
    const { config } = e;
    const log = this.o.log.child({ device: config.id, protocol: config.protocol });
    const protocol = config.protocol ? (this.o.findProtocol ?? findProtocol)(config.protocol) : undefined;
    if (!protocol) {
      this.setStatus(e, 'unavailable', { reason: `unknown protocol ${config.protocol}` });
      return;
    }
    const ctx = this.context(e, log);
    try {
      e.driver = protocol.createDriver(ctx);
      this.setStatus(e, 'connecting');
      await e.driver.start();
    } catch (err) {
      log.error({ err }, 'driver failed to start');
      this.setStatus(e, 'unavailable', { reason: (err as Error).message });
    }
  }

  private context(e: Entry, log: Logger): DriverContext {
    const id = e.config.id;
    const store = this.o.state;
    e.frames = new FrameRing(32);
    return {
      device: e.config,
      log,
      emit: <T extends EventType>(type: T, payload: EventPayload<T>) => this.emitEvent(e, type, payload),
      status: (state, detail) => this.setStatus(e, state, detail),
      fault: (kind, error, detail) => this.fault(e, kind, error, detail),
      transports: tapTransports(this.o.transports, e.frames, Date.now),
      state: {
        get: <T>(key: string) => store.data.devices[id]?.[key] as T | undefined,
        set: (key: string, value: unknown) =>
          store.update((d) => {
            d.devices[id] = { ...(d.devices[id] ?? {}), [key]: value };
          }),
      },
      // drivers time real hardware (poll periods, settle times, door alarms): the real clock,
      // even when a scenario runs the gateway's own clock faster
      now: () => Date.now(),
    };
  }

  private emitEvent<T extends EventType>(e: Entry, type: T, payload: EventPayload<T>): void {
    const error = this.publishEvent(e.config.id, e.config.kit, type, payload);
    if (error) {
      this.fault(e, 'invalid_event', new Error(`driver produced an invalid ${type} event: ${error}`));
      return;
    }
    if (e.summary.state !== 'online') this.setStatus(e, 'online');
    this.syncDriverAlarms(e);
  }

  /**
   * Publishes an event on behalf of a device (a driver, or the gateway deriving one, as a
   * scan read from a terminal's image) and hands it to the pipeline. Returns the reason
   * when the payload is not valid for its type.
   */
  publishEvent<T extends EventType>(deviceId: string, kit: string | undefined, type: T, payload: EventPayload<T>): string | undefined {
    const check = checkEventPayload(type, payload);
    if (!check.ok) return check.reason;
    const event: DeviceEvent = { deviceId, kit, type, payload: check.value as DeviceEvent['payload'], receivedAt: this.now() };
    void this.o.broker.publish(topics.deviceEvent(deviceId, type), check.value, { qos: 0 }).catch(() => undefined);
    this.o.bus.emit('device-event', event);
    return undefined;
  }

  private fault(e: Entry, kind: string, error: Error, detail?: Record<string, unknown>): void {
    this.syncDriverAlarms(e);
    e.summary.faults[kind] = (e.summary.faults[kind] ?? 0) + 1;
    this.o.metrics.deviceFaults.inc({ device: e.config.id, kind });
    if (this.throttle.shouldLog(`${e.config.id}:${kind}`)) {
      const input = error instanceof CodecError ? error.input : undefined;
      const code = error instanceof CodecError ? error.code : undefined;
      this.o.log.warn(
        { device: e.config.id, protocol: e.config.protocol, fault: kind, code, input, count: e.summary.faults[kind], ...detail, err: error.message },
        'device fault',
      );
    }
  }

  private setSummaryState(e: Entry, state: DeviceState, detail?: Record<string, unknown>): void {
    if (e.summary.state !== state) e.summary.since = new Date(this.now()).toISOString();
    e.summary.state = state;
    const { lastCommand } = (e.summary.detail ?? {}) as { lastCommand?: unknown };
    e.summary.detail = { ...(lastCommand ? { lastCommand } : {}), ...detail };
    this.o.metrics.deviceOnline.set({ device: e.config.id, kind: e.config.kind }, state === 'online' ? 1 : 0);
  }

  private setStatus(e: Entry, state: DeviceState, detail?: Record<string, unknown>): void {
    const changed = e.summary.state !== state;
    this.setSummaryState(e, state, detail);
    if (changed) this.o.log.info({ device: e.config.id, state, ...detail }, 'device status');
    void this.publishStatus(e);
    this.o.bus.emit('device-status', { deviceId: e.config.id, kind: e.config.kind, kit: e.config.kit, state, detail, at: this.now() });
  }

  private publishStatus(e: Entry): Promise<void> {
    const s = e.summary;
    return this.o.broker
      .publish(
        topics.deviceStatus(s.id),
        { state: s.state, kind: s.kind, kit: s.kit, protocol: s.protocol, via: s.transport, since: s.since, ...s.detail },
        { retain: true, qos: 1 },
      )
      .catch(() => undefined);
  }
}
