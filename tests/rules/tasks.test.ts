import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sinon from 'sinon';
import { checkTask, TaskStore, type Task, type TaskState } from '../../rules/tasks.js';
import { clockTimers, silentLog, task, tempDir } from './helpers.js';

describe('checkTask', () => {
  it('accepts a full task and one without waybill or weight', () => {
    expect(checkTask(task()).ok).toBe(true);
    const { waybill: _w, declaredWeightGrams: _d, ...anyParcel } = task();
    expect(checkTask({ ...anyParcel, dimensions: { lengthCm: 40, widthCm: 30, heightCm: 20 } }).ok).toBe(true);
  });

  it('names the bad fields', () => {
    const r = checkTask({ ...task(), address: { text: 'x', lat: 91, lon: 0 }, service: 'overnight' }, 'tasks[2]');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(/^tasks\[2\]\.address\.lat: /);
    expect(r.errors[1]).toMatch(/^tasks\[2\]\.service: /);
  });

  it('refuses a window that ends before it starts', () => {
    const r = checkTask(task({ window: { from: '2025-03-01T18:00:00Z', to: '2025-03-01T08:00:00Z' } }));
    expect(r.ok ? [] : r.errors).toEqual(['window.to: from must not be after to']);
  });
});

describe('TaskStore', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let published: { kit: string; tasks: Task[] }[];
  let refused: string[];
  const stores: TaskStore[] = [];

  beforeEach(async () => {
    tmp = await tempDir();
    published = [];
    refused = [];
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.stop();
    sinon.restore();
    await tmp.remove();
  });

  function store(extra: Partial<ConstructorParameters<typeof TaskStore>[0]> = {}): TaskStore {
    const s = new TaskStore({
      dataDir: join(tmp.dir, 'data'),
      log: silentLog,
      publishTasks: (kit, tasks) => published.push({ kit, tasks }),
      onRefused: (e) => refused.push(e),
      ...extra,
    });
    stores.push(s);
    return s;
  }

  it('upserts, lists by kit and sequence, gets, cancels, and publishes after each change', async () => {
    const s = store();
    await s.start();
    await s.upsert(task({ id: 'A', sequence: 2, waybill: 'RB123456785GB' }));
    await s.upsert(task({ id: 'B', sequence: 1 }));
    await s.upsert(task({ id: 'C', kit: 'kit-2' }));
    expect(s.list('kit-1').map((t) => t.id)).toEqual(['B', 'A']);
    expect(s.get('C')?.kit).toBe('kit-2');
    expect(published.map((p) => [p.kit, p.tasks.map((t) => t.id)])).toEqual([
      ['kit-1', ['A']],
      ['kit-1', ['B', 'A']],
      ['kit-2', ['C']],
    ]);
    expect(await s.cancel('B')).toBe(true);
    expect(await s.cancel('B')).toBe(false);
    expect(s.list('kit-1').map((t) => t.id)).toEqual(['A']);
    expect(published.at(-1)).toEqual({ kit: 'kit-1', tasks: [s.get('A')] });
  });

  it('moving a task to another kit republishes both kits', async () => {
    const s = store();
    await s.start();
    await s.upsert(task({ id: 'A' }));
    published.length = 0;
    await s.upsert(task({ id: 'A', kit: 'kit-9' }));
    expect(published).toEqual([
      { kit: 'kit-9', tasks: [s.get('A')] },
      { kit: 'kit-1', tasks: [] },
    ]);
  });

  it('finds a task by normalised waybill and tracks pickups, surviving a restart', async () => {
    const s = store();
    await s.start();
    await s.upsert(task({ id: 'A', waybill: 'rr 123456785 cn' }));
    expect(s.findByWaybill('kit-1', 'RR123456785CN')?.id).toBe('A');
    expect(s.findByWaybill('kit-2', 'RR123456785CN')).toBeUndefined();
    expect(s.pickedUp('RR123456785CN')).toBeUndefined();
    await s.markPickedUp({ waybill: 'RR123456785CN', kit: 'kit-1', taskId: 'A', verdictId: 'V1', receipt: 'R1', at: 5 });
    expect(s.pickedUp('RR123456785CN')?.verdictId).toBe('V1');
    expect(s.list('kit-1')).toEqual([]);
    expect(s.findByWaybill('kit-1', 'RR123456785CN')?.id).toBe('A');
    expect(await s.markException('A', { reason: 'damaged', at: 6 })).toBe(true);
    expect(await s.markException('nope', { reason: 'damaged', at: 6 })).toBe(false);
    await s.stop();

    const again = store();
    await again.start();
    expect(again.pickedUp('RR123456785CN')).toEqual({ waybill: 'RR123456785CN', kit: 'kit-1', taskId: 'A', verdictId: 'V1', receipt: 'R1', at: 5 });
    expect(again.exceptions('A')).toEqual([{ reason: 'damaged', at: 6 }]);
  });

  it('tells a pickup or an exception as one task state, not by republishing the list, and folds the states into the next list', async () => {
    const states: { kit: string; taskId: string; state: TaskState | null }[] = [];
    const s = store({ publishTaskState: (kit, taskId, state) => states.push({ kit, taskId, state }) });
    await s.start();
    for (let i = 0; i < 50; i++) await s.upsert(task({ id: `T${i}`, sequence: i, waybill: undefined }));
    await s.upsert(task({ id: 'A', sequence: 99, waybill: 'RR123456785CN' }));
    published.length = 0;
    const taskFile = await readFile(join(tmp.dir, 'data', 'tasks.json'), 'utf8');

    await s.markPickedUp({ waybill: 'RR123456785CN', kit: 'kit-1', taskId: 'A', verdictId: 'V1', receipt: 'R1', at: 5 });
    await s.markException('T3', { reason: 'customer-absent', at: 6 });
    expect(published).toEqual([]);
    expect(states).toEqual([
      { kit: 'kit-1', taskId: 'A', state: { taskId: 'A', kit: 'kit-1', state: 'picked-up', open: false, at: 5, receipt: 'R1' } },
      { kit: 'kit-1', taskId: 'T3', state: { taskId: 'T3', kit: 'kit-1', state: 'exception', open: true, at: 6, reason: 'customer-absent' } },
    ]);
    // neither rewrote the task file
    expect(await readFile(join(tmp.dir, 'data', 'tasks.json'), 'utf8')).toBe(taskFile);
    expect(s.list('kit-1').map((t) => t.id)).not.toContain('A');
    expect(s.openWithoutWaybill('kit-1')).toHaveLength(50);

    // the next list carries what the states said: they are withdrawn, once
    states.length = 0;
    await s.upsert(task({ id: 'B', sequence: 100 }));
    expect(published).toHaveLength(1);
    expect(states).toEqual([
      { kit: 'kit-1', taskId: 'A', state: null },
      { kit: 'kit-1', taskId: 'T3', state: null },
    ]);
    states.length = 0;
    await s.upsert(task({ id: 'C', sequence: 101 }));
    expect(states).toEqual([]);

    // the exception survives a restart from the marks log
    await s.stop();
    const again = store();
    await again.start();
    expect(again.exceptions('T3')).toEqual([{ reason: 'customer-absent', at: 6 }]);
  });

  it('keeps every one of many pickups marked at once (they share the log writes), in order', async () => {
    const s = store();
    await s.start();
    const marks = Array.from({ length: 200 }, (_, i) => ({ waybill: `W${i}`, kit: 'kit-1', verdictId: `V${i}`, receipt: `R${i}`, at: i }));
    await Promise.all(marks.map((m) => s.markPickedUp(m)));
    await s.stop();
    const lines = (await readFile(join(tmp.dir, 'data', 'pickups.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { waybill: string }).waybill)).toEqual(marks.map((m) => m.waybill));
    const again = store();
    await again.start();
    expect(again.pickedUp('W199')?.receipt).toBe('R199');
  });

  it('seeds pickups found in the journal after a crash, once, and keeps the ones it already had', async () => {
    const s = store();
    await s.start();
    await s.markPickedUp({ waybill: 'RB123456785GB', kit: 'kit-1', verdictId: 'V0', receipt: 'R0', at: 1 });
    const added = await s.seedMarks({
      pickups: [
        { waybill: 'RB123456785GB', kit: 'kit-1', verdictId: 'OTHER', receipt: 'RX', at: 2 },
        { waybill: 'RR123456785CN', kit: 'kit-1', verdictId: 'V1', receipt: 'R1', at: 3 },
      ],
      answers: [],
      stops: [],
    });
    expect(added).toBe(1);
    expect(s.pickedUp('RB123456785GB')?.verdictId).toBe('V0');
    expect(s.pickedUp('RR123456785CN')?.verdictId).toBe('V1');
  });

  it('appends pickups to their own log, without rewriting the task file, and skips a torn last line', async () => {
    const s = store();
    await s.start();
    await s.upsert(task({ id: 'A', waybill: 'RR123456785CN' }));
    const taskFile = await readFile(join(tmp.dir, 'data', 'tasks.json'), 'utf8');
    await s.markPickedUp({ waybill: 'RR123456785CN', kit: 'kit-1', taskId: 'A', verdictId: 'V1', receipt: 'R1', at: 5 });
    expect(await readFile(join(tmp.dir, 'data', 'tasks.json'), 'utf8')).toBe(taskFile);
    await s.stop();
    const log = join(tmp.dir, 'data', 'pickups.jsonl');
    await writeFile(log, `${await readFile(log, 'utf8')}{"waybill":"RB1234`);
    const again = store();
    await again.start();
    expect(again.pickedUp('RR123456785CN')?.receipt).toBe('R1');
    expect(again.list('kit-1')).toEqual([]);
    // the next pickup starts on a clean line and survives the next restart
    await again.markPickedUp({ waybill: 'RB123456785GB', kit: 'kit-1', verdictId: 'V2', receipt: 'R2', at: 7 });
    await again.stop();
    const third = store();
    await third.start();
    expect(third.pickedUp('RB123456785GB')?.receipt).toBe('R2');
  });

  it('loads the tasks file: invalid tasks are refused with their path and counted, valid ones load', async () => {
    const file = join(tmp.dir, 'tasks.json');
    await writeFile(
      file,
      JSON.stringify({ tasks: [task({ id: 'A' }), { ...task({ id: 'B' }), window: { from: 'soon', to: '2025-03-01T18:00:00Z' } }, task({ id: 'C', sequence: 0 })] }),
    );
    const s = store({ file });
    await s.start();
    expect(s.list('kit-1').map((t) => t.id)).toEqual(['C', 'A']);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^tasks\[1\]\.window\.from: /);
    expect(s.refused).toBe(1);
    expect(published).toEqual([{ kit: 'kit-1', tasks: s.list('kit-1') }, { kit: 'kit-1', tasks: s.list('kit-1') }]);
    const db = JSON.parse(await readFile(join(tmp.dir, 'data', 'tasks.json'), 'utf8')) as { tasks: unknown[] };
    expect(db.tasks).toHaveLength(2);
  });

  it('a file that is not JSON or has no tasks array is refused as a whole and keeps the current tasks', async () => {
    const file = join(tmp.dir, 'tasks.json');
    await writeFile(file, JSON.stringify({ tasks: [task({ id: 'A' })] }));
    const s = store({ file });
    await s.start();
    await writeFile(file, '{"tasks": [');
    expect((await s.loadFile()).refused[0]).toMatch(/tasks\.json: /);
    await writeFile(file, '{"jobs": []}');
    expect((await s.loadFile()).refused).toEqual([`${file}: tasks: expected an array`]);
    expect(s.list('kit-1').map((t) => t.id)).toEqual(['A']);
    expect(s.refused).toBe(2);
  });

  it('reloads the file when it changes (debounced) and drops file tasks no longer in it', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const timers = clockTimers(clock);
    const file = join(tmp.dir, 'tasks.json');
    await writeFile(file, JSON.stringify({ tasks: [task({ id: 'A' }), task({ id: 'B', sequence: 2 })] }));
    const s = store({ file, timers, debounceMs: 250 });
    await s.start();
    await s.upsert(task({ id: 'D', waybill: undefined, sequence: 9 }));
    published.length = 0;

    const scheduled = timers.scheduled();
    await writeFile(file, JSON.stringify({ tasks: [task({ id: 'B', sequence: 2, customer: 'Beta' })] }));
    await scheduled;
    clock.tick(249);
    expect(published).toEqual([]);
    const reloaded = new Promise<void>((resolve) => {
      const original = published.push.bind(published);
      published.push = (...items) => {
        const n = original(...items);
        resolve();
        return n;
      };
    });
    clock.tick(1);
    await reloaded;
    expect(s.list('kit-1').map((t) => [t.id, t.customer])).toEqual([
      ['B', 'Beta'],
      ['D', 'Acme GmbH'],
    ]);
    expect(s.openWithoutWaybill('kit-1').map((t) => t.id)).toEqual(['D']);
  });

  it('refuses an invalid upsert and counts it', async () => {
    const s = store();
    await s.start();
    const r = await s.upsert({ id: 'X' });
    expect(r.ok).toBe(false);
    expect(s.refused).toBe(refused.length);
    expect(refused).toContain('kit: Invalid input: expected string, received undefined');
  });
});
