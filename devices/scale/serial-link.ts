/**
 * The serial side shared by the serial scale drivers: the device opened with capped
 * line framing (CR LF, a bare CR or LF also ends a line), its lines handed on as latin1 text.
 */
import { toHex } from '../codec.js';
import type { DriverContext } from '../driver.js';
import { lineFraming } from '../transports/framing.js';
import { frameText, openSerialDevice, type SerialTransportConfig } from '../transports/serial-device.js';
import type { SerialLink } from '../transports/types.js';

export interface SerialScaleHandlers {
  onOpen?(): void;
  onClose?(): void;
  onLine(line: string): void;
}

export function openSerialScale(ctx: DriverContext, transport: SerialTransportConfig, maxBytes: number, handlers: SerialScaleHandlers): SerialLink {
  return openSerialDevice(ctx, {
    transport,
    framing: lineFraming({ delimiter: '\r\n', maxBytes, encoding: 'latin1', lenientLineEnd: true }),
    maxFrameBytes: maxBytes,
    onOpen: handlers.onOpen,
    onClose: handlers.onClose,
    onFrame: (frame) => handlers.onLine(frameText(frame)),
  });
}

/** the hex of a latin1 line, for the raw field of binary-ish lines */
export function latin1Hex(line: string): string {
  return toHex(Buffer.from(line, 'latin1'));
}
