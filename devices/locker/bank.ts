/**
 * A locker bank on one RS-485 line of Kerong lock boards: the driver of protocol
 * `kerong-cu16`. It keeps each compartment's status and door, polls the boards, turns door
 * changes into `locker` events, raises alarms, and opens compartments for commands and
 * for the drop-off and collection flows (the methods below the Driver part).
 */
import { z } from 'zod';
import type { CommandResult, Driver, DriverContext } from '../driver.js';
import type { SerialLink } from '../transports/types.js';
import { AlarmBook, type LockerAlarm, type LockerAlarmKind } from './alarms.js';
import { CommandLedger } from './command-ledger.js';
import { bitOf, type StateReply } from './kerong-cu16.js';
import { kerongFraming } from './kerong-framing.js';
import { openSerialDevice } from '../transports/serial-device.js';
import { LockLine } from './line.js';
import { sizeRank, type CompartmentConfig, type CompartmentSize, type KerongBankOptions } from './options.js';

export type CompartmentStatus = 'free' | 'reserved' | 'occupied' | 'collecting' | 'out-of-service';
export type DoorState = 'open' | 'closed' | 'unknown';

export interface ParcelInfo {
  waybill: string;
  grams?: number;
  droppedAt: string;
}

export interface CompartmentView extends CompartmentConfig {
  status: CompartmentStatus;
  door: DoorState;
  /** the IR sensor: something is inside (unknown until the board answered) */
  occupied?: boolean;
  parcel?: ParcelInfo;
}

interface Compartment extends CompartmentView {
  openedAt?: number;
  /** an open seen before this time was commanded (not forced) */
  expectOpenUntil: number;
  reconciled: boolean;
}

export interface LockerBankTuning {
  replyTimeoutMs?: number;
  retries?: number;
  unlockGapMs?: number;
  /** how long an open waits to see the door open; default 3 polls + 1 s */
  confirmMs?: number;
  /** how many command ids are remembered; default 500 */
  rememberCommands?: number;
  /**
   * an `open` whose expiresAt lies further ahead is refused (EXPIRES_TOO_LATE): a command
   * captured once cannot be replayed for years after its id is forgotten; default 24 h
   */
  maxOpenAheadMs?: number;
}

const openCommandSchema = z.object({
  id: z.string().min(1).max(128),
  compartment: z.string().min(1),
  expiresAt: z.iso.datetime({ offset: true }),
});

const serviceCommandSchema = z.object({ id: z.string().min(1).max(128), compartment: z.string().min(1), outOfService: z.boolean() });

const STATE_KEY = 'compartments';
/** the longest run of bytes kept while looking for a frame */
const KERONG_MAX_FRAME_BYTES = 64;
const statuses: readonly CompartmentStatus[] = ['free', 'reserved', 'occupied', 'collecting', 'out-of-service'];

