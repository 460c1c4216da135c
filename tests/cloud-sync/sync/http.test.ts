import { afterEach, describe, expect, it } from 'vitest';
import { HttpSyncer, type HttpSyncerOptions } from '../../../cloud-sync/sync/http.js';
import type { LinkAlarm, LinkState } from '../../../cloud-sync/sync/link.js';
import type { MemoryOutbox } from '../../../cloud-sync/memory-outbox.js';
import { startDispatchSim, type DispatchSim } from '../../../simulators/dispatch/index.js';
import type { RecordKind } from '../../../rules/records.js';
import { fakeTimers, fill, memoryOutbox, nextEvent } from './helpers.js';

const TOKEN = 'secret-token';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function sim(opts: Parameters<typeof startDispatchSim>[0] = {}): Promise<DispatchSim> {
  const s = await startDispatchSim({ token: TOKEN, ...opts });
  cleanups.push(() => s.close());
  return s;
}

function syncer(outbox: MemoryOutbox, url: string, extra: Partial<HttpSyncerOptions> = {}): HttpSyncer {
  const s = new HttpSyncer({ url, gatewayId: 'gw-1', token: TOKEN, outbox, random: () => 0.5, ...extra });
  cleanups.push(() => s.stop());
  return s;
}

/** waits for answered batches until the outbox is empty */
async function drained(s: HttpSyncer, outbox: MemoryOutbox): Promise<void> {
  const depth = (): number => Object.values(outbox.stats().depth).reduce((a, b) => a + b, 0);
  while (depth() > 0) await nextEvent(s, 'settled');
}

