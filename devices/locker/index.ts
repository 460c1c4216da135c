/** The locker family: its protocols (drivers) and its decoders (`courier-gw decode`). */
import { CodecError } from '../codec.js';
import { defineProtocol, type DecoderDefinition, type ProtocolDefinition } from '../driver.js';
import { LockerBank } from './bank.js';
import { bitOf, decodeFrame, KERONG_PROTOCOL, type KerongFrame } from './kerong-cu16.js';
import { KERONG_BAUD_RATE, kerongBankOptionsSchema } from './options.js';

export { LockerBank } from './bank.js';
export type { CompartmentStatus, CompartmentView, DoorState, ParcelInfo, LockerBankTuning } from './bank.js';
export type { LockerAlarm, LockerAlarmKind } from './alarms.js';
export { compartmentSizes, sizeRank, kerongBankOptionsSchema, KERONG_BAUD_RATE } from './options.js';
export type { CompartmentSize, CompartmentConfig, KerongBankOptions } from './options.js';

export const kerongCu16 = defineProtocol({
  name: KERONG_PROTOCOL,
  kind: 'locker',
  transports: ['serial'],
  serial: { baudRate: KERONG_BAUD_RATE },
  summary: 'a bank of Kerong KR-CU16 lock boards on one RS-485 line (19200 baud): doors, IR sensors, unlocks',
  options: kerongBankOptionsSchema,
  decoder: { name: 'lockboard', example: '02 00 35 FE FF 01 00 03 38' },
  playedBy: { stub: 'LockBoardLine', simulator: 'LockBoardSim' },
  driver: (ctx, options) => new LockerBank(ctx, options),
});

/** a frame as the CLI shows it: state replies with their bits per lock (1-16) */
export function describeLockboardFrame(bytes: Uint8Array): (KerongFrame & { locks?: Record<string, unknown> }) | CodecError {
  const frame = decodeFrame(bytes);
  if (frame instanceof CodecError || frame.type !== 'state') return frame;
  const locks: Record<string, { lockBit: 0 | 1; ir: boolean }> = {};
  for (let lock = 1; lock <= 16; lock++) locks[lock] = { lockBit: bitOf(frame.lockBits, lock), ir: bitOf(frame.irBits, lock) === 1 };
  return { ...frame, locks };
}

export const lockboardDecoder: DecoderDefinition = {
  name: 'lockboard',
  summary: 'a Kerong KR-CU16 lock-board frame (hex)',
  input: 'hex',
  decode(input) {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
    return describeLockboardFrame(bytes);
  },
};

export const protocols: ProtocolDefinition[] = [kerongCu16];
export const decoders: DecoderDefinition[] = [lockboardDecoder];
