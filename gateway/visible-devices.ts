/** What `courier-gw devices` shows: the hardware this machine can see, each part failing on its own. */
import { SerialPort } from 'serialport';
import { loadNodeHid } from '../devices/transports/hid.js';
import { loadNoble } from '../devices/transports/ble.js';
import type { BlePeripheral } from '../devices/transports/types.js';

export async function listVisibleDevices(bleScanMs: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  try {
    out.serial = await SerialPort.list();
  } catch (err) {
    out.serial = { unavailable: `cannot list serial ports: ${(err as Error).message} (install Debian's udev)` };
  }
  try {
    const hid = await loadNodeHid();
    out.hid = hid.devices().map((d) => ({
      path: d.path,
      vendorId: `0x${d.vendorId.toString(16).padStart(4, '0')}`,
      productId: `0x${d.productId.toString(16).padStart(4, '0')}`,
      usagePage: d.usagePage === undefined ? undefined : `0x${d.usagePage.toString(16)}`,
      product: d.product,
      manufacturer: d.manufacturer,
      kind: d.usagePage === 0x8d ? 'scale' : d.usagePage === 0x8c ? 'barcode scanner' : undefined,
    }));
  } catch (err) {
    out.hid = { unavailable: (err as Error).message };
  }
  try {
    const noble = await loadNoble();
    const found: { id: string; address: string; name?: string }[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, bleScanMs);
      const onState = (state: string) => {
        if (state !== 'poweredOn') {
          clearTimeout(timer);
          out.ble = { unavailable: `Bluetooth adapter is ${state}` };
          resolve();
          return;
        }
        void noble.startScanningAsync(['181d'], false);
      };
      noble.on('discover', (p: BlePeripheral) => found.push({ id: p.id, address: p.address, name: p.advertisement.localName }));
      if (noble.state === 'poweredOn') onState('poweredOn');
      else noble.once('stateChange', onState);
    });
    await noble.stopScanningAsync().catch(() => undefined);
    out.ble ??= found;
  } catch (err) {
    out.ble = { unavailable: (err as Error).message };
  }
  return out;
}
