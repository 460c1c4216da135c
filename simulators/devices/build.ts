/** Makes the simulator of one spec entry, with its endpoint (serial) or its host (HID, BLE). */
import { registry as defaultRegistry, type ProtocolRegistry } from '../../devices/registry.js';
import { isLineScale } from '../../devices/scale/line-scale.js';
import { isKnownSpec, type DeviceSpec, type KnownDeviceSpec, type LineScaleSpec } from './spec.js';
import type { SerialEndpoint } from './serial-endpoint.js';
import type { SimContext, SimDevice } from './sim-device.js';
import { makePlatform } from './scale-actions.js';
import { ContinuousScaleSim, LineScaleSim, MtSicsSim } from './serial-scales.js';
import { SerialScannerSim } from './serial-scanner-sim.js';
import { GpsSim } from './gps-sim.js';
import { LockBoardSim } from './lock-board-sim.js';
import { PrinterSim } from './printer-sim.js';
import { TcpEndpoint } from './tcp-endpoint.js';
import type { SerialSimIdentity } from './serial-sim.js';
import { HidPosScannerSim, HidScaleSim, KeyboardWedgeSim } from './hid-sims.js';
import { BleScaleSim } from './ble-scale-sim.js';
import type { SimTransportServer } from './remote-server.js';

export interface BuildEnv {
  ctx: SimContext;
  kit: string;
  /** the device's position in the spec (for a default BLE address) */
  index: number;
  /** the serial endpoint for a serial device */
  serial(id: string, baudRate: number): SerialEndpoint;
  /** the simulator transport, for HID and BLE devices */
  remote(): SimTransportServer;
  /** where a line scale's definition is found; the device registry by default */
  registry?: ProtocolRegistry;
}

const serialProtocols: ReadonlySet<string> = new Set(['mt-sics', 'continuous-scale', 'serial-scanner', 'nmea', 'kerong-cu16', 'escpos', 'tspl']);

/** a device played on a serial line (a pty pair), not on the simulator transport */
export function isSerialSpec(spec: DeviceSpec): boolean {
  return !isKnownSpec(spec) || serialProtocols.has(spec.protocol);
}

/** a locally administered address, one per position in the spec */
export function defaultBleAddress(index: number): string {
  const hi = ((index + 1) >> 8) & 0xff;
  const lo = (index + 1) & 0xff;
  return ['02', '00', '5c', '00', hi.toString(16).padStart(2, '0'), lo.toString(16).padStart(2, '0')].join(':');
}

export function buildDevice(spec: DeviceSpec, env: BuildEnv): SimDevice {
  return isKnownSpec(spec) ? buildKnownDevice(spec, env) : buildLineScale(spec, env);
}

/** a serial device's identity and endpoint, at the spec's baud rate or else its protocol's default */
type SerialSpec = { id: string; kit?: string; protocol: string; baudRate?: number; gateway: Record<string, unknown> };

function serialSide(spec: SerialSpec, env: BuildEnv) {
  const identity = serialSide.identity(spec, env);
  return { identity, endpoint: env.serial(spec.id, identity.baudRate) };
}

serialSide.identity = (spec: SerialSpec, env: BuildEnv): SerialSimIdentity => {
  const protocol = (env.registry ?? defaultRegistry).findProtocol(spec.protocol);
  const baudRate = spec.baudRate ?? protocol?.serial?.baudRate ?? 9600;
  return { id: spec.id, kit: spec.kit ?? env.kit, baudRate, gateway: spec.gateway };
};

function buildLineScale(spec: LineScaleSpec, env: BuildEnv): SimDevice {
  const definition = (env.registry ?? defaultRegistry).findProtocol(spec.protocol);
  if (!definition || !isLineScale(definition)) throw new Error(`no line scale ${spec.protocol} in the registry`);
  const { identity, endpoint } = serialSide(spec, env);
  return new LineScaleSim(identity, endpoint, env.ctx, makePlatform(spec, env.ctx.now()), definition);
}

function buildKnownDevice(spec: KnownDeviceSpec, env: BuildEnv): SimDevice {
  const { ctx } = env;
  const kit = spec.kit ?? env.kit;
  const now = ctx.now();
  switch (spec.protocol) {
    case 'mt-sics': {
      const { identity, endpoint } = serialSide(spec, env);
      return new MtSicsSim(identity, endpoint, ctx, makePlatform(spec, now), {
        unit: spec.unit, decimals: spec.decimals, serialNumber: spec.serialNumber, stableWaitMs: spec.stableWaitMs,
      });
    }
    case 'continuous-scale': {
      const { identity, endpoint } = serialSide(spec, env);
      return new ContinuousScaleSim(identity, endpoint, ctx, makePlatform(spec, now), {
        form: spec.form, id: spec.scaleId, unit: spec.unit, decimals: spec.decimals,
      });
    }
    case 'serial-scanner': {
      const { identity, endpoint } = serialSide(spec, env);
      return new SerialScannerSim(identity, endpoint, ctx, {
        prefix: spec.prefix, suffix: spec.suffix, sendAim: spec.sendAim,
      });
    }
    case 'nmea': {
      const { identity, endpoint } = serialSide(spec, env);
      return new GpsSim(identity, endpoint, ctx, {
        route: spec.route, speedKmh: spec.speedKmh, startMs: spec.startMs ?? now, talker: spec.talker, vtg: spec.vtg,
        hdop: spec.hdop, satellites: spec.satellites, altitudeM: spec.altitudeM,
      });
    }
    case 'kerong-cu16': {
      const { identity, endpoint } = serialSide(spec, env);
      const user = spec.user ? { ...(spec.user.closeAfterMs !== undefined ? { closeAfterMs: spec.user.closeAfterMs } : {}), ...(spec.user.parcel ? { parcel: spec.user.parcel } : {}) } : undefined;
      return new LockBoardSim(identity, endpoint, ctx, {
        boards: spec.boards, lockedBit: spec.lockedBit, user,
      });
    }
    case 'escpos':
    case 'tspl': {
      const side = spec.link === 'tcp' ? { identity: serialSide.identity(spec, env), endpoint: new TcpEndpoint(spec.port) } : serialSide(spec, env);
      const sim = new PrinterSim(side.identity, side.endpoint, ctx, spec.protocol);
      for (const f of spec.faults) sim.stub.setFault(f, true);
      return sim;
    }
    case 'hid-pos-scale':
      return new HidScaleSim(hidIdentity(spec, kit), env.remote(), ctx, makePlatform(spec, now), { unit: spec.unit, exponent: spec.exponent });
    case 'hid-keyboard':
      return new KeyboardWedgeSim(hidIdentity(spec, kit), env.remote(), ctx, { terminator: spec.terminator, sendAim: spec.sendAim });
    case 'hid-pos-scanner':
      return new HidPosScannerSim(hidIdentity(spec, kit), env.remote(), ctx, { vendorCode: spec.vendorCode, noAim: spec.noAim });
    case 'ble-weight':
      return new BleScaleSim(
        { id: spec.id, kit, address: spec.address ?? defaultBleAddress(env.index), localName: spec.localName, gateway: spec.gateway },
        env.remote(),
        ctx,
        makePlatform(spec, now),
        { imperial: spec.imperial, withTimestamp: spec.withTimestamp, userId: spec.userId, resolutionCode: spec.resolutionCode },
      );
  }
}

function hidIdentity(spec: { id: string; vendorId?: number; productId?: number; product?: string; gateway: Record<string, unknown> }, kit: string) {
  return { id: spec.id, kit, vendorId: spec.vendorId, productId: spec.productId, product: spec.product, gateway: spec.gateway };
}
