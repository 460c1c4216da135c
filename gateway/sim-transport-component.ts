/**
 * The simulator transport (HID and BLE devices played by simulators over a socket) as a
 * gateway component: the drivers open it themselves; stopping the gateway closes it.
 */
import type { SimRemoteBackends } from '../devices/transports/sim-remote.js';
import type { Component } from './runtime.js';

export class SimTransportComponent implements Component {
  readonly name = 'sim-transport';

  constructor(private readonly backends: SimRemoteBackends) {}

  async start(): Promise<void> {}

  stop(): Promise<void> {
    return this.backends.close();
  }
}
