/**
 * Builds a gateway from a config: the runtime plus every component, in start order —
 * clock, journal, tasks, the pickup pipeline, ETA, lockers, camera images, the link to
 * dispatch and the dashboard — and the one place where the bus feeds them.
 */
import path from 'node:path';
import { Counter } from 'prom-client';
import { ulid } from 'ulid';
import type { Logger } from 'pino';
import type { Transports } from '../devices/transports/types.js';
import type { ProtocolDefinition } from '../devices/driver.js';
import type { DeviceEvent } from '../devices/events.js';
import { classifyWaybill } from '../devices/scanner/waybill.js';
import { createTransports } from '../devices/transports/index.js';
import { createSimRemoteBackends } from '../devices/transports/sim-remote.js';
import { ClockMonitor } from '../clock/clock.js';
import { EtaTracker, registerEtaMetrics, type EtaTask } from '../eta/index.js';
import { PickupPipeline } from '../rules/pipeline.js';
import { TelemetryRecorder } from '../telemetry/telemetry.js';
import type { DownlinkState } from '../cloud-sync/sync/index.js';
import { TaskStore, type PickupMark } from '../rules/tasks.js';
import { saveConfigPatch, type Config } from './config.js';
import { packageRoot } from '../core/package.js';
import { Gateway } from './runtime.js';
import { JournalComponent } from './journal-component.js';
import { SyncComponent } from './sync-component.js';
import { LockerComponent } from './locker-component.js';
import { ImageComponent } from './image-component.js';
import { mountDashboard, type DashboardOptions } from './dashboard/index.js';
import { StateFile } from './state-file.js';
import { topics } from '../core/topics.js';

export interface AssembleOptions {
  log?: Logger;
  transports?: Transports;
  findProtocol?: (name: string) => ProtocolDefinition | undefined;
  dashboard?: DashboardOptions;
}

export const shippedRulesDir = path.join(packageRoot, 'rules', 'sets', 'pickup');