describe('HttpSyncer against the reference dispatch', () => {
  it('delivers every record once, in seq order per stream, in batches of at most maxCount', async () => {
    const d = await sim();
    const ob = memoryOutbox();
    const recs = await fill(ob, 1200);
    const s = syncer(ob, d.url, { maxCount: 500 });
    await s.start();
    await drained(s, ob);
    const sum = d.summary();
    expect(sum.distinctIds).toBe(1200);
    expect(sum.duplicates).toBe(0);
    expect(sum.gapCount).toBe(0);
    expect(sum.perKind).toEqual({ 'pickup.completed': 1200 });
    expect(sum.requests.records).toBe(3);
    expect(d.records().map((r) => r.id)).toEqual(recs.map((r) => r.id));
    const st = s.stats();
    expect([st.state, st.sent, st.acked, st.batches, st.retried]).toEqual(['up', 1200, 1200, 3, 0]);
    expect(ob.stats().acked).toBe(1200);
  });

  it('keeps every request within the byte bound', async () => {
    const d = await sim();
    const ob = memoryOutbox();
    const recs = await fill(ob, 300);
    const total = recs.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
    const sizes: number[] = [];
    const counting: typeof fetch = (input, init) => {
      sizes.push(Buffer.byteLength(String(init?.body)));
      return fetch(input, init);
    };
    const s = syncer(ob, d.url, { maxCount: 1000, maxBytes: 20_000, fetch: counting });
    await s.start();
    await drained(s, ob);
    expect(d.summary().distinctIds).toBe(300);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(total / 20_000));
    // the bound is on the records; the envelope {"records":[...]} adds 14 bytes
    for (const n of sizes) expect(n).toBeLessThanOrEqual(20_000 + 14);
  });

  it('wakes at once when a record is appended to an idle outbox', async () => {
    const d = await sim();
    const ob = memoryOutbox();
    const { timers } = fakeTimers();
    const s = syncer(ob, d.url, { timers, idleRecheckMs: 3_600_000 });
    await s.start();
    const settled = nextEvent(s, 'settled');
    await fill(ob, 1);
    expect(await settled).toEqual({ acked: 1, rejected: 0 });
    await fill(ob, 3);
    await drained(s, ob);
    expect(d.summary().distinctIds).toBe(4);
  });

  it('backs off with full jitter on 503 and recovers when dispatch is up again', async () => {
    const d = await sim({ faults: { down: true } });
    const ob = memoryOutbox();
    await fill(ob, 10);
    const { clock, timers } = fakeTimers();
    const states: LinkState[] = [];
    const s = syncer(ob, d.url, { timers, backoff: { baseMs: 1000, maxMs: 3000 } });
    s.on('state', (st: LinkState) => states.push(st));
    let retry = nextEvent<{ attempt: number; delayMs: number; reason: string }>(s, 'retry');
    await s.start();
    expect(await retry).toEqual({ attempt: 1, delayMs: 500, reason: 'HTTP 503' });
    let waited = 500;
    for (const [attempt, delayMs] of [[2, 1000], [3, 1500], [4, 1500]]) {
      retry = nextEvent(s, 'retry');
      clock.tick(waited);
      expect(await retry).toEqual({ attempt, delayMs, reason: 'HTTP 503' });
      waited = delayMs;
    }
    expect(d.summary().requests.records).toBe(4);
    expect(d.summary().distinctIds).toBe(0);
    d.setFaults({ down: false });
    const settled = nextEvent(s, 'settled');
    clock.tick(1500);
    await settled;
    expect(d.summary().distinctIds).toBe(10);
    expect(states).toEqual(['down', 'up']);
    expect(s.stats()).toMatchObject({ state: 'up', retried: 4, consecutiveFailures: 0, lastError: 'HTTP 503' });
  });

  it('honours Retry-After: no request before it has passed', async () => {
    const d = await sim({ faults: { down: true, retryAfterSeconds: 7 } });
    const ob = memoryOutbox();
    await fill(ob, 2);
    const { clock, timers } = fakeTimers();
    const s = syncer(ob, d.url, { timers });
    const retry = nextEvent<{ delayMs: number }>(s, 'retry');
    await s.start();
    expect((await retry).delayMs).toBe(7000);
    d.setFaults({ down: false });
    clock.tick(6999);
    // give a wrongly early request every chance to reach the simulator
    await new Promise((r) => setImmediate(r));
    expect(d.summary().requests.records).toBe(1);
    const settled = nextEvent(s, 'settled');
    clock.tick(1);
    await settled;
    expect(d.summary().requests.records).toBe(2);
    expect(d.summary().distinctIds).toBe(2);
  });

  it('stops on 401 with an alarm and resumes only when reconfigured', async () => {
    const d = await sim();
    const ob = memoryOutbox();
    await fill(ob, 4);
    const { clock, timers } = fakeTimers();
    const alarms: LinkAlarm[] = [];
    const s = new HttpSyncer({ url: d.url, gatewayId: 'gw-1', token: 'wrong', outbox: ob, timers, authRetryMs: 600_000 });
    cleanups.push(() => s.stop());
    s.on('alarm', (a: LinkAlarm) => alarms.push(a));
    const state = nextEvent<LinkState>(s, 'state');
    await s.start();
    expect(await state).toBe('auth-failed');
    expect(alarms).toEqual([{ kind: 'auth', message: "dispatch refused the gateway's credentials (HTTP 401); sending stopped" }]);
    clock.tick(599_999);
    await new Promise((r) => setImmediate(r));
    expect(d.summary().requests.records).toBe(1);
    const settled = nextEvent(s, 'settled');
    s.reconfigure({ token: TOKEN });
    await settled;
    expect(d.summary().distinctIds).toBe(4);
    expect(s.stats().state).toBe('up');
  });

  it('retries after a 401 once authRetryMs has passed', async () => {
    const d = await sim({ faults: { unauthorized: true } });
    const ob = memoryOutbox();
    await fill(ob, 1);
    const { clock, timers } = fakeTimers();
    const s = syncer(ob, d.url, { timers, authRetryMs: 60_000 });
    const state = nextEvent<LinkState>(s, 'state');
    await s.start();
    expect(await state).toBe('auth-failed');
    d.setFaults({ unauthorized: false });
    const settled = nextEvent(s, 'settled');
    clock.tick(60_000);
    await settled;
    expect(d.summary().requests.records).toBe(2);
  });

  it('moves rejected records to dead letters and delivers the rest of the batch', async () => {
    const d = await sim();
    const ob = memoryOutbox();
    await fill(ob, 2);
    const bad = await ob.append({ kind: 'pickup.completed', stream: 'kit-1', body: {} });
    // a record the dispatch envelope check refuses: a kind it does not know
    const spoiled = { ...bad, kind: 'pickup.bogus' as RecordKind };
    const spoiling: typeof fetch = (input, init) => {
      const body = JSON.parse(String(init?.body)) as { records: { id: string }[] };
      body.records = body.records.map((r) => (r.id === bad.id ? spoiled : r));
      return fetch(input, { ...init, body: JSON.stringify(body) });
    };
    await fill(ob, 2);
    const s = syncer(ob, d.url, { fetch: spoiling });
    const settled = nextEvent(s, 'settled');
    await s.start();
    expect(await settled).toEqual({ acked: 4, rejected: 1 });
    expect(ob.deadLetters().map((x) => [x.record.id, x.reason])).toEqual([
      [bad.id, "KIND_UNKNOWN: 'pickup.bogus' is not a record kind"],
    ]);
    expect(d.summary()).toMatchObject({ distinctIds: 4, rejected: 1 });
    expect(s.stats()).toMatchObject({ acked: 4, rejected: 1 });
  });

  it('sends again the ids dispatch answered neither way', async () => {
    const ob = memoryOutbox();
    const recs = await fill(ob, 4);
    const bodies: string[][] = [];
    const partial: typeof fetch = async (_input, init) => {
      const ids = (JSON.parse(String(init?.body)) as { records: { id: string }[] }).records.map((r) => r.id);
      bodies.push(ids);
      return new Response(JSON.stringify({ acked: ids.slice(0, 2), rejected: [] }), { status: 200 });
    };
    const s = syncer(ob, 'http://127.0.0.1:9', { fetch: partial });
    const two = nextEvent(s, 'settled').then(() => nextEvent(s, 'settled'));
    await s.start();
    await two;
    const ids = recs.map((r) => r.id);
    expect(bodies.slice(0, 2)).toEqual([ids, ids.slice(2)]);
  });

  it('does not resend in a tight loop when an answer settles nothing', async () => {
    const ob = memoryOutbox();
    await fill(ob, 1);
    const { timers } = fakeTimers();
    let calls = 0;
    const none: typeof fetch = async () => {
      calls++;
      return new Response('{"acked":[],"rejected":[]}', { status: 200 });
    };
    const s = syncer(ob, 'http://127.0.0.1:9', { fetch: none, timers });
    const retry = nextEvent<{ reason: string }>(s, 'retry');
    await s.start();
    expect((await retry).reason).toBe('dispatch answered none of the batch');
    expect(calls).toBe(1);
  });

  it('resends after a lost answer, and dispatch counts the duplicates, none changed', async () => {
    const d = await sim();
    const ob = memoryOutbox();
    await fill(ob, 5);
    let first = true;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!first) return res;
      // dispatch stored the batch, but its answer never reaches the gateway
      first = false;
      await res.text();
      throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    };
    const { clock, timers } = fakeTimers();
    const s = syncer(ob, d.url, { fetch: lossy, timers });
    const retry = nextEvent<{ reason: string; delayMs: number }>(s, 'retry');
    await s.start();
    const r = await retry;
    expect(r.reason).toBe('network: ECONNRESET');
    const settled = nextEvent(s, 'settled');
    clock.tick(r.delayMs);
    await settled;
    expect(d.summary()).toMatchObject({ distinctIds: 5, received: 10, duplicates: 5, changedUnderSameId: 0 });
  });

  it('treats a refused connection as a network error and retries', async () => {
    const d = await sim();
    const url = d.url;
    await d.close();
    const ob = memoryOutbox();
    await fill(ob, 1);
    const { timers } = fakeTimers();
    const s = syncer(ob, url, { timers });
    const retry = nextEvent<{ reason: string }>(s, 'retry');
    await s.start();
    expect((await retry).reason).toBe('network: ECONNREFUSED');
    expect(s.stats().state).toBe('down');
  });

  it('halves the batch when dispatch answers 413', async () => {
    const d = await sim({ maxBodyBytes: 40_000 });
    const ob = memoryOutbox();
    await fill(ob, 400);
    const counts: number[] = [];
    const counting: typeof fetch = (input, init) => {
      counts.push((JSON.parse(String(init?.body)) as { records: unknown[] }).records.length);
      return fetch(input, init);
    };
    const s = syncer(ob, d.url, { maxCount: 400, maxBytes: 10_000_000, fetch: counting });
    await s.start();
    await drained(s, ob);
    expect(counts).toEqual([400, 200, 100, 100, 100, 100]);
    expect(d.summary().distinctIds).toBe(400);
  });
});
