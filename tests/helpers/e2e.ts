/**
 * End-to-end helpers: the compiled gateway as a child process (SIGKILL-able), a courier kit
 * of MQTT-native devices (scanner, scale, GPS) that makes pickups and follows the kit's
 * verdicts, valid UPU S10 waybills, and pickup tasks near one address.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { freePort } from './process.js';
import { API_TOKEN, apiTokenHash, topicMatches } from './gateway.js';
import { s10 } from '../../simulators/waybills.js';
import { GatewayProcess } from '../../simulators/gateway-process.js';

export { freePort, s10 };

export const PICKUP_ADDRESS = { text: '1 Quay Street, Bristol', lat: 51.4545, lon: -2.5879 };

/** A pickup task for one waybill at PICKUP_ADDRESS, open from an hour ago for three hours. */
export function pickupTask(kit: string, id: string, waybill: string, declaredWeightGrams: number, sequence: number): Record<string, unknown> {
  const now = Date.now();
  return {
    id,
    kit,
    waybill,
    customer: `Customer ${sequence}`,
    address: PICKUP_ADDRESS,
    window: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3 * 3_600_000).toISOString() },
    declaredWeightGrams,
    service: 'standard',
    sequence,
  };
}

export interface GatewayPorts {
  mqtt: number;
  http: number;
}

/** Writes the gateway's YAML config (with the tests' API token unless it names its own); returns its path. */
export async function writeGatewayConfig(workDir: string, config: Record<string, unknown>): Promise<string> {
  const file = path.join(workDir, 'gateway.yaml');
  const http = { apiTokens: [{ name: 'tests', tokenHash: apiTokenHash() }], ...(config.http as object | undefined) };
  await writeFile(file, toYaml({ ...config, http }));
  return file;
}

/** The compiled gateway as a child process, with its MQTT and HTTP addresses on loopback. */
export class GatewayChild extends GatewayProcess {
  readonly mqttUrl: string;

  constructor(configFile: string, ports: GatewayPorts, logFile: string) {
    super({ configFile, httpUrl: `http://127.0.0.1:${ports.http}`, logFile, token: API_TOKEN });
    this.mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
  }

  /** GET /healthz, its body read as the gateway's Health */
  override health<T = Health>(): Promise<{ status: number; body: T }> {
    return super.health<T>();
  }
}

/** A work folder, a data folder in it and the compiled gateway on free loopback ports. */
export interface E2eGateway {
  workDir: string;
  dataDir: string;
  gatewayId: string;
  ports: GatewayPorts;
  gateway: GatewayChild;
}

/**
 * Makes a work folder and configures the compiled gateway `gw-{name}` in it: its id, data
 * folder, MQTT (no WebSocket) and HTTP listeners on free loopback ports, then what `config`
 * returns for the work folder (kits, devices, dispatch, tasks, ...). The folder's removal
 * and the gateway's stop go to `cleanups` (run last first). The gateway is not started.
 */
export async function configureGateway(name: string, cleanups: (() => Promise<unknown>)[], config: (workDir: string) => Record<string, unknown> | Promise<Record<string, unknown>>): Promise<E2eGateway> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), `cg-e2e-${name}-`));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  const dataDir = path.join(workDir, 'data');
  const gatewayId = `gw-${name}`;
  const ports = { mqtt: await freePort(), http: await freePort() };
  const file = await writeGatewayConfig(workDir, {
    gateway: { id: gatewayId, dataDir, logLevel: 'info' },
    mqtt: { host: '127.0.0.1', port: ports.mqtt, wsPort: null },
    http: { host: '127.0.0.1', port: ports.http },
    ...(await config(workDir)),
  });
  const gateway = new GatewayChild(file, ports, path.join(workDir, 'gateway.log'));
  cleanups.push(() => gateway.stop());
  return { workDir, dataDir, gatewayId, ports, gateway };
}

export interface Health {
  alarms?: { kind: string; source: string; message: string }[];
  components?: { journal?: { depth?: Record<string, number>; appended?: number; acked?: number; rejected?: number }; sync?: { applied?: number; link?: string } };
  [k: string]: unknown;
}

type Message = { topic: string; payload: unknown };

/** An MQTT client that keeps every message of its subscriptions and can wait for one. */
export class Watcher {
  readonly client: MqttClient;
  readonly messages: Message[] = [];
  private readonly waiters = new Set<() => void>();
  private subscribed: Promise<void>;

  constructor(url: string, username: string, password: string, readonly filters: string[], clientId?: string) {
    this.client = mqtt.connect(url, { username, password, clientId, reconnectPeriod: 250, connectTimeout: 5000, resubscribe: false });
    this.client.on('error', () => undefined);
    let ready!: () => void;
    this.subscribed = new Promise((r) => (ready = r));
    this.client.on('connect', () => {
      // every (re)connection subscribes again: the gateway's broker keeps no session for us
      const done = this.client.subscribeAsync(filters, { qos: 1 }).then(() => undefined);
      this.subscribed = done;
      void done.then(ready, () => undefined);
    });
    this.client.on('message', (topic, buf) => {
      if (!filters.some((f) => topicMatches(f, topic))) return;
      let payload: unknown;
      try {
        payload = JSON.parse(buf.toString());
      } catch {
        payload = buf.toString();
      }
      this.messages.push({ topic, payload });
      for (const w of [...this.waiters]) w();
    });
  }

