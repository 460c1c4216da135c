/**
 * `courier-gw sim fleet`: N simulated gateways in one process, each with the project's real
 * journal (in a folder of its own) and the real MQTT bridge to a broker cluster, producing
 * records at courier pace: a position track, an ETA and a pickup in turn, `rate` records a
 * second per gateway. Gateway i starts at cluster node i mod nodes (the list rotated), so the
 * fleet spreads over the nodes and each gateway fails over to the next.
 *
 * The fleet keeps what it needs to judge the run: every id it journaled (with its ETA
 * coalesce key), when each was stored at dispatch, and per gateway the time from losing its
 * broker to dispatch's first ack after that (failover time).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { Journal } from '../cloud-sync/journal/index.js';
import type { RecordEnvelope } from '../cloud-sync/journal/records.js';
import { MqttBridge } from '../cloud-sync/sync/mqtt-bridge.js';
import type { RecordInput } from '../rules/records.js';

export interface FleetOptions {
  gateways: number;
  /** records a second per gateway */
  rate: number;
  /** the MQTT URLs of the broker cluster's nodes */
  brokers: readonly string[];
  /** one sub-folder per gateway; a temp folder (removed at stop) by default */
  dir?: string;
  /** gateway ids are `${prefix}-${n}` (default `van`) */
  prefix?: string;
  /** a batch not acked by dispatch within this long is sent again (default 5 s) */
  ackTimeoutMs?: number;
  /** connections opened at once while the fleet starts (default 50) */
  connectConcurrency?: number;
  log?: Logger;
}

interface Journaled {
  createdAtMs: number;
  /** ETAs: a newer one of the same key may replace an unsent older one by design */
  coalesceKey?: string;
  storedAtMs?: number;
}

interface SimGateway {
  id: string;
  journal: Journal;
  bridge: MqttBridge;
  timer?: NodeJS.Timeout;
  tick: number;
  lostAtMs?: number;
}

export interface FailoverWindow {
  fromMs: number;
  toMs: number;
}

export interface FleetReport {
  gateways: number;
  rate: number;
  journaled: number;
  stored: number;
  /** journaled, never stored and not superseded by a stored newer ETA of the same key */
  lost: number;
  /** ETAs replaced in the journal by a newer one of the same task before they were sent */
  superseded: number;
  producingSeconds: number;
  recordsPerSecond: number;
  e2eMs: { p50: number; p99: number; max: number; count: number };
  /** records created outside the failover windows given to report() */
  e2eOutsideFailoverMs: { p50: number; p99: number; max: number; count: number };
  /** per gateway that lost its broker: from the loss to dispatch's first ack after it */
  failoverMs: { count: number; p50: number; p99: number; max: number };
  failovers: number;
  ackTimeouts: number;
  memoryPerGateway: { rssKiB: number; heapKiB: number };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function spread(values: number[]): { p50: number; p99: number; max: number; count: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? 0, count: s.length };
}

export class Fleet {
  private readonly gateways: SimGateway[] = [];
  private readonly journaled = new Map<string, Journaled>();
  /** ETA coalesce key -> the newest id journaled under it */
  private readonly newestOfKey = new Map<string, string>();
  private readonly failoverTimes: number[] = [];
  private readonly log: Logger;
  private dir = '';
  private ownDir = false;
  private producingFrom = 0;
  private producingTo = 0;
  private memory = { rssKiB: 0, heapKiB: 0 };
  private appendErrors = 0;

  constructor(private readonly opts: FleetOptions) {
    if (!Number.isInteger(opts.gateways) || opts.gateways < 1) throw new Error(`--gateways must be an integer from 1, got ${opts.gateways}`);
    if (!(opts.rate > 0) || opts.rate > 100) throw new Error(`--rate must be a number of records a second in (0, 100], got ${opts.rate}`);
    if (opts.brokers.length === 0) throw new Error('--brokers needs at least one mqtt:// URL');
    this.log = opts.log ?? pino({ level: 'silent' });
  }

  /** the time a record was stored at dispatch: wire it to the dispatch consumers' onStored */
  stored(id: string, atMs: number): void {
    const j = this.journaled.get(id);
    if (j !== undefined && j.storedAtMs === undefined) j.storedAtMs = atMs;
  }

