/**
 * Kerong KR-CU16 lock-board codec (PROTOCOLS.md §6). Pure: bytes in, a typed frame or a
 * CodecError out, and back. No I/O, no timers, no logging.
 *
 * Frame: `02 ADDR CMD 03 SUM`, SUM = sum of the preceding bytes & 0xFF. ADDR = board in the
 * high nibble, lock index (lock 1 = 0) in the low nibble; whole-board commands use low
 * nibble 0. State reply, 9 bytes: `02 ADDR 35 L1-8 L9-16 IR1-8 IR9-16 03 SUM`.
 *
 * The unlock-pulse command (37) is not specified byte by byte in the public material:
 * here a 5-byte `02 ADDR 37 03 SUM` queries the pulse and a 6-byte `02 ADDR 37 NN 03 SUM`
 * sets it (or is the board's answer), NN in 10 ms units.
 */
import { CodecError, toHex } from '../codec.js';

export const KERONG_PROTOCOL = 'kerong-cu16';
export const STX = 0x02;
export const ETX = 0x03;
export const BROADCAST_ADDRESS = 0xf0;

export const KerongCommand = {
  query: 0x30,
  unlock: 0x31,
  queryAll: 0x32,
  unlockAll: 0x33,
  state: 0x35,
  pulse: 0x37,
} as const;

/** the frame lengths each command may have */
const lengthsOf: Readonly<Record<number, readonly number[]>> = {
  [KerongCommand.query]: [5],
  [KerongCommand.unlock]: [5],
  [KerongCommand.queryAll]: [5],
  [KerongCommand.unlockAll]: [5],
  [KerongCommand.state]: [9],
  [KerongCommand.pulse]: [5, 6],
};

/** the 16 lock bits or 16 IR bits of one board: bit n = lock n+1 */
export type BoardBits = number;

export interface StateReply {
  type: 'state';
  board: number;
  /** raw lock bits; their meaning (1 = locked or 1 = open) is the bank's `lockedBit` */
  lockBits: BoardBits;
  /** IR presence bits, 1 = something is in the compartment */
  irBits: BoardBits;
  hex: string;
}

export type KerongFrame =
  | { type: 'query'; board: number; hex: string }
  | { type: 'unlock'; board: number; lock: number; hex: string }
  | { type: 'unlock-all'; board: number; hex: string }
  | { type: 'query-all'; hex: string }
  | { type: 'pulse'; board: number; pulseMs?: number; hex: string }
  | StateReply;

export function checksum(bytes: Uint8Array, end = bytes.length): number {
  let sum = 0;
  for (let i = 0; i < end; i++) sum = (sum + bytes[i]) & 0xff;
  return sum;
}

function frame(addr: number, cmd: number, data: readonly number[] = []): Uint8Array {
  const out = new Uint8Array(5 + data.length);
  out[0] = STX;
  out[1] = addr;
  out[2] = cmd;
  out.set(data, 3);
  out[3 + data.length] = ETX;
  out[4 + data.length] = checksum(out, 4 + data.length);
  return out;
}

function fail(code: string, message: string, input: Uint8Array | string): CodecError {
  return new CodecError(KERONG_PROTOCOL, code, message, typeof input === 'string' ? input : toHex(input));
}

function checkBoard(board: number): CodecError | undefined {
  if (Number.isInteger(board) && board >= 0 && board <= 15) return undefined;
  return fail('BAD_ADDRESS', `board must be 0-15, got ${board}`, `board=${board}`);
}

/** `02 B0 30 03 SUM`: ask board B for its lock and IR states */
export function encodeQuery(board: number): Uint8Array | CodecError {
  return checkBoard(board) ?? frame(board << 4, KerongCommand.query);
}

/** `02 BL 31 03 SUM`: unlock one lock; `lock` is the 1-based number printed on the board */
export function encodeUnlock(board: number, lock: number): Uint8Array | CodecError {
  const bad = checkBoard(board);
  if (bad) return bad;
  if (!Number.isInteger(lock) || lock < 1 || lock > 16) {
    return fail('BAD_ADDRESS', `lock must be 1-16, got ${lock}`, `board=${board} lock=${lock}`);
  }
  return frame((board << 4) | (lock - 1), KerongCommand.unlock);
}

/** `02 B0 33 03 SUM`: unlock every lock of a board */
export function encodeUnlockAll(board: number): Uint8Array | CodecError {
  return checkBoard(board) ?? frame(board << 4, KerongCommand.unlockAll);
}

/** `02 F0 32 03 27`: every board answers with its state, one after another */
export function encodeQueryAll(): Uint8Array {
  return frame(BROADCAST_ADDRESS, KerongCommand.queryAll);
}

/** pulse query (no pulseMs) or set (10 ms units, 10-2550 ms) */
export function encodePulse(board: number, pulseMs?: number): Uint8Array | CodecError {
  const bad = checkBoard(board);
  if (bad) return bad;
  if (pulseMs === undefined) return frame(board << 4, KerongCommand.pulse);
  const units = Math.round(pulseMs / 10);
  if (!Number.isFinite(pulseMs) || units < 1 || units > 255) {
    return fail('BAD_VALUE', `pulse must be 10-2550 ms, got ${pulseMs}`, `pulseMs=${pulseMs}`);
  }
  return frame(board << 4, KerongCommand.pulse, [units]);
}

/** the board's state reply (the firmware stub sends these) */
export function encodeStateReply(board: number, lockBits: BoardBits, irBits: BoardBits): Uint8Array | CodecError {
  return (
    checkBoard(board) ??
    frame(board << 4, KerongCommand.state, [lockBits & 0xff, (lockBits >> 8) & 0xff, irBits & 0xff, (irBits >> 8) & 0xff])
  );
}

