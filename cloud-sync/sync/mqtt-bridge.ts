/**
 * MQTT bridge to dispatch through a cloud broker (config `dispatch.transport: mqtt`).
 *
 *   publish   dispatch/v1/gateways/{gw}/records    {"batchId","records":[...]}   QoS 1
 *   subscribe dispatch/v1/gateways/{gw}/acks       {"batchId"?,"acked":[ids],"rejected":[{"id","reason"}]}
 *   subscribe dispatch/v1/gateways/{gw}/downlink   {"items":[...]} (or one item)  QoS 1
 *
 * A broker PUBACK only says the broker has the batch: a record leaves the outbox when
 * dispatch acks it on the acks topic. A batch not answered within ackTimeoutMs is sent
 * again (dispatch deduplicates by id). Persistent session (clean: false) with a stable
 * client id; reconnects with full-jitter backoff; a refused CONNACK (bad credentials,
 * not authorised) stops the bridge ('auth-failed') until authRetryMs or reconfigure().
 * Given the nodes of a broker cluster (a list of URLs), each reconnect goes to the next
 * node in turn, so a node lost is left for the next one after the first backoff; the
 * records not yet acked are read again from the outbox and sent there, unchanged.
 * Downlink items go through the shared DownlinkApplier; their PUBACK is sent after applying.
 *
 * Events: 'state', 'alarm', 'retry', 'settled' as HttpSyncer; 'applied' (ItemResult[]);
 * 'subscribed' once the broker has granted the acks (and downlink) subscriptions;
 * 'connected' ({ broker, sessionPresent, failover }) on every CONNACK.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { monotonicFactory } from '../../core/ids.js';
import { z } from 'zod';
import type { Outbox } from '../outbox.js';
import { itemsOf, type DownlinkApplier } from './downlink-items.js';
import { LinkTracker, type LinkAlarm, type LinkStats, type SyncLink } from './link.js';
import { defaultBackoff, fullJitterMs, type BackoffOptions } from '../../core/backoff.js';
import { realTimers, type TimerPort } from '../../core/timers.js';
import { Waiter } from './timing.js';

export interface MqttBridgeTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
}

export interface MqttBridgeOptions {
  /** the cloud broker (mqtt://host:port or mqtts://host:port), or the nodes of a broker cluster */
  url: string | readonly string[];
  gatewayId: string;
  username?: string;
  password?: string;
  tls?: MqttBridgeTls;
  outbox: Outbox;
  /** applies downlink items; without it the bridge does not subscribe to the downlink */
  applier?: DownlinkApplier;
  /** records per batch (default 500) */
  maxCount?: number;
  /** about this many bytes of JSON per batch (default 1 MiB) */
  maxBytes?: number;
  /** a batch not acked by dispatch within this long is sent again (default 30 s) */
  ackTimeoutMs?: number;
  /** reconnect backoff (full jitter) */
  backoff?: BackoffOptions;
  /** after a refused CONNACK, try again after this long (default 15 min) */
  authRetryMs?: number;
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
  idleRecheckMs?: number;
  timers?: TimerPort;
  random?: () => number;
  /** mqtt.connect by default */
  connect?: (url: string, opts: IClientOptions) => MqttClient;
  log?: Logger;
}

export interface MqttBridgeStats extends LinkStats {
  connected: boolean;
  /** the broker URL of the current (or last) connection */
  broker: string | undefined;
  /** connections made to another broker node than the one before */
  failovers: number;
  ackTimeouts: number;
  /** downlink messages that were not JSON */
  downlinkUnreadable: number;
}

const AckBody = z.object({
  batchId: z.string().optional(),
  acked: z.array(z.string()),
  rejected: z.array(z.object({ id: z.string(), reason: z.string() })).default([]),
});

/** MQTT 3.1.1 CONNACK 4/5 and MQTT 5 134/135: the broker refused who we are */
const AUTH_CODES = new Set([4, 5, 134, 135]);

const MAX_OUTSTANDING = 200_000;

