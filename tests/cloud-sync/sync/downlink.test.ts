import { afterEach, describe, expect, it } from 'vitest';
import { DownlinkPoller, type DownlinkPollerOptions } from '../../../cloud-sync/sync/downlink.js';
import { DownlinkApplier, type ItemResult } from '../../../cloud-sync/sync/downlink-items.js';
import type { LinkState } from '../../../cloud-sync/sync/link.js';
import { startDispatchSim, type DispatchSim } from '../../../simulators/dispatch/index.js';
import { fakeTimers, MemoryState, nextEvent, recordingHandlers } from './helpers.js';

const TOKEN = 'dl-token';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function sim(opts: Parameters<typeof startDispatchSim>[0] = {}): Promise<DispatchSim> {
  const s = await startDispatchSim({ token: TOKEN, ...opts });
  cleanups.push(() => s.close());
  return s;
}

function poller(d: DispatchSim, state: MemoryState, handlers = recordingHandlers(), extra: Partial<DownlinkPollerOptions> = {}) {
  const applier = new DownlinkApplier({ handlers, state, configWhitelist: ['eta'] });
  const p = new DownlinkPoller({ url: d.url, gatewayId: 'gw-1', token: TOKEN, applier, minIntervalMs: 0, random: () => 0.5, ...extra });
  cleanups.push(() => p.stop());
  return { p, handlers, applier };
}

const assign = (id: string, taskId: string) => ({ id, kind: 'task.assign', task: { id: taskId, kit: 'kit-1', sequence: 1 } });

describe('DownlinkPoller against the reference dispatch', () => {
  it('applies served items in order and saves the cursor after applying', async () => {
    const d = await sim();
    await d.addDownlink({ gatewayId: 'gw-1', items: [assign('i1', 't1'), assign('i2', 't2')] });
    await d.addDownlink({ gatewayId: 'gw-other', items: [assign('x1', 'tx')] });
    const state = new MemoryState();
    const { p, handlers } = poller(d, state);
    const applied = nextEvent<ItemResult[]>(p, 'applied');
    await p.start();
    expect((await applied).map((r) => [r.id, r.outcome])).toEqual([
      ['i1', 'applied'],
      ['i2', 'applied'],
    ]);
    expect(handlers.calls).toEqual([
      ['task.assign', 't1'],
      ['task.assign', 't2'],
    ]);
    expect(state.value).toEqual({ cursor: 'c3', appliedIds: ['i1', 'i2'] });
    expect(p.stats()).toMatchObject({ state: 'up', cursor: 'c3', batches: 1 });
  });

  it('is woken by an item posted while it waits, and a cancel follows an assign', async () => {
    const d = await sim();
    const state = new MemoryState();
    const { p, handlers } = poller(d, state);
    await p.start();
    // the poll is parked at dispatch now (nothing to serve)
    const applied = nextEvent<ItemResult[]>(p, 'applied');
    const res = await fetch(`${d.url}/admin/downlink`, {
      method: 'POST',
      body: JSON.stringify({ gatewayId: 'gw-1', items: [assign('i1', 't1'), { id: 'i2', kind: 'task.cancel', taskId: 't1' }] }),
    });
    expect(await res.json()).toEqual({ queued: 2 });
    await applied;
    expect(handlers.calls).toEqual([
      ['task.assign', 't1'],
      ['task.cancel', 't1'],
    ]);
    expect(d.summary().requests.downlinkPolls).toBeLessThanOrEqual(3);
  });

  it('resumes from the saved cursor after a restart, and applies nothing twice when the cursor was lost', async () => {
    const d = await sim();
    await d.addDownlink({ gatewayId: 'gw-1', items: [assign('i1', 't1')] });
    const state = new MemoryState();
    const first = poller(d, state);
    let applied = nextEvent(first.p, 'applied');
    await first.p.start();
    await applied;
    await first.p.stop();

    await d.addDownlink({ gatewayId: 'gw-1', items: [assign('i2', 't2')] });
    const second = poller(d, state);
    applied = nextEvent(second.p, 'applied');
    await second.p.start();
    expect((await applied as ItemResult[]).map((r) => r.id)).toEqual(['i2']);
    await second.p.stop();

    // the cursor is lost (say the state was restored from an older copy): dispatch serves all again
    state.value = { appliedIds: state.value!.appliedIds };
    const third = poller(d, state);
    applied = nextEvent(third.p, 'applied');
    await third.p.start();
    expect((await applied as ItemResult[]).map((r) => [r.id, r.outcome])).toEqual([
      ['i1', 'duplicate'],
      ['i2', 'duplicate'],
    ]);
    expect(third.handlers.calls).toEqual([]);
    expect(state.value).toEqual({ cursor: 'c2', appliedIds: ['i1', 'i2'] });
  });

  it('a bad item is counted and skipped, the good ones after it applied', async () => {
    const d = await sim();
    await d.addDownlink({ gatewayId: 'gw-1', items: [{ id: 'bad', kind: 'task.assign', task: { id: 't0' } }, assign('i1', 't1')] });
    const { p, handlers, applier } = poller(d, new MemoryState());
    const applied = nextEvent<ItemResult[]>(p, 'applied');
    await p.start();
    expect((await applied).map((r) => r.outcome)).toEqual(['invalid', 'applied']);
    expect(handlers.calls).toEqual([['task.assign', 't1']]);
    expect(applier.stats()).toMatchObject({ invalid: 1, applied: 1 });
  });

  it('backs off on 503 honouring Retry-After, then polls again', async () => {
    const d = await sim({ faults: { down: true, retryAfterSeconds: 3 } });
    await d.addDownlink({ gatewayId: 'gw-1', items: [assign('i1', 't1')] });
    const { clock, timers } = fakeTimers();
    const { p } = poller(d, new MemoryState(), recordingHandlers(), { timers });
    const retry = nextEvent<{ delayMs: number; reason: string }>(p, 'retry');
    await p.start();
    expect(await retry).toEqual({ attempt: 1, delayMs: 3000, reason: 'HTTP 503' });
    d.setFaults({ down: false });
    const applied = nextEvent(p, 'applied');
    clock.tick(3000);
    await applied;
    expect(p.stats()).toMatchObject({ state: 'up', retried: 1, consecutiveFailures: 0 });
  });

  it('stops polling on 401 until reconfigured', async () => {
    const d = await sim();
    await d.addDownlink({ gatewayId: 'gw-1', items: [assign('i1', 't1')] });
    const { timers } = fakeTimers();
    const applier = new DownlinkApplier({ handlers: recordingHandlers(), state: new MemoryState(), configWhitelist: [] });
    const p = new DownlinkPoller({ url: d.url, gatewayId: 'gw-1', token: 'bad', applier, timers, minIntervalMs: 0 });
    cleanups.push(() => p.stop());
    const state = nextEvent<LinkState>(p, 'state');
    await p.start();
    expect(await state).toBe('auth-failed');
    expect(d.summary().requests.downlinkPolls).toBe(1);
    const applied = nextEvent(p, 'applied');
    p.reconfigure({ token: TOKEN });
    await applied;
  });
});