export class LockerBank implements Driver {
  private readonly byId = new Map<string, Compartment>();
  private readonly boards: number[];
  private readonly failing = new Set<number>();
  private readonly answered = new Set<number>();
  private readonly alarms = new AlarmBook();
  private readonly ledger: CommandLedger;
  private readonly confirmMs: number;
  private readonly waiters = new Set<{ id: string; done(opened: boolean): void }>();
  private link: SerialLink | undefined;
  private line: LockLine | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private lastStatus = '';

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: KerongBankOptions,
    private readonly tuning: LockerBankTuning = {},
  ) {
    for (const c of options.compartments) {
      this.byId.set(c.id, { ...c, status: 'free', door: 'unknown', expectOpenUntil: 0, reconciled: false });
    }
    this.boards = [...new Set(options.compartments.map((c) => c.board))].sort((a, b) => a - b);
    this.ledger = new CommandLedger(ctx.state, tuning.rememberCommands ?? 500);
    this.confirmMs = tuning.confirmMs ?? 3 * options.pollMs + 1000;
  }

  async start(): Promise<void> {
    await this.restore();
    const link = openSerialDevice(this.ctx, {
      transport: this.options.transport,
      framing: kerongFraming({ maxBytes: KERONG_MAX_FRAME_BYTES }),
      maxFrameBytes: KERONG_MAX_FRAME_BYTES,
      // the line is online when a board answers, not when the port opens
      status: 'driver',
      onFrame: () => undefined,
      onOpen: () => this.setStatus('connecting'),
      onClose: () => {
        this.forgetDoors(this.boards);
        this.setStatus('offline', { reason: 'port closed' });
      },
    });
    this.link = link;
    this.line = new LockLine({
      link,
      timeoutMs: this.tuning.replyTimeoutMs,
      retries: this.tuning.retries,
      unlockGapMs: this.tuning.unlockGapMs,
      onFault: (kind, error) => this.ctx.fault(kind, error),
    });
    this.running = true;
    this.setStatus('connecting');
    this.schedulePoll(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.pollTimer);
    for (const w of [...this.waiters]) w.done(false);
    this.line?.stop();
    await this.link?.stop();
  }

  async command(name: string, payload: Record<string, unknown>): Promise<CommandResult> {
    if (name === 'open') return this.commandOpen(payload);
    if (name === 'service') {
      const parsed = serviceCommandSchema.safeParse(payload);
      if (!parsed.success) return { ok: false, error: 'INVALID_PAYLOAD', message: parsed.error.issues[0]?.message };
      const { id, compartment, outOfService } = parsed.data;
      const ok = await this.setOutOfService(compartment, outOfService);
      return ok ? { ok, id } : { ok, id, error: 'UNKNOWN_COMPARTMENT' };
    }
    return { ok: false, error: 'NOT_SUPPORTED', message: `locker banks take open and service, not ${name}` };
  }

  describe(): Record<string, unknown> {
    return {
      compartments: this.list(),
      alarms: this.alarms.list(),
      boards: this.boards.map((board) => ({ board, answering: this.answered.has(board) && !this.failing.has(board) })),
    };
  }

  // ---- what the drop-off and collection flows use ----

  list(): CompartmentView[] {
    return [...this.byId.values()].map((c) => this.view(c));
  }

  compartment(id: string): CompartmentView | undefined {
    const c = this.byId.get(id);
    return c ? this.view(c) : undefined;
  }

  alarmList(): LockerAlarm[] {
    return this.alarms.list();
  }

  /** the smallest free compartment the size fits in, door closed and nothing inside */
  findFree(size: CompartmentSize): CompartmentView | undefined {
    const fits = [...this.byId.values()].filter(
      (c) => c.status === 'free' && c.door === 'closed' && c.occupied !== true && sizeRank(c.size) >= sizeRank(size),
    );
    fits.sort((a, b) => sizeRank(a.size) - sizeRank(b.size) || a.id.localeCompare(b.id));
    return fits[0] ? this.view(fits[0]) : undefined;
  }

  findByWaybill(waybill: string): CompartmentView | undefined {
    const c = [...this.byId.values()].find((x) => x.parcel?.waybill === waybill);
    return c ? this.view(c) : undefined;
  }

  reserve(id: string): Promise<boolean> {
    return this.transition(id, ['free'], 'reserved');
  }

  occupy(id: string, parcel: { waybill: string; grams?: number }): Promise<boolean> {
    const droppedAt = new Date(this.ctx.now()).toISOString();
    return this.transition(id, ['reserved', 'free'], 'occupied', { ...parcel, droppedAt });
  }

  markCollecting(id: string): Promise<boolean> {
    return this.transition(id, ['occupied'], 'collecting');
  }

  /** back to occupied (a collection that did not happen) */
  markOccupied(id: string): Promise<boolean> {
    return this.transition(id, ['collecting'], 'occupied');
  }

  free(id: string): Promise<boolean> {
    return this.transition(id, ['reserved', 'occupied', 'collecting'], 'free', null);
  }

  setOutOfService(id: string, outOfService: boolean): Promise<boolean> {
    return outOfService ? this.transition(id, statuses, 'out-of-service') : this.transition(id, ['out-of-service'], 'free', null);
  }

  /** unlocks once, then waits for the polled door state to show it open */
  async open(id: string): Promise<CommandResult> {
    const c = this.byId.get(id);
    if (!c) return { ok: false, error: 'UNKNOWN_COMPARTMENT', message: `no compartment ${id}` };
    if (!this.line || !this.running) return { ok: false, error: 'NOT_RUNNING', compartment: id };
    if (this.failing.has(c.board)) return { ok: false, error: 'BOARD_TIMEOUT', compartment: id, message: `board ${c.board} is not answering` };
    c.expectOpenUntil = this.ctx.now() + this.confirmMs + this.options.pollMs;
    const opened = this.waitForOpen(c);
    const written = await this.line.unlock(c.board, c.lock);
    if (!written.ok) {
      for (const w of [...this.waiters]) if (w.id === id) w.done(false);
      return { ok: false, error: written.error, compartment: id };
    }
    this.ctx.log.info({ compartment: id, board: c.board, lock: c.lock, bytes: written.hex }, 'unlock sent');
    void this.pollBoard(c.board);
    if (await opened) return { ok: true, compartment: id, door: 'open' };
    const boardDown = this.failing.has(c.board);
    return {
      ok: false,
      error: boardDown ? 'BOARD_TIMEOUT' : 'NOT_OPENED',
      compartment: id,
      message: boardDown ? `board ${c.board} stopped answering` : 'the door sensor did not report the door open',
    };
  }

  // ---- internals ----

  private async commandOpen(payload: Record<string, unknown>): Promise<CommandResult> {
    const parsed = openCommandSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: 'INVALID_PAYLOAD', message: `${issue?.path.join('.')}: ${issue?.message}`, id: payload.id };
    }
    const { id, compartment, expiresAt } = parsed.data;
    const maxAhead = this.tuning.maxOpenAheadMs ?? 24 * 3_600_000;
    if (Date.parse(expiresAt) > this.ctx.now() + maxAhead) {
      return { ok: false, error: 'EXPIRES_TOO_LATE', id, message: `expiresAt more than ${Math.round(maxAhead / 60_000)} min ahead` };
    }
    const taken = this.ledger.take(id);
    if (!taken.fresh) return { ok: false, error: 'DUPLICATE', id, message: 'this command id was already taken' };
    try {
      await taken.saved;
    } catch (error) {
      this.ctx.fault('state-write', error instanceof Error ? error : new Error(String(error)));
      return { ok: false, error: 'STATE_NOT_SAVED', id };
    }
    if (Date.parse(expiresAt) <= this.ctx.now()) return { ok: false, error: 'EXPIRED', id, message: `expired at ${expiresAt}` };
    return { ...(await this.open(compartment)), id };
  }

  private waitForOpen(c: Compartment): Promise<boolean> {
    if (c.door === 'open') return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        id: c.id,
        done: (opened: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(opened);
        },
      };
      const timer = setTimeout(() => waiter.done(false), this.confirmMs);
      this.waiters.add(waiter);
    });
  }

  private schedulePoll(delayMs: number): void {
    if (!this.running) return;
    this.pollTimer = setTimeout(() => void this.pollAll(), delayMs);
  }

  private async pollAll(): Promise<void> {
    for (const board of this.boards) {
      if (!this.running) return;
      await this.pollBoard(board);
    }
    this.checkDoorsLeftOpen();
    this.schedulePoll(this.options.pollMs);
  }

  private async pollBoard(board: number): Promise<void> {
    if (!this.line) return;
    const result = await this.line.query(board);
    if (!this.running) return;
    if (!result.ok) {
      this.forgetDoors([board]);
      if (result.error === 'TIMEOUT') {
        this.failing.add(board);
        this.raise('board-timeout', `board ${board} does not answer`, undefined, board);
        this.updateStatus();
      }
      return;
    }
    this.failing.delete(board);
    this.answered.add(board);
    this.alarms.clear('board-timeout', undefined, board);
    this.apply(result.state);
    this.updateStatus();
  }

  private updateStatus(): void {
    if (this.failing.size === this.boards.length) this.setStatus('offline', { reason: 'no board answers' });
    else if (this.answered.size > 0) {
      this.setStatus('online', this.failing.size > 0 ? { boardsNotAnswering: [...this.failing].sort((a, b) => a - b) } : undefined);
    }
  }

  private apply(state: StateReply): void {
    const now = this.ctx.now();
    for (const c of this.byId.values()) {
      if (c.board !== state.board) continue;
      const door: DoorState = bitOf(state.lockBits, c.lock) === this.options.lockedBit ? 'closed' : 'open';
      c.occupied = bitOf(state.irBits, c.lock) === 1;
      if (!c.reconciled) this.reconcile(c);
      const before = c.door;
      if (door === before) continue;
      c.door = door;
      if (door === 'open') {
        c.openedAt = now;
        if (before === 'closed' && now > c.expectOpenUntil) this.raise('forced-door', `door of ${c.id} opened without a command`, c.id);
        for (const w of [...this.waiters]) if (w.id === c.id) w.done(true);
      } else {
        c.openedAt = undefined;
        this.alarms.clear('door-open', c.id);
        this.alarms.clear('forced-door', c.id);
      }
      this.ctx.emit('locker', { compartment: c.id, door, occupied: c.occupied, at: new Date(now).toISOString() });
    }
  }

  /** first answer after start: what the board says against what was persisted */
  private reconcile(c: Compartment): void {
    c.reconciled = true;
    const mismatch = (c.status === 'occupied' && c.occupied === false) || (c.status === 'free' && c.occupied === true);
    if (mismatch) this.raise('occupancy-mismatch', `${c.id} is ${c.status} but the IR sensor says ${c.occupied ? 'full' : 'empty'}`, c.id);
  }

  private checkDoorsLeftOpen(): void {
    const now = this.ctx.now();
    for (const c of this.byId.values()) {
      if (c.door === 'open' && c.openedAt !== undefined && now - c.openedAt >= this.options.doorOpenAlarmMs) {
        this.raise('door-open', `door of ${c.id} open for more than ${this.options.doorOpenAlarmMs} ms`, c.id);
      }
    }
  }

  private forgetDoors(boards: number[]): void {
    for (const c of this.byId.values()) {
      if (boards.includes(c.board)) {
        c.door = 'unknown';
        c.openedAt = undefined;
      }
    }
  }

  private raise(kind: LockerAlarmKind, message: string, compartment?: string, board?: number): void {
    const since = new Date(this.ctx.now()).toISOString();
    if (this.alarms.raise({ kind, message, compartment, board, since })) {
      this.ctx.fault(kind, new Error(message), { compartment, board });
    }
  }

  private setStatus(state: 'online' | 'offline' | 'connecting' | 'unavailable', detail?: Record<string, unknown>): void {
    const key = JSON.stringify([state, detail ?? null]);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.ctx.status(state, detail);
  }

  /** parcel: undefined keeps it, null clears it */
  private async transition(
    id: string,
    from: readonly CompartmentStatus[],
    to: CompartmentStatus,
    parcel?: ParcelInfo | null,
  ): Promise<boolean> {
    const c = this.byId.get(id);
    if (!c || !from.includes(c.status)) return false;
    c.status = to;
    if (parcel !== undefined) c.parcel = parcel ?? undefined;
    this.alarms.clear('occupancy-mismatch', id);
    await this.save();
    return true;
  }

  private view(c: Compartment): CompartmentView {
    const { id, board, lock, size, status, door, occupied, parcel } = c;
    return { id, board, lock, size, status, door, occupied, parcel: parcel ? { ...parcel } : undefined };
  }

  private async save(): Promise<void> {
    const saved: Record<string, { status: CompartmentStatus; parcel?: ParcelInfo }> = {};
    for (const c of this.byId.values()) saved[c.id] = c.parcel ? { status: c.status, parcel: c.parcel } : { status: c.status };
    await this.ctx.state.set(STATE_KEY, saved);
  }

  /** persisted statuses back; a reservation or collection cut short by a restart is undone */
  private async restore(): Promise<void> {
    const saved = this.ctx.state.get<Record<string, { status?: unknown; parcel?: ParcelInfo }>>(STATE_KEY) ?? {};
    let changed = false;
    for (const c of this.byId.values()) {
      const entry = saved[c.id];
      if (!entry || !statuses.includes(entry.status as CompartmentStatus)) continue;
      c.status = entry.status as CompartmentStatus;
      c.parcel = entry.parcel;
      if (c.status === 'reserved') c.status = 'free';
      if (c.status === 'collecting') c.status = 'occupied';
      changed ||= c.status !== entry.status;
    }
    if (changed) await this.save();
  }
}