function brokerUrls(url: string | readonly string[]): string[] {
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0) throw new Error('the MQTT bridge needs at least one broker URL');
  return urls;
}

/** one node of the cluster for mqtt.js's failover list */
function serverOf(url: string): { host: string; port: number; protocol: 'mqtt' | 'mqtts' } {
  const u = new URL(url);
  const protocol = u.protocol === 'mqtts:' ? 'mqtts' : 'mqtt';
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new Error(`broker URL ${url}: mqtt:// or mqtts:// expected`);
  return { host: u.hostname, port: u.port === '' ? (protocol === 'mqtts' ? 8883 : 1883) : Number(u.port), protocol };
}

type AckWait = 'acked' | 'nothing-settled' | 'timeout' | 'disconnected' | 'stopped';

interface InFlight {
  batchId: string;
  ids: Set<string>;
  done: (how: AckWait) => void;
}

export class MqttBridge extends EventEmitter implements SyncLink {
  readonly topics: { records: string; acks: string; downlink: string };
  private readonly timers: TimerPort;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly link: LinkTracker;
  private readonly waiter: Waiter;
  private readonly newId = monotonicFactory();
  private client: MqttClient | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private connected = false;
  private dirty = false;
  private authBlocked = false;
  private reconnectTimer: unknown;
  private reconnectAttempt = 0;
  private inflight: InFlight | undefined;
  /** ids published and not yet settled: only these may be acked from the acks topic */
  private readonly outstanding = new Set<string>();
  private ackTimeouts = 0;
  private downlinkUnreadable = 0;
  private broker: string | undefined;
  private failovers = 0;
  private readonly onAppended = (): void => {
    this.dirty = true;
    this.waiter.wake();
  };

