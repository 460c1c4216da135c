/**
 * Runs a scenario against a real gateway (a child process) and the reference dispatch:
 * drives the van along its stops, scans and weighs the parcels, raises the stop events,
 * cuts the link and the power when the scenario says, and at the end checks the
 * scenario's own expectations against what dispatch received.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { topics } from '../core/topics.js';
import { haversineM } from '../core/geo.js';
import { hashPassword } from '../core/passwords.js';
import { freePort, portIsFree } from '../core/ports.js';
import { startDispatchSim, type DispatchSim } from './dispatch/index.js';
import { atTimeOfDay, simNow, sleepUntilSim, type SimClockSpec } from './clock.js';
import { GatewayProcess } from './gateway-process.js';
import { KitApp, MqttDevice, type Verdict } from './kit.js';
import type { Scenario, Stop } from './scenario.js';
import { computeFigures, type Figures, type VisitLog } from './figures.js';
import { startSimulators, type Simulators } from './devices/index.js';
import { lockerDownlink, lockerGatewayDevices, lockerSimSpec, runLockers, type LockerRunResult } from './locker-run.js';
import { ScenarioError } from './scenario.js';

export interface ScenarioRunOptions {
  scenario: Scenario;
  /** overrides the scenario's speed */
  speed?: number;
  log?: (line: string) => void;
  /** keep the work folder (config, data, gateway log) */
  keep?: boolean;
  /** fixed ports (the demo shows the dashboard URL); 0 picks free ones */
  ports?: { mqtt?: number; http?: number; ws?: number | null };
  /** the dashboard operator's (`tech`) password; default a random one, printed in the log */
  operatorPassword?: string;
  /**
   * called with the report while the gateway, dispatch and devices still run; they are
   * stopped when it resolves (the demo's --stay waits for Ctrl-C here)
   */
  hold?: (report: ScenarioReport) => Promise<void>;
}

export interface ScenarioReport {
  ok: boolean;
  failures: string[];
  figures: Figures;
  workDir: string;
  httpUrl: string;
  realSeconds: number;
}

const EXCEPTION_EVENTS = new Set(['customer-absent', 'parcel-not-ready', 'refused', 'damaged', 'address-not-found']);
/** The wanted port when it is free, else any free one. */
async function portOr(wanted: number | undefined): Promise<number> {
  return wanted && (await portIsFree(wanted)) ? wanted : freePort();
}

