/**
 * Drain: records appended to a journal while no dispatch is reachable, then the reference
 * dispatch comes up (in its own process) and the sync link empties the journal: records
 * per second from the link's start until the journal is empty, over HTTP and over the MQTT
 * bridge through Debian's Mosquitto.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HttpSyncer, MqttBridge } from '../cloud-sync/sync/index.js';
import type { Journal } from '../cloud-sync/journal/index.js';
import { alternate, median, round, type Bench, type BenchRow } from './harness.js';
import { startDispatchProcess } from './dispatch-process.js';
import { startMosquitto } from './mosquitto.js';
import { appendMany, openBenchJournal } from './records.js';

const GOAL = 20_000;
const GATEWAY = 'gw-bench';

interface Drained {
  recordsPerSec: number;
  seconds: number;
}

interface Link {
  start(): Promise<void>;
  stop(): Promise<void>;
  on(event: 'settled', listener: () => void): unknown;
}

function depth(journal: Journal): number {
  const d = journal.stats().depth;
  return d.live + d.records + d.bulk;
}

async function drain(transport: 'http' | 'mqtt', n: number, timeoutMs: number): Promise<Drained> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-drain-'));
  const journal = await openBenchJournal(dir);
  const cleanups: (() => Promise<void>)[] = [async () => rm(dir, { recursive: true, force: true }), () => journal.close()];
  try {
    await appendMany(journal, n);
    if (depth(journal) !== n) throw new Error(`journal holds ${depth(journal)} records, expected ${n}`);
    // dispatch comes up
    const mosq = transport === 'mqtt' ? await startMosquitto() : undefined;
    if (mosq) cleanups.push(() => mosq.stop());
    const dispatch = await startDispatchProcess(mosq ? { mqttUrl: mosq.url } : {});
    cleanups.push(() => dispatch.close());
    const link: Link = mosq
      ? new MqttBridge({ url: mosq.url, gatewayId: GATEWAY, outbox: journal })
      : new HttpSyncer({ url: dispatch.url, gatewayId: GATEWAY, token: 'bench', outbox: journal });
    const empty = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${transport} drain: ${depth(journal)} of ${n} records left after ${timeoutMs / 1000} s`)), timeoutMs);
      link.on('settled', () => {
        if (depth(journal) > 0) return;
        clearTimeout(timer);
        resolve();
      });
    });
    const t0 = performance.now();
    await link.start();
    cleanups.push(() => link.stop());
    await empty;
    const seconds = (performance.now() - t0) / 1000;
    const summary = await dispatch.summary();
    if (summary.distinctIds !== n) throw new Error(`${transport} drain: dispatch holds ${summary.distinctIds} records, expected ${n}`);
    return { recordsPerSec: n / seconds, seconds };
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

export const drainBench: Bench = {
  name: 'Drain',
  key: 'drain',
  async run(ctx) {
    const n = ctx.quick ? 20_000 : 100_000;
    const rounds = ctx.quick ? 1 : 2;
    const res = await alternate(rounds, () => drain('http', n, 120_000), () => drain('mqtt', n, 120_000));
    const http = median(res.a.map((r) => r.recordsPerSec));
    const mqtt = median(res.b.map((r) => r.recordsPerSec));
    ctx.log(`drain: http ${res.a.map((r) => `${Math.round(r.recordsPerSec)}/s in ${round(r.seconds, 1)} s`).join(', ')}; mqtt ${res.b.map((r) => `${Math.round(r.recordsPerSec)}/s in ${round(r.seconds, 1)} s`).join(', ')}`);
    const label = `${n / 1000}k`;
    const rows: BenchRow[] = [
      { bench: 'drain', metric: `${label} records over HTTP`, value: Math.round(http), unit: 'rec/s', goal: `>= ${GOAL}`, met: http >= GOAL },
      { bench: 'drain', metric: `${label} records over MQTT bridge (Mosquitto)`, value: Math.round(mqtt), unit: 'rec/s', goal: `>= ${GOAL}`, met: mqtt >= GOAL },
    ];
    return { rows, json: { drain: { httpRecordsPerSec: Math.round(http), mqttRecordsPerSec: Math.round(mqtt), records: n, rounds } } };
  },
};
