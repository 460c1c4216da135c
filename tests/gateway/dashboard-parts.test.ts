import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { LoginThrottle, SessionStore } from '../../gateway/dashboard/sessions.js';
import { SseStream, type SseTarget } from '../../gateway/dashboard/sse.js';
import { MASK, parsePayload, redact } from '../../gateway/dashboard/redact.js';
import { BusEntry, LiveState } from '../../gateway/dashboard/live-state.js';
import type { DeviceSummary } from '../../gateway/devices.js';

describe('SessionStore', () => {
  const make = (clock: { t: number }, maxSessions = 10) => new SessionStore({ idleMs: 1_000, maxAgeMs: 5_000, maxSessions, now: () => clock.t });

  it('keeps a used session alive up to its maximum age, and ends an idle one', () => {
    const clock = { t: 0 };
    const store = make(clock);
    const token = store.create('tech');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (clock.t = 900; clock.t < 5_000; clock.t += 900) expect(store.touch(token)?.username).toBe('tech');
    clock.t = 5_000;
    expect(store.touch(token)).toBeUndefined();
    const idle = store.create('tech');
    clock.t += 999;
    expect(store.peek(idle)).toBeDefined();
    clock.t += 1;
    expect(store.peek(idle)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('tells an unknown token from a live one, forgets destroyed ones and evicts the oldest over the cap', () => {
    const clock = { t: 0 };
    const store = make(clock, 2);
    const a = store.create('a');
    const b = store.create('b');
    expect(store.peek('not-a-token')).toBeUndefined();
    expect(store.peek(undefined)).toBeUndefined();
    const c = store.create('c');
    expect(store.peek(a)).toBeUndefined();
    expect(store.peek(b)?.username).toBe('b');
    store.destroy(b);
    expect(store.peek(b)).toBeUndefined();
    expect(store.peek(c)?.username).toBe('c');
    expect(store.expiresAt(store.peek(c)!)).toBe(1_000);
  });
});

describe('LoginThrottle', () => {
  it('lets the free failures through, then blocks for a doubling time up to the cap', () => {
    const clock = { t: 0 };
    const th = new LoginThrottle({ freeFailures: 2, baseBlockMs: 1_000, maxBlockMs: 3_000, forgetMs: 60_000, maxKeys: 100, now: () => clock.t });
    const k = '127.0.0.1|tech';
    expect(th.fail(k)).toBe(1);
    expect(th.retryAfterMs(k)).toBe(0);
    th.fail(k);
    expect(th.retryAfterMs(k)).toBe(0);
    th.fail(k);
    expect(th.retryAfterMs(k)).toBe(1_000);
    clock.t = 1_000;
    expect(th.retryAfterMs(k)).toBe(0);
    th.fail(k);
    expect(th.retryAfterMs(k)).toBe(2_000);
    clock.t = 3_000;
    th.fail(k);
    expect(th.retryAfterMs(k)).toBe(3_000);
    expect(th.retryAfterMs('127.0.0.1|other')).toBe(0);
    th.succeed(k);
    expect(th.retryAfterMs(k)).toBe(0);
    expect(th.failedTotal).toBe(5);
    expect(th.blockedTotal).toBe(3);
  });

  it('forgets old failures and keeps at most maxKeys keys', () => {
    const clock = { t: 0 };
    const th = new LoginThrottle({ freeFailures: 1, baseBlockMs: 1_000, maxBlockMs: 1_000, forgetMs: 10_000, maxKeys: 2, now: () => clock.t });
    th.fail('a');
    clock.t = 10_001;
    expect(th.fail('a')).toBe(1);
    th.fail('b');
    th.fail('b');
    th.fail('c');
    th.fail('c');
    th.fail('d');
    // 'a' and 'b' were evicted: 'b' is no longer blocked
    expect(th.retryAfterMs('b')).toBe(0);
    expect(th.retryAfterMs('c')).toBe(1_000);
  });
});

/** A socket that takes `room` chunks, then reports itself full until drained. */
class FakeSocket extends EventEmitter implements SseTarget {
  written: string[] = [];
  ended = false;
  private inFlight = 0;
  constructor(private readonly room: number) {
    super();
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    this.inFlight += 1;
    return this.inFlight < this.room;
  }
  end(): void {
    this.ended = true;
  }
  drain(): void {
    this.inFlight = 0;
    this.emit('drain');
  }
}

const dataOf = (chunk: string) => /^event: (\w+)\ndata: (.*)\n\n$/.exec(chunk);

describe('SseStream', () => {
  it('queues while the socket is full, drops the oldest over the cap and says how many were missed', () => {
    const socket = new FakeSocket(2);
    const s = new SseStream(socket, { maxQueued: 3, maxQueuedBytes: 1 << 20 });
    for (let i = 1; i <= 8; i++) s.send('bus', { n: i });
    expect(socket.written.map((c) => dataOf(c)![2])).toEqual(['{"n":1}', '{"n":2}']);
    expect(s.queued).toBe(3);
    expect(s.dropped).toBe(3);
    socket.drain();
    expect(socket.written.slice(2).map((c) => `${dataOf(c)![1]} ${dataOf(c)![2]}`)).toEqual(['dropped {"count":3}', 'bus {"n":6}']);
    expect(s.queued).toBe(2);
    socket.drain();
    socket.drain();
    expect(socket.written.slice(4).map((c) => dataOf(c)![2])).toEqual(['{"n":7}', '{"n":8}']);
    expect(s.queued).toBe(0);
  });

  it('bounds the queue in bytes too', () => {
    const socket = new FakeSocket(1);
    const s = new SseStream(socket, { maxQueued: 1000, maxQueuedBytes: 100 });
    s.send('bus', 'first');
    for (let i = 0; i < 50; i++) s.send('bus', 'x'.repeat(30));
    expect(s.queued).toBe(1);
    expect(s.dropped).toBe(49);
  });

  it('never holds more than its caps, and delivers the rest in order, whatever the socket does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ send: fc.nat(200) }), fc.constant({ drain: true })), { maxLength: 300 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        (ops, room, maxQueued) => {
          const socket = new FakeSocket(room);
          const s = new SseStream(socket, { maxQueued, maxQueuedBytes: 2_000 });
          let sent = 0;
          for (const op of ops) {
            if ('drain' in op) socket.drain();
            else s.send('bus', { i: sent++, pad: 'p'.repeat(op.send) });
            expect(s.queued).toBeLessThanOrEqual(maxQueued);
          }
          for (let i = 0; i < 400 && s.queued > 0; i++) socket.drain();
          const got = socket.written.map((c) => dataOf(c)!).filter((m) => m[1] === 'bus').map((m) => (JSON.parse(m[2]) as { i: number }).i);
          const missed = socket.written.map((c) => dataOf(c)!).filter((m) => m[1] === 'dropped').reduce((n, m) => n + (JSON.parse(m[2]) as { count: number }).count, 0);
          expect([...got].sort((a, b) => a - b)).toEqual(got);
          expect(got.length + s.dropped).toBe(sent);
          expect(missed).toBe(s.dropped);
        },
      ),
    );
  });

  it('stops writing once closed or detached', () => {
    const socket = new FakeSocket(10);
    const s = new SseStream(socket, { maxQueued: 5, maxQueuedBytes: 1000 });
    s.comment('ping\nx');
    expect(socket.written).toEqual([': ping x\n\n']);
    s.close();
    expect(socket.ended).toBe(true);
    s.send('bus', 1);
    expect(socket.written).toHaveLength(1);
  });
});

