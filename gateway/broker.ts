/**
 * The embedded MQTT broker (aedes) on TCP, WebSocket and TLS, with device and operator
 * authentication, the ACL of gateway/acl.ts and the bus edge: every device payload is
 * checked against its schema before anything passes it on. A refused payload is answered
 * on the device's errors topic, counted, and moved to a topic nobody can subscribe to;
 * an accepted event goes to the pipeline (the in-process bus) as it passes the edge.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { BufferList } from 'bl';
import type { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { checkEventPayload, isEventType, type DeviceEvent } from '../devices/events.js';
import type { Config } from './config.js';
import type { EventBus } from './event-bus.js';
import { topicKind, type Metrics } from './metrics.js';
import { mayPublish, mayRead, maySubscribe, principalKey, type Principal } from './acl.js';
import { parseDeviceTopic, topics } from '../core/topics.js';
import { FailuresByAddress, PasswordChecks } from '../core/passwords.js';
import { closeServer, listen } from './listen.js';
import { LogThrottle } from './throttle.js';
import { DeliveryQueue } from './delivery-queue.js';
import { guardParser, PACKET_HEADROOM_BYTES } from './packet-guard.js';
import { OverloadMonitor, TokenBucket } from './overload.js';

export interface Account {
  principal: Principal;
  passwordHash: string;
}

export type RefusalReason = 'not_json' | 'invalid_payload' | 'unknown_event' | 'too_large' | 'not_allowed' | 'rate_limited' | 'overloaded';

const BUSY_FEEDBACK = { beep: 'error', light: 'amber', text: 'Busy: wait a moment and scan again.' } as const;

export interface BrokerOptions {
  config: Config;
  metrics: Metrics;
  log: Logger;
  bus: EventBus;
  accounts: Map<string, Account>;
  now?: () => number;
}

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1;
}

const REFUSED_PREFIX = '$CG/refused/';
/** client ids whose session owner is remembered; past it the oldest is forgotten (its session then starts afresh) */
const MAX_SESSION_OWNERS = 10_000;

/** The part of aedes' persistence that holds a client id's session. */
interface SessionStore {
  cleanSubscriptions(client: { id: string }): Promise<void>;
  cleanIncoming?(client: { id: string }): Promise<void>;
  outgoingStream(client: { id: string }): AsyncIterable<{ messageId?: number }>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>;
}

export class Broker {
  private aedes: Aedes | undefined;
  private readonly servers: net.Server[] = [];
  private wss: WebSocketServer | undefined;
  private readonly principals = new WeakMap<Client, Principal>();
  /** the principal of each connected client id: who published what the gateway's own subscriptions receive */
  private readonly connected = new Map<string, { client: Client; principal: Principal }>();
  /** a device's live connections (a device may hold several): offline only when the last one goes */
  private readonly deviceClients = new Map<string, Set<Client>>();
  /** per principal (not per connection: more connections get a device no more): its rate limit; bounded by the configured accounts */
  private readonly buckets = new Map<string, TokenBucket>();
  /** per client: its pace measured against the fair rate that holds while overloaded */
  private readonly fair = new WeakMap<Client, TokenBucket>();
  /** per kit: its scanners, told to wait when the gateway refuses the kit's work */
  private readonly kitScanners = new Map<string, string[]>();
  /** per client id: the principal whose persistent session it holds (aedes keeps sessions in memory, so does this) */
  private readonly sessionOwners = new Map<string, string>();
  /** digests of passwords already verified with scrypt, so reconnect storms stay cheap */
  private readonly verified = new Map<string, string>();
  private readonly passwordChecks: PasswordChecks;
  private readonly failures: FailuresByAddress;
  private readonly throttle = new LogThrottle();
  /** answers repeated for every message (over rate, overloaded) go out at most once a second per device */
  private readonly answers = new LogThrottle(1000);
  private readonly now: () => number;
  /** every message the broker routes passes this queue: bounded concurrency, a flat stack */
  readonly deliveries = new DeliveryQueue(100);
  readonly overload: OverloadMonitor;
  readonly ports: { mqtt?: number; ws?: number; tls?: number } = {};

