/**
 * The courier's answer to each assignment. A kit device publishes `events/task`
 * (`{taskId, response: "accept" | "decline", reason?}`); the answer is checked against the
 * kit's tasks (unknown task, another kit's, cancelled, picked up, declined: refused on the
 * device's errors topic with the reason), kept as a `task.accepted` / `task.declined`
 * record on the live lane, then marked in the task store, which tells the kit the task's
 * new state. A task of dispatch with no answer within `unacknowledgedMs` is signalled to
 * the kit again (feedback) and reported once as `task.unacknowledged`; an answer after it
 * still counts. One timer per awaited task: O(1) per assignment and per answer. The wait
 * is a person's, so it runs on the real timers even when a scenario runs the gateway's
 * clock faster; only a wait carried over a restart is taken from the gateway's clock.
 */
import type { Logger } from 'pino';
import type { DeviceEvent } from '../devices/events.js';
import { realTimers, type Timers } from '../core/timers.js';
import { RecordRefusedError, type RecordInput, type RecordSink } from './records.js';
import type { AwaitedAnswer, TaskAnswerRefusal, TaskStore } from './tasks.js';

export const DEFAULT_UNACKNOWLEDGED_MS = 120_000;

/** why an answer is refused: the task store's reasons, the journal refusing it, another answer to the task being recorded */
export type AnswerRefusal = TaskAnswerRefusal | 'NOT_RECORDED' | 'ANSWER_UNDER_WAY';
export type AnswerResult = 'accepted' | 'declined' | 'unacknowledged' | Lowercase<AnswerRefusal>;

export interface TaskAnswersOptions {
  tasks: TaskStore;
  sink: RecordSink;
  log: Logger;
  /** refuses an answer: the device's errors topic */
  refuse(deviceId: string, error: AnswerRefusal, message: string, taskId: string): void;
  /** re-signals an unanswered task to its kit (feedback to the kit's answering devices) */
  remind(kit: string, taskId: string): void;
  /** counts each answer and each unanswered task (the gateway maps it to a metric) */
  count?(result: AnswerResult): void;
  unacknowledgedMs?: number;
  now?: () => number;
  timers?: Timers;
}

/** The live-lane record of one answer (or of none in time) to one task of a kit. */
export function answerRecord(kind: 'task.accepted' | 'task.declined' | 'task.unacknowledged', kit: string, taskId: string, body: Record<string, unknown>, deviceId?: string): RecordInput {
  return {
    kind,
    stream: `task:${kit}`,
    kit,
    devices: deviceId ? [deviceId] : undefined,
    // a newer answer to the same task, not yet sent, makes the older one moot
    coalesceKey: `task:${kit}:${taskId}`,
    body: { taskId, kit, ...body },
  };
}

export class TaskAnswers {
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly waitMs: number;
  /** per awaited task: its timer, and the assignment it is for */
  private readonly waiting = new Map<string, { handle: unknown; assignedAt: number }>();
  /** answers being recorded: a second one for the same task waits for none, it is refused */
  private readonly inFlight = new Set<string>();
  private readonly busy = new Set<Promise<unknown>>();
  private running = false;

  constructor(private readonly o: TaskAnswersOptions) {
    this.timers = o.timers ?? realTimers;
    this.now = o.now ?? Date.now;
    this.waitMs = o.unacknowledgedMs ?? DEFAULT_UNACKNOWLEDGED_MS;
  }

