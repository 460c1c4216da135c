import { EventEmitter } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { DeviceConfig, DriverContext } from '../../devices/driver.js';
import { findProtocol } from '../../devices/registry.js';
import type { SerialOptions } from '../../devices/transports/types.js';
import { ConfigError, loadConfig, parseConfig } from '../../gateway/config.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('accepts no file at all, with every default filled in', async () => {
    const c = await loadConfig(undefined);
    expect(c.mqtt.port).toBe(1883);
    expect(c.mqtt.wsPort).toBe(9001);
    expect(c.http.port).toBe(8080);
    expect(c.gateway.id).toBe('gateway-1');
    expect(path.isAbsolute(c.gateway.dataDir)).toBe(true);
    expect(c.devices).toEqual([]);
  });

  it('takes a broker cluster as dispatch.urls for the MQTT bridge only', () => {
    const urls = ['mqtt://10.0.0.1:1883', 'mqtt://10.0.0.2:1883'];
    expect(parseConfig({ dispatch: { transport: 'mqtt', urls } }).dispatch.urls).toEqual(urls);
    expect(problemsOf(() => parseConfig({ dispatch: { transport: 'http', urls } }))).toEqual(['dispatch.urls: a list of broker URLs is for dispatch.transport mqtt']);
    expect(problemsOf(() => parseConfig({ dispatch: { transport: 'mqtt', url: urls[0], urls } }))).toEqual(['dispatch.urls: set url or urls, not both']);
    expect(problemsOf(() => parseConfig({ dispatch: { transport: 'mqtt', urls: ['http://x'] } }))[0]).toMatch(/^dispatch\.urls\[0\]: mqtt:\/\/host:port/);
    expect(problemsOf(() => parseConfig({ dispatch: { transport: 'mqtt' } }))).toEqual(['dispatch.url: required when dispatch.transport is mqtt']);
  });

  it('names the field path of a wrong type', () => {
    const problems = problemsOf(() => parseConfig({ mqtt: { port: 'abc' } }));
    expect(problems[0]).toMatch(/^mqtt\.port: expected number/);
  });

  it('takes the time budget of a camera image, 200 ms unless set, and names a wrong one', () => {
    expect(parseConfig({}).images.budgetMs).toBe(200);
    expect(parseConfig({ images: { budgetMs: 120 } }).images.budgetMs).toBe(120);
    expect(problemsOf(() => parseConfig({ images: { budgetMs: 0 } }))[0]).toMatch(/^images\.budgetMs: /);
    expect(problemsOf(() => parseConfig({ images: { budgetMS: 100 } }))[0]).toMatch(/^images/);
  });

  it('names array paths of device problems and unknown keys', () => {
    const problems = problemsOf(() =>
      parseConfig({
        devices: [
          { id: 'ok-1', kind: 'terminal', kit: 'k', credentials: { passwordHash: 'scrypt$x' } },
          { id: 'bad', kind: 'scale', kit: 'k', protocol: 'mt-sics', transport: { type: 'serial' } },
        ],
        mqtt: { prot: 1 },
      }),
    );
    expect(problems.some((p) => p.startsWith('devices[1].transport.path'))).toBe(true);
    expect(problems.some((p) => p.startsWith('mqtt') && p.includes('prot'))).toBe(true);
  });

  it('refuses duplicate ids, MQTT devices without credentials and unknown protocols', () => {
    const problems = problemsOf(() =>
      parseConfig({
        devices: [
          { id: 'd', kind: 'terminal', kit: 'k' },
          { id: 'd', kind: 'scale', kit: 'k', protocol: 'no-such', transport: { type: 'serial', path: '/dev/x' } },
        ],
      }),
    );
    expect(problems).toContain('devices[0].credentials: an MQTT device needs credentials.passwordHash');
    expect(problems.some((p) => p.startsWith('devices[1].id: duplicate device id'))).toBe(true);
    expect(problems).toContain('devices[1].protocol: unknown protocol "no-such"');
  });

  it('reads YAML, resolves paths against the file and applies overrides', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cfg-'));
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, 'gateway: { id: van-017, dataDir: ./d }\nmqtt: { port: 1999 }\n');
    const c = await loadConfig(file, { httpPort: 0 });
    expect(c.gateway.id).toBe('van-017');
    expect(c.gateway.dataDir).toBe(path.join(dir, 'd'));
    expect(c.mqtt.port).toBe(1999);
    expect(c.http.port).toBe(0);
  });

  it('reports a file that is not YAML', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cfg-'));
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, 'mqtt: [1, 2\n');
    await expect(loadConfig(file)).rejects.toThrow(/not valid YAML/);
  });

  it('names where a YAML syntax error is without printing the line (it may hold a secret)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cfg-'));
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, 'dispatch:\n  transport: http\n  url: [https://dispatch.example, s3cr3t-t0ken-value\n');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/not valid YAML\/JSON: .+ \(line \d+, column \d+\)/);
    expect(err.message).not.toContain('s3cr3t-t0ken-value');
    expect(err.message).not.toContain('dispatch.example');
  });

  it('refuses http.tls without mqtt.tls (HTTPS takes its certificate and key)', () => {
    expect(() => parseConfig({ http: { tls: true } })).toThrow(/http\.tls: HTTPS uses mqtt\.tls/);
  });

  it('reads a .json file as JSON, and reports one that is not', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cfg-'));
    const file = path.join(dir, 'gw.json');
    await writeFile(file, JSON.stringify({ gateway: { id: 'van-018', dataDir: './d' }, mqtt: { wsPort: null } }));
    const c = await loadConfig(file);
    expect(c.gateway.id).toBe('van-018');
    expect(c.gateway.dataDir).toBe(path.join(dir, 'd'));
    expect(c.mqtt.wsPort).toBeNull();
    // YAML flow syntax is not JSON: a .json file is not handed to the YAML parser
    await writeFile(file, '{ gateway: { id: van-018 } }');
    await expect(loadConfig(file)).rejects.toThrow(/not valid YAML\/JSON/);
  });
});

