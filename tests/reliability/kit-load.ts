/**
 * One courier kit as MQTT-native devices (scanner, scale, GPS) making pickups one after
 * another, through gateway crashes: the clients reconnect on their own, a pickup whose
 * answer was lost is scanned again. Every `recorded` message the kit hears is kept.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { sleep } from './harness.js';

export interface VerdictMsg {
  type: 'verdict' | 'recorded' | 'exception';
  verdictId?: string;
  outcome?: 'accepted' | 'needs-review' | 'rejected';
  scan?: { code: string };
  waybill?: { value: string };
  reasons?: { code: string }[];
  recorded?: boolean;
  recordId?: string;
  reason?: string;
}

export interface KitLoadOptions {
  url: string;
  kit: string;
  password: string;
  /** the waybills of the kit's tasks, taken in order */
  waybills: string[];
  position: { lat: number; lon: number };
  /** how long to wait for a verdict or its `recorded` answer before scanning again */
  answerTimeoutMs?: number;
}

export interface KitFigures {
  /** recorded: true heard: recordId -> the scanned code of its verdict */
  recorded: Map<string, string>;
  recordedFalse: number;
  /** scans sent again after a lost answer */
  retries: number;
  /** re-scans answered DUPLICATE_PICKUP: the lost answer was a recorded pickup */
  duplicateAfterRetry: number;
  otherRejections: string[];
  reviews: number;
  /** waybills given up after too many attempts */
  abandoned: number;
}

function client(url: string, id: string, password: string): MqttClient {
  const c = mqtt.connect(url, { username: id, password, clientId: `rel-${id}`, reconnectPeriod: 100, connectTimeout: 3000, clean: true });
  c.on('error', () => undefined);
  return c;
}

export class KitLoad {
  readonly scanner: MqttClient;
  readonly scale: MqttClient;
  readonly gps: MqttClient;
  readonly figures: KitFigures = { recorded: new Map(), recordedFalse: 0, retries: 0, duplicateAfterRetry: 0, otherRejections: [], reviews: 0, abandoned: 0 };
  private readonly messages: VerdictMsg[] = [];
  private readonly codeOfVerdict = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private running = false;
  /** times the scanner's connection closed: an answer awaited across a close is lost (clean sessions) */
  private closes = 0;
  private loop: Promise<void> | undefined;
  private next = 0;

  constructor(private readonly o: KitLoadOptions) {
    const n = o.kit.replace(/^\D+/, '');
    this.scanner = client(o.url, `scanner-${n}`, o.password);
    this.scale = client(o.url, `scale-${n}`, o.password);
    this.gps = client(o.url, `gps-${n}`, o.password);
    this.scanner.on('connect', () => void this.scanner.subscribeAsync(`cg/v1/kits/${o.kit}/verdicts`, { qos: 1 }).catch(() => undefined));
    this.scanner.on('message', (_t, buf) => {
      let m: VerdictMsg;
      try {
        m = JSON.parse(buf.toString()) as VerdictMsg;
      } catch {
        return;
      }
      this.messages.push(m);
      if (m.type === 'verdict' && m.verdictId && m.scan) this.codeOfVerdict.set(m.verdictId, m.scan.code);
      if (m.type === 'recorded') {
        if (m.recorded === true && m.recordId) this.figures.recorded.set(m.recordId, this.codeOfVerdict.get(m.verdictId ?? '') ?? '?');
        else if (m.recorded === false) this.figures.recordedFalse += 1;
      }
      for (const w of [...this.waiters]) w();
    });
    this.scanner.on('close', () => {
      this.closes += 1;
      for (const w of [...this.waiters]) w();
    });
    // the gateway keeps positions in memory: tell it where the van is after every (re)connect
    this.gps.on('connect', () => void this.publishPosition().catch(() => undefined));
  }

  get done(): number {
    return this.next;
  }

