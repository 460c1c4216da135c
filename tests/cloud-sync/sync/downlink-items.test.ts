import { describe, expect, it } from 'vitest';
import {
  DownlinkApplier,
  forbiddenPaths,
  itemsOf,
  parseDownlinkItem,
} from '../../../cloud-sync/sync/downlink-items.js';
import { MemoryState, recordingHandlers } from './helpers.js';

const task = (id: string, kit = 'kit-1') => ({ id, kit, waybill: 'RR123456785CN', sequence: 1 });

describe('downlink items', () => {
  it('validates each kind and names the bad field', () => {
    expect(parseDownlinkItem({ id: 'i1', kind: 'task.assign', task: task('t1') })).toEqual({
      id: 'i1',
      kind: 'task.assign',
      task: task('t1'),
    });
    expect(parseDownlinkItem({ id: 'i2', kind: 'task.cancel', taskId: 't1' })).toEqual({ id: 'i2', kind: 'task.cancel', taskId: 't1' });
    expect(parseDownlinkItem({ id: 'i3', kind: 'task.assign', task: { id: 't1' } })).toMatch(/^task\.kit: /);
    expect(parseDownlinkItem({ id: 'i4', kind: 'task.explode' })).toMatch(/^kind: /);
    expect(parseDownlinkItem({ kind: 'task.cancel', taskId: 't1' })).toMatch(/^id: /);
    expect(parseDownlinkItem({ id: 'i5', kind: 'ruleset.publish', ruleset: [] })).toMatch(/^ruleset: /);
    expect(parseDownlinkItem('nope')).toMatch(/^item: /);
  });

  it('finds the patch keys outside the whitelist, by dotted path', () => {
    const wl = ['eta.roadFactor', 'sync.batch'];
    expect(forbiddenPaths({ eta: { roadFactor: 1.4 } }, wl)).toEqual([]);
    expect(forbiddenPaths({ sync: { batch: { maxCount: 10, maxBytes: 5 } } }, wl)).toEqual([]);
    expect(forbiddenPaths({ eta: { roadFactor: 1.4, geofenceM: 50 }, dispatch: { token: 'x' } }, wl)).toEqual([
      'eta.geofenceM',
      'dispatch.token',
    ]);
    expect(forbiddenPaths({ eta: 3 }, wl)).toEqual(['eta']);
  });

  it('reads a message body as items', () => {
    expect(itemsOf({ items: [1, 2] })).toEqual([1, 2]);
    expect(itemsOf([3])).toEqual([3]);
    expect(itemsOf({ id: 'x' })).toEqual([{ id: 'x' }]);
  });
});

