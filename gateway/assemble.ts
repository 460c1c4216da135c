/**
 * Builds a gateway from a config: the runtime plus every component, listed in start order
 * — the simulator transport, the dashboard, clock, journal, ETA, tasks, the pickup
 * pipeline, lockers, camera images, printers, telemetry and the link to dispatch. Each component
 * subscribes to the bus itself (docs/architecture.md lists who hears what).
 */
import path from 'node:path';
import { Counter } from 'prom-client';
import { ulid } from '../core/ids.js';
import type { Logger } from 'pino';
import type { Transports } from '../devices/transports/types.js';
import type { ProtocolDefinition } from '../devices/driver.js';
import { classifyWaybill } from '../devices/scanner/waybill.js';
import { createTransports } from '../devices/transports/index.js';
import { createSimRemoteBackends } from '../devices/transports/sim-remote.js';
import { ClockMonitor } from '../clock/clock.js';
import { EtaTracker, KitWorkload, LearnedModel, type EtaTask } from '../eta/index.js';
import { PickupPipeline } from '../rules/pipeline.js';
import { ReplayedTail } from '../rules/marks-replay.js';
import { TaskStore } from '../rules/tasks.js';
import { TaskAnswers } from '../rules/assignments.js';
import { topics } from '../core/topics.js';
import { TelemetryRecorder } from '../telemetry/telemetry.js';
import { packageRoot } from '../core/package.js';
import type { Config } from './config.js';
import { Gateway } from './runtime.js';
import { ClockComponent } from './clock-component.js';
import { JournalComponent } from './journal-component.js';
import { EtaComponent } from './eta-component.js';
import { TasksComponent } from './tasks-component.js';
import { RulesComponent } from './rules-component.js';
import { GatewayPipelineMetrics } from './pipeline-metrics.js';
import { LockerComponent } from './locker-component.js';
import { ImageComponent } from './image-component.js';
import { PrinterComponent } from './printer-component.js';
import type { RecordSink } from '../rules/records.js';
import { TelemetryComponent } from './telemetry-component.js';
import { SyncComponent } from './sync-component.js';
import { GatewayDownlink } from './downlink-handlers.js';
import { SimTransportComponent } from './sim-transport-component.js';
import { mountDashboard, type DashboardOptions } from './dashboard/index.js';

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
  const { log, bus, broker, metrics } = gateway;
  const dataDir = config.gateway.dataDir;
  const bootId = ulid(Date.now());

  // the journal stamps each record with the clock's quality, the clock writes clock.sync
  // records to the journal: the one pair that needs a late-bound function
  const replayed = new ReplayedTail();
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
    onReplay: (record) => replayed.offer(record),
    replayTailRecords: replayed.limit,
  });
  const clock = new ClockMonitor({ sink: journal, stream: config.gateway.id, log: log.child({ component: 'clock' }), now, bootId });

  const tasksRefused = new Counter({ name: 'cg_tasks_refused_total', help: 'Tasks refused (invalid) from the tasks file or dispatch', registers: [metrics.registry] });
  const tasks = new TaskStore({
    dataDir,
    file: config.tasks.file,
    log: log.child({ component: 'tasks' }),
    publishTasks: (kit, list) => bus.emit('tasks-changed', { kit, tasks: list }),
    publishTaskState: (kit, taskId, state) => bus.emit('task-state', { kit, taskId, state }),
    onRefused: () => tasksRefused.inc(),
    onAssigned: (awaited) => answers.assigned(awaited),
    now,
  });
  const taskAnswers = new Counter({ name: 'cg_task_answers_total', help: "Couriers' answers to tasks (accepted, declined, refused by reason) and tasks left unanswered", labelNames: ['result'], registers: [metrics.registry] });
  // the kit's app and scanners hear an unanswered task again
  const answeringDevices = new Map<string, string[]>();
  for (const d of config.devices) if (d.kind === 'app' || d.kind === 'scanner') answeringDevices.set(d.kit, [...(answeringDevices.get(d.kit) ?? []), d.id]);
  const answers: TaskAnswers = new TaskAnswers({
    tasks,
    sink: journal,
    log: log.child({ component: 'task-answers' }),
    refuse: (deviceId, error, message, taskId) => broker.answerDevice(deviceId, error, message, { field: 'taskId', taskId, topic: topics.deviceEvent(deviceId, 'task') }),
    remind: (kit, taskId) => {
      const text = `New task ${taskId}: accept or decline it.`;
      for (const id of answeringDevices.get(kit) ?? []) void broker.publish(topics.deviceCommand(id, 'feedback'), { beep: 'warn', light: 'amber', text, taskId }, { qos: 1 }).catch(() => undefined);
    },
    count: (result) => taskAnswers.inc({ result }),
    unacknowledgedMs: config.tasks.unacknowledgedMs,
    now,
  });

  // a pickup's record on disk is told on the bus (receipts print from it), as the kit hears it
  const pickupSink: RecordSink = {
    async append(input) {
      const kept = await journal.append(input);
      if (input.kind === 'pickup.completed') bus.emit('pickup-recorded', { id: kept.id, kit: input.kit ?? '', createdAt: kept.createdAt, clock: kept.clock, body: input.body });
      return kept;
    },
  };
  const pipeline = new PickupPipeline({
    gatewayId: config.gateway.id,
    publish: (topic, payload, opts) => void broker.publish(topic, payload, opts).catch(() => undefined),
    sink: pickupSink,
    tasks,
    log: log.child({ component: 'pipeline' }),
    metrics: new GatewayPipelineMetrics(metrics, bus, now),
    classify: (code) => classifyWaybill(code, config.rules.carriers ?? []),
    now,
    clockQuality: () => clock.quality(),
    rulesDir: config.rules.dir ?? shippedRulesDir,
    dataDir,
    pairingWindowMs: config.rules.pairingWindowMs,
    severity: config.rules.unknownTask === 'reject' ? { UNKNOWN_TASK: 'reject' } : undefined,
  });

  broker.overload.add({ name: 'pipeline', size: () => pipeline.underWay, bound: config.mqtt.overload.maxInFlight });

  const workload = new KitWorkload({ sink: journal, log: log.child({ component: 'workload' }), now });
  const etaOptions = config.eta as { roadFactor?: number; maxDwellMs?: number };
  const learnedModel = new LearnedModel({ roadFactor: etaOptions.roadFactor, maxDwellMs: etaOptions.maxDwellMs });
  const eta = new EtaTracker({
    sink: journal,
    model: learnedModel,
    tasksFor: (kit): EtaTask[] => tasks.list(kit).map((t) => ({ id: t.id, kit: t.kit, address: t.address, window: t.window, sequence: t.sequence, service: t.service })),
    planned: (kit, plan) => void workload.planned(kit, plan),
    toldChanged: () => etaComponent.toldChanged(),
    log: log.child({ component: 'eta' }),
    now,
    clock,
    options: config.eta as Record<string, never>,
  });

  const lockers = new LockerComponent({
    config,
    host: gateway,
    broker,
    bus,
    sink: journal,
    log: log.child({ component: 'lockers' }),
    now,
    taskOf: (waybill) => {
      const t = tasks.taskForWaybill(waybill);
      return t && { taskId: t.id, kit: t.kit, handover: t.handover, consent: t.consent };
    },
  });
  const lockerDevices = lockers.ownedDevices();
  const gpsDevices = new Set(config.devices.filter((d) => d.kind === 'gps').map((d) => d.id));
  const telemetry = new TelemetryRecorder({ sink: journal, log: log.child({ component: 'telemetry' }), now });
  const printers = new PrinterComponent({ config, host: gateway, bus, http: gateway.http, tasks, log: log.child({ component: 'printers' }), registry: metrics.registry });
  const downlink = new GatewayDownlink({ tasks, pipeline, lockers, printers, dataDir, log });

  if (simRemote) gateway.add(new SimTransportComponent(simRemote));
  mountDashboard(gateway, options.dashboard);
  gateway.add(new ClockComponent({ clock, bus, gpsDevices }));
  gateway.add(journal);
  const etaComponent = new EtaComponent({ eta, workload, bus, registry: metrics.registry, lockerDevices, learned: { model: learnedModel, dataDir, log: log.child({ component: 'eta' }) } });
  gateway.add(etaComponent);
  gateway.add(new TasksComponent({ tasks, answers, replayed, bus, broker, now }));
  gateway.add(new RulesComponent({ pipeline, bus, lockerDevices }));
  gateway.add(lockers);
  gateway.add(new ImageComponent({ bus, broker, host: gateway, log: log.child({ component: 'images' }), registry: metrics.registry, budgetMs: config.images.budgetMs }));
  gateway.add(printers);
  gateway.add(new TelemetryComponent({ telemetry, bus, lockerDevices }));
  gateway.add(new SyncComponent({ config, journal, handlers: downlink, log: log.child({ component: 'sync' }), registry: metrics.registry, bus, now }));
  return gateway;
}