  async connected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.scanner.connected && this.scale.connected && this.gps.connected)) {
      if (Date.now() > deadline) throw new Error(`kit ${this.o.kit} did not connect`);
      await sleep(20);
    }
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const w of [...this.waiters]) w();
    await this.loop;
  }

  async close(): Promise<void> {
    await Promise.all([this.scanner, this.scale, this.gps].map((c) => c.endAsync(true).catch(() => undefined)));
  }

  private publishPosition(): Promise<void> {
    const p = { ...this.o.position, fix: '3d', speedKmh: 0, accuracyM: 5, at: new Date().toISOString() };
    return this.publish(this.gps, `cg/v1/devices/${this.gpsId}/events/position`, p);
  }

  private get gpsId(): string {
    return this.gps.options.username as string;
  }

  /** QoS 1 publish that gives up after a while (the gateway may be down) */
  private async publish(c: MqttClient, topic: string, payload: object): Promise<void> {
    await Promise.race([c.publishAsync(topic, JSON.stringify(payload), { qos: 1 }), sleep(1500).then(() => Promise.reject(new Error('publish timed out')))]);
  }

  private wait(pred: (m: VerdictMsg) => boolean, from: number, timeoutMs: number): Promise<VerdictMsg | undefined> {
    const closes = this.closes;
    return new Promise((resolve) => {
      const check = () => {
        const found = this.messages.slice(from).find(pred);
        if (found || !this.running || this.closes !== closes) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
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

  private async run(): Promise<void> {
    const timeout = this.o.answerTimeoutMs ?? 2000;
    const scannerId = this.scanner.options.username as string;
    const scaleId = this.scale.options.username as string;
    while (this.running && this.next < this.o.waybills.length) {
      const code = this.o.waybills[this.next];
      let settled = false;
      for (let attempt = 1; attempt <= 12 && this.running && !settled; attempt++) {
        // a gateway being restarted costs no attempt: wait for the devices to be back
        while (this.running && !(this.scanner.connected && this.scale.connected && this.gps.connected)) await sleep(20);
        if (!this.running) break;
        if (attempt > 1) this.figures.retries += 1;
        const mark = this.messages.length;
        try {
          await this.publish(this.scale, `cg/v1/devices/${scaleId}/events/weight`, { grams: 0, stable: true });
          if (attempt > 1) await this.publishPosition();
          await this.publish(this.scanner, `cg/v1/devices/${scannerId}/events/scan`, { code, symbology: 'code128' });
          await this.publish(this.scale, `cg/v1/devices/${scaleId}/events/weight`, { grams: 800 + (this.next % 400), stable: true });
        } catch {
          continue;
        }
        const verdict = await this.wait((m) => m.type === 'verdict' && m.scan?.code === code, mark, timeout);
        if (!verdict) continue;
        const codes = (verdict.reasons ?? []).map((r) => r.code);
        if (verdict.outcome === 'rejected') {
          if (codes.includes('DUPLICATE_PICKUP')) {
            if (attempt > 1) this.figures.duplicateAfterRetry += 1;
            else this.figures.otherRejections.push(`${code}: DUPLICATE_PICKUP on a first scan`);
            settled = true;
          } else if (attempt >= 3) {
            this.figures.otherRejections.push(`${code}: ${codes.join(',')}`);
            settled = true;
          }
          continue;
        }
        if (verdict.outcome === 'needs-review') {
          this.figures.reviews += 1;
          try {
            await this.publish(this.scanner, `cg/v1/devices/${scannerId}/events/confirm`, { verdictId: verdict.verdictId });
          } catch {
            continue;
          }
        }
        const recorded = await this.wait((m) => m.type === 'recorded' && m.verdictId === verdict.verdictId, mark, timeout);
        if (recorded?.recorded === true) settled = true;
      }
      if (!settled && this.running) this.figures.abandoned += 1;
      if (settled || this.running) this.next += 1;
    }
  }
}
