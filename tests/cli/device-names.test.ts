/** Stable device names: the udev rules made from the USB table, and what `courier-gw devices` makes of a listing. */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeVisible, knownUsb, udevRules, usbDevices, visibleWords } from '../../cli/device-names.js';
import { parseConfig } from '../../gateway/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-names-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('udev rules', () => {
  const rules = udevRules();
  const lines = rules.split('\n').filter((l) => l && !l.startsWith('#'));
  it('are udev syntax: comma-separated KEY op "value" pairs on every line', () => {
    for (const l of lines) {
      if (l.startsWith('LABEL=')) continue;
      for (const pair of l.split(/,\s*/)) expect(pair, l).toMatch(/^[A-Z_]+(\{[A-Za-z_]+\})?(==|!=|=|\+=)"[^"]*"$/);
    }
    expect(lines.filter((l) => l.includes('GOTO="courier_gw_end"')).length).toBeGreaterThan(0);
    expect(lines).toContain('LABEL="courier_gw_end"');
  });
  it('have one symlink rule per known device, named by kind and serial, in the group that opens it', () => {
    for (const d of usbDevices) {
      const rule = lines.find((l) => l.includes(`ATTRS{idVendor}=="${d.vendorId}"`) && (!d.productId || l.includes(`ATTRS{idProduct}=="${d.productId}"`)));
      expect(rule, d.what).toBeDefined();
      expect(rule).toContain(`SYMLINK+="courier/${d.kind}-$env{COURIER_GW_SERIAL}"`);
      expect(rule).toContain(d.kind === 'serial' ? 'SUBSYSTEM=="tty"' : 'SUBSYSTEM=="hidraw"');
      expect(rule).toContain(d.kind === 'serial' ? 'GROUP="dialout"' : 'GROUP="plugdev"');
    }
  });
  it('know the common vendors by id, in any spelling', () => {
    expect(knownUsb('0x0922', 0x8003)?.kind).toBe('scale');
    expect(knownUsb(0x0403, '6001')?.kind).toBe('serial');
    expect(knownUsb('0C2E', '0b61')?.kind).toBe('scanner');
    expect(knownUsb('ffff', '0001')).toBeUndefined();
  });
});

describe('courier-gw devices', () => {
  it('gives each device its stable name and a config entry the gateway accepts', async () => {
    const links = path.join(dir, 'courier');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(links);
    const tty = path.join(dir, 'ttyUSB0');
    await writeFile(tty, '');
    await symlink(tty, path.join(links, 'serial-A10K3'));
    const listing = {
      serial: [
        { path: tty, vendorId: '0403', productId: '6001', serialNumber: 'A10K3', pnpId: 'usb-FTDI_FT232R_A10K3-if00-port0' },
        { path: '/dev/ttyACM0', vendorId: '1546', productId: '01a7', pnpId: 'usb-u-blox_GNSS-if00' },
      ],
      hid: [
        { path: '/dev/hidraw0', vendorId: '0x0922', productId: '0x8003', usagePage: '0x8d', kind: 'scale', product: 'M10' },
        { path: '/dev/hidraw1', vendorId: '0x046d', productId: '0xc52b', product: 'a mouse' },
      ],
      ble: { unavailable: 'Bluetooth adapter is unsupported' },
    };
    const r = await describeVisible(listing, 'van-017', links);
    expect(r.devices.map((d) => d.stablePath)).toEqual([path.join(links, 'serial-A10K3'), '/dev/serial/by-id/usb-u-blox_GNSS-if00', '/dev/hidraw0']);
    expect(r.unavailable).toEqual({ ble: 'Bluetooth adapter is unsupported' });
    const config = parseConfig({ kits: [{ id: 'van-017' }], devices: r.devices.map((d) => d.config) });
    expect(config.devices.map((d) => [d.id, d.protocol])).toEqual([
      ['scale-1', 'mt-sics'],
      ['scale-2', 'mt-sics'],
      ['scale-3', 'hid-pos-scale'],
    ]);
    const words = visibleWords(r);
    expect(words).toContain(`${path.join(links, 'serial-A10K3')} (${tty}): FTDI FT232R USB-serial`);
    expect(words).toContain('# protocol: one of mt-sics, continuous-scale, serial-scanner, nmea, kerong-cu16');
    expect(words).toContain('ble: Bluetooth adapter is unsupported');
  });
});
