/**
 * A simulated courier kit as MQTT-native devices: the in-van app (scans, exceptions,
 * confirmations), and — when no serial simulator hosts them — the scale and the GPS unit.
 * It listens to its kit's verdicts like the real app does.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../core/topics.js';

/** A message on the kit's verdicts topic: a verdict, its `recorded` follow-up, or an exception's answer. */
export interface Verdict {
  type: 'verdict' | 'recorded' | 'exception';
  verdictId?: string;
  outcome?: 'accepted' | 'needs-review' | 'rejected';
  scan?: { code: string };
  waybill?: { value: string; valid: boolean };
  taskId?: string | null;
  reasons?: { code: string; severity?: string; message?: string }[];
  recorded?: boolean;
  reason?: string;
  receipt?: string;
  [key: string]: unknown;
}

/** Messages as they arrive, and waiting for the first after a mark that matches. */
export class Inbox<T> {
  readonly messages: T[] = [];
  private readonly waiters = new Set<() => void>();

  push(m: T): void {
    this.messages.push(m);
    for (const w of [...this.waiters]) w();
  }

  /** How many have arrived: a mark to wait from. */
  get mark(): number {
    return this.messages.length;
  }

  /** The first message since `from` matching `pred`, or undefined after `timeoutMs`. */
  wait(pred: (m: T) => boolean, from: number, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const m = this.messages.slice(from).find(pred);
        if (m === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

export class MqttDevice {
  client: MqttClient;

  constructor(readonly url: string, readonly id: string, password: string) {
    this.client = mqtt.connect(url, {
      username: id,
      password,
      clientId: `sim-${id}`,
      reconnectPeriod: 250,
      connectTimeout: 5000,
      will: { topic: topics.deviceStatus(id), payload: Buffer.from(JSON.stringify({ state: 'offline', reason: 'lost' })), qos: 1, retain: true },
    });
    this.client.on('error', () => undefined);
  }

  connected(timeoutMs = 15_000): Promise<void> {
    if (this.client.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.id} did not connect to ${this.url}`)), timeoutMs);
      this.client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async publish(type: string, payload: Record<string, unknown>): Promise<void> {
    await this.connected();
    await this.client.publishAsync(topics.deviceEvent(this.id, type), JSON.stringify(payload), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/** The in-van app: publishes scans and exceptions, follows the kit's verdicts. */
export class KitApp extends MqttDevice {
  readonly verdicts = new Inbox<Verdict>();

  constructor(url: string, id: string, password: string, readonly kit: string) {
    super(url, id, password);
    this.client.on('connect', () => void this.client.subscribeAsync(topics.kitVerdicts(kit), { qos: 1 }).catch(() => undefined));
    this.client.on('message', (_topic, buf) => {
      try {
        this.verdicts.push(JSON.parse(buf.toString()) as Verdict);
      } catch {
        // not JSON: not a verdict
      }
    });
  }

  waitVerdict(pred: (v: Verdict) => boolean, from: number, timeoutMs: number): Promise<Verdict | undefined> {
    return this.verdicts.wait(pred, from, timeoutMs);
  }

  get mark(): number {
    return this.verdicts.mark;
  }
}
