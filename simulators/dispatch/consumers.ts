/**
 * The reference dispatch's consumer mode: N competing workers reading the gateways' record
 * batches from a NATS cluster whose MQTT side the gateways publish to.
 *
 * NATS maps the MQTT topic `dispatch/v1/gateways/{gw}/records` to the subject
 * `dispatch.v1.gateways.{gw}.records`; every worker subscribes to
 * `dispatch.v1.gateways.*.records` in one queue group, so each batch goes to exactly one
 * live worker. A worker stores the batch idempotently by record id (one store shared by
 * the workers, as their database would be) and publishes the answer
 * `{batchId, acked, rejected}` on `dispatch.v1.gateways.{gw}.acks`, which the gateway's
 * bridge hears on its MQTT acks topic. A batch a worker took and never answered (it died)
 * is sent again by the gateway after its ack timeout; the store answers it the same way.
 * NATS 2.9 has no MQTT shared subscriptions (`$share/...`): the queue group is what
 * spreads the load.
 */
import { connect, type NatsConnection, type Subscription } from 'nats';
import { pino, type Logger } from 'pino';
import { RecordStore, type StoredRecord, type StoreSummary } from './store.js';

export const RECORDS_SUBJECT = 'dispatch.v1.gateways.*.records';
export const DEFAULT_QUEUE = 'dispatch-records';

export interface DispatchWorkerOptions {
  /** the cluster's NATS client URLs (nats://host:port), tried in turn */
  servers: readonly string[];
  name: string;
  store: RecordStore;
  queue?: string;
  /** called with each record stored for the first time, and when */
  onStored?: (record: StoredRecord, atMs: number) => void;
  log?: Logger;
}

export interface DispatchWorkerStats {
  name: string;
  batches: number;
  records: number;
  unreadable: number;
  connected: boolean;
}

const SUBJECT = /^dispatch\.v1\.gateways\.([^.]+)\.records$/;

/** one competing consumer: its own connection to the cluster */
export class DispatchWorker {
  private nc: NatsConnection | undefined;
  private sub: Subscription | undefined;
  private batches = 0;
  private records = 0;
  private unreadable = 0;
  private readonly log: Logger;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();

  constructor(private readonly opts: DispatchWorkerOptions) {
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'dispatch-worker', worker: opts.name });
  }

  async start(): Promise<void> {
    const nc = await connect({
      servers: [...this.opts.servers],
      name: this.opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 5_000,
    });
    this.nc = nc;
    this.sub = nc.subscribe(RECORDS_SUBJECT, {
      queue: this.opts.queue ?? DEFAULT_QUEUE,
      callback: (err, msg) => {
        if (err !== null) {
          this.log.warn({ err: err.message }, 'subscription error');
          return;
        }
        this.onBatch(msg.subject, msg.data);
      },
    });
    await nc.flush();
    void (async () => {
      for await (const s of nc.status()) this.log.info({ status: s.type, data: String(s.data) }, 'nats connection');
    })().catch(() => undefined);
  }

  stats(): DispatchWorkerStats {
    return { name: this.opts.name, batches: this.batches, records: this.records, unreadable: this.unreadable, connected: this.nc !== undefined && !this.nc.isClosed() };
  }

  /** stops taking batches; those already taken are answered first */
  async stop(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    if (nc !== undefined && !nc.isClosed()) await nc.drain();
  }

  /** dies as a crashed worker would: its connection is gone, nothing more is answered */
  async kill(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.sub?.unsubscribe();
    if (nc !== undefined && !nc.isClosed()) await nc.close();
  }

  private onBatch(subject: string, data: Uint8Array): void {
    const m = SUBJECT.exec(subject);
    const nc = this.nc;
    if (m === null || nc === undefined) return;
    const gatewayId = m[1];
    let batch: { batchId?: unknown; records?: unknown };
    try {
      batch = JSON.parse(this.decoder.decode(data)) as typeof batch;
    } catch {
      this.unreadable++;
      this.log.warn({ gatewayId, bytes: data.length }, 'record batch is not JSON');
      return;
    }
    if (!Array.isArray(batch.records)) {
      this.unreadable++;
      this.log.warn({ gatewayId }, 'record batch without a records array');
      return;
    }
    this.batches++;
    const answer = this.opts.store.accept(gatewayId, batch.records, this.opts.onStored);
    this.records += batch.records.length;
    const body = JSON.stringify({ ...(typeof batch.batchId === 'string' ? { batchId: batch.batchId } : {}), ...answer });
    nc.publish(`dispatch.v1.gateways.${gatewayId}.acks`, this.encoder.encode(body));
  }
}

export interface DispatchConsumersOptions {
  servers: readonly string[];
  workers: number;
  /** append each new record as a JSON line to this file */
  storeFile?: string;
  queue?: string;
  onStored?: (record: StoredRecord, atMs: number) => void;
  log?: Logger;
}

export interface DispatchConsumers {
  workers: DispatchWorker[];
  summary(): StoreSummary & { workers: DispatchWorkerStats[] };
  records(filter?: { kind?: string; gatewayId?: string }): StoredRecord[];
  has(id: string): boolean;
  close(): Promise<void>;
}

/** starts `workers` competing consumers on one store */
export async function startDispatchConsumers(opts: DispatchConsumersOptions): Promise<DispatchConsumers> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error(`workers must be an integer from 1, got ${opts.workers}`);
  const store = new RecordStore(opts.storeFile);
  const workers: DispatchWorker[] = [];
  for (let i = 1; i <= opts.workers; i++) {
    const w = new DispatchWorker({ servers: opts.servers, name: `dispatch-worker-${i}`, store, queue: opts.queue, onStored: opts.onStored, log: opts.log });
    await w.start();
    workers.push(w);
  }
  return {
    workers,
    summary: () => ({ ...store.summary(), workers: workers.map((w) => w.stats()) }),
    records: (filter) => store.records(filter),
    has: (id) => store.has(id),
    async close() {
      for (const w of workers) await w.stop();
      await store.close();
    },
  };
}
