/**
 * The kits' pickup tasks: validated, kept in lowdb, loaded from a local JSON file
 * (`{ "tasks": [...] }`, watched for changes) and from dispatch. Two ports tell the kits:
 * `publishTasks(kit, tasks)` with the kit's open tasks after its task set changed
 * (assigned, updated, cancelled, reloaded; the gateway publishes them retained on
 * cg/v1/kits/{kit}/tasks), and `publishTaskState(kit, taskId, state)` when one task was
 * picked up (or one parcel of a stop that expects several), closed by the courier, had an
 * exception, or was accepted or declined by the courier (retained on
 * cg/v1/kits/{kit}/tasks/{taskId}), so a pickup or an answer costs the same whatever the
 * length of the kit's list. A task from dispatch waits for the courier's answer from the
 * moment it reaches its kit; a declined task leaves the kit's list. Also remembers what was
 * picked up, per waybill and task, so a second pickup of the same parcel is known; a task
 * expecting N parcels stays open until the N-th or until the courier closes it. Pickups,
 * exceptions, closes and the courier's answers are appended to one marks log, the task
 * file is rewritten only when tasks change.
 */
import { mkdir, open, readFile, rename, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { Logger } from 'pino';
import { classifyWaybill } from '../devices/scanner/waybill.js';
import { realTimers, type Timers } from '../core/timers.js';
import { handovers } from './lockers/consent.js';
import type { ReplayedMarks } from './marks-replay.js';

const isoTime = z.iso.datetime({ offset: true });

export const taskSchema = z.object({
  id: z.string().min(1).max(100),
  kit: z.string().min(1).max(100),
  /** the expected waybill; absent for "any parcel from this customer" */
  waybill: z.string().min(1).max(64).optional(),
  customer: z.string().min(1).max(200),
  address: z.object({
    text: z.string().min(1).max(500),
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
  }),
  window: z
    .object({ from: isoTime, to: isoTime })
    .refine((w) => !(Date.parse(w.from) > Date.parse(w.to)), { message: 'from must not be after to', path: ['to'] }),
  declaredWeightGrams: z.number().positive().finite().optional(),
  service: z.enum(['standard', 'express', 'heavy']),
  sequence: z.number().int().min(0),
  dimensions: z
    .object({ lengthCm: z.number().positive(), widthCm: z.number().positive(), heightCm: z.number().positive() })
    .optional(),
  /** cm³ per kg for the volumetric weight; the service's divisor from config when absent */
  volumetricDivisor: z.number().positive().optional(),
  /** parcels expected at the stop (1 when absent), or "any" number: the courier closes the stop */
  expectedPieces: z.union([z.number().int().min(1).max(500), z.literal('any')]).optional(),
  /** how the customer wants the parcel handed over; a locker or a station only with their consent */
  handover: z.enum(handovers).optional(),
  /** whether the customer agreed to that handover (dispatch asked them) */
  consent: z.boolean().optional(),
});

export type Task = z.infer<typeof taskSchema>;
export type TaskService = Task['service'];
export type TaskSource = 'file' | 'dispatch';

export interface PickupMark {
  waybill: string;
  kit: string;
  taskId?: string;
  verdictId: string;
  receipt: string;
  /** ms since epoch */
  at: number;
}

/** How the courier closed a stop before (or beyond) its expected parcels. */
export const closeReasons = ['fewer-parcels', 'more-parcels', 'done'] as const;
export type CloseReason = (typeof closeReasons)[number];

export interface StopClose {
  reason: CloseReason;
  at: number;
  /** the pickup.exception record of a stop closed short (fewer-parcels, more-parcels) */
  recordId?: string;
}

/** Parcels recorded at a stop and how many it expects ("any": until the courier closes it). */
export interface Pieces {
  done: number;
  expected: number | 'any';
}

export interface TaskExceptionMark {
  reason: string;
  at: number;
  recordId?: string;
}

/** The courier's answer to an assignment, or the note that none came in time. */
export interface TaskResponseMark {
  response: 'accepted' | 'declined';
  at: number;
  reason?: string;
  deviceId?: string;
}

/**
 * A task's state as its kit's list shows it. in-progress: a parcel of a stop that expects
 * more was recorded; closed: by the courier before (or beyond) its expected parcels.
 */
export type TaskStateName = 'assigned' | 'accepted' | 'declined' | 'in-progress' | 'picked-up' | 'exception' | 'closed';

/** What the kit is told about one task that changed by a pickup, an exception or the courier's answer. */
export interface TaskState {
  taskId: string;
  kit: string;
  /** closed: by the courier, its `reason` a close reason */
  state: Exclude<TaskStateName, 'assigned'>;
  /** false once picked up, closed or declined; an exception leaves the task open for another try */
  open: boolean;
  at: number;
  receipt?: string;
  reason?: string;
  /** parcels recorded / expected, for a task that expects pieces */
  pieces?: Pieces;
}

/** A task of dispatch waiting for its courier's answer. */
export interface AwaitedAnswer {
  taskId: string;
  kit: string;
  /** ms since epoch the task reached the kit */
  assignedAt: number;
  /** when it was reported unanswered, if it was */
  unacknowledgedAt?: number;
}

/** Why a courier's answer to a task is refused. */
export type TaskAnswerRefusal = 'UNKNOWN_TASK' | 'WRONG_KIT' | 'CANCELLED' | 'PICKED_UP' | 'CLOSED' | 'DECLINED' | 'ALREADY_ACCEPTED';

export type TaskAnswerCheck = ({ ok: true; task: Task } & AwaitedAnswer) | { ok: false; error: TaskAnswerRefusal; message: string };

/** A task as the kit's list shows it: with the parcels recorded so far when it expects pieces. */
export type TaskListEntry = Task & { piecesDone?: number };

interface StoredTask {
  task: Task;
  source: TaskSource;
  cancelled: boolean;
  /** the pickup that completed the task (the last expected piece) */
  pickedUp?: PickupMark;
  /** parcels recorded for the task, and when the last was (counted from the marks log at start) */
  pieces?: number;
  lastPieceAt?: number;
  closed?: StopClose;
  exceptions: TaskExceptionMark[];
  /** when the task reached its kit (a task of dispatch; a new kit starts it again) */
  assignedAt?: number;
  response?: TaskResponseMark;
  unacknowledgedAt?: number;
}

/** Still to be picked up by its kit: not cancelled, complete, closed or declined. */
const isOpen = (t: StoredTask): boolean => !t.cancelled && !t.pickedUp && !t.closed && t.response?.response !== 'declined';
const expectedOf = (t: Task): number | 'any' => t.expectedPieces ?? 1;

interface TaskData {
  tasks: StoredTask[];
  /** by normalised waybill: only in files of earlier versions; pickups now live in pickups.jsonl */
  pickedUp?: Record<string, PickupMark>;
}

/** An exception line of the marks log (pickup lines are PickupMarks). */
interface ExceptionLine {
  taskId: string;
  exception: TaskExceptionMark;
}

/** An answer line of the marks log: it belongs to the assignment made at assignedAt. */
interface AnswerLine {
  taskId: string;
  assignedAt: number;
  response?: TaskResponseMark;
  unacknowledgedAt?: number;
}

/** A stop closed by the courier, a line of the marks log. */
interface CloseLine {
  taskId: string;
  closed: StopClose;
}

export type TaskCheck = { ok: true; task: Task } | { ok: false; errors: string[] };

/** Validates one task; errors name the field (`window.from: Invalid ISO datetime`). */
export function checkTask(value: unknown, prefix = ''): TaskCheck {
  const r = taskSchema.safeParse(value);
  if (r.success) return { ok: true, task: r.data };
  return {
    ok: false,
    errors: r.error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter((s) => s !== '').join('.') || '(task)'}: ${i.message}`),
  };
}

export interface TaskStoreOptions {
  /** folder of the lowdb file (tasks.json) */
  dataDir: string;
  /** the local tasks file of config `tasks.file`, watched for changes */
  file?: string;
  log: Logger;
  /** called with the kit's open tasks (by sequence; parcels recorded of those that expect pieces) after its task set changed */
  publishTasks(kit: string, tasks: TaskListEntry[]): void;
  /**
   * called when one task was picked up (a parcel of it), closed, answered by the courier
   * or had an exception, and with `null` when a state
   * told earlier is folded into a newer task list (the state may be forgotten)
   */
  publishTaskState?(kit: string, taskId: string, state: TaskState | null): void;
  /** counts a refused task (the gateway maps it to a metric) */
  onRefused?(error: string): void;
  /** waybill normalisation; the classifier's by default */
  normalise?(waybill: string): string;
  /** a task of dispatch reached its kit and waits for the courier's answer */
  onAssigned?(awaited: AwaitedAnswer): void;
  debounceMs?: number;
  timers?: Timers;
  /** the gateway's clock (a scenario's simulated one); Date.now by default */
  now?: () => number;
}

export class TaskStore {
  private db: Low<TaskData> | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: unknown;
  private byWaybill = new Map<string, StoredTask[]>();
  private byId = new Map<string, StoredTask>();
  /** per kit: its tasks by sequence, and those taking any parcel (no waybill expected) */
  private byKit = new Map<string, { all: StoredTask[]; anyParcel: StoredTask[] }>();
  /** per kit: task states told since its last task list (cleared when the next list goes out) */
  private readonly statesTold = new Map<string, Set<string>>();
  /** the write in flight, and whether another must follow it (changes made meanwhile) */
  private writing: Promise<void> | undefined;
  private writeAgain: Promise<void> | undefined;
  /** pickups are appended to their own log, one line each: the task file is not rewritten per parcel */
  private pickupLog: FileHandle | undefined;
  private pickupWrites: Promise<void> = Promise.resolve();
  /** lines waiting for the write in flight: they go out together in the next one */
  private pendingMarks: string[] = [];
  private nextMarksWrite: Promise<void> | undefined;
  /** pickups by normalised waybill, from the pickup log */
  private readonly pickups = new Map<string, PickupMark>();
  private refusedCount = 0;
  private readonly timers: Timers;
  private readonly normalise: (waybill: string) => string;
  private readonly now: () => number;
  /** assignments made by the last change, told to onAssigned once saved */
  private assignedNow: StoredTask[] = [];

  constructor(private readonly opts: TaskStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.normalise = opts.normalise ?? ((w) => classifyWaybill(w).waybill);
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true });
    this.db = new Low<TaskData>(new JSONFile(join(this.opts.dataDir, 'tasks.json')), { tasks: [], pickedUp: {} });
    await this.db.read();
    this.db.data.tasks ??= [];
    // marks kept in the task file by earlier versions move to the pickup log's map
    for (const m of Object.values(this.db.data.pickedUp ?? {})) this.pickups.set(m.waybill, m);
    this.db.data.pickedUp = {};
    // pieces are counted again from the marks log
    for (const t of this.db.data.tasks) {
      t.pieces = 0;
      t.lastPieceAt = undefined;
    }
    this.reindex();
    await this.loadPickups();
    if (this.opts.file) {
      await this.loadFile();
      this.watchFile(this.opts.file);
    }
    for (const kit of this.kits()) this.publish(kit);
  }

  async stop(): Promise<void> {
    await this.pickupWrites;
    await this.pickupLog?.close();
    this.pickupLog = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  /** Tasks refused since start (invalid entries of the file, invalid upserts). */
  get refused(): number {
    return this.refusedCount;
  }

  /** Adds or replaces a task (from dispatch by default). */
  async upsert(value: unknown, source: TaskSource = 'dispatch'): Promise<TaskCheck> {
    const check = checkTask(value);
    if (!check.ok) {
      for (const e of check.errors) this.refuse(e);
      return check;
    }
    const data = this.data();
    const old = this.byId.get(check.task.id);
    const kits = [check.task.kit];
    if (old) {
      kits.push(old.task.kit);
      const reassigned = old.task.kit !== check.task.kit || old.cancelled || old.response?.response === 'declined';
      old.task = check.task;
      old.source = source;
      old.cancelled = false;
      if (reassigned) this.assign(old);
    } else {
      const stored: StoredTask = { task: check.task, source, cancelled: false, exceptions: [] };
      data.tasks.push(stored);
      this.assign(stored);
    }
    await this.commit(kits, true);
    return check;
  }

  async cancel(id: string): Promise<boolean> {
    const stored = this.byId.get(id);
    if (!stored || stored.cancelled) return false;
    stored.cancelled = true;
    await this.commit([stored.task.kit], true);
    return true;
  }

  /** The kit's open tasks (not cancelled, picked up, closed or declined), by sequence. */
  list(kit: string): Task[] {
    this.data();
    const out: Task[] = [];
    for (const t of this.byKit.get(kit)?.all ?? []) if (isOpen(t)) out.push(t.task);
    return out;
  }

  /**
   * The task's state as its kit's list shows it: picked up, closed or declined once it is;
   * else the latest of an exception, a parcel of a stop that expects more and an answer.
   */
  stateOf(id: string): TaskStateName | undefined {
    const t = this.byId.get(id);
    if (!t) return undefined;
    if (t.pickedUp) return 'picked-up';
    if (t.closed) return 'closed';
    if (t.response?.response === 'declined') return 'declined';
    const lastException = t.exceptions.at(-1);
    const inProgress = (t.pieces ?? 0) > 0;
    if (lastException && !(t.response && t.response.at > lastException.at) && !(inProgress && (t.lastPieceAt ?? 0) > lastException.at)) return 'exception';
    if (inProgress) return 'in-progress';
    return t.response ? 'accepted' : 'assigned';
  }

  /** Whether this kit may answer this task now; what the answer is about when it may. */
  checkAnswer(kit: string, id: string, response: 'accept' | 'decline'): TaskAnswerCheck {
    const t = this.byId.get(id);
    const no = (error: TaskAnswerRefusal, message: string): TaskAnswerCheck => ({ ok: false, error, message });
    if (!t) return no('UNKNOWN_TASK', `no task "${id}" is known`);
    if (t.task.kit !== kit) return no('WRONG_KIT', `task "${id}" is assigned to another kit`);
    if (t.cancelled) return no('CANCELLED', `task "${id}" was cancelled`);
    if (t.pickedUp) return no('PICKED_UP', `task "${id}" is already picked up`);
    if (t.closed) return no('CLOSED', `task "${id}" was closed at its stop`);
    if (response === 'decline' && (t.pieces ?? 0) > 0) return no('PICKED_UP', `task "${id}" has ${t.pieces} parcel(s) picked up: close the stop instead`);
    if (t.response?.response === 'declined') return no('DECLINED', `task "${id}" was declined`);
    if (t.response?.response === 'accepted' && response === 'accept') return no('ALREADY_ACCEPTED', `task "${id}" is already accepted`);
    return { ok: true, task: t.task, taskId: id, kit, assignedAt: t.assignedAt ?? this.now(), unacknowledgedAt: t.unacknowledgedAt };
  }

  /** Keeps the courier's answer (one line of the marks log) and tells the kit the task's new state. */
  async markAnswer(id: string, mark: TaskResponseMark): Promise<void> {
    const t = this.byId.get(id);
    if (!t) return;
    t.response = mark;
    await this.appendMarks(`${JSON.stringify({ taskId: id, assignedAt: t.assignedAt ?? 0, response: mark } satisfies AnswerLine)}\n`);
    const declined = mark.response === 'declined';
    // an accepted stop with parcels recorded already stays in progress
    const state = declined ? 'declined' : (t.pieces ?? 0) > 0 ? 'in-progress' : 'accepted';
    this.tellState({ taskId: id, kit: t.task.kit, state, open: !declined, at: mark.at, reason: mark.reason, ...this.piecesOfState(t) });
  }

  /**
   * Notes that the assignment made at assignedAt had no answer in time; false when it was
   * answered, reassigned, closed or already noted meanwhile.
   */
  async markUnacknowledged(id: string, assignedAt: number, at: number): Promise<boolean> {
    const t = this.byId.get(id);
    if (!t || t.assignedAt !== assignedAt || t.response || t.unacknowledgedAt !== undefined || !isOpen(t)) return false;
    t.unacknowledgedAt = at;
    await this.appendMarks(`${JSON.stringify({ taskId: id, assignedAt, unacknowledgedAt: at } satisfies AnswerLine)}\n`);
    return true;
  }

  /** Open tasks of dispatch still waiting for their courier's answer (for the timers at start). */
  awaitingAnswer(): AwaitedAnswer[] {
    const out: AwaitedAnswer[] = [];
    for (const t of this.byId.values()) {
      if (t.assignedAt !== undefined && !t.response && isOpen(t)) out.push({ taskId: t.task.id, kit: t.task.kit, assignedAt: t.assignedAt, unacknowledgedAt: t.unacknowledgedAt });
    }
    return out;
  }

  /** A task of dispatch reaches a kit: its answer is awaited from now, the last one forgotten. */
  private assign(stored: StoredTask): void {
    if (stored.source !== 'dispatch') return;
    stored.assignedAt = this.now();
    stored.response = undefined;
    stored.unacknowledgedAt = undefined;
    this.assignedNow.push(stored);
  }

  /** The task is known, not cancelled, declined, complete or closed. */
  isOpen(id: string): boolean {
    const t = this.byId.get(id);
    return t !== undefined && isOpen(t);
  }

  /** Parcels recorded for the task and how many it expects; undefined for an unknown task. */
  pieces(id: string): Pieces | undefined {
    const t = this.byId.get(id);
    return t ? { done: t.pieces ?? 0, expected: expectedOf(t.task) } : undefined;
  }

  get(id: string): Task | undefined {
    return this.byId.get(id)?.task;
  }

  /** The kit's task expecting this (normalised) waybill, picked up or not; cancelled ones never. */
  findByWaybill(kit: string, waybill: string): Task | undefined {
    return this.byWaybill.get(waybill)?.find((t) => t.task.kit === kit && !t.cancelled && t.response?.response !== 'declined')?.task;
  }

  /** The task of any kit expecting this waybill (normalised here); cancelled ones never. */
  taskForWaybill(waybill: string): Task | undefined {
    return this.byWaybill.get(this.normalise(waybill))?.find((t) => !t.cancelled)?.task;
  }

  /** The kit's open tasks that take any parcel (no waybill expected), by sequence. */
  openWithoutWaybill(kit: string): Task[] {
    const out: Task[] = [];
    for (const t of this.byKit.get(kit)?.anyParcel ?? []) if (isOpen(t)) out.push(t.task);
    return out;
  }

  /** The earlier pickup of this waybill, or of this task, if any. */
  pickedUp(waybill: string, taskId?: string): PickupMark | undefined {
    const byWaybill = this.pickups.get(waybill);
    if (byWaybill) return byWaybill;
    if (taskId === undefined) return undefined;
    const task = this.byId.get(taskId);
    return task?.pickedUp && task.task.waybill !== undefined ? task.pickedUp : undefined;
  }

  /** Marks a pickup: in memory at once (duplicate checks see it), then one line appended to the marks log. */
  async markPickedUp(mark: PickupMark): Promise<void> {
    const kit = this.applyPickup(mark);
    await this.appendMarks(`${JSON.stringify(mark)}\n`);
    const stored = mark.taskId === undefined ? undefined : this.byId.get(mark.taskId);
    if (kit !== undefined && stored) {
      const open = isOpen(stored);
      this.tellState({ taskId: stored.task.id, kit, state: open ? 'in-progress' : 'picked-up', open, at: mark.at, receipt: mark.receipt, ...this.piecesOfState(stored) });
    }
  }

  /**
   * The courier closes a stop: short of its expected parcels or beyond them (with the
   * exception record's id), or an any-number stop done. One line appended to the marks log.
   */
  async closeStop(taskId: string, close: StopClose): Promise<boolean> {
    const stored = this.byId.get(taskId);
    if (!stored) return false;
    stored.closed = close;
    const line: CloseLine = { taskId, closed: close };
    await this.appendMarks(`${JSON.stringify(line)}\n`);
    this.tellState({ taskId, kit: stored.task.kit, state: 'closed', open: false, at: close.at, reason: close.reason, pieces: { done: stored.pieces ?? 0, expected: expectedOf(stored.task) } });
    return true;
  }

  /** Appends to the marks log; lines added while a write is in flight share the next write. */
  private appendMarks(lines: string): Promise<void> {
    this.pendingMarks.push(lines);
    this.nextMarksWrite ??= this.pickupWrites.then(async () => {
      this.nextMarksWrite = undefined;
      const text = this.pendingMarks.join('');
      this.pendingMarks = [];
      await this.pickupLog!.write(text);
    });
    const write = this.nextMarksWrite;
    this.pickupWrites = write.catch(() => undefined);
    return write;
  }

  /**
   * Marks what the journal kept but a crash kept from being marked: pickups (the ones it
   * already has are kept), answers to the assignment a task still has, stop closes and
   * exceptions of tasks it knows. Returns how many marks were added.
   */
  async seedMarks(replayed: ReplayedMarks): Promise<number> {
    const lines: string[] = [];
    const kits = new Set<string>();
    const missing = replayed.pickups.filter((m) => !this.pickups.has(m.waybill));
    for (const m of missing) {
      const kit = this.applyPickup(m);
      if (kit !== undefined) kits.add(kit);
      lines.push(JSON.stringify(m));
    }
    let answers = 0;
    for (const a of replayed.answers) {
      const t = this.byId.get(a.taskId);
      if (!t || t.assignedAt !== a.assignedAt || t.response) continue;
      t.response = a.mark;
      lines.push(JSON.stringify({ taskId: a.taskId, assignedAt: a.assignedAt, response: a.mark } satisfies AnswerLine));
      kits.add(t.task.kit);
      answers++;
    }
    let stops = 0;
    for (const m of replayed.stops) {
      const t = this.byId.get(m.taskId);
      if (!t) continue;
      if ('close' in m) {
        if (t.closed) continue;
        t.closed = m.close;
        lines.push(JSON.stringify({ taskId: m.taskId, closed: m.close } satisfies CloseLine));
      } else {
        if (t.exceptions.some((e) => e.recordId === m.exception.recordId)) continue;
        t.exceptions.push(m.exception);
        lines.push(JSON.stringify({ taskId: m.taskId, exception: m.exception } satisfies ExceptionLine));
      }
      kits.add(t.task.kit);
      stops++;
    }
    if (lines.length === 0) return 0;
    await this.appendMarks(lines.map((l) => `${l}\n`).join(''));
    for (const kit of kits) this.publish(kit);
    this.opts.log.warn({ pickups: missing.length, answers, stops }, 'records kept before a crash but not marked: marked now');
    return lines.length;
  }

  private applyPickup(mark: PickupMark): string | undefined {
    const again = this.pickups.has(mark.waybill);
    this.pickups.set(mark.waybill, mark);
    if (mark.taskId === undefined) return undefined;
    const stored = this.byId.get(mark.taskId);
    if (!stored) return undefined;
    if (!again) {
      stored.pieces = (stored.pieces ?? 0) + 1;
      stored.lastPieceAt = mark.at;
    }
    const expected = expectedOf(stored.task);
    if (expected !== 'any' && (stored.pieces ?? 0) >= expected) stored.pickedUp ??= mark;
    return stored.task.kit;
  }

  /** Reads the pickup log (a torn last line is skipped), compacts it when long, and opens it for appending. */
  private async loadPickups(): Promise<void> {
    const file = join(this.opts.dataDir, 'pickups.jsonl');
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch {
      text = '';
    }
    if (text !== '' && !text.endsWith('\n')) {
      // a torn last line (power cut mid-write): cut it off, so the next line starts clean
      const cut = text.lastIndexOf('\n') + 1;
      text = text.slice(0, cut);
      await truncate(file, Buffer.byteLength(text));
      this.opts.log.warn({ file }, 'a torn last line of the pickup log was cut off');
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    let kept = 0;
    for (const line of lines) {
      try {
        const mark = JSON.parse(line) as PickupMark | ExceptionLine | AnswerLine | CloseLine;
        if ('assignedAt' in mark && typeof mark.taskId === 'string') {
          // an answer to an earlier assignment of the task (since reassigned) is not this one's
          const stored = this.byId.get(mark.taskId);
          if (stored && stored.assignedAt === mark.assignedAt) {
            if (mark.response) stored.response = mark.response;
            if (mark.unacknowledgedAt !== undefined) stored.unacknowledgedAt = mark.unacknowledgedAt;
          }
        } else if ('closed' in mark && typeof mark.taskId === 'string') {
          const stored = this.byId.get(mark.taskId);
          if (stored) stored.closed = mark.closed;
        } else if ('exception' in mark && typeof mark.taskId === 'string') {
          const stored = this.byId.get(mark.taskId);
          if (stored && !stored.exceptions.some((e) => e.at === mark.exception.at && e.reason === mark.exception.reason)) stored.exceptions.push(mark.exception);
        } else if (typeof (mark as PickupMark)?.waybill === 'string') {
          this.applyPickup(mark as PickupMark);
          kept++;
        }
      } catch {
        this.opts.log.warn({ file }, 'a torn line in the pickup log was skipped');
      }
    }
    if (lines.length > 20_000) {
      // exceptions of the log are kept in the task file before the log is cut to its pickups
      await this.db!.write();
      const monthAgo = this.now() - 30 * 24 * 3600_000;
      const recent = [...this.pickups.values()].filter((m) => m.at >= monthAgo);
      const answers: AnswerLine[] = [];
      for (const t of this.byId.values()) {
        if (t.assignedAt !== undefined && isOpen(t) && (t.response || t.unacknowledgedAt !== undefined)) answers.push({ taskId: t.task.id, assignedAt: t.assignedAt, response: t.response, unacknowledgedAt: t.unacknowledgedAt });
      }
      const kept = [...recent, ...answers];
      await writeFile(`${file}.tmp`, kept.map((m) => JSON.stringify(m)).join('\n') + (kept.length ? '\n' : ''));
      await rename(`${file}.tmp`, file);
      this.opts.log.info({ before: lines.length, after: kept.length }, 'pickup log compacted');
    }
    this.pickupLog = await open(file, 'a');
  }

  /** Records an exception at the task's stop (one line appended to the marks log); false when the task is unknown. */
  async markException(taskId: string, mark: TaskExceptionMark): Promise<boolean> {
    const stored = this.byId.get(taskId);
    if (!stored) return false;
    stored.exceptions.push(mark);
    const line: ExceptionLine = { taskId, exception: mark };
    await this.appendMarks(`${JSON.stringify(line)}\n`);
    this.tellState({ taskId, kit: stored.task.kit, state: 'exception', open: isOpen(stored), at: mark.at, reason: mark.reason });
    return true;
  }

  exceptions(taskId: string): TaskExceptionMark[] {
    return [...(this.byId.get(taskId)?.exceptions ?? [])];
  }

  /** Reads the tasks file now; invalid entries are refused one by one, the valid ones load. */
  async loadFile(): Promise<{ loaded: number; refused: string[] }> {
    const file = this.opts.file;
    if (!file) return { loaded: 0, refused: [] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      const error = `${file}: ${e instanceof Error ? e.message : String(e)}`;
      this.refuse(error);
      return { loaded: 0, refused: [error] };
    }
    const list = (parsed as { tasks?: unknown } | null)?.tasks;
    if (!Array.isArray(list)) {
      const error = `${file}: tasks: expected an array`;
      this.refuse(error);
      return { loaded: 0, refused: [error] };
    }
    const refused: string[] = [];
    const valid = new Map<string, Task>();
    list.forEach((value, i) => {
      const check = checkTask(value, `tasks[${i}]`);
      if (check.ok) valid.set(check.task.id, check.task);
      else for (const e of check.errors) refused.push(e);
    });
    for (const e of refused) this.refuse(e);
    const data = this.data();
    const touched = new Set<string>();
    data.tasks = data.tasks.filter((t) => {
      const keep = t.source !== 'file' || valid.has(t.task.id);
      if (!keep) touched.add(t.task.kit);
      return keep;
    });
    const current = new Map(data.tasks.map((t) => [t.task.id, t]));
    for (const task of valid.values()) {
      const old = current.get(task.id);
      if (old) {
        touched.add(old.task.kit);
        old.task = task;
        old.source = 'file';
      } else {
        data.tasks.push({ task, source: 'file', cancelled: false, exceptions: [] });
      }
      touched.add(task.kit);
    }
    await this.commit([...touched], true);
    this.opts.log.info({ file, loaded: valid.size, refused: refused.length }, 'tasks file loaded');
    return { loaded: valid.size, refused };
  }

  private watchFile(file: string): void {
    const dir = dirname(resolve(file));
    const name = basename(file);
    try {
      this.watcher = watch(dir, (_event, changed) => {
        if (changed !== null && changed !== name) return;
        if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
        this.debounce = this.timers.setTimeout(() => {
          this.debounce = undefined;
          this.loadFile().catch((e: unknown) => this.opts.log.error({ err: e }, 'tasks file reload failed'));
        }, this.opts.debounceMs ?? 200);
      });
    } catch (e) {
      this.opts.log.error({ err: e, file }, 'cannot watch the tasks file');
    }
  }

  private refuse(error: string): void {
    this.refusedCount++;
    this.opts.log.warn({ error }, 'task refused');
    this.opts.onRefused?.(error);
  }

  private data(): TaskData {
    if (!this.db) throw new Error('TaskStore used before start()');
    return this.db.data;
  }

  private kits(): Set<string> {
    return new Set(this.data().tasks.map((t) => t.task.kit));
  }

  private reindex(): void {
    this.byWaybill.clear();
    this.byId.clear();
    this.byKit.clear();
    for (const stored of this.data().tasks) {
      this.byId.set(stored.task.id, stored);
      let kit = this.byKit.get(stored.task.kit);
      if (!kit) this.byKit.set(stored.task.kit, (kit = { all: [], anyParcel: [] }));
      kit.all.push(stored);
      if (stored.task.waybill === undefined) {
        kit.anyParcel.push(stored);
        continue;
      }
      const key = this.normalise(stored.task.waybill);
      const list = this.byWaybill.get(key);
      if (list) list.push(stored);
      else this.byWaybill.set(key, [stored]);
    }
    const bySequence = (a: StoredTask, b: StoredTask) => a.task.sequence - b.task.sequence;
    for (const kit of this.byKit.values()) {
      kit.all.sort(bySequence);
      kit.anyParcel.sort(bySequence);
    }
  }

  /**
   * Saves the change and tells the kits. Only a change of the tasks themselves re-indexes;
   * writes are coalesced: changes made while a write runs share the next one.
   */
  private async commit(kits: string[], tasksChanged = false): Promise<void> {
    if (tasksChanged) this.reindex();
    const assigned = this.assignedNow;
    this.assignedNow = [];
    await this.write();
    for (const kit of new Set(kits)) this.publish(kit);
    for (const t of assigned) {
      if (t.assignedAt !== undefined && isOpen(t)) this.opts.onAssigned?.({ taskId: t.task.id, kit: t.task.kit, assignedAt: t.assignedAt });
    }
  }

  private write(): Promise<void> {
    if (!this.writing) {
      this.writing = this.db!.write().finally(() => {
        this.writing = undefined;
      });
      return this.writing;
    }
    this.writeAgain ??= this.writing.catch(() => undefined).then(() => {
      this.writeAgain = undefined;
      return this.write();
    });
    return this.writeAgain;
  }

  /** The kit's task list; the states told since the last list are in it now and may be forgotten. */
  private publish(kit: string): void {
    try {
      this.opts.publishTasks(kit, this.listEntries(kit));
      const told = this.statesTold.get(kit);
      if (told) {
        this.statesTold.delete(kit);
        for (const taskId of told) this.opts.publishTaskState?.(kit, taskId, null);
      }
    } catch (e) {
      this.opts.log.error({ err: e, kit }, 'publishing tasks failed');
    }
  }

  /** the kit's open tasks, each that expects pieces with the parcels recorded so far */
  private listEntries(kit: string): TaskListEntry[] {
    const out: TaskListEntry[] = [];
    for (const t of this.byKit.get(kit)?.all ?? []) if (isOpen(t)) out.push(t.task.expectedPieces === undefined ? t.task : { ...t.task, piecesDone: t.pieces ?? 0 });
    return out;
  }

  private tellState(state: TaskState): void {
    try {
      let told = this.statesTold.get(state.kit);
      if (!told) this.statesTold.set(state.kit, (told = new Set()));
      told.add(state.taskId);
      this.opts.publishTaskState?.(state.kit, state.taskId, state);
    } catch (e) {
      this.opts.log.error({ err: e, kit: state.kit, taskId: state.taskId }, 'publishing a task state failed');
    }
  }

  /** the parcels recorded / expected of a task that expects pieces, for its state */
  private piecesOfState(t: StoredTask): { pieces?: Pieces } {
    return t.task.expectedPieces === undefined ? {} : { pieces: { done: t.pieces ?? 0, expected: expectedOf(t.task) } };
  }
}
