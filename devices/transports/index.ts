export * from './types.js';
import type { BleBackend, HidBackend, SerialOptions, Transports } from './types.js';
import { SerialPortLink, type SerialLinkDeps } from './serial.js';
import { loadNodeHid } from './hid.js';
import { loadNoble } from './ble.js';

export interface TransportDeps extends SerialLinkDeps {
  loadHid?: () => Promise<HidBackend>;
  loadBle?: () => Promise<BleBackend>;
}

/** The real transports; each hardware library is loaded once, on first use. */
export function createTransports(deps: TransportDeps = {}): Transports {
  let hid: Promise<HidBackend> | undefined;
  let ble: Promise<BleBackend> | undefined;
  return {
    serial: (options: SerialOptions) => new SerialPortLink(options, deps),
    hid: () => (hid ??= (deps.loadHid ?? loadNodeHid)()),
    ble: () => (ble ??= (deps.loadBle ?? loadNoble)()),
  };
}
