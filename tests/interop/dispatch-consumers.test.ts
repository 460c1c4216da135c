/**
 * The reference dispatch's consumer mode on a real nats-server: competing workers in one
 * queue group, idempotent by record id, answering on the gateway's MQTT acks topic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { connect } from 'nats';
import { NatsCluster } from '../../bench/nats-cluster.js';
import { startDispatchConsumers } from '../../simulators/dispatch/consumers.js';
import { fill, memoryOutbox, until } from '../cloud-sync/sync/helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('dispatch consumers on NATS', () => {
  it('share the batches, store each id once, answer every send of it and count what is unreadable', async () => {
    const cluster = new NatsCluster({ nodes: 1 });
    await cluster.start();
    cleanups.push(() => cluster.stop());
    const d = await startDispatchConsumers({ servers: cluster.natsUrls, workers: 2 });
    cleanups.push(() => d.close());
    const gw = await mqtt.connectAsync(cluster.mqttUrls[0], { clientId: 'courier-gw-van-1', clean: false, reconnectPeriod: 0 });
    cleanups.push(() => gw.endAsync());
    const acks: { batchId?: string; acked: string[]; rejected: unknown[] }[] = [];
    gw.on('message', (_t, p) => acks.push(JSON.parse(p.toString()) as (typeof acks)[number]));
    await gw.subscribeAsync('dispatch/v1/gateways/van-1/acks', { qos: 1 });
    const ob = memoryOutbox('van-1');
    const recs = await fill(ob, 40);
    for (let i = 0; i < 40; i++) {
      await gw.publishAsync('dispatch/v1/gateways/van-1/records', JSON.stringify({ batchId: `b${i}`, records: [recs[i]] }), { qos: 1 });
    }
    // the same record again, and a batch that is not JSON
    await gw.publishAsync('dispatch/v1/gateways/van-1/records', JSON.stringify({ batchId: 'again', records: [recs[0]] }), { qos: 1 });
    await gw.publishAsync('dispatch/v1/gateways/van-1/records', 'not json', { qos: 1 });
    await until(() => acks.length === 41, 10_000, 'every batch answered');
    const s = d.summary();
    expect(s).toMatchObject({ distinctIds: 40, duplicates: 1, changedUnderSameId: 0, gapCount: 0 });
    expect(acks.find((a) => a.batchId === 'again')?.acked).toEqual([recs[0].id]);
    expect(s.workers.map((w) => w.batches).every((n) => n > 0)).toBe(true);
    expect(s.workers.reduce((a, w) => a + w.batches, 0)).toBe(41);
    await until(() => d.summary().workers.reduce((a, w) => a + w.unreadable, 0) === 1, 5000, 'the unreadable batch counted');
  });

  it('a killed worker answers nothing more; the others take the batches', async () => {
    const cluster = new NatsCluster({ nodes: 1 });
    await cluster.start();
    cleanups.push(() => cluster.stop());
    const d = await startDispatchConsumers({ servers: cluster.natsUrls, workers: 2 });
    cleanups.push(() => d.close());
    await d.workers[0].kill();
    const nc = await connect({ servers: cluster.natsUrls });
    cleanups.push(() => nc.close());
    const answers: string[] = [];
    nc.subscribe('dispatch.v1.gateways.van-2.acks', { callback: (_e, m) => answers.push(m.string()) });
    const ob = memoryOutbox('van-2');
    const recs = await fill(ob, 10);
    for (const r of recs) nc.publish('dispatch.v1.gateways.van-2.records', JSON.stringify({ records: [r] }));
    await until(() => answers.length === 10, 10_000, 'every batch answered by the live worker');
    const s = d.summary();
    expect(s.distinctIds).toBe(10);
    expect(s.workers[0]).toMatchObject({ batches: 0, connected: false });
    expect(s.workers[1].batches).toBe(10);
  });
});
