/**
 * A simulated courier kit as MQTT-native devices: the in-van app (scans, exceptions,
 * confirmations), and — when no serial simulator hosts them — the scale and the GPS unit.
 * It listens to its kit's verdicts like the real app does.
 */
import mqtt, { type MqttClient } from 'mqtt';

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

export class MqttDevice {
  client: MqttClient;

  constructor(readonly url: string, readonly id: string, password: string) {
    this.client = mqtt.connect(url, {
      username: id,
      password,
      clientId: `sim-${id}`,
      reconnectPeriod: 250,
      connectTimeout: 5000,
      will: { topic: `cg/v1/devices/${id}/status`, payload: Buffer.from(JSON.stringify({ state: 'offline', reason: 'lost' })), qos: 1, retain: true },
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
    await this.client.publishAsync(`cg/v1/devices/${this.id}/events/${type}`, JSON.stringify(payload), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/** The in-van app: publishes scans and exceptions, follows the kit's verdicts. */
export class KitApp extends MqttDevice {
  private readonly verdicts: Verdict[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(url: string, id: string, password: string, readonly kit: string) {
    super(url, id, password);
    this.client.on('connect', () => void this.client.subscribeAsync(`cg/v1/kits/${kit}/verdicts`, { qos: 1 }).catch(() => undefined));
    this.client.on('message', (_topic, buf) => {
      try {
        this.verdicts.push(JSON.parse(buf.toString()) as Verdict);
      } catch {
        return;
      }
      for (const w of [...this.waiters]) w();
    });
  }

  /** Waits for a verdict message matching `pred` that arrived after index `from`. */
  waitVerdict(pred: (v: Verdict) => boolean, from: number, timeoutMs: number): Promise<Verdict | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const v = this.verdicts.slice(from).find(pred);
        if (v) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  get mark(): number {
    return this.verdicts.length;
  }
}
