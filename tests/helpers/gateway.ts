/** Starts a real gateway (aedes on ephemeral ports, a temp data dir) for integration tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { parseConfig, type Config } from '../../gateway/config.js';
import { assembleGateway } from '../../gateway/assemble.js';
import type { Gateway } from '../../gateway/runtime.js';
import { hashPasswordSync } from '../../core/passwords.js';
import type { Transports } from '../../devices/transports/types.js';
import type { ProtocolDefinition } from '../../devices/driver.js';

export const DEVICE_PASSWORD = 'device-secret';
export const OPERATOR_PASSWORD = 'operator-secret';
let cachedHash: string | undefined;
/** One hash reused by every test account: scrypt is deliberately slow. */
export function testHash(): string {
  return (cachedHash ??= hashPasswordSync(DEVICE_PASSWORD));
}
/** The bearer token every test gateway accepts (`http.apiTokens`, name `tests`). */
export const API_TOKEN = 'test-api-token-0123456789abcdef';
let cachedTokenHash: string | undefined;
export function apiTokenHash(): string {
  return (cachedTokenHash ??= hashPasswordSync(API_TOKEN));
}
/** Headers that authenticate a request to a test gateway's HTTP side. */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${API_TOKEN}`, ...extra };
}
/** GET with the test token: what an operator tool sees. */
export function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: authHeaders((init.headers as Record<string, string> | undefined) ?? {}) });
}
let cachedOperatorHash: string | undefined;
export function operatorHash(): string {
  return (cachedOperatorHash ??= hashPasswordSync(OPERATOR_PASSWORD));
}

export interface TestGateway {
  gateway: Gateway;
  config: Config;
  mqttUrl: string;
  httpUrl: string;
  dataDir: string;
  connect(username?: string, password?: string, extra?: mqtt.IClientOptions): Promise<MqttClient>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  transports?: Transports;
  /** keep this data dir (restart tests) */
  dataDir?: string;
  log?: pino.Logger;
  findProtocol?: (name: string) => ProtocolDefinition | undefined;
}

export async function startTestGateway(raw: Record<string, unknown> = {}, options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'cg-test-')));
  const input = {
    ...raw,
    gateway: { id: 'gw-test', ...(raw.gateway as object | undefined), dataDir },
    mqtt: { host: '127.0.0.1', port: 0, wsPort: null, ...(raw.mqtt as object | undefined) },
    http: { host: '127.0.0.1', port: 0, apiTokens: [{ name: 'tests', tokenHash: apiTokenHash() }], ...(raw.http as object | undefined) },
  };
  const config = parseConfig(input, { findProtocol: options.findProtocol });
  const gateway = assembleGateway(config, { log: options.log ?? pino({ level: process.env.TEST_LOG ?? 'silent' }), transports: options.transports, findProtocol: options.findProtocol });
  await gateway.start();
  const mqttUrl = `mqtt://127.0.0.1:${gateway.broker.ports.mqtt}`;
  const httpUrl = `http://127.0.0.1:${gateway.http.port}`;
  const clients: MqttClient[] = [];
  return {
    gateway,
    config,
    mqttUrl,
    httpUrl,
    dataDir,
    async connect(username, password, extra = {}) {
      const client = mqtt.connect(mqttUrl, { username, password, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
        client.once('close', () => reject(new Error('connection closed')));
      });
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await gateway.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** MQTT topic-filter matching, so a collector sees only its own filter's messages. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Collects messages on a filter; `next(pred)` resolves with the first that matches. */
export function collect(client: MqttClient, filter: string): Promise<{ messages: { topic: string; payload: unknown }[]; next(pred?: (m: { topic: string; payload: unknown }) => boolean, timeoutMs?: number): Promise<{ topic: string; payload: unknown }> }> {
  const messages: { topic: string; payload: unknown }[] = [];
  const waiters: { pred: (m: { topic: string; payload: unknown }) => boolean; resolve: (m: { topic: string; payload: unknown }) => void }[] = [];
  client.on('message', (topic, buf) => {
    if (!topicMatches(filter, topic)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(buf.toString());
    } catch {
      payload = buf.toString();
    }
    const m = { topic, payload };
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  return client.subscribeAsync(filter, { qos: 1 }).then(() => ({
    messages,
    next(pred = () => true, timeoutMs = 5000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message on ${filter} matched within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
  }));
}

export async function metricValue(httpUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await authFetch(`${httpUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ok = Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`));
    if (ok) total += Number(m[3]);
  }
  return total;
}
