/**
 * Overload: the compiled gateway (a child process) offered more than it can take, in the
 * two ways that once killed it with `RangeError: Maximum call stack size exceeded`.
 *
 * 1. 50 kits (an MQTT-native scanner, scale and GPS each, 60 tasks per kit from a tasks
 *    file, positions published so pickups are accepted) offered scan + stable-weight pairs
 *    open-loop at 2,000 pairs/s for 5 s. Afterwards the process is alive and /healthz
 *    answers 200; the gateway is stopped (cleanly) and its journal read with the journal's own
 *    reader: every pickup a kit heard `recorded: true` for is there exactly once.
 * 2. One device connection, one TCP write: 150 publishes an operator is subscribed to,
 *    then 12,000 five-byte publishes on a topic the device may not use. Afterwards the
 *    process is alive and /healthz answers 200.
 *
 * The per-client rate limit is raised out of the way (as a depot's gateway serving many
 * kits has it): what must hold is the gateway's own bound on its work.
 * Refusals (`OVERLOADED` on a device's errors topic) are counted and reported, not
 * required: a gateway that takes everything passes too. Both steps are bounded (< 60 s).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { stringify as toYaml } from 'yaml';
import { Journal } from '../../cloud-sync/journal/index.js';
import { fleetPasswordHash } from '../../simulators/accounts.js';
import { s10 } from '../../simulators/waybills.js';
import { freePorts, GatewayProcess, sleep } from './harness.js';

const KITS = 50;
const TASKS_PER_KIT = 60;
const RATE = 2000;
const SECONDS = 5;
const PASSWORD = 'overload-pw';
const OPERATOR_PASSWORD = 'overload-op';
const GATEWAY_ID = 'gw-overload';
const HOME = { lat: 52.5219, lon: 13.4132 };

let work: string;
let dataDir: string;
let gateway: GatewayProcess;
let mqttUrl: string;

const waybillOf = (kit: number, pair: number): string => s10(kit * 100_000 + pair, 'RR', 'CN');

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'cg-rel-overload-'));
  dataDir = path.join(work, 'data');
  const [mqttPort, httpPort] = await freePorts(2);
  mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const now = Date.now();
  const window = { from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 86_400_000).toISOString() };
  const tasks = Array.from({ length: KITS }, (_, k) =>
    Array.from({ length: TASKS_PER_KIT }, (_, i) => ({
      id: `van-${k + 1}-T${i}`,
      kit: `van-${k + 1}`,
      waybill: waybillOf(k + 1, i),
      customer: `Customer ${i}`,
      address: { text: `Stop ${i}, Berlin`, ...HOME },
      window,
      service: 'standard',
      sequence: i + 1,
    })),
  ).flat();
  await writeFile(path.join(work, 'tasks.json'), JSON.stringify({ tasks }));
  const passwordHash = fleetPasswordHash(PASSWORD);
  const devices = Array.from({ length: KITS }, (_, k) =>
    ['scanner', 'scale', 'gps'].map((kind) => ({ id: `${kind}-${k + 1}`, kind, kit: `van-${k + 1}`, transport: { type: 'mqtt' }, credentials: { passwordHash } })),
  ).flat();
  const config = {
    gateway: { id: GATEWAY_ID, dataDir, logLevel: 'warn' },
    // a depot's gateway: no per-client rate limit to hide behind, its overload policy must hold
    mqtt: { host: '127.0.0.1', port: mqttPort, wsPort: null, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
    http: { host: '127.0.0.1', port: httpPort },
    kits: Array.from({ length: KITS }, (_, k) => ({ id: `van-${k + 1}` })),
    devices,
    operators: [{ username: 'tech', passwordHash: fleetPasswordHash(OPERATOR_PASSWORD) }],
    tasks: { file: path.join(work, 'tasks.json') },
  };
  const configFile = path.join(work, 'gateway.yaml');
  await writeFile(configFile, toYaml(config));
  gateway = new GatewayProcess({ configFile, httpUrl: `http://127.0.0.1:${httpPort}`, logFile: path.join(work, 'gateway.log') });
});

afterAll(async () => {
  await gateway?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function connect(username: string, password: string): Promise<MqttClient> {
  const c = mqtt.connect(mqttUrl, { username, password, clientId: `ovl-${username}`, reconnectPeriod: 0, connectTimeout: 20_000 });
  return new Promise((resolve, reject) => {
    c.once('connect', () => {
      (c.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      resolve(c);
    });
    c.once('error', reject);
  });
}

async function connectAll<T>(items: readonly T[], open: (item: T) => Promise<MqttClient[]>, concurrency = 10): Promise<MqttClient[][]> {
  const out: MqttClient[][] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await open(items[i]);
      }
    }),
  );
  return out;
}

/** What the gateway left of itself: alive, and /healthz's answer. */
async function aliveAndHealthy(): Promise<{ alive: boolean; healthz: number; status?: unknown }> {
  const alive = gateway.running;
  const res = await fetch(`${gateway.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  const body = res ? ((await res.json().catch(() => ({}))) as { status?: unknown }) : {};
  return { alive, healthz: res?.status ?? 0, status: body.status };
}

function crashReport(): string {
  const tail = gateway.logTail(1500);
  return tail === '' ? '(no gateway output)' : `gateway output:\n${tail}`;
}

interface KitClients {
  kit: number;
  scanner: MqttClient;
  scale: MqttClient;
  gps: MqttClient;
  pairs: number;
}

describe(`overload: ${KITS} kits at ${RATE} pairs/s open-loop for ${SECONDS} s, and one connection's single write`, () => {
  it('stays alive, answers /healthz, and has every pickup a kit heard recorded: true in its journal exactly once', async () => {
    await gateway.start(30_000);
    const heard = new Map<string, string>();
    const refused = { overloaded: 0, other: 0 };
    let verdicts = 0;
    let lastMessageAt = performance.now();
    const clients = await connectAll(
      Array.from({ length: KITS }, (_, k) => k + 1),
      async (k) => [await connect(`scanner-${k}`, PASSWORD), await connect(`scale-${k}`, PASSWORD), await connect(`gps-${k}`, PASSWORD)],
    );
    const kits: KitClients[] = clients.map(([scanner, scale, gps], i) => ({ kit: i + 1, scanner, scale, gps, pairs: 0 }));
    for (const k of kits) {
      k.scanner.on('message', (topic, buf) => {
        lastMessageAt = performance.now();
        let m: { type?: string; recorded?: boolean; recordId?: string; error?: string; scan?: { code: string } };
        try {
          m = JSON.parse(buf.toString()) as typeof m;
        } catch {
          return;
        }
        if (topic.endsWith('/errors')) {
          if (m.error === 'OVERLOADED') refused.overloaded += 1;
          else refused.other += 1;
        } else if (m.type === 'verdict') verdicts += 1;
        else if (m.type === 'recorded' && m.recorded === true && typeof m.recordId === 'string') heard.set(m.recordId, m.scan?.code ?? '');
      });
      await k.scanner.subscribeAsync([`cg/v1/kits/van-${k.kit}/verdicts`, `cg/v1/devices/scanner-${k.kit}/errors`], { qos: 1 });
      await k.gps.publishAsync(`cg/v1/devices/gps-${k.kit}/events/position`, JSON.stringify({ ...HOME, fix: '3d', accuracyM: 4, speedKmh: 0, at: new Date().toISOString() }), { qos: 1 });
    }

    // open loop: pairs go out on time whatever the gateway answers
    let sent = 0;
    let rr = 0;
    const total = RATE * SECONDS;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
        for (; sent < due; sent++) {
          const k = kits[rr++ % kits.length];
          const code = waybillOf(k.kit, k.pairs++);
          k.scale.publish(`cg/v1/devices/scale-${k.kit}/events/weight`, JSON.stringify({ grams: 0, stable: true }), { qos: 0 });
          k.scanner.publish(`cg/v1/devices/scanner-${k.kit}/events/scan`, JSON.stringify({ code, symbology: 'code128' }), { qos: 1 });
          k.scale.publish(`cg/v1/devices/scale-${k.kit}/events/weight`, JSON.stringify({ grams: 900 + (sent % 300), stable: true }), { qos: 1 });
        }
        if (sent >= total || !gateway.running) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const offerSeconds = (performance.now() - t0) / 1000;
    // let the answers come until the kits hear nothing for 2 s (at most 20 s)
    const quietBy = performance.now() + 20_000;
    while (gateway.running && performance.now() - lastMessageAt < 2000 && performance.now() < quietBy) await sleep(100);
    const after = await aliveAndHealthy();
    await Promise.all(kits.flatMap((k) => [k.scanner, k.scale, k.gps]).map((c) => c.endAsync(true).catch(() => undefined)));
    const exitCode = await gateway.stop();

    // the journal as the gateway left it, read with its own reader
    const journal = await Journal.open({ dir: path.join(dataDir, 'journal'), gatewayId: GATEWAY_ID, clock: () => 'unsynced', bootId: 'check', log: pino({ level: 'silent' }) });
    let times: Map<string, number>;
    try {
      const records = await journal.next(1_000_000, 1e12);
      times = new Map();
      for (const r of records) if (r.kind === 'pickup.completed') times.set(r.id, (times.get(r.id) ?? 0) + 1);
    } finally {
      await journal.close();
    }
    const notOnce = [...heard.keys()].filter((id) => times.get(id) !== 1);
    const figures = { sent, offerSeconds: Math.round(offerSeconds * 10) / 10, verdicts, recordedHeard: heard.size, pickupsInJournal: times.size, refused, after, exitCode };
    console.log(`[reliability] overload kits ${JSON.stringify(figures)}`);

    expect(after.alive, `the gateway process died under the load; ${crashReport()}`).toBe(true);
    expect(after.healthz, '/healthz after the load').toBe(200);
    expect(exitCode, `the gateway did not stop cleanly after the load; ${crashReport()}`).toBe(0);
    expect(sent).toBe(total);
    expect(heard.size, 'pickups heard recorded: true').toBeGreaterThan(0);
    expect(notOnce, 'pickups heard recorded: true that are not in the journal exactly once').toEqual([]);
  }, 90_000);

  it('survives one device connection writing 150 subscribed publishes and 12,000 refused ones in one TCP write', async () => {
    if (!gateway.running) await gateway.start(30_000);
    const operator = await connect('tech', OPERATOR_PASSWORD);
    let seen = 0;
    operator.on('message', () => (seen += 1));
    await operator.subscribeAsync('cg/v1/#', { qos: 1 });
    const device = await connect('gps-1', PASSWORD);
    const position = JSON.stringify({ ...HOME, fix: '3d', accuracyM: 4, speedKmh: 0 });
    const packets: Buffer[] = [];
    for (let i = 0; i < 150; i++) packets.push(publishPacket('cg/v1/devices/gps-1/events/position', position));
    for (let i = 0; i < 12_000; i++) packets.push(publishPacket('cg/v1/devices/scale-1/events/weight', 'xxxxx'));
    const write = Buffer.concat(packets);
    const socket = device.stream as unknown as { write(b: Buffer, cb: (err?: Error) => void): boolean };
    await new Promise<void>((resolve, reject) => socket.write(write, (err) => (err ? reject(err) : resolve())));
    const by = performance.now() + 10_000;
    while (gateway.running && seen < 150 && performance.now() < by) await sleep(50);
    await sleep(1000);
    const after = await aliveAndHealthy();
    await Promise.all([operator, device].map((c) => c.endAsync(true).catch(() => undefined)));
    const exitCode = await gateway.stop();
    console.log(`[reliability] overload one-connection ${JSON.stringify({ bytes: write.length, operatorSaw: seen, after, exitCode })}`);

    expect(after.alive, `the gateway process died on one connection's write; ${crashReport()}`).toBe(true);
    expect(after.healthz, '/healthz after the write').toBe(200);
    expect(exitCode, `the gateway did not stop cleanly after the write; ${crashReport()}`).toBe(0);
  }, 60_000);
});

/** An MQTT 3.1.1 PUBLISH, QoS 0: fixed header, remaining length, topic, payload. */
function publishPacket(topic: string, payload: string): Buffer {
  const t = Buffer.from(topic, 'utf8');
  const p = Buffer.from(payload, 'utf8');
  let remaining = 2 + t.length + p.length;
  const length: number[] = [];
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    length.push(byte);
  } while (remaining > 0);
  const topicLength = Buffer.alloc(2);
  topicLength.writeUInt16BE(t.length);
  return Buffer.concat([Buffer.from([0x30, ...length]), topicLength, t, p]);
}