  /** opens every journal and bridge and waits until each has its first connection */
  async start(): Promise<void> {
    this.ownDir = this.opts.dir === undefined;
    this.dir = this.opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'cg-fleet-')));
    global.gc?.();
    const before = process.memoryUsage();
    const n = this.opts.gateways;
    const nodes = this.opts.brokers;
    const concurrency = this.opts.connectConcurrency ?? 50;
    for (let i = 0; i < n; i += concurrency) {
      const group: Promise<void>[] = [];
      for (let k = i; k < Math.min(n, i + concurrency); k++) {
        group.push(
          this.open(
            k,
            nodes.map((_, j) => nodes[(k + j) % nodes.length]),
          ),
        );
      }
      await Promise.all(group);
    }
    global.gc?.();
    const after = process.memoryUsage();
    this.memory = { rssKiB: Math.round((after.rss - before.rss) / 1024 / n), heapKiB: Math.round((after.heapUsed - before.heapUsed) / 1024 / n) };
    this.log.info({ gateways: n, memoryPerGateway: this.memory }, 'fleet connected');
  }

  private async open(k: number, urls: string[]): Promise<void> {
    const id = `${this.opts.prefix ?? 'van'}-${k + 1}`;
    const journal = await Journal.open({ dir: path.join(this.dir, id), gatewayId: id, clock: () => 'ntp', bootId: randomUUID(), log: pino({ level: 'silent' }) });
    const bridge = new MqttBridge({
      url: urls,
      gatewayId: id,
      outbox: journal,
      ackTimeoutMs: this.opts.ackTimeoutMs ?? 5_000,
      backoff: { baseMs: 500, maxMs: 2_000 },
      // a node that has lost a JetStream leader answers CONNECT only once one is elected again
      connectTimeoutMs: 10_000,
      keepaliveSeconds: 10,
      maxCount: 200,
      log: this.log,
    });
    const g: SimGateway = { id, journal, bridge, tick: k };
    bridge.on('retry', (r: { reason: string }) => {
      if (r.reason === 'connection lost' && g.lostAtMs === undefined) g.lostAtMs = Date.now();
    });
    bridge.on('settled', () => {
      if (g.lostAtMs === undefined) return;
      this.failoverTimes.push(Date.now() - g.lostAtMs);
      g.lostAtMs = undefined;
    });
    const connected = new Promise<void>((resolve) => bridge.once('subscribed', () => resolve()));
    await bridge.start();
    await connected;
    this.gateways.push(g);
  }

  /** each gateway journals `rate` records a second, its first at a random moment of the first period */
  produce(): void {
    const period = 1000 / this.opts.rate;
    this.producingFrom = Date.now();
    for (const g of this.gateways) {
      const first = setTimeout(() => {
        void this.appendNext(g);
        g.timer = setInterval(() => void this.appendNext(g), period);
      }, Math.random() * period);
      g.timer = first;
    }
  }

  stopProducing(): void {
    this.producingTo = Date.now();
    for (const g of this.gateways) {
      clearTimeout(g.timer);
      clearInterval(g.timer);
    }
  }

  private async appendNext(g: SimGateway): Promise<void> {
    const input = this.nextInput(g);
    let env: RecordEnvelope;
    try {
      env = await g.journal.append(input);
    } catch (err) {
      this.appendErrors++;
      this.log.error({ err, gateway: g.id }, 'journal append failed');
      return;
    }
    this.journaled.set(env.id, { createdAtMs: Date.parse(env.createdAt), coalesceKey: input.coalesceKey });
    if (input.coalesceKey !== undefined) this.newestOfKey.set(input.coalesceKey, env.id);
  }

  /** a courier's rhythm: where the van is, when it gets to the next stop, a parcel picked up */
  private nextInput(g: SimGateway): RecordInput {
    const t = g.tick++;
    const kit = `${g.id}-kit`;
    const stop = Math.floor(t / 3);
    const task = `${g.id}-t${Math.floor(stop / 5)}`;
    switch (t % 3) {
      case 0:
        return { kind: 'position.track', stream: `track:${g.id}-gps`, devices: [`${g.id}-gps`], body: { lat: 52.37 + (t % 100) * 1e-4, lon: 4.89 + (t % 50) * 1e-4, speedKmh: 30, at: new Date().toISOString() } };
      case 1:
        return { kind: 'eta.update', stream: `eta:${kit}`, kit, coalesceKey: `eta:${kit}:${task}`, body: { taskId: task, etaAt: new Date(Date.now() + 600_000).toISOString(), confidence: 0.8 } };
      default:
        return {
          kind: 'pickup.completed',
          stream: kit,
          kit,
          devices: [`${g.id}-scanner`, `${g.id}-scale`],
          body: { waybill: `JJD${g.id.replace(/\D/g, '').padStart(6, '0')}${String(stop).padStart(6, '0')}`, weightGrams: 1200 + (t % 700), taskId: task, verdict: 'ok' },
        };
    }
  }

  depth(): number {
    let n = 0;
    for (const g of this.gateways) {
      const d = g.journal.stats().depth;
      n += d.live + d.records + d.bulk;
    }
    return n;
  }

  /** waits until every journal is empty (all acked), or timeoutMs */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.depth() === 0) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.depth() === 0;
  }

  gatewaysOn(broker: string): number {
    return this.gateways.filter((g) => g.bridge.stats().broker === broker).length;
  }

  report(windows: readonly FailoverWindow[] = []): FleetReport {
    let stored = 0;
    let lost = 0;
    let superseded = 0;
    const e2e: number[] = [];
    const outside: number[] = [];
    for (const [id, j] of this.journaled) {
      if (j.storedAtMs !== undefined) {
        stored++;
        const ms = j.storedAtMs - j.createdAtMs;
        e2e.push(ms);
        if (!windows.some((w) => j.createdAtMs >= w.fromMs && j.createdAtMs <= w.toMs)) outside.push(ms);
        continue;
      }
      const newest = j.coalesceKey === undefined ? undefined : this.newestOfKey.get(j.coalesceKey);
      if (newest !== undefined && newest !== id && this.journaled.get(newest)?.storedAtMs !== undefined) superseded++;
      else lost++;
    }
    const seconds = Math.max(0.001, ((this.producingTo || Date.now()) - this.producingFrom) / 1000);
    const stats = this.gateways.map((g) => g.bridge.stats());
    return {
      gateways: this.gateways.length,
      rate: this.opts.rate,
      journaled: this.journaled.size,
      stored,
      lost: lost + this.appendErrors,
      superseded,
      producingSeconds: Math.round(seconds * 10) / 10,
      recordsPerSecond: Math.round(stored / seconds),
      e2eMs: spread(e2e),
      e2eOutsideFailoverMs: spread(outside),
      failoverMs: (({ count, p50, p99, max }) => ({ count, p50, p99, max }))(spread(this.failoverTimes)),
      failovers: stats.reduce((a, s) => a + s.failovers, 0),
      ackTimeouts: stats.reduce((a, s) => a + s.ackTimeouts, 0),
      memoryPerGateway: this.memory,
    };
  }

  async stop(): Promise<void> {
    this.stopProducing();
    await Promise.all(
      this.gateways.map(async (g) => {
        await g.bridge.stop();
        await g.journal.close();
      }),
    );
    if (this.ownDir) await rm(this.dir, { recursive: true, force: true });
  }
}

