/**
 * Starts the simulated devices of a spec on real transports — serial devices on socat pty
 * pairs, HID and BLE devices on the simulator transport (127.0.0.1) — ticks their stubs
 * with real timers, reading time from `now()` (Date.now, or the scenario's simulated
 * clock), and takes control actions by device id.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ProtocolRegistry } from '../../devices/registry.js';
import { buildDevice, isSerialSpec } from './build.js';
import { PtySerialEndpoint, type SerialEndpoint } from './serial-endpoint.js';
import { SimTransportServer } from './remote-server.js';
import { runControl, type ControlResult, type GatewayDeviceEntry, type SimDevice } from './sim-device.js';
import { parseSimSpec, type SimSpec } from './spec.js';

export interface StartSimulatorsOptions {
  /** the clock every stub reads, ms since epoch; default Date.now */
  now?: () => number;
  log?: Logger;
  /** overrides the spec's tickMs (0: the caller ticks with tick()) */
  tickMs?: number;
  /** overrides the spec's dir */
  dir?: string;
  /** overrides the spec's remote.port */
  remotePort?: number;
  /** the protocols the spec may name (a test adds its own line scale); the device registry by default */
  registry?: ProtocolRegistry;
  /** makes a serial device's endpoint; default a socat pty pair (`<dir>/<id>` for the gateway) */
  serialEndpoint?: (id: string, gatewayPath: string, devicePath: string, baudRate: number) => SerialEndpoint;
}

export interface SimulatedDevice {
  id: string;
  kind: string;
  protocol: string;
  kit: string;
  /** the `transport` of the device's gateway config entry */
  transport: Record<string, unknown>;
  /** the whole gateway config entry */
  entry: GatewayDeviceEntry;
}

export interface Simulators {
  readonly devices: SimulatedDevice[];
  /** the simulator transport URL for HID and BLE devices, when any is simulated */
  readonly remoteUrl: string | undefined;
  /** the folder of the pty links */
  readonly dir: string;
  control(id: string, action: string, args?: unknown): Promise<ControlResult>;
  /** every action of a device with its one-line summary */
  actions(id: string): { name: string; summary: string }[] | undefined;
  describe(id: string): Record<string, unknown> | undefined;
  /** ticks every stub once at now() (also what the timer does) */
  tick(): void;
  /** the gateway config part for these devices */
  gatewayConfig(): { simTransport?: string; devices: GatewayDeviceEntry[] };
  close(): Promise<void>;
}

export async function startSimulators(input: SimSpec | unknown, options: StartSimulatorsOptions = {}): Promise<Simulators> {
  const spec = parseSimSpec(input, options.registry);
  const now = options.now ?? Date.now;
  const log = options.log;
  const ownDir = !(options.dir ?? spec.dir);
  const dir = options.dir ?? spec.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'cg-sim-')));
  const needsRemote = spec.devices.some((d) => !isSerialSpec(d));
  const remote = needsRemote ? await SimTransportServer.start({ port: options.remotePort ?? spec.remote.port, log }) : undefined;
  const makeEndpoint = options.serialEndpoint ?? ((_id, gatewayPath, devicePath, baudRate) => new PtySerialEndpoint(gatewayPath, devicePath, baudRate));

  const devices = spec.devices.map((d, index) =>
    buildDevice(d, {
      ctx: { now, log: log?.child({ simulator: d.id }) },
      kit: spec.kit,
      index,
      serial: (id, baudRate) => makeEndpoint(id, path.join(dir, id), path.join(dir, `${id}.sim`), baudRate),
      remote: () => remote!,
      registry: options.registry,
    }),
  );
  const byId = new Map<string, SimDevice>(devices.map((d) => [d.id, d]));

  const started: SimDevice[] = [];
  let timer: NodeJS.Timeout | undefined;
  const close = async (): Promise<void> => {
    if (timer) clearInterval(timer);
    timer = undefined;
    await Promise.all(started.map((d) => d.stop().catch((err: unknown) => log?.warn({ device: d.id, err }, 'simulator stop failed'))));
    started.length = 0;
    await remote?.close();
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      devices.map(async (d) => {
        await d.start();
        started.push(d);
      }),
    );
  } catch (err) {
    await close();
    throw err;
  }

  const tick = (): void => {
    const t = now();
    for (const d of devices) {
      try {
        d.tick(t);
      } catch (err) {
        log?.error({ device: d.id, err }, 'simulator tick failed');
      }
    }
  };
  const tickMs = options.tickMs ?? spec.tickMs;
  if (tickMs > 0) timer = setInterval(tick, tickMs);

  const summary = (d: SimDevice): SimulatedDevice => {
    const entry = d.gatewayEntry();
    return { id: d.id, kind: d.kind, protocol: d.protocol, kit: entry.kit, transport: entry.transport, entry };
  };

  return {
    devices: devices.map(summary),
    remoteUrl: remote?.url,
    dir,
    async control(id, action, args = {}) {
      const d = byId.get(id);
      if (!d) return { ok: false, error: 'UNKNOWN_DEVICE', message: `no simulated device "${id}"; known: ${[...byId.keys()].join(', ')}` };
      const result = await runControl(d, action, args);
      log?.info({ device: id, action, ok: result.ok, error: result.error }, 'simulator control');
      return result;
    },
    actions(id) {
      const d = byId.get(id);
      return d ? Object.entries(d.actions).map(([name, a]) => ({ name, summary: a.summary })) : undefined;
    },
    describe(id) {
      const d = byId.get(id);
      return d ? { id: d.id, kind: d.kind, protocol: d.protocol, ...d.describe() } : undefined;
    },
    tick,
    gatewayConfig() {
      return { ...(remote ? { simTransport: remote.url } : {}), devices: devices.map((d) => d.gatewayEntry()) };
    },
    close,
  };
}
