import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverloadMonitor, TokenBucket, type OverloadState } from '../../gateway/overload.js';
import { authFetch, collect, DEVICE_PASSWORD, metricValue, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

describe('OverloadMonitor', () => {
  it('is overloaded as soon as a queue passes its bound, and calm again only after every queue stayed under half for calmMs', () => {
    let now = 0;
    let size = 0;
    const changes: OverloadState[] = [];
    const m = new OverloadMonitor({ maxLagMs: 100, calmMs: 1000, checkEveryMs: 100 }, (s) => changes.push(s), () => now);
    m.add({ name: 'deliveries', size: () => size, bound: 10 });
    expect(m.overloaded()).toBe(false);
    size = 11;
    expect(m.overloaded()).toBe(true);
    expect(m.state()).toMatchObject({ active: true, reason: 'deliveries 11/10', episodes: 1 });
    expect(m.severe()).toBe(false);
    size = 21;
    expect(m.severe()).toBe(true);
    // under the bound but over half of it: still overloaded
    size = 7;
    for (let t = 0; t < 30; t++) m.tick((now += 100));
    expect(m.overloaded()).toBe(true);
    size = 4;
    for (let t = 0; t < 10; t++) m.tick((now += 100));
    expect(m.state().active).toBe(true);
    m.tick((now += 100));
    expect(m.state().active).toBe(false);
    expect(changes.map((c) => c.active)).toEqual([true, false]);
  });

  it('counts a late timer as event loop delay', () => {
    let now = 0;
    const m = new OverloadMonitor({ maxLagMs: 100, calmMs: 0, checkEveryMs: 100 }, undefined, () => now);
    m.start();
    m.stop();
    const base = performance.now();
    m.tick(base); // sets the next expected tick at base + 100
    m.tick(base + 450);
    // one late tick is a pause, not overload
    expect(m.state().active).toBe(false);
    m.tick(base + 450 + 100 + 250);
    expect(m.state()).toMatchObject({ active: true, lagMs: 250, reason: 'event loop 350 ms' });
    expect(m.severe()).toBe(false);
    m.tick(base + 800 + 100 + 500);
    expect(m.severe()).toBe(true);
    // five punctual ticks: the late ones are out of the window, and calmMs is 0
    let at = base + 1400;
    for (let i = 0; i < 5; i++) m.tick((at += 100));
    expect(m.state().active).toBe(false);
  });
});

describe('TokenBucket', () => {
  it('takes a token while there is one and refills at its rate', () => {
    const b = new TokenBucket(2, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(400)).toBe(false); // 0.8 tokens
    expect(b.take(500)).toBe(true); // 1.0
    expect(b.delay(500)).toBe(500); // the rate limit's form: waits for its token
  });
});

describe('gateway under overload', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      mqtt: { overload: { maxLagMs: 100, fairPerSecond: 1, fairBurst: 2 } },
      operators: [{ username: 'tech', passwordHash: operatorHash() }],
      kits: [{ id: 'van-1' }, { id: 'van-2' }],
      devices: [
        { id: 'fast-scanner', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } },
        { id: 'fast-scale', kind: 'scale', kit: 'van-1', credentials: { passwordHash: testHash() } },
        { id: 'calm-scanner', kind: 'scanner', kit: 'van-2', credentials: { passwordHash: testHash() } },
      ],
    });
  });
  afterAll(async () => t?.stop());

  const health = async () => (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { status: string; degraded?: string[]; alarms: { kind: string }[] };

  it('refuses a device over its fair rate with OVERLOADED, tells the kit scanner to wait, serves a device within it, says degraded, and recovers', async () => {
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const seen = await collect(op, 'cg/v1/devices/+/events/#');
    const fast = await t.connect('fast-scanner', DEVICE_PASSWORD);
    const fastScale = await t.connect('fast-scale', DEVICE_PASSWORD);
    const calm = await t.connect('calm-scanner', DEVICE_PASSWORD);
    const errors = await collect(fastScale, 'cg/v1/devices/fast-scale/errors');
    const feedback = await collect(fast, 'cg/v1/devices/fast-scanner/commands/feedback');
    const before = await metricValue(t.httpUrl, 'cg_payloads_refused_total', { reason: 'overloaded' });

    // the event loop stalls twice for 400 ms: the monitor's ticks see the delay
    for (let stall = 0; stall < 2; stall++) {
      const until = Date.now() + 400;
      while (Date.now() < until) {
        /* busy */
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    expect((await health()).status).toBe('degraded');
    expect(await metricValue(t.httpUrl, 'cg_overloaded')).toBe(1);

    for (let i = 0; i < 5; i++) await fastScale.publishAsync('cg/v1/devices/fast-scale/events/weight', JSON.stringify({ grams: 100 + i, stable: true }), { qos: 1 });
    await calm.publishAsync('cg/v1/devices/calm-scanner/events/scan', JSON.stringify({ code: 'CALM-1' }), { qos: 1 });

    const refusal = await errors.next((m) => (m.payload as { error?: string }).error === 'OVERLOADED');
    expect(refusal.payload).toMatchObject({ error: 'OVERLOADED', topic: 'cg/v1/devices/fast-scale/events/weight' });
    const wait = await feedback.next();
    expect((wait.payload as { text: string }).text).toMatch(/wait/i);
    await seen.next((m) => m.topic === 'cg/v1/devices/calm-scanner/events/scan');
    // two weights within the burst got through, three were refused and counted
    const weights = () => seen.messages.filter((m) => m.topic === 'cg/v1/devices/fast-scale/events/weight').length;
    expect(weights()).toBe(2);
    expect(await metricValue(t.httpUrl, 'cg_payloads_refused_total', { reason: 'overloaded' })).toBe(before + 3);
    expect((await health()).alarms.map((a) => a.kind)).toContain('overload');

    // calm for a second: served again
    const deadline = Date.now() + 5000;
    while ((await health()).status !== 'ok') {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await metricValue(t.httpUrl, 'cg_overloaded')).toBe(0);
    expect(await metricValue(t.httpUrl, 'cg_event_loop_delay_seconds', { quantile: '0.99' })).toBeGreaterThanOrEqual(0);
  });
});
