/**
 * The pickup pipeline as a gateway component: its rule sets loaded at start, and every
 * device event that is not a locker device's (those are the locker flows') fed to it.
 */
import type { PickupPipeline } from '../rules/pipeline.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

export interface RulesComponentOptions {
  pipeline: PickupPipeline;
  bus: EventBus;
  /** terminals and banks run by the locker flows */
  lockerDevices: ReadonlySet<string>;
}

export class RulesComponent implements Component {
  readonly name = 'rules';
  readonly essential = true;

  constructor(private readonly o: RulesComponentOptions) {}

  async start(): Promise<void> {
    await this.o.pipeline.start();
    this.o.bus.on(this.name, 'device-event', (e) => {
      if (!this.o.lockerDevices.has(e.deviceId)) this.o.pipeline.handle(e);
    });
  }

  async stop(): Promise<void> {
    this.o.bus.off(this.name);
    await this.o.pipeline.stop();
  }

  status(): Record<string, unknown> {
    return { version: this.o.pipeline.rules.version };
  }
}
