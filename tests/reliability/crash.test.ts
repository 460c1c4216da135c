/**
 * Crash: the compiled gateway (a child process) with its journal, HTTP sync to the
 * reference dispatch, a tasks file and three kits of MQTT-native scanner + scale + GPS
 * making pickups without pause, is SIGKILLed at random moments and started again each
 * time (≥ 100 times; 10 in the short form): two crashes in three come at a random moment
 * once the kits are back and picking up, one in three while the gateway is still starting
 * (replaying its journal). Dispatch is down during some of the runs, so the crashes also
 * hit a backlog being drained. At the end, with dispatch up: every pickup
 * a kit heard `recorded: true` for is at dispatch under its recordId, no record changed
 * under an id, no seq gap, and the journal reopens without quarantining anything.
 * Kit van-1 has an ESC/POS receipt printer on TCP (the printer stub in this process, so it
 * outlives every crash): no receipt is printed twice, and each one printed is of a van-1
 * pickup on record.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { stringify as toYaml } from 'yaml';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';
import { Journal } from '../../cloud-sync/journal/index.js';
import { apiTokenHash, authHeaders, DEVICE_PASSWORD, testHash } from '../helpers/gateway.js';
import { freePorts, GatewayProcess, seeded, sized, sleep } from './harness.js';
import { s10 } from '../../simulators/waybills.js';
import { PickupKit } from '../../simulators/kit.js';
import { TcpEndpoint } from '../../simulators/devices/tcp-endpoint.js';
import { PrinterStub } from '../../firmware-stubs/printer/printer.js';

const CRASHES = sized(100, 10);
const KITS = 3;
/** waybills on the kits' task lists; the kits go on past them with unknown parcels (needs review, confirmed) */
const TASKS_PER_KIT = 200;
const WAYBILLS_PER_KIT = 5000;
const HOME = { lat: 52.5219, lon: 13.4132 };
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);
const TOKEN = 'dispatch-token-crash';

let work: string;
let dispatch: DispatchSim;
let gateway: GatewayProcess;
let kits: PickupKit[] = [];
const figures = { crashes: 0, duringStart: 0, startMs: [] as number[], downRuns: 0 };
let waybillsTwice: string[] | undefined;
const printer = new TcpEndpoint();
const printerStub = new PrinterStub('escpos');
/** receipt number -> times printed */
const receiptsPrinted = new Map<string, number>();

function tasksOf(kit: string, k: number): object[] {
  const now = Date.now();
  return Array.from({ length: TASKS_PER_KIT }, (_, i) => ({
    id: `${kit}-T${i}`,
    kit,
    waybill: s10(k * 1_000_000 + i, 'RR', 'CN'),
    customer: `Customer ${i}`,
    address: { text: `Stop ${i}, Berlin`, ...HOME },
    window: { from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 86_400_000).toISOString() },
    service: 'standard',
    sequence: i + 1,
  }));
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'cg-rel-crash-'));
  dispatch = await startDispatchSim({ token: TOKEN });
  const [mqttPort, httpPort] = await freePorts(2);
  const kitIds = Array.from({ length: KITS }, (_, i) => `van-${i + 1}`);
  const tasks = kitIds.flatMap((kit, k) => tasksOf(kit, k + 1));
  await writeFile(path.join(work, 'tasks.json'), JSON.stringify({ tasks }));
  const hash = testHash();
  const devices = kitIds.flatMap((kit, k) =>
    ['scanner', 'scale', 'gps'].map((kind) => ({ id: `${kind}-${k + 1}`, kind, kit, transport: { type: 'mqtt' }, credentials: { passwordHash: hash } })),
  );
  const config = {
    gateway: { id: 'gw-crash', dataDir: path.join(work, 'data'), logLevel: 'warn' },
    mqtt: { host: '127.0.0.1', port: mqttPort, wsPort: null },
    http: { host: '127.0.0.1', port: httpPort, apiTokens: [{ name: 'tests', tokenHash: apiTokenHash() }] },
    kits: kitIds.map((id) => ({ id })),
    devices,
    dispatch: { transport: 'http', url: dispatch.url, token: TOKEN },
    tasks: { file: path.join(work, 'tasks.json') },
  };
  printer.onData((bytes) => {
    const before = printerStub.pages;
    const answer = printerStub.receive(bytes, Date.now());
    if (answer.length > 0) printer.write(answer);
    if (printerStub.pages === before) return;
    const line = printerStub.last!.page.items.find((i) => i.t === 'text' && i.text.startsWith('Receipt '));
    const receipt = line && line.t === 'text' ? line.text.slice('Receipt '.length) : '?';
    receiptsPrinted.set(receipt, (receiptsPrinted.get(receipt) ?? 0) + 1);
  });
  await printer.open();
  devices.push({ id: 'printer-1', kind: 'printer', kit: 'van-1', protocol: 'escpos', transport: { type: 'tcp', host: '127.0.0.1', port: printer.tcpPort }, pollMs: 500 } as never);
  const configFile = path.join(work, 'gateway.yaml');
  await writeFile(configFile, toYaml(config));
  gateway = new GatewayProcess({ configFile, httpUrl: `http://127.0.0.1:${httpPort}`, logFile: path.join(work, 'gateway.log') });
  figures.startMs.push(await gateway.start());
  const byKit = new Map(kitIds.map((kit, k) => [kit, Array.from({ length: WAYBILLS_PER_KIT }, (_, i) => s10((k + 1) * 1_000_000 + i, 'RR', 'CN'))]));
  kits = kitIds.map((kit) => new PickupKit({ url: `mqtt://127.0.0.1:${mqttPort}`, kit, password: DEVICE_PASSWORD, waybills: byKit.get(kit)!, position: HOME }));
  await Promise.all(kits.map((k) => k.connected()));
});

