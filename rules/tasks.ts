/**
 * The kits' pickup tasks: validated, kept in lowdb, loaded from a local JSON file
 * (`{ "tasks": [...] }`, watched for changes) and from dispatch. Two ports tell the kits:
 * `publishTasks(kit, tasks)` with the kit's open tasks after its task set changed
 * (assigned, updated, cancelled, reloaded; the gateway publishes them retained on
 * cg/v1/kits/{kit}/tasks), and `publishTaskState(kit, taskId, state)` when one task was
 * picked up or had an exception (retained on cg/v1/kits/{kit}/tasks/{taskId}), so a
 * pickup costs the same whatever the length of the kit's list. Also remembers what was
 * picked up, per waybill and task, so a second pickup of the same parcel is known;
 * pickups and exceptions are appended to one marks log, the task file is rewritten only
 * when tasks change.
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

export interface TaskExceptionMark {
  reason: string;
  at: number;
  recordId?: string;
}

/** What the kit is told about one task that changed by a pickup or an exception. */
export interface TaskState {
  taskId: string;
  kit: string;
  state: 'picked-up' | 'exception';
  /** false once picked up; an exception leaves the task open for another try */
  open: boolean;
  at: number;
  receipt?: string;
  reason?: string;
}

interface StoredTask {
  task: Task;
  source: TaskSource;
  cancelled: boolean;
  pickedUp?: PickupMark;
  exceptions: TaskExceptionMark[];
}

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
  /** called with the kit's open tasks (by sequence) after its task set changed */
  publishTasks(kit: string, tasks: Task[]): void;
  /**
   * called when one task was picked up or had an exception, and with `null` when a state
   * told earlier is folded into a newer task list (the state may be forgotten)
   */
  publishTaskState?(kit: string, taskId: string, state: TaskState | null): void;
  /** counts a refused task (the gateway maps it to a metric) */
  onRefused?(error: string): void;
  /** waybill normalisation; the classifier's by default */
  normalise?(waybill: string): string;
  debounceMs?: number;
  timers?: Timers;
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

  constructor(private readonly opts: TaskStoreOptions) {
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
      old.task = check.task;
      old.source = source;
      old.cancelled = false;
    } else {
      data.tasks.push({ task: check.task, source, cancelled: false, exceptions: [] });
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

  /** The kit's open tasks (not cancelled, not picked up), by sequence. */
  list(kit: string): Task[] {
    this.data();
    const out: Task[] = [];
    for (const t of this.byKit.get(kit)?.all ?? []) if (!t.cancelled && !t.pickedUp) out.push(t.task);
    return out;
  }

  get(id: string): Task | undefined {
    return this.byId.get(id)?.task;
  }

  /** The kit's task expecting this (normalised) waybill, picked up or not; cancelled ones never. */
  findByWaybill(kit: string, waybill: string): Task | undefined {
    return this.byWaybill.get(waybill)?.find((t) => t.task.kit === kit && !t.cancelled)?.task;
  }

  /** The task of any kit expecting this waybill (normalised here); cancelled ones never. */
  taskForWaybill(waybill: string): Task | undefined {
    return this.byWaybill.get(this.normalise(waybill))?.find((t) => !t.cancelled)?.task;
  }

  /** The kit's open tasks that take any parcel (no waybill expected), by sequence. */
  openWithoutWaybill(kit: string): Task[] {
    const out: Task[] = [];
    for (const t of this.byKit.get(kit)?.anyParcel ?? []) if (!t.cancelled && !t.pickedUp) out.push(t.task);
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
    if (kit !== undefined && mark.taskId !== undefined) {
      this.tellState({ taskId: mark.taskId, kit, state: 'picked-up', open: false, at: mark.at, receipt: mark.receipt });
    }
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
   * Pickups found in the journal at start: a crash between a record's append and its mark
   * must not let the same parcel be recorded twice. Marks missing here are added.
   */
  async seedPickups(marks: readonly PickupMark[]): Promise<number> {
    const missing = marks.filter((m) => !this.pickups.has(m.waybill));
    if (missing.length === 0) return 0;
    const kits = new Set<string>();
    for (const m of missing) {
      const kit = this.applyPickup(m);
      if (kit !== undefined) kits.add(kit);
    }
    await this.appendMarks(missing.map((m) => `${JSON.stringify(m)}\n`).join(''));
    for (const kit of kits) this.publish(kit);
    this.opts.log.warn({ added: missing.length }, 'pickups recorded before a crash but not marked: marked now');
    return missing.length;
  }

  private applyPickup(mark: PickupMark): string | undefined {
    this.pickups.set(mark.waybill, mark);
    if (mark.taskId === undefined) return undefined;
    const stored = this.byId.get(mark.taskId);
    if (!stored) return undefined;
    stored.pickedUp = mark;
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
        const mark = JSON.parse(line) as PickupMark | ExceptionLine;
        if ('exception' in mark && typeof mark.taskId === 'string') {
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
      const monthAgo = Date.now() - 30 * 24 * 3600_000;
      const recent = [...this.pickups.values()].filter((m) => m.at >= monthAgo);
      await writeFile(`${file}.tmp`, recent.map((m) => JSON.stringify(m)).join('\n') + (recent.length ? '\n' : ''));
      await rename(`${file}.tmp`, file);
      this.opts.log.info({ before: kept, after: recent.length }, 'pickup log compacted');
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
    this.tellState({ taskId, kit: stored.task.kit, state: 'exception', open: !stored.pickedUp && !stored.cancelled, at: mark.at, reason: mark.reason });
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
    await this.write();
    for (const kit of new Set(kits)) this.publish(kit);
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
      this.opts.publishTasks(kit, this.list(kit));
      const told = this.statesTold.get(kit);
      if (told) {
        this.statesTold.delete(kit);
        for (const taskId of told) this.opts.publishTaskState?.(kit, taskId, null);
      }
    } catch (e) {
      this.opts.log.error({ err: e, kit }, 'publishing tasks failed');
    }
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
}
