import { afterEach, describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../../cloud-sync/memory-outbox.js';
import { DownlinkApplier, type ItemResult } from '../../../cloud-sync/sync/downlink-items.js';
import type { LinkAlarm, LinkState } from '../../../cloud-sync/sync/link.js';
import { MqttBridge, type MqttBridgeOptions } from '../../../cloud-sync/sync/mqtt-bridge.js';
import { startDispatchSim, type DispatchSim } from '../../../simulators/dispatch/index.js';
import type { RecordKind } from '../../../rules/records.js';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { freePort } from '../../../core/ports.js';
import { aedesBroker, fakeTimers, fill, MemoryState, memoryOutbox, nextEvent, recordingHandlers, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(accept?: (u?: string, p?: string) => boolean): Promise<{ broker: { url: string; close: () => Promise<void> }; d: DispatchSim }> {
  const broker = await aedesBroker(accept);
  cleanups.push(broker.close);
  const d = await startDispatchSim({ mqttUrl: broker.url, mqttUsername: 'dispatch', mqttPassword: 'dispatch-pw' });
  cleanups.push(() => d.close());
  return { broker, d };
}

function bridge(url: string | string[], outbox: MemoryOutbox, extra: Partial<MqttBridgeOptions> = {}): MqttBridge {
  const b = new MqttBridge({ url, gatewayId: 'gw-1', outbox, random: () => 0.5, backoff: { baseMs: 20, maxMs: 200 }, ...extra });
  cleanups.push(() => b.stop());
  return b;
}

async function drained(b: MqttBridge, outbox: MemoryOutbox): Promise<void> {
  const depth = (): number => Object.values(outbox.stats().depth).reduce((a, c) => a + c, 0);
  while (depth() > 0) await nextEvent(b, 'settled');
}

describe('MqttBridge through a broker to the reference dispatch', () => {
  it('delivers every record once and removes it when dispatch acks it', async () => {
    const { broker, d } = await setup();
    const ob = memoryOutbox();
    const recs = await fill(ob, 1100);
    const b = bridge(broker.url, ob, { maxCount: 500 });
    await b.start();
    await drained(b, ob);
    const sum = d.summary();
    expect(sum).toMatchObject({ distinctIds: 1100, duplicates: 0, gapCount: 0, rejected: 0 });
    expect(sum.requests.mqttBatches).toBe(3);
    expect(d.records().map((r) => r.id)).toEqual(recs.map((r) => r.id));
    expect(b.stats()).toMatchObject({ transport: 'mqtt', state: 'up', connected: true, sent: 1100, acked: 1100, batches: 3 });
    expect(b.clientId).toBe('courier-gw-gw-1');
  });

  it('keeps records the broker took but dispatch never acked, and sends them again after the ack timeout', async () => {
    const { broker, d } = await setup();
    d.setFaults({ down: true });
    const ob = memoryOutbox();
    await fill(ob, 5);
    const { clock, timers } = fakeTimers();
    const b = bridge(broker.url, ob, { timers, ackTimeoutMs: 30_000 });
    await b.start();
    await until(() => d.summary().requests.mqttIgnored === 1, 5000, 'the batch to reach dispatch');
    expect(ob.stats().depth.records).toBe(5);
    d.setFaults({ down: false });
    const retry = nextEvent<{ reason: string }>(b, 'retry');
    clock.tick(29_999);
    expect(b.stats().ackTimeouts).toBe(0);
    clock.tick(1);
    expect((await retry).reason).toBe('no ack from dispatch');
    await drained(b, ob);
    expect(d.summary()).toMatchObject({ distinctIds: 5, duplicates: 0 });
    expect(b.stats()).toMatchObject({ ackTimeouts: 1, sent: 10, acked: 5 });
  });

  it('moves records dispatch rejects to dead letters and delivers the rest', async () => {
    const { broker, d } = await setup();
    let spoilId = '';
    class SpoilingOutbox extends MemoryOutbox {
      override async next(n: number, bytes: number): Promise<RecordEnvelope[]> {
        return (await super.next(n, bytes)).map((r) => (r.id === spoilId ? { ...r, kind: 'pickup.bogus' as RecordKind } : r));
      }
    }
    const ob = new SpoilingOutbox({ gatewayId: 'gw-1' });
    await fill(ob, 2);
    spoilId = (await ob.append({ kind: 'pickup.completed', stream: 'kit-1', body: {} })).id;
    const b = bridge(broker.url, ob);
    const settled = nextEvent(b, 'settled');
    await b.start();
    expect(await settled).toEqual({ acked: 2, rejected: 1 });
    expect(ob.deadLetters().map((x) => [x.record.id, x.reason])).toEqual([[spoilId, "KIND_UNKNOWN: 'pickup.bogus' is not a record kind"]]);
    expect(d.summary()).toMatchObject({ distinctIds: 2, rejected: 1 });
  });

  it('applies downlink items once by id, in order', async () => {
    const { broker, d } = await setup();
    const state = new MemoryState();
    const handlers = recordingHandlers();
    const applier = new DownlinkApplier({ handlers, state, configWhitelist: [] });
    const b = bridge(broker.url, memoryOutbox(), { applier });
    const subscribed = nextEvent(b, 'subscribed');
    await b.start();
    await subscribed;
    const item = { id: 'i1', kind: 'task.assign', task: { id: 't1', kit: 'kit-1' } };
    let applied = nextEvent<ItemResult[]>(b, 'applied');
    await d.addDownlink({ gatewayId: 'gw-1', items: [item, { id: 'i2', kind: 'task.cancel', taskId: 't1' }] });
    expect((await applied).map((r) => [r.id, r.outcome])).toEqual([
      ['i1', 'applied'],
      ['i2', 'applied'],
    ]);
    applied = nextEvent<ItemResult[]>(b, 'applied');
    await d.addDownlink({ gatewayId: 'gw-1', items: [item] });
    expect((await applied).map((r) => r.outcome)).toEqual(['duplicate']);
    expect(handlers.calls).toEqual([
      ['task.assign', 't1'],
      ['task.cancel', 't1'],
    ]);
    expect(state.value).toEqual({ appliedIds: ['i1', 'i2'] });
  });

  it('stops with an alarm when the broker refuses its credentials, and resumes when reconfigured', async () => {
    const { broker, d } = await setup((u, p) => u === 'dispatch' || (u === 'gw-1' && p === 'right'));
    const ob = memoryOutbox();
    await fill(ob, 3);
    const { timers } = fakeTimers();
    const alarms: LinkAlarm[] = [];
    const b = bridge(broker.url, ob, { timers, username: 'gw-1', password: 'wrong' });
    b.on('alarm', (a: LinkAlarm) => alarms.push(a));
    const states: LinkState[] = [];
    b.on('state', (s: LinkState) => states.push(s));
    await b.start();
    await until(() => b.stats().state === 'auth-failed', 5000, 'auth-failed');
    expect(alarms.map((a) => a.kind)).toEqual(['auth']);
    b.reconfigure({ password: 'right' });
    await drained(b, ob);
    expect(d.summary().distinctIds).toBe(3);
    expect(states.at(-1)).toBe('up');
  });

  it('connects again when the broker refuses its acks subscription, until the broker grants it', async () => {
    let refusals = 2;
    const broker = await aedesBroker(undefined, (topic) => !topic.endsWith('/acks') || refusals-- <= 0);
    cleanups.push(broker.close);
    const d = await startDispatchSim({ mqttUrl: broker.url });
    cleanups.push(() => d.close());
    const ob = memoryOutbox();
    await fill(ob, 10);
    const b = bridge(broker.url, ob);
    let subscribed = 0;
    b.on('subscribed', () => subscribed++);
    await b.start();
    await drained(b, ob);
    expect(refusals).toBeLessThan(0);
    expect(subscribed).toBe(1);
    expect(b.stats().retried).toBeGreaterThanOrEqual(2);
    expect(d.summary()).toMatchObject({ distinctIds: 10, changedUnderSameId: 0 });
  });

  it('given a cluster, goes to the next node when the first is not there', async () => {
    const { broker, d } = await setup();
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const ob = memoryOutbox();
    await fill(ob, 20);
    const b = bridge([dead, broker.url], ob);
    await b.start();
    await drained(b, ob);
    expect(d.summary()).toMatchObject({ distinctIds: 20, changedUnderSameId: 0 });
    expect(b.stats()).toMatchObject({ connected: true, broker: broker.url, failovers: 0 });
    expect(b.stats().retried).toBeGreaterThanOrEqual(1);
  });

  it('fails over to another node when its node goes, and sends what was not acked there unchanged', async () => {
    const a = await setup();
    const other = await setup();
    const ob = memoryOutbox();
    const recs = await fill(ob, 600);
    const b = bridge([a.broker.url, other.broker.url], ob, { maxCount: 50 });
    const connects: { broker: string; failover: boolean }[] = [];
    b.on('connected', (c: { broker: string; failover: boolean }) => connects.push(c));
    a.d.setFaults({ slowMs: 20 });
    await b.start();
    await nextEvent(b, 'settled');
    await a.broker.close();
    await drained(b, ob);
    const ids = new Set([...a.d.records(), ...other.d.records()].map((r) => r.id));
    expect(ids.size).toBe(600);
    expect(recs.every((r) => ids.has(r.id))).toBe(true);
    expect(other.d.summary()).toMatchObject({ changedUnderSameId: 0, rejected: 0 });
    expect(other.d.summary().distinctIds).toBeGreaterThan(0);
    expect(connects.map((c) => [c.broker, c.failover])).toEqual([
      [a.broker.url, false],
      [other.broker.url, true],
    ]);
    expect(b.stats()).toMatchObject({ broker: other.broker.url, failovers: 1 });
  });
});
