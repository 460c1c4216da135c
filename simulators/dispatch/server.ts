/**
 * The reference dispatch service: the HTTP API a gateway syncs to, its downlink long poll,
 * an admin API for tests and technicians, fault injection, and (with mqttUrl) the MQTT side.
 *
 *   POST /gateways/{gw}/records             Bearer token; {records} -> {acked, rejected}
 *   GET  /gateways/{gw}/downlink?after=&waitSeconds=   -> 200 {cursor, items} | 204
 *   GET  /admin/summary   GET /admin/records?kind=&gatewayId=
 *   POST /admin/downlink {gatewayId, items}   POST /admin/faults {down, slowMs, ...}
 *   POST /admin/requests {id, customer, address, window, ...} (or an array): assigned to the best kit
 *   GET  /admin/assignments -> {summary, requests}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { DownlinkQueue, parseDownlinkFeed, readDownlinkFile, type DownlinkFeed } from './downlink-queue.js';
import { parseFaults, type DispatchFaults } from './faults.js';
import { DispatchMqttSide } from './mqtt-side.js';
import { RecordStore, type StoreSummary, type StoredRecord } from './store.js';
import { Assigner, type AssignmentSummary, type PickupRequest, type RequestState } from './assigner.js';

export interface DispatchSimOptions {
  /** 0 (default) picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** the bearer token gateways must send; when absent any token (or none) is accepted */
  token?: string;
  /** the cloud broker, e.g. mqtt://127.0.0.1:1883: consume records and serve downlink there too */
  mqttUrl?: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** JSON: one `{ gatewayId, items }` or an array of them, queued at start */
  downlinkFile?: string;
  /** append each new record as a JSON line to this file */
  storeFile?: string;
  faults?: DispatchFaults;
  /** cap on a request body (default 16 MiB; larger gets 413) */
  maxBodyBytes?: number;
  /** longest long poll in seconds (default 30) */
  maxWaitSeconds?: number;
  random?: () => number;
  log?: Logger;
}

export interface DispatchSummary extends StoreSummary {
  requests: { records: number; downlinkPolls: number; faulted: number; mqttBatches: number; mqttIgnored: number };
  faults: DispatchFaults;
  assignments: AssignmentSummary;
}

export interface DispatchSim {
  url: string;
  port: number;
  summary(): DispatchSummary;
  records(filter?: { kind?: string; gatewayId?: string }): StoredRecord[];
  setFaults(patch: DispatchFaults): void;
  /** queues items for the long poll and publishes them over MQTT; resolves once the broker has them */
  addDownlink(feed: DownlinkFeed): Promise<void>;
  /** a pickup request: assigned to the kit with room whose position and workload give the earliest arrival */
  request(request: PickupRequest): RequestState;
  assignments(): RequestState[];
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new HttpError(413, 'body too large'));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const GATEWAY_ROUTE = /^\/gateways\/([^/]+)\/(records|downlink)$/;