/** the serial options a protocol's driver opens its port with, for a device entry as the config parsed it */
async function serialOptionsOf(entry: Record<string, unknown>): Promise<SerialOptions> {
  const device = parseConfig({ devices: [entry] }).devices[0] as unknown as DeviceConfig;
  const opened: SerialOptions[] = [];
  const link = Object.assign(new EventEmitter(), { isOpen: false, start() {}, write: async () => {}, stop: async () => {} });
  const ctx: DriverContext = {
    device,
    log: pino({ level: 'silent' }),
    emit: () => undefined,
    status: () => undefined,
    fault: () => undefined,
    transports: {
      serial: (o) => (opened.push(o), link),
      hid: () => Promise.reject(new Error('no hid here')),
      ble: () => Promise.reject(new Error('no ble here')),
    },
    state: { get: () => undefined, set: async () => undefined },
    now: () => 0,
  };
  const driver = findProtocol(device.protocol!)!.createDriver(ctx);
  await driver.start();
  await driver.stop();
  expect(opened).toHaveLength(1);
  return opened[0]!;
}

describe('serial transport of a device', () => {
  const compartments = [{ id: 'A01', board: 1, lock: 1, size: 'S' }];

  it("takes a scale's transport.backoff and hands it to the serial link", async () => {
    const backoff = { minMs: 200, maxMs: 5000 };
    const options = await serialOptionsOf({
      id: 'scale-1', kind: 'scale', kit: 'k', protocol: 'mt-sics',
      transport: { type: 'serial', path: '/dev/ttyUSB0', backoff },
    });
    expect(options).toMatchObject({ path: '/dev/ttyUSB0', baudRate: 9600, backoff });
  });

  it('opens a Kerong locker bank at its own 19200 baud when the config names none, 9600 for a scale', async () => {
    const bank = await serialOptionsOf({
      id: 'bank-1', kind: 'locker', kit: 'k', protocol: 'kerong-cu16',
      transport: { type: 'serial', path: '/dev/ttyUSB1' }, compartments,
    });
    expect(bank.baudRate).toBe(19200);
    const scale = await serialOptionsOf({ id: 'scale-1', kind: 'scale', kit: 'k', protocol: 'mt-sics', transport: { type: 'serial', path: '/dev/ttyUSB0' } });
    expect(scale.baudRate).toBe(9600);
  });

  it('keeps a baud rate the config names', async () => {
    const bank = await serialOptionsOf({
      id: 'bank-1', kind: 'locker', kit: 'k', protocol: 'kerong-cu16',
      transport: { type: 'serial', path: '/dev/ttyUSB1', baudRate: 9600 }, compartments,
    });
    expect(bank.baudRate).toBe(9600);
  });
});
