/**
 * Flood: one device (its own process) publishes valid events — scans of ever new codes,
 * unstable weights, positions — as fast as its socket takes them, at the compiled gateway
 * (a child process). Meanwhile another kit scans and weighs one parcel every 25 ms; its
 * scan→verdict latency (weight published → verdict received, over the real broker) must
 * keep a p99 under 50 ms over 10 s (5 s in the short form). The same kit is first measured
 * with no flood, in the same run, for the ratio.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { apiTokenHash, DEVICE_PASSWORD, metricValue, testHash } from '../helpers/gateway.js';
import { run, type Proc } from '../helpers/process.js';
import { freePorts, GatewayProcess, percentile, sized, sleep } from './harness.js';
import { s10 } from '../../simulators/waybills.js';

const WINDOW_MS = sized(10_000, 5_000);
const EVERY_MS = 25;
const P99_LIMIT_MS = 50;
const floodScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'flood-client.mjs');

let work: string;
let gateway: GatewayProcess;
let mqttUrl: string;
let scanner: MqttClient;
let scale: MqttClient;
let flooder: Proc | undefined;
const verdictAt = new Map<string, number>();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'cg-rel-flood-'));
  const [mqttPort, httpPort] = await freePorts(2);
  const hash = testHash();
  const device = (id: string, kind: string, kit: string) => ({ id, kind, kit, transport: { type: 'mqtt' }, credentials: { passwordHash: hash } });
  const config = {
    gateway: { id: 'gw-flood', dataDir: path.join(work, 'data'), logLevel: 'warn' },
    mqtt: { host: '127.0.0.1', port: mqttPort, wsPort: null },
    http: { host: '127.0.0.1', port: httpPort, apiTokens: [{ name: 'tests', tokenHash: apiTokenHash() }] },
    kits: [{ id: 'van-1' }, { id: 'van-9' }],
    devices: [device('scanner-1', 'scanner', 'van-1'), device('scale-1', 'scale', 'van-1'), device('noisy-9', 'scanner', 'van-9')],
  };
  const configFile = path.join(work, 'gateway.yaml');
  await writeFile(configFile, toYaml(config));
  gateway = new GatewayProcess({ configFile, httpUrl: `http://127.0.0.1:${httpPort}`, logFile: path.join(work, 'gateway.log') });
  await gateway.start();
  mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const connect = async (id: string) => {
    const c = mqtt.connect(mqttUrl, { username: id, password: DEVICE_PASSWORD, reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    // the devices' own sockets send at once (no Nagle): what is measured is the gateway's part
    (c.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    return c;
  };
  scanner = await connect('scanner-1');
  scale = await connect('scale-1');
  scanner.on('message', (_t, buf) => {
    const m = JSON.parse(buf.toString()) as { type?: string; scan?: { code: string } };
    if (m.type === 'verdict' && m.scan) verdictAt.set(m.scan.code, performance.now());
  });
  await scanner.subscribeAsync('cg/v1/kits/van-1/verdicts', { qos: 1 });
});

afterAll(async () => {
  if (flooder && flooder.child.exitCode === null) {
    flooder.kill('SIGKILL');
    await flooder.exited;
  }
  await scanner?.endAsync(true);
  await scale?.endAsync(true);
  await gateway?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

let serial = 0;

/** one pair every EVERY_MS for `ms`; the scan→verdict latency of each, ms (lost verdicts count as the window) */
async function measure(ms: number): Promise<{ latencies: number[]; lost: number }> {
  const sent = new Map<string, number>();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const code = s10(5_000_000 + serial++, 'RB');
    scale.publish('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 0, stable: true }), { qos: 0 });
    // the scan is in the gateway before the weight: one socket each, so wait for the scan's write
    await new Promise<void>((resolve) => scanner.publish('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code }), { qos: 1 }, () => resolve()));
    sent.set(code, performance.now());
    scale.publish('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 700 + (serial % 300), stable: true }), { qos: 0 });
    await sleep(EVERY_MS);
  }
  await sleep(1000);
  const latencies: number[] = [];
  let lost = 0;
  for (const [code, at] of sent) {
    const v = verdictAt.get(code);
    if (v === undefined) {
      lost++;
      latencies.push(ms);
    } else latencies.push(v - at);
  }
  return { latencies, lost };
}

describe(`flood: one device as fast as it can, another kit's scan→verdict p99 over ${WINDOW_MS / 1000} s`, () => {
  it(`keeps the other kit's p99 under ${P99_LIMIT_MS} ms`, async () => {
    const quiet = await measure(Math.min(WINDOW_MS, 5000));
    // the gateway's own view (cg_pair_to_verdict_seconds: pair closed -> verdict published), mean per phase
    const histogram = async () => ({ sum: await metricValue(gateway.httpUrl, 'cg_pair_to_verdict_seconds_sum'), count: await metricValue(gateway.httpUrl, 'cg_pair_to_verdict_seconds_count') });
    const h0 = await histogram();
    flooder = run(process.execPath, [floodScript, mqttUrl, 'noisy-9', DEVICE_PASSWORD]);
    await flooder.waitFor(/flooding/);
    await sleep(500);
    const loud = await measure(WINDOW_MS);
    flooder.kill('SIGTERM');
    await flooder.exited;
    const h1 = await histogram();
    const flood = JSON.parse(/\{"published".*\}/.exec(flooder.output())?.[0] ?? '{"published":0,"seconds":1}') as { published: number; seconds: number };
    const stillUp = await fetch(`${gateway.httpUrl}/healthz`).then((r) => r.status, () => 0);
    const figures = {
      quiet: { pairs: quiet.latencies.length, lost: quiet.lost, p50: percentile(quiet.latencies, 50), p99: percentile(quiet.latencies, 99), max: percentile(quiet.latencies, 100) },
      flooded: { pairs: loud.latencies.length, lost: loud.lost, p50: percentile(loud.latencies, 50), p99: percentile(loud.latencies, 99), max: percentile(loud.latencies, 100) },
      gatewayMeanMs: { quiet: h0.count > 0 ? (h0.sum / h0.count) * 1000 : null, flooded: h1.count > h0.count ? ((h1.sum - h0.sum) / (h1.count - h0.count)) * 1000 : null },
      verdictsDuringFlood: h1.count - h0.count,
      floodMsgsPerSec: Math.round(flood.published / flood.seconds),
      healthzAfter: stillUp,
    };
    console.log(`[reliability] flood ${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
    expect(quiet.lost).toBe(0);
    expect(flood.published).toBeGreaterThan(1000);
    expect(stillUp).toBe(200);
    expect(loud.lost, 'verdicts lost under the flood').toBe(0);
    expect(percentile(loud.latencies, 99)).toBeLessThan(P99_LIMIT_MS);
  });
});
