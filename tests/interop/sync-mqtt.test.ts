/**
 * The MQTT bridge and the reference dispatch through Debian's real Mosquitto as the cloud
 * broker, on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryOutbox } from '../../cloud-sync/memory-outbox.js';
import { DownlinkApplier, type ItemResult } from '../../cloud-sync/sync/downlink-items.js';
import { MqttBridge, type MqttBridgeOptions } from '../../cloud-sync/sync/mqtt-bridge.js';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';
import { fill, MemoryState, memoryOutbox, nextEvent, recordingHandlers, until } from '../cloud-sync/sync/helpers.js';
import { freePort, Mosquitto } from '../cloud-sync/sync/mosquitto.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(): Promise<{ mq: Mosquitto; d: DispatchSim }> {
  const mq = new Mosquitto(await freePort());
  await mq.start();
  cleanups.push(() => mq.dispose());
  const d = await startDispatchSim({ mqttUrl: mq.url });
  cleanups.push(() => d.close());
  return { mq, d };
}

function bridge(mq: Mosquitto, outbox: MemoryOutbox, extra: Partial<MqttBridgeOptions> = {}): MqttBridge {
  const b = new MqttBridge({
    url: mq.url,
    gatewayId: 'gw-van-7',
    outbox,
    backoff: { baseMs: 50, maxMs: 500 },
    ackTimeoutMs: 2000,
    ...extra,
  });
  cleanups.push(() => b.stop());
  return b;
}

const depth = (ob: MemoryOutbox): number => Object.values(ob.stats().depth).reduce((a, c) => a + c, 0);

describe('sync over MQTT through Mosquitto', () => {
  it('delivers each record once, acks remove them, downlink items are applied', async () => {
    const { mq, d } = await setup();
    const ob = memoryOutbox('gw-van-7');
    const recs = await fill(ob, 2000);
    const handlers = recordingHandlers();
    const state = new MemoryState();
    const applier = new DownlinkApplier({ handlers, state, configWhitelist: ['eta.roadFactor'] });
    const b = bridge(mq, ob, { applier, maxCount: 250 });
    const subscribed = nextEvent(b, 'subscribed');
    await b.start();
    await subscribed;
    while (depth(ob) > 0) await nextEvent(b, 'settled');
    expect(d.summary()).toMatchObject({ distinctIds: 2000, duplicates: 0, changedUnderSameId: 0, gapCount: 0 });
    expect(d.records({ gatewayId: 'gw-van-7' }).map((r) => r.id)).toEqual(recs.map((r) => r.id));
    expect(ob.stats()).toMatchObject({ acked: 2000, rejected: 0 });

    const applied = nextEvent<ItemResult[]>(b, 'applied');
    await d.addDownlink({
      gatewayId: 'gw-van-7',
      items: [
        { id: 'd1', kind: 'task.assign', task: { id: 't1', kit: 'kit-1', sequence: 1 } },
        { id: 'd2', kind: 'config.patch', patch: { eta: { roadFactor: 1.35 } } },
        { id: 'd3', kind: 'task.cancel', taskId: 't1' },
      ],
    });
    expect((await applied).map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(handlers.calls).toEqual([
      ['task.assign', 't1'],
      ['config', { eta: { roadFactor: 1.35 } }],
      ['task.cancel', 't1'],
    ]);
  });

  it('a downlink item published while the gateway is away reaches it through its persistent session', async () => {
    const { mq, d } = await setup();
    const state = new MemoryState();
    const first = bridge(mq, memoryOutbox('gw-van-7'), { applier: new DownlinkApplier({ handlers: recordingHandlers(), state, configWhitelist: [] }) });
    const subscribed = nextEvent(first, 'subscribed');
    await first.start();
    await subscribed;
    await first.stop();

    // resolves on the broker's PUBACK: the item is queued for the absent session
    await d.addDownlink({ gatewayId: 'gw-van-7', items: [{ id: 'away-1', kind: 'task.assign', task: { id: 't9', kit: 'kit-1' } }] });

    const handlers = recordingHandlers();
    const second = bridge(mq, memoryOutbox('gw-van-7'), { applier: new DownlinkApplier({ handlers, state, configWhitelist: [] }) });
    const applied = nextEvent<ItemResult[]>(second, 'applied');
    await second.start();
    expect((await applied).map((r) => [r.id, r.outcome])).toEqual([['away-1', 'applied']]);
    expect(handlers.calls).toEqual([['task.assign', 't9']]);
  });

  it('a broker restart in the middle still delivers everything, nothing changed under an id', async () => {
    const { mq, d } = await setup();
    const ob = memoryOutbox('gw-van-7');
    await fill(ob, 3000, ['kit-1', 'kit-2', 'kit-3']);
    const b = bridge(mq, ob, { maxCount: 100 });
    await b.start();
    for (let i = 0; i < 5; i++) await nextEvent(b, 'settled');
    await mq.stop();
    const before = d.summary().distinctIds;
    expect(before).toBeGreaterThanOrEqual(500);
    expect(before).toBeLessThan(3000);
    // records keep coming while the cloud broker is away
    await fill(ob, 500, ['kit-1', 'kit-2', 'kit-3']);
    await until(() => !b.stats().connected, 5000, 'the bridge to see the broker gone');
    await mq.start();
    await until(() => depth(ob) === 0, 30_000, 'the outbox to drain after the restart');
    const sum = d.summary();
    expect(sum).toMatchObject({ distinctIds: 3500, changedUnderSameId: 0, gapCount: 0, rejected: 0 });
    expect(sum.perKind).toEqual({ 'pickup.completed': 3500 });
    expect(b.stats().retried).toBeGreaterThanOrEqual(1);
    expect(ob.stats().acked).toBe(3500);
  });
});
