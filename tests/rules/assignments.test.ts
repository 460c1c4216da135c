import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import sinon from 'sinon';
import { TaskAnswers, type AnswerResult } from '../../rules/assignments.js';
import { TaskStore, type Task, type TaskState } from '../../rules/tasks.js';
import { RecordRefusedError, type RecordInput, type RecordSink } from '../../rules/records.js';
import type { DeviceEvent, EventPayload } from '../../devices/events.js';
import { laneOf } from '../../cloud-sync/journal/records.js';
import { clockTimers, silentLog, task, tempDir } from './helpers.js';

class MemorySink implements RecordSink {
  readonly records: RecordInput[] = [];
  refuse = false;
  async append(input: RecordInput): Promise<{ id: string }> {
    if (this.refuse) throw new RecordRefusedError('QUOTA', 'journal over quota');
    this.records.push(input);
    return { id: `r${this.records.length}` };
  }
}

const WAIT_MS = 120_000;

describe('TaskAnswers: the courier accepts or declines each assignment', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let clock: sinon.SinonFakeTimers;
  let sink: MemorySink;
  let refusals: { deviceId: string; error: string; taskId: string }[];
  let reminders: { kit: string; taskId: string }[];
  let counts: AnswerResult[];
  let states: (TaskState | null)[];
  let lists: { kit: string; tasks: Task[] }[];
  const running: { stop(): Promise<void> }[] = [];

  beforeEach(async () => {
    tmp = await tempDir();
    clock = sinon.useFakeTimers({ now: Date.parse('2025-03-01T10:00:00Z'), toFake: ['Date'] });
    sink = new MemorySink();
    refusals = [];
    reminders = [];
    counts = [];
    states = [];
    lists = [];
  });
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    clock.restore();
    await tmp.remove();
  });

  async function setup(): Promise<{ tasks: TaskStore; answers: TaskAnswers }> {
    const timers = clockTimers(clock);
    const tasks: TaskStore = new TaskStore({
      dataDir: join(tmp.dir, 'data'),
      log: silentLog,
      publishTasks: (kit, list) => lists.push({ kit, tasks: list }),
      publishTaskState: (_kit, _id, state) => states.push(state),
      onAssigned: (a) => answers.assigned(a),
      timers,
    });
    const answers: TaskAnswers = new TaskAnswers({
      tasks,
      sink,
      log: silentLog,
      refuse: (deviceId, error, _message, taskId) => refusals.push({ deviceId, error, taskId }),
      remind: (kit, taskId) => reminders.push({ kit, taskId }),
      count: (r) => counts.push(r),
      unacknowledgedMs: WAIT_MS,
      timers,
    });
    await tasks.start();
    answers.start();
    running.push(tasks, answers);
    return { tasks, answers };
  }

  function answer(answers: TaskAnswers, payload: EventPayload<'task'>, deviceId = 'app-1', kit = 'kit-1'): Promise<void> {
    const e: DeviceEvent<'task'> = { deviceId, kit, type: 'task', payload, receivedAt: Date.now() };
    answers.handle(e);
    return answers.whenIdle();
  }

  it('an accept becomes a task.accepted record on the live lane; the kit sees the task accepted', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    clock.tick(42_000);
    await answer(answers, { taskId: 'T1', response: 'accept' });
    expect(sink.records).toHaveLength(1);
    const r = sink.records[0];
    expect(r).toMatchObject({ kind: 'task.accepted', stream: 'task:kit-1', kit: 'kit-1', devices: ['app-1'], coalesceKey: 'task:kit-1:T1' });
    expect(r.body).toMatchObject({ taskId: 'T1', kit: 'kit-1', response: 'accepted', device: 'app-1', afterMs: 42_000, assignedAt: '2025-03-01T10:00:00.000Z' });
    expect(laneOf[r.kind]).toBe('live');
    expect(states.at(-1)).toMatchObject({ taskId: 'T1', state: 'accepted', open: true });
    expect(tasks.stateOf('T1')).toBe('accepted');
    expect(tasks.list('kit-1').map((t) => t.id)).toEqual(['T1']);
    expect(counts).toEqual(['accepted']);
  });

  it('a decline with its reason becomes task.declined and the task leaves the kit list', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    await tasks.upsert(task({ id: 'T2', waybill: 'RR000000000CN', sequence: 2 }));
    await answer(answers, { taskId: 'T2', response: 'decline', reason: 'vehicle-full' });
    expect(sink.records.map((r) => [r.kind, r.body.taskId, r.body.reason])).toEqual([['task.declined', 'T2', 'vehicle-full']]);
    expect(states.at(-1)).toMatchObject({ taskId: 'T2', state: 'declined', open: false, reason: 'vehicle-full' });
    expect(tasks.list('kit-1').map((t) => t.id)).toEqual(['T1']);
    expect(tasks.findByWaybill('kit-1', 'RR000000000CN')).toBeUndefined();
    // an accept after the decline is refused: dispatch may have given it to another kit
    await answer(answers, { taskId: 'T2', response: 'accept' });
    expect(refusals).toEqual([{ deviceId: 'app-1', error: 'DECLINED', taskId: 'T2' }]);
  });

  it('refuses an unknown task, another kit\u2019s task, a picked-up one and a second accept, with the reason', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    await tasks.upsert(task({ id: 'T9', kit: 'kit-2', waybill: 'RR999999999CN' }));
    await tasks.upsert(task({ id: 'T3', waybill: 'RR333333333CN', sequence: 3 }));
    await tasks.markPickedUp({ waybill: 'RR333333333CN', kit: 'kit-1', taskId: 'T3', verdictId: 'v', receipt: 'R1', at: Date.now() });
    await answer(answers, { taskId: 'nope', response: 'accept' });
    await answer(answers, { taskId: 'T9', response: 'accept' });
    await answer(answers, { taskId: 'T3', response: 'decline', reason: 'too-far' });
    await answer(answers, { taskId: 'T1', response: 'accept' });
    await answer(answers, { taskId: 'T1', response: 'accept' });
    expect(refusals.map((r) => [r.taskId, r.error])).toEqual([
      ['nope', 'UNKNOWN_TASK'],
      ['T9', 'WRONG_KIT'],
      ['T3', 'PICKED_UP'],
      ['T1', 'ALREADY_ACCEPTED'],
    ]);
    expect(sink.records.map((r) => r.kind)).toEqual(['task.accepted']);
    expect(counts).toEqual(['unknown_task', 'wrong_kit', 'picked_up', 'accepted', 'already_accepted']);
  });

  it('an unanswered task is re-signalled and reported once after the wait; a later accept still counts', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    clock.tick(WAIT_MS - 1);
    await answers.whenIdle();
    expect(sink.records).toEqual([]);
    clock.tick(1);
    await answers.whenIdle();
    expect(reminders).toEqual([{ kit: 'kit-1', taskId: 'T1' }]);
    expect(sink.records.map((r) => [r.kind, r.body.taskId, r.body.waitedMs])).toEqual([['task.unacknowledged', 'T1', WAIT_MS]]);
    expect(sink.records[0].coalesceKey).toBe('task:kit-1:T1');
    clock.tick(10 * WAIT_MS);
    await answers.whenIdle();
    expect(sink.records).toHaveLength(1);
    await answer(answers, { taskId: 'T1', response: 'accept' });
    expect(sink.records.map((r) => r.kind)).toEqual(['task.unacknowledged', 'task.accepted']);
    expect(sink.records[1].body).toMatchObject({ afterUnacknowledged: true, afterMs: 11 * WAIT_MS });
  });

  it('an answer in time stops the timer; a task of the local file waits for none', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    await tasks.upsert(task({ id: 'T2', waybill: 'RR000000000CN' }), 'file');
    await answer(answers, { taskId: 'T1', response: 'accept' });
    clock.tick(3 * WAIT_MS);
    await answers.whenIdle();
    expect(sink.records.map((r) => r.kind)).toEqual(['task.accepted']);
    expect(reminders).toEqual([]);
  });

  it('a task reassigned to another kit waits for that kit\u2019s answer afresh', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    await answer(answers, { taskId: 'T1', response: 'decline', reason: 'off-shift' });
    clock.tick(1000);
    await tasks.upsert(task({ id: 'T1', kit: 'kit-2' }));
    expect(tasks.stateOf('T1')).toBe('assigned');
    expect(tasks.list('kit-2').map((t) => t.id)).toEqual(['T1']);
    clock.tick(WAIT_MS);
    await answers.whenIdle();
    expect(sink.records.map((r) => [r.kind, r.kit])).toEqual([
      ['task.declined', 'kit-1'],
      ['task.unacknowledged', 'kit-2'],
    ]);
    await answer(answers, { taskId: 'T1', response: 'accept' }, 'app-2', 'kit-2');
    expect(sink.records.at(-1)).toMatchObject({ kind: 'task.accepted', kit: 'kit-2' });
  });

  it('answers and the unanswered note survive a restart; the timer of a waiting task starts again', async () => {
    const first = await setup();
    await first.tasks.upsert(task({ id: 'T1' }));
    await first.tasks.upsert(task({ id: 'T2', waybill: 'RR000000000CN', sequence: 2 }));
    await first.tasks.upsert(task({ id: 'T3', waybill: 'RR333333333CN', sequence: 3 }));
    await answer(first.answers, { taskId: 'T1', response: 'accept' });
    await answer(first.answers, { taskId: 'T2', response: 'decline', reason: 'too-far' });
    for (const r of running.splice(0).reverse()) await r.stop();

    clock.tick(30_000);
    const again = await setup();
    expect(again.tasks.stateOf('T1')).toBe('accepted');
    expect(again.tasks.stateOf('T2')).toBe('declined');
    expect(again.tasks.list('kit-1').map((t) => t.id)).toEqual(['T1', 'T3']);
    clock.tick(WAIT_MS - 30_000);
    await again.answers.whenIdle();
    expect(sink.records.filter((r) => r.kind === 'task.unacknowledged').map((r) => r.body.taskId)).toEqual(['T3']);
    for (const r of running.splice(0).reverse()) await r.stop();

    // reported once: not again after the next start
    const third = await setup();
    clock.tick(3 * WAIT_MS);
    await third.answers.whenIdle();
    expect(sink.records.filter((r) => r.kind === 'task.unacknowledged')).toHaveLength(1);
  });

  it('a second answer while the first is being recorded is refused, not recorded twice', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    const e = (response: 'accept' | 'decline'): DeviceEvent<'task'> => ({ deviceId: 'app-1', kit: 'kit-1', type: 'task', payload: { taskId: 'T1', response }, receivedAt: Date.now() });
    answers.handle(e('accept'));
    answers.handle(e('decline'));
    await answers.whenIdle();
    expect(sink.records.map((r) => r.kind)).toEqual(['task.accepted']);
    expect(refusals).toEqual([{ deviceId: 'app-1', error: 'ANSWER_UNDER_WAY', taskId: 'T1' }]);
  });

  it('an answer the journal refuses is refused to the device and not marked', async () => {
    const { tasks, answers } = await setup();
    await tasks.upsert(task({ id: 'T1' }));
    sink.refuse = true;
    await answer(answers, { taskId: 'T1', response: 'accept' });
    expect(refusals).toEqual([{ deviceId: 'app-1', error: 'NOT_RECORDED', taskId: 'T1' }]);
    expect(tasks.stateOf('T1')).toBe('assigned');
    sink.refuse = false;
    await answer(answers, { taskId: 'T1', response: 'accept' });
    expect(sink.records.map((r) => r.kind)).toEqual(['task.accepted']);
  });
});