describe('DownlinkApplier', () => {
  function applier(state = new MemoryState(), handlers = recordingHandlers(), maxAppliedIds?: number) {
    return {
      state,
      handlers,
      a: new DownlinkApplier({ handlers, state, configWhitelist: ['eta.roadFactor'], maxAppliedIds, now: () => 0 }),
    };
  }

  it('applies every kind in order through the handlers and saves ids and cursor', async () => {
    const { a, handlers, state } = applier();
    const results = await a.apply(
      [
        { id: 'i1', kind: 'task.assign', task: task('t1') },
        { id: 'i2', kind: 'task.update', task: task('t1') },
        { id: 'i3', kind: 'ruleset.publish', ruleset: { version: '2024.05.1' } },
        { id: 'i4', kind: 'config.patch', patch: { eta: { roadFactor: 1.4 } } },
        { id: 'i5', kind: 'task.cancel', taskId: 't1' },
      ],
      'c5',
    );
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(handlers.calls).toEqual([
      ['task.assign', 't1'],
      ['task.update', 't1'],
      ['ruleset', '2024.05.1'],
      ['config', { eta: { roadFactor: 1.4 } }],
      ['task.cancel', 't1'],
    ]);
    expect(state.value).toEqual({ cursor: 'c5', appliedIds: ['i1', 'i2', 'i3', 'i4', 'i5'] });
    expect(a.stats()).toEqual({ applied: 5, duplicate: 0, invalid: 0, refused: 0, failed: 0, lastAppliedAt: '1970-01-01T00:00:00.000Z' });
  });

  it('applies an item once by id, across batches and after a restart', async () => {
    const state = new MemoryState();
    const first = applier(state);
    await first.a.apply([{ id: 'i1', kind: 'task.assign', task: task('t1') }], 'c1');
    await first.a.apply([{ id: 'i1', kind: 'task.assign', task: task('t1') }], 'c1');
    expect(first.handlers.calls).toEqual([['task.assign', 't1']]);
    const second = applier(state);
    expect(await second.a.load()).toBe('c1');
    const r = await second.a.apply([
      { id: 'i1', kind: 'task.assign', task: task('t1') },
      { id: 'i2', kind: 'task.cancel', taskId: 't1' },
    ]);
    expect(r.map((x) => x.outcome)).toEqual(['duplicate', 'applied']);
    expect(second.handlers.calls).toEqual([['task.cancel', 't1']]);
    expect(state.value).toEqual({ cursor: 'c1', appliedIds: ['i1', 'i2'] });
  });

  it('skips bad items, refused rule sets, forbidden patches and failing handlers without blocking the rest', async () => {
    const handlers = recordingHandlers(false);
    handlers.onTaskCancel = () => {
      throw new Error('lowdb write failed');
    };
    const { a } = applier(new MemoryState(), handlers);
    const results = await a.apply([
      { id: 'b1', kind: 'task.assign', task: { kit: 'kit-1' } },
      { id: 'b2', kind: 'ruleset.publish', ruleset: { version: 'bad' } },
      { id: 'b3', kind: 'config.patch', patch: { dispatch: { token: 'x' } } },
      { id: 'b4', kind: 'task.cancel', taskId: 't9' },
      { nothing: true },
      { id: 'ok', kind: 'task.assign', task: task('t2') },
    ]);
    expect(results).toEqual([
      { id: 'b1', kind: 'task.assign', outcome: 'invalid', reason: 'task.id: Invalid input: expected string, received undefined' },
      { id: 'b2', kind: 'ruleset.publish', outcome: 'refused', reason: 'fixture 3 failed' },
      { id: 'b3', kind: 'config.patch', outcome: 'refused', reason: 'keys not allowed: dispatch.token' },
      { id: 'b4', kind: 'task.cancel', outcome: 'failed', reason: 'lowdb write failed' },
      { id: undefined, kind: undefined, outcome: 'invalid', reason: expect.stringMatching(/^kind: Invalid discriminator/) },
      { id: 'ok', kind: 'task.assign', outcome: 'applied' },
    ]);
    expect(handlers.calls).toEqual([
      ['ruleset', 'bad'],
      ['task.assign', 't2'],
    ]);
    expect(a.stats()).toMatchObject({ applied: 1, invalid: 2, refused: 2, failed: 1, duplicate: 0 });
  });

  it('remembers a bounded number of ids, oldest forgotten first', async () => {
    const { a, state } = applier(new MemoryState(), recordingHandlers(), 3);
    await a.apply(['a', 'b', 'c', 'd'].map((id) => ({ id, kind: 'task.cancel', taskId: id })));
    expect(state.value?.appliedIds).toEqual(['b', 'c', 'd']);
  });

  it('serialises concurrent batches', async () => {
    const order: string[] = [];
    const handlers = recordingHandlers();
    handlers.onTask = async (t) => {
      order.push(`start ${t.id}`);
      await new Promise((r) => setImmediate(r));
      order.push(`end ${t.id}`);
    };
    const { a } = applier(new MemoryState(), handlers);
    await Promise.all([
      a.apply([{ id: '1', kind: 'task.assign', task: task('t1') }]),
      a.apply([{ id: '2', kind: 'task.assign', task: task('t2') }]),
    ]);
    expect(order).toEqual(['start t1', 'end t1', 'start t2', 'end t2']);
  });
});

