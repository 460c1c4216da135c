/**
 * The track and health recorder as a gateway component: positions (locker devices aside)
 * become position.track records, device states device.health records.
 */
import type { DeviceEvent } from '../devices/events.js';
import type { TelemetryRecorder } from '../telemetry/telemetry.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

export interface TelemetryComponentOptions {
  telemetry: TelemetryRecorder;
  bus: EventBus;
  lockerDevices: ReadonlySet<string>;
}

export class TelemetryComponent implements Component {
  readonly name = 'telemetry';

  constructor(private readonly o: TelemetryComponentOptions) {}

  /** listens from before the devices start, so their first states are recorded too */
  attach(): void {
    const { telemetry, bus } = this.o;
    bus.on(this.name, 'device-status', (st) => {
      if (st.state !== 'connecting') telemetry.health(st.deviceId, st.kit, st.state, st.detail);
    });
  }

  async start(): Promise<void> {
    const { telemetry, bus } = this.o;
    bus.on(this.name, 'device-event', (e) => {
      if (e.type === 'position' && !this.o.lockerDevices.has(e.deviceId)) telemetry.position(e as DeviceEvent<'position'>);
    });
  }

  async stop(): Promise<void> {
    this.o.bus.off(this.name);
  }
}
