/** `courier-gw init`: the config it writes is one the gateway loads; nothing invalid is written. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceEntry, runInit, type InitOptions } from '../../cli/init.js';
import { loadConfig } from '../../gateway/config.js';
import { verifyPassword } from '../../core/passwords.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-init-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const base = (over: Partial<InitOptions> = {}): InitOptions => ({
  output: path.join(dir, 'gateway.yaml'),
  gatewayId: 'van-017',
  kit: 'van-017',
  dataDir: './data',
  devices: [],
  mqttDevices: [],
  ...over,
});

describe('init', () => {
  it('writes a config the gateway loads, with devices, dispatch and hashed passwords', async () => {
    const output = path.join(dir, 'full.yaml');
    const r = await runInit(
      base({
        output,
        courier: 'c-123',
        devices: ['scale-1=mt-sics@/dev/courier/serial-A1', 'scale-2=hid-pos-scale@0922:8003', 'gps-1=nmea@/dev/ttyACM0'],
        mqttDevices: ['terminal-1=terminal'],
        operator: 'tech',
        operatorPassword: 'pw-tech',
        dispatchUrl: 'http://127.0.0.1:8090',
        dispatchToken: 'tok',
      }),
    );
    expect(r.file).toBe(output);
    const config = await loadConfig(output);
    expect(config.gateway).toMatchObject({ id: 'van-017', dataDir: path.join(dir, 'data') });
    expect(config.kits).toEqual([{ id: 'van-017', courierId: 'c-123' }]);
    expect(config.devices.map((d) => [d.id, d.kind, d.protocol, d.transport.type])).toEqual([
      ['scale-1', 'scale', 'mt-sics', 'serial'],
      ['scale-2', 'scale', 'hid-pos-scale', 'hid'],
      ['gps-1', 'gps', 'nmea', 'serial'],
      ['terminal-1', 'terminal', undefined, 'mqtt'],
    ]);
    expect(config.dispatch).toMatchObject({ transport: 'http', url: 'http://127.0.0.1:8090', token: 'tok' });
    const text = await readFile(output, 'utf8');
    expect(text).not.toContain('pw-tech');
    expect(await verifyPassword('pw-tech', config.operators[0]!.passwordHash)).toBe(true);
    // the terminal's password was made here and shown once
    expect(r.generated.map((g) => g.who)).toEqual(['device terminal-1']);
    expect(await verifyPassword(r.generated[0]!.password, config.devices[3]!.credentials!.passwordHash)).toBe(true);
    expect((await stat(output)).mode & 0o777).toBe(0o640);
  });

  it('does not replace a file without force', async () => {
    const output = path.join(dir, 'kept.yaml');
    await writeFile(output, 'gateway: { id: mine }\n');
    await expect(runInit(base({ output }))).rejects.toThrow(/exists; pass --force/);
    expect(await readFile(output, 'utf8')).toBe('gateway: { id: mine }\n');
    await runInit(base({ output, force: true }));
    expect(parse(await readFile(output, 'utf8')).gateway.id).toBe('van-017');
  });

  it('writes nothing the gateway would refuse, naming the field', async () => {
    const output = path.join(dir, 'bad.yaml');
    await expect(runInit(base({ output, gatewayId: 'not an id!' }))).rejects.toThrow(/gateway\.id/);
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
    await expect(runInit(base({ output, mqttDevices: ['t-1=toaster'] }))).rejects.toThrow(/devices\[0\]\.kind/);
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a device spec it cannot read, with the flag', () => {
    expect(() => deviceEntry('scale-1=no-such@/dev/x', 'k')).toThrow(/--device scale-1=no-such@\/dev\/x: unknown protocol "no-such"/);
    expect(() => deviceEntry('scale-1=mt-sics', 'k')).toThrow(/a serial device needs @<path>/);
    expect(() => deviceEntry('mt-sics', 'k')).toThrow(/expected <id>=<value>/);
    expect(deviceEntry('s=hid-pos-scale@/dev/courier/scale-X', 'k')).toMatchObject({ transport: { type: 'hid', path: '/dev/courier/scale-X' } });
  });
});
