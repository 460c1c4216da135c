/**
 * Footprint of the compiled gateway run as an operator runs it, with every kind of device
 * configured: 50 kits of MQTT-native scanners and scales, serial drivers on socat
 * pseudo-terminals (MT-SICS and continuous scales, a serial scanner, NMEA GPS, a locker
 * bank), and an HID scale and scanner and a BLE scale, which are `unavailable` here.
 * Time from spawn to /healthz 200 (median of 3) and RSS idle after 5 s, with an empty config
 * (no kit, no device) and with all those devices; RSS while 1,000
 * scan + weight pairs/s arrive over MQTT from a worker, RSS with a journal backlog;
 * `courier-gw --help` (median of 5), RSS with 2,000 kits connected (a scanner, a scale and
 * the courier's app each: 6,000 MQTT clients as the gateway counts them) making pairs at a
 * courier's pace, the apps following their kit's tasks and verdicts; beside it the floor (a bare Node
 * process with aedes and an http server answering /healthz, started and measured the same
 * way) and Node-RED 4 with the weigh-and-scan flow (spawn to connected to its broker, RSS
 * idle after 5 s).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPasswordSync } from '../core/passwords.js';
import { median, round, type Bench, type BenchRow } from './harness.js';
import { writeBenchGatewayConfig } from './gateway-config.js';
import { metricsOf, sample, startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { KitLoad } from './kit-load.js';
import { freePort } from '../core/ports.js';
import { startSocatPty, type SocatPty } from '../simulators/devices/pty.js';
import { appendMany, openBenchJournal } from './records.js';
import { compiledCliPath, packageRoot } from '../core/package.js';
import { rssMBOf } from '../simulators/gateway-process.js';
import { fleetPasswordHash } from '../simulators/accounts.js';
import { startGatewaySystem } from './gateway-sut.js';
import { HumanLoad } from './human-load.js';
import { ensureNodeRed, startNodeRed } from './node-red.js';
import { startMosquitto } from './mosquitto.js';

const IDLE_GOAL_MB = 70;
const HEALTHY_GOAL_MS = 400;
const HELP_GOAL_MS = 300;
const BACKLOG_START_GOAL_MS = 1500;
const KITS_GOAL_MB = 150;
const KITS = 50;
const PASSWORD = 'bench-pw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ms of one `courier-gw --help` run of the compiled CLI */
function helpRunMs(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [compiledCliPath, '--help'], (err) => (err ? reject(err) : resolve(performance.now() - t0))),
  );
}

/** the least a Node MQTT gateway can start with: aedes on a TCP port and an http server saying 200 */
const floorProgram = `
import { Aedes } from 'aedes';
import net from 'node:net';
import http from 'node:http';
const [mqttPort, httpPort] = process.argv.slice(-2).map(Number);
const aedes = await Aedes.createBroker();
await new Promise((r) => net.createServer(aedes.handle).listen(mqttPort, '127.0.0.1', r));
await new Promise((r) => http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')).listen(httpPort, '127.0.0.1', r));
`;