describe('redact', () => {
  it('masks secrets by key, collection codes on code events and commands, and keeps barcodes of scans', () => {
    expect(redact('cg/v1/devices/t/events/code', { code: '482913', bank: 'A' })).toEqual({ code: MASK, bank: 'A' });
    expect(redact('cg/v1/devices/l/commands/open', { id: 'c1', compartment: 'A3', collectionCode: '1234', pin: '99' })).toEqual({
      id: 'c1',
      compartment: 'A3',
      collectionCode: MASK,
      pin: MASK,
    });
    expect(redact('cg/v1/devices/s/events/scan', { code: 'RB123456785GB' })).toEqual({ code: 'RB123456785GB' });
    expect(redact('cg/v1/gateway/status', { sync: { token: 't', passwordHash: 'scrypt$', link: { password: 'p', passed: 3 } } })).toEqual({
      sync: { token: MASK, passwordHash: MASK, link: { password: MASK, passed: 3 } },
    });
  });

  it('cuts long strings (images) and long arrays', () => {
    const out = redact('cg/v1/devices/c/events/image', { png: 'A'.repeat(5000), list: Array.from({ length: 205 }, (_, i) => i) }) as { png: string; list: unknown[] };
    expect(out.png).toBe(`${'A'.repeat(32)}… (5000 chars)`);
    expect(out.list).toHaveLength(201);
    expect(out.list[200]).toBe('… 5 more');
  });

  it('parses JSON payloads and keeps other payloads as text', () => {
    expect(parsePayload(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(parsePayload(Buffer.from('hello'))).toBe('hello');
  });
});

describe('LiveState', () => {
  const at = '2024-05-17T09:30:00.000Z';
  const summary = (id: string, kit: string, extra: Partial<DeviceSummary> = {}): DeviceSummary => ({ id, kind: 'scale', kit, transport: 'serial', state: 'offline', faults: {}, ...extra });

  it('keeps the newest verdicts per kit up to the limit, the last tasks and the last gateway status', () => {
    const st = new LiveState({ verdictsPerKit: 2, activity: 3 });
    for (let i = 1; i <= 3; i++) st.apply({ topic: 'cg/v1/kits/van-1/verdicts', payload: { n: i }, at });
    st.apply({ topic: 'cg/v1/kits/van-2/tasks', payload: [{ id: 'T-9' }], at });
    st.apply({ topic: 'cg/v1/gateway/status', payload: { state: 'running', rules: { version: '7' } }, at });
    const snap = st.snapshot({ gatewayId: 'gw', operator: 'tech', at, devices: [summary('s1', 'van-3')], alarms: [], kits: [{ id: 'van-1', courierId: 'c-1' }] });
    expect(snap.kits).toEqual([
      { id: 'van-1', courierId: 'c-1', tasks: null, verdicts: [{ kit: 'van-1', at, verdict: { n: 3 } }, { kit: 'van-1', at, verdict: { n: 2 } }] },
      { id: 'van-2', tasks: [{ id: 'T-9' }], tasksAt: at, verdicts: [] },
      { id: 'van-3', tasks: null, verdicts: [] },
    ]);
    expect(snap.status).toEqual({ state: 'running', rules: { version: '7' } });
    expect(snap.activity.map((m) => m.topic)).toEqual(['cg/v1/kits/van-1/verdicts', 'cg/v1/kits/van-2/tasks', 'cg/v1/gateway/status']);
  });

  it("completes a verdict with its 'recorded' follow-up instead of listing it twice", () => {
    const st = new LiveState({ verdictsPerKit: 5, activity: 5 });
    st.apply({ topic: 'cg/v1/kits/van-1/verdicts', payload: { type: 'verdict', verdictId: 'v1', outcome: 'accepted', waybill: { value: 'RR123456785CN' } }, at });
    st.apply({ topic: 'cg/v1/kits/van-1/verdicts', payload: { type: 'recorded', verdictId: 'v1', recorded: true, receipt: 'ABC-1234' }, at });
    const snap = st.snapshot({ gatewayId: 'gw', operator: 'tech', at, devices: [], alarms: [], kits: [] });
    expect(snap.kits[0].verdicts).toEqual([
      { kit: 'van-1', at, verdict: { type: 'verdict', verdictId: 'v1', outcome: 'accepted', waybill: { value: 'RR123456785CN' }, recorded: true, receipt: 'ABC-1234', reason: undefined } },
    ]);
  });

  it('shows a device with its unavailable reason, faults, refused payloads and a redacted last reading', () => {
    const st = new LiveState({ verdictsPerKit: 5, activity: 5 });
    st.apply({ topic: 'cg/v1/devices/s1/errors', payload: { error: 'INVALID_PAYLOAD', reason: 'grams: expected number' }, at });
    st.apply({ topic: 'cg/v1/devices/s1/errors', payload: { error: 'NOT_JSON' }, at });
    const [d] = st.devices([
      summary('s1', 'van-1', { state: 'unavailable', detail: { reason: 'port /dev/ttyUSB0 missing' }, faults: { frame: 2 }, lastEvent: { type: 'code', at, payload: { code: '1234' } } }),
    ]);
    expect(d).toEqual({
      id: 's1',
      kind: 'scale',
      kit: 'van-1',
      protocol: undefined,
      transport: 'serial',
      state: 'unavailable',
      reason: 'port /dev/ttyUSB0 missing',
      since: undefined,
      lastEvent: { type: 'code', at, payload: { code: MASK } },
      faults: { frame: 2 },
      errors: 2,
      lastError: { reason: 'NOT_JSON', at },
    });
  });

  it("tells a printer's last print (which job, when) without its page, and nothing before the first", () => {
    const st = new LiveState({ verdictsPerKit: 5, activity: 5 });
    const page = { items: [{ t: 'text', text: 'Customer Acme' }] };
    const [printed, idle] = st.devices([
      summary('p1', 'van-1', { kind: 'printer', info: { alarms: [], lastPrint: { id: 'rec-1', kind: 'receipt', at: Date.parse(at), page } } }),
      summary('p2', 'van-1', { kind: 'printer', info: { alarms: [], lastPrint: null } }),
    ]);
    expect(printed.lastPrint).toEqual({ id: 'rec-1', kind: 'receipt', at });
    expect(JSON.stringify(printed)).not.toContain('Acme');
    expect(idle).not.toHaveProperty('lastPrint');
  });
});

describe('LiveState with raw bus messages', () => {
  const at = '2024-05-17T09:30:00.000Z';
  const raw = (topic: string, payload: unknown) => new BusEntry(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), at);

  it('parses nothing while folding messages in but each verdict once (for the charts), and only what a snapshot shows', () => {
    const st = new LiveState({ verdictsPerKit: 2, activity: 2 });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      for (let i = 0; i < 100; i++) st.apply(raw('cg/v1/kits/van-1/tasks', { tasks: [{ id: `T${i}` }] }));
      expect(parse).not.toHaveBeenCalled();
      for (let i = 0; i < 100; i++) st.apply(raw('cg/v1/kits/van-1/verdicts', { type: 'verdict', verdictId: `v${i}` }));
      expect(parse).toHaveBeenCalledTimes(100);
      parse.mockClear();
      const snap = st.snapshot({ gatewayId: 'gw', operator: 'tech', at, devices: [], alarms: [], kits: [] });
      expect(snap.kits[0]!.tasks).toEqual({ tasks: [{ id: 'T99' }] });
      expect(snap.kits[0]!.verdicts.map((v) => (v.verdict as { verdictId: string }).verdictId)).toEqual(['v99', 'v98']);
      // the last tasks message, at most 2 x 2 verdict entries and the 2 activity entries shown (and a few of the window kept)
      expect(parse.mock.calls.length).toBeLessThanOrEqual(8);
    } finally {
      parse.mockRestore();
    }
  });

  it('shows single task states told after the list, and forgets them when withdrawn or when a new list comes', () => {
    const st = new LiveState({ verdictsPerKit: 2, activity: 5 });
    st.apply(raw('cg/v1/kits/van-1/tasks', { tasks: [{ id: 'A/1' }, { id: 'B' }] }));
    st.apply(raw('cg/v1/kits/van-1/tasks/A%2F1', { taskId: 'A/1', state: 'picked-up', open: false }));
    st.apply(raw('cg/v1/kits/van-1/tasks/B', { taskId: 'B', state: 'exception', open: true, reason: 'customer-absent' }));
    const kit = () => st.snapshot({ gatewayId: 'gw', operator: 'tech', at, devices: [], alarms: [], kits: [] }).kits[0]!;
    expect(kit().taskStates).toEqual({ 'A/1': { taskId: 'A/1', state: 'picked-up', open: false }, B: { taskId: 'B', state: 'exception', open: true, reason: 'customer-absent' } });
    st.apply(new BusEntry('cg/v1/kits/van-1/tasks/B', Buffer.alloc(0), at));
    expect(Object.keys(kit().taskStates ?? {})).toEqual(['A/1']);
    st.apply(raw('cg/v1/kits/van-1/tasks', { tasks: [{ id: 'B' }] }));
    expect(kit().taskStates).toBeUndefined();
  });
});