describe('collection codes on the downlink', () => {
  const item = { id: 'c1', kind: 'collection.code', bank: 'bank-1', courier: 'c-123', code: '482913', expiresAt: '2026-11-23T18:00:00Z' };

  it('hands a valid code to the locker port, once', async () => {
    const got: unknown[] = [];
    const handlers = { ...recordingHandlers(), onCollectionCode: (c: unknown) => void got.push(c) };
    const a = new DownlinkApplier({ handlers, state: new MemoryState(), configWhitelist: [], now: () => 0 });
    const results = await a.apply([item, item]);
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'duplicate']);
    expect(got).toEqual([{ bank: 'bank-1', courier: 'c-123', code: '482913', expiresAt: '2026-11-23T18:00:00Z', waybills: undefined }]);
  });

  it('refuses a code where no locker runs, and a malformed one names the field', async () => {
    const a = new DownlinkApplier({ handlers: recordingHandlers(), state: new MemoryState(), configWhitelist: [], now: () => 0 });
    expect((await a.apply([item]))[0]).toMatchObject({ outcome: 'refused' });
    expect(parseDownlinkItem({ ...item, expiresAt: 'tomorrow' })).toMatch(/^expiresAt: /);
  });
});

describe('waybills assigned to a task on the downlink', () => {
  const item = { id: 'l1', kind: 'label.assign', kit: 'van-1', taskId: 'T2', waybill: 'CP987654323DE' };

  it('hands the label to the printer port once, and is refused where no label printer takes it', async () => {
    const got: unknown[] = [];
    const printing = new DownlinkApplier({ handlers: { ...recordingHandlers(), onLabelAssign: (l: unknown) => (got.push(l), true) }, state: new MemoryState(), configWhitelist: [], now: () => 0 });
    expect((await printing.apply([item, item])).map((r) => r.outcome)).toEqual(['applied', 'duplicate']);
    expect(got).toEqual([{ id: 'l1', kit: 'van-1', taskId: 'T2', waybill: 'CP987654323DE' }]);
    const none = new DownlinkApplier({ handlers: { ...recordingHandlers(), onLabelAssign: () => false }, state: new MemoryState(), configWhitelist: [], now: () => 0 });
    expect((await none.apply([item]))[0]).toMatchObject({ outcome: 'refused', reason: 'no label printer in kit van-1' });
    expect(parseDownlinkItem({ ...item, waybill: '' })).toMatch(/^waybill: /);
  });
});

describe('consent codes on the downlink', () => {
  const item = { id: 'k1', kind: 'consent.code', waybill: 'RB123456785GB', code: '7305', expiresAt: '2026-11-23T18:00:00Z' };

  it('hands a valid code to the locker port, once; refuses it where no locker runs; a malformed one names the field', async () => {
    const got: unknown[] = [];
    const a = new DownlinkApplier({ handlers: { ...recordingHandlers(), onConsentCode: (c: unknown) => void got.push(c) }, state: new MemoryState(), configWhitelist: [], now: () => 0 });
    expect((await a.apply([item, item])).map((r) => r.outcome)).toEqual(['applied', 'duplicate']);
    expect(got).toEqual([{ waybill: 'RB123456785GB', code: '7305', expiresAt: '2026-11-23T18:00:00Z' }]);
    const none = new DownlinkApplier({ handlers: recordingHandlers(), state: new MemoryState(), configWhitelist: [], now: () => 0 });
    expect((await none.apply([item]))[0]).toMatchObject({ outcome: 'refused', reason: 'this gateway runs no locker bank' });
    expect(parseDownlinkItem({ ...item, code: '12' })).toMatch(/^code: /);
  });
});