  constructor(private readonly options: BrokerOptions) {
    this.now = options.now ?? Date.now;
    const auth = options.config.mqtt.auth;
    this.passwordChecks = new PasswordChecks(auth.maxConcurrentChecks, auth.maxQueuedChecks);
    this.failures = new FailuresByAddress(auth.failuresPerAddress, auth.failureWindowMs, this.now);
    const o = options.config.mqtt.overload;
    this.overload = new OverloadMonitor({ maxLagMs: o.maxLagMs, fairPerSecond: o.fairPerSecond, fairBurst: o.fairBurst }, (state) => {
      options.metrics.overloaded.set(state.active ? 1 : 0);
      if (state.active) options.log.warn({ reason: state.reason }, 'gateway overloaded: refusing devices over their fair rate');
      else options.log.info('gateway no longer overloaded');
      options.bus.emit('alarm', { kind: 'overload', source: 'broker', message: state.active ? `overloaded: ${state.reason}` : 'serving every device again', active: state.active, at: this.now() });
    });
    this.overload.add({ name: 'deliveries', size: () => this.deliveries.length, bound: o.maxQueued });
    options.metrics.watchLoopDelay(() => this.overload.loopDelay());
    for (const { principal } of options.accounts.values()) {
      if (principal.role !== 'device' || principal.kind !== 'scanner') continue;
      const list = this.kitScanners.get(principal.kit) ?? [];
      list.push(principal.id);
      this.kitScanners.set(principal.kit, list);
    }
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  get running(): boolean {
    return this.aedes !== undefined && !this.aedes.closed;
  }

  async start(): Promise<void> {
    const { config, log } = this.options;
    // aedes writes with mqtt-packet, which by default builds a table of 65,536 two-byte
    // Buffers on its first write (7 MB of heap) to save one small allocation per length
    mqttPacket.writeToStream.cacheNumbers = false;
    const aedes = await Aedes.createBroker({
      id: `cg-${config.gateway.id}`,
      mq: this.deliveries as never,
      maxClientsIdLength: 128,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          (ok) => {
            if (ok) return done(null, true);
            const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
            done(err as never, false);
          },
          (err: Error) => done(Object.assign(err, { returnCode: 3 }) as never, false),
        );
      },
      authorizePublish: (client, packet, done) => {
        // over its rate, a client's message waits for its token; aedes reads nothing more
        // from that client meanwhile, so TCP slows the client down, not the other kits
        const wait = client ? this.rateDelay(client) : 0;
        if (wait === 0) return done(this.authorizePublish(client, packet));
        if (wait > 0) return void setTimeout(() => done(this.authorizePublish(client, packet)), wait);
        done(this.refuseOverRate(client!, packet));
      },
      // read permission is checked again at every delivery (queued and retained messages included)
      authorizeForward: (client, packet) => {
        const who = this.principals.get(client);
        if (who && mayRead(who, packet.topic).allowed) return packet;
        this.options.metrics.aclRefused.inc({ action: 'deliver', role: who?.role ?? 'none' });
        return null;
      },
      authorizeSubscribe: (client, sub, done) => {
        const who = client ? this.principals.get(client) : undefined;
        const decision = who ? maySubscribe(who, sub.topic) : { allowed: false as const, reason: 'not authenticated' };
        if (decision.allowed) return done(null, sub);
        this.options.metrics.aclRefused.inc({ action: 'subscribe', role: who?.role ?? 'none' });
        this.logRefusal('subscribe', who, sub.topic, decision.reason);
        done(null, null as never);
      },
    });
    this.aedes = aedes;
    aedes.on('clientReady', (client) => this.onClient(client, true));
    aedes.on('clientDisconnect', (client) => this.onClient(client, false));
    aedes.on('clientError', (client, err) => log.debug({ client: client?.id, err: err.message }, 'mqtt client error'));
    aedes.on('connectionError', (client, err) => log.debug({ client: client?.id, err: err.message }, 'mqtt connection error'));

