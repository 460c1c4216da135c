/**
 * The serial side every serial device shares: one transport schema (with the defaults a
 * protocol declares, e.g. 19200 baud for a Kerong lock board) and one `openSerialDevice()`
 * that opens the SerialLink with the protocol's capped framing, reports connecting /
 * online / offline, and counts overflows and transport errors as faults. Reconnect with
 * backoff and jitter is the link's own (devices/transports/serial.ts).
 */
import type { Transform } from 'node:stream';
import { z } from 'zod';
import { toHex } from '../codec.js';
import type { DriverContext } from '../driver.js';
import type { SerialLink } from './types.js';

/** reconnect bounds, ms: the first wait is at most minMs, each further one up to twice as long, never over maxMs */
export const backoffSchema = z
  .strictObject({ minMs: z.number().int().positive(), maxMs: z.number().int().positive() })
  .refine((b) => b.minMs <= b.maxMs, { message: 'minMs must not be more than maxMs' });

/** what a protocol may set as its line's defaults; a device's config overrides each */
export interface SerialDefaults {
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

/** The `transport:` of a serial device, with the protocol's defaults filled in. */
export function serialTransportSchema(defaults: SerialDefaults = {}) {
  return z.strictObject({
    type: z.literal('serial'),
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(defaults.baudRate ?? 9600),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(defaults.dataBits ?? 8),
    parity: z.enum(['none', 'even', 'odd']).default(defaults.parity ?? 'none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(defaults.stopBits ?? 1),
    backoff: backoffSchema.optional(),
  });
}

export type SerialTransportConfig = z.output<ReturnType<typeof serialTransportSchema>>;

export interface SerialDeviceOptions {
  transport: SerialTransportConfig;
  /** makes the protocol's frame splitter (always capped) */
  framing: () => Transform;
  /** the framing's cap, for the overflow fault's message */
  maxFrameBytes: number;
  onFrame(frame: Buffer | string): void;
  onOpen?(): void;
  onClose?(reason: Error | undefined): void;
  /**
   * 'link' (default): online when the port opens, offline when it closes. 'driver': the
   * driver reports its own status (a bus of boards is online when a board answers).
   */
  status?: 'link' | 'driver';
}

/** Opens a serial device on ctx.transports.serial and starts it; the link is returned started. */
export function openSerialDevice(ctx: DriverContext, o: SerialDeviceOptions): SerialLink {
  const { transport } = o;
  const reports = (o.status ?? 'link') === 'link';
  const link = ctx.transports.serial({
    path: transport.path,
    baudRate: transport.baudRate,
    dataBits: transport.dataBits,
    parity: transport.parity,
    stopBits: transport.stopBits,
    ...(transport.backoff ? { backoff: transport.backoff } : {}),
    framing: o.framing,
  });
  link.on('open', () => {
    if (reports) ctx.status('online', { path: transport.path });
    o.onOpen?.();
  });
  link.on('close', (reason) => {
    if (reports) ctx.status('offline', { path: transport.path, reason: reason?.message ?? 'closed' });
    o.onClose?.(reason);
  });
  link.on('frame', (frame) => o.onFrame(frame));
  link.on('overflow', (dropped) => {
    ctx.fault('overflow', new Error(`frame longer than ${o.maxFrameBytes} bytes dropped`), {
      bytes: dropped.length,
      hex: toHex(dropped.subarray(0, 64)),
    });
  });
  link.on('error', (error) => ctx.fault('transport', error));
  if (reports) ctx.status('connecting', { path: transport.path });
  link.start();
  return link;
}

/** a frame as latin1 text (every byte one character) */
export function frameText(frame: Buffer | string): string {
  return typeof frame === 'string' ? frame : frame.toString('latin1');
}
