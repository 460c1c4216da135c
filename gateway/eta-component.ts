/**
 * The ETA tracker as a gateway component: fed every position (locker devices aside) and
 * told whenever a kit's tasks change; its figures on /metrics. The kits' workload follows
 * the same task lists and closed tasks, and the tracker's plans.
 */
import type { Registry } from 'prom-client';
import { registerEtaMetrics, type EtaTracker, type KitWorkload } from '../eta/index.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

export interface EtaComponentOptions {
  eta: EtaTracker;
  workload: KitWorkload;
  bus: EventBus;
  registry: Registry;
  lockerDevices: ReadonlySet<string>;
}

export class EtaComponent implements Component {
  readonly name = 'eta';
  private registered = false;

  constructor(private readonly o: EtaComponentOptions) {}

  async start(): Promise<void> {
    const { eta, bus } = this.o;
    if (!this.registered) registerEtaMetrics(this.o.registry, eta);
    this.registered = true;
    await eta.start();
    const { workload } = this.o;
    bus.on(this.name, 'tasks-changed', ({ kit, tasks }) => {
      void workload.tasksChanged(kit, tasks);
      void eta.tasksChanged(kit);
    });
    bus.on(this.name, 'task-state', ({ kit, taskId, state }) => {
      if (!state || state.open) return;
      eta.taskClosed(kit, taskId);
      void workload.taskClosed(kit, taskId);
    });
    bus.on(this.name, 'device-event', (e) => {
      if (e.type === 'position' && !this.o.lockerDevices.has(e.deviceId)) void eta.handle(e);
    });
  }

  async stop(): Promise<void> {
    this.o.bus.off(this.name);
    await this.o.eta.stop();
  }

  status(): Record<string, unknown> {
    return { ...this.o.eta.stats(), workloadRecords: this.o.workload.records };
  }
}
