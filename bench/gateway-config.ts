/**
 * The gateway config a benchmark starts the compiled gateway with: loopback ports, a data
 * folder, `kits` kits of MQTT-native devices (a scanner and a scale each, as
 * bench/kit-load.ts connects them) and, optionally, one device of every other transport.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, parseConfig } from '../gateway/config.js';
import { hashPasswordSync } from '../core/passwords.js';
import { benchKits, type KitClients } from './kit-load.js';

export interface BenchGatewayOptions {
  dir: string;
  dataDir: string;
  mqttPort: number;
  httpPort: number;
  kits: number;
  /** a courier's app per kit besides its scanner and scale */
  apps?: boolean;
  password: string;
  passwordHash: string;
  /** pty paths for the serial drivers: every other transport is configured when given */
  serial?: { mtSics: string; continuous: string; scanner: string; gps: string; locker: string };
  tasksFile?: string;
  logLevel?: string;
}

export interface BenchGatewayConfig {
  file: string;
  kits: KitClients[];
  config: Record<string, unknown>;
  /** devices this gateway build refuses in its config, left out with the reason */
  dropped: { id: string; problem: string }[];
}

function serialDevices(serial: NonNullable<BenchGatewayOptions['serial']>): Record<string, unknown>[] {
  return [
    { id: 'scale-mtsics', kind: 'scale', kit: 'kit-01', protocol: 'mt-sics', transport: { type: 'serial', path: serial.mtSics } },
    { id: 'scale-cas', kind: 'scale', kit: 'kit-02', protocol: 'continuous-scale', transport: { type: 'serial', path: serial.continuous } },
    { id: 'scanner-serial', kind: 'scanner', kit: 'kit-03', protocol: 'serial-scanner', transport: { type: 'serial', path: serial.scanner } },
    { id: 'gps-serial', kind: 'gps', kit: 'kit-01', protocol: 'nmea', transport: { type: 'serial', path: serial.gps } },
    {
      id: 'locker-bank',
      kind: 'locker',
      kit: 'kit-04',
      protocol: 'kerong-cu16',
      transport: { type: 'serial', path: serial.locker, baudRate: 19200 },
      compartments: [
        { id: 'A01', board: 0, lock: 1, size: 'S' },
        { id: 'A02', board: 0, lock: 2, size: 'M' },
      ],
    },
    { id: 'scale-hid', kind: 'scale', kit: 'kit-05', protocol: 'hid-pos-scale', transport: { type: 'hid', vendorId: 0x0922, productId: 0x8003 } },
    { id: 'scanner-hid', kind: 'scanner', kit: 'kit-05', protocol: 'hid-pos-scanner', transport: { type: 'hid' } },
    { id: 'scale-ble', kind: 'scale', kit: 'kit-06', protocol: 'ble-weight', transport: { type: 'ble' } },
  ];
}

/** The token a bench reads the operator view of /healthz with (bench/gateway-process.ts). */
export const BENCH_API_TOKEN = 'bench-api-token-7f3a9c2e';
let tokenHash: string | undefined;
function benchTokenHash(): string {
  return (tokenHash ??= hashPasswordSync(BENCH_API_TOKEN));
}

export async function writeBenchGatewayConfig(o: BenchGatewayOptions): Promise<BenchGatewayConfig> {
  const kits = benchKits(o.kits, o.password, { apps: o.apps });
  const credentials = { passwordHash: o.passwordHash };
  const devices: Record<string, unknown>[] = kits.flatMap((k) => [
    { id: k.scanner.id, kind: 'scanner', kit: k.kit, credentials },
    { id: k.scale.id, kind: 'scale', kit: k.kit, credentials },
    ...(k.app ? [{ id: k.app.id, kind: 'app', kit: k.kit, credentials }] : []),
  ]);
  if (o.serial) {
    devices.push({ id: 'gps-app', kind: 'gps', kit: 'kit-01', credentials }, { id: 'terminal-1', kind: 'terminal', kit: 'kit-04', credentials });
    devices.push(...serialDevices(o.serial));
  }
  const build = (list: Record<string, unknown>[]): Record<string, unknown> => ({
    gateway: { id: 'bench-gw', dataDir: o.dataDir, logLevel: o.logLevel ?? 'warn' },
    // thousands of kits connect at once here, as no depot does after a power-up (devices
    // retry a refused connect): let their password checks wait in line instead
    mqtt: { host: '127.0.0.1', port: o.mqttPort, wsPort: null, auth: { maxQueuedChecks: 10_000 } },
    http: { host: '127.0.0.1', port: o.httpPort, apiTokens: [{ name: 'bench', tokenHash: benchTokenHash() }] },
    kits: kits.map((k) => ({ id: k.kit })),
    devices: list,
    ...(o.tasksFile ? { tasks: { file: o.tasksFile } } : {}),
  });
  const dropped = refusedDevices(build(devices), devices);
  const config = build(devices.filter((d) => !dropped.some((x) => x.id === d.id)));
  const file = path.join(o.dir, 'gateway.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  return { file, kits, config, dropped };
}

/** the devices the config schema refuses, by the `devices[i]` paths of its problems */
function refusedDevices(config: Record<string, unknown>, devices: Record<string, unknown>[]): { id: string; problem: string }[] {
  try {
    parseConfig(structuredClone(config));
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const out: { id: string; problem: string }[] = [];
    for (const p of err.problems) {
      const m = /^devices\[(\d+)\]/.exec(p.path);
      if (!m) throw err;
      out.push({ id: String(devices[Number(m[1])].id), problem: `${p.path}: ${p.message}` });
    }
    return out;
  }
}
