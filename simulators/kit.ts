/**
 * A simulated courier kit as MQTT-native devices: the in-van app (scans, exceptions,
 * confirmations), and — when no serial simulator hosts them — the scale and the GPS unit.
 * It listens to its kit's verdicts like the real app does; a PickupKit makes pickups
 * one after another through gateway restarts.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../core/topics.js';

/** A message on the kit's verdicts topic: a scan waiting for its weight, a verdict, its `recorded` follow-up, or an exception's or a close's answer. */
export interface Verdict {
  type: 'verdict' | 'recorded' | 'exception' | 'closed' | 'pending';
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

  /** Checks the waiters again (after something `wait`'s `giveUp` looks at has changed). */
  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * The first message since `from` matching `pred`, or undefined after `timeoutMs` or,
   * checked on every message and `wake()`, as soon as `giveUp()` says so.
   */
  wait(pred: (m: T) => boolean, from: number, timeoutMs: number, giveUp?: () => boolean): Promise<T | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const m = this.messages.slice(from).find(pred);
        if (m === undefined && !giveUp?.()) return;
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

export interface MqttDeviceOptions {
  /** the MQTT client id is this prefix and the device id */
  clientIdPrefix?: string;
  /** ms between reconnect attempts */
  reconnectPeriod?: number;
}

export class MqttDevice {
  client: MqttClient;

