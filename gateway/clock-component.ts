/**
 * The clock monitor as a gateway component: checks the system clock while running and
 * takes the time of each GPS fix (from devices configured as GPS units) as a sample.
 */
import type { ClockMonitor } from '../clock/clock.js';
import type { DeviceEvent, EventPayload } from '../devices/events.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

export interface ClockComponentOptions {
  clock: ClockMonitor;
  bus: EventBus;
  /** the devices whose positions carry GPS time */
  gpsDevices: ReadonlySet<string>;
}

export class ClockComponent implements Component {
  readonly name = 'clock';

  constructor(private readonly o: ClockComponentOptions) {}

  async start(): Promise<void> {
    await this.o.clock.start();
    this.o.bus.on(this.name, 'device-event', (e) => this.onEvent(e));
  }

  async stop(): Promise<void> {
    this.o.bus.off(this.name);
    await this.o.clock.stop();
  }

  status(): Record<string, unknown> {
    const { clock } = this.o;
    return { quality: clock.quality(), bootId: clock.bootId, offsetMs: clock.offsetMs() };
  }

  private onEvent(e: DeviceEvent): void {
    if (e.type !== 'position' || !this.o.gpsDevices.has(e.deviceId)) return;
    const p = e.payload as EventPayload<'position'>;
    if (p.at && p.fix !== 'none') this.o.clock.offerGps(p.at, e.receivedAt);
  }
}
