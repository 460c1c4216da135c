/**
 * MQTT hop: the embedded broker (with its auth, ACL and payload checks) against Debian's
 * Mosquitto on the same load — one publisher, one subscriber, QoS 1, 200-byte payloads.
 */
import type mqtt from 'mqtt';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../gateway/config.js';
import { Gateway } from '../gateway/runtime.js';
import { hashPasswordSync } from '../core/passwords.js';
import { alternate, median, round, type Bench } from './harness.js';
import { startMosquitto } from './mosquitto.js';

/** Messages per second through a broker: `n` QoS 1 messages from one publisher to one subscriber, clients in a worker thread. */
function hop(url: string, n: number, pub: mqtt.IClientOptions, sub: mqtt.IClientOptions, topic: string, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./hop-worker.js', import.meta.url), { workerData: { url, n, pub, sub, topic, payload, window: 200 } });
    w.once('message', (m: { rate?: number; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m.rate!)));
    w.once('error', reject);
  });
}

export const mqttHopBench: Bench = {
  name: 'MQTT hop',
  key: 'mqttHopVsMosquitto',
  async run(ctx) {
    const n = ctx.quick ? 5000 : 20000;
    const rounds = ctx.quick ? 2 : 4;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-hop-'));
    const hash = hashPasswordSync('pw');
    const config = parseConfig({
      gateway: { id: 'bench', dataDir },
      mqtt: { host: '127.0.0.1', port: 0, wsPort: null, rateLimit: { perSecond: 1e9, burst: 1e9 } }, // the raw hop, as Mosquitto runs it
      http: { host: '127.0.0.1', port: 0 },
      operators: [{ username: 'tech', passwordHash: hash }],
      devices: [{ id: 'scale-1', kind: 'scale', kit: 'van-1', credentials: { passwordHash: hash } }],
    });
    const gateway = new Gateway(config, { log: pino({ level: 'silent' }) });
    await gateway.start();
    const mosq = await startMosquitto();
    const payload = JSON.stringify({ grams: 1234, stable: true, pad: 'x'.repeat(160) });
    const topic = 'cg/v1/devices/scale-1/events/weight';
    try {
      const res = await alternate(
        rounds,
        () => hop(`mqtt://127.0.0.1:${gateway.broker.ports.mqtt}`, n, { username: 'scale-1', password: 'pw' }, { username: 'tech', password: 'pw' }, topic, payload),
        () => hop(mosq.url, n, {}, {}, topic, payload),
      );
      const embedded = median(res.a);
      const mosquitto = median(res.b);
      const ratio = round(embedded / mosquitto, 3);
      ctx.log(`mqtt hop: embedded ${Math.round(embedded)} msg/s, mosquitto ${Math.round(mosquitto)} msg/s`);
      return {
        rows: [
          { bench: 'mqtt hop', metric: 'embedded broker', value: Math.round(embedded), unit: 'msg/s' },
          { bench: 'mqtt hop', metric: 'mosquitto', value: Math.round(mosquitto), unit: 'msg/s' },
          { bench: 'mqtt hop', metric: 'ratio embedded/mosquitto', value: ratio, unit: 'x', goal: '>= 0.8', met: ratio >= 0.8 },
        ],
        json: { mqttHopVsMosquitto: ratio, mqttHop: { embeddedMsgPerSec: Math.round(embedded), mosquittoMsgPerSec: Math.round(mosquitto) } },
      };
    } finally {
      await mosq.stop();
      await gateway.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