export function assembleGateway(config: Config, options: AssembleOptions = {}): Gateway {
  const sim = config.simulation;
  const now = sim ? () => sim.simStart + (Date.now() - sim.realStart) * sim.factor : Date.now;
  const simRemote = config.simTransport ? createSimRemoteBackends(config.simTransport) : undefined;
  const transports = options.transports ?? (simRemote ? { ...createTransports(), hid: simRemote.hid, ble: simRemote.ble } : undefined);
  const gateway = new Gateway(config, { ...options, transports, now });
  if (simRemote) gateway.add({ name: 'sim-transport', start: async () => undefined, stop: () => simRemote.close() });
  const { log, bus, broker, metrics } = gateway;
  const dataDir = config.gateway.dataDir;
  mountDashboard(gateway, options.dashboard);

  const bootId = ulid(Date.now());
  // the newest pickups still in the journal on open: marked in the task store if a crash
  // lost the mark (only the last moments before a crash can have lost one)
  const replayedPickups: PickupMark[] = [];
  const REPLAY_TAIL = 1000;
  const journal: JournalComponent = new JournalComponent({
    dataDir,
    gatewayId: config.gateway.id,
    quotaBytes: config.journal.quotaBytes,
    clock: () => clock.quality(),
    bootId,
    now,
    log: log.child({ component: 'journal' }),
    bus,
    registry: metrics.registry,
    onReplay: (env) => {
      if (env.kind !== 'pickup.completed') return;
      const b = env.body as { waybill?: string; taskId?: string | null; verdictId?: string; receipt?: string };
      if (typeof b.waybill === 'string' && b.waybill !== '') {
        if (replayedPickups.length >= REPLAY_TAIL) replayedPickups.shift();
        replayedPickups.push({ waybill: b.waybill, kit: env.kit ?? env.stream, taskId: b.taskId ?? undefined, verdictId: b.verdictId ?? env.id, receipt: b.receipt ?? '', at: Date.parse(env.createdAt) });
      }
    },
  });
  const clock: ClockMonitor = new ClockMonitor({ sink: journal, stream: config.gateway.id, log: log.child({ component: 'clock' }), now, bootId });

  const tasksRefused = new Counter({ name: 'cg_tasks_refused_total', help: 'Tasks refused (invalid) from the tasks file or dispatch', registers: [metrics.registry] });
  const tasks = new TaskStore({
    dataDir,
    file: config.tasks.file,
    log: log.child({ component: 'tasks' }),
    publishTasks: (kit, list) => {
      void broker.publish(topics.kitTasks(kit), { kit, tasks: list, at: new Date(now()).toISOString() }, { retain: true, qos: 1 });
      void eta.tasksChanged(kit);
    },
    onRefused: () => tasksRefused.inc(),
  });

  const verdicts = new Counter({ name: 'cg_verdicts_total', help: 'Verdicts by outcome', labelNames: ['outcome'], registers: [metrics.registry] });
  const rulesetRefused = new Counter({ name: 'cg_ruleset_refused_total', help: 'Rule sets refused (invalid, or failing their fixtures)', registers: [metrics.registry] });
  let recordAlarm = false;
  const recordsCounter = new Counter({ name: 'cg_records_total', help: 'Records handed to the journal, by kind and result', labelNames: ['kind', 'result'], registers: [metrics.registry] });
  const pipeline = new PickupPipeline({
    gatewayId: config.gateway.id,
    publish: (topic, payload, opts) => void broker.publish(topic, payload, opts).catch(() => undefined),
    sink: journal,
    tasks,
    log: log.child({ component: 'pipeline' }),
    metrics: {
      observeLatency: (ms) => metrics.verdictLatency.observe(ms / 1000),
      countVerdict: (outcome) => verdicts.inc({ outcome }),
      countRulesetRefused: () => rulesetRefused.inc(),
      countRecord: (kind, result) => {
        recordsCounter.inc({ kind, result });
        // a pickup the kit was told is not recorded is an alarm until one is recorded again
        const refused = result !== 'ok';
        if (refused === recordAlarm) return;
        recordAlarm = refused;
        bus.emit('alarm', { kind: 'record-refused', source: 'pipeline', message: refused ? `a ${kind} record was refused: ${result}` : 'records are kept again', active: refused, at: now() });
      },
    },
    classify: (code) => classifyWaybill(code, config.rules.carriers ?? []),
    now,
    clockQuality: () => clock.quality(),
    rulesDir: config.rules.dir ?? shippedRulesDir,
    dataDir,
    pairingWindowMs: config.rules.pairingWindowMs,
    severity: config.rules.unknownTask === 'reject' ? { UNKNOWN_TASK: 'reject' } : undefined,
  });

  const eta = new EtaTracker({
    sink: journal,
    tasksFor: (kit): EtaTask[] => tasks.list(kit).map((t) => ({ id: t.id, kit: t.kit, address: t.address, window: t.window, sequence: t.sequence })),
    log: log.child({ component: 'eta' }),
    now,
    clock,
    options: config.eta as Record<string, never>,
  });
  registerEtaMetrics(metrics.registry, eta);

  const lockers = new LockerComponent({ config, devices: () => gateway.devices, broker, bus, sink: journal, log: log.child({ component: 'lockers' }), now });
  const images = new ImageComponent({ bus, broker, devices: () => gateway.devices, log: log.child({ component: 'images' }), registry: metrics.registry });

  let gatewayState: StateFile<{ downlink?: DownlinkState }> | undefined;
  const sync = new SyncComponent({
    config,
    outbox: () => journal.journal!,
    state: { get: () => gatewayState?.data.downlink, set: (s) => gatewayState!.update((x) => void (x.downlink = s)) },
    handlers: {
      onTask: async (task) => {
        const r = await tasks.upsert(task, 'dispatch');
        if (!r.ok) throw new Error(`task refused: ${r.errors.join('; ')}`);
      },
      onTaskCancel: async (taskId) => void (await tasks.cancel(taskId)),
      onRuleset: async (ruleset) => {
        const r = await pipeline.loadRuleSet(ruleset as never, 'dispatch');
        return r.ok ? { ok: true } : { ok: false, reason: r.errors.join('; ') };
      },
      onConfigPatch: async (patch) => {
        await saveConfigPatch(dataDir, patch);
        log.info({ keys: Object.keys(patch) }, 'config patch from dispatch saved; it applies from the next start');
      },
      onCollectionCode: (code) => lockers.setCollectionCode(code),
    },
    log: log.child({ component: 'sync' }),
    registry: metrics.registry,
    bus,
    now,
  });

  const telemetry = new TelemetryRecorder({ sink: journal, log: log.child({ component: 'telemetry' }), now });
  bus.on('telemetry', 'device-status', (st) => {
    if (st.state !== 'connecting') telemetry.health(st.deviceId, st.kit, st.state, st.detail);
  });

  const lockerDevices = lockers.ownedDevices();
  const gpsDevices = new Set(config.devices.filter((d) => d.kind === 'gps').map((d) => d.id));
  const route = (e: DeviceEvent) => {
    if (lockerDevices.has(e.deviceId)) return;
    if (e.type === 'position') {
      void eta.handle(e);
      telemetry.position(e as DeviceEvent<'position'>);
      const at = (e.payload as { at?: string; fix?: string }).at;
      if (at && gpsDevices.has(e.deviceId) && (e.payload as { fix?: string }).fix !== 'none') clock.offerGps(at, e.receivedAt);
    }
    pipeline.handle(e);
  };

  gateway.add({
    name: 'clock',
    start: () => clock.start(),
    stop: () => clock.stop(),
    status: () => ({ quality: clock.quality(), bootId: clock.bootId, offsetMs: clock.offsetMs() }),
  });
  gateway.add(journal);
  gateway.add({
    name: 'tasks',
    start: async () => {
      gatewayState = await StateFile.open<{ downlink?: DownlinkState }>(path.join(dataDir, 'gateway-state.json'), {});
      await tasks.start();
      await tasks.seedPickups(replayedPickups.splice(0));
    },
    stop: () => tasks.stop(),
  });
  gateway.add({
    name: 'rules',
    start: async () => {
      await pipeline.start();
      bus.on('pipeline', 'device-event', route);
    },
    stop: async () => {
      bus.off('pipeline');
      await pipeline.stop();
    },
    status: () => ({ version: pipeline.rules.version }),
  });
  gateway.add({ name: 'eta', start: () => eta.start(), stop: () => eta.stop(), status: () => ({ ...eta.stats() }) });
  gateway.add(lockers);
  gateway.add(images);
  gateway.add(sync);
  return gateway;
}