/** starts the floor process; resolves with its start-to-healthy time and RSS after 5 s idle */
async function measureFloor(): Promise<{ startMs: number; rssMB: number }> {
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', floorProgram, String(mqttPort), String(httpPort)], { cwd: packageRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    let startMs: number | undefined;
    while (startMs === undefined) {
      if (child.exitCode !== null) throw new Error(`the floor process exited with ${child.exitCode}`);
      if (performance.now() - t0 > 30_000) throw new Error('the floor process not healthy within 30 s');
      const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.arrayBuffer().then(() => r.status === 200), () => false);
      if (ok) startMs = performance.now() - t0;
      else await sleep(5);
    }
    await sleep(5000);
    return { startMs, rssMB: await rssMBOf(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** samples the gateway's RSS every 250 ms while `work` runs; returns the largest */
async function peakRssDuring(gw: GatewayProcess, work: Promise<unknown>): Promise<number> {
  let peak = await gw.rssMB();
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    await sleep(250);
    peak = Math.max(peak, await gw.rssMB().catch(() => 0));
  }
  await work;
  return peak;
}

/** peak RSS of a gateway with `kits` kits connected, each making a pair every few seconds for `seconds` */
async function measureKits(kits: number, seconds: number): Promise<{ rssMB: number; connections: number; pairs: number }> {
  const sys = await startGatewaySystem({ kits, tasksPerKit: 5, apps: true, passwordHash: fleetPasswordHash(PASSWORD) });
  try {
    const load = await HumanLoad.start({ url: sys.url, kits: sys.kits, workers: 2, seed: 5, connectConcurrency: 16 });
    try {
      // the connections as the gateway counts them (a kit's scanner, scale and app)
      const connections = sample(await metricsOf(sys.gateway.httpUrl), 'cg_mqtt_clients_connected');
      const run = load.run({ mode: 'human', seconds });
      const rssMB = await peakRssDuring(sys.gateway, run);
      return { rssMB, connections, pairs: (await run).sent };
    } finally {
      await load.close();
    }
  } finally {
    await sys.close();
  }
}

/** Node-RED with the flow on a Mosquitto broker: spawn to connected, RSS after 5 s idle */
async function measureNodeRed(log: (line: string) => void): Promise<{ startMs: number; rssMB: number }> {
  const red = await ensureNodeRed(log);
  const mosq = await startMosquitto();
  try {
    const t0 = performance.now();
    const nodeRed = await startNodeRed({ red, mqttPort: mosq.port, context: { devices: [], tasks: [] } });
    const startMs = performance.now() - t0;
    try {
      await sleep(5000);
      return { startMs, rssMB: await rssMBOf(nodeRed.pid) };
    } finally {
      await nodeRed.stop();
    }
  } finally {
    await mosq.stop();
  }
}

/** true when /healthz shows a journal component the gateway opened */
function journalOpened(health: Record<string, unknown>): { opened: boolean; depth?: unknown } {
  const journal = (health.components as Record<string, Record<string, unknown>> | undefined)?.journal;
  if (!journal || journal.open === false) return { opened: false };
  return { opened: true, depth: journal.depth };
}

export const footprintBench: Bench = {
  name: 'Footprint',
  key: 'footprint',
  async run(ctx) {
    const loadSeconds = ctx.quick ? 5 : 10;
    const backlog = ctx.quick ? 200_000 : 1_000_000;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-footprint-'));
    const ptys: SocatPty[] = [];
    const running: GatewayProcess[] = [];
    try {
      for (const name of ['mtsics', 'cas', 'scanner', 'gps', 'locker']) ptys.push(await startSocatPty(path.join(dir, `${name}-gw`), path.join(dir, `${name}-dev`)));
      const [mtSics, continuous, scanner, gps, locker] = ptys.map((p) => p.gatewayPath);
      const passwordHash = hashPasswordSync(PASSWORD);
      const configure = async (dataDir: string, devices: 'all' | 'none' = 'all') => {
        const mqttPort = await freePort();
        const httpPort = await freePort();
        const cfgDir = path.join(dir, path.basename(dataDir) + '-cfg');
        await mkdir(cfgDir, { recursive: true });
        const cfg = await writeBenchGatewayConfig({ dir: cfgDir, dataDir, mqttPort, httpPort, kits: devices === 'all' ? KITS : 0, password: PASSWORD, passwordHash, serial: devices === 'all' ? { mtSics, continuous, scanner, gps, locker } : undefined });
        return { ...cfg, mqttPort, httpPort };
      };
      const start = async (cfg: { file: string; httpPort: number }) => {
        const gw = await startGatewayProcess(cfg.file, cfg.httpPort);
        running.push(gw);
        return gw;
      };
      const stop = async (gw: GatewayProcess) => {
        await gw.stop();
        running.splice(running.indexOf(gw), 1);
      };

      // the same with an empty config (no kit, no device): start to healthy, median of 3, and RSS after 5 s
      const emptyCfg = await configure(path.join(dir, 'data-empty'), 'none');
      const emptyStarts: number[] = [];
      let emptyRssMB = Number.NaN;
      for (let i = 0; i < 3; i++) {
        const g = await start(emptyCfg);
        emptyStarts.push(g.startToHealthyMs);
        if (i === 2) {
          await sleep(5000);
          emptyRssMB = await g.rssMB();
        }
        await stop(g);
      }
      const emptyStartMs = median(emptyStarts);
      ctx.log(`footprint: empty config: start to healthy ${emptyStarts.map((s) => Math.round(s)).join(', ')} ms, RSS idle ${round(emptyRssMB, 1)} MB`);

      // start to healthy, median of 3 (the first start creates the data folder)
      const idleCfg = await configure(path.join(dir, 'data-idle'));
      const starts: number[] = [];
      let gw: GatewayProcess | undefined;
      for (let i = 0; i < 3; i++) {
        if (gw) await stop(gw);
        gw = await start(idleCfg);
        starts.push(gw.startToHealthyMs);
      }
      const startToHealthyMs = median(starts);
      for (const d of idleCfg.dropped) ctx.log(`footprint: left out ${d.id}, refused by the config schema: ${d.problem}`);
      ctx.log(`footprint: start to healthy ${starts.map((s) => Math.round(s)).join(', ')} ms`);
      const health = (await gw!.health()).body;
      const devices = (health.devices as { id: string; state: string }[] | undefined) ?? [];
      const unavailable = devices.filter((d) => d.state === 'unavailable').map((d) => d.id);
      ctx.log(`footprint: ${devices.length} devices, unavailable: ${unavailable.join(', ') || 'none'}`);

      await sleep(5000);
      const rssIdleMB = await gw!.rssMB();

      // 1,000 pairs/s from 50 kits, clients in a worker thread
      const load = await KitLoad.start({ url: `mqtt://127.0.0.1:${idleCfg.mqttPort}`, kits: idleCfg.kits, awaitVerdicts: false });
      let rssAt1000MB: number;
      let achieved: number;
      try {
        const run = load.run({ rate: 1000, seconds: loadSeconds });
        rssAt1000MB = await peakRssDuring(gw!, run);
        achieved = (await run).achievedRate;
      } finally {
        await load.close();
      }
      await stop(gw!);
      ctx.log(`footprint: idle ${round(rssIdleMB, 1)} MB, peak under ${Math.round(achieved)} pairs/s ${round(rssAt1000MB, 1)} MB`);

      // a backlog of unacknowledged records in the journal before the gateway starts
      const backlogDir = path.join(dir, 'data-backlog');
      const journal = await openBenchJournal(path.join(backlogDir, 'journal'));
      const fillSeconds = await appendMany(journal, backlog, 512);
      await journal.close();
      ctx.log(`footprint: ${backlog} records appended in ${round(fillSeconds, 1)} s`);
      const backlogCfg = await configure(backlogDir);
      gw = await startGatewayProcess(backlogCfg.file, backlogCfg.httpPort, 300_000);
      running.push(gw);
      const startBacklogMs = gw.startToHealthyMs;
      await sleep(5000);
      const rssBacklogMB = await gw.rssMB();
      const opened = journalOpened((await gw.health()).body);
      await stop(gw);
      const backlogBoundMB = 1.2 * rssIdleMB + 20;
      const label = backlog >= 1_000_000 ? `${backlog / 1_000_000}M` : `${backlog / 1000}k`;

      const helps: number[] = [];
      for (let i = 0; i < 5; i++) helps.push(await helpRunMs());
      const helpMs = median(helps);
      const floors: { startMs: number; rssMB: number }[] = [];
      for (let i = 0; i < 3; i++) floors.push(await measureFloor());
      const floorStartMs = median(floors.map((f) => f.startMs));
      const floorRssMB = median(floors.map((f) => f.rssMB));
      ctx.log(`footprint: --help ${helps.map((h) => Math.round(h)).join(', ')} ms; floor start ${floors.map((f) => Math.round(f.startMs)).join(', ')} ms, RSS ${round(floorRssMB, 1)} MB`);
      const reds: { startMs: number; rssMB: number }[] = [];
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) reds.push(await measureNodeRed(ctx.log));
      const nodeRedStartMs = median(reds.map((r) => r.startMs));
      const nodeRedRssMB = median(reds.map((r) => r.rssMB));
      ctx.log(`footprint: node-red start ${reds.map((r) => Math.round(r.startMs)).join(', ')} ms, RSS ${round(nodeRedRssMB, 1)} MB`);
      const manyKits = ctx.quick ? 300 : 2000;
      const kitsRun = await measureKits(manyKits, ctx.quick ? 10 : 20);
      ctx.log(`footprint: ${manyKits} kits (${kitsRun.connections} connections, ${kitsRun.pairs} pairs): RSS peak ${round(kitsRun.rssMB, 1)} MB`);

      const rows: BenchRow[] = [
        { bench: 'footprint', metric: 'start to /healthz 200, empty config (median of 3)', value: Math.round(emptyStartMs), unit: 'ms', goal: `<= ${HEALTHY_GOAL_MS}`, met: emptyStartMs <= HEALTHY_GOAL_MS },
        { bench: 'footprint', metric: 'RSS idle, empty config', value: round(emptyRssMB, 1), unit: 'MB', goal: `<= ${IDLE_GOAL_MB}`, met: emptyRssMB <= IDLE_GOAL_MB },
        { bench: 'footprint', metric: `start to /healthz 200, ${devices.length} devices (median of 3)`, value: Math.round(startToHealthyMs), unit: 'ms', goal: `<= ${HEALTHY_GOAL_MS}`, met: startToHealthyMs <= HEALTHY_GOAL_MS },
        { bench: 'footprint', metric: `RSS idle, ${devices.length} devices (${unavailable.length} unavailable)`, value: round(rssIdleMB, 1), unit: 'MB', goal: `<= ${IDLE_GOAL_MB}`, met: rssIdleMB <= IDLE_GOAL_MB },
        { bench: 'footprint', metric: `RSS peak at ${Math.round(achieved)} pairs/s, ${loadSeconds} s`, value: round(rssAt1000MB, 1), unit: 'MB' },
        { bench: 'footprint', metric: `RSS with ${label} records in backlog`, value: round(rssBacklogMB, 1), unit: 'MB', goal: `<= 1.2x idle + 20 (${round(backlogBoundMB, 1)})`, met: opened.opened ? rssBacklogMB <= backlogBoundMB : undefined },
        { bench: 'footprint', metric: `start to healthy with ${label} backlog`, value: Math.round(startBacklogMs), unit: 'ms', goal: `<= ${BACKLOG_START_GOAL_MS}`, met: opened.opened ? startBacklogMs <= BACKLOG_START_GOAL_MS : undefined },
        { bench: 'footprint', metric: `RSS peak, ${manyKits} kits (${kitsRun.connections} connections) at a courier's pace`, value: round(kitsRun.rssMB, 1), unit: 'MB', goal: manyKits === 2000 ? `<= ${KITS_GOAL_MB}` : undefined, met: manyKits === 2000 ? kitsRun.rssMB <= KITS_GOAL_MB : undefined },
        { bench: 'footprint', metric: 'courier-gw --help (median of 5)', value: Math.round(helpMs), unit: 'ms', goal: `<= ${HELP_GOAL_MS}`, met: helpMs <= HELP_GOAL_MS },
        { bench: 'footprint', metric: 'floor (bare Node, aedes + http): start to /healthz 200 (median of 3)', value: Math.round(floorStartMs), unit: 'ms' },
        { bench: 'footprint', metric: 'floor (bare Node, aedes + http): RSS idle', value: round(floorRssMB, 1), unit: 'MB' },
        { bench: 'footprint', metric: `Node-RED 4 with the flow: spawn to connected (median of ${reds.length})`, value: Math.round(nodeRedStartMs), unit: 'ms' },
        { bench: 'footprint', metric: 'Node-RED 4 with the flow: RSS idle', value: round(nodeRedRssMB, 1), unit: 'MB' },
      ];
      if (idleCfg.dropped.length > 0) rows.push({ bench: 'footprint', metric: `devices refused by the config schema, left out: ${idleCfg.dropped.map((d) => d.id).join(', ')}`, value: idleCfg.dropped.length, unit: '' });
      if (!opened.opened) rows.push({ bench: 'footprint', metric: 'journal not opened by this gateway build: backlog figure not meaningful', value: NaN, unit: '' });
      return {
        rows,
        json: {
          footprint: {
            rssIdleMB: round(rssIdleMB, 1),
            rssAt1000MB: round(rssAt1000MB, 1),
            rssBacklog1MMB: round(rssBacklogMB, 1),
            startToHealthyMs: Math.round(startToHealthyMs),
            startToHealthyEmptyMs: Math.round(emptyStartMs),
            rssIdleEmptyMB: round(emptyRssMB, 1),
            startToHealthyWithBacklogMs: Math.round(startBacklogMs),
            startWithBacklog1MMs: Math.round(startBacklogMs),
            helpMs: Math.round(helpMs),
            floorStartMs: Math.round(floorStartMs),
            floorRssMB: round(floorRssMB, 1),
            nodeRedStartMs: Math.round(nodeRedStartMs),
            nodeRedRssMB: round(nodeRedRssMB, 1),
            rss2000KitsMB: manyKits === 2000 ? round(kitsRun.rssMB, 1) : undefined,
            manyKits: { kits: manyKits, connections: kitsRun.connections, pairs: kitsRun.pairs, rssMB: round(kitsRun.rssMB, 1) },
            backlogRecords: backlog,
            journalOpened: opened.opened,
            devices: devices.length,
            unavailable,
            refusedByConfig: idleCfg.dropped,
            achievedPairsPerSec: Math.round(achieved),
            note: backlog < 1_000_000 ? `quick run: rssBacklog1MMB measured with ${label} records` : undefined,
          },
        },
      };
    } finally {
      for (const g of running) await g.stop();
      for (const p of ptys) await p.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
