/**
 * A real gateway with the dashboard mounted (aedes and HTTP on ephemeral ports of
 * 127.0.0.1, a temp data dir), a login helper and a server-sent-events reader.
 * Shared by the dashboard's integration and browser tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { parseConfig } from '../../gateway/config.js';
import { assembleGateway } from '../../gateway/assemble.js';
import type { Component, Gateway } from '../../gateway/runtime.js';
import type { DashboardOptions } from '../../gateway/dashboard/index.js';
import { OPERATOR_PASSWORD, operatorHash, testHash } from '../helpers/gateway.js';

export { DEVICE_PASSWORD, OPERATOR_PASSWORD } from '../helpers/gateway.js';

export interface DashboardGateway {
  gateway: Gateway;
  httpUrl: string;
  dashboardUrl: string;
  connect(username: string, password: string, extra?: mqtt.IClientOptions): Promise<MqttClient>;
  stop(): Promise<void>;
}

/** Operator `tech`, kit `van-1`, MQTT devices `scanner-1` (scanner) and `term-1` (terminal) unless `raw` says otherwise. */
export async function startDashboardGateway(
  raw: Record<string, unknown> = {},
  options: { dashboard?: DashboardOptions; components?: Component[] } = {},
): Promise<DashboardGateway> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cg-dash-'));
  const config = parseConfig({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-1', courierId: 'c-17' }],
    devices: [
      { id: 'scanner-1', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } },
      { id: 'term-1', kind: 'terminal', kit: 'van-1', credentials: { passwordHash: testHash() } },
    ],
    ...raw,
    gateway: { id: 'gw-dash', dataDir },
    mqtt: { host: '127.0.0.1', port: 0, wsPort: null },
    http: { host: '127.0.0.1', port: 0 },
  });
  const gateway = assembleGateway(config, { log: pino({ level: process.env.TEST_LOG ?? 'silent' }), dashboard: options.dashboard });
  for (const c of options.components ?? []) gateway.add(c);
  await gateway.start();
  const mqttUrl = `mqtt://127.0.0.1:${gateway.broker.ports.mqtt}`;
  const httpUrl = `http://127.0.0.1:${gateway.http.port}`;
  const clients: MqttClient[] = [];
  return {
    gateway,
    httpUrl,
    dashboardUrl: `${httpUrl}/dashboard/`,
    async connect(username, password, extra = {}) {
      const client = mqtt.connect(mqttUrl, { username, password, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await gateway.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Logs in as an operator; returns the session cookie (`name=value`). */
export async function login(httpUrl: string, username = 'tech', password = OPERATOR_PASSWORD): Promise<string> {
  const res = await fetch(`${httpUrl}/dashboard/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}`);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error('login set no cookie');
  return cookie.split(';')[0];
}

export interface SseEvent {
  event: string;
  data: unknown;
}

export interface SseReader {
  events: SseEvent[];
  /** the first event (already received or to come) that matches */
  next(pred: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** resolves when the server ends the stream */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(httpUrl: string, cookie: string): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(`${httpUrl}/dashboard/api/stream`, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
  const events: SseEvent[] = [];
  const waiters: { pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          const e = { event, data: JSON.parse(data.join('\n')) as unknown };
          events.push(e);
          for (const w of [...waiters]) {
            if (w.pred(e)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(e);
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    ended,
    next(pred, timeoutMs = 5000) {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching stream event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      });
    },
    close: () => abort.abort(),
  };
}
