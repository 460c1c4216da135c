/**
 * Stable device names: the USB devices the gateway knows by vendor (and product), the udev
 * rules made from them (`/dev/courier/<kind>-<serial>`, shipped in the Debian package),
 * and what `courier-gw devices` shows for each device it sees: its stable name and the
 * config entry for it. To add a device: one row in `usbDevices` (docs/devices.md, "Stable
 * device names"); the package's rules and `devices` follow.
 */
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

export type NamedKind = 'serial' | 'scale' | 'scanner';

export interface UsbDevice {
  vendorId: string;
  /** every product of the vendor when left out */
  productId?: string;
  kind: NamedKind;
  what: string;
}

/** USB-serial adapters (the line of a serial scale, scanner, GPS or lock board), HID scales and scanners */
export const usbDevices: readonly UsbDevice[] = [
  { vendorId: '0403', productId: '6001', kind: 'serial', what: 'FTDI FT232R USB-serial' },
  { vendorId: '0403', productId: '6015', kind: 'serial', what: 'FTDI FT231X USB-serial' },
  { vendorId: '067b', productId: '2303', kind: 'serial', what: 'Prolific PL2303 USB-serial' },
  { vendorId: '10c4', productId: 'ea60', kind: 'serial', what: 'Silicon Labs CP210x USB-serial' },
  { vendorId: '1a86', productId: '7523', kind: 'serial', what: 'WCH CH340 USB-serial' },
  { vendorId: '1a86', productId: '55d4', kind: 'serial', what: 'WCH CH9102 USB-serial' },
  { vendorId: '0922', kind: 'scale', what: 'Dymo postal scales (M5, M10, M25, S100)' },
  { vendorId: '0eb8', kind: 'scale', what: 'Mettler Toledo USB HID scales' },
  { vendorId: '1446', productId: '6a73', kind: 'scale', what: 'Stamps.com postal scale' },
  { vendorId: '0b67', productId: '555e', kind: 'scale', what: 'Fairbanks SCB-R9000 / UltraShip' },
  { vendorId: '0c2e', kind: 'scanner', what: 'Honeywell (Metrologic, Hand Held Products) scanners' },
  { vendorId: '05e0', kind: 'scanner', what: 'Zebra (Symbol) scanners' },
  { vendorId: '05f9', kind: 'scanner', what: 'Datalogic scanners' },
  { vendorId: '1eab', kind: 'scanner', what: 'Newland scanners' },
];

export const STABLE_DIR = '/dev/courier';

/** The udev rules of `usbDevices`: a symlink by kind and serial, readable by the gateway's groups. */
export function udevRules(devices: readonly UsbDevice[] = usbDevices): string {
  const lines = [
    '# courier-gw: stable names /dev/courier/<kind>-<serial> for the USB devices the gateway knows.',
    '# Add a device: a line like these with its idVendor / idProduct (lsusb shows them), then',
    '#   sudo udevadm control --reload && sudo udevadm trigger',
    '# (or one row in usbDevices of the gateway source, from which these lines are made).',
    '',
    'ACTION=="remove", GOTO="courier_gw_end"',
    'SUBSYSTEM!="tty|hidraw", GOTO="courier_gw_end"',
    'SUBSYSTEMS=="usb", IMPORT{builtin}="usb_id"',
    'ENV{ID_SERIAL_SHORT}=="", ENV{COURIER_GW_SERIAL}="%k"',
    'ENV{ID_SERIAL_SHORT}=="?*", ENV{COURIER_GW_SERIAL}="$env{ID_SERIAL_SHORT}"',
    '',
  ];
  for (const d of devices) {
    const subsystem = d.kind === 'serial' ? 'tty' : 'hidraw';
    const group = d.kind === 'serial' ? 'dialout' : 'plugdev';
    const product = d.productId ? `, ATTRS{idProduct}=="${d.productId}"` : '';
    lines.push(`# ${d.what}`);
    lines.push(`SUBSYSTEM=="${subsystem}", ATTRS{idVendor}=="${d.vendorId}"${product}, SYMLINK+="courier/${d.kind}-$env{COURIER_GW_SERIAL}", GROUP="${group}", MODE="0660"`);
  }
  lines.push('', 'LABEL="courier_gw_end"', '');
  return lines.join('\n');
}

const hex4 = (v: unknown): string | undefined => {
  if (typeof v === 'number') return v.toString(16).padStart(4, '0');
  if (typeof v === 'string' && /^(0x)?[0-9a-fA-F]{1,4}$/.test(v)) return v.replace(/^0x/i, '').toLowerCase().padStart(4, '0');
  return undefined;
};

export function knownUsb(vendorId: unknown, productId: unknown): UsbDevice | undefined {
  const v = hex4(vendorId);
  const p = hex4(productId);
  return usbDevices.find((d) => d.vendorId === v && (!d.productId || d.productId === p)) ?? usbDevices.find((d) => d.vendorId === v);
}

/** realpath -> the /dev/courier links to it */
async function stableLinks(dir = STABLE_DIR): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const link = path.join(dir, name);
    const target = await realpath(link).catch(() => undefined);
    if (target) links.set(target, link);
  }
  return links;
}

export interface SeenDevice {
  /** where the machine shows it */
  path: string;
  /** the name to put in the config: /dev/courier/..., else /dev/serial/by-id/..., else the path */
  stablePath: string;
  what: string;
  /** the config entry, to paste under devices: */
  config: Record<string, unknown>;
  /** the protocols it may speak, when the entry names only the first */
  protocols?: string[];
}