  /** Starts the timers of the tasks that were waiting for an answer when the gateway stopped. */
  start(): void {
    this.running = true;
    for (const a of this.o.tasks.awaitingAnswer()) if (a.unacknowledgedAt === undefined) this.wait(a, a.assignedAt + this.waitMs - this.now());
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.waiting.values()) this.timers.clearTimeout(w.handle);
    this.waiting.clear();
    while (this.busy.size > 0) await Promise.allSettled([...this.busy]);
  }

  /** A task reached its kit just now: its answer is awaited from now on. */
  assigned(a: AwaitedAnswer): void {
    if (this.running) this.wait(a, this.waitMs);
  }

  private wait(a: AwaitedAnswer, ms: number): void {
    const old = this.waiting.get(a.taskId);
    if (old) this.timers.clearTimeout(old.handle);
    const handle = this.timers.setTimeout(() => this.track(this.unanswered(a)), Math.max(0, ms));
    this.waiting.set(a.taskId, { handle, assignedAt: a.assignedAt });
  }

  handle(event: DeviceEvent<'task'>): void {
    if (!this.running) return;
    this.track(this.answer(event));
  }

  /** Resolves when every answer under way is recorded. */
  async whenIdle(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled([...this.busy]);
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((e: unknown) => this.o.log.error({ err: e }, 'task answer step failed'));
    this.busy.add(guarded);
    void guarded.finally(() => this.busy.delete(guarded));
  }

  private async answer(event: DeviceEvent<'task'>): Promise<void> {
    const { taskId, response, reason } = event.payload;
    const kit = event.kit;
    const refuse = (error: AnswerRefusal, message: string): void => {
      this.o.count?.(error.toLowerCase() as Lowercase<AnswerRefusal>);
      this.o.log.warn({ device: event.deviceId, kit, taskId, response, error }, 'task answer refused');
      this.o.refuse(event.deviceId, error, message, taskId);
    };
    if (kit === undefined) return refuse('WRONG_KIT', 'the device belongs to no kit');
    if (this.inFlight.has(taskId)) return refuse('ANSWER_UNDER_WAY', `another answer to task "${taskId}" is being recorded: send again if it still holds`);
    const check = this.o.tasks.checkAnswer(kit, taskId, response);
    if (!check.ok) return refuse(check.error, check.message);
    const at = this.now();
    const kind = response === 'accept' ? 'task.accepted' : 'task.declined';
    this.inFlight.add(taskId);
    try {
      await this.o.sink.append(
        answerRecord(
          kind,
          kit,
          taskId,
          {
            response: kind === 'task.accepted' ? 'accepted' : 'declined',
            ...(reason !== undefined ? { reason } : {}),
            device: event.deviceId,
            assignedAt: new Date(check.assignedAt).toISOString(),
            answeredAt: new Date(at).toISOString(),
            afterMs: Math.max(0, at - check.assignedAt),
            ...(check.unacknowledgedAt !== undefined ? { afterUnacknowledged: true } : {}),
          },
          event.deviceId,
        ),
      );
    } catch (e) {
      const why = e instanceof RecordRefusedError ? e.reason : 'IO';
      return refuse('NOT_RECORDED', `the answer could not be kept (${why}): send it again`);
    } finally {
      this.inFlight.delete(taskId);
    }
    const w = this.waiting.get(taskId);
    if (w) this.timers.clearTimeout(w.handle);
    this.waiting.delete(taskId);
    await this.o.tasks.markAnswer(taskId, { response: kind === 'task.accepted' ? 'accepted' : 'declined', at, reason, deviceId: event.deviceId });
    this.o.count?.(kind === 'task.accepted' ? 'accepted' : 'declined');
    this.o.log.info({ kit, taskId, response, reason, afterMs: at - check.assignedAt }, 'task answered');
  }

  private async unanswered(a: AwaitedAnswer): Promise<void> {
    if (this.waiting.get(a.taskId)?.assignedAt !== a.assignedAt) return;
    this.waiting.delete(a.taskId);
    const at = this.now();
    // noted first (once, even across restarts), then recorded; a refused record is logged
    if (!(await this.o.tasks.markUnacknowledged(a.taskId, a.assignedAt, at))) return;
    this.o.remind(a.kit, a.taskId);
    this.o.count?.('unacknowledged');
    try {
      await this.o.sink.append(
        answerRecord('task.unacknowledged', a.kit, a.taskId, { assignedAt: new Date(a.assignedAt).toISOString(), waitedMs: Math.max(0, at - a.assignedAt) }),
      );
      this.o.log.warn({ kit: a.kit, taskId: a.taskId, waitedMs: at - a.assignedAt }, 'task not answered in time');
    } catch (e) {
      this.o.log.error({ err: e, kit: a.kit, taskId: a.taskId }, 'task.unacknowledged record refused');
    }
  }
}