  /** connected and subscribed (again, after a reconnect) */
  async ready(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.client.connected) {
      if (Date.now() > deadline) throw new Error(`${this.filters.join(', ')}: not connected within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.subscribed;
  }

  get mark(): number {
    return this.messages.length;
  }

  /** the first message after index `from` matching `pred` */
  next(pred: (m: Message) => boolean, from = 0, timeoutMs = 5000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.messages.slice(from).find(pred);
        if (!m) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no message on ${this.filters.join(', ')} matched within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    await this.ready();
    await this.client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

export interface Verdict {
  type: string;
  verdictId?: string;
  outcome?: string;
  scan?: { code: string };
  reasons?: { code: string }[];
  recorded?: boolean;
  recordId?: string;
  receipt?: string;
  reason?: string;
}

export interface PickupResult {
  waybill: string;
  verdictId: string;
  recordId: string;
  receipt: string;
}

/**
 * A courier kit of MQTT-native devices: `scanner-1` follows the kit's verdicts, `scale-1`
 * weighs, `gps-1` says where the van is. Every device uses the same password.
 */
export class Kit {
  readonly scanner: Watcher;
  readonly scale: Watcher;
  readonly gps: Watcher;

  constructor(url: string, readonly kit: string, password: string) {
    this.scanner = new Watcher(url, 'scanner-1', password, [`cg/v1/kits/${kit}/verdicts`], 'e2e-scanner-1');
    this.scale = new Watcher(url, 'scale-1', password, ['cg/v1/devices/scale-1/commands/#'], 'e2e-scale-1');
    this.gps = new Watcher(url, 'gps-1', password, ['cg/v1/devices/gps-1/commands/#'], 'e2e-gps-1');
  }

  static devices(kit: string, passwordHash: string): Record<string, unknown>[] {
    return [
      { id: 'scanner-1', kind: 'scanner', kit, transport: { type: 'mqtt' }, credentials: { passwordHash } },
      { id: 'scale-1', kind: 'scale', kit, transport: { type: 'mqtt' }, credentials: { passwordHash } },
      { id: 'gps-1', kind: 'gps', kit, transport: { type: 'mqtt' }, credentials: { passwordHash } },
    ];
  }

  async ready(): Promise<void> {
    await Promise.all([this.scanner.ready(), this.scale.ready(), this.gps.ready()]);
  }

  /**
   * One pickup: the van's position at the address, a scan, a stable weight; waits for an
   * accepted verdict and its `recorded: true`; then the scale is emptied.
   */
  async pickup(waybill: string, grams: number): Promise<PickupResult> {
    await this.ready();
    const mark = this.scanner.mark;
    const dev = (id: string, type: string) => `cg/v1/devices/${id}/events/${type}`;
    await this.gps.publish(dev('gps-1', 'position'), { lat: PICKUP_ADDRESS.lat, lon: PICKUP_ADDRESS.lon, fix: '3d', accuracyM: 4, speedKmh: 0 });
    await this.scanner.publish(dev('scanner-1', 'scan'), { code: waybill, symbology: 'code128' });
    await this.scale.publish(dev('scale-1', 'weight'), { grams, stable: true });
    const v = (await this.scanner.next((m) => (m.payload as Verdict).type === 'verdict' && (m.payload as Verdict).scan?.code === waybill, mark)).payload as Verdict;
    if (v.outcome !== 'accepted') throw new Error(`${waybill}: verdict ${v.outcome} (${(v.reasons ?? []).map((r) => r.code).join(', ')})`);
    const r = (await this.scanner.next((m) => (m.payload as Verdict).type === 'recorded' && (m.payload as Verdict).verdictId === v.verdictId, mark)).payload as Verdict;
    if (r.recorded !== true) throw new Error(`${waybill}: not recorded (${r.reason})`);
    await this.scale.publish(dev('scale-1', 'weight'), { grams: 0, stable: true });
    return { waybill, verdictId: v.verdictId!, recordId: r.recordId!, receipt: r.receipt! };
  }

  async close(): Promise<void> {
    await Promise.all([this.scanner.close(), this.scale.close(), this.gps.close()]);
  }
}

/** Polls until `check` returns something truthy; rejects naming `what` after timeoutMs. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The dead-letter file's lines ([] when the file is absent). */
export async function deadLetters(dataDir: string): Promise<string[]> {
  try {
    return (await readFile(path.join(dataDir, 'journal', 'dead-letter.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
