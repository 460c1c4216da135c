/** node-hid, loaded only when a HID device is configured (it needs Debian's libusb-1.0-0). */
import type { HidBackend, HidDeviceInfo, HidHandle, HidMatch } from './types.js';
import { TransportUnavailableError } from './types.js';

interface NodeHidModule {
  devices(): HidDeviceInfo[];
  HID: new (path: string) => HidHandle;
}

export async function loadNodeHid(): Promise<HidBackend> {
  let mod: NodeHidModule;
  try {
    const imported = (await import('node-hid')) as unknown as NodeHidModule & { default?: NodeHidModule };
    mod = imported.default && typeof imported.default.devices === 'function' ? imported.default : imported;
    mod.devices();
  } catch (err) {
    throw new TransportUnavailableError('hid', `node-hid cannot load: ${(err as Error).message}`);
  }
  return {
    devices: () => mod.devices(),
    open: (path: string) => new mod.HID(path),
  };
}

/** The first device that matches: by path when given, else usage page and vendor/product id. */
export function findHidDevice(list: readonly HidDeviceInfo[], match: HidMatch): HidDeviceInfo | undefined {
  if (match.path) return list.find((d) => d.path === match.path);
  const candidates = list.filter(
    (d) =>
      (match.vendorId === undefined || d.vendorId === match.vendorId) &&
      (match.productId === undefined || d.productId === match.productId),
  );
  if (match.usagePage !== undefined) {
    const byUsage = candidates.find((d) => d.usagePage === match.usagePage);
    if (byUsage) return byUsage;
    if (match.vendorId === undefined) return undefined;
  }
  return candidates[0];
}