    // a packet over the payload limit (and the room for its topic) closes the connection on its header
    const maxPacketBytes = config.mqtt.maxPayloadBytes + PACKET_HEADROOM_BYTES;
    const handle = (conn: Parameters<Aedes['handle']>[0], req?: Parameters<Aedes['handle']>[1]): Client => {
      const client = aedes.handle(conn, req);
      plainBufferList(client);
      guardParser((client as unknown as { _parser: Parameters<typeof guardParser>[0] })._parser, maxPacketBytes);
      return client;
    };
    // verdicts are small and latency matters: no Nagle delay on any of the broker's sockets
    const tcp = net.createServer({ noDelay: true }, handle);
    this.servers.push(tcp);
    this.ports.mqtt = await listen(tcp, config.mqtt.port, config.mqtt.host, 'MQTT');
    if (config.mqtt.wsPort !== null) {
      const httpServer = http.createServer((_req, res) => {
        res.writeHead(426).end('MQTT over WebSocket only\n');
      });
      httpServer.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
      this.servers.push(httpServer);
      // ws loads only when a WebSocket port is configured; it is attached once the port is
      // open, so a port in use is the listen error that names it (ws would rethrow it unheard)
      const { WebSocketServer, createWebSocketStream } = await import('ws');
      this.ports.ws = await listen(httpServer, config.mqtt.wsPort, config.mqtt.host, 'MQTT WebSocket');
      this.wss = new WebSocketServer({ server: httpServer });
      this.wss.on('error', (err) => log.warn({ err: err.message }, 'MQTT WebSocket server error'));
      this.wss.on('connection', (socket, req) => handle(createWebSocketStream(socket), req as never));
    }
    if (config.mqtt.tls) {
      const [cert, key] = await Promise.all([readFile(config.mqtt.tls.cert), readFile(config.mqtt.tls.key)]);
      const secure = tls.createServer({ cert, key }, handle);
      secure.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
      this.servers.push(secure);
      this.ports.tls = await listen(secure, config.mqtt.tls.port, config.mqtt.host, 'MQTT TLS');
    }
    this.overload.start();
    log.info({ ports: this.ports }, 'broker listening');
  }

  async stop(): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return;
    this.overload.stop();
    for (const c of this.wss?.clients ?? []) c.terminate();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(this.servers.map((s) => closeServer(s)));
    this.servers.length = 0;
  }

  /** Publishes as the gateway itself (bypasses the ACL) and counts it. */
  publish(topic: string, payload: unknown, opts: PublishOptions = {}): Promise<void> {
    const aedes = this.aedes;
    if (!aedes || aedes.closed) return Promise.resolve();
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    this.options.metrics.countMessage('out', topicKind(topic));
    const packet = { cmd: 'publish', topic, payload: body, qos: opts.qos ?? 0, retain: opts.retain ?? false, dup: false } as PublishPacket;
    return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Subscribes the gateway itself to a filter; returns the unsubscribe function. With
   * `retained`, the retained messages matching the filter are handed over first, as an
   * MQTT client gets them on SUBSCRIBE.
   */
  subscribe(filter: string, handler: (topic: string, payload: Buffer, from?: Principal) => void, options: { retained?: boolean } = {}): () => void {
    const aedes = this.aedes;
    if (!aedes) throw new Error('broker not started');
    if (options.retained) {
      void this.retained(filter).then(
        (list) => list.forEach((m) => handler(m.topic, m.payload)),
        (err: Error) => this.options.log.warn({ err, filter }, 'reading retained messages failed'),
      );
    }
    const deliver = (packet: AedesPublishPacket, cb: () => void) => {
      try {
        // aedes stamps a client's publish with its client id; the gateway's own have none
        const clientId = (packet as AedesPublishPacket & { clientId?: string }).clientId;
        const from = clientId ? this.connected.get(clientId)?.principal : undefined;
        handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), from);
      } catch (err) {
        this.options.log.error({ err, topic: packet.topic }, 'gateway subscription handler failed');
      }
      cb();
    };
    aedes.subscribe(filter, deliver, () => undefined);
    return () => aedes.unsubscribe(filter, deliver, () => undefined);
  }

  /** Answers a device on its errors topic (something it sent could not be used). */
  answerDevice(deviceId: string, error: string, reason: string, extra: Record<string, unknown> = {}): void {
    const answer = { error, reason, ...extra, at: new Date(this.now()).toISOString() };
    void this.publish(topics.deviceErrors(deviceId), answer, { qos: 1 }).catch(() => undefined);
  }

  /** The retained messages matching a filter. */
  async retained(filter: string): Promise<{ topic: string; payload: Buffer }[]> {
    const persistence = (this.aedes as unknown as { persistence?: { createRetainedStreamCombi(p: string[]): AsyncIterable<{ topic: string; payload: Buffer | string }> } })?.persistence;
    if (!persistence) return [];
    const out: { topic: string; payload: Buffer }[] = [];
    for await (const p of persistence.createRetainedStreamCombi([filter])) {
      if (p.topic.startsWith('$')) continue;
      out.push({ topic: p.topic, payload: Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload) });
    }
    return out;
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<boolean> {
    const { metrics, log } = this.options;
    const remote = remoteOf(client) ?? 'unknown';
    if (!username || !password) {
      metrics.authRefused.inc({ reason: 'anonymous' });
      log.warn({ client: client.id, remote }, 'anonymous connection refused');
      return false;
    }
    if (this.failures.blocked(remote)) {
      metrics.authRefused.inc({ reason: 'throttled' });
      if (this.throttle.shouldLog(`auth-throttled:${remote}`)) log.warn({ remote }, 'connections refused: too many failed logins from this address');
      throw unavailable('too many failed logins: try again later');
    }
    const account = this.options.accounts.get(username);
    const digest = createHash('sha256').update(password).digest('base64');
    let ok = false;
    if (account) {
      ok = this.verified.get(username) === `${account.passwordHash}|${digest}`;
      if (!ok) {
        const checked = await this.passwordChecks.verify(password.toString('utf8'), account.passwordHash);
        if (checked === 'busy') {
          metrics.authRefused.inc({ reason: 'busy' });
          if (this.throttle.shouldLog('auth-busy')) log.warn({ ...this.passwordChecks.load }, 'connections refused: too many password checks under way');
          throw unavailable('too many logins under way: try again later');
        }
        ok = checked;
      }
      if (ok) this.verified.set(username, `${account.passwordHash}|${digest}`);
    }
    if (!ok) {
      this.failures.fail(remote);
      metrics.authRefused.inc({ reason: account ? 'bad_password' : 'unknown_user' });
      log.warn({ client: client.id, username, remote }, 'connection refused: bad user name or password');
      return false;
    }
    this.principals.set(client, account!.principal);
    await this.claimSession(client.id, account!.principal);
    return true;
  }

  /**
   * A persistent session belongs to the principal that made it: another principal taking
   * its client id starts a fresh one (no subscriptions, nothing queued, sessionPresent=false).
   * Runs between authentication and aedes restoring the session.
   */
  private async claimSession(clientId: string, who: Principal): Promise<void> {
    const key = principalKey(who);
    const owner = this.sessionOwners.get(clientId);
    this.sessionOwners.delete(clientId);
    this.sessionOwners.set(clientId, key);
    if (this.sessionOwners.size > MAX_SESSION_OWNERS) this.sessionOwners.delete(this.sessionOwners.keys().next().value!);
    if (owner === key) return;
    const store = (this.aedes as unknown as { persistence?: SessionStore } | undefined)?.persistence;
    if (!store) return;
    const session = { id: clientId };
    await store.cleanSubscriptions(session);
    await store.cleanIncoming?.(session);
    for await (const packet of store.outgoingStream(session)) await store.outgoingClearMessageId(session, packet);
    if (owner !== undefined) this.options.log.warn({ client: clientId, owner, by: key }, 'client id taken by another principal: its session was dropped');
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    if (!client) return null; // an obsolete last will published by aedes itself
    const who = this.principals.get(client);
    if (!who) return new Error('not authenticated');
    this.options.metrics.countMessage('in', topicKind(packet.topic));
    const decision = mayPublish(who, packet.topic);
    if (!decision.allowed) {
      this.options.metrics.aclRefused.inc({ action: 'publish', role: who.role });
      this.logRefusal('publish', who, packet.topic, decision.reason);
      if (who.role === 'device') this.refuse(who.id, packet, 'not_allowed', decision.reason);
      else this.divert(packet);
      return null;
    }
    if (who.role === 'operator') return null;
    const t = parseDeviceTopic(packet.topic)!;
    if (t.section === 'events' && this.overloadRefuses(client)) {
      this.refuseOverloaded(who, packet, t.name);
      return null;
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (payload.length > this.options.config.mqtt.maxPayloadBytes) {
      this.refuse(who.id, packet, 'too_large', `payload of ${payload.length} bytes exceeds ${this.options.config.mqtt.maxPayloadBytes}`);
      return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      this.refuse(who.id, packet, 'not_json', `payload is not valid JSON: ${(err as Error).message}`);
      return null;
    }
    if (t.section === 'status') {
      const state = (parsed as { state?: unknown } | null)?.state;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !['online', 'offline'].includes(String(state))) {
        this.refuse(who.id, packet, 'invalid_payload', 'state: expected "online" or "offline"', 'state');
        return null;
      }
      // "offline" (its last will, say) from one connection while another of the device is up is not the device's state
      if (state === 'offline' && [...(this.deviceClients.get(who.id) ?? [])].some((c) => c !== client)) {
        this.divert(packet);
        return null;
      }
      // the gateway owns a device's kit and kind: what the device claims is overwritten
      packet.payload = Buffer.from(JSON.stringify({ ...parsed, kind: who.kind, kit: who.kit }));
      return null;
    }
    // an event happens once: it is never kept for later subscribers
    packet.retain = false;
    if (!isEventType(t.name!)) {
      this.refuse(who.id, packet, 'unknown_event', `unknown event type "${t.name}"`);
      return null;
    }
    const check = checkEventPayload(t.name, parsed);
    if (!check.ok) {
      this.refuse(who.id, packet, 'invalid_payload', check.reason, check.field);
      return null;
    }
    this.options.bus.emit('device-event', {
      deviceId: who.id,
      kit: who.kit,
      type: t.name,
      payload: check.value as DeviceEvent['payload'],
      receivedAt: this.now(),
    });
    return null;
  }

  /** ms the client's next message must wait for the rate limit; -1 when it is refused outright. */
  private rateDelay(client: Client): number {
    const who = this.principals.get(client);
    if (!who) return 0; // refused as not authenticated
    const { perSecond, burst } = this.options.config.mqtt.rateLimit;
    const now = Date.now();
    const key = principalKey(who);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(perSecond, burst, now)));
    return bucket.delay(now);
  }

  /**
   * Whether this device event is refused because the gateway is overloaded: always past
   * twice a bound, else when its client sends faster than the fair rate. Every event
   * spends from the client's fair bucket, so its pace is known when overload comes.
   */
  private overloadRefuses(client: Client): boolean {
    const now = Date.now();
    let fair = this.fair.get(client);
    if (!fair) this.fair.set(client, (fair = new TokenBucket(this.overload.fairPerSecond, this.overload.fairBurst, now)));
    const withinFair = fair.take(now);
    if (!this.overload.overloaded()) return false;
    return !withinFair || this.overload.severe();
  }

  /** Refused for overload: counted always; the device told on its errors topic, the kit's scanners to wait (each at most once a second). */
  private refuseOverloaded(who: Extract<Principal, { role: 'device' }>, packet: PublishPacket, type: string | undefined): void {
    const reason = this.overload.state().reason ?? 'overloaded';
    this.refuse(who.id, packet, 'overloaded', `the gateway is overloaded (${reason}): send again in a moment`);
    if (type !== 'scan' && type !== 'weight') return;
    const scanners = who.kind === 'scanner' ? [who.id] : (this.kitScanners.get(who.kit) ?? []);
    for (const id of scanners) {
      if (this.answers.shouldLog(`busy:${id}`)) void this.publish(topics.deviceCommand(id, 'feedback'), BUSY_FEEDBACK, { qos: 1 }).catch(() => undefined);
    }
  }

  private refuseOverRate(client: Client, packet: PublishPacket): null {
    const who = this.principals.get(client);
    const { perSecond, burst } = this.options.config.mqtt.rateLimit;
    if (who?.role === 'device') this.refuse(who.id, packet, 'rate_limited', `over ${perSecond} messages/s (burst ${burst})`);
    else {
      this.options.metrics.refused.inc({ reason: 'rate_limited' });
      this.divert(packet);
    }
    return null;
  }

  /** Answers a refused device payload on its errors topic, counts it, and keeps it away from every subscriber. */
  private refuse(deviceId: string, packet: PublishPacket, reason: RefusalReason, message: string, field?: string): void {
    this.options.metrics.refused.inc({ reason });
    if (this.throttle.shouldLog(`${deviceId}:${reason}`)) {
      this.options.log.warn({ device: deviceId, topic: packet.topic, reason, message }, 'device payload refused');
    }
    if ((reason !== 'rate_limited' && reason !== 'overloaded') || this.answers.shouldLog(`${deviceId}:${reason}`)) {
      this.answerDevice(deviceId, reason.toUpperCase(), message, { field, topic: packet.topic });
    }
    this.divert(packet);
  }

  private divert(packet: PublishPacket): void {
    packet.topic = REFUSED_PREFIX + packet.topic;
    packet.retain = false;
  }

  private logRefusal(action: string, who: Principal | undefined, topic: string, reason: string): void {
    const name = who ? (who.role === 'device' ? who.id : who.username) : 'unknown';
    if (this.throttle.shouldLog(`acl:${action}:${name}:${topic}`)) {
      this.options.log.warn({ action, who: name, role: who?.role, topic, reason }, 'refused by ACL');
    }
  }

  private onClient(client: Client, connected: boolean): void {
    this.options.metrics.clients.set(this.connectedClients);
    const who = this.principals.get(client);
    if (who && connected) {
      this.connected.set(client.id, { client, principal: who });
      forgetConnectPacket(client);
    }
    else if (this.connected.get(client.id)?.client === client) this.connected.delete(client.id);
    if (who?.role !== 'device') return;
    let clients = this.deviceClients.get(who.id);
    if (connected) {
      if (!clients) this.deviceClients.set(who.id, (clients = new Set()));
      clients.add(client);
    } else if (clients) {
      clients.delete(client);
      if (clients.size > 0) return; // another connection of the device is still up
      this.deviceClients.delete(who.id);
    }
    const state = connected ? 'online' : 'offline';
    const at = this.now();
    void this.publish(
      topics.deviceStatus(who.id),
      { state, kind: who.kind, kit: who.kit, via: 'mqtt', at: new Date(at).toISOString(), ...(connected ? {} : { reason: 'disconnected' }) },
      { retain: true, qos: 1 },
    ).catch(() => undefined);
    this.options.bus.emit('device-status', { deviceId: who.id, kind: who.kind, kit: who.kit, state, at });
  }
}

