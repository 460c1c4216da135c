/**
 * The device side of a Kerong KR-CU16 line: several lock boards by address, each with 16
 * doors, door switches and IR presence sensors, as a state machine over bytes. It uses the
 * gateway's own codec. Time is passed in (receive(bytes, nowMs), tick(nowMs)): no timers.
 *
 * A door opens when its lock is unlocked and closes when "the user" closes it: after a
 * delay, or never. When the user closes a door they may put a parcel in or take it out.
 */
import { CodecError } from '../../devices/codec.js';
import { encodePulse, encodeStateReply, splitFrames, decodeFrame, type KerongFrame } from '../../devices/locker/kerong-cu16.js';

export interface StubUser {
  /** ms after the door opened until the user closes it; null: never */
  closeAfterMs: number | null;
  /** what the user does with the compartment before closing */
  parcel: 'put' | 'take' | 'keep';
}

export interface LockBoardStubOptions {
  /** board addresses present on the line (0-15) */
  boards: number[];
  /** the lock-bit value that means locked (door closed); default 0 */
  lockedBit?: 0 | 1;
  /** the user of every door unless set per door; default: closes after 3 s, keeps the contents */
  user?: Partial<StubUser>;
  /** bytes held while waiting for a frame's end; default 64 */
  maxBuffer?: number;
}

interface Door {
  open: boolean;
  jammed: boolean;
  parcel: boolean;
  closeAt: number | null;
  user: StubUser;
}

interface Board {
  doors: Door[];
  muted: boolean;
  pulseUnits: number;
}

const LOCKS = 16;

export class LockBoardLine {
  /** every frame the boards heard, decoded */
  readonly heard: KerongFrame[] = [];
  /** every frame they could not decode */
  readonly errors: CodecError[] = [];
  private readonly boards = new Map<number, Board>();
  private readonly lockedBit: 0 | 1;
  private readonly maxBuffer: number;
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(options: LockBoardStubOptions) {
    this.lockedBit = options.lockedBit ?? 0;
    this.maxBuffer = options.maxBuffer ?? 64;
    const user: StubUser = { closeAfterMs: 3000, parcel: 'keep', ...options.user };
    for (const address of options.boards) {
      const doors = Array.from({ length: LOCKS }, () => ({ open: false, jammed: false, parcel: false, closeAt: null, user: { ...user } }));
      this.boards.set(address, { doors, muted: false, pulseUnits: 20 });
    }
  }

  /** bytes from the line in, reply bytes out (empty when nobody answers) */
  receive(bytes: Uint8Array, nowMs: number): Uint8Array {
    this.tick(nowMs);
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer, 0);
    joined.set(bytes, this.buffer.length);
    const { frames, rest } = splitFrames(joined);
    this.buffer = rest.length > this.maxBuffer ? new Uint8Array(0) : rest;
    const replies: Uint8Array[] = [];
    for (const raw of frames) {
      const frame = decodeFrame(raw);
      if (frame instanceof CodecError) {
        this.errors.push(frame);
        continue;
      }
      this.heard.push(frame);
      replies.push(...this.answer(frame, nowMs));
    }
    return concat(replies);
  }

  /** lets time pass: users close the doors whose delay has run out */
  tick(nowMs: number): void {
    for (const board of this.boards.values()) {
      for (const door of board.doors) {
        if (door.open && door.closeAt !== null && door.closeAt <= nowMs) this.shut(door);
      }
    }
  }

  door(board: number, lock: number): 'open' | 'closed' {
    return this.doorOf(board, lock).open ? 'open' : 'closed';
  }

  occupied(board: number, lock: number): boolean {
    return this.doorOf(board, lock).parcel;
  }

  setUser(board: number, lock: number, user: Partial<StubUser>): void {
    const door = this.doorOf(board, lock);
    door.user = { ...door.user, ...user };
  }

  setParcel(board: number, lock: number, present: boolean): void {
    this.doorOf(board, lock).parcel = present;
  }

  /** the door is opened without an unlock (forced), and stays open until closed */
  forceOpen(board: number, lock: number): void {
    const door = this.doorOf(board, lock);
    door.open = true;
    door.closeAt = null;
  }

  /** the user closes the door now (doing what their `parcel` says) */
  close(board: number, lock: number): void {
    this.shut(this.doorOf(board, lock));
  }

  /** a jammed lock does not open on unlock */
  jam(board: number, lock: number, jammed = true): void {
    this.doorOf(board, lock).jammed = jammed;
  }

  /** a muted board does not answer (unplugged, wrong address, dead) */
  mute(board: number, muted = true): void {
    this.boardOf(board).muted = muted;
  }

  private answer(frame: KerongFrame, nowMs: number): Uint8Array[] {
    if (frame.type === 'query-all') {
      return [...this.boards.keys()].sort((a, b) => a - b).flatMap((address) => this.stateOf(address));
    }
    if (frame.type === 'state') return [];
    const board = this.boards.get(frame.board);
    if (!board || board.muted) return [];
    switch (frame.type) {
      case 'query':
        return this.stateOf(frame.board);
      case 'unlock':
        this.unlock(board.doors[frame.lock - 1], nowMs);
        return [];
      case 'unlock-all':
        for (const door of board.doors) this.unlock(door, nowMs);
        return [];
      case 'pulse': {
        if (frame.pulseMs !== undefined) board.pulseUnits = frame.pulseMs / 10;
        const reply = encodePulse(frame.board, board.pulseUnits * 10);
        return reply instanceof CodecError ? [] : [reply];
      }
    }
  }

  private stateOf(address: number): Uint8Array[] {
    const board = this.boards.get(address);
    if (!board || board.muted) return [];
    let lockBits = 0;
    let irBits = 0;
    board.doors.forEach((door, i) => {
      const bit = door.open ? 1 - this.lockedBit : this.lockedBit;
      lockBits |= bit << i;
      if (door.parcel) irBits |= 1 << i;
    });
    const reply = encodeStateReply(address, lockBits, irBits);
    return reply instanceof CodecError ? [] : [reply];
  }

  private unlock(door: Door, nowMs: number): void {
    if (door.open || door.jammed) return;
    door.open = true;
    door.closeAt = door.user.closeAfterMs === null ? null : nowMs + door.user.closeAfterMs;
  }

  private shut(door: Door): void {
    if (!door.open) return;
    if (door.user.parcel === 'put') door.parcel = true;
    if (door.user.parcel === 'take') door.parcel = false;
    door.open = false;
    door.closeAt = null;
  }

  private boardOf(address: number): Board {
    const board = this.boards.get(address);
    if (!board) throw new RangeError(`no board ${address} on this line`);
    return board;
  }

  private doorOf(address: number, lock: number): Door {
    const door = this.boardOf(address).doors[lock - 1];
    if (!door) throw new RangeError(`no lock ${lock} on board ${address}`);
    return door;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