export interface FleetCliOptions {
  gateways: number;
  rate: number;
  brokers: string;
  duration?: number;
  nats?: string;
  workers?: number;
  dir?: string;
}

const csv = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * runs a fleet until --duration seconds have passed (or SIGINT / SIGTERM), waits up to 60 s
 * for the journals to empty and prints the report as JSON; with --nats the dispatch workers
 * run in this process too and the report says what they stored
 */
export async function runFleetCli(o: FleetCliOptions, log: Logger): Promise<number> {
  const brokers = csv(o.brokers);
  const consumers =
    o.nats === undefined
      ? undefined
      : await (await import('../simulators/dispatch/consumers.js')).startDispatchConsumers({ servers: csv(o.nats), workers: o.workers ?? 3, onStored: (r, at) => fleet.stored(r.id, at), log });
  const fleet = new Fleet({ gateways: o.gateways, rate: o.rate, brokers, dir: o.dir, log });
  await fleet.start();
  process.stderr.write(`fleet: ${o.gateways} gateways connected to ${brokers.join(' ')}; producing ${o.rate} record(s)/s each\n`);
  fleet.produce();
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    if (o.duration !== undefined) setTimeout(done, o.duration * 1000);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  fleet.stopProducing();
  const drained = await fleet.drained(60_000);
  const report = { ...fleet.report(), drained, ...(consumers ? { dispatch: consumers.summary() } : {}) };
  if (consumers) delete (report.dispatch as { streams?: unknown }).streams;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  await fleet.stop();
  await consumers?.close();
  return drained && report.lost === 0 ? 0 : 1;
}