export async function startDispatchSim(opts: DispatchSimOptions = {}): Promise<DispatchSim> {
  const log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'dispatch-sim' });
  const random = opts.random ?? Math.random;
  const queue = new DownlinkQueue();
  const assigner: Assigner = new Assigner({ addDownlink: (feed) => addDownlink(feed) });
  const store = new RecordStore(opts.storeFile, (gatewayId, rec) => assigner.observe(gatewayId, rec));
  let faults: DispatchFaults = { ...(opts.faults ?? {}) };
  const counts = { records: 0, downlinkPolls: 0, faulted: 0 };
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxWait = opts.maxWaitSeconds ?? 30;
  const polls = new Set<() => void>();

  const mqttSide =
    opts.mqttUrl === undefined
      ? undefined
      : new DispatchMqttSide({
          url: opts.mqttUrl,
          username: opts.mqttUsername,
          password: opts.mqttPassword,
          store,
          queue,
          faults: () => faults,
          random,
          log,
        });

  const addDownlink = (feed: DownlinkFeed): Promise<void> => {
    queue.add(feed);
    return mqttSide?.publishDownlink(feed) ?? Promise.resolve();
  };
  // queued now; over MQTT a gateway gets its feed when first heard from
  if (opts.downlinkFile !== undefined) for (const f of readDownlinkFile(opts.downlinkFile)) queue.add(f);

  /** true when a fault answered the request */
  async function applyFaults(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const f = faults;
    if (f.dropConnections) {
      counts.faulted++;
      req.socket.destroy();
      return true;
    }
    if ((f.slowMs ?? 0) > 0) await new Promise((r) => setTimeout(r, f.slowMs));
    if (f.down) {
      counts.faulted++;
      const h: Record<string, string> = f.retryAfterSeconds !== undefined ? { 'retry-after': String(f.retryAfterSeconds) } : {};
      send(res, 503, { error: 'dispatch is down' }, h);
      return true;
    }
    if ((f.errorRate ?? 0) > random()) {
      counts.faulted++;
      send(res, 500, { error: 'injected error' });
      return true;
    }
    return false;
  }

  function authorised(req: IncomingMessage): boolean {
    if (faults.unauthorized) return false;
    if (opts.token === undefined) return true;
    return req.headers.authorization === `Bearer ${opts.token}`;
  }

  async function gatewayRoute(req: IncomingMessage, res: ServerResponse, gatewayId: string, what: string, url: URL): Promise<void> {
    if (what === 'records') {
      if (req.method !== 'POST') throw new HttpError(405, 'POST only');
      counts.records++;
      const text = await readBody(req, maxBody);
      if (await applyFaults(req, res)) return;
      if (!authorised(req)) return send(res, 401, { error: 'bad token' });
      let body: { records?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new HttpError(400, 'body is not JSON');
      }
      if (!Array.isArray(body.records)) throw new HttpError(400, 'body.records must be an array');
      return send(res, 200, store.accept(gatewayId, body.records));
    }
    if (req.method !== 'GET') throw new HttpError(405, 'GET only');
    counts.downlinkPolls++;
    if (await applyFaults(req, res)) return;
    if (!authorised(req)) return send(res, 401, { error: 'bad token' });
    const after = url.searchParams.get('after');
    const waitS = Math.min(maxWait, Math.max(0, Number(url.searchParams.get('waitSeconds') ?? 0) || 0));
    let got = queue.after(gatewayId, after);
    if (got.items.length === 0 && waitS > 0) {
      const w = queue.wait(gatewayId, waitS * 1000);
      polls.add(w.cancel);
      res.on('close', w.cancel);
      await w.done;
      polls.delete(w.cancel);
      got = queue.after(gatewayId, after);
    }
    if (got.items.length === 0) return send(res, 204);
    send(res, 200, got);
  }

  async function adminRoute(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    if (path === '/admin/summary' && req.method === 'GET') return send(res, 200, summary());
    if (path === '/admin/records' && req.method === 'GET') {
      const kind = url.searchParams.get('kind') ?? undefined;
      const gatewayId = url.searchParams.get('gatewayId') ?? undefined;
      return send(res, 200, { records: store.records({ kind, gatewayId }) });
    }
    if (path === '/admin/downlink' && req.method === 'POST') {
      let feeds: DownlinkFeed[];
      try {
        feeds = parseDownlinkFeed(JSON.parse(await readBody(req, maxBody)));
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      for (const f of feeds) void addDownlink(f);
      return send(res, 200, { queued: feeds.reduce((n, f) => n + f.items.length, 0) });
    }
    if (path === '/admin/requests' && req.method === 'POST') {
      let list: PickupRequest[];
      try {
        const value = JSON.parse(await readBody(req, maxBody)) as unknown;
        list = (Array.isArray(value) ? value : [value]).map((r, i) => pickupRequest(r, i));
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      return send(res, 200, { requests: list.map((r) => assigner.request(r)) });
    }
    if (path === '/admin/assignments' && req.method === 'GET') return send(res, 200, { summary: assigner.summary(), requests: assigner.list() });
    if (path === '/admin/faults' && req.method === 'POST') {
      let patch: DispatchFaults | string;
      try {
        patch = parseFaults(JSON.parse(await readBody(req, maxBody)));
      } catch {
        patch = 'body is not JSON';
      }
      if (typeof patch === 'string') throw new HttpError(400, patch);
      faults = { ...faults, ...patch };
      log.info({ faults }, 'faults set');
      return send(res, 200, { faults });
    }
    throw new HttpError(404, 'no such route');
  }

  function summary(): DispatchSummary {
    return {
      ...store.summary(),
      requests: { ...counts, mqttBatches: mqttSide?.batches ?? 0, mqttIgnored: mqttSide?.ignored ?? 0 },
      faults: { ...faults },
      assignments: assigner.summary(),
    };
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dispatch.invalid');
    const m = GATEWAY_ROUTE.exec(url.pathname);
    const handled = m !== null ? gatewayRoute(req, res, decodeURIComponent(m[1]), m[2], url) : adminRoute(req, res, url.pathname, url);
    handled.catch((err: unknown) => {
      if (err instanceof HttpError) send(res, err.status, { error: err.message });
      else {
        log.error({ err }, 'request failed');
        send(res, 500, { error: 'internal error' });
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  if (mqttSide !== undefined) await mqttSide.start();
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  log.info({ port }, 'dispatch-sim listening');

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    summary,
    records: (filter) => store.records(filter),
    setFaults: (patch) => {
      faults = { ...faults, ...patch };
    },
    addDownlink,
    request: (r) => assigner.request(r),
    assignments: () => assigner.list(),
    close: async () => {
      queue.releaseAll();
      for (const cancel of polls) cancel();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mqttSide?.close();
      await store.close();
    },
  };
}

/** a pickup request of the admin API; throws naming the bad field */
function pickupRequest(value: unknown, i: number): PickupRequest {
  const r = value as Partial<PickupRequest> | null;
  const at = `requests[${i}]`;
  if (typeof r !== 'object' || r === null) throw new Error(`${at} must be an object`);
  if (typeof r.id !== 'string' || r.id === '') throw new Error(`${at}.id must be a non-empty string`);
  if (typeof r.customer !== 'string' || r.customer === '') throw new Error(`${at}.customer must be a non-empty string`);
  const a = r.address;
  if (typeof a !== 'object' || a === null || typeof a.text !== 'string' || typeof a.lat !== 'number' || typeof a.lon !== 'number') throw new Error(`${at}.address must be {text, lat, lon}`);
  const w = r.window;
  if (typeof w !== 'object' || w === null || Number.isNaN(Date.parse(String(w.from))) || Number.isNaN(Date.parse(String(w.to)))) throw new Error(`${at}.window must be {from, to} (ISO times)`);
  const n = r.expectedPieces;
  if (n !== undefined && n !== 'any' && !(Number.isInteger(n) && n >= 1 && n <= 500)) throw new Error(`${at}.expectedPieces must be 1..500 or "any"`);
  return r as PickupRequest;
}