export interface VisibleReport {
  devices: SeenDevice[];
  /** what could not be listed (no udev, no libusb, no Bluetooth adapter) */
  unavailable: Record<string, string>;
}

const SERIAL_PROTOCOLS: Record<NamedKind | 'unknown', string[]> = {
  serial: ['mt-sics', 'continuous-scale', 'serial-scanner', 'nmea', 'kerong-cu16'],
  scale: ['mt-sics', 'continuous-scale'],
  scanner: ['serial-scanner'],
  unknown: ['mt-sics', 'continuous-scale', 'serial-scanner', 'nmea', 'kerong-cu16'],
};
const KIND_OF: Record<string, string> = { 'mt-sics': 'scale', 'continuous-scale': 'scale', 'serial-scanner': 'scanner', nmea: 'gps', 'kerong-cu16': 'locker' };

/** The listing of `listVisibleDevices` as devices with stable names and config entries. */
export async function describeVisible(listing: Record<string, unknown>, kit: string, linkDir = STABLE_DIR): Promise<VisibleReport> {
  const links = await stableLinks(linkDir);
  const devices: SeenDevice[] = [];
  const unavailable: Record<string, string> = {};
  const counters = new Map<string, number>();
  const idFor = (kind: string) => {
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    return `${kind}-${n}`;
  };
  const stable = async (p: string, byId?: string): Promise<string> => links.get(await realpath(p).catch(() => p)) ?? byId ?? p;

  if (Array.isArray(listing.serial)) {
    for (const port of listing.serial as { path: string; vendorId?: string; productId?: string; serialNumber?: string; pnpId?: string; manufacturer?: string }[]) {
      const known = knownUsb(port.vendorId, port.productId);
      const byId = port.pnpId ? `/dev/serial/by-id/${port.pnpId}` : undefined;
      const stablePath = await stable(port.path, byId);
      const protocols = SERIAL_PROTOCOLS[known?.kind ?? 'unknown'];
      const protocol = protocols[0]!;
      const kind = KIND_OF[protocol]!;
      devices.push({
        path: port.path,
        stablePath,
        what: known?.what ?? port.manufacturer ?? 'serial port',
        config: { id: idFor(kind), kind, kit, protocol, transport: { type: 'serial', path: stablePath } },
        protocols,
      });
    }
  } else if (listing.serial) unavailable.serial = String((listing.serial as { unavailable?: string }).unavailable);

  if (Array.isArray(listing.hid)) {
    for (const d of listing.hid as { path?: string; vendorId: string; productId: string; kind?: string; product?: string; manufacturer?: string }[]) {
      const known = knownUsb(d.vendorId, d.productId);
      const kind = d.kind === 'scale' || known?.kind === 'scale' ? 'scale' : d.kind === 'barcode scanner' || known?.kind === 'scanner' ? 'scanner' : undefined;
      if (!kind) continue; // keyboards, mice, ...: not the gateway's
      const protocols = kind === 'scale' ? ['hid-pos-scale'] : d.kind === 'barcode scanner' ? ['hid-pos-scanner', 'hid-keyboard'] : ['hid-keyboard', 'hid-pos-scanner'];
      const stablePath = d.path ? await stable(d.path) : '';
      const transport = stablePath.startsWith(`${linkDir}/`) ? { type: 'hid', path: stablePath } : { type: 'hid', vendorId: d.vendorId, productId: d.productId };
      devices.push({
        path: d.path ?? '',
        stablePath: stablePath || `${d.vendorId}:${d.productId}`,
        what: known?.what ?? ([d.manufacturer, d.product].filter(Boolean).join(' ') || 'HID device'),
        config: { id: idFor(kind), kind, kit, protocol: protocols[0], transport },
        protocols,
      });
    }
  } else if (listing.hid) unavailable.hid = String((listing.hid as { unavailable?: string }).unavailable);

  if (Array.isArray(listing.ble)) {
    for (const p of listing.ble as { id: string; address: string; name?: string }[]) {
      devices.push({ path: p.address, stablePath: p.address, what: p.name ?? 'BLE weight scale', config: { id: idFor('scale'), kind: 'scale', kit, protocol: 'ble-weight', transport: { type: 'ble', address: p.address } } });
    }
  } else if (listing.ble) unavailable.ble = String((listing.ble as { unavailable?: string }).unavailable);
  return { devices, unavailable };
}

export function visibleWords(r: VisibleReport): string {
  const lines: string[] = [];
  if (r.devices.length === 0) lines.push('no serial port, HID scale or scanner, or BLE scale seen');
  for (const d of r.devices) {
    lines.push(`${d.stablePath}${d.stablePath === d.path || !d.path ? '' : ` (${d.path})`}: ${d.what}`);
    if (d.protocols && d.protocols.length > 1) lines.push(`  # protocol: one of ${d.protocols.join(', ')}`);
    lines.push(`  ${stringify([d.config], { collectionStyle: 'flow' }).trim()}`);
  }
  for (const [what, why] of Object.entries(r.unavailable)) lines.push(`${what}: ${why}`);
  if (r.devices.length > 0) lines.push('', 'paste the entries under devices: in the config (change the ids and protocols as needed)');
  return lines.join('\n');
}
