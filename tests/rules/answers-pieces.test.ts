import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TaskStore, type TaskListEntry, type TaskState } from '../../rules/tasks.js';
import { silentLog, task, tempDir } from './helpers.js';

/** The courier's answers and a stop of several parcels on one task: states, refusals, the marks log. */
describe('TaskStore: answers to a stop of several parcels', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let states: TaskState[];
  let lists: TaskListEntry[][];
  let now: number;
  const stores: TaskStore[] = [];

  const open = async (): Promise<TaskStore> => {
    const store = new TaskStore({
      dataDir: join(tmp.dir, 'data'),
      log: silentLog,
      publishTasks: (_kit, list) => lists.push(list),
      publishTaskState: (_kit, _id, state) => {
        if (state) states.push(state);
      },
      now: () => now,
    });
    await store.start();
    stores.push(store);
    return store;
  };
  const pickUp = (store: TaskStore, taskId: string, n: number): Promise<void> =>
    store.markPickedUp({ waybill: `W${taskId}-${n}`, kit: 'kit-1', taskId, verdictId: `V${taskId}-${n}`, receipt: `R${n}`, at: (now += 1000) });
  const stateOfList = (id: string) => lists.at(-1)?.find((t) => t.id === id);

  beforeEach(async () => {
    tmp = await tempDir();
    states = [];
    lists = [];
    now = Date.parse('2025-03-01T10:00:00Z');
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.stop();
    await tmp.remove();
  });

  it('a stop of three: assigned, accepted, in progress with its first parcel, picked up with its third', async () => {
    const store = await open();
    await store.upsert(task({ id: 'T3', waybill: undefined, expectedPieces: 3 }));
    expect(store.stateOf('T3')).toBe('assigned');
    expect(store.checkAnswer('kit-1', 'T3', 'accept').ok).toBe(true);
    await store.markAnswer('T3', { response: 'accepted', at: (now += 1000) });
    expect(store.stateOf('T3')).toBe('accepted');
    expect(states.at(-1)).toMatchObject({ state: 'accepted', open: true, pieces: { done: 0, expected: 3 } });
    await pickUp(store, 'T3', 1);
    expect(store.stateOf('T3')).toBe('in-progress');
    expect(states.at(-1)).toMatchObject({ state: 'in-progress', open: true, pieces: { done: 1, expected: 3 } });
    // an exception after the first parcel shows until the next parcel comes
    await store.markException('T3', { reason: 'parcel-not-ready', at: (now += 1000) });
    expect(store.stateOf('T3')).toBe('exception');
    await pickUp(store, 'T3', 2);
    expect(store.stateOf('T3')).toBe('in-progress');
    await pickUp(store, 'T3', 3);
    expect(store.stateOf('T3')).toBe('picked-up');
    expect(states.at(-1)).toMatchObject({ state: 'picked-up', open: false, pieces: { done: 3, expected: 3 } });
    expect(store.checkAnswer('kit-1', 'T3', 'decline')).toMatchObject({ ok: false, error: 'PICKED_UP' });
  });

  it('a stop with parcels recorded cannot be declined, only closed; a closed stop takes no answer', async () => {
    const store = await open();
    await store.upsert(task({ id: 'T4', waybill: undefined, expectedPieces: 'any' }));
    await pickUp(store, 'T4', 1);
    expect(store.checkAnswer('kit-1', 'T4', 'decline')).toMatchObject({ ok: false, error: 'PICKED_UP' });
    // a late accept still counts, and the stop stays in progress
    expect(store.checkAnswer('kit-1', 'T4', 'accept').ok).toBe(true);
    await store.markAnswer('T4', { response: 'accepted', at: (now += 1000) });
    expect(states.at(-1)).toMatchObject({ state: 'in-progress', open: true, pieces: { done: 1, expected: 'any' } });
    await store.closeStop('T4', { reason: 'done', at: (now += 1000) });
    expect(store.stateOf('T4')).toBe('closed');
    expect(store.isOpen('T4')).toBe(false);
    expect(store.list('kit-1').map((t) => t.id)).not.toContain('T4');
    expect(store.checkAnswer('kit-1', 'T4', 'accept')).toMatchObject({ ok: false, error: 'CLOSED' });
    expect(store.checkAnswer('kit-1', 'T4', 'decline')).toMatchObject({ ok: false, error: 'CLOSED' });
  });

  it('a declined stop is not open: it leaves the list, its parcels go to no task, it awaits no answer', async () => {
    const store = await open();
    await store.upsert(task({ id: 'T5', waybill: undefined, expectedPieces: 2 }));
    await store.markAnswer('T5', { response: 'declined', at: (now += 1000), reason: 'vehicle-full' });
    expect(store.stateOf('T5')).toBe('declined');
    expect(store.isOpen('T5')).toBe(false);
    expect(store.openWithoutWaybill('kit-1')).toEqual([]);
    expect(store.awaitingAnswer()).toEqual([]);
  });

  it('the marks log reads back answers, pieces and closes after a restart', async () => {
    let store = await open();
    await store.upsert(task({ id: 'A', waybill: undefined, expectedPieces: 3, sequence: 1 }));
    await store.upsert(task({ id: 'B', waybill: undefined, expectedPieces: 3, sequence: 2 }));
    await store.upsert(task({ id: 'C', waybill: 'RR123456785CN', sequence: 3 }));
    await store.markAnswer('A', { response: 'accepted', at: (now += 1000) });
    await pickUp(store, 'A', 1);
    await store.markAnswer('B', { response: 'accepted', at: (now += 1000) });
    await pickUp(store, 'B', 1);
    await pickUp(store, 'B', 2);
    await store.closeStop('B', { reason: 'fewer-parcels', at: (now += 1000), recordId: 'E1' });
    await store.markAnswer('C', { response: 'declined', at: (now += 1000), reason: 'too-far' });
    await store.stop();
    stores.splice(0);

    lists = [];
    store = await open();
    expect(store.stateOf('A')).toBe('in-progress');
    expect(store.pieces('A')).toEqual({ done: 1, expected: 3 });
    expect(store.stateOf('B')).toBe('closed');
    expect(store.pieces('B')).toEqual({ done: 2, expected: 3 });
    expect(store.stateOf('C')).toBe('declined');
    expect(store.list('kit-1').map((t) => t.id)).toEqual(['A']);
    expect(stateOfList('A')).toMatchObject({ piecesDone: 1, expectedPieces: 3 });
    expect(store.awaitingAnswer()).toEqual([]);
  });

  it('after a crash: an answer, a close and an exception the journal kept but the marks log lacks are marked at start, once, and survive the next restart', async () => {
    const first = await open();
    const assignedAt = now;
    await first.upsert(task({ id: 'TA', waybill: undefined }));
    await first.upsert(task({ id: 'TC', waybill: undefined, expectedPieces: 'any' }));
    await first.upsert(task({ id: 'TX', waybill: undefined }));
    await first.stop();
    stores.splice(0);
    const store = await open();
    expect(store.awaitingAnswer().map((a) => a.taskId).sort()).toEqual(['TA', 'TC', 'TX']);
    const replayed = {
      pickups: [],
      answers: [
        { taskId: 'TA', assignedAt, mark: { response: 'accepted' as const, at: now + 5000, deviceId: 'app-1' } },
        // an answer to an earlier assignment of the task is not this one's
        { taskId: 'TX', assignedAt: assignedAt - 60_000, mark: { response: 'declined' as const, at: now, reason: 'too-far' } },
      ],
      stops: [
        { taskId: 'TC', close: { reason: 'done' as const, at: now + 6000, recordId: 'R-close' } },
        { taskId: 'TX', exception: { reason: 'customer-absent', at: now + 7000, recordId: 'R-exc' } },
        { taskId: 'T-unknown', exception: { reason: 'damaged', at: now, recordId: 'R-none' } },
      ],
    };
    expect(await store.seedMarks(replayed)).toBe(3);
    expect(await store.seedMarks(replayed)).toBe(0);
    expect(store.stateOf('TA')).toBe('accepted');
    expect(store.isOpen('TC')).toBe(false);
    expect(store.stateOf('TX')).toBe('exception');
    expect(store.exceptions('TX')).toEqual([{ reason: 'customer-absent', at: now + 7000, recordId: 'R-exc' }]);
    expect(store.awaitingAnswer().map((a) => a.taskId).sort()).toEqual(['TX']);
    await store.stop();
    stores.splice(0);
    const again = await open();
    expect(again.stateOf('TA')).toBe('accepted');
    expect(again.isOpen('TC')).toBe(false);
    expect(again.exceptions('TX')).toHaveLength(1);
    expect(await again.seedMarks(replayed)).toBe(0);
  });
});
