/**
 * The serial side shared by the serial scale drivers: opens the SerialLink with capped
 * line framing, reports online / offline, counts overflows, hands frames on as latin1 text.
 */
import type { DriverContext } from '../driver.js';
import { toHex } from '../codec.js';
import { lineFraming } from '../transports/framing.js';
import type { SerialLink } from '../transports/types.js';
import type { SerialTransportConfig } from './options.js';

export interface SerialScaleHandlers {
  onOpen(): void;
  onClose(): void;
  onLine(line: string): void;
}

export function openSerialScale(
  ctx: DriverContext,
  transport: SerialTransportConfig,
  maxBytes: number,
  handlers: SerialScaleHandlers,
): SerialLink {
  const link = ctx.transports.serial({
    path: transport.path,
    baudRate: transport.baudRate,
    ...(transport.dataBits ? { dataBits: transport.dataBits } : {}),
    ...(transport.parity ? { parity: transport.parity } : {}),
    ...(transport.stopBits ? { stopBits: transport.stopBits } : {}),
    ...(transport.backoff ? { backoff: transport.backoff } : {}),
    framing: lineFraming({ delimiter: '\r\n', maxBytes, encoding: 'latin1', lenientLineEnd: true }),
  });
  link.on('open', () => {
    ctx.status('online', { path: transport.path });
    handlers.onOpen();
  });
  link.on('close', (reason?: Error) => {
    ctx.status('offline', { path: transport.path, reason: reason?.message ?? 'closed' });
    handlers.onClose();
  });
  link.on('frame', (frame: Buffer | string) => {
    handlers.onLine(typeof frame === 'string' ? frame : frame.toString('latin1'));
  });
  link.on('overflow', (dropped: Buffer) => {
    ctx.fault('overflow', new Error(`frame longer than ${maxBytes} bytes dropped`), { hex: toHex(dropped.subarray(0, 64)) });
  });
  link.on('error', (error: Error) => ctx.fault('transport', error));
  ctx.status('connecting', { path: transport.path });
  link.start();
  return link;
}

/** the hex of a latin1 line, for the raw field of binary-ish lines */
export function latin1Hex(line: string): string {
  return toHex(Buffer.from(line, 'latin1'));
}
