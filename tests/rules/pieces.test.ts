import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DeviceEvent, EventPayload, EventType } from '../../devices/events.js';
import { PickupPipeline } from '../../rules/pipeline.js';
import type { RecordInput, RecordSink } from '../../rules/records.js';
import { TaskStore, type TaskListEntry, type TaskState } from '../../rules/tasks.js';
import { s10 } from '../../simulators/waybills.js';
import { kitPosition, silentLog, task, tempDir } from './helpers.js';

/** Several parcels at one stop: piece k of N, the stop open until all are in or the courier closes it. */
describe('several parcels per stop', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let records: RecordInput[];
  let published: { topic: string; payload: Record<string, unknown> }[];
  let states: TaskState[];
  let lists: TaskListEntry[][];
  let tasks: TaskStore;
  let pipeline: PickupPipeline;
  let now: number;

  const sink: RecordSink = {
    append: async (input) => {
      records.push(input);
      return { id: `R${records.length}` };
    },
  };

  const openStore = async (): Promise<TaskStore> => {
    const store = new TaskStore({
      dataDir: join(tmp.dir, 'data'),
      log: silentLog,
      publishTasks: (_kit, list) => lists.push(list),
      publishTaskState: (_kit, _id, state) => {
        if (state) states.push(state);
      },
    });
    await store.start();
    return store;
  };

  const startPipeline = async (): Promise<void> => {
    pipeline = new PickupPipeline({ gatewayId: 'gw', publish: (topic, payload) => published.push({ topic, payload: payload as Record<string, unknown> }), sink, tasks, log: silentLog, now: () => now, rulesDir: 'rules/sets/pickup', watchRules: false, dataDir: join(tmp.dir, 'data'), actionNow: () => now });
    await pipeline.start();
  };

  beforeEach(async () => {
    tmp = await tempDir();
    records = [];
    published = [];
    states = [];
    lists = [];
    now = Date.parse('2025-03-01T10:00:00Z');
    tasks = await openStore();
    await tasks.upsert(task({ id: 'T3', waybill: undefined, declaredWeightGrams: undefined, expectedPieces: 3 }));
    await startPipeline();
    send('position', { lat: kitPosition.lat, lon: kitPosition.lon, fix: '3d' }, 'gps-1');
  });
  afterEach(async () => {
    await pipeline.stop();
    await tasks.stop();
    await tmp.remove();
  });

  const send = <T extends EventType>(type: T, payload: EventPayload<T>, deviceId = 'app-1'): void => {
    pipeline.handle({ deviceId, kit: 'kit-1', type, payload, receivedAt: now } as DeviceEvent);
  };
  /** a parcel put on the scale, then scanned */
  const pickUp = async (code: string, grams = 800): Promise<void> => {
    send('weight', { grams: 0, stable: true }, 'scale-1');
    send('weight', { grams, stable: true }, 'scale-1');
    send('scan', { code }, 'scanner-1');
    now += 1000;
    await pipeline.whenIdle();
  };
  const answers = (type: string) => published.filter((p) => p.topic === 'cg/v1/kits/kit-1/verdicts' && p.payload.type === type).map((p) => p.payload);
  const pickups = () => records.filter((r) => r.kind === 'pickup.completed');

  it('each parcel is its own pickup.completed, piece k of 3; the task list shows pieces done; the third completes the stop', async () => {
    expect(lists.at(-1)?.find((t) => t.id === 'T3')).toMatchObject({ expectedPieces: 3, piecesDone: 0 });
    for (const n of [1, 2, 3]) await pickUp(s10(n, 'RR', 'CN'));
    expect(answers('verdict').map((v) => v.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(pickups().map((r) => [r.body.waybill, r.body.taskId, r.body.pieces])).toEqual([
      [s10(1, 'RR', 'CN'), 'T3', { piece: 1, of: 3 }],
      [s10(2, 'RR', 'CN'), 'T3', { piece: 2, of: 3 }],
      [s10(3, 'RR', 'CN'), 'T3', { piece: 3, of: 3 }],
    ]);
    expect(answers('recorded').map((r) => r.pieces)).toEqual([{ piece: 1, of: 3 }, { piece: 2, of: 3 }, { piece: 3, of: 3 }]);
    expect(states.map((s) => [s.state, s.open, s.pieces])).toEqual([
      ['in-progress', true, { done: 1, expected: 3 }],
      ['in-progress', true, { done: 2, expected: 3 }],
      ['picked-up', false, { done: 3, expected: 3 }],
    ]);
    expect(tasks.isOpen('T3')).toBe(false);
    expect(tasks.list('kit-1')).toEqual([]);
  });

  it('duplicate checks stay per waybill: the same parcel twice is DUPLICATE_PICKUP, another one of the stop is piece 2', async () => {
    await pickUp(s10(1, 'RR', 'CN'));
    await pickUp(s10(1, 'RR', 'CN'));
    await pickUp(s10(2, 'RR', 'CN'));
    const outcomes = answers('verdict').map((v) => [v.outcome, (v.reasons as { code: string }[]).map((r) => r.code)]);
    expect(outcomes).toEqual([['accepted', []], ['rejected', ['DUPLICATE_PICKUP']], ['accepted', []]]);
    expect(pickups().map((r) => r.body.pieces)).toEqual([{ piece: 1, of: 3 }, { piece: 2, of: 3 }]);
  });

  it('closed short with fewer-parcels: a pickup.exception with the pieces, the stop closed; a later parcel finds no task', async () => {
    await pickUp(s10(1, 'RR', 'CN'));
    await pickUp(s10(2, 'RR', 'CN'));
    send('close', { taskId: 'T3', reason: 'fewer-parcels', note: 'third parcel not ready' });
    await pipeline.whenIdle();
    const exception = records.find((r) => r.kind === 'pickup.exception');
    expect(exception?.body).toMatchObject({ taskId: 'T3', reason: 'fewer-parcels', note: 'third parcel not ready', pieces: { done: 2, expected: 3 } });
    expect(answers('closed')).toEqual([expect.objectContaining({ taskId: 'T3', reason: 'fewer-parcels', recorded: true, recordId: 'R3', pieces: { done: 2, expected: 3 } })]);
    expect(states.at(-1)).toMatchObject({ taskId: 'T3', state: 'closed', open: false, reason: 'fewer-parcels', pieces: { done: 2, expected: 3 } });
    expect(tasks.isOpen('T3')).toBe(false);
    await pickUp(s10(3, 'RR', 'CN'));
    expect(answers('verdict').at(-1)?.taskId).toBeNull();
    // a second close of the closed stop is refused
    send('close', { taskId: 'T3', reason: 'fewer-parcels' });
    await pipeline.whenIdle();
    expect(answers('closed').at(-1)).toMatchObject({ recorded: false, error: 'NOT_OPEN' });
  });

  it('the pieces and the close survive a restart (counted again from the marks log)', async () => {
    await pickUp(s10(1, 'RR', 'CN'));
    await pipeline.stop();
    await tasks.stop();
    tasks = await openStore();
    await startPipeline();
    send('position', { lat: kitPosition.lat, lon: kitPosition.lon, fix: '3d' }, 'gps-1');
    expect(tasks.pieces('T3')).toEqual({ done: 1, expected: 3 });
    await pickUp(s10(2, 'RR', 'CN'));
    expect(pickups().at(-1)?.body.pieces).toEqual({ piece: 2, of: 3 });
    send('close', { taskId: 'T3', reason: 'fewer-parcels' });
    await pipeline.whenIdle();
    await pipeline.stop();
    await tasks.stop();
    tasks = await openStore();
    await startPipeline();
    expect(tasks.isOpen('T3')).toBe(false);
    expect(tasks.pieces('T3')).toEqual({ done: 2, expected: 3 });
  });

  it('"any" number: pieces of null, the stop open until the courier closes it with done (a pickup.closed record); wrong reasons are refused with a clear error', async () => {
    await tasks.upsert(task({ id: 'T3', waybill: undefined, declaredWeightGrams: undefined, expectedPieces: 'any' }));
    for (const n of [1, 2, 3, 4]) await pickUp(s10(n, 'RR', 'CN'));
    expect(pickups().map((r) => r.body.pieces)).toEqual([1, 2, 3, 4].map((piece) => ({ piece, of: null })));
    expect(tasks.isOpen('T3')).toBe(true);
    send('close', { taskId: 'T3', reason: 'fewer-parcels' });
    send('close', { taskId: 'T404', reason: 'done' });
    await pipeline.whenIdle();
    expect(answers('closed').map((a) => a.error)).toEqual(['ANY_NUMBER', 'UNKNOWN_TASK']);
    send('close', { taskId: 'T3', reason: 'done' });
    await pipeline.whenIdle();
    const closed = records.filter((r) => r.kind === 'pickup.closed');
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ stream: 'kit-1', kit: 'kit-1' });
    expect(closed[0].body).toMatchObject({ taskId: 'T3', taskKnown: true, reason: 'done', pieces: { done: 4, expected: 'any' }, device: expect.any(String) });
    expect(closed[0].body.closeId).toEqual(expect.any(String));
    expect(answers('closed').at(-1)).toMatchObject({ recorded: true, recordId: expect.any(String), closeId: closed[0].body.closeId, pieces: { done: 4, expected: 'any' } });
    expect(records.filter((r) => r.kind === 'pickup.exception')).toEqual([]);
    expect(tasks.isOpen('T3')).toBe(false);
    // the close survives a restart through the marks log
    await pipeline.stop();
    await tasks.stop();
    tasks = await openStore();
    await startPipeline();
    expect(tasks.isOpen('T3')).toBe(false);
  });

  it('done on a stop expecting 3 is refused; more-parcels closes even a complete stop as an exception', async () => {
    send('close', { taskId: 'T3', reason: 'done' });
    await pipeline.whenIdle();
    expect(answers('closed')).toEqual([expect.objectContaining({ recorded: false, error: 'PIECES_EXPECTED' })]);
    for (const n of [1, 2, 3]) await pickUp(s10(n, 'RR', 'CN'));
    send('close', { taskId: 'T3', reason: 'more-parcels', note: 'five parcels ready' });
    await pipeline.whenIdle();
    expect(records.find((r) => r.kind === 'pickup.exception')?.body).toMatchObject({ reason: 'more-parcels', pieces: { done: 3, expected: 3 } });
  });
});