  constructor(readonly url: string, readonly id: string, password: string, options: MqttDeviceOptions = {}) {
    this.client = mqtt.connect(url, {
      username: id,
      password,
      clientId: `${options.clientIdPrefix ?? 'sim-'}${id}`,
      reconnectPeriod: options.reconnectPeriod ?? 250,
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

  /** A QoS 1 event that gives up after `timeoutMs` (the gateway may be down), without waiting for a connection. */
  async publishWithin(type: string, payload: Record<string, unknown>, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${this.id}: publish timed out`)), timeoutMs)));
    try {
      await Promise.race([this.client.publishAsync(topics.deviceEvent(this.id, type), JSON.stringify(payload), { qos: 1 }), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/**
 * The in-van app: publishes scans and exceptions, follows the kit's verdicts; with
 * `answerTasks`, the courier accepts each task the kit's list shows as assigned.
 */
export class KitApp extends MqttDevice {
  readonly verdicts = new Inbox<Verdict>();
  /** tasks this app accepted */
  readonly accepted = new Set<string>();

  constructor(url: string, id: string, password: string, readonly kit: string, options?: MqttDeviceOptions & { answerTasks?: boolean }) {
    super(url, id, password, options);
    const filters = options?.answerTasks ? [topics.kitVerdicts(kit), topics.kitTasks(kit)] : [topics.kitVerdicts(kit)];
    this.client.on('connect', () => void this.client.subscribeAsync(filters, { qos: 1 }).catch(() => undefined));
    this.client.on('message', (topic, buf) => {
      let message: unknown;
      try {
        message = JSON.parse(buf.toString());
      } catch {
        return; // not JSON: neither a verdict nor a task list
      }
      if (topic === topics.kitTasks(kit)) this.answer(message as { tasks?: { id: string; state?: string }[] });
      else this.verdicts.push(message as Verdict);
    });
  }

  private answer(list: { tasks?: { id: string; state?: string }[] }): void {
    for (const t of list.tasks ?? []) {
      if (t.state !== 'assigned' || this.accepted.has(t.id)) continue;
      this.accepted.add(t.id);
      void this.publish('task', { taskId: t.id, response: 'accept' }).catch(() => this.accepted.delete(t.id));
    }
  }

  waitVerdict(pred: (v: Verdict) => boolean, from: number, timeoutMs: number, giveUp?: () => boolean): Promise<Verdict | undefined> {
    return this.verdicts.wait(pred, from, timeoutMs, giveUp);
  }

  get mark(): number {
    return this.verdicts.mark;
  }
}

export interface PickupKitOptions {
  url: string;
  kit: string;
  password: string;
  /** the waybills of the kit's tasks, taken in order */
  waybills: string[];
  position: { lat: number; lon: number };
  /** how long to wait for a verdict or its `recorded` answer before scanning again */
  answerTimeoutMs?: number;
  /** grams of the n-th parcel (800 + n mod 400 by default) */
  gramsOf?: (n: number) => number;
}

export interface PickupFigures {
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A courier kit (`scanner-N`, `scale-N`, `gps-N` for kit `…N`) making pickups one after
 * another, through gateway crashes: the clients reconnect on their own, a pickup whose
 * answer was lost is scanned again, a needs-review verdict is confirmed. Every
 * `recorded` message the kit hears is kept in `figures`.
 */
export class PickupKit {
  readonly scanner: KitApp;
  readonly scale: MqttDevice;
  readonly gps: MqttDevice;
  readonly figures: PickupFigures = { recorded: new Map(), recordedFalse: 0, retries: 0, duplicateAfterRetry: 0, otherRejections: [], reviews: 0, abandoned: 0 };
  private readonly codeOfVerdict = new Map<string, string>();
  private running = false;
  /** times the scanner's connection closed: an answer awaited across a close is lost (clean sessions) */
  private closes = 0;
  private loop: Promise<void> | undefined;
  private next = 0;

  constructor(private readonly o: PickupKitOptions) {
    const n = o.kit.replace(/^\D+/, '');
    const options: MqttDeviceOptions = { clientIdPrefix: 'kit-', reconnectPeriod: 100 };
    this.scanner = new KitApp(o.url, `scanner-${n}`, o.password, o.kit, options);
    this.scale = new MqttDevice(o.url, `scale-${n}`, o.password, options);
    this.gps = new MqttDevice(o.url, `gps-${n}`, o.password, options);
    // after the app's own listener has put the message in its inbox
    let seen = 0;
    this.scanner.client.on('message', () => {
      for (; seen < this.scanner.mark; seen++) this.tally(this.scanner.verdicts.messages[seen]);
    });
    this.scanner.client.on('close', () => {
      this.closes += 1;
      this.scanner.verdicts.wake();
    });
    // the gateway keeps positions in memory: tell it where the van is after every (re)connect
    this.gps.client.on('connect', () => void this.publishPosition().catch(() => undefined));
  }

  private tally(m: Verdict): void {
    if (m.type === 'verdict' && m.verdictId && m.scan) this.codeOfVerdict.set(m.verdictId, m.scan.code);
    if (m.type !== 'recorded') return;
    if (m.recorded === true && typeof m.recordId === 'string') this.figures.recorded.set(m.recordId, this.codeOfVerdict.get(m.verdictId ?? '') ?? '?');
    else if (m.recorded === false) this.figures.recordedFalse += 1;
  }

  /** waybills done (recorded, found a duplicate, or given up) */
  get done(): number {
    return this.next;
  }

  private get allConnected(): boolean {
    return this.scanner.client.connected && this.scale.client.connected && this.gps.client.connected;
  }

  async connected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.allConnected) {
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
    this.scanner.verdicts.wake();
    await this.loop;
  }

  async close(): Promise<void> {
    await Promise.all([this.scanner.close(), this.scale.close(), this.gps.close()]);
  }

  private publishPosition(): Promise<void> {
    return this.gps.publishWithin('position', { ...this.o.position, fix: '3d', speedKmh: 0, accuracyM: 5, at: new Date().toISOString() }, 1500);
  }

  private wait(pred: (m: Verdict) => boolean, from: number, timeoutMs: number): Promise<Verdict | undefined> {
    const closes = this.closes;
    return this.scanner.waitVerdict(pred, from, timeoutMs, () => !this.running || this.closes !== closes);
  }

  private async run(): Promise<void> {
    const timeout = this.o.answerTimeoutMs ?? 2000;
    const gramsOf = this.o.gramsOf ?? ((n: number) => 800 + (n % 400));
    while (this.running && this.next < this.o.waybills.length) {
      const code = this.o.waybills[this.next];
      let settled = false;
      for (let attempt = 1; attempt <= 12 && this.running && !settled; attempt++) {
        // a gateway being restarted costs no attempt: wait for the devices to be back
        while (this.running && !this.allConnected) await sleep(20);
        if (!this.running) break;
        if (attempt > 1) this.figures.retries += 1;
        const mark = this.scanner.mark;
        try {
          await this.scale.publishWithin('weight', { grams: 0, stable: true }, 1500);
          if (attempt > 1) await this.publishPosition();
          await this.scanner.publishWithin('scan', { code, symbology: 'code128' }, 1500);
          await this.scale.publishWithin('weight', { grams: gramsOf(this.next), stable: true }, 1500);
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
            await this.scanner.publishWithin('confirm', { verdictId: verdict.verdictId }, 1500);
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