export async function runScenario(options: ScenarioRunOptions): Promise<ScenarioReport> {
  const s = options.scenario;
  const log = options.log ?? (() => undefined);
  const speed = options.speed ?? s.speed;
  const t0 = Date.now();
  const workDir = await mkdtemp(path.join(os.tmpdir(), `cg-sim-${s.name}-`));
  const gatewayId = `gw-${s.kit}`;
  const token = randomBytes(12).toString('hex');
  // the runner reads /metrics and the operator view of /healthz with its own API token
  const apiToken = randomBytes(18).toString('base64url');
  const auth = { authorization: `Bearer ${apiToken}` };
  const passwords = { app: randomBytes(9).toString('base64url'), scale: randomBytes(9).toString('base64url'), gps: randomBytes(9).toString('base64url'), operator: options.operatorPassword ?? randomBytes(6).toString('base64url'), terminal: randomBytes(9).toString('base64url') };
  const [appHash, scaleHash, gpsHash, operatorHash, terminalHash, apiTokenHash] = await Promise.all([hashPassword(passwords.app), hashPassword(passwords.scale), hashPassword(passwords.gps), hashPassword(passwords.operator), hashPassword(passwords.terminal), hashPassword(apiToken)]);

  const dispatch: DispatchSim = await startDispatchSim({ port: 0, host: '127.0.0.1', token });
  const mqttPort = await portOr(options.ports?.mqtt);
  const httpPort = await portOr(options.ports?.http);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;

  const day = new Date();
  day.setUTCHours(0, 0, 0, 0);
  const clock: SimClockSpec = { simStart: atTimeOfDay(day.getTime(), s.start), realStart: Date.now(), factor: speed };
  const at = (hhmm: string) => atTimeOfDay(day.getTime(), hhmm);

  // serial devices on pseudo-terminals when socat is here (or the scenario insists)
  const havePty = await hasSocat();
  const wantPty = s.devices.serial === 'pty' || (s.devices.serial === 'auto' && havePty);
  if ((s.lockers || s.devices.serial === 'pty') && !havePty) throw new ScenarioError(`scenario ${s.name} needs Debian's socat for its serial devices`);
  const simDevices: Record<string, unknown>[] = [];
  const scaleOnPty = wantPty && s.stops.length > 0;
  if (scaleOnPty) simDevices.push({ protocol: 'mt-sics', id: 'scale-1', settleMs: 400 });
  if (s.devices.serialGps && wantPty) simDevices.push({ protocol: 'nmea', id: 'gps-2', route: [s.depot, ...s.stops.map((x) => ({ lat: x.address.lat, lon: x.address.lon })), s.depot], speedKmh: s.driveKmh });
  if ((s.faults.length > 0 || s.devices.serialGps) && !wantPty) throw new ScenarioError(`scenario ${s.name} simulates device faults: it needs Debian's socat`);
  if (s.lockers) simDevices.push(lockerSimSpec(s.lockers));
  if (s.devices.printer) simDevices.push({ protocol: 'escpos', id: 'printer-1', link: 'tcp', gateway: { pollMs: 1000 } });
  const sims: Simulators | undefined = simDevices.length
    ? await startSimulators({ kit: s.kit, tickMs: 0, devices: simDevices }, { now: () => simNow(clock), tickMs: 50 })
    : undefined;
  const scaleEntry = scaleOnPty
    ? { ...sims!.devices.find((d) => d.id === 'scale-1')!.entry, poll: { command: 'SIR', everyMs: 100 } }
    : { id: 'scale-1', kind: 'scale', kit: s.kit, transport: { type: 'mqtt' }, credentials: { passwordHash: scaleHash } };

  const config = {
    gateway: { id: gatewayId, dataDir: path.join(workDir, 'data'), logLevel: 'info' },
    mqtt: { host: '127.0.0.1', port: mqttPort, wsPort: null },
    http: { host: '127.0.0.1', port: httpPort, apiTokens: [{ name: 'scenario-runner', tokenHash: apiTokenHash }] },
    kits: [{ id: s.kit, courierId: s.courier }],
    operators: [{ username: 'tech', passwordHash: operatorHash }],
    devices: [
      { id: 'app-1', kind: 'app', kit: s.kit, transport: { type: 'mqtt' }, credentials: { passwordHash: appHash } },
      scaleEntry,
      { id: 'gps-1', kind: 'gps', kit: s.kit, transport: { type: 'mqtt' }, credentials: { passwordHash: gpsHash } },
      ...(s.lockers && sims ? lockerGatewayDevices(s.lockers, s.kit, sims, terminalHash) : []),
      ...(sims?.devices.filter((d) => d.id === 'gps-2').map((d) => ({ ...d.entry, kit: `${s.kit}-tracker` })) ?? []),
      ...(sims?.devices.filter((d) => d.id === 'printer-1').map((d) => d.entry) ?? []),
    ],
    // a courier takes real seconds between scan and weighing, whatever the time factor
    rules: { pairingWindowMs: s.pairingWindowS * 1000 },
    dispatch: { transport: 'http', url: dispatch.url, token },
    simulation: clock,
  };
  const configFile = path.join(workDir, 'gateway.yaml');
  await writeFile(configFile, toYaml(config));
  log(`scenario ${s.name}: ${s.stops.length} stops${s.lockers ? `, locker bank ${s.lockers.bank}` : ''} at ${speed}x; ${scaleOnPty ? 'MT-SICS scale on a pseudo-terminal' : 'MQTT-native scale'}; work dir ${workDir}`);

  // dispatch assigns the day's tasks over the downlink
  dispatch.addDownlink({
    gatewayId,
    items: [
      ...s.stops.map((stop, i) => ({ id: `assign-${stop.id}`, kind: 'task.assign', task: taskOf(s, stop, i, at) })),
      ...(s.lockers ? lockerDownlink(s.lockers, s.kit, s.depot, { from: new Date(at(s.start)).toISOString(), to: new Date(at('23:59')).toISOString() }) : []),
    ],
  });

  const gateway = new GatewayProcess({ configFile, httpUrl, logFile: path.join(workDir, 'gateway.log') });
  const devices: MqttDevice[] = [];
  const failures: string[] = [];
  const visits: VisitLog[] = [];
  let stopTimers = false;
  try {
    await gateway.start();
    log(`gateway up; dashboard ${httpUrl}/dashboard/ (user tech, password ${options.operatorPassword === undefined ? passwords.operator : 'as given'})`);
    const app = new KitApp(mqttUrl, 'app-1', passwords.app, s.kit, { answerTasks: true });
    const gps = new MqttDevice(mqttUrl, 'gps-1', passwords.gps);
    devices.push(app, gps);
    const scale: Scale = sims && scaleOnPty ? ptyScale(sims) : mqttScale(new MqttDevice(mqttUrl, 'scale-1', passwords.scale), devices, clock);
    await Promise.all(devices.map((d) => d.connected()));

    // link outages and power cuts run on the simulated clock beside the van
    const background: Promise<void>[] = [];
    for (const o of s.outages) {
      background.push(
        (async () => {
          await sleepUntilSim(clock, at(o.from));
          if (stopTimers) return;
          dispatch.setFaults({ down: true, retryAfterSeconds: 1 });
          log(`${o.from} dispatch unreachable`);
          await sleepUntilSim(clock, at(o.to));
          dispatch.setFaults({ down: false });
          log(`${o.to} dispatch reachable again`);
        })(),
      );
    }
    for (const p of s.powerCuts) {
      background.push(
        (async () => {
          await sleepUntilSim(clock, at(p.at));
          if (stopTimers) return;
          log(`${p.at} power cut: gateway killed (SIGKILL)`);
          await gateway.powerCut();
          log('gateway restarted');
        })(),
      );
    }

    for (const f of s.faults) {
      background.push(
        (async () => {
          await sleepUntilSim(clock, at(f.at));
          if (stopTimers || !sims) return;
          const r = await sims.control(f.device, f.fault, f.args);
          log(`${f.at} fault: ${f.device} ${f.fault}${r.ok ? '' : ` failed: ${r.message ?? r.error}`}`);
          if (f.open) await operatorOpen(mqttUrl, passwords.operator, f.device, f.open);
        })(),
      );
    }

    // the GPS reports the van's position every 5 simulated seconds
    let pos = { ...s.depot };
    let kmh = 0;
    let gpsRunning = true;
    const gpsLoop = (async () => {
      while (gpsRunning) {
        const now = simNow(clock);
        await gps.publish('position', { lat: round6(pos.lat), lon: round6(pos.lon), speedKmh: kmh, fix: '3d', accuracyM: 5, at: new Date(now).toISOString() }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.max(5, 5000 / speed)));
      }
    })();

    const driveTo = async (target: { lat: number; lon: number }) => {
      const km = (haversineM(pos, target) / 1000) * 1.3;
      const simMs = (km / s.driveKmh) * 3_600_000;
      const from = { ...pos };
      const start = simNow(clock);
      kmh = s.driveKmh;
      for (;;) {
        const f = Math.min(1, (simNow(clock) - start) / simMs);
        pos = { lat: from.lat + (target.lat - from.lat) * f, lon: from.lon + (target.lon - from.lon) * f };
        if (f >= 1) break;
        await new Promise((r) => setTimeout(r, Math.max(5, 2000 / speed)));
      }
      kmh = 0;
    };

    for (const [i, stop] of s.stops.entries()) {
      await driveTo(stop.address);
      const arrivedAt = simNow(clock);
      await sleepUntilSim(clock, arrivedAt + 30_000);
      const visit: VisitLog = { stop, arrivedAt, pickedUp: 0, exception: undefined, closed: undefined, verdicts: [] };
      visits.push(visit);
      if (stop.event && EXCEPTION_EVENTS.has(stop.event)) {
        await app.publish('exception', { taskId: stop.id, reason: stop.event, at: new Date(simNow(clock)).toISOString() });
        visit.exception = stop.event;
      } else {
        for (const parcel of stop.parcels) {
          if (stop.event === 'stuck-scale' && sims) {
            // the scale never settles: the scan is refused (WEIGHT_UNSTABLE); once it settles the courier weighs again
            await sims.control('scale-1', 'motion', { on: true });
            const mark = app.mark;
            await app.publish('scan', { code: parcel.waybill, symbology: 'code128', at: new Date(simNow(clock)).toISOString() });
            await sims.control('scale-1', 'load', { grams: parcel.grams });
            const stuck = await app.waitVerdict((v) => v.type === 'verdict' && v.scan?.code === parcel.waybill, mark, s.pairingWindowS * 1000 + 5000);
            visit.verdicts.push(stuck);
            await sims.control('scale-1', 'motion', { on: false });
            await scale.load(0);
          }
          const v = await pickUp(app, scale, stop, parcel, clock, log, s.weightFirstS * 1000);
          visit.verdicts.push(v);
          if (v?.recorded) visit.pickedUp++;
        }
        if (stop.event === 'fewer-parcels') {
          // the last parcel is not ready: the courier closes the stop short
          const mark = app.mark;
          await app.publish('close', { taskId: stop.id, reason: 'fewer-parcels', note: `${visit.pickedUp} of ${stop.expectedPieces} parcels ready`, at: new Date(simNow(clock)).toISOString() });
          const closed = await app.waitVerdict((v) => v.type === 'closed' && v.taskId === stop.id, mark, 5000);
          if (closed?.recorded === true) visit.closed = 'fewer-parcels';
          else failures.push(`${stop.id}: the stop was not closed short (${closed ? String(closed.error ?? closed.reason) : 'no answer'})`);
        }
      }
      await sleepUntilSim(clock, arrivedAt + stop.dwellMin * 60_000);
      log(`${hhmm(simNow(clock))} stop ${i + 1}/${s.stops.length} ${stop.id}: ${visit.exception ?? `${visit.pickedUp} picked up${visit.closed ? `, closed short (${visit.closed})` : ''}`}`);
    }
    gpsRunning = false;
    await gpsLoop;
    let lockerResult: LockerRunResult | undefined;
    if (s.lockers && sims) {
      lockerResult = await runLockers(s.lockers, { mqttUrl, terminalPassword: passwords.terminal, sims, dispatch, gatewayId, clock, at, log });
    }
    stopTimers = true;
    dispatch.setFaults({ down: false });
    await Promise.all(background);

    // everything recorded reaches dispatch once the link is back
    const expected = visits.reduce((n, v) => n + v.pickedUp + (v.exception ? 1 : 0) + (v.closed ? 1 : 0), 0) + (lockerResult?.records ?? 0);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (keptAtDispatch(dispatch) >= expected && (await outboxEmpty(httpUrl, auth))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const figures = computeFigures(visits, dispatch);
    if (s.devices.printer && sims) figures.receipts = await receiptsPrinted(sims, figures.pickupsCompleted, options.keep ? workDir : os.tmpdir(), `${s.name}-last-receipt.png`, failures);
    failures.push(...checkExpectations(s, figures, dispatch, expected));
    const heard = new Set(lockerResult?.reasons ?? []);
    for (const want of s.expect.terminalReasons) if (!heard.has(want)) failures.push(`expected the terminal to be answered with ${want}, heard ${[...heard].join(', ') || 'nothing'}`);
    failures.push(...(await checkDeviceExpectations(s, httpUrl, auth, dispatch, visits)));
    const report: ScenarioReport = { ok: failures.length === 0, failures, figures, workDir, httpUrl, realSeconds: Math.round((Date.now() - t0) / 100) / 10 };
    await options.hold?.(report);
    return report;
  } finally {
    stopTimers = true;
    await Promise.all(devices.map((d) => d.close()));
    const code = await gateway.stop();
    await sims?.close();
    if (code !== 0 && code !== null) log(`gateway exited with code ${code}`);
    await dispatch.close();
    if (!options.keep && failures.length === 0) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** An operator opens a compartment (the bank's own command topic), as a technician would from the dashboard. */
async function operatorOpen(mqttUrl: string, password: string, bank: string, compartment: string): Promise<void> {
  const op = new MqttDevice(mqttUrl, 'tech', password);
  try {
    await op.connected();
    const cmd = { id: `open-${compartment}-${Date.now()}`, compartment, expiresAt: new Date(Date.now() + 60_000).toISOString() };
    await op.client.publishAsync(topics.deviceCommand(bank, 'open'), JSON.stringify(cmd), { qos: 1 });
  } finally {
    await op.close();
  }
}

/** What the devices must have shown: fault counts on /metrics, alarms on /healthz, states at dispatch, verdict reasons. */
async function checkDeviceExpectations(s: Scenario, httpUrl: string, auth: Record<string, string>, dispatch: DispatchSim, visits: VisitLog[]): Promise<string[]> {
  const out: string[] = [];
  const e = s.expect;
  if (Object.keys(e.minFaults).length > 0) {
    const text = await (await fetch(`${httpUrl}/metrics`, { headers: auth })).text();
    for (const [key, min] of Object.entries(e.minFaults)) {
      const [device, kind] = key.split(':');
      const line = text.split('\n').find((l) => l.startsWith('cg_device_faults_total{') && l.includes(`device="${device}"`) && l.includes(`kind="${kind}"`));
      const n = line ? Number(line.split(' ').at(-1)) : 0;
      if (n < min) out.push(`expected at least ${min} "${kind}" fault(s) of ${device} on /metrics, got ${n}`);
    }
  }
  if (e.alarms.length > 0) {
    const health = (await (await fetch(`${httpUrl}/healthz`, { headers: auth })).json()) as { alarms?: { kind: string }[] };
    for (const kind of e.alarms) if (!health.alarms?.some((a) => a.kind === kind)) out.push(`expected an active "${kind}" alarm on /healthz`);
  }
  for (const [device, states] of Object.entries(e.deviceStates)) {
    const seen = new Set(dispatch.records({ kind: 'device.health' }).filter((r) => (r.body as { device?: string }).device === device).map((r) => (r.body as { state: string }).state));
    for (const st of states) if (!seen.has(st)) out.push(`expected dispatch to hear ${device} ${st} (device.health), heard ${[...seen].join(', ') || 'nothing'}`);
  }
  const reasons = new Set(visits.flatMap((v) => v.verdicts.flatMap((x) => (x?.reasons ?? []).map((r) => r.code))));
  // an entry may name alternatives: "WEIGHT_UNSTABLE|NO_WEIGHT"
  for (const want of e.verdictReasons) if (!want.split('|').some((c) => reasons.has(c))) out.push(`expected a verdict with ${want.split('|').join(' or ')}`);
  return out;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function taskOf(s: Scenario, stop: Stop, i: number, at: (hhmm: string) => number): Record<string, unknown> {
  const p = stop.parcels[0];
  // one parcel: the task expects its waybill; several: any parcel of the customer, as many as expected
  const one = stop.parcels.length === 1 && stop.expectedPieces === undefined;
  return {
    id: stop.id,
    kit: s.kit,
    waybill: one ? p.waybill.replace(/^BAD-/, '') : undefined,
    customer: stop.customer,
    address: stop.address,
    window: { from: new Date(at(stop.window.from)).toISOString(), to: new Date(at(stop.window.to)).toISOString() },
    declaredWeightGrams: one ? p.declaredGrams : undefined,
    ...(one ? {} : { expectedPieces: stop.expectedPieces ?? stop.parcels.length }),
    service: stop.service,
    sequence: i + 1,
    ...(p.dimensions ? { dimensions: p.dimensions } : {}),
  };
}

/** Scan, weigh, wait for the verdict; confirm a review; re-scan after a lost answer (power cut). */
async function pickUp(app: KitApp, scale: Scale, stop: Stop, parcel: Stop['parcels'][number], clock: SimClockSpec, log: (l: string) => void, weightFirstMs: number): Promise<Verdict | undefined> {
  const code = stop.event === 'bad-waybill' ? parcel.waybill.replace(/\d(?=[A-Z]{2}$)/, (d) => String((Number(d) + 1) % 10)) : parcel.waybill;
  for (let attempt = 1; attempt <= 4; attempt++) {
    const mark = app.mark;
    const nowIso = () => new Date(simNow(clock)).toISOString();
    const grams = stop.event === 'wrong-weight' ? Math.round(parcel.grams * 1.5) : parcel.grams;
    if (stop.event === 'reweigh' && attempt === 1) {
      // weighed first, badly placed, then weighed again: the newer stable weight counts
      await scale.load(parcel.grams + 900);
      await scale.load(grams);
      await app.publish('scan', { code, symbology: 'code128', at: nowIso() }).catch(() => undefined);
    } else if (stop.event === 'weight-first' && attempt === 1) {
      // the parcel lies on the scale long past the pairing window before the courier scans it
      await scale.load(grams);
      log(`  ${stop.id}: parcel on the scale, scanned in ${weightFirstMs / 1000} s`);
      await new Promise((r) => setTimeout(r, weightFirstMs));
      await app.publish('scan', { code, symbology: 'code128', at: nowIso() }).catch(() => undefined);
    } else {
      await app.publish('scan', { code, symbology: 'code128', at: nowIso() }).catch(() => undefined);
      await scale.load(grams);
    }
    const verdict = await app.waitVerdict((v) => v.type === 'verdict' && v.scan?.code === code, mark, 3000);
    if (!verdict) {
      log(`  ${stop.id}: no verdict for ${code} (attempt ${attempt}); scanning again`);
      await scale.load(0);
      continue;
    }
    const codes = (verdict.reasons ?? []).map((r) => r.code);
    if (verdict.outcome === 'rejected') {
      await scale.load(0);
      // after a lost answer, the first attempt may have been recorded already
      if (codes.includes('DUPLICATE_PICKUP') && attempt > 1) return { ...verdict, recorded: true };
      return verdict;
    }
    const vid = verdict.verdictId!;
    if (verdict.outcome === 'needs-review') await app.publish('confirm', { verdictId: vid, at: nowIso() });
    const recorded = await app.waitVerdict((v) => v.type === 'recorded' && v.verdictId === vid, mark, 3000);
    await scale.load(0);
    if (recorded?.recorded) return { ...verdict, ...recorded, type: 'verdict' };
    log(`  ${stop.id}: ${recorded ? `not recorded (${recorded.reason})` : 'no "recorded" answer'} for ${code} (attempt ${attempt}); scanning again`);
  }
  return undefined;
}

async function outboxEmpty(httpUrl: string, auth: Record<string, string>): Promise<boolean> {
  try {
    const health = (await (await fetch(`${httpUrl}/healthz`, { headers: auth, signal: AbortSignal.timeout(1000) })).json()) as { components?: { journal?: { depth?: Record<string, number> } } };
    const depth = health.components?.journal?.depth;
    return depth ? Object.values(depth).every((d) => d === 0) : true;
  } catch {
    return false;
  }
}

/** the kinds the runner's own steps write, one record per step it saw answered */
const STEP_KINDS = ['pickup.completed', 'pickup.exception', 'pickup.closed', 'locker.event', 'consent.missing', 'consent.given', 'customer.feedback'];

function keptAtDispatch(dispatch: DispatchSim): number {
  const sum = dispatch.summary();
  return STEP_KINDS.reduce((n, k) => n + (sum.perKind[k] ?? 0), 0);
}

function checkExpectations(s: Scenario, f: Figures, dispatch: DispatchSim, expectedRecords: number): string[] {
  const out: string[] = [];
  const sum = dispatch.summary();
  const atDispatch = keptAtDispatch(dispatch);
  if (s.expect.allRecordsAtDispatch && atDispatch < expectedRecords) out.push(`only ${atDispatch} of ${expectedRecords} pickup, exception, locker, consent and feedback records reached dispatch`);
  for (const [kind, n] of Object.entries(s.expect.records)) {
    if ((sum.perKind[kind] ?? 0) !== n) out.push(`expected ${n} ${kind} record(s) at dispatch, got ${sum.perKind[kind] ?? 0}`);
  }
  for (const [event, n] of Object.entries(s.expect.lockerEvents)) {
    if ((f.lockerEvents[event] ?? 0) !== n) out.push(`expected ${n} "${event}" locker event(s) at dispatch, got ${f.lockerEvents[event] ?? 0}`);
  }
  if (s.expect.pickups !== undefined && f.pickupsCompleted !== s.expect.pickups) out.push(`expected ${s.expect.pickups} pickups at dispatch, got ${f.pickupsCompleted}`);
  for (const [reason, n] of Object.entries(s.expect.exceptions)) {
    if ((f.exceptionsByReason[reason] ?? 0) !== n) out.push(`expected ${n} "${reason}" exception(s) at dispatch, got ${f.exceptionsByReason[reason] ?? 0}`);
  }
  for (const [reason, n] of Object.entries(s.expect.delayNotices)) {
    if ((f.delayNotices[reason] ?? 0) !== n) out.push(`expected ${n} "${reason}" delay notice(s) at dispatch, got ${f.delayNotices[reason] ?? 0}`);
  }
  for (const [taskId, want] of Object.entries(s.expect.pieces)) {
    const got = dispatch.records({ kind: 'pickup.completed' }).map((r) => r.body as { taskId?: string; pieces?: { piece: number; of: number | null } | null }).filter((b) => b.taskId === taskId);
    const of = want.of === 'any' ? null : want.of;
    const numbered = got.map((b) => b.pieces?.piece).sort((a, b) => (a ?? 0) - (b ?? 0));
    const ok = got.length === want.recorded && got.every((b) => b.pieces?.of === of) && numbered.every((k, i) => k === i + 1);
    if (!ok) out.push(`expected ${want.recorded} pickup(s) of ${taskId} marked 1..${want.recorded} of ${want.of}, got ${JSON.stringify(got.map((b) => b.pieces))}`);
  }
  if (s.expect.noSeqGaps && sum.gapCount > 0) out.push(`dispatch saw ${sum.gapCount} gap(s) in seq`);
  if (sum.changedUnderSameId > 0) out.push(`dispatch received ${sum.changedUnderSameId} changed record(s) under an id it had`);
  return out;
}

/** the van printer's receipts: one per pickup, none twice; waits for the last to come out, saves it as a PNG */
async function receiptsPrinted(sims: Simulators, pickups: number, dir: string, name: string, failures: string[]): Promise<{ printed: number; png?: string }> {
  const pages = () => Number((sims.describe('printer-1') as { pages?: number } | undefined)?.pages ?? 0);
  const deadline = Date.now() + 10_000;
  while (pages() < pickups && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const printed = pages();
  if (printed !== pickups) failures.push(`the van's printer printed ${printed} receipt(s) for ${pickups} pickup(s)`);
  const png = path.join(dir, name);
  const saved = await sims.control('printer-1', 'last-print', { file: png });
  return { printed, ...(saved.ok ? { png } : {}) };
}

/** The kit's scale as the runner drives it: a parcel goes on (or comes off) the platform. */
interface Scale {
  load(grams: number): Promise<void>;
}

function mqttScale(device: MqttDevice, devices: MqttDevice[], clock: SimClockSpec): Scale {
  devices.push(device);
  return {
    async load(grams) {
      await device.publish('weight', { grams, stable: true, at: new Date(simNow(clock)).toISOString() }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 5));
    },
  };
}

/** An MT-SICS scale simulated on a pseudo-terminal: the gateway reads it with its own driver. */
function ptyScale(sims: Simulators): Scale {
  return {
    async load(grams) {
      await sims.control('scale-1', 'load', { grams });
      // the gateway polls the balance; give it a few polls to see the load settle
      await new Promise((r) => setTimeout(r, 350));
    },
  };
}

async function hasSocat(): Promise<boolean> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => execFile('socat', ['-V'], (err) => resolve(!err)));
}
