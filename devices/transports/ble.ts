/** noble, loaded only when a BLE device is configured: it throws at import on a machine without Bluetooth. */
import type { BleBackend } from './types.js';
import { TransportUnavailableError } from './types.js';

export async function loadNoble(): Promise<BleBackend> {
  try {
    const imported = (await import('@abandonware/noble')) as unknown as { default?: BleBackend } & BleBackend;
    const noble = imported.default ?? imported;
    if (typeof noble.startScanningAsync !== 'function') throw new Error('unexpected noble module shape');
    return noble;
  } catch (err) {
    throw new TransportUnavailableError('ble', `Bluetooth unavailable: ${(err as Error).message}`);
  }
}
