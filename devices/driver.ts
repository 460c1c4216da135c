/**
 * The seam between the gateway and a device driver. A driver is a thin adapter that
 * moves bytes between a transport and a pure codec; everything it needs from the
 * gateway comes in one DriverContext, so devices/ never imports gateway/.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CodecError } from './codec.js';
import type { EventType, EventPayload } from './events.js';
import type { SerialDefaults } from './transports/serial-device.js';
import type { Transports } from './transports/types.js';

export type DeviceKind = 'scale' | 'scanner' | 'gps' | 'locker' | 'printer' | 'terminal' | 'app';
export const deviceKinds: readonly DeviceKind[] = ['scale', 'scanner', 'gps', 'locker', 'printer', 'terminal', 'app'];

export type TransportType = 'mqtt' | 'serial' | 'hid' | 'ble' | 'tcp';

/** A configured device as the driver sees it (validated by the gateway's config schema). */
export interface DeviceConfig {
  id: string;
  kind: DeviceKind;
  kit: string;
  protocol?: string;
  transport: { type: TransportType; [key: string]: unknown };
  /** every further key of the device's config entry (protocol options) */
  [key: string]: unknown;
}

/** online: talking; offline: configured but not there (unplugged, port gone); unavailable: cannot work on this machine. */
export type DeviceState = 'online' | 'offline' | 'unavailable' | 'connecting';

export interface CommandResult {
  ok: boolean;
  /** a reason code when not ok, e.g. 'NOT_SUPPORTED', 'TIMEOUT', 'EXPIRED' */
  error?: string;
  message?: string;
  [key: string]: unknown;
}

export interface DriverContext {
  device: DeviceConfig;
  /** a child logger already bound to { device, protocol } */
  log: Logger;
  /** publishes a normalized event on cg/v1/devices/{id}/events/{type} */
  emit<T extends EventType>(type: T, payload: EventPayload<T>): void;
  /** sets the retained device status (with a reason or details) */
  status(state: DeviceState, detail?: Record<string, unknown>): void;
  /** counts a fault of this device (per kind) and logs it once per kind per interval */
  fault(kind: string, error: CodecError | Error, detail?: Record<string, unknown>): void;
  /** the shared transports (serial, HID, BLE), loaded lazily */
  transports: Transports;
  /** a small persistent key/value store for the device's own state (lowdb-backed) */
  state: DeviceStateStore;
  /** wall clock, ms since epoch (fake timers replace it in tests) */
  now(): number;
}

export interface DeviceStateStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): Promise<void>;
}

export interface Driver {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** a command from the bus (cg/v1/devices/{id}/commands/{name}); unknown names answer NOT_SUPPORTED */
  command?(name: string, payload: Record<string, unknown>): Promise<CommandResult>;
  /** extra state for /healthz and the dashboard (alarms, compartments, ...) */
  describe?(): Record<string, unknown>;
}

/** One protocol the gateway can drive: found by `protocol:` in a device's config. */
export interface ProtocolDefinition {
  name: string;
  kind: DeviceKind;
  transports: readonly TransportType[];
  /**
   * The device's config entry as this protocol reads it: its own keys and its `transport`
   * with the protocol's defaults (baud rate, framing). The gateway's config validates each
   * device with it; errors are reported with the device's path.
   */
  options: z.ZodType;
  /** the serial line's defaults of a serial protocol (9600 8N1 when not given): its options schema and its simulator use them */
  serial?: SerialDefaults;
  /** one line for docs and `courier-gw decode --help` */
  summary: string;
  /** its decoder of `courier-gw decode` and an input that decodes */
  decoder?: { name: string; example: string };
  /** the firmware stub and the simulator that play the device side */
  playedBy?: { stub: string; simulator: string };
  /** a decoder of `courier-gw decode` the protocol brings with it (not in its family's list) */
  ownDecoder?: DecoderDefinition;
  /** a driver for a device whose entry the options schema accepts (parsed once, here) */
  createDriver(ctx: DriverContext): Driver;
}

/** What a protocol is made of; `defineProtocol` turns it into a ProtocolDefinition. */
export interface ProtocolParts<S extends z.ZodType> extends Omit<ProtocolDefinition, 'options' | 'createDriver'> {
  options: S;
  /** the driver, given the device's options already parsed */
  driver(ctx: DriverContext, options: z.output<S>): Driver;
}

/**
 * One protocol as one definition: the options are parsed once, when the driver is made,
 * and the driver receives them typed. An entry the schema refuses makes a driver that
 * reports `unavailable` with the first bad field.
 */
export function defineProtocol<S extends z.ZodType>(parts: ProtocolParts<S>): ProtocolDefinition {
  const { driver, ...definition } = parts;
  return {
    ...definition,
    createDriver(ctx) {
      const parsed = parts.options.safeParse(ctx.device);
      if (parsed.success) return driver(ctx, parsed.data);
      const issue = parsed.error.issues[0];
      const reason = `${issue?.path.map(String).join('.') || '(device)'}: ${issue?.message ?? 'invalid'}`;
      return {
        async start() {
          ctx.status('unavailable', { reason });
        },
        async stop() {},
      };
    },
  };
}

/** One decoder of `courier-gw decode <name> <input>`. */
export interface DecoderDefinition {
  name: string;
  /** one line for --help */
  summary: string;
  /**
   * 'hex' input is parsed with fromHex first; 'text' is passed as typed (\r \n \x1d escapes
   * unescaped); 'line' (a line protocol) takes either: spaced hex pairs ("53 54 2C"), or
   * unspaced hex ending in 0D / 0A, are bytes, anything else is text; 'file' is a path
   */
  input: 'hex' | 'text' | 'line' | 'file';
  /** an input that decodes, for --help (else the protocol's example) */
  example?: string;
  decode(input: Uint8Array | string): unknown | CodecError | Promise<unknown | CodecError>;
}
