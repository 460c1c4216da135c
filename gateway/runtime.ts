/**
 * The gateway process: owns the start order of its components, starts each in its own
 * try/catch (a failure stops the start only for an essential component; any other is
 * logged, raised as a `component-failed` alarm and the rest start), and stops them in
 * reverse order.
 */
import { access, constants, mkdir, statfs, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Transports } from '../devices/transports/types.js';
import type { ProtocolDefinition } from '../devices/driver.js';
import { createTransports } from '../devices/transports/index.js';
import { configWarnings, type Config } from './config.js';
import { Broker, type Account } from './broker.js';
import { DeviceManager } from './devices.js';
import { EventBus, type Alarm } from './event-bus.js';
import { HttpServer } from './http.js';
import { redactDevice, secretScanners } from './dashboard/redact.js';
import { Metrics } from './metrics.js';
import { StateFile } from './state-file.js';
import { topics } from '../core/topics.js';
import { createLogger } from './logger.js';
import { lockDataDir, type DataDirLock } from './data-lock.js';

export interface GatewayOptions {
  config: Config;
  log?: Logger;
  transports?: Transports;
  now?: () => number;
  findProtocol?: (name: string) => ProtocolDefinition | undefined;
}

/**
 * A part of the gateway with a lifecycle, started after the broker and devices. Its
 * constructor only stores collaborators; it registers its bus listeners under its own name
 * and removes them in stop().
 */
export interface Component {
  name: string;
  /** the gateway cannot serve pickups without it: its failed start fails the gateway's */
  readonly essential?: boolean;
  /** registers listeners that must hear the broker and the devices come up (before both start) */
  attach?(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** what /healthz and the gateway status show of it */
  status?(): Record<string, unknown>;
}

/** What a component reads of the runtime: its device manager, there from start() on. */
export interface DeviceHost {
  readonly devices: DeviceManager;
}

import { VERSION } from './version.js';
export { VERSION };

export class Gateway {
  readonly metrics = new Metrics();
  readonly bus: EventBus;
  readonly broker: Broker;
  readonly http: HttpServer;
  devices!: DeviceManager;
  state!: StateFile<{ devices: Record<string, Record<string, unknown>> }>;
  readonly components: Component[] = [];
  private readonly failed = new Map<string, string>();
  private readonly alarms = new Map<string, Alarm>();
  private statusTimer: NodeJS.Timeout | undefined;
  private lock: DataDirLock | undefined;
  private readonly startedAt: number;
  readonly log: Logger;

  constructor(readonly config: Config, private readonly options: Omit<GatewayOptions, 'config'> = {}) {
    this.log = options.log ?? createLogger(config.gateway.logLevel);
    this.startedAt = Date.now();
    this.bus = new EventBus(this.log.child({ component: 'bus' }));
    this.broker = new Broker({ config, metrics: this.metrics, log: this.log.child({ component: 'broker' }), bus: this.bus, accounts: accountsOf(config), now: options.now });
    const scanners = secretScanners(config.devices);
    this.http = new HttpServer({
      log: this.log.child({ component: 'http' }),
      metricsText: () => this.metrics.text(),
      info: () => ({
        gateway: config.gateway.id,
        version: VERSION,
        uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
        devices: this.devices?.list().map((d) => ({ id: d.id, kind: d.kind, state: d.state, ...(d.state === 'unavailable' ? { reason: d.detail?.reason } : {}) })),
        alarms: this.activeAlarms(),
        components: Object.fromEntries(this.components.map((c) => [c.name, this.componentStatus(c)])),
      }),
      apiTokens: config.http.apiTokens,
      publicMetrics: config.http.publicMetrics,
      tls: config.http.tls && config.mqtt.tls ? { cert: config.mqtt.tls.cert, key: config.mqtt.tls.key } : undefined,
    });
    this.bus.on('gateway', 'alarm', (a) => this.onAlarm(a));
    this.http.route('/status/devices/*', (_req, res, url) => {
      const id = decodeURIComponent(url.pathname.slice('/status/devices/'.length));
      const device = this.devices?.list().find((d) => d.id === id);
      res
        .writeHead(device ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(device ? redactDevice(device, scanners) : { error: 'no such device', id }));
    });
  }

  component(name: string): Component | undefined {
    return this.components.find((c) => c.name === name);
  }

  /** Adds a component; call before start(). */
  add(component: Component): void {
    this.components.push(component);
  }