/** Decodes one whole frame (as the framer cuts them). */
export function decodeFrame(bytes: Uint8Array): KerongFrame | CodecError {
  const hex = toHex(bytes);
  if (bytes.length < 5) return fail('WRONG_LENGTH', `a frame has at least 5 bytes, got ${bytes.length}`, bytes);
  if (bytes[0] !== STX) return fail('BAD_FRAME', 'a frame starts with 02', bytes);
  if (bytes[bytes.length - 2] !== ETX) return fail('BAD_FRAME', 'a frame ends with 03 SUM', bytes);
  const sum = checksum(bytes, bytes.length - 1);
  if (sum !== bytes[bytes.length - 1]) {
    const want = sum.toString(16).padStart(2, '0').toUpperCase();
    return fail('BAD_CHECKSUM', `checksum should be ${want}`, bytes);
  }
  const addr = bytes[1];
  const cmd = bytes[2];
  const lengths = lengthsOf[cmd];
  if (!lengths) return fail('UNKNOWN_COMMAND', `unknown command ${toHex(bytes.subarray(2, 3))}`, bytes);
  if (!lengths.includes(bytes.length)) {
    return fail('WRONG_LENGTH', `command ${toHex(bytes.subarray(2, 3))} has ${lengths.join(' or ')} bytes, got ${bytes.length}`, bytes);
  }
  const board = addr >> 4;
  const lockIndex = addr & 0x0f;
  if (cmd === KerongCommand.queryAll) {
    return addr === BROADCAST_ADDRESS ? { type: 'query-all', hex } : fail('WRONG_ADDRESS', 'command 32 is sent to F0', bytes);
  }
  if (cmd === KerongCommand.unlock) return { type: 'unlock', board, lock: lockIndex + 1, hex };
  if (lockIndex !== 0) return fail('WRONG_ADDRESS', 'a whole-board frame has low nibble 0', bytes);
  switch (cmd) {
    case KerongCommand.query:
      return { type: 'query', board, hex };
    case KerongCommand.unlockAll:
      return { type: 'unlock-all', board, hex };
    case KerongCommand.pulse:
      return bytes.length === 6 ? { type: 'pulse', board, pulseMs: bytes[3] * 10, hex } : { type: 'pulse', board, hex };
    default:
      return {
        type: 'state',
        board,
        lockBits: bytes[3] | (bytes[4] << 8),
        irBits: bytes[5] | (bytes[6] << 8),
        hex,
      };
  }
}

/** Decodes a state reply and checks it comes from the board that was asked. */
export function decodeStateReply(bytes: Uint8Array, expectedBoard?: number): StateReply | CodecError {
  const decoded = decodeFrame(bytes);
  if (decoded instanceof CodecError) return decoded;
  if (decoded.type !== 'state') return fail('NOT_A_REPLY', `expected a state reply (35), got ${decoded.type}`, bytes);
  if (expectedBoard !== undefined && decoded.board !== expectedBoard) {
    return fail('WRONG_ADDRESS', `expected board ${expectedBoard}, got board ${decoded.board}`, bytes);
  }
  return decoded;
}

/** the bit of one lock (1-based) in a board's 16 bits */
export function bitOf(bits: BoardBits, lock: number): 0 | 1 {
  return ((bits >> (lock - 1)) & 1) as 0 | 1;
}

export interface SplitResult {
  frames: Uint8Array[];
  /** bytes kept for the next chunk (the start of an incomplete frame) */
  rest: Uint8Array;
  /** bytes that could not start a frame */
  dropped: Uint8Array[];
}

type Candidate = { length: number } | 'wait' | 'none';

/**
 * Where a frame starting at `at` (an 02) ends: lengths come from the command byte (an
 * unknown command is taken as the 5-byte basic frame). A frame with its 03 in place is
 * cut even with a bad checksum, so the decoder can report it.
 */
function candidateAt(buf: Uint8Array, at: number): Candidate {
  if (buf.length - at < 3) return 'wait';
  const lengths = lengthsOf[buf[at + 2]] ?? [5];
  let waiting = false;
  let etxOnly: number | undefined;
  for (const length of lengths) {
    if (buf.length - at < length) {
      waiting = true;
      continue;
    }
    if (buf[at + length - 2] !== ETX) continue;
    if (checksum(buf.subarray(at, at + length - 1)) === buf[at + length - 1]) return { length };
    etxOnly ??= length;
  }
  if (waiting) return 'wait';
  return etxOnly !== undefined ? { length: etxOnly } : 'none';
}

/** Cuts whole frames out of a byte buffer, resynchronising on the next 02 after garbage. */
export function splitFrames(buffer: Uint8Array): SplitResult {
  const frames: Uint8Array[] = [];
  const dropped: Uint8Array[] = [];
  let i = 0;
  let garbageFrom = -1;
  const flushGarbage = (to: number): void => {
    if (garbageFrom >= 0 && to > garbageFrom) dropped.push(buffer.slice(garbageFrom, to));
    garbageFrom = -1;
  };
  while (i < buffer.length) {
    if (buffer[i] !== STX) {
      if (garbageFrom < 0) garbageFrom = i;
      i++;
      continue;
    }
    const found = candidateAt(buffer, i);
    if (found === 'wait') break;
    if (found === 'none') {
      if (garbageFrom < 0) garbageFrom = i;
      i++;
      continue;
    }
    flushGarbage(i);
    frames.push(buffer.slice(i, i + found.length));
    i += found.length;
  }
  flushGarbage(i);
  return { frames, rest: buffer.slice(i), dropped };
}
