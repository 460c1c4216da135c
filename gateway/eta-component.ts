/**
 * The ETA tracker as a gateway component: fed every position (locker devices aside) and
 * told whenever a kit's tasks change; its figures on /metrics.
 */
import type { Registry } from 'prom-client';
import { registerEtaMetrics, type EtaTracker } from '../eta/index.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

export interface EtaComponentOptions {
  eta: EtaTracker;
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
    bus.on(this.name, 'tasks-changed', ({ kit }) => void eta.tasksChanged(kit));
    bus.on(this.name, 'task-state', ({ kit, taskId, state }) => {
      if (state && !state.open) eta.taskClosed(kit, taskId);
      if (state?.state === 'exception') void eta.exception(kit, taskId, state.reason ?? 'other', state.at);
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
    return { ...this.o.eta.stats() };
  }
}