  async start(): Promise<void> {
    const { config } = this;
    const dataDir = config.gateway.dataDir;
    await mkdir(dataDir, { recursive: true });
    await checkWritable(dataDir);
    this.lock = await lockDataDir(dataDir);
    for (const w of configWarnings(config)) this.log.warn({ field: w.path }, w.message);
    if (this.lock.tookOver) this.log.warn({ file: this.lock.file, stale: this.lock.tookOver }, 'took over a stale lock of the data folder');
    this.state = await StateFile.open(path.join(dataDir, 'device-state.json'), { devices: {} });
    for (const c of this.components) c.attach?.();
    await this.broker.start();
    this.devices = new DeviceManager({
      config,
      broker: this.broker,
      bus: this.bus,
      metrics: this.metrics,
      log: this.log.child({ component: 'devices' }),
      transports: this.options.transports ?? createTransports(),
      state: this.state,
      now: this.options.now,
      findProtocol: this.options.findProtocol,
    });
    this.http.addHealthCheck({ name: 'broker', check: () => ({ ok: this.broker.running, detail: { clients: this.broker.connectedClients, ports: this.broker.ports } }) });
    this.http.addHealthCheck({ name: 'dataDir', check: () => dataDirHealth(dataDir) });
    this.http.addHealthCheck({
      name: 'overload',
      check: () => {
        const s = this.broker.overload.state();
        return { ok: true, degraded: s.active, detail: s };
      },
    });
    await this.devices.start();
    for (const c of this.components) await this.startComponent(c);
    await this.http.start(config.http.port, config.http.host);
    await this.publishStatus();
    this.statusTimer = setInterval(() => void this.publishStatus(), 10_000);
    this.statusTimer.unref();
    this.log.info({ gateway: config.gateway.id, mqtt: this.broker.ports, http: this.http.port, devices: config.devices.length }, 'gateway started');
  }

  async stop(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.publishStatus('stopping').catch(() => undefined);
    await this.http.stop().catch((err) => this.log.warn({ err }, 'http stop failed'));
    for (const c of [...this.components].reverse()) {
      await c.stop().catch((err) => this.log.warn({ err, component: c.name }, 'component stop failed'));
    }
    await this.devices?.stop();
    await this.broker.stop();
    await this.lock?.release().catch((err) => this.log.warn({ err }, 'lock release failed'));
    this.lock = undefined;
    this.log.info('gateway stopped');
  }

  private async startComponent(c: Component): Promise<void> {
    try {
      await c.start();
      this.log.debug({ component: c.name }, 'component started');
    } catch (err) {
      if (c.essential) throw err;
      const message = err instanceof Error ? err.message : String(err);
      this.failed.set(c.name, message);
      this.log.error({ err, component: c.name }, 'component failed to start; the gateway runs without it');
      this.bus.emit('alarm', { kind: 'component-failed', source: c.name, message: `${c.name} failed to start: ${message}`, active: true, at: (this.options.now ?? Date.now)() });
    }
  }

  private componentStatus(c: Component): Record<string, unknown> {
    const failed = this.failed.get(c.name);
    return failed !== undefined ? { failed } : (c.status?.() ?? {});
  }

  activeAlarms(): Alarm[] {
    return [...this.alarms.values()];
  }

  private onAlarm(a: Alarm): void {
    const key = `${a.kind}:${a.source}`;
    if (a.active) this.alarms.set(key, a);
    else this.alarms.delete(key);
    const counts = new Map<string, number>();
    for (const x of this.alarms.values()) counts.set(x.kind, (counts.get(x.kind) ?? 0) + 1);
    this.metrics.alarms.reset();
    for (const [kind, n] of counts) this.metrics.alarms.set({ kind }, n);
    this.log[a.active ? 'warn' : 'info']({ alarm: a.kind, source: a.source, active: a.active }, a.message);
    void this.publishStatus();
  }

  private publishStatus(state = 'running'): Promise<void> {
    return this.broker.publish(
      topics.gatewayStatus(),
      {
        state,
        gateway: this.config.gateway.id,
        version: VERSION,
        at: new Date().toISOString(),
        alarms: this.activeAlarms().map((a) => ({ kind: a.kind, source: a.source, message: a.message })),
        ...Object.fromEntries(this.components.map((c) => [c.name, this.componentStatus(c)])),
      },
      { retain: true, qos: 1 },
    );
  }
}

function accountsOf(config: Config): Map<string, Account> {
  const accounts = new Map<string, Account>();
  for (const d of config.devices) {
    if (d.credentials) accounts.set(d.id, { principal: { role: 'device', id: d.id, kit: d.kit, kind: d.kind }, passwordHash: d.credentials.passwordHash });
  }
  for (const o of config.operators) accounts.set(o.username, { principal: { role: 'operator', username: o.username }, passwordHash: o.passwordHash });
  return accounts;
}

async function checkWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.probe-${process.pid}`);
  try {
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
  } catch (err) {
    throw new Error(`data dir ${dir} is not writable: ${(err as Error).message}`);
  }
}

async function dataDirHealth(dir: string): Promise<{ ok: boolean; detail: unknown }> {
  try {
    await access(dir, constants.W_OK);
    const s = await statfs(dir);
    const freeBytes = s.bavail * s.bsize;
    return { ok: freeBytes > 16 * 1024 * 1024, detail: { path: dir, freeMB: Math.round(freeBytes / 1048576) } };
  } catch (err) {
    return { ok: false, detail: { path: dir, error: (err as Error).message } };
  }
}
