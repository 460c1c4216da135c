/**
 * Receipt start: how long after the kit hears `recorded: true` the receipt's first byte
 * (ESC @) reaches the printer. The compiled gateway in its own process with one kit of
 * MQTT-native scanner and scale and an ESC/POS printer on TCP (the printer stub behind a
 * loopback port, in this process, so both ends of the measurement read one clock). Pickups
 * at a courier's pace, one every 500 ms; p50 / p99 / max.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPasswordSync } from '../core/passwords.js';
import { freePort } from '../core/ports.js';
import { PrinterStub } from '../firmware-stubs/printer/printer.js';
import { TcpEndpoint } from '../simulators/devices/tcp-endpoint.js';
import { connectClient } from './kit-clients.js';
import { writeBenchGatewayConfig } from './gateway-config.js';
import { startGatewayProcess } from './gateway-process.js';
import { percentile, round, type Bench } from './harness.js';
import { benchTasks, kitPosition, writeTasksFile } from './tasks-file.js';
import { PASSWORD } from './gateway-sut.js';

const GOAL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const receiptBench: Bench = {
  name: 'Receipt start after recorded',
  key: 'receipt',
  async run(ctx) {
    const pickups = ctx.quick ? 10 : 40;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-receipt-'));
    const printer = new TcpEndpoint();
    const stub = new PrinterStub('escpos');
    const starts: number[] = [];
    printer.onData((bytes) => {
      if (bytes.includes(Buffer.from([0x1b, 0x40]))) starts.push(performance.now());
      const answer = stub.receive(bytes, Date.now());
      if (answer.length > 0) printer.write(answer);
    });
    await printer.open();
    try {
      const mqttPort = await freePort();
      const httpPort = await freePort();
      const tasksFile = path.join(dir, 'tasks.json');
      const cfg = await writeBenchGatewayConfig({ dir, dataDir: path.join(dir, 'data'), mqttPort, httpPort, kits: 1, password: PASSWORD, passwordHash: hashPasswordSync(PASSWORD), tasksFile });
      const kit = { ...cfg.kits[0], position: kitPosition(0) };
      const tasks = benchTasks([kit], pickups);
      await writeTasksFile(tasksFile, tasks);
      const config = JSON.parse(await readFile(cfg.file, 'utf8')) as { devices: unknown[] };
      config.devices.push({ id: 'printer-01', kind: 'printer', kit: kit.kit, protocol: 'escpos', transport: { type: 'tcp', host: '127.0.0.1', port: printer.tcpPort } });
      await writeFile(cfg.file, JSON.stringify(config));
      const gateway = await startGatewayProcess(cfg.file, httpPort, 60_000);
      const url = `mqtt://127.0.0.1:${mqttPort}`;
      const scanner = await connectClient(url, kit.scanner);
      const scale = await connectClient(url, kit.scale);
      const latencies: number[] = [];
      try {
        let recordedAt: number | undefined;
        scanner.on('message', (_topic, raw) => {
          const m = JSON.parse(raw.toString()) as { type?: string; recorded?: boolean };
          if (m.type === 'recorded' && m.recorded) recordedAt = performance.now();
        });
        await scanner.subscribeAsync(`cg/v1/kits/${kit.kit}/verdicts`, { qos: 1 });
        const p = kit.position;
        await scanner.publishAsync(`cg/v1/devices/${kit.scanner.id}/events/position`, JSON.stringify({ lat: p.lat, lon: p.lon, fix: '3d', accuracyM: 5, at: new Date().toISOString() }), { qos: 1 });
        // the printer is online and polled before the first pickup
        for (let i = 0; i < 100 && stub.statusQueries === 0; i++) await sleep(100);
        for (const task of tasks) {
          recordedAt = undefined;
          const before = starts.length;
          await scanner.publishAsync(`cg/v1/devices/${kit.scanner.id}/events/scan`, JSON.stringify({ code: task.waybill, symbology: 'code128' }), { qos: 1 });
          await scale.publishAsync(`cg/v1/devices/${kit.scale.id}/events/weight`, JSON.stringify({ grams: task.declaredWeightGrams, stable: true }), { qos: 1 });
          for (let w = 0; w < 100 && (recordedAt === undefined || starts.length === before); w++) await sleep(20);
          if (recordedAt !== undefined && starts.length > before) latencies.push(Math.max(0, starts[before] - recordedAt));
          await sleep(500);
        }
      } finally {
        await Promise.all([scanner.endAsync(true), scale.endAsync(true)]);
        await gateway.stop();
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      ctx.log(`receipt: ${latencies.length}/${pickups} receipts started, p50 ${round(percentile(sorted, 50))} ms, p99 ${round(p99)} ms, ${stub.pages} printed`);
      return {
        rows: [
          { bench: 'receipt', metric: `start after recorded: true p50 (${latencies.length}/${pickups} pickups)`, value: round(percentile(sorted, 50)), unit: 'ms' },
          { bench: 'receipt', metric: 'start after recorded: true p99', value: round(p99), unit: 'ms', goal: `<= ${GOAL_MS}`, met: latencies.length === pickups && p99 <= GOAL_MS },
          { bench: 'receipt', metric: 'start after recorded: true max', value: round(sorted.at(-1) ?? NaN), unit: 'ms' },
          { bench: 'receipt', metric: 'receipts printed', value: stub.pages, unit: `of ${pickups}` },
        ],
        json: { receipt: { pickups, started: latencies.length, printed: stub.pages, p50Ms: percentile(sorted, 50), p99Ms: p99, maxMs: sorted.at(-1) ?? null } },
      };
    } finally {
      await printer.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