  constructor(private readonly opts: MqttBridgeOptions) {
    super();
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'sync-mqtt' });
    this.link = new LinkTracker(this, 'mqtt', () => this.timers.now());
    this.waiter = new Waiter(this.timers);
    const base = `dispatch/v1/gateways/${opts.gatewayId}`;
    this.topics = { records: `${base}/records`, acks: `${base}/acks`, downlink: `${base}/downlink` };
  }

  /** the persistent-session client id: the same on every start of this gateway */
  get clientId(): string {
    return `courier-gw-${this.opts.gatewayId}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (this.opts.applier !== undefined) await this.opts.applier.load();
    this.running = true;
    this.opts.outbox.on('appended', this.onAppended);
    this.client = this.createClient();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.opts.outbox.off('appended', this.onAppended);
    this.timers.clearTimeout(this.reconnectTimer);
    this.inflight?.done('stopped');
    this.waiter.cancel();
    await this.closeClient();
    await this.loop;
    this.connected = false;
    this.link.set('idle');
  }

  /**
   * a graceful end first: a forced end closes mqtt.js's stores while acks already read may
   * still be handled, which throws past any handler; forced only when the broker does not answer
   */
  private async closeClient(): Promise<void> {
    const c = this.client;
    if (c === undefined) return;
    if (!c.connected) {
      await c.endAsync(true);
      return;
    }
    let timer: unknown;
    const graceful = c.endAsync(false).then(() => true);
    const late = new Promise<boolean>((resolve) => {
      timer = this.timers.setTimeout(() => resolve(false), 2_000);
    });
    const ended = await Promise.race([graceful, late]);
    this.timers.clearTimeout(timer);
    if (!ended) await c.endAsync(true);
  }

  /** new credentials: an auth failure is forgotten and the bridge reconnects at once */
  reconfigure(change: { username?: string; password?: string }): void {
    if (change.username !== undefined) this.opts.username = change.username;
    if (change.password !== undefined) this.opts.password = change.password;
    const c = this.client;
    if (c === undefined || !this.running) return;
    c.options.username = this.opts.username;
    c.options.password = this.opts.password === undefined ? undefined : Buffer.from(this.opts.password);
    this.authBlocked = false;
    this.timers.clearTimeout(this.reconnectTimer);
    if (!this.connected) c.reconnect();
  }

  stats(): MqttBridgeStats {
    return { ...this.link.snapshot(), connected: this.connected, broker: this.broker, failovers: this.failovers, ackTimeouts: this.ackTimeouts, downlinkUnreadable: this.downlinkUnreadable };
  }

  private createClient(): MqttClient {
    const o = this.opts;
    const urls = brokerUrls(o.url);
    const client = (o.connect ?? mqtt.connect)(urls[0], {
      // a cluster: mqtt.js moves to the next node on each (re)connect
      ...(urls.length > 1 ? { servers: urls.map(serverOf) } : {}),
      clientId: this.clientId,
      clean: false,
      username: o.username,
      password: o.password,
      keepalive: o.keepaliveSeconds ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      // reconnects are ours, with backoff and jitter
      reconnectPeriod: 0,
      ...(o.tls ?? {}),
    });
    client.handleMessage = (packet, done) => {
      this.onMessage(packet).then(
        () => done(),
        (err: unknown) => {
          this.log.error({ err }, 'message handling failed');
          done();
        },
      );
    };
    client.on('connect', (connack) => this.onConnect(client, connack.sessionPresent));
    client.on('close', () => this.onClose());
    client.on('error', (err) => this.onError(err));
    return client;
  }

  private onConnect(client: MqttClient, sessionPresent: boolean): void {
    this.connected = true;
    this.reconnectAttempt = 0;
    const { protocol, hostname, port } = client.options;
    const broker = `${protocol ?? 'mqtt'}://${hostname ?? ''}:${port ?? ''}`;
    const failover = this.broker !== undefined && this.broker !== broker;
    if (failover) this.failovers++;
    this.broker = broker;
    this.emit('connected', { broker, sessionPresent, failover });
    const subs: Record<string, { qos: 1 }> = { [this.topics.acks]: { qos: 1 } };
    if (this.opts.applier !== undefined) subs[this.topics.downlink] = { qos: 1 };
    client.subscribe(subs, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (!err && refused.length === 0) {
        this.emit('subscribed');
        return;
      }
      // without the acks subscription nothing could leave the outbox: connect again (with backoff)
      this.log.error({ err: err?.message, refused }, 'subscribe failed: reconnecting');
      if (this.client === client && this.connected) client.stream.destroy();
    });
    this.link.set('up');
    this.log.info({ broker, sessionPresent, failover }, 'connected to the dispatch broker');
    this.waiter.wake(true);
  }

  private onClose(): void {
    const was = this.connected;
    this.connected = false;
    this.inflight?.done('disconnected');
    if (!this.running || this.authBlocked) return;
    this.reconnectAttempt++;
    const attempt = this.link.failed(was ? 'connection lost' : 'connect failed');
    const delayMs = fullJitterMs(this.reconnectAttempt, this.opts.backoff ?? defaultBackoff, this.random);
    this.emit('retry', { attempt, delayMs, reason: was ? 'connection lost' : 'connect failed' });
    this.scheduleReconnect(delayMs);
  }

  private onError(err: Error & { code?: unknown }): void {
    if (typeof err.code === 'number' && AUTH_CODES.has(err.code)) {
      this.authBlocked = true;
      this.link.failed(`connack ${err.code}`, 'auth-failed');
      this.alarm({ kind: 'auth', message: `the dispatch broker refused the gateway (${err.message}); sending stopped` });
      this.scheduleReconnect(this.opts.authRetryMs ?? 15 * 60_000, true);
      return;
    }
    this.log.warn({ err: err.message }, 'mqtt error');
  }

  private scheduleReconnect(ms: number, clearsAuth = false): void {
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.timers.setTimeout(() => {
      if (!this.running) return;
      if (clearsAuth) this.authBlocked = false;
      this.client?.reconnect();
    }, ms);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        this.log.error({ err }, 'outbox read or ack failed');
        await this.waiter.wait(this.opts.backoff?.maxMs ?? defaultBackoff.maxMs, false);
      }
    }
  }

  private async step(): Promise<void> {
    if (!this.connected) {
      await this.waiter.wait(this.opts.idleRecheckMs ?? 30_000, false);
      return;
    }
    this.dirty = false;
    const batch = await this.opts.outbox.next(this.opts.maxCount ?? 500, this.opts.maxBytes ?? 1024 * 1024);
    if (!this.running) return;
    if (batch.length === 0) {
      if (!this.dirty) await this.waiter.wait(this.opts.idleRecheckMs ?? 30_000, true);
      return;
    }
    const batchId = this.newId();
    const ids = new Set(batch.map((r) => r.id));
    for (const id of ids) this.outstanding.add(id);
    // ids that left the outbox another way (coalesced) would stay here: keep it bounded
    while (this.outstanding.size > MAX_OUTSTANDING) this.outstanding.delete(this.outstanding.values().next().value as string);
    const answered = new Promise<AckWait>((resolve) => {
      this.inflight = { batchId, ids, done: resolve };
    });
    const timer = this.timers.setTimeout(() => this.inflight?.done('timeout'), this.opts.ackTimeoutMs ?? 30_000);
    this.link.sent(batch.length);
    this.client?.publish(this.topics.records, JSON.stringify({ batchId, records: batch }), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message, batchId }, 'publish failed');
    });
    const how = await answered;
    this.timers.clearTimeout(timer);
    this.inflight = undefined;
    if (how === 'timeout') {
      this.ackTimeouts++;
      const attempt = this.link.failed('no ack from dispatch');
      this.emit('retry', { attempt, delayMs: 0, reason: 'no ack from dispatch' });
    } else if (how === 'nothing-settled') {
      const attempt = this.link.failed('dispatch answered none of the batch');
      const delayMs = fullJitterMs(attempt, this.opts.backoff ?? defaultBackoff, this.random);
      this.emit('retry', { attempt, delayMs, reason: 'dispatch answered none of the batch' });
      await this.waiter.wait(delayMs, false);
    }
  }

  private async onMessage(packet: IPublishPacket): Promise<void> {
    const text = typeof packet.payload === 'string' ? packet.payload : Buffer.from(packet.payload).toString('utf8');
    if (packet.topic === this.topics.acks) return this.onAck(text);
    if (packet.topic === this.topics.downlink && this.opts.applier !== undefined) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        this.downlinkUnreadable++;
        this.log.warn({ bytes: text.length }, 'downlink message is not JSON');
        return;
      }
      const results = await this.opts.applier.apply(itemsOf(body));
      this.emit('applied', results);
    }
  }

  private async onAck(text: string): Promise<void> {
    let parsed: z.infer<typeof AckBody>;
    try {
      parsed = AckBody.parse(JSON.parse(text));
    } catch {
      this.log.warn('ack message is not {acked, rejected}');
      return;
    }
    const acked = parsed.acked.filter((id) => this.outstanding.has(id));
    const rejected = parsed.rejected.filter((r) => this.outstanding.has(r.id));
    if (acked.length > 0) await this.opts.outbox.ack(acked);
    if (rejected.length > 0) {
      await this.opts.outbox.reject(rejected);
      this.log.warn({ count: rejected.length, first: rejected[0] }, 'dispatch rejected records');
    }
    for (const id of acked) this.outstanding.delete(id);
    for (const r of rejected) this.outstanding.delete(r.id);
    const f = this.inflight;
    const settled = acked.length + rejected.length;
    if (settled > 0) {
      this.link.answered(acked.length, rejected.length);
      this.emit('settled', { acked: acked.length, rejected: rejected.length });
    }
    if (f === undefined) return;
    // an id may already have been settled by a late ack of an earlier send of it
    const answersMine = [...parsed.acked, ...parsed.rejected.map((r) => r.id)].some((id) => f.ids.has(id));
    if (parsed.batchId !== undefined ? parsed.batchId === f.batchId : answersMine) {
      f.done(answersMine ? 'acked' : 'nothing-settled');
    }
  }

  private alarm(a: LinkAlarm): void {
    this.log.error({ alarm: a.kind }, a.message);
    this.emit('alarm', a);
  }
}
