/**
 * The reference dispatch's MQTT side: a client of the cloud broker that consumes
 * `dispatch/v1/gateways/+/records`, answers each batch on the gateway's acks topic and
 * publishes downlink items on its downlink topic (a gateway's whole feed is replayed the
 * first time it is heard from; items are idempotent by id on the gateway).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { DownlinkFeed, DownlinkQueue } from './downlink-queue.js';
import type { RecordStore } from './store.js';
import type { DispatchFaults } from './faults.js';

export interface DispatchMqttSideOptions {
  url: string;
  username?: string;
  password?: string;
  store: RecordStore;
  queue: DownlinkQueue;
  faults: () => DispatchFaults;
  random: () => number;
  log: Logger;
}

const RECORDS = /^dispatch\/v1\/gateways\/([^/]+)\/records$/;

export class DispatchMqttSide {
  private client: MqttClient | undefined;
  private readonly seen = new Set<string>();
  batches = 0;
  ignored = 0;

  constructor(private readonly opts: DispatchMqttSideOptions) {}

  /** connects in the background; resolves at the first subscription or after timeoutMs */
  start(timeoutMs = 5_000): Promise<void> {
    const client = mqtt.connect(this.opts.url, {
      clientId: `dispatch-sim-${process.pid}-${Math.floor(this.opts.random() * 1e9)}`,
      username: this.opts.username,
      password: this.opts.password,
      clean: true,
      reconnectPeriod: 300,
      connectTimeout: 5_000,
    });
    this.client = client;
    client.on('error', (err) => this.opts.log.warn({ err: err.message }, 'dispatch-sim mqtt error'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      client.on('connect', () => {
        // a clean session: subscribe on every connection
        client.subscribe('dispatch/v1/gateways/+/records', { qos: 1 }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** resolves once the broker has the items (PUBACK), or at once when there is nothing to send */
  publishDownlink(feed: DownlinkFeed): Promise<void> {
    const c = this.client;
    if (c === undefined || feed.items.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      c.publish(`dispatch/v1/gateways/${feed.gatewayId}/downlink`, JSON.stringify({ items: feed.items }), { qos: 1 }, (err) => {
        if (err) this.opts.log.warn({ err: err.message }, 'downlink publish failed');
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    if (c === undefined) return;
    await c.endAsync(true);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const m = RECORDS.exec(topic);
    if (m === null) return;
    const gatewayId = m[1];
    const f = this.opts.faults();
    if (f.down || f.dropConnections || (f.errorRate ?? 0) > this.opts.random()) {
      this.ignored++;
      return;
    }
    let batch: { batchId?: unknown; records?: unknown };
    try {
      batch = JSON.parse(payload.toString('utf8')) as typeof batch;
    } catch {
      this.ignored++;
      return;
    }
    if (!Array.isArray(batch.records)) {
      this.ignored++;
      return;
    }
    this.batches++;
    const answer = this.opts.store.accept(gatewayId, batch.records);
    const body = JSON.stringify({ ...(typeof batch.batchId === 'string' ? { batchId: batch.batchId } : {}), ...answer });
    const send = (): void => {
      this.client?.publish(`dispatch/v1/gateways/${gatewayId}/acks`, body, { qos: 1 });
    };
    if ((f.slowMs ?? 0) > 0) setTimeout(send, f.slowMs);
    else send();
    if (!this.seen.has(gatewayId)) {
      this.seen.add(gatewayId);
      void this.publishDownlink({ gatewayId, items: this.opts.queue.all(gatewayId) });
    }
  }
}