afterAll(async () => {
  await Promise.all(kits.map((k) => k.stop()));
  await Promise.all(kits.map((k) => k.close()));
  await gateway?.stop();
  await dispatch?.close();
  await printer.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function journalDepth(): Promise<Record<string, number> | undefined> {
  try {
    const res = await fetch(`${gateway.httpUrl}/healthz`, { headers: authHeaders(), signal: AbortSignal.timeout(2000) });
    const h = (await res.json()) as { components?: { journal?: { depth?: Record<string, number> } } };
    return h.components?.journal?.depth;
  } catch {
    return undefined;
  }
}

describe(`crash: SIGKILL under load, ${CRASHES} times (seed ${SEED})`, () => {
  it('keeps every pickup a kit heard recorded: true, once by id, with no seq gap and no corrupt journal', async () => {
    const random = seeded(SEED);
    kits.forEach((k) => k.start());
    for (let i = 0; i < CRASHES; i++) {
      // about a third of the runs happen with dispatch down: a backlog builds and drains across crashes
      const down = i < CRASHES - 1 && random() < 0.33;
      dispatch.setFaults({ down });
      if (down) figures.downRuns += 1;
      if (i % 3 === 2) {
        // a crash while starting: replaying the journal, opening state, binding ports
        await sleep(Math.floor(random() * 1500));
        figures.duringStart += 1;
      } else {
        // a crash under load: once the kits are back, at a random moment of their pickups
        await Promise.all(kits.map((k) => k.connected(10_000)));
        await sleep(Math.floor(random() * sized(700, 1400)));
      }
      await gateway.kill();
      figures.crashes += 1;
      const t0 = Date.now();
      gateway.spawn();
      if (i % 3 !== 1) {
        await gateway.waitHealthy();
        figures.startMs.push(Date.now() - t0);
      }
    }
    await gateway.waitHealthy();
    dispatch.setFaults({ down: false });
    await sleep(1000);
    await Promise.all(kits.map((k) => k.stop()));

    const heard = new Map<string, string>();
    for (const k of kits) for (const [id, code] of k.figures.recorded) heard.set(id, code);
    expect(heard.size, 'the load made pickups between crashes').toBeGreaterThanOrEqual(CRASHES / 2);

    // drain: everything recorded reaches dispatch and the records lane empties
    const deadline = Date.now() + 60_000;
    let missing: string[] = [];
    for (;;) {
      const atDispatch = new Set(dispatch.records({ kind: 'pickup.completed' }).map((r) => r.id));
      missing = [...heard.keys()].filter((id) => !atDispatch.has(id));
      const depth = await journalDepth();
      if (missing.length === 0 && depth?.records === 0) break;
      if (Date.now() > deadline) break;
      await sleep(200);
    }
    const summary = dispatch.summary();
    const pickups = dispatch.records({ kind: 'pickup.completed' });
    const byWaybill = new Map<string, number>();
    for (const r of pickups) {
      const wb = String((r.body as { waybill?: unknown } | undefined)?.waybill ?? '');
      byWaybill.set(wb, (byWaybill.get(wb) ?? 0) + 1);
    }
    const twice = [...byWaybill].filter(([, n]) => n > 1).map(([wb]) => wb);
    const report = {
      seed: SEED,
      crashes: figures.crashes,
      crashesWhileStarting: figures.duringStart,
      runsWithDispatchDown: figures.downRuns,
      heardRecorded: heard.size,
      pickupsAtDispatch: summary.perKind['pickup.completed'] ?? 0,
      received: summary.received,
      rejected: summary.rejected,
      duplicatesResent: summary.duplicates,
      changedUnderSameId: summary.changedUnderSameId,
      gapCount: summary.gapCount,
      waybillsRecordedTwice: twice.length,
      firstTwice: pickups
        .filter((r) => twice.length > 0 && (r.body as { waybill?: string }).waybill === twice[0])
        .map((r) => ({ id: r.id, seq: r.seq, bootId: r.bootId, heard: heard.has(r.id) })),
      recordedFalse: kits.reduce((n, k) => n + k.figures.recordedFalse, 0),
      rescans: kits.reduce((n, k) => n + k.figures.retries, 0),
      duplicateAfterRescan: kits.reduce((n, k) => n + k.figures.duplicateAfterRetry, 0),
      reviews: kits.reduce((n, k) => n + k.figures.reviews, 0),
      abandoned: kits.reduce((n, k) => n + k.figures.abandoned, 0),
      otherRejections: kits.flatMap((k) => k.figures.otherRejections).slice(0, 5),
      receiptsPrinted: printerStub.pages,
      receiptsPrintedTwice: [...receiptsPrinted.values()].filter((n) => n > 1).length,
      van1HeardRecorded: kits[0].figures.recorded.size,
      van1PickupsAtDispatch: pickups.filter((r) => r.kit === 'van-1').length,
      startMsMax: Math.max(...figures.startMs),
      startMsMean: Math.round(figures.startMs.reduce((a, b) => a + b, 0) / figures.startMs.length),
    };
    console.log(`[reliability] crash ${JSON.stringify(report)}`);

    expect(missing, 'recorded: true pickups missing at dispatch').toEqual([]);
    expect(pickups.filter((r) => heard.has(r.id)).length).toBe(heard.size);
    expect(summary.changedUnderSameId, 'records changed under an id').toBe(0);
    expect(summary.gapCount, 'seq gaps in never-dropped streams').toBe(0);
    expect(summary.rejected, 'records dispatch rejected').toBe(0);
    // the printer: never a receipt twice, each one of a van-1 pickup on record (its recorded
    // answer may have been lost to the crash: the record was durable, so was its receipt job)
    expect([...receiptsPrinted].filter(([, n]) => n > 1), 'receipts printed twice').toEqual([]);
    const van1Receipts = new Set(pickups.filter((r) => r.kit === 'van-1').map((r) => String((r.body as { receipt?: unknown }).receipt)));
    expect([...receiptsPrinted.keys()].filter((r) => !van1Receipts.has(r)), 'receipts of no van-1 pickup on record').toEqual([]);
    expect(printerStub.pages, 'the printer printed receipts between the crashes').toBeGreaterThan(0);

    // the journal as the last crash left it reopens with nothing quarantined
    await gateway.kill();
    const journal = await Journal.open({ dir: path.join(work, 'data', 'journal'), gatewayId: 'gw-crash', clock: () => 'unsynced', bootId: 'check', log: pino({ level: 'silent' }) });
    try {
      expect(journal.recovery.quarantined, 'segments quarantined on reopen').toEqual([]);
      // whatever is still unsent there (a clock record appended after the drain) is intact and in order
      const pending = await journal.next(100_000, 1e9);
      expect(pending.filter((r) => r.kind === 'pickup.completed' && heard.has(r.id) && !pickups.some((p) => p.id === r.id))).toEqual([]);
    } finally {
      await journal.close();
    }
    waybillsTwice = twice;
  });

  // A pickup appended to the journal whose `recorded` answer the crash swallowed is scanned
  // again; the re-scan must be answered DUPLICATE_PICKUP, not recorded a second time.
  it('records a parcel once: no waybill has two pickup.completed records at dispatch', () => {
    expect(waybillsTwice, 'the crash run above must have completed').toBeDefined();
    expect(waybillsTwice, 'parcels recorded twice at dispatch under different ids').toEqual([]);
  });
});