/** a refusal answered with CONNACK 3 (server unavailable): the client may try again later */
function unavailable(message: string): Error {
  return Object.assign(new Error(message), { returnCode: 3 });
}

function remoteOf(client: Client): string | undefined {
  // TCP and TLS clients have the socket as their connection; WebSocket ones have the upgrade request
  const c = client as unknown as { conn?: { remoteAddress?: string }; req?: { socket?: { remoteAddress?: string } } };
  return c.conn?.remoteAddress ?? c.req?.socket?.remoteAddress;
}

/**
 * mqtt-packet's parser buffers a client's bytes in a BufferListStream, a Duplex stream it
 * never pipes; the plain BufferList under it has every method the parser calls, without a
 * stream's two states, buffers and listeners per connection. Set before the first byte.
 */
function plainBufferList(client: Client): void {
  const parser = (client as unknown as { _parser?: { _list: unknown } })._parser;
  if (parser) parser._list = new BufferList();
}

/**
 * mqtt-packet's parser keeps a client's whole CONNECT packet (its password included) as the
 * settings it reads later packets with; of it, it reads only these two fields.
 */
function forgetConnectPacket(client: Client): void {
  const parser = (client as unknown as { _parser?: { settings?: { protocolVersion?: number; bridgeMode?: boolean } } })._parser;
  if (parser?.settings) parser.settings = { protocolVersion: parser.settings.protocolVersion, bridgeMode: parser.settings.bridgeMode };
}
