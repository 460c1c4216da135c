/**
 * The ETA tracker as a gateway component: fed every position (locker devices aside) and
 * told whenever a kit's tasks change; an exception at a stop becomes a delay notice; its
 * figures on /metrics. The kits' workload follows the same task lists, parcels recorded at
 * stops that expect several, closed tasks, and the tracker's plans.
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
      if (!state) return;
      if (!state.open) {
        eta.taskClosed(kit, taskId);
        void workload.taskClosed(kit, taskId);
      } else if (state.pieces) {
        // a parcel of a stop that expects more: its remaining pieces drop
        void workload.taskProgressed(kit, { id: taskId, expectedPieces: state.pieces.expected, piecesDone: state.pieces.done });
      }
      if (state.state === 'exception') void eta.exception(kit, taskId, state.reason ?? 'other', state.at);
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
