/**
 * A Kerong KR-CU16 RS-485 line with its lock boards: answers queries and unlocks; the
 * doors open on unlock and "the user" closes them after a delay, or never (door-stuck).
 * A board can stop answering (mute with a board) while the others go on.
 */
import { z } from 'zod';
import { LockBoardLine, type LockBoardStubOptions } from '../../firmware-stubs/locker/lock-board.js';
import type { SerialEndpoint } from './serial-endpoint.js';
import { SerialSim, type SerialSimIdentity } from './serial-sim.js';
import { action, type SimAction, type SimContext } from './sim-device.js';

const door = { board: z.number().int().min(0).max(15), lock: z.number().int().min(1).max(16) };
const optionalBoard = z.strictObject({ board: z.number().int().min(0).max(15).optional() });

export class LockBoardSim extends SerialSim {
  readonly kind = 'locker' as const;
  readonly protocol = 'kerong-cu16';
  readonly line: LockBoardLine;
  private readonly mutedBoards = new Set<number>();
  /** frames heard and already trimmed from the stub's list */
  private framesHeard = 0;

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, private readonly options: LockBoardStubOptions) {
    super(identity, endpoint, ctx);
    this.line = new LockBoardLine(options);
  }

  protected override entryOptions(): Record<string, unknown> {
    const compartments = this.options.boards.flatMap((board) =>
      Array.from({ length: 16 }, (_, i) => ({ id: `B${board}-${String(i + 1).padStart(2, '0')}`, board, lock: i + 1, size: 'M' })),
    );
    return { lockedBit: this.options.lockedBit ?? 0, compartments };
  }

  protected receive(bytes: Buffer, nowMs: number): void {
    const reply = this.line.receive(bytes, nowMs);
    if (reply.length > 0) this.send(reply);
  }

  protected produce(nowMs: number): void {
    this.line.tick(nowMs);
    // the stub keeps every frame it heard; a simulator runs for days
    for (const list of [this.line.heard, this.line.errors] as unknown[][]) {
      if (list.length > 1000) {
        if (list === this.line.heard) this.framesHeard += list.length - 100;
        list.splice(0, list.length - 100);
      }
    }
  }

  /** a line protocol with STX/ETX frames: garbage goes as it is */
  protected override frameGarbage(bytes: Uint8Array): Uint8Array {
    return bytes;
  }

  protected ownActions(): Record<string, SimAction> {
    const checked = (board: number, lock: number, run: () => Record<string, unknown>) => {
      if (!this.options.boards.includes(board)) return { ok: false, error: 'BAD_ARGS', message: `no board ${board} on this line (boards: ${this.options.boards.join(', ')})` };
      return { ok: true, board, lock, ...run() };
    };
    return {
      'door-stuck': action('the user never closes this door once it opens (door left open)', z.strictObject(door), ({ board, lock }) =>
        checked(board, lock, () => {
          this.line.setUser(board, lock, { closeAfterMs: null });
          return { door: this.line.door(board, lock), closes: 'never' };
        }),
      ),
      'door-closes': action(
        'the user closes this door afterMs after it opens (default 3000), putting / taking / keeping a parcel',
        z.strictObject({ ...door, afterMs: z.number().int().min(0).default(3000), parcel: z.enum(['put', 'take', 'keep']).optional() }),
        ({ board, lock, afterMs, parcel }) =>
          checked(board, lock, () => {
            this.line.setUser(board, lock, { closeAfterMs: afterMs, ...(parcel ? { parcel } : {}) });
            return { closesAfterMs: afterMs };
          }),
      ),
      close: action('the user closes this door now', z.strictObject(door), ({ board, lock }) =>
        checked(board, lock, () => {
          this.line.close(board, lock);
          return { door: this.line.door(board, lock) };
        }),
      ),
      'force-open': action('the door is forced open without an unlock', z.strictObject(door), ({ board, lock }) =>
        checked(board, lock, () => {
          this.line.forceOpen(board, lock);
          return { door: 'open' };
        }),
      ),
      jam: action('a jammed lock does not open on unlock; on: false frees it', z.strictObject({ ...door, on: z.boolean().default(true) }), ({ board, lock, on }) =>
        checked(board, lock, () => {
          this.line.jam(board, lock, on);
          return { jammed: on };
        }),
      ),
      parcel: action('put a parcel in (present: true) or take it out, without the door', z.strictObject({ ...door, present: z.boolean() }), ({ board, lock, present }) =>
        checked(board, lock, () => {
          this.line.setParcel(board, lock, present);
          return { occupied: present };
        }),
      ),
      mute: action('a board stops answering (with board), or the whole line (without)', optionalBoard, ({ board }) => this.setMuted(board, true)),
      unmute: action('the board (or the line) answers again', optionalBoard, ({ board }) => this.setMuted(board, false)),
    };
  }

  private setMuted(board: number | undefined, muted: boolean): Record<string, unknown> & { ok: boolean } {
    if (board === undefined) {
      this.muted = muted;
      return { ok: true, muted };
    }
    if (!this.options.boards.includes(board)) return { ok: false, error: 'BAD_ARGS', message: `no board ${board} on this line` };
    this.line.mute(board, muted);
    if (muted) this.mutedBoards.add(board);
    else this.mutedBoards.delete(board);
    return { ok: true, board, muted };
  }

  protected state(): Record<string, unknown> {
    const open: string[] = [];
    const occupied: string[] = [];
    for (const board of this.options.boards) {
      for (let lock = 1; lock <= 16; lock++) {
        if (this.line.door(board, lock) === 'open') open.push(`${board}/${lock}`);
        if (this.line.occupied(board, lock)) occupied.push(`${board}/${lock}`);
      }
    }
    return { boards: this.options.boards, mutedBoards: [...this.mutedBoards], openDoors: open, occupied, framesHeard: this.framesHeard + this.line.heard.length, badFrames: this.line.errors.length };
  }
}
